/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events: the user-space replacement for /dev/qat_dev_state.
 *
 * An event (a device went down, is being reset, came back, failed) is
 * published by any process into the host-wide segment
 * "<registry path>.state" and reaches every subscription, in every
 * process that uses the same registry path, that asked for its kind.
 *
 * Delivery guarantees:
 *   - Events are numbered host-wide (seq, from 1) and every subscription
 *     reads them in that order, so events of one device arrive in the
 *     order they were published.
 *   - Publishers never wait for subscribers. The segment keeps the last
 *     QAT_STATE_RING_EVENTS events; a subscription that falls further
 *     behind gets -EOVERFLOW once, with the exact number of events of the
 *     kinds it asked for that it lost (qat_state_lost()), then reads on
 *     with the oldest event still kept. Nothing is lost silently.
 *   - The descriptor from qat_state_fd() is readable (poll, epoll, select)
 *     as soon as an event is published, with no polling timer.
 *   - A subscriber that dies (even by SIGKILL) holds up no one; its slot
 *     is taken back when needed.
 *   - Wakeups go to a Unix socket file per subscription beside the
 *     registry ("<registry path>.state.<n>"), so they reach a subscriber
 *     wherever the registry's directory is visible, in any network
 *     namespace (containers sharing the directory wake each other). The
 *     registry path must leave room for that name in a socket address
 *     (about 95 characters), and subscribers need write access to the
 *     directory.
 *
 * Another configuration (as for process sections, see proc.h): a registry file made for another configuration
 * is re-made for the caller's by itself, atomically, once no live claim,
 * waiter or subscriber remains on it; a process that still has the old
 * file open gets -ESTALE from its next call and must reopen its runtime.
 * While live users remain, the call fails with -ESTALE and logs the pids
 * of those still using it. The same rule holds for "<registry>.proc"
 * (another device configuration) and "<registry>.state" (a device id that
 * means another PCI function).
 *
 * Fork: a child does not inherit its parent's subscriptions. In the child
 * an inherited handle is closed: qat_state_fd() and qat_state_read()
 * return -EBADF, and qat_state_unsubscribe() frees it without touching the
 * parent's subscription, which goes on unchanged. The child subscribes
 * itself if it wants events.
 */
#ifndef QAT_STATE_H
#define QAT_STATE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Event values exactly as the QAT drivers number enum adf_event. */
enum qat_event {
	QAT_EVENT_INIT = 0,
	QAT_EVENT_START = 1,
	QAT_EVENT_STOP = 2,
	QAT_EVENT_SHUTDOWN = 3,
	QAT_EVENT_RESTARTING = 4,
	QAT_EVENT_RESTARTED = 5,
	QAT_EVENT_ERROR = 6,
	/* The drivers' debug-build events. */
	QAT_EVENT_PROC_CRASH = 7,
	QAT_EVENT_MANUAL_DUMP = 8,
	QAT_EVENT_SLICE_HANG = 9,
	QAT_EVENT_DBG_SHUTDOWN = 10,
};

/* Number of event values; valid events are 0 .. QAT_EVENT_COUNT - 1. */
#define QAT_EVENT_COUNT 11

/* The event's name as the drivers spell it ("RESTARTING"); "UNKNOWN" for
 * a value out of range. A static string, never NULL. */
QAT_API const char *qat_event_name(int event);

/* Event masks: one bit per event value. */
#define QAT_EVENT_BIT(e) (1u << (e))
#define QAT_EVENT_MASK_ALL ((1u << QAT_EVENT_COUNT) - 1)
/* What /dev/qat_dev_state queues; also what a mask of 0 means. */
#define QAT_EVENT_MASK_DEFAULT                                               \
	(QAT_EVENT_BIT(QAT_EVENT_RESTARTING) |                               \
	 QAT_EVENT_BIT(QAT_EVENT_RESTARTED) | QAT_EVENT_BIT(QAT_EVENT_ERROR))
