/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The runtime's edges: options sizes, what qat_rt_open() reads from a
 * configuration directory and what it logs about it, $QATRT_LOG, event
 * names and the version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

#define QAT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- options sizes (issue 9.4) ----------------------------------------- */

/* Whether `sz` is the size of some version of a struct whose fields end
 * at ends[] (the last one being the struct's size): stated here from the
 * public layout, not from the library's table. */
static int size_fits(size_t sz, const size_t *ends, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sz == ends[i])
			return 1;
	return sz > ends[n - 1];
}

START_TEST(rt_opts_sizes)
{
	/* sz, config_path, registry_path, registry_mode, flags, pci_ids,
	 * registry_gid, then padding to 48 */
	static const size_t ends[] = { 8, 16, 24, 28, 32, 40, 44, 45, 46, 47,
				       48 };
	unsigned char buf[64];
	struct qat_rt_opts *o = (struct qat_rt_opts *)(void *)buf;
	struct qat_rt *rt;
	size_t sz;
	int ret;

	ck_assert_uint_eq(sizeof(*o), 48);
	unsetenv("QATRT_CONFIG");
	for (sz = 0; sz <= sizeof(buf); sz++) {
		memset(buf, 0, sizeof(buf));
		o->config_path = qt_dir;
		o->flags = QAT_RT_NO_PCI;
		/* Past sz the bytes are not the caller's: the library
		 * must not read them (those past 48 are zero, as a newer
		 * caller's unknown fields must be). */
		o->sz = sz;
		rt = NULL;
		ret = qat_rt_open(o, &rt);
		if (size_fits(sz, ends, QAT_ARRAY_SIZE(ends)))
			ck_assert_msg(ret == 0, "sz %zu: %s", sz,
				      qat_strerror(ret));
		else
			ck_assert_msg(ret == -EINVAL && !rt,
				      "sz %zu: got %d, want -EINVAL", sz, ret);
		qat_rt_close(rt);
	}
}
END_TEST

START_TEST(proc_and_sub_opts_sizes)
{
	/* qat_proc_opts: sz, flags, timeout_ms, cancel_fd, then padding to
	 * 24; qat_state_sub_opts: sz, flags, then padding to 16 (a size in
	 * the padding cuts no field). */
	static const size_t proc_ends[] = { 8, 12, 16, 20, 21, 22, 23, 24 };
	static const size_t sub_ends[] = { 8, 12, 13, 14, 15, 16 };
	unsigned char buf[32];
	struct qat_state_sub *sub;
	struct qat_proc *p;
	struct qat_rt *rt;
	size_t sz;
	int ret;

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 1\n");
	rt = qt_rt_open(qt_dir);
	for (sz = 0; sz <= sizeof(buf); sz++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &sz, sizeof(sz));
		p = NULL;
		ret = qat_proc_acquire(rt, "SSL", (void *)buf, &p);
		if (size_fits(sz, proc_ends, QAT_ARRAY_SIZE(proc_ends)))
			ck_assert_msg(ret == 0, "proc sz %zu: %s", sz,
				      qat_strerror(ret));
		else
			ck_assert_msg(ret == -EINVAL, "proc sz %zu: %d", sz,
				      ret);
		ck_assert_int_eq(qat_proc_release(p), 0);
		sub = NULL;
		ret = qat_state_subscribe(rt, 0, (void *)buf, &sub);
		if (size_fits(sz, sub_ends, QAT_ARRAY_SIZE(sub_ends)))
			ck_assert_msg(ret == 0, "sub sz %zu: %s", sz,
				      qat_strerror(ret));
		else
			ck_assert_msg(ret == -EINVAL, "sub sz %zu: %d", sz, ret);
		qat_state_unsubscribe(sub);
	}
	qat_rt_close(rt);
}
END_TEST

/* A newer caller's struct: bytes past ours are fields this version does
 * not know, so a non-zero one is refused, never silently dropped. */
START_TEST(rt_opts_unknown_bytes)
{
	unsigned char buf[64];
	struct qat_rt_opts *o = (struct qat_rt_opts *)(void *)buf;
	struct qat_rt *rt = QT_SENTINEL;
	size_t i;

	for (i = sizeof(*o); i < sizeof(buf); i++) {
		memset(buf, 0, sizeof(buf));
		o->sz = sizeof(buf);
		o->config_path = qt_dir;
		o->flags = QAT_RT_NO_PCI;
		buf[i] = 1;
		ck_assert_msg(qat_rt_open(o, &rt) == -EINVAL,
			      "unknown byte %zu taken", i);
		qt_assert_untouched(rt);
	}
}
END_TEST

