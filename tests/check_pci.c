/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real-device enumeration, the sysfs and vfio backends and the device type
 * table, without hardware: each test builds a fake /sys/bus/pci under a
 * temporary directory and points the library at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "pci_priv.h"
#include "util.h"

static char root[2048];    /* fake /sys/bus/pci */
static char vfio[2048];    /* fake /dev/vfio (absent unless a test makes it) */
static char conf[2048];    /* configuration directory */
static char logbuf[8192]; /* warnings and errors the library logged */

static void keep_log(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

/* Format a path; the test fails rather than use a truncated one. */
#define PATHF(buf, ...)                                                    \
	ck_assert_int_lt(snprintf(buf, sizeof(buf), __VA_ARGS__),          \
			 (int)sizeof(buf))

static void mkdir_p(const char *path)
{
	char tmp[4096], *p;

	PATHF(tmp, "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	ck_assert_msg(!mkdir(tmp, 0755) || errno == EEXIST, "mkdir %s: %s",
		      tmp, strerror(errno));
}

static void setup(void)
{
	char devices[4096];

	qt_dir_setup();
	PATHF(root, "%s/sys", qt_dir);
	PATHF(vfio, "%s/vfio", qt_dir);
	PATHF(conf, "%s/conf", qt_dir);
	PATHF(devices, "%s/devices", root);
	mkdir_p(devices);
	mkdir_p(conf);
	logbuf[0] = '\0';
	qat_pci_test_set_paths(root, vfio);
	qat_set_log_fn(keep_log, NULL, QAT_LOG_WARN);
}

static void teardown(void)
{
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	qat_pci_test_set_paths(NULL, NULL);
	qt_dir_teardown();
}

/* A fake PCI function. NULL strings leave the file or link out. */
struct fake {
	const char *addr;
	unsigned int vendor, device;
	const char *driver;
	const char *numa;
	const char *group;   /* IOMMU group number */
	const char *state;   /* qat/state of the in-tree driver */
};

/* BAR0: 8 KiB 64-bit memory; BAR2: 4 KiB 32-bit memory; BAR4: 32 ports
 * of I/O; the rest (BAR1, 3, 5, ROM, bridge windows) empty. */
static const char resource_file[] =
	"0x00000000f0000000 0x00000000f0001fff 0x0000000000140204\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x00000000f0100000 0x00000000f0100fff 0x0000000000040200\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x000000000000e000 0x000000000000e01f 0x0000000000040101\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";

static void write_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void fake_bars(const char *d)
{
	static uint32_t bar0[0x2000 / 4], bar2[0x1000 / 4];
	uint8_t cfg[256] = { 0 };
	char path[4096];

	bar0[0] = 0x12345678;
	bar2[0] = 0x9abcdef0;
	qt_write(d, "resource", resource_file);
	PATHF(path, "%s/resource0", d);
	write_bytes(path, bar0, sizeof(bar0));
	PATHF(path, "%s/resource2", d);
	write_bytes(path, bar2, sizeof(bar2));
	PATHF(path, "%s/config", d);
	cfg[0] = 0x86;
	cfg[1] = 0x80;
	cfg[2] = 0x40;
	cfg[3] = 0x49;
	write_bytes(path, cfg, sizeof(cfg));
}

static void fake_links(const char *d, const struct fake *f)
{
	char path[4096], target[4096];

	if (f->driver) {
		PATHF(path, "%s/drivers/%s", root, f->driver);
		mkdir_p(path);
		PATHF(path, "%s/driver", d);
		PATHF(target, "../../drivers/%s", f->driver);
		ck_assert_int_eq(symlink(target, path), 0);
	}
	if (f->group) {
		PATHF(path, "%s/iommu_group", d);
		PATHF(target, "../../../kernel/iommu_groups/%s", f->group);
		ck_assert_int_eq(symlink(target, path), 0);
	}
}

static void fake_dev(const struct fake *f)
{
	char d[4096], val[64];

	PATHF(d, "%s/devices/%s", root, f->addr);
	mkdir_p(d);
	PATHF(val, "0x%04x\n", f->vendor);
	qt_write(d, "vendor", val);
	PATHF(val, "0x%04x\n", f->device);
	qt_write(d, "device", val);
	qt_write(d, "class", "0x0b4000\n");
	if (f->numa)
		qt_write(d, "numa_node", f->numa);
	if (f->state) {
		PATHF(val, "%s/qat", d);
		mkdir_p(val);
		qt_write(val, "state", f->state);
	}
	fake_bars(d);
	fake_links(d, f);
}

/* FAKE(addr, vendor, device, .driver = ..., ...) */
#define FAKE(a, v, d, ...) \
	fake_dev(&(struct fake){ .addr = (a), .vendor = (v), .device = (d), \
				 __VA_ARGS__ })

static int try_open(const char *pci_ids, unsigned int flags,
		    struct qat_rt **out)
{
	struct qat_rt_opts o = { .sz = sizeof(o) };
	char reg[4096];

	PATHF(reg, "%s/registry", qt_dir);
	o.config_path = conf;
	o.registry_path = reg;
	o.flags = flags;
	o.pci_ids = pci_ids;
	return qat_rt_open(&o, out);
}

static struct qat_rt *open_rt(const char *pci_ids)
{
	struct qat_rt *rt = NULL;
	int ret = try_open(pci_ids, 0, &rt);

	ck_assert_msg(ret == 0, "qat_rt_open: %s\n%s", qat_strerror(ret),
		      logbuf);
	return rt;
}

static struct qat_dev_info info_at(struct qat_rt *rt, unsigned int i)
{
	struct qat_dev_info info;

	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, i), &info), 0);
	return info;
}

