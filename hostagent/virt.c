/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VM lifecycle through libvirt: connection with keepalive and reconnect
 * backoff, lifecycle events, periodic full resync, readiness (service
 * address + optional TCP probe + simulated boot delay on the test driver),
 * and the ensure-running / stop / status commands.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "agent.h"
#include "log.h"

struct sg_ha_vm *
sg_ha_vm_find(struct sg_ha_agent *a, const char *name)
{
	for (unsigned int i = 0; i < a->n_vms; i++)
		if (strcmp(a->vms[i].cfg->name, name) == 0)
			return &a->vms[i];
	return NULL;
}

/* Bounded message text; long libvirt messages are cut, on purpose. */
static void __attribute__((format(printf, 3, 4))) textf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static const char *
lv_error(void)
{
	const char *s = virGetLastErrorMessage();

	return s && s[0] ? s : "unknown libvirt error";
}

/* libvirt logs every error to stderr by default: we report them ourselves. */
static void
lv_error_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static virDomainPtr
lookup(struct sg_ha_agent *a, struct sg_ha_vm *vm)
{
	virDomainPtr dom;

	if (!a->lv_up || a->conn == NULL)
		return NULL;
	if (vm->cfg->has_uuid)
		dom = virDomainLookupByUUID(a->conn, vm->cfg->uuid);
	else
		dom = virDomainLookupByName(a->conn, vm->cfg->name);
	return dom;
}

void
sg_ha_vm_fill(const struct sg_ha_vm *vm, struct sg_agent_msg *m)
{
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_VM_NAME, vm->cfg->name);
	if (vm->uuid_known) {
		memcpy(m->vm_uuid, vm->uuid, 16);
		m->present |= 1u << SG_AGENT_ATTR_VM_UUID;
	}
	m->vm_state = vm->state;
	m->present |= 1u << SG_AGENT_ATTR_VM_STATE;
	if (vm->addr.family) {
		m->addr = vm->addr;
		m->port = vm->cfg->port;
		m->present |= 1u << SG_AGENT_ATTR_ADDR | 1u << SG_AGENT_ATTR_PORT;
	}
}

static bool
pending_room(const struct sg_ha_vm *vm)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++)
		if (!vm->pend[i].used)
			return true;
	return false;
}

/* @return false when the VM already has SG_HA_PENDING_MAX commands waiting. */
static bool
pending_add(struct sg_ha_vm *vm, uint8_t type, uint32_t seq, uint64_t deadline)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++)
		if (!vm->pend[i].used) {
			vm->pend[i] = (struct sg_ha_pending){true, type, seq, deadline};
			return true;
		}
	return false;
}

static void
pending_complete(struct sg_ha_agent *a, struct sg_ha_vm *vm, uint8_t type, uint16_t status,
		 const char *text)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++) {
		if (!vm->pend[i].used || vm->pend[i].type != type)
			continue;
		vm->pend[i].used = false;
		sg_ha_reply(a, vm->pend[i].seq, status, text, vm);
	}
}

static void
probe_close(struct sg_ha_vm *vm)
{
	if (vm->probe_fd >= 0)
		close(vm->probe_fd);
	vm->probe_fd = -1;
}

static void
set_state(struct sg_ha_agent *a, struct sg_ha_vm *vm, uint8_t state, const char *why)
{
	struct sg_agent_msg m;

	if (vm->state == state)
		return;
	sg_ha_log(LOG_INFO, "vm %s: %s -> %s (%s)", vm->cfg->name,
		  sg_agent_vm_state_name(vm->state), sg_agent_vm_state_name(state), why);
	vm->state = state;
	sg_agent_msg_init(&m, SG_AGENT_MSG_VM_STATE, 0);
	sg_ha_vm_fill(vm, &m);
	sg_ha_link_send(a, &m);
}

