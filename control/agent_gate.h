/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * agent_gate.c: who may open and complete an agent link (agent.c asks):
 * the configured source address of each host, and each host's key.
 */
#ifndef SG_CTL_AGENT_GATE_H
#define SG_CTL_AGENT_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cfg.h"

#include "sessiongate/sg_agent_proto.h"

/**
 * True when @p sa is the address host @p hc's agent connects from: its
 * agent_address when configured, else its address.
 */
bool sg_ctl_agent_host_allows(const struct sg_ctl_host_cfg *hc, const struct sockaddr *sa);

/** True when @p sa is the agent source address of any configured host. */
bool sg_ctl_agent_src_known(const struct sg_ctl_cfg *cfg, const struct sockaddr *sa);

/** True when @p a and @p b are the same IPv4 or IPv6 address (ports ignored). */
bool sg_ctl_agent_same_addr(const struct sockaddr *a, const struct sockaddr *b);

/**
 * Read host @p host's key, the file "<control.agent_key_dir>/<host>.key"
 * (read at each handshake: a key is replaced without a restart).
 * @return 0, or -errno of open/read, -EINVAL (length), -ENOENT (no key dir).
 */
int sg_ctl_agent_host_key(const struct sg_ctl_cfg *cfg, const char *host,
			  uint8_t key[SG_AGENT_KEY_MAX], size_t *len);

/** "address:port" of @p sa for the logs ("?:0" for another family). */
void sg_ctl_agent_peer_name(const struct sockaddr *sa, char *buf, size_t len);

#endif /* SG_CTL_AGENT_GATE_H */
