/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O page faults: a fault queue, group assembly and a worker pool in the
 * process, after Linux drivers/iommu/io-pgfault.c.
 *
 * A device that translates addresses through the IOMMU with ATS/PRI sends
 * page requests for pages that are not present, in groups: every request
 * but the last of a group waits as a "partial" fault; the one marked
 * QAT_IOPF_LAST_PAGE completes the group, which then runs on a worker.
 * Each fault of a group goes to the device's handler in the order it was
 * reported; the first answer other than QAT_IOPF_SUCCESS sticks, and the
 * faults after it are not handled. The group then gets exactly one
 * response through the device's sink. Groups are independent: with
 * several workers they complete in any order.
 *
 * Faults come from qat_iopf_report() (a driver of the application's own),
 * from an iommufd fault fd (qat_iopf_attach_fd()), or from a simulated
 * device (qat_sim_dma() in sim.h).
 *
 * A group is named by (device, PASID, group id); a fault without
 * QAT_IOPF_PASID_VALID belongs to the device's PASID-less space.
 *
 * Refusals, answered at once instead of waiting for the group's last
 * fault (the device learns as early as possible, and memory is freed):
 *   - a fault beyond the device's bounds (max_partial, max_outstanding):
 *     its group is answered QAT_IOPF_INVALID and its partials are freed;
 *   - no memory for a fault: its group is answered QAT_IOPF_FAILURE and
 *     its partials are freed.
 * The rest of a refused group (up to its last fault) is dropped without
 * a second response, as long as the queue could keep a note of it (up to
 * max_partial notes per device); past that, a later fault of the group
 * starts a new group.
 *
 * Thread safety: every function may be called from any thread, and
 * qat_iopf_report() concurrently with anything except the freeing of its
 * queue. A handler runs on a worker and may call qat_iopf_report() but not
 * qat_iopf_flush_dev(), qat_iopf_queue_remove_device() or
 * qat_iopf_queue_free() on its own queue (-EDEADLK). The same holds for
 * a callback sink, which may also run inside qat_iopf_report() (an
 * answer given at once), where the misuse is not detected: it waits for
 * ever.
 * Lifetime: remove a device from its queue (or free the queue) before
 * the device's runtime is closed.
 * Fork: a child gets no workers; it must not use its parent's queues
 * (flush and remove say -ECHILD, free does nothing: the memory is the
 * parent's copy).
 */
#ifndef QAT_IOPF_H
#define QAT_IOPF_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qat_iopf_queue; /* one fault queue and its workers */

/* qat_iopf_fault.flags, as the kernel's IOMMU_FAULT_PAGE_REQUEST_* */
#define QAT_IOPF_PASID_VALID  (1u << 0) /* pasid is meaningful */
#define QAT_IOPF_LAST_PAGE    (1u << 1) /* the last fault of its group */
#define QAT_IOPF_NEEDS_PASID  (1u << 2) /* the response must carry the PASID */
#define QAT_IOPF_FLAGS_ALL    (QAT_IOPF_PASID_VALID | QAT_IOPF_LAST_PAGE | \
			       QAT_IOPF_NEEDS_PASID)

/* qat_iopf_fault.perm, as the kernel's IOMMU_FAULT_PERM_* */
#define QAT_IOPF_PERM_READ   (1u << 0)
#define QAT_IOPF_PERM_WRITE  (1u << 1)
#define QAT_IOPF_PERM_EXEC   (1u << 2)
#define QAT_IOPF_PERM_PRIV   (1u << 3)
#define QAT_IOPF_PERM_ALL    (QAT_IOPF_PERM_READ | QAT_IOPF_PERM_WRITE | \
			      QAT_IOPF_PERM_EXEC | QAT_IOPF_PERM_PRIV)

/* One page request. */
struct qat_iopf_fault {
	uint32_t flags;   /* QAT_IOPF_PASID_VALID, _LAST_PAGE, _NEEDS_PASID */
	uint32_t pasid;   /* 20 bits */
	uint32_t grpid;   /* page request group index (9 bits on PCIe) */
	uint32_t perm;    /* QAT_IOPF_PERM_* the access needs */
	uint64_t addr;    /* faulting address */
	uint64_t cookie;  /* the source's own; the last fault's is echoed in
			   * the group's response */
};

/* Response codes, as PCIe 10.4.2.1 and the kernel's IOMMU_PAGE_RESP_* */
enum qat_iopf_code {
	QAT_IOPF_SUCCESS = 0, /* pages present: retry the access */
	QAT_IOPF_INVALID = 1, /* cannot be resolved: do not retry */
	QAT_IOPF_FAILURE = 2, /* the function should stop sending requests */
};