/* Map libvirt's state (+ our readiness) to the reported state. */
static void
update(struct sg_ha_agent *a, struct sg_ha_vm *vm, const char *why)
{
	uint8_t st;

	switch (vm->lv_state) {
	case -1:
		st = SG_AGENT_VM_UNDEFINED;
		break;
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		if (vm->running_since == 0)
			vm->running_since = sg_ha_now_ms();
		st = vm->stopping ? SG_AGENT_VM_STOPPING
		     : vm->ready  ? SG_AGENT_VM_RUNNING
				  : SG_AGENT_VM_BOOTING;
		break;
	case VIR_DOMAIN_SHUTDOWN:
		st = SG_AGENT_VM_STOPPING;
		break;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		st = SG_AGENT_VM_PAUSED;
		break;
	case VIR_DOMAIN_CRASHED:
		st = SG_AGENT_VM_CRASHED;
		break;
	case VIR_DOMAIN_SHUTOFF:
		st = SG_AGENT_VM_SHUTOFF;
		break;
	default:
		st = SG_AGENT_VM_UNKNOWN;
		break;
	}
	if (st != SG_AGENT_VM_BOOTING && st != SG_AGENT_VM_RUNNING && st != SG_AGENT_VM_STOPPING) {
		vm->running_since = 0;
		vm->ready = false;
		probe_close(vm);
		if (!vm->cfg->addr.family)
			vm->addr.family = 0;
	}
	set_state(a, vm, st, why);
	if (st == SG_AGENT_VM_SHUTOFF || st == SG_AGENT_VM_UNDEFINED || st == SG_AGENT_VM_CRASHED) {
		if (vm->stopping) {
			vm->stopping = false;
			pending_complete(a, vm, SG_AGENT_MSG_STOP, SG_AGENT_OK, "stopped");
		}
		pending_complete(a, vm, SG_AGENT_MSG_ENSURE_RUNNING, SG_AGENT_E_LIBVIRT,
				 st == SG_AGENT_VM_CRASHED ? "VM crashed while starting"
							   : "VM stopped while starting");
	}
	if (st == SG_AGENT_VM_RUNNING)
		pending_complete(a, vm, SG_AGENT_MSG_ENSURE_RUNNING, SG_AGENT_OK, "running");
}

/* Read one VM's state from libvirt. @return true when it changed. */
static bool
refresh(struct sg_ha_agent *a, struct sg_ha_vm *vm, const char *why)
{
	virDomainPtr dom = lookup(a, vm);
	uint8_t before = vm->state;
	int st = -1, reason;

	if (dom) {
		if (virDomainGetState(dom, &st, &reason, 0) < 0)
			st = VIR_DOMAIN_NOSTATE;
		if (virDomainGetUUID(dom, vm->uuid) == 0)
			vm->uuid_known = true;
		virDomainFree(dom);
	}
	vm->lv_state = st;
	update(a, vm, why);
	return vm->state != before;
}

static void check_ready(struct sg_ha_agent *a, struct sg_ha_vm *vm, uint64_t now);

void
sg_ha_virt_resync(struct sg_ha_agent *a, bool periodic)
{
	unsigned int repaired = 0;

	if (!a->lv_up)
		return;
	for (unsigned int i = 0; i < a->n_vms; i++) {
		struct sg_ha_vm *vm = &a->vms[i];
		uint64_t was = vm->running_since;

		repaired += refresh(a, vm, periodic ? "resync" : "connect");
		if (periodic)
			continue;
		/* Found running at (re)connect: it booted before we looked (an agent
		 * restart must not replay the simulated boot delay). */
		if (was == 0 && vm->running_since > a->cfg->boot_delay_ms)
			vm->running_since -= a->cfg->boot_delay_ms;
		check_ready(a, vm, sg_ha_now_ms());
	}
	if (periodic) {
		a->ctr.resyncs++;
		a->ctr.resync_repairs += repaired;
		if (repaired)
			sg_ha_log(LOG_WARNING, "resync: %u VM state(s) repaired (lost events)",
				  repaired);
	}
}

