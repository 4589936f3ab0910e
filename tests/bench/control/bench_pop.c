/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The token benchmark's identity store: users, subscriptions, assignments
 * and tokens (bench_pop.h), and what each of sg-control's per-session
 * queries costs on it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_pop.h"
#include "dpsim.h"

#define COST_CALLS 100000

void
bench_pop_init(struct bench_pop *p, unsigned int n_users, const char *dir)
{
	char hex[2 * 32 + 2];
	unsigned int i;
	int fd;

	memset(p, 0, sizeof(*p));
	p->n_users = n_users;
	p->users = calloc(n_users, sizeof(*p->users));
	p->assigned = calloc(n_users, sizeof(*p->assigned));
	p->tmpl = calloc(n_users, sizeof(*p->tmpl));
	p->tmpl_cookie = calloc(n_users, sizeof(*p->tmpl_cookie));
	if (p->users == NULL || p->assigned == NULL || p->tmpl == NULL || p->tmpl_cookie == NULL)
		IT_FAIL("out of memory");
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, p->key.key, 32) != 32)
		IT_FAIL("/dev/urandom");
	close(fd);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", p->key.key[i]);
	hex[64] = '\n';
	snprintf(p->key_file, sizeof(p->key_file), "%s/%s.key", dir, BENCH_APP);
	fd = open(p->key_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, hex, 65) != 65)
		IT_FAIL("cannot write %s", p->key_file);
	close(fd);
	if (sg_token_key_load(p->key_file, 1, &p->key, hex, sizeof(hex)) < 0)
		IT_FAIL("the key file does not load back");
}

static uint64_t
lookup(struct sg_id_store *s, unsigned int type, const char *name)
{
	uint64_t id;

	if (sg_id_lookup_name(s, sg_id_type_ns(type), type, name, &id) < 0)
		IT_FAIL("idmgr: no %s '%s' (registered by sg-control)", sg_id_type_name(type),
			name);
	return id;
}

void
bench_pop_fill(struct bench_pop *p, struct sg_id_store *s, const uint64_t *vms, unsigned int n_vms,
	       uint16_t port)
{
	struct sg_id_reg *reg = calloc(p->n_users, sizeof(*reg));
	struct sg_id_edge *e = calloc(2 * (size_t)p->n_users, sizeof(*e));
	char(*names)[16] = calloc(p->n_users, sizeof(*names));
	char key[8 + SG_TOKEN_TEXT_LEN + 1];
	struct sg_token t;
	unsigned int i;

	if (reg == NULL || e == NULL || names == NULL)
		IT_FAIL("out of memory");
	p->vapp = lookup(s, SG_ID_T_VAPP, BENCH_APP);
	p->app = lookup(s, SG_ID_T_APP, BENCH_APP);
	for (i = 0; i < p->n_users; i++) {
		snprintf(names[i], sizeof(names[i]), "user%05u", i);
		reg[i] = (struct sg_id_reg){.type = SG_ID_T_USER, .name = names[i]};
	}
	if (sg_id_register_many(s, reg, p->n_users, p->users) < 0)
		IT_FAIL("idmgr: register users: %s", sg_id_store_errmsg(s));
	for (i = 0; i < p->n_users; i++) {
		p->assigned[i] = vms[i % n_vms];
		e[2 * i] = (struct sg_id_edge){p->users[i], SG_ID_REL_SUBSCRIBES, p->app};
		e[2 * i + 1] = (struct sg_id_edge){p->users[i], SG_ID_REL_ASSIGNED, p->assigned[i]};
	}
	if (sg_id_relate_many(s, e, 2 * (size_t)p->n_users) < 0)
		IT_FAIL("idmgr: relate users: %s", sg_id_store_errmsg(s));
	for (i = 0; i < p->n_users; i++) {
		t = (struct sg_token){.user_id = p->users[i],
				      .app_id = p->vapp,
				      .expires = (uint32_t)time(NULL) + 3600};
		memcpy(key, BENCH_COOKIE "=", 4);
		if (sg_token_mint(&p->key, &t, key + 4, sizeof(key) - 4) < 0)
			IT_FAIL("mint");
		dpsim_make_new(&p->tmpl[i], 0, 0, BENCH_VIP, port, SG_MSG_L7_HTTP_COOKIE, key);
		p->tmpl_cookie[i] = p->tmpl[i];
		p->tmpl_cookie[i].session_new.flow.dport = BENCH_COOKIE_PORT;
	}
	free(reg);
	free(e);
	free(names);
}

/* CPU us per call of @p what over COST_CALLS calls. */
#define COST(label, what)                                                   \
	do {                                                                \
		uint64_t t0_ = bench_cpu_ns();                              \
		for (i = 0; i < COST_CALLS; i++) {                          \
			u = (unsigned int)((i * 2654435761u) % p->n_users); \
			what;                                               \
		}                                                           \
		printf("  %-44s %6.2f us\n", label,                         \
		       (double)(bench_cpu_ns() - t0_) / COST_CALLS / 1e3);  \
	} while (0)

void
bench_pop_costs(const struct bench_pop *p, struct sg_id_store *s)
{
	uint64_t vms[16], path[SG_ID_DEPTH_MAX + 1], now = (uint64_t)time(NULL);
	const struct sg_msg_session_new *sn;
	struct sg_id_object o;
	struct sg_token t;
	unsigned int i, u, bad = 0;
	size_t n, len;
	const char *tok;
	char buf[24];

	printf("CPU per call of a token session's queries (%u users, %d calls each):\n", p->n_users,
	       COST_CALLS);
	COST("sg_token_find + sg_token_verify", {
		sn = &p->tmpl[u].session_new;
		tok = sg_token_find(sn->key_type, sn->key, sn->key_len, &len);
		bad += tok == NULL ||
		       sg_token_verify(tok, len, &p->key, 1, p->vapp, now, &t) != SG_TOKEN_OK;
	});
	COST("sg_id_resolve_serving (subscribes, assigned)", {
		bad += sg_id_resolve_serving(s, p->users[u], p->app, vms, 16, &n) < 0 || n != 1 ||
		       vms[0] != p->assigned[u];
	});
	COST("sg_id_resolve_where (the VM's host)",
	     bad += sg_id_resolve_where(s, p->assigned[u], path, SG_ID_DEPTH_MAX + 1, &n) < 0);
	COST("sg_id_get (the user's name)", bad += sg_id_get(s, p->users[u], &o) < 0);
	COST("sg_id_attr_get (a QoS attribute, absent)",
	     bad +=
	     sg_id_attr_get(s, p->users[u], "qos.user_sessions", buf, sizeof(buf)) != -ENOENT);
	if (bad != 0)
		IT_FAIL("%u of the timed queries gave a wrong answer", bad);
}

void
bench_pop_free(struct bench_pop *p)
{
	free(p->users);
	free(p->assigned);
	free(p->tmpl);
	free(p->tmpl_cookie);
	unlink(p->key_file);
}
