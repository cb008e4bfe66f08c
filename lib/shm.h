/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-wide shared segments: a file (normally under /dev/shm) mapped
 * MAP_SHARED by every process that uses the same registry path.
 *
 * Every segment starts with struct qat_shm_hdr. Creation is atomic: the
 * creator builds the whole segment under a temporary name and link()s it
 * into place, so a process that opens the path always sees an initialised
 * segment, and of two processes starting together exactly one creates it.
 * The segment is untrusted input: callers bounds-check what they read.
 */
#ifndef QAT_SHM_H
#define QAT_SHM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct qat_shm_hdr {
	uint64_t magic;        /* per segment kind */
	uint32_t version;      /* layout version */
	uint32_t hdr_size;     /* sizeof(struct qat_shm_hdr) */
	uint64_t size;         /* whole segment, bytes */
	uint64_t fingerprint;  /* configuration it was made for */
	uint32_t repairs;      /* times a dead holder's lock was recovered */
	uint32_t reserved;
	pthread_mutex_t lock;  /* robust, process-shared */
};

struct qat_shm {
	int fd;                /* O_CLOEXEC; the open file description */
	struct qat_shm_hdr *hdr;
	size_t size;
};

struct qat_shm_params {
	const char *path;
	uint64_t magic;
	uint32_t version;
	size_t size;           /* >= sizeof(struct qat_shm_hdr) */
	uint64_t fingerprint;
	unsigned int mode;     /* file mode when created */
	/* Fill the bytes after the header of a new segment; 0 or -errno. */
	int (*init)(void *base, size_t size, void *arg);
	void *arg;
};

/*
 * Open the segment at p->path, creating it when absent. Returns 0, or
 * -ELOOP when the path is a symlink, -EPERM when it is not a regular file
 * or is writable by others, -EPROTO when its header is not of this magic,
 * version or size (a corrupt or foreign file), -ESTALE when it was made for
 * another configuration (fingerprint; checked before the size, so a segment
 * sized from another configuration is -ESTALE), or an errno from the system.
 */
int qat_shm_open(const struct qat_shm_params *p, struct qat_shm *out);

/* Unmap and close. Safe on a zeroed struct and twice. */
void qat_shm_close(struct qat_shm *shm);

/*
 * Take the segment's lock. When the previous holder died holding it, call
 * repair(base, arg) under the lock to restore the invariants, then mark
 * the lock consistent. Returns 0, or -ENOTRECOVERABLE.
 */
int qat_shm_lock(struct qat_shm *shm, void (*repair)(void *base, void *arg),
		 void *arg);
void qat_shm_unlock(struct qat_shm *shm);

#endif /* QAT_SHM_H */
