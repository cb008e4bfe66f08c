/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libqatrt version: the one compiled against (macros) and the one
 * running (qat_version()), as liburing offers both.
 */
#ifndef QAT_VERSION_H
#define QAT_VERSION_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QATRT_VERSION_MAJOR 1
#define QATRT_VERSION_MINOR 0
#define QATRT_VERSION_PATCH 0

/* One number that orders versions: 1.2.3 is 0x010203. */
#define QATRT_VERSION_CODE(major, minor, patch)                              \
	(((major) << 16) | ((minor) << 8) | (patch))
#define QATRT_VERSION                                                        \
	QATRT_VERSION_CODE(QATRT_VERSION_MAJOR, QATRT_VERSION_MINOR,         \
			   QATRT_VERSION_PATCH)

/*
 * The version of the library running, as QATRT_VERSION_CODE() encodes it;
 * compare with QATRT_VERSION (what the program was built against) when a
 * feature depends on it. If `major`, `minor` or `patch` is not NULL
 * (each may be), it receives that part. Never fails.
 */
QAT_API unsigned int qat_version(unsigned int *major, unsigned int *minor,
				 unsigned int *patch);

#ifdef __cplusplus
}
#endif

#endif /* QAT_VERSION_H */
