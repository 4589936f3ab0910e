/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain XML templates: define a VM that libvirt does not know yet. */
#ifndef SG_HA_TEMPLATE_H
#define SG_HA_TEMPLATE_H

#include <stddef.h>

#include "ha_config.h"
#include "libvirt.h"

#define SG_HA_TEMPLATE_MAX (64u * 1024)

/**
 * Define @p vm in libvirt from its template file: @NAME@, @UUID@ and
 * @DISK@ are substituted.
 * @return 0, or -EIO with @p err filled (unreadable or too large template,
 *   libvirt refused the XML, out of memory).
 */
int sg_ha_template_define(struct sg_ha_lv *lv, const struct sg_ha_vm_cfg *vm, char *err,
			  size_t errlen);

#endif /* SG_HA_TEMPLATE_H */
