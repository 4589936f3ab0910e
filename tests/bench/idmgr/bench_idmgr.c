/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identity manager benchmark on a 1,000,000-object store, compared with a
 * plain in-memory hash table measured in the same run (the ceiling).
 *
 *   lookups/s by ID and by name, where-queries/s, relationship queries/s
 *   (one hop and the 3-hop "which VM serves user U for app A"),
 *   registrations/s with fsync per commit (default, durable) and without
 *   (SG_ID_OPEN_NOSYNC: survives a process crash, not a power loss).
 *
 * Each read measurement runs ROUNDS times interleaved with the ceiling and the
 * median is reported. Bounded: about one to two minutes on two shared cores.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/idmgr/idmgr_test.h"
#include "sg_idmgr.h"

#define GROUPS	   10
#define HOSTS	   1000
#define USERS	   50000
#define APPS	   1000
#define COMPS	   2 /* per app, one domain per app */
#define OBJECTS	   1000000
#define VMS	   (OBJECTS - 1 - GROUPS - HOSTS - USERS - 2 * APPS - APPS * COMPS)
#define BATCH	   20000
#define READ_OPS   200000
#define ROUNDS	   3
#define SYNC_SECS  2.0
#define NOSYNC_OPS 20000

static uint64_t host_id[HOSTS], user_id[USERS], app_id[APPS], comp_id[APPS * COMPS];
static uint64_t *vm_id, dc_id, group_id[GROUPS];
static volatile uint64_t sink;

static uint64_t
rnd(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/* ---- ceiling: open addressing hash tables in memory ---- */

struct hobj {
	uint64_t id;
	uint64_t parent;
	char name[16];
};

static struct hobj *htab; /* by ID */
static uint32_t *hname;	  /* name hash -> index into htab+1 */
static size_t hcap;

static size_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return (size_t)x;
}

static size_t
strhash(const char *s)
{
	uint64_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211u;
	return (size_t)h;
}

static void
ceil_put(uint64_t id, uint64_t parent, const char *name)
{
	size_t i = mix(id) & (hcap - 1), j;

	while (htab[i].id != 0)
		i = (i + 1) & (hcap - 1);
	htab[i].id = id;
	htab[i].parent = parent;
	idt_fmt(htab[i].name, sizeof(htab[i].name), "%s", name);
	for (j = strhash(name) & (hcap - 1); hname[j] != 0; j = (j + 1) & (hcap - 1))
		;
	hname[j] = (uint32_t)i + 1;
}

static const struct hobj *
ceil_get(uint64_t id)
{
	for (size_t i = mix(id) & (hcap - 1); htab[i].id != 0; i = (i + 1) & (hcap - 1))
		if (htab[i].id == id)
			return &htab[i];
	return NULL;
}

static const struct hobj *
ceil_name(const char *name)
{
	for (size_t j = strhash(name) & (hcap - 1); hname[j] != 0; j = (j + 1) & (hcap - 1))
		if (strcmp(htab[hname[j] - 1].name, name) == 0)
			return &htab[hname[j] - 1];
	return NULL;
}

/* ---- measurement helpers ---- */

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static void
vm_name(char *buf, size_t len, uint64_t i)
{
	idt_fmt(buf, len, "vm%" PRIu64, i);
}

static int
fail(struct sg_id_store *s, const char *what)
{
	(void)fprintf(stderr, "bench: %s: %s\n", what, sg_id_store_errmsg(s));
	return 1;
}

