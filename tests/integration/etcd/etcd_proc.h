/* SPDX-License-Identifier: BSD-3-Clause */
/* A real etcd for tests: one member on 127.0.0.1, free ports, its own data dir. */
#ifndef SG_TEST_ETCD_PROC_H
#define SG_TEST_ETCD_PROC_H

#include <sys/types.h>

struct etcd_proc {
	pid_t pid;
	char dir[256]; /**< data dir and log, under $TMPDIR */
	unsigned int client_port, peer_port;
	char url[64]; /**< http://127.0.0.1:client_port */
};

/** Start (or restart, same ports and data) @p p and wait until healthy (10 s). @return 0 or -1. */
int etcd_proc_start(struct etcd_proc *p);
/** kill -9 it and reap it. */
void etcd_proc_kill(struct etcd_proc *p);
/** A TCP port nothing listens on now. */
unsigned int etcd_proc_free_port(void);

#endif
