/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events: publish -> subscriber wake-up latency across
 * processes, with 1, 16 and 64 subscriber processes, against the floor of a
 * bare eventfd ping-pong between two processes, in the same run. The
 * publisher's own cost (the time inside qat_state_publish()) with 1, 16
 * and 64 subscribers that really read, beside the floor of as many
 * eventfd writes to as many reading processes: how fan-out cost grows.
 * Also the publisher's cost with 64 subscribers that never read, against
 * none: a slow subscriber must not slow a publisher.
 *
 * Each sample: the publisher notes CLOCK_MONOTONIC, publishes (or writes
 * the eventfd), and waits until every subscriber has woken from poll(),
 * noted the time and acknowledged. Several rounds; medians of the
 * per-round p50 and p99.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qat/qatrt.h>

#include "bench.h"

#define ROUNDS 5
#define MAX_SUBS 64
#define MAX_SAMPLES 1000

struct shared {
	uint64_t t0;                    /* publisher's clock at publish */
	uint32_t acks;                  /* futex: subscribers done */
	uint32_t ready;                 /* futex: subscribers subscribed */
	uint32_t nsubs;                 /* how many acks make a sample */
	uint64_t lat[MAX_SUBS][MAX_SAMPLES];
};

static struct shared *sh;
static char dir[] = "/tmp/qatrt-bench-XXXXXX";
static const char prog[] = "bench_state";

static void futex_wait(uint32_t *w, uint32_t v)
{
	syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Count one more; wake the publisher when all are in. */
static void arrive(uint32_t *w)
{
	if (__atomic_add_fetch(w, 1, __ATOMIC_SEQ_CST) == sh->nsubs)
		futex_wake(w);
}

static void wait_all(uint32_t *w, unsigned int n)
{
	uint32_t v;

	while ((v = __atomic_load_n(w, __ATOMIC_SEQ_CST)) < n)
		futex_wait(w, v);
}

/* p50 and p99 (ns) of every subscriber's samples. */
static void stats(unsigned int nsubs, unsigned int n, double *p50,
		  double *p99)
{
	uint64_t *all = malloc(sizeof(*all) * nsubs * n);
	unsigned int i;

	if (!all)
		bench_die(prog, "malloc", ENOMEM);
	for (i = 0; i < nsubs; i++)
		memcpy(all + (size_t)i * n, sh->lat[i], n * sizeof(*all));
	*p50 = bench_pct(all, (size_t)nsubs * n, 0.50);
	*p99 = bench_pct(all, (size_t)nsubs * n, 0.99);
	free(all);
}

static void state_subscriber(struct qat_rt *rt, unsigned int id,
			     unsigned int n, int reads)
{
	struct qat_state_sub *sub;
	struct qat_state_event ev;
	struct pollfd p = { .events = POLLIN };
	unsigned int i;
	uint64_t t;
	int ret;

	if (qat_state_subscribe(rt, 0, NULL, &sub))
		_exit(2);
	p.fd = qat_state_fd(sub);
	arrive(&sh->ready);
	if (!reads)
		for (;;)
			pause();
	for (i = 0; i < n; i++) {
		do {
			if (poll(&p, 1, -1) != 1)
				_exit(3);
			t = bench_now_ns();
			ret = qat_state_read(sub, &ev);
		} while (ret == -EAGAIN);
		if (ret)
			_exit(4);
		sh->lat[id][i] = t - __atomic_load_n(&sh->t0,
						     __ATOMIC_SEQ_CST);
		while (qat_state_read(sub, &ev) == 0)
			;
		arrive(&sh->acks);
	}
	qat_state_unsubscribe(sub);
	_exit(0);
}

static void reap(pid_t *pids, unsigned int n)
{
	unsigned int i;
	int st;

	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bench_die(prog, "subscriber process failed", EIO);
}

static pid_t spawn(void (*fn)(struct qat_rt *, unsigned int, unsigned int,
			      int), struct qat_rt *rt, unsigned int id,
		   unsigned int n, int reads)
{
	pid_t pid = fork();

	if (pid < 0)
		bench_die(prog, "fork", errno);
	if (pid == 0)
		fn(rt, id, n, reads);
	return pid;
}

/* Wake-up latency through state events with `nsubs` subscriber processes. */
static uint64_t cost[MAX_SAMPLES]; /* publisher side, this process */

static double cost_p50(unsigned int n)
{
	return bench_pct(cost, n, 0.50);
}

static void run_state(struct qat_rt *rt, struct qat_dev *dev,
		      unsigned int nsubs, unsigned int n, double *p50,
		      double *p99, double *c50)
{
	pid_t pids[MAX_SUBS];
	unsigned int i;
	uint64_t t;
	int ret;

	sh->ready = 0;
	sh->nsubs = nsubs;
	for (i = 0; i < nsubs; i++)
		pids[i] = spawn(state_subscriber, rt, i, n, 1);
	wait_all(&sh->ready, nsubs);
	for (i = 0; i < n; i++) {
		__atomic_store_n(&sh->acks, 0, __ATOMIC_SEQ_CST);
		t = bench_now_ns();
		__atomic_store_n(&sh->t0, t, __ATOMIC_SEQ_CST);
		ret = qat_state_publish(rt, dev, QAT_EVENT_ERROR);
		cost[i] = bench_now_ns() - t;
		if (ret)
			bench_die(prog, "qat_state_publish", -ret);
		wait_all(&sh->acks, nsubs);
	}
	reap(pids, nsubs);
	stats(nsubs, n, p50, p99);
	*c50 = cost_p50(n);
}

static void eventfd_waiter(int efd, unsigned int id, unsigned int n)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	unsigned int i;
	uint64_t v, t;

	for (i = 0; i < n; i++) {
		if (poll(&p, 1, -1) != 1)
			_exit(3);
		t = bench_now_ns();
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			_exit(4);
		sh->lat[id][i] = t - __atomic_load_n(&sh->t0,
						     __ATOMIC_SEQ_CST);
		arrive(&sh->acks);
	}
	_exit(0);
}

