/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio backend: functions bound to vfio-pci, driven from user space
 * through the legacy container/group interface with the type1 IOMMU.
 *
 * A device's IOMMU group is opened on first use, not at qat_rt_open():
 * a group can be open in one process at a time, and a process that only
 * lists devices, or uses another one, must not take it from its user.
 * Groups are shared process-wide by every device (and runtime) that needs
 * them, one container per group, so devices of one group share an IOVA
 * space.
 *
 * Fork: a child's copies of the group, container and device fds are the
 * parent's open files, so a child using them would map DMA into the
 * parent's IOVA space, and its teardown could unmap the parent's buffers.
 * The child therefore drops them at fork (the parent's stay open) and
 * opens groups itself on first use, which VFIO refuses with -EBUSY while
 * the parent holds the group.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pci_priv.h"

/* The public interrupt constants are VFIO's, so they pass straight
 * through. */
_Static_assert(QAT_IRQ_DATA_NONE == VFIO_IRQ_SET_DATA_NONE &&
	       QAT_IRQ_DATA_BOOL == VFIO_IRQ_SET_DATA_BOOL &&
	       QAT_IRQ_DATA_EVENTFD == VFIO_IRQ_SET_DATA_EVENTFD &&
	       QAT_IRQ_ACTION_MASK == VFIO_IRQ_SET_ACTION_MASK &&
	       QAT_IRQ_ACTION_UNMASK == VFIO_IRQ_SET_ACTION_UNMASK &&
	       QAT_IRQ_ACTION_TRIGGER == VFIO_IRQ_SET_ACTION_TRIGGER,
	       "QAT_IRQ_* set flags differ from VFIO's");
_Static_assert(QAT_IRQ_INFO_EVENTFD == VFIO_IRQ_INFO_EVENTFD &&
	       QAT_IRQ_INFO_MASKABLE == VFIO_IRQ_INFO_MASKABLE &&
	       QAT_IRQ_INFO_AUTOMASKED == VFIO_IRQ_INFO_AUTOMASKED &&
	       QAT_IRQ_INFO_NORESIZE == VFIO_IRQ_INFO_NORESIZE,
	       "QAT_IRQ_INFO_* differ from VFIO's");
_Static_assert((int)QAT_IRQ_INTX == VFIO_PCI_INTX_IRQ_INDEX &&
	       (int)QAT_IRQ_MSI == VFIO_PCI_MSI_IRQ_INDEX &&
	       (int)QAT_IRQ_MSIX == VFIO_PCI_MSIX_IRQ_INDEX &&
	       (int)QAT_IRQ_ERR == VFIO_PCI_ERR_IRQ_INDEX &&
	       (int)QAT_IRQ_REQ == VFIO_PCI_REQ_IRQ_INDEX,
	       "QAT_IRQ indexes differ from VFIO's");

/* One open IOMMU group and its container. */
struct vfio_group {
	char path[PATH_MAX];   /* the group node: the key */
	int fd;
	int container;
	unsigned int refs;
	struct vfio_group *next;
};

/* Lock order: vfio_devs_lock, a device's lock, vfio_groups_lock. */
static pthread_mutex_t vfio_groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfio_group *vfio_groups;
static pthread_mutex_t vfio_devs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qat_vfio_dev *vfio_devs;   /* every vfio device, for fork */
static pthread_once_t vfio_atfork_once = PTHREAD_ONCE_INIT;

struct qat_vfio_dev {
	pthread_mutex_t lock;        /* guards the lazy open */
	struct qat_vfio_dev *next;   /* on vfio_devs */
	char addr[16];
	char group_path[PATH_MAX];
	char container_path[PATH_MAX];
	struct vfio_group *grp;      /* NULL until opened */
	int fd;                      /* device fd; -1 until opened */
	bool let_go_hooked;          /* vfio_let_go() is on the close list */
	bool closing;                /* given up at close: never reopen */
	unsigned int bar_maps, dma_maps; /* outstanding, through v->fd */
	unsigned int irq_on;         /* bit per index: triggers set */
	struct vfio_device_info info;
	uint64_t cfg_off, cfg_size;  /* the config space region */
};

static int container_open(const char *path, int *type)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		qat_warn("%s: not a VFIO container of API %d", path,
			 VFIO_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	/* v2 has the unmap semantics every recent kernel has; v1 for old. */
	if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		*type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		*type = VFIO_TYPE1_IOMMU;
	else {
		qat_warn("%s: no type1 IOMMU support", path);
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

/* Open the group node, check it is viable and put it in `container`. */
static int group_attach(const char *path, int container, int type)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st)) {
		ret = -errno;
		goto err;
	}
	ret = -EBUSY;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		qat_warn("%s: not viable: bind every device of the group to "
			 "vfio-pci (or unbind it)", path);
		goto err;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, type)) {
		ret = -errno;
		goto err;
	}
	return fd;
