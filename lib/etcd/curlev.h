/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * libcurl's multi interface driven by a libevent base: the socket and timer
 * callbacks every curl-multi user of the project needs (lib/etcd's watch,
 * sg-control's health probes). The owner keeps its own socket-event and
 * timer-event handlers (they run curl_multi_socket_action and read the
 * finished transfers); this only tells libevent what libcurl wants watched.
 */
#ifndef SG_ETCD_CURLEV_H
#define SG_ETCD_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

struct sg_etcd_curlev {
	CURLM *multi;
	struct event_base *base;
	struct event *timer;	   /**< the owner's evtimer: libcurl's timeout */
	event_callback_fn sock_ev; /**< the owner's handler of socket events */
	void *arg;		   /**< its argument */
};

/**
 * Install @p c's socket and timer callbacks on c->multi. @p c must outlive
 * the multi handle (embed it in the owner).
 */
void sg_etcd_curlev_attach(struct sg_etcd_curlev *c);

#endif /* SG_ETCD_CURLEV_H */