START_TEST(known_ids_in_address_order)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	/* Created out of order: accel ids follow the PCI address. */
	FAKE("0001:00:00.0", 0x8086, 0x0435, .driver = "qat_dh895xcc");
	FAKE("0000:3d:00.0", 0x8086, 0x4940,
	     .driver = "qat_4xxx", .numa = "0\n", .state = "up\n");
	FAKE("0000:00:02.0", 0x1af4, 0x1042, .driver = "virtio-pci");
	FAKE("0000:3d:00.1", 0x8086, 0x4941, .numa = "0\n");
	FAKE("0000:1a:00.0", 0x8086, 0x37c8, .numa = "-1\n");
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 4);

	info = info_at(rt, 0);
	ck_assert_str_eq(info.pci_addr, "0000:1a:00.0");
	ck_assert_str_eq(info.type, "c62x");
	ck_assert_str_eq(info.backend, "sysfs");
	ck_assert_uint_eq(info.vendor_id, 0x8086);
	ck_assert_uint_eq(info.device_id, 0x37c8);
	ck_assert_uint_eq(info.accel_id, 0);
	ck_assert_int_eq(info.numa_node, -1);
	ck_assert_int_eq(info.is_vf, 0);
	ck_assert_int_eq(info.started, 0);
	ck_assert_uint_eq(info.max_processes, 128);
	ck_assert_uint_eq(info.num_bars, 3);

	info = info_at(rt, 1);
	ck_assert_str_eq(info.pci_addr, "0000:3d:00.0");
	ck_assert_str_eq(info.type, "4xxx");
	ck_assert_uint_eq(info.accel_id, 1);
	ck_assert_int_eq(info.numa_node, 0);
	ck_assert_int_eq(info.started, 0); /* up, but not configured */
	ck_assert_uint_eq(info.max_processes, 64);

	info = info_at(rt, 2);
	ck_assert_str_eq(info.pci_addr, "0000:3d:00.1");
	ck_assert_int_eq(info.is_vf, 1);
	ck_assert_uint_eq(info.max_processes, 4);

	info = info_at(rt, 3);
	ck_assert_str_eq(info.pci_addr, "0001:00:00.0");
	ck_assert_str_eq(info.type, "dh895xcc");
	ck_assert_uint_eq(info.accel_id, 3);
	ck_assert_uint_eq(info.max_processes, 256);
	ck_assert_ptr_null(qat_dev_cfg(qt_dev_at(rt, 3)));
	qat_rt_close(rt);
}
END_TEST