err:
	close(fd);
	return ret;
}

static int group_open(struct vfio_group *g, const char *container_path)
{
	int type = 0, ret;

	g->container = container_open(container_path, &type);
	if (g->container < 0)
		return g->container;
	ret = group_attach(g->path, g->container, type);
	if (ret < 0) {
		close(g->container);
		return ret;
	}
	g->fd = ret;
	return 0;
}

static struct vfio_group *group_find(const char *path)
{
	struct vfio_group *g;

	for (g = vfio_groups; g; g = g->next)
		if (!strcmp(g->path, path))
			return g;
	return NULL;
}

static int group_get(const char *path, const char *container_path,
		     struct vfio_group **out)
{
	struct vfio_group *g;
	int ret = 0;

	pthread_mutex_lock(&vfio_groups_lock);
	g = group_find(path);
	if (g)
		goto found;
	ret = -ENOMEM;
	g = calloc(1, sizeof(*g));
	if (!g)
		goto out;
	snprintf(g->path, sizeof(g->path), "%s", path);
	ret = group_open(g, container_path);
	if (ret) {
		free(g);
		goto out;
	}
	g->next = vfio_groups;
	vfio_groups = g;
found:
	g->refs++;
	*out = g;
out:
	pthread_mutex_unlock(&vfio_groups_lock);
	return ret;
}

static void group_put(struct vfio_group *g)
{
	struct vfio_group **pp;

	pthread_mutex_lock(&vfio_groups_lock);
	if (--g->refs == 0) {
		for (pp = &vfio_groups; *pp != g; pp = &(*pp)->next)
			;
		*pp = g->next;
		/* The group leaves the container first, then the container
		 * goes and takes its DMA mappings with it. */
		close(g->fd);
		close(g->container);
		free(g);
	}
	pthread_mutex_unlock(&vfio_groups_lock);
}

static int device_setup(struct qat_vfio_dev *v, int fd)
{
	struct vfio_region_info ri = {
		.argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};

	v->info = (struct vfio_device_info){ .argsz = sizeof(v->info) };
	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &v->info) ||
	    ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	if (!(v->info.flags & VFIO_DEVICE_FLAGS_PCI))
		return -ENODEV;
	v->cfg_off = ri.offset;
	v->cfg_size = ri.size;
	return 0;
}

/* Whether /proc/<pid>/fd has `node` open; 0 when it cannot be read. */
static int pid_has_open(const char *pid, const char *node)
{
	char dir[64], path[320], link[PATH_MAX];
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, node);
		}
	}
	closedir(d);
	return found;
}

/* The process holding a group node open, for the log line that says who
 * has the device: found through /proc (only processes this one may
 * inspect: the same user, or root). 0 when none could be seen. */
static int group_holder(const char *node)
{
	struct dirent *e;
	DIR *d = opendir("/proc");
	int pid = 0, self = getpid();

	if (!d)
		return 0;
	while (!pid && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    atoi(e->d_name) == self)
			continue;
		if (pid_has_open(e->d_name, node))
			pid = atoi(e->d_name);
	}
	closedir(d);
	return pid;
}

static void vfio_open_warn(const struct qat_vfio_dev *v, int ret)
{
	int holder = ret == -EBUSY ? group_holder(v->group_path) : 0;

	if (holder)
		qat_warn("%s: cannot open through VFIO group %s: %s (process "
			 "%d has it open)", v->addr, v->group_path,
			 qat_strerror(ret), holder);
	else
		qat_warn("%s: cannot open through VFIO group %s: %s%s", v->addr,
			 v->group_path, qat_strerror(ret),
			 ret == -EBUSY ? " (another process has the group "
					 "open, or this process's parent "
					 "before it forked)" : "");
}

static int vfio_open(struct qat_vfio_dev *v)
{
	int fd, ret;

	ret = group_get(v->group_path, v->container_path, &v->grp);
	if (ret)
		goto err;
	fd = ioctl(v->grp->fd, VFIO_GROUP_GET_DEVICE_FD, v->addr);
	if (fd < 0) {
		ret = -errno;
		goto err_put;
	}
	/* Recent kernels hand it out close-on-exec; old ones did not. */
	ret = fcntl(fd, F_SETFD, FD_CLOEXEC) ? -errno : device_setup(v, fd);
	if (ret) {
		close(fd);
		goto err_put;
	}
	v->fd = fd;
	return 0;
err_put:
	group_put(v->grp);
	v->grp = NULL;
err:
	vfio_open_warn(v, ret);
	return ret;
}

