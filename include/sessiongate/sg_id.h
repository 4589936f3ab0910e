/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The 64-bit identity encoding shared by every sessiongate process (data
 * plane, control path, host agent, CLI tools). Version SG_ID_ENCODING_VERSION.
 *
 *     bit 63      56 55                                              0
 *        +---------+-------------------------------------------------+
 *        |  type   |                     serial                      |
 *        +---------+-------------------------------------------------+
 *         ^ bit 63 (top bit of the type) = 1: temporary (session) ID
 *
 * - type: one of enum sg_id_type. Codes 0x01-0x7f are persistent
 *   (resources and service providers), codes 0x80-0xff temporary (sessions),
 *   so sg_id_is_temp() is one shift.
 * - serial: 1 .. 2^56-1, allocated per type by the identity manager; a
 *   persistent serial is never reused, even after deletion or a crash.
 * - 0 is never a valid ID (SG_ID_NONE).
 *
 * Text form of the numeric key: "<type-name>#<serial>" (e.g. "vm#42"), see
 * doc/identity.md. Changing this layout requires bumping
 * SG_ID_ENCODING_VERSION and every peer that exchanges IDs.
 */
#ifndef SESSIONGATE_SG_ID_H
#define SESSIONGATE_SG_ID_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_ID_ENCODING_VERSION 1

#define SG_ID_NONE	  UINT64_C(0)
#define SG_ID_TYPE_SHIFT  56
#define SG_ID_SERIAL_BITS 56
#define SG_ID_SERIAL_MASK ((UINT64_C(1) << SG_ID_SERIAL_BITS) - 1)
#define SG_ID_SERIAL_MAX  SG_ID_SERIAL_MASK
#define SG_ID_TEMP_FLAG	  0x80u /**< type bit marking a temporary ID */

/** Object types. Never renumber: the codes are stored and exchanged. */
enum sg_id_type {
	SG_ID_T_NONE = 0x00,
	/* persistent: resources */
	SG_ID_T_DC = 0x01,	  /**< data centre */
	SG_ID_T_GROUP = 0x02,	  /**< group of hosts (rack, pod, cluster) */
	SG_ID_T_HOST = 0x03,	  /**< physical server */
	SG_ID_T_VM = 0x04,	  /**< virtual machine */
	SG_ID_T_VNIC = 0x05,	  /**< virtual NIC of a VM */
	SG_ID_T_VCPU = 0x06,	  /**< virtual CPU of a VM */
	SG_ID_T_VSWITCH = 0x07,	  /**< virtual switch on a host */
	SG_ID_T_NIC = 0x08,	  /**< physical NIC of a host */
	SG_ID_T_SWITCH = 0x09,	  /**< physical switch */
	SG_ID_T_HBA = 0x0a,	  /**< host bus adapter */
	SG_ID_T_STORAGE = 0x0b,	  /**< (shared) storage system */
	SG_ID_T_LUN = 0x0c,	  /**< logical unit of a storage system */
	SG_ID_T_USER = 0x0d,	  /**< user */
	SG_ID_T_APP = 0x0e,	  /**< application */
	SG_ID_T_VAPP = 0x0f,	  /**< virtual application (VIP, port, protocol, L7 key) */
	SG_ID_T_DOMAIN = 0x10,	  /**< application domain */
	SG_ID_T_COMPONENT = 0x11, /**< application component */
	SG_ID_T_SP = 0x12,	  /**< service provider */
	SG_ID_T_PERSISTENT_LAST = SG_ID_T_SP,
	/* temporary: sessions */
	SG_ID_T_STREAMING = 0x81,   /**< streaming session (one client flow) */
	SG_ID_T_CONTROLLING = 0x82, /**< controlling session */
	SG_ID_T_USER_SESSION = 0x83,
	SG_ID_T_SERVICE_SESSION = 0x84,
	SG_ID_T_TEMP_LAST = SG_ID_T_SERVICE_SESSION,
};

/** True if @p type is a type code this encoding version defines. */
static inline bool
sg_id_type_valid(unsigned int type)
{
	return (type >= SG_ID_T_DC && type <= SG_ID_T_PERSISTENT_LAST) ||
	       (type >= SG_ID_T_STREAMING && type <= SG_ID_T_TEMP_LAST);
}

/** True if @p type is a temporary (session) type. */
static inline bool
sg_id_type_is_temp(unsigned int type)
{
	return (type & SG_ID_TEMP_FLAG) != 0;
}

/** Build an ID; the caller guarantees a valid type and 1 <= serial <= SG_ID_SERIAL_MAX. */
static inline uint64_t
sg_id_make(unsigned int type, uint64_t serial)
{
	return ((uint64_t)(type & 0xffu) << SG_ID_TYPE_SHIFT) | (serial & SG_ID_SERIAL_MASK);
}

static inline unsigned int
sg_id_type_of(uint64_t id)
{
	return (unsigned int)(id >> SG_ID_TYPE_SHIFT);
}

static inline uint64_t
sg_id_serial_of(uint64_t id)
{
	return id & SG_ID_SERIAL_MASK;
}

static inline bool
sg_id_is_temp(uint64_t id)
{
	return (id >> 63) != 0;
}

/** True if @p id has a defined type and a non-zero serial. */
static inline bool
sg_id_valid(uint64_t id)
{
	return sg_id_type_valid(sg_id_type_of(id)) && sg_id_serial_of(id) != 0;
}

#ifdef __cplusplus
}
#endif

#endif /* SESSIONGATE_SG_ID_H */
