/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * BIRD's control-socket protocol (the one birdc speaks): a unix stream
 * socket, one command a line, replies of numbered lines ("DDDD-text" more
 * follows, "DDDD text" the last, " text" continues the previous code).
 * Replies are hostile input: lines, line length and reply size are bounded;
 * every read and write is bounded by a timeout.
 */
#ifndef SG_RT_BIRDCTL_H
#define SG_RT_BIRDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_RT_BIRD_LINE_MAX   512	   /**< bytes in one reply line */
#define SG_RT_BIRD_LINES_MAX  4096	   /**< lines in one reply */
#define SG_RT_BIRD_REPLY_MAX  (256 * 1024) /**< bytes in one reply */
#define SG_RT_BIRD_PROTOS_MAX 64	   /**< protocols kept from "show protocols all" */

/** A connection to BIRD. */
struct sg_rt_birdctl {
	int fd; /**< -1 when closed */
	int timeout_ms;
	char buf[SG_RT_BIRD_LINE_MAX * 2]; /**< bytes read, not yet a line */
	size_t len;
	uint64_t bad_replies; /**< replies over a bound or not in the format */
};

/** One protocol of "show protocols all". */
struct sg_rt_proto {
	char name[32];
	char proto[16]; /**< "BGP", "Static", "BFD", ... */
	char state[16]; /**< "up", "down", "start", ... */
	char since[32];
	char info[48];	    /**< BGP: "Established", "Connect", ... */
	char bgp_state[24]; /**< "BGP state:" of a BGP protocol, else "" */
	long exported;	    /**< routes exported by its first channel; -1 if not shown */
};

/** Called for each reply line: its code (0..9999) and text (NUL-terminated). */
typedef void (*sg_rt_birdctl_line_fn)(unsigned int code, const char *text, void *arg);

/** Initialise @p b as closed, with @p timeout_ms for every later step. */
void sg_rt_birdctl_init(struct sg_rt_birdctl *b, int timeout_ms);

/**
 * Connect to BIRD's socket @p path and read its greeting (code 0001).
 * @return 0, or -errno (-ENOENT, -ECONNREFUSED: no BIRD; -ETIMEDOUT;
 * -EPROTO: not BIRD's greeting).
 */
int sg_rt_birdctl_open(struct sg_rt_birdctl *b, const char *path);

/** Close the connection (if open). */
void sg_rt_birdctl_close(struct sg_rt_birdctl *b);

/**
 * Has BIRD closed the connection (it exited or restarted)? Does not block.
 * @return true when closed, hung up or readable (BIRD says nothing unasked).
 */
bool sg_rt_birdctl_gone(struct sg_rt_birdctl *b);

/**
 * Send @p cmd (one line, printable) and read its reply, calling @p fn (may
 * be NULL) for each line. @return the code of the last line (0..9999), or
 * -errno: -EINVAL (bad command), -ETIMEDOUT, -ECONNRESET (BIRD closed),
 * -EPROTO or -E2BIG (reply not in the format or over a bound; counted in
 * bad_replies). After a negative return the connection is closed.
 */
int sg_rt_birdctl_cmd(struct sg_rt_birdctl *b, const char *cmd, sg_rt_birdctl_line_fn fn,
		      void *arg);

/**
 * "enable NAME" / "disable NAME". @return 0 when the protocol is now in
 * that state (done or already so), -EREMOTEIO when BIRD refused (unknown
 * protocol), or a negative errno of sg_rt_birdctl_cmd().
 */
int sg_rt_birdctl_set(struct sg_rt_birdctl *b, const char *proto, bool enable);

/**
 * "show protocols all": up to @p max protocols into @p out, their number in
 * @p n. @return 0, -EREMOTEIO (BIRD refused), or sg_rt_birdctl_cmd()'s error.
 */
int sg_rt_birdctl_protocols(struct sg_rt_birdctl *b, struct sg_rt_proto *out, unsigned int max,
			    unsigned int *n);

#endif /* SG_RT_BIRDCTL_H */
