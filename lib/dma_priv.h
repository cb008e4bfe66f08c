/* SPDX-License-Identifier: BSD-3-Clause */
/* DMA helpers shared by dev.c and dma.c. */
#ifndef QAT_DMA_PRIV_H
#define QAT_DMA_PRIV_H

#include <stddef.h>

struct qat_dev;

/*
 * After the kernel refused to lock or pin `len` more bytes with `err`:
 * when RLIMIT_MEMLOCK is why, log the limit, what is locked already and
 * what the limit must be, and return -ENOMEM; otherwise return `err`.
 */
int qat_dma_memlock_error(const struct qat_dev *dev, size_t len, int err);

#endif
