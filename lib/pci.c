/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real devices: enumeration through libpci, matching against the QAT device
 * table and extra ids, accel ids, NUMA node, and the choice of backend.
 *
 * Accel ids: the matching functions sorted by PCI address (domain, bus,
 * device, function) are numbered 0, 1, 2, ... whatever else exists, so
 * that a real device's id never depends on which simulated devices are
 * declared. A simulated device declared with the same id makes
 * qat_rt_add_dev() fail with -EEXIST, and with it qat_rt_open().
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci_priv.h"

/* Test overrides of the sysfs root and the VFIO directory; "" = default. */
static char test_sysfs_root[PATH_MAX];
static char test_vfio_dir[PATH_MAX];

const char *qat_pci_sysfs_root(void)
{
	return test_sysfs_root[0] ? test_sysfs_root : QAT_PCI_DEFAULT_SYSFS;
}

const char *qat_pci_vfio_dir(void)
{
	return test_vfio_dir[0] ? test_vfio_dir : QAT_PCI_DEFAULT_VFIO;
}

void qat_pci_test_set_paths(const char *sysfs_root, const char *vfio_dir)
{
	snprintf(test_sysfs_root, sizeof(test_sysfs_root), "%s",
		 sysfs_root ? sysfs_root : "");
	snprintf(test_vfio_dir, sizeof(test_vfio_dir), "%s",
		 vfio_dir ? vfio_dir : "");
}

int qat_pci_read_attr(const char *dir, const char *name, char *buf,
		      size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return (int)n;
}

int qat_pci_link_base(const char *dir, const char *name, char *buf,
		      size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base || strlen(base) >= size)
		return -EINVAL;
	strcpy(buf, base);
	return (int)strlen(buf);
}

/* Extra PCI ids from the options and from device configurations. */
struct pci_ids {
	struct pci_id {
		uint16_t vendor, device;
	} *v;
	unsigned int n;
};

