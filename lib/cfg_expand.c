/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NumProcesses expansion, as the QAT drivers' adf_cfg_section.c does it.
 *
 * Every user section (not GENERAL, KERNEL, INLINE, SIOV, Accelerator*)
 * with `NumProcesses = N`, 1 <= N <= 4096, gets N internal sections
 * "<S>_INT_<n>", or "<S>_DEV<accel>_INT_<n>" when its LimitDevAccess is
 * non-zero. Each copies the base's keys in order, except keys whose name
 * contains NumProcesses or LimitDevAccess (dropped) and those containing
 * CoreAffinity: a list such as "1,3,5-7" (decimal CPUs <= 65535, ranges
 * low-high) gives process n the element n % length of the expanded list.
 * The base section keeps all its keys.
 *
 * A name the expansion makes that already exists is an error, unless that
 * section holds exactly what the expansion would put there: a dump of an
 * expanded configuration then loads back to the same configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

/* A CoreAffinity value holds at most 127 bytes, so at most 64 elements. */
#define AFF_MAX (QAT_CFG_MAX_VAL_LEN / 2)

/* What each key of the base becomes; KEY_AFFINITY + j uses aff[j]. */
enum { KEY_COPY, KEY_DROP, KEY_AFFINITY };

struct aff_list {
	uint64_t key_state;    /* qcfg_fp_key() of the key */
	uint32_t n;
	uint64_t total;        /* CPUs once ranges are expanded */
	uint32_t lo[AFF_MAX];
	uint32_t hi[AFF_MAX];
};

struct expansion {
	struct qat_cfg *cfg;
	const struct qcfg_ctx *ctx;
	struct qcfg_sec *base;
	const struct qcfg_kv *nproc_kv;  /* where errors about names point */
	uint32_t nproc;
	bool dev;                        /* LimitDevAccess non-zero */
	uint32_t ncopy;                  /* keys each internal section gets */
	char prefix[QAT_CFG_MAX_SECTION_LEN + 32];  /* of internal names */
	size_t plen;
	uint32_t *action;                /* per key of base */
	struct aff_list *aff;            /* per CoreAffinity key */
};

static bool is_user_section(const char *name)
{
	static const char *const reserved[] = { "GENERAL", "KERNEL", "INLINE",
						"SIOV" };
	size_t i;

	if (!strncmp(name, "Accelerator", strlen("Accelerator")))
		return false;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(name, reserved[i]))
			return false;
	return true;
}

static const struct qcfg_kv *find_key(const struct qcfg_sec *sec,
				      const char *key)
{
	return qcfg_kv_find(sec, key, strlen(key), qcfg_hash(key, strlen(key)));
}

/* Fail at byte `off` of kv's value (its place in a .conf; none in JSON). */
static int kv_fail(const struct expansion *x, const struct qcfg_kv *kv,
		   int rc, size_t off, const char *why)
{
	return qcfg_fail(x->ctx, rc, kv->line,
			 kv->line ? kv->col + (unsigned int)off : 0,
			 "%s in [%s]: %s", kv->key, x->base->name, why);
}

/* ---- numbers --------------------------------------------------------- */

static int parse_nproc(struct expansion *x, const struct qcfg_kv *kv)
{
	uint64_t v;
	int rc;

	rc = qcfg_parse_u64(kv->val, &v);
	if (rc == -EINVAL)
		return kv_fail(x, kv, rc, 0, "not a number");
	if (rc || v < 1 || v > QCFG_MAX_PROCESSES)
		return qcfg_fail(x->ctx, -ERANGE, kv->line, kv->col,
				 "%s in [%s]: must be 1 to %u", kv->key,
				 x->base->name, QCFG_MAX_PROCESSES);
	x->nproc = (uint32_t)v;
	x->nproc_kv = kv;
	return 0;
}

static int parse_limit(struct expansion *x)
{
	const struct qcfg_kv *kv = find_key(x->base, "LimitDevAccess");
	uint64_t v;
	int rc;

	if (!kv)
		return 0;
	rc = qcfg_parse_u64(kv->val, &v);
	if (rc)
		return kv_fail(x, kv, rc, 0, rc == -EINVAL ? "not a number" :
						 "out of range");
	x->dev = v != 0;
	return 0;
}