/*
 * At qat_rt_close(), give the group up before the runtime's claims go.
 * The close list runs last registered first, and a claim is registered
 * (at the first acquire) before the device it leads to is opened: so a
 * process waiting for the claim finds the group free once it has it,
 * instead of -EBUSY while the holder is still closing. Teardown that
 * comes after (interrupts, DMA) finds the device closed for good.
 */
static void vfio_let_go(struct qat_rt *rt, void *arg)
{
	struct qat_dev *dev = arg;
	struct qat_vfio_dev *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	v->closing = true;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	if (v->grp)
		group_put(v->grp);
	v->grp = NULL;
	pthread_mutex_unlock(&v->lock);
}

/* The device fd, opening the group on first use. A failure is retried
 * next time: -EBUSY (another process has the group) may clear. */
static int vfio_fd(struct qat_dev *dev)
{
	struct qat_vfio_dev *v = dev->priv;
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->closing)
		ret = -ENODEV;
	else if (v->fd < 0)
		ret = vfio_open(v);
	if (!ret && !v->let_go_hooked &&
	    !qat_rt_on_close(dev->rt, vfio_let_go, dev))
		v->let_go_hooked = true; /* else dev_fini closes it later */
	if (!ret)
		ret = v->fd;
	pthread_mutex_unlock(&v->lock);
	return ret;
}

/* Hold every lock across fork so that the child's copies are consistent. */
static void vfio_fork_prepare(void)
{
	struct qat_vfio_dev *v;

	pthread_mutex_lock(&vfio_devs_lock);
	for (v = vfio_devs; v; v = v->next)
		pthread_mutex_lock(&v->lock);
	pthread_mutex_lock(&vfio_groups_lock);
}

static void vfio_fork_parent(void)
{
	struct qat_vfio_dev *v;

	pthread_mutex_unlock(&vfio_groups_lock);
	for (v = vfio_devs; v; v = v->next)
		pthread_mutex_unlock(&v->lock);
	pthread_mutex_unlock(&vfio_devs_lock);
}

/* The child closes its copies only: the parent's files stay open, its
 * mappings and interrupts untouched. */
static void vfio_fork_child(void)
{
	struct vfio_group *g;
	struct qat_vfio_dev *v;

	for (v = vfio_devs; v; v = v->next) {
		if (v->fd >= 0)
			close(v->fd);
		v->fd = -1;
		v->grp = NULL;
	}
	while ((g = vfio_groups)) {
		vfio_groups = g->next;
		close(g->fd);
		close(g->container);
		free(g);
	}
	vfio_fork_parent();
}

static void vfio_atfork(void)
{
	pthread_atfork(vfio_fork_prepare, vfio_fork_parent, vfio_fork_child);
}

int qat_vfio_priv_new(const char *dir, const char *addr, void **out)
{
	char group[32], gpath[PATH_MAX], cpath[PATH_MAX];
	struct qat_vfio_dev *v;
	int ret;

	ret = qat_pci_link_base(dir, "iommu_group", group, sizeof(group));
	if (ret < 0) {
		qat_warn("%s: bound to vfio-pci but has no IOMMU group (%s); "
			 "listed through sysfs", addr, qat_strerror(ret));
		return ret;
	}
	snprintf(gpath, sizeof(gpath), "%s/%s", qat_pci_vfio_dir(), group);
	snprintf(cpath, sizeof(cpath), "%s/vfio", qat_pci_vfio_dir());
	if (access(cpath, R_OK | W_OK) || access(gpath, R_OK | W_OK)) {
		ret = -errno;
		qat_warn("%s: bound to vfio-pci but %s or %s: %s; listed "
			 "through sysfs", addr, cpath, gpath, qat_strerror(ret));
		return ret;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->lock, NULL);
	v->fd = -1;
	snprintf(v->addr, sizeof(v->addr), "%s", addr);
	snprintf(v->group_path, sizeof(v->group_path), "%s", gpath);
	snprintf(v->container_path, sizeof(v->container_path), "%s", cpath);
	pthread_once(&vfio_atfork_once, vfio_atfork);
	pthread_mutex_lock(&vfio_devs_lock);
	v->next = vfio_devs;
	vfio_devs = v;
	pthread_mutex_unlock(&vfio_devs_lock);
	*out = v;
	return 0;
}

