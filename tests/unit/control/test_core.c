/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of sg-control's core through the real shared-memory channel
 * (dpsim plays the data plane: real rte_rings in a POSIX shm object) and a
 * real LMDB session database in a temporary directory. The VM manager is
 * reached through the service bus; here the test is the provider's far
 * end (it sees the requests and reports VM states as an agent would).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.h"
#include "broker.h"
#include "bus.h"
#include "cs.h"
#include "csm.h"
#include "ctl.h"
#include "ids.h"
#include "sessiondb.h"
#include "shm.h"
#include "vm.h"
#include "vm_drain.h"
#include <rte_ring.h>

#include "dpsim.h"
#include "sg_idmgr.h"

struct fx {
	struct sg_ctl_cfg cfg;
	struct sg_ctl c;
	struct dpsim d;
	char shm[64];
	char dir[64];
	struct sg_ctl_req reqs[64];
	unsigned int n_reqs;
};

static struct fx *g_fx;

static int
agent_send(struct sg_ctl_provider *p, const struct sg_ctl_req *r)
{
	(void)p;
	if (g_fx->n_reqs < 64)
		g_fx->reqs[g_fx->n_reqs++] = *r;
	return 0;
}

static void
build_cfg(struct sg_ctl_cfg *cfg)
{
	struct sg_ctl_app_cfg *a;
	unsigned int i;

	sg_ctl_cfg_defaults(cfg);
	cfg->n_hosts = 1;
	snprintf(cfg->hosts[0].name, SG_CTL_NAME_MAX, "h1");
	cfg->hosts[0].family = 4;
	inet_pton(AF_INET, "198.18.2.1", cfg->hosts[0].addr);
	cfg->n_pools = 1;
	snprintf(cfg->pools[0].name, SG_CTL_NAME_MAX, "p1");
	cfg->pools[0].session_cap = 2;
	cfg->pools[0].idle_stop_ms = 50;
	cfg->pools[0].starts_inflight = 4;
	cfg->n_vms = 2;
	for (i = 0; i < 2; i++) {
		snprintf(cfg->vms[i].name, SG_CTL_NAME_MAX, "vm%u", i + 1);
		cfg->vms[i].host = 0;
		cfg->vms[i].pool = 0;
		cfg->vms[i].family = 4;
		cfg->vms[i].addr[0] = 198;
		cfg->vms[i].addr[1] = 18;
		cfg->vms[i].addr[2] = 1;
		cfg->vms[i].addr[3] = (uint8_t)(10 + i);
	}
	cfg->n_apps = 2;
	a = &cfg->apps[0];
	snprintf(a->name, SG_CTL_NAME_MAX, "desk");
	a->family = 4;
	a->proto = 6;
	a->port = 443;
	inet_pton(AF_INET, "198.18.10.1", a->vip);
	a->match = SG_CTL_MATCH_TLS_SNI;
	snprintf(a->value, sizeof(a->value), "*.desk.example");
	a->value_len = (uint16_t)strlen(a->value);
	a->affinity = true;
	a->mode = SG_MSG_INSTALL_DSR;
	a->backend_port = 3389;
	a->exec_limit = 100;
	a->wait_limit = 3;
	a = &cfg->apps[1];
	snprintf(a->name, SG_CTL_NAME_MAX, "web");
	a->family = 4;
	a->proto = 6;
	a->port = 80;
	inet_pton(AF_INET, "198.18.10.1", a->vip);
	a->match = SG_CTL_MATCH_ANY;
	a->mode = SG_MSG_INSTALL_NAT;
	a->exec_limit = 100;
	a->wait_limit = 3;
	cfg->n_users = 1;
	snprintf(cfg->users[0].name, SG_CTL_NAME_MAX, "alice");
	cfg->users[0].vm = 1;
	cfg->queue_timeout_ms = 200;
	cfg->vm_start_timeout_ms = 200;
}

static void
fx_start(struct fx *f)
{
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_db_open(f->c.db, f->dir, 16), 0);
	assert_true(sg_ctl_db_load(f->c.db) >= 0);
	assert_int_equal(sg_ctl_shm_open(f->c.shm, f->shm), 0);
	sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, agent_send, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_true(sg_ctl_shm_attached(f->c.shm));
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	g_fx = f;
	snprintf(f->shm, sizeof(f->shm), "/sgctl-unit-%d", (int)getpid());
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgctl-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	build_cfg(&f->cfg);
	assert_int_equal(dpsim_create(&f->d, f->shm, 2, 1024, 0x1111), 0);
	fx_start(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sg_ctl_fini(&f->c);
	dpsim_destroy(&f->d, true);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Drain worker @p w's ctl->dp ring into @p out, skipping RESYNC and AUDIT. */
static unsigned int
recv_all(struct fx *f, unsigned int w, struct sg_msg *out, unsigned int max)
{
	struct sg_msg m;
	unsigned int n = 0;

	/* a caller that reads past what came (after a failed count check) sees zeros */
	if (max > 0)
		memset(out, 0, max * sizeof(*out));
	while (n < max && dpsim_recv(&f->d, w, &m, 1) == 1) {
		assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
		if (m.hdr.type != SG_MSG_SESSION_RESYNC && m.hdr.type != SG_MSG_SESSION_AUDIT)
			out[n++] = m;
	}
	return n;
}

static void
new_session(struct fx *f, uint64_t sid, uint16_t port, uint8_t kt, const char *key)
{
	struct sg_msg m;

	dpsim_make_new(&m, sid, 0, "198.18.10.1", port, kt, key);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
}

static void
vm_report(struct fx *f, unsigned int vm, unsigned int state)
{
	struct sg_ctl_event ev = {
		.type = SG_CTL_EV_VM_STATE, .vm = &f->c.inv.vms[vm], .state = state};

	sg_ctl_clock_update(&f->c.clock);
	sg_ctl_bus_publish(f->c.bus, &ev);
	sg_ctl_commit(&f->c);
}

static void
test_resync_on_attach(void **state)
{
	struct fx *f = *state;
	struct sg_msg m;
	unsigned int w;

	for (w = 0; w < 2; w++) {
		/* the audit (lost closes) first, then the request to re-send held sessions */
		assert_int_equal(dpsim_recv(&f->d, w, &m, 1), 1);
		assert_int_equal(m.hdr.type, SG_MSG_SESSION_AUDIT);
		assert_int_equal(m.hdr.worker, w);
		assert_int_not_equal(m.audit.token, 0);
		assert_int_equal(dpsim_recv(&f->d, w, &m, 1), 1);
		assert_int_equal(m.hdr.type, SG_MSG_SESSION_RESYNC);
		assert_int_equal(m.hdr.worker, w);
	}
}

static void
test_install_running_vm_in_order(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[8];
	uint64_t counts[4];
	unsigned int i;

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	for (i = 1; i <= 2; i++)
		new_session(f, 100 + i, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 8), 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(out[i].hdr.type, SG_MSG_SESSION_INSTALL);
		assert_int_equal(out[i].hdr.session_id, 101 + i);
		assert_int_equal(out[i].install.mode, SG_MSG_INSTALL_NAT);
		assert_int_equal(out[i].install.backend_port, 80);
		assert_int_equal(out[i].install.backend_addr[3], 10);
		assert_int_equal(out[i].install.vm_id, f->c.inv.vms[0].id);
		assert_int_equal(out[i].hdr.seq, i + 2); /* AUDIT was seq 0, RESYNC 1 */
	}
	assert_int_equal(f->c.inv.vms[0].n_sessions, 2);
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 2);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(counts[i], 2);
	/* Close one: rows go, the slot comes back. */
	assert_int_equal(dpsim_send_closed(&f->d, 0, 101), 0);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 1);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 1);
	assert_int_equal(counts[3], 1);
	assert_null(sg_ctl_cs_find(&f->c.tab, 101));
}

