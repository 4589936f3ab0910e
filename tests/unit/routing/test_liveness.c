/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * routing/liveness.c: alive needs a moving heartbeat within stale_ms, a
 * failed query or a hostile answer is not alive, a restarted data plane
 * must show its own heartbeat moving; routing/status.c writes the result.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <sys/socket.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "announce.h"
#include "liveness.h"
#include "status.h"

static int
feed(struct sg_rt_liveness *lv, const char *json, int64_t now)
{
	return sg_rt_liveness_update(lv, json, strlen(json), 0, now);
}

static const char *
answer(char *buf, size_t len, unsigned long hb, int ready, int ctl_up)
{
	snprintf(buf, len,
		 "{\"/sg/cluster\": {\"node_id\": 1, \"name\": \"sg-a\", \"ready\": %d, "
		 "\"ctl_up\": %d, \"heartbeat\": %lu, \"workers\": 1}}",
		 ready, ctl_up, hb);
	return buf;
}

static void
test_heartbeat(void **state)
{
	struct sg_rt_liveness lv;
	char b[256];
	(void)state;

	sg_rt_liveness_init(&lv, 500);
	/* the first value is a baseline only */
	assert_int_equal(feed(&lv, answer(b, sizeof(b), 10, 1, 1), 1000), 0);
	assert_true(lv.answering);
	assert_false(lv.alive);
	assert_int_equal(feed(&lv, answer(b, sizeof(b), 15, 1, 1), 1100), 0);
	assert_true(lv.alive && lv.ready && lv.ctl_up);
	/* stalled (a worker hangs): alive until stale_ms, then not */
	feed(&lv, answer(b, sizeof(b), 15, 1, 1), 1600);
	assert_true(lv.alive);
	feed(&lv, answer(b, sizeof(b), 15, 1, 1), 1601);
	assert_true(lv.answering);
	assert_false(lv.alive || lv.ready || lv.ctl_up);
	feed(&lv, answer(b, sizeof(b), 16, 0, 0), 1700);
	assert_true(lv.alive);
	assert_false(lv.ready || lv.ctl_up);
	feed(&lv, answer(b, sizeof(b), 17, 1, 0), 1800);
	assert_true(lv.ready);
	assert_false(lv.ctl_up);
}

static void
test_restart(void **state)
{
	struct sg_rt_liveness lv;
	char b[256];
	(void)state;

	sg_rt_liveness_init(&lv, 500);
	feed(&lv, answer(b, sizeof(b), 100, 1, 1), 1000);
	feed(&lv, answer(b, sizeof(b), 101, 1, 1), 1100);
	assert_true(lv.alive);
	/* killed: no socket */
	assert_int_equal(sg_rt_liveness_update(&lv, NULL, 0, -ECONNREFUSED, 1200), -ECONNREFUSED);
	assert_false(lv.alive || lv.answering);
	assert_int_equal(lv.query_errors, 1);
	assert_int_equal(lv.last_error, -ECONNREFUSED);
	/* restarted: a new heartbeat, but alive only once it moves */
	feed(&lv, answer(b, sizeof(b), 0, 1, 0), 1300);
	assert_false(lv.alive);
	feed(&lv, answer(b, sizeof(b), 2, 1, 0), 1400);
	assert_true(lv.alive && lv.ready);
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"/sg/cluster\": null}", /* an older data plane without the command */
		"{\"/sg/cluster\": {\"ready\": 1, \"ctl_up\": 1}}",
		"{\"/sg/cluster\": {\"heartbeat\": \"12\", \"ready\": 1, \"ctl_up\": 1}}",
		"{\"/sg/cluster\": {\"heartbeat\": -5, \"ready\": 1, \"ctl_up\": 1}}",
		"{\"/sg/cluster\": {\"heartbeat\": 5, \"ready\": 2, \"ctl_up\": 1}}",
		"{\"/sg/cluster\": {\"heartbeat\": 5, \"ready\": 1}}",
		"{\"/sg/cluster\": {\"heartbeat\": 5, \"heartbeat\": 6, \"ready\": 1, \"ctl_up\": 1}}",
		"{\"/sg/stats\": {\"heartbeat\": 5, \"ready\": 1, \"ctl_up\": 1}}",
		"[1, 2, 3]",
		"{\"/sg/cluster\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	struct sg_rt_liveness lv;
	char b[256];
	(void)state;

	sg_rt_liveness_init(&lv, 500);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		feed(&lv, answer(b, sizeof(b), 2 * i, 1, 1), 1000 + 100 * i);
		feed(&lv, answer(b, sizeof(b), 2 * i + 1, 1, 1), 1010 + 100 * i);
		assert_true(lv.alive);
		assert_int_equal(feed(&lv, bad[i], 1020 + 100 * i), -EBADMSG);
		assert_false(lv.alive || lv.answering);
		assert_int_equal(lv.bad_answers, i + 1);
	}
	/* booleans are accepted as flags too */
	feed(&lv, "{\"/sg/cluster\": {\"heartbeat\": 7, \"ready\": true, \"ctl_up\": false}}",
	     5000);
	feed(&lv, "{\"/sg/cluster\": {\"heartbeat\": 8, \"ready\": true, \"ctl_up\": false}}",
	     5100);
	assert_true(lv.ready);
	assert_false(lv.ctl_up);
}

