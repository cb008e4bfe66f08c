/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts: the VFIO SET_IRQS rules on the simulated device (one table
 * row per rule), sequences over its state machine, and the dispatcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "sim_priv.h" /* white-box: the model without the library's checks */
#include "util.h"

#define MSIX QAT_IRQ_MSIX
#define TRIG QAT_IRQ_ACTION_TRIGGER
#define MASK QAT_IRQ_ACTION_MASK
#define UNMASK QAT_IRQ_ACTION_UNMASK
#define NONE QAT_IRQ_DATA_NONE
#define BOOL QAT_IRQ_DATA_BOOL
#define EFD QAT_IRQ_DATA_EVENTFD
#define BAD_FD 99999 /* above any fd this test opens */

static struct qat_rt *rt;
static struct qat_dev *dev0, *dev1;

/*
 * dev0: 4xxx with INTx, 4 MSI, 8 MSI-X, ERR, REQ, on NUMA node 0.
 * dev1: c62x VF-like: no INTx, not PCIe (no ERR), 17 MSI-X of which the
 * platform can allocate 3.
 */
static void setup(void)
{
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, "SimMsi = 4\nSimMsix = 8\n"
		    "SimNumaNode = 0\n", NULL);
	qt_sim_conf(qt_dir, "c62x", 1, "SimIntx = 0\nSimErr = 0\n"
		    "SimMsixAlloc = 3\n", NULL);
	rt = qt_rt_open(qt_dir);
	ck_assert_int_eq(qat_dev_count(rt), 2);
	ck_assert_int_eq(qat_dev_get(rt, 0, &dev0), 0);
	ck_assert_int_eq(qat_dev_get(rt, 1, &dev1), 0);
}

static void teardown(void)
{
	qat_rt_close(rt);
	rt = NULL;
	qt_dir_teardown();
}

static int efd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* The eventfd's counter, consumed; 0 when it was not signalled. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Wait up to 2 s for the eventfd, then consume it. */
static uint64_t efd_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, 2000);
	return efd_take(fd);
}

/* --- the rules table --------------------------------------------------- */

enum pre {
	PRE_NONE,    /* nothing enabled */
	PRE_INTX,    /* INTx enabled, eventfd bound */
	PRE_MSIX4,   /* MSI-X enabled with vectors 0..3 bound */
	PRE_ERR,     /* ERR eventfd bound */
};

struct row {
	const char *name;
	enum pre pre;
	int dev;                 /* 0 or 1 */
	unsigned int index;
	uint32_t action, data_type;
	unsigned int start, count;
	/* one token per vector: 'e' a new eventfd, '-' -1, 'm' -2, 'b' a
	 * bad fd, 'p' a pipe, '0'/'1' a bool; NULL passes NULL */
	const char *data;
	int expect;
	unsigned int fired;      /* the pre-bound eventfds that must fire */
};

