#!/usr/bin/env bash
# Member state (issue 13): what an attacker reaches when a pool has no live
# member and what hostile control input does.
#
#  A. 3,000 spoofed SYNs to a nat VS with no_live_member: reset whose only
#     member is down: the RSTs are bounded by the worker's answer rate
#     (1,000/s, burst 64: no reflection amplifier), the rest counted.
#  B. 2,000 spoofed UDP datagrams to a udp VS of the same pool: ICMP port
#     unreachable bounded by the same rate.
#  C. 300 MEMBER_STATE messages with unterminated names and 300 naming no
#     member, written on worker 0's ring from sg-control (the shm region):
#     refused and counted, nothing changes.
# Legitimate clients are served during and after each.
# Defence: no_live_member_rst, no_live_member_unreach, drop_no_live_ratelimited,
# ctl_msg_bad, member_state_unknown.
. "$(dirname "$0")/lib.sh"
MS="$SG_BUILD/tests/integration/dataplane/sg-memberstate"
[ -x "$MS" ] || fail "sg-memberstate not built ($MS)"

topo_up
backends_start
# spoofed sources: routed back to the client namespace, which does not forward
ip -n "$(topo_ns r)" route add 198.19.0.0/16 via 198.18.0.2
make_config -e '/^virtual_services:/i\  - name: spare\n    members:\n      - { name: s1, address: 198.18.1.11, weight: 1 }'
cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - name: spare-reset
    vip: 198.18.10.2
    port: 8080
    protocol: tcp
    mode: nat
    pool: spare
    no_live_member: reset
  - name: spare-udp
    vip: 198.18.10.2
    port: 8053
    protocol: udp
    mode: nat
    pool: spare
    no_live_member: reset
YAML
dp_start "$SG_RUN/sg.yaml"
"$MS" --shm "/$SG_PREFIX" --pool spare --member s1 --state down || fail "sg-memberstate"
wait_for 5 bash -c "[ \"\$(python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' '/sg/members,spare' | python3 -c \"import json,sys; print(json.load(sys.stdin)['/sg/members']['spare/s1']['state'])\")\" = down ]" ||
	fail "spare/s1 not down"
rc=0
client curl -s --max-time 3 -o /dev/null http://198.18.10.2:8080/ || rc=$?
[ "$rc" = 7 ] || fail "no live member: curl exit $rc, want 7 (RST)"
ok "spare/s1 down: a SYN to spare-reset is refused"

# flood PROTO COUNT: spoofed packets as fast as a raw socket goes; prints the seconds taken
flood() {
	scapy_in c "$1" "$2" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import random, socket, sys, time
from scapy.all import IP, TCP, UDP
proto, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
t0 = time.monotonic()
for i in range(n):
    src = "198.19.%d.%d" % (random.randrange(256), random.randrange(1, 255))
    l4 = (TCP(sport=random.randrange(1024, 65535), dport=8080, flags="S") if proto == "tcp"
          else UDP(sport=random.randrange(1024, 65535), dport=8053) / (b"x" * 16))
    s.sendto(bytes(IP(src=src, dst="198.18.10.2") / l4), ("198.18.10.2", 0))
print("%.3f" % (time.monotonic() - t0))
PY
}

for what in "tcp 3000 no_live_member_rst" "udp 2000 no_live_member_unreach"; do
	set -- $what
	a0=$(dp_stat "$3")
	l0=$(dp_stat drop_no_live_ratelimited)
	flood "$1" "$2"
	during_flood $! "the $1 flood to the pool without a live member"
	secs=$(tail -1 "$SG_RUN/flood.log")
	sleep 0.5
	a=$(($(dp_stat "$3") - a0))
	l=$(($(dp_stat drop_no_live_ratelimited) - l0))
	# the answer rate: 1000/s and a burst of 64 (a second of slack for the timing)
	max=$(python3 -c "print(int(1000 * ($secs + 1) + 64))")
	[ "$a" -le "$max" ] || fail "$1 flood: $a answers in ${secs}s, over the bound $max"
	[ "$l" -gt 0 ] || fail "$1 flood: drop_no_live_ratelimited did not move"
	[ $((a + l)) -ge $(($2 * 9 / 10)) ] || fail "$1 flood: only $((a + l)) of $2 accounted"
	ok "$1 flood of $2 in ${secs}s: $3 +$a (bound $max), drop_no_live_ratelimited +$l"
done

# C. hostile MEMBER_STATE on the control ring
b0=$(dp_stat ctl_msg_bad)
u0=$(dp_stat member_state_unknown)
(for i in $(seq 1 300); do
	"$MS" --shm "/$SG_PREFIX" --raw-bad --state down || exit 1
	"$MS" --shm "/$SG_PREFIX" --pool web --member "nosuch$i" --state down || exit 1
done; echo done) >"$SG_RUN/flood.log" 2>&1 &
during_flood $! "600 hostile MEMBER_STATE messages"
wait_for 5 bash -c "[ \$(python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' /sg/stats | python3 -c \"import json,sys; print(json.load(sys.stdin)['/sg/stats']['member_state_unknown'])\") -ge $((u0 + 300)) ]" ||
	fail "member_state_unknown moved by $(($(dp_stat member_state_unknown) - u0)), want 300"
b=$(($(dp_stat ctl_msg_bad) - b0))
[ "$b" -eq 300 ] || fail "ctl_msg_bad moved by $b, want 300"
for m in host1 host2; do
	s=$(telemetry_get "/sg/members,web" "d['web/$m']['state']")
	[ "$s" = up ] || fail "web/$m is $s after hostile messages"
done
ok "300 malformed (ctl_msg_bad) and 300 unknown (member_state_unknown) messages refused; web members up"
assert_served "after the attacks"
ok "served after the attacks, sg-dataplane alive"
echo "PASS no-live-member"
