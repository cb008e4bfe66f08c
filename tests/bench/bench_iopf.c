/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page fault benchmark, two parts, each side by side in one run:
 *
 * Grouping: N groups outstanding at once (N = 32, 512, 2048), each of
 * 3 partial faults reported round-robin across the groups, then every
 * group's last fault. Ours is the whole library path (qat_iopf_report(),
 * hash, hand-off to one worker, a handler that does nothing, a callback
 * sink that does nothing, qat_iopf_flush_dev()). The baseline is the
 * kernel's io-pgfault.c algorithm reimplemented here: one partial list
 * per device under a lock, scanned from end to end on every last fault,
 * the matches moved to the group, the group queued to one worker thread
 * (the workqueue) that runs the same no-op handler and answers.
 * Figures: faults per second of the reporting thread's CPU time (where
 * the grouping happens on both sides), the ratio ours/kernel per N, and
 * ours at 2048 over ours at 32 (flat is 1.00).
 *
 * End to end: P fresh anonymous pages faulted in groups of 16 through
 * the pool with the default handler (/proc/self/maps check, then
 * MADV_POPULATE_WRITE), on 1 and on 2 workers, against the floor for as
 * many threads: bare loops of madvise(MADV_POPULATE_WRITE) over the same
 * number of fresh pages, split between the threads. Figures: faults/s
 * and the ratio ours/floor per worker count.
 *
 * The device handle is only a key to the queue (its sink is a callback),
 * so a dummy stands in for it. Medians of ROUNDS runs.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "qat/qatrt.h"
#include "bench.h"

#define ROUNDS 7
#define PARTIALS 3           /* partial faults per group */
#define MIN_NS 200000000ull  /* per grouping measurement */
#define WINDOW_FAULTS 65536  /* queued ahead of the worker, at most */
#define E2E_PAGES 16384
#define E2E_GROUP 16

static const char *prog = "bench_iopf";
static char dummy_dev;
#define DEV ((struct qat_dev *)(void *)&dummy_dev)

static atomic_ulong answered, failed;

static int noop_handler(struct qat_dev *dev, const struct qat_iopf_fault *f,
			void *arg)
{
	(void)dev;
	(void)arg;
	return f->addr == UINT64_MAX ? QAT_IOPF_INVALID : QAT_IOPF_SUCCESS;
}

static void count_response(struct qat_dev *dev,
			   const struct qat_iopf_response *r, void *arg)
{
	atomic_fetch_add_explicit(&answered, 1, memory_order_relaxed);
	if (r->code != QAT_IOPF_SUCCESS)
		atomic_fetch_add_explicit(&failed, 1, memory_order_relaxed);
}

static struct qat_iopf_fault fault(uint32_t grp, unsigned int k, bool last)
{
	struct qat_iopf_fault f = {
		.flags = QAT_IOPF_PASID_VALID | (last ? QAT_IOPF_LAST_PAGE : 0),
		.pasid = 1, .grpid = grp, .perm = QAT_IOPF_PERM_READ,
		.addr = ((uint64_t)grp << 24) | ((uint64_t)k << 12),
	};

	return f;
}

/* --- the kernel's algorithm ---------------------------------------------- */

struct k_node {
	struct qat_iopf_fault f;
	struct k_node *prev, *next;
};

/* A circular list with a head node, as list_head. */
static void k_init(struct k_node *h)
{
	h->prev = h->next = h;
}

