/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events, subscribing side: slots, the lock-free ring
 * reader, wakeups, fork. See state_priv.h for the design.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "state_priv.h"

struct qat_state_sub {
	/* Our own open file description of the segment: it carries the OFD
	 * lock that says this slot is alive, and no one else's. */
	struct qat_shm shm;
	struct st_seg *seg;
	int sock;
	struct sockaddr_un sa;          /* our address, for self-nudges */
	socklen_t salen;
	char *wake_base;                /* "<registry>.state." */
	bool bound;                     /* the file at sa is ours to remove */
	unsigned int mode;              /* the registry's, for the socket */
	bool group_shared;
	gid_t gid;
	unsigned int slot;
	uint32_t gen;
	uint32_t mask;
	bool forked;                    /* inherited: closed in this child */
	uint64_t next;                  /* number of the next record */
	uint64_t cum[QAT_EVENT_COUNT];  /* counts through next - 1 */
	uint64_t lost_last, lost_total;
	struct qat_state_event *cur;    /* QAT_STATE_SUB_CURRENT records */
	unsigned int ncur, icur;
	struct qat_state_sub *prev, *nxt; /* this process's subscriptions */
};

/* Every live subscription of this process, for the fork handler. */
static pthread_mutex_t subs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qat_state_sub *subs;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
	pthread_mutex_lock(&subs_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&subs_lock);
}

/*
 * The child must not keep its parent's slots alive nor steal its nudges.
 * An OFD lock lives as long as its open file description, which both the
 * descriptor and the mapping hold: drop our copies of both. The parent's
 * subscriptions are unaffected.
 */
static void fork_child(void)
{
	struct qat_state_sub *s;

	for (s = subs; s; s = s->nxt) {
		close(s->sock);
		close(s->shm.fd);
		munmap(s->shm.hdr, s->shm.size);
		s->sock = -1;
		s->shm.fd = -1;
		s->shm.hdr = NULL;
		s->seg = NULL;
		s->forked = true;
	}
	subs = NULL;
	pthread_mutex_unlock(&subs_lock);
}

static void atfork_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void subs_add(struct qat_state_sub *sub)
{
	pthread_mutex_lock(&subs_lock);
	sub->prev = NULL;
	sub->nxt = subs;
	if (subs)
		subs->prev = sub;
	subs = sub;
	pthread_mutex_unlock(&subs_lock);
}

/* Under subs_lock. */
static void subs_unlink(struct qat_state_sub *sub)
{
	if (sub->prev)
		sub->prev->nxt = sub->nxt;
	else
		subs = sub->nxt;
	if (sub->nxt)
		sub->nxt->prev = sub->prev;
}

/* Our own mapping and open file description of the runtime's segment. */
static int sub_open(struct qat_rt *rt, struct qat_state_rt *st,
		    struct qat_state_sub *sub)
{
	struct qat_shm_params p;
	struct stat sb;
	char *path;
	int ret;

	ret = qat_state_seg_params(rt, &p, &path);
	if (ret)
		return ret;
	if (asprintf(&sub->wake_base, "%s.", path) < 0) {
		sub->wake_base = NULL;
		free(path);
		return -ENOMEM;
	}
	sub->mode = p.mode;
	sub->group_shared = p.group_shared;
	sub->gid = p.gid;
	ret = qat_shm_open(&p, &sub->shm);
	if (!ret && fstat(sub->shm.fd, &sb))
		ret = -errno;
	else if (!ret && (sb.st_dev != st->st_dev || sb.st_ino != st->st_ino))
		ret = -ESTALE; /* replaced under us: not the runtime's */
	if (ret)
		qat_err("%s: %s", path, qat_strerror(ret));
	free(path);
	sub->seg = (struct st_seg *)sub->shm.hdr;
	return ret;
}

/* The subscription's datagram socket, bound once it has a slot. */
static int sub_socket(struct qat_state_sub *sub)
{
	sub->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   0);
	return sub->sock < 0 ? -errno : 0;
}

