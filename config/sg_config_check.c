/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-config-check FILE...: validate sessiongate configuration files with
 * the same library the daemons use. Prints "FILE: ok" (stdout) or the
 * error "FILE:line:col: key: message" (stderr) per file; exit 1 when any
 * file is bad, 2 on usage errors. --dump writes each valid file back with
 * every default made explicit.
 */
#include <stdio.h>
#include <string.h>

#include "sg_cfg.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sg-config-check [--dump] FILE...\n"
		   "Validate sessiongate YAML configuration files (doc/configuration.md).\n"
		   "  --dump   print each valid file normalized, with every default written out\n");
}

int
main(int argc, char **argv)
{
	int i, first = 1, bad = 0;
	int dump = 0;

	for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
		if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else if (strcmp(argv[first], "--dump") == 0) {
			dump = 1;
		} else if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "sg-config-check: unknown option %s\n", argv[first]);
			usage(stderr);
			return 2;
		}
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = first; i < argc; i++) {
		struct sg_cfg_error err;
		struct sg_cfg *cfg = NULL;
		char line[sizeof(err.file) + sizeof(err.key) + sizeof(err.msg) + 32];

		if (sg_cfg_load_file(argv[i], &cfg, &err) != 0) {
			fprintf(stderr, "%s\n", sg_cfg_error_format(&err, line, sizeof(line)));
			bad = 1;
			continue;
		}
		if (dump) {
			if (sg_cfg_dump(cfg, stdout) != 0) {
				fprintf(stderr, "%s: cannot write the dump\n", argv[i]);
				bad = 1;
			}
		} else {
			printf("%s: ok\n", argv[i]);
		}
		sg_cfg_free(cfg);
	}
	return bad;
}
