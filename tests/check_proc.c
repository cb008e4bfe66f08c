/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process sections: naming, contention across processes, waiting in
 * turn, crashes (including inside the registry lock), fork and exec, and
 * a registry file that is foreign, corrupt or a symlink.
 *
 * Children report through shared memory and exit codes, never through
 * ck_assert (they are not the process Check watches).
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_seg.h"
#include "util.h"

Suite *proc_suite(void);

static char reg_file[4200]; /* "<qt_dir>/registry.proc" */

static void setup(void)
{
	qt_dir_setup();
	snprintf(reg_file, sizeof(reg_file), "%s/registry.proc", qt_dir);
}

/* ---- helpers ------------------------------------------------------------ */

/* A 4xxx device `id` whose [SSL] has NumProcesses = nproc. */
static void ssl_conf(unsigned int id, const char *general, unsigned int nproc,
		     const char *ssl_extra)
{
	char sec[512];

	snprintf(sec, sizeof(sec), "[SSL]\nNumProcesses = %u\n%s", nproc,
		 ssl_extra ? ssl_extra : "");
	qt_sim_conf(qt_dir, "4xxx", id, general, sec);
}

static void *shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int get_int(const volatile int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set_int(volatile int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Poll until *p >= want or ms pass; returns the last value seen. */
static int wait_int(const volatile int *p, int want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (get_int(p) < want && now_ms() < end)
		sleep_ms(1);
	return get_int(p);
}

/* The registry as a reader sees it (white-box). */
static struct proc_seg *seg_map(size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(reg_file, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ck_assert_ptr_ne(p, MAP_FAILED);
	*len = (size_t)st.st_size;
	return p;
}

static uint32_t seg_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Wait until the registry counts `want` queued waiters. */
static uint32_t wait_queued(uint32_t want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	struct proc_seg *seg;
	size_t len;
	uint32_t n;

	while (access(reg_file, F_OK) && now_ms() < end)
		sleep_ms(1);
	seg = seg_map(&len);
	while ((n = seg_u32(&seg->nwaiting)) != want && now_ms() < end)
		sleep_ms(1);
	munmap(seg, len);
	return n;
}

static uint32_t seg_repairs(void)
{
	size_t len;
	struct proc_seg *seg = seg_map(&len);
	uint32_t n = seg_u32(&seg->shm.repairs);

	munmap(seg, len);
	return n;
}

static struct qat_proc *take(struct qat_rt *rt, const char *want)
{
	struct qat_proc *p = NULL;
	int ret = qat_proc_acquire(rt, "SSL", NULL, &p);

	ck_assert_msg(ret == 0, "acquire: %s", qat_strerror(ret));
	if (want)
		ck_assert_str_eq(qat_proc_name(p), want);
	return p;
}

static int try_take(struct qat_rt *rt, int wait, int timeout_ms,
		    struct qat_proc **p)
{
	struct qat_proc_opts o = { .sz = sizeof(o) };

	o.flags = wait ? QAT_PROC_WAIT : 0;
	o.timeout_ms = timeout_ms;
	return qat_proc_acquire(rt, "SSL", &o, p);
}

static unsigned int accel_of(const struct qat_proc *p)
{
	struct qat_dev_info info;

	ck_assert_int_eq(qat_dev_info(qat_proc_dev(p), &info), 0);
	return info.accel_id;
}

/* ---- naming and search -------------------------------------------------- */

struct many {
	volatile int go, done, quit;
	int rets[64];
	char names[64][128];
};

static void many_child(struct qat_rt *rt, struct many *m, int k)
{
	struct qat_proc *p = NULL;

	while (!get_int(&m->go))
		usleep(200);
	m->rets[k] = qat_proc_acquire(rt, "SSL", NULL, &p);
	if (!m->rets[k])
		snprintf(m->names[k], sizeof(m->names[k]), "%s",
			 qat_proc_name(p));
	__atomic_add_fetch(&m->done, 1, __ATOMIC_SEQ_CST);
	while (!get_int(&m->quit))
		usleep(1000);
	_exit(0); /* no release: exit ends the claim */
}

START_TEST(sixty_four_at_once)
{
	struct many *m = shared(sizeof(*m));
	struct qat_proc_claim claims[70];
	char want[64], seen[64] = { 0 };
	struct qat_proc *p = NULL;
	pid_t pids[64];
	struct qat_rt *rt;
	int k, n;

	ssl_conf(0, NULL, 64, NULL);
	/* Not attached yet: the 64 children race to create the registry. */
	rt = qt_rt_open(qt_dir);
	for (k = 0; k < 64; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (pids[k] == 0)
			many_child(rt, m, k);
	}
	set_int(&m->go, 1);
	ck_assert_int_eq(wait_int(&m->done, 64, 20000), 64);
	for (k = 0; k < 64; k++) {
		ck_assert_msg(m->rets[k] == 0, "child %d: %s", k,
			      qat_strerror(m->rets[k]));
		ck_assert_int_eq(sscanf(m->names[k], "SSL_INT_%d", &n), 1);
		snprintf(want, sizeof(want), "SSL_INT_%d", n);
		ck_assert_str_eq(m->names[k], want);
		ck_assert_int_lt(n, 64);
		ck_assert_msg(!seen[n], "%s given twice", want);
		seen[n] = 1;
	}
	/* The 65th. */
	p = QT_SENTINEL;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EAGAIN);
	qt_assert_untouched(p);
	ck_assert_int_eq(qat_proc_list(rt, claims, 70), 64);
	for (k = 0; k < 64; k++) { /* numbers in order: _2 before _10 */
		snprintf(want, sizeof(want), "SSL_INT_%d", k);
		ck_assert_str_eq(claims[k].name, want);
	}
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 64);
	set_int(&m->quit, 1);
	for (k = 0; k < 64; k++)
		ck_assert_int_eq(qt_reap(pids[k]), 0);
	ck_assert_int_eq(qat_proc_list(rt, claims, 70), 0);
	p = take(rt, "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
	munmap(m, sizeof(*m));
}
END_TEST

START_TEST(limit_dev_access_two_devices)
{
	static const char *const want[] = { "SSL_DEV0_INT_0", "SSL_DEV0_INT_1",
					    "SSL_DEV1_INT_0",
					    "SSL_DEV1_INT_1" };
	struct qat_proc_claim c[8];
	struct qat_proc *p[4], *q = NULL;
	struct timespec ts;
	struct qat_rt *rt;
	unsigned int i;

	ssl_conf(0, NULL, 2, "LimitDevAccess = 1\n");
	ssl_conf(1, NULL, 2, "LimitDevAccess = 1\n");
	rt = qt_rt_open(qt_dir);
	for (i = 0; i < 4; i++) {
		p[i] = take(rt, want[i]);
		ck_assert_uint_eq(accel_of(p[i]), i / 2);
	}
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &q), -EAGAIN);
	ck_assert_int_eq(qat_proc_list(rt, c, 8), 4);
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < 4; i++) {
		ck_assert_str_eq(c[i].name, want[i]);
		ck_assert_uint_eq(c[i].accel_id, i / 2);
		ck_assert_int_eq(c[i].pid, getpid());
		ck_assert_uint_le(c[i].claimed_ns,
				  (uint64_t)ts.tv_sec * 1000000000u +
					  (uint64_t)ts.tv_nsec);
		ck_assert_uint_gt(c[i].claimed_ns,
				  (uint64_t)(ts.tv_sec - 60) * 1000000000u);
	}
	/* A freed name is the first free one again: numbers stay dense. */
	ck_assert_int_eq(qat_proc_release(p[1]), 0);
	p[1] = take(rt, "SSL_DEV0_INT_1");
	ck_assert_int_eq(qat_proc_list(rt, c, 2), 4); /* count beyond max */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(qat_proc_release(p[i]), 0);
	ck_assert_int_eq(qat_proc_list(rt, c, 8), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(stopped_devices_skipped)
{
	struct qat_proc *p, *q = NULL;
	struct qat_rt *rt;

	ssl_conf(0, "SimStarted = 0\n", 1, NULL);
	ssl_conf(1, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	ck_assert_uint_eq(accel_of(p), 1);
	ck_assert_ptr_eq(qat_proc_dev(p), qt_dev_at(rt, 1));
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &q), -EAGAIN);
	/* The same name on the other device is another claim. */
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 1), 0);
	q = take(rt, "SSL_INT_0");
	ck_assert_uint_eq(accel_of(q), 0);
	ck_assert_int_eq(qat_proc_release(q), 0);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 0), 0), 0);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 1), 0), 0);
	q = QT_SENTINEL;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &q), -ENODEV);
	qt_assert_untouched(q);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}
