/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "shm.h"

static int shm_init_lock(struct qat_shm_hdr *h)
{
	pthread_mutexattr_t a;
	int ret;

	ret = pthread_mutexattr_init(&a);
	if (!ret)
		ret = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!ret)
		ret = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!ret)
		ret = pthread_mutex_init(&h->lock, &a);
	pthread_mutexattr_destroy(&a);
	return -ret;
}

/* Build a whole segment in an unlinked-by-name temporary file. */
static int shm_build(const struct qat_shm_params *p, int fd)
{
	struct qat_shm_hdr *h;
	int ret;

	if (p->group_shared && fchown(fd, (uid_t)-1, p->gid)) {
		ret = -errno;
		qat_err("%s: cannot give the registry to group %u: %s",
			p->path, (unsigned int)p->gid, qat_strerror(ret));
		return ret;
	}
	if (fchmod(fd, p->mode) || ftruncate(fd, (off_t)p->size))
		return -errno;
	h = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	h->version = p->version;
	h->hdr_size = sizeof(*h);
	h->size = p->size;
	h->fingerprint = p->fingerprint;
	ret = shm_init_lock(h);
	if (!ret && p->init)
		ret = p->init(h, p->size, p->arg);
	/* The magic goes last: a half-built segment never looks valid. */
	if (!ret)
		__atomic_store_n(&h->magic, p->magic, __ATOMIC_RELEASE);
	munmap(h, p->size);
	return ret;
}

/*
 * Build a whole segment under a temporary name and put it at p->path:
 * link() (replace = 0: 0 when we made it, -EEXIST when another process
 * got there first) or rename() over what is there (replace = 1).
 */
static int shm_create(const struct qat_shm_params *p, int replace)
{
	char *tmp;
	int fd, ret;

	if (asprintf(&tmp, "%s.XXXXXX", p->path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			qat_err("%s: the registry's directory does not exist",
				p->path);
		goto out_free;
	}
	ret = shm_build(p, fd);
	if (!ret && (replace ? rename(tmp, p->path) : link(tmp, p->path)))
		ret = -errno;
	if (ret || !replace)
		unlink(tmp);
	close(fd);
out_free:
	free(tmp);
	return ret;
}

/*
 * The mutex type word must be the one shm_init_lock() writes (robust,
 * process-shared): another type would take other, unchecked code paths
 * in the C library. glibc keeps it in __data.__kind.
 */
static int shm_lock_kind_ok(const struct qat_shm_hdr *h)
{
#ifdef __GLIBC__
	static int kind = -1;
	struct qat_shm_hdr ref;

	if (__atomic_load_n(&kind, __ATOMIC_RELAXED) < 0) {
		if (shm_init_lock(&ref))
			return 0;
		__atomic_store_n(&kind, ref.lock.__data.__kind,
				 __ATOMIC_RELAXED);
		pthread_mutex_destroy(&ref.lock);
	}
	return h->lock.__data.__kind == __atomic_load_n(&kind,
							__ATOMIC_RELAXED);
#else
	return 1;
#endif
}

/* The header is of this kind and layout (whatever its configuration). */
static int shm_check_kind(const struct qat_shm_params *p,
			  const struct qat_shm_hdr *h)
{
	return __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != p->magic ||
	       h->version != p->version || h->hdr_size != sizeof(*h) ||
	       !shm_lock_kind_ok(h);
}

/*
 * The configuration is checked before the size: a segment sized from
 * another configuration is a configuration mismatch (-ESTALE), not a
 * corrupt file.
 */
static int shm_check(const struct qat_shm_params *p,
		     const struct qat_shm_hdr *h, uint64_t file_size)
{
	if (shm_check_kind(p, h))
		goto foreign;
	if (h->fingerprint != p->fingerprint) {
		if (!p->in_use)
			qat_err("%s: made for another configuration; every "
				"process sharing a registry needs the same "
				"configuration", p->path);
		return -ESTALE;
	}
	if (h->size != p->size || file_size != p->size)
		goto foreign;
	return 0;
foreign:
	qat_err("%s: not a registry of this version (corrupt or foreign); "
		"remove it if no process uses it", p->path);
	return -EPROTO;
}

/* Check the header alone, through a mapping of just its page(s). */
static int shm_check_hdr(const struct qat_shm_params *p, int fd,
			 uint64_t file_size)
{
	size_t len = sizeof(struct qat_shm_hdr);
	void *h;
	int ret;

	if (file_size < len) {
		qat_err("%s: size %llu, too small for a registry", p->path,
			(unsigned long long)file_size);
		return -EPROTO;
	}
	h = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	ret = shm_check(p, h, file_size);
	munmap(h, len);
	return ret;
}

static int in_my_groups(gid_t gid)
{
	gid_t g[NGROUPS_MAX];
	int i, n;

	if (gid == getegid())
		return 1;
	n = getgroups(NGROUPS_MAX, g);
	for (i = 0; i < n; i++)
		if (g[i] == gid)
			return 1;
	return 0;
}

/* The trust rule of shm.h, on what fstat() says. */
static int shm_trust(const struct qat_shm_params *p, const struct stat *st)
{
	unsigned int mode = st->st_mode & 07777, uid = st->st_uid;
	unsigned int gid = st->st_gid;

	if (!S_ISREG(st->st_mode)) {
		qat_err("%s: not a regular file; refused", p->path);
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH) {
		qat_err("%s: writable by others (mode %04o); refused",
			p->path, mode);
		return -EPERM;
	}
	if (p->group_shared) {
		if (st->st_gid != p->gid) {
			qat_err("%s: group %u, not the sharing group %u; "
				"refused", p->path, gid,
				(unsigned int)p->gid);
			return -EPERM;
		}
		if (st->st_mode & S_IRWXO) {
			qat_err("%s: mode %04o gives others access to a "
				"group-shared registry; refused", p->path,
				mode);
			return -EPERM;
		}
		return 0;
	}
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		qat_err("%s: owned by uid %u, neither this user (%u) nor "
			"root; refused (say in the options if a group shares "
			"the registry)", p->path, uid,
			(unsigned int)geteuid());
		return -EPERM;
	}
	if ((st->st_mode & S_IWGRP) && !in_my_groups(st->st_gid)) {
		qat_err("%s: writable by group %u, which this user is not "
			"in; refused", p->path, gid);
		return -EPERM;
	}
	return 0;
}

