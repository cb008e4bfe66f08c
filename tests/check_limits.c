/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Limits at their boundaries and refusals the headers promise, each in a
 * form that fails when the check behind it is removed (tests/README.md
 * maps every promise to its test): the handle quarantine, the registry's
 * file type and mode, a registry replaced while in use, waiting for ever,
 * where the registry path comes from, the state ring, input sizes, DMA
 * ranges and log levels.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static char reg[4200];       /* "<qt_dir>/registry": the tests' base path */
static char reg_proc[4300];  /* its process registry file */
static char reg_state[4300]; /* its state segment */

static void setup(void)
{
	qt_dir_setup();
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	snprintf(reg_proc, sizeof(reg_proc), "%s.proc", reg);
	snprintf(reg_state, sizeof(reg_state), "%s.state", reg);
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 2\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct qat_proc *take(struct qat_rt *rt)
{
	struct qat_proc *p = QT_SENTINEL;
	int ret = qat_proc_acquire(rt, "SSL", NULL, &p);

	ck_assert_msg(ret == 0, "acquire: %s", qat_strerror(ret));
	ck_assert_ptr_ne(p, QT_SENTINEL);
	return p;
}

static char logged[1024];
static int log_lines;

static void keep_log(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logged);

	log_lines++;
	snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
}

static void log_start(enum qat_log_level max)
{
	logged[0] = '\0';
	log_lines = 0;
	qat_set_log_fn(keep_log, NULL, max);
}

static void log_stop(void)
{
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
}

/* ---- handles ------------------------------------------------------------ */

/*
 * proc.h: a released handle is recycled only after 256 later releases, so
 * a stale release before that is -EBADF, never the end of someone else's
 * claim; and none is freed (so the memory does get reused after that).
 */
START_TEST(handle_quarantine_256)
{
	struct qat_rt *rt = qt_rt_open(qt_dir);
	struct qat_proc *p, *q, *holder;
	unsigned int i;
	int reused = 0;

	holder = take(rt); /* SSL_INT_0: every later claim is SSL_INT_1 */
	p = take(rt);
	ck_assert_int_eq(qat_proc_release(p), 0);
	for (i = 1; i <= 256; i++) {
		q = take(rt);
		ck_assert_msg(q != p, "released handle reused after %u "
			      "releases", i - 1);
		/* A stale release must not end q's claim. */
		ck_assert_int_eq(qat_proc_release(p), -EBADF);
		ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 2);
		ck_assert_int_eq(qat_proc_release(q), 0);
	}
	for (i = 0; i < 64 && !reused; i++) {
		q = take(rt);
		reused = q == p;
		ck_assert_int_eq(qat_proc_release(q), 0);
	}
	ck_assert_msg(reused, "handles are never recycled");
	ck_assert_int_eq(qat_proc_release(holder), 0);
	qat_rt_close(rt);
}
END_TEST

/* ---- the registry file ------------------------------------------------- */

/* Attach once (creating both files), then close. */
static void make_registry(void)
{
	struct qat_state_sub *sub = NULL;
	struct qat_rt *rt = qt_rt_open(qt_dir);

	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &sub), 0);
	qat_state_unsubscribe(sub);
	qat_rt_close(rt);
}

/* What a runtime opened now gets from the process registry. */
static void proc_answer(struct qat_rt *rt, int want, const char *why)
{
	struct qat_proc *p = QT_SENTINEL;
	int ret;

	log_start(QAT_LOG_ERR);
	ret = qat_proc_acquire(rt, "SSL", NULL, &p);
	ck_assert_msg(ret == want, "%s: acquire %s, want %s", why,
		      qat_strerror(ret), qat_strerror(want));
	if (want) {
		qt_assert_untouched(p);
		ck_assert_int_eq(qat_proc_list(rt, NULL, 0), want);
		ck_assert_msg(strstr(logged, "registry.proc"),
			      "%s: nothing logged: %s", why, logged);
	} else {
		ck_assert_int_eq(qat_proc_release(p), 0);
	}
	log_stop();
}

