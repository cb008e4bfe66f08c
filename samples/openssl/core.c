/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared core of the OpenSSL engine and provider. See qatrt_core.h.
 *
 * Every SHA-256 operation asks route() where to go: to the claimed
 * section of the device while the device is up, to software while its
 * last state event says it is restarting, in error, stopped or shut down.
 * The state comes from a subscription made before the claim, read at each
 * operation (a read of shared memory, no waiting), so an operation that
 * started before a RESTARTING carries on in software and one after a
 * RESTARTED is back on the device. A digest never depends on the route:
 * both paths advance the same running state.
 *
 * On a simulated device the device's arithmetic is software too (there
 * is no engine behind the simulated BARs); the claim, the state checks and
 * the routing are the real ones. A claimed device of another backend is
 * used in software only, and says so, since this sample has no ring
 * protocol for real hardware.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qat/qatrt.h>

#include "qatrt_core.h"

static struct {
	pthread_mutex_t lock;
	char who[32];
	char base[QAT_CFG_MAX_SECTION_LEN];
	long wait_ms;
	int verbose;
	int inited;             /* qcore_init()s not yet finished */
	int forked;             /* a child that has not claimed its own yet */
	struct qat_rt *rt;
	struct qat_proc *proc;
	struct qat_state_sub *sub;
	unsigned int accel_id;
	int simulated;
	int down;               /* software until the device is back */
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line: several processes share one stderr. */
	fprintf(stderr, "%s[%d]: %s\n", g.who, (int)getpid(), line);
}

static void lib_log(enum qat_log_level level, const char *msg, void *arg)
{
	say("libqatrt: %s", msg);
}

static const char *event_name(int ev)
{
	static const char *const names[QAT_EVENT_COUNT] = {
		"INIT", "START", "STOP", "SHUTDOWN", "RESTARTING",
		"RESTARTED", "ERROR", "PROC_CRASH", "MANUAL_DUMP",
		"SLICE_HANG", "DBG_SHUTDOWN",
	};

	return ev >= 0 && ev < QAT_EVENT_COUNT ? names[ev] : "UNKNOWN";
}

/* 1 down, 0 up, -1 an event that says neither. */
static int event_down(int ev)
{
	switch (ev) {
	case QAT_EVENT_RESTARTING:
	case QAT_EVENT_ERROR:
	case QAT_EVENT_STOP:
	case QAT_EVENT_SHUTDOWN:
		return 1;
	case QAT_EVENT_START:
	case QAT_EVENT_RESTARTED:
		return 0;
	default:
		return -1;
	}
}

/* A new device state: switch routes and log it. Under the lock. */
static void state_set(int ev)
{
	int down = event_down(ev);

	if (down < 0 || down == g.down)
		return;
	g.down = down;
	if (down)
		say("device %u %s: SHA-256 falls back to software",
		    g.accel_id, event_name(ev));
	else
		say("device %u %s: SHA-256 back on the device (%s)",
		    g.accel_id, event_name(ev), qat_proc_name(g.proc));
}

/* Take every queued state event. Under the lock. */
static void events_drain(void)
{
	struct qat_state_event ev;
	int ret;

	while (g.sub) {
		ret = qat_state_read(g.sub, &ev);
		if (ret == -EAGAIN)
			return;
		if (ret == -EOVERFLOW) {
			/* Missed some: the current state says where we are. */
			state_set(qat_dev_state(qat_proc_dev(g.proc)));
			continue;
		}
		if (ret) {
			say("state events: %s; staying on software",
			    qat_strerror(ret));
			g.down = 1;
			return;
		}
		if (ev.dev_id == g.accel_id)
			state_set(ev.event);
	}
}

static int acquire(void)
{
	struct qat_proc_opts o = { .sz = sizeof(o), .flags = QAT_PROC_WAIT };
	int ret = qat_proc_acquire(g.rt, g.base, NULL, &g.proc);

	if (ret != -EAGAIN || g.wait_ms == QCORE_NO_WAIT)
		return ret;
	o.timeout_ms = g.wait_ms < 0 ? -1 : (int)g.wait_ms;
	say("every %s section is taken: waiting for one, in turn", g.base);
	return qat_proc_acquire(g.rt, g.base, &o, &g.proc);
}

/* Subscribe, then claim, so that no event after the claim is missed.
 * Under the lock. */
static int claim(void)
{
	struct qat_dev_info info;
	int ret;

	ret = qat_state_subscribe(g.rt, QAT_EVENT_MASK_DEFAULT |
				  QAT_EVENT_MASK_LIFECYCLE, NULL, &g.sub);
	if (ret) {
		say("cannot subscribe to state events: %s", qat_strerror(ret));
		return ret;
	}
	ret = acquire();
	if (ret == -EAGAIN)
		say("no free %s section: all are held by other processes "
		    "(let the module wait for one: WAIT_MS / wait_ms)", g.base);
	else if (ret)
		say("cannot claim a %s section: %s", g.base, qat_strerror(ret));
	if (ret) {
		qat_state_unsubscribe(g.sub);
		g.sub = NULL;
		return ret;
	}
	qat_dev_info(qat_proc_dev(g.proc), &info);
	g.accel_id = info.accel_id;
	g.simulated = !strcmp(info.backend, "sim");
	if (!g.simulated)
		say("device %u is a %s device: this sample computes on "
		    "simulated devices only; SHA-256 stays in software",
		    info.accel_id, info.backend);
	g.down = event_down(qat_dev_state(qat_proc_dev(g.proc))) == 1;
	if (g.verbose)
		say("claimed %s on device %u%s", qat_proc_name(g.proc),
		    g.accel_id, g.down ? " (down: software for now)" : "");
	return 0;
}