static int
load(struct sg_id_store *s)
{
	static struct sg_id_reg r[BATCH];
	static char names[BATCH][24];
	static uint64_t ids[BATCH];
	static struct sg_id_edge e[BATCH];
	uint64_t dc, *groups = group_id, st = 42;
	size_t ne = 0;
	char nm[24];

	{
		struct sg_id_reg d = {.type = SG_ID_T_DC, .name = "dc1"};

		if (sg_id_register(s, &d, &dc, NULL))
			return fail(s, "dc");
		dc_id = dc;
	}
	for (int g = 0; g < GROUPS; g++) {
		struct sg_id_reg x = {.type = SG_ID_T_GROUP, .name = nm, .parent = dc};

		idt_fmt(nm, sizeof(nm), "g%d", g);
		if (sg_id_register(s, &x, &groups[g], NULL))
			return fail(s, "group");
	}
#define FLUSH_REG(n, out)                                   \
	do {                                                \
		if (sg_id_register_many(s, r, (n), ids))    \
			return fail(s, "register_many");    \
		memcpy((out), ids, (n) * sizeof(uint64_t)); \
	} while (0)
	for (int h = 0; h < HOSTS; h++) {
		idt_fmt(names[h], sizeof(names[h]), "h%d", h);
		r[h] = (struct sg_id_reg){
			.type = SG_ID_T_HOST, .name = names[h], .parent = groups[h % GROUPS]};
	}
	FLUSH_REG(HOSTS, host_id);
	for (int a = 0; a < APPS; a++) {
		idt_fmt(names[a], sizeof(names[a]), "app%d", a);
		r[a] = (struct sg_id_reg){.type = SG_ID_T_APP, .name = names[a]};
	}
	FLUSH_REG(APPS, app_id);
	{
		uint64_t dom[APPS];

		for (int a = 0; a < APPS; a++) {
			idt_fmt(names[a], sizeof(names[a]), "app%d.d", a);
			r[a] = (struct sg_id_reg){.type = SG_ID_T_DOMAIN, .name = names[a]};
		}
		FLUSH_REG(APPS, dom);
		for (int c = 0; c < APPS * COMPS; c++) {
			idt_fmt(names[c], sizeof(names[c]), "app%d.d.c%d", c / COMPS, c % COMPS);
			r[c] = (struct sg_id_reg){.type = SG_ID_T_COMPONENT, .name = names[c]};
		}
		FLUSH_REG(APPS * COMPS, comp_id);
		for (int a = 0; a < APPS; a++) {
			e[ne++] = (struct sg_id_edge){app_id[a], SG_ID_REL_HAS_DOMAIN, dom[a]};
			for (int c = 0; c < COMPS; c++)
				e[ne++] = (struct sg_id_edge){dom[a], SG_ID_REL_HAS_COMPONENT,
							      comp_id[a * COMPS + c]};
		}
		if (sg_id_relate_many(s, e, ne))
			return fail(s, "relate app");
		ne = 0;
	}
	for (int u0 = 0; u0 < USERS; u0 += BATCH) {
		int n = USERS - u0 < BATCH ? USERS - u0 : BATCH;

		for (int i = 0; i < n; i++) {
			idt_fmt(names[i], sizeof(names[i]), "user%d", u0 + i);
			r[i] = (struct sg_id_reg){.type = SG_ID_T_USER, .name = names[i]};
		}
		FLUSH_REG((size_t)n, &user_id[u0]);
	}
	/* VMs: each on a host, serving a component (edge component -served_by-> vm) */
	for (uint64_t v0 = 0; v0 < VMS; v0 += BATCH) {
		size_t n = VMS - v0 < BATCH ? VMS - v0 : BATCH;

		for (size_t i = 0; i < n; i++) {
			vm_name(names[i], sizeof(names[i]), v0 + i);
			r[i] = (struct sg_id_reg){.type = SG_ID_T_VM,
						  .name = names[i],
						  .parent = host_id[(v0 + i) % HOSTS]};
		}
		FLUSH_REG(n, &vm_id[v0]);
		for (size_t i = 0; i < n; i++) {
			e[i] = (struct sg_id_edge){comp_id[(v0 + i) % (APPS * COMPS)],
						   SG_ID_REL_SERVED_BY, vm_id[v0 + i]};
			ceil_put(vm_id[v0 + i], host_id[(v0 + i) % HOSTS], names[i]);
		}
		if (sg_id_relate_many(s, e, n))
			return fail(s, "relate vm");
	}
	/* users: subscribe to 2 apps, assigned one VM of each */
	for (int u = 0; u < USERS; u++) {
		for (int k = 0; k < 2; k++) {
			uint64_t a = rnd(&st) % APPS;
			/* a VM serving a component of app a: index = comp + j * APPS*COMPS */
			uint64_t comp = a * COMPS, j = rnd(&st) % (VMS / (APPS * COMPS));

			e[ne++] = (struct sg_id_edge){user_id[u], SG_ID_REL_SUBSCRIBES, app_id[a]};
			e[ne++] = (struct sg_id_edge){user_id[u], SG_ID_REL_ASSIGNED,
						      vm_id[comp + j * APPS * COMPS]};
		}
		if (ne + 4 > BATCH || u == USERS - 1) {
			if (sg_id_relate_many(s, e, ne))
				return fail(s, "relate user");
			ne = 0;
		}
	}
	return 0;
#undef FLUSH_REG
}

