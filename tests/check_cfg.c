/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration: .conf and JSON parsing, expansion, lookups, dump. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "qat/cfg.h"
#include "cfg_priv.h"
#include "util.h"

Suite *cfg_suite(void);

#define CONF QAT_CFG_FMT_CONF
#define JSON QAT_CFG_FMT_JSON

static const char good_conf[] =
	"# A QAT configuration\n"
	"[GENERAL]\n"
	"ServicesEnabled = cy;dc\n"
	"ConfigVersion = 2\n"
	"\n"
	"[KERNEL]\n"
	"NumberCyInstances = 0\n"
	"\n"
	"[SSL]   # the user section\n"
	"NumberCyInstances = 2\n"
	"NumberDcInstances = 0\n"
	"NumProcesses = 4\n"
	"LimitDevAccess = 0\n"
	"Cy0Name = \"SSL0 # not a comment\"\n"
	"Cy0IsPolled = 1\n"
	"Cy0CoreAffinity = 1,3,5-7\n"
	"Cy1Name = SSL1   # trailing comment\n"
	"\tCy1IsPolled\t=\t1\t\n"
	"Cy1CoreAffinity = 2\n";

/* The same content, keys in another order, numbers as integers. */
static const char good_json[] =
	"{\n"
	"  \"GENERAL\": {\"ConfigVersion\": 2,\n"
	"              \"ServicesEnabled\": \"cy;dc\"},\n"
	"  \"KERNEL\": {\"NumberCyInstances\": 0},\n"
	"  \"SSL\": {\n"
	"    \"Cy1CoreAffinity\": \"2\", \"Cy1IsPolled\": 1,\n"
	"    \"Cy1Name\": \"SSL1\", \"NumberCyInstances\": 2,\n"
	"    \"NumberDcInstances\": 0, \"NumProcesses\": 4,\n"
	"    \"LimitDevAccess\": 0, \"Cy0Name\": \"SSL0 # not a comment\",\n"
	"    \"Cy0IsPolled\": \"1\", \"Cy0CoreAffinity\": \"1,3,5-7\"\n"
	"  }\n"
	"}\n";

/* ---- helpers ----------------------------------------------------------- */

static int load_fmt(const char *text, enum qat_cfg_format fmt,
		    unsigned int accel, struct qat_cfg **c,
		    struct qat_cfg_error *e)
{
	return qat_cfg_load_mem(fmt == JSON ? "t.json" : "t.conf", text,
				strlen(text), fmt, accel, c, e);
}

static struct qat_cfg *load_ok(const char *text, enum qat_cfg_format fmt,
			       unsigned int accel)
{
	struct qat_cfg_error e;
	struct qat_cfg *c = NULL;
	int rc = load_fmt(text, fmt, accel, &c, &e);

	ck_assert_msg(rc == 0, "load failed: %d at %u:%u: %s", rc, e.line,
		      e.column, e.msg);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void load_bad(const char *text, enum qat_cfg_format fmt, int want_rc,
		     unsigned int line, unsigned int col, const char *msg)
{
	struct qat_cfg_error e;
	struct qat_cfg *c = QT_SENTINEL;
	int rc = load_fmt(text, fmt, 3, &c, &e);

	ck_assert_msg(rc == want_rc, "rc %d, want %d (%u:%u: %s)", rc, want_rc,
		      e.line, e.column, e.msg);
	qt_assert_untouched(c);
	ck_assert_uint_eq(e.line, line);
	ck_assert_uint_eq(e.column, col);
	ck_assert_msg(strstr(e.msg, msg), "message '%s' lacks '%s'", e.msg,
		      msg);
	ck_assert_str_eq(e.file, fmt == JSON ? "t.json" : "t.conf");
}

static const char *get(const struct qat_cfg *c, const char *sec,
		       const char *key)
{
	const char *v = NULL;
	int rc = qat_cfg_get_str(c, sec, key, &v);

	ck_assert_msg(rc == 0, "[%s] %s: %d", sec, key, rc);
	return v;
}

static int absent(const struct qat_cfg *c, const char *sec, const char *key)
{
	const char *v;

	return qat_cfg_get_str(c, sec, key, &v) == -ENOENT;
}

/* A string of n copies of ch; static buffer, one at a time. */
static const char *rep(char ch, size_t n)
{
	static char buf[200];

	ck_assert_uint_lt(n, sizeof(buf));
	memset(buf, ch, n);
	buf[n] = '\0';
	return buf;
}

/* ---- good files ---------------------------------------------------------- */

START_TEST(test_conf_good)
{
	struct qat_cfg *c = load_ok(good_conf, CONF, 0);

	ck_assert_str_eq(get(c, "GENERAL", "ServicesEnabled"), "cy;dc");
	ck_assert_str_eq(get(c, "SSL", "Cy0Name"), "SSL0 # not a comment");
	ck_assert_str_eq(get(c, "SSL", "Cy1Name"), "SSL1");
	ck_assert_str_eq(get(c, "SSL", "Cy1IsPolled"), "1");
	ck_assert_str_eq(get(c, "SSL", "Cy0CoreAffinity"), "1,3,5-7");
	ck_assert_int_eq(qat_cfg_section_count(c), 3 + 4);
	ck_assert_int_eq(qat_cfg_has_section(c, "KERNEL"), 1);
	ck_assert_int_eq(qat_cfg_has_section(c, "SSL_INT_3"), 1);
	ck_assert_int_eq(qat_cfg_has_section(c, "SSL_INT_4"), 0);
	ck_assert_int_eq(qat_cfg_has_section(c, "ssl"), 0);
	ck_assert(absent(c, "SSL", "Cy2Name"));
	ck_assert(absent(c, "NOPE", "Cy0Name"));
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_conf_json_same)
{
	struct qat_cfg *a = load_ok(good_conf, CONF, 0);
	struct qat_cfg *b = load_ok(good_json, JSON, 0);
	int i, n = qat_cfg_section_count(a);

	ck_assert_int_eq(qat_cfg_section_count(b), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(qat_cfg_section_name(a, (unsigned int)i),
				 qat_cfg_section_name(b, (unsigned int)i));
	ck_assert_str_eq(get(b, "GENERAL", "ConfigVersion"), "2");
	ck_assert_str_eq(get(b, "SSL_INT_2", "Cy0CoreAffinity"), "5");
	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), 0);
	qat_cfg_free(a);
	qat_cfg_free(b);
}
END_TEST

