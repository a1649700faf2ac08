// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-oci.c: libFuzzer target for the parsers of image metadata: the OCI
 * index, manifest and config, docker-archive's manifest.json, a layer's
 * metadata table, image references and tar member names. Every parser sees
 * every input; whatever they return is freed again so LeakSanitizer can
 * hold them to their ownership rules. Round trips are checked too: a
 * normalised reference normalises to itself, a metadata table written out
 * parses back to the same text. Tar content is fuzz-unpack.c's job.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../image/meta.h"
#include "../../image/oci.h"
#include "../../image/reference.h"
#include "../../image/unpack.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch what a successful parse hands out, so the sanitizers see every
 * string and array the parser claims to have filled. */
static volatile size_t sink;

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void fuzz_index(const char *buf, size_t len)
{
	struct berth_error err = { 0 };
	struct oci_index idx;

	if (oci_parse_index(buf, len, NULL, &idx, &err) == 0) {
		for (size_t i = 0; i < idx.n; i++) {
			touch(idx.manifests[i].media_type);
			touch(idx.manifests[i].digest);
			touch(idx.manifests[i].ref_name);
			touch(idx.manifests[i].platform.variant);
		}
		oci_index_clear(&idx);
	}
	berth_error_clear(&err);
}

static void fuzz_manifest(const char *buf, size_t len)
{
	struct berth_error err = { 0 };
	struct oci_manifest m;

	if (oci_parse_manifest(buf, len, NULL, &m, &err) == 0) {
		touch(m.config.digest);
		for (size_t i = 0; i < m.n_layers; i++) {
			touch(m.layers[i].media_type);
			touch(m.layers[i].digest);
		}
		oci_manifest_clear(&m);
	}
	berth_error_clear(&err);
}

static void fuzz_config(const char *buf, size_t len)
{
	struct berth_error err = { 0 };
	struct oci_config c;

	if (oci_parse_config(buf, len, &c, &err) == 0) {
		_cleanup_free_ char *plat = oci_platform_str(&c.platform);
		touch(plat);
		for (size_t i = 0; i < c.n_diff_ids; i++)
			touch(c.diff_ids[i]);
		oci_config_clear(&c);
	}
	berth_error_clear(&err);
}

static void fuzz_docker(const char *buf, size_t len)
{
	struct berth_error err = { 0 };
	struct docker_manifest dm;

	if (docker_parse_manifest(buf, len, &dm, &err) == 0) {
		for (size_t i = 0; i < dm.n; i++) {
			touch(dm.entries[i].config);
			for (char **t = dm.entries[i].tags; *t; t++)
				touch(*t);
			for (size_t k = 0; k < dm.entries[i].n_layers; k++)
				touch(dm.entries[i].layers[k]);
		}
		docker_manifest_clear(&dm);
	}
	berth_error_clear(&err);
}

static int touch_entry(struct bfs_entry *e, void *data)
{
	(void)data;
	touch(e->path);
	for (size_t i = 0; i < e->n_xattrs; i++)
		touch(e->xattrs[i].name);
	return 0;
}

/* bfs_meta_write() output, read back from a memfd. */
static char *meta_text(const struct bfs_meta *m, size_t *len)
{
	struct berth_error err = { 0 };
	int fd = memfd_create("meta", MFD_CLOEXEC);
	char *text = NULL;

	if (fd < 0 || bfs_meta_write(m, fd, &err) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    read_fd_all(fd, (size_t)1 << 30, &text, len, &err) < 0)
		abort();
	close(fd);
	return text;
}

static void fuzz_meta(const char *buf, size_t len)
{
	struct berth_error err = { 0 };
	struct bfs_meta *m = NULL, *m2 = NULL;

	if (bfs_meta_parse(buf, len, &m, &err) == 0) {
		size_t len1, len2;
		_cleanup_free_ char *t1 = NULL, *t2 = NULL;

		bfs_meta_foreach(m, touch_entry, NULL);
		/* what berth writes it must read back, unchanged */
		t1 = meta_text(m, &len1);
		if (bfs_meta_parse(t1, len1, &m2, &err) < 0)
			__builtin_trap();
		t2 = meta_text(m2, &len2);
		if (len1 != len2 || memcmp(t1, t2, len1) != 0 ||
		    bfs_meta_count(m) != bfs_meta_count(m2))
			__builtin_trap();
		bfs_meta_free(m2);
		bfs_meta_free(m);
	}
	berth_error_clear(&err);
}

static void fuzz_names(const char *s)
{
	struct berth_error err = { 0 };
	char *out = NULL;

	if (reference_normalize(s, &out, &err) == 0) {
		_cleanup_free_ char *repo = NULL, *tag = NULL, *again = NULL;
		struct berth_error err2 = { 0 };

		/* a normalised reference must normalise to itself */
		if (reference_normalize(out, &again, &err2) < 0 || strcmp(out, again) != 0)
			__builtin_trap();
		reference_split(out, &repo, &tag);
		touch(repo);
		touch(tag);
		free(out);
		out = NULL;
	}
	berth_error_clear(&err);

	if (unpack_normalize_name(s, &out, &err) == 0) {
		if (out[0] != '/' || strstr(out, "//") || strstr(out, "/../") ||
		    (strcmp(out, "/") && str_has_suffix(out, "/")))
			__builtin_trap();
		free(out);
	}
	berth_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Berth's callers read documents with read_fd_all()/read_file_at(),
	 * which NUL-terminate; give the parsers the same contract. */
	_cleanup_free_ char *buf = xmalloc(size + 1);

	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_index(buf, size);
	fuzz_manifest(buf, size);
	fuzz_config(buf, size);
	fuzz_docker(buf, size);
	fuzz_meta(buf, size);
	fuzz_names(buf);
	return 0;
}
