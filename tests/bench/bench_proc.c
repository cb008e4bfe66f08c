/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process sections: what a claim costs, side by side in the same run with
 *   floor   the work the library must do, done bare: a robust
 *           process-shared mutex in shared memory around picking the first
 *           free name from a bitmap and OFD-locking its byte (release: the
 *           same mutex around the unlock); no names, handles or queue;
 *   daemon  a daemon modelled on qatlib's qatmgr: a stream Unix socket,
 *           one thread per client, fixed-size binary request and response
 *           messages, a mutex-guarded table of names freed when a client's
 *           connection drops. Pinned: the client on CPU 0, the daemon on
 *           CPU 1 ("cross") and on CPU 0 ("same"), both reported.
 * Measures the median latency of acquire + release in one process (pinned
 * to CPU 0), and the throughput of 8 processes doing acquire + release as
 * fast as they can against 64 names. Several rounds; medians of rounds.
 * bench_proc_scale measures the cost against claims held elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qat/qatrt.h>

#include "bench.h"

#define ROUNDS 3
#define LAT_OPS 20000
#define PROCS 8
#define NAMES 64
#define TPUT_MS 400

static char dir[] = "/tmp/qatrt-bench-proc-XXXXXX";
static char lockfile[256], sockpath[100];
static struct shared *sh;

struct shared {
	volatile int go, stop;
	uint64_t ops[PROCS];
	pthread_mutex_t floor_mu;      /* the floor's robust lock */
	uint64_t floor_taken;          /* the floor's bitmap of NAMES */
};

static const char prog[] = "bench_proc";

/* ---- the contenders: one acquire + release each ----------------------- */

struct ctx {
	struct qat_rt *rt;  /* ours */
	int fd;             /* floor: own open file description */
	int sock;           /* daemon connection */
};

static void op_ours(struct ctx *c)
{
	struct qat_proc *p;
	int ret = qat_proc_acquire(c->rt, "SSL", NULL, &p);

	if (ret)
		bench_die(prog, "qat_proc_acquire", -ret);
	ret = qat_proc_release(p);
	if (ret)
		bench_die(prog, "qat_proc_release", -ret);
}

static void ofd(int fd, short type, unsigned int byte)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
			    .l_start = 1 << 20 | byte, .l_len = 1 };

	if (fcntl(fd, F_OFD_SETLK, &fl))
		bench_die(prog, "F_OFD_SETLK", errno);
}

static void floor_lock(void)
{
	int ret = pthread_mutex_lock(&sh->floor_mu);

	if (ret == EOWNERDEAD)
		pthread_mutex_consistent(&sh->floor_mu);
	else if (ret)
		bench_die(prog, "floor mutex", ret);
}

static void op_floor(struct ctx *c)
{
	unsigned int b;

	floor_lock();
	if (!~sh->floor_taken)
		bench_die(prog, "floor: no free name", EAGAIN);
	b = (unsigned int)__builtin_ctzll(~sh->floor_taken);
	ofd(c->fd, F_WRLCK, b);
	sh->floor_taken |= 1ull << b;
	pthread_mutex_unlock(&sh->floor_mu);
	floor_lock();
	ofd(c->fd, F_UNLCK, b);
	sh->floor_taken &= ~(1ull << b);
	pthread_mutex_unlock(&sh->floor_mu);
}

/* qatmgr-style messages: a fixed header and a fixed body, both ways. */
enum { MSG_ACQUIRE = 1, MSG_RELEASE = 2 };
struct msg {
	uint16_t type;
	uint16_t len;           /* bytes of name used */
	int32_t result;         /* response: 0 or -errno */
	char name[128];
};

