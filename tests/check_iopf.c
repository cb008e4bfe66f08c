/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page faults: group assembly, ordering, sticky errors, bounds, memory
 * failure, flush, discard, removal, late responses, the default handler
 * on real mappings, the iommufd record format over a socketpair, and the
 * simulated device's DMA through the pool.
 */
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "iopf_priv.h" /* white-box: qat_iopf_inject_nomem() */
#include "iopf_sim.h" /* white-box: the simulated device's PRI side */
#include "util.h"

/* Test handler behaviour, from the fault address's low bits. */
#define A_BAD   0x1u  /* answer INVALID */
#define A_FAIL  0x2u  /* answer FAILURE */
#define A_GATE  0x4u  /* block until the gate opens */
#define A_SLEEP 0x8u  /* take 1 ms */

#define PV (QAT_IOPF_PASID_VALID | QAT_IOPF_NEEDS_PASID)
#define LAST QAT_IOPF_LAST_PAGE

static struct qat_rt *rt;
static struct qat_dev *dev0, *dev1;
static struct qat_iopf_queue *q;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
struct rec {
	struct qat_dev *dev;
	struct qat_iopf_response r;
};
static struct rec resp[4096];
static int nresp;
struct call {
	struct qat_dev *dev;
	struct qat_iopf_fault f;
};
static struct call calls[8192];
static int ncalls;
static bool gate_open;
static int gate_waiting;

static void recorder_reset(void)
{
	pthread_mutex_lock(&mu);
	nresp = ncalls = 0;
	gate_open = false;
	gate_waiting = 0;
	pthread_mutex_unlock(&mu);
}

static void on_response(struct qat_dev *dev, const struct qat_iopf_response *r,
			void *arg)
{
	pthread_mutex_lock(&mu);
	if (nresp < (int)QAT_ARRAY_SIZE(resp))
		resp[nresp++] = (struct rec){ dev, *r };
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int on_fault(struct qat_dev *dev, const struct qat_iopf_fault *f,
		    void *arg)
{
	pthread_mutex_lock(&mu);
	if (ncalls < (int)QAT_ARRAY_SIZE(calls))
		calls[ncalls++] = (struct call){ dev, *f };
	pthread_cond_broadcast(&cv);
	if (f->addr & A_GATE) {
		gate_waiting++;
		pthread_cond_broadcast(&cv);
		while (!gate_open)
			pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	if (f->addr & A_SLEEP)
		usleep(1000);
	if (f->addr & A_BAD)
		return QAT_IOPF_INVALID;
	if (f->addr & A_FAIL)
		return QAT_IOPF_FAILURE;
	return QAT_IOPF_SUCCESS;
}

static void gate_set(bool open)
{
	pthread_mutex_lock(&mu);
	gate_open = open;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Wait up to 5 s until *v >= n; returns *v. */
static int wait_for(int *v, int n)
{
	struct timespec ts;
	int got;

	deadline_in(&ts, 5000);
	pthread_mutex_lock(&mu);
	while (*v < n && pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT)
		;
	got = *v;
	pthread_mutex_unlock(&mu);
	return got;
}

static int count(int *v)
{
	int n;

	pthread_mutex_lock(&mu);
	n = *v;
	pthread_mutex_unlock(&mu);
	return n;
}

static struct rec resp_at(int i)
{
	struct rec r;

	pthread_mutex_lock(&mu);
	r = resp[i];
	pthread_mutex_unlock(&mu);
	return r;
}

static struct call call_at(int i)
{
	struct call c;

	pthread_mutex_lock(&mu);
	c = calls[i];
	pthread_mutex_unlock(&mu);
	return c;
}

static const struct qat_iopf_handler test_handler = { on_fault, NULL };
static const struct qat_iopf_sink test_sink = {
	.type = QAT_IOPF_SINK_CALLBACK, .fn = on_response,
};

static struct qat_iopf_queue *queue_new(unsigned int workers,
					unsigned int max_partial,
					unsigned int max_outstanding)
{
	struct qat_iopf_queue_opts o = {
		.sz = sizeof(o), .workers = workers,
		.max_partial = max_partial, .max_outstanding = max_outstanding,
	};
	struct qat_iopf_queue *nq = NULL;

	ck_assert_int_eq(qat_iopf_queue_alloc("test", &o, &nq), 0);
	return nq;
}

static void add_test_dev(struct qat_dev *dev)
{
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev, &test_handler,
						   &test_sink), 0);
}

static void setup(void)
{
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_sim_conf(qt_dir, "4xxx", 1, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_get(rt, 0, &dev0), 0);
	ck_assert_int_eq(qat_dev_get(rt, 1, &dev1), 0);
	recorder_reset();
	q = NULL;
}

static void teardown(void)
{
	gate_set(true);
	qat_iopf_queue_free(q);
	q = NULL;
	qat_rt_close(rt);
	rt = NULL;
	qt_dir_teardown();
}

static int report(struct qat_dev *dev, uint32_t flags, uint32_t pasid,
		  uint32_t grp, uint64_t addr)
{
	struct qat_iopf_fault f = {
		.flags = flags, .pasid = pasid, .grpid = grp,
		.perm = QAT_IOPF_PERM_READ, .addr = addr, .cookie = addr >> 12,
	};

	return qat_iopf_report(q, dev, &f);
}

static struct qat_iopf_stats stats(struct qat_dev *dev)
{
	struct qat_iopf_stats st;

	ck_assert_int_eq(qat_iopf_stats(q, dev, &st), 0);
	return st;
}

/* --- grouping ------------------------------------------------------------ */

START_TEST(group_waits_for_last)
{
	struct rec r;
	int i;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	for (i = 1; i <= 3; i++)
		ck_assert_int_eq(report(dev0, PV, 7, 1, 0x1000u * i), 0);
	usleep(20000);
	ck_assert_int_eq(count(&ncalls), 0); /* partials do not run */
	ck_assert_uint_eq(stats(dev0).partial, 3);
	ck_assert_int_eq(report(dev0, PV | LAST, 7, 1, 0x4000), 0);
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
	ck_assert_int_eq(count(&ncalls), 4);
	for (i = 0; i < 4; i++) /* in the order reported */
		ck_assert_uint_eq(call_at(i).f.addr, 0x1000u * (i + 1));
	r = resp_at(0);
	ck_assert_ptr_eq(r.dev, dev0);
	ck_assert_uint_eq(r.r.code, QAT_IOPF_SUCCESS);
	ck_assert_uint_eq(r.r.grpid, 1);
	ck_assert_uint_eq(r.r.pasid, 7);
	ck_assert_uint_eq(r.r.flags, QAT_IOPF_PASID_VALID);
	ck_assert_uint_eq(r.r.addr, 0x4000);
	ck_assert_uint_eq(r.r.cookie, 4);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_uint_eq(stats(dev0).partial, 0);
	ck_assert_uint_eq(stats(dev0).outstanding, 0);
	ck_assert_uint_eq(stats(dev0).groups, 1);
	ck_assert_uint_eq(stats(dev0).responses[QAT_IOPF_SUCCESS], 1);
	usleep(20000);
	ck_assert_int_eq(count(&nresp), 1); /* exactly one */
}
END_TEST

/* Same group id on two devices, two PASIDs and no PASID: five groups,
 * interleaved, each run with only its own faults, in order. */
START_TEST(interleaved_devices_pasids)
{
	struct qat_dev *devs[] = { dev0, dev1 };
	const uint32_t pv[] = { PV, PV, 0 };
	const uint32_t pasids[] = { 1, 2, 0 };
	int d, p, k, i, mask = 0, seen[2][3] = { { 0 } };

	q = queue_new(2, 0, 0);
	add_test_dev(dev0);
	add_test_dev(dev1);
	for (k = 0; k < 4; k++) /* 4 partials per group, round robin */
		for (d = 0; d < 2; d++)
			for (p = 0; p < 3; p++)
				ck_assert_int_eq(report(devs[d], pv[p],
					pasids[p], 5,
					(uint64_t)(d * 3 + p) << 20 |
					(uint64_t)(k + 1) << 12), 0);
	ck_assert_uint_eq(stats(NULL).partial, 24);
	/* Complete them in another order than they began. */
	for (p = 2; p >= 0; p--)
		for (d = 1; d >= 0; d--)
			ck_assert_int_eq(report(devs[d], pv[p] | LAST,
				pasids[p], 5, (uint64_t)(d * 3 + p) << 20 |
				5u << 12), 0);
	ck_assert_int_eq(wait_for(&nresp, 6), 6);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev1), 0);
	ck_assert_int_eq(count(&ncalls), 30);
	/* Per group: faults 1..5 in order, never another group's. */
	for (i = 0; i < 30; i++) {
		struct call c = call_at(i);
		int g = (int)(c.f.addr >> 20);

		d = g / 3;
		p = g % 3;
		ck_assert_ptr_eq(c.dev, devs[d]);
		ck_assert_uint_eq(c.f.pasid, pasids[p]);
		ck_assert_uint_eq((c.f.addr >> 12) & 0xff,
				  (uint64_t)++seen[d][p]);
	}
	for (i = 0; i < 6; i++) {
		struct rec r = resp_at(i);

		ck_assert_uint_eq(r.r.code, QAT_IOPF_SUCCESS);
		ck_assert_uint_eq(r.r.grpid, 5);
		mask |= 1 << (int)(r.r.addr >> 20);
		ck_assert_uint_eq(r.r.flags, r.r.pasid ? QAT_IOPF_PASID_VALID :
				  0u);
	}
	ck_assert_int_eq(mask, 0x3f); /* each group once */
	ck_assert_uint_eq(stats(NULL).groups, 6);
	ck_assert_uint_eq(stats(NULL).partial, 0);
}
END_TEST