static void expect_proc(int want, const char *why)
{
	struct qat_rt *rt = qt_rt_open(qt_dir);

	proc_answer(rt, want, why);
	qat_rt_close(rt);
}

/* The same, and what the state segment answers. */
static void expect_registry(int want, const char *why)
{
	struct qat_state_sub *sub = QT_SENTINEL;
	struct qat_rt *rt = qt_rt_open(qt_dir);
	int ret;

	proc_answer(rt, want, why);
	ret = qat_state_subscribe(rt, 0, NULL, &sub);
	ck_assert_msg(ret == want, "%s: subscribe %s, want %s", why,
		      qat_strerror(ret), qat_strerror(want));
	if (want)
		qt_assert_untouched(sub);
	else
		qat_state_unsubscribe(sub);
	qat_rt_close(rt);
}

static void chmod_both(mode_t mode)
{
	ck_assert_int_eq(chmod(reg_proc, mode), 0);
	ck_assert_int_eq(chmod(reg_state, mode), 0);
}

/* proc.h: -EPERM for a registry writable by others; a group-shared one
 * (0660) is fine. The state segment is the same kind of file. */
START_TEST(registry_mode_refused)
{
	make_registry();
	chmod_both(0660);
	expect_registry(0, "0660");
	chmod_both(0602);
	expect_registry(-EPERM, "0602");
	chmod_both(0666);
	expect_registry(-EPERM, "0666");
	chmod_both(0600);
	expect_registry(0, "0600 again");
}
END_TEST

/* proc.h: -EPERM for a registry that is not a regular file (a FIFO opens
 * read-write without blocking, so only the type check can refuse it). */
START_TEST(registry_type_refused)
{
	ck_assert_int_eq(mkfifo(reg_proc, 0600), 0);
	ck_assert_int_eq(mkfifo(reg_state, 0600), 0);
	expect_registry(-EPERM, "FIFO");
}
END_TEST

/* proc.h: -EPROTO for a registry whose file is not exactly the size its
 * header and our configuration give, larger or smaller (a smaller one
 * mapped whole would fault past its end). */
START_TEST(registry_size_checked)
{
	struct stat st;

	make_registry();
	ck_assert_int_eq(stat(reg_proc, &st), 0);
	ck_assert_int_eq(truncate(reg_proc, st.st_size + 4096), 0);
	expect_proc(-EPROTO, "one page longer");
	ck_assert_int_eq(truncate(reg_proc, st.st_size - 1), 0);
	expect_proc(-EPROTO, "one byte short");
	ck_assert_int_eq(truncate(reg_proc, st.st_size), 0);
	expect_proc(0, "right size");
}
END_TEST

/* rt.c/proc_reg.c: a registry file replaced under a runtime that mapped
 * the old one is -ESTALE (locks on the new file would exclude no one). */
START_TEST(registry_replaced_while_in_use)
{
	char copy[4400], cmd[9000];
	struct qat_proc *p = QT_SENTINEL;
	struct qat_rt *rt = qt_rt_open(qt_dir), *fresh;

	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0); /* mapped */
	snprintf(copy, sizeof(copy), "%s.copy", reg_proc);
	snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s'", reg_proc, copy);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rename(copy, reg_proc), 0);
	log_start(QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ESTALE);
	log_stop();
	qt_assert_untouched(p);
	ck_assert_ptr_nonnull(strstr(logged, "replaced"));
	/* A runtime opened now uses the new file. */
	fresh = qt_rt_open(qt_dir);
	p = take(fresh);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(fresh);
	qat_rt_close(rt);
}
END_TEST

/* rt.h: the registry path comes from the options, else $QATRT_REGISTRY,
 * else QAT_RT_DEFAULT_REGISTRY (an empty variable counts as unset). */
