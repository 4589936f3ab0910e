/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bounded YAML reader (config/reader.c): tree shape and positions,
 * and every bound of DESIGN.md section 9 with generated hostile inputs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_test.h"
#include "sg_cfg_doc.h"

/* Generous: the real cost is milliseconds; quadratic would be seconds. */
#define HOSTILE_CPU_MAX 1.0

static int
parse(const char *text, size_t len, struct sg_cfg_doc **doc, struct sg_cfg_error *err)
{
	memset(err, 0, sizeof(*err));
	return sg_cfg_doc_parse(text, len, "t.yaml", doc, err);
}

static int
parse_str(const char *text, struct sg_cfg_doc **doc, struct sg_cfg_error *err)
{
	return parse(text, strlen(text), doc, err);
}

/* Expect a rejection with exactly this formatted error. */
static void
expect_error(const char *text, size_t len, int rc_want, const char *want)
{
	struct sg_cfg_doc *doc = (struct sg_cfg_doc *)0x1;
	struct sg_cfg_error err;
	int rc = parse(text, len, &doc, &err);

	assert_int_equal(rc, rc_want);
	assert_null(doc);
	assert_string_equal(err_text(&err), want);
}

static void
expect_error_str(const char *text, const char *want)
{
	expect_error(text, strlen(text), -EINVAL, want);
}

static void
test_tree_and_positions(void **state)
{
	const char *text = "# comment\n"
			   "a: 1\n"
			   "b:\n"
			   "  - x\n"
			   "  - 'y'\n"
			   "  - {k: \"v\", n: ~}\n"
			   "c: |\n"
			   "  block\n";
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	const struct sg_cfg_node *root, *b, *m;

	(void)state;
	assert_int_equal(parse_str(text, &doc, &err), 0);
	root = doc->root;
	assert_non_null(root);
	assert_int_equal(root->type, SG_CFG_NODE_MAP);
	assert_int_equal(root->n_items, 3);
	assert_string_equal(root->keys[0], "a");
	assert_string_equal(root->keys[1], "b");
	assert_string_equal(root->keys[2], "c");
	assert_int_equal(root->key_nodes[1]->line, 3);
	assert_int_equal(root->key_nodes[1]->column, 1);
	assert_string_equal(root->items[0]->value, "1");
	assert_int_equal(root->items[0]->line, 2);
	assert_int_equal(root->items[0]->column, 4);
	assert_false(root->items[0]->quoted);
	b = sg_cfg_node_get(root, "b");
	assert_non_null(b);
	assert_int_equal(b->type, SG_CFG_NODE_SEQ);
	assert_int_equal(b->n_items, 3);
	assert_null(b->keys);
	assert_string_equal(b->items[0]->value, "x");
	assert_false(b->items[0]->quoted);
	assert_string_equal(b->items[1]->value, "y");
	assert_true(b->items[1]->quoted);
	assert_int_equal(b->items[1]->line, 5);
	assert_int_equal(b->items[1]->column, 5);
	m = b->items[2];
	assert_int_equal(m->type, SG_CFG_NODE_MAP);
	assert_int_equal(m->line, 6);
	assert_int_equal(m->column, 5);
	assert_true(sg_cfg_node_get(m, "k")->quoted);
	assert_true(sg_cfg_node_is_null(sg_cfg_node_get(m, "n")));
	assert_int_equal(sg_cfg_node_get_key(m, "n")->column, 14);
	assert_null(sg_cfg_node_get(m, "missing"));
	assert_string_equal(sg_cfg_node_get(root, "c")->value, "block\n");
	assert_true(sg_cfg_node_get(root, "c")->quoted);
	assert_int_equal(sg_cfg_node_get(root, "c")->len, 6);
	sg_cfg_doc_free(doc);
}

static void
test_empty_documents(void **state)
{
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	assert_int_equal(parse_str("", &doc, &err), 0);
	assert_null(doc->root);
	assert_string_equal(doc->name, "t.yaml");
	sg_cfg_doc_free(doc);
	assert_int_equal(parse("", 0, &doc, &err), 0);
	sg_cfg_doc_free(doc);
	assert_int_equal(parse_str("# only a comment\n", &doc, &err), 0);
	assert_null(doc->root);
	sg_cfg_doc_free(doc);
	assert_int_equal(parse_str("---\n", &doc, &err), 0);
	assert_non_null(doc->root);
	assert_true(sg_cfg_node_is_null(doc->root));
	sg_cfg_doc_free(doc);
	sg_cfg_doc_free(NULL);
}