START_TEST(test_fingerprint_changes)
{
	struct qat_cfg *a = load_ok("[S]\nA = 1\nB = 2\n", CONF, 0);
	struct qat_cfg *b = load_ok("[S]\nB = 2\nA = 1\n", CONF, 0);
	struct qat_cfg *v = load_ok("[S]\nA = 1\nB = 3\n", CONF, 0);
	struct qat_cfg *k = load_ok("[S]\nA = 1\nC = 2\n", CONF, 0);
	struct qat_cfg *s = load_ok("[T]\nA = 1\nB = 2\n", CONF, 0);
	struct qat_cfg *m = load_ok("[S]\nA = 1\n[T]\nB = 2\n", CONF, 0);
	struct qat_cfg *x = load_ok("[S]\nA = 12\nB = \n", CONF, 0);

	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), qat_cfg_fingerprint(v));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), qat_cfg_fingerprint(k));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), qat_cfg_fingerprint(s));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), qat_cfg_fingerprint(m));
	ck_assert_uint_ne(qat_cfg_fingerprint(a), qat_cfg_fingerprint(x));
	ck_assert_uint_eq(qat_cfg_fingerprint(NULL), 0);
	qat_cfg_free(a);
	qat_cfg_free(b);
	qat_cfg_free(v);
	qat_cfg_free(k);
	qat_cfg_free(s);
	qat_cfg_free(m);
	qat_cfg_free(x);
}
END_TEST

START_TEST(test_conf_syntax_details)
{
	struct qat_cfg *c = load_ok("\r\n  # indented comment\r\n"
				    "[S]\r\n"
				    "a.b-c_D = \"  spaced  \" # c\r\n"
				    "Empty =\r\n"
				    "EmptyQ = \"\"\r\n"
				    "Eq = a=b\r\n"
				    "Tab = x\ty\r\n"
				    "Hash = \"#\"\r\n"
				    "Utf8 = 1 # caf\xc3\xa9\r\n"
				    "Last = end", CONF, 0);

	ck_assert_str_eq(get(c, "S", "a.b-c_D"), "  spaced  ");
	ck_assert_str_eq(get(c, "S", "Empty"), "");
	ck_assert_str_eq(get(c, "S", "EmptyQ"), "");
	ck_assert_str_eq(get(c, "S", "Eq"), "a=b");
	ck_assert_str_eq(get(c, "S", "Tab"), "x\ty");
	ck_assert_str_eq(get(c, "S", "Hash"), "#");
	ck_assert_str_eq(get(c, "S", "Utf8"), "1");
	ck_assert_str_eq(get(c, "S", "Last"), "end");
	qat_cfg_free(c);

	c = load_ok("", CONF, 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 0);
	qat_cfg_free(c);
	c = load_ok("{}", JSON, 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 0);
	qat_cfg_free(c);
	c = load_ok("[Empty]\n", CONF, 0);
	ck_assert_int_eq(qat_cfg_has_section(c, "Empty"), 1);
	qat_cfg_free(c);
}
END_TEST

/* ---- malformed .conf and JSON: errno, line, column, message -------------- */

