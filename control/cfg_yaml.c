/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's YAML schema, read with the config library's bounded reader
 * and schema helpers (config/sg_cfg_doc.h): every error names
 * file:line:col and the key. doc/control.md lists every key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sessiongate/sg_wire.h"
#include "bus.h"
#include "cfg.h"
#include "cfg_rd.h"

#include "sg_cfg_doc.h"

/* "base[i]suffix" */
static const char *
p(struct sg_ctl_rd *r, const char *base, unsigned int i, const char *suffix)
{
	snprintf(r->path, sizeof(r->path), "%s[%u]%s", base, i, suffix);
	return r->path;
}

static const char *
kp(struct sg_ctl_rd *r, const char *base, const char *key)
{
	snprintf(r->path, sizeof(r->path), "%s.%s", base, key);
	return r->path;
}

/* Optional scalar readers: absent keys keep the default. */
static int
opt_str(struct sg_ctl_rd *r, const struct sg_cfg_node *map, const char *key, const char *base,
	char *out, size_t len)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(map, key);

	if (n == NULL)
		return 0;
	return sg_cfg_node_string(r->doc, n, kp(r, base, key), out, len, &r->err);
}

static int
opt_u32(struct sg_ctl_rd *r, const struct sg_cfg_node *map, const char *key, const char *base,
	uint64_t min, uint64_t max, uint32_t *out)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(map, key);
	uint64_t v;
	int rc;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_uint(r->doc, n, kp(r, base, key), min, max, &v, &r->err);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
rd_addr(struct sg_ctl_rd *r, const struct sg_cfg_node *n, const char *path, uint8_t *family,
	uint8_t addr[16])
{
	struct sg_cfg_addr a;
	int rc;

	if (n == NULL) {
		sg_cfg_error_set(&r->err, r->doc, NULL, path, "missing (an IPv4 or IPv6 address)");
		return -EINVAL;
	}
	rc = sg_cfg_node_addr(r->doc, n, path, false, &a, &r->err);
	if (rc != 0)
		return rc;
	memset(addr, 0, 16);
	if (a.family == AF_INET) {
		*family = SG_WIRE_FAMILY_V4;
		memcpy(addr, &a.v4, 4);
	} else {
		*family = SG_WIRE_FAMILY_V6;
		memcpy(addr, a.v6, 16);
	}
	return 0;
}

int
sg_ctl_rd_name(struct sg_ctl_rd *r, const struct sg_cfg_node *map, const char *key,
	       const char *path, char *out)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(map, key);

	if (n == NULL) {
		sg_cfg_error_set(&r->err, r->doc, map, path, "missing key '%s'", key);
		return -EINVAL;
	}
	return sg_cfg_node_name(r->doc, n, path, out, &r->err);
}

