/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "itest.h"
#include "sessiongate/sg_agent_proto.h"

struct it *it_g;

/*
 * LeakSanitizer: libcrypto keeps one per-thread error-state block of the
 * in-process agent thread (allocated inside OPENSSL_init_crypto, not freed
 * by OPENSSL_thread_stop in OpenSSL 3.0). Only this test process links it
 * that way; sg-control is checked without suppressions.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcrypto.so\n";
}

uint64_t
it_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint16_t
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		IT_FAIL("cannot find a free port: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void
it_cleanup(void)
{
	struct it *t = it_g;
	char cmd[256];

	if (t == NULL)
		return;
	it_g = NULL;
	if (t->agent.thr) {
		t->agent.stop = true;
		pthread_join(t->agent.thr, NULL);
		t->agent.thr = 0;
	}
	if (t->agent.pid > 0) {
		kill(t->agent.pid, SIGKILL);
		waitpid(t->agent.pid, NULL, 0);
		t->agent.pid = 0;
	}
	if (t->ctl > 0) {
		kill(t->ctl, SIGKILL);
		waitpid(t->ctl, NULL, 0);
		t->ctl = 0;
	}
	dpsim_destroy(&t->dp, true);
	shm_unlink(t->shm);
	if (getenv("SGCTL_KEEP") == NULL && t->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", t->dir);
	}
}

/* What on_signal removes, prepared by it_init: a handler may only call async-signal-safe
 * functions, so no stdio, no malloc, no shm_unlink (glibc maps it to /dev/shm), no system. */
static char sig_shm_path[96];
static char sig_rm_dir[128];

