// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the layer metadata table and its file format. */
#include <string.h>
#include <unistd.h>

#include "../../image/meta.h"
#include "../../lib/util.h"
#include "../tap.h"

static struct bfs_entry *mk(const char *path, char type, uint32_t mode)
{
	struct bfs_entry *e = bfs_entry_new(path, type);
	e->mode = mode;
	return e;
}

static const struct bfs_meta_node *node_of(const struct bfs_meta *m, const char *path,
					   const struct bfs_meta_node *parent)
{
	return bfs_meta_find(m, path, strlen(path), bfs_hash_path(path), parent);
}

/* The tree of paths: subtrees removed through it, lookups by component,
 * and the scan that takes over when paths came before their parents. */
static void test_tree(void)
{
	static const char *const paths[] = { "/",     "/a",	  "/a/b", "/a/b/c",
					     "/a/bc", "/a/b/c/d", "/ab",  "/a/b/e" };
	struct bfs_meta *m = bfs_meta_new();
	const struct bfs_meta_node *a, *ab;

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		bfs_meta_put(m, mk(paths[i], i == 5 || i == 7 ? BFS_REG : BFS_DIR, 0755));
	ok(bfs_hash_more(bfs_hash_path("/a"), "/b", 2) == bfs_hash_path("/a/b"),
	   "a path's hash extends its parent's");
	a = node_of(m, "/a", NULL);
	ab = node_of(m, "/a/b", a);
	ok(a && ab && strcmp(bfs_meta_node_entry(ab)->path, "/a/b") == 0,
	   "a child is found below its parent's node");
	ok(!node_of(m, "/a/x", a) && !node_of(m, "/a/b/c/d/e", ab), "a missing child is not found");
	bfs_meta_put(m, mk("/a", BFS_DIR, 0700)); /* the entry changes, not the node */
	ok(node_of(m, "/a/b", a) == ab, "a replaced entry keeps its children");
	bfs_meta_remove(m, "/a/b", true);
	ok(!bfs_meta_get(m, "/a/b") && !bfs_meta_get(m, "/a/b/c") && !bfs_meta_get(m, "/a/b/c/d") &&
		   !bfs_meta_get(m, "/a/b/e") && bfs_meta_get(m, "/a/bc") &&
		   bfs_meta_get(m, "/ab") && bfs_meta_get(m, "/a") && bfs_meta_count(m) == 4,
	   "a subtree goes, its prefix-sharing neighbours stay");
	bfs_meta_put(m, mk("/a/b", BFS_DIR, 0755));
	bfs_meta_put(m, mk("/a/b/new", BFS_REG, 0644));
	bfs_meta_remove(m, "/a", false);
	ok(!bfs_meta_get(m, "/a") && bfs_meta_get(m, "/a/b/new") && bfs_meta_count(m) == 5,
	   "removing a directory alone leaves its children");
	bfs_meta_remove(m, "/a", true);
	ok(!bfs_meta_get(m, "/a/b") && !bfs_meta_get(m, "/a/b/new") && !bfs_meta_get(m, "/a/bc") &&
		   bfs_meta_count(m) == 2,
	   "and removing it as a subtree afterwards takes them (they had become orphans)");
	bfs_meta_put(m, mk("/x/y/z", BFS_REG, 0644)); /* before its parents */
	bfs_meta_put(m, mk("/x", BFS_DIR, 0755));
	bfs_meta_put(m, mk("/x/y", BFS_DIR, 0755));
	bfs_meta_put(m, mk("/x/w", BFS_REG, 0644));
	bfs_meta_remove(m, "/x", true);
	ok(!bfs_meta_get(m, "/x/y/z") && !bfs_meta_get(m, "/x/w") && bfs_meta_count(m) == 2,
	   "paths put before their parents go with the subtree too");
	bfs_meta_free(m);
}