static int
rd_control(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {
		"shm_name",	"admin_socket",	 "db_dir",	   "db_map_mb",	       "db_sync_ms",
		"agent_listen", "agent_key_dir", "metrics_listen", "idmgr_dir",	       "idmgr_temp",
		"timeouts",	"ring_poll_us",	 "dp_dead_ms",	   "appliance_config", NULL};
	static const char *const tkeys[] = {"queue_ms", "vm_start_ms", "install_ms", NULL};
	const struct sg_cfg_node *t;
	int rc;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_check_keys(r->doc, n, "control", keys, &r->err);
	if (rc == 0)
		rc = opt_str(r, n, "shm_name", "control", cfg->shm_name, sizeof(cfg->shm_name));
	if (rc == 0)
		rc = opt_str(r, n, "admin_socket", "control", cfg->admin_socket,
			     sizeof(cfg->admin_socket));
	if (rc == 0)
		rc = opt_str(r, n, "db_dir", "control", cfg->db_dir, sizeof(cfg->db_dir));
	if (rc == 0)
		rc = opt_u32(r, n, "db_map_mb", "control", 1, 65536, &cfg->db_map_mb);
	if (rc == 0)
		rc = opt_u32(r, n, "db_sync_ms", "control", 0, 3600000, &cfg->db_sync_ms);
	if (rc == 0)
		rc = opt_str(r, n, "agent_listen", "control", cfg->agent_listen,
			     sizeof(cfg->agent_listen));
	if (rc == 0)
		rc = opt_str(r, n, "agent_key_dir", "control", cfg->agent_key_dir,
			     sizeof(cfg->agent_key_dir));
	if (rc == 0)
		rc = opt_str(r, n, "metrics_listen", "control", cfg->metrics_listen,
			     sizeof(cfg->metrics_listen));
	if (rc == 0)
		rc = opt_str(r, n, "idmgr_dir", "control", cfg->idmgr_dir, sizeof(cfg->idmgr_dir));
	if (rc == 0)
		rc = opt_str(r, n, "appliance_config", "control", cfg->appliance_config,
			     sizeof(cfg->appliance_config));
	if (rc == 0 && sg_cfg_node_get(n, "idmgr_temp") != NULL) {
		static const char *const modes[] = {"register", "lease", NULL};
		unsigned int m;

		rc = sg_cfg_node_enum(r->doc, sg_cfg_node_get(n, "idmgr_temp"),
				      "control.idmgr_temp", modes, &m, &r->err);
		cfg->idmgr_lease = m == 1;
	}
	if (rc == 0)
		rc = opt_u32(r, n, "ring_poll_us", "control", 10, 100000, &cfg->ring_poll_us);
	if (rc == 0)
		rc = opt_u32(r, n, "dp_dead_ms", "control", 100, 600000, &cfg->dp_dead_ms);
	if (rc != 0)
		return rc;
	t = sg_cfg_node_get(n, "timeouts");
	if (t == NULL)
		return 0;
	rc = sg_cfg_node_check_keys(r->doc, t, "control.timeouts", tkeys, &r->err);
	if (rc == 0)
		rc = opt_u32(r, t, "queue_ms", "control.timeouts", 1, 86400000,
			     &cfg->queue_timeout_ms);
	if (rc == 0)
		rc = opt_u32(r, t, "vm_start_ms", "control.timeouts", 1, 86400000,
			     &cfg->vm_start_timeout_ms);
	if (rc == 0)
		rc = opt_u32(r, t, "install_ms", "control.timeouts", 1, 86400000,
			     &cfg->install_timeout_ms);
	return rc;
}

int
sg_ctl_rd_find_name(const char *name, const void *base, size_t stride, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp((const char *)base + i * stride, name) == 0)
			return (int)i;
	return -1;
}

int
sg_ctl_rd_hosts(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {"name", "address", "agent_address", NULL};
	unsigned int i;
	int rc;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_seq(r->doc, n, "hosts", SG_CTL_HOSTS_MAX, &r->err);
	for (i = 0; rc == 0 && i < n->n_items; i++) {
		const struct sg_cfg_node *h = n->items[i];
		struct sg_ctl_host_cfg *hc = &cfg->hosts[i];

		rc = sg_cfg_node_check_keys(r->doc, h, p(r, "hosts", i, ""), keys, &r->err);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, h, "name", p(r, "hosts", i, ".name"), hc->name);
		if (rc == 0)
			rc = rd_addr(r, sg_cfg_node_get(h, "address"), p(r, "hosts", i, ".address"),
				     &hc->family, hc->addr);
		if (rc == 0 && sg_cfg_node_get(h, "agent_address") != NULL)
			rc = rd_addr(r, sg_cfg_node_get(h, "agent_address"),
				     p(r, "hosts", i, ".agent_address"), &hc->agent_family,
				     hc->agent_addr);
		if (rc == 0 && sg_ctl_rd_find_name(hc->name, cfg->hosts, sizeof(*hc), i) >= 0) {
			sg_cfg_error_set(&r->err, r->doc, h, p(r, "hosts", i, ".name"),
					 "host '%s' defined twice", hc->name);
			rc = -EINVAL;
		}
		cfg->n_hosts = i + 1;
	}
	return rc;
}

