/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events: subscriptions across processes, ordering, exact
 * overflow counts, dead subscribers, fork, filters, wakeups, sources.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "state_priv.h"

static struct qat_rt *rt;

static void setup(void)
{
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_sim_conf(qt_dir, "c62x", 1, "SimStarted = 0\n", NULL);
	rt = qt_rt_open(qt_dir);
}

static void teardown(void)
{
	qat_rt_close(rt);
	rt = NULL;
	qt_dir_teardown();
}

static struct qat_state_sub *subscribe(unsigned int mask, unsigned int flags)
{
	struct qat_state_sub_opts o = { .sz = sizeof(o), .flags = flags };
	struct qat_state_sub *sub = NULL;
	int ret = qat_state_subscribe(rt, mask, &o, &sub);

	ck_assert_msg(ret == 0, "subscribe: %s", qat_strerror(ret));
	ck_assert_ptr_nonnull(sub);
	return sub;
}

static void publish(unsigned int dev, int event)
{
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, dev), event), 0);
}

static struct qat_state_event expect(struct qat_state_sub *sub,
				     unsigned int dev_id, int event)
{
	struct qat_state_event ev;
	int ret = qat_state_read(sub, &ev);

	ck_assert_msg(ret == 0, "read: %s", qat_strerror(ret));
	ck_assert_uint_eq(ev.dev_id, dev_id);
	ck_assert_int_eq(ev.event, event);
	return ev;
}

static void expect_none(struct qat_state_sub *sub)
{
	struct qat_state_event ev;

	ck_assert_int_eq(qat_state_read(sub, &ev), -EAGAIN);
}

/* poll() readiness, waiting at most ms. */
static int readable(struct qat_state_sub *sub, int ms)
{
	struct pollfd p = { .fd = qat_state_fd(sub), .events = POLLIN };

	ck_assert_int_ge(p.fd, 0);
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Children report through their exit status, never through ck_assert
 * (which belongs to the test's own process). */
#define CHILD_CHECK(cond, code)                                              \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "child %d: %s failed (line %d)\n",   \
				(int)getpid(), #cond, __LINE__);             \
			_exit(code);                                         \
		}                                                            \
	} while (0)

static void wait_byte(int fd)
{
	char c;

	ck_assert_int_eq(read(fd, &c, 1), 1);
}

START_TEST(bad_values)
{
	struct {
		struct qat_state_sub_opts o;
		unsigned long future;
	} big = { .o.sz = sizeof(big), .future = 1 };
	struct qat_state_sub_opts o = { .sz = sizeof(o) };
	struct qat_state_sub *sub = QT_SENTINEL;
	struct qat_state_event ev;
	struct qat_adf_state adf;
	struct qat_rt *other;
	char *dir2;

	ck_assert_int_eq(qat_state_subscribe(NULL, 0, NULL, &sub), -EINVAL);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_subscribe(rt, 1u << QAT_EVENT_COUNT, NULL,
					     &sub), -EINVAL);
	ck_assert_int_eq(qat_state_subscribe(rt, ~0u, NULL, &sub), -EINVAL);
	o.flags = 1u << 7;
	ck_assert_int_eq(qat_state_subscribe(rt, 0, &o, &sub), -EINVAL);
	o.flags = 0;
	o.sz = 1;
	ck_assert_int_eq(qat_state_subscribe(rt, 0, &o, &sub), -EINVAL);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, &big.o, &sub), -EINVAL);
	qt_assert_untouched(sub);
	big.future = 0; /* a newer caller's options are fine while zero */
	ck_assert_int_eq(qat_state_subscribe(rt, 0, &big.o, &sub), 0);

	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, 0), -1), -EINVAL);
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, 0),
					   QAT_EVENT_COUNT), -EINVAL);
	ck_assert_int_eq(qat_state_publish(NULL, qt_dev_at(rt, 0), 4), -EINVAL);
	ck_assert_int_eq(qat_state_publish(rt, NULL, 4), -EINVAL);
	dir2 = qt_tmpdir();
	qt_sim_conf(dir2, "4xxx", 0, NULL, NULL);
	other = qt_rt_open(dir2);
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(other, 0), 4),
			 -EINVAL);
	qat_rt_close(other);
	qt_tmpdir_free(dir2);

	ck_assert_int_eq(qat_sim_inject_event(qt_dev_at(rt, 0), 11), -EINVAL);
	ck_assert_int_eq(qat_sim_inject_event(qt_dev_at(rt, 0), -5), -EINVAL);
	ck_assert_int_eq(qat_sim_inject_event(NULL, 4), -EINVAL);

	ck_assert_int_eq(qat_state_read(NULL, &ev), -EINVAL);
	ck_assert_int_eq(qat_state_read(sub, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_read_adf(sub, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_read_adf(NULL, &adf), -EINVAL);
	ck_assert_int_eq(qat_state_fd(NULL), -EINVAL);
	ck_assert_int_eq(qat_state_lost(NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_lost(sub, NULL, NULL), 0);
	ck_assert_int_eq(qat_dev_state(NULL), -EINVAL);
	/* Nothing above was published. */
	expect_none(sub);
	qat_state_unsubscribe(sub);
	qat_state_unsubscribe(NULL);
}
END_TEST

START_TEST(record_fields)
{
	struct qat_state_sub *sub = subscribe(0, 0);
	struct qat_state_event a, b;
	struct qat_adf_state adf;
	struct timespec ts;
	uint64_t t0, t1;

	ck_assert_int_eq(sizeof(struct qat_adf_state), 8);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	publish(1, QAT_EVENT_ERROR);
	publish(0, QAT_EVENT_RESTARTING);
	publish(1, QAT_EVENT_RESTARTED);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;

	a = expect(sub, 1, QAT_EVENT_ERROR);
	b = expect(sub, 0, QAT_EVENT_RESTARTING);
	ck_assert_uint_eq(b.seq, a.seq + 1);
	ck_assert_uint_ge(a.timestamp_ns, t0);
	ck_assert_uint_le(a.timestamp_ns, b.timestamp_ns);
	ck_assert_uint_le(b.timestamp_ns, t1);
	ck_assert_uint_eq(a.flags, 0);
	/* The kernel's record layout, for ported code. */
	ck_assert_int_eq(qat_state_read_adf(sub, &adf), 0);
	ck_assert_int_eq(adf.dev_state, QAT_EVENT_RESTARTED);
	ck_assert_int_eq(adf.dev_id, 1);
	ck_assert_int_eq(qat_state_read_adf(sub, &adf), -EAGAIN);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 1)), QAT_EVENT_RESTARTED);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 0)), QAT_EVENT_RESTARTING);
	qat_state_unsubscribe(sub);
}
END_TEST