#define QAT_EVENT_MASK_LIFECYCLE                                             \
	(QAT_EVENT_BIT(QAT_EVENT_INIT) | QAT_EVENT_BIT(QAT_EVENT_START) |    \
	 QAT_EVENT_BIT(QAT_EVENT_STOP) | QAT_EVENT_BIT(QAT_EVENT_SHUTDOWN))
#define QAT_EVENT_MASK_DEBUG                                                 \
	(QAT_EVENT_BIT(QAT_EVENT_PROC_CRASH) |                               \
	 QAT_EVENT_BIT(QAT_EVENT_MANUAL_DUMP) |                              \
	 QAT_EVENT_BIT(QAT_EVENT_SLICE_HANG) |                               \
	 QAT_EVENT_BIT(QAT_EVENT_DBG_SHUTDOWN))

/* Events the segment keeps: how far a subscriber may fall behind. */
#define QAT_STATE_RING_EVENTS 1024
/* Subscriptions that may exist at once on one registry, host-wide. */
#define QAT_STATE_MAX_SUBSCRIBERS 128

/* qat_state_event.flags */
/* A record of the current state made at subscription time
 * (QAT_STATE_SUB_CURRENT), not a published event. */
#define QAT_STATE_EV_CURRENT (1u << 0)

struct qat_state_event {
	unsigned int dev_id;    /* the device's accel id */
	int event;              /* enum qat_event */
	uint32_t flags;         /* QAT_STATE_EV_* */
	uint32_t reserved;
	/* Host-wide publish number, from 1. For a QAT_STATE_EV_CURRENT
	 * record: the number of the event that set that state, 0 when no
	 * event was ever published for the device. */
	uint64_t seq;
	/* CLOCK_MONOTONIC nanoseconds when it was published (comparable
	 * between processes of one host and boot); for a current-state record
	 * never published, when the subscription was made. */
	uint64_t timestamp_ns;
};

/* Layout of the kernel's struct adf_state, read from /dev/qat_dev_state,
 * for code ported from that interface (see qat_state_read_adf()). */
struct qat_adf_state {
	enum qat_event dev_state;
	int dev_id;
};

/* qat_state_sub_opts.flags */
/* First queue one QAT_STATE_EV_CURRENT record per device known to the
 * registry (in dev id order), whatever the mask, then the events
 * published after them, with no gap and no overlap. */
#define QAT_STATE_SUB_CURRENT (1u << 0)
#define QAT_STATE_SUB_FLAGS_ALL QAT_STATE_SUB_CURRENT

struct qat_state_sub_opts {
	size_t sz;              /* sizeof(struct qat_state_sub_opts) */
	unsigned int flags;     /* QAT_STATE_SUB_* */
};

struct qat_state_sub;   /* a subscription: opaque */

/*
 * Subscribe to the events in `mask` (QAT_EVENT_BIT()s; 0 means
 * QAT_EVENT_MASK_DEFAULT) of every device on the runtime's registry.
 * Events published after this call are delivered. `opts` may be NULL.
 * The subscription is independent of `rt` once made: it may outlive it.
 * Returns 0, -EINVAL for bad arguments, unknown mask bits or flags,
 * -ENOSPC when QAT_STATE_MAX_SUBSCRIBERS subscriptions are live,
 * -ESTALE when the registry's devices disagree with this runtime's and
 * live subscribers remain (logged, with their pids; see above),
 * -ENAMETOOLONG when the wakeup socket's path does not fit a socket
 * address, -EPROTO for a corrupt segment or a lock held too long (as
 * qat_proc_acquire()), -EPERM / -ELOOP for a file that fails the trust
 * rule of rt.h, or a registry or system error.
 */
QAT_API int qat_state_subscribe(struct qat_rt *rt, unsigned int mask,
				const struct qat_state_sub_opts *opts,
				struct qat_state_sub **out);

/*
 * The subscription's descriptor, readable while events may be queued.
 * Owned by the subscription: do not close it, do not read from it. After
 * a readiness notice, call qat_state_read() until -EAGAIN (which is what
 * clears the readiness, so edge-triggered epoll works).
 * Returns the fd, -EINVAL for NULL, -EBADF in a forked child.
 */
QAT_API int qat_state_fd(const struct qat_state_sub *sub);

