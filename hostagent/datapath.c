/* SPDX-License-Identifier: BSD-3-Clause */
/* Host datapath loader and map access (see datapath.h, doc/hostagent.md). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "datapath.h"
#include "log.h"
#include "sg_ha.skel.h"

#define TC_HANDLE   0x5347 /* "SG" */
#define TC_PRIORITY 1

struct sg_ha_dp {
	struct sg_ha_bpf *skel;
	char pin_dir[PATH_MAX - 32];
	int ifindex;
	int ncpus;
};

static const char *const ctr_names[SG_HA_CTR_MAX] = {SG_HA_CTR_NAMES};

const char *
sg_ha_dp_ctr_name(unsigned int ctr)
{
	return ctr < SG_HA_CTR_MAX ? ctr_names[ctr] : "?";
}

static int
mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strnlen(path, sizeof(tmp));

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* /sys/fs/bpf is mounted on demand; any other pin_dir must already be on bpffs. */
static int
ensure_bpffs(const char *pin_dir)
{
	struct statfs st;
	int rc;

	if (strncmp(pin_dir, "/sys/fs/bpf/", 12) == 0 &&
	    (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC)) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			sg_ha_log(LOG_ERR, "datapath: cannot mount bpffs on /sys/fs/bpf: %s",
				  strerror(errno));
			return -errno;
		}
	}
	rc = mkdir_p(pin_dir);
	if (rc) {
		sg_ha_log(LOG_ERR, "datapath: cannot create pin dir %s: %s", pin_dir,
			  strerror(-rc));
		return rc;
	}
	if (statfs(pin_dir, &st) || st.f_type != BPF_FS_MAGIC) {
		sg_ha_log(LOG_ERR,
			  "datapath: pin_dir %s is not on a bpf filesystem (mount -t bpf bpf DIR)",
			  pin_dir);
		return -EINVAL;
	}
	return 0;
}

static int
set_pins(struct sg_ha_dp *dp)
{
	struct bpf_map *maps[] = {dp->skel->maps.sg_ha_vips,   dp->skel->maps.sg_ha_rev,
				  dp->skel->maps.sg_ha_vstats, dp->skel->maps.sg_ha_cfg,
				  dp->skel->maps.sg_ha_ctrs,   dp->skel->maps.sg_ha_conns};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir, bpf_map__name(maps[i]));
		rc = bpf_map__set_pin_path(maps[i], path);
		if (rc)
			return rc;
	}
	return 0;
}

static int
attach(struct sg_ha_dp *dp, enum bpf_tc_attach_point where, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex, .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY,
			    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int rc = bpf_tc_hook_create(&hook);

	if (rc && rc != -EEXIST)
		return rc;
	return bpf_tc_attach(&hook, &opts);
}

/* libbpf's own messages go to our log at debug level (e.g. "Exclusivity flag on" when the
 * clsact qdisc already exists, which is expected on restart). */
static int __attribute__((format(printf, 2, 0)))
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG || sg_ha_log_level < LOG_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	sg_ha_log(LOG_DEBUG, "libbpf: %s", line);
	return 0;
}

int
sg_ha_dp_open(const char *pin_dir, const char *uplink, const struct sg_ha_bpf_cfg *bcfg,
	      struct sg_ha_dp **out)
{
	struct sg_ha_dp *dp = calloc(1, sizeof(*dp));
	__u32 zero = 0;
	int rc;

	if (dp == NULL)
		return -ENOMEM;
	libbpf_set_print(libbpf_print);
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		rc = -EINVAL;
		goto fail;
	}
	if (uplink) {
		dp->ifindex = (int)if_nametoindex(uplink);
		if (dp->ifindex == 0) {
			sg_ha_log(LOG_ERR, "datapath: uplink %s: no such interface", uplink);
			rc = -ENODEV;
			goto fail;
		}
	}
	rc = ensure_bpffs(pin_dir);
	if (rc)
		goto fail;
	dp->skel = sg_ha_bpf__open();
	if (dp->skel == NULL) {
		rc = -errno;
		sg_ha_log(LOG_ERR, "datapath: cannot open BPF object: %s", strerror(-rc));
		goto fail;
	}
	rc = set_pins(dp);
	if (rc == 0)
		rc = sg_ha_bpf__load(dp->skel);
	if (rc) {
		sg_ha_log(
			LOG_ERR,
			"datapath: cannot load BPF program with maps pinned in %s: %s (-v shows libbpf; pins of "
			"an incompatible version? remove them)",
			pin_dir, strerror(-rc));
		goto fail;
	}
	rc = bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sg_ha_cfg), &zero, bcfg, BPF_ANY);
	if (rc) {
		rc = -errno;
		goto fail;
	}
	if (dp->ifindex) {
		rc = attach(dp, BPF_TC_INGRESS, bpf_program__fd(dp->skel->progs.sg_ha_ingress));
		if (rc == 0)
			rc = attach(dp, BPF_TC_EGRESS,
				    bpf_program__fd(dp->skel->progs.sg_ha_egress));
		if (rc) {
			sg_ha_log(LOG_ERR, "datapath: cannot attach to %s (tc clsact): %s", uplink,
				  strerror(-rc));
			goto fail;
		}
	}
	sg_ha_log(LOG_INFO, "datapath: loaded, maps in %s, %u VIP entries kept, %s%s", pin_dir,
		  sg_ha_dp_vip_count(dp), uplink ? "attached to " : "not attached",
		  uplink ? uplink : "");
	*out = dp;
	return 0;
