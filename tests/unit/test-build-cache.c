// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the build's step cache (builder/cache.c) on a store of its
 * own, with real images (image_assemble): record and lookup (a missing
 * key, a replaced entry, an entry whose image went), the cache mounts'
 * folder and the IDs refused, usage, and prune: the entries, then the
 * intermediate images that no name or container holds (a named one, a
 * used one and an ordinary unnamed one stay), the layers only they held,
 * and with `all` the mounts.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../builder/cache.h"
#include "../../image/assemble.h"
#include "../../image/image.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "scratch-store.h"

static struct store *s;

/* An image of no layer, or (with_layer) of one file's layer written
 * through a pipe; its ID into id. */
static void make_image(const char *env, bool intermediate, const char *ref, bool with_layer,
		       char *id)
{
	struct berth_error err = { 0 };
	struct json_object *c = json_object_new_object(), *cc = json_object_new_object(),
			   *e = json_object_new_array();
	char *refs[] = { (char *)ref, NULL };
	int pfd[2] = { -1, -1 };

	json_object_object_add(c, "architecture", json_object_new_string("amd64"));
	json_object_object_add(c, "os", json_object_new_string("linux"));
	json_object_array_add(e, json_object_new_string(env));
	json_object_object_add(cc, "Env", e);
	json_object_object_add(c, "config", cc);
	if (with_layer) {
		/* a tar of one file "x" holding env: a ustar header, the data,
		 * the end */
		char tar[3 * 512 + 1024] = { 0 };
		unsigned sum = 0;
		snprintf(tar, 100, "%s", "x");
		snprintf(tar + 100, 8, "0000644");
		snprintf(tar + 108, 8, "0000000");
		snprintf(tar + 116, 8, "0000000");
		snprintf(tar + 124, 12, "%011o", (unsigned)strlen(env));
		snprintf(tar + 136, 12, "%011o", 1700000000u);
		memset(tar + 148, ' ', 8);
		tar[156] = '0';
		memcpy(tar + 257, "ustar", 6);
		memcpy(tar + 263, "00", 2);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)tar[i];
		snprintf(tar + 148, 8, "%06o", sum);
		memcpy(tar + 512, env, strlen(env));
		if (pipe2(pfd, O_CLOEXEC) < 0 || write(pfd[1], tar, sizeof(tar)) != sizeof(tar))
			die("pipe");
		close(pfd[1]);
	}
	struct assemble a = { .layer_fd = pfd[0],
			      .config = c,
			      .refs = ref ? refs : NULL,
			      .intermediate = intermediate };
	if (image_assemble(s, &a, id, &err) < 0)
		die("assembling: %s", err.msg);
	if (pfd[0] >= 0)
		close(pfd[0]);
	json_object_put(c);
}

static bool image_there(const char *id)
{
	_cleanup_free_ char *p = xasprintf("images/%s.json", digest_hex(id));
	return faccessat(s->rootfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static size_t files_in(const char *dir)
{
	_cleanup_close_ int fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (d)
		fd = -1;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	return n;
}

static char step1[DIGEST_STR_LEN + 1], step2[DIGEST_STR_LEN + 1], named[DIGEST_STR_LEN + 1],
	used[DIGEST_STR_LEN + 1], plain[DIGEST_STR_LEN + 1];

static void record_and_lookup(void)
{
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1] = "";

	make_image("S=1", true, NULL, true, step1);
	make_image("S=2", true, NULL, false, step2);
	ok(build_cache_lookup(s, "key-1", id) == 0, "an empty cache: a miss");
	ok(build_cache_record(s, "key-1", step1, &err) == 0, "recorded key-1");
	ok(build_cache_lookup(s, "key-1", id) == 1 && !strcmp(id, step1), "key-1 finds its image");
	ok(build_cache_lookup(s, "key-2", id) == 0, "another key: a miss");
	ok(build_cache_lookup(s, "key-", id) == 0, "a prefix of the key: a miss");
	ok(build_cache_record(s, "key-1", step2, &err) == 0 &&
		   build_cache_lookup(s, "key-1", id) == 1 && !strcmp(id, step2),
	   "recorded again: the new image");
	ok(build_cache_record(s, "key-1", step1, &err) == 0, "and back");
	ok(build_cache_record(s, "key-2", step2, &err) == 0, "recorded key-2");
	ok(build_cache_record(s, "key-x", "sha256:nothex", &err) < 0 && err.msg,
	   "an ID that is no digest refused");
	berth_error_clear(&err);
	ok(files_in("builder/cache") == 2, "one small file per key, nothing left beside them");

	/* an entry whose image is gone is a miss */
	char gone[DIGEST_STR_LEN + 1];
	make_image("S=gone", true, NULL, false, gone);
	build_cache_record(s, "key-gone", gone, &err);
	ok(build_cache_lookup(s, "key-gone", id) == 1, "key-gone found while its image is there");
	image_delete(s, gone, &err);
	ok(build_cache_lookup(s, "key-gone", id) == 0, "a miss once its image is removed");
	berth_error_clear(&err);
}

static void mounts(void)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *path = NULL, *want = xasprintf("%s/builder/mounts/npm", s->root);
	char long_id[200];
	int fd = build_cache_mount_dir(s, "npm", &path, &err);
	struct stat st;

	ok(fd >= 0 && path && !strcmp(path, want), "a cache mount: its folder and path");
	ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
	   "a folder, 0755");
	if (fd >= 0) {
		close(fd);
		/* something in it, for usage and prune */
		_cleanup_free_ char *f = xasprintf("builder/mounts/npm/cached");
		write_file_atomic(s->rootfd, f, "data\n", 5, 0644, &err);
	}
	free(path);
	path = NULL;
	fd = build_cache_mount_dir(s, "npm", &path, &err);
	ok(fd >= 0, "the same one again");
	if (fd >= 0)
		close(fd);
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	const char *bad[] = { "", ".", "..", "../x", "a/b", "/root/.npm", "x..y", long_id };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *p = NULL;
		int r = build_cache_mount_dir(s, bad[i], &p, &err);
		ok(r < 0 && err.msg && !p, "cache mount id \"%.20s\" refused", bad[i]);
		berth_error_clear(&err);
		free(p);
	}
	ok(files_in("builder/mounts") == 1, "nothing made for them");
}