START_TEST(filters)
{
	struct qat_state_sub *dflt = subscribe(0, 0);
	struct qat_state_sub *life = subscribe(QAT_EVENT_MASK_LIFECYCLE, 0);
	struct qat_state_sub *err = subscribe(QAT_EVENT_BIT(QAT_EVENT_ERROR), 0);
	struct qat_state_sub *dbg = subscribe(QAT_EVENT_MASK_DEBUG, 0);
	struct qat_state_sub *all = subscribe(QAT_EVENT_MASK_ALL, 0);
	int e;

	for (e = 0; e < QAT_EVENT_COUNT; e++)
		publish(0, e);
	/* Default: what /dev/qat_dev_state queues. */
	expect(dflt, 0, QAT_EVENT_RESTARTING);
	expect(dflt, 0, QAT_EVENT_RESTARTED);
	expect(dflt, 0, QAT_EVENT_ERROR);
	expect_none(dflt);
	for (e = QAT_EVENT_INIT; e <= QAT_EVENT_SHUTDOWN; e++)
		expect(life, 0, e);
	expect_none(life);
	expect(err, 0, QAT_EVENT_ERROR);
	expect_none(err);
	for (e = QAT_EVENT_PROC_CRASH; e <= QAT_EVENT_DBG_SHUTDOWN; e++)
		expect(dbg, 0, e);
	expect_none(dbg);
	for (e = 0; e < QAT_EVENT_COUNT; e++)
		expect(all, 0, e);
	expect_none(all);
	/* A subscriber that filters everything out is not woken for it. */
	publish(1, QAT_EVENT_START);
	ck_assert_int_eq(readable(err, 0), 0);
	ck_assert_int_eq(readable(life, 0), 1);
	qat_state_unsubscribe(dflt);
	qat_state_unsubscribe(life);
	qat_state_unsubscribe(err);
	qat_state_unsubscribe(dbg);
	qat_state_unsubscribe(all);
}
END_TEST

START_TEST(current_state_first)
{
	struct qat_state_sub *sub, *plain;
	struct qat_state_event ev;

	/* Before anything is published: derived from the devices. */
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 0)), QAT_EVENT_START);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 1)), QAT_EVENT_INIT);
	publish(1, QAT_EVENT_ERROR);
	plain = subscribe(0, 0);
	sub = subscribe(QAT_EVENT_BIT(QAT_EVENT_RESTARTED),
			QAT_STATE_SUB_CURRENT);
	/* Readable at once: the current states are queued. */
	ck_assert_int_eq(readable(sub, 0), 1);
	ck_assert_int_eq(readable(plain, 0), 0);
	ev = expect(sub, 0, QAT_EVENT_START);
	ck_assert_uint_eq(ev.flags, QAT_STATE_EV_CURRENT);
	ck_assert_uint_eq(ev.seq, 0);
	ev = expect(sub, 1, QAT_EVENT_ERROR);
	ck_assert_uint_eq(ev.flags, QAT_STATE_EV_CURRENT);
	ck_assert_uint_ge(ev.seq, 1);
	/* Then published events, after the current states, by the mask. */
	publish(1, QAT_EVENT_RESTARTING);
	publish(1, QAT_EVENT_RESTARTED);
	ev = expect(sub, 1, QAT_EVENT_RESTARTED);
	ck_assert_uint_eq(ev.flags, 0);
	expect_none(sub);
	ck_assert_int_eq(qat_state_read(plain, &ev), 0);
	qat_state_unsubscribe(plain);
	qat_state_unsubscribe(sub);
}
END_TEST

START_TEST(reset_publishes)
{
	struct qat_state_sub *sub = subscribe(0, 0);

	ck_assert_int_eq(qat_dev_reset(qt_dev_at(rt, 1)), 0);
	expect(sub, 1, QAT_EVENT_RESTARTING);
	expect(sub, 1, QAT_EVENT_RESTARTED);
	expect_none(sub);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 1)), QAT_EVENT_RESTARTED);
	qat_state_unsubscribe(sub);
}
END_TEST

START_TEST(sim_sources)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);

	ck_assert_int_eq(qat_sim_inject_event(qt_dev_at(rt, 1),
					      QAT_EVENT_SLICE_HANG), 0);
	ck_assert_int_eq(qat_sim_inject_event(qt_dev_at(rt, 0),
					      QAT_EVENT_ERROR), 0);
	expect(sub, 1, QAT_EVENT_SLICE_HANG);
	expect(sub, 0, QAT_EVENT_ERROR);
	/* Start and stop are events when they change something. */
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 0), 0);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 0), 0);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 1), 0);
	expect(sub, 0, QAT_EVENT_STOP);
	expect(sub, 0, QAT_EVENT_START);
	expect_none(sub);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 0)), QAT_EVENT_START);
	qat_state_unsubscribe(sub);
}
END_TEST

/* RING + N events to a subscriber that does not read: exactly N lost. */
START_TEST(overflow_exact)
{
	const unsigned int n = 37, ring = QAT_STATE_RING_EVENTS;
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	struct qat_state_event ev;
	uint64_t last = 1, total = 1, first;
	unsigned int i;

	for (i = 0; i < ring + n; i++)
		publish(i % 2, (int)(i % QAT_EVENT_COUNT));
	ck_assert_int_eq(qat_state_lost(sub, &last, &total), 0);
	ck_assert_uint_eq(last, 0);
	ck_assert_uint_eq(total, 0);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EOVERFLOW);
	ck_assert_int_eq(qat_state_lost(sub, &last, &total), 0);
	ck_assert_uint_eq(last, n);
	ck_assert_uint_eq(total, n);
	/* Reading resumes with the oldest event kept, in order. */
	ev = expect(sub, n % 2, (int)(n % QAT_EVENT_COUNT));
	first = ev.seq;
	for (i = n + 1; i < ring + n; i++) {
		ev = expect(sub, i % 2, (int)(i % QAT_EVENT_COUNT));
		ck_assert_uint_eq(ev.seq, first + (i - n));
	}
	expect_none(sub);
	publish(1, QAT_EVENT_ERROR);
	ev = expect(sub, 1, QAT_EVENT_ERROR);
	ck_assert_uint_eq(ev.seq, first + ring);

	/* Lapped again, twice over: the totals add up. */
	for (i = 0; i < 3 * ring; i++)
		publish(0, QAT_EVENT_START);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EOVERFLOW);
	ck_assert_int_eq(qat_state_lost(sub, &last, &total), 0);
	ck_assert_uint_eq(last, 2 * ring);
	ck_assert_uint_eq(total, n + 2 * ring);
	for (i = 0; i < ring; i++)
		expect(sub, 0, QAT_EVENT_START);
	expect_none(sub);
	qat_state_unsubscribe(sub);
}
END_TEST

