#!/usr/bin/env bash
# DSR and NAT for TCP and UDP over IPv4 and IPv6, with real curl and socat
# clients and real backends; ICMP echo of a VIP; counters in telemetry.
. "$(dirname "$0")/lib.sh"
setup_all

# spread URL LABEL: 24 new connections must all succeed and reach both hosts.
spread() {
	local url=$1 label=$2 seen="" i out
	for i in $(seq 1 24); do
		out=$(curl_name "$url") || fail "$label: request $i failed"
		case "$out" in host1 | host2) ;; *) fail "$label: unexpected answer '$out'" ;; esac
		seen="$seen $out"
	done
	grep -q host1 <<<"$seen" || fail "$label: host1 never answered ($seen)"
	grep -q host2 <<<"$seen" || fail "$label: host2 never answered ($seen)"
	ok "$label: 24/24 answered by both members"
}

spread "http://198.18.10.1/" "dsr tcp ipv4 (ipip)"
spread "http://198.18.10.2/" "nat tcp ipv4"
spread "http://[2001:2:0:10::1]/" "dsr tcp ipv6 (ipv6-in-ipv6)"
spread "http://[2001:2:0:10::2]/" "nat tcp ipv6"

for vip in 198.18.10.1 198.18.10.2; do
	out=$(echo ping | client socat -t3 - "UDP:$vip:5353") || fail "udp $vip: no answer"
	case "$out" in "host1 ping" | "host2 ping") ok "udp $vip:5353 answered: $out" ;;
	*) fail "udp $vip: unexpected answer '$out'" ;; esac
done

client ping -c 2 -W 2 198.18.10.1 >/dev/null || fail "ICMP echo to the VIP unanswered"
client ping -6 -c 2 -W 2 2001:2:0:10::1 >/dev/null || fail "ICMPv6 echo to the VIP unanswered"
ok "VIPs answer ICMP and ICMPv6 echo"

flows=$(telemetry_get /sg/vs "d['web_dsr']['flows']")
[ "$flows" -ge 24 ] || fail "telemetry: web-dsr flows $flows < 24"
flows=$(telemetry_get /sg/vs "d['web6_nat']['flows']")
[ "$flows" -ge 24 ] || fail "telemetry: web6-nat flows $flows < 24"
ok "telemetry counts the flows per VS"
echo "PASS l4_basic"
