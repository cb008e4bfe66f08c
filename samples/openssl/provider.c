/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenSSL 3 provider "qatrt": SHA-256 through the shared core.
 *
 *   openssl dgst -sha256 -provider-path DIR -provider qatrt FILE
 *
 * Parameters, from the provider's section of openssl.cnf: "section", the
 * base section to claim (default $QAT_SECTION_NAME, else SHIM), and
 * "wait_ms", wait that long for a free section when all are taken (-1
 * for ever; default: fail at once, and the provider does not load).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "qatrt_core.h"

static void *dg_newctx(void *provctx)
{
	return calloc(1, sizeof(struct qcore_sha));
}

static void dg_freectx(void *ctx)
{
	free(ctx);
}

static void *dg_dupctx(void *ctx)
{
	struct qcore_sha *c = malloc(sizeof(*c));

	if (c)
		memcpy(c, ctx, sizeof(*c));
	return c;
}

static int dg_init(void *ctx, const OSSL_PARAM params[])
{
	qcore_sha_init(ctx);
	return 1;
}

static int dg_update(void *ctx, const unsigned char *in, size_t len)
{
	return qcore_sha_update(ctx, in, len);
}

static int dg_final(void *ctx, unsigned char *out, size_t *outl, size_t outsz)
{
	if (outsz < SHA256_DIGEST_LENGTH || !qcore_sha_final(ctx, out))
		return 0;
	*outl = SHA256_DIGEST_LENGTH;
	return 1;
}

static int dg_get_params(OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_CBLOCK))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, SHA256_DIGEST_LENGTH))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static const OSSL_PARAM *dg_gettable_params(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
		OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
		OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
		OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
		OSSL_PARAM_END,
	};

	return t;
}

typedef void (*fn)(void);
static const OSSL_DISPATCH sha256_fns[] = {
	{ OSSL_FUNC_DIGEST_NEWCTX, (fn)dg_newctx },
	{ OSSL_FUNC_DIGEST_INIT, (fn)dg_init },
	{ OSSL_FUNC_DIGEST_UPDATE, (fn)dg_update },
	{ OSSL_FUNC_DIGEST_FINAL, (fn)dg_final },
	{ OSSL_FUNC_DIGEST_FREECTX, (fn)dg_freectx },
	{ OSSL_FUNC_DIGEST_DUPCTX, (fn)dg_dupctx },
	{ OSSL_FUNC_DIGEST_GET_PARAMS, (fn)dg_get_params },
	{ OSSL_FUNC_DIGEST_GETTABLE_PARAMS, (fn)dg_gettable_params },
	{ 0, NULL },
};

static const OSSL_ALGORITHM digests[] = {
	{ "SHA2-256:SHA-256:SHA256:2.16.840.1.101.3.4.2.1", "provider=qatrt",
	  sha256_fns, "SHA-256 on a libqatrt device" },
	{ NULL, NULL, NULL, NULL },
};

static const OSSL_ALGORITHM *query(void *provctx, int op, int *no_cache)
{
	*no_cache = 0;
	return op == OSSL_OP_DIGEST ? digests : NULL;
}

static int prov_get_params(void *provctx, OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "libqatrt sample provider"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, "1.0.0"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
	if (p && !OSSL_PARAM_set_utf8_ptr(p, qcore_section() ?
					 qcore_section() : "no section"))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
	if (p && !OSSL_PARAM_set_int(p, qcore_section() != NULL))
		return 0;
	return 1;
}

static const OSSL_PARAM *prov_gettable_params(void *provctx)
{
	static const OSSL_PARAM t[] = {
		OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR,
				NULL, 0),
		OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR,
				NULL, 0),
		OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR,
				NULL, 0),
		OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER,
				NULL, 0),
		OSSL_PARAM_END,
	};

	return t;
}

static void prov_teardown(void *provctx)
{
	qcore_finish();
}

static const OSSL_DISPATCH prov_fns[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (fn)query },
	{ OSSL_FUNC_PROVIDER_GET_PARAMS, (fn)prov_get_params },
	{ OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (fn)prov_gettable_params },
	{ OSSL_FUNC_PROVIDER_TEARDOWN, (fn)prov_teardown },
	{ 0, NULL },
};

/* "section" and "wait_ms" from our section of the configuration file. */
static int read_config(const OSSL_CORE_HANDLE *handle,
		       const OSSL_DISPATCH *in, char **section, long *wait_ms)
{
	OSSL_FUNC_core_get_params_fn *get = NULL;
	char *sec = NULL, *wait = NULL, *end;
	OSSL_PARAM req[] = {
		OSSL_PARAM_utf8_ptr("section", &sec, 0),
		OSSL_PARAM_utf8_ptr("wait_ms", &wait, 0),
		OSSL_PARAM_END,
	};

	for (; in->function_id; in++)
		if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
			get = OSSL_FUNC_core_get_params(in);
	if (!get || !get(handle, req))
		return 1;
	*section = sec;
	if (wait && *wait) {
		*wait_ms = strtol(wait, &end, 10);
		if (*end)
			return 0;
		if (*wait_ms < 0)
			*wait_ms = -1;
	}
	return 1;
}

OPENSSL_EXPORT int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
				      const OSSL_DISPATCH *in,
				      const OSSL_DISPATCH **out,
				      void **provctx);

OPENSSL_EXPORT int OSSL_provider_init(const OSSL_CORE_HANDLE *handle,
				      const OSSL_DISPATCH *in,
				      const OSSL_DISPATCH **out,
				      void **provctx)
{
	char *section = NULL;
	long wait_ms = QCORE_NO_WAIT;

	if (!read_config(handle, in, &section, &wait_ms) ||
	    qcore_init("qatrt-provider", section, wait_ms))
		return 0;
	*out = prov_fns;
	*provctx = (void *)handle;
	return 1;
}
