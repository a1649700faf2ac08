// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-image.c: the image verbs (load, import, images, rmi, tag, inspect,
 * history, save, image prune/tree). Each parses flags, calls the engine
 * (load.c, save.c, image.c, tree.c) and formats the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "listing.h"
#include "../builder/cache.h"
#include "../runner/container.h"
#include "../image/image.h"
#include "../image/load.h"
#include "../image/mount.h"
#include "../image/oci.h"
#include "../image/reference.h"
#include "../image/save.h"
#include "../image/tree.h"
#include "../lib/util.h"

static char *short_id(const char *id, bool no_trunc)
{
	return no_trunc ? xstrdup(id) : xstrndup(digest_hex(id), 12);
}

static int64_t parse_rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *end;

	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	(void)end; /* fractions and zone: docker writes UTC, minutes do not matter */
	return (int64_t)timegm(&tm);
}

static void time_ago(int64_t t, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - t;

	if (t <= 0)
		snprintf(buf, len, "N/A");
	else if (d < 60)
		snprintf(buf, len, "%lld seconds ago", (long long)(d < 1 ? 1 : d));
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", (long long)(d / 60));
	else if (d < 2 * 86400)
		snprintf(buf, len, "%lld hours ago", (long long)(d / 3600));
	else if (d < 14 * 86400)
		snprintf(buf, len, "%lld days ago", (long long)(d / 86400));
	else if (d < 60 * 86400)
		snprintf(buf, len, "%lld weeks ago", (long long)(d / (7 * 86400)));
	else if (d < 730 * 86400)
		snprintf(buf, len, "%lld months ago", (long long)(d / (30 * 86400)));
	else
		snprintf(buf, len, "%lld years ago", (long long)(d / (365 * 86400)));
}

