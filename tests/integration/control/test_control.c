/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration tests of sg-control: the real daemon, driven through the
 * shared-memory rings by this process playing the data plane, and
 * through the agent protocol by a host agent.
 *
 *   test_control BUILD_DIR SCENARIO
 *
 * Scenarios: install-running, start-stopped, queue-overflow, vm-fail,
 * idle-stop, restart (kill -9 with 1000 installed and 100 waiting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"
#include "sessiongate/sg_agent_proto.h"

#define VIP "198.18.10.1"

static struct it T;
static bool real_agent;

/* sg-control's own counter for a VM (vms: starts, stops). */
static long long
ctl_vm_counter(const char *vm, const char *what)
{
	return it_vm_int(&T, vm, what);
}

/* Starts / stops the agent carried out (the in-process agent counts them;
 * with the real sg-hostagent, sg-control's requests that it answered). */
static unsigned int
agent_starts(unsigned int i)
{
	return real_agent ? (unsigned int)ctl_vm_counter(T.agent.vms[i].name, "starts")
			  : T.agent.vms[i].starts;
}

static unsigned int
agent_stops(unsigned int i)
{
	return real_agent ? (unsigned int)ctl_vm_counter(T.agent.vms[i].name, "stops")
			  : T.agent.vms[i].stops;
}

#define CFG_ONE_POOL                                                                          \
	"hosts:\n"                                                                            \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                  \
	"pools:\n"                                                                            \
	"  - name: p1\n"                                                                      \
	"    session_cap: %u\n"                                                               \
	"    idle_stop_ms: %u\n"                                                              \
	"    storage: san1\n"                                                                 \
	"    vms:\n"                                                                          \
	"      - { name: vm1, host: h1, address: 198.18.4.10 }\n"                             \
	"      - { name: vm2, host: h1, address: 198.18.4.11 }\n"                             \
	"  - name: p2\n"                                                                      \
	"    session_cap: %u\n"                                                               \
	"    vms:\n"                                                                          \
	"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"                             \
	"applications:\n"                                                                     \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat, domain: webdom, "      \
	"exec_limit: %u, "                                                                    \
	"wait_limit: %u }\n"                                                                  \
	"  - { name: desk, vip: " VIP ", port: 3389, pool: p2, mode: dsr, exec_limit: 5000, " \
	"wait_limit: %u, affinity: true, match: { rdp_cookie: mstshash } }\n"

static void
setup(const char *bin, const char *name, unsigned int cap, unsigned int idle_ms, unsigned int cap2,
      unsigned int exec, unsigned int wait, unsigned int wait2, const char *timeouts)
{
	char body[4096];

	it_init(&T, bin, name);
	snprintf(body, sizeof(body), CFG_ONE_POOL, cap, idle_ms, cap2, exec, wait, wait2);
	it_write_cfg(&T, body, timeouts);
	snprintf(T.agent.vms[0].name, 64, "vm1");
	snprintf(T.agent.vms[1].name, 64, "vm2");
	snprintf(T.agent.vms[2].name, 64, "vm3");
	T.agent.n_vms = 3;
	T.agent.boot_ms = 300;
	T.agent.real = real_agent;
	for (unsigned int i = 0; i < 3; i++)
		T.agent.vms[i].state = SG_AGENT_VM_SHUTOFF;
}

struct count_arg {
	uint64_t first, last;
	unsigned int want;
};

/* Sessions first..last that have their final answer. */
static unsigned int
answered(struct it *t, uint64_t first, uint64_t last)
{
	unsigned int n = 0;

	for (uint64_t i = first; i <= last; i++)
		n += t->s[i].installs + t->s[i].rejects > 0;
	return n;
}

static bool
all_answered(struct it *t, void *arg)
{
	struct count_arg *c = arg;

	return answered(t, c->first, c->last) >= c->want;
}

static void
wait_answers(uint64_t first, uint64_t last, unsigned int want, unsigned int ms)
{
	struct count_arg c = {first, last, want};

	if (!it_pump(&T, ms, all_answered, &c))
		IT_FAIL("only %u of %u sessions %llu..%llu answered within %u ms",
			answered(&T, first, last), want, (unsigned long long)first,
			(unsigned long long)last, ms);
}

static long long
sessions_in(const char *state)
{
	json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");
	char path[64];
	long long v;

	IT_CHECK(st != NULL, "status refused");
	snprintf(path, sizeof(path), "sessions.%s", state);
	v = it_jint(st, path);
	json_decref(st);
	return v;
}

static long long
db_rows(const char *table)
{
	json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");
	char path[64];
	long long v;

	snprintf(path, sizeof(path), "db.%s", table);
	v = it_jint(st, path);
	json_decref(st);
	return v;
}

/* A string field of VM @p vm in sg-control's "vms" answer ("" when absent). */
static const char *
vm_str(const char *vm, const char *key)
{
	return it_vm_str(&T, vm, key);
}

static const char *
vm_state(const char *vm)
{
	return vm_str(vm, "state");
}

