/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt dispatcher: one thread per device, an epoll over eventfds
 * it creates and binds through the backend's SET_IRQS, and callbacks run
 * on that thread. SET_IRQS is called when handlers come and go, never per
 * interrupt: INTx is re-enabled through an unmask eventfd.
 */
#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "irq_priv.h"

#define DISP_STOP UINT64_MAX
#define DISP_BATCH 64

struct disp_handler {
	qat_irq_cb cb;
	void *arg;
	bool removed;            /* freed once no round runs on its slot */
	struct disp_handler *next;
};

struct disp_slot {
	int fd;                  /* our eventfd; -1 when the vector is unbound */
	bool busy;               /* the thread is running its callbacks */
	unsigned int round;      /* counts rounds, for waiters */
	struct disp_handler *head;
};

struct qat_irq_disp {
	struct qat_dev *dev;
	struct qat_irq_dev *st;
	int epfd;
	int stop;
	pthread_t thread;
	pid_t pid;               /* the process the thread runs in */
	struct disp_slot *slots[QAT_IRQ_NUM_INDEXES];
	unsigned int nslots[QAT_IRQ_NUM_INDEXES];  /* the index's vectors */
	unsigned int nbound[QAT_IRQ_NUM_INDEXES];  /* slots with an fd */
	unsigned int nenabled[QAT_IRQ_NUM_INDEXES]; /* MSI/MSI-X enabled */
	int unmask_fd;           /* INTx; -1: unmask through SET_IRQS */
};

static uint64_t disp_key(unsigned int index, unsigned int vector)
{
	return (uint64_t)index << 32 | vector;
}

static struct disp_slot *disp_slot(struct qat_irq_disp *d, unsigned int index,
				   unsigned int vector)
{
	if (index >= QAT_IRQ_NUM_INDEXES || !d->slots[index] ||
	    vector >= d->nslots[index])
		return NULL;
	return &d->slots[index][vector];
}

static int disp_set(struct qat_irq_disp *d, unsigned int index,
		    uint32_t flags, unsigned int start, unsigned int count,
		    const void *data)
{
	return qat_irq_backend_set(d->dev, index, flags, start, count, data);
}

/* --- binding ----------------------------------------------------------- */

static void disp_intx_unmask_setup(struct qat_irq_disp *d)
{
	int32_t fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret = fd < 0 ? -errno :
		  disp_set(d, QAT_IRQ_INTX, QAT_IRQ_ACTION_UNMASK |
			   QAT_IRQ_DATA_EVENTFD, 0, 1, &fd);

	if (ret) {
		qat_warn("%s: no INTx unmask eventfd (%s): unmasking through "
			 "SET_IRQS", d->dev->info.pci_addr, qat_strerror(ret));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	d->unmask_fd = fd;
}

static void disp_intx_unmask(struct qat_irq_disp *d)
{
	uint64_t one = 1;

	if (d->unmask_fd >= 0 &&
	    write(d->unmask_fd, &one, sizeof(one)) == sizeof(one))
		return;
	disp_set(d, QAT_IRQ_INTX, QAT_IRQ_ACTION_UNMASK | QAT_IRQ_DATA_NONE,
		 0, 1, NULL);
}

/*
 * Enable MSI/MSI-X with every vector of the index at once, so that later
 * handlers bind one vector each and never re-enable (which would drop
 * interrupts). A platform short of vectors answers how many it has: take
 * those.
 */
static int disp_enable_msi(struct qat_irq_disp *d, unsigned int index,
			   unsigned int vector, int fd)
{
	unsigned int i, n = d->nslots[index];
	int32_t *fds = malloc(n * sizeof(*fds));
	int ret;

	if (!fds)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		fds[i] = i == vector ? fd : -1;
	ret = disp_set(d, index, QAT_IRQ_ACTION_TRIGGER | QAT_IRQ_DATA_EVENTFD,
		       0, n, fds);
	if (ret > 0 && vector < (unsigned int)ret) {
		n = (unsigned int)ret;
		ret = disp_set(d, index, QAT_IRQ_ACTION_TRIGGER |
			       QAT_IRQ_DATA_EVENTFD, 0, n, fds);
	}
	free(fds);
	if (ret > 0)
		return -ENOSPC;
	if (!ret)
		d->nenabled[index] = n;
	return ret;
}

static int disp_enable(struct qat_irq_disp *d, unsigned int index,
		       unsigned int vector, int32_t fd)
{
	int ret;

	if (index == QAT_IRQ_MSI || index == QAT_IRQ_MSIX)
		return disp_enable_msi(d, index, vector, fd);
	ret = disp_set(d, index, QAT_IRQ_ACTION_TRIGGER | QAT_IRQ_DATA_EVENTFD,
		       vector, 1, &fd);
	if (!ret && index == QAT_IRQ_INTX)
		disp_intx_unmask_setup(d);
	return ret;
}

static int disp_bind_vector(struct qat_irq_disp *d, unsigned int index,
			    unsigned int vector, int32_t fd)
{
	if ((index == QAT_IRQ_MSI || index == QAT_IRQ_MSIX) &&
	    vector >= d->nenabled[index])
		return -ENOSPC;
	return disp_set(d, index, QAT_IRQ_ACTION_TRIGGER | QAT_IRQ_DATA_EVENTFD,
			vector, 1, &fd);
}

static int disp_slot_bind(struct qat_irq_disp *d, unsigned int index,
			  unsigned int vector)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, ret;

	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	ev.data.u64 = disp_key(index, vector);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		goto err_close;
	}
	ret = d->nbound[index] ? disp_bind_vector(d, index, vector, fd) :
				 disp_enable(d, index, vector, fd);
	if (ret)
		goto err_del;
	d->slots[index][vector].fd = fd;
	d->nbound[index]++;
	return 0;
