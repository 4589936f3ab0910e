/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain XML templates (template.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "template.h"
#include "text.h"

/* Read the template file into @p tpl (SG_HA_TEMPLATE_MAX + 1 bytes). @return its length or -1. */
static long
read_template(const struct sg_ha_vm_cfg *vm, char *tpl, char *err, size_t errlen)
{
	FILE *f = fopen(vm->template_path, "re");
	size_t n;

	if (f == NULL) {
		sg_ha_textf(err, errlen, "template %.96s: %s", vm->template_path, strerror(errno));
		return -1;
	}
	n = fread(tpl, 1, SG_HA_TEMPLATE_MAX + 1, f);
	fclose(f);
	if (n > SG_HA_TEMPLATE_MAX) {
		sg_ha_textf(err, errlen, "template %.96s larger than %u bytes", vm->template_path,
			    SG_HA_TEMPLATE_MAX);
		return -1;
	}
	tpl[n] = '\0';
	return (long)n;
}

/* Substitute @NAME@, @UUID@, @DISK@ of @p tpl (@p n bytes) into @p xml (2 * SG_HA_TEMPLATE_MAX). */
static void
substitute(const struct sg_ha_vm_cfg *vm, const char *tpl, size_t n, char *xml)
{
	char uuid[40] = "";
	size_t o = 0;

	if (vm->has_uuid) {
		const uint8_t *u = vm->uuid;

		snprintf(uuid, sizeof(uuid),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
			 u[12], u[13], u[14], u[15]);
	}
	for (size_t i = 0; i < n && o < 2 * SG_HA_TEMPLATE_MAX - SG_HA_PATH_MAX - 1;) {
		const char *sub = NULL;

		if (strncmp(tpl + i, "@NAME@", 6) == 0)
			sub = vm->name;
		else if (strncmp(tpl + i, "@UUID@", 6) == 0)
			sub = uuid;
		else if (strncmp(tpl + i, "@DISK@", 6) == 0)
			sub = vm->disk;
		if (sub) {
			size_t l = strlen(sub);

			memcpy(xml + o, sub, l);
			o += l;
			i += 6;
		} else {
			xml[o++] = tpl[i++];
		}
	}
	xml[o] = '\0';
}

int
sg_ha_template_define(struct sg_ha_lv *lv, const struct sg_ha_vm_cfg *vm, char *err, size_t errlen)
{
	char *tpl = malloc(SG_HA_TEMPLATE_MAX + 1), *xml = malloc(2 * SG_HA_TEMPLATE_MAX);
	virDomainPtr dom;
	long n;
	int rc = -EIO;

	if (tpl == NULL || xml == NULL) {
		sg_ha_textf(err, errlen, "out of memory");
		goto out;
	}
	n = read_template(vm, tpl, err, errlen);
	if (n < 0)
		goto out;
	substitute(vm, tpl, (size_t)n, xml);
	dom = virDomainDefineXML(lv->conn, xml);
	if (dom == NULL) {
		sg_ha_textf(err, errlen, "define %s from %.64s: %.120s", vm->name,
			    vm->template_path, sg_ha_lv_error());
		goto out;
	}
	sg_ha_log(LOG_INFO, "vm %s: defined from template %s", vm->name, vm->template_path);
	virDomainFree(dom);
	rc = 0;
out:
	free(tpl);
	free(xml);
	return rc;
}
