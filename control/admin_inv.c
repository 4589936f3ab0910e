/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl app|vm|host add|remove: the inventory changed at run time
 * (doc/control.md "Changing the inventory").
 * PLACEHOLDER of the issue-15 interface commit: replaced by its implementation.
 */
#include <stdio.h>

#include <jansson.h>

#include "admin.h"

json_t *
sg_ctl_admin_inv(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		 size_t errlen)
{
	(void)v;
	(void)req;
	snprintf(err, errlen, "not implemented yet");
	return NULL;
}
