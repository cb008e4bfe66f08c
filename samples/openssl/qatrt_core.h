/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core the OpenSSL engine (engine.c) and provider (provider.c) share:
 * one claimed process section, the device's state events, and SHA-256
 * routed to the device or, while it is down, to software.
 *
 * One core per process (each module carries its own copy). Thread-safe.
 * Log lines go to stderr, prefixed with the module's name.
 */
#ifndef QATRT_CORE_H
#define QATRT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

/* What a module was told before init; NULL / QCORE_NO_WAIT for defaults. */
#define QCORE_NO_WAIT (-2)
#define QCORE_DEFAULT_SECTION "SHIM"

struct qcore_sha {
	SHA256_CTX sw;          /* the running digest, whatever computes it */
	uint64_t bytes;
	uint64_t dev_ops, sw_ops; /* updates done by each path */
	int last_route;         /* -1 none yet, 0 software, 1 device */
};

/*
 * Open a runtime ($QATRT_CONFIG, $QATRT_REGISTRY), subscribe to state
 * events, then claim a section of base `section` (NULL: $QAT_SECTION_NAME,
 * else "SHIM"). `wait_ms`: QCORE_NO_WAIT fails at once when all are taken,
 * -1 waits for ever, >= 0 waits that long. `who` names the module in log
 * lines. Returns 0 or a negative errno (logged).
 */
int qcore_init(const char *who, const char *section, long wait_ms);

/* Undo one successful qcore_init(); the last one releases the claim and
 * the subscription and closes the runtime. */
void qcore_finish(void);

/* The claimed internal section ("SHIM_INT_3"), or NULL. */
const char *qcore_section(void);

void qcore_sha_init(struct qcore_sha *c);
/* 1 on success, 0 on failure, as OpenSSL callbacks return. */
int qcore_sha_update(struct qcore_sha *c, const void *data, size_t len);
int qcore_sha_final(struct qcore_sha *c, unsigned char md[SHA256_DIGEST_LENGTH]);

#endif /* QATRT_CORE_H */
