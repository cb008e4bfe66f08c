/* SPDX-License-Identifier: BSD-3-Clause */
/* What the parts of the qatrt tool share. */
#ifndef QATRT_TOOL_H
#define QATRT_TOOL_H

#include <stdarg.h>

/*
 * Bind the QAT functions named in addrs[0..n-1] (all of them when n is
 * 0) to vfio-pci through driver_override, or with `unbind` give them
 * back to their own driver. `pci_ids` (may be NULL) adds ids to the
 * library's QAT table, as qat_rt_opts.pci_ids. Returns the exit status
 * (0 or 1); messages go to stdout, errors to stderr.
 */
int tool_bind(int unbind, const char *pci_ids, char **addrs, int n);

#endif
