/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture for the operator (doc/operations.md, "Packet capture"):
 * rte_pdump answers dpdk-dumpcap and dpdk-pdump, secondary processes that
 * attach to this process's shared memory (its --file-prefix) and ask it,
 * over the multi-process channel, to copy a port's packets to them
 * (optionally through a BPF filter, e.g. on a VIP). That needs hugepages
 * (the memory of a --no-huge process cannot be shared) and the channel
 * (not --no-shconf / --in-memory). The workers pay nothing until a
 * capture starts: pdump puts its rx/tx callbacks on the queues only for
 * the capture's time. Telemetry /sg/capture says whether it is possible.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pdump.h>
#include <rte_telemetry.h>

#include "app.h"

static struct {
	const struct sg_dp_app *app;
	bool on;
	char why[160]; /* why not, when off */
} cap;

static int
tel_capture(const char *cmd __rte_unused, const char *params __rte_unused, struct rte_tel_data *d)
{
	const struct sg_dp_app *app = cap.app;
	struct rte_tel_data *ports = rte_tel_data_alloc();

	if (ports == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "enabled", cap.on ? 1 : 0);
	rte_tel_data_add_dict_string(d, "reason", cap.on ? "" : cap.why);
	rte_tel_data_add_dict_string(d, "file_prefix",
				     app->cfg->appliance.file_prefix[0]
					     ? app->cfg->appliance.file_prefix
					     : "sessiongate");
	/* the names dpdk-dumpcap -i takes, in the configuration's port order */
	rte_tel_data_start_array(ports, RTE_TEL_STRING_VAL);
	for (unsigned int i = 0; i < app->n_ports; i++) {
		char name[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(app->port_id[i], name) != 0)
			(void)snprintf(name, sizeof(name), "%u", app->port_id[i]);
		rte_tel_data_add_array_string(ports, name);
	}
	rte_tel_data_add_dict_container(d, "ports", ports, 0);
	return 0;
}

int
sg_dp_capture_init(const struct sg_dp_app *app)
{
	int rc;

	cap.app = app;
	cap.on = false;
	if (!rte_eal_has_hugepages()) {
		(void)snprintf(cap.why, sizeof(cap.why),
			       "no hugepages (appliance.no_huge): a capture process cannot share "
			       "this one's memory");
	} else if (rte_pdump_init() != 0) {
		(void)snprintf(cap.why, sizeof(cap.why),
			       "rte_pdump_init: %s (no multi-process channel: --no-shconf or "
			       "--in-memory?)",
			       rte_strerror(rte_errno));
	} else {
		cap.on = true;
	}
	if (cap.on)
		SG_DP_LOG(NOTICE, "packet capture on: dpdk-dumpcap --file-prefix=%s -i PORT",
			  app->cfg->appliance.file_prefix[0] ? app->cfg->appliance.file_prefix
							     : "sessiongate");
	else
		SG_DP_LOG(NOTICE, "packet capture off: %s", cap.why);
	rc = rte_telemetry_register_cmd("/sg/capture", tel_capture,
					"Packet capture (dpdk-dumpcap): possible or why not, "
					"the port names to capture on.");
	if (rc != 0)
		SG_DP_LOG(ERR, "cannot register telemetry command /sg/capture: %s", strerror(-rc));
	return rc;
}

void
sg_dp_capture_fini(void)
{
	if (cap.on)
		(void)rte_pdump_uninit();
	cap.on = false;
}
