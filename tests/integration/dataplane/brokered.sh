#!/usr/bin/env bash
# Brokered sessions end to end (doc/sessions.md): real curl clients in a
# namespace, sg-dataplane (SYN cookies, hold, L7 key, NAT and DSR hand-off
# with sequence translation), sg-control with its LMDB stores, two
# sg-hostagent instances on libvirt's test driver with a simulated boot delay
# (one with its tc-BPF datapath for the DSR hand-off), python HTTP servers as
# the VMs. Checks: a first request waits for its VM to boot and succeeds, a
# second goes straight through (NAT and DSR), sgctl lists both sessions, a request no
# application matches gets HTTP 503, redirect mode answers 307 and curl
# follows it, a frozen sg-control makes held sessions time out with 503
# while installed flows keep working, and a SYN flood adds no flow entry.
. "$(dirname "$0")/lib.sh"

. "$SG_SRC/scripts/lib/brokered.sh"
for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN"; do
	[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
done
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" "$SG_RUN/agent.log" "$SG_RUN/agent3.log" >&2; broker_stop'

topo_up
broker_vm_addrs || fail "host3 and the VM addresses"
backends_start
# TLS servers on the hosts for the SNI-keyed application
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tls.example \
	-keyout "$SG_RUN/tls.key" -out "$SG_RUN/tls.crt" >/dev/null 2>&1 || fail "openssl req"
for h in 1 2; do
	setsid ip netns exec "$(topo_ns "h$h")" openssl s_server -quiet -accept 443 -www \
		-cert "$SG_RUN/tls.crt" -key "$SG_RUN/tls.key" >"$SG_RUN/tls$h.log" 2>&1 </dev/null &
done
# UDP responders of the VMs on port 5354, bound to each VM's own address (a
# socket bound to 0.0.0.0 would answer from the host's first address)
setsid ip netns exec "$(topo_ns h1)" python3 "$SG_SRC/scripts/lib/backend.py" --name host1 \
	--udp 198.18.1.11:5354 --udp 198.18.1.13:5354 --udp 198.18.1.15:5354 \
	>"$SG_RUN/udp1.log" 2>&1 </dev/null &
setsid ip netns exec "$(topo_ns h2)" python3 "$SG_SRC/scripts/lib/backend.py" --name host2 \
	--udp 198.18.1.12:5354 --udp 198.18.1.14:5354 >"$SG_RUN/udp2.log" 2>&1 </dev/null &
# demo.yaml has app-brokered (:80), app-brokered-dsr (:8083) and app-redirect
make_config
cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - name: app-udp
    vip: 198.18.10.3
    port: 5353
    protocol: udp
    mode: brokered
    pool: web
    brokered: { hold_timeout_ms: 20000 }
  - name: app-short-hold
    vip: 198.18.10.3
    port: 8080
    protocol: tcp
    mode: brokered
    pool: web
    brokered: { key: http_host, hold_timeout_ms: 2000, retry_after_s: 7 }
  - name: app-solo
    vip: 198.18.10.3
    port: 8081
    protocol: tcp
    mode: brokered
    pool: web
    brokered: { key: http_host, hold_timeout_ms: 20000 }
  - name: app-tls
    vip: 198.18.10.3
    port: 443
    protocol: tcp
    mode: brokered
    pool: web
    timeouts: { tcp_transitory: 5 }
    brokered: { key: tls_sni, hold_timeout_ms: 20000 }
YAML
dp_start "$SG_RUN/sg.yaml"
broker_configs 3000 600000 60
ctl_start || fail "sg-control did not start"
agent_start || fail "the host agent did not connect"
ok "sg-dataplane, sg-control and two sg-hostagent instances up"

# --- 1: first request waits for a VM to boot, then succeeds ------------------
t0=$(date +%s.%N)
out=$(client curl -s --max-time 30 -H "Host: app.example" http://198.18.10.3/) ||
	{ cat "$SG_RUN/control.log" >&2; fail "first brokered request failed"; }
t1=$(date +%s.%N)
case "$out" in host1 | host2) ;; *) fail "first brokered request: unexpected answer '$out'" ;; esac
wait1=$(python3 -c "print(round($t1 - $t0, 2))")
python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 2.5 else 1)" ||
	fail "first request took ${wait1}s: it should have waited for the 3 s boot"
ok "first brokered request held ${wait1}s while its VM booted, answered by $out"

# --- 2: the second goes straight to the running VM ---------------------------
t0=$(date +%s.%N)
out=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3/) ||
	fail "second brokered request failed"
t1=$(date +%s.%N)
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 2 else 1)" ||
	fail "second request was slow ($(python3 -c "print(round($t1 - $t0, 2))")s)"
ok "second brokered request answered by $out in $(python3 -c "print(round($t1 - $t0, 3))")s"

# a larger transfer through the spliced connection (sequence translation)
n=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3/bytes/1000000 | wc -c)
[ "$n" -eq 1000000 ] || fail "1 MB through a brokered NAT session: got $n bytes"
ok "1 MB through a brokered NAT session"