static void prune(void)
{
	struct berth_error err = { 0 };
	struct build_cache_usage u;
	struct json_object *refs = NULL;
	char id[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *step1_layer = NULL;
	struct image *img;

	make_image("S=named", true, "localhost/kept:1", false, named);
	make_image("S=used", true, NULL, false, used);
	make_image("S=plain", false, NULL, false, plain);
	/* a name given afterwards (berth tag) keeps an intermediate image */
	char tagged[DIGEST_STR_LEN + 1];
	make_image("S=tagged", true, NULL, false, tagged);
	if (refs_read(s, &refs, &err) == 0) {
		json_object_object_add(refs, "localhost/tagged:1", json_object_new_string(tagged));
		refs_write(s, refs, &err);
	}
	json_object_put(refs);
	/* a container uses "used" */
	mkdirat(s->rootfd, "containers/c1", 0700);
	write_file_atomic(s->rootfd, "containers/c1/image", used, strlen(used), 0644, &err);
	if (image_read(s, step1, &img, &err) == 0) {
		step1_layer = xasprintf("layers/%s", digest_hex(img->chain_ids[0]));
		image_free(img);
	}
	berth_error_clear(&err);

	ok(build_cache_usage(s, &u, &err) == 0, "usage");
	is_int(u.entries, 3, "usage: 3 entries");
	is_int(u.images, 2, "usage: 2 intermediate images no name or container holds");
	is_int(u.mounts, 1, "usage: 1 cache mount");
	ok(u.bytes > 0, "usage: some bytes (%llu)", (unsigned long long)u.bytes);

	ok(build_cache_prune(s, false, &u, &err) == 0, "prune");
	berth_error_clear(&err);
	is_int(u.entries, 3, "prune: 3 entries went");
	is_int(u.images, 2, "prune: 2 images went");
	is_int(u.mounts, 0, "prune: no mount without all");
	ok(!image_there(step1) && !image_there(step2), "the steps' images are gone");
	ok(step1_layer && faccessat(s->rootfd, step1_layer, F_OK, AT_SYMLINK_NOFOLLOW) < 0,
	   "and the layer only they held");
	ok(image_there(named) && image_there(tagged) && image_there(used) && image_there(plain),
	   "named, tagged, used and not intermediate ones stay");
	ok(build_cache_lookup(s, "key-1", id) == 0, "the entries are gone");
	ok(files_in("builder/cache") == 0, "builder/cache is empty");
	ok(files_in("builder/mounts") == 1, "the mount stays");
	ok(faccessat(s->rootfd, "gc.pending", F_OK, 0) < 0, "no gc.pending left");

	ok(build_cache_prune(s, true, &u, &err) == 0 && u.mounts == 1 && u.images == 0,
	   "prune all: the mount goes");
	berth_error_clear(&err);
	ok(files_in("builder/mounts") == 0, "builder/mounts is empty");

	/* the lock the caller holds is used and left as it was */
	ok(store_lock(s, LOCK_SH, &err) == 0 && build_cache_prune(s, false, &u, &err) == 0 &&
		   s->locked == LOCK_SH,
	   "prune under the caller's shared lock leaves it shared");
	store_unlock(s);
	ok(build_cache_lookup(s, "key-1", id) == 0 && s->locked == 0,
	   "lookup without a lock leaves none");
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-build-cache-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!root || store_open(root, &s, &err) < 0)
		die("store %s: %s", root ? root : "mkdtemp", err.msg);
	record_and_lookup();
	mounts();
	prune();
	return scratch_store_done(s, root);
}
