/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cost of the host datapath program per packet, measured by the kernel
 * (bpf_prog_test_run_opts duration: program time only, no syscall). Each
 * run gets a fresh copy of the packet (repeat = 1), since the program
 * rewrites it; the figure is the mean over N runs. Needs root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "datapath.h"
#include "sessiongate/sg_wire.h"

#define RUNS 200000

static uint16_t
csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + [outer IPv4 proto 4] + IPv4 + TCP (20) + 64 bytes payload. */
static size_t
build(uint8_t *b, bool encap, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	size_t o = 14, inner = 20 + 20 + 64;

	memset(b, 0, 256);
	b[12] = 0x08;
	if (encap) {
		b[o] = 0x45;
		b[o + 2] = (uint8_t)((20 + inner) >> 8);
		b[o + 3] = (uint8_t)(20 + inner);
		b[o + 8] = 64;
		b[o + 9] = 4;
		inet_pton(AF_INET, "198.18.0.1", b + o + 12);
		inet_pton(AF_INET, "198.18.1.2", b + o + 16);
		o += 20;
	}
	b[o] = 0x45;
	b[o + 3] = (uint8_t)inner;
	b[o + 8] = 64;
	b[o + 9] = 6;
	inet_pton(AF_INET, src, b + o + 12);
	inet_pton(AF_INET, dst, b + o + 16);
	b[o + 10] = 0; /* checksums: the program updates them incrementally either way */
	b[o + 20] = (uint8_t)(sport >> 8);
	b[o + 21] = (uint8_t)sport;
	b[o + 22] = (uint8_t)(dport >> 8);
	b[o + 23] = (uint8_t)dport;
	b[o + 32] = 0x50;
	b[o + 33] = 0x10;
	if (encap) {
		uint16_t c = csum(b + 14, 20);

		b[14 + 10] = (uint8_t)(c >> 8);
		b[14 + 11] = (uint8_t)c;
	}
	return o + 20 + 20 + 64;
}

static int
bench(struct sg_ha_dp *dp, bool ingress, const uint8_t *pkt, size_t len, int want, const char *what)
{
	uint8_t out[512];
	unsigned long long total = 0;

	for (int i = 0; i < RUNS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(sg_ha_dp_prog_fd(dp, ingress), &o) ||
		    (int)o.retval != want) {
			fprintf(stderr, "%s: run failed (verdict %u)\n", what, o.retval);
			return 1;
		}
		total += o.duration;
	}
	printf("%-34s %6.1f ns/packet (mean of %d runs, %zu-byte frame)\n", what,
	       (double)total / RUNS, RUNS, len);
	return 0;
}

int
main(void)
{
	struct sg_ha_bpf_cfg bcfg = {.gue_port = htons(SG_WIRE_GUE_PORT)};
	char pin[] = "/tmp/sgha-bench-bpffs-XXXXXX";
	struct sg_ha_ep vip = {.family = 4, .proto = 6}, vm = {.family = 4, .proto = 6};
	struct sg_ha_dp *dp;
	uint8_t pkt[256];
	size_t len;
	int rc = 0;

	if (geteuid() != 0 || mkdtemp(pin) == NULL || mount("bpf", pin, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "FAIL: needs root and a bpffs (%s)\n", strerror(errno));
		return 1;
	}
	inet_pton(AF_INET, "198.18.1.2", &bcfg.host4);
	if (sg_ha_dp_open(pin, NULL, &bcfg, &dp)) {
		umount(pin);
		rmdir(pin);
		return 1;
	}
	inet_pton(AF_INET, "198.18.100.1", vip.addr);
	vip.port = htons(80);
	inet_pton(AF_INET, "198.18.2.10", vm.addr);
	vm.port = htons(8080);
	sg_ha_dp_vip_add(dp, &vip, &vm, 0);

	len = build(pkt, true, "198.18.50.7", 33000, "198.18.100.1", 80);
	rc |= bench(dp, true, pkt, len, TC_ACT_OK, "ingress IPIP decap + rewrite");
	len = build(pkt, false, "198.18.2.10", 8080, "198.18.50.7", 33000);
	rc |= bench(dp, false, pkt, len, TC_ACT_OK, "egress reply rewrite");
	len = build(pkt, false, "198.18.50.7", 33000, "198.18.1.2", 22);
	rc |= bench(dp, true, pkt, len, TC_ACT_OK, "ingress not encapsulated (pass)");
	len = build(pkt, true, "198.18.50.7", 33000, "198.18.100.9", 80);
	rc |= bench(dp, true, pkt, len, TC_ACT_SHOT, "ingress unknown VIP (drop)");

	sg_ha_dp_detach(dp);
	sg_ha_dp_close(dp);
	umount(pin);
	rmdir(pin);
	return rc;
}
