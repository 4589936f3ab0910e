#!/usr/bin/env bash
# Defect 7: one key for all hosts, nothing after the handshake. A
# compromised host h1 uses its key to claim to be "h3" (from its own
# address, and from h3's address); a relay between h3's agent and
# sg-control injects a forged VM_STATE "running" for vm6 (stopped) into an
# established link, and on the next link a FLOW_ADD towards the agent.
# Asserts: the claims are refused (sg_ctl_agent_auth_failures_total), h3's
# agent is never replaced (sg_ctl_agent_replaced_total), the injections are
# refused (sg_ctl_agent_bad_tag_total, the agent's link_bad_tags) and change
# nothing (vm6 stays stopped), nothing crashes, and h1's and h3's links keep
# working during and after the attack.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
PEER="$(dirname "$0")/agentpeer.py"

agent_setup
ok "control and both agents up"
h1key=$(sed -n 's/.*key_file: \([^,]*\),.*/\1/p' "$SG_RUN/agent.yaml")
[ -r "$h1key" ] || fail "no key file of h1 in agent.yaml"

vm6_state() {
	ip netns exec "$(topo_ns r)" curl -s --max-time 5 "http://127.0.0.1:$SG_MPORT/metrics" |
		sed -n 's/^sg_ctl_vm_sessions{vm="vm6",state="\([a-z]*\)"}.*/\1/p'
}
vm6_is() { [ "$(vm6_state)" = "$1" ]; }
claim() { # NS HOST: h1's key claims HOST from namespace NS
	ip netns exec "$(topo_ns "$1")" timeout 20 python3 "$PEER" claim 198.18.1.1 "$SG_APORT" "$2" "$h1key"
}

# 1. Impersonation with h1's key.
r=$(claim h1 h3) || fail "claim from h1 did not run"
[[ $r == refused* ]] || fail "h1's key claimed h3 from h1's address: $r"
r=$(claim h3 h3) || fail "claim from h3 did not run"
[[ $r == refused* ]] || fail "h1's key claimed h3 from h3's address: $r"
r=$(claim h1 h1) || fail "claim h1 did not run"
[ "$r" = accepted ] || fail "h1's own key and name refused: $r (the attack test is broken)"
wait_for 15 agents_are 2 || fail "the agents did not come back after h1's link was replaced"
auth=$(ctl_metric sg_ctl_agent_auth_failures_total)
[ "$auth" -ge 2 ] || fail "sg_ctl_agent_auth_failures_total=$auth"
[ "$(vm6_state)" = stopped ] || fail "vm6 is $(vm6_state), not stopped"
ok "impersonation refused ($auth auth failures); h3's agent kept"

# 2. Injection into h3's established link through a relay on h3.
rport=$((SG_APORT + 2))
setsid ip netns exec "$(topo_ns h3)" python3 "$PEER" mitm "$rport" 198.18.1.1 "$SG_APORT" vm6 \
	>"$SG_RUN/mitm.log" 2>&1 </dev/null &
sed -i "s/address: 198.18.1.1, port: $SG_APORT,/address: 127.0.0.1, port: $rport,/" "$SG_RUN/agent3.yaml"
grep -q "port: $rport" "$SG_RUN/agent3.yaml" || fail "agent3.yaml not rewritten"
agent3_restart
wait_for 20 grep -q "injected flow_add" "$SG_RUN/mitm.log" || { cat "$SG_RUN/mitm.log"; fail "no injection"; }
cat "$SG_RUN/mitm.log"
# (while h3's link is down its VMs are "unknown"; never "running")
[ "$(vm6_state)" != running ] || fail "forged VM_STATE accepted: vm6 is running"
wait_for 20 agents_are 2 || fail "h3's agent did not reconnect after the injections"
wait_for 10 vm6_is stopped ||
	fail "vm6 is $(vm6_state) after h3's agent reconnected, not stopped"
ctl_alive || fail "sg-control is gone"
bad=$(ctl_metric sg_ctl_agent_bad_tag_total)
[ "$bad" -ge 1 ] || fail "sg_ctl_agent_bad_tag_total=$bad"
abad=$(agent_counter 3 link_bad_tags)
[ "${abad:-0}" -ge 1 ] || fail "h3's agent link_bad_tags=${abad:-none}"
rep=$(ctl_metric sg_ctl_agent_replaced_total)
echo "auth_failures=$auth bad_tag=$bad agent3 link_bad_tags=$abad replaced=$rep"

# 3. After the attack both links stay up (keepalives pass both ways, tagged).
sleep 3
agents_are 2 || fail "a link dropped after the attack"
[ "$(vm6_state)" = stopped ] || fail "vm6 is $(vm6_state) after the attack"
ok "agent impersonation and injection refused, links served"
