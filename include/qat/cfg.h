/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device configuration: QAT .conf files and the same content as JSON.
 *
 * A configuration is a set of sections, each a set of key/value strings.
 * Loading expands every user section that has `NumProcesses = N` into N
 * internal sections ("<S>_INT_<n>", or "<S>_DEV<accel>_INT_<n>" when the
 * section has a non-zero LimitDevAccess), as the QAT drivers do. Sections
 * GENERAL, KERNEL, INLINE, SIOV and Accelerator* are not user sections.
 *
 * A loaded configuration is immutable; lookups are thread-safe.
 */
#ifndef QAT_CFG_H
#define QAT_CFG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest section name, key or value, in bytes, terminator included. */
#define QAT_CFG_MAX_SECTION_LEN 128
#define QAT_CFG_MAX_KEY_LEN 128
#define QAT_CFG_MAX_VAL_LEN 128

enum qat_cfg_format {
	QAT_CFG_FMT_AUTO = 0, /* by file name: ".json" is JSON, else .conf */
	QAT_CFG_FMT_CONF = 1,
	QAT_CFG_FMT_JSON = 2,
};

/* Where and why a load failed. */
struct qat_cfg_error {
	char file[256];   /* the file (or name) that failed */
	unsigned int line; /* 1-based; 0 when not tied to a place */
	unsigned int column; /* 1-based; 0 when not tied to a place */
	char msg[256];    /* what is wrong, one line */
};

/*
 * Load and expand one device configuration from `path`.
 * `accel_id` is the device's accelerator number, used for
 * "<S>_DEV<accel>_INT_<n>" names. `err` may be NULL; when given it is
 * filled on failure. The error is also logged at QAT_LOG_ERR.
 * Returns 0, or -ENOENT/-EACCES/... from opening the file, -EISDIR for a
 * directory, -EINVAL for a path that is not a regular file (a FIFO is
 * opened without blocking, then refused) or a malformed file, -ERANGE for a number out of range, -E2BIG for a
 * name or value that is too long, -ENOMEM.
 *
 * Both formats share one set of rules (qat_cfg_load(3) has them all):
 * section names are [A-Za-z0-9_], keys [A-Za-z0-9_.-], values printable
 * ASCII and tab, each at most 127 bytes. JSON values are strings or
 * integers 0..2^63-1 (stored as decimal strings). NumProcesses is 1..4096.
 * Inputs above 16 MiB are -EFBIG. `err` is cleared first; line and column
 * are 0 for errors without a place (such as a JSON value of a wrong type).
 */
QAT_API int qat_cfg_load(const char *path, enum qat_cfg_format fmt,
			 unsigned int accel_id, struct qat_cfg **out,
			 struct qat_cfg_error *err);

/* The same, from memory. `name` (may be NULL) is used in error messages
 * and by QAT_CFG_FMT_AUTO; `buf` need not be NUL-terminated and is never
 * read past `len`. */
QAT_API int qat_cfg_load_mem(const char *name, const void *buf, size_t len,
			     enum qat_cfg_format fmt, unsigned int accel_id,
			     struct qat_cfg **out, struct qat_cfg_error *err);

QAT_API void qat_cfg_free(struct qat_cfg *cfg);

/*
 * Look up `key` in `section`. *val points into the configuration and lives
 * as long as it. Returns 0, or -ENOENT when the section or key is absent.
 */
QAT_API int qat_cfg_get_str(const struct qat_cfg *cfg, const char *section,
			    const char *key, const char **val);

/*
 * Look up an unsigned number (decimal, or hex with 0x). Returns 0,
 * -ENOENT when absent, -EINVAL when the value is not a number, -ERANGE
 * when it does not fit in 64 bits.
 */
QAT_API int qat_cfg_get_u64(const struct qat_cfg *cfg, const char *section,
			    const char *key, uint64_t *val);

/* 1 if `section` exists, 0 if not. */
QAT_API int qat_cfg_has_section(const struct qat_cfg *cfg,
				const char *section);

/* Number of sections, and the name of section i (in file order, internal
 * sections right after their base). Name is NULL when i is out of range. */
QAT_API int qat_cfg_section_count(const struct qat_cfg *cfg);
QAT_API const char *qat_cfg_section_name(const struct qat_cfg *cfg,
					 unsigned int i);

/*
 * Render the expanded configuration as a JSON object of objects.
 * *out is a malloc'd NUL-terminated string the caller frees.
 */
QAT_API int qat_cfg_dump_json(const struct qat_cfg *cfg, char **out);

#ifdef __cplusplus
}
#endif

#endif /* QAT_CFG_H */