static void
wait_vm_state(const char *vm, const char *state, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (it_now_ns() < end) {
		if (strcmp(vm_state(vm), state) == 0)
			return;
		it_pump(&T, 20, NULL, NULL);
	}
	IT_FAIL("VM %s is '%s', not '%s', after %u ms", vm, vm_state(vm), state, ms);
}

static void
start_all(void)
{
	if (real_agent)
		for (unsigned int i = 0; i < T.agent.n_vms; i++)
			if (T.agent.vms[i].behaviour == IT_VM_HANGS)
				T.agent.boot_ms = 600000; /* libvirt test driver: boots "forever" */
	it_start_ctl(&T);
	it_agent_start(&T);
	it_wait_agent(&T, 10000);
	/* The RESYNC of the attach. */
	it_pump(&T, 300, NULL, NULL);
	IT_CHECK(T.resyncs >= 1, "no SESSION_RESYNC after sg-control attached");
}

/* 1. Sessions to a running VM install, in the order they came. */
static void
sc_install_running(const char *bin)
{
	json_t *ss, *one;
	char req[128];
	uint64_t i;

	setup(bin, "run", 1000, 0, 10, 1000, 10, 10, NULL);
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	start_all();
	wait_vm_state("vm1", "running", 3000);
	for (i = 1; i <= 200; i++)
		it_send_new(&T, i, (uint16_t)(i % 2), VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 200, 200, 5000);
	for (i = 1; i <= 200; i++) {
		IT_CHECK(T.s[i].installs == 1 && T.s[i].rejects == 0, "session %llu",
			 (unsigned long long)i);
		/* In order: per worker ring, answers come back in the order sent. */
		if (i > 2)
			IT_CHECK(T.s[i].t_answer_ns >= T.s[i - 2].t_answer_ns, "order %llu",
				 (unsigned long long)i);
	}
	IT_CHECK(sessions_in("installed") == 200, "installed %lld", sessions_in("installed"));
	IT_CHECK(db_rows("streaming") == 200 && db_rows("relationship") == 200 &&
			 db_rows("controlling") == 200 && db_rows("user") == 200,
		 "DB rows");
	ss = it_admin(&T, "{\"cmd\":\"sessions\",\"state\":\"installed\",\"limit\":5}");
	IT_CHECK(json_array_size(ss) == 5, "sessions --limit 5: %zu", json_array_size(ss));
	json_decref(ss);
	snprintf(req, sizeof(req), "{\"cmd\":\"session\",\"id\":\"7\"}");
	one = it_admin(&T, req);
	IT_CHECK(one != NULL, "session show 7");
	IT_CHECK(strcmp(it_jstr(one, "vm"), "vm1") == 0, "session 7 on %s", it_jstr(one, "vm"));
	IT_CHECK(json_array_size(json_object_get(one, "providers")) == 3,
		 "providers: VM manager, network manager, storage manager");
	IT_CHECK(strncmp(it_jstr(one, "storage_id"), "0xb", 3) == 0 &&
			 strncmp(it_jstr(one, "domain_id"), "0x10", 4) == 0 &&
			 strncmp(it_jstr(one, "controlling_id"), "0x82", 4) == 0,
		 "linked IDs (storage %s, domain %s, controlling %s)", it_jstr(one, "storage_id"),
		 it_jstr(one, "domain_id"), it_jstr(one, "controlling_id"));
	json_decref(one);
	for (i = 1; i <= 200; i++)
		it_send_closed(&T, i);
	it_pump(&T, 500, NULL, NULL);
	IT_CHECK(sessions_in("installed") == 0, "after close");
	IT_CHECK(db_rows("streaming") == 0 && db_rows("relationship") == 0, "rows removed");
	IT_CHECK(agent_starts(0) == 0, "no start for a running VM");
	it_stop_ctl(&T);
}

/* 2. A session to a stopped VM waits; the VM starts; INSTALL follows its RUNNING. */
static void
sc_start_stopped(const char *bin)
{
	uint64_t t_running;

	setup(bin, "start", 10, 0, 10, 100, 10, 10, NULL);
	T.agent.boot_ms = 500;
	start_all();
	wait_vm_state("vm1", "stopped", 3000);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 2, 1, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(T.s[1].installs + T.s[1].rejects == 0, "answered before the VM ran");
	IT_CHECK(sessions_in("waiting") == 2, "waiting %lld", sessions_in("waiting"));
	IT_CHECK(agent_starts(0) == 1 && agent_starts(1) == 0,
		 "starts vm1 %u vm2 %u (the second session joins the VM starting)", agent_starts(0),
		 agent_starts(1));
	wait_answers(1, 2, 2, 5000);
	pthread_mutex_lock(&T.agent.mu);
	t_running = real_agent ? T.s[1].t_sent_ns + 500000000ull : T.agent.vms[0].boot_at_ns;
	pthread_mutex_unlock(&T.agent.mu);
	IT_CHECK(T.s[1].installs == 1 && T.s[2].installs == 1, "installs");
	IT_CHECK(T.s[1].t_answer_ns >= t_running, "INSTALL came before the agent said RUNNING");
	IT_CHECK(T.s[1].t_answer_ns - T.s[1].t_sent_ns >= 400000000ull, "too early");
	IT_CHECK(strcmp(vm_state("vm1"), "running") == 0, "vm1 %s", vm_state("vm1"));
	it_stop_ctl(&T);
}

