/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service bus: providers (VM managers reached through host agents, the
 * network manager = the data plane, the monitor) register here; requests
 * are routed to a provider with at most max_inflight outstanding, the rest
 * wait in one FIFO per requester class, served round robin so that one
 * busy pool cannot starve another. Events (VM state, provider up/down,
 * failed requests) go to every subscriber of their type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "bus.h"

#define BUS_PROVIDERS_MAX (SG_CTL_HOSTS_MAX + 8)
#define BUS_SUBS_MAX	  8

struct bus_sub {
	sg_ctl_event_fn fn;
	void *arg;
};

struct sg_ctl_bus {
	struct sg_ctl_provider p[BUS_PROVIDERS_MAX];
	unsigned int n;
	struct bus_sub subs[SG_CTL_EV_MAX][BUS_SUBS_MAX];
	unsigned int n_subs[SG_CTL_EV_MAX];
	uint64_t next_req;
	const struct sg_ctl_cfg *cfg;
	const struct sg_ctl_clock *clk;
};

static const char *const svc_names[SG_CTL_SVC_MAX] = {"vm-manager", "network-manager",
						      "storage-manager", "monitor"};

const char *
sg_ctl_bus_svc_name(unsigned int svc)
{
	return svc < SG_CTL_SVC_MAX ? svc_names[svc] : "?";
}

struct sg_ctl_bus *
sg_ctl_bus_create(const struct sg_ctl_cfg *cfg, const struct sg_ctl_clock *clk)
{
	struct sg_ctl_bus *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cfg = cfg;
	b->clk = clk;
	return b;
}

void
sg_ctl_bus_destroy(struct sg_ctl_bus *b)
{
	unsigned int i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		free(b->p[i].classes);
	free(b);
}

int
sg_ctl_bus_register(struct sg_ctl_bus *b, unsigned int svc, const char *name, uint64_t id,
		    uint32_t max_inflight)
{
	struct sg_ctl_provider *p;

	if (b->n == BUS_PROVIDERS_MAX || svc >= SG_CTL_SVC_MAX)
		return -ENOSPC;
	p = &b->p[b->n];
	memset(p, 0, sizeof(*p));
	p->classes = calloc(SG_CTL_BUS_CLASSES, sizeof(*p->classes));
	if (p->classes == NULL)
		return -ENOMEM;
	p->id = id;
	p->svc = (uint8_t)svc;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->max_inflight = max_inflight == 0		       ? 1
			  : max_inflight > SG_CTL_BUS_INFLIGHT ? SG_CTL_BUS_INFLIGHT
							       : max_inflight;
	return (int)b->n++;
}

struct sg_ctl_provider *
sg_ctl_bus_provider(struct sg_ctl_bus *b, unsigned int idx)
{
	return idx < b->n ? &b->p[idx] : NULL;
}

unsigned int
sg_ctl_bus_count(const struct sg_ctl_bus *b)
{
	return b->n;
}

int
sg_ctl_bus_subscribe(struct sg_ctl_bus *b, unsigned int type, sg_ctl_event_fn fn, void *arg)
{
	if (type >= SG_CTL_EV_MAX || b->n_subs[type] == BUS_SUBS_MAX)
		return -ENOSPC;
	b->subs[type][b->n_subs[type]].fn = fn;
	b->subs[type][b->n_subs[type]].arg = arg;
	b->n_subs[type]++;
	return 0;
}

void
sg_ctl_bus_publish(struct sg_ctl_bus *b, const struct sg_ctl_event *ev)
{
	unsigned int i;

	if (ev->type >= SG_CTL_EV_MAX)
		return;
	for (i = 0; i < b->n_subs[ev->type]; i++)
		b->subs[ev->type][i].fn(ev, b->subs[ev->type][i].arg);
}

static void
bus_fail(struct sg_ctl_bus *b, struct sg_ctl_provider *p, const struct sg_ctl_req *r,
	 const char *why)
{
	struct sg_ctl_event ev = {
		.type = SG_CTL_EV_REQ_FAILED, .provider = p, .req = r, .vm = r->vm, .why = why};

	p->failed++;
	sg_ctl_bus_publish(b, &ev);
}