START_TEST(iopf_opts_sizes)
{
	/* sz, flags, workers, numa_node, max_partial, max_outstanding, then
	 * padding to 32. Zeroes are the defaults, so every fitting size
	 * makes a queue. */
	static const size_t ends[] = { 8, 12, 16, 20, 24, 28, 29, 30, 31, 32 };
	unsigned char buf[40];
	struct qat_iopf_queue *q;
	size_t sz;
	int ret;

	for (sz = 0; sz <= sizeof(buf); sz++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &sz, sizeof(sz));
		q = NULL;
		ret = qat_iopf_queue_alloc("sizes", (void *)buf, &q);
		if (size_fits(sz, ends, QAT_ARRAY_SIZE(ends)))
			ck_assert_msg(ret == 0, "iopf sz %zu: %s", sz,
				      qat_strerror(ret));
		else
			ck_assert_msg(ret == -EINVAL && !q, "iopf sz %zu: %d",
				      sz, ret);
		qat_iopf_queue_free(q);
	}
}
END_TEST

/* --- the configuration directory (issues 9.3, 15.3) -------------------- */

static char logs[8192];

static void keep_log(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logs);

	(void)arg;
	snprintf(logs + n, sizeof(logs) - n, "%d %s\n", (int)level, msg);
}

/* A FIFO named like a device file blocked qat_rt_open() in open(2). */
START_TEST(fifo_in_config_dir_skipped)
{
	char fifo[4200];
	struct qat_rt *rt = NULL;

	snprintf(fifo, sizeof(fifo), "%s/x_dev0.conf", qt_dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	qt_sim_conf(qt_dir, "4xxx", 1, NULL, NULL);
	logs[0] = '\0';
	qat_set_log_fn(keep_log, NULL, QAT_LOG_DEBUG);
	alarm(10);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), 0);
	alarm(0);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_msg(strstr(logs, "x_dev0.conf: skipped: not a regular file"),
		      "no log line for the FIFO:\n%s", logs);
	qat_rt_close(rt);
}
END_TEST