static void
test_depth_limit_exact(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	tbuf_repeat(&b, "[", SG_CFG_DOC_DEPTH_MAX);
	tbuf_repeat(&b, "]", SG_CFG_DOC_DEPTH_MAX);
	assert_int_equal(parse(b.p, b.len, &doc, &err), 0);
	sg_cfg_doc_free(doc);
	tbuf_free(&b);

	tbuf_repeat(&b, "[", SG_CFG_DOC_DEPTH_MAX + 1);
	tbuf_repeat(&b, "]", SG_CFG_DOC_DEPTH_MAX + 1);
	assert_int_equal(parse(b.p, b.len, &doc, &err), -EINVAL);
	assert_null(doc);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, SG_CFG_DOC_DEPTH_MAX + 1);
	assert_string_equal(err.msg, "nesting deeper than 32 levels");
	tbuf_free(&b);
}

/* 100,000 levels: libyaml's loader needs ~23 s; we must stop at level 33. */
static void
hostile_deep(const char *open, const char *middle, const char *close, unsigned int col)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	double t0;

	tbuf_repeat(&b, open, 100000);
	tbuf_add(&b, middle, strlen(middle));
	tbuf_repeat(&b, close, 100000);
	t0 = cpu_seconds();
	assert_int_equal(parse(b.p, b.len, &doc, &err), -EINVAL);
	assert_true(cpu_seconds() - t0 < HOSTILE_CPU_MAX);
	assert_null(doc);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, col);
	assert_string_equal(err.msg, "nesting deeper than 32 levels");
	tbuf_free(&b);
}

static void
test_deep_flow_seq_100k(void **state)
{
	(void)state;
	hostile_deep("[", "", "]", 33);
}

static void
test_deep_flow_map_100k(void **state)
{
	(void)state;
	hostile_deep("{a: ", "1", "}", 4 * 32 + 1);
}

static void
test_deep_block_seq_100k(void **state)
{
	(void)state;
	hostile_deep("- ", "x", "", 2 * 32 + 1);
}

static void
test_anchor_alias(void **state)
{
	(void)state;
	expect_error_str("a: &x 1\n", "t.yaml:1:4: a: anchors (&x) are not allowed: write the "
				      "value out");
	expect_error_str("a: &m {b: 1}\n", "t.yaml:1:4: a: anchors (&m) are not allowed: write "
					   "the value out");
	expect_error_str("a: [&s [1]]\n", "t.yaml:1:5: a[0]: anchors (&s) are not allowed: write "
					  "the value out");
	expect_error_str("a: 1\nb: *x\n", "t.yaml:2:4: b: aliases (*x) are not allowed: write the "
					  "value out");
	expect_error_str("- *x\n", "t.yaml:1:3: [0]: aliases (*x) are not allowed: write the "
				   "value out");
}

/* The "billion laughs": 9 levels of 10 aliases each. Rejected at the first anchor. */
static void
test_billion_laughs(void **state)
{
	struct tbuf b = {0};
	unsigned int i, j;
	double t0;

	(void)state;
	tbuf_printf(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
			"\"lol\"]\n");
	for (i = 1; i < 9; i++) {
		tbuf_printf(&b, "%c: &%c [", 'a' + i, 'a' + i);
		for (j = 0; j < 9; j++)
			tbuf_printf(&b, "%s*%c", j ? "," : "", 'a' + i - 1);
		tbuf_printf(&b, "]\n");
	}
	t0 = cpu_seconds();
	expect_error(b.p, b.len, -EINVAL,
		     "t.yaml:1:4: a: anchors (&a) are not allowed: write the value out");
	assert_true(cpu_seconds() - t0 < HOSTILE_CPU_MAX);
	tbuf_free(&b);
}

