/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash safety: a child process writes in a loop (batches of registrations,
 * some unregistrations, map growth from a tiny map, default fsync mode) and
 * reports every committed operation through a pipe; the parent kills it with
 * SIGKILL at a random moment while it writes. Afterwards every committed
 * identity is present, every committed deletion stays deleted, the store is
 * consistent, and no serial is ever handed out twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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

#define ROUNDS	   6
#define BATCH	   16
#define MAX_IDS	   200000
#define ROUND_SECS 3.0

enum { OP_ADD = 1, OP_DEL = 2, OP_DEL_INTENT = 3 };

struct report {
	uint32_t op;
	uint32_t pad;
	uint64_t id;
};

/* by serial: 0 unknown, 1 live, 2 deleted, 3 deletion under way when killed */
static uint8_t state_of[MAX_IDS + 1];
static uint64_t max_reported;

static void
child_loop(const char *path, int fd, int round)
{
	struct sg_id_open_opts o = {.map_size = 32 << 10};
	struct sg_id_store *s;
	struct sg_id_reg r[BATCH];
	struct sg_id_attr a = {"addr", "198.18.200.200/and-some-padding-to-fill-pages"};
	char names[BATCH][32];
	uint64_t ids[BATCH], dc, prev_first = 0;
	unsigned int seq = 0;

	if (sg_id_store_open(path, &o, &s) != 0)
		_exit(10);
	{
		struct sg_id_reg d = {.type = SG_ID_T_DC, .name = "dc1"};

		if (sg_id_register(s, &d, &dc, NULL) != 0)
			_exit(11);
	}
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			idt_fmt(names[i], sizeof(names[i]), "r%d-h%u", round, seq++);
			r[i] = (struct sg_id_reg){.type = SG_ID_T_HOST,
						  .name = names[i],
						  .parent = dc,
						  .attrs = &a,
						  .nattrs = 1};
		}
		if (sg_id_register_many(s, r, BATCH, ids) != 0)
			_exit(12);
		for (int i = 0; i < BATCH; i++) {
			struct report rep = {OP_ADD, 0, ids[i]};

			if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
				_exit(13);
		}
		if (seq % (BATCH * 4) == 0 && prev_first != 0) {
			struct report rep = {OP_DEL_INTENT, 0, prev_first};

			if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
				_exit(13);
			rep.op = OP_DEL;
			if (sg_id_unregister(s, prev_first) != 0)
				_exit(14);
			if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
				_exit(13);
		}
		prev_first = ids[0];
	}
}

static int
count_cb(const struct sg_id_object *o, void *arg)
{
	uint64_t *n = arg;

	if (o->type == SG_ID_T_HOST) {
		uint64_t sr = sg_id_serial_of(o->id);

		/* never seen deleted, never beyond what the child could have committed */
		if (sr > MAX_IDS || state_of[sr] == 2)
			return -1000;
		if (sr > max_reported + BATCH)
			return -1001;
		(*n)++;
	}
	return 0;
}

