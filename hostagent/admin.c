/* SPDX-License-Identifier: BSD-3-Clause */
/* Admin socket (admin.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "addr.h"
#include "admin.h"
#include "command.h"
#include "log.h"

#define ADMIN_LINE_MAX 256
#define ADMIN_OUT_MAX  (64u * 1024)

struct out {
	char *b;
	size_t len;
};

static void __attribute__((format(printf, 2, 3))) outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= ADMIN_OUT_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->b + o->len, ADMIN_OUT_MAX - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len +=
			(size_t)n < ADMIN_OUT_MAX - o->len ? (size_t)n : ADMIN_OUT_MAX - 1 - o->len;
}

static void
cmd_status(struct sg_ha_admin *a, struct out *o)
{
	outf(o, "host %s\nlibvirt %s %s\ncontrol %s\n", a->cfg->host, a->vms->lv.up ? "up" : "down",
	     a->cfg->uri, sg_ha_link_state_name(a->link));
	outf(o, "datapath %s\n", a->flows->dp ? "loaded" : "off");
	for (unsigned int i = 0; i < a->vms->n_vms; i++) {
		const struct sg_ha_vm *vm = &a->vms->vms[i];
		char addr[INET6_ADDRSTRLEN] = "-";

		if (vm->addr.family)
			inet_ntop(sg_agent_addr_af(&vm->addr), vm->addr.bytes, addr, sizeof(addr));
		outf(o, "vm %s %s %s %u\n", vm->cfg->name, sg_agent_vm_state_name(vm->state), addr,
		     vm->cfg->port);
	}
}

static void
cmd_counters(struct sg_ha_admin *a, struct out *o)
{
	const struct sg_ha_lv_counters *lc = &a->vms->lv.ctr;
	const struct sg_ha_vm_counters *vc = &a->vms->ctr;
	const struct sg_ha_link_counters *kc = &a->link->ctr;
	struct sg_ha_dp *dpp = a->flows->dp;
	uint64_t dp[SG_HA_CTR_MAX];

	outf(o,
	     "lv_events %llu\nlv_events_lost %llu\nlv_connects %llu\nlv_connect_failures %llu\n"
	     "resyncs %llu\nresync_repairs %llu\nlink_connects %llu\nlink_failures %llu\n"
	     "link_auth_failures %llu\nlink_proto_errors %llu\nqueue_drops %llu\ncommands %llu\n",
	     (unsigned long long)lc->events, (unsigned long long)lc->events_lost,
	     (unsigned long long)lc->connects, (unsigned long long)lc->connect_failures,
	     (unsigned long long)vc->resyncs, (unsigned long long)vc->resync_repairs,
	     (unsigned long long)kc->connects, (unsigned long long)kc->failures,
	     (unsigned long long)kc->auth_failures, (unsigned long long)kc->proto_errors,
	     (unsigned long long)kc->queue_drops, (unsigned long long)vc->commands);
	outf(o, "link_bad_tags %llu\n", (unsigned long long)kc->bad_tags);
	if (dpp && sg_ha_dp_counters(dpp, dp) == 0) {
		for (unsigned int i = 0; i < SG_HA_CTR_MAX; i++)
			outf(o, "bpf_%s %llu\n", sg_ha_dp_ctr_name(i), (unsigned long long)dp[i]);
		outf(o, "bpf_vip_entries %u\n", sg_ha_dp_vip_count(dpp));
	}
	for (unsigned int i = 0; dpp && i < a->cfg->n_vms; i++) {
		const struct sg_ha_vm_cfg *v = &a->cfg->vms[i];
		struct sg_ha_ep vip;
		struct sg_ha_vstats st;

		if (!v->vip.family)
			continue;
		sg_ha_addr_cfg_to_ep(&v->vip, v->vip_port, v->proto, &vip);
		if (sg_ha_dp_vip_stats(dpp, &vip, &st) == 0)
			outf(o,
			     "vip_%s rx_packets %llu rx_bytes %llu tx_packets %llu tx_bytes %llu\n",
			     v->name, (unsigned long long)st.rx_packets,
			     (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_packets,
			     (unsigned long long)st.tx_bytes);
	}
}

static void
run_line(struct sg_ha_admin *a, char *line, struct out *o)
{
	char err[256] = "";
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	if (strcmp(line, "status") == 0) {
		cmd_status(a, o);
	} else if (strcmp(line, "counters") == 0) {
		cmd_counters(a, o);
	} else if (strcmp(line, "resync") == 0) {
		sg_ha_vm_resync(a->vms, true);
		outf(o, "ok\n");
	} else if (strcmp(line, "detach") == 0) {
		sg_ha_flow_detach(a->flows);
		outf(o, "ok datapath detached and unpinned\n");
	} else if (strncmp(line, "test-", 5) == 0 && !a->cfg->test_hooks) {
		outf(o, "error test hooks are off (test_hooks: true in the config)\n");
	} else if (strcmp(line, "test-libvirt-close") == 0) {
		sg_ha_lv_drop(&a->vms->lv, "test hook test-libvirt-close");
		outf(o, "ok\n");
	} else if (strcmp(line, "test-lose-events") == 0 && arg) {
		char *end = NULL;
		long v = strtol(arg, &end, 10);

		if (end == arg || *end != '\0' || v < 0 || v > 1000000) {
			outf(o, "error test-lose-events wants a count 0..1000000\n");
		} else {
			a->vms->lv.lose_events = (int)v;
			outf(o, "ok\n");
		}
	} else if (strcmp(line, "test-destroy") == 0 && arg) {
		if (sg_ha_cmd_test_destroy(a->vms, arg, err, sizeof(err)))
			outf(o, "error %s\n", err);
		else
			outf(o, "ok\n");
	} else if (strcmp(line, "test-control-close") == 0) {
		sg_ha_link_drop(a->link, "test hook test-control-close");
		outf(o, "ok\n");
	} else {
		outf(o, "error unknown command \"%.64s\" (status, counters, resync, detach)\n",
		     line);
	}
}

static void
admin_io(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_admin *a = opaque;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	char line[ADMIN_LINE_MAX];
	struct out o = {0};
	size_t len = 0;
	int c;

	(void)watch;
	(void)events;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* Bounded: one line, 200 ms. */
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(line) - 1) {
		ssize_t n = recv(c, line + len, sizeof(line) - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	o.b = malloc(ADMIN_OUT_MAX);
	if (o.b) {
		run_line(a, line, &o);
		if (send(c, o.b, o.len, MSG_NOSIGNAL) < 0)
			sg_ha_log(LOG_DEBUG, "admin: reply lost: %s", strerror(errno));
		free(o.b);
	}
	close(c);
}

int
sg_ha_admin_init(struct sg_ha_admin *a, const struct sg_ha_config *cfg, struct sg_ha_vms *vms,
		 struct sg_ha_link *link, struct sg_ha_flows *flows)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	a->cfg = cfg;
	a->vms = vms;
	a->link = link;
	a->flows = flows;
	a->fd = -1;
	a->watch = -1;
	if (a->cfg->admin_socket[0] == '\0')
		return 0;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->cfg->admin_socket);
	/* Create missing parent folders (0700: the socket's folder is the access control). */
	for (char *p = sun.sun_path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(sun.sun_path, 0700) && errno != EEXIST) {
			sg_ha_log(LOG_ERR, "admin: cannot create %s: %s", sun.sun_path,
				  strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	unlink(sun.sun_path);
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0 || bind(a->fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(sun.sun_path, 0600) || listen(a->fd, 8)) {
		sg_ha_log(LOG_ERR, "admin: cannot listen on %s: %s", sun.sun_path, strerror(errno));
		return -errno;
	}
	a->watch = virEventAddHandle(a->fd, VIR_EVENT_HANDLE_READABLE, admin_io, a, NULL);
	return a->watch < 0 ? -EIO : 0;
}

void
sg_ha_admin_fini(struct sg_ha_admin *a)
{
	if (a->watch >= 0)
		virEventRemoveHandle(a->watch);
	if (a->fd >= 0) {
		close(a->fd);
		unlink(a->cfg->admin_socket);
	}
}
