/* SPDX-License-Identifier: BSD-3-Clause */
/* Runtime open, device discovery and the simulated device's registers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <numaif.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "util.h"
#include "util_caps.h"

START_TEST(two_devices_in_accel_order)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	/* Written in reverse order: discovery sorts by accel id. */
	qt_sim_conf(qt_dir, "c62x", 1, "SimStarted = 0\n", NULL);
	qt_sim_conf(qt_dir, "4xxx", 0, "SimNumaNode = 0\n", "[SSL]\nA = 1\n");
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_count(rt), 2);

	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_str_eq(info.type, "4xxx");
	ck_assert_str_eq(info.backend, "sim");
	ck_assert_str_eq(info.pci_addr, "0000:f0:00.0");
	ck_assert_uint_eq(info.vendor_id, 0x8086);
	ck_assert_uint_eq(info.device_id, 0x4940);
	ck_assert_uint_eq(info.accel_id, 0);
	ck_assert_int_eq(info.numa_node, 0);
	ck_assert_int_eq(info.started, 1);
	ck_assert_int_eq(info.is_vf, 0);
	ck_assert_uint_eq(info.max_processes, 64);
	ck_assert_uint_eq(info.num_bars, 3);

	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 1), &info), 0);
	ck_assert_str_eq(info.type, "c62x");
	ck_assert_uint_eq(info.device_id, 0x37c8);
	ck_assert_uint_eq(info.accel_id, 1);
	ck_assert_int_eq(info.numa_node, -1);
	ck_assert_int_eq(info.started, 0);
	ck_assert_uint_eq(info.max_processes, 128);

	ck_assert_int_eq(qat_cfg_has_section(qat_dev_cfg(qt_dev_at(rt, 0)),
					     "SSL"), 1);
	ck_assert_ptr_null(qat_dev_cfg(NULL));
	ck_assert_int_eq(qat_dev_get(rt, 2, &(struct qat_dev *){ NULL }),
			 -ENODEV);
	qat_rt_close(rt);
}
END_TEST

START_TEST(vf_ids_and_overrides)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	qt_sim_conf(qt_dir, "4xxx", 7,
		    "SimPciId = 8086:4941\nMaxProcesses = 5\n"
		    "SimPciAddress = 0000:3d:00.1\n", NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_int_eq(info.is_vf, 1);
	ck_assert_uint_eq(info.accel_id, 7);
	ck_assert_uint_eq(info.max_processes, 5);
	ck_assert_str_eq(info.pci_addr, "0000:3d:00.1");
	qat_rt_close(rt);
}
END_TEST

START_TEST(bad_declarations)
{
	struct qat_rt *rt = QT_SENTINEL;

	qt_sim_conf(qt_dir, "nosuch", 0, NULL, NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	qt_assert_untouched(rt);
	qt_dir_teardown();
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimPciId = 8086\n", NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	qt_dir_teardown();
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimStarted = 2\n", NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -ERANGE);
	qt_assert_untouched(rt);
}
END_TEST

START_TEST(same_accel_id_twice)
{
	struct qat_rt *rt = QT_SENTINEL;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_write(qt_dir, "other_dev0.json",
		 "{\"GENERAL\": {\"SimDevice\": \"c62x\"}}");
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EEXIST);
	qt_assert_untouched(rt);
}
END_TEST

START_TEST(json_and_ignored_files)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	qt_write(qt_dir, "a_dev2.json",
		 "{\"GENERAL\": {\"SimDevice\": \"c3xxx\", \"SimMsix\": 3}}");
	qt_write(qt_dir, "README", "not a configuration");
	qt_write(qt_dir, "notes.conf", "[broken");   /* no _dev<N>: ignored */
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_str_eq(info.type, "c3xxx");
	ck_assert_uint_eq(info.accel_id, 2);
	qat_rt_close(rt);
}
END_TEST

