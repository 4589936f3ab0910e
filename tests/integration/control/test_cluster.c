/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control in cluster mode: one real etcd (started here, bounded), two
 * real sg-controls (nodes a and b) sharing one host's VMs, each with this
 * process playing its data plane on its own rings and an in-process host
 * agent speaking the real agent protocol to it.
 *
 *   test_cluster BUILD_DIR/control sim|real
 *
 * sim: each sg-control has its own in-process agent (the real protocol);
 * real: one real sg-hostagent on libvirt's test driver linked to both
 * sg-controls (its control: list), as on a real host.
 *
 * It checks that VM owners split between a and b; sessions sent to either
 * land in etcd once (a second claim of a session ID is refused); a session
 * for a VM the other node owns and that is stopped is held while the owner
 * starts it (want); closing deletes the key; kill -9 of a: one lease TTL
 * later b owns every VM and brokers new sessions onto a's former VMs; a
 * SESSION_CLOSED on b for a's session deletes a's key; `sgctl cluster`
 * lists the peers; after a restarts, etcd and both LMDBs agree.
 */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "etcd_proc.h"
#include "itest.h"
#include "sessiongate/sg_cluster_keys.h"
#include "sg_etcd.h"

#define VIP	 "198.18.10.1"
#define TTL_S	 2
#define N_PHASE1 40
#define N_RATE	 1000

static struct it A, B;
static struct it *to_clean[2];
static struct etcd_proc E;
static struct sg_etcd *ec;
static char prefix[64];
static bool real_agent;

#define CFG                                                                                   \
	"hosts:\n"                                                                            \
	"  - { name: h1, address: 198.18.3.11, agent_address: 127.0.0.1 }\n"                  \
	"pools:\n"                                                                            \
	"  - name: p1\n"                                                                      \
	"    session_cap: 1000\n"                                                             \
	"    vms:\n"                                                                          \
	"      - { name: vm1, host: h1, address: 198.18.4.10 }\n"                             \
	"      - { name: vm2, host: h1, address: 198.18.4.11 }\n"                             \
	"      - { name: vm3, host: h1, address: 198.18.4.12 }\n"                             \
	"      - { name: vm4, host: h1, address: 198.18.4.13 }\n"                             \
	"  - name: p2\n"                                                                      \
	"    session_cap: 1000\n"                                                             \
	"    vms:\n"                                                                          \
	"      - { name: vm5, host: h1, address: 198.18.4.14 }\n"                             \
	"applications:\n"                                                                     \
	"  - { name: web, vip: " VIP ", port: 80, pool: p1, mode: nat, exec_limit: 5000, "    \
	"wait_limit: 5000 }\n"                                                                \
	"  - { name: desk, vip: " VIP ", port: 3389, pool: p2, mode: dsr, exec_limit: 5000, " \
	"wait_limit: 5000 }\n"                                                                \
	"cluster:\n"                                                                          \
	"  node: %s\n"                                                                        \
	"  etcd: { endpoints: [\"%s\"], prefix: \"%s\", lease_ttl_s: %u, timeout_ms: 1000 }\n"

/* Node a's appliance: a data plane's telemetry socket (played here) and sg-routed's status. */
static int tel_fd = -1;
static pthread_t tel_thr;
static volatile bool tel_stop;

/* DPDK telemetry v2 as the data plane answers /sg/cluster: greeting, command, answer. */
static void *
tel_main(void *arg)
{
	static const char greeting[] = "{\"version\":\"DPDK 22.11\",\"pid\":1,"
				       "\"max_output_len\":16384}";
	static const char answer[] = "{\"/sg/cluster\":{\"ready\":1,\"sent\":123,\"received\":45,"
				     "\"peers\":[{\"name\":\"sg-b\",\"lag_ms\":3}]}}";
	struct pollfd p = {.fd = tel_fd, .events = POLLIN};
	char cmd[256];
	int c;

	(void)arg;
	while (!tel_stop) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(tel_fd, NULL, NULL);
		if (c < 0)
			continue;
		if (send(c, greeting, sizeof(greeting) - 1, 0) > 0 &&
		    recv(c, cmd, sizeof(cmd) - 1, 0) > 0 && strncmp(cmd, "/sg/cluster", 11) == 0)
			send(c, answer, sizeof(answer) - 1, 0);
		close(c);
	}
	return NULL;
}

