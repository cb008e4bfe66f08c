/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libqatrt: user-space runtime for QuickAssist-style PCI accelerators.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative errno on failure; qat_strerror() describes it. See common.h for
 * the conventions every header follows.
 */
#ifndef QAT_QATRT_H
#define QAT_QATRT_H

#include "common.h"
#include "version.h"
#include "rt.h"
#include "dev.h"
#include "cfg.h"
#include "irq.h"
#include "sim.h"
#include "state.h"
#include "proc.h"
#include "iopf.h"

#endif /* QAT_QATRT_H */