END_TEST

static int log_hits;
static char log_last[512];

static void log_cb(enum qat_log_level level, const char *msg, void *arg)
{
	log_hits++;
	snprintf(log_last, sizeof(log_last), "%s", msg);
}

START_TEST(bad_requests)
{
	struct qat_proc_opts o = { .sz = sizeof(o) };
	struct qat_proc *p = QT_SENTINEL;
	char longname[200];
	struct qat_rt *rt;

	ssl_conf(0, NULL, 1, NULL);
	qt_write(qt_dir, "c62x_dev1.conf",
		 "[GENERAL]\nSimDevice = c62x\nSimStarted = 0\n"
		 "[DC]\nNumProcesses = 1\n[NOPROC]\nA = 1\n");
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(NULL, "SSL", NULL, &p), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, NULL, NULL, &p), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, NULL), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "", NULL, &p), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SS L", NULL, &p), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL-1", NULL, &p), -EINVAL);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL\xc3\xa9", NULL, &p),
			 -EINVAL);
	memset(longname, 'A', 128);
	longname[128] = '\0'; /* exactly the maximum: no room for a NUL */
	ck_assert_int_eq(qat_proc_acquire(rt, longname, NULL, &p), -EINVAL);
	longname[127] = '\0'; /* 127 is valid, merely unknown */
	ck_assert_int_eq(qat_proc_acquire(rt, longname, NULL, &p), -ENOENT);
	o.flags = 1u << 7;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), -EINVAL);
	o.flags = 0;
	o.sz = 1;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), -EINVAL);
	qt_assert_untouched(p);

	/* Unknown section: -ENOENT, and the log names it. */
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(rt, "MISSING_SEC", NULL, &p),
			 -ENOENT);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_int_ge(log_hits, 1);
	ck_assert_ptr_nonnull(strstr(log_last, "MISSING_SEC"));
	/* Only on a stopped device: -ENODEV. No NumProcesses: -ENOENT. */
	ck_assert_int_eq(qat_proc_acquire(rt, "DC", NULL, &p), -ENODEV);
	ck_assert_int_eq(qat_sim_set_started(qt_dev_at(rt, 1), 1), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "NOPROC", NULL, &p), -ENOENT);
	ck_assert_int_eq(qat_proc_acquire(rt, "DC", NULL, &p), 0);
	ck_assert_str_eq(qat_proc_name(p), "DC_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);

	ck_assert_int_eq(qat_proc_release(NULL), 0);
	ck_assert_ptr_null(qat_proc_name(NULL));
	ck_assert_ptr_null(qat_proc_dev(NULL));
	ck_assert_int_eq(qat_proc_list(NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 3), -EINVAL);
	qat_rt_close(rt);
}
END_TEST

