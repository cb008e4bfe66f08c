/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt dispatch benchmark: eventfd signal -> callback latency (p50,
 * p99) and throughput, with 1 and 64 vectors of a simulated device
 * (SimMsix = 64), side by side in one run with
 *
 *   floor  a bare epoll loop on a thread over the same number of eventfds
 *   dpdk   DPDK's interrupt thread: rte_intr_callback_register() on
 *          RTE_INTR_HANDLE_EXT handles wrapping eventfds (the callback
 *          reads the eventfd, as DPDK leaves that to EXT handlers)
 *
 * Ours is fired with qat_sim_raise_irq() (the model's lock plus the
 * eventfd write), the others with the eventfd write alone. The producer
 * runs on CPU 0 and every consumer thread is moved to CPU 1 (when there
 * are two), so all three wake across the same pair of cores. Rounds of
 * the three alternate; medians over rounds are printed as
 * `name: value unit` and `name: ratio X.XX (ours/baseline)`.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#ifdef HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_interrupts.h>
#endif

#include "qat/qatrt.h"
#include "bench.h"

#define MAXVEC 64
#define ROUNDS 7
#define NLAT 2000
#define WARMUP 200
#define TPUT_EVENTS 8192
#define TIMEOUT_NS 2000000000ull

/* --- what every consumer does ------------------------------------------ */

static unsigned int done;        /* callbacks so far (release/acquire) */
static uint64_t done_ns;         /* when the last one ran */
static cpu_set_t consumer_cpus;
static bool pin_consumers;
static __thread bool pinned;

/* The consumer side of one interrupt, identical for all three. */
static void consume(void)
{
	if (!pinned && pin_consumers) {
		sched_setaffinity(0, sizeof(consumer_cpus), &consumer_cpus);
		pinned = true;
	}
	__atomic_store_n(&done_ns, bench_now_ns(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

static void drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		perror("read");
}

struct impl {
	const char *name;
	int (*start)(unsigned int nvec);
	void (*fire)(unsigned int vector);
	void (*stop)(void);
	bool ok;
	const char *why;        /* when not ok: printed on its lines */
};

static int new_efds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0)
			return -errno;
	}
	return 0;
}

static void close_efds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* --- ours ---------------------------------------------------------------- */

static struct qat_rt *rt;
static struct qat_dev *dev;
static unsigned int ours_n;

static void ours_cb(struct qat_dev *d, unsigned int index,
		    unsigned int vector, void *arg)
{
	consume();
}

static int ours_open(void)
{
	char dir[] = "/tmp/qatrt-bench-irq-XXXXXX", path[4096];
	int ret;

	if (!mkdtemp(dir))
		return -errno;
	snprintf(path, sizeof(path), "%s/bench_dev0.conf", dir);
	ret = bench_write(path, "[GENERAL]\nSimDevice = 4xxx\nSimMsix = 64\n"
			  "SimNumaNode = 0\n");
	if (ret)
		return ret;
	ret = bench_rt_open(path, dir, &rt);
	unlink(path);
	rmdir(dir);
	if (!ret)
		ret = qat_dev_get(rt, 0, &dev);
	return ret;
}

static void ours_stop(void)
{
	unsigned int v;

	for (v = 0; v < ours_n; v++)
		qat_irq_handler_remove(dev, QAT_IRQ_MSIX, v, ours_cb, NULL);
	ours_n = 0;
}

static int ours_start(unsigned int n)
{
	int ret;

	for (ours_n = 0; ours_n < n; ours_n++) {
		ret = qat_irq_handler_add(dev, QAT_IRQ_MSIX, ours_n, ours_cb,
					  NULL);
		if (ret) {
			ours_stop();
			return ret;
		}
	}
	return 0;
}

static void ours_fire(unsigned int v)
{
	qat_sim_raise_irq(dev, QAT_IRQ_MSIX, v);
}

/* --- the floor: a bare epoll loop ---------------------------------------- */

static int floor_fds[MAXVEC], floor_ep = -1, floor_stopfd = -1;
static unsigned int floor_n;
static pthread_t floor_thread;

static void *floor_main(void *arg)
{
	struct epoll_event ev[MAXVEC];
	int i, n;

	for (;;) {
		n = epoll_wait(floor_ep, ev, MAXVEC, -1);
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == floor_stopfd)
				return NULL;
			drain(ev[i].data.fd);
			consume();
		}
	}
}

