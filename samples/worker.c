/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker to start from: claim a section, follow device events, take
 * interrupts through the library's dispatcher, map a BAR, and shut down
 * cleanly on SIGTERM or SIGINT.
 *
 *   QATRT_CONFIG=samples/conf worker [SECTION]     (default SSL)
 *
 * Configuration and registry come from $QATRT_CONFIG and $QATRT_REGISTRY
 * (or /etc/qatrt/ and /dev/shm/qatrt); QATRT_LOG=info shows what the
 * library looked at. worker_epoll.c is the same program on its own loop.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll, strsignal */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <qat/qatrt.h>

static volatile sig_atomic_t stop;
static atomic_uint interrupts;

static void on_signal(int sig)
{
	stop = sig;
}

/* Runs on the library's interrupt thread for the device. */
static void on_irq(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	atomic_fetch_add(&interrupts, 1);
}

/*
 * The signals stay blocked except inside ppoll(), which unblocks them
 * atomically: one that arrives between the check of `stop` and the wait
 * still ends the wait.
 */
static void catch_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, waitmask);
}

static void drain_events(struct qat_state_sub *sub)
{
	struct qat_state_event ev;
	int ret;

	while ((ret = qat_state_read(sub, &ev)) != -EAGAIN) {
		if (ret == -EOVERFLOW)
			continue; /* some were lost; read on */
		if (ret)
			break;
		printf("worker: device %u: %s\n", ev.dev_id,
		       qat_event_name(ev.event));
	}
	fflush(stdout);
}

static int run(struct qat_rt *rt, const char *section,
	       const sigset_t *waitmask)
{
	struct qat_state_sub *sub = NULL;
	struct qat_proc *proc = NULL;
	struct qat_dev *dev;
	struct pollfd pfd;
	size_t len = 0;
	void *bar = NULL;
	int ret;

	ret = qat_proc_acquire(rt, section, NULL, &proc);
	if (ret) {
		fprintf(stderr, "worker: claim %s: %s\n", section,
			qat_strerror(ret));
		return 1;
	}
	dev = qat_proc_dev(proc);
	if ((ret = qat_state_subscribe(rt, 0, NULL, &sub)) ||
	    (ret = qat_irq_handler_add(dev, QAT_IRQ_MSIX, 0, on_irq, NULL)) ||
	    (ret = qat_dev_bar_map(dev, 0, 1, &bar, &len))) {
		fprintf(stderr, "worker: setup: %s\n", qat_strerror(ret));
		goto out;
	}
	/* A loopback interrupt (VFIO's TRIGGER with no data) shows the
	 * handler works without hardware raising one. */
	qat_irq_set(dev, QAT_IRQ_MSIX, QAT_IRQ_ACTION_TRIGGER,
		    QAT_IRQ_DATA_NONE, 0, 1, NULL);
	printf("worker: ready: %s on device %d, BAR 0 is %zu bytes\n",
	       qat_proc_name(proc), qat_dev_accel_id(dev), len);
	fflush(stdout);

	pfd.fd = qat_state_fd(sub);
	pfd.events = POLLIN;
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, waitmask) > 0)
			drain_events(sub);
	}
	printf("worker: %s, %u interrupt(s); shutting down\n",
	       strsignal(stop), atomic_load(&interrupts));
	ret = 0;
out:
	/* Reverse order of setup; each release call takes what was never
	 * set up (or returns an error we have no use for here). */
	if (bar)
		qat_dev_bar_unmap(dev, 0, bar, len);
	qat_irq_handler_remove(dev, QAT_IRQ_MSIX, 0, on_irq, NULL);
	qat_state_unsubscribe(sub);
	qat_proc_release(proc);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct qat_rt *rt;
	sigset_t waitmask;
	int ret;

	catch_signals(&waitmask);
	ret = qat_rt_open(NULL, &rt);
	if (ret) {
		fprintf(stderr, "worker: qat_rt_open: %s\n", qat_strerror(ret));
		return 1;
	}
	ret = run(rt, argc > 1 ? argv[1] : "SSL", &waitmask);
	qat_rt_close(rt);
	if (!ret)
		printf("worker: clean exit\n");
	return ret;
}
