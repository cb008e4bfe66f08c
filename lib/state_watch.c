/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state events from real-device sources, opt-in per device
 * (qat_state_watch): the VFIO ERR and REQ interrupts through the interrupt
 * dispatcher, and the QAT kernel driver's uevents through one listener
 * thread per runtime.
 *
 * Opt-in, not automatic: watching takes the ERR and REQ indexes into the
 * dispatcher, which an application that binds them itself must not find
 * taken behind its back.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "state_priv.h"

/* Per device (dev->state). */
struct dev_watch {
	unsigned int flags;     /* QAT_STATE_WATCH_*, read by the listener */
	unsigned int irqs;      /* bit per index we added a handler to */
};

/* Per runtime (qat_state_rt.watch). */
struct state_watch {
	pthread_mutex_t lock;   /* serialises qat_state_watch() calls */
	struct qat_rt *rt;
	unsigned int nuevent;   /* devices watching uevents */
	int nl;                 /* uevent socket; -1 when not listening */
	int stop;               /* eventfd that ends the listener */
	pthread_t thread;
};

static pthread_mutex_t watch_create_lock = PTHREAD_MUTEX_INITIALIZER;

/* Our dispatcher handlers' `arg`: one (cb, arg) pair per vector. */
static char irq_token;

static void irq_cb(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	if (index == QAT_IRQ_ERR) {
		qat_state_notify(dev, QAT_EVENT_ERROR);
		return;
	}
	/* REQ: the kernel wants the device back and re-signals until it has
	 * it; one SHUTDOWN per request is enough. */
	if (qat_dev_state(dev) != QAT_EVENT_SHUTDOWN)
		qat_state_notify(dev, QAT_EVENT_SHUTDOWN);
}

static const unsigned int watch_irqs[] = { QAT_IRQ_ERR, QAT_IRQ_REQ };

static void irq_unwatch(struct qat_dev *dev, struct dev_watch *dw)
{
	unsigned int i;

	for (i = 0; i < QAT_ARRAY_SIZE(watch_irqs); i++)
		if (dw->irqs & (1u << watch_irqs[i]))
			qat_irq_handler_remove(dev, watch_irqs[i], 0, irq_cb,
					       &irq_token);
	dw->irqs = 0;
}

/* Handlers on every ERR/REQ vector the device has; -ENOTSUP for none. */
static int irq_watch(struct qat_dev *dev, struct dev_watch *dw)
{
	struct qat_irq_info info;
	unsigned int i, idx;
	int ret;

	for (i = 0; i < QAT_ARRAY_SIZE(watch_irqs); i++) {
		idx = watch_irqs[i];
		ret = qat_irq_info(dev, idx, &info);
		if (ret == -ENOTSUP)
			break;
		if (ret || !info.count)
			continue; /* this device has no such index */
		ret = qat_irq_handler_add(dev, idx, 0, irq_cb, &irq_token);
		if (ret)
			break;
		dw->irqs |= 1u << idx;
	}
	if (!ret && !dw->irqs)
		ret = -ENOTSUP;
	if (ret)
		irq_unwatch(dev, dw);
	return ret;
}

static struct qat_dev *dev_by_pci(struct qat_rt *rt, const char *addr)
{
	unsigned int i;

	for (i = 0; i < rt->ndevs; i++)
		if (!strcmp(rt->devs[i]->info.pci_addr, addr))
			return rt->devs[i];
	return NULL;
}

int qat_state_uevent_dispatch(struct qat_rt *rt, const char *buf,
			      size_t len)
{
	struct qat_state_uevent u;
	struct dev_watch *dw;
	struct qat_dev *dev;
	int ret;

	ret = qat_state_parse_uevent(buf, len, &u);
	if (ret <= 0)
		return ret;
	/* By PCI address: the driver's accel ids need not be ours. */
	dev = u.pci_addr[0] ? dev_by_pci(rt, u.pci_addr) : NULL;
	dw = dev ? __atomic_load_n(&dev->state, __ATOMIC_ACQUIRE) : NULL;
	if (!dw || !(__atomic_load_n(&dw->flags, __ATOMIC_ACQUIRE) &
		     QAT_STATE_WATCH_UEVENT))
		return 0;
	qat_state_notify(dev, u.event);
	return 1;
}

/* Only the kernel speaks on this socket: drop anything a process sent. */
static ssize_t uevent_recv(int fd, char *buf, size_t size)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from),
			    .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	if (n < 0 || m.msg_namelen != sizeof(from) || from.nl_pid != 0 ||
	    (m.msg_flags & MSG_TRUNC))
		return -1;
	return n;
}

