#!/usr/bin/env bash
# Hot reload: removing a member while long transfers run lets them complete,
# sends new flows to the remaining member; a broken file changes nothing.
. "$(dirname "$0")/lib.sh"
setup_all

SIZE=6000000
# Long transfers (about 6 s each at 1 MB/s) through both VIPs until host2
# carries at least one of each (bounded: 12 tries per VIP). Sets STARTED.
start_transfers() {
	local vip=$1 i=0 on2=0
	while [ "$i" -lt 12 ]; do
		client curl -s --max-time 60 --limit-rate 1M -o /dev/null -D "$SG_RUN/h.$vip.$i" \
			-w '%{size_download}\n' "http://$vip/bytes/$SIZE" >"$SG_RUN/t.$vip.$i" 2>&1 &
		echo $! >>"$SG_RUN/transfers"
		wait_for 5 grep -qi '^x-backend' "$SG_RUN/h.$vip.$i" || fail "transfer $vip/$i did not start"
		grep -qi '^x-backend: host2' "$SG_RUN/h.$vip.$i" && on2=$((on2 + 1))
		i=$((i + 1))
		[ "$on2" -ge 1 ] && [ "$i" -ge 3 ] && break
	done
	[ "$on2" -ge 1 ] || fail "no transfer through $vip landed on host2 in 12 tries"
	STARTED=$i
}
start_transfers 198.18.10.1
n_dsr=$STARTED
start_transfers 198.18.10.2
n_nat=$STARTED
ok "long transfers running: $n_dsr via DSR, $n_nat via NAT, some on host2"

gen0=$(telemetry_get /sg/info "d['generation']")
sed -i -e '/name: host2, address: 198.18.1.12/d' "$SG_RUN/sg.yaml"
res=$(telemetry_get /sg/reload "d['result'] + ' ' + d['message']")
case "$res" in ok*) ok "reload without host2: $res" ;; *) fail "reload failed: $res" ;; esac
[ "$(telemetry_get /sg/info "d['generation']")" -eq $((gen0 + 1)) ] || fail "generation not bumped"

for i in $(seq 1 20); do
	for vip in 198.18.10.1 198.18.10.2; do
		out=$(curl_name "http://$vip/") || fail "new flow $i to $vip failed after reload"
		[ "$out" = host1 ] || fail "new flow to $vip went to '$out' after host2 was removed"
	done
done
ok "40 new flows after the reload all went to host1"

while read -r pid; do
	wait "$pid" || fail "a long transfer failed (curl exit $?)"
done <"$SG_RUN/transfers"
for f in "$SG_RUN"/t.*; do
	[ "$(cat "$f")" = "$SIZE" ] || fail "transfer $f got $(cat "$f") of $SIZE bytes"
done
ok "every long transfer completed with all $SIZE bytes (host2's drained)"

# A broken file: reload refused, nothing changes.
gen1=$(telemetry_get /sg/info "d['generation']")
cp "$SG_RUN/sg.yaml" "$SG_RUN/sg.good"
printf 'pools:\n  - name: web\n    members: [ {name: x, address: 198.18.1.13, weight: 1001} ]\n' >>"$SG_RUN/sg.yaml"
res=$(telemetry_get /sg/reload "d['result'] + ' ' + d['message']")
case "$res" in error*) ok "broken reload refused: $res" ;; *) fail "broken file accepted: $res" ;; esac
[ "$(telemetry_get /sg/info "d['generation']")" -eq "$gen1" ] || fail "generation changed"
[ "$(telemetry_get /sg/info "d['reloads_failed']")" -ge 1 ] || fail "failed reload not counted"
kill -HUP "$(cat "$SG_RUN/dataplane.pid")"
sleep 0.5
[ "$(telemetry_get /sg/info "d['generation']")" -eq "$gen1" ] || fail "SIGHUP with a broken file changed tables"
for i in $(seq 1 10); do
	out=$(curl_name "http://198.18.10.2/") || fail "traffic failed after the broken reload"
	[ "$out" = host1 ] || fail "after the broken reload a flow went to '$out'"
done
ok "after the broken reload the service is unchanged"
echo "PASS l4_reload"