static void
test_stopped_vm_waits_then_installs(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[8];
	struct sg_ctl_cs *cs;

	vm_report(f, 0, SG_CTL_VM_STOPPED);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	new_session(f, 7, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 8), 0);
	cs = sg_ctl_cs_find(&f->c.tab, 7);
	assert_non_null(cs);
	assert_int_equal(cs->state, SG_CTL_CS_WAITING);
	assert_int_equal(f->n_reqs, 1);
	assert_int_equal(f->reqs[0].op, SG_CTL_REQ_VM_START);
	assert_ptr_equal(f->reqs[0].vm, &f->c.inv.vms[0]);
	assert_int_equal(f->c.inv.vms[0].state, SG_CTL_VM_STARTING);
	/* A second session joins the VM already starting (cap 2): no second start. */
	new_session(f, 8, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->n_reqs, 1);
	sg_ctl_bus_done(f->c.bus, f->c.inv.hosts[0].provider, f->reqs[0].req_id);
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	assert_int_equal(recv_all(f, 0, out, 8), 2);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(out[0].hdr.session_id, 7);
	assert_int_equal(out[1].hdr.session_id, 8);
	assert_int_equal(cs->state, SG_CTL_CS_INSTALLED);
	assert_int_equal(cs->n_providers, 2); /* VM manager of h1, network manager */
	assert_int_equal(cs->providers[0], f->c.inv.hosts[0].provider_id);
	assert_int_equal(f->c.st.setups, 2);
}

static void
test_wait_queue_overflow_rejects(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[16];
	unsigned int i, n, rejected = 0;

	/* VMs unknown (no agent report): nothing can be placed, all queue. */
	for (i = 0; i < 5; i++)
		new_session(f, 200 + i, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	n = recv_all(f, 0, out, 16);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].hdr.type, SG_MSG_SESSION_REJECT);
		assert_int_equal(out[i].reject.reason, SG_MSG_REASON_QUEUE_FULL);
		assert_true(out[i].reject.retry_after > 0);
		rejected++;
	}
	assert_int_equal(rejected, 2);
	assert_int_equal(f->c.inv.apps[1].n_wait, 3);
	assert_int_equal(f->c.st.rejects[SG_MSG_REASON_QUEUE_FULL], 2);
	/* The queue drains in order once a VM runs (cap 2 each, 2 VMs). */
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	n = recv_all(f, 0, out, 16);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].hdr.session_id, 200);
	assert_int_equal(out[1].hdr.session_id, 201);
	assert_int_equal(f->c.inv.apps[1].n_wait, 1);
	/* The last one times out in the queue. */
	usleep(250 * 1000);
	sg_ctl_tick(&f->c);
	n = recv_all(f, 0, out, 16);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].reject.reason, SG_MSG_REASON_TIMEOUT);
	assert_int_equal(f->c.st.timeouts[SG_CTL_CS_NEGOTIATING], 1);
}

static void
test_vm_failure_rejects_waiters(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[16];
	unsigned int i, n;

	vm_report(f, 0, SG_CTL_VM_STOPPED);
	vm_report(f, 1, SG_CTL_VM_FAILED);
	new_session(f, 300, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 301, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.inv.vms[0].n_reserved, 2);
	vm_report(f, 0, SG_CTL_VM_FAILED);
	n = recv_all(f, 0, out, 16);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].hdr.type, SG_MSG_SESSION_REJECT);
		assert_int_equal(out[i].reject.reason, SG_MSG_REASON_VM_FAILED);
	}
	assert_int_equal(f->c.inv.vms[0].n_reserved, 0);
	assert_int_equal(f->c.inv.apps[1].n_exec, 0);
	assert_int_equal(f->c.tab.n_cs, 0);
}

