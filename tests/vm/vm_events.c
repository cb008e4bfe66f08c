/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: the kernel's ERR and REQ interrupts as state events. Runs
 * last: it unbinds the root-port edu from vfio-pci. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

/* The next event of `dev_id` within ms, or -1. */
static int wait_event(struct qat_state_sub *sub, unsigned int dev_id, int ms)
{
	struct qat_state_event ev;
	uint64_t end = vm_now_ns() + (uint64_t)ms * 1000000u;

	while (vm_now_ns() < end) {
		while (qat_state_read(sub, &ev) == 0)
			if (ev.dev_id == dev_id)
				return ev.event;
		vm_wait_fd(qat_state_fd(sub), 100);
	}
	return -1;
}

static unsigned int accel_id(struct qat_dev *dev)
{
	struct qat_dev_info info;

	qat_dev_info(dev, &info);
	return info.accel_id;
}

/* AER through QEMU's monitor on the root port above the e1000e. */
static void check_err(struct qat_rt *rt, struct qat_dev *nic,
		      struct qat_state_sub *sub)
{
	int ret = qat_state_watch(nic, QAT_STATE_WATCH_IRQ), ev;

	if (!vm_ok(ret == 0, "ERR: qat_state_watch", "%d", ret))
		return;
	printf("@@monitor: pcie_aer_inject_error rp2 UNSUP\n");
	fflush(stdout);
	ev = wait_event(sub, accel_id(nic), 20000);
	vm_ok(ev == QAT_EVENT_ERROR, "ERR: AER on the root port reaches a "
	      "subscriber as ERROR", "event %d", ev);
	qat_state_watch(nic, 0);
}

static int driver_bound(const char *addr)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	return access(path, F_OK) == 0;
}

/* REQ: the guest's shell unbinds a device the test holds. */
static void check_req(struct qat_rt *rt, const char *addr,
		      struct qat_state_sub *sub)
{
	struct qat_dev *dev = vm_dev_by_addr(rt, addr);
	char cmd[256];
	int ret, ev;
	pid_t pid;

	ret = dev ? qat_state_watch(dev, QAT_STATE_WATCH_IRQ) : -ENODEV;
	if (!vm_ok(ret == 0, "REQ: qat_state_watch", "%d", ret))
		return;
	snprintf(cmd, sizeof(cmd),
		 "echo %s > /sys/bus/pci/drivers/vfio-pci/unbind", addr);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ev = wait_event(sub, accel_id(dev), 20000);
	vm_ok(ev == QAT_EVENT_SHUTDOWN, "REQ: unbind request reaches the "
	      "application as a state event", "event %d", ev);
	/* The driver link goes before vfio-pci's remove, which waits for
	 * the release: the shell's write is what still blocks. */
	vm_ok(waitpid(pid, &ret, WNOHANG) == 0,
	      "REQ: unbind waits while the device is held", "it returned");
	qat_state_unsubscribe(sub);
	qat_rt_close(rt); /* the release */
	ret = vm_reap(pid, 20);
	vm_ok(ret == 0 && !driver_bound(addr),
	      "REQ: unbind completes once the runtime is closed",
	      "shell exit %d, bound %d", ret, driver_bound(addr));
}

int main(void)
{
	const char *rp = vm_env("EDU_RP"), *nic_addr = vm_env("E1000E");
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *nic = vm_dev_by_addr(rt, nic_addr);
	struct qat_state_sub *sub = NULL;
	int ret;

	ret = qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL, &sub);
	if (!nic || !vm_ok(ret == 0, "events: subscribe", "%d", ret))
		return vm_done();
	check_err(rt, nic, sub);
	check_req(rt, rp, sub);
	return vm_done();
}