struct bad_case {
	const char *text;
	size_t len;              /* 0: strlen(text) */
	enum qat_cfg_format fmt;
	int rc;
	unsigned int line, col;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "[SSL\n", 0, CONF, -EINVAL, 1, 1, "unterminated section header" },
	{ "[G]\nA = 1\n  [SSL # x]\n", 0, CONF, -EINVAL, 3, 7,
	  "invalid character ' ' in section name" },
	{ "[G]\nA = 1\n\n  [SSL\n", 0, CONF, -EINVAL, 4, 3,
	  "unterminated section header" },
	{ "[]\n", 0, CONF, -EINVAL, 1, 1, "empty section name" },
	{ "  A = 1\n", 0, CONF, -EINVAL, 1, 3, "key outside any section" },
	{ "[S]\nfoo\n", 0, CONF, -EINVAL, 2, 4, "expected '=' after key" },
	{ "[S]\nfoo # = 1\n", 0, CONF, -EINVAL, 2, 5,
	  "expected '=' after key" },
	{ "[S]\nfoo bar = 1\n", 0, CONF, -EINVAL, 2, 5,
	  "expected '=' after key" },
	{ "[S]\n = 1\n", 0, CONF, -EINVAL, 2, 2, "empty key" },
	{ "[S]\nA = 1\n# x\nA = 2\n", 0, CONF, -EINVAL, 4, 1,
	  "duplicate key 'A' in [S]" },
	{ "[S]\n[T]\n [S]\n", 0, CONF, -EINVAL, 3, 2,
	  "duplicate section [S]" },
	{ "[S]\nA = 1\0x\n", 10, CONF, -EINVAL, 2, 6, "NUL byte" },
	{ "[S]\nA = \x01\n", 0, CONF, -EINVAL, 2, 5, "control character 0x01" },
	{ "[S]\n# \x7f\n", 0, CONF, -EINVAL, 2, 3, "control character 0x7f" },
	{ "[S]\r\nA = 1\r\n\rB = 2\r\n", 0, CONF, -EINVAL, 3, 1,
	  "control character 0x0d" },
	{ "[S]\nA = \x80\x81\n", 0, CONF, -EINVAL, 2, 5,
	  "invalid character 0x80 in value" },
	{ "\xff\xfe[S]\n", 0, CONF, -EINVAL, 1, 1,
	  "invalid character 0xff in key" },
	{ "[S]\nA = \"abc\n", 0, CONF, -EINVAL, 2, 5, "unterminated quote" },
	{ "[S]\nA = \"abc # \"x\n", 0, CONF, -EINVAL, 2, 13,
	  "invalid character 'x' in line after quoted value" },
	{ "[S]\nA = x\"y\"\n", 0, CONF, -EINVAL, 2, 6,
	  "quote inside an unquoted value" },
	{ "[S-1]\n", 0, CONF, -EINVAL, 1, 3,
	  "invalid character '-' in section name" },
	{ "[S.1]\n", 0, CONF, -EINVAL, 1, 3,
	  "invalid character '.' in section name" },
	{ "[S] x\n", 0, CONF, -EINVAL, 1, 5,
	  "invalid character 'x' in line after section header" },
	{ "[S]\nk$y = 1\n", 0, CONF, -EINVAL, 2, 2,
	  "invalid character '$' in key" },
	{ "[S]\n\"A\" = 1\n", 0, CONF, -EINVAL, 2, 1,
	  "invalid character '\"' in key" },

	{ "", 0, JSON, -EINVAL, 1, 0, "expected" },
	{ "[1]", 0, JSON, -EINVAL, 0, 0, "top level is an array" },
	{ "\"x\"", 0, JSON, -EINVAL, 1, 3, "expected" },
	{ "{\n \"S\": {\n  \"k\": \n}\n}", 0, JSON, -EINVAL, 4, 1,
	  "unexpected token" },
	{ "{\"S\": {\"k\": 1, \"k\": 2}}", 0, JSON, -EINVAL, 1, 18,
	  "duplicate object key" },
	{ "{\"S\": {}, \"S\": {}}", 0, JSON, -EINVAL, 1, 13,
	  "duplicate object key" },
	{ "{\"S\": {\"k\": 1}} x", 0, JSON, -EINVAL, 1, 17,
	  "end of file expected" },
	{ "{\"S\": 1}", 0, JSON, -EINVAL, 0, 0,
	  "section [S] is an integer, not an object" },
	{ "{\"S\": [\"k\"]}", 0, JSON, -EINVAL, 0, 0,
	  "section [S] is an array" },
	{ "{\"S\": {\"k\": [1]}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is an array" },
	{ "{\"S\": {\"k\": {}}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is an object" },
	{ "{\"S\": {\"k\": 1.5}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is a floating-point number" },
	{ "{\"S\": {\"k\": 1e3}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is a floating-point number" },
	{ "{\"S\": {\"k\": true}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is a boolean" },
	{ "{\"S\": {\"k\": null}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is null" },
	{ "{\"S\": {\"k\": -1}}", 0, JSON, -EINVAL, 0, 0,
	  "'k' in [S] is negative" },
	{ "{\"S\": {\"k\": 99999999999999999999}}", 0, JSON, -ERANGE, 1, 32,
	  "too big integer" },
	{ "{\"S\": {\"\": 1}}", 0, JSON, -EINVAL, 0, 0, "empty key in [S]" },
	{ "{\"\": {}}", 0, JSON, -EINVAL, 0, 0, "empty section name" },
	{ "{\"S T\": {}}", 0, JSON, -EINVAL, 0, 0,
	  "invalid character ' ' in section name after 'S'" },
	{ "{\"S\": {\"a/b\": 1}}", 0, JSON, -EINVAL, 0, 0,
	  "invalid character '/' in key after 'a' in [S]" },
	{ "{\"S\": {\"k\": \"a\\u0001\"}}", 0, JSON, -EINVAL, 0, 0,
	  "invalid character 0x01 in value of 'k' in [S]" },
	{ "{\"S\": {\"k\": \"caf\xc3\xa9\"}}", 0, JSON, -EINVAL, 0, 0,
	  "invalid character 0xc3 in value of 'k' in [S]" },
	{ "{\"S\": {\"k\": \"\\u0000\"}}", 0, JSON, -EINVAL, 1, 20,
	  "JSON_ALLOW_NUL" },
	{ "{\"S\": {\"k\": \"\xff\"}}", 0, JSON, -EINVAL, 1, 13,
	  "unable to decode byte 0xff" },
};

START_TEST(test_bad_case)
{
	const struct bad_case *b = &bad_cases[_i];
	struct qat_cfg_error e;
	struct qat_cfg *c = QT_SENTINEL;
	size_t len = b->len ? b->len : strlen(b->text);
	int rc;

	rc = qat_cfg_load_mem("bad", b->text, len, b->fmt, 0, &c, &e);
	ck_assert_msg(rc == b->rc, "case %d: rc %d, want %d (%u:%u: %s)", _i,
		      rc, b->rc, e.line, e.column, e.msg);
	qt_assert_untouched(c);
	ck_assert_msg(e.line == b->line && e.column == b->col,
		      "case %d: at %u:%u, want %u:%u (%s)", _i, e.line,
		      e.column, b->line, b->col, e.msg);
	ck_assert_msg(strstr(e.msg, b->msg), "case %d: '%s' lacks '%s'", _i,
		      e.msg, b->msg);
	ck_assert_str_eq(e.file, "bad");
}
END_TEST

START_TEST(test_length_limits)
{
	char buf[1024];
	struct qat_cfg *c;

	/* 127 bytes fit, 128 do not: names, keys, values, both formats. */
	snprintf(buf, sizeof(buf), "[%s]\n", rep('S', 127));
	c = load_ok(buf, CONF, 0);
	ck_assert_int_eq(qat_cfg_has_section(c, rep('S', 127)), 1);
	qat_cfg_free(c);
	snprintf(buf, sizeof(buf), "# x\n[%s]\n", rep('S', 128));
	load_bad(buf, CONF, -E2BIG, 2, 2, "section name longer than 127");

	snprintf(buf, sizeof(buf), "[S]\n%s = 1\n", rep('k', 127));
	c = load_ok(buf, CONF, 0);
	ck_assert_str_eq(get(c, "S", rep('k', 127)), "1");
	qat_cfg_free(c);
	snprintf(buf, sizeof(buf), "[S]\n %s = 1\n", rep('k', 128));
	load_bad(buf, CONF, -E2BIG, 2, 2, "key longer than 127");

	snprintf(buf, sizeof(buf), "[S]\nK = %s\n", rep('v', 127));
	c = load_ok(buf, CONF, 0);
	ck_assert_str_eq(get(c, "S", "K"), rep('v', 127));
	qat_cfg_free(c);
	snprintf(buf, sizeof(buf), "[S]\nK = %s\n", rep('v', 128));
	load_bad(buf, CONF, -E2BIG, 2, 5, "value longer than 127");
	snprintf(buf, sizeof(buf), "[S]\nK = \"%s\"\n", rep('v', 128));
	load_bad(buf, CONF, -E2BIG, 2, 6, "value longer than 127");

	snprintf(buf, sizeof(buf), "{\"%s\": {}}", rep('S', 128));
	load_bad(buf, JSON, -E2BIG, 0, 0, "section name");
	snprintf(buf, sizeof(buf), "{\"S\": {\"%s\": 1}}", rep('k', 128));
	load_bad(buf, JSON, -E2BIG, 0, 0, "key");
	snprintf(buf, sizeof(buf), "{\"S\": {\"k\": \"%s\"}}", rep('v', 128));
	load_bad(buf, JSON, -E2BIG, 0, 0, "value of 'k' in [S] longer");
	snprintf(buf, sizeof(buf), "{\"S\": {\"k\": \"%s\"}}", rep('v', 127));
	c = load_ok(buf, JSON, 0);
	qat_cfg_free(c);
}
END_TEST

