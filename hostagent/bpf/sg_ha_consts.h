/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Constants of the host datapath programs (Katran-style layout: consts,
 * structs, maps, packet parsing, decapsulation, rewrite, encapsulation,
 * hand-off; sg_ha.bpf.c composes them).
 */
#ifndef SG_HA_CONSTS_H
#define SG_HA_CONSTS_H

/* IPv4 fragment bits of frag_off (host order). */
#define IP_MF	  0x2000
#define IP_OFFSET 0x1fff

/* TCP options: at most 40 bytes; the options looked at (Linux sends at most 8 with NOPs). */
#define TCP_OPT_SPACE 40
#define TCP_OPT_WALK  16

/* The verdict of a decapsulator that is not ours to judge: leave it to the kernel. */
#define SG_HA_DECAP_PASS (-1)

#endif /* SG_HA_CONSTS_H */
