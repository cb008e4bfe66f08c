/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA buffers: page-aligned memory on the device's NUMA node, locked and
 * mapped for the device in one call, at an IOVA the library picks.
 *
 * IOVAs come from one first-fit allocator per IOVA space (the backend's
 * dma_space: every device of a VFIO container shares one), from
 * QAT_DMA_IOVA_BASE up, so buffers never overlap each other nor, when the
 * application keeps its own qat_dma_map() IOVAs below that base, its
 * mappings. Buffers still alive at qat_rt_close() are freed there, before
 * the devices go.
 *
 * The memory is MADV_DONTFORK: a child that wrote to a pinned page would
 * otherwise make the parent's copy-on-write break the page the device
 * writes to. A child therefore has none of its parent's buffers; freeing
 * an inherited handle there releases only the handle.
 */
#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dma_priv.h"
#include "internal.h"

struct qat_dma_mem {
	struct qat_dev *dev;
	void *addr;
	size_t len;                /* whole pages */
	uint64_t iova;
	pid_t pid;                 /* whose memory and mapping it is */
	bool mapped;
	struct dma_space *space;
	struct qat_dma_mem *next;  /* on space->bufs, by IOVA */
};

struct dma_space {
	const void *key;
	struct qat_dma_mem *bufs;
	struct dma_space *next;
};

/* Runtimes whose close frees their leftover buffers. */
struct dma_rt {
	struct qat_rt *rt;
	struct dma_rt *next;
};

static pthread_mutex_t dma_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dma_space *dma_spaces;
static struct dma_rt *dma_rts;

/* VmLck of this process: what RLIMIT_MEMLOCK is measured against,
 * including pages VFIO pinned. */
static uint64_t locked_bytes(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

int qat_dma_memlock_error(const struct qat_dev *dev, size_t len, int err)
{
	uint64_t locked = locked_bytes(), need;
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    locked + len <= rl.rlim_cur)
		return err; /* not the limit: pass the kernel's word on */
	need = locked + len;
	qat_err("%s: cannot lock %zu bytes for DMA: RLIMIT_MEMLOCK is %" PRIu64
		" bytes and %" PRIu64 " are locked already; it must be at least "
		"%" PRIu64 " bytes (ulimit -l %" PRIu64 "), or the process "
		"needs CAP_IPC_LOCK", dev->info.pci_addr, len,
		(uint64_t)rl.rlim_cur, locked, need, (need + 1023) / 1024);
	return -ENOMEM;
}

/* A node the process may allocate from, with memory in it. */
static int node_usable(const struct qat_dev *dev, int node)
{
	struct bitmask *allowed;
	int ok;

	if (numa_available() < 0 || node > numa_max_node() ||
	    numa_node_size64(node, NULL) <= 0) {
		qat_err("%s: NUMA node %d has no memory; no DMA buffer on it",
			dev->info.pci_addr, node);
		return 0;
	}
	allowed = numa_get_mems_allowed();
	ok = allowed && numa_bitmask_isbitset(allowed, (unsigned int)node);
	numa_bitmask_free(allowed);
	if (!ok)
		qat_err("%s: NUMA node %d is not in this process's allowed "
			"memory nodes (cpuset); no DMA buffer on it",
			dev->info.pci_addr, node);
	return ok;
}

/* Fresh pages bound to `node` (-1: anywhere). Bound before first touch,
 * so that locking or pinning faults them in on that node. */
static int pages_get(const struct qat_dev *dev, size_t len, int node,
		     void **out)
{
	unsigned long mask[(1024 + 8 * sizeof(long) - 1) / (8 * sizeof(long))];
	size_t off;
	void *p;
	int ret;

	if (node >= 1024 || (node >= 0 && !node_usable(dev, node)))
		return -ENOMEM;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (node >= 0) {
		memset(mask, 0, sizeof(mask));
		mask[node / (8 * sizeof(long))] = 1ul << (node % (8 * sizeof(long)));
		if (mbind(p, len, MPOL_BIND, mask, 8 * sizeof(mask), 0))
			goto err;
	}
	if (madvise(p, len, MADV_DONTFORK))
		goto err;
	/* Fault every page in writable now, on the bound node: a read-only
	 * pin of an untouched page would pin the shared zero page, and the
	 * CPU's first write would then move the buffer away from the
	 * device. */
	for (off = 0; off < len; off += (size_t)sysconf(_SC_PAGESIZE))
		((volatile char *)p)[off] = 0;
	*out = p;
	return 0;
err:
	ret = -errno;
	munmap(p, len);
	return ret;
}

static struct dma_space *space_get(const void *key)
{
	struct dma_space *s;

	for (s = dma_spaces; s; s = s->next)
		if (s->key == key)
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->key = key;
	s->next = dma_spaces;
	dma_spaces = s;
	return s;
}

