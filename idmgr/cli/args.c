/* SPDX-License-Identifier: BSD-3-Clause */
/* sgid: opening the store, and parsing object, relation, number and type arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
sg_id_cli_open(struct sg_id_cli *cli, int write, struct sg_id_store **s)
{
	struct sg_id_open_opts o = {.flags = cli->open_flags};
	int rc;

	if (!write)
		o.flags |= SG_ID_OPEN_RDONLY;
	rc = sg_id_store_open(cli->store_dir, &o, s);
	if (rc < 0) {
		sg_id_cli_errf("sgid: cannot open store %s: %s%s\n", cli->store_dir,
			       sg_id_strerror(rc),
			       rc == -ENOENT ? " (register something first, or check -d)" : "");
		return rc == -ENOENT ? EX_NOTFOUND : EX_STORE;
	}
	return 0;
}

int
sg_id_cli_resolve(struct sg_id_store *s, const char *text, uint64_t *id)
{
	int rc = sg_id_lookup_handle(s, text, id);

	if (rc < 0)
		return sg_id_cli_fail(s, rc, text);
	return 0;
}

int
sg_id_cli_parse_rels(const char *list, uint32_t *mask)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf)) {
		sg_id_cli_errf("sgid: relation list longer than %zu bytes\n", sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int r = sg_id_rel_from_name(tok);

		if (r < 0) {
			sg_id_cli_errf("sgid: unknown relation '%s' (" REL_NAMES ")\n", tok);
			return -EINVAL;
		}
		*mask |= SG_ID_REL_BIT(r);
	}
	return 0;
}

int
sg_id_cli_parse_uint(const char *text, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(text, &end, 10);
	if (errno || end == text || *end || *v > max || text[0] == '-') {
		sg_id_cli_errf("sgid: '%s' is not a number in 0..%llu\n", text, max);
		return -EINVAL;
	}
	return 0;
}

int
sg_id_cli_parse_type(const char *text, unsigned int *type)
{
	int t = sg_id_type_from_name(text);

	if (t < 0) {
		sg_id_cli_errf("sgid: unknown type '%s'\n", text);
		return -EINVAL;
	}
	*type = (unsigned int)t;
	return 0;
}
