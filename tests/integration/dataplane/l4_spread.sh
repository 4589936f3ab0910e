#!/usr/bin/env bash
# 1000 concurrent connections, three rounds, through the DSR and the NAT VIP
# with weights 2:1: each member's share must be within 10% of its weight's.
. "$(dirname "$0")/lib.sh"
setup_all -e 's/name: host1, address: 198.18.1.11, weight: 1/name: host1, address: 198.18.1.11, weight: 2/'

check_share() {
	local label=$1 vip=$2
	local total1=0 total2=0 r json
	for r in 1 2 3; do
		json=$(client python3 "$SG_SRC/scripts/lib/httpload.py" "$vip" 80 1000 --timeout 30) ||
			fail "$label round $r: not every connection succeeded: $json"
		total1=$((total1 + $(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["backends"].get("host1",0))')))
		total2=$((total2 + $(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["backends"].get("host2",0))')))
	done
	[ $((total1 + total2)) -eq 3000 ] || fail "$label: $((total1 + total2)) of 3000 answered"
	# expected 2000 / 1000; within 10%: host1 1800..2200, host2 900..1100
	[ "$total1" -ge 1800 ] && [ "$total1" -le 2200 ] &&
		[ "$total2" -ge 900 ] && [ "$total2" -le 1100 ] ||
		fail "$label: host1 $total1, host2 $total2 (want 2000/1000 within 10%)"
	ok "$label: 3 x 1000 concurrent: host1 $total1, host2 $total2 (weights 2:1)"
}
check_share "dsr" 198.18.10.1
check_share "nat" 198.18.10.2
echo "PASS l4_spread"
