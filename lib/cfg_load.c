/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a configuration: reading the file, choosing the parser, error
 * reports. Parsing, expansion and the model live in their own files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_int.h"
#include "internal.h"

static const char *ctx_name(const struct qcfg_ctx *ctx)
{
	return ctx->name ? ctx->name : "<memory>";
}

int qcfg_fail(const struct qcfg_ctx *ctx, int rc, unsigned int line,
	      unsigned int col, const char *fmt, ...)
{
	struct qat_cfg_error *e = ctx->err;
	char msg[sizeof(e->msg)];
	va_list ap;

	char *c;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One printable line, whatever jansson quoted from the input. */
	for (c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	if (e) {
		snprintf(e->file, sizeof(e->file), "%s", ctx_name(ctx));
		e->line = line;
		e->column = col;
		memcpy(e->msg, msg, sizeof(e->msg));
	}
	if (line)
		qat_err("%s:%u:%u: %s", ctx_name(ctx), line, col, msg);
	else
		qat_err("%s: %s", ctx_name(ctx), msg);
	return rc;
}

const char *qcfg_chr(unsigned char c, char buf[8])
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", c);
	return buf;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

QAT_API int qat_cfg_load_mem(const char *name, const void *buf, size_t len,
			     enum qat_cfg_format fmt, unsigned int accel_id,
			     struct qat_cfg **out, struct qat_cfg_error *err)
{
	struct qcfg_ctx ctx = { .name = name, .err = err,
				.accel_id = accel_id };
	struct qat_cfg *cfg;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!out || (!buf && len) || (unsigned int)fmt > QAT_CFG_FMT_JSON)
		return qcfg_fail(&ctx, -EINVAL, 0, 0, "invalid argument");
	if (len > QCFG_MAX_FILE)
		return qcfg_fail(&ctx, -EFBIG, 0, 0,
				 "larger than %u bytes", QCFG_MAX_FILE);
	if (fmt == QAT_CFG_FMT_AUTO)
		fmt = name && has_suffix(name, ".json") ? QAT_CFG_FMT_JSON :
							   QAT_CFG_FMT_CONF;
	cfg = qcfg_new();
	if (!cfg)
		return qcfg_fail(&ctx, -ENOMEM, 0, 0, "out of memory");
	if (fmt == QAT_CFG_FMT_JSON)
		rc = qcfg_parse_json(cfg, &ctx, buf ? buf : "", len);
	else
		rc = qcfg_parse_conf(cfg, &ctx, buf ? buf : "", len);
	if (rc)
		goto fail;
	rc = qcfg_expand(cfg, &ctx);
	if (rc)
		goto fail;
	qcfg_finish(cfg);
	*out = cfg;
	return 0;
fail:
	qat_cfg_free(cfg);
	return rc;
}

/* Read all of fd, refusing more than QCFG_MAX_FILE bytes. Works for files
 * whose size changes under us, not only for what fstat says. */
static int read_all(int fd, size_t hint, char **out, size_t *outlen)
{
	size_t cap = (hint < QCFG_MAX_FILE ? hint : QCFG_MAX_FILE) + 1;
	size_t len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > QCFG_MAX_FILE)
				goto too_big;
			cap = cap * 2 > QCFG_MAX_FILE + 1 ? QCFG_MAX_FILE + 1 :
							     cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > QCFG_MAX_FILE)
		goto too_big;
	*out = buf;
	*outlen = len;
	return 0;
too_big:
	free(buf);
	return -EFBIG;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Only regular files are configuration: a FIFO would block the open (and
 * then every read) until some other process writes, and a device has no
 * end. O_NONBLOCK lets the open of a FIFO return at once so that fstat
 * can tell; it changes nothing for a regular file.
 */
static int read_file(const struct qcfg_ctx *ctx, char **buf, size_t *len)
{
	struct stat st;
	int fd, rc;

	fd = open(ctx->name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		return qcfg_fail(ctx, rc, 0, 0, "cannot open: %s",
				 qat_strerror(rc));
	}
	if (fstat(fd, &st) < 0) {
		rc = qcfg_fail(ctx, -errno, 0, 0, "cannot stat: %s",
			       qat_strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = qcfg_fail(ctx, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
			       0, 0, "is %s, not a regular file",
			       file_kind(st.st_mode));
		goto out;
	}
	if ((uint64_t)st.st_size > QCFG_MAX_FILE) {
		rc = qcfg_fail(ctx, -EFBIG, 0, 0, "larger than %u bytes",
			       QCFG_MAX_FILE);
		goto out;
	}
	rc = read_all(fd, (size_t)st.st_size, buf, len);
	if (rc == -EFBIG)
		qcfg_fail(ctx, rc, 0, 0, "larger than %u bytes", QCFG_MAX_FILE);
	else if (rc)
		qcfg_fail(ctx, rc, 0, 0, "cannot read: %s", qat_strerror(rc));
out:
	close(fd);
	return rc;
}

QAT_API int qat_cfg_load(const char *path, enum qat_cfg_format fmt,
			 unsigned int accel_id, struct qat_cfg **out,
			 struct qat_cfg_error *err)
{
	struct qcfg_ctx ctx = { .name = path, .err = err,
				.accel_id = accel_id };
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!path || !out || (unsigned int)fmt > QAT_CFG_FMT_JSON)
		return qcfg_fail(&ctx, -EINVAL, 0, 0, "invalid argument");
	rc = read_file(&ctx, &buf, &len);
	if (rc)
		return rc;
	rc = qat_cfg_load_mem(path, buf, len, fmt, accel_id, out, err);
	free(buf);
	return rc;
}
