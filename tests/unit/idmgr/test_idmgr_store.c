/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: store open/close, registry, generator, attributes, temporary
 * IDs, containment tree, relationships, errors. Real LMDB files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "idmgr_test.h"
#include "sg_idmgr.h"

static const struct sg_id_open_opts nosync = {.flags = SG_ID_OPEN_NOSYNC};

struct fx {
	char *dir;
	char *path;
	struct sg_id_store *s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = idt_mkdir();
	assert_non_null(f->dir);
	f->path = idt_store_path(f->dir);
	/* NOSYNC keeps the suite fast; durability is tested in test_idmgr_crash */
	assert_int_equal(sg_id_store_open(f->path, &nosync, &f->s), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sg_id_store_close(f->s);
	free(f->path);
	idt_rmdir(f->dir);
	free(f);
	return 0;
}

static uint64_t
reg(struct sg_id_store *s, unsigned int type, const char *name, uint64_t parent)
{
	struct sg_id_reg r = {.type = (uint8_t)type, .name = name, .parent = parent};
	uint64_t id = 0;
	int rc = sg_id_register(s, &r, &id, NULL);

	if (rc != 0)
		fail_msg("register %s: %d %s", name, rc, sg_id_store_errmsg(s));
	return id;
}

static void
test_open_rules(void **state)
{
	struct fx *f = *state;
	struct sg_id_store *s2 = NULL;
	struct sg_id_open_opts ro = {.flags = SG_ID_OPEN_RDONLY};
	char *missing;

	/* the same environment twice in one process is refused */
	assert_int_equal(sg_id_store_open(f->path, NULL, &s2), -EBUSY);
	assert_int_equal(sg_id_store_open(f->path, &ro, &s2), -EBUSY);
	assert_null(s2);
	/* read-only open of a store that does not exist */
	assert_true(asprintf(&missing, "%s/none", f->dir) > 0);
	assert_int_equal(sg_id_store_open(missing, &ro, &s2), -ENOENT);
	free(missing);
	/* bad flags, NULL */
	ro.flags = 0x80;
	assert_int_equal(sg_id_store_open(f->path, &ro, &s2), -EINVAL);
	assert_int_equal(sg_id_store_open(NULL, NULL, &s2), -EINVAL);
	/* after close it can be opened again, read-only, and writes are refused */
	sg_id_store_close(f->s);
	ro.flags = SG_ID_OPEN_RDONLY;
	assert_int_equal(sg_id_store_open(f->path, &ro, &f->s), 0);
	{
		struct sg_id_reg r = {.type = SG_ID_T_DC, .name = "dc1"};
		uint64_t id;

		assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EROFS);
		assert_true(strstr(sg_id_store_errmsg(f->s), "read-only") != NULL);
	}
}

static void
test_register_lookup(void **state)
{
	struct fx *f = *state;
	struct sg_id_attr attrs[] = {{"image", "http://img.example/web.qcow2"},
				     {"addr", "198.18.1.10"}};
	struct sg_id_reg r = {.type = SG_ID_T_VM, .name = "web-1", .attrs = attrs, .nattrs = 2};
	struct sg_id_object o;
	char buf[SG_ID_HANDLE_MAX + 1];
	uint64_t dc, host, vm, vm2, got;
	bool created;

	dc = reg(f->s, SG_ID_T_DC, "dc1", 0);
	host = reg(f->s, SG_ID_T_HOST, "h1", dc);
	assert_int_equal(sg_id_type_of(dc), SG_ID_T_DC);
	assert_int_equal(sg_id_serial_of(dc), 1);
	r.parent = host;
	if (sg_id_register(f->s, &r, &vm, &created) != 0)
		fail_msg("%s", sg_id_store_errmsg(f->s));
	assert_true(created);
	assert_int_equal(sg_id_type_of(vm), SG_ID_T_VM);
	/* registering an existing name returns its ID, unchanged */
	r.parent = dc;
	assert_int_equal(sg_id_register(f->s, &r, &vm2, &created), 0);
	assert_false(created);
	assert_true(vm == vm2);
	assert_int_equal(sg_id_get(f->s, vm, &o), 0);
	assert_true(o.parent == host);
	assert_string_equal(o.name, "web-1");
	assert_int_equal(o.ns, SG_ID_NS_INFRA);
	assert_true(o.created_ns > 0);
	/* lookups by name and handle */
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "web-1", &got), 0);
	assert_true(got == vm);
	assert_int_equal(sg_id_lookup_handle(f->s, "infra/vm/web-1", &got), 0);
	assert_true(got == vm);
	assert_int_equal(sg_id_lookup_handle(f->s, "vm#1", &got), 0);
	assert_true(got == vm);
	assert_int_equal(sg_id_lookup_handle(f->s, "vm#2", &got), -ENOENT);
	assert_int_equal(sg_id_lookup_handle(f->s, "infra/vm/web-2", &got), -ENOENT);
	assert_int_equal(sg_id_lookup_handle(f->s, "infra/vm/Web", &got), -EINVAL);
	assert_int_equal(sg_id_lookup_handle(f->s, "junk", &got), -EINVAL);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_HOST, "web-1", &got), -ENOENT);
	assert_int_equal(sg_id_handle_of(f->s, vm, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "infra/vm/web-1");
	/* attributes given at registration */
	assert_int_equal(sg_id_attr_get(f->s, vm, "image", buf, sizeof(buf)), 28);
	assert_string_equal(buf, "http://img.example/web.qcow2");
	assert_int_equal(sg_id_attr_get(f->s, vm, "addr", buf, sizeof(buf)), 11);
	assert_int_equal(sg_id_attr_get(f->s, vm, "addr", buf, 5), -ENOSPC);
	assert_int_equal(sg_id_attr_get(f->s, vm, "nope", buf, sizeof(buf)), -ENOENT);
	/* same name, other type or namespace: a different object */
	got = reg(f->s, SG_ID_T_HOST, "web-1", dc);
	assert_true(got != vm);
	/* per-type serials */
	assert_int_equal(sg_id_serial_of(got), 2);
	/* unknown parent */
	r.name = "web-2";
	r.parent = sg_id_make(SG_ID_T_HOST, 99);
	assert_int_equal(sg_id_register(f->s, &r, &vm2, NULL), -ENOENT);
	assert_true(strstr(sg_id_store_errmsg(f->s), "parent") != NULL);
}

