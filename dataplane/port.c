/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up: every configured port gets exactly one rx and one tx queue per
 * worker (the main lcore transmits through worker 0, see app.h). RSS spreads
 * flows over the rx queues where the device supports it; af_packet spreads
 * them with its hash fanout over qpairs=<workers>.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "app.h"
#include "portguard.h"

/* "net_af_packet0,iface=x" -> "net_af_packet0" */
static void
device_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

static int
port_setup_one(struct sg_dp_app *app, unsigned int idx)
{
	const struct sg_cfg_port *cp = &app->cfg->appliance.ports[idx];
	const uint16_t nb_rxq = app->n_workers;
	const uint16_t nb_txq = app->n_workers;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = cp->rx_desc, txd = cp->tx_desc;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t pid;
	int rc;

	device_name(cp->device, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		SG_DP_LOG(ERR, "port %s: no DPDK device named %s (device: %s)", cp->name, name,
			  cp->device);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		SG_DP_LOG(ERR, "port %s: cannot read device info: %s", cp->name, strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < nb_rxq || info.max_tx_queues < nb_txq) {
		SG_DP_LOG(ERR,
			  "port %s: %u workers need %u rx and %u tx queues, %s offers %u/%u "
			  "(af_packet: set qpairs=%u in the device string)",
			  cp->name, app->n_workers, nb_rxq, nb_txq, name, info.max_rx_queues,
			  info.max_tx_queues, nb_txq);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if (cp->mtu != 0)
		conf.rxmode.mtu = cp->mtu;

	rc = rte_eth_dev_configure(pid, nb_rxq, nb_txq, &conf);
	if (rc != 0) {
		SG_DP_LOG(ERR, "port %s: configure failed: %s", cp->name, strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc != 0) {
		SG_DP_LOG(ERR, "port %s: descriptor counts refused: %s", cp->name, strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, rxd, rte_eth_dev_socket_id(pid), NULL,
					    app->pool);
		if (rc != 0) {
			SG_DP_LOG(ERR, "port %s: rx queue %u: %s", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, txd, rte_eth_dev_socket_id(pid), NULL);
		if (rc != 0) {
			SG_DP_LOG(ERR, "port %s: tx queue %u: %s", cp->name, q, strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0 && sg_dp_portguard_memif_client(&info, cp->device)) {
		/* its peer is not there yet: the port guard connects it (portguard.h) */
		SG_DP_LOG(WARNING, "port %s: no memif peer at %s yet: connecting in the background",
			  cp->name, name);
	} else if (rc != 0) {
		SG_DP_LOG(ERR, "port %s: start failed: %s", cp->name, strerror(-rc));
		return rc;
	}
	/* Own addresses are answered by ARP/ND; accept frames for them regardless of MAC. */
	rte_eth_promiscuous_enable(pid);

	app->port_id[idx] = pid;
	app->port_info[idx].present = true;
	rte_eth_macaddr_get(pid, &app->port_info[idx].mac);
	SG_DP_LOG(INFO, "port %s: dpdk port %u (%s), mac " RTE_ETHER_ADDR_PRT_FMT ", %u queues",
		  cp->name, pid, name, RTE_ETHER_ADDR_BYTES(&app->port_info[idx].mac), nb_rxq);
	return 0;
}

int
sg_dp_ports_setup(struct sg_dp_app *app)
{
	const struct sg_cfg_appliance *a = &app->cfg->appliance;

	app->n_ports = 0;
	for (unsigned int i = 0; i < a->n_ports; i++) {
		int rc = port_setup_one(app, i);

		if (rc != 0)
			return rc;
		app->n_ports++;
	}
	return 0;
}

void
sg_dp_ports_stop(struct sg_dp_app *app)
{
	for (unsigned int i = 0; i < app->n_ports; i++) {
		rte_eth_dev_stop(app->port_id[i]);
		rte_eth_dev_close(app->port_id[i]);
	}
	app->n_ports = 0;
}
