/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the admin API request parser (sg_ctl_admin_parse, on
 * jansson). Any byte string is one request line. An accepted request must
 * satisfy every bound the handlers rely on: a known command, a limit in
 * range, NUL-terminated names of allowed characters, a non-zero ID for
 * "session", a state in range; a refused one must say why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *s, size_t cap)
{
	size_t len = strnlen(s, cap);

	if (len == cap)
		abort();
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_ctl_admin_req req;
	char err[256];
	int rc;

	err[0] = '\0';
	rc = sg_ctl_admin_parse((const char *)data, size, &req, err, sizeof(err));
	if (rc != 0) {
		if (rc != -EINVAL || err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))
			abort();
		return 0;
	}
	if (req.cmd >= SG_CTL_ADM_CMD_MAX || req.limit < 1 || req.limit > SG_CTL_ADMIN_LIMIT_MAX)
		abort();
	if (req.state < -1 || req.state >= SG_CTL_CS_STATE_MAX)
		abort();
	if (req.cmd == SG_CTL_ADM_SESSION && req.id == 0)
		abort();
	check_name(req.app, sizeof(req.app));
	check_name(req.vm, sizeof(req.vm));
	check_name(req.user, sizeof(req.user));
	check_name(req.name, sizeof(req.name));
	return 0;
}
