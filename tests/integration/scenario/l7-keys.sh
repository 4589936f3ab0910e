#!/usr/bin/env bash
# Every L7 key type end to end (issue 16), over IPv4 and IPv6: real clients
# (curl, openssl s_client, an RDP X.224 Connection Request and a raw TCP
# client from l7peer.py) -> sg-dataplane (brokered VSs, one per key type and
# family) -> sg-control (one application per key value) -> host agents on
# libvirt's test driver -> servers that name themselves. Per key type and
# family: the application's VM answers, and a key no application matches
# gets the no-app answer (HTTP 503, else RST). NAT and DSR hand-off both run
# in each family (the DSR VMs' hosts run sg-hostagent's tc-BPF datapath; the
# IPv6 hand-off is IPv6-in-IPv6 to an IPv6 host). Which combination ran is
# printed at the end.
#
#   VM    address              host (agent)           serves
#   a4    198.18.1.11          h1                     NAT, IPv4
#   b4    198.18.1.13          h1                     NAT, IPv4
#   d4    198.18.1.21          h3 (datapath, v4 host) DSR hand-off, IPv4
#   a6    2001:2:0:1::11       h1                     NAT, IPv6
#   b6    2001:2:0:1::13       h1                     NAT, IPv6
#   d6    2001:2:0:1::12       h2 (datapath, v6 host) DSR hand-off, IPv6
#
# Each VM serves HTTP :80 (backend.py), TLS :443, RDP :3389 and raw TCP
# :7000 (l7peer.py), all answering with the VM's name.
. "$(dirname "$0")/lib.sh"
[ -x "$SG_AGENT_BIN" ] || fail "missing $SG_AGENT_BIN (build hostagent/)"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" "$SG_RUN"/agent*.log >&2; broker_stop'
VIP4=198.18.10.3
VIP6=2001:2:0:10::3
BOOT_MS=300
T_START=$(now)

# --- topology: h1 (NAT VMs), h2 (IPv6 DSR host), h3 (IPv4 DSR host) ----------
topo_up
topo_host3 198.18.1.21 - || fail "host h3"
ip -n "$(topo_ns h1)" addr add 198.18.1.13/24 dev eth0
ip -n "$(topo_ns h1)" addr add 2001:2:0:1::13/64 dev eth0 nodad
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=l7.example \
	-keyout "$SG_RUN/tls.key" -out "$SG_RUN/tls.crt" >/dev/null 2>&1 || fail "openssl req"

# vm_serve NS NAME ADDR: the VM's four servers in namespace NS.
vm_serve() {
	local ns=$1 name=$2 a=$3
	[[ $a == *:* ]] && a="[$a]"
	setsid ip netns exec "$(topo_ns "$ns")" python3 "$SG_SRC/scripts/lib/backend.py" \
		--name "$name" --http "$a:80" >"$SG_RUN/http-$name.log" 2>&1 </dev/null &
	setsid ip netns exec "$(topo_ns "$ns")" python3 "$SCEN_DIR/l7peer.py" serve --name "$name" \
		--tls "$a:443" --cert "$SG_RUN/tls.crt" --key "$SG_RUN/tls.key" --rdp "$a:3389" \
		--raw "$a:7000" >"$SG_RUN/peer-$name.log" 2>&1 </dev/null &
}
vm_serve h1 a4 198.18.1.11
vm_serve h1 b4 198.18.1.13
vm_serve h3 d4 198.18.1.21
vm_serve h1 a6 2001:2:0:1::11
vm_serve h1 b6 2001:2:0:1::13
vm_serve h2 d6 2001:2:0:1::12
for vm in a4 b4 d4 a6 b6 d6; do
	wait_for 20 grep -q "^backend $vm: serving" "$SG_RUN/http-$vm.log" ||
		fail "backend $vm: $(cat "$SG_RUN/http-$vm.log")"
	wait_for 20 grep -q "^l7peer $vm: serving" "$SG_RUN/peer-$vm.log" ||
		fail "l7peer $vm: $(cat "$SG_RUN/peer-$vm.log")"
done

