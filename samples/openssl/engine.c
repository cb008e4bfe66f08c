/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dynamic ENGINE "qatrt": SHA-256 through the shared core.
 *
 *   openssl engine -t -c dynamic -pre SO_PATH:qatrt-engine.so -pre LOAD
 *   openssl dgst -sha256 -engine /path/qatrt-engine.so FILE
 *
 * Controls (before init, e.g. "-pre SECTION:SSL" or an engine section of
 * openssl.cnf): SECTION, the base section to claim (default
 * $QAT_SECTION_NAME, else SHIM); WAIT_MS, wait that long for a free
 * section when all are taken (-1 for ever; default: fail at once).
 * The ENGINE API is deprecated in OpenSSL 3.0; the provider (provider.c)
 * is the way forward, this is for applications that still load engines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/engine.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "qatrt_core.h"

#define CMD_SECTION ENGINE_CMD_BASE
#define CMD_WAIT_MS (ENGINE_CMD_BASE + 1)

static const char engine_id[] = "qatrt";
static const char engine_name[] = "libqatrt sample engine (SHA-256)";

static const ENGINE_CMD_DEFN cmds[] = {
	{ CMD_SECTION, "SECTION", "base section to claim (default SHIM)",
	  ENGINE_CMD_FLAG_STRING },
	{ CMD_WAIT_MS, "WAIT_MS",
	  "wait this long for a free section (-1: for ever)",
	  ENGINE_CMD_FLAG_NUMERIC },
	{ 0, NULL, NULL, 0 },
};

static char *section;            /* from SECTION, until finish */
static long wait_ms = QCORE_NO_WAIT;
static EVP_MD *sha256_md;
static const int digest_nids[] = { NID_sha256 };

static int md_init(EVP_MD_CTX *ctx)
{
	qcore_sha_init(EVP_MD_CTX_md_data(ctx));
	return 1;
}

static int md_update(EVP_MD_CTX *ctx, const void *data, size_t len)
{
	return qcore_sha_update(EVP_MD_CTX_md_data(ctx), data, len);
}

static int md_final(EVP_MD_CTX *ctx, unsigned char *md)
{
	return qcore_sha_final(EVP_MD_CTX_md_data(ctx), md);
}

static const EVP_MD *md_get(void)
{
	EVP_MD *md;

	if (sha256_md)
		return sha256_md;
	md = EVP_MD_meth_new(NID_sha256, NID_sha256WithRSAEncryption);
	if (!md || !EVP_MD_meth_set_result_size(md, SHA256_DIGEST_LENGTH) ||
	    !EVP_MD_meth_set_input_blocksize(md, SHA256_CBLOCK) ||
	    !EVP_MD_meth_set_app_datasize(md, sizeof(struct qcore_sha)) ||
	    !EVP_MD_meth_set_flags(md, EVP_MD_FLAG_DIGALGID_ABSENT) ||
	    !EVP_MD_meth_set_init(md, md_init) ||
	    !EVP_MD_meth_set_update(md, md_update) ||
	    !EVP_MD_meth_set_final(md, md_final)) {
		EVP_MD_meth_free(md);
		return NULL;
	}
	sha256_md = md;
	return md;
}

/* The ENGINE digest callback: list our nids, or give one. */
static int digests(ENGINE *e, const EVP_MD **md, const int **nids, int nid)
{
	if (!md) {
		*nids = digest_nids;
		return 1;
	}
	*md = nid == NID_sha256 ? md_get() : NULL;
	return *md != NULL;
}

static int eng_ctrl(ENGINE *e, int cmd, long i, void *p, void (*f)(void))
{
	switch (cmd) {
	case CMD_SECTION:
		if (!p)
			return 0;
		free(section);
		section = strdup(p);
		return section != NULL;
	case CMD_WAIT_MS:
		wait_ms = i < 0 ? -1 : i;
		return 1;
	default:
		return 0;
	}
}

static int eng_init(ENGINE *e)
{
	return qcore_init("qatrt-engine", section, wait_ms) == 0;
}

static int eng_finish(ENGINE *e)
{
	qcore_finish();
	return 1;
}

/*
 * When init fails (no free section), openssl(1) drops the engine and
 * unloads this module but goes on, and OpenSSL's digest table would still
 * point at us: take our entry out before we go. (At exit OpenSSL may call
 * this with its engine lock held; the unregister then does nothing, which
 * is fine, the tables are being freed.)
 */
static int eng_destroy(ENGINE *e)
{
	ENGINE_unregister_digests(e);
	EVP_MD_meth_free(sha256_md);
	sha256_md = NULL;
	free(section);
	section = NULL;
	return 1;
}

static int bind_qatrt(ENGINE *e, const char *id)
{
	if (id && strcmp(id, engine_id))
		return 0;
	return ENGINE_set_id(e, engine_id) && ENGINE_set_name(e, engine_name) &&
	       ENGINE_set_init_function(e, eng_init) &&
	       ENGINE_set_finish_function(e, eng_finish) &&
	       ENGINE_set_destroy_function(e, eng_destroy) &&
	       ENGINE_set_ctrl_function(e, eng_ctrl) &&
	       ENGINE_set_cmd_defns(e, cmds) &&
	       ENGINE_set_digests(e, digests);
}

IMPLEMENT_DYNAMIC_BIND_FN(bind_qatrt)
IMPLEMENT_DYNAMIC_CHECK_FN()