static void
test_status(void **state)
{
	struct sg_rt_plan plan = {0};
	struct sg_rt_liveness lv = {.answering = true, .alive = true, .heartbeat = 9};
	struct sg_rt_announce a;
	struct sg_rt_birdctl b;
	struct sg_rt_proto p = {"sg_bgp1", "BGP", "up", "11:00", "Established", "Established", 3};
	char dir[] = "/tmp/sgstatus.XXXXXX", path[64];
	json_error_t je;
	(void)state;

	static struct sg_cfg_bgp bgp = {.n_peers = 1};
	strcpy(bgp.peers[0].name, "router");
	bgp.peers[0].addr.family = AF_INET;
	bgp.peers[0].addr.v4 = htonl(0xc6120201); /* 198.18.2.1 */
	bgp.peers[0].asn = 65000;
	strcpy(plan.bgp[0], "sg_bgp1");
	plan.n_bgp = 1;
	strcpy(plan.proto[SG_RT_NAT][0], "sg_nat");
	plan.n_proto[SG_RT_NAT] = 1;
	plan.n_prefix[SG_RT_NAT] = 1;
	sg_rt_announce_init(&a, &plan);
	a.applied[SG_RT_NAT] = 1;
	a.want[SG_RT_NAT] = true;
	sg_rt_birdctl_init(&b, 100);
	struct sg_rt_status st = {.node = "sg-a",
				  .bgp = &bgp,
				  .live = &lv,
				  .ann = &a,
				  .bird = &b,
				  .protos = &p,
				  .n_protos = 1};
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/routed.json", dir);
	assert_int_equal(sg_rt_status_write(path, &st, 1234), 0);
	json_t *j = json_load_file(path, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "node")), "sg-a");
	assert_true(json_is_true(json_object_get(json_object_get(j, "dataplane"), "alive")));
	json_t *nat = json_object_get(json_object_get(j, "groups"), "nat");
	assert_int_equal(json_integer_value(json_object_get(nat, "applied")), 1);
	assert_int_equal(json_integer_value(json_object_get(nat, "prefixes")), 1);
	json_t *p0 = json_array_get(json_object_get(json_object_get(j, "bird"), "protocols"), 0);
	assert_string_equal(json_string_value(json_object_get(p0, "bgp_state")), "Established");
	assert_int_equal(json_integer_value(json_object_get(p0, "exported")), 3);
	assert_true(json_is_false(json_object_get(json_object_get(j, "bird"), "connected")));
	json_t *peer = json_array_get(json_object_get(j, "peers"), 0);
	assert_string_equal(json_string_value(json_object_get(peer, "name")), "router");
	assert_string_equal(json_string_value(json_object_get(peer, "address")), "198.18.2.1");
	assert_string_equal(json_string_value(json_object_get(peer, "protocol")), "sg_bgp1");
	assert_string_equal(json_string_value(json_object_get(peer, "bgp_state")), "Established");
	assert_int_equal(json_integer_value(json_object_get(peer, "asn")), 65000);
	json_decref(j);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
