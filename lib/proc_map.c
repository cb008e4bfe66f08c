/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local, trusted half of the process registry: which slot each
 * internal section name occupies, the configuration fingerprint the
 * registry is keyed on, and per base section the names to try in order.
 * All of it derives from this process's configuration only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"
#include "proc_int.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/*
 * Everything the slot numbering and the search depend on: each device's
 * accel id, configuration content and process limit. Two processes that
 * agree on this agree on every slot index.
 */
uint64_t proc_fingerprint(const struct qat_rt *rt)
{
	uint64_t h = PROC_SEG_MAGIC;
	unsigned int i;

	for (i = 0; i < rt->ndevs; i++) {
		const struct qat_dev *d = rt->devs[i];

		h = mix(h, d->info.accel_id);
		h = mix(h, qat_cfg_fingerprint(d->cfg));
		h = mix(h, d->info.max_processes);
	}
	return mix(h, rt->ndevs);
}

/* Version order ("SSL_INT_2" before "SSL_INT_10"): slot order is the
 * order qat_proc_list() reports, and people read those listings. */
static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, distinct section names of one configuration. */
static int map_dev(struct proc_map_dev *m, const struct qat_cfg *cfg)
{
	int n = cfg ? qat_cfg_section_count(cfg) : 0;
	unsigned int i, k = 0;

	if (n <= 0)
		return 0;
	m->sorted = malloc((size_t)n * sizeof(*m->sorted));
	if (!m->sorted)
		return -ENOMEM;
	for (i = 0; i < (unsigned int)n; i++) {
		const char *s = qat_cfg_section_name(cfg, i);

		if (s)
			m->sorted[k++] = s;
	}
	qsort(m->sorted, k, sizeof(*m->sorted), cmp_str);
	for (n = (int)k, k = 0, i = 0; i < (unsigned int)n; i++)
		if (!k || strcmp(m->sorted[k - 1], m->sorted[i]))
			m->sorted[k++] = m->sorted[i];
	m->n = k;
	return 0;
}

static int map_slots(struct proc_reg *reg)
{
	unsigned int d, i;

	reg->slot_name = calloc(reg->nslots, sizeof(*reg->slot_name));
	reg->slot_dev = calloc(reg->nslots, sizeof(*reg->slot_dev));
	if (!reg->slot_name || !reg->slot_dev)
		return -ENOMEM;
	for (d = 0; d < reg->rt->ndevs; d++) {
		for (i = 0; i < reg->mdev[d].n; i++) {
			reg->slot_name[reg->mdev[d].base + i] =
				reg->mdev[d].sorted[i];
			reg->slot_dev[reg->mdev[d].base + i] = d;
		}
	}
	return 0;
}

int proc_map_build(struct proc_reg *reg)
{
	const struct qat_rt *rt = reg->rt;
	unsigned int d, total = 0;
	int ret;

	reg->mdev = calloc(rt->ndevs ? rt->ndevs : 1, sizeof(*reg->mdev));
	if (!reg->mdev)
		return -ENOMEM;
	for (d = 0; d < rt->ndevs; d++) {
		ret = map_dev(&reg->mdev[d], rt->devs[d]->cfg);
		if (ret)
			return ret;
		if (reg->mdev[d].n > PROC_MAX_SLOTS - total) {
			qat_err("process registry: more than %u sections",
				PROC_MAX_SLOTS);
			return -E2BIG;
		}
		reg->mdev[d].base = total;
		total += reg->mdev[d].n;
	}
	/* One unnamed slot at least keeps every array non-empty. */
	reg->nslots = total ? total : 1;
	return map_slots(reg);
}

void proc_map_free(struct proc_reg *reg)
{
	unsigned int d;

	if (reg->mdev)
		for (d = 0; d < reg->rt->ndevs; d++)
			free(reg->mdev[d].sorted);
	free(reg->mdev);
	free(reg->slot_name);
	free(reg->slot_dev);
	reg->mdev = NULL;
	reg->slot_name = NULL;
	reg->slot_dev = NULL;
}

