/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The corpus of bad configurations: every tests/unit/config/bad/NAME.yaml
 * must be rejected with exactly the one line in NAME.err (as
 * sg-config-check prints it). A missing or empty .err, an .err without its
 * .yaml, a file that loads, or any difference fails. Run from argv[1].
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_test.h"
#include "sg_cfg.h"

#define CORPUS_MIN 35

static const char *corpus_dir;

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t l = strlen(s), m = strlen(suffix);

	return l > m && strcmp(s + l - m, suffix) == 0;
}

/* The expected line of NAME.err, or NULL (reported) when missing/empty/multi-line. */
static char *
read_expected(const char *errname)
{
	static char line[1024];
	FILE *f = fopen(errname, "r");
	size_t n;

	if (f == NULL) {
		print_error("%s: missing\n", errname);
		return NULL;
	}
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n == 0 || strchr(line, '\n') != NULL) {
		print_error("%s: must hold exactly one non-empty line\n", errname);
		return NULL;
	}
	return line;
}

static void
test_corpus(void **state)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i, yamls = 0;
	unsigned int failures = 0;
	struct dirent *de;
	DIR *d;

	(void)state;
	assert_int_equal(chdir(corpus_dir), 0);
	d = opendir(".");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".yaml") && !has_suffix(de->d_name, ".err"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	if (n == 0 || names == NULL) {
		fail_msg("no .yaml/.err files in the corpus directory");
		return;
	}
	qsort(names, n, sizeof(*names), cmp_names);

	for (i = 0; i < n; i++) {
		char other[512];
		struct sg_cfg_error err;
		struct sg_cfg *cfg = (struct sg_cfg *)0x1;
		const char *want;
		int rc;

		if (has_suffix(names[i], ".err")) {
			snprintf(other, sizeof(other), "%.*s.yaml", (int)(strlen(names[i]) - 4),
				 names[i]);
			if (access(other, F_OK) != 0) {
				print_error("%s: no %s beside it\n", names[i], other);
				failures++;
			}
			continue;
		}
		yamls++;
		snprintf(other, sizeof(other), "%.*s.err", (int)(strlen(names[i]) - 5), names[i]);
		want = read_expected(other);
		if (want == NULL) {
			failures++;
			continue;
		}
		memset(&err, 0, sizeof(err));
		rc = sg_cfg_load_file(names[i], &cfg, &err);
		if (rc == 0) {
			print_error("%s: loaded, but should fail with\n  %s\n", names[i], want);
			sg_cfg_free(cfg);
			failures++;
			continue;
		}
		if (cfg != NULL || (rc != -EINVAL && rc != -EFBIG)) {
			print_error("%s: rc %d, cfg %p\n", names[i], rc, (void *)cfg);
			failures++;
		}
		if (strcmp(err_text(&err), want) != 0) {
			print_error("%s:\n  want %s\n  got  %s\n", names[i], want, err_text(&err));
			failures++;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	print_message("corpus: %zu bad files checked\n", yamls);
	assert_int_equal(failures, 0);
	assert_true(yamls >= CORPUS_MIN);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	corpus_dir = argv[1];
	return cmocka_run_group_tests_name("config_corpus", tests, NULL, NULL);
}