err_del:
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
err_close:
	close(fd);
	return ret;
}

/* The last vector of an index disables the index, as an application
 * would; the others are released one by one. */
static void disp_slot_unbind(struct qat_irq_disp *d, unsigned int index,
			     unsigned int vector)
{
	struct disp_slot *sl = &d->slots[index][vector];
	int32_t none = -1;
	int ret;

	if (d->nbound[index] == 1) {
		ret = disp_set(d, index, QAT_IRQ_ACTION_TRIGGER |
			       QAT_IRQ_DATA_NONE, 0, 0, NULL);
		d->nenabled[index] = 0;
		d->st->owner[index] = QAT_IRQ_OWNER_NONE;
		if (index == QAT_IRQ_INTX && d->unmask_fd >= 0) {
			close(d->unmask_fd);
			d->unmask_fd = -1;
		}
	} else {
		ret = disp_set(d, index, QAT_IRQ_ACTION_TRIGGER |
			       QAT_IRQ_DATA_EVENTFD, vector, 1, &none);
	}
	if (ret)
		qat_warn("%s: releasing interrupt %u/%u: %s",
			 d->dev->info.pci_addr, index, vector,
			 qat_strerror(ret));
	/* The backend may hold a dup of the fd: leave epoll explicitly. */
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, sl->fd, NULL);
	close(sl->fd);
	sl->fd = -1;
	d->nbound[index]--;
}

