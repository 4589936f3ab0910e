/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one error record of sessiongate's configuration
 * ("file:line:col: key: message") and the bounded string copy it is built
 * with. A leaf: every other file of libsgcfg reports through here, and this
 * file calls none of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "sg_cfg_doc.h"

void
sg_cfg_strlcpy(char *dst, const char *src, size_t dstlen)
{
	size_t n;

	if (dstlen == 0)
		return;
	n = strnlen(src, dstlen - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Place and key of the record; the message is left empty. */
static void
error_place(struct sg_cfg_error *err, const char *file, unsigned int line, unsigned int column,
	    const char *path)
{
	memset(err, 0, sizeof(*err));
	sg_cfg_strlcpy(err->file, file ? file : "", sizeof(err->file));
	err->line = line;
	err->column = line ? column : 0;
	sg_cfg_strlcpy(err->key, path ? path : "", sizeof(err->key));
}

void
sg_cfg_error_at(struct sg_cfg_error *err, const char *file, unsigned int line, unsigned int column,
		const char *path, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	error_place(err, file, line, column, path);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
sg_cfg_error_set(struct sg_cfg_error *err, const struct sg_cfg_doc *doc,
		 const struct sg_cfg_node *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	error_place(err, doc ? doc->name : "", n ? n->line : 0, n ? n->column : 0, path);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

char *
sg_cfg_error_format(const struct sg_cfg_error *err, char *buf, size_t len)
{
	char place[64] = "";

	if (buf == NULL || len == 0)
		return buf;
	if (err == NULL) {
		snprintf(buf, len, "no error");
		return buf;
	}
	if (err->line > 0)
		snprintf(place, sizeof(place), ":%u:%u", err->line, err->column);
	snprintf(buf, len, "%s%s: %s%s%s", err->file, place, err->key,
		 err->key[0] != '\0' ? ": " : "", err->msg);
	return buf;
}
