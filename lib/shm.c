/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* Create p->path atomically. 0 when we made it, -EEXIST when another
 * process got there first. */
static int shm_create(const struct qat_shm_params *p)
{
	char *tmp;
	int fd, ret;

	if (asprintf(&tmp, "%s.XXXXXX", p->path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	ret = shm_build(p, fd);
	if (!ret && link(tmp, p->path))
		ret = -errno;
	unlink(tmp);
	close(fd);
out_free:
	free(tmp);
	return ret;
}

/*
 * The configuration is checked before the size: a segment sized from
 * another configuration is a configuration mismatch (-ESTALE), not a
 * corrupt file.
 */
static int shm_check(const struct qat_shm_params *p,
		     const struct qat_shm_hdr *h, uint64_t file_size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != p->magic ||
	    h->version != p->version || h->hdr_size != sizeof(*h))
		goto foreign;
	if (h->fingerprint != p->fingerprint) {
		qat_err("%s: made for another configuration; every process "
			"sharing a registry needs the same configuration",
			p->path);
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

static int shm_attach(const struct qat_shm_params *p, int fd,
		      struct qat_shm *out)
{
	struct stat st;
	void *base;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IWOTH)) {
		qat_err("%s: not a regular file private to its users",
			p->path);
		return -EPERM;
	}
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
	out->fd = fd;
	out->hdr = base;
	out->size = p->size;
	return 0;
}

int qat_shm_open(const struct qat_shm_params *p, struct qat_shm *out)
{
	int fd, ret, tries;

	if (p->size < sizeof(struct qat_shm_hdr))
		return -EINVAL;
	for (tries = 0; tries < 8; tries++) {
		fd = open(p->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno == ELOOP) {
			qat_err("%s: is a symlink; refused", p->path);
			return -ELOOP;
		}
		if (errno != ENOENT)
			return -errno;
		ret = shm_create(p);
		if (ret && ret != -EEXIST)
			return ret;
	}
	if (fd < 0)
		return -EAGAIN; /* created and removed under us, repeatedly */
	ret = shm_attach(p, fd, out);
	if (ret)
		close(fd);
	return ret;
}

void qat_shm_close(struct qat_shm *shm)
{
	/* hdr is set only with fd, so a zeroed struct closes nothing. */
	if (!shm->hdr)
		return;
	munmap(shm->hdr, shm->size);
	close(shm->fd);
	shm->hdr = NULL;
	shm->fd = -1;
}

int qat_shm_lock(struct qat_shm *shm, void (*repair)(void *base, void *arg),
		 void *arg)
{
	int ret = pthread_mutex_lock(&shm->hdr->lock);

	if (ret == EOWNERDEAD) {
		/* The holder died mid-update: mend, then vouch for it. */
		shm->hdr->repairs++;
		if (repair)
			repair(shm->hdr, arg);
		ret = pthread_mutex_consistent(&shm->hdr->lock);
	}
	return -ret;
}

void qat_shm_unlock(struct qat_shm *shm)
{
	pthread_mutex_unlock(&shm->hdr->lock);
}