static int
lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct sg_ha_agent *a = opaque;
	const char *name = virDomainGetName(dom);
	struct sg_ha_vm *vm = name ? sg_ha_vm_find(a, name) : NULL;

	(void)conn;
	if (a->lose_events > 0) {
		a->lose_events--;
		a->ctr.lv_events_lost++;
		sg_ha_log(LOG_NOTICE, "test hook: lifecycle event %d/%d of %s dropped", event,
			  detail, name ? name : "?");
		return 0;
	}
	a->ctr.lv_events++;
	if (vm)
		refresh(a, vm, "event");
	return 0;
}

static void
close_cb(virConnectPtr conn, int reason, void *opaque)
{
	struct sg_ha_agent *a = opaque;

	(void)conn;
	sg_ha_log(LOG_WARNING, "libvirt: connection closed (reason %d)", reason);
	a->lv_up = false;
	a->lv_close_pending = true;
}

static int
lv_connect(struct sg_ha_agent *a)
{
	a->conn = virConnectOpen(a->cfg->uri);
	if (a->conn == NULL) {
		a->ctr.lv_connect_failures++;
		sg_ha_log(LOG_ERR, "libvirt: cannot connect to %s: %s (retry in %u ms)",
			  a->cfg->uri, lv_error(), a->lv_backoff_ms);
		return -ECONNREFUSED;
	}
	if (a->cfg->keepalive_interval_s &&
	    virConnectSetKeepAlive(a->conn, (int)a->cfg->keepalive_interval_s,
				   a->cfg->keepalive_count) < 0)
		sg_ha_log(LOG_DEBUG, "libvirt: keepalive not available on %s: %s", a->cfg->uri,
			  lv_error());
	if (virConnectRegisterCloseCallback(a->conn, close_cb, a, NULL) < 0)
		sg_ha_log(LOG_DEBUG, "libvirt: no close callback on %s: %s", a->cfg->uri,
			  lv_error());
	a->lv_cb =
		virConnectDomainEventRegisterAny(a->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						 VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), a, NULL);
	if (a->lv_cb < 0) {
		sg_ha_log(LOG_ERR, "libvirt: cannot register lifecycle events on %s: %s",
			  a->cfg->uri, lv_error());
		virConnectClose(a->conn);
		a->conn = NULL;
		a->ctr.lv_connect_failures++;
		return -EIO;
	}
	a->lv_up = true;
	a->lv_backoff_ms = a->cfg->reconnect_min_ms;
	a->ctr.lv_connects++;
	sg_ha_log(LOG_INFO, "libvirt: connected to %s (connection %llu)", a->cfg->uri,
		  (unsigned long long)a->ctr.lv_connects);
	/* Events during the gap are lost: re-read every domain. */
	sg_ha_virt_resync(a, false);
	a->next_resync = sg_ha_now_ms() + a->cfg->resync_ms;
	return 0;
}

void
sg_ha_virt_drop(struct sg_ha_agent *a, const char *why)
{
	if (a->conn == NULL)
		return;
	sg_ha_log(LOG_WARNING, "libvirt: dropping connection (%s); reconnect in %u ms", why,
		  a->lv_backoff_ms);
	if (a->lv_cb >= 0)
		virConnectDomainEventDeregisterAny(a->conn, a->lv_cb);
	virConnectUnregisterCloseCallback(a->conn, close_cb);
	virConnectClose(a->conn);
	a->conn = NULL;
	a->lv_cb = -1;
	a->lv_up = false;
	a->lv_close_pending = false;
	a->lv_next_try = sg_ha_now_ms() + a->lv_backoff_ms;
	/* Commands waiting on libvirt are answered now: control retries. */
	for (unsigned int i = 0; i < a->n_vms; i++) {
		pending_complete(a, &a->vms[i], SG_AGENT_MSG_ENSURE_RUNNING, SG_AGENT_E_UNAVAILABLE,
				 "libvirt connection lost");
		pending_complete(a, &a->vms[i], SG_AGENT_MSG_STOP, SG_AGENT_E_UNAVAILABLE,
				 "libvirt connection lost");
		a->vms[i].stopping = false;
	}
}

