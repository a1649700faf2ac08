/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * named.h: what the store's named objects have in common (named.c). An
 * object is a directory KIND/NAME below the store root (volumes/data,
 * networks/web): built under a ".tmp-" name and renamed into place,
 * renamed to a ".rm-" name before it is removed, so a killed command
 * leaves a whole object or none, and what it left goes at the next lock
 * of the folder. What an object holds, and who may remove it, is its
 * kind's business (volume.c, network.c; secret.c keeps the store lock
 * instead of a folder lock and uses the sweep).
 */
#ifndef BERTH_NAMED_H
#define BERTH_NAMED_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../image/store.h"

/* Removes dirfd/entry whatever it holds (rm_rf_at when NULL is given). */
typedef int (*named_remover)(int dirfd, const char *entry, struct berth_error *err);

/* ROOT/KIND as a directory fd, made when create; -1 with err, quietly
 * (ENOENT, err untouched) when absent and not create. */
int named_dir(struct store *s, const char *kind, bool create, struct berth_error *err);
/* The entries of ROOT/KIND that exists() takes for objects, sorted (none
 * when the directory is not there), as a NULL-terminated vector
 * (strv_free). */
int named_list(struct store *s, const char *kind,
	       bool (*exists)(struct store *s, const char *entry), char ***names, size_t *n,
	       struct berth_error *err);
/* The lock of ROOT/KIND (KIND/.lock, exclusive): what a killed command
 * left goes first, through remove, as nothing else is between its mkdir
 * or rename and its end while the lock is held. An fd to close, or -1
 * with err. */
int named_lock(struct store *s, const char *kind, named_remover remove, struct berth_error *err);
/* Remove the ".tmp-" and ".rm-" entries of dirfd, errors ignored. */
void named_sweep(int dirfd, named_remover remove);
/* Remove ROOT/KIND/NAME: renamed out of sight to a ".rm-" name first,
 * so a half-removed object is never used, then removed through remove.
 * what: the object in messages ("volume data", "network \"web\""). The
 * caller has checked that it exists and may go. */
int named_remove(struct store *s, const char *kind, const char *name, const char *what,
		 named_remover remove, struct berth_error *err);
/* The same for one of KIND (one word: "volume"), where exists says it
 * is there; else ENOENT, `KIND "NAME": no such KIND`. */
int named_remove_existing(struct store *s, const char *kind, const char *name, bool exists,
			  const char *what, named_remover remove, struct berth_error *err);

/* len random lowercase hex digits into out (len + 1 bytes), len <= 64. */
int named_random_hex(char *out, size_t len, struct berth_error *err);
/* --label KEY=VALUE strings as an object (KEY alone: an empty value). */
struct json_object *named_labels(char *const *labels, size_t n);
/* The time now as the records write it, "2024-05-01T12:00:00Z". */
void named_now(char *buf, size_t len);

#endif