/* Many PASIDs, one group id: enough open groups that some share a hash
 * bucket, where a lookup that compared only (device, group id) would
 * merge them. One worker, so each group's calls are consecutive: every
 * group is its own partial, then its own last fault. */
START_TEST(many_pasids_one_group_id)
{
	enum { N = 512 };
	uint32_t p;
	int i;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	for (p = 1; p <= N; p++)
		ck_assert_int_eq(report(dev0, PV, p, 7,
					(uint64_t)p << 20 | 1u << 12), 0);
	ck_assert_uint_eq(stats(dev0).partial, N);
	for (p = 1; p <= N; p++)
		ck_assert_int_eq(report(dev0, PV | LAST, p, 7,
					(uint64_t)p << 20 | 2u << 12), 0);
	ck_assert_int_eq(wait_for(&nresp, N), N);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(count(&ncalls), 2 * N);
	for (i = 0; i < 2 * N; i += 2) {
		struct call a = call_at(i), b = call_at(i + 1);

		ck_assert_msg(a.f.pasid == b.f.pasid &&
			      !(a.f.flags & LAST) && (b.f.flags & LAST),
			      "call %d: PASID %u (flags %#x) then PASID %u "
			      "(flags %#x): groups merged", i, a.f.pasid,
			      a.f.flags, b.f.pasid, b.f.flags);
		ck_assert_uint_eq(a.f.addr >> 20, a.f.pasid);
	}
	ck_assert_uint_eq(stats(dev0).groups, N);
}
END_TEST

START_TEST(out_of_order_completion)
{
	q = queue_new(2, 0, 0);
	add_test_dev(dev0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0x1000 | A_GATE), 0);
	ck_assert_int_eq(wait_for(&gate_waiting, 1), 1);
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x2000), 0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 2, 0x3000), 0);
	/* The later group finishes while the first still runs. */
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
	ck_assert_uint_eq(resp_at(0).r.grpid, 2);
	gate_set(true);
	ck_assert_int_eq(wait_for(&nresp, 2), 2);
	ck_assert_uint_eq(resp_at(1).r.grpid, 1);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_SUCCESS);
}
END_TEST

START_TEST(sticky_errors)
{
	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	report(dev0, PV, 1, 1, 0x1000);
	report(dev0, PV, 1, 1, 0x2000 | A_BAD);
	report(dev0, PV, 1, 1, 0x3000);
	report(dev0, PV | LAST, 1, 1, 0x4000);
	report(dev0, PV, 1, 2, 0x5000 | A_FAIL);
	report(dev0, PV | LAST, 1, 2, 0x6000 | A_BAD);
	ck_assert_int_eq(wait_for(&nresp, 2), 2);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	/* After the first error nothing more of the group runs. */
	ck_assert_int_eq(count(&ncalls), 3);
	ck_assert_uint_eq(call_at(0).f.addr, 0x1000);
	ck_assert_uint_eq(call_at(1).f.addr, 0x2000 | A_BAD);
	ck_assert_uint_eq(call_at(2).f.addr, 0x5000 | A_FAIL);
	ck_assert_uint_eq(resp_at(0).r.code, QAT_IOPF_INVALID);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_FAILURE);
	ck_assert_uint_eq(stats(dev0).responses[QAT_IOPF_INVALID], 1);
	ck_assert_uint_eq(stats(dev0).responses[QAT_IOPF_FAILURE], 1);
}
END_TEST