/*
 * Bind our socket to slot i's wakeup path. A file already there is the
 * socket of a subscriber of this slot that died (we hold the slot's
 * lock): it goes. Anything else there, or a file we may not remove, is
 * refused.
 */
static int sub_bind(struct qat_state_sub *sub, unsigned int i)
{
	struct stat sb;
	int ret;

	ret = qat_state_wake_sa(sub->wake_base, i, &sub->sa, &sub->salen);
	if (ret) {
		qat_err("state: wakeup address %s%u is too long for a socket "
			"(use a shorter registry path)", sub->wake_base, i);
		return ret;
	}
	if (bind(sub->sock, (struct sockaddr *)&sub->sa, sub->salen)) {
		if (errno != EADDRINUSE)
			goto fail;
		if (lstat(sub->sa.sun_path, &sb) || !S_ISSOCK(sb.st_mode)) {
			errno = EPERM;
			goto fail;
		}
		if (unlink(sub->sa.sun_path) ||
		    bind(sub->sock, (struct sockaddr *)&sub->sa, sub->salen))
			goto fail;
	}
	/* Publishers need write permission on it: the registry's mode and
	 * group, not the umask's. */
	if ((sub->group_shared &&
	     chown(sub->sa.sun_path, (uid_t)-1, sub->gid)) ||
	    chmod(sub->sa.sun_path, sub->mode)) {
		ret = -errno;
		unlink(sub->sa.sun_path);
		errno = -ret;
		goto fail;
	}
	return 0;
fail:
	ret = -errno;
	qat_err("state: cannot bind wakeup socket %s: %s", sub->sa.sun_path,
		qat_strerror(ret));
	return ret;
}

/* 0 when we now hold slot i's liveness lock, 1 when someone alive does. */
static int slot_trylock(int fd, unsigned int i)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = qat_state_slot_off(i),
		.l_len = 1,
	};

	if (!fcntl(fd, F_OFD_SETLK, &fl))
		return 0;
	return errno == EAGAIN || errno == EACCES ? 1 : -errno;
}

static void slot_fill(struct qat_state_sub *sub, unsigned int i)
{
	struct st_slot *sl = &sub->seg->slots[i];

	if (sl->state == ST_SLOT_ACTIVE)
		qat_dbg("state: slot %u of dead pid %d taken over", i,
			(int)sl->pid);
	sl->mask = sub->mask;
	sl->pid = (int32_t)getpid();
	__atomic_store_n(&sl->pending, 0, __ATOMIC_SEQ_CST);
	sl->gen++;
	sl->state = ST_SLOT_ACTIVE;
	sub->slot = i;
	sub->gen = sl->gen;
}

/* A free slot, else one whose subscriber died. Under the lock. */
static int slot_claim(struct qat_state_sub *sub)
{
	unsigned int pass, i;
	int ret;

	for (pass = 0; pass < 2; pass++) {
		uint32_t want = pass ? ST_SLOT_ACTIVE : ST_SLOT_FREE;

		for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
			if (sub->seg->slots[i].state != want)
				continue;
			ret = slot_trylock(sub->shm.fd, i);
			if (ret < 0)
				return ret;
			if (ret == 0) {
				ret = sub_bind(sub, i);
				if (ret)
					return ret; /* closing the fd unlocks */
				slot_fill(sub, i);
				sub->bound = true;
				return 0;
			}
		}
	}
	qat_err("state: all %d subscriber slots are in use",
		QAT_STATE_MAX_SUBSCRIBERS);
	return -ENOSPC;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct qat_dev *rt_dev_by_id(struct qat_rt *rt, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < rt->ndevs; i++)
		if (rt->devs[i]->info.accel_id == id)
			return rt->devs[i];
	return NULL;
}

