#!/bin/bash
# Defect 2 against the SYN proxy of a dsr VIP whose member runs
# sg-hostagent (syn_proxy: on + syn_proxy_dsr: handoff): vm6 on host3 (its
# tc-BPF datapath translates the VM's sequence numbers, as in the brokered
# DSR hand-off). A bounded spoofed SYN flood to the proxied VIP adds no flow
# entry while a paced client completes every request, answered by vm6
# through its host; bare ACKs for no flow are checked as cookies
# (drop_cookie_bad, drop_cookie_old) and make no flow; the same flood to the same pool
# without the proxy adds flows (the test can fail). Then syn_proxy: auto on
# a dsr VS whose host also has a static VIP entry: served by plain DSR while
# calm, by the hand-off (to a static VIP) under the flood.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/tests/adversarial/handoff-attack.sh"

FLOOD=${SG_SYN_FLOOD:-2000} # SYNs per flood, bounded
adv_broker_up -e 's/^pools:$/pools:\n  - name: agent\n    members:\n      - { name: vm6, address: 198.18.1.21, port: 80 }/' <<'EOF'
  - name: dsr-proxy
    vip: 198.18.10.5
    port: 80
    protocol: tcp
    mode: dsr
    pool: agent
    syn_proxy: on
    syn_proxy_dsr: handoff
  - name: dsr-auto
    vip: 198.18.10.7
    port: 80
    protocol: tcp
    mode: dsr
    pool: agent
    syn_proxy: auto
    syn_proxy_rate: 100
    syn_proxy_hold_s: 2
    syn_proxy_dsr: handoff
  - name: dsr-plain
    vip: 198.18.10.6
    port: 80
    protocol: tcp
    mode: dsr
    pool: agent
EOF

vs_flows() { telemetry_get /sg/vs "d['${1//-/_}']['active_flows']"; }
flows_total() { telemetry_get /sg/flows "d['total']"; }

# flood VIP FLAGS: FLOOD spoofed segments (sources in 198.19.0.0/16) to VIP:80
flood() {
	scapy_in c "$1" "$2" "$FLOOD" <<'PY'
import random, sys
from scapy.all import IP, TCP, send, conf
conf.verb = 0
vip, flags, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pk = [IP(src="198.19.%d.%d" % (random.randrange(256), random.randrange(1, 255)),
         dst=vip) / TCP(sport=random.randrange(1024, 65535), dport=80,
                                  flags=flags, seq=random.getrandbits(32),
                                  ack=random.getrandbits(32) if "A" in flags else 0)
      for _ in range(n)]
send(pk, inter=0)
PY
}

# proxied_get WHAT [VIP]: a new request to the proxied VIP, answered by vm6
proxied_get() {
	local out
	out=$(legit_http "http://${2:-198.18.10.5}/") || fail "$1: the proxied dsr VIP did not answer"
	[ "$out" = vm6 ] || fail "$1: the proxied dsr VIP answered '$out', not vm6"
}

# paced_clients N OUT [VIP]: N new requests one after the other, failures counted in OUT
paced_clients() {
	local i bad=0 out
	for i in $(seq "$1"); do
		out=$(legit_http "http://${3:-198.18.10.5}/") && [ "$out" = vm6 ] || bad=$((bad + 1))
		sleep 0.1
	done
	echo "$bad" >"$2"
}

o0=$(adv_ctr synproxy_open)
wait_for 10 legit_http http://198.18.10.5/ >/dev/null || fail "dsr-proxy does not answer before the attack"
proxied_get "before the attack"
[ "$(adv_ctr synproxy_open)" -gt "$o0" ] || fail "a legitimate connection to dsr-proxy did not go through the proxy"
ok "dsr-proxy (syn_proxy: on, syn_proxy_dsr: handoff) serves before the attack, answered by vm6"

# 1. flood the proxied VS while a paced client runs
f0=$(flows_total) v0=$(vs_flows dsr-proxy) o0=$(adv_ctr synproxy_open)
s0=$(($(adv_ctr synproxy_synack) + $(adv_ctr drop_syn_shed)))
paced_clients 20 "$SG_RUN/paced1" &
paced=$!
flood 198.18.10.5 S
wait "$paced"
f1=$(flows_total) v1=$(vs_flows dsr-proxy) o1=$(adv_ctr synproxy_open)
s1=$(($(adv_ctr synproxy_synack) + $(adv_ctr drop_syn_shed)))
# each flood SYN answered with a cookie or shed (a full rx burst); a few may be lost on the link
[ "$((s1 - s0))" -ge "$((FLOOD * 9 / 10))" ] ||
	fail "synproxy_synack + drop_syn_shed moved by $((s1 - s0)) for $FLOOD SYNs"
[ "$(cat "$SG_RUN/paced1")" = 0 ] || fail "$(cat "$SG_RUN/paced1") of 20 paced requests failed during the flood"
[ "$((o1 - o0))" -ge 20 ] || fail "synproxy_open moved by $((o1 - o0)) for 20 paced connections"
# the paced client's own flows may linger (closing): at most its 20 connections
[ "$((v1 - v0))" -le 20 ] || fail "the flood added $((v1 - v0)) flows to dsr-proxy"
[ "$((f1 - f0))" -le 20 ] || fail "the flood added $((f1 - f0)) flow entries"
ok "proxied flood: $((s1 - s0)) SYNs answered with a cookie or shed, flows $f0 -> $f1, dsr-proxy flows $v0 -> $v1, 20/20 paced by vm6"