static const struct row rows[] = {
	/* Checks of vfio_set_irqs_validate_and_prepare() and the library */
	{ "index past the last", PRE_NONE, 0, 5, TRIG, NONE, 0, 0, NULL, -EINVAL, 0 },
	{ "unknown action bit", PRE_MSIX4, 0, MSIX, 1u << 6, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "unknown data bit", PRE_MSIX4, 0, MSIX, TRIG, 1u << 7, 0, 1, NULL, -EINVAL, 0 },
	{ "action bit as data", PRE_MSIX4, 0, MSIX, TRIG, MASK, 0, 1, NULL, -EINVAL, 0 },
	{ "no action (the kernel's -ENOTTY)", PRE_MSIX4, 0, MSIX, 0, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "no action, no data type: data first", PRE_MSIX4, 0, MSIX, 0, 0, 0, 1, NULL, -EINVAL, 0 },
	{ "two actions (the kernel's -ENOTTY)", PRE_INTX, 0, QAT_IRQ_INTX, MASK | UNMASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "three actions on MSI-X", PRE_MSIX4, 0, MSIX, MASK | UNMASK | TRIG, NONE, 0, 1, NULL, -ENOTTY, 0 },
	/* TRIGGER with another action bit is no TRIGGER, on every index. */
	{ "INTx TRIGGER|MASK loopback", PRE_INTX, 0, QAT_IRQ_INTX, TRIG | MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "MSI TRIGGER|UNMASK", PRE_NONE, 0, QAT_IRQ_MSI, TRIG | UNMASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "MSI-X TRIGGER|MASK loopback", PRE_MSIX4, 0, MSIX, TRIG | MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "ERR TRIGGER|MASK loopback", PRE_ERR, 0, QAT_IRQ_ERR, TRIG | MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "REQ TRIGGER|UNMASK", PRE_NONE, 0, QAT_IRQ_REQ, TRIG | UNMASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "two actions past the vectors: range first", PRE_MSIX4, 0, MSIX, MASK | TRIG, NONE, 8, 1, NULL, -EINVAL, 0 },
	{ "no data type", PRE_MSIX4, 0, MSIX, TRIG, 0, 0, 1, NULL, -EINVAL, 0 },
	{ "two data types", PRE_MSIX4, 0, MSIX, TRIG, NONE | BOOL, 0, 1, "1", -EINVAL, 0 },
	{ "start + count overflows", PRE_MSIX4, 0, MSIX, TRIG, NONE, 1, UINT32_MAX, NULL, -EINVAL, 0 },
	{ "start + count wraps to 1 (CVE-2016-9083)", PRE_MSIX4, 0, MSIX, TRIG, NONE, UINT32_MAX, 2, NULL, -EINVAL, 0 },
	{ "start + count = 2^32 - 1", PRE_MSIX4, 0, MSIX, TRIG, NONE, 0, UINT32_MAX, NULL, -EINVAL, 0 },
	{ "start past the vectors", PRE_MSIX4, 0, MSIX, TRIG, NONE, 8, 1, NULL, -EINVAL, 0 },
	{ "start + count past the vectors", PRE_MSIX4, 0, MSIX, TRIG, NONE, 6, 3, NULL, -EINVAL, 0 },
	{ "count 0, start past the vectors", PRE_MSIX4, 0, MSIX, TRIG, NONE, 8, 0, NULL, -EINVAL, 0 },
	{ "count 0 with EVENTFD, MSI-X enabled", PRE_MSIX4, 0, MSIX, TRIG, EFD, 0, 0, "", 0, 0 },
	{ "count 0 with EVENTFD, NULL data, MSI-X enabled", PRE_MSIX4, 0, MSIX, TRIG, EFD, 2, 0, NULL, 0, 0 },
	{ "count 0 with EVENTFD, not enabled (zero vectors)", PRE_NONE, 0, MSIX, TRIG, EFD, 0, 0, NULL, -ERANGE, 0 },
	{ "count 0 with EVENTFD on INTx", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 0, NULL, -EINVAL, 0 },
	{ "count 0 with EVENTFD on ERR", PRE_ERR, 0, QAT_IRQ_ERR, TRIG, EFD, 0, 0, NULL, -EINVAL, 0 },
	{ "count 0 with BOOL, MSI-X enabled", PRE_MSIX4, 0, MSIX, TRIG, BOOL, 0, 0, "", 0, 0 },
	{ "count 0 with BOOL, NULL data, MSI-X enabled", PRE_MSIX4, 0, MSIX, TRIG, BOOL, 0, 0, NULL, 0, 0 },
	{ "count 0 with BOOL, not enabled", PRE_NONE, 0, MSIX, TRIG, BOOL, 0, 0, NULL, -EINVAL, 0 },
	{ "count 0 with BOOL on INTx", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, BOOL, 0, 0, NULL, -EINVAL, 0 },
	{ "count 0 with BOOL on REQ", PRE_NONE, 0, QAT_IRQ_REQ, TRIG, BOOL, 0, 0, NULL, -EINVAL, 0 },
	{ "NULL data with EVENTFD", PRE_NONE, 0, MSIX, TRIG, EFD, 0, 1, NULL, -EINVAL, 0 },
	{ "NULL data with BOOL", PRE_MSIX4, 0, MSIX, TRIG, BOOL, 0, 1, NULL, -EINVAL, 0 },
	{ "index with no vectors (INTx of dev1)", PRE_NONE, 1, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "e", -EINVAL, 0 },
	{ "ERR of a function that is not PCIe", PRE_NONE, 1, QAT_IRQ_ERR, TRIG, EFD, 0, 1, "e", -EINVAL, 0 },

	/* INTx */
	{ "INTx enable", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "e", 0, 0 },
	{ "INTx enable without an eventfd", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "-", 0, 0 },
	{ "INTx enable, bad fd", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "b", -EBADF, 0 },
	{ "INTx enable, not an eventfd", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "p", -EINVAL, 0 },
	{ "INTx rebind", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "e", 0, 0 },
	{ "INTx release keeps INTx", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "-", 0, 0 },
	{ "INTx loopback NONE", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, NONE, 0, 1, NULL, 0, 1 },
	{ "INTx loopback BOOL 1", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, BOOL, 0, 1, "1", 0, 1 },
	{ "INTx loopback BOOL 0", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, BOOL, 0, 1, "0", 0, 0 },
	{ "INTx loopback, not enabled", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "INTx disable", PRE_INTX, 0, QAT_IRQ_INTX, TRIG, NONE, 0, 0, NULL, 0, 0 },
	{ "INTx disable, not enabled", PRE_NONE, 0, QAT_IRQ_INTX, TRIG, NONE, 0, 0, NULL, -EINVAL, 0 },
	{ "INTx enable while MSI-X is enabled", PRE_MSIX4, 0, QAT_IRQ_INTX, TRIG, EFD, 0, 1, "e", -EINVAL, 0 },
	{ "INTx MASK", PRE_INTX, 0, QAT_IRQ_INTX, MASK, NONE, 0, 1, NULL, 0, 0 },
	{ "INTx MASK BOOL 0", PRE_INTX, 0, QAT_IRQ_INTX, MASK, BOOL, 0, 1, "0", 0, 0 },
	{ "INTx MASK, not enabled", PRE_NONE, 0, QAT_IRQ_INTX, MASK, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "INTx MASK EVENTFD", PRE_INTX, 0, QAT_IRQ_INTX, MASK, EFD, 0, 1, "e", -ENOTTY, 0 },
	{ "INTx MASK EVENTFD, not enabled", PRE_NONE, 0, QAT_IRQ_INTX, MASK, EFD, 0, 1, "e", -EINVAL, 0 },
	{ "INTx UNMASK", PRE_INTX, 0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1, NULL, 0, 0 },
	{ "INTx UNMASK, not enabled", PRE_NONE, 0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "INTx UNMASK EVENTFD", PRE_INTX, 0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1, "e", 0, 0 },
	{ "INTx UNMASK EVENTFD -1", PRE_INTX, 0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1, "-", 0, 0 },
	{ "INTx UNMASK EVENTFD, bad fd", PRE_INTX, 0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1, "b", -EBADF, 0 },
	{ "INTx UNMASK EVENTFD, not an eventfd", PRE_INTX, 0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1, "p", -EINVAL, 0 },

	/* MSI and MSI-X */
	{ "MSI-X enable 4", PRE_NONE, 0, MSIX, TRIG, EFD, 0, 4, "eeee", 0, 0 },
	{ "MSI-X enable, vectors 2..3 only", PRE_NONE, 0, MSIX, TRIG, EFD, 2, 2, "ee", 0, 0 },
	{ "MSI enable 4", PRE_NONE, 0, QAT_IRQ_MSI, TRIG, EFD, 0, 4, "eeee", 0, 0 },
	{ "MSI-X enable, bad fd", PRE_NONE, 0, MSIX, TRIG, EFD, 0, 3, "ebe", -EBADF, 0 },
	{ "MSI-X enable, pipe in the block", PRE_NONE, 0, MSIX, TRIG, EFD, 0, 3, "epe", -EINVAL, 0 },
	{ "MSI-X enable short of vectors", PRE_NONE, 1, MSIX, TRIG, EFD, 0, 5, "eeeee", 3, 0 },
	{ "MSI-X enable what the platform has", PRE_NONE, 1, MSIX, TRIG, EFD, 0, 3, "eee", 0, 0 },
	{ "MSI-X bind within the enabled", PRE_MSIX4, 0, MSIX, TRIG, EFD, 1, 2, "ee", 0, 0 },
	{ "MSI-X bind past the enabled", PRE_MSIX4, 0, MSIX, TRIG, EFD, 3, 2, "ee", -EINVAL, 0 },
	{ "MSI-X release with -1", PRE_MSIX4, 0, MSIX, TRIG, EFD, 0, 2, "--", 0, 0 },
	{ "MSI-X fd below -1 releases", PRE_MSIX4, 0, MSIX, TRIG, EFD, 0, 1, "m", 0, 0 },
	{ "MSI-X loopback NONE", PRE_MSIX4, 0, MSIX, TRIG, NONE, 1, 2, NULL, 0, 0x6 },
	{ "MSI-X loopback BOOL", PRE_MSIX4, 0, MSIX, TRIG, BOOL, 0, 4, "1010", 0, 0x5 },
	{ "MSI-X loopback past the enabled skips", PRE_MSIX4, 0, MSIX, TRIG, NONE, 3, 2, NULL, 0, 0x8 },
	{ "MSI-X loopback BOOL past the enabled", PRE_MSIX4, 0, MSIX, TRIG, BOOL, 2, 6, "111111", 0, 0xc },
	{ "MSI-X loopback past the vectors", PRE_MSIX4, 0, MSIX, TRIG, NONE, 6, 3, NULL, -EINVAL, 0 },
	{ "MSI-X release past the enabled", PRE_MSIX4, 0, MSIX, TRIG, EFD, 3, 3, "---", 0, 0 },
	{ "MSI-X loopback, not enabled", PRE_NONE, 0, MSIX, TRIG, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "MSI-X disable", PRE_MSIX4, 0, MSIX, TRIG, NONE, 0, 0, NULL, 0, 0 },
	{ "MSI-X disable, not enabled", PRE_NONE, 0, MSIX, TRIG, NONE, 0, 0, NULL, -EINVAL, 0 },
	{ "MSI enable while MSI-X is enabled", PRE_MSIX4, 0, QAT_IRQ_MSI, TRIG, EFD, 0, 1, "e", -EINVAL, 0 },
	{ "MSI-X enable while INTx is enabled", PRE_INTX, 0, MSIX, TRIG, EFD, 0, 1, "e", -EINVAL, 0 },
	{ "MSI-X MASK", PRE_MSIX4, 0, MSIX, MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "MSI-X UNMASK BOOL", PRE_MSIX4, 0, MSIX, UNMASK, BOOL, 0, 1, "1", -ENOTTY, 0 },
	{ "MSI MASK, not enabled", PRE_NONE, 0, QAT_IRQ_MSI, MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "MSI UNMASK EVENTFD", PRE_NONE, 0, QAT_IRQ_MSI, UNMASK, EFD, 0, 1, "e", -ENOTTY, 0 },

	/* ERR and REQ */
	{ "ERR bind", PRE_NONE, 0, QAT_IRQ_ERR, TRIG, EFD, 0, 1, "e", 0, 0 },
	{ "ERR MASK", PRE_ERR, 0, QAT_IRQ_ERR, MASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "REQ UNMASK", PRE_NONE, 0, QAT_IRQ_REQ, UNMASK, NONE, 0, 1, NULL, -ENOTTY, 0 },
	{ "ERR loopback NONE", PRE_ERR, 0, QAT_IRQ_ERR, TRIG, NONE, 0, 1, NULL, 0, 1 },
	{ "ERR loopback BOOL 0", PRE_ERR, 0, QAT_IRQ_ERR, TRIG, BOOL, 0, 1, "0", 0, 0 },
	{ "ERR loopback NONE, nothing bound", PRE_NONE, 0, QAT_IRQ_ERR, TRIG, NONE, 0, 1, NULL, -EINVAL, 0 },
	{ "ERR loopback BOOL, nothing bound", PRE_NONE, 0, QAT_IRQ_ERR, TRIG, BOOL, 0, 1, "1", 0, 0 },
	{ "ERR release", PRE_ERR, 0, QAT_IRQ_ERR, TRIG, NONE, 0, 0, NULL, 0, 0 },
	{ "ERR release, nothing bound", PRE_NONE, 0, QAT_IRQ_ERR, TRIG, NONE, 0, 0, NULL, -EINVAL, 0 },
	{ "ERR rebind keeps MSI-X apart", PRE_MSIX4, 0, QAT_IRQ_ERR, TRIG, EFD, 0, 1, "e", 0, 0 },
	{ "REQ bind, bad fd", PRE_NONE, 0, QAT_IRQ_REQ, TRIG, EFD, 0, 1, "b", -EBADF, 0 },
	{ "REQ bind, not an eventfd", PRE_NONE, 0, QAT_IRQ_REQ, TRIG, EFD, 0, 1, "p", -EINVAL, 0 },
	{ "REQ release with -1", PRE_NONE, 0, QAT_IRQ_REQ, TRIG, EFD, 0, 1, "-", 0, 0 },
	{ "REQ fd below -1 does nothing", PRE_NONE, 0, QAT_IRQ_REQ, TRIG, EFD, 0, 1, "m", 0, 0 },
};