START_TEST(second_release_is_an_error)
{
	struct qat_proc *p, *q;
	struct qat_rt *rt;

	ssl_conf(0, NULL, 2, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(qat_proc_release(p), -EBADF);
	/* A new claim does not bring the old handle back to life. */
	q = take(rt, "SSL_INT_0");
	ck_assert_ptr_ne(q, p);
	ck_assert_int_eq(qat_proc_release(p), -EBADF);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 1);
	ck_assert_int_eq(qat_proc_release(q), 0);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	/* Close with a claim held: the claim ends with the runtime. */
	take(rt, "SSL_INT_0");
	qat_rt_close(rt);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(registry_mode)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	char reg[4200];
	struct qat_proc *p;
	struct qat_rt *rt;
	struct stat st;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	ck_assert_int_eq(stat(reg_file, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);

	/* A group-shared registry (0660; the group comes from the dir). */
	snprintf(reg, sizeof(reg), "%s/shared", qt_dir);
	o.config_path = qt_dir;
	o.registry_path = reg;
	o.registry_mode = 0660;
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	p = take(rt, "SSL_INT_0");
	snprintf(reg, sizeof(reg), "%s/shared.proc", qt_dir);
	ck_assert_int_eq(stat(reg, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}
END_TEST

/* ---- waiting ------------------------------------------------------------ */

enum holder_end { END_RELEASE, END_EXIT, END_KILL9 };

/* A child that holds SSL_INT_0, then ends its claim `how` after ms. */
static pid_t holder(struct qat_rt *rt, enum holder_end how, unsigned int ms,
		    volatile int *ready)
{
	struct qat_proc *p = NULL;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	if (qat_proc_acquire(rt, "SSL", NULL, &p))
		_exit(2);
	set_int(ready, 1);
	sleep_ms(ms);
	if (how == END_KILL9)
		raise(SIGKILL);
	if (how == END_RELEASE && qat_proc_release(p))
		_exit(3);
	set_int(ready, 2);
	if (how == END_RELEASE)
		sleep_ms(5000); /* the release alone must wake the waiter */
	_exit(0);
}

/* holder(), once it holds the name. */
static pid_t holding(struct qat_rt *rt, enum holder_end how, unsigned int ms,
		     volatile int *ready)
{
	pid_t pid = holder(rt, how, ms, ready);

	ck_assert_int_eq(wait_int(ready, 1, 5000), 1);
	return pid;
}

/* End a test around a holder: it, the runtime, the shared words. */
static void holding_end(pid_t pid, struct qat_rt *rt, volatile int *ready,
			size_t len)
{
	kill(pid, SIGKILL);
	qt_reap(pid);
	qat_rt_close(rt);
	munmap((void *)ready, len);
}

static void check_wakes(enum holder_end how, int want_status)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc *p = NULL;
	struct qat_rt *rt = qt_rt_open(qt_dir);
	uint64_t t0, dt;
	pid_t pid;

	pid = holder(rt, how, 200, ready);
	ck_assert_int_eq(wait_int(ready, 1, 5000), 1);
	t0 = now_ms();
	ck_assert_int_eq(try_take(rt, 1, 10000, &p), 0);
	dt = now_ms() - t0;
	ck_assert_str_eq(qat_proc_name(p), "SSL_INT_0");
	ck_assert_msg(dt >= 50 && dt < 2000, "woke after %llu ms",
		      (unsigned long long)dt);
	ck_assert_int_eq(qat_proc_release(p), 0);
	if (how == END_RELEASE)
		kill(pid, SIGKILL);
	ck_assert_int_eq(qt_reap(pid), want_status);
	qat_rt_close(rt);
	munmap((void *)ready, sizeof(int));
}

START_TEST(waiter_wakes_on_release)
{
	ssl_conf(0, NULL, 1, NULL);
	check_wakes(END_RELEASE, 128 + SIGKILL);
}
END_TEST

START_TEST(waiter_wakes_on_exit)
{
	ssl_conf(0, NULL, 1, NULL);
	check_wakes(END_EXIT, 0);
}
END_TEST

START_TEST(waiter_wakes_on_kill9)
{
	ssl_conf(0, NULL, 1, NULL);
	check_wakes(END_KILL9, 128 + SIGKILL);
}
END_TEST

START_TEST(wait_times_out)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc *p = QT_SENTINEL;
	struct qat_rt *rt;
	uint64_t t0, dt;
	pid_t pid;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	pid = holding(rt, END_RELEASE, 700, ready);
	t0 = now_ms();
	ck_assert_int_eq(try_take(rt, 1, 200, &p), -ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 195 && dt < 1000, "timed out after %llu ms",
		      (unsigned long long)dt);
	ck_assert_int_eq(try_take(rt, 1, 0, &p), -ETIMEDOUT);
	qt_assert_untouched(p);
	/* Giving up left no place in the queue behind... */
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	/* ...so once released, a caller that does not wait gets it. */
	ck_assert_int_eq(wait_int(ready, 2, 10000), 2);
	ck_assert_int_eq(try_take(rt, 0, 0, &p), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	holding_end(pid, rt, ready, sizeof(int));
}
END_TEST

/* Never -ETIMEDOUT before timeout_ms, measured to the nanosecond (the
 * clock used to be cut to whole milliseconds: 17 asked, 16 waited). */
START_TEST(timeout_never_early)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc *p = NULL;
	struct timespec a, b;
	struct qat_rt *rt;
	int64_t ns;
	pid_t pid;
	int i;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	pid = holding(rt, END_RELEASE, 20000, ready);
	for (i = 0; i < 30; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		ck_assert_int_eq(try_take(rt, 1, 17, &p), -ETIMEDOUT);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 +
		     (b.tv_nsec - a.tv_nsec);
		ck_assert_msg(ns >= 17000000, "gave up after %lld ns",
			      (long long)ns);
	}
	holding_end(pid, rt, ready, sizeof(int));
}
END_TEST

/*
 * With the 10 ms safety-net poll off, only the release's wakeup can end
 * the wait: a release that forgets to wake fails this test (the waiter
 * then times out), where the poll would hide it.
 */
START_TEST(release_wakes_without_poll)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	uint64_t t0, dt;
	pid_t pid;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	pid = holding(rt, END_RELEASE, 300, ready);
	qat_proc_test_no_poll = 1;
	t0 = now_ms();
	ck_assert_int_eq(try_take(rt, 1, 4000, &p), 0);
	dt = now_ms() - t0;
	qat_proc_test_no_poll = 0;
	/* It was the release (the holder says so just after it). */
	ck_assert_int_eq(wait_int(ready, 2, 5000), 2);
	ck_assert_msg(dt < 3000, "woke after %llu ms", (unsigned long long)dt);
	ck_assert_int_eq(qat_proc_release(p), 0);
	holding_end(pid, rt, ready, sizeof(int));
}
END_TEST

static void on_usr1(int sig)
{
}

/* A handler that runs ends a waiting acquire with -EINTR (it used to go
 * on waiting), installed without SA_RESTART (_i 0) or with it (_i 1): no
 * timed wait can honour the flag (proc.h). */
START_TEST(signal_interrupts_wait)
{
	volatile int *ready = shared(2 * sizeof(int));
	struct sigaction sa = { .sa_handler = on_usr1,
				.sa_flags = _i ? SA_RESTART : 0 };
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	pid_t pid, w;
	int i, st = 0;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	pid = holding(rt, END_RELEASE, 20000, ready);
	w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		set_int(&ready[1], 1);
		_exit(try_take(rt, 1, 15000, &p) == -EINTR ? 0 : 1);
	}
	ck_assert_int_eq(wait_int(&ready[1], 1, 5000), 1);
	ck_assert_uint_eq(wait_queued(1, 5000), 1);
	/* Again until it ends: a signal that lands between two of its
	 * sleeps (it rechecks every 10 ms) interrupts nothing. */
	for (i = 0; i < 50 && waitpid(w, &st, WNOHANG) == 0; i++) {
		kill(w, SIGUSR1);
		sleep_ms(100);
	}
	ck_assert_int_lt(i, 50);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	ck_assert_uint_eq(wait_queued(0, 10), 0); /* it left the queue */
	holding_end(pid, rt, ready, 2 * sizeof(int));
}
END_TEST

/* A readable cancel fd ends a waiting acquire with -ECANCELED, soon. */
START_TEST(cancel_fd_ends_wait)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc_opts o = { .sz = sizeof(o) };
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	uint64_t t0, dt;
	int fds[2];
	pid_t pid, w;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(pipe(fds), 0);
	o.flags = QAT_PROC_WAIT | QAT_PROC_CANCEL_FD;
	o.timeout_ms = -1;
	o.cancel_fd = fds[0];
	/* Nothing held: the cancel fd changes nothing. */
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	pid = holding(rt, END_RELEASE, 20000, ready);
	w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		sleep_ms(200);
		_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
	}
	t0 = now_ms();
	p = NULL;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), -ECANCELED);
	dt = now_ms() - t0;
	ck_assert_ptr_null(p);
	ck_assert_msg(dt >= 150 && dt < 2000, "cancelled after %llu ms",
		      (unsigned long long)dt);
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	ck_assert_int_eq(qt_reap(w), 0);
	/* A cancel fd that is not open is a bad option. */
	o.cancel_fd = 1000000;
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), -EINVAL);
	close(fds[0]);
	close(fds[1]);
	/* A cancel fd whose other end was closed (hung up, nothing to
	 * read) cancels too. */
	ck_assert_int_eq(pipe(fds), 0);
	close(fds[1]);
	o.cancel_fd = fds[0];
	o.timeout_ms = 2000; /* missed: -ETIMEDOUT, not a hang */
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", &o, &p), -ECANCELED);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	close(fds[0]);
	holding_end(pid, rt, ready, sizeof(int));
}
END_TEST