sessions=$(sgctl sessions)
echo "$sessions"
[ "$(echo "$sessions" | grep -c app)" -ge 2 ] || fail "sgctl sessions lists fewer than 2 sessions"
ok "sgctl sessions lists the brokered sessions"

# --- 2b: TLS, keyed on the ClientHello's SNI, handed off to the VM's TLS server
code=$(client curl -sk --max-time 20 -o "$SG_RUN/tls.out" -w '%{http_code}' \
	--resolve tls.example:443:198.18.10.3 https://tls.example/) || fail "TLS brokered request failed"
[ "$code" = 200 ] && [ -s "$SG_RUN/tls.out" ] ||
	fail "TLS brokered request: HTTP $code, $(wc -c <"$SG_RUN/tls.out") bytes: $(head -c 200 "$SG_RUN/tls.out")"
ok "TLS session keyed on SNI tls.example, handed off to the VM's openssl s_server"

# --- 2c: 200 concurrent clients, a pool of 4 VMs (cap 60 sessions) started on demand
res=$(client python3 "$SG_SRC/scripts/lib/httpload.py" 198.18.10.3 80 200 --timeout 25 \
	--host-header app.example) || fail "200 concurrent brokered clients: $res"
echo "$res" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['ok'] == 200 else 1)" ||
	fail "200 concurrent brokered clients: $res"
running=$(sgctl vms | grep -c " running ")
[ "$running" -eq 4 ] || { sgctl vms; fail "expected 4 running VMs, found $running"; }
ok "200 concurrent brokered clients all served; 4 VMs running ($res)"

# --- 2d: UDP: the datagram is held, then flushed to the VM; the answer comes back
out=$(echo ping | client socat -t5 - UDP:198.18.10.3:5353) || fail "UDP brokered: no answer"
case "$out" in "host1 ping" | "host2 ping") ok "UDP brokered session answered: $out" ;;
*) fail "UDP brokered: unexpected answer '$out'" ;; esac

# --- 2e: DSR hand-off: vm6 on host3 (3 s boot) answers the client directly;
# host3's eBPF program returns the VM's first segments to the data plane and
# translates the rest. Counters prove the path: hand-off SYNs and bounces on
# the host, bounces in the data plane, translated replies sent directly.
agent3() { echo "$1" | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent3.sock"; }
agent3_ctr() { agent3 counters | awk -v k="$1" '$1 == k { print $2 }'; }
b0=$(telemetry_get /sg/stats "d['bounce']")
t0=$(date +%s.%N)
out=$(client curl -s --max-time 30 -H "Host: app.example" http://198.18.10.3:8083/) ||
	fail "first DSR hand-off request failed"
t1=$(date +%s.%N)
[ "$out" = vm6 ] || fail "first DSR hand-off request: unexpected answer '$out'"
wait1=$(python3 -c "print(round($t1 - $t0, 2))")
python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 2.5 else 1)" ||
	fail "first DSR request took ${wait1}s: it should have waited for the 3 s boot"
ok "DSR hand-off: first request held ${wait1}s while vm6 booted, answered by $out"
t0=$(date +%s.%N)
out=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3:8083/) ||
	fail "second DSR hand-off request failed"
t1=$(date +%s.%N)
[ "$out" = vm6 ] || fail "second DSR hand-off request: unexpected answer '$out'"
python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 2 else 1)" ||
	fail "second DSR request was slow ($(python3 -c "print(round($t1 - $t0, 2))")s)"
ok "DSR hand-off: second request answered in $(python3 -c "print(round($t1 - $t0, 3))")s"
n=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3:8083/bytes/1000000 | wc -c)
[ "$n" -eq 1000000 ] || fail "1 MB through a DSR hand-off: got $n bytes"
syn=$(agent3_ctr bpf_handoff_syn)
bnc=$(agent3_ctr bpf_handoff_bounce)
xl=$(agent3_ctr bpf_return_xlate)
bdp=$(($(telemetry_get /sg/stats "d['bounce']") - b0))
[ "${syn:-0}" -ge 3 ] && [ "${bnc:-0}" -ge 3 ] && [ "$bdp" -ge 3 ] && [ "${xl:-0}" -ge 10 ] || {
	agent3 counters >&2
	fail "DSR hand-off counters: host syn=$syn bounce=$bnc xlate=$xl, data plane bounce=$bdp"
}
ok "DSR hand-off: 1 MB sent directly by the VM ($xl translated GSO segments), $syn hand-off SYNs, $bnc bounces ($bdp in the data plane)"