# --- sg-dataplane: one brokered VS per key type and family --------------------
# port  key                                   applications (VM, hand-off)
# 8080  http_host                             a.example (a, nat), d.example (d, dsr)
#   81  http_path                             /a/ (a, nat), /b/ (d, dsr)
#   82  http_cookie (sid)                     sid (b, nat)
#   83  http_header (X-Tenant)                X-Tenant (a, nat)
#   84  http_cookie (sid)                     sid (d, dsr)
#   85  http_header (X-Tenant)                X-Tenant (d, dsr)
#  443  tls_sni                               tls-a.example (a, nat), tls-d.example (d, dsr)
# 3389  rdp_cookie                            mstshash (b, nat), msts (d, dsr)
# 7000  prefix (4 bytes)                      SG-A (a, nat), SG-B (b, nat), SG-D (d, dsr)
#   86  http_path, mode redirect              /r/ (a, 307 to http://VM:80/path)
# Every key type runs both hand-offs in both families.
# the demo's appliance (config/examples/demo.yaml: an IPv6 NAT source, pools
# web and web6; its brokered VSs use 198.18.10.3 ports 80 and 8083, not ours)
make_config
vs() { # vs FAMILY PORT KEY-MAP [MODE]
	local vip=$VIP4 pool=web
	[ "$1" = 6 ] && vip=$VIP6 pool=web6
	cat >>"$SG_RUN/sg.yaml" <<YAML
  - { name: l7-$1-$2, vip: "$vip", port: $2, protocol: tcp, mode: ${4:-brokered}, pool: $pool,
      timeouts: { tcp_transitory: 5 }, brokered: { hold_timeout_ms: 20000, $3 } }
YAML
}
for f in 4 6; do
	vs $f 8080 "key: http_host"
	vs $f 81 "key: http_path"
	vs $f 82 "key: http_cookie, key_name: sid"
	vs $f 83 "key: http_header, key_name: X-Tenant"
	vs $f 84 "key: http_cookie, key_name: sid"
	vs $f 85 "key: http_header, key_name: X-Tenant"
	vs $f 443 "key: tls_sni"
	vs $f 3389 "key: rdp_cookie"
	vs $f 7000 "key: prefix, prefix_len: 4"
	vs $f 86 "key: http_path" redirect
done
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"

# --- sg-control: one application per key value --------------------------------
aport=$((20000 + $$ % 20000))
mkdir -p "$SG_RUN/bpffs" "$SG_RUN/agent-keys"
mountpoint -q "$SG_RUN/bpffs" || mount -t bpf bpf "$SG_RUN/bpffs" || fail "bpffs"
chmod 700 "$SG_RUN/agent-keys"
for h in h1 h2 h3; do
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent-keys/$h.key"
	chmod 600 "$SG_RUN/agent-keys/$h.key"
done
cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 64
  agent_listen: 198.18.1.1:$aport
  agent_key_dir: $SG_RUN/agent-keys
  metrics_listen: 127.0.0.1:$((aport + 1))
  ring_poll_us: 100
  idmgr_dir: $SG_RUN/idmgr
  timeouts: { queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000 }
hosts:
  - { name: h1, address: 198.18.1.11 }
  - { name: h2, address: "2001:2:0:1::12", agent_address: 198.18.1.12 }
  - { name: h3, address: 198.18.1.21 }
