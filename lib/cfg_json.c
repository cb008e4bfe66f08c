/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON form of a configuration, read and written with jansson:
 *
 *   { "SECTION": { "Key": "value", "Other": 42 }, ... }
 *
 * The top level and every section are objects; a value is a string or a
 * non-negative integer (stored as its decimal string, so 42 and "42" are
 * the same). Arrays, objects, floats, booleans, null and negative numbers
 * are refused, naming the section and key. Names and values follow the
 * .conf rules (see cfg_conf.c). Duplicate names are refused by jansson.
 * Integers beyond 2^63-1 do not fit jansson's json_int_t: give such values
 * as strings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg_int.h"
#include "internal.h"

#define JFAIL(ctx, rc, ...) qcfg_fail((ctx), (rc), 0, 0, __VA_ARGS__)

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a floating-point number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int load_error(const struct qcfg_ctx *ctx, const json_error_t *e)
{
	int rc = -EINVAL;

	if (json_error_code(e) == json_error_numeric_overflow)
		rc = -ERANGE;
	else if (json_error_code(e) == json_error_out_of_memory)
		rc = -ENOMEM;
	return qcfg_fail(ctx, rc, e->line > 0 ? (unsigned int)e->line : 0,
			 e->column > 0 ? (unsigned int)e->column : 0, "%s",
			 e->text);
}

/* Index of the first byte of s that `ok` refuses, or len. */
static size_t first_bad(const char *s, size_t len, bool (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; i < len && ok((unsigned char)s[i]); i++)
		;
	return i;
}

/* Messages quote only the valid prefix of a bad name: the rest may be
 * anything. `sec` is NULL when checking a section name. */
static int check_name(const struct qcfg_ctx *ctx, const char *s,
		      const char *sec)
{
	const char *what = sec ? "key" : "section name";
	size_t len = strlen(s), bad;
	char b[8];

	if (!len)
		return sec ? JFAIL(ctx, -EINVAL, "empty key in [%s]", sec) :
			     JFAIL(ctx, -EINVAL, "empty section name");
	bad = first_bad(s, len, sec ? qcfg_is_key_char : qcfg_is_sec_char);
	if (bad < len)
		return JFAIL(ctx, -EINVAL,
			     "invalid character %s in %s after '%.*s'%s%s%s",
			     qcfg_chr((unsigned char)s[bad], b), what, (int)bad,
			     s, sec ? " in [" : "", sec ? sec : "",
			     sec ? "]" : "");
	if (len >= (sec ? QAT_CFG_MAX_KEY_LEN : QAT_CFG_MAX_SECTION_LEN))
		return JFAIL(ctx, -E2BIG, "%s '%.20s...' longer than %u bytes",
			     what, s, (sec ? QAT_CFG_MAX_KEY_LEN :
				       QAT_CFG_MAX_SECTION_LEN) - 1);
	return 0;
}

static int string_value(const struct qcfg_ctx *ctx, struct qat_cfg *cfg,
			const struct qcfg_sec *sec, const char *key,
			const json_t *v, struct qcfg_kv *kv)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), bad;
	char b[8];

	bad = first_bad(s, len, qcfg_is_val_char);
	if (bad < len)
		return JFAIL(ctx, -EINVAL, "invalid character %s in value of "
			     "'%s' in [%s]", qcfg_chr((unsigned char)s[bad], b),
			     key, sec->name);
	if (len >= QAT_CFG_MAX_VAL_LEN)
		return JFAIL(ctx, -E2BIG, "value of '%s' in [%s] longer than "
			     "%u bytes", key, sec->name,
			     QAT_CFG_MAX_VAL_LEN - 1);
	kv->val = qcfg_strdup(cfg, s, len);
	return kv->val ? 0 : JFAIL(ctx, -ENOMEM, "out of memory");
}

static int integer_value(const struct qcfg_ctx *ctx, struct qat_cfg *cfg,
			 const struct qcfg_sec *sec, const char *key,
			 const json_t *v, struct qcfg_kv *kv)
{
	json_int_t n = json_integer_value(v);
	char num[24];
	int len;

	if (n < 0)
		return JFAIL(ctx, -EINVAL, "'%s' in [%s] is negative", key,
			     sec->name);
	len = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, n);
	kv->val = qcfg_strdup(cfg, num, (size_t)len);
	return kv->val ? 0 : JFAIL(ctx, -ENOMEM, "out of memory");
}

static int json_key(const struct qcfg_ctx *ctx, struct qat_cfg *cfg,
		    struct qcfg_sec *sec, const char *key, const json_t *v)
{
	struct qcfg_kv kv = { 0 };
	size_t len = strlen(key);
	int rc;