START_TEST(numa_nodes_checked)
{
	struct qat_rt *rt;

	FAKE("0000:01:00.0", 0x8086, 0x4940, .numa = "0\n");
	FAKE("0000:02:00.0", 0x8086, 0x4940, .numa = "1000\n");
	FAKE("0000:03:00.0", 0x8086, 0x4940, .numa = "-1\n");
	FAKE("0000:04:00.0", 0x8086, 0x4940);
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 4);
	ck_assert_int_eq(info_at(rt, 0).numa_node, 0);
	/* A node this machine does not have is no better than unknown. */
	ck_assert_int_eq(info_at(rt, 1).numa_node, -1);
	ck_assert_int_eq(info_at(rt, 2).numa_node, -1);
	ck_assert_int_eq(info_at(rt, 3).numa_node, -1);
	qat_rt_close(rt);
}
END_TEST

START_TEST(extra_ids_from_options)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	FAKE("0000:00:04.0", 0x1234, 0x11e8);
	FAKE("0000:00:05.0", 0x8086, 0x4940);
	FAKE("0000:00:06.0", 0x1af4, 0x1042);
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	qat_rt_close(rt);

	rt = open_rt("1234:11e8");
	ck_assert_int_eq(qat_dev_count(rt), 2);
	info = info_at(rt, 0);
	ck_assert_str_eq(info.type, "unknown");
	ck_assert_uint_eq(info.vendor_id, 0x1234);
	ck_assert_uint_eq(info.device_id, 0x11e8);
	ck_assert_uint_eq(info.max_processes, QAT_PCI_UNKNOWN_MAX_PROCESSES);
	ck_assert_str_eq(info_at(rt, 1).type, "4xxx");
	ck_assert_uint_eq(info_at(rt, 1).accel_id, 1);
	qat_rt_close(rt);

	rt = open_rt("1AF4:1042,1234:11E8,8086:4940");
	ck_assert_int_eq(qat_dev_count(rt), 3);
	qat_rt_close(rt);
}
END_TEST

START_TEST(bad_pci_ids)
{
	static const char *const bad[] = {
		"", "1234", "1234:", ":11e8", "12345:1", "1234:11e8,",
		",1234:11e8", "1234:11e8 ", " 1234:11e8", "0x1234:11e8",
		"-123:4", "1234;11e8", "1234:11e8,,1:2", "g234:11e8",
	};
	static const char *const good[] = { "1:2", "abcd:EF01,0:0" };
	struct qat_rt *rt = QT_SENTINEL;
	unsigned int i;

	for (i = 0; i < QAT_ARRAY_SIZE(bad); i++) {
		logbuf[0] = '\0';
		/* Checked even when PCI enumeration is off. */
		ck_assert_msg(try_open(bad[i], QAT_RT_NO_PCI, &rt) == -EINVAL,
			      "'%s' accepted", bad[i]);
		qt_assert_untouched(rt);
		ck_assert_ptr_nonnull(strstr(logbuf, "pci_ids"));
	}
	for (i = 0; i < QAT_ARRAY_SIZE(good); i++) {
		ck_assert_int_eq(try_open(good[i], 0, &rt), 0);
		qat_rt_close(rt);
		rt = NULL;
	}
}
END_TEST

