/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Deterministic test mode of sg-dataplane (`--test-deterministic`), for the
 * pcap replay test (tests/integration/dataplane/pcap_replay.sh).
 *
 * OFF by default; only the command line switches it on. When on, the output
 * of a replayed input depends on nothing but the input and the
 * configuration:
 *   - the SYN-cookie keys are fixed (SG_DP_TESTMODE_COOKIE_KEY) and never
 *     rotated;
 *   - the SYN-cookie clock is fixed (SG_DP_TESTMODE_COOKIE_CLOCK_S);
 *   - the session-ID epoch is fixed (SG_DP_TESTMODE_EPOCH);
 *   - neighbours given with `--test-neigh ADDR=MAC` are installed before
 *     the workers start and never go stale, so no ARP request or neighbour
 *     solicitation is sent for them.
 * Flow hashes are keyed with constants already (sg_dp_flow_hash()).
 *
 * Never use it in production: fixed cookie keys let anyone forge cookies.
 */
#ifndef SG_DP_TESTMODE_H
#define SG_DP_TESTMODE_H

#include <stdbool.h>
#include <stdint.h>

/** The fixed SYN-cookie clock in test mode (seconds). */
#define SG_DP_TESTMODE_COOKIE_CLOCK_S 1000000u
/** The fixed session-ID epoch in test mode. */
#define SG_DP_TESTMODE_EPOCH 0x5e55u
/** Static neighbours `--test-neigh` can install. */
#define SG_DP_TESTMODE_NEIGH_MAX 16

struct sg_dp_app;
struct sg_dp_worker_conf;

/** Switch the test mode on (command line `--test-deterministic`). */
void sg_dp_testmode_enable(void);

/** True when the test mode is on. */
bool sg_dp_testmode_enabled(void);

/**
 * Record a static neighbour `ADDR=MAC` (IPv4 or IPv6 address, MAC as
 * xx:xx:xx:xx:xx:xx) from the command line `--test-neigh`.
 *
 * @return 0, -EINVAL (malformed), -ENOSPC (more than
 *   SG_DP_TESTMODE_NEIGH_MAX).
 */
int sg_dp_testmode_add_neigh(const char *spec);

/**
 * Fix a worker's session-ID epoch and SYN-cookie clock before the worker
 * is created; does nothing when the test mode is off.
 */
void sg_dp_testmode_worker_conf(struct sg_dp_worker_conf *wc);

/**
 * Once the workers exist and before they run: fix the SYN-cookie keys and
 * install the static neighbours on every port. Does nothing when the test
 * mode is off.
 *
 * @return 0, or -EINVAL when static neighbours were given without
 *   `--test-deterministic`, -ENOSPC when the neighbour table took none.
 */
int sg_dp_testmode_apply(struct sg_dp_app *app);

#endif /* SG_DP_TESTMODE_H */
