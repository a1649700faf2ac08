/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * user.h: the container's user database (user.c): reading its
 * /etc/passwd and /etc/group safely, and resolving run's and exec's -u.
 */
#ifndef BERTH_USER_H
#define BERTH_USER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

/* The largest /etc/passwd or /etc/group read: far above any real one. */
#define USER_DB_MAX ((size_t)16 << 20)

struct user_ids {
	uint32_t uid, gid;
	gid_t groups[64];
	int n_groups;
	char home[256];
};

/* Read path (/etc/passwd, /etc/group) inside the tree at rootfd: its
 * directories resolved in the root, the file itself a regular file (not a
 * link, FIFO or device: refused at once, without blocking) of at most
 * USER_DB_MAX bytes. A missing file is no error: *text stays NULL. */
int user_db_read(int rootfd, const char *path, char **text, size_t *len, struct berth_error *err);

/* "name|uid[:group|gid]" (NULL: root) through the /etc/passwd and
 * /etc/group of the root the calling process is in (the container's:
 * after pivot_root, or after joining its mount namespace). */
int user_resolve(const char *spec, struct user_ids *u, struct berth_error *err);

#endif
