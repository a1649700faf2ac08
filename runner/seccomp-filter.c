// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp-filter.c: compiled seccomp filters. libseccomp takes tens of
 * milliseconds to build and compile the default allow-list for three
 * ABIs, far more than the rest of a container's start; so berth compiles
 * a filter once, keeps the BPF programs in the store's cache/seccomp/, and
 * a start reads a few kilobytes and makes two seccomp(2) calls. An entry
 * holds its key, everything that made the programs (this berth binary,
 * the libseccomp version, the ABI, the kernel release for a profile's
 * minKernel, the capabilities, the profile's text), and is used only when
 * that key is the one wanted byte for byte: its file name is a fast hash
 * of the key (a cryptographic one costs a millisecond of library start
 * per run), so two keys that share a name only take turns in the cache.
 * An entry that does not read back whole is rebuilt. Not concerned with
 * what the filters say: seccomp.c (the default) and seccomp-json.c
 * (profiles).
 *
 * Cache entry: "BERTHSF2", the number of programs, the key's length, each
 * program's flags and length (u32 each, two slots), the key (padded to 8
 * bytes), then the instructions.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "seccomp-filter.h"
#include "seccomp-json.h"
#include "seccomp-policy.h"
#include "../lib/util.h"

#define CACHE_MAGIC "BERTHSF2"
#define CACHE_MAX_ENTRIES 64
#define PROG_MAX_INSNS 4096 /* the kernel's BPF_MAXINSNS */
#define KEY_MAX (SECCOMP_PROFILE_MAX_BYTES + 4096)

struct cache_head {
	char magic[8];
	uint32_t n;
	uint32_t key_len;
	struct {
		uint32_t flags, len;
	} prog[2];
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Point f's programs into blob (which f then owns) after checking that
 * it was made for key and that its sizes add up. */
static bool filters_from_blob(char *blob, size_t len, const char *key, struct seccomp_filters *f)
{
	struct cache_head h;
	size_t off = sizeof(h), key_len = strlen(key);

	memset(f, 0, sizeof(*f));
	if (len < sizeof(h))
		return false;
	memcpy(&h, blob, sizeof(h));
	if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.n < 1 || h.n > 2 || h.key_len != key_len ||
	    len - off < pad8(key_len) || memcmp(blob + off, key, key_len) != 0)
		return false;
	off += pad8(key_len);
	for (uint32_t i = 0; i < h.n; i++) {
		if (h.prog[i].len < 1 || h.prog[i].len > PROG_MAX_INSNS ||
		    len - off < h.prog[i].len * sizeof(struct sock_filter))
			return false;
		f->progs[i].flags = h.prog[i].flags;
		f->progs[i].len = (unsigned short)h.prog[i].len;
		f->progs[i].insns = (struct sock_filter *)(blob + off);
		off += h.prog[i].len * sizeof(struct sock_filter);
	}
	if (off != len)
		return false;
	f->n = h.n;
	f->mem = blob;
	return true;
}

/* libseccomp's BPF for ctx, appended to *blob */
static int compile(scmp_filter_ctx ctx, char **blob, size_t *len, uint32_t *n_insns,
		   struct berth_error *err)
{
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "seccomp: compiling the filter");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return berth_error_set(err, -r, "seccomp: compiling the filter");
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "seccomp: compiling the filter");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > PROG_MAX_INSNS)
		return berth_error_set(err, E2BIG,
				       "seccomp: the filter has more than %d instructions",
				       PROG_MAX_INSNS);
	*blob = xrealloc(*blob, *len + (size_t)st.st_size);
	if (pread(fd, *blob + *len, (size_t)st.st_size, 0) != st.st_size)
		return berth_error_set(err, errno ? errno : EIO, "seccomp: compiling the filter");
	*len += (size_t)st.st_size;
	*n_insns = (uint32_t)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

/* Build with libseccomp and compile: the cache entry's bytes, for key. */
static int build(uint64_t caps, struct json_object *profile, const char *origin, const char *key,
		 char **out, size_t *out_len, struct berth_error *err)
{
	scmp_filter_ctx ctx[2] = { NULL, NULL };
	struct cache_head h = { .magic = CACHE_MAGIC, .key_len = (uint32_t)strlen(key) };
	size_t len = sizeof(h) + pad8(h.key_len);
	_cleanup_free_ char *blob = xcalloc(1, len);
	int r = 0;

	memcpy(blob + sizeof(h), key, h.key_len);

	if (profile) {
		struct seccomp_profile p;
		if (seccomp_profile_from_json(profile, origin, &p, err) < 0)
			return -1;
		r = seccomp_profile_build(&p, origin, caps, &ctx[0], &h.prog[0].flags, err);
		seccomp_profile_clear(&p);
		h.n = 1;
	} else {
		r = seccomp_default_build(caps, ctx, err);
		h.n = 2;
	}
	for (uint32_t i = 0; r == 0 && i < h.n; i++)
		r = compile(ctx[i], &blob, &len, &h.prog[i].len, err);
	for (size_t i = 0; i < 2; i++)
		if (ctx[i])
			seccomp_release(ctx[i]);
	if (r < 0)
		return -1;
	memcpy(blob, &h, sizeof(h));
	*out = steal_pointer(&blob);
	*out_len = len;
	return 0;
}

