/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * bus.c: the service bus. Providers register with a service type; the bus
 * routes requests to them (at most max_inflight at once each, the rest
 * queued fairly: one FIFO per requester, served round robin) and events to
 * subscribers (the way back up: VM states, providers up or down, failed
 * requests).
 */
#ifndef SG_CTL_BUS_H
#define SG_CTL_BUS_H

#include "model.h"

struct sg_ctl_bus;

enum sg_ctl_svc {
	SG_CTL_SVC_VM = 0,  /**< VM manager: a host agent */
	SG_CTL_SVC_NETWORK, /**< network manager: the data plane */
	SG_CTL_SVC_STORAGE,
	SG_CTL_SVC_MONITOR,
	SG_CTL_SVC_MAX
};

enum sg_ctl_req_op {
	SG_CTL_REQ_VM_START = 1,
	SG_CTL_REQ_VM_STOP = 2,
	SG_CTL_REQ_VM_SAVE = 3, /**< managed save (SAVE); the next start resumes it */
};

struct sg_ctl_req {
	uint32_t op;	    /**< enum sg_ctl_req_op */
	uint32_t requester; /**< fairness class (pool index) */
	uint64_t req_id;    /**< set by the bus */
	uint64_t deadline_ns;
	struct sg_ctl_vm *vm;
};

struct sg_ctl_provider;
/** Deliver @p r to the provider; 0 sent (await sg_ctl_bus_done), <0 failed. */
typedef int (*sg_ctl_provider_send_fn)(struct sg_ctl_provider *p, const struct sg_ctl_req *r);

#define SG_CTL_BUS_CLASSES  16
#define SG_CTL_BUS_QLEN	    256 /**< queued requests per class */
#define SG_CTL_BUS_INFLIGHT 16

struct sg_ctl_req_q {
	struct sg_ctl_req q[SG_CTL_BUS_QLEN];
	uint32_t head, n;
};

struct sg_ctl_provider {
	uint64_t id; /**< persistent service-provider ID */
	uint8_t svc; /**< enum sg_ctl_svc */
	bool up;
	char name[SG_CTL_NAME_MAX];
	uint32_t max_inflight;
	uint32_t n_inflight;
	struct sg_ctl_req inflight[SG_CTL_BUS_INFLIGHT];
	struct sg_ctl_req_q *classes; /**< SG_CTL_BUS_CLASSES FIFOs */
	uint32_t rr;
	uint32_t queued;
	uint64_t sent, done, failed, dropped;
	sg_ctl_provider_send_fn send;
	void *ctx;
};

enum sg_ctl_event_type {
	SG_CTL_EV_VM_STATE = 0, /**< vm, state, why */
	SG_CTL_EV_PROVIDER,	/**< provider up/down */
	SG_CTL_EV_REQ_FAILED,	/**< req could not be delivered or timed out */
	SG_CTL_EV_MAX
};

struct sg_ctl_event {
	uint32_t type;
	uint32_t state;
	struct sg_ctl_vm *vm;
	struct sg_ctl_provider *provider;
	const struct sg_ctl_req *req;
	const char *why;
};

typedef void (*sg_ctl_event_fn)(const struct sg_ctl_event *ev, void *arg);

/** A bus without providers; requests time out after @p cfg's vm_start_timeout_ms. NULL: no memory.
 */
struct sg_ctl_bus *sg_ctl_bus_create(const struct sg_ctl_cfg *cfg, const struct sg_ctl_clock *clk);
void sg_ctl_bus_destroy(struct sg_ctl_bus *b);
/** @return the provider's index, or -ENOSPC/-ENOMEM. */
int sg_ctl_bus_register(struct sg_ctl_bus *b, unsigned int svc, const char *name, uint64_t id,
			uint32_t max_inflight);
struct sg_ctl_provider *sg_ctl_bus_provider(struct sg_ctl_bus *b, unsigned int idx);
unsigned int sg_ctl_bus_count(const struct sg_ctl_bus *b);
/** Provider reachable (agent connected) or not; going down fails what it holds. */
void sg_ctl_bus_set_up(struct sg_ctl_bus *b, unsigned int idx, bool up,
		       sg_ctl_provider_send_fn send, void *ctx);
/** Route a request: sent now, or queued. @return 0, -ENOBUFS (class queue full), -ENOTCONN. */
int sg_ctl_bus_request(struct sg_ctl_bus *b, unsigned int idx, struct sg_ctl_req *r);
/** The provider answered request @p req_id. */
void sg_ctl_bus_done(struct sg_ctl_bus *b, unsigned int idx, uint64_t req_id);
/** Fail in-flight requests past their deadline. */
void sg_ctl_bus_timeouts(struct sg_ctl_bus *b);
int sg_ctl_bus_subscribe(struct sg_ctl_bus *b, unsigned int type, sg_ctl_event_fn fn, void *arg);
void sg_ctl_bus_publish(struct sg_ctl_bus *b, const struct sg_ctl_event *ev);
/** "vm-manager", ... ("?" out of range). */
const char *sg_ctl_bus_svc_name(unsigned int svc);

#endif /* SG_CTL_BUS_H */
