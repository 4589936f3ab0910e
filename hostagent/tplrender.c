/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain XML template substitution (tplrender.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tplrender.h"

void
sg_ha_tpl_mac(const char *name, char out[SG_HA_MAC_LEN])
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	snprintf(out, SG_HA_MAC_LEN, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff,
		 h & 0xff);
}

bool
sg_ha_tpl_value_ok(const char *v)
{
	for (; *v; v++)
		if (*v < 0x20 || *v > 0x7e || strchr("<>&'\"", *v))
			return false;
	return true;
}

static bool
key_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (!first && ((c >= '0' && c <= '9') || c == '_'));
}

bool
sg_ha_tpl_key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i]; i++)
		if (!key_char(k[i], i == 0) || i >= SG_HA_TPL_KEY_MAX - 1)
			return false;
	return i > 0;
}

static const char *const builtins[] = {"NAME", "UUID", "DISK", "ADDR", "MAC", NULL};

bool
sg_ha_tpl_key_builtin(const char *k)
{
	for (unsigned int i = 0; builtins[i]; i++)
		if (strcmp(k, builtins[i]) == 0)
			return true;
	return false;
}

/* Length of the token name at @p p (after an '@', up to the closing '@'), or 0: not a token. */
static size_t
token_len(const char *p, const char *end)
{
	size_t l = 0;

	while (p + l < end && l < SG_HA_TPL_KEY_MAX - 1 && key_char(p[l], l == 0))
		l++;
	return l > 0 && p + l < end && p[l] == '@' ? l : 0;
}

/* The value of variable @p key, or NULL when it names none. */
static const char *
lookup(const struct sg_ha_tpl_subst *s, const char *key)
{
	const char *const vals[] = {s->name, s->uuid, s->disk, s->addr, s->mac};

	for (unsigned int i = 0; builtins[i]; i++)
		if (strcmp(key, builtins[i]) == 0)
			return vals[i];
	for (unsigned int i = 0; s->t && i < s->t->n_vars; i++)
		if (strcmp(key, s->t->vars[i].key) == 0)
			return s->t->vars[i].value;
	return NULL;
}

static unsigned int
line_of(const char *tpl, const char *p)
{
	unsigned int l = 1;

	for (; tpl < p; tpl++)
		l += *tpl == '\n';
	return l;
}

long
sg_ha_tpl_render(const char *tpl, size_t n, const struct sg_ha_tpl_subst *s, char *out, size_t cap,
		 char *err, size_t errlen)
{
	const char *p = tpl, *end = tpl + n;
	size_t o = 0;

	while (p < end) {
		char key[SG_HA_TPL_KEY_MAX];
		const char *v = NULL;
		size_t l = *p == '@' ? token_len(p + 1, end) : 0, vl;

		if (l) {
			memcpy(key, p + 1, l);
			key[l] = '\0';
			v = lookup(s, key);
			if (v == NULL || (strcmp(key, "ADDR") == 0 && v[0] == '\0')) {
				snprintf(err, errlen, "line %u: %s @%s@", line_of(tpl, p),
					 v ? "no address for" : "unknown variable", key);
				return -EINVAL;
			}
			if (!sg_ha_tpl_value_ok(v)) {
				snprintf(err, errlen,
					 "line %u: the value of @%s@ holds a character XML "
					 "forbids (<>&'\" or a control character)",
					 line_of(tpl, p), key);
				return -EINVAL;
			}
			p += l + 2;
		}
		vl = v ? strlen(v) : 1;
		if (o + vl >= cap) {
			snprintf(err, errlen, "the substituted template is over %zu bytes",
				 cap - 1);
			return -E2BIG;
		}
		memcpy(out + o, v ? v : p, vl);
		o += vl;
		if (v == NULL)
			p++;
	}
	out[o] = '\0';
	return (long)o;
}
