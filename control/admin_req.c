/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admin API requests: one JSON object per line, parsed with jansson and
 * validated here into struct sg_ctl_admin_req before anything acts on it.
 * Every request is hostile: bounded size, known keys only, typed and
 * ranged fields, duplicate keys rejected.
 *
 *   {"cmd": "sessions", "state": "installed", "app": "desk", "limit": 50}
 *   {"cmd": "close", "id": "0x1000000000000123"}
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "cs.h"
#include "sessiongate/sg_token.h"
#include "health.h"

static const char *const cmd_names[SG_CTL_ADM_CMD_MAX] = {
	"status", "vs",	    "apps",	  "sessions", "session", "vms",	    "hosts",   "providers",
	"drain",  "reload", "identities", "close",    "health",	 "undrain", "cluster", "token",
	"usage",  "app",    "vm",	  "host",     "abort",	 "pool"};

/* Keys each command accepts besides "cmd". */
static const char *const cmd_keys[SG_CTL_ADM_CMD_MAX][6] = {
	[SG_CTL_ADM_SESSIONS] = {"state", "app", "vm", "user", "limit", NULL},
	[SG_CTL_ADM_SESSION] = {"id", NULL},
	[SG_CTL_ADM_CLOSE] = {"id", NULL},
	[SG_CTL_ADM_DRAIN] = {"on", "target", "name", "deadline", NULL},
	[SG_CTL_ADM_UNDRAIN] = {"target", "name", NULL},
	[SG_CTL_ADM_IDENTITIES] = {"name", NULL},
	[SG_CTL_ADM_TOKEN] = {"op", "app", "user", "ttl", "token", NULL},
	[SG_CTL_ADM_USAGE] = {"user", "app", "since", "until", "limit", NULL},
	[SG_CTL_ADM_APP] = {"op", "name", "spec", NULL},
	[SG_CTL_ADM_VM] = {"op", "name", "spec", NULL},
	[SG_CTL_ADM_HOST] = {"op", "name", "spec", NULL},
	[SG_CTL_ADM_ABORT] = {"id", "action", "deadline", NULL},
	[SG_CTL_ADM_POOL] = {"op", "name", "spec", NULL},
};

const char *
sg_ctl_admin_cmd_name(unsigned int cmd)
{
	return cmd < SG_CTL_ADM_CMD_MAX ? cmd_names[cmd] : "?";
}

static int
get_name(json_t *o, const char *key, char *out, size_t outlen, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t i, len;

	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s: expected a string", key);
		return -EINVAL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len >= outlen) {
		snprintf(err, errlen, "%s: expected 1 to %zu characters", key, outlen - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		      ch == '@' || ch == '/' || ch == ':' || ch == '#')) {
			snprintf(err, errlen, "%s: only letters, digits and -_.@/:# allowed", key);
			return -EINVAL;
		}
	}
	memcpy(out, s, len + 1);
	return 0;
}

static int
parse_id(json_t *v, uint64_t *id, char *err, size_t errlen)
{
	const char *s;
	char *end;

	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*id = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 20) {
		snprintf(err, errlen, "id: expected a session ID (0x... or decimal)");
		return -EINVAL;
	}
	s = json_string_value(v);
	if (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
		snprintf(err, errlen, "id: expected a session ID (0x... or decimal)");
		return -EINVAL;
	}
	errno = 0;
	*id = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *id == 0) {
		snprintf(err, errlen, "id: '%s' is not a session ID (0x... or decimal)", s);
		return -EINVAL;
	}
	return 0;
}

static int
check_keys(json_t *o, unsigned int cmd, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	unsigned int i;

	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "cmd") == 0)
			continue;
		for (i = 0; cmd_keys[cmd][i] != NULL; i++)
			if (strcmp(cmd_keys[cmd][i], key) == 0)
				break;
		if (cmd_keys[cmd][i] == NULL) {
			snprintf(err, errlen, "%.64s: unknown key for command '%s'", key,
				 cmd_names[cmd]);
			return -EINVAL;
		}
	}
	return 0;
}

