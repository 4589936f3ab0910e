/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's inventory at run time (doc/control.md "Changing the
 * inventory"): reload matched by name (kept, added, retiring, freed, slot
 * reuse), refused changes and atomicity, sgctl add/remove with
 * inventory.json (round trip, corrupt file), hostile specs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "admin.h"
#include "broker.h"
#include "bus.h"
#include "cfg.h"
#include "ids.h"
#include "inventory.h"

struct fx {
	char dir[64];
	char path[128];
	struct sg_ctl_cfg cfg;
	struct sg_ctl_inv inv;
	struct sg_ctl_stats st;
	struct sg_ctl_clock clk;
	struct sg_ctl_bus *bus;
	struct sg_ctl_ids *ids;
	struct sg_ctl_invm m;
	char forgotten[SG_CTL_NAME_MAX];
	unsigned int n_forgotten;
	char pushed[SG_CTL_NAME_MAX];
	unsigned int n_pushed;
};

static const char yaml_base[] = "hosts: [{name: h1, address: 198.18.3.11}, "
				"{name: h2, address: 198.18.3.12}]\n"
				"pools:\n"
				"  - name: p1\n"
				"    vms: [{name: v1, host: h1, address: 198.18.4.10},\n"
				"          {name: v2, host: h1, address: 198.18.4.11}]\n"
				"applications:\n"
				"  - {name: a1, vip: 198.18.10.1, port: 80, pool: p1}\n"
				"  - {name: a2, vip: 198.18.10.2, port: 80, pool: p1}\n";

static void
write_yaml(struct fx *f, const char *body)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fprintf(fp, "control: {db_dir: %s, shm_name: /sg-inv-test}\n%s", f->dir, body);
	assert_int_equal(fclose(fp), 0);
}

static void
push(void *ctx, const struct sg_ctl_vm *vm)
{
	struct fx *f = ctx;

	snprintf(f->pushed, sizeof(f->pushed), "%s", vm->cfg->name);
	f->n_pushed++;
}

static void
forget(void *ctx, const struct sg_ctl_host *h, const char *name)
{
	struct fx *f = ctx;

	(void)h;
	snprintf(f->forgotten, sizeof(f->forgotten), "%s", name);
	f->n_forgotten++;
}

/* Load @p body (+ inventory.json) and build the inventory as sg-control does at start. */
static void
start(struct fx *f, const char *body)
{
	char err[512];
	json_t *specs = NULL;

	write_yaml(f, body);
	assert_int_equal(sg_ctl_cfg_load(f->path, &f->cfg, err, sizeof(err)), 0);
	if (sg_ctl_inventory_load(&f->cfg, &specs, err, sizeof(err)) != 0)
		fail_msg("inventory.json: %s", err);
	memset(&f->inv, 0, sizeof(f->inv));
	f->inv.cfg = &f->cfg;
	f->bus = sg_ctl_bus_create(&f->cfg, &f->clk);
	f->ids = sg_ctl_ids_create(&f->cfg, &f->inv, f->bus, &f->st);
	assert_non_null(f->bus);
	assert_non_null(f->ids);
	f->m = (struct sg_ctl_invm){.cfg = &f->cfg, .inv = &f->inv, .bus = f->bus, .ids = f->ids};
	assert_int_equal(sg_ctl_inventory_build_all(&f->m), 0);
	f->m.forget_vm = forget;
	f->m.push_vm = push;
	f->m.agent_ctx = f;
	sg_ctl_inventory_attach(&f->m, f->path, specs);
}