int cmd_load(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "input", 'i', "PATH",
		  "Read from an archive or OCI layout directory instead of stdin" },
		{ "platform", 'P' + 256, "OS/ARCH[/VARIANT]",
		  "Platform to pick from a multi-arch index" },
		{ "quiet", 'q', NULL, "Suppress progress output" },
		{ 0 },
	};
	struct load_opts o = { 0 };
	struct load_result res;
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "load", "load [-i PATH] [--platform OS/ARCH]", opts)) !=
	       -1) {
		if (c == 'i')
			o.input = optarg;
		else if (c == 'P' + 256)
			o.platform = optarg;
		else if (c == 'q')
			o.quiet = true;
	}
	if (optind < argc)
		return cli_usage_error("load", "unexpected argument \"%s\"", argv[optind]);
	if ((!o.input || strcmp(o.input, "-") == 0) && isatty(STDIN_FILENO))
		return cli_usage_error(
			"load", "stdin is a terminal: give an archive with -i PATH or pipe one in");
	if (cli_open_store(&s))
		return 1;
	if (image_load(s, &o, &res, &err) < 0)
		return cli_fail(&err);
	for (size_t i = 0; i < res.n; i++) {
		if (!res.refs[i][0])
			printf("Loaded image ID: %s\n", res.ids[i]);
		for (char **r = res.refs[i]; *r; r++)
			printf("Loaded image: %s\n", *r);
	}
	load_result_clear(&res);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "message", 'm', "TEXT", "Comment for the image's history" },
		{ "quiet", 'q', NULL, "Suppress progress output" },
		{ 0 },
	};
	struct import_opts o = { 0 };
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	char id[DIGEST_STR_LEN + 1];
	int c;

	while ((c = cli_getopt(argc, argv, "import", "import [OPTIONS] ROOTFS.tar|- [NAME[:TAG]]",
			       opts)) != -1) {
		if (c == 'm')
			o.message = optarg;
		else if (c == 'q')
			o.quiet = true;
	}
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error("import",
				       "expected ROOTFS.tar|- and an optional NAME[:TAG]");
	o.input = argv[optind];
	o.ref = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (strcmp(o.input, "-") == 0 && isatty(STDIN_FILENO))
		return cli_usage_error("import",
				       "stdin is a terminal: pipe a tarball in or give a file");
	if (cli_open_store(&s))
		return 1;
	if (image_import(s, &o, id, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", id);
	return 0;
}

struct image_row {
	char id[DIGEST_STR_LEN + 1];
	char *repo, *tag;
	char *digest; /* of the record's RepoDigests for repo, or NULL */
	int64_t created;
	uint64_t size;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct image_row *x = a, *y = b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	int r = strcmp(x->repo, y->repo);
	return r ? r : strcmp(x->tag, y->tag);
}

/* The digest of img's RepoDigest in repository repo, or NULL. */
static char *repo_digest_of(const struct image *img, const char *repo)
{
	size_t n = strlen(repo);

	for (char **d = img->repo_digests; d && *d; d++)
		if (!strncmp(*d, repo, n) && (*d)[n] == '@')
			return xstrdup(*d + n + 1);
	return NULL;
}

/* --digests: a repository the image is in by digest only (pushed under
 * another name) is a row of its own, tagged <none>, as docker lists it;
 * the image's rows from first on. */
static void add_digest_rows(const struct image *img, int64_t created, struct image_row **rows,
			    size_t *n, size_t first)
{
	for (char **d = img->repo_digests; d && *d; d++) {
		const char *at = strchr(*d, '@');
		bool listed = false;
		if (!at)
			continue;
		for (size_t i = first; i < *n && !listed; i++)
			listed = strlen((*rows)[i].repo) == (size_t)(at - *d) &&
				 !strncmp((*rows)[i].repo, *d, (size_t)(at - *d));
		if (listed)
			continue;
		*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
		struct image_row *r = &(*rows)[(*n)++];
		strcpy(r->id, img->id);
		r->repo = xstrndup(*d, (size_t)(at - *d));
		r->tag = xstrdup("<none>");
		r->digest = xstrdup(at + 1);
		r->created = created;
		r->size = img->size;
	}
}

/* An image's rows (one per name, or one <none>); a build step's image
 * without a name only with all (-a), as docker lists its intermediate
 * images. */
static void add_image_rows(struct store *s, struct json_object *refs, const char *id, bool digests,
			   bool all, struct image_row **rows, size_t *n)
{
	struct berth_error err = { 0 };
	struct image *img = NULL;
	char **names;
	size_t k = refs_of(refs, id, &names);
	int64_t created = 0;
	struct json_object *cfg;

	if (image_read(s, id, &img, &err) < 0 || (img->intermediate && !k && !all)) {
		berth_error_clear(&err);
		image_free(img);
		strv_free(names);
		return;
	}
	if ((cfg = image_config(s, id, &err))) {
		created = parse_rfc3339(json_get_string(cfg, "created"));
		json_object_put(cfg);
	}
	berth_error_clear(&err);
	for (size_t i = 0; i < (k ? k : 1); i++) {
		struct image_row *r;
		*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
		r = &(*rows)[(*n)++];
		strcpy(r->id, id);
		if (k)
			reference_split(names[i], &r->repo, &r->tag);
		else {
			r->repo = xstrdup("<none>");
			r->tag = xstrdup("<none>");
		}
		r->digest = repo_digest_of(img, r->repo);
		r->created = created;
		r->size = img->size;
	}
	if (digests)
		add_digest_rows(img, created, rows, n, *n - (k ? k : 1));
	image_free(img);
	strv_free(names);
}

static void images_json(struct image_row *rows, size_t n)
{
	_cleanup_json_ struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "Id", json_object_new_string(rows[i].id));
		json_object_object_add(o, "Repository", json_object_new_string(rows[i].repo));
		json_object_object_add(o, "Tag", json_object_new_string(rows[i].tag));
		json_object_object_add(
			o, "Digest",
			json_object_new_string(rows[i].digest ? rows[i].digest : "<none>"));
		json_object_object_add(o, "Created", json_object_new_int64(rows[i].created));
		json_object_object_add(o, "Size", json_object_new_int64((int64_t)rows[i].size));
		json_object_array_add(a, o);
	}
	listing_print_json(a);
}