int
sg_ha_virt_init(struct sg_ha_agent *a)
{
	virSetErrorFunc(NULL, lv_error_quiet);
	a->lv_cb = -1;
	a->lv_backoff_ms = a->cfg->reconnect_min_ms;
	a->test_driver =
		strncmp(a->cfg->uri, "test:", 5) == 0 || strncmp(a->cfg->uri, "test+", 5) == 0;
	for (unsigned int i = 0; i < a->cfg->n_vms; i++) {
		struct sg_ha_vm *vm = &a->vms[i];

		memset(vm, 0, sizeof(*vm));
		vm->cfg = &a->cfg->vms[i];
		vm->probe_fd = -1;
		vm->lv_state = VIR_DOMAIN_NOSTATE;
		vm->state = SG_AGENT_VM_UNKNOWN;
		if (vm->cfg->addr.family)
			sg_agent_addr_from_af(&vm->addr, vm->cfg->addr.family,
					      vm->cfg->addr.family == AF_INET
						      ? (const void *)&vm->cfg->addr.v4
						      : vm->cfg->addr.v6);
	}
	a->n_vms = a->cfg->n_vms;
	if (lv_connect(a))
		a->lv_next_try = sg_ha_now_ms() + a->lv_backoff_ms;
	return 0; /* not connected yet is not fatal: we retry */
}

void
sg_ha_virt_fini(struct sg_ha_agent *a)
{
	for (unsigned int i = 0; i < a->n_vms; i++)
		probe_close(&a->vms[i]);
	if (a->conn) {
		if (a->lv_cb >= 0)
			virConnectDomainEventDeregisterAny(a->conn, a->lv_cb);
		virConnectUnregisterCloseCallback(a->conn, close_cb);
		virConnectClose(a->conn);
		a->conn = NULL;
	}
}

/* ---- readiness ---- */

