/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process sections at host scale: what acquire + release costs this
 * process while other processes hold 0, 64, 512 or 4096 claims on the same
 * registry, as ratios to the 0-held case (the goal: within 2x at 4096),
 * and how long filling 4096 names takes.
 *
 * The claims held elsewhere are spread the hard way: 64 holder processes
 * take turns, so that neighbouring names belong to different processes
 * (no two adjacent locks of one owner for the kernel to merge), and then
 * the holder of the middle name lets it go. The measuring process keeps
 * taking that middle name, whose lock file carries the locks of its
 * neighbours' owners, and releasing it. Fill times: one process taking
 * 4096 names from a clean registry, the same right after the holders of
 * all of them were killed with SIGKILL (every name is a dead holder's),
 * and 64 processes taking 64 each at once. Several rounds; medians of
 * rounds.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qat/qatrt.h>

#include "bench.h"

#define ROUNDS 3
#define LAT_OPS 20000
#define HOLDERS 64
#define MAX_HELD 4096
#define FILL 4096

static const unsigned int held_counts[] = { 0, 64, 512, 4096 };
#define NCOUNTS (sizeof(held_counts) / sizeof(held_counts[0]))

static char dir[] = "/tmp/qatrt-bench-scale-XXXXXX";
static const char prog[] = "bench_proc_scale";

struct shared {
	volatile unsigned int turn;   /* next acquisition number */
	volatile unsigned int want;   /* acquisitions to make */
	volatile unsigned int hole;   /* acquisition number to give back */
	volatile unsigned int holed;  /* it was given back */
	volatile unsigned int failed;
	volatile unsigned int go, done;
};

static struct shared *sh;

/* Holder p makes acquisitions p, p + HOLDERS, ... in turn with the others,
 * gives back acquisition sh->hole if it made it, then sleeps. */
static void holder(struct qat_rt *rt, unsigned int p)
{
	struct qat_proc *mine[MAX_HELD / HOLDERS + 1];
	unsigned int n, k = 0;

	for (n = p; n < sh->want; n += HOLDERS) {
		while (sh->turn != n)
			sched_yield();
		if (qat_proc_acquire(rt, "SSL", NULL, &mine[k++])) {
			sh->failed = 1;
			sh->turn = n + 1;
			_exit(1);
		}
		if (n == sh->hole) {
			qat_proc_release(mine[--k]);
			sh->holed = 1;
		}
		__atomic_store_n(&sh->turn, n + 1, __ATOMIC_SEQ_CST);
	}
	for (;;)
		pause();
}

/* Start holders with `held` claims left after the hole (0: none). */
static unsigned int holders_start(struct qat_rt *rt, unsigned int held,
				  pid_t *pids)
{
	unsigned int i, n = held ? HOLDERS : 0;

	memset((void *)sh, 0, sizeof(*sh));
	sh->want = held ? held + 1 : 0;
	sh->hole = held / 2;
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bench_die(prog, "fork", errno);
		if (pids[i] == 0)
			holder(rt, i);
	}
	while (held && (sh->turn < sh->want || !sh->holed) && !sh->failed)
		usleep(1000);
	if (sh->failed)
		bench_die(prog, "holder could not acquire", EAGAIN);
	return n;
}

static void holders_stop(pid_t *pids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
}

/* Median ns of acquire + release in this process. */
static double latency(struct qat_rt *rt)
{
	static uint64_t t[LAT_OPS];
	struct qat_proc *p;
	uint64_t t0;
	int i, ret;

	for (i = -LAT_OPS / 10; i < LAT_OPS; i++) {
		t0 = bench_now_ns();
		ret = qat_proc_acquire(rt, "SSL", NULL, &p);
		if (!ret)
			ret = qat_proc_release(p);
		if (ret)
			bench_die(prog, "acquire/release", -ret);
		if (i >= 0)
			t[i] = bench_now_ns() - t0;
	}
	bench_sort_u64(t, LAT_OPS);
	return (double)t[LAT_OPS / 2];
}

/* ms for one process to take FILL names back to back (then free them). */
static double fill_one(struct qat_rt *rt)
{
	static struct qat_proc *p[FILL];
	uint64_t t0 = bench_now_ns(), t;
	int i, ret;

	for (i = 0; i < FILL; i++) {
		ret = qat_proc_acquire(rt, "SSL", NULL, &p[i]);
		if (ret)
			bench_die(prog, "fill", -ret);
	}
	t = bench_now_ns() - t0;
	for (i = 0; i < FILL; i++)
		qat_proc_release(p[i]);
	return (double)t / 1e6;
}

