/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QAT .conf format, strictly:
 *
 *   # comment
 *   [SECTION]              name of [A-Za-z0-9_], 1..127 bytes
 *   Key = value            key of [A-Za-z0-9_.-], 1..127 bytes
 *   Key = "quoted value"   quotes stripped; no escapes; '#' kept inside
 *   Key = value # comment
 *
 * Whitespace (space, tab) around tokens is trimmed; a line may end in
 * CRLF. Values are printable ASCII and tab, at most 127 bytes; an
 * unquoted value may not contain '"'. Control bytes (NUL included) are
 * refused anywhere; bytes >= 0x80 only inside comments. The input need
 * not be NUL-terminated and is never read past `len`.
 */
#include <errno.h>
#include <string.h>

#include "cfg_int.h"

struct conf_parser {
	struct qat_cfg *cfg;
	const struct qcfg_ctx *ctx;
	struct qcfg_sec *sec;      /* the current section */
	const unsigned char *s;    /* the current line, without its EOL */
	size_t n;
	unsigned int line;
};

/* Fail at 0-based index i of the current line. */
#define FAIL(p, rc, i, ...) \
	qcfg_fail((p)->ctx, (rc), (p)->line, (unsigned int)(i) + 1, __VA_ARGS__)

static int fail_chr(const struct conf_parser *p, size_t i, const char *what)
{
	char b[8];

	return FAIL(p, -EINVAL, i, "invalid character %s in %s",
		    qcfg_chr(p->s[i], b), what);
}

static size_t skip_ws(const struct conf_parser *p, size_t i)
{
	while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\t'))
		i++;
	return i;
}

static bool at_end(const struct conf_parser *p, size_t i)
{
	return i == p->n || p->s[i] == '#';
}

/* Control bytes are refused even inside comments: a file holding them is
 * not a text file, and the place is more useful than a later symptom. */
static int check_controls(const struct conf_parser *p)
{
	size_t i;
	unsigned char c;
	char b[8];

	for (i = 0; i < p->n; i++) {
		c = p->s[i];
		if (!c)
			return FAIL(p, -EINVAL, i, "NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return FAIL(p, -EINVAL, i, "control character %s",
				    qcfg_chr(c, b));
	}
	return 0;
}

static int conf_section(struct conf_parser *p, size_t open)
{
	size_t i = open + 1, len;
	struct qcfg_sec *sec;
	const char *name;
	int rc;

	if (!memchr(p->s + i, ']', p->n - i))
		return FAIL(p, -EINVAL, open, "unterminated section header");
	while (p->s[i] != ']' && qcfg_is_sec_char(p->s[i]))
		i++;
	if (p->s[i] != ']')
		return fail_chr(p, i, "section name");
	len = i - open - 1;
	if (!len)
		return FAIL(p, -EINVAL, open, "empty section name");
	if (len >= QAT_CFG_MAX_SECTION_LEN)
		return FAIL(p, -E2BIG, open + 1,
			    "section name longer than %u bytes",
			    QAT_CFG_MAX_SECTION_LEN - 1);
	i = skip_ws(p, i + 1);
	if (!at_end(p, i))
		return fail_chr(p, i, "line after section header");
	name = qcfg_strdup(p->cfg, (const char *)p->s + open + 1, len);
	sec = name ? qcfg_sec_new(p->cfg, name, len) : NULL;
	if (!sec)
		return FAIL(p, -ENOMEM, open, "out of memory");
	sec->line = p->line;
	sec->col = (uint32_t)open + 1;
	rc = qcfg_sec_attach(p->cfg, sec);
	if (rc == -EEXIST)
		return FAIL(p, -EINVAL, open, "duplicate section [%s]", name);
	if (rc == -E2BIG)
		return FAIL(p, rc, open, "too many sections");
	if (rc)
		return FAIL(p, rc, open, "out of memory");
	p->sec = sec;
	return 0;
}