static void
appliance_init(struct it *t)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[256];
	FILE *f;

	snprintf(t->appliance, sizeof(t->appliance), "%s/appliance.yaml", t->dir);
	f = fopen(t->appliance, "w");
	IT_CHECK(f != NULL, "appliance.yaml");
	fprintf(f,
		"appliance:\n  file_prefix: sgtest\n  telemetry_dir: %s\n"
		"  ports:\n    - { name: p0, device: net_null0, address: 198.18.2.2/24 }\n"
		"  cluster:\n    node_id: 1\n    bgp: { status_file: %s/routed.json }\n",
		t->dir, t->dir);
	fclose(f);
	snprintf(path, sizeof(path), "%s/routed.json", t->dir);
	f = fopen(path, "w");
	IT_CHECK(f != NULL, "routed.json");
	fprintf(f, "{\"bgp\":\"established\",\"announced\":[\"198.18.10.1/32\"]}\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", t->dir);
	IT_CHECK(strlen(path) < sizeof(sun.sun_path), "%s: too long for a socket", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	tel_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	IT_CHECK(tel_fd >= 0 && bind(tel_fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
			 listen(tel_fd, 4) == 0,
		 "telemetry socket");
	IT_CHECK(pthread_create(&tel_thr, NULL, tel_main, NULL) == 0, "telemetry thread");
}

/* atexit (runs before the harness's own): both nodes, then etcd. */
static void
cleanup_all(void)
{
	unsigned int i;

	if (tel_fd >= 0) {
		tel_stop = true;
		pthread_join(tel_thr, NULL);
		close(tel_fd);
		tel_fd = -1;
	}
	for (i = 0; i < 2; i++) {
		if (to_clean[i] == NULL)
			continue;
		it_g = to_clean[i];
		to_clean[i] = NULL;
		it_cleanup();
	}
	if (ec != NULL)
		sg_etcd_free(ec);
	ec = NULL;
	etcd_proc_kill(&E);
}

static void
node_init(struct it *t, const char *bin, const char *node)
{
	char body[4096];
	unsigned int i;

	it_init(t, bin, node[0] == 'a' ? "cla" : "clb");
	if (node[0] == 'a')
		appliance_init(t);
	snprintf(body, sizeof(body), CFG, node, E.url, prefix, TTL_S);
	it_write_cfg(t, body, "{queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000}");
	/* One host: both agents report the web VMs running, vm5 (desk) shut off. */
	for (i = 0; i < 5; i++) {
		snprintf(t->agent.vms[i].name, 64, "vm%u", i + 1);
		t->agent.vms[i].state = i < 4 ? SG_AGENT_VM_RUNNING : SG_AGENT_VM_SHUTOFF;
	}
	t->agent.n_vms = 5;
	t->agent.boot_ms = 200;
}

/* VM @p vm's counter @p what as node @p t sees it (vms). */
static long long
vm_counter(struct it *t, const char *vm, const char *what)
{
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}");
	long long v = -1;

	for (size_t i = 0; i < json_array_size(vms); i++)
		if (strcmp(it_jstr(json_array_get(vms, i), "name"), vm) == 0)
			v = it_jint(json_array_get(vms, i), what);
	json_decref(vms);
	return v;
}

static uint64_t
vm_id(struct it *t, const char *vm)
{
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}");
	uint64_t id = 0;

	for (size_t i = 0; i < json_array_size(vms); i++)
		if (strcmp(it_jstr(json_array_get(vms, i), "name"), vm) == 0)
			id = strtoull(it_jstr(json_array_get(vms, i), "id"), NULL, 0);
	json_decref(vms);
	return id;
}

/* Pump both data planes for @p ms (each keeps its heartbeat going). */
static void
pump_both(unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	do {
		if (A.ctl > 0)
			it_pump(&A, 20, NULL, NULL);
		else
			A.dp.hdr->dp_heartbeat++;
		it_pump(&B, 20, NULL, NULL);
	} while (it_now_ns() < end);
}

static json_t *
cluster(struct it *t)
{
	json_t *c = it_admin(t, "{\"cmd\":\"cluster\"}");

	IT_CHECK(c != NULL, "admin cluster refused");
	return c;
}

static long long
owned(struct it *t)
{
	json_t *c = cluster(t);
	long long n = it_jint(c, "vms_owned");

	json_decref(c);
	return n;
}