/* Learn the service address from libvirt's view of the guest's interfaces. */
static void
learn_addr(struct sg_ha_agent *a, struct sg_ha_vm *vm)
{
	virDomainInterfacePtr *ifs = NULL;
	virDomainPtr dom = lookup(a, vm);
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

/* Bounded non-blocking TCP connect to the service port. @return 1 ready, 0 not yet. */
static int
probe(struct sg_ha_agent *a, struct sg_ha_vm *vm, uint64_t now)
{
	struct sockaddr_storage ss = {0};
	socklen_t el = sizeof(int);
	int err = 0, sl;

	if (vm->probe_fd < 0) {
		sl = sg_agent_addr_to_sockaddr(&vm->addr, vm->cfg->port, &ss);
		if (sl < 0)
			return 0;
		vm->probe_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (vm->probe_fd < 0)
			return 0;
		vm->probe_deadline = now + a->cfg->probe_timeout_ms;
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
	probe_close(vm); /* retried on the next tick */
	return 0;
ok:
	probe_close(vm);
	return 1;
}

static void
check_ready(struct sg_ha_agent *a, struct sg_ha_vm *vm, uint64_t now)
{
	if (vm->state != SG_AGENT_VM_BOOTING || vm->ready)
		return;
	if (a->test_driver && now < vm->running_since + a->cfg->boot_delay_ms)
		return;
	if (vm->addr.family == 0)
		learn_addr(a, vm);
	if (vm->addr.family == 0)
		return;
	if (vm->cfg->probe && !probe(a, vm, now))
		return;
	vm->ready = true;
	update(a, vm, vm->cfg->probe ? "service port answers" : "service address known");
}

void
sg_ha_virt_tick(struct sg_ha_agent *a, uint64_t now)
{
	if (a->lv_close_pending)
		sg_ha_virt_drop(a, "libvirt closed the connection");
	if (!a->lv_up && a->conn == NULL && now >= a->lv_next_try) {
		if (lv_connect(a)) {
			a->lv_backoff_ms = a->lv_backoff_ms * 2 > a->cfg->reconnect_max_ms
						   ? a->cfg->reconnect_max_ms
						   : a->lv_backoff_ms * 2;
			a->lv_next_try = now + a->lv_backoff_ms;
		} else {
			sg_ha_link_send_inventory(a);
		}
	}
	if (a->lv_up && now >= a->next_resync) {
		sg_ha_virt_resync(a, true);
		a->next_resync = now + a->cfg->resync_ms;
	}
	for (unsigned int i = 0; i < a->n_vms; i++) {
		struct sg_ha_vm *vm = &a->vms[i];

		if (!a->lv_up)
			break;
		check_ready(a, vm, now);
		if (vm->stopping) {
			refresh(a, vm, "stopping");
			if (vm->stopping && now >= vm->stop_deadline) {
				virDomainPtr dom = lookup(a, vm);
				int rc = dom ? virDomainDestroy(dom) : 0;

				vm->stopping = false;
				if (rc < 0) {
					pending_complete(a, vm, SG_AGENT_MSG_STOP,
							 SG_AGENT_E_LIBVIRT, lv_error());
				} else {
					sg_ha_log(LOG_WARNING,
						  "vm %s: no clean shutdown before the deadline: "
						  "destroyed",
						  vm->cfg->name);
					refresh(a, vm, "destroyed");
					pending_complete(a, vm, SG_AGENT_MSG_STOP, SG_AGENT_OK,
							 "destroyed after the shutdown deadline");
				}
				if (dom)
					virDomainFree(dom);
			}
		}
		for (unsigned int p = 0; p < SG_HA_PENDING_MAX; p++) {
			struct sg_ha_pending *pd = &vm->pend[p];
			char text[SG_AGENT_TEXT_MAX];

			if (!pd->used || now < pd->deadline ||
			    pd->type != SG_AGENT_MSG_ENSURE_RUNNING)
				continue;
			pd->used = false;
			textf(text, sizeof(text), "VM %s not ready before the deadline (state %s)",
			      vm->cfg->name, sg_agent_vm_state_name(vm->state));
			sg_ha_reply(a, pd->seq, SG_AGENT_E_TIMEOUT, text, vm);
		}
	}
}

/* ---- commands ---- */

static struct sg_ha_vm *
cmd_vm(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm;
	char text[SG_AGENT_TEXT_MAX];

	a->ctr.commands++;
	if (!SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME)) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_BAD_REQUEST, "VM_NAME missing", NULL);
		return NULL;
	}
	vm = sg_ha_vm_find(a, m->vm_name);
	if (vm == NULL) {
		textf(text, sizeof(text), "no VM %s in the inventory of host %s", m->vm_name,
		      a->cfg->host);
		sg_ha_reply(a, m->seq, SG_AGENT_E_NO_SUCH_VM, text, NULL);
		return NULL;
	}
	return vm;
}

