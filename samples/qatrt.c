/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qatrt: look at and poke the accelerators, claims and events that
 * libqatrt shares between the processes of a host. See qatrt(1).
 *
 * Exit status: 0 success, 1 failure, 2 bad usage. Listings go to stdout
 * (one JSON document with --json); diagnostics, and the library's log
 * lines, go to stderr.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <qat/qatrt.h>

#include "qatrt/tool.h"

#define EXIT_USAGE 2

struct args {
	const char *config;     /* --config, else the library's default */
	const char *registry;   /* --registry, else the library's default */
	const char *dev;        /* --dev: accel id or PCI address */
	const char *pci_ids;    /* --pci-ids: extra accelerator ids */
	int json, follow, verbose;
	char **words;           /* the command and its operands */
	int nwords;
};

static const char usage_text[] =
	"usage: qatrt [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  devices               list the accelerators\n"
	"  claims                list the process sections claimed host-wide\n"
	"  events [--follow]     recent device state events (then new ones)\n"
	"  config check PATH     parse and expand a .conf/.json file or directory\n"
	"  config show           the expanded configuration of every device\n"
	"  inject EVENT --dev N  publish a state event for simulated device N\n"
	"  reset --dev N         reset device N\n"
	"  bind [PCI-ADDR...]    give QAT functions (default: all) to vfio-pci\n"
	"  unbind [PCI-ADDR...]  give them back to their own driver\n"
	"\n"
	"options:\n"
	"  --config PATH    device configuration (default: $QATRT_CONFIG, else "
	QAT_RT_DEFAULT_CONFIG ")\n"
	"  --registry PATH  shared registry (default: $QATRT_REGISTRY, else "
	QAT_RT_SHARED_REGISTRY "\n"
	"                   if " QAT_RT_SHARED_DIR " exists, else "
	QAT_RT_DEFAULT_REGISTRY ")\n"
	"  --dev N          device by accel id or PCI address\n"
	"  --pci-ids LIST   also treat vvvv:dddd[,...] as accelerators\n"
	"  --json           one JSON document on stdout (JSON Lines with "
	"--follow)\n"
	"  --follow         with events: keep printing until interrupted\n"
	"  -v, --verbose    show the library's informational log lines\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 bad usage.\n";

/* "qatrt: <message>" on stderr, then `tail`; returns `status`. */
static int vcomplain(int status, const char *tail, const char *fmt,
		     va_list ap)
{
	fputs("qatrt: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
	return status;
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcomplain(EXIT_USAGE, "\nTry 'qatrt --help'.\n", fmt, ap);
	va_end(ap);
	return ret;
}

static int fail(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vcomplain(EXIT_FAILURE, "\n", fmt, ap);
	va_end(ap);
	return ret;
}

static void log_stderr(enum qat_log_level level, const char *msg, void *arg)
{
	fprintf(stderr, "qatrt: libqatrt: %s\n", msg);
}

/* Print and free a JSON document; 0, or 1 when stdout failed. */
static int json_out(json_t *doc, size_t flags)
{
	int ret = json_dumpf(doc, stdout, flags | JSON_PRESERVE_ORDER);

	json_decref(doc);
	if (ret || fputc('\n', stdout) == EOF || fflush(stdout))
		return fail("writing to stdout: %s", strerror(errno));
	return 0;
}

/* An event by name (any case) or by number. */
static int event_parse(const char *s)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < QAT_EVENT_COUNT; i++)
		if (!strcasecmp(s, qat_event_name(i)))
			return i;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && *s && !*end && v >= 0 && v < QAT_EVENT_COUNT)
		return (int)v;
	return -EINVAL;
}

static struct qat_rt *rt_open(const struct args *a, int *err)
{
	struct qat_rt_opts o = {
		.sz = sizeof(o),
		.config_path = a->config,
		.registry_path = a->registry,
		.pci_ids = a->pci_ids,
	};
	struct qat_rt *rt = NULL;

	*err = qat_rt_open(&o, &rt);
	if (*err)
		fail("cannot open the runtime (configuration %s): %s",
		     a->config ? a->config :
		     getenv("QATRT_CONFIG") ? getenv("QATRT_CONFIG") :
		     QAT_RT_DEFAULT_CONFIG, qat_strerror(*err));
	return rt;
}