/* drain / undrain: target member|vm|all, name, deadline (seconds). */
static int
parse_drain(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	json_t *v;
	int rc;

	rc = get_name(o, "target", req->target, sizeof(req->target), err, errlen);
	if (rc == 0)
		rc = get_name(o, "name", req->member, sizeof(req->member), err, errlen);
	if (rc != 0)
		return rc;
	if (req->target[0] != '\0' && strcmp(req->target, "member") != 0 &&
	    strcmp(req->target, "vm") != 0 && strcmp(req->target, "all") != 0) {
		snprintf(err, errlen, "target: '%s' is not member, vm or all", req->target);
		return -EINVAL;
	}
	if (req->target[0] == '\0' && (req->member[0] != '\0' || json_object_get(o, "deadline"))) {
		snprintf(err, errlen, "target: missing (member, vm or all)");
		return -EINVAL;
	}
	if ((strcmp(req->target, "member") == 0 || strcmp(req->target, "vm") == 0) &&
	    req->member[0] == '\0') {
		snprintf(err, errlen, "name: missing (%s)",
			 req->target[0] == 'm' ? "POOL/MEMBER" : "the VM's name");
		return -EINVAL;
	}
	if (strcmp(req->target, "all") == 0 && req->member[0] != '\0') {
		snprintf(err, errlen, "name: not with target all");
		return -EINVAL;
	}
	if (strcmp(req->target, "member") == 0 &&
	    (strchr(req->member, '/') == NULL || strchr(req->member, '/') == req->member ||
	     strchr(req->member, '/')[1] == '\0')) {
		snprintf(err, errlen, "name: '%s' is not POOL/MEMBER", req->member);
		return -EINVAL;
	}
	v = json_object_get(o, "deadline");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SG_CTL_HEALTH_DEADLINE_MAX) {
			snprintf(err, errlen, "deadline: expected seconds 0..%u (0: none)",
				 SG_CTL_HEALTH_DEADLINE_MAX);
			return -EINVAL;
		}
		req->deadline_s = (uint32_t)json_integer_value(v);
	}
	return 0;
}

/* token: op mint (app, user, ttl 1..SG_TOKEN_TTL_MAX, default 3600) | check (app, token). */
static int
parse_token(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	bool mint;
	json_t *v;
	int rc;

	rc = get_name(o, "op", req->op, sizeof(req->op), err, errlen);
	if (rc == 0)
		rc = get_name(o, "app", req->app, sizeof(req->app), err, errlen);
	if (rc == 0)
		rc = get_name(o, "user", req->user, sizeof(req->user), err, errlen);
	if (rc == 0)
		rc = get_name(o, "token", req->token, sizeof(req->token), err, errlen);
	if (rc != 0)
		return rc;
	mint = strcmp(req->op, "mint") == 0;
	if (!mint && strcmp(req->op, "check") != 0) {
		snprintf(err, errlen, "op: expected mint or check");
		return -EINVAL;
	}
	if (req->app[0] == '\0') {
		snprintf(err, errlen, "app: missing (the application's name)");
		return -EINVAL;
	}
	if (mint ? req->user[0] == '\0' || req->token[0] != '\0'
		 : req->token[0] == '\0' || req->user[0] != '\0' ||
			    json_object_get(o, "ttl") != NULL) {
		snprintf(err, errlen,
			 mint ? "mint: user (and ttl), not token"
			      : "check: token, not user or ttl");
		return -EINVAL;
	}
	req->ttl_s = 3600;
	v = json_object_get(o, "ttl");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > SG_TOKEN_TTL_MAX) {
			snprintf(err, errlen, "ttl: expected seconds 1..%u", SG_TOKEN_TTL_MAX);
			return -EINVAL;
		}
		req->ttl_s = (uint32_t)json_integer_value(v);
	}
	return 0;
}

#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

int
sg_ctl_admin_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *rest;
	long long v;
	char *end;
	int sign, hh, mm;

	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || v > TIME_MAX)
			return -EINVAL;
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest != NULL && (*rest == 'T' || *rest == ' ')) {
		rest = strptime(rest + 1, "%H:%M", &tm);
		if (rest != NULL && *rest == ':')
			rest = strptime(rest + 1, "%S", &tm);
	}
	if (rest == NULL || tm.tm_year < 70 || tm.tm_year > 8099)
		return -EINVAL;
	v = (long long)timegm(&tm);
	if (*rest == 'Z')
		rest++;
	else if (*rest == '+' || *rest == '-') {
		sign = *rest == '-' ? 1 : -1; /* UTC = local - offset */
		if (strspn(rest + 1, "0123456789") != 2 || rest[3] != ':' ||
		    strspn(rest + 4, "0123456789") != 2)
			return -EINVAL;
		hh = (rest[1] - '0') * 10 + (rest[2] - '0');
		mm = (rest[4] - '0') * 10 + (rest[5] - '0');
		if (hh > 23 || mm > 59)
			return -EINVAL;
		v += sign * (hh * 3600LL + mm * 60LL);
		rest += 6;
	}
	if (*rest != '\0' || v < 0 || v > TIME_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
get_time(json_t *o, const char *key, int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= TIME_MAX) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) <= 40 &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    sg_ctl_admin_parse_time(json_string_value(v), out) == 0)
		return 0;
	snprintf(err, errlen,
		 "%s: expected unix seconds or ISO 8601 (2026-01-31T12:00:00Z, +01:00)", key);
	return -EINVAL;
}