/* A registry whose directory does not exist: -ENOENT, and the log says
 * it is the directory (not a section) that is missing. */
START_TEST(missing_registry_directory)
{
	char reg[4200];
	struct qat_proc *p = NULL;
	struct qat_rt *rt;

	ssl_conf(0, NULL, 1, NULL);
	snprintf(reg, sizeof(reg), "%s/no-such-dir/registry", qt_dir);
	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, reg, &rt), 0);
	log_last[0] = '\0';
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ENOENT);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_ptr_nonnull(strstr(log_last, "directory does not exist"));
	ck_assert_ptr_nonnull(strstr(log_last, "no-such-dir"));
	ck_assert_ptr_null(p);
	qat_rt_close(rt);
}
END_TEST

struct order {
	volatile int next;
	int who[8];
	int rets[8];
};

static pid_t fifo_waiter(struct qat_rt *rt, struct order *o, int k)
{
	struct qat_proc *p = NULL;
	pid_t pid = fork();
	int i;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	o->rets[k] = try_take(rt, 1, 20000, &p);
	if (o->rets[k])
		_exit(1);
	i = __atomic_fetch_add(&o->next, 1, __ATOMIC_SEQ_CST);
	o->who[i] = k;
	sleep_ms(20);
	_exit(qat_proc_release(p) ? 2 : 0);
}

/* Waiters queue one after the other; waiter `dead` (-1: none) is killed
 * while queued. They must be served in arrival order. */
static void check_fifo(int n, int dead)
{
	struct order *o = shared(sizeof(*o));
	struct qat_proc *p, *q = NULL;
	struct qat_rt *rt;
	pid_t pids[8];
	int k, i, queued = 0;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	for (k = 0; k < n; k++) {
		pids[k] = fifo_waiter(rt, o, k);
		ck_assert_uint_eq(wait_queued(++queued, 5000), queued);
	}
	if (dead >= 0) {
		kill(pids[dead], SIGKILL);
		ck_assert_int_eq(qt_reap(pids[dead]), 128 + SIGKILL);
	}
	/* Newcomers do not jump the queue, even when a name is free. */
	ck_assert_int_eq(qat_proc_release(p), 0);
	for (k = 0; k < n; k++)
		if (k != dead)
			ck_assert_int_eq(qt_reap(pids[k]), 0);
	for (i = 0, k = 0; k < n; k++) {
		if (k == dead)
			continue;
		ck_assert_msg(o->who[i] == k, "served %d as #%d", o->who[i], i);
		i++;
	}
	ck_assert_int_eq(get_int(&o->next), dead >= 0 ? n - 1 : n);
	ck_assert_int_eq(try_take(rt, 0, 0, &q), 0);
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	ck_assert_int_eq(qat_proc_release(q), 0);
	qat_rt_close(rt);
	munmap(o, sizeof(*o));
}

START_TEST(fifo_among_waiters)
{
	check_fifo(5, -1);
}
END_TEST

START_TEST(fifo_skips_a_dead_waiter)
{
	check_fifo(4, 1);
}
END_TEST

/* SIGSTOP pid, but not while it holds the registry lock (we would then
 * wait for it for ever). */
static void stop_outside_lock(pid_t pid)
{
	struct proc_seg *seg;
	struct stat st;
	int fd, tries, ret = EBUSY;

	fd = open(reg_file, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	seg = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	close(fd);
	ck_assert_ptr_ne(seg, MAP_FAILED);
	for (tries = 0; tries < 1000 && ret; tries++) {
		kill(pid, SIGSTOP);
		ret = pthread_mutex_trylock(&seg->shm.lock);
		if (!ret) {
			pthread_mutex_unlock(&seg->shm.lock);
			break;
		}
		kill(pid, SIGCONT);
		sleep_ms(2);
	}
	ck_assert_int_eq(ret, 0);
	munmap(seg, (size_t)st.st_size);
}

START_TEST(newcomer_waits_its_turn)
{
	struct order *o = shared(sizeof(*o));
	struct qat_proc *p, *q = NULL;
	struct qat_rt *rt;
	pid_t pid;

	ssl_conf(0, NULL, 2, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	q = take(rt, "SSL_INT_1");
	pid = fifo_waiter(rt, o, 0);
	ck_assert_uint_eq(wait_queued(1, 5000), 1);
	/* Stop the waiter so that it cannot take the name we free. */
	stop_outside_lock(pid);
	ck_assert_int_eq(qat_proc_release(q), 0);
	q = NULL;
	ck_assert_int_eq(try_take(rt, 0, 0, &q), -EAGAIN);
	kill(pid, SIGCONT);
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_eq(o->who[0], 0);
	q = take(rt, "SSL_INT_1");
	ck_assert_int_eq(qat_proc_release(q), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
	munmap(o, sizeof(*o));
}
END_TEST

/* ---- crashes inside the lock -------------------------------------------- */

static int hook_at;

static void die_hook(int where)
{
	if (where == hook_at)
		raise(SIGKILL);
}

/* A child that try_take()s and is SIGKILLed at hook point `where`. */
static void child_killed_at(struct qat_rt *rt, int where, int wait,
			    int timeout_ms)
{
	struct qat_proc *p;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		hook_at = where;
		qat_proc_test_hook = die_hook;
		try_take(rt, wait, timeout_ms, &p);
		_exit(0);
	}
	ck_assert_int_eq(qt_reap(pid), 128 + SIGKILL);
}

START_TEST(death_inside_the_lock_is_repaired)
{
	struct qat_proc *p, *q;
	struct qat_rt *rt;

	ssl_conf(0, NULL, 2, NULL);
	rt = qt_rt_open(qt_dir);
	/* Killed halfway through writing its claim. */
	child_killed_at(rt, PROC_HOOK_TAKE, 0, 0);
	p = take(rt, "SSL_INT_0");
	ck_assert_uint_eq(seg_repairs(), 1);
	q = take(rt, "SSL_INT_1");
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 2);

	/* Killed halfway through joining the queue. */
	child_killed_at(rt, PROC_HOOK_ENQUEUE, 1, 5000);
	ck_assert_int_eq(qat_proc_release(q), 0);
	q = take(rt, "SSL_INT_1");
	ck_assert_uint_eq(seg_repairs(), 2);
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	ck_assert_int_eq(qat_proc_release(q), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}
END_TEST

START_TEST(dead_holder_name_taken_back_in_order)
{
	volatile int *ready = shared(sizeof(int));
	struct qat_proc *a, *b, *c;
	struct qat_rt *rt;
	pid_t pid;

	ssl_conf(0, NULL, 3, NULL);
	rt = qt_rt_open(qt_dir);
	a = take(rt, "SSL_INT_0");
	pid = holder(rt, END_KILL9, 0, ready);
	ck_assert_int_eq(qt_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(get_int(ready), 1);
	/* Slot 1 still says TAKEN, but no one holds it: list skips it and
	 * the next claim takes it before 2. */
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 1);
	b = take(rt, "SSL_INT_1");
	c = take(rt, "SSL_INT_2");
	ck_assert_int_eq(qat_proc_release(a), 0);
	ck_assert_int_eq(qat_proc_release(b), 0);
	ck_assert_int_eq(qat_proc_release(c), 0);
	qat_rt_close(rt);
	munmap((void *)ready, sizeof(int));
}
END_TEST

/* ---- the registry file -------------------------------------------------- */

START_TEST(other_configuration_refused)
{
	char other[4200], reg[4200];
	struct qat_rt *a, *b;
	struct qat_proc *p, *q = QT_SENTINEL;

	ssl_conf(0, NULL, 2, NULL);
	snprintf(other, sizeof(other), "%s/other", qt_dir);
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	qt_sim_conf(other, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 3\n");
	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, reg, &a), 0);
	ck_assert_int_eq(qt_rt_try_open_reg(other, reg, &b), 0);
	p = take(a, "SSL_INT_0");
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(b, "SSL", NULL, &q), -ESTALE);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_ptr_nonnull(strstr(log_last, "configuration"));
	ck_assert_int_eq(qat_proc_list(b, NULL, 0), -ESTALE);
	qt_assert_untouched(q);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(a);
	qat_rt_close(b);
}
END_TEST

