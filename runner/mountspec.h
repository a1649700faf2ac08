/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mountspec.h: a container's extra mounts as asked on the command line
 * (-v, --mount, --tmpfs) and as recorded in its config.json
 * (mountspec.c). Pure data: nothing here touches the filesystem except
 * to tell whether a bind source exists.
 */
#ifndef BERTH_MOUNTSPEC_H
#define BERTH_MOUNTSPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

enum mount_kind {
	MOUNT_BIND,
	MOUNT_VOLUME,
	MOUNT_TMPFS
};

struct mount_req {
	enum mount_kind kind;
	char *source; /* bind: absolute host path; volume: name (NULL: a new anonymous one) */
	char *target; /* absolute, lexically clean, never "/" */
	bool readonly;
	bool nocopy;	     /* volume: do not fill a new volume from the image */
	bool anonymous;	     /* volume: made for this container, goes with rm -v */
	bool selinux_opt;    /* z or Z was given (and ignored: nothing is relabelled) */
	unsigned long flags; /* MS_NOSUID, MS_NODEV, MS_NOEXEC */
	char *options;	     /* tmpfs: its mount data ("size=...,mode=...") */
	/* filled when the container starts, not recorded */
	char *host_path;   /* volume: its data directory */
	char *copy_marker; /* volume: the file that says it still wants the image's content */
};

/* Where relative bind sources and ~ expand from. form_only: a bind
 * source is not looked up (a profile's judge wants its path even when
 * nothing is there yet). */
struct mountspec_env {
	const char *cwd, *home;
	bool form_only;
};

/* -v [SRC:]DST[:OPTS] */
int mountspec_parse_volume(const char *arg, const struct mountspec_env *env, struct mount_req *out,
			   struct berth_error *err);
/* --mount type=bind|volume|tmpfs,source=,target=,readonly,... */
int mountspec_parse_mount(const char *arg, const struct mountspec_env *env, struct mount_req *out,
			  struct berth_error *err);
/* --tmpfs PATH[:OPTS] */
int mountspec_parse_tmpfs(const char *arg, struct mount_req *out, struct berth_error *err);
void mount_req_clear(struct mount_req *m);
void mount_reqs_free(struct mount_req *m, size_t n);

/* An absolute path with "//", "." and ".." resolved lexically (".."
 * stops at "/"); NULL when p is not absolute. */
char *mountspec_clean_path(const char *p);
/* Two mounts on one target are an error, as in docker. */
int mountspec_check_duplicates(const struct mount_req *m, size_t n, struct berth_error *err);
/* Parents before children: by the number of path components, stable. */
void mountspec_sort(struct mount_req *m, size_t n);

/* config.json's "Mounts" and back (host_path and copy_marker are not
 * recorded). */
struct json_object *mountspec_to_json(const struct mount_req *m, size_t n);
int mountspec_from_json(struct json_object *arr, struct mount_req **out, size_t *n,
			struct berth_error *err);

#endif