/* The device named by --dev: an accel id, or a PCI address. */
static struct qat_dev *dev_find(struct qat_rt *rt, const char *name)
{
	struct qat_dev_info info;
	struct qat_dev *dev;
	int i, n = qat_dev_count(rt);
	char *end;
	unsigned long id;

	errno = 0;
	id = strtoul(name, &end, 10);
	if (errno || !*name || *end || !isdigit((unsigned char)*name))
		id = ULONG_MAX;
	for (i = 0; i < n; i++) {
		if (qat_dev_get(rt, (unsigned int)i, &dev) ||
		    qat_dev_info(dev, &info))
			continue;
		if (info.accel_id == id || !strcasecmp(info.pci_addr, name))
			return dev;
	}
	return NULL;
}

/* Wall-clock time of a CLOCK_MONOTONIC stamp, as ISO 8601 UTC. */
static void mono_to_iso(uint64_t mono_ns, char *buf, size_t len)
{
	struct timespec now_m, now_r;
	int64_t real_ns;
	time_t t;
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &now_m);
	clock_gettime(CLOCK_REALTIME, &now_r);
	real_ns = (int64_t)now_r.tv_sec * 1000000000 + now_r.tv_nsec -
		  ((int64_t)now_m.tv_sec * 1000000000 + now_m.tv_nsec -
		   (int64_t)mono_ns);
	char secs[24];

	t = (time_t)(real_ns / 1000000000);
	gmtime_r(&t, &tm);
	strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.20s.%03uZ", secs,
		 (unsigned int)(real_ns % 1000000000 / 1000000));
}

static void real_to_iso(uint64_t real_ns, char *buf, size_t len)
{
	time_t t = (time_t)(real_ns / 1000000000u);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A registry error, with the registry named; a refusal also says why
 * it usually happens. */
static int registry_fail(struct qat_rt *rt, const char *what, int err)
{
	if (err == -EACCES)
		return fail("%s: %s: registry %s (is this user in the group "
			    "that shares it?)", what, qat_strerror(err),
			    qat_rt_registry_path(rt));
	return fail("%s: %s (registry %s)", what, qat_strerror(err),
		    qat_rt_registry_path(rt));
}

/* ---- devices ---------------------------------------------------------- */

static const char *sharing_name(unsigned int sharing)
{
	return sharing == QAT_DEV_EXCLUSIVE ? "exclusive" :
	       sharing == QAT_DEV_SHARED ? "shared" : "unknown";
}

static json_t *dev_json(const struct qat_dev_info *i, int state)
{
	char id[10];

	snprintf(id, sizeof(id), "%04x:%04x", i->vendor_id, i->device_id);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:s, "
			 "s:I}",
			 "accel_id", (json_int_t)i->accel_id,
			 "pci_addr", i->pci_addr, "type", i->type,
			 "pci_id", id, "backend", i->backend,
			 "sharing", sharing_name(i->sharing),
			 "numa_node", i->numa_node, "vf", i->is_vf,
			 "started", i->started, "state",
			 state < 0 ? "unknown" : qat_event_name(state),
			 "max_processes", (json_int_t)i->max_processes);
}

static int cmd_devices(struct qat_rt *rt, const struct args *a)
{
	json_t *list = json_array();
	struct qat_dev_info info;
	struct qat_dev *dev;
	int i, n = qat_dev_count(rt), state;

	if (!a->json)
		printf("%-5s %-12s %-8s %-7s %-9s %-4s %-7s %-10s %s\n",
		       "ACCEL", "PCI", "TYPE", "BACKEND", "SHARING", "NUMA",
		       "STARTED", "STATE", "MAXPROC");
	for (i = 0; i < n; i++) {
		if (qat_dev_get(rt, (unsigned int)i, &dev) ||
		    qat_dev_info(dev, &info))
			continue;
		state = qat_dev_state(dev);
		if (a->json) {
			json_array_append_new(list, dev_json(&info, state));
			continue;
		}
		printf("%-5u %-12s %-8s %-7s %-9s %-4d %-7s %-10s %u\n",
		       info.accel_id, info.pci_addr, info.type, info.backend,
		       sharing_name(info.sharing), info.numa_node,
		       info.started ? "yes" : "no",
		       state < 0 ? "unknown" : qat_event_name(state),
		       info.max_processes);
	}
	if (a->json)
		return json_out(json_pack("{s:o}", "devices", list),
				JSON_INDENT(2));
	json_decref(list);
	return 0;
}

