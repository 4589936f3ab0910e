/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl app|vm|host|pool add|remove: the inventory changed at run time
 * (doc/control.md "Changing the inventory"; inventory_store.c does it).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "admin.h"
#include "inventory.h"
#include "view.h"

json_t *
sg_ctl_admin_inv(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		 size_t errlen)
{
	bool add = strcmp(req->op, "add") == 0;
	unsigned int kind;

	switch (req->cmd) {
	case SG_CTL_ADM_APP:
		kind = SG_CTL_KIND_APP;
		break;
	case SG_CTL_ADM_VM:
		kind = SG_CTL_KIND_VM;
		break;
	case SG_CTL_ADM_HOST:
		kind = SG_CTL_KIND_HOST;
		break;
	default:
		kind = SG_CTL_KIND_POOL;
		break;
	}
	if (v->invm == NULL || v->invm->specs == NULL) {
		snprintf(err, errlen, "no inventory store (sg-control without its files)");
		return NULL;
	}
	return sg_ctl_inventory_change(v->invm, kind, add, add ? req->spec : req->name, err,
				       errlen);
}
