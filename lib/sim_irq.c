/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt model of the simulated device: the state machine of Linux
 * drivers/vfio/pci/vfio_pci_intrs.c, the checks of
 * vfio_set_irqs_validate_and_prepare() (drivers/vfio/vfio_main.c) and the
 * dispatch of vfio_pci_core_ioctl_set_irqs(), so that code tested here
 * meets the same answers from a real device bound to vfio-pci. Each
 * function names the kernel function whose rules it keeps.
 *
 * Where kernel versions differ the model follows the current one: an INTx
 * trigger eventfd that cannot be taken leaves the old one bound, a raise
 * with no trigger still masks INTx, and MSI/MSI-X loopback and eventfd
 * blocks are bounded by the index's vector count, not by the vectors
 * enabled (the dynamic MSI-X rework of Linux 6.5 dropped the num_ctx
 * checks: vectors without a context are skipped). The one thing not
 * modelled, dynamic MSI-X allocation, is listed in irq.h.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "sim_priv.h"

#define IRQ_NONE_TYPE (-1)

#define SET_DATA (QAT_IRQ_DATA_NONE | QAT_IRQ_DATA_BOOL | QAT_IRQ_DATA_EVENTFD)
#define SET_ACTION (QAT_IRQ_ACTION_MASK | QAT_IRQ_ACTION_UNMASK | \
		    QAT_IRQ_ACTION_TRIGGER)

/* The kernel's virqfd: a worker that unmasks INTx when an eventfd fires. */
struct sim_virqfd {
	struct qat_dev *dev;
	int fd;                  /* our reference to the caller's eventfd */
	int stop;                /* eventfd that ends the worker */
	pthread_t thread;
};

struct sim_irq {
	pthread_mutex_t lock;
	unsigned int count[QAT_IRQ_NUM_INDEXES]; /* what GET_IRQ_INFO says */
	unsigned int alloc[QAT_IRQ_NUM_INDEXES]; /* what the platform gives */
	int type;                /* enabled index, or IRQ_NONE_TYPE */
	unsigned int nctx;       /* vectors enabled */
	int *trigger;            /* nctx eventfds, -1 when unbound */
	bool masked;             /* INTx: masked by an interrupt or MASK */
	bool pending;            /* INTx: raised while masked */
	struct sim_virqfd *unmask;
	int err_trigger;
	int req_trigger;
};

static struct sim_irq *sim_irq(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;

	return s ? s->irq : NULL;
}

/* eventfd_signal(): never blocks in the kernel; a full counter cannot
 * happen at one increment per interrupt. */
static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one))
		qat_dbg("sim irq: eventfd %d: %s", fd, qat_strerror(errno));
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* eventfd_ctx_fdget(): -EBADF for no file, -EINVAL for a file that is
 * not an eventfd; else a reference of our own (the caller may close its
 * fd). */
static int take_eventfd(int fd, int *out)
{
	char path[64], link[64];
	ssize_t n;
	int dup;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n >= 0) {
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[eventfd]"))
			return -EINVAL;
	} /* without /proc the type cannot be told: accept */
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -errno;
	*out = dup;
	return 0;
}

/* --- INTx ------------------------------------------------------------ */

/* vfio_send_intx_eventfd(): signals whether masked or not. */
static void intx_send(struct sim_irq *irq)
{
	if (irq->type == QAT_IRQ_INTX)
		signal_fd(irq->trigger[0]);
}

static void intx_mask(struct sim_irq *irq)
{
	if (irq->type == QAT_IRQ_INTX)
		irq->masked = true;
}

/* A level interrupt still asserted when unmasked fires again at once:
 * the kernel keeps it masked and re-sends the eventfd instead. */
static void intx_unmask(struct sim_irq *irq)
{
	if (irq->type != QAT_IRQ_INTX || !irq->masked)
		return;
	if (irq->pending) {
		irq->pending = false;
		intx_send(irq);
		return;
	}
	irq->masked = false;
}

