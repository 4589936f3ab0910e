/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model scenario: one data centre, 2 groups, 4 hosts (each with a vSwitch
 * and a NIC cabled to its group's switch), shared storage with one LUN per
 * application, 40 VMs with vNICs, 100 users, 10 applications with a domain
 * and two components each. The expected answers come from a plain C model of
 * the same layout; the store's answers must match it exactly, also after a VM
 * moves between hosts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../unit/idmgr/idmgr_test.h"
#include "sg_idmgr.h"

#define GROUPS 2
#define HOSTS  4
#define VMS    40
#define USERS  100
#define APPS   10

struct model {
	uint64_t dc, group[GROUPS], host[HOSTS], vswitch[HOSTS], nic[HOSTS], sw[GROUPS];
	uint64_t storage, lun[APPS];
	uint64_t vm[VMS], vnic[VMS];
	uint64_t user[USERS], app[APPS], domain[APPS], comp[APPS][2];
	int vm_host[VMS];	/* model: host index of each VM */
	int sub[USERS][2];	/* the two apps each user subscribes to */
	int assigned[USERS][2]; /* VM index serving sub[u][k] */
};

static struct model m;
static struct sg_id_store *s;
static char *dir;

static uint64_t
reg(unsigned int type, const char *name, uint64_t parent)
{
	struct sg_id_reg r = {.type = (uint8_t)type, .name = name, .parent = parent};
	uint64_t id;

	if (sg_id_register(s, &r, &id, NULL) != 0)
		fail_msg("register %s: %s", name, sg_id_store_errmsg(s));
	return id;
}

static void
rel(uint64_t a, unsigned int r, uint64_t b)
{
	if (sg_id_relate(s, a, r, b) != 0)
		fail_msg("relate: %s", sg_id_store_errmsg(s));
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
same_set(uint64_t *got, size_t ngot, uint64_t *want, size_t nwant, const char *what)
{
	qsort(got, ngot, sizeof(*got), cmp_u64);
	qsort(want, nwant, sizeof(*want), cmp_u64);
	if (ngot != nwant || memcmp(got, want, ngot * sizeof(*got)) != 0)
		fail_msg("%s: got %zu objects, want %zu (or different members)", what, ngot, nwant);
}

static int
build(void **state)
{
	char nm[64], *path;

	(void)state;
	dir = idt_mkdir();
	path = idt_store_path(dir);
	assert_int_equal(
		sg_id_store_open(path, &(struct sg_id_open_opts){.flags = SG_ID_OPEN_NOSYNC}, &s),
		0);
	free(path);
	m.dc = reg(SG_ID_T_DC, "dc1", 0);
	for (int g = 0; g < GROUPS; g++) {
		idt_fmt(nm, sizeof(nm), "g%d", g);
		m.group[g] = reg(SG_ID_T_GROUP, nm, m.dc);
		idt_fmt(nm, sizeof(nm), "sw-g%d", g);
		m.sw[g] = reg(SG_ID_T_SWITCH, nm, m.dc);
	}
	for (int h = 0; h < HOSTS; h++) {
		idt_fmt(nm, sizeof(nm), "h%d", h);
		m.host[h] = reg(SG_ID_T_HOST, nm, m.group[h / 2]);
		idt_fmt(nm, sizeof(nm), "h%d.vs0", h);
		m.vswitch[h] = reg(SG_ID_T_VSWITCH, nm, m.host[h]);
		idt_fmt(nm, sizeof(nm), "h%d.nic0", h);
		m.nic[h] = reg(SG_ID_T_NIC, nm, m.host[h]);
		rel(m.vswitch[h], SG_ID_REL_UPLINK, m.nic[h]);
		rel(m.nic[h], SG_ID_REL_CABLED, m.sw[h / 2]);
		idt_fmt(nm, sizeof(nm), "198.18.0.%d", h + 1);
		assert_int_equal(sg_id_attr_set(s, m.host[h], "underlay", nm), 0);
	}
	m.storage = reg(SG_ID_T_STORAGE, "san1", m.dc);
	for (int a = 0; a < APPS; a++) {
		idt_fmt(nm, sizeof(nm), "app%d", a);
		m.app[a] = reg(SG_ID_T_APP, nm, 0);
		idt_fmt(nm, sizeof(nm), "app%d.main", a);
		m.domain[a] = reg(SG_ID_T_DOMAIN, nm, 0);
		rel(m.app[a], SG_ID_REL_HAS_DOMAIN, m.domain[a]);
		for (int c = 0; c < 2; c++) {
			idt_fmt(nm, sizeof(nm), "app%d.main.%s", a, c ? "db" : "web");
			m.comp[a][c] = reg(SG_ID_T_COMPONENT, nm, 0);
			rel(m.domain[a], SG_ID_REL_HAS_COMPONENT, m.comp[a][c]);
		}
		idt_fmt(nm, sizeof(nm), "san1.lun%d", a);
		m.lun[a] = reg(SG_ID_T_LUN, nm, m.storage);
	}
	/* VM i serves app i/4, component web for i%4 < 2 else db, on host (i + i/4) % 4 */
	for (int i = 0; i < VMS; i++) {
		int a = i / 4;

		m.vm_host[i] = (i + a) % HOSTS;
		idt_fmt(nm, sizeof(nm), "vm%d", i);
		m.vm[i] = reg(SG_ID_T_VM, nm, m.host[m.vm_host[i]]);
		idt_fmt(nm, sizeof(nm), "198.18.1.%d", i + 1);
		assert_int_equal(sg_id_attr_set(s, m.vm[i], "addr", nm), 0);
		assert_int_equal(
			sg_id_attr_set(s, m.vm[i], "image", "http://198.18.0.100/img.qcow2"), 0);
		assert_int_equal(sg_id_set_ref(s, m.vm[i], m.comp[a][(i % 4) >= 2]), 0);
		idt_fmt(nm, sizeof(nm), "vm%d.eth0", i);
		m.vnic[i] = reg(SG_ID_T_VNIC, nm, m.vm[i]);
		rel(m.vnic[i], SG_ID_REL_ATTACHED, m.vswitch[m.vm_host[i]]);
		rel(m.vm[i], SG_ID_REL_USES, m.lun[a]);
	}
	/* user u subscribes to apps u%10 and (3u+1)%10, served by one web VM each */
	for (int u = 0; u < USERS; u++) {
		idt_fmt(nm, sizeof(nm), "user%d@corp.example", u);
		m.user[u] = reg(SG_ID_T_USER, nm, 0);
		m.sub[u][0] = u % APPS;
		m.sub[u][1] = (3 * u + 1) % APPS;
		for (int k = 0; k < 2; k++) {
			int a = m.sub[u][k];

			m.assigned[u][k] = a * 4 + (u / 10) % 2;
			rel(m.user[u], SG_ID_REL_SUBSCRIBES, m.app[a]);
			rel(m.user[u], SG_ID_REL_ASSIGNED, m.vm[m.assigned[u][k]]);
		}
	}
	return 0;
}

static int
destroy(void **state)
{
	(void)state;
	sg_id_store_close(s);
	idt_rmdir(dir);
	return 0;
}

static int
subscribed(int u, int a)
{
	return m.sub[u][0] == a || m.sub[u][1] == a;
}

/* "which VM serves user U for app A" for every (user, app) pair */
static void
test_which_vm_serves(void **state)
{
	uint64_t out[8], want[2];
	size_t n;

	(void)state;
	for (int u = 0; u < USERS; u++) {
		for (int a = 0; a < APPS; a++) {
			int rc = sg_id_resolve_serving(s, m.user[u], m.app[a], out, 8, &n);

			if (!subscribed(u, a)) {
				assert_int_equal(rc, -ENOLINK);
				continue;
			}
			assert_int_equal(rc, 0);
			want[0] = m.vm[m.assigned[u][m.sub[u][0] == a ? 0 : 1]];
			same_set(out, n, want, 1, "serving");
		}
	}
}

static void
check_where_all(void)
{
	uint64_t path[8];
	size_t n;

	for (int i = 0; i < VMS; i++) {
		int h = m.vm_host[i];

		assert_int_equal(sg_id_resolve_where(s, m.vm[i], path, 8, &n), 0);
		assert_int_equal(n, 4);
		assert_true(path[0] == m.vm[i] && path[1] == m.host[h] &&
			    path[2] == m.group[h / 2] && path[3] == m.dc);
		assert_int_equal(sg_id_resolve_where(s, m.vnic[i], path, 8, &n), 0);
		assert_int_equal(n, 5);
		assert_true(path[1] == m.vm[i] && path[2] == m.host[h]);
	}
}

static void
check_affected_all(void)
{
	uint64_t out[USERS + 1], want[USERS];
	size_t n, nw;

	for (int h = 0; h < HOSTS; h++) {
		nw = 0;
		for (int u = 0; u < USERS; u++)
			if (m.vm_host[m.assigned[u][0]] == h || m.vm_host[m.assigned[u][1]] == h)
				want[nw++] = m.user[u];
		assert_int_equal(sg_id_resolve_affected(s, m.host[h], SG_ID_T_USER,
							SG_ID_REL_BIT(SG_ID_REL_ASSIGNED), out,
							USERS + 1, &n),
				 0);
		same_set(out, n, want, nw, "users affected by host failure");
		/* and the VMs that go down with it */
		nw = 0;
		for (int i = 0; i < VMS; i++)
			if (m.vm_host[i] == h)
				want[nw++] = m.vm[i];
		assert_int_equal(
			sg_id_resolve_affected(s, m.host[h], SG_ID_T_VM, 0, out, USERS + 1, &n), 0);
		same_set(out, n, want, nw, "VMs on the host");
	}
}

static void
test_where_is_vm(void **state)
{
	(void)state;
	check_where_all();
}

static void
test_users_affected_by_host(void **state)
{
	(void)state;
	check_affected_all();
}

static void
test_move_vm(void **state)
{
	uint64_t path[8], id;
	size_t n;
	int i = 5, from = m.vm_host[5], to = (m.vm_host[5] + 2) % HOSTS;

	(void)state;
	/* live-migrate vm5 to a host in the other group, vNIC follows the vSwitch */
	assert_int_equal(sg_id_move(s, m.vm[i], m.host[to]), 0);
	assert_int_equal(sg_id_unrelate(s, m.vnic[i], SG_ID_REL_ATTACHED, m.vswitch[from]), 0);
	assert_int_equal(sg_id_relate(s, m.vnic[i], SG_ID_REL_ATTACHED, m.vswitch[to]), 0);
	m.vm_host[i] = to;
	assert_int_equal(sg_id_lookup_name(s, 0, SG_ID_T_VM, "vm5", &id), 0);
	assert_true(id == m.vm[i]); /* same identity */
	assert_int_equal(sg_id_resolve_where(s, m.vm[i], path, 8, &n), 0);
	assert_true(path[1] == m.host[to] && path[2] == m.group[to / 2]);
	check_where_all();
	check_affected_all();
	/* the network path of its vNIC: vSwitch -> NIC -> switch of the new group */
	{
		struct sg_id_query q = {.dir = SG_ID_DIR_OUT,
					.rel_mask = SG_ID_REL_BIT(SG_ID_REL_ATTACHED) |
						    SG_ID_REL_BIT(SG_ID_REL_UPLINK) |
						    SG_ID_REL_BIT(SG_ID_REL_CABLED),
					.max_depth = 3};
		uint64_t out[8], want[3] = {m.vswitch[to], m.nic[to], m.sw[to / 2]};

		assert_int_equal(sg_id_related(s, m.vnic[i], &q, out, 8, &n), 0);
		same_set(out, n, want, 3, "vNIC network path");
	}
}

static void
test_relationship_queries(void **state)
{
	uint64_t out[VMS + USERS], want[VMS + USERS];
	size_t n, nw;
	struct sg_id_query q = {.dir = SG_ID_DIR_OUT, .max_depth = 3, .type = SG_ID_T_VM};

	(void)state;
	/* app -> domain -> component -> VM */
	for (int a = 0; a < APPS; a++) {
		assert_int_equal(sg_id_related(s, m.app[a], &q, out, VMS, &n), 0);
		for (int k = 0; k < 4; k++)
			want[k] = m.vm[a * 4 + k];
		same_set(out, n, want, 4, "VMs of an application");
	}
	/* reverse: users of each app (subscribers) */
	q = (struct sg_id_query){.dir = SG_ID_DIR_IN,
				 .rel_mask = SG_ID_REL_BIT(SG_ID_REL_SUBSCRIBES),
				 .max_depth = 1};
	for (int a = 0; a < APPS; a++) {
		assert_int_equal(sg_id_related(s, m.app[a], &q, out, USERS, &n), 0);
		nw = 0;
		for (int u = 0; u < USERS; u++)
			if (subscribed(u, a))
				want[nw++] = m.user[u];
		same_set(out, n, want, nw, "subscribers");
	}
	/* shared storage: VMs hit if a LUN fails */
	for (int a = 0; a < APPS; a++) {
		assert_int_equal(sg_id_resolve_affected(s, m.lun[a], SG_ID_T_VM,
							SG_ID_REL_BIT(SG_ID_REL_USES), out, VMS,
							&n),
				 0);
		for (int k = 0; k < 4; k++)
			want[k] = m.vm[a * 4 + k];
		same_set(out, n, want, 4, "VMs on a LUN");
	}
	/* the storage system fails: every VM */
	assert_int_equal(sg_id_resolve_affected(s, m.storage, SG_ID_T_VM,
						SG_ID_REL_BIT(SG_ID_REL_USES), out, VMS, &n),
			 0);
	assert_int_equal(n, VMS);
	/* a VM's reference ID names its component */
	for (int i = 0; i < VMS; i++) {
		struct sg_id_object o;

		assert_int_equal(sg_id_get(s, m.vm[i], &o), 0);
		assert_true(o.ref == m.comp[i / 4][(i % 4) >= 2]);
	}
	/* group 1 fails: users of any VM in it */
	{
		uint64_t g1 = m.group[1];

		nw = 0;
		for (int u = 0; u < USERS; u++)
			if (m.vm_host[m.assigned[u][0]] / 2 == 1 ||
			    m.vm_host[m.assigned[u][1]] / 2 == 1)
				want[nw++] = m.user[u];
		assert_int_equal(sg_id_resolve_affected(s, g1, SG_ID_T_USER,
							SG_ID_REL_BIT(SG_ID_REL_ASSIGNED), out,
							USERS, &n),
				 0);
		same_set(out, n, want, nw, "users affected by group failure");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_vm_serves),
		cmocka_unit_test(test_where_is_vm),
		cmocka_unit_test(test_users_affected_by_host),
		cmocka_unit_test(test_relationship_queries),
		cmocka_unit_test(test_move_vm),
	};

	return cmocka_run_group_tests(tests, build, destroy);
}
