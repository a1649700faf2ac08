// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * save.c: `berth save`. The config and manifest blobs are written byte
 * for byte as stored, so image IDs survive the round trip. docker-archive
 * wants uncompressed layers (their digest is the diffID): compressed blobs
 * are inflated on the fly, their size known from the layer record. The
 * output is written unnamed (or under a temporary name) and named only
 * when complete: a failed or killed save leaves no partial file.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "oci.h"
#include "../lib/progress.h"
#include "save.h"
#include "unpack.h"
#include "../lib/util.h"

#define CHUNK (256 * 1024)

struct saver {
	struct store *store;
	struct archive *out;
	struct progress prog;
	char **written; /* member names already in the archive */
	size_t n_written;
	const char *dest; /* "-o FILE" or "stdout": what a failed write names */
	struct berth_error *err;
};

static bool already(struct saver *sv, const char *name)
{
	for (size_t i = 0; i < sv->n_written; i++)
		if (strcmp(sv->written[i], name) == 0)
			return true;
	sv->written = xrealloc(sv->written, (sv->n_written + 1) * sizeof(char *));
	sv->written[sv->n_written++] = xstrdup(name);
	return false;
}

/* A failed write of member name: the destination, the member, and why
 * (ENOSPC, EPIPE, EIO...). */
static int write_failed(struct saver *sv, const char *name)
{
	_cleanup_free_ char *what = xasprintf("%s: writing %s", sv->dest, name);
	return unpack_archive_error(sv->out, what, sv->err);
}

static int write_header(struct saver *sv, const char *name, int64_t size)
{
	struct archive_entry *ae = archive_entry_new();
	int r;

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, size < 0 ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ae, size < 0 ? 0755 : 0644);
	archive_entry_set_size(ae, size < 0 ? 0 : size);
	archive_entry_set_mtime(ae, 0, 0);
	r = archive_write_header(sv->out, ae);
	archive_entry_free(ae);
	if (r != ARCHIVE_OK)
		return write_failed(sv, name);
	return 0;
}

static int write_bytes(struct saver *sv, const char *name, const void *data, size_t len)
{
	if (already(sv, name))
		return 0;
	if (write_header(sv, name, (int64_t)len) < 0)
		return -1;
	if (len && archive_write_data(sv->out, data, len) != (la_ssize_t)len)
		return write_failed(sv, name);
	return 0;
}