START_TEST(config_paths)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	struct qat_rt *rt = QT_SENTINEL;
	char path[4096];

	/* A path that was asked for must exist. */
	snprintf(path, sizeof(path), "%s/missing", qt_dir);
	o.config_path = path;
	ck_assert_int_eq(qat_rt_open(&o, &rt), -ENOENT);
	qt_assert_untouched(rt);

	/* A single file works, and its name gives the accel id. */
	qt_sim_conf(qt_dir, "4xxx", 3, NULL, NULL);
	snprintf(path, sizeof(path), "%s/4xxx_dev3.conf", qt_dir);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	qat_rt_close(rt);

	/* $QATRT_CONFIG is used when the options name nothing. */
	o.config_path = NULL;
	setenv("QATRT_CONFIG", qt_dir, 1);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	qat_rt_close(rt);
	unsetenv("QATRT_CONFIG");

	/* QAT_RT_NO_SIM leaves the declaration unclaimed. */
	o.config_path = qt_dir;
	o.flags |= QAT_RT_NO_SIM;
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(options_checked)
{
	struct {
		struct qat_rt_opts o;
		unsigned long future;
	} big = { .o.sz = sizeof(big), .future = 1 };
	struct qat_rt_opts o = { .sz = sizeof(o) };
	struct qat_rt *rt = NULL;

	ck_assert_int_eq(qat_rt_open(NULL, NULL), -EINVAL);
	o.flags = 1u << 30;
	ck_assert_int_eq(qat_rt_open(&o, &rt), -EINVAL);
	o.flags = 0;
	o.registry_mode = 01777;
	ck_assert_int_eq(qat_rt_open(&o, &rt), -EINVAL);
	o.sz = 1;
	o.registry_mode = 0;
	ck_assert_int_eq(qat_rt_open(&o, &rt), -EINVAL);
	/* A newer caller's options: fine while the new fields are zero. */
	big.o.config_path = qt_dir;
	big.o.flags = QAT_RT_NO_PCI;
	ck_assert_int_eq(qat_rt_open(&big.o, &rt), -EINVAL);
	big.future = 0;
	ck_assert_int_eq(qat_rt_open(&big.o, &rt), 0);
	/* The default: the shared directory when the host has it. */
	ck_assert_str_eq(qat_rt_registry_path(rt),
			 access(QAT_RT_SHARED_DIR, F_OK) ? "/dev/shm/qatrt" :
			 QAT_RT_SHARED_REGISTRY);
	qat_rt_close(rt);
	qat_rt_close(NULL);
}
END_TEST

