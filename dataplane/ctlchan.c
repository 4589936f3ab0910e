/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's end of the shared-memory channel to sg-control
 * (DESIGN.md section 3, include/sessiongate/sg_msg.h).
 *
 * The main lcore creates a new POSIX shm object at every start (the old
 * name is unlinked first, so an attached sg-control sees another inode and
 * a new epoch), and has lib/shmchan lay out struct sg_shm_hdr and two SP/SC
 * rte_rings per worker (sg_shm_region_init(), magic written last). Workers produce
 * on their dp->ctl ring and consume their ctl->dp ring; nothing else
 * touches a ring. The main lcore beats dp_heartbeat and watches
 * ctl_heartbeat: sg-control counts as up while its heartbeat moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "app.h"
#include "sessiongate/sg_shm.h"

#define CTL_DEAD_MS 3000 /* sg-control is down once its heartbeat stalls this long */

int
sg_dp_ctlchan_create(struct sg_dp_app *app)
{
	const struct sg_cfg_control *cc = &app->cfg->appliance.control;
	struct sg_dp_ctlchan *ch = &app->ctl;
	ssize_t rsz = sg_shm_region_size(app->n_workers, cc->ring_size);
	size_t size;
	uint64_t epoch = 0;
	int fd, rc;

	memset(ch, 0, sizeof(*ch));
	if (cc->shm[0] == '\0') {
		SG_DP_LOG(NOTICE, "appliance.control.shm is empty: no control path, brokered "
				  "sessions are rejected");
		return 0;
	}
	if (rsz < 0 || app->n_workers > SG_DP_WORKERS_MAX) {
		SG_DP_LOG(ERR, "control channel: %u workers or ring size %u out of range",
			  app->n_workers, cc->ring_size);
		return -EINVAL;
	}
	size = (size_t)rsz;
	snprintf(ch->name, sizeof(ch->name), "%s", cc->shm);
	shm_unlink(ch->name); /* a stale object from an earlier run */
	fd = shm_open(ch->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		SG_DP_LOG(ERR, "control channel: shm_open(%s): %s", ch->name, strerror(errno));
		return -errno;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		SG_DP_LOG(ERR, "control channel: cannot size %s to %zu bytes: %s", ch->name, size,
			  strerror(errno));
		close(fd);
		shm_unlink(ch->name);
		return rc;
	}
	ch->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (ch->base == MAP_FAILED) {
		ch->base = NULL;
		shm_unlink(ch->name);
		return -ENOMEM;
	}
	ch->size = size;
	ch->hdr = ch->base;
	while (epoch == 0) {
		if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch))
			epoch = rte_rdtsc() ^ ((uint64_t)getpid() << 32);
	}
	/* The layout (header, rings, magic last) is lib/shmchan's. */
	rc = sg_shm_region_init(ch->base, size, app->n_workers, cc->ring_size, epoch, ch->to_ctl,
				ch->from_ctl);
	if (rc < 0) {
		SG_DP_LOG(ERR, "control channel: region layout failed: %s", strerror(-rc));
		sg_dp_ctlchan_destroy(app);
		return rc;
	}
	ch->epoch = epoch;
	SG_DP_LOG(NOTICE, "control channel %s: %u workers, %u messages per ring, epoch %#llx",
		  ch->name, app->n_workers, cc->ring_size, (unsigned long long)epoch);
	return 0;
}

void
sg_dp_ctlchan_tick(struct sg_dp_app *app)
{
	struct sg_dp_ctlchan *ch = &app->ctl;
	uint64_t now = rte_get_timer_cycles(), hb;
	bool up;

	if (ch->hdr == NULL)
		return;
	__atomic_fetch_add(&ch->hdr->dp_heartbeat, 1, __ATOMIC_RELAXED);
	hb = __atomic_load_n(&ch->hdr->ctl_heartbeat, __ATOMIC_RELAXED);
	if (hb != ch->last_ctl_hb) {
		ch->last_ctl_hb = hb;
		ch->ctl_hb_tsc = now;
	}
	up = ch->ctl_hb_tsc != 0 && now - ch->ctl_hb_tsc < rte_get_timer_hz() / 1000 * CTL_DEAD_MS;
	if (up != __atomic_load_n(&ch->ctl_up, __ATOMIC_RELAXED)) {
		__atomic_store_n(&ch->ctl_up, up, __ATOMIC_RELEASE);
		SG_DP_LOG(NOTICE, "sg-control is %s", up ? "up" : "down (heartbeat stalled)");
		if (up)
			ch->ctl_ups++;
	}
}

void
sg_dp_ctlchan_destroy(struct sg_dp_app *app)
{
	struct sg_dp_ctlchan *ch = &app->ctl;

	if (ch->base == NULL)
		return;
	munmap(ch->base, ch->size);
	shm_unlink(ch->name);
	ch->base = NULL;
	ch->hdr = NULL;
}
