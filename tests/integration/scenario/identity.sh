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
#     re-assigned from vm1 to vm2, alice's desk subscription revoked.
# Usage records and Prometheus: identity-usage.sh.
. "$(dirname "$0")/identity-lib.sh"

id_setup
TOK="python3 $SCEN_DIR/tokentool.py"
K=$SG_RUN/keys

# refused_ctr REASON: sg_ctl_auth_refused_total{reason} from sgctl status
refused_ctr() {
	sgctl --json status | python3 -c '
import json, sys
a = json.load(sys.stdin)["stats"]["auth"]
print(a["refused"][sys.argv[1]])' "$1"
}
# expect_code WHAT WANT GOT: GOT is "CODE BODY"
expect_code() { [ "${3%% *}" = "$2" ] || fail "$1: expected HTTP $2, got '$3'"; }
# vms_stopped WHAT: no VM started: sg-control's vm_starts is 0 and every VM stopped
vms_stopped() {
	local s
	[ "$(vm_starts)" = 0 ] || { sgctl vms; fail "$1: sg-control started a VM"; }
	for s in vm1 vm2 vm3; do
		[ "$(vm_state $s)" = stopped ] || { sgctl vms; fail "$1: $s is not stopped"; }
	done
}

# --- 1: tokens ---------------------------------------------------------------
a_desk=$(mint desk alice)
# bob's as a login service mints it: sg-token, the key file, idmgr's IDs
b_desk=$("$SG_TOKEN_BIN" mint --key-file "$K/desk-1.key" --key-id 1 \
	--user-id "$(id_of user/user/bob)" --app-id "$(id_of app/vapp/desk)" --ttl 600) ||
	fail "sg-token mint for bob"
