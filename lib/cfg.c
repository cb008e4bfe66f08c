/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration data model: arena, hash tables, lookups, section listing
 * and fingerprint. A loaded configuration is never written again, so
 * lookups need no lock.
 */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "internal.h"

#define BLK_SIZE (64u << 10)
#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

struct qcfg_blk {
	struct qcfg_blk *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

/* ---- arena ------------------------------------------------------------ */

static void *arena_alloc(struct qat_cfg *cfg, size_t size, size_t align)
{
	struct qcfg_blk *b = cfg->arena;
	size_t off, cap;

	if (b) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->cap && size <= b->cap - off) {
			b->used = off + size;
			return (char *)b->data + off;
		}
	}
	cap = size > BLK_SIZE ? size : BLK_SIZE;
	b = malloc(sizeof(*b) + cap);
	if (!b)
		return NULL;
	b->next = cfg->arena;
	b->used = size;
	b->cap = cap;
	cfg->arena = b;
	return b->data;
}

char *qcfg_strdup(struct qat_cfg *cfg, const char *s, size_t len)
{
	char *p = arena_alloc(cfg, len + 1, 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct qat_cfg *qcfg_new(void)
{
	return calloc(1, sizeof(struct qat_cfg));
}

/* ---- characters, hashes, numbers --------------------------------------- */

bool qcfg_is_sec_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

bool qcfg_is_key_char(unsigned char c)
{
	return qcfg_is_sec_char(c) || c == '.' || c == '-';
}

bool qcfg_is_val_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c < 0x7f);
}

uint32_t qcfg_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* qcfg_hash() and strlen() in one pass, for lookups by C string. */
static uint32_t hash_cstr(const char *s, size_t *len)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = s; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	*len = (size_t)(p - s);
	return h;
}

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Garbage anywhere wins over overflow: "99999999999999999999x" is not a
 * number at all. */
int qcfg_parse_u64(const char *s, uint64_t *val)
{
	unsigned int base = 10;
	bool overflow = false;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = digit_val(*s);
		if ((unsigned int)d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			overflow = true;
		v = v * base + (unsigned int)d;
	}
	if (overflow)
		return -ERANGE;
	*val = v;
	return 0;
}

static uint64_t fnv64(uint64_t h, const char *s)
{
	/* The terminator is hashed too, so "ab"+"c" differs from "a"+"bc". */
	do {
		h ^= (unsigned char)*s;
		h *= FNV64_PRIME;
	} while (*s++);
	return h;
}

/* splitmix64's finalizer: spreads FNV's weak high bits before summing. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * Order independence without sorting: each key/value pair and each section
 * hashes on its own (FNV-1a, then mixed) and the results are summed, and
 * sums do not care about order. Names are unique within their scope, so
 * no term can cancel a twin of itself.
 */
uint64_t qcfg_fp_key(const char *key)
{
	return fnv64(FNV64_OFFSET, key);
}

uint64_t qcfg_fp_val(uint64_t key_state, const char *val)
{
	return mix64(fnv64(key_state, val));
}

/* ---- sections ---------------------------------------------------------- */

struct qcfg_sec *qcfg_sec_new(struct qat_cfg *cfg, const char *name,
			      size_t len)
{
	struct qcfg_sec *sec;

	sec = arena_alloc(cfg, sizeof(*sec), alignof(struct qcfg_sec));
	if (!sec)
		return NULL;
	memset(sec, 0, sizeof(*sec));
	sec->name = name;
	sec->nlen = (uint32_t)len;
	sec->hash = qcfg_hash(name, len);
	return sec;
}

void qcfg_sec_drop(struct qcfg_sec *sec)
{
	if (!sec->in_arena) {
		free(sec->kv);
		free(sec->slot);
	}
	sec->kv = NULL;
	sec->slot = NULL;
	sec->nkv = 0;
	sec->kvcap = 0;
}

struct qcfg_sec *qcfg_sec_find(const struct qat_cfg *cfg, const char *name,
			       size_t len, uint32_t hash)
{
	struct qcfg_sec *s;
	uint32_t i;

	if (!cfg->slot)
		return NULL;
	for (i = hash & cfg->mask; (s = cfg->slot[i]); i = (i + 1) & cfg->mask)
		if (s->hash == hash && s->nlen == len &&
		    !memcmp(s->name, name, len))
			return s;
	return NULL;
}