/*
 * A registry made for another configuration is re-made by itself once no
 * live claim remains; while one does, refused, naming the holder's pid;
 * a process that still had the old one open is told to reopen.
 */
START_TEST(registry_remade_when_unused)
{
	char other[4200], reg[4200], want[32];
	struct qat_rt *a, *b;
	struct qat_proc *p, *q = NULL;

	ssl_conf(0, NULL, 2, NULL);
	snprintf(other, sizeof(other), "%s/other", qt_dir);
	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	qt_sim_conf(other, "4xxx", 0, NULL, "[SSL]\nNumProcesses = 3\n");
	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, reg, &a), 0);
	ck_assert_int_eq(qt_rt_try_open_reg(other, reg, &b), 0);
	p = take(a, "SSL_INT_0");
	log_last[0] = '\0';
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(b, "SSL", NULL, &q), -ESTALE);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	snprintf(want, sizeof(want), " %d", (int)getpid());
	ck_assert_ptr_nonnull(strstr(log_last, want));
	ck_assert_int_eq(qat_proc_release(p), 0);
	/* No live claim: b's configuration takes over the file. */
	q = take(b, "SSL_INT_0");
	q = take(b, "SSL_INT_1");
	q = take(b, "SSL_INT_2"); /* three now */
	ck_assert_int_eq(qat_proc_list(b, NULL, 0), 3);
	/* a had the old one open. */
	ck_assert_int_eq(qat_proc_acquire(a, "SSL", NULL, &p), -ESTALE);
	qat_rt_close(b);
	qat_rt_close(a);
	/* And back, with no one left on it. */
	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, reg, &a), 0);
	p = take(a, "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(a);
}
END_TEST

/*
 * More than 64 names: the locks of names 64.. live in "<registry>.proc.1",
 * made with the registry's mode; claims there die with their process like
 * the others, and (as root) a lock file of another owner is refused.
 */
START_TEST(lock_files_beside_registry)
{
	static struct qat_proc *p[70];
	char side[4300], want[32];
	struct qat_rt *rt;
	struct stat st;
	pid_t pid;
	int k, ret = 0;

	ssl_conf(0, "MaxProcesses = 128\n", 70, NULL);
	snprintf(side, sizeof(side), "%s.1", reg_file);
	rt = qt_rt_open(qt_dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (k = 0; k < 70; k++)
			if (qat_proc_acquire(rt, "SSL", NULL, &p[k]))
				_exit(1);
		raise(SIGKILL);
	}
	ck_assert_int_eq(qt_reap(pid), 128 + SIGKILL);
	ck_assert_int_eq(stat(side, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* Every name of the dead process comes back, in order. */
	for (k = 0; k < 70; k++) {
		snprintf(want, sizeof(want), "SSL_INT_%d", k);
		p[k] = take(rt, want);
	}
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 70);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p[0]), 0 - EAGAIN);
	qat_rt_close(rt);
	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chown(side, 65534, 65534), 0);
	rt = qt_rt_open(qt_dir);
	/* Names whose locks are in the main file still work; the first one
	 * whose lock is in the foreign file is refused. (Slots are numbered
	 * by sorted section name: GENERAL and SSL come first.) */
	for (k = 0; k < 70; k++) {
		ret = qat_proc_acquire(rt, "SSL", NULL, &p[k]);
		if (ret)
			break;
	}
	ck_assert_int_eq(ret, -EPERM);
	ck_assert_int_ge(k, 60);
	ck_assert_int_lt(k, 64);
	qat_rt_close(rt);
}
END_TEST

static void scribble(off_t off, const void *buf, size_t len)
{
	int fd = open(reg_file, O_WRONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

START_TEST(corrupt_registry_refused)
{
	struct qat_proc *p = QT_SENTINEL;
	struct qat_rt *rt;
	uint32_t big = 12345;

	ssl_conf(0, NULL, 2, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0); /* creates it */
	qat_rt_close(rt);

	scribble(0, "garbage!", 8); /* the magic */
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPROTO);
	qat_rt_close(rt);

	unlink(reg_file);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	qat_rt_close(rt);
	scribble(offsetof(struct proc_seg, nslots), &big, sizeof(big));
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPROTO);
	qat_rt_close(rt);

	ck_assert_int_eq(truncate(reg_file, 100), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPROTO);
	qt_assert_untouched(p);
	qat_rt_close(rt);
}
END_TEST

START_TEST(symlink_refused)
{
	char target[4200];
	struct qat_proc *p = NULL;
	struct qat_rt *rt;

	ssl_conf(0, NULL, 2, NULL);
	snprintf(target, sizeof(target), "%s/elsewhere", qt_dir);
	ck_assert_int_eq(symlink(target, reg_file), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ELOOP);
	ck_assert_int_eq(access(target, F_OK), -1); /* nothing made there */
	qat_rt_close(rt);
}
END_TEST

