/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * digest.h: streaming sha256 (OpenSSL 3 EVP) and "sha256:<hex>" digest
 * strings. Every blob and layer berth stores is named by one.
 */
#ifndef BERTH_DIGEST_H
#define BERTH_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct sha256_ctx;

struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Finish into "sha256:<hex>" (out has DIGEST_STR_LEN + 1 bytes); frees c. */
void sha256_final(struct sha256_ctx *c, char *out);
void sha256_free(struct sha256_ctx *c);
void sha256_bytes(const void *data, size_t len, char *out);
/* Hash the whole of fd from its current offset. */
int sha256_fd(int fd, char *out, uint64_t *size, struct berth_error *err);
/* The digest of what is read from in, written on to out too (-1: not);
 * its size, and each chunk's running total to progress (NULL: none).
 * chunk: the bytes read at a time. A read or write error is "what: ...". */
int sha256_copy_fd(int in, int out, size_t chunk, char *digest, uint64_t *size,
		   void (*progress)(uint64_t total, void *arg), void *arg, const char *what,
		   struct berth_error *err);

/* True when s is "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_valid(const char *s);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *d)
{
	return d + 7;
}

#endif
