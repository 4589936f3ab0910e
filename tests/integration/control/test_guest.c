/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration tests of sg-control's side of real guests (issue 15): the
 * real daemon, this process playing the data plane on the rings, and the
 * in-process host agent (itest.c) speaking protocol v4 over TCP.
 *
 *   test_guest BUILD_DIR/control SCENARIO
 *
 *   push:        on AUTH_OK, VM_DEFINE for each VM with a template, then
 *                INVENTORY; a refused VM_DEFINE fails that VM with the agent's
 *                text and takes no session; a reconnect pushes again
 *   save-resume: idle_action save: the idle VM is saved (SAVE, not STOP), the
 *                next session resumes it; start kinds and timings kept and in
 *                the metrics; a VM saved unasked is not a failure
 *   crash:       a crash with installed sessions (SESSION_ABORT per on_vm_down),
 *                the VM not chosen until started again, a crash during a resume
 *                (its held session re-brokered, a failure of that start)
 *                (restart_backoff_ms 0: the failed VM stays failed, as before)
 *   crash-restart: a crashed VM startable again after its backoff: the session
 *                held meanwhile starts it and is installed; the backoff doubles;
 *                restart_max crashes quarantine it until sgctl vm start
 *   verbs:       sgctl vm start|stop|save, sgctl session abort, their refusals
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "sessiongate/sg_agent_proto.h"

#define VIP "198.18.10.1"

static struct it T;
static const char *pool_extra = ""; /* more keys of pool p1 (crash policy) */
static char sgctl[300];
static char out[1 << 16];

#define CFG_GUESTS                                                                              \
	"hosts:\n"                                                                              \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                    \
	"pools:\n"                                                                              \
	"  - name: p1\n"                                                                        \
	"    session_cap: %u\n"                                                                 \
	"    idle_stop_ms: %u\n"                                                                \
	"    idle_action: save\n"                                                               \
	"%s"                                                                                    \
	"    vms:\n"                                                                            \
	"      - { name: vm1, host: h1, address: 198.18.4.10, template: guest, port: 8080 }\n"  \
	"      - { name: vm2, host: h1, address: 198.18.4.11, template: guest, protocol: udp, " \
	"probe: false }\n"                                                                      \
	"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"                               \
	"  - name: p2\n"                                                                        \
	"    vms:\n"                                                                            \
	"      - { name: vm4, host: h1, address: 198.18.4.13, template: bad }\n"                \
	"applications:\n"                                                                       \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat }\n"                      \
	"  - { name: webd, vip: " VIP ", port: 8080, pool: p1, mode: nat, on_vm_down: drain, "  \
	"vm_down_drain_s: 5 }\n"                                                                \
	"  - { name: other, vip: " VIP ", port: 81, pool: p2, mode: nat }\n"

static int
run_cmd(const char *cmd)
{
	return it_run(cmd, out, sizeof(out));
}

