/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of error paths the system does not take on demand, with the linker's --wrap
 * (tests/meson.build) standing in for the C library or libpcap: a read() that fails part-way
 * through a scenario file, and a filter that compiles but that libpcap refuses to set. The
 * capture tests need a packet socket: they make a network namespace of their own (with a user
 * namespace when not root) and skip where that is not allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

/* ---- read() ---- */

enum { READ_REAL, READ_SHORT_THEN_EIO, READ_EINTR_ONCE };
static int read_mode = READ_REAL;
static size_t read_first;         /* READ_SHORT_THEN_EIO: the bytes the first call returns */
static int read_calls;

ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	int call = read_calls++;

	if (read_mode == READ_SHORT_THEN_EIO && call == 0)
		return __real_read(fd, buf, count < read_first ? count : read_first);
	if (read_mode == READ_SHORT_THEN_EIO) {
		errno = EIO;
		return -1;
	}
	if (read_mode == READ_EINTR_ONCE && call == 0) {
		errno = EINTR;
		return -1;
	}
	return __real_read(fd, buf, count);
}

#define HEAD "mode B2\nsummary a test\nserver listen 5000\n"

/* A scenario file whose first lines are a whole scenario by themselves, then 400 comment lines. */
static void write_file(char *path)
{
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, HEAD, strlen(HEAD)), (ssize_t)strlen(HEAD));
	for (int i = 0; i < 400; i++)
		assert_int_equal(write(fd, "# more\n", 7), 7);
	close(fd);
}

/* The read fails after the first lines: an error naming the file and the errno, not a
 * scenario made of what came before (which parses). */
static void test_read_fails_part_way(void **state)
{
	char path[] = "/tmp/tcpfault-read-XXXXXX.tcpf", err[512] = "";
	struct scenario *s = NULL;

	write_file(path);
	read_mode = READ_SHORT_THEN_EIO;
	read_first = strlen(HEAD);
	read_calls = 0;
	int r = scenario_load(path, &s, err, sizeof err);
	read_mode = READ_REAL;
	unlink(path);
	assert_true(read_calls >= 2);
	scenario_free(s);
	assert_int_equal(r, -EIO);
	assert_null(s);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(EIO)));
}

/* An interrupted read is tried again: the file loads whole. */
static void test_read_interrupted(void **state)
{
	char path[] = "/tmp/tcpfault-read-XXXXXX.tcpf", err[512] = "";
	struct scenario *s = NULL;

	write_file(path);
	read_mode = READ_EINTR_ONCE;
	read_calls = 0;
	int r = scenario_load(path, &s, err, sizeof err);
	read_mode = READ_REAL;
	unlink(path);
	if (r < 0)
		fail_msg("%s", err);
	assert_true(read_calls >= 2);
	assert_int_equal(s->nsteps, 1);
	scenario_free(s);
}

/* ---- libpcap ---- */

static bool refuse_filter;
static int freecode_calls;

int __real_pcap_setfilter(pcap_t *p, struct bpf_program *prog);
int __wrap_pcap_setfilter(pcap_t *p, struct bpf_program *prog)
{
	return refuse_filter ? PCAP_ERROR : __real_pcap_setfilter(p, prog);
}

void __real_pcap_freecode(struct bpf_program *prog);
void __wrap_pcap_freecode(struct bpf_program *prog)
{
	freecode_calls++;
	__real_pcap_freecode(prog);
}

static bool in_own_netns;

/* A network namespace of this process's own, its lo up, where it may open a packet socket.
 * lo is brought up only there, never in the namespace the test started in. */
static int own_netns(void **state)
{
	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 0;   /* the capture tests skip */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { .ifr_name = "lo" };
	in_own_netns = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
		       (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	if (fd >= 0)
		close(fd);
	return 0;
}

static void need_netns(void)
{
	if (!in_own_netns) {
		fprintf(stderr, "skip: no network namespace of our own here\n");
		skip();
	}
}

/* The filter compiled but was not set: its program is freed all the same (it leaked). */
static void test_filter_refused(void **state)
{
	struct capture *c = NULL;
	char err[256] = "";

	need_netns();
	refuse_filter = true;
	freecode_calls = 0;
	int r = capture_open("lo", NULL, NULL, 0, 0, &c, err, sizeof err);
	refuse_filter = false;
	assert_true(r < 0);
	assert_null(c);
	assert_non_null(strstr(err, "capture filter"));
	assert_int_equal(freecode_calls, 1);
}

/* The packet socket is not inherited by what the harness execs (peers, programs). */
static void test_capture_cloexec(void **state)
{
	struct capture *c = NULL;
	char err[256] = "";

	need_netns();
	freecode_calls = 0;
	if (capture_open("lo", NULL, NULL, 0, 0, &c, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(freecode_calls, 1);
	int flags = fcntl(capture_fd(c), F_GETFD);
	capture_free(c);
	assert_true(flags >= 0 && (flags & FD_CLOEXEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_fails_part_way),
		cmocka_unit_test(test_read_interrupted),
		cmocka_unit_test(test_filter_refused),
		cmocka_unit_test(test_capture_cloexec),
	};
	return cmocka_run_group_tests(tests, own_netns, NULL);
}