/* Only events of the subscriber's mask count as lost. */
START_TEST(overflow_counts_mask_only)
{
	const unsigned int ring = QAT_STATE_RING_EVENTS, extra = 100;
	struct qat_state_sub *err = subscribe(QAT_EVENT_BIT(QAT_EVENT_ERROR), 0);
	struct qat_state_sub *stop = subscribe(QAT_EVENT_BIT(QAT_EVENT_STOP), 0);
	struct qat_state_event ev;
	uint64_t last;
	unsigned int i;

	/* Odd events are errors; STOP is never published. */
	for (i = 1; i <= ring + extra; i++)
		publish(0, i % 2 ? QAT_EVENT_ERROR : QAT_EVENT_START);
	ck_assert_int_eq(qat_state_read(err, &ev), -EOVERFLOW);
	ck_assert_int_eq(qat_state_lost(err, &last, NULL), 0);
	ck_assert_uint_eq(last, extra / 2);
	for (i = 0; i < ring / 2; i++)
		expect(err, 0, QAT_EVENT_ERROR);
	expect_none(err);
	/* Lapped, but nothing of its kind was lost: no overflow. */
	publish(1, QAT_EVENT_STOP);
	expect(stop, 1, QAT_EVENT_STOP);
	expect_none(stop);
	ck_assert_int_eq(qat_state_lost(stop, &last, NULL), 0);
	ck_assert_uint_eq(last, 0);
	qat_state_unsubscribe(err);
	qat_state_unsubscribe(stop);
}
END_TEST

/* A subscriber in another process; it reports through its exit status. */
#define EVENTS_PER_DEV 400

static int child_expect(struct qat_state_sub **subs, unsigned int nsubs)
{
	unsigned int got[8][2] = { { 0 } }, done = 0, i;
	uint64_t last_seq[8] = { 0 };
	struct qat_state_event ev;
	struct pollfd p[8];
	int ret;

	for (i = 0; i < nsubs; i++)
		p[i] = (struct pollfd){ .fd = qat_state_fd(subs[i]),
					.events = POLLIN };
	while (done < nsubs) {
		CHILD_CHECK(poll(p, nsubs, 20000) > 0, 10);
		for (i = 0; i < nsubs; i++) {
			while ((ret = qat_state_read(subs[i], &ev)) == 0) {
				unsigned int d = ev.dev_id, k;

				CHILD_CHECK(d < 2, 11);
				CHILD_CHECK(ev.seq > last_seq[i], 12);
				last_seq[i] = ev.seq;
				k = got[i][d]++;
				/* Per device, in publish order. */
				CHILD_CHECK(ev.event == (int)((k + d) %
						QAT_EVENT_COUNT), 13);
				if (got[i][0] + got[i][1] == 2 * EVENTS_PER_DEV)
					done++;
			}
			CHILD_CHECK(ret == -EAGAIN, 14);
		}
	}
	for (i = 0; i < nsubs; i++)
		CHILD_CHECK(got[i][0] == EVENTS_PER_DEV &&
			    got[i][1] == EVENTS_PER_DEV, 15);
	return 0;
}

static void child_subscriber(int ready, unsigned int nsubs)
{
	struct qat_state_sub *subs[8];
	struct qat_rt *crt = NULL;
	unsigned int i;

	CHILD_CHECK(qt_rt_try_open(qt_dir, &crt) == 0, 2);
	for (i = 0; i < nsubs; i++)
		CHILD_CHECK(qat_state_subscribe(crt, QAT_EVENT_MASK_ALL, NULL,
						&subs[i]) == 0, 3);
	CHILD_CHECK(write(ready, "r", 1) == 1, 4);
	close(ready);
	child_expect(subs, nsubs);
	for (i = 0; i < nsubs; i++)
		qat_state_unsubscribe(subs[i]);
	qat_rt_close(crt);
	_exit(0);
}

static void publish_series(struct qat_rt *r, unsigned int d)
{
	struct qat_dev *dev = NULL;
	unsigned int k;

	qat_dev_get(r, d, &dev);
	for (k = 0; k < EVENTS_PER_DEV; k++)
		CHILD_CHECK(qat_state_publish(r, dev, (int)((k + d) %
						QAT_EVENT_COUNT)) == 0, 20);
}

/* 32 subscribers in 8 processes; two publishers in two processes. */
START_TEST(fan_out_across_processes)
{
	pid_t kids[8], pub;
	int p[2], go[2], i;
	struct qat_rt *crt = NULL;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < 8; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0)
			child_subscriber(p[1], 4);
	}
	/* A child that fails before its byte ends the wait (EOF), not the
	 * test's timeout. */
	close(p[1]);
	for (i = 0; i < 8; i++)
		wait_byte(p[0]);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 32);
	pub = fork();
	ck_assert_int_ge(pub, 0);
	if (pub == 0) {
		CHILD_CHECK(qt_rt_try_open(qt_dir, &crt) == 0, 2);
		CHILD_CHECK(read(go[0], &c, 1) == 1, 3);
		publish_series(crt, 1);
		_exit(0);
	}
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	publish_series(rt, 0);
	ck_assert_int_eq(qt_reap(pub), 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(qt_reap(kids[i]), 0);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 0);
}
END_TEST

/* poll() and epoll wake as soon as another process publishes. */
START_TEST(wakeup_across_processes)
{
	struct qat_state_sub *sub = subscribe(0, 0);
	struct epoll_event ee = { .events = EPOLLIN | EPOLLET }, out;
	struct qat_rt *crt = NULL;
	int ep, go[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(go), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(ep, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, qat_state_fd(sub), &ee),
			 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(qt_rt_try_open(qt_dir, &crt) == 0, 2);
		CHILD_CHECK(read(go[0], &c, 1) == 1, 3);
		usleep(100 * 1000); /* the parent is asleep in poll() */
		CHILD_CHECK(qat_state_publish(crt, qt_dev_at(crt, 1),
					      QAT_EVENT_ERROR) == 0, 4);
		CHILD_CHECK(read(go[0], &c, 1) == 1, 5);
		CHILD_CHECK(qat_state_publish(crt, qt_dev_at(crt, 0),
					      QAT_EVENT_RESTARTING) == 0, 6);
		_exit(0);
	}
	ck_assert_int_eq(readable(sub, 0), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	/* Bounded wait: readiness well before the timeout is the test. */
	ck_assert_int_eq(readable(sub, 5000), 1);
	expect(sub, 1, QAT_EVENT_ERROR);
	expect_none(sub);
	/* Edge-triggered epoll: reading to -EAGAIN re-arms it. */
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 0), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	expect(sub, 0, QAT_EVENT_RESTARTING);
	expect_none(sub);
	ck_assert_int_eq(readable(sub, 0), 0);
	ck_assert_int_eq(qt_reap(pid), 0);
	close(ep);
	qat_state_unsubscribe(sub);
}
END_TEST

