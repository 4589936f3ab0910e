/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: sg_cfg_load_buffer() on arbitrary bytes. Besides "no
 * crash, no leak, no UB" it checks two properties on every input:
 *   - a rejected input returns no configuration and a formatted error;
 *   - an accepted one dumps to YAML that loads again and dumps the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
dump(const struct sg_cfg *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL || sg_cfg_dump(cfg, f) != 0)
		abort();
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL, *again = NULL;
	char line[1024];
	size_t l1, l2;
	char *d1, *d2;

	if (sg_cfg_load_buffer((const char *)data, size, "fuzz.yaml", &cfg, &err) != 0) {
		if (cfg != NULL)
			abort();
		sg_cfg_error_format(&err, line, sizeof(line));
		if (strncmp(line, "fuzz.yaml", 9) != 0)
			abort();
		return 0;
	}
	d1 = dump(cfg, &l1);
	if (sg_cfg_load_buffer(d1, l1, "dump.yaml", &again, &err) != 0) {
		fprintf(stderr, "dump does not load: %s\n%s\n",
			sg_cfg_error_format(&err, line, sizeof(line)), d1);
		abort();
	}
	d2 = dump(again, &l2);
	/* Skip the first line: it names the file. */
	if (strcmp(strchr(d1, '\n'), strchr(d2, '\n')) != 0) {
		fprintf(stderr, "dump differs after a reload:\n%s\n---\n%s\n", d1, d2);
		abort();
	}
	free(d1);
	free(d2);
	sg_cfg_free(again);
	sg_cfg_free(cfg);
	return 0;
}
