/* SPDX-License-Identifier: BSD-3-Clause */
/* Private definitions shared by the library's sources. */
#ifndef QAT_INTERNAL_H
#define QAT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "qat/qatrt.h"
#include "log.h"
#include "opts.h"

#define QAT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))


/*
 * One table per backend. Core code calls through it and never looks at
 * the name, which is for display only. Any op may be NULL: the caller
 * then returns -ENOTSUP.
 */
struct qat_backend_ops {
	const char *name;
	/* Find this backend's devices and add them with qat_rt_add_dev(). */
	int (*probe)(struct qat_rt *rt);
	/* Free what the backend hung on dev->priv. */
	void (*dev_fini)(struct qat_dev *dev);
	int (*bar_info)(struct qat_dev *dev, unsigned int bar, uint64_t *size,
			uint32_t *flags);
	int (*bar_map)(struct qat_dev *dev, unsigned int bar, int writable,
		       void **addr, size_t *len);
	int (*bar_unmap)(struct qat_dev *dev, unsigned int bar, void *addr,
			 size_t len);
	/* Config space; return bytes transferred. Ranges are pre-checked. */
	int (*cfg_read)(struct qat_dev *dev, unsigned int off, void *buf,
			size_t len);
	int (*cfg_write)(struct qat_dev *dev, unsigned int off,
			 const void *buf, size_t len);
	int (*reset)(struct qat_dev *dev);
	/* 0 when reset() can be attempted now, else why not (-ENOTSUP: the
	 * device has no reset method). Asked before anyone is told of a
	 * reset, so that one that cannot start publishes nothing. NULL: it
	 * always can. */
	int (*reset_check)(struct qat_dev *dev);
	/* Bring the device up (1) or down (0) where the backend can. */
	int (*set_started)(struct qat_dev *dev, int started);
	/* Whether the device is up now, where another process may change
	 * it (qat_dev_started()). NULL: info.started, fixed at probe. */
	int (*started)(struct qat_dev *dev);
	/* Open the device for this process now, as its first use would
	 * (exclusive devices: -EBUSY while another process has it). NULL:
	 * nothing to open. */
	int (*hold)(struct qat_dev *dev);
	/* The last claim that held it went: give the device up if nothing
	 * of this process uses it (BAR maps, interrupts, DMA maps); else it
	 * stays open until qat_rt_close(). */
	void (*let_go)(struct qat_dev *dev);
	int (*irq_info)(struct qat_dev *dev, unsigned int index,
			struct qat_irq_info *info);
	/* VFIO_DEVICE_SET_IRQS: flags = one QAT_IRQ_DATA_* | one
	 * QAT_IRQ_ACTION_*; data holds count bools or count s32 fds. */
	int (*irq_set)(struct qat_dev *dev, uint32_t flags, unsigned int index,
		       unsigned int start, unsigned int count,
		       const void *data);
	int (*dma_map)(struct qat_dev *dev, void *vaddr, uint64_t iova,
		       size_t len, uint32_t flags);
	int (*dma_unmap)(struct qat_dev *dev, uint64_t iova, size_t len);
	/* The IOVA space the device's DMA maps go into: devices sharing one
	 * (a VFIO container) give the same key, so qat_dma_alloc() never
	 * hands out overlapping IOVAs in it. NULL op: the device's own. A
	 * NULL result is the error in *err. */
	const void *(*dma_space)(struct qat_dev *dev, int *err);
	/* dma_map pins the pages and charges them to RLIMIT_MEMLOCK itself
	 * (VFIO type1): qat_dma_alloc() must not mlock them as well, which
	 * would charge them twice. */
	bool dma_pins;
	/* QAT_DEV_SHARED or QAT_DEV_EXCLUSIVE, unless the device's info
	 * says (a simulated device declares its own). */
	unsigned int sharing;
};

extern const struct qat_backend_ops qat_sim_ops;
extern const struct qat_backend_ops qat_vfio_ops;
extern const struct qat_backend_ops qat_sysfs_ops;

#define QAT_PCI_CFG_SPACE_SIZE 4096u

struct qat_dev {
	struct qat_rt *rt;
	const struct qat_backend_ops *ops;
	void *priv;               /* the backend's */
	struct qat_cfg *cfg;      /* owned; NULL when unconfigured */
	struct qat_dev_info info;
	void *irq;                /* owned by irq.c */
	void *state;              /* owned by state.c */
	unsigned int holds;       /* claims of this process holding it */
};

