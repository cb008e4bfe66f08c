/* SPDX-License-Identifier: BSD-3-Clause */
/* Interrupt model of the simulated device: being written (issue 6). */
#include <errno.h>

#include "sim_priv.h"

int qat_sim_irq_init(struct qat_dev *dev)
{
	return 0;
}

void qat_sim_irq_fini(struct qat_dev *dev)
{
}

int qat_sim_irq_info(struct qat_dev *dev, unsigned int index,
		     struct qat_irq_info *info)
{
	struct qat_sim_dev *s = dev->priv;

	if (index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	info->count = s->vectors[index];
	info->flags = QAT_IRQ_INFO_EVENTFD;
	return 0;
}

int qat_sim_irq_set(struct qat_dev *dev, uint32_t flags, unsigned int index,
		    unsigned int start, unsigned int count, const void *data)
{
	return -ENOTSUP;
}
