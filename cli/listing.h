/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listing.h: the one implementation of the listing verbs' output (images,
 * history, ps, volume ls, network ls, secret ls): --format table|json,
 * a table of columns and rows, and a JSON array as inspect prints it.
 * What each verb lists, and its JSON objects, stay the verb's; --format
 * and --filter to come extend this.
 */
#ifndef BERTH_CLI_LISTING_H
#define BERTH_CLI_LISTING_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* A column: its heading, and its cells padded to width, or to the
 * longest cell (or heading) where fit. The last column is never padded. */
struct listing_col {
	const char *head;
	int width;
	bool fit;
};

/* A table: its columns, the text between two, and the rows added. */
struct listing {
	const struct listing_col *cols;
	size_t n_cols;
	const char *sep;
	char **cells; /* n_rows * n_cols, a row after another */
	size_t n_rows;
};

/* Add a row: n_cols strings (copied; NULL is ""). */
void listing_row(struct listing *l, ...);
/* Print the heading and the rows; the rows are freed. */
void listing_print(struct listing *l);
/* Print a JSON value as every listing and inspect do (pretty, spaced). */
void listing_print_json(struct json_object *o);
/* What inspect gives for each of the n names, printed as one array; the
 * error of one that fails printed (or, skip_broken, passed over
 * quietly): 0 or EXIT_FAILURE. */
struct store;
struct berth_error;
typedef struct json_object *(*listing_inspect_fn)(struct store *s, const char *name,
						  struct berth_error *err);
int listing_inspect(struct store *s, char *const *names, size_t n, listing_inspect_fn inspect,
		    bool skip_broken);
/* --format ARG of a listing: *json for "json", false for "table", else a
 * usage error of verb's (its exit code). sticky: the form images, history
 * and secret ls have always had, whose message quotes ARG and where json,
 * once given, stays. */
int listing_format(const char *verb, const char *arg, bool sticky, bool *json);

#endif