/* Current-state records, taken under the lock with the cursor. */
static void take_current(struct qat_state_sub *sub, struct qat_rt *rt)
{
	struct qat_state_event *ev;
	struct qat_dev *dev;
	unsigned int i;
	bool published;

	for (i = 0; i < QAT_STATE_MAX_DEVS; i++) {
		const struct st_dev *d = &sub->seg->devs[i];

		if (!d->used)
			continue;
		dev = rt_dev_by_id(rt, d->dev_id);
		published = d->state >= 0 && d->state < QAT_EVENT_COUNT;
		if (!published && !dev)
			continue; /* another process's, never published */
		ev = &sub->cur[sub->ncur++];
		*ev = (struct qat_state_event){
			.dev_id = d->dev_id,
			.flags = QAT_STATE_EV_CURRENT,
		};
		if (published) {
			ev->event = d->state;
			ev->seq = d->seq;
			ev->timestamp_ns = d->ts;
		} else {
			ev->event = qat_state_derived(dev);
			ev->timestamp_ns = now_ns();
		}
	}
}

static int cmp_cur(const void *a, const void *b)
{
	const struct qat_state_event *x = a, *y = b;

	return (x->dev_id > y->dev_id) - (x->dev_id < y->dev_id);
}

/* Wake our own descriptor: it must stay readable while records remain. */
static void self_nudge(struct qat_state_sub *sub)
{
	struct st_slot *sl = &sub->seg->slots[sub->slot];

	if (__atomic_exchange_n(&sl->pending, 1, __ATOMIC_SEQ_CST))
		return;
	if (sendto(sub->sock, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&sub->sa, sub->salen) < 0 &&
	    errno != EAGAIN)
		__atomic_store_n(&sl->pending, 0, __ATOMIC_SEQ_CST);
}

static int sub_register(struct qat_state_sub *sub, struct qat_rt *rt,
			unsigned int flags)
{
	int ret = qat_state_lock(&sub->shm);

	if (ret)
		return ret;
	ret = slot_claim(sub);
	if (!ret) {
		/* Under the same lock as the claim: the first event we read
		 * is the first published after the current states. */
		sub->next = sub->seg->head + 1;
		memcpy(sub->cum, sub->seg->cnt, sizeof(sub->cum));
		if (flags & QAT_STATE_SUB_CURRENT)
			take_current(sub, rt);
	}
	qat_shm_unlock(&sub->shm);
	return ret;
}

static void slot_release(struct qat_state_sub *sub)
{
	struct st_slot *sl = &sub->seg->slots[sub->slot];

	/* Failing that, closing our descriptor frees the slot anyway. */
	if (qat_state_lock(&sub->shm))
		return;
	if (sl->state == ST_SLOT_ACTIVE && sl->gen == sub->gen) {
		sl->state = ST_SLOT_FREE;
		sl->gen++;
	}
	qat_shm_unlock(&sub->shm);
}

static void sub_free(struct qat_state_sub *sub)
{
	/* Before the slot lock goes (closing shm.fd), while the path is
	 * still ours. */
	if (sub->bound && !sub->forked)
		unlink(sub->sa.sun_path);
	free(sub->wake_base);
	if (sub->sock >= 0)
		close(sub->sock);
	qat_shm_close(&sub->shm);
	free(sub->cur);
	free(sub);
}

static int sub_new(struct qat_rt *rt, struct qat_state_rt *st,
		   unsigned int mask, unsigned int flags,
		   struct qat_state_sub **out)
{
	struct qat_state_sub *sub = calloc(1, sizeof(*sub));
	int ret;

	if (!sub)
		return -ENOMEM;
	sub->sock = -1;
	sub->shm.fd = -1;
	sub->mask = mask;
	ret = -ENOMEM;
	if (flags & QAT_STATE_SUB_CURRENT &&
	    !(sub->cur = calloc(QAT_STATE_MAX_DEVS, sizeof(*sub->cur))))
		goto err;
	ret = sub_open(rt, st, sub);
	if (!ret)
		ret = sub_socket(sub);
	if (!ret)
		ret = sub_register(sub, rt, flags);
	if (ret)
		goto err;
	*out = sub;
	return 0;
err:
	sub_free(sub);
	return ret;
}

QAT_API int qat_state_subscribe(struct qat_rt *rt, unsigned int mask,
				const struct qat_state_sub_opts *opts,
				struct qat_state_sub **out)
{
	struct qat_state_sub_opts o;
	struct qat_state_sub *sub;
	struct qat_state_rt *st;
	int ret;

