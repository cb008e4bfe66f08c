/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exec'd by check_rt: a program that logs nothing itself, so that what
 * reaches its stderr is what $QATRT_LOG made the library write.
 *   prog_log CONFIG|- REGISTRY [SECTION|-] [cb]
 * opens a runtime (config "-": the default), acquires SECTION if given,
 * and with "cb" installs a log callback that writes to stdout instead.
 * Exits 0, or 1 when the runtime does not open.
 */
#include <stdio.h>
#include <string.h>

#include <qat/qatrt.h>

static void to_stdout(enum qat_log_level level, const char *msg, void *arg)
{
	(void)arg;
	printf("cb %d: %s\n", (int)level, msg);
}

int main(int argc, char **argv)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	struct qat_proc *p;
	struct qat_rt *rt;

	if (argc < 3)
		return 2;
	if (argc > 4 && !strcmp(argv[4], "cb"))
		qat_set_log_fn(to_stdout, NULL, QAT_LOG_DEBUG);
	o.config_path = strcmp(argv[1], "-") ? argv[1] : NULL;
	o.registry_path = argv[2];
	if (qat_rt_open(&o, &rt))
		return 1;
	if (argc > 3 && strcmp(argv[3], "-") &&
	    qat_proc_acquire(rt, argv[3], NULL, &p) == 0)
		qat_proc_release(p);
	qat_rt_close(rt);
	return 0;
}