START_TEST(registry_path_fallback)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	char env[4300], envfile[4400];
	struct qat_proc *p;
	struct qat_rt *rt;

	ck_assert_ptr_null(getenv("QATRT_REGISTRY")); /* check_main.c */
	snprintf(env, sizeof(env), "%s/from-env", qt_dir);
	snprintf(envfile, sizeof(envfile), "%s.proc", env);
	o.config_path = qt_dir;
	setenv("QATRT_REGISTRY", env, 1);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_str_eq(qat_rt_registry_path(rt), env);
	p = take(rt);
	ck_assert_int_eq(access(envfile, F_OK), 0);
	ck_assert_int_eq(access(reg_proc, F_OK), -1);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);

	o.registry_path = reg; /* the options win over the environment */
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_str_eq(qat_rt_registry_path(rt), reg);
	qat_rt_close(rt);

	o.registry_path = NULL;
	setenv("QATRT_REGISTRY", "", 1);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_str_eq(qat_rt_registry_path(rt), QAT_RT_DEFAULT_REGISTRY);
	qat_rt_close(rt);
	unsetenv("QATRT_REGISTRY");
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_str_eq(qat_rt_registry_path(rt), QAT_RT_DEFAULT_REGISTRY);
	qat_rt_close(rt);
}
END_TEST

/* ---- waiting ------------------------------------------------------------ */

/* proc.h: with QAT_PROC_WAIT, timeout_ms < 0 waits for ever: well past
 * any poll interval, until the holder lets go. */
START_TEST(wait_forever)
{
	static const int timeouts[] = { -1, INT_MIN };
	struct qat_proc_opts o = { .sz = sizeof(o), .flags = QAT_PROC_WAIT };
	struct qat_rt *rt = qt_rt_open(qt_dir);
	struct qat_proc *a = take(rt), *b = take(rt);
	uint64_t t0, dt;
	unsigned int i;
	pid_t pid;

	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		o.timeout_ms = timeouts[i];
		t0 = now_ms();
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			struct qat_proc *c = NULL;

			_exit(qat_proc_acquire(rt, "SSL", &o, &c) ? 2 : 0);
		}
		usleep(700 * 1000); /* far past the 10 ms poll */
		ck_assert_int_eq(kill(pid, 0), 0); /* still waiting */
		ck_assert_int_eq(qat_proc_release(b), 0);
		ck_assert_msg(qt_reap(pid) == 0, "timeout_ms %d did not wait",
			      timeouts[i]);
		dt = now_ms() - t0;
		ck_assert_uint_ge(dt, 650);
		b = take(rt); /* the child's claim died with it */
	}
	ck_assert_int_eq(qat_proc_release(a), 0);
	ck_assert_int_eq(qat_proc_release(b), 0);
	qat_rt_close(rt);
}
END_TEST

/* ---- state -------------------------------------------------------------- */

/* state.h: the segment keeps the last QAT_STATE_RING_EVENTS events: a
 * subscriber exactly that far behind loses nothing; one more is lost. */
START_TEST(state_ring_boundary)
{
	const unsigned int ring = QAT_STATE_RING_EVENTS;
	struct qat_rt *rt = qt_rt_open(qt_dir);
	struct qat_dev *dev = qt_dev_at(rt, 0);
	struct qat_state_sub *sub = NULL;
	struct qat_state_event ev;
	uint64_t last, total, seq0 = 0;
	unsigned int i;

	ck_assert_int_eq(qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL,
					     &sub), 0);
	for (i = 0; i < ring; i++)
		ck_assert_int_eq(qat_state_publish(rt, dev, QAT_EVENT_START), 0);
	for (i = 0; i < ring; i++) {
		ck_assert_int_eq(qat_state_read(sub, &ev), 0);
		if (!i)
			seq0 = ev.seq;
		ck_assert_uint_eq(ev.seq, seq0 + i);
	}
	ck_assert_int_eq(qat_state_read(sub, &ev), -EAGAIN);
	ck_assert_int_eq(qat_state_lost(sub, &last, &total), 0);
	ck_assert_uint_eq(total, 0);

	for (i = 0; i < ring + 1; i++)
		ck_assert_int_eq(qat_state_publish(rt, dev, QAT_EVENT_STOP), 0);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EOVERFLOW);
	ck_assert_int_eq(qat_state_lost(sub, &last, &total), 0);
	ck_assert_uint_eq(last, 1);
	ck_assert_uint_eq(total, 1);
	for (i = 0; i < ring; i++)
		ck_assert_int_eq(qat_state_read(sub, &ev), 0);
	ck_assert_int_eq(qat_state_read(sub, &ev), -EAGAIN);
	qat_state_unsubscribe(sub);
	qat_rt_close(rt);
}
END_TEST

