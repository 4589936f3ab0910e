#!/usr/bin/env bash
# Member state from sg-control without a reload (MEMBER_STATE on worker 0's
# ring, written by sg-memberstate, the health checker's stand-in): 3 members
# behind a NAT VIP and a DSR VIP (Maglev). DOWN: no new connection reaches
# the member, long transfers keep their members and complete; UP: it gets
# new flows again; no live member: reset answers a SYN with RST at once,
# drop drops; DRAIN keeps established flows, RESET ends them with RST, and
# a downloading client through the NAT VIP whose member speaks first (a
# server sending 1000 bytes every 500 ms, the client only acknowledging) is
# reset too, within 2.5 s of the RESET (curl exit 56), not left waiting.
# Fixed client ports used again after the DOWN (a new connection on the
# 4-tuple of a lingering flow entry) are scheduled on a live member.
. "$(dirname "$0")/lib.sh"
MS="$SG_BUILD/tests/integration/dataplane/sg-memberstate"
[ -x "$MS" ] || fail "sg-memberstate not built ($MS)"

# a third member: namespace h3 on the LAN (198.18.1.21), DSR decapsulation, HTTP
host3_up() {
	local P=$SG_TOPO
	topo_host3 198.18.1.21 - || fail "host h3"
	ip -n "$P-h3" addr add "$SG_VIP4/32" dev lo
	ip netns exec "$P-h3" tc qdisc add dev eth0 clsact
	ip netns exec "$P-h3" tc filter add dev eth0 ingress bpf direct-action \
		obj "$SG_BUILD/scripts/sg-host-decap.bpf.o" sec tc
	setsid ip netns exec "$P-h3" python3 "$SG_SRC/scripts/lib/backend.py" --name host3 \
		--http 0.0.0.0:80 >"$SG_RUN/backend3.log" 2>&1 </dev/null &
	wait_for 15 grep -q "^backend host3: serving" "$SG_RUN/backend3.log" ||
		fail "backend host3 did not start"
}

topo_up
# a small client receive buffer: a throttled transfer cannot sit whole in the
# client's socket before the RESET below (it would then complete from there)
ip netns exec "$(topo_ns c)" sysctl -qw net.ipv4.tcp_rmem="4096 65536 131072"
backends_start
host3_up
make_config -e '/name: host2, address: 198.18.1.12/a\      - { name: host3, address: 198.18.1.21, weight: 1 }' \
	-e '/^  - name: web6$/i\  - name: drip\n    members:\n      - { name: host1, address: 198.18.1.11, port: 8081 }'
# a NAT VS with no_live_member: reset (appended: virtual_services is the last section)
cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - name: web-nat-reset
    vip: 198.18.10.2
    port: 8080
    protocol: tcp
    mode: nat
    pool: web
    no_live_member: reset
  - name: web-nat-drip
    vip: 198.18.10.2
    port: 8081
    protocol: tcp
    mode: nat
    pool: drip
YAML
# the drip server on host1:8081: headers, then 1000 bytes every 500 ms (at most 60 s)
cat >"$SG_RUN/drip.py" <<'PY'
import socket, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.1.11", 8081))
s.listen(16)
print("drip: serving", flush=True)
def serve(c):
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nX-Backend: host1\r\n\r\n")
        for _ in range(120):
            time.sleep(0.5)
            c.sendall(b"d" * 1000)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
setsid ip netns exec "$(topo_ns h1)" python3 "$SG_RUN/drip.py" >"$SG_RUN/drip.log" 2>&1 </dev/null &
wait_for 10 grep -q "^drip: serving" "$SG_RUN/drip.log" || fail "drip server did not start"
dp_start "$SG_RUN/sg.yaml"
wait_for 10 ip netns exec "$(topo_ns h3)" ping -c1 -W1 198.18.1.2 || fail "h3 cannot reach the data plane"

state() { "$MS" --shm "/$SG_PREFIX" "$@" || fail "sg-memberstate $*"; }
member_state() { telemetry_get "/sg/members,web" "d['web/$1']['state']"; }
stat() { telemetry_get /sg/stats "d['$1']"; }
# wait_state MEMBER STATE [POOL]: the data plane published it (bounded)
wait_state() { local pool=${3:-web}; wait_for 5 bash -c "[ \"\$(python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' '/sg/members,$pool' | python3 -c \"import json,sys; print(json.load(sys.stdin)['/sg/members']['$pool/$1']['state'])\")\" = $2 ]" ||
	fail "member $pool/$1 not $2 in /sg/members"; }
