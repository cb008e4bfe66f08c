/* SPDX-License-Identifier: BSD-3-Clause */
/* The device API: argument checks, then the backend's ops. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dma_priv.h"
#include "internal.h"
#include "state_priv.h"

QAT_API int qat_dev_count(const struct qat_rt *rt)
{
	return rt ? (int)rt->ndevs : -EINVAL;
}

QAT_API int qat_dev_get(struct qat_rt *rt, unsigned int i,
			struct qat_dev **out)
{
	if (!rt || !out)
		return -EINVAL;
	if (i >= rt->ndevs)
		return -ENODEV;
	*out = rt->devs[i];
	return 0;
}

QAT_API int qat_dev_by_accel_id(struct qat_rt *rt, unsigned int accel_id,
				struct qat_dev **out)
{
	unsigned int i;

	if (!rt || !out)
		return -EINVAL;
	for (i = 0; i < rt->ndevs; i++) {
		if (rt->devs[i]->info.accel_id == accel_id) {
			*out = rt->devs[i];
			return 0;
		}
	}
	return -ENODEV;
}

/* 1 to `max` hex digits at *s, then `sep` (or the end for '\0'). */
static int hex_field(const char **s, int max, char sep, unsigned int *v)
{
	const char *p = *s;
	int n = 0, d;

	*v = 0;
	for (; n < max; n++, p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (*p | 0x20) - 'a' + 10;
		else
			break;
		*v = *v * 16 + (unsigned int)d;
	}
	if (!n || *p != sep)
		return -EINVAL;
	*s = sep ? p + 1 : p;
	return 0;
}

/* "dddd:bb:dd.f" or "bb:dd.f", strictly: no spaces, signs or 0x. */
static int pci_addr_parse(const char *s, unsigned int v[4])
{
	const char *p = s;

	if (hex_field(&p, 8, ':', &v[0]) == 0 &&
	    hex_field(&p, 2, ':', &v[1]) == 0 &&
	    hex_field(&p, 2, '.', &v[2]) == 0 &&
	    hex_field(&p, 1, '\0', &v[3]) == 0)
		return 0;
	p = s;
	v[0] = 0;
	if (hex_field(&p, 2, ':', &v[1]) == 0 &&
	    hex_field(&p, 2, '.', &v[2]) == 0 &&
	    hex_field(&p, 1, '\0', &v[3]) == 0)
		return 0;
	return -EINVAL;
}

QAT_API int qat_dev_by_pci_addr(struct qat_rt *rt, const char *addr,
				struct qat_dev **out)
{
	unsigned int want[4], have[4], i;

	if (!rt || !addr || !out || pci_addr_parse(addr, want) ||
	    want[2] > 0x1f || want[3] > 7)
		return -EINVAL;
	for (i = 0; i < rt->ndevs; i++) {
		if (pci_addr_parse(rt->devs[i]->info.pci_addr, have))
			continue;
		if (!memcmp(want, have, sizeof(want))) {
			*out = rt->devs[i];
			return 0;
		}
	}
	return -ENODEV;
}

QAT_API int qat_dev_accel_id(const struct qat_dev *dev)
{
	return dev ? (int)dev->info.accel_id : -EINVAL;
}

int qat_dev_started(const struct qat_dev *dev)
{
	/* The op takes a mutable device; reading the flag changes nothing. */
	return dev->ops->started ? dev->ops->started((struct qat_dev *)dev)
				 : dev->info.started;
}

int qat_dev_hold(struct qat_dev *dev)
{
	int ret;

	if (dev->info.sharing != QAT_DEV_EXCLUSIVE || !dev->ops->hold)
		return 0;
	ret = dev->ops->hold(dev);
	if (!ret)
		__atomic_add_fetch(&dev->holds, 1, __ATOMIC_ACQ_REL);
	return ret;
}

void qat_dev_let_go(struct qat_dev *dev)
{
	if (dev->info.sharing != QAT_DEV_EXCLUSIVE || !dev->ops->hold)
		return;
	if (!__atomic_sub_fetch(&dev->holds, 1, __ATOMIC_ACQ_REL) &&
	    dev->ops->let_go)
		dev->ops->let_go(dev);
}

QAT_API int qat_dev_info(const struct qat_dev *dev, struct qat_dev_info *info)
{
	if (!dev || !info)
		return -EINVAL;
	*info = dev->info;
	info->started = qat_dev_started(dev);
	return 0;
}

QAT_API const struct qat_cfg *qat_dev_cfg(const struct qat_dev *dev)
{
	return dev ? dev->cfg : NULL;
}

