/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt API: the argument checks of VFIO_DEVICE_SET_IRQS that
 * hold for every backend, then the backend's ops. Which backend runs is
 * never asked; the kernel (vfio) or the model (sim) checks again.
 */
#include <errno.h>
#include <stdlib.h>

#include "irq_priv.h"

#define IRQ_ACTIONS (QAT_IRQ_ACTION_MASK | QAT_IRQ_ACTION_UNMASK | \
		     QAT_IRQ_ACTION_TRIGGER)
#define IRQ_DATA (QAT_IRQ_DATA_NONE | QAT_IRQ_DATA_BOOL | QAT_IRQ_DATA_EVENTFD)

/* Creation is rare: one process-wide lock keeps two first users from
 * both creating dev->irq. */
static pthread_mutex_t irq_create_lock = PTHREAD_MUTEX_INITIALIZER;

static void irq_dev_close(struct qat_rt *rt, void *arg)
{
	struct qat_dev *dev = arg;
	struct qat_irq_dev *st = dev->irq;

	if (!st)
		return;
	qat_irq_disp_fini(dev, st);
	__atomic_store_n(&dev->irq, NULL, __ATOMIC_RELEASE);
	pthread_cond_destroy(&st->idle);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static struct qat_irq_dev *irq_dev_new(struct qat_dev *dev)
{
	struct qat_irq_dev *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->idle, NULL);
	if (qat_rt_on_close(dev->rt, irq_dev_close, dev)) {
		pthread_cond_destroy(&st->idle);
		pthread_mutex_destroy(&st->lock);
		free(st);
		return NULL;
	}
	return st;
}

struct qat_irq_dev *qat_irq_dev_get(struct qat_dev *dev, bool create)
{
	struct qat_irq_dev *st = __atomic_load_n(&dev->irq, __ATOMIC_ACQUIRE);

	if (st || !create)
		return st;
	pthread_mutex_lock(&irq_create_lock);
	st = dev->irq;
	if (!st) {
		st = irq_dev_new(dev);
		__atomic_store_n(&dev->irq, st, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&irq_create_lock);
	return st;
}

QAT_API int qat_irq_info(struct qat_dev *dev, unsigned int index,
			 struct qat_irq_info *info)
{
	if (!dev || !info || index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	if (!dev->ops->irq_info)
		return -ENOTSUP;
	return dev->ops->irq_info(dev, index, info);
}

int qat_irq_count(struct qat_dev *dev, unsigned int index)
{
	struct qat_irq_info info;
	int ret = qat_irq_info(dev, index, &info);

	return ret ? ret : (int)info.count;
}

int qat_irq_backend_set(struct qat_dev *dev, unsigned int index,
			uint32_t flags, unsigned int start, unsigned int count,
			const void *data)
{
	if (!dev->ops->irq_set)
		return -ENOTSUP;
	return dev->ops->irq_set(dev, flags, index, start, count, data);
}

static bool one_bit(uint32_t v)
{
	return v && !(v & (v - 1));
}

/*
 * What vfio_set_irqs_validate_and_prepare() (drivers/vfio/vfio_main.c)
 * checks, in its order. The -ENOTTY for an action field that names no
 * one action is left to the backend, as the kernel leaves it to
 * vfio_pci_set_irqs_ioctl()'s switch (sim_irq.c keeps the same switch):
 * a second copy here was one no backend could tell apart. The one rule
 * the library adds: data must be present for count > 0 (the kernel's
 * copy_from_user would say -EFAULT; a NULL argument is -EINVAL here, as
 * everywhere).
 * Count 0 with DATA_BOOL or DATA_EVENTFD goes on: its answer depends on
 * the index and its state (irq.h lists them).
 */
static int irq_set_check(struct qat_dev *dev, unsigned int index,
			 uint32_t action, uint32_t data_type,
			 unsigned int start, unsigned int count,
			 const void *data)
{
	int n;

	if (!dev || index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	if (action & ~IRQ_ACTIONS || data_type & ~IRQ_DATA)
		return -EINVAL;
	/* CVE-2016-9083/9084: start + count must not wrap. */
	if ((uint64_t)start + count >= UINT32_MAX)
		return -EINVAL;
	n = qat_irq_count(dev, index);
	if (n < 0)
		return n;
	if (start >= (unsigned int)n || start + count > (unsigned int)n)
		return -EINVAL;
	if (!one_bit(data_type))
		return -EINVAL;
	if (data_type != QAT_IRQ_DATA_NONE && count && !data)
		return -EINVAL;
	return 0;
}

/* Calls that bind or unbind eventfds: only the index's owner may. */
static bool irq_set_binds(unsigned int index, uint32_t action,
			  uint32_t data_type, unsigned int count)
{
	if (action == QAT_IRQ_ACTION_TRIGGER)
		return data_type == QAT_IRQ_DATA_EVENTFD ||
		       (data_type == QAT_IRQ_DATA_NONE && !count);
	return index == QAT_IRQ_INTX && action == QAT_IRQ_ACTION_UNMASK &&
	       data_type == QAT_IRQ_DATA_EVENTFD;
}

static void irq_set_track(struct qat_irq_dev *st, unsigned int index,
			  uint32_t action, uint32_t data_type,
			  unsigned int count)
{
	if (action != QAT_IRQ_ACTION_TRIGGER)
		return;
	if (data_type == QAT_IRQ_DATA_EVENTFD)
		st->owner[index] = QAT_IRQ_OWNER_APP;
	else if (data_type == QAT_IRQ_DATA_NONE && !count)
		st->owner[index] = QAT_IRQ_OWNER_NONE;
}

QAT_API int qat_irq_set(struct qat_dev *dev, unsigned int index,
			uint32_t action, uint32_t data_type,
			unsigned int start, unsigned int count,
			const void *data)
{
	struct qat_irq_dev *st;
	int ret;

	ret = irq_set_check(dev, index, action, data_type, start, count,
			    data);
	if (ret)
		return ret;
	if (!dev->ops->irq_set)
		return -ENOTSUP;
	st = qat_irq_dev_get(dev, true);
	if (!st)
		return -ENOMEM;
	pthread_mutex_lock(&st->lock);
	if (irq_set_binds(index, action, data_type, count) &&
	    st->owner[index] == QAT_IRQ_OWNER_DISP) {
		ret = -EBUSY;
	} else {
		ret = qat_irq_backend_set(dev, index, action | data_type,
					  start, count, data);
		if (!ret)
			irq_set_track(st, index, action, data_type, count);
	}
	pthread_mutex_unlock(&st->lock);
	if (ret < 0)
		qat_dbg("%s: SET_IRQS index %u flags %#x [%u, +%u): %s",
			dev->info.pci_addr, index, action | data_type, start,
			count, qat_strerror(ret));
	return ret;
}

QAT_API int qat_irq_bind(struct qat_dev *dev, unsigned int index,
			 unsigned int start, unsigned int count,
			 const int *fds)
{
	/* int and the kernel's int32_t are one type on every Linux ABI. */
	_Static_assert(sizeof(int) == sizeof(int32_t), "int is not 32-bit");
	return qat_irq_set(dev, index, QAT_IRQ_ACTION_TRIGGER,
			   QAT_IRQ_DATA_EVENTFD, start, count, fds);
}

QAT_API int qat_irq_unbind(struct qat_dev *dev, unsigned int index)
{
	return qat_irq_set(dev, index, QAT_IRQ_ACTION_TRIGGER,
			   QAT_IRQ_DATA_NONE, 0, 0, NULL);
}
