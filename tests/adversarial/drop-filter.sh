# shellcheck shell=bash
# drop-filter.bpf.c for the adversarial tests that need a hand-off held in
# its connecting window (vm-rst.sh, bounce-spoof.sh).

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
}

# drop_filter_off NS DEV DIR: the filter goes.
drop_filter_off() { ip netns exec "$1" tc filter del dev "$2" "$3" pref 7; }
