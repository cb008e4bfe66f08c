/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host defaults the library falls back on, QAT_RT_DEFAULT_CONFIG
 * (/etc/qatrt/) and QAT_RT_SHARED_DIR (/run/qatrt), tried for real
 * without touching the host's: each test runs in its own mount namespace
 * with a tmpfs over /etc or /run, so it sees exactly the directories it
 * makes there and the host sees nothing. Root only (unshare), and only
 * in Check's fork mode, where each test is a process of its own whose
 * namespace ends with it.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

/* A group and users no host account is likely to have. */
#define SHARE_GID   54330
#define MEMBER_UID  54331
#define OUTSIDE_UID 54332

/* This process gets mounts of its own, with an empty tmpfs over `dir`. */
static void private_tmpfs(const char *dir)
{
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare: %s",
		      strerror(errno));
	/* Else the tmpfs would propagate to the host's shared mounts. */
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_msg(mount("qatrt-test", dir, "tmpfs", 0, "mode=0755") == 0,
		      "tmpfs on %s: %s", dir, strerror(errno));
}

static char logs[8192];

static void keep_log(enum qat_log_level level, const char *msg, void *arg)
{
	size_t n = strlen(logs);

	(void)arg;
	snprintf(logs + n, sizeof(logs) - n, "%d %s\n", (int)level, msg);
}

/* qat_rt_open() with neither a configuration path nor $QATRT_CONFIG. */
static struct qat_rt *open_default_config(void)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	char reg[4200];
	struct qat_rt *rt = NULL;

	snprintf(reg, sizeof(reg), "%s/registry", qt_dir);
	o.registry_path = reg;
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	return rt;
}

/* No /etc/qatrt/: no configuration, said at info level, and a lookup
 * says that nothing was loaded. */
START_TEST(default_config_missing)
{
	struct qat_proc *p = QT_SENTINEL;
	struct qat_rt *rt;

	private_tmpfs("/etc");
	logs[0] = '\0';
	qat_set_log_fn(keep_log, NULL, QAT_LOG_INFO);
	rt = open_default_config();
	ck_assert_msg(strstr(logs, "6 looking for configuration in "
			     QAT_RT_DEFAULT_CONFIG " (the default)"), "%s", logs);
	ck_assert_msg(strstr(logs, "6 no configuration: "
			     QAT_RT_DEFAULT_CONFIG " does not exist"), "%s", logs);
	ck_assert_int_eq(qat_dev_count(rt), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), -ENOENT);
	qt_assert_untouched(p);
	ck_assert_msg(strstr(logs, "no configuration was loaded"), "%s", logs);
	qat_set_log_fn(NULL, NULL, QAT_LOG_ERR);
	qat_rt_close(rt);
}
END_TEST

/* /etc/qatrt/ present: its device files are the configuration. */
START_TEST(default_config_used)
{
	struct qat_proc *p = NULL;
	struct qat_rt *rt;

	private_tmpfs("/etc");
	ck_assert_int_eq(mkdir(QAT_RT_DEFAULT_CONFIG, 0755), 0);
	qt_sim_conf(QAT_RT_DEFAULT_CONFIG, "4xxx", 0, NULL,
		    "[SSL]\nNumProcesses = 1\n");
	rt = open_default_config();
	ck_assert_int_eq(qat_dev_count(rt), 1);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_str_eq(qat_proc_name(p), "SSL_INT_0");
	qat_proc_release(p);
	qat_rt_close(rt);
}
END_TEST

/*
 * In a child: become `uid`, in SHARE_GID as a supplementary group or
 * not, open the default registry and try for an SSL claim. Exits 0 on a
 * claim, 10 + -errno of a refusal, 2 when it could not even try.
 */
static int as_user(uid_t uid, int member)
{
	gid_t g = SHARE_GID;
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI,
				 .config_path = "/run/qatrt-conf" };
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	pid_t pid = fork();
	int ret;

	if (pid)
		return qt_reap(pid);
	if (setgroups(member ? 1 : 0, &g) || setgid(uid) || setuid(uid))
		_exit(2);
	if (qat_rt_open(&o, &rt))
		_exit(2);
	ret = qat_proc_acquire(rt, "SSL", NULL, &p);
	_exit(ret ? 10 + -ret : 0);
}

/*
 * QAT_RT_SHARED_DIR as the packages make it (root:qat 2770): with no
 * registry named, the registry is made there with mode 0660 and the
 * directory's group, a member of that group of another uid shares its
 * claims, and an outsider is refused with -EACCES.
 */
START_TEST(shared_dir_default)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI,
				 .config_path = "/run/qatrt-conf" };
	struct qat_proc_claim c[4];
	struct qat_proc *p = NULL;
	struct qat_rt *rt;
	struct stat st;

	private_tmpfs("/run");
	ck_assert_int_eq(mkdir(QAT_RT_SHARED_DIR, 0), 0);
	ck_assert_int_eq(chown(QAT_RT_SHARED_DIR, 0, SHARE_GID), 0);
	ck_assert_int_eq(chmod(QAT_RT_SHARED_DIR, 02770), 0);
	ck_assert_int_eq(mkdir("/run/qatrt-conf", 0755), 0);
	qt_sim_conf("/run/qatrt-conf", "4xxx", 0, NULL,
		    "[SSL]\nNumProcesses = 2\n");

	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	ck_assert_str_eq(qat_proc_name(p), "SSL_INT_0");
	ck_assert_int_eq(stat(QAT_RT_SHARED_REGISTRY ".proc", &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, SHARE_GID);
	/* A member takes the other name, so it saw ours. */
	ck_assert_int_eq(as_user(MEMBER_UID, 1), 0);
	ck_assert_int_eq(qat_proc_list(rt, c, 4), 1); /* its claim died */
	/* An outsider cannot reach the directory. */
	ck_assert_int_eq(as_user(OUTSIDE_UID, 0), 10 + EACCES);
	qat_proc_release(p);
	/* A member's file is as good as root's: remade by the member. */
	qat_rt_close(rt);
	ck_assert_int_eq(system("rm -f " QAT_RT_SHARED_DIR "/*"), 0);
	ck_assert_int_eq(as_user(MEMBER_UID, 1), 0);
	ck_assert_int_eq(stat(QAT_RT_SHARED_REGISTRY ".proc", &st), 0);
	ck_assert_uint_eq(st.st_uid, MEMBER_UID);
	ck_assert_int_eq(qat_rt_open(&o, &rt), 0);
	ck_assert_int_eq(qat_proc_acquire(rt, "SSL", NULL, &p), 0);
	qat_proc_release(p);
	qat_rt_close(rt);
}
END_TEST

/* Whether this process may have mounts of its own (root, and no
 * seccomp or container rule against it; fakeroot is root only in name). */
static int can_unshare_mounts(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) ? 1 : 0);
	return qt_reap(pid) == 0;
}

Suite *defaults_suite(void)
{
	Suite *s = suite_create("defaults");
	TCase *tc = tcase_create("namespaced");
	const char *fork_mode = getenv("CK_FORK");

	if (geteuid() != 0 || (fork_mode && !strcmp(fork_mode, "no")) ||
	    !can_unshare_mounts()) {
		fprintf(stderr, "defaults: skipped: the tests need root that "
			"may unshare(CLONE_NEWNS) (a mount namespace each) and "
			"Check's fork mode\n");
		return s;
	}
	tcase_add_checked_fixture(tc, qt_dir_setup, qt_dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, default_config_missing);
	tcase_add_test(tc, default_config_used);
	tcase_add_test(tc, shared_dir_default);
	suite_add_tcase(s, tc);
	return s;
}