static int floor_start(unsigned int n)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;
	int ret;

	floor_n = n;
	floor_ep = epoll_create1(EPOLL_CLOEXEC);
	floor_stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = new_efds(floor_fds, n);
	if (ret || floor_ep < 0 || floor_stopfd < 0)
		return ret ? ret : -errno;
	for (i = 0; i <= n; i++) {
		ev.data.fd = i < n ? floor_fds[i] : floor_stopfd;
		if (epoll_ctl(floor_ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	return -pthread_create(&floor_thread, NULL, floor_main, NULL);
}

static void floor_fire(unsigned int v)
{
	eventfd_write(floor_fds[v], 1);
}

static void floor_stop(void)
{
	eventfd_write(floor_stopfd, 1);
	pthread_join(floor_thread, NULL);
	close_efds(floor_fds, floor_n);
	close(floor_ep);
	close(floor_stopfd);
}

/* --- DPDK's interrupt thread --------------------------------------------- */

#ifdef HAVE_DPDK
static int dpdk_fds[MAXVEC];
static struct rte_intr_handle *dpdk_h[MAXVEC];
static unsigned int dpdk_n;

static void dpdk_cb(void *arg)
{
	drain((int)(intptr_t)arg);
	consume();
}

static void dpdk_stop(void)
{
	unsigned int i;

	for (i = 0; i < dpdk_n; i++) {
		if (!dpdk_h[i])
			continue;
		while (rte_intr_callback_unregister(dpdk_h[i], dpdk_cb,
				(void *)(intptr_t)dpdk_fds[i]) == -EAGAIN)
			usleep(100);
		rte_intr_instance_free(dpdk_h[i]);
		dpdk_h[i] = NULL;
	}
	close_efds(dpdk_fds, dpdk_n);
	dpdk_n = 0;
}

static int dpdk_start(unsigned int n)
{
	unsigned int i;
	int ret = new_efds(dpdk_fds, n);

	dpdk_n = n;
	for (i = 0; !ret && i < n; i++) {
		dpdk_h[i] = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
		if (!dpdk_h[i] || rte_intr_fd_set(dpdk_h[i], dpdk_fds[i]) ||
		    rte_intr_type_set(dpdk_h[i], RTE_INTR_HANDLE_EXT))
			ret = -ENOMEM;
		else
			ret = rte_intr_callback_register(dpdk_h[i], dpdk_cb,
					(void *)(intptr_t)dpdk_fds[i]);
	}
	if (ret)
		dpdk_stop();
	return ret < 0 ? ret : 0;
}

static void dpdk_fire(unsigned int v)
{
	eventfd_write(dpdk_fds[v], 1);
}

static bool dpdk_init(struct impl *im)
{
	char *argv[] = {
		"bench_irq", "--no-huge", "--no-pci", "-l", "0", "-m", "64",
		"--no-shconf", "--no-telemetry", "--log-level=lib.eal:error",
		NULL,
	};
	static char why[160];
	cpu_set_t mine;
	int ret;

	/* EAL pins the calling thread to lcore 0; the producer wants that
	 * anyway, and the consumers are moved to CPU 1 regardless. */
	sched_getaffinity(0, sizeof(mine), &mine);
	ret = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	if (ret < 0) {
		snprintf(why, sizeof(why), "rte_eal_init failed: %s",
			 rte_strerror(rte_errno));
		printf("# dpdk: %s: comparing with the floor only\n", why);
		im->why = why;
		sched_setaffinity(0, sizeof(mine), &mine);
		return false;
	}
	return true;
}
#endif

/* --- measuring ------------------------------------------------------------ */

static int wait_done(unsigned int target)
{
	uint64_t t0 = bench_now_ns();
	unsigned int spins = 0;

	while ((int)(__atomic_load_n(&done, __ATOMIC_ACQUIRE) - target) < 0) {
		if (++spins % 4096 == 0 && bench_now_ns() - t0 > TIMEOUT_NS)
			return -ETIMEDOUT;
	}
	return 0;
}

/* One latency round: fire, wait for the callback, NLAT times. */
static int lat_round(struct impl *im, unsigned int nvec, double *p50,
		     double *p99)
{
	static uint64_t lat[NLAT];
	unsigned int i, target;
	uint64_t t0;

	for (i = 0; i < WARMUP + NLAT; i++) {
		target = __atomic_load_n(&done, __ATOMIC_ACQUIRE) + 1;
		t0 = bench_now_ns();
		im->fire(i % nvec);
		if (wait_done(target))
			return -ETIMEDOUT;
		if (i >= WARMUP)
			lat[i - WARMUP] = __atomic_load_n(&done_ns,
							  __ATOMIC_RELAXED) - t0;
	}
	bench_sort_u64(lat, NLAT);
	*p50 = (double)lat[NLAT / 2];
	*p99 = (double)lat[NLAT * 99 / 100];
	return 0;
}

/* One throughput round: fire every vector once, wait for all of them
 * (so that no two signals of a vector coalesce), until TPUT_EVENTS. */
static int tput_round(struct impl *im, unsigned int nvec, double *eps)
{
	unsigned int it, v, iters = TPUT_EVENTS / nvec, target;
	uint64_t t0 = bench_now_ns();

	for (it = 0; it < iters; it++) {
		target = __atomic_load_n(&done, __ATOMIC_ACQUIRE) + nvec;
		for (v = 0; v < nvec; v++)
			im->fire(v);
		if (wait_done(target))
			return -ETIMEDOUT;
	}
	*eps = (double)iters * nvec * 1e9 / (double)(bench_now_ns() - t0);
	return 0;
}

enum { P50, P99, TPUT, NMETRIC };
static const char *const metric_name[NMETRIC] = { "lat_p50", "lat_p99",
						   "tput" };
static const char *const metric_unit[NMETRIC] = { "ns", "ns", "events/s" };

static void report(struct impl *im, unsigned int nimpl, unsigned int nvec,
		   double res[][NMETRIC][ROUNDS])
{
	double med[3][NMETRIC];
	unsigned int i, m;
	char name[96];

	for (i = 0; i < nimpl; i++)
		for (m = 0; m < NMETRIC; m++)
			if (im[i].ok)
				med[i][m] = bench_median(res[i][m], ROUNDS);
	for (m = 0; m < NMETRIC; m++) {
		for (i = 0; i < nimpl; i++) {
			snprintf(name, sizeof(name), "irq_%s_%uvec_%s",
				 metric_name[m], nvec, im[i].name);
			if (im[i].ok)
				bench_value(name, 0, med[i][m],
					    metric_unit[m]);
			else
				bench_missing(name, im[i].why);
		}
		for (i = 1; i < nimpl; i++) {
			snprintf(name, sizeof(name), "irq_%s_%uvec_vs_%s",
				 metric_name[m], nvec, im[i].name);
			if (im[0].ok && im[i].ok)
				bench_ratio(name, med[0][m], med[i][m]);
			else
				bench_missing(name, im[i].ok ? im[0].why :
					      im[i].why);
		}
	}
}

static int run(struct impl *im, unsigned int nimpl, unsigned int nvec)
{
	static double res[3][NMETRIC][ROUNDS];
	unsigned int i, r;
	int ret;

	for (i = 0; i < nimpl; i++) {
		if (!im[i].ok)
			continue;
		ret = im[i].start(nvec);
		if (ret) {
			fprintf(stderr, "%s: start: %s\n", im[i].name,
				strerror(-ret));
			return 1;
		}
	}
	/* Alternate the implementations inside every round, so that noise
	 * on this shared machine hits all three alike. */
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < nimpl; i++) {
			if (!im[i].ok)
				continue;
			if (lat_round(&im[i], nvec, &res[i][P50][r],
				      &res[i][P99][r]) ||
			    tput_round(&im[i], nvec, &res[i][TPUT][r])) {
				fprintf(stderr, "%s: callbacks stopped coming "
					"(%u vectors, round %u)\n", im[i].name,
					nvec, r);
				return 1;
			}
		}
	}
	for (i = 0; i < nimpl; i++)
		if (im[i].ok)
			im[i].stop();
	report(im, nimpl, nvec, res);
	return 0;
}