/* --- flush, discard, remove --------------------------------------------- */

static atomic_int load_stop;

static void *loader(void *arg)
{
	uint32_t g = 100;

	while (!atomic_load(&load_stop)) {
		report(dev0, PV | LAST, 9, g, 0x100000 | A_SLEEP);
		g = g == 500 ? 100 : g + 1;
		usleep(200);
	}
	return NULL;
}

static bool answered(uint32_t pasid, uint32_t grp)
{
	bool found = false;
	int i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < nresp && !found; i++)
		found = resp[i].r.pasid == pasid && resp[i].r.grpid == grp;
	pthread_mutex_unlock(&mu);
	return found;
}

START_TEST(flush_under_load)
{
	pthread_t t;
	uint32_t g;

	q = queue_new(2, 0, 0);
	add_test_dev(dev0);
	atomic_store(&load_stop, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, loader, NULL), 0);
	for (g = 0; g < 40; g++) {
		ck_assert_int_eq(report(dev0, PV, 3, g, 0x1000 | A_SLEEP), 0);
		ck_assert_int_eq(report(dev0, PV | LAST, 3, g,
					0x2000 | A_SLEEP), 0);
	}
	/* A partial is not a queued group: flush does not wait for it. */
	ck_assert_int_eq(report(dev0, PV, 3, 77, 0x3000), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	for (g = 0; g < 40; g++)
		ck_assert_msg(answered(3, g), "group %u not answered", g);
	ck_assert(!answered(3, 77));
	/* The loader still runs: flush returned under load. */
	ck_assert_int_eq(atomic_load(&load_stop), 0);
	atomic_store(&load_stop, 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev1), -ENOENT);
}
END_TEST

START_TEST(discard_partials)
{
	struct qat_iopf_stats st;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	add_test_dev(dev1);
	report(dev0, PV, 1, 1, 0x1000);
	report(dev0, PV, 1, 1, 0x2000);
	report(dev1, PV, 1, 1, 0x3000);
	report(dev1, 0, 0, 4, 0x4000);
	ck_assert_int_eq(qat_iopf_discard_partial(q), 4);
	st = stats(NULL);
	ck_assert_uint_eq(st.partial, 0);
	ck_assert_uint_eq(st.outstanding, 0);
	ck_assert_uint_eq(st.discarded, 4);
	ck_assert_int_eq(qat_iopf_discard_partial(q), 0);
	/* The group's last fault now makes a group of one. */
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0x5000), 0);
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
	ck_assert_int_eq(count(&ncalls), 1);
	ck_assert_uint_eq(call_at(0).f.addr, 0x5000);
	ck_assert_int_eq(count(&nresp), 1); /* discard answers nothing */
}
END_TEST

static void *remover(void *arg)
{
	return (void *)(intptr_t)qat_iopf_queue_remove_device(q, arg);
}

/* One worker: group 1 runs (blocked), 2 and 3 wait, 4 is partial. */
START_TEST(remove_with_pending)
{
	struct qat_iopf_stats st;
	pthread_t t;
	void *ret;
	int i, codes[8] = { 0 };

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	add_test_dev(dev1);
	report(dev0, PV | LAST, 1, 1, 0x1000 | A_GATE);
	ck_assert_int_eq(wait_for(&gate_waiting, 1), 1);
	report(dev0, PV | LAST, 1, 2, 0x2000);
	report(dev0, PV, 1, 3, 0x3000);
	report(dev0, PV | LAST, 1, 3, 0x4000);
	report(dev0, PV, 1, 4, 0x5000);
	report(dev1, PV, 1, 4, 0x6000);
	ck_assert_int_eq(pthread_create(&t, NULL, remover, dev0), 0);
	/* Every pending group is answered while the handler still runs. */
	ck_assert_int_eq(wait_for(&nresp, 3), 3);
	for (i = 0; i < 3; i++) {
		struct rec r = resp_at(i);

		ck_assert_uint_eq(r.r.code, QAT_IOPF_INVALID);
		codes[r.r.grpid]++;
	}
	ck_assert_int_eq(codes[1] + codes[2] + codes[3], 3);
	ck_assert_int_eq(codes[1] * codes[2] * codes[3], 1);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 9, 0x7000), -ENOENT);
	gate_set(true);
	pthread_join(t, &ret);
	ck_assert_int_eq((int)(intptr_t)ret, 0);
	/* The handler's answer came late and was dropped. */
	st = stats(NULL);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.responses[QAT_IOPF_SUCCESS], 0);
	ck_assert_uint_eq(st.responses[QAT_IOPF_INVALID], 3);
	ck_assert_uint_eq(st.discarded, 1);
	ck_assert_uint_eq(st.partial, 1); /* dev1's partial is untouched */
	ck_assert_int_eq(count(&nresp), 3);
	ck_assert_int_eq(count(&ncalls), 1); /* queued groups never ran */
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, dev0), -ENOENT);
	ck_assert_int_eq(qat_iopf_stats(q, dev0, &st), -ENOENT);
}
END_TEST

static void *gate_after_two(void *arg)
{
	wait_for(&nresp, 2);
	gate_set(true);
	return NULL;
}

/* Freeing a queue answers what is pending, running groups included. */
START_TEST(free_answers_pending)
{
	pthread_t t;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	report(dev0, PV | LAST, 1, 1, 0x1000 | A_GATE);
	ck_assert_int_eq(wait_for(&gate_waiting, 1), 1);
	report(dev0, PV | LAST, 1, 2, 0x2000);
	ck_assert_int_eq(pthread_create(&t, NULL, gate_after_two, NULL), 0);
	qat_iopf_queue_free(q); /* returns once the handler did */
	q = NULL;
	pthread_join(t, NULL);
	ck_assert_int_eq(count(&nresp), 2);
	ck_assert_uint_eq(resp_at(0).r.code, QAT_IOPF_INVALID);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_INVALID);
	ck_assert(answered(1, 1) && answered(1, 2));
	ck_assert_int_eq(count(&ncalls), 1);
}
END_TEST

/* --- bounds and memory --------------------------------------------------- */

