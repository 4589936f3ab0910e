/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Liveness from `/sg/cluster`. The answer is DPDK telemetry's JSON
 * ({"/sg/cluster": {...}}), parsed with jansson as hostile input: bounded
 * size (the caller's buffer), no duplicate keys, typed fields.
 */
#include <errno.h>
#include <jansson.h>

#include "liveness.h"

#define CLUSTER_CMD "/sg/cluster"

void
sg_rt_liveness_init(struct sg_rt_liveness *lv, uint32_t stale_ms)
{
	*lv = (struct sg_rt_liveness){.stale_ms = stale_ms};
}

/* A 0/1 flag: an integer 0 or 1, or a JSON boolean. -1 if neither. */
static int
flag(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		return (int)json_integer_value(v);
	return -1;
}

/* Fill heartbeat, ready, ctl_up from the answer: 0 or -EBADMSG. */
static int
parse(const char *json, size_t len, uint64_t *hb, int *ready, int *ctl_up)
{
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *o = json_object_get(root, CLUSTER_CMD);
	json_t *h = json_object_get(o, "heartbeat");
	int rc = -EBADMSG;

	if (json_is_object(o) && json_is_integer(h) && json_integer_value(h) >= 0) {
		*hb = (uint64_t)json_integer_value(h);
		*ready = flag(o, "ready");
		*ctl_up = flag(o, "ctl_up");
		if (*ready >= 0 && *ctl_up >= 0)
			rc = 0;
	}
	json_decref(root);
	return rc;
}

int
sg_rt_liveness_update(struct sg_rt_liveness *lv, const char *json, size_t len, int err,
		      int64_t now_ms)
{
	uint64_t hb = 0;
	int ready = 0, ctl_up = 0;

	if (err == 0 && parse(json, len, &hb, &ready, &ctl_up) != 0) {
		err = -EBADMSG;
		lv->bad_answers++;
	} else if (err != 0) {
		lv->query_errors++;
	}
	lv->last_error = err;
	lv->answering = err == 0;
	if (!lv->answering) {
		/* a restarted data plane must show its own heartbeat moving */
		lv->seen = false;
		lv->heartbeat_ms = 0;
	}
	if (lv->answering && (!lv->seen || hb != lv->heartbeat)) {
		/* the first value is only a baseline: alive needs it to move */
		if (lv->seen)
			lv->heartbeat_ms = now_ms;
		lv->heartbeat = hb;
		lv->seen = true;
	}
	lv->alive = lv->answering && lv->heartbeat_ms != 0 &&
		    now_ms - lv->heartbeat_ms <= (int64_t)lv->stale_ms;
	lv->ready = lv->alive && ready == 1;
	lv->ctl_up = lv->alive && ctl_up == 1;
	return err;
}