static void sec_slot_put(struct qcfg_sec **slot, uint32_t mask,
			 struct qcfg_sec *sec)
{
	uint32_t i;

	for (i = sec->hash & mask; slot[i]; i = (i + 1) & mask)
		;
	slot[i] = sec;
}

static int sec_table_grow(struct qat_cfg *cfg)
{
	uint32_t n = cfg->slot ? (cfg->mask + 1) * 2 : 16, i;
	struct qcfg_sec **slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < cfg->nsec; i++)
		sec_slot_put(slot, n - 1, cfg->sec[i]);
	free(cfg->slot);
	cfg->slot = slot;
	cfg->mask = n - 1;
	return 0;
}

static int sec_array_grow(struct qat_cfg *cfg)
{
	uint32_t n = cfg->seccap ? cfg->seccap * 2 : 16;
	struct qcfg_sec **a = realloc(cfg->sec, n * sizeof(*a));

	if (!a)
		return -ENOMEM;
	cfg->sec = a;
	cfg->seccap = n;
	return 0;
}

int qcfg_sec_attach(struct qat_cfg *cfg, struct qcfg_sec *sec)
{
	int rc;

	if (qcfg_sec_find(cfg, sec->name, sec->nlen, sec->hash))
		return -EEXIST;
	if (cfg->nsec >= QCFG_MAX_SECTIONS)
		return -E2BIG;
	if (cfg->nsec == cfg->seccap && (rc = sec_array_grow(cfg)))
		return rc;
	if ((!cfg->slot || 2 * (cfg->nsec + 1) > cfg->mask + 1) &&
	    (rc = sec_table_grow(cfg)))
		return rc;
	cfg->sec[cfg->nsec++] = sec;
	sec_slot_put(cfg->slot, cfg->mask, sec);
	return 0;
}

/* ---- keys -------------------------------------------------------------- */

const struct qcfg_kv *qcfg_kv_find(const struct qcfg_sec *sec,
				   const char *key, size_t len, uint32_t hash)
{
	const struct qcfg_kv *kv;
	uint32_t i, k;

	if (!sec->slot)
		return NULL;
	for (i = hash & sec->mask; (k = sec->slot[i]);
	     i = (i + 1) & sec->mask) {
		kv = &sec->kv[k - 1];
		if (kv->hash == hash && kv->klen == len &&
		    !memcmp(kv->key, key, len))
			return kv;
	}
	return NULL;
}

static void kv_slot_put(const struct qcfg_sec *sec, uint32_t *slot,
			uint32_t mask, uint32_t idx)
{
	uint32_t i;

	for (i = sec->kv[idx].hash & mask; slot[i]; i = (i + 1) & mask)
		;
	slot[i] = idx + 1;
}

/* Arrays of a section in the arena are left there when outgrown. */
static void *sec_alloc(struct qat_cfg *cfg, const struct qcfg_sec *sec,
		       size_t size)
{
	if (sec->in_arena)
		return arena_alloc(cfg, size, alignof(struct qcfg_kv));
	return malloc(size);
}

static void sec_free(const struct qcfg_sec *sec, void *p)
{
	if (!sec->in_arena)
		free(p);
}

static int kv_table_resize(struct qat_cfg *cfg, struct qcfg_sec *sec,
			   uint32_t n)
{
	uint32_t *slot = sec_alloc(cfg, sec, n * sizeof(*slot)), i;

	if (!slot)
		return -ENOMEM;
	memset(slot, 0, n * sizeof(*slot));
	for (i = 0; i < sec->nkv; i++)
		kv_slot_put(sec, slot, n - 1, i);
	sec_free(sec, sec->slot);
	sec->slot = slot;
	sec->mask = n - 1;
	return 0;
}

static int kv_array_resize(struct qat_cfg *cfg, struct qcfg_sec *sec,
			   uint32_t n)
{
	struct qcfg_kv *a = sec_alloc(cfg, sec, n * sizeof(*a));

	if (!a)
		return -ENOMEM;
	if (sec->nkv)
		memcpy(a, sec->kv, sec->nkv * sizeof(*a));
	sec_free(sec, sec->kv);
	sec->kv = a;
	sec->kvcap = n;
	return 0;
}

int qcfg_sec_reserve(struct qat_cfg *cfg, struct qcfg_sec *sec, uint32_t n)
{
	uint32_t slots = 16;
	int rc;

	while (slots < 2 * n)
		slots *= 2;
	sec->in_arena = true;
	if ((rc = kv_array_resize(cfg, sec, n ? n : 1)) ||
	    (rc = kv_table_resize(cfg, sec, slots)))
		return rc;
	return 0;
}

