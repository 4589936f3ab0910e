/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names of the host agent protocol's message types, VM states and statuses,
 * for logs and docs (include/sessiongate/sg_agent_proto.h).
 */
#include "sessiongate/sg_agent_proto.h"

static const char *const msg_names[] = {
	[SG_AGENT_MSG_HELLO] = "HELLO",
	[SG_AGENT_MSG_CHALLENGE] = "CHALLENGE",
	[SG_AGENT_MSG_AUTH] = "AUTH",
	[SG_AGENT_MSG_AUTH_OK] = "AUTH_OK",
	[SG_AGENT_MSG_ERROR] = "ERROR",
	[SG_AGENT_MSG_PING] = "PING",
	[SG_AGENT_MSG_PONG] = "PONG",
	[SG_AGENT_MSG_ENSURE_RUNNING] = "ENSURE_RUNNING",
	[SG_AGENT_MSG_STOP] = "STOP",
	[SG_AGENT_MSG_STATUS] = "STATUS",
	[SG_AGENT_MSG_RESULT] = "RESULT",
	[SG_AGENT_MSG_VM_STATE] = "VM_STATE",
	[SG_AGENT_MSG_SYNC] = "SYNC",
	[SG_AGENT_MSG_FLOW_ADD] = "FLOW_ADD",
	[SG_AGENT_MSG_FLOW_DEL] = "FLOW_DEL",
	[SG_AGENT_MSG_COUNTERS] = "COUNTERS",
	[SG_AGENT_MSG_SAVE] = "SAVE",
	[SG_AGENT_MSG_VM_DEFINE] = "VM_DEFINE",
	[SG_AGENT_MSG_VM_UNDEFINE] = "VM_UNDEFINE",
	[SG_AGENT_MSG_INVENTORY] = "INVENTORY",
};

static const char *const state_names[] = {
	[SG_AGENT_VM_UNKNOWN] = "unknown",   [SG_AGENT_VM_UNDEFINED] = "undefined",
	[SG_AGENT_VM_SHUTOFF] = "shutoff",   [SG_AGENT_VM_BOOTING] = "booting",
	[SG_AGENT_VM_RUNNING] = "running",   [SG_AGENT_VM_STOPPING] = "stopping",
	[SG_AGENT_VM_PAUSED] = "paused",     [SG_AGENT_VM_CRASHED] = "crashed",
	[SG_AGENT_VM_APP_DOWN] = "app_down", [SG_AGENT_VM_SAVED] = "saved",
};

static const char *const status_names[] = {
	[SG_AGENT_OK] = "ok",
	[SG_AGENT_E_NO_SUCH_VM] = "no such VM",
	[SG_AGENT_E_LIBVIRT] = "libvirt refused",
	[SG_AGENT_E_TIMEOUT] = "timed out",
	[SG_AGENT_E_BAD_REQUEST] = "bad request",
	[SG_AGENT_E_AUTH] = "authentication failed",
	[SG_AGENT_E_UNAVAILABLE] = "libvirt unavailable",
	[SG_AGENT_E_FULL] = "table full",
	[SG_AGENT_E_INTERNAL] = "internal error",
};

const char *
sg_agent_msg_type_name(unsigned int type)
{
	return type >= 1 && type <= SG_AGENT_MSG_TYPE_MAX ? msg_names[type] : "?";
}

const char *
sg_agent_vm_state_name(unsigned int state)
{
	return state <= SG_AGENT_VM_STATE_MAX ? state_names[state] : "?";
}

const char *
sg_agent_status_name(unsigned int status)
{
	return status <= SG_AGENT_STATUS_MAX ? status_names[status] : "?";
}
