/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devices: enumeration, identity, BARs, config space, reset, DMA.
 * Devices are owned by their runtime and live until qat_rt_close().
 *
 * Each device is served by one backend (qat_dev_info.backend):
 *   "sim"   a simulated device declared in configuration: everything works.
 *   "vfio"  a real function bound to vfio-pci (or a variant driver):
 *           BARs, config space, reset, interrupts and DMA through VFIO.
 *           Its IOMMU group is opened on first use and stays open until
 *           qat_rt_close(); that first call returns the error when it
 *           cannot be (-EBUSY: another process has the group).
 *   "sysfs" any other real function: read-only diagnostics. BAR info,
 *           read-only BAR maps (-EPERM for writable), config space reads
 *           (only 64 bytes without CAP_SYS_ADMIN), -EPERM for config
 *           writes, -ENOTSUP for reset, interrupts and DMA.
 *
 * Accel ids: a simulated device has the id its configuration file names;
 * real functions are numbered in PCI address order from 0 (see
 * qat_rt_open()). A real device is started when it has a configuration
 * and, under the kernel QAT driver, that driver reports it "up".
 */
#ifndef QAT_DEV_H
#define QAT_DEV_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qat_dev_info {
	char pci_addr[16];       /* "dddd:bb:dd.f" */
	char type[16];           /* "4xxx", "c62x", ... ("unknown") */
	char backend[16];        /* "sim", "vfio", "sysfs" */
	uint16_t vendor_id;
	uint16_t device_id;
	unsigned int accel_id;   /* the N of <type>_dev<N>.conf */
	int numa_node;           /* -1 when unknown */
	int started;             /* 1 when the device is up and configured */
	int is_vf;               /* 1 for a virtual function */
	unsigned int max_processes; /* internal sections per base section:
				     * [GENERAL] MaxProcesses, else the
				     * type's banks * rings per bank / 2 */
	unsigned int num_bars;   /* BARs that exist (size > 0) */
};

/* Number of devices the runtime found. */
QAT_API int qat_dev_count(const struct qat_rt *rt);

/*
 * The i-th device, in accel id order. Returns 0, or -ENODEV when i is out
 * of range. The handle lives as long as the runtime.
 */
QAT_API int qat_dev_get(struct qat_rt *rt, unsigned int i,
			struct qat_dev **out);

/*
 * Lookups. The device with accel id `accel_id`, or at PCI address `addr`
 * ("dddd:bb:dd.f", or "bb:dd.f" for domain 0; hex digits in either
 * case). Returns 0 and fills *out; -ENODEV when no device matches;
 * -EINVAL for NULL arguments or an address of another form.
 */
QAT_API int qat_dev_by_accel_id(struct qat_rt *rt, unsigned int accel_id,
				struct qat_dev **out);
QAT_API int qat_dev_by_pci_addr(struct qat_rt *rt, const char *addr,
				struct qat_dev **out);

/* The device's accel id (0..65535), or -EINVAL for NULL. With
 * qat_proc_dev(), the device of a claim: qat_dev_accel_id(qat_proc_dev(p)),
 * which is -EINVAL for a NULL claim too. */
QAT_API int qat_dev_accel_id(const struct qat_dev *dev);

/* Fill `info`. Returns 0, or -EINVAL for NULL arguments. */
QAT_API int qat_dev_info(const struct qat_dev *dev, struct qat_dev_info *info);

/* The device's expanded configuration; NULL when it has none. */
QAT_API const struct qat_cfg *qat_dev_cfg(const struct qat_dev *dev);

/* BAR flags */
#define QAT_BAR_MMAP  (1u << 0) /* can be mapped */
#define QAT_BAR_MEM64 (1u << 1)

/* Size and flags of BAR `bar` (0..5); both out-parameters are required.
 * Returns 0; -EINVAL for a bad index or a NULL argument;
 * -ENOENT when that BAR does not exist. */
QAT_API int qat_dev_bar_info(struct qat_dev *dev, unsigned int bar,
			     uint64_t *size, uint32_t *flags);

/* Map the whole of BAR `bar` into this process. Returns 0 and the address
 * and length; -ENOENT for a missing BAR, -EPERM when the backend can only
 * map read-only diagnostics and `writable` was asked, -ENOTSUP for a BAR
 * that cannot be mapped (I/O ports, or no kernel support), or an mmap
 * error. Unmap with qat_dev_bar_unmap(). */
QAT_API int qat_dev_bar_map(struct qat_dev *dev, unsigned int bar,
			    int writable, void **addr, size_t *len);
QAT_API int qat_dev_bar_unmap(struct qat_dev *dev, unsigned int bar,
			      void *addr, size_t len);

/* Read or write `len` bytes of PCI config space at `off`. Returns the
 * number of bytes transferred (fewer when the device or the caller's
 * privilege shows less than 4 KiB), or -EINVAL for a range outside config
 * space. */
QAT_API int qat_dev_cfg_read(struct qat_dev *dev, unsigned int off,
			     void *buf, size_t len);
QAT_API int qat_dev_cfg_write(struct qat_dev *dev, unsigned int off,
			      const void *buf, size_t len);

/*
 * Reset the device (VFIO_DEVICE_RESET on vfio). Publishes
 * QAT_EVENT_RESTARTING before and QAT_EVENT_RESTARTED after (or
 * QAT_EVENT_ERROR when the reset failed) to every subscriber on the
 * registry. Interrupt handlers, eventfd bindings, BAR maps (which then
 * show reset values) and DMA maps stay as they were: qat_dev_reset(3).
 * Returns 0, -ENOTSUP when the backend cannot reset, or the backend's
 * error.
 */
QAT_API int qat_dev_reset(struct qat_dev *dev);

/* DMA mapping flags */
#define QAT_DMA_READ  (1u << 0) /* the device may read the memory */
#define QAT_DMA_WRITE (1u << 1) /* the device may write the memory */

/* Map `len` bytes at `vaddr` (page aligned) for device DMA at `iova`.
 * Returns 0, -EINVAL for unaligned or empty ranges, -ENOTSUP on a
 * backend without DMA, or the backend's error. */
QAT_API int qat_dma_map(struct qat_dev *dev, void *vaddr, uint64_t iova,
			size_t len, uint32_t flags);
QAT_API int qat_dma_unmap(struct qat_dev *dev, uint64_t iova, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* QAT_DEV_H */
