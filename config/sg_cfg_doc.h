/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Bounded YAML documents: the one YAML reader of sessiongate.
 *
 * libyaml 0.2.5 has no nesting limit and expands aliases, so this reader
 * uses its event API and enforces its own bounds: file size, depth,
 * number of nodes, scalar length; anchors, aliases, tags other than the
 * core schema, multiple documents and duplicate mapping keys are errors.
 * Every node remembers its line and column so that schema code (the
 * appliance schema in load.c and its sections, the host agent's and the control path's
 * own) reports "file:line:col: key: message".
 */
#ifndef SG_CFG_DOC_H
#define SG_CFG_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_cfg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_CFG_DOC_DEPTH_MAX  32     /**< nesting levels */
#define SG_CFG_DOC_NODES_MAX  100000 /**< nodes in one document */
#define SG_CFG_DOC_SCALAR_MAX 4096   /**< bytes in one scalar */

enum sg_cfg_node_type {
	SG_CFG_NODE_SCALAR,
	SG_CFG_NODE_MAP,
	SG_CFG_NODE_SEQ,
};

struct sg_cfg_node {
	enum sg_cfg_node_type type;
	unsigned int line;   /**< 1-based */
	unsigned int column; /**< 1-based */
	/* SCALAR */
	char *value; /**< NUL-terminated */
	size_t len;
	bool quoted; /**< written in quotes: always a string */
	/* MAP: keys[i] -> items[i]; SEQ: items[i] */
	char **keys;
	struct sg_cfg_node **items;
	unsigned int n_items;
	/* Added after the first contract: */
	struct sg_cfg_node **key_nodes; /**< MAP: the key scalars (their line/col), like keys */
	const char *tag;		/**< resolved core tag ("tag:yaml.org,2002:str") or NULL */
};

struct sg_cfg_doc {
	char name[SG_CFG_DEVARGS_MAX]; /**< file name used in errors */
	struct sg_cfg_node *root;      /**< NULL for an empty document */
	/* private: arena bookkeeping */
	void *priv;
};

/** Parse a buffer into a document. @return 0 or -EINVAL/-EFBIG/-ENOMEM with @p err filled. */
int sg_cfg_doc_parse(const char *buf, size_t len, const char *name, struct sg_cfg_doc **out,
		     struct sg_cfg_error *err);

/** Read and parse a file (bounded by SG_CFG_FILE_MAX). */
int sg_cfg_doc_load(const char *path, struct sg_cfg_doc **out, struct sg_cfg_error *err);

void sg_cfg_doc_free(struct sg_cfg_doc *doc);

/** Value of key @p key in map @p map, or NULL. */
const struct sg_cfg_node *sg_cfg_node_get(const struct sg_cfg_node *map, const char *key);

/**
 * Schema helpers: each returns 0, or -EINVAL with @p err filled as
 * "doc:line:col: <path>: <what was expected>". @p path is the dotted key
 * used in the message.
 */
int sg_cfg_node_check_keys(const struct sg_cfg_doc *doc, const struct sg_cfg_node *map,
			   const char *path, const char *const *allowed, struct sg_cfg_error *err);
int sg_cfg_node_string(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		       char *out, size_t outlen, struct sg_cfg_error *err);
int sg_cfg_node_name(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		     char out[SG_CFG_NAME_MAX], struct sg_cfg_error *err);
int sg_cfg_node_uint(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		     uint64_t min, uint64_t max, uint64_t *out, struct sg_cfg_error *err);
int sg_cfg_node_bool(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		     bool *out, struct sg_cfg_error *err);
int sg_cfg_node_addr(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		     bool allow_prefix, struct sg_cfg_addr *out, struct sg_cfg_error *err);
/** @p names: NULL-terminated list; *out = its index. */
int sg_cfg_node_enum(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		     const char *const *names, unsigned int *out, struct sg_cfg_error *err);

/**
 * True for a plain (unquoted, untagged or !!null) scalar that YAML reads as
 * null: empty, "~", "null", "Null", "NULL". A key written without a value
 * ("key:") gives such a node.
 */
bool sg_cfg_node_is_null(const struct sg_cfg_node *n);

/** Key node of @p key in map @p map (for its line/col), or NULL. */
const struct sg_cfg_node *sg_cfg_node_get_key(const struct sg_cfg_node *map, const char *key);

/**
 * Check that @p n is a map (or a null node, read as an empty map when
 * @p null_ok) / a sequence with at most @p max items. 0 or -EINVAL.
 */
int sg_cfg_node_map(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		    bool null_ok, struct sg_cfg_error *err);
int sg_cfg_node_seq(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		    unsigned int max, struct sg_cfg_error *err);

/** "a scalar" / "a map" / "a sequence" for messages. */
const char *sg_cfg_node_type_name(const struct sg_cfg_node *n);

/** Most extra top-level sections sg_cfg_load_*_ext() accepts. */
#define SG_CFG_EXTRA_SECTIONS_MAX 16

/**
 * As sg_cfg_load_file() / sg_cfg_load_buffer(), for a component that keeps
 * its own sections in the appliance file (DESIGN.md section 7: applications,
 * host agents, ...). Top-level keys named in @p extra (NULL-terminated, at
 * most SG_CFG_EXTRA_SECTIONS_MAX; NULL for none) are allowed and left
 * unread; the appliance sections are validated as usual. On success, when
 * @p doc_out is not NULL, it receives the parsed document (free with
 * sg_cfg_doc_free()) so that the caller reads its sections with the
 * sg_cfg_node_* helpers; the document and the configuration are
 * independent. On failure *out and *doc_out are NULL.
 */
int sg_cfg_load_file_ext(const char *path, const char *const *extra, struct sg_cfg **out,
			 struct sg_cfg_doc **doc_out, struct sg_cfg_error *err);
int sg_cfg_load_buffer_ext(const char *buf, size_t len, const char *name, const char *const *extra,
			   struct sg_cfg **out, struct sg_cfg_doc **doc_out,
			   struct sg_cfg_error *err);

/** Fill @p err for node @p n (NULL: no place) with a printf-style message. */
void sg_cfg_error_set(struct sg_cfg_error *err, const struct sg_cfg_doc *doc,
		      const struct sg_cfg_node *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#ifdef __cplusplus
}
#endif

#endif /* SG_CFG_DOC_H */
