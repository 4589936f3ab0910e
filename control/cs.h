/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * cs.c: the table of controlling sessions (by streaming session ID), their
 * state, deadline lists and change list. Below every module that moves a
 * session; it calls nobody.
 */
#ifndef SG_CTL_CS_H
#define SG_CTL_CS_H

#include "model.h"

struct sg_ctl;

/** The session with streaming session ID @p session_id, or NULL. */
struct sg_ctl_cs *sg_ctl_cs_find(struct sg_ctl *c, uint64_t session_id);
/** A new session in state NEW, indexed; NULL at the limit or out of memory. */
struct sg_ctl_cs *sg_ctl_cs_alloc(struct sg_ctl *c, uint64_t session_id);
/** Move @p cs to @p state (lists, counters, deadline, dirty). */
void sg_ctl_cs_set_state(struct sg_ctl *c, struct sg_ctl_cs *cs, unsigned int state);
/** Record that @p cs engaged provider @p provider_id (once). */
void sg_ctl_cs_engage(struct sg_ctl_cs *cs, uint64_t provider_id);
/** "negotiating", ... ("?" out of range). */
const char *sg_ctl_cs_state_name(unsigned int s);
/** "no_app", ... (an SG_MSG_REASON_*; "?" out of range). */
const char *sg_ctl_cs_reason_name(unsigned int r);

#endif /* SG_CTL_CS_H */
