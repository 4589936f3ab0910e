/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading generated configurations in the config unit tests (include after
 * cmocka.h): a fixed head of the test's own plus a body, loaded and
 * round-tripped, or rejected with an exact error line.
 */
#ifndef SG_CFG_LOAD_H
#define SG_CFG_LOAD_H

#include <errno.h>

#include "cfg_roundtrip.h"
#include "cfg_test.h"
#include "sg_cfg.h"

/* @p top + @p body loaded (the test fails otherwise) and round-tripped. */
static inline struct sg_cfg *
cfg_load_ok(const char *top, const char *body)
{
	struct tbuf b = {0};
	struct sg_cfg_error err;
	struct sg_cfg *cfg = NULL;

	tbuf_printf(&b, "%s%s", top, body);
	if (sg_cfg_load_buffer(b.p, b.len, "h.yaml", &cfg, &err) != 0)
		fail_msg("%s\n%s", err_text(&err), b.p);
	tbuf_free(&b);
	check_round_trip(cfg);
	return cfg;
}

/* @p top + @p body is rejected with exactly @p want. */
static inline void
cfg_load_bad(const char *top, const char *body, const char *want)
{
	struct tbuf b = {0};
	struct sg_cfg_error err;
	struct sg_cfg *cfg = (struct sg_cfg *)0x1;
	int rc;

	tbuf_printf(&b, "%s%s", top, body);
	memset(&err, 0, sizeof(err));
	rc = sg_cfg_load_buffer(b.p, b.len, "h.yaml", &cfg, &err);
	if (rc == 0)
		fail_msg("loaded, but should fail with\n  %s\n%s", want, b.p);
	assert_int_equal(rc, -EINVAL);
	assert_null(cfg);
	if (strcmp(err_text(&err), want) != 0)
		fail_msg("want %s\ngot  %s\n%s", want, err_text(&err), b.p);
	tbuf_free(&b);
}

#endif /* SG_CFG_LOAD_H */