/* Free removed handlers; a vector left without handlers is released. */
static void disp_slot_gc(struct qat_irq_disp *d, unsigned int index,
			 unsigned int vector)
{
	struct disp_slot *sl = &d->slots[index][vector];
	struct disp_handler **pp = &sl->head, *h;

	while ((h = *pp)) {
		if (h->removed) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
	if (!sl->head && sl->fd >= 0)
		disp_slot_unbind(d, index, vector);
}

/* --- the thread -------------------------------------------------------- */

/*
 * One round for a vector: consume the eventfd, run every live handler
 * with the lock dropped, then free what was removed meanwhile. Handlers
 * are only unlinked when no round runs, so the walk stays valid while
 * callbacks add and remove handlers.
 */
static void disp_round(struct qat_irq_disp *d, uint64_t key)
{
	unsigned int index = (unsigned int)(key >> 32);
	unsigned int vector = (unsigned int)key;
	struct qat_irq_dev *st = d->st;
	struct disp_handler *h;
	struct disp_slot *sl;
	uint64_t cnt;

	pthread_mutex_lock(&st->lock);
	sl = disp_slot(d, index, vector);
	/* A stale event of a vector released earlier in this batch. */
	if (!sl || sl->fd < 0 || read(sl->fd, &cnt, sizeof(cnt)) < 0)
		goto out;
	sl->busy = true;
	for (h = sl->head; h; h = h->next) {
		qat_irq_cb cb = h->cb;
		void *arg = h->arg;

		if (h->removed)
			continue;
		pthread_mutex_unlock(&st->lock);
		cb(d->dev, index, vector, arg);
		pthread_mutex_lock(&st->lock);
	}
	sl->busy = false;
	sl->round++;
	disp_slot_gc(d, index, vector);
	if (index == QAT_IRQ_INTX && sl->fd >= 0)
		disp_intx_unmask(d);
	pthread_cond_broadcast(&st->idle);
out:
	pthread_mutex_unlock(&st->lock);
}

static void *disp_main(void *p)
{
	struct qat_irq_disp *d = p;
	struct epoll_event ev[DISP_BATCH];
	int i, n;

	for (;;) {
		n = epoll_wait(d->epfd, ev, DISP_BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			qat_err("%s: interrupt thread: epoll_wait: %s",
				d->dev->info.pci_addr, qat_strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == DISP_STOP)
				return NULL;
			disp_round(d, ev[i].data.u64);
		}
	}
}

/*
 * The CPUs of `node` the process may use (libnuma's view of the allowed
 * set, not the calling thread's affinity: a caller pinned elsewhere must
 * not drag the thread off the device's node). False when there is
 * nothing to pin to: unknown node, no NUMA support, none allowed.
 */
static bool node_cpus(int node, cpu_set_t *set)
{
	struct bitmask *cpus;
	unsigned int cpu;

	if (node < 0 || numa_available() < 0)
		return false;
	cpus = numa_allocate_cpumask();
	if (!cpus)
		return false;
	CPU_ZERO(set);
	if (!numa_node_to_cpus(node, cpus))
		for (cpu = 0; cpu < cpus->size && cpu < CPU_SETSIZE; cpu++)
			if (numa_bitmask_isbitset(cpus, cpu) &&
			    numa_bitmask_isbitset(numa_all_cpus_ptr, cpu))
				CPU_SET(cpu, set);
	numa_free_cpumask(cpus);
	return CPU_COUNT(set) > 0;
}

static int disp_create(struct qat_irq_disp *d, bool pin, cpu_set_t *set)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int ret;

	pthread_attr_init(&attr);
	if (pin)
		pthread_attr_setaffinity_np(&attr, sizeof(*set), set);
	/* The application's signal handlers must never run on our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&d->thread, &attr, disp_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return ret;
}

/* Start the thread, pinned to the device's node when possible; a cpuset
 * narrower than libnuma knows makes the pinned create fail: go unpinned. */
static int disp_start(struct qat_irq_disp *d)
{
	char name[16];
	cpu_set_t set;
	bool pin = node_cpus(d->dev->info.numa_node, &set);
	int ret = disp_create(d, pin, &set);

	if (ret == EINVAL && pin) {
		qat_dbg("%s: cannot pin the interrupt thread to node %d",
			d->dev->info.pci_addr, d->dev->info.numa_node);
		ret = disp_create(d, false, &set);
	}
	if (ret)
		return -ret;
	snprintf(name, sizeof(name), "qat-irq%u", d->dev->info.accel_id);
	pthread_setname_np(d->thread, name);
	return 0;
}

static int disp_new(struct qat_dev *dev, struct qat_irq_dev *st)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = DISP_STOP };
	struct qat_irq_disp *d = calloc(1, sizeof(*d));
	int ret = -ENOMEM;

	if (!d)
		return ret;
	d->dev = dev;
	d->st = st;
	d->pid = getpid();
	d->unmask_fd = -1;
	d->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->stop < 0 || d->epfd < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->stop, &ev)) {
		ret = -errno;
		goto err;
	}
	ret = disp_start(d);
	if (ret)
		goto err;
	__atomic_store_n(&st->disp, d, __ATOMIC_RELEASE);
	return 0;
err:
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->stop >= 0)
		close(d->stop);
	free(d);
	qat_err("%s: cannot start the interrupt thread: %s",
		dev->info.pci_addr, qat_strerror(ret));
	return ret;
}

/* --- the API ----------------------------------------------------------- */

/*
 * A forked child inherits the dispatcher's memory but not its thread, and
 * shares the device's interrupt bindings with its parent: it must neither
 * use nor tear down what the parent's thread serves. Read without the
 * lock, which the parent's thread may have held at the fork; the pid
 * never changes after creation.
 */
static bool disp_inherited(struct qat_irq_dev *st)
{
	struct qat_irq_disp *d = __atomic_load_n(&st->disp, __ATOMIC_ACQUIRE);

	return d && d->pid != getpid();
}

static int disp_slots(struct qat_irq_disp *d, unsigned int index,
		      unsigned int n)
{
	unsigned int i;

	if (d->slots[index])
		return 0;
	d->slots[index] = calloc(n, sizeof(*d->slots[index]));
	if (!d->slots[index])
		return -ENOMEM;
	for (i = 0; i < n; i++)
		d->slots[index][i].fd = -1;
	d->nslots[index] = n;
	return 0;
}

