/* SPDX-License-Identifier: BSD-3-Clause */
/* sg-hostagent YAML schema (doc/hostagent.md, "Configuration"). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ha_config.h"
#include "sg_cfg_doc.h"

struct ctx {
	const struct sg_cfg_doc *doc;
	struct sg_cfg_error *err;
};

static int
opt_uint(struct ctx *c, const struct sg_cfg_node *map, const char *map_path, const char *key,
	 uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	const struct sg_cfg_node *n = map ? sg_cfg_node_get(map, key) : NULL;
	char path[128];

	if (n == NULL) {
		*out = def;
		return 0;
	}
	snprintf(path, sizeof(path), "%s%s%s", map_path, map_path[0] ? "." : "", key);
	return sg_cfg_node_uint(c->doc, n, path, min, max, out, c->err);
}

#define OPT_U32(c, map, mp, key, min, max, def, dst)                     \
	do {                                                             \
		uint64_t v_;                                             \
		int rc_ = opt_uint(c, map, mp, key, min, max, def, &v_); \
		if (rc_)                                                 \
			return rc_;                                      \
		(dst) = (__typeof__(dst))v_;                             \
	} while (0)

static int
opt_string(struct ctx *c, const struct sg_cfg_node *map, const char *map_path, const char *key,
	   bool required, char *out, size_t outlen)
{
	const struct sg_cfg_node *n = map ? sg_cfg_node_get(map, key) : NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s%s%s", map_path, map_path[0] ? "." : "", key);
	if (n == NULL) {
		if (required) {
			sg_cfg_error_set(c->err, c->doc, map, path, "missing (required)");
			return -EINVAL;
		}
		return 0;
	}
	return sg_cfg_node_string(c->doc, n, path, out, outlen, c->err);
}

static int
opt_addr(struct ctx *c, const struct sg_cfg_node *map, const char *map_path, const char *key,
	 int family, struct sg_cfg_addr *out)
{
	const struct sg_cfg_node *n = map ? sg_cfg_node_get(map, key) : NULL;
	char path[128];
	int rc;

	if (n == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s%s%s", map_path, map_path[0] ? "." : "", key);
	rc = sg_cfg_node_addr(c->doc, n, path, false, out, c->err);
	if (rc == 0 && family && out->family != family) {
		sg_cfg_error_set(c->err, c->doc, n, path, "must be an %s address",
				 family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	return rc;
}

static int
opt_bool(struct ctx *c, const struct sg_cfg_node *map, const char *map_path, const char *key,
	 bool def, bool *out)
{
	const struct sg_cfg_node *n = map ? sg_cfg_node_get(map, key) : NULL;
	char path[128];

	*out = def;
	if (n == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s%s%s", map_path, map_path[0] ? "." : "", key);
	return sg_cfg_node_bool(c->doc, n, path, out, c->err);
}

static int
section(struct ctx *c, const struct sg_cfg_node *root, const char *key, const char *const *allowed,
	const struct sg_cfg_node **out)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(root, key);
	int rc;

	*out = NULL;
	if (n == NULL)
		return 0;
	rc = sg_cfg_node_map(c->doc, n, key, true, c->err);
	if (rc == 0 && n->type == SG_CFG_NODE_MAP)
		rc = sg_cfg_node_check_keys(c->doc, n, key, allowed, c->err);
	if (rc == 0 && n->type == SG_CFG_NODE_MAP)
		*out = n;
	return rc;
}

static int
parse_uuid(const char *s, uint8_t out[16])
{
	unsigned int i = 0;

	while (*s && i < 32) {
		int hi;

		if (*s == '-') {
			s++;
			continue;
		}
		if (*s >= '0' && *s <= '9')
			hi = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			hi = (*s | 0x20) - 'a' + 10;
		else
			return -EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(hi << 4);
		else
			out[i / 2] |= (uint8_t)hi;
		i++;
		s++;
	}
	return i == 32 && *s == '\0' ? 0 : -EINVAL;
}

static int
read_key(struct ctx *c, const struct sg_cfg_node *ctl, const char *path, const char *file,
	 struct sg_ha_control *out)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(ctl, "key_file");
	int rc = sg_agent_key_load(file, out->key, &out->keylen);
	char kp[64];

	snprintf(kp, sizeof(kp), "%s.key_file", path);
	if (rc == -EINVAL)
		sg_cfg_error_set(c->err, c->doc, n, kp, "%s: key must be %u..%u bytes (got %zu)",
				 file, SG_AGENT_KEY_MIN, SG_AGENT_KEY_MAX, out->keylen);
	else if (rc < 0)
		sg_cfg_error_set(c->err, c->doc, n, kp, "cannot open %s: %s", file, strerror(-rc));
	return rc;
}

static const char *const ctl_keys[] = {"address",    "port",	  "key_file", "ping_ms",
				       "timeout_ms", "queue_max", NULL};

/* One sg-control: the map at @p path ("control" or "control[i]"). */
static int
parse_control(struct ctx *c, const struct sg_cfg_node *ctl, const char *path,
	      struct sg_ha_control *out)
{
	char keyfile[SG_HA_PATH_MAX] = "", ap[64];
	int rc;

