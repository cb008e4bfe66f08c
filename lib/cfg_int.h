/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's data model, shared by lib/cfg*.c only.
 *
 * Strings live in an arena owned by the configuration and are never
 * modified after they are stored, so internal sections made by expansion
 * point at their base's key and value strings instead of copying them.
 * Sections and keys are found through open-addressing hash tables (linear
 * probing, load factor at most 1/2): one keyed on section name, one per
 * section keyed on key name.
 */
#ifndef QAT_CFG_INT_H
#define QAT_CFG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg_priv.h"

/* Bounds that keep a hostile file from making us allocate without end. */
#define QCFG_MAX_FILE (16u << 20)       /* bytes of input */
#define QCFG_MAX_PROCESSES 4096u        /* NumProcesses */
#define QCFG_MAX_CPU 65535u             /* a CoreAffinity element */
#define QCFG_MAX_SECTIONS (1u << 16)    /* after expansion */
#define QCFG_MAX_ENTRIES (1u << 20)     /* keys of all sections, expanded */

struct qcfg_kv {
	const char *key;
	const char *val;
	/* This pair's term of the fingerprint; 0 until qcfg_kv_add()
	 * computes it. Copies of a pair keep it, so expansion hashes no
	 * string twice. */
	uint64_t fp;
	uint32_t hash;   /* of key */
	uint32_t klen;
	uint32_t line;   /* where the value was read; 0 if not from a .conf */
	uint32_t col;
};

struct qcfg_sec {
	const char *name;
	uint32_t hash;   /* of name */
	uint32_t nlen;
	uint32_t line;   /* of the header; 0 if not from a .conf */
	uint32_t col;
	uint32_t nkv;
	uint32_t kvcap;
	uint32_t mask;   /* slot count - 1; slot is NULL while nkv is 0 */
	bool in_arena;   /* kv and slot are in the arena: never freed */
	struct qcfg_kv *kv;   /* in file order */
	uint32_t *slot;       /* index into kv + 1; 0 is empty */
	/* Internal sections made from this one: sec[int_first...] of the
	 * configuration until qcfg_expand() moves them right after it. */
	uint32_t int_first;
	uint32_t nint;
};

struct qcfg_blk;

struct qat_cfg {
	struct qcfg_sec **sec;   /* in file order */
	uint32_t nsec;
	uint32_t seccap;
	uint32_t mask;
	struct qcfg_sec **slot;  /* NULL is empty */
	uint32_t nentries;       /* keys over all sections */
	uint64_t fingerprint;
	struct qcfg_blk *arena;
};

/* Who is loading, for error reports. */
struct qcfg_ctx {
	const char *name;
	struct qat_cfg_error *err;  /* may be NULL */
	unsigned int accel_id;
};

/* Fill ctx->err, log at QAT_LOG_ERR and return `rc` (a negative errno).
 * line and col are 1-based, 0 when the error has no place. */
int qcfg_fail(const struct qcfg_ctx *ctx, int rc, unsigned int line,
	      unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Printable form of a byte for messages: 'c' or 0xNN. */
const char *qcfg_chr(unsigned char c, char buf[8]);

/* Character classes. Section names are [A-Za-z0-9_], keys also allow '.'
 * and '-'. Values are printable ASCII and tab. */
bool qcfg_is_sec_char(unsigned char c);
bool qcfg_is_key_char(unsigned char c);
bool qcfg_is_val_char(unsigned char c);

uint32_t qcfg_hash(const char *s, size_t len);

struct qat_cfg *qcfg_new(void);
/* Copy into the arena, NUL-terminated. NULL when out of memory. */
char *qcfg_strdup(struct qat_cfg *cfg, const char *s, size_t len);

/* A section not yet in the configuration; `name` must be in the arena. */
struct qcfg_sec *qcfg_sec_new(struct qat_cfg *cfg, const char *name,
			      size_t len);
/* Free what the arena does not own; the section becomes empty. */
void qcfg_sec_drop(struct qcfg_sec *sec);
/* Append to the configuration. -EEXIST if the name is taken (the caller
 * still owns sec), -E2BIG past QCFG_MAX_SECTIONS, -ENOMEM. */
int qcfg_sec_attach(struct qat_cfg *cfg, struct qcfg_sec *sec);

/* Give an empty section room for n keys, in the arena: for sections whose
 * size is known up front (expansion), which then cost no malloc or free.
 * -ENOMEM. */
int qcfg_sec_reserve(struct qat_cfg *cfg, struct qcfg_sec *sec, uint32_t n);
/* Add a key whose strings are in the arena; kv->klen and kv->hash must
 * be set. -EEXIST for a duplicate, -E2BIG past QCFG_MAX_ENTRIES,
 * -ENOMEM. */
int qcfg_kv_add(struct qat_cfg *cfg, struct qcfg_sec *sec,
		const struct qcfg_kv *kv);

/* The same without the duplicate check, for keys known to be new. */
int qcfg_kv_push(struct qat_cfg *cfg, struct qcfg_sec *sec,
		 const struct qcfg_kv *kv);

/* A pair's fingerprint term in two steps, so that many values of one key
 * hash the key once: qcfg_fp_val(qcfg_fp_key(k), v) is kv->fp. */
uint64_t qcfg_fp_key(const char *key);
uint64_t qcfg_fp_val(uint64_t key_state, const char *val);

struct qcfg_sec *qcfg_sec_find(const struct qat_cfg *cfg, const char *name,
			       size_t len, uint32_t hash);
const struct qcfg_kv *qcfg_kv_find(const struct qcfg_sec *sec,
				   const char *key, size_t len,
				   uint32_t hash);

/* Parse an unsigned decimal or 0x-hex number: 0, -EINVAL, -ERANGE. */
int qcfg_parse_u64(const char *s, uint64_t *val);

/* The parsers add sections and keys to an empty configuration. */
int qcfg_parse_conf(struct qat_cfg *cfg, const struct qcfg_ctx *ctx,
		    const char *buf, size_t len);
int qcfg_parse_json(struct qat_cfg *cfg, const struct qcfg_ctx *ctx,
		    const char *buf, size_t len);
/* NumProcesses expansion, then sections put in their final order. */
int qcfg_expand(struct qat_cfg *cfg, const struct qcfg_ctx *ctx);
/* Compute what the loaded configuration caches (the fingerprint). */
void qcfg_finish(struct qat_cfg *cfg);

#endif /* QAT_CFG_INT_H */
