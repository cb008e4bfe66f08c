/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The iommufd fault queue as a source and a sink of the fault queue
 * (Linux 6.11 include/uapi/linux/iommufd.h, IOMMU_FAULT_QUEUE_ALLOC).
 * Debian 12's headers predate it, so the records are defined here. What
 * comes out of the fd is treated as input we do not control: every record
 * is checked before it becomes a fault.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "iopf_priv.h"

/* struct iommu_hwpt_pgfault: 40 bytes, native endian. */
struct iopf_uapi_fault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t reserved;
	uint64_t addr;
	uint32_t length;
	uint32_t cookie;
};

/* struct iommu_hwpt_page_response: 8 bytes. */
struct iopf_uapi_response {
	uint32_t cookie;
	uint32_t code;
};

_Static_assert(sizeof(struct iopf_uapi_fault) == 40, "iommu_hwpt_pgfault");
_Static_assert(sizeof(struct iopf_uapi_response) == 8,
	       "iommu_hwpt_page_response");

#define UAPI_PASID_VALID (1u << 0)
#define UAPI_LAST_PAGE   (1u << 1)
#define UAPI_PERM_ALL    0xfu   /* READ, WRITE, EXEC, PRIV as ours */
#define UAPI_RESP_SUCCESS 0u
#define UAPI_RESP_INVALID 1u

/* Records per read: the kernel hands out whole groups that fit. */
#define SRC_BATCH 256
#define RESPOND_WAIT_MS 1000

struct iopf_src {
	struct qat_iopf_queue *q;
	struct qat_dev *dev;
	int fd;                  /* our duplicate */
	int stop;                /* eventfd */
	pthread_t thread;
};

static bool record_to_fault(const struct iopf_uapi_fault *u,
			    struct qat_iopf_fault *f)
{
	if (u->reserved || u->flags & ~(UAPI_PASID_VALID | UAPI_LAST_PAGE) ||
	    u->perm & ~UAPI_PERM_ALL)
		return false;
	memset(f, 0, sizeof(*f));
	if (u->flags & UAPI_PASID_VALID)
		f->flags |= QAT_IOPF_PASID_VALID;
	if (u->flags & UAPI_LAST_PAGE)
		f->flags |= QAT_IOPF_LAST_PAGE;
	f->pasid = u->pasid;
	f->grpid = u->grpid;
	f->perm = u->perm;
	f->addr = u->addr;
	f->cookie = u->cookie;
	return true;
}

/* Returns false once the device is gone from the queue. */
static bool src_records(struct iopf_src *s, const struct iopf_uapi_fault *u,
			size_t n)
{
	struct qat_iopf_fault f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!record_to_fault(&u[i], &f)) {
			qat_warn("iopf: fault fd %d: bad record (flags %#x perm "
				 "%#x reserved %#x) dropped", s->fd,
				 u[i].flags, u[i].perm, u[i].reserved);
			continue;
		}
		if (qat_iopf_report(s->q, s->dev, &f) == -ENOENT)
			return false;
	}
	return true;
}

static void *src_main(void *arg)
{
	struct iopf_src *s = arg;
	struct iopf_uapi_fault buf[SRC_BATCH];
	struct pollfd pfd[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = s->stop, .events = POLLIN },
	};
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (n < 0)
				qat_err("iopf: fault fd %d: %s", s->fd,
					qat_strerror(errno));
			break; /* end of file: the fault queue is gone */
		}
		if (n % sizeof(buf[0]))
			qat_warn("iopf: fault fd %d: %zu byte tail dropped",
				 s->fd, (size_t)n % sizeof(buf[0]));
		if (!src_records(s, buf, (size_t)n / sizeof(buf[0])))
			break;
	}
	return NULL;
}

static void src_free(struct iopf_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->stop >= 0)
		close(s->stop);
	free(s);
}

int qat_iopf_src_start(struct qat_iopf_queue *q, struct qat_dev *dev, int fd,
		       struct iopf_src **out)
{
	struct iopf_src *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->q = q;
	s->dev = dev;
	s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	s->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->fd < 0 || s->stop < 0) {
		ret = -errno;
		goto err;
	}
	ret = qat_iopf_thread(&s->thread, src_main, s, "iopf-fd");
	if (ret)
		goto err;
	*out = s;
	return 0;
err:
	src_free(s);
	return ret;
}

void qat_iopf_src_stop(struct iopf_src *s)
{
	uint64_t one = 1;

	if (write(s->stop, &one, sizeof(one)) != sizeof(one))
		qat_err("iopf: cannot stop the reader of fd %d", s->fd);
	pthread_join(s->thread, NULL);
	src_free(s);
}

/* iommufd has no FAILURE code: INVALID is the nearest (do not retry). A
 * full fd is waited for, but only so long. */
void qat_iopf_fd_respond(int fd, const struct qat_iopf_response *r)
{
	struct iopf_uapi_response u = {
		.cookie = (uint32_t)r->cookie,
		.code = r->code == QAT_IOPF_SUCCESS ? UAPI_RESP_SUCCESS :
						      UAPI_RESP_INVALID,
	};
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	for (;;) {
		n = write(fd, &u, sizeof(u));
		if (n == (ssize_t)sizeof(u))
			return;
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (errno == EAGAIN && poll(&pfd, 1, RESPOND_WAIT_MS) <= 0)
			break;
	}
	qat_err("iopf: fault fd %d: response for cookie %u lost: %s", fd,
		u.cookie, n < 0 ? qat_strerror(errno) : "short write");
}