START_TEST(config_space_and_bars)
{
	uint8_t b[4], ones[2] = { 0xff, 0xff };
	struct qat_dev *dev;
	struct qat_rt *rt;
	uint64_t size;
	uint32_t flags;
	uint16_t cmd;
	void *addr;
	size_t len;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 4), 4);
	ck_assert_uint_eq(b[0] | b[1] << 8, 0x8086);
	ck_assert_uint_eq(b[2] | b[3] << 8, 0x4940);
	/* Vendor id is read-only; the command register takes known bits. */
	ck_assert_int_eq(qat_dev_cfg_write(dev, 0, ones, 2), 2);
	ck_assert_int_eq(qat_dev_cfg_write(dev, 4, ones, 2), 2);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 2), 2);
	ck_assert_uint_eq(b[0] | b[1] << 8, 0x8086);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 4, &cmd, 2), 2);
	ck_assert_uint_eq(cmd, 0x0406);
	/* Straddling the end: the part inside (defect 2 of issue 10). */
	ck_assert_int_eq(qat_dev_cfg_read(dev, 4095, b, 2), 1);
	ck_assert_int_eq(qat_dev_cfg_write(dev, 4090,
					   (uint8_t[16]){ 0 }, 16), 6);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 4096, b, 1), -EINVAL);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 0), -EINVAL);

	ck_assert_int_eq(qat_dev_bar_info(dev, 0, &size, &flags), 0);
	ck_assert_uint_eq(size, 256 << 10);
	ck_assert_uint_eq(flags & QAT_BAR_MMAP, QAT_BAR_MMAP);
	ck_assert_int_eq(qat_dev_bar_info(dev, 1, &size, &flags), -ENOENT);
	ck_assert_int_eq(qat_dev_bar_info(dev, 6, &size, &flags), -EINVAL);
	ck_assert_int_eq(qat_dev_bar_map(dev, 2, 1, &addr, &len), 0);
	ck_assert_uint_eq(len, 256 << 10);
	((volatile uint32_t *)addr)[4] = 0xdeadbeef;

	/* Reset: BARs and writable registers back to power-on values. */
	ck_assert_int_eq(qat_dev_reset(dev), 0);
	ck_assert_uint_eq(((volatile uint32_t *)addr)[4], 0);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 4, &cmd, 2), 2);
	ck_assert_uint_eq(cmd, 0);
	ck_assert_int_eq(qat_dev_bar_unmap(dev, 2, addr, len), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(dma_map_rules)
{
	long page = sysconf(_SC_PAGESIZE);
	struct qat_dev *dev;
	struct qat_rt *rt;
	void *buf;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	ck_assert_int_eq(posix_memalign(&buf, page, 4 * page), 0);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x100000, 2 * page,
				     QAT_DMA_READ | QAT_DMA_WRITE), 0);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x100000 + page, page,
				     QAT_DMA_READ), -EEXIST);
	ck_assert_int_eq(qat_dma_map(dev, (char *)buf + 1, 0x200000, page,
				     QAT_DMA_READ), -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x200000, page, 0), -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, UINT64_MAX - page + 1,
				     2 * page, QAT_DMA_READ), -EINVAL);
	ck_assert_int_eq(qat_dma_unmap(dev, 0x100000, page), -ENOENT);
	ck_assert_int_eq(qat_dma_unmap(dev, 0x100000, 2 * page), 0);
	ck_assert_int_eq(qat_dma_unmap(dev, 0x100000, 2 * page), -ENOENT);
	free(buf);
	qat_rt_close(rt);
}
END_TEST

START_TEST(start_stop)
{
	struct qat_dev_info info;
	struct qat_rt *rt;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 0), 0);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_int_eq(info.started, 0);
	ck_assert_int_eq(qat_sim_set_started(NULL, 0), -EINVAL);
	qat_rt_close(rt);
}
END_TEST

static int log_lines;
static char last_log[512];

static void count_log(enum qat_log_level level, const char *msg, void *arg)
{
	log_lines++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
	ck_assert_ptr_eq(arg, &log_lines);
}

START_TEST(log_and_strerror)
{
	struct qat_rt *rt = NULL;

	qt_sim_conf(qt_dir, "nosuch", 0, NULL, NULL);
	qat_set_log_fn(count_log, &log_lines, QAT_LOG_ERR);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_int_ge(log_lines, 1);
	ck_assert_ptr_nonnull(strstr(last_log, "nosuch"));

	ck_assert_str_eq(qat_strerror(0), "Success");
	ck_assert_str_eq(qat_strerror(-ENODEV), qat_strerror(ENODEV));
	ck_assert_ptr_nonnull(strstr(qat_strerror(-ENOMEM), "memory"));
	ck_assert_str_eq(qat_strerror(-123456), "Unknown error");
}
END_TEST

/* Issue 15.5: a device by accel id and by PCI address; the accel id of a
 * claim's device without a whole qat_dev_info. */
