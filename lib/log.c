/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging through the application's callback; silent by default. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* The callback, its argument and level change together, so they sit
 * behind one lock; logging is off the hot paths. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static qat_log_fn log_fn;
static void *log_arg;
static enum qat_log_level log_max = QAT_LOG_INFO;

QAT_API void qat_set_log_fn(qat_log_fn fn, void *arg,
			    enum qat_log_level max_level)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = arg;
	log_max = max_level;
	pthread_mutex_unlock(&log_lock);
}

void qat_log(enum qat_log_level level, const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	va_list ap;

	pthread_mutex_lock(&log_lock);
	if (log_fn && level <= log_max) {
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		log_fn(level, line, log_arg);
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}
