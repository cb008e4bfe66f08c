/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The events the state segment still keeps, read without subscribing:
 * what a tool shows as "recent events". Readers take no lock, as
 * subscribers do (state_priv.h): a record is copied between two loads of
 * its sequence word, and one that changed meanwhile (overwritten by a
 * newer event) is left out rather than shown torn.
 */
#include <errno.h>

#include "state_priv.h"

/* Copy record `want` into ev; 0, or -EAGAIN when it is no longer whole. */
static int recent_copy(const struct st_rec *r, uint64_t want,
		       struct qat_state_event *ev)
{
	uint32_t dev_id;
	int32_t event;
	uint64_t ts;

	if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) != want)
		return -EAGAIN;
	dev_id = __atomic_load_n(&r->dev_id, __ATOMIC_RELAXED);
	event = __atomic_load_n(&r->event, __ATOMIC_RELAXED);
	ts = __atomic_load_n(&r->ts, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != want)
		return -EAGAIN;
	/* The segment is shared: an out-of-range kind is corruption. */
	if (event < 0 || event >= QAT_EVENT_COUNT)
		return -EPROTO;
	*ev = (struct qat_state_event){
		.dev_id = dev_id,
		.event = event,
		.seq = want,
		.timestamp_ns = ts,
	};
	return 0;
}

int qat_state_recent(struct qat_rt *rt, struct qat_state_event *evs,
		     unsigned int max)
{
	struct qat_state_rt *st;
	uint64_t head, first, s;
	unsigned int n = 0;
	int ret;

	if (!rt || (max && !evs))
		return -EINVAL;
	ret = qat_state_attach(rt, &st);
	if (ret)
		return ret;
	head = __atomic_load_n(&st->seg->head, __ATOMIC_SEQ_CST);
	if (max > QAT_STATE_RING_EVENTS)
		max = QAT_STATE_RING_EVENTS;
	first = head > max ? head - max + 1 : 1;
	for (s = first; s <= head && n < max; s++) {
		ret = recent_copy(&st->seg->ring[s % QAT_STATE_RING_EVENTS], s,
				  &evs[n]);
		if (ret == -EPROTO) {
			qat_err("state segment: corrupt record %llu",
				(unsigned long long)s);
			return ret;
		}
		if (!ret)
			n++;
	}
	return (int)n;
}
