/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The cluster's key layout in etcd (doc/cluster.md "etcd"), version
 * SG_CLUSTER_KEYS_VERSION, which is part of every key's path:
 *
 *     <prefix>/v1/<kind>/...        prefix: configured, default "/sessiongate"
 *
 * A change of a key or of a value's meaning bumps the version (a new path:
 * "v2/"), and every reader and writer moves in the same commit; old keys are
 * then ignored, never misread. Values are JSON objects (UTF-8, at most
 * SG_ETCD_VALUE_MAX bytes); readers ignore members they do not know and
 * treat a value that does not parse as absent (and count it). IDs in keys are
 * 16 lower-case hex digits of the 64-bit ID (sessiongate/sg_id.h); in values
 * they are the text form "type#serial" (e.g. "vm#42").
 *
 * Identities (idmgr/cluster.c writes, idmgr/follow.c applies to LMDB), all
 * under v1/id/ so that one watch sees them in revision order:
 *
 *   v1/id/obj/<id hex>     one object: {"id":"vm#42","ns":"infra","type":"vm",
 *                          "name":"vm-a","created_ns":N,"attrs":{"k":"v",...}}.
 *                          Created with create-if-absent: the key is the claim
 *                          of the serial, so two appliances never hand out the
 *                          same ID. Attributes are rewritten with the record.
 *   v1/id/name/<ns>/<type>/<name>
 *                          the uniqueness claim of a name: {"id":"vm#42"}
 *                          (create-if-absent after the obj/ key; on a lost
 *                          race the obj/ key is deleted again).
 *   v1/id/tree/<child hex> the containment tree: {"parent":"host#3"}
 *                          (absent: a root).
 *   v1/id/ref/<vm hex>     a VM's reference ID: {"component":"component#7"}.
 *   v1/id/rel/<from hex>/<relation>/<to hex>
 *                          one relationship edge (relation: sg_id_rel_name(),
 *                          e.g. "subscribes"): {}.
 *
 * Control state (control/cluster*.c; leases are the owning sg-control's):
 *
 *   v1/nodes/<node>        a live sg-control, under its lease:
 *                          {"node":"a","pid":N,"started_ms":N}
 *   v1/vms/<vm>/owner      the node that brokers, starts and stops the VM,
 *                          created-if-absent under the owner's lease
 *   v1/vms/<vm>/state      published by the owner under its lease:
 *                          {"node":"a","state":"running","address":"198.18.1.5",
 *                          "host":"h1","sessions":N}
 *   v1/vms/<vm>/want/<node>  a node asks the owner to start the VM (its lease)
 *   v1/vms/<vm>/use/<node>   sessions a node holds on the VM (its lease)
 *   v1/sessions/<sid hex>  one brokered session, created-if-absent before it is
 *                          placed (a second create is refused: never brokered
 *                          twice): {"node":"a","state":"new"|"installed",
 *                          "app":"desk","vm":"vm-a","worker":N}; deleted at close.
 *
 * Names (<node>, <vm>, <name>) are the configured names; a name may not hold
 * '/' where it is a path segment other than the last (the config and idmgr
 * name rules already refuse it for node and VM names).
 */
#ifndef SESSIONGATE_SG_CLUSTER_KEYS_H
#define SESSIONGATE_SG_CLUSTER_KEYS_H

#include <inttypes.h>

#define SG_CLUSTER_KEYS_VERSION 1

/** The default prefix (appliance and sg-control config: cluster prefix). */
#define SG_CK_PREFIX_DEFAULT "/sessiongate"

/** Path segments after "<prefix>/": snprintf(key, n, "%s/" SG_CK_NODES "%s", prefix, node). */
#define SG_CK_ROOT     "v1/"
#define SG_CK_ID       SG_CK_ROOT "id/" /**< every identity key: the follower's watch */
#define SG_CK_ID_OBJ   SG_CK_ID "obj/"
#define SG_CK_ID_NAME  SG_CK_ID "name/"
#define SG_CK_ID_TREE  SG_CK_ID "tree/"
#define SG_CK_ID_REF   SG_CK_ID "ref/"
#define SG_CK_ID_REL   SG_CK_ID "rel/"
#define SG_CK_NODES    SG_CK_ROOT "nodes/"
#define SG_CK_VMS      SG_CK_ROOT "vms/"
#define SG_CK_SESSIONS SG_CK_ROOT "sessions/"

/** printf format of an ID in a key (16 lower-case hex digits). */
#define SG_CK_ID_FMT "%016" PRIx64

/** Length of an ID in a key. */
#define SG_CK_ID_LEN 16

#endif /* SESSIONGATE_SG_CLUSTER_KEYS_H */
