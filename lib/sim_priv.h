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

/* For white-box tests: the interrupt state a SET_IRQS call left. */
struct qat_sim_irq_state {
	int type;                /* enabled index, -1 when none */
	unsigned int nctx;       /* vectors enabled */
	uint64_t bound;          /* bit v: vector v (< 64) has an eventfd */
	bool masked, pending;    /* INTx */
	bool unmask;             /* INTx unmask eventfd set */
	bool err, req;           /* ERR / REQ eventfd bound */
};
int qat_sim_irq_state(struct qat_dev *dev, struct qat_sim_irq_state *st);

#endif /* QAT_SIM_PRIV_H */
