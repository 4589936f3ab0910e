/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's counters for Prometheus, scraped from its telemetry
 * socket (lib/telemetry) when /metrics is read, at most once a second and
 * within SG_CTL_DPM_TIMEOUT_MS for all five queries together (the scrape
 * runs on sg-control's event loop). Every answer is hostile JSON: only the
 * shapes dataplane/telemetry.c writes are rendered, label values escaped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dpmetrics.h"
#include "sg_telemetry.h"

static const char *const cmd_names[SG_CTL_DPM_CMDS] = {"/sg/stats", "/sg/ports", "/sg/flows",
						       "/sg/vs", "/sg/members"};

/* One family read from one field of every entry of a command's answer. */
struct fam {
	unsigned int cmd;
	const char *field; /**< of each entry */
	const char *name;
	const char *type;
	const char *help;
};

static const struct fam fams[] = {
	{SG_CTL_DPM_PORTS, "rx_pkts", "sg_dp_port_rx_packets_total", "counter",
	 "Packets received on the port."},
	{SG_CTL_DPM_PORTS, "rx_bytes", "sg_dp_port_rx_bytes_total", "counter",
	 "Bytes received on the port."},
	{SG_CTL_DPM_PORTS, "tx_pkts", "sg_dp_port_tx_packets_total", "counter",
	 "Packets sent on the port."},
	{SG_CTL_DPM_PORTS, "tx_bytes", "sg_dp_port_tx_bytes_total", "counter",
	 "Bytes sent on the port."},
	{SG_CTL_DPM_PORTS, "drops", "sg_dp_port_drops_total", "counter",
	 "Packets dropped on the port (rx missed, tx full)."},
	{SG_CTL_DPM_VS, "pkts", "sg_dp_vs_packets_total", "counter",
	 "Packets of the virtual service."},
	{SG_CTL_DPM_VS, "bytes", "sg_dp_vs_bytes_total", "counter",
	 "Bytes of the virtual service."},
	{SG_CTL_DPM_VS, "flows", "sg_dp_vs_flows_total", "counter",
	 "Flows the virtual service opened."},
	{SG_CTL_DPM_VS, "active_flows", "sg_dp_vs_active_flows", "gauge",
	 "Flows of the virtual service now."},
	{SG_CTL_DPM_MEMBERS, "pkts", "sg_dp_member_packets_total", "counter",
	 "Packets sent to the pool member."},
	{SG_CTL_DPM_MEMBERS, "bytes", "sg_dp_member_bytes_total", "counter",
	 "Bytes sent to the pool member."},
	{SG_CTL_DPM_MEMBERS, "flows", "sg_dp_member_flows_total", "counter",
	 "Flows given to the pool member."},
	{SG_CTL_DPM_MEMBERS, "active_flows", "sg_dp_member_active_flows", "gauge",
	 "Flows of the pool member now."},
	{SG_CTL_DPM_MEMBERS, "weight", "sg_dp_member_weight", "gauge",
	 "Configured weight of the pool member."},
	{SG_CTL_DPM_MEMBERS, "effective_weight", "sg_dp_member_effective_weight", "gauge",
	 "Weight in use (0: down, drained)."},
};

/* A label value: backslash, double quote and newline escaped. */
static void
esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* {port=..} / {vs=..} / {pool=..,member=..} of entry @p e (@p key: its name if it has none),
 * then @p extra ("" = none): a label of its own, "name=\"value" without the closing quote. */
static void
labels(FILE *f, unsigned int cmd, const char *key, json_t *e, const char *extra)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	const char *pool = json_string_value(json_object_get(e, "pool"));

	if (name == NULL)
		name = key;
	fputs(cmd == SG_CTL_DPM_PORTS ? "{port=\""
	      : cmd == SG_CTL_DPM_VS  ? "{vs=\""
				      : "{pool=\"",
	      f);
	if (cmd == SG_CTL_DPM_MEMBERS) {
		esc(f, pool != NULL ? pool : "");
		fputs("\",member=\"", f);
	}
	esc(f, name);
	fputs("\"", f);
	if (extra[0] != '\0') {
		fputs(",", f);
		fputs(extra, f);
		fputs("\"", f);
	}
	fputs("}", f);
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_fam(FILE *f, const struct fam *fm, json_t *obj)
{
	const char *key;
	json_t *e, *v;

	head(f, fm->name, fm->type, fm->help);
	json_object_foreach(obj, key, e)
	{
		v = json_object_get(e, fm->field);
		if (!json_is_integer(v))
			continue;
		fputs(fm->name, f);
		labels(f, fm->cmd, key, e, "");
		fprintf(f, " %lld\n", (long long)json_integer_value(v));
	}
}

/* The values of /sg/stats that are levels, not counts. */
static bool
stat_is_gauge(const char *key)
{
	return strcmp(key, "neigh_entries") == 0;
}

/* The integers of /sg/stats whose kind is @p gauge as family @p name. */
static void
render_stats(FILE *f, json_t *stats, bool gauge, const char *name, const char *help)
{
	const char *key;
	json_t *v;

	head(f, name, gauge ? "gauge" : "counter", help);
	json_object_foreach(stats, key, v)
	{
		if (!json_is_integer(v) || stat_is_gauge(key) != gauge)
			continue;
		fprintf(f, "%s{%s=\"", name, gauge ? "name" : "counter");
		esc(f, key);
		fprintf(f, "\"} %lld\n", (long long)json_integer_value(v));
	}
}

/* /sg/stats: counters summed over workers (and a few levels); /sg/flows: per worker. */
static void
render_flat(FILE *f, json_t *stats, json_t *flows)
{
	const char *key;
	json_t *v;
	unsigned long w;
	char *end;

	render_stats(f, stats, false, "sg_dp_events_total",
		     "Data-plane drop reasons and events (telemetry /sg/stats), summed over "
		     "workers.");
	render_stats(f, stats, true, "sg_dp_stats_level",
		     "Data-plane levels of /sg/stats (neigh_entries).");
	head(f, "sg_dp_worker_flows", "gauge", "Flow-table entries of each worker.");
	json_object_foreach(flows, key, v)
	{
		if (!json_is_integer(v) || strncmp(key, "worker", 6) != 0 || key[6] < '0' ||
		    key[6] > '9')
			continue;
		w = strtoul(key + 6, &end, 10);
		if (*end == '\0' && w < 1024)
			fprintf(f, "sg_dp_worker_flows{worker=\"%lu\"} %lld\n", w,
				(long long)json_integer_value(v));
	}
}

static void
render_states(FILE *f, json_t *members)
{
	const char *key, *st;
	char extra[80];
	json_t *e;

	head(f, "sg_dp_member_state", "gauge",
	     "1 for the pool member's state in the data plane (up, down, drain, reset).");
	json_object_foreach(members, key, e)
	{
		st = json_string_value(json_object_get(e, "state"));
		/* the data plane's state names: lower-case words */
		if (st == NULL || strlen(st) > 32 ||
		    strspn(st, "abcdefghijklmnopqrstuvwxyz_") != strlen(st))
			continue;
		snprintf(extra, sizeof(extra), "state=\"%s", st);
		fputs("sg_dp_member_state", f);
		labels(f, SG_CTL_DPM_MEMBERS, key, e, extra);
		fputs(" 1\n", f);
	}
}

int
sg_ctl_dpm_render(FILE *f, const char *const ans[SG_CTL_DPM_CMDS])
{
	json_t *doc[SG_CTL_DPM_CMDS] = {NULL}, *obj[SG_CTL_DPM_CMDS], *empty = json_object();
	unsigned int i;
	int rc = 0;

	for (i = 0; i < SG_CTL_DPM_CMDS; i++) {
		obj[i] = empty;
		if (ans[i] == NULL) {
			rc = -EPROTO;
			continue;
		}
		doc[i] = json_loads(ans[i], JSON_REJECT_DUPLICATES, NULL);
		if (json_is_object(json_object_get(doc[i], cmd_names[i])))
			obj[i] = json_object_get(doc[i], cmd_names[i]);
		else
			rc = -EPROTO;
	}
	head(f, "sg_dp_up", "gauge", "1 when the data plane's telemetry answered every query.");
	fprintf(f, "sg_dp_up %d\n", rc == 0 ? 1 : 0);
	render_flat(f, obj[SG_CTL_DPM_STATS], obj[SG_CTL_DPM_FLOWS]);
	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		render_fam(f, &fams[i], obj[fams[i].cmd]);
	render_states(f, obj[SG_CTL_DPM_MEMBERS]);
	for (i = 0; i < SG_CTL_DPM_CMDS; i++)
		json_decref(doc[i]);
	json_decref(empty);
	return rc;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Every query within SG_CTL_DPM_TIMEOUT_MS in all; answers in @p bufs, NULL where none. */
static void
dpm_query(const char *path, char *bufs, const char *ans[SG_CTL_DPM_CMDS])
{
	uint64_t t0 = mono_ms(), spent;
	unsigned int i;

	for (i = 0; i < SG_CTL_DPM_CMDS; i++) {
		char *b = bufs + (size_t)i * SG_TEL_REPLY_MAX;

		ans[i] = NULL;
		spent = mono_ms() - t0;
		if (path[0] == '\0' || spent >= SG_CTL_DPM_TIMEOUT_MS)
			continue;
		if (sg_tel_query(path, cmd_names[i], b, SG_TEL_REPLY_MAX,
				 (int)(SG_CTL_DPM_TIMEOUT_MS - spent)) >= 0)
			ans[i] = b;
		else if (i == 0)
			break; /* nobody there: do not wait for the others */
	}
}

const char *
sg_ctl_dpm_get(struct sg_ctl_dpm *d, const char *path, uint64_t now_ns, size_t *len)
{
	const char *ans[SG_CTL_DPM_CMDS] = {NULL};
	char *bufs, *text = NULL;
	size_t tlen = 0;
	FILE *f;
	int rc;

	if (d->text != NULL && d->fetched_ns != 0 &&
	    now_ns - d->fetched_ns < SG_CTL_DPM_CACHE_MS * 1000000ull) {
		*len = d->len;
		return d->text;
	}
	bufs = malloc((size_t)SG_CTL_DPM_CMDS * SG_TEL_REPLY_MAX);
	if (bufs == NULL)
		return NULL;
	if (path[0] != '\0')
		d->scrapes++;
	dpm_query(path, bufs, ans);
	f = open_memstream(&text, &tlen);
	if (f == NULL) {
		free(bufs);
		return NULL;
	}
	rc = sg_ctl_dpm_render(f, ans);
	free(bufs);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	d->up = rc == 0;
	if (rc != 0 && path[0] != '\0')
		d->errors++;
	free(d->text);
	d->text = text;
	d->len = tlen;
	d->fetched_ns = now_ns;
	*len = tlen;
	return text;
}

void
sg_ctl_dpm_fini(struct sg_ctl_dpm *d)
{
	free(d->text);
	d->text = NULL;
}