static void
test_idle_vm_stopped(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	new_session(f, 400, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 4), 1);
	usleep(80 * 1000);
	sg_ctl_tick(&f->c);
	assert_int_equal(f->n_reqs, 0); /* never while a session is installed */
	assert_int_equal(dpsim_send_closed(&f->d, 0, 400), 0);
	sg_ctl_poll(&f->c, 1024);
	sg_ctl_tick(&f->c);
	assert_int_equal(f->n_reqs, 0); /* idle only just began */
	usleep(80 * 1000);
	sg_ctl_tick(&f->c);
	assert_int_equal(f->n_reqs, 1);
	assert_int_equal(f->reqs[0].op, SG_CTL_REQ_VM_STOP);
	assert_int_equal(f->c.inv.vms[0].state, SG_CTL_VM_STOPPING);
	assert_int_equal(f->c.st.vm_stops, 1);
}

static void
test_affinity_and_l7(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_RUNNING);
	/* alice's VM is vm2 although vm1 is as empty. */
	new_session(f, 500, 443, SG_MSG_L7_TLS_SNI, "alice.desk.example");
	/* SNI outside the rule, no L4-only app on 443: no application. */
	new_session(f, 501, 443, SG_MSG_L7_TLS_SNI, "other.example");
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 4), 2);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(out[0].install.vm_id, f->c.inv.vms[1].id);
	assert_int_equal(out[0].install.mode, SG_MSG_INSTALL_DSR);
	assert_int_equal(out[0].install.backend_port, 3389);
	assert_int_equal(out[0].install.host_addr[3], 1);
	assert_int_equal(out[1].hdr.type, SG_MSG_SESSION_REJECT);
	assert_int_equal(out[1].reject.reason, SG_MSG_REASON_NO_APP);
	assert_string_equal(sg_ctl_cs_find(&f->c.tab, 500)->user, "alice");
}

static void
test_user_extraction(void **state)
{
	struct sg_ctl_app_cfg a;
	char user[SG_CTL_NAME_MAX];
	const char *k;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.match = SG_CTL_MATCH_RDP_COOKIE;
	snprintf(a.value, sizeof(a.value), "mstshash");
	a.value_len = 8;
	k = "Cookie: mstshash=bob\r\n";
	assert_int_equal(sg_ctl_broker_user(&a, SG_MSG_L7_RDP_COOKIE, (const uint8_t *)k,
					    (uint16_t)strlen(k), user, sizeof(user)),
			 0);
	assert_string_equal(user, "bob");
	k = "Cookie: mstshash=b;b\"x";
	assert_int_equal(sg_ctl_broker_user(&a, SG_MSG_L7_RDP_COOKIE, (const uint8_t *)k,
					    (uint16_t)strlen(k), user, sizeof(user)),
			 0);
	assert_string_equal(user, "b");
	k = "Cookie: xmstshash=bob";
	assert_int_not_equal(sg_ctl_broker_user(&a, SG_MSG_L7_RDP_COOKIE, (const uint8_t *)k,
						(uint16_t)strlen(k), user, sizeof(user)),
			     0);
	a.match = SG_CTL_MATCH_HTTP_COOKIE;
	snprintf(a.value, sizeof(a.value), "sg");
	a.value_len = 2;
	k = "sg=carol"; /* v4: the data plane sends the named cookie's pair */
	assert_int_equal(sg_ctl_broker_user(&a, SG_MSG_L7_HTTP_COOKIE, (const uint8_t *)k,
					    (uint16_t)strlen(k), user, sizeof(user)),
			 0);
	assert_string_equal(user, "carol");
	k = "sg=";
	assert_int_not_equal(sg_ctl_broker_user(&a, SG_MSG_L7_HTTP_COOKIE, (const uint8_t *)k,
						(uint16_t)strlen(k), user, sizeof(user)),
			     0);
}

static void
test_invalid_and_duplicates_counted(void **state)
{
	struct fx *f = *state;
	struct sg_msg m, out[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	dpsim_make_new(&m, 600, 0, "198.18.10.1", 80, SG_MSG_L7_NONE, NULL);
	m.hdr.version = 9;
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	dpsim_make_new(&m, 601, 0, "198.18.10.1", 80, SG_MSG_L7_NONE, NULL);
	m.session_new.key_len = SG_MSG_KEY_MAX + 1;
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	dpsim_make_new(&m, 602, 0, "198.18.10.1", 80, SG_MSG_L7_NONE, NULL);
	m.hdr.type = SG_MSG_SESSION_INSTALL; /* wrong direction, wrong length */
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	dpsim_make_new(&m, 603, 1, "198.18.10.1", 80, SG_MSG_L7_NONE, NULL);
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0); /* worker 1 on worker 0's ring */
	new_session(f, 604, 80, SG_MSG_L7_NONE, NULL);
	f->d.seq[0] += 5; /* the data plane dropped 5 */
	new_session(f, 604, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.invalid[SG_CTL_INV_VERSION], 1);
	assert_int_equal(f->c.st.invalid[SG_CTL_INV_FIELD], 2);
	assert_int_equal(f->c.st.invalid[SG_CTL_INV_TYPE], 1);
	assert_int_equal(f->c.st.seq_gaps, 5);
	assert_int_equal(f->c.st.dup_new, 1);
	/* The duplicate of an installed session re-sends its INSTALL: same session twice. */
	assert_int_equal(recv_all(f, 0, out, 4), 2);
	assert_int_equal(out[0].hdr.session_id, 604);
	assert_int_equal(out[1].hdr.session_id, 604);
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 1);
}

static void
test_full_ring_counted_not_blocking(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[64];
	unsigned int i, got = 0, n;

	f->cfg.pools[0].session_cap = 100000;
	f->cfg.apps[1].exec_limit = 100000;
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	/* 1500 sessions against a 1024-slot answer ring nobody reads yet. */
	for (i = 0; i < 1500; i++) {
		new_session(f, 1000 + i, 80, SG_MSG_L7_NONE, NULL);
		if (i % 500 == 499)
			sg_ctl_poll(&f->c, 1024);
	}
	sg_ctl_poll(&f->c, 1024);
	assert_true(f->c.st.ring_full > 0);
	while ((n = recv_all(f, 0, out, 64)) > 0 || got < 1500) {
		for (i = 0; i < n; i++)
			assert_int_equal(out[i].hdr.session_id, 1000 + got + i);
		got += n;
		sg_ctl_poll(&f->c, 1024);
		if (n == 0 && got < 1500)
			continue;
		if (got >= 1500)
			break;
	}
	assert_int_equal(got, 1500);
	assert_int_equal(f->c.st.out_dropped, 0);
}

