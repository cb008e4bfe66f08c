/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: discovery, BARs and config space of the guest's vfio-pci
 * devices, through the public API only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vm.h"

#define EDU_ID 0x010000edu

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
	vm_ok(r[0] == EDU_ID, "edu BAR0 id register", "%s: 0x%08x", addr,
	      r[0]);
	r[1] = 0x12345678u;
	vm_ok(r[1] == ~0x12345678u, "edu liveness register round trip",
	      "%s: wrote 0x12345678, read 0x%08x", addr, r[1]);
	vm_ok(qat_dev_bar_unmap(dev, 0, p, len) == 0, "edu BAR0 unmap", "%s",
	      addr);
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
	dev = vm_dev_by_addr(rt, edu_root);
	if (dev)
		check_edu_bar0(dev, edu_root);
	qat_rt_close(rt);
	return vm_done();
}
