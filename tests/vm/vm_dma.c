/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: DMA through the edu engine with qat_dma_map() and
 * qat_dma_alloc() buffers; RLIMIT_MEMLOCK errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../util_caps.h"
#include "vm.h"

#define XFER 1024u   /* below the end of edu's 4 KiB buffer */

static volatile uint32_t *bar;

/* edu takes its DMA registers whole: one 8-byte access. */
static void wr64(unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(bar + off / 4) = v;
}

/* One edu transfer; dir 0: RAM (iova) to buffer, 1: buffer to RAM.
 * edu runs it from a 100 ms timer: wait for the start bit to clear. */
static int edu_dma(uint64_t iova, unsigned int buf_off, int dir)
{
	int i;

	wr64(EDU_DMA_SRC, dir ? EDU_DMA_BUF + buf_off : iova);
	wr64(EDU_DMA_DST, dir ? iova : EDU_DMA_BUF + buf_off);
	wr64(EDU_DMA_CNT, XFER);
	bar[EDU_DMA_CMD / 4] = 1u | (dir ? 2u : 0u);
	for (i = 0; i < 300 && (bar[EDU_DMA_CMD / 4] & 1); i++)
		usleep(10000);
	return bar[EDU_DMA_CMD / 4] & 1 ? -ETIMEDOUT : 0;
}

/* RAM at src -> edu buffer -> RAM at dst; bytes compared. */
static int round_trip(uint8_t *src, uint64_t src_iova, uint8_t *dst,
		      uint64_t dst_iova, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < XFER; i++)
		src[i] = (uint8_t)(i * 7 + seed);
	memset(dst, 0, XFER);
	if (edu_dma(src_iova, 0, 0) || edu_dma(dst_iova, 0, 1))
		return -ETIMEDOUT;
	return memcmp(src, dst, XFER) ? -EIO : 0;
}

static void check_memlock(struct qat_dev *dev)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct qat_dma_mem *m = NULL;
	size_t len = 1 << 20;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r1, r2;

	if (qt_drop_effective_cap(CAP_IPC_LOCK) ||
	    setrlimit(RLIMIT_MEMLOCK, &rl)) {
		vm_ok(0, "memlock: limit set", "cannot drop CAP_IPC_LOCK");
		return;
	}
	/* Touched: a read-only pin of untouched memory takes the zero page,
	 * which the kernel does not charge. */
	memset(p, 1, len);
	vm_log_clear();
	r1 = qat_dma_map(dev, p, 0x800000, len, QAT_DMA_READ);
	vm_ok(r1 == -ENOMEM && vm_log_find("RLIMIT_MEMLOCK is 65536 bytes") &&
	      vm_log_find("must be at least"),
	      "qat_dma_map past RLIMIT_MEMLOCK: -ENOMEM, log says how much",
	      "ret %d", r1);
	vm_log_clear();
	r2 = qat_dma_alloc(dev, len, QAT_DMA_READ, &m);
	vm_ok(r2 == -ENOMEM && !m && vm_log_find("RLIMIT_MEMLOCK"),
	      "qat_dma_alloc past RLIMIT_MEMLOCK: -ENOMEM, logged",
	      "ret %d", r2);
	munmap(p, len);
}

int main(void)
{
	const char *addr = vm_env("EDU_ROOT");
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *dev = vm_dev_by_addr(rt, addr);
	long page = sysconf(_SC_PAGESIZE);
	struct qat_dma_mem *m = NULL, *m2 = NULL;
	uint16_t cmd = 0;
	uint8_t *two;
	void *p;
	size_t len;
	int ret;

	if (!dev || qat_dev_bar_map(dev, 0, 1, &p, &len)) {
		vm_ok(0, "dma: setup", "no %s or BAR0", addr);
		return vm_done();
	}
	bar = p;
	qat_dev_cfg_read(dev, 4, &cmd, 2);
	cmd |= 0x4; /* bus master: edu DMA needs it */
	qat_dev_cfg_write(dev, 4, &cmd, 2);

	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = qat_dma_map(dev, two, 0x10000, 2 * page,
			  QAT_DMA_READ | QAT_DMA_WRITE);
	if (vm_ok(ret == 0, "qat_dma_map of two pages", "%d", ret)) {
		ret = round_trip(two, 0x10000, two + page, 0x10000 + page, 1);
		vm_ok(ret == 0, "edu DMA round trip through qat_dma_map pages",
		      "%s", strerror(-ret));
		vm_ok(qat_dma_unmap(dev, 0x10000, 2 * page) == 0,
		      "qat_dma_unmap", "failed");
	}
	ret = qat_dma_alloc(dev, 2 * page, QAT_DMA_READ | QAT_DMA_WRITE, &m);
	if (vm_ok(ret == 0, "qat_dma_alloc", "%d", ret)) {
		uint8_t *a = qat_dma_addr(m);

		ret = round_trip(a, qat_dma_iova(m), a + page,
				 qat_dma_iova(m) + page, 3);
		vm_ok(ret == 0, "edu DMA round trip through a qat_dma_alloc "
		      "buffer", "%s", strerror(-ret));
		ret = qat_dma_alloc(dev, page, QAT_DMA_READ, &m2);
		vm_ok(ret == 0 && (qat_dma_iova(m2) >= qat_dma_iova(m) +
				   qat_dma_len(m)),
		      "second buffer's IOVA does not overlap", "%d", ret);
		qat_dma_free(m2);
		uint64_t iova = qat_dma_iova(m);
		qat_dma_free(m);
		/* Freed means unmapped in the kernel too. */
		vm_ok(qat_dma_unmap(dev, iova, 2 * page) == -ENOENT,
		      "qat_dma_free unmapped", "mapping still there");
	}
	check_memlock(dev);
	qat_dev_bar_unmap(dev, 0, p, len);
	qat_rt_close(rt);
	return vm_done();
}