/* usage: user, app, since, until (unix seconds or ISO 8601), limit. */
static int
parse_usage(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	int rc = get_name(o, "user", req->user, sizeof(req->user), err, errlen);

	if (rc == 0)
		rc = get_name(o, "app", req->app, sizeof(req->app), err, errlen);
	if (rc == 0)
		rc = get_time(o, "since", &req->since, err, errlen);
	if (rc == 0)
		rc = get_time(o, "until", &req->until, err, errlen);
	if (rc == 0 && req->until != 0 && req->until < req->since) {
		snprintf(err, errlen, "until: before since");
		rc = -EINVAL;
	}
	return rc;
}

static int
parse_limit(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "limit");

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > SG_CTL_ADMIN_LIMIT_MAX) {
		snprintf(err, errlen, "limit: expected an integer 1..%u", SG_CTL_ADMIN_LIMIT_MAX);
		return -EINVAL;
	}
	req->limit = (uint32_t)json_integer_value(v);
	return 0;
}

/*
 * app / vm / host: op add with spec (one YAML flow map: printable ASCII,
 * tabs and newlines), or op remove (vm also start, stop, save) with name.
 */
static int
parse_inv(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	static const char *const ops_obj[] = {"add", "remove", NULL};
	static const char *const ops_vm[] = {"add", "remove", "start", "stop", "save", NULL};
	const char *const *ops = req->cmd == SG_CTL_ADM_VM ? ops_vm : ops_obj;
	json_t *v = json_object_get(o, "spec");
	const char *s;
	size_t i, len;
	int rc;

	rc = get_name(o, "op", req->op, sizeof(req->op), err, errlen);
	if (rc != 0)
		return rc;
	for (i = 0; ops[i] != NULL; i++)
		if (strcmp(ops[i], req->op) == 0)
			break;
	if (ops[i] == NULL) {
		snprintf(err, errlen, "op: expected %s",
			 req->cmd == SG_CTL_ADM_VM ? "add, remove, start, stop or save"
						   : "add or remove");
		return -EINVAL;
	}
	if (strcmp(req->op, "add") != 0) {
		if (v != NULL) {
			snprintf(err, errlen, "spec: only with op add");
			return -EINVAL;
		}
		rc = get_name(o, "name", req->name, sizeof(req->name), err, errlen);
		if (rc == 0 && req->name[0] == '\0') {
			snprintf(err, errlen, "name: missing");
			rc = -EINVAL;
		}
		return rc;
	}
	if (json_object_get(o, "name") != NULL) {
		snprintf(err, errlen, "name: not with op add (the spec names the object)");
		return -EINVAL;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "spec: missing or not a string (a YAML flow map)");
		return -EINVAL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len >= sizeof(req->spec)) {
		snprintf(err, errlen, "spec: expected 1 to %zu bytes", sizeof(req->spec) - 1);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		if (!((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\t' || s[i] == '\n')) {
			snprintf(err, errlen, "spec: byte %zu is not printable ASCII", i);
			return -EINVAL;
		}
	memcpy(req->spec, s, len + 1);
	return 0;
}

/* abort: id, action reset (default) | drain (in target), deadline (seconds, drain only). */
static int
parse_abort(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "id");
	int rc;

	if (v == NULL) {
		snprintf(err, errlen, "id: missing (the streaming session ID)");
		return -EINVAL;
	}
	rc = parse_id(v, &req->id, err, errlen);
	if (rc == 0)
		rc = get_name(o, "action", req->target, sizeof(req->target), err, errlen);
	if (rc != 0)
		return rc;
	if (req->target[0] == '\0')
		snprintf(req->target, sizeof(req->target), "reset");
	if (strcmp(req->target, "reset") != 0 && strcmp(req->target, "drain") != 0) {
		snprintf(err, errlen, "action: expected reset or drain");
		return -EINVAL;
	}
	v = json_object_get(o, "deadline");
	if (v != NULL) {
		if (strcmp(req->target, "drain") != 0) {
			snprintf(err, errlen, "deadline: only with action drain");
			return -EINVAL;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400) {
			snprintf(err, errlen, "deadline: expected 0 to 86400 seconds");
			return -EINVAL;
		}
		req->deadline_s = (uint32_t)json_integer_value(v);
	}
	return 0;
}

static int
parse_fields(json_t *o, struct sg_ctl_admin_req *req, char *err, size_t errlen)
{
	char state[SG_CTL_NAME_MAX] = "";
	json_t *v;
	int rc, i;

	switch (req->cmd) {
	case SG_CTL_ADM_SESSIONS:
		rc = get_name(o, "state", state, sizeof(state), err, errlen);
		if (rc == 0)
			rc = get_name(o, "app", req->app, sizeof(req->app), err, errlen);
		if (rc == 0)
			rc = get_name(o, "vm", req->vm, sizeof(req->vm), err, errlen);
		if (rc == 0)
			rc = get_name(o, "user", req->user, sizeof(req->user), err, errlen);
		if (rc != 0)
			return rc;
		if (state[0] != '\0') {
			for (i = 0; i < SG_CTL_CS_STATE_MAX; i++)
				if (strcmp(sg_ctl_cs_state_name((unsigned int)i), state) == 0)
					break;
			if (i == SG_CTL_CS_STATE_MAX) {
				snprintf(err, errlen,
					 "state: '%s' is not new, negotiating, waiting, ready, "
					 "installed, closed or failed",
					 state);
				return -EINVAL;
			}
			req->state = i;
		}
		return parse_limit(o, req, err, errlen);
	case SG_CTL_ADM_SESSION:
	case SG_CTL_ADM_CLOSE:
		v = json_object_get(o, "id");
		if (v == NULL) {
			snprintf(err, errlen, "id: missing (the streaming session ID)");
			return -EINVAL;
		}
		return parse_id(v, &req->id, err, errlen);
	case SG_CTL_ADM_DRAIN:
		v = json_object_get(o, "on");
		if (v != NULL && !json_is_boolean(v)) {
			snprintf(err, errlen, "on: expected true or false");
			return -EINVAL;
		}
		req->legacy = v != NULL;
		req->on = json_is_true(v);
		if (req->legacy && json_object_size(o) > 2) {
			snprintf(err, errlen, "on: not with target, name or deadline");
			return -EINVAL;
		}
		return parse_drain(o, req, err, errlen);
	case SG_CTL_ADM_UNDRAIN:
		rc = parse_drain(o, req, err, errlen);
		if (rc == 0 && req->target[0] == '\0') {
			snprintf(err, errlen, "target: missing (member, vm or all)");
			return -EINVAL;
		}
		return rc;
	case SG_CTL_ADM_IDENTITIES:
		return get_name(o, "name", req->name, sizeof(req->name), err, errlen);
	case SG_CTL_ADM_APP:
	case SG_CTL_ADM_VM:
	case SG_CTL_ADM_HOST:
	case SG_CTL_ADM_POOL:
		return parse_inv(o, req, err, errlen);
	case SG_CTL_ADM_ABORT:
		return parse_abort(o, req, err, errlen);
	case SG_CTL_ADM_TOKEN:
		return parse_token(o, req, err, errlen);
	case SG_CTL_ADM_USAGE:
		rc = parse_usage(o, req, err, errlen);
		return rc == 0 ? parse_limit(o, req, err, errlen) : rc;
	default:
		return 0;
	}
}

int
sg_ctl_admin_parse(const char *buf, size_t len, struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	json_error_t jerr;
	json_t *o, *cmd;
	unsigned int i;
	int rc = -EINVAL;

	memset(req, 0, sizeof(*req));
	req->state = -1;
	req->limit = 100;
	if (len > SG_CTL_ADMIN_REQ_MAX) {
		snprintf(err, errlen, "request of %zu bytes, at most %u", len,
			 SG_CTL_ADMIN_REQ_MAX);
		return -EINVAL;
	}
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		snprintf(err, errlen, "not JSON: %s at column %d", jerr.text, jerr.column);
		return -EINVAL;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "expected a JSON object");
		goto out;
	}
	cmd = json_object_get(o, "cmd");
	if (!json_is_string(cmd)) {
		snprintf(err, errlen, "cmd: missing or not a string");
		goto out;
	}
	for (i = 0; i < SG_CTL_ADM_CMD_MAX; i++)
		if (strcmp(json_string_value(cmd), cmd_names[i]) == 0)
			break;
	if (i == SG_CTL_ADM_CMD_MAX) {
		snprintf(err, errlen, "cmd: unknown command '%.32s'", json_string_value(cmd));
		goto out;
	}
	req->cmd = i;
	rc = check_keys(o, i, err, errlen);
	if (rc == 0)
		rc = parse_fields(o, req, err, errlen);
out:
	json_decref(o);
	return rc;
}
