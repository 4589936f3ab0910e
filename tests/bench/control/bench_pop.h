/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The identity store of the token benchmark (bench_pop.c): N users, each
 * subscribed to the token application and assigned one of its VMs, a valid
 * token per user, and the cost of each query sg-control makes per session.
 */
#ifndef SG_BENCH_POP_H
#define SG_BENCH_POP_H

#include <stdint.h>

#include "sessiongate/sg_msg.h"
#include "sg_idmgr.h"
#include "sg_token_lib.h"

#define BENCH_APP    "desk" /* the token application (VAPP and APP objects) */
#define BENCH_COOKIE "sgt"  /* its match: the cookie carrying the token */

struct bench_pop {
	unsigned int n_users;
	struct sg_token_key key;    /**< key id 1, random */
	char key_file[256];	    /**< the key in hex, mode 0600 */
	uint64_t *users;	    /**< their IDs */
	uint64_t *assigned;	    /**< each user's VM */
	struct sg_msg *tmpl;	    /**< per user: SESSION_NEW with "sgt=<token>" */
	struct sg_msg *tmpl_cookie; /**< the same to BENCH_COOKIE_PORT (anonymous app) */
	uint64_t vapp, app;	    /**< the token app's VAPP (tokens) and APP (graph) IDs */
};

/** A random key written to DIR/desk.key, room for @p n_users. */
void bench_pop_init(struct bench_pop *p, unsigned int n_users, const char *dir);
/**
 * Register the users (user00000, ...) in @p s, each SUBSCRIBES to the app
 * BENCH_APP (registered by sg-control) and ASSIGNED to one of @p vms (round
 * robin); mint each a token valid for an hour; build the SESSION_NEW
 * templates to BENCH_VIP:@p port. Idempotent.
 */
void bench_pop_fill(struct bench_pop *p, struct sg_id_store *s, const uint64_t *vms,
		    unsigned int n_vms, uint16_t port);
/** Time each query of a token session's admission on @p s; print us per call. */
void bench_pop_costs(const struct bench_pop *p, struct sg_id_store *s);
void bench_pop_free(struct bench_pop *p);

#endif /* SG_BENCH_POP_H */