/* Find the value's extent [*vs, *ve) starting at i, just after '='. */
static int conf_value(const struct conf_parser *p, size_t i, size_t *vs,
		      size_t *ve)
{
	const unsigned char *q;
	size_t j;

	if (i < p->n && p->s[i] == '"') {
		q = memchr(p->s + i + 1, '"', p->n - i - 1);
		if (!q)
			return FAIL(p, -EINVAL, i, "unterminated quote");
		*vs = i + 1;
		*ve = (size_t)(q - p->s);
		j = skip_ws(p, *ve + 1);
		if (!at_end(p, j))
			return fail_chr(p, j, "line after quoted value");
	} else {
		*vs = i;
		for (j = i; !at_end(p, j) && p->s[j] != '"'; j++)
			;
		if (j < p->n && p->s[j] == '"')
			return FAIL(p, -EINVAL, j,
				    "quote inside an unquoted value");
		while (j > i && (p->s[j - 1] == ' ' || p->s[j - 1] == '\t'))
			j--;
		*ve = j;
	}
	for (j = *vs; j < *ve; j++)
		if (!qcfg_is_val_char(p->s[j]))
			return fail_chr(p, j, "value");
	if (*ve - *vs >= QAT_CFG_MAX_VAL_LEN)
		return FAIL(p, -E2BIG, *vs, "value longer than %u bytes",
			    QAT_CFG_MAX_VAL_LEN - 1);
	return 0;
}

/* Key syntax: the key is [ks, *ke) and '=' is at *eq. */
static int conf_key(const struct conf_parser *p, size_t ks, size_t *ke,
		    size_t *eq)
{
	size_t i = ks;

	while (i < p->n && qcfg_is_key_char(p->s[i]))
		i++;
	*ke = i;
	i = skip_ws(p, i);
	if (at_end(p, i))
		return FAIL(p, -EINVAL, i, "expected '=' after key");
	if (p->s[i] != '=')
		return i == *ke ? fail_chr(p, i, "key") :
				  FAIL(p, -EINVAL, i, "expected '=' after key");
	if (*ke == ks)
		return FAIL(p, -EINVAL, i, "empty key");
	if (*ke - ks >= QAT_CFG_MAX_KEY_LEN)
		return FAIL(p, -E2BIG, ks, "key longer than %u bytes",
			    QAT_CFG_MAX_KEY_LEN - 1);
	*eq = i;
	return 0;
}

static int conf_kv(struct conf_parser *p, size_t ks)
{
	struct qcfg_kv kv = { .line = p->line };
	size_t ke = 0, eq = 0, vs = 0, ve = 0;
	char *key;
	int rc;

	rc = conf_key(p, ks, &ke, &eq);
	if (rc)
		return rc;
	if (!p->sec)
		return FAIL(p, -EINVAL, ks, "key outside any section");
	rc = conf_value(p, skip_ws(p, eq + 1), &vs, &ve);
	if (rc)
		return rc;
	key = qcfg_strdup(p->cfg, (const char *)p->s + ks, ke - ks);
	kv.val = qcfg_strdup(p->cfg, (const char *)p->s + vs, ve - vs);
	if (!key || !kv.val)
		return FAIL(p, -ENOMEM, ks, "out of memory");
	kv.key = key;
	kv.klen = (uint32_t)(ke - ks);
	kv.hash = qcfg_hash(key, kv.klen);
	kv.col = (uint32_t)vs + 1;
	rc = qcfg_kv_add(p->cfg, p->sec, &kv);
	if (rc == -EEXIST)
		return FAIL(p, -EINVAL, ks, "duplicate key '%s' in [%s]", key,
			    p->sec->name);
	if (rc == -E2BIG)
		return FAIL(p, rc, ks, "too many keys");
	if (rc)
		return FAIL(p, rc, ks, "out of memory");
	return 0;
}

static int conf_line(struct conf_parser *p)
{
	size_t i;
	int rc;

	rc = check_controls(p);
	if (rc)
		return rc;
	i = skip_ws(p, 0);
	if (at_end(p, i))
		return 0;
	if (p->s[i] == '[')
		return conf_section(p, i);
	return conf_kv(p, i);
}

int qcfg_parse_conf(struct qat_cfg *cfg, const struct qcfg_ctx *ctx,
		    const char *buf, size_t len)
{
	struct conf_parser p = { .cfg = cfg, .ctx = ctx };
	const unsigned char *s = (const unsigned char *)buf, *nl;
	size_t off = 0, end;
	int rc;

	while (off < len) {
		nl = memchr(s + off, '\n', len - off);
		end = nl ? (size_t)(nl - s) : len;
		p.s = s + off;
		p.n = end - off;
		p.line++;
		if (p.n && p.s[p.n - 1] == '\r')
			p.n--;
		rc = conf_line(&p);
		if (rc)
			return rc;
		off = end + 1;
	}
	return 0;
}
