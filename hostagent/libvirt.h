/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libvirt connection: keepalive, close callback, lifecycle events,
 * reconnect with backoff. Knows no VM state: what an event or a
 * (re)connection means is the VM manager's (vm.h), told through the
 * callbacks it registers at init.
 */
#ifndef SG_HA_LIBVIRT_H
#define SG_HA_LIBVIRT_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "ha_config.h"

/** Callbacks of the connection's owner; @p ctx is the pointer given at init. */
struct sg_ha_lv_ops {
	/** A lifecycle event (virDomainEventType @p event, its @p detail) of domain @p name. */
	void (*event)(void *ctx, const char *name, int event, int detail);
	/** Connected (first time or again): events of the gap are lost. */
	void (*connected)(void *ctx);
	/** The connection was dropped: nothing waits on libvirt any more. */
	void (*dropped)(void *ctx);
};

struct sg_ha_lv_counters {
	uint64_t events;      /**< lifecycle events handled */
	uint64_t events_lost; /**< dropped on purpose (test hook lose-events) */
	uint64_t connects;    /**< successful (re)connections */
	uint64_t connect_failures;
};

struct sg_ha_lv {
	const struct sg_ha_config *cfg;
	struct sg_ha_lv_ops ops;
	void *ctx;
	virConnectPtr conn;
	int cb;
	bool up;
	bool close_pending; /**< connection lost: close and reconnect from the tick */
	uint32_t backoff_ms;
	uint64_t next_try;
	int lose_events; /**< test hook */
	struct sg_ha_lv_counters ctr;
};

/**
 * Connect to cfg->uri (a failure is not fatal: retried from the tick).
 * @return 0.
 */
int sg_ha_lv_init(struct sg_ha_lv *lv, const struct sg_ha_config *cfg,
		  const struct sg_ha_lv_ops *ops, void *ctx);

/** Close the connection when libvirt did; reconnect when due. @return true when reconnected. */
bool sg_ha_lv_tick(struct sg_ha_lv *lv, uint64_t now);

/** Close the connection as if libvirtd went away (test hook and close callback). */
void sg_ha_lv_drop(struct sg_ha_lv *lv, const char *why);

void sg_ha_lv_fini(struct sg_ha_lv *lv);

/** The domain of @p vm (by UUID when configured, else by name); NULL when down or unknown. */
virDomainPtr sg_ha_lv_lookup(struct sg_ha_lv *lv, const struct sg_ha_vm_cfg *vm);

/** libvirt's last error message, never NULL. */
const char *sg_ha_lv_error(void);

#endif /* SG_HA_LIBVIRT_H */