/* The descriptor stays readable while events remain, read one by one. */
START_TEST(readable_until_drained)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	struct qat_state_event ev;
	int i;

	for (i = 0; i < 5; i++)
		publish(0, QAT_EVENT_START);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(readable(sub, 0), 1);
		ck_assert_int_eq(qat_state_read(sub, &ev), 0);
	}
	expect_none(sub);
	ck_assert_int_eq(readable(sub, 0), 0);
	qat_state_unsubscribe(sub);
}
END_TEST

/* Every slot taken, one publish: every descriptor is readable, so the
 * nudges fit in the publisher's socket buffer. */
START_TEST(all_slots_woken)
{
	struct qat_state_sub *subs[QAT_STATE_MAX_SUBSCRIBERS], *extra = QT_SENTINEL;
	unsigned int i;

	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		subs[i] = subscribe(0, 0);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &extra), -ENOSPC);
	qt_assert_untouched(extra);
	publish(0, QAT_EVENT_ERROR);
	publish(1, QAT_EVENT_ERROR);
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		ck_assert_msg(readable(subs[i], 0), "subscriber %u asleep", i);
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
		expect(subs[i], 0, QAT_EVENT_ERROR);
		expect(subs[i], 1, QAT_EVENT_ERROR);
		qat_state_unsubscribe(subs[i]);
	}
	ck_assert_int_eq(qat_state_live_subscribers(rt), 0);
}
END_TEST

/* A process that subscribes, signals, then waits to be killed. */
static pid_t spawn_sleeper(int with_grandchild, pid_t *grandchild)
{
	struct qat_state_sub *sub;
	struct qat_rt *crt = NULL;
	int p[2];
	pid_t pid, gc = 0;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(qt_rt_try_open(qt_dir, &crt) == 0, 2);
		CHILD_CHECK(qat_state_subscribe(crt, QAT_EVENT_MASK_ALL, NULL,
						&sub) == 0, 3);
		if (with_grandchild) {
			gc = fork();
			CHILD_CHECK(gc >= 0, 4);
			if (gc > 0)
				for (;;)
					pause();
			/* The grandchild reports: its fork handlers ran. */
			gc = getpid();
		}
		CHILD_CHECK(write(p[1], &gc, sizeof(gc)) == sizeof(gc), 5);
		for (;;)
			pause();
	}
	close(p[1]); /* a child that fails: EOF, not a hang */
	ck_assert_int_eq(read(p[0], &gc, sizeof(gc)), sizeof(gc));
	close(p[0]);
	if (grandchild)
		*grandchild = gc;
	return pid;
}

static void kill_wait(pid_t pid)
{
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}

START_TEST(killed_subscriber)
{
	struct qat_state_sub *subs[QAT_STATE_MAX_SUBSCRIBERS], *extra = NULL;
	struct qat_state_sub *live = subscribe(QAT_EVENT_MASK_ALL, 0);
	pid_t pid = spawn_sleeper(0, NULL);
	unsigned int i;
	uint64_t last;

	ck_assert_int_eq(qat_state_live_subscribers(rt), 2);
	publish(0, QAT_EVENT_ERROR); /* it has a nudge queued when it dies */
	kill_wait(pid);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 1);
	/* Publishers are not held up: many events, all seen by the live. */
	for (i = 0; i < 3 * QAT_STATE_RING_EVENTS; i++)
		publish(i % 2, QAT_EVENT_RESTARTING);
	ck_assert_int_eq(qat_state_read(live, &(struct qat_state_event){ 0 }),
			 -EOVERFLOW);
	ck_assert_int_eq(qat_state_lost(live, &last, NULL), 0);
	ck_assert_uint_eq(last, 2 * QAT_STATE_RING_EVENTS + 1);
	qat_state_unsubscribe(live);
	/* Its slot is back: the whole table can be taken again. */
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		subs[i] = subscribe(0, 0);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &extra), -ENOSPC);
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		qat_state_unsubscribe(subs[i]);
}
END_TEST

/* Killed before any publish noticed: a new subscriber takes its slot. */
START_TEST(killed_slot_taken_over)
{
	struct qat_state_sub *subs[QAT_STATE_MAX_SUBSCRIBERS];
	pid_t pids[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		pids[i] = spawn_sleeper(0, NULL);
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS - 4; i++)
		subs[i] = subscribe(0, 0);
	for (i = 0; i < 4; i++)
		kill_wait(pids[i]);
	for (i = QAT_STATE_MAX_SUBSCRIBERS - 4; i < QAT_STATE_MAX_SUBSCRIBERS;
	     i++)
		subs[i] = subscribe(0, 0);
	ck_assert_int_eq(qat_state_live_subscribers(rt),
			 QAT_STATE_MAX_SUBSCRIBERS);
	publish(0, QAT_EVENT_ERROR);
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
		expect(subs[i], 0, QAT_EVENT_ERROR);
		qat_state_unsubscribe(subs[i]);
	}
}
END_TEST

/* A child does not inherit subscriptions (nor keeps the parent's alive). */
START_TEST(fork_semantics)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	struct qat_state_sub *mine;
	struct qat_state_event ev;
	pid_t pid, gc;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(qat_state_read(sub, &ev) == -EBADF, 2);
		CHILD_CHECK(qat_state_fd(sub) == -EBADF, 3);
		/* The inherited runtime still works, for new subscriptions
		 * and for publishing. */
		CHILD_CHECK(qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL,
						&mine) == 0, 4);
		CHILD_CHECK(qat_state_publish(rt, qt_dev_at(rt, 1),
					      QAT_EVENT_ERROR) == 0, 5);
		CHILD_CHECK(qat_state_read(mine, &ev) == 0, 6);
		CHILD_CHECK(ev.dev_id == 1 && ev.event == QAT_EVENT_ERROR, 7);
		/* Releasing the inherited handle leaves the parent's be. */
		qat_state_unsubscribe(sub);
		qat_state_unsubscribe(mine);
		_exit(0);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_eq(readable(sub, 0), 1);
	expect(sub, 1, QAT_EVENT_ERROR);
	expect_none(sub);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 1);
	publish(0, QAT_EVENT_STOP);
	expect(sub, 0, QAT_EVENT_STOP);
	qat_state_unsubscribe(sub);

	/* A subscriber killed while its forked child lives on: the child
	 * holds nothing, so the slot is dead. */
	pid = spawn_sleeper(1, &gc);
	ck_assert_int_gt(gc, 0);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 1);
	kill_wait(pid);
	ck_assert_int_eq(qat_state_live_subscribers(rt), 0);
	ck_assert_int_eq(kill(gc, SIGKILL), 0); /* not our child to reap */
}
END_TEST

