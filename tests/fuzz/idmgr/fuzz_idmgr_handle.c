/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the handle parser: sg_id_handle_parse() on arbitrary bytes.
 * Every accepted handle must print back to exactly the input and parse again
 * to the same value; the numeric "type#serial" form must round-trip too; the
 * name checker must agree with the parser for every namespace and type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_idmgr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_id_handle h, h2;
	char buf[SG_ID_HANDLE_MAX + 1], err[256], text[64];
	uint64_t id, id2;
	int rc, n;

	rc = sg_id_handle_parse((const char *)data, size, &h, err, sizeof(err));
	if (rc == 0) {
		n = sg_id_handle_format(&h, buf, sizeof(buf));
		if (n < 0 || (size_t)n != size || memcmp(buf, data, size) != 0)
			abort();
		if (sg_id_handle_parse(buf, (size_t)n, &h2, err, sizeof(err)) != 0)
			abort();
		if (h2.ns != h.ns || h2.type != h.type || h2.id != h.id ||
		    h2.name_len != h.name_len || memcmp(h2.name, h.name, h.name_len) != 0)
			abort();
		if (sg_id_name_check(h.ns, h.type, h.name, h.name_len, err, sizeof(err)) != 0)
			abort();
		if (h.ns == 5 /* session */ && !sg_id_valid(h.id))
			abort();
	} else if (rc != -22 /* EINVAL */ && rc != -36 /* ENAMETOOLONG */ &&
		   rc != -34 /* ERANGE */) {
		abort();
	} else if (strnlen(err, sizeof(err)) == 0) {
		abort(); /* every rejection explains itself */
	}

	/* numeric form on a NUL-terminated copy */
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (sg_id_text_parse(text, &id) == 0) {
			if (!sg_id_valid(id))
				abort();
			n = sg_id_text_format(id, buf, sizeof(buf));
			if (n <= 0 || sg_id_text_parse(buf, &id2) != 0 || id2 != id)
				abort();
		}
	}

	/* the name checker alone, for every namespace/type pair, never crashes */
	if (size > 0 && size <= SG_ID_NAME_MAX + 8) {
		unsigned int type = data[0];

		for (unsigned int ns = 0; ns <= SG_ID_NS_LAST + 1; ns++)
			(void)sg_id_name_check(ns, type, (const char *)data + 1, size - 1, err,
					       sizeof(err));
	}
	return 0;
}