/* Send queued requests while the provider has room, round robin over classes. */
static void
bus_pump(struct sg_ctl_bus *b, struct sg_ctl_provider *p)
{
	struct sg_ctl_req r;
	struct sg_ctl_req_q *q;
	unsigned int i;

	while (p->up && p->queued > 0 && p->n_inflight < p->max_inflight) {
		for (i = 0; i < SG_CTL_BUS_CLASSES; i++) {
			q = &p->classes[(p->rr + i) % SG_CTL_BUS_CLASSES];
			if (q->n > 0)
				break;
		}
		if (i == SG_CTL_BUS_CLASSES)
			break;
		p->rr = (p->rr + i + 1) % SG_CTL_BUS_CLASSES;
		r = q->q[q->head];
		q->head = (q->head + 1) % SG_CTL_BUS_QLEN;
		q->n--;
		p->queued--;
		r.deadline_ns = b->clk->now_ns + (uint64_t)b->cfg->vm_start_timeout_ms * 1000000;
		if (p->send == NULL || p->send(p, &r) < 0) {
			bus_fail(b, p, &r, "provider unreachable");
			continue;
		}
		p->inflight[p->n_inflight++] = r;
		p->sent++;
	}
}

int
sg_ctl_bus_request(struct sg_ctl_bus *b, unsigned int idx, struct sg_ctl_req *r)
{
	struct sg_ctl_provider *p = sg_ctl_bus_provider(b, idx);
	struct sg_ctl_req_q *q;

	if (p == NULL || !p->up)
		return -ENOTCONN;
	q = &p->classes[r->requester % SG_CTL_BUS_CLASSES];
	if (q->n == SG_CTL_BUS_QLEN) {
		p->dropped++;
		return -ENOBUFS;
	}
	r->req_id = ++b->next_req;
	q->q[(q->head + q->n) % SG_CTL_BUS_QLEN] = *r;
	q->n++;
	p->queued++;
	bus_pump(b, p);
	return 0;
}

static void
bus_remove_inflight(struct sg_ctl_provider *p, unsigned int i)
{
	p->inflight[i] = p->inflight[p->n_inflight - 1];
	p->n_inflight--;
}

void
sg_ctl_bus_done(struct sg_ctl_bus *b, unsigned int idx, uint64_t req_id)
{
	struct sg_ctl_provider *p = sg_ctl_bus_provider(b, idx);
	unsigned int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_inflight; i++) {
		if (p->inflight[i].req_id == req_id) {
			bus_remove_inflight(p, i);
			p->done++;
			break;
		}
	}
	bus_pump(b, p);
}

void
sg_ctl_bus_timeouts(struct sg_ctl_bus *b)
{
	struct sg_ctl_provider *p;
	struct sg_ctl_req r;
	unsigned int i, k;

	for (i = 0; i < b->n; i++) {
		p = &b->p[i];
		for (k = 0; k < p->n_inflight;) {
			if (p->inflight[k].deadline_ns > b->clk->now_ns) {
				k++;
				continue;
			}
			r = p->inflight[k];
			bus_remove_inflight(p, k);
			syslog(LOG_WARNING, "bus: %s: request %llu timed out", p->name,
			       (unsigned long long)r.req_id);
			bus_fail(b, p, &r, "request timed out");
		}
		bus_pump(b, p);
	}
}

void
sg_ctl_bus_set_up(struct sg_ctl_bus *b, unsigned int idx, bool up, sg_ctl_provider_send_fn send,
		  void *ctx)
{
	struct sg_ctl_provider *p = sg_ctl_bus_provider(b, idx);
	struct sg_ctl_event ev = {.type = SG_CTL_EV_PROVIDER};
	struct sg_ctl_req r;
	struct sg_ctl_req_q *q;
	unsigned int i;

	if (p == NULL)
		return;
	p->up = up;
	p->send = send;
	p->ctx = ctx;
	if (!up) {
		/* Fail everything it holds: its requesters decide what to do. */
		while (p->n_inflight > 0) {
			r = p->inflight[p->n_inflight - 1];
			p->n_inflight--;
			bus_fail(b, p, &r, "provider went away");
		}
		for (i = 0; i < SG_CTL_BUS_CLASSES; i++) {
			q = &p->classes[i];
			while (q->n > 0) {
				r = q->q[q->head];
				q->head = (q->head + 1) % SG_CTL_BUS_QLEN;
				q->n--;
				p->queued--;
				bus_fail(b, p, &r, "provider went away");
			}
		}
	}
	ev.provider = p;
	ev.state = up;
	sg_ctl_bus_publish(b, &ev);
	if (up)
		bus_pump(b, p);
}
