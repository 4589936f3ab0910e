/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the idmgr tests: scratch store directories. */
#ifndef IDMGR_TEST_H
#define IDMGR_TEST_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * snprintf() into a test's fixed buffer. A name or key cut short would make the
 * test look up or check something else than it means to, so stop loudly.
 */
static inline __attribute__((format(printf, 3, 4))) void
idt_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		(void)fprintf(stderr, "test buffer of %zu bytes too small for \"%s\"\n", len, fmt);
		abort();
	}
}

static int
idt_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory under $TMPDIR (or /tmp); the store goes in <dir>/store. */
static inline char *
idt_mkdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&dir, "%s/sgid-test-XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

static inline char *
idt_store_path(const char *dir)
{
	char *p;

	if (asprintf(&p, "%s/store", dir) < 0)
		return NULL;
	return p;
}

static inline void
idt_rmdir(char *dir)
{
	if (dir != NULL)
		nftw(dir, idt_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static inline double
idt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
