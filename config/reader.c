/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bounded YAML reader: libyaml's event API turned into a tree of
 * struct sg_cfg_node, allocated from one arena per document (arena.c).
 *
 * libyaml's document loader (yaml_parser_load) has no nesting limit, is
 * quadratic in depth and expands aliases; the event parser is linear and
 * hands us every event with its position, so every bound is enforced
 * before the next event is read:
 *   - input size (SG_CFG_FILE_MAX) before libyaml sees a byte,
 *   - depth (SG_CFG_DOC_DEPTH_MAX) at each collection start,
 *   - node count (SG_CFG_DOC_NODES_MAX) and scalar length at each node,
 *   - anchors, aliases, non-core tags, a second document, non-scalar and
 *     duplicate keys are errors at their first sight.
 * Duplicate keys are found with one hash set per document (keyset.c), so a map of
 * 100,000 keys costs linear time too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "arena.h"
#include "error.h"
#include "keyset.h"
#include "sg_cfg_doc.h"

#define PATH_KEY_MAX 63 /* longest key copied into an error path */

/* One entry of a map or sequence under construction. */
struct item {
	struct sg_cfg_node *key; /* NULL in sequences */
	struct sg_cfg_node *val;
	struct item *next;
};

/* An open collection. */
struct frame {
	struct sg_cfg_node *node;
	struct item *head;
	struct item *tail;
	unsigned int n;
	struct sg_cfg_node *key; /* map: key read, value not yet */
	uint32_t map_id;
};

struct reader {
	yaml_parser_t parser;
	const char *buf;
	size_t len;
	struct sg_cfg_doc *doc;
	struct sg_cfg_arena *arena;
	struct sg_cfg_error *err;
	struct frame stack[SG_CFG_DOC_DEPTH_MAX];
	unsigned int depth;
	unsigned int nodes;
	unsigned int documents;
	uint32_t next_map_id;
	struct sg_cfg_keyset keys;
};

/* Append to a path buffer, truncating; keeps it NUL-terminated. */
static void
path_append(char *path, size_t size, const char *s, size_t slen)
{
	size_t used = strnlen(path, size);

	if (used + 1 >= size)
		return;
	if (slen > size - used - 1)
		slen = size - used - 1;
	memcpy(path + used, s, slen);
	path[used + slen] = '\0';
}

static void
path_append_key(char *path, size_t size, const struct sg_cfg_node *key)
{
	size_t len = strnlen(key->value, key->len);

	if (path[0] != '\0')
		path_append(path, size, ".", 1);
	path_append(path, size, key->value, len > PATH_KEY_MAX ? PATH_KEY_MAX : len);
}

/*
 * Dotted path of the node being read: "a.b[3].c". With @p key, the path of
 * that key inside the innermost (map) frame.
 */
static void
reader_path(const struct reader *r, const struct sg_cfg_node *key, char *path, size_t size)
{
	unsigned int i;
	char idx[16];

	path[0] = '\0';
	for (i = 0; i < r->depth; i++) {
		const struct frame *f = &r->stack[i];
		/* Inner frames: the open child is their last item; top: the next one. */
		bool top = i + 1 == r->depth;

		if (f->node->type == SG_CFG_NODE_SEQ) {
			snprintf(idx, sizeof(idx), "[%u]", top || f->n == 0 ? f->n : f->n - 1);
			path_append(path, size, idx, strlen(idx));
		} else if (top && f->key != NULL) {
			path_append_key(path, size, f->key);
		} else if (!top && f->tail != NULL) {
			path_append_key(path, size, f->tail->key);
		}
	}
	if (key != NULL)
		path_append_key(path, size, key);
}