int main(void)
{
	struct bfs_meta *m = bfs_meta_new(), *back = NULL;
	struct berth_error err = { 0 };
	char buf[4096];
	FILE *f;
	size_t n;

	test_tree();

	for (int i = 0; i < 1000; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/d/f%d", i);
		bfs_meta_put(m, mk(p, BFS_REG, 0644));
	}
	is_int(bfs_meta_count(m), 1000, "1000 entries stored (the table grows)");
	ok(bfs_meta_get(m, "/d/f999") != NULL, "lookup after growth");
	bfs_meta_put(m, mk("/d", BFS_DIR, 0755));
	bfs_meta_put(m, mk("/d/w", BFS_WHITEOUT, 0));
	is_int(bfs_meta_whiteouts(m), 1, "whiteouts are counted");
	bfs_meta_remove(m, "/d/f7", false);
	ok(!bfs_meta_get(m, "/d/f7") && bfs_meta_get(m, "/d/f8") && bfs_meta_get(m, "/d/f70") &&
		   bfs_meta_count(m) == 1001,
	   "removing one path leaves its siblings and prefix-sharing names");
	bfs_meta_put(m, mk("/d/w", BFS_REG, 0644));
	is_int(bfs_meta_whiteouts(m), 0, "a whiteout replaced by a file is no longer counted");
	bfs_meta_put(m, mk("/d/w", BFS_WHITEOUT, 0));
	bfs_meta_remove(m, "/d", true);
	is_int(bfs_meta_count(m), 0,
	       "removing a subtree removes the directory and everything below");
	is_int(bfs_meta_whiteouts(m), 0, "and the whiteouts below it");

	struct bfs_entry *e = mk("/odd\tname\n\\x", BFS_REG, 04755);
	e->uid = 1000;
	e->gid = 33;
	bfs_entry_add_xattr(e, "user.a=b,c", "v\0bin", 5);
	bfs_meta_put(m, e);
	e = mk("/dev/null", BFS_CHR, 0666);
	e->rdev_major = 1;
	e->rdev_minor = 3;
	bfs_meta_put(m, e);
	e = mk("/opq", BFS_DIR, 0700);
	e->opaque = true;
	bfs_meta_put(m, e);
	bfs_meta_put(m, mk("/gone", BFS_WHITEOUT, 0));

	f = tmpfile();
	ok(bfs_meta_write(m, fileno(f), &err) == 0, "write the table");
	rewind(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ok(bfs_meta_parse(buf, n, &back, &err) == 0, "parse it back");
	is_int(bfs_meta_count(back), 4, "same number of entries");
	e = bfs_meta_get(back, "/odd\tname\n\\x");
	ok(e && e->mode == 04755 && e->uid == 1000 && e->gid == 33,
	   "escaped path, setuid mode and owner survive");
	ok(e && e->n_xattrs == 1 && strcmp(e->xattrs[0].name, "user.a=b,c") == 0 &&
		   e->xattrs[0].len == 5 && memcmp(e->xattrs[0].value, "v\0bin", 5) == 0,
	   "binary xattr value and a name with separators survive");
	e = bfs_meta_get(back, "/dev/null");
	ok(e && e->type == BFS_CHR && e->rdev_major == 1 && e->rdev_minor == 3,
	   "device numbers survive");
	ok(bfs_meta_get(back, "/opq") && bfs_meta_get(back, "/opq")->opaque,
	   "opaque flag survives");
	ok(bfs_meta_get(back, "/gone") && bfs_meta_get(back, "/gone")->type == BFS_WHITEOUT,
	   "whiteout survives");
	bfs_meta_free(back);
	back = NULL;

	static const char *const bad[] = {
		"# berth-layer-meta 1\n/x\tf\t-\t0644\t0\t0\t0:0\t0.0\t-",    /* no newline */
		"# berth-layer-meta 1\nx\tf\t-\t0644\t0\t0\t0:0\t0.0\t-\n",   /* relative */
		"# berth-layer-meta 1\n/x\tq\t-\t0644\t0\t0\t0:0\t0.0\t-\n",  /* type */
		"# berth-layer-meta 1\n/x\tf\t-\t17777\t0\t0\t0:0\t0.0\t-\n", /* mode */
		"# berth-layer-meta 1\n/x\tf\t-\t0644\t0\t0\t0:0\t0.0\tuser.a=zz\n", /* hex */
		"# berth-layer-meta 1\n/x\\q\tf\t-\t0644\t0\t0\t0:0\t0.0\t-\n",	     /* escape */
		"# something else\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = bfs_meta_parse(bad[i], strlen(bad[i]), &back, &err);
		ok(r < 0 && err.msg, "malformed metadata %zu refused: %s", i,
		   err.msg ? err.msg : "accepted");
		berth_error_clear(&err);
		if (r == 0)
			bfs_meta_free(back);
	}
	bfs_meta_free(m);
	return tap_done();
}