	if (!rt || !out || mask & ~QAT_EVENT_MASK_ALL)
		return -EINVAL;
	ret = qat_opts_copy(&o, sizeof(o), opts);
	if (ret)
		return ret;
	if (o.flags & ~QAT_STATE_SUB_FLAGS_ALL)
		return -EINVAL;
	pthread_once(&atfork_once, atfork_init);
	ret = qat_state_attach(rt, &st);
	if (!ret)
		ret = sub_new(rt, st, mask ? mask : QAT_EVENT_MASK_DEFAULT,
			      o.flags, &sub);
	if (ret)
		return ret;
	if (sub->ncur) {
		qsort(sub->cur, sub->ncur, sizeof(*sub->cur), cmp_cur);
		self_nudge(sub);
	}
	subs_add(sub);
	*out = sub;
	return 0;
}

QAT_API void qat_state_unsubscribe(struct qat_state_sub *sub)
{
	bool forked;

	if (!sub)
		return;
	/* An inherited handle is no longer in the list, and its slot is the
	 * parent's: only our copy of the memory is ours to free. */
	pthread_mutex_lock(&subs_lock);
	forked = sub->forked;
	if (!forked)
		subs_unlink(sub);
	pthread_mutex_unlock(&subs_lock);
	if (!forked)
		slot_release(sub);
	sub_free(sub);
}

QAT_API int qat_state_fd(const struct qat_state_sub *sub)
{
	if (!sub)
		return -EINVAL;
	return sub->forked ? -EBADF : sub->sock;
}

QAT_API int qat_state_lost(const struct qat_state_sub *sub, uint64_t *last,
			   uint64_t *total)
{
	if (!sub)
		return -EINVAL;
	if (last)
		*last = sub->lost_last;
	if (total)
		*total = sub->lost_total;
	return 0;
}

/* A record as read without the lock. */
struct rec_copy {
	uint32_t dev_id;
	int32_t event;
	uint64_t ts;
	uint64_t cum[QAT_EVENT_COUNT];
};

/* Seqlock read of record `want`: returns the sequence word seen, which
 * is `want` only when the copy is whole. */
static uint64_t rec_read(const struct st_rec *r, uint64_t want,
			 struct rec_copy *c)
{
	uint64_t v = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
	unsigned int i;

