/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * igzip.h: a streaming gzip writer on ISA-L's igzip (push compresses the
 * layers made here with it). Bounded memory whatever the input's size;
 * the header has no timestamp and no name, so the same bytes in always
 * give the same bytes out at a given level.
 */
#ifndef BERTH_IGZIP_H
#define BERTH_IGZIP_H

#include <stddef.h>

#include "error.h"

/* The level push uses: chosen by measurement, docs/performance.md. */
#define IGZIP_LEVEL_PUSH 3

/* Where the compressed bytes go: all n of them, or -1 with err set. */
typedef int (*igzip_sink)(void *arg, const void *buf, size_t n, struct berth_error *err);

struct igzip;

/* A writer at level 0..3 (ISA-L's levels; 0 is fastest); NULL with err
 * set for a level ISA-L does not have. */
struct igzip *igzip_new(int level, igzip_sink sink, void *arg, struct berth_error *err);
/* Compress n bytes of buf on to the sink. */
int igzip_write(struct igzip *g, const void *buf, size_t n, struct berth_error *err);
/* End the stream: the last block and the trailer (CRC-32 and size). */
int igzip_finish(struct igzip *g, struct berth_error *err);
void igzip_free(struct igzip *g);

#endif
