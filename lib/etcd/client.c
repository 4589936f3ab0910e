/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd client: endpoints, one libcurl easy handle for the synchronous
 * calls (POST a JSON request, read a bounded JSON answer, fail over to the
 * next endpoint), base64 and the parsing shared by kv.c and watch.c. Every
 * answer is hostile: sizes bounded, every field's type checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "etcd_int.h"

struct body {
	char *buf;
	size_t len, cap;
	bool too_big;
};

void
sg_etcd_set_error(struct sg_etcd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

const char *
sg_etcd_error(const struct sg_etcd *c)
{
	return c->err;
}

static char *
dup_opt(const char *s, bool *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*bad = true;
	return d;
}

struct sg_etcd *
sg_etcd_new(const struct sg_etcd_opts *o, char *err, size_t errlen)
{
	struct sg_etcd *c;
	bool bad = false;
	unsigned int i;

	if (o->n_endpoints == 0 || o->n_endpoints > SG_ETCD_ENDPOINTS_MAX) {
		snprintf(err, errlen, "etcd: %u endpoints (1 to %u)", o->n_endpoints,
			 SG_ETCD_ENDPOINTS_MAX);
		return NULL;
	}
	for (i = 0; i < o->n_endpoints; i++) {
		const char *e = o->endpoints[i];

		if (e == NULL ||
		    (strncmp(e, "http://", 7) != 0 && strncmp(e, "https://", 8) != 0) ||
		    strlen(e) > 256) {
			snprintf(err, errlen,
				 "etcd: endpoint %u '%.64s' is not an http:// or https:// URL", i,
				 e != NULL ? e : "(null)");
			return NULL;
		}
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "etcd: out of memory");
		return NULL;
	}
	c->n_endpoints = o->n_endpoints;
	for (i = 0; i < o->n_endpoints; i++) {
		size_t n = strlen(o->endpoints[i]);

		while (n > 0 && o->endpoints[i][n - 1] == '/')
			n--; /* "http://h:2379/" and "http://h:2379" alike */
		c->endpoints[i] = strndup(o->endpoints[i], n);
		bad |= c->endpoints[i] == NULL;
	}
	c->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 1000;
	c->ca_file = dup_opt(o->ca_file, &bad);
	c->cert_file = dup_opt(o->cert_file, &bad);
	c->key_file = dup_opt(o->key_file, &bad);
	c->easy = curl_easy_init();
	if (bad || c->easy == NULL) {
		sg_etcd_free(c);
		snprintf(err, errlen, "etcd: out of memory");
		return NULL;
	}
	return c;
}

void
sg_etcd_free(struct sg_etcd *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_endpoints; i++)
		free(c->endpoints[i]);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c);
}

