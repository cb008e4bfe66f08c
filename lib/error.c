/* SPDX-License-Identifier: BSD-3-Clause */
/* Error strings, with the library's meaning where it is more specific
 * than the C library's. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const struct {
	int err;
	const char *msg;
} qat_errors[] = {
	{ 0, "Success" },
	{ EAGAIN, "Resource busy or nothing available yet, try again" },
	{ ENODEV, "No started device" },
	{ ENOENT, "No such section, key, device or file" },
	{ EOVERFLOW, "Events were lost: the subscriber fell behind" },
	{ ETIMEDOUT, "Timed out waiting" },
	{ ENOTSUP, "Not supported by this device's backend" },
	{ ENOTTY, "Action not supported for this interrupt index" },
	{ EPROTO, "Shared registry is corrupt or of another layout" },
	{ ESTALE, "Shared registry was made for another configuration" },
};

QAT_API const char *qat_strerror(int err)
{
	const char *s;
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < QAT_ARRAY_SIZE(qat_errors); i++)
		if (qat_errors[i].err == err)
			return qat_errors[i].msg;
	s = strerrordesc_np(err);
	return s ? s : "Unknown error";
}
