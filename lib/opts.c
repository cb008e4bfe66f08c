/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options structs: one checked copy for every public one.
 *
 * An options struct compiled against an older header is shorter: the
 * fields it lacks take their zero defaults. One from a newer header is
 * longer, and then every byte we do not know must be zero, or the caller
 * asked for something this version cannot do (libbpf's OPTS_VALID rule).
 * A size that ends inside a field fits no version of the struct: copying
 * it would take half a pointer, so it is refused.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define FIELD(T, m) { offsetof(T, m), offsetof(T, m) + sizeof(((T *)0)->m) }
/* Each table must reach the end of its struct: a field added to a public
 * struct and not here fails the build. */
#define LAST_FIELD(T, m)                                                   \
	_Static_assert(sizeof(T) - offsetof(T, m) - sizeof(((T *)0)->m) <   \
		       _Alignof(T), #T ": a field after " #m " is missing " \
		       "from its layout")

static const struct qat_opts_field rt_fields[] = {
	FIELD(struct qat_rt_opts, sz),
	FIELD(struct qat_rt_opts, config_path),
	FIELD(struct qat_rt_opts, registry_path),
	FIELD(struct qat_rt_opts, registry_mode),
	FIELD(struct qat_rt_opts, flags),
	FIELD(struct qat_rt_opts, pci_ids),
	FIELD(struct qat_rt_opts, registry_gid),
};
LAST_FIELD(struct qat_rt_opts, registry_gid);

static const struct qat_opts_field proc_fields[] = {
	FIELD(struct qat_proc_opts, sz),
	FIELD(struct qat_proc_opts, flags),
	FIELD(struct qat_proc_opts, timeout_ms),
	FIELD(struct qat_proc_opts, cancel_fd),
};
LAST_FIELD(struct qat_proc_opts, cancel_fd);

static const struct qat_opts_field state_sub_fields[] = {
	FIELD(struct qat_state_sub_opts, sz),
	FIELD(struct qat_state_sub_opts, flags),
};
LAST_FIELD(struct qat_state_sub_opts, flags);

static const struct qat_opts_field iopf_queue_fields[] = {
	FIELD(struct qat_iopf_queue_opts, sz),
	FIELD(struct qat_iopf_queue_opts, flags),
	FIELD(struct qat_iopf_queue_opts, workers),
	FIELD(struct qat_iopf_queue_opts, numa_node),
	FIELD(struct qat_iopf_queue_opts, max_partial),
	FIELD(struct qat_iopf_queue_opts, max_outstanding),
};
LAST_FIELD(struct qat_iopf_queue_opts, max_outstanding);

#define LAYOUT(n, f) { n, f, QAT_ARRAY_SIZE(f) }
const struct qat_opts_layout qat_rt_opts_layout =
	LAYOUT("qat_rt_opts", rt_fields);
const struct qat_opts_layout qat_proc_opts_layout =
	LAYOUT("qat_proc_opts", proc_fields);
const struct qat_opts_layout qat_state_sub_opts_layout =
	LAYOUT("qat_state_sub_opts", state_sub_fields);
const struct qat_opts_layout qat_iopf_queue_opts_layout =
	LAYOUT("qat_iopf_queue_opts", iopf_queue_fields);

/* A shorter struct must end between two fields (or after the last). */
static bool ends_between_fields(const struct qat_opts_layout *l, size_t sz)
{
	size_t i;

	for (i = 0; i < l->nfields; i++)
		if (l->fields[i].off < sz && sz < l->fields[i].end)
			return false;
	return true;
}

int qat_opts_copy_layout(void *dst, size_t our_sz, const void *src,
			 const struct qat_opts_layout *l)
{
	const unsigned char *p = src;
	size_t user_sz, i;

	memset(dst, 0, our_sz);
	if (!src)
		return 0;
	memcpy(&user_sz, src, sizeof(user_sz));
	if (user_sz < sizeof(size_t) ||
	    (user_sz < our_sz && !ends_between_fields(l, user_sz))) {
		qat_err("struct %s: sz %zu is not the size of any version of "
			"it (this one is %zu)", l->name, user_sz, our_sz);
		return -EINVAL;
	}
	for (i = our_sz; i < user_sz; i++) {
		if (p[i]) {
			qat_err("struct %s: byte %zu is set, past the %zu bytes "
				"this version knows", l->name, i, our_sz);
			return -EINVAL;
		}
	}
	memcpy(dst, src, user_sz < our_sz ? user_sz : our_sz);
	return 0;
}
