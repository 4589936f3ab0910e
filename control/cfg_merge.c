/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inventory of a configuration changed at run time (doc/control.md
 * "Changing the inventory"): objects keep the slot they were given and are
 * matched by name; a dense configuration (the file, or the live objects
 * with one added or one left out) is merged into the slotted one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cfg.h"

static const char *const kind_names[SG_CTL_KIND_MAX] = {"application", "vm", "host", "pool"};
static const unsigned int kind_max[SG_CTL_KIND_MAX] = {SG_CTL_APPS_MAX, SG_CTL_VMS_MAX,
						       SG_CTL_HOSTS_MAX, SG_CTL_POOLS_MAX};

const char *
sg_ctl_cfg_kind_name(unsigned int kind)
{
	return kind < SG_CTL_KIND_MAX ? kind_names[kind] : "?";
}

/* The slots of @p kind: base, stride, high-water mark (every kind's name is its first member). */
static char *
slots(const struct sg_ctl_cfg *cfg, unsigned int kind, size_t *stride, unsigned int **n)
{
	struct sg_ctl_cfg *c = (struct sg_ctl_cfg *)(uintptr_t)cfg;

	switch (kind) {
	case SG_CTL_KIND_APP:
		*stride = sizeof(c->apps[0]);
		*n = &c->n_apps;
		return (char *)c->apps;
	case SG_CTL_KIND_VM:
		*stride = sizeof(c->vms[0]);
		*n = &c->n_vms;
		return (char *)c->vms;
	case SG_CTL_KIND_HOST:
		*stride = sizeof(c->hosts[0]);
		*n = &c->n_hosts;
		return (char *)c->hosts;
	default:
		*stride = sizeof(c->pools[0]);
		*n = &c->n_pools;
		return (char *)c->pools;
	}
}

int
sg_ctl_cfg_find(const struct sg_ctl_cfg *cfg, unsigned int kind, const char *name)
{
	unsigned int i, *n;
	size_t stride;
	const char *base = slots(cfg, kind, &stride, &n);

	if (name[0] == '\0')
		return -1;
	for (i = 0; i < *n; i++)
		if (strcmp(base + i * stride, name) == 0)
			return (int)i;
	return -1;
}

/* A free slot of @p kind (the lowest, else the next): -ENOSPC at the maximum. */
static int
slot_new(struct sg_ctl_cfg *cfg, unsigned int kind, char *err, size_t errlen)
{
	unsigned int i, *n;
	size_t stride;
	char *base = slots(cfg, kind, &stride, &n);

	for (i = 0; i < *n; i++)
		if (base[i * stride] == '\0')
			return (int)i;
	if (*n == kind_max[kind]) {
		snprintf(err, errlen, "no free %s slot (%u)", kind_names[kind], kind_max[kind]);
		return -ENOSPC;
	}
	memset(base + *n * stride, 0, stride);
	return (int)(*n)++;
}

/* Whether slot @p i of @p kind holds a live object (neither free nor retiring). */
static bool
live(const struct sg_ctl_cfg *c, unsigned int kind, unsigned int i)
{
	switch (kind) {
	case SG_CTL_KIND_APP:
		return !SG_CTL_SLOT_FREE(&c->apps[i]) && !c->apps[i].retiring;
	case SG_CTL_KIND_VM:
		return !SG_CTL_SLOT_FREE(&c->vms[i]) && !c->vms[i].retiring;
	case SG_CTL_KIND_HOST:
		return !SG_CTL_SLOT_FREE(&c->hosts[i]) && !c->hosts[i].retiring;
	default:
		return !SG_CTL_SLOT_FREE(&c->pools[i]) && !c->pools[i].retiring;
	}
}

bool
sg_ctl_cfg_retiring(const struct sg_ctl_cfg *c, unsigned int kind, unsigned int i)
{
	unsigned int *n;
	size_t stride;

	return slots(c, kind, &stride, &n)[i * stride] != '\0' && !live(c, kind, i);
}

uint8_t
sg_ctl_cfg_origin(const struct sg_ctl_cfg *c, unsigned int kind, unsigned int i)
{
	switch (kind) {
	case SG_CTL_KIND_APP:
		return c->apps[i].origin;
	case SG_CTL_KIND_VM:
		return c->vms[i].origin;
	case SG_CTL_KIND_HOST:
		return c->hosts[i].origin;
	default:
		return c->pools[i].origin;
	}
}