static void
test_register_bad_input(void **state)
{
	struct fx *f = *state;
	char big[SG_ID_ATTR_VALUE_MAX + 2];
	struct sg_id_attr a[SG_ID_ATTRS_MAX + 1];
	struct sg_id_reg r = {.type = SG_ID_T_VM, .name = "ok"};
	uint64_t id;

	r.type = 0x55;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL);
	assert_true(strstr(sg_id_store_errmsg(f->s), "type") != NULL);
	r.type = SG_ID_T_STREAMING;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL);
	r.type = SG_ID_T_VM;
	r.ns = SG_ID_NS_USER;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL);
	r.ns = 0;
	r.name = "Not OK";
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL);
	assert_true(strstr(sg_id_store_errmsg(f->s), "offset 0") != NULL);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	r.name = big;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -ENAMETOOLONG);
	r.name = "ok";
	a[0].key = "image";
	a[0].value = big; /* 4097 bytes */
	r.attrs = a;
	r.nattrs = 1;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -E2BIG);
	big[SG_ID_ATTR_VALUE_MAX] = '\0';
	if (sg_id_register(f->s, &r, &id, NULL) != 0) /* exactly the bound */
		fail_msg("%s", sg_id_store_errmsg(f->s));
	r.name = "ok2";
	a[0].key = "Bad Key";
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL);
	a[0].key = "k";
	a[1] = a[0];
	r.nattrs = 2;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EINVAL); /* duplicate key */
	r.nattrs = SG_ID_ATTRS_MAX + 1;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -E2BIG);
	assert_int_equal(sg_id_register(f->s, NULL, &id, NULL), -EINVAL);
	/* nothing half-registered */
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "ok2", &id), -ENOENT);
	/* attribute count bound on attr_set */
	for (int i = 0; i < SG_ID_ATTRS_MAX - 1; i++) { /* "ok" has one already */
		char k[16];

		idt_fmt(k, sizeof(k), "k%d", i);
		if (i == 0)
			assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "ok", &id), 0);
		assert_int_equal(sg_id_attr_set(f->s, id, k, "v"), 0);
	}
	assert_int_equal(sg_id_attr_set(f->s, id, "one-too-many", "v"), -E2BIG);
	assert_int_equal(sg_id_attr_set(f->s, id, "k0", "replaced"), 0); /* replace is fine */
}

