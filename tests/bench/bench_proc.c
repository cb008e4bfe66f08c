/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Process sections: what a claim costs, side by side in the same run with
 *   floor   the same OFD lock + unlock system calls on a file, nothing else;
 *   daemon  a request/response round trip per acquire and per release over
 *           a Unix socket to a forked server that owns the names and frees
 *           a client's names when its connection drops (the design of
 *           qatlib's qatmgr).
 * Measures the median latency of acquire + release in one process, and the
 * throughput of 8 processes doing acquire + release as fast as they can
 * against 64 names. Several rounds; medians of rounds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define ROUNDS 5
#define LAT_OPS 20000
#define PROCS 8
#define NAMES 64
#define TPUT_MS 400

static char dir[] = "/tmp/qatrt-bench-proc-XXXXXX";
static char lockfile[256], sockpath[100];

struct shared {
	volatile int go, stop;
	uint64_t ops[PROCS];
};

static struct shared *sh;
static const char prog[] = "bench_proc";

/* ---- the three contenders: one acquire + release each ------------------ */

struct ctx {
	struct qat_rt *rt;  /* ours */
	int fd;             /* floor: own open file description */
	unsigned int byte;  /* floor: which byte */
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

static void op_floor(struct ctx *c)
{
	ofd(c->fd, F_WRLCK, c->byte);
	ofd(c->fd, F_UNLCK, c->byte);
}

/* Request: 'A' + base section, or 'R' + name. Reply: the name, or "-". */
static void rpc(int sock, const char *req, char *reply, size_t len)
{
	ssize_t n;

	if (send(sock, req, strlen(req), 0) < 0)
		bench_die(prog, "send", errno);
	n = recv(sock, reply, len - 1, 0);
	if (n <= 0)
		bench_die(prog, "recv", n ? errno : EPIPE);
	reply[n] = '\0';
	if (reply[0] == '-')
		bench_die(prog, "daemon refused", EAGAIN);
}

static void op_daemon(struct ctx *c)
{
	char name[128], req[130];

	rpc(c->sock, "ASSL", name, sizeof(name));
	snprintf(req, sizeof(req), "R%s", name);
	rpc(c->sock, req, name, sizeof(name));
}

/* ---- the daemon ---------------------------------------------------------- */

struct dstate {
	int owner[NAMES];   /* connection fd holding each name, or -1 */
};

static void d_reply(int fd, const char *s)
{
	send(fd, s, strlen(s), MSG_NOSIGNAL);
}

static void d_request(struct dstate *d, int fd, const char *req)
{
	char name[32];
	int i;

	if (req[0] == 'A' && !strcmp(req + 1, "SSL")) {
		for (i = 0; i < NAMES && d->owner[i] >= 0; i++)
			;
		if (i < NAMES) {
			d->owner[i] = fd;
			snprintf(name, sizeof(name), "SSL_INT_%d", i);
		}
		d_reply(fd, i < NAMES ? name : "-");
		return;
	}
	if (req[0] == 'R' && sscanf(req + 1, "SSL_INT_%d", &i) == 1 &&
	    i >= 0 && i < NAMES && d->owner[i] == fd) {
		d->owner[i] = -1;
		d_reply(fd, "ok");
		return;
	}
	d_reply(fd, "-");
}

/* A client went away: its names are free, as qatmgr does it. */
static void d_drop(struct dstate *d, struct pollfd *p)
{
	int i;

	for (i = 0; i < NAMES; i++)
		if (d->owner[i] == p->fd)
			d->owner[i] = -1;
	close(p->fd);
	p->fd = -1;
}

static void d_accept(struct pollfd *fds, int nfds)
{
	int fd = accept4(fds[0].fd, NULL, NULL, SOCK_CLOEXEC), i;

	for (i = 1; fd >= 0 && i < nfds; i++) {
		if (fds[i].fd < 0) {
			fds[i].fd = fd;
			fds[i].events = POLLIN;
			return;
		}
	}
	if (fd >= 0)
		close(fd);
}

static void daemon_main(int lfd)
{
	struct pollfd fds[PROCS + 2];
	struct dstate d;
	char buf[256];
	ssize_t n;
	int i;

	for (i = 0; i < NAMES; i++)
		d.owner[i] = -1;
	for (i = 0; i < PROCS + 2; i++)
		fds[i].fd = -1;
	fds[0].fd = lfd;
	fds[0].events = POLLIN;
	for (;;) {
		if (poll(fds, PROCS + 2, -1) < 0)
			continue;
		if (fds[0].revents & POLLIN)
			d_accept(fds, PROCS + 2);
		for (i = 1; i < PROCS + 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			n = recv(fds[i].fd, buf, sizeof(buf) - 1, 0);
			if (n <= 0) {
				d_drop(&d, &fds[i]);
				continue;
			}
			buf[n] = '\0';
			d_request(&d, fds[i].fd, buf);
		}
	}
}

static pid_t daemon_start(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid;

	if (lfd < 0)
		bench_die(prog, "socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sockpath);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64))
		bench_die(prog, "bind/listen", errno);
	pid = fork();
	if (pid < 0)
		bench_die(prog, "fork", errno);
	if (pid == 0)
		daemon_main(lfd);
	close(lfd);
	return pid;
}

static int daemon_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		bench_die(prog, "socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sockpath);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		bench_die(prog, "connect", errno);
	return fd;
}

/* ---- measurements ------------------------------------------------------- */

enum kind { OURS, FLOOR, DAEMON, NKINDS };
static const char *const kind_name[NKINDS] = { "ours", "floor_ofd", "daemon" };
static void (*const kind_op[NKINDS])(struct ctx *) = { op_ours, op_floor,
							op_daemon };

static struct qat_rt *rt_open(void)
{
	struct qat_rt *rt;
	int ret = bench_rt_open(dir, dir, &rt);

	if (ret)
		bench_die(prog, "qat_rt_open", -ret);
	return rt;
}

/* Per-process resources for one contender; `i` tells processes apart. */
static void ctx_open(struct ctx *c, enum kind k, struct qat_rt *rt,
		     unsigned int i)
{
	memset(c, 0, sizeof(*c));
	c->rt = rt;
	c->fd = -1;
	c->sock = -1;
	c->byte = i;
	if (k == FLOOR) {
		c->fd = open(lockfile, O_RDWR | O_CLOEXEC);
		if (c->fd < 0)
			bench_die(prog, lockfile, errno);
	}
	if (k == DAEMON)
		c->sock = daemon_connect();
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

	memset(sh, 0, sizeof(*sh));
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
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		bench_die(prog, "mmap", errno);
}

int main(void)
{
	double lat[NKINDS][ROUNDS], lm[NKINDS];
	double tp[NKINDS][ROUNDS], tm[NKINDS];
	struct qat_proc_claim c;
	struct qat_rt *rt;
	char name[64];
	pid_t dpid;
	int r, k;

	setup();
	dpid = daemon_start();
	rt = rt_open();
	if (qat_proc_list(rt, &c, 1) < 0) /* attach before forking */
		bench_die(prog, "qat_proc_list", EPROTO);
	/* Rounds interleave the contenders so that noise hits all alike. */
	for (r = 0; r < ROUNDS; r++) {
		for (k = 0; k < NKINDS; k++)
			lat[k][r] = (double)latency_round(k, rt);
		for (k = 0; k < NKINDS; k++)
			tp[k][r] = tput_round(k, rt);
	}
	for (k = 0; k < NKINDS; k++) {
		lm[k] = bench_median(lat[k], ROUNDS);
		tm[k] = bench_median(tp[k], ROUNDS);
	}
	/* Latencies are whole ns: %.0f prints them as integers. */
	for (k = 0; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_latency_%s", kind_name[k]);
		bench_value(name, 0, lm[k], "ns");
	}
	bench_ratio("proc_latency_ours_vs_floor", lm[OURS], lm[FLOOR]);
	bench_ratio("proc_latency_ours_vs_daemon", lm[OURS], lm[DAEMON]);
	for (k = 0; k < NKINDS; k++) {
		snprintf(name, sizeof(name), "proc_throughput_%dproc_%s", PROCS,
			 kind_name[k]);
		bench_value(name, 0, tm[k], "ops/s");
	}
	bench_ratio("proc_throughput_ours_vs_floor", tm[OURS], tm[FLOOR]);
	bench_ratio("proc_throughput_ours_vs_daemon", tm[OURS], tm[DAEMON]);
	qat_rt_close(rt);
	kill(dpid, SIGKILL);
	waitpid(dpid, NULL, 0);
	bench_rmtree(prog, dir);
	return 0;
}
