/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by PCI enumeration (pci.c) and the two backends of real devices,
 * sysfs (sysfs.c) and vfio (vfio.c).
 */
#ifndef QAT_PCI_PRIV_H
#define QAT_PCI_PRIV_H

#include "internal.h"

#define QAT_PCI_DEFAULT_SYSFS "/sys/bus/pci"
#define QAT_PCI_DEFAULT_VFIO "/dev/vfio"

/* Internal sections per base section of a device whose type we do not
 * know (an id added by options or configuration). The section search
 * stops at the first missing section, so the configuration's
 * NumProcesses is the real bound; MaxProcesses overrides this. */
#define QAT_PCI_UNKNOWN_MAX_PROCESSES 64

/*
 * Where PCI devices appear in sysfs ("<root>/devices/<addr>/...") and
 * where the VFIO container and group nodes live. The defaults are the
 * kernel's; tests point both at a fake tree.
 */
const char *qat_pci_sysfs_root(void);
const char *qat_pci_vfio_dir(void);

/*
 * Tests only: enumerate under `sysfs_root` (a directory holding
 * "devices/") and look for VFIO nodes in `vfio_dir`. NULL restores a
 * default. Not thread-safe: call it before qat_rt_open(), not during.
 */
void qat_pci_test_set_paths(const char *sysfs_root, const char *vfio_dir);

/* Read a small sysfs attribute into buf (NUL-terminated, trailing newline
 * dropped). Returns its length or a negative errno. */
int qat_pci_read_attr(const char *dir, const char *name, char *buf,
		      size_t size);

/* The last path component of the symlink dir/name (e.g. the driver a
 * device is bound to). Returns its length or a negative errno. */
int qat_pci_link_base(const char *dir, const char *name, char *buf,
		      size_t size);

/*
 * BAR `bar` of a device from the sysfs "resource" file of its directory
 * `dir`: size in bytes and QAT_BAR_* flags. Returns 0, -ENOENT when the
 * BAR is not implemented, or another negative errno.
 */
int qat_sysfs_bar_read(const char *dir, unsigned int bar, uint64_t *size,
		       uint32_t *flags);

/* The sysfs backend's per-device state for the device directory `dir`;
 * NULL when out of memory. Freed by its dev_fini. */
void *qat_sysfs_priv_new(const char *dir);

/*
 * The vfio backend's per-device state for the function at `addr` whose
 * sysfs directory is `dir`. Only checks that the device's IOMMU group
 * and the VFIO nodes exist and are accessible; the group is opened when
 * the device is first used. Returns 0, or a negative errno (logged at
 * debug level) after which the caller may list the device through sysfs.
 */
int qat_vfio_priv_new(const char *dir, const char *addr, void **out);

/* Enumerate real devices and add each with the backend its driver binding
 * selects. The probe of the vfio backend; honours QAT_RT_NO_PCI. */
int qat_pci_probe(struct qat_rt *rt);

#endif /* QAT_PCI_PRIV_H */
