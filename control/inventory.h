/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The running inventory (struct sg_ctl_inv) kept in step with the
 * configuration's slots (doc/control.md "Changing the inventory"): each
 * object of a slot is built by one function per kind, at start-up and when
 * a reload or sgctl adds it; an object removed retires (no new session)
 * and its slot is freed once nothing uses it.
 */
#ifndef SG_CTL_INVENTORY_H
#define SG_CTL_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct sg_ctl_bus;
struct sg_ctl_ids;
struct json_t;

/** The inventory manager: the wiring's objects it changes, the agents' hooks, counters. */
struct sg_ctl_invm {
	struct sg_ctl_cfg *cfg;
	struct sg_ctl_inv *inv;
	struct sg_ctl_bus *bus;
	struct sg_ctl_ids *ids;
	/** Host agents (the daemon's agent.c; NULL in tests): push a VM with a template. */
	void (*push_vm)(void *ctx, const struct sg_ctl_vm *vm);
	/** ... a removed VM, stopped: forgotten by its host's agent (VM_UNDEFINE). */
	void (*forget_vm)(void *ctx, const struct sg_ctl_host *h, const char *name);
	/** ... a removed host, with no VM left: its agent link is closed. */
	void (*host_gone)(void *ctx, struct sg_ctl_host *h);
	void *agent_ctx;
	bool started;	  /**< the start-up objects are built */
	uint64_t added;	  /**< objects built after start-up */
	uint64_t retired; /**< objects that began retiring */
	uint64_t freed;	  /**< slots freed */
	uint64_t refused; /**< sgctl add/remove and reloads refused (bad spec, check, restart) */
	/* inventory_store.c (the daemon): <db_dir>/inventory.json */
	const char *yaml_path;	  /**< the configuration file */
	struct json_t *specs;	  /**< {"version":1,"apps":[...],"vms":[...],...} */
	char json_path[256 + 32]; /**< <db_dir>/inventory.json */
};

/** Build the objects of every slot not built yet (start-up: all of them). @return 0 or <0. */
int sg_ctl_inventory_build_all(struct sg_ctl_invm *m);
/**
 * After the configuration's slots changed (sg_ctl_cfg_merge): build the
 * new objects, retire the removed ones (revive those added again), rebuild
 * the pools' VM lists and free what is done. @return 0 or <0.
 */
int sg_ctl_inventory_apply(struct sg_ctl_invm *m);
/**
 * Free the slots of retired objects nothing uses any more: an app with no
 * session, a VM with none (stopped first, then forgotten by its agent), a
 * host with no VM, a pool no app or VM names. Called every tick.
 * @return the slots freed.
 */
unsigned int sg_ctl_inventory_sweep(struct sg_ctl_invm *m);
void sg_ctl_inventory_fini(struct sg_ctl_invm *m);

/* ------------------------------------ inventory_store.c (the daemon's side) */

#define SG_CTL_SPEC_MAX 3584 /**< bytes of one spec, NUL included (SG_CTL_ADMIN_SPEC_MAX) */

/**
 * At start, after the YAML (before sg_ctl_init): read <db_dir>/inventory.json
 * (absent: none) and add its objects to the dense @p cfg; one the YAML
 * defines too is the YAML's (logged, dropped). A corrupt file is refused:
 * @p err names it and why. *@p out: the specs, for sg_ctl_inventory_attach.
 */
int sg_ctl_inventory_load(struct sg_ctl_cfg *cfg, struct json_t **out, char *err, size_t errlen);
/** Give @p m the YAML file's path and the specs read at start (owned by @p m from now). */
void sg_ctl_inventory_attach(struct sg_ctl_invm *m, const char *yaml_path, struct json_t *specs);
/** Reload: the YAML again, plus the runtime objects; applied (sg_ctl_inventory_apply). */
int sg_ctl_inventory_reload(struct sg_ctl_invm *m, char *err, size_t errlen);
/**
 * sgctl KIND add SPEC / remove NAME (@p arg): checked with the whole
 * inventory, kept in inventory.json, applied. Refused in cluster mode, and
 * remove for an object of the YAML file. @return the answer, or NULL with
 * @p err.
 */
struct json_t *sg_ctl_inventory_change(struct sg_ctl_invm *m, unsigned int kind, bool add,
				       const char *arg, char *err, size_t errlen);
void sg_ctl_inventory_store_fini(struct sg_ctl_invm *m);

#endif /* SG_CTL_INVENTORY_H */
