/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * userns.h: the user namespace mapping of a container (userns.c).
 */
#ifndef BERTH_USERNS_H
#define BERTH_USERNS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct userns_map {
	uint32_t uid, gid;	 /* the user, root in the container */
	bool ranged;		 /* a subordinate range and the helpers */
	uint32_t sub_uid, n_uid; /* container ids 1..n_uid */
	uint32_t sub_gid, n_gid;
	char newuidmap[PATH_MAX], newgidmap[PATH_MAX];
	/* --userns=keep-id: the user keeps their own id inside (podman's
	 * meaning); container root and the other ids map to the range */
	bool keep_id;
};

/* The mapping this user can have (ranged, or the single-id fallback). */
void userns_plan(struct userns_map *m);
/* Map the user namespace of pid (which waits meanwhile). */
int userns_apply(pid_t pid, const struct userns_map *m, struct berth_error *err);
/* The same for keep-id; an error when the user has no range (root in
 * the container would have no id of its own). */
int userns_plan_keep_id(struct userns_map *m, struct berth_error *err);
bool userns_maps_uid(const struct userns_map *m, uint32_t uid);
bool userns_maps_gid(const struct userns_map *m, uint32_t gid);

/* Run fn in a child that is root of a new user namespace mapped like a
 * container's: whatever ids a container gave its files, fn may remove
 * them (podman unshare's role). fn's error travels back. */
int userns_run(int (*fn)(void *arg, struct berth_error *err), void *arg, struct berth_error *err);

/* The user's "start:count" in /etc/subuid or /etc/subgid (name or uid). */
bool userns_subid_range(const char *file, char *out, size_t len);
bool userns_find_in_path(const char *name, char *out, size_t len);
/* Whether the ranges of user (named, or by number self) in a subid file
 * (/etc/subuid or /etc/subgid) are safe: none holds self, another line's
 * range, or an id of an account in accounts (/etc/passwd or /etc/group,
 * whose third field is the id). A container's ids in such a range are
 * someone else's files on the host. false, with what is wrong in why,
 * when one is not; true when they are (or there are none). */
bool userns_subid_safe(const char *file, const char *user, uint32_t self, const char *accounts,
		       char *why, size_t len);

#endif
