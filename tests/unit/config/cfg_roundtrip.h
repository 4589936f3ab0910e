/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dump round trip of the config unit tests (include after cmocka.h):
 * a loaded configuration dumps to YAML that loads again and dumps the same.
 */
#ifndef SG_CFG_ROUNDTRIP_H
#define SG_CFG_ROUNDTRIP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_test.h"
#include "sg_cfg.h"

static inline char *
dump_to_string(const struct sg_cfg *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(sg_cfg_dump(cfg, f), 0);
	fclose(f);
	return buf;
}

/* Dump, reload the dump, dump again: both dumps equal (after the comment line). */
static inline void
check_round_trip(const struct sg_cfg *cfg)
{
	struct sg_cfg_error err;
	struct sg_cfg *again = NULL;
	size_t l1, l2;
	char *d1 = dump_to_string(cfg, &l1), *d2;
	int rc = sg_cfg_load_buffer(d1, l1, "dump.yaml", &again, &err);

	if (rc != 0)
		fail_msg("dump does not load: %s\n%s", err_text(&err), d1);
	d2 = dump_to_string(again, &l2);
	assert_string_equal(strchr(d1, '\n'), strchr(d2, '\n'));
	assert_int_equal(again->n_vs, cfg->n_vs);
	assert_int_equal(again->n_pools, cfg->n_pools);
	free(d1);
	free(d2);
	sg_cfg_free(again);
}

#endif /* SG_CFG_ROUNDTRIP_H */
