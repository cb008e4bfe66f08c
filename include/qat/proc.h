/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process sections: the user-space replacement for the QAT drivers'
 * /dev/qat_dev_processes.
 *
 * A process names a base section of the device configuration ("SSL") and
 * is given the first free internal section made from it ("SSL_INT_0", or
 * "SSL_DEV0_INT_0" when the base section sets LimitDevAccess), searching
 * started devices in accel id order and numbers from 0. The claim is
 * host-wide: every process whose runtime uses the same registry path sees
 * it. It ends on qat_proc_release(), on qat_rt_close(), or when the process
 * dies in any way (the kernel drops the claim's file lock; no daemon).
 *
 * The registry is the file "<registry path>.proc" (see qat_rt_opts), created
 * with the runtime's registry_mode (default 0600). With more than 64
 * internal sections in all, the claims' locks are spread over lock files
 * beside it, "<registry path>.proc.1", ".2", ... (64 names each), so that
 * an acquire costs the same with thousands of names held on the host as
 * with none. To share the registry with a group, pass
 * QAT_RT_REGISTRY_GROUP and the group's id in the runtime's options. Which
 * files are trusted is said in rt.h. Every process sharing a registry
 * needs the same device configuration. Do not remove the files while a
 * process uses them.
 *
 * Another configuration: a registry file made for another configuration
 * is re-made for the caller's by itself, atomically, once no live claim,
 * waiter or subscriber remains on it; a process that still has the old
 * file open gets -ESTALE from its next call and must reopen its runtime.
 * While live users remain, the call fails with -ESTALE and logs the pids
 * of those still using it. The same rule holds for "<registry>.proc"
 * (another device configuration) and "<registry>.state" (a device id that
 * means another PCI function).
 *
 * Search order: the first name, in the order above, that the registry
 * marks free. A name whose holder died still looks taken until the next
 * acquire that finds no name marked free, or qat_proc_list(), notices; it
 * is then taken back, in order with the others.
 *
 * Fork: a child does not inherit its parent's claims. Its copies of the
 * parent's handles are inert (qat_proc_release() on one returns -ESRCH and
 * leaves the parent's claim alone); the child may acquire its own. The
 * claim fds the kernel copies at fork are closed by an atfork handler
 * before fork() returns in the child, so a parent that dies in between
 * keeps its names only until the child first runs. No file descriptor
 * survives exec.
 *
 * Thread safety: every function may be called from several threads on the
 * same runtime. A handle must not be released by one thread while another
 * still uses it.
 */
#ifndef QAT_PROC_H
#define QAT_PROC_H

#include <sys/types.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qat_proc; /* one claim of an internal section */

/* qat_proc_opts.flags */
/* Block until a name frees, in turn. A release wakes waiters at once; a
 * holder killed without releasing is noticed within 10 ms (a waiter
 * cannot block on the death of "any of the holders" in one wait, so it
 * rechecks that often). */
#define QAT_PROC_WAIT (1u << 0)
/* With QAT_PROC_WAIT: give up (-ECANCELED) once cancel_fd is readable
 * (or hung up), noticed within 10 ms. A thread can be stopped cleanly by
 * writing to an eventfd or pipe it waits with. */
#define QAT_PROC_CANCEL_FD (1u << 1)
#define QAT_PROC_FLAGS_ALL (QAT_PROC_WAIT | QAT_PROC_CANCEL_FD)

struct qat_proc_opts {
	size_t sz;            /* sizeof(struct qat_proc_opts) */
	unsigned int flags;   /* QAT_PROC_* */
	/* With QAT_PROC_WAIT: give up after this many milliseconds
	 * (-ETIMEDOUT, never earlier); < 0 waits for ever. Ignored without
	 * the flag. */
	int timeout_ms;
	/* With QAT_PROC_CANCEL_FD: the descriptor that cancels the wait. The
	 * library only polls it, never reads it. */
	int cancel_fd;
};

/*
 * Claim the first free internal section of base section `section`.
 * `section` is 1 to 127 characters of [A-Za-z0-9_]. `opts` may be NULL.
 * With QAT_PROC_WAIT the call blocks while every name is taken; waiters
 * for the same base section are served first come, first served across
 * processes (and a caller that does not wait gets -EAGAIN while anyone is
 * queued for that base section).
 * Returns 0 and fills *out, or:
 *   -EINVAL     bad arguments, name or options (unknown flags, sz, a
 *               cancel_fd that is not open)
 *   -ENOENT     no device configuration has `section` (logged), or it has
 *               no internal sections (no NumProcesses), or the registry's
 *               directory does not exist (logged, naming the path)
 *   -ENODEV     no started device has `section`
 *   -EAGAIN     every name is taken (without QAT_PROC_WAIT)
 *   -ETIMEDOUT  every name stayed taken for timeout_ms
 *   -EBUSY      the name found is on an exclusive device (dev.h) that
 *               another process has open (logged): no claim is granted.
 *               A granted claim on such a device has it open already.
 *   -EINTR      a signal handler ran while waiting, whether or not it
 *               was installed with SA_RESTART: as sem_timedwait(3) and
 *               the kernel's timed waits, the wait is not restarted (the
 *               kernel does not say which signal ended it, so its flags
 *               cannot be honoured); call again to wait on. The call
 *               rechecks the names every 10 ms: a signal that lands in
 *               that instant, between two sleeps, interrupts nothing
 *   -ECANCELED  cancel_fd became readable while waiting
 *   -ESTALE     the registry was made for another configuration and live
 *               claims remain (logged, with their pids), or it was re-made
 *               while this runtime had it open (reopen the runtime)
 *   -EPROTO     the registry file is corrupt or of another version, or its
 *               lock stayed held by a thread that exists for 2 s (logged;
 *               a lock naming a thread that does not exist is taken over
 *               and the registry repaired)
 *   -ELOOP      the registry path is a symlink
 *   -EPERM      the registry (or a lock file) is not a regular file (a
 *               directory, socket, FIFO...), or fails the trust rule of
 *               rt.h: writable by others, another user's, a foreign
 *               group's (logged, saying which)
 *   -ENOMEM, or an errno from the system
 */
QAT_API int qat_proc_acquire(struct qat_rt *rt, const char *section,
			     const struct qat_proc_opts *opts,
			     struct qat_proc **out);

/* The internal section name ("SSL_INT_0"); NULL for NULL. Valid until the
 * runtime is closed. */
QAT_API const char *qat_proc_name(const struct qat_proc *p);

/* The device whose configuration holds the name; NULL for NULL. */
QAT_API struct qat_dev *qat_proc_dev(const struct qat_proc *p);

/*
 * End the claim. NULL is fine (returns 0). Returns 0; -EBADF when the
 * handle was already released (detected as long as its memory has not
 * been reused for a later claim: the runtime recycles a released handle
 * only after 256 later releases and frees none before qat_rt_close());
 * -ESRCH in a forked child for a handle of its parent (the parent keeps
 * its claim; the child's copy is discarded).
 */
QAT_API int qat_proc_release(struct qat_proc *p);

/* One current claim, as qat_proc_list() reports it. */
struct qat_proc_claim {
	char name[128];          /* internal section */
	unsigned int accel_id;   /* device */
	pid_t pid;               /* claiming process, as it saw its pid */
	uint64_t claimed_ns;     /* CLOCK_REALTIME, nanoseconds */
};

/*
 * List the live claims of every process on the registry, in registry
 * order, into claims[0..max-1] (claims may be NULL when max is 0).
 * Returns the number of claims, which may exceed max, or a negative errno
 * as qat_proc_acquire() for the registry.
 */
QAT_API int qat_proc_list(struct qat_rt *rt, struct qat_proc_claim *claims,
			  unsigned int max);

#ifdef __cplusplus
}
#endif

#endif /* QAT_PROC_H */
