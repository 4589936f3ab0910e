/* SPDX-License-Identifier: BSD-3-Clause */
/* Map growth: from a 64 KiB map to 1,000,000 objects; no MDB_MAP_FULL ever
 * reaches the caller. Lean loop: large write transactions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idmgr_test.h"
#include "sg_idmgr.h"

#define OBJECTS 1000000
#define BATCH	20000

static void
test_grow_to_1m(void **state)
{
	char *dir = idt_mkdir(), *path = idt_store_path(dir);
	struct sg_id_open_opts o = {.map_size = 64 << 10, .flags = SG_ID_OPEN_NOSYNC};
	static char names[BATCH][16];
	static struct sg_id_reg r[BATCH];
	static uint64_t ids[BATCH];
	struct sg_id_store *s;
	struct sg_id_stats st;
	struct sg_id_object ob;
	uint64_t host, got;
	double t0 = idt_now();

	(void)state;
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	assert_int_equal(sg_id_store_stats(s, &st), 0);
	assert_true(st.map_size <= (64 << 10) + 4096);
	{
		struct sg_id_reg h = {.type = SG_ID_T_HOST, .name = "h1"};

		assert_int_equal(sg_id_register(s, &h, &host, NULL), 0);
	}
	for (int b = 0; b < OBJECTS / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			idt_fmt(names[i], sizeof(names[i]), "v%d", b * BATCH + i);
			r[i] = (struct sg_id_reg){.type = SG_ID_T_VM,
						  .name = names[i],
						  .parent = (i % 100 == 0) ? host : 0};
		}
		if (sg_id_register_many(s, r, BATCH, ids) != 0)
			fail_msg("batch %d: %s", b, sg_id_store_errmsg(s));
		assert_int_equal(sg_id_serial_of(ids[BATCH - 1]), (b + 1) * BATCH);
	}
	assert_int_equal(sg_id_store_sync(s), 0);
	assert_int_equal(sg_id_store_stats(s, &st), 0);
	print_message("1M objects: map %llu MiB after %llu growths, %.1f s\n",
		      (unsigned long long)(st.map_size >> 20), (unsigned long long)st.map_grows,
		      idt_now() - t0);
	assert_true(st.objects == OBJECTS + 1);
	assert_true(st.map_grows >= 10);
	/* spot checks, by name and by ID */
	for (int i = 0; i < OBJECTS; i += 99991) {
		char nm[16];

		idt_fmt(nm, sizeof(nm), "v%d", i);
		assert_int_equal(sg_id_lookup_name(s, 0, SG_ID_T_VM, nm, &got), 0);
		assert_int_equal(sg_id_serial_of(got), i + 1);
		assert_int_equal(sg_id_get(s, got, &ob), 0);
		assert_string_equal(ob.name, nm);
	}
	{
		static uint64_t kids[OBJECTS / 100 + 1];
		size_t n;

		assert_int_equal(sg_id_resolve_contained(s, host, 1, kids, OBJECTS / 100 + 1, &n),
				 0);
		assert_int_equal(n, OBJECTS / 100);
	}
	/* reopened with a small requested map: keeps the data, keeps working */
	sg_id_store_close(s);
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	assert_int_equal(sg_id_lookup_name(s, 0, SG_ID_T_VM, "v999999", &got), 0);
	{
		struct sg_id_reg x = {.type = SG_ID_T_VM, .name = "after-reopen"};

		assert_int_equal(sg_id_register(s, &x, &got, NULL), 0);
		assert_int_equal(sg_id_serial_of(got), OBJECTS + 1);
	}
	sg_id_store_close(s);
	free(path);
	idt_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_to_1m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
