/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for configuration loading. The input is given to
 * qat_cfg_load_mem() as .conf and as JSON, as is (not NUL-terminated:
 * libFuzzer's buffer ends exactly at size, so ASan sees any overread).
 * A configuration that loads is dumped, reloaded from its dump (which
 * must give the same fingerprint) and looked up in.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/cfg.h"
#include "cfg_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void exercise(const struct qat_cfg *cfg, unsigned int accel)
{
	struct qat_cfg *again = NULL;
	const char *name, *v;
	uint64_t u;
	char *dump = NULL;
	int i, n = qat_cfg_section_count(cfg);

	check(n >= 0);
	for (i = 0; i < n; i++) {
		name = qat_cfg_section_name(cfg, (unsigned int)i);
		check(name && qat_cfg_has_section(cfg, name) == 1);
		qat_cfg_get_str(cfg, name, "NumProcesses", &v);
		qat_cfg_get_u64(cfg, name, "Cy0CoreAffinity", &u);
	}
	check(qat_cfg_section_name(cfg, (unsigned int)n) == NULL);
	if (qat_cfg_dump_json(cfg, &dump) == -ENOMEM)
		return;
	check(dump != NULL);
	/* The dump holds the expanded sections; reloading accepts them
	 * because they are exactly what expansion makes again. */
	if (qat_cfg_load_mem("dump.json", dump, strlen(dump),
			     QAT_CFG_FMT_JSON, accel, &again, NULL) == 0) {
		check(qat_cfg_fingerprint(again) == qat_cfg_fingerprint(cfg));
		check(qat_cfg_section_count(again) == n);
		qat_cfg_free(again);
	}
	free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum qat_cfg_format fmts[] = { QAT_CFG_FMT_CONF,
						    QAT_CFG_FMT_JSON };
	struct qat_cfg_error err;
	struct qat_cfg *cfg;
	unsigned int accel = size ? data[0] % 4 : 0;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		cfg = NULL;
		rc = qat_cfg_load_mem("fuzz", data, size, fmts[i], accel, &cfg,
				      &err);
		if (rc) {
			check(cfg == NULL && err.msg[0] != '\0');
			check(rc == -EINVAL || rc == -E2BIG || rc == -ERANGE ||
			      rc == -ENOMEM);
			continue;
		}
		exercise(cfg, accel);
		qat_cfg_free(cfg);
	}
	return 0;
}
