/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration benchmark: 64 device configurations, each [GENERAL] plus
 * an [SSL] section with NumProcesses = 64 and 4 crypto instances.
 *
 *   parse only (no NumProcesses) .conf vs  memchr over the same bytes
 *   parse + expand of all 64 (.conf)   vs  parse only: what expansion costs
 *   parse + expand of all 64 (JSON)    vs  jansson's json_loadb alone
 *   lookup of an existing key          vs  a linear scan of the same data
 *
 * Medians of several repetitions; output is `name: value unit` and
 * `name: ratio X.XX (ours/baseline)`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "qat/cfg.h"
#include "bench.h"

#define NDEV 64
#define NPROC 64
#define NINST 4
#define REPS 15
#define NLOOKUP 4096
#define LOOKUP_ROUNDS 50

struct text {
	char *p;
	size_t len;
};

static volatile uintptr_t sink;

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- generated input ---------------------------------------------------- */

/* expand 0 leaves NumProcesses out: the same text, nothing to expand. */
static void gen_conf(struct text *t, int dev, int expand)
{
	size_t cap = 4096, off = 0;
	int i;

	t->p = xmalloc(cap);
	off += (size_t)snprintf(t->p + off, cap - off,
		"# generated device %d\n[GENERAL]\nServicesEnabled = cy\n"
		"ConfigVersion = 2\nMaxProcesses = %d\n\n[SSL]\n"
		"NumberCyInstances = %d\nNumberDcInstances = 0\n"
		"%s = %d\nLimitDevAccess = 0\n", dev, NPROC, NINST,
		expand ? "NumProcesses" : "NumProcessez", NPROC);
	for (i = 0; i < NINST; i++)
		off += (size_t)snprintf(t->p + off, cap - off,
			"Cy%dName = \"SSL%d_%d\"\nCy%dIsPolled = 1\n"
			"Cy%dCoreAffinity = %d-%d,%d\n", i, dev, i, i, i,
			i * 8, i * 8 + 7, 32 + dev % 16);
	t->len = off;
}

static void gen_json(struct text *t, int dev)
{
	size_t cap = 4096, off = 0;
	int i;

	t->p = xmalloc(cap);
	off += (size_t)snprintf(t->p + off, cap - off,
		"{\"GENERAL\": {\"ServicesEnabled\": \"cy\", "
		"\"ConfigVersion\": 2, \"MaxProcesses\": %d},\n\"SSL\": {"
		"\"NumberCyInstances\": %d, \"NumberDcInstances\": 0, "
		"\"NumProcesses\": %d, \"LimitDevAccess\": 0", NPROC, NINST,
		NPROC);
	for (i = 0; i < NINST; i++)
		off += (size_t)snprintf(t->p + off, cap - off,
			",\n\"Cy%dName\": \"SSL%d_%d\", \"Cy%dIsPolled\": 1, "
			"\"Cy%dCoreAffinity\": \"%d-%d,%d\"", i, dev, i, i, i,
			i * 8, i * 8 + 7, 32 + dev % 16);
	off += (size_t)snprintf(t->p + off, cap - off, "}}\n");
	t->len = off;
}

/* ---- parse -------------------------------------------------------------- */

static double time_load(const struct text *t, enum qat_cfg_format fmt,
			struct qat_cfg **cfgs)
{
	uint64_t t0 = bench_now_ns();
	int d;

	for (d = 0; d < NDEV; d++)
		if (qat_cfg_load_mem("bench", t[d].p, t[d].len, fmt,
				     (unsigned int)d, &cfgs[d], NULL)) {
			fprintf(stderr, "load of device %d failed\n", d);
			exit(1);
		}
	return (double)(bench_now_ns() - t0);
}

static double time_memchr(const struct text *t)
{
	uint64_t t0 = bench_now_ns();
	size_t lines = 0, off;
	const char *nl;
	int d;

	for (d = 0; d < NDEV; d++)
		for (off = 0; off < t[d].len; off = (size_t)(nl - t[d].p) + 1) {
			nl = memchr(t[d].p + off, '\n', t[d].len - off);
			if (!nl)
				break;
			lines++;
		}
	sink = lines;
	return (double)(bench_now_ns() - t0);
}