/* ---- configuration, devices, log ---------------------------------------- */

/* cfg.h: inputs above 16 MiB are -EFBIG; 16 MiB exactly is not. */
START_TEST(cfg_size_boundary)
{
	const size_t max = 16u << 20;
	struct qat_cfg *c = QT_SENTINEL;
	struct qat_cfg_error e;
	char *buf = malloc(max + 1);

	ck_assert_ptr_nonnull(buf);
	memset(buf, '\n', max + 1);
	ck_assert_int_eq(qat_cfg_load_mem("big.conf", buf, max + 1,
					  QAT_CFG_FMT_CONF, 0, &c, &e), -EFBIG);
	qt_assert_untouched(c);
	ck_assert_int_eq(qat_cfg_load_mem("big.conf", buf, max,
					  QAT_CFG_FMT_CONF, 0, &c, &e), 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 0);
	qat_cfg_free(c);

	/* The same from a file. */
	buf[max] = '\0';
	qt_write(qt_dir, "big.conf", buf);
	snprintf(buf, max, "%s/big.conf", qt_dir);
	c = QT_SENTINEL;
	ck_assert_int_eq(qat_cfg_load(buf, QAT_CFG_FMT_AUTO, 0, &c, &e), 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 0);
	qat_cfg_free(c);
	ck_assert_int_eq(truncate(buf, (off_t)max + 1), 0);
	c = QT_SENTINEL;
	ck_assert_int_eq(qat_cfg_load(buf, QAT_CFG_FMT_AUTO, 0, &c, &e),
			 -EFBIG);
	qt_assert_untouched(c);
	free(buf);
}
END_TEST

/* cfg.h: JSON integers are 0..2^63-1 (stored as decimal strings). */
START_TEST(cfg_json_integer_boundary)
{
	static const char max[] = "{\"S\": {\"k\": 9223372036854775807}}";
	static const char over[] = "{\"S\": {\"k\": 9223372036854775808}}";
	static const char neg[] = "{\"S\": {\"k\": -1}}";
	struct qat_cfg *c = QT_SENTINEL;
	struct qat_cfg_error e;
	const char *v;

	ck_assert_int_eq(qat_cfg_load_mem("t.json", max, sizeof(max) - 1,
					  QAT_CFG_FMT_JSON, 0, &c, &e), 0);
	ck_assert_int_eq(qat_cfg_get_str(c, "S", "k", &v), 0);
	ck_assert_str_eq(v, "9223372036854775807");
	qat_cfg_free(c);
	c = QT_SENTINEL;
	ck_assert_int_eq(qat_cfg_load_mem("t.json", over, sizeof(over) - 1,
					  QAT_CFG_FMT_JSON, 0, &c, &e), -ERANGE);
	qt_assert_untouched(c);
	/* Below the range: refused (as a malformed value). */
	ck_assert_int_lt(qat_cfg_load_mem("t.json", neg, sizeof(neg) - 1,
					  QAT_CFG_FMT_JSON, 0, &c, &e), 0);
	qt_assert_untouched(c);
}
END_TEST

/* dev.h: -EINVAL for unaligned or empty DMA ranges; -ENODEV past the
 * last device, *out untouched. */
