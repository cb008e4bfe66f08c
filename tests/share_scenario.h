/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One worker scenario on an exclusive device, run unchanged against an
 * exclusive simulated device (tests/check_share.c) and against a function
 * bound to vfio-pci in the check-vm guest (tests/vm/vm_share.c): the same
 * calls must give the same answers on both. Public API only.
 *
 * A holder claims `section` (only the device at `addr` has it) and maps
 * BAR 0; a process without a claim tries to map it; a second claimer
 * tries without waiting, then waits; the holder closes its runtime; the
 * waiter must then get the claim and map BAR 0.
 */
#ifndef QAT_SHARE_SCENARIO_H
#define QAT_SHARE_SCENARIO_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <qat/qatrt.h>

struct share_answers {
	int a_acquire, a_map; /* the holder: 0, 0 */
	int c_map;            /* a process without a claim: -EBUSY */
	int c_named;          /* its log names the holder's pid: 1 */
	int b_try;            /* the second claimer, not waiting: -EAGAIN */
	int b_early;          /* it got an answer while the holder held: 0 */
	int b_acquire, b_map; /* after the holder closed: 0, 0 */
};

/* Opens a runtime on the scenario's configuration; NULL on failure. */
typedef struct qat_rt *(*share_open_fn)(void);

#define SHARE_FAILED (-10000) /* a process of the scenario did not run */

static int share_map(struct qat_dev *dev)
{
	void *p;
	size_t len;
	int ret = dev ? qat_dev_bar_map(dev, 0, 1, &p, &len) : -ENODEV;

	if (!ret)
		qat_dev_bar_unmap(dev, 0, p, len);
	return ret;
}

static void share_put(int fd, const int *v, int n)
{
	if (write(fd, v, sizeof(*v) * (size_t)n) < 0)
		_exit(2);
}

static int share_get(int fd, int *v, int n, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1 ||
	    read(fd, v, sizeof(*v) * (size_t)n) != (ssize_t)(sizeof(*v) * n))
		return -1;
	return 0;
}

static void share_holder(share_open_fn open_rt, const char *section,
			 int out, int go)
{
	struct qat_proc_opts w = { .sz = sizeof(w), .flags = QAT_PROC_WAIT,
				   .timeout_ms = 10000 };
	struct qat_rt *rt = open_rt();
	struct qat_proc *p = NULL;
	int v[2] = { SHARE_FAILED, SHARE_FAILED };
	char c;

	if (rt) {
		v[0] = qat_proc_acquire(rt, section, &w, &p);
		v[1] = v[0] ? v[0] : share_map(qat_proc_dev(p));
	}
	share_put(out, v, 2);
	if (read(go, &c, 1) != 1)
		c = 0;
	/* The BAR is unmapped already: closing the runtime is what must
	 * give the claim and the device up. */
	qat_rt_close(rt);
	_exit(0);
}

static char share_log[2048];

static void share_log_keep(enum qat_log_level level, const char *msg,
			   void *arg)
{
	size_t n = strlen(share_log);

	snprintf(share_log + n, sizeof(share_log) - n, "%s\n", msg);
}

static void share_unclaimed(share_open_fn open_rt, const char *addr,
			    pid_t holder, int out)
{
	struct qat_rt *rt = open_rt();
	struct qat_dev *dev = NULL;
	int v[2] = { SHARE_FAILED, 0 };
	char want[64];

	qat_set_log_fn(share_log_keep, NULL, QAT_LOG_WARN);
	if (rt && !qat_dev_by_pci_addr(rt, addr, &dev))
		v[0] = share_map(dev);
	snprintf(want, sizeof(want), "process %d has it open", (int)holder);
	v[1] = strstr(share_log, want) != NULL;
	share_put(out, v, 2);
	qat_rt_close(rt);
	_exit(0);
}

