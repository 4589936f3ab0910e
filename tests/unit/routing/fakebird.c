/* SPDX-License-Identifier: BSD-3-Clause */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fakebird.h"

#define SHOW_PROTOCOLS                                                                \
	"2002-Name       Proto      Table      State  Since         Info\n"           \
	"1002-sg_device  Device     ---        up     11:14:18.125  \n"               \
	"1006-\n"                                                                     \
	" \n"                                                                         \
	"1002-sg_vips    Static     master4    up     11:14:20.826  \n"               \
	"1006-  Channel ipv4\n"                                                       \
	"     State:          UP\n"                                                   \
	"     Routes:         2 imported, 0 exported, 2 preferred\n"                  \
	" \n"                                                                         \
	"1002-sg_bgp1    BGP        ---        up     11:14:25.001  Established   \n" \
	"1006-  Description:    router\n"                                             \
	"   BGP state:          Established\n"                                        \
	"     Neighbor address: 198.18.2.1\n"                                         \
	"   Channel ipv4\n"                                                           \
	"     State:          UP\n"                                                   \
	"     Routes:         0 imported, 3 exported, 0 preferred\n"                  \
	" \n"                                                                         \
	"0000 \n"

static void
put(int c, const char *s)
{
	send(c, s, strlen(s), MSG_NOSIGNAL);
}

static void
answer(struct fakebird *fb, int c, const char *cmd)
{
	char buf[256], name[128];

	switch (fb->mode) {
	case FB_LONG_LINE: {
		char big[2000];

		memset(big, 'x', sizeof(big));
		big[0] = big[1] = big[2] = big[3] = '0';
		big[4] = ' '; /* a code, then 1995 bytes without a newline */
		send(c, big, sizeof(big), MSG_NOSIGNAL);
		put(c, "\n");
		return;
	}
	case FB_MANY_LINES:
		for (int i = 0; i < 5000; i++)
			put(c, "1002-x\n");
		put(c, "0000 \n");
		return;
	case FB_GARBAGE:
		put(c, "hello there\n");
		return;
	case FB_NUL:
		send(c, "0000 a\0b\n", 9, MSG_NOSIGNAL);
		return;
	case FB_REFUSE:
		put(c, "9001 syntax error, unexpected CF_SYM_UNDEFINED\n");
		return;
	default:
		break;
	}
	if (sscanf(cmd, "enable %127s", name) == 1) {
		snprintf(buf, sizeof(buf), "0011-%s: enabled\n0000 \n", name);
		put(c, buf);
	} else if (sscanf(cmd, "disable %127s", name) == 1) {
		snprintf(buf, sizeof(buf), "0009-%s: disabled\n0000 \n", name);
		put(c, buf);
	} else if (strcmp(cmd, "show protocols all") == 0) {
		put(c, SHOW_PROTOCOLS);
	} else {
		put(c, "9001 syntax error\n");
	}
}

/* Serve one connection until the client closes or the test stops. */
static void
serve(struct fakebird *fb, int c)
{
	char in[4096];
	size_t len = 0;

	if (fb->mode == FB_BAD_GREET) {
		put(c, "9999 not bird\n");
		return;
	}
	put(c, "0001 BIRD 2.0.12 ready.\n");
	while (!fb->stop) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		char *nl;

		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = recv(c, in + len, sizeof(in) - 1 - len, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
		while ((nl = memchr(in, '\n', len)) != NULL) {
			*nl = '\0';
			pthread_mutex_lock(&fb->lock);
			strncat(fb->log, in, sizeof(fb->log) - strlen(fb->log) - 2);
			strcat(fb->log, "\n");
			fb->n_cmds++;
			pthread_mutex_unlock(&fb->lock);
			if (fb->mode == FB_CLOSE)
				return;
			if (fb->mode != FB_SILENT)
				answer(fb, c, in);
			len -= (size_t)(nl + 1 - in);
			memmove(in, nl + 1, len);
		}
	}
}

static void *
run(void *arg)
{
	struct fakebird *fb = arg;

	while (!fb->stop) {
		struct pollfd p = {.fd = fb->lfd, .events = POLLIN};

		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(fb->lfd, NULL, NULL);
		if (c < 0)
			continue;
		fb->n_conns++;
		serve(fb, c);
		close(c);
	}
	return NULL;
}

void
fakebird_start(struct fakebird *fb, enum fakebird_mode mode)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(fb, 0, sizeof(*fb));
	fb->mode = mode;
	strcpy(fb->dir, "/tmp/sgbird.XXXXXX");
	if (mkdtemp(fb->dir) == NULL)
		abort();
	snprintf(fb->path, sizeof(fb->path), "%s/bird.ctl", fb->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fb->path);
	fb->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fb->lfd < 0 || bind(fb->lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fb->lfd, 4) != 0)
		abort();
	pthread_mutex_init(&fb->lock, NULL);
	if (pthread_create(&fb->th, NULL, run, fb) != 0)
		abort();
}

void
fakebird_stop(struct fakebird *fb)
{
	fb->stop = true;
	pthread_join(fb->th, NULL);
	close(fb->lfd);
	unlink(fb->path);
	rmdir(fb->dir);
	pthread_mutex_destroy(&fb->lock);
}

void
fakebird_clear(struct fakebird *fb)
{
	pthread_mutex_lock(&fb->lock);
	fb->log[0] = '\0';
	fb->n_cmds = 0;
	pthread_mutex_unlock(&fb->lock);
}
