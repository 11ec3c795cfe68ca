/* SPDX-License-Identifier: MIT */
/*
 * What a program wrote on one of its outputs (stream.c): the first STREAM_MAX bytes for the
 * result, and past them the last STREAM_MAX too, so that an 'output' await still finds a text
 * written late. Private to harness/run/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define STREAM_MAX (64 * 1024)

struct stream {
	char head[STREAM_MAX + 1];        /* the first STREAM_MAX bytes, NUL-terminated */
	size_t nhead, lost;               /* lost: bytes not kept in head */
	char *tail;                       /* past head: the last STREAM_MAX bytes (malloc'd) */
	size_t ntail;
};

/* Adds n bytes written; texts up to overlap bytes long are found across the head's end. */
void stream_add(struct stream *s, const char *chunk, size_t n, size_t overlap);
/* Whether text is in the head or the tail. */
bool stream_has(const struct stream *s, const char *text);
void stream_free(struct stream *s);
