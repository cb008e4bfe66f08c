/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated device backend: devices declared in configuration, with
 * memory-backed BARs and a config space that looks like a real QAT
 * function's, so that code written against it runs unchanged on hardware.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"
#include "state_priv.h"

/* BAR sizes of a simulated function: ring CSRs, PMISC, and a small
 * doorbell region; 64-bit memory BARs as on the real devices. */
static const size_t sim_bar_sizes[QAT_SIM_NUM_BARS] = {
	[0] = 256 << 10, [2] = 256 << 10, [4] = 64 << 10,
};

#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_STATUS_CAPS    0x10
#define PCI_CAP_PTR        0x34
#define PCI_INT_PIN        0x3d
#define PCI_CAP_ID_MSI     0x05
#define PCI_CAP_ID_EXP     0x10
#define PCI_CAP_ID_MSIX    0x11
#define PCI_EXT_CAP_ID_ERR 0x0001

static void put16(uint8_t *p, unsigned int off, uint16_t v)
{
	p[off] = v & 0xff;
	p[off + 1] = v >> 8;
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	put16(p, off, v & 0xffff);
	put16(p, off + 2, v >> 16);
}

/* Chain a capability after `*prev` (the previous "next" byte). */
static void add_cap(uint8_t *cfg, unsigned int *prev, unsigned int off,
		    uint8_t id)
{
	cfg[*prev] = off;
	cfg[off] = id;
	*prev = off + 1;
}

/* The power-on config space (s->cfg_init) and what software may change
 * in it (s->wmask); every process computes both, the file's creator
 * copies the first into the shared state. */
static void sim_cfg_space_init(struct qat_sim_dev *s,
			       const struct qat_dev_info *info)
{
	uint8_t *cfg = s->cfg_init;
	unsigned int prev = PCI_CAP_PTR, bar;

	put16(cfg, 0x00, info->vendor_id);
	put16(cfg, 0x02, info->device_id);
	put16(cfg, PCI_STATUS, PCI_STATUS_CAPS);
	put32(cfg, 0x08, 0x0b400000 | 0x20); /* co-processor, rev 0x20 */
	for (bar = 0; bar < QAT_SIM_NUM_BARS; bar += 2)
		if (sim_bar_sizes[bar])
			put32(cfg, 0x10 + 4 * bar, 0xc); /* mem64, prefetch */
	put16(cfg, 0x2c, info->vendor_id);
	put16(cfg, 0x2e, 0);
	cfg[PCI_INT_PIN] = s->vectors[QAT_IRQ_INTX] ? 1 : 0;
	/* Memory, bus master and INTx disable are what drivers write. */
	put16(s->wmask, PCI_COMMAND, 0x0406);
	add_cap(cfg, &prev, 0x40, PCI_CAP_ID_EXP);
	put16(cfg, 0x42, 0x0002); /* PCIe v2 endpoint */
	if (s->vectors[QAT_IRQ_MSI]) {
		add_cap(cfg, &prev, 0x50, PCI_CAP_ID_MSI);
		put16(cfg, 0x52, 0x0080); /* 64-bit, 1 vector */
		s->wmask[0x52] = 0x01;       /* MSI enable */
	}
	if (s->vectors[QAT_IRQ_MSIX]) {
		add_cap(cfg, &prev, 0x70, PCI_CAP_ID_MSIX);
		put16(cfg, 0x72, (uint16_t)(s->vectors[QAT_IRQ_MSIX] - 1));
		s->wmask[0x73] = 0xc0;       /* MSI-X enable, function mask */
		put32(cfg, 0x74, 4);      /* table in BAR4 */
		put32(cfg, 0x78, 4 | 0x8000);
	}
	if (s->vectors[QAT_IRQ_ERR])
		put32(cfg, 0x100, PCI_EXT_CAP_ID_ERR | (1u << 16));
}

static int cfg_uint(const struct qat_cfg *cfg, const char *key,
		    unsigned int dflt, unsigned int max, unsigned int *out)
{
	uint64_t v;
	int ret = qat_cfg_get_u64(cfg, "GENERAL", key, &v);

	if (ret == -ENOENT) {
		*out = dflt;
		return 0;
	}
	if (ret || v > max) {
		qat_err("[GENERAL] %s: not a number up to %u", key, max);
		return ret ? ret : -ERANGE;
	}
	*out = (unsigned int)v;
	return 0;
}

/* PCI ids as "vvvv:dddd". */
static int parse_pci_id(const char *s, uint16_t *vendor, uint16_t *device)
{
	unsigned int v, d;
	int n = 0;

	if (sscanf(s, "%4x:%4x%n", &v, &d, &n) != 2 || s[n])
		return -EINVAL;
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return 0;
}

static const char *const sim_vector_keys[QAT_IRQ_NUM_INDEXES] = {
	"SimIntx", "SimMsi", "SimMsix", "SimErr", "SimReq",
};