static int reader_fail(struct reader *r, int rc, const yaml_mark_t *mark,
		       const struct sg_cfg_node *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
reader_fail(struct reader *r, int rc, const yaml_mark_t *mark, const struct sg_cfg_node *key,
	    const char *fmt, ...)
{
	char path[sizeof(r->err->key)];
	char msg[sizeof(r->err->msg)];
	va_list ap;

	if (r->err == NULL)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reader_path(r, key, path, sizeof(path));
	sg_cfg_error_at(r->err, r->doc->name, mark ? (unsigned int)mark->line + 1 : 0,
			mark ? (unsigned int)mark->column + 1 : 0, path, "%s", msg);
	return rc;
}

/* The YAML core schema tags a node may carry; quoted: -1 = n/a, 0/1 = forced. */
static const struct core_tag {
	enum sg_cfg_node_type type;
	const char *tag; /* static, so that a node needs no copy */
	int quoted;
} core_tags[] = {
	{SG_CFG_NODE_MAP, "tag:yaml.org,2002:map", -1},
	{SG_CFG_NODE_SEQ, "tag:yaml.org,2002:seq", -1},
	{SG_CFG_NODE_SCALAR, "tag:yaml.org,2002:str", 1},
	{SG_CFG_NODE_SCALAR, "tag:yaml.org,2002:int", 0},
	{SG_CFG_NODE_SCALAR, "tag:yaml.org,2002:bool", 0},
	{SG_CFG_NODE_SCALAR, "tag:yaml.org,2002:null", 0},
	{SG_CFG_NODE_SCALAR, "tag:yaml.org,2002:float", 0},
};

/*
 * Tags: none, the non-specific "!", or a core-schema tag fitting the node
 * type. A scalar's tag forces it to a string (quoted) or to a non-string
 * (not quoted); "!" forces a string.
 */
static int
reader_check_tag(struct reader *r, const yaml_char_t *tag, enum sg_cfg_node_type type,
		 const yaml_mark_t *mark, struct sg_cfg_node *n)
{
	const char *t = (const char *)tag;
	unsigned int i;

	if (t == NULL)
		return 0;
	if (strcmp(t, "!") == 0) {
		if (type == SG_CFG_NODE_SCALAR)
			n->quoted = true;
		return 0;
	}
	for (i = 0; i < sizeof(core_tags) / sizeof(core_tags[0]); i++) {
		const struct core_tag *c = &core_tags[i];

		if (c->type != type || strcmp(t, c->tag) != 0)
			continue;
		n->tag = c->tag;
		if (c->quoted >= 0)
			n->quoted = c->quoted != 0;
		return 0;
	}
	return reader_fail(r, -EINVAL, mark, NULL,
			   "tag \"%.64s\" is not allowed (only the YAML core schema tags !!str, "
			   "!!int, !!bool, !!null, !!float, !!map, !!seq)",
			   t);
}

static struct sg_cfg_node *
reader_node(struct reader *r, enum sg_cfg_node_type type, const yaml_mark_t *mark, int *rc)
{
	struct sg_cfg_node *n;

	if (r->nodes >= SG_CFG_DOC_NODES_MAX) {
		*rc = reader_fail(r, -EINVAL, mark, NULL, "more than %u nodes in the document",
				  SG_CFG_DOC_NODES_MAX);
		return NULL;
	}
	n = sg_cfg_arena_alloc(r->arena, sizeof(*n));
	if (n == NULL) {
		*rc = reader_fail(r, -ENOMEM, mark, NULL, "out of memory");
		return NULL;
	}
	r->nodes++;
	n->type = type;
	n->line = (unsigned int)mark->line + 1;
	n->column = (unsigned int)mark->column + 1;
	*rc = 0;
	return n;
}

/* Attach a new node to the open collection (or make it the root). */
static int
reader_attach(struct reader *r, struct sg_cfg_node *n, const yaml_mark_t *mark)
{
	struct frame *f;
	struct item *it;

	if (r->depth == 0) {
		r->doc->root = n;
		return 0;
	}
	f = &r->stack[r->depth - 1];
	if (f->node->type == SG_CFG_NODE_MAP && f->key == NULL) {
		const struct sg_cfg_node *first = NULL;
		int rc;

		if (n->type != SG_CFG_NODE_SCALAR)
			return reader_fail(r, -EINVAL, mark, NULL,
					   "a mapping key must be a scalar, not %s",
					   sg_cfg_node_type_name(n));
		rc = sg_cfg_keyset_insert(&r->keys, f->map_id, n, &first);
		if (rc == -EEXIST)
			return reader_fail(r, -EINVAL, mark, n,
					   "duplicate key (first written at line %u column %u)",
					   first->line, first->column);
		if (rc != 0)
			return reader_fail(r, rc, mark, NULL, "out of memory");
		f->key = n;
		return 0;
	}
	it = sg_cfg_arena_alloc(r->arena, sizeof(*it));
	if (it == NULL)
		return reader_fail(r, -ENOMEM, mark, NULL, "out of memory");
	it->val = n;
	if (f->node->type == SG_CFG_NODE_MAP) {
		it->key = f->key;
		f->key = NULL;
	}
	if (f->tail != NULL)
		f->tail->next = it;
	else
		f->head = it;
	f->tail = it;
	f->n++;
	return 0;
}

static int
reader_scalar(struct reader *r, const yaml_event_t *ev)
{
	const yaml_mark_t *mark = &ev->start_mark;
	struct sg_cfg_node *n;
	int rc;

	if (ev->data.scalar.anchor != NULL)
		return reader_fail(r, -EINVAL, mark, NULL,
				   "anchors (&%.32s) are not allowed: write the value out",
				   (const char *)ev->data.scalar.anchor);
	if (ev->data.scalar.length > SG_CFG_DOC_SCALAR_MAX)
		return reader_fail(r, -EINVAL, mark, NULL, "scalar of %zu bytes, over the %u limit",
				   ev->data.scalar.length, SG_CFG_DOC_SCALAR_MAX);
	n = reader_node(r, SG_CFG_NODE_SCALAR, mark, &rc);
	if (n == NULL)
		return rc;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	rc = reader_check_tag(r, ev->data.scalar.tag, SG_CFG_NODE_SCALAR, mark, n);
	if (rc != 0)
		return rc;
	n->value = sg_cfg_arena_alloc(r->arena, ev->data.scalar.length + 1);
	if (n->value == NULL)
		return reader_fail(r, -ENOMEM, mark, NULL, "out of memory");
	memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
	n->value[ev->data.scalar.length] = '\0';
	n->len = ev->data.scalar.length;
	return reader_attach(r, n, mark);
}

static int
reader_start(struct reader *r, const yaml_event_t *ev, enum sg_cfg_node_type type)
{
	const yaml_mark_t *mark = &ev->start_mark;
	const yaml_char_t *anchor, *tag;
	struct sg_cfg_node *n;
	struct frame *f;
	int rc;

	if (type == SG_CFG_NODE_MAP) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	}
	if (anchor != NULL)
		return reader_fail(r, -EINVAL, mark, NULL,
				   "anchors (&%.32s) are not allowed: write the value out",
				   (const char *)anchor);
	if (r->depth >= SG_CFG_DOC_DEPTH_MAX)
		return reader_fail(r, -EINVAL, mark, NULL, "nesting deeper than %u levels",
				   SG_CFG_DOC_DEPTH_MAX);
	n = reader_node(r, type, mark, &rc);
	if (n == NULL)
		return rc;
	rc = reader_check_tag(r, tag, type, mark, n);
	if (rc != 0)
		return rc;
	rc = reader_attach(r, n, mark);
	if (rc != 0)
		return rc;
	f = &r->stack[r->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	if (type == SG_CFG_NODE_MAP)
		f->map_id = r->next_map_id++;
	return 0;
}

static int
reader_end(struct reader *r, const yaml_event_t *ev)
{
	struct frame *f;
	struct sg_cfg_node *n;
	const struct item *it;
	unsigned int i;

	/* libyaml balances its events; do not trust it with our stack. */
	if (r->depth == 0)
		return reader_fail(r, -EINVAL, &ev->start_mark, NULL, "unbalanced YAML events");
	f = &r->stack[r->depth - 1];
	n = f->node;
	if (f->n > 0) {
		n->items = sg_cfg_arena_alloc(r->arena, f->n * sizeof(struct sg_cfg_node *));
		if (n->items == NULL)
			return reader_fail(r, -ENOMEM, &ev->start_mark, NULL, "out of memory");
		if (n->type == SG_CFG_NODE_MAP) {
			n->keys = sg_cfg_arena_alloc(r->arena, f->n * sizeof(*n->keys));
			n->key_nodes =
				sg_cfg_arena_alloc(r->arena, f->n * sizeof(struct sg_cfg_node *));
			if (n->keys == NULL || n->key_nodes == NULL)
				return reader_fail(r, -ENOMEM, &ev->start_mark, NULL,
						   "out of memory");
		}
		for (i = 0, it = f->head; it != NULL; it = it->next, i++) {
			n->items[i] = it->val;
			if (n->type == SG_CFG_NODE_MAP) {
				n->keys[i] = it->key->value;
				n->key_nodes[i] = it->key;
			}
		}
	}
	n->n_items = f->n;
	r->depth--;
	return 0;
}

/* Line and column of a byte offset (for reader errors, which carry no mark). */
static void
offset_mark(const char *buf, size_t len, size_t off, yaml_mark_t *mark)
{
	size_t i, line = 0, col = 0;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 0;
		} else {
			col++;
		}
	}
	mark->index = off;
	mark->line = line;
	mark->column = col;
}

