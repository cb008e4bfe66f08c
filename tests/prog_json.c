/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the shell tests: parse a JSON document from stdin with jansson (any
 * syntax error fails, exit 3) and print what PATH selects, one value per
 * line. PATH is dot-separated keys and [n] / [*] indices, e.g.
 * "claims[*].section"; a trailing "#" prints the size of an array or
 * object ("claims#"). Strings print bare, other values as compact JSON.
 * With --lines, every input line is a document of its own (JSON Lines).
 * Exit 0, 1 when PATH selects nothing, 2 for usage, 3 for bad JSON.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_value(const json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		puts(json_string_value(v));
		return 1;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s)
		return 0;
	puts(s);
	free(s);
	return 1;
}

/* Walk `path` from `v`; returns the number of values printed. */
static int walk(const json_t *v, const char *path)
{
	char key[256];
	size_t n, i;
	int count = 0;

	if (!v)
		return 0;
	if (*path == '.')
		path++;
	if (!*path)
		return print_value(v);
	if (!strcmp(path, "#")) {
		n = json_is_array(v) ? json_array_size(v) :
		    json_is_object(v) ? json_object_size(v) : 0;
		printf("%zu\n", n);
		return 1;
	}
	if (*path == '[') {
		if (!json_is_array(v))
			return 0;
		if (!strncmp(path, "[*]", 3)) {
			for (i = 0; i < json_array_size(v); i++)
				count += walk(json_array_get(v, i), path + 3);
			return count;
		}
		i = strtoul(path + 1, (char **)&path, 10);
		if (*path != ']')
			return 0;
		return walk(json_array_get(v, i), path + 1);
	}
	n = strcspn(path, ".[#");
	if (n >= sizeof(key))
		return 0;
	memcpy(key, path, n);
	key[n] = '\0';
	return walk(json_object_get(v, key), path + n);
}

static int one(const char *text, const char *path)
{
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	int n;

	if (!doc) {
		fprintf(stderr, "prog_json: line %d column %d: %s\n", err.line,
			err.column, err.text);
		return -1;
	}
	n = walk(doc, path);
	json_decref(doc);
	return n;
}

int main(int argc, char **argv)
{
	int lines = argc == 3 && !strcmp(argv[1], "--lines");
	const char *path = argv[argc - 1];
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t got;
	int n = 0, r;

	if (argc != 2 && !lines)
		return 2;
	if (lines) {
		while ((got = getline(&buf, &cap, stdin)) > 0) {
			if ((r = one(buf, path)) < 0)
				return 3;
			n += r;
		}
	} else {
		for (;;) {
			if (len + 4096 > cap && !(buf = realloc(buf, cap += 65536)))
				return 3;
			got = (ssize_t)fread(buf + len, 1, cap - len - 1, stdin);
			if (got <= 0)
				break;
			len += (size_t)got;
		}
		buf[len] = '\0';
		if ((n = one(buf, path)) < 0)
			return 3;
	}
	free(buf);
	return n ? 0 : 1;
}
