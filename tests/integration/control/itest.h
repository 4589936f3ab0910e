/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Harness of the control-path integration tests and benchmark: starts a
 * real sg-control (fork/exec) on a generated YAML file, plays the data
 * plane on the shared-memory rings (dpsim), talks to the admin socket,
 * and runs a host agent: either the real sg-hostagent on libvirt's test
 * driver, or the in-process agent speaking the real agent protocol over
 * TCP (sg_agent_proto.h codec and HMAC handshake).
 */
#ifndef SG_CTL_ITEST_H
#define SG_CTL_ITEST_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dpsim.h"
#include "sessiongate/sg_agent_proto.h"

#define IT_SESSIONS_MAX 8192
#define IT_VMS_MAX	8

#define IT_FAIL(...)                                                 \
	do {                                                         \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                        \
		fprintf(stderr, "\n");                               \
		it_cleanup();                                        \
		exit(1);                                             \
	} while (0)

#define IT_CHECK(cond, ...)                                           \
	do {                                                          \
		if (!(cond)) {                                        \
			fprintf(stderr, "check failed: %s\n", #cond); \
			IT_FAIL(__VA_ARGS__);                         \
		}                                                     \
	} while (0)

/* What the data plane (this test) knows of each session it sent. */
struct it_sess {
	bool sent;
	bool held;   /**< no final answer yet: re-sent on RESYNC */
	bool closed; /**< SESSION_CLOSED sent: no longer listed in an audit */
	uint16_t worker;
	uint32_t installs;
	uint32_t rejects;
	uint16_t reason;
	uint64_t vm_id;
	uint64_t t_sent_ns;
	uint64_t t_answer_ns;
	/* SESSION_ABORT: a RESET one is played as a data plane does: SESSION_CLOSED with its
	 * reason at once; a DRAIN one is only recorded (its flows would end by themselves) */
	uint32_t aborts;
	uint8_t abort_action;
	uint16_t abort_reason;
	uint32_t abort_deadline_s;
	uint64_t t_abort_ns;
	struct sg_msg msg; /**< the SESSION_NEW, for re-sending */
};

/* The in-process host agent's view of one VM. */
enum it_vm_behaviour {
	IT_VM_BOOTS = 0, /**< ENSURE_RUNNING: OK, RUNNING after boot_ms */
	IT_VM_FAILS,	 /**< ENSURE_RUNNING: E_LIBVIRT */
	IT_VM_HANGS,	 /**< ENSURE_RUNNING: OK, stays BOOTING until released */
};

struct it_vm {
	char name[64];
	uint8_t state; /**< enum sg_agent_vm_state */
	int behaviour;
	uint64_t boot_at_ns; /**< report RUNNING then */
	bool report;	     /**< state changed by the test: send VM_STATE */
	unsigned int starts, stops;
	/* issue 15: SAVE, resume and the start kind its RUNNING report carries */
	unsigned int saves;
	bool resuming;	    /**< started from SAVED: RUNNING says START_KIND resume */
	uint8_t start_kind; /**< of the last start (enum sg_agent_start_kind), 0 = none */
};

/* A VM_DEFINE the in-process agent received (the pushed inventory). */
struct it_define {
	char name[64];
	char tmpl[64];
	uint16_t port;
	uint8_t proto;
	uint32_t flags;
	struct sg_agent_addr addr;
};

#define IT_DEFS_MAX 32

struct it_agent {
	bool real;	    /**< the real sg-hostagent on libvirt's test driver */
	uint16_t also_port; /**< real: a second sg-control (127.0.0.1, same key) it links to too */
	pid_t pid;	    /**< real: its process */
	char host[64];
	uint16_t port;
	char key[64];
	struct it_vm vms[IT_VMS_MAX];
	unsigned int n_vms;
	uint32_t boot_ms;
	pthread_t thr;
	pthread_mutex_t mu;
	volatile bool stop;
	volatile bool connected;
	bool hostile;		      /**< ignore a wrong CHALLENGE MAC and send AUTH anyway */
	uint8_t ks[SG_AGENT_MAC_LEN]; /**< session key of the tags, once up */
	uint64_t tx_seq, rx_seq;
	bool up; /**< AUTH_OK seen: messages are tagged */
	unsigned int connects;
	/* the pushed inventory as received (VM_DEFINE, VM_UNDEFINE, INVENTORY) */
	struct it_define defs[IT_DEFS_MAX];
	unsigned int n_defs; /**< VM_DEFINEs received (the first IT_DEFS_MAX kept) */
	char undefs[IT_VMS_MAX][64];
	unsigned int n_undefs;	    /**< VM_UNDEFINEs received */
	unsigned int n_inventories; /**< INVENTORY received */
	uint64_t inv_generation;    /**< of the last INVENTORY */
	uint32_t inv_count;	    /**< its COUNT */
	unsigned int inv_defs;	    /**< n_defs when it came */
	char refuse_template[64];   /**< VM_DEFINE of this template: E_BAD_REQUEST */
	bool templates; /**< real: its YAML names template "guest" (a test-driver domain) */
};

struct it {
	char dir[128];
	char shm[64];
	char cfg[192];
	char sock[192];
	char key[192];
	char bin[256]; /**< build dir of control/ */
	uint16_t agent_port;
	uint16_t metrics_port;
	pid_t ctl;
	struct dpsim dp;
	struct it_sess *s; /**< indexed by session ID */
	struct it_agent agent;
	uint64_t resyncs;
	bool idmgr_lease;	  /**< control.idmgr_temp: lease (bench) or register (tests) */
	char appliance[192];	  /**< control.appliance_config ("" = none) */
	unsigned int member_msgs; /**< MEMBER_STATE and SESSION_ABORT received */
	/** Called with each MEMBER_STATE / SESSION_ABORT (NULL: only counted). */
	void (*on_msg)(struct it *t, const struct sg_msg *m);
};

extern struct it *it_g;

/** Temp dir, shm name, ports, key; register cleanup (atexit, signals). */
void it_init(struct it *t, const char *bin_dir, const char *name);
void it_cleanup(void);
/** Write the YAML with @p body (hosts/pools/applications...) after the control section. */
void it_write_cfg(struct it *t, const char *body, const char *timeouts);
void it_start_ctl(struct it *t);
/** kill -9 */
void it_kill_ctl(struct it *t);
void it_stop_ctl(struct it *t);
/** Admin request; @return the "result" (caller decrefs) or NULL when ok=false. */
json_t *it_admin(struct it *t, const char *req);
/** Wait until the admin socket answers. */
void it_wait_admin(struct it *t, unsigned int ms);

void it_send_new(struct it *t, uint64_t sid, uint16_t worker, const char *vip, uint16_t port,
		 uint8_t key_type, const char *key);
void it_send_closed(struct it *t, uint64_t sid);
/** SESSION_CLOSED for @p sid with @p reason (the data plane's answer to SESSION_ABORT). */
void it_send_closed_reason(struct it *t, uint64_t sid, uint16_t reason);
/** Read answers for @p ms (or until @p until returns true). @return true if until() held. */
bool it_pump(struct it *t, unsigned int ms, bool (*until)(struct it *t, void *arg), void *arg);
uint64_t it_now_ns(void);

/**
 * Start the host agent: the in-process one (connects, authenticates,
 * reconnects), or with t->agent.real the real sg-hostagent (BUILD/../
 * hostagent/sg-hostagent) on a libvirt test:/// node made from
 * t->agent.vms (state SHUTOFF: shut off; RUNNING: running; behaviour
 * IT_VM_FAILS: defined from a template libvirt refuses) and boot delay
 * t->agent.boot_ms (IT_VM_HANGS: use a long boot_ms).
 */
void it_agent_start(struct it *t);
void it_agent_stop(struct it *t);
struct it_vm *it_agent_vm(struct it *t, const char *name);
/**
 * Destroy VM @p name as `virsh destroy` would: the real sg-hostagent through
 * its test-destroy admin hook (libvirt's test driver), the in-process agent
 * by reporting it shut off.
 */
void it_vm_destroy(struct it *t, const char *name);
/** Wait until sg-control lists the host's agent as connected. */
void it_wait_agent(struct it *t, unsigned int ms);

/** Field @p key (a dotted path) of VM @p vm in sg-control's "vms" answer; -1 when absent. */
long long it_vm_int(struct it *t, const char *vm, const char *key);
/** The same as text ("" when absent or not a string); a static buffer. */
const char *it_vm_str(struct it *t, const char *vm, const char *key);
/** The same as a boolean: 1 true, 0 false, -1 absent or not a boolean. */
int it_vm_bool(struct it *t, const char *vm, const char *key);
/** Run shell command @p cmd, its stdout into @p out; @return its exit status (-1: killed). */
int it_run(const char *cmd, char *out, size_t len);

/** A scenario of a test program: its name on the command line, and its body. */
struct it_scenario {
	const char *name;
	void (*fn)(const char *bin);
};
/**
 * Run scenario @p name of @p sc (@p n of them) with build dir @p bin, bounded
 * by alarm(110); prints "PASS name (@p what)". @return 0, or 2 for an unknown name.
 */
int it_run_scenario(const struct it_scenario *sc, unsigned int n, const char *bin, const char *name,
		    const char *what);

/** JSON helpers */
long long it_jint(json_t *o, const char *path);
const char *it_jstr(json_t *o, const char *path);

#endif
