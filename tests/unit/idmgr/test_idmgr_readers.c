/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers in other processes while one process writes: every reader opens its
 * own read-only environment, sees consistent snapshots (every object it
 * finds by name is whole, counts never go backwards), follows the map as the
 * writer grows it, and a reader killed inside a read transaction leaves a
 * stale slot that the next open clears.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "idmgr_test.h"
#include "sg_idmgr.h"

#define READERS	   3
#define WRITE_SECS 2.0
#define SEED_VMS   50

static int
reader(const char *path)
{
	struct sg_id_open_opts o = {.flags = SG_ID_OPEN_RDONLY};
	struct sg_id_store *s;
	struct sg_id_stats st;
	uint64_t last_objects = 0, id, p[8], first_seen = 0, lookups = 0;
	struct sg_id_object ob;
	double t0 = idt_now();
	char nm[32];
	size_t n;

	if (sg_id_store_open(path, &o, &s) != 0)
		return 10;
	if (sg_id_store_stats(s, &st) != 0)
		return 11;
	first_seen = st.objects;
	/* run until the writer is done (a marker object appears) or a deadline */
	while (idt_now() - t0 < WRITE_SECS * 4) {
		for (int i = 0; i < SEED_VMS; i++) {
			idt_fmt(nm, sizeof(nm), "seed-%d", i);
			if (sg_id_lookup_name(s, 0, SG_ID_T_VM, nm, &id) != 0)
				return 12;
			if (sg_id_get(s, id, &ob) != 0 || strcmp(ob.name, nm) != 0)
				return 13;
			if (sg_id_resolve_where(s, id, p, 8, &n) != 0 || n != 2)
				return 14;
			lookups++;
		}
		if (sg_id_store_stats(s, &st) != 0)
			return 15;
		if (st.objects < last_objects)
			return 16; /* snapshots never go back */
		last_objects = st.objects;
		if (sg_id_lookup_name(s, 0, SG_ID_T_DC, "done", &id) == 0)
			break;
	}
	/* it saw the writer's objects appear, across at least one map growth */
	if (sg_id_lookup_name(s, 0, SG_ID_T_DC, "done", &id) != 0)
		return 17;
	if (sg_id_store_stats(s, &st) != 0 || st.objects <= first_seen)
		return 18;
	/* the last object written is readable */
	if (sg_id_lookup_name(s, 0, SG_ID_T_LUN, "w-last", &id) != 0)
		return 19;
	sg_id_store_close(s);
	return lookups > 0 ? 0 : 20;
}

static void
test_concurrent_readers(void **state)
{
	char *dir = idt_mkdir(), *path = idt_store_path(dir);
	struct sg_id_open_opts o = {.map_size = 64 << 10};
	struct sg_id_store *s;
	struct sg_id_stats st;
	pid_t pids[READERS];
	uint64_t host, id;
	char nm[32];
	int status, batches = 0;
	double t0;

	(void)state;
	/* seed, then close: no environment is open across fork() */
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	{
		struct sg_id_reg h = {.type = SG_ID_T_HOST, .name = "h1"};

		assert_int_equal(sg_id_register(s, &h, &host, NULL), 0);
	}
	for (int i = 0; i < SEED_VMS; i++) {
		struct sg_id_reg r = {.type = SG_ID_T_VM, .name = nm, .parent = host};

		idt_fmt(nm, sizeof(nm), "seed-%d", i);
		assert_int_equal(sg_id_register(s, &r, &id, NULL), 0);
	}
	sg_id_store_close(s);
	for (int i = 0; i < READERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(reader(path));
	}
	/* the writer: batches of registrations growing the map meanwhile */
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	t0 = idt_now();
	while (idt_now() - t0 < WRITE_SECS) {
		static struct sg_id_reg r[500];
		static char names[500][24];
		static uint64_t ids[500];

		for (int i = 0; i < 500; i++) {
			idt_fmt(names[i], sizeof(names[i]), "w-%d-%d", batches, i);
			r[i] = (struct sg_id_reg){.type = SG_ID_T_LUN, .name = names[i]};
		}
		assert_int_equal(sg_id_register_many(s, r, 500, ids), 0);
		batches++;
	}
	{
		struct sg_id_reg last = {.type = SG_ID_T_LUN, .name = "w-last"};
		struct sg_id_reg done = {.type = SG_ID_T_DC, .name = "done"};

		assert_int_equal(sg_id_register(s, &last, &id, NULL), 0);
		assert_int_equal(sg_id_register(s, &done, &id, NULL), 0);
	}
	assert_int_equal(sg_id_store_stats(s, &st), 0);
	sg_id_store_close(s);
	for (int i = 0; i < READERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("reader %d failed with code %d", i, WEXITSTATUS(status));
	}
	print_message("%d batches of 500 written while %d readers read; map grew %llu times\n",
		      batches, READERS, (unsigned long long)st.map_grows);
	assert_true(st.map_grows >= 1);
	free(path);
	idt_rmdir(dir);
}