static void space_put(struct dma_space *s)
{
	struct dma_space **pp;

	if (s->bufs)
		return;
	for (pp = &dma_spaces; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	free(s);
}

/* First fit from the base; the list stays sorted by IOVA. */
static int iova_reserve(struct dma_space *s, struct qat_dma_mem *m)
{
	struct qat_dma_mem **pp;
	uint64_t at = QAT_DMA_IOVA_BASE;

	for (pp = &s->bufs; *pp; pp = &(*pp)->next) {
		if (at + m->len <= (*pp)->iova)
			break;
		at = (*pp)->iova + (*pp)->len;
	}
	if (at + m->len < at)
		return -ENOSPC;
	m->iova = at;
	m->space = s;
	m->next = *pp;
	*pp = m;
	return 0;
}

static void iova_release(struct qat_dma_mem *m)
{
	struct qat_dma_mem **pp;

	for (pp = &m->space->bufs; *pp != m; pp = &(*pp)->next)
		;
	*pp = m->next;
	space_put(m->space);
}

static void dma_rt_close(struct qat_rt *rt, void *arg);

/* Leftover buffers of a runtime go at its close (once registered). */
static int rt_register(struct qat_rt *rt)
{
	struct dma_rt *r;
	int ret;

	for (r = dma_rts; r; r = r->next)
		if (r->rt == rt)
			return 0;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = qat_rt_on_close(rt, dma_rt_close, NULL);
	if (ret) {
		free(r);
		return ret;
	}
	r->rt = rt;
	r->next = dma_rts;
	dma_rts = r;
	return 0;
}

/* Pick the IOVA and account the buffer, under dma_lock. */
static int dma_track(struct qat_dma_mem *m)
{
	struct dma_space *s;
	const void *key = m->dev;
	int ret = 0;

	if (m->dev->ops->dma_space) {
		key = m->dev->ops->dma_space(m->dev, &ret);
		if (!key)
			return ret;
	}
	pthread_mutex_lock(&dma_lock);
	ret = rt_register(m->dev->rt);
	s = ret ? NULL : space_get(key);
	if (!ret && !s)
		ret = -ENOMEM;
	if (!ret) {
		ret = iova_reserve(s, m);
		if (ret)
			space_put(s);
	}
	pthread_mutex_unlock(&dma_lock);
	return ret;
}

static int dma_lock_pages(struct qat_dma_mem *m)
{
	if (m->dev->ops->dma_pins)
		return 0;
	if (mlock(m->addr, m->len))
		return qat_dma_memlock_error(m->dev, m->len,
					     errno == EPERM ? -ENOMEM : -errno);
	return 0;
}

QAT_API int qat_dma_alloc(struct qat_dev *dev, size_t len, uint32_t flags,
			  struct qat_dma_mem **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct qat_dma_mem *m;
	int ret;

	if (!dev || !out || !len || len > SIZE_MAX - page ||
	    !flags || flags & ~(QAT_DMA_READ | QAT_DMA_WRITE))
		return -EINVAL;
	if (!dev->ops->dma_map)
		return -ENOTSUP;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dev = dev;
	m->len = (len + page - 1) / page * page;
	m->pid = getpid();
	ret = pages_get(dev, m->len, dev->info.numa_node, &m->addr);
	if (ret)
		goto err_free;
	ret = dma_lock_pages(m);
	if (ret)
		goto err_pages;
	ret = dma_track(m);
	if (ret)
		goto err_pages;
	ret = dev->ops->dma_map(dev, m->addr, m->iova, m->len, flags);
	if (ret == -ENOMEM)
		ret = qat_dma_memlock_error(dev, m->len, ret);
	if (ret) {
		qat_dbg("%s: DMA map of %zu bytes at IOVA 0x%" PRIx64 ": %s",
			dev->info.pci_addr, m->len, m->iova,
			qat_strerror(ret));
		goto err_track;
	}
	m->mapped = true;
	*out = m;
	return 0;
err_track:
	pthread_mutex_lock(&dma_lock);
	iova_release(m);
	pthread_mutex_unlock(&dma_lock);
err_pages:
	munmap(m->addr, m->len); /* also undoes mlock */
err_free:
	free(m);
	return ret;
}

QAT_API void qat_dma_free(struct qat_dma_mem *mem)
{
	int ret;

	if (!mem)
		return;
	/* In a forked child the memory was never there and the mapping is
	 * the parent's: only the handle goes. */
	if (mem->pid == getpid()) {
		ret = mem->mapped ? mem->dev->ops->dma_unmap(mem->dev, mem->iova,
							     mem->len)
				  : 0;
		if (ret)
			qat_warn("%s: DMA unmap of IOVA 0x%" PRIx64 ": %s",
				 mem->dev->info.pci_addr, mem->iova,
				 qat_strerror(ret));
		munmap(mem->addr, mem->len);
	}
	pthread_mutex_lock(&dma_lock);
	iova_release(mem);
	pthread_mutex_unlock(&dma_lock);
	free(mem);
}

QAT_API void *qat_dma_addr(const struct qat_dma_mem *mem)
{
	return mem && mem->pid == getpid() ? mem->addr : NULL;
}

QAT_API uint64_t qat_dma_iova(const struct qat_dma_mem *mem)
{
	return mem ? mem->iova : 0;
}

QAT_API size_t qat_dma_len(const struct qat_dma_mem *mem)
{
	return mem ? mem->len : 0;
}

static struct qat_dma_mem *first_of(struct qat_rt *rt)
{
	struct dma_space *s;
	struct qat_dma_mem *m;

	for (s = dma_spaces; s; s = s->next)
		for (m = s->bufs; m; m = m->next)
			if (m->dev->rt == rt)
				return m;
	return NULL;
}

static void dma_rt_close(struct qat_rt *rt, void *arg)
{
	struct dma_rt **pp, *r;
	struct qat_dma_mem *m;

	for (;;) {
		pthread_mutex_lock(&dma_lock);
		m = first_of(rt);
		pthread_mutex_unlock(&dma_lock);
		if (!m)
			break;
		qat_dma_free(m);
	}
	pthread_mutex_lock(&dma_lock);
	for (pp = &dma_rts; (r = *pp); pp = &r->next) {
		if (r->rt == rt) {
			*pp = r->next;
			free(r);
			break;
		}
	}
	pthread_mutex_unlock(&dma_lock);
}
