#!/usr/bin/env bash
# scenario-identity (issue 16): identity that can be trusted, access that is
# checked, every session accounted. Two users (alice, bob), two token
# applications (desk: NAT hand-off, token in the cookie "sgtok", refusals
# answered 403; files: DSR hand-off, token as the Host's first label,
# refusals answered 302 to a login URL), three VMs on two host agents
# (identity-lib.sh). Checks:
#  1. forged (wrong key), altered, expired, other-application, unknown-user
#     and other-user tokens, and a user not subscribed, are refused with the
#     application's answer before any VM is chosen: no VM start, every VM
#     still stopped, each refusal counted under its reason;
#  2. signed tokens (sgctl token mint) reach the user's own VM: alice's desk
#     token vm1 (held while it boots), bob's vm2, alice's files token vm3;
#  3. relationship changes with sgid while sg-control runs take effect on
#     the next request: bob subscribed to files and assigned vm3, alice
#     re-assigned from vm1 to vm2, alice's desk subscription revoked;
#  4. a usage record per closed session (sgctl usage) whose bytes match what
#     the client received, through the NAT and the DSR application, and a
#     Prometheus scrape of sg-control whose data-plane counters moved.
. "$(dirname "$0")/identity-lib.sh"

id_topo
id_appliance
id_dp_start
id_keys
id_control "    auth: { mode: token, keys: [{ id: 1, file: $SG_RUN/keys/desk-1.key }], on_fail: forbid }" \
	"    auth: { mode: token, keys: [{ id: 1, file: $SG_RUN/keys/files-1.key }], on_fail: login,
            login_url: \"http://login.example/?app=files\" }"
ctl_start || fail "sg-control did not start"
agent_start || fail "the host agents did not connect"
id_graph
ok "sg-dataplane, sg-control (identity store), two host agents up; graph written with sgid"