/* ---- expansion ------------------------------------------------------ */

START_TEST(test_expand_names_plain)
{
	static const char *const want[] = {
		"GENERAL", "KERNEL", "SSL", "SSL_INT_0", "SSL_INT_1",
		"SSL_INT_2", "SSL_INT_3",
	};
	struct qat_cfg *c = load_ok(good_conf, CONF, 3);
	unsigned int i;

	ck_assert_int_eq(qat_cfg_section_count(c), 7);
	for (i = 0; i < 7; i++)
		ck_assert_str_eq(qat_cfg_section_name(c, i), want[i]);
	ck_assert_ptr_null(qat_cfg_section_name(c, 7));
	ck_assert_ptr_null(qat_cfg_section_name(c, ~0u));
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_names_dev)
{
	struct qat_cfg *c = load_ok("[SSL]\nNumProcesses = 2\n"
				    "LimitDevAccess = 1\nCy0Name = a\n"
				    "[DC]\nNumProcesses = 1\n"
				    "LimitDevAccess = 0x0\n", CONF, 3);

	ck_assert_int_eq(qat_cfg_section_count(c), 5);
	ck_assert_str_eq(qat_cfg_section_name(c, 0), "SSL");
	ck_assert_str_eq(qat_cfg_section_name(c, 1), "SSL_DEV3_INT_0");
	ck_assert_str_eq(qat_cfg_section_name(c, 2), "SSL_DEV3_INT_1");
	ck_assert_str_eq(qat_cfg_section_name(c, 3), "DC");
	ck_assert_str_eq(qat_cfg_section_name(c, 4), "DC_INT_0");
	ck_assert_int_eq(qat_cfg_has_section(c, "SSL_INT_0"), 0);
	ck_assert_str_eq(get(c, "SSL_DEV3_INT_1", "Cy0Name"), "a");
	/* The base keeps LimitDevAccess; internal sections drop it. */
	ck_assert_str_eq(get(c, "SSL", "LimitDevAccess"), "1");
	ck_assert(absent(c, "SSL_DEV3_INT_0", "LimitDevAccess"));
	qat_cfg_free(c);

	c = load_ok("{\"SSL\": {\"NumProcesses\": 1, \"LimitDevAccess\": 7}}",
		    JSON, 12);
	ck_assert_str_eq(qat_cfg_section_name(c, 1), "SSL_DEV12_INT_0");
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_keys)
{
	struct qat_cfg *c = load_ok("[SSL]\nNumberCyInstances = 1\n"
				    "NumProcesses = 2\nLimitDevAccess = 0\n"
				    "MaxNumProcessesHint = 9\n"
				    "Cy0Name = \"x y\"\n"
				    "Cy0CoreAffinity = 4\n", CONF, 0);
	int i;
	char name[32];
	uint64_t v;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "SSL_INT_%d", i);
		ck_assert_str_eq(get(c, name, "NumberCyInstances"), "1");
		ck_assert_str_eq(get(c, name, "Cy0Name"), "x y");
		ck_assert_str_eq(get(c, name, "Cy0CoreAffinity"), "4");
		ck_assert(absent(c, name, "NumProcesses"));
		ck_assert(absent(c, name, "LimitDevAccess"));
		ck_assert(absent(c, name, "MaxNumProcessesHint"));
	}
	ck_assert_int_eq(qat_cfg_get_u64(c, "SSL", "NumProcesses", &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_str_eq(get(c, "SSL", "MaxNumProcessesHint"), "9");
	ck_assert_str_eq(get(c, "SSL", "Cy0CoreAffinity"), "4");
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_affinity)
{
	/* 1,3,5-7 is 1 3 5 6 7; 9 processes wrap around after five. */
	static const char *const cy0[] = { "1", "3", "5", "6", "7",
					   "1", "3", "5", "6" };
	static const char *const dc[] = { "0", "1", "2", "10", "0",
					  "1", "2", "10", "0" };
	struct qat_cfg *c = load_ok("[SSL]\nNumProcesses = 9\n"
				    "Cy0CoreAffinity = 1,3,5-7\n"
				    "CyKCoreAffinity = 8\n"
				    "DcKCoreAffinity =  0 - 2 , 10 \n"
				    "Cy1CoreAffinity = 3-3\n", CONF, 0);
	char name[32];
	int i;

	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "SSL_INT_%d", i);
		ck_assert_str_eq(get(c, name, "Cy0CoreAffinity"), cy0[i]);
		ck_assert_str_eq(get(c, name, "CyKCoreAffinity"), "8");
		ck_assert_str_eq(get(c, name, "DcKCoreAffinity"), dc[i]);
		ck_assert_str_eq(get(c, name, "Cy1CoreAffinity"), "3");
	}
	qat_cfg_free(c);

	c = load_ok("[A]\nNumProcesses = 3\nCoreAffinity = 0-65535\n", CONF, 0);
	ck_assert_str_eq(get(c, "A_INT_2", "CoreAffinity"), "2");
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_not_user)
{
	struct qat_cfg *c = load_ok("[GENERAL]\nNumProcesses = 2\n"
				    "[KERNEL]\nNumProcesses = 2\n"
				    "[INLINE]\nNumProcesses = 2\n"
				    "[SIOV]\nNumProcesses = 2\n"
				    "[Accelerator0]\nNumProcesses = 2\n"
				    "[AcceleratorX]\nNumProcesses = x\n"
				    "[GENERAL2]\nNumProcesses = 1\n"
				    "[Plain]\nCy0CoreAffinity = not,checked\n",
				    CONF, 0);

	ck_assert_int_eq(qat_cfg_section_count(c), 9);
	ck_assert_int_eq(qat_cfg_has_section(c, "GENERAL_INT_0"), 0);
	ck_assert_int_eq(qat_cfg_has_section(c, "Accelerator0_INT_0"), 0);
	ck_assert_str_eq(qat_cfg_section_name(c, 7), "GENERAL2_INT_0");
	ck_assert_str_eq(qat_cfg_section_name(c, 8), "Plain");
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_nproc_errors)
{
	load_bad("[S]\nNumProcesses = abc\n", CONF, -EINVAL, 2, 16,
		 "NumProcesses in [S]: not a number");
	load_bad("[S]\nNumProcesses = -1\n", CONF, -EINVAL, 2, 16,
		 "not a number");
	load_bad("[S]\nNumProcesses = \n", CONF, -EINVAL, 2, 16,
		 "not a number");
	load_bad("[S]\nNumProcesses = 0\n", CONF, -ERANGE, 2, 16,
		 "must be 1 to 4096");
	load_bad("[S]\nNumProcesses = 4097\n", CONF, -ERANGE, 2, 16,
		 "must be 1 to 4096");
	load_bad("[S]\nNumProcesses =   99999999999999999999999\n", CONF,
		 -ERANGE, 2, 18, "must be 1 to 4096");
	load_bad("{\"S\": {\"NumProcesses\": 0}}", JSON, -ERANGE, 0, 0,
		 "NumProcesses in [S]: must be 1 to 4096");
	load_bad("{\"S\": {\"NumProcesses\": \"2x\"}}", JSON, -EINVAL, 0, 0,
		 "NumProcesses in [S]: not a number");
	load_bad("[S]\nNumProcesses = 1\nLimitDevAccess = yes\n", CONF,
		 -EINVAL, 3, 18, "LimitDevAccess in [S]: not a number");
}
END_TEST