/* -q lists each image once, though rows are sorted by date and name. */
static bool seen_before(const struct image_row *rows, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(rows[k].id, rows[i].id) == 0)
			return true;
	return false;
}

/* The table, or -q's IDs. */
static void images_table(const struct image_row *rows, size_t n, bool quiet, bool no_trunc,
			 bool digests)
{
	/* --digests: docker's DIGEST column after TAG */
	const struct listing_col all[] = {
		{ "REPOSITORY", 40, false },
		{ "TAG", 16, false },
		{ "DIGEST", DIGEST_STR_LEN, false },
		{ "IMAGE ID", no_trunc ? DIGEST_STR_LEN : 14, false },
		{ "CREATED", 20, false },
		{ "SIZE", 0, false },
	};
	const struct listing_col plain[] = { all[0], all[1], all[3], all[4], all[5] };
	struct listing l = { digests ? all : plain, digests ? ARRAY_SIZE(all) : ARRAY_SIZE(plain),
			     " ", NULL, 0 };

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *sid = short_id(rows[i].id, no_trunc);
		char ago[64], size[32];
		if (quiet) {
			if (!seen_before(rows, i))
				printf("%s\n", sid);
			continue;
		}
		time_ago(rows[i].created, ago, sizeof(ago));
		human_size(rows[i].size, size, sizeof(size));
		if (digests)
			listing_row(&l, rows[i].repo, rows[i].tag,
				    rows[i].digest ? rows[i].digest : "<none>", sid, ago, size);
		else
			listing_row(&l, rows[i].repo, rows[i].tag, sid, ago, size);
	}
	if (!quiet)
		listing_print(&l);
}

int cmd_images(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Show all images, the build steps' intermediate ones too" },
		{ "quiet", 'q', NULL, "Only show image IDs" },
		{ "no-trunc", 'N' + 256, NULL, "Show full image IDs" },
		{ "digests", 'D' + 256, NULL,
		  "Show the digests (RepoDigests) of pulled and pushed images" },
		{ "format", 'F' + 256, "FORMAT", "Output format: table (default) or json" },
		{ 0 },
	};
	bool quiet = false, no_trunc = false, json = false, digests = false, all = false;
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error err = { 0 };
	struct image_row *rows = NULL;
	char **ids = NULL;
	size_t n_ids = 0, n = 0;
	int c;

	while ((c = cli_getopt(argc, argv, "images", "images [OPTIONS]", opts)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'a')
			all = true;
		else if (c == 'N' + 256)
			no_trunc = true;
		else if (c == 'D' + 256)
			digests = true;
		else if (c == 'F' + 256 && (c = listing_format("images", optarg, true, &json)) != 0)
			return c;
	}
	if (optind < argc)
		return cli_usage_error("images", "filtering by name is not supported yet: \"%s\"",
				       argv[optind]);
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0)
		return cli_fail(&err);
	/* damaged names: the images are listed by ID all the same */
	if (refs_read_checked(s, &refs, &err) < 0) {
		_cleanup_free_ char *t = berth_error_text(&err);
		fprintf(stderr, "berth: warning: %s\n", t);
		berth_error_clear(&err);
	}
	if (image_list_ids(s, &ids, &n_ids, &err) < 0)
		return cli_fail(&err);
	for (size_t i = 0; i < n_ids; i++)
		add_image_rows(s, refs, ids[i], digests, all, &rows, &n);
	strv_free(ids);
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_rows);
	if (json)
		images_json(rows, n);
	else
		images_table(rows, n, quiet, no_trunc, digests);
	for (size_t i = 0; i < n; i++) {
		free(rows[i].repo);
		free(rows[i].tag);
		free(rows[i].digest);
	}
	free(rows);
	return 0;
}

