/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several processes, one simulated device: what one process does to the
 * device (BAR writes, raises, stop, reset) every other process sees, as
 * on a real function; an exclusive device is one process's at a time, as
 * a VFIO group is. Every other process here is a fork()ed child that opens
 * a runtime of its own on the same configuration and registry, and
 * reports through its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "share_scenario.h"
#include "sim_priv.h" /* white-box: the shared file's layout */
#include "util.h"

#define MSIX QAT_IRQ_MSIX
#define SSL "[SSL]\nNumberCyInstances = 1\nNumberDcInstances = 0\n" \
	    "NumProcesses = 4\n"

static void conf(const char *general)
{
	qt_sim_conf(qt_dir, "4xxx", 0, general, SSL);
}

/* A child's own runtime and device 0, or _exit(99). */
static struct qat_rt *child_rt(struct qat_dev **dev)
{
	struct qat_rt *rt = NULL;

	if (qt_rt_try_open(qt_dir, &rt) || qat_dev_get(rt, 0, dev))
		_exit(99);
	return rt;
}

static void *bar0(struct qat_dev *dev)
{
	void *p;
	size_t len;

	ck_assert_int_eq(qat_dev_bar_map(dev, 0, 1, &p, &len), 0);
	return p;
}

/* An eventfd's count after waiting up to ms for it; 0 when none came. */
static uint64_t efd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) == 1 && read(fd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	return v;
}

static int efd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static int try_map(struct qat_dev *dev)
{
	void *p;
	size_t len;

	return qat_dev_bar_map(dev, 0, 1, &p, &len);
}

START_TEST(sharing_reported)
{
	struct qat_dev_info info;
	struct qat_rt *rt = NULL;

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_uint_eq(info.sharing, QAT_DEV_SHARED);
	qat_rt_close(rt);
	conf("SimSharing = exclusive\n");
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_uint_eq(info.sharing, QAT_DEV_EXCLUSIVE);
	qat_rt_close(rt);
	rt = NULL;
	conf("SimSharing = sometimes\n");
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -EINVAL);
	ck_assert_ptr_null(rt);
}
END_TEST

#define WORKERS 4

/* Worker i writes its word of BAR 0, then waits until it sees every
 * other worker's: one device, not four copies. */
static void worker(unsigned int i)
{
	struct qat_dev *dev;
	struct qat_rt *mine = child_rt(&dev);
	volatile uint32_t *b;
	unsigned int j;
	void *p;
	size_t len;
	int tries, seen = 0;

	if (qat_dev_bar_map(dev, 0, 1, &p, &len))
		_exit(98);
	b = p;
	b[16 + i] = 0x1000 + i;
	for (tries = 0; tries < 500 && seen < WORKERS; tries++) {
		for (seen = 0, j = 0; j < WORKERS; j++)
			seen += b[16 + j] == 0x1000 + j;
		usleep(10000);
	}
	qat_rt_close(mine);
	_exit(seen == WORKERS ? 0 : 1);
}

static void run_workers(void)
{
	pid_t pid[WORKERS];
	unsigned int i;

	for (i = 0; i < WORKERS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			worker(i);
	}
	for (i = 0; i < WORKERS; i++)
		ck_assert_int_eq(qt_reap(pid[i]), 0);
}

START_TEST(bar_writes_seen)
{
	volatile uint32_t *bar;
	struct qat_rt *rt;
	unsigned int j;

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	bar = bar0(qt_dev_at(rt, 0));
	run_workers();
	for (j = 0; j < WORKERS; j++)
		ck_assert_uint_eq(bar[16 + j], 0x1000 + j);
	qat_rt_close(rt);
}
END_TEST

/* The same with no process on the device before: the four start
 * together, and one power-on must not hide another's writes. */
START_TEST(bar_writes_seen_cold)
{
	int round;

	conf(NULL);
	for (round = 0; round < 5; round++)
		run_workers();
}
END_TEST

/* Raise vector v of index from a child process; its result, or 100+. */
static int raise_elsewhere(unsigned int index, unsigned int v, int times)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct qat_dev *dev;
		struct qat_rt *rt = child_rt(&dev);
		int ret = 0, i;

		for (i = 0; i < times; i++)
			ret = ret * 2 + qat_sim_raise_irq(dev, index, v);
		qat_rt_close(rt);
		_exit(ret < 0 ? 100 : ret);
	}
	return qt_reap(pid);
}