/* The index in @p d of what slot @p ref of @p kind in @p o is; -EINVAL with @p err if gone. */
static int
ref(const struct sg_ctl_cfg *d, const struct sg_ctl_cfg *o, unsigned int kind, unsigned int slot,
    const char *who, unsigned int skip_kind, const char *skip, char *err, size_t errlen)
{
	unsigned int *n;
	size_t stride;
	const char *name = slots(o, kind, &stride, &n) + slot * stride;
	int k = sg_ctl_cfg_find(d, kind, name);

	if (k >= 0)
		return k;
	if (skip != NULL && skip_kind == kind && strcmp(skip, name) == 0)
		snprintf(err, errlen, "%s %s: named by %s: remove that first", kind_names[kind],
			 name, who);
	else
		snprintf(err, errlen, "%s: %s %s is not defined", who, kind_names[kind], name);
	return -EINVAL;
}

/* Copy object @p i of @p kind from @p o to the end of @p d, its references found by name. */
static int
append_one(struct sg_ctl_cfg *d, const struct sg_ctl_cfg *o, unsigned int kind, unsigned int i,
	   unsigned int skip_kind, const char *skip, char *err, size_t errlen)
{
	char who[SG_CTL_NAME_MAX + 16];
	unsigned int *n, *on;
	size_t stride;
	char *base = slots(d, kind, &stride, &n);
	const char *src = slots(o, kind, &stride, &on) + i * stride;
	int a = 0, b = 0;

	if (*n == kind_max[kind]) {
		snprintf(err, errlen, "no free %s slot (%u)", kind_names[kind], kind_max[kind]);
		return -ENOSPC;
	}
	snprintf(who, sizeof(who), "%s %s", kind_names[kind], src);
	if (kind == SG_CTL_KIND_VM) {
		a = ref(d, o, SG_CTL_KIND_HOST, o->vms[i].host, who, skip_kind, skip, err, errlen);
		if (a >= 0)
			b = ref(d, o, SG_CTL_KIND_POOL, o->vms[i].pool, who, skip_kind, skip, err,
				errlen);
	} else if (kind == SG_CTL_KIND_APP) {
		b = ref(d, o, SG_CTL_KIND_POOL, o->apps[i].pool, who, skip_kind, skip, err, errlen);
	}
	if (a < 0 || b < 0)
		return -EINVAL;
	memcpy(base + *n * stride, src, stride);
	if (kind == SG_CTL_KIND_VM) {
		d->vms[*n].host = (unsigned int)a;
		d->vms[*n].pool = (unsigned int)b;
	} else if (kind == SG_CTL_KIND_APP) {
		d->apps[*n].pool = (unsigned int)b;
	}
	(*n)++;
	return 0;
}

