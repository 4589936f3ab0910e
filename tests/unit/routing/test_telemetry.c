/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/telemetry against a fake DPDK telemetry server: a SOCK_SEQPACKET
 * listener in a thread that plays one scripted behaviour per test (answer,
 * oversize answer, silence, hang-up) and records the command it received.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sg_cfg.h"
#include "sg_telemetry.h"

#define GREETING "{\"version\": \"DPDK 22.11.4\", \"pid\": 1, \"max_output_len\": 16384}"

enum fake_mode {
	FAKE_ANSWER,   /* greeting, then the answer */
	FAKE_OVERSIZE, /* greeting, then an answer larger than the client's buffer */
	FAKE_SILENT,   /* accept, say nothing */
	FAKE_HANGUP,   /* greeting, then close */
	FAKE_NO_GREET, /* accept, close at once */
};

struct fake {
	char dir[64];
	char path[96];
	int lfd;
	enum fake_mode mode;
	const char *answer;
	size_t oversize;
	char got[1100];
	pthread_t th;
};

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	int c = accept(f->lfd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (f->mode == FAKE_SILENT) {
		usleep(800 * 1000);
		close(c);
		return NULL;
	}
	if (f->mode == FAKE_NO_GREET) {
		close(c);
		return NULL;
	}
	send(c, GREETING, strlen(GREETING), MSG_NOSIGNAL);
	if (f->mode == FAKE_HANGUP) {
		close(c);
		return NULL;
	}
	ssize_t n = recv(c, f->got, sizeof(f->got) - 1, 0);
	if (n > 0)
		f->got[n] = '\0';
	if (f->mode == FAKE_ANSWER) {
		send(c, f->answer, strlen(f->answer), MSG_NOSIGNAL);
	} else {
		char *big = malloc(f->oversize);

		assert_non_null(big);
		memset(big, 'x', f->oversize);
		big[0] = '{';
		send(c, big, f->oversize, MSG_NOSIGNAL);
		free(big);
	}
	close(c);
	return NULL;
}

static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	f->mode = mode;
	strcpy(f->dir, "/tmp/sgtel.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/dpdk_telemetry.v2", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(f->lfd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_answer(void **state)
{
	struct fake f = {.answer = "{\"/sg/cluster\": {\"heartbeat\": 42, \"ready\": 1}}"};
	char buf[256];
	(void)state;

	fake_start(&f, FAKE_ANSWER);
	int n = sg_tel_query(f.path, "/sg/cluster", buf, sizeof(buf), 1000);
	fake_stop(&f);
	assert_int_equal(n, (int)strlen(f.answer));
	assert_string_equal(buf, f.answer);
	assert_string_equal(f.got, "/sg/cluster");
}

static void
test_oversize(void **state)
{
	struct fake f = {.oversize = 4096};
	char buf[1024];
	(void)state;

	fake_start(&f, FAKE_OVERSIZE);
	int n = sg_tel_query(f.path, "/sg/stats", buf, sizeof(buf), 1000);
	fake_stop(&f);
	assert_int_equal(n, -EMSGSIZE);
	assert_string_equal(buf, "");

	/* exactly the buffer's capacity (len - 1 bytes and the NUL) fits */
	struct fake g = {.oversize = sizeof(buf) - 1};
	fake_start(&g, FAKE_OVERSIZE);
	n = sg_tel_query(g.path, "/sg/stats", buf, sizeof(buf), 1000);
	fake_stop(&g);
	assert_int_equal(n, (int)sizeof(buf) - 1);
	assert_int_equal(buf[0], '{');
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
}

static void
test_timeout(void **state)
{
	struct fake f = {0};
	char buf[256];
	(void)state;

	fake_start(&f, FAKE_SILENT);
	double t0 = now_ms();
	int n = sg_tel_query(f.path, "/sg/cluster", buf, sizeof(buf), 200);
	double dt = now_ms() - t0;
	fake_stop(&f);
	assert_int_equal(n, -ETIMEDOUT);
	assert_true(dt >= 150 && dt < 700);
}

static void
test_hangup(void **state)
{
	struct fake f = {0};
	char buf[256];
	(void)state;

	fake_start(&f, FAKE_HANGUP);
	assert_int_equal(sg_tel_query(f.path, "/sg/cluster", buf, sizeof(buf), 1000), -ECONNRESET);
	fake_stop(&f);
	fake_start(&f, FAKE_NO_GREET);
	assert_int_equal(sg_tel_query(f.path, "/sg/cluster", buf, sizeof(buf), 1000), -ECONNRESET);
	fake_stop(&f);
}

static void
test_no_socket(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/sgtel.XXXXXX", path[96], buf[64];
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2", dir);
	assert_int_equal(sg_tel_query(path, "/sg/cluster", buf, sizeof(buf), 100), -ENOENT);
	/* a socket file nobody listens on (a data plane killed with -9) */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(sg_tel_query(path, "/sg/cluster", buf, sizeof(buf), 100), -ECONNREFUSED);
	unlink(path);
	rmdir(dir);
}

static void
test_bad_args(void **state)
{
	char buf[64], longcmd[1100];
	(void)state;

	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[0] = '/';
	longcmd[sizeof(longcmd) - 1] = '\0';
	assert_int_equal(sg_tel_query("/nonexistent", "sg/cluster", buf, sizeof(buf), 100),
			 -EINVAL);
	assert_int_equal(sg_tel_query("/nonexistent", "/sg/\ncluster", buf, sizeof(buf), 100),
			 -EINVAL);
	assert_int_equal(sg_tel_query("/nonexistent", longcmd, buf, sizeof(buf), 100), -EINVAL);
	assert_int_equal(sg_tel_query("/nonexistent", "/sg/cluster", buf, 1, 100), -EINVAL);
	assert_int_equal(sg_tel_query("/nonexistent", "/sg/cluster", buf, sizeof(buf), 0), -EINVAL);
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[0] = '/';
	assert_int_equal(sg_tel_query(longcmd, "/sg/cluster", buf, sizeof(buf), 100),
			 -ENAMETOOLONG);
}

static void
test_socket_path(void **state)
{
	static struct sg_cfg cfg;
	char buf[256];
	(void)state;

	assert_int_equal(sg_tel_socket_path(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/run/dpdk/sessiongate/dpdk_telemetry.v2");
	strcpy(cfg.appliance.file_prefix, "sg-a");
	assert_int_equal(sg_tel_socket_path(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/run/dpdk/sg-a/dpdk_telemetry.v2");
	strcpy(cfg.appliance.telemetry_dir, "/run/x");
	assert_int_equal(sg_tel_socket_path(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/x/dpdk_telemetry.v2");
	assert_int_equal(sg_tel_socket_path(&cfg, buf, 10), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),	    cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_timeout),	    cmocka_unit_test(test_hangup),
		cmocka_unit_test(test_no_socket),   cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_socket_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