static void
stop(struct fx *f)
{
	sg_ctl_inventory_store_fini(&f->m);
	sg_ctl_inventory_fini(&f->m);
	sg_ctl_ids_destroy(f->ids);
	sg_ctl_bus_destroy(f->bus);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/sgctl-inv-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/c.yaml", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
slot(struct fx *f, unsigned int kind, const char *name)
{
	return sg_ctl_cfg_find(&f->cfg, kind, name);
}

static struct sg_ctl_app *
match(struct fx *f, uint8_t last)
{
	struct sg_ctl_broker br = {.cfg = &f->cfg, .inv = &f->inv};
	struct sg_msg_flow fl = {
		.family = 4, .proto = 6, .dport = 80, .daddr = {198, 18, 10, last}};

	return sg_ctl_broker_match(&br, &fl, 0, NULL, 0);
}

static int
reload(struct fx *f, const char *body, char *err, size_t len)
{
	write_yaml(f, body);
	err[0] = '\0';
	return sg_ctl_inventory_reload(&f->m, err, len);
}

/* v2 and a2 gone, v3 and a3 new (the applications list goes on) */
#define YAML_V3_V1                                                                      \
	"hosts: [{name: h1, address: 198.18.3.11}, {name: h2, address: 198.18.3.12}]\n" \
	"pools:\n"                                                                      \
	"  - name: p1\n"                                                                \
	"    vms: [{name: v3, host: h2, address: 198.18.4.12},\n"                       \
	"          {name: v1, host: h1, address: 198.18.4.10}]\n"                       \
	"applications:\n"                                                               \
	"  - {name: a3, vip: 198.18.10.3, port: 80, pool: p1}\n"

/* Same name keeps its slot, a new name takes a slot, a gone one retires and is freed. */
static void
test_reload_by_name(void **state)
{
	struct fx *f = *state;
	char err[512];
	int a1, v1;

	start(f, yaml_base);
	a1 = slot(f, SG_CTL_KIND_APP, "a1");
	v1 = slot(f, SG_CTL_KIND_VM, "v1");
	assert_int_equal(a1, 0);
	/* a2 and v2 gone, a3 and v3 added, a1's exec_limit changed in place */
	assert_int_equal(
		reload(f,
		       YAML_V3_V1
		       "  - {name: a1, vip: 198.18.10.1, port: 80, pool: p1, exec_limit: 7}\n",
		       err, sizeof(err)),
		0);
	assert_int_equal(slot(f, SG_CTL_KIND_APP, "a1"), a1);
	assert_int_equal(slot(f, SG_CTL_KIND_VM, "v1"), v1);
	assert_int_equal(f->cfg.apps[a1].exec_limit, 7);
	assert_ptr_equal(f->inv.apps[a1].cfg, &f->cfg.apps[a1]);
	/* nothing used a2 / v2: freed at once; a3 / v3 took new slots */
	assert_int_equal(slot(f, SG_CTL_KIND_APP, "a2"), -1);
	assert_int_equal(slot(f, SG_CTL_KIND_VM, "v2"), -1);
	assert_true(SG_CTL_SLOT_FREE(&f->cfg.apps[1]));
	assert_int_equal(slot(f, SG_CTL_KIND_APP, "a3"), 2);
	assert_int_equal(slot(f, SG_CTL_KIND_VM, "v3"), 2);
	assert_ptr_equal(f->inv.vms[2].host, &f->inv.hosts[1]);
	assert_ptr_equal(match(f, 3), &f->inv.apps[2]);
	assert_null(match(f, 2));
	assert_int_equal(f->inv.pools[0].n_vms, 2);
	assert_true(f->m.freed >= 2);
	/* the next new name reuses the lowest free slot */
	assert_int_equal(reload(f,
				YAML_V3_V1 "  - {name: a4, vip: 198.18.10.4, port: 80, pool: p1}\n"
					   "  - {name: a1, vip: 198.18.10.1, port: 80, pool: p1}\n",
				err, sizeof(err)),
			 0);
	assert_int_equal(slot(f, SG_CTL_KIND_APP, "a4"), 1);
	assert_ptr_equal(match(f, 4), &f->inv.apps[1]);
	assert_int_equal(f->cfg.n_apps, 3);
	stop(f);
}

/* A removed app and VM retire until their last session ended. */
static void
test_retiring(void **state)
{
	struct fx *f = *state;
	char err[512];
	int a2, v2;

	start(f, yaml_base);
	a2 = slot(f, SG_CTL_KIND_APP, "a2");
	v2 = slot(f, SG_CTL_KIND_VM, "v2");
	f->inv.apps[a2].n_exec = 1;
	f->inv.vms[v2].n_sessions = 1;
	f->inv.vms[v2].state = SG_CTL_VM_STOPPED;
	snprintf(f->cfg.vms[v2].template_name, SG_CTL_NAME_MAX, "guest"); /* pushed */
	assert_int_equal(reload(f,
				"hosts: [{name: h1, address: 198.18.3.11}]\n"
				"pools:\n"
				"  - name: p1\n"
				"    vms: [{name: v1, host: h1, address: 198.18.4.10}]\n"
				"applications:\n"
				"  - {name: a1, vip: 198.18.10.1, port: 80, pool: p1}\n",
				err, sizeof(err)),
			 0);
	/* still there, retiring: no new session (NO_APP), the VM out of its pool */
	assert_int_equal(slot(f, SG_CTL_KIND_APP, "a2"), a2);
	assert_true(f->inv.apps[a2].retiring);
	assert_true(f->inv.vms[v2].retiring);
	assert_null(match(f, 2));
	assert_ptr_equal(match(f, 1), &f->inv.apps[0]);
	assert_int_equal(f->inv.pools[0].n_vms, 1);
	assert_ptr_equal(f->inv.pools[0].vms[0], &f->inv.vms[0]);
	/* h2 had no VM: freed at once */
	assert_int_equal(slot(f, SG_CTL_KIND_HOST, "h2"), -1);
	assert_int_equal(sg_ctl_inventory_sweep(&f->m), 0);
	assert_int_equal(f->n_forgotten, 0);
	/* the last sessions end: freed, the VM forgotten by its agent */
	f->inv.apps[a2].n_exec = 0;
	f->inv.vms[v2].n_sessions = 0;
	assert_int_equal(sg_ctl_inventory_sweep(&f->m), 2);
	assert_true(SG_CTL_SLOT_FREE(&f->cfg.apps[a2]));
	assert_true(SG_CTL_SLOT_FREE(&f->cfg.vms[v2]));
	assert_int_equal(f->n_forgotten, 1);
	assert_string_equal(f->forgotten, "v2");
	/* the same name added again: a fresh object in a free slot */
	assert_int_equal(reload(f, yaml_base, err, sizeof(err)), 0);
	assert_false(f->inv.apps[slot(f, SG_CTL_KIND_APP, "a2")].retiring);
	assert_int_equal(f->inv.pools[0].n_vms, 2);
	stop(f);
}

/* What cannot change in place is refused by name, and nothing is applied. */
static void
test_refused(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"hosts: [{name: h1, address: 198.18.3.11}, {name: h2, address: 198.18.3.12}]\n"
		 "pools: [{name: p1, vms: [{name: v1, host: h2, address: 198.18.4.10}]}]\n",
		 "vm v1: host changed: remove it and add it again"},
		{"hosts: [{name: h1, address: 198.18.3.11}]\n"
		 "pools: [{name: p0, vms: []}, {name: p1, vms: [{name: v1, host: h1, address: "
		 "198.18.4.10}]}]\n"
		 "applications: [{name: a1, vip: 198.18.10.1, port: 80, pool: p0}]\n",
		 "application a1: pool changed"},
		{"hosts: [{name: h1, address: 198.18.3.11}]\n"
		 "pools: [{name: p1, vms: [{name: v1, host: h1, address: 198.18.4.10}]}]\n"
		 "applications: [{name: a1, vip: 198.18.10.1, port: 81, pool: p1}]\n",
		 "application a1: vip, port or protocol changed"},
		{"hosts: [{name: h1, address: 198.18.3.11}]\n"
		 "pools: [{name: p1, vms: [{name: v1, host: h1, address: 198.18.4.10}]}]\n"
		 "applications: [{name: a1, vip: 198.18.10.1, port: 80, pool: p1, match: "
		 "{http_host: x.example}}]\n",
		 "application a1: match changed"},
	};
	struct fx *f = *state;
	static struct sg_ctl_cfg before;
	char err[512];
	unsigned int i;
	FILE *fp;

	start(f, yaml_base);
	memcpy(&before, &f->cfg, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(reload(f, cases[i].yaml, err, sizeof(err)), -EINVAL);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %u: '%s', want '%s'", i, err, cases[i].want);
		assert_memory_equal(&before, &f->cfg, sizeof(before)); /* all or nothing */
	}
	/* what needs a restart */
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fprintf(fp, "control: {db_dir: %s, shm_name: /other}\n%s", f->dir, yaml_base);
	fclose(fp);
	assert_int_equal(sg_ctl_inventory_reload(&f->m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "restart sg-control"));
	assert_memory_equal(&before, &f->cfg, sizeof(before));
	stop(f);
}

