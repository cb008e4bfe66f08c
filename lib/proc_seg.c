/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared half of the process registry: slots, the taken bitmap, the
 * wait queue, wakeups and crash repair.
 *
 * Invariant: a name is held by whoever holds the OFD lock on its slot's
 * byte. Claims and releases both run under the segment lock: a claimer
 * locks the byte, then writes the entry and sets the slot's bit; a
 * releaser unlocks the byte, then marks the entry free and clears the bit.
 * A process killed inside the lock leaves EOWNERDEAD, and the next locker
 * rebuilds the table from the locks; one killed outside it leaves only
 * entries whose byte nobody holds, which count as free when looked at
 * (listing, and the search once no name looks free).
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

int qat_proc_test_no_poll;

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

/* Lock or unlock slot i's byte through this process's description:
 * 0, -EAGAIN when another description holds it, or -errno. */
static int slot_lockop(struct proc_reg *reg, uint32_t i, short type)
{
	int fd = proc_lock_fd(reg, PROC_LOCK_FILE(i), 0);

	if (fd < 0)
		return fd;
	return ofd_set(fd, type, PROC_LOCK_SLOT(reg->size, i));
}

static int ofd_held_fd(int fd, uint64_t off)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)off,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type != F_UNLCK;
}

/*
 * 1 when some description holds slot i's byte, 0 when none does, -errno.
 * Asked through a description that never locks, so every claim (ours
 * included) shows.
 */
static int slot_held(struct proc_reg *reg, uint32_t i)
{
	int fd = proc_lock_fd(reg, PROC_LOCK_FILE(i), 1);

	if (fd < 0)
		return fd;
	return ofd_held_fd(fd, PROC_LOCK_SLOT(reg->size, i));
}

static int waiter_held(struct proc_reg *reg, uint32_t j)
{
	return ofd_held_fd(reg->shm.fd, PROC_LOCK_WAITER(reg->size, j));
}

static void bit_set(struct proc_seg *seg, uint32_t i)
{
	__atomic_or_fetch(&seg->taken[i / 64], 1ull << (i % 64),
			  __ATOMIC_RELEASE);
}

static int bit_test(const struct proc_seg *seg, uint32_t i)
{
	return !!(__atomic_load_n(&seg->taken[i / 64], __ATOMIC_ACQUIRE) &
		  (1ull << (i % 64)));
}

static void bit_clear(struct proc_seg *seg, uint32_t i)
{
	__atomic_and_fetch(&seg->taken[i / 64], ~(1ull << (i % 64)),
			   __ATOMIC_RELEASE);
}

