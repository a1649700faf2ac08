/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * progress.h: one-line progress on a terminal (stderr), silent otherwise.
 */
#ifndef BERTH_PROGRESS_H
#define BERTH_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled;
	char label[160];
	uint64_t total;
	int64_t last_ms;
};

/* Enabled only when stderr is a terminal and quiet is false. */
void progress_init(struct progress *p, bool quiet);
void progress_start(struct progress *p, uint64_t total, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p, uint64_t done);

#endif
