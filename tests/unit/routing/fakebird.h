/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake BIRD control socket for the unit tests: a unix stream listener in
 * a thread that greets, records each command line and answers it as the
 * current mode says (as BIRD 2.0.12 does, or hostile).
 */
#ifndef SG_TEST_FAKEBIRD_H
#define SG_TEST_FAKEBIRD_H

#include <pthread.h>
#include <stdbool.h>

enum fakebird_mode {
	FB_BIRD,       /* answers like BIRD 2.0.12 */
	FB_LONG_LINE,  /* a line longer than SG_RT_BIRD_LINE_MAX */
	FB_MANY_LINES, /* more than SG_RT_BIRD_LINES_MAX lines */
	FB_GARBAGE,    /* a line without a code */
	FB_SILENT,     /* never answers */
	FB_CLOSE,      /* closes on the first command */
	FB_BAD_GREET,  /* greets with an error code */
	FB_REFUSE,     /* "9001 syntax error" to everything */
	FB_NUL,	       /* a line with a NUL byte */
};

struct fakebird {
	char dir[32];
	char path[64];
	int lfd;
	volatile enum fakebird_mode mode;
	volatile bool stop;
	pthread_mutex_t lock;
	char log[8192]; /* commands received, one per line */
	unsigned int n_cmds;
	unsigned int n_conns;
	pthread_t th;
};

void fakebird_start(struct fakebird *fb, enum fakebird_mode mode);
void fakebird_stop(struct fakebird *fb);
/* Forget the recorded commands. */
void fakebird_clear(struct fakebird *fb);

#endif