static double time_jansson(const struct text *t)
{
	uint64_t t0 = bench_now_ns();
	json_t *j;
	int d;

	for (d = 0; d < NDEV; d++) {
		j = json_loadb(t[d].p, t[d].len, JSON_REJECT_DUPLICATES, NULL);
		if (!j)
			exit(1);
		sink = (uintptr_t)j;
		json_decref(j);
	}
	return (double)(bench_now_ns() - t0);
}

static void free_all(struct qat_cfg **cfgs)
{
	int d;

	for (d = 0; d < NDEV; d++)
		qat_cfg_free(cfgs[d]);
}

static void bench_parse(const struct text *conf, const struct text *flat,
			const struct text *json)
{
	double ours[REPS], floor_[REPS], ourj[REPS], peer[REPS], only[REPS];
	double a, b, c, e, f;
	struct qat_cfg *cfgs[NDEV];
	int r;

	for (r = 0; r < REPS; r++) {
		ours[r] = time_load(conf, QAT_CFG_FMT_CONF, cfgs);
		free_all(cfgs);
		only[r] = time_load(flat, QAT_CFG_FMT_CONF, cfgs);
		free_all(cfgs);
		floor_[r] = time_memchr(flat);
		ourj[r] = time_load(json, QAT_CFG_FMT_JSON, cfgs);
		free_all(cfgs);
		peer[r] = time_jansson(json);
	}
	a = bench_median(ours, REPS);
	b = bench_median(floor_, REPS);
	c = bench_median(ourj, REPS);
	e = bench_median(peer, REPS);
	f = bench_median(only, REPS);
	bench_value("cfg_parse_only_conf_64dev", 1, f / 1e3, "us");
	bench_value("cfg_memchr_floor_64dev", 1, b / 1e3, "us");
	bench_ratio("cfg_parse_vs_memchr", f, b);
	bench_value("cfg_parse_expand_conf_64dev", 1, a / 1e3, "us");
	bench_value("cfg_parse_expand_conf_per_dev", 2, a / 1e3 / NDEV, "us");
	bench_ratio("cfg_expand_vs_parse_only", a, f);
	bench_value("cfg_parse_expand_json_64dev", 1, c / 1e3, "us");
	bench_value("cfg_jansson_only_64dev", 1, e / 1e3, "us");
	bench_ratio("cfg_json_vs_jansson", c, e);
}

/* ---- lookups ---------------------------------------------------------- */

/* The naive model: sections in a list, keys in a list, strcmp along. */
struct lin_kv {
	const char *key;
	const char *val;
};

struct lin_sec {
	const char *name;
	struct lin_kv *kv;
	size_t nkv;
};

struct lin_cfg {
	struct lin_sec *sec;
	size_t nsec;
	json_t *root;  /* owns the strings */
};

static void lin_build(struct lin_cfg *l, const struct qat_cfg *cfg)
{
	const char *name, *key;
	json_t *sec, *v;
	char *dump;
	size_t i = 0, k;

	if (qat_cfg_dump_json(cfg, &dump))
		exit(1);
	l->root = json_loads(dump, 0, NULL);
	free(dump);
	if (!l->root)
		exit(1);
	l->nsec = json_object_size(l->root);
	l->sec = xmalloc(l->nsec * sizeof(*l->sec));
	json_object_foreach(l->root, name, sec) {
		l->sec[i].name = name;
		l->sec[i].nkv = json_object_size(sec);
		l->sec[i].kv = xmalloc(l->sec[i].nkv * sizeof(struct lin_kv));
		k = 0;
		json_object_foreach(sec, key, v) {
			l->sec[i].kv[k].key = key;
			l->sec[i].kv[k++].val = json_string_value(v);
		}
		i++;
	}
}

