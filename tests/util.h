/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the Check suites. */
#ifndef QAT_TEST_UTIL_H
#define QAT_TEST_UTIL_H

#include <check.h>
#include <qat/qatrt.h>

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the path. */
char *qt_tmpdir(void);
/* Write `text` to dir/name, creating or truncating it. */
void qt_write(const char *dir, const char *name, const char *text);
/* Remove a directory tree made by qt_tmpdir(). */
void qt_rmtree(const char *dir);

/*
 * Write a simulated device configuration dir/<type>_dev<id>.conf:
 * [GENERAL] with SimDevice = type plus `general` (extra "key = value\n"
 * lines, may be NULL), then `sections` verbatim (may be NULL).
 */
void qt_sim_conf(const char *dir, const char *type, unsigned int id,
		 const char *general, const char *sections);

/*
 * Open a runtime on `config` with only simulated devices and a registry
 * private to this test (under the same directory). Fails the test on error.
 */
struct qat_rt *qt_rt_open(const char *config);
/* The same, returning the error instead. */
int qt_rt_try_open(const char *config, struct qat_rt **out);

#endif