int main(void)
{
	struct impl im[3] = {
		{ "ours", ours_start, ours_fire, ours_stop, true, NULL },
		{ "floor", floor_start, floor_fire, floor_stop, true, NULL },
		{ "dpdk", NULL, NULL, NULL, false,
		  "built without libdpdk-dev" },
	};
	unsigned int nimpl = 3;
	cpu_set_t producer;
	int ret;

#ifdef HAVE_DPDK
	im[2] = (struct impl){ "dpdk", dpdk_start, dpdk_fire, dpdk_stop,
			       true, NULL };
	im[2].ok = dpdk_init(&im[2]);
#else
	printf("# dpdk: not built (no libdpdk-dev): comparing with the floor "
	       "only\n");
#endif
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		CPU_ZERO(&producer);
		CPU_SET(0, &producer);
		CPU_ZERO(&consumer_cpus);
		CPU_SET(1, &consumer_cpus);
		pin_consumers = !sched_setaffinity(0, sizeof(producer),
						   &producer);
	}
	ret = ours_open();
	if (ret) {
		fprintf(stderr, "cannot open a simulated device: %s\n",
			qat_strerror(ret));
		return 1;
	}
	ret = run(im, nimpl, 1) || run(im, nimpl, MAXVEC);
	qat_rt_close(rt);
	return ret;
}
