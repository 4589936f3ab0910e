/* SPDX-License-Identifier: BSD-3-Clause */
/* Readiness of a booting VM's service (readiness.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "readiness.h"

void
sg_ha_ready_learn_addr(struct sg_ha_lv *lv, struct sg_ha_vm *vm)
{
	virDomainInterfacePtr *ifs = NULL;
	virDomainPtr dom = sg_ha_lv_lookup(lv, vm->cfg);
	int n;

	if (dom == NULL)
		return;
	n = virDomainInterfaceAddresses(dom, &ifs, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0);
	for (int i = 0; i < n && vm->addr.family == 0; i++)
		for (unsigned int j = 0; j < ifs[i]->naddrs && vm->addr.family == 0; j++) {
			virDomainIPAddressPtr ad = &ifs[i]->addrs[j];

			if (ad->type == VIR_IP_ADDR_TYPE_IPV4 &&
			    inet_pton(AF_INET, ad->addr, vm->addr.bytes) == 1)
				vm->addr.family = SG_WIRE_FAMILY_V4;
		}
	for (int i = 0; i < n; i++)
		virDomainInterfaceFree(ifs[i]);
	free(ifs);
	virDomainFree(dom);
	if (vm->addr.family)
		sg_ha_log(LOG_INFO, "vm %s: service address learned from libvirt", vm->cfg->name);
}

void
sg_ha_ready_probe_close(struct sg_ha_vm *vm)
{
	if (vm->probe_fd >= 0)
		close(vm->probe_fd);
	vm->probe_fd = -1;
}

int
sg_ha_ready_probe(struct sg_ha_vm *vm, uint64_t now, uint32_t timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t el = sizeof(int);
	int err = 0, sl;

	if (vm->probe_fd < 0) {
		sl = sg_agent_addr_to_sockaddr(&vm->addr, vm->cfg->port, &ss);
		if (sl < 0)
			return -1;
		vm->probe_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (vm->probe_fd < 0)
			return -1;
		vm->probe_deadline = now + timeout_ms;
		if (connect(vm->probe_fd, (struct sockaddr *)&ss, (socklen_t)sl) == 0)
			goto ok;
		if (errno != EINPROGRESS)
			goto fail;
		return 0;
	}
	if (getsockopt(vm->probe_fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);

		if (getpeername(vm->probe_fd, (struct sockaddr *)&peer, &pl) == 0)
			goto ok;
		if (now < vm->probe_deadline)
			return 0;
	} else if (err == 0 && now < vm->probe_deadline) {
		return 0;
	}
fail:
	sg_ha_ready_probe_close(vm); /* retried on the next tick */
	return -1;
ok:
	sg_ha_ready_probe_close(vm);
	return 1;
}