static void
on_signal(int sig)
{
	struct it *t = it_g;
	char *const rm_argv[] = {"rm", "-rf", "--", sig_rm_dir, NULL};
	char *const no_env[] = {NULL};
	pid_t pid;

	if (t != NULL) {
		/* the in-process agent thread dies with the process */
		if (t->agent.pid > 0) {
			kill(t->agent.pid, SIGKILL);
			waitpid(t->agent.pid, NULL, 0);
		}
		if (t->ctl > 0) {
			kill(t->ctl, SIGKILL);
			waitpid(t->ctl, NULL, 0);
		}
		if (sig_shm_path[0] != '\0')
			unlink(sig_shm_path);
		if (sig_rm_dir[0] != '\0') {
			pid = fork();
			if (pid == 0) {
				execve("/bin/rm", rm_argv, no_env);
				_exit(127);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void
it_init(struct it *t, const char *bin_dir, const char *name)
{
	FILE *f;

	memset(t, 0, sizeof(*t));
	it_g = t;
	atexit(it_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	snprintf(t->bin, sizeof(t->bin), "%s", bin_dir);
	snprintf(t->dir, sizeof(t->dir), "/tmp/sgctl-%s-%d-XXXXXX", name, (int)getpid());
	if (mkdtemp(t->dir) == NULL)
		IT_FAIL("mkdtemp: %s", strerror(errno));
	snprintf(t->shm, sizeof(t->shm), "/sgctl-%s-%d", name, (int)getpid());
	snprintf(sig_shm_path, sizeof(sig_shm_path), "/dev/shm%s", t->shm);
	if (getenv("SGCTL_KEEP") == NULL)
		snprintf(sig_rm_dir, sizeof(sig_rm_dir), "%s", t->dir);
	snprintf(t->cfg, sizeof(t->cfg), "%s/control.yaml", t->dir);
	snprintf(t->sock, sizeof(t->sock), "%s/admin.sock", t->dir);
	/* one key per host: sg-control reads <agent_key_dir>/h1.key */
	snprintf(t->key, sizeof(t->key), "%s/keys/h1.key", t->dir);
	t->agent_port = free_port();
	t->metrics_port = free_port();
	snprintf(t->agent.key, sizeof(t->agent.key), "it-key-%d-0123456789abcdef", (int)getpid());
	{
		char kd[sizeof(t->dir) + 8];

		snprintf(kd, sizeof(kd), "%s/keys", t->dir);
		if (mkdir(kd, 0700) < 0)
			IT_FAIL("mkdir %s: %s", kd, strerror(errno));
	}
	f = fopen(t->key, "w");
	if (f == NULL)
		IT_FAIL("cannot write %s", t->key);
	fprintf(f, "%s\n", t->agent.key);
	fclose(f);
	t->s = calloc(IT_SESSIONS_MAX, sizeof(*t->s));
	if (t->s == NULL)
		IT_FAIL("out of memory");
	snprintf(t->agent.host, sizeof(t->agent.host), "h1");
	t->agent.port = t->agent_port;
	pthread_mutex_init(&t->agent.mu, NULL);
	{
		/* Initialise libcrypto on this thread (its per-thread state is freed at
		 * exit; the agent thread's by OPENSSL_thread_stop). */
		uint8_t nonce[SG_AGENT_NONCE_LEN] = {0}, mac[SG_AGENT_MAC_LEN];

		sg_agent_auth_mac((const uint8_t *)t->agent.key, strlen(t->agent.key), true, nonce,
				  nonce, "h1", mac);
	}
	if (dpsim_create(&t->dp, t->shm, 2, 4096, 0xe0000000ull | (uint64_t)getpid()) < 0)
		IT_FAIL("cannot create the shm region %s", t->shm);
}

void
it_write_cfg(struct it *t, const char *body, const char *timeouts)
{
	FILE *f = fopen(t->cfg, "w");

	if (f == NULL)
		IT_FAIL("cannot write %s", t->cfg);
	fprintf(f,
		"control:\n"
		"  shm_name: %s\n"
		"  admin_socket: %s\n"
		"  db_dir: %s/db\n"
		"  db_map_mb: 64\n"
		"  agent_listen: 127.0.0.1:%u\n"
		"  agent_key_dir: %s/keys\n"
		"  metrics_listen: 127.0.0.1:%u\n"
		"  ring_poll_us: 100\n"
		"  idmgr_dir: %s/idmgr\n"
		"  idmgr_temp: %s\n"
		"%s%s%s"
		"  timeouts: %s\n"
		"%s",
		t->shm, t->sock, t->dir, t->agent_port, t->dir, t->metrics_port, t->dir,
		t->idmgr_lease ? "lease" : "register",
		t->appliance[0] ? "  appliance_config: \"" : "", t->appliance,
		t->appliance[0] ? "\"\n" : "",
		timeouts ? timeouts : "{queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000}",
		body);
	fclose(f);
}

void
it_start_ctl(struct it *t)
{
	char exe[300], log[200];
	int fd;

	snprintf(exe, sizeof(exe), "%s/sg-control", t->bin);
	snprintf(log, sizeof(log), "%s/control.log", t->dir);
	t->ctl = fork();
	if (t->ctl < 0)
		IT_FAIL("fork: %s", strerror(errno));
	if (t->ctl == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(exe, exe, "-c", t->cfg, "-f", (char *)NULL);
		_exit(127);
	}
	it_wait_admin(t, 10000);
}

void
it_kill_ctl(struct it *t)
{
	kill(t->ctl, SIGKILL);
	waitpid(t->ctl, NULL, 0);
	t->ctl = 0;
}

void
it_stop_ctl(struct it *t)
{
	int st;

	kill(t->ctl, SIGTERM);
	waitpid(t->ctl, &st, 0);
	t->ctl = 0;
	IT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sg-control exit status %d", st);
}

static int
admin_once(struct it *t, const char *req, json_t **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[1 << 16];
	size_t len = 0;
	char *big = NULL;
	size_t cap = 0;
	ssize_t n;
	json_error_t jerr;
	struct pollfd p;
	int fd;

	if (strlen(t->sock) >= sizeof(sa.sun_path))
		IT_FAIL("socket path too long: %s", t->sock);
	memcpy(sa.sun_path, t->sock, strlen(t->sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 5000) != 1)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			big = realloc(big, cap);
		}
		memcpy(big + len, buf, (size_t)n);
		len += (size_t)n;
		if (big[len - 1] == '\n')
			break;
	}
	close(fd);
	if (big == NULL || len == 0 || big[len - 1] != '\n') {
		free(big);
		return -1;
	}
	*out = json_loadb(big, len, 0, &jerr);
	free(big);
	return *out == NULL ? -1 : 0;
}

void
it_wait_admin(struct it *t, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;
	json_t *o;
	int st;

	while (it_now_ns() < end) {
		if (admin_once(t, "{\"cmd\":\"status\"}", &o) == 0) {
			json_decref(o);
			return;
		}
		if (t->ctl > 0 && waitpid(t->ctl, &st, WNOHANG) == t->ctl) {
			t->ctl = 0;
			IT_FAIL("sg-control exited (status %d); see %s/control.log", st, t->dir);
		}
		usleep(20000);
	}
	IT_FAIL("sg-control's admin socket %s did not answer within %u ms", t->sock, ms);
}

json_t *
it_admin(struct it *t, const char *req)
{
	json_t *o, *r;

	if (admin_once(t, req, &o) < 0)
		IT_FAIL("admin request %s: no answer", req);
	if (!json_is_true(json_object_get(o, "ok"))) {
		json_decref(o);
		return NULL;
	}
	r = json_incref(json_object_get(o, "result"));
	json_decref(o);
	return r;
}

long long
it_jint(json_t *o, const char *path)
{
	char buf[128], *p, *save = NULL;
	json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL && v != NULL; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	if (!json_is_integer(v))
		IT_FAIL("JSON: %s is not an integer", path);
	return json_integer_value(v);
}

const char *
it_jstr(json_t *o, const char *path)
{
	char buf[128], *p, *save = NULL;
	json_t *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL && v != NULL; p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return json_is_string(v) ? json_string_value(v) : "";
}

/* ------------------------------------------------------------ data plane */

void
it_send_new(struct it *t, uint64_t sid, uint16_t worker, const char *vip, uint16_t port,
	    uint8_t key_type, const char *key)
{
	struct it_sess *s = &t->s[sid];
	uint64_t end = it_now_ns() + 5000000000ull;

	IT_CHECK(sid > 0 && sid < IT_SESSIONS_MAX, "session id %llu", (unsigned long long)sid);
	dpsim_make_new(&s->msg, sid, worker, vip, port, key_type, key);
	s->sent = true;
	s->held = true;
	s->worker = worker;
	s->t_sent_ns = it_now_ns();
	while (dpsim_send(&t->dp, worker, &s->msg) < 0) {
		it_pump(t, 1, NULL, NULL);
		if (it_now_ns() > end)
			IT_FAIL("dp->ctl ring stays full");
	}
}

void
it_send_closed(struct it *t, uint64_t sid)
{
	while (dpsim_send_closed(&t->dp, t->s[sid].worker, sid) < 0)
		it_pump(t, 1, NULL, NULL);
	t->s[sid].held = false;
	t->s[sid].closed = true;
}

void
it_send_closed_reason(struct it *t, uint64_t sid, uint16_t reason)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = SG_MSG_VERSION;
	m.hdr.type = SG_MSG_SESSION_CLOSED;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.closed));
	m.hdr.worker = t->s[sid].worker;
	m.hdr.session_id = sid;
	m.closed.reason = reason;
	while (dpsim_send(&t->dp, t->s[sid].worker, &m) < 0)
		usleep(100);
	t->s[sid].held = false;
	t->s[sid].closed = true;
}

