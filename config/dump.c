/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A loaded configuration written back as YAML with every default explicit
 * (sg-config-check --dump). The output loads into an equal configuration;
 * the unit tests and the fuzz target check that round trip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "sg_cfg.h"

/* A YAML double-quoted string: safe for any byte string. */
static void
put_quoted(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		/*
		 * YAML reads NEL (U+0085), LS (U+2028) and PS (U+2029) as line
		 * breaks and folds them; written raw they would not load back
		 * as the same string, so they get their YAML escapes.
		 */
		if (p[0] == 0xc2 && p[1] == 0x85) {
			fputs("\\N", f);
			p++;
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			fputs(p[2] == 0xa8 ? "\\L" : "\\P", f);
			p += 2;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Address with its prefix length always written. */
static void
put_prefix(FILE *f, const char *indent, const char *key, const struct sg_cfg_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	if (a->family == 0)
		return;
	if (inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)a->v6,
		      text, sizeof(text)) == NULL)
		return;
	/* Quoted: an IPv6 address may end in "::", a mapping indicator in plain YAML. */
	fprintf(f, "%s%s: \"%s/%u\"\n", indent, key, text, a->prefixlen);
}

static void
put_addr(FILE *f, const char *indent, const char *key, const struct sg_cfg_addr *a)
{
	char text[64];

	if (a->family == 0)
		return;
	fprintf(f, "%s%s: \"%s\"\n", indent, key, sg_cfg_addr_format(a, text, sizeof(text)));
}

static const char *
yes_no(bool b)
{
	return b ? "true" : "false";
}

/* A path key, quoted, when set. */
static void
put_path(FILE *f, const char *indent, const char *key, const char *s)
{
	if (s[0] == '\0')
		return;
	fprintf(f, "%s%s: ", indent, key);
	put_quoted(f, s);
	fputc('\n', f);
}

static void
dump_sync(const struct sg_cfg_sync *s, FILE *f)
{
	unsigned int i;

	fprintf(f, "    sync:\n      enabled: %s\n", yes_no(s->enabled));
	put_addr(f, "      ", "listen", &s->listen);
	fprintf(f, "      port: %u\n", s->port);
	put_path(f, "      ", "key_file", s->key_file);
	fprintf(f, "      peers:%s\n", s->n_peers ? "" : " []");
	for (i = 0; i < s->n_peers; i++) {
		fprintf(f, "        - name: %s\n", s->peers[i].name);
		put_addr(f, "          ", "address", &s->peers[i].addr);
		fprintf(f, "          port: %u\n", s->peers[i].port);
	}
	fprintf(f, "      rate: %u\n", s->rate);
	fprintf(f, "      queue: %u\n", s->queue);
	fprintf(f, "      refresh_s: %u\n", s->refresh_s);
	fprintf(f, "      dump_wait_ms: %u\n", s->dump_wait_ms);
	fprintf(f, "      dsr: %s\n", yes_no(s->dsr));
}

static void
dump_bgp(const struct sg_cfg_bgp *b, FILE *f)
{
	unsigned int i;
	char text[64];

	fprintf(f, "    bgp:\n      enabled: %s\n", yes_no(b->enabled));
	if (b->asn != 0)
		fprintf(f, "      asn: %u\n", b->asn);
	put_addr(f, "      ", "router_id", &b->router_id);
	fprintf(f, "      peers:%s\n", b->n_peers ? "" : " []");
	for (i = 0; i < b->n_peers; i++) {
		fprintf(f, "        - name: %s\n", b->peers[i].name);
		put_addr(f, "          ", "address", &b->peers[i].addr);
		fprintf(f, "          asn: %u\n", b->peers[i].asn);
		fprintf(f, "          bfd: %s\n", yes_no(b->peers[i].bfd));
	}
	fprintf(f, "      local_pref_owned: %u\n", b->local_pref_owned);
	fprintf(f, "      local_pref_backup: %u\n", b->local_pref_backup);
	fprintf(f, "      backup:%s\n", b->n_backup ? "" : " []");
	for (i = 0; i < b->n_backup; i++)
		fprintf(f, "        - \"%s\"\n",
			sg_cfg_addr_format(&b->backup[i], text, sizeof(text)));
	fprintf(f, "      hold_s: %u\n", b->hold_s);
	fprintf(f, "      bfd_interval_ms: %u\n", b->bfd_interval_ms);
	fprintf(f, "      bfd_multiplier: %u\n", b->bfd_multiplier);
	fprintf(f, "      check_ms: %u\n", b->check_ms);
	fprintf(f, "      stale_ms: %u\n", b->stale_ms);
	put_path(f, "      ", "bird_socket", b->bird_socket);
	put_path(f, "      ", "bird_config", b->bird_config);
	put_path(f, "      ", "status_file", b->status_file);
}