int qcfg_kv_push(struct qat_cfg *cfg, struct qcfg_sec *sec,
		 const struct qcfg_kv *kv)
{
	struct qcfg_kv *dst;
	int rc;

	if (cfg->nentries >= QCFG_MAX_ENTRIES)
		return -E2BIG;
	if (sec->nkv == sec->kvcap &&
	    (rc = kv_array_resize(cfg, sec, sec->kvcap ? sec->kvcap * 2 : 8)))
		return rc;
	if ((!sec->slot || 2 * (sec->nkv + 1) > sec->mask + 1) &&
	    (rc = kv_table_resize(cfg, sec,
				  sec->slot ? (sec->mask + 1) * 2 : 16)))
		return rc;
	dst = &sec->kv[sec->nkv];
	*dst = *kv;
	if (!dst->fp)
		dst->fp = qcfg_fp_val(qcfg_fp_key(dst->key), dst->val);
	kv_slot_put(sec, sec->slot, sec->mask, sec->nkv);
	sec->nkv++;
	cfg->nentries++;
	return 0;
}

int qcfg_kv_add(struct qat_cfg *cfg, struct qcfg_sec *sec,
		const struct qcfg_kv *kv)
{
	if (qcfg_kv_find(sec, kv->key, kv->klen, kv->hash))
		return -EEXIST;
	return qcfg_kv_push(cfg, sec, kv);
}

/* ---- fingerprint ------------------------------------------------------- */

static uint64_t sec_fingerprint(const struct qcfg_sec *sec)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < sec->nkv; i++)
		sum += sec->kv[i].fp;
	return mix64(fnv64(FNV64_OFFSET, sec->name) ^ mix64(sum + sec->nkv));
}

void qcfg_finish(struct qat_cfg *cfg)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < cfg->nsec; i++)
		sum += sec_fingerprint(cfg->sec[i]);
	cfg->fingerprint = mix64(sum + cfg->nsec);
}

uint64_t qat_cfg_fingerprint(const struct qat_cfg *cfg)
{
	return cfg ? cfg->fingerprint : 0;
}

/* ---- public lookups ---------------------------------------------------- */

QAT_API void qat_cfg_free(struct qat_cfg *cfg)
{
	struct qcfg_blk *b, *next;
	uint32_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nsec; i++)
		qcfg_sec_drop(cfg->sec[i]);
	free(cfg->sec);
	free(cfg->slot);
	for (b = cfg->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(cfg);
}

static const struct qcfg_sec *find_sec_cstr(const struct qat_cfg *cfg,
					    const char *name)
{
	size_t len;
	uint32_t h = hash_cstr(name, &len);

	return qcfg_sec_find(cfg, name, len, h);
}

QAT_API int qat_cfg_get_str(const struct qat_cfg *cfg, const char *section,
			    const char *key, const char **val)
{
	const struct qcfg_sec *sec;
	const struct qcfg_kv *kv;
	uint32_t h;
	size_t len;

	if (!cfg || !section || !key || !val)
		return -EINVAL;
	sec = find_sec_cstr(cfg, section);
	if (!sec)
		return -ENOENT;
	h = hash_cstr(key, &len);
	kv = qcfg_kv_find(sec, key, len, h);
	if (!kv)
		return -ENOENT;
	*val = kv->val;
	return 0;
}

QAT_API int qat_cfg_get_u64(const struct qat_cfg *cfg, const char *section,
			    const char *key, uint64_t *val)
{
	const char *s;
	int rc;

	if (!val)
		return -EINVAL;
	rc = qat_cfg_get_str(cfg, section, key, &s);
	if (rc)
		return rc;
	return qcfg_parse_u64(s, val);
}

QAT_API int qat_cfg_has_section(const struct qat_cfg *cfg,
				const char *section)
{
	if (!cfg || !section)
		return 0;
	return find_sec_cstr(cfg, section) != NULL;
}

QAT_API int qat_cfg_section_count(const struct qat_cfg *cfg)
{
	if (!cfg)
		return -EINVAL;
	return (int)cfg->nsec;
}

QAT_API const char *qat_cfg_section_name(const struct qat_cfg *cfg,
					 unsigned int i)
{
	if (!cfg || i >= cfg->nsec)
		return NULL;
	return cfg->sec[i]->name;
}