START_TEST(bound_refuses)
{
	struct qat_iopf_stats st;
	int i;

	q = queue_new(1, 4, 6);
	add_test_dev(dev0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(report(dev0, PV, 1, 1, 0x1000u * (i + 1)), 0);
	/* A fifth partial (another group) is past max_partial. */
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x9000), 1);
	ck_assert_int_eq(count(&nresp), 1);
	ck_assert_uint_eq(resp_at(0).r.grpid, 2);
	ck_assert_uint_eq(resp_at(0).r.code, QAT_IOPF_INVALID);
	/* The rest of the refused group is dropped without a response. */
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0xa000), 1);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 2, 0xb000), 1);
	ck_assert_int_eq(count(&nresp), 1);
	st = stats(dev0);
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(st.partial, 4);
	/* A partial of group 1 past the bound refuses group 1 and frees it. */
	ck_assert_int_eq(report(dev0, PV, 1, 1, 0xc000), 1);
	ck_assert_uint_eq(stats(dev0).partial, 0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0xd000), 1);
	ck_assert_int_eq(count(&nresp), 2);
	ck_assert_uint_eq(resp_at(1).r.grpid, 1);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_INVALID);
	ck_assert_int_eq(count(&ncalls), 0);

	/* max_outstanding: held groups count until answered. */
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 10, 0x1000 | A_GATE), 0);
	ck_assert_int_eq(wait_for(&gate_waiting, 1), 1);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(report(dev0, PV | LAST, 1, 11 + i, 0x2000), 0);
	ck_assert_uint_eq(stats(dev0).outstanding, 6);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 20, 0x3000), 1);
	ck_assert_int_eq(count(&nresp), 3);
	ck_assert_uint_eq(resp_at(2).r.grpid, 20);
	ck_assert_uint_eq(resp_at(2).r.code, QAT_IOPF_INVALID);
	ck_assert_uint_eq(stats(dev0).refused, 3);
	gate_set(true);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(count(&nresp), 9);
	ck_assert_uint_eq(stats(dev0).outstanding, 0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 20, 0x3000), 0);
}
END_TEST

/* The notes of refused groups are bounded by max_partial as well: a
 * group refused past them is forgotten, and its next faults make a group
 * of their own instead of being swallowed. */
START_TEST(refusal_notes_bounded)
{
	q = queue_new(1, 2, 64);
	add_test_dev(dev0);
	ck_assert_int_eq(report(dev0, PV, 1, 1, 0x1000), 0);
	ck_assert_int_eq(report(dev0, PV, 1, 1, 0x2000), 0);
	/* Partials full: 2 and 3 refused and noted, 4 refused unnoted. */
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x3000), 1);
	ck_assert_int_eq(report(dev0, PV, 1, 3, 0x4000), 1);
	ck_assert_int_eq(report(dev0, PV, 1, 4, 0x5000), 1);
	ck_assert_int_eq(count(&nresp), 3);
	ck_assert_uint_eq(resp_at(2).r.grpid, 4);
	ck_assert_uint_eq(resp_at(2).r.code, QAT_IOPF_INVALID);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0x6000), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(count(&nresp), 4);
	ck_assert_uint_eq(resp_at(3).r.grpid, 1);
	ck_assert_uint_eq(resp_at(3).r.code, QAT_IOPF_SUCCESS);
	/* The noted groups' last faults are swallowed... */
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 2, 0x7000), 1);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 3, 0x7000), 1);
	ck_assert_uint_eq(stats(dev0).dropped, 2);
	/* ...and group 4's are a new group, handled and answered. */
	ck_assert_int_eq(report(dev0, PV, 1, 4, 0x8000), 0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 4, 0x9000), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(count(&nresp), 5);
	ck_assert_uint_eq(resp_at(4).r.grpid, 4);
	ck_assert_uint_eq(resp_at(4).r.code, QAT_IOPF_SUCCESS);
	ck_assert_uint_eq(stats(dev0).dropped, 2);
	ck_assert_int_eq(count(&ncalls), 5);
}
END_TEST

START_TEST(nomem_answers_failure)
{
	struct qat_iopf_stats st;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	/* The first partial of a group finds no memory. */
	qat_iopf_inject_nomem(q, 1);
	ck_assert_int_eq(report(dev0, PV, 1, 1, 0x1000), 1);
	ck_assert_int_eq(count(&nresp), 1);
	ck_assert_uint_eq(resp_at(0).r.code, QAT_IOPF_FAILURE);
	ck_assert_uint_eq(resp_at(0).r.grpid, 1);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0x2000), 1);
	ck_assert_int_eq(count(&nresp), 1);
	/* A later partial of a group that has some. */
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x3000), 0);
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x4000), 0);
	ck_assert_uint_eq(stats(dev0).partial, 2);
	qat_iopf_inject_nomem(q, 1);
	ck_assert_int_eq(report(dev0, PV, 1, 2, 0x5000), 1);
	ck_assert_uint_eq(stats(dev0).partial, 0); /* its partials freed */
	ck_assert_int_eq(count(&nresp), 2);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_FAILURE);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 2, 0x6000), 1);
	/* A lone last fault that finds no memory. */
	qat_iopf_inject_nomem(q, 1);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 3, 0x7000), 1);
	ck_assert_int_eq(count(&nresp), 3);
	ck_assert_uint_eq(resp_at(2).r.code, QAT_IOPF_FAILURE);
	st = stats(dev0);
	ck_assert_uint_eq(st.nomem, 3);
	ck_assert_uint_eq(st.responses[QAT_IOPF_FAILURE], 3);
	ck_assert_uint_eq(st.outstanding, 0);
	ck_assert_int_eq(count(&ncalls), 0);
	/* Memory back: business as usual. */
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 3, 0x7000), 0);
	ck_assert_int_eq(wait_for(&nresp, 4), 4);
	ck_assert_uint_eq(resp_at(3).r.code, QAT_IOPF_SUCCESS);
}
END_TEST

/* --- the default handler ------------------------------------------------- */

static bool present(const void *p)
{
	unsigned char v = 0;

	ck_assert_int_eq(mincore((void *)p, 1, &v), 0);
	return v & 1;
}

static int resolve(const void *addr, uint32_t perm)
{
	struct qat_iopf_fault f = { .perm = perm,
				    .addr = (uint64_t)(uintptr_t)addr };

	return qat_iopf_resolve(&f);
}

