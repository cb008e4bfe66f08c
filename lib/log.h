/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef QAT_LOG_H
#define QAT_LOG_H

#include "qat/common.h"

/* Format and pass one line to the application's log callback, if any
 * accepts `level`. Never prints. Keeps errno. */
void qat_log(enum qat_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define qat_err(...) qat_log(QAT_LOG_ERR, __VA_ARGS__)
#define qat_warn(...) qat_log(QAT_LOG_WARN, __VA_ARGS__)
#define qat_info(...) qat_log(QAT_LOG_INFO, __VA_ARGS__)
#define qat_dbg(...) qat_log(QAT_LOG_DEBUG, __VA_ARGS__)

#endif /* QAT_LOG_H */
