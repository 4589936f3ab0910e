/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The usage lines without jansson and their buffer (control/jline.c,
 * jlog.c): the same bytes jansson wrote (usage_ref.c), hostile names
 * escaped, a line that does not fit refused; held lines written whole,
 * kept across a disk that refuses them (RLIMIT_FSIZE: a short write, then
 * EFBIG) without the buffer growing, every line lost counted, and written
 * by sg_ctl_jlog_fini.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "jline.h"
#include "jlog.h"
#include "usage.h"
#include "usage_ref.h"

/* An installed session of alice on vm-a (host-a), app "desk". */
struct sess {
	struct sg_ctl_app_cfg acfg;
	struct sg_ctl_vm_cfg vcfg;
	struct sg_ctl_host_cfg hcfg;
	struct sg_ctl_app app;
	struct sg_ctl_vm vm;
	struct sg_ctl_host host;
	struct sg_ctl_cs cs;
};

static void
sess_init(struct sess *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->acfg.name, "desk");
	strcpy(s->vcfg.name, "vm-a");
	strcpy(s->hcfg.name, "host-a");
	s->app.cfg = &s->acfg;
	s->vm.cfg = &s->vcfg;
	s->host.cfg = &s->hcfg;
	s->vm.host = &s->host;
	s->cs.app = &s->app;
	s->cs.vm = &s->vm;
	s->cs.session_id = 0xbe0000001234ull;
	s->cs.user_id = 0x1000000000000abcull;
	s->cs.created_ms = 1796560000123ull;
	s->cs.reason = SG_MSG_REASON_IDLE;
	strcpy(s->cs.user, "alice");
	s->cs.flow.family = SG_WIRE_FAMILY_V4;
	s->cs.flow.proto = 6;
	s->cs.flow.sport = 40000;
	s->cs.flow.dport = 443;
	inet_pton(AF_INET, "198.18.0.7", s->cs.flow.saddr);
	inet_pton(AF_INET, "198.18.10.1", s->cs.flow.daddr);
}

/* jline's record == jansson's compact dump of the reference, byte for byte. */
static void
same_as_jansson(const struct sg_ctl_cs *cs, const struct sg_msg_session_closed *c, bool interim)
{
	char line[SG_CTL_JLOG_LINE_MAX], ref[SG_CTL_JLOG_LINE_MAX];
	json_t *o = usage_ref_json(cs, c, interim, 1796560009999ull);
	size_t n = json_dumpb(o, ref, sizeof(ref) - 1, JSON_COMPACT);
	int len = sg_ctl_usage_line(line, sizeof(line), cs, c, interim, 1796560009999ull);

	json_decref(o);
	ref[n++] = '\n';
	assert_int_equal(len, (int)n);
	assert_memory_equal(line, ref, n);
}

static void
test_same_bytes(void **state)
{
	struct sess s;
	struct sg_msg_session_closed c = {.reason = SG_MSG_REASON_IDLE,
					  .flags = SG_MSG_USAGE_S2C_ACKED,
					  .installed_ms = 4294967295u,
					  .pkts_c2s = 12,
					  .pkts_s2c = 0,
					  .bytes_c2s = 9223372036854775807ull,
					  .bytes_s2c = 1234567890123ull,
					  .qos_dropped = 7};

	(void)state;
	sess_init(&s);
	same_as_jansson(&s.cs, &c, false);
	same_as_jansson(&s.cs, &c, true);
	same_as_jansson(&s.cs, NULL, false); /* never installed: zeros */
	/* IPv6, UDP, anonymous, no VM; a user with every kind of byte jansson escapes */
	s.cs.flow.family = SG_WIRE_FAMILY_V6;
	s.cs.flow.proto = 17;
	inet_pton(AF_INET6, "2001:2::7", s.cs.flow.saddr);
	inet_pton(AF_INET6, "2001:2:0:10::1", s.cs.flow.daddr);
	s.cs.user_id = 0;
	s.cs.vm = NULL;
	snprintf(s.cs.user, sizeof(s.cs.user),
		 "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xe2\x82\xac");
	same_as_jansson(&s.cs, &c, false);
	s.cs.app = NULL;
	strcpy(s.cs.user, "\xf0\x9f\x98\x80 4-byte");
	same_as_jansson(&s.cs, &c, false);
	/* not UTF-8 (a lone continuation, overlong, a surrogate, past U+10FFFF, cut): "" */
	strcpy(s.cs.user, "x\x80");
	same_as_jansson(&s.cs, &c, false);
	strcpy(s.cs.user, "\xc0\xaf");
	same_as_jansson(&s.cs, &c, false);
	strcpy(s.cs.user, "\xed\xa0\x80");
	same_as_jansson(&s.cs, &c, false);
	strcpy(s.cs.user, "\xf4\x90\x80\x80");
	same_as_jansson(&s.cs, &c, false);
	strcpy(s.cs.user, "ok\xe2\x82");
	same_as_jansson(&s.cs, &c, false);
	/* a user of 63 bytes, every one escaped to six: still one line */
	memset(s.cs.user, 0x01, sizeof(s.cs.user));
	same_as_jansson(&s.cs, &c, false);
}

