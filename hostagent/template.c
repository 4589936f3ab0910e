/* SPDX-License-Identifier: BSD-3-Clause */
/* Domain XML templates (template.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "template.h"
#include "text.h"
#include "tplrender.h"

/* Read the template file @p path into @p tpl (SG_HA_TEMPLATE_MAX + 1 bytes). @return its length or
 * -1. */
static long
read_template(const char *path, char *tpl, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		sg_ha_textf(err, errlen, "template %.96s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(tpl, 1, SG_HA_TEMPLATE_MAX + 1, f);
	fclose(f);
	if (n > SG_HA_TEMPLATE_MAX) {
		sg_ha_textf(err, errlen, "template %.96s larger than %u bytes", path,
			    SG_HA_TEMPLATE_MAX);
		return -1;
	}
	tpl[n] = '\0';
	return (long)n;
}

static void
format_uuid(const struct sg_ha_vm_cfg *vm, const uint8_t *known, char out[40])
{
	uint8_t d[16];
	const uint8_t *u = vm->has_uuid ? vm->uuid : known;

	if (u == NULL) { /* from the name: FNV-1a over 4 lanes, a version-4 layout */
		for (unsigned int lane = 0; lane < 4; lane++) {
			uint32_t h = 2166136261u ^ lane;

			for (const unsigned char *p = (const unsigned char *)vm->name; *p; p++)
				h = (h ^ *p) * 16777619u;
			for (unsigned int b = 0; b < 4; b++)
				d[lane * 4 + b] = (uint8_t)(h >> (8 * b));
		}
		d[6] = (uint8_t)((d[6] & 0x0f) | 0x40);
		d[8] = (uint8_t)((d[8] & 0x3f) | 0x80);
		u = d;
	}
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

int
sg_ha_template_define(struct sg_ha_lv *lv, const struct sg_ha_config *cfg,
		      const struct sg_ha_vm_cfg *vm, const uint8_t *known, char *err, size_t errlen)
{
	const struct sg_ha_template_cfg *t = NULL;
	const char *path = vm->template_path;
	char uuid[40], addr[INET6_ADDRSTRLEN] = "", msg[160];
	struct sg_ha_tpl_subst s = {.name = vm->name, .uuid = uuid, .disk = vm->disk, .addr = addr};
	char *tpl = NULL, *xml = NULL;
	virDomainPtr dom;
	long n;
	int rc = -EIO;

	if (vm->template_name[0]) {
		t = sg_ha_config_template(cfg, vm->template_name);
		if (t == NULL) {
			sg_ha_textf(err, errlen, "no template named %s", vm->template_name);
			return -EINVAL;
		}
		path = t->path;
	}
	s.t = t;
	format_uuid(vm, known, uuid);
	sg_ha_tpl_mac(vm->name, s.mac);
	if (vm->addr.family)
		inet_ntop(vm->addr.family,
			  vm->addr.family == AF_INET ? (const void *)&vm->addr.v4
						     : (const void *)vm->addr.v6,
			  addr, sizeof(addr));
	tpl = malloc(SG_HA_TEMPLATE_MAX + 1);
	xml = malloc(2 * SG_HA_TEMPLATE_MAX);
	if (tpl == NULL || xml == NULL) {
		sg_ha_textf(err, errlen, "out of memory");
		goto out;
	}
	n = read_template(path, tpl, err, errlen);
	if (n < 0)
		goto out;
	if (sg_ha_tpl_render(tpl, (size_t)n, &s, xml, 2 * SG_HA_TEMPLATE_MAX, msg, sizeof(msg)) <
	    0) {
		sg_ha_textf(err, errlen, "template %.64s: %s",
			    t ? t->name : (strrchr(path, '/') ? strrchr(path, '/') + 1 : path),
			    msg);
		rc = -EINVAL;
		goto out;
	}
	dom = virDomainDefineXML(lv->conn, xml);
	if (dom == NULL) {
		sg_ha_textf(err, errlen, "define %s from %.64s: %.120s", vm->name, path,
			    sg_ha_lv_error());
		goto out;
	}
	sg_ha_log(LOG_INFO, "vm %s: defined from template %s", vm->name, path);
	virDomainFree(dom);
	rc = 0;
out:
	free(tpl);
	free(xml);
	return rc;
}