/* A shared device with vector 0 of `index` bound to `fd` here. */
static struct qat_rt *bound_rt(unsigned int index, int fd,
			       struct qat_dev **dev)
{
	struct qat_rt *rt;

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	*dev = qt_dev_at(rt, 0);
	ck_assert_int_eq(qat_irq_bind(*dev, index, 0, 1, &fd), 0);
	return rt;
}

START_TEST(raise_reaches_binder)
{
	struct qat_rt *rt;
	struct qat_dev *dev;
	int fd = efd();

	rt = bound_rt(MSIX, fd, &dev);
	ck_assert_int_eq(raise_elsewhere(MSIX, 0, 1), 1);
	ck_assert_uint_eq(efd_wait(fd, 2000), 1);
	/* Vector 1 was not enabled: nothing reaches anyone. */
	ck_assert_int_eq(raise_elsewhere(MSIX, 1, 1), 0);
	ck_assert_uint_eq(efd_wait(fd, 100), 0);
	/* Released: the next raise from elsewhere reaches no one. */
	ck_assert_int_eq(qat_irq_unbind(dev, MSIX), 0);
	ck_assert_int_eq(raise_elsewhere(MSIX, 0, 1), 0);
	ck_assert_uint_eq(efd_wait(fd, 100), 0);
	qat_rt_close(rt);
	close(fd);
}
END_TEST

/* The binder's masking rules hold for a raise from elsewhere: INTx masks
 * itself, a second raise stays pending until the binder unmasks. */
START_TEST(raise_masking_kept)
{
	struct qat_rt *rt;
	struct qat_dev *dev;
	int fd = efd();

	rt = bound_rt(QAT_IRQ_INTX, fd, &dev);
	/* 1 then 0: binary 10 */
	ck_assert_int_eq(raise_elsewhere(QAT_IRQ_INTX, 0, 2), 2);
	ck_assert_uint_eq(efd_wait(fd, 2000), 1);
	ck_assert_uint_eq(efd_wait(fd, 100), 0);
	ck_assert_int_eq(qat_irq_set(dev, QAT_IRQ_INTX, QAT_IRQ_ACTION_UNMASK,
				     QAT_IRQ_DATA_NONE, 0, 1, NULL), 0);
	ck_assert_uint_eq(efd_wait(fd, 2000), 1);
	qat_rt_close(rt);
	close(fd);
}
END_TEST

/* A child that binds MSI-X vector 0 of device 0, then exits (0 when the
 * bind worked) or, with `stop`, stops itself while still binding it. */
static pid_t fork_binder(int stop)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct qat_dev *dev;
		int fd = eventfd(0, EFD_CLOEXEC);

		child_rt(&dev);
		if (qat_irq_bind(dev, MSIX, 0, 1, &fd))
			_exit(1);
		if (stop)
			raise(SIGSTOP);
		_exit(0);
	}
	return pid;
}

/* qat_sim_raise_irq() on MSI-X vector 0 of rt's device 0, and how many
 * milliseconds it took. */
static int timed_raise(struct qat_rt *rt, long *ms)
{
	struct timespec a, b;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ret = qat_sim_raise_irq(qt_dev_at(rt, 0), MSIX, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	return ret;
}

/* A binder that died binds nothing: a raise is 0 at once, not a wait. */
START_TEST(raise_dead_binder)
{
	struct qat_rt *rt;
	long ms;

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qt_reap(fork_binder(0)), 0);
	ck_assert_int_eq(timed_raise(rt, &ms), 0);
	ck_assert_msg(ms < 1000, "took %ld ms", ms);
	qat_rt_close(rt);
}
END_TEST

/* Events of the device, read until none is left. */
static int read_events(struct qat_state_sub *sub, int *ev, int max)
{
	struct qat_state_event e;
	int n = 0;

	while (n < max && qat_state_read(sub, &e) == 0)
		ev[n++] = e.event;
	return n;
}