START_TEST(test_expand_nproc_max)
{
	struct qat_cfg *c = load_ok("[S]\nNumProcesses = 0x1000\nA = 1\n",
				    CONF, 0);

	ck_assert_int_eq(qat_cfg_section_count(c), 4097);
	ck_assert_str_eq(qat_cfg_section_name(c, 4096), "S_INT_4095");
	ck_assert_str_eq(get(c, "S_INT_4095", "A"), "1");
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_expand_affinity_errors)
{
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 1,,3\n", CONF,
		 -EINVAL, 3, 21, "Cy0CoreAffinity in [S]: empty list element");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 1,\n", CONF,
		 -EINVAL, 3, 21, "empty list element");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity =\n", CONF,
		 -EINVAL, 3, 18, "empty list element");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 1,7-5\n", CONF,
		 -EINVAL, 3, 21, "range runs backwards");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 1,x\n", CONF,
		 -EINVAL, 3, 21, "expected a CPU number");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 1;2\n", CONF,
		 -EINVAL, 3, 20, "expected ',' or '-'");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 3-\n", CONF,
		 -EINVAL, 3, 21, "empty list element");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 0x1\n", CONF,
		 -EINVAL, 3, 20, "expected ',' or '-'");
	load_bad("[S]\nNumProcesses = 2\nCy0CoreAffinity = 2,65536\n", CONF,
		 -ERANGE, 3, 21, "CPU number above 65535");
	load_bad("{\"S\": {\"NumProcesses\": 2, \"DcKCoreAffinity\": \"5-1\"}}",
		 JSON, -EINVAL, 0, 0, "DcKCoreAffinity in [S]: range runs");
}
END_TEST

START_TEST(test_expand_collisions)
{
	char buf[512];
	struct qat_cfg *c;

	load_bad("[S]\nNumProcesses = 2\n[S_INT_1]\nA = 1\n", CONF, -EINVAL, 2,
		 16, "[S_INT_1] made by NumProcesses of [S] already exists");
	load_bad("[S_INT_0]\nB = 1\n[S]\nNumProcesses = 1\n", CONF, -EINVAL,
		 4, 16, "already exists");
	/* Two bases whose expansions meet. */
	load_bad("[X]\nNumProcesses = 1\nLimitDevAccess = 1\nA = 1\n"
		 "[X_DEV3]\nNumProcesses = 1\n", CONF, -EINVAL, 6, 16,
		 "[X_DEV3_INT_0] made by NumProcesses of [X_DEV3]");
	/* A section identical to what expansion makes is accepted. */
	c = load_ok("[S]\nNumProcesses = 1\nA = 1\n[S_INT_0]\nA = 1\n", CONF,
		    0);
	ck_assert_int_eq(qat_cfg_section_count(c), 2);
	qat_cfg_free(c);

	/* Expanded names are held to the same length limit. */
	snprintf(buf, sizeof(buf), "[%s]\nNumProcesses = 1\n", rep('S', 121));
	c = load_ok(buf, CONF, 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 2);
	qat_cfg_free(c);
	snprintf(buf, sizeof(buf), "[%s]\nNumProcesses = 1\n", rep('S', 122));
	load_bad(buf, CONF, -E2BIG, 2, 16, "would be longer than 127 bytes");
	snprintf(buf, sizeof(buf), "[%s]\nNumProcesses = 11\n", rep('S', 121));
	load_bad(buf, CONF, -E2BIG, 2, 16, "_INT_10] would be longer");
}
END_TEST

