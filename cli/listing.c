// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listing.c: the listing verbs' output, one implementation (listing.h):
 * tables of columns, JSON arrays, the --format flag. It formats; what is
 * listed is the verb's.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "listing.h"
#include "../lib/json.h"
#include "../lib/util.h"

void listing_row(struct listing *l, ...)
{
	va_list ap;

	l->cells = xrealloc(l->cells, (l->n_rows + 1) * l->n_cols * sizeof(*l->cells));
	va_start(ap, l);
	for (size_t c = 0; c < l->n_cols; c++) {
		const char *v = va_arg(ap, const char *);
		l->cells[l->n_rows * l->n_cols + c] = xstrdup(v ? v : "");
	}
	va_end(ap);
	l->n_rows++;
}

static void print_line(const struct listing *l, const int *width, const char *const *cells)
{
	for (size_t c = 0; c + 1 < l->n_cols; c++)
		printf("%-*s%s", width[c], cells[c], l->sep);
	printf("%s\n", cells[l->n_cols - 1]);
}

void listing_print(struct listing *l)
{
	_cleanup_free_ int *width = xcalloc(l->n_cols, sizeof(*width));
	_cleanup_free_ const char **head = xcalloc(l->n_cols, sizeof(*head));

	for (size_t c = 0; c < l->n_cols; c++) {
		width[c] = l->cols[c].width;
		head[c] = l->cols[c].head;
		for (size_t r = 0; l->cols[c].fit && r < l->n_rows; r++) {
			int w = (int)strlen(l->cells[r * l->n_cols + c]);
			width[c] = w > width[c] ? w : width[c];
		}
	}
	print_line(l, width, head);
	for (size_t r = 0; r < l->n_rows; r++)
		print_line(l, width, (const char *const *)&l->cells[r * l->n_cols]);
	for (size_t i = 0; i < l->n_rows * l->n_cols; i++)
		free(l->cells[i]);
	free(steal_pointer(&l->cells));
	l->n_rows = 0;
}

void listing_print_json(struct json_object *o)
{
	printf("%s\n",
	       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
}

int listing_inspect(struct store *s, char *const *names, size_t n, listing_inspect_fn inspect,
		    bool skip_broken)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	struct berth_error err = { 0 };
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = inspect(s, names[i], &err);
		if (o)
			json_object_array_add(arr, o);
		else if (skip_broken)
			berth_error_clear(&err);
		else
			r = cli_fail(&err);
	}
	listing_print_json(arr);
	return r;
}

int listing_format(const char *verb, const char *arg, bool sticky, bool *json)
{
	if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0)
		return cli_usage_error(verb,
				       sticky ? "--format \"%s\": expected table or json"
					      : "--format %s: expected table or json",
				       arg);
	*json = strcmp(arg, "json") == 0 || (sticky && *json);
	return 0;
}
