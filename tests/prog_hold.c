/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the shell tests: claim a section of base argv[1] (configuration and
 * registry from the environment), print "held NAME", and keep the claim
 * until stdin reaches EOF. Exit 0, or 1 when the claim failed.
 */
#include <stdio.h>
#include <unistd.h>

#include <qat/qatrt.h>

int main(int argc, char **argv)
{
	struct qat_proc *p;
	struct qat_rt *rt;
	char buf[64];
	int ret;

	if (argc != 2)
		return 2;
	ret = qat_rt_open(NULL, &rt);
	if (!ret)
		ret = qat_proc_acquire(rt, argv[1], NULL, &p);
	if (ret) {
		fprintf(stderr, "prog_hold: %s (%d)\n", qat_strerror(ret), ret);
		return 1;
	}
	printf("held %s\n", qat_proc_name(p));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	qat_proc_release(p);
	qat_rt_close(rt);
	return 0;
}
