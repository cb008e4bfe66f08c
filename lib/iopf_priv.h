/* SPDX-License-Identifier: BSD-3-Clause */
/* The page fault queue's private state, shared by iopf*.c. */
#ifndef QAT_IOPF_PRIV_H
#define QAT_IOPF_PRIV_H

#include <numa.h>
#include <stdatomic.h>

#include "internal.h"
#include "qat/iopf.h"

/* Intrusive circular doubly linked list. */
struct iopf_link {
	struct iopf_link *prev, *next;
};

#define iopf_entry(l, type, member) \
	((type *)(void *)((char *)(l) - offsetof(type, member)))

static inline void iopf_list_init(struct iopf_link *h)
{
	h->prev = h->next = h;
}

static inline bool iopf_list_empty(const struct iopf_link *h)
{
	return h->next == h;
}

static inline void iopf_list_add_tail(struct iopf_link *h, struct iopf_link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void iopf_list_del(struct iopf_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* Key of a fault without a PASID: real PASIDs have 20 bits. */
#define IOPF_NO_PASID UINT32_MAX

struct iopf_fault {
	struct qat_iopf_fault f;
	struct iopf_fault *next;
};

enum iopf_group_state {
	IOPF_PARTIAL,   /* in the hash, waiting for its last fault */
	IOPF_REFUSED,   /* in the hash, answered: drops the rest of the group */
	IOPF_QUEUED,    /* on the ready list */
	IOPF_RUNNING,   /* a worker holds it */
};

struct iopf_dev;

struct iopf_group {
	struct iopf_dev *dev;
	uint32_t pasid;          /* key: PASID or IOPF_NO_PASID */
	uint32_t grpid;          /* key */
	enum iopf_group_state state;
	bool answered;
	unsigned int refs;       /* holder (hash, ready list or worker) +
				  * answerers in flight */
	struct iopf_group *hnext;             /* hash chain */
	struct iopf_fault *head, **tail;      /* partials, in arrival order */
	unsigned int nfaults;                 /* partials, + 1 once last set */
	struct qat_iopf_fault last;
	uint64_t seq;            /* queue order within the device */
	struct iopf_link ready;  /* the queue's ready list */
	struct iopf_link out;    /* the device's groups not yet answered */
};

/* The fd source of a device (iopf_fd.c). */
struct iopf_src;

struct iopf_dev {
	struct qat_iopf_queue *q;
	struct qat_dev *dev;
	struct qat_iopf_handler handler;
	struct qat_iopf_sink sink;   /* fd is our own duplicate */
	unsigned int npartial;       /* partial faults */
	unsigned int nheld;          /* partial + queued or running faults */
	unsigned int nrefused;       /* notes of refused groups */
	unsigned int running;        /* handlers running on workers */
	unsigned int busy;           /* answers being sent, flush waiters */
	uint64_t seq;                /* next group's seq */
	struct iopf_link out;        /* groups not yet answered, by seq */
	struct qat_iopf_stats st;
	struct iopf_src *src;
	bool src_starting;           /* qat_iopf_attach_fd() under way */
	struct iopf_link link;       /* the queue's devices */
};

struct qat_iopf_queue {
	char name[32];
	pthread_mutex_t lock;
	pthread_cond_t work;         /* workers wait for groups */
	pthread_cond_t done;         /* flush and remove wait for answers */
	struct iopf_link ready;
	unsigned int nready;         /* groups on the ready list */
	unsigned int nidle;          /* workers waiting for work */
	unsigned int nwoken;         /* of them, signalled already */
	struct iopf_link devs;
	struct qat_iopf_stats gone;  /* of removed devices */
	struct iopf_group **buckets; /* partial and refused groups */
	size_t nbuckets;             /* a power of two */
	size_t nhashed;
	void *free_faults;           /* recycled struct iopf_fault */
	void *free_groups;           /* recycled struct iopf_group */
	unsigned int nfree_faults, nfree_groups;
	unsigned int max_partial;
	unsigned int max_outstanding;
	bool stop;
	int node;                    /* -1: anywhere */
	struct bitmask *node_cpus;   /* libnuma's; NULL: anywhere */
	unsigned int nworkers;
	pthread_t *workers;
	pid_t pid;
	atomic_int fail_alloc;       /* test hook: allocations left to fail */
};

/* Allocation that the tests can make fail (qat_iopf_inject_nomem()). */
void *qat_iopf_alloc(struct qat_iopf_queue *q, size_t size);

/*
 * White-box test hook: make the next `n` allocations of the queue's
 * fault path fail, as if memory had run out. Not exported.
 */
void qat_iopf_inject_nomem(struct qat_iopf_queue *q, int n);

/* True on a worker thread of `q` (iopf.c). */
bool qat_iopf_on_worker(const struct qat_iopf_queue *q);

/* The default handler with a one-mapping memory (iopf_resolve.c): each
 * worker keeps one, zeroed at start. */
struct iopf_vma {
	uint64_t start, end;
	unsigned int perm;           /* QAT_IOPF_PERM_* the mapping allows */
};
int qat_iopf_resolve_cached(const struct qat_iopf_fault *f,
			    struct iopf_vma *cache);

/* Start a thread with every signal blocked; 0 or -errno. */
int qat_iopf_thread(pthread_t *t, void *(*fn)(void *), void *arg,
		    const char *name);

/* Start reading page requests of dev from fd (duplicated). */
int qat_iopf_src_start(struct qat_iopf_queue *q, struct qat_dev *dev, int fd,
		       struct iopf_src **out);
/* Write one response to an iommufd fault fd (iopf_fd.c). */
void qat_iopf_fd_respond(int fd, const struct qat_iopf_response *r);
/* Stop and free a device's fd source; the queue lock is not held. */
void qat_iopf_src_stop(struct iopf_src *src);

#endif /* QAT_IOPF_PRIV_H */
