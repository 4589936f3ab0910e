#!/usr/bin/env bash
# The exception path (doc/dataplane.md, "Exception path"): sg-dataplane gives
# the kernel of its own namespace one tap interface per port (sgx0, sgx1) with
# the port's MAC and addresses. From that kernel a ping and an HTTP request to
# a backend, over IPv4 and IPv6, on the connected LAN and through the
# gateway, leave and come back through the data plane's ports; counters move
# both ways; a VIP client is served meanwhile; after a kill -9 the restarted
# data plane recreates the interfaces cleanly.
. "$(dirname "$0")/lib.sh"
setup_all -e '/^appliance:/a\  exception: { enabled: true, rate_pps: 5000, burst: 500 }'

appl() { ip netns exec "$(topo_ns d)" "$@"; }
exc() { telemetry_get /sg/exception "$1"; }

# (the output captured first: grep -q ending a pipe early fails it under pipefail)
a0=$(appl ip addr show dev sgx0) a1=$(appl ip addr show dev sgx1) r=$(appl ip route show default)
grep -q "198.18.2.2/24" <<<"$a0" || fail "sgx0 lacks 198.18.2.2/24: $a0"
grep -q "198.18.1.2/24" <<<"$a1" || fail "sgx1 lacks 198.18.1.2/24: $a1"
grep -q "2001:2:0:1::2/64" <<<"$a1" || fail "sgx1 lacks 2001:2:0:1::2/64: $a1"
grep -q "via 198.18.2.1 dev sgx0" <<<"$r" || fail "no default route via sgx0: $r"
mac=$(appl cat /sys/class/net/sgx1/address)
[ "$mac" = "$(appl cat /sys/class/net/in/address)" ] || fail "sgx1's MAC $mac is not port inside's"
ok "taps sgx0/sgx1 carry the ports' MACs, addresses and the gateway route"

# a VIP client all along (bounded: 30 s at most)
(
	end=$((SECONDS + 30)) n=0 bad=0
	while [ $SECONDS -lt $end ] && [ ! -e "$SG_RUN/vip.stop" ]; do
		curl_name http://198.18.10.2/ >/dev/null || bad=$((bad + 1))
		n=$((n + 1))
		sleep 0.1
	done
	echo "$n $bad" >"$SG_RUN/vip.result"
) &
vip_pid=$!

appl ping -c 3 -i 0.2 -W 2 198.18.1.11 >/dev/null || fail "kernel: ping 198.18.1.11 (LAN) unanswered"
appl ping -6 -c 3 -i 0.2 -W 2 2001:2:0:1::12 >/dev/null || fail "kernel: ping6 LAN unanswered"
appl ping -c 2 -i 0.2 -W 2 198.18.0.2 >/dev/null || fail "kernel: ping via the gateway unanswered"
ok "the appliance's kernel pings backends (v4, v6) and a client through the gateway"

for url in http://198.18.1.11/ "http://[2001:2:0:1::12]/"; do
	out=$(appl curl -s --max-time 5 "$url") || fail "kernel: curl $url failed"
	case "$out" in host1 | host2) ok "kernel: curl $url -> $out" ;;
	*) fail "kernel: curl $url: unexpected answer '$out'" ;; esac
done
to_k=$(exc "d['to_kernel']")
from_k=$(exc "d['exc_from_kernel']")
in_to=$(exc "d['port1']['to_kernel']")
in_from=$(exc "d['port1']['from_kernel']")
out_from=$(exc "d['port0']['from_kernel']")
drops=$(exc "d['drop_exc_rate'] + d['drop_exc_queue'] + d['exc_from_kernel_bad']")
[ "$to_k" -ge 10 ] && [ "$from_k" -ge 10 ] || fail "counters: to_kernel $to_k, from_kernel $from_k"
[ "$in_to" -ge 10 ] && [ "$in_from" -ge 10 ] && [ "$out_from" -ge 2 ] ||
	fail "per port: inside to/from $in_to/$in_from, outside from $out_from"
[ "$drops" -eq 0 ] || fail "$drops exception packets dropped at a low rate"
st=$(telemetry_get /sg/stats "d['exc_to_kernel']")
[ "$st" -ge "$to_k" ] || fail "/sg/stats exc_to_kernel $st < /sg/exception to_kernel $to_k"
ok "counters: to kernel $to_k, from kernel $from_k, none dropped"

# a larger answer: 1 MB, hundreds of segments through the rings and the taps
size=$(appl curl -s --max-time 10 -o /dev/null -w '%{size_download}' http://198.18.1.11/bytes/1000000) ||
	fail "kernel: 1 MB download failed"
[ "$size" -eq 1000000 ] || fail "kernel: 1 MB download gave $size bytes"
ok "kernel: 1 MB download from a backend complete (over the rate: TCP recovers)"

touch "$SG_RUN/vip.stop"
wait "$vip_pid"
read -r n bad <"$SG_RUN/vip.result"
[ "$n" -ge 5 ] && [ "$bad" -eq 0 ] || fail "VIP client meanwhile: $bad of $n requests failed"
ok "VIP client served meanwhile: $n requests, none failed"

# kill -9: the taps go with the process; a restart recreates them cleanly
pid=$(cat "$SG_RUN/dataplane.pid")
kill -9 "$pid"
wait_for 10 bash -c "! kill -0 $pid" || fail "sg-dataplane survived kill -9"
wait_for 10 bash -c "! ip netns exec $(topo_ns d) ip link show sgx1 >/dev/null 2>&1" ||
	fail "sgx1 outlived its process"
rm -f "$SG_RUN/dataplane.pid"
dp_start "$SG_RUN/sg.yaml"
appl ping -c 2 -i 0.2 -W 2 198.18.1.11 >/dev/null || fail "after restart: ping unanswered"
out=$(appl curl -s --max-time 5 http://198.18.1.11/) || fail "after restart: curl failed"
[ "$out" = host1 ] || fail "after restart: unexpected answer '$out'"
ok "after kill -9 and a restart: interfaces recreated, kernel traffic flows"
echo "PASS exception"
