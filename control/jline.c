/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A JSON line of fixed fields built with appends into the caller's buffer
 * (jline.h). A field that does not fit marks the line over and nothing
 * after it is written: the caller drops the line, never a cut one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "jline.h"
#include "sessiongate/sg_wire.h"

void
sg_ctl_jline_init(struct sg_ctl_jline *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->over = cap < 3;
	j->started = false;
	if (!j->over)
		buf[j->len++] = '{';
}

static void
put(struct sg_ctl_jline *j, const char *s, size_t n)
{
	if (j->over || n > j->cap - j->len) {
		j->over = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* ,"key": (the keys are our literals: no escaping) */
static void
key(struct sg_ctl_jline *j, const char *k)
{
	if (j->started)
		put(j, ",", 1);
	j->started = true;
	put(j, "\"", 1);
	put(j, k, strlen(k));
	put(j, "\":", 2);
}

/* Bytes of the UTF-8 sequence at @p s, or 0 when it is not valid (RFC 3629). */
static unsigned int
utf8_len(const unsigned char *s)
{
	unsigned int n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* a NUL ends the string here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool
utf8_valid(const unsigned char *s)
{
	unsigned int n;

	for (; *s != '\0'; s += n)
		if ((n = utf8_len(s)) == 0)
			return false;
	return true;
}

/* @p s with jansson's escapes: \" \\ \b \f \n \r \t, \u00XX for other controls. */
static void
escaped(struct sg_ctl_jline *j, const unsigned char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char two[0x20] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
	const unsigned char *run = s;
	char esc[6] = {'\\', 'u', '0', '0', 0, 0};

	for (; *s != '\0'; s++) {
		if (*s >= 0x20 && *s != '"' && *s != '\\')
			continue;
		put(j, (const char *)run, (size_t)(s - run));
		run = s + 1;
		if (*s >= 0x20 || two[*s] != 0) {
			esc[1] = *s >= 0x20 ? (char)*s : two[*s];
			put(j, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[*s >> 4];
			esc[5] = hex[*s & 0xf];
			put(j, esc, 6);
		}
	}
	put(j, (const char *)run, (size_t)(s - run));
}

void
sg_ctl_jline_str(struct sg_ctl_jline *j, const char *k, const char *s)
{
	key(j, k);
	put(j, "\"", 1);
	if (s != NULL && utf8_valid((const unsigned char *)s))
		escaped(j, (const unsigned char *)s);
	put(j, "\"", 1);
}

void
sg_ctl_jline_u64(struct sg_ctl_jline *j, const char *k, uint64_t n)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	key(j, k);
	put(j, d + i, sizeof(d) - i);
}

void
sg_ctl_jline_bool(struct sg_ctl_jline *j, const char *k, bool v)
{
	key(j, k);
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void
sg_ctl_jline_hex(struct sg_ctl_jline *j, const char *k, uint64_t id)
{
	static const char hex[] = "0123456789abcdef";
	char d[19];
	size_t i = sizeof(d) - 1;

	d[i] = '"';
	while (id != 0) {
		d[--i] = hex[id & 0xf];
		id >>= 4;
	}
	if (i < sizeof(d) - 1) {
		d[--i] = 'x';
		d[--i] = '0';
	}
	key(j, k);
	put(j, "\"", 1);
	put(j, d + i, sizeof(d) - i);
}

/* Dotted quad of @p a into @p s (16 bytes): glibc's inet_ntop formats it with sprintf. */
static size_t
ip4(char *s, const uint8_t *a)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			s[n++] = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			s[n++] = (char)('0' + a[i] / 10 % 10);
		s[n++] = (char)('0' + a[i] % 10);
		s[n++] = '.';
	}
	s[--n] = '\0';
	return n;
}

void
sg_ctl_jline_ip(struct sg_ctl_jline *j, const char *k, uint8_t family, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN] = "";
	size_t n;

	if (family == SG_WIRE_FAMILY_V6) {
		inet_ntop(AF_INET6, a, s, sizeof(s));
		n = strlen(s);
	} else {
		n = ip4(s, a);
	}
	key(j, k);
	put(j, "\"", 1);
	put(j, s, n);
	put(j, "\"", 1);
}

int
sg_ctl_jline_end(struct sg_ctl_jline *j)
{
	put(j, "}\n", 2);
	return j->over ? -EMSGSIZE : (int)j->len;
}