static int
reader_syntax_error(struct reader *r)
{
	const yaml_parser_t *p = &r->parser;
	yaml_mark_t mark;
	char ctx[128] = "";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return reader_fail(r, -ENOMEM, NULL, NULL, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		offset_mark(r->buf, r->len, p->problem_offset, &mark);
		if (p->problem_value != -1)
			return reader_fail(r, -EINVAL, &mark, NULL,
					   "invalid input: %s (#%X); the file must be UTF-8 text",
					   p->problem ? p->problem : "unreadable",
					   p->problem_value);
		return reader_fail(r, -EINVAL, &mark, NULL,
				   "invalid input: %s; the file must be UTF-8 text",
				   p->problem ? p->problem : "unreadable");
	default:
		break;
	}
	if (p->context != NULL)
		snprintf(ctx, sizeof(ctx), " (%s at line %zu column %zu)", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	/* The path is that of the last node read, which can mislead here: omit it. */
	r->depth = 0;
	return reader_fail(r, -EINVAL, &p->problem_mark, NULL, "YAML syntax error: %s%s",
			   p->problem ? p->problem : "unknown", ctx);
}

/* One event. *done is set at the end of the stream. */
static int
reader_event(struct reader *r, const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (r->documents++ > 0)
			return reader_fail(r, -EINVAL, &ev->start_mark, NULL,
					   "a second YAML document: one file holds exactly one "
					   "document (remove the extra '---')");
		return 0;
	case YAML_ALIAS_EVENT:
		return reader_fail(r, -EINVAL, &ev->start_mark, NULL,
				   "aliases (*%.32s) are not allowed: write the value out",
				   (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return reader_scalar(r, ev);
	case YAML_SEQUENCE_START_EVENT:
		return reader_start(r, ev, SG_CFG_NODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return reader_start(r, ev, SG_CFG_NODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return reader_end(r, ev);
	}
	return 0;
}

void
sg_cfg_doc_free(struct sg_cfg_doc *doc)
{
	if (doc == NULL)
		return;
	sg_cfg_arena_free(doc->priv);
	free(doc);
}

int
sg_cfg_doc_parse(const char *buf, size_t len, const char *name, struct sg_cfg_doc **out,
		 struct sg_cfg_error *err)
{
	struct reader *r;
	struct sg_cfg_doc *doc;
	bool done = false;
	int rc = 0;

	*out = NULL;
	if (name == NULL)
		name = "<buffer>";
	if (len > SG_CFG_FILE_MAX) {
		sg_cfg_error_at(err, name, 0, 0, "",
				"file of %zu bytes is over the limit of %u bytes", len,
				SG_CFG_FILE_MAX);
		return -EFBIG;
	}
	if (buf == NULL && len > 0) {
		sg_cfg_error_at(err, name, 0, 0, "", "no input");
		return -EINVAL;
	}
	doc = calloc(1, sizeof(*doc));
	r = calloc(1, sizeof(*r));
	if (doc == NULL || r == NULL || (doc->priv = sg_cfg_arena_new()) == NULL) {
		free(doc);
		free(r);
		sg_cfg_error_at(err, name, 0, 0, "", "out of memory");
		return -ENOMEM;
	}
	sg_cfg_strlcpy(doc->name, name, sizeof(doc->name));
	r->doc = doc;
	r->arena = doc->priv;
	r->err = err;
	r->buf = buf;
	r->len = len;
	if (!yaml_parser_initialize(&r->parser)) {
		rc = reader_fail(r, -ENOMEM, NULL, NULL, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&r->parser, (const unsigned char *)(buf ? buf : ""), len);
	while (!done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&r->parser, &ev)) {
			rc = reader_syntax_error(r);
			break;
		}
		rc = reader_event(r, &ev, &done);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&r->parser);
out:
	sg_cfg_keyset_free(&r->keys);
	free(r);
	if (rc != 0) {
		sg_cfg_doc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