static long long
ccount(struct it *t, const char *name)
{
	json_t *c = cluster(t);
	long long n = json_integer_value(json_object_get(json_object_get(c, "counters"), name));

	json_decref(c);
	return n;
}

/* sessions/ in etcd: sid -> node ('a' / 'b'), '\0' absent. */
static char in_etcd[IT_SESSIONS_MAX];
static unsigned int n_etcd, n_etcd_bad;

static void
on_session_kv(const struct sg_etcd_kv *kv, void *arg)
{
	json_t *o = json_loadb(kv->val, kv->val_len, 0, NULL);
	const char *node = json_string_value(json_object_get(o, "node"));
	size_t skip = strlen(prefix) + 1 + strlen(SG_CK_SESSIONS);
	unsigned long long sid = ~0ull;
	char key[160], *end = NULL;

	(void)arg;
	snprintf(key, sizeof(key), "%.*s", (int)kv->key_len, kv->key);
	if (strlen(key) == skip + SG_CK_ID_LEN)
		sid = strtoull(key + skip, &end, 16);
	if (node == NULL || end == NULL || *end != '\0' || sid >= IT_SESSIONS_MAX ||
	    in_etcd[sid] != '\0')
		n_etcd_bad++;
	else {
		in_etcd[sid] = node[0];
		n_etcd++;
	}
	json_decref(o);
}

static unsigned int
read_etcd(void)
{
	char key[128];

	memset(in_etcd, 0, sizeof(in_etcd));
	n_etcd = n_etcd_bad = 0;
	snprintf(key, sizeof(key), "%s/" SG_CK_SESSIONS, prefix);
	IT_CHECK(sg_etcd_range(ec, key, on_session_kv, NULL, NULL) >= 0, "range: %s",
		 sg_etcd_error(ec));
	IT_CHECK(n_etcd_bad == 0, "%u malformed or duplicate session keys", n_etcd_bad);
	return n_etcd;
}

static unsigned int
installed(struct it *t, uint64_t first, uint64_t last)
{
	unsigned int n = 0;

	for (uint64_t i = first; i <= last; i++)
		n += t->s[i].installs > 0 && t->s[i].rejects == 0;
	return n;
}

static void
wait_installed(struct it *t, uint64_t first, uint64_t last, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;

	while (installed(t, first, last) < last - first + 1 && it_now_ns() < end)
		pump_both(50);
	IT_CHECK(installed(t, first, last) == last - first + 1,
		 "node %s: %u of %llu sessions installed", t == &A ? "a" : "b",
		 installed(t, first, last), (unsigned long long)(last - first + 1));
}

/* Every session of @p t's LMDB (admin sessions) is in etcd under @p node, and back. */
static void
check_consistent(struct it *t, char node)
{
	json_t *ss = it_admin(t, "{\"cmd\":\"sessions\",\"limit\":100000}");
	unsigned int i, in_db = 0, in_keys = 0;

	IT_CHECK(json_is_array(ss), "admin sessions");
	for (i = 0; i < json_array_size(ss); i++) {
		unsigned long long sid =
			strtoull(it_jstr(json_array_get(ss, i), "session_id"), NULL, 0);

		IT_CHECK(sid < IT_SESSIONS_MAX && in_etcd[sid] == node,
			 "node %c: session %llu in its DB, in etcd as '%c'", node, sid,
			 sid < IT_SESSIONS_MAX ? in_etcd[sid] : '?');
		in_db++;
	}
	for (i = 0; i < IT_SESSIONS_MAX; i++)
		in_keys += in_etcd[i] == node;
	IT_CHECK(in_db == in_keys, "node %c: %u sessions in its DB, %u in etcd", node, in_db,
		 in_keys);
	json_decref(ss);
	printf("node %c: %u sessions, the same in etcd\n", node, in_db);
}