START_TEST(configuration_starts_devices)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	FAKE("0000:3d:00.0", 0x8086, 0x4940,
	     .driver = "qat_4xxx", .state = "up\n");
	FAKE("0000:3e:00.0", 0x8086, 0x4940,
	     .driver = "qat_4xxx", .state = "up\n");
	FAKE("0000:3f:00.0", 0x8086, 0x4940,
	     .driver = "qat_4xxx", .state = "down\n");
	FAKE("0000:40:00.0", 0x8086, 0x4940);
	qt_write(conf, "4xxx_dev1.conf",
		 "[GENERAL]\nMaxProcesses = 3\n[SSL]\nNumProcesses = 2\n");
	qt_write(conf, "4xxx_dev2.conf", "[GENERAL]\n[SSL]\n");
	qt_write(conf, "4xxx_dev3.conf", "[GENERAL]\n[SSL]\n");
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 4);

	ck_assert_int_eq(info_at(rt, 0).started, 0);
	ck_assert_ptr_null(qat_dev_cfg(qt_dev_at(rt, 0)));

	info = info_at(rt, 1);
	ck_assert_int_eq(info.started, 1);
	ck_assert_uint_eq(info.max_processes, 3);
	ck_assert_int_eq(qat_cfg_has_section(qat_dev_cfg(qt_dev_at(rt, 1)),
					     "SSL_INT_1"), 1);

	/* Configured, but the QAT driver has it down. */
	ck_assert_int_eq(info_at(rt, 2).started, 0);
	ck_assert_ptr_nonnull(qat_dev_cfg(qt_dev_at(rt, 2)));
	/* Configured and no driver to say otherwise. */
	ck_assert_int_eq(info_at(rt, 3).started, 1);
	qat_rt_close(rt);
}
END_TEST

START_TEST(configuration_adds_ids)
{
	struct qat_dev_info info;
	struct qat_rt *rt = NULL;

	FAKE("0000:00:04.0", 0x1234, 0x11e8, .driver = "vfio-pci");
	qt_write(conf, "edu_dev0.conf",
		 "[GENERAL]\nPciId = 1234:11e8\n[SSL]\n");
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	info = info_at(rt, 0);
	ck_assert_str_eq(info.type, "unknown");
	ck_assert_int_eq(info.started, 1);
	ck_assert_ptr_nonnull(qat_dev_cfg(qt_dev_at(rt, 0)));
	qat_rt_close(rt);
	rt = QT_SENTINEL;

	qt_write(conf, "edu_dev0.conf", "[GENERAL]\nPciId = 1234-11e8\n");
	logbuf[0] = '\0';
	ck_assert_int_eq(try_open(NULL, 0, &rt), -EINVAL);
	qt_assert_untouched(rt);
	ck_assert_ptr_nonnull(strstr(logbuf, "PciId"));
}
END_TEST

START_TEST(simulated_ids_collide)
{
	struct qat_rt *rt = QT_SENTINEL;

	FAKE("0000:3d:00.0", 0x8086, 0x4940);
	qt_sim_conf(conf, "4xxx", 0, NULL, NULL);
	ck_assert_int_eq(try_open(NULL, 0, &rt), -EEXIST);
	qt_assert_untouched(rt);
	ck_assert_ptr_nonnull(strstr(logbuf, "0000:3d:00.0"));

	ck_assert_int_eq(try_open(NULL, QAT_RT_NO_PCI, &rt), 0);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_str_eq(info_at(rt, 0).backend, "sim");
	qat_rt_close(rt);

	/* A simulated device out of the way: both, in accel id order. */
	qt_rmtree(conf);
	mkdir_p(conf);
	qt_sim_conf(conf, "c62x", 5, NULL, NULL);
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 2);
	ck_assert_str_eq(info_at(rt, 0).backend, "sysfs");
	ck_assert_uint_eq(info_at(rt, 0).accel_id, 0);
	ck_assert_str_eq(info_at(rt, 1).backend, "sim");
	ck_assert_uint_eq(info_at(rt, 1).accel_id, 5);
	qat_rt_close(rt);
}
END_TEST

START_TEST(no_pci_flag)
{
	struct qat_rt *rt = NULL;

	FAKE("0000:3d:00.0", 0x8086, 0x4940);
	ck_assert_int_eq(try_open(NULL, QAT_RT_NO_PCI, &rt), 0);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(unusable_sysfs)
{
	struct qat_rt *rt = NULL;
	char path[4096];

	/* No devices/ at all: no real devices, not an error. */
	PATHF(path, "%s/nothing", qt_dir);
	qat_pci_test_set_paths(path, vfio);
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	qat_rt_close(rt);
	qat_pci_test_set_paths(root, vfio);

	/* An entry libpci cannot parse would be fatal inside libpci. */
	FAKE("0000:3d:00.0", 0x8086, 0x4940);
	PATHF(path, "%s/devices/junk", root);
	mkdir_p(path);
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "junk"));
	qat_rt_close(rt);

	/* So would a device without its vendor file. */
	ck_assert_int_eq(rmdir(path), 0);
	PATHF(path, "%s/devices/0000:3d:00.0/vendor", root);
	ck_assert_int_eq(unlink(path), 0);
	logbuf[0] = '\0';
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "vendor"));
	qat_rt_close(rt);
}
END_TEST