void
sg_etcd_curl_common(const struct sg_etcd *c, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never a proxy from the environment */
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sessiongate-etcd/1");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_ms);
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
}

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *nb;

	if (b->len + n + 1 > SG_ETCD_BODY_MAX) {
		b->too_big = true;
		return 0; /* abort the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (nb == NULL)
			return 0;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* gRPC status code of an error answer -> errno. */
static int
grpc_errno(json_int_t code)
{
	switch (code) {
	case 3: /* INVALID_ARGUMENT */
		return -EINVAL;
	case 4: /* DEADLINE_EXCEEDED */
		return -ETIMEDOUT;
	case 5: /* NOT_FOUND */
		return -ENOENT;
	case 6: /* ALREADY_EXISTS */
		return -EEXIST;
	case 8: /* RESOURCE_EXHAUSTED */
		return -ENOSPC;
	case 11: /* OUT_OF_RANGE: compacted revision */
		return -ERANGE;
	case 14: /* UNAVAILABLE */
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* An answer with a non-200 status: its gateway message and code. */
static int
http_error(struct sg_etcd *c, const char *ep, const char *path, long status, const struct body *b)
{
	json_t *o = b->buf != NULL ? json_loadb(b->buf, b->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(o, "message"));
	json_t *code = json_object_get(o, "code");
	int rc = json_is_integer(code) ? grpc_errno(json_integer_value(code)) : -EIO;

	sg_etcd_set_error(c, "etcd %s%s: HTTP %ld: %.160s", ep, path, status,
			  msg != NULL ? msg : "no gateway message");
	json_decref(o);
	return rc;
}

/* Every answer is an object with a header (a keepalive's in "result"). */
static bool
header_ok(const json_t *resp)
{
	const json_t *h = json_object_get(resp, "header");
	int64_t rev;

	if (h == NULL)
		h = json_object_get(json_object_get(resp, "result"), "header");
	return json_is_object(resp) && json_is_object(h) && sg_etcd_int(h, "revision", &rev) == 0 &&
	       rev >= 0;
}

/* One attempt at endpoint @p ep. @return 0, -EAGAIN (try the next), -errno. */
static int
call_one(struct sg_etcd *c, const char *ep, const char *path, const char *req, json_t **resp)
{
	char url[320], cerr[CURL_ERROR_SIZE] = "";
	struct body b = {0};
	struct curl_slist *hdr;
	json_error_t jerr;
	long status = 0;
	CURLcode rc;
	CURL *e = c->easy;
	int ret;

	snprintf(url, sizeof(url), "%s%s", ep, path);
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_reset(e);
	sg_etcd_curl_common(c, e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	rc = curl_easy_perform(e);
	curl_slist_free_all(hdr);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (b.too_big) {
		sg_etcd_set_error(c, "etcd %s%s: answer over %u bytes", ep, path, SG_ETCD_BODY_MAX);
		ret = -EMSGSIZE;
	} else if (rc != CURLE_OK) {
		sg_etcd_set_error(c, "etcd %s%s: %.160s", ep, path,
				  cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		ret = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
		ret = rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : ret;
	} else if (status >= 500) {
		ret = http_error(c, ep, path, status, &b);
		ret = ret == -EIO || ret == -ETIMEDOUT ? -EAGAIN : ret;
	} else if (status != 200) {
		ret = http_error(c, ep, path, status, &b);
	} else if (b.buf == NULL || (*resp = json_loadb(b.buf, b.len, 0, &jerr)) == NULL) {
		sg_etcd_set_error(c, "etcd %s%s: answer is not JSON (%.80s)", ep, path,
				  b.buf == NULL ? "empty" : jerr.text);
		ret = -EPROTO;
	} else if (!header_ok(*resp)) {
		sg_etcd_set_error(c, "etcd %s%s: answer is not an etcd answer (no header)", ep,
				  path);
		json_decref(*resp);
		*resp = NULL;
		ret = -EPROTO;
	} else {
		ret = 0;
	}
	free(b.buf);
	return ret;
}

int
sg_etcd_call(struct sg_etcd *c, const char *path, json_t *req, json_t **resp)
{
	char *text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	int rc = -ENOMEM, last = -ECONNREFUSED;
	unsigned int i, ep = c->cur;

	json_decref(req);
	*resp = NULL;
	if (text == NULL) {
		sg_etcd_set_error(c, "etcd %s: out of memory", path);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_endpoints; i++) {
		ep = (c->cur + i) % c->n_endpoints;
		rc = call_one(c, c->endpoints[ep], path, text, resp);
		if (rc != -EAGAIN && rc != -ECONNREFUSED && rc != -ETIMEDOUT)
			break;
		last = rc == -EAGAIN ? -EIO : rc;
	}
	free(text);
	if (i == c->n_endpoints)
		return last; /* every endpoint failed: the last one's error */
	c->cur = ep;	     /* the next call starts where this one was answered */
	return rc;
}

json_t *
sg_etcd_b64(const void *p, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *buf = malloc(n);
	json_t *s;

	if (buf == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)buf, p, (int)len);
	s = json_string(buf);
	free(buf);
	return s;
}

int
sg_etcd_unb64(const char *s, size_t max, char **out, size_t *len)
{
	size_t n = strlen(s), pad = 0, i;
	char *buf;
	int got;

	*out = NULL;
	if (n % 4 != 0 || n / 4 * 3 > max + 2 || n > INT32_MAX)
		return -EPROTO;
	for (i = 0; i < n; i++) /* OpenSSL skips blanks: the gateway sends none */
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			return -EPROTO;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return -ENOMEM;
	got = n > 0 ? EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)s, (int)n) : 0;
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > max) {
		free(buf);
		return -EPROTO;
	}
	*len = (size_t)got - pad;
	buf[*len] = '\0';
	*out = buf;
	return 0;
}

int
sg_etcd_int(const json_t *o, const char *field, int64_t *v)
{
	const json_t *j = json_object_get(o, field);
	const char *s;
	char *end;
	long long x;

	*v = 0;
	if (j == NULL)
		return 0;
	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 0;
	}
	s = json_string_value(j);
	if (s == NULL || s[0] == '\0' || strlen(s) > 20)
		return -EPROTO;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EPROTO;
	*v = x;
	return 0;
}

int
sg_etcd_kv_parse(const json_t *o, bool with_value, struct sg_etcd_kv *kv, char **key, char **val)
{
	const char *k = json_string_value(json_object_get(o, "key"));
	const json_t *jv = json_object_get(o, "value");
	int rc;

	*key = *val = NULL;
	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(o) || k == NULL || (jv != NULL && !json_is_string(jv)))
		return -EPROTO;
	if (sg_etcd_int(o, "mod_revision", &kv->mod_rev) < 0 ||
	    sg_etcd_int(o, "lease", &kv->lease) < 0 || kv->mod_rev < 0)
		return -EPROTO;
	rc = sg_etcd_unb64(k, SG_ETCD_KEY_MAX, key, &kv->key_len);
	if (rc == 0 && with_value) /* proto3 leaves an empty value out */
		rc = sg_etcd_unb64(jv != NULL ? json_string_value(jv) : "", SG_ETCD_VALUE_MAX, val,
				   &kv->val_len);
	if (rc < 0) {
		free(*key);
		*key = NULL;
		return rc;
	}
	kv->key = *key;
	kv->val = *val;
	return 0;
}

size_t
sg_etcd_prefix_end(const char *prefix, size_t len, char *end)
{
	memcpy(end, prefix, len);
	while (len > 0) {
		if ((unsigned char)end[len - 1] < 0xff) {
			end[len - 1]++;
			return len;
		}
		len--;
	}
	end[0] = '\0'; /* every key */
	return 1;
}