a_files=$(mint files alice)
b_files=$(mint files bob)
for t in "$a_desk" "$b_desk" "$a_files" "$b_files"; do
	[ ${#t} -eq 55 ] || fail "sgctl token mint printed '$t', not 55 characters"
done
claims=$($TOK decode "$a_desk")
uid=$(jq_py "$claims" "d['user_id']")
[ "$uid" = "$(sgid show user/user/alice | awk '$1 == "id" { print $3 }' | tr -d '()')" ] ||
	fail "alice's token carries user $uid, not idmgr's ID of alice ($(sgid show user/user/alice))"
sgctl token check desk "$a_desk" >/dev/null || fail "sgctl token check refuses alice's desk token"
sgctl token check desk "$b_desk" >/dev/null || fail "sg-control refuses the token sg-token minted"
ok "sgctl token mint and sg-token mint: 55-character tokens carrying idmgr's user IDs ($claims)"

# --- 2: every bad token and every refusal of the graph, before any VM started
# one of sg-control's own, minted for 1 s and waited out
short=$(mint desk alice 1)
exp=$(jq_py "$($TOK decode "$short")" "d['expires']")
wait_for 5 bash -c "[ \$(date +%s) -gt $exp ]" || fail "the clock did not pass $exp"
now=$(date +%s)
# an unused user ID (type user, serial 4095): no user of idmgr
ghost=$(python3 -c "print(hex((0x0d << 56) | 4095))")
declare -A bad=(
	[forged]="$($TOK resign "$a_desk" <(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'))"
	[altered]="$($TOK alter "$a_desk" 12)"
	[expired]="$($TOK resign "$a_desk" "$K/desk-1.key" --expires $((now - 5)))"
	[ttl_out]="$short"
	[other_app]="$a_files"
	[app_id]="$($TOK resign "$a_desk" "$K/desk-1.key" --app "$(jq_py "$($TOK decode "$a_files")" "d['app_id']")")"
	[other_user]="$($TOK resign "$b_desk" "$K/files-1.key" --user "$uid")"
	[bad_key_id]="$($TOK resign "$a_desk" "$K/desk-1.key" --key-id 7)"
	[unknown_user]="$($TOK resign "$a_desk" "$K/desk-1.key" --user "$ghost")"
	[garbage]="not-a-token"
)
declare -A reason=([forged]=mac [altered]=mac [expired]=expired [ttl_out]=expired [other_app]=mac [app_id]=app
	[other_user]=mac [bad_key_id]=key [unknown_user]=unknown_user [garbage]=format)
for k in "${!bad[@]}"; do
	r=${reason[$k]}
	c0=$(refused_ctr "$r")
	got=$(desk_get "${bad[$k]}")
	expect_code "desk, $k token" 403 "$got"
	[ "$(refused_ctr "$r")" -eq $((c0 + 1)) ] ||
		fail "desk, $k token: sg_ctl_auth_refused_total{reason=$r} did not move by 1"
done
vms_stopped "after the bad desk tokens"
ok "desk: forged, altered, expired (re-signed; minted with --ttl 1 and waited out), files' token, signed for files' ID, other-user, unknown key id, unknown-user and garbage tokens: HTTP 403 each, counted by reason"

# files answers its token refusals with a redirect to the login service
hdr=$(client curl -s -i --max-time 20 -H "Host: ${bad[forged]}.files.example" \
	http://198.18.10.3:8083/) || true
[[ ${hdr%%$'\n'*} == *" 302"* ]] || fail "files, forged token: expected 302, got '${hdr%%$'\n'*}'"
grep -qi "^Location: http://login.example/?app=files" <<<"$hdr" ||
	fail "files, forged token: no Location to the login URL: $hdr"
got=$(files_get "$($TOK resign "$a_files" "$K/files-1.key" --expires $((now - 5)))")
expect_code "files, expired token" 302 "$got"
# bob's genuine files token: bob does not subscribe to files
c0=$(refused_ctr not_subscribed)
got=$(files_get "$b_files")
expect_code "files, bob (not subscribed)" 403 "$got"
[ "$(refused_ctr not_subscribed)" -eq $((c0 + 1)) ] || fail "not_subscribed was not counted"
vms_stopped "after the refused files requests"
[ -z "$(sgctl sessions | grep -E 'desk|files' || true)" ] || { sgctl sessions; fail "a refused session is still in sg-control"; }
ok "files: forged and expired tokens redirected (302, Location: the login URL), bob not subscribed refused (403); no VM started, none running"

# --- 3: signed tokens reach the user's own VM --------------------------------
t0=$(now)
got=$(desk_get "$a_desk")
expect_code "desk, alice" 200 "$got"
[ "${got#* }" = vm1 ] || fail "alice's desk session reached '${got#* }', not vm1"
ok "desk: alice's token reached vm1 after $(ms_since "$t0") ms (held while it booted)"
got=$(desk_get "$b_desk")
[ "$got" = "200 vm2" ] || fail "bob's desk session: '$got', not vm2"
ok "desk: bob's token reached vm2"
got=$(desk_get "$a_desk")
[ "$got" = "200 vm1" ] || fail "alice's second desk session: '$got', not vm1"
got=$(files_get "$a_files")
[ "$got" = "200 vm3" ] || fail "alice's files session (DSR): '$got', not vm3"
ok "files: alice's token reached vm3 through the DSR hand-off"
[ "$(vm_starts)" = 3 ] || { sgctl vms; fail "expected 3 VM starts, sg-control counts $(vm_starts)"; }
u=$(sgctl --json sessions --app desk | python3 -c 'import json,sys; print(sorted({s.get("user","") for s in json.load(sys.stdin)}))')
ok "three VMs started, one per user and app; desk sessions' users: $u"

# --- 4: relationship changes with sgid, sg-control running -------------------
sgid relate user/user/bob subscribes app/app/files
sgid relate user/user/bob assigned infra/vm/vm3
got=$(files_get "$b_files")
[ "$got" = "200 vm3" ] || fail "bob subscribed to files and assigned vm3 with sgid: '$got'"
ok "sgid relate bob subscribes files + assigned vm3: bob's next files request reached vm3"
sgid unrelate user/user/alice assigned infra/vm/vm1
sgid relate user/user/alice assigned infra/vm/vm2
got=$(desk_get "$a_desk")
[ "$got" = "200 vm2" ] || fail "alice re-assigned from vm1 to vm2 with sgid: '$got'"
ok "sgid unrelate alice assigned vm1 + relate assigned vm2: alice's next desk request reached vm2"
sgid unrelate user/user/alice subscribes app/app/desk
got=$(desk_get "$a_desk")
expect_code "alice's desk subscription revoked" 403 "$got"
sgid relate user/user/alice subscribes app/app/desk
got=$(desk_get "$a_desk")
[ "$got" = "200 vm2" ] || fail "alice subscribed again: '$got'"
ok "sgid unrelate alice subscribes desk: refused (403) at once; subscribed again: served"
echo "PASS identity"
