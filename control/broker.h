/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * broker.c: virtual-application matching (L4, then the L7 key) and
 * admission (execution and waiting queues of each application).
 */
#ifndef SG_CTL_BROKER_H
#define SG_CTL_BROKER_H

#include "access.h"
#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_bus;
struct sg_ctl_qos;
struct sg_ctl_ucache;
struct sg_ctl_vmm;
struct sg_ctl_cs_tab;

/** The broker: what broker.c works on and with, filled by the wiring (ctl.c) at init. */
struct sg_ctl_broker {
	const struct sg_ctl_cfg *cfg;
	const struct sg_ctl_clock *clk;
	struct sg_ctl_inv *inv;		 /**< the applications (their queues change here) */
	struct sg_ctl_vmm *vmm;		 /**< placement */
	struct sg_ctl_ids *ids;		 /**< user IDs */
	struct sg_ctl_cs_tab *tab;	 /**< session states */
	struct sg_ctl_place_hooks hooks; /**< placed or refused: back to csm */
	/* authenticated applications (auth.c, access.c, qos.c) */
	struct sg_ctl_auth_stats *st; /**< refusals, checks */
	struct sg_ctl_bus *bus;	      /**< graph placement: is a host's agent up */
	struct sg_ctl_qos *qos;	      /**< sessions per user and app */
	/** The graph's VMs of the session being admitted, for its first placement. */
	struct sg_ctl_vm *cand[SG_CTL_ACCESS_VMS_MAX];
	unsigned int n_cand;
	const struct sg_ctl_cs *cand_cs;
	struct sg_ctl_ucache *uc; /**< idmgr's answers per (user, app); may be NULL */
};

/** The application matching the session's flow and L7 key, or NULL. */
struct sg_ctl_app *sg_ctl_broker_match(struct sg_ctl_broker *br, const struct sg_msg_flow *f,
				       uint8_t key_type, const uint8_t *key, uint16_t key_len);
/** Extract the user named by the L7 key (RDP mstshash, cookie value, ...). */
int sg_ctl_broker_user(const struct sg_ctl_app_cfg *app, uint8_t key_type, const uint8_t *key,
		       uint16_t key_len, char *user, size_t userlen);
/** Admit a NEW session: place it, queue it, or reject it. */
void sg_ctl_broker_admit(struct sg_ctl_broker *br, struct sg_ctl_cs *cs);
/** A slot was freed: place queued sessions of apps served by @p pool. */
void sg_ctl_broker_dispatch(struct sg_ctl_broker *br, unsigned int pool);
/**
 * @p cs (WAITING or READY) lost its VM: give back what it holds and place
 * it again now (a running VM: installed; one starting or started: waiting).
 * @return 0, or -ENOSPC when nothing can take it now: @p cs is then NEW and
 *   holds nothing (the caller rejects it).
 */
int sg_ctl_broker_replace(struct sg_ctl_broker *br, struct sg_ctl_cs *cs);
/** Remove @p cs from every queue and give back what it holds. */
void sg_ctl_broker_release(struct sg_ctl_broker *br, struct sg_ctl_cs *cs);
/** The application named @p name, or NULL. */
struct sg_ctl_app *sg_ctl_broker_app_by_name(struct sg_ctl_inv *inv, const char *name);

#endif /* SG_CTL_BROKER_H */