/* `sgctl cluster` (the real command line) on @p t lists @p want peers. */
static void
check_sgctl(struct it *t, unsigned int want)
{
	char cmd[512], out[16384];
	json_t *o;
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s/sgctl -s %s cluster --json", t->bin, t->sock);
	f = popen(cmd, "r");
	IT_CHECK(f != NULL, "popen");
	n = fread(out, 1, sizeof(out) - 1, f);
	IT_CHECK(pclose(f) == 0, "sgctl cluster failed");
	out[n] = '\0';
	o = json_loads(out, 0, NULL);
	IT_CHECK(json_array_size(json_object_get(o, "peers")) == want, "sgctl cluster: %s", out);
	if (t == &A) /* its appliance: the data plane's /sg/cluster and sg-routed's status */
		IT_CHECK(json_is_true(
				 json_object_get(json_object_get(o, "dataplane"), "available")) &&
				 it_jint(o, "dataplane.sent") == 123 &&
				 strcmp(it_jstr(o, "bgp.bgp"), "established") == 0,
			 "sgctl cluster: sources: %s", out);
	else
		IT_CHECK(json_is_false(
				 json_object_get(json_object_get(o, "dataplane"), "available")) &&
				 json_is_false(
					 json_object_get(json_object_get(o, "bgp"), "available")),
			 "no appliance config: both reported unavailable: %s", out);
	json_decref(o);
	snprintf(cmd, sizeof(cmd), "%s/sgctl -s %s cluster > /dev/null", t->bin, t->sock);
	IT_CHECK(system(cmd) == 0, "sgctl cluster (table) failed");
}

/* Identities: both nodes gave every VM the same ID (registered through etcd), and an
 * identity sgid writes to etcd reaches both identity stores (the follower). */
static void
check_identities(void)
{
	char cmd[1024], vm[8];
	json_t *r;
	uint64_t end;
	unsigned int i;

	for (i = 1; i <= 5; i++) {
		snprintf(vm, sizeof(vm), "vm%u", i);
		IT_CHECK(vm_id(&A, vm) != 0 && vm_id(&A, vm) == vm_id(&B, vm),
			 "%s: a %#llx, b %#llx", vm, (unsigned long long)vm_id(&A, vm),
			 (unsigned long long)vm_id(&B, vm));
	}
	snprintf(cmd, sizeof(cmd),
		 "%s/../idmgr/sgid -d %s/sgid --etcd %s --etcd-prefix %s register user/user/alice "
		 ">/dev/null",
		 A.bin, A.dir, E.url, prefix);
	IT_CHECK(system(cmd) == 0, "sgid register through etcd failed");
	end = it_now_ns() + 5000000000ull;
	for (i = 0; i < 2; i++) {
		struct it *t = i == 0 ? &A : &B;

		while ((r = it_admin(t, "{\"cmd\":\"identities\",\"name\":\"user/user/alice\"}")) ==
			       NULL &&
		       it_now_ns() < end)
			pump_both(50);
		IT_CHECK(r != NULL, "node %s: alice not followed from etcd", i == 0 ? "a" : "b");
		json_decref(r);
	}
	printf("identities: VM IDs equal on both nodes; sgid's user reached both stores\n");
}

static bool
on_vm(struct it *t, uint64_t sid, const char *vm)
{
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}");
	bool yes = false;

	for (size_t i = 0; i < json_array_size(vms); i++)
		if (strcmp(it_jstr(json_array_get(vms, i), "name"), vm) == 0)
			yes = strtoull(it_jstr(json_array_get(vms, i), "id"), NULL, 0) ==
			      t->s[sid].vm_id;
	json_decref(vms);
	return yes;
}

