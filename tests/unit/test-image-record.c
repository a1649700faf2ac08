// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests: the image record's registry fields (image/image.c): a
 * record written before them reads with none; image_note_registry adds
 * a RepoDigest per repository (a new push or pull of the same repository
 * replaces its digest) and a source once; a record whose fields are of
 * the wrong shape is corrupt. The intermediate flag (absent: false,
 * written only when set). A commit killed between a new image's record
 * and its names leaves no nameless image after the recovery.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "../../image/image.h"
#include "../../lib/util.h"
#include "../tap.h"
#include "scratch-store.h"

#define ID "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define M "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D1 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D2 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define ID_HEX "1111111111111111111111111111111111111111111111111111111111111111"
#define OLD_RECORD                                                                                 \
	"{\"id\":\"" ID "\",\"manifest\":\"" M "\",\"chain_ids\":[],\"diff_ids\":[],"              \
	"\"blobs\":[],\"size\":0,\"loaded\":1}"

static struct store *s;

static void put_record(const char *txt)
{
	struct berth_error err = { 0 };

	if (write_file_atomic(s->rootfd, "images/" ID_HEX ".json", txt, strlen(txt), 0644, &err) <
	    0)
		die("writing the record: %s", err.msg);
}

static size_t count(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void old_and_noted(void)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;

	put_record(OLD_RECORD);
	ok(image_read(s, ID, &img, &err) == 0 && !img->repo_digests && !img->sources,
	   "a record without the registry fields reads, with none");
	image_free(img);
	img = NULL;
	ok(image_note_registry(s, ID, "127.0.0.1:5000/app", D1, &err) == 0 &&
		   image_note_registry(s, ID, "127.0.0.1:5000/app2", D1, &err) == 0 &&
		   image_note_registry(s, ID, "127.0.0.1:5000/app", D2, &err) == 0,
	   "three notes of two repositories");
	ok(image_read(s, ID, &img, &err) == 0 && count(img->repo_digests) == 2 &&
		   !strcmp(img->repo_digests[0], "127.0.0.1:5000/app@" D2) &&
		   !strcmp(img->repo_digests[1], "127.0.0.1:5000/app2@" D1),
	   "one RepoDigest per repository, the latest digest kept");
	ok(img && count(img->sources) == 2 && !strcmp(img->sources[0], "127.0.0.1:5000/app") &&
		   !strcmp(img->sources[1], "127.0.0.1:5000/app2"),
	   "each repository a source once (app is not app2's prefix)");
	ok(img && image_write(s, img, &err) == 0, "written again");
	image_free(img);
	img = NULL;
	ok(image_read(s, ID, &img, &err) == 0 && count(img->repo_digests) == 2 &&
		   count(img->sources) == 2,
	   "... and read back the same");
	image_free(img);
	berth_error_clear(&err);
}

static void corrupt(void)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;

	put_record("{\"id\":\"" ID "\",\"manifest\":\"" M "\",\"chain_ids\":[],\"diff_ids\":[],"
		   "\"blobs\":[],\"repo_digests\":\"x\"}");
	ok(image_read(s, ID, &img, &err) < 0 && err.msg && strstr(err.msg, "corrupt record"),
	   "repo_digests that is no array: a corrupt record");
	berth_error_clear(&err);
	put_record("{\"id\":\"" ID "\",\"manifest\":\"" M "\",\"chain_ids\":[],\"diff_ids\":[],"
		   "\"blobs\":[],\"sources\":[1]}");
	ok(image_read(s, ID, &img, &err) < 0 && err.msg && strstr(err.msg, "corrupt record"),
	   "a source that is no string: a corrupt record");
	berth_error_clear(&err);
}

/* The intermediate field: absent false, written only when true, read
 * back; of the wrong type a corrupt record. */
static void intermediate(void)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;
	_cleanup_free_ char *buf = NULL;

	put_record(OLD_RECORD);
	ok(image_read(s, ID, &img, &err) == 0 && !img->intermediate,
	   "a record without intermediate is not");
	ok(img && image_write(s, img, &err) == 0 &&
		   read_file_at(s->rootfd, "images/" ID_HEX ".json", 4096, &buf, NULL, &err) == 0 &&
		   !strstr(buf, "intermediate"),
	   "written back without the field");
	free(buf);
	buf = NULL;
	if (img)
		img->intermediate = true;
	ok(img && image_write(s, img, &err) == 0 &&
		   read_file_at(s->rootfd, "images/" ID_HEX ".json", 4096, &buf, NULL, &err) == 0 &&
		   strstr(buf, "\"intermediate\""),
	   "set: written");
	image_free(img);
	img = NULL;
	ok(image_read(s, ID, &img, &err) == 0 && img->intermediate, "and read back");
	image_free(img);
	img = NULL;
	put_record("{\"id\":\"" ID "\",\"manifest\":\"" M "\",\"chain_ids\":[],\"diff_ids\":[],"
		   "\"blobs\":[],\"intermediate\":\"yes\"}");
	ok(image_read(s, ID, &img, &err) < 0 && err.msg && strstr(err.msg, "corrupt record"),
	   "intermediate that is no boolean: a corrupt record");
	berth_error_clear(&err);
}

/* A commit killed between a new image's record and its names: the next
 * command's recovery removes the record, unless a name points at it. */
static void killed_before_names(void)
{
	struct berth_error err = { 0 };
	struct json_object *refs = json_object_new_object();

	put_record(OLD_RECORD);
	ok(image_commit_begin(s, &err) == 0 && image_commit_new(s, ID, &err) == 0,
	   "a commit marks the new image it will name");
	/* killed in refs.json's write: its temporary file (a pid above any
	 * pid_max: surely gone), and another image's record cut off */
	write_file_atomic(s->rootfd, "refs.json.tmp-2147483640", "{", 1, 0644, &err);
	write_file_atomic(s->rootfd, "images/" ID_HEX ".json.tmp-2147483640", "{", 1, 0644, &err);
	image_recover(s);
	ok(faccessat(s->rootfd, "images/" ID_HEX ".json", F_OK, 0) < 0 &&
		   faccessat(s->rootfd, "gc.pending", F_OK, 0) < 0,
	   "killed before its names: the recovery removes its record and the mark");
	ok(faccessat(s->rootfd, "refs.json.tmp-2147483640", F_OK, 0) < 0 &&
		   faccessat(s->rootfd, "images/" ID_HEX ".json.tmp-2147483640", F_OK, 0) < 0,
	   "and the writes it cut off");

	put_record(OLD_RECORD);
	json_object_object_add(refs, "localhost/named:1", json_object_new_string(ID));
	ok(refs_write(s, refs, &err) == 0 && image_commit_begin(s, &err) == 0 &&
		   image_commit_new(s, ID, &err) == 0,
	   "again, with refs.json written before the kill");
	image_recover(s);
	ok(faccessat(s->rootfd, "images/" ID_HEX ".json", F_OK, 0) == 0 &&
		   faccessat(s->rootfd, "gc.pending", F_OK, 0) < 0,
	   "named: the record stays, the mark goes");
	json_object_put(refs);
	berth_error_clear(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-image-record-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct berth_error err = { 0 };

	if (!root || store_open(root, &s, &err) < 0)
		die("store %s: %s", root ? root : "mkdtemp", err.msg);
	old_and_noted();
	corrupt();
	intermediate();
	killed_before_names();
	return scratch_store_done(s, root);
}
