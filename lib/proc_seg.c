/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared half of the process registry: slots, the wait queue, wakeups
 * and crash repair.
 *
 * Invariant: a name is held by whoever holds the OFD lock on its slot's
 * byte, and only the holder writes its slot. A claimer locks the byte
 * first, then writes the entry, then publishes state TAKEN with a release
 * store; a releaser stores FREE, then unlocks. A process killed at any
 * point therefore leaves either a FREE slot or a TAKEN slot whose byte
 * nobody holds, which the next claimer takes over and which repair and
 * listing treat as free. Queue entries follow the same pattern.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc_int.h"

void (*qat_proc_test_hook)(int where);

static void hook(int where)
{
	if (qat_proc_test_hook)
		qat_proc_test_hook(where);
}

static int ofd_set(int fd, short type, uint64_t off)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = (off_t)off,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EACCES ? -EAGAIN : -errno;
}

/* 0, or -EAGAIN when another description holds the byte. */
static int ofd_lock(int fd, uint64_t off)
{
	return ofd_set(fd, F_WRLCK, off);
}

static int ofd_unlock(int fd, uint64_t off)
{
	return ofd_set(fd, F_UNLCK, off);
}

/*
 * 1 when some description holds byte `off`, 0 when none does, -errno.
 * Asked through the mapping's fd, which never locks anything, so every
 * claim (ours included) shows.
 */
