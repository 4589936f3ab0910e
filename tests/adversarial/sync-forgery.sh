#!/usr/bin/env bash
# Issue 14, state sync: an attacker on the sync link (the peer's namespace,
# without the key, or replaying what it captured) sends the data plane's
# sync socket forged datagrams: a wrong MAC, another key, a replay of a good
# datagram, an earlier boot's datagram, a wrong version and magic, a
# truncated and an oversized one, n_rec lying about the length, records with
# fields out of range, a wrong node, sequence 0, another worker count, and
# datagrams from a source that is no configured peer; then a flood of
# 20,000 bad-MAC datagrams. Defence: sync_rx.c's checks, each with its
# counter (/sg/cluster). Asserts: every case moved its counter, none handed
# a record to a worker or installed a flow, the VIPs are served during and
# after, and the real peer's records still arrive.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/tests/integration/dataplane/sync_lib.sh"

topo_up
backends_start
sync_link s
make_config -e "$(sync_cfg_line 1 198.18.3.1 198.18.3.2 'dump_wait_ms: 500')"
dp_start "$SG_RUN/sg.yaml"

# the real peer (it has the key) is heard and its records reach the worker
syncpeer records 22 >/dev/null
wait_val 5 = 22 sync_get rx_records || fail "the peer's 22 records did not arrive: $(sync_get rx_records)"
[ "$(peer_get state)" = up ] || fail "the peer is not up"
ok "a real peer's 22 records handed to the worker"

# one forged datagram of each case; each counter moves by what its cases add up to
flows0=$(telemetry_get /sg/flows "d['total']")
bad0=$(sync_get rx_bad)
sync_snap "$SG_RUN/s0.json"
syncpeer forge bad-mac bad-key bad-version bad-magic truncated oversized n-rec-lies n-rec-huge \
	bad-records old-boot other-node seq-zero workers >/dev/null
# bad-records holds 6 bad records; other-node, seq-zero and workers are one each
expected="rx_bad_mac=2 rx_bad_version=1 rx_bad_magic=1 rx_short=4 rx_bad=9 rx_replay=1"
# the last one sent ("workers") is an rx_bad: once rx_bad moved by 9 all are in
wait_val 5 -ge $((bad0 + 9)) sync_get rx_bad || fail "the forgeries did not arrive"
sync_snap "$SG_RUN/s1.json"
sync_delta "$SG_RUN/s0.json" "$SG_RUN/s1.json" $expected rx_records=0 rx_datagrams=1 ||
	fail "forged datagrams not counted as expected"
ok "forgeries counted: $expected (bad MAC x2: flipped and another key; short: truncated, oversized, n_rec lying x2; bad: 6 records out of range, other node, seq 0, worker count; replay: earlier boot); rx_datagrams +1 (the one with bad records), rx_records +0"
rec0=$(sync_get rx_records)

# a captured good datagram sent again: the first copy counts, the second is a replay
rp0=$(sync_get rx_replay)
syncpeer replay >/dev/null
wait_val 5 -eq $((rp0 + 1)) sync_get rx_replay || fail "replay not counted in rx_replay"
rec0=$((rec0 + 1))
ok "a replayed datagram counted in rx_replay"

# sources that are no configured peer: another port, another address
np0=$(sync_get rx_not_peer)
syncpeer --bind 198.18.3.2:7451 records 1 >/dev/null
syncpeer --bind 198.18.3.3:7450 records 1 >/dev/null
wait_val 5 -eq $((np0 + 2)) sync_get rx_not_peer || fail "non-peer sources not counted"
ok "datagrams from a non-peer address or port counted in rx_not_peer"

[ "$(sync_get rx_records)" -eq "$rec0" ] ||
	fail "forged datagrams handed records to the workers: rx_records $rec0 -> $(sync_get rx_records)"
[ "$(telemetry_get /sg/flows "d['total']")" -eq "$flows0" ] || fail "forged records installed flows"
ok "no forged record reached a worker, no flow installed"

# a flood of bad-MAC datagrams while legitimate clients are served
mac0=$(sync_get rx_bad_mac)
syncpeer flood 20000 bad-mac >"$SG_RUN/flood.log" 2>&1 &
during_flood $! "a flood of 20,000 bad-MAC sync datagrams"
wait_val 5 -ge $((mac0 + 1000)) sync_get rx_bad_mac ||
	fail "the flood was not counted: rx_bad_mac $mac0 -> $(sync_get rx_bad_mac)"
ok "flood counted: rx_bad_mac $mac0 -> $(sync_get rx_bad_mac)"

# after it all: the real peer's records still arrive, the VIPs still answer
rec1=$(sync_get rx_records)
syncpeer records 11 >/dev/null
wait_val 5 -eq $((rec1 + 11)) sync_get rx_records || fail "the peer's records no longer arrive"
assert_served "after the forgeries"
ok "legitimate sync and clients served after the forgeries"