/*
 * The state a row leaves behind, when it is not the state it started from
 * (rows not listed here, refused ones above all, must change nothing).
 * "<type>[:<vectors>] <vector>... [masked] [unmask] [err=<fd>] [req=<fd>]"
 * with type none, intx, msi or msix, and one token per enabled vector:
 * "-" unbound, "pN" the N-th pre-bound eventfd, "eN" the row's N-th new
 * eventfd.
 */
static const struct {
	const char *name, *after;
} afters[] = {
	{ "INTx enable", "intx e0" },
	{ "INTx enable without an eventfd", "intx -" },
	{ "INTx rebind", "intx e0" },
	{ "INTx release keeps INTx", "intx -" },
	{ "INTx disable", "none" },
	{ "INTx MASK", "intx p0 masked" },
	{ "INTx UNMASK EVENTFD", "intx p0 unmask" },
	{ "MSI-X enable 4", "msix:4 e0 e1 e2 e3" },
	{ "MSI-X enable, vectors 2..3 only", "msix:4 - - e0 e1" },
	{ "MSI enable 4", "msi:4 e0 e1 e2 e3" },
	{ "MSI-X enable what the platform has", "msix:3 e0 e1 e2" },
	{ "MSI-X bind within the enabled", "msix:4 p0 e0 e1 p3" },
	{ "MSI-X release with -1", "msix:4 - - p2 p3" },
	{ "MSI-X fd below -1 releases", "msix:4 - p1 p2 p3" },
	/* Linux 6.5+ vfio_msi_set_block(): vector 3 is released before vector
	 * 4, which has no context, fails the bind (or is skipped on release). */
	{ "MSI-X bind past the enabled", "msix:4 p0 p1 p2 -" },
	{ "MSI-X release past the enabled", "msix:4 p0 p1 p2 -" },
	{ "MSI-X disable", "none" },
	{ "ERR bind", "none err=e0" },
	{ "ERR release", "none" },
	{ "ERR rebind keeps MSI-X apart", "msix:4 p0 p1 p2 p3 err=e0" },
};

static const char *const pre_state[] = {
	[PRE_NONE] = "none",
	[PRE_INTX] = "intx p0",
	[PRE_MSIX4] = "msix:4 p0 p1 p2 p3",
	[PRE_ERR] = "none err=p0",
};

/* What row r must leave (row_pre() prepares dev0 only). */
static const char *row_after(const struct row *r)
{
	size_t i;

	for (i = 0; i < QAT_ARRAY_SIZE(afters); i++)
		if (!strcmp(afters[i].name, r->name))
			return afters[i].after;
	return r->dev ? "none" : pre_state[r->pre];
}

/* The eventfds a row may find bound: pN and eN. */
struct known_fds {
	int pre[4];
	int nw[8];
	int nnew;
};

static int token_fd(const struct known_fds *k, const char *tok)
{
	unsigned int n;

	if (!strcmp(tok, "-"))
		return -1;
	ck_assert_msg(sscanf(tok + 1, "%u", &n) == 1, "bad token %s", tok);
	if (tok[0] == 'p' && n < 4 && k->pre[n] >= 0)
		return k->pre[n];
	if (tok[0] == 'e' && (int)n < k->nnew)
		return k->nw[n];
	ck_abort_msg("token %s names no eventfd of the row", tok);
	return -1;
}

/* Exactly `want` fired (-1: none) among every eventfd the row knows. */
static void only_fired(const struct known_fds *k, int want, const char *what)
{
	int i, fd;

	for (i = 0; i < 4 + k->nnew; i++) {
		fd = i < 4 ? k->pre[i] : k->nw[i - 4];
		if (fd >= 0)
			ck_assert_msg(!!efd_take(fd) == (fd == want),
				      "%s: eventfd %d %s", what, fd,
				      fd == want ? "did not fire" :
						   "fired instead");
	}
}

/* Vectors the device has at index (0 for an index it lacks). */
static unsigned int vectors(struct qat_dev *dev, unsigned int index)
{
	struct qat_irq_info info;

	return qat_irq_info(dev, index, &info) ? 0 : info.count;
}

/* Fire vector v and see which eventfd it reaches. */
static void probe(struct qat_dev *dev, const struct known_fds *k,
		  unsigned int index, unsigned int v, int want,
		  const char *what)
{
	if (v >= vectors(dev, index)) {
		ck_assert_int_lt(want, 0);
		return;
	}
	ck_assert_int_eq(qat_sim_raise_irq(dev, index, v), want >= 0);
	only_fired(k, want, what);
}

