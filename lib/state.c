/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events, publishing side: the segment, the runtime's
 * attachment, publish and the current state. See state_priv.h for the
 * design; state_sub.c is the subscribing side.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "state_priv.h"

_Static_assert(sizeof(struct st_rec) == 128, "records are two cache lines");
_Static_assert(sizeof(struct st_slot) == 64, "one slot per cache line");
_Static_assert((QAT_STATE_RING_EVENTS & (QAT_STATE_RING_EVENTS - 1)) == 0,
	       "ring size is a power of two");
_Static_assert(sizeof(struct qat_adf_state) == 8, "struct adf_state layout");

#ifdef __SANITIZE_THREAD__
unsigned int qat_state_fence_word;
#endif

/* Serialises first attachment of any runtime; rt->lock guards the slot. */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const event_names[QAT_EVENT_COUNT] = {
	"init", "start", "stop", "shutdown", "restarting", "restarted",
	"error", "proc_crash", "manual_dump", "slice_hang", "dbg_shutdown",
};

off_t qat_state_slot_off(unsigned int i)
{
	return (off_t)(offsetof(struct st_seg, slots) +
		       i * sizeof(struct st_slot));
}

int qat_state_slot_alive(int fd, unsigned int i)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = qat_state_slot_off(i),
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type != F_UNLCK;
}

/*
 * A publisher died holding the lock. Records and head are written in an
 * order that needs no repair (a half-written record is BUSY and its number
 * is reused); only the cumulative counts may lag head, and the record at
 * head carries the right ones.
 */
static void state_repair(void *base, void *arg)
{
	struct st_seg *seg = base;
	uint64_t h = __atomic_load_n(&seg->head, __ATOMIC_RELAXED);
	struct st_rec *r = &seg->ring[h % QAT_STATE_RING_EVENTS];

	if (!h)
		memset(seg->cnt, 0, sizeof(seg->cnt));
	else if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) == h)
		memcpy(seg->cnt, r->cum, sizeof(seg->cnt));
	else
		qat_err("state segment: record %llu lost; counts may be off",
			(unsigned long long)h);
	qat_warn("state segment: recovered after a publisher died");
}

int qat_state_lock(struct qat_shm *shm)
{
	int ret = qat_shm_lock(shm, state_repair, NULL);

	if (ret)
		qat_err("state segment lock: %s", qat_strerror(ret));
	return ret;
}

/* Live subscriptions of the old segment `old` (open as fd), named by pid
 * in who; any other lock on it counts too. */
static int seg_in_use(int fd, void *old, size_t size, void *arg, char *who,
		      size_t len)
{
	const struct st_seg *seg = old;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	unsigned int i;
	size_t n;
	int live = 0;

	if (size != sizeof(*seg))
		return -EPROTO;
	snprintf(who, len, "subscribers, pids");
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
		if (qat_state_slot_alive(fd, i) != 1)
			continue;
		live++;
		n = strlen(who);
		if (n + 16 < len)
			snprintf(who + n, len - n, " %d",
				 (int)seg->slots[i].pid);
	}
	if (!live && !fcntl(fd, F_OFD_GETLK, &fl) && fl.l_type != F_UNLCK) {
		snprintf(who, len, "a process it does not name");
		live = 1;
	}
	return live;
}

int qat_state_seg_params(struct qat_rt *rt, struct qat_shm_params *p,
			 char **path_out)
{
	char *path;

	if (asprintf(&path, "%s.state", rt->registry_path) < 0)
		return -ENOMEM;
	/* The segment depends on no configuration: what a dev id means is
	 * checked device by device (st_dev.pci_addr), so that processes with
	 * different subsets of the devices can share it. */
	*p = (struct qat_shm_params){
		.path = path,
		.magic = QAT_STATE_MAGIC,
		.version = QAT_STATE_VERSION,
		.size = sizeof(struct st_seg),
		.fingerprint = 0,
		.mode = rt->registry_mode,
		.group_shared = !!(rt->flags & QAT_RT_REGISTRY_GROUP),
		.gid = (gid_t)rt->registry_gid,
		.in_use = seg_in_use,
	};
	*path_out = path;
	return 0;
}