START_TEST(lookups)
{
	struct qat_dev *d = NULL, *d0, *d5;
	struct qat_proc *p;
	struct qat_rt *rt;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 1\n");
	qt_sim_conf(qt_dir, "c62x", 5, "SimPciAddress = 0000:3d:0a.1\n",
		    NULL);
	rt = qt_rt_open(qt_dir);
	d0 = qt_dev_at(rt, 0);
	d5 = qt_dev_at(rt, 1);
	ck_assert_int_eq(qat_dev_by_accel_id(rt, 5, &d), 0);
	ck_assert_ptr_eq(d, d5);
	ck_assert_int_eq(qat_dev_by_accel_id(rt, 0, &d), 0);
	ck_assert_ptr_eq(d, d0);
	d = NULL;
	ck_assert_int_eq(qat_dev_by_accel_id(rt, 1, &d), -ENODEV);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(qat_dev_by_accel_id(NULL, 0, &d), -EINVAL);

	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:3d:0a.1", &d), 0);
	ck_assert_ptr_eq(d, d5);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "3D:0A.1", &d), 0);
	ck_assert_ptr_eq(d, d5);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:f0:00.0", &d), 0);
	ck_assert_ptr_eq(d, d0);
	d = NULL;
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:3d:0a.2", &d), -ENODEV);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0001:3d:0a.1", &d), -ENODEV);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:3d:0a", &d), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, " 3d:0a.1", &d), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0x3d:0a.1", &d), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:3d:0a.1 ", &d),
			 -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "0000:3d:20.0", &d), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "", &d), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, NULL, &d), -EINVAL);

	ck_assert_int_eq(qat_dev_accel_id(d5), 5);
	ck_assert_int_eq(qat_dev_accel_id(NULL), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_dev_accel_id(qat_proc_dev(p)), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(qat_dev_accel_id(qat_proc_dev(NULL)), -EINVAL);
	qat_rt_close(rt);
}
END_TEST

/*
 * Issue 9.8: one rule for out-parameters. Every public function with one
 * returns -EINVAL for a NULL required one; the few optional ones (named
 * in common.h) take NULL and succeed. qat_dev_bar_info() returned 0.
 */
START_TEST(out_params_one_rule)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	const struct qat_cfg *cfg;
	struct qat_state_sub *sub;
	struct qat_irq_info ii;
	struct qat_state_event ev;
	struct qat_adf_state adf;
	struct qat_dev_info info;
	struct qat_dev *dev, *d;
	struct qat_cfg *c;
	struct qat_proc *p;
	struct qat_rt *rt;
	char path[4096], *json;
	const char *v;
	uint64_t size, u;
	uint32_t flags;
	void *addr;
	size_t len;
	uint8_t b[4];

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 1\n");
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	cfg = qat_dev_cfg(dev);
	snprintf(path, sizeof(path), "%s/4xxx_dev0.conf", qt_dir);
	o.config_path = qt_dir;

	ck_assert_int_eq(qat_rt_open(&o, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_get(rt, 0, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_by_accel_id(rt, 0, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "f0:00.0", NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_info(dev, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_bar_info(dev, 0, NULL, &flags), -EINVAL);
	ck_assert_int_eq(qat_dev_bar_info(dev, 0, &size, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 1, NULL, &len), -EINVAL);
	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 1, &addr, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, NULL, 4), -EINVAL);
	ck_assert_int_eq(qat_cfg_load(path, QAT_CFG_FMT_AUTO, 0, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_load_mem("m", "", 0, QAT_CFG_FMT_AUTO, 0,
					  NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_str(cfg, "GENERAL", "SimDevice", NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(cfg, "SSL", "NumProcesses", NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_dump_json(cfg, NULL), -EINVAL);
	ck_assert_int_eq(qat_irq_info(dev, 0, NULL), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 1), -EINVAL);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, NULL), -EINVAL);

	/* The same calls with every out-parameter given succeed. */
	ck_assert_int_eq(qat_dev_get(rt, 0, &d), 0);
	ck_assert_int_eq(qat_dev_by_pci_addr(rt, "f0:00.0", &d), 0);
	ck_assert_int_eq(qat_dev_info(dev, &info), 0);
	ck_assert_int_eq(qat_dev_bar_info(dev, 0, &size, &flags), 0);
	ck_assert_int_eq(qat_dev_cfg_read(dev, 0, b, 4), 4);
	ck_assert_int_eq(qat_cfg_load(path, QAT_CFG_FMT_AUTO, 0, &c, NULL), 0);
	qat_cfg_free(c);
	ck_assert_int_eq(qat_cfg_get_str(cfg, "GENERAL", "SimDevice", &v), 0);
	ck_assert_int_eq(qat_cfg_get_u64(cfg, "SSL", "NumProcesses", &u), 0);
	ck_assert_int_eq(qat_cfg_dump_json(cfg, &json), 0);
	free(json);
	ck_assert_int_eq(qat_irq_info(dev, 0, &ii), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);

	/* The optional ones. */
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 1);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &sub), 0);
	ck_assert_int_eq(qat_state_read(sub, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_read_adf(sub, NULL), -EINVAL);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EAGAIN);
	ck_assert_int_eq(qat_state_read_adf(sub, &adf), -EAGAIN);
	ck_assert_int_eq(qat_state_lost(sub, NULL, NULL), 0);
	ck_assert_uint_eq(qat_version(NULL, NULL, NULL), QATRT_VERSION);
	qat_state_unsubscribe(sub);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}
