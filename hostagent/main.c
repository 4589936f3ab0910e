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

#include <libvirt/libvirt.h>

#include "admin.h"
#include "clock.h"
#include "dispatch.h"
#include "flow.h"
#include "link.h"
#include "log.h"
#include "vm.h"

#define SG_HA_TICK_MS 100 /**< the one periodic timer: deadlines, reconnects, pings */

/* The whole agent: only the wiring sees every module. */
struct agent {
	struct sg_ha_config *cfg;
	struct sg_ha_link links[SG_HA_CONTROLS_MAX]; /**< one per sg-control (cfg->controls) */
	struct sg_ha_vms vms;
	struct sg_ha_flows flows;
	struct sg_ha_dispatch dispatch;
	struct sg_ha_admin admin;
	bool stop;
};

static void
tick(int timer, void *opaque)
{
	struct agent *a = opaque;
	uint64_t now = sg_ha_now_ms();

	(void)timer;
	sg_ha_vm_tick(&a->vms, now);
	for (unsigned int i = 0; i < a->cfg->n_controls; i++)
		sg_ha_link_tick(&a->links[i], now);
}

static void
on_signal(int watch, int fd, int events, void *opaque)
{
	struct agent *a = opaque;
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
	struct agent *a;
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
		case 'h': /* asked for: stdout and success; anything else is a usage error */
		default:
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
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
	/* Each module gets what it uses; the way back goes through the dispatcher's callbacks. */
	sg_ha_dispatch_init(&a->dispatch, a->links, a->cfg->n_controls, &a->vms, &a->flows);
	sg_ha_flow_init(&a->flows, a->cfg);
	for (unsigned int i = 0; i < a->cfg->n_controls; i++)
		if (sg_ha_link_init(&a->links[i], a->cfg, &a->cfg->controls[i],
				    &sg_ha_dispatch_link_ops, &a->dispatch.ports[i])) {
			rc = 1;
			goto out;
		}
	if (sg_ha_vm_init(&a->vms, a->cfg, &sg_ha_dispatch_vm_ops, &a->dispatch) ||
	    sg_ha_admin_init(&a->admin, a->cfg, &a->vms, &a->links[0], &a->flows)) {
		rc = 1;
		goto out;
	}
	if (a->cfg->dp_enabled && sg_ha_flow_start(&a->flows)) {
		rc = 1;
		goto out;
	}
	virEventAddHandle(sfd, VIR_EVENT_HANDLE_READABLE, on_signal, a, NULL);
	timer = virEventAddTimeout(SG_HA_TICK_MS, tick, a, NULL);
	if (timer < 0) {
		rc = 1;
		goto out;
	}
	sg_ha_log(LOG_INFO, "host %s: %u VMs, libvirt %s, control %s port %u (%u sg-controls)",
		  a->cfg->host, a->vms.n_vms, a->cfg->uri,
		  sg_cfg_addr_format(&a->cfg->control_addr, msg, 64), a->cfg->control_port,
		  a->cfg->n_controls);
	while (!a->stop)
		if (virEventRunDefaultImpl() < 0)
			break;

	virEventRemoveTimeout(timer);
	sg_ha_admin_fini(&a->admin);
	for (unsigned int i = 0; i < a->cfg->n_controls; i++)
		sg_ha_link_fini(&a->links[i]);
	sg_ha_vm_fini(&a->vms);
	sg_ha_flow_close(&a->flows); /* pinned maps and tc filters stay: flows survive a restart */
	close(sfd);
	rc = 0;
out:
	free(a->cfg);
	free(a);
	return rc;
}