static int
count_cb(const char *k, const char *v, void *arg)
{
	(void)k;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

static void
test_attrs(void **state)
{
	struct fx *f = *state;
	uint64_t host = reg(f->s, SG_ID_T_HOST, "h1", 0), vm = reg(f->s, SG_ID_T_VM, "v1", host);
	char buf[64];
	int n = 0;

	assert_int_equal(sg_id_attr_set(f->s, host, "underlay", "198.18.0.1"), 0);
	assert_int_equal(sg_id_attr_set(f->s, vm, "addr", "198.18.1.1"), 0);
	assert_int_equal(sg_id_attr_set(f->s, vm, "image", "http://x/y"), 0);
	assert_int_equal(sg_id_attr_set(f->s, vm, "addr", "198.18.1.2"), 0);
	assert_int_equal(sg_id_attr_get(f->s, vm, "addr", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "198.18.1.2");
	assert_int_equal(sg_id_attr_foreach(f->s, vm, count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg_id_attr_del(f->s, vm, "addr"), 0);
	assert_int_equal(sg_id_attr_del(f->s, vm, "addr"), -ENOENT);
	assert_int_equal(sg_id_attr_get(f->s, host, "underlay", buf, sizeof(buf)), 10);
	assert_int_equal(sg_id_attr_set(f->s, sg_id_make(SG_ID_T_VM, 77), "a", "b"), -ENOENT);
	assert_int_equal(sg_id_attr_foreach(f->s, sg_id_make(SG_ID_T_VM, 77), count_cb, &n),
			 -ENOENT);
	assert_int_equal(sg_id_attr_set(f->s, vm, "", "b"), -EINVAL);
	assert_int_equal(sg_id_attr_set(f->s, 0, "a", "b"), -EINVAL);
	/* many large attributes (overflow pages) go away with their object only */
	{
		static char big[SG_ID_ATTR_VALUE_MAX + 1];
		uint64_t other = reg(f->s, SG_ID_T_VM, "v2", host);

		memset(big, 'x', SG_ID_ATTR_VALUE_MAX);
		for (int i = 0; i < SG_ID_ATTRS_MAX - 1; i++) {
			char k[16];

			idt_fmt(k, sizeof(k), "big%02d", i);
			assert_int_equal(sg_id_attr_set(f->s, vm, k, big), 0);
			assert_int_equal(sg_id_attr_set(f->s, other, k, "small"), 0);
		}
		n = 0;
		assert_int_equal(sg_id_attr_foreach(f->s, vm, count_cb, &n), 0);
		assert_int_equal(n, SG_ID_ATTRS_MAX);
		assert_int_equal(sg_id_unregister(f->s, vm), 0);
		n = 0;
		assert_int_equal(sg_id_attr_foreach(f->s, other, count_cb, &n), 0);
		assert_int_equal(n, SG_ID_ATTRS_MAX - 1);
		vm = reg(f->s, SG_ID_T_VM, "v1", host);
		n = 0;
		assert_int_equal(sg_id_attr_foreach(f->s, vm, count_cb, &n), 0);
		assert_int_equal(n, 0);
	}
}

static void
test_unregister_never_reuse(void **state)
{
	struct fx *f = *state;
	uint64_t host = reg(f->s, SG_ID_T_HOST, "h1", 0), h2 = reg(f->s, SG_ID_T_HOST, "h2", 0);
	uint64_t vm = reg(f->s, SG_ID_T_VM, "v1", host), vm2, app, got;
	size_t n;
	uint64_t out[8];

	app = reg(f->s, SG_ID_T_APP, "crm", 0);
	assert_int_equal(sg_id_attr_set(f->s, vm, "addr", "198.18.1.1"), 0);
	assert_int_equal(sg_id_relate(f->s, app, SG_ID_REL_PROVIDES, vm), 0);
	/* a container with contents is refused */
	assert_int_equal(sg_id_unregister(f->s, host), -ENOTEMPTY);
	assert_int_equal(sg_id_unregister(f->s, vm), 0);
	assert_int_equal(sg_id_unregister(f->s, vm), -ENOENT);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "v1", &got), -ENOENT);
	/* edges and attributes went with it */
	assert_int_equal(sg_id_related(f->s, app,
				       &(struct sg_id_query){.dir = SG_ID_DIR_OUT, .max_depth = 1},
				       out, 8, &n),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(sg_id_resolve_contained(f->s, host, 1, out, 8, &n), 0);
	assert_int_equal(n, 0);
	/* the same name gets a new ID, never the old one */
	vm2 = reg(f->s, SG_ID_T_VM, "v1", host);
	assert_true(vm2 != vm);
	assert_true(sg_id_serial_of(vm2) > sg_id_serial_of(vm));
	assert_int_equal(sg_id_attr_get(f->s, vm2, "addr", (char[8]){0}, 8), -ENOENT);
	/* survives a reopen */
	sg_id_store_close(f->s);
	assert_int_equal(sg_id_store_open(f->path, &nosync, &f->s), 0);
	assert_int_equal(sg_id_unregister(f->s, vm2), 0);
	got = reg(f->s, SG_ID_T_VM, "v1", host);
	assert_int_equal(sg_id_serial_of(got), 3);
	assert_int_equal(sg_id_unregister(f->s, h2), 0);
	assert_int_equal(sg_id_unregister(f->s, sg_id_make(SG_ID_T_STREAMING, 1)), -EINVAL);
	assert_int_equal(sg_id_unregister(f->s, 0), -EINVAL);
}

static void
test_register_many(void **state)
{
	struct fx *f = *state;
	struct sg_id_reg r[100];
	uint64_t ids[100], dc = reg(f->s, SG_ID_T_DC, "dc1", 0), got;
	char names[100][16];

	for (int i = 0; i < 100; i++) {
		idt_fmt(names[i], sizeof(names[i]), "h%d", i);
		r[i] = (struct sg_id_reg){.type = SG_ID_T_HOST, .name = names[i], .parent = dc};
	}
	assert_int_equal(sg_id_register_many(f->s, r, 100, ids), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_HOST, names[i], &got), 0);
		assert_true(got == ids[i]);
	}
	/* all or nothing: a bad entry rejects the batch and names its index */
	for (int i = 0; i < 100; i++)
		idt_fmt(names[i], sizeof(names[i]), "x%d", i);
	r[57].name = "BAD";
	assert_int_equal(sg_id_register_many(f->s, r, 100, ids), -EINVAL);
	assert_true(strstr(sg_id_store_errmsg(f->s), "entry 57") != NULL);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_HOST, "x0", &got), -ENOENT);
	r[57].name = names[57];
	r[80].parent = sg_id_make(SG_ID_T_DC, 9);
	assert_int_equal(sg_id_register_many(f->s, r, 100, ids), -ENOENT);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_HOST, "x0", &got), -ENOENT);
	assert_int_equal(sg_id_register_many(f->s, r, SG_ID_BATCH_MAX + 1, ids), -E2BIG);
}