# names N URL: the backends of N new connections, one a line
names() { for _ in $(seq 1 "$1"); do curl_name "$2" || echo FAILED; done; }
# fixed_name VIP PORT: the backend of one new connection from client port PORT
# (SO_REUSEADDR; read to the server's close: no TIME_WAIT of the client's own)
fixed_name() {
	client python3 - "$1" "$2" 2>>"$SG_RUN/fixed.err" <<'PY' || echo FAILED
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(5)
s.bind(("0.0.0.0", int(sys.argv[2])))
s.connect((sys.argv[1], 80))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
s.close()
head, _, body = data.partition(b"\r\n\r\n")
if not head.startswith(b"HTTP/1.1 200"):
    sys.exit("status: %r" % head[:40])
print(body.decode().strip())
PY
}
# fixed_ports VIP PORT0: new connections from client ports PORT0, PORT0+1, ...
# ("port backend" a line) until 12 were made and 2 of them reached host2 (at most 40)
fixed_ports() {
	local p=$2 n=0 h2=0 name
	while [ $n -lt 40 ]; do
		name=$(fixed_name "$1" "$p")
		echo "$p $name"
		[ "$name" = host2 ] && h2=$((h2 + 1))
		n=$((n + 1))
		p=$((p + 1))
		[ $n -ge 12 ] && [ $h2 -ge 2 ] && break
	done
}

for vip in 198.18.10.1 198.18.10.2; do
	seen=$(names 40 "http://$vip/" | sort -u | tr '\n' ' ')
	[ "$seen" = "host1 host2 host3 " ] || fail "40 flows to $vip reached '$seen', not all 3 members"
done
ok "new flows reach all 3 members through both VIPs"

# 10 long transfers (about 4 s each), 5 per VIP
SIZE=4000000
for i in $(seq 1 10); do
	vip=198.18.10.$((1 + i % 2))
	client curl -s --max-time 60 --limit-rate 1M -o /dev/null -D "$SG_RUN/h.$i" \
		-w '%{size_download}\n' "http://$vip/bytes/$SIZE" >"$SG_RUN/t.$i" 2>&1 &
	echo $! >>"$SG_RUN/transfers"
done
for i in $(seq 1 10); do
	wait_for 5 grep -qi '^x-backend' "$SG_RUN/h.$i" || fail "transfer $i did not start"
done

# fixed client ports (below the kernel's ephemeral range) to use again once host2 is down
fixed_ports 198.18.10.1 30000 >"$SG_RUN/fixed.dsr"
fixed_ports 198.18.10.2 30100 >"$SG_RUN/fixed.nat"
for f in dsr nat; do
	grep -q FAILED "$SG_RUN/fixed.$f" && fail "$f: a fixed-port connection failed: $(tr '\n' ' ' <"$SG_RUN/fixed.$f")"
	[ "$(grep -c ' host2$' "$SG_RUN/fixed.$f")" -ge 2 ] || fail "$f: fewer than 2 of 40 fixed ports reached host2"
done
gen0=$(telemetry_get /sg/info "d['generation']")
rs0=$(stat flow_rescheduled_member_down)
state --pool web --member host2 --state down --generation 5
wait_state host2 down
# the same client ports again, while the old flows linger (closing, 30 s): none to host2
n2=0
for f in dsr nat; do
	vip=198.18.10.$([ $f = dsr ] && echo 1 || echo 2)
	while read -r p old; do
		new=$(fixed_name "$vip" "$p")
		[ "$new" = FAILED ] && fail "$f: client port $p (was $old) failed after host2 went down ($(tail -1 "$SG_RUN/fixed.err"))"
		[ "$new" = host2 ] && fail "$f: client port $p reached host2 again while down (a reused 4-tuple)"
		[ "$old" = host2 ] && n2=$((n2 + 1))
	done <"$SG_RUN/fixed.$f"
