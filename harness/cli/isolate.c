/* SPDX-License-Identifier: MIT */
/*
 * The controller's own isolation, before any sandbox: a network namespace of its own (and,
 * without root, a user namespace of its own, uid and gid mapped to the caller's), so nothing
 * it does can reach the host's network configuration even by mistake. Where unprivileged user
 * namespaces are forbidden, the message names the switch and how to allow it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cli.h"

/* The first line of a /proc/sys file as a number; -1 if it cannot be read. */
static long sysctl_value(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/* Says which knob forbids unprivileged user namespaces here, and how to allow them. */
static void userns_advice(void)
{
	bool named = false;

	if (sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		fprintf(stderr, "  - AppArmor restricts unprivileged user namespaces "
			"(kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10 and later).\n"
			"    Allow them: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give\n"
			"    tcpfault an AppArmor profile with the 'userns,' rule.\n");
		named = true;
	}
	if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		fprintf(stderr, "  - kernel.unprivileged_userns_clone = 0 (a Debian kernel switch).\n"
			"    Allow them: sysctl -w kernel.unprivileged_userns_clone=1\n");
		named = true;
	}
	if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0) {
		fprintf(stderr, "  - user.max_user_namespaces = 0: no user namespace may be made.\n"
			"    Allow them: sysctl -w user.max_user_namespaces=10000\n");
		named = true;
	}
	if (!named)
		fprintf(stderr, "  - none of the usual switches is set (kernel.apparmor_restrict_unprivileged_userns,\n"
			"    kernel.unprivileged_userns_clone, user.max_user_namespaces): a container's seccomp\n"
			"    filter, an LSM, or a user namespace limit may forbid it. Or run tcpfault as root.\n");
	else
		fprintf(stderr, "  Or run tcpfault as root.\n");
}

/* Moves the controller into namespaces of its own. Without root, a user namespace first. */
int isolate(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0 && unshare(CLONE_NEWNET) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		int e = errno;
		fprintf(stderr, "tcpfault: cannot create a network namespace: %s.\n"
			"tcpfault needs root, or unprivileged user namespaces, which this machine forbids:\n",
			strerror(e));
		userns_advice();
		return -e;
	}
	char map[64];
	int fd, len;
	if ((fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "deny", 4) < 0) { /* old kernels lack it; the gid map says if it mattered */ }
		close(fd);
	}
	const char *files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
	unsigned ids[] = { uid, gid };
	for (int i = 0; i < 2; i++) {
		len = snprintf(map, sizeof map, "0 %u 1\n", ids[i]);
		fd = open(files[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)len) != len) {
			int e = errno;
			fprintf(stderr, "tcpfault: writing %s: %s\n", files[i], strerror(e));
			userns_advice();
			if (fd >= 0)
				close(fd);
			return -e;
		}
		close(fd);
	}
	return 0;
}
