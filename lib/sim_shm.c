/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated device as every process sees it: its BARs, config space,
 * started flag, vector table and (exclusive devices) who has it open live
 * in one file beside the registry, <registry>.sim<accel id>, mapped by each
 * process that declares the device. A BAR written by one process is read
 * by the others, a reset clears it for all, a stop stops it for all, as on
 * a real function.
 *
 * The file is input other processes write: it is opened through the
 * registry's segment rules (qat_shm_open(): regular file, trusted owner
 * and mode, header of this kind and size, same declaration), and what is
 * read from it is checked where it is used.
 *
 * Each process holds an OFD read lock on byte SIM_USERS_BYTE while it
 * has the file mapped. A process that can take the write lock instead is
 * alone with the device: it powers the device on afresh (declared started
 * flag, reset values) under that lock, then turns it into its read lock
 * in one step, so that no process ever works on what a process long gone
 * left in the file, and none sees a half-done power-on. A file made for
 * another declaration is removed when no process uses it, and made anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim_priv.h"

#define SIM_SHM_MAGIC 0x314d495354415151ull /* "QQATSIM1" */
#define SIM_SHM_VERSION 1u
#define SIM_USERS_BYTE 0
#define SIM_OWNER_BYTE 1
/* How long a process that checks for users may keep the file locked. */
#define SIM_USERS_WAIT_MS 2000

static int ofd_lock(int fd, short type, off_t byte)
{
	struct flock fl = {
		.l_type = type, .l_whence = SEEK_SET, .l_start = byte,
		.l_len = 1,
	};

	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

int qat_sim_pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The whole file: the shared state, then the BARs, each aligned. */
static size_t sim_layout(const struct qat_sim_dev *s, size_t off[])
{
	size_t end = (sizeof(struct sim_shared) + QAT_SIM_BAR_ALIGN - 1) &
		     ~(QAT_SIM_BAR_ALIGN - 1);
	unsigned int i;

	for (i = 0; i < QAT_SIM_NUM_BARS; i++) {
		off[i] = end;
		end += (s->bar_size[i] + QAT_SIM_BAR_ALIGN - 1) &
		       ~(QAT_SIM_BAR_ALIGN - 1);
	}
	return end;
}

struct sim_init_arg {
	const struct qat_sim_dev *s;
	int started;
};

/* Power-on state of a new file; the rest is zero (ftruncate). */
static int sim_shm_init(void *base, size_t size, void *arg)
{
	const struct sim_init_arg *a = arg;
	struct sim_shared *sh = base;

	(void)size;
	memcpy(sh->cfg, a->s->cfg_init, sizeof(sh->cfg));
	sh->started = a->started ? 1 : 0;
	return 0;
}

/* A file made for another declaration that no process has mapped (no
 * read lock on SIM_USERS_BYTE): remove it, so that the caller makes the
 * device anew. Only our own file: one that another user made stays. */
static void sim_shm_drop_unused(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() &&
	    !ofd_lock(fd, F_WRLCK, SIM_USERS_BYTE))
		unlink(path);
	close(fd); /* drops the write lock, if taken */
}

/* Power on: everything after the header as a new file has it. */
static void sim_shm_power_on(struct sim_shared *sh, size_t size,
			     const struct sim_init_arg *a)
{
	memset((char *)sh + sizeof(sh->hdr), 0, size - sizeof(sh->hdr));
	sim_shm_init(sh, size, (void *)a);
}

/* Take our read lock, bounded: another process holds the write lock only
 * across a power-on. First user: power the device on, then keep the lock
 * as a read lock (the kernel converts it atomically). Then make sure the
 * path still names the file we locked (it may have been replaced). */
