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
#include <stdbool.h>
#include <sys/un.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "addr.h"
#include "admin.h"
#include "clock.h"
#include "command.h"
#include "log.h"

#define ADMIN_LINE_MAX	  256
#define ADMIN_OUT_MAX	  (64u * 1024)
#define ADMIN_DEADLINE_MS 2000 /**< per connection, from accept to the last byte out */
#define ADMIN_SWEEP_MS	  200

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
	for (unsigned int i = 1; i < a->cfg->n_controls; i++) /* a cluster's other sg-controls */
		outf(o, "control[%u] %s\n", i, sg_ha_link_state_name(&a->link[i]));
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
	const struct {
		const char *name;
		uint64_t v;
	} vmc[] = {{"saves", vc->saves},
		   {"save_failures", vc->save_failures},
		   {"resumes", vc->resumes},
		   {"resume_fallbacks", vc->resume_fallbacks},
		   {"boots", vc->boots},
		   {"crashes", vc->crashes},
		   {"vm_defines", vc->vm_defines},
		   {"vm_define_errors", vc->vm_define_errors},
		   {"vm_undefines", vc->vm_undefines}};

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
	outf(o,
	     "link_bad_tags %llu\nadmin_timeouts %llu\nadmin_evicted %llu\nadmin_too_long %llu\n",
	     (unsigned long long)kc->bad_tags, (unsigned long long)a->ctr.timeouts,
	     (unsigned long long)a->ctr.evicted, (unsigned long long)a->ctr.too_long);
	outf(o, "app_checks %llu\napp_check_failures %llu\napp_downs %llu\n",
	     (unsigned long long)vc->app_checks, (unsigned long long)vc->app_check_failures,
	     (unsigned long long)vc->app_downs);
	for (unsigned int i = 0; i < sizeof(vmc) / sizeof(vmc[0]); i++)
		outf(o, "%s %llu\n", vmc[i].name, (unsigned long long)vmc[i].v);
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
	} else if (strcmp(line, "test-crash") == 0 && arg) {
		if (sg_ha_cmd_test_crash(a->vms, arg, err, sizeof(err)))
			outf(o, "error %s\n", err);
		else
			outf(o, "ok\n");
	} else if (strcmp(line, "test-fail-resume") == 0) {
		a->vms->fail_next_resume = true;
		outf(o, "ok the next restore from a managed-save image fails\n");
	} else if (strcmp(line, "test-control-close") == 0) {
		sg_ha_link_drop(a->link, "test hook test-control-close");
		outf(o, "ok\n");
	} else {
		outf(o, "error unknown command \"%.64s\" (status, counters, resync, detach)\n",
		     line);
	}
}

/* One admin connection: its line in, then its answer out; never blocks the loop. */
struct sg_ha_admin_conn {
	struct sg_ha_admin *a;
	int fd;
	int watch;
	uint64_t deadline; /**< absolute: line read and answer written by then */
	char line[ADMIN_LINE_MAX];
	size_t len;
	struct out o; /**< the answer, once the line is complete */
	size_t off;
};

/* The event loop calls this once the handle is gone: only then close and free. */
static void
conn_free(void *opaque)
{
	struct sg_ha_admin_conn *c = opaque;

	close(c->fd);
	free(c->o.b);
	free(c);
}

static void
conn_close(struct sg_ha_admin_conn *c)
{
	struct sg_ha_admin *a = c->a;

	for (unsigned int i = 0; i < SG_HA_ADMIN_CONNS_MAX; i++)
		if (a->conns[i] == c)
			a->conns[i] = NULL;
	virEventRemoveHandle(c->watch); /* conn_free follows */
}

