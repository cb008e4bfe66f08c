/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The examples users start from (samples/worker*.c), run as users run
 * them on the simulated devices of samples/conf: each must claim, see a
 * device event published by another process, and on SIGTERM exit 0 with
 * its claim gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct child {
	pid_t pid;
	int out;                 /* its stdout */
	char buf[8192];
	size_t len;
};

static void start(struct child *c, const char *name, const char *reg)
{
	const char *bindir = getenv("QATRT_TEST_BINDIR");
	char prog[4200];
	int p[2];

	snprintf(prog, sizeof(prog), "%s/../samples/%s",
		 bindir && *bindir ? bindir : "build/tests", name);
	ck_assert_msg(access(prog, X_OK) == 0, "%s missing", prog);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	memset(c, 0, sizeof(*c));
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		dup2(p[1], 1);
		setenv("QATRT_CONFIG", "samples/conf", 1);
		setenv("QATRT_REGISTRY", reg, 1);
		unsetenv("QATRT_LOG");
		execl(prog, prog, "SSL", (char *)NULL);
		_exit(99);
	}
	close(p[1]);
	c->out = p[0];
}

/* Read its output until `want` shows up (1), EOF (0), or 10 s pass. */
static int wait_for(struct child *c, const char *want)
{
	struct pollfd pfd = { .fd = c->out, .events = POLLIN };
	time_t end = time(NULL) + 10;
	ssize_t n;

	while (!strstr(c->buf, want)) {
		if (time(NULL) > end || c->len == sizeof(c->buf) - 1)
			return -1;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (n <= 0)
			return 0;
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	}
	return 1;
}

static int claims_of(struct qat_rt *rt, pid_t pid)
{
	struct qat_proc_claim cl[16];
	int i, n = qat_proc_list(rt, cl, 16), k = 0;

	ck_assert_int_ge(n, 0);
	for (i = 0; i < n && i < 16; i++)
		k += cl[i].pid == pid;
	return k;
}

static void run_sample(const char *name)
{
	char reg[4200], line[128];
	struct qat_proc *p;
	struct qat_rt *rt;
	struct child c;

	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	start(&c, name, reg);
	ck_assert_msg(wait_for(&c, "ready: SSL_INT_0 on device 0") == 1,
		      "%s did not get ready:\n%s", name, c.buf);
	ck_assert_int_eq(qt_rt_try_open_reg("samples/conf", reg, &rt), 0);
	ck_assert_int_eq(claims_of(rt, c.pid), 1);

	/* An event from this process reaches the worker's loop. */
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, 0),
					   QAT_EVENT_RESTARTING), 0);
	snprintf(line, sizeof(line), "%s: device 0: RESTARTING", name);
	ck_assert_msg(wait_for(&c, line) == 1, "no event line:\n%s", c.buf);

	ck_assert_int_eq(kill(c.pid, SIGTERM), 0);
	snprintf(line, sizeof(line), "%s: clean exit", name);
	ck_assert_msg(wait_for(&c, line) == 1, "no clean exit:\n%s", c.buf);
	ck_assert_int_eq(qt_reap(c.pid), 0);
	close(c.out);
	ck_assert_msg(strstr(c.buf, "1 interrupt(s)") ||
		      strstr(c.buf, "2 interrupt(s)"),
		      "the loopback interrupt was not seen:\n%s", c.buf);

	/* Its claim is gone: the first name is free again. */
	ck_assert_int_eq(claims_of(rt, c.pid), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_str_eq(qat_proc_name(p), "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}

START_TEST(worker_sample)
{
	run_sample("worker");
}
END_TEST

START_TEST(worker_epoll_sample)
{
	run_sample("worker_epoll");
}
END_TEST

Suite *samples_suite(void)
{
	Suite *s = suite_create("samples");
	TCase *tc = tcase_create("workers");

	tcase_add_checked_fixture(tc, qt_dir_setup, qt_dir_teardown);
	tcase_add_test(tc, worker_sample);
	tcase_add_test(tc, worker_epoll_sample);
	suite_add_tcase(s, tc);
	return s;
}
