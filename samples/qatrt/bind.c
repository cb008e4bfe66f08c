/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qatrt bind / unbind: hand QAT functions to vfio-pci and back, through
 * sysfs as qatlib's qat_init.sh does: driver_override names the driver,
 * the current driver lets go (unbind), drivers_probe binds anew.
 *
 * Which functions are QAT ones is what the library finds (libpci and its
 * id table), asked through a runtime with no configuration at all, so a
 * broken /etc/qatrt/ cannot stop an operator from binding.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qat/qatrt.h>

#include "tool.h"

#define PCI_DEVS "/sys/bus/pci/devices"
#define VFIO_DRV "/sys/bus/pci/drivers/vfio-pci"

extern char **environ;

static int bind_err(const char *addr, const char *fmt, const char *arg)
{
	fprintf(stderr, "qatrt: %s: ", addr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

static int sysfs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = (ssize_t)strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Last component of the symlink `dir`/`name`, or "" when there is none. */
static void link_base(const char *addr, const char *name, char *out,
		      size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *b;

	snprintf(path, sizeof(path), PCI_DEVS "/%s/%s", addr, name);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	b = strrchr(target, '/');
	b = b ? b + 1 : target;
	if (strlen(b) < len)
		memcpy(out, b, strlen(b) + 1);
}

/* The QAT functions the library finds, as "dddd:bb:dd.f" strings. */
static int qat_functions(const char *pci_ids, char (**out)[16])
{
	char dir[] = "/tmp/qatrt-bind-XXXXXX";
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_SIM };
	struct qat_dev_info info;
	struct qat_dev *dev;
	struct qat_rt *rt;
	int i, n, ret;

	if (!mkdtemp(dir))
		return -errno;
	o.config_path = dir;
	o.pci_ids = pci_ids;
	o.registry_path = dir; /* never used: no claim, no event */
	ret = qat_rt_open(&o, &rt);
	rmdir(dir);
	if (ret)
		return ret;
	n = qat_dev_count(rt);
	*out = calloc((size_t)n + 1, sizeof(**out));
	if (!*out) {
		qat_rt_close(rt);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (!qat_dev_get(rt, (unsigned int)i, &dev) &&
		    !qat_dev_info(dev, &info))
			snprintf((*out)[i], sizeof((*out)[i]), "%s",
				 info.pci_addr);
	qat_rt_close(rt);
	return n;
}

/* Is /dev/vfio/<group> open in some process? Its pid, or 0. */
static int group_user(const char *group)
{
	char path[PATH_MAX], target[PATH_MAX], want[64];
	struct dirent *p, *f;
	DIR *procs, *fds;
	int pid = 0;
	ssize_t n;

	snprintf(want, sizeof(want), "/dev/vfio/%s", group);
	procs = opendir("/proc");
	while (procs && !pid && (p = readdir(procs))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !pid && (f = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 p->d_name, f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n > 0 && (target[n] = '\0', !strcmp(target, want)))
				pid = atoi(p->d_name);
		}
		if (fds)
			closedir(fds);
	}
	if (procs)
		closedir(procs);
	return pid;
}

static void modprobe_vfio(void)
{
	char *argv[] = { "modprobe", "vfio-pci", NULL };
	int status;
	pid_t pid;

	if (!access(VFIO_DRV, F_OK))
		return;
	if (!posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ))
		waitpid(pid, &status, 0);
}

static int bind_one(const char *addr)
{
	char path[PATH_MAX], drv[64], group[32];
	int ret;

	link_base(addr, "driver", drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci")) {
		printf("%s: already bound to vfio-pci\n", addr);
		return 0;
	}
	modprobe_vfio();
	if (access(VFIO_DRV, F_OK))
		return bind_err(addr, "%s", "the vfio-pci driver is not "
				"available (modprobe vfio-pci failed)");
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", addr);
	ret = sysfs_write(path, "vfio-pci");
	if (!ret && drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVS "/%s/driver/unbind", addr);
		ret = sysfs_write(path, addr);
		if (ret == -EBUSY)
			return bind_err(addr, "in use: %s would not let it go",
					drv);
	}
	if (!ret)
		ret = sysfs_write("/sys/bus/pci/drivers_probe", addr);
	if (ret)
		return bind_err(addr, "%s", strerror(-ret));
	link_base(addr, "driver", drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci"))
		return bind_err(addr, "%s", "vfio-pci did not take it (is "
				"the IOMMU on, e.g. intel_iommu=on?)");
	link_base(addr, "iommu_group", group, sizeof(group));
	printf("%s: bound to vfio-pci, /dev/vfio/%s\n", addr, group);
	return 0;
}

static int unbind_one(const char *addr)
{
	char path[PATH_MAX], drv[64], group[32];
	int ret, pid;

	link_base(addr, "driver", drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci")) {
		printf("%s: not bound to vfio-pci\n", addr);
		return 0;
	}
	link_base(addr, "iommu_group", group, sizeof(group));
	/* vfio-pci would block the unbind until the user lets go. */
	pid = group[0] ? group_user(group) : 0;
	if (pid) {
		fprintf(stderr, "qatrt: %s: in use: process %d has "
			"/dev/vfio/%s open\n", addr, pid, group);
		return 1;
	}
	ret = sysfs_write(VFIO_DRV "/unbind", addr);
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver_override", addr);
	if (!ret)
		ret = sysfs_write(path, "\n");
	if (!ret)
		ret = sysfs_write("/sys/bus/pci/drivers_probe", addr);
	if (ret)
		return bind_err(addr, "%s", strerror(-ret));
	link_base(addr, "driver", drv, sizeof(drv));
	printf("%s: unbound from vfio-pci, now %s\n", addr,
	       drv[0] ? drv : "without a driver");
	return 0;
}

static int known(char (*fns)[16], int n, const char *addr)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(fns[i], addr))
			return 1;
	return 0;
}

int tool_bind(int unbind, const char *pci_ids, char **addrs, int naddrs)
{
	const char *verb = unbind ? "unbind" : "bind";
	char (*fns)[16] = NULL;
	int n, i, bad = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "qatrt: %s needs root: it writes "
			PCI_DEVS "/*/driver_override\n", verb);
		return 1;
	}
	n = qat_functions(pci_ids, &fns);
	if (n < 0) {
		fprintf(stderr, "qatrt: cannot list the QAT functions: %s\n",
			qat_strerror(n));
		return 1;
	}
	for (i = 0; i < naddrs; i++)
		if (!known(fns, n, addrs[i]))
			bad += bind_err(addrs[i], "%s", "not a QAT function");
	if (!bad && !n)
		bad = 1, fprintf(stderr, "qatrt: no QAT function found\n");
	for (i = 0; !bad && i < (naddrs ? naddrs : n); i++) {
		const char *a = naddrs ? addrs[i] : fns[i];

		bad += unbind ? unbind_one(a) : bind_one(a);
	}
	free(fns);
	return bad ? 1 : 0;
}
