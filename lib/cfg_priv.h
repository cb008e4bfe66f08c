/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef QAT_CFG_PRIV_H
#define QAT_CFG_PRIV_H

#include "qat/cfg.h"

/*
 * A 64-bit fingerprint of the expanded configuration's content (sections,
 * keys and values, independent of file format and of key order within a
 * section). Two processes with the same configuration get the same value.
 */
uint64_t qat_cfg_fingerprint(const struct qat_cfg *cfg);

#endif /* QAT_CFG_PRIV_H */