static void msg_io(int sock, struct msg *m)
{
	ssize_t n;

	if (send(sock, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		bench_die(prog, "send", errno);
	n = recv(sock, m, sizeof(*m), MSG_WAITALL);
	if (n != (ssize_t)sizeof(*m))
		bench_die(prog, "recv", n < 0 ? errno : EPIPE);
	if (m->result)
		bench_die(prog, "daemon refused", -m->result);
}

static void op_daemon(struct ctx *c)
{
	struct msg m = { .type = MSG_ACQUIRE, .len = 3, .name = "SSL" };

	msg_io(c->sock, &m);
	m.type = MSG_RELEASE;
	msg_io(c->sock, &m);
}

/* ---- the daemon ---------------------------------------------------------- */

static pthread_mutex_t d_mu = PTHREAD_MUTEX_INITIALIZER;
static int d_owner[NAMES];   /* client fd holding each name, or -1 */

static void d_handle(int fd, struct msg *m)
{
	int i;

	pthread_mutex_lock(&d_mu);
	if (m->type == MSG_ACQUIRE && m->len == 3 &&
	    !memcmp(m->name, "SSL", 3)) {
		for (i = 0; i < NAMES && d_owner[i] >= 0; i++)
			;
		m->result = i < NAMES ? 0 : -EAGAIN;
		if (i < NAMES) {
			d_owner[i] = fd;
			m->len = (uint16_t)snprintf(m->name, sizeof(m->name),
						    "SSL_INT_%d", i);
		}
	} else if (m->type == MSG_RELEASE &&
		   sscanf(m->name, "SSL_INT_%d", &i) == 1 && i >= 0 &&
		   i < NAMES && d_owner[i] == fd) {
		d_owner[i] = -1;
		m->result = 0;
	} else {
		m->result = -EINVAL;
	}
	pthread_mutex_unlock(&d_mu);
}

/* One thread per client, as qatmgr: its names go when it goes. */
static void *d_client(void *arg)
{
	int fd = (int)(intptr_t)arg, i;
	struct msg m;

	while (recv(fd, &m, sizeof(m), MSG_WAITALL) == (ssize_t)sizeof(m)) {
		m.name[sizeof(m.name) - 1] = '\0';
		d_handle(fd, &m);
		if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
			break;
	}
	pthread_mutex_lock(&d_mu);
	for (i = 0; i < NAMES; i++)
		if (d_owner[i] == fd)
			d_owner[i] = -1;
	pthread_mutex_unlock(&d_mu);
	close(fd);
	return NULL;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void daemon_main(int lfd, int cpu)
{
	pthread_t t;
	int fd, i;

	pin(cpu); /* threads made from here on inherit it */
	for (i = 0; i < NAMES; i++)
		d_owner[i] = -1;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, d_client, (void *)(intptr_t)fd))
			close(fd);
		else
			pthread_detach(t);
	}
}

static pid_t daemon_start(const char *path, int cpu)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	if (lfd < 0)
		bench_die(prog, "socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64))
		bench_die(prog, "bind/listen", errno);
	pid = fork();
	if (pid < 0)
		bench_die(prog, "fork", errno);
	if (pid == 0)
		daemon_main(lfd, cpu);
	close(lfd);
	return pid;
}

static int daemon_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		bench_die(prog, "socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		bench_die(prog, "connect", errno);
	return fd;
}

/* ---- measurements ------------------------------------------------------- */

enum kind { OURS, FLOOR, DAEMON_CROSS, DAEMON_SAME, NKINDS };
static const char *const kind_name[NKINDS] = { "ours", "floor",
						"daemon_cross", "daemon_same" };
static void (*const kind_op[NKINDS])(struct ctx *) = { op_ours, op_floor,
							op_daemon, op_daemon };
static char sockpath2[100];
static int ncpu;

/* Per-process resources for one contender; `i` tells processes apart. */
static void ctx_open(struct ctx *c, enum kind k, struct qat_rt *rt,
		     unsigned int i)
{
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	c->fd = -1;
	c->sock = -1;
	if (k == FLOOR) {
		c->fd = open(lockfile, O_RDWR | O_CLOEXEC);
		if (c->fd < 0)
			bench_die(prog, lockfile, errno);
	}
	if (k == DAEMON_CROSS)
		c->sock = daemon_connect(sockpath);
	if (k == DAEMON_SAME)
		c->sock = daemon_connect(sockpath2);
}

static void ctx_close(struct ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->sock >= 0)
		close(c->sock);
}

/* Median of LAT_OPS single-op timings, in ns. */
static uint64_t latency_round(enum kind k, struct qat_rt *rt)
{
	static uint64_t t[LAT_OPS];
	struct ctx c;
	uint64_t t0;
	int i;

	ctx_open(&c, k, rt, 0);
	for (i = 0; i < LAT_OPS / 10; i++) /* warm up */
		kind_op[k](&c);
	for (i = 0; i < LAT_OPS; i++) {
		t0 = bench_now_ns();
		kind_op[k](&c);
		t[i] = bench_now_ns() - t0;
	}
	ctx_close(&c);
	bench_sort_u64(t, LAT_OPS);
	return t[LAT_OPS / 2];
}