END_TEST

static unsigned int reset_irqs;

static void count_irq(struct qat_dev *dev, unsigned int index,
		      unsigned int vector, void *arg)
{
	__atomic_add_fetch(&reset_irqs, 1, __ATOMIC_SEQ_CST);
}

/* What qat_dev_reset(3) promises to read in a man page, before any user
 * has to find it out (issue 15.8). */
static void page_says(const char *page, const char *what)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen(page, "re");

	ck_assert_msg(f != NULL, "%s missing", page);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(buf, what), "%s does not say \"%s\"", page,
		      what);
}

/*
 * Issue 15.8: a reset publishes RESTARTING and RESTARTED, and handlers,
 * eventfd bindings and BAR maps survive it. The page says so.
 */
START_TEST(reset_events_and_what_survives)
{
	struct qat_state_event ev;
	struct qat_state_sub *sub;
	struct qat_dev *dev;
	struct qat_rt *rt;
	uint64_t n;
	size_t len;
	void *bar;
	int efd, i;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &sub), 0);
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_MSI, 0, 1, &efd), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev, QAT_IRQ_ERR, 0, count_irq,
					     NULL), 0);
	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 1, &bar, &len), 0);
	((volatile uint32_t *)bar)[1] = 0x1234;

	ck_assert_int_eq(qat_dev_reset(dev), 0);
	ck_assert_int_eq(qat_state_read(sub, &ev), 0);
	ck_assert_int_eq(ev.event, QAT_EVENT_RESTARTING);
	ck_assert_int_eq(qat_state_read(sub, &ev), 0);
	ck_assert_int_eq(ev.event, QAT_EVENT_RESTARTED);
	ck_assert_int_eq(qat_dev_state(dev), QAT_EVENT_RESTARTED);

	/* The BAR map is still there, showing reset values. */
	ck_assert_uint_eq(((volatile uint32_t *)bar)[1], 0);
	((volatile uint32_t *)bar)[1] = 0x5678;
	ck_assert_uint_eq(((volatile uint32_t *)bar)[1], 0x5678);
	/* The eventfd binding and the handler still fire. */
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_MSI, 0), 1);
	ck_assert_int_eq(read(efd, &n, sizeof(n)), (ssize_t)sizeof(n));
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_ERR, 0), 1);
	for (i = 0; i < 2000 && !__atomic_load_n(&reset_irqs,
						    __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	ck_assert_uint_eq(__atomic_load_n(&reset_irqs, __ATOMIC_SEQ_CST), 1);

	ck_assert_int_eq(qat_irq_handler_remove(dev, QAT_IRQ_ERR, 0,
						count_irq, NULL), 0);
	ck_assert_int_eq(qat_irq_unbind(dev, QAT_IRQ_MSI), 0);
	ck_assert_int_eq(qat_dev_bar_unmap(dev, 0, bar, len), 0);
	qat_state_unsubscribe(sub);
	close(efd);
	qat_rt_close(rt);

	page_says("man3/qat_dev_reset.3", "QAT_EVENT_RESTARTING");
	page_says("man3/qat_dev_reset.3", "QAT_EVENT_RESTARTED");
	page_says("man3/qat_dev_reset.3", "Interrupt handlers");
	page_says("man3/qat_dev_reset.3", "Eventfd bindings");
	page_says("man3/qat_dev_reset.3", "BAR maps");
}
END_TEST

/* --- qat_dma_alloc() on the simulated device ---------------------------- */

static int mem_node(void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR))
		return -1;
	return node;
}