static void *virqfd_main(void *p)
{
	struct sim_virqfd *v = p;
	struct sim_irq *irq = sim_irq(v->dev);
	struct pollfd pfd[2] = {
		{ .fd = v->fd, .events = POLLIN },
		{ .fd = v->stop, .events = POLLIN },
	};
	uint64_t cnt;

	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue; /* EINTR: signals are blocked, but be safe */
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(v->fd, &cnt, sizeof(cnt)) != sizeof(cnt))
			continue;
		pthread_mutex_lock(&irq->lock);
		if (irq->unmask == v) /* not being torn down */
			intx_unmask(irq);
		pthread_mutex_unlock(&irq->lock);
	}
	return NULL;
}

static int virqfd_start(struct qat_dev *dev, int fd, struct sim_virqfd **out)
{
	struct sim_virqfd *v = calloc(1, sizeof(*v));
	sigset_t all, old;
	int ret;

	if (!v)
		return -ENOMEM;
	v->dev = dev;
	v->fd = fd;
	v->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->stop < 0) {
		ret = -errno;
		goto err_free;
	}
	/* The application's signal handlers must not run on our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&v->thread, NULL, virqfd_main, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err_stop;
	*out = v;
	return 0;
err_stop:
	close(v->stop);
err_free:
	free(v);
	return ret;
}

/* Called without irq->lock: the worker takes it. */
static void virqfd_stop(struct sim_virqfd *v)
{
	if (!v)
		return;
	signal_fd(v->stop);
	pthread_join(v->thread, NULL);
	close(v->stop);
	close(v->fd);
	free(v);
}

/* Detach the unmask worker under the lock; *stop it after unlocking. */
static void virqfd_detach(struct sim_irq *irq, struct sim_virqfd **stop)
{
	*stop = irq->unmask;
	irq->unmask = NULL;
}

static void intx_disable(struct sim_irq *irq, struct sim_virqfd **stop)
{
	virqfd_detach(irq, stop);
	close_fd(&irq->trigger[0]);
	free(irq->trigger);
	irq->trigger = NULL;
	irq->nctx = 0;
	irq->type = IRQ_NONE_TYPE;
	irq->masked = irq->pending = false;
}

static int intx_enable(struct sim_irq *irq, int fd)
{
	irq->trigger = malloc(sizeof(*irq->trigger));
	if (!irq->trigger)
		return -ENOMEM;
	irq->trigger[0] = fd;
	irq->nctx = 1;
	irq->type = QAT_IRQ_INTX;
	irq->masked = irq->pending = false;
	return 0;
}

static int set_intx_mask(struct sim_irq *irq, uint32_t flags,
			 unsigned int start, unsigned int count,
			 const void *data)
{
	if (irq->type != QAT_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_EVENTFD)
		return -ENOTTY; /* the kernel never implemented mask-on-eventfd */
	if (flags & QAT_IRQ_DATA_NONE || *(const uint8_t *)data)
		intx_mask(irq);
	return 0;
}

static int set_intx_unmask(struct qat_dev *dev, struct sim_irq *irq,
			   uint32_t flags, unsigned int start,
			   unsigned int count, const void *data,
			   struct sim_virqfd **stop)
{
	int32_t fd;
	int ret, ref;

	if (irq->type != QAT_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (!(flags & QAT_IRQ_DATA_EVENTFD)) {
		if (flags & QAT_IRQ_DATA_NONE || *(const uint8_t *)data)
			intx_unmask(irq);
		return 0;
	}
	fd = *(const int32_t *)data;
	if (fd < 0) {
		virqfd_detach(irq, stop);
		return 0;
	}
	ret = take_eventfd(fd, &ref);
	if (ret)
		return ret;
	if (irq->unmask) {
		close(ref);
		return -EBUSY;
	}
	ret = virqfd_start(dev, ref, &irq->unmask);
	if (ret)
		close(ref);
	return ret;
}

static int set_intx_trigger(struct sim_irq *irq, uint32_t flags,
			    unsigned int start, unsigned int count,
			    const void *data, struct sim_virqfd **stop)
{
	bool is_intx = irq->type == QAT_IRQ_INTX;
	int32_t fd;
	int ret, ref = -1;

	if (is_intx && !count && flags & QAT_IRQ_DATA_NONE) {
		intx_disable(irq, stop);
		return 0;
	}
	if ((!is_intx && irq->type != IRQ_NONE_TYPE) || start != 0 ||
	    count != 1)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_EVENTFD) {
		fd = *(const int32_t *)data;
		ret = fd >= 0 ? take_eventfd(fd, &ref) : 0;
		if (ret)
			return ret;
		if (!is_intx) {
			ret = intx_enable(irq, ref);
			if (ret)
				close_fd(&ref);
			return ret;
		}
		close_fd(&irq->trigger[0]);
		irq->trigger[0] = ref;
		return 0;
	}
	if (!is_intx)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_NONE || *(const uint8_t *)data)
		intx_send(irq);
	return 0;
}