int qat_state_wake_sa(const char *base, unsigned int i, struct sockaddr_un *sa,
		      socklen_t *len)
{
	int n;

	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s%u", base, i);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   (size_t)n + 1);
	return 0;
}

struct st_dev *qat_state_find_dev(struct st_seg *seg, unsigned int dev_id)
{
	unsigned int i;

	for (i = 0; i < QAT_STATE_MAX_DEVS; i++) {
		struct st_dev *d = &seg->devs[i];

		if (__atomic_load_n(&d->used, __ATOMIC_ACQUIRE) &&
		    d->dev_id == dev_id)
			return d;
	}
	return NULL;
}

/* Record that dev_id means this PCI function, or refuse a conflict. */
static int register_dev(struct st_seg *seg, const struct qat_dev *dev,
			const char *path)
{
	const char *addr = dev->info.pci_addr;
	struct st_dev *d = qat_state_find_dev(seg, dev->info.accel_id);
	unsigned int i;

	if (d) {
		if (!strncmp(d->pci_addr, addr, sizeof(d->pci_addr)))
			return 0;
		qat_err("%s: device %u is %.16s here but %.16s for another "
			"process", path, dev->info.accel_id, addr, d->pci_addr);
		return -ESTALE;
	}
	for (i = 0; i < QAT_STATE_MAX_DEVS; i++) {
		d = &seg->devs[i];
		if (d->used)
			continue;
		d->dev_id = dev->info.accel_id;
		d->state = -1;
		d->seq = d->ts = 0;
		strncpy(d->pci_addr, addr, sizeof(d->pci_addr));
		__atomic_store_n(&d->used, 1, __ATOMIC_RELEASE);
		return 0;
	}
	qat_err("%s: more than %d devices", path, QAT_STATE_MAX_DEVS);
	return -ENOSPC;
}

static int register_devs(struct qat_rt *rt, struct qat_state_rt *st,
			 const char *path)
{
	unsigned int i;
	int ret;

	ret = qat_state_lock(&st->shm);
	if (ret)
		return ret;
	for (i = 0; !ret && i < rt->ndevs; i++)
		ret = register_dev(st->seg, rt->devs[i], path);
	qat_shm_unlock(&st->shm);
	return ret;
}

static void state_rt_free(struct qat_state_rt *st)
{
	unsigned int i;

	if (!st)
		return;
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		if (st->conn[i].fd >= 0)
			close(st->conn[i].fd);
	if (st->sock >= 0)
		close(st->sock);
	qat_shm_close(&st->shm);
	free(st->wake_base);
	free(st);
}

/* Publishers' socket. A big send buffer because every nudge stays charged
 * to it until its subscriber reads it (at most one per subscription). */
static int pub_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int sz = 1 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static int state_rt_new(struct qat_rt *rt, struct qat_state_rt **out)
{
	struct qat_shm_params p;
	struct qat_state_rt *st;
	struct stat sb;
	char *path;
	int ret;

	ret = qat_state_seg_params(rt, &p, &path);
	if (ret)
		return ret;
	ret = -ENOMEM;
	st = calloc(1, sizeof(*st));
	if (!st)
		goto out;
	st->sock = -1;
	for (ret = 0; ret < QAT_STATE_MAX_SUBSCRIBERS; ret++)
		st->conn[ret].fd = -1;
	ret = -ENOMEM;
	if (asprintf(&st->wake_base, "%s.", path) < 0) {
		st->wake_base = NULL;
		goto out;
	}
	ret = qat_shm_open(&p, &st->shm);
	if (ret) {
		qat_err("%s: %s", path, qat_strerror(ret));
		goto out;
	}
	st->seg = (struct st_seg *)st->shm.hdr;
	ret = register_devs(rt, st, path);
	if (ret == -ESTALE) {
		/* Another configuration's devices: re-made if unused. */
		ret = qat_shm_replace(&p, &st->shm);
		qat_shm_close(&st->shm);
		if (!ret)
			ret = qat_shm_open(&p, &st->shm);
		if (!ret) {
			st->seg = (struct st_seg *)st->shm.hdr;
			ret = register_devs(rt, st, path);
		}
	}
	if (!ret && fstat(st->shm.fd, &sb))
		ret = -errno;
	if (!ret) {
		st->st_dev = sb.st_dev;
		st->st_ino = sb.st_ino;
	}
	if (!ret)
		ret = st->sock = pub_socket();
	if (ret >= 0) {
		*out = st;
		st = NULL;
		ret = 0;
	}
out:
	state_rt_free(st);
	free(path);
	return ret;
}

