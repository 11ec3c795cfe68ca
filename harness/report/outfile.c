/* SPDX-License-Identifier: MIT */
/*
 * Files tcpfault writes (the report of -o, the captures of --pcap-dir): made under a temporary
 * name beside the final one and renamed over it only when complete, so a failed or interrupted
 * run never leaves a half-written file nor destroys the previous one; and never through a
 * symbolic link, so a link planted in a shared folder cannot redirect a root run's output.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "report.h"

int report_file_open(const char *path, struct report_file *f, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	struct stat st;

	*f = (struct report_file){ .fd = -1, .dirfd = -1 };
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err, errlen, "%s: not a file name", path);
		return -EISDIR;
	}
	if (snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".") >= (int)sizeof dir ||
	    strlen(base) + 16 > NAME_MAX) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if ((f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = -errno;
		snprintf(err, errlen, "%s: opening its folder: %s", path, strerror(-e));
		return e;
	}
	/* The final name may be a file (replaced whole at the end), not a link: rename() would
	 * replace the link, not write through it, but a link there is someone's trap or mistake. */
	bool exists = fstatat(f->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	/* A device or a FIFO (-o /dev/null, a pipe to a reader) is written in place: it has no
	 * old content to keep, and cannot be renamed over. */
	if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
		if ((f->fd = openat(f->dirfd, base, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			int e = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-e));
			report_file_abandon(f);
			return e;
		}
		return f->fd;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: refused: it is %s, and tcpfault writes only regular files (it never "
			 "follows a link)", path, S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ?
			 "a directory" : "not a regular file");
		report_file_abandon(f);
		return -ELOOP;
	}
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)(uintptr_t)f;
	for (int tries = 0; tries < 100; tries++) {
		char tmp[NAME_MAX + 1];
		seed = seed * 1103515245u + 12345u;
		snprintf(tmp, sizeof tmp, ".%s.%06x.tmp", base, seed & 0xffffff);
		/* O_EXCL|O_NOFOLLOW: a name someone made first (a link, a file) is never opened. */
		f->fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f->fd >= 0) {
			if (!(f->tmp = strdup(tmp)) || !(f->name = strdup(base))) {
				report_file_abandon(f);
				snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
				return -ENOMEM;
			}
			return f->fd;
		}
		if (errno != EEXIST) {
			int e = -errno;
			snprintf(err, errlen, "%s: creating %s beside it: %s", path, tmp, strerror(-e));
			report_file_abandon(f);
			return e;
		}
	}
	snprintf(err, errlen, "%s: no free temporary name beside it", path);
	report_file_abandon(f);
	return -EEXIST;
}

int report_file_commit(struct report_file *f)
{
	int e = 0;

	if (f->tmp && renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0)
		e = -errno;
	if (!e) {
		free(f->tmp);
		f->tmp = NULL;      /* renamed: nothing to remove */
	}
	report_file_abandon(f);
	return e;
}

void report_file_abandon(struct report_file *f)
{
	if (f->tmp && f->dirfd >= 0)
		unlinkat(f->dirfd, f->tmp, 0);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->tmp);
	free(f->name);
	*f = (struct report_file){ .fd = -1, .dirfd = -1 };
}
