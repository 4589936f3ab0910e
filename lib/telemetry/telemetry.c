/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client side of DPDK's telemetry socket (v2): connect, read the JSON
 * greeting, send one command, read one answer. SOCK_SEQPACKET keeps message
 * boundaries, so each read is one whole message; MSG_TRUNC tells an answer
 * larger than the caller's buffer from one that fits. Socket timeouts bound
 * every step (connect blocks on a full backlog, recv on a silent server).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sg_cfg.h"
#include "sg_telemetry.h"

#define TEL_SOCKET "dpdk_telemetry.v2"
#define TEL_RUNDIR "/var/run/dpdk"
#define TEL_PREFIX "sessiongate"
/* DPDK reads at most this much of a command (lib/telemetry, MAX_CMD_LEN and params) */
#define TEL_CMD_MAX 1024
/* DPDK's greeting is about 80 bytes */
#define TEL_GREETING_MAX 1024

int
sg_tel_socket_path(const struct sg_cfg *cfg, char *buf, size_t len)
{
	const struct sg_cfg_appliance *a = &cfg->appliance;
	int n;

	if (a->telemetry_dir[0] != '\0')
		n = snprintf(buf, len, "%s/%s", a->telemetry_dir, TEL_SOCKET);
	else
		n = snprintf(buf, len, "%s/%s/%s", TEL_RUNDIR,
			     a->file_prefix[0] != '\0' ? a->file_prefix : TEL_PREFIX, TEL_SOCKET);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* A command is "/path" or "/path,params": printable ASCII, no NUL, bounded. */
static int
cmd_valid(const char *cmd)
{
	size_t n = strnlen(cmd, TEL_CMD_MAX);

	if (n == 0 || n >= TEL_CMD_MAX || cmd[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (cmd[i] < 0x20 || cmd[i] > 0x7e)
			return 0;
	return 1;
}

static int
set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return -errno;
	return 0;
}

/* One message into buf (NUL-terminated): its length, or -errno. */
static int
recv_msg(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_TRUNC);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET; /* closed by the server */
	if ((size_t)n > len - 1)
		return -EMSGSIZE;
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL)
		return -EBADMSG;
	return (int)n;
}

static int
connect_to(const char *path, int timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = set_timeouts(fd, timeout_ms);
	if (rc == 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
sg_tel_query(const char *path, const char *cmd, char *buf, size_t len, int timeout_ms)
{
	char greeting[TEL_GREETING_MAX];
	size_t cmd_len;
	int fd, rc;

	if (path == NULL || cmd == NULL || buf == NULL || len < 2 || timeout_ms <= 0 ||
	    !cmd_valid(cmd))
		return -EINVAL;
	if (len > SG_TEL_REPLY_MAX + 1)
		len = SG_TEL_REPLY_MAX + 1;
	cmd_len = strlen(cmd);
	fd = connect_to(path, timeout_ms);
	if (fd < 0)
		return fd;
	/* the greeting ({"version": ..., "pid": ..., "max_output_len": ...}) */
	rc = recv_msg(fd, greeting, sizeof(greeting));
	if (rc >= 0) {
		ssize_t n = send(fd, cmd, cmd_len, MSG_NOSIGNAL);

		if (n < 0 && errno == EPIPE)
			rc = -ECONNRESET; /* closed by the server */
		else if (n < 0)
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		else if ((size_t)n != cmd_len)
			rc = -EIO;
		else
			rc = recv_msg(fd, buf, len);
	}
	close(fd);
	if (rc < 0)
		buf[0] = '\0';
	return rc;
}