/* 3. Over the waiting limit a session is rejected at once, with its reason. */
static void
sc_queue_overflow(const char *bin)
{
	uint64_t i;

	/* exec 2, wait 3; the VM hangs while booting. */
	setup(bin, "queue", 10, 0, 10, 2, 3, 10, NULL);
	T.agent.vms[0].behaviour = IT_VM_HANGS;
	T.agent.vms[1].behaviour = IT_VM_HANGS;
	start_all();
	wait_vm_state("vm1", "stopped", 3000);
	for (i = 1; i <= 7; i++)
		it_send_new(&T, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(6, 7, 2, 2000);
	for (i = 6; i <= 7; i++)
		IT_CHECK(T.s[i].rejects == 1 && T.s[i].reason == SG_MSG_REASON_QUEUE_FULL,
			 "session %llu: rejects %u reason %u", (unsigned long long)i,
			 T.s[i].rejects, T.s[i].reason);
	IT_CHECK(T.s[6].t_answer_ns - T.s[6].t_sent_ns < 500000000ull, "not at once");
	IT_CHECK(answered(&T, 1, 5) == 0, "the first five must wait");
	IT_CHECK(sessions_in("waiting") == 2 && sessions_in("negotiating") == 3,
		 "waiting %lld negotiating %lld", sessions_in("waiting"),
		 sessions_in("negotiating"));
	{
		json_t *apps = it_admin(&T, "{\"cmd\":\"apps\"}");

		IT_CHECK(it_jint(json_array_get(apps, 0), "rejects.queue_full") == 2, "apps");
		json_decref(apps);
	}
	it_stop_ctl(&T);
}

/* 4. A VM that fails to start rejects every session waiting for it. */
static void
sc_vm_fail(const char *bin)
{
	uint64_t i;

	setup(bin, "fail", 3, 0, 10, 100, 10, 10, NULL);
	T.agent.vms[0].behaviour = IT_VM_FAILS;
	T.agent.vms[1].behaviour = IT_VM_FAILS;
	start_all();
	wait_vm_state("vm1", "stopped", 3000);
	for (i = 1; i <= 3; i++)
		it_send_new(&T, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 3, 3, 3000);
	for (i = 1; i <= 3; i++)
		IT_CHECK(T.s[i].rejects == 1 && T.s[i].installs == 0 &&
				 T.s[i].reason == SG_MSG_REASON_VM_FAILED,
			 "session %llu reason %u", (unsigned long long)i, T.s[i].reason);
	IT_CHECK(strcmp(vm_state("vm1"), "failed") == 0, "vm1 %s", vm_state("vm1"));
	IT_CHECK(sessions_in("waiting") == 0 && db_rows("streaming") == 0, "left-overs");
	it_stop_ctl(&T);
}

/* 5. An idle VM is stopped after its pool's timeout, never while a session is installed. */
static void
sc_idle_stop(const char *bin)
{
	setup(bin, "idle", 10, 700, 10, 100, 10, 10, NULL);
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	start_all();
	wait_vm_state("vm1", "running", 3000);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 1, 1, 2000);
	it_pump(&T, 1200, NULL, NULL);
	IT_CHECK(agent_stops(0) == 0, "stopped with a session installed");
	it_send_closed(&T, 1);
	it_pump(&T, 300, NULL, NULL);
	IT_CHECK(agent_stops(0) == 0, "stopped before its idle timeout");
	wait_vm_state("vm1", "stopped", 5000);
	IT_CHECK(agent_stops(0) == 1, "stops %u", agent_stops(0));
	{
		json_t *st = it_admin(&T, "{\"cmd\":\"status\"}");

		IT_CHECK(it_jint(st, "stats.vm_stops") == 1, "vm_stops");
		json_decref(st);
	}
	/* Scale from zero again. */
	it_send_new(&T, 2, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(2, 2, 1, 5000);
	IT_CHECK(T.s[2].installs == 1, "restart after idle stop");
	it_stop_ctl(&T);
}

/*
 * 6. kill -9 with 1000 sessions installed and 100 waiting: after the
 * restart the DB still has every installed session, the waiting ones
 * are resumed and installed exactly once, nothing is lost or duplicated.
 */
static void
sc_restart(const char *bin)
{
	char key[64];
	uint64_t i;
	unsigned int ni;
	struct it_vm *vm3;

	setup(bin, "restart", 5000, 0, 5000, 5000, 200, 200,
	      "{queue_ms: 60000, vm_start_ms: 60000, install_ms: 5000}");
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	if (real_agent)
		T.agent.boot_ms = 4000; /* vm3 boots across the kill and the restart */
	else
		T.agent.vms[2].behaviour = IT_VM_HANGS; /* the desk VM boots until we say so */
	start_all();
	wait_vm_state("vm1", "running", 8000);
	for (i = 1; i <= 1000; i++)
		it_send_new(&T, i, (uint16_t)(i % 2), VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 1000, 1000, 10000);
	for (i = 1001; i <= 1100; i++) {
		snprintf(key, sizeof(key), "Cookie: mstshash=user%llu\r\n", (unsigned long long)i);
		it_send_new(&T, i, (uint16_t)(i % 2), VIP, 3389, SG_MSG_L7_RDP_COOKIE, key);
	}
	it_pump(&T, 500, NULL, NULL);
	IT_CHECK(answered(&T, 1001, 1100) == 0, "waiting sessions answered");
	IT_CHECK(sessions_in("installed") == 1000 && sessions_in("waiting") == 100,
		 "installed %lld waiting %lld", sessions_in("installed"), sessions_in("waiting"));
	IT_CHECK(strcmp(vm_state("vm3"), "starting") == 0, "vm3 %s", vm_state("vm3"));

	it_kill_ctl(&T);
	/* While it is gone the data plane keeps its flows; the VM finishes booting. */
	vm3 = it_agent_vm(&T, "vm3");
	pthread_mutex_lock(&T.agent.mu);
	vm3->behaviour = IT_VM_BOOTS;
	vm3->boot_at_ns = it_now_ns() + 1500000000ull;
	pthread_mutex_unlock(&T.agent.mu);
	T.resyncs = 0;
	it_start_ctl(&T);
	IT_CHECK(sessions_in("installed") == 1000, "installed after restart: %lld",
		 sessions_in("installed"));
	IT_CHECK(db_rows("streaming") >= 1000 && db_rows("relationship") >= 1000, "DB rows");
	it_wait_agent(&T, 10000);
	wait_answers(1001, 1100, 100, 15000);
	it_pump(&T, 300, NULL, NULL); /* any late duplicate */
	IT_CHECK(T.resyncs >= 1, "no RESYNC after the restart");
	for (i = 1; i <= 1000; i++)
		IT_CHECK(T.s[i].installs == 1 && T.s[i].rejects == 0, "session %llu: %u installs",
			 (unsigned long long)i, T.s[i].installs);
	for (i = 1001; i <= 1100; i++)
		IT_CHECK(T.s[i].installs + T.s[i].rejects == 1,
			 "session %llu: %u installs %u "
			 "rejects",
			 (unsigned long long)i, T.s[i].installs, T.s[i].rejects);
	IT_CHECK(answered(&T, 1001, 1100) == 100, "lost waiting sessions");
	for (i = 1001, ni = 0; i <= 1100; i++)
		ni += T.s[i].installs;
	IT_CHECK(sessions_in("installed") == 1000 + ni, "installed %lld, expected %u",
		 sessions_in("installed"), 1000 + ni);
	IT_CHECK(db_rows("streaming") == sessions_in("installed") &&
			 db_rows("controlling") == sessions_in("installed") &&
			 db_rows("user") == sessions_in("installed") &&
			 db_rows("relationship") == sessions_in("installed"),
		 "DB rows %lld vs installed %lld", db_rows("streaming"), sessions_in("installed"));
	IT_CHECK(real_agent || vm3->starts == 1, "vm3 started %u times", vm3->starts);
	it_stop_ctl(&T);
	printf("restart: 1000 installed kept; of 100 waiting: %u installed, %u rejected\n", ni,
	       100 - ni);
}

/* 8. The data plane restarts (new shm object, new epoch): sg-control
 * re-attaches, closes the old instance's sessions and asks for a resync. */
static void
sc_dp_restart(const char *bin)
{
	json_t *st;
	uint64_t i, end;

	setup(bin, "dprestart", 100, 0, 10, 100, 10, 10, NULL);
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	start_all();
	wait_vm_state("vm1", "running", 5000);
	for (i = 1; i <= 20; i++)
		it_send_new(&T, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 20, 20, 3000);
	IT_CHECK(db_rows("streaming") == 20, "rows before");
	dpsim_destroy(&T.dp, true);
	IT_CHECK(dpsim_create(&T.dp, T.shm, 2, 4096, 0xd0000000ull | (uint64_t)getpid()) == 0,
		 "re-create the region");
	T.resyncs = 0;
	memset(T.s, 0, sizeof(*T.s) * 64);
	end = it_now_ns() + 3000000000ull;
	while (T.resyncs < 2 && it_now_ns() < end)
		it_pump(&T, 20, NULL, NULL);
	IT_CHECK(T.resyncs == 2, "RESYNC on both workers of the new region: %llu",
		 (unsigned long long)T.resyncs);
	st = it_admin(&T, "{\"cmd\":\"status\"}");
	IT_CHECK(it_jint(st, "stats.dp_restarts") == 1 && it_jint(st, "sessions.installed") == 0 &&
			 it_jint(st, "db.streaming") == 0 && it_jint(st, "db.relationship") == 0,
		 "after the data-plane restart");
	json_decref(st);
	IT_CHECK(ctl_vm_counter("vm1", "sessions") == 0, "vm1 slots released");
	/* The new instance works. */
	it_send_new(&T, 30, 1, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(30, 30, 1, 3000);
	IT_CHECK(T.s[30].installs == 1, "install on the new instance");
	it_stop_ctl(&T);
}

/* 9. The agent endpoint refuses a wrong key and garbage, and stays up. */
static void
sc_agent_auth(const char *bin)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char buf[64];
	json_t *st;
	ssize_t n;
	int fd;

	setup(bin, "auth", 10, 0, 10, 100, 10, 10, NULL);
	T.agent.real = false; /* this scenario is about sg-control's end */
	T.agent.hostile = true;
	snprintf(T.agent.key, sizeof(T.agent.key), "not-the-right-key-0123456789");
	it_start_ctl(&T);
	it_agent_start(&T);
	it_pump(&T, 1500, NULL, NULL);
	st = it_admin(&T, "{\"cmd\":\"status\"}");
	IT_CHECK(it_jint(st, "agents_connected") == 0, "an agent with a wrong key got in");
	json_decref(st);
	IT_CHECK(T.agent.connects == 0, "the wrong-key agent saw AUTH_OK");
	it_agent_stop(&T);
	/* Garbage instead of HELLO: sg-control closes that connection. */
	sa.sin_port = htons(T.agent_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	IT_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect");
	IT_CHECK(write(fd, "GET / HTTP/1.0\r\n\r\nxxxxxxxxxx", 28) == 28, "write");
	{
		struct pollfd pf = {.fd = fd, .events = POLLIN};

		IT_CHECK(poll(&pf, 1, 3000) == 1, "sg-control kept a garbage connection");
		n = read(fd, buf, sizeof(buf));
		IT_CHECK(n <= 0, "answer to garbage: %zd bytes", n);
	}
	close(fd);
	/* The right key now. */
	snprintf(T.agent.key, sizeof(T.agent.key), "it-key-%d-0123456789abcdef", (int)getpid());
	it_agent_start(&T);
	it_wait_agent(&T, 5000);
	st = it_admin(&T, "{\"cmd\":\"hosts\"}");
	IT_CHECK(json_is_true(json_object_get(json_array_get(st, 0), "agent")), "host h1 agent");
	json_decref(st);
	it_stop_ctl(&T);
}

/* Run a command; its exit status and (the start of) its output. */
static int
run_cmd(const char *cmd, char *out, size_t len)
{
	return it_run(cmd, out, len);
}

/* 7. sgctl (exit codes, tables, --json), drain, reload, metrics. */
static void
sc_admin(const char *bin)
{
	static char out[1 << 16];
	char cmd[1024], sgctl[300], key[64];
	json_t *j;
	json_error_t jerr;
	FILE *f;
	int rc;

	setup(bin, "admin", 10, 0, 10, 100, 10, 10, NULL);
	T.agent.vms[0].state = SG_AGENT_VM_RUNNING;
	T.agent.vms[2].state = SG_AGENT_VM_RUNNING;
	start_all();
	wait_vm_state("vm1", "running", 3000);
	wait_vm_state("vm3", "running", 3000);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", bin, T.sock);
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 2, 1, VIP, 80, SG_MSG_L7_NONE, NULL);
	snprintf(key, sizeof(key), "Cookie: mstshash=alice\r\n");
	it_send_new(&T, 3, 0, VIP, 3389, SG_MSG_L7_RDP_COOKIE, key);
	wait_answers(1, 3, 3, 3000);

	snprintf(cmd, sizeof(cmd), "%s status", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "sessions.installed") != NULL, "status rc %d: %s", rc, out);
	snprintf(cmd, sizeof(cmd), "%s --json sessions --state installed", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	j = json_loads(out, 0, &jerr);
	IT_CHECK(rc == 0 && json_array_size(j) == 3, "sessions --json rc %d: %s", rc, out);
	json_decref(j);
	snprintf(cmd, sizeof(cmd), "%s sessions --user alice", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "session_id") == out && strstr(out, "alice") != NULL &&
			 strstr(out, "desk") != NULL,
		 "sessions --user table rc %d: %s", rc, out);
	snprintf(cmd, sizeof(cmd), "%s session 3", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "user_session_id") && strstr(out, "service_session_id") &&
			 strstr(out, "vm-manager@h1") && strstr(out, "network-manager"),
		 "session show: %s", out);
	snprintf(cmd, sizeof(cmd), "%s session 424242 2>&1", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 1 && strstr(out, "no session") != NULL, "unknown session rc %d: %s", rc,
		 out);
	snprintf(cmd, sizeof(cmd), "%s sessions --state nonsense 2>&1", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 1 && strstr(out, "state") != NULL, "bad filter rc %d: %s", rc, out);
	snprintf(cmd, sizeof(cmd), "%s/sgctl -s %s/nope.sock status 2>&1", bin, T.dir);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 3, "unreachable: %s", out);
	snprintf(cmd, sizeof(cmd), "%s/sgctl 2>&1", bin);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 2, "usage");
	snprintf(cmd, sizeof(cmd), "%s vms", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "vm1") && strstr(out, "running"), "vms: %s", out);
	snprintf(cmd, sizeof(cmd), "%s hosts", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "h1") && strstr(out, "yes"), "hosts: %s", out);
	snprintf(cmd, sizeof(cmd), "%s identities vm1", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "vm1") && strstr(out, "h1"), "identities: %s", out);
	/* identities via idmgr: a handle, its object and its neighbours in the graph */
	snprintf(cmd, sizeof(cmd), "%s --json identities infra/vm/vm1", sgctl);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0 && strstr(out, "\"handle\": \"infra/vm/vm1\"") && strstr(out, "san1") &&
			 strstr(out, "\"ref\""),
		 "identities infra/vm/vm1 rc %d: %s", rc, out);
	snprintf(cmd, sizeof(cmd), "%s identities infra/vm/nope 2>&1", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 1, "unknown handle: %s", out);
	snprintf(cmd, sizeof(cmd), "%s apps", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "rdp_cookie"), "apps: %s", out);

	/* drain: new sessions are refused with SHUTDOWN; off again: accepted. */
	snprintf(cmd, sizeof(cmd), "%s drain on", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0, "drain on");
	it_send_new(&T, 4, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(4, 4, 1, 2000);
	IT_CHECK(T.s[4].rejects == 1 && T.s[4].reason == SG_MSG_REASON_SHUTDOWN, "drain reject");
	snprintf(cmd, sizeof(cmd), "%s drain off", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0, "drain off");
	it_send_new(&T, 5, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_answers(5, 5, 1, 2000);
	IT_CHECK(T.s[5].installs == 1, "after drain off");

	/* reload: a limit changes at once; a new VM needs a restart (refused, nothing changes). */
	{
		static char yaml[8192];
		char *p;
		size_t n;

		f = fopen(T.cfg, "r");
		n = fread(yaml, 1, sizeof(yaml) - 1, f);
		fclose(f);
		yaml[n] = '\0';
		p = strstr(yaml, "exec_limit: 100,");
		IT_CHECK(p != NULL, "exec_limit in the test YAML");
		memcpy(p, "exec_limit: 777,", 16);
		f = fopen(T.cfg, "w");
		fputs(yaml, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s reload", sgctl);
		IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0, "reload: %s", out);
		snprintf(cmd, sizeof(cmd), "%s --json apps", sgctl);
		IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "777"), "apps: %s",
			 out);
		/* issue 15: objects match by name; a moved app is refused, nothing applied */
		p = strstr(yaml, "port: 80, pool: p1");
		IT_CHECK(p != NULL, "web's port in the YAML");
		memcpy(p, "port: 81, pool: p1", 18);
		f = fopen(T.cfg, "w");
		fputs(yaml, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s reload 2>&1", sgctl);
		rc = run_cmd(cmd, out, sizeof(out));
		IT_CHECK(rc == 1 && strstr(out, "remove it and add it again") != NULL,
			 "moved app reload rc %d: %s", rc, out);
		memcpy(p, "port: 80, pool: p1", 18);
		/* a renamed VM: the old name retires, the new one is added */
		p = strstr(yaml, "      - { name: vm2,");
		IT_CHECK(p != NULL, "vm2 in the YAML");
		p[strlen("      - { name: vm")] = '9'; /* vm2 -> vm9 */
		f = fopen(T.cfg, "w");
		fputs(yaml, f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "%s reload 2>&1", sgctl);
		rc = run_cmd(cmd, out, sizeof(out));
		IT_CHECK(rc == 0, "reload with a renamed VM rc %d: %s", rc, out);
		snprintf(cmd, sizeof(cmd), "%s vms", sgctl);
		IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "vm9"),
			 "vms after the reload: %s", out);
	}

	/* metrics */
	snprintf(cmd, sizeof(cmd), "curl -s --max-time 5 http://127.0.0.1:%u/metrics",
		 T.metrics_port);
	rc = run_cmd(cmd, out, sizeof(out));
	IT_CHECK(rc == 0, "curl rc %d", rc);
	IT_CHECK(strstr(out, "sg_ctl_sessions{state=\"installed\"} 4\n") != NULL, "metrics: %s",
		 out);
	IT_CHECK(strstr(out, "sg_ctl_rejects_total{reason=\"shutdown\"} 1\n") != NULL,
		 "rejects metric");
	IT_CHECK(strstr(out, "sg_ctl_setup_latency_seconds_count 4\n") != NULL, "histogram");
	IT_CHECK(strstr(out, "sg_ctl_queue_depth{app=\"web\",queue=\"execution\"} 3\n") != NULL,
		 "queue depth");
	IT_CHECK(strstr(out, "# TYPE sg_ctl_vm_starts_total counter") != NULL, "vm starts");
	snprintf(cmd, sizeof(cmd),
		 "curl -s -o /dev/null -w '%%{http_code}' --max-time 5 -X POST "
		 "http://127.0.0.1:%u/metrics",
		 T.metrics_port);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strcmp(out, "405") == 0, "POST: %s", out);
	/* Garbage on the admin socket: an error answer, and the daemon stays. */
	IT_CHECK(it_admin(&T, "{\"cmd\":\"sessions\",\"limit\":-1}") == NULL, "bad limit");
	IT_CHECK(it_admin(&T, "not json") == NULL, "not json");
	j = it_admin(&T, "{\"cmd\":\"status\"}");
	IT_CHECK(j != NULL, "alive after garbage");
	json_decref(j);
	it_stop_ctl(&T);
}

