/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events: the shared segment "<registry>.state" and what
 * state*.c share.
 *
 * The segment holds a ring of the last QAT_STATE_RING_EVENTS events, the
 * current state of every device known to the registry, and one slot per
 * subscription. Publishers serialise on the segment's robust lock and
 * never wait for a subscriber: they write the next record, advance `head`,
 * and then nudge each interested subscriber's socket. Subscribers read the
 * ring without the lock, each with a private cursor; a record is validated
 * by its sequence word (a seqlock), so a subscriber that was lapped sees a
 * newer number and knows. Each record also carries the cumulative count of
 * every event kind up to it, which is how a lapped subscriber counts
 * exactly the events *of its mask* that it lost.
 *
 * Liveness of a slot is an OFD lock on one byte of the file (the slot's
 * own offset), taken through an open file description private to the
 * subscription: the kernel drops it when the subscriber dies, however it
 * dies. pids are for display only.
 *
 * Wakeups: each subscription owns a non-blocking SOCK_DGRAM Unix socket
 * bound to the pathname "<registry>.state.<slot>", beside the registry; a
 * publisher sendto()s it a one-byte nudge. A pathname socket is found
 * through the file system, so wakeups reach every process that sees the
 * registry's directory, whatever network namespace it is in (abstract
 * addresses, used before, belong to one namespace). The address is made
 * from the slot number, never read from the segment, so a corrupt or
 * forged slot cannot send nudges elsewhere. The slot's `pending` flag
 * keeps at most one nudge queued per subscription, so a reader that never
 * reads costs publishers nothing and cannot fill their socket buffers.
 */
#ifndef QAT_STATE_PRIV_H
#define QAT_STATE_PRIV_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "internal.h"
#include "shm.h"

#define QAT_STATE_MAGIC 0x5441545354415451ull /* "QTASTTAT" */
#define QAT_STATE_VERSION 2 /* 2: wakeup sockets by path, not in slots */
#define QAT_STATE_MAX_DEVS 256

/*
 * __atomic_thread_fence(order). ThreadSanitizer builds refuse fences, so
 * there a sequentially consistent read-modify-write of one word stands in
 * for every fence: a full barrier where the tests run, and every access
 * it orders is atomic anyway, so the sanitizer has nothing to report.
 */
