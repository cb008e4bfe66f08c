/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts of a simulated device across processes. On hardware an
 * interrupt reaches whoever bound its vector, whoever made the device
 * raise it; an eventfd, though, is a file of the binding process only.
 * So the shared file says who binds each vector (sim_shvec.binder), and a
 * raise from any other process is handed to the binder: the raiser takes
 * a ticket and rings a futex doorbell in the file, the binder's listener
 * thread raises the vector in its own interrupt model (so its masking
 * rules apply: INTx masks itself, a raise while masked is left pending
 * for the unmask) and posts the answer, which the raiser waits for.
 *
 * The file is others' to write: a binder is believed only while its pid
 * lives, every wait is bounded (SIM_XP_ANSWER_MS for a raiser, a timed
 * futex wait for the listener), and the ticket counters are bounded per
 * round, so a forged count cannot keep the listener busy forever.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sim_priv.h"

#define SIM_XP_ANSWER_MS 1000 /* how long a raiser waits for the binder */
#define SIM_XP_SLICE_MS 50    /* then checks that the binder still lives */
#define SIM_XP_IDLE_MS 500    /* the listener's longest sleep */
#define SIM_XP_ROUND 256      /* tickets served per vector per round */
#define SIM_XP_SANE (1u << 20) /* more outstanding tickets: forged */

struct sim_xp {
	pthread_mutex_t lock;     /* guards thread start and stop */
	uint32_t instance;        /* tells runtimes of one process apart */
	int pid;                  /* whose thread `thread` is; 0 none */
	int stop;
	pthread_t thread;
	sem_t up;                 /* posted once the thread runs */
};

static uint32_t sim_xp_instances;

static long futex(uint32_t *addr, int op, uint32_t val, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	return syscall(SYS_futex, addr, op, val, ms >= 0 ? &ts : NULL, NULL,
		       0);
}

static void bump_and_wake(uint32_t *word)
{
	__atomic_fetch_add(word, 1, __ATOMIC_RELEASE);
	futex(word, FUTEX_WAKE, INT_MAX, -1);
}

static struct sim_shvec *slot_of(struct qat_sim_dev *s, unsigned int index,
				 unsigned int vector)
{
	return &s->sh->vec[qat_sim_vec_slot(index, vector)];
}

/* This process's (and runtime's) name in the binder words; 0 before any
 * binding. The pid is read afresh: a fork child is someone else. */
static uint64_t ident(const struct sim_xp *xp)
{
	return xp ? (uint64_t)(uint32_t)getpid() << 32 | xp->instance : 0;
}

static int binder_alive(uint64_t b)
{
	return qat_sim_pid_alive((int)(b >> 32));
}

/* Answer up to SIM_XP_ROUND tickets of one vector bound here. */
static unsigned int serve_vec(struct qat_dev *dev, struct sim_shvec *v,
			      unsigned int index, unsigned int vector)
{
	uint32_t raised = __atomic_load_n(&v->raised, __ATOMIC_ACQUIRE);
	uint32_t done = __atomic_load_n(&v->done, __ATOMIC_ACQUIRE);
	uint32_t n = raised - done, i;
	uint64_t bit;

	if (n > SIM_XP_SANE) {
		/* Forged: skip to the latest ticket, which a raiser may
		 * be waiting for, and answer that one alone. */
		qat_warn("sim device %u: vector %u/%u: %u raises outstanding; "
			 "the shared file is corrupt, all but the last dropped",
			 dev->info.accel_id, index, vector, n);
		done = raised - 1;
		n = 1;
	}
	for (i = 0; i < n && i < SIM_XP_ROUND; i++) {
		bit = UINT64_C(1) << ((done + i + 1) % 64);
		if (qat_sim_irq_raise_local(dev, index, vector) > 0)
			__atomic_fetch_or(&v->results, bit, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&v->results, ~bit,
					   __ATOMIC_RELAXED);
		__atomic_store_n(&v->done, done + i + 1, __ATOMIC_RELEASE);
	}
	return i;
}

/* One pass over the vectors bound here; how many tickets it answered. */
static unsigned int serve(struct qat_dev *dev, struct sim_xp *xp)
{
	struct qat_sim_dev *s = dev->priv;
	uint64_t me = ident(xp);
	unsigned int index, v, n, total = 0;

	for (index = 0; index < QAT_IRQ_NUM_INDEXES; index++) {
		n = qat_sim_irq_count(dev, index);
		for (v = 0; v < n; v++) {
			struct sim_shvec *sv = slot_of(s, index, v);

			if (__atomic_load_n(&sv->binder, __ATOMIC_ACQUIRE) ==
			    me)
				total += serve_vec(dev, sv, index, v);
		}
	}
	return total;
}

static void *listener_main(void *arg)
{
	struct qat_dev *dev = arg;
	struct qat_sim_dev *s = dev->priv;
	struct sim_xp *xp = s->xp;
	uint32_t seen;
	unsigned int n;

	sem_post(&xp->up);
	for (;;) {
		seen = __atomic_load_n(&s->sh->doorbell, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&xp->stop, __ATOMIC_ACQUIRE))
			break;
		n = serve(dev, xp);
		if (n)
			bump_and_wake(&s->sh->acks);
		if (!n)
			futex(&s->sh->doorbell, FUTEX_WAIT, seen,
			      SIM_XP_IDLE_MS);
	}
	return NULL;
}