START_TEST(dma_alloc_places_and_records)
{
	long page = sysconf(_SC_PAGESIZE);
	struct qat_dma_mem *a, *b, *c;
	struct qat_dev *dev;
	struct qat_rt *rt;
	char *p;

	qt_sim_conf(qt_dir, "4xxx", 0, "SimNumaNode = 0\n", NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	ck_assert_int_eq(qat_dma_alloc(dev, page + 1, QAT_DMA_READ |
				       QAT_DMA_WRITE, &a), 0);
	ck_assert_int_eq(qat_dma_alloc(dev, 3 * page, QAT_DMA_READ, &b), 0);
	ck_assert_uint_eq(qat_dma_len(a), 2 * page);
	ck_assert_uint_eq(qat_dma_len(b), 3 * page);
	p = qat_dma_addr(a);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % page, 0);
	ck_assert_int_eq(p[0] | p[2 * page - 1], 0);
	ck_assert_int_eq(mem_node(p), 0);
	ck_assert_uint_ge(qat_dma_iova(a), QAT_DMA_IOVA_BASE);
	ck_assert_uint_eq(qat_dma_iova(a) % page, 0);
	/* No overlap between the library's buffers, also for one smaller
	 * than those before it (first fit must look past each). */
	ck_assert(qat_dma_iova(b) >= qat_dma_iova(a) + qat_dma_len(a) ||
		  qat_dma_iova(a) >= qat_dma_iova(b) + qat_dma_len(b));
	ck_assert_int_eq(qat_dma_alloc(dev, page, QAT_DMA_READ, &c), 0);
	ck_assert(qat_dma_iova(c) >= qat_dma_iova(a) + qat_dma_len(a) ||
		  qat_dma_iova(a) >= qat_dma_iova(c) + qat_dma_len(c));
	ck_assert(qat_dma_iova(c) >= qat_dma_iova(b) + qat_dma_len(b) ||
		  qat_dma_iova(b) >= qat_dma_iova(c) + qat_dma_len(c));
	qat_dma_free(c);
	/* The sim recorded the mapping as qat_dma_map() does. */
	ck_assert_int_eq(qat_dma_map(dev, p, qat_dma_iova(a), page,
				     QAT_DMA_READ), -EEXIST);
	/* Freeing unmaps; the hole is reused first. */
	c = a;
	qat_dma_free(a);
	ck_assert_int_eq(qat_dma_unmap(dev, qat_dma_iova(b) - 2 * page,
				       2 * page), -ENOENT);
	ck_assert_int_eq(qat_dma_alloc(dev, page, QAT_DMA_WRITE, &a), 0);
	ck_assert_uint_eq(qat_dma_iova(a), QAT_DMA_IOVA_BASE);
	(void)c;
	/* Argument checks. */
	ck_assert_int_eq(qat_dma_alloc(NULL, page, QAT_DMA_READ, &c), -EINVAL);
	ck_assert_int_eq(qat_dma_alloc(dev, 0, QAT_DMA_READ, &c), -EINVAL);
	ck_assert_int_eq(qat_dma_alloc(dev, page, 0, &c), -EINVAL);
	ck_assert_int_eq(qat_dma_alloc(dev, page, 1u << 7, &c), -EINVAL);
	ck_assert_int_eq(qat_dma_alloc(dev, page, QAT_DMA_READ, NULL),
			 -EINVAL);
	ck_assert_ptr_null(qat_dma_addr(NULL));
	ck_assert_uint_eq(qat_dma_len(NULL), 0);
	qat_dma_free(NULL);
	qat_dma_free(b);
	/* `a` is left for qat_rt_close() to free (ASan builds check it). */
	qat_rt_close(rt);
}
END_TEST

