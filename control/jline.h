/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * jline.c: one JSON object of fixed fields built into a bounded buffer
 * with plain appends (no allocation, no jansson): the usage records and
 * access-log lines, written at up to 100k sessions/s (doc/control.md
 * "Usage records"). Output is what jansson's JSON_COMPACT would write for
 * the same fields in the same order: strings escaped as jansson does
 * (", \, control characters; UTF-8 kept), integers in decimal.
 */
#ifndef SG_CTL_JLINE_H
#define SG_CTL_JLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A line being built: "{" ... fields ... "}\n". */
struct sg_ctl_jline {
	char *buf;    /**< the caller's buffer */
	size_t cap;   /**< its size */
	size_t len;   /**< bytes used */
	bool over;    /**< a field did not fit: the line is unusable */
	bool started; /**< a field was written (the next one gets a comma) */
};

/** Start a line in @p buf of @p cap bytes. */
void sg_ctl_jline_init(struct sg_ctl_jline *j, char *buf, size_t cap);
/**
 * "key":"s" with @p s escaped; a string that is not valid UTF-8 is
 * written as "" (as jansson refuses it).
 */
void sg_ctl_jline_str(struct sg_ctl_jline *j, const char *key, const char *s);
/** "key":n (unsigned decimal). */
void sg_ctl_jline_u64(struct sg_ctl_jline *j, const char *key, uint64_t n);
/** "key":true or false. */
void sg_ctl_jline_bool(struct sg_ctl_jline *j, const char *key, bool v);
/** "key":"0x1a2b" (lowercase hex); 0 is "". */
void sg_ctl_jline_hex(struct sg_ctl_jline *j, const char *key, uint64_t id);
/** "key":"198.18.0.1" or an IPv6 address (@p family: SG_WIRE_FAMILY_*). */
void sg_ctl_jline_ip(struct sg_ctl_jline *j, const char *key, uint8_t family, const uint8_t *a);
/**
 * Close the object and add the newline.
 * @return the line's length, or -EMSGSIZE when it did not fit.
 */
int sg_ctl_jline_end(struct sg_ctl_jline *j);

#endif /* SG_CTL_JLINE_H */
