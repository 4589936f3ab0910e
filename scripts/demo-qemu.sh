# shellcheck shell=bash
# `./scripts/demo.sh --qemu` (sourced by demo.sh once it has built the tree
# and cleared the last demo): the appliance in front of a real VM farm
# (scripts/lib/vmfarm.sh, doc/vmfarm.md): host h1 with its own libvirtd and
# sg-hostagent, guest g1 (the image of scripts/guest/build-image.sh, qemu
# TCG) defined in sg-control's YAML and pushed to h1's agent. A request
# through the VIP boots g1 and is held until g1 answers; idle for 5 s, g1 is
# saved (libvirt managed save); the next request resumes it. Times are SYN
# -> first response byte at the client, with the agent's split.
DEMO_IDLE_MS=5000
echo "== building the guest image (cached in $VMF_IMAGE), namespaces sgdemo-*, the appliance,"
echo "   sg-control, h1's own libvirtd (TCG) and sg-hostagent with the guest template"
vmf_up "$DEMO_IDLE_MS" || { echo "the farm did not come up (logs in $SG_RUN)" >&2; exit 1; }
vmf_wait 20 g1 "v['state'] == 'stopped'" ||
	{ echo "g1 was not pushed to h1's agent" >&2; exit 1; }
echo "== sgctl vms: g1 and g2 pushed by sg-control to h1's agent (defined in libvirt at their first start)"
sgctl vms

# demo_req LABEL [split]: one request to web.example (g1), its time and,
# with "split", the agent's split of g1's start.
demo_req() {
	local t body
	if read -r t body < <(vmf_time web.example); then
		printf '%-40s %s after %s s\n' "$1" "$body" "$t"
		[ "${2:-}" = split ] && vmf_vm g1 "'%40s start %s: libvirt %s ms, guest ready %s ms, sg-control %s ms' % ('', \
v['last_start']['kind'], v['last_start']['libvirt_ms'], v['last_start']['ready_ms'], \
v['last_start']['total_ms'])" 2>/dev/null || true
	else
		printf '%-40s FAILED\n' "$1"
	fi
}
echo "== curl -H 'Host: web.example' http://$VMF_VIP/ from the client namespace"
demo_req "first request (g1 boots, request held)" split
demo_req "second request (g1 running)"
echo "== waiting for g1's idle save (pool p1: idle_stop_ms $DEMO_IDLE_MS, idle_action save)"
if vmf_wait 60 g1 "v['saved']"; then
	sgctl vms
	demo_req "next request (g1 resumed)" split
else
	echo "g1 not saved after 60 s" >&2
fi
cat <<MSG

The farm keeps running (g1 is saved again after ${DEMO_IDLE_MS} ms idle):
  a request: ip netns exec sgdemo-c curl -H 'Host: web.example' http://$VMF_VIP/
  DSR (g2):  ip netns exec sgdemo-c curl -H 'Host: dsr.example' http://$VMF_VIP/
  VMs:       $SG_SGCTL_BIN -s $SG_RUN/control.sock vms
  libvirt:   virsh -c '$VMF_URI' list --all
  consoles:  $SG_RUN/libvirt/log/qemu/*.console
  stop:      ./scripts/demo.sh stop
MSG
