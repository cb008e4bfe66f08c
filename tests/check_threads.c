/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One runtime used from 8 threads at once: acquire/release storms, first
 * use racing on the lazy registry attach, publishing and reading events
 * concurrently, and handlers added and removed while their interrupts
 * fire. `make SANITIZE=thread check` runs these under ThreadSanitizer,
 * which is where a missing lock shows even when the answers come out
 * right; rounds are fewer there (TSan is ~10x slower), never none.
 *
 * Worker threads never call ck_assert (Check's assertions longjmp out of
 * the test's own thread only): they count what went wrong, and the test
 * asserts on the counts after joining them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SLOW 1
#else
#define SLOW 0
#endif
/* Rounds per thread, scaled down under a sanitizer. */
#define ROUNDS(n) (SLOW ? (n) / 8 : (n))

#define NTHREADS 8
#define NNAMES 3 /* fewer names than threads: they contend */

static struct qat_rt *rt;

static void setup(void)
{
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimMsix = 16\n",
		    "[SSL]\nNumProcesses = 3\n");
	qt_sim_conf(qt_dir, "4xxx", 1, NULL, NULL);
	rt = qt_rt_open(qt_dir);
}

static void teardown(void)
{
	qat_rt_close(rt);
	rt = NULL;
	qt_dir_teardown();
}

static int load(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void add(int *p, int v)
{
	__atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* Start NTHREADS threads of fn(arg[i]) together; join them. */
static void run_all(void *(*fn)(void *), void *args, size_t argsz)
{
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn,
						(char *)args + i * argsz), 0);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}

/* ---- acquire / release storm -------------------------------------------- */

struct storm {
	pthread_barrier_t go;
	int holder[NNAMES];      /* thread id + 1 holding each name */
	int violations, errors, taken, waited_out;
};

struct worker {
	struct storm *s;
	int id;
};

static int name_index(const struct qat_proc *p)
{
	int k;

	return sscanf(qat_proc_name(p), "SSL_INT_%d", &k) == 1 &&
	       k >= 0 && k < NNAMES ? k : -1;
}

