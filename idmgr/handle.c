/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Type, namespace and relation names; the name syntax of each namespace;
 * the handle text form "namespace/type/suffix" and the numeric "type#serial".
 * Nothing here touches the store, so the fuzz target exercises it alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sg_idmgr.h"

struct type_desc {
	unsigned int code;
	const char *name;
	unsigned int ns;
};

static const struct type_desc types[] = {
	{SG_ID_T_DC, "dc", SG_ID_NS_INFRA},
	{SG_ID_T_GROUP, "group", SG_ID_NS_INFRA},
	{SG_ID_T_HOST, "host", SG_ID_NS_INFRA},
	{SG_ID_T_VM, "vm", SG_ID_NS_INFRA},
	{SG_ID_T_VNIC, "vnic", SG_ID_NS_INFRA},
	{SG_ID_T_VCPU, "vcpu", SG_ID_NS_INFRA},
	{SG_ID_T_VSWITCH, "vswitch", SG_ID_NS_INFRA},
	{SG_ID_T_NIC, "nic", SG_ID_NS_INFRA},
	{SG_ID_T_SWITCH, "switch", SG_ID_NS_INFRA},
	{SG_ID_T_HBA, "hba", SG_ID_NS_INFRA},
	{SG_ID_T_STORAGE, "storage", SG_ID_NS_INFRA},
	{SG_ID_T_LUN, "lun", SG_ID_NS_INFRA},
	{SG_ID_T_USER, "user", SG_ID_NS_USER},
	{SG_ID_T_APP, "app", SG_ID_NS_APP},
	{SG_ID_T_VAPP, "vapp", SG_ID_NS_APP},
	{SG_ID_T_DOMAIN, "domain", SG_ID_NS_APP},
	{SG_ID_T_COMPONENT, "component", SG_ID_NS_APP},
	{SG_ID_T_SP, "sp", SG_ID_NS_SP},
	{SG_ID_T_STREAMING, "stream", SG_ID_NS_SESSION},
	{SG_ID_T_CONTROLLING, "ctlsess", SG_ID_NS_SESSION},
	{SG_ID_T_USER_SESSION, "usersess", SG_ID_NS_SESSION},
	{SG_ID_T_SERVICE_SESSION, "svcsess", SG_ID_NS_SESSION},
};

static const char *const ns_names[] = {
	[SG_ID_NS_INFRA] = "infra", [SG_ID_NS_USER] = "user",	    [SG_ID_NS_APP] = "app",
	[SG_ID_NS_SP] = "sp",	    [SG_ID_NS_SESSION] = "session",
};

static const char *const rel_names[] = {
	[SG_ID_REL_SUBSCRIBES] = "subscribes",
	[SG_ID_REL_HAS_DOMAIN] = "has_domain",
	[SG_ID_REL_HAS_COMPONENT] = "has_component",
	[SG_ID_REL_SERVED_BY] = "served_by",
	[SG_ID_REL_ASSIGNED] = "assigned",
	[SG_ID_REL_ATTACHED] = "attached",
	[SG_ID_REL_UPLINK] = "uplink",
	[SG_ID_REL_CABLED] = "cabled",
	[SG_ID_REL_USES] = "uses",
	[SG_ID_REL_PROVIDES] = "provides",
	[SG_ID_REL_EXPOSES] = "exposes",
};

static const struct type_desc *
type_desc(unsigned int code)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].code == code)
			return &types[i];
	return NULL;
}

const char *
sg_id_type_name(unsigned int type)
{
	const struct type_desc *d = type_desc(type);

	return d ? d->name : NULL;
}

static int
type_from_mem(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == len && memcmp(types[i].name, name, len) == 0)
			return (int)types[i].code;
	return -EINVAL;
}

int
sg_id_type_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	return type_from_mem(name, strlen(name));
}

unsigned int
sg_id_type_ns(unsigned int type)
{
	const struct type_desc *d = type_desc(type);

	return d ? d->ns : SG_ID_NS_NONE;
}

