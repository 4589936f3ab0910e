/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic test mode of sg-dataplane (testmode.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ether.h>
#include <rte_log.h>

#include "app.h"
#include "core/log.h"
#include "core/neigh.h"
#include "testmode.h"

/* Fixed SYN-cookie keys (current and previous slot). */
static const uint64_t cookie_key[2][2] = {
	{UINT64_C(0x73657373696f6e67), UINT64_C(0x6174652d74657374)},
	{UINT64_C(0x73657373696f6e67), UINT64_C(0x6174652d74657374)},
};

/* A learned time in the far future: a static entry never goes stale. */
#define NEIGH_STATIC_LEARNED (UINT64_MAX / 2)

struct testmode_neigh {
	uint8_t family; /* AF_INET / AF_INET6 (the neighbour table's encoding) */
	uint8_t a[16];
	struct rte_ether_addr mac;
};

static struct {
	bool on;
	unsigned int n_neigh;
	struct testmode_neigh neigh[SG_DP_TESTMODE_NEIGH_MAX];
} testmode;

void
sg_dp_testmode_enable(void)
{
	testmode.on = true;
}

bool
sg_dp_testmode_enabled(void)
{
	return testmode.on;
}

int
sg_dp_testmode_add_neigh(const char *spec)
{
	struct testmode_neigh *n;
	const char *eq = strrchr(spec, '=');
	char addr[INET6_ADDRSTRLEN];
	size_t len;

	if (testmode.n_neigh == SG_DP_TESTMODE_NEIGH_MAX)
		return -ENOSPC;
	if (eq == NULL)
		return -EINVAL;
	len = (size_t)(eq - spec);
	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, spec, len);
	addr[len] = '\0';
	n = &testmode.neigh[testmode.n_neigh];
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, addr, n->a) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, n->a) == 1)
		n->family = AF_INET6;
	else
		return -EINVAL;
	if (rte_ether_unformat_addr(eq + 1, &n->mac) != 0 || !rte_is_unicast_ether_addr(&n->mac) ||
	    rte_is_zero_ether_addr(&n->mac))
		return -EINVAL;
	testmode.n_neigh++;
	return 0;
}

void
sg_dp_testmode_worker_conf(struct sg_dp_worker_conf *wc)
{
	if (!testmode.on)
		return;
	wc->dp_epoch = SG_DP_TESTMODE_EPOCH;
	wc->cookie_clock_s = SG_DP_TESTMODE_COOKIE_CLOCK_S;
}

int
sg_dp_testmode_apply(struct sg_dp_app *app)
{
	if (!testmode.on) {
		if (testmode.n_neigh == 0)
			return 0;
		SG_DP_LOG(ERR, "--test-neigh needs --test-deterministic");
		return -EINVAL;
	}
	SG_DP_LOG(WARNING,
		  "TEST MODE: fixed SYN-cookie keys and clock, fixed session-ID epoch, "
		  "%u static neighbours: never run this in production",
		  testmode.n_neigh);
	memset(&app->cookies, 0, sizeof(app->cookies));
	memcpy(app->cookies.key, cookie_key, sizeof(app->cookies.key));
	for (unsigned int i = 0; i < testmode.n_neigh; i++) {
		const struct testmode_neigh *n = &testmode.neigh[i];

		for (unsigned int p = 0; p < app->n_ports; p++) {
			if (!sg_dp_neigh_learn(app->neigh, (uint16_t)p, n->family, n->a, &n->mac,
					       NEIGH_STATIC_LEARNED)) {
				SG_DP_LOG(ERR, "test mode: the neighbour table took no entry %u",
					  i);
				return -ENOSPC;
			}
		}
	}
	return 0;
}