/* ---- claims ----------------------------------------------------------- */

static int cmd_claims(struct qat_rt *rt, const struct args *a)
{
	struct qat_proc_claim *c = NULL;
	unsigned int max = 0;
	json_t *list;
	char since[32];
	int n, i;

	/* Claims come and go while we look: grow until the list fits. */
	for (;;) {
		n = qat_proc_list(rt, c, max);
		if (n < 0 || (unsigned int)n <= max)
			break;
		max = (unsigned int)n + 16;
		free(c);
		c = calloc(max, sizeof(*c));
		if (!c)
			return fail("out of memory");
	}
	if (n < 0) {
		free(c);
		return registry_fail(rt, "cannot list the claims", n);
	}
	list = json_array();
	if (!a->json)
		printf("%-24s %-6s %-8s %s\n", "SECTION", "DEVICE", "PID",
		       "SINCE");
	for (i = 0; i < n; i++) {
		real_to_iso(c[i].claimed_ns, since, sizeof(since));
		if (a->json)
			json_array_append_new(list, json_pack(
				"{s:s, s:I, s:I, s:s, s:I}", "section",
				c[i].name, "accel_id",
				(json_int_t)c[i].accel_id, "pid",
				(json_int_t)c[i].pid, "since", since,
				"since_ns", (json_int_t)c[i].claimed_ns));
		else
			printf("%-24s %-6u %-8d %s\n", c[i].name,
			       c[i].accel_id, (int)c[i].pid, since);
	}
	free(c);
	if (a->json)
		return json_out(json_pack("{s:o}", "claims", list),
				JSON_INDENT(2));
	json_decref(list);
	return 0;
}

/* ---- events ----------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static json_t *event_json(const struct qat_state_event *e)
{
	char when[40];

	mono_to_iso(e->timestamp_ns, when, sizeof(when));
	return json_pack("{s:I, s:I, s:s, s:i, s:s}", "seq",
			 (json_int_t)e->seq, "accel_id", (json_int_t)e->dev_id,
			 "event", qat_event_name(e->event), "value", e->event,
			 "time", when);
}

static int event_print(const struct qat_state_event *e, int json)
{
	char when[40];

	if (json)
		return json_out(event_json(e), JSON_COMPACT);
	mono_to_iso(e->timestamp_ns, when, sizeof(when));
	printf("%-8llu %-24s %-6u %s\n", (unsigned long long)e->seq, when,
	       e->dev_id, qat_event_name(e->event));
	return fflush(stdout) ? fail("writing to stdout: %s", strerror(errno))
			      : 0;
}

/* New events until a signal; those up to `last` were already shown. */
static int events_follow(struct qat_state_sub *sub, uint64_t last, int json)
{
	struct pollfd pfd = { .fd = qat_state_fd(sub), .events = POLLIN };
	struct qat_state_event e;
	uint64_t lost;
	int ret;

	while (!stop) {
		ret = qat_state_read(sub, &e);
		if (ret == -EAGAIN) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return fail("poll: %s", strerror(errno));
			continue;
		}
		if (ret == -EOVERFLOW) {
			qat_state_lost(sub, &lost, NULL);
			fprintf(stderr, "qatrt: %llu events lost (reader too "
				"slow)\n", (unsigned long long)lost);
			continue;
		}
		if (ret)
			return fail("reading events: %s", qat_strerror(ret));
		if (e.seq > last && event_print(&e, json))
			return EXIT_FAILURE;
	}
	return 0;
}

