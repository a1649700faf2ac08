// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memfd-exec: what a sealed copy of a binary costs, the way crun protects
 * its own binary: copy BIN into a memfd, seal it against writes, and
 * fexecve the copy with ARGS (or, with "--copy-only", stop after the seal).
 * bench/exec-memfd.sh times it beside running BIN directly.
 *   memfd-exec BIN ARGV0 [ARG...]
 *   memfd-exec BIN --copy-only
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct stat st;
	off_t off = 0;
	int in, m;

	if (argc < 3) {
		fprintf(stderr, "usage: memfd-exec BIN ARGV0 [ARG...] | BIN --copy-only\n");
		return 2;
	}
	in = open(argv[1], O_RDONLY | O_CLOEXEC);
	m = memfd_create("sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (in < 0 || m < 0 || fstat(in, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (off < st.st_size)
		if (sendfile(m, in, &off, (size_t)(st.st_size - off)) <= 0) {
			perror("sendfile");
			return 1;
		}
	if (fcntl(m, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		perror("seal");
		return 1;
	}
	if (!strcmp(argv[2], "--copy-only"))
		return 0;
	fexecve(m, argv + 2, environ);
	perror("fexecve");
	return 127;
}