/* ---- CoreAffinity lists ----------------------------------------------- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_cpu(const struct expansion *x, const struct qcfg_kv *kv,
		     const char **sp, uint32_t *cpu)
{
	const char *digits = skip_ws(*sp), *s = digits;
	uint32_t v = 0;

	if (*s < '0' || *s > '9')
		return kv_fail(x, kv, -EINVAL, (size_t)(s - kv->val),
			       *s == ',' || !*s ? "empty list element" :
						  "expected a CPU number");
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > QCFG_MAX_CPU)
			return kv_fail(x, kv, -ERANGE,
				       (size_t)(digits - kv->val),
				       "CPU number above 65535");
	}
	*cpu = v;
	*sp = skip_ws(s);
	return 0;
}

static int parse_affinity(const struct expansion *x, const struct qcfg_kv *kv,
			  struct aff_list *l)
{
	const char *s = kv->val, *start;
	uint32_t lo, hi;
	int rc;

	l->n = 0;
	l->total = 0;
	for (;;) {
		start = skip_ws(s);
		rc = parse_cpu(x, kv, &s, &lo);
		if (rc)
			return rc;
		hi = lo;
		if (*s == '-') {
			s++;
			rc = parse_cpu(x, kv, &s, &hi);
			if (rc)
				return rc;
			if (hi < lo)
				return kv_fail(x, kv, -EINVAL,
					       (size_t)(start - kv->val),
					       "range runs backwards");
		}
		/* Cannot overflow: a 127-byte value holds <= 64 elements. */
		l->lo[l->n] = lo;
		l->hi[l->n++] = hi;
		l->total += (uint64_t)hi - lo + 1;
		if (!*s)
			return 0;
		if (*s != ',')
			return kv_fail(x, kv, -EINVAL, (size_t)(s - kv->val),
				       "expected ',' or '-'");
		s++;
	}
}

/* The CPU of process n: element n % length of the expanded list. */
static uint32_t aff_pick(const struct aff_list *l, uint32_t n)
{
	uint64_t idx = n % l->total;
	uint32_t i;

	for (i = 0; idx > (uint64_t)l->hi[i] - l->lo[i]; i++)
		idx -= (uint64_t)l->hi[i] - l->lo[i] + 1;
	return l->lo[i] + (uint32_t)idx;
}

/* ---- planning: what happens to each key of the base ------------------- */

static bool is_affinity(const char *key)
{
	return strstr(key, "CoreAffinity") != NULL;
}

static bool is_dropped(const char *key)
{
	return strstr(key, "NumProcesses") || strstr(key, "LimitDevAccess");
}

static int plan_keys(struct expansion *x)
{
	const struct qcfg_kv *kv;
	uint32_t i, naff = 0;
	int rc;

	for (i = 0; i < x->base->nkv; i++)
		naff += !is_dropped(x->base->kv[i].key) &&
			is_affinity(x->base->kv[i].key);
	x->action = calloc(x->base->nkv, sizeof(*x->action));
	x->aff = calloc(naff ? naff : 1, sizeof(*x->aff));
	if (!x->action || !x->aff)
		return qcfg_fail(x->ctx, -ENOMEM, 0, 0, "out of memory");
	for (naff = 0, i = 0; i < x->base->nkv; i++) {
		kv = &x->base->kv[i];
		if (is_dropped(kv->key)) {
			x->action[i] = KEY_DROP;
			continue;
		}
		x->ncopy++;
		if (!is_affinity(kv->key))
			continue;
		rc = parse_affinity(x, kv, &x->aff[naff]);
		if (rc)
			return rc;
		x->aff[naff].key_state = qcfg_fp_key(kv->key);
		x->action[i] = KEY_AFFINITY + naff++;
	}
	return 0;
}

/* ---- building internal sections ---------------------------------------- */