static void fill_child(struct qat_rt *rt)
{
	struct qat_proc *p[FILL / HOLDERS];
	unsigned int i;

	while (!sh->go)
		sched_yield();
	for (i = 0; i < FILL / HOLDERS; i++)
		if (qat_proc_acquire(rt, "SSL", NULL, &p[i]))
			_exit(1);
	__atomic_add_fetch(&sh->done, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

/* ms for HOLDERS processes at once to take FILL names between them. */
static double fill_many(struct qat_rt *rt)
{
	pid_t pids[HOLDERS];
	uint64_t t0;
	unsigned int i;

	memset((void *)sh, 0, sizeof(*sh));
	for (i = 0; i < HOLDERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bench_die(prog, "fork", errno);
		if (pids[i] == 0)
			fill_child(rt);
	}
	usleep(100000); /* let them start */
	t0 = bench_now_ns();
	sh->go = 1;
	while (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) < HOLDERS) {
		usleep(200);
		if (bench_now_ns() - t0 > 60000000000ull)
			bench_die(prog, "fill by many: too slow", ETIMEDOUT);
	}
	t0 = bench_now_ns() - t0;
	holders_stop(pids, HOLDERS);
	return (double)t0 / 1e6;
}

static void setup(void)
{
	char path[300];
	int ret;

	if (!mkdtemp(dir))
		bench_die(prog, "mkdtemp", errno);
	/* 4096 names on one device and a few on another: 4097 and more. */
	snprintf(path, sizeof(path), "%s/4xxx_dev0.conf", dir);
	ret = bench_write(path, "[GENERAL]\nSimDevice = 4xxx\n"
			  "MaxProcesses = 4096\n[SSL]\nNumProcesses = 4096\n");
	if (!ret) {
		snprintf(path, sizeof(path), "%s/4xxx_dev1.conf", dir);
		ret = bench_write(path, "[GENERAL]\nSimDevice = 4xxx\n"
				  "[SSL]\nNumProcesses = 64\n");
	}
	if (ret)
		bench_die(prog, path, -ret);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die(prog, "mmap", errno);
}

int main(void)
{
	double lat[NCOUNTS][ROUNDS], f1[ROUNDS], fm[ROUNDS], fk[ROUNDS];
	double med[NCOUNTS];
	pid_t pids[HOLDERS];
	struct qat_rt *rt;
	unsigned int r, k, n;
	char name[80];

	setup();
	rt = bench_rt_must_open(prog, dir, dir);
	if (qat_proc_list(rt, NULL, 0) < 0) /* attach before forking */
		bench_die(prog, "qat_proc_list", EPROTO);
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < NCOUNTS; k++) {
			n = holders_start(rt, held_counts[k], pids);
			lat[k][r] = latency(rt);
			holders_stop(pids, n);
		}
		/* The last holders were killed holding 4096 names: taking
		 * them back is a fill that finds every name of a dead
		 * holder. Then, after a listing has freed them, a clean one. */
		fk[r] = fill_one(rt);
		if (qat_proc_list(rt, NULL, 0) < 0)
			bench_die(prog, "qat_proc_list", EPROTO);
		f1[r] = fill_one(rt);
		fm[r] = fill_many(rt);
	}
	printf("proc_scale_rounds: %d (medians); claims held by %d other processes, "
	       "interleaved\n", ROUNDS, HOLDERS);
	for (k = 0; k < NCOUNTS; k++) {
		med[k] = bench_median(lat[k], ROUNDS);
		snprintf(name, sizeof(name), "proc_acqrel_%uheld", held_counts[k]);
		bench_value(name, 0, med[k], "ns");
	}
	for (k = 1; k < NCOUNTS; k++) {
		snprintf(name, sizeof(name), "proc_acqrel_%uheld_vs_0held",
			 held_counts[k]);
		bench_ratio(name, med[k], med[0]);
	}
	bench_value("proc_fill_4096_names_1proc", 1, bench_median(f1, ROUNDS),
		    "ms");
	bench_value("proc_fill_4096_names_after_kill9_1proc", 1,
		    bench_median(fk, ROUNDS), "ms");
	bench_value("proc_fill_4096_names_64proc", 1,
		    bench_median(fm, ROUNDS), "ms");
	qat_rt_close(rt);
	bench_rmtree(prog, dir);
	return 0;
}