int
sg_ctl_rd_vm(struct sg_ctl_rd *r, const struct sg_cfg_node *v, const char *path, unsigned int pool,
	     struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {"name", "host",     "address", "template",
					   "port", "protocol", "probe",	  NULL};
	struct sg_ctl_vm_cfg *vc;
	char host[SG_CTL_NAME_MAX], sub[200];
	int rc, h;

	if (cfg->n_vms == SG_CTL_VMS_MAX) {
		sg_cfg_error_set(&r->err, r->doc, v, path, "more than %u VMs", SG_CTL_VMS_MAX);
		return -EINVAL;
	}
	vc = &cfg->vms[cfg->n_vms];
	vc->pool = pool;
	rc = sg_cfg_node_check_keys(r->doc, v, path, keys, &r->err);
	snprintf(sub, sizeof(sub), "%s.name", path);
	if (rc == 0)
		rc = sg_ctl_rd_name(r, v, "name", sub, vc->name);
	snprintf(sub, sizeof(sub), "%s.host", path);
	if (rc == 0)
		rc = sg_ctl_rd_name(r, v, "host", sub, host);
	if (rc != 0)
		return rc;
	h = sg_ctl_rd_find_name(host, cfg->hosts, sizeof(cfg->hosts[0]), cfg->n_hosts);
	if (h < 0) {
		sg_cfg_error_set(&r->err, r->doc, sg_cfg_node_get(v, "host"), sub,
				 "no host '%s' in hosts:", host);
		return -EINVAL;
	}
	vc->host = (unsigned int)h;
	snprintf(sub, sizeof(sub), "%s.address", path);
	rc = rd_addr(r, sg_cfg_node_get(v, "address"), sub, &vc->family, vc->addr);
	if (rc == 0)
		rc = sg_ctl_cfg_vm_keys(r->doc, v, path, vc, &r->err);
	if (rc == 0 && sg_ctl_rd_find_name(vc->name, cfg->vms, sizeof(*vc), cfg->n_vms) >= 0) {
		sg_cfg_error_set(&r->err, r->doc, v, path, "VM '%s' defined twice", vc->name);
		rc = -EINVAL;
	}
	if (rc == 0)
		cfg->n_vms++;
	return rc;
}

int
sg_ctl_rd_pools(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {
		"name", "session_cap", "idle_stop_ms",	     "storage",	    "starts_inflight",
		"vms",	"idle_action", "restart_backoff_ms", "restart_max", NULL};
	char base[64], vpath[96];
	unsigned int i, k;
	int rc;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_seq(r->doc, n, "pools", SG_CTL_POOLS_MAX, &r->err);
	for (i = 0; rc == 0 && i < n->n_items; i++) {
		const struct sg_cfg_node *pn = n->items[i], *vms;
		struct sg_ctl_pool_cfg *pc = &cfg->pools[i];

		snprintf(base, sizeof(base), "pools[%u]", i);
		pc->session_cap = 16;
		pc->idle_stop_ms = 0;
		pc->starts_inflight = 4;
		pc->restart_backoff_ms = 2000;
		pc->restart_max = 3;
		rc = sg_cfg_node_check_keys(r->doc, pn, base, keys, &r->err);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, pn, "name", p(r, "pools", i, ".name"), pc->name);
		if (rc == 0)
			rc = opt_u32(r, pn, "session_cap", base, 1, 1u << 20, &pc->session_cap);
		if (rc == 0)
			rc = opt_u32(r, pn, "idle_stop_ms", base, 0, 86400000, &pc->idle_stop_ms);
		if (rc == 0)
			rc = opt_u32(r, pn, "starts_inflight", base, 1, SG_CTL_BUS_INFLIGHT,
				     &pc->starts_inflight);
		if (rc == 0)
			rc = sg_ctl_cfg_pool_idle_action(r->doc, pn, base, pc, &r->err);
		if (rc == 0)
			rc = opt_u32(r, pn, "restart_backoff_ms", base, 0, 3600000,
				     &pc->restart_backoff_ms);
		if (rc == 0)
			rc = opt_u32(r, pn, "restart_max", base, 1, 100, &pc->restart_max);
		if (rc == 0 && sg_cfg_node_get(pn, "storage") != NULL)
			rc = sg_ctl_rd_name(r, pn, "storage", p(r, "pools", i, ".storage"),
					    pc->storage);
		if (rc == 0 && sg_ctl_rd_find_name(pc->name, cfg->pools, sizeof(*pc), i) >= 0) {
			sg_cfg_error_set(&r->err, r->doc, pn, base, "pool '%s' defined twice",
					 pc->name);
			rc = -EINVAL;
		}
		cfg->n_pools = i + 1;
		if (rc != 0)
			break;
		vms = sg_cfg_node_get(pn, "vms");
		snprintf(vpath, sizeof(vpath), "%s.vms", base);
		if (vms == NULL) {
			sg_cfg_error_set(&r->err, r->doc, pn, vpath, "missing (the pool's VMs)");
			return -EINVAL;
		}
		rc = sg_cfg_node_seq(r->doc, vms, vpath, SG_CTL_VMS_MAX, &r->err);
		for (k = 0; rc == 0 && k < vms->n_items; k++) {
			snprintf(vpath, sizeof(vpath), "%s.vms[%u]", base, k);
			rc = sg_ctl_rd_vm(r, vms->items[k], vpath, i, cfg);
		}
	}
	return rc;
}