static void vfio_dev_fini(struct qat_dev *dev)
{
	struct qat_vfio_dev *v = dev->priv, **pp;

	if (!v)
		return;
	pthread_mutex_lock(&vfio_devs_lock);
	for (pp = &vfio_devs; *pp && *pp != v; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = v->next;
	pthread_mutex_unlock(&vfio_devs_lock);
	if (v->fd >= 0)
		close(v->fd);
	if (v->grp)
		group_put(v->grp);
	pthread_mutex_destroy(&v->lock);
	free(v);
	dev->priv = NULL;
}

static int cfg_io(struct qat_dev *dev, unsigned int off, void *buf,
		  size_t len, int write)
{
	struct qat_vfio_dev *v = dev->priv;
	size_t done = 0;
	ssize_t n;
	int fd = vfio_fd(dev);

	if (fd < 0)
		return fd;
	/* Conventional PCI functions show 256 bytes: a range that starts
	 * inside moves the part inside, as dev.h promises. */
	if (off >= v->cfg_size)
		return -EINVAL;
	if (len > v->cfg_size - off)
		len = (size_t)(v->cfg_size - off);
	while (done < len) {
		off_t at = (off_t)(v->cfg_off + off + done);

		n = write ? pwrite(fd, (const char *)buf + done, len - done, at)
			  : pread(fd, (char *)buf + done, len - done, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (int)done : n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return (int)done;
}

static int vfio_cfg_read(struct qat_dev *dev, unsigned int off, void *buf,
			 size_t len)
{
	return cfg_io(dev, off, buf, len, 0);
}

static int vfio_cfg_write(struct qat_dev *dev, unsigned int off,
			  const void *buf, size_t len)
{
	return cfg_io(dev, off, (void *)buf, len, 1);
}

static int vfio_bar_info(struct qat_dev *dev, unsigned int bar,
			 uint64_t *size, uint32_t *flags)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = bar };
	uint32_t reg = 0;
	int fd = vfio_fd(dev);

	if (fd < 0)
		return fd;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	if (!ri.size)
		return -ENOENT; /* or the upper half of a 64-bit BAR */
	*size = ri.size;
	*flags = ri.flags & VFIO_REGION_INFO_FLAG_MMAP ? QAT_BAR_MMAP : 0;
	/* Memory BAR (bit 0 clear) of type 64-bit (bits 2:1 = 2). */
	if (cfg_io(dev, 0x10 + 4 * bar, &reg, 4, 0) == 4 && !(reg & 1) &&
	    ((reg >> 1) & 3) == 2)
		*flags |= QAT_BAR_MEM64;
	return 0;
}

/* Region info with its capability chain; free() the result. */
static int region_info(int fd, unsigned int index,
		       struct vfio_region_info **out)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri)), *big;
	uint32_t sz;
	int err;

	if (!ri)
		return -ENOMEM;
	*ri = (struct vfio_region_info){ .argsz = sizeof(*ri), .index = index };
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri))
		goto err;
	sz = ri->argsz;
	if (sz > sizeof(*ri)) {
		big = realloc(ri, sz);
		if (!big) {
			free(ri);
			return -ENOMEM;
		}
		ri = big;
		memset(ri, 0, sz);
		*ri = (struct vfio_region_info){ .argsz = sz, .index = index };
		if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri))
			goto err;
	}
	*out = ri;
	return 0;
err:
	err = errno;
	free(ri);
	return -err;
}