static int child_do(int (*fn)(struct qat_dev *))
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct qat_dev *dev;
		struct qat_rt *rt = child_rt(&dev);
		int ret = fn(dev);

		qat_rt_close(rt);
		_exit(ret ? 1 : 0);
	}
	return qt_reap(pid);
}

static int do_stop(struct qat_dev *dev)
{
	return qat_sim_set_started(dev, 0);
}

static int do_start(struct qat_dev *dev)
{
	return qat_sim_set_started(dev, 1);
}

static int do_reset(struct qat_dev *dev)
{
	return qat_dev_reset(dev);
}

START_TEST(stop_elsewhere)
{
	struct qat_state_sub *sub = NULL;
	struct qat_dev_info info;
	struct qat_rt *rt;
	int ev[8];

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL,
					     &sub), 0);
	ck_assert_int_eq(child_do(do_stop), 0);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_int_eq(info.started, 0);
	ck_assert_int_eq(qat_dev_state(qt_dev_at(rt, 0)), QAT_EVENT_STOP);
	/* Stopping a stopped device is no change and no event. */
	ck_assert_int_eq(child_do(do_stop), 0);
	ck_assert_int_eq(read_events(sub, ev, 8), 1);
	ck_assert_int_eq(ev[0], QAT_EVENT_STOP);
	ck_assert_int_eq(child_do(do_start), 0);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_int_eq(info.started, 1);
	qat_state_unsubscribe(sub);
	qat_rt_close(rt);
}
END_TEST

/* Acquire skips a device another process stopped, in a runtime opened
 * before the stop as in one opened after. */
START_TEST(stop_elsewhere_acquire_skips)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt, *later;

	conf(NULL);
	qt_sim_conf(qt_dir, "4xxx", 1, NULL, SSL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(child_do(do_stop), 0);
	later = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(later, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_dev_accel_id(qat_proc_dev(p)), 1);
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_dev_accel_id(qat_proc_dev(p)), 1);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(later);
	qat_rt_close(rt);
}
END_TEST

/* A claim on an exclusive device comes with the device: while a process
 * without a claim has the device open, acquire is -EBUSY and grants no
 * claim; the claimer, once granted, owns the device before any use. */
START_TEST(exclusive_claim_opens_device)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	int ready[2], v;
	pid_t user;

	conf("SimSharing = exclusive\n");
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	user = fork();
	ck_assert_int_ge(user, 0);
	if (user == 0) {
		struct qat_dev *d;

		child_rt(&d);
		v = try_map(d);
		if (write(ready[1], &v, sizeof(v)) < 0)
			_exit(2);
		pause();
		_exit(3);
	}
	ck_assert_int_eq(read(ready[0], &v, sizeof(v)), sizeof(v));
	ck_assert_int_eq(v, 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EBUSY);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	ck_assert_int_eq(kill(user, SIGKILL), 0);
	ck_assert_int_eq(qt_reap(user), 128 + SIGKILL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	/* Held from the claim on: another process cannot open it. */
	ck_assert_int_eq(child_do(try_map), 1);
	qat_rt_close(rt);
	close(ready[0]);
	close(ready[1]);
}
END_TEST

START_TEST(reset_elsewhere)
{
	struct qat_state_sub *sub = NULL;
	volatile uint32_t *bar;
	struct qat_rt *rt;
	uint16_t cmd = 0x0006;
	int ev[8];

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	bar = bar0(qt_dev_at(rt, 0));
	bar[3] = 0xdeadbeef;
	ck_assert_int_eq(qat_dev_cfg_write(qt_dev_at(rt, 0), 4, &cmd, 2), 2);
	ck_assert_int_eq(qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL,
					     &sub), 0);
	ck_assert_int_eq(child_do(do_reset), 0);
	ck_assert_uint_eq(bar[3], 0);
	cmd = 0xffff;
	ck_assert_int_eq(qat_dev_cfg_read(qt_dev_at(rt, 0), 4, &cmd, 2), 2);
	ck_assert_uint_eq(cmd & 0x0406, 0);
	/* Published once, by the process that reset it. */
	ck_assert_int_eq(read_events(sub, ev, 8), 2);
	ck_assert_int_eq(ev[0], QAT_EVENT_RESTARTING);
	ck_assert_int_eq(ev[1], QAT_EVENT_RESTARTED);
	qat_state_unsubscribe(sub);
	qat_rt_close(rt);
}
END_TEST