/*
 * The floor: the same exchange through bare eventfds, one per waiting
 * process, nothing else. With one waiter it is the two-process ping-pong;
 * with more it is the cost of waking that many processes at all.
 */
static void run_eventfd(unsigned int nsubs, unsigned int n, double *p50,
			double *p99, double *c50)
{
	int efd[MAX_SUBS];
	pid_t pids[MAX_SUBS];
	uint64_t one = 1, t;
	unsigned int i, j;

	sh->nsubs = nsubs;
	for (j = 0; j < nsubs; j++) {
		efd[j] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd[j] < 0)
			bench_die(prog, "eventfd", errno);
		pids[j] = fork();
		if (pids[j] < 0)
			bench_die(prog, "fork", errno);
		if (pids[j] == 0)
			eventfd_waiter(efd[j], j, n);
	}
	for (i = 0; i < n; i++) {
		__atomic_store_n(&sh->acks, 0, __ATOMIC_SEQ_CST);
		t = bench_now_ns();
		__atomic_store_n(&sh->t0, t, __ATOMIC_SEQ_CST);
		for (j = 0; j < nsubs; j++)
			if (write(efd[j], &one, sizeof(one)) != sizeof(one))
				bench_die(prog, "eventfd write", errno);
		cost[i] = bench_now_ns() - t;
		wait_all(&sh->acks, nsubs);
	}
	reap(pids, nsubs);
	for (j = 0; j < nsubs; j++)
		close(efd[j]);
	stats(nsubs, n, p50, p99);
	*c50 = cost_p50(n);
}

/* The publisher's own cost, with `idle` subscribers that never read. */
static void run_publish_cost(struct qat_rt *rt, struct qat_dev *dev,
			     unsigned int idle, unsigned int n, double *p50)
{
	pid_t pids[MAX_SUBS];
	unsigned int i;
	uint64_t t;
	int st;

	sh->ready = 0;
	sh->nsubs = idle;
	for (i = 0; i < idle; i++)
		pids[i] = spawn(state_subscriber, rt, i, n, 0);
	wait_all(&sh->ready, idle);
	for (i = 0; i < n; i++) {
		t = bench_now_ns();
		if (qat_state_publish(rt, dev, QAT_EVENT_ERROR))
			bench_die(prog, "qat_state_publish", EIO);
		sh->lat[0][i] = bench_now_ns() - t;
	}
	for (i = 0; i < idle; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &st, 0);
	}
	stats(1, n, p50, &(double){ 0 });
}

static struct qat_rt *open_rt(void)
{
	char path[256];
	struct qat_rt *rt;
	int ret;

	if (!mkdtemp(dir))
		bench_die(prog, "mkdtemp", errno);
	snprintf(path, sizeof(path), "%s/4xxx_dev0.conf", dir);
	ret = bench_write(path, "[GENERAL]\nSimDevice = 4xxx\n");
	if (ret)
		bench_die(prog, path, -ret);
	ret = bench_rt_open(dir, dir, &rt);
	if (ret)
		bench_die(prog, "qat_rt_open", -ret);
	return rt;
}

/* A wake-up time: ns in, `name: X.XX us` out. */
static void line(const char *name, double ns)
{
	bench_value(name, 2, ns / 1000.0, "us");
}