/* Copy exactly size bytes from fd (raw) or from a decompressor. */
static int write_stream(struct saver *sv, const char *name, int fd, struct archive *dec,
			uint64_t size)
{
	_cleanup_free_ char *buf = xmalloc(CHUNK);
	uint64_t done = 0;

	if (write_header(sv, name, (int64_t)size) < 0)
		return -1;
	progress_start(&sv->prog, size, "Writing %.40s", name);
	while (done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		ssize_t n = dec ? archive_read_data(dec, buf, want) : read(fd, buf, want);
		if (n < 0 && !dec && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_set(sv->err, n < 0 && !dec ? errno : 0,
					       "reading the blob for %s: %s", name,
					       n == 0 ? "shorter than recorded"
					       : dec  ? archive_error_string(dec)
						      : "read error");
		if (archive_write_data(sv->out, buf, (size_t)n) != n)
			return write_failed(sv, name);
		done += (uint64_t)n;
		progress_update(&sv->prog, done);
	}
	progress_end(&sv->prog, done);
	return 0;
}

static int write_blob(struct saver *sv, const char *name, const char *digest, bool inflate,
		      uint64_t tar_size)
{
	_cleanup_close_ int fd = -1;
	struct archive *dec = NULL;
	struct stat st;
	int r;

	if (already(sv, name))
		return 0;
	if ((fd = store_blob_open(sv->store, digest, sv->err)) < 0 || fstat(fd, &st) < 0)
		return -1;
	if (inflate && !(dec = unpack_open_decompressor(fd, sv->err)))
		return -1;
	r = write_stream(sv, name, fd, dec, inflate ? tar_size : (uint64_t)st.st_size);
	if (dec)
		archive_read_free(dec);
	return r;
}

static int read_blob(struct saver *sv, const char *digest, size_t max, char **buf, size_t *len)
{
	_cleanup_close_ int fd = store_blob_open(sv->store, digest, sv->err);
	if (fd < 0 || read_fd_all(fd, max, buf, len, sv->err) < 0)
		return berth_error_wrap(sv->err, "blob %.19s", digest);
	return 0;
}

static int docker_image(struct saver *sv, const struct save_item *it, struct json_object *manifest,
			struct json_object *repos)
{
	struct image *img;
	_cleanup_free_ char *config = NULL, *cfgname = NULL;
	struct json_object *e = json_object_new_object(), *layers = json_object_new_array(),
			   *tags = json_object_new_array();
	size_t len;
	int r = -1;

	json_object_object_add(e, "Config", NULL);
	json_object_object_add(e, "RepoTags", tags);
	json_object_object_add(e, "Layers", layers);
	json_object_array_add(manifest, e);
	if (image_read(sv->store, it->id, &img, sv->err) < 0)
		return -1;
	if (read_blob(sv, img->id, OCI_MAX_CONFIG, &config, &len) < 0)
		goto out;
	cfgname = xasprintf("%s.json", digest_hex(img->id));
	json_object_object_add(e, "Config", json_object_new_string(cfgname));
	if (write_bytes(sv, cfgname, config, len) < 0)
		goto out;
	for (size_t i = 0; i < img->n_layers; i++) {
		_cleanup_free_ char *dir = xstrdup(digest_hex(img->diff_ids[i]));
		_cleanup_free_ char *tar = xasprintf("%s/layer.tar", dir);
		_cleanup_free_ char *ver = xasprintf("%s/VERSION", dir);
		_cleanup_free_ char *js = xasprintf("%s/json", dir);
		_cleanup_free_ char *jv =
			xasprintf("{\"id\":\"%s\"%s%s%s}", dir, i ? ",\"parent\":\"" : "",
				  i ? digest_hex(img->diff_ids[i - 1]) : "", i ? "\"" : "");
		struct layer_info info;
		bool inflate = strcmp(img->blobs[i], img->diff_ids[i]) != 0;

		if (store_layer_info(sv->store, img->chain_ids[i], &info, sv->err) < 0 ||
		    write_bytes(sv, ver, "1.0", 3) < 0 || write_bytes(sv, js, jv, strlen(jv)) < 0 ||
		    write_blob(sv, tar, inflate ? img->blobs[i] : img->diff_ids[i], inflate,
			       info.size) < 0)
			goto out;
		json_object_array_add(layers, json_object_new_string(tar));
	}
	if (it->ref) {
		_cleanup_free_ char *repo = NULL, *tag = NULL;
		struct json_object *rt;
		const char *colon = strrchr(it->ref, ':');
		json_object_array_add(tags, json_object_new_string(it->ref));
		repo = xstrndup(it->ref, (size_t)(colon - it->ref));
		tag = xstrdup(colon + 1);
		if (!json_object_object_get_ex(repos, repo, &rt)) {
			rt = json_object_new_object();
			json_object_object_add(repos, repo, rt);
		}
		json_object_object_add(
			rt, tag,
			json_object_new_string(digest_hex(img->diff_ids[img->n_layers - 1])));
	}
	r = 0;
out:
	image_free(img);
	return r;
}

static int oci_image(struct saver *sv, const struct save_item *it, struct json_object *index)
{
	struct image *img;
	_cleanup_free_ char *mbuf = NULL;
	struct oci_manifest m = { 0 };
	struct json_object *d = json_object_new_object();
	size_t len;
	int r = -1;

	json_object_array_add(index, d);
	if (image_read(sv->store, it->id, &img, sv->err) < 0)
		return -1;
	if (read_blob(sv, img->manifest, OCI_MAX_JSON, &mbuf, &len) < 0 ||
	    oci_parse_manifest(mbuf, len, NULL, &m, sv->err) < 0)
		goto out;
	json_object_object_add(d, "mediaType", json_object_new_string(MT_OCI_MANIFEST));
	json_object_object_add(d, "digest", json_object_new_string(img->manifest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)len));
	if (it->ref) {
		struct json_object *ann = json_object_new_object();
		json_object_object_add(ann, "org.opencontainers.image.ref.name",
				       json_object_new_string(it->ref));
		json_object_object_add(d, "annotations", ann);
	}
	{
		_cleanup_free_ char *mname =
			xasprintf("blobs/sha256/%s", digest_hex(img->manifest));
		_cleanup_free_ char *cname =
			xasprintf("blobs/sha256/%s", digest_hex(m.config.digest));
		if (write_bytes(sv, mname, mbuf, len) < 0 ||
		    write_blob(sv, cname, m.config.digest, false, 0) < 0)
			goto out;
	}
	for (size_t i = 0; i < m.n_layers; i++) {
		_cleanup_free_ char *lname =
			xasprintf("blobs/sha256/%s", digest_hex(m.layers[i].digest));
		if (write_blob(sv, lname, m.layers[i].digest, false, 0) < 0)
			goto out;
	}
	r = 0;
out:
	oci_manifest_clear(&m);
	image_free(img);
	return r;
}