	if (v != want)
		return v;
	c->dev_id = __atomic_load_n(&r->dev_id, __ATOMIC_RELAXED);
	c->event = __atomic_load_n(&r->event, __ATOMIC_RELAXED);
	c->ts = __atomic_load_n(&r->ts, __ATOMIC_RELAXED);
	for (i = 0; i < QAT_EVENT_COUNT; i++)
		c->cum[i] = __atomic_load_n(&r->cum[i], __ATOMIC_RELAXED);
	ST_FENCE(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
}

/*
 * Events of our mask published before record c and after our cursor: all
 * lost, since the ring no longer holds them (the counts in c say how many
 * of each kind there were). Returns that number, or -EPROTO for counts
 * that went backwards.
 */
static int64_t count_lost(struct qat_state_sub *sub, const struct rec_copy *c)
{
	uint64_t lost = 0, before;
	unsigned int e;

	for (e = 0; e < QAT_EVENT_COUNT; e++) {
		before = c->cum[e] - (e == (unsigned int)c->event);
		if (before < sub->cum[e] || c->cum[e] < before)
			return -EPROTO;
		if (sub->mask & QAT_EVENT_BIT(e))
			lost += before - sub->cum[e];
	}
	return (int64_t)(lost & INT64_MAX);
}

static int report_lost(struct qat_state_sub *sub, const struct rec_copy *c,
		       uint64_t lost)
{
	unsigned int e;

	/* From here on we are level with record `next`, which is read next. */
	for (e = 0; e < QAT_EVENT_COUNT; e++)
		sub->cum[e] = c->cum[e] - (e == (unsigned int)c->event);
	sub->lost_last = lost;
	sub->lost_total += lost;
	return -EOVERFLOW;
}

/* Take one record: 0 delivered, 1 skipped (not in our mask), or -errno. */
static int ring_take(struct qat_state_sub *sub, struct qat_state_event *ev)
{
	uint64_t h = __atomic_load_n(&sub->seg->head, __ATOMIC_SEQ_CST), v;
	struct rec_copy c;
	int64_t lost;

	if (sub->next > h)
		return -EAGAIN;
	if (h - sub->next >= QAT_STATE_RING_EVENTS) /* lapped: count below */
		sub->next = h - QAT_STATE_RING_EVENTS + 1;
	v = rec_read(&sub->seg->ring[sub->next % QAT_STATE_RING_EVENTS],
		     sub->next, &c);
	if (v != sub->next) {
		/* Overwritten by record v (maybe mid-write): the oldest one
		 * still whole is the one after v's previous occupant. */
		if ((v & ~ST_BUSY) <= sub->next)
			return -EPROTO;
		sub->next = (v & ~ST_BUSY) - QAT_STATE_RING_EVENTS + 1;
		return 1;
	}
	if (c.event < 0 || c.event >= QAT_EVENT_COUNT)
		return -EPROTO;
	lost = count_lost(sub, &c);
	if (lost < 0)
		return (int)lost;
	if (lost)
		return report_lost(sub, &c, (uint64_t)lost);
	memcpy(sub->cum, c.cum, sizeof(sub->cum));
	sub->next++;
	if (!(sub->mask & QAT_EVENT_BIT(c.event)))
		return 1;
	*ev = (struct qat_state_event){
		.dev_id = c.dev_id,
		.event = c.event,
		.seq = sub->next - 1,
		.timestamp_ns = c.ts,
	};
	return 0;
}

static int ring_next(struct qat_state_sub *sub, struct qat_state_event *ev)
{
	int ret;

	while ((ret = ring_take(sub, ev)) == 1)
		;
	if (ret == -EPROTO)
		qat_err("state segment: corrupt record near %llu",
			(unsigned long long)sub->next);
	return ret;
}

/* Nothing queued: re-arm the wakeup, then look once more, since an event
 * may have come between our look and the re-arming. */
static void rearm(struct qat_state_sub *sub)
{
	char buf[1];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct mmsghdr m[8];
	unsigned int i;

	__atomic_store_n(&sub->seg->slots[sub->slot].pending, 0,
			 __ATOMIC_SEQ_CST);
	/* Usually one nudge is queued; drain in as few calls as we can. */
	for (i = 0; i < QAT_ARRAY_SIZE(m); i++)
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov,
						      .msg_iovlen = 1 } };
	while (recvmmsg(sub->sock, m, QAT_ARRAY_SIZE(m), MSG_DONTWAIT,
			NULL) == (int)QAT_ARRAY_SIZE(m))
		;
	ST_FENCE(__ATOMIC_SEQ_CST);
}

QAT_API int qat_state_read(struct qat_state_sub *sub,
			   struct qat_state_event *ev)
{
	int ret;

	if (!sub || !ev)
		return -EINVAL;
	if (sub->forked)
		return -EBADF;
	if (sub->icur < sub->ncur) {
		*ev = sub->cur[sub->icur++];
		return 0;
	}
	ret = ring_next(sub, ev);
	if (ret != -EAGAIN)
		return ret;
	rearm(sub);
	ret = ring_next(sub, ev);
	if (ret != -EAGAIN)
		self_nudge(sub); /* we drained nudges; more may be queued */
	return ret;
}

QAT_API int qat_state_read_adf(struct qat_state_sub *sub,
			       struct qat_adf_state *st)
{
	struct qat_state_event ev;
	int ret;

	if (!st)
		return -EINVAL;
	ret = qat_state_read(sub, &ev);
	if (ret)
		return ret;
	st->dev_state = (enum qat_event)ev.event;
	st->dev_id = (int)ev.dev_id;
	return 0;
}
