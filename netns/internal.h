/* SPDX-License-Identifier: MIT */
/*
 * What netns.c and middlebox.c share (private to netns/).
 */
#pragma once

#include "netns.h"

/* Records "what: strerror(-err)" as the sandbox's last error; returns err. */
int netns_fail(struct netns_sandbox *sb, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A named nftables counter's packets (middlebox.c). */
int netns_nft_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret);
/* The folder net.* keys live in: /proc/sys/net. Only test_netns points it elsewhere (at a folder
 * of machine-wide files, to see them refused). */
extern const char *netns_sysctl_dir;
