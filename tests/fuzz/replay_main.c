/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays files through a fuzz target's LLVMFuzzerTestOneInput() without
 * libFuzzer, so that `make check` runs every corpus file as a regression
 * test (built with the suite's compiler and sanitizers). Each file is
 * handed over in a buffer of exactly its size, as libFuzzer does. A
 * target reports a failure by aborting; this prints the file first.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	FILE *f = fopen(path, "rbe");
	unsigned char *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "FAIL: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	/* Exactly len bytes, so that ASan sees a read past the end (one
	 * byte for an empty file: malloc(0) may give NULL). */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "FAIL: %s: short read\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	fprintf(stderr, "replay %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, failed = 0;

	for (i = 1; i < argc; i++)
		failed += replay(argv[i]);
	return failed ? 1 : 0;
}