/* The device's interrupt state is `spec`; with `fire`, eventfds included
 * (firing changes the state: INTx masks itself). */
static void check_state(struct qat_dev *dev, const struct known_fds *k,
			const char *spec, const char *name, bool fire)
{
	static const char *const types[] = { "intx", "msi", "msix" };
	struct qat_sim_irq_state st;
	char buf[128], *tok, *save, what[160];
	int type = -1, want[8], err = -1, req = -1, v;
	unsigned int nvec = 0, n = 0, i;
	bool masked = false, unmask = false;

	snprintf(buf, sizeof(buf), "%s", spec);
	tok = strtok_r(buf, " ", &save);
	for (i = 0; i < 3; i++)
		if (!strncmp(tok, types[i], strlen(types[i])) &&
		    (tok[strlen(types[i])] == ':' || !tok[strlen(types[i])]))
			type = (int)i;
	if (type == QAT_IRQ_INTX)
		nvec = 1;
	else if (type > 0)
		ck_assert_int_eq(sscanf(strchr(tok, ':') + 1, "%u", &nvec), 1);
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (!strcmp(tok, "masked"))
			masked = true;
		else if (!strcmp(tok, "unmask"))
			unmask = true;
		else if (!strncmp(tok, "err=", 4))
			err = token_fd(k, tok + 4);
		else if (!strncmp(tok, "req=", 4))
			req = token_fd(k, tok + 4);
		else if (n < nvec && n < 8)
			want[n++] = token_fd(k, tok);
		else
			ck_abort_msg("%s: bad state %s", name, spec);
	}
	ck_assert_uint_eq(n, nvec);

	snprintf(what, sizeof(what), "%s: after", name);
	ck_assert_int_eq(qat_sim_irq_state(dev, &st), 0);
	ck_assert_msg(st.type == type && st.nctx == nvec,
		      "%s: index %d with %u vectors enabled, want %d with %u",
		      name, st.type, st.nctx, type, nvec);
	for (i = 0; i < nvec; i++)
		ck_assert_msg(!!(st.bound & 1ull << i) == (want[i] >= 0),
			      "%s: vector %u %s", name, i,
			      want[i] >= 0 ? "unbound" : "still bound");
	ck_assert_msg(st.masked == masked, "%s: INTx %smasked", name,
		      st.masked ? "" : "not ");
	ck_assert_msg(!st.pending, "%s: INTx pending", name);
	ck_assert_msg(st.unmask == unmask, "%s: unmask eventfd %s", name,
		      st.unmask ? "set" : "not set");
	ck_assert_msg(st.err == (err >= 0) && st.req == (req >= 0),
		      "%s: ERR %d REQ %d bound", name, st.err, st.req);

	if (!fire)
		return;
	/* Which eventfd each vector reaches, through the "hardware". */
	if (masked)
		ck_assert_int_eq(qat_sim_irq_set(dev, UNMASK | NONE,
						 QAT_IRQ_INTX, 0, 1, NULL), 0);
	for (i = 0; i < nvec; i++)
		probe(dev, k, (unsigned int)type, i, want[i], what);
	probe(dev, k, QAT_IRQ_ERR, 0, err, what);
	probe(dev, k, QAT_IRQ_REQ, 0, req, what);
	/* Indexes that are not enabled reach nothing. */
	for (v = 0; v < 3; v++)
		if (v != type && vectors(dev, (unsigned int)v))
			ck_assert_int_eq(qat_sim_raise_irq(dev, (unsigned int)v,
							   0), 0);
	only_fired(k, -1, what);
}

/* Bring the device into the row's starting state; pre[] gets the
 * eventfds bound. */
static void row_pre(enum pre pre, int pre_fds[4])
{
	int i, n = pre == PRE_MSIX4 ? 4 : pre == PRE_NONE ? 0 : 1;
	unsigned int index = pre == PRE_INTX ? QAT_IRQ_INTX :
			     pre == PRE_ERR ? QAT_IRQ_ERR : MSIX;

	for (i = 0; i < n; i++)
		pre_fds[i] = efd();
	if (n)
		ck_assert_int_eq(qat_irq_bind(dev0, index, 0, n, pre_fds), 0);
}

/* Build the row's data; fds it opens go to opened[], its new eventfds
 * also to k->nw[]. */
static void *row_data(const char *tok, int32_t *fds, uint8_t *bools,
		      uint32_t data_type, int *opened, int *nopened,
		      struct known_fds *k)
{
	int p[2];
	size_t i;

	if (!tok)
		return NULL;
	for (i = 0; tok[i]; i++) {
		switch (tok[i]) {
		case 'e':
			fds[i] = opened[(*nopened)++] = efd();
			k->nw[k->nnew++] = fds[i];
			break;
		case '-': fds[i] = -1; break;
		case 'm': fds[i] = -2; break;
		case 'b': fds[i] = BAD_FD; break;
		case 'p':
			ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
			fds[i] = opened[(*nopened)++] = p[0];
			opened[(*nopened)++] = p[1];
			break;
		default: bools[i] = tok[i] == '1'; break;
		}
	}
	return data_type == BOOL ? (void *)bools : (void *)fds;
}

START_TEST(rule)
{
	const struct row *r = &rows[_i];
	struct qat_dev *dev = r->dev ? dev1 : dev0;
	struct known_fds k = { .pre = { -1, -1, -1, -1 } };
	int opened[16], nopened = 0, i;
	int32_t fds[8];
	uint8_t bools[8];
	unsigned int fired = 0;
	void *data;
	int ret;

	row_pre(r->pre, k.pre);
	if (!r->dev) /* the starting state is what the row assumes */
		check_state(dev0, &k, pre_state[r->pre], "before", false);
	data = row_data(r->data, fds, bools, r->data_type, opened, &nopened,
			&k);
	ret = qat_irq_set(dev, r->index, r->action, r->data_type, r->start,
			  r->count, data);
	ck_assert_msg(ret == r->expect, "%s: got %d (%s), want %d (%s)",
		      r->name, ret, qat_strerror(ret), r->expect,
		      qat_strerror(r->expect));
	for (i = 0; i < 4; i++)
		if (k.pre[i] >= 0 && efd_take(k.pre[i]))
			fired |= 1u << i;
	ck_assert_msg(fired == r->fired, "%s: eventfds fired %#x, want %#x",
		      r->name, fired, r->fired);
	only_fired(&k, -1, r->name); /* and none of the new ones */
	check_state(dev, &k, row_after(r), r->name, true);
	for (i = 0; i < nopened; i++)
		close(opened[i]);
	for (i = 0; i < 4; i++)
		if (k.pre[i] >= 0)
			close(k.pre[i]);
}
END_TEST

/* Every listed state belongs to a row that succeeds, but for the one
 * refusal the kernel leaves half done: a failed MSI-X block releases the
 * vectors before the one that failed. */
START_TEST(afters_name_rows)
{
	size_t i, j;

	for (i = 0; i < QAT_ARRAY_SIZE(afters); i++) {
		for (j = 0; j < QAT_ARRAY_SIZE(rows); j++)
			if (!strcmp(afters[i].name, rows[j].name))
				break;
		ck_assert_msg(j < QAT_ARRAY_SIZE(rows), "no row %s",
			      afters[i].name);
		ck_assert_msg(rows[j].expect == 0 ||
			      !strcmp(afters[i].name,
				      "MSI-X bind past the enabled"),
			      "%s is refused", afters[i].name);
	}
}
END_TEST

