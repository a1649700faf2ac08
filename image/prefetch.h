/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prefetch.h: run a stream's producer (decompression and hashing of a
 * layer) on its own thread, a few buffers ahead of the consumer (tar
 * parsing and file writes), so the two overlap on separate cores.
 */
#ifndef BERTH_PREFETCH_H
#define BERTH_PREFETCH_H

#include <sys/types.h>

#include "tar.h"

struct prefetch;

/* fn is called only from the prefetch thread until prefetch_stop(). */
struct prefetch *prefetch_start(tar_read_fn fn, void *ctx);
/* A tar_read_fn over the prefetched stream (ctx is the prefetch). */
ssize_t prefetch_read(void *ctx, void *buf, size_t len, struct berth_error *err);
/* Stop the producer (wherever it is) and join it. */
void prefetch_stop(struct prefetch *p);

#endif