START_TEST(test_expand_too_big)
{
	/* 300 keys times 4096 processes is past the million-key bound. */
	size_t cap = 300 * 16 + 64, off;
	char *buf = malloc(cap);
	struct qat_cfg_error e;
	struct qat_cfg *c = QT_SENTINEL;
	int i, rc;

	ck_assert_ptr_nonnull(buf);
	off = (size_t)snprintf(buf, cap, "[S]\nNumProcesses = 4096\n");
	for (i = 0; i < 300; i++)
		off += (size_t)snprintf(buf + off, cap - off, "K%d = 1\n", i);
	rc = qat_cfg_load_mem("big", buf, off, CONF, 0, &c, &e);
	ck_assert_int_eq(rc, -E2BIG);
	qt_assert_untouched(c);
	ck_assert_msg(strstr(e.msg, "keys after expansion"), "%s", e.msg);
	free(buf);
}
END_TEST

/* ---- lookups ---------------------------------------------------------- */

START_TEST(test_get_u64)
{
	struct qat_cfg *c = load_ok("[N]\n"
				    "zero = 0\nmax = 18446744073709551615\n"
				    "over = 18446744073709551616\n"
				    "hmax = 0xffffffffFFFFFFFF\n"
				    "hover = 0x10000000000000000\n"
				    "hex = 0X1f\nlead = 007\n"
				    "long0 = 0000000000000000000000001\n"
				    "x = 0x\nempty =\nsign = -1\nplus = +1\n"
				    "sp = \" 1\"\ngarb = 12a\nhgarb = 0x1g\n"
				    "big_garb = 99999999999999999999999x\n",
				    CONF, 0);
	uint64_t v = 42;

	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "zero", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "max", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "hmax", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "hex", &v), 0);
	ck_assert_uint_eq(v, 31);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "lead", &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "long0", &v), 0);
	ck_assert_uint_eq(v, 1);
	v = 42;
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "over", &v), -ERANGE);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "hover", &v), -ERANGE);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "x", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "empty", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "sign", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "plus", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "sp", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "garb", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "hgarb", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "big_garb", &v), -EINVAL);
	ck_assert_uint_eq(v, 42); /* untouched on failure */
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "nope", &v), -ENOENT);
	ck_assert_int_eq(qat_cfg_get_u64(c, "M", "zero", &v), -ENOENT);
	ck_assert_int_eq(qat_cfg_get_u64(c, "N", "zero", NULL), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_u64(NULL, "N", "zero", &v), -EINVAL);
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_bad_args)
{
	struct qat_cfg_error e;
	struct qat_cfg *c = NULL;
	const char *v;
	char *s;

	ck_assert_int_eq(qat_cfg_load_mem("x", "[S]\n", 4, CONF, 0, NULL, &e),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_load_mem("x", NULL, 4, CONF, 0, &c, &e),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_load_mem("x", "[S]\n", 4,
					  (enum qat_cfg_format)7, 0, &c, &e),
			 -EINVAL);
	ck_assert_int_eq(qat_cfg_load(NULL, CONF, 0, &c, &e), -EINVAL);
	ck_assert_int_eq(qat_cfg_load_mem(NULL, NULL, 0, CONF, 0, &c, NULL), 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 0);
	ck_assert_int_eq(qat_cfg_get_str(c, NULL, "k", &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_str(c, "S", NULL, &v), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_str(c, "S", "k", NULL), -EINVAL);
	ck_assert_int_eq(qat_cfg_get_str(c, "S", "k", &v), -ENOENT);
	ck_assert_int_eq(qat_cfg_has_section(NULL, "S"), 0);
	ck_assert_int_eq(qat_cfg_has_section(c, NULL), 0);
	ck_assert_int_eq(qat_cfg_section_count(NULL), -EINVAL);
	ck_assert_ptr_null(qat_cfg_section_name(NULL, 0));
	ck_assert_int_eq(qat_cfg_dump_json(NULL, &s), -EINVAL);
	ck_assert_int_eq(qat_cfg_dump_json(c, NULL), -EINVAL);
	qat_cfg_free(c);
	qat_cfg_free(NULL);
	/* Errors from memory without a name. */
	ck_assert_int_eq(qat_cfg_load_mem(NULL, "[", 1, CONF, 0, &c, &e),
			 -EINVAL);
	ck_assert_str_eq(e.file, "<memory>");
}
END_TEST

START_TEST(test_mem_not_terminated)
{
	/* Exactly sized heap copies: ASan builds catch any read past len. */
	static const char *const texts[] = {
		"[S]\nA = 1", "[S", "[S]\nA = \"x", "[S]\nA", "[S]\nA = 1 #",
		"{\"S\": {\"A\": 1}}", "{\"S\": {\"A\": 1",
		"[S]\nNumProcesses = 2\nCy0CoreAffinity = 1-2",
	};
	size_t i, n;
	struct qat_cfg *c;
	char *p;
	int rc;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		n = strlen(texts[i]);
		p = malloc(n);
		ck_assert_ptr_nonnull(p);
		memcpy(p, texts[i], n);
		c = NULL;
		rc = qat_cfg_load_mem("m", p, n, texts[i][0] == '{' ? JSON :
					  CONF, 0, &c, NULL);
		ck_assert_msg((rc == 0) == (i == 0 || i == 4 || i == 5 ||
					    i == 7), "text %zu: rc %d", i, rc);
		if (i == 0)
			ck_assert_str_eq(get(c, "S", "A"), "1");
		if (i == 7)
			ck_assert_str_eq(get(c, "S_INT_1", "Cy0CoreAffinity"),
					 "2");
		qat_cfg_free(c);
		free(p);
	}
}
END_TEST

struct lookup_arg {
	const struct qat_cfg *cfg;
	int bad;
};

static void *lookup_thread(void *p)
{
	struct lookup_arg *a = p;
	const char *v;
	char name[32];
	int i;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "SSL_INT_%d", i % 4);
		if (qat_cfg_get_str(a->cfg, name, "Cy1CoreAffinity", &v) ||
		    strcmp(v, "2"))
			a->bad++;
	}
	return NULL;
}

