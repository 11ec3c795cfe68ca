/* SPDX-License-Identifier: MIT */
/*
 * The scenario language's own parts: what words.c (tokens, numbers, hosts: the words),
 * scenario.c (lines, headers), statements.c (the statement table and each statement's parser)
 * and statements-programs.c share. Nothing else includes it. words.c depends on none of the
 * others; statements*.c on words.c; scenario.c on both.
 */
#pragma once

#include "lang.h"

#define MAX_TOKENS 24

struct token {
	const char *s;
	unsigned col;
};

/* One line being parsed. */
struct parser {
	const char *path;
	unsigned line;
	struct token tok[MAX_TOKENS];
	unsigned ntok;
	char *err;
	size_t errlen;
	struct scenario *s;
	unsigned eq_at, within_at, after_at, as_at;  /* the line's '=', 'within', 'after', 'as' (token index), if given */
	/* Set by the dispatch for the statement's parser: */
	const struct statement *stmt;     /* the table entry that matched */
	unsigned at;                      /* the first token after the keyword (and HOST.PROGRAM, MATCH_PROGRAM) */
	unsigned n;                       /* tokens left once 'within'/'after' are taken off the end */
	bool waits;                       /* an 'await' line rather than 'expect' */
	const char *raw;                  /* the line as written (STMT_RAW) */
	const char *rest;                 /* raw after the first word, blanks skipped */
};

/* ---- words.c: the words every part of the parser uses ---- */

/* "FILE:LINE:COL: message" into p->err; -EINVAL. */
int fail_at(struct parser *p, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at token i (past the end: the last token). */
int fail_tok(struct parser *p, unsigned i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A whole number in [min, max]. */
int parse_num(const char *s, long long min, long long max, long long *ret);
int parse_duration(const char *s, int *ret_ms);
/* 1 to max - 1 letters, digits, '_' or '-'. */
bool valid_name(const char *s, size_t max);
/* A network sysctl's name as sysctl(8) writes it ("net.ipv4.tcp_retries2"), shorter than max. */
bool sysctl_key_valid(const char *k, size_t max);
/* Splits line (modified in place) into tokens; '#' ends it. */
int tokenize(struct parser *p, char *line);

/* A host's name at token i: its index in *ret, or an error naming the hosts. */
int host_tok(struct parser *p, unsigned i, int *ret);
/* Takes 'within DUR' and 'after DUR' off the end of tokens [0, *n) into st. */
int within_tail(struct parser *p, unsigned *n, struct step *st);

/* statements-middlebox.c: the router's middlebox and the host settings that go with it */
int parse_idle_timeout(struct parser *p, struct step *st);
int parse_mtu(struct parser *p, struct step *st);
int parse_port_range(struct parser *p, struct step *st);
int parse_snat(struct parser *p, struct step *st);
int parse_conntrack_max(struct parser *p, struct step *st);

/* statements-programs.c */
/* Whether w is HOST.PROG for a program an earlier exec started; if so, sets st->host, st->sock. */
bool prog_word(struct parser *p, const char *w, struct step *st);
/* HOST or HOST.PROG at token i. */
int host_or_prog_tok(struct parser *p, unsigned i, struct step *st);
/* The parsers of its statements (their table entries: statements.c). */
int parse_exec(struct parser *p, struct step *st);
int parse_listen(struct parser *p, struct step *st);
int parse_output(struct parser *p, struct step *st);
int parse_call(struct parser *p, struct step *st);
int parse_running(struct parser *p, struct step *st);
int parse_no_call(struct parser *p, struct step *st);

/* statements-paths.c: the path between two hosts (partition, heal, drop, inject), stop, cont */
int parse_partition(struct parser *p, struct step *st);
int parse_drop(struct parser *p, struct step *st);
int parse_inject(struct parser *p, struct step *st);
int parse_stop(struct parser *p, struct step *st);

/* statements.c: the table */
/* Whether line (blanks skipped) is a statement that takes its rest as written. */
bool statement_is_raw(const char *line);
/* Parses the line's step through the statement table, then what it takes at its end. */
int statement_parse(struct parser *p, struct step *st);
/* The most peer commands an operation step may send (with the socket and bind made first). */
unsigned statement_cmds(const struct step *st);