int
sg_ctl_cfg_append(struct sg_ctl_cfg *d, const struct sg_ctl_cfg *o, bool runtime_only,
		  unsigned int skip_kind, const char *skip, char *err, size_t errlen)
{
	/* referenced kinds first */
	static const unsigned int order[] = {SG_CTL_KIND_HOST, SG_CTL_KIND_POOL, SG_CTL_KIND_VM,
					     SG_CTL_KIND_APP};
	unsigned int k, i, *n;
	size_t stride;
	int rc;

	for (k = 0; k < 4; k++) {
		unsigned int kind = order[k];
		const char *base = slots(o, kind, &stride, &n);

		for (i = 0; i < *n; i++) {
			const char *name = base + i * stride;

			if (!live(o, kind, i) ||
			    (runtime_only &&
			     sg_ctl_cfg_origin(o, kind, i) != SG_CTL_ORIGIN_RUNTIME) ||
			    (skip != NULL && kind == skip_kind && strcmp(name, skip) == 0))
				continue;
			if (sg_ctl_cfg_find(d, kind, name) >= 0) {
				syslog(LOG_NOTICE,
				       "%s %s: the file defines it now: the file's wins over sgctl's",
				       kind_names[kind], name);
				continue;
			}
			rc = append_one(d, o, kind, i, skip_kind, skip, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	if (runtime_only)
		return 0;
	d->n_users = 0;
	for (i = 0; i < o->n_users; i++) {
		int v = sg_ctl_cfg_find(d, SG_CTL_KIND_VM, o->vms[o->users[i].vm].name);

		if (v < 0)
			continue;
		d->users[d->n_users] = o->users[i];
		d->users[d->n_users++].vm = (unsigned int)v;
	}
	return 0;
}

/* What may not change on a VM or an app that keeps its name; "" = nothing. */
static const char *
moved(const struct sg_ctl_cfg *m, const struct sg_ctl_cfg *d, unsigned int kind, unsigned int s,
      unsigned int i)
{
	if (kind == SG_CTL_KIND_VM) {
		if (strcmp(m->hosts[m->vms[s].host].name, d->hosts[d->vms[i].host].name) != 0)
			return "host changed";
		if (strcmp(m->pools[m->vms[s].pool].name, d->pools[d->vms[i].pool].name) != 0)
			return "pool changed";
		return "";
	}
	if (kind == SG_CTL_KIND_POOL)
		return strcmp(m->pools[s].storage, d->pools[i].storage) != 0 ? "storage changed"
									     : "";
	if (kind != SG_CTL_KIND_APP)
		return "";
	if (strcmp(m->pools[m->apps[s].pool].name, d->pools[d->apps[i].pool].name) != 0)
		return "pool changed";
	if (m->apps[s].family != d->apps[i].family ||
	    memcmp(m->apps[s].vip, d->apps[i].vip, 16) != 0 || m->apps[s].port != d->apps[i].port ||
	    m->apps[s].proto != d->apps[i].proto)
		return "vip, port or protocol changed";
	if (m->apps[s].match != d->apps[i].match || strcmp(m->apps[s].value, d->apps[i].value) != 0)
		return "match changed";
	if (m->apps[s].auth.mode != d->apps[i].auth.mode)
		return "auth.mode changed: restart sg-control, or";
	return "";
}

/* The objects of @p kind of @p d into @p m by name; @p map: d's index -> m's slot. */
static int
merge_kind(struct sg_ctl_cfg *m, const struct sg_ctl_cfg *d, unsigned int kind, unsigned int *map,
	   const unsigned int *hmap, const unsigned int *pmap, char *err, size_t errlen)
{
	unsigned int i, *dn, *mn;
	size_t stride;
	const char *dbase = slots(d, kind, &stride, &dn);
	char *mbase = slots(m, kind, &stride, &mn);
	const char *why;
	int s;

	for (i = 0; i < *dn; i++) {
		const char *name = dbase + i * stride;

		s = sg_ctl_cfg_find(m, kind, name);
		if (s >= 0 && *(why = moved(m, d, kind, (unsigned int)s, i)) != '\0') {
			snprintf(err, errlen, "%s %s: %s: remove it and add it again",
				 kind_names[kind], name, why);
			return -EINVAL;
		}
		if (s < 0)
			s = slot_new(m, kind, err, errlen);
		if (s < 0)
			return s;
		memcpy(mbase + (unsigned int)s * stride, name, stride);
		map[i] = (unsigned int)s;
		if (kind == SG_CTL_KIND_VM) {
			m->vms[s].host = hmap[d->vms[i].host];
			m->vms[s].pool = pmap[d->vms[i].pool];
		} else if (kind == SG_CTL_KIND_APP) {
			m->apps[s].pool = pmap[d->apps[i].pool];
		}
	}
	/* what d lacks retires */
	for (i = 0; i < *mn; i++)
		if (live(m, kind, i) && sg_ctl_cfg_find(d, kind, mbase + i * stride) < 0) {
			if (kind == SG_CTL_KIND_APP)
				m->apps[i].retiring = true;
			else if (kind == SG_CTL_KIND_VM)
				m->vms[i].retiring = true;
			else if (kind == SG_CTL_KIND_HOST)
				m->hosts[i].retiring = true;
			else
				m->pools[i].retiring = true;
		}
	return 0;
}

struct merge_maps {
	unsigned int host[SG_CTL_HOSTS_MAX];
	unsigned int pool[SG_CTL_POOLS_MAX];
	unsigned int vm[SG_CTL_VMS_MAX];
	unsigned int app[SG_CTL_APPS_MAX];
	struct sg_ctl_cfg m;
};

int
sg_ctl_cfg_merge(struct sg_ctl_cfg *o, const struct sg_ctl_cfg *d, char *err, size_t errlen)
{
	struct merge_maps *x = malloc(sizeof(*x));
	unsigned int i;
	int rc;

	if (x == NULL)
		return -ENOMEM;
	memcpy(&x->m, o, sizeof(x->m));
	rc = merge_kind(&x->m, d, SG_CTL_KIND_HOST, x->host, NULL, NULL, err, errlen);
	if (rc == 0)
		rc = merge_kind(&x->m, d, SG_CTL_KIND_POOL, x->pool, NULL, NULL, err, errlen);
	if (rc == 0)
		rc = merge_kind(&x->m, d, SG_CTL_KIND_VM, x->vm, x->host, x->pool, err, errlen);
	if (rc == 0)
		rc = merge_kind(&x->m, d, SG_CTL_KIND_APP, x->app, NULL, x->pool, err, errlen);
	if (rc == 0) {
		x->m.n_users = d->n_users;
		for (i = 0; i < d->n_users; i++) {
			x->m.users[i] = d->users[i];
			x->m.users[i].vm = x->vm[d->users[i].vm];
		}
		rc = sg_ctl_cfg_check(&x->m, err, errlen);
	}
	if (rc == 0)
		memcpy(o, &x->m, sizeof(*o));
	free(x);
	return rc;
}