	rc = check_name(ctx, key, sec->name);
	if (rc)
		return rc;
	if (json_is_string(v))
		rc = string_value(ctx, cfg, sec, key, v, &kv);
	else if (json_is_integer(v))
		rc = integer_value(ctx, cfg, sec, key, v, &kv);
	else
		rc = JFAIL(ctx, -EINVAL, "'%s' in [%s] is %s, not a string "
			   "or a non-negative integer", key, sec->name,
			   type_name(v));
	if (rc)
		return rc;
	kv.key = qcfg_strdup(cfg, key, len);
	if (!kv.key)
		return JFAIL(ctx, -ENOMEM, "out of memory");
	kv.klen = (uint32_t)len;
	kv.hash = qcfg_hash(key, len);
	rc = qcfg_kv_add(cfg, sec, &kv);
	if (rc == -E2BIG)
		return JFAIL(ctx, rc, "too many keys");
	if (rc) /* duplicates were refused by jansson */
		return JFAIL(ctx, rc, "out of memory");
	return 0;
}

static int json_section(const struct qcfg_ctx *ctx, struct qat_cfg *cfg,
			const char *name, const json_t *obj)
{
	struct qcfg_sec *sec;
	const char *key;
	const char *copy;
	json_t *v;
	int rc;

	rc = check_name(ctx, name, NULL);
	if (rc)
		return rc;
	if (!json_is_object(obj))
		return JFAIL(ctx, -EINVAL, "section [%s] is %s, not an object",
			     name, type_name(obj));
	copy = qcfg_strdup(cfg, name, strlen(name));
	sec = copy ? qcfg_sec_new(cfg, copy, strlen(copy)) : NULL;
	if (!sec)
		return JFAIL(ctx, -ENOMEM, "out of memory");
	rc = qcfg_sec_attach(cfg, sec);
	if (rc == -E2BIG)
		return JFAIL(ctx, rc, "too many sections");
	if (rc)
		return JFAIL(ctx, rc, "out of memory");
	json_object_foreach((json_t *)obj, key, v) {
		rc = json_key(ctx, cfg, sec, key, v);
		if (rc)
			return rc;
	}
	return 0;
}

int qcfg_parse_json(struct qat_cfg *cfg, const struct qcfg_ctx *ctx,
		    const char *buf, size_t len)
{
	json_error_t jerr;
	const char *name;
	json_t *root, *v;
	int rc = 0;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return load_error(ctx, &jerr);
	if (!json_is_object(root)) {
		rc = JFAIL(ctx, -EINVAL, "top level is %s, not an object",
			   type_name(root));
		goto out;
	}
	json_object_foreach(root, name, v) {
		rc = json_section(ctx, cfg, name, v);
		if (rc)
			break;
	}
out:
	json_decref(root);
	return rc;
}

/* ---- dump -------------------------------------------------------------- */

struct dump_buf {
	char *p;
	size_t len;
	size_t cap;
};

/* Our own buffer rather than json_dumps(): the caller frees with free(),
 * which is wrong if the application gave jansson other allocators. */
static int dump_cb(const char *s, size_t n, void *data)
{
	struct dump_buf *b = data;
	size_t cap;
	char *p;

	if (n >= b->cap - b->len) {
		cap = b->cap;
		while (n >= cap - b->len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static json_t *sec_to_json(const struct qcfg_sec *sec)
{
	json_t *o = json_object(), *s;
	uint32_t i;

	if (!o)
		return NULL;
	for (i = 0; i < sec->nkv; i++) {
		s = json_string_nocheck(sec->kv[i].val);
		if (json_object_set_new_nocheck(o, sec->kv[i].key, s)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *cfg_to_json(const struct qat_cfg *cfg)
{
	json_t *root = json_object();
	uint32_t i;

	if (!root)
		return NULL;
	for (i = 0; i < cfg->nsec; i++) {
		if (json_object_set_new_nocheck(root, cfg->sec[i]->name,
						sec_to_json(cfg->sec[i]))) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

QAT_API int qat_cfg_dump_json(const struct qat_cfg *cfg, char **out)
{
	struct dump_buf b = { .cap = 4096 };
	json_t *root;
	int rc = -ENOMEM;

	if (!cfg || !out)
		return -EINVAL;
	root = cfg_to_json(cfg);
	if (!root)
		return -ENOMEM;
	b.p = malloc(b.cap);
	if (!b.p)
		goto out;
	/* The last write adds the terminator: "\n" is two bytes with it. */
	if (json_dump_callback(root, dump_cb, &b,
			       JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
	    dump_cb("\n", 2, &b)) {
		free(b.p);
		goto out;
	}
	*out = b.p;
	rc = 0;
out:
	json_decref(root);
	return rc;
}