/* SESSION_AUDIT: list every session the worker still has, as a data plane does. */
static void
it_answer_audit(struct it *t, const struct sg_msg *m)
{
	struct sg_msg a;
	unsigned int i;

	memset(&a, 0, sizeof(a));
	a.hdr.version = SG_MSG_VERSION;
	a.hdr.type = SG_MSG_SESSION_ALIVE;
	a.hdr.len = sizeof(a.hdr) + sizeof(a.alive);
	a.hdr.worker = m->hdr.worker;
	a.alive.token = m->audit.token;
	for (i = 1; i <= IT_SESSIONS_MAX; i++) {
		/* alive: sent, not closed, held or installed, on this worker */
		if (i < IT_SESSIONS_MAX &&
		    !(t->s[i].sent && !t->s[i].closed && (t->s[i].held || t->s[i].installs > 0) &&
		      t->s[i].worker == m->hdr.worker))
			continue;
		if (i < IT_SESSIONS_MAX)
			a.alive.sid[a.alive.n++] = i;
		if (a.alive.n == SG_MSG_ALIVE_MAX || i == IT_SESSIONS_MAX) {
			a.alive.last = i == IT_SESSIONS_MAX;
			while (dpsim_send(&t->dp, m->hdr.worker, &a) < 0)
				usleep(100);
			a.alive.n = 0;
		}
	}
}

