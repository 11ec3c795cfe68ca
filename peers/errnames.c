/* SPDX-License-Identifier: MIT */
/*
 * errno values <-> their symbolic names, for the peer's reports. The table covers every errno
 * Linux defines (asm-generic/errno-base.h and errno.h). Aliases share a value and get one
 * name: EWOULDBLOCK is reported as "EAGAIN", EDEADLOCK as "EDEADLK", ENOTSUP as "EOPNOTSUPP".
 * And the names of a poll or epoll wait's events. Compiled into the shim too: no stdio, no malloc.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "peer.h"

#define N(e) [e] = #e
static const char *const names[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG), N(ENOEXEC),
	N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES), N(EFAULT), N(ENOTBLK), N(EBUSY),
	N(EEXIST), N(EXDEV), N(ENODEV), N(ENOTDIR), N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE),
	N(ENOTTY), N(ETXTBSY), N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE),
	N(EDOM), N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK), N(ENOSYS), N(ENOTEMPTY),
	N(ELOOP), N(ENOMSG), N(EIDRM), N(ECHRNG), N(EL2NSYNC), N(EL3HLT), N(EL3RST), N(ELNRNG),
	N(EUNATCH), N(ENOCSI), N(EL2HLT), N(EBADE), N(EBADR), N(EXFULL), N(ENOANO), N(EBADRQC),
	N(EBADSLT), N(EBFONT), N(ENOSTR), N(ENODATA), N(ETIME), N(ENOSR), N(ENONET), N(ENOPKG),
	N(EREMOTE), N(ENOLINK), N(EADV), N(ESRMNT), N(ECOMM), N(EPROTO), N(EMULTIHOP),
	N(EDOTDOT), N(EBADMSG), N(EOVERFLOW), N(ENOTUNIQ), N(EBADFD), N(EREMCHG), N(ELIBACC),
	N(ELIBBAD), N(ELIBSCN), N(ELIBMAX), N(ELIBEXEC), N(EILSEQ), N(ERESTART), N(ESTRPIPE),
	N(EUSERS), N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE), N(ENOPROTOOPT),
	N(EPROTONOSUPPORT), N(ESOCKTNOSUPPORT), N(EOPNOTSUPP), N(EPFNOSUPPORT),
	N(EAFNOSUPPORT), N(EADDRINUSE), N(EADDRNOTAVAIL), N(ENETDOWN), N(ENETUNREACH),
	N(ENETRESET), N(ECONNABORTED), N(ECONNRESET), N(ENOBUFS), N(EISCONN), N(ENOTCONN),
	N(ESHUTDOWN), N(ETOOMANYREFS), N(ETIMEDOUT), N(ECONNREFUSED), N(EHOSTDOWN),
	N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS), N(ESTALE), N(EUCLEAN), N(ENOTNAM),
	N(ENAVAIL), N(EISNAM), N(EREMOTEIO), N(EDQUOT), N(ENOMEDIUM), N(EMEDIUMTYPE),
	N(ECANCELED), N(ENOKEY), N(EKEYEXPIRED), N(EKEYREVOKED), N(EKEYREJECTED),
	N(EOWNERDEAD), N(ENOTRECOVERABLE), N(ERFKILL), N(EHWPOISON),
};
#undef N

const char *peer_errno_name(int err)
{
	if (err <= 0 || (size_t) err >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[err];
}

int peer_errno_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int) i;
	return -EINVAL;
}

void peer_wait_events_name(unsigned revents, bool epoll, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} bits[] = { { 0x1, "POLLIN" }, { 0x2, "POLLPRI" }, { 0x4, "POLLOUT" }, { 0x8, "POLLERR" },
		     { 0x10, "POLLHUP" }, { 0x20, "POLLNVAL" }, { 0x2000, "POLLRDHUP" } };
	size_t n = 0;

	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		if (!(revents & bits[i].bit))
			continue;
		const char *parts[3] = { n ? "|" : "", epoll ? "E" : "", bits[i].name };
		for (size_t k = 0; k < 3; k++)
			for (const char *c = parts[k]; *c && n + 1 < len; c++)
				buf[n++] = *c;
	}
	buf[n] = 0;
}

/* A number after "KEY:" and blanks in line, in base 10 or 16. */
static bool fdinfo_field(const char *line, const char *key, int base, uint64_t *ret)
{
	const char *k = strstr(line, key);
	uint64_t v = 0;
	bool any = false;

	if (!k)
		return false;
	for (k += strlen(key); *k == ' ' || *k == '\t'; k++)
		;
	for (;; k++, any = true) {
		int d = *k >= '0' && *k <= '9' ? *k - '0' : base == 16 && *k >= 'a' && *k <= 'f' ? *k - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*ret = v;
	return any;
}

int peer_epoll_fd(const char *fdinfo, uint64_t data)
{
	/* fs/eventpoll.c: "tfd: %8d events: %8x data: %16llx  pos:..." a line per fd. */
	for (const char *line = fdinfo; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		uint64_t fd, d;
		if (strncmp(line, "tfd:", 4) == 0 && fdinfo_field(line, "tfd:", 10, &fd) &&
		    fdinfo_field(line, "data:", 16, &d) && d == data && fd <= INT32_MAX)
			return (int)fd;
	}
	return -1;
}
