/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM manager: every inventory VM's state as the control path sees it
 * (libvirt's state + readiness), the commands waiting on a VM, the periodic
 * full resync. Owns the libvirt connection (libvirt.h). What it reports goes
 * up through the callbacks the wiring registers at init (struct
 * sg_ha_vm_ops), never through calls up.
 */
#ifndef SG_HA_VM_H
#define SG_HA_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "ha_config.h"
#include "libvirt.h"
#include "sessiongate/sg_agent_proto.h"

#define SG_HA_PENDING_MAX 8 /**< outstanding commands per VM */

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
	char why[96];		/**< why it entered that state (VM_STATE's TEXT) */
	uint64_t running_since; /**< monotonic ms libvirt "running" was first seen; 0 = not */
	bool ready;
	struct sg_agent_addr addr; /**< service address once known (wire family) */
	bool stopping;
	uint64_t stop_deadline;
	int probe_fd;
	uint64_t probe_deadline;
	/* app check of a running VM (probe: true): the same TCP probe, every interval */
	bool app_down;	      /**< fall checks failed in a row: reported APP_DOWN */
	uint32_t check_fails; /**< failed checks in a row */
	uint32_t check_oks;   /**< good checks in a row (while app_down) */
	uint64_t next_check;  /**< monotonic ms */
	struct sg_ha_pending pend[SG_HA_PENDING_MAX];
	/* issue 15: pushed inventory, save/resume, crashes */
	bool pushed;		   /**< defined by VM_DEFINE (cfg in sg_ha_vms.pcfg) */
	uint32_t push_epoch;	   /**< sg_ha_vms.push_epoch of its last VM_DEFINE */
	bool redefine;		   /**< definition changed: define again at the next start */
	bool has_next;		   /**< a changed definition waits for the next start (next) */
	struct sg_ha_vm_cfg *next; /**< pushed VMs: where a running VM's change waits */
	int lv_reason;		   /**< libvirt's state reason */
	bool saved;		   /**< shut off with a managed-save image */
	bool crashed;		   /**< stopped by a crash (event); until the next start */
	uint8_t start_kind;	   /**< enum sg_agent_start_kind of the last start */
	uint32_t libvirt_ms;	   /**< its create/restore call */
	uint32_t ready_ms;	   /**< command received -> running */
	uint64_t start_at;	   /**< monotonic ms the start command came; 0 = none */
	char start_note[96];	   /**< RESULT text of the start ("" = "running") */
};

/** What the VM manager reports; @p ctx is the pointer given at init. */
struct sg_ha_vm_ops {
	/** @p vm's reported state changed. */
	void (*state)(void *ctx, const struct sg_ha_vm *vm);
	/** The answer to command @p seq (with @p vm's state when not NULL). */
	void (*reply)(void *ctx, uint32_t seq, uint16_t status, const char *text,
		      const struct sg_ha_vm *vm);
	/** libvirt reconnected: every VM's state again. */
	void (*inventory)(void *ctx);
};

struct sg_ha_vm_counters {
	uint64_t resyncs;
	uint64_t resync_repairs; /**< VM states corrected by a resync */
	uint64_t commands;
	uint64_t app_checks;	     /**< app checks of running VMs done */
	uint64_t app_check_failures; /**< of which failed */
	uint64_t app_downs;	     /**< running -> app_down */
	uint64_t saves;		     /**< managed saves done */
	uint64_t save_failures;	     /**< refused by libvirt */
	uint64_t resumes;	     /**< starts restored from a managed-save image */
	uint64_t resume_fallbacks;   /**< restores that failed: image removed, booted cold */
	uint64_t boots;		     /**< cold starts */
	uint64_t crashes;	     /**< crash events (qemu died, guest crashed) */
	uint64_t vm_defines;	     /**< VM_DEFINE accepted */
	uint64_t vm_define_errors;   /**< VM_DEFINE refused */
	uint64_t vm_undefines;	     /**< pushed VMs forgotten (VM_UNDEFINE or INVENTORY) */
};

struct sg_ha_vms {
	const struct sg_ha_config *cfg;
	struct sg_ha_vm_ops ops;
	void *ctx;
	struct sg_ha_lv lv;
	bool test_driver; /**< URI is test:// (boot delay applies) */
	uint64_t next_resync;
	struct sg_ha_vm vms[SG_HA_VMS_MAX]; /**< the YAML's, then the pushed ones */
	unsigned int n_vms;
	struct sg_ha_vm_counters ctr;
	/* pushed VMs' definitions: a slot is free when its name is "" */
	struct sg_ha_vm_cfg pcfg[SG_HA_VMS_MAX];
	struct sg_ha_vm_cfg pnext[SG_HA_VMS_MAX]; /**< changes waiting for a running VM's stop */
	uint32_t push_epoch;			  /**< INVENTORY messages received */
	bool fail_next_resume;			  /**< test hook test-fail-resume */
};

/** Set up the inventory of @p cfg and connect to libvirt. @return 0. */
int sg_ha_vm_init(struct sg_ha_vms *vms, const struct sg_ha_config *cfg,
		  const struct sg_ha_vm_ops *ops, void *ctx);
/** Reconnect, resync, readiness, shutdown and command deadlines. */
void sg_ha_vm_tick(struct sg_ha_vms *vms, uint64_t now);
void sg_ha_vm_fini(struct sg_ha_vms *vms);

/** Re-read every VM from libvirt (@p periodic: count the repairs). */
void sg_ha_vm_resync(struct sg_ha_vms *vms, bool periodic);

struct sg_ha_vm *sg_ha_vm_find(struct sg_ha_vms *vms, const char *name);

/** Fill the VM_STATE attributes of @p m for @p vm. */
void sg_ha_vm_fill(const struct sg_ha_vm *vm, struct sg_agent_msg *m);

/** Read @p vm's state from libvirt. @return true when the reported state changed. */
bool sg_ha_vm_refresh(struct sg_ha_vms *vms, struct sg_ha_vm *vm, const char *why);

/** Booting: is it ready yet (boot delay, service address, probe)? */
void sg_ha_vm_check_ready(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint64_t now);

/** Answer command @p seq (through ops.reply). */
void sg_ha_vm_reply(struct sg_ha_vms *vms, uint32_t seq, uint16_t status, const char *text,
		    const struct sg_ha_vm *vm);

/** Handle a lifecycle event (@p event, @p detail: virDomainEventType and its detail) of @p vm. */
void sg_ha_vm_event(struct sg_ha_vms *vms, struct sg_ha_vm *vm, int event, int detail);

/** A pushed VM's changed definition that waited for a stop: apply it (next start). */
void sg_ha_vm_apply_next(struct sg_ha_vms *vms, struct sg_ha_vm *vm);

/** Answer every waiting command of @p vm with @p status / @p text. */
void sg_ha_vm_pending_fail(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint16_t status,
			   const char *text);

/** Is there room for one more waiting command on @p vm? */
bool sg_ha_vm_pending_room(const struct sg_ha_vm *vm);
/** @return false when @p vm already has SG_HA_PENDING_MAX commands waiting. */
bool sg_ha_vm_pending_add(struct sg_ha_vm *vm, uint8_t type, uint32_t seq, uint64_t deadline);
/** Answer every waiting command of @p type on @p vm. */
void sg_ha_vm_pending_complete(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint8_t type,
			       uint16_t status, const char *text);

#endif /* SG_HA_VM_H */