fail:
	sg_ha_bpf__destroy(dp->skel);
	free(dp);
	return rc;
}

void
sg_ha_dp_close(struct sg_ha_dp *dp)
{
	if (dp == NULL)
		return;
	sg_ha_bpf__destroy(dp->skel); /* pins and tc filters stay */
	free(dp);
}

int
sg_ha_dp_detach(struct sg_ha_dp *dp)
{
	enum bpf_tc_attach_point pts[] = {BPF_TC_INGRESS, BPF_TC_EGRESS};

	for (size_t i = 0; dp->ifindex && i < 2; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex,
				    .attach_point = pts[i]);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE,
				    .priority = TC_PRIORITY);

		bpf_tc_detach(&hook, &opts);
	}
	bpf_object__unpin_maps(dp->skel->obj, NULL);
	rmdir(dp->pin_dir);
	return 0;
}

int
sg_ha_dp_vip_add(struct sg_ha_dp *dp, const struct sg_ha_ep *vip, const struct sg_ha_ep *vm,
		 uint32_t ifindex)
{
	struct sg_ha_vip_val val = {.vm = *vm, .ifindex = ifindex};
	struct sg_ha_rev_val rev = {.vip = *vip};
	struct sg_ha_vstats *zero;
	int rc;

	if (vip->family != vm->family || vip->proto != vm->proto)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sg_ha_vips), vip, &val, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sg_ha_rev), vm, &rev, BPF_ANY)) {
		rc = errno == E2BIG ? -ENOSPC : -errno;
		bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.sg_ha_vips), vip);
		return rc;
	}
	zero = calloc((size_t)dp->ncpus, sizeof(*zero));
	if (zero == NULL)
		return -ENOMEM;
	/* Keep counters of an entry that already exists (restart, re-install). */
	bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sg_ha_vstats), vip, zero, BPF_NOEXIST);
	free(zero);
	return 0;
}

int
sg_ha_dp_vip_del(struct sg_ha_dp *dp, const struct sg_ha_ep *vip)
{
	int vips = bpf_map__fd(dp->skel->maps.sg_ha_vips),
	    revs = bpf_map__fd(dp->skel->maps.sg_ha_rev);
	struct sg_ha_ep key, next;
	struct sg_ha_vip_val val, other;
	struct sg_ha_rev_val rev;
	void *prev = NULL;

	if (bpf_map_lookup_elem(vips, vip, &val))
		return -ENOENT;
	bpf_map_delete_elem(vips, vip);
	bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.sg_ha_vstats), vip);
	/* The VM's fallback reply address: this VIP, unless another VIP leads there too. */
	if (bpf_map_lookup_elem(revs, &val.vm, &rev) || memcmp(&rev.vip, vip, sizeof(*vip)) != 0)
		return 0;
	bpf_map_delete_elem(revs, &val.vm);
	for (unsigned int n = 0; n < SG_HA_VIPS_MAX && bpf_map_get_next_key(vips, prev, &next) == 0;
	     n++) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(vips, &key, &other) == 0 &&
		    memcmp(&other.vm, &val.vm, sizeof(val.vm)) == 0) {
			rev.vip = key;
			bpf_map_update_elem(revs, &val.vm, &rev, BPF_ANY);
			break;
		}
	}
	return 0;
}

unsigned int
sg_ha_dp_vip_count(struct sg_ha_dp *dp)
{
	int fd = bpf_map__fd(dp->skel->maps.sg_ha_vips);
	struct sg_ha_ep key, next;
	unsigned int n = 0;
	void *prev = NULL;

	while (n < SG_HA_VIPS_MAX && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

int
sg_ha_dp_counters(struct sg_ha_dp *dp, uint64_t out[SG_HA_CTR_MAX])
{
	uint64_t *v = calloc((size_t)dp->ncpus, sizeof(*v));
	int fd = bpf_map__fd(dp->skel->maps.sg_ha_ctrs);

	if (v == NULL)
		return -ENOMEM;
	for (__u32 i = 0; i < SG_HA_CTR_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (int c = 0; c < dp->ncpus; c++)
			out[i] += v[c];
	}
	free(v);
	return 0;
}

int
sg_ha_dp_vip_stats(struct sg_ha_dp *dp, const struct sg_ha_ep *vip, struct sg_ha_vstats *out)
{
	struct sg_ha_vstats *v = calloc((size_t)dp->ncpus, sizeof(*v));
	int rc = 0;

	if (v == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sg_ha_vstats), vip, v)) {
		rc = -ENOENT;
	} else {
		for (int c = 0; c < dp->ncpus; c++) {
			out->rx_packets += v[c].rx_packets;
			out->rx_bytes += v[c].rx_bytes;
			out->tx_packets += v[c].tx_packets;
			out->tx_bytes += v[c].tx_bytes;
		}
	}
	free(v);
	return rc;
}

int
sg_ha_dp_prog_fd(struct sg_ha_dp *dp, bool ingress)
{
	return bpf_program__fd(ingress ? dp->skel->progs.sg_ha_ingress
				       : dp->skel->progs.sg_ha_egress);
}