/* 10. A VM crash (destroyed through its agent: virsh destroy on libvirt's test driver) while
 * sessions are installed on it and held for another VM; then drain vm with a deadline. */
#define CFG_VM_DOWN                                                                            \
	"hosts:\n"                                                                             \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                   \
	"pools:\n"                                                                             \
	"  - name: p1\n"                                                                       \
	"    session_cap: 2\n"                                                                 \
	"    vms:\n"                                                                           \
	"      - { name: vm1, host: h1, address: 198.18.4.10 }\n"                              \
	"      - { name: vm2, host: h1, address: 198.18.4.11 }\n"                              \
	"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"                              \
	"applications:\n"                                                                      \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat }\n"                     \
	"  - { name: webd, vip: " VIP ", port: 8080, pool: p1, mode: nat, on_vm_down: drain, " \
	"vm_down_drain_s: 5 }\n"

static bool
all_aborted(struct it *t, void *arg)
{
	const uint64_t *sid;

	for (sid = arg; *sid != 0; sid++)
		if (t->s[*sid].aborts == 0)
			return false;
	return true;
}

static void
wait_aborted(uint64_t *sids, unsigned int ms)
{
	if (!it_pump(&T, ms, all_aborted, sids))
		IT_FAIL("no SESSION_ABORT for session %llu within %u ms",
			(unsigned long long)sids[0], ms);
}

