/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl vm start|stop|save NAME and sgctl session abort ID.
 * PLACEHOLDER of the issue-15 interface commit: replaced by its implementation.
 */
#include <stdio.h>

#include <jansson.h>

#include "admin.h"

json_t *
sg_ctl_admin_vmop(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		  size_t errlen)
{
	(void)v;
	(void)req;
	snprintf(err, errlen, "not implemented yet");
	return NULL;
}

json_t *
sg_ctl_admin_abort(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	(void)v;
	(void)req;
	snprintf(err, errlen, "not implemented yet");
	return NULL;
}