/*
 * Take the next event. Returns 0 and fills `ev`; -EAGAIN when none is
 * queued; -EOVERFLOW when events were lost before the next one (ev is not
 * written; qat_state_lost() says how many; the next call resumes);
 * -EINVAL for NULL arguments; -EBADF in a forked child; -EPROTO when the
 * segment is corrupt. Not thread-safe on one subscription; separate
 * subscriptions are independent.
 */
QAT_API int qat_state_read(struct qat_state_sub *sub,
			   struct qat_state_event *ev);

/*
 * The events the registry still keeps (at most QAT_STATE_RING_EVENTS), read
 * without subscribing: the `max` most recent of them, oldest first, into
 * evs[0..max-1] (evs may be NULL when max is 0). A record overwritten while
 * it is read is left out. For a tool showing recent history; to miss
 * nothing from now on, subscribe first and drop what you already saw by
 * seq. Returns the number of events copied, -EINVAL for bad arguments,
 * -EPROTO for a corrupt segment, or a registry error.
 */
QAT_API int qat_state_recent(struct qat_rt *rt, struct qat_state_event *evs,
			     unsigned int max);

/* The same, filling the kernel's record layout. */
QAT_API int qat_state_read_adf(struct qat_state_sub *sub,
			       struct qat_adf_state *st);

/*
 * Events lost by this subscription: `last`, the count reported by the
 * most recent -EOVERFLOW (0 before any); `total`, since it was made.
 * Either pointer may be NULL. Returns 0, or -EINVAL for a NULL `sub`.
 */
QAT_API int qat_state_lost(const struct qat_state_sub *sub, uint64_t *last,
			   uint64_t *total);

/* End a subscription and free it. NULL is fine. */
QAT_API void qat_state_unsubscribe(struct qat_state_sub *sub);

/*
 * Publish `event` (enum qat_event) for `dev` to every subscription on the
 * registry, and record it as the device's current state. Thread-safe;
 * never waits for subscribers. Returns 0, -EINVAL for a NULL or foreign
 * device or an event out of range, or a registry or system error.
 */
QAT_API int qat_state_publish(struct qat_rt *rt, struct qat_dev *dev,
			      int event);

/*
 * The device's current state, host-wide: the last event published for it
 * by any process on the registry; when none ever was, QAT_EVENT_START for
 * a started device and QAT_EVENT_INIT for one that is not. Returns the
 * enum qat_event value, -EINVAL for NULL, or a registry error.
 */
QAT_API int qat_dev_state(struct qat_dev *dev);

/* qat_state_watch() flags */
/* The VFIO ERR interrupt publishes QAT_EVENT_ERROR; the REQ interrupt
 * (the kernel wants the device back) publishes QAT_EVENT_SHUTDOWN, once
 * per request. */
#define QAT_STATE_WATCH_IRQ (1u << 0)
/* The QAT kernel driver's uevents for the device (qat_event=...),
 * matched by PCI address, are published as they are. */
#define QAT_STATE_WATCH_UEVENT (1u << 1)
#define QAT_STATE_WATCH_ALL (QAT_STATE_WATCH_IRQ | QAT_STATE_WATCH_UEVENT)

/*
 * Publish what the device's real sources say: set the watched sources of
 * `dev` to exactly `flags` (0 stops watching). Opt-in because
 * QAT_STATE_WATCH_IRQ adds interrupt dispatcher handlers (see
 * qat_irq_handler_add()) on the ERR and REQ indexes, which an
 * application binding them itself would then find taken.
 * QAT_STATE_WATCH_UEVENT runs one listener thread per runtime.
 * Stops at qat_rt_close(). Thread-safe.
 * Returns 0; -EINVAL for NULL or unknown flags; -ENOTSUP for
 * QAT_STATE_WATCH_IRQ on a device with no ERR or REQ interrupt or a
 * backend without interrupts; an error of qat_irq_handler_add(), of the
 * uevent socket, or of the registry. On failure the watched sources are
 * unchanged.
 */
QAT_API int qat_state_watch(struct qat_dev *dev, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* QAT_STATE_H */