/* The measured part; *sp is the open store (main closes it, also on failure). */
static int
bench(const char *path, uint64_t *keys, struct sg_id_store **sp)
{
	struct sg_id_open_opts nosync = {.flags = SG_ID_OPEN_NOSYNC};
	struct sg_id_store *s;
	char nm[32];
	struct sg_id_stats stt;
	struct sg_id_object o;
	double t0, tl, r_id[ROUNDS], r_name[ROUNDS], r_where[ROUNDS], r_rel[ROUNDS],
		r_serve[ROUNDS], c_id[ROUNDS], c_name[ROUNDS], c_where[ROUNDS];
	double reg_sync, reg_nosync;
	uint64_t st = 7, got, path_ids[8], out[64];
	size_t n;
	int sync_n = 0;

	if (sg_id_store_open(path, &nosync, sp)) {
		(void)fprintf(stderr, "bench: cannot open store %s\n", path);
		return 1;
	}
	s = *sp;
	t0 = idt_now();
	if (load(s))
		return 1;
	if (sg_id_store_sync(s))
		return fail(s, "sync");
	tl = idt_now() - t0;
	/* the tree above the VMs into the ceiling table too, for its where-walk */
	ceil_put(dc_id, 0, "dc1");
	for (int g = 0; g < GROUPS; g++) {
		idt_fmt(nm, sizeof(nm), "g%d", g);
		ceil_put(group_id[g], dc_id, nm);
	}
	for (int h = 0; h < HOSTS; h++) {
		idt_fmt(nm, sizeof(nm), "h%d", h);
		ceil_put(host_id[h], group_id[h % GROUPS], nm);
	}
	if (sg_id_store_stats(s, &stt))
		return fail(s, "stats");
	printf("store: %" PRIu64 " objects, %" PRIu64 " edges, %.0f MiB used, loaded in %.1f s "
	       "(bulk, %d per transaction)\n",
	       stt.objects, stt.edges, (double)stt.map_used / (1 << 20), tl, BATCH);
	if (stt.objects != OBJECTS) {
		(void)fprintf(stderr, "bench: expected %d objects\n", OBJECTS);
		return 1;
	}
	for (int i = 0; i < READ_OPS; i++)
		keys[i] = rnd(&st) % VMS;

	for (int round = 0; round < ROUNDS; round++) {
		/* ceiling by ID */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			const struct hobj *h = ceil_get(vm_id[keys[i]]);

			sink += h ? h->parent : 0;
		}
		c_id[round] = READ_OPS / (idt_now() - t0);
		/* sgid by ID */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			if (sg_id_get(s, vm_id[keys[i]], &o))
				return fail(s, "get");
			sink += o.parent;
		}
		r_id[round] = READ_OPS / (idt_now() - t0);
		/* ceiling by name */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			vm_name(nm, sizeof(nm), keys[i]);
			sink += ceil_name(nm)->id;
		}
		c_name[round] = READ_OPS / (idt_now() - t0);
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			vm_name(nm, sizeof(nm), keys[i]);
			if (sg_id_lookup_name(s, 0, SG_ID_T_VM, nm, &got))
				return fail(s, "lookup_name");
			sink += got;
		}
		r_name[round] = READ_OPS / (idt_now() - t0);
		/* where: ceiling walks vm -> host -> group -> dc by parent pointers */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			const struct hobj *h = ceil_get(vm_id[keys[i]]);
			uint64_t p[8];
			int k = 0;

			while (h != NULL && k < 8) {
				p[k++] = h->id;
				h = h->parent ? ceil_get(h->parent) : NULL;
			}
			sink += p[k - 1] + (uint64_t)k;
		}
		c_where[round] = READ_OPS / (idt_now() - t0);
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			if (sg_id_resolve_where(s, vm_id[keys[i]], path_ids, 8, &n) || n != 4)
				return fail(s, "where");
			sink += path_ids[n - 1];
		}
		r_where[round] = READ_OPS / (idt_now() - t0);
		/* relationship: one hop (a user's assigned VMs) */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS; i++) {
			struct sg_id_query q = {.dir = SG_ID_DIR_OUT,
						.rel_mask = SG_ID_REL_BIT(SG_ID_REL_ASSIGNED),
						.max_depth = 1};

			if (sg_id_related(s, user_id[keys[i] % USERS], &q, out, 64, &n) || n == 0)
				return fail(s, "related");
			sink += out[0];
		}
		r_rel[round] = READ_OPS / (idt_now() - t0);
		/* "which VM serves user U for app A" (3 hops back from each assigned VM) */
		t0 = idt_now();
		for (int i = 0; i < READ_OPS / 4; i++) {
			uint64_t u = user_id[keys[i] % USERS], a;
			struct sg_id_query q = {.dir = SG_ID_DIR_OUT,
						.rel_mask = SG_ID_REL_BIT(SG_ID_REL_SUBSCRIBES),
						.max_depth = 1};

			if (sg_id_related(s, u, &q, out, 64, &n) || n == 0)
				return fail(s, "related");
			a = out[0];
			if (sg_id_resolve_serving(s, u, a, out, 64, &n) || n == 0)
				return fail(s, "serving");
			sink += out[0];
		}
		r_serve[round] = (READ_OPS / 4.0) / (idt_now() - t0);
	}

	/* registrations without fsync (NOSYNC), one object per transaction */
	t0 = idt_now();
	for (int i = 0; i < NOSYNC_OPS; i++) {
		struct sg_id_reg x = {.type = SG_ID_T_VM, .name = nm, .parent = host_id[i % HOSTS]};

		idt_fmt(nm, sizeof(nm), "new-nosync-%d", i);
		if (sg_id_register(s, &x, &got, NULL))
			return fail(s, "register nosync");
	}
	reg_nosync = NOSYNC_OPS / (idt_now() - t0);
	/* registrations with fsync per commit (default mode) */
	sg_id_store_close(s);
	*sp = NULL;
	if (sg_id_store_open(path, NULL, sp)) {
		(void)fprintf(stderr, "bench: cannot reopen store %s\n", path);
		return 1;
	}
	s = *sp;
	t0 = idt_now();
	while (idt_now() - t0 < SYNC_SECS) {
		struct sg_id_reg x = {
			.type = SG_ID_T_VM, .name = nm, .parent = host_id[sync_n % HOSTS]};

		idt_fmt(nm, sizeof(nm), "new-sync-%d", sync_n++);
		if (sg_id_register(s, &x, &got, NULL))
			return fail(s, "register sync");
	}
	reg_sync = sync_n / (idt_now() - t0);

	{
		double id = median(r_id, ROUNDS), cid = median(c_id, ROUNDS);
		double name = median(r_name, ROUNDS), cname = median(c_name, ROUNDS);
		double where = median(r_where, ROUNDS), cwhere = median(c_where, ROUNDS);

		printf("\n%-44s %14s %14s %8s\n", "operation (median of 3 interleaved rounds)",
		       "sgid ops/s", "hash ops/s", "ratio");
		printf("%-44s %14.0f %14.0f %7.1f%%\n", "lookup by ID (sg_id_get)", id, cid,
		       100 * id / cid);
		printf("%-44s %14.0f %14.0f %7.1f%%\n", "lookup by name (sg_id_lookup_name)", name,
		       cname, 100 * name / cname);
		printf("%-44s %14.0f %14.0f %7.1f%%\n", "where (vm->host->group->dc)", where,
		       cwhere, 100 * where / cwhere);
		printf("%-44s %14.0f %14s\n", "related, 1 hop (user -assigned-> vm)",
		       median(r_rel, ROUNDS), "-");
		printf("%-44s %14.0f %14s\n", "serving (user,app -> vm; 2 queries, 4 hops)",
		       median(r_serve, ROUNDS), "-");
		printf("%-44s %14.0f %14s\n", "register, no fsync (SG_ID_OPEN_NOSYNC)", reg_nosync,
		       "-");
		printf("%-44s %14.0f %14s\n", "register, fsync per commit (default)", reg_sync,
		       "-");
		printf("BENCH_JSON {\"objects\":%d,\"lookup_id\":%.0f,\"lookup_id_ceiling\":%.0f,"
		       "\"lookup_name\":%.0f,\"lookup_name_ceiling\":%.0f,\"where\":%.0f,"
		       "\"where_ceiling\":%.0f,\"related_1hop\":%.0f,\"serving\":%.0f,"
		       "\"register_nosync\":%.0f,\"register_sync\":%.0f}\n",
		       OBJECTS, id, cid, name, cname, where, cwhere, median(r_rel, ROUNDS),
		       median(r_serve, ROUNDS), reg_nosync, reg_sync);
	}
	return 0;
}

int
main(void)
{
	char *dir = idt_mkdir(), *path = dir ? idt_store_path(dir) : NULL;
	struct sg_id_store *s = NULL;
	uint64_t *keys;
	int rc = 1;

	hcap = 1u << 21;
	htab = calloc(hcap, sizeof(*htab));
	hname = calloc(hcap, sizeof(*hname));
	vm_id = calloc(VMS, sizeof(*vm_id));
	keys = calloc(READ_OPS, sizeof(*keys));
	if (!dir || !path || !htab || !hname || !vm_id || !keys)
		(void)fprintf(stderr, "bench: no scratch directory or out of memory\n");
	else
		rc = bench(path, keys, &s);
	/* also on failure: a 1M-object store left in $TMPDIR would fill it */
	if (s != NULL)
		sg_id_store_close(s);
	free(keys);
	free(vm_id);
	free(hname);
	free(htab);
	free(path);
	idt_rmdir(dir);
	return rc;
}
