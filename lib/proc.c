/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process-section API (see include/qat/proc.h): what
 * /dev/qat_dev_processes does in the QAT drivers, without a kernel driver
 * or a daemon. proc_map.c maps names to slots, proc_seg.c works the
 * shared table, proc_reg.c owns handles, fds and fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "proc_int.h"

/* 1 to 127 characters of [A-Za-z0-9_] (the FreeBSD seed let a name of
 * exactly 128 through, leaving no room for the terminator). */
static int name_ok(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= PROC_NAME_MAX - 1)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return n > 0;
}

/* From the configuration alone, before any shared state is touched. */
static int section_check(const struct qat_rt *rt, const char *base)
{
	unsigned int i;
	int any = 0;

	for (i = 0; i < rt->ndevs; i++) {
		if (!qat_cfg_has_section(rt->devs[i]->cfg, base))
			continue;
		if (qat_dev_started(rt->devs[i]))
			return 0;
		any = 1;
	}
	if (!any) {
		qat_rt_log_no_section(rt, base);
		return -ENOENT;
	}
	qat_err("section %s: no device that has it is started", base);
	return -ENODEV;
}

static int plan_usable(const struct qat_rt *rt, const struct proc_plan *p)
{
	unsigned int i;

	for (i = 0; i < p->nrun; i++)
		if (qat_dev_started(rt->devs[p->run[i].dev]))
			return 0;
	qat_err("section %s has no process sections on a started device "
		"(is NumProcesses set?)", p->base);
	return -ENOENT;
}

/* One pass over the names, under the segment lock. 1 taken, 0 none
 * (*full: it was our turn, and no name looked free). */
static int try_once(struct proc_reg *reg, const struct proc_plan *p,
		    struct qat_proc *h, const struct proc_ticket *t, int *full)
{
	int ret;

	*full = 0;
	if (!proc_queue_my_turn(reg, p->base, t))
		return 0;
	ret = proc_take_first(reg, h, p);
	if (ret > 0)
		memcpy(h->name, reg->slot_name[h->slot],
		       strlen(reg->slot_name[h->slot]) + 1);
	*full = ret == 0;
	return ret;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Nanoseconds to sleep next: up to the deadline (never rounded, so the
 * call never gives up early), at most PROC_POLL_MS; 0 once the deadline
 * passed; -1 for no bound (waiting for ever without the poll).
 */
static int64_t wait_ns(int timeout_ms, uint64_t start, int cancel)
{
	const int64_t poll = qat_proc_test_no_poll && !cancel ? -1 :
			     (int64_t)PROC_POLL_MS * 1000000;
	uint64_t spent, left;

	if (timeout_ms < 0)
		return poll;
	spent = mono_ns() - start;
	if (spent >= (uint64_t)timeout_ms * 1000000u)
		return 0;
	left = (uint64_t)timeout_ms * 1000000u - spent;
	return poll >= 0 && (uint64_t)poll < left ? poll : (int64_t)left;
}

/*
 * One locked round: take a name if it is our turn, else (waiting) make
 * sure we hold a place in the queue. Leaves the queue once done. Returns
 * 1 taken, 0 not yet, -errno. *seq gets the wake sequence read before the
 * names were looked at, so a release after that look ends the next sleep.
 */
static int locked_round(struct proc_reg *reg, const struct proc_plan *p,
			struct qat_proc *h, struct proc_ticket *t, int wait,
			uint32_t *seq, const uint32_t *dead, unsigned int ndead,
			int *full)
{
	int ret = proc_seg_lock(reg), left = 0;

	if (ret)
		return ret;
	*seq = proc_wake_seq(reg);
	if (ndead)
		proc_dead_clear(reg, dead, ndead);
	ret = try_once(reg, p, h, t->have ? t : NULL, full);
	if (ret == 0 && wait && !t->have)
		proc_queue_enter(reg, p->base, t); /* full: poll unqueued */
	if (ret != 0 && t->have) {
		proc_queue_leave(reg, t);
		left = 1;
	}
	proc_seg_unlock(reg);
	if (left)
		proc_wake(reg); /* the next in line may be first now */
	return ret;
}

/*
 * A locked round; when it finds no name marked free, look for names of
 * dead holders without the lock and, if some, a second round that frees
 * them first.
 */
static int round_and_sweep(struct proc_reg *reg, const struct proc_plan *p,
			   struct qat_proc *h, struct proc_ticket *t, int wait,
			   uint32_t *seq)
{
	uint32_t dead[PROC_DEAD_BATCH];
	unsigned int n;
	int ret, full;

	ret = locked_round(reg, p, h, t, wait, seq, NULL, 0, &full);
	if (ret || !full)
		return ret;
	n = proc_dead_scan(reg, p, dead, PROC_DEAD_BATCH);
	if (!n)
		return 0;
	return locked_round(reg, p, h, t, wait, seq, dead, n, &full);
}

/* Stop waiting with `why`, leaving the queue. */
static int give_up(struct proc_reg *reg, struct proc_ticket *t, int why)
{
	int ret;

	if (!t->have)
		return why;
	ret = proc_seg_lock(reg);
	if (ret)
		return ret;
	proc_queue_leave(reg, t);
	proc_seg_unlock(reg);
	proc_wake(reg);
	return why;
}

/* The cancel descriptor is readable (or hung up). */
static int cancelled(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

static int acquire_loop(struct proc_reg *reg, const struct proc_plan *p,
			struct qat_proc *h, const struct qat_proc_opts *o)
{
	int wait = !!(o->flags & QAT_PROC_WAIT), ret;
	int cancel = !!(o->flags & QAT_PROC_CANCEL_FD);
	struct proc_ticket t = { 0 };
	uint64_t start = mono_ns();
	uint32_t seq;
	int64_t ns;

	for (;;) {
		ret = round_and_sweep(reg, p, h, &t, wait, &seq);
		if (ret > 0)
			return 0;
		if (ret < 0)
			return ret;
		if (!wait)
			return -EAGAIN;
		if (cancel && cancelled(o->cancel_fd))
			return give_up(reg, &t, -ECANCELED);
		ns = wait_ns(o->timeout_ms, start, cancel);
		if (!ns)
			return give_up(reg, &t, -ETIMEDOUT);
		/* Woken by releases; the poll catches holders that died (and
		 * a readable cancel fd). A handler that ran ends the wait,
		 * SA_RESTART or not: the kernel restarts no timed futex wait
		 * after a handler (-ERESTART_RESTARTBLOCK becomes -EINTR)
		 * and does not say which signal it was. */
		if (proc_wait(reg, seq, ns) == -EINTR)
			return give_up(reg, &t, -EINTR);
	}
}

/*
 * On an exclusive device the claim and the device go together: open it
 * now, so that no later call of the claimer meets -EBUSY, and grant no
 * claim that cannot be used. A holder that has just let go may still be
 * closing the device (its process ending): a waiting caller gives it a
 * moment.
 */
#define HOLD_RETRY_MS 1000

static int hold_dev(struct qat_proc *h, const struct qat_proc_opts *o)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int ret, waited;

	h->dev_held = false;
	for (waited = 0;; waited += 10) {
		ret = qat_dev_hold(h->dev);
		if (ret != -EBUSY || !(o->flags & QAT_PROC_WAIT) ||
		    waited >= HOLD_RETRY_MS)
			break;
		nanosleep(&pause, NULL);
	}
	if (ret) {
		qat_err("%s: device %u is exclusive and cannot be opened (%s); "
			"claim not granted", h->name, h->dev->info.accel_id,
			qat_strerror(ret));
		qat_proc_release(h);
		return ret;
	}
	h->dev_held = h->dev->info.sharing == QAT_DEV_EXCLUSIVE;
	return 0;
}

QAT_API int qat_proc_acquire(struct qat_rt *rt, const char *section,
			     const struct qat_proc_opts *opts,
			     struct qat_proc **out)
{
	const struct proc_plan *plan;
	struct qat_proc_opts o;
	struct proc_reg *reg;
	struct qat_proc *h;
	int ret;