# 2. bare ACKs for no flow: checked as cookies, no flow made
cookie_drops() { echo $(($(adv_ctr drop_cookie_bad) + $(adv_ctr drop_cookie_old))); }
c0=$(cookie_drops) f0=$(flows_total)
flood 198.18.10.5 A
c1=$(cookie_drops) f1=$(flows_total)
[ "$((c1 - c0))" -ge "$((FLOOD * 9 / 10))" ] ||
	fail "drop_cookie_bad + drop_cookie_old moved by $((c1 - c0)) for $FLOOD forged ACKs"
[ "$((f1 - f0))" -le 2 ] || fail "forged ACKs added $((f1 - f0)) flow entries"
ok "forged ACKs: drop_cookie_bad + drop_cookie_old $c0 -> $c1, no flow"
proxied_get "after the forged ACKs"

# 3. the same SYN flood without the proxy adds flows: the checks above can fail
p0=$(vs_flows dsr-plain)
flood 198.18.10.6 S
p1=$(vs_flows dsr-plain)
[ "$((p1 - p0))" -ge "$((FLOOD / 2))" ] ||
	fail "without the proxy the flood added only $((p1 - p0)) flows (the test cannot tell)"
ok "dsr without the proxy: the flood added $((p1 - p0)) flows"

# 4. auto, on a host that also delivers the VIP without a hand-off: host3
# restarted with a static VIP entry 198.18.10.7:80 -> vm6 (sg_ha_vips)
kill "$(cat "$SG_RUN/agent3.pid")"
wait_for 10 bash -c "! kill -0 $(cat "$SG_RUN/agent3.pid") 2>/dev/null" || fail "host3's agent did not stop"
sed -i 's/^  - { name: vm6, address: 198.18.1.21, port: 80 }$/  - { name: vm6, address: 198.18.1.21, port: 80, vip: 198.18.10.7, vip_port: 80 }/' \
	"$SG_RUN/agent3.yaml"
grep -q "vip: 198.18.10.7" "$SG_RUN/agent3.yaml" || fail "agent3.yaml: no static VIP for vm6"
setsid ip netns exec "$(topo_ns h3)" "$SG_AGENT_BIN" -c "$SG_RUN/agent3.yaml" \
	>>"$SG_RUN/agent3.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/agent3.pid"
wait_for 15 bash -c "[ \$(grep -c 'control: authenticated' '$SG_RUN/agent3.log') -ge 2 ]" ||
	fail "host3's agent did not come back: $(tail -n 5 "$SG_RUN/agent3.log")"
o0=$(adv_ctr synproxy_open) on0=$(adv_ctr synproxy_on) off0=$(adv_ctr synproxy_off)
wait_for 10 legit_http http://198.18.10.7/ >/dev/null || fail "dsr-auto does not answer before its flood"
proxied_get "dsr-auto before its flood" 198.18.10.7
[ "$(adv_ctr synproxy_open)" = "$o0" ] || fail "dsr-auto proxied a connection while calm"
ok "dsr-auto (syn_proxy: auto) serves through host3's static VIP while calm"
a0=$(vs_flows dsr-auto)
# the paced client starts once the flood has turned the proxy on: scapy takes
# seconds to build its packets, and a client done before that proves nothing
(
	for _ in $(seq 100); do [ "$(adv_ctr synproxy_on)" -gt "$on0" ] && break; sleep 0.2; done
	paced_clients 10 "$SG_RUN/paced4" 198.18.10.7
) &
paced=$!
flood 198.18.10.7 S
wait "$paced"
a1=$(vs_flows dsr-auto) o1=$(adv_ctr synproxy_open)
[ "$(adv_ctr synproxy_on)" -gt "$on0" ] || fail "syn_proxy auto did not turn on under the flood"
[ "$(cat "$SG_RUN/paced4")" = 0 ] || fail "$(cat "$SG_RUN/paced4") of 10 paced requests to dsr-auto failed"
[ "$o1" -gt "$o0" ] || fail "no connection to dsr-auto went through the proxy (hand-off to a static VIP)"
[ "$((a1 - a0))" -lt "$((FLOOD / 4))" ] || fail "auto let $((a1 - a0)) of $FLOOD flood SYNs make flows"
ok "dsr-auto: on under the flood, flows $a0 -> $a1 of $FLOOD SYNs, 10/10 paced ($((o1 - o0)) proxied by hand-off)"
sleep 3 # syn_proxy_hold_s: 2 calm seconds, then the next SYN decides
legit_http http://198.18.10.7/ >/dev/null || fail "dsr-auto unanswered after its flood"
proxied_get "dsr-auto after its flood" 198.18.10.7
[ "$(adv_ctr synproxy_off)" -gt "$off0" ] || fail "syn_proxy auto did not turn off once calm"
ok "dsr-auto: off again after the flood"

proxied_get "after the floods"
legit_brokered "after the floods"
assert_served "after the floods"
dp_alive || fail "sg-dataplane is gone"
ok "syn-proxy-dsr: no crash, every client served"
