/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A runtime's attachment to the process registry: lazy attach, handles,
 * the lock files' descriptions, and fork.
 *
 * The claims of a runtime on one lock file are OFD locks held through one
 * open file description of it (reg->lf[f].lk), so a process needs one fd
 * per lock file, not one per claim. Claims of one process exclude each
 * other through the table, under the segment lock (the kernel would let
 * one description lock a byte twice). After fork the child shares those
 * descriptions, so a child that outlived its parent would keep the
 * parent's names alive, and one that locked or unlocked through them would
 * act for the parent. The atfork child handler therefore closes the
 * child's copy of every lock fd at once (closing a copy never drops a lock
 * while the parent keeps its own) and marks the inherited handles foreign.
 * Every lock fd is recorded in reg->lf under reg->mu from the moment it is
 * opened, so none escapes that.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Close every lock file fd but the mapping's own. */
static void lockf_close_all(struct proc_reg *r)
{
	unsigned int f;

	for (f = 0; f < r->nlf; f++) {
		if (r->lf[f].lk >= 0)
			close(r->lf[f].lk);
		if (f && r->lf[f].probe >= 0)
			close(r->lf[f].probe);
		r->lf[f].lk = -1;
		r->lf[f].probe = f ? -1 : r->shm.fd;
	}
}

/* Runs in the child with one thread: only async-signal-safe calls. */
static void reg_forget(struct proc_reg *r)
{
	unsigned int i;

	r->pid = getpid();
	for (i = 0; i < r->nhandles; i++) {
		struct qat_proc *h = r->handles[i];

		if (h->state != PROC_H_RELEASED)
			h->state = PROC_H_FOREIGN;
	}
	lockf_close_all(r);
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

/* Any lock on bytes [off, infinity) of fd: 1, 0, or -errno. */
static int any_lock(int fd, off_t off, off_t len)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = off,
		.l_len = len,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl))
		return -errno;
	return fl.l_type != F_UNLCK;
}

/* Append " <pid>" to who once per distinct pid, while room remains. */
static void who_add(char *who, size_t len, int32_t pid)
{
	char one[16];
	size_t n = strlen(who);

	snprintf(one, sizeof(one), " %d", (int)pid);
	if (strstr(who, one) || n + strlen(one) + 4 >= len)
		return;
	snprintf(who + n, len - n, "%s", one);
}

/*
 * How many lock files of the old registry `seg` (of `size` bytes, open as
 * fd) carry a lock: any claim or queue entry of a live process. The pids
 * its table gives for held names go to who.
 */