int main(void)
{
	static const unsigned int subs[] = { 1, 16, 64 };
	static const unsigned int samples[] = { 1000, 300, 100 };
	double f50[3][ROUNDS], f99[3][ROUNDS], s50[3][ROUNDS], s99[3][ROUNDS];
	double fc[3][ROUNDS], sc[3][ROUNDS], mc[3], mf[3];
	double c0[ROUNDS], c64[ROUNDS], fl50, fl99, fo50, fo99, m50, m99;
	struct qat_dev *dev;
	struct qat_rt *rt;
	unsigned int r, k;
	char name[64];

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die(prog, "mmap", errno);
	rt = open_rt();
	if (qat_dev_get(rt, 0, &dev))
		bench_die(prog, "qat_dev_get", ENODEV);
	/* Interleaved rounds: noise hits every variant alike. */
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < 3; k++) {
			run_eventfd(subs[k], samples[k], &f50[k][r],
				    &f99[k][r], &fc[k][r]);
			run_state(rt, dev, subs[k], samples[k], &s50[k][r],
				  &s99[k][r], &sc[k][r]);
		}
		run_publish_cost(rt, dev, 0, MAX_SAMPLES, &c0[r]);
		run_publish_cost(rt, dev, MAX_SUBS, MAX_SAMPLES, &c64[r]);
	}
	printf("state_rounds: %d (medians of per-round percentiles)\n", ROUNDS);
	/* The floor: a bare eventfd ping-pong between two processes. */
	fl50 = bench_median(f50[0], ROUNDS);
	fl99 = bench_median(f99[0], ROUNDS);
	line("eventfd_pingpong_wake_p50", fl50);
	line("eventfd_pingpong_wake_p99", fl99);
	for (k = 0; k < 3; k++) {
		m50 = bench_median(s50[k], ROUNDS);
		m99 = bench_median(s99[k], ROUNDS);
		snprintf(name, sizeof(name), "state_wake_%usub_p50", subs[k]);
		line(name, m50);
		snprintf(name, sizeof(name), "state_wake_%usub_p50_vs_pingpong",
			 subs[k]);
		bench_ratio(name, m50, fl50);
		snprintf(name, sizeof(name), "state_wake_%usub_p99", subs[k]);
		line(name, m99);
		snprintf(name, sizeof(name), "state_wake_%usub_p99_vs_pingpong",
			 subs[k]);
		bench_ratio(name, m99, fl99);
		if (k == 0)
			continue;
		/* What waking that many processes costs at all. */
		fo50 = bench_median(f50[k], ROUNDS);
		fo99 = bench_median(f99[k], ROUNDS);
		snprintf(name, sizeof(name), "eventfd_fanout_%u_wake_p50",
			 subs[k]);
		line(name, fo50);
		snprintf(name, sizeof(name), "eventfd_fanout_%u_wake_p99",
			 subs[k]);
		line(name, fo99);
		snprintf(name, sizeof(name), "state_wake_%usub_vs_fanout_p50",
			 subs[k]);
		bench_ratio(name, m50, fo50);
		snprintf(name, sizeof(name), "state_wake_%usub_vs_fanout_p99",
			 subs[k]);
		bench_ratio(name, m99, fo99);
	}
	/* The publisher's side of the fan-out, readers reading. */
	for (k = 0; k < 3; k++) {
		mc[k] = bench_median(sc[k], ROUNDS);
		mf[k] = bench_median(fc[k], ROUNDS);
		snprintf(name, sizeof(name), "state_publish_cost_%usub_p50",
			 subs[k]);
		line(name, mc[k]);
		snprintf(name, sizeof(name), "eventfd_write_cost_%u_p50",
			 subs[k]);
		line(name, mf[k]);
		snprintf(name, sizeof(name),
			 "state_publish_cost_%usub_vs_eventfd", subs[k]);
		bench_ratio(name, mc[k], mf[k]);
	}
	/* Growth per added subscriber, from 1 to 64. */
	line("state_publish_cost_per_added_sub",
	     (mc[2] - mc[0]) / (subs[2] - subs[0]));
	line("eventfd_write_cost_per_added_fd",
	     (mf[2] - mf[0]) / (subs[2] - subs[0]));
	/* A subscriber that never reads must not slow publishers. */
	m50 = bench_median(c0, ROUNDS);
	m99 = bench_median(c64, ROUNDS);
	line("state_publish_0sub_p50", m50);
	line("state_publish_64idle_p50", m99);
	bench_ratio("state_publish_64idle_vs_0sub_p50", m99, m50);
	qat_rt_close(rt);
	bench_rmtree(prog, dir);
	return 0;
}