static int ofd_held(const struct proc_reg *reg, uint64_t off)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)off,
		.l_len = 1,
	};

	if (fcntl(reg->shm.fd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type != F_UNLCK;
}

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void nwaiting_add(struct proc_seg *seg, int d)
{
	uint32_t n = __atomic_load_n(&seg->nwaiting, __ATOMIC_RELAXED);

	if (d < 0 && n == 0)
		return; /* already wrong; repair recounts */
	__atomic_store_n(&seg->nwaiting, n + (uint32_t)d, __ATOMIC_SEQ_CST);
}

/* Rebuild the tables from the locks after a process died mid-update. */
static void seg_repair(void *base, void *arg)
{
	struct proc_reg *reg = arg;
	struct proc_seg *seg = reg->seg;
	uint32_t i, n = 0;
	int held;

	for (i = 0; i < reg->nslots; i++) {
		struct proc_slot *s = &seg->slots[i];

		if (s->state == PROC_SLOT_FREE)
			continue;
		held = ofd_held(reg, PROC_LOCK_SLOT(reg->size, i));
		if (held >= 0)
			s->state = held ? PROC_SLOT_TAKEN : PROC_SLOT_FREE;
		s->name[PROC_NAME_MAX - 1] = '\0';
	}
	for (i = 0; i < PROC_NWAITERS; i++) {
		struct proc_waiter *w = &seg->waiters[i];

		if (w->state == PROC_WAITER_FREE)
			continue;
		held = ofd_held(reg,
				PROC_LOCK_WAITER(reg->size, reg->nslots, i));
		if (held == 0 || (held > 0 && w->state != PROC_WAITER_USED))
			w->state = PROC_WAITER_FREE;
		n += w->state == PROC_WAITER_USED;
	}
	__atomic_store_n(&seg->nwaiting, n, __ATOMIC_SEQ_CST);
	qat_warn("%s: a process died updating the registry; repaired",
		 reg->path);
	/* The dead process may have owed someone a wakeup. */
	proc_wake(reg);
}

int proc_seg_lock(struct proc_reg *reg)
{
	int ret = qat_shm_lock(&reg->shm, seg_repair, reg);

	if (ret)
		qat_err("%s: registry lock unusable: %s", reg->path,
			qat_strerror(ret));
	return ret;
}

void proc_seg_unlock(struct proc_reg *reg)
{
	qat_shm_unlock(&reg->shm);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Try to claim `slot` for h. 1 when claimed, 0 when a live claim holds
 * it, -errno. A TAKEN slot whose byte we could lock belonged to a process
 * that died: taking it over is the point.
 */
int proc_slot_try_take(struct proc_reg *reg, struct qat_proc *h,
		       uint32_t slot, uint32_t accel_id)
{
	struct proc_slot *s = &reg->seg->slots[slot];
	int ret = ofd_lock(h->fd, PROC_LOCK_SLOT(reg->size, slot));

	if (ret)
		return ret == -EAGAIN ? 0 : ret;
	/* Read after locking: a holder stores FREE before it unlocks. */
	if (load_acq(&s->state) != PROC_SLOT_FREE) {
		reg->seg->reclaims++;
		qat_dbg("%s: taking %s back from dead pid %d", reg->path,
			reg->slot_name[slot], (int)s->pid);
	}
	s->accel_id = accel_id;
	s->pid = (int32_t)reg->pid;
	s->claimed_ns = now_ns(CLOCK_REALTIME);
	snprintf(s->name, sizeof(s->name), "%s", reg->slot_name[slot]);
	hook(PROC_HOOK_TAKE);
	store_rel(&s->state, PROC_SLOT_TAKEN);
	h->slot = slot;
	return 1;
}

/* Without the segment lock: only the holder writes its slot. Returns 0,
 * or -errno when the unlock failed (the caller then closes the fd). */
int proc_slot_free(struct proc_reg *reg, struct qat_proc *h)
{
	store_rel(&reg->seg->slots[h->slot].state, PROC_SLOT_FREE);
	return ofd_unlock(h->fd, PROC_LOCK_SLOT(reg->size, h->slot));
}

/* 1 when slot is claimed by a live process; a dead claim is cleared. */
int proc_slot_live(struct proc_reg *reg, uint32_t slot)
{
	struct proc_slot *s = &reg->seg->slots[slot];
	int held;

	if (load_acq(&s->state) != PROC_SLOT_TAKEN)
		return 0;
	held = ofd_held(reg, PROC_LOCK_SLOT(reg->size, slot));
	if (held == 0)
		store_rel(&s->state, PROC_SLOT_FREE);
	return held != 0;
}

/* 1 when queue entry j is held by a live waiter; a dead one is cleared. */
static int waiter_live(struct proc_reg *reg, uint32_t j)
{
	struct proc_waiter *w = &reg->seg->waiters[j];
	int held = ofd_held(reg, PROC_LOCK_WAITER(reg->size, reg->nslots, j));

	if (held)
		return 1; /* alive, or unknown: assume alive */
	store_rel(&w->state, PROC_WAITER_FREE);
	nwaiting_add(reg->seg, -1);
	return 0;
}

static int waiter_for(const struct proc_waiter *w, const char *base)
{
	return load_acq(&w->state) == PROC_WAITER_USED &&
	       !strncmp(w->base, base, PROC_NAME_MAX);
}

/*
 * 1 when no live waiter for `base` is ahead of the caller, who holds
 * ticket t (NULL for a newcomer, behind everyone). Dead waiters met on
 * the way are removed, so a killed head does not block the queue.
 */
int proc_queue_my_turn(struct proc_reg *reg, const char *base,
		       const struct proc_ticket *t)
{
	struct proc_seg *seg = reg->seg;
	uint32_t j;

	if (!__atomic_load_n(&seg->nwaiting, __ATOMIC_SEQ_CST))
		return 1;
	for (j = 0; j < PROC_NWAITERS; j++) {
		const struct proc_waiter *w = &seg->waiters[j];

		if (t && (j == t->idx || w->ticket >= t->ticket))
			continue;
		if (waiter_for(w, base) && waiter_live(reg, j))
			return 0;
	}
	return 1;
}

static int queue_slot(struct proc_reg *reg, struct qat_proc *h, uint32_t j)
{
	uint64_t off = PROC_LOCK_WAITER(reg->size, reg->nslots, j);

	return ofd_lock(h->fd, off) == 0;
}

/* A free queue entry, locked by h: a FREE one, else a dead one. */
static int queue_find(struct proc_reg *reg, struct qat_proc *h, uint32_t *out)
{
	struct proc_seg *seg = reg->seg;
	uint32_t j;

	for (j = 0; j < PROC_NWAITERS; j++) {
		if (load_acq(&seg->waiters[j].state) == PROC_WAITER_FREE &&
		    queue_slot(reg, h, j))
			goto found;
	}
	for (j = 0; j < PROC_NWAITERS; j++) {
		if (load_acq(&seg->waiters[j].state) == PROC_WAITER_USED &&
		    !waiter_live(reg, j) && queue_slot(reg, h, j))
			goto found;
	}
	return -ENOSPC;
found:
	*out = j;
	return 0;
}

/* Join the queue for `base` behind everyone. -ENOSPC when it is full: the
 * caller then keeps polling without a place. */
int proc_queue_enter(struct proc_reg *reg, struct qat_proc *h,
		     const char *base, struct proc_ticket *t)
{
	struct proc_seg *seg = reg->seg;
	struct proc_waiter *w;
	uint32_t j;
	int ret = queue_find(reg, h, &j);

	if (ret)
		return ret;
	w = &seg->waiters[j];
	w->pid = (int32_t)reg->pid;
	w->ticket = seg->next_ticket++;
	snprintf(w->base, sizeof(w->base), "%s", base);
	hook(PROC_HOOK_ENQUEUE);
	store_rel(&w->state, PROC_WAITER_USED);
	nwaiting_add(seg, 1);
	t->have = 1;
	t->idx = j;
	t->ticket = w->ticket;
	return 0;
}

void proc_queue_leave(struct proc_reg *reg, struct qat_proc *h,
		      struct proc_ticket *t)
{
	if (!t->have)
		return;
	store_rel(&reg->seg->waiters[t->idx].state, PROC_WAITER_FREE);
	nwaiting_add(reg->seg, -1);
	ofd_unlock(h->fd, PROC_LOCK_WAITER(reg->size, reg->nslots,
						t->idx));
	t->have = 0;
}

static long futex(uint32_t *addr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/*
 * Tell waiters a name may be free. The sequence bump comes first and is
 * sequentially consistent with the waiter count, so a waiter that counted
 * itself after we looked still sees the new sequence and does not sleep.
 */
void proc_wake(struct proc_reg *reg)
{
	struct proc_seg *seg = reg->seg;

	__atomic_add_fetch(&seg->wake_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&seg->nwaiting, __ATOMIC_SEQ_CST))
		futex(&seg->wake_seq, FUTEX_WAKE, INT_MAX, NULL);
}

uint32_t proc_wake_seq(struct proc_reg *reg)
{
	return __atomic_load_n(&reg->seg->wake_seq, __ATOMIC_SEQ_CST);
}

/* Sleep until the sequence moves from `seq` or `ms` pass. Not a private
 * futex: the word is shared by every process mapping the file. */
void proc_wait(struct proc_reg *reg, uint32_t seq, int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	futex(&reg->seg->wake_seq, FUTEX_WAIT, seq, &ts);
}
