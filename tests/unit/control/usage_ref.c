/* SPDX-License-Identifier: BSD-3-Clause */
/* The jansson rendering of a usage record (usage_ref.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cs.h"
#include "usage_ref.h"

static json_t *
j_hex(uint64_t id)
{
	char buf[24];

	if (id == 0)
		return json_string("");
	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)id);
	return json_string(buf);
}

static json_t *
j_ip(uint8_t family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN] = "";

	inet_ntop(family == SG_WIRE_FAMILY_V6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	return json_string(buf);
}

static void
ref_common(json_t *o, const struct sg_ctl_cs *cs)
{
	const struct sg_msg_flow *f = &cs->flow;
	char user[SG_CTL_NAME_MAX];

	memcpy(user, cs->user, sizeof(user));
	user[sizeof(user) - 1] = '\0';
	json_object_set_new(o, "session_id", j_hex(cs->session_id));
	json_object_set_new(o, "user", json_string(user) ?: json_string(""));
	json_object_set_new(o, "user_id", j_hex(cs->user_id));
	json_object_set_new(o, "app", json_string(cs->app != NULL ? cs->app->cfg->name : ""));
	json_object_set_new(o, "vm", json_string(cs->vm != NULL ? cs->vm->cfg->name : ""));
	json_object_set_new(
		o, "host",
		json_string(cs->vm != NULL && cs->vm->host != NULL ? cs->vm->host->cfg->name : ""));
	json_object_set_new(o, "client", j_ip(f->family, f->saddr));
	json_object_set_new(o, "client_port", json_integer(f->sport));
	json_object_set_new(o, "vip", j_ip(f->family, f->daddr));
	json_object_set_new(o, "vip_port", json_integer(f->dport));
	json_object_set_new(o, "proto", json_string(f->proto == 17 ? "udp" : "tcp"));
	json_object_set_new(o, "family",
			    json_string(f->family == SG_WIRE_FAMILY_V6 ? "ipv6" : "ipv4"));
}

json_t *
usage_ref_json(const struct sg_ctl_cs *cs, const struct sg_msg_session_closed *c, bool interim,
	       uint64_t end_ms)
{
	static const struct sg_msg_session_closed zero;
	json_t *o = json_object();

	if (c == NULL)
		c = &zero;
	json_object_set_new(o, "kind", json_string(interim ? "interim" : "final"));
	ref_common(o, cs);
	json_object_set_new(o, "start_ms", json_integer((json_int_t)cs->created_ms));
	json_object_set_new(o, "end_ms", json_integer((json_int_t)end_ms));
	json_object_set_new(o, "installed_ms", json_integer(c->installed_ms));
	json_object_set_new(o, "pkts_c2s", json_integer((json_int_t)c->pkts_c2s));
	json_object_set_new(o, "pkts_s2c", json_integer((json_int_t)c->pkts_s2c));
	json_object_set_new(o, "bytes_c2s", json_integer((json_int_t)c->bytes_c2s));
	json_object_set_new(o, "bytes_s2c", json_integer((json_int_t)c->bytes_s2c));
	json_object_set_new(o, "s2c_acked", json_boolean(c->flags & SG_MSG_USAGE_S2C_ACKED));
	json_object_set_new(o, "qos_drops", json_boolean(c->flags & SG_MSG_USAGE_QOS_DROPS));
	json_object_set_new(o, "qos_dropped", json_integer((json_int_t)c->qos_dropped));
	json_object_set_new(o, "reason",
			    json_string(interim ? "" : sg_ctl_cs_reason_name(cs->reason)));
	return o;
}
