/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control path's CPU cost alone, free of scheduling noise: one thread
 * alternates between playing the data plane and running sg-control's core
 * (sg_ctl_poll: ring, broker, csm, LMDB commit, answers) on the same
 * rings, in bursts of BURST sessions; the no-work ceiling is the same loop
 * with an echo instead of the core. The token core adds idmgr (a store of
 * bench_pop's users), a token application with its graph, and eight VMs.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"
#include "bench_pop.h"
#include "bus.h"
#include "ids.h"
#include "sessiondb.h"
#include "shm.h"

#define BURST	  1024
#define AUTH_VMS  8
#define CORE_APPS 3

static int
nop_send(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	(void)p;
	(void)r;
	return 0;
}

static void
app_cfg(struct sg_ctl_app_cfg *a, const char *name, uint16_t port)
{
	snprintf(a->name, SG_CTL_NAME_MAX, "%s", name);
	a->family = 4;
	a->proto = 6;
	a->port = port;
	memcpy(a->vip, (uint8_t[]){198, 18, 10, 1}, 4);
	a->mode = SG_MSG_INSTALL_NAT;
	a->exec_limit = 10000000;
	a->wait_limit = 1000;
}

/*
 * One host, one pool; plain: one VM, one app; auth: AUTH_VMS VMs, BENCH_APP
 * with tokens, and an anonymous app keyed by the same cookie.
 */
static void
core_cfg(struct sg_ctl_cfg *cfg, enum bench_core core, const char *dir, const struct bench_pop *p)
{
	unsigned int i;

	sg_ctl_cfg_defaults(cfg);
	cfg->n_hosts = 1;
	snprintf(cfg->hosts[0].name, SG_CTL_NAME_MAX, "h1");
	cfg->hosts[0].family = 4;
	cfg->n_pools = 1;
	snprintf(cfg->pools[0].name, SG_CTL_NAME_MAX, "p1");
	cfg->pools[0].session_cap = 10000000;
	cfg->pools[0].starts_inflight = AUTH_VMS;
	cfg->n_vms = core == BENCH_CORE_AUTH ? AUTH_VMS : 1;
	for (i = 0; i < cfg->n_vms; i++) {
		snprintf(cfg->vms[i].name, SG_CTL_NAME_MAX, "vm%u", i + 1);
		cfg->vms[i].family = 4;
	}
	cfg->n_apps = 1;
	app_cfg(&cfg->apps[0], "web", BENCH_PORT);
	if (core != BENCH_CORE_AUTH)
		return;
	snprintf(cfg->idmgr_dir, sizeof(cfg->idmgr_dir), "%s/idmgr-inproc", dir);
	cfg->idmgr_lease = true;
	cfg->n_apps = CORE_APPS;
	app_cfg(&cfg->apps[1], BENCH_APP, BENCH_AUTH_PORT);
	cfg->apps[1].match = SG_CTL_MATCH_HTTP_COOKIE;
	snprintf(cfg->apps[1].value, sizeof(cfg->apps[1].value), BENCH_COOKIE);
	cfg->apps[1].value_len = (uint16_t)strlen(BENCH_COOKIE);
	cfg->apps[1].auth.mode = SG_CTL_AUTH_TOKEN;
	cfg->apps[1].auth.graph = true;
	cfg->apps[1].auth.keys[0] = p->key;
	cfg->apps[1].auth.n_keys = 1;
	/* the same key without the checks: what the token's 59 bytes cost alone */
	app_cfg(&cfg->apps[2], "cookie", BENCH_COOKIE_PORT);
	cfg->apps[2].match = SG_CTL_MATCH_HTTP_COOKIE;
	snprintf(cfg->apps[2].value, sizeof(cfg->apps[2].value), BENCH_COOKIE);
	cfg->apps[2].value_len = (uint16_t)strlen(BENCH_COOKIE);
}

static void
core_open(struct sg_ctl *c, struct sg_ctl_cfg *cfg, enum bench_core core, const char *dir,
	  struct bench_pop *p)
{
	struct sg_ctl_event ev = {.type = SG_CTL_EV_VM_STATE, .state = SG_CTL_VM_RUNNING};
	uint64_t vms[AUTH_VMS];
	struct sg_msg in[64];
	unsigned int i;

	if (sg_ctl_init(c, cfg, NULL) < 0 || sg_ctl_ids_open(c->ids) < 0 ||
	    sg_ctl_db_open(c->db, dir, 64) < 0 || sg_ctl_shm_open(c->shm, bench_it.shm) < 0)
		IT_FAIL("in-process core");
	if (core == BENCH_CORE_AUTH) {
		for (i = 0; i < cfg->n_vms; i++)
			vms[i] = c->inv.vms[i].id;
		bench_pop_fill(p, sg_ctl_ids_store(c->ids), vms, cfg->n_vms, BENCH_AUTH_PORT);
	}
	sg_ctl_bus_set_up(c->bus, c->inv.hosts[0].provider, true, nop_send, NULL);
	for (i = 0; i < cfg->n_vms; i++) {
		ev.vm = &c->inv.vms[i];
		sg_ctl_bus_publish(c->bus, &ev);
	}
	sg_ctl_poll(c, 64);
	while (dpsim_recv(&bench_it.dp, 0, in, 64) > 0) /* RESYNC */
		;
}

/* BURST sessions at a time through the core (or the echo); every answer an INSTALL. */
static void
core_loop(struct sg_ctl *c, uint64_t n, bool echo, const struct bench_tmpl *t)
{
	static uint64_t sid = 10000000;
	struct sg_msg m, cl, in[64];
	uint64_t done = 0, sent, k, rnd = 88172645463325252ull;
	unsigned int i, got;

	memset(in, 0, sizeof(in)); /* no element is read before something wrote it */
	memset(&cl, 0, sizeof(cl));
	cl.hdr.version = SG_MSG_VERSION;
	cl.hdr.type = SG_MSG_SESSION_CLOSED;
	cl.hdr.len = sizeof(cl.hdr) + sizeof(cl.closed);
	while (done < n) {
		for (sent = 0; sent < BURST && done + sent < n; sent++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			memcpy(&m, &t->m[t->n > 1 ? rnd % t->n : 0], sizeof(m));
			m.hdr.session_id = ++sid;
			if (dpsim_send(&bench_it.dp, 0, &m) < 0)
				IT_FAIL("ring full in the in-process loop");
		}
		for (k = 0; k < sent;) {
			if (echo) {
				got = rte_ring_sc_dequeue_burst_elem(bench_it.dp.tx[0], in,
								     SG_MSG_SIZE, 64, NULL);
				for (i = 0; i < got; i++)
					in[i].hdr.type = SG_MSG_SESSION_INSTALL;
				rte_ring_sp_enqueue_burst_elem(bench_it.dp.rx[0], in, SG_MSG_SIZE,
							       got, NULL);
			} else {
				sg_ctl_poll(c, 4096);
			}
			while ((got = dpsim_recv(&bench_it.dp, 0, in, 64)) > 0) {
				for (i = 0; i < got; i++) {
					if (in[i].hdr.type != SG_MSG_SESSION_INSTALL)
						IT_FAIL("in-process: answer type %u (reason %u)",
							in[i].hdr.type, in[i].reject.reason);
					cl.hdr.session_id = in[i].hdr.session_id;
					if (!echo && dpsim_send(&bench_it.dp, 0, &cl) < 0)
						IT_FAIL("ring full (close)");
				}
				k += got;
			}
		}
		if (!echo)
			sg_ctl_poll(c, 4096); /* the closes */
		done += sent;
	}
}

/* The usage records and access log of a template set (the core reads cfg at each record). */
static void
core_usage(struct sg_ctl_cfg *cfg, const char *dir)
{
	snprintf(cfg->usage.path, sizeof(cfg->usage.path), "%s%s", dir != NULL ? dir : "",
		 dir != NULL ? "/usage.jsonl" : "");
	snprintf(cfg->usage.access_log, sizeof(cfg->usage.access_log), "%s%s",
		 dir != NULL ? dir : "", dir != NULL ? "/access.jsonl" : "");
	cfg->usage.keep = 1;
}

void
bench_inproc(uint64_t n, enum bench_core core, const char *dir, struct bench_pop *p,
	     const struct bench_tmpl *t, unsigned int n_t, double *rates)
{
	static struct sg_ctl_cfg cfg;
	static struct sg_ctl c;
	uint64_t t0, setups0, verified0;
	unsigned int j;

	core_cfg(&cfg, core, dir, p);
	if (core != BENCH_CORE_ECHO)
		core_open(&c, &cfg, core, dir, p);
	for (j = 0; j < n_t; j++) {
		setups0 = c.st.setups;
		verified0 = c.st.auth.verified;
		core_usage(&cfg, t[j].usage_dir);
		t0 = bench_cpu_ns();
		core_loop(&c, n, core == BENCH_CORE_ECHO, &t[j]);
		rates[j] = (double)n * 1e9 / (double)(bench_cpu_ns() - t0);
		if (core == BENCH_CORE_ECHO)
			continue;
		if (c.tab.n_state[SG_CTL_CS_INSTALLED] != 0 || c.st.setups - setups0 != n)
			IT_FAIL("in-process: %u left installed, %llu setups of %llu",
				c.tab.n_state[SG_CTL_CS_INSTALLED],
				(unsigned long long)(c.st.setups - setups0), (unsigned long long)n);
		if (t[j].m[0].session_new.flow.dport == BENCH_AUTH_PORT &&
		    c.st.auth.verified - verified0 != n)
			IT_FAIL("in-process: %llu tokens verified of %llu sessions",
				(unsigned long long)(c.st.auth.verified - verified0),
				(unsigned long long)n);
	}
	if (core == BENCH_CORE_AUTH)
		bench_pop_costs(p, sg_ctl_ids_store(c.ids));
	if (core != BENCH_CORE_ECHO)
		sg_ctl_fini(&c);
}
