/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * broker.c: virtual-application matching (L4, then the L7 key) and
 * admission (execution and waiting queues of each application).
 */
#ifndef SG_CTL_BROKER_H
#define SG_CTL_BROKER_H

#include "model.h"

struct sg_ctl;

struct sg_ctl_app *sg_ctl_broker_match(struct sg_ctl *c, const struct sg_msg_flow *f,
				       uint8_t key_type, const uint8_t *key, uint16_t key_len);
/** Extract the user named by the L7 key (RDP mstshash, cookie value, ...). */
int sg_ctl_broker_user(const struct sg_ctl_app_cfg *app, uint8_t key_type, const uint8_t *key,
		       uint16_t key_len, char *user, size_t userlen);
/** Admit a NEW session: place it, queue it, or reject it. */
void sg_ctl_broker_admit(struct sg_ctl *c, struct sg_ctl_cs *cs);
/** A slot was freed: place queued sessions of apps served by @p pool. */
void sg_ctl_broker_dispatch(struct sg_ctl *c, unsigned int pool);
/** Remove @p cs from every queue and give back what it holds. */
void sg_ctl_broker_release(struct sg_ctl *c, struct sg_ctl_cs *cs);
/** The application named @p name, or NULL. */
struct sg_ctl_app *sg_ctl_broker_app_by_name(struct sg_ctl *c, const char *name);

#endif /* SG_CTL_BROKER_H */