/* The one response of a group, built from its last fault. */
struct qat_iopf_response {
	uint32_t flags;   /* QAT_IOPF_PASID_VALID when the PASID is carried */
	uint32_t pasid;
	uint32_t grpid;
	uint32_t code;    /* enum qat_iopf_code */
	uint64_t addr;    /* address of the fault the group was answered for */
	uint64_t cookie;  /* that fault's cookie */
};

/*
 * A fault handler: resolve one fault and return an enum qat_iopf_code.
 * Runs on a worker of the queue. NULL handler (or fn) means the default,
 * qat_iopf_resolve().
 */
typedef int (*qat_iopf_handler_fn)(struct qat_dev *dev,
				   const struct qat_iopf_fault *fault,
				   void *arg);
struct qat_iopf_handler {
	qat_iopf_handler_fn fn;
	void *arg;
};

/* Where responses of a device go. */
enum qat_iopf_sink_type {
	QAT_IOPF_SINK_CALLBACK = 0, /* fn(dev, response, arg) on the answering
				     * thread (a worker, or the caller of
				     * report, remove_device, queue_free) */
	QAT_IOPF_SINK_FD = 1,       /* an iommufd fault fd: one 8-byte
				     * {u32 cookie, u32 code} write per group;
				     * QAT_IOPF_FAILURE is written as
				     * INVALID, which is all iommufd has */
	QAT_IOPF_SINK_SIM = 2,      /* the simulated device (qat_sim_dma());
				     * its page requests then come to this
				     * queue */
};
typedef void (*qat_iopf_respond_fn)(struct qat_dev *dev,
				    const struct qat_iopf_response *r,
				    void *arg);
struct qat_iopf_sink {
	unsigned int type;       /* enum qat_iopf_sink_type */
	int fd;                  /* QAT_IOPF_SINK_FD: duplicated, the caller
				  * keeps its own */
	qat_iopf_respond_fn fn;  /* QAT_IOPF_SINK_CALLBACK */
	void *arg;
};

/* qat_iopf_queue_opts.flags */
#define QAT_IOPF_QUEUE_NUMA (1u << 0) /* run the workers on numa_node */
#define QAT_IOPF_QUEUE_FLAGS_ALL (QAT_IOPF_QUEUE_NUMA)

struct qat_iopf_queue_opts {
	size_t sz;                  /* sizeof(struct qat_iopf_queue_opts) */
	unsigned int flags;         /* QAT_IOPF_QUEUE_* */
	unsigned int workers;       /* worker threads, 1 to 64 (0: 1) */
	int numa_node;              /* with QAT_IOPF_QUEUE_NUMA */
	/* Per device: faults waiting for their group's last fault (0: 1024),
	 * and faults held in all, partial or in groups not yet answered
	 * (0: 8192; at least max_partial). */
	unsigned int max_partial;
	unsigned int max_outstanding;
};

/*
 * Create a queue named `name` (for logs and thread names; may be NULL)
 * with its workers. `opts` may be NULL (one worker, default bounds).
 * Returns 0 and fills *out, or -EINVAL (bad arguments, flags, counts, a
 * node libnuma does not know), -ENOMEM, or an errno from pthread_create.
 */
QAT_API int qat_iopf_queue_alloc(const char *name,
				 const struct qat_iopf_queue_opts *opts,
				 struct qat_iopf_queue **out);

/*
 * Remove every device (as qat_iopf_queue_remove_device(): each pending
 * group is answered QAT_IOPF_INVALID), stop the workers and free the
 * queue. NULL is fine. Must not be called from a handler of the queue.
 */
QAT_API void qat_iopf_queue_free(struct qat_iopf_queue *queue);

/*
 * Take faults of `dev` on `queue`. `handler` NULL (or its fn NULL) is
 * the default handler; `sink` says where responses go (required).
 * Returns 0, -EINVAL (NULL queue, dev or sink, unknown sink type, no
 * callback, bad fd), -EEXIST (dev is on this queue already), -EBUSY
 * (QAT_IOPF_SINK_SIM: the device reports to another queue already),
 * -ENOTSUP (QAT_IOPF_SINK_SIM on a device that is not simulated),
 * -ENOMEM.
 */
QAT_API int qat_iopf_queue_add_device(struct qat_iopf_queue *queue,
				      struct qat_dev *dev,
				      const struct qat_iopf_handler *handler,
				      const struct qat_iopf_sink *sink);