/* appliance.idle and appliance.cluster. */
static void
dump_idle_cluster(const struct sg_cfg_appliance *ap, FILE *f)
{
	fprintf(f, "  idle:\n    enabled: %s\n", yes_no(ap->idle.enabled));
	fprintf(f, "    after_polls: %u\n", ap->idle.after_polls);
	fprintf(f, "    min_us: %u\n", ap->idle.min_us);
	fprintf(f, "    max_us: %u\n", ap->idle.max_us);
	fprintf(f, "  cluster:\n    node_id: %u\n", ap->cluster.node_id);
	fprintf(f, "    name: %s\n", ap->cluster.name);
	dump_sync(&ap->cluster.sync, f);
	dump_bgp(&ap->cluster.bgp, f);
}

static void
dump_appliance(const struct sg_cfg_appliance *ap, FILE *f)
{
	unsigned int i;

	fprintf(f, "appliance:\n");
	fprintf(f, "  workers: %u\n", ap->workers);
	fprintf(f, "  memory_mb: %u\n", ap->memory_mb);
	fprintf(f, "  no_huge: %s\n", ap->no_huge ? "true" : "false");
	fprintf(f, "  file_prefix: %s\n", ap->file_prefix);
	fprintf(f, "  mbufs: %u\n", ap->mbufs);
	fprintf(f, "  flow_table_size: %u\n", ap->flow_table_size);
	fprintf(f, "  neighbours: %u\n", ap->neighbours);
	fprintf(f, "  telemetry_dir: ");
	put_quoted(f, ap->telemetry_dir);
	fprintf(f, "\n  eal_args:%s\n", ap->n_eal_args ? "" : " []");
	for (i = 0; i < ap->n_eal_args; i++) {
		fprintf(f, "    - ");
		put_quoted(f, ap->eal_args[i]);
		fputc('\n', f);
	}
	fprintf(f, "  ports:\n");
	for (i = 0; i < ap->n_ports; i++) {
		const struct sg_cfg_port *p = &ap->ports[i];

		fprintf(f, "    - name: %s\n", p->name);
		fprintf(f, "      device: ");
		put_quoted(f, p->device);
		fputc('\n', f);
		put_prefix(f, "      ", "address", &p->addr4);
		put_prefix(f, "      ", "address6", &p->addr6);
		put_addr(f, "      ", "gateway", &p->gateway4);
		put_addr(f, "      ", "gateway6", &p->gateway6);
		fprintf(f, "      mtu: %u\n", p->mtu);
		fprintf(f, "      rx_desc: %u\n", p->rx_desc);
		fprintf(f, "      tx_desc: %u\n", p->tx_desc);
	}
	fprintf(f, "  control:\n    shm: ");
	put_quoted(f, ap->control.shm);
	fprintf(f, "\n    ring_size: %u\n", ap->control.ring_size);
	fprintf(f, "    max_held: %u\n", ap->control.max_held);
	fprintf(f, "    hold_budget_kb: %u\n", ap->control.hold_budget_kb);
	fprintf(f, "    hold_mbufs: %u\n", ap->control.hold_mbufs);
	fprintf(f, "    hold_reserve_mbufs: %u\n", ap->control.hold_reserve_mbufs);
	fprintf(f, "    max_held_per_prefix: %u\n", ap->control.max_held_per_prefix);
	fprintf(f, "    new_per_prefix_rate: %u\n", ap->control.new_per_prefix_rate);
	fprintf(f, "    new_per_prefix_burst: %u\n", ap->control.new_per_prefix_burst);
	fprintf(f, "  exception:\n    enabled: %s\n", ap->exception.enabled ? "true" : "false");
	fprintf(f, "    ifname_prefix: %s\n", ap->exception.ifname_prefix);
	fprintf(f, "    rate_pps: %u\n", ap->exception.rate_pps);
	fprintf(f, "    burst: %u\n", ap->exception.burst);
	fprintf(f, "    queue: %u\n", ap->exception.queue);
	fprintf(f, "    routes: %s\n", ap->exception.routes ? "true" : "false");
	dump_idle_cluster(ap, f);
}