static void
on_answer(struct it *t, const struct sg_msg *m)
{
	struct it_sess *s;
	uint64_t sid;
	unsigned int i;

	IT_CHECK(sg_msg_check(m, sizeof(*m)) == 0, "sg-control sent an invalid message");
	if (m->hdr.type == SG_MSG_SESSION_RESYNC) {
		/* Re-send every session still held on that worker, as a data plane does. */
		t->resyncs++;
		for (i = 1; i < IT_SESSIONS_MAX; i++) {
			s = &t->s[i];
			if (s->sent && s->held && s->worker == m->hdr.worker)
				while (dpsim_send(&t->dp, s->worker, &s->msg) < 0)
					usleep(100);
		}
		return;
	}
	if (m->hdr.type == SG_MSG_SESSION_AUDIT) {
		it_answer_audit(t, m);
		return;
	}
	if (m->hdr.type == SG_MSG_MEMBER_STATE || m->hdr.type == SG_MSG_SESSION_ABORT) {
		/* Member health and drains: the test that cares looks (on_msg); an abort
		 * is then answered for its session below. */
		t->member_msgs++;
		if (t->on_msg != NULL)
			t->on_msg(t, m);
		if (m->hdr.type == SG_MSG_MEMBER_STATE)
			return;
	}
	sid = m->hdr.session_id;
	IT_CHECK(sid > 0 && sid < IT_SESSIONS_MAX && t->s[sid].sent,
		 "answer for a session never sent: %llu", (unsigned long long)sid);
	s = &t->s[sid];
	if (m->hdr.type == SG_MSG_SESSION_INSTALL) {
		s->installs++;
		s->vm_id = m->install.vm_id;
	} else if (m->hdr.type == SG_MSG_SESSION_REJECT) {
		s->rejects++;
		s->reason = m->reject.reason;
	} else if (m->hdr.type == SG_MSG_SESSION_ABORT) {
		s->aborts++;
		s->abort_action = m->abort.action;
		s->abort_reason = m->abort.reason;
		s->abort_deadline_s = m->abort.deadline_s;
		s->t_abort_ns = it_now_ns();
		if (m->abort.action == SG_MSG_ABORT_RESET && !s->closed)
			it_send_closed_reason(t, sid, m->abort.reason);
		return;
	} else {
		IT_FAIL("unexpected message type %u", m->hdr.type);
	}
	if (s->held)
		s->t_answer_ns = it_now_ns();
	s->held = false;
}

bool
it_pump(struct it *t, unsigned int ms, bool (*until)(struct it *t, void *arg), void *arg)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;
	struct sg_msg m[64];
	unsigned int w, n, i, got;

	do {
		got = 0;
		for (w = 0; w < t->dp.workers; w++) {
			n = dpsim_recv(&t->dp, w, m, 64);
			for (i = 0; i < n; i++)
				on_answer(t, &m[i]);
			got += n;
		}
		t->dp.hdr->dp_heartbeat++;
		if (until != NULL && until(t, arg))
			return true;
		if (got == 0)
			usleep(200);
	} while (it_now_ns() < end);
	return until != NULL && until(t, arg);
}

/* ------------------------------------------------------------ host agent */

/* The in-process agent's send: tagged once up (sg_agent_proto.h). */
static int
agent_write(struct it_agent *a, int fd, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_FRAME_MAX];
	int n = sg_agent_msg_encode(m, buf, SG_AGENT_MSG_MAX);

	if (n >= 0 && a->up)
		n = sg_agent_msg_seal(a->ks, false, a->tx_seq++, buf, (size_t)n, sizeof(buf));
	if (n < 0)
		return n;
	return write(fd, buf, (size_t)n) == n ? 0 : -EIO;
}

static int
agent_read(struct it_agent *a, int fd, uint8_t *buf, size_t *have, struct sg_agent_msg *m,
	   int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int len;

	for (;;) {
		len = sg_agent_msg_peek(buf, *have);
		if (len < 0)
			return -EPROTO;
		if (len > 0 && (size_t)len <= *have) {
			if (a->up != sg_agent_msg_tagged(buf) ||
			    (a->up &&
			     sg_agent_msg_open(a->ks, true, a->rx_seq++, buf, (size_t)len)))
				return -EPROTO;
			if (sg_agent_msg_decode(buf, (size_t)len, m) < 0)
				return -EPROTO;
			memmove(buf, buf + len, *have - (size_t)len);
			*have -= (size_t)len;
			return 1;
		}
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		n = read(fd, buf + *have, SG_AGENT_FRAME_MAX * 2 - *have);
		if (n <= 0)
			return -EPIPE;
		*have += (size_t)n;
	}
}

