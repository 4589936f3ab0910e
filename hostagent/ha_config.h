/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-hostagent configuration: its own YAML file, read with the project's
 * bounded YAML reader (config/sg_cfg_doc.h). doc/hostagent.md lists every key.
 */
#ifndef SG_HA_CONFIG_H
#define SG_HA_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sg_cfg.h"
#include "sessiongate/sg_agent_proto.h"

#define SG_HA_VMS_MAX  256
#define SG_HA_PATH_MAX 256

#define SG_HA_TEMPLATES_MAX 16	/**< templates: entries */
#define SG_HA_TPL_VARS_MAX  32	/**< vars of one template */
#define SG_HA_TPL_KEY_MAX   32	/**< [A-Z][A-Z0-9_]{0,30} incl. NUL */
#define SG_HA_TPL_VAL_MAX   256 /**< printable, no <>&'" incl. NUL */

/** A variable of a template: @KEY@ is replaced by its value. */
struct sg_ha_tpl_var {
	char key[SG_HA_TPL_KEY_MAX];
	char value[SG_HA_TPL_VAL_MAX];
};

/** A named domain XML template (templates[]); the file is read at each define. */
struct sg_ha_template_cfg {
	char name[SG_CFG_NAME_MAX];
	char path[SG_HA_PATH_MAX];
	struct sg_ha_tpl_var vars[SG_HA_TPL_VARS_MAX];
	unsigned int n_vars;
};

struct sg_ha_vm_cfg {
	char name[SG_CFG_NAME_MAX];
	uint8_t uuid[16];
	bool has_uuid;
	struct sg_cfg_addr addr;	     /**< service address; family 0 = learn from libvirt */
	uint16_t port;			     /**< service port */
	bool probe;			     /**< TCP connect probe before "running" */
	char template_path[SG_HA_PATH_MAX];  /**< domain XML template; "" = must be defined */
	char template_name[SG_CFG_NAME_MAX]; /**< or a template of templates[] by name */
	char disk[SG_HA_PATH_MAX];	     /**< substituted for @DISK@ in the template */
	struct sg_cfg_addr vip;		     /**< DSR VIP delivered to this VM; family 0 = none */
	uint16_t vip_port;		     /**< default: port */
	uint8_t proto;			     /**< 6 or 17 */
	uint32_t ifindex;		     /**< resolved from "device" at load; 0 = route */
	char device[SG_CFG_NAME_MAX];	     /**< redirect decapsulated packets to this device */
};

#define SG_HA_CONTROLS_MAX 4 /**< sg-controls one agent links to (a cluster's) */

/** One sg-control the agent keeps a link to (`control:` a map, or a list of them). */
struct sg_ha_control {
	struct sg_cfg_addr addr;
	uint16_t port;
	uint8_t key[SG_AGENT_KEY_MAX];
	size_t keylen;
	uint32_t ping_ms;
	uint32_t peer_timeout_ms;
	uint32_t queue_max;
};

struct sg_ha_config {
	char path[SG_HA_PATH_MAX];
	char host[SG_AGENT_NAME_MAX];
	/* libvirt */
	char uri[SG_HA_PATH_MAX];
	uint32_t keepalive_interval_s;
	uint32_t keepalive_count;
	uint32_t reconnect_min_ms;
	uint32_t reconnect_max_ms;
	uint32_t resync_ms;
	uint32_t boot_delay_ms; /**< applied only with a test:// URI */
	uint32_t start_timeout_ms;
	uint32_t stop_timeout_ms;
	uint32_t probe_timeout_ms;
	/* app_check: the TCP probe of running VMs' app port (VMs with probe: true) */
	uint32_t app_check_interval_ms; /**< 0 = off */
	uint32_t app_check_timeout_ms;
	uint32_t app_check_fall; /**< failed checks in a row: app_down */
	uint32_t app_check_rise; /**< good checks in a row: running again */
	/* control: the first sg-control (below, as before) and every one (controls[]) */
	struct sg_ha_control controls[SG_HA_CONTROLS_MAX];
	unsigned int n_controls;
	struct sg_cfg_addr control_addr;
	uint16_t control_port;
	uint8_t key[SG_AGENT_KEY_MAX];
	size_t keylen;
	uint32_t ping_ms;
	uint32_t peer_timeout_ms;
	uint32_t queue_max;
	/* admin */
	char admin_socket[108];
	bool test_hooks;
	/* datapath */
	bool dp_enabled;
	char uplink[SG_CFG_NAME_MAX];
	struct sg_cfg_addr host4;
	struct sg_cfg_addr host6;
	uint16_t gue_port;
	char pin_dir[SG_HA_PATH_MAX];
	/* templates (of YAML VMs naming one, and of every pushed VM) */
	struct sg_ha_template_cfg templates[SG_HA_TEMPLATES_MAX];
	unsigned int n_templates;
	/* inventory */
	struct sg_ha_vm_cfg vms[SG_HA_VMS_MAX];
	unsigned int n_vms;
};

/**
 * Load and validate @p path into @p cfg (caller-allocated, large).
 * @return 0, or -errno with @p err filled ("file:line:col: key: message").
 */
int sg_ha_config_load(const char *path, struct sg_ha_config *cfg, struct sg_cfg_error *err);

/** The template named @p name, or NULL. */
const struct sg_ha_template_cfg *sg_ha_config_template(const struct sg_ha_config *cfg,
						       const char *name);

struct sg_cfg_doc;
struct sg_cfg_node;
/** The templates section of @p root (ha_config_tpl.c; used by the loader). @return 0 or -EINVAL. */
int sg_ha_config_templates(const struct sg_cfg_doc *doc, const struct sg_cfg_node *root,
			   struct sg_ha_config *cfg, struct sg_cfg_error *err);

/** As sg_ha_config_load() from a buffer (tests); key_file paths are still read. */
int sg_ha_config_parse(const char *buf, size_t len, const char *name, struct sg_ha_config *cfg,
		       struct sg_cfg_error *err);

#endif /* SG_HA_CONFIG_H */