static int listener_start(struct qat_dev *dev, struct sim_xp *xp)
{
	sigset_t all, old;
	int ret;

	/* The application's signal handlers must not run on our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	__atomic_store_n(&xp->stop, 0, __ATOMIC_RELEASE);
	ret = -pthread_create(&xp->thread, NULL, listener_main, dev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return ret;
	/* Return with the thread fully started: a fork() right after must
	 * not catch it half-way (the C library's, or a sanitizer's, locks
	 * held by a starting thread stay held in the child). */
	while (sem_wait(&xp->up) && errno == EINTR)
		;
	xp->pid = getpid();
	return 0;
}

static struct sim_xp *xp_get(struct qat_sim_dev *s)
{
	struct sim_xp *xp;

	pthread_mutex_lock(&s->lock);
	xp = s->xp;
	if (!xp) {
		xp = calloc(1, sizeof(*xp));
		if (xp) {
			pthread_mutex_init(&xp->lock, NULL);
			sem_init(&xp->up, 0, 0);
			xp->instance = __atomic_add_fetch(&sim_xp_instances, 1,
							  __ATOMIC_RELAXED);
			s->xp = xp;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return xp;
}

int qat_sim_xp_publish(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	struct sim_xp *xp = xp_get(s);
	unsigned int index, v, n;
	uint64_t me, cur;
	int any = 0, ret = 0;

	if (!xp)
		return -ENOMEM;
	me = ident(xp);
	for (index = 0; index < QAT_IRQ_NUM_INDEXES; index++) {
		n = qat_sim_irq_count(dev, index);
		for (v = 0; v < n; v++) {
			struct sim_shvec *sv = slot_of(s, index, v);

			cur = me;
			if (qat_sim_irq_bound(dev, index, v)) {
				/* The latest process to bind a vector gets
				 * it, as the last SET_IRQS on a file wins. */
				__atomic_store_n(&sv->binder, me,
						 __ATOMIC_RELEASE);
				any = 1;
			} else {
				__atomic_compare_exchange_n(
					&sv->binder, &cur, 0, 0,
					__ATOMIC_RELEASE, __ATOMIC_RELAXED);
			}
		}
	}
	pthread_mutex_lock(&xp->lock);
	if (any && xp->pid != getpid())
		ret = listener_start(dev, xp);
	pthread_mutex_unlock(&xp->lock);
	return ret;
}

/* Wait, bounded, for the binder `b` to answer ticket `t`. */
static int await_answer(struct sim_shvec *v, uint32_t *acks, uint64_t b,
			uint32_t t)
{
	uint32_t seen;
	int waited;

	for (waited = 0; waited < SIM_XP_ANSWER_MS;
	     waited += SIM_XP_SLICE_MS) {
		seen = __atomic_load_n(acks, __ATOMIC_ACQUIRE);
		if ((int32_t)(__atomic_load_n(&v->done, __ATOMIC_ACQUIRE) -
			      t) >= 0)
			return (int)(__atomic_load_n(&v->results,
						     __ATOMIC_ACQUIRE) >>
				     (t % 64) & 1);
		/* A binder that went (or gave the vector up) answers no
		 * one: the raise reached nothing. */
		if (__atomic_load_n(&v->binder, __ATOMIC_ACQUIRE) != b ||
		    !binder_alive(b))
			return 0;
		futex(acks, FUTEX_WAIT, seen, SIM_XP_SLICE_MS);
	}
	return -ETIMEDOUT;
}

int qat_sim_xp_raise(struct qat_dev *dev, unsigned int index,
		     unsigned int vector)
{
	struct qat_sim_dev *s = dev->priv;
	struct sim_shvec *v = slot_of(s, index, vector);
	uint64_t b = __atomic_load_n(&v->binder, __ATOMIC_ACQUIRE);
	uint32_t t;
	int ret;

	if (!b || b == ident(s->xp))
		return qat_sim_irq_raise_local(dev, index, vector);
	if (!binder_alive(b)) {
		/* Dead binders bind nothing; forget this one. */
		__atomic_compare_exchange_n(&v->binder, &b, 0, 0,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		return qat_sim_irq_raise_local(dev, index, vector);
	}
	t = __atomic_add_fetch(&v->raised, 1, __ATOMIC_ACQ_REL);
	bump_and_wake(&s->sh->doorbell);
	ret = await_answer(v, &s->sh->acks, b, t);
	if (ret == -ETIMEDOUT)
		qat_warn("sim device %u: vector %u/%u: process %d bound it "
			 "but did not answer a raise within %d ms",
			 dev->info.accel_id, index, vector, (int)(b >> 32),
			 SIM_XP_ANSWER_MS);
	return ret;
}

void qat_sim_xp_fini(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	struct sim_xp *xp = s ? s->xp : NULL;
	unsigned int index, v, n;
	uint64_t me, cur;

	if (!xp)
		return;
	me = ident(xp);
	for (index = 0; index < QAT_IRQ_NUM_INDEXES; index++) {
		n = qat_sim_irq_count(dev, index);
		for (v = 0; v < n; v++) {
			cur = me;
			__atomic_compare_exchange_n(&slot_of(s, index, v)->binder,
						    &cur, 0, 0,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED);
		}
	}
	/* A fork child has the struct but not the parent's thread. */
	if (xp->pid == getpid()) {
		__atomic_store_n(&xp->stop, 1, __ATOMIC_RELEASE);
		bump_and_wake(&s->sh->doorbell);
		pthread_join(xp->thread, NULL);
	}
	pthread_mutex_destroy(&xp->lock);
	sem_destroy(&xp->up);
	free(xp);
	s->xp = NULL;
}