static void
test_restart_keeps_sessions(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[16];
	unsigned int i;

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	new_session(f, 700, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 701, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 702, 80, SG_MSG_L7_NONE, NULL); /* waits for vm2 */
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 16), 2);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 702)->state, SG_CTL_CS_WAITING);
	/* Restart the control core on the same DB and region. */
	sg_ctl_fini(&f->c);
	f->n_reqs = 0;
	fx_start(f);
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 2);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 2);
	assert_non_null(sg_ctl_cs_find(&f->c.tab, 702));
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 702)->state, SG_CTL_CS_NEGOTIATING);
	/* The data plane re-sends what it holds: no second session. */
	new_session(f, 702, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.dup_new, 1);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	assert_int_equal(f->n_reqs, 1);
	vm_report(f, 1, SG_CTL_VM_RUNNING);
	i = recv_all(f, 0, out, 16); /* RESYNC skipped */
	assert_int_equal(i, 1);
	assert_int_equal(out[0].hdr.session_id, 702);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 3);
}

/* The operator's safety net: "close" frees a session's slots (installed or waiting). */
static void
test_admin_close_frees_slots(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_admin_req req;
	struct sg_msg out[4];
	uint64_t counts[4];
	char err[128];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	new_session(f, 950, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 951, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 952, 80, SG_MSG_L7_NONE, NULL); /* waits for vm2 */
	sg_ctl_poll(&f->c, 1024);
	recv_all(f, 0, out, 4);
	assert_int_equal(f->c.inv.apps[1].n_exec, 3); /* the waiting one holds a slot too */
	assert_int_equal(sg_ctl_admin_parse("{\"cmd\":\"close\",\"id\":\"0x3b6\"}", 28, &req, err,
					    sizeof(err)),
			 0);
	assert_int_equal(req.cmd, SG_CTL_ADM_CLOSE);
	assert_int_equal(req.id, 950);
	assert_int_equal(sg_ctl_csm_close(&f->c.csm, req.id), 0);
	assert_int_equal(sg_ctl_csm_close(&f->c.csm, 952), 0);
	assert_int_equal(sg_ctl_csm_close(&f->c.csm, 4242), -ENOENT);
	sg_ctl_commit(&f->c);
	assert_null(sg_ctl_cs_find(&f->c.tab, 950));
	assert_null(sg_ctl_cs_find(&f->c.tab, 952));
	assert_int_equal(f->c.inv.apps[1].n_exec, 1);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 1);
	assert_int_equal(f->c.st.admin_closed, 2);
	assert_int_equal(recv_all(f, 0, out, 4), 1); /* the waiting one is answered */
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_REJECT);
	assert_int_equal(out[0].hdr.session_id, 952);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 1);
}

/* A failed DB commit keeps everything: the message stays on its ring, no answer leaves. */
static void
test_commit_failure_kept_and_retried(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[4];
	uint64_t counts[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	recv_all(f, 0, out, 4);
	new_session(f, 800, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_db_fail_next(f->c.db, 1);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.commit_retries, 1);
	assert_int_equal(recv_all(f, 0, out, 4), 0); /* INSTALL held */
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 0);
	assert_int_equal(rte_ring_count(f->d.tx[0]), 1); /* SESSION_NEW not acked */
	sg_ctl_poll(&f->c, 1024);			 /* too early: not retried yet */
	assert_int_equal(recv_all(f, 0, out, 4), 0);
	usleep((SG_CTL_COMMIT_RETRY_MS + 20) * 1000);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 4), 1);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(out[0].hdr.session_id, 800);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 1);
	assert_int_equal(rte_ring_count(f->d.tx[0]), 0);
	assert_int_equal(f->c.st.dup_new, 0); /* handled once */
}

/*
 * Defect 5: sg-control dies after taking a SESSION_CLOSED off the ring and
 * before its commit (here: the commit fails, then the process is gone). The
 * restarted sg-control finds the message again: the session does not come
 * back, its VM and execution slot are free.
 */
static void
test_closed_survives_kill_before_commit(void **state)
{
	struct fx *f = *state;
	uint64_t counts[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	new_session(f, 900, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 1);
	assert_int_equal(dpsim_send_closed(&f->d, 0, 900), 0);
	sg_ctl_db_fail_next(f->c.db, 1);
	sg_ctl_poll(&f->c, 1024);
	assert_null(sg_ctl_cs_find(&f->c.tab, 900));
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 1); /* still stored: the close is not committed */
	assert_int_equal(rte_ring_count(f->d.tx[0]), 1);
	/* kill -9 now; start again on the same DB and region */
	sg_ctl_fini(&f->c);
	fx_start(f);
	assert_null(sg_ctl_cs_find(&f->c.tab, 900));
	assert_int_equal(f->c.tab.n_state[SG_CTL_CS_INSTALLED], 0);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 0);
	assert_int_equal(f->c.inv.apps[1].n_exec, 0);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 0);
	assert_int_equal(rte_ring_count(f->d.tx[0]), 0);
}

static void
test_dp_restart_purges(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[16];
	uint64_t counts[4];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	new_session(f, 800, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 16), 1);
	/* The data plane restarts: a new object under the same name, new epoch. */
	dpsim_destroy(&f->d, true);
	assert_int_equal(dpsim_create(&f->d, f->shm, 1, 1024, 0x2222), 0);
	usleep(120 * 1000); /* the region is re-checked every 100 ms */
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.dp_restarts, 1);
	assert_int_equal(sg_ctl_shm_epoch(f->c.shm), 0x2222);
	assert_int_equal(f->c.tab.n_cs, 0);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 0);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 0);
	assert_int_equal(dpsim_recv(&f->d, 0, out, 16), 2);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_AUDIT);
	assert_int_equal(out[1].hdr.type, SG_MSG_SESSION_RESYNC);
}

