/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libqatrt demo, on the simulated devices of samples/conf:
 *   1. open a runtime and list the devices;
 *   2. five worker processes each claim an SSL section (device 0 has
 *      four), one is killed with SIGKILL and its claim dies with it;
 *   3. a dispatcher callback runs for an MSI-X interrupt;
 *   4. a device reset reaches a state subscriber as RESTARTING, RESTARTED;
 *   5. the device writes to a fresh page: one page fault, resolved by the
 *      fault queue's worker, then the write completes.
 * Run it with `make demo`.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <qat/qatrt.h>

/* One more than device 0's SSL sections: the last spills to device 1. */
#define WORKERS 5

static void die(const char *what, int err)
{
	fprintf(stderr, "demo: %s: %s\n", what, qat_strerror(err));
	exit(1);
}

static void log_stderr(enum qat_log_level level, const char *msg, void *arg)
{
	fprintf(stderr, "  [libqatrt] %s\n", msg);
}

static void list_devices(struct qat_rt *rt)
{
	struct qat_dev_info info;
	struct qat_dev *dev;
	int i, n = qat_dev_count(rt);

	printf("%d device(s):\n", n);
	for (i = 0; i < n; i++) {
		if (qat_dev_get(rt, i, &dev) || qat_dev_info(dev, &info))
			continue;
		printf("  accel %u: %s %04x:%04x at %s, %s backend, %s, "
		       "%u processes, NUMA node %d\n", info.accel_id,
		       info.type, info.vendor_id, info.device_id,
		       info.pci_addr, info.backend,
		       info.started ? "started" : "stopped",
		       info.max_processes, info.numa_node);
	}
}

static void list_claims(struct qat_rt *rt, const char *when)
{
	struct qat_proc_claim c[WORKERS + 1];
	int i, n = qat_proc_list(rt, c, WORKERS + 1);

	if (n < 0)
		die("qat_proc_list", n);
	printf("claims %s: %d\n", when, n);
	for (i = 0; i < n && i < WORKERS + 1; i++)
		printf("  %-16s device %u  pid %d\n", c[i].name, c[i].accel_id,
		       (int)c[i].pid);
}

/* A worker claims a section, reports it through the pipe, and holds it
 * until told to go (or until it is killed). */
static void worker(struct qat_rt *rt, int report, int go)
{
	struct qat_dev_info info;
	struct qat_proc *p;
	char byte;
	int ret = qat_proc_acquire(rt, "SSL", NULL, &p);

	if (ret)
		die("qat_proc_acquire", ret);
	qat_dev_info(qat_proc_dev(p), &info);
	dprintf(report, "  pid %d: %s on device %u\n", (int)getpid(),
		qat_proc_name(p), info.accel_id);
	if (read(go, &byte, 1) < 0)
		byte = 0;
	qat_proc_release(p);
	_exit(0);
}

