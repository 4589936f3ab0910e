/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of what configures and asks for sg-control's authenticated
 * applications: apps[].auth / apps[].qos in the YAML (cfg_auth.c through
 * the daemon's reader, key files on disk, reload) and the admin "token"
 * request (admin_req.c), both hostile input.
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
#include <sys/stat.h>

#include <cmocka.h>

#include "admin.h"
#include "cfg.h"

/* ------------------------------------------------------------------- YAML */

static const char cfg_head[] = "hosts: [{name: h1, address: 198.18.3.11}]\n"
			       "pools:\n"
			       "  - name: p1\n"
			       "    vms: [{name: vm1, host: h1, address: 198.18.4.10}]\n"
			       "applications:\n"
			       "  - name: desk\n"
			       "    vip: 198.18.10.1\n"
			       "    port: 80\n"
			       "    pool: p1\n"
			       "    match: {http_header: X-Token}\n";

/* Write sg-control's YAML: control (with idmgr_dir unless @p dir is NULL), the head, then
 * @p app_tail (the app's auth: / qos: lines) with every "@K" replaced by @p kf. */
static void
write_cfg(const char *dir, bool idmgr, const char *app_tail, const char *kf, char *path, size_t len)
{
	const char *t;
	FILE *fp;

	snprintf(path, len, "%s/c.yaml", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	if (idmgr)
		fprintf(fp, "control: {idmgr_dir: %s/id}\n", dir);
	else
		fputs("control: {}\n", fp);
	fputs(cfg_head, fp);
	for (t = app_tail; *t != '\0'; t++) {
		if (t[0] == '@' && t[1] == 'K') {
			fputs(kf, fp);
			t++;
		} else {
			fputc(*t, fp);
		}
	}
	assert_int_equal(fclose(fp), 0);
}

static int
load(const char *dir, const char *tail, const char *kf, struct sg_ctl_cfg *cfg, char *err,
     size_t errlen)
{
	char path[128];

	write_cfg(dir, true, tail, kf, path, sizeof(path));
	err[0] = '\0';
	return sg_ctl_cfg_load(path, cfg, err, errlen);
}

static void
test_yaml_auth_qos(void **state)
{
	static struct sg_ctl_cfg cfg, cfg2;
	char dir[64] = "/tmp/sgctl-authcfg-XXXXXX", kf[96], kf2[96], tail[1024], err[512],
	     path[128], cmd[128];
	const struct sg_ctl_app_cfg *a = &cfg.apps[0];
	FILE *fp;
	unsigned int i;
	static const struct {
		const char *tail;
		const char *want; /* in the error */
	} bad[] = {
		{"    auth: {mode: token}\n",
		 "c.yaml:12:11: applications[0].auth.keys: mode: token "
		 "needs at least one key"},
		{"    auth: {mode: tokens, keys: [{id: 1, file: @K}]}\n",
		 "applications[0].auth.mode"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}], on_fail: login}\n",
		 "auth.login_url: on_fail: login needs a login_url"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}], on_fail: login, login_url: "
		 "\"https://l.example/a b\"}\n",
		 "auth.login_url: character 20 is not printable ASCII"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}], on_fail: login, login_url: "
		 "\"https://l.example/\\r\\nX: y\"}\n",
		 "auth.login_url: character 19"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}], on_fail: login, login_url: "
		 "javascript:x}\n",
		 "an http:// or https:// URL"},
		{"    auth: {mode: token, keys: [{id: 0, file: @K}]}\n", "auth.keys[0].id"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}, {id: 1, file: @K}]}\n",
		 "key id 1 listed twice"},
		{"    auth: {mode: token, keys: [{id: 1, file: /nonexistent/k}]}\n",
		 "auth.keys[0].file: /nonexistent/k"},
		{"    auth: {mode: token, keys: [{id: 1, file: @K}], colour: red}\n", "colour"},
		{"    qos: {user_sessions: -1}\n", "applications[0].qos.user_sessions"},
		{"    qos: {rate: 5}\n", "applications[0].qos"},
	};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(kf, sizeof(kf), "%s/k1", dir);
	snprintf(kf2, sizeof(kf2), "%s/k2", dir);
	fp = fopen(kf, "w");
	assert_non_null(fp);
	fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(kf, 0600), 0);
	fp = fopen(kf2, "w");
	assert_non_null(fp);
	fputs("ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(kf2, 0600), 0);
	/* a full section */
	snprintf(tail, sizeof(tail),
		 "    auth:\n"
		 "      mode: token\n"
		 "      keys: [{id: 2, file: %s}, {id: 1, file: %s}]\n"
		 "      on_fail: login\n"
		 "      login_url: https://login.example/desk?next=%%2F\n"
		 "    qos: {user_sessions: 2, rate_bps: 1250000, burst_bytes: 65536, "
		 "usage_interval_s: 60}\n",
		 kf2, kf);
	assert_int_equal(load(dir, tail, kf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(a->match, SG_CTL_MATCH_HTTP_HEADER);
	assert_string_equal(a->value, "X-Token");
	assert_int_equal(a->auth.mode, SG_CTL_AUTH_TOKEN);
	assert_int_equal(a->auth.n_keys, 2);
	assert_int_equal(a->auth.keys[0].id, 2);
	assert_int_equal(a->auth.keys[0].key[0], 0xff);
	assert_int_equal(a->auth.keys[1].id, 1);
	assert_int_equal(a->auth.keys[1].len, 32);
	assert_int_equal(a->auth.on_fail, SG_CTL_AUTH_FAIL_LOGIN);
	assert_string_equal(a->auth.login_url, "https://login.example/desk?next=%2F");
	assert_true(a->auth.graph); /* idmgr_dir is set */
	assert_int_equal(a->qos.user_sessions, 2);
	assert_int_equal(a->qos.rate_bps, 1250000);
	assert_int_equal(a->qos.burst_bytes, 65536);
	assert_int_equal(a->qos.usage_interval_s, 60);
	/* reload: keys (rotation), on_fail and qos change at once */
	snprintf(tail, sizeof(tail),
		 "    auth: {mode: token, keys: [{id: 1, file: %s}], graph: false}\n"
		 "    qos: {user_sessions: 5}\n",
		 kf);
	write_cfg(dir, true, tail, kf, path, sizeof(path));
	assert_int_equal(sg_ctl_cfg_reload(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(a->auth.n_keys, 1);
	assert_int_equal(a->auth.keys[0].id, 1);
	assert_int_equal(a->auth.on_fail, SG_CTL_AUTH_FAIL_FORBID);
	assert_false(a->auth.graph);
	assert_int_equal(a->qos.user_sessions, 5);
	assert_int_equal(a->qos.rate_bps, 0);
	/* mode needs a restart */
	write_cfg(dir, true, "", kf, path, sizeof(path));
	assert_int_equal(sg_ctl_cfg_reload(&cfg, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "auth.mode changed: restart"));
	assert_int_equal(a->auth.mode, SG_CTL_AUTH_TOKEN);
	/* anonymous by default */
	assert_int_equal(load(dir, "", kf, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.apps[0].auth.mode, SG_CTL_AUTH_ANONYMOUS);
	/* a key file others may read is refused */
	assert_int_equal(chmod(kf, 0644), 0);
	snprintf(tail, sizeof(tail), "    auth: {mode: token, keys: [{id: 1, file: %s}]}\n", kf);
	assert_int_equal(load(dir, tail, kf, &cfg2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "auth.keys[0].file"));
	assert_int_equal(chmod(kf, 0600), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(dir, bad[i].tail, kf, &cfg2, err, sizeof(err)), -EINVAL);
		if (strstr(err, bad[i].want) == NULL)
			fail_msg("case %u: '%s' not in '%s'", i, bad[i].want, err);
	}
	/* graph: true without idmgr */
	write_cfg(dir, false, "    auth: {mode: token, keys: [{id: 1, file: @K}], graph: true}\n",
		  kf, path, sizeof(path));
	assert_int_equal(sg_ctl_cfg_load(path, &cfg2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "auth.graph: true needs control.idmgr_dir"));
	/* graph's default without idmgr: off */
	write_cfg(dir, false, "    auth: {mode: token, keys: [{id: 1, file: @K}]}\n", kf, path,
		  sizeof(path));
	assert_int_equal(sg_ctl_cfg_load(path, &cfg2, err, sizeof(err)), 0);
	assert_false(cfg2.apps[0].auth.graph);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ admin */

/* The admin "token" request is hostile input: every field checked before it acts. */
static void
test_admin_token_requests(void **state)
{
	static const struct {
		const char *req;
		const char *err; /* NULL: accepted */
	} cases[] = {
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"alice\"}", NULL},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"user/user/"
		 "alice\",\"ttl\":31622400}",
		 NULL},
		{"{\"cmd\":\"token\",\"op\":\"check\",\"app\":\"desk\",\"token\":\"abc\"}", NULL},
		{"{\"cmd\":\"token\",\"op\":\"burn\",\"app\":\"desk\"}",
		 "op: expected mint or check"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"user\":\"alice\"}", "app: missing"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\"}", "mint: user"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a\",\"token\":\"x\"}",
		 "mint: user"},
		{"{\"cmd\":\"token\",\"op\":\"check\",\"app\":\"desk\",\"token\":\"x\",\"ttl\":5}",
		 "check: token"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a\",\"ttl\":0}",
		 "ttl: expected seconds"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a\",\"ttl\":"
		 "31622401}",
		 "ttl: expected seconds"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a\",\"ttl\":\"1\"}",
		 "ttl: expected seconds"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a b\"}",
		 "user: only letters"},
		{"{\"cmd\":\"token\",\"op\":\"check\",\"app\":\"desk\",\"token\":\"a\\r\\nb\"}",
		 "token: only letters"},
		{"{\"cmd\":\"token\",\"op\":\"check\",\"app\":\"desk\",\"token\":\""
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		 "token: expected 1 to 63"},
		{"{\"cmd\":\"token\",\"op\":\"mint\",\"app\":\"desk\",\"user\":\"a\",\"key\":1}",
		 "key: unknown key"},
	};
	struct sg_ctl_admin_req req;
	char err[256];
	unsigned int i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		rc = sg_ctl_admin_parse(cases[i].req, strlen(cases[i].req), &req, err, sizeof(err));
		if (cases[i].err == NULL) {
			if (rc != 0)
				fail_msg("case %u refused: %s", i, err);
			assert_int_equal(req.cmd, SG_CTL_ADM_TOKEN);
			continue;
		}
		assert_int_equal(rc, -EINVAL);
		if (strstr(err, cases[i].err) == NULL)
			fail_msg("case %u: '%s' not in '%s'", i, cases[i].err, err);
	}
	rc = sg_ctl_admin_parse(cases[0].req, strlen(cases[0].req), &req, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(req.op, "mint");
	assert_string_equal(req.app, "desk");
	assert_string_equal(req.user, "alice");
	assert_int_equal(req.ttl_s, 3600);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_auth_qos),
		cmocka_unit_test(test_admin_token_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