static int
rd_match(struct sg_ctl_rd *r, const struct sg_cfg_node *m, const char *path,
	 struct sg_ctl_app_cfg *a)
{
	static const char *const keys[] = {"http_host",	 "http_path", "http_cookie", "tls_sni",
					   "rdp_cookie", "prefix",    "http_header", NULL};
	const struct sg_cfg_node *v;
	char sub[200];
	int rc;

	if (m == NULL) {
		a->match = SG_CTL_MATCH_ANY;
		return 0;
	}
	rc = sg_cfg_node_check_keys(r->doc, m, path, keys, &r->err);
	if (rc != 0)
		return rc;
	if (m->n_items != 1) {
		sg_cfg_error_set(&r->err, r->doc, m, path,
				 "exactly one of http_host, http_path, http_cookie, tls_sni, "
				 "rdp_cookie, prefix, http_header");
		return -EINVAL;
	}
	for (a->match = 0; keys[a->match] != NULL; a->match++)
		if (strcmp(keys[a->match], m->keys[0]) == 0)
			break;
	a->match++; /* keys[] starts at SG_CTL_MATCH_HTTP_HOST */
	v = m->items[0];
	snprintf(sub, sizeof(sub), "%s.%s", path, m->keys[0]);
	rc = sg_cfg_node_string(r->doc, v, sub, a->value, sizeof(a->value), &r->err);
	if (rc != 0)
		return rc;
	a->value_len = (uint16_t)strlen(a->value);
	if (a->value_len == 0) {
		sg_cfg_error_set(&r->err, r->doc, v, sub, "empty match value");
		return -EINVAL;
	}
	return 0;
}

