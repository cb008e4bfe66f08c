/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the QAT kernel drivers say about device state, parsed without any
 * I/O so that it is tested on hosts without the driver: their uevents
 * (kobject_uevent_env(KOBJ_CHANGE) with "qat_event=..." and
 * "accelid=N") and the in-tree driver's qat/state sysfs attribute.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "state_priv.h"

/* The values the drivers' adf_uio_event_handler() sends. */
static const struct {
	const char *name;
	int event;
} uevent_values[] = {
	{ "init", QAT_EVENT_INIT },
	{ "start", QAT_EVENT_START },
	{ "stop", QAT_EVENT_STOP },
	{ "shutdown", QAT_EVENT_SHUTDOWN },
	{ "restarting", QAT_EVENT_RESTARTING },
	{ "restarted", QAT_EVENT_RESTARTED },
	{ "error", QAT_EVENT_ERROR },
};

/* A decimal unsigned int, all of [s, s + n), no sign, no blanks. */
static int parse_uint(const char *s, size_t n, unsigned int *out)
{
	unsigned long v = 0;
	size_t i;

	if (!n || n > 10)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > UINT_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_event(const char *s, size_t n, int *out)
{
	size_t i;

	for (i = 0; i < QAT_ARRAY_SIZE(uevent_values); i++) {
		if (strlen(uevent_values[i].name) == n &&
		    !memcmp(uevent_values[i].name, s, n)) {
			*out = uevent_values[i].event;
			return 0;
		}
	}
	return -EINVAL;
}

/* If [s, s + n) is "key=value", point *val at the value. */
static int key_is(const char *s, size_t n, const char *key, const char **val,
		  size_t *vlen)
{
	size_t k = strlen(key);

	if (n <= k || memcmp(s, key, k) || s[k] != '=')
		return 0;
	*val = s + k + 1;
	*vlen = n - k - 1;
	return 1;
}

struct uevent_keys {
	const char *ev, *id;
	size_t evlen, idlen;
	int dup;
};

static void scan_pair(const char *s, size_t n, struct uevent_keys *k)
{
	const char *v;
	size_t vlen;

	if (key_is(s, n, "qat_event", &v, &vlen)) {
		k->dup |= k->ev != NULL;
		k->ev = v;
		k->evlen = vlen;
	} else if (key_is(s, n, "accelid", &v, &vlen)) {
		k->dup |= k->id != NULL;
		k->id = v;
		k->idlen = vlen;
	}
}

/* "dddd:bb:dd.f" */
static int is_pci_addr(const char *s, size_t n)
{
	static const char shape[] = "xxxx:xx:xx.x";
	size_t i;

	if (n != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < n; i++) {
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return 0;
	}
	return 1;
}

/* The devpath's last component, when it names a PCI function. */
static void devpath_pci(const char *path, size_t n, char *out, size_t size)
{
	const char *slash = memrchr(path, '/', n);
	const char *last = slash ? slash + 1 : path;
	size_t len = n - (size_t)(last - path);

	out[0] = '\0';
	if (is_pci_addr(last, len) && len < size) {
		memcpy(out, last, len);
		out[len] = '\0';
	}
}

int qat_state_parse_uevent(const char *buf, size_t len,
			   struct qat_state_uevent *out)
{
	struct uevent_keys k = { 0 };
	const char *p = buf, *end = buf + len, *nul, *at;
	struct qat_state_uevent u;
	size_t n;

	if (!buf || !out)
		return -EINVAL;
	/* The kernel's header is "action@devpath"; libudev's own
	 * re-broadcasts start with "libudev" and are not ours to read. */
	nul = memchr(p, '\0', len);
	n = nul ? (size_t)(nul - p) : len;
	at = memchr(p, '@', n);
	if (!at)
		return 0;
	devpath_pci(at + 1, n - (size_t)(at + 1 - p), u.pci_addr,
		    sizeof(u.pci_addr));
	while (nul) {
		p = nul + 1;
		nul = memchr(p, '\0', (size_t)(end - p));
		n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		scan_pair(p, n, &k);
	}
	if (!k.ev)
		return 0;
	if (k.dup || !k.id || parse_event(k.ev, k.evlen, &u.event) ||
	    parse_uint(k.id, k.idlen, &u.accel_id))
		return -EINVAL;
	*out = u;
	return 1;
}

int qat_state_parse_sysfs(const char *buf, size_t len)
{
	if (!buf)
		return -EINVAL;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 2 && !memcmp(buf, "up", 2))
		return QAT_EVENT_START;
	if (len == 4 && !memcmp(buf, "down", 4))
		return QAT_EVENT_STOP;
	return -EINVAL;
}