# --- 3: no application matches: HTTP 503 with Retry-After --------------------
hdr=$(client curl -s -i --max-time 10 -H "Host: other.example" http://198.18.10.3/) || true
# (status lines and headers are matched without a pipe: under pipefail an
# early-exiting grep -q can SIGPIPE the echo and fail a passing check)
[[ ${hdr%%$'\n'*} == *" 503"* ]] || fail "unmatched host: expected 503, got '${hdr%%$'\n'*}'"
grep -qi "^Retry-After:" <<<"$hdr" || fail "503 without Retry-After"
ok "unmatched host answered 503 with Retry-After"

# --- 4: redirect mode: 307 to the VM, curl follows it -------------------------
hdr=$(client curl -s -i --max-time 30 http://198.18.10.4/hello) || true
[[ ${hdr%%$'\n'*} == *" 307"* ]] || fail "redirect: expected 307, got '${hdr%%$'\n'*}'"
out=$(client curl -s -L --max-time 30 http://198.18.10.4/) || fail "redirect: curl -L failed"
case "$out" in host1 | host2) ok "redirect: 307 followed to $out" ;;
*) fail "redirect: unexpected answer '$out'" ;; esac

# --- 5: sg-control frozen: installed flows keep working, held ones time out --
client curl -s --max-time 20 --limit-rate 100k -o /dev/null -w '%{size_download}' \
	-H "Host: app.example" http://198.18.10.3/bytes/300000 >"$SG_RUN/long.out" &
lpid=$!
sleep 0.5
kill -STOP "$(cat "$SG_RUN/control.pid")"
ok "sg-control frozen (SIGSTOP) during a 3 s download"
hdr=$(client curl -s -i --max-time 10 -H "Host: app.example" http://198.18.10.3:8080/) || true
[[ ${hdr%%$'\n'*} == *" 503"* ]] ||
	fail "held session without control: expected 503, got '${hdr%%$'\n'*}'"
grep -qi "^Retry-After: 7" <<<"$hdr" || fail "timeout answer lacks Retry-After: 7"
ok "held session timed out with 503 while sg-control was frozen"
wait "$lpid" || fail "installed flow broke while sg-control was frozen"
[ "$(cat "$SG_RUN/long.out")" = 300000 ] || fail "installed flow: got $(cat "$SG_RUN/long.out") of 300000 bytes"
ok "installed flow kept working while sg-control was frozen"
kill -CONT "$(cat "$SG_RUN/control.pid")"
wait_for 10 "$SG_SGCTL_BIN" -s "$SG_RUN/control.sock" status || fail "sg-control did not come back from SIGSTOP"

# --- 6: kill -9 of sg-control while a session waits for its VM (vm5, 3 s boot);
# after the restart the session is resolved: the client is served, once
sgctl vms | grep -q "vm5 .* stopped" || { sgctl vms; fail "vm5 should still be stopped"; }
client curl -s --max-time 25 -H "Host: app.example" http://198.18.10.3:8081/ >"$SG_RUN/held.out" 2>&1 &
cpid=$!
sleep 1
sgctl sessions --app app-solo | grep -q app-solo || { sgctl sessions --app app-solo; fail "the session to vm5 is not waiting in sg-control"; }
kill -9 "$(cat "$SG_RUN/control.pid")"
sleep 0.5
ctl_start || fail "sg-control did not restart"
wait "$cpid" || fail "held session across a control restart failed: $(cat "$SG_RUN/held.out")"
n=$(sgctl sessions --app app-solo | grep -c app-solo || true)
[ "$n" -eq 1 ] || { sgctl sessions --app app-solo; fail "after the restart sg-control has $n sessions of app-solo, not 1"; }
case "$(cat "$SG_RUN/held.out")" in host1 | host2) ok "held session resolved after sg-control was killed and restarted" ;;
*) fail "held session across restart: '$(cat "$SG_RUN/held.out")'" ;; esac

# --- 7: SYN flood: bounded, adds no flow entries, others still served --------
# 5000 SYNs from random ports through a raw socket, paced to ~20k/s so that a
# busy 2-core machine's af_packet ring keeps up; bounded by timeout.
before=$(telemetry_get /sg/flows "d['total']")
c0=$(telemetry_get /sg/stats "d['syncookie']")
client timeout 30 python3 - <<'PY' || fail "SYN flood sender failed"
import random, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
src, dst = socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.10.3")
for i in range(5000):
    hdr = struct.pack("!HHIIBBHHH", 1024 + i, 80, random.getrandbits(32), 0, 5 << 4, 0x02,
                      65535, 0, 0)
    d = src + dst + struct.pack("!BBH", 0, 6, len(hdr)) + hdr
    c = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    c = (c >> 16) + (c & 0xffff)
    c += c >> 16
    s.sendto(hdr[:16] + struct.pack("!H", ~c & 0xffff) + hdr[18:], ("198.18.10.3", 0))
    if i % 100 == 99:
        time.sleep(0.005)
PY
cookies=$(($(telemetry_get /sg/stats "d['syncookie']") - c0))
out=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3/) || fail "request after the SYN flood failed"
[ "$cookies" -ge 2500 ] || fail "SYN flood: only $cookies of 5000 SYNs answered with a cookie"
after=$(telemetry_get /sg/flows "d['total']")
[ "$after" -le $((before + 2)) ] || fail "SYN flood added flow entries: $before -> $after"
ok "SYN flood: $cookies of 5000 SYNs answered with cookies, flow entries $before -> $after, clients still served"
echo "PASS brokered"
