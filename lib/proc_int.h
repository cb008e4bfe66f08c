/* SPDX-License-Identifier: BSD-3-Clause */
/* Private definitions of the process-section registry (proc*.c). */
#ifndef QAT_PROC_INT_H
#define QAT_PROC_INT_H

#include <sys/types.h>

#include "internal.h"
#include "proc_seg.h"

/* Released handles wait this long before reuse, so that a second release
 * of a stale handle still finds it released (-EBADF). */
#define PROC_QUARANTINE 256u
/* A waiter rechecks this often: a holder that dies wakes no one. */
#define PROC_POLL_MS 10

/* Where each of a device's sections lives in the slot table. Slots are
 * numbered by sorted name, so every process with the same configuration
 * content (the fingerprint ignores order) gets the same numbering. */
struct proc_map_dev {
	unsigned int base;       /* first slot */
	unsigned int n;          /* distinct section names */
	const char **sorted;     /* names, owned by the device's cfg */
};

/* The names a base section can take, in search order (cached per base),
 * as runs of consecutive slots of one device: the bitmap is searched a
 * word at a time. */
struct proc_run {
	uint32_t first;          /* slot */
	uint32_t n;
	uint32_t dev;            /* index into rt->devs */
};

struct proc_plan {
	struct proc_plan *next;
	unsigned int nrun;
	struct proc_run *run;
	unsigned char *has_base; /* per device: its cfg has the base */
	char base[PROC_NAME_MAX];
};

enum proc_hstate {
	PROC_H_ACQUIRING = 1,
	PROC_H_HELD,
	PROC_H_RELEASING,
	PROC_H_RELEASED,
	PROC_H_FOREIGN,          /* a forked child's copy of a parent claim */
};

#define PROC_H_MAGIC 0x51505243u /* "QPRC" */

struct qat_proc {
	uint32_t magic;
	enum proc_hstate state;  /* under reg->mu */
	struct proc_reg *reg;
	struct qat_dev *dev;
	bool dev_held;           /* the claim opened dev (exclusive) */
	uint32_t slot;
	struct qat_proc *next_free;
	char name[PROC_NAME_MAX];
};

/*
 * This process's two open file descriptions of one lock file: `lk` holds
 * every claim of the process on that file (the kernel merges adjacent
 * ones), `probe` never locks, so F_OFD_GETLK through it sees every claim,
 * ours included. -1 until first needed. For file 0, probe is the mapping's
 * fd.
 */
struct proc_lockf {
	int lk;
	int probe;
};

/* One runtime's attachment to the registry. */
struct proc_reg {
	struct qat_rt *rt;
	struct qat_shm shm;
	struct proc_seg *seg;
	size_t size;             /* segment bytes: the first lock byte */
	unsigned int nslots;
	char *path;
	pid_t pid;               /* for display in slots; reset after fork */
	dev_t st_dev;            /* the file we mapped, to check reopens */
	ino_t st_ino;

	struct proc_map_dev *mdev; /* per rt->devs[i] */
	const char **slot_name;
	uint32_t *slot_dev;

	/* Guards everything below. Held only briefly, never while waiting:
	 * fork takes it (pthread_atfork) to close the child's copies. May be
	 * taken under the segment lock, never the other way round. */
	pthread_mutex_t mu;
	struct qat_proc **handles; /* every handle ever made; freed at close */
	unsigned int nhandles, caphandles;
	struct qat_proc *free_head, *free_tail;
	unsigned int nfree;
	struct proc_lockf *lf;   /* per lock file */
	unsigned int nlf;
	struct proc_plan *plans;

	struct proc_reg *g_next; /* every registry of the process */
};

/* proc_map.c */
uint64_t proc_fingerprint(const struct qat_rt *rt);
int proc_map_build(struct proc_reg *reg);
void proc_map_free(struct proc_reg *reg);
int proc_plan_get(struct proc_reg *reg, const char *base,
		  const struct proc_plan **out);
void proc_plans_free(struct proc_reg *reg);

/* proc_reg.c */
int proc_reg_get(struct qat_rt *rt, struct proc_reg **out);
int proc_handle_get(struct proc_reg *reg, struct qat_proc **out);
void proc_handle_held(struct qat_proc *h);
int proc_handle_begin_release(struct qat_proc *h);
void proc_handle_put(struct qat_proc *h);
/* The fd of lock file f to lock through (probe = 0) or to ask through
 * (probe = 1), opened on first use: >= 0, or -errno. */
int proc_lock_fd(struct proc_reg *reg, unsigned int f, int probe);

/* proc_seg.c: everything below needs the segment lock unless noted */
int proc_seg_lock(struct proc_reg *reg);
void proc_seg_unlock(struct proc_reg *reg);
int proc_take_first(struct proc_reg *reg, struct qat_proc *h,
		    const struct proc_plan *p);
/* Names of dead holders, found without the lock, freed under it. */
#define PROC_DEAD_BATCH 1024u
unsigned int proc_dead_scan(struct proc_reg *reg, const struct proc_plan *p,
			    uint32_t *out, unsigned int max); /* no lock */
unsigned int proc_dead_clear(struct proc_reg *reg, const uint32_t *dead,
			     unsigned int n);
int proc_slot_free(struct proc_reg *reg, struct qat_proc *h); /* no lock */
int proc_slot_live(struct proc_reg *reg, uint32_t slot);
/* A place in the wait queue; kept locally, never re-read from the file. */
struct proc_ticket {
	int have;
	uint32_t idx;
	uint64_t ticket;
};
int proc_queue_enter(struct proc_reg *reg, const char *base,
		     struct proc_ticket *t);
void proc_queue_leave(struct proc_reg *reg, struct proc_ticket *t);
int proc_queue_my_turn(struct proc_reg *reg, const char *base,
		       const struct proc_ticket *t);
void proc_wake(struct proc_reg *reg);                  /* no lock */
uint32_t proc_wake_seq(struct proc_reg *reg);          /* no lock */
/* Sleep until the sequence moves from `seq` or `ns` pass; ns < 0: no
 * bound. 0, or -EINTR when a signal handler ran. No lock. */
int proc_wait(struct proc_reg *reg, uint32_t seq, int64_t ns);

#endif /* QAT_PROC_INT_H */