static void
test_kill9_during_writes(void **state)
{
	char *dir = idt_mkdir(), *path = idt_store_path(dir);
	uint64_t total_reports = 0, highest_seen = 0;

	(void)state;
	srand((unsigned int)getpid());
	for (int round = 0; round < ROUNDS; round++) {
		int fds[2], status;
		struct report rep;
		pid_t pid;
		double t0;
		uint64_t want = 100 + (uint64_t)(rand() % 400), got = 0;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			child_loop(path, fds[1], round);
		}
		close(fds[1]);
		/* let it commit a random number of operations, then kill it mid-write */
		t0 = idt_now();
		while (got < want && idt_now() - t0 < ROUND_SECS) {
			struct pollfd p = {fds[0], POLLIN, 0};

			if (poll(&p, 1, 100) <= 0)
				continue;
			if (read(fds[0], &rep, sizeof(rep)) != sizeof(rep))
				break;
			got++;
			if (rep.op == OP_ADD) {
				uint64_t sr = sg_id_serial_of(rep.id);

				assert_true(sr <= MAX_IDS);
				/* never reused: a new ID is above every ID seen before */
				if (sr <= highest_seen)
					fail_msg("serial %llu handed out again (highest %llu)",
						 (unsigned long long)sr,
						 (unsigned long long)highest_seen);
				highest_seen = sr;
				state_of[sr] = 1;
			} else {
				state_of[sg_id_serial_of(rep.id)] = rep.op == OP_DEL ? 2 : 3;
			}
		}
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("writer exited by itself (status %d) instead of being killed",
				 WEXITSTATUS(status));
		/* drain what was reported before the kill */
		fcntl(fds[0], F_SETFL, O_NONBLOCK);
		while (read(fds[0], &rep, sizeof(rep)) == sizeof(rep)) {
			got++;
			if (rep.op == OP_ADD) {
				assert_true(sg_id_serial_of(rep.id) > highest_seen);
				highest_seen = sg_id_serial_of(rep.id);
				state_of[highest_seen] = 1;
			} else {
				state_of[sg_id_serial_of(rep.id)] = rep.op == OP_DEL ? 2 : 3;
			}
		}
		close(fds[0]);
		assert_true(got >= want || round > 0);
		total_reports += got;
		max_reported = highest_seen;

		/* verify in the parent, with its own environment */
		{
			struct sg_id_store *s;
			struct sg_id_stats st;
			struct sg_id_object o;
			uint64_t n = 0, path_ids[8], id, dc;
			size_t np;

			assert_int_equal(sg_id_store_open(path, NULL, &s), 0);
			assert_int_equal(sg_id_lookup_name(s, 0, SG_ID_T_DC, "dc1", &dc), 0);
			for (uint64_t sr = 1; sr <= highest_seen; sr++) {
				int rc = sg_id_get(s, sg_id_make(SG_ID_T_HOST, sr), &o);

				if (state_of[sr] == 1 && rc != 0)
					fail_msg("committed host#%llu lost (%d)",
						 (unsigned long long)sr, rc);
				if (state_of[sr] == 2 && rc != -ENOENT)
					fail_msg("deleted host#%llu back (%d)",
						 (unsigned long long)sr, rc);
				if (state_of[sr] == 3)
					state_of[sr] = rc == 0 ? 1 : 2; /* either is consistent */
				if (rc == 0) {
					uint64_t byname;

					assert_int_equal(sg_id_lookup_name(s, 0, SG_ID_T_HOST,
									   o.name, &byname),
							 0);
					assert_true(byname == o.id);
					assert_int_equal(
						sg_id_resolve_where(s, o.id, path_ids, 8, &np), 0);
					assert_int_equal(np, 2);
					assert_true(path_ids[1] == dc);
				}
			}
			assert_int_equal(sg_id_foreach(s, SG_ID_T_HOST, count_cb, &n), 0);
			assert_int_equal(sg_id_store_stats(s, &st), 0);
			assert_true(st.objects == n + 1);
			/* the generator is past everything the child committed */
			{
				struct sg_id_reg r = {
					.type = SG_ID_T_HOST, .name = "probe", .parent = dc};
				char nm[32];

				idt_fmt(nm, sizeof(nm), "probe-%d", round);
				r.name = nm;
				assert_int_equal(sg_id_register(s, &r, &id, NULL), 0);
				assert_true(sg_id_serial_of(id) > highest_seen);
				highest_seen = sg_id_serial_of(id);
				state_of[highest_seen] = 1;
				max_reported = highest_seen;
			}
			sg_id_store_close(s); /* closed before the next fork */
		}
	}
	print_message("kill -9 test: %d rounds, %llu committed operations verified\n", ROUNDS,
		      (unsigned long long)total_reports);
	free(path);
	idt_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_during_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