/* A text key of a health check, quoted. */
static void
put_text(FILE *f, const char *key, const char *s)
{
	fprintf(f, "      %s: ", key);
	put_quoted(f, s);
	fputc('\n', f);
}

/* A pool's health_check (when it has one) and passive maps. */
static void
dump_health(const struct sg_cfg_pool *p, FILE *f)
{
	const struct sg_cfg_health_check *h = &p->check;

	if (h->type != SG_CFG_CHECK_NONE) {
		fprintf(f, "    health_check:\n      type: %s\n", sg_cfg_check_type_name(h->type));
		fprintf(f, "      interval_ms: %u\n", h->interval_ms);
		fprintf(f, "      timeout_ms: %u\n", h->timeout_ms);
		fprintf(f, "      rise: %u\n      fall: %u\n", h->rise, h->fall);
		fprintf(f, "      port: %u\n", h->port);
		put_addr(f, "      ", "source", &h->source);
	}
	if (h->type == SG_CFG_CHECK_HTTP || h->type == SG_CFG_CHECK_HTTPS) {
		fprintf(f, "      method: %s\n", h->method);
		put_text(f, "path", h->path);
		put_text(f, "host", h->host);
		fprintf(f, "      status: \"%u-%u\"\n", h->status_min, h->status_max);
		put_text(f, "body_match", h->body_match);
	}
	if (h->type == SG_CFG_CHECK_HTTPS)
		put_text(f, "ca_file", h->ca_file);
	if (h->type == SG_CFG_CHECK_UDP) {
		put_text(f, "send", h->send);
		put_text(f, "expect", h->expect);
	}
	fprintf(f, "    passive:\n      consecutive_failures: %u\n",
		p->passive.consecutive_failures);
	fprintf(f, "      ejection_s: %u\n", p->passive.ejection_s);
	fprintf(f, "      max_ejected_pct: %u\n", p->passive.max_ejected_pct);
}

static void
dump_pools(const struct sg_cfg *cfg, FILE *f)
{
	unsigned int i, j;

	fprintf(f, "pools:%s\n", cfg->n_pools ? "" : " []");
	for (i = 0; i < cfg->n_pools; i++) {
		const struct sg_cfg_pool *p = &cfg->pools[i];

		fprintf(f, "  - name: %s\n", p->name);
		dump_health(p, f);
		fprintf(f, "    members:%s\n", p->n_members ? "" : " []");
		for (j = 0; j < p->n_members; j++) {
			const struct sg_cfg_member *m = &p->members[j];

			fprintf(f, "      - name: %s\n", m->name);
			put_addr(f, "        ", "address", &m->addr);
			if (m->port != 0)
				fprintf(f, "        port: %u\n", m->port);
			fprintf(f, "        weight: %u\n", m->weight);
			put_addr(f, "        ", "host", &m->host);
			if (m->check_port != 0)
				fprintf(f, "        check_port: %u\n", m->check_port);
			put_addr(f, "        ", "check_source", &m->check_source);
		}
	}
}