/* The line is complete (newline, EOF or too long): run it, then write the answer. */
static void
conn_answer(struct sg_ha_admin_conn *c, bool too_long)
{
	c->o.b = malloc(ADMIN_OUT_MAX);
	if (c->o.b == NULL) {
		conn_close(c);
		return;
	}
	c->line[c->len] = '\0';
	c->line[strcspn(c->line, "\r\n")] = '\0';
	if (too_long) {
		c->a->ctr.too_long++;
		outf(&c->o, "error line over %u bytes\n", ADMIN_LINE_MAX - 1);
	} else {
		run_line(c->a, c->line, &c->o);
	}
	virEventUpdateHandle(c->watch, VIR_EVENT_HANDLE_WRITABLE);
}

static void
conn_io(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_admin_conn *c = opaque;
	ssize_t n;

	(void)watch;
	if (c->o.b == NULL) {
		if (!(events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP |
				VIR_EVENT_HANDLE_ERROR)))
			return;
		n = recv(fd, c->line + c->len, sizeof(c->line) - 1 - c->len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->len += (size_t)n;
		if (n <= 0 || memchr(c->line, '\n', c->len) != NULL)
			conn_answer(c, false); /* EOF: the client shut its side after the line */
		else if (c->len == sizeof(c->line) - 1)
			conn_answer(c, true);
		return;
	}
	n = send(fd, c->o.b + c->off, c->o.len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->off += (size_t)n;
	if (n <= 0 || c->off == c->o.len)
		conn_close(c);
}

/* Every tick: close connections past their deadline. */
static void
admin_sweep(int timer, void *opaque)
{
	struct sg_ha_admin *a = opaque;
	uint64_t now = sg_ha_now_ms();

	(void)timer;
	for (unsigned int i = 0; i < SG_HA_ADMIN_CONNS_MAX; i++) {
		if (a->conns[i] != NULL && now >= a->conns[i]->deadline) {
			a->ctr.timeouts++;
			conn_close(a->conns[i]);
		}
	}
}

static void
admin_accept(int watch, int fd, int events, void *opaque)
{
	struct sg_ha_admin *a = opaque;
	struct sg_ha_admin_conn *c;
	unsigned int i;
	int s;

	(void)watch;
	(void)events;
	s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s < 0)
		return;
	for (i = 0; i < SG_HA_ADMIN_CONNS_MAX && a->conns[i] != NULL; i++)
		;
	if (i == SG_HA_ADMIN_CONNS_MAX) {
		/* All busy: the oldest goes, so that stalled clients cannot lock out a new one. */
		unsigned int old = 0;

		for (i = 1; i < SG_HA_ADMIN_CONNS_MAX; i++)
			if (a->conns[i]->deadline < a->conns[old]->deadline)
				old = i;
		a->ctr.evicted++;
		conn_close(a->conns[old]);
		i = old;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(s);
		return;
	}
	c->a = a;
	c->fd = s;
	c->deadline = sg_ha_now_ms() + ADMIN_DEADLINE_MS;
	c->watch = virEventAddHandle(s, VIR_EVENT_HANDLE_READABLE, conn_io, c, conn_free);
	if (c->watch < 0) {
		conn_free(c);
		return;
	}
	a->conns[i] = c;
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
	a->timer = -1;
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
	a->watch = virEventAddHandle(a->fd, VIR_EVENT_HANDLE_READABLE, admin_accept, a, NULL);
	a->timer = virEventAddTimeout(ADMIN_SWEEP_MS, admin_sweep, a, NULL);
	return a->watch < 0 || a->timer < 0 ? -EIO : 0;
}

void
sg_ha_admin_fini(struct sg_ha_admin *a)
{
	for (unsigned int i = 0; i < SG_HA_ADMIN_CONNS_MAX; i++)
		if (a->conns[i] != NULL)
			conn_close(a->conns[i]);
	if (a->timer >= 0)
		virEventRemoveTimeout(a->timer);
	if (a->watch >= 0)
		virEventRemoveHandle(a->watch);
	if (a->fd >= 0) {
		close(a->fd);
		unlink(a->cfg->admin_socket);
	}
}