/* The data plane answers an audit with the sessions it has (one SESSION_ALIVE). */
static void
send_alive(struct fx *f, uint32_t token, const uint64_t *sid, unsigned int n)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_SESSION_ALIVE;
	m.hdr.len = sizeof(m.hdr) + sizeof(m.alive);
	m.alive.token = token;
	m.alive.n = (uint8_t)n;
	m.alive.last = 1;
	memcpy(m.alive.sid, sid, n * sizeof(*sid));
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
}

/*
 * A SESSION_CLOSED that never reached sg-control (the data plane's retry
 * queue overflowed): the audit closes the session and frees its slots;
 * a session newer than the audit and stale answers are left alone.
 */
static void
test_audit_closes_lost_sessions(void **state)
{
	struct fx *f = *state;
	static const uint64_t alive[] = {1001, 4242};
	struct sg_msg m;
	uint64_t counts[4];
	uint32_t token = 0;

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	new_session(f, 1000, 80, SG_MSG_L7_NONE, NULL);
	new_session(f, 1001, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.inv.vms[0].n_sessions, 2);
	while (dpsim_recv(&f->d, 0, &m, 1) == 1)
		; /* AUDIT and RESYNC of the attach, the INSTALLs */
	sg_ctl_audit_start(&f->c.audit);
	sg_ctl_commit(&f->c);
	assert_int_equal(dpsim_recv(&f->d, 0, &m, 1), 1);
	assert_int_equal(m.hdr.type, SG_MSG_SESSION_AUDIT);
	token = m.audit.token;
	new_session(f, 1002, 80, SG_MSG_L7_NONE, NULL); /* crosses the audit */
	send_alive(f, token - 1, alive, 0);		/* superseded: ignored */
	send_alive(f, token, alive, 2);			/* 1000 is gone, 4242 unknown */
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->c.st.audit_stale, 1);
	assert_int_equal(f->c.st.audit_closed, 1);
	assert_int_equal(f->c.st.audit_unknown, 1);
	assert_null(sg_ctl_cs_find(&f->c.tab, 1000));
	assert_non_null(sg_ctl_cs_find(&f->c.tab, 1001));
	assert_non_null(sg_ctl_cs_find(&f->c.tab, 1002));
	/* the freed place went to 1002 (cap 2): slots follow sessions */
	assert_int_equal(f->c.inv.vms[0].n_sessions, 2);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 1002)->state, SG_CTL_CS_INSTALLED);
	assert_int_equal(f->c.inv.apps[1].n_exec, 2);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 2);
}

static void
test_bus_fair_queueing(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_req r;
	struct sg_ctl_provider *p = sg_ctl_bus_provider(f->c.bus, f->c.inv.hosts[0].provider);
	unsigned int i;

	p->max_inflight = 1;
	/* Class 0 asks 4 times, then class 1 once: class 1 goes second, not fifth. */
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.op = SG_CTL_REQ_VM_STOP;
		r.requester = 0;
		assert_int_equal(sg_ctl_bus_request(f->c.bus, f->c.inv.hosts[0].provider, &r), 0);
	}
	r.requester = 1;
	assert_int_equal(sg_ctl_bus_request(f->c.bus, f->c.inv.hosts[0].provider, &r), 0);
	assert_int_equal(f->n_reqs, 1);
	sg_ctl_bus_done(f->c.bus, f->c.inv.hosts[0].provider, f->reqs[0].req_id);
	assert_int_equal(f->n_reqs, 2);
	assert_int_equal(f->reqs[1].requester, 1);
	sg_ctl_bus_done(f->c.bus, f->c.inv.hosts[0].provider, f->reqs[1].req_id);
	assert_int_equal(f->reqs[2].requester, 0);
}

/* Identities from idmgr: registered objects, affinity from the relationship
 * graph, temporary session IDs allocated and released. */