	if (!rt || !out || !name_ok(section))
		return -EINVAL;
	ret = qat_opts_copy(&o, sizeof(o), opts);
	if (ret)
		return ret;
	if (o.flags & ~QAT_PROC_FLAGS_ALL ||
	    (o.flags & QAT_PROC_CANCEL_FD && fcntl(o.cancel_fd, F_GETFD) < 0))
		return -EINVAL;
	ret = section_check(rt, section);
	if (ret)
		return ret;
	ret = proc_reg_get(rt, &reg);
	if (!ret)
		ret = proc_plan_get(reg, section, &plan);
	if (!ret)
		ret = plan_usable(rt, plan);
	if (!ret)
		ret = proc_handle_get(reg, &h);
	if (ret)
		return ret;
	ret = acquire_loop(reg, plan, h, &o);
	if (ret) {
		/* Not queued and holding nothing. */
		proc_handle_put(h);
		return ret;
	}
	proc_handle_held(h);
	ret = hold_dev(h, &o);
	if (ret)
		return ret;
	*out = h;
	return 0;
}

QAT_API const char *qat_proc_name(const struct qat_proc *p)
{
	return p && p->magic == PROC_H_MAGIC ? p->name : NULL;
}

QAT_API struct qat_dev *qat_proc_dev(const struct qat_proc *p)
{
	return p && p->magic == PROC_H_MAGIC ? p->dev : NULL;
}

QAT_API int qat_proc_release(struct qat_proc *p)
{
	struct proc_reg *reg;
	int ret;

	if (!p)
		return 0;
	if (p->magic != PROC_H_MAGIC)
		return -EINVAL;
	reg = p->reg;
	ret = proc_handle_begin_release(p);
	if (ret)
		return ret;
	/* The device goes before the name: whoever gets the name next can
	 * open the device. */
	if (p->dev_held)
		qat_dev_let_go(p->dev);
	p->dev_held = false;
	proc_slot_free(reg, p); /* a failure is logged; nothing to undo */
	proc_wake(reg);
	proc_handle_put(p);
	return 0;
}

static void claim_fill(const struct proc_reg *reg, uint32_t i,
		       struct qat_proc_claim *c)
{
	const struct proc_slot *s = &reg->seg->slots[i];

	memset(c, 0, sizeof(*c));
	memcpy(c->name, reg->slot_name[i], strlen(reg->slot_name[i]) + 1);
	c->accel_id = reg->rt->devs[reg->slot_dev[i]]->info.accel_id;
	c->pid = (pid_t)s->pid;
	c->claimed_ns = s->claimed_ns;
}

QAT_API int qat_proc_list(struct qat_rt *rt, struct qat_proc_claim *claims,
			  unsigned int max)
{
	struct proc_reg *reg;
	unsigned int n = 0;
	uint32_t i;
	int ret;

	if (!rt || (max && !claims))
		return -EINVAL;
	ret = proc_reg_get(rt, &reg);
	if (!ret)
		ret = proc_seg_lock(reg);
	if (ret)
		return ret;
	for (i = 0; i < reg->nslots && n < INT_MAX; i++) {
		/* Names come from our configuration, not from the file. */
		if (!reg->slot_name[i] || !proc_slot_live(reg, i))
			continue;
		if (n < max)
			claim_fill(reg, i, &claims[n]);
		n++;
	}
	proc_seg_unlock(reg);
	return (int)n;
}
