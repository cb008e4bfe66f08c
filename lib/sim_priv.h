/* SPDX-License-Identifier: BSD-3-Clause */
/* The simulated backend's private state, shared by sim*.c. */
#ifndef QAT_SIM_PRIV_H
#define QAT_SIM_PRIV_H

#include "internal.h"
#include "shm.h"

#define QAT_SIM_NUM_BARS 6

/* The largest count each index can have on PCI: one INTx pin, 32 MSI,
 * 2048 MSI-X, one ERR and one REQ; the shared vector table has a slot
 * for each. */
#define QAT_SIM_MAX_INTX 1u
#define QAT_SIM_MAX_MSI 32u
#define QAT_SIM_MAX_MSIX 2048u
#define QAT_SIM_NUM_VECS (QAT_SIM_MAX_INTX + QAT_SIM_MAX_MSI + \
			  QAT_SIM_MAX_MSIX + 2u)

/* One vector of the device as every process sees it. The process that
 * bound it (binder) answers raises from the others: a raiser takes a
 * ticket (raised), the binder delivers it under its own masking rules and
 * counts it answered (done), with the answer in bit ticket % 64. */
struct sim_shvec {
	uint64_t binder;   /* pid << 32 | instance; 0 unbound */
	uint32_t raised;
	uint32_t done;
	uint64_t results;
};

/*
 * The simulated device's shared state: one file beside the registry
 * (<registry>.sim<accel id>), mapped by every process that declares the
 * device. Another process can write any of it, so every value read is
 * checked before use; the BARs follow it at QAT_SIM_BAR_ALIGN.
 */
struct sim_shared {
	struct qat_shm_hdr hdr;
	uint32_t started;
	uint32_t owner;       /* exclusive: pid that has the device open */
	uint32_t doorbell;    /* futex: bumped by every remote raise */
	uint32_t acks;        /* futex: bumped when a binder answered */
	uint8_t cfg[QAT_PCI_CFG_SPACE_SIZE];
	struct sim_shvec vec[QAT_SIM_NUM_VECS];
};

#define QAT_SIM_BAR_ALIGN ((size_t)64 << 10) /* any page size divides it */

struct qat_sim_dma {
	uint64_t iova;
	size_t len;
	void *vaddr;
	uint32_t flags;
	struct qat_sim_dma *next;
};

struct qat_sim_dev {
	const struct qat_devtype *type;
	pthread_mutex_t lock;                  /* guards dma, owner */
	unsigned int sharing;                  /* QAT_DEV_SHARED/EXCLUSIVE */
	struct qat_shm shm;                    /* the shared file, when used */
	struct sim_shared *sh;                 /* shm's, or anonymous */
	size_t sh_size;
	int owner;                             /* pid that owns it here */
	int let_go_hooked;                     /* sim_let_go() registered */
	int closing;                           /* given up at close */
	unsigned int bar_maps;                 /* outstanding BAR maps */
	void *bar[QAT_SIM_NUM_BARS];           /* inside sh */
	size_t bar_size[QAT_SIM_NUM_BARS];
	uint8_t *cfg;                          /* config space, sh->cfg */
	uint8_t cfg_init[QAT_PCI_CFG_SPACE_SIZE]; /* power-on values */
	uint8_t wmask[QAT_PCI_CFG_SPACE_SIZE]; /* writable bits */
	unsigned int vectors[QAT_IRQ_NUM_INDEXES];
	struct qat_sim_dma *dma;
	void *irq;                             /* owned by sim_irq.c */
	void *xp;                              /* owned by sim_irq_xp.c */
};

static inline struct qat_sim_dev *qat_sim_priv(struct qat_dev *dev)
{
	return dev->ops == &qat_sim_ops ? dev->priv : NULL;
}

/* The shared file (sim_shm.c). Open or create the device's shared state
 * for `registry` (NULL: this process's alone), laying out s->bar and
 * s->cfg; `fp` fingerprints the declaration, which every process sharing
 * the file must agree on. 0 or -errno (logged). */
/* share_gid: the group trusted to share the registry's files
 * (QAT_RT_REGISTRY_GROUP), or -1 for none. */
int qat_sim_shm_open(struct qat_sim_dev *s, const char *registry,
		     unsigned int registry_mode, long share_gid,
		     unsigned int accel_id, uint64_t fp, int started);
void qat_sim_shm_close(struct qat_sim_dev *s);
/* Exclusive devices: make this process the one that has the device open,
 * as a VFIO group open does; -EBUSY (logged with the holder's pid) when
 * another live process has it. 0 at once on a shared device. */
int qat_sim_claim(struct qat_dev *dev);
/* Give the device up if this process has it. */
void qat_sim_unclaim(struct qat_sim_dev *s);
/* The pid that has an exclusive device open, 0 when none (or shared). */
int qat_sim_holder(struct qat_sim_dev *s);
int qat_sim_pid_alive(int pid);

/* The interrupt model (sim_irq.c). */
int qat_sim_irq_init(struct qat_dev *dev);
/* Must cope with a device whose qat_sim_irq_init() never ran. */
void qat_sim_irq_fini(struct qat_dev *dev);
int qat_sim_irq_info(struct qat_dev *dev, unsigned int index,
		     struct qat_irq_info *info);
int qat_sim_irq_set(struct qat_dev *dev, uint32_t flags, unsigned int index,
		    unsigned int start, unsigned int count, const void *data);
/* Raise as this process's hardware model: 1 delivered, 0 not. */
int qat_sim_irq_raise_local(struct qat_dev *dev, unsigned int index,
			    unsigned int vector);
/* 1 when this process has an eventfd bound to the vector. */
int qat_sim_irq_bound(struct qat_dev *dev, unsigned int index,
		      unsigned int vector);
/* Vectors index has on this device (0 for none). */
unsigned int qat_sim_irq_count(struct qat_dev *dev, unsigned int index);
/* 1 when this process has no interrupt index enabled or bound. */
int qat_sim_irq_idle(struct qat_dev *dev);

/* Interrupts across processes (sim_irq_xp.c). */
static inline unsigned int qat_sim_vec_slot(unsigned int index,
					    unsigned int vector)
{
	static const unsigned int base[QAT_IRQ_NUM_INDEXES] = {
		0, QAT_SIM_MAX_INTX, QAT_SIM_MAX_INTX + QAT_SIM_MAX_MSI,
		QAT_SIM_MAX_INTX + QAT_SIM_MAX_MSI + QAT_SIM_MAX_MSIX,
		QAT_SIM_MAX_INTX + QAT_SIM_MAX_MSI + QAT_SIM_MAX_MSIX + 1,
	};

	return base[index] + vector;
}
/* After a SET_IRQS: record which vectors this process now binds, so that
 * raises from other processes come here; starts the listener on first
 * need. 0 or -errno. */
int qat_sim_xp_publish(struct qat_dev *dev);
/* Raise from this process: delivered here when this process binds the
 * vector (or no one does), else handed to the binder and its answer
 * awaited (bounded). 1, 0, or -ETIMEDOUT. */
int qat_sim_xp_raise(struct qat_dev *dev, unsigned int index,
		     unsigned int vector);
/* Unbind everything of this process and stop the listener. */
void qat_sim_xp_fini(struct qat_dev *dev);

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
