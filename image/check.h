/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h: `berth system check`'s report, its quarantine, and the image
 * store's part of the check (check.c): tmp/ stages, blobs, layers, image
 * records, refs.json and what no image uses. Containers, volumes and
 * their processes and mounts are checked where they live (runner/,
 * objects/), each adding to the same report.
 */
#ifndef BERTH_CHECK_H
#define BERTH_CHECK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"
#include "../lib/error.h"

struct check_opts {
	bool repair;  /* fix what can be fixed (the store locked exclusively) */
	bool digests; /* read every blob and compare its sha256 with its name */
};

enum check_state {
	CHECK_FOUND,	/* found; plan is what --repair would do */
	CHECK_REPAIRED, /* repaired; plan is what was done */
	CHECK_MANUAL,	/* --repair leaves it; plan is what the user can do */
	CHECK_FAILED,	/* the repair was tried and failed; plan says why */
};

struct check_problem {
	char *what; /* the object and what is wrong with it */
	char *plan;
	enum check_state state;
};

struct check_report {
	struct check_opts opts;
	struct check_problem *v;
	size_t n;
};

void check_report_clear(struct check_report *r);
/* A problem, found; plan: what --repair does about it ("" when nothing).
 * The last one added, to settle with check_settle. */
struct check_problem *check_found(struct check_report *r, const char *plan, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A problem --repair leaves to the user: hint says what they can do. */
void check_manual(struct check_report *r, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The repair of p was tried: rc 0 and done (what it did; NULL: the plan
 * stands), or rc < 0 and the cause in err (cleared here). */
void check_settle(struct check_problem *p, int rc, const char *done, struct berth_error *err);
/* How many problems are left (found or not repaired). */
size_t check_left(const struct check_report *r);
/* One line for p, without a newline (free it). */
char *check_line(const struct check_problem *p);

/* Move ROOT/path to ROOT/quarantine/path (a free name: a suffix when
 * taken), so what cannot be read is out of berth's way and still there.
 * *dest (optional) is where it went, relative to the store root. */
int check_quarantine(struct store *s, const char *path, char **dest, struct berth_error *err);

/* The image store's part (under the store lock: shared to check,
 * exclusive to repair). */
int image_store_check(struct store *s, struct check_report *r, struct berth_error *err);

/* The name -> image ID pairs still legible in a damaged refs.json (cut
 * off, garbage around them, not an object): each "NAME": "sha256:HEX"
 * whose NAME is a normalised reference, into *out (an object); the names
 * seen whose ID is cut off or unreadable into *lost (NULL-terminated,
 * strv_free). */
void refs_salvage(const char *buf, size_t len, struct json_object **out, char ***lost);

#endif