int
main(int argc, char **argv)
{
	struct sg_etcd_opts o = {.n_endpoints = 1, .timeout_ms = 2000};
	char err[256], a_vms[5] = {0};
	uint64_t t0, end;
	unsigned int i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: test_cluster BUILD_DIR/control sim|real\n");
		return 2;
	}
	real_agent = strcmp(argv[2], "real") == 0;
	if (etcd_proc_start(&E) < 0) {
		fprintf(stderr, "FAIL: cannot start etcd (etcd-server installed?)\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "/sgtest-%d", (int)getpid());
	o.endpoints[0] = E.url;
	ec = sg_etcd_new(&o, err, sizeof(err));
	node_init(&A, argv[1], "a");
	node_init(&B, argv[1], "b");
	to_clean[0] = &A;
	to_clean[1] = &B;
	atexit(cleanup_all);
	IT_CHECK(ec != NULL, "etcd client: %s", err);
	{
		/* A cluster: section without endpoints is refused with its key named. */
		char cmd[700];
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s/bad.yaml", A.dir);
		f = fopen(cmd, "w");
		IT_CHECK(f != NULL, "bad.yaml");
		fprintf(f, "control: {shm_name: /x}\ncluster: {node: a, etcd: {prefix: /p}}\n");
		fclose(f);
		snprintf(cmd, sizeof(cmd),
			 "%s/sg-control -c %s/bad.yaml --check 2>&1 | grep -q "
			 "'cluster.etcd.endpoints: missing'",
			 A.bin, A.dir);
		IT_CHECK(system(cmd) == 0, "a cluster section without endpoints was accepted");
	}

	/* 1. Both up: the VMs split (vm2, vm4, vm5 to a; vm1, vm3 to b: rendezvous hash). */
	it_start_ctl(&A);
	it_start_ctl(&B);
	A.agent.real = real_agent;
	A.agent.also_port = real_agent ? B.agent_port : 0;
	it_agent_start(&A);
	if (!real_agent)
		it_agent_start(&B);
	it_wait_agent(&A, 10000);
	it_wait_agent(&B, 10000);
	end = it_now_ns() + 15000000000ull;
	while (!(owned(&A) == 3 && owned(&B) == 2) && it_now_ns() < end)
		pump_both(100);
	IT_CHECK(owned(&A) == 3 && owned(&B) == 2, "owners did not split: a %lld, b %lld",
		 owned(&A), owned(&B));
	check_sgctl(&A, 2);
	check_identities();
	if (real_agent) { /* the agent's own status lists both links up */
		char cmd[600];

		snprintf(cmd, sizeof(cmd),
			 "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
			 "s.connect('%s/agent.sock'); s.sendall(b'status\\n'); "
			 "print(s.recv(65536).decode())\" | grep -q '^control\\[1\\] up'",
			 A.dir);
		IT_CHECK(system(cmd) == 0, "sg-hostagent status: no second link up");
	}

	/* 2. Sessions on both: each lands in etcd once, named after its node. */
	for (i = 1; i <= N_PHASE1; i++) {
		it_send_new(&A, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
		it_send_new(&B, 100 + i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	}
	wait_installed(&A, 1, N_PHASE1, 10000);
	wait_installed(&B, 101, 100 + N_PHASE1, 10000);
	IT_CHECK(read_etcd() == 2 * N_PHASE1, "%u session keys, want %u", n_etcd, 2 * N_PHASE1);
	for (i = 1; i <= N_PHASE1; i++)
		IT_CHECK(in_etcd[i] == 'a' && in_etcd[100 + i] == 'b', "session %u / %u", i,
			 100 + i);
	/* The same session ID on the other node: refused, never brokered twice. */
	it_send_new(&A, 101, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	end = it_now_ns() + 5000000000ull;
	while (A.s[101].rejects == 0 && it_now_ns() < end)
		pump_both(20);
	IT_CHECK(A.s[101].rejects == 1 && A.s[101].installs == 0, "a brokered b's session");
	IT_CHECK(ccount(&A, "sessions_refused_dup") == 1, "sessions_refused_dup");
	IT_CHECK(read_etcd() == 2 * N_PHASE1 && in_etcd[101] == 'b', "b's key changed");

	/* 3. A desk session on b for vm5 (a owns it, stopped): b asks a to start it. */
	it_send_new(&B, 200, 0, VIP, 3389, SG_MSG_L7_NONE, NULL);
	wait_installed(&B, 200, 200, 10000);
	IT_CHECK(on_vm(&B, 200, "vm5"), "desk session not on vm5");
	IT_CHECK(ccount(&B, "wants_sent") >= 1 && ccount(&A, "wants_served") >= 1,
		 "want: sent %lld, served %lld", ccount(&B, "wants_sent"),
		 ccount(&A, "wants_served"));
	IT_CHECK(vm_counter(&A, "vm5", "starts") == 1 && vm_counter(&B, "vm5", "starts") == 0,
		 "vm5 must be started by its owner only");
	IT_CHECK(real_agent || (it_agent_vm(&A, "vm5")->starts == 1 &&
				it_agent_vm(&B, "vm5")->starts == 0),
		 "vm5 must be started through its owner's agent link only");
	{ /* sgctl vm start|stop|save of a VM another node owns: refused */
		static char out[4096];
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "%s/sgctl -s %s vm stop vm5 2>&1", B.bin, B.sock);
		IT_CHECK(it_run(cmd, out, sizeof(out)) == 1 &&
				 strstr(out, "another node's VM (cluster mode)") != NULL,
			 "vm stop of a's VM on b: %s", out);
		snprintf(cmd, sizeof(cmd), "%s/sgctl -s %s vm start vm5 2>&1", B.bin, B.sock);
		IT_CHECK(it_run(cmd, out, sizeof(out)) == 1 && strstr(out, "ask its owner") != NULL,
			 "vm start of a's VM on b: %s", out);
	}
	it_send_closed(&B, 200);
	/* Closing deletes: a closes 1..10. */
	for (i = 1; i <= 10; i++)
		it_send_closed(&A, i);
	end = it_now_ns() + 5000000000ull;
	while (read_etcd() != 2 * N_PHASE1 - 10 && it_now_ns() < end)
		pump_both(50);
	IT_CHECK(n_etcd == 2 * N_PHASE1 - 10 && in_etcd[1] == '\0' && in_etcd[200] == '\0',
		 "%u keys after closing 11", n_etcd);

	/* Hostile keys and values under the watched prefixes: counted, ignored, both serve. */
	{
		static const char *const bad[][2] = {
			{"vms/vm1/use/x", "abc"},
			{"vms/vm3/state", "{not json"},
			{"vms/vm2/use/y", "99999999999"},
			{"vms/an-overlong-vm-name-that-no-configuration-may-hold-0123456789abcdef/owner",
			 "z"},
			{"nodes/a/b", "{}"},
		};
		long long bad_a = ccount(&A, "watch_bad"), bad_b = ccount(&B, "watch_bad");
		char key[256];

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(key, sizeof(key), "%s/%s%s", prefix, SG_CK_ROOT, bad[i][0]);
			IT_CHECK(sg_etcd_put(ec, key, bad[i][1], strlen(bad[i][1]), 0) == 0, "put");
		}
		for (i = 41; i <= 45; i++)
			it_send_new(&A, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
		wait_installed(&A, 41, 45, 5000);
		IT_CHECK(ccount(&A, "watch_bad") >= bad_a + 5 &&
				 ccount(&B, "watch_bad") >= bad_b + 4,
			 "watch_bad a %lld b %lld", ccount(&A, "watch_bad"),
			 ccount(&B, "watch_bad"));
		snprintf(key, sizeof(key), "%s/%s", prefix, "v1/vms/vm2/use/y");
		sg_etcd_delete(ec, key);
		snprintf(key, sizeof(key), "%s/%s", prefix, "v1/vms/vm1/use/x");
		sg_etcd_delete(ec, key);
		for (i = 41; i <= 45; i++)
			it_send_closed(&A, i);
	}

	/* 4. kill -9 a: after its lease TTL, b owns every VM and brokers onto a's. */
	{
		json_t *c = cluster(&A), *vms = json_object_get(c, "vms");

		for (i = 0; i < json_array_size(vms) && i < 5; i++)
			a_vms[i] = json_is_true(json_object_get(json_array_get(vms, i), "mine"));
		json_decref(c);
	}
	it_kill_ctl(&A);
	t0 = it_now_ns();
	end = t0 + (TTL_S + 8) * 1000000000ull;
	while (owned(&B) != 5 && it_now_ns() < end)
		pump_both(50);
	IT_CHECK(owned(&B) == 5, "b owns %lld VMs after a died", owned(&B));
	printf("takeover: b owns a's VMs %.2f s after kill -9 (lease TTL %u s)\n",
	       (double)(it_now_ns() - t0) / 1e9, TTL_S);
	IT_CHECK(ccount(&B, "vm_takeovers") == 3, "vm_takeovers %lld", ccount(&B, "vm_takeovers"));
	check_sgctl(&B, 1);
	for (i = 301; i <= 340; i++)
		it_send_new(&B, i, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_installed(&B, 301, 340, 10000);
	for (i = 301, n = 0; i <= 340; i++)
		n += on_vm(&B, i, "vm2") || on_vm(&B, i, "vm4");
	IT_CHECK(a_vms[1] && a_vms[3] && n > 0, "no new session on a's former VMs");
	printf("b brokered %u of 40 new sessions onto a's former VMs\n", n);

	/* 5. a's flow 20 ended on b's data plane (state sync handed it over): key deleted. */
	B.s[20].sent = true;
	it_send_closed(&B, 20);
	end = it_now_ns() + 5000000000ull;
	while (ccount(&B, "sessions_foreign_closed") != 1 && it_now_ns() < end)
		pump_both(50);
	IT_CHECK(ccount(&B, "sessions_foreign_closed") == 1, "foreign close not counted");
	/* ... and a's own data plane reports it closed too (read when a is back). */
	it_send_closed(&A, 20);

	/* 6. a comes back: it restores its LMDB; etcd and both DBs agree; no sid twice. */
	it_start_ctl(&A);
	end = it_now_ns() + 10000000000ull;
	while (ccount(&A, "lease_grants") < 1 && it_now_ns() < end)
		pump_both(50);
	pump_both(500);
	read_etcd();
	IT_CHECK(in_etcd[20] == '\0', "session 20's key is back");
	check_consistent(&A, 'a');
	check_consistent(&B, 'b');
	check_sgctl(&A, 2);

	/* 7. A clean stop revokes a's lease: b takes its VMs at once, not after the TTL. */
	it_stop_ctl(&A);
	t0 = it_now_ns();
	while (owned(&B) != 5 && it_now_ns() < t0 + 1500000000ull)
		pump_both(20);
	IT_CHECK(owned(&B) == 5, "b owns %lld VMs 1.5 s after a stopped", owned(&B));
	printf("clean stop: b owns a's VMs %.2f s later\n", (double)(it_now_ns() - t0) / 1e9);

	/* 8. etcd dies: after the TTL b has lost its lease, owns nothing, refuses new
	 * sessions; etcd back: b regains a lease and its VMs and brokers again. */
	etcd_proc_kill(&E);
	t0 = it_now_ns();
	while (ccount(&B, "lease_lost") < 1 && it_now_ns() < t0 + (TTL_S + 5) * 1000000000ull)
		pump_both(50);
	IT_CHECK(ccount(&B, "lease_lost") == 1 && owned(&B) == 0, "b: lease_lost %lld, owns %lld",
		 ccount(&B, "lease_lost"), owned(&B));
	printf("etcd down: b gave up its lease %.2f s later\n", (double)(it_now_ns() - t0) / 1e9);
	it_send_new(&B, 400, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	end = it_now_ns() + 5000000000ull;
	while (B.s[400].rejects == 0 && it_now_ns() < end)
		pump_both(20);
	IT_CHECK(B.s[400].rejects == 1 && B.s[400].reason == SG_MSG_REASON_QUEUE_FULL &&
			 ccount(&B, "sessions_refused_etcd") >= 1,
		 "b placed a session it could not record");
	IT_CHECK(etcd_proc_start(&E) == 0, "etcd restart");
	t0 = it_now_ns();
	while (owned(&B) != 5 && it_now_ns() < t0 + 10000000000ull)
		pump_both(50);
	IT_CHECK(owned(&B) == 5 && ccount(&B, "lease_grants") == 2,
		 "b owns %lld after etcd came back", owned(&B));
	printf("etcd back: b owns its VMs again %.2f s later\n", (double)(it_now_ns() - t0) / 1e9);
	it_send_new(&B, 401, 0, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_installed(&B, 401, 401, 5000);
	IT_CHECK(read_etcd() > 0 && in_etcd[401] == 'b', "session 401 not in etcd");

	/* 9. Setup rate with etcd on the session path (one create, one write per session),
	 * then every key deleted at close. */
	n = read_etcd();
	t0 = it_now_ns();
	for (i = 1000; i < 1000 + N_RATE; i++)
		it_send_new(&B, i, i % 2, VIP, 80, SG_MSG_L7_NONE, NULL);
	wait_installed(&B, 1000, 1000 + N_RATE - 1, 30000);
	printf("setup rate: %u sessions claimed in etcd and installed in %.2f s (%.0f/s)\n", N_RATE,
	       (double)(it_now_ns() - t0) / 1e9, N_RATE / ((double)(it_now_ns() - t0) / 1e9));
	for (i = 1000; i < 1000 + N_RATE; i++)
		it_send_closed(&B, i);
	end = it_now_ns() + 20000000000ull;
	while (read_etcd() != n && it_now_ns() < end)
		pump_both(100);
	IT_CHECK(n_etcd == n, "%u keys after closing, want %u", n_etcd, n);
	printf("PASS cluster: %u session keys\n", n_etcd);
	return 0;
}
