/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration files read whole and bounded: at most SG_CFG_FILE_MAX
 * bytes of a regular file, then parsed by the reader (reader.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "sg_cfg_doc.h"

int
sg_cfg_read_file(const char *path, char **bufp, size_t *lenp, struct sg_cfg_error *err)
{
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, rc;

	*bufp = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		sg_cfg_error_at(err, path, 0, 0, "", "cannot open: %s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		sg_cfg_error_at(err, path, 0, 0, "", "cannot stat: %s", strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		sg_cfg_error_at(err, path, 0, 0, "", "not a regular file");
		goto fail;
	}
	if (st.st_size > (off_t)SG_CFG_FILE_MAX) {
		rc = -EFBIG;
		sg_cfg_error_at(err, path, 0, 0, "",
				"file of %jd bytes is over the limit of %u bytes",
				(intmax_t)st.st_size, SG_CFG_FILE_MAX);
		goto fail;
	}
	/* One byte more than the limit, so that a file growing meanwhile is caught. */
	buf = malloc(SG_CFG_FILE_MAX + 2);
	if (buf == NULL) {
		rc = -ENOMEM;
		sg_cfg_error_at(err, path, 0, 0, "", "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, SG_CFG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			free(buf);
			sg_cfg_error_at(err, path, 0, 0, "", "cannot read: %s", strerror(-rc));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SG_CFG_FILE_MAX) {
			free(buf);
			rc = -EFBIG;
			sg_cfg_error_at(err, path, 0, 0, "", "file is over the limit of %u bytes",
					SG_CFG_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	close(fd);
	return rc;
}

int
sg_cfg_doc_load(const char *path, struct sg_cfg_doc **out, struct sg_cfg_error *err)
{
	size_t len;
	char *buf;
	int rc;

	*out = NULL;
	rc = sg_cfg_read_file(path, &buf, &len, err);
	if (rc != 0)
		return rc;
	rc = sg_cfg_doc_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}