int qat_shm_trusted(const struct qat_shm_params *p, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return shm_trust(p, &st);
}

static int shm_attach(const struct qat_shm_params *p, int fd,
		      struct qat_shm *out)
{
	struct stat st;
	void *base;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	ret = shm_trust(p, &st);
	if (ret)
		return ret;
	ret = shm_check_hdr(p, fd, (uint64_t)st.st_size);
	if (ret)
		return ret;
	base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	/* Again on the mapping we keep: the file may have changed since. */
	ret = shm_check(p, base, p->size);
	if (ret) {
		munmap(base, p->size);
		return ret;
	}
	out->path = strdup(p->path);
	if (!out->path) {
		munmap(base, p->size);
		return -ENOMEM;
	}
	out->fd = fd;
	out->hdr = base;
	out->size = p->size;
	return 0;
}

/*
 * open() failed with `err` on a path that exists: a directory (EISDIR), a
 * socket (ENXIO), ... are not registries, whatever open() calls them.
 */
static int shm_open_failed(const struct qat_shm_params *p, int err)
{
	struct stat st;

	if (err == ELOOP) {
		qat_err("%s: is a symlink; refused", p->path);
		return -ELOOP;
	}
	if (!lstat(p->path, &st) && !S_ISREG(st.st_mode)) {
		qat_err("%s: not a regular file; refused", p->path);
		return -EPERM;
	}
	if (err == ENOTDIR)
		qat_err("%s: a component of the path is not a directory",
			p->path);
	return -err;
}

/* One open. On -ESTALE (another configuration) out->fd is the open file,
 * for the caller to judge and close; on other errors it is -1. */
static int shm_open_once(const struct qat_shm_params *p, struct qat_shm *out)
{
	int fd, ret, tries;

	out->fd = -1;
	if (p->size < sizeof(struct qat_shm_hdr))
		return -EINVAL;
	for (tries = 0; tries < 8; tries++) {
		/* Non-blocking: a FIFO planted at the path must not stall. */
		fd = open(p->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0)
			break;
		if (errno != ENOENT)
			return shm_open_failed(p, errno);
		ret = shm_create(p, 0);
		if (ret && ret != -EEXIST)
			return ret;
	}
	if (fd < 0)
		return -EAGAIN; /* created and removed under us, repeatedly */
	ret = shm_attach(p, fd, out);
	if (ret == -ESTALE && p->in_use)
		out->fd = fd;
	else if (ret)
		close(fd);
	return ret;
}

/*
 * p->path holds a segment of another configuration, open as fd: map it
 * whole and try to replace it. 0 when replaced (reopen), or -errno.
 */
static int shm_replace_fd(const struct qat_shm_params *p, int fd)
{
	struct qat_shm old = { .fd = fd, .path = (char *)p->path };
	struct qat_shm_hdr *h;
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	h = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (h == MAP_FAILED)
		return -errno;
	old.hdr = h;
	old.size = (size_t)st.st_size;
	/* Only a whole segment of this kind may be judged. */
	if (h->size != old.size || shm_check_kind(p, h))
		ret = -EPROTO;
	else
		ret = qat_shm_replace(p, &old);
	munmap(h, old.size);
	return ret;
}

int qat_shm_open(const struct qat_shm_params *p, struct qat_shm *out)
{
	int ret, tries;

	for (tries = 0;; tries++) {
		ret = shm_open_once(p, out);
		if (ret != -ESTALE || out->fd < 0)
			return ret;
		/* Made for another configuration: judge the open file. */
		if (tries < 3)
			ret = shm_replace_fd(p, out->fd);
		close(out->fd);
		out->fd = -1;
		if (ret)
			return ret;
	}
}

