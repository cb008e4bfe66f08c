/* SPDX-License-Identifier: BSD-3-Clause */
/* Interrupt state of a device, shared by irq.c and irq_dispatch.c. */
#ifndef QAT_IRQ_PRIV_H
#define QAT_IRQ_PRIV_H

#include "internal.h"

/* Who binds eventfds at an index: nobody yet, the application through
 * qat_irq_set(), or the dispatcher. The two must not clobber each other. */
enum qat_irq_owner {
	QAT_IRQ_OWNER_NONE = 0,
	QAT_IRQ_OWNER_APP,
	QAT_IRQ_OWNER_DISP,
};

struct qat_irq_disp;

/* dev->irq: created on first use, freed by qat_rt_close(). */
struct qat_irq_dev {
	/* Serialises every SET_IRQS of the device and guards the
	 * dispatcher's tables; never held while a callback runs. */
	pthread_mutex_t lock;
	pthread_cond_t idle;     /* a dispatch round ended */
	uint8_t owner[QAT_IRQ_NUM_INDEXES];
	struct qat_irq_disp *disp; /* irq_dispatch.c; NULL until needed */
};

/* dev->irq, created when `create` is set; NULL on ENOMEM or when absent. */
struct qat_irq_dev *qat_irq_dev_get(struct qat_dev *dev, bool create);

/* The backend's SET_IRQS, called with st->lock held. */
int qat_irq_backend_set(struct qat_dev *dev, unsigned int index,
			uint32_t flags, unsigned int start, unsigned int count,
			const void *data);

/* Vector count of `index`, or a negative errno. */
int qat_irq_count(struct qat_dev *dev, unsigned int index);

/* Stop the dispatcher thread, unbind what it bound, free it (st->lock
 * not held; no other call may race, as in qat_rt_close()). */
void qat_irq_disp_fini(struct qat_dev *dev, struct qat_irq_dev *st);

#endif /* QAT_IRQ_PRIV_H */