START_TEST(test_lookup_threads)
{
	struct lookup_arg a[4];
	pthread_t t[4];
	struct qat_cfg *c = load_ok(good_conf, CONF, 0);
	int i;

	for (i = 0; i < 4; i++) {
		a[i].cfg = c;
		a[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, lookup_thread,
						&a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(a[i].bad, 0);
	}
	qat_cfg_free(c);
}
END_TEST

START_TEST(test_many_keys_hash)
{
	/* Enough keys and sections to grow every table several times. */
	size_t cap = 1 << 20, off = 0;
	char *buf = malloc(cap), key[32], sec[32];
	struct qat_cfg *c;
	const char *v;
	int s, k;

	ck_assert_ptr_nonnull(buf);
	for (s = 0; s < 200; s++) {
		off += (size_t)snprintf(buf + off, cap - off, "[Sec%d]\n", s);
		for (k = 0; k < 50; k++)
			off += (size_t)snprintf(buf + off, cap - off,
						"Key%d = %d\n", k, s * 100 + k);
	}
	ck_assert_int_eq(qat_cfg_load_mem("m", buf, off, CONF, 0, &c, NULL),
			 0);
	ck_assert_int_eq(qat_cfg_section_count(c), 200);
	for (s = 0; s < 200; s++) {
		snprintf(sec, sizeof(sec), "Sec%d", s);
		for (k = 0; k < 50; k++) {
			snprintf(key, sizeof(key), "Key%d", k);
			ck_assert_int_eq(qat_cfg_get_str(c, sec, key, &v), 0);
			ck_assert_int_eq(atoi(v), s * 100 + k);
		}
		ck_assert(absent(c, sec, "Key50"));
	}
	qat_cfg_free(c);
	free(buf);
}
END_TEST

/* ---- dump ------------------------------------------------------------- */

START_TEST(test_dump_round_trip)
{
	struct qat_cfg *a = load_ok(good_conf, CONF, 5), *b;
	char *s = NULL;
	int i;

	ck_assert_int_eq(qat_cfg_dump_json(a, &s), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\"SSL_INT_3\""));
	ck_assert_ptr_nonnull(strstr(s, "\"Cy0CoreAffinity\": \"6\""));
	ck_assert_uint_eq(s[strlen(s) - 1], '\n');
	b = load_ok(s, JSON, 5);
	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	ck_assert_int_eq(qat_cfg_section_count(a), qat_cfg_section_count(b));
	for (i = 0; i < qat_cfg_section_count(a); i++)
		ck_assert_str_eq(qat_cfg_section_name(a, (unsigned int)i),
				 qat_cfg_section_name(b, (unsigned int)i));
	free(s);
	qat_cfg_free(a);
	qat_cfg_free(b);

	/* With LimitDevAccess the dump reloads for the same accelerator. */
	a = load_ok("[S]\nNumProcesses = 2\nLimitDevAccess = 1\n"
		    "Cy0CoreAffinity = 4-5\n", CONF, 2);
	ck_assert_int_eq(qat_cfg_dump_json(a, &s), 0);
	b = load_ok(s, JSON, 2);
	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	ck_assert_int_eq(qat_cfg_section_count(b), 3);
	free(s);
	qat_cfg_free(a);
	qat_cfg_free(b);
}
END_TEST

START_TEST(test_dump_escapes)
{
	struct qat_cfg *a = load_ok("[S]\nA = \"q\\\\ \t/\"\n", CONF, 0), *b;
	char *s;

	ck_assert_str_eq(get(a, "S", "A"), "q\\\\ \t/");
	ck_assert_int_eq(qat_cfg_dump_json(a, &s), 0);
	ck_assert_ptr_nonnull(strstr(s, "\"q\\\\\\\\ \\t/\""));
	b = load_ok(s, JSON, 0);
	ck_assert_str_eq(get(b, "S", "A"), "q\\\\ \t/");
	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	free(s);
	qat_cfg_free(a);
	qat_cfg_free(b);
}
END_TEST

/* ---- garbage ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void check_outcome(int rc, struct qat_cfg *c,
			  const struct qat_cfg_error *e)
{
	const char *v;
	char *s;

	if (rc == 0) {
		ck_assert_ptr_nonnull(c);
		ck_assert_ptr_ne(c, QT_SENTINEL);
		ck_assert_int_ge(qat_cfg_section_count(c), 0);
		qat_cfg_get_str(c, "SSL", "Cy0Name", &v);
		ck_assert_int_eq(qat_cfg_dump_json(c, &s), 0);
		free(s);
		qat_cfg_free(c);
		return;
	}
	ck_assert_msg(rc == -EINVAL || rc == -E2BIG || rc == -ERANGE,
		      "rc %d", rc);
	qt_assert_untouched(c);
	ck_assert_msg(e->msg[0], "empty error message");
}

START_TEST(test_random_garbage)
{
	unsigned char buf[512];
	struct qat_cfg_error e;
	struct qat_cfg *c;
	size_t len, j;
	int i, rc, fmt;

	for (i = 0; i < 4000; i++) {
		len = rnd() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (unsigned char)rnd();
		for (fmt = CONF; fmt <= JSON; fmt++) {
			c = QT_SENTINEL;
			rc = qat_cfg_load_mem("g", buf, len, fmt, 0, &c, &e);
			check_outcome(rc, c, &e);
		}
	}
}
END_TEST

START_TEST(test_mutated_configs)
{
	char buf[1024];
	struct qat_cfg_error e;
	struct qat_cfg *c;
	int i, k, rc, ok = 0;

	for (i = 0; i < 3000; i++) {
		const char *src = i & 1 ? good_json : good_conf;
		size_t len = strlen(src);

		memcpy(buf, src, len);
		for (k = 0; k < 1 + (int)(rnd() % 3); k++)
			buf[rnd() % len] = "=[]#\",-0x\n\r {}:9\0a"[rnd() % 19];
		c = QT_SENTINEL;
		rc = qat_cfg_load_mem("m", buf, len, i & 1 ? JSON : CONF, 1,
				      &c, &e);
		ok += rc == 0;
		check_outcome(rc, c, &e);
	}
	ck_assert_int_gt(ok, 0);
}
END_TEST

/* ---- files --------------------------------------------------------------- */

