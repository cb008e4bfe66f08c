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

/* BAR 0 map in another process: 0 mapped, 1 -EBUSY, 2 otherwise. */
static int map_elsewhere(const char *addr)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct qat_rt *rt = vm_rt_open();
		int ret = share_map(vm_dev_by_addr(rt, addr));

		qat_rt_close(rt);
		_exit(ret == 0 ? 0 : ret == -EBUSY ? 1 : 2);
	}
	return vm_reap(pid, 30);
}

/* qat_proc_release() alone gives the VF up: the claim had opened it. */
static void release_gives_up(const char *addr)
{
	struct qat_rt *rt = vm_rt_open();
	struct qat_proc *p = NULL;
	int r1, r2, r3;

	r1 = qat_proc_acquire(rt, "SHARE", NULL, &p);
	r2 = map_elsewhere(addr);
	qat_proc_release(p);
	r3 = map_elsewhere(addr);
	vm_ok(r1 == 0 && r2 == 1 && r3 == 0,
	      "release: the claim held the group, its release gives it up",
	      "acquire %d, other process %d then %d", r1, r2, r3);
	qat_rt_close(rt);
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
	release_gives_up(addr);
	return vm_done();
}