static void
test_scalar_limit(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	tbuf_add(&b, "k: ", 3);
	tbuf_repeat(&b, "x", SG_CFG_DOC_SCALAR_MAX);
	assert_int_equal(parse(b.p, b.len, &doc, &err), 0);
	assert_int_equal(doc->root->items[0]->len, SG_CFG_DOC_SCALAR_MAX);
	sg_cfg_doc_free(doc);
	tbuf_add(&b, "x\n", 2);
	expect_error(b.p, b.len, -EINVAL,
		     "t.yaml:1:4: k: scalar of 4097 bytes, over the 4096 limit");
	tbuf_free(&b);

	/* A key is a scalar too. */
	tbuf_repeat(&b, "y", SG_CFG_DOC_SCALAR_MAX + 1);
	tbuf_add(&b, ": 1\n", 4);
	expect_error(b.p, b.len, -EINVAL, "t.yaml:1:1: scalar of 4097 bytes, over the 4096 limit");
	tbuf_free(&b);
}

static void
test_node_limit(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	double t0;

	(void)state;
	/* The sequence plus 99,999 scalars: exactly the limit. */
	tbuf_add(&b, "[", 1);
	tbuf_repeat(&b, "1,", SG_CFG_DOC_NODES_MAX - 1);
	tbuf_add(&b, "]", 1);
	assert_int_equal(parse(b.p, b.len, &doc, &err), 0);
	assert_int_equal(doc->root->n_items, SG_CFG_DOC_NODES_MAX - 1);
	sg_cfg_doc_free(doc);
	tbuf_free(&b);

	tbuf_add(&b, "[", 1);
	tbuf_repeat(&b, "1,", SG_CFG_DOC_NODES_MAX);
	tbuf_add(&b, "]", 1);
	t0 = cpu_seconds();
	expect_error(b.p, b.len, -EINVAL,
		     "t.yaml:1:200000: [99999]: more than 100000 nodes in the "
		     "document");
	assert_true(cpu_seconds() - t0 < HOSTILE_CPU_MAX);
	tbuf_free(&b);
}

static void
test_duplicate_keys(void **state)
{
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	expect_error_str("a: 1\nb: 2\na: 3\n",
			 "t.yaml:3:1: a: duplicate key (first written at line 1 column 1)");
	/* Quoting does not make a different key. */
	expect_error_str("a: 1\n'a': 2\n",
			 "t.yaml:2:1: a: duplicate key (first written at line 1 column 1)");
	expect_error_str("x:\n  - {k: 1, k: 2}\n",
			 "t.yaml:2:12: x[0].k: duplicate key (first written at line 2 column 6)");
	/* The same key in two different maps is fine. */
	assert_int_equal(parse_str("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 1}]\n", &doc, &err), 0);
	sg_cfg_doc_free(doc);
}

/* 45,000 distinct keys (90,001 nodes) then a duplicate of the first: linear, not quadratic. */
static void
test_duplicate_keys_large_map(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	unsigned int i;
	double t0;

	(void)state;
	for (i = 0; i < 45000; i++)
		tbuf_printf(&b, "k%u: %u\n", i, i);
	t0 = cpu_seconds();
	assert_int_equal(parse(b.p, b.len, &doc, &err), 0);
	assert_int_equal(doc->root->n_items, 45000);
	sg_cfg_doc_free(doc);
	tbuf_printf(&b, "k0: again\n");
	expect_error(b.p, b.len, -EINVAL,
		     "t.yaml:45001:1: k0: duplicate key (first written at line 1 column 1)");
	assert_true(cpu_seconds() - t0 < 2 * HOSTILE_CPU_MAX);
	tbuf_free(&b);
}

/* Paths longer than struct sg_cfg_error.key are cut, never overflowed. */
static void
test_long_path_truncated(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	unsigned int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		tbuf_repeat(&b, " ", 2 * i);
		tbuf_printf(&b, "k%02u", i);
		tbuf_repeat(&b, "x", 100);
		tbuf_add(&b, ":\n", 2);
	}
	tbuf_repeat(&b, " ", 40);
	tbuf_add(&b, "a: 1\n", 5);
	tbuf_repeat(&b, " ", 40);
	tbuf_add(&b, "a: 2\n", 5);
	assert_int_equal(parse(b.p, b.len, &doc, &err), -EINVAL);
	assert_int_equal(err.line, 22);
	assert_int_equal(strlen(err.key), sizeof(err.key) - 1);
	assert_memory_equal(err.key, "k00xxx", 6);
	assert_string_equal(err.msg, "duplicate key (first written at line 21 column 41)");
	tbuf_free(&b);
}

