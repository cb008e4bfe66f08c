/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "util.h"

char *qt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	ck_assert_int_gt(asprintf(&path, "%s/qatrt-test-XXXXXX",
				  base && *base ? base : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(path));
	return path;
}

void qt_write(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

void qt_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void qt_tmpdir_free(char *dir)
{
	qt_rmtree(dir);
	free(dir);
}

char *qt_dir;
char qt_sentinel_obj;

void qt_dir_setup(void)
{
	qt_dir = qt_tmpdir();
}

void qt_dir_teardown(void)
{
	qt_tmpdir_free(qt_dir);
	qt_dir = NULL;
}

void qt_sim_conf(const char *dir, const char *type, unsigned int id,
		 const char *general, const char *sections)
{
	char name[64], *text;

	snprintf(name, sizeof(name), "%s_dev%u.conf", type, id);
	ck_assert_int_gt(asprintf(&text, "[GENERAL]\nSimDevice = %s\n%s\n%s",
				  type, general ? general : "",
				  sections ? sections : ""), 0);
	qt_write(dir, name, text);
	free(text);
}

int qt_rt_try_open_reg(const char *config, const char *registry,
		       struct qat_rt **out)
{
	struct qat_rt_opts o = { .sz = sizeof(o) };

	o.config_path = config;
	o.registry_path = registry;
	o.flags = QAT_RT_NO_PCI;
	return qat_rt_open(&o, out);
}

int qt_rt_try_open(const char *config, struct qat_rt **out)
{
	char reg[4096];

	snprintf(reg, sizeof(reg), "%s/registry", config);
	return qt_rt_try_open_reg(config, reg, out);
}

struct qat_rt *qt_rt_open(const char *config)
{
	struct qat_rt *rt = NULL;
	int ret = qt_rt_try_open(config, &rt);

	ck_assert_msg(ret == 0, "qat_rt_open(%s): %s", config,
		      qat_strerror(ret));
	return rt;
}

struct qat_dev *qt_dev_at(struct qat_rt *rt, unsigned int i)
{
	struct qat_dev *dev = NULL;

	ck_assert_int_eq(qat_dev_get(rt, i, &dev), 0);
	return dev;
}

int qt_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
