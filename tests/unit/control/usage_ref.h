/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The usage record as jansson rendered it before jline.c (the "usage"
 * engineer's usage.c, kept as the reference): test_jlog.c checks that
 * jline.c writes the same bytes, bench_usage.c measures both.
 */
#ifndef SG_TEST_USAGE_REF_H
#define SG_TEST_USAGE_REF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"
#include "sessiongate/sg_msg.h"

/** The record of @p cs as a jansson object (new reference). */
json_t *usage_ref_json(const struct sg_ctl_cs *cs, const struct sg_msg_session_closed *c,
		       bool interim, uint64_t end_ms);

#endif /* SG_TEST_USAGE_REF_H */
