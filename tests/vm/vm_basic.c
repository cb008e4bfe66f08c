/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: discovery, BARs and config space of the guest's vfio-pci
 * devices, through the public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"


static void check_discovery(struct qat_rt *rt, const char *addr)
{
	struct qat_dev *dev = vm_dev_by_addr(rt, addr);
	struct qat_dev_info info;

	if (!vm_ok(dev != NULL, "discovery: found", "%s not listed", addr))
		return;
	qat_dev_info(dev, &info);
	vm_ok(!strcmp(info.backend, "vfio"), "discovery: backend vfio",
	      "%s: backend %s", addr, info.backend);
	vm_ok(info.started == 1, "discovery: started", "%s not started", addr);
}

static void check_edu_bar0(struct qat_dev *dev, const char *addr)
{
	volatile uint32_t *r;
	void *p = NULL;
	size_t len = 0;
	int ret;

	ret = qat_dev_bar_map(dev, 0, 1, &p, &len);
	if (!vm_ok(ret == 0 && len == 1u << 20, "edu BAR0 map",
		   "%s: %s, len %zu", addr, qat_strerror(ret), len))
		return;
	r = p;
	vm_ok(r[0] == EDU_ID_VALUE, "edu BAR0 id register", "%s: 0x%08x", addr,
	      r[0]);
	r[1] = 0x12345678u;
	vm_ok(r[1] == ~0x12345678u, "edu liveness register round trip",
	      "%s: wrote 0x12345678, read 0x%08x", addr, r[1]);
	vm_ok(qat_dev_bar_unmap(dev, 0, p, len) == 0, "edu BAR0 unmap", "%s",
	      addr);
}

/* What the kernel says, asked before the library holds the group. */
struct raw_facts {
	struct vfio_region_info bar[6];
	struct vfio_irq_info irq[QAT_IRQ_NUM_INDEXES];
	unsigned int nirqs;
	int overflow_err;      /* SET_IRQS start 1, count UINT32_MAX */
};

static int raw_facts(const char *addr, struct raw_facts *f)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_irq_set set = {
		.argsz = sizeof(set), .index = VFIO_PCI_MSI_IRQ_INDEX,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.start = 1, .count = UINT32_MAX,
	};
	struct vm_raw r;
	unsigned int i;
	int ret = vm_raw_open(addr, &r);

	if (ret)
		return ret;
	memset(f, 0, sizeof(*f));
	ioctl(r.dev, VFIO_DEVICE_GET_INFO, &di);
	f->nirqs = di.num_irqs;
	for (i = 0; i < 6; i++) {
		f->bar[i] = (struct vfio_region_info){ .argsz = sizeof(f->bar[i]),
						       .index = i };
		ioctl(r.dev, VFIO_DEVICE_GET_REGION_INFO, &f->bar[i]);
	}
	for (i = 0; i < QAT_IRQ_NUM_INDEXES && i < di.num_irqs; i++) {
		f->irq[i] = (struct vfio_irq_info){ .argsz = sizeof(f->irq[i]),
						    .index = i };
		ioctl(r.dev, VFIO_DEVICE_GET_IRQ_INFO, &f->irq[i]);
	}
	f->overflow_err = ioctl(r.dev, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
	vm_raw_close(&r);
	return 0;
}

