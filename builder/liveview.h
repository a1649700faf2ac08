/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * liveview.h: a running step's output on a terminal (liveview.c): while
 * the step runs, its title, the time it has taken and the last lines of
 * its output, redrawn in place; at its end, the title alone (and, when it
 * failed, the end of its output). The step's output is taken from this
 * process's stdout and stderr, which the step's container inherits, for
 * the step's life only. -q uses it too, drawing nothing.
 */
#ifndef BERTH_LIVEVIEW_H
#define BERTH_LIVEVIEW_H

#include <stdbool.h>
#include <stdio.h>

struct liveview;

/* Begin: out is the terminal drawn on (NULL: draw nothing, keep the
 * output for a failure only); the output's file is made in dirfd's
 * directory, unlinked. NULL when the output cannot be taken (it then
 * goes where it went). */
struct liveview *liveview_begin(FILE *out, int dirfd, const char *title);
/* End: stdout and stderr back; on failure the last lines of the output
 * are written to stderr. */
void liveview_end(struct liveview *v, bool failed);

#endif
