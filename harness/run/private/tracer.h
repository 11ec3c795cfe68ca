/* SPDX-License-Identifier: MIT */
/*
 * The tracer (tracer.c): sees a real program's own socket calls where the shim cannot (a static
 * binary, a Go program, raw syscalls), with ptrace and a seccomp filter, and reports them in the
 * shim's form on the program's report socket. program.c is its only user; nothing outside
 * harness/run/ includes this header.
 *
 * Its life, beside program.c's spawn():
 *   tracer_new()      before the program's fork: starts the tracer process
 *   tracer_child()    in the forked child, last before execve(): the tracer attaches, the
 *                     seccomp filter is installed
 *   tracer_forked()   in the parent, after the fork
 *   tracer_refused()  if the child failed: whether the tracer was refused (ptrace or a call
 *                     it needs forbidden)
 *   tracer_free()     at the run's end: the tracer is killed (its tracees die with it)
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct tracer;

/* What 'observe auto' decides for argv (argv[0] found at path): whether the tracer is needed,
 * because the program, or an executable a word of its command line names (by a path or on
 * PATH, as in sh -c "exec client"), is a static or a Go binary. */
bool tracer_wanted(const char *path, char *const argv[]);

/* Starts the tracer process. Its reports go to report_fd (a SOCK_SEQPACKET end; the tracer
 * keeps its own copy). -errno. */
int tracer_new(int report_fd, struct tracer **ret);
/* In the program's forked child, last before execve(): lets the tracer attach, waits until it
 * has, installs the seccomp filter. Async-signal-safe. 0, or -errno. */
int tracer_child(const struct tracer *t);
/* In the parent, once the child is forked: closes the child's ends of the handshake. */
void tracer_forked(struct tracer *t);
/* After the child failed: the errno of the tracer's PTRACE_SEIZE if it was refused (EPERM:
 * ptrace is forbidden here), or of another call it needs (process_vm_readv/writev,
 * pidfd_open, pidfd_getfd: refused by a seccomp policy), its name in *call (which says so where
 * the policy kills the process making it: then EPERM); else 0. Waits at most a second for the
 * tracer's answer. */
int tracer_refused(struct tracer *t, const char **call);
/* Kills the tracer (SIGKILL by its pid; PTRACE_O_EXITKILL kills the tracees still running) and
 * reaps it. Accepts NULL. */
void tracer_free(struct tracer *t);