static int sim_shm_join(struct qat_shm *shm, const char *path,
			const struct sim_init_arg *a)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	struct stat st_path, st_fd;
	int ret, waited;

	if (!ofd_lock(shm->fd, F_WRLCK, SIM_USERS_BYTE))
		sim_shm_power_on((struct sim_shared *)shm->hdr, shm->size, a);
	for (waited = 0;; waited += 5) {
		ret = ofd_lock(shm->fd, F_RDLCK, SIM_USERS_BYTE);
		if (ret != -EAGAIN && ret != -EACCES)
			break;
		if (waited >= SIM_USERS_WAIT_MS) {
			qat_err("%s: kept write-locked for %d ms; refused", path,
				SIM_USERS_WAIT_MS);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	if (ret)
		return ret;
	if (stat(path, &st_path) || fstat(shm->fd, &st_fd) ||
	    st_path.st_dev != st_fd.st_dev || st_path.st_ino != st_fd.st_ino)
		return -EAGAIN;
	return 0;
}

static int sim_shm_attach(struct qat_sim_dev *s, const char *path,
			  unsigned int mode, long share_gid, uint64_t fp,
			  size_t size, int started)
{
	struct sim_init_arg arg = { s, started };
	const struct qat_shm_params p = {
		.path = path,
		.magic = SIM_SHM_MAGIC,
		.version = SIM_SHM_VERSION,
		.size = size,
		.fingerprint = fp,
		.mode = mode,
		.group_shared = share_gid >= 0,
		.gid = share_gid >= 0 ? (gid_t)share_gid : 0,
		.init = sim_shm_init,
		.arg = &arg,
	};
	int ret = -EAGAIN, tries;

	for (tries = 0; tries < 8 && ret == -EAGAIN; tries++) {
		ret = qat_shm_open(&p, &s->shm);
		if (ret == -ESTALE && !tries) {
			sim_shm_drop_unused(path);
			ret = qat_shm_open(&p, &s->shm);
		}
		if (ret)
			break;
		ret = sim_shm_join(&s->shm, path, &arg);
		if (ret)
			qat_shm_close(&s->shm);
	}
	return ret;
}

/* No place beside the registry: the device is this process's (and its
 * children's) alone. */
static int sim_shm_anon(struct qat_sim_dev *s, size_t size, int started)
{
	struct sim_init_arg arg = { s, started };
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	s->sh = m;
	return sim_shm_init(m, size, &arg);
}

int qat_sim_shm_open(struct qat_sim_dev *s, const char *registry,
		     unsigned int registry_mode, long share_gid,
		     unsigned int accel_id,
		     uint64_t fp, int started)
{
	size_t off[QAT_SIM_NUM_BARS], size = sim_layout(s, off);
	char *path = NULL;
	unsigned int i;
	int ret;

	s->shm.fd = -1;
	if (registry && asprintf(&path, "%s.sim%u", registry, accel_id) < 0)
		return -ENOMEM;
	ret = path ? sim_shm_attach(s, path, registry_mode, share_gid, fp,
				    size, started)
		   : -ENOENT;
	if (!ret) {
		s->sh = (struct sim_shared *)s->shm.hdr;
	} else if (ret == -ENOENT || ret == -EACCES || ret == -EROFS ||
		   ret == -ESTALE) {
		/* No place to share it, or processes on the registry that
		 * declare it otherwise (-ESTALE, logged; the registry's
		 * state calls refuse them too): a device of our own is
		 * still one that works. */
		if (path)
			qat_warn("%s: %s; simulated device %u is this "
				 "process's alone", path, qat_strerror(ret),
				 accel_id);
		ret = sim_shm_anon(s, size, started);
	} else {
		qat_err("%s: cannot share simulated device %u: %s", path,
			accel_id, qat_strerror(ret));
	}
	free(path);
	if (ret)
		return ret;
	s->sh_size = size;
	s->cfg = s->sh->cfg;
	for (i = 0; i < QAT_SIM_NUM_BARS; i++)
		s->bar[i] = s->bar_size[i] ? (char *)s->sh + off[i] : NULL;
	return 0;
}

void qat_sim_shm_close(struct qat_sim_dev *s)
{
	if (!s->sh)
		return;
	qat_sim_unclaim(s);
	if (s->shm.hdr)
		qat_shm_close(&s->shm); /* drops our locks */
	else
		munmap(s->sh, s->sh_size);
	s->sh = NULL;
}

int qat_sim_holder(struct qat_sim_dev *s)
{
	int pid = (int)__atomic_load_n(&s->sh->owner, __ATOMIC_ACQUIRE);

	return s->sharing == QAT_DEV_EXCLUSIVE && pid > 0 ? pid : 0;
}

/* Claim through the OFD lock on SIM_OWNER_BYTE: the kernel drops it when
 * the holder's file closes, at death too, so a dead holder never keeps
 * the device. A fork child shares its parent's open file, lock and all:
 * s->owner (copied at fork) says the lock is the parent's. */
static int sim_claim_locked(struct qat_sim_dev *s, int me, int *holder)
{
	if (s->owner && s->owner != me) {
		*holder = s->owner;
		if (qat_sim_pid_alive(s->owner))
			return -EBUSY;
		s->owner = 0; /* the parent died: its lock is ours now */
	} else if (s->shm.hdr) {
		*holder = qat_sim_holder(s);
		if (ofd_lock(s->shm.fd, F_WRLCK, SIM_OWNER_BYTE))
			return -EBUSY;
	} else {
		/* Anonymous: shared with fork relatives only; pids decide. */
		*holder = qat_sim_holder(s);
		if (*holder && *holder != me && qat_sim_pid_alive(*holder))
			return -EBUSY;
	}
	__atomic_store_n(&s->sh->owner, (uint32_t)me, __ATOMIC_RELEASE);
	s->owner = me;
	return 0;
}

/* As vfio_let_go(): at qat_rt_close(), the device goes before the claims
 * (the close list runs last registered first), so that the process that
 * waits for the claim can open the device once it has it. What the
 * closing runtime does after works on its own state only. */
static void sim_let_go(struct qat_rt *rt, void *arg)
{
	struct qat_dev *dev = arg;
	struct qat_sim_dev *s = dev->priv;

	qat_sim_unclaim(s);
	__atomic_store_n(&s->closing, 1, __ATOMIC_RELEASE);
}

int qat_sim_claim(struct qat_dev *dev)
{
	struct qat_sim_dev *s = dev->priv;
	int me = getpid(), holder = 0, ret = 0;

	if (s->sharing != QAT_DEV_EXCLUSIVE ||
	    __atomic_load_n(&s->closing, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->owner != me)
		ret = sim_claim_locked(s, me, &holder);
	if (!ret && !s->let_go_hooked &&
	    !qat_rt_on_close(dev->rt, sim_let_go, dev))
		s->let_go_hooked = 1; /* else the device's fini gives it up */
	pthread_mutex_unlock(&s->lock);
	if (!ret)
		return 0;
	if (holder > 0)
		qat_warn("simulated device %s (accel %u) is exclusive and "
			 "process %d has it open", dev->info.pci_addr,
			 dev->info.accel_id, holder);
	else
		qat_warn("simulated device %s (accel %u) is exclusive and "
			 "another process has it open", dev->info.pci_addr,
			 dev->info.accel_id);
	return ret;
}

void qat_sim_unclaim(struct qat_sim_dev *s)
{
	uint32_t me = (uint32_t)getpid();

	pthread_mutex_lock(&s->lock);
	if (s->owner == (int)me) {
		__atomic_compare_exchange_n(&s->sh->owner, &me, 0, 0,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		if (s->shm.hdr)
			ofd_lock(s->shm.fd, F_UNLCK, SIM_OWNER_BYTE);
		s->owner = 0;
	}
	pthread_mutex_unlock(&s->lock);
}
