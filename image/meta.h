/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meta.h: a layer's metadata table, the attributes the image gives each
 * path (type, mode with setuid/sticky bits, owner, device numbers, xattrs)
 * plus whiteouts and opaque directories. The host copy of a layer holds
 * only data, owned by the user with safe modes; this table is the truth
 * berth-fs presents. The on-disk format is in docs/storage.md.
 */
#ifndef BFS_META_H
#define BFS_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

enum bfs_type {
	BFS_REG = 'f',
	BFS_DIR = 'd',
	BFS_LNK = 'l',
	BFS_FIFO = 'p',
	BFS_SOCK = 's',
	BFS_CHR = 'c',
	BFS_BLK = 'b',
	BFS_WHITEOUT = 'w',
};

struct bfs_xattr {
	char *name;
	unsigned char *value;
	size_t len;
};

struct bfs_entry {
	char *path;    /* absolute, canonical: "/", "/etc/passwd" */
	char type;     /* enum bfs_type */
	bool opaque;   /* directories only: lower layers' children are hidden */
	uint32_t mode; /* permission bits including 07000 */
	uint32_t uid, gid;
	uint32_t rdev_major, rdev_minor;
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	size_t n_xattrs;
	struct bfs_xattr *xattrs;
};

struct bfs_meta;

/* FNV-1a of a path: the tables' (and berth-fs's node table's) hash;
 * bfs_hash_more extends a hash by len more bytes, so a walk hashes each
 * component once ("/a/b" is "/a" extended by "/b"). */
uint64_t bfs_hash_path(const char *s);
uint64_t bfs_hash_more(uint64_t h, const char *s, size_t len);

/* The mode a layer's object gets on the host: the user's own, never
 * setuid, setgid, sticky or writable by others; directories searchable
 * and files readable and writable by the user (the image's modes are in
 * the table). */
mode_t bfs_host_mode(char type, uint32_t mode);

struct bfs_meta *bfs_meta_new(void);
void bfs_meta_free(struct bfs_meta *m);
size_t bfs_meta_count(const struct bfs_meta *m);

struct bfs_entry *bfs_meta_get(const struct bfs_meta *m, const char *path);
/* For walks by component (image/layers.c): the table's node for the
 * len bytes of path, whose bfs_hash_path is hash. When parent is the node
 * of the path's directory, a candidate below that node is checked by its
 * last component alone, so a walk of depth d compares each name once
 * rather than every prefix again. */
struct bfs_meta_node;
const struct bfs_meta_node *bfs_meta_find(const struct bfs_meta *m, const char *path, size_t len,
					  uint64_t hash, const struct bfs_meta_node *parent);
struct bfs_entry *bfs_meta_node_entry(const struct bfs_meta_node *n);
/* Insert or replace; the table takes ownership of e and its strings. */
struct bfs_entry *bfs_meta_put(struct bfs_meta *m, struct bfs_entry *e);
/* Remove path and, when subtree, everything below it: in time
 * proportional to what goes, unless the table holds paths inserted before
 * their parent (then a scan of the table). */
void bfs_meta_remove(struct bfs_meta *m, const char *path, bool subtree);
/* Apply an upper layer's meta.log ("+<TAB>entry" / "-<TAB>path" lines,
 * docs/storage.md) to m; buf is modified. */
void bfs_meta_replay(struct bfs_meta *m, char *buf, size_t len);
/* How many whiteouts the table holds. */
size_t bfs_meta_whiteouts(const struct bfs_meta *m);
/* Visit every entry (unordered). Stops when fn returns non-zero. */
int bfs_meta_foreach(const struct bfs_meta *m, int (*fn)(struct bfs_entry *e, void *data),
		     void *data);
/* Entries sorted by path (bytewise), as a new array of borrowed pointers. */
struct bfs_entry **bfs_meta_sorted(const struct bfs_meta *m, size_t *n);

struct bfs_entry *bfs_entry_new(const char *path, char type);
struct bfs_entry *bfs_entry_clone(const struct bfs_entry *src, const char *path);
void bfs_entry_free(struct bfs_entry *e);
void bfs_entry_add_xattr(struct bfs_entry *e, const char *name, const void *value, size_t len);

/* One entry as a line of the file format (with its newline), and back
 * (line without the newline; modified in place). */
char *bfs_entry_format(const struct bfs_entry *e);
int bfs_entry_parse(char *line, struct bfs_entry **out);

/* Serialise the table (sorted) to fd / parse one back. */
int bfs_meta_write(const struct bfs_meta *m, int fd, struct berth_error *err);
int bfs_meta_read(int dirfd, const char *name, struct bfs_meta **out, struct berth_error *err);
/* Parse from memory; used by the reader and the fuzzer. */
int bfs_meta_parse(const char *buf, size_t len, struct bfs_meta **out, struct berth_error *err);

/* Escape a path for a TSV field: \\ \t \n \r and \xHH for control bytes. */
char *bfs_escape(const char *s);
/* The reverse, in place; -1 on a malformed escape. */
int bfs_unescape(char *s);

#endif
