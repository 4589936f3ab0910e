/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generated configurations of the cluster tests (test_cluster.c,
 * test_cluster_errors.c): a head that a body of appliance keys goes on
 * with, and valid sync and bgp bases.
 */
#ifndef SG_CFG_CLUSTER_TEST_H
#define SG_CFG_CLUSTER_TEST_H

/*
 * Five lines: NAT addresses, a VS, and an appliance map that a body goes
 * on with (its keys at two spaces). Body line N is file line 5 + N.
 */
static const char head[] =
	"nat: {addresses: [198.18.0.100, \"2001:2::100\"]}\n"
	"pools: [{name: web, members: [{name: a, address: 198.18.0.11}]}]\n"
	"virtual_services: [{name: v, vip: 198.18.10.1, port: 80, mode: nat, pool: web}]\n"
	"appliance:\n"
	"  ports: [{name: p0, device: net_null0, address: 198.18.0.1/24, "
	"address6: \"2001:2::1/64\"}]\n";

/* The valid bases of the error table: sync (and bgp) enabled, with one peer. */
#define SYNC                         \
	"  cluster:\n"               \
	"    node_id: 1\n"           \
	"    sync:\n"                \
	"      enabled: true\n"      \
	"      listen: 198.18.3.1\n" \
	"      key_file: /k\n"
#define SYNC_P SYNC "      peers: [{name: b, address: 198.18.3.2}]\n"
#define BGP                     \
	"  cluster:\n"          \
	"    node_id: 1\n"      \
	"    bgp:\n"            \
	"      enabled: true\n" \
	"      asn: 65001\n"
#define BGP_P BGP "      peers: [{name: r, address: 198.18.0.254, asn: 65000}]\n"

#endif /* SG_CFG_CLUSTER_TEST_H */