int qat_shm_replace(const struct qat_shm_params *p, struct qat_shm *old)
{
	char who[256] = "";
	int ret = qat_shm_lock(old, NULL, NULL), n;

	if (ret == -ESTALE)
		return 0; /* replaced by someone else meanwhile */
	if (ret)
		return ret;
	n = p->in_use(old->fd, old->hdr, old->size, p->arg, who, sizeof(who));
	if (n > 0) {
		qat_err("%s: made for another configuration, and still used "
			"by %s; stop those processes (or give them the same "
			"configuration) to have it re-made", p->path, who);
		ret = -ESTALE;
	} else if (n < 0) {
		ret = n;
	} else {
		ret = shm_create(p, 1);
		if (!ret) {
			__atomic_store_n(&old->hdr->retired, SHM_RETIRED,
					 __ATOMIC_SEQ_CST);
			qat_warn("%s: made for another configuration and used "
				 "by no process: re-made for this one",
				 p->path);
		}
	}
	qat_shm_unlock(old);
	return ret;
}

void qat_shm_close(struct qat_shm *shm)
{
	/* hdr is set only with fd, so a zeroed struct closes nothing. */
	if (!shm->hdr)
		return;
	munmap(shm->hdr, shm->size);
	close(shm->fd);
	free(shm->path);
	shm->path = NULL;
	shm->hdr = NULL;
	shm->fd = -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The robust futex word: the owner's thread id and the kernel's bits
 * (linux/futex.h), first in glibc's pthread_mutex_t. */
static uint32_t *lock_word(struct qat_shm *shm)
{
	return (uint32_t *)(void *)&shm->hdr->lock;
}

/* No thread with this id exists (in our pid namespace). */
static int tid_gone(uint32_t tid)
{
	return tid == 0 || tid > INT_MAX ||
	       (kill((pid_t)tid, 0) && errno == ESRCH);
}

/*
 * The word still says `seen`, whose owner does not exist: do what the
 * kernel does for an owner that dies holding a robust futex (mark it
 * FUTEX_OWNER_DIED, wake the waiters), so that the next locker gets
 * EOWNERDEAD and repairs. The compare-and-swap fails harmlessly when
 * someone else changed the word first.
 */
static void lock_take_over(struct qat_shm *shm, uint32_t seen)
{
	uint32_t *w = lock_word(shm);
	uint32_t want = FUTEX_OWNER_DIED | (seen & FUTEX_WAITERS);

	if (__atomic_compare_exchange_n(w, &seen, want, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * The wait of qat_shm_lock(), in slices: after each, look at who the
 * word says holds the lock. Returns what pthread_mutex_clocklock() last
 * returned, or ETIMEDOUT when it gave up.
 */
static int lock_bounded(struct qat_shm *shm)
{
	uint32_t owner = 0, w;
	uint64_t since = 0, now;
	struct timespec ts;
	int ret;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		ret = pthread_mutex_clocklock(&shm->hdr->lock, CLOCK_MONOTONIC,
					      &ts);
		if (ret != ETIMEDOUT)
			return ret;
		w = __atomic_load_n(lock_word(shm), __ATOMIC_SEQ_CST);
		now = mono_ms();
		if (!since || (w & FUTEX_TID_MASK) != owner) {
			owner = w & FUTEX_TID_MASK; /* progress: start over */
			since = now;
			continue;
		}
		if (now - since >= SHM_LOCK_CHECK_MS && tid_gone(owner)) {
			qat_warn("%s: lock word names thread %u, which does "
				 "not exist (a corrupt file or a vanished "
				 "owner); taking the lock over", shm->path,
				 owner);
			lock_take_over(shm, w);
			since = 0;
			continue;
		}
		if (now - since >= SHM_LOCK_GIVEUP_MS) {
			qat_err("%s: lock held by thread %u for over %d ms; "
				"giving up (a corrupt file? remove it if no "
				"process uses it)", shm->path, owner,
				SHM_LOCK_GIVEUP_MS);
			return ETIMEDOUT;
		}
	}
}

int qat_shm_lock(struct qat_shm *shm, void (*repair)(void *base, void *arg),
		 void *arg)
{
	int ret = pthread_mutex_trylock(&shm->hdr->lock);

	if (ret == EBUSY)
		ret = lock_bounded(shm);
	if (ret == ETIMEDOUT)
		return -EPROTO;
	if (ret == EOWNERDEAD) {
		/* The holder died mid-update: mend, then vouch for it. */
		shm->hdr->repairs++;
		if (repair)
			repair(shm->hdr, arg);
		ret = pthread_mutex_consistent(&shm->hdr->lock);
	}
	if (!ret && __atomic_load_n(&shm->hdr->retired, __ATOMIC_SEQ_CST) ==
		    SHM_RETIRED) {
		pthread_mutex_unlock(&shm->hdr->lock);
		qat_err("%s was re-made for another configuration while this "
			"process had it open; reopen the runtime", shm->path);
		return -ESTALE;
	}
	return -ret;
}

void qat_shm_unlock(struct qat_shm *shm)
{
	pthread_mutex_unlock(&shm->hdr->lock);
}