static int cmd_events(struct qat_rt *rt, const struct args *a)
{
	struct qat_state_event *evs;
	struct qat_state_sub *sub = NULL;
	uint64_t last = 0;
	json_t *list;
	int n, i, ret = 0;

	/* Subscribe before looking back, so that nothing falls between. */
	if (a->follow) {
		ret = qat_state_subscribe(rt, QAT_EVENT_MASK_ALL, NULL, &sub);
		if (ret)
			return registry_fail(rt, "cannot subscribe", ret);
	}
	evs = calloc(QAT_STATE_RING_EVENTS, sizeof(*evs));
	n = evs ? qat_state_recent(rt, evs, QAT_STATE_RING_EVENTS) : -ENOMEM;
	if (n < 0) {
		ret = registry_fail(rt, "cannot read the events", n);
		goto out;
	}
	if (a->json && !a->follow) {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, event_json(&evs[i]));
		ret = json_out(json_pack("{s:o}", "events", list),
			       JSON_INDENT(2));
		goto out;
	}
	if (!a->json)
		printf("%-8s %-24s %-6s %s\n", "SEQ", "TIME", "DEVICE", "EVENT");
	for (i = 0; i < n && !ret; i++) {
		ret = event_print(&evs[i], a->json);
		last = evs[i].seq;
	}
	if (!ret && a->follow)
		ret = events_follow(sub, last, a->json);
out:
	free(evs);
	qat_state_unsubscribe(sub);
	return ret;
}

/* ---- config ----------------------------------------------------------- */

/* The accel id a file name gives ("<x>_dev<N>.conf" or ".json"), as the
 * library reads a directory; -1 when the name does not follow the rule. */
static long name_accel_id(const char *name)
{
	const char *d = strstr(name, "_dev"), *p;
	long id = -1;

	for (; d; d = strstr(d + 1, "_dev")) {
		p = d + 4;
		if (!isdigit((unsigned char)*p))
			continue;
		id = strtol(p, (char **)&p, 10);
		if (!strcmp(p, ".conf") || !strcmp(p, ".json"))
			return id;
		id = -1;
	}
	return id;
}

/* Check one file; prints errors as file:line:column: message. */
static int check_file(const char *path, long id, json_t *files, int json)
{
	struct qat_cfg_error err;
	struct qat_cfg *cfg = NULL;
	json_t *f;
	int ret = qat_cfg_load(path, QAT_CFG_FMT_AUTO,
			       (unsigned int)(id < 0 ? 0 : id), &cfg, &err);

	f = json_pack("{s:s, s:I}", "file", path, "accel_id",
		      (json_int_t)(id < 0 ? 0 : id));
	if (!ret) {
		json_object_set_new(f, "sections",
				    json_integer(qat_cfg_section_count(cfg)));
		if (!json)
			printf("%s: ok, %d sections\n", path,
			       qat_cfg_section_count(cfg));
	} else {
		if (!err.msg[0])
			snprintf(err.msg, sizeof(err.msg), "%s",
				 qat_strerror(ret));
		if (err.line)
			fprintf(stderr, "%s:%u:%u: %s\n",
				err.file[0] ? err.file : path, err.line,
				err.column, err.msg);
		else
			fprintf(stderr, "%s: %s\n",
				err.file[0] ? err.file : path, err.msg);
		json_object_set_new(f, "error", json_pack(
			"{s:s, s:I, s:I, s:s}", "file",
			err.file[0] ? err.file : path, "line",
			(json_int_t)err.line, "column", (json_int_t)err.column,
			"message", err.msg));
	}
	json_array_append_new(files, f);
	qat_cfg_free(cfg);
	return ret ? 1 : 0;
}

/* Two files for one accel id: qat_rt_open() would fail with -EEXIST. */
static int check_dup(struct dirent **ents, int i, long id, const char *path)
{
	int j;

	for (j = 0; j < i; j++)
		if (name_accel_id(ents[j]->d_name) == id) {
			fprintf(stderr, "%s/%s: accel id %ld is configured by "
				"%s too\n", path, ents[i]->d_name, id,
				ents[j]->d_name);
			return 1;
		}
	return 0;
}