	if ((rc = sg_cfg_node_map(c->doc, ctl, path, false, c->err)) ||
	    (rc = sg_cfg_node_check_keys(c->doc, ctl, path, ctl_keys, c->err)))
		return rc;
	if (sg_cfg_node_get(ctl, "address") == NULL) {
		snprintf(ap, sizeof(ap), "%s.address", path);
		sg_cfg_error_set(c->err, c->doc, ctl, ap, "missing (required)");
		return -EINVAL;
	}
	if ((rc = opt_addr(c, ctl, path, "address", 0, &out->addr)) ||
	    (rc = opt_string(c, ctl, path, "key_file", true, keyfile, sizeof(keyfile))))
		return rc;
	OPT_U32(c, ctl, path, "port", 1, 65535, 7400, out->port);
	OPT_U32(c, ctl, path, "ping_ms", 100, 600000, 5000, out->ping_ms);
	OPT_U32(c, ctl, path, "timeout_ms", 200, 3600000, 15000, out->peer_timeout_ms);
	OPT_U32(c, ctl, path, "queue_max", 1, 65536, 256, out->queue_max);
	return read_key(c, ctl, path, keyfile, out);
}

/* control: one map (one sg-control), or a list of up to SG_HA_CONTROLS_MAX (a cluster's). */
static int
parse_controls(struct ctx *c, const struct sg_cfg_node *root, struct sg_ha_config *cfg)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(root, "control");
	const struct sg_ha_control *first = &cfg->controls[0];
	char path[32];
	unsigned int i;
	int rc;

	if (n == NULL) {
		sg_cfg_error_set(c->err, c->doc, root, "control",
				 "missing (required: address, port, key_file)");
		return -EINVAL;
	}
	if (n->type == SG_CFG_NODE_SEQ) {
		rc = sg_cfg_node_seq(c->doc, n, "control", SG_HA_CONTROLS_MAX, c->err);
		if (rc == 0 && n->n_items == 0) {
			sg_cfg_error_set(c->err, c->doc, n, "control", "at least one sg-control");
			rc = -EINVAL;
		}
		for (i = 0; rc == 0 && i < n->n_items; i++) {
			snprintf(path, sizeof(path), "control[%u]", i);
			rc = parse_control(c, n->items[i], path, &cfg->controls[i]);
		}
		cfg->n_controls = n->n_items;
	} else {
		rc = parse_control(c, n, "control", &cfg->controls[0]);
		cfg->n_controls = 1;
	}
	if (rc)
		return rc;
	cfg->control_addr = first->addr;
	cfg->control_port = first->port;
	memcpy(cfg->key, first->key, sizeof(cfg->key));
	cfg->keylen = first->keylen;
	cfg->ping_ms = first->ping_ms;
	cfg->peer_timeout_ms = first->peer_timeout_ms;
	cfg->queue_max = first->queue_max;
	return 0;
}

