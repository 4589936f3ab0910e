/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small helpers shared by the config unit tests: a growable text buffer
 * for generated (hostile) inputs, and assertions on struct sg_cfg_error.
 */
#ifndef SG_CFG_TEST_H
#define SG_CFG_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_cfg.h"

struct tbuf {
	char *p;
	size_t len;
	size_t cap;
};

static inline void
tbuf_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void __attribute__((format(printf, 2, 3)))
tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		abort();
	tbuf_add(b, tmp, (size_t)n);
}

static inline void
tbuf_repeat(struct tbuf *b, const char *s, size_t times)
{
	size_t n = strlen(s), i;

	for (i = 0; i < times; i++)
		tbuf_add(b, s, n);
}

static inline void
tbuf_free(struct tbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* "file:line:col: key: msg" of an error, in a static buffer. */
static inline const char *
err_text(const struct sg_cfg_error *err)
{
	static char line[1024];

	return sg_cfg_error_format(err, line, sizeof(line));
}

/* CPU seconds used by this process so far. */
static inline double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* SG_CFG_TEST_H */
