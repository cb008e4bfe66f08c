/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker.c on the application's own epoll loop: interrupts arrive on
 * eventfds the worker bound with qat_irq_bind(), device events on the
 * subscription's fd, SIGTERM and SIGINT on a signalfd. No library thread
 * runs application code.
 *
 *   QATRT_CONFIG=samples/conf worker_epoll [SECTION]     (default SSL)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll, strsignal */
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <qat/qatrt.h>

#define VECTORS 2 /* MSI-X vectors this worker takes */

struct worker {
	struct qat_proc *proc;
	struct qat_dev *dev;
	struct qat_state_sub *sub;
	int efd[VECTORS];
	int sigfd, ep;
	void *bar;
	size_t len;
	unsigned long interrupts;
};

/* Every fd the loop waits on, tagged with what it is. */
static int watch(struct worker *w, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

#define TAG_SIGNAL 100
#define TAG_STATE  101

static int setup(struct qat_rt *rt, const char *section, struct worker *w)
{
	sigset_t sigs;
	int ret, i;

	ret = qat_proc_acquire(rt, section, NULL, &w->proc);
	if (ret)
		return ret;
	w->dev = qat_proc_dev(w->proc);
	ret = qat_state_subscribe(rt, 0, NULL, &w->sub);
	if (ret)
		return ret;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	w->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->sigfd < 0 || w->ep < 0)
		return -errno;
	for (i = 0; i < VECTORS; i++) {
		w->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->efd[i] < 0 || (ret = watch(w, w->efd[i], i)))
			return w->efd[i] < 0 ? -errno : ret;
	}
	/* All vectors in one call: the first bind enables the index. */
	ret = qat_irq_bind(w->dev, QAT_IRQ_MSIX, 0, VECTORS, w->efd);
	if (ret)
		return ret > 0 ? -ENOSPC : ret;
	if ((ret = watch(w, w->sigfd, TAG_SIGNAL)) ||
	    (ret = watch(w, qat_state_fd(w->sub), TAG_STATE)))
		return ret;
	return qat_dev_bar_map(w->dev, 0, 1, &w->bar, &w->len);
}

static void on_state(struct worker *w)
{
	struct qat_state_event ev;
	int ret;

	while ((ret = qat_state_read(w->sub, &ev)) != -EAGAIN) {
		if (ret == -EOVERFLOW)
			continue;
		if (ret)
			break;
		printf("worker_epoll: device %u: %s\n", ev.dev_id,
		       qat_event_name(ev.event));
	}
}

/* Returns the signal that ends the loop. */
static int loop(struct worker *w)
{
	struct epoll_event evs[8];
	struct signalfd_siginfo si;
	uint64_t n;
	int i, k;

	for (;;) {
		k = epoll_wait(w->ep, evs, 8, -1);
		for (i = 0; i < k; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				if (read(w->sigfd, &si, sizeof(si)) ==
				    sizeof(si))
					return (int)si.ssi_signo;
			} else if (tag == TAG_STATE) {
				on_state(w);
			} else if (read(w->efd[tag], &n, sizeof(n)) ==
				   sizeof(n)) {
				w->interrupts += n;
			}
		}
		fflush(stdout);
	}
}

static void teardown(struct worker *w)
{
	int i;

	if (w->bar)
		qat_dev_bar_unmap(w->dev, 0, w->bar, w->len);
	if (w->dev)
		qat_irq_unbind(w->dev, QAT_IRQ_MSIX);
	for (i = 0; i < VECTORS; i++)
		if (w->efd[i] >= 0)
			close(w->efd[i]);
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->ep >= 0)
		close(w->ep);
	qat_state_unsubscribe(w->sub);
	qat_proc_release(w->proc);
}

int main(int argc, char **argv)
{
	struct worker w = { .sigfd = -1, .ep = -1 };
	const char *section = argc > 1 ? argv[1] : "SSL";
	struct qat_rt *rt;
	int ret, sig, i;

	for (i = 0; i < VECTORS; i++)
		w.efd[i] = -1;

	ret = qat_rt_open(NULL, &rt);
	if (ret) {
		fprintf(stderr, "worker_epoll: qat_rt_open: %s\n",
			qat_strerror(ret));
		return 1;
	}
	ret = setup(rt, section, &w);
	if (ret) {
		fprintf(stderr, "worker_epoll: setup (%s): %s\n", section,
			qat_strerror(ret));
		goto out;
	}
	/* Loopback on vector 1: the eventfd fires without hardware. */
	qat_irq_set(w.dev, QAT_IRQ_MSIX, QAT_IRQ_ACTION_TRIGGER,
		    QAT_IRQ_DATA_NONE, 1, 1, NULL);
	printf("worker_epoll: ready: %s on device %d, BAR 0 is %zu bytes\n",
	       qat_proc_name(w.proc), qat_dev_accel_id(w.dev), w.len);
	fflush(stdout);
	sig = loop(&w);
	printf("worker_epoll: %s, %lu interrupt(s); shutting down\n",
	       strsignal(sig), w.interrupts);
out:
	teardown(&w);
	qat_rt_close(rt);
	if (!ret)
		printf("worker_epoll: clean exit\n");
	return ret ? 1 : 0;
}