static json_t *
file_json(struct fx *f)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/inventory.json", f->dir);
	return json_load_file(p, 0, NULL);
}

/* sgctl add / remove: applied, kept in inventory.json, read again at the next start. */
static void
test_sgctl_round_trip(void **state)
{
	struct fx *f = *state;
	char err[512];
	json_t *r, *j;

	start(f, yaml_base);
	r = sg_ctl_inventory_change(&f->m, SG_CTL_KIND_POOL, true, "{name: p2, session_cap: 4}",
				    err, sizeof(err));
	if (r == NULL)
		fail_msg("pool add: %s", err);
	json_decref(r);
	r = sg_ctl_inventory_change(
		&f->m, SG_CTL_KIND_VM, true,
		"{name: v9, host: h2, pool: p2, address: 198.18.4.19, template: guest}", err,
		sizeof(err));
	if (r == NULL)
		fail_msg("vm add: %s", err);
	json_decref(r);
	/* a VM with a template: pushed to its host's agent */
	assert_int_equal(f->n_pushed, 1);
	assert_string_equal(f->pushed, "v9");
	assert_string_equal(f->cfg.vms[slot(f, SG_CTL_KIND_VM, "v9")].template_name, "guest");
	r = sg_ctl_inventory_change(&f->m, SG_CTL_KIND_APP, true,
				    "{name: a9, vip: 198.18.10.9, port: 80, pool: p2}", err,
				    sizeof(err));
	if (r == NULL)
		fail_msg("app add: %s", err);
	assert_string_equal(json_string_value(json_object_get(r, "done")), "added");
	json_decref(r);
	assert_ptr_equal(match(f, 9), &f->inv.apps[slot(f, SG_CTL_KIND_APP, "a9")]);
	assert_int_equal(f->inv.pools[slot(f, SG_CTL_KIND_POOL, "p2")].n_vms, 1);
	assert_int_equal(f->cfg.apps[slot(f, SG_CTL_KIND_APP, "a9")].origin, SG_CTL_ORIGIN_RUNTIME);
	j = file_json(f);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "apps")), 1);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(j, "vms"), 0)),
		"{name: v9, host: h2, pool: p2, address: 198.18.4.19, template: guest}");
	json_decref(j);
	/* a YAML object is not sgctl's to remove */
	assert_null(sg_ctl_inventory_change(&f->m, SG_CTL_KIND_APP, false, "a1", err, sizeof(err)));
	assert_non_null(strstr(err, "a1 is defined in "));
	assert_non_null(strstr(err, "remove it there and reload"));
	/* a pool an app still names */
	assert_null(
		sg_ctl_inventory_change(&f->m, SG_CTL_KIND_POOL, false, "p2", err, sizeof(err)));
	assert_non_null(strstr(err, "pool p2: named by"));
	/* a reload keeps the runtime objects */
	assert_int_equal(reload(f, yaml_base, err, sizeof(err)), 0);
	assert_true(slot(f, SG_CTL_KIND_APP, "a9") >= 0);
	assert_false(f->cfg.apps[slot(f, SG_CTL_KIND_APP, "a9")].retiring);
	/* restart: read again from inventory.json */
	stop(f);
	start(f, yaml_base);
	assert_true(slot(f, SG_CTL_KIND_APP, "a9") >= 0);
	assert_true(slot(f, SG_CTL_KIND_VM, "v9") >= 0);
	assert_int_equal(f->cfg.vms[slot(f, SG_CTL_KIND_VM, "v9")].origin, SG_CTL_ORIGIN_RUNTIME);
	/* remove: retiring or freed at once, gone from the file */
	r = sg_ctl_inventory_change(&f->m, SG_CTL_KIND_APP, false, "a9", err, sizeof(err));
	if (r == NULL)
		fail_msg("app remove: %s", err);
	assert_string_equal(json_string_value(json_object_get(r, "done")), "freed");
	json_decref(r);
	assert_null(match(f, 9));
	j = file_json(f);
	assert_int_equal(json_array_size(json_object_get(j, "apps")), 0);
	json_decref(j);
	/* the file now defines v9 too: the file's wins, its spec dropped */
	assert_int_equal(reload(f,
				"hosts: [{name: h1, address: 198.18.3.11}, "
				"{name: h2, address: 198.18.3.12}]\n"
				"pools:\n"
				"  - name: p1\n"
				"    vms: [{name: v1, host: h1, address: 198.18.4.10},\n"
				"          {name: v2, host: h1, address: 198.18.4.11}]\n"
				"  - name: p2\n"
				"    vms: [{name: v9, host: h2, address: 198.18.4.19}]\n",
				err, sizeof(err)),
			 0);
	assert_int_equal(f->cfg.vms[slot(f, SG_CTL_KIND_VM, "v9")].origin, SG_CTL_ORIGIN_FILE);
	j = file_json(f);
	assert_int_equal(json_array_size(json_object_get(j, "vms")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "pools")), 0);
	json_decref(j);
	stop(f);
}

