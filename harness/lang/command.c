/* SPDX-License-Identifier: MIT */
/*
 * Command lines of "exec" steps: split as a shell splits a simple command, with placeholders
 * ({port}, {ipv}, {family}, {dir}, {HOST}, {[HOST]}) replaced; and the texts of "output"
 * steps, where the same placeholders are replaced (no quoting, no splitting). Used by the
 * parser (to refuse a bad line with its column) and by the run (for the run's family).
 * Pure: no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lang.h"

#define PLACEHOLDERS_TEXT "unknown placeholder {%.*s} ({port}, {ipv}, {family}, {dir}, {HOST}, {[HOST]} " \
	"with HOST one of the hosts)"

struct subst {
	const struct scenario *s;
	int family;               /* 0: parse time, nothing substituted yet */
	int port;
};

/* {port}, {ipv} (4 or 6), {family} (inet or inet6), {dir} (the scenario file's folder),
 * {HOST} (its address), {[HOST]} (its address, bracketed if IPv6, for URLs and socat).
 * Appends to out; -ENOENT if unknown. */
static int placeholder(const struct subst *x, const char *name, size_t n, char *out, size_t *len, size_t cap)
{
	char word[64], addr[64], val[80];
	const char *v = val;
	bool brackets = false;

	if (n >= sizeof word)
		return -ENOENT;
	snprintf(word, sizeof word, "%.*s", (int)n, name);
	if (n > 2 && word[0] == '[' && word[n - 1] == ']') {
		memmove(word, word + 1, n - 2);
		word[n - 2] = 0;
		brackets = true;
	}
	int h = scenario_host(x->s, word);
	if (!brackets && strcmp(word, "port") == 0)
		snprintf(val, sizeof val, "%d", x->port);
	else if (!brackets && strcmp(word, "ipv") == 0)
		snprintf(val, sizeof val, "%s", x->family == AF_INET6 ? "6" : "4");
	else if (!brackets && strcmp(word, "family") == 0)
		snprintf(val, sizeof val, "%s", x->family == AF_INET6 ? "inet6" : "inet");
	else if (!brackets && strcmp(word, "dir") == 0)
		v = x->s->dir;
	else if (h >= 0 && x->family == AF_INET6 && brackets)
		snprintf(val, sizeof val, "[%s]", scenario_host_addr(x->s, h, AF_INET6, addr));
	else if (h >= 0)
		snprintf(val, sizeof val, "%s", scenario_host_addr(x->s, h, x->family ? x->family : AF_INET, addr));
	else
		return -ENOENT;
	size_t vl = strlen(v);
	if (*len + vl >= cap)
		return -E2BIG;
	memcpy(out + *len, v, vl);
	*len += vl;
	return 0;
}

/* A {placeholder} at c (c[0] == '{'): its name's length, or 0 if c starts none (a '{' followed
 * by blanks, quotes or no '}' is text as written). */
static size_t placeholder_at(const char *c)
{
	size_t n = strcspn(c + 1, "} \t'\"");
	return c[1 + n] == '}' && n > 0 ? n : 0;
}

/*
 * Splits cmd as a shell would split a simple command: blanks separate words; '...' is literal;
 * "..." keeps blanks, with \" and \\; a backslash outside quotes takes the next character as
 * it is; '#' at the start of a word begins a comment. {placeholders} are replaced outside
 * single quotes. Words go into buf, pointers into argv (NULL-terminated). Returns the word
 * count, or -EINVAL with a reason in err and the offset of the fault in *at.
 */
int command_split(const char *cmd, const struct scenario *s, int family, int port, char **argv, size_t max,
		  char *buf, size_t cap, char *err, size_t errlen, size_t *at)
{
	const struct subst xs = { .s = s, .family = family, .port = port }, *x = &xs;
	size_t len = 0;
	int argc = 0;
	const char *c = cmd;

	for (;;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c || *c == '#')
			break;
		if ((size_t)argc + 1 >= max) {
			*at = (size_t)(c - cmd);
			snprintf(err, errlen, "more than %zu words in the command", max - 1);
			return -EINVAL;
		}
		argv[argc++] = buf + len;
		char quote = 0;
		const char *qstart = c;
		while (*c && (quote || (*c != ' ' && *c != '\t'))) {
			if (len + 2 >= cap) {
				*at = (size_t)(c - cmd);
				snprintf(err, errlen, "command too long once placeholders are replaced");
				return -EINVAL;
			}
			if (!quote && (*c == '\'' || *c == '"')) {
				quote = *c++;
				qstart = c - 1;
				continue;
			}
			if (quote && *c == quote) {
				quote = 0;
				c++;
				continue;
			}
			if (*c == '\\' && quote != '\'' && c[1] && (!quote || c[1] == '"' || c[1] == '\\')) {
				buf[len++] = c[1];
				c += 2;
				continue;
			}
			if (*c == '{' && quote != '\'') {
				size_t n = placeholder_at(c);
				if (n) {
					int e = placeholder(x, c + 1, n, buf, &len, cap - 1);
					if (e < 0) {
						*at = (size_t)(c - cmd);
						if (e == -ENOENT)
							snprintf(err, errlen, PLACEHOLDERS_TEXT, (int)n, c + 1);
						else
							snprintf(err, errlen, "command too long once placeholders are replaced");
						return -EINVAL;
					}
					c += n + 2;
					continue;
				}
			}
			buf[len++] = *c++;
		}
		if (quote) {
			*at = (size_t)(qstart - cmd);
			snprintf(err, errlen, "unterminated %s quote", quote == '"' ? "double" : "single");
			return -EINVAL;
		}
		buf[len++] = 0;
	}
	argv[argc] = NULL;
	if (!argc) {
		*at = (size_t)(c - cmd);
		snprintf(err, errlen, "expected a command to run");
		return -EINVAL;
	}
	return argc;
}

int program_check_command(const struct scenario *s, const char *cmd, char *err, size_t len, size_t *ret_at)
{
	char *argv[128], buf[4096];
	int n = command_split(cmd, s, AF_INET6, 65535, argv, 128, buf, sizeof buf, err, len, ret_at);

	return n < 0 ? n : 0;
}


int scenario_expand_text(const struct scenario *s, const char *text, int family, int port, char *buf, size_t cap,
			 char *err, size_t errlen, size_t *ret_at)
{
	const struct subst x = { .s = s, .family = family, .port = port };
	size_t len = 0;

	if (!cap)
		return -EINVAL;
	for (const char *c = text; *c;) {
		size_t n = *c == '{' ? placeholder_at(c) : 0;
		if (n) {
			int e = placeholder(&x, c + 1, n, buf, &len, cap);
			if (e < 0) {
				*ret_at = (size_t)(c - text);
				if (e == -ENOENT)
					snprintf(err, errlen, PLACEHOLDERS_TEXT, (int)n, c + 1);
				else
					snprintf(err, errlen, "text too long once placeholders are replaced");
				return -EINVAL;
			}
			c += n + 2;
			continue;
		}
		if (len + 1 >= cap) {
			*ret_at = (size_t)(c - text);
			snprintf(err, errlen, "text too long once placeholders are replaced");
			return -EINVAL;
		}
		buf[len++] = *c++;
	}
	buf[len] = 0;
	return (int)len;
}

int scenario_output_text(const struct scenario *s, const struct step *st, int family, char *buf, size_t cap)
{
	char err[256];
	size_t at;
	int r = scenario_expand_text(s, st->output.text, family, st->output.port, buf, cap, err, sizeof err, &at);

	return r < 0 ? r : 0;
}
