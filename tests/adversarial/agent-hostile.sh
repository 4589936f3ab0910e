#!/usr/bin/env bash
# Issue 15: a compromised host agent (h1's own key, so its link is accepted)
# speaks protocol version 4 at sg-control: "refusals" of VM_DEFINEs that
# were never sent, RESULTs to no request, VM_STATE saved / crashed for a VM
# of another host (vm6, h3's), the types only sg-control sends (VM_DEFINE,
# SAVE, INVENTORY), and last a start kind out of range. Asserts: every one
# is ignored and counted (sg_ctl_agent_ignored_total), none fails, saves or
# takes down a VM (vm6 stays stopped, not saved; no push failure, no VM
# down), the garbled one closes that link only, nothing crashes, and the
# real agents' links (h1 back after its link was taken, h3 untouched) and
# the admin socket keep working during and after; hostile admin verbs
# (unknown VM, unknown session, a session abort of a VM name) are refused
# and counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
PEER="$(dirname "$0")/agentpeer.py"

agent_setup
ok "control and both agents up"
h1key=$(sed -n 's/.*key_file: \([^,]*\),.*/\1/p' "$SG_RUN/agent.yaml")
[ -r "$h1key" ] || fail "no key file of h1 in agent.yaml"
vm6() { # FIELD: vm6's field in sgctl vms
	sgctl --json vms | python3 -c 'import json,sys
v = [x for x in json.load(sys.stdin) if x["name"] == "vm6"][0]
print(str(v[sys.argv[1]]).lower())' "$1"
}
[ "$(vm6 state)" = stopped ] || fail "vm6 is $(vm6 state) before the attack"

r=$(ip netns exec "$(topo_ns h1)" timeout 20 python3 "$PEER" hostile 198.18.1.1 "$SG_APORT" h1 "$h1key" vm6) ||
	fail "the hostile agent did not run: $r"
echo "$r"
sent=$(echo "$r" | sed -n 's/^sent \([0-9]*\)$/\1/p')
if [ -z "$sent" ] || [ "$sent" -lt 10 ]; then fail "hostile agent: $r"; fi
ctl_alive || fail "sg-control is gone"
ign=$(ctl_metric sg_ctl_agent_ignored_total)
[ "$ign" -ge $((sent - 1)) ] || fail "sg_ctl_agent_ignored_total=$ign of $((sent - 1)) ignorable messages"
[ "$(vm6 state)" = stopped ] || fail "vm6 is $(vm6 state) after the attack"
[ "$(vm6 saved)" = false ] || fail "vm6 saved after a forged report"
[ "$(ctl_metric sg_ctl_agent_push_failures_total)" = 0 ] || fail "a forged refusal failed a VM"
[ "$(ctl_metric sg_ctl_vm_downs_total)" = 0 ] || fail "a forged report took a VM down"
[ "$(ctl_metric sg_ctl_vm_saves_total)" = 0 ] || fail "a forged report counted a save"
ok "hostile v4 messages ignored ($ign counted), no VM changed"

# hostile admin verbs: refused, counted, sg-control serves on
sgctl vm start "$(head -c 300 /dev/zero | tr '\0' x)" 2>/dev/null && fail "vm start of a 300-byte name"
sgctl vm save nosuch 2>/dev/null && fail "vm save of no VM"
sgctl session abort 0xffffffffffffffff 2>/dev/null && fail "abort of no session"
sgctl session abort vm6 2>/dev/null && fail "abort of a VM name"
[ "$(ctl_metric sg_ctl_admin_abort_refused_total)" -ge 1 ] || fail "abort refusals not counted"
[ "$(ctl_metric sg_ctl_admin_vm_refused_total)" -ge 1 ] || fail "vm refusals not counted"

# after: both real agents linked again (h1's link came back), keepalives pass
wait_for 20 agents_are 2 || fail "the agents are not both linked after the attack"
sleep 3
agents_are 2 || fail "a link dropped after the attack"
ctl_alive || fail "sg-control is gone"
[ "$(vm6 state)" = stopped ] || fail "vm6 is $(vm6 state) at the end"
ok "hostile agent refused, links and admin served"