/* A corrupt inventory.json stops the start with the file and the reason. */
static void
test_corrupt_file(void **state)
{
	static const char *const bodies[] = {
		"{\"version\":1,\"apps\":[\"{name: x\"", /* truncated JSON */
		"{\"version\":2}",
		"{\"version\":1,\"apps\":[7]}",
		"{\"version\":1,\"vms\":[\"{name: v5, host: nohost, pool: p1, address: 1.2.3.4}\"]}",
	};
	static struct sg_ctl_cfg cfg;
	struct fx *f = *state;
	char p[160], err[512];
	json_t *specs;
	unsigned int i;
	FILE *fp;

	write_yaml(f, yaml_base);
	snprintf(p, sizeof(p), "%s/inventory.json", f->dir);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		fp = fopen(p, "w");
		assert_non_null(fp);
		fputs(bodies[i], fp);
		fclose(fp);
		assert_int_equal(sg_ctl_cfg_load(f->path, &cfg, err, sizeof(err)), 0);
		specs = NULL;
		assert_int_equal(sg_ctl_inventory_load(&cfg, &specs, err, sizeof(err)), -EINVAL);
		assert_null(specs);
		if (strstr(err, p) == NULL || strstr(err, "fix or remove it") == NULL)
			fail_msg("body %u: '%s'", i, err);
	}
	assert_non_null(strstr(err, "vms[0]: "));
	assert_non_null(strstr(err, "nohost"));
}