static void demo_processes(struct qat_rt *rt)
{
	int report[2], go[2], i, status;
	pid_t pids[WORKERS];
	char line[WORKERS * 64];
	struct qat_proc *p;
	ssize_t n, got = 0;

	if (pipe(report) || pipe(go))
		die("pipe", -errno);
	printf("\n%d processes acquire \"SSL\":\n", WORKERS);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(rt, report[1], go[0]);
	}
	/* Each worker writes one line once it holds its claim. */
	for (i = 0; i < WORKERS; got += n) {
		n = read(report[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			die("worker report", -EIO);
		line[got + n] = '\0';
		i = 0;
		for (char *c = line; (c = strchr(c, '\n')); c++)
			i++;
	}
	printf("%s", line);
	list_claims(rt, "while the workers run");

	printf("kill -9 the worker %d\n", (int)pids[0]);
	kill(pids[0], SIGKILL);
	waitpid(pids[0], &status, 0);
	/* The kernel dropped its lock: the name is free again at once. */
	if (qat_proc_acquire(rt, "SSL", NULL, &p))
		die("qat_proc_acquire after the kill", -EAGAIN);
	printf("the parent now claims %s\n", qat_proc_name(p));
	for (i = 1; i < WORKERS; i++)
		if (write(go[1], "x", 1) != 1)
			die("pipe", -errno);
	for (i = 1; i < WORKERS; i++)
		waitpid(pids[i], &status, 0);
	list_claims(rt, "after the workers left");
	qat_proc_release(p);
	close(report[0]);
	close(report[1]);
	close(go[0]);
	close(go[1]);
}

static atomic_int irq_calls;

static void on_irq(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	atomic_fetch_add(&irq_calls, 1);
}

static void demo_interrupts(struct qat_dev *dev)
{
	struct qat_irq_info info;
	int ret, i;

	ret = qat_irq_info(dev, QAT_IRQ_MSIX, &info);
	if (ret)
		die("qat_irq_info", ret);
	printf("\ninterrupts: %u MSI-X vectors; a handler on vector 3\n",
	       info.count);
	ret = qat_irq_handler_add(dev, QAT_IRQ_MSIX, 3, on_irq, NULL);
	if (ret)
		die("qat_irq_handler_add", ret);
	ret = qat_sim_raise_irq(dev, QAT_IRQ_MSIX, 3);
	if (ret < 0)
		die("qat_sim_raise_irq", ret);
	for (i = 0; i < 2000 && !atomic_load(&irq_calls); i++)
		usleep(1000);
	printf("the device raised MSI-X 3: callback ran %d time(s)\n",
	       atomic_load(&irq_calls));
	qat_irq_handler_remove(dev, QAT_IRQ_MSIX, 3, on_irq, NULL);
	if (!atomic_load(&irq_calls))
		die("interrupt callback", -ETIMEDOUT);
}

static void demo_events(struct qat_rt *rt, struct qat_dev *dev)
{
	struct pollfd pfd = { .events = POLLIN };
	struct qat_state_event ev;
	struct qat_state_sub *sub;
	int ret, seen = 0;

	ret = qat_state_subscribe(rt, 0, NULL, &sub);
	if (ret)
		die("qat_state_subscribe", ret);
	printf("\nstate events: reset device 0\n");
	ret = qat_dev_reset(dev);
	if (ret)
		die("qat_dev_reset", ret);
	pfd.fd = qat_state_fd(sub);
	while (seen < 2 && poll(&pfd, 1, 5000) > 0) {
		while ((ret = qat_state_read(sub, &ev)) == 0) {
			printf("  event #%llu: device %u %s\n",
			       (unsigned long long)ev.seq, ev.dev_id,
			       qat_event_name(ev.event));
			seen++;
		}
		if (ret != -EAGAIN)
			die("qat_state_read", ret);
	}
	printf("device 0 is now %s\n", qat_event_name(qat_dev_state(dev)));
	qat_state_unsubscribe(sub);
	if (seen < 2)
		die("state events", -ETIMEDOUT);
}

static void demo_page_fault(struct qat_dev *dev)
{
	struct qat_iopf_sink sink = { .type = QAT_IOPF_SINK_SIM };
	struct qat_iopf_stats st;
	struct qat_iopf_queue *q;
	unsigned char *page, in_core = 0;
	long psz = sysconf(_SC_PAGESIZE);
	int ret;

	printf("\npage faults: the device writes to a page never touched\n");
	page = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap", -errno);
	ret = qat_iopf_queue_alloc("demo", NULL, &q);
	if (ret)
		die("qat_iopf_queue_alloc", ret);
	ret = qat_iopf_queue_add_device(q, dev, NULL, &sink);
	if (ret)
		die("qat_iopf_queue_add_device", ret);
	mincore(page, (size_t)psz, &in_core);
	printf("  before: page %s\n", in_core & 1 ? "present" : "not present");
	ret = qat_sim_dma(dev, 1, (uintptr_t)page, (size_t)psz, 1);
	if (ret < 0)
		die("qat_sim_dma", ret);
	mincore(page, (size_t)psz, &in_core);
	qat_iopf_stats(q, dev, &st);
	printf("  the DMA raised %d page request(s); %llu group(s) answered "
	       "SUCCESS by the pool\n", ret,
	       (unsigned long long)st.responses[QAT_IOPF_SUCCESS]);
	printf("  after: page %s, first byte %#x (expected %#x)\n",
	       in_core & 1 ? "present" : "not present", page[0],
	       QAT_SIM_DMA_BYTE((uintptr_t)page, 1));
	qat_iopf_queue_free(q);
	if (ret != 1 || page[0] != QAT_SIM_DMA_BYTE((uintptr_t)page, 1))
		die("page fault", -EIO);
	munmap(page, (size_t)psz);
}

int main(void)
{
	/* Simulated devices only: the demo must behave the same on a host
	 * that also has real accelerators. */
	struct qat_rt_opts opts = { .sz = sizeof(opts),
				    .flags = QAT_RT_NO_PCI };
	struct qat_rt *rt;
	struct qat_dev *dev;
	int ret;

	qat_set_log_fn(log_stderr, NULL, QAT_LOG_WARN);
	ret = qat_rt_open(&opts, &rt);
	if (ret)
		die("qat_rt_open", ret);
	printf("libqatrt demo; registry %s\n", qat_rt_registry_path(rt));
	list_devices(rt);
	if (qat_dev_get(rt, 0, &dev))
		die("no device: point QATRT_CONFIG at samples/conf", -ENODEV);
	demo_processes(rt);
	demo_interrupts(dev);
	demo_events(rt, dev);
	demo_page_fault(dev);
	qat_rt_close(rt);
	printf("\ndemo done\n");
	return 0;
}
