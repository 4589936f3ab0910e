#!/usr/bin/env bash
# Packet capture of a VS's traffic (doc/operations.md, "Packet capture"):
# sg-dataplane on hugepages serves rte_pdump; dpdk-dumpcap attaches to its
# file prefix, captures the outside port through a BPF filter on a VIP
# while real curl clients use that VIP and another; the pcapng holds the
# client's SYN to the filtered VIP and nothing of the other. Then the same
# data plane without hugepages says capture is off (log, /sg/capture) and
# dpdk-dumpcap cannot attach. Root; 256 hugepages of 2 MiB are added for
# the test and given back.
. "$(dirname "$0")/lib.sh"

PAGES=256
VIP=198.18.10.2   # web-nat: both directions pass the outside port
OTHER=198.18.10.1 # web-dsr: must not be in the capture
command -v dpdk-dumpcap >/dev/null || fail "dpdk-dumpcap missing (Debian package dpdk)"
command -v tcpdump >/dev/null || fail "tcpdump missing"
dumpcap_stop() {
	[ -n "${DUMPCAP_PID:-}" ] && kill "$DUMPCAP_PID" 2>/dev/null
	dp_stop
	hugepages_release
}
export SG_CLEANUP_EXTRA=dumpcap_stop # run by lib.sh's cleanup
hugepages_add "$PAGES"

topo_up
backends_start
# hugepages from our own mount, memory on demand (no -m)
make_config -e "s/no_huge: true/no_huge: false/" -e "/memory_mb:/d" \
	-e "s|eal_args: \[|eal_args: [\"--huge-dir=$HUGE\", |"
dp_start "$SG_RUN/sg.yaml"
grep -q "packet capture on: dpdk-dumpcap --file-prefix=$SG_PREFIX" "$SG_RUN/dataplane.log" ||
	fail "the log does not say capture is on"
[ "$(telemetry_get /sg/capture "d['enabled']")" = 1 ] || fail "/sg/capture: not enabled"
port=$(telemetry_get /sg/capture "d['ports'][0]")
[ "$port" = net_af_packet0 ] || fail "/sg/capture: first port '$port', want net_af_packet0"
ok "capture on: log and /sg/capture (ports ${port}, ...)"

# the operator's command (doc/operations.md), bounded in packets and time
PCAP="$SG_RUN/vip.pcapng"
ip netns exec "$(topo_ns d)" timeout 40 stdbuf -oL dpdk-dumpcap --file-prefix="$SG_PREFIX" -i "$port" \
	-f "host $VIP and tcp port 80" -c 30 -a duration:30 -w "$PCAP" \
	>"$SG_RUN/dumpcap.log" 2>&1 &
DUMPCAP_PID=$!
wait_for 20 grep -q "Capturing on" "$SG_RUN/dumpcap.log" || {
	cat "$SG_RUN/dumpcap.log" >&2
	fail "dpdk-dumpcap did not attach"
}
sleep 0.5 # its callbacks are on the queues once the primary answered
for i in 1 2 3 4 5 6; do
	curl_name "http://$OTHER/" >/dev/null || fail "curl $OTHER ($i) failed during the capture"
	out=$(curl_name "http://$VIP/") || fail "curl $VIP ($i) failed during the capture"
	case "$out" in host1 | host2) ;; *) fail "curl $VIP: unexpected answer '$out'" ;; esac
done
wait "$DUMPCAP_PID" || {
	cat "$SG_RUN/dumpcap.log" >&2
	fail "dpdk-dumpcap exited with an error"
}
DUMPCAP_PID=
[ -s "$PCAP" ] || fail "no capture file"
tcpdump -nn -r "$PCAP" >"$SG_RUN/vip.txt" 2>"$SG_RUN/tcpdump.err" || {
	cat "$SG_RUN/tcpdump.err" >&2
	fail "tcpdump cannot read the pcapng"
}
n=$(wc -l <"$SG_RUN/vip.txt")
[ "$n" -ge 30 ] || fail "capture holds $n packets, want 30 or more (-c 30 stops after a burst)"
grep -Eq "198\.18\.0\.2\.[0-9]+ > $VIP\.80: Flags \[S\]," "$SG_RUN/vip.txt" || {
	head -5 "$SG_RUN/vip.txt" >&2
	fail "no client SYN to $VIP:80 in the capture"
}
grep -q "$OTHER" "$SG_RUN/vip.txt" && fail "the filter let $OTHER through"
grep -vq "$VIP" "$SG_RUN/vip.txt" && fail "a packet not of $VIP in the capture"
ok "dpdk-dumpcap: $n packets of $VIP:80 (client SYN included), none of $OTHER"
out=$(curl_name "http://$VIP/") || fail "curl $VIP failed after the capture"
ok "served after the capture ($out)"

# without hugepages: capture is off, said so, and dumpcap fails loudly
dp_stop
make_config
dp_start "$SG_RUN/sg.yaml"
grep -q "packet capture off: no hugepages" "$SG_RUN/dataplane.log" ||
	fail "the log does not say why capture is off"
[ "$(telemetry_get /sg/capture "d['enabled']")" = 0 ] || fail "/sg/capture enabled with --no-huge"
telemetry_get /sg/capture "d['reason']" | grep -q "no hugepages" || fail "/sg/capture: no reason"
if ip netns exec "$(topo_ns d)" timeout 20 dpdk-dumpcap --file-prefix="$SG_PREFIX" -i "$port" \
	-c 1 -a duration:2 -w "$SG_RUN/none.pcapng" >"$SG_RUN/dumpcap2.log" 2>&1; then
	fail "dpdk-dumpcap attached to a --no-huge data plane"
fi
ok "no hugepages: capture off (log, /sg/capture), dpdk-dumpcap refused: $(grep -v '^$' "$SG_RUN/dumpcap2.log" | tail -n 1)"
echo "PASS dumpcap"
