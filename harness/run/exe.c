/* SPDX-License-Identifier: MIT */
/*
 * What an executable is, for choosing who observes a program (program.c, tracer.c): where
 * execvp() would find it, and whether it is statically linked (no PT_INTERP: LD_PRELOAD cannot
 * put the shim into it) or a Go program (its runtime makes its syscalls itself).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "exe.h"

int exe_find(const char *name, char *path, size_t len)
{
	return exe_find_if(name, path, len, NULL, NULL);
}

int exe_find_if(const char *name, char *path, size_t len, bool (*ok)(const char *path, void *arg), void *arg)
{
	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return access(path, X_OK) == 0 ? 0 : -errno;
	}
	const char *dirs = getenv("PATH");
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	for (const char *d = dirs; *d;) {
		size_t n = strcspn(d, ":");
		snprintf(path, len, "%.*s%s%s", (int)n, n ? d : ".", "/", name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0 && (!ok || ok(path, arg)))
			return 0;
		d += n + (d[n] == ':');
	}
	return -ENOENT;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

/* Whether a 64-bit ELF has a section named like a Go program's (.go.buildinfo, Go 1.13 and
 * later, kept by strip; .note.go.buildid; .gopclntab). */
static bool go_sections(int fd, const Elf64_Ehdr *e)
{
	Elf64_Shdr strs, s;
	char name[24];

	if (e->e_shentsize != sizeof s || e->e_shnum == 0 || e->e_shnum > 4096 || e->e_shstrndx >= e->e_shnum ||
	    !read_at(fd, &strs, sizeof strs, e->e_shoff + (uint64_t)e->e_shstrndx * sizeof s))
		return false;
	for (unsigned i = 0; i < e->e_shnum; i++) {
		if (!read_at(fd, &s, sizeof s, e->e_shoff + (uint64_t)i * sizeof s) || s.sh_name >= strs.sh_size)
			continue;
		memset(name, 0, sizeof name);
		if (pread(fd, name, sizeof name - 1, (off_t)(strs.sh_offset + s.sh_name)) <= 0)
			continue;
		if (!strcmp(name, ".go.buildinfo") || !strcmp(name, ".note.go.buildid") || !strcmp(name, ".gopclntab"))
			return true;
	}
	return false;
}

/* A script's kind is its interpreter's ('#!/bin/busybox sh' runs a static binary: review rev16e
 * M1), followed as the kernel does, at most 4 deep (BINPRM_MAX_RECURSION). */
static int kind_of(const char *path, unsigned depth)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char h[256];
	int kind = EXE_DYNAMIC;

	if (fd < 0)
		return -errno;
	ssize_t got = pread(fd, h, sizeof h - 1, 0);
	if (got > 2 && h[0] == '#' && h[1] == '!' && depth < 4) {
		char *interp = (char *)h + 2;
		h[got] = 0;
		interp += strspn(interp, " \t");
		interp[strcspn(interp, " \t\n")] = 0;
		close(fd);
		kind = *interp ? kind_of(interp, depth + 1) : EXE_DYNAMIC;
		return kind < 0 ? EXE_DYNAMIC : kind; /* no such interpreter: the exec fails, as it says */
	}
	if (got < 64 || memcmp(h, ELFMAG, SELFMAG) != 0)
		goto out;
	bool is64 = h[EI_CLASS] == ELFCLASS64;
	uint64_t off;
	unsigned num, size;
	Elf64_Ehdr e64 = { 0 };
	if (is64) {
		memcpy(&e64, h, sizeof e64);
		off = e64.e_phoff, num = e64.e_phnum, size = e64.e_phentsize;
	} else {
		Elf32_Ehdr e;
		memcpy(&e, h, sizeof e);
		off = e.e_phoff, num = e.e_phnum, size = e.e_phentsize;
	}
	if (size < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || num > 4096)
		goto out;
	kind = EXE_STATIC;
	for (unsigned i = 0; i < num; i++) {
		uint32_t type;
		if (!read_at(fd, &type, sizeof type, off + (uint64_t)i * size) || type == PT_INTERP) {
			kind = EXE_DYNAMIC;
			break;
		}
	}
	if (kind == EXE_DYNAMIC && is64 && go_sections(fd, &e64))
		kind = EXE_GO;
out:
	close(fd);
	return kind;
}

int exe_kind(const char *path)
{
	return kind_of(path, 0);
}

/* An AddressSanitizer build names __asan_init in its dynamic symbols (gcc's: libasan's, imported;
 * clang's: its runtime linked in, exported): looked for in .dynstr (kept by strip). */
bool exe_asan(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf64_Ehdr e;
	Elf64_Shdr strs, sec;
	bool found = false;
	struct stat st;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !read_at(fd, &e, sizeof e, 0) || memcmp(e.e_ident, ELFMAG, SELFMAG) != 0 ||
	    e.e_ident[EI_CLASS] != ELFCLASS64 || e.e_shentsize != sizeof sec || e.e_shnum == 0 || e.e_shnum > 4096 ||
	    e.e_shstrndx >= e.e_shnum || !read_at(fd, &strs, sizeof strs, e.e_shoff + (uint64_t)e.e_shstrndx * sizeof sec))
		goto out;
	for (unsigned i = 0; i < e.e_shnum && !found; i++) {
		char name[16] = "";
		if (!read_at(fd, &sec, sizeof sec, e.e_shoff + (uint64_t)i * sizeof sec) || sec.sh_type != SHT_STRTAB ||
		    sec.sh_name >= strs.sh_size || pread(fd, name, sizeof name - 1, (off_t)(strs.sh_offset + sec.sh_name)) <= 0 ||
		    strcmp(name, ".dynstr") != 0 || sec.sh_offset > (uint64_t)st.st_size ||
		    sec.sh_size > (uint64_t)st.st_size - sec.sh_offset || sec.sh_size == 0)
			continue;
		char *m = mmap(NULL, (size_t)sec.sh_size + (sec.sh_offset & 4095), PROT_READ, MAP_PRIVATE, fd,
			       (off_t)(sec.sh_offset & ~(uint64_t)4095));
		if (m == MAP_FAILED)
			continue;
		found = memmem(m + (sec.sh_offset & 4095), (size_t)sec.sh_size, "\0__asan_init", 12) != NULL;
		munmap(m, (size_t)sec.sh_size + (sec.sh_offset & 4095));
	}
out:
	close(fd);
	return found;
}
