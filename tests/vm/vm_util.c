/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static unsigned int passed, failed;

int vm_ok(int cond, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		passed++;
		printf("ok - %s\n", name);
	} else {
		failed++;
		printf("FAIL - %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
	return cond;
}

int vm_done(void)
{
	printf("@@counts %u %u\n", passed, failed);
	fflush(stdout);
	return failed != 0;
}

const char *vm_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		vm_ok(0, name, "not set: device missing from the guest");
		exit(vm_done());
	}
	return v;
}

/* The last log lines, for tests that check what the library said. */
static char logbuf[8192];

static void vm_log(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logbuf), m = strlen(msg);

	(void)arg;
	printf("  log(%d): %s\n", (int)level, msg);
	fflush(stdout);
	if (n + m + 2 > sizeof(logbuf))
		n = logbuf[0] = 0;
	if (m + 2 <= sizeof(logbuf))
		snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

const char *vm_log_find(const char *needle)
{
	return strstr(logbuf, needle);
}

void vm_log_clear(void)
{
	logbuf[0] = 0;
}

struct qat_rt *vm_rt_open(void)
{
	struct qat_rt_opts o = { .sz = sizeof(o) };
	struct qat_rt *rt = NULL;
	int ret;

	qat_set_log_fn(vm_log, NULL, QAT_LOG_INFO);
	o.config_path = getenv("VM_CONF");
	o.registry_path = "/dev/shm/qatrt-vm";
	o.flags = QAT_RT_NO_SIM;
	ret = qat_rt_open(&o, &rt);
	if (!vm_ok(ret == 0, "qat_rt_open", "%s", qat_strerror(ret)))
		exit(vm_done());
	return rt;
}

struct qat_dev *vm_dev_by_addr(struct qat_rt *rt, const char *addr)
{
	struct qat_dev_info info;
	struct qat_dev *dev;
	unsigned int i;

	for (i = 0; qat_dev_get(rt, i, &dev) == 0; i++)
		if (!qat_dev_info(dev, &info) && !strcmp(info.pci_addr, addr))
			return dev;
	return NULL;
}
