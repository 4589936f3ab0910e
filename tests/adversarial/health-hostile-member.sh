#!/usr/bin/env bash
# sg-control's health checker against members that attack it: an endless
# HTTP body, a drip-fed answer, 1 MiB of headers, garbage for HTTP and TLS,
# a UDP answer flood; a storm of MEMBER_SUSPECT naming unknown members and
# healthy ones; hostile drain requests. Each hostile member is down for its
# own reason (bounded reads and timeouts), the legitimate members stay up and
# are checked during and after, the counters moved (checks fail/timeout,
# suspects_unknown), memory stays bounded, sg-control stays up. The real
# sg-control in the test's own network namespace
# (tests/integration/control/test_health.c, scenario "hostile").
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (network namespace)" >&2; exit 1; }
exec timeout 110 "$SG_BUILD/tests/integration/control/test_health" "$SG_BUILD/control" \
	"$SG_SRC/tests/integration/control" hostile
