/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * jlog.c: a JSON-lines file (usage records, access log): one compact JSON
 * object per line, each line one write(2) on an O_APPEND descriptor,
 * rotated by size (path -> path.1 -> ... -> path.keep, the oldest
 * removed). A file that cannot be written is counted and retried at most
 * once a second: the event loop never waits on it for longer than one
 * write to a local file, and no memory grows with it.
 */
#ifndef SG_CTL_JLOG_H
#define SG_CTL_JLOG_H

#include <stdint.h>

#include "cfg.h"

#define SG_CTL_JLOG_LINE_MAX 4096 /**< bytes of one line, newline included */
#define SG_CTL_JLOG_KEEP_MAX 100  /**< rotated files kept at most */

struct json_t;

/** One JSON-lines file and its counters. */
struct sg_ctl_jlog {
	char path[SG_CTL_PATH_MAX]; /**< "" = off */
	int fd;			    /**< -1: not open */
	uint64_t size;		    /**< bytes in the current file */
	uint64_t max_bytes;	    /**< rotate before a line would pass this */
	uint32_t keep;		    /**< path.1 .. path.keep */
	bool failing;		    /**< the last open or write failed (logged once) */
	uint64_t retry_ns;	    /**< after a failure: not again before this (monotonic) */
	uint64_t lines;		    /**< lines written */
	uint64_t errors;	    /**< lines lost: not writable, short write, too long */
	uint64_t rotations;	    /**< files rotated */
};

/** An unconfigured (off) log. */
void sg_ctl_jlog_init(struct sg_ctl_jlog *l);
/**
 * Write to @p path ("" = off), rotate at @p max_mb MiB keeping @p keep
 * old files. A new path closes the old file; the same one changes nothing
 * but the limits.
 */
void sg_ctl_jlog_config(struct sg_ctl_jlog *l, const char *path, uint32_t max_mb, uint32_t keep);
/**
 * Append @p rec as one line (now_ns: monotonic, for the retry pause).
 * @return 0 (written, or the log is off), -EMSGSIZE, -EAGAIN (pausing after
 * a failure), or -errno of open/write; every failure is counted in errors.
 */
int sg_ctl_jlog_write(struct sg_ctl_jlog *l, const struct json_t *rec, uint64_t now_ns);
/** Close the file (the log stays configured; the next write opens it again). */
void sg_ctl_jlog_close(struct sg_ctl_jlog *l);
/** "@p path.@p i" into @p buf (i = 0: @p path itself). @return 0 or -ENAMETOOLONG. */
int sg_ctl_jlog_name(char *buf, size_t len, const char *path, unsigned int i);

#endif /* SG_CTL_JLOG_H */
