/* SPDX-License-Identifier: BSD-3-Clause */
/* The runtime: options, configuration discovery, device discovery. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg_priv.h"
#include "internal.h"

/* Probe order: simulated devices first, then real ones. */
static const struct qat_backend_ops *const qat_backends[] = {
	&qat_sim_ops,
	&qat_vfio_ops,
	&qat_sysfs_ops,
};

/*
 * Accel id from a device configuration file name "<x>_dev<N>.conf" or
 * "<x>_dev<N>.json". Returns N, or -1 when the name does not follow it.
 */
static long cfg_name_accel_id(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *p;
	char *end;
	long n;

	if (!dot || (strcmp(dot, ".conf") && strcmp(dot, ".json")))
		return -1;
	for (p = dot; p > name && isdigit((unsigned char)p[-1]); p--)
		;
	if (p == dot || p - name < 4 || strncmp(p - 4, "_dev", 4))
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno || end != dot || n > 65535)
		return -1;
	return n;
}

static int rt_add_cfg(struct qat_rt *rt, const char *path, unsigned int id)
{
	struct qat_rt_cfg *c;
	struct qat_cfg_error err;
	struct qat_cfg *cfg;
	unsigned int i;
	int ret;

	for (i = 0; i < rt->ncfgs; i++) {
		if (rt->cfgs[i].accel_id == id) {
			qat_err("%s and %s both configure device %u",
				rt->cfgs[i].path, path, id);
			return -EEXIST;
		}
	}
	ret = qat_cfg_load(path, QAT_CFG_FMT_AUTO, id, &cfg, &err);
	if (ret)
		return ret;
	c = realloc(rt->cfgs, (rt->ncfgs + 1) * sizeof(*c));
	if (!c)
		goto err_free;
	rt->cfgs = c;
	c[rt->ncfgs].path = strdup(path);
	if (!c[rt->ncfgs].path)
		goto err_free;
	c[rt->ncfgs].accel_id = id;
	c[rt->ncfgs].cfg = cfg;
	rt->ncfgs++;
	qat_info("configuration %s: device %u, %d sections", path, id,
		 qat_cfg_section_count(cfg));
	return 0;
err_free:
	qat_cfg_free(cfg);
	return -ENOMEM;
}

/* Only regular files (or links to them) are read: anything else named
 * like a device file is skipped with a warning, so that a FIFO cannot
 * block qat_rt_open(). */
static int dir_entry_is_file(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		qat_warn("configuration %s: skipped: %s", path,
			 qat_strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		qat_warn("configuration %s: skipped: not a regular file", path);
		return 0;
	}
	return 1;
}

/* Load every "<x>_dev<N>.{conf,json}" of a directory, in name order so
 * that errors come out the same on every run. */