/* sgctl ARGS (stderr too) into out; @return its exit code. */
static int __attribute__((format(printf, 1, 2))) sg(const char *fmt, ...)
{
	char args[256], cmd[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", sgctl, args);
	it_pump(&T, 5, NULL, NULL);
	return run_cmd(cmd);
}

static long long
vm_int(const char *vm, const char *key)
{
	return it_vm_int(&T, vm, key);
}

static const char *
vm_str(const char *vm, const char *key)
{
	return it_vm_str(&T, vm, key);
}

static long long
status_int(const char *path)
{
	json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");
	long long v;

	IT_CHECK(st != NULL, "status refused");
	v = it_jint(st, path);
	json_decref(st);
	return v;
}

static void
wait_vm(const char *vm, const char *key, const char *want, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (it_now_ns() < end) {
		if (strcmp(vm_str(vm, key), want) == 0)
			return;
		it_pump(&T, 20, NULL, NULL);
	}
	IT_FAIL("VM %s: %s is '%s', not '%s', after %u ms", vm, key, vm_str(vm, key), want, ms);
}

static void
wait_saved(const char *vm, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (it_vm_bool(&T, vm, "saved") != 1)
		if (it_now_ns() > end || !it_pump(&T, 20, NULL, NULL))
			IT_CHECK(it_now_ns() <= end, "VM %s not saved after %u ms", vm, ms);
}

/* An unsigned field of the in-process agent, read under its lock. */
#define AGENT(expr)                                      \
	({                                               \
		unsigned long long v_;                   \
		pthread_mutex_lock(&T.agent.mu);         \
		v_ = (unsigned long long)(T.agent.expr); \
		pthread_mutex_unlock(&T.agent.mu);       \
		v_;                                      \
	})

static void
wait_agent(bool (*cond)(void), const char *what, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (!cond())
		if (it_now_ns() > end || !it_pump(&T, 20, NULL, NULL))
			IT_CHECK(it_now_ns() <= end, "agent: no %s after %u ms", what, ms);
}

static bool
answered(struct it *t, void *arg)
{
	uint64_t sid = *(uint64_t *)arg;

	return t->s[sid].installs + t->s[sid].rejects > 0;
}

static void
wait_answer(uint64_t sid, unsigned int ms)
{
	if (!it_pump(&T, ms, answered, &sid))
		IT_FAIL("session %llu not answered in %u ms", (unsigned long long)sid, ms);
}

static bool
aborted(struct it *t, void *arg)
{
	uint64_t sid = *(uint64_t *)arg;

	return t->s[sid].aborts > 0;
}

static void
wait_abort(uint64_t sid, unsigned int ms)
{
	if (!it_pump(&T, ms, aborted, &sid))
		IT_FAIL("no SESSION_ABORT for session %llu in %u ms", (unsigned long long)sid, ms);
}

/* The in-process agent reports @p vm in @p state, as if libvirt said so. */
static void
agent_report(const char *vm, uint8_t state)
{
	struct it_vm *v = it_agent_vm(&T, vm);

	IT_CHECK(v != NULL, "agent has no %s", vm);
	pthread_mutex_lock(&T.agent.mu);
	v->state = state;
	v->report = true;
	pthread_mutex_unlock(&T.agent.mu);
}

/* Count of the /metrics line that starts with @p series. */
static long long
metric(const char *series)
{
	char cmd[128], *p;

	snprintf(cmd, sizeof(cmd), "curl -s --max-time 5 http://127.0.0.1:%u/metrics",
		 T.metrics_port);
	IT_CHECK(run_cmd(cmd) == 0, "curl /metrics");
	for (p = out; (p = strstr(p, series)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[strlen(series)] == ' ')
			return strtoll(p + strlen(series) + 1, NULL, 10);
	return -1;
}

static void
setup(const char *bin, const char *name, unsigned int cap, unsigned int idle_ms)
{
	char body[4096];

	it_init(&T, bin, name);
	snprintf(body, sizeof(body), CFG_GUESTS, cap, idle_ms, pool_extra);
	it_write_cfg(&T, body, NULL);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", bin, T.sock);
	/* the agent's own VM (no template); vm1, vm2 come with the push */
	snprintf(T.agent.vms[0].name, 64, "vm3");
	T.agent.vms[0].state = SG_AGENT_VM_SHUTOFF;
	T.agent.n_vms = 1;
	T.agent.boot_ms = 300;
	snprintf(T.agent.refuse_template, sizeof(T.agent.refuse_template), "bad");
	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	it_pump(&T, 300, NULL, NULL);
	wait_vm("vm1", "state", "stopped", 3000);
	wait_vm("vm2", "state", "stopped", 3000);
}

static bool
one_inventory(void)
{
	return AGENT(n_inventories) >= 1;
}

static bool
two_inventories(void)
{
	return AGENT(n_inventories) >= 2;
}

static void
sc_push(const char *bin)
{
	const struct it_define *d;

	setup(bin, "push", 4, 0);
	wait_agent(one_inventory, "INVENTORY", 3000);
	pthread_mutex_lock(&T.agent.mu);
	IT_CHECK(T.agent.n_defs == 3 && T.agent.inv_count == 3 && T.agent.inv_defs == 3 &&
			 T.agent.inv_generation == 1,
		 "defines %u, INVENTORY count %u after %u defines, generation %llu", T.agent.n_defs,
		 T.agent.inv_count, T.agent.inv_defs, (unsigned long long)T.agent.inv_generation);
	d = T.agent.defs;
	IT_CHECK(strcmp(d[0].name, "vm1") == 0 && strcmp(d[0].tmpl, "guest") == 0 &&
			 d[0].port == 8080 && d[0].proto == 6 && d[0].flags == SG_AGENT_VMF_PROBE &&
			 d[0].addr.family == SG_WIRE_FAMILY_V4 && d[0].addr.bytes[3] == 10,
		 "vm1's VM_DEFINE: %s %s port %u proto %u flags %#x", d[0].name, d[0].tmpl,
		 d[0].port, d[0].proto, d[0].flags);
	IT_CHECK(strcmp(d[1].name, "vm2") == 0 && d[1].port == 80 && d[1].proto == 17 &&
			 d[1].flags == 0,
		 "vm2's VM_DEFINE: %s port %u proto %u flags %#x", d[1].name, d[1].port, d[1].proto,
		 d[1].flags);
	IT_CHECK(strcmp(d[2].name, "vm4") == 0 && strcmp(d[2].tmpl, "bad") == 0,
		 "vm4's VM_DEFINE: %s %s (vm3, the agent's own, is not pushed)", d[2].name,
		 d[2].tmpl);
	pthread_mutex_unlock(&T.agent.mu);
	/* the refused VM_DEFINE: vm4 failed, with the agent's text, counted */
	wait_vm("vm4", "state", "failed", 3000);
	IT_CHECK(strstr(vm_str("vm4", "why"), "VM_DEFINE refused") &&
			 strstr(vm_str("vm4", "why"), "unknown template"),
		 "vm4 why '%s'", vm_str("vm4", "why"));
	IT_CHECK(status_int("stats.agent_push_failures") == 1 &&
			 status_int("stats.agent_pushed") == 3,
		 "push counters %lld %lld", status_int("stats.agent_push_failures"),
		 status_int("stats.agent_pushed"));
	IT_CHECK(metric("sg_ctl_agent_push_failures_total") == 1, "metric push failures");
	IT_CHECK(sg("vms") == 0 && strstr(out, "VM_DEFINE refused"), "sgctl vms: %s", out);
	/* no session is placed on it */
	it_send_new(&T, 1, 0, VIP, 81, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 500, NULL, NULL);
	IT_CHECK(T.s[1].installs == 0 && strcmp(vm_str("vm4", "state"), "failed") == 0 &&
			 vm_int("vm4", "starts") == 0,
		 "session placed on a VM its agent refused");
	/* a new link gets the whole push again, a new generation */
	it_agent_stop(&T);
	it_agent_start(&T);
	wait_agent(two_inventories, "second INVENTORY", 5000);
	IT_CHECK(AGENT(n_defs) == 6 && AGENT(inv_generation) == 2 && AGENT(inv_count) == 3,
		 "second push: %llu defines, generation %llu", AGENT(n_defs),
		 AGENT(inv_generation));
	it_stop_ctl(&T);
}

static bool
vm1_saved(void)
{
	struct it_vm *v = it_agent_vm(&T, "vm1");

	return v != NULL && AGENT(vms[v - T.agent.vms].saves) >= 1;
}

static void
sc_save_resume(const char *bin)
{
	struct it_vm *a1;
	uint64_t vm1;

	setup(bin, "saveresume", 1, 400);
	a1 = it_agent_vm(&T, "vm1");
	/* a cold boot */
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(1, 5000);
	vm1 = strtoull(vm_str("vm1", "id"), NULL, 0);
	IT_CHECK(T.s[1].installs == 1 && T.s[1].vm_id == vm1, "session 1 not on vm1");
	IT_CHECK(it_vm_bool(&T, "vm1", "saved") == 0, "saved after a boot");
	IT_CHECK(vm_int("vm1", "last_start.libvirt_ms") == 17 &&
			 vm_int("vm1", "last_start.ready_ms") == 300 &&
			 vm_int("vm1", "last_start.total_ms") > 0,
		 "last_start after a boot: libvirt %lld ready %lld total %lld",
		 vm_int("vm1", "last_start.libvirt_ms"), vm_int("vm1", "last_start.ready_ms"),
		 vm_int("vm1", "last_start.total_ms"));
	/* idle: SAVE, not STOP */
	it_send_closed(&T, 1);
	wait_agent(vm1_saved, "SAVE of vm1", 3000);
	wait_saved("vm1", 2000);
	IT_CHECK(strcmp(vm_str("vm1", "state"), "stopped") == 0 && AGENT(vms[0].stops) == 0 &&
			 a1->stops == 0 && vm_int("vm1", "saves") == 1 &&
			 status_int("stats.vm_saves") == 1,
		 "after the idle save: %s stops %u saves %lld", vm_str("vm1", "state"), a1->stops,
		 vm_int("vm1", "saves"));
	/* the next session resumes it */
	it_send_new(&T, 2, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(2, 5000);
	IT_CHECK(T.s[2].installs == 1 && T.s[2].vm_id == vm1 && a1->starts == 2,
		 "session 2 not on the resumed vm1 (starts %u)", a1->starts);
	IT_CHECK(it_vm_bool(&T, "vm1", "saved") == 0 && vm_int("vm1", "resumes") == 1 &&
			 vm_int("vm1", "last_start.libvirt_ms") == 42,
		 "after the resume: saved %d resumes %lld libvirt %lld",
		 it_vm_bool(&T, "vm1", "saved"), vm_int("vm1", "resumes"),
		 vm_int("vm1", "last_start.libvirt_ms"));
	IT_CHECK(sg("--json vms") == 0 && strstr(out, "\"kind\": \"resume\""), "vms: %s", out);
	IT_CHECK(metric("sg_ctl_vm_start_seconds_count{kind=\"resume\"}") == 1 &&
			 metric("sg_ctl_vm_start_seconds_count{kind=\"boot\"}") == 1 &&
			 metric("sg_ctl_vm_resumes_total") == 1 &&
			 metric("sg_ctl_vm_saves_total") == 1,
		 "metrics: resume %lld boot %lld resumes %lld saves %lld",
		 metric("sg_ctl_vm_start_seconds_count{kind=\"resume\"}"),
		 metric("sg_ctl_vm_start_seconds_count{kind=\"boot\"}"),
		 metric("sg_ctl_vm_resumes_total"), metric("sg_ctl_vm_saves_total"));
	/* saved unasked (by its host) with a session on it: not a VM failure */
	agent_report("vm1", SG_AGENT_VM_SAVED);
	wait_saved("vm1", 2000);
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(vm_int("vm1", "downs") == 0 && vm_int("vm1", "failures") == 0 &&
			 T.s[2].aborts == 0 && status_int("stats.vm_downs") == 0,
		 "a save counted as a failure: downs %lld aborts %u", vm_int("vm1", "downs"),
		 T.s[2].aborts);
	it_stop_ctl(&T);
}

static void
sc_crash(const char *bin)
{
	uint64_t vm1, vm3;

	pool_extra = "    restart_backoff_ms: 0\n"; /* today's behaviour: failed until started */
	setup(bin, "crash", 4, 0);
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "started"), "vm start: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 2, 1, VIP, 8080, SG_MSG_L7_NONE, NULL);
	wait_answer(1, 3000);
	wait_answer(2, 3000);
	vm1 = strtoull(vm_str("vm1", "id"), NULL, 0);
	IT_CHECK(T.s[1].vm_id == vm1 && T.s[2].vm_id == vm1, "sessions not on vm1");
	/* its qemu is killed: the agent reports crashed */
	agent_report("vm1", SG_AGENT_VM_CRASHED);
	wait_abort(1, 3000);
	wait_abort(2, 3000);
	IT_CHECK(T.s[1].abort_action == SG_MSG_ABORT_RESET &&
			 T.s[1].abort_reason == SG_MSG_REASON_VM_DOWN,
		 "session 1: action %u reason %u", T.s[1].abort_action, T.s[1].abort_reason);
	IT_CHECK(T.s[2].abort_action == SG_MSG_ABORT_DRAIN && T.s[2].abort_deadline_s == 5 &&
			 T.s[2].abort_reason == SG_MSG_REASON_VM_DOWN,
		 "session 2 (on_vm_down drain): action %u deadline %u", T.s[2].abort_action,
		 T.s[2].abort_deadline_s);
	wait_vm("vm1", "state", "failed", 2000);
	IT_CHECK(vm_int("vm1", "downs") == 1 && vm_int("vm1", "down_aborted") == 2 &&
			 vm_int("vm1", "failures") == 1,
		 "vm1 downs %lld aborted %lld failures %lld", vm_int("vm1", "downs"),
		 vm_int("vm1", "down_aborted"), vm_int("vm1", "failures"));
	/* not chosen until it is started again: a new session boots another VM */
	it_send_new(&T, 3, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(3, 5000);
	IT_CHECK(T.s[3].installs == 1 && T.s[3].vm_id != vm1, "session 3 on the crashed VM");
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "started"), "vm start failed VM: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	/* a crash during a resume: a failure of that start; its held session goes elsewhere */
	it_send_closed(&T, 2);
	it_pump(&T, 100, NULL, NULL);
	IT_CHECK(sg("vm save vm1") == 0 && strstr(out, "saving"), "vm save: %s", out);
	wait_saved("vm1", 3000);
	IT_CHECK(sg("drain vm vm2") == 0, "drain vm2: %s", out); /* the held one must use vm1 */
	T.agent.boot_ms = 1500;
	it_send_new(&T, 4, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_vm("vm1", "state", "starting", 3000);
	IT_CHECK(strcmp(vm_str("vm1", "why"), "resumed by sg-control") == 0 ||
			 strcmp(vm_str("vm1", "why"), "reported by its agent") == 0,
		 "why '%s'", vm_str("vm1", "why"));
	it_pump(&T, 100, NULL, NULL); /* its BOOTING report */
	agent_report("vm1", SG_AGENT_VM_CRASHED);
	wait_vm("vm1", "state", "failed", 3000);
	IT_CHECK(vm_int("vm1", "failures") == 2 && vm_int("vm1", "resumes") == 0 &&
			 vm_int("vm1", "down_rebrokered") == 1,
		 "crash during the resume: failures %lld resumes %lld rebrokered %lld",
		 vm_int("vm1", "failures"), vm_int("vm1", "resumes"),
		 vm_int("vm1", "down_rebrokered"));
	wait_answer(4, 6000);
	vm3 = strtoull(vm_str("vm3", "id"), NULL, 0);
	IT_CHECK(T.s[4].installs == 1 && T.s[4].vm_id == vm3,
		 "held session 4 not re-placed on vm3");
	/* restart_backoff_ms 0: with every other VM drained, a new session does not start it */
	IT_CHECK(sg("drain vm vm3") == 0, "drain vm3: %s", out);
	it_send_new(&T, 5, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 1000, NULL, NULL);
	IT_CHECK(T.s[5].installs == 0 && strcmp(vm_str("vm1", "state"), "failed") == 0 &&
			 vm_int("vm1", "restarts") == 0 && vm_int("vm1", "crashes") == 0 &&
			 vm_int("vm1", "restart_in_ms") == -1 &&
			 metric("sg_ctl_vm_restarts_total") == 0,
		 "backoff 0: session 5 installs %u, vm1 %s restarts %lld crashes %lld",
		 T.s[5].installs, vm_str("vm1", "state"), vm_int("vm1", "restarts"),
		 vm_int("vm1", "crashes"));
	it_stop_ctl(&T);
}

/* vm1 crashes with session @p sid installed: aborted, vm1 failed with @p crashes. */
static void
crash_vm1(uint64_t sid, long long crashes)
{
	agent_report("vm1", SG_AGENT_VM_CRASHED);
	wait_abort(sid, 3000);
	wait_vm("vm1", "state", "failed", 2000);
	IT_CHECK(vm_int("vm1", "crashes") == crashes, "vm1 crashes %lld, not %lld",
		 vm_int("vm1", "crashes"), crashes);
}

/* Session @p sid, sent while vm1's backoff of @p backoff_ms runs, is held, then
 * starts vm1 (a restart) and is installed on it. */
static void
held_until_restart(uint64_t sid, unsigned int backoff_ms, long long restarts)
{
	uint64_t vm1 = strtoull(vm_str("vm1", "id"), NULL, 0), t0 = it_now_ns();
	long long left = vm_int("vm1", "restart_in_ms");

	IT_CHECK(left > 0 && left <= backoff_ms, "vm1 restart_in_ms %lld, backoff %u", left,
		 backoff_ms);
	it_send_new(&T, sid, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, backoff_ms / 3, NULL, NULL);
	IT_CHECK(T.s[sid].installs + T.s[sid].rejects == 0 &&
			 strcmp(vm_str("vm1", "state"), "failed") == 0,
		 "session %llu answered during the backoff (vm1 %s)", (unsigned long long)sid,
		 vm_str("vm1", "state"));
	wait_answer(sid, backoff_ms + 3000);
	IT_CHECK(T.s[sid].installs == 1 && T.s[sid].vm_id == vm1,
		 "session %llu not installed on the restarted vm1", (unsigned long long)sid);
	IT_CHECK(it_now_ns() - t0 >= (uint64_t)(backoff_ms - 50) * 1000000,
		 "session %llu installed %llu ms after it came, before the %u ms backoff",
		 (unsigned long long)sid, (unsigned long long)((it_now_ns() - t0) / 1000000),
		 backoff_ms);
	IT_CHECK(vm_int("vm1", "restarts") == restarts &&
			 metric("sg_ctl_vm_restarts_total") == restarts,
		 "restarts %lld metric %lld, not %lld", vm_int("vm1", "restarts"),
		 metric("sg_ctl_vm_restarts_total"), restarts);
}

static void
sc_crash_restart(const char *bin)
{
	struct it_vm *a1;

	pool_extra = "    restart_backoff_ms: 400\n    restart_max: 3\n";
	setup(bin, "crashrestart", 4, 0);
	a1 = it_agent_vm(&T, "vm1");
	/* vm1 alone can take sessions of p1 */
	IT_CHECK(sg("drain vm vm2") == 0 && sg("drain vm vm3") == 0, "drain: %s", out);
	IT_CHECK(sg("vm start vm1") == 0, "vm start: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(1, 3000);
	/* crash 1: backoff 400 ms, then the held session 2 starts it again */
	crash_vm1(1, 1);
	held_until_restart(2, 400, 1);
	IT_CHECK(a1->starts == 2, "agent starts of vm1 %u", a1->starts);
	/* crash 2 (within 10 min): the backoff doubles */
	crash_vm1(2, 2);
	held_until_restart(3, 800, 2);
	/* crash 3: a crash loop, quarantined: nothing starts it, not even after 4 backoffs */
	crash_vm1(3, 3);
	IT_CHECK(strcmp(vm_str("vm1", "why"), "crash loop: 3 crashes in 10 min") == 0 &&
			 it_vm_bool(&T, "vm1", "crash_loop") == 1 &&
			 vm_int("vm1", "restart_in_ms") == -1,
		 "quarantine: why '%s' restart_in_ms %lld", vm_str("vm1", "why"),
		 vm_int("vm1", "restart_in_ms"));
	IT_CHECK(metric("sg_ctl_vm_crash_loops_total") == 1, "crash loops metric %lld",
		 metric("sg_ctl_vm_crash_loops_total"));
	IT_CHECK(sg("vms") == 0 && strstr(out, "crash loop"), "sgctl vms: %s", out);
	it_send_new(&T, 4, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 1700, NULL, NULL);
	IT_CHECK(T.s[4].installs == 0 && strcmp(vm_str("vm1", "state"), "failed") == 0 &&
			 a1->starts == 3 && vm_int("vm1", "restarts") == 2,
		 "quarantined vm1 started: session 4 installs %u, %s, agent starts %u",
		 T.s[4].installs, vm_str("vm1", "state"), a1->starts);
	/* only the operator revives it; its crashes are forgotten */
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "started"), "vm start: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	IT_CHECK(vm_int("vm1", "crashes") == 0 && it_vm_bool(&T, "vm1", "crash_loop") == 0,
		 "after sgctl vm start: crashes %lld", vm_int("vm1", "crashes"));
	it_send_new(&T, 5, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(5, 3000);
	IT_CHECK(T.s[5].installs == 1, "session 5 not installed on the revived vm1");
	it_stop_ctl(&T);
}

static void
sc_verbs(const char *bin)
{
	setup(bin, "verbs", 4, 0);
	IT_CHECK(sg("--help") == 0 && strstr(out, "vm start|stop|save NAME") &&
			 strstr(out, "session abort ID [--drain [--deadline S]]"),
		 "usage: %s", out);
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "started"), "vm start: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "already running"), "again: %s", out);
	IT_CHECK(sg("vm start nosuch") == 1 && strstr(out, "no VM named 'nosuch'"), "%s", out);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(1, 3000);
	IT_CHECK(sg("vm stop vm1") == 1 &&
			 strstr(out, "vm1 has 1 sessions: drain it first (sgctl drain vm vm1)"),
		 "stop with a session: %s", out);
	IT_CHECK(sg("vm save vm1") == 1 && strstr(out, "drain it first"), "save: %s", out);
	/* session abort: installed -> SESSION_ABORT (ADMIN), reset or drain */
	IT_CHECK(sg("session abort 0x1") == 0 && strstr(out, "reset"), "abort: %s", out);
	wait_abort(1, 2000);
	IT_CHECK(T.s[1].abort_action == SG_MSG_ABORT_RESET &&
			 T.s[1].abort_reason == SG_MSG_REASON_ADMIN,
		 "abort 1: action %u reason %u", T.s[1].abort_action, T.s[1].abort_reason);
	it_send_new(&T, 2, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(2, 3000);
	IT_CHECK(sg("session abort 0x2 --drain --deadline 7") == 0 && strstr(out, "draining"),
		 "abort --drain: %s", out);
	wait_abort(2, 2000);
	IT_CHECK(T.s[2].abort_action == SG_MSG_ABORT_DRAIN && T.s[2].abort_deadline_s == 7 &&
			 T.s[2].abort_reason == SG_MSG_REASON_ADMIN,
		 "abort 2: action %u deadline %u reason %u", T.s[2].abort_action,
		 T.s[2].abort_deadline_s, T.s[2].abort_reason);
	IT_CHECK(sg("session abort 0x2 --drain") == 1 && strstr(out, "already ending"), "%s", out);
	IT_CHECK(sg("session abort 0x2") == 0, "reset of a draining session: %s", out);
	IT_CHECK(sg("session abort 0x99") == 1 && strstr(out, "no session with streaming ID 0x99"),
		 "unknown: %s", out);
	IT_CHECK(sg("session abort 0x2 --deadline 3") == 1 && strstr(out, "only with action drain"),
		 "deadline without drain: %s", out);
	IT_CHECK(sg("session abort") == 2, "usage: %s", out);
	/* a held session (waiting for its VM to boot) is rejected ADMIN */
	IT_CHECK(sg("drain vm vm1") == 0, "drain: %s", out);
	T.agent.boot_ms = 3000;
	it_send_new(&T, 3, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(T.s[3].installs + T.s[3].rejects == 0, "session 3 not held");
	IT_CHECK(sg("session abort 0x3") == 0 && strstr(out, "rejected"), "abort held: %s", out);
	wait_answer(3, 2000);
	IT_CHECK(T.s[3].rejects == 1 && T.s[3].reason == SG_MSG_REASON_ADMIN,
		 "held session 3: rejects %u reason %u", T.s[3].rejects, T.s[3].reason);
	IT_CHECK(sg("session abort 0x3") == 1 && strstr(out, "0x3"), "again: %s", out);
	/* stop and save once it holds no session */
	IT_CHECK(sg("undrain vm vm1") == 0, "undrain: %s", out);
	it_send_closed(&T, 2);
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(sg("vm stop vm1") == 0 && strstr(out, "stopping"), "stop: %s", out);
	wait_vm("vm1", "state", "stopped", 3000);
	IT_CHECK(it_agent_vm(&T, "vm1")->stops == 1, "no STOP");
	IT_CHECK(sg("vm save vm1") == 1 && strstr(out, "not running"), "save stopped: %s", out);
	T.agent.boot_ms = 300;
	IT_CHECK(sg("vm start vm1") == 0, "start: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	IT_CHECK(sg("vm save vm1") == 0 && strstr(out, "saving"), "save: %s", out);
	wait_saved("vm1", 3000);
	IT_CHECK(it_agent_vm(&T, "vm1")->saves == 1 && vm_int("vm1", "saves") == 1, "no SAVE");
	IT_CHECK(sg("vm start vm1") == 0 && strstr(out, "resuming"), "resume: %s", out);
	wait_vm("vm1", "state", "running", 3000);
	IT_CHECK(vm_int("vm1", "resumes") == 1, "resumes %lld", vm_int("vm1", "resumes"));
	IT_CHECK(status_int("stats.admin_aborts") == 4 &&
			 status_int("stats.admin_abort_refused") == 3 &&
			 status_int("stats.admin_vm_ops") == 6 &&
			 status_int("stats.admin_vm_refused") == 4,
		 "counters: aborts %lld refused %lld vm ops %lld refused %lld",
		 status_int("stats.admin_aborts"), status_int("stats.admin_abort_refused"),
		 status_int("stats.admin_vm_ops"), status_int("stats.admin_vm_refused"));
	IT_CHECK(metric("sg_ctl_admin_aborts_total") == 4, "metric aborts");
	it_stop_ctl(&T);
}

#define CFG_REAL                                                                                 \
	"hosts:\n"                                                                               \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                     \
	"pools:\n"                                                                               \
	"  - name: p1\n"                                                                         \
	"    session_cap: 1\n"                                                                   \
	"    idle_stop_ms: 500\n"                                                                \
	"    idle_action: save\n"                                                                \
	"    vms:\n"                                                                             \
	"      - { name: vm1, host: h1, address: 198.18.4.10, template: guest, probe: false }\n" \
	"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"                                \
	"  - name: p2\n"                                                                         \
	"    vms:\n"                                                                             \
	"      - { name: vm4, host: h1, address: 198.18.4.13, template: nosuch }\n"              \
	"applications:\n"                                                                        \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat }\n"

/* The same with the real sg-hostagent on libvirt's test driver: the push defines vm1 from
 * its template "guest", refuses vm4 (no such template); boot, idle save, resume. */
static void
sc_real(const char *bin)
{
	uint64_t vm1;

	it_init(&T, bin, "guestreal");
	it_write_cfg(&T, CFG_REAL, NULL);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", bin, T.sock);
	snprintf(T.agent.vms[0].name, 64, "vm3");
	T.agent.vms[0].state = SG_AGENT_VM_SHUTOFF;
	T.agent.n_vms = 1;
	T.agent.boot_ms = 300;
	T.agent.real = true;
	T.agent.templates = true;
	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	wait_vm("vm1", "state", "stopped", 5000);
	wait_vm("vm4", "state", "failed", 5000);
	IT_CHECK(strstr(vm_str("vm4", "why"), "VM_DEFINE refused") != NULL, "vm4 why '%s'",
		 vm_str("vm4", "why"));
	IT_CHECK(status_int("stats.agent_pushed") == 2 &&
			 status_int("stats.agent_push_failures") == 1,
		 "pushed %lld failures %lld", status_int("stats.agent_pushed"),
		 status_int("stats.agent_push_failures"));
	/* a cold boot of the pushed VM */
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(1, 8000);
	vm1 = strtoull(vm_str("vm1", "id"), NULL, 0);
	IT_CHECK(T.s[1].installs == 1 && T.s[1].vm_id == vm1, "session 1 not on vm1");
	IT_CHECK(strcmp(vm_str("vm1", "last_start.kind"), "boot") == 0, "kind '%s'",
		 vm_str("vm1", "last_start.kind"));
	/* idle: managed save through libvirt */
	it_send_closed(&T, 1);
	wait_saved("vm1", 8000);
	IT_CHECK(strcmp(vm_str("vm1", "state"), "stopped") == 0 && vm_int("vm1", "saves") == 1,
		 "after the save: %s saves %lld", vm_str("vm1", "state"), vm_int("vm1", "saves"));
	/* the next session resumes it */
	it_send_new(&T, 2, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answer(2, 8000);
	IT_CHECK(T.s[2].installs == 1 && T.s[2].vm_id == vm1, "session 2 not on vm1");
	IT_CHECK(strcmp(vm_str("vm1", "last_start.kind"), "resume") == 0 &&
			 vm_int("vm1", "resumes") == 1 && it_vm_bool(&T, "vm1", "saved") == 0,
		 "after the resume: kind '%s' resumes %lld", vm_str("vm1", "last_start.kind"),
		 vm_int("vm1", "resumes"));
	IT_CHECK(metric("sg_ctl_vm_start_seconds_count{kind=\"resume\"}") == 1, "histogram");
	IT_CHECK(metric("sg_ctl_agent_ignored_total") == 0,
		 "a real agent's messages counted as ignored: %lld",
		 metric("sg_ctl_agent_ignored_total"));
	it_stop_ctl(&T);
	it_agent_stop(&T);
}

int
main(int argc, char **argv)
{
	static const struct it_scenario sc[] = {
		{"push", sc_push},   {"save-resume", sc_save_resume},
		{"crash", sc_crash}, {"crash-restart", sc_crash_restart},
		{"verbs", sc_verbs}, {"real", sc_real}};

	if (argc != 3) {
		fprintf(stderr, "usage: test_guest BUILD_DIR/control SCENARIO\n");
		return 2;
	}
	return it_run_scenario(sc, sizeof(sc) / sizeof(sc[0]), argv[1], argv[2],
			       strcmp(argv[2], "real") == 0 ? "sg-hostagent, libvirt test driver"
							    : "in-process agent");
}