static void
test_idmgr_identities(void **state)
{
	struct fx *f = *state;
	struct sg_id_temp tmp;
	struct sg_msg out[4];
	char dir[96];
	uint64_t carol, ctl_id, lease_id;
	struct sg_ctl_cs *cs;

	sg_ctl_fini(&f->c);
	snprintf(dir, sizeof(dir), "%s/idmgr", f->dir);
	snprintf(f->cfg.idmgr_dir, sizeof(f->cfg.idmgr_dir), "%s", dir);
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_ids_open(f->c.ids), 0);
	assert_int_equal(sg_id_type_of(f->c.inv.vms[1].id), SG_ID_T_VM);
	assert_int_equal(sg_id_type_of(f->c.inv.hosts[0].id), SG_ID_T_HOST);
	assert_int_equal(sg_id_type_of(f->c.inv.apps[0].id), SG_ID_T_VAPP);
	assert_int_equal(sg_id_type_of(f->c.inv.hosts[0].provider_id), SG_ID_T_SP);
	/* An operator assigns carol to vm1 in idmgr (as sgid would). */
	{
		struct sg_id_reg r = {.type = SG_ID_T_USER, .name = "carol"};
		struct sg_id_store *store = sg_ctl_ids_store(f->c.ids);

		assert_int_equal(sg_id_register(store, &r, &carol, NULL), 0);
		assert_int_equal(sg_id_relate(store, carol, SG_ID_REL_ASSIGNED, f->c.inv.vms[0].id),
				 0);
		assert_ptr_equal(sg_ctl_ids_user_vm(f->c.ids, "carol", f->cfg.vms[0].pool),
				 &f->c.inv.vms[0]);
		/* an app of another pool never gets carol's VM (affinity stays in the pool) */
		assert_null(sg_ctl_ids_user_vm(f->c.ids, "carol", f->cfg.vms[0].pool + 1));
		assert_ptr_equal(sg_ctl_ids_user_vm(f->c.ids, "alice", f->cfg.vms[1].pool),
				 &f->c.inv.vms[1]); /* from config */
		assert_null(sg_ctl_ids_user_vm(f->c.ids, "alice", f->cfg.vms[1].pool + 1));
		assert_null(sg_ctl_ids_user_vm(f->c.ids, "nobody", 0));
		assert_int_equal(sg_ctl_db_open(f->c.db, f->dir, 16), 0);
		assert_true(sg_ctl_db_load(f->c.db) >= 0);
		assert_int_equal(sg_ctl_shm_open(f->c.shm, f->shm), 0);
		sg_ctl_bus_set_up(f->c.bus, f->c.inv.hosts[0].provider, true, agent_send, NULL);
		sg_ctl_poll(&f->c, 1024);
		vm_report(f, 0, SG_CTL_VM_RUNNING);
		vm_report(f, 1, SG_CTL_VM_RUNNING);
		new_session(f, 900, 443, SG_MSG_L7_TLS_SNI, "carol.desk.example");
		sg_ctl_poll(&f->c, 1024);
		assert_int_equal(recv_all(f, 0, out, 4), 1);
		assert_int_equal(out[0].install.vm_id, f->c.inv.vms[0].id);
		cs = sg_ctl_cs_find(&f->c.tab, 900);
		assert_int_equal(cs->user_id, carol);
		ctl_id = cs->ctl_id;
		assert_int_equal(sg_id_type_of(ctl_id), SG_ID_T_CONTROLLING);
		assert_int_equal(sg_id_type_of(cs->user_session_id), SG_ID_T_USER_SESSION);
		assert_int_equal(sg_id_type_of(cs->service_session_id), SG_ID_T_SERVICE_SESSION);
		assert_int_equal(sg_id_temp_get(store, ctl_id, &tmp), 0);
		/* Session ends: its temporary IDs go back. */
		assert_int_equal(dpsim_send_closed(&f->d, 0, 900), 0);
		sg_ctl_poll(&f->c, 1024);
		assert_int_equal(sg_id_temp_get(store, ctl_id, &tmp), -ENOENT);
		/* Lease mode: IDs from reserved blocks of idmgr's generator, never reused. */
		sg_ctl_ids_set_lease(f->c.ids, true);
		lease_id = sg_ctl_ids_new(f->c.ids, SG_CTL_ID_CONTROLLING);
		assert_int_equal(sg_id_type_of(lease_id), SG_ID_T_CONTROLLING);
		assert_true(sg_id_serial_of(lease_id) > sg_id_serial_of(ctl_id));
		assert_int_equal(sg_ctl_ids_new(f->c.ids, SG_CTL_ID_CONTROLLING), lease_id + 1);
		assert_int_equal(f->c.st.id_errors, 0);
	}
}

/* A region with a hostile header is refused (never mapped past its end), and
 * attached once the data plane has written a sane one. */
static void
test_bad_region_refused(void **state)
{
	struct fx *f = *state;
	uint64_t good;

	dpsim_destroy(&f->d, true);
	assert_int_equal(dpsim_create(&f->d, f->shm, 1, 1024, 0x3333), 0);
	good = f->d.hdr->ring_offset[1];
	f->d.hdr->ring_offset[1] = f->d.size - 64; /* ring runs past the end */
	usleep(120 * 1000);
	sg_ctl_poll(&f->c, 64);
	assert_false(sg_ctl_shm_attached(f->c.shm));
	f->d.hdr->ring_offset[1] = good;
	f->d.hdr->n_rings = 3; /* odd */
	usleep(120 * 1000);
	sg_ctl_poll(&f->c, 64);
	assert_false(sg_ctl_shm_attached(f->c.shm));
	f->d.hdr->n_rings = 2;
	f->d.hdr->magic = 0x12345678;
	usleep(120 * 1000);
	sg_ctl_poll(&f->c, 64);
	assert_false(sg_ctl_shm_attached(f->c.shm));
	f->d.hdr->magic = SG_SHM_MAGIC;
	usleep(120 * 1000);
	sg_ctl_poll(&f->c, 64);
	assert_true(sg_ctl_shm_attached(f->c.shm));
	assert_int_equal(sg_ctl_shm_epoch(f->c.shm), 0x3333);
}

/* A corrupt DB file is moved aside and sg-control starts empty. */
static void
test_corrupt_db_moved_aside(void **state)
{
	struct fx *f = *state;
	char path[128], cmd[256];
	uint64_t counts[4];
	FILE *fp;

	sg_ctl_fini(&f->c);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	fp = fopen(path, "r+");
	assert_non_null(fp);
	for (int i = 0; i < 64 * 1024; i++)
		fputc(0x5a, fp);
	fclose(fp);
	assert_int_equal(sg_ctl_init(&f->c, &f->cfg, NULL), 0);
	assert_int_equal(sg_ctl_db_open(f->c.db, f->dir, 16), 0);
	assert_int_equal(sg_ctl_db_load(f->c.db), 0);
	assert_int_equal(sg_ctl_db_counts(f->c.db, counts), 0);
	assert_int_equal(counts[0], 0);
	snprintf(cmd, sizeof(cmd), "ls -d %s.corrupt-* >/dev/null && rm -rf %s.corrupt-*", f->dir,
		 f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sg_ctl_shm_open(f->c.shm, f->shm), 0);
}

/* ------------------------------------------------ VM failures and VM drain */

/* Restart the core with a third VM (vm3) in the pool. */
static void
fx_three_vms(struct fx *f)
{
	sg_ctl_fini(&f->c);
	f->cfg.n_vms = 3;
	f->cfg.vms[2] = f->cfg.vms[1];
	snprintf(f->cfg.vms[2].name, SG_CTL_NAME_MAX, "vm3");
	f->cfg.vms[2].addr[3] = 12;
	fx_start(f);
	recv_all(f, 0, NULL, 0);
}