static void
test_temp_ids(void **state)
{
	struct fx *f = *state;
	uint64_t user = reg(f->s, SG_ID_T_USER, "alice", 0), a, b, c, got;
	struct sg_id_temp t;
	size_t swept;

	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_STREAMING, 0, 50, &a), 0);
	assert_true(sg_id_is_temp(a));
	assert_int_equal(sg_id_type_of(a), SG_ID_T_STREAMING);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_USER_SESSION, user, 60000, &b), 0);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_CONTROLLING, a, 60000, &c), 0);
	assert_int_equal(sg_id_temp_get(f->s, b, &t), 0);
	assert_true(t.owner == user);
	assert_int_equal(sg_id_lookup_handle(f->s, "session/usersess/1", &got), 0);
	assert_true(got == b);
	/* release (session end) */
	assert_int_equal(sg_id_temp_release(f->s, c), 0);
	assert_int_equal(sg_id_temp_release(f->s, c), -ENOENT);
	assert_int_equal(sg_id_temp_get(f->s, c, &t), -ENOENT);
	/* expiry sweep with an explicit clock: a (50 ms) goes, b stays */
	assert_int_equal(sg_id_temp_get(f->s, a, &t), 0);
	assert_int_equal(sg_id_temp_sweep(f->s, t.expires_ns - 1, 0, &swept), 0);
	assert_int_equal(swept, 0);
	assert_int_equal(sg_id_temp_sweep(f->s, t.expires_ns, 0, &swept), 0);
	assert_int_equal(swept, 1);
	assert_int_equal(sg_id_temp_get(f->s, a, &t), -ENOENT);
	assert_int_equal(sg_id_temp_get(f->s, b, &t), 0);
	/* touch extends */
	assert_int_equal(sg_id_temp_touch(f->s, b, 1), 0);
	assert_int_equal(sg_id_temp_get(f->s, b, &t), 0);
	assert_int_equal(sg_id_temp_sweep(f->s, t.expires_ns + 1, 0, &swept), 0);
	assert_int_equal(swept, 1);
	/* bounded sweep */
	for (int i = 0; i < 10; i++)
		assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_SERVICE_SESSION, 0, 1, &a), 0);
	assert_int_equal(sg_id_temp_sweep(f->s, UINT64_MAX - 1, 4, &swept), 0);
	assert_int_equal(swept, 4);
	assert_int_equal(sg_id_temp_sweep(f->s, UINT64_MAX - 1, 0, &swept), 0);
	assert_int_equal(swept, 6);
	/* serials continue after release: a new stream is not the released one */
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_STREAMING, 0, 1000, &got), 0);
	assert_int_equal(sg_id_serial_of(got), 2);
	/* bad input */
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_VM, 0, 1000, &a), -EINVAL);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_STREAMING, 0, 0, &a), -EINVAL);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_STREAMING, 0, UINT32_MAX, &a), -EINVAL);
	assert_int_equal(sg_id_temp_release(f->s, user), -EINVAL);
	assert_int_equal(sg_id_get(f->s, got, &(struct sg_id_object){0}), -EINVAL);
}