/* Every CPU again, for the throughput round's processes. */
static void unpin(void)
{
	cpu_set_t s;
	int i;

	CPU_ZERO(&s);
	for (i = 0; i < ncpu && i < CPU_SETSIZE; i++)
		CPU_SET(i, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void tput_child(enum kind k, struct qat_rt *rt, unsigned int i)
{
	struct ctx c;
	uint64_t n = 0;

	ctx_open(&c, k, rt, i);
	while (!sh->go)
		;
	while (!sh->stop) {
		kind_op[k](&c);
		n++;
	}
	sh->ops[i] = n;
	ctx_close(&c);
	_exit(0);
}

/* Total acquire + release pairs per second of PROCS processes. */
static double tput_round(enum kind k, struct qat_rt *rt)
{
	pid_t pids[PROCS];
	uint64_t total = 0, t0;
	unsigned int i;
	int st;

	sh->go = sh->stop = 0;
	memset(sh->ops, 0, sizeof(sh->ops));
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bench_die(prog, "fork", errno);
		if (pids[i] == 0)
			tput_child(k, rt, i);
	}
	usleep(50000); /* let them connect and attach */
	t0 = bench_now_ns();
	sh->go = 1;
	usleep(TPUT_MS * 1000);
	sh->stop = 1;
	t0 = bench_now_ns() - t0;
	for (i = 0; i < PROCS; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			bench_die(prog, "worker failed", ECHILD);
		total += sh->ops[i];
	}
	return (double)total * 1e9 / (double)t0;
}

static void floor_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&sh->floor_mu, &a);
	pthread_mutexattr_destroy(&a);
}

static void setup(void)
{
	char path[300], text[100];
	int fd, ret;

	if (!mkdtemp(dir))
		bench_die(prog, "mkdtemp", errno);
	snprintf(path, sizeof(path), "%s/4xxx_dev0.conf", dir);
	snprintf(text, sizeof(text),
		 "[GENERAL]\nSimDevice = 4xxx\n[SSL]\nNumProcesses = %d\n",
		 NAMES);
	ret = bench_write(path, text);
	if (ret)
		bench_die(prog, path, -ret);
	snprintf(lockfile, sizeof(lockfile), "%s/floor", dir);
	fd = open(lockfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		bench_die(prog, lockfile, errno);
	close(fd);
	snprintf(sockpath, sizeof(sockpath), "%s/daemon.sock", dir);
	snprintf(sockpath2, sizeof(sockpath2), "%s/daemon2.sock", dir);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die(prog, "mmap", errno);
	floor_init();
}

int main(void)
{
	double lat[NKINDS][ROUNDS], lm[NKINDS];
	double tp[NKINDS][ROUNDS], tm[NKINDS];
	struct qat_proc_claim c;
	struct qat_rt *rt;
	char name[64];
	pid_t dpid, dpid2;
	int r, k, nk;

	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	setup();
	dpid = daemon_start(sockpath, ncpu >= 2 ? 1 : 0);
	dpid2 = daemon_start(sockpath2, 0);
	nk = ncpu >= 2 ? NKINDS : DAEMON_CROSS; /* cross needs 2 CPUs */
	rt = bench_rt_must_open(prog, dir, dir);
	if (qat_proc_list(rt, &c, 1) < 0) /* attach before forking */
		bench_die(prog, "qat_proc_list", EPROTO);
	/* Rounds interleave the contenders so that noise hits all alike. */
	for (r = 0; r < ROUNDS; r++) {
		pin(0);
		for (k = 0; k < NKINDS; k++)
			if (k < nk || k == DAEMON_SAME)
				lat[k][r] = (double)latency_round(k, rt);
		unpin();
		for (k = 0; k < NKINDS; k++)
			if (k < nk || k == DAEMON_SAME)
				tp[k][r] = tput_round(k, rt);
	}
	for (k = 0; k < NKINDS; k++) {
		if (k >= nk && k != DAEMON_SAME)
			continue;
		lm[k] = bench_median(lat[k], ROUNDS);
		tm[k] = bench_median(tp[k], ROUNDS);
	}
	/* Latencies are whole ns: %.0f prints them as integers. */
	for (k = 0; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_latency_%s", kind_name[k]);
		if (k >= nk && k != DAEMON_SAME)
			bench_missing(name, "needs 2 CPUs");
		else
			bench_value(name, 0, lm[k], "ns");
	}
	for (k = 1; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_latency_ours_vs_%s",
			 kind_name[k]);
		if (k >= nk && k != DAEMON_SAME)
			bench_missing(name, "needs 2 CPUs");
		else
			bench_ratio(name, lm[OURS], lm[k]);
	}
	for (k = 0; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_throughput_%dproc_%s", PROCS,
			 kind_name[k]);
		if (k >= nk && k != DAEMON_SAME)
			bench_missing(name, "needs 2 CPUs");
		else
			bench_value(name, 0, tm[k], "ops/s");
	}
	for (k = 1; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_throughput_ours_vs_%s",
			 kind_name[k]);
		if (k >= nk && k != DAEMON_SAME)
			bench_missing(name, "needs 2 CPUs");
		else
			bench_ratio(name, tm[OURS], tm[k]);
	}
	qat_rt_close(rt);
	kill(dpid, SIGKILL);
	kill(dpid2, SIGKILL);
	waitpid(dpid, NULL, 0);
	waitpid(dpid2, NULL, 0);
	bench_rmtree(prog, dir);
	return 0;
}