START_TEST(libpci_error_is_survived)
{
	struct qat_rt *rt = NULL;
	char path[4096];
	int ret;

	/* A vendor "file" that opens but cannot be read gets past our
	 * checks; libpci's fatal error must come back as no devices. */
	FAKE("0000:3d:00.0", 0x8086, 0x4940);
	PATHF(path, "%s/devices/0000:3d:00.0/vendor", root);
	ck_assert_int_eq(unlink(path), 0);
	mkdir_p(path);
#ifdef __SANITIZE_ADDRESS__
	__lsan_disable(); /* libpci's state at the error is lost, by design */
#endif
	ret = try_open(NULL, 0, &rt);
#ifdef __SANITIZE_ADDRESS__
	__lsan_enable();
#endif
	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "libpci"));
	qat_rt_close(rt);
}
END_TEST

static void noop_cb(struct qat_dev *dev, unsigned int index,
		    unsigned int vector, void *arg)
{
}

START_TEST(sysfs_backend)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t size;
	uint32_t flags, v;
	struct qat_dev *dev;
	struct qat_rt *rt;
	uint8_t b[4];
	void *addr;
	size_t len;

	FAKE("0000:3d:00.0", 0x8086, 0x4940, .driver = "qat_4xxx");
	rt = open_rt(NULL);
	dev = qt_dev_at(rt, 0);
	ck_assert_str_eq(info_at(rt, 0).backend, "sysfs");

	ck_assert_int_eq(qat_dev_bar_info(dev, 0, &size, &flags), 0);
	ck_assert_uint_eq(size, 0x2000);
	ck_assert_uint_eq(flags, QAT_BAR_MMAP | QAT_BAR_MEM64);
	ck_assert_int_eq(qat_dev_bar_info(dev, 2, &size, &flags), 0);
	ck_assert_uint_eq(size, 0x1000);
	ck_assert_uint_eq(flags, QAT_BAR_MMAP);
	ck_assert_int_eq(qat_dev_bar_info(dev, 4, &size, &flags), 0);
	ck_assert_uint_eq(size, 0x20);
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(qat_dev_bar_info(dev, 1, &size, &flags), -ENOENT);
	ck_assert_int_eq(qat_dev_bar_info(dev, 5, &size, &flags), -ENOENT);

	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 1, &addr, &len), -EPERM);
	ck_assert_int_eq(qat_dev_bar_map(dev, 4, 0, &addr, &len), -ENOTSUP);
	ck_assert_int_eq(qat_dev_bar_map(dev, 1, 0, &addr, &len), -ENOENT);
	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 0, &addr, &len), 0);
	ck_assert_uint_eq(len, 0x2000);
	memcpy(&v, addr, 4);
	ck_assert_uint_eq(v, 0x12345678);
	ck_assert_int_eq(qat_dev_bar_unmap(dev, 0, addr, len), 0);
	ck_assert_int_eq(qat_dev_bar_map(dev, 2, 0, &addr, &len), 0);
	memcpy(&v, addr, 4);
	ck_assert_uint_eq(v, 0x9abcdef0);
	ck_assert_int_eq(qat_dev_bar_unmap(dev, 2, addr, len), 0);

	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 4), 4);
	ck_assert_uint_eq(b[0] | b[1] << 8, 0x8086);
	ck_assert_uint_eq(b[2] | b[3] << 8, 0x4940);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 254, b, 4), 2);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 256, b, 4), -EINVAL);
	ck_assert_int_eq(qat_dev_cfg_write(dev, 4, b, 2), -EPERM);
	ck_assert_int_eq(qat_dev_reset(dev), -ENOTSUP);
	ck_assert_int_eq(posix_memalign(&addr, page, page), 0);
	ck_assert_int_eq(qat_dma_map(dev, addr, 0, page, QAT_DMA_READ),
			 -ENOTSUP);
	ck_assert_int_eq(qat_dma_unmap(dev, 0, page), -ENOTSUP);
	free(addr);
	/* No interrupts on sysfs, and it is not simulated (irq.h, sim.h,
	 * state.h each promise -ENOTSUP for such a backend). */
	ck_assert_int_eq(qat_irq_info(dev, QAT_IRQ_MSIX,
				      &(struct qat_irq_info){ 0 }), -ENOTSUP);
	ck_assert_int_eq(qat_irq_set(dev, QAT_IRQ_MSIX, QAT_IRQ_ACTION_TRIGGER,
				     QAT_IRQ_DATA_NONE, 0, 0, NULL), -ENOTSUP);
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_MSIX, 0, 1,
				      (int[]){ -1 }), -ENOTSUP);
	ck_assert_int_eq(qat_irq_handler_add(dev, QAT_IRQ_MSIX, 0, noop_cb,
					     NULL), -ENOTSUP);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), -ENOTSUP);
	ck_assert_int_eq(qat_sim_set_started(dev, 1), -ENOTSUP);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_MSIX, 0), -ENOTSUP);
	ck_assert_int_eq(qat_sim_inject_event(dev, QAT_EVENT_ERROR), -ENOTSUP);
	ck_assert_int_eq(qat_sim_dma(dev, 1, 4096, 4096, 1), -ENOTSUP);
	qat_rt_close(rt);
}
END_TEST

