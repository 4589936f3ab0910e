/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The arena of a parsed document: chunks of 64 KiB (or one chunk of the
 * size asked for, when larger), allocated bump-wise and freed together.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_CHUNK ((size_t)64 * 1024)
#define ARENA_ALIGN 16u

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t cap;
	/* data follows, ARENA_ALIGN aligned */
};

struct sg_cfg_arena {
	struct arena_chunk *head;
};

static size_t
arena_hdr(void)
{
	return (sizeof(struct arena_chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

struct sg_cfg_arena *
sg_cfg_arena_new(void)
{
	return calloc(1, sizeof(struct sg_cfg_arena));
}

void *
sg_cfg_arena_alloc(struct sg_cfg_arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	void *p;

	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (c == NULL || c->cap - c->used < size) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;

		c = malloc(arena_hdr() + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c + arena_hdr() + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

void
sg_cfg_arena_free(struct sg_cfg_arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
