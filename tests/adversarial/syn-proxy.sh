#!/bin/bash
# Defect 2 (SYN floods hold NAT ports and flow entries) against the SYN
# proxy: a bounded spoofed SYN flood to a nat VIP with syn_proxy: on adds no
# flow entry and no NAT port (each active nat flow holds exactly one port)
# while a paced client completes every connection and a download started
# before the flood goes on; the same flood to a nat VS with syn_proxy: off
# does add flows (the test can fail); a VS with syn_proxy: auto turns the
# proxy on under the flood (synproxy_on) and off again once calm
# (synproxy_off), serving its clients throughout.
. "$SG_SRC/tests/adversarial/lib.sh"

FLOOD=${SG_SYN_FLOOD:-2000} # SYNs per flood, bounded
topo_up
backends_start
make_config -e 's/^    scheduler: maglev$/    scheduler: maglev\n    syn_proxy: on/'
# a pool whose members listen on :80 whatever the VS port
sed -i 's/^pools:$/pools:\n  - name: web80\n    members:\n      - { name: h1-80, address: 198.18.1.11, port: 80 }\n      - { name: h2-80, address: 198.18.1.12, port: 80 }/' \
	"$SG_RUN/sg.yaml"
cat >>"$SG_RUN/sg.yaml" <<'EOF'
  - name: web-nat-plain
    vip: 198.18.10.2
    port: 8080
    protocol: tcp
    mode: nat
    pool: web80
  - name: web-nat-auto
    vip: 198.18.10.2
    port: 8081
    protocol: tcp
    mode: nat
    pool: web80
    syn_proxy: auto
    syn_proxy_rate: 100
    syn_proxy_hold_s: 2
EOF
grep -q "syn_proxy: on" "$SG_RUN/sg.yaml" || fail "config: web-nat did not get syn_proxy: on"
dp_start "$SG_RUN/sg.yaml"

vs_flows() { telemetry_get /sg/vs "d['${1//-/_}']['active_flows']"; }
flows_total() { telemetry_get /sg/flows "d['total']"; }

# flood DPORT: FLOOD spoofed SYNs (sources in 198.19.0.0/16) to 198.18.10.2:DPORT
flood() {
	scapy_in c "$1" "$FLOOD" <<'PY'
import random, sys
from scapy.all import IP, TCP, send, conf
conf.verb = 0
dport, n = int(sys.argv[1]), int(sys.argv[2])
pk = [IP(src="198.19.%d.%d" % (random.randrange(256), random.randrange(1, 255)),
         dst="198.18.10.2") / TCP(sport=random.randrange(1024, 65535), dport=dport,
                                  flags="S", seq=random.getrandbits(32)) for _ in range(n)]
send(pk, inter=0)
PY
}

# paced_clients URL N OUT: N new connections one after the other, failures counted in OUT
paced_clients() {
	local i bad=0
	for i in $(seq "$2"); do
		legit_http "$1" >/dev/null || bad=$((bad + 1))
		sleep 0.1
	done
	echo "$bad" >"$3"
}

wait_for 10 legit_http http://198.18.10.2/ || fail "the proxied NAT VIP does not answer before the attack"
legit_http http://198.18.10.2:8080/ >/dev/null || fail "the plain NAT VS does not answer before the attack"
[ "$(dp_stat synproxy_open)" -ge 1 ] || fail "a legitimate connection to web-nat did not go through the proxy"
ok "web-nat (syn_proxy: on) and web-nat-plain serve before the attack"

# 1. flood the proxied VS while a download and a paced client run
client curl -s --fail --max-time 50 --limit-rate 400k -o "$SG_RUN/dl" \
	http://198.18.10.2/bytes/4000000 &
dl=$!
sleep 1
f0=$(flows_total) v0=$(vs_flows web-nat) s0=$(dp_stat synproxy_synack)
paced_clients http://198.18.10.2/ 20 "$SG_RUN/paced1" &
paced=$!
flood 80
wait "$paced"
s1=$(dp_stat synproxy_synack) f1=$(flows_total) v1=$(vs_flows web-nat)
[ "$((s1 - s0))" -ge "$FLOOD" ] || fail "synproxy_synack moved by $((s1 - s0)), expected >= $FLOOD"
[ "$(cat "$SG_RUN/paced1")" = 0 ] || fail "$(cat "$SG_RUN/paced1") of 20 paced connections failed during the flood"
# the paced client's own flows may linger (closing): at most its 20 connections
[ "$((v1 - v0))" -le 20 ] || fail "the flood added $((v1 - v0)) flows / NAT ports to web-nat"
[ "$((f1 - f0))" -le 20 ] || fail "the flood added $((f1 - f0)) flow entries"
ok "proxied flood: $((s1 - s0)) cookie SYN-ACKs, flows $f0 -> $f1, web-nat flows/ports $v0 -> $v1, 20/20 paced"
wait "$dl" || fail "the download through web-nat broke during the flood"
[ "$(stat -c %s "$SG_RUN/dl")" = 4000000 ] || fail "the download got $(stat -c %s "$SG_RUN/dl") of 4000000 bytes"
ok "the download started before the flood completed (4000000 bytes)"

# 2. the same flood without the proxy adds flows: the check above can fail
p0=$(vs_flows web-nat-plain)
flood 8080
p1=$(vs_flows web-nat-plain)
[ "$((p1 - p0))" -ge "$((FLOOD / 2))" ] ||
	fail "without the proxy the flood added only $((p1 - p0)) flows (the test cannot tell)"
ok "syn_proxy: off: the flood added $((p1 - p0)) flows and NAT ports"

# 3. auto: on under the flood, the client served, off again when calm
on0=$(dp_stat synproxy_on) off0=$(dp_stat synproxy_off)
legit_http http://198.18.10.2:8081/ >/dev/null || fail "web-nat-auto does not answer before its flood"
a0=$(vs_flows web-nat-auto)
paced_clients http://198.18.10.2:8081/ 10 "$SG_RUN/paced3" &
paced=$!
flood 8081
wait "$paced"
a1=$(vs_flows web-nat-auto)
[ "$(dp_stat synproxy_on)" -gt "$on0" ] || fail "syn_proxy auto did not turn on under the flood"
[ "$(cat "$SG_RUN/paced3")" = 0 ] || fail "$(cat "$SG_RUN/paced3") of 10 paced connections to web-nat-auto failed"
[ "$((a1 - a0))" -lt "$((FLOOD / 4))" ] ||
	fail "auto let $((a1 - a0)) of $FLOOD flood SYNs make flows"
ok "auto: on under the flood, flows $a0 -> $a1 of $FLOOD SYNs, 10/10 paced"
sleep 3 # syn_proxy_hold_s: 2 calm seconds, then the next SYN decides
legit_http http://198.18.10.2:8081/ >/dev/null || fail "web-nat-auto unanswered after its flood"
wait_for 10 legit_http http://198.18.10.2:8081/ >/dev/null
[ "$(dp_stat synproxy_off)" -gt "$off0" ] || fail "syn_proxy auto did not turn off once calm"
ok "auto: off again after the flood"

assert_served "after the floods"
dp_alive || fail "sg-dataplane is gone"
ok "syn-proxy: no crash, every client served"
