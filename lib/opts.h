/* SPDX-License-Identifier: BSD-3-Clause */
/* Checked copies of the public options structs (opts.c). */
#ifndef QAT_OPTS_H
#define QAT_OPTS_H

#include <stddef.h>

#include "qat/qatrt.h"

/* One field of an options struct: where it starts and ends. */
struct qat_opts_field {
	size_t off, end;
};

/* Every field of one public options struct, in order. */
struct qat_opts_layout {
	const char *name;
	const struct qat_opts_field *fields;
	size_t nfields;
};

extern const struct qat_opts_layout qat_rt_opts_layout;
extern const struct qat_opts_layout qat_proc_opts_layout;
extern const struct qat_opts_layout qat_state_sub_opts_layout;
extern const struct qat_opts_layout qat_iopf_queue_opts_layout;

/*
 * Copy a caller's options struct (which starts with `size_t sz`) into `dst`
 * of `our_sz` bytes, zero-filling what the caller's version lacks. `src`
 * NULL gives all zeroes. Returns 0, or -EINVAL (logged) when `sz` is
 * smaller than the sz field, ends inside a field of `l`, or is larger than
 * ours with a non-zero byte past our end (a field this version does not
 * know).
 */
int qat_opts_copy_layout(void *dst, size_t our_sz, const void *src,
			 const struct qat_opts_layout *l);

/* The layout follows from the type of `dst`: an options struct without a
 * layout in opts.c does not compile. */
#define qat_opts_copy(dst, our_sz, src)                                      \
	qat_opts_copy_layout(dst, our_sz, src,                               \
		_Generic((dst),                                              \
			struct qat_rt_opts *: &qat_rt_opts_layout,           \
			struct qat_proc_opts *: &qat_proc_opts_layout,       \
			struct qat_state_sub_opts *:                         \
				&qat_state_sub_opts_layout,                  \
			struct qat_iopf_queue_opts *:                        \
				&qat_iopf_queue_opts_layout))

#endif /* QAT_OPTS_H */