static const struct vfio_info_cap_header *
region_cap(const struct vfio_region_info *ri, uint16_t id)
{
	const struct vfio_info_cap_header *h;
	uint32_t off, hops;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return NULL;
	/* Bounded walk: the chain comes from the kernel, but a bad one must
	 * not send us round in circles. */
	for (off = ri->cap_offset, hops = 0; off && hops < 64; hops++) {
		if (off < sizeof(*ri) || off + sizeof(*h) > ri->argsz)
			return NULL;
		h = (const void *)((const char *)ri + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

/*
 * Map only the areas the kernel allows (older kernels keep the MSI-X
 * table out of reach) into a reservation of the whole BAR, so that BAR
 * offsets still work; the holes stay inaccessible.
 */
static int map_sparse(int fd, const struct vfio_region_info *ri,
		      const struct vfio_region_info_cap_sparse_mmap *sp,
		      int prot, void **addr)
{
	char *base;
	uint32_t i;
	int ret = 0;

	base = mmap(NULL, ri->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	for (i = 0; i < sp->nr_areas && !ret; i++) {
		const struct vfio_region_sparse_mmap_area *a = &sp->areas[i];

		if (!a->size)
			continue;
		if (a->offset > ri->size || a->size > ri->size - a->offset)
			ret = -EINVAL;
		else if (mmap(base + a->offset, a->size, prot,
			      MAP_SHARED | MAP_FIXED, fd,
			      (off_t)(ri->offset + a->offset)) == MAP_FAILED)
			ret = -errno;
	}
	if (ret) {
		munmap(base, ri->size);
		return ret;
	}
	*addr = base;
	return 0;
}

static int map_region(int fd, const struct vfio_region_info *ri, int writable,
		      void **addr)
{
	const struct vfio_info_cap_header *h;
	const struct vfio_region_info_cap_sparse_mmap *sp;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	size_t room;
	void *p;

	h = region_cap(ri, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (h && !region_cap(ri, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)) {
		sp = (const void *)h;
		room = ri->argsz - (size_t)((const char *)h - (const char *)ri);
		if (room < sizeof(*sp) ||
		    (room - sizeof(*sp)) / sizeof(sp->areas[0]) < sp->nr_areas)
			return -EINVAL;
		return map_sparse(fd, ri, sp, prot, addr);
	}
	p = mmap(NULL, ri->size, prot, MAP_SHARED, fd, (off_t)ri->offset);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

static int vfio_bar_map(struct qat_dev *dev, unsigned int bar, int writable,
			void **addr, size_t *len)
{
	struct vfio_region_info *ri = NULL;
	int fd = vfio_fd(dev), ret;

	if (fd < 0)
		return fd;
	ret = region_info(fd, bar, &ri);
	if (ret)
		return ret;
	if (!ri->size)
		ret = -ENOENT;
	else if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP))
		ret = -ENOTSUP;
	else if (writable && !(ri->flags & VFIO_REGION_INFO_FLAG_WRITE))
		ret = -EPERM;
	else if (ri->size > SIZE_MAX)
		ret = -EFBIG;
	else
		ret = map_region(fd, ri, writable, addr);
	if (!ret) {
		*len = (size_t)ri->size;
		__atomic_add_fetch(&((struct qat_vfio_dev *)dev->priv)->bar_maps,
				   1, __ATOMIC_RELAXED);
	}
	free(ri);
	return ret;
}

static int vfio_bar_unmap(struct qat_dev *dev, unsigned int bar, void *addr,
			  size_t len)
{
	struct qat_vfio_dev *v = dev->priv;

	if (munmap(addr, len))
		return -errno;
	__atomic_sub_fetch(&v->bar_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

/* VFIO says in the device flags whether it has a reset method for the
 * function (FLR, PM reset, a slot or bus reset it may do alone). */
static int vfio_reset_check(struct qat_dev *dev)
{
	struct qat_vfio_dev *v = dev->priv;
	int fd = vfio_fd(dev);

	if (fd < 0)
		return fd;
	return v->info.flags & VFIO_DEVICE_FLAGS_RESET ? 0 : -ENOTSUP;
}

static int vfio_reset(struct qat_dev *dev)
{
	int ret = vfio_reset_check(dev);

	if (ret)
		return ret;
	return ioctl(vfio_fd(dev), VFIO_DEVICE_RESET) ? -errno : 0;
}

static int vfio_irq_info(struct qat_dev *dev, unsigned int index,
			 struct qat_irq_info *info)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };
	struct qat_vfio_dev *v = dev->priv;
	int fd;

	if (index >= QAT_IRQ_NUM_INDEXES)
		return -EINVAL;
	fd = vfio_fd(dev);
	if (fd < 0)
		return fd;
	/* Older kernels stop before ERR or REQ: none of those vectors. */
	if (index >= v->info.num_irqs) {
		*info = (struct qat_irq_info){ 0 };
		return 0;
	}
	if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii))
		return -errno;
	info->flags = ii.flags & (QAT_IRQ_INFO_EVENTFD | QAT_IRQ_INFO_MASKABLE |
				  QAT_IRQ_INFO_AUTOMASKED |
				  QAT_IRQ_INFO_NORESIZE);
	info->count = ii.count;
	return 0;
}

/* What this process has set up on the device, for vfio_let_go_idle(): a
 * trigger bound enables the index, TRIGGER with no data and count 0
 * disables it. */
static void irq_track(struct qat_vfio_dev *v, uint32_t flags,
		      unsigned int index, unsigned int count)
{
	if (flags & QAT_IRQ_DATA_EVENTFD && count)
		__atomic_fetch_or(&v->irq_on, 1u << index, __ATOMIC_RELAXED);
	else if (flags & QAT_IRQ_DATA_NONE && !count)
		__atomic_fetch_and(&v->irq_on, ~(1u << index),
				   __ATOMIC_RELAXED);
}

static int vfio_irq_set(struct qat_dev *dev, uint32_t flags,
			unsigned int index, unsigned int start,
			unsigned int count, const void *data)
{
	struct vfio_irq_set *set;
	size_t elem = flags & QAT_IRQ_DATA_BOOL ? 1 :
		      flags & QAT_IRQ_DATA_EVENTFD ? sizeof(int32_t) : 0;
	size_t sz = sizeof(*set) + elem * count;
	int fd = vfio_fd(dev), ret;

	if (fd < 0)
		return fd;
	set = calloc(1, sz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)sz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (elem && count)
		memcpy(set->data, data, elem * count);
	ret = ioctl(fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	if (!ret && flags & QAT_IRQ_ACTION_TRIGGER)
		irq_track(dev->priv, flags, index, count);
	return ret;
}

static int vfio_dma_map(struct qat_dev *dev, void *vaddr, uint64_t iova,
			size_t len, uint32_t flags)
{
	struct qat_vfio_dev *v = dev->priv;
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = (flags & QAT_DMA_READ ? VFIO_DMA_MAP_FLAG_READ : 0) |
			 (flags & QAT_DMA_WRITE ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};
	int fd = vfio_fd(dev);

	if (fd < 0)
		return fd;
	if (ioctl(v->grp->container, VFIO_IOMMU_MAP_DMA, &m))
		return -errno;
	__atomic_add_fetch(&v->dma_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

static int vfio_dma_unmap(struct qat_dev *dev, uint64_t iova, size_t len)
{
	struct qat_vfio_dev *v = dev->priv;
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = iova, .size = len,
	};
	int fd = vfio_fd(dev);

	/* Given up at close: the container went, and its mappings. */
	if (fd == -ENODEV && v->closing)
		return 0;
	if (fd < 0)
		return fd;
	if (ioctl(v->grp->container, VFIO_IOMMU_UNMAP_DMA, &u))
		return -errno;
	if (!u.size)
		return -ENOENT; /* the kernel reports what it unmapped */
	__atomic_sub_fetch(&v->dma_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

static int vfio_hold(struct qat_dev *dev)
{
	int fd = vfio_fd(dev);

	return fd < 0 ? fd : 0;
}

/* The last claim went: close the group, unless something of this
 * process still goes through it (then qat_rt_close() closes it). */
static void vfio_let_go_idle(struct qat_dev *dev)
{
	struct qat_vfio_dev *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	if (__atomic_load_n(&v->bar_maps, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&v->dma_maps, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&v->irq_on, __ATOMIC_RELAXED)) {
		qat_info("%s: stays open in this process: BAR maps, "
			 "interrupts or DMA maps remain", v->addr);
	} else if (v->fd >= 0) {
		close(v->fd);
		v->fd = -1;
		group_put(v->grp);
		v->grp = NULL;
	}
	pthread_mutex_unlock(&v->lock);
}

/* Devices of one group share its container, hence its IOVA space. */
static const void *vfio_dma_space(struct qat_dev *dev, int *err)
{
	struct qat_vfio_dev *v = dev->priv;
	int fd = vfio_fd(dev);

	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	return v->grp;
}

const struct qat_backend_ops qat_vfio_ops = {
	.name = "vfio",
	.sharing = QAT_DEV_EXCLUSIVE, /* one process has a group open */
	.hold = vfio_hold,
	.let_go = vfio_let_go_idle,
	.probe = qat_pci_probe,
	.dev_fini = vfio_dev_fini,
	.bar_info = vfio_bar_info,
	.bar_map = vfio_bar_map,
	.bar_unmap = vfio_bar_unmap,
	.cfg_read = vfio_cfg_read,
	.cfg_write = vfio_cfg_write,
	.reset = vfio_reset,
	.reset_check = vfio_reset_check,
	.irq_info = vfio_irq_info,
	.irq_set = vfio_irq_set,
	.dma_map = vfio_dma_map,
	.dma_unmap = vfio_dma_unmap,
	.dma_space = vfio_dma_space,
	.dma_pins = true,
};