/* A publisher that dies holding the lock mid-record blocks no one. */
START_TEST(publisher_dies_mid_write)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	struct qat_state_rt *st;
	struct st_rec *r;
	pid_t pid;

	publish(0, QAT_EVENT_START);
	ck_assert_int_eq(qat_state_attach(rt, &st), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(qat_state_lock(&st->shm) == 0, 2);
		r = &st->seg->ring[(st->seg->head + 1) %
				   QAT_STATE_RING_EVENTS];
		r->seq = (st->seg->head + 1) | ST_BUSY;
		r->event = 99;
		st->seg->cnt[QAT_EVENT_ERROR] += 5; /* half-done bookkeeping */
		raise(SIGKILL);
	}
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	expect(sub, 0, QAT_EVENT_START);
	expect_none(sub);
	publish(1, QAT_EVENT_ERROR);
	expect(sub, 1, QAT_EVENT_ERROR);
	expect_none(sub);
	ck_assert_uint_eq(st->shm.hdr->repairs, 1);
	qat_state_unsubscribe(sub);
	/* The repaired counts are right: a new subscriber that laps loses
	 * exactly what it should. */
	sub = subscribe(QAT_EVENT_BIT(QAT_EVENT_ERROR), 0);
	{
		uint64_t last;
		unsigned int i;

		for (i = 0; i < QAT_STATE_RING_EVENTS + 3; i++)
			publish(0, QAT_EVENT_ERROR);
		ck_assert_int_eq(qat_state_read(sub, &(struct qat_state_event)
						 { 0 }), -EOVERFLOW);
		ck_assert_int_eq(qat_state_lost(sub, &last, NULL), 0);
		ck_assert_uint_eq(last, 3);
	}
	qat_state_unsubscribe(sub);
}
END_TEST

/* Processes that disagree on what a dev id means cannot share events. */
static char log_last[512];

static void log_keep(enum qat_log_level level, const char *msg, void *arg)
{
	snprintf(log_last, sizeof(log_last), "%s", msg);
}

/* A registry path that leaves no room for the wakeup socket's address
 * (108 bytes): -ENAMETOOLONG, logged with the advice, `*out` untouched;
 * the slot is given back each time (never -ENOSPC), and publishing still
 * works for the processes that can subscribe. */
START_TEST(wakeup_path_too_long)
{
	struct qat_state_sub *sub = QT_SENTINEL;
	struct qat_rt *lrt = NULL;
	char dir[4096], reg[4200];
	unsigned int i;

	snprintf(dir, sizeof(dir), "%s/%0100d", qt_dir, 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(reg, sizeof(reg), "%s/registry", dir);
	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, reg, &lrt), 0);
	log_last[0] = '\0';
	qat_set_log_fn(log_keep, NULL, QAT_LOG_ERR);
	for (i = 0; i <= QAT_STATE_MAX_SUBSCRIBERS; i++)
		ck_assert_int_eq(qat_state_subscribe(lrt, 0, NULL, &sub),
				 -ENAMETOOLONG);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	qt_assert_untouched(sub);
	ck_assert_msg(strstr(log_last, "too long for a socket"), "log: %s",
		      log_last);
	ck_assert_int_eq(qat_state_publish(lrt, qt_dev_at(lrt, 0),
					   QAT_EVENT_START), 0);
	qat_rt_close(lrt);
}
END_TEST

START_TEST(conflicting_devices)
{
	struct qat_rt *other = NULL;
	struct qat_state_sub *sub = NULL;
	char *dir2 = qt_tmpdir();
	char reg[4096];

	struct qat_state_sub *mine = subscribe(0, 0);
	char want[32];

	publish(0, QAT_EVENT_START);
	qt_sim_conf(dir2, "4xxx", 0, "SimPciAddress = 0000:3d:00.0\n", NULL);
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	ck_assert_int_eq(qt_rt_try_open_reg(dir2, reg, &other), 0);
	/* While a subscriber of the first configuration lives: refused,
	 * and the log names it. */
	log_last[0] = '\0';
	qat_set_log_fn(log_keep, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_state_subscribe(other, 0, NULL, &sub), -ESTALE);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	snprintf(want, sizeof(want), " %d", (int)getpid());
	ck_assert_ptr_nonnull(strstr(log_last, want));
	ck_assert_int_eq(qat_state_publish(other, qt_dev_at(other, 0), 4),
			 -ESTALE);
	/* None left: re-made for the new devices, by itself... */
	qat_state_unsubscribe(mine);
	ck_assert_int_eq(qat_state_subscribe(other, 0, NULL, &sub), 0);
	ck_assert_int_eq(qat_state_publish(other, qt_dev_at(other, 0), 4), 0);
	expect(sub, 0, QAT_EVENT_RESTARTING);
	/* ...and a process that had the old one open is told so. */
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, 0), 4), -ESTALE);
	qat_state_unsubscribe(sub);
	sub = NULL;
	qat_rt_close(other);
	qat_rt_close(rt);
	rt = qt_rt_open(qt_dir);
	publish(0, QAT_EVENT_START); /* no one on it: re-made for ours */
	/* A subset of the same devices is fine. */
	qt_tmpdir_free(dir2);
	dir2 = qt_tmpdir();
	qt_sim_conf(dir2, "c62x", 1, NULL, NULL);
	ck_assert_int_eq(qt_rt_try_open_reg(dir2, reg, &other), 0);
	ck_assert_int_eq(qat_state_subscribe(other, 0, NULL, &sub), 0);
	publish(1, QAT_EVENT_ERROR);
	{
		struct qat_state_event ev;

		ck_assert_int_eq(qat_state_read(sub, &ev), 0);
		ck_assert_uint_eq(ev.dev_id, 1);
	}
	qat_state_unsubscribe(sub);
	qat_rt_close(other);
	qt_tmpdir_free(dir2);
}
END_TEST

/* A subscription outlives its runtime. */
/*
 * A record another process scribbled on is refused with -EPROTO (and an
 * ERR line), whichever of its checks it fails: an event out of range,
 * counts that go backwards, a seqlock word older than the record it
 * holds. Nothing is taken from it: put right, the same record is read.
 */
