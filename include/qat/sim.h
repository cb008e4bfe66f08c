/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated device backend.
 *
 * A simulated device is declared in a device configuration's [GENERAL]
 * section:
 *   SimDevice     = 4xxx          device type (required; marks it simulated)
 *   SimPciId      = 8086:4940     vendor:device (default: the type's PF id)
 *   SimPciAddress = 0000:f0:00.0  (default: 0000:f0:<accel id>.0)
 *   SimStarted    = 1             0 declares a stopped device (default 1)
 *   SimNumaNode   = 0             (default -1, unknown)
 *   SimIntx, SimMsi, SimMsix, SimErr, SimReq   vector counts (type defaults)
 *   SimSharing    = shared        or exclusive (see dev.h; default shared)
 *   MaxProcesses  = 64            (any backend; default from the type)
 *
 * Every process on one registry that declares the device shares it: BARs,
 * config space, started flag and vectors live in <registry>.sim<accel id>
 * (qat_sim_set_started(3)). Start, stop and reset in any process are
 * seen by all.
 *
 * The qat_sim_* functions return -ENOTSUP for a device of another backend.
 */
#ifndef QAT_SIM_H
#define QAT_SIM_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Start (1) or stop (0) a simulated device, as the kernel driver's
 * up/down does. Returns 0 or -ENOTSUP. */
QAT_API int qat_sim_set_started(struct qat_dev *dev, int started);

/* Emit device state event `event` (enum qat_event in state.h) as the
 * driver would: published host-wide like qat_state_publish(). The
 * simulated hardware is not changed. Returns 0, -EINVAL for a NULL device
 * or an event out of range, -ENOTSUP, or qat_state_publish()'s error. */
QAT_API int qat_sim_inject_event(struct qat_dev *dev, int event);

/*
 * Fire interrupt `vector` of `index` as the hardware would: signal the
 * eventfd bound to it. INTx masks itself until unmasked; a raise while
 * masked stays pending and is delivered by the unmask. MSI/MSI-X fire
 * only when their index is enabled. [GENERAL] SimMsiAlloc / SimMsixAlloc
 * limit how many MSI/MSI-X vectors an enable can get (default: all).
 * The raise reaches the process that bound the vector, from any process:
 * when another one binds it, its model decides (its masking rules) and
 * its answer is returned, waited for up to one second.
 * Returns 1 when an eventfd was signalled, 0 when nothing was delivered
 * (masked, disabled or unbound, or the binder exited), -EINVAL for a bad
 * index or vector, -ETIMEDOUT when the binding process did not answer,
 * -ENOTSUP for a device of another backend.
 */
QAT_API int qat_sim_raise_irq(struct qat_dev *dev, unsigned int index,
			      unsigned int vector);

/*
 * DMA by the simulated device through ATS/PRI, in this process's address
 * space under `pasid` (at most 20 bits): every page of [addr, addr + len)
 * that is not present (mincore(2)) becomes a page request to the fault
 * queue the device was added to with QAT_IOPF_SINK_SIM (see iopf.h), in
 * groups of up to 16 with QAT_IOPF_LAST_PAGE on the final one of each;
 * the device waits for every group's response (at most 10 s after its
 * last request), then completes the transfer or aborts it. A write
 * (`write` non-zero) stores QAT_SIM_DMA_BYTE(a, pasid) at every address
 * a of the range; a read reads the range. Thread-safe; transfers may run
 * concurrently and share the device's 512 group indexes.
 * Returns the number of page requests raised (0: every page was
 * present), or -EINVAL (NULL dev, PASID too wide, range wraps), -ENOTSUP
 * (not a simulated device), -ENOTCONN (on no fault queue), -EFAULT (a
 * group was answered QAT_IOPF_INVALID, or a page went away or did not
 * allow the access), -EIO (answered QAT_IOPF_FAILURE), -ETIMEDOUT (no
 * response), -ENOENT (the queue dropped the device meanwhile).
 */
QAT_API int qat_sim_dma(struct qat_dev *dev, uint32_t pasid, uint64_t addr,
			size_t len, int write);

/* The byte a simulated DMA write stores at address a. */
#define QAT_SIM_DMA_BYTE(a, pasid) \
	((unsigned char)(((a) ^ ((a) >> 8) ^ (pasid)) & 0xffu))

#ifdef __cplusplus
}
#endif

#endif /* QAT_SIM_H */
