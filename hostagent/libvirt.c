/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libvirt connection (libvirt.h): keepalive, close callback, lifecycle
 * events, reconnect with backoff.
 */
#include <errno.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "clock.h"
#include "libvirt.h"
#include "log.h"

const char *
sg_ha_lv_error(void)
{
	const char *s = virGetLastErrorMessage();

	return s && s[0] ? s : "unknown libvirt error";
}

/* libvirt logs every error to stderr by default: we report them ourselves. */
static void
lv_error_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

virDomainPtr
sg_ha_lv_lookup(struct sg_ha_lv *lv, const struct sg_ha_vm_cfg *vm)
{
	if (!lv->up || lv->conn == NULL)
		return NULL;
	if (vm->has_uuid)
		return virDomainLookupByUUID(lv->conn, vm->uuid);
	return virDomainLookupByName(lv->conn, vm->name);
}

static int
lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct sg_ha_lv *lv = opaque;
	const char *name = virDomainGetName(dom);

	(void)conn;
	if (lv->lose_events > 0) {
		lv->lose_events--;
		lv->ctr.events_lost++;
		sg_ha_log(LOG_NOTICE, "test hook: lifecycle event %d/%d of %s dropped", event,
			  detail, name ? name : "?");
		return 0;
	}
	lv->ctr.events++;
	if (name)
		lv->ops.event(lv->ctx, name, event, detail);
	return 0;
}

static void
close_cb(virConnectPtr conn, int reason, void *opaque)
{
	struct sg_ha_lv *lv = opaque;

	(void)conn;
	sg_ha_log(LOG_WARNING, "libvirt: connection closed (reason %d)", reason);
	lv->up = false;
	lv->close_pending = true;
}

static void
lv_close(struct sg_ha_lv *lv)
{
	if (lv->cb >= 0)
		virConnectDomainEventDeregisterAny(lv->conn, lv->cb);
	virConnectUnregisterCloseCallback(lv->conn, close_cb);
	virConnectClose(lv->conn);
	lv->conn = NULL;
	lv->cb = -1;
}

static int
lv_connect(struct sg_ha_lv *lv)
{
	const struct sg_ha_config *cfg = lv->cfg;

	lv->conn = virConnectOpen(cfg->uri);
	if (lv->conn == NULL) {
		lv->ctr.connect_failures++;
		sg_ha_log(LOG_ERR, "libvirt: cannot connect to %s: %s (retry in %u ms)", cfg->uri,
			  sg_ha_lv_error(), lv->backoff_ms);
		return -ECONNREFUSED;
	}
	if (cfg->keepalive_interval_s &&
	    virConnectSetKeepAlive(lv->conn, (int)cfg->keepalive_interval_s, cfg->keepalive_count) <
		    0)
		sg_ha_log(LOG_DEBUG, "libvirt: keepalive not available on %s: %s", cfg->uri,
			  sg_ha_lv_error());
	if (virConnectRegisterCloseCallback(lv->conn, close_cb, lv, NULL) < 0)
		sg_ha_log(LOG_DEBUG, "libvirt: no close callback on %s: %s", cfg->uri,
			  sg_ha_lv_error());
	lv->cb =
		virConnectDomainEventRegisterAny(lv->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						 VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), lv, NULL);
	if (lv->cb < 0) {
		sg_ha_log(LOG_ERR, "libvirt: cannot register lifecycle events on %s: %s", cfg->uri,
			  sg_ha_lv_error());
		virConnectClose(lv->conn);
		lv->conn = NULL;
		lv->ctr.connect_failures++;
		return -EIO;
	}
	lv->up = true;
	lv->backoff_ms = cfg->reconnect_min_ms;
	lv->ctr.connects++;
	sg_ha_log(LOG_INFO, "libvirt: connected to %s (connection %llu)", cfg->uri,
		  (unsigned long long)lv->ctr.connects);
	lv->ops.connected(lv->ctx);
	return 0;
}

void
sg_ha_lv_drop(struct sg_ha_lv *lv, const char *why)
{
	if (lv->conn == NULL)
		return;
	sg_ha_log(LOG_WARNING, "libvirt: dropping connection (%s); reconnect in %u ms", why,
		  lv->backoff_ms);
	lv_close(lv);
	lv->up = false;
	lv->close_pending = false;
	lv->next_try = sg_ha_now_ms() + lv->backoff_ms;
	lv->ops.dropped(lv->ctx);
}

bool
sg_ha_lv_tick(struct sg_ha_lv *lv, uint64_t now)
{
	if (lv->close_pending)
		sg_ha_lv_drop(lv, "libvirt closed the connection");
	if (lv->up || lv->conn != NULL || now < lv->next_try)
		return false;
	if (lv_connect(lv) == 0)
		return true;
	lv->backoff_ms = sg_ha_backoff_next(lv->backoff_ms, lv->cfg->reconnect_max_ms);
	lv->next_try = now + lv->backoff_ms;
	return false;
}

int
sg_ha_lv_init(struct sg_ha_lv *lv, const struct sg_ha_config *cfg, const struct sg_ha_lv_ops *ops,
	      void *ctx)
{
	virSetErrorFunc(NULL, lv_error_quiet);
	lv->cfg = cfg;
	lv->ops = *ops;
	lv->ctx = ctx;
	lv->conn = NULL;
	lv->cb = -1;
	lv->backoff_ms = cfg->reconnect_min_ms;
	if (lv_connect(lv))
		lv->next_try = sg_ha_now_ms() + lv->backoff_ms;
	return 0; /* not connected yet is not fatal: we retry */
}

void
sg_ha_lv_fini(struct sg_ha_lv *lv)
{
	if (lv->conn)
		lv_close(lv);
}
