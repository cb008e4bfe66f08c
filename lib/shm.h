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
 *
 * Trust: a file is used only when no one outside the sharing set could
 * have written it: a regular file (not a symlink), not writable by others,
 * owned by the caller or root, and group-writable only for a group the
 * caller belongs to. When the runtime says a group shares the registry
 * (group_shared), the owner may be any user but the file's group must be
 * that group and the mode must give others nothing.
 */
#ifndef QAT_SHM_H
#define QAT_SHM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qat_shm_hdr {
	uint64_t magic;        /* per segment kind */
	uint32_t version;      /* layout version */
	uint32_t hdr_size;     /* sizeof(struct qat_shm_hdr) */
	uint64_t size;         /* whole segment, bytes */
	uint64_t fingerprint;  /* configuration it was made for */
	uint32_t repairs;      /* times a dead holder's lock was recovered */
	uint32_t retired;      /* SHM_RETIRED: replaced by a new segment */
	pthread_mutex_t lock;  /* robust, process-shared */
};

#define SHM_RETIRED 0x52455452u /* "RETR" */

struct qat_shm {
	int fd;                /* O_CLOEXEC; the open file description */
	struct qat_shm_hdr *hdr;
	size_t size;
	char *path;            /* for log lines */
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
	int group_shared;      /* the registry is shared by group `gid` */
	gid_t gid;
	/*
	 * A segment made for another configuration may be replaced when no
	 * process uses it. in_use() says how many live users the old one
	 * has (0: replace it), through `fd`, a description of it that
	 * locks nothing, on its mapping `old` of `size` bytes, under its
	 * lock; it names them (pids) in who[0..len). Returns the count or
	 * -errno. NULL: never replaced.
	 */
	int (*in_use)(int fd, void *old, size_t size, void *arg, char *who,
		      size_t len);
};

/*
 * Open the segment at p->path, creating it when absent. Returns 0, or
 * -ELOOP when the path is a symlink, -EPERM when it is not a regular file
 * (a directory, socket, FIFO, device...) or fails the trust rule above
 * (logged, saying why), -ENOENT when its directory does not exist (logged),
 * -EPROTO when its header is not of this magic,
 * version or size (a corrupt or foreign file), -ESTALE when it was made for
 * another configuration (fingerprint; checked before the size, so a segment
 * sized from another configuration is -ESTALE) and could not be replaced
 * (see qat_shm_replace()), or an errno from the system.
 */
int qat_shm_open(const struct qat_shm_params *p, struct qat_shm *out);

/*
 * Replace the segment `old` (attached, made for another configuration) by
 * a new one built from p, when p->in_use() finds no live user, atomically
 * (rename) and under old's lock, then mark old retired: a process still
 * attached to it gets -ESTALE from its next qat_shm_lock() instead of
 * working on a file no one else sees. Returns 0 when the path now holds a
 * new segment (ours or a racing process's: reopen it), -ESTALE when live
 * users remain (logged, naming them), or -errno. `old` stays attached.
 */
int qat_shm_replace(const struct qat_shm_params *p, struct qat_shm *old);

/* Unmap and close. Safe on a zeroed struct and twice. */
void qat_shm_close(struct qat_shm *shm);

/*
 * Validate a file already open at p->path against the trust rule above:
 * 0 or -EPERM (logged). For other files of a registry (lock files).
 */
int qat_shm_trusted(const struct qat_shm_params *p, int fd);

/*
 * Take the segment's lock. When the previous holder died holding it, call
 * repair(base, arg) under the lock to restore the invariants, then mark
 * the lock consistent.
 *
 * The lock word lives in a file other processes write, so the wait is
 * bounded: when the word keeps naming the same owner thread for
 * SHM_LOCK_CHECK_MS and no such thread exists (a forged word, or an owner
 * in a state the kernel never cleaned up), the lock is taken over as if
 * its owner had died (then repaired, as above); when it names a thread
 * that exists for SHM_LOCK_GIVEUP_MS, the call gives up. Owners are told
 * apart by thread id, so processes sharing a registry must share a pid
 * namespace for the take-over to be right (otherwise the lock is only
 * ever waited for, up to the bound).
 * Returns 0, -EPROTO when it gave up (logged), -ESTALE when the segment
 * was replaced (qat_shm_replace(); logged), or -ENOTRECOVERABLE.
 */
#define SHM_LOCK_CHECK_MS 200
#define SHM_LOCK_GIVEUP_MS 2000
int qat_shm_lock(struct qat_shm *shm, void (*repair)(void *base, void *arg),
		 void *arg);
void qat_shm_unlock(struct qat_shm *shm);

#endif /* QAT_SHM_H */