/* Decimal digits of v at dst, no terminator; returns their count. */
static size_t put_u32(char *dst, uint32_t v)
{
	char tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

static int fill_section(struct expansion *x, struct qcfg_sec *sec, uint32_t n)
{
	const struct aff_list *aff;
	struct qcfg_kv kv;
	char num[10];
	uint32_t i;
	int rc;

	rc = qcfg_sec_reserve(x->cfg, sec, x->ncopy);
	if (rc)
		return rc;
	for (i = 0; i < x->base->nkv; i++) {
		if (x->action[i] == KEY_DROP)
			continue;
		kv = x->base->kv[i];
		kv.line = 0;
		kv.col = 0;
		if (x->action[i] >= KEY_AFFINITY) {
			aff = &x->aff[x->action[i] - KEY_AFFINITY];
			kv.val = qcfg_strdup(x->cfg, num,
					     put_u32(num, aff_pick(aff, n)));
			if (!kv.val)
				return -ENOMEM;
			kv.fp = qcfg_fp_val(aff->key_state, kv.val);
		}
		/* The base's keys are unique: no duplicate check. */
		rc = qcfg_kv_push(x->cfg, sec, &kv);
		if (rc)
			return rc;
	}
	return 0;
}

static bool same_content(const struct qcfg_sec *a, const struct qcfg_sec *b)
{
	const struct qcfg_kv *kv;
	uint32_t i;

	if (a->nkv != b->nkv)
		return false;
	for (i = 0; i < a->nkv; i++) {
		kv = qcfg_kv_find(b, a->kv[i].key, a->kv[i].klen,
				  a->kv[i].hash);
		if (!kv || strcmp(kv->val, a->kv[i].val))
			return false;
	}
	return true;
}

/* Attach sec, or drop it if an identical section is there already. */
static int place_section(struct expansion *x, struct qcfg_sec *sec)
{
	const struct qcfg_kv *at = x->nproc_kv;
	const struct qcfg_sec *old;
	int rc;

	old = qcfg_sec_find(x->cfg, sec->name, sec->nlen, sec->hash);
	if (old && same_content(sec, old)) {
		x->cfg->nentries -= sec->nkv;
		qcfg_sec_drop(sec);
		return 0;
	}
	if (old)
		rc = qcfg_fail(x->ctx, -EINVAL, at->line, at->col,
			       "[%s] made by NumProcesses of [%s] already "
			       "exists", sec->name, x->base->name);
	else if ((rc = qcfg_sec_attach(x->cfg, sec)) == 0)
		x->base->nint++;
	else if (rc == -E2BIG)
		rc = qcfg_fail(x->ctx, rc, 0, 0, "more than %u sections",
			       QCFG_MAX_SECTIONS);
	else
		rc = qcfg_fail(x->ctx, rc, 0, 0, "out of memory");
	if (rc)
		qcfg_sec_drop(sec);
	return rc;
}

/* "<S>_INT_" or "<S>_DEV<accel>_INT_", to which each process adds n. */
static int name_prefix(struct expansion *x)
{
	const struct qcfg_kv *at = x->nproc_kv;
	int len;

	len = x->dev ? snprintf(x->prefix, sizeof(x->prefix), "%s_DEV%u_INT_",
				x->base->name, x->ctx->accel_id) :
		       snprintf(x->prefix, sizeof(x->prefix), "%s_INT_",
				x->base->name);
	x->plen = (size_t)len;
	/* The shortest name is prefix + "0". */
	if (x->plen + 1 >= QAT_CFG_MAX_SECTION_LEN)
		return qcfg_fail(x->ctx, -E2BIG, at->line, at->col,
				 "[%s0] would be longer than %u bytes",
				 x->prefix, QAT_CFG_MAX_SECTION_LEN - 1);
	return 0;
}

static int make_section(struct expansion *x, uint32_t n)
{
	const struct qcfg_kv *at = x->nproc_kv;
	char buf[sizeof(x->prefix) + 10];
	struct qcfg_sec *sec;
	const char *name;
	size_t len;
	int rc;

	memcpy(buf, x->prefix, x->plen);
	len = x->plen + put_u32(buf + x->plen, n);
	buf[len] = '\0';
	if (len >= QAT_CFG_MAX_SECTION_LEN)
		return qcfg_fail(x->ctx, -E2BIG, at->line, at->col,
				 "[%s] would be longer than %u bytes", buf,
				 QAT_CFG_MAX_SECTION_LEN - 1);
	name = qcfg_strdup(x->cfg, buf, len);
	sec = name ? qcfg_sec_new(x->cfg, name, len) : NULL;
	if (!sec)
		return qcfg_fail(x->ctx, -ENOMEM, 0, 0, "out of memory");
	rc = fill_section(x, sec, n);
	if (rc) {
		qcfg_sec_drop(sec);
		if (rc == -E2BIG)
			return qcfg_fail(x->ctx, rc, 0, 0, "more than %u keys "
					 "after expansion", QCFG_MAX_ENTRIES);
		return qcfg_fail(x->ctx, rc, 0, 0, "out of memory");
	}
	return place_section(x, sec);
}

static int expand_section(struct qat_cfg *cfg, const struct qcfg_ctx *ctx,
			  struct qcfg_sec *base)
{
	struct expansion x = { .cfg = cfg, .ctx = ctx, .base = base };
	const struct qcfg_kv *kv = find_key(base, "NumProcesses");
	uint32_t n;
	int rc;

	base->int_first = cfg->nsec;
	if (!kv || !is_user_section(base->name))
		return 0;
	rc = parse_nproc(&x, kv);
	if (rc)
		return rc;
	rc = parse_limit(&x);
	if (rc)
		return rc;
	rc = name_prefix(&x);
	if (rc)
		return rc;
	rc = plan_keys(&x);
	for (n = 0; !rc && n < x.nproc; n++)
		rc = make_section(&x, n);
	free(x.action);
	free(x.aff);
	return rc;
}

/* Internal sections were appended; move each group after its base. */
static int reorder(struct qat_cfg *cfg, uint32_t nbase,
		   const struct qcfg_ctx *ctx)
{
	struct qcfg_sec **order;
	const struct qcfg_sec *b;
	uint32_t i, k = 0;

	if (cfg->nsec == nbase)
		return 0;
	order = malloc(cfg->nsec * sizeof(*order));
	if (!order)
		return qcfg_fail(ctx, -ENOMEM, 0, 0, "out of memory");
	for (i = 0; i < nbase; i++) {
		b = cfg->sec[i];
		order[k++] = cfg->sec[i];
		memcpy(&order[k], &cfg->sec[b->int_first],
		       b->nint * sizeof(*order));
		k += b->nint;
	}
	memcpy(cfg->sec, order, cfg->nsec * sizeof(*order));
	free(order);
	return 0;
}

int qcfg_expand(struct qat_cfg *cfg, const struct qcfg_ctx *ctx)
{
	uint32_t i, nbase = cfg->nsec;
	int rc;

	for (i = 0; i < nbase; i++) {
		rc = expand_section(cfg, ctx, cfg->sec[i]);
		if (rc)
			return rc;
	}
	return reorder(cfg, nbase, ctx);
}