static void
agent_state(struct it_agent *a, int fd, const struct it_vm *vm)
{
	struct sg_agent_msg m;

	sg_agent_msg_init(&m, SG_AGENT_MSG_VM_STATE, 0);
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_VM_NAME, vm->name);
	m.vm_state = vm->state;
	m.present |= 1u << SG_AGENT_ATTR_VM_STATE;
	if (vm->state == SG_AGENT_VM_RUNNING && vm->start_kind != SG_AGENT_START_NONE) {
		m.start_kind = vm->start_kind;
		m.libvirt_ms = vm->start_kind == SG_AGENT_START_RESUME ? 42 : 17;
		m.ready_ms = a->boot_ms;
		m.present |= (1u << SG_AGENT_ATTR_START_KIND) | (1u << SG_AGENT_ATTR_LIBVIRT_MS) |
			     (1u << SG_AGENT_ATTR_READY_MS);
	}
	agent_write(a, fd, &m);
}

/* The pushed inventory (VM_DEFINE, VM_UNDEFINE, INVENTORY): recorded and answered; a
 * defined VM the agent did not have is added, shut off. Fills the RESULT @p out. */
static void
agent_push(struct it_agent *a, int fd, const struct sg_agent_msg *m, struct it_vm *vm,
	   struct sg_agent_msg *out)
{
	struct it_define *d;

	switch (m->type) {
	case SG_AGENT_MSG_VM_DEFINE:
		if (a->n_defs < IT_DEFS_MAX) {
			d = &a->defs[a->n_defs];
			snprintf(d->name, sizeof(d->name), "%s", m->vm_name);
			snprintf(d->tmpl, sizeof(d->tmpl), "%s", m->template_name);
			d->port = SG_AGENT_HAS(m, SG_AGENT_ATTR_PORT) ? m->port : 0;
			d->proto = SG_AGENT_HAS(m, SG_AGENT_ATTR_PROTO) ? m->proto : 0;
			d->flags = SG_AGENT_HAS(m, SG_AGENT_ATTR_FLAGS) ? m->vm_flags : 0xffffffffu;
			d->addr = m->addr;
		}
		a->n_defs++;
		if (strcmp(m->template_name, a->refuse_template) == 0) {
			out->status = SG_AGENT_E_BAD_REQUEST;
			sg_agent_msg_set_str(out, SG_AGENT_ATTR_TEXT, "unknown template");
		} else if (vm == NULL && a->n_vms < IT_VMS_MAX) {
			vm = &a->vms[a->n_vms++];
			snprintf(vm->name, sizeof(vm->name), "%s", m->vm_name);
			vm->state = SG_AGENT_VM_SHUTOFF;
			vm->report = true;
		}
		break;
	case SG_AGENT_MSG_VM_UNDEFINE:
		if (a->n_undefs < IT_VMS_MAX)
			snprintf(a->undefs[a->n_undefs], 64, "%s", m->vm_name);
		a->n_undefs++;
		break;
	default: /* INVENTORY */
		a->n_inventories++;
		a->inv_generation = m->generation;
		a->inv_count = m->count;
		a->inv_defs = a->n_defs;
		break;
	}
	agent_write(a, fd, out);
}