/* Define @vm from its template: @NAME@, @UUID@ and @DISK@ are substituted. */
static int
define_from_template(struct sg_ha_agent *a, struct sg_ha_vm *vm, char *err, size_t errlen)
{
	char *tpl = malloc(SG_HA_TEMPLATE_MAX + 1), *xml = malloc(2 * SG_HA_TEMPLATE_MAX);
	char uuid[40] = "";
	size_t n = 0, o = 0;
	virDomainPtr dom;
	FILE *f;
	int rc = -EIO;

	if (tpl == NULL || xml == NULL) {
		textf(err, errlen, "out of memory");
		goto out;
	}
	f = fopen(vm->cfg->template_path, "re");
	if (f == NULL) {
		textf(err, errlen, "template %.96s: %s", vm->cfg->template_path, strerror(errno));
		goto out;
	}
	n = fread(tpl, 1, SG_HA_TEMPLATE_MAX + 1, f);
	fclose(f);
	if (n > SG_HA_TEMPLATE_MAX) {
		textf(err, errlen, "template %.96s larger than %u bytes", vm->cfg->template_path,
		      SG_HA_TEMPLATE_MAX);
		goto out;
	}
	tpl[n] = '\0';
	if (vm->cfg->has_uuid) {
		const uint8_t *u = vm->cfg->uuid;

		snprintf(uuid, sizeof(uuid),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			 u[12], u[13], u[14], u[15]);
	}
	for (size_t i = 0; i < n && o < 2 * SG_HA_TEMPLATE_MAX - SG_HA_PATH_MAX - 1;) {
		const char *sub = NULL;
		size_t skip = 0;

		if (strncmp(tpl + i, "@NAME@", 6) == 0)
			sub = vm->cfg->name, skip = 6;
		else if (strncmp(tpl + i, "@UUID@", 6) == 0)
			sub = uuid, skip = 6;
		else if (strncmp(tpl + i, "@DISK@", 6) == 0)
			sub = vm->cfg->disk, skip = 6;
		if (sub) {
			size_t l = strlen(sub);

			memcpy(xml + o, sub, l);
			o += l;
			i += skip;
		} else {
			xml[o++] = tpl[i++];
		}
	}
	xml[o] = '\0';
	dom = virDomainDefineXML(a->conn, xml);
	if (dom == NULL) {
		textf(err, errlen, "define %s from %.64s: %.120s", vm->cfg->name,
		      vm->cfg->template_path, lv_error());
		goto out;
	}
	sg_ha_log(LOG_INFO, "vm %s: defined from template %s", vm->cfg->name,
		  vm->cfg->template_path);
	virDomainFree(dom);
	rc = 0;
out:
	free(tpl);
	free(xml);
	return rc;
}

void
sg_ha_cmd_ensure_running(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm(a, m);
	char text[SG_AGENT_TEXT_MAX];
	uint64_t deadline;
	virDomainPtr dom;
	int rc = 0;

	if (vm == NULL)
		return;
	if (!a->lv_up) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_UNAVAILABLE, "libvirt not connected; retry", vm);
		return;
	}
	refresh(a, vm, "ensure-running");
	if (vm->state == SG_AGENT_VM_RUNNING) {
		sg_ha_reply(a, m->seq, SG_AGENT_OK, "running", vm);
		return;
	}
	if (vm->stopping || vm->state == SG_AGENT_VM_STOPPING) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_UNAVAILABLE,
			    "VM is stopping; retry when shut off", vm);
		return;
	}
	if (!pending_room(vm)) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_FULL, "too many commands waiting for this VM",
			    vm);
		return;
	}
	if (vm->lv_state == -1) {
		if (vm->cfg->template_path[0] == '\0') {
			textf(text, sizeof(text),
			      "VM %s is not defined in libvirt (%.64s) and has "
			      "no template",
			      vm->cfg->name, a->cfg->uri);
			sg_ha_reply(a, m->seq, SG_AGENT_E_NO_SUCH_VM, text, vm);
			return;
		}
		if (define_from_template(a, vm, text, sizeof(text))) {
			sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
			sg_ha_reply(a, m->seq, SG_AGENT_E_LIBVIRT, text, vm);
			return;
		}
		refresh(a, vm, "defined");
	}
	dom = lookup(a, vm);
	if (dom == NULL) {
		textf(text, sizeof(text), "lookup %s: %s", vm->cfg->name, lv_error());
		sg_ha_reply(a, m->seq, SG_AGENT_E_LIBVIRT, text, vm);
		return;
	}
	if (vm->lv_state == VIR_DOMAIN_PAUSED || vm->lv_state == VIR_DOMAIN_PMSUSPENDED)
		rc = virDomainResume(dom);
	else if (vm->lv_state == VIR_DOMAIN_SHUTOFF || vm->lv_state == VIR_DOMAIN_CRASHED)
		rc = virDomainCreate(dom);
	virDomainFree(dom);
	if (rc < 0) {
		textf(text, sizeof(text), "start %s: %s", vm->cfg->name, lv_error());
		sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
		sg_ha_reply(a, m->seq, SG_AGENT_E_LIBVIRT, text, vm);
		refresh(a, vm, "start failed");
		return;
	}
	vm->stopping = false;
	deadline = sg_ha_now_ms() + (SG_AGENT_HAS(m, SG_AGENT_ATTR_DEADLINE_MS)
					     ? m->deadline_ms
					     : a->cfg->start_timeout_ms);
	pending_add(vm, SG_AGENT_MSG_ENSURE_RUNNING, m->seq, deadline);
	refresh(a, vm, "start");
	check_ready(a, vm, sg_ha_now_ms());
}