static void
dp_closed(struct fx *f, uint64_t sid, unsigned int reason)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_SESSION_CLOSED;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.closed));
	m.hdr.session_id = sid;
	m.closed.reason = (uint16_t)reason;
	assert_int_equal(dpsim_send(&f->d, 0, &m), 0);
	sg_ctl_poll(&f->c, 1024);
}

/* Parse admin request @p txt (which must be valid when @p ok); run it when it is a drain. */
static void
admin_drain(struct fx *f, const char *txt, bool ok)
{
	struct sg_ctl_admin_req r;
	char err[256];
	int rc;

	rc = sg_ctl_admin_parse(txt, strlen(txt), &r, err, sizeof(err));
	if (rc == 0 && (r.cmd == SG_CTL_ADM_DRAIN || r.cmd == SG_CTL_ADM_UNDRAIN) &&
	    strcmp(r.target, "vm") == 0)
		rc = sg_ctl_vm_drain(&f->c.vmm, r.member, r.deadline_s, r.cmd == SG_CTL_ADM_DRAIN,
				     err, sizeof(err));
	if (ok != (rc == 0))
		fail_msg("%s -> %d %s", txt, rc, err);
	sg_ctl_commit(&f->c);
}

static void
test_vm_down_aborts_installed_rebrokers_held(void **state)
{
	struct fx *f = *state;
	struct sg_ctl_event ev = {.type = SG_CTL_EV_VM_STATE, .why = "destroyed"};
	struct sg_msg out[16];
	unsigned int i, n;

	fx_three_vms(f);
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_RUNNING);
	vm_report(f, 2, SG_CTL_VM_STOPPED);
	for (i = 1; i <= 4; i++) /* 1, 3 on vm1; 2, 4 on vm2 */
		new_session(f, i, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 16), 4);
	new_session(f, 5, 80, SG_MSG_L7_NONE, NULL); /* held: starts vm3 and waits for it */
	new_session(f, 6, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(f->n_reqs, 1);
	vm_report(f, 2, SG_CTL_VM_STARTING); /* its agent saw it boot */
	assert_int_equal(f->c.inv.vms[2].n_reserved, 2);

	/* vm1 crashes: its two installed sessions are aborted (reset, VM_DOWN), still listed */
	sg_ctl_clock_update(&f->c.clock);
	ev.vm = &f->c.inv.vms[0];
	ev.state = SG_CTL_VM_STOPPED;
	sg_ctl_bus_publish(f->c.bus, &ev);
	sg_ctl_commit(&f->c);
	n = recv_all(f, 0, out, 16);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].hdr.type, SG_MSG_SESSION_ABORT);
		assert_true(out[i].hdr.session_id == 1 || out[i].hdr.session_id == 3);
		assert_int_equal(out[i].abort.action, SG_MSG_ABORT_RESET);
		assert_int_equal(out[i].abort.reason, SG_MSG_REASON_VM_DOWN);
	}
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 1)->state, SG_CTL_CS_INSTALLED);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 1)->reason, SG_MSG_REASON_VM_DOWN);
	assert_int_equal(f->c.st.vm_downs, 1);
	assert_int_equal(f->c.st.vm_down_aborted, 2);
	assert_int_equal(f->c.st.vm_replacements, 0); /* vm3 already starting, no other stopped */
	assert_string_equal(f->c.inv.vms[0].why, "destroyed");
	assert_int_equal(f->c.inv.vms[0].downs, 1);
	assert_int_equal(f->c.inv.vms[0].down_aborted, 2);
	/* the data plane ends one: closed with the abort's reason, listed among the closed */
	dp_closed(f, 1, SG_MSG_REASON_NONE);
	assert_null(sg_ctl_cs_find(&f->c.tab, 1));
	assert_int_equal(f->c.inv.vms[0].n_sessions, 1);
	assert_int_equal(sg_ctl_cs_ended_get(&f->c.tab, 0)->session_id, 1);
	assert_int_equal(sg_ctl_cs_ended_get(&f->c.tab, 0)->reason, SG_MSG_REASON_VM_DOWN);
	assert_ptr_equal(sg_ctl_cs_ended_get(&f->c.tab, 0)->vm, &f->c.inv.vms[0]);

	/* vm3 destroyed while booting: of its two held sessions one fits on vm1 (restarted,
	 * room for one beside the session still being aborted), the other is rejected */
	vm_report(f, 2, SG_CTL_VM_STOPPED);
	n = recv_all(f, 0, out, 16);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_REJECT);
	assert_int_equal(out[0].hdr.session_id, 6);
	assert_int_equal(out[0].reject.reason, SG_MSG_REASON_VM_DOWN);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 5)->state, SG_CTL_CS_WAITING);
	assert_ptr_equal(sg_ctl_cs_find(&f->c.tab, 5)->vm, &f->c.inv.vms[0]);
	assert_int_equal(f->c.inv.vms[0].state, SG_CTL_VM_STARTING);
	assert_int_equal(f->c.inv.vms[2].n_reserved, 0);
	assert_int_equal(f->c.st.vm_down_rebrokered, 1);
	assert_int_equal(f->c.st.vm_down_rejected, 1);
	assert_int_equal(f->c.st.vm_downs, 2);
	assert_int_equal(f->c.inv.apps[1].n_exec, 4); /* 2, 3 (aborting), 4, 5 */
	/* vm1 runs again: the re-brokered session is installed there */
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	assert_int_equal(recv_all(f, 0, out, 16), 1);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_INSTALL);
	assert_int_equal(out[0].hdr.session_id, 5);
}

