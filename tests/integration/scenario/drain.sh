#!/usr/bin/env bash
# Drain with a deadline over DSR, NAT and brokered flows (issue 13): the
# demo appliance (web-dsr 198.18.10.1, web-nat 198.18.10.2, app-brokered
# 198.18.10.3 with sg-control and two host agents on test:///, as
# scripts/lib/brokered.sh sets them up). Long transfers run through each VIP;
#  1. sgctl drain member web/host1 --deadline 5: new DSR and NAT flows go to
#     host2 at once, host1's transfers go on until the deadline, then end
#     with a reset (curl fails, fewer bytes); host2's complete; the drain and
#     its counts are listed while it lasts; undrain brings host1 back;
#  2. sgctl drain vm VM --deadline 5 on the VM of an installed brokered
#     session: a new session goes to another VM, the drained one's transfer
#     ends at the deadline with a reset; undrain;
#  3. sgctl drain all --deadline 5: no new flow on any VIP, the running
#     transfer is reset at the deadline; undrain all serves again.
. "$(dirname "$0")/lib.sh"
[ -x "$SG_AGENT_BIN" ] || fail "missing $SG_AGENT_BIN (build hostagent/)"

DEADLINE=5 LONG_N=1500000 LONG_RATE=100k # ~15 s each (the server sends at 100 kB/s too)
undrain() { sgctl undrain "$@"; }

topo_up
broker_vm_addrs || fail "host3 and the VM addresses"
backends_start
make_config
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
broker_configs 500 600000 60
sed -i "/^control:/a\\  appliance_config: $SG_RUN/sg.yaml" "$SG_RUN/control.yaml"
ctl_start || fail "sg-control did not start"
agent_start || fail "the host agents did not connect"
ok "sg-dataplane, sg-control and two sg-hostagent instances up"

# served_by VIP N [CURL-ARGS]: N new connections, each must succeed; prints
# the members that answered, sorted, unique
served_by() {
	local vip=$1 n=$2 json
	shift 2
	json=$(client python3 "$SG_SRC/scripts/lib/httpload.py" "$vip" 80 "$n" --timeout 5 "$@") ||
		fail "$n new connections to $vip: $json"
	[ "$(jq_py "$json" "d['ok']")" -eq "$n" ] || fail "$n new connections to $vip: $json"
	jq_py "$json" "' '.join(sorted(d['backends']))"
}
# long_until I VIP: start long transfers through VIP from index I on until
# one runs on host1 and one on host2 (16 at most); prints the next index.
long_until() {
	local i=$1 vip=$2 seen=""
	while [ "$i" -lt $(($1 + 16)) ]; do
		long_start "$i" "http://$vip/bytes/$LONG_N?rate=100000" "$LONG_RATE"
		wait_for 5 test -s "$SG_RUN/long$i.hdr" || fail "long transfer $i through $vip: no answer"
		sleep 0.1
		long_member "$i" >"$SG_RUN/long$i.member0"
		seen="$seen $(cat "$SG_RUN/long$i.member0")"
		i=$((i + 1))
		[[ $seen == *host1* && $seen == *host2* ]] && { echo "$i"; return 0; }
	done
	fail "16 long transfers through $vip did not reach both members:$seen"
}
# long_alive I...: each transfer I still runs and its byte count still grows
long_alive() {
	local i b0=()
	for i in "$@"; do b0[i]=$(long_bytes "$i"); done
	sleep 0.5
	for i in "$@"; do
		[ ! -s "$SG_RUN/long$i.rc" ] && [ "$(long_bytes "$i")" -gt "${b0[i]}" ] ||
			{ echo "transfer $i stopped: $(long_bytes "$i") bytes" >&2; return 1; }
	done
}
# long_reset I: transfer I ended with an error and fewer than LONG_N bytes
long_reset() {
	wait_for 1 test -s "$SG_RUN/long$1.rc" || return 1
	[ "$(cat "$SG_RUN/long$1.rc")" -ne 0 ] && [ "$(cat "$SG_RUN/long$1.size")" -lt "$LONG_N" ]
}
# after_deadline T I...: each transfer I ends with a reset within the
# deadline + 4 s after T, not before the deadline; prints the end times
after_deadline() {
	local t=$1 i
	shift
	for i in "$@"; do
		wait_for $((DEADLINE + 4)) test -s "$SG_RUN/long$i.rc" ||
			fail "transfer $i ($(cat "$SG_RUN/long$i.member0")) still runs $((DEADLINE + 4)) s after the drain"
		long_reset "$i" || fail "transfer $i: curl rc $(cat "$SG_RUN/long$i.rc"), $(cat "$SG_RUN/long$i.size") bytes: not a reset"
		e=$(python3 -c "import os; print(round((os.path.getmtime('$SG_RUN/long$i.rc') - $t) * 1000))")
		[ "$e" -ge $((DEADLINE * 1000 - 300)) ] || fail "transfer $i ended ${e} ms after the drain, before the deadline"
		echo "transfer $i ($(cat "$SG_RUN/long$i.member0")): reset ${e} ms after the drain, $(cat "$SG_RUN/long$i.size") of $LONG_N bytes, curl rc $(cat "$SG_RUN/long$i.rc")"
	done
}