static void
test_where_move(void **state)
{
	struct fx *f = *state;
	uint64_t dc = reg(f->s, SG_ID_T_DC, "dc1", 0), g = reg(f->s, SG_ID_T_GROUP, "g1", dc);
	uint64_t h1 = reg(f->s, SG_ID_T_HOST, "h1", g), h2 = reg(f->s, SG_ID_T_HOST, "h2", g);
	uint64_t vm = reg(f->s, SG_ID_T_VM, "v1", h1), nic = reg(f->s, SG_ID_T_VNIC, "v1.eth0", vm);
	uint64_t path[8], out[16];
	size_t n;

	assert_int_equal(sg_id_resolve_where(f->s, nic, path, 8, &n), 0);
	assert_int_equal(n, 5);
	assert_true(path[0] == nic && path[1] == vm && path[2] == h1 && path[3] == g &&
		    path[4] == dc);
	assert_int_equal(sg_id_resolve_where(f->s, nic, path, 3, &n), -ENOBUFS);
	assert_int_equal(n, 3);
	/* move keeps the ID and changes the answer */
	assert_int_equal(sg_id_move(f->s, vm, h2), 0);
	assert_int_equal(sg_id_resolve_where(f->s, nic, path, 8, &n), 0);
	assert_true(path[1] == vm && path[2] == h2);
	assert_int_equal(sg_id_resolve_contained(f->s, h1, 4, out, 16, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sg_id_resolve_contained(f->s, h2, 4, out, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg_id_resolve_contained(f->s, dc, 1, out, 16, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sg_id_resolve_contained(f->s, dc, 64, out, 2, &n), -ENOBUFS);
	assert_int_equal(n, 2);
	/* cycles are refused */
	assert_int_equal(sg_id_move(f->s, dc, nic), -ELOOP);
	assert_int_equal(sg_id_move(f->s, g, g), -ELOOP);
	assert_int_equal(sg_id_move(f->s, h2, vm), -ELOOP);
	assert_true(strlen(sg_id_store_errmsg(f->s)) > 0);
	/* nothing changed */
	assert_int_equal(sg_id_resolve_where(f->s, nic, path, 8, &n), 0);
	assert_int_equal(n, 5);
	/* detach to a root and back */
	assert_int_equal(sg_id_move(f->s, vm, 0), 0);
	assert_int_equal(sg_id_resolve_where(f->s, nic, path, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg_id_move(f->s, vm, h1), 0);
	assert_int_equal(sg_id_move(f->s, vm, sg_id_make(SG_ID_T_HOST, 99)), -ENOENT);
	assert_int_equal(sg_id_move(f->s, sg_id_make(SG_ID_T_VM, 99), h1), -ENOENT);
	assert_int_equal(sg_id_resolve_where(f->s, sg_id_make(SG_ID_T_VM, 99), path, 8, &n),
			 -ENOENT);
}

static void
test_depth_bound(void **state)
{
	struct fx *f = *state;
	uint64_t prev = 0, first = 0, id, path[SG_ID_DEPTH_MAX + 2];
	struct sg_id_reg r = {.type = SG_ID_T_GROUP};
	char name[16];
	size_t n;

	for (int i = 0; i < SG_ID_DEPTH_MAX; i++) {
		idt_fmt(name, sizeof(name), "g%d", i);
		prev = reg(f->s, SG_ID_T_GROUP, name, prev);
		if (i == 0)
			first = prev;
	}
	r.name = "too-deep";
	r.parent = prev;
	assert_int_equal(sg_id_register(f->s, &r, &id, NULL), -EMLINK);
	assert_int_equal(sg_id_resolve_where(f->s, prev, path, SG_ID_DEPTH_MAX + 2, &n), 0);
	assert_int_equal(n, SG_ID_DEPTH_MAX);
	/* moving a two-level subtree under the deepest node is refused too */
	id = reg(f->s, SG_ID_T_GROUP, "side", 0);
	reg(f->s, SG_ID_T_GROUP, "side-child", id);
	assert_int_equal(sg_id_move(f->s, id, prev), -EMLINK);
	(void)first;
}

static void
test_relationships(void **state)
{
	struct fx *f = *state;
	uint64_t u1 = reg(f->s, SG_ID_T_USER, "u1", 0), u2 = reg(f->s, SG_ID_T_USER, "u2", 0);
	uint64_t app = reg(f->s, SG_ID_T_APP, "crm", 0),
		 dom = reg(f->s, SG_ID_T_DOMAIN, "crm.d", 0);
	uint64_t c1 = reg(f->s, SG_ID_T_COMPONENT, "crm.web", 0);
	uint64_t c2 = reg(f->s, SG_ID_T_COMPONENT, "crm.db", 0);
	uint64_t h = reg(f->s, SG_ID_T_HOST, "h1", 0), vm1 = reg(f->s, SG_ID_T_VM, "vm1", h);
	uint64_t vm2 = reg(f->s, SG_ID_T_VM, "vm2", h), out[16];
	struct sg_id_query q = {.dir = SG_ID_DIR_OUT, .max_depth = 1};
	struct sg_id_object o;
	size_t n;

	assert_int_equal(sg_id_relate(f->s, u1, SG_ID_REL_SUBSCRIBES, app), 0);
	assert_int_equal(sg_id_relate(f->s, u1, SG_ID_REL_SUBSCRIBES, app), 0); /* idempotent */
	assert_int_equal(sg_id_relate(f->s, u2, SG_ID_REL_SUBSCRIBES, app), 0);
	assert_int_equal(sg_id_relate(f->s, app, SG_ID_REL_HAS_DOMAIN, dom), 0);
	assert_int_equal(sg_id_relate(f->s, dom, SG_ID_REL_HAS_COMPONENT, c1), 0);
	assert_int_equal(sg_id_relate(f->s, dom, SG_ID_REL_HAS_COMPONENT, c2), 0);
	/* a VM's reference ID to its component, with the edge kept in step */
	assert_int_equal(sg_id_set_ref(f->s, vm1, c1), 0);
	assert_int_equal(sg_id_set_ref(f->s, vm2, c2), 0);
	assert_int_equal(sg_id_get(f->s, vm1, &o), 0);
	assert_true(o.ref == c1);
	assert_int_equal(sg_id_related(f->s, c1, &q, out, 16, &n), 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == vm1);
	/* forward depth 3 from app: domain, 2 components, 2 VMs ... with type filter */
	q.max_depth = 4;
	q.type = SG_ID_T_VM;
	assert_int_equal(sg_id_related(f->s, app, &q, out, 16, &n), 0);
	assert_int_equal(n, 2);
	/* reverse: who uses vm2 (in direction) */
	q.dir = SG_ID_DIR_IN;
	q.type = SG_ID_T_USER;
	q.max_depth = 5;
	assert_int_equal(sg_id_related(f->s, vm2, &q, out, 16, &n), 0);
	assert_int_equal(n, 2);
	/* depth bound */
	q.max_depth = 3;
	assert_int_equal(sg_id_related(f->s, vm2, &q, out, 16, &n), 0);
	assert_int_equal(n, 0);
	/* rel mask */
	q.max_depth = 5;
	q.rel_mask = SG_ID_REL_BIT(SG_ID_REL_SERVED_BY) | SG_ID_REL_BIT(SG_ID_REL_HAS_COMPONENT);
	q.type = 0;
	assert_int_equal(sg_id_related(f->s, vm2, &q, out, 16, &n), 0);
	assert_int_equal(n, 2); /* c2, dom */
	/* result bound */
	q.rel_mask = 0;
	assert_int_equal(sg_id_related(f->s, vm2, &q, out, 2, &n), -ENOBUFS);
	assert_int_equal(n, 2);
	/* visit bound */
	q.max_visit = 2;
	assert_int_equal(sg_id_related(f->s, vm2, &q, out, 16, &n), -ENOBUFS);
	/* both directions */
	q = (struct sg_id_query){.dir = SG_ID_DIR_BOTH, .max_depth = 1};
	assert_int_equal(sg_id_related(f->s, dom, &q, out, 16, &n), 0);
	assert_int_equal(n, 3);
	/* changing the reference moves the edge */
	assert_int_equal(sg_id_set_ref(f->s, vm1, c2), 0);
	q = (struct sg_id_query){.dir = SG_ID_DIR_OUT, .max_depth = 1};
	assert_int_equal(sg_id_related(f->s, c1, &q, out, 16, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sg_id_related(f->s, c2, &q, out, 16, &n), 0);
	assert_int_equal(n, 2);
	/* unregistering the component clears the VMs' references */
	assert_int_equal(sg_id_unregister(f->s, c2), 0);
	assert_int_equal(sg_id_get(f->s, vm1, &o), 0);
	assert_true(o.ref == 0);
	/* unrelate */
	assert_int_equal(sg_id_unrelate(f->s, u2, SG_ID_REL_SUBSCRIBES, app), 0);
	assert_int_equal(sg_id_unrelate(f->s, u2, SG_ID_REL_SUBSCRIBES, app), -ENOENT);
	/* bad input */
	assert_int_equal(sg_id_relate(f->s, u1, 0, app), -EINVAL);
	assert_int_equal(sg_id_relate(f->s, u1, 99, app), -EINVAL);
	assert_int_equal(sg_id_relate(f->s, u1, SG_ID_REL_USES, u1), -EINVAL);
	assert_int_equal(sg_id_relate(f->s, u1, SG_ID_REL_USES, sg_id_make(SG_ID_T_VM, 99)),
			 -ENOENT);
	assert_int_equal(sg_id_set_ref(f->s, u1, c1), -EINVAL);
	assert_int_equal(sg_id_set_ref(f->s, vm1, app), -EINVAL);
	q.max_depth = 0;
	assert_int_equal(sg_id_related(f->s, app, &q, out, 16, &n), -EINVAL);
	q.max_depth = SG_ID_REL_DEPTH_MAX + 1;
	assert_int_equal(sg_id_related(f->s, app, &q, out, 16, &n), -EINVAL);
	q = (struct sg_id_query){.dir = 0, .max_depth = 1};
	assert_int_equal(sg_id_related(f->s, app, &q, out, 16, &n), -EINVAL);
	q = (struct sg_id_query){.dir = 1, .max_depth = 1, .rel_mask = 1u << 30};
	assert_int_equal(sg_id_related(f->s, app, &q, out, 16, &n), -EINVAL);
}

static void
test_serving_affected(void **state)
{
	struct fx *f = *state;
	uint64_t u1 = reg(f->s, SG_ID_T_USER, "u1", 0), u2 = reg(f->s, SG_ID_T_USER, "u2", 0);
	uint64_t a1 = reg(f->s, SG_ID_T_APP, "a1", 0), a2 = reg(f->s, SG_ID_T_APP, "a2", 0);
	uint64_t d1 = reg(f->s, SG_ID_T_DOMAIN, "d1", 0), d2 = reg(f->s, SG_ID_T_DOMAIN, "d2", 0);
	uint64_t c1 = reg(f->s, SG_ID_T_COMPONENT, "c1", 0);
	uint64_t c2 = reg(f->s, SG_ID_T_COMPONENT, "c2", 0);
	uint64_t h1 = reg(f->s, SG_ID_T_HOST, "h1", 0), h2 = reg(f->s, SG_ID_T_HOST, "h2", 0);
	uint64_t v1 = reg(f->s, SG_ID_T_VM, "v1", h1), v2 = reg(f->s, SG_ID_T_VM, "v2", h2);
	uint64_t out[8];
	size_t n;

	sg_id_relate(f->s, a1, SG_ID_REL_HAS_DOMAIN, d1);
	sg_id_relate(f->s, a2, SG_ID_REL_HAS_DOMAIN, d2);
	sg_id_relate(f->s, d1, SG_ID_REL_HAS_COMPONENT, c1);
	sg_id_relate(f->s, d2, SG_ID_REL_HAS_COMPONENT, c2);
	sg_id_set_ref(f->s, v1, c1);
	sg_id_set_ref(f->s, v2, c2);
	sg_id_relate(f->s, u1, SG_ID_REL_SUBSCRIBES, a1);
	sg_id_relate(f->s, u1, SG_ID_REL_SUBSCRIBES, a2);
	sg_id_relate(f->s, u1, SG_ID_REL_ASSIGNED, v1);
	sg_id_relate(f->s, u1, SG_ID_REL_ASSIGNED, v2);
	sg_id_relate(f->s, u2, SG_ID_REL_SUBSCRIBES, a1);
	assert_int_equal(sg_id_resolve_serving(f->s, u1, a1, out, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == v1);
	assert_int_equal(sg_id_resolve_serving(f->s, u1, a2, out, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == v2);
	assert_int_equal(sg_id_resolve_serving(f->s, u2, a1, out, 8, &n), 0);
	assert_int_equal(n, 0); /* subscribed, no VM assigned yet */
	assert_int_equal(sg_id_resolve_serving(f->s, u2, a2, out, 8, &n), -ENOLINK);
	assert_int_equal(sg_id_resolve_serving(f->s, a1, u2, out, 8, &n), -EINVAL);
	assert_int_equal(sg_id_resolve_affected(f->s, h1, SG_ID_T_USER,
						SG_ID_REL_BIT(SG_ID_REL_ASSIGNED), out, 8, &n),
			 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == u1);
	assert_int_equal(sg_id_resolve_affected(f->s, h1, SG_ID_T_VM, 0, out, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_true(out[0] == v1);
	/* following every relation back from v1 reaches both users through the app */
	assert_int_equal(sg_id_resolve_affected(f->s, h1, SG_ID_T_USER, 0, out, 8, &n), 0);
	assert_int_equal(n, 2);
	/* after moving v2 onto h1 both of u1's VMs are on it */
	assert_int_equal(sg_id_move(f->s, v2, h1), 0);
	assert_int_equal(sg_id_resolve_affected(f->s, h1, SG_ID_T_VM, 0, out, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg_id_resolve_affected(f->s, h2, SG_ID_T_USER,
						SG_ID_REL_BIT(SG_ID_REL_ASSIGNED), out, 8, &n),
			 0);
	assert_int_equal(n, 0);
}

struct walk_ctx {
	int n;
	uint64_t last;
	int ordered;
};

static int
walk_cb(const struct sg_id_object *o, void *arg)
{
	struct walk_ctx *w = arg;

	if (o->id <= w->last)
		w->ordered = 0;
	w->last = o->id;
	return ++w->n == 1000 ? 42 : 0;
}

static int
edge_cb(uint64_t from, unsigned int rel, uint64_t to, void *arg)
{
	(void)from;
	(void)to;
	assert_true(rel == SG_ID_REL_USES);
	(*(int *)arg)++;
	return 0;
}

static void
test_foreach_restore_counters(void **state)
{
	struct fx *f = *state;
	struct walk_ctx w = {.ordered = 1};
	struct sg_id_object o = {0};
	uint64_t h = reg(f->s, SG_ID_T_HOST, "h1", 0), st = reg(f->s, SG_ID_T_STORAGE, "s1", 0);
	uint64_t next, got;
	int edges = 0;

	reg(f->s, SG_ID_T_HOST, "h2", 0);
	reg(f->s, SG_ID_T_VM, "v1", h);
	sg_id_relate(f->s, h, SG_ID_REL_USES, st);
	assert_int_equal(sg_id_foreach(f->s, 0, walk_cb, &w), 0);
	assert_int_equal(w.n, 4);
	assert_true(w.ordered);
	w = (struct walk_ctx){.ordered = 1};
	assert_int_equal(sg_id_foreach(f->s, SG_ID_T_HOST, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(sg_id_foreach_edge(f->s, edge_cb, &edges), 0);
	assert_int_equal(edges, 1);
	/* restore with a fixed ID moves the generator past it */
	o.id = sg_id_make(SG_ID_T_HOST, 100);
	o.type = SG_ID_T_HOST;
	o.ns = SG_ID_NS_INFRA;
	strcpy(o.name, "h100");
	assert_int_equal(sg_id_restore(f->s, &o), 0);
	assert_int_equal(sg_id_restore(f->s, &o), -EEXIST);
	o.id = sg_id_make(SG_ID_T_HOST, 101);
	assert_int_equal(sg_id_restore(f->s, &o), -EEXIST); /* name taken */
	o.id = sg_id_make(SG_ID_T_VM, 101);
	assert_int_equal(sg_id_restore(f->s, &o), -EINVAL); /* type mismatch */
	assert_int_equal(sg_id_serial_next(f->s, SG_ID_T_HOST, &next), 0);
	assert_true(next == 101);
	got = reg(f->s, SG_ID_T_HOST, "h3", 0);
	assert_int_equal(sg_id_serial_of(got), 101);
	assert_int_equal(sg_id_serial_reserve(f->s, SG_ID_T_HOST, 500), 0);
	assert_int_equal(sg_id_serial_reserve(f->s, SG_ID_T_HOST, 200), 0); /* never back */
	got = reg(f->s, SG_ID_T_HOST, "h4", 0);
	assert_int_equal(sg_id_serial_of(got), 500);
	/* the 1000th callback stops the walk with its value */
	for (int i = 0; i < 1000; i++) {
		char nm[16];

		idt_fmt(nm, sizeof(nm), "l%d", i);
		reg(f->s, SG_ID_T_LUN, nm, 0);
	}
	w = (struct walk_ctx){.ordered = 1};
	assert_int_equal(sg_id_foreach(f->s, SG_ID_T_LUN, walk_cb, &w), 42);
}

static void
test_fork_guard(void **state)
{
	struct fx *f = *state;
	uint64_t id = reg(f->s, SG_ID_T_DC, "dc1", 0);
	struct sg_id_object o;
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sg_id_store *c = NULL;
		int bad = 0;

		/* the parent's handle must not be used in the child */
		if (sg_id_get(f->s, id, &o) != -ECHILD)
			bad |= 1;
		/* the child opens its own environment */
		if (sg_id_store_open(f->path, NULL, &c) != 0)
			bad |= 2;
		else if (sg_id_get(c, id, &o) != 0 || strcmp(o.name, "dc1") != 0)
			bad |= 4;
		sg_id_store_close(c);
		sg_id_store_close(f->s); /* frees memory only */
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's handle still works */
	assert_int_equal(sg_id_get(f->s, id, &o), 0);
	assert_int_equal(sg_id_attr_set(f->s, id, "k", "v"), 0);
}

static void
test_small_map_grows(void **state)
{
	struct fx *f = *state;
	struct sg_id_open_opts o = {.map_size = 64 << 10, .flags = SG_ID_OPEN_NOSYNC};
	struct sg_id_stats st;
	char name[32];
	uint64_t id, got;

	sg_id_store_close(f->s);
	{
		char *p2;

		assert_true(asprintf(&p2, "%s/small", f->dir) > 0);
		free(f->path);
		f->path = p2;
	}
	assert_int_equal(sg_id_store_open(f->path, &o, &f->s), 0);
	/* one object per transaction: every growth happens between commits and
	 * a transaction that hits MDB_MAP_FULL is retried, never reported */
	for (int i = 0; i < 3000; i++) {
		struct sg_id_attr a = {"pad", "................................................"};
		struct sg_id_reg r = {.type = SG_ID_T_VM, .attrs = &a, .nattrs = 1};

		idt_fmt(name, sizeof(name), "vm-%d", i);
		r.name = name;
		if (sg_id_register(f->s, &r, &id, NULL) != 0)
			fail_msg("register %d: %s", i, sg_id_store_errmsg(f->s));
	}
	assert_int_equal(sg_id_store_stats(f->s, &st), 0);
	assert_true(st.map_grows >= 2);
	assert_true(st.objects == 3000);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "vm-0", &got), 0);
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "vm-2999", &got), 0);
	assert_int_equal(sg_id_serial_of(got), 3000);
	/* a ceiling turns into -ENOSPC, never MDB_MAP_FULL */
	sg_id_store_close(f->s);
	o.map_max = st.map_size;
	assert_int_equal(sg_id_store_open(f->path, &o, &f->s), 0);
	{
		int rc = 0;

		for (int i = 0; i < 100000 && rc == 0; i++) {
			struct sg_id_reg r = {.type = SG_ID_T_LUN};

			idt_fmt(name, sizeof(name), "l-%d", i);
			r.name = name;
			rc = sg_id_register(f->s, &r, &id, NULL);
		}
		assert_int_equal(rc, -ENOSPC);
		assert_true(strstr(sg_id_store_errmsg(f->s), "map_max") != NULL);
	}
	/* the store is still consistent and usable for reads */
	assert_int_equal(sg_id_lookup_name(f->s, 0, SG_ID_T_VM, "vm-2999", &got), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_never_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_where_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relationships, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serving_affected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_restore_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_map_grows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
