/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the benchmarks: the clock, sorting and order
 * statistics, the output lines, and a simulated runtime in a temporary
 * directory.
 *
 * Every benchmark prints its results as `name: value unit` (bench_value)
 * and `name: ratio X.XX (ours/baseline)` (bench_ratio), or, for a figure
 * that could not be measured, `name: not measured (why)` (bench_missing);
 * those lines are what readers and scripts rely on. Every name is unique.
 */
#ifndef QAT_BENCH_H
#define QAT_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qat/qatrt.h>

/* CLOCK_MONOTONIC in ns. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* `prog: what: strerror(err)` on stderr, then exit(1). */
static inline void bench_die(const char *prog, const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	exit(1);
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort v ascending (callers index into it for order statistics). */
static inline void bench_sort_u64(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
}

/* The median of v (sorted in place); the mean of the middle two for even n. */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The p-th quantile (0..1) of v, sorted in place: v[floor(p * (n - 1))]. */
static inline double bench_pct(uint64_t *v, size_t n, double p)
{
	bench_sort_u64(v, n);
	return (double)v[(size_t)(p * (double)(n - 1))];
}

/* `name: value unit`, value with `prec` digits after the point. */
static inline void bench_value(const char *name, int prec, double value,
			       const char *unit)
{
	printf("%s: %.*f %s\n", name, prec, value, unit);
}

/* `name: ratio X.XX (ours/baseline)`, with at least three significant
 * digits (0.0044 prints as 0.00440, not 0.00). */
static inline void bench_ratio(const char *name, double ours, double base)
{
	double r = ours / base, m;
	int prec = 2;

	if (r > 0 && r < 1)
		for (prec = 3, m = r; m < 0.1 && prec < 9; m *= 10)
			prec++;
	printf("%s: ratio %.*f (ours/baseline)\n", name, prec, r);
}

/* `name: not measured (why)`: a figure that dropped out says so. */
static inline void bench_missing(const char *name, const char *why)
{
	printf("%s: not measured (%s)\n", name, why);
}

/* Write `text` to path, creating or truncating it: 0 or -errno. */
static inline int bench_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return 0;
}

/*
 * Open a runtime on `config` (a file or a directory) with simulated
 * devices only and its registry at dir/registry. Returns the error.
 */
static inline int bench_rt_open(const char *config, const char *dir,
				struct qat_rt **rt)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	char reg[4096];

	snprintf(reg, sizeof(reg), "%s/registry", dir);
	o.config_path = config;
	o.registry_path = reg;
	return qat_rt_open(&o, rt);
}

/* bench_rt_open(), or exit(1) saying why. */
static inline struct qat_rt *bench_rt_must_open(const char *prog,
						const char *config,
						const char *dir)
{
	struct qat_rt *rt;
	int ret = bench_rt_open(config, dir, &rt);

	if (ret)
		bench_die(prog, "qat_rt_open", -ret);
	return rt;
}

/* Remove the temporary directory `dir` and all in it. */
static inline void bench_rmtree(const char *prog, const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "%s: could not remove %s\n", prog, dir);
}

#endif
