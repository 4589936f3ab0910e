/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keywords of the configuration's enums as written in YAML: one table
 * each, read by the parsers (sg_cfg_node_enum) and by the sg_cfg_*_name()
 * functions. A leaf: calls nothing of libsgcfg.
 */
#include "names.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *const sg_cfg_mode_names[] = {"dsr", "nat", "brokered", "redirect", NULL};
const char *const sg_cfg_sched_names[] = {"maglev", "wrr", "lc", NULL};
const char *const sg_cfg_encap_names[] = {"ipip", "gue", NULL};
const char *const sg_cfg_proto_names[] = {"tcp", "udp", NULL};
const char *const sg_cfg_l7_names[] = {"none",	      "http_host",   "http_path",
				       "http_cookie", "tls_sni",     "rdp_cookie",
				       "prefix",      "http_header", NULL};
const char *const sg_cfg_ctl_down_names[] = {"hold", "reject", NULL};
const char *const sg_cfg_check_type_names[] = {"none", "tcp", "http", "https", "udp", NULL};
const char *const sg_cfg_no_member_names[] = {"drop", "reset", "fallback", NULL};

/* Entry @p i of a NULL-terminated table of @p n entries (NULL included). */
static const char *
name_of(const char *const *names, unsigned int n, unsigned int i)
{
	return i + 1 < n ? names[i] : "unknown";
}

const char *
sg_cfg_mode_name(enum sg_cfg_mode m)
{
	return name_of(sg_cfg_mode_names, N_ELEMS(sg_cfg_mode_names), (unsigned int)m);
}

const char *
sg_cfg_sched_name(enum sg_cfg_sched s)
{
	return name_of(sg_cfg_sched_names, N_ELEMS(sg_cfg_sched_names), (unsigned int)s);
}

const char *
sg_cfg_proto_name(enum sg_cfg_proto p)
{
	switch (p) {
	case SG_CFG_PROTO_TCP:
		return sg_cfg_proto_names[0];
	case SG_CFG_PROTO_UDP:
		return sg_cfg_proto_names[1];
	}
	return "unknown";
}

const char *
sg_cfg_encap_name(enum sg_cfg_encap e)
{
	return name_of(sg_cfg_encap_names, N_ELEMS(sg_cfg_encap_names), (unsigned int)e);
}

const char *
sg_cfg_l7_name(enum sg_cfg_l7 k)
{
	return name_of(sg_cfg_l7_names, N_ELEMS(sg_cfg_l7_names), (unsigned int)k);
}

const char *
sg_cfg_ctl_down_name(enum sg_cfg_ctl_down d)
{
	return name_of(sg_cfg_ctl_down_names, N_ELEMS(sg_cfg_ctl_down_names), (unsigned int)d);
}

const char *
sg_cfg_check_type_name(enum sg_cfg_check_type t)
{
	return name_of(sg_cfg_check_type_names, N_ELEMS(sg_cfg_check_type_names), (unsigned int)t);
}

const char *
sg_cfg_no_member_name(enum sg_cfg_no_member m)
{
	return name_of(sg_cfg_no_member_names, N_ELEMS(sg_cfg_no_member_names), (unsigned int)m);
}
