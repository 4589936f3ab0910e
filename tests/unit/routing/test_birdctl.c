/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * routing/birdctl.c and routing/announce.c against a fake BIRD socket: the
 * reply format, every bound, timeouts, a BIRD that goes away; the announce
 * loop sends commands only on a change and re-sends after a reconnect.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "announce.h"
#include "birdctl.h"
#include "fakebird.h"

static struct fakebird fb;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
open_in(enum fakebird_mode mode, struct sg_rt_birdctl *b, int timeout_ms)
{
	fakebird_start(&fb, mode);
	sg_rt_birdctl_init(b, timeout_ms);
	assert_int_equal(sg_rt_birdctl_open(b, fb.path), 0);
	assert_true(b->fd >= 0);
}

static void
done(struct sg_rt_birdctl *b)
{
	sg_rt_birdctl_close(b);
	fakebird_stop(&fb);
}

static void
test_set(void **state)
{
	struct sg_rt_birdctl b;
	(void)state;

	open_in(FB_BIRD, &b, 500);
	assert_int_equal(sg_rt_birdctl_set(&b, "sg_vips", true), 0);
	assert_int_equal(sg_rt_birdctl_set(&b, "sg_nat", false), 0);
	assert_string_equal(fb.log, "enable sg_vips\ndisable sg_nat\n");
	assert_false(sg_rt_birdctl_gone(&b));
	done(&b);
}