int
sg_ctl_rd_apps(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {
		"name",	      "vip",	"port",	      "protocol",	 "match",
		"affinity",   "pool",	"mode",	      "backend_port",	 "exec_limit",
		"wait_limit", "domain", "on_vm_down", "vm_down_drain_s", "auth",
		"qos",	      NULL};
	static const char *const on_down[] = {"reset", "drain", NULL};
	static const char *const protos[] = {"tcp", "udp", NULL};
	static const char *const modes[] = {"nat", "dsr", "redirect", NULL};
	char base[64], sub[96], pool[SG_CTL_NAME_MAX];
	const struct sg_cfg_node *x;
	unsigned int i, e;
	uint64_t v;
	int rc, pi;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_seq(r->doc, n, "applications", SG_CTL_APPS_MAX, &r->err);
	for (i = 0; rc == 0 && i < n->n_items; i++) {
		const struct sg_cfg_node *an = n->items[i];
		struct sg_ctl_app_cfg *a = &cfg->apps[i];

		snprintf(base, sizeof(base), "applications[%u]", i);
		a->exec_limit = 1000;
		a->wait_limit = 100;
		a->mode = SG_MSG_INSTALL_DSR;
		a->on_vm_down = SG_MSG_ABORT_RESET;
		a->vm_down_drain_s = 30;
		rc = sg_cfg_node_check_keys(r->doc, an, base, keys, &r->err);
		snprintf(sub, sizeof(sub), "%s.name", base);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, an, "name", sub, a->name);
		snprintf(sub, sizeof(sub), "%s.vip", base);
		if (rc == 0)
			rc = rd_addr(r, sg_cfg_node_get(an, "vip"), sub, &a->family, a->vip);
		snprintf(sub, sizeof(sub), "%s.port", base);
		x = sg_cfg_node_get(an, "port");
		if (rc == 0 && x == NULL) {
			sg_cfg_error_set(&r->err, r->doc, an, sub, "missing (1-65535)");
			rc = -EINVAL;
		}
		if (rc == 0)
			rc = sg_cfg_node_uint(r->doc, x, sub, 1, 65535, &v, &r->err);
		if (rc == 0)
			a->port = (uint16_t)v;
		a->proto = 6;
		x = sg_cfg_node_get(an, "protocol");
		snprintf(sub, sizeof(sub), "%s.protocol", base);
		if (rc == 0 && x != NULL) {
			rc = sg_cfg_node_enum(r->doc, x, sub, protos, &e, &r->err);
			if (rc == 0)
				a->proto = e == 0 ? 6 : 17;
		}
		x = sg_cfg_node_get(an, "mode");
		snprintf(sub, sizeof(sub), "%s.mode", base);
		if (rc == 0 && x != NULL) {
			rc = sg_cfg_node_enum(r->doc, x, sub, modes, &e, &r->err);
			if (rc == 0)
				a->mode = (uint8_t)(e + 1);
		}
		x = sg_cfg_node_get(an, "affinity");
		snprintf(sub, sizeof(sub), "%s.affinity", base);
		if (rc == 0 && x != NULL)
			rc = sg_cfg_node_bool(r->doc, x, sub, &a->affinity, &r->err);
		if (rc == 0) {
			uint32_t bp = 0;

			rc = opt_u32(r, an, "backend_port", base, 1, 65535, &bp);
			a->backend_port = (uint16_t)bp;
		}
		if (rc == 0)
			rc = opt_u32(r, an, "exec_limit", base, 1, 1u << 22, &a->exec_limit);
		if (rc == 0)
			rc = opt_u32(r, an, "wait_limit", base, 0, 1u << 22, &a->wait_limit);
		x = sg_cfg_node_get(an, "on_vm_down");
		snprintf(sub, sizeof(sub), "%s.on_vm_down", base);
		if (rc == 0 && x != NULL) {
			rc = sg_cfg_node_enum(r->doc, x, sub, on_down, &e, &r->err);
			if (rc == 0)
				a->on_vm_down = e == 0 ? SG_MSG_ABORT_RESET : SG_MSG_ABORT_DRAIN;
		}
		if (rc == 0)
			rc = opt_u32(r, an, "vm_down_drain_s", base, 0, 86400, &a->vm_down_drain_s);
		snprintf(sub, sizeof(sub), "%s.match", base);
		if (rc == 0)
			rc = rd_match(r, sg_cfg_node_get(an, "match"), sub, a);
		snprintf(sub, sizeof(sub), "%s.domain", base);
		if (rc == 0 && sg_cfg_node_get(an, "domain") != NULL)
			rc = sg_ctl_rd_name(r, an, "domain", sub, a->domain);
		snprintf(sub, sizeof(sub), "%s.pool", base);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, an, "pool", sub, pool);
		if (rc == 0) {
			pi = sg_ctl_rd_find_name(pool, cfg->pools, sizeof(cfg->pools[0]),
						 cfg->n_pools);
			if (pi < 0) {
				sg_cfg_error_set(&r->err, r->doc, sg_cfg_node_get(an, "pool"), sub,
						 "no pool '%s' in pools:", pool);
				rc = -EINVAL;
			}
			a->pool = (unsigned int)pi;
		}
		if (rc == 0)
			rc = sg_ctl_cfg_app_auth(r->doc, an, base, cfg->idmgr_dir[0] != '\0', a,
						 &r->err);
		if (rc == 0 && sg_ctl_rd_find_name(a->name, cfg->apps, sizeof(*a), i) >= 0) {
			sg_cfg_error_set(&r->err, r->doc, an, base,
					 "application '%s' defined twice", a->name);
			rc = -EINVAL;
		}
		cfg->n_apps = i + 1;
	}
	return rc;
}

static int
rd_users(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {"name", "vm", NULL};
	char base[64], sub[96], vm[SG_CTL_NAME_MAX];
	unsigned int i;
	int rc, v;

	if (n == NULL)
		return 0;
	rc = sg_cfg_node_seq(r->doc, n, "users", SG_CTL_USERS_MAX, &r->err);
	for (i = 0; rc == 0 && i < n->n_items; i++) {
		struct sg_ctl_user_cfg *u = &cfg->users[i];

		snprintf(base, sizeof(base), "users[%u]", i);
		rc = sg_cfg_node_check_keys(r->doc, n->items[i], base, keys, &r->err);
		snprintf(sub, sizeof(sub), "%s.name", base);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, n->items[i], "name", sub, u->name);
		snprintf(sub, sizeof(sub), "%s.vm", base);
		if (rc == 0)
			rc = sg_ctl_rd_name(r, n->items[i], "vm", sub, vm);
		if (rc != 0)
			break;
		v = sg_ctl_rd_find_name(vm, cfg->vms, sizeof(cfg->vms[0]), cfg->n_vms);
		if (v < 0) {
			sg_cfg_error_set(&r->err, r->doc, sg_cfg_node_get(n->items[i], "vm"), sub,
					 "no VM '%s' in any pool", vm);
			return -EINVAL;
		}
		u->vm = (unsigned int)v;
		cfg->n_users = i + 1;
	}
	return rc;
}

