/* SPDX-License-Identifier: BSD-3-Clause */
/* The simulated backend's private state, shared by sim*.c. */
#ifndef QAT_SIM_PRIV_H
#define QAT_SIM_PRIV_H

#include "internal.h"

#define QAT_SIM_NUM_BARS 6

struct qat_sim_dma {
	uint64_t iova;
	size_t len;
	void *vaddr;
	uint32_t flags;
	struct qat_sim_dma *next;
};

struct qat_sim_dev {
	const struct qat_devtype *type;
	pthread_mutex_t lock;                  /* guards cfg, dma, started */
	void *bar[QAT_SIM_NUM_BARS];
	size_t bar_size[QAT_SIM_NUM_BARS];
	uint8_t cfg[QAT_PCI_CFG_SPACE_SIZE];   /* config space */
	uint8_t wmask[QAT_PCI_CFG_SPACE_SIZE]; /* writable bits */
	unsigned int vectors[QAT_IRQ_NUM_INDEXES];
	struct qat_sim_dma *dma;
	void *irq;                             /* owned by sim_irq.c */
};

static inline struct qat_sim_dev *qat_sim_priv(struct qat_dev *dev)
{
	return dev->ops == &qat_sim_ops ? dev->priv : NULL;
}

/* The interrupt model (sim_irq.c). */
int qat_sim_irq_init(struct qat_dev *dev);
/* Must cope with a device whose qat_sim_irq_init() never ran. */
void qat_sim_irq_fini(struct qat_dev *dev);
int qat_sim_irq_info(struct qat_dev *dev, unsigned int index,
		     struct qat_irq_info *info);
int qat_sim_irq_set(struct qat_dev *dev, uint32_t flags, unsigned int index,
		    unsigned int start, unsigned int count, const void *data);

#endif /* QAT_SIM_PRIV_H */
