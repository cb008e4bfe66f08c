/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA of the simulated device through ATS/PRI (PCIe 10.4): a page the
 * device cannot translate (not present in this process: mincore() tells)
 * becomes a page request; requests go out in groups of up to
 * SIM_GROUP_PAGES, the last one flagged, each group under a page request
 * group index (9 bits: 512 per function) that stays the device's until
 * the group's response came; then the device completes or aborts the
 * transfer with the responses' verdict. Responses nobody waits for
 * (late, second, unknown index) are dropped, as the PCIe function does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "iopf_sim.h"
#include "sim_priv.h"

#define SIM_PRG_COUNT 512        /* PRG index: 9 bits */
#define SIM_GROUP_PAGES 16
#define SIM_MAX_INFLIGHT 64      /* groups one transfer keeps in flight */
#define SIM_WAIT_MS 10000        /* a response that never comes */
#define SIM_CHUNK 256            /* pages per mincore() call */
#define SIM_PASID_MAX 0xfffffu

struct sim_prg {
	unsigned int idx;
	uint32_t pasid;
	bool used;
	bool done;
	uint32_t code;
};

/* The page request interface of one device, while connected or used. */
struct sim_pri {
	struct qat_dev *dev;
	qat_sim_pri_report_fn fn;
	void *ctx;
	bool connected;
	unsigned int calls;      /* fn calls under way */
	unsigned int users;      /* transfers under way */
	struct sim_prg *prg[SIM_PRG_COUNT];
	unsigned int next_idx;
	uint64_t dropped;
	struct sim_pri *next;
};

/* One lock for every device's interface: responses are rare next to the
 * page faults they answer. */
static pthread_mutex_t pri_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pri_cond = PTHREAD_COND_INITIALIZER;
static struct sim_pri *pri_list;

static struct sim_pri **pri_slot(const struct qat_dev *dev)
{
	struct sim_pri **p = &pri_list;

	while (*p && (*p)->dev != dev)
		p = &(*p)->next;
	return p;
}

static void pri_release(struct sim_pri *pri)
{
	struct sim_pri **p;

	if (pri->connected || pri->calls || pri->users)
		return;
	p = pri_slot(pri->dev);
	*p = pri->next;
	free(pri);
}

int qat_sim_pri_connect(struct qat_dev *dev, qat_sim_pri_report_fn fn,
			void *ctx)
{
	struct sim_pri *pri;
	int ret = 0;

	if (!qat_sim_priv(dev))
		return -ENOTSUP;
	pthread_mutex_lock(&pri_lock);
	pri = *pri_slot(dev);
	if (pri && pri->connected) {
		ret = -EBUSY;
	} else if (!pri && !(pri = calloc(1, sizeof(*pri)))) {
		ret = -ENOMEM;
	} else if (!pri->dev) {
		pri->dev = dev;
		pri->next = pri_list;
		pri_list = pri;
	}
	if (!ret) {
		pri->fn = fn;
		pri->ctx = ctx;
		pri->connected = true;
	}
	pthread_mutex_unlock(&pri_lock);
	return ret;
}

void qat_sim_pri_disconnect(struct qat_dev *dev)
{
	struct sim_pri *pri;

	pthread_mutex_lock(&pri_lock);
	pri = *pri_slot(dev);
	if (pri) {
		pri->connected = false;
		while (pri->calls)
			pthread_cond_wait(&pri_cond, &pri_lock);
		pri_release(pri);
	}
	pthread_mutex_unlock(&pri_lock);
}

void qat_sim_pri_respond(struct qat_dev *dev, const struct qat_iopf_response *r)
{
	struct sim_prg *g;
	struct sim_pri *pri;

	pthread_mutex_lock(&pri_lock);
	pri = *pri_slot(dev);
	g = pri && r->grpid < SIM_PRG_COUNT ? pri->prg[r->grpid] : NULL;
	if (g && !g->done && g->pasid == r->pasid) {
		g->done = true;
		g->code = r->code;
		pthread_cond_broadcast(&pri_cond);
	} else if (pri) {
		pri->dropped++;
	}
	pthread_mutex_unlock(&pri_lock);
}

/* --- one transfer -------------------------------------------------------- */