START_TEST(default_handler_mappings)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	char *none = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	char *rx = mmap(NULL, psz, PROT_READ | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	ck_assert(rw != MAP_FAILED && ro != MAP_FAILED &&
		  none != MAP_FAILED && rx != MAP_FAILED && gone != MAP_FAILED);
	munmap(gone, psz);
	ck_assert(!present(rw) && !present(rw + psz));
	ck_assert_int_eq(resolve(rw + 5, QAT_IOPF_PERM_READ), QAT_IOPF_SUCCESS);
	ck_assert(present(rw));
	ck_assert_int_eq(resolve(rw + psz + 9, QAT_IOPF_PERM_WRITE |
				 QAT_IOPF_PERM_READ), QAT_IOPF_SUCCESS);
	ck_assert(present(rw + psz));
	ck_assert(!present(rw + 2 * psz));
	/* Write to a read-only mapping, exec on a non-exec one. */
	ck_assert_int_eq(resolve(ro, QAT_IOPF_PERM_WRITE), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve(ro, QAT_IOPF_PERM_READ), QAT_IOPF_SUCCESS);
	ck_assert_int_eq(resolve(rw, QAT_IOPF_PERM_EXEC), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve(rx, QAT_IOPF_PERM_EXEC | QAT_IOPF_PERM_READ),
			 QAT_IOPF_SUCCESS);
	ck_assert_int_eq(resolve(rx, QAT_IOPF_PERM_WRITE), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve(none, QAT_IOPF_PERM_READ), QAT_IOPF_INVALID);
	/* Bad addresses: unmapped, the zero page, the kernel's half. */
	ck_assert_int_eq(resolve(gone, QAT_IOPF_PERM_READ), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve(NULL, QAT_IOPF_PERM_READ), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve((void *)(uintptr_t)0xffff800000001000ull,
				 QAT_IOPF_PERM_READ), QAT_IOPF_INVALID);
	/* No access asked for; PRIV alone asks for nothing. */
	ck_assert_int_eq(resolve(rw, 0), QAT_IOPF_INVALID);
	ck_assert_int_eq(resolve(rw, QAT_IOPF_PERM_PRIV), QAT_IOPF_INVALID);
	ck_assert_int_eq(qat_iopf_resolve(NULL), QAT_IOPF_INVALID);
	munmap(rw, 4 * psz);
	munmap(ro, psz);
	munmap(none, psz);
	munmap(rx, psz);
}
END_TEST

/* Through the pool: a good group populates, a group with a bad page
 * fails and stops at it (sticky), pages after it stay absent. */
START_TEST(default_handler_in_pool)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, psz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	struct qat_iopf_fault f = { .flags = PV, .pasid = 1,
				    .perm = QAT_IOPF_PERM_WRITE };

	ck_assert(rw != MAP_FAILED && ro != MAP_FAILED);
	q = queue_new(1, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &test_sink),
			 0);
	f.grpid = 1;
	f.addr = (uintptr_t)rw;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), 0);
	f.addr = (uintptr_t)(rw + psz);
	f.flags |= LAST;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), 0);
	f.flags = PV;
	f.grpid = 2;
	f.addr = (uintptr_t)ro;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), 0);
	f.addr = (uintptr_t)(rw + 2 * psz);
	f.flags |= LAST;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(count(&nresp), 2);
	ck_assert_uint_eq(resp_at(0).r.code, QAT_IOPF_SUCCESS);
	ck_assert_uint_eq(resp_at(1).r.code, QAT_IOPF_INVALID);
	ck_assert(present(rw) && present(rw + psz));
	ck_assert(!present(rw + 2 * psz));
	munmap(rw, 4 * psz);
	munmap(ro, psz);
}
END_TEST

/* A worker remembers the mapping it found; a mapping that lost its write
 * permission since must still refuse a write, and exec is never taken
 * from memory. */
static int pool_resolve(void *addr, uint32_t perm, uint32_t grp)
{
	struct qat_iopf_fault f = { .flags = PV | LAST, .pasid = 1,
				    .grpid = grp, .perm = perm,
				    .addr = (uintptr_t)addr };
	int n = count(&nresp);

	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), 0);
	ck_assert_int_eq(wait_for(&nresp, n + 1), n + 1);
	return (int)resp_at(n).r.code;
}

START_TEST(default_handler_memory_is_safe)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(rw != MAP_FAILED);
	q = queue_new(1, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &test_sink),
			 0);
	ck_assert_int_eq(pool_resolve(rw, QAT_IOPF_PERM_WRITE, 1),
			 QAT_IOPF_SUCCESS);
	ck_assert_int_eq(mprotect(rw, 8 * psz, PROT_READ), 0);
	ck_assert_int_eq(pool_resolve(rw + psz, QAT_IOPF_PERM_WRITE, 2),
			 QAT_IOPF_INVALID);
	ck_assert(!present(rw + psz));
	ck_assert_int_eq(pool_resolve(rw + psz, QAT_IOPF_PERM_READ, 3),
			 QAT_IOPF_SUCCESS);
	ck_assert_int_eq(pool_resolve(rw + 2 * psz, QAT_IOPF_PERM_EXEC, 4),
			 QAT_IOPF_INVALID);
	ck_assert_int_eq(mprotect(rw, 8 * psz, PROT_READ | PROT_EXEC), 0);
	ck_assert_int_eq(pool_resolve(rw + 2 * psz, QAT_IOPF_PERM_EXEC |
				      QAT_IOPF_PERM_READ, 5), QAT_IOPF_SUCCESS);
	ck_assert_int_eq(mprotect(rw, 8 * psz, PROT_READ), 0);
	ck_assert_int_eq(pool_resolve(rw + 3 * psz, QAT_IOPF_PERM_EXEC, 6),
			 QAT_IOPF_INVALID);
	/* Unmapped since: the kernel refuses too. */
	ck_assert_int_eq(munmap(rw, 8 * psz), 0);
	ck_assert_int_eq(pool_resolve(rw + 4 * psz, QAT_IOPF_PERM_READ, 7),
			 QAT_IOPF_INVALID);
}
END_TEST

/* --- iommufd records over a socketpair ---------------------------------- */

struct uapi_fault { /* struct iommu_hwpt_pgfault, as the kernel sends it */
	uint32_t flags, dev_id, pasid, grpid, perm, reserved;
	uint64_t addr;
	uint32_t length, cookie;
};
struct uapi_resp {
	uint32_t cookie, code;
};

static void send_group(int fd, const struct uapi_fault *u, size_t n)
{
	ck_assert_int_eq(write(fd, u, n * sizeof(*u)),
			 (ssize_t)(n * sizeof(*u)));
}

static struct uapi_resp recv_resp(int fd)
{
	struct uapi_resp r = { 0, 99 };
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(read(fd, &r, sizeof(r)), (ssize_t)sizeof(r));
	return r;
}