START_TEST(dma_alloc_two_devices_one_space_each)
{
	struct qat_dma_mem *a, *b;
	struct qat_rt *rt;

	/* Simulated devices have an IOVA space each: same IOVA is fine. */
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_sim_conf(qt_dir, "4xxx", 1, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dma_alloc(qt_dev_at(rt, 0), 1, QAT_DMA_READ, &a),
			 0);
	ck_assert_int_eq(qat_dma_alloc(qt_dev_at(rt, 1), 1, QAT_DMA_READ, &b),
			 0);
	ck_assert_uint_eq(qat_dma_iova(a), qat_dma_iova(b));
	qat_dma_free(a);
	qat_dma_free(b);
	qat_rt_close(rt);
}
END_TEST

static char dma_log[1024];

static void keep_log(enum qat_log_level level, const char *msg, void *arg)
{
	snprintf(dma_log, sizeof(dma_log), "%s", msg);
}

START_TEST(dma_alloc_node_without_memory)
{
	struct qat_dma_mem *m = NULL;
	struct qat_rt *rt;

	qt_sim_conf(qt_dir, "4xxx", 0, "SimNumaNode = 1000\n", NULL);
	rt = qt_rt_open(qt_dir);
	qat_set_log_fn(keep_log, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_dma_alloc(qt_dev_at(rt, 0), 4096, QAT_DMA_READ,
				       &m), -ENOMEM);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(dma_log, "NUMA node 1000 has no memory"));
	qat_rt_close(rt);
}
END_TEST

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* The sanitizers make mlock() a no-op: no limit to show there. */
/* In a child, so that the runner keeps its limit and capabilities
 * (without CAP_IPC_LOCK, which root has, RLIMIT_MEMLOCK applies):
 * 0 when the limit gave -ENOMEM with the sizes logged, then a buffer
 * within the limit worked. */
static int memlock_child(struct qat_dev *dev)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct qat_dma_mem *m = NULL;

	if (qt_drop_effective_cap(CAP_IPC_LOCK) ||
	    setrlimit(RLIMIT_MEMLOCK, &rl))
		return 10;
	qat_set_log_fn(keep_log, NULL, QAT_LOG_ERR);
	if (qat_dma_alloc(dev, 1 << 20, QAT_DMA_READ, &m) != -ENOMEM || m)
		return 11;
	if (!strstr(dma_log, "RLIMIT_MEMLOCK is 65536 bytes") ||
	    !strstr(dma_log, "must be at least"))
		return 12;
	if (qat_dma_alloc(dev, 4096, QAT_DMA_READ, &m))
		return 13;
	qat_dma_free(m);
	return 0;
}

START_TEST(dma_alloc_memlock_limit)
{
	struct qat_rt *rt;
	pid_t pid;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(memlock_child(qt_dev_at(rt, 0)));
	ck_assert_int_eq(qt_reap(pid), 0);
	qat_rt_close(rt);
}
END_TEST
#endif

