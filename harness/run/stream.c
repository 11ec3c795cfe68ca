/* SPDX-License-Identifier: MIT */
/*
 * A program's output, kept bounded (stream.h). Runs in the run's worker process.
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

/* The last STREAM_MAX bytes, once the output has run past the head: the whole chunk of n
 * bytes read, of which the head took its first `took`. */
static void keep_tail(struct stream *s, const char *chunk, size_t n, size_t took, size_t overlap)
{
	if (!s->tail) {
		if (!(s->tail = malloc(STREAM_MAX)))
			return;
		/* What came before this chunk starts it (as much as the longest text an await looks
		 * for), so a text that runs across the head's end is found too. */
		size_t before = s->nhead - took, seed = before < overlap ? before : overlap;
		memcpy(s->tail, s->head + before - seed, seed);
		s->ntail = seed;
	}
	if (n > STREAM_MAX) {
		chunk += n - STREAM_MAX;
		n = STREAM_MAX;
	}
	if (s->ntail + n > STREAM_MAX) {
		size_t drop = s->ntail + n - STREAM_MAX;
		memmove(s->tail, s->tail + drop, s->ntail - drop);
		s->ntail -= drop;
	}
	memcpy(s->tail + s->ntail, chunk, n);
	s->ntail += n;
}

void stream_add(struct stream *s, const char *chunk, size_t n, size_t overlap)
{
	size_t keep = STREAM_MAX - s->nhead < n ? STREAM_MAX - s->nhead : n;

	memcpy(s->head + s->nhead, chunk, keep);
	s->nhead += keep;
	s->head[s->nhead] = 0;
	s->lost += n - keep;
	if (keep < n)
		keep_tail(s, chunk, n, keep, overlap);
}

bool stream_has(const struct stream *s, const char *text)
{
	size_t len = strlen(text);

	return memmem(s->head, s->nhead, text, len) || (s->tail && memmem(s->tail, s->ntail, text, len));
}

void stream_free(struct stream *s)
{
	free(s->tail);
	s->tail = NULL;
}