static int seg_in_use(int fd, void *old, size_t size, void *arg, char *who,
		      size_t len)
{
	const struct proc_reg *reg = arg;
	const struct proc_seg *seg = old;
	uint32_t n = seg->nslots, f, i;
	char path[PATH_MAX];
	int live, ret, lfd;

	if (!n || n > PROC_MAX_SLOTS || PROC_SEG_SIZE(n) != size)
		return -EPROTO;
	snprintf(who, len, "pids");
	live = any_lock(fd, (off_t)size, 0);
	for (f = 0; live >= 0 && f * PROC_LOCKS_PER_FILE < n; f++) {
		lfd = fd;
		if (f) {
			snprintf(path, sizeof(path), "%s.%u", reg->path, f);
			lfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				   O_NONBLOCK);
			if (lfd < 0)
				continue; /* never made: nothing locked */
			ret = any_lock(lfd, 0, 0);
			live = ret < 0 ? ret : live + ret;
		}
		for (i = f * PROC_LOCKS_PER_FILE;
		     i < n && i < (f + 1) * PROC_LOCKS_PER_FILE; i++)
			if (seg->slots[i].state == PROC_SLOT_TAKEN &&
			    any_lock(lfd, (off_t)PROC_LOCK_SLOT(size, i), 1) > 0)
				who_add(who, len, seg->slots[i].pid);
		if (f)
			close(lfd);
	}
	for (i = 0; i < PROC_NWAITERS; i++)
		if (seg->waiters[i].state == PROC_WAITER_USED &&
		    any_lock(fd, (off_t)PROC_LOCK_WAITER(size, i), 1) > 0)
			who_add(who, len, seg->waiters[i].pid);
	if (!strcmp(who, "pids"))
		snprintf(who, len, "processes it does not name");
	return live;
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
		.group_shared = !!(reg->rt->flags & QAT_RT_REGISTRY_GROUP),
		.gid = (gid_t)reg->rt->registry_gid,
		.in_use = seg_in_use,
	};
	struct stat st;
	unsigned int f;
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
	reg->nlf = (reg->nslots + PROC_LOCKS_PER_FILE - 1) /
		   PROC_LOCKS_PER_FILE;
	reg->lf = malloc(reg->nlf * sizeof(*reg->lf));
	if (!reg->lf)
		return -ENOMEM;
	for (f = 0; f < reg->nlf; f++)
		reg->lf[f] = (struct proc_lockf){ .lk = -1, .probe = -1 };
	reg->lf[0].probe = reg->shm.fd;
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
	reg_unlist(reg);
	if (reg->seg)
		reg_drop_handles(reg);
	if (reg->lf)
		lockf_close_all(reg); /* drops whatever they still lock */
	free(reg->lf);
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
	int fd = open(reg->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

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

/*
 * Lock file f > 0, "<path>.<f>": empty, made by whoever needs it first,
 * and held to the same trust rule as the registry, since its locks say
 * who holds which names.
 */
static int lockf_open(struct proc_reg *reg, unsigned int f)
{
	struct qat_shm_params p = {
		.group_shared = !!(reg->rt->flags & QAT_RT_REGISTRY_GROUP),
		.gid = (gid_t)reg->rt->registry_gid,
	};
	const int fl = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	char path[PATH_MAX];
	struct stat st;
	int fd, ret;

	if (snprintf(path, sizeof(path), "%s.%u", reg->path, f) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	p.path = path;
	fd = open(path, fl | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		/* Ours: give it the registry's mode and group. */
		if ((p.group_shared && fchown(fd, (uid_t)-1, p.gid)) ||
		    fchmod(fd, reg->rt->registry_mode)) {
			ret = -errno;
			close(fd);
			return ret;
		}
	} else if (errno == EEXIST) {
		fd = open(path, fl);
	}
	if (fd < 0) {
		ret = -errno;
		if (ret != -ELOOP && !lstat(path, &st) && !S_ISREG(st.st_mode))
			ret = -EPERM; /* a directory, a socket...: not ours */
		qat_err("%s: %s", path, qat_strerror(ret));
		return ret;
	}
	ret = qat_shm_trusted(&p, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int proc_lock_fd(struct proc_reg *reg, unsigned int f, int probe)
{
	int *slot, fd;

	if (f >= reg->nlf)
		return -EINVAL;
	pthread_mutex_lock(&reg->mu);
	slot = probe ? &reg->lf[f].probe : &reg->lf[f].lk;
	fd = *slot;
	if (fd < 0) {
		fd = f ? lockf_open(reg, f) : reg_open_fd(reg);
		if (fd >= 0)
			*slot = fd;
	}
	pthread_mutex_unlock(&reg->mu);
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

/* A fresh handle, holding nothing yet. */
int proc_handle_get(struct proc_reg *reg, struct qat_proc **out)
{
	struct qat_proc *h;
	int ret;

	pthread_mutex_lock(&reg->mu);
	ret = handle_alloc(reg, &h);
	if (!ret) {
		h->magic = PROC_H_MAGIC;
		h->state = PROC_H_ACQUIRING;
		h->reg = reg;
		h->dev = NULL;
		h->name[0] = '\0';
		*out = h;
	}
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

/* Retire h, which holds nothing any more. */
void proc_handle_put(struct qat_proc *h)
{
	struct proc_reg *reg = h->reg;

	pthread_mutex_lock(&reg->mu);
	handle_quarantine(reg, h);
	pthread_mutex_unlock(&reg->mu);
}