void
sg_ha_cmd_stop(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm(a, m);
	char text[SG_AGENT_TEXT_MAX];
	virDomainPtr dom;

	if (vm == NULL)
		return;
	if (!a->lv_up) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_UNAVAILABLE, "libvirt not connected; retry", vm);
		return;
	}
	refresh(a, vm, "stop");
	if (vm->state == SG_AGENT_VM_SHUTOFF || vm->state == SG_AGENT_VM_UNDEFINED ||
	    vm->state == SG_AGENT_VM_CRASHED) {
		sg_ha_reply(a, m->seq, SG_AGENT_OK, "already stopped", vm);
		return;
	}
	if (!pending_add(vm, SG_AGENT_MSG_STOP, m->seq, 0)) {
		sg_ha_reply(a, m->seq, SG_AGENT_E_FULL, "too many commands waiting for this VM",
			    vm);
		return;
	}
	if (vm->stopping)
		return; /* a shutdown is under way: answered with it */
	dom = lookup(a, vm);
	if (dom == NULL) {
		textf(text, sizeof(text), "lookup %s: %s", vm->cfg->name, lv_error());
		pending_complete(a, vm, SG_AGENT_MSG_STOP, SG_AGENT_E_LIBVIRT, text);
		return;
	}
	vm->stopping = true;
	vm->stop_deadline = sg_ha_now_ms() + (SG_AGENT_HAS(m, SG_AGENT_ATTR_DEADLINE_MS)
						      ? m->deadline_ms
						      : a->cfg->stop_timeout_ms);
	if (virDomainShutdown(dom) < 0) {
		sg_ha_log(LOG_WARNING, "vm %s: shutdown refused (%s): destroying", vm->cfg->name,
			  lv_error());
		vm->stop_deadline = 0;
	}
	virDomainFree(dom);
	refresh(a, vm, "shutdown requested");
}

void
sg_ha_cmd_status(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm(a, m);

	if (vm == NULL)
		return;
	if (a->lv_up)
		refresh(a, vm, "status");
	sg_ha_reply(a, m->seq, a->lv_up ? SG_AGENT_OK : SG_AGENT_E_UNAVAILABLE,
		    a->lv_up ? "" : "libvirt not connected; last known state", vm);
}

int
sg_ha_virt_test_destroy(struct sg_ha_agent *a, const char *name, char *err, size_t errlen)
{
	struct sg_ha_vm *vm = sg_ha_vm_find(a, name);
	virDomainPtr dom = vm ? lookup(a, vm) : NULL;
	int rc;

	if (dom == NULL) {
		textf(err, errlen, "no domain %s", name);
		return -ENOENT;
	}
	rc = virDomainDestroy(dom);
	virDomainFree(dom);
	if (rc < 0) {
		textf(err, errlen, "%s", lv_error());
		return -EIO;
	}
	return 0;
}
