/* SPDX-License-Identifier: MIT */
/*
 * Where scenarios come from: the catalog folder (installed, or the source tree's when run from
 * the build tree; $TCPFAULT_SCENARIOS), the examples folder ($TCPFAULT_EXAMPLES), the peer
 * program ($TCPFAULT_PEER); names resolved to files; the list 'tcpfault list' shows, in order.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"
/* True if the running executable is the one in the build tree (then the source tree's
 * catalog and the build tree's peer are used). */
static bool in_build_tree(void)
{
	char exe[PATH_MAX], want[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		return false;
	exe[n] = 0;
	char *slash = strrchr(TCPFAULT_BUILD_PEER, '/');
	/* build/peers/tcpfault-peer -> build/harness/tcpfault */
	snprintf(want, sizeof want, "%.*s/../harness/tcpfault", (int)(slash - TCPFAULT_BUILD_PEER), TCPFAULT_BUILD_PEER);
	char *real = realpath(want, NULL);
	bool same = real && strcmp(real, exe) == 0;
	free(real);
	return same;
}

static const char *catalog_dir(void)
{
	const char *env = getenv("TCPFAULT_SCENARIOS");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_SOURCE_SCENARIOS : TCPFAULT_DATADIR "/scenarios";
}

const char *peer_path(void)
{
	const char *env = getenv("TCPFAULT_PEER");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_BUILD_PEER : TCPFAULT_LIBEXECDIR "/tcpfault-peer";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_strv(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* The examples: scenarios with real programs, installed beside the catalog (the source tree's
 * when run from the build tree); TCPFAULT_EXAMPLES names another folder. */
const char *examples_dir(void)
{
	const char *env = getenv("TCPFAULT_EXAMPLES");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_SOURCE_SCENARIOS "/examples" : TCPFAULT_DATADIR "/examples";
}

/* The .tcpf files of dir, sorted. Returns the count or -errno: a folder that cannot be read
 * whole (more than MAX_SCENARIOS files: -E2BIG; out of memory; a failed readdir) is an error,
 * never a shorter list. */
static int folder_files(const char *dir, char ***ret)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	int n = 0, r = 0;

	if (!d)
		return -errno;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			r = -errno;
			break;
		}
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".tcpf") != 0)
			continue;
		if (n == MAX_SCENARIOS) {
			r = -E2BIG;
			break;
		}
		char **g = realloc(v, (size_t)(n + 1) * sizeof *g);
		if (!g || asprintf(&g[n], "%s/%s", dir, e->d_name) < 0) {
			v = g ? g : v;
			r = -ENOMEM;
			break;
		}
		v = g;
		n++;
	}
	closedir(d);
	if (r < 0) {
		free_strv(v, n);
		return r;
	}
	qsort(v, (size_t)n, sizeof *v, by_name);
	*ret = v;
	return n;
}

/* Says why a folder of scenarios could not be read (folder_files()'s error). */
static void folder_error(const char *what, const char *dir, int e)
{
	if (e == -E2BIG)
		fprintf(stderr, "tcpfault: the %s folder %s holds more than %d scenario files\n", what, dir, MAX_SCENARIOS);
	else
		fprintf(stderr, "tcpfault: the %s folder %s: %s\n", what, dir, strerror(-e));
}

/* Loads path, a scenario of the catalog when catalog is set (then it must name its mode), whose
 * programs must exist when programs is set (check, run: not list); says why not on stderr. */
int load(const char *path, bool catalog, bool programs, struct scenario **ret)
{
	char err[1024];
	int r = scenario_load(path, ret, err, sizeof err);

	if (r >= 0 && ((catalog && (r = scenario_check_catalog(*ret, err, sizeof err)) < 0) ||
		       (programs && (r = scenario_check_programs(*ret, err, sizeof err)) < 0))) {
		scenario_free(*ret);
		*ret = NULL;
	}
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	return r;
}

/* NAME or FILE -> a path. A word without '/' that is not an existing file is a catalog name,
 * else an example's name; *ret_catalog says which came from the catalog. */
char *resolve(const char *arg, bool *ret_catalog)
{
	const char *dirs[] = { catalog_dir(), examples_dir() };
	struct stat st;
	char *p;

	*ret_catalog = false;
	if (strchr(arg, '/') || stat(arg, &st) == 0)
		return strdup(arg);
	for (int i = 0; i < 2; i++) {
		if (asprintf(&p, "%s/%s.tcpf", dirs[i], arg) < 0)
			return NULL;
		if (stat(p, &st) == 0) {
			*ret_catalog = i == 0;
			return p;
		}
		free(p);
	}
	return NULL;
}


/* List order: the catalog, by section letter, then the mode's number (B2 before B10), then the
 * name; then the examples, by name. */
static int by_mode(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;
	long nx = strtol(x->mode + 1, NULL, 10), ny = strtol(y->mode + 1, NULL, 10);

	if (x->example != y->example)
		return x->example ? 1 : -1;
	if (x->example)
		return strcmp(x->name, y->name);
	if (x->mode[0] != y->mode[0])
		return x->mode[0] < y->mode[0] ? -1 : 1;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The sections of failure-modes.md; a mode id starts with one of these letters. */
const char *section_title(char letter)
{
	switch (letter) {
	case 'A': return "A. Establishing a connection";
	case 'B': return "B. While data flows";
	case 'C': return "C. Closing";
	case 'D': return "D. Timeouts and misuse";
	case 'E': return "E. Between the hosts";
	}
	return "Other";
}

void free_entries(struct list_entry *v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* The catalog (and with all the examples too) in list order, each file parsed: the count, or
 * -1 when a folder cannot be read (said on stderr). *ret_bad: a file did not parse (said on
 * stderr, left out). */
int list_entries(bool all, struct list_entry **ret, bool *ret_bad)
{
	struct list_entry *v = NULL;
	int count = 0;

	*ret_bad = false;
	for (int k = 0; k < 1 + all; k++) {
		const char *dir = k ? examples_dir() : catalog_dir();
		char **files = NULL;
		int n = folder_files(dir, &files);
		if (n == -ENOENT && k == 1)
			continue;        /* installed without its examples: none to list */
		if (n < 0) {
			folder_error(k ? "examples" : "catalog", dir, n);
			free_entries(v, count);
			return -1;
		}
		struct list_entry *g = realloc(v, ((size_t)count + (size_t)n + 1) * sizeof *g);
		if (!g) {
			free_strv(files, n);
			free_entries(v, count);
			fprintf(stderr, "tcpfault: out of memory\n");
			return -1;
		}
		v = g;
		for (int i = 0; i < n; i++) {
			struct scenario *s;
			if (load(files[i], k == 0, false, &s) < 0) {
				*ret_bad = true;
				free(files[i]);
				continue;
			}
			struct list_entry *e = &v[count++];
			*e = (struct list_entry){ .path = files[i], .example = k == 1 };
			snprintf(e->name, sizeof e->name, "%s", s->name);
			snprintf(e->mode, sizeof e->mode, "%s", s->mode);
			snprintf(e->summary, sizeof e->summary, "%s", s->summary);
			scenario_free(s);
		}
		free(files);
	}
	qsort(v, (size_t)count, sizeof *v, by_mode);
	*ret = v;
	return count;
}