static int
agent_session(struct it_agent *a)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(a->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t buf[SG_AGENT_FRAME_MAX * 2], na[SG_AGENT_NONCE_LEN], mac[SG_AGENT_MAC_LEN];
	struct sg_agent_msg m, out;
	size_t have = 0;
	unsigned int i;
	int fd, rc, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->up = false;
	a->tx_seq = a->rx_seq = 0;
	sg_agent_auth_nonce(na);
	sg_agent_msg_init(&out, SG_AGENT_MSG_HELLO, 1);
	sg_agent_msg_set_str(&out, SG_AGENT_ATTR_HOST, a->host);
	memcpy(out.nonce, na, sizeof(na));
	out.present |= 1u << SG_AGENT_ATTR_NONCE;
	agent_write(a, fd, &out);
	if (agent_read(a, fd, buf, &have, &m, 3000) != 1 || m.type != SG_AGENT_MSG_CHALLENGE)
		goto fail;
	sg_agent_auth_mac((const uint8_t *)a->key, strlen(a->key), true, na, m.nonce, a->host, mac);
	if (!sg_agent_auth_verify(mac, m.mac)) {
		fprintf(stderr, "agent: sg-control's MAC is wrong%s\n",
			a->hostile ? " (going on, as a hostile agent would)" : "");
		if (!a->hostile)
			goto fail;
	}
	sg_agent_msg_init(&out, SG_AGENT_MSG_AUTH, 2);
	sg_agent_auth_mac((const uint8_t *)a->key, strlen(a->key), false, na, m.nonce, a->host,
			  out.mac);
	sg_agent_session_key((const uint8_t *)a->key, strlen(a->key), na, m.nonce, a->host, a->ks);
	out.present |= 1u << SG_AGENT_ATTR_MAC;
	agent_write(a, fd, &out);
	if (agent_read(a, fd, buf, &have, &m, 3000) != 1 || m.type != SG_AGENT_MSG_AUTH_OK)
		goto fail;
	a->up = true;
	pthread_mutex_lock(&a->mu);
	a->connects++;
	a->connected = true;
	for (i = 0; i < a->n_vms; i++)
		agent_state(a, fd, &a->vms[i]);
	sg_agent_msg_init(&out, SG_AGENT_MSG_SYNC, 0);
	out.count = a->n_vms;
	out.present |= 1u << SG_AGENT_ATTR_COUNT;
	agent_write(a, fd, &out);
	pthread_mutex_unlock(&a->mu);
	while (!a->stop) {
		rc = agent_read(a, fd, buf, &have, &m, 20);
		if (rc < 0)
			break;
		pthread_mutex_lock(&a->mu);
		if (rc == 1) {
			struct it_vm *vm = NULL;

			for (i = 0; i < a->n_vms; i++)
				if (strcmp(a->vms[i].name, m.vm_name) == 0)
					vm = &a->vms[i];
			sg_agent_msg_init(&out, SG_AGENT_MSG_RESULT, m.seq);
			out.present |= 1u << SG_AGENT_ATTR_STATUS;
			switch (m.type) {
			case SG_AGENT_MSG_PING:
				out.type = SG_AGENT_MSG_PONG;
				out.present = 0;
				agent_write(a, fd, &out);
				break;
			case SG_AGENT_MSG_ENSURE_RUNNING:
				if (vm == NULL) {
					out.status = SG_AGENT_E_NO_SUCH_VM;
				} else if (vm->behaviour == IT_VM_FAILS) {
					out.status = SG_AGENT_E_LIBVIRT;
					sg_agent_msg_set_str(&out, SG_AGENT_ATTR_TEXT,
							     "test: cannot start");
					vm->starts++;
				} else {
					vm->starts++;
					if (vm->state != SG_AGENT_VM_RUNNING) {
						vm->resuming = vm->state == SG_AGENT_VM_SAVED;
						vm->state = SG_AGENT_VM_BOOTING;
						vm->boot_at_ns = it_now_ns() +
								 (uint64_t)a->boot_ms * 1000000;
					}
				}
				agent_write(a, fd, &out);
				if (vm != NULL && vm->behaviour != IT_VM_FAILS)
					agent_state(a, fd, vm);
				break;
			case SG_AGENT_MSG_VM_DEFINE:
			case SG_AGENT_MSG_VM_UNDEFINE:
			case SG_AGENT_MSG_INVENTORY:
				agent_push(a, fd, &m, vm, &out);
				break;
			case SG_AGENT_MSG_SAVE:
			case SG_AGENT_MSG_STOP:
				if (vm != NULL && m.type == SG_AGENT_MSG_SAVE) {
					vm->saves++;
					vm->state = SG_AGENT_VM_SAVED;
				} else if (vm != NULL) {
					vm->stops++;
					vm->state = SG_AGENT_VM_SHUTOFF;
				}
				out.status = vm ? SG_AGENT_OK : SG_AGENT_E_NO_SUCH_VM;
				agent_write(a, fd, &out);
				if (vm != NULL)
					agent_state(a, fd, vm);
				break;
			default:
				break;
			}
		}
		for (i = 0; i < a->n_vms; i++) {
			struct it_vm *vm = &a->vms[i];

			if (vm->report) {
				vm->report = false;
				agent_state(a, fd, vm);
			}
			if (vm->state == SG_AGENT_VM_BOOTING && vm->behaviour == IT_VM_BOOTS &&
			    it_now_ns() >= vm->boot_at_ns) {
				vm->state = SG_AGENT_VM_RUNNING;
				vm->start_kind =
					vm->resuming ? SG_AGENT_START_RESUME : SG_AGENT_START_BOOT;
				agent_state(a, fd, vm);
			}
		}
		pthread_mutex_unlock(&a->mu);
	}
	a->connected = false;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static void *
agent_main(void *arg)
{
	struct it_agent *a = arg;

	while (!a->stop) {
		agent_session(a);
		if (!a->stop)
			usleep(100000); /* reconnect */
	}
	OPENSSL_thread_stop(); /* libcrypto's per-thread state (HMAC of the handshake) */
	return NULL;
}

static void
real_agent_start(struct it *t)
{
	char path[300], exe[300], log[300];
	unsigned int i;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/node.xml", t->dir);
	f = fopen(path, "w");
	if (f == NULL)
		IT_FAIL("cannot write %s", path);
	fprintf(f, "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><max>4</max>"
		   "<nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads>"
		   "</cpu><memory>8388608</memory>\n");
	for (i = 0; i < t->agent.n_vms; i++) {
		if (t->agent.vms[i].behaviour == IT_VM_FAILS)
			continue; /* not defined: started from the bad template */
		fprintf(f,
			"<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
			"<name>%s</name><memory>262144</memory><vcpu>1</vcpu>"
			"<os><type arch='x86_64'>hvm</type></os>%s</domain>\n",
			t->agent.vms[i].name,
			t->agent.vms[i].state == SG_AGENT_VM_RUNNING
				? ""
				: "<test:runstate>5</test:runstate>");
	}
	fprintf(f, "</node>\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/bad.xml", t->dir);
	f = fopen(path, "w");
	if (f == NULL)
		IT_FAIL("cannot write %s", path);
	fprintf(f, "<domain type='test'><name>@NAME@</name><memory>262144</memory><vcpu>1</vcpu>"
		   "<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' "
		   "device='disk'><source file='@DISK@'/><target dev='vda' bus='bogus'/></disk>"
		   "</devices></domain>\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/guest.xml", t->dir);
	f = fopen(path, "w");
	if (f == NULL)
		IT_FAIL("cannot write %s", path);
	fprintf(f, "<domain type='test'><name>@NAME@</name><uuid>@UUID@</uuid>"
		   "<description>@ADDR@ @MAC@</description><memory>262144</memory><vcpu>1</vcpu>"
		   "<os><type arch='x86_64'>hvm</type></os></domain>\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/agent.yaml", t->dir);
	f = fopen(path, "w");
	if (f == NULL)
		IT_FAIL("cannot write %s", path);
	fprintf(f,
		"host: %s\n"
		"admin_socket: %s/agent.sock\n"
		"test_hooks: true\n"
		"libvirt:\n  uri: \"test://%s/node.xml\"\n  boot_delay_ms: %u\n"
		"  resync_ms: 2000\n  stop_timeout_ms: 3000\n"
		"control:\n  - { address: 127.0.0.1, port: %u, key_file: %s, ping_ms: 1000, "
		"timeout_ms: 5000 }\n",
		t->agent.host, t->dir, t->dir, t->agent.boot_ms, t->agent_port, t->key);
	if (t->agent.also_port != 0) /* a cluster: a link to each sg-control */
		fprintf(f,
			"  - { address: 127.0.0.1, port: %u, key_file: %s, ping_ms: 1000, "
			"timeout_ms: 5000 }\n",
			t->agent.also_port, t->key);
	if (t->agent.templates) /* VMs sg-control pushes (VM_DEFINE) are defined from it */
		fprintf(f, "templates:\n  - { name: guest, path: \"%s/guest.xml\" }\n", t->dir);
	fprintf(f, "vms:\n");
	for (i = 0; i < t->agent.n_vms; i++) {
		fprintf(f, "  - { name: %s, address: 198.18.4.%u, port: 80", t->agent.vms[i].name,
			10 + i);
		if (t->agent.vms[i].behaviour == IT_VM_FAILS)
			fprintf(f, ", template: \"%s/bad.xml\", disk: /nonexistent.qcow2", t->dir);
		fprintf(f, " }\n");
	}
	fclose(f);
	snprintf(exe, sizeof(exe), "%s/../hostagent/sg-hostagent", t->bin);
	snprintf(log, sizeof(log), "%s/agent.log", t->dir);
	if (access(exe, X_OK) != 0)
		IT_FAIL("real agent mode needs %s (build hostagent/)", exe);
	t->agent.pid = fork();
	if (t->agent.pid < 0)
		IT_FAIL("fork: %s", strerror(errno));
	if (t->agent.pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(exe, exe, "-c", path, (char *)NULL);
		_exit(127);
	}
}

void
it_agent_start(struct it *t)
{
	if (t->agent.real) {
		real_agent_start(t);
		return;
	}
	t->agent.stop = false;
	if (pthread_create(&t->agent.thr, NULL, agent_main, &t->agent) != 0)
		IT_FAIL("pthread_create");
}

void
it_agent_stop(struct it *t)
{
	if (t->agent.real) {
		if (t->agent.pid > 0) {
			kill(t->agent.pid, SIGTERM);
			waitpid(t->agent.pid, NULL, 0);
		}
		t->agent.pid = 0;
		return;
	}
	t->agent.stop = true;
	pthread_join(t->agent.thr, NULL);
	t->agent.thr = 0;
}

void
it_vm_destroy(struct it *t, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[128], ans[256] = "";
	struct it_vm *vm = it_agent_vm(t, name);
	ssize_t n;
	int fd;

	if (!t->agent.real) {
		pthread_mutex_lock(&t->agent.mu);
		vm->state = SG_AGENT_VM_SHUTOFF;
		vm->report = true;
		pthread_mutex_unlock(&t->agent.mu);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.95s/agent.sock", t->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		IT_FAIL("sg-hostagent admin socket %s: %s", sa.sun_path, strerror(errno));
	snprintf(line, sizeof(line), "test-destroy %s\n", name);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		IT_FAIL("sg-hostagent admin socket: short write");
	n = read(fd, ans, sizeof(ans) - 1);
	close(fd);
	if (n <= 0 || strncmp(ans, "ok", 2) != 0)
		IT_FAIL("test-destroy %s: %s", name, n > 0 ? ans : "no answer");
}

struct it_vm *
it_agent_vm(struct it *t, const char *name)
{
	unsigned int i;

	for (i = 0; i < t->agent.n_vms; i++)
		if (strcmp(t->agent.vms[i].name, name) == 0)
			return &t->agent.vms[i];
	IT_FAIL("no VM %s in the test agent", name);
}

void
it_wait_agent(struct it *t, unsigned int ms)
{
	uint64_t end = it_now_ns() + (uint64_t)ms * 1000000;
	json_t *st;

	while (it_now_ns() < end) {
		if (t->agent.pid > 0 && waitpid(t->agent.pid, NULL, WNOHANG) == t->agent.pid) {
			t->agent.pid = 0;
			IT_FAIL("sg-hostagent exited; see %s/agent.log", t->dir);
		}
		st = it_admin(t, "{\"cmd\":\"status\"}");
		if (st != NULL && it_jint(st, "agents_connected") >= 1) {
			json_decref(st);
			return;
		}
		json_decref(st);
		it_pump(t, 20, NULL, NULL);
	}
	IT_FAIL("the host agent did not connect to sg-control within %u ms", ms);
}

/* The object of VM @p vm in a "vms" answer @p vms, or NULL. */
static json_t *
vm_obj(json_t *vms, const char *vm)
{
	size_t i;

	for (i = 0; i < json_array_size(vms); i++)
		if (strcmp(it_jstr(json_array_get(vms, i), "name"), vm) == 0)
			return json_array_get(vms, i);
	return NULL;
}

long long
it_vm_int(struct it *t, const char *vm, const char *key)
{
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}"), *o = vm_obj(vms, vm);
	long long v = o != NULL ? it_jint(o, key) : -1;

	json_decref(vms);
	return v;
}

const char *
it_vm_str(struct it *t, const char *vm, const char *key)
{
	static char buf[300];
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}"), *o = vm_obj(vms, vm);

	snprintf(buf, sizeof(buf), "%s", o != NULL ? it_jstr(o, key) : "");
	json_decref(vms);
	return buf;
}

int
it_vm_bool(struct it *t, const char *vm, const char *key)
{
	json_t *vms = it_admin(t, "{\"cmd\":\"vms\"}"), *o = vm_obj(vms, vm), *f;
	int v;

	f = o != NULL ? json_object_get(o, key) : NULL;
	v = json_is_boolean(f) ? json_is_true(f) : -1;
	json_decref(vms);
	return v;
}

int
it_run(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, k;
	int st;

	IT_CHECK(f != NULL, "popen %s", cmd);
	while (n + 1 < len && (k = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += k;
	out[n] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
it_run_scenario(const struct it_scenario *sc, unsigned int n, const char *bin, const char *name,
		const char *what)
{
	unsigned int i;

	alarm(110); /* bounded: the harness cleans up on SIGALRM */
	for (i = 0; i < n; i++) {
		if (strcmp(name, sc[i].name) == 0) {
			sc[i].fn(bin);
			printf("PASS %s (%s)\n", name, what);
			return 0;
		}
	}
	fprintf(stderr, "unknown scenario %s\n", name);
	return 2;
}
