/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Devices: enumeration, identity, BARs, config space, reset, DMA.
 * Devices are owned by their runtime and live until qat_rt_close().
 *
 * Several processes, one device (qat_dev_info.sharing):
 *   QAT_DEV_SHARED     several processes use the device at once, each
 *                      through internal sections of its own (its own
 *                      rings), as under the QAT kernel drivers: "sysfs"
 *                      devices, and "sim" ones by default.
 *   QAT_DEV_EXCLUSIVE  one process at a time has the device, as one
 *                      process may hold a VFIO group: "vfio" devices, and
 *                      "sim" ones declared [GENERAL] SimSharing =
 *                      exclusive. The first call that needs the device's
 *                      file (BAR info/map, config space, reset, IRQ
 *                      info/set, DMA map) takes it; in another process,
 *                      a fork child of the holder included, those calls
 *                      are -EBUSY with a warning naming the holder's pid
 *                      ("vfio": and the group; the pid when /proc shows
 *                      who has the group open: same user, or root). The
 *                      holder keeps it until qat_rt_close() or death,
 *                      and gives it up there before its claims. A claim
 *                      (qat_proc_acquire(3)) opens it too, and the
 *                      release of the last one gives it up when nothing
 *                      else of the process uses it. A worker
 *                      pool on vfio gives each worker its own VF, as
 *                      qatlib does.
 * A simulated device is one device for every process on the registry,
 * as a real function is: BARs, config space, started flag and vectors
 * are shared (a file beside the registry), an interrupt raised anywhere
 * reaches the process that bound the vector, a reset anywhere clears
 * what every process maps. See qat_sim_set_started(3).
 * Across a reset (QAT_EVENT_RESTARTING .. RESTARTED), whichever process
 * did it, handlers, eventfd bindings and BAR maps stay valid in every
 * process; maps show reset values afterwards (qat_dev_reset(3)).
 *
 * Each device is served by one backend (qat_dev_info.backend):
 *   "sim"   a simulated device declared in configuration: everything works.
 *   "vfio"  a real function bound to vfio-pci (or a variant driver):
 *           BARs, config space, reset, interrupts and DMA through VFIO.
 *           Its IOMMU group is opened on first use and stays open until
 *           qat_rt_close(); that first call returns the error when it
 *           cannot be (-EBUSY: another process has the group).
 *           Fork: a child does not share its parent's VFIO files (DMA
 *           through them would land in the parent's IOVA space). The
 *           library closes the child's copies at fork; in the child, a
 *           device (of an inherited runtime or a new one) opens its group
 *           afresh on first use, which is -EBUSY with a warning naming
 *           the group while the parent holds it, and works once the
 *           parent has closed its runtime.
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
	unsigned int max_processes; /* internal sections per base section
				     * (claims at once): [GENERAL]
				     * MaxProcesses, else on a shared device
				     * the type's banks * rings per bank / 2,
				     * on an exclusive one 1 */
	unsigned int num_bars;   /* BARs that exist (size > 0) */
	/* Added last, as every later field will be: a struct only ever
	 * grows at its end. */
	unsigned int sharing;    /* QAT_DEV_SHARED or QAT_DEV_EXCLUSIVE */
};

/* Sharing modes (qat_dev_info.sharing): see "Several processes" above. */
#define QAT_DEV_SHARED    1u
#define QAT_DEV_EXCLUSIVE 2u

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
 * number of bytes transferred: fewer than `len` when the range runs past
 * the end of what the device (256 bytes for conventional PCI) or the
 * caller's privilege shows, or past the 4 KiB of config space. -EINVAL
 * for an empty range or one that starts at or past the end of the
 * device's config region (at most 4 KiB). */
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
 * Returns 0, -ENOTSUP when the backend or the device has no reset method
 * (then nothing is published and the state is unchanged), or the
 * backend's error.
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

/*
 * DMA buffers the library places: qat_dma_alloc() gets `len` bytes
 * (rounded up to whole pages) of zeroed, page-aligned memory on the
 * device's NUMA node (any node when it is unknown), locked, and maps it
 * for the device with `flags` (QAT_DMA_READ and/or QAT_DMA_WRITE) at an
 * IOVA the library picks, from QAT_DMA_IOVA_BASE up, never overlapping
 * another buffer in the same IOVA space (every device of one VFIO
 * container shares one). Keep IOVAs given to qat_dma_map() below
 * QAT_DMA_IOVA_BASE. On vfio, the kernel's pinning is the lock; on sim
 * the pages are mlock()ed and the mapping is recorded as qat_dma_map()
 * records it. Returns 0 and the buffer in *out; -EINVAL for NULL, 0 or
 * unknown flags, or len 0; -ENOTSUP on a backend without DMA; -ENOMEM
 * when RLIMIT_MEMLOCK is too low (a log line says the limit, what is
 * locked and what the limit must be) or the device's node has no memory
 * this process may use (logged), or no memory; -EBUSY (vfio) when
 * another process has the IOMMU group; or the backend's map error.
 *
 * qat_dma_free() unmaps and frees; NULL is fine. Buffers still allocated
 * at qat_rt_close() are freed there: free yours before. Fork: the memory
 * is not inherited (MADV_DONTFORK); in a child qat_dma_addr() is NULL and
 * qat_dma_free() releases only the handle. Thread-safe; one buffer is
 * freed once.
 */
#define QAT_DMA_IOVA_BASE (UINT64_C(1) << 32)

struct qat_dma_mem;     /* a DMA buffer: opaque */

QAT_API int qat_dma_alloc(struct qat_dev *dev, size_t len, uint32_t flags,
			  struct qat_dma_mem **out);
QAT_API void qat_dma_free(struct qat_dma_mem *mem);
/* The buffer's address in this process (NULL for NULL, or in a forked
 * child), its IOVA and its length in bytes (whole pages; 0 for NULL). */
QAT_API void *qat_dma_addr(const struct qat_dma_mem *mem);
QAT_API uint64_t qat_dma_iova(const struct qat_dma_mem *mem);
QAT_API size_t qat_dma_len(const struct qat_dma_mem *mem);

#ifdef __cplusplus
}
#endif

#endif /* QAT_DEV_H */
