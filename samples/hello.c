/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello: the README's API tour as one program to copy. Open a runtime,
 * claim an SSL section, watch one state event, see one interrupt, release.
 *
 *   cc hello.c $(pkg-config --cflags --libs libqatrt) -o hello
 *   QATRT_CONFIG=samples/conf ./hello
 *
 * On the simulated devices of samples/conf the program makes its own
 * event (a reset) and its own interrupt; on a real device both come from
 * the hardware.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include <qat/qatrt.h>

static atomic_int irqs;

static void on_irq(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	atomic_fetch_add(&irqs, 1);      /* runs on the library's thread */
}

static void check(int ret, const char *what)
{
	if (ret < 0)
		errx(1, "%s: %s", what, qat_strerror(ret));
}

/* Wait for the first event of the subscription and print it. */
static void first_event(struct qat_state_sub *sub)
{
	struct pollfd pfd = { .fd = qat_state_fd(sub), .events = POLLIN };
	struct qat_state_event ev;
	int ret;

	while ((ret = qat_state_read(sub, &ev)) == -EAGAIN)
		if (poll(&pfd, 1, 5000) != 1)
			errx(1, "no state event within 5 s");
	check(ret, "qat_state_read");
	printf("event: device %u, event %d (RESTARTING is %d)\n", ev.dev_id,
	       ev.event, QAT_EVENT_RESTARTING);
}

int main(void)
{
	struct qat_state_sub *sub;
	struct qat_proc *proc;
	struct qat_dev *dev;
	struct qat_rt *rt;
	int i;

	/* Configuration from $QATRT_CONFIG (or /etc/qatrt/). */
	check(qat_rt_open(NULL, &rt), "qat_rt_open");

	/* Claim the first free SSL_INT_<n> of any started device. */
	check(qat_proc_acquire(rt, "SSL", NULL, &proc), "qat_proc_acquire");
	dev = qat_proc_dev(proc);
	printf("claimed %s\n", qat_proc_name(proc));

	/* RESTARTING, RESTARTED and ERROR of every device. */
	check(qat_state_subscribe(rt, 0, NULL, &sub), "qat_state_subscribe");
	check(qat_dev_reset(dev), "qat_dev_reset");
	first_event(sub);
	qat_state_unsubscribe(sub);

	/* A callback for MSI-X vector 0, fired once by the simulation. */
	check(qat_irq_handler_add(dev, QAT_IRQ_MSIX, 0, on_irq, NULL),
	      "qat_irq_handler_add");
	check(qat_sim_raise_irq(dev, QAT_IRQ_MSIX, 0), "qat_sim_raise_irq");
	for (i = 0; i < 5000 && !atomic_load(&irqs); i++)
		usleep(1000);
	if (!atomic_load(&irqs))
		errx(1, "the interrupt callback did not run within 5 s");
	printf("interrupt: callback ran %d time(s)\n", atomic_load(&irqs));
	qat_irq_handler_remove(dev, QAT_IRQ_MSIX, 0, on_irq, NULL);

	qat_proc_release(proc);
	qat_rt_close(rt);
	return 0;
}