/* The model itself answers as the kernel where the library is stricter. */
START_TEST(model_matches_kernel_quirks)
{
	int32_t fd = efd();

	/* No action bit matches no handler: the kernel's -ENOTTY. */
	ck_assert_int_eq(qat_sim_irq_set(dev0, NONE, MSIX, 0, 1, NULL),
			 -ENOTTY);
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | MASK | NONE, MSIX, 0, 1,
					 NULL), -ENOTTY);
	/* A first enable of zero vectors: pci_alloc_irq_vectors' -ERANGE. */
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | EFD, MSIX, 0, 0, NULL),
			 -ERANGE);
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | EFD, MSIX, 0, 1, &fd),
			 0);
	/* Zero vectors on an enabled index change nothing. */
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | EFD, MSIX, 0, 0, NULL),
			 0);
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | BOOL, MSIX, 0, 0, NULL),
			 0);
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | EFD, MSIX, 0, 1, NULL),
			 -EFAULT);
	ck_assert_int_eq(qat_sim_irq_set(dev0, TRIG | NONE, 6, 0, 0, NULL),
			 -EINVAL);
	close(fd);
}
END_TEST

/* --- sequences over the model ------------------------------------------ */

START_TEST(info_and_raise_args)
{
	struct qat_irq_info info;

	ck_assert_int_eq(qat_irq_info(dev0, QAT_IRQ_INTX, &info), 0);
	ck_assert_uint_eq(info.count, 1);
	ck_assert_uint_eq(info.flags, QAT_IRQ_INFO_EVENTFD |
			  QAT_IRQ_INFO_MASKABLE | QAT_IRQ_INFO_AUTOMASKED);
	ck_assert_int_eq(qat_irq_info(dev0, MSIX, &info), 0);
	ck_assert_uint_eq(info.count, 8);
	ck_assert_uint_eq(info.flags, QAT_IRQ_INFO_EVENTFD |
			  QAT_IRQ_INFO_NORESIZE);
	ck_assert_int_eq(qat_irq_info(dev0, QAT_IRQ_MSI, &info), 0);
	ck_assert_uint_eq(info.count, 4);
	ck_assert_int_eq(qat_irq_info(dev0, QAT_IRQ_ERR, &info), 0);
	ck_assert_uint_eq(info.count, 1);
	ck_assert_int_eq(qat_irq_info(dev0, QAT_IRQ_REQ, &info), 0);
	ck_assert_uint_eq(info.count, 1);
	ck_assert_int_eq(qat_irq_info(dev1, QAT_IRQ_INTX, &info), 0);
	ck_assert_uint_eq(info.count, 0);
	ck_assert_int_eq(qat_irq_info(dev1, QAT_IRQ_ERR, &info), -EINVAL);
	ck_assert_int_eq(qat_irq_info(dev0, 5, &info), -EINVAL);
	ck_assert_int_eq(qat_irq_info(NULL, 0, &info), -EINVAL);
	ck_assert_int_eq(qat_irq_info(dev0, 0, NULL), -EINVAL);

	ck_assert_int_eq(qat_sim_raise_irq(NULL, 0, 0), -EINVAL);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, 5, 0), -EINVAL);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 8), -EINVAL);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 1), -EINVAL);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 0), 0); /* disabled */
	ck_assert_int_eq(qat_irq_set(NULL, 0, TRIG, NONE, 0, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 1, NULL), -EINVAL);
}
END_TEST

START_TEST(msix_enable_loopback_disable)
{
	int fds[4], keep[4], i, v;

	for (i = 0; i < 4; i++)
		fds[i] = efd();
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 4, fds), 0);
	/* The library holds its own reference: our fd numbers may go. */
	for (i = 0; i < 4; i++) {
		keep[i] = dup(fds[i]);
		close(fds[i]);
	}
	for (v = 0; v < 4; v++) {
		ck_assert_int_eq(qat_irq_set(dev0, MSIX, TRIG, NONE, v, 1,
					     NULL), 0);
		for (i = 0; i < 4; i++)
			ck_assert_uint_eq(efd_take(keep[i]), i == v);
		ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, v), 1);
		ck_assert_uint_eq(efd_take(keep[v]), 1);
	}
	/* Enabled with 4: vectors 4..7 exist but were not allocated. */
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 5), 0);
	ck_assert_int_eq(qat_irq_unbind(dev0, MSIX), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 0), 0);
	ck_assert_uint_eq(efd_take(keep[0]), 0);
	ck_assert_int_eq(qat_irq_set(dev0, MSIX, TRIG, NONE, 0, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_unbind(dev0, MSIX), -EINVAL);
	for (i = 0; i < 4; i++)
		close(keep[i]);
}
END_TEST

START_TEST(intx_automask_and_pending)
{
	int fd = efd();

	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
	ck_assert_uint_eq(efd_take(fd), 1);
	/* Masked by the interrupt itself: the next one waits. */
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_uint_eq(efd_take(fd), 0);
	/* Unmask delivers the pending one and stays masked for it. */
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1,
				     NULL), 0);
	ck_assert_uint_eq(efd_take(fd), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, BOOL, 0, 1,
				     (uint8_t[]){ 1 }), 0);
	ck_assert_uint_eq(efd_take(fd), 1);
	/* Nothing pending: this unmask really unmasks. */
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1,
				     NULL), 0);
	ck_assert_uint_eq(efd_take(fd), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
	ck_assert_uint_eq(efd_take(fd), 1);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1,
				     NULL), 0);
	/* An explicit MASK holds interrupts back the same way; loopback
	 * signals regardless, as the kernel's does. */
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, MASK, BOOL, 0, 1,
				     (uint8_t[]){ 1 }), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, TRIG, NONE, 0, 1,
				     NULL), 0);
	ck_assert_uint_eq(efd_take(fd), 1);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, NONE, 0, 1,
				     NULL), 0);
	ck_assert_uint_eq(efd_take(fd), 1);
	/* Disabling forgets mask and pending state. */
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_int_eq(qat_irq_unbind(dev0, QAT_IRQ_INTX), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, &fd), 0);
	ck_assert_uint_eq(efd_take(fd), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
	close(fd);
}
END_TEST

START_TEST(intx_unmask_eventfd)
{
	int fd = efd(), u = efd(), u2 = efd();

	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1,
				     &u), 0);
	/* One unmask eventfd at a time, as vfio_virqfd_enable(). */
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1,
				     &u2), -EBUSY);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
	ck_assert_uint_eq(efd_take(fd), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	/* Signalling the unmask eventfd unmasks: the pending one comes. */
	ck_assert_int_eq(eventfd_write(u, 1), 0);
	ck_assert_uint_eq(efd_wait(fd), 1);
	ck_assert_int_eq(eventfd_write(u, 1), 0);
	/* Nothing pending: that write unmasks for real. A raise now is
	 * delivered at once, or, if the worker has not run yet, kept pending
	 * and delivered by it: once either way, and INTx ends masked. */
	ck_assert_int_ge(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_uint_eq(efd_wait(fd), 1);
	/* Released: writes no longer unmask; another fd may be set. */
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1,
				     (int32_t[]){ -1 }), 0);
	ck_assert_int_eq(eventfd_write(u, 1), 0);
	usleep(50000);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_uint_eq(efd_take(fd), 0);
	ck_assert_int_eq(qat_irq_set(dev0, QAT_IRQ_INTX, UNMASK, EFD, 0, 1,
				     &u2), 0);
	ck_assert_int_eq(eventfd_write(u2, 1), 0);
	ck_assert_uint_eq(efd_wait(fd), 1);
	close(fd);
	close(u);
	close(u2);
}
END_TEST