START_TEST(iommufd_socketpair)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	char *rw = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct qat_iopf_sink sink = { .type = QAT_IOPF_SINK_FD };
	struct uapi_fault g[3];
	struct uapi_resp r;
	unsigned char junk[44];
	int sv[2], i;

	ck_assert(rw != MAP_FAILED);
	ck_assert_int_eq(sizeof(struct uapi_fault), 40);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	q = queue_new(1, 0, 0);
	sink.fd = sv[0];
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &sink), 0);
	ck_assert_int_eq(qat_iopf_attach_fd(q, dev0, sv[0]), 0);
	ck_assert_int_eq(qat_iopf_attach_fd(q, dev0, sv[0]), -EBUSY);
	close(sv[0]); /* the queue keeps its own */
	/* A whole group of three, one cookie. */
	for (i = 0; i < 3; i++)
		g[i] = (struct uapi_fault){
			.flags = 1 | (i == 2 ? 2 : 0), .dev_id = 3, .pasid = 4,
			.grpid = 17, .perm = 2,
			.addr = (uintptr_t)(rw + i * psz), .cookie = 41,
		};
	send_group(sv[1], g, 3);
	r = recv_resp(sv[1]);
	ck_assert_uint_eq(r.cookie, 41);
	ck_assert_uint_eq(r.code, 0);
	ck_assert(present(rw) && present(rw + psz) && present(rw + 2 * psz));
	/* An address nobody maps: INVALID (1). */
	g[0] = (struct uapi_fault){ .flags = 2, .perm = 1, .addr = 0x10,
				    .cookie = 42 };
	send_group(sv[1], g, 1);
	r = recv_resp(sv[1]);
	ck_assert_uint_eq(r.cookie, 42);
	ck_assert_uint_eq(r.code, 1);
	/* Hostile records: reserved bits, unknown flags, a short tail. */
	g[0] = (struct uapi_fault){ .flags = 2, .perm = 1, .reserved = 1,
				    .addr = (uintptr_t)rw, .cookie = 50 };
	g[1] = (struct uapi_fault){ .flags = 2 | 8, .perm = 1,
				    .addr = (uintptr_t)rw, .cookie = 51 };
	send_group(sv[1], g, 2);
	memset(junk, 0, sizeof(junk));
	ck_assert_int_eq(write(sv[1], junk, sizeof(junk)), sizeof(junk));
	g[0] = (struct uapi_fault){ .flags = 3, .pasid = 1, .perm = 1,
				    .addr = (uintptr_t)(rw + 3 * psz),
				    .cookie = 52 };
	send_group(sv[1], g, 1);
	r = recv_resp(sv[1]);
	/* 50 and 51 were dropped, and the 4-byte tail; the 40 zero bytes
	 * before it are a partial fault (no LAST) that waits. */
	ck_assert_uint_eq(r.cookie, 52);
	ck_assert_uint_eq(r.code, 0);
	ck_assert_uint_eq(stats(dev0).partial, 1);
	ck_assert_uint_eq(stats(dev0).faults, 6);
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, dev0), 0);
	close(sv[1]);
	munmap(rw, 4 * psz);
}
END_TEST

/* --- the simulated device ------------------------------------------------ */

START_TEST(sim_dma_fresh_memory)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), n = 40, i;
	struct qat_iopf_sink sink = { .type = QAT_IOPF_SINK_SIM };
	unsigned char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *ro = mmap(NULL, psz, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a;

	ck_assert(p != MAP_FAILED && ro != MAP_FAILED);
	ck_assert_int_eq(qat_sim_dma(dev0, 5, (uintptr_t)p, psz, 1),
			 -ENOTCONN);
	q = queue_new(2, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &sink), 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev1, NULL, &sink), 0);
	for (i = 0; i < n; i++)
		ck_assert(!present(p + i * psz));
	/* From the middle of the first page to the middle of the last. */
	ck_assert_int_eq(qat_sim_dma(dev0, 5, (uintptr_t)p + 100,
				     n * psz - 200, 1), (int)n);
	for (i = 0; i < n; i++)
		ck_assert(present(p + i * psz));
	for (i = 100; i < n * psz - 100; i++) {
		a = (uintptr_t)(p + i);
		if (p[i] != QAT_SIM_DMA_BYTE(a, 5))
			ck_abort_msg("byte %zu: %#x", i, p[i]);
	}
	ck_assert_uint_eq(p[99], 0);
	/* All present now: no page request. A read does not write. */
	ck_assert_int_eq(qat_sim_dma(dev0, 6, (uintptr_t)p, n * psz, 0), 0);
	ck_assert_uint_eq(p[100], QAT_SIM_DMA_BYTE((uintptr_t)(p + 100), 5));
	ck_assert_uint_eq(stats(dev0).groups, (n + 15) / 16);
	/* A write into a read-only mapping: answered INVALID. */
	ck_assert_int_eq(qat_sim_dma(dev1, 5, (uintptr_t)ro, 64, 1), -EFAULT);
	ck_assert_uint_eq(stats(dev1).responses[QAT_IOPF_INVALID], 1);
	ck_assert_int_eq(qat_sim_dma(dev1, 5, (uintptr_t)ro, 64, 0), 1);
	/* A bad address: nothing mapped there. */
	ck_assert_int_eq(munmap(ro, psz), 0);
	ck_assert_int_eq(qat_sim_dma(dev1, 5, (uintptr_t)ro, 64, 0), -EFAULT);
	ck_assert_uint_eq(stats(dev1).responses[QAT_IOPF_INVALID], 2);
	ck_assert_int_eq(qat_sim_dma(dev0, 1u << 20, (uintptr_t)p, 1, 1),
			 -EINVAL);
	/* The sim device reports to one queue at a time. */
	{
		struct qat_iopf_queue *q2 = queue_new(1, 0, 0);

		ck_assert_int_eq(qat_iopf_queue_add_device(q2, dev0, NULL,
							   &sink), -EBUSY);
		qat_iopf_queue_free(q2);
	}
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, dev0), 0);
	ck_assert_int_eq(qat_sim_dma(dev0, 5, (uintptr_t)p, psz, 1),
			 -ENOTCONN);
	munmap(p, n * psz);
}
END_TEST

static int fail_fault(struct qat_dev *dev, const struct qat_iopf_fault *f,
		      void *arg)
{
	(void)dev;
	(void)f;
	(void)arg;
	return QAT_IOPF_FAILURE;
}