START_TEST(vfio_unreachable_is_listed)
{
	struct qat_rt *rt;

	/* Bound to vfio-pci, but without /dev/vfio (as on this host) or
	 * without an IOMMU group: still listed, read-only, with a reason. */
	FAKE("0000:3d:00.1", 0x8086, 0x4941,
	     .driver = "vfio-pci", .group = "7");
	FAKE("0000:3d:00.2", 0x8086, 0x4941, .driver = "vfio-pci");
	rt = open_rt(NULL);
	ck_assert_int_eq(qat_dev_count(rt), 2);
	ck_assert_str_eq(info_at(rt, 0).backend, "sysfs");
	ck_assert_str_eq(info_at(rt, 1).backend, "sysfs");
	ck_assert_ptr_nonnull(strstr(logbuf, "0000:3d:00.1"));
	ck_assert_ptr_nonnull(strstr(logbuf, "/vfio/7"));
	ck_assert_ptr_nonnull(strstr(logbuf, "0000:3d:00.2"));
	ck_assert_ptr_nonnull(strstr(logbuf, "IOMMU group"));
	qat_rt_close(rt);
}
END_TEST

START_TEST(vfio_opened_on_first_use)
{
	struct qat_dev *dev;
	struct qat_rt *rt;
	uint64_t size;
	uint32_t flags;
	uint8_t b[4];

	/* Nodes that exist but are no VFIO: open succeeds (nothing is
	 * opened yet), first use fails cleanly, and keeps failing. */
	FAKE("0000:3d:00.1", 0x8086, 0x4941,
	     .driver = "qat_vfio_pci", .group = "7");
	mkdir_p(vfio);
	qt_write(vfio, "vfio", "");
	qt_write(vfio, "7", "");
	rt = open_rt(NULL);
	dev = qt_dev_at(rt, 0);
	ck_assert_str_eq(info_at(rt, 0).backend, "vfio");
	ck_assert_uint_eq(info_at(rt, 0).num_bars, 3);
	ck_assert_str_eq(logbuf, "");
	ck_assert_int_eq(qat_dev_bar_info(dev, 0, &size, &flags), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(logbuf, "not a VFIO container"));
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 4), -ENOTSUP);
	ck_assert_int_eq(qat_dev_reset(dev), -ENOTSUP);
	ck_assert_int_eq(qat_dev_cfg_write(dev, 4, b, 2), -ENOTSUP);
	qat_rt_close(rt);
}
END_TEST