/*
 * A block that fails part-way: vfio_msi_set_block() releases the vectors
 * from start to the failing one; vectors outside that range keep their
 * eventfds and go on working. A failing first enable enables nothing.
 */
START_TEST(block_failure_unwinds)
{
	int old[4], nw[2], i;

	for (i = 0; i < 4; i++)
		old[i] = efd();
	nw[0] = efd();
	nw[1] = BAD_FD;
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 4, old), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 1, 2, nw), -EBADF);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 0), 1);
	ck_assert_uint_eq(efd_take(old[0]), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 3), 1);
	ck_assert_uint_eq(efd_take(old[3]), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 1), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 2), 0);
	ck_assert_uint_eq(efd_take(nw[0]) + efd_take(old[1]) +
			  efd_take(old[2]), 0);
	/* The index is still enabled: rebinding works. */
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 1, 2, &old[1]), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 2), 1);
	ck_assert_uint_eq(efd_take(old[2]), 1);
	ck_assert_int_eq(qat_irq_unbind(dev0, MSIX), 0);

	/* First enable failing in the middle: nothing stays enabled. */
	nw[1] = old[0];
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 3,
				      (int[]){ old[0], BAD_FD, old[1] }),
			 -EBADF);
	ck_assert_int_eq(qat_irq_set(dev0, MSIX, TRIG, NONE, 0, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, old), 0);
	for (i = 0; i < 4; i++)
		close(old[i]);
	close(nw[0]);
}
END_TEST

START_TEST(switching_type)
{
	int fd = efd();

	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, &fd), -EINVAL);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_MSI, 0, 1, &fd), -EINVAL);
	/* ERR and REQ are not interrupt types: they bind alongside. */
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_REQ, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_irq_unbind(dev0, QAT_IRQ_INTX), -EINVAL);
	ck_assert_int_eq(qat_irq_unbind(dev0, MSIX), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_INTX, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 1, &fd), -EINVAL);
	ck_assert_int_eq(qat_irq_unbind(dev0, QAT_IRQ_INTX), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, QAT_IRQ_MSI, 0, 4,
				      (int[]){ fd, fd, fd, fd }), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_MSI, 3), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_REQ, 0), 1);
	ck_assert_uint_eq(efd_take(fd), 2);
	close(fd);
}
END_TEST

START_TEST(short_of_vectors)
{
	int fds[5], i;

	for (i = 0; i < 5; i++)
		fds[i] = efd();
	/* The platform has 3: the answer says so and nothing is enabled. */
	ck_assert_int_eq(qat_irq_bind(dev1, MSIX, 0, 5, fds), 3);
	ck_assert_int_eq(qat_irq_set(dev1, MSIX, TRIG, NONE, 0, 1, NULL),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_bind(dev1, MSIX, 0, 3, fds), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev1, MSIX, 2), 1);
	ck_assert_uint_eq(efd_take(fds[2]), 1);
	ck_assert_int_eq(qat_irq_unbind(dev1, MSIX), 0);
	for (i = 0; i < 5; i++)
		close(fds[i]);
}
END_TEST

/*
 * Issue 9.7: vectors 0 and 1 of an index with 65 enabled; a loopback over
 * 0..3 is within the index's count, so vfio-pci signals 0 and 1, skips 2
 * and 3 (no context) and returns 0. The model said -EINVAL.
 */
START_TEST(loopback_past_enabled_vectors)
{
	struct qat_rt *rt65;
	struct qat_dev *d;
	struct qat_irq_info info;
	uint8_t bools[4] = { 1, 1, 1, 1 };
	int fds[2] = { efd(), efd() };
	char *dir;

	ck_assert_int_gt(asprintf(&dir, "%s/msix65", qt_dir), 0);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	qt_sim_conf(dir, "4xxx", 0, "SimMsix = 65\n", NULL);
	rt65 = qt_rt_open(dir);
	d = qt_dev_at(rt65, 0);
	ck_assert_int_eq(qat_irq_info(d, MSIX, &info), 0);
	ck_assert_uint_eq(info.count, 65);
	ck_assert_int_eq(qat_irq_bind(d, MSIX, 0, 2, fds), 0);
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, NONE, 0, 4, NULL), 0);
	ck_assert_uint_eq(efd_take(fds[0]), 1);
	ck_assert_uint_eq(efd_take(fds[1]), 1);
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, BOOL, 1, 4, bools), 0);
	ck_assert_uint_eq(efd_take(fds[0]), 0);
	ck_assert_uint_eq(efd_take(fds[1]), 1);
	/* The last vector of the index is still in range; one past is not. */
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, NONE, 64, 1, NULL), 0);
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, NONE, 64, 2, NULL),
			 -EINVAL);
	/* Count 0 with data on the enabled index: nothing, and 0. */
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, EFD, 0, 0, NULL), 0);
	ck_assert_int_eq(qat_irq_set(d, MSIX, TRIG, BOOL, 0, 0, NULL), 0);
	ck_assert_uint_eq(efd_take(fds[0]), 0);
	ck_assert_int_eq(qat_irq_unbind(d, MSIX), 0);
	qat_rt_close(rt65);
	close(fds[0]);
	close(fds[1]);
	free(dir);
}
END_TEST

/* --- the dispatcher ---------------------------------------------------- */

struct rec {
	pthread_mutex_t lock;
	unsigned int calls;
	unsigned int index, vector;
	void *arg;
	pthread_t thread;
	bool pinned_ok;
	int ncpus;               /* CPUs the callback's thread may run on */
	char name[16];
	/* set by the test, read on the dispatcher thread: atomics */
	int reraise;             /* raise the same vector again from the cb */
	int self_remove;
	unsigned int slow_ms;
	int in_cb, done;
};

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* Within the node's CPUs when the device has a node. */
static bool affinity_in_node(int node)
{
	struct bitmask *cpus;
	cpu_set_t set;
	bool ok = true;
	int cpu;

	if (node < 0 || numa_available() < 0)
		return true;
	cpus = numa_allocate_cpumask();
	numa_node_to_cpus(node, cpus);
	sched_getaffinity(0, sizeof(set), &set);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && !numa_bitmask_isbitset(cpus, cpu))
			ok = false;
	numa_free_cpumask(cpus);
	return ok;
}

static int cpus_allowed(void)
{
	cpu_set_t set;

	sched_getaffinity(0, sizeof(set), &set);
	return CPU_COUNT(&set);
}

