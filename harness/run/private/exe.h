/* SPDX-License-Identifier: MIT */
/*
 * What an executable is (exe.c): private to harness/run/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The executable execvp() would run for name, into path: 0, or -errno (-ENOENT: none). */
int exe_find(const char *name, char *path, size_t len);
/* The same, skipping on PATH what ok(path, arg) refuses. */
int exe_find_if(const char *name, char *path, size_t len, bool (*ok)(const char *path, void *arg), void *arg);

/* What kind of executable path is: EXE_STATIC (an ELF without PT_INTERP, Go's static ones too),
 * EXE_GO (a dynamically linked Go program), EXE_DYNAMIC (any other: a dynamic ELF); a script
 * ('#!') is its interpreter's kind; -errno if unreadable. */
enum { EXE_DYNAMIC = 0, EXE_STATIC = 1, EXE_GO = 2 };
int exe_kind(const char *path);
/* Whether path is an AddressSanitizer build (a 64-bit ELF naming __asan_init). */
bool exe_asan(const char *path);
