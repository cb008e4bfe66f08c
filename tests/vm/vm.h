/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the programs run in the check-vm guest (tests/vm/). */
#ifndef QAT_VM_H
#define QAT_VM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <qat/qatrt.h>

/* edu registers (BAR0) */
#define EDU_ID        0x00
#define EDU_LIVENESS  0x04
#define EDU_IRQ_STAT  0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK   0x64
#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_CNT   0x90
#define EDU_DMA_CMD   0x98
#define EDU_DMA_BUF   0x40000u
#define EDU_ID_VALUE  0x010000edu

/* One result line: "ok - name" or "FAIL - name: why". Returns cond. */
int vm_ok(int cond, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "@@counts P F" for the guest script to add up; exit status = F != 0. */
int vm_done(void);

/* The log line containing `needle` since the last vm_log_clear(), or
 * NULL (the library logs through vm_rt_open()'s callback). */
const char *vm_log_find(const char *needle);
void vm_log_clear(void);

/* The runtime over the guest's devices (config in $VM_CONF). */
struct qat_rt *vm_rt_open(void);
/* The device at PCI address `addr` (from $EDU_ROOT, ...); NULL if absent. */
struct qat_dev *vm_dev_by_addr(struct qat_rt *rt, const char *addr);
/* The environment variable `name`, or exit with a failure when unset. */
const char *vm_env(const char *name);

/* A device opened with plain VFIO ioctls (no library). */
struct vm_raw {
	int container, group, dev;
};
int vm_raw_open(const char *addr, struct vm_raw *r);
/* "/dev/vfio/<group>" of the function at addr. Returns 0 or -errno. */
int vm_group_path(const char *addr, char *path, size_t size);
void vm_raw_close(struct vm_raw *r);

uint64_t vm_now_ns(void);
/* Sort ns[], print "<name>_p50: X us" and "<name>_p99: Y us" and store
 * them (us) in p_us[0], p_us[1]; n 0 prints "not measured", stores 0. */
void vm_percentiles(const char *name, uint64_t *ns, unsigned int n,
		    double p_us[2]);
/* poll() fd for input: >0 ready, 0 timeout. */
int vm_wait_fd(int fd, int ms);
/* Exit status of pid within secs (killed after: -1). */
int vm_reap(pid_t pid, int secs);

#endif
