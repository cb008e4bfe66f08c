/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A runtime's attachment to the process registry: lazy attach, handles,
 * the pool of lock fds, and fork.
 *
 * Each claim holds its OFD lock on its own open file description. After
 * fork the child shares those descriptions, so a child that outlived its
 * parent would keep the parent's names alive, and one that locked or
 * unlocked through them would act for the parent. The atfork child handler
 * therefore closes the child's copy of every lock fd at once (closing a
 * copy never drops a lock while the parent keeps its own) and marks the
 * inherited handles foreign. Every lock fd is recorded in a handle or the
 * pool under reg->mu from the moment it is opened, so none escapes that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_int.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct proc_reg *g_regs;  /* under g_lock */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_atfork_ret;

/* Take every lock the child handler needs, so none is mid-update. */
static void fork_prepare(void)
{
	struct proc_reg *r;

	pthread_mutex_lock(&g_lock);
	for (r = g_regs; r; r = r->g_next)
		pthread_mutex_lock(&r->mu);
}

static void fork_parent(void)
{
	struct proc_reg *r;

	for (r = g_regs; r; r = r->g_next)
		pthread_mutex_unlock(&r->mu);
	pthread_mutex_unlock(&g_lock);
}

/* Runs in the child with one thread: only async-signal-safe calls. */
static void reg_forget(struct proc_reg *r)
{
	unsigned int i;

	r->pid = getpid();
	for (i = 0; i < r->nhandles; i++) {
		struct qat_proc *h = r->handles[i];

		if (h->fd >= 0)
			close(h->fd);
		h->fd = -1;
		if (h->state != PROC_H_RELEASED)
			h->state = PROC_H_FOREIGN;
	}
	for (i = 0; i < r->npool; i++)
		close(r->pool[i]);
	r->npool = 0;
}

