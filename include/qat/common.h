/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libqatrt common definitions: export macro, opaque handles, logging and
 * error strings.
 *
 * Conventions for every libqatrt function:
 *   - 0, or a non-negative count, on success; a negative errno on failure.
 *   - Constructors fill a `**out` and leave it untouched on failure.
 *   - Out-parameters are required: a NULL one is -EINVAL and nothing is
 *     done, unless the function's description says that it may be NULL
 *     (qat_cfg_load()'s `err`, qat_state_lost()'s counts, qat_proc_list()'s
 *     `claims` when `max` is 0, qat_version()'s parts). Nothing is written through them on
 *     failure.
 *   - Release functions accept NULL.
 *   - Options structs start with `size_t sz` (set it to sizeof the struct
 *     you compiled against); NULL options mean defaults; unknown flag bits
 *     are -EINVAL, and so is an `sz` that is smaller than `sz` itself or
 *     ends inside a field.
 *   - The library never prints and never exits; it logs through the
 *     function set with qat_set_log_fn(). Without one it is silent, unless
 *     the environment has QATRT_LOG=error|warn|info|debug: then lines of
 *     that level and more severe go to stderr, prefixed "libqatrt: ".
 *     Every failure that is logged names what failed (file, section,
 *     device).
 */
#ifndef QAT_COMMON_H
#define QAT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define QAT_API __attribute__((visibility("default")))
#else
#define QAT_API
#endif

/* Opaque handles. */
struct qat_rt;   /* a runtime: configuration, devices, shared registry */
struct qat_dev;  /* one accelerator device, owned by its runtime */
struct qat_cfg;  /* one parsed, expanded device configuration */

enum qat_log_level {
	QAT_LOG_ERR = 3,
	QAT_LOG_WARN = 4,
	QAT_LOG_INFO = 6,
	QAT_LOG_DEBUG = 7,
};

/*
 * Log callback. `msg` is one line without a trailing newline; it is only
 * valid during the call. May be called from any thread, including the
 * library's interrupt dispatch thread.
 */
typedef void (*qat_log_fn)(enum qat_log_level level, const char *msg,
			   void *arg);

/*
 * Set the process-wide log callback and the most verbose level passed to
 * it. fn NULL restores the default: silent, or stderr as $QATRT_LOG says
 * (read once, at the first line logged). Thread-safe.
 */
QAT_API void qat_set_log_fn(qat_log_fn fn, void *arg,
			    enum qat_log_level max_level);

/*
 * Describe an error returned by this library. `err` may be negative (as
 * returned) or positive. Returns a static string; never NULL.
 */
QAT_API const char *qat_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* QAT_COMMON_H */