START_TEST(dev_ranges)
{
	long page = sysconf(_SC_PAGESIZE);
	struct qat_rt *rt = qt_rt_open(qt_dir);
	struct qat_dev *dev = qt_dev_at(rt, 0), *none = QT_SENTINEL;
	void *buf;

	ck_assert_int_eq(posix_memalign(&buf, (size_t)page, (size_t)page), 0);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x10000, 0, QAT_DMA_READ),
			 -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x10001, (size_t)page,
				     QAT_DMA_READ), -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x10000, (size_t)page - 1,
				     QAT_DMA_READ), -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x10000, (size_t)page,
				     QAT_DMA_READ | (1u << 5)), -EINVAL);
	ck_assert_int_eq(qat_dma_map(dev, buf, 0x10000, (size_t)page,
				     QAT_DMA_READ), 0);
	ck_assert_int_eq(qat_dma_unmap(dev, 0x10000, 0), -EINVAL);
	ck_assert_int_eq(qat_dma_unmap(dev, 0x10000, (size_t)page), 0);
	free(buf);

	ck_assert_int_eq(qat_dev_info(NULL, &(struct qat_dev_info){ 0 }),
			 -EINVAL);
	ck_assert_int_eq(qat_dev_info(dev, NULL), -EINVAL);
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_int_eq(qat_dev_get(rt, 1, &none), -ENODEV);
	qt_assert_untouched(none);
	ck_assert_int_eq(qat_dev_get(rt, UINT_MAX, &none), -ENODEV);
	qt_assert_untouched(none);
	qat_rt_close(rt);
}
END_TEST

/* state.h: QAT_STATE_WATCH_IRQ on a device with no ERR or REQ interrupt
 * is -ENOTSUP, and a failed call leaves the watched sources unchanged
 * (the indexes stay free for the application). */
START_TEST(watch_needs_err_or_req)
{
	struct qat_rt *rt;
	struct qat_dev *dev;
	int fd[1] = { -1 };

	qt_sim_conf(qt_dir, "c62x", 1, "SimErr = 0\nSimReq = 0\n", NULL);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 1);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), -ENOTSUP);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_ALL << 1),
			 -EINVAL);
	/* Nothing was taken: the application may bind MSI-X itself. */
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_MSIX, 0, 1, fd), 0);
	ck_assert_int_eq(qat_irq_unbind(dev, QAT_IRQ_MSIX), 0);
	/* The 4xxx has both: watching works and takes REQ. */
	dev = qt_dev_at(rt, 0);
	ck_assert_int_eq(qat_state_watch(dev, QAT_STATE_WATCH_IRQ), 0);
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_REQ, 0, 1, fd), -EBUSY);
	ck_assert_int_eq(qat_state_watch(dev, 0), 0);
	ck_assert_int_eq(qat_irq_bind(dev, QAT_IRQ_REQ, 0, 1, fd), 0);
	qat_rt_close(rt);
}
END_TEST

/* common.h: the callback sees levels up to max_level and no others. */
START_TEST(log_level_respected)
{
	struct qat_rt *rt;

	/* A configuration for a device that is not there: an INFO line. */
	qt_write(qt_dir, "x_dev5.conf", "[GENERAL]\nServicesEnabled = cy\n");
	log_start(QAT_LOG_WARN);
	rt = qt_rt_open(qt_dir);
	qat_rt_close(rt);
	log_stop();
	ck_assert_int_eq(log_lines, 0);
	log_start(QAT_LOG_INFO);
	rt = qt_rt_open(qt_dir);
	qat_rt_close(rt);
	log_stop();
	ck_assert_msg(log_lines > 0, "no INFO line at QAT_LOG_INFO");
}
END_TEST

Suite *limits_suite(void);

Suite *limits_suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, qt_dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, handle_quarantine_256);
	tcase_add_test(tc, registry_mode_refused);
	tcase_add_test(tc, registry_type_refused);
	tcase_add_test(tc, registry_size_checked);
	tcase_add_test(tc, registry_replaced_while_in_use);
	tcase_add_test(tc, registry_path_fallback);
	tcase_add_test(tc, wait_forever);
	tcase_add_test(tc, state_ring_boundary);
	tcase_add_test(tc, cfg_size_boundary);
	tcase_add_test(tc, cfg_json_integer_boundary);
	tcase_add_test(tc, dev_ranges);
	tcase_add_test(tc, watch_needs_err_or_req);
	tcase_add_test(tc, log_level_respected);
	suite_add_tcase(s, tc);
	return s;
}