START_TEST(dma_alloc_not_inherited)
{
	struct qat_dma_mem *m;
	struct qat_rt *rt;
	pid_t pid;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dma_alloc(qt_dev_at(rt, 0), 1, QAT_DMA_READ, &m),
			 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Not there in the child; freeing the handle is harmless. */
		int bad = qat_dma_addr(m) != NULL || qat_dma_len(m) == 0;

		qat_dma_free(m);
		_exit(bad);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_ptr_nonnull(qat_dma_addr(m));
	((char *)qat_dma_addr(m))[0] = 1;
	/* The parent's mapping is still recorded. */
	ck_assert_int_eq(qat_dma_map(qt_dev_at(rt, 0), qat_dma_addr(m),
				     qat_dma_iova(m), 4096, QAT_DMA_READ),
			 -EEXIST);
	qat_dma_free(m);
	qat_rt_close(rt);
}
END_TEST

/* Defect 4: eventfd values below -1, as the kernel takes them. */
START_TEST(irq_set_fd_below_minus_one)
{
	int32_t bad = -5;
	struct qat_dev *dev;
	struct qat_rt *rt;
	uint64_t v;
	int efd, efd2;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	/* MSI-X: releases the vector as -1 would. */
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_MSIX, 0, 1, &efd), 0);
	ck_assert_int_eq(qat_irq_set(dev, QAT_IRQ_MSIX, QAT_IRQ_ACTION_TRIGGER,
				     QAT_IRQ_DATA_EVENTFD, 0, 1, &bad), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, QAT_IRQ_MSIX, 0), 0);
	ck_assert_int_eq(read(efd, &v, sizeof(v)), -1);
	ck_assert_int_eq(qat_irq_unbind(dev, QAT_IRQ_MSIX), 0);
	/* ERR: changes nothing; the bound eventfd stays. */
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_ERR, 0, 1, &efd2), 0);
	ck_assert_int_eq(qat_irq_set(dev, QAT_IRQ_ERR, QAT_IRQ_ACTION_TRIGGER,
				     QAT_IRQ_DATA_EVENTFD, 0, 1, &bad), 0);
	ck_assert_int_eq(qat_irq_set(dev, QAT_IRQ_ERR, QAT_IRQ_ACTION_TRIGGER,
				     QAT_IRQ_DATA_NONE, 0, 1, NULL), 0);
	ck_assert_int_eq(read(efd2, &v, sizeof(v)), (ssize_t)sizeof(v));
	close(efd);
	close(efd2);
	qat_rt_close(rt);
}
END_TEST
Suite *dev_suite(void)
{
	Suite *s = suite_create("dev");
	TCase *tc = tcase_create("discovery");

	tcase_add_checked_fixture(tc, qt_dir_setup, qt_dir_teardown);
	tcase_add_test(tc, two_devices_in_accel_order);
	tcase_add_test(tc, vf_ids_and_overrides);
	tcase_add_test(tc, bad_declarations);
	tcase_add_test(tc, same_accel_id_twice);
	tcase_add_test(tc, json_and_ignored_files);
	tcase_add_test(tc, config_paths);
	tcase_add_test(tc, options_checked);
	tcase_add_test(tc, config_space_and_bars);
	tcase_add_test(tc, dma_map_rules);
	tcase_add_test(tc, start_stop);
	tcase_add_test(tc, log_and_strerror);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, out_params_one_rule);
	tcase_add_test(tc, reset_events_and_what_survives);
	suite_add_tcase(s, tc);

	tc = tcase_create("dma_alloc");
	tcase_add_checked_fixture(tc, qt_dir_setup, qt_dir_teardown);
	tcase_add_test(tc, dma_alloc_places_and_records);
	tcase_add_test(tc, dma_alloc_two_devices_one_space_each);
	tcase_add_test(tc, dma_alloc_node_without_memory);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	tcase_add_test(tc, dma_alloc_memlock_limit);
#endif
	tcase_add_test(tc, dma_alloc_not_inherited);
	tcase_add_test(tc, irq_set_fd_below_minus_one);
	suite_add_tcase(s, tc);
	return s;
}