/* --- MSI and MSI-X ----------------------------------------------------- */

static void msi_disable(struct sim_irq *irq)
{
	unsigned int i;

	for (i = 0; i < irq->nctx; i++)
		close_fd(&irq->trigger[i]);
	free(irq->trigger);
	irq->trigger = NULL;
	irq->nctx = 0;
	irq->type = IRQ_NONE_TYPE;
}

/* pci_alloc_irq_vectors(dev, 1, nvec): short of vectors, the kernel
 * hands back how many it could have given and enables nothing. */
static int msi_enable(struct sim_irq *irq, unsigned int index,
		      unsigned int nvec)
{
	unsigned int i, avail = irq->alloc[index];

	if (irq->type != IRQ_NONE_TYPE)
		return -EINVAL;
	if (!nvec)
		return -ERANGE;
	if (!avail)
		return -ENOSPC;
	if (avail < nvec)
		return (int)avail;
	irq->trigger = malloc(nvec * sizeof(*irq->trigger));
	if (!irq->trigger)
		return -ENOMEM;
	for (i = 0; i < nvec; i++)
		irq->trigger[i] = -1;
	irq->nctx = nvec;
	irq->type = (int)index;
	return 0;
}

/* vfio_msi_set_vector_signal(): the old eventfd goes first, so a failure
 * leaves the vector unbound. A vector past those enabled has no context:
 * releasing it is nothing to do (0), and binding it needs a vector the
 * platform did not give, pci_irq_vector()'s -EINVAL (the model has no
 * dynamic MSI-X; see irq.h). */
static int msi_set_vector(struct sim_irq *irq, unsigned int v, int32_t fd)
{
	if (v >= irq->nctx)
		return fd < 0 ? 0 : -EINVAL;
	close_fd(&irq->trigger[v]);
	if (fd < 0)
		return 0;
	return take_eventfd(fd, &irq->trigger[v]);
}

/* vfio_msi_set_block(): no range check of its own since dynamic MSI-X
 * (Linux 6.5): each vector answers for itself. A failure part-way
 * releases every vector from start up to the one that failed; later
 * vectors keep their eventfds. */
static int msi_set_block(struct sim_irq *irq, unsigned int start,
			 unsigned int count, const int32_t *fds)
{
	unsigned int i, j;
	int ret = 0;

	for (i = 0, j = start; i < count && !ret; i++, j++)
		ret = msi_set_vector(irq, j, fds ? fds[i] : -1);
	if (ret)
		for (i = start; i < j; i++)
			msi_set_vector(irq, i, -1);
	return ret;
}

static int set_msi_trigger(struct sim_irq *irq, unsigned int index,
			   uint32_t flags, unsigned int start,
			   unsigned int count, const void *data)
{
	bool is_index = irq->type == (int)index;
	const uint8_t *bools = data;
	unsigned int i;
	int ret;

	if (is_index && !count && flags & QAT_IRQ_DATA_NONE) {
		msi_disable(irq);
		return 0;
	}
	if (!is_index && irq->type != IRQ_NONE_TYPE)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_EVENTFD) {
		if (is_index)
			return msi_set_block(irq, start, count, data);
		ret = msi_enable(irq, index, start + count);
		if (ret)
			return ret;
		ret = msi_set_block(irq, start, count, data);
		if (ret)
			msi_disable(irq);
		return ret;
	}
	/* Loopback: vectors without a context (past those enabled, or
	 * with no eventfd) are skipped, not refused; the index's vector
	 * count, checked in validation, is the only bound. */
	if (!is_index)
		return -EINVAL;
	for (i = start; i < start + count && i < irq->nctx; i++)
		if (flags & QAT_IRQ_DATA_NONE || bools[i - start])
			signal_fd(irq->trigger[i]);
	return 0;
}