done
rs=$(($(stat flow_rescheduled_member_down) - rs0))
[ "$rs" -ge "$n2" ] || fail "flow_rescheduled_member_down moved by $rs, $n2 ports had gone to host2"
ok "host2 down: $n2 fixed client ports that had gone to host2 reached host1/host3 (flow_rescheduled_member_down +$rs)"
[ "$(telemetry_get "/sg/members,web" "d['web/host2']['effective_weight']")" = 0 ] ||
	fail "host2 down but its effective weight is not 0"
[ "$(telemetry_get "/sg/members,web" "d['web/host2']['generation']")" = 5 ] || fail "generation not shown"
[ "$(telemetry_get /sg/info "d['generation']")" -gt "$gen0" ] || fail "tables not republished"
for vip in 198.18.10.1 198.18.10.2; do
	out=$(names 40 "http://$vip/")
	echo "$out" | grep -q FAILED && fail "a new connection to $vip failed with host2 down"
	echo "$out" | grep -q host2 && fail "a new connection to $vip reached host2 while down"
	[ "$(echo "$out" | sort -u | tr '\n' ' ')" = "host1 host3 " ] || fail "$vip: not host1 and host3"
done
ok "host2 down: 80 new connections, none to host2, none failed"
res=$(telemetry_get /sg/reload "d['result']")
[ "$res" = ok ] || fail "reload failed: $res"
[ "$(member_state host2)" = down ] || fail "host2's state lost in a reload"
names 20 "http://198.18.10.1/" | grep -q host2 && fail "a new flow reached host2 after the reload"
ok "a reload keeps host2 down"

while read -r pid; do
	wait "$pid" || fail "a long transfer failed (curl exit $?)"
done <"$SG_RUN/transfers"
for i in $(seq 1 10); do
	[ "$(cat "$SG_RUN/t.$i")" = "$SIZE" ] || fail "transfer $i got $(cat "$SG_RUN/t.$i") of $SIZE bytes"
done
ok "10 long transfers completed on their members ($(cat "$SG_RUN"/h.* | grep -i x-backend | tr -d '\r' | awk '{print $2}' | sort | uniq -c | tr '\n' ' '))"

state --pool web --member host2 --state up --generation 6
wait_state host2 up
out=$(names 40 "http://198.18.10.2/")
echo "$out" | grep -q host2 || fail "host2 up again but no new flow reached it: $(echo "$out" | sort | uniq -c | tr '\n' ' ')"
ok "host2 up: it gets new flows again"

# hostile or unknown messages: counted, nothing changes
u0=$(stat member_state_unknown)
b0=$(stat ctl_msg_bad)
state --pool web --member nosuch --state down
"$MS" --shm "/$SG_PREFIX" --raw-bad --state down || fail "raw message not written"
wait_for 5 bash -c "[ \$(python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' /sg/stats | python3 -c \"import json,sys; print(json.load(sys.stdin)['/sg/stats']['member_state_unknown'])\") -gt $u0 ]" ||
	fail "unknown member not counted"
[ "$(stat ctl_msg_bad)" -gt "$b0" ] || fail "malformed MEMBER_STATE not counted as ctl_msg_bad"
[ "$(curl_name http://198.18.10.2/)" != "" ] || fail "service broken after bad messages"
ok "unknown member and malformed message counted and ignored"

# no live member: reset answers at once, drop drops
for m in host1 host2 host3; do state --pool web --member "$m" --state down; done
wait_state host1 down
wait_state host3 down
r0=$(stat no_live_member_rst)
t0=$(date +%s%N)
rc=0
client curl -s --max-time 5 -o /dev/null http://198.18.10.2:8080/ || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 7 ] || fail "no live member (reset): curl exit $rc, want 7 (connection refused)"
[ "$ms" -lt 1000 ] || fail "no live member (reset): refused after $ms ms, not at once"
[ "$(stat no_live_member_rst)" -gt "$r0" ] || fail "no_live_member_rst did not move"
d0=$(stat drop_no_live_member)
rc=0
client curl -s --max-time 2 -o /dev/null http://198.18.10.2/ || rc=$?
[ "$rc" = 28 ] || fail "no live member (drop): curl exit $rc, want 28 (timeout)"
[ "$(stat drop_no_live_member)" -gt "$d0" ] || fail "drop_no_live_member did not move"
ok "no live member: reset refused in $ms ms (RST), drop timed out"
state --all --state up
wait_state host1 up