static void *uevent_thread(void *arg)
{
	struct state_watch *w = arg;
	struct pollfd p[2] = { { .fd = w->nl, .events = POLLIN },
			       { .fd = w->stop, .events = POLLIN } };
	char buf[8192];
	ssize_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		n = uevent_recv(w->nl, buf, sizeof(buf));
		if (n > 0 && qat_state_uevent_dispatch(w->rt, buf, (size_t)n) < 0)
			qat_warn("state: malformed QAT uevent ignored");
	}
	return NULL;
}

static int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void listener_stop(struct state_watch *w)
{
	uint64_t one = 1;

	if (w->nl < 0)
		return;
	if (write(w->stop, &one, sizeof(one)) != sizeof(one))
		qat_err("state: cannot stop the uevent listener");
	pthread_join(w->thread, NULL);
	close(w->nl);
	close(w->stop);
	w->nl = w->stop = -1;
}

static int listener_start(struct state_watch *w)
{
	sigset_t all, old;
	int ret;

	ret = uevent_socket();
	if (ret < 0)
		return ret;
	w->nl = ret;
	w->stop = eventfd(0, EFD_CLOEXEC);
	if (w->stop < 0) {
		ret = -errno;
		goto err;
	}
	/* The application's signals are not for our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&w->thread, NULL, uevent_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ret)
		return 0;
	close(w->stop);
err:
	close(w->nl);
	w->nl = w->stop = -1;
	return ret;
}

/* Runs before the attachment is closed (registered after it), so no
 * callback or listener outlives what it publishes through. */
static void watch_fini(struct qat_rt *rt, void *arg)
{
	struct state_watch *w = arg;
	struct dev_watch *dw;
	unsigned int i;

	listener_stop(w);
	for (i = 0; i < rt->ndevs; i++) {
		dw = rt->devs[i]->state;
		if (!dw)
			continue;
		irq_unwatch(rt->devs[i], dw);
		rt->devs[i]->state = NULL;
		free(dw);
	}
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static int watch_get(struct qat_rt *rt, struct qat_state_rt *st,
		     struct state_watch **out)
{
	struct state_watch *w;
	int ret = 0;

	pthread_mutex_lock(&watch_create_lock);
	w = st->watch;
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			ret = -ENOMEM;
		} else if ((ret = qat_rt_on_close(rt, watch_fini, w))) {
			free(w);
			w = NULL;
		} else {
			pthread_mutex_init(&w->lock, NULL);
			w->rt = rt;
			w->nl = w->stop = -1;
			st->watch = w;
		}
	}
	pthread_mutex_unlock(&watch_create_lock);
	*out = w;
	return ret;
}

static int uevent_set(struct state_watch *w, struct dev_watch *dw, int on)
{
	int was = !!(dw->flags & QAT_STATE_WATCH_UEVENT);

	if (on == was)
		return 0;
	if (on && !w->nuevent) {
		int ret = listener_start(w);

		if (ret) {
			qat_err("state: cannot listen to kernel uevents: %s",
				qat_strerror(ret));
			return ret;
		}
	}
	w->nuevent += on ? 1 : -1;
	if (!w->nuevent)
		listener_stop(w);
	return 0;
}

static int watch_set(struct state_watch *w, struct qat_dev *dev,
		     struct dev_watch *dw, unsigned int flags)
{
	int irq = !!(flags & QAT_STATE_WATCH_IRQ);
	int ret = 0;

	if (irq && !dw->irqs)
		ret = irq_watch(dev, dw);
	if (!ret)
		ret = uevent_set(w, dw, !!(flags & QAT_STATE_WATCH_UEVENT));
	if (ret) {
		if (!(dw->flags & QAT_STATE_WATCH_IRQ))
			irq_unwatch(dev, dw); /* undo what this call did */
		return ret;
	}
	if (!irq)
		irq_unwatch(dev, dw);
	__atomic_store_n(&dw->flags, flags, __ATOMIC_RELEASE);
	return 0;
}

QAT_API int qat_state_watch(struct qat_dev *dev, unsigned int flags)
{
	struct qat_state_rt *st;
	struct state_watch *w;
	struct dev_watch *dw;
	int ret;

	if (!dev || flags & ~QAT_STATE_WATCH_ALL)
		return -EINVAL;
	/* The attachment first: its cleanup must run after ours. */
	ret = qat_state_attach(dev->rt, &st);
	if (!ret)
		ret = watch_get(dev->rt, st, &w);
	if (ret)
		return ret;
	pthread_mutex_lock(&w->lock);
	dw = dev->state;
	if (!dw) {
		dw = calloc(1, sizeof(*dw));
		if (dw)
			__atomic_store_n(&dev->state, dw, __ATOMIC_RELEASE);
	}
	ret = dw ? watch_set(w, dev, dw, flags) : -ENOMEM;
	pthread_mutex_unlock(&w->lock);
	return ret;
}
