/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated device's page request interface (sim_dma.c), as the fault
 * queue uses it. The queue passes its report function down; the simulated
 * device never calls the queue by name (layering: backend below core).
 */
#ifndef QAT_IOPF_SIM_H
#define QAT_IOPF_SIM_H

#include "internal.h"
#include "qat/iopf.h"

/* Called by the device for every page request it raises; returns as
 * qat_iopf_report(). */
typedef int (*qat_sim_pri_report_fn)(void *ctx, struct qat_dev *dev,
				     const struct qat_iopf_fault *f);

/*
 * Send the device's page requests to fn(ctx, ...). Returns 0, -ENOTSUP
 * for a device that is not simulated, -EBUSY when it is connected
 * already, -ENOMEM.
 */
int qat_sim_pri_connect(struct qat_dev *dev, qat_sim_pri_report_fn fn,
			void *ctx);

/* Undo qat_sim_pri_connect(): returns once no call of fn runs. Must not
 * be called from fn. */
void qat_sim_pri_disconnect(struct qat_dev *dev);

/* Deliver a group's response to the device; one for a group nobody waits
 * for is dropped (and counted by the device). */
void qat_sim_pri_respond(struct qat_dev *dev,
			 const struct qat_iopf_response *r);

/* Test hook: how long a transfer waits for a response that does not
 * come, in ms (0: the device's 10 s), so that a test of -ETIMEDOUT need
 * not wait 10 s. */
extern int qat_sim_dma_test_wait_ms;

#endif /* QAT_IOPF_SIM_H */