/* Log lines of this process, for the holder's pid. */
static char logbuf[4096];

static void log_keep(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

/* A binder that lives but does not answer (a stopped process): the
 * raiser waits its second, then -ETIMEDOUT with a warning naming the
 * binder; once the binder is dead the raise reaches no one, at once. */
START_TEST(raise_stopped_binder)
{
	struct qat_rt *rt;
	char want[64];
	long ms;
	pid_t pid;
	int st;

	conf(NULL);
	rt = qt_rt_open(qt_dir);
	pid = fork_binder(1);
	ck_assert_int_eq(waitpid(pid, &st, WUNTRACED), pid);
	ck_assert_msg(WIFSTOPPED(st), "child ended early: %#x", st);
	logbuf[0] = '\0';
	qat_set_log_fn(log_keep, NULL, QAT_LOG_WARN);
	ck_assert_int_eq(timed_raise(rt, &ms), -ETIMEDOUT);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_msg(ms >= 900, "gave up after %ld ms, not 1 s", ms);
	snprintf(want, sizeof(want), "process %d bound it", (int)pid);
	ck_assert_msg(strstr(logbuf, want), "log: %s", logbuf);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(qt_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(timed_raise(rt, &ms), 0);
	ck_assert_msg(ms < 1000, "took %ld ms once the binder died", ms);
	qat_rt_close(rt);
}
END_TEST

/* An exclusive device is one process's: another gets -EBUSY with the
 * holder's pid logged, and so does a fork child of the holder; once the
 * holder is killed, the next process opens it at once. */
START_TEST(exclusive_one_process)
{
	struct qat_dma_mem *mem = QT_SENTINEL;
	struct qat_state_sub *events = NULL;
	struct qat_state_event ev;
	int state;
	int ready[2], in_child;
	char want[64];
	struct qat_dev *dev;
	struct qat_rt *rt;
	pid_t owner, sub;

	conf("SimSharing = exclusive\n");
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	owner = fork();
	ck_assert_int_ge(owner, 0);
	if (owner == 0) {
		struct qat_dev *d;

		child_rt(&d);
		if (try_map(d))
			_exit(1);
		/* A fork child of the owner does not own the device. */
		sub = fork();
		if (sub == 0)
			_exit(try_map(d) == -EBUSY ? 0 : 1);
		in_child = qt_reap(sub);
		if (write(ready[1], &in_child, sizeof(in_child)) < 0)
			_exit(2);
		pause();
		_exit(3);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &in_child, sizeof(in_child)),
			 sizeof(in_child));
	ck_assert_int_eq(in_child, 0);
	rt = qt_rt_open(qt_dir);
	dev = qt_dev_at(rt, 0);
	logbuf[0] = '\0';
	qat_set_log_fn(log_keep, NULL, QAT_LOG_WARN);
	ck_assert_int_eq(try_map(dev), -EBUSY);
	ck_assert_int_eq(qat_irq_bind(dev, MSIX, 0, 1, (int[]){ -1 }), -EBUSY);
	ck_assert_int_eq(qat_dma_alloc(dev, 4096, QAT_DMA_READ, &mem), -EBUSY);
	qt_assert_untouched(mem);
	/* A reset that cannot start tells no one (no RESTARTING, no ERROR)
	 * and leaves the device's state as it was. */
	state = qat_dev_state(dev);
	ck_assert_int_eq(qat_state_subscribe(rt, 0, NULL, &events), 0);
	ck_assert_int_eq(qat_dev_reset(dev), -EBUSY);
	ck_assert_int_eq(qat_state_read(events, &ev), -EAGAIN);
	ck_assert_int_eq(qat_dev_state(dev), state);
	qat_state_unsubscribe(events);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	snprintf(want, sizeof(want), "process %d has it open", (int)owner);
	ck_assert_msg(strstr(logbuf, want), "log: %s", logbuf);
	ck_assert_int_eq(kill(owner, SIGKILL), 0);
	ck_assert_int_eq(qt_reap(owner), 128 + SIGKILL);
	ck_assert_int_eq(try_map(dev), 0);
	/* Ours now: another process is refused, until we close. */
	ck_assert_int_eq(child_do(try_map) , 1);
	qat_rt_close(rt);
	ck_assert_int_eq(child_do(try_map), 0);
	close(ready[0]);
}
END_TEST

/* An exclusive device offers one claim at a time (max_processes 1): a
 * second process gets -EAGAIN, or waits; when the holder is killed the
 * waiter gets the claim and the device. */
START_TEST(exclusive_one_claim)
{
	struct qat_proc_opts wait = { .sz = sizeof(wait),
				      .flags = QAT_PROC_WAIT,
				      .timeout_ms = 20000 };
	struct qat_dev_info info;
	struct qat_proc *p = NULL;
	struct pollfd pfd;
	int ready[2], got[2], v;
	struct qat_rt *rt;
	pid_t owner, waiter;

	conf("SimSharing = exclusive\n");
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_uint_eq(info.max_processes, 1);
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(got, O_CLOEXEC), 0);
	owner = fork();
	ck_assert_int_ge(owner, 0);
	if (owner == 0) {
		struct qat_dev *d;
		struct qat_rt *mine = child_rt(&d);

		v = qat_proc_acquire(mine, "SSL", NULL, &p) ||
		    try_map(qat_proc_dev(p));
		if (write(ready[1], &v, sizeof(v)) < 0)
			_exit(2);
		pause();
		_exit(3);
	}
	ck_assert_int_eq(read(ready[0], &v, sizeof(v)), sizeof(v));
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EAGAIN);
	waiter = fork();
	ck_assert_int_ge(waiter, 0);
	if (waiter == 0) {
		struct qat_dev *d;
		struct qat_rt *mine = child_rt(&d);

		v = qat_proc_acquire(mine, "SSL", &wait, &p);
		v = v ? v : try_map(qat_proc_dev(p));
		if (write(got[1], &v, sizeof(v)) < 0)
			_exit(2);
		_exit(v ? 1 : 0);
	}
	pfd = (struct pollfd){ .fd = got[0], .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 300), 0); /* still waiting */
	ck_assert_int_eq(kill(owner, SIGKILL), 0);
	ck_assert_int_eq(qt_reap(owner), 128 + SIGKILL);
	ck_assert_int_eq(read(got[0], &v, sizeof(v)), sizeof(v));
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(qt_reap(waiter), 0);
	qat_rt_close(rt);
	/* A shared device offers the type's count. */
	conf(NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(rt, 0), &info), 0);
	ck_assert_uint_eq(info.max_processes, 64);
	qat_rt_close(rt);
}
END_TEST

