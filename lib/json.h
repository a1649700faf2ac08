/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.h: what berth adds to json-c (json.c): a bounded parse whose
 * errors name the document, a typed string lookup, and a cleanup
 * attribute. Nothing here knows which documents berth reads.
 */
#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "error.h"
#include "util.h"

DEFINE_CLEANUP_FUNC(struct json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

/* One JSON document of len bytes (then only whitespace), parsed with a
 * bounded nesting depth; a message that names what was parsed. */
int json_parse_bounded(const char *buf, size_t len, const char *what, struct json_object **out,
		       struct berth_error *err);
/* o's member key when it is a string, else NULL (o may be NULL or not
 * an object). */
const char *json_get_string(struct json_object *o, const char *key);
/* How many elements a is, 0 when it is NULL or not an array. */
size_t json_array_len(struct json_object *a);
/* A deep copy of o with every object's keys in byte order: the same
 * document always serialises to the same bytes (an image config built
 * in memory and one read back from the store then hash alike). */
struct json_object *json_sorted_copy(struct json_object *o);

#endif