# --- 1: drain member web/host1 over DSR and NAT ------------------------------
[ "$(served_by 198.18.10.1 40)" = "host1 host2" ] || fail "DSR VIP: not both members before the drain"
[ "$(served_by 198.18.10.2 40)" = "host1 host2" ] || fail "NAT VIP: not both members before the drain"
n=$(long_until 0 198.18.10.1)
n=$(long_until "$n" 198.18.10.2)
h1="" h2=""
for ((i = 0; i < n; i++)); do
	case $(cat "$SG_RUN/long$i.member0") in host1) h1="$h1 $i" ;; host2) h2="$h2 $i" ;; esac
done
ok "$n long transfers: on host1:$h1, on host2:$h2"
t=$(now)
sgctl drain member web/host1 --deadline "$DEADLINE" || fail "sgctl drain member web/host1"
sleep 0.2
[ "$(served_by 198.18.10.1 40)" = host2 ] || fail "DSR VIP: new flows still reach host1 after the drain"
[ "$(served_by 198.18.10.2 40)" = host2 ] || fail "NAT VIP: new flows still reach host1 after the drain"
ok "drain member web/host1: every new DSR and NAT flow goes to host2 ($(ms_since "$t") ms after the command)"
out=$(sgctl drain) || fail "sgctl drain (list)"
echo "$out"
[[ $out == *host1* ]] || fail "sgctl drain does not list host1 while it drains"
long_alive $h1 || fail "a transfer on host1 stopped before the deadline"
ok "host1's transfers still running $(ms_since "$t") ms after the drain (deadline ${DEADLINE} s)"
after_deadline "$t" $h1
ok "host1's transfers reset at the deadline"
undrain member web/host1 || fail "sgctl undrain member web/host1"
sleep 0.2
[ "$(served_by 198.18.10.1 40)" = "host1 host2" ] || fail "DSR VIP: host1 not back after undrain"
[ "$(served_by 198.18.10.2 40)" = "host1 host2" ] || fail "NAT VIP: host1 not back after undrain"
ok "undrain: host1 gets new DSR and NAT flows again"