static void
dump_vs(const struct sg_cfg *cfg, FILE *f)
{
	unsigned int i;

	fprintf(f, "virtual_services:%s\n", cfg->n_vs ? "" : " []");
	for (i = 0; i < cfg->n_vs; i++) {
		const struct sg_cfg_vs *s = &cfg->vs[i];

		fprintf(f, "  - name: %s\n", s->name);
		put_addr(f, "    ", "vip", &s->vip);
		fprintf(f, "    port: %u\n", s->port);
		fprintf(f, "    protocol: %s\n", sg_cfg_proto_name(s->proto));
		fprintf(f, "    mode: %s\n", sg_cfg_mode_name(s->mode));
		fprintf(f, "    scheduler: %s\n", sg_cfg_sched_name(s->scheduler));
		if (s->mode == SG_CFG_MODE_DSR) {
			fprintf(f, "    encap: %s\n", sg_cfg_encap_name(s->encap));
			if (s->encap == SG_CFG_ENCAP_GUE)
				fprintf(f, "    gue_port: %u\n", s->gue_port);
		}
		fprintf(f, "    pool: %s\n", cfg->pools[s->pool].name);
		fprintf(f, "    no_live_member: %s\n", sg_cfg_no_member_name(s->no_live_member));
		if (s->no_live_member == SG_CFG_NO_MEMBER_FALLBACK)
			fprintf(f, "    fallback_pool: %s\n", cfg->pools[s->fallback_pool].name);
		if (s->scheduler == SG_CFG_SCHED_MAGLEV)
			fprintf(f, "    maglev_size: %u\n", s->maglev_size);
		fprintf(f, "    max_flows: %u\n", s->max_flows);
		fprintf(f, "    timeouts:\n");
		fprintf(f, "      tcp: %u\n", s->tcp_timeout_s);
		fprintf(f, "      tcp_transitory: %u\n", s->tcp_transitory_s);
		fprintf(f, "      udp: %u\n", s->udp_timeout_s);
		if (s->mode == SG_CFG_MODE_BROKERED || s->mode == SG_CFG_MODE_REDIRECT) {
			const struct sg_cfg_brokered *b = &s->brokered;

			fprintf(f, "    brokered:\n      key: %s\n", sg_cfg_l7_name(b->key));
			if (b->key == SG_CFG_L7_HTTP_COOKIE || b->key == SG_CFG_L7_HTTP_HEADER)
				fprintf(f, "      key_name: %s\n", b->key_name);
			if (b->key == SG_CFG_L7_PREFIX)
				fprintf(f, "      prefix_len: %u\n", b->prefix_len);
			fprintf(f, "      hold_timeout_ms: %u\n", b->hold_timeout_ms);
			fprintf(f, "      hold_bytes: %u\n", b->hold_bytes);
			fprintf(f, "      max_held: %u\n", b->max_held);
			fprintf(f, "      control_down: %s\n",
				sg_cfg_ctl_down_name(b->control_down));
			fprintf(f, "      retry_after_s: %u\n", b->retry_after_s);
		}
	}
}

int
sg_cfg_dump(const struct sg_cfg *cfg, FILE *f)
{
	unsigned int i;
	char text[64];

	if (cfg == NULL || f == NULL)
		return -EINVAL;
	fprintf(f, "# ");
	put_quoted(f, cfg->path);
	fprintf(f, " normalized: every default written out\n");
	dump_appliance(&cfg->appliance, f);
	fprintf(f, "nat:\n  addresses:%s\n", cfg->nat.n_addrs ? "" : " []");
	for (i = 0; i < cfg->nat.n_addrs; i++)
		fprintf(f, "    - \"%s\"\n",
			sg_cfg_addr_format(&cfg->nat.addrs[i], text, sizeof(text)));
	fprintf(f, "  ports: %u-%u\n", cfg->nat.port_min, cfg->nat.port_max);
	dump_pools(cfg, f);
	dump_vs(cfg, f);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