/*
 * usage: { path, max_mb, keep, access_log } and dataplane_telemetry: PATH
 * (doc/control.md "Usage records", "Access log", "Prometheus: the data
 * plane"). Without usage.path the records go to <db_dir>/usage.jsonl.
 */
static int
rd_usage(struct sg_ctl_rd *r, const struct sg_cfg_node *root, struct sg_ctl_cfg *cfg)
{
	static const char *const keys[] = {"path", "max_mb", "keep", "access_log", NULL};
	const struct sg_cfg_node *n = sg_cfg_node_get(root, "usage");
	int rc = 0;

	if (n != NULL)
		rc = sg_cfg_node_check_keys(r->doc, n, "usage", keys, &r->err);
	if (rc == 0 && n != NULL)
		rc = opt_str(r, n, "path", "usage", cfg->usage.path, sizeof(cfg->usage.path));
	if (rc == 0 && n != NULL)
		rc = opt_u32(r, n, "max_mb", "usage", 1, 65536, &cfg->usage.max_mb);
	if (rc == 0 && n != NULL)
		rc = opt_u32(r, n, "keep", "usage", 0, 100, &cfg->usage.keep);
	if (rc == 0 && n != NULL)
		rc = opt_str(r, n, "access_log", "usage", cfg->usage.access_log,
			     sizeof(cfg->usage.access_log));
	if (rc == 0 && sg_cfg_node_get(root, "dataplane_telemetry") != NULL)
		rc = sg_cfg_node_string(r->doc, sg_cfg_node_get(root, "dataplane_telemetry"),
					"dataplane_telemetry", cfg->dp_telemetry,
					sizeof(cfg->dp_telemetry), &r->err);
	if (rc == 0 && cfg->usage.path[0] == '\0' &&
	    snprintf(cfg->usage.path, sizeof(cfg->usage.path), "%s/usage.jsonl", cfg->db_dir) >=
		    (int)sizeof(cfg->usage.path)) {
		sg_cfg_error_set(&r->err, r->doc, n, "usage.path", "<db_dir>/usage.jsonl too long");
		rc = -EINVAL;
	}
	return rc;
}

int
sg_ctl_cfg_load(const char *path, struct sg_ctl_cfg *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = {"control", "hosts",	 "pools", "applications",
					   "users",   "cluster", "usage", "dataplane_telemetry",
					   NULL};
	struct sg_cfg_doc *doc = NULL;
	struct sg_ctl_rd r;
	int rc;

	memset(&r, 0, sizeof(r));
	sg_ctl_cfg_defaults(cfg);
	rc = sg_cfg_doc_load(path, &doc, &r.err);
	if (rc != 0)
		goto out;
	r.doc = doc;
	if (doc->root == NULL) {
		sg_cfg_error_set(&r.err, doc, NULL, "", "empty document");
		rc = -EINVAL;
		goto out;
	}
	rc = sg_cfg_node_check_keys(doc, doc->root, "", keys, &r.err);
	if (rc == 0)
		rc = rd_control(&r, sg_cfg_node_get(doc->root, "control"), cfg);
	if (rc == 0)
		rc = sg_ctl_rd_hosts(&r, sg_cfg_node_get(doc->root, "hosts"), cfg);
	if (rc == 0)
		rc = sg_ctl_rd_pools(&r, sg_cfg_node_get(doc->root, "pools"), cfg);
	if (rc == 0)
		rc = sg_ctl_rd_apps(&r, sg_cfg_node_get(doc->root, "applications"), cfg);
	if (rc == 0)
		rc = rd_users(&r, sg_cfg_node_get(doc->root, "users"), cfg);
	if (rc == 0)
		rc = sg_ctl_cfg_cluster(doc, sg_cfg_node_get(doc->root, "cluster"), &cfg->cluster,
					&r.err);
	if (rc == 0)
		rc = rd_usage(&r, doc->root, cfg);
out:
	if (rc != 0)
		sg_cfg_error_format(&r.err, err, errlen);
	sg_cfg_doc_free(doc);
	if (rc == 0)
		rc = sg_ctl_cfg_check(cfg, err, errlen);
	return rc;
}