/* Flip byte `off` of `path` (XOR 0xff). */
static void flip_byte(const char *path, off_t off)
{
	unsigned char b;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/*
 * Bytes 40..42 are the robust mutex's lock word: flipped, it names an
 * owner thread that does not exist (or an unrelated one). Acquire and
 * list must come back, repaired or -EPROTO, with a log line, in bounded
 * time (the suite's timeout catches a hang).
 */
/*
 * A lock word naming a thread that exists (init, pid 1) but never
 * unlocks: the wait gives up with -EPROTO after SHM_LOCK_GIVEUP_MS and a
 * log line. In a child, so that a wait without the give-up fails here in
 * seconds instead of hanging to the suite's timeout.
 */
START_TEST(live_lock_owner_given_up)
{
	const uint32_t word = 1;
	int fd, st = 0, i;
	struct qat_rt *rt;
	pid_t pid;

	ssl_conf(0, NULL, 2, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0); /* makes it */
	qat_rt_close(rt);
	fd = open(reg_file, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &word, sizeof(word), 40), sizeof(word));
	close(fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct qat_proc *p = NULL;
		struct qat_rt *r = NULL;
		int ret;

		if (qt_rt_try_open(qt_dir, &r))
			_exit(3);
		log_hits = 0;
		qat_set_log_fn(log_cb, NULL, QAT_LOG_WARN);
		ret = qat_proc_acquire(r, "SSL", NULL, &p);
		_exit(ret != -EPROTO ? 1 : log_hits < 1 ? 2 : 0);
	}
	for (i = 0; i < 100 && waitpid(pid, &st, WNOHANG) == 0; i++)
		sleep_ms(100);
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_abort_msg("a lock held by a live thread is waited on for ever");
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}
END_TEST

START_TEST(corrupt_lock_word_bounded)
{
	static const off_t bytes[] = { 40, 41, 42 };
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	uint64_t t0, dt;
	unsigned int i;
	int ret;

	ck_assert_uint_eq(offsetof(struct qat_shm_hdr, lock), 40);
	ssl_conf(0, NULL, 2, NULL);
	for (i = 0; i < 3; i++) {
		unlink(reg_file);
		rt = qt_rt_open(qt_dir);
		ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0); /* makes it */
		qat_rt_close(rt);
		flip_byte(reg_file, bytes[i]);
		rt = qt_rt_open(qt_dir);
		log_hits = 0;
		qat_set_log_fn(log_cb, NULL, QAT_LOG_WARN);
		t0 = now_ms();
		ret = qat_proc_acquire(rt, "SSL", NULL, &p);
		dt = now_ms() - t0;
		qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
		ck_assert_msg(ret == 0 || ret == -EPROTO, "byte %d: %s",
			      (int)bytes[i], qat_strerror(ret));
		ck_assert_msg(dt < SHM_LOCK_GIVEUP_MS + 2000,
			      "byte %d: %llu ms", (int)bytes[i],
			      (unsigned long long)dt);
		ck_assert_int_ge(log_hits, 1);
		/* Byte 42 names thread 0xff0000, past any pid_max: taken
		 * over at once, not waited on until the give-up. */
		if (i == 2)
			ck_assert_msg(ret == 0 && dt < SHM_LOCK_GIVEUP_MS,
				      "dead owner: %s after %llu ms",
				      qat_strerror(ret),
				      (unsigned long long)dt);
		if (ret == 0) { /* repaired: the registry works again */
			ck_assert_str_eq(qat_proc_name(p), "SSL_INT_0");
			ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 1);
			ck_assert_int_eq(qat_proc_release(p), 0);
			ck_assert_uint_ge(seg_repairs(), 1);
		}
		qat_rt_close(rt);
	}
}
END_TEST

/* A directory or a socket at the registry path: -EPERM, as documented,
 * whatever open() says (EISDIR, ENXIO). */
START_TEST(not_a_regular_file)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	int fd;

	ssl_conf(0, NULL, 1, NULL);
	ck_assert_int_eq(mkdir(reg_file, 0700), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), -EPERM);
	qat_rt_close(rt);
	ck_assert_int_eq(rmdir(reg_file), 0);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(reg_file), sizeof(a.sun_path));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", reg_file);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	ck_assert_ptr_null(p);
	qat_rt_close(rt);
	close(fd);
	unlink(reg_file);

	ck_assert_int_eq(mkfifo(reg_file, 0600), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	qat_rt_close(rt);
}
END_TEST