/* Wait until sg-control's "why" of @p vm is no longer @p was (its agent reported it). */
static void
wait_vm_why_not(const char *vm, const char *was, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (strcmp(vm_str(vm, "why"), was) == 0)
		if (it_now_ns() > end || !it_pump(&T, 20, NULL, NULL))
			IT_CHECK(it_now_ns() <= end, "vm %s still '%s' after %u ms", vm, was, ms);
}

static void
sc_vm_crash(const char *bin)
{
	static char out[1 << 16];
	uint64_t t0, s12[] = {1, 2, 0}, s3[] = {3, 0};
	char cmd[512], sgctl[300];
	unsigned long long vm3;
	unsigned int i;

	it_init(&T, bin, "crash");
	it_write_cfg(&T, CFG_VM_DOWN, NULL);
	for (i = 0; i < 3; i++) {
		snprintf(T.agent.vms[i].name, 64, "vm%u", i + 1);
		T.agent.vms[i].state = i == 0 ? SG_AGENT_VM_RUNNING : SG_AGENT_VM_SHUTOFF;
	}
	T.agent.n_vms = 3;
	T.agent.boot_ms = 1500;
	T.agent.real = real_agent;
	start_all();
	wait_vm_state("vm1", "running", 3000);
	snprintf(sgctl, sizeof(sgctl), "%s/sgctl -s %s", bin, T.sock);
	/* installed on vm1: one session of each application (reset / drain on VM down) */
	it_send_new(&T, 1, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 2, 1, VIP, 8080, SG_MSG_L7_NONE, NULL);
	wait_answers(1, 2, 2, 3000);
	IT_CHECK(T.s[1].installs == 1 && T.s[2].installs == 1, "installs on vm1");
	/* held: vm1 is full, so vm2 is started and they wait for it */
	it_send_new(&T, 3, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	it_send_new(&T, 4, 1, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_vm_state("vm2", "starting", 3000);
	wait_vm_why_not("vm2", "started by sg-control", 3000); /* its agent saw it boot */
	IT_CHECK(answered(&T, 3, 4) == 0, "held sessions answered before vm2 ran: %u %u %u %u",
		 T.s[3].installs, T.s[3].rejects, T.s[3].reason, T.s[4].installs);

	/* vm1 crashes: its installed sessions end as their application says */
	t0 = it_now_ns();
	it_vm_destroy(&T, "vm1");
	wait_aborted(s12, 3000);
	printf("vm1 destroyed: SESSION_ABORT %.1f ms later\n", (T.s[1].t_abort_ns - t0) / 1e6);
	IT_CHECK(T.s[1].t_abort_ns - t0 < 1000000000ull, "VM down not reported promptly");
	IT_CHECK(T.s[1].aborts == 1 && T.s[1].abort_action == SG_MSG_ABORT_RESET &&
			 T.s[1].abort_reason == SG_MSG_REASON_VM_DOWN,
		 "session 1: abort %u action %u reason %u", T.s[1].aborts, T.s[1].abort_action,
		 T.s[1].abort_reason);
	IT_CHECK(T.s[2].aborts == 1 && T.s[2].abort_action == SG_MSG_ABORT_DRAIN &&
			 T.s[2].abort_deadline_s == 5 &&
			 T.s[2].abort_reason == SG_MSG_REASON_VM_DOWN,
		 "session 2 (webd, on_vm_down: drain): action %u deadline %u", T.s[2].abort_action,
		 T.s[2].abort_deadline_s);
	it_pump(&T, 200, NULL, NULL); /* the data plane's SESSION_CLOSED of session 1 */
	/* sgctl shows why: the VM's state and reason, the sessions' end reason */
	snprintf(cmd, sizeof(cmd), "%s vms", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "stopped"), "vms: %s", out);
	IT_CHECK(!real_agent || strcmp(vm_str("vm1", "why"), "destroyed") == 0, "vm1 why '%s'",
		 vm_str("vm1", "why"));
	IT_CHECK(ctl_vm_counter("vm1", "downs") == 1 && ctl_vm_counter("vm1", "down_aborted") == 2,
		 "vm1 downs %lld aborted %lld", ctl_vm_counter("vm1", "downs"),
		 ctl_vm_counter("vm1", "down_aborted"));
	snprintf(cmd, sizeof(cmd), "%s sessions --state closed", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "vm_down") &&
			 strstr(out, "0x1 "),
		 "closed sessions: %s", out);
	snprintf(cmd, sizeof(cmd), "%s --json sessions --state installed", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "\"reason\": \"vm_down\""),
		 "draining session 2: %s", out);
	/* a stopped VM of the pool replaces vm1 */
	IT_CHECK(strcmp(vm_state("vm3"), "starting") == 0, "replacement vm3 %s", vm_state("vm3"));
	IT_CHECK(agent_starts(2) == 1, "vm3 starts %u", agent_starts(2));

	/* vm2 destroyed while booting: its held sessions go to vm3 and are served there; a
	 * stopped VM (vm1, the only one left) is started to replace vm2's capacity */
	it_vm_destroy(&T, "vm2");
	wait_answers(3, 4, 2, 6000);
	vm3 = strtoull(vm_str("vm3", "id"), NULL, 0);
	IT_CHECK(T.s[3].installs == 1 && T.s[4].installs == 1 && T.s[3].vm_id == vm3 &&
			 T.s[4].vm_id == vm3,
		 "held sessions: installs %u %u on %#llx %#llx (vm3 %#llx)", T.s[3].installs,
		 T.s[4].installs, (unsigned long long)T.s[3].vm_id,
		 (unsigned long long)T.s[4].vm_id, vm3);
	snprintf(cmd, sizeof(cmd), "%s --json status", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "\"vm_downs\": 2") &&
			 strstr(out, "\"vm_down_rebrokered\": 2") &&
			 strstr(out, "\"vm_replacements\": 2"),
		 "status: %s", out);

	/* drain vm3 with a deadline: no new session there; then what is left is reset */
	it_send_closed(&T, 4);
	it_pump(&T, 100, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "%s drain vm vm3 --deadline 1", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0, "drain vm: %s", out);
	snprintf(cmd, sizeof(cmd), "%s drain vm nosuch 2>&1", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 1 && strstr(out, "nosuch"), "drain: %s", out);
	IT_CHECK(strcmp(vm_str("vm3", "draining"), "") == 0 &&
			 ctl_vm_counter("vm3", "sessions") == 1,
		 "vm3");
	t0 = it_now_ns();
	it_send_new(&T, 5, 0, VIP, 80, SG_MSG_L7_NONE, NULL); /* vm3 has room, but drains */
	wait_aborted(s3, 3000);
	IT_CHECK(T.s[3].abort_action == SG_MSG_ABORT_RESET &&
			 T.s[3].abort_reason == SG_MSG_REASON_DRAINED &&
			 T.s[3].t_abort_ns - t0 >= 800000000ull,
		 "session 3: action %u reason %u after %llu ms", T.s[3].abort_action,
		 T.s[3].abort_reason, (unsigned long long)(T.s[3].t_abort_ns - t0) / 1000000);
	IT_CHECK(T.s[5].installs == 0 || T.s[5].vm_id != vm3, "a new session went to drained vm3");
	it_pump(&T, 200, NULL, NULL);
	IT_CHECK(ctl_vm_counter("vm3", "drain_reset") == 1 &&
			 ctl_vm_counter("vm3", "sessions") == 0,
		 "vm3 drain_reset %lld", ctl_vm_counter("vm3", "drain_reset"));
	snprintf(cmd, sizeof(cmd), "%s --json vms", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && strstr(out, "\"draining\": true"), "vms");
	snprintf(cmd, sizeof(cmd), "%s undrain vm vm3", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0, "undrain vm: %s", out);
	snprintf(cmd, sizeof(cmd), "%s --json vms", sgctl);
	IT_CHECK(run_cmd(cmd, out, sizeof(out)) == 0 && !strstr(out, "\"draining\": true"),
		 "vms after undrain: %s", out);
	it_stop_ctl(&T);
}

int
main(int argc, char **argv)
{
	static const struct it_scenario sc[] = {{"install-running", sc_install_running},
						{"start-stopped", sc_start_stopped},
						{"queue-overflow", sc_queue_overflow},
						{"vm-fail", sc_vm_fail},
						{"idle-stop", sc_idle_stop},
						{"restart", sc_restart},
						{"admin", sc_admin},
						{"dp-restart", sc_dp_restart},
						{"agent-auth", sc_agent_auth},
						{"vm-crash", sc_vm_crash}};

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && strcmp(argv[3], "real") != 0 && strcmp(argv[3], "sim") != 0)) {
		fprintf(stderr, "usage: test_control BUILD_DIR/control SCENARIO [sim|real]\n");
		return 2;
	}
	real_agent = argc == 4 && strcmp(argv[3], "real") == 0;
	return it_run_scenario(sc, sizeof(sc) / sizeof(sc[0]), argv[1], argv[2],
			       real_agent ? "sg-hostagent, libvirt test driver agent"
					  : "in-process agent");
}
