/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "internal.h"

/*
 * An options struct compiled against an older header is shorter: the
 * fields it lacks take their zero defaults. One from a newer header is
 * longer, and then every byte we do not know must be zero, or the caller
 * asked for something this version cannot do (libbpf's OPTS_VALID rule).
 */
int qat_opts_copy(void *dst, size_t our_sz, const void *src)
{
	const unsigned char *p = src;
	size_t user_sz, i;

	memset(dst, 0, our_sz);
	if (!src)
		return 0;
	memcpy(&user_sz, src, sizeof(user_sz));
	if (user_sz < sizeof(size_t))
		return -EINVAL;
	for (i = our_sz; i < user_sz; i++)
		if (p[i])
			return -EINVAL;
	memcpy(dst, src, user_sz < our_sz ? user_sz : our_sz);
	return 0;
}