static int
die_in_read(const struct sg_id_object *o, void *arg)
{
	(void)o;
	(void)arg;
	/* killed while holding a read transaction */
	if (raise(SIGKILL) != 0)
		_exit(12); /* the parent sees a normal exit, not SIGKILL, and fails */
	return 0;
}

static void
test_stale_reader_cleared(void **state)
{
	char *dir = idt_mkdir(), *path = idt_store_path(dir);
	struct sg_id_store *s;
	struct sg_id_stats st;
	uint64_t id;
	pid_t pid, holder;
	int status, hold[2], ready[2];

	(void)state;
	assert_int_equal(sg_id_store_open(path, NULL, &s), 0);
	{
		struct sg_id_reg r = {.type = SG_ID_T_DC, .name = "dc1"};

		assert_int_equal(sg_id_register(s, &r, &id, NULL), 0);
	}
	sg_id_store_close(s);
	/* a bystander keeps the environment open, so the next open is not the
	 * first one (which would reset the whole reader table) */
	assert_int_equal(pipe(hold), 0);
	assert_int_equal(pipe(ready), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		struct sg_id_open_opts ro = {.flags = SG_ID_OPEN_RDONLY};
		struct pollfd p = {hold[0], POLLIN, 0};
		char c = 'r';

		close(hold[1]);
		if (sg_id_store_open(path, &ro, &s) != 0)
			_exit(10);
		if (write(ready[1], &c, 1) != 1)
			_exit(11);
		poll(&p, 1, 20000); /* until the parent closes the pipe */
		sg_id_store_close(s);
		_exit(0);
	}
	close(hold[0]);
	close(ready[1]);
	{
		char c;

		assert_int_equal(read(ready[0], &c, 1), 1);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sg_id_open_opts ro = {.flags = SG_ID_OPEN_RDONLY};

		if (sg_id_store_open(path, &ro, &s) != 0)
			_exit(10);
		sg_id_foreach(s, 0, die_in_read, NULL);
		_exit(11);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(sg_id_store_open(path, NULL, &s), 0);
	assert_int_equal(sg_id_store_stats(s, &st), 0);
	assert_true(st.readers_cleared >= 1);
	/* and writing works, old pages can be reused */
	{
		struct sg_id_reg r = {.type = SG_ID_T_DC, .name = "dc2"};

		assert_int_equal(sg_id_register(s, &r, &id, NULL), 0);
	}
	sg_id_store_close(s);
	close(hold[1]);
	close(ready[0]);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(path);
	idt_rmdir(dir);
}

/*
 * Two writer processes (sg-control and an `sgid` command, say) on one store
 * from a tiny map: LMDB serialises them, each follows the other's map growth
 * (MDB_MAP_RESIZED at transaction start), and no serial is handed out twice.
 */
#define WRITERS_OPS 400

static int
writer_child(const char *path, int fd, int go)
{
	struct sg_id_open_opts o = {.map_size = 32 << 10, .flags = SG_ID_OPEN_NOSYNC};
	struct sg_id_store *s;
	char nm[32];
	uint64_t id = 0;

	if (sg_id_store_open(path, &o, &s) != 0)
		return 10;
	/* start together with the parent */
	if (write(fd, &id, 1) != 1 || read(go, &id, 1) != 1)
		return 14;
	for (int i = 0; i < WRITERS_OPS; i++) {
		struct sg_id_attr a = {"pad", "................................................"};
		struct sg_id_reg r = {.type = SG_ID_T_VM, .name = nm, .attrs = &a, .nattrs = 1};

		idt_fmt(nm, sizeof(nm), "child-%d", i);
		if (sg_id_register(s, &r, &id, NULL) != 0)
			return 11;
		if (write(fd, &id, sizeof(id)) != sizeof(id))
			return 12;
	}
	{
		struct sg_id_stats st;

		/* last word: how often this process grew the map or followed a growth */
		if (sg_id_store_stats(s, &st) != 0)
			return 13;
		id = (st.map_grows << 32) | st.map_adopts | (UINT64_C(1) << 63);
		if (write(fd, &id, sizeof(id)) != sizeof(id))
			return 12;
	}
	sg_id_store_close(s);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_two_writer_processes(void **state)
{
	char *dir = idt_mkdir(), *path = idt_store_path(dir), nm[32];
	struct sg_id_open_opts o = {.map_size = 32 << 10, .flags = SG_ID_OPEN_NOSYNC};
	static uint64_t ids[2 * WRITERS_OPS];
	uint64_t child_adopts = 0, child_grows;
	struct sg_id_store *s;
	struct sg_id_stats st;
	size_t n = 0;
	int fds[2], go[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(go), 0);
	/* the parent creates the store first, then both open it and start together */
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	sg_id_store_close(s);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		close(go[1]);
		_exit(writer_child(path, fds[1], go[0]));
	}
	close(fds[1]);
	close(go[0]);
	assert_int_equal(sg_id_store_open(path, &o, &s), 0);
	{
		char c = 0;

		assert_int_equal(read(fds[0], &c, 1), 1);
		assert_int_equal(write(go[1], &c, 1), 1);
	}
	for (int i = 0; i < WRITERS_OPS; i++) {
		struct sg_id_attr a = {"pad", "................................................"};
		struct sg_id_reg r = {.type = SG_ID_T_VM, .name = nm, .attrs = &a, .nattrs = 1};

		idt_fmt(nm, sizeof(nm), "parent-%d", i);
		if (sg_id_register(s, &r, &ids[n++], NULL) != 0)
			fail_msg("parent register %d: %s", i, sg_id_store_errmsg(s));
	}
	while (n < 2 * WRITERS_OPS && read(fds[0], &ids[n], sizeof(ids[n])) == sizeof(ids[n]))
		n++;
	assert_int_equal(read(fds[0], &child_adopts, sizeof(child_adopts)), sizeof(child_adopts));
	assert_true(child_adopts >> 63);
	child_grows = (child_adopts >> 32) & 0x7fffffff;
	child_adopts &= 0xffffffff;
	close(go[1]);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("child writer failed with code %d", WEXITSTATUS(status));
	assert_int_equal(n, 2 * WRITERS_OPS);
	qsort(ids, n, sizeof(ids[0]), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			fail_msg("ID %016llx handed out twice", (unsigned long long)ids[i]);
	assert_int_equal(sg_id_store_stats(s, &st), 0);
	assert_true(st.objects == 2 * WRITERS_OPS);
	assert_true(st.map_size > (64 << 10));
	print_message("two writers: parent grew the map %llu times and followed %llu growths, "
		      "child grew %llu and followed %llu\n",
		      (unsigned long long)st.map_grows, (unsigned long long)st.map_adopts,
		      (unsigned long long)child_grows, (unsigned long long)child_adopts);
	/* neither fits 32 KiB: each either grew the map or followed the other */
	assert_true(st.map_grows + st.map_adopts >= 1);
	assert_true(child_grows + child_adopts >= 1);
	sg_id_store_close(s);
	free(path);
	idt_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_readers),
		cmocka_unit_test(test_stale_reader_cleared),
		cmocka_unit_test(test_two_writer_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