static int write_all_images(struct saver *sv, const struct save_opts *o)
{
	_cleanup_json_ struct json_object *list = json_object_new_array();
	_cleanup_json_ struct json_object *repos = json_object_new_object();
	const char *txt;

	if (o->format == SAVE_OCI_ARCHIVE) {
		const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if (write_header(sv, "blobs", -1) < 0 || write_header(sv, "blobs/sha256", -1) < 0 ||
		    write_bytes(sv, "oci-layout", layout, strlen(layout)) < 0)
			return -1;
	}
	for (size_t i = 0; i < o->n; i++) {
		int r = o->format == SAVE_OCI_ARCHIVE ? oci_image(sv, &o->items[i], list)
						      : docker_image(sv, &o->items[i], list, repos);
		if (r < 0)
			return -1;
	}
	if (o->format == SAVE_OCI_ARCHIVE) {
		_cleanup_json_ struct json_object *idx = json_object_new_object();
		json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
		json_object_object_add(idx, "mediaType", json_object_new_string(MT_OCI_INDEX));
		json_object_object_add(idx, "manifests", json_object_get(list));
		txt = json_object_to_json_string_ext(idx, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
		return write_bytes(sv, "index.json", txt, strlen(txt));
	}
	txt = json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (write_bytes(sv, "manifest.json", txt, strlen(txt)) < 0)
		return -1;
	txt = json_object_to_json_string_ext(repos, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	return write_bytes(sv, "repositories", txt, strlen(txt));
}

/* The output, unnamed until it is complete (O_TMPFILE in its directory):
 * a save that fails, or is killed, leaves nothing behind. Where the
 * filesystem has no O_TMPFILE, a temporary name beside it, removed on
 * failure. *tmp is that name, or NULL. */
static int open_output(const char *output, char **tmp, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(output);
	char *slash = strrchr(copy, '/');
	const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	int fd = -1;

	*tmp = NULL;
	/* linking it in later goes through /proc (AT_EMPTY_PATH needs a
	 * capability) */
	if (access("/proc/self/fd", X_OK) == 0)
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		return fd;
	*tmp = xasprintf("%s.berth-tmp-%d", output, (int)getpid());
	fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(steal_pointer(tmp));
		return berth_error_set(err, errno, "-o %s", output);
	}
	return fd;
}

/* The complete output under its name: flushed, then linked in (an
 * unnamed file under a temporary name first: linkat cannot replace) and
 * renamed over what was there. */
static int finish_output(const char *output, int fd, char **tmp, struct berth_error *err)
{
	if (fsync(fd) < 0)
		return berth_error_set(err, errno, "-o %s: writing", output);
	if (!*tmp) {
		_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
		_cleanup_free_ char *name = xasprintf("%s.berth-tmp-%d", output, (int)getpid());
		if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) < 0)
			return berth_error_set(err, errno, "-o %s", output);
		*tmp = steal_pointer(&name);
	}
	if (rename(*tmp, output) < 0)
		return berth_error_set(err, errno, "-o %s", output);
	free(steal_pointer(tmp));
	return 0;
}

int image_save(struct store *s, const struct save_opts *o, struct berth_error *err)
{
	_cleanup_free_ char *dest = o->output ? xasprintf("-o %s", o->output) : xstrdup("stdout");
	struct saver sv = { .store = s, .err = err, .dest = dest };
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int ret = -1;

	if (o->output && (fd = open_output(o->output, &tmp, err)) < 0)
		return -1;
	progress_init(&sv.prog, o->quiet);
	if (store_lock(s, LOCK_SH, err) < 0)
		goto out;
	sv.out = archive_write_new();
	archive_write_set_format_pax_restricted(sv.out);
	archive_write_set_bytes_in_last_block(sv.out, 1);
	if (archive_write_open_fd(sv.out, o->output ? fd : STDOUT_FILENO) != ARCHIVE_OK) {
		unpack_archive_error(sv.out, dest, err);
		goto out;
	}
	if (write_all_images(&sv, o) < 0)
		goto out;
	if (archive_write_close(sv.out) != ARCHIVE_OK) {
		_cleanup_free_ char *what = xasprintf("%s: writing the archive's end", dest);
		unpack_archive_error(sv.out, what, err);
		goto out;
	}
	if (o->output && finish_output(o->output, fd, &tmp, err) < 0)
		goto out;
	ret = 0;
out:
	store_unlock(s);
	if (sv.out)
		archive_write_free(sv.out);
	if (ret < 0 && tmp)
		unlink(tmp);
	for (size_t i = 0; i < sv.n_written; i++)
		free(sv.written[i]);
	free(sv.written);
	return ret;
}
