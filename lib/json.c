// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * json.c: the JSON helpers of json.h. Every document berth reads (image
 * configs and manifests, records, profiles' seccomp files) comes through
 * json_parse_bounded; what a document means is its reader's business.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

int json_parse_bounded(const char *buf, size_t len, const char *what, struct json_object **out,
		       struct berth_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o;
	enum json_tokener_error je;
	size_t end;

	if (!tok)
		abort();
	if (len > INT_MAX)
		return berth_error_set(err, 0, "%s: too large", what);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	je = json_tokener_get_error(tok);
	end = o ? json_tokener_get_parse_end(tok) : len;
	json_tokener_free(tok);
	/* one document, then nothing but whitespace up to len */
	while (o && end < len && strchr(" \t\r\n", buf[end]) && buf[end])
		end++;
	if (o && je == json_tokener_success && end < len) {
		json_object_put(o);
		return berth_error_set(err, 0, "%s: invalid JSON (trailing data)", what);
	}
	if (!o || je != json_tokener_success) {
		json_object_put(o);
		return berth_error_set(err, 0, "%s: invalid JSON (%s)", what,
				       je == json_tokener_continue ? "truncated"
								   : json_tokener_error_desc(je));
	}
	*out = o;
	return 0;
}

const char *json_get_string(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

size_t json_array_len(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct json_object *json_sorted_copy(struct json_object *o)
{
	struct json_object *out;

	if (json_object_is_type(o, json_type_array)) {
		out = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(out,
					      json_sorted_copy(json_object_array_get_idx(o, i)));
		return out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		out = NULL;
		if (o && json_object_deep_copy(o, &out, NULL) < 0)
			abort(); /* json-c fails only for want of memory */
		return out;
	}
	size_t n = (size_t)json_object_object_length(o), k = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		keys[k++] = key;
	}
	qsort(keys, k, sizeof(*keys), key_cmp);
	out = json_object_new_object();
	for (size_t i = 0; i < k; i++) {
		struct json_object *v = NULL;
		json_object_object_get_ex(o, keys[i], &v);
		json_object_object_add(out, keys[i], json_sorted_copy(v));
	}
	free(keys);
	return out;
}