START_TEST(config_search_logged)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	char reg[4200], want[4400];
	struct qat_proc *p;
	struct qat_rt *rt;

	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	o.registry_path = reg;
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	o.config_path = qt_dir;
	logs[0] = '\0';
	qat_set_log_fn(keep_log, NULL, QAT_LOG_INFO);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	snprintf(want, sizeof(want), "6 looking for configuration in %s "
		 "(qat_rt_opts.config_path)\n", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	snprintf(want, sizeof(want), "6 configuration %s/4xxx_dev0.conf: "
		 "device 0", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	snprintf(want, sizeof(want), "6 configuration: 1 device file loaded "
		 "from %s\n", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	logs[0] = '\0';
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ENOENT);
	snprintf(want, sizeof(want), "3 could not find section SSL in any "
		 "device configuration (1 loaded from %s)", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	qat_rt_close(rt);

	/* An empty directory: nothing loaded, and the error says so. */
	qt_dir_teardown();
	qt_dir_setup();
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	o.config_path = qt_dir;
	logs[0] = '\0';
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	snprintf(want, sizeof(want), "6 configuration: 0 device files loaded "
		 "from %s\n", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ENOENT);
	snprintf(want, sizeof(want), "3 could not find section SSL: no "
		 "configuration was loaded (looked in %s)", qt_dir);
	ck_assert_msg(strstr(logs, want), "missing '%s' in:\n%s", want, logs);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	qat_rt_close(rt);
}
END_TEST

/* --- $QATRT_LOG (issue 15.4) ------------------------------------------- */

/* Run prog_log with $QATRT_LOG = env (NULL: unset); its stderr and
 * stdout go to err[] and out[]. Returns its exit status. */
static int run_prog_log(const char *env, const char *section, int cb,
			char *err, size_t errsz, char *out, size_t outsz)
{
	const char *bindir = getenv("QATRT_TEST_BINDIR");
	char prog[4200], reg[4200];
	int pe[2], po[2], st;
	ssize_t n;
	size_t got;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/prog_log",
		 bindir && *bindir ? bindir : "build/tests");
	ck_assert_msg(access(prog, X_OK) == 0, "%s missing", prog);
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	ck_assert_int_eq(pipe2(pe, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pe[1], 2);
		dup2(po[1], 1);
		unsetenv("QATRT_CONFIG");
		unsetenv("QATRT_REGISTRY");
		if (env)
			setenv("QATRT_LOG", env, 1);
		else
			unsetenv("QATRT_LOG");
		execl(prog, prog, qt_dir, reg, section, cb ? "cb" : "-",
		      (char *)NULL);
		_exit(99);
	}
	close(pe[1]);
	close(po[1]);
	for (got = 0; got < errsz - 1 &&
	     (n = read(pe[0], err + got, errsz - 1 - got)) > 0;)
		got += (size_t)n;
	err[got] = '\0';
	for (got = 0; got < outsz - 1 &&
	     (n = read(po[0], out + got, outsz - 1 - got)) > 0;)
		got += (size_t)n;
	out[got] = '\0';
	close(pe[0]);
	close(po[0]);
	st = qt_reap(pid);
	return st;
}

START_TEST(qatrt_log_env)
{
	char err[8192], out[8192];

	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	/* Default: silent. */
	ck_assert_int_eq(run_prog_log(NULL, "NOPE", 0, err, sizeof(err), out,
				      sizeof(out)), 0);
	ck_assert_str_eq(err, "");
	/* error: the failure, with its context, and nothing less severe. */
	ck_assert_int_eq(run_prog_log("error", "NOPE", 0, err, sizeof(err),
				      out, sizeof(out)), 0);
	ck_assert_msg(strstr(err, "libqatrt: error: could not find section "
			     "NOPE in any device configuration"), "%s", err);
	ck_assert_msg(!strstr(err, "libqatrt: info:"), "%s", err);
	/* info: where configuration was looked for. */
	ck_assert_int_eq(run_prog_log("info", "NOPE", 0, err, sizeof(err),
				      out, sizeof(out)), 0);
	ck_assert_msg(strstr(err, "libqatrt: info: looking for configuration "
			     "in "), "%s", err);
	ck_assert_msg(!strstr(err, "libqatrt: debug:"), "%s", err);
	ck_assert_int_eq(run_prog_log("debug", "-", 0, err, sizeof(err), out,
				      sizeof(out)), 0);
	ck_assert_msg(strstr(err, "libqatrt: debug: device 0: 4xxx"), "%s",
		      err);
	/* An unknown level is off, as unset. */
	ck_assert_int_eq(run_prog_log("loud", "NOPE", 0, err, sizeof(err),
				      out, sizeof(out)), 0);
	ck_assert_str_eq(err, "");
	/* The application's own log function wins. */
	ck_assert_int_eq(run_prog_log("debug", "NOPE", 1, err, sizeof(err),
				      out, sizeof(out)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_msg(strstr(out, "cb 3: could not find section NOPE"), "%s",
		      out);
}
END_TEST

/* --- names and the version (issue 15.6) -------------------------------- */

START_TEST(event_names)
{
	static const char *const want[QAT_EVENT_COUNT] = {
		"INIT", "START", "STOP", "SHUTDOWN", "RESTARTING",
		"RESTARTED", "ERROR", "PROC_CRASH", "MANUAL_DUMP",
		"SLICE_HANG", "DBG_SHUTDOWN",
	};
	int e;

	for (e = 0; e < QAT_EVENT_COUNT; e++)
		ck_assert_str_eq(qat_event_name(e), want[e]);
	ck_assert_str_eq(qat_event_name(QAT_EVENT_RESTARTED), "RESTARTED");
	ck_assert_str_eq(qat_event_name(-1), "UNKNOWN");
	ck_assert_str_eq(qat_event_name(QAT_EVENT_COUNT), "UNKNOWN");
}
END_TEST

START_TEST(version)
{
	unsigned int major = 99, minor = 99, patch = 99;

	ck_assert_uint_eq(qat_version(&major, &minor, &patch), QATRT_VERSION);
	ck_assert_uint_eq(major, QATRT_VERSION_MAJOR);
	ck_assert_uint_eq(minor, QATRT_VERSION_MINOR);
	ck_assert_uint_eq(patch, QATRT_VERSION_PATCH);
	ck_assert_uint_eq(QATRT_VERSION, 0x010000);
	ck_assert_uint_gt(QATRT_VERSION_CODE(1, 0, 1), QATRT_VERSION);
	ck_assert_uint_gt(QATRT_VERSION_CODE(1, 1, 0),
			  QATRT_VERSION_CODE(1, 0, 255));
}
END_TEST

Suite *rt_suite(void)
{
	Suite *s = suite_create("rt");
	TCase *tc = tcase_create("runtime");

	tcase_add_checked_fixture(tc, qt_dir_setup, qt_dir_teardown);
	tcase_add_test(tc, rt_opts_sizes);
	tcase_add_test(tc, proc_and_sub_opts_sizes);
	tcase_add_test(tc, iopf_opts_sizes);
	tcase_add_test(tc, rt_opts_unknown_bytes);
	tcase_add_test(tc, fifo_in_config_dir_skipped);
	tcase_add_test(tc, config_search_logged);
	tcase_add_test(tc, qatrt_log_env);
	tcase_add_test(tc, event_names);
	tcase_add_test(tc, version);
	suite_add_tcase(s, tc);
	return s;
}