static void k_add_tail(struct k_node *h, struct k_node *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void k_del(struct k_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

struct k_group {
	struct k_node last;
	struct k_node faults;
	struct k_group *next;
};

/* The workqueue the kernel hands groups to: one worker thread. */
static pthread_mutex_t k_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t k_cond = PTHREAD_COND_INITIALIZER;
static struct k_group *k_head, **k_tail = &k_head;
static bool k_stop;

/* iopf_handler(): each fault, errors sticky, then free and respond. */
static void k_run(struct k_group *g)
{
	struct k_node *n, *next;
	int code = QAT_IOPF_SUCCESS;

	for (n = g->faults.next; n != &g->faults; n = next) {
		next = n->next;
		if (code == QAT_IOPF_SUCCESS)
			code = noop_handler(DEV, &n->f, NULL);
		if (n != &g->last)
			free(n);
	}
	free(g);
	count_response(DEV, &(struct qat_iopf_response){ .code = (uint32_t)code },
		       NULL);
}

static void *k_worker(void *arg)
{
	struct k_group *g;

	pthread_mutex_lock(&k_lock);
	for (;;) {
		while (!k_head && !k_stop)
			pthread_cond_wait(&k_cond, &k_lock);
		if (!k_head)
			break;
		g = k_head;
		k_head = g->next;
		if (!k_head)
			k_tail = &k_head;
		pthread_mutex_unlock(&k_lock);
		k_run(g);
		pthread_mutex_lock(&k_lock);
	}
	pthread_mutex_unlock(&k_lock);
	return NULL;
}

/* iommu_queue_iopf(): partial -> the device's list (under the device's
 * lock); last -> scan it all, then queue_work(). */
static int k_report(struct k_node *partial, const struct qat_iopf_fault *f)
{
	static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
	struct k_node *n, *next;
	struct k_group *g;

	if (!(f->flags & QAT_IOPF_LAST_PAGE)) {
		n = malloc(sizeof(*n));
		if (!n)
			return -ENOMEM;
		n->f = *f;
		pthread_mutex_lock(&dev_lock);
		k_add_tail(partial, n);
		pthread_mutex_unlock(&dev_lock);
		return 0;
	}
	g = malloc(sizeof(*g));
	if (!g)
		return -ENOMEM;
	k_init(&g->faults);
	g->last.f = *f;
	g->next = NULL;
	pthread_mutex_lock(&dev_lock);
	for (n = partial->next; n != partial; n = next) {
		next = n->next;
		if (n->f.grpid == f->grpid) {
			k_del(n);
			k_add_tail(&g->faults, n);
		}
	}
	pthread_mutex_unlock(&dev_lock);
	k_add_tail(&g->faults, &g->last);
	pthread_mutex_lock(&k_lock);
	*k_tail = g;
	k_tail = &g->next;
	pthread_cond_signal(&k_cond);
	pthread_mutex_unlock(&k_lock);
	return 0;
}

/* flush_workqueue(): until every queued group was answered. */
static void k_flush(unsigned long expect)
{
	const struct timespec nap = { .tv_nsec = 20000 };

	while (atomic_load(&answered) < expect)
		nanosleep(&nap, NULL);
}

/* --- grouping ------------------------------------------------------------ */

/* One batch: n groups outstanding, then all completed. */
static void batch(unsigned int n, struct qat_iopf_queue *q,
		  struct k_node *partial)
{
	struct qat_iopf_fault f;
	unsigned int k, g;
	int ret;

	for (k = 0; k <= PARTIALS; k++)
		for (g = 0; g < n; g++) {
			f = fault(g, k, k == PARTIALS);
			ret = q ? qat_iopf_report(q, DEV, &f) :
				  k_report(partial, &f);
			if (ret)
				bench_die(prog, "report", ret < 0 ? -ret : EIO);
		}
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Faults per second of the reporting thread's CPU time, over whole
 * batches for at least MIN_NS of it. Grouping happens on that thread in
 * both designs (the hash, or the scan); CPU time rather than wall time
 * because the machines this runs on are shared, and a thread that is
 * not running would count against whichever side it hit.
 */
static double grouping_rate(unsigned int n, struct qat_iopf_queue *q)
{
	const struct timespec nap = { .tv_nsec = 20000 };
	struct k_node partial;
	unsigned long batches = 0;
	uint64_t cpu = 0, t0;

	k_init(&partial);
	atomic_store(&answered, 0);
	do {
		t0 = thread_cpu_ns();
		batch(n, q, &partial);
		cpu += thread_cpu_ns() - t0;
		batches++;
		/* Both sides: keep the producer at most a window ahead of
		 * the worker (ours would refuse beyond max_outstanding). */
		while ((batches * n - atomic_load(&answered)) * (PARTIALS + 1) >
		       WINDOW_FAULTS)
			nanosleep(&nap, NULL);
	} while (cpu < MIN_NS);
	if (q)
		qat_iopf_flush_dev(q, DEV);
	else
		k_flush(batches * n);
	if (atomic_load(&answered) != batches * n)
		return -1;
	return (double)batches * n * (PARTIALS + 1) * 1e9 / (double)cpu;
}

static struct qat_iopf_queue *queue_new(unsigned int workers, bool noop)
{
	struct qat_iopf_queue_opts o = {
		.sz = sizeof(o), .workers = workers,
		.max_partial = 4 * 2048 * PARTIALS,
		.max_outstanding = 4 * WINDOW_FAULTS,
	};
	struct qat_iopf_handler h = { noop_handler, NULL };
	struct qat_iopf_sink s = { .type = QAT_IOPF_SINK_CALLBACK,
				   .fn = count_response };
	struct qat_iopf_queue *q;
	int ret = qat_iopf_queue_alloc("bench", &o, &q);

	if (ret)
		bench_die(prog, "qat_iopf_queue_alloc", -ret);
	ret = qat_iopf_queue_add_device(q, DEV, noop ? &h : NULL, &s);
	if (ret)
		bench_die(prog, "qat_iopf_queue_add_device", -ret);
	return q;
}

static void print_rate(const char *name, double v, const char *unit)
{
	if (v < 0)
		printf("%s: not measured (responses missing)\n", name);
	else
		bench_value(name, 0, v, unit);
}

static void grouping(void)
{
	static const unsigned int ns[] = { 32, 512, 2048 };
	struct qat_iopf_queue *q = queue_new(1, true);
	double ours[3], kern[3], v[2][ROUNDS];
	char name[64];
	unsigned int i, r;
	pthread_t kw;

	if (pthread_create(&kw, NULL, k_worker, NULL))
		bench_die(prog, "pthread_create", EAGAIN);

	for (i = 0; i < 3; i++) {
		for (r = 0; r < ROUNDS; r++) { /* alternate the two */
			v[0][r] = grouping_rate(ns[i], q);
			v[1][r] = grouping_rate(ns[i], NULL);
		}
		ours[i] = bench_median(v[0], ROUNDS);
		kern[i] = bench_median(v[1], ROUNDS);
		snprintf(name, sizeof(name), "iopf_group_%u_ours", ns[i]);
		print_rate(name, ours[i], "faults/cpu-s");
		snprintf(name, sizeof(name), "iopf_group_%u_kernel_scan", ns[i]);
		print_rate(name, kern[i], "faults/cpu-s");
		snprintf(name, sizeof(name), "iopf_group_%u", ns[i]);
		if (ours[i] > 0 && kern[i] > 0)
			bench_ratio(name, ours[i], kern[i]);
		else
			printf("%s: ratio not measured\n", name);
	}
	if (ours[0] > 0 && ours[2] > 0)
		printf("iopf_group_ours_2048_over_32: %.2f (flat is 1.00)\n",
		       ours[2] / ours[0]);
	else
		printf("iopf_group_ours_2048_over_32: not measured\n");
	if (kern[0] > 0 && kern[2] > 0)
		printf("iopf_group_kernel_2048_over_32: %.4f (flat is 1.00)\n",
		       kern[2] / kern[0]);
	else
		printf("iopf_group_kernel_2048_over_32: not measured\n");
	qat_iopf_queue_free(q);
	pthread_mutex_lock(&k_lock);
	k_stop = true;
	pthread_cond_broadcast(&k_cond);
	pthread_mutex_unlock(&k_lock);
	pthread_join(kw, NULL);
}

/* --- end to end ---------------------------------------------------------- */

static void *fresh(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bench_die(prog, "mmap", errno);
	return p;
}

struct floor_part {
	char *p;
	size_t psz, n;
	pthread_barrier_t *go;
};

static void *floor_thread(void *arg)
{
	struct floor_part *fp = arg;
	size_t i;

	pthread_barrier_wait(fp->go);
	for (i = 0; i < fp->n; i++)
		if (madvise(fp->p + i * fp->psz, fp->psz, MADV_POPULATE_WRITE))
			bench_die(prog, "madvise", errno);
	return NULL;
}

/*
 * The floor for k workers is k threads populating k equal shares of the
 * same fresh pages: the pool's workers can split the madvise work, so a
 * one-thread floor could be beaten by two workers and would be no floor.
 * The threads exist before the clock starts, as the pool's do.
 */
static double floor_rate(size_t psz, unsigned int nthr)
{
	char *p = fresh(E2E_PAGES * psz);
	struct floor_part part[2];
	pthread_barrier_t go;
	pthread_t t[2];
	uint64_t t0, t1;
	unsigned int k;

	pthread_barrier_init(&go, NULL, nthr + 1);
	for (k = 0; k < nthr; k++) {
		part[k] = (struct floor_part){ p + k * (E2E_PAGES / nthr) * psz,
					       psz, E2E_PAGES / nthr, &go };
		if (pthread_create(&t[k], NULL, floor_thread, &part[k]))
			bench_die(prog, "pthread_create", EAGAIN);
	}
	t0 = bench_now_ns();
	pthread_barrier_wait(&go);
	for (k = 0; k < nthr; k++)
		pthread_join(t[k], NULL);
	t1 = bench_now_ns();
	pthread_barrier_destroy(&go);
	munmap(p, E2E_PAGES * psz);
	return E2E_PAGES * 1e9 / (double)(t1 - t0);
}

static double pool_rate(struct qat_iopf_queue *q, size_t psz)
{
	char *p = fresh(E2E_PAGES * psz);
	struct qat_iopf_fault f = { .pasid = 1, .perm = QAT_IOPF_PERM_WRITE };
	unsigned long groups = E2E_PAGES / E2E_GROUP;
	uint64_t t0, t1;
	size_t i;
	int ret;

	atomic_store(&answered, 0);
	atomic_store(&failed, 0);
	t0 = bench_now_ns();
	for (i = 0; i < E2E_PAGES; i++) {
		f.flags = QAT_IOPF_PASID_VALID |
			  (i % E2E_GROUP == E2E_GROUP - 1 ? QAT_IOPF_LAST_PAGE : 0);
		f.grpid = (uint32_t)(i / E2E_GROUP % 512);
		f.addr = (uintptr_t)(p + i * psz);
		ret = qat_iopf_report(q, DEV, &f);
		if (ret)
			bench_die(prog, "report", ret < 0 ? -ret : EIO);
	}
	qat_iopf_flush_dev(q, DEV);
	t1 = bench_now_ns();
	munmap(p, E2E_PAGES * psz);
	if (atomic_load(&answered) != groups || atomic_load(&failed))
		return -1;
	return E2E_PAGES * 1e9 / (double)(t1 - t0);
}

static void end_to_end(void)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	double fl[2][ROUNDS], w[2][ROUNDS], floor_med, med;
	struct qat_iopf_queue *q[2] = { queue_new(1, false),
					queue_new(2, false) };
	char name[64];
	unsigned int r, k;

	for (r = 0; r < ROUNDS; r++) /* alternate floor and ours */
		for (k = 0; k < 2; k++) {
			fl[k][r] = floor_rate(psz, k + 1);
			w[k][r] = pool_rate(q[k], psz);
		}
	for (k = 0; k < 2; k++) {
		floor_med = bench_median(fl[k], ROUNDS);
		snprintf(name, sizeof(name), "iopf_e2e_floor_madvise_%ut",
			 k + 1);
		bench_value(name, 0, floor_med, "faults/s");
		/* A round with a missing response spoils the median. */
		for (r = 0; r < ROUNDS; r++)
			if (w[k][r] < 0)
				break;
		snprintf(name, sizeof(name), "iopf_e2e_%uw", k + 1);
		if (r < ROUNDS) {
			printf("%s: not measured (responses missing)\n", name);
			printf("%s_vs_floor: ratio not measured\n", name);
			continue;
		}
		med = bench_median(w[k], ROUNDS);
		bench_value(name, 0, med, "faults/s");
		snprintf(name, sizeof(name), "iopf_e2e_%uw_vs_floor", k + 1);
		bench_ratio(name, med, floor_med);
	}
	qat_iopf_queue_free(q[0]);
	qat_iopf_queue_free(q[1]);
}

int main(void)
{
	grouping();
	end_to_end();
	return 0;
}
