/* SPDX-License-Identifier: BSD-3-Clause */
/* Runtime open, device discovery and the simulated device's registers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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
	struct qat_rt *rt = NULL;

	qt_sim_conf(qt_dir, "nosuch", 0, NULL, NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	ck_assert_ptr_null(rt);
	qt_dir_teardown();
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimPciId = 8086\n", NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	qt_dir_teardown();
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimStarted = 2\n", NULL);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -ERANGE);
	ck_assert_ptr_null(rt);
}
END_TEST

START_TEST(same_accel_id_twice)
{
	struct qat_rt *rt = NULL;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_write(qt_dir, "other_dev0.json",
		 "{\"GENERAL\": {\"SimDevice\": \"c62x\"}}");
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EEXIST);
	ck_assert_ptr_null(rt);
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
	struct qat_rt *rt = NULL;
	char path[4096];

	/* A path that was asked for must exist. */
	snprintf(path, sizeof(path), "%s/missing", qt_dir);
	o.config_path = path;
	ck_assert_int_eq(qat_rt_open(&o, &rt), -ENOENT);
	ck_assert_ptr_null(rt);

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
	ck_assert_int_eq(qat_dev_cfg_read(dev, 4095, b, 2), -EINVAL);
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
	suite_add_tcase(s, tc);
	return s;
}