/* [GENERAL] SimSharing: shared (default: the kernel drivers' model) or
 * exclusive (vfio-pci's: one process at a time has the device). */
static int sim_read_sharing(const struct qat_cfg *cfg, struct qat_sim_dev *s,
			    struct qat_dev_info *info)
{
	const char *v;

	s->sharing = QAT_DEV_SHARED;
	if (!qat_cfg_get_str(cfg, "GENERAL", "SimSharing", &v)) {
		if (!strcmp(v, "exclusive")) {
			s->sharing = QAT_DEV_EXCLUSIVE;
		} else if (strcmp(v, "shared")) {
			qat_err("[GENERAL] SimSharing: '%s' is neither shared "
				"nor exclusive", v);
			return -EINVAL;
		}
	}
	info->sharing = s->sharing;
	return 0;
}

/* Fill the device's identity from its [GENERAL] Sim* keys. */
static int sim_read_decl(const struct qat_cfg *cfg, unsigned int accel_id,
			 struct qat_sim_dev *s, struct qat_dev_info *info)
{
	const char *type, *v;
	unsigned int i, started, numa;
	int ret;

	qat_cfg_get_str(cfg, "GENERAL", "SimDevice", &type);
	s->type = qat_devtype_by_name(type);
	if (!s->type) {
		qat_err("[GENERAL] SimDevice: unknown device type '%s'", type);
		return -EINVAL;
	}
	snprintf(info->type, sizeof(info->type), "%s", type);
	info->accel_id = accel_id;
	info->vendor_id = s->type->vendor_id;
	info->device_id = s->type->pf_id;
	if (!qat_cfg_get_str(cfg, "GENERAL", "SimPciId", &v) &&
	    parse_pci_id(v, &info->vendor_id, &info->device_id)) {
		qat_err("[GENERAL] SimPciId: '%s' is not vvvv:dddd", v);
		return -EINVAL;
	}
	info->is_vf = info->device_id == s->type->vf_id;
	if (!qat_cfg_get_str(cfg, "GENERAL", "SimPciAddress", &v))
		snprintf(info->pci_addr, sizeof(info->pci_addr), "%s", v);
	else
		snprintf(info->pci_addr, sizeof(info->pci_addr),
			 "0000:f0:%02x.0", accel_id & 0x1f);
	ret = sim_read_sharing(cfg, s, info);
	if (!ret)
		ret = cfg_uint(cfg, "SimStarted", 1, 1, &started);
	if (!ret)
		ret = cfg_uint(cfg, "SimNumaNode", 0, 1023, &numa);
	for (i = 0; !ret && i < QAT_IRQ_NUM_INDEXES; i++)
		ret = cfg_uint(cfg, sim_vector_keys[i],
			       info->is_vf && i == QAT_IRQ_INTX ? 0 :
			       s->type->vectors[i], 2048, &s->vectors[i]);
	if (ret)
		return ret;
	info->started = (int)started;
	info->numa_node = qat_cfg_get_str(cfg, "GENERAL", "SimNumaNode", &v) ?
			  -1 : (int)numa;
	info->max_processes = qat_dev_max_processes(
		cfg, qat_devtype_max_processes(s->type, info->is_vf));
	return 0;
}

