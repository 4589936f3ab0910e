/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec of the host agent protocol (include/sessiongate/sg_agent_proto.h):
 * message init, encoding and decoding of the header and the TLV attributes.
 * Linked by sg-hostagent and sg-control (static library sgagentproto).
 */
#include <errno.h>
#include <string.h>

#include "sessiongate/sg_agent_proto.h"

void
sg_agent_msg_init(struct sg_agent_msg *m, uint8_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->seq = seq;
}

static void
copy_str(char *dst, size_t dstlen, const char *s)
{
	size_t n = s ? strnlen(s, dstlen - 1) : 0;

	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

void
sg_agent_msg_set_str(struct sg_agent_msg *m, enum sg_agent_attr attr, const char *s)
{
	switch (attr) {
	case SG_AGENT_ATTR_HOST:
		copy_str(m->host, sizeof(m->host), s);
		break;
	case SG_AGENT_ATTR_TEXT:
		copy_str(m->text, sizeof(m->text), s);
		break;
	case SG_AGENT_ATTR_VM_NAME:
		copy_str(m->vm_name, sizeof(m->vm_name), s);
		break;
	case SG_AGENT_ATTR_TEMPLATE:
		copy_str(m->template_name, sizeof(m->template_name), s);
		break;
	default:
		return;
	}
	m->present |= 1u << attr;
}

/* ---- encoding ---- */

struct wbuf {
	uint8_t *p;
	size_t len;
	size_t off;
	bool overflow;
};

static void
put(struct wbuf *w, const void *v, size_t n)
{
	if (w->overflow || n > w->len - w->off) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->off, v, n);
	w->off += n;
}

static void
put_u8(struct wbuf *w, uint8_t v)
{
	put(w, &v, 1);
}

static void
put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 2);
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 4);
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, (uint32_t)(v >> 32));
	put_u32(w, (uint32_t)v);
}

static void
attr_hdr(struct wbuf *w, uint16_t type, uint16_t len)
{
	put_u16(w, type);
	put_u16(w, len);
}

static int
put_str_attr(struct wbuf *w, uint16_t type, const char *s, size_t max, bool allow_empty)
{
	size_t n = strnlen(s, max);

	if (n >= max || (!allow_empty && n == 0))
		return -EINVAL;
	attr_hdr(w, type, (uint16_t)n);
	put(w, s, n);
	return 0;
}

static int
put_addr_attr(struct wbuf *w, uint16_t type, const struct sg_agent_addr *a)
{
	size_t n = SG_WIRE_FAMILY_LEN(a->family);

	if (n == 0)
		return -EINVAL;
	attr_hdr(w, type, (uint16_t)(1 + n));
	put_u8(w, a->family);
	put(w, a->bytes, n);
	return 0;
}