/* A device configuration found on disk, before a backend claims it. */
struct qat_rt_cfg {
	unsigned int accel_id;
	struct qat_cfg *cfg;      /* NULL once claimed by a device */
	char *path;
};

/* Cleanup run by qat_rt_close(), last registered first. */
struct qat_rt_fini {
	void (*fn)(struct qat_rt *rt, void *arg);
	void *arg;
	struct qat_rt_fini *next;
};

struct qat_rt {
	char *config_path;
	char *registry_path;
	unsigned int registry_mode;
	unsigned int registry_gid;  /* with QAT_RT_REGISTRY_GROUP in flags */
	unsigned int flags;
	char *pci_ids;

	struct qat_rt_cfg *cfgs;  /* configurations found at open */
	unsigned int ncfgs;

	struct qat_dev **devs;    /* sorted by accel id after open */
	unsigned int ndevs;

	pthread_mutex_t lock;     /* guards the module slots and fini list */
	void *proc;               /* owned by proc.c */
	void *state;              /* owned by state.c */
	struct qat_rt_fini *fini;
};

/*
 * Add a device found by `ops`. Takes ownership of `cfg` (may be NULL) and
 * of `priv` (freed through ops->dev_fini even on failure).
 */
int qat_rt_add_dev(struct qat_rt *rt, const struct qat_backend_ops *ops,
		   const struct qat_dev_info *info, struct qat_cfg *cfg,
		   void *priv, struct qat_dev **out);

/* Take the configuration found for `accel_id`, if any: the caller owns the
 * result. When `want_sim` is 0 only real-device configurations (without
 * SimDevice) are taken, when 1 only simulated ones. */
struct qat_cfg *qat_rt_take_cfg(struct qat_rt *rt, unsigned int accel_id,
				int want_sim);

/* Register cleanup for qat_rt_close(). Returns 0 or -ENOMEM. */
int qat_rt_on_close(struct qat_rt *rt, void (*fn)(struct qat_rt *, void *),
		    void *arg);

/* Log that no configuration has `section`, saying where configuration
 * was looked for and whether any was loaded at all. */
void qat_rt_log_no_section(const struct qat_rt *rt, const char *section);

/* Whether the device is up, host-wide: what acquire and qat_dev_info()
 * go by. */
int qat_dev_started(const struct qat_dev *dev);

/* A claim on an exclusive device comes with the device: open it for this
 * process now. 0 on a shared device. */
int qat_dev_hold(struct qat_dev *dev);
/* A claim that held the device ended: the last one lets it go. */
void qat_dev_let_go(struct qat_dev *dev);

/* Max processes from config "MaxProcesses" in [GENERAL], else `dflt`. */
unsigned int qat_dev_max_processes(const struct qat_cfg *cfg,
				   unsigned int dflt);

/* Known device types. */
struct qat_devtype {
	const char *name;        /* "4xxx" */
	uint16_t vendor_id;
	uint16_t pf_id;
	uint16_t vf_id;
	unsigned int banks;      /* ring banks of a PF */
	unsigned int rings_per_bank;
	unsigned int vf_banks;
	/* vector counts of a PF: INTx, MSI, MSI-X, ERR, REQ */
	unsigned int vectors[QAT_IRQ_NUM_INDEXES];
};

const struct qat_devtype *qat_devtype_by_name(const char *name);
/* Look up a PCI id; *is_vf says which function matched. */
const struct qat_devtype *qat_devtype_by_id(uint16_t vendor, uint16_t device,
					    int *is_vf);
/* GET_MAX_PROCESSES of the drivers: banks * (rings per bank / 2). */
unsigned int qat_devtype_max_processes(const struct qat_devtype *t, int is_vf);
/* The i-th known device type; NULL past the end of the table. */
const struct qat_devtype *qat_devtype_at(unsigned int i);

/* Check a list of extra PCI ids, "vvvv:dddd[,vvvv:dddd...]" (pci.c).
 * Returns 0, or -EINVAL after logging what is wrong. */
int qat_pci_ids_check(const char *list);

#endif /* QAT_INTERNAL_H */