const char *
sg_id_ns_name(unsigned int ns)
{
	if (ns == SG_ID_NS_NONE || ns > SG_ID_NS_LAST)
		return NULL;
	return ns_names[ns];
}

static int
ns_from_mem(const char *name, size_t len)
{
	for (unsigned int i = 1; i <= SG_ID_NS_LAST; i++)
		if (strlen(ns_names[i]) == len && memcmp(ns_names[i], name, len) == 0)
			return (int)i;
	return -EINVAL;
}

int
sg_id_ns_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	return ns_from_mem(name, strlen(name));
}

const char *
sg_id_rel_name(unsigned int rel)
{
	if (rel == SG_ID_REL_NONE || rel > SG_ID_REL_LAST)
		return NULL;
	return rel_names[rel];
}

int
sg_id_rel_from_name(const char *name)
{
	if (name == NULL)
		return -EINVAL;
	for (unsigned int i = 1; i <= SG_ID_REL_LAST; i++)
		if (strcmp(rel_names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	/* the caller sized err: a message cut to fit is still the right message */
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alnum(unsigned char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Printable form of a byte for error messages. */
static const char *
show_byte(unsigned char c, char buf[8])
{
	if (c >= 0x21 && c < 0x7f)
		(void)snprintf(buf, 8, "'%c'", c); /* 3 characters: always fits */
	else
		(void)snprintf(buf, 8, "0x%02x", c); /* 4 characters: always fits */
	return buf;
}

/* RFC 1123 host name: labels [a-z0-9]([a-z0-9-]*[a-z0-9])?, <= 63, joined by '.' */
static int
check_hostname(const char *p, size_t len, size_t max, const char *what, char *err, size_t errlen)
{
	size_t label = 0;
	char b[8];

	if (len > max) {
		seterr(err, errlen, "%s is %zu bytes long, at most %zu allowed", what, len, max);
		return -ENAMETOOLONG;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-') {
				seterr(err, errlen,
				       "%s: empty label or label ending in '-' before offset %zu",
				       what, i);
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (c == '-' && label == 0) {
			seterr(err, errlen, "%s: label starts with '-' at offset %zu", what, i);
			return -EINVAL;
		}
		if (!is_lower_alnum(c) && c != '-') {
			seterr(err, errlen,
			       "%s: character %s at offset %zu not allowed (use a-z 0-9 '-' '.')",
			       what, show_byte(c, b), i);
			return -EINVAL;
		}
		if (++label > 63) {
			seterr(err, errlen, "%s: label longer than 63 bytes at offset %zu", what,
			       i);
			return -ENAMETOOLONG;
		}
	}
	if (label == 0 || p[len - 1] == '-') {
		seterr(err, errlen, "%s: empty or ends in '.' or '-'", what);
		return -EINVAL;
	}
	return 0;
}

static int
check_user(const char *p, size_t len, char *err, size_t errlen)
{
	const char *at = memchr(p, '@', len);
	size_t local = at ? (size_t)(at - p) : len;
	char b[8];

	if (local == 0 || local > 64) {
		seterr(err, errlen, "user name: local part must be 1-64 bytes, not %zu", local);
		return local == 0 ? -EINVAL : -ENAMETOOLONG;
	}
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '+') {
			seterr(err, errlen,
			       "user name: character %s at offset %zu not allowed (use A-Z a-z 0-9 . _ - + and one @)",
			       show_byte(c, b), i);
			return -EINVAL;
		}
	}
	if (p[0] == '.' || p[local - 1] == '.') {
		seterr(err, errlen, "user name: local part starts or ends with '.'");
		return -EINVAL;
	}
	if (at == NULL)
		return 0;
	return check_hostname(at + 1, len - local - 1, SG_ID_NAME_MAX - local - 1,
			      "user name domain", err, errlen);
}

static int
check_app(const char *p, size_t len, char *err, size_t errlen)
{
	char b[8];

	if (len > 128) {
		seterr(err, errlen, "application name is %zu bytes long, at most 128 allowed", len);
		return -ENAMETOOLONG;
	}
	if (!is_alnum((unsigned char)p[0])) {
		seterr(err, errlen, "application name must start with A-Z a-z 0-9");
		return -EINVAL;
	}
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!is_alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') {
			seterr(err, errlen,
			       "application name: character %s at offset %zu not allowed (use A-Z a-z 0-9 _ . : -)",
			       show_byte(c, b), i);
			return -EINVAL;
		}
	}
	return 0;
}

