/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * names.c: the YAML keywords of the configuration's enums (not installed).
 * Each table is NULL-terminated and indexed by the enum value, except
 * sg_cfg_proto_names (index 0 = tcp, 1 = udp). The sg_cfg_*_name()
 * functions over them are public (sg_cfg.h).
 */
#ifndef SG_CFG_NAMES_H
#define SG_CFG_NAMES_H

#include "sg_cfg.h"

extern const char *const sg_cfg_mode_names[];	    /**< enum sg_cfg_mode */
extern const char *const sg_cfg_sched_names[];	    /**< enum sg_cfg_sched */
extern const char *const sg_cfg_encap_names[];	    /**< enum sg_cfg_encap */
extern const char *const sg_cfg_proto_names[];	    /**< tcp, udp */
extern const char *const sg_cfg_l7_names[];	    /**< enum sg_cfg_l7 */
extern const char *const sg_cfg_ctl_down_names[];   /**< enum sg_cfg_ctl_down */
extern const char *const sg_cfg_check_type_names[]; /**< enum sg_cfg_check_type ("none" first) */
extern const char *const sg_cfg_no_member_names[];  /**< enum sg_cfg_no_member */

#endif /* SG_CFG_NAMES_H */
