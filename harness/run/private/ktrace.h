/* SPDX-License-Identifier: MIT */
/*
 * The kernel tracer (ktrace.c): what the kernel itself says happened in the run's namespaces,
 * from its tracepoints (bpf/ktrace.bpf.c): every TCP socket state change, each reset sent with
 * the kernel's reason (Linux 6.10 on), retransmissions, packets dropped and why (5.17 on).
 *
 * The BPF programs are loaded and attached once per process (ktrace_prepare, in the controller)
 * and inherited by the workers; each run has a struct ktrace of its own in its worker
 * (single-threaded): a ring of its own, made before the first step, drained at the end. It sees
 * only the namespaces it is told to watch (by their inode), so parallel runs with the same
 * addresses each see their own. Needs root (CAP_BPF and CAP_PERFMON); a build
 * without libbpf has none (ktrace_new says why not).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

/* KTRACE_NONE: a record taken back (a timewait socket's timer stopped to be restarted). */
enum ktrace_what { KTRACE_NONE, KTRACE_TRANSITION, KTRACE_RESET, KTRACE_RESET_RECEIVED, KTRACE_RETRANSMIT, KTRACE_DROP };

struct ktrace_record {
	enum ktrace_what what;
	int host;
	double t_ms;                      /* ms since the run's start, the run's clock */
	int sport, dport;                 /* local and remote ports (a reset: of the segment it sends) */
	int from, to;                     /* a transition: TCP states (netns_state_name()); a
					   * retransmission: to is the socket's state */
	const char *reason;               /* a reset's or a drop's reason, the kernel's name without
					   * its enum's prefix ("NO_SOCKET"); a retransmission: the
					   * congestion state ("loss": after an RTO); NULL: none given */
	const char *kind;                 /* a retransmission: RESULT_RTX_* (report.h); NULL: not told */
	uint32_t seq;                     /* a retransmission: its first sequence number on the wire */
};

struct ktrace;
/* Reads what the tracer needs of the kernel's BTF (its names, its tracepoints' shapes) and loads
 * and attaches the tracer, once for this process and the workers it forks; ktrace_new does it
 * if not done (then for that process alone). Nothing when not root
 * (the tracer cannot load then) or without the tracer. */
void ktrace_prepare(void);
/* Loads and attaches the tracer, times counted from origin_us (the run's clock). -EOPNOTSUPP:
 * built without it; -EPERM: not allowed (not root); else -errno. why: a sentence for the
 * result's note in every case of failure. */
int ktrace_new(int64_t origin_us, struct ktrace **ret, char *why, size_t len);
/* Watches host's network namespace (netns_fd: one of its fds) from now on, in place of the one
 * watched for host before (a rebooted host). 0 or -errno. */
int ktrace_watch(struct ktrace *kt, int host, int netns_fd);
/* The fd that is readable when records wait; ktrace_poll() takes them in. */
int ktrace_fd(const struct ktrace *kt);
/* Takes in what the kernel has recorded; the count taken, or -errno. */
int ktrace_poll(struct ktrace *kt);
size_t ktrace_count(const struct ktrace *kt);
const struct ktrace_record *ktrace_get(const struct ktrace *kt, size_t i);
/* Records the kernel could not hand over (its ring was full). */
unsigned long long ktrace_lost(const struct ktrace *kt);
/* Whether resets carry the kernel's reason on this kernel (6.10 on). */
bool ktrace_has_reset_reasons(const struct ktrace *kt);
/* Whether this kernel has a reset reason of that name (enum sk_rst_reason, without prefix). */
bool ktrace_knows_reset_reason(const struct ktrace *kt, const char *name);
/* The calling process's PID as the controller sees it (a worker in a PID namespace of its own
 * is 1 in it): recorded with each ring it makes. */
void ktrace_owner(pid_t pid);
/* The rings of a worker that ended (killed: it could not free them) out of the shared maps,
 * and the namespaces that named them: else they stay as long as the tracer (1024 rings). */
void ktrace_forget(pid_t pid);
/* Watches no namespace any more: called at the end of each run, while its namespaces still
 * exist (their inodes, the map's keys, are reused once they are gone), so that a kept tracer
 * sees nothing of what the slot does until its next run watches anew. */
void ktrace_unwatch(struct ktrace *kt);
/* Readies a tracer kept from an earlier run in this process for the next (its BPF programs
 * stay loaded and attached: loading them is most of a run's setup, some 100 ms): no
 * namespace watched, what came meanwhile read and thrown away, no records, the loss count
 * zero, times from origin_us. */
void ktrace_restart(struct ktrace *kt, int64_t origin_us);
void ktrace_free(struct ktrace *kt);