/* Page request interfaces of a queue that is not there (white-box: the
 * device's side of iopf_sim.h): one that has just dropped the device, as
 * qat_iopf_report() answers then, and one that takes requests and never
 * answers. */
static int report_dropped(void *ctx, struct qat_dev *dev,
			  const struct qat_iopf_fault *f)
{
	(void)ctx;
	(void)dev;
	(void)f;
	return -ENOENT;
}

static int report_silent(void *ctx, struct qat_dev *dev,
			 const struct qat_iopf_fault *f)
{
	(*(int *)ctx)++;
	(void)dev;
	(void)f;
	return 0;
}

/* Every other answer of qat_sim_dma(): arguments, a FAILURE response
 * (-EIO), a queue that drops the device (-ENOENT), no response at all
 * (-ETIMEDOUT, after the wait the hook shortens); an aborted transfer
 * writes nothing, and the device's group indexes come back each time. */
START_TEST(sim_dma_answers)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	struct qat_iopf_sink sink = { .type = QAT_IOPF_SINK_SIM };
	struct qat_iopf_handler fail = { fail_fault, NULL };
	unsigned char *p = mmap(NULL, 4 * psz, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int silent = 0, i;

	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(qat_sim_dma(NULL, 1, (uintptr_t)p, psz, 1), -EINVAL);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, UINT64_MAX - 10, 64, 1),
			 -EINVAL);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, psz, 1), -ENOTCONN);
	q = queue_new(1, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, &fail, &sink), 0);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, 4 * psz, 1), -EIO);
	ck_assert_uint_eq(stats(dev0).responses[QAT_IOPF_FAILURE], 1);
	for (i = 0; i < 4; i++)
		ck_assert_msg(!present(p + i * psz), "page %d written", i);
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, dev0), 0);
	ck_assert_int_eq(report(dev0, QAT_IOPF_LAST_PAGE, 0, 1, 0), -ENOENT);

	ck_assert_int_eq(qat_sim_pri_connect(dev0, report_dropped, NULL), 0);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, 4 * psz, 1),
			 -ENOENT);
	qat_sim_pri_disconnect(dev0);
	qat_sim_dma_test_wait_ms = 200;
	ck_assert_int_eq(qat_sim_pri_connect(dev0, report_silent, &silent), 0);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, 4 * psz, 1),
			 -ETIMEDOUT);
	qat_sim_pri_disconnect(dev0);
	qat_sim_dma_test_wait_ms = 0;
	ck_assert_int_eq(silent, 4);
	ck_assert(!present(p));
	/* 600 aborted transfers later, more than the device's 512 group
	 * indexes: none was kept. */
	ck_assert_int_eq(qat_sim_pri_connect(dev0, report_dropped, NULL), 0);
	for (i = 0; i < 600; i++)
		ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, psz, 1),
				 -ENOENT);
	qat_sim_pri_disconnect(dev0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &sink), 0);
	ck_assert_int_eq(qat_sim_dma(dev0, 1, (uintptr_t)p, 4 * psz, 1), 4);
	ck_assert_uint_eq(p[0], QAT_SIM_DMA_BYTE((uintptr_t)p, 1));
	munmap(p, 4 * psz);
}
END_TEST

struct dma_arg {
	unsigned char *p;
	size_t len;
	int ret;
};

static void *dma_thread(void *arg)
{
	struct dma_arg *a = arg;

	a->ret = qat_sim_dma(dev0, 2, (uintptr_t)a->p, a->len, 1);
	return NULL;
}

/* Concurrent transfers share the 512 group indexes and still finish. */
START_TEST(sim_dma_concurrent)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), n = 2048;
	struct qat_iopf_sink sink = { .type = QAT_IOPF_SINK_SIM };
	unsigned char *p = mmap(NULL, 4 * n * psz, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dma_arg a[4];
	pthread_t t[4];
	int i;

	ck_assert(p != MAP_FAILED);
	q = queue_new(2, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &sink), 0);
	for (i = 0; i < 4; i++) {
		a[i] = (struct dma_arg){ p + i * n * psz, n * psz, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, dma_thread, &a[i]),
				 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(a[i].ret, (int)n);
	}
	ck_assert_uint_eq(p[4 * n * psz - 1],
			  QAT_SIM_DMA_BYTE((uintptr_t)(p + 4 * n * psz - 1), 2));
	munmap(p, 4 * n * psz);
}
END_TEST

/* QAT_IOPF_QUEUE_NUMA: the workers run on the node's CPUs only. */
static cpu_set_t worker_cpus;

static int record_cpus(struct qat_dev *dev, const struct qat_iopf_fault *f,
		       void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	pthread_mutex_lock(&mu);
	worker_cpus = set;
	pthread_mutex_unlock(&mu);
	return QAT_IOPF_SUCCESS;
}

START_TEST(numa_node_workers)
{
	struct qat_iopf_queue_opts o = { .sz = sizeof(o), .workers = 2,
					 .flags = QAT_IOPF_QUEUE_NUMA };
	struct qat_iopf_handler h = { record_cpus, NULL };
	struct bitmask *node;
	cpu_set_t set;
	unsigned int cpu;

	ck_assert_int_ge(numa_available(), 0); /* as the irq suite needs */
	ck_assert_int_eq(qat_iopf_queue_alloc("numa", &o, &q), 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, &h, &test_sink), 0);
	report(dev0, PV | LAST, 1, 1, 0x1000);
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
	pthread_mutex_lock(&mu);
	set = worker_cpus;
	pthread_mutex_unlock(&mu);
	node = numa_allocate_cpumask();
	ck_assert_int_eq(numa_node_to_cpus(0, node), 0);
	ck_assert_int_gt(CPU_COUNT(&set), 0);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			ck_assert_msg(numa_bitmask_isbitset(node, cpu),
				      "worker may run on cpu %u, not on node 0",
				      cpu);
	numa_free_cpumask(node);
}
END_TEST