/* Slot of section `name` of device d, or -1 when it has no such section. */
static long map_lookup(const struct proc_reg *reg, unsigned int d,
		       const char *name)
{
	const struct proc_map_dev *m = &reg->mdev[d];
	const char **p;

	if (!m->n)
		return -1;
	p = bsearch(&name, m->sorted, m->n, sizeof(*m->sorted), cmp_str);
	return p ? (long)(m->base + (unsigned int)(p - m->sorted)) : -1;
}

/* Append slot to the plan, extending the last run when it follows on. */
static int plan_add(struct proc_plan *p, unsigned int *cap, uint32_t slot,
		    uint32_t dev)
{
	struct proc_run *r = p->nrun ? &p->run[p->nrun - 1] : NULL;

	if (r && r->dev == dev && r->first + r->n == slot) {
		r->n++;
		return 0;
	}
	if (p->nrun == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		r = realloc(p->run, *cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		p->run = r;
	}
	p->run[p->nrun++] = (struct proc_run){ .first = slot, .n = 1,
					       .dev = dev };
	return 0;
}

/*
 * Names of one device, numbers dense from 0: the first number whose
 * section is missing ends the device (unlike the FreeBSD seed, which took
 * <name>_INT_0 without looking).
 */
static int plan_dev(struct proc_reg *reg, struct proc_plan *p,
		    unsigned int *cap, unsigned int d)
{
	const struct qat_dev *dev = reg->rt->devs[d];
	char name[PROC_NAME_MAX];
	uint64_t limit = 0;
	unsigned int n;
	long slot;
	int len, ret;

	if (qat_cfg_get_u64(dev->cfg, p->base, "LimitDevAccess", &limit))
		limit = 0;
	for (n = 0; n < dev->info.max_processes; n++) {
		len = limit ? snprintf(name, sizeof(name), "%s_DEV%u_INT_%u",
				       p->base, dev->info.accel_id, n) :
			      snprintf(name, sizeof(name), "%s_INT_%u",
				       p->base, n);
		if (len < 0 || (size_t)len >= sizeof(name))
			break; /* too long to be a section name */
		slot = map_lookup(reg, d, name);
		if (slot < 0)
			break;
		ret = plan_add(p, cap, (uint32_t)slot, d);
		if (ret)
			return ret;
	}
	return 0;
}

static void plan_free(struct proc_plan *p)
{
	if (!p)
		return;
	free(p->run);
	free(p->has_base);
	free(p);
}

static int plan_build(struct proc_reg *reg, const char *base,
		      struct proc_plan **out)
{
	const struct qat_rt *rt = reg->rt;
	struct proc_plan *p = calloc(1, sizeof(*p));
	unsigned int d, cap = 0;
	int ret = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->has_base = calloc(rt->ndevs ? rt->ndevs : 1, 1);
	if (!p->has_base)
		goto err;
	snprintf(p->base, sizeof(p->base), "%s", base);
	for (d = 0; d < rt->ndevs; d++) {
		if (!qat_cfg_has_section(rt->devs[d]->cfg, base))
			continue;
		p->has_base[d] = 1;
		ret = plan_dev(reg, p, &cap, d);
		if (ret)
			goto err;
	}
	*out = p;
	return 0;
err:
	plan_free(p);
	return ret;
}

/*
 * The plan for `base`, built on first use. Plans are immutable once
 * published and live until the registry is closed. Their number is
 * bounded: only base sections some configuration has are worth caching,
 * and a plan for an unknown base is not kept.
 */
int proc_plan_get(struct proc_reg *reg, const char *base,
		  const struct proc_plan **out)
{
	struct proc_plan *p;
	unsigned int d;
	int ret = 0;

	pthread_mutex_lock(&reg->mu);
	for (p = reg->plans; p; p = p->next)
		if (!strcmp(p->base, base))
			goto found;
	ret = plan_build(reg, base, &p);
	if (ret)
		goto out;
	for (d = 0; d < reg->rt->ndevs && !p->has_base[d]; d++)
		;
	if (d == reg->rt->ndevs) {
		plan_free(p);
		ret = -ENOENT;
		goto out;
	}
	p->next = reg->plans;
	reg->plans = p;
found:
	*out = p;
out:
	pthread_mutex_unlock(&reg->mu);
	return ret;
}

void proc_plans_free(struct proc_reg *reg)
{
	struct proc_plan *p;

	while ((p = reg->plans)) {
		reg->plans = p->next;
		plan_free(p);
	}
}