static void corrupt_one(struct qat_state_sub *sub, void *field,
			const void *bad, size_t len, unsigned int dev_id,
			int event)
{
	struct qat_state_event ev = { .dev_id = 77, .event = 77 };
	unsigned char good[8];

	ck_assert_uint_le(len, sizeof(good));
	log_last[0] = '\0';
	memcpy(good, field, len);
	memcpy(field, bad, len);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EPROTO);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EPROTO); /* no skip */
	ck_assert_uint_eq(ev.dev_id, 77);
	ck_assert_msg(strstr(log_last, "corrupt record"), "log: %s", log_last);
	memcpy(field, good, len);
	expect(sub, dev_id, event);
}

START_TEST(corrupt_record_refused)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	const int32_t bad_event = QAT_EVENT_COUNT + 3;
	struct qat_state_rt *st;
	struct st_rec *r;
	uint64_t h, bad;

	ck_assert_int_eq(qat_state_attach(rt, &st), 0);
	qat_set_log_fn(log_keep, NULL, QAT_LOG_ERR);
	publish(0, QAT_EVENT_RESTARTING);
	publish(0, QAT_EVENT_RESTARTED);
	publish(1, QAT_EVENT_ERROR);
	h = st->seg->head; /* the ERROR record */
	expect(sub, 0, QAT_EVENT_RESTARTING);
	/* The RESTARTED record names an event that does not exist. */
	r = &st->seg->ring[(h - 1) % QAT_STATE_RING_EVENTS];
	corrupt_one(sub, &r->event, &bad_event, sizeof(bad_event), 0,
		    QAT_EVENT_RESTARTED);
	/* The ERROR record counts fewer ERRORs than it is one of. */
	r = &st->seg->ring[h % QAT_STATE_RING_EVENTS];
	bad = 0;
	corrupt_one(sub, &r->cum[QAT_EVENT_ERROR], &bad, sizeof(bad), 1,
		    QAT_EVENT_ERROR);
	/* A seqlock word older than the record this subscriber waits for
	 * (a newer one would mean it was lapped, which is no corruption). */
	publish(0, QAT_EVENT_ERROR);
	r = &st->seg->ring[(h + 1) % QAT_STATE_RING_EVENTS];
	bad = h;
	corrupt_one(sub, &r->seq, &bad, sizeof(bad), 0, QAT_EVENT_ERROR);
	expect_none(sub);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	qat_state_unsubscribe(sub);
}
END_TEST

START_TEST(outlives_runtime)
{
	struct qat_state_sub *sub = subscribe(0, 0);
	struct qat_rt *other = qt_rt_open(qt_dir);
	struct qat_state_event ev;

	qat_rt_close(rt);
	rt = NULL;
	ck_assert_int_eq(qat_state_publish(other, qt_dev_at(other, 0),
					   QAT_EVENT_ERROR), 0);
	ck_assert_int_eq(qat_state_read(sub, &ev), 0);
	ck_assert_int_eq(ev.event, QAT_EVENT_ERROR);
	qat_state_unsubscribe(sub);
	qat_rt_close(other);
}
END_TEST

static void req_seen(struct qat_dev *dev, unsigned int index,
		     unsigned int vector, void *arg)
{
	if (write(*(int *)arg, "s", 1) != 1)
		abort();
}

/* The ERR and REQ interrupts of a watched device publish events. */
START_TEST(watch_interrupts)
{
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	struct qat_dev *dev = qt_dev_at(rt, 0);
	int seen[2];

	ck_assert_int_eq(qat_state_watch(NULL, 0), -EINVAL);
	ck_assert_int_eq(qat_state_watch(dev, 1u << 5), -EINVAL);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), 0);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_ERR, 0), 1);
	ck_assert_int_eq(readable(sub, 5000), 1);
	expect(sub, 0, QAT_EVENT_ERROR);
	expect_none(sub); /* re-arms: readiness now means a new event */
	/* REQ: the kernel wants the device; it re-signals until it has it,
	 * and one SHUTDOWN is published per request. */
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_REQ, 0), 1);
	ck_assert_int_eq(readable(sub, 5000), 1);
	expect(sub, 0, QAT_EVENT_SHUTDOWN);
	expect_none(sub);
	/* Our own handler runs after the library's: once it has, the
	 * re-signal is handled, and the ERR raised after it is next. */
	ck_assert_int_eq(pipe(seen), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev, QAT_IRQ_REQ, 0, req_seen,
					     &seen[1]), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_REQ, 0), 1);
	wait_byte(seen[0]);
	ck_assert_int_eq(qat_irq_handler_remove(dev, QAT_IRQ_REQ, 0, req_seen,
						&seen[1]), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_ERR, 0), 1);
	ck_assert_int_eq(readable(sub, 5000), 1);
	expect(sub, 0, QAT_EVENT_ERROR); /* no second SHUTDOWN before it */
	expect_none(sub);
	ck_assert_int_eq(qat_dev_state(dev), QAT_EVENT_ERROR);
	/* Unwatched: interrupts publish nothing, and the indexes are the
	 * application's again. */
	ck_assert_int_eq(qat_state_watch(dev, 0), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_ERR, 0), 0);
	publish(1, QAT_EVENT_START);
	expect(sub, 1, QAT_EVENT_START);
	expect_none(sub);
	/* Watching again, and left watched for qat_rt_close() to stop. */
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_ERR, 0), 1);
	ck_assert_int_eq(readable(sub, 5000), 1);
	expect(sub, 0, QAT_EVENT_ERROR);
	qat_state_unsubscribe(sub);
}
END_TEST

