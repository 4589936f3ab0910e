/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dpsim.h"
#include "sessiongate/sg_shm.h"

int
dpsim_create(struct dpsim *d, const char *name, unsigned int workers, unsigned int ring_size,
	     uint64_t epoch)
{
	ssize_t size = sg_shm_region_size(workers, ring_size);
	int fd, rc;

	memset(d, 0, sizeof(*d));
	if (size < 0)
		return (int)size;
	snprintf(d->name, sizeof(d->name), "%s", name);
	/* A restarted data plane makes a new object: the old mapping stays valid. */
	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	d->base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (d->base == MAP_FAILED)
		return -errno;
	d->size = (size_t)size;
	d->hdr = d->base;
	d->workers = workers;
	/* The one layout, lib/shmchan's: tx = dp -> ctl, rx = ctl -> dp. */
	return sg_shm_region_init(d->base, d->size, workers, ring_size, epoch, d->tx, d->rx);
}

void
dpsim_destroy(struct dpsim *d, bool unlink_name)
{
	if (d->base != NULL && d->base != MAP_FAILED)
		munmap(d->base, d->size);
	if (unlink_name)
		shm_unlink(d->name);
	d->base = NULL;
}

void
dpsim_make_new(struct sg_msg *m, uint64_t sid, uint16_t worker, const char *vip, uint16_t dport,
	       uint8_t key_type, const char *key)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = SG_MSG_SESSION_NEW;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sizeof(m->session_new));
	m->hdr.worker = worker;
	m->hdr.session_id = sid;
	m->session_new.flow.family = 4;
	m->session_new.flow.proto = 6;
	m->session_new.flow.sport = (uint16_t)(1024 + sid % 60000);
	m->session_new.flow.dport = dport;
	inet_pton(AF_INET, "198.18.0.1", m->session_new.flow.saddr);
	inet_pton(AF_INET, vip, m->session_new.flow.daddr);
	m->session_new.key_type = key_type;
	if (key != NULL) {
		m->session_new.key_len = (uint16_t)strnlen(key, SG_MSG_KEY_MAX);
		memcpy(m->session_new.key, key, m->session_new.key_len);
	}
}

int
dpsim_send(struct dpsim *d, unsigned int w, struct sg_msg *m)
{
	m->hdr.seq = d->seq[w];
	if (rte_ring_sp_enqueue_elem(d->tx[w], m, SG_MSG_SIZE) != 0) {
		d->full++;
		return -ENOBUFS;
	}
	d->seq[w]++;
	return 0;
}

void
dpsim_make(struct sg_msg *m, uint16_t type, uint16_t worker, uint64_t sid)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = SG_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sg_msg_body_size(type));
	m->hdr.worker = worker;
	m->hdr.session_id = sid;
}

int
dpsim_send_closed(struct dpsim *d, unsigned int w, uint64_t sid)
{
	struct sg_msg m;

	dpsim_make(&m, SG_MSG_SESSION_CLOSED, (uint16_t)w, sid);
	m.closed.reason = SG_MSG_REASON_CLIENT_CLOSED;
	return dpsim_send(d, w, &m);
}

unsigned int
dpsim_recv(struct dpsim *d, unsigned int w, struct sg_msg *out, unsigned int n)
{
	return rte_ring_sc_dequeue_burst_elem(d->rx[w], out, SG_MSG_SIZE, n, NULL);
}
