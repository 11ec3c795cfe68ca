/* SPDX-License-Identifier: MIT */
/*
 * What netns.c and middlebox.c share (private to netns/).
 */
#pragma once

#include <stdarg.h>

#include "netns.h"

/* Records "what: strerror(-err)" as the sandbox's last error; returns err. */
int netns_failv(struct netns_sandbox *sb, int err, const char *fmt, va_list ap);
/* A named nftables counter's packets (middlebox.c). */
int netns_nft_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret);
