/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sysfs backend: real functions that are not ours to drive (bound to
 * the kernel QAT driver, to another driver, or to none), or bound to
 * vfio-pci but unreachable through VFIO. It offers read-only diagnostics:
 * BAR sizes, read-only BAR mappings through resourceN, and config space
 * reads. Nothing that could disturb the driver that owns the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci_priv.h"

/* Resource flags of the kernel (include/linux/ioport.h), as printed in
 * the third column of the sysfs "resource" file. */
#define IORESOURCE_IO     0x00000100ull
#define IORESOURCE_MEM    0x00000200ull
#define IORESOURCE_MEM_64 0x00100000ull

int qat_sysfs_bar_read(const char *dir, unsigned int bar, uint64_t *size,
		       uint32_t *flags)
{
	unsigned long long start, end, fl;
	char path[PATH_MAX], line[128];
	unsigned int i;
	int ret = -ENOENT;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/resource", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i <= bar; i++)
		if (!fgets(line, sizeof(line), f))
			goto out;
	if (sscanf(line, "%llx %llx %llx", &start, &end, &fl) != 3) {
		ret = -EINVAL;
		goto out;
	}
	/* Unimplemented BARs read "0x0 0x0 0x0". */
	if (!(fl & (IORESOURCE_IO | IORESOURCE_MEM)) || end < start ||
	    (!start && !end))
		goto out;
	*size = end - start + 1;
	*flags = (fl & IORESOURCE_MEM ? QAT_BAR_MMAP : 0) |
		 (fl & IORESOURCE_MEM_64 ? QAT_BAR_MEM64 : 0);
	ret = 0;
out:
	fclose(f);
	return ret;
}

/* The device's sysfs directory is all the state this backend needs. */
void *qat_sysfs_priv_new(const char *dir)
{
	return strdup(dir);
}

static void sysfs_dev_fini(struct qat_dev *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

/* pci.c enumerates once for both real backends from the vfio probe. */
static int sysfs_probe(struct qat_rt *rt)
{
	return 0;
}

static int sysfs_bar_info(struct qat_dev *dev, unsigned int bar,
			  uint64_t *size, uint32_t *flags)
{
	return qat_sysfs_bar_read(dev->priv, bar, size, flags);
}

static int sysfs_bar_map(struct qat_dev *dev, unsigned int bar, int writable,
			 void **addr, size_t *len)
{
	char path[PATH_MAX];
	uint64_t size;
	uint32_t flags;
	int fd, ret;
	void *p;

	if (writable)
		return -EPERM; /* the owning driver's registers stay its own */
	ret = qat_sysfs_bar_read(dev->priv, bar, &size, &flags);
	if (ret)
		return ret;
	if (!(flags & QAT_BAR_MMAP))
		return -ENOTSUP;
	if (size > SIZE_MAX)
		return -EFBIG;
	snprintf(path, sizeof(path), "%s/resource%u", (char *)dev->priv, bar);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/* Kernels that cannot mmap PCI resources do not create the file. */
	if (fd < 0)
		return errno == ENOENT ? -ENOTSUP : -errno;
	p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	ret = p == MAP_FAILED ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	*addr = p;
	*len = (size_t)size;
	return 0;
}

static int sysfs_bar_unmap(struct qat_dev *dev, unsigned int bar, void *addr,
			   size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

static ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
			  off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Without CAP_SYS_ADMIN the kernel shows only the first 64 bytes of config
 * space; a read that gets nothing inside the file's size is that, not a
 * bad offset.
 */
static int sysfs_cfg_read(struct qat_dev *dev, unsigned int off, void *buf,
			  size_t len)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/config", (char *)dev->priv);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread_full(fd, buf, len, off);
	if (n == 0)
		n = !fstat(fd, &st) && off >= st.st_size ? -EINVAL : -EACCES;
	close(fd);
	return (int)n;
}

static int sysfs_cfg_write(struct qat_dev *dev, unsigned int off,
			   const void *buf, size_t len)
{
	return -EPERM;
}

const struct qat_backend_ops qat_sysfs_ops = {
	.name = "sysfs",
	.sharing = QAT_DEV_SHARED, /* the kernel driver's model */
	.probe = sysfs_probe,
	.dev_fini = sysfs_dev_fini,
	.bar_info = sysfs_bar_info,
	.bar_map = sysfs_bar_map,
	.bar_unmap = sysfs_bar_unmap,
	.cfg_read = sysfs_cfg_read,
	.cfg_write = sysfs_cfg_write,
};