/*
 * Stop taking faults of `dev`: stop its fd source, answer every group of
 * it that is queued or running QAT_IOPF_INVALID, free its partials, and
 * wait until no handler runs for it; a handler that finishes afterwards
 * has its answer dropped (counted as late). On return nothing of the
 * queue refers to `dev`, its handler or its sink.
 * Returns 0, -EINVAL, -ENOENT (not on this queue), -EDEADLK (from a
 * handler of this queue), -ECHILD (in a forked child).
 */
QAT_API int qat_iopf_queue_remove_device(struct qat_iopf_queue *queue,
					 struct qat_dev *dev);

/*
 * Report one fault of `dev`. Non-last faults wait as partial; the last
 * fault of a group queues the group for a worker. Returns 0 when the
 * fault was taken, 1 when it was answered at once (refused by a bound,
 * no memory, or the rest of a group answered earlier; see above),
 * -EINVAL (NULL arguments, unknown flags or perm bits, PASID over 20
 * bits), -ENOENT (dev is not on this queue).
 */
QAT_API int qat_iopf_report(struct qat_iopf_queue *queue, struct qat_dev *dev,
			    const struct qat_iopf_fault *fault);

/*
 * Wait until every group of `dev` queued before the call has been
 * answered (partials are not groups yet, and are left alone). Groups
 * queued meanwhile are not waited for, so the call returns under load.
 * Returns 0, -EINVAL, -ENOENT, -EDEADLK (from a handler of this queue),
 * -ECHILD (in a forked child).
 */
QAT_API int qat_iopf_flush_dev(struct qat_iopf_queue *queue,
			       struct qat_dev *dev);

/*
 * Free every partial fault of every device on `queue`, and the notes of
 * refused groups, with no response (what a driver does after its
 * hardware page request queue overflowed: the device resends).
 * Returns the number of faults freed, or -EINVAL.
 */
QAT_API int qat_iopf_discard_partial(struct qat_iopf_queue *queue);

/*
 * Read page requests of `dev` from `fault_fd`, an iommufd fault queue fd
 * (IOMMU_FAULT_QUEUE_ALLOC, Linux 6.11) or anything that speaks its
 * records: reads of whole 40-byte struct iommu_hwpt_pgfault records,
 * every group whole and its records sharing one cookie. A thread of the
 * queue reads them; the fd is duplicated (the caller may close its own).
 * Records with reserved bits set, unknown flags or perm bits, or a short
 * tail are dropped and logged. Responses go to the device's sink (for
 * iommufd, QAT_IOPF_SINK_FD on the same fd). End of file stops the
 * reader. One fd per device.
 * Returns 0, -EINVAL, -ENOENT (dev not on this queue), -EBUSY (it has an
 * fd already), -EBADF, -ENOMEM, or an errno from pthread_create.
 */
QAT_API int qat_iopf_attach_fd(struct qat_iopf_queue *queue,
			       struct qat_dev *dev, int fault_fd);

/* Counters, for tools. */
struct qat_iopf_stats {
	uint64_t faults;         /* reported and well formed */
	uint64_t groups;         /* groups queued for a worker */
	uint64_t responses[3];   /* sent, by enum qat_iopf_code */
	uint64_t refused;        /* faults beyond a bound */
	uint64_t nomem;          /* faults that found no memory */
	uint64_t dropped;        /* faults of groups answered earlier */
	uint64_t late;           /* late or second responses dropped */
	uint64_t discarded;      /* partials freed without a response */
	uint64_t partial;        /* now: partial faults */
	uint64_t outstanding;    /* now: faults held, partial or queued */
};

/*
 * Counters of `dev` on `queue`, or of the whole queue (every device it
 * had, removed ones too) when `dev` is NULL. Returns 0, -EINVAL, -ENOENT.
 */
QAT_API int qat_iopf_stats(struct qat_iopf_queue *queue, struct qat_dev *dev,
			   struct qat_iopf_stats *stats);

/*
 * The default handler: `fault->addr` must lie in a mapping of this
 * process whose permissions cover `fault->perm` (read, write, exec;
 * PRIV asks for nothing more in user space), and the page is then made
 * present with MADV_POPULATE_WRITE (write access) or MADV_POPULATE_READ.
 * (As the default handler of a queue, a worker remembers the last mapping
 * it read from /proc/self/maps and trusts it for read and write access
 * only, which the kernel checks again when it populates; exec is looked
 * up every time.)
 * Returns QAT_IOPF_SUCCESS, or QAT_IOPF_INVALID (no such mapping, not
 * permitted, the kernel could not populate it, no perm bit at all).
 */
QAT_API int qat_iopf_resolve(const struct qat_iopf_fault *fault);

#ifdef __cplusplus
}
#endif

#endif /* QAT_IOPF_H */