/* A forked child has no workers: waiting calls refuse at once. */
START_TEST(forked_child_refuses_to_wait)
{
	pid_t pid;

	q = queue_new(1, 0, 0);
	add_test_dev(dev0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ok = qat_iopf_flush_dev(q, dev0) == -ECHILD &&
			 qat_iopf_queue_remove_device(q, dev0) == -ECHILD;

		qat_iopf_queue_free(q); /* does nothing in the child */
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(report(dev0, PV | LAST, 1, 1, 0x1000), 0);
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
}
END_TEST

/* --- arguments ----------------------------------------------------------- */

START_TEST(args)
{
	struct qat_iopf_queue_opts o = { .sz = sizeof(o) };
	struct qat_iopf_sink bad = { .type = 7 };
	struct qat_iopf_sink nofn = { .type = QAT_IOPF_SINK_CALLBACK };
	struct qat_iopf_sink badfd = { .type = QAT_IOPF_SINK_FD, .fd = -1 };
	struct qat_iopf_fault f = { .flags = LAST };
	struct qat_iopf_stats st;
	struct qat_iopf_queue *nq = NULL;

	ck_assert_int_eq(qat_iopf_queue_alloc("x", NULL, NULL), -EINVAL);
	o.flags = 1u << 7;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	o.flags = 0;
	o.workers = 65;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	o.workers = 1;
	o.max_partial = 10;
	o.max_outstanding = 5;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	o.max_outstanding = 0;
	o.flags = QAT_IOPF_QUEUE_NUMA;
	o.numa_node = -1;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	o.numa_node = 4096;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	o.numa_node = 0;
	o.sz = 4;
	ck_assert_int_eq(qat_iopf_queue_alloc("x", &o, &nq), -EINVAL);
	ck_assert_ptr_null(nq);
	o.sz = sizeof(o);
	ck_assert_int_eq(qat_iopf_queue_alloc(NULL, &o, &q), 0);
	qat_iopf_queue_free(NULL);

	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &bad),
			 -EINVAL);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &nofn),
			 -EINVAL);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &badfd),
			 -EINVAL);
	badfd.fd = 999999;
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &badfd),
			 -EINVAL);
	ck_assert_int_eq(qat_iopf_queue_add_device(NULL, dev0, NULL,
						   &test_sink), -EINVAL);
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), -ENOENT);
	add_test_dev(dev0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, NULL, &test_sink),
			 -EEXIST);
	ck_assert_int_eq(qat_iopf_report(q, dev0, NULL), -EINVAL);
	ck_assert_int_eq(qat_iopf_report(NULL, dev0, &f), -EINVAL);
	f.flags = 1u << 5;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), -EINVAL);
	f.flags = LAST;
	f.perm = 1u << 4;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), -EINVAL);
	f.perm = 0;
	f.flags = LAST | QAT_IOPF_PASID_VALID;
	f.pasid = 1u << 20;
	ck_assert_int_eq(qat_iopf_report(q, dev0, &f), -EINVAL);
	ck_assert_int_eq(qat_iopf_report(q, dev1, &f), -EINVAL);
	ck_assert_int_eq(qat_iopf_flush_dev(q, NULL), -EINVAL);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev1), -ENOENT);
	ck_assert_int_eq(qat_iopf_discard_partial(NULL), -EINVAL);
	ck_assert_int_eq(qat_iopf_stats(q, dev1, &st), -ENOENT);
	ck_assert_int_eq(qat_iopf_stats(q, NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_iopf_attach_fd(q, dev0, -1), -EBADF);
	ck_assert_int_eq(qat_iopf_attach_fd(q, dev1, 0), -ENOENT);
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, NULL), -EINVAL);
	ck_assert_int_eq(qat_iopf_queue_remove_device(q, dev1), -ENOENT);
	ck_assert_int_eq(qat_sim_dma(NULL, 0, 0, 1, 0), -EINVAL);
	ck_assert_int_eq(qat_sim_dma(dev0, 0, UINT64_MAX, 2, 0), -EINVAL);
}
END_TEST

/* A handler may not wait for its own queue. */
static int deadlock_rc[3];

static int self_calling(struct qat_dev *dev, const struct qat_iopf_fault *f,
			void *arg)
{
	deadlock_rc[0] = qat_iopf_flush_dev(q, dev);
	deadlock_rc[1] = qat_iopf_queue_remove_device(q, dev);
	deadlock_rc[2] = 1;
	return QAT_IOPF_SUCCESS;
}

START_TEST(handler_cannot_wait_on_own_queue)
{
	struct qat_iopf_handler h = { self_calling, NULL };

	q = queue_new(1, 0, 0);
	ck_assert_int_eq(qat_iopf_queue_add_device(q, dev0, &h, &test_sink),
			 0);
	report(dev0, PV | LAST, 1, 1, 0x1000);
	ck_assert_int_eq(wait_for(&nresp, 1), 1);
	ck_assert_int_eq(qat_iopf_flush_dev(q, dev0), 0);
	ck_assert_int_eq(deadlock_rc[2], 1);
	ck_assert_int_eq(deadlock_rc[0], -EDEADLK);
	ck_assert_int_eq(deadlock_rc[1], -EDEADLK);
}
END_TEST

Suite *iopf_suite(void)
{
	Suite *s = suite_create("iopf");
	TCase *grp = tcase_create("groups");
	TCase *life = tcase_create("lifecycle");
	TCase *res = tcase_create("resolve");
	TCase *src = tcase_create("sources");

	tcase_add_checked_fixture(grp, setup, teardown);
	tcase_add_test(grp, group_waits_for_last);
	tcase_add_test(grp, interleaved_devices_pasids);
	tcase_add_test(grp, many_pasids_one_group_id);
	tcase_add_test(grp, out_of_order_completion);
	tcase_add_test(grp, sticky_errors);
	tcase_add_test(grp, bound_refuses);
	tcase_add_test(grp, refusal_notes_bounded);
	tcase_add_test(grp, nomem_answers_failure);
	suite_add_tcase(s, grp);

	tcase_add_checked_fixture(life, setup, teardown);
	tcase_add_test(life, flush_under_load);
	tcase_add_test(life, discard_partials);
	tcase_add_test(life, remove_with_pending);
	tcase_add_test(life, free_answers_pending);
	tcase_add_test(life, handler_cannot_wait_on_own_queue);
	tcase_add_test(life, args);
	tcase_add_test(life, numa_node_workers);
	tcase_add_test(life, forked_child_refuses_to_wait);
	suite_add_tcase(s, life);

	tcase_add_checked_fixture(res, setup, teardown);
	tcase_add_test(res, default_handler_mappings);
	tcase_add_test(res, default_handler_in_pool);
	tcase_add_test(res, default_handler_memory_is_safe);
	suite_add_tcase(s, res);

	tcase_add_checked_fixture(src, setup, teardown);
	tcase_add_test(src, iommufd_socketpair);
	tcase_add_test(src, sim_dma_fresh_memory);
	tcase_add_test(src, sim_dma_answers);
	tcase_add_test(src, sim_dma_concurrent);
	suite_add_tcase(s, src);
	return s;
}
