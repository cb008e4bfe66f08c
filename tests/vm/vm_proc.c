/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: a second process gets -EBUSY naming the group; the fork rule
 * (defect 3): a child never shares its parent's group or container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

static int bar0_info(struct qat_dev *dev)
{
	uint64_t size;
	uint32_t flags;

	return qat_dev_bar_info(dev, 0, &size, &flags);
}

/* A log line since the last clear names the device's group node. */
static int names_group(const char *addr)
{
	char path[256], needle[260];

	if (vm_group_path(addr, path, sizeof(path)))
		return 0;
	snprintf(needle, sizeof(needle), "%s:", path); /* not /dev/vfio/20 */
	return vm_log_find(needle) != NULL;
}

/* "second": a separate program run (exec), as another user would. */
static int second_process(const char *addr)
{
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *dev = vm_dev_by_addr(rt, addr);
	int ret = dev ? bar0_info(dev) : -ENODEV;

	vm_ok(ret == -EBUSY, "second process: -EBUSY", "got %d", ret);
	if (dev) {
		struct qat_dma_mem *mem = NULL;

		ret = qat_dma_alloc(dev, 4096, QAT_DMA_READ, &mem);
		vm_ok(ret == -EBUSY && !mem,
		      "second process: qat_dma_alloc -EBUSY, nothing allocated",
		      "got %d", ret);
		qat_dma_free(mem);
	}
	vm_ok(names_group(addr), "second process: log line names the group",
	      "no such line");
	qat_rt_close(rt);
	return vm_done();
}

/* Forked child of a process that holds the group. Waits on `go` for the
 * parent to close its runtime, then must be able to open it itself. */
static int fork_child(struct qat_rt *inherited, const char *addr, int go)
{
	struct qat_rt *rt;
	struct qat_dev *dev;
	char c;
	void *buf;
	int r1, r2, r3, r4;

	vm_log_clear();
	r1 = bar0_info(vm_dev_by_addr(inherited, addr));
	rt = vm_rt_open();
	dev = vm_dev_by_addr(rt, addr);
	r2 = bar0_info(dev);
	vm_ok(r1 == -EBUSY && r2 == -EBUSY,
	      "fork: child does not share the parent's group",
	      "inherited runtime %d, new runtime %d", r1, r2);
	vm_ok(names_group(addr), "fork: child's log line names the group",
	      "no such line");
	if (read(go, &c, 1) != 1)
		c = 0;
	r3 = bar0_info(dev);
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r4 = qat_dma_map(dev, buf, 0x100000, 4096, QAT_DMA_READ);
	vm_ok(r3 == 0 && r4 == 0,
	      "fork: child opens the group itself once the parent let go",
	      "bar info %d, dma map %d", r3, r4);
	/* The parent's IOVA 0x100000 was in its own container: no clash. */
	qat_dma_unmap(dev, 0x100000, 4096);
	qat_rt_close(rt);
	qat_rt_close(inherited);
	return vm_done();
}

int main(int argc, char **argv)
{
	const char *addr = vm_env("EDU_ROOT");
	struct qat_rt *rt;
	struct qat_dev *dev;
	void *buf;
	int pfd[2], ret;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "second"))
		return second_process(addr);
	rt = vm_rt_open();
	dev = vm_dev_by_addr(rt, addr);
	if (!dev || bar0_info(dev)) {
		vm_ok(0, "proc: parent opens the device", "%s", addr);
		return vm_done();
	}
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vm_ok(qat_dma_map(dev, buf, 0x100000, 4096, QAT_DMA_READ) == 0,
	      "parent maps IOVA 0x100000", "failed");

	/* Another process. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "second", (char *)NULL);
		_exit(127);
	}
	ret = vm_reap(pid, 30);
	vm_ok(ret == 0, "second process passed", "exit %d", ret);

	/* A forked child. */
	if (pipe(pfd))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[1]);
		_exit(fork_child(rt, addr, pfd[0]));
	}
	close(pfd[0]);
	sleep(1);
	/* The parent's mapping survived the child's attempts. */
	vm_ok(qat_dma_map(dev, buf, 0x100000, 4096, QAT_DMA_READ) == -EEXIST,
	      "parent's mapping untouched by the child", "not there");
	qat_rt_close(rt);
	if (write(pfd[1], "g", 1) != 1)
		return 1;
	ret = vm_reap(pid, 30);
	vm_ok(ret == 0, "forked child passed", "exit %d", ret);
	return vm_done();
}
