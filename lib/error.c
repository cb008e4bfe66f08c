/* SPDX-License-Identifier: BSD-3-Clause */
/* The library's fixed strings: error descriptions, with the library's
 * meaning where it is more specific than the C library's; event names;
 * the version. */
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

/* Indexed by enum qat_event; the build fails if a value is added to the
 * enum without a name here. */
static const char *const event_names[] = {
	[QAT_EVENT_INIT] = "INIT",
	[QAT_EVENT_START] = "START",
	[QAT_EVENT_STOP] = "STOP",
	[QAT_EVENT_SHUTDOWN] = "SHUTDOWN",
	[QAT_EVENT_RESTARTING] = "RESTARTING",
	[QAT_EVENT_RESTARTED] = "RESTARTED",
	[QAT_EVENT_ERROR] = "ERROR",
	[QAT_EVENT_PROC_CRASH] = "PROC_CRASH",
	[QAT_EVENT_MANUAL_DUMP] = "MANUAL_DUMP",
	[QAT_EVENT_SLICE_HANG] = "SLICE_HANG",
	[QAT_EVENT_DBG_SHUTDOWN] = "DBG_SHUTDOWN",
};
_Static_assert(QAT_ARRAY_SIZE(event_names) == QAT_EVENT_COUNT,
	       "an enum qat_event value has no name");

QAT_API const char *qat_event_name(int event)
{
	if (event < 0 || event >= QAT_EVENT_COUNT)
		return "UNKNOWN";
	return event_names[event];
}

QAT_API unsigned int qat_version(unsigned int *major, unsigned int *minor,
				 unsigned int *patch)
{
	if (major)
		*major = QATRT_VERSION_MAJOR;
	if (minor)
		*minor = QATRT_VERSION_MINOR;
	if (patch)
		*patch = QATRT_VERSION_PATCH;
	return QATRT_VERSION;
}
