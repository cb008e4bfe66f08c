/* SPDX-License-Identifier: BSD-3-Clause */
/* State events of the simulated device. */
#include <errno.h>

#include "sim_priv.h"
#include "state_priv.h"

/*
 * As if the driver had emitted `event`: it is published like any other
 * (host-wide), and the simulated hardware is left as it is; use
 * qat_sim_set_started() or qat_dev_reset() to change that.
 */
QAT_API int qat_sim_inject_event(struct qat_dev *dev, int event)
{
	if (!dev || event < 0 || event >= QAT_EVENT_COUNT)
		return -EINVAL;
	if (!qat_sim_priv(dev))
		return -ENOTSUP;
	return qat_state_publish(dev->rt, dev, event);
}