/* First slot in [a, a + n) whose bit is clear, or -1. */
static int64_t first_clear(const struct proc_seg *seg, uint32_t a, uint32_t n)
{
	uint32_t i = a, end = a + n, base;
	uint64_t w;

	while (i < end) {
		base = i & ~63u;
		w = ~__atomic_load_n(&seg->taken[i / 64], __ATOMIC_ACQUIRE);
		w &= ~0ull << (i % 64);
		if (w) {
			i = base + (uint32_t)__builtin_ctzll(w);
			return i < end ? (int64_t)i : -1;
		}
		i = base + 64;
	}
	return -1;
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

		if (s->state == PROC_SLOT_FREE && !bit_test(seg, i))
			continue;
		held = slot_held(reg, i);
		if (held < 0)
			continue; /* unknown: leave it */
		s->state = held ? PROC_SLOT_TAKEN : PROC_SLOT_FREE;
		if (held)
			bit_set(seg, i);
		else
			bit_clear(seg, i);
		s->name[PROC_NAME_MAX - 1] = '\0';
	}
	for (i = 0; i < PROC_NWAITERS; i++) {
		struct proc_waiter *w = &seg->waiters[i];

		if (w->state == PROC_WAITER_FREE)
			continue;
		held = waiter_held(reg, i);
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
 * Try to claim `slot`, which the bitmap says is free, for h. 1 when
 * claimed, 0 when a live claim holds it after all, -errno. A slot still
 * marked TAKEN belonged to a process that died outside the lock.
 */
static int slot_take(struct proc_reg *reg, struct qat_proc *h, uint32_t slot,
		     const struct qat_dev *dev)
{
	struct proc_slot *s = &reg->seg->slots[slot];
	int ret = slot_lockop(reg, slot, F_WRLCK);

	/* Held though marked free: its holder died inside the lock and the
	 * kernel has not closed its files yet (it marks the lock's owner
	 * dead first). Not ours, and soon free: leave the table be. */
	if (ret == -EAGAIN)
		return 0;
	if (ret)
		return ret;
	if (load_acq(&s->state) != PROC_SLOT_FREE) {
		reg->seg->reclaims++;
		qat_dbg("%s: taking %s back from dead pid %d", reg->path,
			reg->slot_name[slot], (int)s->pid);
	}
	s->accel_id = dev->info.accel_id;
	s->pid = (int32_t)reg->pid;
	s->claimed_ns = now_ns(CLOCK_REALTIME);
	snprintf(s->name, sizeof(s->name), "%s", reg->slot_name[slot]);
	hook(PROC_HOOK_TAKE);
	store_rel(&s->state, PROC_SLOT_TAKEN);
	bit_set(reg->seg, slot);
	h->slot = slot;
	return 1;
}

/* The first name the bitmap says is free, in search order. */
static int take_free(struct proc_reg *reg, struct qat_proc *h,
		     const struct proc_plan *p, const struct qat_dev **got)
{
	unsigned int r;
	int64_t i;
	int ret;

	for (r = 0; r < p->nrun; r++) {
		const struct proc_run *run = &p->run[r];
		const struct qat_dev *dev = reg->rt->devs[run->dev];
		uint32_t at = run->first, left = run->n;

		if (!qat_dev_started(dev))
			continue;
		while (left && (i = first_clear(reg->seg, at, left)) >= 0) {
			ret = slot_take(reg, h, (uint32_t)i, dev);
			if (ret) {
				*got = dev;
				return ret;
			}
			left -= (uint32_t)i + 1 - at;
			at = (uint32_t)i + 1;
		}
	}
	return 0;
}

/*
 * No name looks free: find, without the segment lock (one lock query per
 * name, thousands of them, must not hold up everyone's claims and
 * releases), up to max names of plan p marked taken whose byte no one
 * holds: their holders died. Returns how many it put in out[].
 */
unsigned int proc_dead_scan(struct proc_reg *reg, const struct proc_plan *p,
			    uint32_t *out, unsigned int max)
{
	unsigned int r, n = 0;
	uint32_t i;

	for (r = 0; r < p->nrun && n < max; r++) {
		const struct proc_run *run = &p->run[r];

		for (i = run->first; i < run->first + run->n && n < max; i++)
			if (bit_test(reg->seg, i) && slot_held(reg, i) == 0)
				out[n++] = i;
	}
	return n;
}

/*
 * Under the lock: free the names of dead[0..n) still marked taken and
 * still unheld (a claim marks its name only after locking its byte, under
 * this lock, so such a mark is a dead claim). Returns how many it freed.
 */
unsigned int proc_dead_clear(struct proc_reg *reg, const uint32_t *dead,
			     unsigned int n)
{
	struct proc_seg *seg = reg->seg;
	unsigned int k, freed = 0;
	uint32_t i;

	for (k = 0; k < n; k++) {
		i = dead[k];
		if (i >= reg->nslots || !bit_test(seg, i) ||
		    slot_held(reg, i) != 0)
			continue;
		seg->reclaims++;
		qat_dbg("%s: %s of dead pid %d is free again", reg->path,
			reg->slot_name[i], (int)seg->slots[i].pid);
		store_rel(&seg->slots[i].state, PROC_SLOT_FREE);
		bit_clear(seg, i);
		freed++;
	}
	return freed;
}

/*
 * Claim the first name of plan p the table marks free for h. Costs one
 * lock call, however many names are taken. 1 taken (h->slot, h->dev set),
 * 0 none, -errno.
 */
int proc_take_first(struct proc_reg *reg, struct qat_proc *h,
		    const struct proc_plan *p)
{
	const struct qat_dev *dev = NULL;
	int ret = take_free(reg, h, p, &dev);

	if (ret > 0)
		h->dev = (struct qat_dev *)dev;
	return ret;
}

/*
 * End h's claim, under the segment lock when it can be had (0), else
 * without (the byte is what counts; the table mends itself). Returns 0,
 * or -errno when the unlock failed (the claim then lasts until the
 * runtime closes).
 */
int proc_slot_free(struct proc_reg *reg, struct qat_proc *h)
{
	int locked = proc_seg_lock(reg) == 0;
	int ret = slot_lockop(reg, h->slot, F_UNLCK);

	if (!ret) {
		store_rel(&reg->seg->slots[h->slot].state, PROC_SLOT_FREE);
		bit_clear(reg->seg, h->slot);
	}
	if (locked)
		proc_seg_unlock(reg);
	if (ret)
		qat_err("%s: cannot release %s: %s", reg->path, h->name,
			qat_strerror(ret));
	return ret;
}

/* 1 when slot is claimed by a live process; a dead claim is cleared. */
int proc_slot_live(struct proc_reg *reg, uint32_t slot)
{
	struct proc_slot *s = &reg->seg->slots[slot];
	int held;

	if (load_acq(&s->state) != PROC_SLOT_TAKEN &&
	    !bit_test(reg->seg, slot))
		return 0;
	held = slot_held(reg, slot);
	if (held == 0) {
		store_rel(&s->state, PROC_SLOT_FREE);
		bit_clear(reg->seg, slot);
	}
	return held != 0;
}

/* 1 when queue entry j is held by a live waiter; a dead one is cleared. */
static int waiter_live(struct proc_reg *reg, uint32_t j)
{
	struct proc_waiter *w = &reg->seg->waiters[j];
	int held = waiter_held(reg, j);

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

/* Lock queue entry j's byte through our description of this file. */
static int queue_slot(struct proc_reg *reg, uint32_t j)
{
	int fd = proc_lock_fd(reg, 0, 0);

	return fd >= 0 && ofd_set(fd, F_WRLCK,
				  PROC_LOCK_WAITER(reg->size, j)) == 0;
}

/* A free queue entry, locked by us: a FREE one, else a dead one. */
static int queue_find(struct proc_reg *reg, uint32_t *out)
{
	struct proc_seg *seg = reg->seg;
	uint32_t j;

	for (j = 0; j < PROC_NWAITERS; j++) {
		if (load_acq(&seg->waiters[j].state) == PROC_WAITER_FREE &&
		    queue_slot(reg, j))
			goto found;
	}
	for (j = 0; j < PROC_NWAITERS; j++) {
		if (load_acq(&seg->waiters[j].state) == PROC_WAITER_USED &&
		    !waiter_live(reg, j) && queue_slot(reg, j))
			goto found;
	}
	return -ENOSPC;
found:
	*out = j;
	return 0;
}

/* Join the queue for `base` behind everyone. -ENOSPC when it is full: the
 * caller then keeps polling without a place. */
int proc_queue_enter(struct proc_reg *reg, const char *base,
		     struct proc_ticket *t)
{
	struct proc_seg *seg = reg->seg;
	struct proc_waiter *w;
	uint32_t j;
	int ret = queue_find(reg, &j);

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

void proc_queue_leave(struct proc_reg *reg, struct proc_ticket *t)
{
	int fd;

	if (!t->have)
		return;
	store_rel(&reg->seg->waiters[t->idx].state, PROC_WAITER_FREE);
	nwaiting_add(reg->seg, -1);
	fd = proc_lock_fd(reg, 0, 0);
	if (fd >= 0)
		ofd_set(fd, F_UNLCK, PROC_LOCK_WAITER(reg->size, t->idx));
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

/* Not a private futex: the word is shared by every process mapping the
 * file. */
int proc_wait(struct proc_reg *reg, uint32_t seq, int64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000),
		.tv_nsec = (long)(ns % 1000000000),
	};

	if (futex(&reg->seg->wake_seq, FUTEX_WAIT, seq, ns < 0 ? NULL : &ts) &&
	    errno == EINTR)
		return -EINTR;
	return 0;
}
