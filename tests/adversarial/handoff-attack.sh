# shellcheck shell=bash
# Shared by the attacks on brokered sessions that need sg-control and the
# host agents (held-csum.sh, vm-rst.sh, bounce-spoof.sh): the appliance with
# its control side, a legitimate brokered client, and a hand-off held in its
# connecting window (drop-filter.bpf.c) while a forger strikes.
. "$SG_SRC/scripts/lib/brokered.sh"

# adv_broker_up [SED-ARGS...]: the demo appliance (extra virtual services:
# YAML on stdin; SED-ARGS edit demo.yaml, as make_config's), sg-control and
# both host agents (VMs boot in 300 ms); a first brokered request served.
adv_broker_up() {
	local b
	for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN"; do
		[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
	done
	SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" "$SG_RUN/agent.log" "$SG_RUN/agent3.log" >&2; broker_stop'
	topo_up
	broker_vm_addrs || fail "host3 and the VM addresses"
	backends_start || fail "backends"
	make_config "$@"
	cat >>"$SG_RUN/sg.yaml"
	dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
	broker_configs 300 600000 60
	ctl_start || fail "sg-control did not start"
	agent_start || fail "the host agents did not connect"
	legit_brokered "before the attack"
}

# legit_brokered WHAT: a new brokered request (NAT hand-off) is served.
legit_brokered() {
	local out
	out=$(legit_http http://198.18.10.3/ -H "Host: app.example") || fail "$1: brokered request failed"
	case "$out" in host1 | host2) ;; *) fail "$1: brokered request answered '$out'" ;; esac
}

# adv_ctr NAME: a counter of /sg/stats; 0 where the data plane has no such
# counter (so that the test reproduces its defect on code without it).
adv_ctr() { telemetry_get /sg/stats "d.get('$1', 0)"; }

# drop_filter_on NS DEV DIR SRC-IPV4 [UDP-PORT]: from now on, DEV (ingress or
# egress, DIR) in namespace NS drops SRC's TCP SYN-ACKs (or its UDP
# datagrams to UDP-PORT).
drop_filter_on() {
	local ns=$1 dev=$2 dir=$3 src=$4 port=${5:-} ma obj="$SG_RUN/drop-$2-$3.bpf.o" hex
	hex=$(printf '0x%02x%02x%02x%02x' $(echo "$src" | tr . ' ' | awk '{print $4, $3, $2, $1}'))
	ma=$(gcc -print-multiarch 2>/dev/null || true)
	clang -O2 -target bpf ${ma:+-I/usr/include/$ma} -DDROP_SRC="$hex" \
		${port:+-DDROP_UDP_PORT=$port} -c "$SG_SRC/tests/adversarial/drop-filter.bpf.c" \
		-o "$obj" || fail "cannot build the drop filter"
	ip netns exec "$ns" tc qdisc show dev "$dev" | grep -q clsact ||
		ip netns exec "$ns" tc qdisc add dev "$dev" clsact
	ip netns exec "$ns" tc filter add dev "$dev" "$dir" pref 7 bpf da obj "$obj" sec tc ||
		fail "cannot attach the drop filter to $dev $dir in $ns"
	DROP_FILTER="$ns $dev $dir"
}

# handoff_attack URL WANT COUNTER BEFORE: the caller attached the drop filter, read
# COUNTER (BEFORE) and started a
# sniffer (pid sniff_pid, $SG_RUN/sniff.log) that writes what it learns of
# the hand-off to $SG_RUN/syn.txt, and a forger (pid forge_pid,
# $SG_RUN/forge.log) that waits for that file; both print "ready". The client
# requests URL; once the forger is done the filter goes, and the client must
# get HTTP 200 with the body WANT; COUNTER must have moved, and legitimate
# clients are served during and after.
handoff_attack() {
	local curl_pid out code after
	wait_for 20 grep -q ready "$SG_RUN/sniff.log" || fail "sniffer: $(cat "$SG_RUN/sniff.log")"
	wait_for 20 grep -q ready "$SG_RUN/forge.log" || fail "forger: $(cat "$SG_RUN/forge.log")"
	client curl -s --max-time 30 -o "$SG_RUN/victim.out" -w '%{http_code}' \
		-H "Host: app.example" "$1" >"$SG_RUN/victim.code" 2>&1 &
	curl_pid=$!
	wait "$forge_pid" || fail "forger: $(cat "$SG_RUN/forge.log")"
	cat "$SG_RUN/forge.log"
	# shellcheck disable=SC2086 # NS DEV DIR
	set -- "$@" $DROP_FILTER
	ip netns exec "$5" tc filter del dev "$6" "$7" pref 7
	wait "$sniff_pid" || fail "sniffer: $(cat "$SG_RUN/sniff.log")"
	legit_brokered "during the attack"
	wait "$curl_pid" || fail "the attacked client failed: $(cat "$SG_RUN/victim.code")"
	out=$(cat "$SG_RUN/victim.out")
	code=$(cat "$SG_RUN/victim.code")
	[ "$code" = 200 ] && [ "$out" = "$2" ] ||
		fail "the attacked client got HTTP $code '$(head -c 100 "$SG_RUN/victim.out")', not $2's answer"
	ok "the attacked hand-off completed: $out"
	after=$(adv_ctr "$3")
	[ "$after" -gt "$4" ] || fail "$3 did not move ($4 -> $after)"
	legit_brokered "after the attack"
	assert_served "after the attack"
	ok "the forged packets were dropped ($3 $4 -> $after)"
}
