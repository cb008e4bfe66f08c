/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The page fault queue: group assembly, bounds, responses and the worker
 * pool. The model is Linux drivers/iommu/io-pgfault.c (v13 and its later
 * rework); where it falls short the rule kept here is named:
 *   - partials are found by a hash on (device, PASID, group id), not by a
 *     scan of one list per device on every last fault, and the kernel's
 *     match on the group id alone (which mixes PASIDs) is not kept;
 *   - faults of a group run in the order they came (moving each partial
 *     to the head of the group's list reverses them);
 *   - partial and held faults are bounded per device;
 *   - a fault that finds no memory answers its group at once instead of
 *     vanishing (the kernel drops a partial it cannot allocate);
 *   - flush waits for the device's own groups, not for the whole queue.
 */
#include <errno.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "iopf_priv.h"
#include "iopf_sim.h"

#define IOPF_MAX_WORKERS 64
#define IOPF_MAX_PARTIAL 1024
#define IOPF_MAX_OUTSTANDING 8192
#define IOPF_MIN_BUCKETS 64
#define IOPF_PASID_MAX 0xfffffu

/* The queue whose worker this thread is, for -EDEADLK. */
static __thread const struct qat_iopf_queue *iopf_current;

bool qat_iopf_on_worker(const struct qat_iopf_queue *q)
{
	return iopf_current == q;
}

void *qat_iopf_alloc(struct qat_iopf_queue *q, size_t size)
{
	int n = atomic_load(&q->fail_alloc);

	while (n > 0)
		if (atomic_compare_exchange_weak(&q->fail_alloc, &n, n - 1))
			return NULL;
	return malloc(size);
}

void qat_iopf_inject_nomem(struct qat_iopf_queue *q, int n)
{
	atomic_store(&q->fail_alloc, n);
}

/* --- the partial hash ---------------------------------------------------- */

static size_t key_hash(const struct iopf_dev *d, uint32_t pasid,
		       uint32_t grpid)
{
	uint64_t h = (uint64_t)(uintptr_t)d ^
		     (((uint64_t)pasid << 32 | grpid) * 0x9e3779b97f4a7c15ull);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (size_t)h;
}

static struct iopf_group **hash_slot(struct qat_iopf_queue *q,
				     const struct iopf_dev *d, uint32_t pasid,
				     uint32_t grpid)
{
	struct iopf_group **p = &q->buckets[key_hash(d, pasid, grpid) &
					    (q->nbuckets - 1)];

	while (*p && ((*p)->dev != d || (*p)->pasid != pasid ||
		      (*p)->grpid != grpid))
		p = &(*p)->hnext;
	return p;
}

/* Double the table when it is full; without memory keep the old one
 * (chains grow, nothing is lost). */
static void hash_grow(struct qat_iopf_queue *q)
{
	size_t n = q->nbuckets * 2, i;
	struct iopf_group **b, *g, *next;

	if (q->nhashed < q->nbuckets || !(b = calloc(n, sizeof(*b))))
		return;
	for (i = 0; i < q->nbuckets; i++)
		for (g = q->buckets[i]; g; g = next) {
			next = g->hnext;
			g->hnext = b[key_hash(g->dev, g->pasid, g->grpid) &
				     (n - 1)];
			b[key_hash(g->dev, g->pasid, g->grpid) & (n - 1)] = g;
		}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
}

static void hash_insert(struct qat_iopf_queue *q, struct iopf_group *g)
{
	struct iopf_group **b;

	hash_grow(q);
	b = &q->buckets[key_hash(g->dev, g->pasid, g->grpid) &
			(q->nbuckets - 1)];
	g->hnext = *b;
	*b = g;
	q->nhashed++;
}

static void hash_remove(struct qat_iopf_queue *q, struct iopf_group *g)
{
	struct iopf_group **p = hash_slot(q, g->dev, g->pasid, g->grpid);

	*p = g->hnext;
	g->hnext = NULL;
	q->nhashed--;
}

/* --- groups -------------------------------------------------------------- */

/*
 * Faults and groups are allocated by the reporting thread and freed by a
 * worker: recycling them through the queue (under its lock) keeps them
 * hot in cache and spares malloc its cross-thread frees.
 */
#define IOPF_FREE_MAX 4096

static void *cache_get(struct qat_iopf_queue *q, void **list,
		       unsigned int *n, size_t size)
{
	void *p = *list;

	if (atomic_load_explicit(&q->fail_alloc, memory_order_relaxed) > 0 ||
	    !p)
		return qat_iopf_alloc(q, size);
	*list = *(void **)p;
	(*n)--;
	return p;
}

static void cache_put(void **list, unsigned int *n, void *p)
{
	if (*n >= IOPF_FREE_MAX) {
		free(p);
		return;
	}
	*(void **)p = *list;
	*list = p;
	(*n)++;
}

static void cache_drain(void **list, unsigned int *n)
{
	void *p;

	while ((p = *list)) {
		*list = *(void **)p;
		free(p);
	}
	*n = 0;
}

static struct iopf_fault *fault_new(struct qat_iopf_queue *q)
{
	return cache_get(q, &q->free_faults, &q->nfree_faults,
			 sizeof(struct iopf_fault));
}

static struct iopf_group *group_new(struct qat_iopf_queue *q,
				    struct iopf_dev *d, uint32_t pasid,
				    uint32_t grpid)
{
	struct iopf_group *g = cache_get(q, &q->free_groups, &q->nfree_groups,
					 sizeof(*g));

	if (!g)
		return NULL;
	memset(g, 0, sizeof(*g));
	g->dev = d;
	g->pasid = pasid;
	g->grpid = grpid;
	g->refs = 1;
	g->tail = &g->head;
	iopf_list_init(&g->ready);
	iopf_list_init(&g->out);
	return g;
}

/* Free the partials of g; returns how many there were. */
static unsigned int group_drop_partials(struct qat_iopf_queue *q,
					struct iopf_group *g)
{
	struct iopf_fault *f, *next;
	unsigned int n = 0;

	for (f = g->head; f; f = next, n++) {
		next = f->next;
		cache_put(&q->free_faults, &q->nfree_faults, f);
	}
	g->head = NULL;
	g->tail = &g->head;
	g->nfaults = 0;
	return n;
}

static void group_put(struct qat_iopf_queue *q, struct iopf_group *g)
{
	if (--g->refs)
		return;
	group_drop_partials(q, g);
	cache_put(&q->free_groups, &q->nfree_groups, g);
}

/* --- responses ----------------------------------------------------------- */

static void make_response(struct qat_iopf_response *r,
			  const struct qat_iopf_fault *f, int code)
{
	memset(r, 0, sizeof(*r));
	if ((f->flags & QAT_IOPF_PASID_VALID) &&
	    (f->flags & QAT_IOPF_NEEDS_PASID))
		r->flags = QAT_IOPF_PASID_VALID;
	r->pasid = f->flags & QAT_IOPF_PASID_VALID ? f->pasid : 0;
	r->grpid = f->grpid;
	r->code = (uint32_t)code;
	r->addr = f->addr;
	r->cookie = f->cookie;
}

static void sink_send(struct iopf_dev *d, const struct qat_iopf_response *r)
{
	switch (d->sink.type) {
	case QAT_IOPF_SINK_CALLBACK:
		d->sink.fn(d->dev, r, d->sink.arg);
		break;
	case QAT_IOPF_SINK_FD:
		qat_iopf_fd_respond(d->sink.fd, r);
		break;
	case QAT_IOPF_SINK_SIM:
		qat_sim_pri_respond(d->dev, r);
		break;
	}
}

/* Send r without the lock (a sink may report faults itself); the device
 * stays alive meanwhile because removal waits for busy to drop. */
static void send_unlocked(struct qat_iopf_queue *q, struct iopf_dev *d,
			  const struct qat_iopf_response *r)
{
	d->st.responses[r->code]++;
	d->busy++;
	pthread_mutex_unlock(&q->lock);
	sink_send(d, r);
	pthread_mutex_lock(&q->lock);
	d->busy--;
	pthread_cond_broadcast(&q->done);
}

/* The one response of a queued or running group; any later one is late.
 * Called and returns with the lock held (dropped while sending). */
static void group_answer(struct qat_iopf_queue *q, struct iopf_group *g,
			 int code)
{
	struct iopf_dev *d = g->dev;
	struct qat_iopf_response r;

	if (g->answered) {
		d->st.late++;
		return;
	}
	g->answered = true;
	make_response(&r, &g->last, code);
	g->refs++;
	send_unlocked(q, d, &r);
	/* Answered only once the sink returned: flush waits for this. */
	iopf_list_del(&g->out);
	d->nheld -= g->nfaults;
	group_put(q, g);
}

/*
 * Wake a worker only when there is one idle and more ready groups than
 * workers already woken: a futex wake per group would cost more than the
 * grouping itself, and an awake worker drains the list before sleeping.
 */
static void ready_added(struct qat_iopf_queue *q)
{
	q->nready++;
	if (q->nidle > q->nwoken && q->nready > q->nwoken) {
		q->nwoken++;
		pthread_cond_signal(&q->work);
	}
}

static struct iopf_group *ready_take(struct qat_iopf_queue *q,
				     struct iopf_group *g)
{
	iopf_list_del(&g->ready);
	q->nready--;
	return g;
}

/*
 * Answer the group of fault f at once with `code` and free its partials.
 * While the group is not complete, keep a note of it (if we may) so that
 * its remaining faults are dropped instead of answered again.
 */
static int refuse(struct qat_iopf_queue *q, struct iopf_dev *d,
		  struct iopf_group *g, const struct qat_iopf_fault *f,
		  uint32_t pasid, int code)
{
	struct qat_iopf_response r;
	bool note = !(f->flags & QAT_IOPF_LAST_PAGE) &&
		    d->nrefused < q->max_partial;

	if (g) {
		unsigned int n = group_drop_partials(q, g);

		d->npartial -= n;
		d->nheld -= n;
		if (!note) {
			hash_remove(q, g);
			group_put(q, g);
			g = NULL;
		}
	} else if (note) {
		g = group_new(q, d, pasid, f->grpid);
		if (g)
			hash_insert(q, g);
	}
	if (g && note) {
		g->state = IOPF_REFUSED;
		d->nrefused++;
	}
	make_response(&r, f, code);
	send_unlocked(q, d, &r);
	return 1;
}

static int take_partial(struct qat_iopf_queue *q, struct iopf_dev *d,
			struct iopf_group *g, const struct qat_iopf_fault *f,
			uint32_t pasid)
{
	struct iopf_fault *n;

	if (d->npartial >= q->max_partial || d->nheld >= q->max_outstanding) {
		d->st.refused++;
		return refuse(q, d, g, f, pasid, QAT_IOPF_INVALID);
	}
	if (!g) {
		g = group_new(q, d, pasid, f->grpid);
		if (!g) {
			d->st.nomem++;
			return refuse(q, d, NULL, f, pasid, QAT_IOPF_FAILURE);
		}
		g->state = IOPF_PARTIAL;
		hash_insert(q, g);
	}
	n = fault_new(q);
	if (!n) {
		d->st.nomem++;
		return refuse(q, d, g, f, pasid, QAT_IOPF_FAILURE);
	}
	n->f = *f;
	n->next = NULL;
	*g->tail = n;
	g->tail = &n->next;
	g->nfaults++;
	d->npartial++;
	d->nheld++;
	return 0;
}

static int take_last(struct qat_iopf_queue *q, struct iopf_dev *d,
		     struct iopf_group *g, const struct qat_iopf_fault *f,
		     uint32_t pasid)
{
	if (d->nheld >= q->max_outstanding) {
		d->st.refused++;
		return refuse(q, d, g, f, pasid, QAT_IOPF_INVALID);
	}
	if (g) {
		hash_remove(q, g);
		d->npartial -= g->nfaults;
	} else if (!(g = group_new(q, d, pasid, f->grpid))) {
		d->st.nomem++;
		return refuse(q, d, NULL, f, pasid, QAT_IOPF_FAILURE);
	}
	g->last = *f;
	g->nfaults++;
	d->nheld++;
	g->state = IOPF_QUEUED;
	g->seq = d->seq++;
	iopf_list_add_tail(&d->out, &g->out);
	iopf_list_add_tail(&q->ready, &g->ready);
	d->st.groups++;
	ready_added(q);
	return 0;
}

static struct iopf_dev *dev_find(struct qat_iopf_queue *q,
				 const struct qat_dev *dev)
{
	struct iopf_link *l;

	for (l = q->devs.next; l != &q->devs; l = l->next)
		if (iopf_entry(l, struct iopf_dev, link)->dev == dev)
			return iopf_entry(l, struct iopf_dev, link);
	return NULL;
}

/* Check the arguments, take the lock and find dev: the entry with the
 * lock held, or NULL with *err set and the lock not held. `waits` says
 * the caller may wait for workers: -EDEADLK on one of them, -ECHILD in a
 * forked child, which has none (and maybe a lock held for ever). */
static struct iopf_dev *dev_get_locked(struct qat_iopf_queue *q,
				       const struct qat_dev *dev, bool waits,
				       int *err)
{
	struct iopf_dev *d;

	*err = !q || !dev ? -EINVAL :
	       waits && qat_iopf_on_worker(q) ? -EDEADLK :
	       waits && q->pid != getpid() ? -ECHILD : 0;
	if (*err)
		return NULL;
	pthread_mutex_lock(&q->lock);
	d = dev_find(q, dev);
	if (!d) {
		pthread_mutex_unlock(&q->lock);
		*err = -ENOENT;
	}
	return d;
}

static bool fault_valid(const struct qat_iopf_fault *f)
{
	return !(f->flags & ~QAT_IOPF_FLAGS_ALL) &&
	       !(f->perm & ~QAT_IOPF_PERM_ALL) &&
	       (!(f->flags & QAT_IOPF_PASID_VALID) || f->pasid <= IOPF_PASID_MAX);
}

QAT_API int qat_iopf_report(struct qat_iopf_queue *q, struct qat_dev *dev,
			    const struct qat_iopf_fault *f)
{
	struct iopf_group **slot, *g;
	struct iopf_dev *d;
	uint32_t pasid;
	int ret;

	if (!f || !fault_valid(f))
		return -EINVAL;
	pasid = f->flags & QAT_IOPF_PASID_VALID ? f->pasid : IOPF_NO_PASID;
	d = dev_get_locked(q, dev, false, &ret);
	if (!d)
		return ret;
	d->st.faults++;
	slot = hash_slot(q, d, pasid, f->grpid);
	g = *slot;
	if (g && g->state == IOPF_REFUSED) {
		/* The group was answered already: swallow the rest of it. */
		d->st.dropped++;
		if (f->flags & QAT_IOPF_LAST_PAGE) {
			hash_remove(q, g);
			d->nrefused--;
			group_put(q, g);
		}
		ret = 1;
	} else if (f->flags & QAT_IOPF_LAST_PAGE) {
		ret = take_last(q, d, g, f, pasid);
	} else {
		ret = take_partial(q, d, g, f, pasid);
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* --- workers ------------------------------------------------------------- */

static int handle(struct iopf_dev *d, const struct qat_iopf_fault *f,
		  struct iopf_vma *cache)
{
	int code;

	if (!d->handler.fn)
		return qat_iopf_resolve_cached(f, cache);
	code = d->handler.fn(d->dev, f, d->handler.arg);
	return code >= QAT_IOPF_SUCCESS && code <= QAT_IOPF_FAILURE ?
	       code : QAT_IOPF_INVALID;
}

/* Faults in order; the first error sticks and ends the group. A running
 * group's list is the worker's alone. */
static int run_group(struct iopf_dev *d, struct iopf_group *g,
		     struct iopf_vma *cache)
{
	struct iopf_fault *n;
	int code = QAT_IOPF_SUCCESS;

	for (n = g->head; n && code == QAT_IOPF_SUCCESS; n = n->next)
		code = handle(d, &n->f, cache);
	if (code == QAT_IOPF_SUCCESS)
		code = handle(d, &g->last, cache);
	return code;
}

static void *worker_main(void *arg)
{
	struct qat_iopf_queue *q = arg;
	struct iopf_vma cache = { 0 };
	struct iopf_group *g;
	struct iopf_dev *d;
	int code;

	iopf_current = q;
	if (q->node_cpus && numa_sched_setaffinity(0, q->node_cpus))
		qat_dbg("iopf %s: cannot run on node %d", q->name, q->node);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->stop && iopf_list_empty(&q->ready)) {
			q->nidle++;
			pthread_cond_wait(&q->work, &q->lock);
			q->nidle--;
			if (q->nwoken)
				q->nwoken--;
		}
		if (iopf_list_empty(&q->ready))
			break;
		g = ready_take(q, iopf_entry(q->ready.next, struct iopf_group,
					     ready));
		g->state = IOPF_RUNNING;
		d = g->dev;
		d->running++;
		pthread_mutex_unlock(&q->lock);
		code = run_group(d, g, &cache);
		pthread_mutex_lock(&q->lock);
		group_answer(q, g, code);
		d->running--;
		group_put(q, g);
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void workers_stop(struct qat_iopf_queue *q, unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < n; i++)
		pthread_join(q->workers[i], NULL);
}

int qat_iopf_thread(pthread_t *t, void *(*fn)(void *), void *arg,
		    const char *name)
{
	sigset_t all, old;
	int ret;

	/* The application's signal handlers must never run on our threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	pthread_setname_np(*t, name);
	return 0;
}

static int workers_start(struct qat_iopf_queue *q)
{
	char tname[16];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < q->nworkers && !ret; i++) {
		snprintf(tname, sizeof(tname), "iopf-%.6s/%u", q->name, i % 64);
		ret = qat_iopf_thread(&q->workers[i], worker_main, q, tname);
	}
	if (ret)
		workers_stop(q, i - 1);
	return ret;
}

/* --- queues -------------------------------------------------------------- */

static int opts_check(const struct qat_iopf_queue_opts *o)
{
	if (o->flags & ~QAT_IOPF_QUEUE_FLAGS_ALL ||
	    o->workers > IOPF_MAX_WORKERS)
		return -EINVAL;
	if (o->max_outstanding && o->max_outstanding <
	    (o->max_partial ? o->max_partial : IOPF_MAX_PARTIAL))
		return -EINVAL;
	if (!(o->flags & QAT_IOPF_QUEUE_NUMA))
		return 0;
	if (o->numa_node < 0)
		return -EINVAL;
	/* Without NUMA support there is one node, 0. */
	if (numa_available() < 0)
		return o->numa_node ? -EINVAL : 0;
	return o->numa_node > numa_max_node() ? -EINVAL : 0;
}

static void queue_destroy(struct qat_iopf_queue *q)
{
	cache_drain(&q->free_faults, &q->nfree_faults);
	cache_drain(&q->free_groups, &q->nfree_groups);
	if (q->node_cpus)
		numa_free_cpumask(q->node_cpus);
	free(q->buckets);
	free(q->workers);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

QAT_API int qat_iopf_queue_alloc(const char *name,
				 const struct qat_iopf_queue_opts *opts,
				 struct qat_iopf_queue **out)
{
	struct qat_iopf_queue_opts o;
	struct qat_iopf_queue *q;
	int ret;

	if (!out)
		return -EINVAL;
	ret = qat_opts_copy(&o, sizeof(o), opts);
	if (ret || (ret = opts_check(&o)))
		return ret;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	snprintf(q->name, sizeof(q->name), "%s", name ? name : "");
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	iopf_list_init(&q->ready);
	iopf_list_init(&q->devs);
	q->nworkers = o.workers ? o.workers : 1;
	q->max_partial = o.max_partial ? o.max_partial : IOPF_MAX_PARTIAL;
	q->max_outstanding = o.max_outstanding ? o.max_outstanding :
			     IOPF_MAX_OUTSTANDING;
	if (q->max_outstanding < q->max_partial)
		q->max_outstanding = q->max_partial;
	q->node = o.flags & QAT_IOPF_QUEUE_NUMA ? o.numa_node : -1;
	q->pid = getpid();
	q->nbuckets = IOPF_MIN_BUCKETS;
	q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
	q->workers = calloc(q->nworkers, sizeof(*q->workers));
	ret = -ENOMEM;
	if (!q->buckets || !q->workers)
		goto err;
	/* Looked up here, once: libnuma's node-to-CPUs cache is not safe
	 * for workers starting side by side. */
	if (q->node >= 0 && numa_available() >= 0) {
		q->node_cpus = numa_allocate_cpumask();
		if (!q->node_cpus)
			goto err;
		if (numa_node_to_cpus(q->node, q->node_cpus)) {
			ret = -EINVAL;
			goto err;
		}
	}
	ret = workers_start(q);
	if (ret)
		goto err;
	*out = q;
	return 0;
err:
	queue_destroy(q);
	return ret;
}

QAT_API void qat_iopf_queue_free(struct qat_iopf_queue *q)
{
	struct qat_dev *dev;

	if (!q)
		return;
	if (q->pid != getpid())
		return; /* a forked child's copy: the threads are the parent's */
	if (qat_iopf_on_worker(q)) {
		qat_err("iopf %s: queue freed from its own handler", q->name);
		return;
	}
	for (;;) {
		pthread_mutex_lock(&q->lock);
		dev = iopf_list_empty(&q->devs) ? NULL :
		      iopf_entry(q->devs.next, struct iopf_dev, link)->dev;
		pthread_mutex_unlock(&q->lock);
		if (!dev)
			break;
		qat_iopf_queue_remove_device(q, dev);
	}
	workers_stop(q, q->nworkers);
	queue_destroy(q);
}

/* --- devices ------------------------------------------------------------- */

static int sim_report(void *ctx, struct qat_dev *dev,
		      const struct qat_iopf_fault *f)
{
	return qat_iopf_report(ctx, dev, f);
}

static int sink_check(const struct qat_iopf_sink *s)
{
	switch (s->type) {
	case QAT_IOPF_SINK_CALLBACK:
		return s->fn ? 0 : -EINVAL;
	case QAT_IOPF_SINK_FD:
		return s->fd >= 0 ? 0 : -EINVAL;
	case QAT_IOPF_SINK_SIM:
		return 0;
	default:
		return -EINVAL;
	}
}

static struct iopf_dev *dev_new(struct qat_dev *dev,
				const struct qat_iopf_handler *handler,
				const struct qat_iopf_sink *sink, int *err)
{
	struct iopf_dev *d = calloc(1, sizeof(*d));

	*err = -ENOMEM;
	if (!d)
		return NULL;
	d->dev = dev;
	if (handler)
		d->handler = *handler;
	d->sink = *sink;
	d->sink.fd = -1;
	iopf_list_init(&d->out);
	iopf_list_init(&d->link);
	if (sink->type == QAT_IOPF_SINK_FD) {
		d->sink.fd = fcntl(sink->fd, F_DUPFD_CLOEXEC, 3);
		if (d->sink.fd < 0) {
			*err = errno == EBADF ? -EINVAL : -errno;
			free(d);
			return NULL;
		}
	}
	return d;
}

static void dev_free(struct iopf_dev *d)
{
	if (d->sink.fd >= 0)
		close(d->sink.fd);
	free(d);
}

QAT_API int qat_iopf_queue_add_device(struct qat_iopf_queue *q,
				      struct qat_dev *dev,
				      const struct qat_iopf_handler *handler,
				      const struct qat_iopf_sink *sink)
{
	struct iopf_dev *d;
	int ret;

	if (!q || !dev || !sink || (ret = sink_check(sink)))
		return -EINVAL;
	d = dev_new(dev, handler, sink, &ret);
	if (!d)
		return ret;
	d->q = q;
	pthread_mutex_lock(&q->lock);
	ret = dev_find(q, dev) ? -EEXIST : 0;
	pthread_mutex_unlock(&q->lock);
	if (!ret && sink->type == QAT_IOPF_SINK_SIM)
		ret = qat_sim_pri_connect(dev, sim_report, q);
	if (ret) {
		dev_free(d);
		return ret;
	}
	pthread_mutex_lock(&q->lock);
	if (dev_find(q, dev))
		ret = -EEXIST; /* another thread added it meanwhile */
	else
		iopf_list_add_tail(&q->devs, &d->link);
	pthread_mutex_unlock(&q->lock);
	if (ret) {
		if (sink->type == QAT_IOPF_SINK_SIM)
			qat_sim_pri_disconnect(dev);
		dev_free(d);
	}
	return ret;
}

/* Free every partial and note of d (all of the queue's when d is NULL);
 * returns the number of faults freed. */
static unsigned int drop_hashed(struct qat_iopf_queue *q, struct iopf_dev *d)
{
	struct iopf_group **p, *g;
	unsigned int n = 0, k;
	size_t i;

	for (i = 0; i < q->nbuckets; i++)
		for (p = &q->buckets[i]; (g = *p);) {
			if (d && g->dev != d) {
				p = &g->hnext;
				continue;
			}
			*p = g->hnext;
			q->nhashed--;
			if (g->state == IOPF_REFUSED)
				g->dev->nrefused--;
			k = group_drop_partials(q, g);
			g->dev->npartial -= k;
			g->dev->nheld -= k;
			g->dev->st.discarded += k;
			n += k;
			group_put(q, g);
		}
	return n;
}

static struct iopf_group *first_unanswered(struct iopf_dev *d)
{
	struct iopf_link *l;

	for (l = d->out.next; l != &d->out; l = l->next)
		if (!iopf_entry(l, struct iopf_group, out)->answered)
			return iopf_entry(l, struct iopf_group, out);
	return NULL;
}

static void stats_add(struct qat_iopf_stats *to, const struct qat_iopf_stats *s)
{
	unsigned int i;

	to->faults += s->faults;
	to->groups += s->groups;
	for (i = 0; i < 3; i++)
		to->responses[i] += s->responses[i];
	to->refused += s->refused;
	to->nomem += s->nomem;
	to->dropped += s->dropped;
	to->late += s->late;
	to->discarded += s->discarded;
	to->partial += s->partial;
	to->outstanding += s->outstanding;
}

/* Answer INVALID for every group of d not answered yet, then wait until
 * no worker, sender or flush uses d. */
static void dev_drain(struct qat_iopf_queue *q, struct iopf_dev *d)
{
	struct iopf_group *g;

	drop_hashed(q, d);
	while ((g = first_unanswered(d))) {
		if (g->state == IOPF_QUEUED) {
			/* Take it off the ready list: no worker will. */
			ready_take(q, g);
			g->state = IOPF_RUNNING;
			group_answer(q, g, QAT_IOPF_INVALID);
			group_put(q, g);
		} else {
			group_answer(q, g, QAT_IOPF_INVALID);
		}
	}
	while (d->running || d->busy || !iopf_list_empty(&d->out))
		pthread_cond_wait(&q->done, &q->lock);
}

QAT_API int qat_iopf_queue_remove_device(struct qat_iopf_queue *q,
					 struct qat_dev *dev)
{
	struct iopf_src *src;
	struct iopf_dev *d;
	int ret;

	d = dev_get_locked(q, dev, true, &ret);
	if (!d)
		return ret;
	/* From here report() and flush() no longer find it. */
	iopf_list_del(&d->link);
	src = d->src;
	d->src = NULL;
	pthread_mutex_unlock(&q->lock);
	if (src)
		qat_iopf_src_stop(src);
	if (d->sink.type == QAT_IOPF_SINK_SIM)
		qat_sim_pri_disconnect(dev);
	pthread_mutex_lock(&q->lock);
	dev_drain(q, d);
	d->st.partial = d->st.outstanding = 0;
	stats_add(&q->gone, &d->st);
	pthread_mutex_unlock(&q->lock);
	dev_free(d);
	return 0;
}

QAT_API int qat_iopf_attach_fd(struct qat_iopf_queue *q, struct qat_dev *dev,
			       int fault_fd)
{
	struct iopf_src *src = NULL;
	struct iopf_dev *d;
	int ret;

	if (q && dev && fault_fd < 0)
		return -EBADF;
	d = dev_get_locked(q, dev, false, &ret);
	if (!d)
		return ret;
	if (d->src || d->src_starting) {
		pthread_mutex_unlock(&q->lock);
		return -EBUSY;
	}
	/* busy keeps d alive if it is removed while the reader starts. */
	d->src_starting = true;
	d->busy++;
	pthread_mutex_unlock(&q->lock);
	ret = qat_iopf_src_start(q, dev, fault_fd, &src);
	pthread_mutex_lock(&q->lock);
	d->src_starting = false;
	if (!ret && dev_find(q, dev) == d) {
		d->src = src;
		src = NULL;
	} else if (!ret) {
		ret = -ENOENT;
	}
	d->busy--;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
	if (src)
		qat_iopf_src_stop(src);
	return ret;
}

QAT_API int qat_iopf_flush_dev(struct qat_iopf_queue *q, struct qat_dev *dev)
{
	struct iopf_dev *d;
	uint64_t upto;
	int ret;

	d = dev_get_locked(q, dev, true, &ret);
	if (!d)
		return ret;
	upto = d->seq;
	d->busy++;
	/* The list is in queue order: its head is the oldest unanswered. */
	while (!iopf_list_empty(&d->out) &&
	       iopf_entry(d->out.next, struct iopf_group, out)->seq < upto)
		pthread_cond_wait(&q->done, &q->lock);
	d->busy--;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

QAT_API int qat_iopf_discard_partial(struct qat_iopf_queue *q)
{
	unsigned int n;

	if (!q)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	n = drop_hashed(q, NULL);
	pthread_mutex_unlock(&q->lock);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

QAT_API int qat_iopf_stats(struct qat_iopf_queue *q, struct qat_dev *dev,
			   struct qat_iopf_stats *st)
{
	struct iopf_link *l;
	struct iopf_dev *d;
	struct qat_iopf_stats s;

	if (!q || !st)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if (dev && !dev_find(q, dev)) {
		pthread_mutex_unlock(&q->lock);
		return -ENOENT;
	}
	memset(st, 0, sizeof(*st));
	if (!dev)
		stats_add(st, &q->gone);
	for (l = q->devs.next; l != &q->devs; l = l->next) {
		d = iopf_entry(l, struct iopf_dev, link);
		if (dev && d->dev != dev)
			continue;
		s = d->st;
		s.partial = d->npartial;
		s.outstanding = d->nheld;
		stats_add(st, &s);
	}
	pthread_mutex_unlock(&q->lock);
	return 0;
}