static int disp_add_locked(struct qat_dev *dev, struct qat_irq_dev *st,
			   unsigned int index, unsigned int vector,
			   unsigned int n, struct disp_handler *nh)
{
	struct disp_handler **pp;
	struct disp_slot *sl;
	int ret;

	if (st->owner[index] == QAT_IRQ_OWNER_APP)
		return -EBUSY;
	if (!st->disp && (ret = disp_new(dev, st)))
		return ret;
	ret = disp_slots(st->disp, index, n);
	if (ret)
		return ret;
	sl = &st->disp->slots[index][vector];
	for (pp = &sl->head; *pp; pp = &(*pp)->next)
		if (!(*pp)->removed && (*pp)->cb == nh->cb &&
		    (*pp)->arg == nh->arg)
			return -EEXIST;
	if (sl->fd < 0 && (ret = disp_slot_bind(st->disp, index, vector)))
		return ret;
	*pp = nh;
	st->owner[index] = QAT_IRQ_OWNER_DISP;
	return 0;
}

QAT_API int qat_irq_handler_add(struct qat_dev *dev, unsigned int index,
				unsigned int vector, qat_irq_cb cb,
				void *arg)
{
	struct disp_handler *h;
	struct qat_irq_dev *st;
	int n, ret;

	if (!dev || !cb || index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	n = qat_irq_count(dev, index);
	if (n < 0)
		return n;
	if (vector >= (unsigned int)n)
		return -EINVAL;
	st = qat_irq_dev_get(dev, true);
	if (st && disp_inherited(st))
		return -EBADF;
	h = calloc(1, sizeof(*h));
	if (!st || !h) {
		free(h);
		return -ENOMEM;
	}
	h->cb = cb;
	h->arg = arg;
	pthread_mutex_lock(&st->lock);
	ret = disp_add_locked(dev, st, index, vector, (unsigned int)n, h);
	pthread_mutex_unlock(&st->lock);
	if (ret)
		free(h);
	return ret;
}

static struct disp_handler *disp_find(struct disp_slot *sl, qat_irq_cb cb,
				      void *arg)
{
	struct disp_handler *h;

	for (h = sl ? sl->head : NULL; h; h = h->next)
		if (!h->removed && h->cb == cb && h->arg == arg)
			return h;
	return NULL;
}

QAT_API int qat_irq_handler_remove(struct qat_dev *dev, unsigned int index,
				   unsigned int vector, qat_irq_cb cb,
				   void *arg)
{
	struct qat_irq_dev *st;
	struct disp_handler *h;
	struct disp_slot *sl;
	unsigned int round;

	if (!dev || !cb || index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	st = qat_irq_dev_get(dev, false);
	if (!st)
		return -ENOENT;
	if (disp_inherited(st))
		return -EBADF;
	pthread_mutex_lock(&st->lock);
	sl = st->disp ? disp_slot(st->disp, index, vector) : NULL;
	h = disp_find(sl, cb, arg);
	if (!h) {
		pthread_mutex_unlock(&st->lock);
		return -ENOENT;
	}
	h->removed = true;
	if (!sl->busy) {
		disp_slot_gc(st->disp, index, vector);
	} else if (!pthread_equal(pthread_self(), st->disp->thread)) {
		/* The callback may be running: wait for its round to end. */
		round = sl->round;
		while (sl->busy && sl->round == round)
			pthread_cond_wait(&st->idle, &st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/* In a forked child: free our copies, touch neither thread nor device. */
static void disp_forget(struct qat_irq_disp *d)
{
	struct disp_handler *h;
	struct disp_slot *sl;
	unsigned int i, v;

	for (i = 0; i < QAT_IRQ_NUM_INDEXES; i++) {
		for (v = 0; v < d->nslots[i]; v++) {
			sl = &d->slots[i][v];
			while ((h = sl->head)) {
				sl->head = h->next;
				free(h);
			}
			if (sl->fd >= 0)
				close(sl->fd);
		}
		free(d->slots[i]);
	}
	if (d->unmask_fd >= 0)
		close(d->unmask_fd);
}

void qat_irq_disp_fini(struct qat_dev *dev, struct qat_irq_dev *st)
{
	struct qat_irq_disp *d = st->disp;
	struct disp_handler *h;
	struct disp_slot *sl;
	unsigned int i, v;

	if (!d)
		return;
	if (disp_inherited(st)) {
		disp_forget(d);
		goto out_free;
	}
	eventfd_write(d->stop, 1);
	pthread_join(d->thread, NULL);
	pthread_mutex_lock(&st->lock);
	for (i = 0; i < QAT_IRQ_NUM_INDEXES; i++) {
		for (v = 0; v < d->nslots[i]; v++) {
			sl = &d->slots[i][v];
			for (h = sl->head; h; h = h->next)
				h->removed = true;
			disp_slot_gc(d, i, v);
		}
		free(d->slots[i]);
	}
	pthread_mutex_unlock(&st->lock);
out_free:
	st->disp = NULL;
	close(d->epfd);
	close(d->stop);
	free(d);
}
