// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * digest.c: sha256 through OpenSSL's EVP interface. Only sha256 digests
 * are accepted anywhere in berth: the OCI spec's other registered
 * algorithm (sha512) is rare and refused with a clear error by callers.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

struct sha256_ctx {
	EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
	struct sha256_ctx *c = xmalloc(sizeof(*c));

	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		abort();
	return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(c->md, data, len) != 1)
		abort();
}

void sha256_free(struct sha256_ctx *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

void sha256_final(struct sha256_ctx *c, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(c->md, md, &n) != 1 || n != 32)
		abort();
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	sha256_free(c);
}

void sha256_bytes(const void *data, size_t len, char *out)
{
	struct sha256_ctx *c = sha256_new();
	sha256_update(c, data, len);
	sha256_final(c, out);
}

int sha256_copy_fd(int in, int out, size_t chunk, char *digest, uint64_t *size,
		   void (*progress)(uint64_t total, void *arg), void *arg, const char *what,
		   struct berth_error *err)
{
	_cleanup_free_ char *buf = xmalloc(chunk);
	struct sha256_ctx *c = sha256_new();
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(in, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && out >= 0 && write_all(out, buf, (size_t)n) < 0)) {
			sha256_free(c);
			return berth_error_set(err, errno, "%s", what);
		}
		if (n == 0)
			break;
		sha256_update(c, buf, (size_t)n);
		total += (uint64_t)n;
		if (progress)
			progress(total, arg);
	}
	sha256_final(c, digest);
	if (size)
		*size = total;
	return 0;
}

int sha256_fd(int fd, char *out, uint64_t *size, struct berth_error *err)
{
	return sha256_copy_fd(fd, -1, 1 << 17, out, size, NULL, NULL, "read", err);
}

bool digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != DIGEST_STR_LEN)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}
