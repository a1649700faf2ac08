/* SPDX-License-Identifier: GPL-2.0-or-later */
/* console.h: relaying the user's terminal to a container's (console.c). */
#ifndef BERTH_CONSOLE_H
#define BERTH_CONSOLE_H

#include <stdbool.h>

/* Relay master to stdout (and stdin to it, with input) until the
 * container's side of the terminal closes, or end_fd (a pidfd, or -1)
 * says the process ended; the user's terminal is raw meanwhile. */
void console_relay(int master, bool input, int end_fd);

#endif