static int check_dir(const char *path, json_t *files, int json)
{
	struct dirent **ents;
	int n, i, bad = 0, seen = 0;
	char *full;
	long id;

	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		id = name_accel_id(ents[i]->d_name);
		if (id >= 0 && asprintf(&full, "%s/%s", path,
					ents[i]->d_name) >= 0) {
			bad += check_file(full, id, files, json);
			bad += check_dup(ents, i, id, path);
			seen++;
			free(full);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (!seen)
		fprintf(stderr, "qatrt: %s: no <name>_dev<N>.conf or .json "
			"file\n", path);
	return bad || !seen;
}

static int cmd_config_check(const char *path, const struct args *a)
{
	json_t *files = json_array();
	struct stat sb;
	int bad;

	if (stat(path, &sb)) {
		json_decref(files);
		return fail("%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		bad = check_dir(path, files, a->json);
	else
		bad = check_file(path, name_accel_id(path), files, a->json);
	if (bad < 0) {
		json_decref(files);
		return fail("%s: %s", path, strerror(-bad));
	}
	if (a->json && json_out(json_pack("{s:s, s:b, s:o}", "path", path,
					  "ok", !bad, "files", files),
				JSON_INDENT(2)))
		return EXIT_FAILURE;
	if (!a->json)
		json_decref(files);
	return bad ? EXIT_FAILURE : 0;
}

/* The configuration of one device as JSON (its own dump, parsed back). */
static json_t *cfg_json(const struct qat_cfg *cfg)
{
	json_error_t jerr;
	char *text;
	json_t *j;

	if (!cfg)
		return json_null();
	if (qat_cfg_dump_json(cfg, &text))
		return NULL;
	j = json_loads(text, 0, &jerr);
	free(text);
	return j;
}

static void cfg_print_conf(const json_t *j)
{
	const char *sec, *key;
	json_t *keys, *v;

	json_object_foreach((json_t *)j, sec, keys) {
		printf("[%s]\n", sec);
		json_object_foreach(keys, key, v)
			printf("%s = %s\n", key, json_is_string(v) ?
			       json_string_value(v) : "?");
		printf("\n");
	}
}

static int cmd_config_show(struct qat_rt *rt, const struct args *a)
{
	json_t *list = json_array(), *j;
	struct qat_dev_info info;
	struct qat_dev *dev;
	int i, n = qat_dev_count(rt);

	for (i = 0; i < n; i++) {
		if (qat_dev_get(rt, (unsigned int)i, &dev) ||
		    qat_dev_info(dev, &info))
			continue;
		j = cfg_json(qat_dev_cfg(dev));
		if (!j) {
			json_decref(list);
			return fail("device %u: cannot render its "
				    "configuration", info.accel_id);
		}
		if (a->json) {
			json_array_append_new(list, json_pack(
				"{s:I, s:s, s:o}", "accel_id",
				(json_int_t)info.accel_id, "pci_addr",
				info.pci_addr, "config", j));
			continue;
		}
		printf("# device %u (%s, %s)\n", info.accel_id, info.pci_addr,
		       info.type);
		if (json_is_null(j))
			printf("# no configuration\n\n");
		else
			cfg_print_conf(j);
		json_decref(j);
	}
	if (a->json)
		return json_out(json_pack("{s:o}", "devices", list),
				JSON_INDENT(2));
	json_decref(list);
	return 0;
}

/* ---- inject, reset ---------------------------------------------------- */

static int cmd_inject(struct qat_rt *rt, const struct args *a, int event)
{
	struct qat_dev *dev = dev_find(rt, a->dev);
	int ret;

	if (!dev)
		return fail("no device %s", a->dev);
	ret = qat_sim_inject_event(dev, event);
	if (ret == -ENOTSUP)
		return fail("device %s is not simulated: events come from the "
			    "device itself", a->dev);
	if (ret)
		return fail("device %s: cannot inject %s: %s", a->dev,
			    qat_event_name(event), qat_strerror(ret));
	if (!a->json)
		return 0;
	return json_out(json_pack("{s:s, s:s}", "device", a->dev, "injected",
				  qat_event_name(event)), JSON_INDENT(2));
}

static int cmd_reset(struct qat_rt *rt, const struct args *a)
{
	struct qat_dev *dev = dev_find(rt, a->dev);
	int ret;

	if (!dev)
		return fail("no device %s", a->dev);
	ret = qat_dev_reset(dev);
	if (ret)
		return fail("device %s: reset failed: %s", a->dev,
			    qat_strerror(ret));
	if (!a->json)
		return 0;
	return json_out(json_pack("{s:s, s:b}", "device", a->dev, "reset", 1),
			JSON_INDENT(2));
}

/* ---- command line ----------------------------------------------------- */

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "registry", required_argument, NULL, 'r' },
		{ "dev", required_argument, NULL, 'd' },
		{ "pci-ids", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hv", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'r': a->registry = optarg; break;
		case 'd': a->dev = optarg; break;
		case 'p': a->pci_ids = optarg; break;
		case 'j': a->json = 1; break;
		case 'f': a->follow = 1; break;
		case 'v': a->verbose = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case ':':
			return usage_error("option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	a->words = argv + optind;
	a->nwords = argc - optind;
	return 0;
}

/* What each command accepts: operands and options. */
static int check_usage(const struct args *a, int operands, int dev, int follow)
{
	const char *cmd = a->words[0];

	if (a->nwords - 1 != operands)
		return usage_error("'%s' takes %d operand%s", cmd, operands,
				   operands == 1 ? "" : "s");
	if (dev && !a->dev)
		return usage_error("'%s' needs --dev N", cmd);
	if (!dev && a->dev)
		return usage_error("'%s' takes no --dev", cmd);
	if (!follow && a->follow)
		return usage_error("--follow is only for 'events'");
	return 0;
}

/* Validate the command line fully before touching the registry. */
static int check_command(struct args *a, int *event)
{
	const char *cmd = a->words[0];

	if (!strcmp(cmd, "devices") || !strcmp(cmd, "claims"))
		return check_usage(a, 0, 0, 0);
	if (!strcmp(cmd, "events"))
		return check_usage(a, 0, 0, 1);
	if (!strcmp(cmd, "reset"))
		return check_usage(a, 0, 1, 0);
	if (!strcmp(cmd, "bind") || !strcmp(cmd, "unbind"))
		return a->dev || a->follow ?
		       usage_error("'%s' takes PCI addresses, no options", cmd) :
		       0;
	if (!strcmp(cmd, "inject")) {
		if (check_usage(a, 1, 1, 0))
			return EXIT_USAGE;
		*event = event_parse(a->words[1]);
		return *event < 0 ? usage_error("unknown event '%s'",
						a->words[1]) : 0;
	}
	if (!strcmp(cmd, "config")) {
		if (a->nwords >= 2 && !strcmp(a->words[1], "check")) {
			a->words++, a->nwords--;
			return check_usage(a, 1, 0, 0);
		}
		if (a->nwords >= 2 && !strcmp(a->words[1], "show")) {
			a->words++, a->nwords--;
			return check_usage(a, 0, 0, 0);
		}
		return usage_error("'config' needs 'check PATH' or 'show'");
	}
	return usage_error("unknown command '%s'", cmd);
}

static int run(struct qat_rt *rt, const struct args *a, int event)
{
	const char *cmd = a->words[0];

	if (!strcmp(cmd, "devices"))
		return cmd_devices(rt, a);
	if (!strcmp(cmd, "claims"))
		return cmd_claims(rt, a);
	if (!strcmp(cmd, "events"))
		return cmd_events(rt, a);
	if (!strcmp(cmd, "inject"))
		return cmd_inject(rt, a, event);
	if (!strcmp(cmd, "reset"))
		return cmd_reset(rt, a);
	return cmd_config_show(rt, a);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct args a = { 0 };
	struct qat_rt *rt;
	int ret, event = -1;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret;
	if (!a.nwords)
		return usage_error("no command given");
	ret = check_command(&a, &event);
	if (ret)
		return ret;
	/* "config check" reads files only: no runtime, no registry. It
	 * prints each error itself, so the library's copy is for -v. */
	if (!strcmp(a.words[0], "check")) {
		if (a.verbose)
			qat_set_log_fn(log_stderr, NULL, QAT_LOG_DEBUG);
		return cmd_config_check(a.words[1], &a);
	}
	qat_set_log_fn(log_stderr, NULL, a.verbose ? QAT_LOG_INFO :
			QAT_LOG_WARN);
	if (!strcmp(a.words[0], "bind") || !strcmp(a.words[0], "unbind"))
		return tool_bind(a.words[0][0] == 'u', a.pci_ids, a.words + 1,
				 a.nwords - 1);
	rt = rt_open(&a, &ret);
	if (!rt)
		return EXIT_FAILURE;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = run(rt, &a, event);
	qat_rt_close(rt);
	return ret;
}