/* Kernel uevents for a watched device, found by PCI address. */
START_TEST(watch_uevents)
{
	static const char msg[] = "change@/devices/pci0000:f0/0000:f0:01.0\0"
				  "ACTION=change\0qat_event=restarting\0"
				  "accelid=7";
	static const char other[] = "change@/devices/pci0000:f0/0000:f0:00.0"
				    "\0qat_event=error\0accelid=0";
	static const char bad[] = "change@/devices/pci0000:f0/0000:f0:01.0\0"
				  "qat_event=melted\0accelid=7";
	struct qat_state_sub *sub = subscribe(QAT_EVENT_MASK_ALL, 0);
	int ret;

	/* Not watched yet: nothing. */
	ck_assert_int_eq(qat_state_uevent_dispatch(rt, msg, sizeof(msg) - 1),
			 0);
	ret = qat_state_watch(qt_dev_at(rt, 1), QAT_STATE_WATCH_UEVENT);
	ck_assert_msg(ret == 0, "watch: %s", qat_strerror(ret));
	ck_assert_int_eq(qat_state_uevent_dispatch(rt, msg, sizeof(msg) - 1),
			 1);
	/* Our dev id, whatever the driver's accel id. */
	expect(sub, 1, QAT_EVENT_RESTARTING);
	ck_assert_int_eq(qat_state_uevent_dispatch(rt, other,
						   sizeof(other) - 1), 0);
	ck_assert_int_eq(qat_state_uevent_dispatch(rt, bad, sizeof(bad) - 1),
			 -EINVAL);
	expect_none(sub);
	/* Both sources at once, then neither: the listener stops. */
	ck_assert_int_eq(qat_state_watch(qt_dev_at(rt, 1), QAT_STATE_WATCH_ALL),
			 0);
	ck_assert_int_eq(qat_state_watch(qt_dev_at(rt, 1), 0), 0);
	ck_assert_int_eq(qat_state_uevent_dispatch(rt, msg, sizeof(msg) - 1),
			 0);
	expect_none(sub);
	ck_assert_int_eq(qat_state_watch(qt_dev_at(rt, 0), QAT_STATE_WATCH_ALL),
			 0);
	qat_state_unsubscribe(sub);
}
END_TEST

static struct qat_state_uevent u;

static int uevent(const char *msg, size_t len, unsigned int *id, int *ev)
{
	int ret;

	memset(&u, 0x55, sizeof(u));
	ret = qat_state_parse_uevent(msg, len, &u);
	*id = u.accel_id;
	*ev = u.event;
	return ret;
}

#define UEV(lit) lit, sizeof(lit) - 1

START_TEST(uevent_parser)
{
	unsigned int id = 99;
	int ev = -1;

	ck_assert_int_eq(uevent(UEV("change@/devices/pci0000:00/0000:6b:00.0"
				    "\0ACTION=change\0DEVPATH=/devices/x\0"
				    "SUBSYSTEM=pci\0qat_event=restarting\0"
				    "accelid=3\0SEQNUM=4411"), &id, &ev), 1);
	ck_assert_uint_eq(id, 3);
	ck_assert_int_eq(ev, QAT_EVENT_RESTARTING);
	ck_assert_str_eq(u.pci_addr, "0000:6b:00.0");
	ck_assert_int_eq(uevent(UEV("change@/d\0accelid=0\0qat_event=error\0"),
				&id, &ev), 1);
	ck_assert_uint_eq(id, 0);
	ck_assert_int_eq(ev, QAT_EVENT_ERROR);
	ck_assert_str_eq(u.pci_addr, ""); /* not a PCI function's path */
	ck_assert_int_eq(uevent(UEV("change@/devices/x/0000:6b:00.0/qat\0"
				    "qat_event=error\0accelid=0"), &id, &ev), 1);
	ck_assert_str_eq(u.pci_addr, "");
	ck_assert_int_eq(uevent(UEV("change@/devices/0000:6b:00.00\0"
				    "qat_event=error\0accelid=0"), &id, &ev), 1);
	ck_assert_str_eq(u.pci_addr, "");
	/* Last pair without its terminator. */
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=restarted\0"
				    "accelid=4294967295"), &id, &ev), 1);
	ck_assert_uint_eq(id, 4294967295u);
	ck_assert_int_eq(ev, QAT_EVENT_RESTARTED);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=start\0accelid=1"),
				&id, &ev), 1);
	ck_assert_int_eq(ev, QAT_EVENT_START);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=shutdown\0"
				    "accelid=1"), &id, &ev), 1);
	ck_assert_int_eq(ev, QAT_EVENT_SHUTDOWN);

	/* Not QAT state events. */
	ck_assert_int_eq(uevent(UEV("add@/devices/x\0ACTION=add\0"), &id, &ev),
			 0);
	ck_assert_int_eq(uevent(UEV("libudev\0qat_event=error\0accelid=1"),
				&id, &ev), 0);
	ck_assert_int_eq(uevent(UEV("change@/d\0xqat_event=error\0"
				    "accelid=1"), &id, &ev), 0);
	ck_assert_int_eq(uevent("", 0, &id, &ev), 0);

	/* Malformed QAT events. */
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=exploded\0"
				    "accelid=1"), &id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=\0accelid=1"),
				&id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error"), &id, &ev),
			 -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error\0accelid="),
				&id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error\0"
				    "accelid=-1"), &id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error\0"
				    "accelid=4294967296"), &id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error\0"
				    "accelid=1x"), &id, &ev), -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=error\0"
				    "accelid=1\0accelid=2"), &id, &ev),
			 -EINVAL);
	ck_assert_int_eq(uevent(UEV("change@/d\0qat_event=errorx\0"
				    "accelid=1"), &id, &ev), -EINVAL);
	ck_assert_int_eq(qat_state_parse_uevent(NULL, 0, &u), -EINVAL);
	ck_assert_int_eq(qat_state_parse_uevent("a@b", 3, NULL), -EINVAL);

	ck_assert_int_eq(qat_state_parse_sysfs(UEV("up\n")), QAT_EVENT_START);
	ck_assert_int_eq(qat_state_parse_sysfs(UEV("up")), QAT_EVENT_START);
	ck_assert_int_eq(qat_state_parse_sysfs(UEV("down\n")), QAT_EVENT_STOP);
	ck_assert_int_eq(qat_state_parse_sysfs(UEV("UP\n")), -EINVAL);
	ck_assert_int_eq(qat_state_parse_sysfs(UEV("up\n\n")), -EINVAL);
	ck_assert_int_eq(qat_state_parse_sysfs(UEV("")), -EINVAL);
	ck_assert_int_eq(qat_state_parse_sysfs(NULL, 0), -EINVAL);
}
END_TEST

static int log_hits;

static void log_count(enum qat_log_level level, const char *msg, void *arg)
{
	log_hits++;
}