static void
test_multiple_documents(void **state)
{
	(void)state;
	expect_error_str("a: 1\n---\nb: 2\n", "t.yaml:2:1: a second YAML document: one file holds "
					      "exactly one document (remove the extra '---')");
	expect_error_str("---\na: 1\n...\n---\n", "t.yaml:4:1: a second YAML document: one file "
						  "holds exactly one document (remove the "
						  "extra '---')");
}

static void
test_non_scalar_keys(void **state)
{
	(void)state;
	expect_error_str("? [a]\n: 1\n", "t.yaml:1:3: a mapping key must be a scalar, not a "
					 "sequence");
	expect_error_str("x: {{a: 1}: 2}\n", "t.yaml:1:5: x: a mapping key must be a scalar, not "
					     "a map");
}

static void
test_tags(void **state)
{
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	const struct sg_cfg_node *r;

	(void)state;
	assert_int_equal(parse_str("a: !!str 12\nb: !!int '12'\nc: ! 12\nd: !!map {x: 1}\n"
				   "e: !!seq [1]\nf: !!null ~\ng: !!bool true\nh: !!float 1.5\n",
				   &doc, &err),
			 0);
	r = doc->root;
	assert_true(sg_cfg_node_get(r, "a")->quoted);
	assert_string_equal(sg_cfg_node_get(r, "a")->tag, "tag:yaml.org,2002:str");
	assert_false(sg_cfg_node_get(r, "b")->quoted);
	assert_true(sg_cfg_node_get(r, "c")->quoted);
	assert_int_equal(sg_cfg_node_get(r, "d")->type, SG_CFG_NODE_MAP);
	assert_true(sg_cfg_node_is_null(sg_cfg_node_get(r, "f")));
	sg_cfg_doc_free(doc);

	expect_error_str("a: !custom 1\n", "t.yaml:1:4: a: tag \"!custom\" is not allowed (only "
					   "the YAML core schema tags !!str, !!int, !!bool, "
					   "!!null, !!float, !!map, !!seq)");
	expect_error_str("a: !!binary aGk=\n", "t.yaml:1:4: a: tag \"tag:yaml.org,2002:binary\" is "
					       "not allowed (only the YAML core schema tags "
					       "!!str, !!int, !!bool, !!null, !!float, !!map, "
					       "!!seq)");
	expect_error_str("a: !!seq {x: 1}\n", "t.yaml:1:4: a: tag \"tag:yaml.org,2002:seq\" is not "
					      "allowed (only the YAML core schema tags !!str, "
					      "!!int, !!bool, !!null, !!float, !!map, !!seq)");
	/* %TAG can re-point !! : the resolved tag is what counts. */
	expect_error_str("%TAG !! tag:example.com,2000:\n---\na: !!str 1\n",
			 "t.yaml:3:4: a: tag \"tag:example.com,2000:str\" is not allowed (only "
			 "the YAML core schema tags !!str, !!int, !!bool, !!null, !!float, !!map, "
			 "!!seq)");
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	expect_error_str("a: [1\n", "t.yaml:2:1: YAML syntax error: did not find expected ',' or "
				    "']' (while parsing a flow sequence at line 1 column 4)");
	expect_error_str("a: 1\n b: 2\n", "t.yaml:2:3: YAML syntax error: mapping values are not "
					  "allowed in this context");
	expect_error_str("a: \"x\n", "t.yaml:2:1: YAML syntax error: found unexpected end of "
				     "stream (while scanning a quoted scalar at line 1 column 4)");
}

static void
test_invalid_bytes(void **state)
{
	static const char nul[] = "a: 1\nb: \0\n";

	(void)state;
	expect_error_str("a: \xff\n", "t.yaml:1:4: invalid input: invalid leading UTF-8 octet "
				      "(#FF); the file must be UTF-8 text");
	expect_error_str("a: \x01\n", "t.yaml:1:4: invalid input: control characters are not "
				      "allowed (#1); the file must be UTF-8 text");
	expect_error(nul, sizeof(nul) - 1, -EINVAL,
		     "t.yaml:2:4: invalid input: control characters are not allowed (#0); the "
		     "file must be UTF-8 text");
}