static void rec_cb(struct qat_dev *dev, unsigned int index,
		   unsigned int vector, void *arg)
{
	struct rec *r = arg;
	struct qat_dev_info info;

	__atomic_store_n(&r->in_cb, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->slow_ms, __ATOMIC_SEQ_CST))
		usleep(r->slow_ms * 1000);
	qat_dev_info(dev, &info);
	pthread_mutex_lock(&r->lock);
	r->calls++;
	r->index = index;
	r->vector = vector;
	r->arg = arg;
	r->thread = pthread_self();
	r->pinned_ok = affinity_in_node(info.numa_node);
	r->ncpus = cpus_allowed();
	pthread_getname_np(pthread_self(), r->name, sizeof(r->name));
	pthread_mutex_unlock(&r->lock);
	if (__atomic_exchange_n(&r->reraise, 0, __ATOMIC_SEQ_CST))
		qat_sim_raise_irq(dev, index, vector);
	if (__atomic_load_n(&r->self_remove, __ATOMIC_SEQ_CST))
		qat_irq_handler_remove(dev, index, vector, rec_cb, arg);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
}

static unsigned int rec_calls(struct rec *r)
{
	unsigned int n;

	pthread_mutex_lock(&r->lock);
	n = r->calls;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Wait up to 2 s for at least `n` calls. */
static unsigned int rec_wait(struct rec *r, unsigned int n)
{
	int i;

	for (i = 0; i < 2000 && rec_calls(r) < n; i++)
		usleep(1000);
	return rec_calls(r);
}

START_TEST(dispatch_right_vector)
{
	struct rec *a = rec_new(), *b = rec_new();
	int fd = efd();

	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 3, rec_cb, a), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 7, rec_cb, b), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 7), 1);
	ck_assert_uint_eq(rec_wait(b, 1), 1);
	ck_assert_uint_eq(rec_calls(a), 0);
	ck_assert_uint_eq(b->index, MSIX);
	ck_assert_uint_eq(b->vector, 7);
	ck_assert_ptr_eq(b->arg, b);
	ck_assert_int_eq(pthread_equal(b->thread, pthread_self()), 0);
	ck_assert_str_eq(b->name, "qat-irq0");
	ck_assert_msg(b->pinned_ok, "callback ran outside node 0's CPUs");
	/* Every vector was enabled at once: no handler, no eventfd. */
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 5), 0);
	/* Loopback through the API reaches the callback too. */
	ck_assert_int_eq(qat_irq_set(dev0, MSIX, TRIG, NONE, 3, 1, NULL), 0);
	ck_assert_uint_eq(rec_wait(a, 1), 1);
	ck_assert_uint_eq(a->vector, 3);
	/* The dispatcher owns MSI-X now. */
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 1, &fd), -EBUSY);
	ck_assert_int_eq(qat_irq_unbind(dev0, MSIX), -EBUSY);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 3, rec_cb, a),
			 -EEXIST);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 3, rec_cb, a), 0);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 3, rec_cb, a),
			 -ENOENT);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 7, rec_cb, b), 0);
	/* The last handler disabled the index: it is the app's again. */
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 7), 0);
	ck_assert_int_eq(qat_irq_bind(dev0, MSIX, 0, 1, &fd), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 0, rec_cb, a),
			 -EBUSY);
	close(fd);
	free(a);
	free(b);
}
END_TEST

/* A forked child shares the device's bindings but has no dispatcher
 * thread: it is told so instead of getting handlers that never run, and
 * closing its runtime neither hangs nor disturbs the parent. */
START_TEST(dispatch_forked_child)
{
	struct rec *a = rec_new();
	pid_t pid;

	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 2, rec_cb, a), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int add = qat_irq_handler_add(dev0, MSIX, 4, rec_cb, a);
		int rm = qat_irq_handler_remove(dev0, MSIX, 2, rec_cb, a);

		qat_rt_close(rt);
		_exit(add == -EBADF && rm == -EBADF ? 0 : 1);
	}
	ck_assert_int_eq(qt_reap(pid), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 2), 1);
	ck_assert_uint_eq(rec_wait(a, 1), 1);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 2, rec_cb, a), 0);
	free(a);
}
END_TEST

START_TEST(dispatch_intx_unmasks)
{
	struct rec *r = rec_new();

	ck_assert_int_eq(qat_irq_handler_add(dev0, QAT_IRQ_INTX, 0, rec_cb, r),
			 0);
	/* The callback raises again while INTx is masked: that one is
	 * delivered only because the dispatcher unmasks after the round. */
	__atomic_store_n(&r->reraise, 1, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
	ck_assert_uint_eq(rec_wait(r, 2), 2);
	/* One more interrupt: delivered at once, or kept pending until the
	 * dispatcher's unmask lands; either way exactly one more call. */
	ck_assert_int_ge(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	ck_assert_uint_eq(rec_wait(r, 3), 3);
	usleep(50000);
	ck_assert_uint_eq(rec_calls(r), 3);
	ck_assert_uint_eq(r->index, QAT_IRQ_INTX);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, QAT_IRQ_INTX, 0, rec_cb,
						r), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 0);
	free(r);
}
END_TEST

START_TEST(dispatch_self_removal)
{
	struct rec *r = rec_new(), *other = rec_new();

	r->self_remove = 1;
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 1, rec_cb, r), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 1, rec_cb, other), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 1), 1);
	ck_assert_uint_eq(rec_wait(r, 1), 1);
	ck_assert_uint_eq(rec_wait(other, 1), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 1), 1);
	ck_assert_uint_eq(rec_wait(other, 2), 2);
	ck_assert_uint_eq(rec_calls(r), 1);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 1, rec_cb, r),
			 -ENOENT);
	/* The last one leaving from its own callback releases the index. */
	__atomic_store_n(&other->self_remove, 1, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 1), 1);
	ck_assert_uint_eq(rec_wait(other, 3), 3);
	for (int i = 0; i < 200 && qat_sim_raise_irq(dev0, MSIX, 1); i++)
		usleep(10000);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 1), 0);
	ck_assert_uint_eq(rec_calls(other), 3);
	free(r);
	free(other);
}
END_TEST

/* A callback that removes another handler of the same vector: that one
 * is not called again, even later in the same round. */
static struct rec *victim;

static void remover_cb(struct qat_dev *dev, unsigned int index,
		       unsigned int vector, void *arg)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->lock);
	r->calls++;
	pthread_mutex_unlock(&r->lock);
	qat_irq_handler_remove(dev, index, vector, rec_cb, victim);
}

START_TEST(dispatch_remove_other)
{
	struct rec *r = rec_new();

	victim = rec_new();
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 2, remover_cb, r), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 2, rec_cb, victim),
			 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 2), 1);
	ck_assert_uint_eq(rec_wait(r, 1), 1);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 2), 1);
	ck_assert_uint_eq(rec_wait(r, 2), 2);
	ck_assert_uint_eq(rec_calls(victim), 0);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 2, remover_cb, r),
			 0);
	free(r);
	free(victim);
}
END_TEST

/* Removal from another thread returns only once the callback is done. */
START_TEST(dispatch_remove_waits)
{
	struct rec *r = rec_new();
	int i;

	r->slow_ms = 200;
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 0, rec_cb, r), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 0), 1);
	for (i = 0; i < 2000 && !__atomic_load_n(&r->in_cb, __ATOMIC_SEQ_CST);
	     i++)
		usleep(1000);
	ck_assert_int_eq(__atomic_load_n(&r->in_cb, __ATOMIC_SEQ_CST), 1);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 0, rec_cb, r), 0);
	ck_assert_int_eq(__atomic_load_n(&r->done, __ATOMIC_SEQ_CST), 1);
	free(r); /* must be safe now */
}
END_TEST

