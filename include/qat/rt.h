/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The runtime: where configuration comes from, device discovery, and the
 * host-wide shared registry that the process and state APIs use.
 */
#ifndef QAT_RT_H
#define QAT_RT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* qat_rt_opts.flags */
#define QAT_RT_NO_PCI  (1u << 0) /* do not enumerate real PCI devices */
#define QAT_RT_NO_SIM  (1u << 1) /* ignore simulated device declarations */
/* The registry is shared by the group registry_gid (see below). */
#define QAT_RT_REGISTRY_GROUP (1u << 2)
#define QAT_RT_FLAGS_ALL (QAT_RT_NO_PCI | QAT_RT_NO_SIM | QAT_RT_REGISTRY_GROUP)

/* Default configuration directory, used when neither the options nor
 * $QATRT_CONFIG name one (an empty value counts as none). */
#define QAT_RT_DEFAULT_CONFIG "/etc/qatrt/"
/* Default registry path, used when neither the options nor
 * $QATRT_REGISTRY name one and QAT_RT_SHARED_DIR does not exist. */
#define QAT_RT_DEFAULT_REGISTRY "/dev/shm/qatrt"
/*
 * The host-wide shared registry. When the directory QAT_RT_SHARED_DIR
 * exists (the packages create it at boot: group qat, mode 2770) and
 * neither the options nor $QATRT_REGISTRY name a registry, the registry
 * is QAT_RT_SHARED_REGISTRY and files this process creates get mode 0660
 * (unless registry_mode says otherwise), so that every member of the
 * directory's group shares claims and events. Users outside the group
 * get -EACCES from the first call that uses the registry.
 */
#define QAT_RT_SHARED_DIR "/run/qatrt"
#define QAT_RT_SHARED_REGISTRY "/run/qatrt/registry"

struct qat_rt_opts {
	size_t sz;               /* sizeof(struct qat_rt_opts) */
	/*
	 * A device configuration file (".conf" or ".json") or a directory of
	 * them. In a directory, files named "<anything>_dev<N>.conf" or
	 * "<anything>_dev<N>.json" configure the device with accel id N;
	 * other files are ignored. Only regular files (or links to them)
	 * are read: a FIFO, socket or directory with such a name is skipped
	 * with a warning. NULL: $QATRT_CONFIG, else QAT_RT_DEFAULT_CONFIG.
	 * A missing default directory means no configuration; a missing
	 * path that was asked for is -ENOENT. Where configuration was looked
	 * for and each file loaded are logged at QAT_LOG_INFO.
	 */
	const char *config_path;
	/*
	 * Base path of the host-wide shared registry. Every process that
	 * should see the same claims and events uses the same path. NULL:
	 * $QATRT_REGISTRY, else QAT_RT_SHARED_REGISTRY when QAT_RT_SHARED_DIR
	 * exists (as if QAT_RT_REGISTRY_GROUP named that directory's group),
	 * else QAT_RT_DEFAULT_REGISTRY. The files are made
	 * on first use; a directory that does not exist then is reported
	 * as such (-ENOENT from the call that needed them, and a log line
	 * naming the path).
	 *
	 * What is trusted: the registry files ("<path>.proc", "<path>.state"
	 * and the lock files and wakeup sockets beside them) steer claims
	 * and events, so they are used only when no one outside the set of
	 * processes meant to share them could have written them. A file is
	 * refused (-EPERM, with a log line saying why) when it is not a
	 * regular file (or not a socket, for a wakeup address), is a symlink
	 * (-ELOOP), is writable by others, is owned by a user other than the
	 * caller or root, or is group-writable by a group the caller is not
	 * in. With QAT_RT_REGISTRY_GROUP, the owner may be any user, but the
	 * file's group must be registry_gid and its mode must give others
	 * nothing. The directory itself is not checked: put the registry in
	 * a directory only the sharing users can write, or rely on the
	 * sticky bit of /dev/shm (which keeps others from replacing files).
	 * The contents are then treated as written by a peer that may have
	 * crashed or be buggy: every index is bounds-checked and every wait
	 * on a lock in them is bounded.
	 */
	const char *registry_path;
	/* File mode for a registry this process creates; 0 means 0600
	 * (0660 with QAT_RT_REGISTRY_GROUP, and for the shared registry
	 * under QAT_RT_SHARED_DIR). */
	unsigned int registry_mode;
	unsigned int flags;      /* QAT_RT_* */
	/*
	 * Extra PCI ids to treat as accelerators, "vvvv:dddd[,vvvv:dddd...]"
	 * (1 to 4 hex digits each, no spaces). NULL: only the built-in QAT
	 * ids of every generation. A real-device configuration (one without
	 * SimDevice) adds ids the same way with "[GENERAL] PciId = vvvv:dddd".
	 * Checked even with QAT_RT_NO_PCI; a malformed list is -EINVAL.
	 */
	const char *pci_ids;
	/*
	 * With QAT_RT_REGISTRY_GROUP: the group that shares the registry.
	 * Files this process creates are given to it (the caller must be a
	 * member); files it opens must belong to it. Ignored without the
	 * flag.
	 */
	unsigned int registry_gid;
};

/*
 * Open a runtime: load configuration and discover devices through every
 * backend. `opts` may be NULL.
 *
 * Real devices (unless QAT_RT_NO_PCI) are the PCI functions with a known
 * QAT id or an extra id; sorted by PCI address they get accel ids 0, 1,
 * 2, ..., and "<x>_dev<N>.conf" configures the N-th. Those bound to
 * vfio-pci use the vfio backend (the IOMMU group is opened on first use,
 * not here); the others, and vfio-pci ones whose group nodes are missing
 * or inaccessible (logged as a warning), are listed through the read-only
 * sysfs backend. Unreadable PCI sysfs means no real devices, not an error.
 *
 * Returns 0, -EINVAL for bad options (unknown flags, or an sz smaller than
 * the sz field or ending inside a field), -ENOENT for a configuration path
 * that does not exist, a configuration error (see qat_cfg_load()), or
 * -EEXIST when two configurations claim the same accel id, or a simulated
 * device declares the accel id of a real one (renumber it, or pass
 * QAT_RT_NO_PCI).
 */
QAT_API int qat_rt_open(const struct qat_rt_opts *opts, struct qat_rt **out);

/* Close a runtime; releases everything it owns. NULL is fine. Not
 * thread-safe with other calls on the same runtime. */
QAT_API void qat_rt_close(struct qat_rt *rt);

/* The resolved registry base path. Valid while `rt` lives. */
QAT_API const char *qat_rt_registry_path(const struct qat_rt *rt);

#ifdef __cplusplus
}
#endif

#endif /* QAT_RT_H */