static void
test_protocols(void **state)
{
	struct sg_rt_proto p[2];
	struct sg_rt_birdctl b;
	unsigned int n = 99;
	(void)state;

	open_in(FB_BIRD, &b, 500);
	/* three in the answer, room for two: bounded */
	assert_int_equal(sg_rt_birdctl_protocols(&b, p, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].name, "sg_device");
	assert_string_equal(p[0].state, "up");
	assert_int_equal(p[0].exported, -1);
	assert_string_equal(p[1].name, "sg_vips");
	assert_string_equal(p[1].proto, "Static");
	assert_int_equal(p[1].exported, 0);

	struct sg_rt_proto q[8];
	assert_int_equal(sg_rt_birdctl_protocols(&b, q, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(q[2].name, "sg_bgp1");
	assert_string_equal(q[2].proto, "BGP");
	assert_string_equal(q[2].info, "Established");
	assert_string_equal(q[2].since, "11:14:25.001");
	assert_string_equal(q[2].bgp_state, "Established");
	assert_int_equal(q[2].exported, 3);
	done(&b);
}

/* Each hostile answer: the stated error, counted, the connection closed. */
static void
hostile(enum fakebird_mode mode, int want, uint64_t bad)
{
	struct sg_rt_birdctl b;

	open_in(mode, &b, 300);
	int64_t t0 = mono_ms();
	assert_int_equal(sg_rt_birdctl_set(&b, "sg_vips", true), want);
	assert_true(mono_ms() - t0 < 1000);
	assert_int_equal(b.bad_replies, bad);
	if (want != -EREMOTEIO)
		assert_true(b.fd < 0);
	done(&b);
}

static void
test_hostile(void **state)
{
	(void)state;
	hostile(FB_LONG_LINE, -E2BIG, 1);
	hostile(FB_MANY_LINES, -E2BIG, 1);
	hostile(FB_GARBAGE, -EPROTO, 1);
	hostile(FB_NUL, -EPROTO, 1);
	hostile(FB_SILENT, -ETIMEDOUT, 0);
	hostile(FB_CLOSE, -ECONNRESET, 0);
	hostile(FB_REFUSE, -EREMOTEIO, 0);
}

static void
test_open_errors(void **state)
{
	struct sg_rt_birdctl b;
	(void)state;

	sg_rt_birdctl_init(&b, 300);
	assert_int_equal(sg_rt_birdctl_open(&b, "/nonexistent/bird.ctl"), -ENOENT);
	assert_true(sg_rt_birdctl_gone(&b));
	fakebird_start(&fb, FB_BAD_GREET);
	assert_int_equal(sg_rt_birdctl_open(&b, fb.path), -EPROTO);
	assert_int_equal(b.bad_replies, 1);
	fakebird_stop(&fb);
	/* a command is one printable line */
	open_in(FB_BIRD, &b, 300);
	assert_int_equal(sg_rt_birdctl_cmd(&b, "enable x\ndisable y", NULL, NULL), -EINVAL);
	assert_int_equal(sg_rt_birdctl_cmd(&b, "", NULL, NULL), -EINVAL);
	assert_int_equal(fb.n_cmds, 0);
	done(&b);
}

static void
test_gone(void **state)
{
	struct sg_rt_birdctl b;
	(void)state;

	open_in(FB_BIRD, &b, 300);
	assert_false(sg_rt_birdctl_gone(&b));
	fakebird_stop(&fb); /* BIRD exits */
	usleep(100 * 1000);
	assert_true(sg_rt_birdctl_gone(&b));
	assert_true(b.fd < 0);
}

static void
test_announce(void **state)
{
	struct sg_rt_plan plan = {0};
	struct sg_rt_liveness lv = {.alive = true, .ready = true, .ctl_up = false};
	struct sg_rt_announce a;
	struct sg_rt_birdctl b;
	bool changed;
	(void)state;

	strcpy(plan.proto[SG_RT_VIPS][0], "sg_vips");
	strcpy(plan.proto[SG_RT_VIPS][1], "sg_vips6");
	plan.n_proto[SG_RT_VIPS] = 2;
	strcpy(plan.proto[SG_RT_BROKERED][0], "sg_brokered");
	plan.n_proto[SG_RT_BROKERED] = 1;
	strcpy(plan.proto[SG_RT_NAT][0], "sg_nat");
	plan.n_proto[SG_RT_NAT] = 1; /* no backup group: never sent */
	sg_rt_announce_init(&a, &plan);
	open_in(FB_BIRD, &b, 500);

	sg_rt_announce_want(&a, &lv);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1000, &changed), 0);
	assert_true(changed);
	assert_string_equal(fb.log, "enable sg_vips\nenable sg_vips6\ndisable sg_brokered\n"
				    "enable sg_nat\n");
	assert_int_equal(a.changed_ms[SG_RT_VIPS], 1000);
	/* nothing changed: nothing sent */
	fakebird_clear(&fb);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1100, &changed), 0);
	assert_false(changed);
	assert_int_equal(fb.n_cmds, 0);
	/* sg-control up: only the brokered group */
	lv.ctl_up = true;
	sg_rt_announce_want(&a, &lv);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1200, &changed), 0);
	assert_string_equal(fb.log, "enable sg_brokered\n");
	/* data plane dead: everything withdrawn */
	fakebird_clear(&fb);
	lv.alive = false;
	sg_rt_announce_want(&a, &lv);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1300, &changed), 0);
	assert_string_equal(fb.log, "disable sg_vips\ndisable sg_vips6\ndisable sg_brokered\n"
				    "disable sg_nat\n");
	/* a reconnect re-sends everything */
	fakebird_clear(&fb);
	sg_rt_announce_forget(&a);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1400, &changed), 0);
	assert_int_equal(fb.n_cmds, 4);
	/* BIRD refuses: the group stays unknown and is retried */
	fb.mode = FB_REFUSE;
	lv.alive = true;
	sg_rt_announce_want(&a, &lv);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1500, &changed), -EREMOTEIO);
	assert_int_equal(a.applied[SG_RT_VIPS], -1);
	assert_true(a.command_errors >= 3);
	fb.mode = FB_BIRD;
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1600, &changed), 0);
	assert_int_equal(a.applied[SG_RT_VIPS], 1);
	/* no connection: nothing to do but say so */
	done(&b);
	lv.alive = false;
	sg_rt_announce_want(&a, &lv);
	assert_int_equal(sg_rt_announce_apply(&a, &b, 1700, &changed), -ENOTCONN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),	cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_hostile), cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_gone),	cmocka_unit_test(test_announce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
