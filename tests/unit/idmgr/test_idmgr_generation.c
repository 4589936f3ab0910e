/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: sg_id_store_generation() moves with every write that may
 * change an object, edge or attribute, by this handle or another process,
 * and not with this handle's temporary IDs and serial leases. Real LMDB. */
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
	uint64_t user, vm;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sg_id_reg u = {.type = SG_ID_T_USER, .name = "alice"};
	struct sg_id_reg v = {.type = SG_ID_T_VM, .name = "vm1"};

	assert_non_null(f);
	f->dir = idt_mkdir();
	assert_non_null(f->dir);
	f->path = idt_store_path(f->dir);
	assert_int_equal(sg_id_store_open(f->path, &nosync, &f->s), 0);
	assert_int_equal(sg_id_register(f->s, &u, &f->user, NULL), 0);
	assert_int_equal(sg_id_register(f->s, &v, &f->vm, NULL), 0);
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

enum op { OP_RELATE, OP_TEMP };

/* Write the store from another process (sgid, another sg-control). */
static void
other_process(struct fx *f, enum op op)
{
	int status = -1;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sg_id_store *s;
		uint64_t id;
		int rc;

		if (sg_id_store_open(f->path, &nosync, &s) < 0)
			_exit(2);
		rc = op == OP_RELATE ? sg_id_relate(s, f->user, SG_ID_REL_ASSIGNED, f->vm)
				     : sg_id_temp_alloc(s, SG_ID_T_USER_SESSION, 0, 1000, &id);
		sg_id_store_close(s);
		_exit(rc != 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Every kind of change moves it; reading does not. */
static void
test_moves_with_changes(void **state)
{
	struct fx *f = *state;
	uint64_t g = sg_id_store_generation(f->s), g2;
	char buf[16];

	assert_true(g > 0);
	assert_int_equal(sg_id_store_generation(NULL), 0);
	assert_int_equal(sg_id_attr_get(f->s, f->user, "qos.rate_bps", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sg_id_store_generation(f->s), g);
	assert_int_equal(sg_id_relate(f->s, f->user, SG_ID_REL_ASSIGNED, f->vm), 0);
	g2 = sg_id_store_generation(f->s);
	assert_true(g2 > g);
	assert_int_equal(sg_id_attr_set(f->s, f->user, "qos.rate_bps", "5"), 0);
	g = sg_id_store_generation(f->s);
	assert_true(g > g2);
	assert_int_equal(sg_id_unrelate(f->s, f->user, SG_ID_REL_ASSIGNED, f->vm), 0);
	g2 = sg_id_store_generation(f->s);
	assert_true(g2 > g);
	/* another process's relate */
	other_process(f, OP_RELATE);
	assert_true(sg_id_store_generation(f->s) > g2);
}

/* This handle's temporary IDs and leases leave it; a change between them does not hide. */
static void
test_quiet_writes(void **state)
{
	struct fx *f = *state;
	uint64_t g = sg_id_store_generation(f->s), id, next, g2;
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_USER_SESSION, 0, 1000, &id), 0);
		assert_int_equal(sg_id_temp_release(f->s, id), 0);
	}
	assert_int_equal(sg_id_serial_next(f->s, SG_ID_T_USER_SESSION, &next), 0);
	assert_int_equal(sg_id_serial_reserve(f->s, SG_ID_T_USER_SESSION, next + 100), 0);
	assert_int_equal(sg_id_store_generation(f->s), g);
	/* a change, not looked at, then a quiet write: the change shows */
	assert_int_equal(sg_id_relate(f->s, f->user, SG_ID_REL_ASSIGNED, f->vm), 0);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_USER_SESSION, 0, 1000, &id), 0);
	g2 = sg_id_store_generation(f->s);
	assert_true(g2 > g);
	assert_int_equal(sg_id_temp_release(f->s, id), 0);
	assert_int_equal(sg_id_store_generation(f->s), g2);
	/* another process's change, then our quiet write: it shows */
	other_process(f, OP_RELATE);
	assert_int_equal(sg_id_temp_alloc(f->s, SG_ID_T_USER_SESSION, 0, 1000, &id), 0);
	g = sg_id_store_generation(f->s);
	assert_true(g > g2);
	/* another process's temporary ID: not ours, it counts */
	other_process(f, OP_TEMP);
	assert_true(sg_id_store_generation(f->s) > g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_moves_with_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_writes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