static struct qat_rt *scenario_open(void)
{
	struct qat_rt *rt = NULL;

	return qt_rt_try_open(qt_dir, &rt) ? NULL : rt;
}

static void scenario_report(int ok, const char *what, int got, int want)
{
	ck_assert_msg(ok, "%s: got %d, want %d", what, got, want);
}

/* Releasing the claim gives an exclusive device up, unless something of
 * the process still uses it (a BAR map): then it stays until that goes
 * and the runtime closes. */
START_TEST(exclusive_release_gives_up)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	void *bar;
	size_t len;

	conf("SimSharing = exclusive\n");
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(child_do(try_map), 1);
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(child_do(try_map), 0);
	/* Again, with a BAR still mapped at release. */
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_dev_bar_map(qat_proc_dev(p), 0, 1, &bar, &len),
			 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(child_do(try_map), 1);
	ck_assert_int_eq(qat_dev_bar_unmap(qt_dev_at(rt, 0), 0, bar, len), 0);
	qat_rt_close(rt);
	ck_assert_int_eq(child_do(try_map), 0);
}
END_TEST

/* The worker scenario that tests/vm/vm_share.c runs on vfio: the same
 * answers on an exclusive simulated device. */
START_TEST(same_answers_as_vfio)
{
	struct share_answers a;

	qt_sim_conf(qt_dir, "4xxx", 0,
		    "SimSharing = exclusive\nSimPciAddress = 0000:f0:00.0\n",
		    "[SHARE]\nNumberCyInstances = 1\nNumberDcInstances = 0\n"
		    "NumProcesses = 4\n");
	ck_assert_int_eq(share_scenario(scenario_open, "SHARE", "0000:f0:00.0",
					&a), 0);
	share_expect(&a, scenario_report);
}
END_TEST

