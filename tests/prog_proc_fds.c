/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exec'd by check_proc after claiming names: exits with the number of its
 * open fds whose target contains argv[1] (the registry file name), and
 * names them on stderr. 0 means nothing leaked through exec.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char link[PATH_MAX + 1], path[300];
	struct dirent *e;
	DIR *d;
	ssize_t n;
	int count = 0;

	if (argc != 2)
		return 100;
	d = opendir("/proc/self/fd");
	if (!d)
		return 101;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strstr(link, argv[1])) {
			fprintf(stderr, "leaked fd %s -> %s\n", e->d_name, link);
			count++;
		}
	}
	closedir(d);
	return count > 99 ? 99 : count;
}
