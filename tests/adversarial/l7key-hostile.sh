#!/usr/bin/env bash
# Hostile L7 keys (issue 16, ring format v4): clients of brokered VSes keyed
# on a cookie ("sid") and on a header ("X-Auth-Token") send keys that must
# never reach sg-control as a different identity: a value one byte too long
# for the ring's 160-byte key with its name (it is never cut), a control
# byte in the header, an 8000-byte header value, then a flood of them. Each is counted (key_malformed; a missing key key_absent, a good
# or exactly 160-byte key neither) and answered like any session while
# sg-control is away (control_down: reject: HTTP 503 for these HTTP keys,
# not a reset); the data plane does not crash and the demo's DSR and NAT
# VIPs are served during and after.
. "$(dirname "$0")/lib.sh"

topo_up
backends_start
make_config
cat >>"$SG_RUN/sg.yaml" <<'EOF'
  - name: app-cookie
    vip: 198.18.10.3
    port: 8090
    mode: brokered
    pool: web
    brokered: { key: http_cookie, key_name: sid, control_down: reject }
  - name: app-header
    vip: 198.18.10.3
    port: 8091
    mode: brokered
    pool: web
    brokered: { key: http_header, key_name: X-Auth-Token, control_down: reject }
EOF
dp_start "$SG_RUN/sg.yaml"
assert_served "before the attack"

# code PORT [CURL-ARGS...]: the HTTP status the data plane answers (000: none)
code() {
	local port=$1
	shift
	client curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@" "http://198.18.10.3:$port/" || true
}
# expect WHAT WANT-ABSENT WANT-MALFORMED PORT [CURL-ARGS...]: answered 503, the
# two counters moved by exactly the wanted amounts
expect() {
	local what=$1 da=$2 dm=$3 a0 m0 a1 m1 c
	shift 3
	a0=$(dp_stat key_absent)
	m0=$(dp_stat key_malformed)
	c=$(code "$@")
	[ "$c" = 503 ] || fail "$what: answered '$c', want 503 (control_down: reject)"
	a1=$(dp_stat key_absent)
	m1=$(dp_stat key_malformed)
	if [ $((a1 - a0)) -ne "$da" ] || [ $((m1 - m0)) -ne "$dm" ]; then
		fail "$what: key_absent $a0 -> $a1 (want +$da), key_malformed $m0 -> $m1 (want +$dm)"
	fi
	ok "$what: 503, key_absent +$da, key_malformed +$dm"
}

v156=$(printf 'v%.0s' $(seq 1 156)) # "sid=" + 156 = 160 bytes: the most a key holds
h146=$(printf 'h%.0s' $(seq 1 146)) # "X-Auth-Token: " + 146 = 160 bytes
expect "a good cookie" 0 0 8090 -H "Cookie: a=1; sid=abc"
expect "no such cookie" 1 0 8090 -H "Cookie: a=1"
expect "a 160-byte cookie key" 0 0 8090 -H "Cookie: sid=$v156"
expect "a 161-byte cookie key (never cut)" 0 1 8090 -H "Cookie: sid=${v156}v"
expect "a cookie value with a backslash" 0 1 8090 -H 'Cookie: sid=a\b'
expect "a good header" 0 0 8091 -H "X-Auth-Token: tok"
expect "a 160-byte header key" 0 0 8091 -H "X-Auth-Token: $h146"
expect "a 161-byte header key (never cut)" 0 1 8091 -H "X-Auth-Token: ${h146}h"
expect "a control byte in the header" 0 1 8091 -H "$(printf 'X-Auth-Token: a\001b')"
# the key is looked for in the first 2048 bytes held (BR_PEEK_MAX): a line
# running past them leaves the key undecided there, so absent
expect "a 9000-byte header line before the key" 1 0 8091 \
	-H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' p)" -H "X-Auth-Token: tok"
expect "an 8000-byte header key" 0 1 8091 -H "X-Auth-Token: $(head -c 8000 /dev/zero | tr '\0' t)"

# a flood of over-long keys on both VSes, 4 clients at a time, bounded
N=100
m0=$(dp_stat key_malformed)
(
	seq 1 $N | awk '{ print 8090 + $1 % 2 }' | xargs -P 4 -I{} ip netns exec "$(topo_ns c)" \
		curl -s -o /dev/null --max-time 5 -w '%{http_code}\n' -H "Cookie: sid=${v156}x" \
		-H "X-Auth-Token: ${h146}x" "http://198.18.10.3:{}/" >"$SG_RUN/flood.codes" 2>/dev/null
	true
) >"$SG_RUN/flood.log" 2>&1 &
during_flood $! "a flood of $N over-long keys"
answered=$(grep -c '^503$' "$SG_RUN/flood.codes" || true)
m1=$(dp_stat key_malformed)
[ "$answered" -ge $((N * 9 / 10)) ] || fail "flood: only $answered of $N answered 503"
[ $((m1 - m0)) -ge "$answered" ] || fail "flood: key_malformed +$((m1 - m0)) < $answered answered"
assert_served "after the attack"
ok "flood: $answered of $N answered 503, key_malformed $m0 -> $m1, DSR and NAT VIPs served"
echo "PASS l7key-hostile"
