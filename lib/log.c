/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging through the application's callback; silent by default. When the
 * application installed none, $QATRT_LOG=error|warn|info|debug sends lines
 * to stderr instead: a user chasing an error can see the library's
 * reasons without rebuilding the application.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The callback, its argument and level change together, so they sit
 * behind one lock; logging is off the hot paths. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static qat_log_fn log_fn;
static void *log_arg;
static enum qat_log_level log_max = QAT_LOG_INFO;

/* $QATRT_LOG, read once per process; 0 is off. */
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static int env_level;

static const struct {
	const char *name;
	enum qat_log_level level;
} level_names[] = {
	{ "error", QAT_LOG_ERR },
	{ "warn", QAT_LOG_WARN },
	{ "info", QAT_LOG_INFO },
	{ "debug", QAT_LOG_DEBUG },
};

static const char *level_name(enum qat_log_level level)
{
	size_t i;

	for (i = 0; i < QAT_ARRAY_SIZE(level_names); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "log";
}

/* secure_getenv: a set-id program must not be made to print by whoever
 * runs it. An unknown value is off, as unset. */
static void env_read(void)
{
	const char *v = secure_getenv("QATRT_LOG");
	size_t i;

	for (i = 0; v && i < QAT_ARRAY_SIZE(level_names); i++)
		if (!strcmp(v, level_names[i].name))
			env_level = (int)level_names[i].level;
}

QAT_API void qat_set_log_fn(qat_log_fn fn, void *arg,
			    enum qat_log_level max_level)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = arg;
	log_max = max_level;
	pthread_mutex_unlock(&log_lock);
}

/* One write(2) per line, so that lines of several threads or processes
 * sharing stderr do not interleave. */
static void log_stderr(enum qat_log_level level, const char *msg)
{
	char out[600];
	int n = snprintf(out, sizeof(out), "libqatrt: %s: %s\n",
			 level_name(level), msg);

	if (n > (int)sizeof(out) - 1) { /* cut, but still one line */
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (n > 0 && write(STDERR_FILENO, out, (size_t)n) < 0)
		return; /* nowhere left to report it */
}

void qat_log(enum qat_log_level level, const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	va_list ap;

	pthread_once(&env_once, env_read);
	pthread_mutex_lock(&log_lock);
	if (log_fn ? level <= log_max : (int)level <= env_level) {
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		if (log_fn)
			log_fn(level, line, log_arg);
		else
			log_stderr(level, line);
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}