/* Root only (registered only then): files owned by someone else. */
START_TEST(foreign_owner_refused)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	qat_rt_close(rt);
	ck_assert_int_eq(chown(reg_file, 65534, 65534), 0); /* nobody */
	rt = qt_rt_open(qt_dir);
	log_hits = 0;
	log_last[0] = '\0';
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_int_ge(log_hits, 1);
	ck_assert_ptr_nonnull(strstr(log_last, "owned by uid 65534"));
	ck_assert_ptr_null(p);
	qat_rt_close(rt);
	/* Root's own file, group-writable by a group root is not in. */
	ck_assert_int_eq(chown(reg_file, 0, 54321), 0);
	ck_assert_int_eq(chmod(reg_file, 0660), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	qat_rt_close(rt);
	/* Back to root's: accepted again. */
	ck_assert_int_eq(chown(reg_file, 0, 0), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
}
END_TEST

/* The simulated devices' shared files beside the registry. */
static int unlink_sim_files(void)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/registry.sim0", qt_dir);
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

static int group_open(unsigned int gid, struct qat_rt **rt)
{
	struct qat_rt_opts o = { .sz = sizeof(o) };
	char reg[4200];

	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	o.config_path = qt_dir;
	o.registry_path = reg;
	o.flags = QAT_RT_NO_PCI | QAT_RT_REGISTRY_GROUP;
	o.registry_gid = gid;
	return qat_rt_open(&o, rt);
}

/* Root only: a registry shared by a group, made by another member. */
START_TEST(group_shared_registry)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	struct stat st;

	ssl_conf(0, NULL, 1, NULL);
	/* Made with the group option: given to the group, mode 0660. */
	ck_assert_int_eq(group_open(54321, &rt), 0);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	qat_rt_close(rt);
	ck_assert_int_eq(stat(reg_file, &st), 0);
	ck_assert_uint_eq(st.st_gid, 54321);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	/* Another member made it: any owner will do with the option... */
	ck_assert_int_eq(chown(reg_file, 65534, 54321), 0);
	ck_assert_int_eq(group_open(54321, &rt), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_int_eq(qat_proc_release(p), 0);
	qat_rt_close(rt);
	/* ...but not without it (the device's file beside the registry,
	 * made with the group, is refused at open; the claim file later), */
	ck_assert_int_eq(unlink_sim_files(), 0);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	qat_rt_close(rt);
	ck_assert_int_eq(unlink_sim_files(), 0);
	/* nor for another group, */
	ck_assert_int_eq(group_open(54322, &rt), 0);
	log_last[0] = '\0';
	qat_set_log_fn(log_cb, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_ptr_nonnull(strstr(log_last, "sharing group"));
	qat_rt_close(rt);
	ck_assert_int_eq(unlink_sim_files(), 0);
	/* nor with any bit for others. */
	ck_assert_int_eq(chmod(reg_file, 0664), 0);
	p = NULL;
	ck_assert_int_eq(group_open(54321, &rt), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -EPERM);
	ck_assert_ptr_null(p);
	qat_rt_close(rt);
}
END_TEST

/* ---- fork and exec ------------------------------------------------------ */

START_TEST(fork_child_does_not_inherit)
{
	struct qat_proc_claim c[4];
	struct qat_proc *p, *q;
	struct qat_rt *rt;
	pid_t pid, parent = getpid();

	ssl_conf(0, NULL, 3, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The parent's handle is inert here. */
		if (qat_proc_release(p) != -ESRCH)
			_exit(1);
		if (qat_proc_release(p) != -EBADF)
			_exit(2);
		if (qat_proc_list(rt, c, 4) != 1 || c[0].pid != parent)
			_exit(3);
		/* Its own claims work, and end when it exits. */
		if (qat_proc_acquire(rt, "SSL", NULL, &q) ||
		    strcmp(qat_proc_name(q), "SSL_INT_1"))
			_exit(4);
		if (qat_proc_list(rt, c, 4) != 2 || c[1].pid != getpid())
			_exit(5);
		_exit(0);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_eq(qat_proc_list(rt, c, 4), 1);
	ck_assert_str_eq(c[0].name, "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(qat_proc_list(rt, c, 4), 0);
	qat_rt_close(rt);
}
END_TEST

/*
 * A child must not keep its parent's claim alive by outliving it. (Until
 * the child first runs, its fd table is the kernel's copy of the parent's:
 * the atfork handler closes the copies before fork() returns in it.)
 */
START_TEST(claim_dies_with_parent_not_child)
{
	volatile int *grandchild = shared(2 * sizeof(int));
	struct qat_proc *p;
	struct qat_rt *rt;
	pid_t pid, gc;

	ssl_conf(0, NULL, 1, NULL);
	rt = qt_rt_open(qt_dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (qat_proc_acquire(rt, "SSL", NULL, &p))
			_exit(1);
		gc = fork();
		if (gc == 0) {
			set_int(&grandchild[1], 1);
			sleep_ms(10000); /* never calls the library again */
			_exit(0);
		}
		set_int(grandchild, gc);
		_exit(0);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_gt(get_int(grandchild), 0);
	ck_assert_int_eq(wait_int(&grandchild[1], 1, 5000), 1);
	ck_assert_int_eq(kill(get_int(grandchild), 0), 0); /* still there */
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	p = take(rt, "SSL_INT_0");
	ck_assert_int_eq(qat_proc_release(p), 0);
	kill(get_int(grandchild), SIGKILL);
	qat_rt_close(rt);
	munmap((void *)grandchild, 2 * sizeof(int));
}
END_TEST

/* Open fds of this process that refer to the registry file. */
static int registry_fds(void)
{
	char link[PATH_MAX + 1], path[300];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;
	int count = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		count += strstr(link, "registry.proc") != NULL;
	}
	closedir(d);
	return count;
}

START_TEST(exec_leaks_no_fd)
{
	const char *bindir = getenv("QATRT_TEST_BINDIR");
	struct qat_proc *p, *q;
	struct qat_rt *rt;
	char prog[4200];
	pid_t pid;

	ssl_conf(0, NULL, 4, NULL);
	rt = qt_rt_open(qt_dir);
	p = take(rt, "SSL_INT_0");
	q = take(rt, "SSL_INT_1");
	ck_assert_int_eq(qat_proc_release(q), 0); /* leaves a pooled fd */
	q = take(rt, "SSL_INT_1");
	/* The mapping's fd and the claims' lock fd: the test can see a
	 * leak. */
	ck_assert_int_ge(registry_fds(), 2);
	snprintf(prog, sizeof(prog), "%s/prog_proc_fds",
		 bindir && *bindir ? bindir : "build/tests");
	ck_assert_msg(access(prog, X_OK) == 0, "%s missing", prog);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl(prog, prog, "registry.proc", (char *)NULL);
		_exit(99);
	}
	ck_assert_int_eq(qt_reap(pid), 0); /* its exit code is the fd count */
	ck_assert_int_eq(qat_proc_release(p), 0);
	ck_assert_int_eq(qat_proc_release(q), 0);
	qat_rt_close(rt);
}
END_TEST

/* ---- the crash storm ---------------------------------------------------- */

#define STORM_NAMES 8
#define STORM_WORKERS 16
#define STORM_MAX_INC (1u << 20)

struct storm {
	uint64_t owner[STORM_NAMES];     /* incarnation holding each name */
	uint64_t iterations, waits, timeouts, eagain;
	uint64_t violations, errors;
	char violation[256];
	uint8_t killed[STORM_MAX_INC];   /* set before the SIGKILL is sent */
};

static struct storm *storm;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t storm_rng;

/* Inside the registry lock: linger now and then, so that kills land. */
static void storm_hook(int where)
{
	if (xorshift(&storm_rng) % 6 == 0)
		usleep((useconds_t)(xorshift(&storm_rng) % 400));
}

static void storm_violation(uint64_t inc, const char *what, int k,
			    uint64_t other)
{
	__atomic_add_fetch(&storm->violations, 1, __ATOMIC_SEQ_CST);
	snprintf(storm->violation, sizeof(storm->violation),
		 "%s: SSL_INT_%d, incarnations %llu and %llu", what, k,
		 (unsigned long long)inc, (unsigned long long)other);
}

/* Hold a name for a moment, checking no live process holds it too. */
static void storm_hold(uint64_t inc, int k)
{
	uint64_t prev = __atomic_exchange_n(&storm->owner[k], inc,
					    __ATOMIC_SEQ_CST);
	uint64_t expect = inc;

	if (prev && !__atomic_load_n(&storm->killed[prev], __ATOMIC_SEQ_CST))
		storm_violation(inc, "taken from a live holder", k, prev);
	usleep((useconds_t)(xorshift(&storm_rng) % 300));
	if (!__atomic_compare_exchange_n(&storm->owner[k], &expect, 0, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		storm_violation(inc, "taken while held", k, expect);
}

static void storm_worker(struct qat_rt *rt, uint64_t inc)
{
	struct qat_proc *p;
	int ret, k, wait;

	storm_rng = inc * 0x9e3779b97f4a7c15ULL + 1;
	qat_proc_test_hook = storm_hook;
	for (;;) {
		wait = xorshift(&storm_rng) % 2;
		p = NULL;
		ret = try_take(rt, wait, (int)(xorshift(&storm_rng) % 50), &p);
		if (ret == -EAGAIN || ret == -ETIMEDOUT) {
			__atomic_add_fetch(ret == -EAGAIN ? &storm->eagain :
				&storm->timeouts, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (ret || sscanf(qat_proc_name(p), "SSL_INT_%d", &k) != 1 ||
		    k < 0 || k >= STORM_NAMES) {
			__atomic_add_fetch(&storm->errors, 1, __ATOMIC_SEQ_CST);
			_exit(1);
		}
		if (wait)
			__atomic_add_fetch(&storm->waits, 1, __ATOMIC_RELAXED);
		storm_hold(inc, k);
		if (qat_proc_release(p)) {
			__atomic_add_fetch(&storm->errors, 1, __ATOMIC_SEQ_CST);
			_exit(2);
		}
		__atomic_add_fetch(&storm->iterations, 1, __ATOMIC_RELAXED);
	}
}

static pid_t storm_spawn(struct qat_rt *rt, uint64_t inc)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		storm_worker(rt, inc);
	return pid;
}

static unsigned int storm_seconds(void)
{
	const char *v = getenv("QATRT_STORM_SECONDS");
	long n = v && *v ? strtol(v, NULL, 10) : 30;

	return n > 0 && n < 3600 ? (unsigned int)n : 30;
}

/* SIGKILL one worker; 1 when it was still running, as it should be. */
static int storm_kill(pid_t pid, uint64_t inc)
{
	__atomic_store_n(&storm->killed[inc], 1, __ATOMIC_SEQ_CST);
	kill(pid, SIGKILL);
	return qt_reap(pid) == 128 + SIGKILL;
}

static void storm_after(struct qat_rt *rt)
{
	struct qat_proc *p[STORM_NAMES], *q = NULL;
	char want[32];
	int k;

	/* Everyone is gone: no claim may be left, every name is free. */
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0);
	for (k = 0; k < STORM_NAMES; k++) {
		snprintf(want, sizeof(want), "SSL_INT_%d", k);
		p[k] = take(rt, want);
	}
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &q), -EAGAIN);
	ck_assert_uint_eq(wait_queued(0, 10), 0);
	for (k = 0; k < STORM_NAMES; k++)
		ck_assert_int_eq(qat_proc_release(p[k]), 0);
}

START_TEST(crash_storm)
{
	unsigned int secs = storm_seconds(), w, repairs;
	uint64_t incs[STORM_WORKERS], next_inc = 1, kills = 0, rng = 42;
	uint64_t end, strays = 0;
	pid_t pids[STORM_WORKERS];
	struct qat_rt *rt;

	storm = shared(sizeof(*storm));
	ssl_conf(0, NULL, STORM_NAMES, NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_proc_list(rt, NULL, 0), 0); /* attach first */
	for (w = 0; w < STORM_WORKERS; w++) {
		incs[w] = next_inc++;
		pids[w] = storm_spawn(rt, incs[w]);
	}
	end = now_ms() + secs * 1000u;
	while (now_ms() < end && next_inc < STORM_MAX_INC) {
		usleep((useconds_t)(200 + xorshift(&rng) % 2800));
		w = (unsigned int)(xorshift(&rng) % STORM_WORKERS);
		strays += !storm_kill(pids[w], incs[w]);
		kills++;
		incs[w] = next_inc++;
		pids[w] = storm_spawn(rt, incs[w]);
	}
	for (w = 0; w < STORM_WORKERS; w++)
		strays += !storm_kill(pids[w], incs[w]);
	repairs = seg_repairs();
	fprintf(stderr, "storm: %u s, %d processes, %llu iterations "
		"(%llu waiting), %llu EAGAIN, %llu timeouts, %llu kills, "
		"%u repairs, %llu violations\n", secs, STORM_WORKERS,
		(unsigned long long)storm->iterations,
		(unsigned long long)storm->waits,
		(unsigned long long)storm->eagain,
		(unsigned long long)storm->timeouts,
		(unsigned long long)kills, repairs,
		(unsigned long long)storm->violations);
	ck_assert_msg(storm->violations == 0, "%s", storm->violation);
	ck_assert_uint_eq(storm->errors, 0);
	ck_assert_uint_eq(strays, 0);
	ck_assert_uint_gt(kills, 10u * secs);
	ck_assert_uint_gt(storm->iterations, 100u * secs);
	ck_assert_uint_ge(repairs, 1);
	storm_after(rt);
	qat_rt_close(rt);
	munmap(storm, sizeof(*storm));
}
END_TEST

Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *naming = tcase_create("naming");
	TCase *waiting = tcase_create("waiting");
	TCase *crash = tcase_create("crash");
	TCase *file = tcase_create("file");
	TCase *forks = tcase_create("fork");
	TCase *st = tcase_create("storm");

	tcase_add_checked_fixture(naming, setup, qt_dir_teardown);
	tcase_add_test(naming, sixty_four_at_once);
	tcase_add_test(naming, limit_dev_access_two_devices);
	tcase_add_test(naming, stopped_devices_skipped);
	tcase_add_test(naming, bad_requests);
	tcase_add_test(naming, second_release_is_an_error);
	tcase_add_test(naming, registry_mode);
	suite_add_tcase(s, naming);

	tcase_add_checked_fixture(waiting, setup, qt_dir_teardown);
	tcase_add_test(waiting, waiter_wakes_on_release);
	tcase_add_test(waiting, waiter_wakes_on_exit);
	tcase_add_test(waiting, waiter_wakes_on_kill9);
	tcase_add_test(waiting, wait_times_out);
	tcase_add_test(waiting, fifo_among_waiters);
	tcase_add_test(waiting, fifo_skips_a_dead_waiter);
	tcase_add_test(waiting, newcomer_waits_its_turn);
	tcase_add_test(waiting, timeout_never_early);
	tcase_add_test(waiting, release_wakes_without_poll);
	tcase_add_loop_test(waiting, signal_interrupts_wait, 0, 2);
	tcase_add_test(waiting, cancel_fd_ends_wait);
	suite_add_tcase(s, waiting);

	tcase_add_checked_fixture(crash, setup, qt_dir_teardown);
	tcase_add_test(crash, death_inside_the_lock_is_repaired);
	tcase_add_test(crash, dead_holder_name_taken_back_in_order);
	suite_add_tcase(s, crash);

	tcase_add_checked_fixture(file, setup, qt_dir_teardown);
	tcase_add_test(file, other_configuration_refused);
	tcase_add_test(file, registry_remade_when_unused);
	tcase_add_test(file, lock_files_beside_registry);
	tcase_add_test(file, corrupt_registry_refused);
	tcase_add_test(file, symlink_refused);
	tcase_add_test(file, corrupt_lock_word_bounded);
	tcase_add_test(file, live_lock_owner_given_up);
	tcase_add_test(file, not_a_regular_file);
	tcase_add_test(file, missing_registry_directory);
	if (geteuid() == 0) {
		tcase_add_test(file, foreign_owner_refused);
		tcase_add_test(file, group_shared_registry);
	} else {
		fprintf(stderr, "proc: foreign_owner_refused and "
			"group_shared_registry skipped: they need root "
			"(chown)\n");
	}
	suite_add_tcase(s, file);

	tcase_add_checked_fixture(forks, setup, qt_dir_teardown);
	tcase_add_test(forks, fork_child_does_not_inherit);
	tcase_add_test(forks, claim_dies_with_parent_not_child);
	tcase_add_test(forks, exec_leaks_no_fd);
	suite_add_tcase(s, forks);

	/* Generous: 64 processes on two loaded cores take their time. */
	tcase_set_timeout(naming, 60);
	tcase_set_timeout(waiting, 60);
	tcase_set_timeout(crash, 60);
	tcase_set_timeout(file, 60);
	tcase_set_timeout(forks, 60);
	tcase_add_checked_fixture(st, setup, qt_dir_teardown);
	tcase_set_timeout(st, storm_seconds() + 90);
	tcase_add_test(st, crash_storm);
	suite_add_tcase(s, st);
	return s;
}
