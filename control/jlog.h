/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * jlog.c: a JSON-lines file (usage records, access log): one compact JSON
 * object per line (built by jline.c), collected in a bounded buffer
 * (SG_CTL_JLOG_BUF bytes) and appended with one write(2) on an O_APPEND
 * descriptor when it is half full, when its oldest line is
 * SG_CTL_JLOG_FLUSH_MS old (sg_ctl_jlog_tick), before a rotation, and on
 * sg_ctl_jlog_flush (sgctl usage, reload, exit); rotated by size (path ->
 * path.1 -> ... -> path.keep, the oldest removed). Whole lines only reach
 * the file; a kill -9 loses what the buffer held (at most
 * SG_CTL_JLOG_FLUSH_MS of lines). A file that cannot be opened or written
 * is counted and retried at most once a second: lines that find the
 * buffer full meanwhile are dropped and counted; the event loop never
 * waits on it for longer than one write to a local file, and no memory
 * grows with it.
 */
#ifndef SG_CTL_JLOG_H
#define SG_CTL_JLOG_H

#include <stdint.h>

#include "cfg.h"

#define SG_CTL_JLOG_LINE_MAX 4096	  /**< bytes of one line, newline included */
#define SG_CTL_JLOG_KEEP_MAX 100	  /**< rotated files kept at most */
#define SG_CTL_JLOG_BUF	     (256u << 10) /**< lines held before a write, at most */
#define SG_CTL_JLOG_FLUSH_MS 100	  /**< the oldest held line is written this soon */

/** One JSON-lines file and its counters. */
struct sg_ctl_jlog {
	char path[SG_CTL_PATH_MAX]; /**< "" = off */
	int fd;			    /**< -1: not open */
	uint64_t size;		    /**< bytes in the current file, held ones included */
	char *buf;		    /**< lines not yet written (SG_CTL_JLOG_BUF bytes) */
	size_t held;		    /**< bytes of them */
	uint32_t held_lines;	    /**< whole lines of them (written: counted in lines) */
	uint64_t held_since_ns;	    /**< when the oldest was added (monotonic) */
	uint64_t max_bytes;	    /**< rotate before a line would pass this */
	uint32_t keep;		    /**< path.1 .. path.keep */
	bool failing;		    /**< the last open or write failed (logged once) */
	uint64_t retry_ns;	    /**< after a failure: not again before this (monotonic) */
	uint64_t lines;		    /**< lines written */
	uint64_t errors;	    /**< lines lost: not writable, buffer full, too long */
	uint64_t rotations;	    /**< files rotated */
};

/** An unconfigured (off) log. */
void sg_ctl_jlog_init(struct sg_ctl_jlog *l);
/**
 * Write to @p path ("" = off), rotate at @p max_mb MiB keeping @p keep
 * old files. A new path flushes and closes the old file; the same one
 * changes nothing but the limits.
 */
void sg_ctl_jlog_config(struct sg_ctl_jlog *l, const char *path, uint32_t max_mb, uint32_t keep);
/**
 * Add @p line (@p n bytes, one JSON object and its newline) to the
 * buffer; written when the buffer is half full or by the next flush
 * (now_ns: monotonic, for the flush timer and the retry pause).
 * @return 0 (held, or the log is off), -EMSGSIZE (too long: never cut),
 * -EAGAIN (pausing after a failure), -ENOBUFS (the buffer is full and
 * cannot be written), or -errno of open; every loss is counted in errors.
 */
int sg_ctl_jlog_put(struct sg_ctl_jlog *l, const char *line, size_t n, uint64_t now_ns);
/**
 * Write the held lines now (one write(2)).
 * @return 0 or -errno (the lines stay held, retried after the pause).
 */
int sg_ctl_jlog_flush(struct sg_ctl_jlog *l, uint64_t now_ns);
/** Flush when the oldest held line is SG_CTL_JLOG_FLUSH_MS old (the 10 ms tick). */
void sg_ctl_jlog_tick(struct sg_ctl_jlog *l, uint64_t now_ns);
/** Close the file (the log stays configured; the next line opens it again). */
void sg_ctl_jlog_close(struct sg_ctl_jlog *l);
/** Flush, close, free the buffer; lines that could not be written are counted lost. */
void sg_ctl_jlog_fini(struct sg_ctl_jlog *l);
/** "@p path.@p i" into @p buf (i = 0: @p path itself). @return 0 or -ENAMETOOLONG. */
int sg_ctl_jlog_name(char *buf, size_t len, const char *path, unsigned int i);

#endif /* SG_CTL_JLOG_H */