static void state_rt_fini(struct qat_rt *rt, void *arg)
{
	pthread_mutex_lock(&rt->lock);
	rt->state = NULL;
	pthread_mutex_unlock(&rt->lock);
	state_rt_free(arg);
}

int qat_state_attach(struct qat_rt *rt, struct qat_state_rt **out)
{
	struct qat_state_rt *st = __atomic_load_n(&rt->state, __ATOMIC_ACQUIRE);
	int ret = 0;

	if (st) {
		*out = st;
		return 0;
	}
	pthread_mutex_lock(&attach_lock);
	st = __atomic_load_n(&rt->state, __ATOMIC_ACQUIRE);
	if (!st) {
		ret = state_rt_new(rt, &st);
		if (!ret && (ret = qat_rt_on_close(rt, state_rt_fini, st))) {
			state_rt_free(st);
			st = NULL;
		}
		if (!ret) {
			pthread_mutex_lock(&rt->lock);
			__atomic_store_n(&rt->state, st, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&rt->lock);
		}
	}
	pthread_mutex_unlock(&attach_lock);
	if (!ret)
		*out = st;
	return ret;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write the next record, then make it visible. Under the lock. */
static void ring_append(struct st_seg *seg, unsigned int dev_id, int event)
{
	uint64_t s = seg->head + 1, ts = now_ns();
	struct st_rec *r = &seg->ring[s % QAT_STATE_RING_EVENTS];
	struct st_dev *d;
	unsigned int i;

	/* Seqlock write: readers that see BUSY or a torn copy retry. */
	__atomic_store_n(&r->seq, s | ST_BUSY, __ATOMIC_RELAXED);
	ST_FENCE(__ATOMIC_RELEASE);
	__atomic_store_n(&r->dev_id, dev_id, __ATOMIC_RELAXED);
	__atomic_store_n(&r->event, event, __ATOMIC_RELAXED);
	__atomic_store_n(&r->ts, ts, __ATOMIC_RELAXED);
	for (i = 0; i < QAT_EVENT_COUNT; i++)
		__atomic_store_n(&r->cum[i],
				 seg->cnt[i] + (i == (unsigned int)event),
				 __ATOMIC_RELAXED);
	__atomic_store_n(&r->seq, s, __ATOMIC_RELEASE);
	__atomic_store_n(&seg->head, s, __ATOMIC_SEQ_CST);
	seg->cnt[event]++;
	d = qat_state_find_dev(seg, dev_id);
	if (d) {
		d->seq = s;
		d->ts = ts;
		__atomic_store_n(&d->state, event, __ATOMIC_RELEASE);
	}
}

struct st_target {
	unsigned int slot;
	uint32_t gen;
	struct sockaddr_un sa;
	socklen_t len;
};

/*
 * Subscriptions that want `event` and have no nudge on its way, copied
 * under the lock, after head moved (seq_cst): a flag still set then is
 * cleared only by a reader that will look at head afterwards. Addresses
 * come from slot numbers, not from the segment.
 */
static unsigned int collect_targets(const struct qat_state_rt *st, int event,
				    struct st_target *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++) {
		struct st_slot *sl = &st->seg->slots[i];

		if (sl->state != ST_SLOT_ACTIVE ||
		    !(sl->mask & QAT_EVENT_BIT(event)) ||
		    __atomic_load_n(&sl->pending, __ATOMIC_SEQ_CST) ||
		    qat_state_wake_sa(st->wake_base, i, &t[n].sa, &t[n].len))
			continue;
		t[n].slot = i;
		t[n].gen = sl->gen;
		n++;
	}
	return n;
}

