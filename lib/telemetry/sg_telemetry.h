/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A client of DPDK's telemetry socket (protocol v2: a SOCK_SEQPACKET unix
 * socket, one JSON greeting, then one JSON answer per command), shared by
 * sg-routed and sg-control to read the data plane's state (`/sg/cluster`,
 * doc/cluster.md). No DPDK library is linked: this is only the socket.
 * Answers are bounded (SG_TEL_REPLY_MAX) and parsed by the caller as
 * hostile JSON.
 */
#ifndef SG_TELEMETRY_H
#define SG_TELEMETRY_H

#include <stddef.h>

#define SG_TEL_REPLY_MAX (64 * 1024)

struct sg_cfg;

/**
 * The telemetry socket of the data plane configured by @p cfg
 * (appliance.telemetry_dir, else /var/run/dpdk/<file_prefix>, then
 * "dpdk_telemetry.v2"). @return 0, or -ENAMETOOLONG.
 */
int sg_tel_socket_path(const struct sg_cfg *cfg, char *buf, size_t len);

/**
 * Connect to @p path, send @p cmd ("/sg/cluster" or "/sg/cluster,param"),
 * put the answer (NUL-terminated JSON) in @p buf. Every step is bounded by
 * @p timeout_ms. @return the answer's length, or -errno (-ECONNREFUSED /
 * -ENOENT: no data plane there).
 */
int sg_tel_query(const char *path, const char *cmd, char *buf, size_t len, int timeout_ms);

#endif /* SG_TELEMETRY_H */