/* template: a path (holds a '/'), or the name of one of templates[]. */
static int
vm_template(struct ctx *c, const struct sg_cfg_node *n, const char *path,
	    const struct sg_ha_config *cfg, struct sg_ha_vm_cfg *vm)
{
	const struct sg_ha_template_cfg *t;

	if (vm->template_path[0] == '\0' || strchr(vm->template_path, '/'))
		return 0;
	t = sg_ha_config_template(cfg, vm->template_path);
	if (t == NULL) {
		sg_cfg_error_set(c->err, c->doc, sg_cfg_node_get(n, "template"), path,
				 "template: no template named \"%s\" in templates (a path "
				 "holds a '/')",
				 vm->template_path);
		return -EINVAL;
	}
	memcpy(vm->template_name, t->name, sizeof(vm->template_name));
	vm->template_path[0] = '\0';
	return 0;
}

static int
parse_vm(struct ctx *c, const struct sg_cfg_node *n, unsigned int idx, struct sg_ha_config *cfg)
{
	static const char *const keys[] = {"name",     "uuid",	   "address", "port",
					   "probe",    "template", "disk",    "vip",
					   "vip_port", "protocol", "device",  NULL};
	static const char *const protos[] = {"tcp", "udp", NULL};
	struct sg_ha_vm_cfg *vm = &cfg->vms[idx];
	char path[64], uuid[40] = "";
	const struct sg_cfg_node *pn;
	unsigned int proto = 0;
	int rc;

	snprintf(path, sizeof(path), "vms[%u]", idx);
	rc = sg_cfg_node_map(c->doc, n, path, false, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, n, path, keys, c->err);
	if (rc)
		return rc;
	pn = sg_cfg_node_get(n, "name");
	if (pn == NULL) {
		sg_cfg_error_set(c->err, c->doc, n, path, "name: missing (required)");
		return -EINVAL;
	}
	rc = sg_cfg_node_name(c->doc, pn, "name", vm->name, c->err);
	if (rc)
		return rc;
	rc = opt_string(c, n, path, "uuid", false, uuid, sizeof(uuid));
	if (rc)
		return rc;
	if (uuid[0]) {
		if (parse_uuid(uuid, vm->uuid)) {
			sg_cfg_error_set(c->err, c->doc, sg_cfg_node_get(n, "uuid"), path,
					 "uuid: \"%s\" is not a UUID", uuid);
			return -EINVAL;
		}
		vm->has_uuid = true;
	}
	if ((rc = opt_addr(c, n, path, "address", 0, &vm->addr)) ||
	    (rc = opt_bool(c, n, path, "probe", false, &vm->probe)) ||
	    (rc = opt_string(c, n, path, "template", false, vm->template_path,
			     sizeof(vm->template_path))) ||
	    (rc = opt_string(c, n, path, "disk", false, vm->disk, sizeof(vm->disk))) ||
	    (rc = opt_addr(c, n, path, "vip", 0, &vm->vip)) ||
	    (rc = opt_string(c, n, path, "device", false, vm->device, sizeof(vm->device))))
		return rc;
	if ((rc = vm_template(c, n, path, cfg, vm)))
		return rc;
	OPT_U32(c, n, path, "port", 1, 65535, 80, vm->port);
	OPT_U32(c, n, path, "vip_port", 1, 65535, vm->port, vm->vip_port);
	pn = sg_cfg_node_get(n, "protocol");
	if (pn && (rc = sg_cfg_node_enum(c->doc, pn, "protocol", protos, &proto, c->err)))
		return rc;
	vm->proto = proto == 1 ? 17 : 6;
	if (vm->vip.family && vm->addr.family != vm->vip.family) {
		sg_cfg_error_set(c->err, c->doc, n, path,
				 "vip needs an address of the same family (the datapath does not "
				 "translate between IPv4 and IPv6)");
		return -EINVAL;
	}
	if (vm->device[0]) {
		vm->ifindex = if_nametoindex(vm->device);
		if (vm->ifindex == 0) {
			sg_cfg_error_set(c->err, c->doc, sg_cfg_node_get(n, "device"), path,
					 "device: no interface \"%s\" on this host", vm->device);
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < idx; i++)
		if (strcmp(cfg->vms[i].name, vm->name) == 0) {
			sg_cfg_error_set(c->err, c->doc, n, path, "VM \"%s\" listed twice",
					 vm->name);
			return -EINVAL;
		}
	return 0;
}

static int
parse_root(struct ctx *c, const struct sg_cfg_node *root, struct sg_ha_config *cfg)
{
	static const char *const top[] = {"host",	"libvirt",  "control", "admin_socket",
					  "test_hooks", "datapath", "vms",     "app_check",
					  "templates",	NULL};
	static const char *const ac_keys[] = {"interval_ms", "timeout_ms", "fall", "rise", NULL};
	static const char *const lv_keys[] = {"uri",
					      "keepalive_interval_s",
					      "keepalive_count",
					      "reconnect_min_ms",
					      "reconnect_max_ms",
					      "resync_ms",
					      "boot_delay_ms",
					      "start_timeout_ms",
					      "stop_timeout_ms",
					      "probe_timeout_ms",
					      NULL};
	static const char *const dp_keys[] = {
		"enabled", "uplink", "host_address", "host_address6", "gue_port", "pin_dir", NULL};
	const struct sg_cfg_node *lv, *dp, *vms, *ac;
	int rc;

	if (root == NULL || root->type != SG_CFG_NODE_MAP) {
		sg_cfg_error_set(c->err, c->doc, root, "", "the document must be a map");
		return -EINVAL;
	}
	if ((rc = sg_cfg_node_check_keys(c->doc, root, "", top, c->err)) ||
	    (rc = section(c, root, "libvirt", lv_keys, &lv)) ||
	    (rc = section(c, root, "datapath", dp_keys, &dp)) ||
	    (rc = section(c, root, "app_check", ac_keys, &ac)))
		return rc;

	if ((rc = opt_string(c, root, "", "host", true, cfg->host, sizeof(cfg->host))))
		return rc;
	if (cfg->host[0] == '\0') {
		sg_cfg_error_set(c->err, c->doc, sg_cfg_node_get(root, "host"), "host", "empty");
		return -EINVAL;
	}
	if (lv == NULL) {
		sg_cfg_error_set(c->err, c->doc, root, "libvirt", "missing (required: uri)");
		return -EINVAL;
	}
	if ((rc = opt_string(c, lv, "libvirt", "uri", true, cfg->uri, sizeof(cfg->uri))))
		return rc;
	OPT_U32(c, lv, "libvirt", "keepalive_interval_s", 0, 3600, 5, cfg->keepalive_interval_s);
	OPT_U32(c, lv, "libvirt", "keepalive_count", 1, 100, 3, cfg->keepalive_count);
	OPT_U32(c, lv, "libvirt", "reconnect_min_ms", 10, 60000, 200, cfg->reconnect_min_ms);
	OPT_U32(c, lv, "libvirt", "reconnect_max_ms", 10, 600000, 10000, cfg->reconnect_max_ms);
	OPT_U32(c, lv, "libvirt", "resync_ms", 100, 3600000, 10000, cfg->resync_ms);
	OPT_U32(c, lv, "libvirt", "boot_delay_ms", 0, 600000, 0, cfg->boot_delay_ms);
	OPT_U32(c, lv, "libvirt", "start_timeout_ms", 100, 3600000, 120000, cfg->start_timeout_ms);
	OPT_U32(c, lv, "libvirt", "stop_timeout_ms", 0, 3600000, 30000, cfg->stop_timeout_ms);
	OPT_U32(c, lv, "libvirt", "probe_timeout_ms", 10, 60000, 500, cfg->probe_timeout_ms);
	if (cfg->reconnect_max_ms < cfg->reconnect_min_ms)
		cfg->reconnect_max_ms = cfg->reconnect_min_ms;
	OPT_U32(c, ac, "app_check", "interval_ms", 0, 3600000, 2000, cfg->app_check_interval_ms);
	OPT_U32(c, ac, "app_check", "timeout_ms", 10, 60000, 1000, cfg->app_check_timeout_ms);
	OPT_U32(c, ac, "app_check", "fall", 1, 100, 3, cfg->app_check_fall);
	OPT_U32(c, ac, "app_check", "rise", 1, 100, 2, cfg->app_check_rise);
	if (cfg->app_check_interval_ms != 0 && cfg->app_check_interval_ms < 100)
		cfg->app_check_interval_ms = 100; /* the agent's tick */

	if ((rc = parse_controls(c, root, cfg)))
		return rc;

	if ((rc = opt_string(c, root, "", "admin_socket", false, cfg->admin_socket,
			     sizeof(cfg->admin_socket))) ||
	    (rc = opt_bool(c, root, "", "test_hooks", false, &cfg->test_hooks)))
		return rc;

	if ((rc = opt_bool(c, dp, "datapath", "enabled", dp != NULL, &cfg->dp_enabled)) ||
	    (rc = opt_string(c, dp, "datapath", "uplink", cfg->dp_enabled, cfg->uplink,
			     sizeof(cfg->uplink))) ||
	    (rc = opt_addr(c, dp, "datapath", "host_address", AF_INET, &cfg->host4)) ||
	    (rc = opt_addr(c, dp, "datapath", "host_address6", AF_INET6, &cfg->host6)))
		return rc;
	OPT_U32(c, dp, "datapath", "gue_port", 0, 65535, SG_WIRE_GUE_PORT, cfg->gue_port);
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "/sys/fs/bpf/sessiongate/%s", cfg->host);
	if ((rc = opt_string(c, dp, "datapath", "pin_dir", false, cfg->pin_dir,
			     sizeof(cfg->pin_dir))))
		return rc;

	if ((rc = sg_ha_config_templates(c->doc, root, cfg, c->err)))
		return rc;
	vms = sg_cfg_node_get(root, "vms");
	if (vms) {
		if ((rc = sg_cfg_node_seq(c->doc, vms, "vms", SG_HA_VMS_MAX, c->err)))
			return rc;
		for (unsigned int i = 0; vms->type == SG_CFG_NODE_SEQ && i < vms->n_items; i++) {
			if ((rc = parse_vm(c, vms->items[i], i, cfg)))
				return rc;
			cfg->n_vms++;
		}
	}
	return 0;
}

/* Parse the document a reader gave back (@p rc its result) into @p cfg, then free it. */
static int
parse_doc(int rc, struct sg_cfg_doc *doc, struct sg_ha_config *cfg, struct sg_cfg_error *err)
{
	struct ctx c = {.err = err, .doc = doc};

	if (rc)
		return rc;
	rc = parse_root(&c, doc->root, cfg);
	sg_cfg_doc_free(doc);
	return rc;
}

int
sg_ha_config_parse(const char *buf, size_t len, const char *name, struct sg_ha_config *cfg,
		   struct sg_cfg_error *err)
{
	struct sg_cfg_doc *doc = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	rc = sg_cfg_doc_parse(buf, len, name, &doc, err);
	return parse_doc(rc, doc, cfg, err);
}

int
sg_ha_config_load(const char *path, struct sg_ha_config *cfg, struct sg_cfg_error *err)
{
	struct sg_cfg_doc *doc = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	rc = sg_cfg_doc_load(path, &doc, err);
	return parse_doc(rc, doc, cfg, err);
}