#ifdef __SANITIZE_THREAD__
extern unsigned int qat_state_fence_word;
#define ST_FENCE(order)                                                      \
	((void)__atomic_fetch_add(&qat_state_fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define ST_FENCE(order) __atomic_thread_fence(order)
#endif

/* Top bit of a record's sequence word: being written. */
#define ST_BUSY (1ull << 63)

enum { ST_SLOT_FREE = 0, ST_SLOT_ACTIVE = 1 };

/* One event. 128 bytes: two cache lines, never shared by two records. */
struct st_rec {
	uint64_t seq;           /* seqlock word: seq, or seq | ST_BUSY */
	uint32_t dev_id;
	int32_t event;
	uint64_t ts;            /* CLOCK_MONOTONIC ns */
	/* Events of each kind with a number <= seq. */
	uint64_t cum[QAT_EVENT_COUNT];
	uint64_t pad[2];
};

struct st_dev {
	uint32_t used;
	uint32_t dev_id;
	int32_t state;          /* last event published; -1: none yet */
	uint32_t reserved;
	uint64_t seq;           /* of that event */
	uint64_t ts;
	char pci_addr[16];      /* what dev_id means, for every process */
};

struct st_slot {
	uint32_t state;         /* ST_SLOT_*, changed under the lock */
	uint32_t mask;
	uint32_t pending;       /* a nudge may be queued: skip sending */
	uint32_t gen;           /* bumped at every claim and release */
	int32_t pid;            /* display only */
	uint32_t reserved;
	char unused[40];        /* was the abstract address (version 1) */
};

struct st_seg {
	struct qat_shm_hdr hdr;
	_Alignas(64) uint64_t head; /* last published seq; 0: none */
	uint64_t cnt[QAT_EVENT_COUNT]; /* cumulative counts through head */
	_Alignas(64) struct st_dev devs[QAT_STATE_MAX_DEVS];
	_Alignas(64) struct st_slot slots[QAT_STATE_MAX_SUBSCRIBERS];
	_Alignas(64) struct st_rec ring[QAT_STATE_RING_EVENTS];
};

/* A runtime's attachment (rt->state), made on first use. */
struct qat_state_rt {
	struct qat_shm shm;     /* its fd never holds slot locks */
	struct st_seg *seg;
	dev_t st_dev;           /* identity of the segment file */
	ino_t st_ino;
	int sock;               /* unbound: publishers send from it */
	char *wake_base;        /* "<registry>.state." */
	/* Sockets connected to slot i's wakeup socket. A publisher takes an
	 * entry by setting `busy` (no mutex, so a fork in the middle leaves
	 * the child nothing to wait for); one that finds it busy sends
	 * unconnected. */
	struct st_conn {
		uint32_t busy;
		uint32_t gen;   /* of the subscription it was made for */
		int fd;
	} conn[QAT_STATE_MAX_SUBSCRIBERS];
	struct state_watch *watch; /* state_watch.c, made on first use */
};

/*
 * The wakeup address of slot i of the registry whose wakeup addresses
 * start with `base` ("<registry>.state."). Returns 0, or -ENAMETOOLONG
 * when it does not fit a socket address.
 */
int qat_state_wake_sa(const char *base, unsigned int i, struct sockaddr_un *sa,
		      socklen_t *len);


/* Attach `rt` to its state segment (once); *out stays valid until
 * qat_rt_close(). Returns 0 or -errno. */
int qat_state_attach(struct qat_rt *rt, struct qat_state_rt **out);

/* Parameters for opening the state segment of `rt`; `path` is malloc'd
 * into *path_out, which the caller frees. */
int qat_state_seg_params(struct qat_rt *rt, struct qat_shm_params *p,
			 char **path_out);

/* Take the segment lock, repairing after a publisher that died. */
int qat_state_lock(struct qat_shm *shm);

/* Is slot `i` held by a live subscriber? Asked through `fd`, an open file
 * description that holds no slot lock. 1, 0, or -errno. */
int qat_state_slot_alive(int fd, unsigned int i);
/* The byte of the file whose OFD lock says slot i is alive. */
off_t qat_state_slot_off(unsigned int i);

/* The device entry for dev_id, or NULL. Under the lock. */
struct st_dev *qat_state_find_dev(struct st_seg *seg, unsigned int dev_id);

/* A device's state for a current-state record when none was published. */
int qat_state_derived(const struct qat_dev *dev);

/* Publish from inside the library (reset, simulated events, interrupts):
 * failure is logged, never returned, so that a registry problem cannot
 * fail the operation that caused the event. */
void qat_state_notify(struct qat_dev *dev, int event);

/* Live subscriber slots of rt's registry, reclaiming none (tests, tools).
 * Returns the count or -errno. */
int qat_state_live_subscribers(struct qat_rt *rt);

/* A QAT driver uevent, parsed. */
struct qat_state_uevent {
	unsigned int accel_id;  /* the driver's accelid= */
	int event;              /* enum qat_event */
	/* Last component of the devpath when it is a PCI address
	 * ("dddd:bb:dd.f"), else "": how the device is found. */
	char pci_addr[16];
};

/*
 * Parse one NETLINK_KOBJECT_UEVENT message from the kernel ("action@path"
 * then NUL-separated KEY=VALUE pairs). A QAT state event carries
 * "qat_event=<init|start|stop|shutdown|restarting|restarted|error>" and
 * "accelid=<N>". Returns 1 and fills *out for one; 0 for any other
 * message (including libudev's re-broadcasts); -EINVAL for a QAT event
 * that is malformed (unknown value, bad, missing or repeated keys).
 */
int qat_state_parse_uevent(const char *buf, size_t len,
			   struct qat_state_uevent *out);

/* Publish what a kernel uevent says about a watched device of `rt`
 * (QAT_STATE_WATCH_UEVENT). Returns 1 when it published, 0 when the
 * message is not for a watched device, -EINVAL for a malformed one. */
int qat_state_uevent_dispatch(struct qat_rt *rt, const char *buf,
			      size_t len);

/*
 * Parse the in-tree driver's /sys/bus/pci/devices/<bdf>/qat/state text
 * ("up" or "down", optionally newline-terminated). Returns
 * QAT_EVENT_START, QAT_EVENT_STOP, or -EINVAL.
 */
int qat_state_parse_sysfs(const char *buf, size_t len);

#endif /* QAT_STATE_PRIV_H */