static void
test_vm_app_down_drains_and_replaces(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[8];

	sg_ctl_fini(&f->c);
	f->cfg.apps[1].on_vm_down = SG_MSG_ABORT_DRAIN;
	f->cfg.apps[1].vm_down_drain_s = 7;
	fx_start(f);
	recv_all(f, 0, out, 8);
	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_STOPPED);
	new_session(f, 10, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 8), 1);
	assert_int_equal(f->n_reqs, 0);
	/* its app stops answering: drain (per application), and vm2 starts in its place */
	vm_report(f, 0, SG_CTL_VM_APP_DOWN);
	assert_int_equal(recv_all(f, 0, out, 8), 1);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_ABORT);
	assert_int_equal(out[0].hdr.session_id, 10);
	assert_int_equal(out[0].abort.action, SG_MSG_ABORT_DRAIN);
	assert_int_equal(out[0].abort.deadline_s, 7);
	assert_int_equal(out[0].abort.reason, SG_MSG_REASON_VM_DOWN);
	assert_int_equal(f->c.st.vm_replacements, 1);
	assert_int_equal(f->n_reqs, 1);
	assert_int_equal(f->reqs[0].op, SG_CTL_REQ_VM_START);
	assert_ptr_equal(f->reqs[0].vm, &f->c.inv.vms[1]);
	/* a new session never goes to the VM whose app is down: it waits for vm2 */
	new_session(f, 11, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 11)->state, SG_CTL_CS_WAITING);
	assert_ptr_equal(sg_ctl_cs_find(&f->c.tab, 11)->vm, &f->c.inv.vms[1]);
	/* aborted once only: a second report changes nothing */
	vm_report(f, 0, SG_CTL_VM_STOPPED);
	assert_int_equal(recv_all(f, 0, out, 8), 0);
	assert_int_equal(f->c.st.vm_downs, 1);
	/* a restarted sg-control still knows why the draining session ends (its DB row) */
	sg_ctl_fini(&f->c);
	fx_start(f);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 10)->state, SG_CTL_CS_INSTALLED);
	assert_int_equal(sg_ctl_cs_find(&f->c.tab, 10)->reason, SG_MSG_REASON_VM_DOWN);
}

static void
test_drain_vm_deadline(void **state)
{
	struct fx *f = *state;
	struct sg_msg out[8];
	char err[128];

	vm_report(f, 0, SG_CTL_VM_RUNNING);
	vm_report(f, 1, SG_CTL_VM_RUNNING);
	new_session(f, 20, 80, SG_MSG_L7_NONE, NULL); /* vm1 */
	new_session(f, 21, 80, SG_MSG_L7_NONE, NULL); /* vm2 */
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 8), 2);
	assert_int_equal(sg_ctl_vm_drain(&f->c.vmm, "vm9", 1, true, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "vm9"));
	admin_drain(f, "{\"cmd\":\"drain\",\"deadline\":1}", false);
	admin_drain(f, "{\"cmd\":\"drain\",\"target\":\"vm\",\"name\":\"vm1\",\"deadline\":-1}",
		    false);
	admin_drain(f, "{\"cmd\":\"drain\",\"target\":\"vm\",\"name\":\"vm1\",\"deadline\":999999}",
		    false);
	admin_drain(f, "{\"cmd\":\"drain\",\"target\":\"vm\",\"name\":\"vm 1\"}", false);
	admin_drain(f, "{\"cmd\":\"drain\",\"target\":\"vm\",\"name\":\"vm9\"}", false);
	admin_drain(f, "{\"cmd\":\"drain\",\"target\":\"vm\",\"name\":\"vm1\",\"deadline\":1}",
		    true);
	assert_true(f->c.inv.vms[0].draining);
	/* vm1 has room and fewer sessions, but takes no new one */
	new_session(f, 22, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_int_equal(recv_all(f, 0, out, 8), 1);
	assert_ptr_equal(sg_ctl_cs_find(&f->c.tab, 22)->vm, &f->c.inv.vms[1]);
	/* before the deadline nothing is reset; after it, what is left on vm1 (fake clock) */
	sg_ctl_vm_drain_tick(&f->c.vmm);
	assert_int_equal(recv_all(f, 0, out, 8), 0);
	f->c.clock.now_ns += 2000000000ull;
	sg_ctl_vm_drain_tick(&f->c.vmm);
	sg_ctl_commit(&f->c);
	assert_int_equal(recv_all(f, 0, out, 8), 1);
	assert_int_equal(out[0].hdr.type, SG_MSG_SESSION_ABORT);
	assert_int_equal(out[0].hdr.session_id, 20);
	assert_int_equal(out[0].abort.action, SG_MSG_ABORT_RESET);
	assert_int_equal(out[0].abort.reason, SG_MSG_REASON_DRAINED);
	assert_int_equal(f->c.st.drain_reset, 1);
	sg_ctl_vm_drain_tick(&f->c.vmm); /* once */
	assert_int_equal(recv_all(f, 0, out, 8), 0);
	assert_int_equal(f->c.inv.vms[0].drain_reset, 1);
	/* undrained: vm1 (the least loaded once 20 is gone) takes sessions again */
	dp_closed(f, 20, SG_MSG_REASON_DRAINED);
	admin_drain(f, "{\"cmd\":\"undrain\",\"target\":\"vm\",\"name\":\"vm1\"}", true);
	assert_false(f->c.inv.vms[0].draining);
	new_session(f, 23, 80, SG_MSG_L7_NONE, NULL);
	sg_ctl_poll(&f->c, 1024);
	assert_ptr_equal(sg_ctl_cs_find(&f->c.tab, 23)->vm, &f->c.inv.vms[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resync_on_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_closes_lost_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_close_frees_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_kept_and_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_survives_kill_before_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_install_running_vm_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_vm_waits_then_installs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_queue_overflow_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_failure_rejects_waiters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_down_aborts_installed_rebrokers_held, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vm_app_down_drains_and_replaces, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drain_vm_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_vm_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity_and_l7, setup, teardown),
		cmocka_unit_test(test_user_extraction),
		cmocka_unit_test_setup_teardown(test_invalid_and_duplicates_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_counted_not_blocking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dp_restart_purges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_fair_queueing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idmgr_identities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_db_moved_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_region_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
