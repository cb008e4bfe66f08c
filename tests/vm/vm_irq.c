/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: edu MSIs through qat_irq_bind() and the dispatcher, beside a
 * raw-VFIO loop; INTx with the dispatcher's automatic unmask; e1000e
 * MSI-X loopback per vector; fds below -1 on the real kernel (defect 4). */
#include <errno.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

#define N_MSI  1000
#define N_INTX 200

static uint64_t lat[N_MSI];
static double raw_p[2];   /* the floor's p50, p99 in us; 0: not measured */

/* Raise, wait for the eventfd, acknowledge: N_MSI times. Fills lat[],
 * adds what the eventfd counted to *total, returns the rounds done. */
static unsigned int eventfd_loop(volatile uint32_t *r, int efd,
				 uint64_t *total)
{
	unsigned int i, n = 0;
	uint64_t v;

	for (i = 0; i < N_MSI; i++) {
		uint64_t t0 = vm_now_ns();

		r[EDU_IRQ_RAISE / 4] = 1;
		if (vm_wait_fd(efd, 1000) <= 0 || read(efd, &v, 8) != 8)
			break;
		lat[n++] = vm_now_ns() - t0;
		*total += v;
		r[EDU_IRQ_ACK / 4] = 1;
	}
	return n;
}

/* Our percentiles, and beside them the ratio to the raw-VFIO floor. */
static void report(const char *name, unsigned int n)
{
	double p[2];
	char rname[64];

	vm_percentiles(name, lat, n, p);
	if (!n)
		return;
	snprintf(rname, sizeof(rname), "%s_vs_raw", name);
	if (raw_p[0] > 0)
		printf("%s_p50: ratio %.4f (ours/baseline)\n%s_p99: ratio %.4f "
		       "(ours/baseline)\n", rname, p[0] / raw_p[0], rname,
		       p[1] / raw_p[1]);
	else
		printf("%s: not measured (no raw-VFIO figures)\n", rname);
}

/* The raw floor: plain VFIO ioctls, same device, same loop. */
static void raw_loop(const char *addr)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	char buf[sizeof(struct vfio_irq_set) + 4];
	struct vfio_irq_set *set = (void *)buf;
	unsigned int n;
	volatile uint32_t *r;
	uint16_t cmd;
	struct vm_raw raw;
	uint64_t total = 0;
	int efd = eventfd(0, EFD_CLOEXEC);

	if (vm_raw_open(addr, &raw) ||
	    ioctl(raw.dev, VFIO_DEVICE_GET_REGION_INFO, &ri) ||
	    ioctl(raw.dev, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		printf("msi_raw_vfio: not measured (raw open failed)\n");
		return;
	}
	r = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, raw.dev,
		 (off_t)ri.offset);
	pread(raw.dev, &cmd, 2, (off_t)cfg.offset + 4);
	cmd |= 4;
	pwrite(raw.dev, &cmd, 2, (off_t)cfg.offset + 4);
	*set = (struct vfio_irq_set){
		.argsz = sizeof(buf), .index = VFIO_PCI_MSI_IRQ_INDEX,
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.start = 0, .count = 1,
	};
	memcpy(set->data, &efd, 4);
	ioctl(raw.dev, VFIO_DEVICE_SET_IRQS, set);
	n = eventfd_loop(r, efd, &total);
	vm_percentiles("msi_raw_vfio", lat, n, raw_p);
	munmap((void *)r, ri.size);
	vm_raw_close(&raw);
	close(efd);
}

static void msi_bind(struct qat_dev *dev, volatile uint32_t *r)
{
	unsigned int n;
	uint64_t v, total = 0;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ret;

	ret = qat_irq_bind(dev, QAT_IRQ_MSI, 0, 1, &efd);
	if (!vm_ok(ret == 0, "MSI: qat_irq_bind", "%d", ret))
		return;
	n = eventfd_loop(r, efd, &total);
	usleep(20000);
	if (read(efd, &v, 8) == 8)
		total += v;
	vm_ok(total == N_MSI, "1000 MSIs through qat_irq_bind: none lost, "
	      "none extra", "received %llu", (unsigned long long)total);
	report("msi_qat_irq_bind", n);
	/* Defect 4: an fd below -1 releases the vector, as -1 would. */
	int32_t bad = -5;
	ret = qat_irq_set(dev, QAT_IRQ_MSI, QAT_IRQ_ACTION_TRIGGER,
			  QAT_IRQ_DATA_EVENTFD, 0, 1, &bad);
	/* Loopback, not the device: a real MSI on a vector the kernel has
	 * let go of is a DMA write the IOMMU faults. */
	ret = ret ? ret : qat_irq_set(dev, QAT_IRQ_MSI, QAT_IRQ_ACTION_TRIGGER,
				      QAT_IRQ_DATA_NONE, 0, 1, NULL);
	vm_ok(ret == 0 && vm_wait_fd(efd, 200) == 0,
	      "MSI: fd -5 releases the vector (kernel)", "ret %d", ret);
	qat_irq_unbind(dev, QAT_IRQ_MSI);
	close(efd);
}

static atomic_uint hits;
static volatile uint32_t *edu_bar;

/* Counts, and wakes the main thread the way the own-loop path is woken
 * (an eventfd), so the two latencies compare the paths, not the waits. */
static void on_msi(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	uint64_t one = 1;

	atomic_fetch_add(&hits, 1);
	if (write(*(int *)arg, &one, sizeof(one)) != sizeof(one))
		abort();
}

static void on_intx(struct qat_dev *dev, unsigned int index,
		    unsigned int vector, void *arg)
{
	/* Lower the level before the dispatcher unmasks. */
	edu_bar[EDU_IRQ_ACK / 4] = edu_bar[EDU_IRQ_STAT / 4];
	atomic_fetch_add(&hits, 1);
}

