/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain XML templates: define a VM that libvirt does not know yet (or again). */
#ifndef SG_HA_TEMPLATE_H
#define SG_HA_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "ha_config.h"
#include "libvirt.h"

#define SG_HA_TEMPLATE_MAX (64u * 1024)

/**
 * Define @p vm in libvirt from its template (a file path, or a template of
 * @p cfg by name: that file is read again at each define): the variables
 * of tplrender.h are substituted. @UUID@ is the VM's configured UUID, else
 * @p known (libvirt's, when the domain exists; may be NULL), else one
 * derived from the name (stable).
 * @return 0, or -EINVAL (unknown template or variable, bad value) / -EIO
 *   (unreadable or too large file, libvirt refused the XML, out of
 *   memory) with @p err filled.
 */
int sg_ha_template_define(struct sg_ha_lv *lv, const struct sg_ha_config *cfg,
			  const struct sg_ha_vm_cfg *vm, const uint8_t *known, char *err,
			  size_t errlen);

#endif /* SG_HA_TEMPLATE_H */