static int ids_add(struct pci_ids *ids, uint16_t vendor, uint16_t device)
{
	struct pci_id *v = realloc(ids->v, (ids->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ids->v = v;
	v[ids->n].vendor = vendor;
	v[ids->n].device = device;
	ids->n++;
	return 0;
}

static int ids_has(const struct pci_ids *ids, uint16_t vendor,
		   uint16_t device)
{
	unsigned int i;

	for (i = 0; i < ids->n; i++)
		if (ids->v[i].vendor == vendor && ids->v[i].device == device)
			return 1;
	return 0;
}

/* 1 to 4 hex digits; sscanf would also take signs, spaces and "0x". */
static int parse_hex16(const char **s, uint16_t *out)
{
	unsigned int v = 0, n = 0;
	const char *p = *s;

	for (; isxdigit((unsigned char)*p) && n < 5; p++, n++)
		v = v * 16 + (unsigned int)(isdigit((unsigned char)*p) ?
					    *p - '0' :
					    tolower((unsigned char)*p) - 'a' + 10);
	if (n == 0 || n > 4)
		return -EINVAL;
	*s = p;
	*out = (uint16_t)v;
	return 0;
}

/* Parse "vvvv:dddd[,vvvv:dddd...]"; append to `ids` unless it is NULL. */
static int ids_parse(const char *s, struct pci_ids *ids)
{
	uint16_t vendor, device;

	for (;;) {
		if (parse_hex16(&s, &vendor) || *s != ':')
			return -EINVAL;
		s++;
		if (parse_hex16(&s, &device) || (*s && *s != ','))
			return -EINVAL;
		if (ids && ids_add(ids, vendor, device))
			return -ENOMEM;
		if (!*s)
			return 0;
		s++;
	}
}

int qat_pci_ids_check(const char *list)
{
	if (ids_parse(list, NULL)) {
		qat_err("pci_ids: '%s' is not a list of vvvv:dddd PCI ids",
			list);
		return -EINVAL;
	}
	return 0;
}

/* Ids added by [GENERAL] PciId of real-device configurations. */
static int cfg_ids(struct qat_rt *rt, struct pci_ids *ids)
{
	const char *v;
	unsigned int i;
	int ret;

	for (i = 0; i < rt->ncfgs; i++) {
		const struct qat_cfg *cfg = rt->cfgs[i].cfg;

		if (!cfg || !qat_cfg_get_str(cfg, "GENERAL", "SimDevice", &v) ||
		    qat_cfg_get_str(cfg, "GENERAL", "PciId", &v))
			continue;
		ret = ids_parse(v, ids);
		if (ret == -EINVAL)
			qat_err("%s: [GENERAL] PciId: '%s' is not vvvv:dddd",
				rt->cfgs[i].path, v);
		if (ret)
			return ret;
	}
	return 0;
}

/* A matching function, copied out of libpci's list. */
struct pci_found {
	int domain;
	unsigned int bus, dev, func;
	uint16_t vendor, device;
	int numa_node;
	char driver[64];
};

struct pci_scan {
	const struct pci_ids *extra;
	struct pci_found *v;
	unsigned int n;
};

/*
 * libpci reports fatal errors through a callback that must not return
 * (its default one exits the process). Ours logs and jumps back to the
 * scan that this thread is running.
 */
static _Thread_local jmp_buf *pci_jmp;

static void pci_vlog(enum qat_log_level level, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	qat_log(level, "libpci: %s", line);
}

static __attribute__((noreturn, format(printf, 1, 2)))
void pci_on_error(char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pci_vlog(QAT_LOG_WARN, fmt, ap);
	va_end(ap);
	longjmp(*pci_jmp, 1);
}

static __attribute__((format(printf, 1, 2)))
void pci_on_warning(char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pci_vlog(QAT_LOG_WARN, fmt, ap);
	va_end(ap);
}

static int pci_match(const struct pci_scan *sc, uint16_t vendor,
		     uint16_t device)
{
	return qat_devtype_by_id(vendor, device, NULL) ||
	       ids_has(sc->extra, vendor, device);
}

static int pci_keep(struct pci_scan *sc, struct pci_dev *d)
{
	struct pci_found *f, *v;
	const char *drv;

	v = realloc(sc->v, (sc->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sc->v = v;
	f = &v[sc->n++];
	f->domain = d->domain;
	f->bus = d->bus;
	f->dev = d->dev;
	f->func = d->func;
	f->vendor = d->vendor_id;
	f->device = d->device_id;
	f->numa_node = d->known_fields & PCI_FILL_NUMA_NODE ? d->numa_node : -1;
	drv = pci_get_string_property(d, PCI_FILL_DRIVER);
	snprintf(f->driver, sizeof(f->driver), "%s", drv ? drv : "");
	return 0;
}

static int pci_collect(struct pci_access *a, struct pci_scan *sc)
{
	struct pci_dev *d;
	int ret;

	for (d = a->devices; d; d = d->next) {
		pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS |
				 PCI_FILL_NUMA_NODE | PCI_FILL_DRIVER);
		if (!pci_match(sc, d->vendor_id, d->device_id))
			continue;
		ret = pci_keep(sc, d);
		if (ret)
			return ret;
		qat_dbg("PCI %04x:%02x:%02x.%d %04x:%04x class %04x driver '%s'",
			d->domain, d->bus, d->dev, d->func, d->vendor_id,
			d->device_id, d->device_class,
			sc->v[sc->n - 1].driver);
	}
	return 0;
}

/*
 * Scan `root` (a /sys/bus/pci look-alike) with libpci's sysfs method.
 * Returns 0, -ENOMEM, or -EIO when libpci gave up (already logged).
 * A libpci error part-way leaks what libpci held at that moment: the
 * price of a library that would otherwise exit.
 */
static int pci_scan_sysfs(const char *root, struct pci_scan *sc)
{
	char path[PATH_MAX];
	struct pci_access *a;
	jmp_buf jb;
	volatile int ret = -EIO;

	snprintf(path, sizeof(path), "%s", root);
	a = pci_alloc();
	if (!a)
		return -ENOMEM;
	a->error = pci_on_error;
	a->warning = pci_on_warning;
	a->method = PCI_ACCESS_SYS_BUS_PCI;
	pci_jmp = &jb;
	if (!setjmp(jb)) {
		pci_set_param(a, "sysfs.path", path);
		pci_init(a);
		pci_scan_bus(a);
		ret = pci_collect(a, sc);
	}
	if (!setjmp(jb))
		pci_cleanup(a);
	pci_jmp = NULL;
	return ret;
}

/* What libpci's sysfs scan insists on for each entry of devices/. */
static int pci_entry_ok(const char *devices, const char *name)
{
	static const char *const attrs[] = { "vendor", "device", "class" };
	unsigned int dom, bus, dev, fn, i;
	char path[PATH_MAX];
	int n = 0;

	if (sscanf(name, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 ||
	    name[n]) {
		qat_warn("%s/%s: not a PCI address", devices, name);
		return 0;
	}
	for (i = 0; i < QAT_ARRAY_SIZE(attrs); i++) {
		if (snprintf(path, sizeof(path), "%s/%s/%s", devices, name,
			     attrs[i]) >= (int)sizeof(path) ||
		    access(path, R_OK)) {
			qat_warn("%s/%s/%s: unreadable", devices, name,
				 attrs[i]);
			return 0;
		}
	}
	return 1;
}

/*
 * libpci treats a device directory it cannot parse or read as fatal, and
 * its way out leaks. Look for those first so that it never has to; one
 * bad entry costs every real device, as it would inside libpci.
 */
static int pci_tree_sane(const char *devices)
{
	struct dirent *e;
	int ok = 1;
	DIR *d;

	d = opendir(devices);
	if (!d)
		return 0;
	while (ok && (e = readdir(d)))
		if (e->d_name[0] != '.')
			ok = pci_entry_ok(devices, e->d_name);
	closedir(d);
	return ok;
}

static int cmp_found(const void *pa, const void *pb)
{
	const struct pci_found *a = pa, *b = pb;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return (a->func > b->func) - (a->func < b->func);
}

/* A node the kernel reports but this machine does not have is as good as
 * unknown: callers would bind memory to it and fail. */
static int pci_numa_node(int node)
{
	if (node < 0)
		return -1;
	if (numa_available() < 0)
		return node == 0 ? 0 : -1; /* no NUMA: node 0 only */
	return node <= numa_max_node() ? node : -1;
}

static unsigned int pci_count_bars(const char *dir)
{
	unsigned int bar, n = 0;
	uint64_t size;
	uint32_t flags;

	for (bar = 0; bar < 6; bar++)
		if (!qat_sysfs_bar_read(dir, bar, &size, &flags))
			n++;
	return n;
}

/* The in-tree QAT driver says whether it brought the device up; other
 * drivers (vfio-pci, none) have no such file and do not veto. */
static int pci_driver_up(const char *dir)
{
	char state[16];

	if (qat_pci_read_attr(dir, "qat/state", state, sizeof(state)) < 0)
		return 1;
	return !strcmp(state, "up");
}

/* vfio-pci itself, or a vendor variant of it such as qat_vfio_pci. */
static int is_vfio_driver(const char *drv)
{
	size_t n = strlen(drv);

	return n >= 8 && (!strcmp(drv + n - 8, "vfio-pci") ||
			  !strcmp(drv + n - 8, "vfio_pci"));
}

static int pci_pick_backend(const char *dir, const struct qat_dev_info *info,
			    const char *driver,
			    const struct qat_backend_ops **ops, void **priv)
{
	int ret;

	if (is_vfio_driver(driver)) {
		ret = qat_vfio_priv_new(dir, info->pci_addr, priv);
		if (!ret) {
			*ops = &qat_vfio_ops;
			return 0;
		}
		if (ret == -ENOMEM)
			return ret;
	}
	*priv = qat_sysfs_priv_new(dir);
	*ops = &qat_sysfs_ops;
	return *priv ? 0 : -ENOMEM;
}

static int pci_add(struct qat_rt *rt, const struct pci_found *f,
		   unsigned int accel_id)
{
	struct qat_dev_info info = { .accel_id = accel_id };
	const struct qat_backend_ops *ops;
	const struct qat_devtype *t;
	struct qat_cfg *cfg;
	char dir[PATH_MAX];
	void *priv;
	int ret;

	if (snprintf(info.pci_addr, sizeof(info.pci_addr), "%04x:%02x:%02x.%x",
		     f->domain, f->bus, f->dev, f->func) >=
		    (int)sizeof(info.pci_addr) ||
	    snprintf(dir, sizeof(dir), "%s/devices/%s", qat_pci_sysfs_root(),
		     info.pci_addr) >= (int)sizeof(dir)) {
		qat_warn("PCI domain %x: address too long; device skipped",
			 f->domain);
		return 0;
	}
	t = qat_devtype_by_id(f->vendor, f->device, &info.is_vf);
	snprintf(info.type, sizeof(info.type), "%s", t ? t->name : "unknown");
	info.vendor_id = f->vendor;
	info.device_id = f->device;
	info.numa_node = pci_numa_node(f->numa_node);
	info.num_bars = pci_count_bars(dir);
	ret = pci_pick_backend(dir, &info, f->driver, &ops, &priv);
	if (ret)
		return ret;
	cfg = qat_rt_take_cfg(rt, accel_id, 0);
	info.max_processes = qat_dev_max_processes(
		cfg, t ? qat_devtype_max_processes(t, info.is_vf) :
			 QAT_PCI_UNKNOWN_MAX_PROCESSES);
	info.started = cfg && pci_driver_up(dir);
	return qat_rt_add_dev(rt, ops, &info, cfg, priv, NULL);
}

int qat_pci_probe(struct qat_rt *rt)
{
	struct pci_ids extra = { 0 };
	struct pci_scan sc = { .extra = &extra };
	const char *root = qat_pci_sysfs_root();
	char devices[PATH_MAX];
	unsigned int i;
	int ret = 0;

	if (rt->flags & QAT_RT_NO_PCI)
		return 0;
	if (rt->pci_ids)
		ret = ids_parse(rt->pci_ids, &extra);
	if (!ret)
		ret = cfg_ids(rt, &extra);
	if (ret)
		goto out;
	/* No PCI in sysfs (a container, another OS) is no real devices,
	 * not an error; libpci would treat it as fatal. */
	if (snprintf(devices, sizeof(devices), "%s/devices", root) >=
		    (int)sizeof(devices) ||
	    access(devices, R_OK | X_OK)) {
		qat_dbg("%s: %s; no real devices", devices, qat_strerror(errno));
		goto out;
	}
	if (!pci_tree_sane(devices)) {
		qat_warn("PCI devices in %s unreadable; no real devices", root);
		goto out;
	}
	ret = pci_scan_sysfs(root, &sc);
	if (ret == -EIO) {
		qat_warn("PCI enumeration of %s failed; no real devices", root);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	if (sc.n > 1) /* qsort() must not see the NULL of none */
		qsort(sc.v, sc.n, sizeof(*sc.v), cmp_found);
	for (i = 0; i < sc.n && !ret; i++)
		ret = pci_add(rt, &sc.v[i], i);
out:
	free(sc.v);
	free(extra.v);
	return ret;
}
