/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proctitle.h: a berth process's command line as others see it
 * (proctitle.c).
 */
#ifndef BERTH_PROCTITLE_H
#define BERTH_PROCTITLE_H

#include <stddef.h>

/* Copy argv's strings to the heap and remember where the kernel keeps
 * the originals; parse the returned vector from then on. */
char **proctitle_init(int argc, char **argv);
/* Overwrite the original arguments in place with words (NUL-separated,
 * cut to the area they had): /proc/PID/cmdline of this process and of
 * every later fork shows only those. */
void proctitle_set(const char *const *words, size_t n);

#endif
