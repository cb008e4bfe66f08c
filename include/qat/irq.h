/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts with the semantics of Linux VFIO_DEVICE_SET_IRQS.
 */
#ifndef QAT_IRQ_H
#define QAT_IRQ_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Interrupt indexes, numbered as VFIO numbers them. */
enum qat_irq_index {
	QAT_IRQ_INTX = 0,
	QAT_IRQ_MSI = 1,
	QAT_IRQ_MSIX = 2,
	QAT_IRQ_ERR = 3,
	QAT_IRQ_REQ = 4,
	QAT_IRQ_NUM_INDEXES = 5,
};

/* qat_irq_info.flags, as VFIO_IRQ_INFO_* */
#define QAT_IRQ_INFO_EVENTFD    (1u << 0)
#define QAT_IRQ_INFO_MASKABLE   (1u << 1)
#define QAT_IRQ_INFO_AUTOMASKED (1u << 2)
#define QAT_IRQ_INFO_NORESIZE   (1u << 3)

struct qat_irq_info {
	uint32_t flags;
	uint32_t count;  /* vectors at this index; 0 when not supported */
};

/* Actions and data types for qat_irq_set(), as VFIO_IRQ_SET_* */
#define QAT_IRQ_DATA_NONE     (1u << 0)
#define QAT_IRQ_DATA_BOOL     (1u << 1)
#define QAT_IRQ_DATA_EVENTFD  (1u << 2)
#define QAT_IRQ_ACTION_MASK    (1u << 3)
#define QAT_IRQ_ACTION_UNMASK  (1u << 4)
#define QAT_IRQ_ACTION_TRIGGER (1u << 5)

#ifdef __cplusplus
}
#endif

#endif /* QAT_IRQ_H */