/* --- ERR and REQ ------------------------------------------------------- */

/* vfio_pci_set_ctx_trigger_single(): DATA_NONE with nothing bound falls
 * through to -EINVAL; an fd below -1 changes nothing. */
static int set_trigger_single(int *ctx, uint32_t flags, unsigned int start,
			      unsigned int count, const void *data)
{
	int32_t fd;
	int ret, ref;

	if (start != 0 || count > 1)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_NONE) {
		if (*ctx < 0)
			return -EINVAL;
		if (count)
			signal_fd(*ctx);
		else
			close_fd(ctx);
		return 0;
	}
	if (!count)
		return -EINVAL;
	if (flags & QAT_IRQ_DATA_BOOL) {
		if (*(const uint8_t *)data)
			signal_fd(*ctx);
		return 0;
	}
	fd = *(const int32_t *)data;
	if (fd == -1) {
		close_fd(ctx);
	} else if (fd >= 0) {
		ret = take_eventfd(fd, &ref);
		if (ret)
			return ret;
		close_fd(ctx);
		*ctx = ref;
	}
	return 0;
}

/* --- SET_IRQS ---------------------------------------------------------- */

static bool one_bit(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* vfio_set_irqs_validate_and_prepare(). */
static int sim_set_validate(struct sim_irq *irq, uint32_t flags,
			    unsigned int index, unsigned int start,
			    unsigned int count, const void *data)
{
	unsigned int n;

	if (index >= QAT_IRQ_NUM_INDEXES || count >= UINT32_MAX - start ||
	    flags & ~(SET_DATA | SET_ACTION))
		return -EINVAL;
	n = irq->count[index];
	if (start >= n || start + count > n)
		return -EINVAL;
	if (!one_bit(flags & SET_DATA))
		return -EINVAL;
	if (!(flags & QAT_IRQ_DATA_NONE) && count && !data)
		return -EFAULT;
	return 0;
}

/* vfio_pci_set_irqs_ioctl(): what each index supports, else -ENOTTY.
 * Zero or several action bits match nothing, hence -ENOTTY too. */
static int sim_set_locked(struct qat_dev *dev, struct sim_irq *irq,
			  uint32_t flags, unsigned int index,
			  unsigned int start, unsigned int count,
			  const void *data, struct sim_virqfd **stop)
{
	uint32_t action = flags & SET_ACTION;

	switch (index) {
	case QAT_IRQ_INTX:
		if (action == QAT_IRQ_ACTION_MASK)
			return set_intx_mask(irq, flags, start, count, data);
		if (action == QAT_IRQ_ACTION_UNMASK)
			return set_intx_unmask(dev, irq, flags, start, count,
					       data, stop);
		if (action == QAT_IRQ_ACTION_TRIGGER)
			return set_intx_trigger(irq, flags, start, count,
						data, stop);
		break;
	case QAT_IRQ_MSI:
	case QAT_IRQ_MSIX:
		if (action == QAT_IRQ_ACTION_TRIGGER)
			return set_msi_trigger(irq, index, flags, start, count,
					       data);
		break;
	case QAT_IRQ_ERR:
		/* Only PCI Express functions have the ERR index. */
		if (action == QAT_IRQ_ACTION_TRIGGER && irq->count[index])
			return set_trigger_single(&irq->err_trigger, flags,
						  start, count, data);
		break;
	case QAT_IRQ_REQ:
		if (action == QAT_IRQ_ACTION_TRIGGER)
			return set_trigger_single(&irq->req_trigger, flags,
						  start, count, data);
		break;
	}
	return -ENOTTY;
}

int qat_sim_irq_set(struct qat_dev *dev, uint32_t flags, unsigned int index,
		    unsigned int start, unsigned int count, const void *data)
{
	struct sim_irq *irq = sim_irq(dev);
	struct sim_virqfd *stop = NULL;
	int ret, pub;

	if (!irq)
		return -ENODEV;
	ret = qat_sim_claim(dev);
	if (ret)
		return ret;
	pthread_mutex_lock(&irq->lock);
	ret = sim_set_validate(irq, flags, index, start, count, data);
	if (!ret)
		ret = sim_set_locked(dev, irq, flags, index, start, count,
				     data, &stop);
	pthread_mutex_unlock(&irq->lock);
	virqfd_stop(stop);
	/* Even a failed block may have changed bindings (rolled back
	 * part-way): tell the other processes what holds now. */
	pub = qat_sim_xp_publish(dev);
	return ret ? ret : pub;
}

/* --- info, raise, life cycle ------------------------------------------ */

int qat_sim_irq_info(struct qat_dev *dev, unsigned int index,
		     struct qat_irq_info *info)
{
	struct sim_irq *irq = sim_irq(dev);
	int ret;

	if (!irq)
		return -ENODEV;
	ret = qat_sim_claim(dev);
	if (ret)
		return ret;
	/* A function that is not PCI Express has no ERR index at all. */
	if (index >= QAT_IRQ_NUM_INDEXES ||
	    (index == QAT_IRQ_ERR && !irq->count[index]))
		return -EINVAL;
	info->count = irq->count[index];
	info->flags = QAT_IRQ_INFO_EVENTFD;
	if (index == QAT_IRQ_INTX)
		info->flags |= QAT_IRQ_INFO_MASKABLE | QAT_IRQ_INFO_AUTOMASKED;
	else
		info->flags |= QAT_IRQ_INFO_NORESIZE;
	return 0;
}

static int raise_locked(struct sim_irq *irq, unsigned int index,
			unsigned int vector)
{
	int fd = -1;

	switch (index) {
	case QAT_IRQ_INTX:
		if (irq->type != QAT_IRQ_INTX)
			return 0; /* no handler registered: the line is ignored */
		if (irq->masked) {
			irq->pending = true;
			return 0;
		}
		irq->masked = true;
		fd = irq->trigger[0];
		break;
	case QAT_IRQ_MSI:
	case QAT_IRQ_MSIX:
		if (irq->type == (int)index && vector < irq->nctx)
			fd = irq->trigger[vector];
		break;
	case QAT_IRQ_ERR:
		fd = irq->err_trigger;
		break;
	case QAT_IRQ_REQ:
		fd = irq->req_trigger;
		break;
	}
	if (fd < 0)
		return 0;
	signal_fd(fd);
	return 1;
}

int qat_sim_irq_raise_local(struct qat_dev *dev, unsigned int index,
			    unsigned int vector)
{
	struct sim_irq *irq = sim_irq(dev);
	int ret;

	if (!irq || index >= QAT_IRQ_NUM_INDEXES ||
	    vector >= irq->count[index])
		return 0;
	pthread_mutex_lock(&irq->lock);
	ret = raise_locked(irq, index, vector);
	pthread_mutex_unlock(&irq->lock);
	return ret;
}

int qat_sim_irq_bound(struct qat_dev *dev, unsigned int index,
		      unsigned int vector)
{
	struct sim_irq *irq = sim_irq(dev);
	int fd = -1;

	if (!irq)
		return 0;
	pthread_mutex_lock(&irq->lock);
	if (index == QAT_IRQ_ERR)
		fd = irq->err_trigger;
	else if (index == QAT_IRQ_REQ)
		fd = irq->req_trigger;
	else if (vector < irq->nctx && irq->type == (int)index)
		fd = irq->trigger[vector];
	pthread_mutex_unlock(&irq->lock);
	return fd >= 0;
}

int qat_sim_irq_idle(struct qat_dev *dev)
{
	struct sim_irq *irq = sim_irq(dev);
	int idle;

	if (!irq)
		return 1;
	pthread_mutex_lock(&irq->lock);
	idle = irq->type == IRQ_NONE_TYPE && irq->err_trigger < 0 &&
	       irq->req_trigger < 0;
	pthread_mutex_unlock(&irq->lock);
	return idle;
}

unsigned int qat_sim_irq_count(struct qat_dev *dev, unsigned int index)
{
	struct sim_irq *irq = sim_irq(dev);

	return irq && index < QAT_IRQ_NUM_INDEXES ? irq->count[index] : 0;
}

QAT_API int qat_sim_raise_irq(struct qat_dev *dev, unsigned int index,
			      unsigned int vector)
{
	struct sim_irq *irq;

	if (!dev)
		return -EINVAL;
	if (!qat_sim_priv(dev))
		return -ENOTSUP;
	irq = sim_irq(dev);
	if (!irq)
		return -ENODEV;
	if (index >= QAT_IRQ_NUM_INDEXES || vector >= irq->count[index])
		return -EINVAL;
	/* The hardware's line reaches whichever process bound the vector. */
	return qat_sim_xp_raise(dev, index, vector);
}

/* The largest count each index can have on PCI. */
static const unsigned int irq_max[QAT_IRQ_NUM_INDEXES] = {
	QAT_SIM_MAX_INTX, QAT_SIM_MAX_MSI, QAT_SIM_MAX_MSIX, 1, 1,
};

static const char *const alloc_keys[QAT_IRQ_NUM_INDEXES] = {
	[QAT_IRQ_MSI] = "SimMsiAlloc", [QAT_IRQ_MSIX] = "SimMsixAlloc",
};

/* How many MSI/MSI-X vectors the simulated platform can allocate: all of
 * them unless [GENERAL] SimMsiAlloc / SimMsixAlloc say fewer (a guest
 * without interrupt remapping gets one MSI, for one). */
static unsigned int irq_alloc_limit(struct qat_dev *dev, unsigned int index,
				    unsigned int count)
{
	uint64_t v;

	if (!alloc_keys[index] || !dev->cfg ||
	    qat_cfg_get_u64(dev->cfg, "GENERAL", alloc_keys[index], &v))
		return count;
	return v < count ? (unsigned int)v : count;
}

int qat_sim_irq_init(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	struct sim_irq *irq;
	unsigned int i;

	irq = calloc(1, sizeof(*irq));
	if (!irq)
		return -ENOMEM;
	pthread_mutex_init(&irq->lock, NULL);
	for (i = 0; i < QAT_IRQ_NUM_INDEXES; i++) {
		irq->count[i] = s->vectors[i] < irq_max[i] ? s->vectors[i] :
				irq_max[i];
		irq->alloc[i] = irq_alloc_limit(dev, i, irq->count[i]);
	}
	irq->type = IRQ_NONE_TYPE;
	irq->err_trigger = irq->req_trigger = -1;
	s->irq = irq;
	return 0;
}

/* As when the device file is closed: everything disabled and released. */
void qat_sim_irq_fini(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev ? dev->priv : NULL;
	struct sim_irq *irq = s ? s->irq : NULL;
	struct sim_virqfd *stop = NULL;

	if (!irq)
		return;
	/* Other processes stop reaching us before the bindings go. */
	qat_sim_xp_fini(dev);
	pthread_mutex_lock(&irq->lock);
	if (irq->type == QAT_IRQ_INTX)
		intx_disable(irq, &stop);
	else if (irq->type != IRQ_NONE_TYPE)
		msi_disable(irq);
	close_fd(&irq->err_trigger);
	close_fd(&irq->req_trigger);
	pthread_mutex_unlock(&irq->lock);
	virqfd_stop(stop);
	pthread_mutex_destroy(&irq->lock);
	free(irq);
	s->irq = NULL;
}

/* White-box view for the tests (sim_priv.h): what SET_IRQS left behind. */
int qat_sim_irq_state(struct qat_dev *dev, struct qat_sim_irq_state *st)
{
	struct sim_irq *irq = dev ? sim_irq(dev) : NULL;
	unsigned int i;

	if (!irq)
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&irq->lock);
	st->type = irq->type;
	st->nctx = irq->nctx;
	for (i = 0; i < irq->nctx && i < 64; i++)
		if (irq->trigger[i] >= 0)
			st->bound |= 1ull << i;
	st->masked = irq->masked;
	st->pending = irq->pending;
	st->unmask = irq->unmask != NULL;
	st->err = irq->err_trigger >= 0;
	st->req = irq->req_trigger >= 0;
	pthread_mutex_unlock(&irq->lock);
	return 0;
}