static void
test_size_limit_buffer(void **state)
{
	struct tbuf b = {0};
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;

	(void)state;
	/* Exactly the limit is accepted. */
	tbuf_add(&b, "a: 1\n", 5);
	while (b.len < SG_CFG_FILE_MAX - 64)
		tbuf_add(&b, "# padding padding padding padding padding padding padding\n", 58);
	while (b.len < SG_CFG_FILE_MAX - 1)
		tbuf_add(&b, "#", 1);
	tbuf_add(&b, "\n", 1);
	assert_int_equal(b.len, SG_CFG_FILE_MAX);
	assert_int_equal(parse(b.p, b.len, &doc, &err), 0);
	sg_cfg_doc_free(doc);
	tbuf_add(&b, "\n", 1);
	expect_error(b.p, b.len, -EFBIG,
		     "t.yaml: file of 1048577 bytes is over the limit of 1048576 bytes");
	tbuf_free(&b);
	/* 2 MiB */
	tbuf_repeat(&b, "# 2 MiB of comments, never handed to libyaml ....\n",
		    2 * 1024 * 1024 / 50);
	expect_error(b.p, b.len, -EFBIG,
		     "t.yaml: file of 2097150 bytes is over the limit of "
		     "1048576 bytes");
	tbuf_free(&b);
}

static void
test_files(void **state)
{
	char dir[] = "/tmp/sgcfg-test-XXXXXX";
	char path[64];
	struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	FILE *f;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (i = 0; i < 2u * 1024 * 1024 / 64; i++)
		fputs("# a 2 MiB file: rejected from its size before it is read .....\n", f);
	fclose(f);
	assert_int_equal(sg_cfg_doc_load(path, &doc, &err), -EFBIG);
	assert_null(doc);
	assert_non_null(strstr(err.msg, "over the limit of 1048576 bytes"));
	assert_string_equal(err.file, path);
	unlink(path);

	snprintf(path, sizeof(path), "%s/ok.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("a: [1, 2]\n", f);
	fclose(f);
	assert_int_equal(sg_cfg_doc_load(path, &doc, &err), 0);
	assert_string_equal(doc->name, path);
	assert_int_equal(doc->root->items[0]->n_items, 2);
	sg_cfg_doc_free(doc);
	unlink(path);

	assert_int_equal(sg_cfg_doc_load(path, &doc, &err), -ENOENT);
	assert_null(doc);
	assert_string_equal(err.msg, "cannot open: No such file or directory");
	assert_int_equal(sg_cfg_doc_load(dir, &doc, &err), -EINVAL);
	assert_string_equal(err.msg, "not a regular file");
	/* /dev/zero would never end: refused as not a regular file. */
	assert_int_equal(sg_cfg_doc_load("/dev/zero", &doc, &err), -EINVAL);
	rmdir(dir);
}

static void
test_null_error_pointer(void **state)
{
	struct sg_cfg_doc *doc;

	(void)state;
	assert_int_equal(sg_cfg_doc_parse("a: &x 1", 7, "n", &doc, NULL), -EINVAL);
	assert_int_equal(sg_cfg_doc_parse("a: [", 4, "n", &doc, NULL), -EINVAL);
	assert_int_equal(sg_cfg_doc_parse("a: 1", 4, NULL, &doc, NULL), 0);
	assert_string_equal(doc->name, "<buffer>");
	sg_cfg_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_depth_limit_exact),
		cmocka_unit_test(test_deep_flow_seq_100k),
		cmocka_unit_test(test_deep_flow_map_100k),
		cmocka_unit_test(test_deep_block_seq_100k),
		cmocka_unit_test(test_anchor_alias),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_scalar_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_duplicate_keys_large_map),
		cmocka_unit_test(test_long_path_truncated),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_non_scalar_keys),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_invalid_bytes),
		cmocka_unit_test(test_size_limit_buffer),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_null_error_pointer),
	};

	return cmocka_run_group_tests_name("config_doc", tests, NULL, NULL);
}
