#!/usr/bin/env bash
# Real qemu guests end to end (issue 15; doc/vmfarm.md): sg-dataplane (idle
# mode) -> sg-control (the VMs, pools and apps defined once, in its YAML) ->
# sg-hostagent in host h1 with its own libvirtd (qemu:///system, TCG), the
# guest template and the tc-BPF datapath on its uplink -> two guests of the
# image of scripts/guest/build-image.sh on h1's bridge (scripts/lib/vmfarm.sh
# draws the topology). Real clients: curl, socat.
#   a) the first request to web.example is held while g1 cold-boots, and g1 answers;
#   b) idle (p1: idle_stop_ms 4000, idle_action save) g1 is saved (sgctl vms,
#      the agent's status); the next request resumes it and g1 answers
#      (both times SYN -> first byte printed, with the agent's split);
#   c) 1 MiB /big from g2 by DSR hand-off (dsr.example), byte for byte;
#   d) TLS SNI tls.example reaches g2 (curl over TLS: the answer is its name);
#   f) a UDP echo through the appliance to g2 (brokered UDP VS, port 7);
#   e) kill -9 of g1's qemu while a download from g1 is installed: the
#      download is reset (on_vm_down: reset), sgctl vms shows g1 failed and
#      counts it, g2 keeps serving; the next web.example request starts g1
#      again by itself once p1's restart backoff (restart_backoff_ms
#      $VMF_RESTART_BACKOFF_MS) is over, and g1 answers.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/scripts/lib/vmfarm.sh"
[ -x "$SG_AGENT_BIN" ] || fail "missing $SG_AGENT_BIN (build hostagent/)"
for p in qemu-system-x86_64 libvirtd virsh socat curl; do
	command -v "$p" >/dev/null || fail "missing $p (scripts/install-deps.sh)"