/* Remove one image as rmi would: a name with siblings is only untagged. */
static int rmi_one(struct store *s, struct json_object *refs, const char *arg, bool force,
		   struct berth_error *err)
{
	_cleanup_free_ char *norm = NULL;
	char id[DIGEST_STR_LEN + 1];
	char **names = NULL, **users = NULL;
	size_t k, n_users;
	int ret = -1;

	if (image_resolve(s, arg, id, err) < 0)
		return -1;
	k = refs_of(refs, id, &names);
	if ((norm = image_ref_in(refs, arg)) && k > 1) {
		json_object_object_del(refs, norm);
		printf("Untagged: %s\n", norm);
		ret = 0;
		goto out;
	}
	n_users = image_users(s, id, &users);
	if (n_users && !force) {
		berth_error_set(err, 0,
				"image %s is used by container %s%s (remove it first, or use -f)",
				arg, users[0], n_users > 1 ? " and others" : "");
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		json_object_object_del(refs, names[i]);
		printf("Untagged: %s\n", names[i]);
	}
	if (refs_write(s, refs, err) < 0 || image_delete(s, id, err) < 0)
		goto out;
	printf("Deleted: %s\n", id);
	ret = 0;
out:
	strv_free(names);
	strv_free(users);
	return ret;
}

int cmd_rmi(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "force", 'f', NULL, "Remove the image even if containers use it" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error err = { 0 };
	bool force = false;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "rmi", "rmi [-f] IMAGE...", opts)) != -1)
		if (c == 'f')
			force = true;
	if (optind >= argc)
		return cli_usage_error("rmi", "expected at least one IMAGE");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_EX, &err) < 0 || refs_read(s, &refs, &err) < 0)
		return cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		if (rmi_one(s, refs, argv[i], force, &err) == 0)
			continue;
		/* (resolved under the store's lock: of two rmi at once, the
		 * second finds it gone) docker's words, no failure under -f */
		if (err.errnum == ENOENT && err.msg && strstr(err.msg, "no such image")) {
			if (cli_no_such("image", argv[i], force, &err) != 0)
				rc = EXIT_FAILURE;
		} else {
			rc = cli_fail(&err);
		}
	}
	if (refs_write(s, refs, &err) < 0)
		rc = cli_fail(&err);
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1];

	while (cli_getopt(argc, argv, "tag", "tag SOURCE TARGET[:TAG]...", opts) != -1)
		;
	if (argc - optind < 2)
		return cli_usage_error("tag", "expected SOURCE and at least one TARGET");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_EX, &err) < 0 || image_resolve(s, argv[optind], id, &err) < 0 ||
	    refs_read(s, &refs, &err) < 0)
		return cli_fail(&err);
	for (int i = optind + 1; i < argc; i++) {
		_cleanup_free_ char *norm = NULL;
		if (reference_normalize(argv[i], &norm, &err) < 0)
			return cli_fail(&err);
		if (strchr(norm, '@'))
			return cli_usage_error("tag", "\"%s\": a target cannot carry a digest",
					       argv[i]);
		json_object_object_add(refs, norm, json_object_new_string(id));
	}
	if (refs_write(s, refs, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static struct json_object *inspect_one(struct store *s, const char *id, struct berth_error *err)
{
	_cleanup_json_ struct json_object *refs = NULL;
	struct json_object *cfg, *o, *tags, *v, *rootfs;
	struct image *img;
	char **names;
	size_t k;

	if (refs_read(s, &refs, err) < 0 || image_read(s, id, &img, err) < 0)
		return NULL;
	if (!(cfg = image_config(s, id, err))) {
		image_free(img);
		return NULL;
	}
	o = json_object_new_object();
	tags = json_object_new_array();
	k = refs_of(refs, id, &names);
	for (size_t i = 0; i < k; i++)
		json_object_array_add(tags, json_object_new_string(names[i]));
	strv_free(names);
	json_object_object_add(o, "Id", json_object_new_string(id));
	json_object_object_add(o, "Digest", json_object_new_string(img->manifest));
	json_object_object_add(o, "RepoTags", tags);
	struct json_object *rd = json_object_new_array();
	for (char **d = img->repo_digests; d && *d; d++)
		json_object_array_add(rd, json_object_new_string(*d));
	json_object_object_add(o, "RepoDigests", rd);
	static const char *const copy[] = { "created", "author", "architecture", "variant", "os" };
	static const char *const as[] = { "Created", "Author", "Architecture", "Variant", "Os" };
	for (size_t i = 0; i < ARRAY_SIZE(copy); i++)
		if (json_object_object_get_ex(cfg, copy[i], &v))
			json_object_object_add(o, as[i], json_object_get(v));
	json_object_object_add(o, "Config",
			       json_object_object_get_ex(cfg, "config", &v)
				       ? json_object_get(v)
				       : json_object_new_object());
	json_object_object_add(o, "Size", json_object_new_int64((int64_t)img->size));
	rootfs = json_object_new_object();
	json_object_object_add(rootfs, "Type", json_object_new_string("layers"));
	struct json_object *layers = json_object_new_array();
	for (size_t i = 0; i < img->n_layers; i++)
		json_object_array_add(layers, json_object_new_string(img->diff_ids[i]));
	json_object_object_add(rootfs, "Layers", layers);
	json_object_object_add(o, "RootFS", rootfs);
	if (json_object_object_get_ex(cfg, "history", &v))
		json_object_object_add(o, "History", json_object_get(v));
	json_object_put(cfg);
	image_free(img);
	return o;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "type", 't', "TYPE",
		  "image or container (default: a container by that name or ID, "
		  "else an image)" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *a = json_object_new_array();
	struct berth_error err = { 0 };
	const char *type = NULL;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "inspect", "inspect [--type image|container] NAME...",
			       opts)) != -1) {
		if (c != 't')
			return EXIT_USAGE;
		if (strcmp(optarg, "image") != 0 && strcmp(optarg, "container") != 0)
			return cli_usage_error(
				"inspect", "--type \"%s\": expected image or container", optarg);
		type = optarg;
	}
	if (optind >= argc)
		return cli_usage_error("inspect", "expected at least one IMAGE or CONTAINER");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0)
		return cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		char id[DIGEST_STR_LEN + 1], cid[CONTAINER_ID_LEN + 1];
		struct json_object *o = NULL;
		/* docker's order: a container by that name or ID first */
		if ((!type || !strcmp(type, "container")) &&
		    container_resolve(s, argv[i], cid, &err) == 0) {
			if (!(o = container_inspect(s, cid, &err))) {
				rc = cli_fail(&err);
				continue;
			}
		} else if (type && !strcmp(type, "container")) {
			rc = cli_fail(&err);
			continue;
		} else {
			berth_error_clear(&err);
			if (image_resolve(s, argv[i], id, &err) < 0 ||
			    !(o = inspect_one(s, id, &err))) {
				rc = cli_fail(&err);
				continue;
			}
		}
		json_object_array_add(a, o);
	}
	listing_print_json(a);
	return rc;
}