/* Geometry from the drivers: banks x rings/bank / 2 processes, a VF's
 * share, and one MSI-X vector per bank plus one. */
static const struct {
	const char *name;
	uint16_t pf, vf;
	unsigned int pf_procs, vf_procs;
} expected_types[] = {
	{ "dh895xcc", 0x0435, 0x0443, 256, 8 },
	{ "c62x", 0x37c8, 0x37c9, 128, 8 },
	{ "c3xxx", 0x19e2, 0x19e3, 128, 8 },
	{ "200xx", 0x18ee, 0x18ef, 128, 8 },
	{ "d15xx", 0x6f54, 0x6f55, 128, 8 },
	{ "c4xxx", 0x18a0, 0x18a1, 512, 4 },
	{ "4xxx", 0x4940, 0x4941, 64, 4 },
	{ "401xx", 0x4942, 0x4943, 64, 4 },
	{ "402xx", 0x4944, 0x4945, 64, 4 },
	{ "420xx", 0x4946, 0x4947, 64, 4 },
	{ "6xxx", 0x4948, 0x4949, 64, 4 },
};

START_TEST(device_type_table)
{
	const struct qat_devtype *t, *u;
	unsigned int i, j, n = 0;
	int is_vf = -1;

	for (i = 0; i < QAT_ARRAY_SIZE(expected_types); i++) {
		t = qat_devtype_by_name(expected_types[i].name);
		ck_assert_msg(t != NULL, "%s missing", expected_types[i].name);
		ck_assert_uint_eq(t->vendor_id, 0x8086);
		ck_assert_uint_eq(t->pf_id, expected_types[i].pf);
		ck_assert_uint_eq(t->vf_id, expected_types[i].vf);
		ck_assert_uint_eq(qat_devtype_max_processes(t, 0),
				  expected_types[i].pf_procs);
		ck_assert_uint_eq(qat_devtype_max_processes(t, 1),
				  expected_types[i].vf_procs);
		ck_assert_uint_eq(t->vectors[QAT_IRQ_MSIX], t->banks + 1);
		ck_assert_ptr_eq(qat_devtype_by_id(0x8086, t->vf_id, &is_vf), t);
		ck_assert_int_eq(is_vf, 1);
		ck_assert_ptr_eq(qat_devtype_by_id(0x8086, t->pf_id, &is_vf), t);
		ck_assert_int_eq(is_vf, 0);
	}
	/* Every id names one type only, and every type is expected. */
	for (i = 0; (t = qat_devtype_at(i)); i++, n++)
		for (j = i + 1; (u = qat_devtype_at(j)); j++)
			ck_assert(t->pf_id != u->pf_id && t->pf_id != u->vf_id &&
				  t->vf_id != u->vf_id && t->vf_id != u->pf_id);
	ck_assert_uint_eq(n, QAT_ARRAY_SIZE(expected_types));
	ck_assert_ptr_null(qat_devtype_by_id(0x8087, 0x4940, NULL));
	ck_assert_ptr_null(qat_devtype_by_name("c6xx"));
}
END_TEST

Suite *pci_suite(void); /* called by the generated runner */

Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("enumeration");
	TCase *tb = tcase_create("backends");
	TCase *tt = tcase_create("types");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, known_ids_in_address_order);
	tcase_add_test(tc, numa_nodes_checked);
	tcase_add_test(tc, extra_ids_from_options);
	tcase_add_test(tc, bad_pci_ids);
	tcase_add_test(tc, configuration_starts_devices);
	tcase_add_test(tc, configuration_adds_ids);
	tcase_add_test(tc, simulated_ids_collide);
	tcase_add_test(tc, no_pci_flag);
	tcase_add_test(tc, unusable_sysfs);
	tcase_add_test(tc, libpci_error_is_survived);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tb, setup, teardown);
	tcase_add_test(tb, sysfs_backend);
	tcase_add_test(tb, vfio_unreachable_is_listed);
	tcase_add_test(tb, vfio_opened_on_first_use);
	suite_add_tcase(s, tb);

	tcase_add_test(tt, device_type_table);
	suite_add_tcase(s, tt);
	return s;
}