/*
 * A nudge failed with `err`. EAGAIN is ambiguous: the subscriber's queue
 * is full (it has nudges pending: fine) or our own send buffer is (then
 * the nudge must not be lost): a fresh socket has an empty buffer and
 * tells which. Returns 0 or -errno.
 */
static int nudge_failed(const struct st_target *t, int err)
{
	int fd;

	if (err != EAGAIN)
		return -err;
	fd = pub_socket();
	if (fd < 0)
		return fd;
	err = sendto(fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL,
		     (const struct sockaddr *)&t->sa, t->len) == 1 ? 0 : errno;
	close(fd);
	return err == EAGAIN ? 0 : -err;
}

/* Free the slots of subscribers found dead while nudging. */
static void reap(struct qat_state_rt *st, struct st_target *t, unsigned int n)
{
	struct st_slot *sl;
	unsigned int i;

	if (!n || qat_state_lock(&st->shm))
		return;
	for (i = 0; i < n; i++) {
		sl = &st->seg->slots[t[i].slot];
		if (sl->state != ST_SLOT_ACTIVE || sl->gen != t[i].gen ||
		    qat_state_slot_alive(st->shm.fd, t[i].slot) != 0)
			continue;
		qat_dbg("state: slot %u of dead pid %d freed", t[i].slot,
			(int)sl->pid);
		sl->state = ST_SLOT_FREE;
		sl->gen++;
	}
	qat_shm_unlock(&st->shm);
}

/*
 * A socket connected to target t's wakeup path, kept per slot while the
 * slot's subscription (gen) lasts: the path is looked up once, not once
 * per event. With c->busy held. >= 0, or -errno (ECONNREFUSED, ENOENT:
 * the subscriber is gone).
 */
static int conn_get(struct qat_state_rt *st, const struct st_target *t)
{
	struct st_conn *c = &st->conn[t->slot];
	int fd;

	if (c->fd >= 0 && c->gen == t->gen)
		return c->fd;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	fd = pub_socket();
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&t->sa, t->len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->fd = fd;
	c->gen = t->gen;
	return fd;
}