struct hist_row {
	char *created_by, *comment;
	int64_t created;
	uint64_t size;
	bool has_layer;
};

/* Pair config history entries with layers (empty_layer entries have
 * none); when the counts disagree fall back to one row per layer. */
static size_t history_rows(struct store *s, struct image *img, struct json_object *cfg,
			   struct hist_row **out)
{
	struct json_object *h = NULL;
	size_t n = 0, layer = 0, nonempty = 0;
	struct hist_row *rows;

	if (json_object_object_get_ex(cfg, "history", &h) &&
	    json_object_is_type(h, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(h); i++) {
			struct json_object *e = json_object_array_get_idx(h, i), *el;
			if (!(json_object_object_get_ex(e, "empty_layer", &el) &&
			      json_object_get_boolean(el)))
				nonempty++;
		}
	}
	if (!h || !json_object_is_type(h, json_type_array) || nonempty != img->n_layers) {
		rows = xcalloc(img->n_layers + 1, sizeof(*rows));
		for (size_t i = 0; i < img->n_layers; i++) {
			rows[i].has_layer = true;
			rows[i].created_by = xstrdup("");
			rows[i].comment = xstrdup("");
		}
		n = img->n_layers;
	} else {
		n = json_object_array_length(h);
		rows = xcalloc(n + 1, sizeof(*rows));
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(h, i), *el;
			const char *cb = json_get_string(e, "created_by"),
				   *cm = json_get_string(e, "comment");
			rows[i].created_by = xstrdup(cb ? cb : "");
			rows[i].comment = xstrdup(cm ? cm : "");
			rows[i].created = parse_rfc3339(json_get_string(e, "created"));
			rows[i].has_layer = !(json_object_object_get_ex(e, "empty_layer", &el) &&
					      json_object_get_boolean(el));
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct layer_info info;
		struct berth_error err = { 0 };
		if (!rows[i].has_layer)
			continue;
		if (store_layer_info(s, img->chain_ids[layer++], &info, &err) == 0)
			rows[i].size = info.size;
		berth_error_clear(&err);
	}
	*out = rows;
	return n;
}

