/* SPDX-License-Identifier: BSD-3-Clause */
/* sgid: diagnostics on stderr, exit codes, and the lines printed for objects. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void
sg_id_cli_errf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int
sg_id_cli_exit_code(int rc)
{
	switch (rc) {
	case 0:
		return EX_OK;
	case -ENOENT:
		return EX_NOTFOUND;
	case -EINVAL:
	case -ENAMETOOLONG:
	case -E2BIG:
	case -ERANGE:
	case -EMLINK:
		return EX_USAGE_;
	case -EEXIST:
	case -ENOTEMPTY:
	case -ELOOP:
	case -ENOLINK:
	case -EROFS:
	case -ENOBUFS:
		return EX_REFUSED;
	}
	return EX_STORE;
}

int
sg_id_cli_fail(struct sg_id_store *s, int rc, const char *what)
{
	const char *msg = s ? sg_id_store_errmsg(s) : "";

	sg_id_cli_errf("sgid: %s: %s\n", what, msg[0] ? msg : sg_id_strerror(rc));
	return sg_id_cli_exit_code(rc);
}

void
sg_id_cli_print_obj(struct sg_id_store *s, uint64_t id)
{
	char t[SG_ID_TEXT_MAX], h[SG_ID_HANDLE_MAX + 1];
	const char *hp = h;

	sg_id_text_format(id, t, sizeof(t));
	if (sg_id_handle_of(s, id, h, sizeof(h)) < 0)
		hp = "?";
	printf("%-22s %s\n", t, hp);
}

int
sg_id_cli_print_list(struct sg_id_store *s, int rc, const uint64_t *ids, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		sg_id_cli_print_obj(s, ids[i]);
	if (rc == -ENOBUFS)
		sg_id_cli_errf("sgid: %s: output truncated at %zu entries (raise -m)\n", what, n);
	else if (rc < 0)
		return sg_id_cli_fail(s, rc, what);
	return rc < 0 ? sg_id_cli_exit_code(rc) : 0;
}
