/* SPDX-License-Identifier: BSD-3-Clause */
/* Capability helper shared by the Check suites and the check-vm programs
 * (header-only: the guest programs do not link the Check helpers). */
#ifndef QAT_TEST_UTIL_CAPS_H
#define QAT_TEST_UTIL_CAPS_H

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Drop `cap` from this process's effective set, so that limits it would
 * bypass apply (CAP_IPC_LOCK: RLIMIT_MEMLOCK). Call it in a child or at
 * the end: it is not given back. Returns 0 or -1.
 */
static inline int qt_drop_effective_cap(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

#endif