static int
check_sp(const char *p, size_t len, char *err, size_t errlen)
{
	char b[8];

	if (len > 32) {
		seterr(err, errlen, "service provider name is %zu bytes long, at most 32 allowed",
		       len);
		return -ENAMETOOLONG;
	}
	if (p[0] < 'a' || p[0] > 'z') {
		seterr(err, errlen, "service provider name must start with a-z");
		return -EINVAL;
	}
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!is_lower_alnum(c) && c != '-') {
			seterr(err, errlen,
			       "service provider name: character %s at offset %zu not allowed (use a-z 0-9 -)",
			       show_byte(c, b), i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Decimal serial without leading zeros, 1 .. SG_ID_SERIAL_MAX. */
static int
parse_serial(const char *p, size_t len, uint64_t *serial, char *err, size_t errlen)
{
	uint64_t v = 0;

	if (len == 0 || len > 17 || (p[0] == '0')) {
		seterr(err, errlen,
		       "serial must be a decimal number 1..%" PRIu64 " without leading zeros",
		       SG_ID_SERIAL_MAX);
		return len > 17 ? -ERANGE : -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9') {
			seterr(err, errlen, "serial: character at offset %zu is not a digit", i);
			return -EINVAL;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > SG_ID_SERIAL_MAX) {
		seterr(err, errlen, "serial %" PRIu64 " exceeds %" PRIu64, v, SG_ID_SERIAL_MAX);
		return -ERANGE;
	}
	*serial = v;
	return 0;
}

int
sg_id_name_check(unsigned int ns, unsigned int type, const char *name, size_t len, char *err,
		 size_t errlen)
{
	const struct type_desc *d = type_desc(type);
	uint64_t serial;

	if (d == NULL) {
		seterr(err, errlen, "unknown type code %u", type);
		return -EINVAL;
	}
	if (ns == SG_ID_NS_NONE)
		ns = d->ns;
	if (sg_id_ns_name(ns) == NULL) {
		seterr(err, errlen, "unknown namespace code %u", ns);
		return -EINVAL;
	}
	if (d->ns != ns) {
		seterr(err, errlen, "type '%s' belongs to namespace '%s', not '%s'", d->name,
		       ns_names[d->ns], ns_names[ns]);
		return -EINVAL;
	}
	if (name == NULL || len == 0) {
		seterr(err, errlen, "empty name");
		return -EINVAL;
	}
	if (len > SG_ID_NAME_MAX) {
		seterr(err, errlen, "name is %zu bytes long, at most %d allowed", len,
		       SG_ID_NAME_MAX);
		return -ENAMETOOLONG;
	}
	switch (ns) {
	case SG_ID_NS_INFRA:
		return check_hostname(name, len, SG_ID_NAME_MAX, "infrastructure name", err,
				      errlen);
	case SG_ID_NS_USER:
		return check_user(name, len, err, errlen);
	case SG_ID_NS_APP:
		return check_app(name, len, err, errlen);
	case SG_ID_NS_SP:
		return check_sp(name, len, err, errlen);
	case SG_ID_NS_SESSION:
		return parse_serial(name, len, &serial, err, errlen);
	}
	return -EINVAL;
}

int
sg_id_handle_parse(const char *text, size_t len, struct sg_id_handle *h, char *err, size_t errlen)
{
	const char *s1, *s2, *name;
	int ns, type, rc;
	size_t name_len;
	uint64_t serial;

	if (text == NULL || h == NULL) {
		seterr(err, errlen, "no handle given");
		return -EINVAL;
	}
	if (len > SG_ID_HANDLE_MAX) {
		seterr(err, errlen, "handle is %zu bytes long, at most %d allowed", len,
		       SG_ID_HANDLE_MAX);
		return -ENAMETOOLONG;
	}
	s1 = memchr(text, '/', len);
	if (s1 == NULL) {
		seterr(err, errlen, "handle must look like namespace/type/name (no '/' found)");
		return -EINVAL;
	}
	s2 = memchr(s1 + 1, '/', len - (size_t)(s1 + 1 - text));
	if (s2 == NULL) {
		seterr(err, errlen, "handle must look like namespace/type/name (one '/' found)");
		return -EINVAL;
	}
	ns = ns_from_mem(text, (size_t)(s1 - text));
	if (ns < 0) {
		seterr(err, errlen,
		       "unknown namespace '%.*s' (use infra, user, app, sp or session)",
		       (int)(s1 - text > SG_ID_NS_NAME_MAX ? SG_ID_NS_NAME_MAX : s1 - text), text);
		return -EINVAL;
	}
	type = type_from_mem(s1 + 1, (size_t)(s2 - s1 - 1));
	if (type < 0) {
		seterr(err, errlen, "unknown type '%.*s' in handle",
		       (int)(s2 - s1 - 1 > SG_ID_TYPE_NAME_MAX ? SG_ID_TYPE_NAME_MAX : s2 - s1 - 1),
		       s1 + 1);
		return -EINVAL;
	}
	name = s2 + 1;
	name_len = len - (size_t)(name - text);
	rc = sg_id_name_check((unsigned int)ns, (unsigned int)type, name, name_len, err, errlen);
	if (rc < 0)
		return rc;
	h->ns = (uint8_t)ns;
	h->type = (uint8_t)type;
	h->name_len = (uint16_t)name_len;
	memcpy(h->name, name, name_len);
	h->name[name_len] = '\0';
	h->id = 0;
	if (ns == SG_ID_NS_SESSION) {
		rc = parse_serial(name, name_len, &serial, err, errlen);
		if (rc < 0)
			return rc;
		h->id = sg_id_make((unsigned int)type, serial);
	}
	return 0;
}

int
sg_id_handle_format(const struct sg_id_handle *h, char *buf, size_t len)
{
	const char *ns, *type;
	int n;

	if (h == NULL || buf == NULL)
		return -EINVAL;
	ns = sg_id_ns_name(h->ns);
	type = sg_id_type_name(h->type);
	if (ns == NULL || type == NULL || h->name_len == 0 || h->name_len > SG_ID_NAME_MAX ||
	    memchr(h->name, '\0', h->name_len) != NULL)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s/%.*s", ns, type, (int)h->name_len, h->name);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int
sg_id_text_format(uint64_t id, char *buf, size_t len)
{
	const char *type = sg_id_type_name(sg_id_type_of(id));
	int n;

	if (buf == NULL || type == NULL || sg_id_serial_of(id) == 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s#%" PRIu64, type, sg_id_serial_of(id));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int
sg_id_text_parse(const char *text, uint64_t *id)
{
	const char *hash;
	uint64_t serial, v = 0;
	int type, rc;

	if (text == NULL || id == NULL)
		return -EINVAL;
	if (text[0] == '0' && text[1] == 'x') {
		size_t n = strlen(text + 2);

		if (n == 0 || n > 16)
			return n > 16 ? -ERANGE : -EINVAL;
		for (size_t i = 0; i < n; i++) {
			char c = text[2 + i];
			unsigned int d;

			if (c >= '0' && c <= '9')
				d = (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned int)(c - 'A' + 10);
			else
				return -EINVAL;
			v = (v << 4) | d;
		}
		if (!sg_id_valid(v))
			return -EINVAL;
		*id = v;
		return 0;
	}
	hash = strchr(text, '#');
	if (hash == NULL)
		return -EINVAL;
	type = type_from_mem(text, (size_t)(hash - text));
	if (type < 0)
		return -EINVAL;
	rc = parse_serial(hash + 1, strlen(hash + 1), &serial, NULL, 0);
	if (rc < 0)
		return rc;
	*id = sg_id_make((unsigned int)type, serial);
	return 0;
}