int
sg_agent_msg_encode(const struct sg_agent_msg *m, uint8_t *buf, size_t len)
{
	struct wbuf w = {.p = buf, .len = len < SG_AGENT_MSG_MAX ? len : SG_AGENT_MSG_MAX};
	int rc = 0;

	if (m->type == 0 || m->type > SG_AGENT_MSG_TYPE_MAX)
		return -EINVAL;
	put_u16(&w, SG_AGENT_MAGIC);
	put_u8(&w, SG_AGENT_VERSION);
	put_u8(&w, m->type);
	put_u32(&w, 0); /* length, patched below */
	put_u32(&w, m->seq);
	put_u32(&w, 0);

	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_HOST))
		rc |= put_str_attr(&w, SG_AGENT_ATTR_HOST, m->host, SG_AGENT_NAME_MAX, false);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_NONCE)) {
		attr_hdr(&w, SG_AGENT_ATTR_NONCE, SG_AGENT_NONCE_LEN);
		put(&w, m->nonce, SG_AGENT_NONCE_LEN);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_MAC)) {
		attr_hdr(&w, SG_AGENT_ATTR_MAC, SG_AGENT_MAC_LEN);
		put(&w, m->mac, SG_AGENT_MAC_LEN);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_STATUS)) {
		attr_hdr(&w, SG_AGENT_ATTR_STATUS, 2);
		put_u16(&w, m->status);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT))
		rc |= put_str_attr(&w, SG_AGENT_ATTR_TEXT, m->text, SG_AGENT_TEXT_MAX, true);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME))
		rc |= put_str_attr(&w, SG_AGENT_ATTR_VM_NAME, m->vm_name, SG_AGENT_NAME_MAX, false);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_UUID)) {
		attr_hdr(&w, SG_AGENT_ATTR_VM_UUID, 16);
		put(&w, m->vm_uuid, 16);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_STATE)) {
		attr_hdr(&w, SG_AGENT_ATTR_VM_STATE, 1);
		put_u8(&w, m->vm_state);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_ADDR))
		rc |= put_addr_attr(&w, SG_AGENT_ATTR_ADDR, &m->addr);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_PORT)) {
		attr_hdr(&w, SG_AGENT_ATTR_PORT, 2);
		put_u16(&w, m->port);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_DEADLINE_MS)) {
		attr_hdr(&w, SG_AGENT_ATTR_DEADLINE_MS, 4);
		put_u32(&w, m->deadline_ms);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP))
		rc |= put_addr_attr(&w, SG_AGENT_ATTR_VIP, &m->vip);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP_PORT)) {
		attr_hdr(&w, SG_AGENT_ATTR_VIP_PORT, 2);
		put_u16(&w, m->vip_port);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_PROTO)) {
		attr_hdr(&w, SG_AGENT_ATTR_PROTO, 1);
		put_u8(&w, m->proto);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_GENERATION)) {
		attr_hdr(&w, SG_AGENT_ATTR_GENERATION, 8);
		put_u64(&w, m->generation);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_COUNT)) {
		attr_hdr(&w, SG_AGENT_ATTR_COUNT, 4);
		put_u32(&w, m->count);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_TEMPLATE))
		rc |= put_str_attr(&w, SG_AGENT_ATTR_TEMPLATE, m->template_name, SG_AGENT_NAME_MAX,
				   false);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_FLAGS)) {
		attr_hdr(&w, SG_AGENT_ATTR_FLAGS, 4);
		put_u32(&w, m->vm_flags);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_START_KIND)) {
		if (m->start_kind > SG_AGENT_START_KIND_MAX)
			return -EINVAL;
		attr_hdr(&w, SG_AGENT_ATTR_START_KIND, 1);
		put_u8(&w, m->start_kind);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_LIBVIRT_MS)) {
		attr_hdr(&w, SG_AGENT_ATTR_LIBVIRT_MS, 4);
		put_u32(&w, m->libvirt_ms);
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_READY_MS)) {
		attr_hdr(&w, SG_AGENT_ATTR_READY_MS, 4);
		put_u32(&w, m->ready_ms);
	}
	if (m->n_counters > SG_AGENT_COUNTERS_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < m->n_counters; i++) {
		const struct sg_agent_counter *c = &m->counters[i];
		size_t n = strnlen(c->name, sizeof(c->name));

		if (n == 0 || n >= sizeof(c->name))
			return -EINVAL;
		attr_hdr(&w, SG_AGENT_ATTR_COUNTER, (uint16_t)(8 + n));
		put_u64(&w, c->value);
		put(&w, c->name, n);
	}
	if (rc)
		return -EINVAL;
	if (w.overflow)
		return -EMSGSIZE;
	buf[4] = (uint8_t)((w.off - SG_AGENT_HDR_LEN) >> 24);
	buf[5] = (uint8_t)((w.off - SG_AGENT_HDR_LEN) >> 16);
	buf[6] = (uint8_t)((w.off - SG_AGENT_HDR_LEN) >> 8);
	buf[7] = (uint8_t)(w.off - SG_AGENT_HDR_LEN);
	return (int)w.off;
}

/* ---- decoding ---- */

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
get_u64(const uint8_t *p)
{
	return ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
}

int
sg_agent_msg_peek(const uint8_t *buf, size_t len)
{
	uint32_t plen;

	if (len < SG_AGENT_HDR_LEN)
		return 0;
	if (get_u16(buf) != SG_AGENT_MAGIC || buf[2] != SG_AGENT_VERSION ||
	    (get_u32(buf + 12) & ~SG_AGENT_FLAG_TAG) != 0)
		return -EPROTO;
	plen = get_u32(buf + 4);
	if (plen > SG_AGENT_MSG_MAX - SG_AGENT_HDR_LEN)
		return -EMSGSIZE;
	return (int)(plen + SG_AGENT_HDR_LEN + (sg_agent_msg_tagged(buf) ? SG_AGENT_TAG_LEN : 0));
}

/* A printable string without NUL or control characters. */
static int
get_str(const uint8_t *v, uint16_t n, char *out, size_t max, bool allow_empty)
{
	if (n >= max || (!allow_empty && n == 0))
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] == 0x7f)
			return -EINVAL;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

static int
get_addr(const uint8_t *v, uint16_t n, struct sg_agent_addr *a)
{
	size_t alen = n > 0 ? SG_WIRE_FAMILY_LEN(v[0]) : 0;

	memset(a, 0, sizeof(*a));
	if (alen == 0 || n != 1 + alen)
		return -EINVAL;
	a->family = v[0];
	memcpy(a->bytes, v + 1, alen);
	return 0;
}