static void check_bars_irqs(struct qat_dev *dev, const char *addr,
			    const struct raw_facts *f)
{
	unsigned int i, bad = 0;
	uint8_t one = 1;

	for (i = 0; i < 6; i++) {
		uint64_t size = 0;
		uint32_t flags = 0;
		int ret = qat_dev_bar_info(dev, i, &size, &flags);

		if (f->bar[i].size ? ret != 0 || size != f->bar[i].size ||
				     !!(flags & QAT_BAR_MMAP) !=
				     !!(f->bar[i].flags & VFIO_REGION_INFO_FLAG_MMAP)
				   : ret != -ENOENT) {
			printf("  %s BAR%u: ours %d size %llu flags %x, kernel "
			       "size %llu flags %x\n", addr, i, ret,
			       (unsigned long long)size, flags,
			       (unsigned long long)f->bar[i].size,
			       f->bar[i].flags);
			bad++;
		}
	}
	vm_ok(!bad, "BAR info of every index = VFIO region info", "%s: %u differ",
	      addr, bad);
	for (bad = 0, i = 0; i < QAT_IRQ_NUM_INDEXES; i++) {
		struct qat_irq_info ii = { 0 };
		int ret = qat_irq_info(dev, i, &ii);
		uint32_t kflags = f->irq[i].flags & 0xf, kcount = f->irq[i].count;

		if (i >= f->nirqs)
			kflags = kcount = 0;
		if ((ret == 0 && (ii.flags != kflags || ii.count != kcount)) ||
		    (ret != 0 && !(ret == -EINVAL && kcount == 0))) {
			printf("  %s irq %u: ours %d flags %x count %u, kernel "
			       "flags %x count %u\n", addr, i, ret, ii.flags,
			       ii.count, kflags, kcount);
			bad++;
		}
	}
	vm_ok(!bad, "qat_irq_info = VFIO_DEVICE_GET_IRQ_INFO, every index",
	      "%s: %u differ", addr, bad);
	vm_ok(qat_irq_set(dev, QAT_IRQ_MSI, QAT_IRQ_ACTION_TRIGGER,
			  QAT_IRQ_DATA_BOOL, 1, UINT32_MAX, &one) == -EINVAL &&
	      f->overflow_err == -EINVAL,
	      "start + count overflow refused by us and by the kernel",
	      "%s: kernel %d", addr, f->overflow_err);
}

static void check_cfg(struct qat_dev *dev, const char *addr, uint16_t vendor,
		      uint16_t device, int size)
{
	uint8_t buf[16], whole[4096];
	uint16_t ids[2] = { 0 }, cmd = 0;
	int ret;

	ret = qat_dev_cfg_read(dev, 0, ids, 4);
	vm_ok(ret == 4 && ids[0] == vendor && ids[1] == device,
	      "config space ids", "%s: ret %d, %04x:%04x", addr, ret, ids[0],
	      ids[1]);
	/* Defect 2: conventional PCI (edu) shows 256 bytes, PCIe 4096. */
	ret = qat_dev_cfg_read(dev, 0, whole, sizeof(whole));
	memset(buf, 0xa5, sizeof(buf));
	vm_ok(ret == size && qat_dev_cfg_read(dev, size - 6, buf, 16) == 6 &&
	      !memcmp(buf, whole + size - 6, 6) && buf[6] == 0xa5,
	      "config read straddling the end: 6 of 16 bytes",
	      "%s: whole read %d, expected %d", addr, ret, size);
	vm_ok(size == 4096 || (qat_dev_cfg_read(dev, size, buf, 4) == -EINVAL &&
			       qat_dev_cfg_write(dev, size + 44, buf, 4) == -EINVAL),
	      "config range wholly past the region: -EINVAL", "%s", addr);
	qat_dev_cfg_read(dev, 4, &cmd, 2);
	cmd |= 0x4;
	ret = qat_dev_cfg_write(dev, 4, &cmd, 2);
	cmd = 0;
	qat_dev_cfg_read(dev, 4, &cmd, 2);
	vm_ok(ret == 2 && (cmd & 0x4), "bus master set through cfg_write",
	      "%s: ret %d, command %04x", addr, ret, cmd);
}

static void check_device(struct qat_rt *rt, const char *addr, uint16_t vendor,
			 uint16_t device, int cfg_size)
{
	struct raw_facts f;
	struct qat_dev *dev;
	int ret = raw_facts(addr, &f);

	if (!vm_ok(ret == 0, "raw VFIO open (for the kernel's answers)",
		   "%s: %s", addr, strerror(-ret)))
		return;
	dev = vm_dev_by_addr(rt, addr);
	if (!dev)
		return;
	check_bars_irqs(dev, addr, &f);
	check_cfg(dev, addr, vendor, device, cfg_size);
}

int main(void)
{
	const char *edu_root = vm_env("EDU_ROOT"), *edu_rp = vm_env("EDU_RP");
	const char *nic = vm_env("E1000E");
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *dev;

	check_discovery(rt, edu_root);
	check_discovery(rt, edu_rp);
	check_discovery(rt, nic);
	check_device(rt, edu_root, 0x1234, 0x11e8, 256);
	check_device(rt, edu_rp, 0x1234, 0x11e8, 256);
	check_device(rt, nic, 0x8086, 0x10d3, 4096);
	dev = vm_dev_by_addr(rt, edu_root);
	if (dev)
		check_edu_bar0(dev, edu_root);
	qat_rt_close(rt);
	return vm_done();
}
