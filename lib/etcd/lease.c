/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Leases over the gateway: /v3/lease/grant, /v3/lease/keepalive (one
 * request, one answer: the gateway closes the stream after it) and
 * /v3/lease/revoke.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "etcd_int.h"

static json_t *
id_req(int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, id);
	return json_pack("{s:s}", "ID", buf);
}

int
sg_etcd_lease_grant(struct sg_etcd *c, unsigned int ttl_s, int64_t *id)
{
	char ttl[16];
	json_t *resp;
	int64_t got_ttl;
	int rc;

	if (ttl_s == 0 || ttl_s > 9000000) {
		sg_etcd_set_error(c, "etcd: lease TTL %u s (1 to 9000000)", ttl_s);
		return -EINVAL;
	}
	snprintf(ttl, sizeof(ttl), "%u", ttl_s);
	rc = sg_etcd_call(c, "/v3/lease/grant", json_pack("{s:s}", "TTL", ttl), &resp);
	if (rc < 0)
		return rc;
	if (sg_etcd_int(resp, "ID", id) < 0 || sg_etcd_int(resp, "TTL", &got_ttl) < 0 || *id <= 0 ||
	    got_ttl <= 0) {
		sg_etcd_set_error(c, "etcd: lease grant answer malformed");
		rc = -EPROTO;
	}
	json_decref(resp);
	return rc;
}

int
sg_etcd_lease_keepalive(struct sg_etcd *c, int64_t id)
{
	json_t *resp, *res;
	int64_t got_id, ttl;
	int rc;

	rc = sg_etcd_call(c, "/v3/lease/keepalive", id_req(id), &resp);
	if (rc < 0)
		return rc;
	res = json_object_get(resp, "result");
	if (!json_is_object(res) || sg_etcd_int(res, "ID", &got_id) < 0 ||
	    sg_etcd_int(res, "TTL", &ttl) < 0 || got_id != id || ttl < 0) {
		sg_etcd_set_error(c, "etcd: lease keepalive answer malformed");
		rc = -EPROTO;
	} else if (ttl == 0) { /* proto3 leaves TTL 0 out: expired */
		sg_etcd_set_error(c, "etcd: lease %" PRId64 " expired", id);
		rc = -ENOENT;
	}
	json_decref(resp);
	return rc;
}

int
sg_etcd_lease_revoke(struct sg_etcd *c, int64_t id)
{
	json_t *resp;
	int rc;

	rc = sg_etcd_call(c, "/v3/lease/revoke", id_req(id), &resp);
	json_decref(resp);
	return rc;
}
