/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* --- raw VFIO, for comparisons with the kernel's own answers ----------- */

int vm_group_path(const char *addr, char *path, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 addr);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(path, size, "/dev/vfio/%s", strrchr(target, '/') + 1);
	return 0;
}

int vm_raw_open(const char *addr, struct vm_raw *r)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[PATH_MAX];
	ssize_t n;

	r->container = r->group = r->dev = -1;
	n = vm_group_path(addr, path, sizeof(path));
	if (n < 0)
		return (int)n;
	r->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	r->group = open(path, O_RDWR | O_CLOEXEC);
	if (r->container < 0 || r->group < 0 ||
	    ioctl(r->group, VFIO_GROUP_GET_STATUS, &st) ||
	    ioctl(r->group, VFIO_GROUP_SET_CONTAINER, &r->container) ||
	    ioctl(r->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err;
	r->dev = ioctl(r->group, VFIO_GROUP_GET_DEVICE_FD, addr);
	if (r->dev < 0)
		goto err;
	return 0;
err:
	n = -errno;
	vm_raw_close(r);
	return (int)n;
}

void vm_raw_close(struct vm_raw *r)
{
	if (r->dev >= 0)
		close(r->dev);
	if (r->group >= 0)
		close(r->group);
	if (r->container >= 0)
		close(r->container);
	r->container = r->group = r->dev = -1;
}

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void vm_percentiles(const char *name, uint64_t *ns, unsigned int n,
		    double p_us[2])
{
	p_us[0] = p_us[1] = 0;
	if (!n) {
		printf("%s_p50: not measured\n%s_p99: not measured\n", name,
		       name);
		return;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	p_us[0] = ns[n / 2] / 1e3;
	p_us[1] = ns[n * 99 / 100] / 1e3;
	printf("%s_p50: %.1f us\n%s_p99: %.1f us\n", name, p_us[0], name,
	       p_us[1]);
	fflush(stdout);
}

int vm_wait_fd(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

int vm_reap(pid_t pid, int secs)
{
	int st, i;

	for (i = 0; i < secs * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
					       128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}