/* Hostile specs: refused with a clear error, nothing changed. */
static void
test_hostile_specs(void **state)
{
	static const struct {
		unsigned int kind;
		const char *spec, *want;
	} cases[] = {
		{SG_CTL_KIND_APP, "{{{", "spec:1:"},
		{SG_CTL_KIND_APP, "", "empty"},
		{SG_CTL_KIND_APP, "[1, 2]", "spec"},
		{SG_CTL_KIND_HOST, "{name: h9, address: 198.18.3.19, shell: rm}", "shell"},
		{SG_CTL_KIND_HOST, "{name: h1, address: 198.18.3.19}", "host h1 exists"},
		{SG_CTL_KIND_APP, "{name: a8, vip: 198.18.10.8, port: 70000, pool: p1}", "port"},
		{SG_CTL_KIND_APP, "{name: a8, vip: 198.18.10.8, port: 80, pool: nopool}",
		 "no pool 'nopool'"},
		{SG_CTL_KIND_VM, "{name: v8, host: h1, address: 198.18.4.18}", "pool"},
		{SG_CTL_KIND_VM, "{name: v8, host: hx, pool: p1, address: 198.18.4.18}",
		 "no host 'hx'"},
		{SG_CTL_KIND_POOL, "{name: p8, vms: [{name: v8, host: h1, address: 1.2.3.4}]}",
		 "sgctl vm add"},
		{SG_CTL_KIND_APP, "{name: a8, vip: 2001:2::8, port: 80, pool: p1}", "IPv"},
	};
	static struct sg_ctl_cfg before;
	struct fx *f = *state;
	static char big[3600];
	char err[512];
	unsigned int i;
	int n;

	start(f, yaml_base);
	memcpy(&before, &f->cfg, sizeof(before));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_null(sg_ctl_inventory_change(&f->m, cases[i].kind, true, cases[i].spec, err,
						    sizeof(err)));
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %u (%s): '%s', want '%s'", i, cases[i].spec, err,
				 cases[i].want);
		assert_memory_equal(&before, &f->cfg, sizeof(before));
	}
	assert_int_equal(f->m.refused, sizeof(cases) / sizeof(cases[0]));
	/* 3.5 KB of one name */
	memset(big, 'x', sizeof(big) - 1);
	snprintf(big, 8, "{name: ");
	big[7] = 'x';
	assert_null(sg_ctl_inventory_change(&f->m, SG_CTL_KIND_HOST, true, big, err, sizeof(err)));
	assert_memory_equal(&before, &f->cfg, sizeof(before));
	/* the slots are bounded */
	for (n = 0;; n++) {
		char spec[128];
		json_t *r;

		snprintf(spec, sizeof(spec), "{name: x%d, vip: 198.18.11.%d, port: %d, pool: p1}",
			 n, n % 250, 1000 + n);
		r = sg_ctl_inventory_change(&f->m, SG_CTL_KIND_APP, true, spec, err, sizeof(err));
		if (r == NULL)
			break;
		json_decref(r);
	}
	assert_int_equal(n, SG_CTL_APPS_MAX - 2);
	assert_string_equal(err, "no free application slot (256)");
	stop(f);
}

/* The admin commands of the inventory parse; an unknown command is refused, not read past. */
static void
test_admin_cmds(void **state)
{
	static const char *const ok[] = {
		"{\"cmd\":\"pool\",\"op\":\"add\",\"spec\":\"{name: p}\"}",
		"{\"cmd\":\"host\",\"op\":\"remove\",\"name\":\"h1\"}",
		"{\"cmd\":\"app\",\"op\":\"add\",\"spec\":\"{name: a}\"}",
		"{\"cmd\":\"vm\",\"op\":\"remove\",\"name\":\"v1\"}",
	};
	static const unsigned int cmds[] = {SG_CTL_ADM_POOL, SG_CTL_ADM_HOST, SG_CTL_ADM_APP,
					    SG_CTL_ADM_VM};
	struct sg_ctl_admin_req req;
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(sg_ctl_admin_parse(ok[i], strlen(ok[i]), &req, err, sizeof(err)),
				 0);
		assert_int_equal(req.cmd, cmds[i]);
	}
	assert_int_equal(sg_ctl_admin_parse("{\"cmd\":\"nosuch\"}", 16, &req, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown command"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retiring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgctl_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_specs, setup, teardown),
		cmocka_unit_test(test_admin_cmds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
