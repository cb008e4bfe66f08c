/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the programs run in the check-vm guest (tests/vm/). */
#ifndef QAT_VM_H
#define QAT_VM_H

#include <qat/qatrt.h>

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

#endif