struct sim_xfer {
	struct sim_pri *pri;
	uint32_t pasid;
	bool write;
	struct sim_prg slot[SIM_MAX_INFLIGHT];
	unsigned int inflight;
	uint32_t verdict;        /* first code other than SUCCESS */
	int err;                 /* a report or timeout error */
	struct timespec deadline;
};

int qat_sim_dma_test_wait_ms;

static void deadline_set(struct timespec *ts)
{
	int ms = qat_sim_dma_test_wait_ms > 0 ? qat_sim_dma_test_wait_ms :
						SIM_WAIT_MS;

	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Give back slot s, answered or not; the lock is held. */
static void slot_put(struct sim_xfer *x, struct sim_prg *s)
{
	if (s->done && s->code != QAT_IOPF_SUCCESS && !x->verdict)
		x->verdict = s->code;
	x->pri->prg[s->idx] = NULL;
	s->used = false;
	x->inflight--;
	pthread_cond_broadcast(&pri_cond);
}

/* Reclaim every answered slot; with `all`, wait for the rest too. */
static void slots_reap(struct sim_xfer *x, bool all)
{
	unsigned int i;

	for (i = 0; i < SIM_MAX_INFLIGHT; i++) {
		struct sim_prg *s = &x->slot[i];

		while (all && s->used && !s->done && !x->err)
			if (pthread_cond_timedwait(&pri_cond, &pri_lock,
						   &x->deadline) == ETIMEDOUT)
				x->err = -ETIMEDOUT;
		if (s->used && (s->done || x->err))
			slot_put(x, s);
	}
}

/* A free PRG index and one of our slots for it; the lock is held.
 * Waits (bounded) while every index or slot is taken. */
static struct sim_prg *slot_get(struct sim_xfer *x)
{
	struct sim_pri *pri = x->pri;
	unsigned int i, idx;

	for (;;) {
		slots_reap(x, false);
		if (x->err)
			return NULL;
		for (i = 0; i < SIM_PRG_COUNT && x->inflight < SIM_MAX_INFLIGHT;
		     i++) {
			idx = (pri->next_idx + i) % SIM_PRG_COUNT;
			if (!pri->prg[idx])
				break;
		}
		if (i < SIM_PRG_COUNT && x->inflight < SIM_MAX_INFLIGHT)
			break;
		if (pthread_cond_timedwait(&pri_cond, &pri_lock,
					   &x->deadline) == ETIMEDOUT)
			x->err = -ETIMEDOUT;
	}
	pri->next_idx = (idx + 1) % SIM_PRG_COUNT;
	for (i = 0; x->slot[i].used; i++)
		;
	x->slot[i] = (struct sim_prg){ .idx = idx, .pasid = x->pasid,
				       .used = true };
	pri->prg[idx] = &x->slot[i];
	x->inflight++;
	return &x->slot[i];
}

/* Raise the page requests of one group; the lock is held on entry and
 * exit, not during the calls (the queue may answer from inside them). */
static void group_send(struct sim_xfer *x, const uint64_t *pages,
		       unsigned int n)
{
	struct qat_iopf_fault f = {
		.flags = QAT_IOPF_PASID_VALID | QAT_IOPF_NEEDS_PASID,
		.pasid = x->pasid,
		.perm = x->write ? QAT_IOPF_PERM_WRITE : QAT_IOPF_PERM_READ,
	};
	struct sim_pri *pri = x->pri;
	struct sim_prg *s = slot_get(x);
	qat_sim_pri_report_fn fn = pri->fn;
	void *ctx = pri->ctx;
	unsigned int i;
	int ret = 0;

	if (!s)
		return;
	if (!pri->connected) {
		x->err = -ENOTCONN;
		slot_put(x, s);
		return;
	}
	f.grpid = s->idx;
	pri->calls++;
	pthread_mutex_unlock(&pri_lock);
	for (i = 0; i < n && ret >= 0; i++) {
		f.addr = pages[i];
		if (i == n - 1)
			f.flags |= QAT_IOPF_LAST_PAGE;
		ret = fn(ctx, pri->dev, &f);
	}
	pthread_mutex_lock(&pri_lock);
	pri->calls--;
	deadline_set(&x->deadline); /* 10 s from the last request */
	pthread_cond_broadcast(&pri_cond);
	if (ret < 0) {
		/* The queue dropped us: no response will come. */
		x->err = ret;
		slot_put(x, s);
	}
}

/* Pages of [start, start + npages) that are not present go out as page
 * requests; the lock is held. */
static void range_fault(struct sim_xfer *x, uint64_t start, size_t npages,
			size_t psz, unsigned int *nfaults)
{
	unsigned char vec[SIM_CHUNK];
	uint64_t pages[SIM_GROUP_PAGES];
	unsigned int n = 0;
	size_t i, j, k;

	for (i = 0; i < npages && !x->err && !x->verdict; i += SIM_CHUNK) {
		k = npages - i < SIM_CHUNK ? npages - i : SIM_CHUNK;
		/* ENOMEM: something in the chunk is unmapped; ask per page. */
		if (mincore((void *)(uintptr_t)(start + i * psz), k * psz, vec))
			for (j = 0; j < k; j++)
				if (mincore((void *)(uintptr_t)(start + (i + j) *
								 psz), psz,
					    &vec[j]))
					vec[j] = 0;
		for (j = 0; j < k && !x->err; j++) {
			if (vec[j] & 1)
				continue;
			pages[n++] = start + (i + j) * psz;
			(*nfaults)++;
			if (n == SIM_GROUP_PAGES) {
				group_send(x, pages, n);
				n = 0;
			}
		}
	}
	if (n && !x->err && !x->verdict)
		group_send(x, pages, n);
}

/* The transfer itself, through the kernel so that a page that went away
 * or lost its permission is an error, not a crash of the simulator. */
static int xfer_copy(uint64_t addr, size_t len, uint32_t pasid, bool write)
{
	unsigned char buf[4096];
	struct iovec lv = { .iov_base = buf }, rv;
	size_t off, k, i;
	ssize_t n;

	for (off = 0; off < len; off += k) {
		k = len - off < sizeof(buf) ? len - off : sizeof(buf);
		rv.iov_base = (void *)(uintptr_t)(addr + off);
		rv.iov_len = lv.iov_len = k;
		if (write)
			for (i = 0; i < k; i++)
				buf[i] = QAT_SIM_DMA_BYTE(addr + off + i, pasid);
		n = write ? process_vm_writev(getpid(), &lv, 1, &rv, 1, 0) :
			    process_vm_readv(getpid(), &lv, 1, &rv, 1, 0);
		if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
			/* No cross-memory calls here (seccomp): copy. */
			if (write)
				memcpy(rv.iov_base, buf, k);
			else
				memcpy(buf, rv.iov_base, k);
			n = (ssize_t)k;
		}
		if (n != (ssize_t)k)
			return -EFAULT;
	}
	return 0;
}

