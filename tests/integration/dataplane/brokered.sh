#!/usr/bin/env bash
# Brokered sessions end to end (doc/sessions.md): real curl clients in a
# namespace, sg-dataplane (SYN cookies, hold, L7 key, NAT hand-off with
# sequence translation), sg-control with its LMDB stores, sg-hostagent on
# libvirt's test driver with a simulated boot delay, python HTTP servers as
# the VMs. Checks: a first request waits for its VM to boot and succeeds, a
# second goes straight through, sgctl lists both sessions, a request no
# application matches gets HTTP 503, redirect mode answers 307 and curl
# follows it, a frozen sg-control makes held sessions time out with 503
# while installed flows keep working, and a SYN flood adds no flow entry.
. "$(dirname "$0")/lib.sh"

CTL=$SG_BUILD/control/sg-control
SGCTL=$SG_BUILD/control/sgctl
AGENT=$SG_BUILD/hostagent/sg-hostagent
for b in "$CTL" "$SGCTL" "$AGENT"; do
	[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
done
SG_CLEANUP_EXTRA='for p in $(cat "$SG_RUN"/*.pid2 2>/dev/null); do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; true'

topo_up
backends_start
make_config
cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - name: app-brokered
    vip: 198.18.10.3
    port: 80
    protocol: tcp
    mode: brokered
    pool: web
    brokered: { key: http_host, hold_timeout_ms: 20000 }
  - name: app-short-hold
    vip: 198.18.10.3
    port: 8080
    protocol: tcp
    mode: brokered
    pool: web
    brokered: { key: http_host, hold_timeout_ms: 2000, retry_after_s: 7 }
  - name: app-redirect
    vip: 198.18.10.4
    port: 80
    protocol: tcp
    mode: redirect
    pool: web
    brokered: { key: http_path }
YAML
dp_start "$SG_RUN/sg.yaml"

# --- sg-control and one host agent with two VMs, both shut off -------------
key="brokered-test-key-$$-0123456789"
echo "$key" >"$SG_RUN/agent.key"
chmod 600 "$SG_RUN/agent.key"
aport=$((20000 + $$ % 20000))
mport=$((aport + 1))
cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 64
  agent_listen: 127.0.0.1:$aport
  agent_key_file: $SG_RUN/agent.key
  metrics_listen: 127.0.0.1:$mport
  ring_poll_us: 100
  idmgr_dir: $SG_RUN/idmgr
  timeouts: { queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000 }
hosts:
  - { name: h1, address: 127.0.0.1 }
pools:
  - name: vms
    session_cap: 100
    idle_stop_ms: 600000
    vms:
      - { name: vm1, host: h1, address: 198.18.1.11 }
      - { name: vm2, host: h1, address: 198.18.1.12 }
applications:
  - { name: app, vip: 198.18.10.3, port: 80, match: { http_host: app.example }, pool: vms,
      mode: nat, backend_port: 80 }
  - { name: app-slow, vip: 198.18.10.3, port: 8080, match: { http_host: app.example }, pool: vms,
      mode: nat, backend_port: 80 }
  - { name: app-redir, vip: 198.18.10.4, port: 80, pool: vms, mode: redirect, backend_port: 80 }
YAML
cat >"$SG_RUN/node.xml" <<'XML'
<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><max>4</max><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu><memory>8388608</memory>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>vm1</name><memory>262144</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate></domain>
<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>vm2</name><memory>262144</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate></domain>
</node>
XML
cat >"$SG_RUN/agent.yaml" <<YAML
host: h1
admin_socket: $SG_RUN/agent.sock
libvirt: { uri: "test://$SG_RUN/node.xml", boot_delay_ms: 3000, resync_ms: 2000, stop_timeout_ms: 3000 }
control: { address: 127.0.0.1, port: $aport, key_file: $SG_RUN/agent.key, ping_ms: 1000, timeout_ms: 5000 }
vms:
  - { name: vm1, address: 198.18.1.11, port: 80 }
  - { name: vm2, address: 198.18.1.12, port: 80 }
YAML
start_ctl() {
	setsid "$CTL" -c "$SG_RUN/control.yaml" -f >>"$SG_RUN/control.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/control.pid2"
	wait_for 10 test -S "$SG_RUN/control.sock" || { cat "$SG_RUN/control.log" >&2; fail "sg-control did not start"; }
}
start_ctl
setsid "$AGENT" -c "$SG_RUN/agent.yaml" >"$SG_RUN/agent.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/agent.pid2"
sgctl() { "$SGCTL" -s "$SG_RUN/control.sock" "$@"; }
wait_for 15 bash -c "'$SGCTL' -s '$SG_RUN/control.sock' --json status | grep -q '\"agents_connected\": *1'" ||
	{ cat "$SG_RUN/agent.log" "$SG_RUN/control.log" >&2; fail "the host agent did not connect"; }
wait_for 10 bash -c "python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' /sg/stats | grep -q ." || true
ok "sg-dataplane, sg-control and sg-hostagent up"

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

# --- 3: no application matches: HTTP 503 with Retry-After --------------------
hdr=$(client curl -s -i --max-time 10 -H "Host: other.example" http://198.18.10.3/) || true
echo "$hdr" | head -1 | grep -q " 503" || fail "unmatched host: expected 503, got '$(echo "$hdr" | head -1)'"
echo "$hdr" | grep -qi "^Retry-After:" || fail "503 without Retry-After"
ok "unmatched host answered 503 with Retry-After"

# --- 4: redirect mode: 307 to the VM, curl follows it -------------------------
hdr=$(client curl -s -i --max-time 30 http://198.18.10.4/hello) || true
echo "$hdr" | head -1 | grep -q " 307" || fail "redirect: expected 307, got '$(echo "$hdr" | head -1)'"
out=$(client curl -s -L --max-time 30 http://198.18.10.4/) || fail "redirect: curl -L failed"
case "$out" in host1 | host2) ok "redirect: 307 followed to $out" ;;
*) fail "redirect: unexpected answer '$out'" ;; esac

# --- 5: sg-control frozen: installed flows keep working, held ones time out --
client curl -s --max-time 20 -H "Host: app.example" http://198.18.10.3/bytes/1 >/dev/null ||
	fail "request before freezing sg-control failed"
kill -STOP "$(cat "$SG_RUN/control.pid2")"
ok "sg-control frozen (SIGSTOP)"
hdr=$(client curl -s -i --max-time 10 -H "Host: app.example" http://198.18.10.3:8080/) || true
echo "$hdr" | head -1 | grep -q " 503" || fail "held session without control: expected 503, got '$(echo "$hdr" | head -1)'"
echo "$hdr" | grep -qi "^Retry-After: 7" || fail "timeout answer lacks Retry-After: 7"
ok "held session timed out with 503 while sg-control was frozen"
kill -CONT "$(cat "$SG_RUN/control.pid2")"

# --- 6: kill -9 of sg-control during a held session; resolved after restart --
client curl -s --max-time 25 -H "Host: app.example" http://198.18.10.3/ >"$SG_RUN/held.out" 2>&1 &
cpid=$!
sleep 0.3
kill -9 "$(cat "$SG_RUN/control.pid2")"
sleep 1
start_ctl
wait "$cpid" || fail "held session across a control restart failed: $(cat "$SG_RUN/held.out")"
case "$(cat "$SG_RUN/held.out")" in host1 | host2) ok "held session resolved after sg-control was killed and restarted" ;;
*) fail "held session across restart: '$(cat "$SG_RUN/held.out")'" ;; esac

# --- 7: SYN flood: bounded, adds no flow entries, others still served --------
before=$(telemetry_get /sg/flows "d['total']")
client timeout 5 hping3 -q -S -p 80 -i u200 -c 5000 198.18.10.3 >/dev/null 2>&1 ||
	client python3 - <<'PY'
import socket, struct, random
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for i in range(5000):
    sport = 1024 + i
    hdr = struct.pack("!HHIIBBHHH", sport, 80, random.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
    src = socket.inet_aton("198.18.0.2"); dst = socket.inet_aton("198.18.10.3")
    ph = src + dst + struct.pack("!BBH", 0, 6, len(hdr))
    d = ph + hdr
    c = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    c = (c >> 16) + (c & 0xffff); c += c >> 16
    hdr = hdr[:16] + struct.pack("!H", ~c & 0xffff) + hdr[18:]
    s.sendto(hdr, ("198.18.10.3", 0))
PY
out=$(client curl -s --max-time 10 -H "Host: app.example" http://198.18.10.3/) || fail "request after the SYN flood failed"
cookies=$(telemetry_get /sg/stats "d['syncookie']")
[ "$cookies" -ge 4000 ] || fail "SYN flood: only $cookies SYN cookies sent"
after=$(telemetry_get /sg/flows "d['total']")
[ "$after" -le $((before + 2)) ] || fail "SYN flood added flow entries: $before -> $after"
ok "SYN flood: $cookies cookies, flow entries $before -> $after, clients still served"
echo "PASS brokered"