/* Nudge one target through its connected socket: 0, or -errno. */
static int nudge_conn(struct qat_state_rt *st, const struct st_target *t)
{
	int fd = conn_get(st, t), err;

	if (fd < 0)
		return fd == -EAGAIN ? nudge_failed(t, EAGAIN) : fd;
	if (send(fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
		return 0;
	err = errno;
	if (err != EAGAIN) {
		close(fd);
		st->conn[t->slot].fd = -1;
	}
	return nudge_failed(t, err);
}

/* Nudge one target: 0, or -errno as nudge_failed(). */
static int nudge_one(struct qat_state_rt *st, const struct st_target *t)
{
	struct st_conn *c = &st->conn[t->slot];
	int ret;

	if (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE)) {
		/* Another thread nudges this slot: send unconnected. */
		ret = sendto(st->sock, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL,
			     (const struct sockaddr *)&t->sa, t->len);
		return ret == 1 ? 0 : nudge_failed(t, errno);
	}
	ret = nudge_conn(st, t);
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
	return ret;
}

/*
 * Nudge t[0..n), each through its cached connected socket. The dead are
 * moved to the front of t; returns how many.
 */
static unsigned int send_nudges(struct qat_state_rt *st, struct st_target *t,
				unsigned int n)
{
	unsigned int i, dead = 0;
	int r;

	for (i = 0; i < n; i++) {
		r = nudge_one(st, &t[i]);
		if (r == -ECONNREFUSED || r == -ENOENT) {
			t[dead++] = t[i]; /* dead <= i: already sent from */
		} else if (r) {
			/* Let the next event try again. */
			__atomic_store_n(&st->seg->slots[t[i].slot].pending, 0,
					 __ATOMIC_SEQ_CST);
			qat_warn("state: cannot wake subscriber %u: %s",
				 t[i].slot, qat_strerror(r));
		}
	}
	return dead;
}

static void nudge_all(struct qat_state_rt *st, struct st_target *t,
		      unsigned int n)
{
	unsigned int i, k = 0;

	/* Pairs with the reader clearing `pending` before it looks at head:
	 * either it sees our record or we see its cleared flag. A set flag
	 * means a nudge is on its way already. */
	ST_FENCE(__ATOMIC_SEQ_CST);
	for (i = 0; i < n; i++)
		if (!__atomic_exchange_n(&st->seg->slots[t[i].slot].pending, 1,
					 __ATOMIC_SEQ_CST))
			t[k++] = t[i];
	reap(st, t, send_nudges(st, t, k));
}

static int state_publish(struct qat_dev *dev, int event)
{
	struct st_target t[QAT_STATE_MAX_SUBSCRIBERS];
	struct qat_state_rt *st;
	unsigned int n;
	int ret;

	ret = qat_state_attach(dev->rt, &st);
	if (ret)
		return ret;
	ret = qat_state_lock(&st->shm);
	if (ret)
		return ret;
	ring_append(st->seg, dev->info.accel_id, event);
	n = collect_targets(st, event, t);
	qat_shm_unlock(&st->shm);
	nudge_all(st, t, n);
	qat_dbg("device %u: %s published", dev->info.accel_id,
		event_names[event]);
	return 0;
}

static int event_ok(int event)
{
	return event >= 0 && event < QAT_EVENT_COUNT;
}

QAT_API int qat_state_publish(struct qat_rt *rt, struct qat_dev *dev,
			      int event)
{
	if (!rt || !dev || dev->rt != rt || !event_ok(event))
		return -EINVAL;
	return state_publish(dev, event);
}

void qat_state_notify(struct qat_dev *dev, int event)
{
	int ret;

	if (!event_ok(event))
		return;
	ret = state_publish(dev, event);
	if (ret)
		qat_warn("device %u: %s event not published: %s",
			 dev->info.accel_id, event_names[event],
			 qat_strerror(ret));
}

int qat_state_derived(const struct qat_dev *dev)
{
	return qat_dev_started(dev) ? QAT_EVENT_START : QAT_EVENT_INIT;
}

QAT_API int qat_dev_state(struct qat_dev *dev)
{
	struct qat_state_rt *st;
	struct st_dev *d;
	int ret, s;

	if (!dev)
		return -EINVAL;
	ret = qat_state_attach(dev->rt, &st);
	if (ret)
		return ret;
	d = qat_state_find_dev(st->seg, dev->info.accel_id);
	s = d ? __atomic_load_n(&d->state, __ATOMIC_ACQUIRE) : -1;
	return event_ok(s) ? s : qat_state_derived(dev);
}

int qat_state_live_subscribers(struct qat_rt *rt)
{
	struct qat_state_rt *st;
	unsigned int i;
	int ret, n = 0;

	ret = qat_state_attach(rt, &st);
	if (!ret)
		ret = qat_state_lock(&st->shm);
	if (ret)
		return ret;
	for (i = 0; i < QAT_STATE_MAX_SUBSCRIBERS; i++)
		if (st->seg->slots[i].state == ST_SLOT_ACTIVE &&
		    qat_state_slot_alive(st->shm.fd, i) == 1)
			n++;
	qat_shm_unlock(&st->shm);
	return n;
}