unsigned int qat_dev_max_processes(const struct qat_cfg *cfg,
				   unsigned int dflt)
{
	uint64_t v;

	if (cfg && qat_cfg_get_u64(cfg, "GENERAL", "MaxProcesses", &v) == 0 &&
	    v > 0 && v <= 65536)
		return (unsigned int)v;
	return dflt;
}

QAT_API int qat_dev_bar_info(struct qat_dev *dev, unsigned int bar,
			     uint64_t *size, uint32_t *flags)
{
	uint64_t s;
	uint32_t f;
	int ret;

	if (!dev || bar > 5 || !size || !flags)
		return -EINVAL;
	if (!dev->ops->bar_info)
		return -ENOTSUP;
	/* Through locals: a backend that fails part-way writes nothing. */
	ret = dev->ops->bar_info(dev, bar, &s, &f);
	if (ret)
		return ret;
	*size = s;
	*flags = f;
	return 0;
}

QAT_API int qat_dev_bar_map(struct qat_dev *dev, unsigned int bar,
			    int writable, void **addr, size_t *len)
{
	if (!dev || bar > 5 || !addr || !len)
		return -EINVAL;
	if (!dev->ops->bar_map)
		return -ENOTSUP;
	return dev->ops->bar_map(dev, bar, !!writable, addr, len);
}

QAT_API int qat_dev_bar_unmap(struct qat_dev *dev, unsigned int bar,
			      void *addr, size_t len)
{
	if (!dev || bar > 5 || !addr)
		return -EINVAL;
	if (!dev->ops->bar_unmap)
		return -ENOTSUP;
	return dev->ops->bar_unmap(dev, bar, addr, len);
}

/* A range that starts inside config space is cut at its end: the part
 * inside is transferred and counted, as for a function showing less. */
static int cfg_range_ok(unsigned int off, size_t *len)
{
	if (!*len || off >= QAT_PCI_CFG_SPACE_SIZE)
		return 0;
	if (*len > QAT_PCI_CFG_SPACE_SIZE - off)
		*len = QAT_PCI_CFG_SPACE_SIZE - off;
	return 1;
}

QAT_API int qat_dev_cfg_read(struct qat_dev *dev, unsigned int off,
			     void *buf, size_t len)
{
	if (!dev || !buf || !cfg_range_ok(off, &len))
		return -EINVAL;
	if (!dev->ops->cfg_read)
		return -ENOTSUP;
	return dev->ops->cfg_read(dev, off, buf, len);
}

QAT_API int qat_dev_cfg_write(struct qat_dev *dev, unsigned int off,
			      const void *buf, size_t len)
{
	if (!dev || !buf || !cfg_range_ok(off, &len))
		return -EINVAL;
	if (!dev->ops->cfg_write)
		return -ENOTSUP;
	return dev->ops->cfg_write(dev, off, buf, len);
}

QAT_API int qat_dev_reset(struct qat_dev *dev)
{
	int ret;

	if (!dev)
		return -EINVAL;
	if (!dev->ops->reset)
		return -ENOTSUP;
	/* A reset that cannot even start changes nothing, so tells no one:
	 * publishing RESTARTING and then ERROR would make every process on
	 * the registry give up a working device. */
	if (dev->ops->reset_check) {
		ret = dev->ops->reset_check(dev);
		if (ret)
			return ret;
	}
	/* Every process using the device learns of the reset, whichever
	 * backend did it; a reset that was tried and failed leaves the
	 * device in error. */
	qat_state_notify(dev, QAT_EVENT_RESTARTING);
	ret = dev->ops->reset(dev);
	qat_state_notify(dev, ret ? QAT_EVENT_ERROR : QAT_EVENT_RESTARTED);
	return ret;
}

static int dma_range_ok(uint64_t addr, uint64_t iova, size_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	return len && !(addr % page) && !(iova % page) && !(len % page) &&
	       iova + len > iova && addr + len > addr;
}

QAT_API int qat_dma_map(struct qat_dev *dev, void *vaddr, uint64_t iova,
			size_t len, uint32_t flags)
{
	int ret;

	if (!dev || !vaddr || !dma_range_ok((uintptr_t)vaddr, iova, len))
		return -EINVAL;
	if (!flags || flags & ~(QAT_DMA_READ | QAT_DMA_WRITE))
		return -EINVAL;
	if (!dev->ops->dma_map)
		return -ENOTSUP;
	ret = dev->ops->dma_map(dev, vaddr, iova, len, flags);
	return ret == -ENOMEM ? qat_dma_memlock_error(dev, len, ret) : ret;
}

QAT_API int qat_dma_unmap(struct qat_dev *dev, uint64_t iova, size_t len)
{
	if (!dev || !dma_range_ok(0, iova, len))
		return -EINVAL;
	if (!dev->ops->dma_unmap)
		return -ENOTSUP;
	return dev->ops->dma_unmap(dev, iova, len);
}
