/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Layout of the process-section registry "<registry path>.proc".
 *
 * Who holds a name is decided by the kernel, not by this memory: a claim
 * is an OFD write lock on one byte of a lock file, held through the
 * claiming process's open file description of that file. The slot table
 * says which names are taken and by whom for display, finds free names
 * quickly (the `taken` bitmap) and carries the wait queue; it is rebuilt
 * from the locks after a crash.
 *
 * Lock files: the kernel keeps one list of locks per file and walks all of
 * it on every lock call, so the locks are spread PROC_LOCKS_PER_FILE slots
 * to a file: slots 0..63 lock bytes of this file (past its end), slots
 * 64..127 bytes of "<path>.1", and so on. A lock call then costs the same
 * with 4096 claims held on the host as with none.
 *
 * The file is untrusted input: a process only uses indices it computed
 * from its own configuration, never one read from here.
 */
#ifndef QAT_PROC_SEG_H
#define QAT_PROC_SEG_H

#include <stdint.h>

#include "shm.h"

#define PROC_SEG_MAGIC   0x31636f7270746171ULL /* "qatproc1" */
#define PROC_SEG_VERSION 3u  /* 3: taken bitmap, spread lock files */
#define PROC_NAME_MAX    128u  /* QAT_CFG_MAX_SECTION_LEN */
#define PROC_NWAITERS    1024u /* queue entries; more waiters poll */
#define PROC_MAX_SLOTS   (1u << 16)
#define PROC_LOCKS_PER_FILE 64u

enum { PROC_SLOT_FREE = 0, PROC_SLOT_TAKEN = 1 };
enum { PROC_WAITER_FREE = 0, PROC_WAITER_USED = 1 };

/* One internal section of one device. */
struct proc_slot {
	uint32_t state;          /* PROC_SLOT_*; written last on claim */
	uint32_t accel_id;
	int32_t pid;             /* for display only */
	uint32_t reserved;
	uint64_t claimed_ns;     /* CLOCK_REALTIME */
	char name[PROC_NAME_MAX];
};

/* One process waiting for a base section, in ticket order. */
struct proc_waiter {
	uint32_t state;          /* PROC_WAITER_* */
	int32_t pid;
	uint64_t ticket;
	char base[PROC_NAME_MAX];
};

struct proc_seg {
	struct qat_shm_hdr shm;
	uint32_t nslots;
	uint32_t nwaiters;
	uint32_t wake_seq;       /* futex word: bumped when a name may be free */
	uint32_t nwaiting;       /* USED waiter entries */
	uint64_t next_ticket;
	uint64_t reclaims;       /* names taken back from dead holders */
	/* Bit i set: slot i looks taken. Set under the lock after its byte
	 * is locked, cleared by the holder after it unlocked. A hint: a set
	 * bit whose byte nobody holds is a dead claim, found when no name
	 * looks free. */
	uint64_t taken[PROC_MAX_SLOTS / 64];
	struct proc_waiter waiters[PROC_NWAITERS];
	struct proc_slot slots[]; /* nslots */
};

/* Lock bytes of this file lie past its end: slots 0..63, then waiters.
 * Lock file f > 0 has slots f * 64 .. f * 64 + 63 at bytes 0..63. */
#define PROC_SEG_SIZE(nslots) \
	(sizeof(struct proc_seg) + (size_t)(nslots) * sizeof(struct proc_slot))
#define PROC_LOCK_FILE(i)         ((i) / PROC_LOCKS_PER_FILE)
#define PROC_LOCK_SLOT(size, i) \
	((PROC_LOCK_FILE(i) ? 0 : (uint64_t)(size)) + (i) % PROC_LOCKS_PER_FILE)
#define PROC_LOCK_WAITER(size, j) \
	((uint64_t)(size) + PROC_LOCKS_PER_FILE + (j))

/*
 * Test hook, called while the registry lock is held, in the middle of
 * writing a claim (`where` = PROC_HOOK_TAKE) or a queue entry
 * (PROC_HOOK_ENQUEUE). Tests use it to be killed at those moments.
 * NULL in production; not exported from the shared library.
 */
enum { PROC_HOOK_TAKE = 1, PROC_HOOK_ENQUEUE = 2 };
extern void (*qat_proc_test_hook)(int where);

/*
 * Test knob: when non-zero, a waiting acquire sleeps until it is woken
 * or its timeout, with no PROC_POLL_MS safety net, so that a test sees a
 * release that forgets to wake. 0 in production; not exported.
 */
extern int qat_proc_test_no_poll;

#endif /* QAT_PROC_SEG_H */
