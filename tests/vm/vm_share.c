/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check-vm: several processes, one VF (issue 14). The worker scenario of
 * tests/share_scenario.h on the root-bus edu function bound to vfio-pci:
 * a holder's claim and BAR map, -EBUSY for a process without a claim, the
 * second claimer waiting until the holder lets go and then mapping BAR 0.
 * tests/check_share.c runs the same scenario on an exclusive simulated
 * device and expects the same answers.
 */
#include <stdio.h>

#include "../share_scenario.h"
#include "vm.h"

static struct qat_rt *open_rt(void)
{
	return vm_rt_open();
}

static void report(int ok, const char *what, int got, int want)
{
	vm_ok(ok, what, "got %d, want %d", got, want);
}

int main(void)
{
	const char *addr = vm_env("EDU_ROOT");
	struct qat_dev_info info;
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *dev = vm_dev_by_addr(rt, addr);
	struct share_answers a;

	vm_ok(dev && !qat_dev_info(dev, &info) &&
	      info.sharing == QAT_DEV_EXCLUSIVE && info.max_processes == 1,
	      "vfio device: exclusive, one claim at a time",
	      "sharing %u, max_processes %u", dev ? info.sharing : 0,
	      dev ? info.max_processes : 0);
	qat_rt_close(rt);
	fflush(stdout);
	vm_ok(share_scenario(open_rt, "SHARE", addr, &a) == 0,
	      "scenario: every process reported", "one did not");
	share_expect(&a, report);
	return vm_done();
}