static int xfer_begin(struct qat_dev *dev, struct sim_xfer *x)
{
	struct sim_pri *pri;

	pthread_mutex_lock(&pri_lock);
	pri = *pri_slot(dev);
	if (!pri || !pri->connected) {
		pthread_mutex_unlock(&pri_lock);
		return -ENOTCONN;
	}
	pri->users++;
	x->pri = pri;
	deadline_set(&x->deadline);
	return 0;
}

QAT_API int qat_sim_dma(struct qat_dev *dev, uint32_t pasid, uint64_t addr,
			size_t len, int write)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	struct sim_xfer x = { .pasid = pasid, .write = write != 0 };
	unsigned int nfaults = 0;
	uint64_t first;
	int ret;

	if (!dev || pasid > SIM_PASID_MAX || addr + len < addr)
		return -EINVAL;
	if (!qat_sim_priv(dev))
		return -ENOTSUP;
	if (!len)
		return 0;
	ret = xfer_begin(dev, &x);
	if (ret)
		return ret;
	first = addr & ~(uint64_t)(psz - 1);
	range_fault(&x, first, (addr + len - first + psz - 1) / psz, psz,
		    &nfaults);
	slots_reap(&x, true);
	x.pri->users--;
	pri_release(x.pri);
	pthread_mutex_unlock(&pri_lock);
	if (x.err)
		return x.err;
	if (x.verdict)
		return x.verdict == QAT_IOPF_FAILURE ? -EIO : -EFAULT;
	ret = xfer_copy(addr, len, pasid, x.write);
	return ret ? ret : (int)(nfaults > INT32_MAX ? INT32_MAX : nfaults);
}