/* The rows, newest first, the top one the image's (id), the others
 * "<missing>", as docker shows them. */
static void history_json(const char *id, const struct hist_row *rows, size_t n)
{
	_cleanup_json_ struct json_object *ja = json_object_new_array();

	for (size_t k = n; k-- > 0;) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id",
				       json_object_new_string(k == n - 1 ? id : "<missing>"));
		json_object_object_add(o, "created", json_object_new_int64(rows[k].created));
		json_object_object_add(o, "createdBy", json_object_new_string(rows[k].created_by));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)rows[k].size));
		json_object_object_add(o, "comment", json_object_new_string(rows[k].comment));
		json_object_array_add(ja, o);
	}
	listing_print_json(ja);
}

/* The table (CREATED BY cut to 45 unless no_trunc), or -q's IDs. */
static void history_table(const char *id, struct hist_row *rows, size_t n, bool quiet,
			  bool no_trunc)
{
	static const struct listing_col cols[] = {
		{ "IMAGE", 14, false }, { "CREATED", 20, false }, { "CREATED BY", 46, false },
		{ "SIZE", 10, false },	{ "COMMENT", 0, false },
	};
	struct listing l = { cols, ARRAY_SIZE(cols), " ", NULL, 0 };

	for (size_t k = n; k-- > 0;) {
		_cleanup_free_ char *sid =
			k == n - 1 ? short_id(id, no_trunc) : xstrdup("<missing>");
		char ago[64], size[32];
		if (quiet) {
			printf("%s\n", sid);
			continue;
		}
		time_ago(rows[k].created, ago, sizeof(ago));
		human_size(rows[k].size, size, sizeof(size));
		if (!no_trunc && strlen(rows[k].created_by) > 45)
			strcpy(rows[k].created_by + 42, "...");
		listing_row(&l, sid, ago, rows[k].created_by, size, rows[k].comment);
	}
	if (!quiet)
		listing_print(&l);
}

int cmd_history(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "no-trunc", 'N' + 256, NULL, "Do not truncate the output" },
		{ "quiet", 'q', NULL, "Only show image IDs" },
		{ "human", 'H', NULL, "Human-readable sizes and dates (the default)" },
		{ "format", 'F' + 256, "FORMAT", "Output format: table (default) or json" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *cfg = NULL;
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1];
	bool no_trunc = false, quiet = false, json = false;
	struct hist_row *rows;
	struct image *img;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "history", "history [OPTIONS] IMAGE", opts)) != -1) {
		if (c == 'N' + 256)
			no_trunc = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'F' + 256 &&
			 (c = listing_format("history", optarg, true, &json)) != 0)
			return c;
	}
	if (argc - optind != 1)
		return cli_usage_error("history", "expected exactly one IMAGE");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0 || image_resolve(s, argv[optind], id, &err) < 0 ||
	    image_read(s, id, &img, &err) < 0 || !(cfg = image_config(s, id, &err)))
		return cli_fail(&err);
	n = history_rows(s, img, cfg, &rows);
	if (json)
		history_json(id, rows, n);
	else
		history_table(id, rows, n, quiet, no_trunc);
	for (size_t k = 0; k < n; k++) {
		free(rows[k].created_by);
		free(rows[k].comment);
	}
	free(rows);
	image_free(img);
	return 0;
}