static void share_waiter(share_open_fn open_rt, const char *section,
			 int out)
{
	struct qat_proc_opts w = { .sz = sizeof(w), .flags = QAT_PROC_WAIT,
				   .timeout_ms = 20000 };
	struct qat_rt *rt = open_rt();
	struct qat_proc *p = NULL;
	int v[2] = { SHARE_FAILED, SHARE_FAILED };

	if (rt)
		v[0] = qat_proc_acquire(rt, section, NULL, &p);
	share_put(out, v, 1);
	if (rt && v[0] == -EAGAIN) {
		v[0] = qat_proc_acquire(rt, section, &w, &p);
		v[1] = v[0] ? v[0] : share_map(qat_proc_dev(p));
	}
	share_put(out, v, 2);
	qat_rt_close(rt);
	_exit(0);
}

static pid_t share_fork(int *rd)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		*rd = fds[1];
		return 0;
	}
	close(fds[1]);
	*rd = fds[0];
	return pid;
}

static void share_reap(pid_t pid)
{
	int st;

	if (pid > 0)
		waitpid(pid, &st, 0);
}

/* Run the scenario; 0 when every process reported, else -1 (answers of
 * those that did not stay SHARE_FAILED). */
static int share_scenario(share_open_fn open_rt, const char *section,
			  const char *addr, struct share_answers *ans)
{
	int a_out, c_out, b_out, go[2], v[2], ret = -1;
	pid_t a, b = -1, c;

	*ans = (struct share_answers){ SHARE_FAILED, SHARE_FAILED,
		SHARE_FAILED, SHARE_FAILED, SHARE_FAILED, SHARE_FAILED,
		SHARE_FAILED, SHARE_FAILED };
	if (pipe(go))
		return -1;
	a = share_fork(&a_out);
	if (a == 0) {
		close(go[1]);
		share_holder(open_rt, section, a_out, go[0]);
	}
	close(go[0]);
	if (a < 0 || share_get(a_out, v, 2, 20000))
		goto out;
	ans->a_acquire = v[0];
	ans->a_map = v[1];
	c = share_fork(&c_out);
	if (c == 0)
		share_unclaimed(open_rt, addr, a, c_out);
	if (c > 0 && !share_get(c_out, v, 2, 20000)) {
		ans->c_map = v[0];
		ans->c_named = v[1];
	}
	share_reap(c);
	b = share_fork(&b_out);
	if (b == 0)
		share_waiter(open_rt, section, b_out);
	if (b < 0 || share_get(b_out, v, 1, 20000))
		goto out;
	ans->b_try = v[0];
	/* The waiter must still be waiting while the holder holds. */
	ans->b_early = share_get(b_out, v, 2, 500) == 0;
	if (ans->b_early) {
		ans->b_acquire = v[0];
		ans->b_map = v[1];
	}
	if (write(go[1], "g", 1) != 1)
		goto out;
	share_reap(a);
	a = -1;
	if (!ans->b_early && !share_get(b_out, v, 2, 30000)) {
		ans->b_acquire = v[0];
		ans->b_map = v[1];
	}
	ret = 0;
out:
	close(go[1]);
	if (a > 0)
		kill(a, SIGKILL);
	share_reap(a);
	if (b > 0 && ret)
		kill(b, SIGKILL);
	share_reap(b);
	return ret;
}

/* Check the answers every backend must give; report(ok, what, got,
 * want) once per answer. */
static void share_expect(const struct share_answers *a,
			 void (*report)(int ok, const char *what, int got,
					int want))
{
	static const struct {
		const char *what;
		size_t off;
		int want;
	} e[] = {
#define SHARE_E(f, w, what) { what, offsetof(struct share_answers, f), w }
		SHARE_E(a_acquire, 0, "holder: claim granted"),
		SHARE_E(a_map, 0, "holder: maps BAR 0"),
		SHARE_E(c_map, -EBUSY, "no claim: BAR 0 map is -EBUSY"),
		SHARE_E(c_named, 1, "no claim: the log names the holder's pid"),
		SHARE_E(b_try, -EAGAIN, "second claimer: -EAGAIN at once"),
		SHARE_E(b_early, 0, "second claimer: waits while held"),
		SHARE_E(b_acquire, 0, "second claimer: granted on release"),
		SHARE_E(b_map, 0, "second claimer: then maps BAR 0"),
#undef SHARE_E
	};
	unsigned int i;
	int got;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		got = *(const int *)((const char *)a + e[i].off);
		report(got == e[i].want, e[i].what, got, e[i].want);
	}
}

#endif /* QAT_SHARE_SCENARIO_H */