/* Wait until `hits` reaches want (1 s at most). */
static int wait_hits(unsigned int want)
{
	int i;

	for (i = 0; i < 100000 && atomic_load(&hits) < want; i++)
		usleep(10);
	return atomic_load(&hits) >= want;
}

static void msi_dispatch(struct qat_dev *dev, volatile uint32_t *r)
{
	int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ret;
	uint64_t woken = 0;
	unsigned int n;

	atomic_store(&hits, 0);
	ret = qat_irq_handler_add(dev, QAT_IRQ_MSI, 0, on_msi, &wake);
	if (!vm_ok(ret == 0, "MSI: qat_irq_handler_add", "%d", ret))
		return;
	n = eventfd_loop(r, wake, &woken);
	usleep(20000);
	vm_ok(atomic_load(&hits) == N_MSI && n == N_MSI,
	      "1000 MSIs through the dispatcher: none lost, none extra",
	      "received %u", atomic_load(&hits));
	report("msi_dispatcher", n);
	qat_irq_handler_remove(dev, QAT_IRQ_MSI, 0, on_msi, &wake);
	close(wake);
}

static void intx_dispatch(struct qat_dev *dev, volatile uint32_t *r)
{
	unsigned int i;
	int ret;

	atomic_store(&hits, 0);
	edu_bar = r;
	ret = qat_irq_handler_add(dev, QAT_IRQ_INTX, 0, on_intx, NULL);
	if (!vm_ok(ret == 0, "INTx: qat_irq_handler_add", "%d", ret))
		return;
	for (i = 0; i < N_INTX; i++) {
		r[EDU_IRQ_RAISE / 4] = 1;
		if (!wait_hits(i + 1))
			break;
	}
	usleep(20000);
	vm_ok(atomic_load(&hits) == N_INTX, "200 INTx in a row with automatic "
	      "unmask: none lost", "received %u", atomic_load(&hits));
	qat_irq_handler_remove(dev, QAT_IRQ_INTX, 0, on_intx, NULL);
}

static void msix_loopback(struct qat_dev *dev)
{
	struct qat_irq_info ii = { 0 };
	int efd[64], ret, bad = 0;
	unsigned int i, j, n;
	uint8_t one = 1;
	uint64_t v;

	ret = qat_irq_info(dev, QAT_IRQ_MSIX, &ii);
	n = ii.count < 64 ? ii.count : 64;
	if (!vm_ok(ret == 0 && n > 0, "e1000e has MSI-X vectors", "%d, %u", ret,
		   ii.count))
		return;
	for (i = 0; i < n; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = qat_irq_bind(dev, QAT_IRQ_MSIX, 0, n, efd);
	if (!vm_ok(ret == 0, "MSI-X: every vector bound", "%d", ret))
		return;
	for (i = 0; i < n; i++) {
		ret = qat_irq_set(dev, QAT_IRQ_MSIX, QAT_IRQ_ACTION_TRIGGER,
				  QAT_IRQ_DATA_BOOL, i, 1, &one);
		for (j = 0; j < n; j++) {
			int got = read(efd[j], &v, 8) == 8;

			if (ret || got != (i == j))
				bad++;
		}
	}
	vm_ok(!bad, "MSI-X loopback: each vector on its own eventfd",
	      "%d wrong of %u vectors", bad, n);
	qat_irq_unbind(dev, QAT_IRQ_MSIX);
	for (i = 0; i < n; i++)
		close(efd[i]);
	printf("msix_vectors: %u\n", n);
}

/* Defect 4 on ERR: an fd below -1 changes nothing. */
static void err_below_minus_one(struct qat_dev *dev)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ret;
	int32_t bad = -5;
	uint64_t v;

	ret = qat_irq_bind(dev, QAT_IRQ_ERR, 0, 1, &efd);
	ret = ret ? ret : qat_irq_set(dev, QAT_IRQ_ERR, QAT_IRQ_ACTION_TRIGGER,
				      QAT_IRQ_DATA_EVENTFD, 0, 1, &bad);
	ret = ret ? ret : qat_irq_set(dev, QAT_IRQ_ERR, QAT_IRQ_ACTION_TRIGGER,
				      QAT_IRQ_DATA_NONE, 0, 1, NULL);
	vm_ok(ret == 0 && read(efd, &v, 8) == 8,
	      "ERR: fd -5 leaves the bound eventfd (kernel)", "ret %d", ret);
	qat_irq_unbind(dev, QAT_IRQ_ERR);
	close(efd);
}

int main(void)
{
	const char *addr = vm_env("EDU_ROOT"), *nic_addr = vm_env("E1000E");
	struct qat_rt *rt;
	struct qat_dev *dev, *nic;
	uint16_t cmd = 0;
	size_t len;
	void *p;

	raw_loop(addr); /* before the library holds the group */
	rt = vm_rt_open();
	dev = vm_dev_by_addr(rt, addr);
	nic = vm_dev_by_addr(rt, nic_addr);
	if (!dev || !nic || qat_dev_bar_map(dev, 0, 1, &p, &len)) {
		vm_ok(0, "irq: setup", "devices or BAR0 missing");
		return vm_done();
	}
	qat_dev_cfg_read(dev, 4, &cmd, 2);
	cmd |= 0x4; /* MSI is delivered only with bus mastering */
	qat_dev_cfg_write(dev, 4, &cmd, 2);
	msi_bind(dev, p);
	msi_dispatch(dev, p);
	intx_dispatch(dev, p);
	msix_loopback(nic);
	err_below_minus_one(nic);
	qat_dev_bar_unmap(dev, 0, p, len);
	qat_rt_close(rt);
	return vm_done();
}