pools:
YAML
for p in a4:h1:198.18.1.11 b4:h1:198.18.1.13 d4:h3:198.18.1.21 a6:h1:2001:2:0:1::11 \
	b6:h1:2001:2:0:1::13 d6:h2:2001:2:0:1::12; do
	IFS=: read -r vm host addr <<<"$p"
	addr=${p#"$vm:$host:"}
	cat >>"$SG_RUN/control.yaml" <<YAML
  - { name: p-$vm, session_cap: 100, idle_stop_ms: 600000,
      vms: [{ name: $vm, host: $host, address: "$addr" }] }
YAML
done
echo "applications:" >>"$SG_RUN/control.yaml"
app() { # app FAMILY PORT NAME MATCH VM MODE [BACKEND_PORT]
	local vip=$VIP4
	[ "$1" = 6 ] && vip=$VIP6
	cat >>"$SG_RUN/control.yaml" <<YAML
  - { name: v$1-$3, vip: "$vip", port: $2, match: { $4 }, pool: p-$5$1, mode: $6,
      backend_port: ${7:-$2} }
YAML
}
for f in 4 6; do
	app $f 8080 host-a "http_host: a.example" a nat 80
	app $f 8080 host-d "http_host: d.example" d dsr 80
	app $f 81 path-a '"http_path": "/a/"' a nat 80
	app $f 81 path-d '"http_path": "/b/"' d dsr 80
	app $f 82 cookie-b "http_cookie: sid" b nat 80
	app $f 83 header-a "http_header: X-Tenant" a nat 80
	app $f 84 cookie-d "http_cookie: sid" d dsr 80
	app $f 85 header-d "http_header: X-Tenant" d dsr 80
	app $f 443 sni-a "tls_sni: tls-a.example" a nat
	app $f 443 sni-d "tls_sni: tls-d.example" d dsr
	app $f 3389 rdp-b "rdp_cookie: mstshash" b nat
	app $f 3389 rdp-d "rdp_cookie: msts" d dsr
	app $f 7000 pfx-a "prefix: SG-A" a nat
	app $f 7000 pfx-b "prefix: SG-B" b nat
	app $f 7000 pfx-d "prefix: SG-D" d dsr
	app $f 86 redir-a '"http_path": "/r/"' a redirect 80
done

# --- host agents: h1 (NAT VMs), h2 and h3 (DSR hosts with the datapath) -------
broker_node a4 b4 a6 b6 >"$SG_RUN/node1.xml"
broker_node d6 >"$SG_RUN/node2.xml"
broker_node d4 >"$SG_RUN/node3.xml"
{
	broker_agent_yaml h1 "$BOOT_MS" "$aport"
	echo "  - { name: a4, address: 198.18.1.11, port: 80 }"
	echo "  - { name: b4, address: 198.18.1.13, port: 80 }"
	echo "  - { name: a6, address: \"2001:2:0:1::11\", port: 80 }"
	echo "  - { name: b6, address: \"2001:2:0:1::13\", port: 80 }"
} >"$SG_RUN/agent1.yaml"
{
	broker_agent_yaml h2 "$BOOT_MS" "$aport"
	echo "  - { name: d6, address: \"2001:2:0:1::12\", port: 80 }"
	echo "datapath: { uplink: eth0, host_address6: \"2001:2:0:1::12\", pin_dir: $SG_RUN/bpffs/h2 }"
} >"$SG_RUN/agent2.yaml"
{
	broker_agent_yaml h3 "$BOOT_MS" "$aport"
	echo "  - { name: d4, address: 198.18.1.21, port: 80 }"
	echo "datapath: { uplink: eth0, host_address: 198.18.1.21, pin_dir: $SG_RUN/bpffs/h3 }"
} >"$SG_RUN/agent3.yaml"
ctl_start || fail "sg-control did not start"
for h in 1 2 3; do
	setsid ip netns exec "$(topo_ns "h$h")" "$SG_AGENT_BIN" -c "$SG_RUN/agent$h.yaml" \
		>>"$SG_RUN/agent$h.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent$h.pid"
done
wait_for 20 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
	grep -q '\"agents_connected\": *3'" || fail "the three host agents did not connect"
ok "sg-dataplane, sg-control and three host agents up ($(ms_since "$T_START") ms)"

# --- the checks ---------------------------------------------------------------
RAN=()
PAD=$(head -c 1400 /dev/zero | tr '\0' p)
# expect WHAT WANT GOT
expect() {
	[ "$3" = "$2" ] || fail "$1: expected '$2', got '$3'"
	ok "$1: $3"
	RAN+=("$1")
}
vip() { if [ "$1" = 6 ]; then echo "[$VIP6]"; else echo "$VIP4"; fi; }
rawvip() { if [ "$1" = 6 ]; then echo "$VIP6"; else echo "$VIP4"; fi; }
# get F URL CURL-ARGS...: the body (a VM's name) or, when the status is not
# 200, "HTTP <code>".
get() {
	local f=$1 url=$2 out code
	shift 2
	out=$(client curl "-$f" -sg --max-time 25 -w '\n%{http_code}' "$@" "$url") || true
	code=${out##*$'\n'}
	if [ "$code" = 200 ]; then echo "${out%$'\n'*}"; else echo "HTTP $code"; fi
}
# http F PORT PATH CURL-ARGS...: get http://VIP:PORT/PATH.
http() {
	local f=$1 port=$2 path=$3
	shift 3
	get "$f" "http://$(vip "$f"):$port$path" "$@"
}
# named F NAME PATH: get http://NAME:8080PATH, NAME resolved to the VIP: curl
# sends "Host: NAME:8080", as a browser would.
named() { get "$1" "http://$2:8080$3" --resolve "$2:8080:$(vip "$1")"; }
# tls F SNI: the name the TLS server sent, or "RESET" / the failure.
tls() {
	local out
	out=$(echo | client timeout 25 openssl s_client -quiet -connect "$(vip "$1"):443" \
		-servername "$2" 2>"$SG_RUN/sclient.err") || true
	if [ -n "$out" ]; then
		echo "$out"
	elif grep -qE "errno=104|Connection reset" "$SG_RUN/sclient.err"; then
		echo RESET
	else
		echo "FAILED $(tr '\n' ' ' <"$SG_RUN/sclient.err" | head -c 300)"
	fi
}
peer() { client timeout 25 python3 "$SCEN_DIR/l7peer.py" "$1" "$(rawvip "$2")" "${@:3}" || echo "FAILED ($?)"; }
agent_ctr() { echo counters | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent$1.sock" | awk -v k="$2" '$1 == k { print $2 }'; }

for f in 4 6; do
	# the first sessions of b and d: their VM boots while the client fills the
	# hold (16 KB) and probes the zero window with newer timestamps; the VM
	# must still take the held bytes replayed after the hand-off's SYN
	expect "v$f prefix nat 1 MB up, VM booting" "b$f 1000011" \
		"$(peer raw $f 7000 SG-B-hello --pad 1000000)"
	expect "v$f prefix dsr 1 MB up, VM booting" "d$f 1000011" \
		"$(peer raw $f 7000 SG-D-hello --pad 1000000)"
	# curl http://a.example:8080/ as a browser would: "Host: a.example:8080"
	expect "v$f http_host nat" a$f "$(named $f a.example /)"
	expect "v$f http_host dsr" d$f "$(named $f d.example /)"
	n=$(client curl "-$f" -sg --max-time 20 --resolve "d.example:8080:$(vip $f)" \
		"http://d.example:8080/bytes/1000000" | wc -c)
	expect "v$f http_host dsr 1 MB" 1000000 "$n"
	expect "v$f http_host no app" "HTTP 503" "$(named $f other.example /)"
	expect "v$f http_path nat /a/" a$f "$(http $f 81 /a/x)"
	expect "v$f http_path dsr /b/" d$f "$(http $f 81 /b/x)"
	expect "v$f http_path no app" "HTTP 503" "$(http $f 81 /c/x)"
	expect "v$f http_cookie nat" b$f "$(http $f 82 / --cookie 'lang=en; sid=alice')"
	expect "v$f http_cookie dsr" d$f "$(http $f 84 / --cookie 'sid=bob; lang=en')"
	expect "v$f http_cookie no app" "HTTP 503" "$(http $f 82 / --cookie 'lang=en; sidx=alice')"
	expect "v$f http_header nat" a$f "$(http $f 83 / -H 'X-Tenant: alice')"
	expect "v$f http_header dsr" d$f "$(http $f 85 / -H 'x-tenant: bob')"
	expect "v$f http_header no app" "HTTP 503" "$(http $f 83 / -H 'X-Tenants: alice')"
	expect "v$f tls_sni nat" a$f "$(tls $f tls-a.example)"
	expect "v$f tls_sni dsr" d$f "$(tls $f tls-d.example)"
	expect "v$f tls_sni no app" RESET "$(tls $f tls-z.example)"
	expect "v$f rdp_cookie nat" b$f "$(peer rdp $f 3389 mstshash=alice)"
	expect "v$f rdp_cookie dsr" d$f "$(peer rdp $f 3389 msts=1234567.15629.0000)"
	expect "v$f rdp_cookie no app" RESET "$(peer rdp $f 3389 -)"
	expect "v$f prefix nat" "a$f 11" "$(peer raw $f 7000 SG-A-hello)"
	expect "v$f prefix dsr" "d$f 11" "$(peer raw $f 7000 SG-D-hello)"
	expect "v$f prefix nat 1 MB up" "a$f 1000011" "$(peer raw $f 7000 SG-A-hello --pad 1000000)"
	expect "v$f prefix dsr 1 MB up" "d$f 1000011" "$(peer raw $f 7000 SG-D-hello --pad 1000000)"
	expect "v$f http_host nat 1400-byte first segment" a$f "$(http $f 8080 / -H 'Host: a.example' -H "X-Pad: $PAD")"
	expect "v$f http_host dsr 1400-byte first segment" d$f "$(http $f 8080 / -H 'Host: d.example' -H "X-Pad: $PAD")"
	expect "v$f prefix no app" RESET "$(peer raw $f 7000 XY-Z-hello)"
	a=198.18.1.11
	[ $f = 6 ] && a="[2001:2:0:1::11]"
	expect "v$f http_path redirect" "307 http://$a:80/r/x" "$(client curl "-$f" -sg \
		--max-time 25 -o /dev/null -w '%{http_code} %{redirect_url}' "http://$(vip $f):86/r/x")"
	expect "v$f http_path redirect followed" a$f "$(http $f 86 /r/ -L)"
done

# sgctl sessions while a download runs in each family (2 s at 150 kB/s, from
# client port 3100F, below the ephemeral range): the application, the VM and
# the client as ADDRESS:PORT ([IPv6]:PORT)
dl=()
for f in 4 6; do
	client curl "-$f" -sg --max-time 10 -o /dev/null --local-port "3100$f" \
		--resolve "d.example:8080:$(vip $f)" "http://d.example:8080/bytes/300000?rate=150000" &
	dl+=($!)
done
want='[{"app": "v4-host-d", "vm": "d4", "client": "198.18.0.2:31004"},
	{"app": "v6-host-d", "vm": "d6", "client": "[2001:2::2]:31006"}]'
wait_for 5 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json sessions |
	python3 -c \"import json, sys
got = [dict(app=s['app'], vm=s['vm'], client=s['client'])
       for s in json.load(sys.stdin) if s['state'] == 'installed']
sys.exit(0 if all(w in got for w in json.loads(sys.argv[1])) else 1)\" '$want'" ||
	{ sgctl sessions; fail "sgctl sessions: want the two downloads as $want"; }
wait "${dl[@]}" || fail "a download listed by sgctl sessions failed"
ok "sgctl sessions: both downloads with their application, VM and client ([IPv6]:port)"
RAN+=("sgctl sessions v4+v6")

# each DSR session was handed off through its host's datapath (v4: h3, v6: h2)
for h in 2 3; do
	f=$((h == 2 ? 6 : 4))
	n=$(printf '%s\n' "${RAN[@]}" | grep -c "^v$f .* dsr")
	syn=$(agent_ctr $h bpf_handoff_syn)
	xl=$(agent_ctr $h bpf_return_xlate)
	[ "${syn:-0}" -ge "$n" ] && [ "${xl:-0}" -ge "$n" ] ||
		fail "host h$h datapath: handoff_syn=$syn return_xlate=$xl (expected >= $n each)"
	ok "host h$h datapath: $syn hand-off SYNs, $xl translated replies ($n IPv$f DSR checks)"
done
# every application was chosen at least once, under its own rule; each
# no-app answer was sg-control's reject (no hold timeout, no failed hand-off)
sgctl --json apps >"$SG_RUN/apps.json"
python3 - "$SG_RUN/apps.json" "$SG_RUN/control.yaml" <<'PY' || fail "sgctl apps (above)"
import json, re, sys
apps = json.load(open(sys.argv[1]))
rules = dict(re.findall(r"name: (v[46]-[a-z-]+), .*match: \{ \"?([a-z_]+)", open(sys.argv[2]).read()))
bad = ["%s: match %s (want %s), %d installs" % (a["name"], a.get("match"), rules.get(a["name"]),
       a["installs"]) for a in apps
       if a["installs"] < 1 or a.get("match") != rules.get(a["name"])]
print("\n".join(bad) or "%d applications, each installed >= 1 under its rule" % len(apps))
sys.exit(1 if bad or len(apps) != len(rules) else 0)
PY
inst=$(telemetry_get /sg/stats "d['sess_installed']")
rej=$(telemetry_get /sg/stats "d['sess_rejected']")
tmo=$(telemetry_get /sg/stats "'sess_timeout %d install_failed %d' % (d['sess_timeout'], d['install_failed'])")
tmo_why=$(telemetry_get /sg/stats "'hold %d connect %d replay %d' % (d['sess_timeout_hold'], d['sess_timeout_connect'], d['sess_timeout_replay'])")
noapp=$(printf '%s\n' "${RAN[@]}" | grep -c "no app$")
[ "$rej" -eq "$noapp" ] && [ "$tmo" = "sess_timeout 0 install_failed 0" ] || {
	dp_telemetry /sg/stats >&2
	fail "data plane: $rej sessions rejected (want $noapp), $tmo (timeouts: $tmo_why)"
}
ok "data plane: $inst sessions installed, $rej rejected by sg-control ($noapp no-app checks);" \
	"$(telemetry_get /sg/stats "d['drop_hold_dsr']") client segments left to resend during a DSR connect"
# (a sanitizer build: UBSan reports do not stop the process, ASan's would)
if grep -E "runtime error|Sanitizer" "$SG_RUN"/dataplane.log "$SG_RUN"/control.log \
	"$SG_RUN"/agent*.log >&2; then
	fail "sanitizer report in a daemon's log (above)"
fi
echo "ran (${#RAN[@]} checks, $(ms_since "$T_START") ms): ${RAN[*]}"
echo "PASS l7-keys"
