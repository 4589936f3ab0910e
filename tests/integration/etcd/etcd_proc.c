/* SPDX-License-Identifier: BSD-3-Clause */
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "etcd_proc.h"

unsigned int
etcd_proc_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static size_t
sink(char *p, size_t s, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return s * n;
}

static int
healthy(const char *url)
{
	char u[96];
	long status = 0;
	CURL *e = curl_easy_init();
	CURLcode rc;

	snprintf(u, sizeof(u), "%s/health", url);
	curl_easy_setopt(e, CURLOPT_URL, u);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	return rc == CURLE_OK && status == 200;
}

int
etcd_proc_start(struct etcd_proc *p)
{
	char data[300], log[300], curl_[64], purl[64], cluster[96];
	const char *tmp = getenv("TMPDIR");
	struct timespec ts = {0, 50 * 1000 * 1000};
	int i, fd;

	if (p->dir[0] == '\0') {
		snprintf(p->dir, sizeof(p->dir), "%s/etcd.XXXXXX", tmp != NULL ? tmp : "/tmp");
		if (mkdtemp(p->dir) == NULL)
			return -1;
		p->client_port = etcd_proc_free_port();
		p->peer_port = etcd_proc_free_port();
		snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%u", p->client_port);
	}
	snprintf(data, sizeof(data), "%s/data", p->dir);
	snprintf(log, sizeof(log), "%s/log", p->dir);
	snprintf(curl_, sizeof(curl_), "http://127.0.0.1:%u", p->client_port);
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%u", p->peer_port);
	snprintf(cluster, sizeof(cluster), "default=%s", purl);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("etcd", "etcd", "--data-dir", data, "--listen-client-urls", curl_,
		       "--advertise-client-urls", curl_, "--listen-peer-urls", purl,
		       "--initial-advertise-peer-urls", purl, "--initial-cluster", cluster,
		       "--unsafe-no-fsync", "--log-level", "warn", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) { /* 10 s */
		if (healthy(p->url))
			return 0;
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			fprintf(stderr, "etcd exited; log in %s\n", log);
			p->pid = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "etcd not healthy in 10 s; log in %s\n", log);
	return -1;
}

void
etcd_proc_kill(struct etcd_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}
