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
/* Unlocked lock fds kept for the next claim: saves an open(). */
#define PROC_FD_POOL 8u
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

/* The names a base section can take, in search order (cached per base). */
struct proc_cand {
	uint32_t slot;
	uint32_t dev;            /* index into rt->devs */
};

struct proc_plan {
	struct proc_plan *next;
	unsigned int ncand;
	struct proc_cand *cand;
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
	uint32_t slot;
	int fd;                  /* own open file description; -1 when none */
	struct qat_proc *next_free;
	char name[PROC_NAME_MAX];
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
	 * fork takes it (pthread_atfork) to close the child's copies. */
	pthread_mutex_t mu;
	struct qat_proc **handles; /* every handle ever made; freed at close */
	unsigned int nhandles, caphandles;
	struct qat_proc *free_head, *free_tail;
	unsigned int nfree;
	int pool[PROC_FD_POOL];
	unsigned int npool;
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
void proc_handle_put(struct qat_proc *h, int keep_fd);

/* proc_seg.c: everything below needs the segment lock unless noted */
int proc_seg_lock(struct proc_reg *reg);
void proc_seg_unlock(struct proc_reg *reg);
int proc_slot_try_take(struct proc_reg *reg, struct qat_proc *h,
		       uint32_t slot, uint32_t accel_id);
int proc_slot_free(struct proc_reg *reg, struct qat_proc *h); /* no lock */
int proc_slot_live(struct proc_reg *reg, uint32_t slot);
/* A place in the wait queue; kept locally, never re-read from the file. */
struct proc_ticket {
	int have;
	uint32_t idx;
	uint64_t ticket;
};
int proc_queue_enter(struct proc_reg *reg, struct qat_proc *h,
		     const char *base, struct proc_ticket *t);
void proc_queue_leave(struct proc_reg *reg, struct qat_proc *h,
		      struct proc_ticket *t);
int proc_queue_my_turn(struct proc_reg *reg, const char *base,
		       const struct proc_ticket *t);
void proc_wake(struct proc_reg *reg);                  /* no lock */
uint32_t proc_wake_seq(struct proc_reg *reg);          /* no lock */
void proc_wait(struct proc_reg *reg, uint32_t seq, int ms); /* no lock */

#endif /* QAT_PROC_INT_H */