/* The thread takes the node's CPUs, not those of the thread that
 * happened to add the first handler. */
START_TEST(dispatch_pinning_ignores_caller)
{
	struct rec *r = rec_new();
	struct bitmask *node = numa_allocate_cpumask();
	cpu_set_t one;
	int cpu, want = 0;

	ck_assert_int_ge(numa_available(), 0);
	numa_node_to_cpus(0, node);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (numa_bitmask_isbitset(node, cpu) &&
		    numa_bitmask_isbitset(numa_all_cpus_ptr, cpu))
			want++;
	numa_free_cpumask(node);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 0, rec_cb, r), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, MSIX, 0), 1);
	ck_assert_uint_eq(rec_wait(r, 1), 1);
	ck_assert_int_eq(r->ncpus, want);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, MSIX, 0, rec_cb, r), 0);
	free(r);
}
END_TEST

static unsigned int seen[64];
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static void seen_cb(struct qat_dev *dev, unsigned int index,
		    unsigned int vector, void *arg)
{
	pthread_mutex_lock(&seen_lock);
	if ((uintptr_t)arg == vector && vector < 64)
		seen[vector]++;
	pthread_mutex_unlock(&seen_lock);
}

static unsigned int seen_total(void)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&seen_lock);
	for (i = 0; i < 64; i++)
		n += seen[i];
	pthread_mutex_unlock(&seen_lock);
	return n;
}

START_TEST(dispatch_many_vectors)
{
	struct qat_dev *dev;
	struct qat_rt *rt2;
	char *d2 = qt_tmpdir();
	unsigned int v;
	int i;

	qt_sim_conf(d2, "4xxx", 5, "SimMsix = 64\n", NULL);
	rt2 = qt_rt_open(d2);
	ck_assert_int_eq(qat_dev_get(rt2, 0, &dev), 0);
	for (v = 0; v < 64; v++)
		ck_assert_int_eq(qat_irq_handler_add(dev, MSIX, v, seen_cb,
						     (void *)(uintptr_t)v), 0);
	for (v = 0; v < 64; v++)
		ck_assert_int_eq(qat_sim_raise_irq(dev, MSIX, v), 1);
	for (i = 0; i < 2000 && seen_total() < 64; i++)
		usleep(1000);
	for (v = 0; v < 64; v++)
		ck_assert_msg(seen[v] == 1, "vector %u: %u calls", v, seen[v]);
	for (v = 0; v < 64; v += 2)
		ck_assert_int_eq(qat_irq_handler_remove(dev, MSIX, v, seen_cb,
							(void *)(uintptr_t)v),
				 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, MSIX, 0), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev, MSIX, 63), 1);
	/* Closing with handlers still there tears everything down. */
	qat_rt_close(rt2);
	qt_tmpdir_free(d2);
}
END_TEST

START_TEST(dispatch_err_and_limits)
{
	struct rec *r = rec_new();

	ck_assert_int_eq(qat_irq_handler_add(dev0, QAT_IRQ_ERR, 0, rec_cb, r),
			 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_ERR, 0), 1);
	ck_assert_uint_eq(rec_wait(r, 1), 1);
	ck_assert_uint_eq(r->index, QAT_IRQ_ERR);
	ck_assert_int_eq(qat_irq_handler_add(dev1, QAT_IRQ_ERR, 0, rec_cb, r),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_handler_add(dev1, QAT_IRQ_INTX, 0, rec_cb, r),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 8, rec_cb, r),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_handler_add(dev0, MSIX, 0, NULL, r), -EINVAL);
	ck_assert_int_eq(qat_irq_handler_add(NULL, MSIX, 0, rec_cb, r),
			 -EINVAL);
	ck_assert_int_eq(qat_irq_handler_remove(dev1, MSIX, 0, rec_cb, r),
			 -ENOENT);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, 9, 0, rec_cb, r),
			 -EINVAL);
	/* Short of vectors: the dispatcher takes what the platform has. */
	ck_assert_int_eq(qat_irq_handler_add(dev1, MSIX, 2, rec_cb, r), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev1, MSIX, 4, rec_cb, r),
			 -ENOSPC);
	ck_assert_int_eq(qat_sim_raise_irq(dev1, MSIX, 2), 1);
	ck_assert_uint_eq(rec_wait(r, 2), 2);
	ck_assert_uint_eq(r->vector, 2);
	/* Removal waits for a running callback: r may be freed after. */
	ck_assert_int_eq(qat_irq_handler_remove(dev1, MSIX, 2, rec_cb, r), 0);
	ck_assert_int_eq(qat_irq_handler_remove(dev0, QAT_IRQ_ERR, 0, rec_cb,
						r), 0);
	free(r);
}
END_TEST

static void leak_check_noop(struct qat_dev *dev, unsigned int index,
			    unsigned int vector, void *arg)
{
}

/* Handlers left at close are torn down by qat_rt_close() (ASan checks). */
START_TEST(close_with_handlers)
{
	ck_assert_int_eq(qat_irq_handler_add(dev0, QAT_IRQ_INTX, 0,
					     leak_check_noop, NULL), 0);
	ck_assert_int_eq(qat_irq_handler_add(dev0, QAT_IRQ_REQ, 0,
					     leak_check_noop, NULL), 0);
	ck_assert_int_eq(qat_sim_raise_irq(dev0, QAT_IRQ_INTX, 0), 1);
}
END_TEST

Suite *irq_suite(void);

Suite *irq_suite(void)
{
	Suite *s = suite_create("irq");
	TCase *tc = tcase_create("rules");
	TCase *seq = tcase_create("sequences");
	TCase *disp = tcase_create("dispatcher");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, rule, 0, (int)QAT_ARRAY_SIZE(rows));
	tcase_add_test(tc, afters_name_rows);
	tcase_add_test(tc, model_matches_kernel_quirks);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(seq, setup, teardown);
	tcase_add_test(seq, info_and_raise_args);
	tcase_add_test(seq, msix_enable_loopback_disable);
	tcase_add_test(seq, intx_automask_and_pending);
	tcase_add_test(seq, intx_unmask_eventfd);
	tcase_add_test(seq, block_failure_unwinds);
	tcase_add_test(seq, switching_type);
	tcase_add_test(seq, short_of_vectors);
	tcase_add_test(seq, loopback_past_enabled_vectors);
	suite_add_tcase(s, seq);

	tcase_add_checked_fixture(disp, setup, teardown);
	tcase_add_test(disp, dispatch_right_vector);
	tcase_add_test(disp, dispatch_forked_child);
	tcase_add_test(disp, dispatch_intx_unmasks);
	tcase_add_test(disp, dispatch_self_removal);
	tcase_add_test(disp, dispatch_remove_other);
	tcase_add_test(disp, dispatch_remove_waits);
	tcase_add_test(disp, dispatch_many_vectors);
	tcase_add_test(disp, dispatch_pinning_ignores_caller);
	tcase_add_test(disp, dispatch_err_and_limits);
	tcase_add_test(disp, close_with_handlers);
	suite_add_tcase(s, disp);
	return s;
}