static void fork_child(void)
{
	struct proc_reg *r;

	for (r = g_regs; r; r = r->g_next) {
		reg_forget(r);
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_unlock(&g_lock);
}

static void atfork_once(void)
{
	g_atfork_ret = -pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static int seg_init(void *base, size_t size, void *arg)
{
	struct proc_seg *seg = base;
	const struct proc_reg *reg = arg;

	/* The file is zero-filled: every slot and waiter starts free. */
	seg->nslots = reg->nslots;
	seg->nwaiters = PROC_NWAITERS;
	return 0;
}

static int reg_attach(struct proc_reg *reg)
{
	struct qat_shm_params p = {
		.path = reg->path,
		.magic = PROC_SEG_MAGIC,
		.version = PROC_SEG_VERSION,
		.size = PROC_SEG_SIZE(reg->nslots),
		.fingerprint = proc_fingerprint(reg->rt),
		.mode = reg->rt->registry_mode,
		.init = seg_init,
		.arg = reg,
	};
	struct stat st;
	int ret;

	ret = qat_shm_open(&p, &reg->shm);
	if (ret)
		return ret;
	reg->seg = (struct proc_seg *)reg->shm.hdr;
	reg->size = p.size;
	if (reg->seg->nslots != reg->nslots ||
	    reg->seg->nwaiters != PROC_NWAITERS) {
		qat_err("%s: corrupt registry header", reg->path);
		return -EPROTO;
	}
	if (fstat(reg->shm.fd, &st))
		return -errno;
	reg->st_dev = st.st_dev;
	reg->st_ino = st.st_ino;
	return 0;
}

static void reg_close(struct proc_reg *reg);

static int reg_open(struct qat_rt *rt, struct proc_reg **out)
{
	struct proc_reg *reg = calloc(1, sizeof(*reg));
	int ret;

	if (!reg)
		return -ENOMEM;
	reg->rt = rt;
	reg->pid = getpid(); /* a system call: not once per claim */
	reg->shm.fd = -1;
	pthread_mutex_init(&reg->mu, NULL);
	pthread_once(&g_once, atfork_once);
	ret = g_atfork_ret;
	if (!ret && asprintf(&reg->path, "%s.proc", rt->registry_path) < 0)
		ret = -ENOMEM;
	if (!ret)
		ret = proc_map_build(reg);
	if (!ret)
		ret = reg_attach(reg);
	if (ret) {
		reg_close(reg);
		return ret;
	}
	pthread_mutex_lock(&g_lock);
	reg->g_next = g_regs;
	g_regs = reg;
	pthread_mutex_unlock(&g_lock);
	*out = reg;
	return 0;
}

static void reg_unlist(struct proc_reg *reg)
{
	struct proc_reg **pp;

	pthread_mutex_lock(&g_lock);
	for (pp = &g_regs; *pp; pp = &(*pp)->g_next) {
		if (*pp == reg) {
			*pp = reg->g_next;
			break;
		}
	}
	pthread_mutex_unlock(&g_lock);
}

/* Drop every claim this runtime still holds, then free the handles. */
static void reg_drop_handles(struct proc_reg *reg)
{
	unsigned int i, dropped = 0;

	for (i = 0; i < reg->nhandles; i++) {
		struct qat_proc *h = reg->handles[i];

		if (h->state == PROC_H_HELD) {
			proc_slot_free(reg, h);
			dropped++;
		}
		if (h->fd >= 0)
			close(h->fd); /* drops whatever it still locks */
		h->magic = 0;
		free(h);
	}
	if (dropped)
		proc_wake(reg);
	free(reg->handles);
	reg->handles = NULL;
	reg->nhandles = 0;
}

static void reg_close(struct proc_reg *reg)
{
	unsigned int i;

	reg_unlist(reg);
	if (reg->seg)
		reg_drop_handles(reg);
	for (i = 0; i < reg->npool; i++)
		close(reg->pool[i]);
	proc_plans_free(reg);
	proc_map_free(reg);
	qat_shm_close(&reg->shm);
	pthread_mutex_destroy(&reg->mu);
	free(reg->path);
	free(reg);
}

static void reg_fini(struct qat_rt *rt, void *arg)
{
	struct proc_reg *reg = arg;

	pthread_mutex_lock(&rt->lock);
	if (rt->proc == reg)
		rt->proc = NULL;
	pthread_mutex_unlock(&rt->lock);
	reg_close(reg);
}

static struct proc_reg *rt_reg(struct qat_rt *rt)
{
	struct proc_reg *reg;

	pthread_mutex_lock(&rt->lock);
	reg = rt->proc;
	pthread_mutex_unlock(&rt->lock);
	return reg;
}

/*
 * The runtime's registry, attached on first use. Attaching opens files
 * and maps memory, so it runs without rt->lock; of two threads racing,
 * the first to publish wins and the other's attachment idles until close
 * (qat_rt_on_close() cannot be undone, so it stays registered).
 */
int proc_reg_get(struct qat_rt *rt, struct proc_reg **out)
{
	struct proc_reg *reg = rt_reg(rt);
	int ret;

	if (reg)
		goto done;
	ret = reg_open(rt, &reg);
	if (ret)
		return ret;
	ret = qat_rt_on_close(rt, reg_fini, reg);
	if (ret) {
		reg_close(reg);
		return ret;
	}
	pthread_mutex_lock(&rt->lock);
	if (!rt->proc)
		rt->proc = reg;
	reg = rt->proc;
	pthread_mutex_unlock(&rt->lock);
done:
	*out = reg;
	return 0;
}

/* A new description of the registry file, checked to be the one mapped:
 * locks on a file that replaced it would exclude no one. */
static int reg_open_fd(struct proc_reg *reg)
{
	struct stat st;
	int fd = open(reg->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	if (st.st_dev != reg->st_dev || st.st_ino != reg->st_ino) {
		close(fd);
		qat_err("%s was replaced while in use; reopen the runtime",
			reg->path);
		return -ESTALE;
	}
	return fd;
}

static int handle_alloc(struct proc_reg *reg, struct qat_proc **out)
{
	struct qat_proc **hs, *h;
	unsigned int cap;

	if (reg->nfree > PROC_QUARANTINE) {
		h = reg->free_head;
		reg->free_head = h->next_free;
		if (!reg->free_head)
			reg->free_tail = NULL;
		reg->nfree--;
		*out = h;
		return 0;
	}
	if (reg->nhandles == reg->caphandles) {
		cap = reg->caphandles ? reg->caphandles * 2 : 16;
		hs = realloc(reg->handles, cap * sizeof(*hs));
		if (!hs)
			return -ENOMEM;
		reg->handles = hs;
		reg->caphandles = cap;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	reg->handles[reg->nhandles++] = h;
	*out = h;
	return 0;
}

static void handle_quarantine(struct proc_reg *reg, struct qat_proc *h)
{
	h->state = PROC_H_RELEASED;
	h->next_free = NULL;
	if (reg->free_tail)
		reg->free_tail->next_free = h;
	else
		reg->free_head = h;
	reg->free_tail = h;
	reg->nfree++;
}

/* A fresh handle with its own lock fd, which holds no lock yet. */
int proc_handle_get(struct proc_reg *reg, struct qat_proc **out)
{
	struct qat_proc *h;
	int ret, fd;

	pthread_mutex_lock(&reg->mu);
	ret = handle_alloc(reg, &h);
	if (ret)
		goto out;
	fd = reg->npool ? reg->pool[--reg->npool] : reg_open_fd(reg);
	if (fd < 0) {
		handle_quarantine(reg, h);
		ret = fd;
		goto out;
	}
	h->magic = PROC_H_MAGIC;
	h->state = PROC_H_ACQUIRING;
	h->reg = reg;
	h->dev = NULL;
	h->fd = fd;
	h->name[0] = '\0';
	*out = h;
out:
	pthread_mutex_unlock(&reg->mu);
	return ret;
}

void proc_handle_held(struct qat_proc *h)
{
	pthread_mutex_lock(&h->reg->mu);
	if (h->state == PROC_H_ACQUIRING)
		h->state = PROC_H_HELD;
	pthread_mutex_unlock(&h->reg->mu);
}

/*
 * Claim the right to release h: 0 for a held handle (now releasing),
 * -EBADF for one already released, -ESRCH for a parent's claim seen from
 * a forked child (its copy is retired here; the parent keeps the name).
 */
int proc_handle_begin_release(struct qat_proc *h)
{
	struct proc_reg *reg = h->reg;
	int ret = 0;

	pthread_mutex_lock(&reg->mu);
	switch (h->state) {
	case PROC_H_HELD:
		h->state = PROC_H_RELEASING;
		break;
	case PROC_H_FOREIGN:
		handle_quarantine(reg, h);
		ret = -ESRCH;
		break;
	default:
		ret = -EBADF;
		break;
	}
	pthread_mutex_unlock(&reg->mu);
	return ret;
}

/*
 * Retire h. keep_fd says its fd holds no lock any more and may serve the
 * next claim; otherwise closing it drops whatever it still holds.
 */
void proc_handle_put(struct qat_proc *h, int keep_fd)
{
	struct proc_reg *reg = h->reg;

	pthread_mutex_lock(&reg->mu);
	if (h->fd >= 0) {
		if (keep_fd && reg->npool < PROC_FD_POOL)
			reg->pool[reg->npool++] = h->fd;
		else
			close(h->fd);
		h->fd = -1;
	}
	handle_quarantine(reg, h);
	pthread_mutex_unlock(&reg->mu);
}