static void *storm_thread(void *arg)
{
	struct worker *w = arg;
	struct storm *s = w->s;
	struct qat_proc_opts o = { .sz = sizeof(o) };
	struct qat_proc *p;
	int i, k, ret, me = w->id + 1, expect;

	pthread_barrier_wait(&s->go);
	for (i = 0; i < ROUNDS(3000); i++) {
		o.flags = i % 3 ? QAT_PROC_WAIT : 0;
		o.timeout_ms = i % 5 == 0 ? -1 : 2000;
		p = NULL;
		ret = qat_proc_acquire(rt, "SSL", &o, &p);
		if (ret == -EAGAIN || ret == -ETIMEDOUT) {
			add(&s->waited_out, 1);
			continue;
		}
		k = ret ? -1 : name_index(p);
		if (k < 0) {
			add(&s->errors, 1);
			continue;
		}
		expect = 0;
		if (!__atomic_compare_exchange_n(&s->holder[k], &expect, me, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			add(&s->violations, 1); /* two threads hold one name */
		add(&s->taken, 1);
		if (i % 7 == 0)
			sched_yield();
		expect = me;
		if (!__atomic_compare_exchange_n(&s->holder[k], &expect, 0, 0,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			add(&s->violations, 1);
		if (qat_proc_release(p))
			add(&s->errors, 1);
	}
	return NULL;
}

START_TEST(acquire_release_storm)
{
	struct storm s = { 0 };
	struct worker w[NTHREADS];
	struct qat_proc *p[NNAMES], *q = QT_SENTINEL;
	int i;

	pthread_barrier_init(&s.go, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++)
		w[i] = (struct worker){ .s = &s, .id = i };
	run_all(storm_thread, w, sizeof(w[0]));
	pthread_barrier_destroy(&s.go);
	fprintf(stderr, "threads: storm %d claims, %d gave up\n",
		load(&s.taken), load(&s.waited_out));
	ck_assert_int_eq(load(&s.violations), 0);
	ck_assert_int_eq(load(&s.errors), 0);
	ck_assert_int_gt(load(&s.taken), NTHREADS * ROUNDS(3000) / 2);
	/* Nothing leaked: every name is free again, and no one queued. */
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	for (i = 0; i < NNAMES; i++)
		ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p[i]), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &q), -EAGAIN);
	qt_assert_untouched(q);
	for (i = 0; i < NNAMES; i++)
		ck_assert_int_eq(qat_proc_release(p[i]), 0);
}
END_TEST

/* ---- the lazy attach ------------------------------------------------------ */

struct first {
	pthread_barrier_t go;
	struct qat_rt *rt;
	int got[NNAMES + 1], eagain, errors, subs;
};

struct first_arg {
	struct first *f;
	int id;
};

static void *first_thread(void *arg)
{
	struct first_arg *a = arg;
	struct first *f = a->f;
	struct qat_state_sub *sub = NULL;
	struct qat_proc *p = NULL;
	int ret, k;

	pthread_barrier_wait(&f->go);
	if (a->id % 2) { /* half start on the state segment */
		if (qat_state_subscribe(f->rt, 0, NULL, &sub))
			add(&f->errors, 1);
		else
			add(&f->subs, 1);
	}
	ret = qat_proc_acquire(f->rt, "SSL", NULL, &p);
	if (ret == -EAGAIN) {
		add(&f->eagain, 1);
	} else if (ret || (k = name_index(p)) < 0) {
		add(&f->errors, 1);
	} else {
		add(&f->got[k], 1);
		/* Hold until everyone has tried: no name is given twice. */
	}
	pthread_barrier_wait(&f->go);
	if (!ret)
		qat_proc_release(p);
	qat_state_unsubscribe(sub);
	return NULL;
}

/* Fresh runtimes whose first registry use comes from 8 threads at once. */
START_TEST(first_use_races_attach)
{
	struct first_arg a[NTHREADS];
	int round, k, rounds = SLOW ? 6 : 30;

	for (round = 0; round < rounds; round++) {
		struct first f = { 0 };

		pthread_barrier_init(&f.go, NULL, NTHREADS);
		f.rt = qt_rt_open(qt_dir);
		for (k = 0; k < NTHREADS; k++)
			a[k] = (struct first_arg){ .f = &f, .id = k };
		run_all(first_thread, a, sizeof(a[0]));
		pthread_barrier_destroy(&f.go);
		ck_assert_int_eq(load(&f.errors), 0);
		ck_assert_int_eq(load(&f.subs), NTHREADS / 2);
		for (k = 0; k < NNAMES; k++)
			ck_assert_msg(load(&f.got[k]) == 1,
				      "round %d: SSL_INT_%d given %d times",
				      round, k, load(&f.got[k]));
		ck_assert_int_eq(load(&f.eagain), NTHREADS - NNAMES);
		ck_assert_int_eq(qat_proc_list(f.rt, NULL, 0), 0);
		qat_rt_close(f.rt);
	}
}
END_TEST

/* ---- publish and read --------------------------------------------------- */

#define NPUB (NTHREADS / 2)

struct pubsub {
	pthread_barrier_t go;
	int published, pub_done;
	int disorder, errors;
	int64_t seen, lost;      /* summed over readers */
};

struct ps_arg {
	struct pubsub *ps;
	int id;
	struct qat_state_sub *sub;
};

static void *publisher(struct ps_arg *a)
{
	struct qat_dev *dev = qt_dev_at(rt, (unsigned int)a->id % 2);
	int i;

	pthread_barrier_wait(&a->ps->go);
	for (i = 0; i < ROUNDS(1600); i++) {
		if (qat_state_publish(rt, dev, QAT_EVENT_RESTARTING +
				      i % 3))
			add(&a->ps->errors, 1);
		else
			add(&a->ps->published, 1);
	}
	add(&a->ps->pub_done, 1);
	return NULL;
}

/* Reads until the publishers are done and nothing is left; checks that
 * seq only grows and that read + lost = published. */
static void *reader(struct ps_arg *a)
{
	struct pubsub *ps = a->ps;
	struct qat_state_event ev;
	uint64_t last_seq = 0, lost;
	int64_t seen = 0;
	int ret, done;

	pthread_barrier_wait(&ps->go);
	for (;;) {
		done = load(&ps->pub_done) == NPUB;
		ret = qat_state_read(a->sub, &ev);
		if (ret == 0) {
			if (ev.seq <= last_seq)
				add(&ps->disorder, 1);
			last_seq = ev.seq;
			seen++;
		} else if (ret == -EAGAIN) {
			if (done)
				break;
			sched_yield();
		} else if (ret != -EOVERFLOW) {
			add(&ps->errors, 1);
			break;
		}
	}
	if (qat_state_lost(a->sub, NULL, &lost))
		add(&ps->errors, 1);
	__atomic_add_fetch(&ps->seen, seen, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&ps->lost, (int64_t)lost, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *pubsub_thread(void *arg)
{
	struct ps_arg *a = arg;

	return a->id < NPUB ? publisher(a) : reader(a);
}

START_TEST(publish_and_read)
{
	struct pubsub ps = { 0 };
	struct ps_arg a[NTHREADS];
	int i;

	pthread_barrier_init(&ps.go, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		a[i] = (struct ps_arg){ .ps = &ps, .id = i };
		if (i >= NPUB) /* made here: subscribe before any publish */
			ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL,
							     &a[i].sub), 0);
	}
	run_all(pubsub_thread, a, sizeof(a[0]));
	pthread_barrier_destroy(&ps.go);
	for (i = NPUB; i < NTHREADS; i++)
		qat_state_unsubscribe(a[i].sub);
	ck_assert_int_eq(load(&ps.errors), 0);
	ck_assert_int_eq(load(&ps.disorder), 0);
	ck_assert_int_eq(load(&ps.published), NPUB * ROUNDS(1600));
	/* Every reader accounts for every event: read or counted lost. */
	ck_assert_int_eq(ps.seen + ps.lost,
			 (int64_t)(NTHREADS - NPUB) * NPUB * ROUNDS(1600));
}
END_TEST

/* ---- handlers while interrupts fire -------------------------------------- */

#define NVEC 4

struct churn {
	int stop;
	int calls, late, errors, cycles;
};

/* One handler identity per thread; `live` is 1 only between add and
 * remove, so a call outside that window is a late call. */
struct churn_arg {
	struct churn *c;
	int id;
	int live;
};

static void churn_cb(struct qat_dev *dev, unsigned int index,
		     unsigned int vector, void *arg)
{
	struct churn_arg *a = arg;

	if (!load(&a->live))
		add(&a->c->late, 1);
	add(&a->c->calls, 1);
}

static void *raiser(struct churn_arg *a)
{
	struct qat_dev *dev = qt_dev_at(rt, 0);
	unsigned int v = 0;

	while (!load(&a->c->stop)) {
		if (qat_sim_raise_irq(dev, QAT_IRQ_MSIX, v++ % NVEC) < 0)
			add(&a->c->errors, 1);
		if (v % 64 == 0)
			usleep(100);
	}
	return NULL;
}

static void *churner(struct churn_arg *a)
{
	struct qat_dev *dev = qt_dev_at(rt, 0);
	unsigned int vec = (unsigned int)a->id % NVEC;
	int i;

	for (i = 0; i < ROUNDS(400); i++) {
		__atomic_store_n(&a->live, 1, __ATOMIC_SEQ_CST);
		if (qat_irq_handler_add(dev, QAT_IRQ_MSIX, vec, churn_cb, a)) {
			add(&a->c->errors, 1);
			break;
		}
		if (i % 4 == 0)
			usleep(200); /* let some interrupts reach it */
		if (qat_irq_handler_remove(dev, QAT_IRQ_MSIX, vec, churn_cb,
					   a)) {
			add(&a->c->errors, 1);
			break;
		}
		/* Removed: from here on, no call may come. */
		__atomic_store_n(&a->live, 0, __ATOMIC_SEQ_CST);
		add(&a->c->cycles, 1);
	}
	return NULL;
}

static void *churn_thread(void *arg)
{
	struct churn_arg *a = arg;

	return a->id < 2 ? raiser(a) : churner(a);
}

START_TEST(handlers_churn_while_firing)
{
	struct churn c = { 0 };
	struct churn_arg a[NTHREADS];
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		a[i] = (struct churn_arg){ .c = &c, .id = i };
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn_thread,
						&a[i]), 0);
	for (i = 2; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	__atomic_store_n(&c.stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	fprintf(stderr, "threads: %d handler cycles, %d calls\n",
		load(&c.cycles), load(&c.calls));
	ck_assert_int_eq(load(&c.errors), 0);
	ck_assert_int_eq(load(&c.late), 0);
	ck_assert_int_eq(load(&c.cycles), (NTHREADS - 2) * ROUNDS(400));
	ck_assert_int_gt(load(&c.calls), 0);
	/* The last handler gone, the index is free for the application. */
	ck_assert_int_eq(qat_irq_bind(qt_dev_at(rt, 0), QAT_IRQ_MSIX, 0, 1,
				      (int[]){ -1 }), 0);
	ck_assert_int_eq(qat_irq_unbind(qt_dev_at(rt, 0), QAT_IRQ_MSIX), 0);
}
END_TEST

Suite *threads_suite(void);

Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("threads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, acquire_release_storm);
	tcase_add_test(tc, first_use_races_attach);
	tcase_add_test(tc, publish_and_read);
	tcase_add_test(tc, handlers_churn_while_firing);
	suite_add_tcase(s, tc);
	return s;
}
