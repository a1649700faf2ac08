// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proctitle.c: what other users see of a berth process's command line.
 * /proc/PID/cmdline is readable by every local user, and it shows the
 * argument area the kernel filled at exec, which every fork keeps: the
 * detached container's monitor, the namespace holder, --init's pid 1
 * (whose /proc/1/cmdline the container reads too), the port forwarder.
 * main() moves the arguments to the heap first; a verb whose flags carry
 * a container's values (`run -e KEY=VALUE`) then overwrites the area in
 * place, leaving "berth VERB [NAME]". It does not own which verbs do
 * (main.c) nor where values travel instead (cmd-stack.c: a private file).
 */
#include <string.h>

#include "proctitle.h"
#include "util.h"

/* The arguments as exec left them, and the area the kernel shows: from
 * argv[0] to the NUL after the last one laid out back to back. */
static char **orig;
static int orig_n;
static char *area;
static size_t area_len;
/* the copy main parses from, reachable for the process's life */
static char **copy;

char **proctitle_init(int argc, char **argv)
{
	orig = argv;
	orig_n = argc;
	copy = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++)
		copy[i] = xstrdup(argv[i]);
	area = argc > 0 ? argv[0] : NULL;
	area_len = 0;
	for (int i = 0; i < argc && argv[i] == area + area_len; i++)
		area_len += strlen(argv[i]) + 1;
	return copy;
}

void proctitle_set(const char *const *words, size_t n)
{
	size_t at = 0;

	/* an argument outside the area (the kernel never does that) is
	 * emptied on its own */
	for (int i = 0; i < orig_n; i++)
		if (orig[i] < area || orig[i] >= area + area_len)
			memset(orig[i], 0, strlen(orig[i]));
	if (area_len == 0)
		return;
	memset(area, 0, area_len);
	/* NUL-separated words, cut to the area; its last byte stays NUL, or
	 * the kernel would take it for a setproctitle() title and read on
	 * into the environment */
	for (size_t i = 0; i < n && at + 1 < area_len; i++) {
		size_t len = strlen(words[i]);
		if (len > area_len - at - 1)
			len = area_len - at - 1;
		memcpy(area + at, words[i], len);
		at += len + 1;
	}
}