# DRAIN then RESET: established connections to the member end with RST
SLOW=4000000 # 13 s at 300 kB/s: still running at the RESET
: >"$SG_RUN/slow"
# slow transfers through both VIPs until 2 run on host1 (bounded: 16 tries)
n1=0
for i in $(seq 1 16); do
	vip=198.18.10.$((1 + i % 2))
	client curl -s --max-time 40 --limit-rate 300K -o /dev/null -D "$SG_RUN/s.$i" \
		-w '%{size_download}\n' "http://$vip/bytes/$SLOW" >"$SG_RUN/r.$i" 2>&1 &
	echo "$! $i" >>"$SG_RUN/slow"
	wait_for 5 grep -qi '^x-backend' "$SG_RUN/s.$i" || fail "slow transfer $i did not start"
	grep -qi 'x-backend: host1' "$SG_RUN/s.$i" && n1=$((n1 + 1))
	[ "$n1" -ge 2 ] && [ "$i" -ge 4 ] && break
done
[ "$n1" -ge 1 ] || fail "no slow transfer on host1 in 16 (Maglev spread)"
# 2 downloads from the drip server through the NAT VIP: the client sends only ACKs
for i in 1 2; do
	(
		rc=0
		client curl -s --max-time 30 -o /dev/null -D "$SG_RUN/dh.$i" http://198.18.10.2:8081/ || rc=$?
		echo "$rc $(date +%s%N)" >"$SG_RUN/drip.$i"
	) &
	echo $! >>"$SG_RUN/drips"
	wait_for 5 grep -qi '^x-backend: host1' "$SG_RUN/dh.$i" || fail "drip download $i did not start"
done
state --pool web --member host1 --state drain
state --pool drip --member host1 --state drain
wait_state host1 drain
wait_state host1 drain drip
names 20 "http://198.18.10.1/" | grep -q host1 && fail "a new flow reached host1 while draining"
sleep 1
[ "$(stat flows_reset_member)" = 0 ] || fail "drain reset flows"
t_reset=$(date +%s%N)
dms=""
state --pool drip --member host1 --state reset
state --pool web --member host1 --state reset
wait_state host1 reset
wait_for 5 bash -c "[ \$(python3 '$SG_SRC/scripts/sg-telemetry.py' '$SG_PREFIX' /sg/stats | python3 -c \"import json,sys; print(json.load(sys.stdin)['/sg/stats']['flows_reset_member'])\") -gt 0 ]" ||
	fail "flows_reset_member did not move"
on1=0
while read -r pid i; do
	rc=0
	wait "$pid" || rc=$?
	if grep -qi 'x-backend: host1' "$SG_RUN/s.$i"; then
		on1=$((on1 + 1))
		[ "$rc" != 0 ] || fail "transfer $i on host1 completed despite RESET (member_reset_rst=$(stat member_reset_rst), flows_reset_member=$(stat flows_reset_member))"
		[ "$(cat "$SG_RUN/r.$i")" -lt "$SLOW" ] || fail "transfer $i on host1 got every byte"
	else
		[ "$rc" = 0 ] || fail "transfer $i on another member failed (curl exit $rc)"
	fi
done <"$SG_RUN/slow"
[ "$(stat member_reset_rst)" -gt 0 ] || fail "member_reset_rst did not move"
while read -r pid; do wait "$pid" || true; done <"$SG_RUN/drips"
for i in 1 2; do
	read -r rc t_end <"$SG_RUN/drip.$i"
	ms=$(((t_end - t_reset) / 1000000))
	[ "$rc" = 56 ] || fail "drip download $i: curl exit $rc after $ms ms, want 56 (reset by the peer; peer_rst=$(stat peer_rst))"
	[ "$ms" -lt 2500 ] || fail "drip download $i reset $ms ms after the RESET, not promptly"
	dms="$dms $ms"
done
[ "$(stat peer_rst)" -gt 0 ] || fail "peer_rst did not move"
ok "downloads whose member spoke first were reset too, after$dms ms (peer_rst=$(stat peer_rst))"
ok "drain kept $on1 transfer(s) on host1; reset ended them (flows_reset_member=$(stat flows_reset_member), member_reset_rst=$(stat member_reset_rst)); the others completed"
echo "PASS member-state"
