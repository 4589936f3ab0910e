#!/usr/bin/env bash
# BGP with BIRD 2 on one appliance (doc/cluster.md, "BGP and liveness"): the
# standard topology (tests/integration/dataplane), its router's static VIP
# routes replaced by BGP. The appliance runs sg-dataplane (exception path on:
# BGP and BFD reach its kernel through sgx0), BIRD and sg-routed; the router
# runs BIRD with ECMP into its kernel. Shows: the router's kernel gets the
# VIPs and NAT addresses via the appliance (IPv4 and IPv6 sessions), a client
# is served through them; the brokered VIP only while sg-control's heartbeat
# is up; kill -9 of sg-dataplane withdraws within BFD's detection time
# (measured) and a restart announces again; sg-routed's SIGTERM withdraws
# with the BGP session up; a restarted BIRD gets its routes re-asserted.
. "$(dirname "$0")/../dataplane/lib.sh"
. "$(dirname "$0")/lib.sh"
[ -x "$SG_CTLBEAT_BIN" ] || fail "missing $SG_CTLBEAT_BIN"
beat_stop() {
	[ -f "$SG_RUN/beat.pid" ] && kill "$(cat "$SG_RUN/beat.pid")" 2>/dev/null
	rm -f "$SG_RUN/beat.pid"
}
SG_CLEANUP_EXTRA="$BGP_CLEANUP; beat_stop"
R=$(topo_ns r) D=$(topo_ns d)
bgp_appliance_up "exception: { enabled: true }"
bird -p -c "$SG_RUN/appl.conf" || fail "BIRD rejects sg-routed's configuration"
grep -q "protocol kernel" "$SG_RUN/appl.conf" && fail "appliance BIRD config has a kernel protocol"

# 1. announced: VIPs and NAT addresses via the appliance, not the brokered VIP
for p in 198.18.10.1 198.18.10.2 198.18.1.100 198.18.1.101 198.18.1.110; do
	wait_route "$R" "$p" 30 "via 198.18.2.2 dev rd" || fail "router has no BGP route to $p"
done
wait_route "$R" 2001:2:0:10::1 20 "via 2001:2:0:2::2 dev rd" || fail "no IPv6 VIP route"
wait_route "$R" 2001:2:0:1::100 5 "via 2001:2:0:2::2 dev rd" || fail "no IPv6 NAT route"
[ -z "$(route_of "$R" 198.18.10.3)" ] || fail "brokered VIP announced without sg-control"
[ -z "$(ip -n "$D" route show proto bird)" ] || fail "BIRD installed routes in the appliance's kernel"
rt=$(birdc_in router show route for 198.18.1.110 all)
grep -q "BGP.as_path: 65001 65001 65001 65001" <<<"$rt" || fail "eBGP backup not prepended: $rt"
ok "router: VIPs and NAT addresses (v4, v6) via the appliance; brokered VIP not announced"
ok "eBGP: the backup address arrives with our AS prepended 3 times"
wait_for 5 test -s "$SG_RUN/routed.json" || fail "no status file"
wait_for 5 grep -q '"bgp_state": "Established"' "$SG_RUN/routed.json" || fail "status: no Established"
[ "$(status_get "$SG_RUN/routed.json" "d['peers'][0]['name'], d['peers'][0]['bgp_state']")" = "router Established" ] ||
	fail "status: peer router not Established: $(cat "$SG_RUN/routed.json")"
[ "$(status_get "$SG_RUN/routed.json" "d['dataplane']['alive'] and d['groups']['vips']['applied']")" = 1 ] ||
	fail "status: $(cat "$SG_RUN/routed.json")"
ok "status file: data plane alive, vips applied, BGP Established"

for url in http://198.18.10.2/ http://198.18.10.1/; do
	out=$(curl_name "$url") || fail "client: $url through the router failed"
	case "$out" in host1 | host2) ok "client: $url -> $out (routed by BGP)" ;;
	*) fail "client: $url: unexpected answer '$out'" ;; esac