static int rt_load_dir(struct qat_rt *rt, const char *dir)
{
	struct dirent **ents = NULL;
	char path[4096];
	int n, i, ret = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		ret = -errno;
		qat_err("configuration directory %s: %s", dir,
			qat_strerror(ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		long id = cfg_name_accel_id(name);

		if (ret || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (id < 0) {
			qat_dbg("configuration %s/%s: skipped: not named "
				"<x>_dev<N>.conf or .json", dir, name);
			continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    (int)sizeof(path)) {
			qat_err("configuration %s/%s: path too long", dir, name);
			ret = -ENAMETOOLONG;
			continue;
		}
		if (dir_entry_is_file(path))
			ret = rt_add_cfg(rt, path, (unsigned int)id);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ret;
}

/* `from` says who chose the path, for the log lines that tell a user
 * where configuration was looked for. */
static int rt_load_config(struct qat_rt *rt, const char *from, int asked)
{
	struct stat st;
	long id;
	int ret;

	qat_info("looking for configuration in %s (%s)", rt->config_path,
		 from);
	if (stat(rt->config_path, &st)) {
		ret = -errno;
		if (ret == -ENOENT && !asked) {
			qat_info("no configuration: %s does not exist (set "
				 "QATRT_CONFIG or qat_rt_opts.config_path)",
				 rt->config_path);
			return 0;
		}
		qat_err("configuration %s (%s): %s", rt->config_path, from,
			qat_strerror(ret));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = rt_load_dir(rt, rt->config_path);
	} else {
		id = cfg_name_accel_id(strrchr(rt->config_path, '/') ?
				       strrchr(rt->config_path, '/') + 1 :
				       rt->config_path);
		ret = rt_add_cfg(rt, rt->config_path,
				 id < 0 ? 0 : (unsigned int)id);
	}
	if (!ret)
		qat_info("configuration: %u device file%s loaded from %s",
			 rt->ncfgs, rt->ncfgs == 1 ? "" : "s",
			 rt->config_path);
	return ret;
}

struct qat_cfg *qat_rt_take_cfg(struct qat_rt *rt, unsigned int accel_id,
				int want_sim)
{
	struct qat_cfg *cfg;
	const char *v;
	unsigned int i;

	for (i = 0; i < rt->ncfgs; i++) {
		cfg = rt->cfgs[i].cfg;
		if (!cfg || rt->cfgs[i].accel_id != accel_id)
			continue;
		if ((qat_cfg_get_str(cfg, "GENERAL", "SimDevice", &v) == 0) !=
		    !!want_sim)
			return NULL;
		rt->cfgs[i].cfg = NULL;
		return cfg;
	}
	return NULL;
}

int qat_rt_add_dev(struct qat_rt *rt, const struct qat_backend_ops *ops,
		   const struct qat_dev_info *info, struct qat_cfg *cfg,
		   void *priv, struct qat_dev **out)
{
	struct qat_dev tmp = { .rt = rt, .ops = ops, .priv = priv };
	struct qat_dev **devs, *dev;
	unsigned int i;
	int ret = -EEXIST;

	for (i = 0; i < rt->ndevs; i++) {
		if (rt->devs[i]->info.accel_id == info->accel_id) {
			qat_err("%s device %s and %s device %s share accel id %u",
				rt->devs[i]->ops->name,
				rt->devs[i]->info.pci_addr, ops->name,
				info->pci_addr, info->accel_id);
			goto err;
		}
	}
	ret = -ENOMEM;
	devs = realloc(rt->devs, (rt->ndevs + 1) * sizeof(*devs));
	if (!devs)
		goto err;
	rt->devs = devs;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		goto err;
	dev->rt = rt;
	dev->ops = ops;
	dev->priv = priv;
	dev->cfg = cfg;
	dev->info = *info;
	if (!dev->info.sharing)
		dev->info.sharing = ops->sharing;
	/* One process at a time has an exclusive device, so by default it
	 * offers one claim at a time; MaxProcesses says otherwise. */
	if (dev->info.sharing == QAT_DEV_EXCLUSIVE)
		dev->info.max_processes = qat_dev_max_processes(cfg, 1);
	snprintf(dev->info.backend, sizeof(dev->info.backend), "%s", ops->name);
	rt->devs[rt->ndevs++] = dev;
	if (out)
		*out = dev;
	qat_dbg("device %u: %s %04x:%04x at %s (%s)", info->accel_id,
		info->type, info->vendor_id, info->device_id, info->pci_addr,
		ops->name);
	return 0;
err:
	/* We own cfg and priv from the call on, so failure frees them. */
	qat_cfg_free(cfg);
	if (ops->dev_fini)
		ops->dev_fini(&tmp);
	return ret;
}

int qat_rt_on_close(struct qat_rt *rt, void (*fn)(struct qat_rt *, void *),
		    void *arg)
{
	struct qat_rt_fini *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->fn = fn;
	f->arg = arg;
	pthread_mutex_lock(&rt->lock);
	f->next = rt->fini;
	rt->fini = f;
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct qat_dev *x = *(struct qat_dev *const *)a;
	const struct qat_dev *y = *(struct qat_dev *const *)b;

	return (x->info.accel_id > y->info.accel_id) -
	       (x->info.accel_id < y->info.accel_id);
}

static int rt_probe(struct qat_rt *rt)
{
	unsigned int i;
	int ret;

	for (i = 0; i < QAT_ARRAY_SIZE(qat_backends); i++) {
		ret = qat_backends[i]->probe(rt);
		if (ret)
			return ret;
	}
	for (i = 0; i < rt->ncfgs; i++)
		if (rt->cfgs[i].cfg)
			qat_info("%s: no device with accel id %u; ignored",
				 rt->cfgs[i].path, rt->cfgs[i].accel_id);
	if (rt->ndevs > 1) /* qsort() must not see the NULL of none */
		qsort(rt->devs, rt->ndevs, sizeof(*rt->devs), cmp_dev);
	return 0;
}

static char *dup_choice(const char *opt, const char *env, const char *dflt)
{
	const char *v = opt;

	if (!v)
		v = secure_getenv(env);
	if (!v || !*v)
		v = dflt;
	return strdup(v);
}

/* Who chose the configuration path, as dup_choice() picks it. */
static const char *config_source(const struct qat_rt_opts *o)
{
	const char *env = secure_getenv("QATRT_CONFIG");

	if (o->config_path && *o->config_path)
		return "qat_rt_opts.config_path";
	if (!o->config_path && env && *env)
		return "$QATRT_CONFIG";
	return "the default";
}

/*
 * A host set up for sharing (the packages' tmpfiles.d entry makes
 * QAT_RT_SHARED_DIR, group qat, setgid) gets its registry there, with
 * group-shared files, when neither the options nor $QATRT_REGISTRY chose
 * one: services of different users in that group then share claims and
 * events without configuration.
 */
static int rt_shared_default(struct qat_rt *rt, const struct qat_rt_opts *o)
{
	const char *env = secure_getenv("QATRT_REGISTRY");
	struct stat st;
	char *path;

	if (o->registry_path || (env && *env) ||
	    stat(QAT_RT_SHARED_DIR, &st) || !S_ISDIR(st.st_mode))
		return 0;
	path = strdup(QAT_RT_SHARED_REGISTRY);
	if (!path)
		return -ENOMEM;
	free(rt->registry_path);
	rt->registry_path = path;
	if (!o->registry_mode)
		rt->registry_mode = 0660;
	/* Files there are written by every member of the directory's group:
	 * trust them as QAT_RT_REGISTRY_GROUP would, for that group only. */
	if (!(o->flags & QAT_RT_REGISTRY_GROUP)) {
		rt->flags |= QAT_RT_REGISTRY_GROUP;
		rt->registry_gid = st.st_gid;
	}
	return 0;
}

static int rt_init_opts(struct qat_rt *rt, const struct qat_rt_opts *o)
{
	if (o->pci_ids && qat_pci_ids_check(o->pci_ids))
		return -EINVAL;
	rt->flags = o->flags;
	rt->registry_mode = o->registry_mode ? o->registry_mode :
			    o->flags & QAT_RT_REGISTRY_GROUP ? 0660 : 0600;
	rt->registry_gid = o->registry_gid;
	rt->config_path = dup_choice(o->config_path, "QATRT_CONFIG",
				     QAT_RT_DEFAULT_CONFIG);
	rt->registry_path = dup_choice(o->registry_path, "QATRT_REGISTRY",
				       QAT_RT_DEFAULT_REGISTRY);
	rt->pci_ids = o->pci_ids ? strdup(o->pci_ids) : NULL;
	if (!rt->config_path || !rt->registry_path ||
	    (o->pci_ids && !rt->pci_ids))
		return -ENOMEM;
	return rt_shared_default(rt, o);
}

QAT_API int qat_rt_open(const struct qat_rt_opts *opts, struct qat_rt **out)
{
	struct qat_rt_opts o;
	struct qat_rt *rt;
	const char *from;
	int asked, ret;

	if (!out)
		return -EINVAL;
	ret = qat_opts_copy(&o, sizeof(o), opts);
	if (ret)
		return ret;
	if (o.flags & ~QAT_RT_FLAGS_ALL || o.registry_mode & ~0777u)
		return -EINVAL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	pthread_mutex_init(&rt->lock, NULL);
	ret = rt_init_opts(rt, &o);
	if (ret)
		goto err;
	from = config_source(&o);
	asked = strcmp(from, "the default") != 0;
	ret = rt_load_config(rt, from, asked);
	if (ret)
		goto err;
	ret = rt_probe(rt);
	if (ret)
		goto err;
	*out = rt;
	return 0;
err:
	qat_rt_close(rt);
	return ret;
}

QAT_API void qat_rt_close(struct qat_rt *rt)
{
	struct qat_rt_fini *f;
	unsigned int i;

	if (!rt)
		return;
	while ((f = rt->fini)) {
		rt->fini = f->next;
		f->fn(rt, f->arg);
		free(f);
	}
	for (i = 0; i < rt->ndevs; i++) {
		struct qat_dev *dev = rt->devs[i];

		if (dev->ops->dev_fini)
			dev->ops->dev_fini(dev);
		qat_cfg_free(dev->cfg);
		free(dev);
	}
	for (i = 0; i < rt->ncfgs; i++) {
		qat_cfg_free(rt->cfgs[i].cfg);
		free(rt->cfgs[i].path);
	}
	free(rt->devs);
	free(rt->cfgs);
	free(rt->config_path);
	free(rt->registry_path);
	free(rt->pci_ids);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

void qat_rt_log_no_section(const struct qat_rt *rt, const char *section)
{
	if (!rt->ncfgs)
		qat_err("could not find section %s: no configuration was loaded "
			"(looked in %s)", section, rt->config_path);
	else
		qat_err("could not find section %s in any device configuration "
			"(%u loaded from %s)", section, rt->ncfgs,
			rt->config_path);
}

QAT_API const char *qat_rt_registry_path(const struct qat_rt *rt)
{
	return rt ? rt->registry_path : NULL;
}