static const char *lin_get(const struct lin_cfg *l, const char *sec,
			   const char *key)
{
	size_t i, k;

	for (i = 0; i < l->nsec; i++) {
		if (strcmp(l->sec[i].name, sec))
			continue;
		for (k = 0; k < l->sec[i].nkv; k++)
			if (!strcmp(l->sec[i].kv[k].key, key))
				return l->sec[i].kv[k].val;
		return NULL;
	}
	return NULL;
}

static void lin_free(struct lin_cfg *l)
{
	size_t i;

	for (i = 0; i < l->nsec; i++)
		free(l->sec[i].kv);
	free(l->sec);
	json_decref(l->root);
}

struct query {
	char sec[32];
	char key[32];
};

static void make_queries(struct query *q)
{
	static const char *const fields[] = { "Name", "IsPolled",
					      "CoreAffinity" };
	uint64_t x = 0x2545f4914f6cdd1dull;
	int i;

	for (i = 0; i < NLOOKUP; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 16 == 0) {
			snprintf(q[i].sec, sizeof(q[i].sec), "GENERAL");
			snprintf(q[i].key, sizeof(q[i].key), "ConfigVersion");
			continue;
		}
		snprintf(q[i].sec, sizeof(q[i].sec), "SSL_INT_%u",
			 (unsigned int)(x >> 8) % NPROC);
		snprintf(q[i].key, sizeof(q[i].key), "Cy%u%s",
			 (unsigned int)(x >> 20) % NINST,
			 fields[(x >> 32) % 3]);
	}
}

static double time_ours(const struct qat_cfg *cfg, const struct query *q)
{
	uint64_t t0 = bench_now_ns();
	const char *v;
	int r, i;

	for (r = 0; r < LOOKUP_ROUNDS; r++)
		for (i = 0; i < NLOOKUP; i++) {
			if (qat_cfg_get_str(cfg, q[i].sec, q[i].key, &v))
				exit(1);
			sink = (uintptr_t)v;
		}
	return (double)(bench_now_ns() - t0) / (LOOKUP_ROUNDS * NLOOKUP);
}

static double time_linear(const struct lin_cfg *l, const struct query *q)
{
	uint64_t t0 = bench_now_ns();
	const char *v;
	int r, i;

	for (r = 0; r < LOOKUP_ROUNDS; r++)
		for (i = 0; i < NLOOKUP; i++) {
			v = lin_get(l, q[i].sec, q[i].key);
			if (!v)
				exit(1);
			sink = (uintptr_t)v;
		}
	return (double)(bench_now_ns() - t0) / (LOOKUP_ROUNDS * NLOOKUP);
}

static void bench_lookup(const struct text *conf)
{
	struct query *q = xmalloc(NLOOKUP * sizeof(*q));
	double ours[REPS], lin[REPS], a, b;
	struct qat_cfg *cfg;
	struct lin_cfg l;
	int r;

	if (qat_cfg_load_mem("bench", conf[0].p, conf[0].len,
			     QAT_CFG_FMT_CONF, 0, &cfg, NULL))
		exit(1);
	lin_build(&l, cfg);
	make_queries(q);
	for (r = 0; r < REPS; r++) {
		ours[r] = time_ours(cfg, q);
		lin[r] = time_linear(&l, q);
	}
	a = bench_median(ours, REPS);
	b = bench_median(lin, REPS);
	bench_value("cfg_sections_per_dev", 0, qat_cfg_section_count(cfg),
		    "sections");
	bench_value("cfg_lookup", 1, a, "ns");
	bench_value("cfg_lookup_linear_scan", 1, b, "ns");
	bench_ratio("cfg_lookup_vs_linear", a, b);
	lin_free(&l);
	qat_cfg_free(cfg);
	free(q);
}

int main(void)
{
	struct text conf[NDEV], flat[NDEV], json[NDEV];
	int d;

	for (d = 0; d < NDEV; d++) {
		gen_conf(&conf[d], d, 1);
		gen_conf(&flat[d], d, 0);
		gen_json(&json[d], d);
	}
	bench_parse(conf, flat, json);
	bench_lookup(conf);
	for (d = 0; d < NDEV; d++) {
		free(conf[d].p);
		free(flat[d].p);
		free(json[d].p);
	}
	return 0;
}