# --- 2: drain vm over a brokered session ------------------------------------
bhost=(-H "Host: app.example")
sess_vm() { # the VMs of the installed sessions of app "app", one per line
	sgctl --json sessions --app app | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
print("\n".join(r["vm"] for r in rows if r.get("vm")))'
}
b=20
(
	rc=0
	client curl -s --max-time 60 --limit-rate "$LONG_RATE" "${bhost[@]}" -D "$SG_RUN/long$b.hdr" \
		-o "$SG_RUN/long$b.body" -w '%{size_download}' "http://198.18.10.3/bytes/$LONG_N?rate=100000" \
		>"$SG_RUN/long$b.size" || rc=$?
	echo "$rc" >"$SG_RUN/long$b.rc"
) &
wait_for 15 test -s "$SG_RUN/long$b.hdr" || fail "brokered transfer: no answer"
echo brokered >"$SG_RUN/long$b.member0"
vm=$(sess_vm | head -n1)
[ -n "$vm" ] || { sgctl sessions; fail "no installed brokered session"; }
ok "brokered transfer on $vm"
t=$(now)
sgctl drain vm "$vm" --deadline "$DEADLINE" || fail "sgctl drain vm $vm"
out=$(client curl -s --max-time 15 "${bhost[@]}" http://198.18.10.3/) || fail "new brokered session while $vm drains"
sgctl sessions
others=$(sess_vm | grep -vx "$vm" || true)
[ -n "$others" ] || fail "the new brokered session did not go to another VM than $vm"
ok "drain vm $vm: a new brokered session went to ${others//$'\n'/ }, answered '$out'"
row=$(sgctl --json vms | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(next(v for v in (d if isinstance(d, list) else d["vms"]) if v["name"] == sys.argv[1])))' "$vm") ||
	fail "sgctl vms does not list $vm"
[ "$(jq_py "$row" "d.get('draining') is True and d['sessions'] >= 1")" = True ] ||
	fail "sgctl vms does not show $vm draining with its session: $row"
ok "sgctl vms while $vm drains: $row"
long_alive "$b" || fail "the brokered transfer on $vm stopped before the deadline"
after_deadline "$t" "$b"
ok "brokered transfer on $vm reset at the deadline"
undrain vm "$vm" || fail "sgctl undrain vm $vm"

# --- 3: drain all -----------------------------------------------------------
for i in $h2; do
	wait_for 20 test -s "$SG_RUN/long$i.rc" || fail "host2's transfer $i did not end"
	[ "$(cat "$SG_RUN/long$i.rc")" -eq 0 ] && [ "$(cat "$SG_RUN/long$i.size")" -eq "$LONG_N" ] ||
		fail "host2's transfer $i: curl rc $(cat "$SG_RUN/long$i.rc"), $(cat "$SG_RUN/long$i.size") bytes"
done
ok "host2's transfers completed ($LONG_N bytes each) through the host1 drain and undrain"
a=30
long_start "$a" "http://198.18.10.2/bytes/$LONG_N?rate=100000" "$LONG_RATE"
wait_for 5 test -s "$SG_RUN/long$a.hdr" || fail "transfer $a: no answer"
long_member "$a" >"$SG_RUN/long$a.member0"
t=$(now)
sgctl drain all --deadline "$DEADLINE" || fail "sgctl drain all"
sleep 0.2
long_alive "$a" || fail "transfer $a stopped right after drain all"
for u in http://198.18.10.1/ http://198.18.10.2/; do
	! client curl -s --max-time 1 "$u" >/dev/null || fail "drain all: a new flow to $u was served"
done
hdr=$(client curl -s -i --max-time 3 "${bhost[@]}" http://198.18.10.3/) || true
[[ ${hdr%%$'\n'*} != *" 200"* ]] || fail "drain all: a new brokered session was served"
ok "drain all: no new flow on the DSR, NAT and brokered VIPs (brokered: '${hdr%%$'\r'*}')"
after_deadline "$t" "$a"
undrain all || fail "sgctl undrain all"
sleep 0.2
served_by 198.18.10.2 20 >/dev/null
served_by 198.18.10.1 20 >/dev/null
client curl -s --fail --max-time 15 "${bhost[@]}" http://198.18.10.3/ >/dev/null || fail "brokered VIP not served after undrain all"
ok "undrain all: every VIP served again"
echo "PASS drain"