/* The cache key: everything the programs depend on; NULL when this
 * binary cannot be told apart from another (then no cache). */
static char *cache_key(uint64_t caps, struct json_object *profile)
{
	const struct scmp_version *v = seccomp_version();
	struct stat st;
	struct utsname u;

	if (stat("/proc/self/exe", &st) < 0 || uname(&u) < 0 || !v)
		return NULL;
	return xasprintf("berth seccomp filters 2\nexe %llu %llu %lld %lld.%09ld\n"
			 "libseccomp %u.%u.%u\narch %u\nkernel %s\ncaps %016llx\n%s",
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			 v->major, v->minor, v->micro, seccomp_arch_native(), u.release,
			 (unsigned long long)caps,
			 profile ? json_object_to_json_string_ext(profile, JSON_C_TO_STRING_PLAIN)
				 : "default");
}

/* An entry's file name: FNV-1a, 64 bits, of its key. Not collision-proof,
 * nor need it be: the entry says its key. */
static void cache_name(const char *key, char name[17])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *c = (const unsigned char *)key; *c; c++)
		h = (h ^ *c) * UINT64_C(0x100000001b3);
	snprintf(name, 17, "%016llx", (unsigned long long)h);
}

/* A full cache: emptied, but for the entry just written (entries of
 * older binaries and kernels pile up otherwise). */
static void cache_prune(int cachefd, const char *keep)
{
	int fd = openat(cachefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	if (n <= CACHE_MAX_ENTRIES)
		return;
	rewinddir(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(de->d_name, keep) != 0)
			unlinkat(dirfd(d), de->d_name, 0);
}

int seccomp_filters_prepare(int cachefd, uint64_t caps, struct json_object *profile,
			    const char *origin, struct seccomp_filters *out,
			    struct berth_error *err)
{
	_cleanup_free_ char *key = cache_key(caps, profile);
	bool cached = cachefd >= 0 && key && strlen(key) < KEY_MAX;
	char name[17], *blob = NULL;
	size_t len = 0;
	struct berth_error e = { 0 };

	memset(out, 0, sizeof(*out));
	if (cached) {
		cache_name(key, name);
		if (read_file_at(cachefd, name,
				 sizeof(struct cache_head) + pad8(KEY_MAX) + 2 * PROG_MAX_INSNS * 8,
				 &blob, &len, &e) == 0 &&
		    filters_from_blob(blob, len, key, out))
			return 0;
		berth_error_clear(&e);
		free(blob);
	}
	if (!key)
		key = xstrdup("");
	if (build(caps, profile, origin, key, &blob, &len, err) < 0)
		return -1;
	if (cached && write_file_replace_nosync(cachefd, name, blob, len, 0600, &e) == 0)
		cache_prune(cachefd, name);
	berth_error_clear(&e); /* no cache is slower, not wrong */
	if (!filters_from_blob(blob, len, key, out)) {
		free(blob);
		return berth_error_set(err, EINVAL, "seccomp: the compiled filter is malformed");
	}
	return 0;
}

void seccomp_filters_clear(struct seccomp_filters *f)
{
	free(f->mem);
	memset(f, 0, sizeof(*f));
}

int seccomp_filters_load(const struct seccomp_filters *f, struct berth_error *err)
{
	if (!f) /* a caller that forgot: no container without its filter */
		return berth_error_set(err, EINVAL, "seccomp: no filter prepared");
	for (size_t i = 0; i < f->n; i++) {
		struct sock_fprog prog = { .len = f->progs[i].len, .filter = f->progs[i].insns };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->progs[i].flags, &prog) < 0)
			return berth_error_set(err, errno, "seccomp: loading the filter");
	}
	return 0;
}

int seccomp_cache_dir(int store_rootfd)
{
	struct berth_error e = { 0 };

	if (mkdir_p_at(store_rootfd, "cache/seccomp", 0700, &e) < 0) {
		berth_error_clear(&e);
		return -1;
	}
	return openat(store_rootfd, "cache/seccomp",
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}
