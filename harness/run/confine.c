/* SPDX-License-Identifier: MIT */
/*
 * Programs confined: an exec'd program runs without any privilege over the host, even when
 * tcpfault runs as root. In the forked child, before its exec (async-signal-safe calls only):
 *
 *   1. as root (of the initial user namespace, or of one that maps other users: rootless
 *      podman), it becomes an unprivileged user (the user behind sudo, else nobody): no
 *      capability is left, the host's files are out of its reach;
 *   2. it enters a user namespace and a mount namespace of its own, uid and gid 0 inside mapped
 *      to that user outside (as rootless mode does for tcpfault itself): it is "root" to itself
 *      but holds no capability over the network namespaces (owned by the user namespace
 *      above), so it cannot enter another one, nor change its own host's configuration;
 *   3. no_new_privs: a setuid program it runs gains nothing.
 *
 * It keeps its host's network namespace and the worker's PID namespace and /proc (jobs.c).
 * With --privileged-programs, none of this happens (and the result says so).
 *
 * Where the confined user cannot reach a file the program needs (a build tree under a mode-700
 * /root), program.c hands it over as an open fd; confine_reaches() says which.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"

/* Whether id is mapped in our user namespace (path: /proc/self/uid_map or gid_map); with
 * ret_zero_outside, whether our 0 is the parent namespace's 0 (root in disguise). */
static bool mapped(const char *path, unsigned long id, bool *ret_zero_outside)
{
	char line[128];
	FILE *f = fopen(path, "re");
	unsigned long inside, outside, count;
	bool found = false;

	for (int i = 0; f && i < 340 && fgets(line, sizeof line, f); i++)   /* 340: the kernel's most lines */
		if (sscanf(line, "%lu %lu %lu", &inside, &outside, &count) == 3) {
			found |= id >= inside && id - inside < count;
			if (ret_zero_outside && inside == 0)
				*ret_zero_outside = outside == 0;
		}
	if (f)
		fclose(f);
	return found;
}

/* A number from the environment (SUDO_UID), or -1. */
static long env_id(const char *name)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return -1;
	long n = strtol(v, &end, 10);
	return *end || n <= 0 || n > 0x7fffffffL ? -1 : n;
}

void confine_prepare(struct confine *c, bool privileged)
{
	*c = (struct confine){ .on = !privileged };
	if (privileged)
		return;
	c->uid = getuid();
	c->gid = getgid();
	if (c->uid != 0)
		goto maps;
	/* Root (of whatever user namespace): the user behind sudo, else nobody, where this
	 * namespace maps that user (the initial one maps all; rootless podman's maps a range;
	 * tcpfault's own rootless one maps only the caller, who then stays: no privilege to lose). */
	long u = env_id("SUDO_UID"), g = env_id("SUDO_GID");
	const struct passwd *pw = u < 0 ? getpwnam("nobody") : NULL;
	uid_t uid = u > 0 ? (uid_t)u : pw ? pw->pw_uid : 65534;
	gid_t gid = u > 0 && g > 0 ? (gid_t)g : pw ? pw->pw_gid : 65534;
	bool zero_outside = false;
	if (mapped("/proc/self/uid_map", uid, &zero_outside) && mapped("/proc/self/gid_map", gid, NULL)) {
		c->switch_ids = true;
		c->uid = uid;
		c->gid = gid;
	} else if (zero_outside) {
		c->root_outside = true;   /* only 0 mapped, and it is the parent's root */
	}
maps:
	snprintf(c->uid_map, sizeof c->uid_map, "0 %u 1\n", (unsigned)c->uid);
	snprintf(c->gid_map, sizeof c->gid_map, "0 %u 1\n", (unsigned)c->gid);
}

void confine_settle(struct confine *c)
{
	if (c->settled)
		return;
	c->settled = true;
	/* A chroot whose / is mode 700 (a fresh root made by mktemp -d): that user could run
	 * nothing at all. The program then stays root, without any capability. */
	if (c->switch_ids && !confine_reaches(c, "/", X_OK)) {
		c->switch_ids = false;
		c->weak = true;
		c->uid = getuid();
		c->gid = getgid();
		snprintf(c->uid_map, sizeof c->uid_map, "0 %u 1\n", (unsigned)c->uid);
		snprintf(c->gid_map, sizeof c->gid_map, "0 %u 1\n", (unsigned)c->gid);
	}
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* No capability left, in any set (where no user namespace could be made). */
static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	return (int)syscall(SYS_capset, &h, d);
}

int confine_child(const struct confine *c)
{
	if (!c->on)
		return 0;
	if (c->weak)
		return drop_caps() < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
		       prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -1 : 0;
	if (c->switch_ids && (setgroups(0, NULL) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
			      setresuid(c->uid, c->uid, c->uid) < 0))
		return -1;
	/* A changed uid made us undumpable: our own /proc files would be root's, uid_map too. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return -1;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0) {
		if (write_file("/proc/self/setgroups", "deny") < 0 || write_file("/proc/self/uid_map", c->uid_map) < 0 ||
		    write_file("/proc/self/gid_map", c->gid_map) < 0)
			return -1;
	} else if (errno == EPERM || errno == ENOSPC || errno == EUSERS) {
		/* User namespaces forbidden here: no capability at all is as confined. A changed
		 * uid left none (and no right to drop the bounding set: no_new_privs below keeps
		 * a setuid or file-capability program from gaining any). */
		if (!c->switch_ids && drop_caps() < 0)
			return -1;
	} else {
		return -1;
	}
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

bool confine_reaches(const struct confine *c, const char *path, int mode)
{
	if (!c->on || !c->switch_ids)
		return access(path, mode) == 0;
	/* Asked of a child that becomes the confined user, groups and all: access() checks as the
	 * real ids (faccessat's AT_EACCESS needs faccessat2, Linux 5.8, else glibc checks as the
	 * real uid: root), and setfsuid() would keep our supplementary groups. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(setgroups(0, NULL) == 0 && setresgid(c->gid, c->gid, c->gid) == 0 &&
		      setresuid(c->uid, c->uid, c->uid) == 0 && access(path, mode) == 0 ? 0 : 1);
	int status;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