/* Flip byte `off` of the state segment (XOR 0xff). */
static void flip_state_byte(off_t off)
{
	char path[4200];
	unsigned char b;
	int fd;

	snprintf(path, sizeof(path), "%s/registry.state", qt_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Bytes 40..42 of the segment are its robust mutex's lock word, which
 * then names an owner thread that does not exist: subscribe and publish
 * must come back (repaired, or -EPROTO) with a log line, never hang.
 */
START_TEST(corrupt_lock_word_bounded)
{
	static const off_t bytes[] = { 40, 41, 42 };
	struct qat_state_sub *sub = NULL;
	char path[4200];
	unsigned int i;
	uint64_t t0;
	int ret;

	ck_assert_uint_eq(offsetof(struct qat_shm_hdr, lock), 40);
	snprintf(path, sizeof(path), "%s/registry.state", qt_dir);
	for (i = 0; i < 3; i++) {
		qat_rt_close(rt);
		unlink(path);
		rt = qt_rt_open(qt_dir);
		ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 0)),
				 QAT_EVENT_START); /* makes the segment */
		qat_rt_close(rt);
		flip_state_byte(bytes[i]);
		rt = qt_rt_open(qt_dir);
		log_hits = 0;
		qat_set_log_fn(log_count, NULL, QAT_LOG_WARN);
		t0 = mono_ms();
		ret = qat_state_subscribe(rt, 0, NULL, &sub);
		ck_assert_msg(ret == 0 || ret == -EPROTO, "byte %d: %s",
			      (int)bytes[i], qat_strerror(ret));
		ret = qat_state_publish(rt, qt_dev_at(rt, 0), QAT_EVENT_ERROR);
		ck_assert_msg(ret == 0 || ret == -EPROTO, "byte %d: %s",
			      (int)bytes[i], qat_strerror(ret));
		ck_assert_uint_lt(mono_ms() - t0, 2 * SHM_LOCK_GIVEUP_MS + 2000);
		qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
		ck_assert_int_ge(log_hits, 1);
		if (sub && ret == 0)
			expect(sub, 0, QAT_EVENT_ERROR);
		qat_state_unsubscribe(sub);
		sub = NULL;
	}
}
END_TEST

/*
 * A child subscribes (in a new network namespace when `netns`), then
 * sleeps in poll() with no timeout at all: only the publisher's nudge can
 * wake it, no timer. The parent publishes and gives it 5 s to finish.
 */
static void check_blocked_poll_woken(int netns)
{
	struct qat_state_sub *sub = NULL;
	struct qat_state_event ev;
	struct pollfd p = { .events = POLLIN };
	int ready[2], st, i;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		CHILD_CHECK(!netns || unshare(CLONE_NEWNET) == 0, 2);
		CHILD_CHECK(qat_state_subscribe(rt, 0, NULL, &sub) == 0, 3);
		p.fd = qat_state_fd(sub);
		CHILD_CHECK(write(ready[1], "r", 1) == 1, 4);
		CHILD_CHECK(poll(&p, 1, -1) == 1, 5);
		CHILD_CHECK(qat_state_read(sub, &ev) == 0, 6);
		CHILD_CHECK(ev.event == QAT_EVENT_ERROR && ev.dev_id == 0, 7);
		_exit(0);
	}
	close(ready[1]); /* a child that fails: EOF, not a hang */
	ck_assert_msg(read(ready[0], &c, 1) == 1, "child failed: %d",
		      qt_reap(pid));
	usleep(100 * 1000); /* the child is asleep in poll() */
	publish(0, QAT_EVENT_ERROR);
	for (i = 0; i < 500 && waitpid(pid, &st, WNOHANG) == 0; i++)
		usleep(10 * 1000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_abort_msg("subscriber%s not woken by the publish",
			     netns ? " in another network namespace" : "");
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %d", st);
	close(ready[0]);
}

START_TEST(publish_wakes_poll_without_timer)
{
	check_blocked_poll_woken(0);
}
END_TEST

/* Containers that share the registry's directory but not the network
 * namespace wake each other (root only: unshare). */
START_TEST(woken_in_another_netns)
{
	check_blocked_poll_woken(1);
}
END_TEST

/* The wakeup socket lies beside the registry with the registry's mode,
 * and goes with the subscription. */
START_TEST(wakeup_socket_beside_registry)
{
	struct qat_state_sub *sub = subscribe(0, 0);
	char path[4200];
	struct stat st;
	unsigned int i, found = 0;

	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
		snprintf(path, sizeof(path), "%s/registry.state.%u", qt_dir, i);
		if (lstat(path, &st))
			continue;
		found++;
		ck_assert(S_ISSOCK(st.st_mode));
		ck_assert_uint_eq(st.st_mode & 0777, 0600);
		ck_assert_uint_eq(st.st_uid, geteuid());
		break;
	}
	ck_assert_uint_eq(found, 1);
	qat_state_unsubscribe(sub);
	ck_assert_int_eq(lstat(path, &st), -1);
}
END_TEST

/* Can this process make a network namespace? Tried in a child. */
static int can_unshare_net(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ? 1 : 0);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

Suite *state_suite(void);
Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *api = tcase_create("api");
	TCase *procs = tcase_create("processes");
	TCase *parse = tcase_create("parse");

	/* Generous: loaded 2-core machines; a lost wakeup still fails the
	 * bounded poll()s well before. */
	tcase_set_timeout(api, 60);
	tcase_set_timeout(procs, 60);
	tcase_add_checked_fixture(api, setup, teardown);
	tcase_add_test(api, bad_values);
	tcase_add_test(api, record_fields);
	tcase_add_test(api, filters);
	tcase_add_test(api, current_state_first);
	tcase_add_test(api, reset_publishes);
	tcase_add_test(api, sim_sources);
	tcase_add_test(api, overflow_exact);
	tcase_add_test(api, overflow_counts_mask_only);
	tcase_add_test(api, readable_until_drained);
	tcase_add_test(api, all_slots_woken);
	tcase_add_test(api, conflicting_devices);
	tcase_add_test(api, outlives_runtime);
	tcase_add_test(api, watch_interrupts);
	tcase_add_test(api, watch_uevents);
	tcase_add_test(api, wakeup_socket_beside_registry);
	tcase_add_test(api, wakeup_path_too_long);
	suite_add_tcase(s, api);

	tcase_add_checked_fixture(procs, setup, teardown);
	tcase_add_test(procs, fan_out_across_processes);
	tcase_add_test(procs, wakeup_across_processes);
	tcase_add_test(procs, killed_subscriber);
	tcase_add_test(procs, killed_slot_taken_over);
	tcase_add_test(procs, fork_semantics);
	tcase_add_test(procs, publisher_dies_mid_write);
	tcase_add_test(procs, corrupt_record_refused);
	tcase_add_test(procs, corrupt_lock_word_bounded);
	tcase_add_test(procs, publish_wakes_poll_without_timer);
	if (can_unshare_net())
		tcase_add_test(procs, woken_in_another_netns);
	else
		fprintf(stderr, "state: woken_in_another_netns skipped: "
			"unshare(CLONE_NEWNET) is not allowed here (needs "
			"root)\n");
	suite_add_tcase(s, procs);

	tcase_add_test(parse, uevent_parser);
	suite_add_tcase(s, parse);
	return s;
}