done

# 2. the brokered VIP: only while sg-control's heartbeat is up
setsid "$SG_CTLBEAT_BIN" --shm "/$SG_PREFIX" --seconds 60 >"$SG_RUN/beat.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/beat.pid"
wait_route "$R" 198.18.10.3 15 "via 198.18.2.2" || fail "brokered VIP not announced with sg-control up"
wait_route "$R" 198.18.10.4 2 "via 198.18.2.2" || fail "redirect VIP not announced with sg-control up"
ok "sg-control's heartbeat up: brokered and redirect VIPs announced"
beat_stop
wait_for 10 bash -c "[ -z \"\$(ip -n $R route show 198.18.10.3 proto bird)\" ]" ||
	fail "brokered VIP still announced after sg-control's heartbeat stopped"
[ -n "$(route_of "$R" 198.18.10.2)" ] || fail "NAT VIP withdrawn with sg-control"
ok "sg-control's heartbeat stalled: brokered VIP withdrawn, the others stay"

# 3. kill -9 sg-dataplane: BFD through the data plane drops, routes leave
pid=$(cat "$SG_RUN/dataplane.pid")
kill -9 "$pid"
ms=$(time_until_gone "$R" 198.18.10.2 10000) || fail "VIP route still there 10 s after kill -9"
ms_nat=$(time_until_gone "$R" 198.18.1.100 2000) || fail "NAT route outlived the VIP route by 2 s"
echo "measure: kill -9 sg-dataplane -> VIP route gone from the router's kernel in $ms ms"
[ "$ms" -le 3000 ] || fail "withdrawal took $ms ms (BFD 5 x 100 ms should give < 1 s)"
ok "kill -9: routes withdrawn in $ms ms"
wait_for 5 grep -q '"alive": false' "$SG_RUN/routed.json" || fail "status: data plane still alive"
rm -f "$SG_RUN/dataplane.pid"

# 4. restart: announced again once alive and ready
t0=$(date +%s%N)
dp_start "$SG_RUN/sg.yaml"
wait_route "$R" 198.18.10.2 30 "via 198.18.2.2" || fail "not announced again after the restart"
t1=$(date +%s%N)
echo "measure: sg-dataplane restart -> VIP route back in $(((t1 - t0) / 1000000)) ms (start included)"
out=$(curl_name http://198.18.10.2/) || fail "client after the restart failed"
ok "restart: announced again, client served ($out)"

# 5. sg-routed SIGTERM withdraws with the BGP session up; back when restarted
routed_stop routed
wait_for 5 bash -c "[ -z \"\$(ip -n $R route show 198.18.10.2 proto bird)\" ]" ||
	fail "sg-routed's SIGTERM did not withdraw"
birdc_in router show protocols app1 | grep -q Established || fail "BGP session went down with sg-routed"
routed_start "$D" routed "$SG_RUN/sg.yaml"
wait_route "$R" 198.18.10.2 15 "via 198.18.2.2" || fail "not announced after sg-routed restart"
ok "sg-routed SIGTERM: withdrawn, BGP still Established; restarted: announced"

# 6. BIRD restarts: sg-routed reconnects and re-asserts
bird_stop appl
wait_for 20 bash -c "[ -z \"\$(ip -n $R route show 198.18.10.2 proto bird)\" ]" ||
	fail "routes outlived the appliance's BIRD"
bird_start "$D" appl "$SG_RUN/appl.conf"
wait_route "$R" 198.18.10.2 30 "via 198.18.2.2" || fail "not re-asserted after BIRD restarted"
[ "$(status_get "$SG_RUN/routed.json" "d['bird']['connects']")" -ge 2 ] || fail "no reconnect counted"
ok "BIRD restarted: sg-routed reconnected and re-announced"
echo "PASS routing-bgp"
