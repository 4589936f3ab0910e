/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-hostagent internal state. One thread: libvirt's default event loop
 * (virEventRunDefaultImpl) runs libvirt's own sockets and keepalive, the
 * link to sg-control, the admin socket and one periodic tick.
 */
#ifndef SG_HA_AGENT_H
#define SG_HA_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "datapath.h"
#include "ha_config.h"
#include "sessiongate/sg_agent_proto.h"

#define SG_HA_TICK_MS	   100
#define SG_HA_PENDING_MAX  8 /**< outstanding commands per VM */
#define SG_HA_TEMPLATE_MAX (64u * 1024)

struct sg_ha_pending {
	bool used;
	uint8_t type; /**< ENSURE_RUNNING or STOP */
	uint32_t seq;
	uint64_t deadline; /**< monotonic ms */
};

struct sg_ha_vm {
	const struct sg_ha_vm_cfg *cfg;
	uint8_t uuid[16];
	bool uuid_known;
	int lv_state;		/**< virDomainState, or -1: not defined */
	uint8_t state;		/**< enum sg_agent_vm_state as reported */
	uint64_t running_since; /**< monotonic ms libvirt "running" was first seen; 0 = not */
	bool ready;
	struct sg_agent_addr addr; /**< service address once known */
	bool stopping;
	uint64_t stop_deadline;
	int probe_fd;
	uint64_t probe_deadline;
	struct sg_ha_pending pend[SG_HA_PENDING_MAX];
};

enum sg_ha_link_state {
	SG_HA_LINK_DOWN,
	SG_HA_LINK_CONNECTING,
	SG_HA_LINK_HELLO_SENT,
	SG_HA_LINK_AUTH_SENT,
	SG_HA_LINK_UP,
};

struct sg_ha_counters {
	uint64_t lv_events;	 /**< lifecycle events handled */
	uint64_t lv_events_lost; /**< dropped on purpose (test hook lose-events) */
	uint64_t lv_connects;	 /**< successful libvirt (re)connections */
	uint64_t lv_connect_failures;
	uint64_t resyncs;
	uint64_t resync_repairs; /**< VM states corrected by a resync */
	uint64_t link_connects;	 /**< authenticated control sessions */
	uint64_t link_failures;	 /**< connects/handshakes that failed */
	uint64_t link_auth_failures;
	uint64_t link_proto_errors;
	uint64_t queue_drops; /**< messages dropped: queue full while disconnected */
	uint64_t commands;
};

struct sg_ha_agent {
	struct sg_ha_config *cfg;
	bool test_driver; /**< URI is test:// (boot delay applies) */
	/* libvirt */
	virConnectPtr conn;
	int lv_cb;
	bool lv_up;
	bool lv_close_pending; /**< connection lost: close and reconnect from the tick */
	uint32_t lv_backoff_ms;
	uint64_t lv_next_try;
	uint64_t next_resync;
	int lose_events; /**< test hook */
	struct sg_ha_vm vms[SG_HA_VMS_MAX];
	unsigned int n_vms;
	/* datapath */
	struct sg_ha_dp *dp;
	/* link */
	int fd;
	int fd_watch;
	enum sg_ha_link_state link;
	uint8_t nonce_a[SG_AGENT_NONCE_LEN];
	uint8_t rbuf[SG_AGENT_MSG_MAX];
	size_t rlen;
	uint8_t *wbuf; /**< bytes being written on the socket */
	size_t wlen, woff, wcap;
	uint8_t *queue; /**< queue_max slots of SG_AGENT_MSG_MAX: messages waiting for UP */
	uint32_t *queue_len;
	unsigned int q_head, q_count;
	uint32_t link_backoff_ms;
	uint64_t link_next_try;
	uint64_t last_rx;
	uint64_t next_ping;
	uint64_t generation;
	/* admin */
	int admin_fd;
	int admin_watch;
	struct sg_ha_counters ctr;
	bool stop;
};

uint64_t sg_ha_now_ms(void);

/* virt.c */
int sg_ha_virt_init(struct sg_ha_agent *a);
void sg_ha_virt_tick(struct sg_ha_agent *a, uint64_t now);
void sg_ha_virt_fini(struct sg_ha_agent *a);
/** Close the libvirt connection as if libvirtd went away (test hook and close callback). */
void sg_ha_virt_drop(struct sg_ha_agent *a, const char *why);
void sg_ha_virt_resync(struct sg_ha_agent *a, bool periodic);
struct sg_ha_vm *sg_ha_vm_find(struct sg_ha_agent *a, const char *name);
/** Command handlers: answer now (RESULT) or later (pending). */
void sg_ha_cmd_ensure_running(struct sg_ha_agent *a, const struct sg_agent_msg *m);
void sg_ha_cmd_stop(struct sg_ha_agent *a, const struct sg_agent_msg *m);
void sg_ha_cmd_status(struct sg_ha_agent *a, const struct sg_agent_msg *m);
/** Fill a VM_STATE-style message for @p vm. */
void sg_ha_vm_fill(const struct sg_ha_vm *vm, struct sg_agent_msg *m);
/** Test hook: destroy a domain behind the agent's back (an operator's virsh). */
int sg_ha_virt_test_destroy(struct sg_ha_agent *a, const char *name, char *err, size_t errlen);

/* link.c */
int sg_ha_link_init(struct sg_ha_agent *a);
void sg_ha_link_tick(struct sg_ha_agent *a, uint64_t now);
void sg_ha_link_fini(struct sg_ha_agent *a);
/** Send (or queue while not authenticated) a message. */
void sg_ha_link_send(struct sg_ha_agent *a, const struct sg_agent_msg *m);
/** Send every VM's state then SYNC (after auth, and after a libvirt reconnect). */
void sg_ha_link_send_inventory(struct sg_ha_agent *a);
void sg_ha_link_drop(struct sg_ha_agent *a, const char *why);
/** RESULT for @p seq. */
void sg_ha_reply(struct sg_ha_agent *a, uint32_t seq, uint16_t status, const char *text,
		 const struct sg_ha_vm *vm);

/* admin.c */
int sg_ha_admin_init(struct sg_ha_agent *a);
void sg_ha_admin_fini(struct sg_ha_agent *a);

/* datapath glue (main.c) */
int sg_ha_flow_add(struct sg_ha_agent *a, const struct sg_agent_msg *m, char *err, size_t errlen);
int sg_ha_flow_del(struct sg_ha_agent *a, const struct sg_agent_msg *m);

#endif /* SG_HA_AGENT_H */
