/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the Check suites. */
#ifndef QAT_TEST_UTIL_H
#define QAT_TEST_UTIL_H

#include <check.h>
#include <sys/types.h>
#include <qat/qatrt.h>

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the path. */
char *qt_tmpdir(void);
/* Write `text` to dir/name, creating or truncating it. */
void qt_write(const char *dir, const char *name, const char *text);
/* Remove a directory tree made by qt_tmpdir(). */
void qt_rmtree(const char *dir);
/* qt_rmtree(), then free the path (NULL is fine). */
void qt_tmpdir_free(char *dir);

/*
 * The checked fixture most suites use: qt_dir_setup() makes qt_dir a fresh
 * qt_tmpdir(), qt_dir_teardown() removes and frees it.
 */
extern char *qt_dir;
void qt_dir_setup(void);
void qt_dir_teardown(void);

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
/* The same with the registry at `registry` (e.g. another test's). */
int qt_rt_try_open_reg(const char *config, const char *registry,
		       struct qat_rt **out);

/* Device i of rt; fails the test when there is none. */
struct qat_dev *qt_dev_at(struct qat_rt *rt, unsigned int i);

/*
 * "Untouched on failure": preset an out-pointer to QT_SENTINEL (not NULL,
 * which a failing call might well write) and check it afterwards.
 */
extern char qt_sentinel_obj;
#define QT_SENTINEL ((void *)&qt_sentinel_obj)
#define qt_assert_untouched(p)                                             \
	ck_assert_msg((const void *)(p) == QT_SENTINEL,                    \
		      "%s written by a call that failed", #p)

/* Wait for child pid: its exit status, 128 + signal, or -1 on error. */
int qt_reap(pid_t pid);

#endif