static void release(void)
{
	qat_proc_release(g.proc);
	qat_state_unsubscribe(g.sub);
	g.proc = NULL;
	g.sub = NULL;
}

/* Fork: the child holds none of its parent's claims (the library drops
 * them); it claims its own section on first use, as QAT_Engine does. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&g.lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&g.lock);
}

static void fork_child(void)
{
	g.forked = g.inited > 0;
	pthread_mutex_unlock(&g.lock);
}

static void atfork_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* In a child: drop the inert copies, claim our own. Under the lock. */
static void child_claim(void)
{
	g.forked = 0;
	release();
	if (claim())
		say("forked child %d: no section; SHA-256 in software",
		    (int)getpid());
	else
		say("forked child: claimed its own section %s",
		    qat_proc_name(g.proc));
}

int qcore_init(const char *who, const char *section, long wait_ms)
{
	const char *env = getenv("QAT_SECTION_NAME");
	int ret = 0;

	pthread_mutex_lock(&g.lock);
	/* A provider loaded into several library contexts shares the one
	 * claim; the last qcore_finish() ends it. */
	if (g.inited) {
		g.inited++;
		goto out;
	}
	snprintf(g.who, sizeof(g.who), "%s", who);
	g.verbose = getenv("QATRT_OSSL_VERBOSE") != NULL;
	qat_set_log_fn(lib_log, NULL, g.verbose ? QAT_LOG_INFO : QAT_LOG_WARN);
	section = section && *section ? section : env && *env ? env :
		  QCORE_DEFAULT_SECTION;
	if (strlen(section) >= sizeof(g.base)) {
		say("section name too long: %.40s...", section);
		ret = -EINVAL;
		goto out;
	}
	strcpy(g.base, section);
	g.wait_ms = wait_ms;
	ret = qat_rt_open(NULL, &g.rt);
	if (ret) {
		say("cannot open the runtime (QATRT_CONFIG=%s): %s",
		    getenv("QATRT_CONFIG") ? getenv("QATRT_CONFIG") :
		    QAT_RT_DEFAULT_CONFIG, qat_strerror(ret));
		goto out;
	}
	ret = claim();
	if (ret) {
		qat_rt_close(g.rt);
		g.rt = NULL;
		goto out;
	}
	pthread_once(&atfork_once, atfork_init);
	g.inited = 1;
out:
	pthread_mutex_unlock(&g.lock);
	return ret;
}

void qcore_finish(void)
{
	pthread_mutex_lock(&g.lock);
	if (g.inited && !--g.inited) {
		release();
		qat_rt_close(g.rt);
		g.rt = NULL;
		g.forked = 0;
	}
	pthread_mutex_unlock(&g.lock);
}

const char *qcore_section(void)
{
	const char *name;

	pthread_mutex_lock(&g.lock);
	name = qat_proc_name(g.proc);
	pthread_mutex_unlock(&g.lock);
	return name;
}

/* 1: the device takes this operation; 0: software. */
static int route(void)
{
	int dev;

	pthread_mutex_lock(&g.lock);
	if (g.forked)
		child_claim();
	events_drain();
	dev = g.proc && g.simulated && !g.down;
	pthread_mutex_unlock(&g.lock);
	return dev;
}

static void count(struct qcore_sha *c, int dev)
{
	if (dev)
		c->dev_ops++;
	else
		c->sw_ops++;
	if (g.verbose && dev != c->last_route)
		say("sha256: updates %s", dev ? "on the device" :
		    "in software");
	c->last_route = dev;
}

/*
 * The device path: the claimed section takes the block. The simulated
 * device computes in software, on the digest's running state, so that a
 * digest may move between the paths at any block.
 */
static int dev_update(struct qcore_sha *c, const void *data, size_t len)
{
	return SHA256_Update(&c->sw, data, len);
}

void qcore_sha_init(struct qcore_sha *c)
{
	memset(c, 0, sizeof(*c));
	c->last_route = -1;
	SHA256_Init(&c->sw);
}

int qcore_sha_update(struct qcore_sha *c, const void *data, size_t len)
{
	int dev = route();

	count(c, dev);
	c->bytes += len;
	return dev ? dev_update(c, data, len) : SHA256_Update(&c->sw, data, len);
}

int qcore_sha_final(struct qcore_sha *c, unsigned char md[SHA256_DIGEST_LENGTH])
{
	int dev = route();

	count(c, dev);
	if (g.verbose)
		say("sha256: %llu bytes, %llu operations on the device, %llu "
		    "in software", (unsigned long long)c->bytes,
		    (unsigned long long)c->dev_ops,
		    (unsigned long long)c->sw_ops);
	return SHA256_Final(md, &c->sw);
}