/* The device powers on afresh when no process uses it; while one does,
 * its state is the device's. */
START_TEST(fresh_when_unused)
{
	struct qat_rt *a, *b;
	struct qat_dev_info info;

	conf(NULL);
	a = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(a, 0), 0), 0);
	b = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(b, 0), &info), 0);
	ck_assert_int_eq(info.started, 0);
	qat_rt_close(a);
	qat_rt_close(b);
	b = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_info(qt_dev_at(b, 0), &info), 0);
	ck_assert_int_eq(info.started, 1);
	qat_rt_close(b);
}
END_TEST

static char *sim_path(void)
{
	char *p;

	ck_assert_int_gt(asprintf(&p, "%s/registry.sim0", qt_dir), 0);
	return p;
}

START_TEST(hostile_symlink)
{
	struct qat_rt *rt = NULL;
	char *path = sim_path(), target[4096];

	conf(NULL);
	snprintf(target, sizeof(target), "%s/target", qt_dir);
	qt_write(qt_dir, "target", "keep");
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &rt), -ELOOP);
	ck_assert_ptr_null(rt);
	free(path);
}
END_TEST

/* A file that a live user keeps but that is not a simulated device's
 * any more is refused, not used. */
START_TEST(hostile_corrupt_header)
{
	struct qat_rt *a, *b = NULL;
	char *path = sim_path();
	uint64_t junk = 0x4141414141414141ull;
	int fd;

	conf(NULL);
	a = qt_rt_open(qt_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &junk, sizeof(junk), 0), sizeof(junk));
	close(fd);
	ck_assert_int_eq(qt_rt_try_open(qt_dir, &b), -EPROTO);
	ck_assert_ptr_null(b);
	qat_rt_close(a);
	free(path);
}
END_TEST

/* Forged ticket counters cannot make the binder deliver millions of
 * interrupts or hang: the next real raise is answered, once. */
START_TEST(hostile_forged_tickets)
{
	struct sim_shared *sh;
	struct qat_rt *rt;
	struct qat_dev *dev;
	char *path = sim_path();
	int fd = efd(), mfd;
	uint64_t n;

	rt = bound_rt(MSIX, fd, &dev);
	mfd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		  0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	__atomic_fetch_add(&sh->vec[qat_sim_vec_slot(MSIX, 0)].raised,
			   1u << 24, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(raise_elsewhere(MSIX, 0, 1), 1);
	usleep(100000);
	/* The real raise, and at most one forged one (the listener may
	 * have skipped to the forged "latest" before the real one came). */
	n = efd_wait(fd, 2000);
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, 2);
	ck_assert_uint_eq(efd_wait(fd, 600), 0);
	munmap(sh, sizeof(*sh));
	close(mfd);
	qat_rt_close(rt);
	close(fd);
	free(path);
}
END_TEST

Suite *share_suite(void)
{
	Suite *s = suite_create("share");
	TCase *t = tcase_create("sim");

	tcase_add_checked_fixture(t, qt_dir_setup, qt_dir_teardown);
	tcase_add_test(t, sharing_reported);
	tcase_add_test(t, bar_writes_seen);
	tcase_add_test(t, bar_writes_seen_cold);
	tcase_add_test(t, raise_reaches_binder);
	tcase_add_test(t, raise_masking_kept);
	tcase_add_test(t, raise_dead_binder);
	tcase_add_test(t, raise_stopped_binder);
	tcase_add_test(t, stop_elsewhere);
	tcase_add_test(t, stop_elsewhere_acquire_skips);
	tcase_add_test(t, reset_elsewhere);
	tcase_add_test(t, exclusive_one_process);
	tcase_add_test(t, exclusive_one_claim);
	tcase_add_test(t, exclusive_claim_opens_device);
	tcase_add_test(t, exclusive_release_gives_up);
	tcase_add_test(t, same_answers_as_vfio);
	tcase_add_test(t, fresh_when_unused);
	tcase_add_test(t, hostile_symlink);
	tcase_add_test(t, hostile_corrupt_header);
	tcase_add_test(t, hostile_forged_tickets);
	suite_add_tcase(s, t);
	return s;
}
