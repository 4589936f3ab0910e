/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pre-shared key file of the agent handshake, read the same way by
 * sg-control and sg-hostagent.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sessiongate/sg_agent_proto.h"

int
sg_agent_key_load(const char *path, uint8_t key[SG_AGENT_KEY_MAX], size_t *len)
{
	uint8_t buf[SG_AGENT_KEY_MAX + 2]; /* one byte past the longest key and its newline */
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*len = (size_t)n;
	if (n < (ssize_t)SG_AGENT_KEY_MIN || n > (ssize_t)SG_AGENT_KEY_MAX)
		return -EINVAL;
	memcpy(key, buf, (size_t)n);
	return 0;
}
