/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-hostagent: one per VM host. Usage:
 *   sg-hostagent -c CONFIG.yaml [-v]     run
 *   sg-hostagent -c CONFIG.yaml --check  validate the configuration and exit
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

uint64_t
sg_ha_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
addr_to_ep(const struct sg_agent_addr *a, uint16_t port, uint8_t proto, struct sg_ha_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = a->family;
	memcpy(ep->addr, a->bytes, SG_WIRE_FAMILY_LEN(a->family));
	ep->port = htons(port);
	ep->proto = proto;
}

static void
cfg_to_ep(const struct sg_cfg_addr *a, uint16_t port, uint8_t proto, struct sg_ha_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = a->family == AF_INET ? 4 : 6;
	memcpy(ep->addr, a->family == AF_INET ? (const void *)&a->v4 : a->v6,
	       a->family == AF_INET ? 4 : 16);
	ep->port = htons(port);
	ep->proto = proto;
}

int
sg_ha_flow_add(struct sg_ha_agent *a, const struct sg_agent_msg *m, char *err, size_t errlen)
{
	const uint32_t need = 1u << SG_AGENT_ATTR_VIP | 1u << SG_AGENT_ATTR_VIP_PORT |
			      1u << SG_AGENT_ATTR_PROTO | 1u << SG_AGENT_ATTR_ADDR |
			      1u << SG_AGENT_ATTR_PORT;
	struct sg_ha_ep vip, vm;
	uint32_t ifindex = 0;
	int rc;

	if (a->dp == NULL) {
		snprintf(err, errlen, "datapath not enabled on host %s", a->cfg->host);
		return -EOPNOTSUPP;
	}
	if ((m->present & need) != need || (m->proto != 6 && m->proto != 17) ||
	    m->vip.family != m->addr.family || m->vip_port == 0 || m->port == 0) {
		snprintf(err, errlen,
			 "FLOW_ADD needs VIP, VIP_PORT, PROTO (6/17), ADDR, PORT of "
			 "one family");
		return -EINVAL;
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME)) {
		struct sg_ha_vm *v = sg_ha_vm_find(a, m->vm_name);

		if (v == NULL) {
			snprintf(err, errlen, "no VM %s on host %s", m->vm_name, a->cfg->host);
			return -ENOENT;
		}
		ifindex = v->cfg->ifindex;
	}
	addr_to_ep(&m->vip, m->vip_port, m->proto, &vip);
	addr_to_ep(&m->addr, m->port, m->proto, &vm);
	rc = sg_ha_dp_vip_add(a->dp, &vip, &vm, ifindex);
	if (rc)
		snprintf(err, errlen, "cannot install flow: %s", strerror(-rc));
	return rc;
}

int
sg_ha_flow_del(struct sg_ha_agent *a, const struct sg_agent_msg *m)
{
	struct sg_ha_ep vip;

	if (a->dp == NULL || !SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP) ||
	    !SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP_PORT) || !SG_AGENT_HAS(m, SG_AGENT_ATTR_PROTO))
		return -EINVAL;
	addr_to_ep(&m->vip, m->vip_port, m->proto, &vip);
	return sg_ha_dp_vip_del(a->dp, &vip);
}

static int
datapath_start(struct sg_ha_agent *a)
{
	struct sg_ha_bpf_cfg bcfg = {.gue_port = htons(a->cfg->gue_port)};
	int rc;

	if (a->cfg->host4.family)
		bcfg.host4 = a->cfg->host4.v4;
	if (a->cfg->host6.family)
		memcpy(bcfg.host6, a->cfg->host6.v6, 16);
	rc = sg_ha_dp_open(a->cfg->pin_dir, a->cfg->uplink, &bcfg, &a->dp);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < a->n_vms; i++) {
		const struct sg_ha_vm_cfg *v = a->vms[i].cfg;
		struct sg_ha_ep vip, vm;

		if (!v->vip.family)
			continue;
		cfg_to_ep(&v->vip, v->vip_port, v->proto, &vip);
		cfg_to_ep(&v->addr, v->port, v->proto, &vm);
		rc = sg_ha_dp_vip_add(a->dp, &vip, &vm, v->ifindex);
		if (rc) {
			sg_ha_log(LOG_ERR, "datapath: vm %s: cannot install its VIP: %s", v->name,
				  strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
tick(int timer, void *opaque)
{
	struct sg_ha_agent *a = opaque;
	uint64_t now = sg_ha_now_ms();

	(void)timer;
	sg_ha_virt_tick(a, now);
	sg_ha_link_tick(a, now);
}

static void
on_signal(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_agent *a = opaque;
	struct signalfd_siginfo si;

	(void)watch;
	(void)events;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		sg_ha_log(LOG_INFO, "signal %u: stopping (datapath stays attached)", si.ssi_signo);
		a->stop = true;
	}
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sg-hostagent -c CONFIG.yaml [-v] [--check]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"check", no_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct sg_ha_agent *a;
	struct sg_cfg_error err = {0};
	const char *path = NULL;
	bool check = false;
	int sfd, timer, rc, opt;
	sigset_t ss;
	char msg[600];

	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			sg_ha_log_level = LOG_DEBUG;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL) {
		usage(stderr);
		return 2;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return 1;
	a->cfg = calloc(1, sizeof(*a->cfg));
	if (a->cfg == NULL) {
		free(a);
		return 1;
	}
	rc = sg_ha_config_load(path, a->cfg, &err);
	if (rc) {
		fprintf(stderr, "sg-hostagent: %s\n", sg_cfg_error_format(&err, msg, sizeof(msg)));
		rc = 1;
		goto out;
	}
	if (check) {
		printf("%s: ok (%u VMs)\n", path, a->cfg->n_vms);
		rc = 0;
		goto out;
	}

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);

	/* libvirt's event loop must exist before the first connection (keepalive, events). */
	if (virEventRegisterDefaultImpl() < 0) {
		sg_ha_log(LOG_ERR, "libvirt: cannot register the default event loop");
		rc = 1;
		goto out;
	}
	if (sg_ha_link_init(a) || sg_ha_virt_init(a) || sg_ha_admin_init(a)) {
		rc = 1;
		goto out;
	}
	if (a->cfg->dp_enabled && datapath_start(a)) {
		rc = 1;
		goto out;
	}
	virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, a, NULL);
	timer = virEventAddTimeout(SG_HA_TICK_MS, tick, a, NULL);
	if (timer < 0) {
		rc = 1;
		goto out;
	}
	sg_ha_log(LOG_INFO, "host %s: %u VMs, libvirt %s, control %s port %u", a->cfg->host,
		  a->n_vms, a->cfg->uri, sg_cfg_addr_format(&a->cfg->control_addr, msg, 64),
		  a->cfg->control_port);
	while (!a->stop)
		if (virEventRunDefaultImpl() < 0)
			break;

	virEventRemoveTimeout(timer);
	sg_ha_admin_fini(a);
	sg_ha_link_fini(a);
	sg_ha_virt_fini(a);
	sg_ha_dp_close(a->dp); /* pinned maps and tc filters stay: flows survive a restart */
	close(sfd);
	rc = 0;
out:
	free(a->cfg);
	free(a);
	return rc;
}