static int
decode_attr(struct sg_agent_msg *m, uint16_t type, const uint8_t *v, uint16_t n)
{
	switch (type) {
	case SG_AGENT_ATTR_HOST:
		return get_str(v, n, m->host, sizeof(m->host), false);
	case SG_AGENT_ATTR_NONCE:
		if (n != SG_AGENT_NONCE_LEN)
			return -EINVAL;
		memcpy(m->nonce, v, n);
		return 0;
	case SG_AGENT_ATTR_MAC:
		if (n != SG_AGENT_MAC_LEN)
			return -EINVAL;
		memcpy(m->mac, v, n);
		return 0;
	case SG_AGENT_ATTR_STATUS:
		if (n != 2)
			return -EINVAL;
		m->status = get_u16(v);
		return 0;
	case SG_AGENT_ATTR_TEXT:
		return get_str(v, n, m->text, sizeof(m->text), true);
	case SG_AGENT_ATTR_VM_NAME:
		return get_str(v, n, m->vm_name, sizeof(m->vm_name), false);
	case SG_AGENT_ATTR_VM_UUID:
		if (n != 16)
			return -EINVAL;
		memcpy(m->vm_uuid, v, 16);
		return 0;
	case SG_AGENT_ATTR_VM_STATE:
		if (n != 1 || v[0] > SG_AGENT_VM_STATE_MAX)
			return -EINVAL;
		m->vm_state = v[0];
		return 0;
	case SG_AGENT_ATTR_ADDR:
		return get_addr(v, n, &m->addr);
	case SG_AGENT_ATTR_PORT:
		if (n != 2)
			return -EINVAL;
		m->port = get_u16(v);
		return 0;
	case SG_AGENT_ATTR_DEADLINE_MS:
		if (n != 4)
			return -EINVAL;
		m->deadline_ms = get_u32(v);
		return 0;
	case SG_AGENT_ATTR_VIP:
		return get_addr(v, n, &m->vip);
	case SG_AGENT_ATTR_VIP_PORT:
		if (n != 2)
			return -EINVAL;
		m->vip_port = get_u16(v);
		return 0;
	case SG_AGENT_ATTR_PROTO:
		if (n != 1)
			return -EINVAL;
		m->proto = v[0];
		return 0;
	case SG_AGENT_ATTR_GENERATION:
		if (n != 8)
			return -EINVAL;
		m->generation = get_u64(v);
		return 0;
	case SG_AGENT_ATTR_COUNT:
		if (n != 4)
			return -EINVAL;
		m->count = get_u32(v);
		return 0;
	case SG_AGENT_ATTR_TEMPLATE:
		return get_str(v, n, m->template_name, sizeof(m->template_name), false);
	case SG_AGENT_ATTR_FLAGS:
		if (n != 4)
			return -EINVAL;
		m->vm_flags = get_u32(v);
		return 0;
	case SG_AGENT_ATTR_START_KIND:
		if (n != 1 || v[0] > SG_AGENT_START_KIND_MAX)
			return -EINVAL;
		m->start_kind = v[0];
		return 0;
	case SG_AGENT_ATTR_LIBVIRT_MS:
		if (n != 4)
			return -EINVAL;
		m->libvirt_ms = get_u32(v);
		return 0;
	case SG_AGENT_ATTR_READY_MS:
		if (n != 4)
			return -EINVAL;
		m->ready_ms = get_u32(v);
		return 0;
	default:
		return 0; /* unknown: skipped */
	}
}

int
sg_agent_msg_decode(const uint8_t *buf, size_t len, struct sg_agent_msg *m)
{
	int total = sg_agent_msg_peek(buf, len);
	size_t off;

	if (total < 0)
		return total;
	if (total == 0 || (size_t)total != len)
		return -EPROTO;
	if (sg_agent_msg_tagged(buf))
		len -= SG_AGENT_TAG_LEN; /* checked by sg_agent_msg_open(), not part of the payload
					  */
	sg_agent_msg_init(m, buf[3], get_u32(buf + 8));
	if (m->type == 0 || m->type > SG_AGENT_MSG_TYPE_MAX)
		return -EPROTO;

	off = SG_AGENT_HDR_LEN;
	while (off < len) {
		uint16_t type, n;
		const uint8_t *v;
		int rc;

		if (len - off < 4)
			return -EPROTO;
		type = get_u16(buf + off);
		n = get_u16(buf + off + 2);
		off += 4;
		if (n > len - off)
			return -EPROTO;
		v = buf + off;
		off += n;
		if (type == SG_AGENT_ATTR_COUNTER) {
			struct sg_agent_counter *c;

			if (m->n_counters >= SG_AGENT_COUNTERS_MAX || n <= 8)
				return -EINVAL;
			c = &m->counters[m->n_counters];
			c->value = get_u64(v);
			rc = get_str(v + 8, (uint16_t)(n - 8), c->name, sizeof(c->name), false);
			if (rc)
				return rc;
			m->n_counters++;
			continue;
		}
		if (type >= 1 && type <= SG_AGENT_ATTR_MAX) {
			if (SG_AGENT_HAS(m, type))
				return -EINVAL; /* duplicate */
			rc = decode_attr(m, type, v, n);
			if (rc)
				return rc;
			m->present |= 1u << type;
		}
	}
	return 0;
}