int cmd_save(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "output", 'o', "FILE", "Write to FILE instead of stdout" },
		{ "format", 'F' + 256, "FORMAT", "docker-archive (default) or oci-archive" },
		{ "quiet", 'q', NULL, "Suppress progress output" },
		{ 0 },
	};
	struct save_opts o = { .format = SAVE_DOCKER_ARCHIVE };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error err = { 0 };
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "save", "save [-o FILE] [--format FORMAT] IMAGE...",
			       opts)) != -1) {
		if (c == 'o')
			o.output = optarg;
		else if (c == 'q')
			o.quiet = true;
		else if (c == 'F' + 256) {
			if (strcmp(optarg, "docker-archive") == 0)
				o.format = SAVE_DOCKER_ARCHIVE;
			else if (strcmp(optarg, "oci-archive") == 0)
				o.format = SAVE_OCI_ARCHIVE;
			else
				return cli_usage_error(
					"save",
					"--format \"%s\": expected docker-archive or oci-archive",
					optarg);
		}
	}
	if (optind >= argc)
		return cli_usage_error("save", "expected at least one IMAGE");
	if (!o.output && isatty(STDOUT_FILENO))
		return cli_usage_error(
			"save",
			"refusing to write an archive to a terminal: use -o FILE or a pipe");
	if (cli_open_store(&s))
		return 1;
	if (refs_read(s, &refs, &err) < 0)
		return cli_fail(&err);
	o.items = xcalloc((size_t)(argc - optind), sizeof(*o.items));
	for (int i = optind; i < argc; i++) {
		struct save_item *it = &o.items[o.n];
		_cleanup_free_ char *norm = NULL;
		if (image_resolve(s, argv[i], it->id, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		/* named by a reference: keep the name, as docker save does
		 * (a short one as image_resolve read it) */
		if ((norm = image_ref_in(refs, argv[i])) && !strchr(norm, '@'))
			it->ref = steal_pointer(&norm);
		o.n++;
	}
	if (image_save(s, &o, &err) < 0)
		rc = cli_fail(&err);
out:
	for (size_t i = 0; i < o.n; i++)
		free(o.items[i].ref);
	free(o.items);
	return rc;
}

int cmd_image_prune(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Remove all images no container uses, not only untagged ones" },
		{ "force", 'f', NULL, "Do not ask for confirmation" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *refs = NULL;
	struct berth_error err = { 0 };
	bool all = false, force = false;
	struct build_cache_usage cache;
	uint64_t reclaimed = 0;
	char **ids = NULL, size[32];
	size_t n = 0;
	int c;

	if ((c = cli_getflags(argc, argv, "image prune", "image prune [-a] [-f]", opts,
			      (bool *const[]){ &all, &force })) != 0)
		return c;
	if (!force && isatty(STDIN_FILENO)) {
		char answer[16] = "";
		fprintf(stderr, "This removes %s images. Continue? [y/N] ",
			all ? "all unused" : "all dangling");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	if (cli_open_store(&s))
		return 1;
	/* the build cache counts: its entries and intermediate images go
	 * first (the unnamed images below would take the images anyway) */
	if (store_lock(s, LOCK_EX, &err) < 0 || build_cache_prune(s, false, &cache, &err) < 0 ||
	    refs_read(s, &refs, &err) < 0 || image_list_ids(s, &ids, &n, &err) < 0)
		return cli_fail(&err);
	reclaimed = cache.bytes;
	printf("Deleted Images:\n");
	if (cache.entries || cache.images)
		printf("build cache: %zu entr%s, %zu intermediate image%s\n", cache.entries,
		       cache.entries == 1 ? "y" : "ies", cache.images,
		       cache.images == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char **names = NULL, **users = NULL;
		size_t k = refs_of(refs, ids[i], &names), u = image_users(s, ids[i], &users);
		struct image *img;
		if ((k == 0 || all) && u == 0 && image_read(s, ids[i], &img, &err) == 0) {
			for (size_t j = 0; j < k; j++) {
				json_object_object_del(refs, names[j]);
				printf("untagged: %s\n", names[j]);
			}
			reclaimed += img->size;
			image_free(img);
			if (refs_write(s, refs, &err) < 0 || image_delete(s, ids[i], &err) < 0) {
				strv_free(names);
				strv_free(users);
				strv_free(ids);
				return cli_fail(&err);
			}
			printf("deleted: %s\n", ids[i]);
		}
		berth_error_clear(&err);
		strv_free(names);
		strv_free(users);
	}
	strv_free(ids);
	if (image_gc(s, &err) < 0)
		return cli_fail(&err);
	human_size(reclaimed, size, sizeof(size));
	printf("\nTotal reclaimed space: %s\n", size);
	return 0;
}

int cmd_image_tree(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1];

	while (cli_getopt(argc, argv, "image tree", "image tree IMAGE", opts) != -1)
		;
	if (argc - optind != 1)
		return cli_usage_error("image tree", "expected exactly one IMAGE");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0 || image_resolve(s, argv[optind], id, &err) < 0 ||
	    image_tree(s, id, stdout, &err) < 0)
		return cli_fail(&err);
	return fflush(stdout) == 0 ? 0 : 1;
}

int cmd_image_mount(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "upper", 'U' + 256, "DIR",
		  "Mount writable; changes go to the layer directory DIR" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	char id[DIGEST_STR_LEN + 1];
	const char *upper = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "image mount",
			       "image mount [--upper DIR] IMAGE MOUNTPOINT", opts)) != -1)
		if (c == 'U' + 256)
			upper = optarg;
	if (argc - optind != 2)
		return cli_usage_error("image mount", "expected IMAGE and MOUNTPOINT");
	if (cli_open_store(&s))
		return 1;
	if (store_lock(s, LOCK_SH, &err) < 0 || image_resolve(s, argv[optind], id, &err) < 0 ||
	    image_mount(s, id, argv[optind + 1], upper, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_image_umount(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	struct berth_error err = { 0 };

	while (cli_getopt(argc, argv, "image umount", "image umount MOUNTPOINT", opts) != -1)
		;
	if (argc - optind != 1)
		return cli_usage_error("image umount", "expected MOUNTPOINT");
	if (image_umount(argv[optind], &err) < 0)
		return cli_fail(&err);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	static const struct cli_cmd sub[] = {
		{ "history", cmd_history, "Show the history of an image" },
		{ "import", cmd_import, "Create an image from a rootfs tarball" },
		{ "inspect", cmd_inspect, "Show an image's configuration as JSON" },
		{ "load", cmd_load, "Load images from an archive" },
		{ "ls", cmd_images, "List images" },
		{ "mount", cmd_image_mount, "Mount an image's filesystem read-only (berth-fs)" },
		{ "list", cmd_images, NULL },
		{ "prune", cmd_image_prune, "Remove unused images" },
		{ "pull", cmd_pull, "Pull an image from a registry" },
		{ "push", cmd_push, "Push an image to a registry" },
		{ "rm", cmd_rmi, "Remove images" },
		{ "save", cmd_save, "Save images to an archive" },
		{ "tag", cmd_tag, "Give an image another name" },
		{ "tree", cmd_image_tree, "List an image's merged filesystem as TSV" },
		{ "umount", cmd_image_umount, "Unmount what image mount mounted" },
	};

	return cli_dispatch("image", sub, ARRAY_SIZE(sub), argc, argv);
}