done
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && { tail -n 40 "$SG_RUN/control.log" "$SG_RUN/agent1.log" >&2; tail -n 5 "$SG_RUN"/libvirt/log/qemu/*.console >&2; }; vmf_down'
T0=$(now)
IDLE_MS=4000
export VMF_RESTART_BACKOFF_MS=1000 # p1: a crashed g1 startable again after 1 s

vmf_up "$IDLE_MS" || fail "the farm did not come up"
ok "data plane, sg-control, libvirtd and h1's agent up ($(ms_since "$T0") ms)"
# pushed inventory: both VMs known to h1's agent (defined in its libvirtd from
# the template at their first start), stopped for sg-control
vmf_wait 20 g2 "v['state'] == 'stopped'" || fail "g2 not pushed: $(sgctl vms)"
vmf_wait 20 g1 "v['state'] == 'stopped'" || fail "g1 not pushed: $(sgctl vms)"
st=$(echo status | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock")
grep -q '^vm g1 ' <<<"$st" && grep -q '^vm g2 ' <<<"$st" || fail "h1's agent: $st"
ok "g1 and g2 pushed to h1's agent (template guest), stopped"

# split LABEL VM: the agent's split of the VM's last start (sgctl vms last_start).
split() {
	vmf_vm "$2" "'%s %s: libvirt %s ms, ready %s ms, total %s ms' % ('$1', \
v['last_start']['kind'], v['last_start']['libvirt_ms'], v['last_start']['ready_ms'], \
v['last_start']['total_ms'])"
}

# start_req STEP KIND: a request to web.example answered by g1 after a start
# of that kind (sgctl vms last_start); its SYN -> first byte time in $T.
start_req() {
	local body kind
	read -r T body < <(vmf_time web.example) || fail "$1) request to web.example failed"
	[ "$body" = g1 ] || fail "$1) expected g1, got '$body'"
	kind=$(vmf_vm g1 "v['last_start']['kind']")
	[ "$kind" = "$2" ] || fail "$1) g1's start kind: '$kind', expected $2"
}

# --- a) cold boot: the first request is held, then answered by g1 ------------
start_req a boot
t_boot=$T
ok "a) held during g1's cold boot, answered by g1: SYN -> first byte ${t_boot} s"
echo "   $(split 'a) start' g1)"

# --- b) idle save, then resume ------------------------------------------------
vmf_wait 60 g1 "v['saved'] and v['state'] == 'stopped'" ||
	fail "b) g1 not saved after ${IDLE_MS} ms idle: $(sgctl vms)"
[ "$(vmf_virsh domstate g1)" = "shut off" ] || fail "b) libvirt: g1 $(vmf_virsh domstate g1)"
info=$(vmf_virsh dominfo g1 2>&1) || fail "b) virsh dominfo g1: $info"
grep -Eq '^Managed save: +yes' <<<"$info" || fail "b) g1 has no managed-save image: $info"
echo status | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock" | grep -w g1 | grep -qw saved ||
	fail "b) h1's agent does not report g1 saved: $(echo status |
		socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock")"
ok "b) g1 saved after ${IDLE_MS} ms idle (sgctl vms: stopped, saved; agent: saved; managed save)"
start_req b resume
ok "b) resumed and answered by g1: SYN -> first byte $T s (cold boot ${t_boot} s)"
echo "   $(split 'b) start' g1)"

# --- c) 1 MiB by DSR hand-off from g2 -----------------------------------------
client curl -s --max-time 120 -H "Host: dsr.example" -o "$SG_RUN/big.dsr" \
	"http://$VMF_VIP/big" || fail "c) DSR download failed"
ip netns exec "$(topo_ns h1)" curl -s --max-time 20 -o "$SG_RUN/big.direct" \
	http://198.18.1.32/big || fail "c) direct download from g2 failed"
size=$(stat -c %s "$SG_RUN/big.dsr")
[ "$size" = 1048576 ] || fail "c) DSR download: $size bytes, expected 1048576"
cmp -s "$SG_RUN/big.dsr" "$SG_RUN/big.direct" || fail "c) DSR download differs from g2's /big"
nx=$(echo counters | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock" |
	awk '$1 == "bpf_return_xlate" { print $2 }')
[ "${nx:-0}" -gt 0 ] || fail "c) h1's datapath translated no reply (bpf_return_xlate ${nx:-none})"
ok "c) 1 MiB /big from g2 by DSR hand-off, byte for byte (h1's bpf_return_xlate $nx)"
echo "   $(split 'c) g2 start' g2)"

# --- d) TLS SNI ---------------------------------------------------------------
# the agent's probe is HTTP :80; the guest's TLS server may listen a little
# later: its console says when every service listens
wait_for 40 grep -q "sg-guest g2 ready" "$(vmf_console g2)" ||
	fail "d) g2 never said ready: $(tail -n 5 "$(vmf_console g2)")"
body=$(client curl -sSk --max-time 60 --resolve "tls.example:443:$VMF_VIP" \
	https://tls.example/ 2>"$SG_RUN/tls.err") ||
	fail "d) TLS request failed: $(cat "$SG_RUN/tls.err"); from h1 directly:" \
		"$(ip netns exec "$(topo_ns h1)" curl -sSk --max-time 10 https://198.18.1.32/ 2>&1)"
[ "$body" = g2 ] || fail "d) TLS SNI tls.example: expected g2, got '$body'"
ok "d) TLS SNI tls.example -> g2 (curl over TLS answered 'g2')"

# --- f) UDP echo --------------------------------------------------------------
body=$(echo "ping-$$" | client socat -t5 - "UDP:$VMF_VIP:7") || fail "f) UDP echo failed"
[ "$body" = "ping-$$" ] || fail "f) UDP echo: got '$body'"
ok "f) UDP echo through the appliance (brokered UDP VS :7, NAT to g2)"

# --- e) kill -9 of g1's qemu with a session installed on it -------------------
# A plain curl reads /big at 100 kB/s (its namespace's TCP receive buffer
# kept at 16 KiB, so g1 is still sending when it dies) and says nothing
# while it waits: the abort's RSTs leave at once, unprompted, at the
# sequence number the client expects (session/abort.c, doc/sessions.md).
cns=$(topo_ns c)
rmem=$(ip netns exec "$cns" sysctl -n net.ipv4.tcp_rmem)
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_rmem="4096 16384 16384"
downs0=$(vmf_vm g1 "v['downs']")
setsid ip netns exec "$cns" bash -c "curl -sS --max-time 90 --limit-rate 100k \
	-H 'Host: web.example' -o '$SG_RUN/long1.body' 'http://$VMF_VIP/big' \
	2>'$SG_RUN/long1.err'; echo \$? >'$SG_RUN/long1.rc'" >/dev/null 2>&1 </dev/null &
wait_for 60 bash -c "[ \$(stat -c %s '$SG_RUN/long1.body' 2>/dev/null || echo 0) -gt 0 ]" ||
	fail "e) the download from g1 did not start: $(cat "$SG_RUN/long1.err")"
[ "$(vmf_vm g1 "v['sessions']")" -ge 1 ] || fail "e) no session installed on g1: $(sgctl vms)"
pid=$(vmf_qemu_pid g1) || fail "e) g1's qemu process not found"
kill -9 "$pid"
wait_for 20 test -s "$SG_RUN/long1.rc" || fail "e) the download from g1 did not end"
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_rmem="$rmem"
got=$(stat -c %s "$SG_RUN/long1.body")
how="curl $(cat "$SG_RUN/long1.rc"): $(cat "$SG_RUN/long1.err")"
[ "$(cat "$SG_RUN/long1.rc")" = 56 ] && grep -q "reset by peer" "$SG_RUN/long1.err" ||
	fail "e) the download from g1 ended '$how' after $got bytes, not reset"
vmf_wait 20 g1 "v['downs'] > $downs0 and v['state'] in ('failed', 'stopped')" ||
	fail "e) sg-control did not see g1 go down: $(sgctl vms)"
aborted=$(vmf_vm g1 "v['down_aborted']")
[ "$aborted" -ge 1 ] || fail "e) no session aborted on g1 ($aborted)"
wait_for 10 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json sessions --state closed \
	--vm g1 | grep -q vm_down" || fail "e) no closed session of g1 with reason vm_down:" \
	"$(sgctl sessions --state closed --vm g1)"
nab=$(telemetry_get /sg/stats "d['ctl_abort']")
[ "$nab" -ge 1 ] || fail "e) the data plane applied no SESSION_ABORT (ctl_abort $nab)"
ok "e) kill -9 of g1's qemu: download reset after $got bytes," \
	"g1 $(vmf_vm g1 "v['state'] + ' (' + v['why'] + ')'"), downs $(vmf_vm g1 "v['downs']"), aborted $aborted (closed: vm_down), ctl_abort $nab"
echo "   e) RSTs: at once $(telemetry_get /sg/stats "d['ctl_abort_rst_client']") to the client," \
	"$(telemetry_get /sg/stats "d['ctl_abort_rst_vm']") to g1; prompted $(telemetry_get /sg/stats "d['peer_rst']")"
read -r t body < <(vmf_time dsr.example) || fail "e) g2 stopped serving"
[ "$body" = g2 ] || fail "e) dsr.example: expected g2, got '$body'"
# a crashed VM is startable again on demand after its pool's restart backoff
# (doc/control.md, "VM failures"): the next request for its app starts it by
# itself (held meanwhile), no operator involved
[ "$(vmf_vm g1 "v['crashes']")" = 1 ] && [ "$(vmf_vm g1 "v['restarts']")" = 0 ] ||
	fail "e) g1's crash not counted for its backoff: $(sgctl --json vms)"
read -r t body < <(vmf_time web.example) || fail "e) no answer from g1 after its backoff"
[ "$body" = g1 ] || fail "e) expected g1 after its crash, got '$t $body'"
[ "$(vmf_vm g1 "v['restarts']")" = 1 ] || fail "e) g1 not restarted by placement: $(sgctl vms)"
ok "e) g2 kept serving; the next request to g1's app started g1 again after its" \
	"${VMF_RESTART_BACKOFF_MS} ms backoff (restarts 1), answered by g1 (SYN -> first byte $t s)"
echo "   $(split 'e) restart' g1)"
# h1's agent counted what it did: boots (g1 twice, g2), saves and resumes, the crash
ctrs=$(echo counters | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock")
agent_ctr() { awk -v k="$1" '$1 == k { print $2 }' <<<"$ctrs"; }
[ "$(agent_ctr boots)" -ge 3 ] && [ "$(agent_ctr saves)" -ge 1 ] &&
	[ "$(agent_ctr resumes)" -ge 1 ] && [ "$(agent_ctr crashes)" -ge 1 ] ||
	fail "h1's agent counters: $(grep -E '^(boots|saves|resumes|crashes) ' <<<"$ctrs" | tr '\n' ' ')"
ok "h1's agent: $(grep -E '^(boots|saves|resumes|resume_fallbacks|crashes) ' <<<"$ctrs" | tr '\n' ' ')"
sgctl vms
ok "scenario-qemu done in $(ms_since "$T0") ms"