static char *temp_file(const char *suffix, const char *text)
{
	char *path = malloc(64);
	int fd;

	ck_assert_ptr_nonnull(path);
	snprintf(path, 64, "/tmp/check_cfg_XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_load_files)
{
	char *conf = temp_file(".conf", good_conf);
	char *json = temp_file(".json", good_json);
	char *odd = temp_file(".cfg", good_json);
	struct qat_cfg_error e;
	struct qat_cfg *a, *b, *c = NULL;

	ck_assert_int_eq(qat_cfg_load(conf, QAT_CFG_FMT_AUTO, 0, &a, &e), 0);
	ck_assert_int_eq(qat_cfg_load(json, QAT_CFG_FMT_AUTO, 0, &b, &e), 0);
	ck_assert_uint_eq(qat_cfg_fingerprint(a), qat_cfg_fingerprint(b));
	/* AUTO goes by the name: JSON in a .cfg file is parsed as .conf. */
	ck_assert_int_eq(qat_cfg_load(odd, QAT_CFG_FMT_AUTO, 0, &c, &e),
			 -EINVAL);
	ck_assert_str_eq(e.file, odd);
	ck_assert_uint_eq(e.line, 1);
	ck_assert_int_eq(qat_cfg_load(odd, JSON, 0, &c, &e), 0);
	ck_assert_uint_eq(qat_cfg_fingerprint(c), qat_cfg_fingerprint(a));
	qat_cfg_free(a);
	qat_cfg_free(b);
	qat_cfg_free(c);
	unlink(conf);
	unlink(json);
	unlink(odd);
	free(conf);
	free(json);
	free(odd);
}
END_TEST

START_TEST(test_load_file_errors)
{
	char *big = temp_file(".conf", "");
	struct qat_cfg_error e;
	struct qat_cfg *c = QT_SENTINEL;
	int fd;

	ck_assert_int_eq(qat_cfg_load("/nonexistent/x.conf", CONF, 0, &c, &e),
			 -ENOENT);
	ck_assert_str_eq(e.file, "/nonexistent/x.conf");
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open"));
	ck_assert_int_eq(qat_cfg_load("/tmp", CONF, 0, &c, &e), -EISDIR);
	fd = open(big, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (16 << 20) + 1), 0);
	close(fd);
	ck_assert_int_eq(qat_cfg_load(big, CONF, 0, &c, &e), -EFBIG);
	qt_assert_untouched(c);
	ck_assert_int_eq(qat_cfg_load_mem("m", "", (16u << 20) + 1, CONF, 0,
					  &c, &e), -EFBIG);
	unlink(big);
	free(big);
}
END_TEST

/*
 * Issue 9.3: a FIFO with no writer blocked qat_cfg_load() in open(2) for
 * ever. Only regular files are configuration; the alarm turns a hang
 * into a failure instead of a stuck suite.
 */
START_TEST(test_load_fifo_refused)
{
	char path[] = "/tmp/check_cfg_fifo_XXXXXX";
	char fifo[64];
	struct qat_cfg_error e;
	struct qat_cfg *c = NULL;

	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(fifo, sizeof(fifo), "%s/x_dev0.conf", path);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	alarm(10);
	ck_assert_int_eq(qat_cfg_load(fifo, CONF, 0, &c, &e), -EINVAL);
	alarm(0);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(e.file, fifo);
	ck_assert_str_eq(e.msg, "is a FIFO, not a regular file");
	ck_assert_int_eq(qat_cfg_load("/dev/null", CONF, 0, &c, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "is a character device, not a regular file");
	unlink(fifo);
	rmdir(path);
}
END_TEST

static char logged[512];
static int log_calls;

static void log_cb(enum qat_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == QAT_LOG_ERR) {
		snprintf(logged, sizeof(logged), "%s", msg);
		log_calls++;
	}
}

START_TEST(test_error_logged)
{
	struct qat_cfg *c = NULL;

	qat_set_log_fn(log_cb, NULL, QAT_LOG_DEBUG);
	ck_assert_int_eq(qat_cfg_load_mem("my.conf", "[S]\n[S]\n", 8, CONF, 0,
					  &c, NULL), -EINVAL);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	ck_assert_int_eq(log_calls, 1);
	ck_assert_str_eq(logged, "my.conf:2:1: duplicate section [S]");
}
END_TEST

Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *t = tcase_create("parse");
	TCase *x = tcase_create("expand");
	TCase *l = tcase_create("lookup");
	TCase *g = tcase_create("garbage");

	tcase_add_test(t, test_conf_good);
	tcase_add_test(t, test_conf_json_same);
	tcase_add_test(t, test_fingerprint_changes);
	tcase_add_test(t, test_conf_syntax_details);
	tcase_add_loop_test(t, test_bad_case, 0,
			    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(t, test_length_limits);
	tcase_add_test(t, test_load_files);
	tcase_add_test(t, test_load_file_errors);
	tcase_add_test(t, test_load_fifo_refused);
	tcase_add_test(t, test_error_logged);
	suite_add_tcase(s, t);

	tcase_add_test(x, test_expand_names_plain);
	tcase_add_test(x, test_expand_names_dev);
	tcase_add_test(x, test_expand_keys);
	tcase_add_test(x, test_expand_affinity);
	tcase_add_test(x, test_expand_not_user);
	tcase_add_test(x, test_expand_nproc_errors);
	tcase_add_test(x, test_expand_nproc_max);
	tcase_add_test(x, test_expand_affinity_errors);
	tcase_add_test(x, test_expand_collisions);
	tcase_add_test(x, test_expand_too_big);
	suite_add_tcase(s, x);

	tcase_add_test(l, test_get_u64);
	tcase_add_test(l, test_bad_args);
	tcase_add_test(l, test_mem_not_terminated);
	tcase_add_test(l, test_lookup_threads);
	tcase_add_test(l, test_many_keys_hash);
	tcase_add_test(l, test_dump_round_trip);
	tcase_add_test(l, test_dump_escapes);
	suite_add_tcase(s, l);

	tcase_add_test(g, test_random_garbage);
	tcase_add_test(g, test_mutated_configs);
	tcase_set_timeout(g, 60);
	suite_add_tcase(s, g);
	return s;
}
