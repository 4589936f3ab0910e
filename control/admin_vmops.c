/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl vm start|stop|save NAME and sgctl session abort ID [--drain
 * [--deadline S]] (doc/control.md "Operator verbs"):
 *
 *  - vm start: ENSURE_RUNNING through the bus (a saved VM resumes); the
 *    answer says started or already running; the idle timer then applies;
 *  - vm stop / save: STOP or SAVE of a running VM that holds no session
 *    (else refused: drain it first); another node's VM is refused;
 *  - session abort: an installed session gets SESSION_ABORT (reset, or
 *    drain with a deadline) with reason ADMIN through the placement hooks;
 *    a held one (queued, waiting for its VM, ready) is rejected ADMIN.
 *
 * Refusals are counted (admin_vm_refused, admin_abort_refused), as are the
 * verbs done (admin_vm_ops, admin_aborts).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "admin.h"
#include "bus.h"
#include "cs.h"
#include "view.h"
#include "vm.h"

json_t *
sg_ctl_admin_vmop(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		  size_t errlen)
{
	struct sg_ctl_vm *vm = sg_ctl_vm_by_name(v->inv, req->name);
	uint32_t op = strcmp(req->op, "start") == 0  ? SG_CTL_REQ_VM_START
		      : strcmp(req->op, "save") == 0 ? SG_CTL_REQ_VM_SAVE
						     : SG_CTL_REQ_VM_STOP;
	const char *done = op == SG_CTL_REQ_VM_START  ? "started"
			   : op == SG_CTL_REQ_VM_SAVE ? "saving"
						      : "stopping";
	int rc;

	if (vm == NULL) {
		snprintf(err, errlen, "no VM named '%s' (sgctl vms lists them)", req->name);
		v->vmm->st->admin_vm_refused++;
		return NULL;
	}
	if (op == SG_CTL_REQ_VM_START && vm->retiring) {
		snprintf(err, errlen, "%s is being removed: not started", vm->cfg->name);
		v->vmm->st->admin_vm_refused++;
		return NULL;
	}
	rc = sg_ctl_vm_op(v->vmm, vm, op, err, errlen);
	if (rc < 0) {
		v->vmm->st->admin_vm_refused++;
		return NULL;
	}
	v->vmm->st->admin_vm_ops++;
	if (rc == 1)
		done = "already running";
	else if (op == SG_CTL_REQ_VM_START && vm->saved)
		done = "resuming";
	syslog(LOG_NOTICE, "admin: vm %s: %s", vm->cfg->name, done);
	return json_pack("{s:s,s:s,s:s,s:b}", "vm", vm->cfg->name, "result", done, "state",
			 sg_ctl_vm_state_name(vm->state), "saved", vm->saved);
}

/* @return the answer, or NULL with @p err: @p cs is not one abort can end. */
static json_t *
abort_one(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, struct sg_ctl_cs *cs,
	  char *err, size_t errlen)
{
	const struct sg_ctl_place_hooks *h = &v->vmm->hooks;
	bool drain = strcmp(req->target, "drain") == 0;
	const char *done;

	switch (cs->state) {
	case SG_CTL_CS_INSTALLED:
		if (drain && cs->reason != SG_MSG_REASON_NONE) {
			snprintf(err, errlen, "session %#llx is already ending (%s): only a reset",
				 (unsigned long long)cs->session_id,
				 sg_ctl_cs_reason_name(cs->reason));
			return NULL;
		}
		h->abort(h->ctx, cs, drain ? SG_MSG_ABORT_DRAIN : SG_MSG_ABORT_RESET,
			 SG_MSG_REASON_ADMIN, req->deadline_s);
		done = drain ? "draining" : "reset";
		break;
	case SG_CTL_CS_NEW:
	case SG_CTL_CS_NEGOTIATING:
	case SG_CTL_CS_WAITING:
	case SG_CTL_CS_READY:
		h->reject(h->ctx, cs, SG_MSG_REASON_ADMIN);
		done = "rejected";
		break;
	default:
		snprintf(err, errlen, "session %#llx has ended (%s)",
			 (unsigned long long)cs->session_id, sg_ctl_cs_state_name(cs->state));
		return NULL;
	}
	syslog(LOG_NOTICE, "admin: session %#llx aborted: %s", (unsigned long long)req->id, done);
	return json_pack("{s:s,s:s,s:i}", "aborted", done, "reason", "admin", "deadline_s",
			 drain ? (json_int_t)req->deadline_s : 0);
}

json_t *
sg_ctl_admin_abort(const struct sg_ctl_view *v, const struct sg_ctl_admin_req *req, char *err,
		   size_t errlen)
{
	struct sg_ctl_cs *cs = sg_ctl_cs_find(v->tab, req->id);
	json_t *res;

	if (cs == NULL) {
		snprintf(err, errlen,
			 "no session with streaming ID %#llx (sgctl sessions lists them)",
			 (unsigned long long)req->id);
		v->vmm->st->admin_abort_refused++;
		return NULL;
	}
	res = abort_one(v, req, cs, err, errlen);
	if (res == NULL)
		v->vmm->st->admin_abort_refused++;
	else
		v->vmm->st->admin_aborts++;
	return res;
}

json_t *
sg_ctl_admin_vm_guest(const struct sg_ctl_vm *vm)
{
	static const char *const kinds[] = {"none", "boot", "resume"};

	return json_pack("{s:b,s:s,s:I,s:I,s:{s:s,s:I,s:I,s:I}}", "saved", vm->saved, "template",
			 vm->cfg->template_name, "resumes", (json_int_t)vm->resumes, "saves",
			 (json_int_t)vm->saves, "last_start", "kind",
			 kinds[vm->start_kind < 3 ? vm->start_kind : 0], "libvirt_ms",
			 (json_int_t)vm->start_libvirt_ms, "ready_ms",
			 (json_int_t)vm->start_ready_ms, "total_ms",
			 (json_int_t)vm->start_total_ms);
}

json_t *
sg_ctl_admin_guest_counters(const struct sg_ctl_stats *st)
{
	return json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "vm_saves", (json_int_t)st->vm_saves,
		"vm_resumes", (json_int_t)st->vm_resumes, "agent_pushed",
		(json_int_t)st->agent.pushed, "agent_push_failures",
		(json_int_t)st->agent.push_failures, "agent_forgotten",
		(json_int_t)st->agent.forgotten, "agent_ignored", (json_int_t)st->agent.ignored,
		"admin_vm_ops", (json_int_t)st->admin_vm_ops, "admin_vm_refused",
		(json_int_t)st->admin_vm_refused, "admin_aborts", (json_int_t)st->admin_aborts,
		"admin_abort_refused", (json_int_t)st->admin_abort_refused);
}