static void
test_line_too_long(void **state)
{
	struct sess s;
	char line[200];
	struct sg_ctl_jline j;

	(void)state;
	sess_init(&s);
	assert_int_equal(sg_ctl_usage_line(line, sizeof(line), &s.cs, NULL, false, 1), -EMSGSIZE);
	sg_ctl_jline_init(&j, line, 13);
	sg_ctl_jline_str(&j, "k", "12345");
	assert_int_equal(sg_ctl_jline_end(&j), -EMSGSIZE);
	sg_ctl_jline_init(&j, line, 14);
	sg_ctl_jline_str(&j, "k", "12345");
	assert_int_equal(sg_ctl_jline_end(&j), 14);
	assert_memory_equal(line, "{\"k\":\"12345\"}\n", 14);
}

struct dir {
	char path[64], file[96];
};

static int
setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->path, "/tmp/sgctl-jlog-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->file, sizeof(d->file), "%s/usage.jsonl", d->path);
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dir *d = *state;
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static off_t
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Lines of exactly @p n bytes: {"i":123,"pad":"xxx..."}\n */
static void
mkline(char *buf, size_t n, unsigned int i)
{
	int h = snprintf(buf, n, "{\"i\":%u,\"pad\":\"", i);

	memset(buf + h, 'x', n - (size_t)h - 3);
	buf[n - 3] = '"';
	buf[n - 2] = '}';
	buf[n - 1] = '\n';
}

/* Every line of @p path whole JSON with i = 0, 1, ...; @return their count. */
static unsigned int
check_lines(const char *path)
{
	char line[2048];
	unsigned int n = 0;
	FILE *fp = fopen(path, "r");
	json_t *o;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		o = json_loads(line, 0, NULL);
		assert_non_null(o);
		assert_int_equal(json_integer_value(json_object_get(o, "i")), n);
		json_decref(o);
		n++;
	}
	fclose(fp);
	return n;
}

#define LINE 1000

static void
test_disk_refuses(void **state)
{
	struct dir *d = *state;
	struct sg_ctl_jlog l;
	struct rlimit old, lim;
	char line[LINE];
	unsigned int i, first = SG_CTL_JLOG_BUF / 2 / LINE + 1, total = 3 * first;
	uint64_t now = 5;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64 << 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	sg_ctl_jlog_init(&l);
	sg_ctl_jlog_config(&l, d->file, 64, 1);
	for (i = 0; i < total; i++) {
		mkline(line, LINE, i);
		(void)sg_ctl_jlog_put(&l, line, LINE, now);
		assert_true(l.held <= SG_CTL_JLOG_BUF);
		if (i + 1 < first) /* under half the buffer: nothing written yet */
			assert_int_equal(fsize(d->file), 0);
	}
	/* half full: one write, cut at 64 KiB; the rest held, then a pause */
	assert_int_equal(fsize(d->file), 64 << 10);
	assert_int_equal(l.lines, (64 << 10) / LINE);
	assert_int_equal(l.held, first * LINE - (64 << 10));
	assert_int_equal(l.held_lines, first - (64 << 10) / LINE);
	assert_int_equal(l.errors, total - first); /* put during the pause: lost, counted */
	assert_true(l.failing);
	/* still refused after the pause: held, not grown, not written twice */
	assert_int_equal(sg_ctl_jlog_flush(&l, now + 2000000000ull), -EFBIG);
	assert_int_equal(l.held, first * LINE - (64 << 10));
	/* the disk takes it again: the cut line is completed, nothing else lost */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sg_ctl_jlog_flush(&l, now + 2000000000ull), -EAGAIN); /* paused */
	assert_int_equal(sg_ctl_jlog_flush(&l, now + 4000000000ull), 0);
	assert_false(l.failing);
	assert_int_equal(l.lines, first);
	assert_int_equal(check_lines(d->file), first);
	mkline(line, LINE, first);
	assert_int_equal(sg_ctl_jlog_put(&l, line, LINE, now + 4000000000ull), 0);
	sg_ctl_jlog_fini(&l); /* exit: the held line written */
	assert_int_equal(l.lines, first + 1);
	assert_int_equal(check_lines(d->file), first + 1);
	assert_int_equal(l.errors, total - first);
}

/* Rotation writes the held lines to the file they belong to first. */
static void
test_rotation_order(void **state)
{
	struct dir *d = *state;
	struct sg_ctl_jlog l;
	char line[LINE], name[128];
	unsigned int i, per = (1 << 20) / LINE;

	sg_ctl_jlog_init(&l);
	sg_ctl_jlog_config(&l, d->file, 1, 1);
	for (i = 0; i < per + 10; i++) {
		mkline(line, LINE, i);
		assert_int_equal(sg_ctl_jlog_put(&l, line, LINE, 1), 0);
	}
	assert_int_equal(l.rotations, 1);
	sg_ctl_jlog_fini(&l);
	assert_int_equal(sg_ctl_jlog_name(name, sizeof(name), d->file, 1), 0);
	assert_int_equal(check_lines(name), per);
	assert_int_equal(fsize(name), per * LINE);
	assert_int_equal(fsize(d->file), 10 * LINE);
	assert_int_equal(l.lines, per + 10);
	assert_int_equal(l.errors, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test_setup_teardown(test_disk_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