static void sim_dev_free(struct qat_sim_dev *s)
{
	struct qat_sim_dma *d;

	if (!s)
		return;
	qat_sim_shm_close(s);
	while ((d = s->dma)) {
		s->dma = d->next;
		free(d);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void sim_bars_init(struct qat_sim_dev *s, struct qat_dev_info *info)
{
	unsigned int i;

	for (i = 0; i < QAT_SIM_NUM_BARS; i++) {
		s->bar_size[i] = sim_bar_sizes[i];
		if (sim_bar_sizes[i])
			info->num_bars++;
	}
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* What every process sharing the device's file must agree on: its
 * identity, layout and model (the started flag is state, not
 * declaration: it may differ). */
static uint64_t sim_fingerprint(const struct qat_sim_dev *s,
				const struct qat_dev_info *info)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, s->type->name, strlen(s->type->name));
	h = fnv(h, info->pci_addr, strlen(info->pci_addr));
	h = fnv(h, &info->vendor_id, sizeof(info->vendor_id));
	h = fnv(h, &info->device_id, sizeof(info->device_id));
	h = fnv(h, s->vectors, sizeof(s->vectors));
	h = fnv(h, s->bar_size, sizeof(s->bar_size));
	return fnv(h, &s->sharing, sizeof(s->sharing));
}

/* The registry path and mode are the runtime's, handed down: the device's
 * shared file goes beside the registry. */
static int sim_add(struct qat_rt *rt, const char *registry,
		   unsigned int registry_mode, long share_gid,
		   unsigned int accel_id, struct qat_cfg *cfg)
{
	struct qat_dev_info info = { .numa_node = -1 };
	struct qat_sim_dev *s;
	struct qat_dev *dev;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s) {
		qat_cfg_free(cfg);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	ret = sim_read_decl(cfg, accel_id, s, &info);
	if (!ret) {
		sim_bars_init(s, &info);
		sim_cfg_space_init(s, &info);
		ret = qat_sim_shm_open(s, registry, registry_mode, share_gid,
				       accel_id,
				       sim_fingerprint(s, &info),
				       info.started);
	}
	/* A device other processes use is as they left it. */
	if (!ret)
		info.started = __atomic_load_n(&s->sh->started,
					       __ATOMIC_ACQUIRE) != 0;
	if (ret) {
		sim_dev_free(s);
		qat_cfg_free(cfg);
		return ret;
	}
	ret = qat_rt_add_dev(rt, &qat_sim_ops, &info, cfg, s, &dev);
	if (ret)
		return ret;
	return qat_sim_irq_init(dev);
}

static int sim_probe(struct qat_rt *rt)
{
	struct qat_cfg *cfg;
	unsigned int i;
	int ret;

	if (rt->flags & QAT_RT_NO_SIM)
		return 0;
	for (i = 0; i < rt->ncfgs; i++) {
		cfg = qat_rt_take_cfg(rt, rt->cfgs[i].accel_id, 1);
		if (!cfg)
			continue;
		ret = sim_add(rt, rt->registry_path, rt->registry_mode,
			      rt->flags & QAT_RT_REGISTRY_GROUP ?
			      (long)rt->registry_gid : -1,
			      rt->cfgs[i].accel_id, cfg);
		if (ret) {
			qat_err("%s: cannot simulate device: %s",
				rt->cfgs[i].path, qat_strerror(ret));
			return ret;
		}
	}
	return 0;
}

static void sim_dev_fini(struct qat_dev *dev)
{
	qat_sim_irq_fini(dev);
	sim_dev_free(dev->priv);
	dev->priv = NULL;
}

/* Every op that VFIO serves through the device's file first claims an
 * exclusive device, as opening that file would (qat_sim_claim()). */
static int sim_bar_info(struct qat_dev *dev, unsigned int bar, uint64_t *size,
			uint32_t *flags)
{
	struct qat_sim_dev *s = dev->priv;
	int ret = qat_sim_claim(dev);

	if (ret)
		return ret;
	if (!s->bar_size[bar])
		return -ENOENT;
	*size = s->bar_size[bar];
	*flags = QAT_BAR_MMAP | QAT_BAR_MEM64;
	return 0;
}

/* The BAR memory is the device: every mapping, in every process, sees the
 * same bytes (they live in the shared file). */
static int sim_bar_map(struct qat_dev *dev, unsigned int bar, int writable,
		       void **addr, size_t *len)
{
	struct qat_sim_dev *s = dev->priv;
	int ret = qat_sim_claim(dev);

	if (ret)
		return ret;
	if (!s->bar[bar])
		return -ENOENT;
	*addr = s->bar[bar];
	*len = s->bar_size[bar];
	__atomic_add_fetch(&s->bar_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

static int sim_bar_unmap(struct qat_dev *dev, unsigned int bar, void *addr,
			 size_t len)
{
	struct qat_sim_dev *s = dev->priv;

	if (!s->bar[bar])
		return -ENOENT;
	if (addr != s->bar[bar] || len != s->bar_size[bar])
		return -EINVAL;
	__atomic_sub_fetch(&s->bar_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

/* As vfio_let_go_idle(): the device goes when nothing of ours uses it. */
static void sim_let_go_idle(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	int busy;

	pthread_mutex_lock(&s->lock);
	busy = __atomic_load_n(&s->bar_maps, __ATOMIC_RELAXED) || s->dma;
	pthread_mutex_unlock(&s->lock);
	if (busy || !qat_sim_irq_idle(dev)) {
		qat_info("simulated device %u stays open in this process: "
			 "BAR maps, interrupts or DMA maps remain",
			 dev->info.accel_id);
		return;
	}
	qat_sim_unclaim(s);
}

/* Config space is shared too; byte by byte, as the bus moves it. */
static int sim_cfg_read(struct qat_dev *dev, unsigned int off, void *buf,
			size_t len)
{
	struct qat_sim_dev *s = dev->priv;
	uint8_t *b = buf;
	int ret = qat_sim_claim(dev);
	size_t i;

	if (ret)
		return ret;
	for (i = 0; i < len; i++)
		b[i] = __atomic_load_n(&s->cfg[off + i], __ATOMIC_RELAXED);
	return (int)len;
}

/* Keep the bits software may not change and take the rest from `v`; one
 * atomic step, since another process may write the same byte. */
static void cfg_byte_update(uint8_t *p, uint8_t keep, uint8_t v)
{
	uint8_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(p, &old,
					    (uint8_t)((old & keep) | v), 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Only the bits a real function lets software change do change. */
static int sim_cfg_write(struct qat_dev *dev, unsigned int off,
			 const void *buf, size_t len)
{
	struct qat_sim_dev *s = dev->priv;
	const uint8_t *b = buf;
	int ret = qat_sim_claim(dev);
	size_t i;

	if (ret)
		return ret;
	for (i = 0; i < len; i++)
		cfg_byte_update(&s->cfg[off + i], (uint8_t)~s->wmask[off + i],
				b[i] & s->wmask[off + i]);
	return (int)len;
}

static int sim_reset_check(struct qat_dev *dev)
{
	return qat_sim_claim(dev);
}

/* A function-level reset: registers back to power-on values, for every
 * process that maps them. */
static int sim_reset(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	unsigned int i;
	int ret = qat_sim_claim(dev);

	if (ret)
		return ret;
	for (i = 0; i < QAT_SIM_NUM_BARS; i++)
		if (s->bar[i])
			memset(s->bar[i], 0, s->bar_size[i]);
	for (i = 0; i < QAT_PCI_CFG_SPACE_SIZE; i++)
		cfg_byte_update(&s->cfg[i], (uint8_t)~s->wmask[i],
				s->cfg_init[i] & s->wmask[i]);
	return 0;
}

/* Host-wide: the flag is in the shared file. Returns the old value. */
static int sim_swap_started(struct qat_dev *dev, int started)
{
	struct qat_sim_dev *s = dev->priv;
	uint32_t was = __atomic_exchange_n(&s->sh->started,
					   started ? 1u : 0u, __ATOMIC_ACQ_REL);

	dev->info.started = !!started;
	return was != 0;
}

static int sim_set_started(struct qat_dev *dev, int started)
{
	sim_swap_started(dev, started);
	return 0;
}

/* Any non-zero word is "started": the flag is another process's to
 * write, and every value of it means one or the other. */
static int sim_started(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;

	return __atomic_load_n(&s->sh->started, __ATOMIC_ACQUIRE) != 0;
}

QAT_API int qat_sim_set_started(struct qat_dev *dev, int started)
{
	int was;

	if (!dev)
		return -EINVAL;
	if (!qat_sim_priv(dev))
		return -ENOTSUP;
	/* Only a change is an event, as the driver's up and down are; of
	 * several processes making the same change, one publishes it. */
	was = sim_swap_started(dev, started);
	if (was != !!started)
		qat_state_notify(dev, started ? QAT_EVENT_START :
				 QAT_EVENT_STOP);
	return 0;
}

static int sim_dma_map(struct qat_dev *dev, void *vaddr, uint64_t iova,
		       size_t len, uint32_t flags)
{
	struct qat_sim_dev *s = dev->priv;
	struct qat_sim_dma *d, *n;
	int ret = qat_sim_claim(dev);

	if (ret)
		return ret;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct qat_sim_dma){ iova, len, vaddr, flags, NULL };
	pthread_mutex_lock(&s->lock);
	for (d = s->dma; d; d = d->next)
		if (iova < d->iova + d->len && d->iova < iova + len)
			ret = -EEXIST; /* as the type1 IOMMU refuses overlap */
	if (!ret) {
		n->next = s->dma;
		s->dma = n;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret)
		free(n);
	return ret;
}

static int sim_dma_unmap(struct qat_dev *dev, uint64_t iova, size_t len)
{
	struct qat_sim_dev *s = dev->priv;
	struct qat_sim_dma **pp, *d;
	int ret = qat_sim_claim(dev);

	if (ret)
		return ret;
	ret = -ENOENT;
	pthread_mutex_lock(&s->lock);
	for (pp = &s->dma; (d = *pp); pp = &d->next) {
		if (d->iova == iova && d->len == len) {
			*pp = d->next;
			free(d);
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

const struct qat_backend_ops qat_sim_ops = {
	.name = "sim",
	.sharing = QAT_DEV_SHARED, /* SimSharing may say otherwise */
	.probe = sim_probe,
	.dev_fini = sim_dev_fini,
	.bar_info = sim_bar_info,
	.bar_map = sim_bar_map,
	.bar_unmap = sim_bar_unmap,
	.cfg_read = sim_cfg_read,
	.cfg_write = sim_cfg_write,
	.reset = sim_reset,
	.reset_check = sim_reset_check,
	.set_started = sim_set_started,
	.started = sim_started,
	.hold = qat_sim_claim,
	.let_go = sim_let_go_idle,
	.irq_info = qat_sim_irq_info,
	.irq_set = qat_sim_irq_set,
	.dma_map = sim_dma_map,
	.dma_unmap = sim_dma_unmap,
};
