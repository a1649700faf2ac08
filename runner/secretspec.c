// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * secretspec.c: --secret parsed into a reference (name, file or variable,
 * target, mode, owner), recorded by name only; at start the values are
 * read from the store into memory and go straight to the container: a
 * file on its /run/secrets tmpfs (rootfs.c) or a variable in the command's
 * environment. Neither config.json, nor inspect, nor any log holds one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../lib/json.h"
#include "mountspec.h"
#include "../objects/secret.h"
#include "secretspec.h"
#include "spec.h"
#include "../lib/util.h"

void secret_ref_clear(struct secret_ref *r)
{
	free(r->name);
	free(r->target);
	memset(r, 0, sizeof(*r));
}

static bool env_name_valid(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool parse_u32(const char *s, int base, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return false;
	v = strtoul(s, &end, base);
	if (*end || v > UINT32_MAX - 1)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int bad_option(const char *arg, const char *opt, const char *val, struct berth_error *err)
{
	return berth_error_set(err, EINVAL,
			       "--secret \"%s\": bad option \"%s%s%s\" (type=mount|env, "
			       "target=, mode=OCTAL, uid=N, gid=N)",
			       arg, opt, val ? "=" : "", val ? val : "");
}

int secretspec_parse(const char *arg, struct secret_ref *out, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *save = NULL, *target = NULL;
	bool set_mode = false, set_owner = false;

	memset(out, 0, sizeof(*out));
	out->mode = 0444; /* docker's */
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *v = strchr(t, '=');
		if (!v && !out->name) {
			out->name = xstrdup(t);
			continue;
		}
		if (!v)
			return bad_option(arg, t, NULL, err);
		*v++ = '\0';
		if ((!strcmp(t, "source") || !strcmp(t, "src")) && !out->name)
			out->name = xstrdup(v);
		else if (!strcmp(t, "type") && (!strcmp(v, "mount") || !strcmp(v, "env")))
			out->env = v[0] == 'e';
		else if (!strcmp(t, "target") && *v)
			target = v;
		else if (!strcmp(t, "mode") && parse_u32(v, 8, &out->mode) && out->mode <= 07777)
			set_mode = true;
		else if (!strcmp(t, "uid") && parse_u32(v, 10, &out->uid))
			set_owner = true;
		else if (!strcmp(t, "gid") && parse_u32(v, 10, &out->gid))
			set_owner = true;
		else
			return bad_option(arg, t, v, err);
	}
	if (!out->name || !secret_name_valid(out->name))
		return berth_error_set(err, EINVAL, "--secret \"%s\": expected a secret name (%s)",
				       arg, SECRET_NAME_RULE);
	if (out->env) {
		if (set_mode || set_owner)
			return berth_error_set(err, EINVAL,
					       "--secret \"%s\": mode, uid and gid are for "
					       "type=mount",
					       arg);
		out->target = xstrdup(target ? target : out->name);
		if (!env_name_valid(out->target))
			return berth_error_set(err, EINVAL,
					       "--secret \"%s\": \"%s\" is not a variable name",
					       arg, out->target);
		return 0;
	}
	_cleanup_free_ char *abs =
		target && target[0] == '/'
			? xstrdup(target)
			: xasprintf("/run/secrets/%s", target ? target : out->name);
	out->target = mountspec_clean_path(abs);
	if (!out->target || !strcmp(out->target, "/") || !strcmp(out->target, "/run/secrets"))
		return berth_error_set(err, EINVAL, "--secret \"%s\": target %s is not a file path",
				       arg, abs);
	return 0;
}

struct json_object *secretspec_to_json(const struct secret_ref *r, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "Name", json_object_new_string(r[i].name));
		json_object_object_add(o, "Type",
				       json_object_new_string(r[i].env ? "env" : "mount"));
		json_object_object_add(o, "Target", json_object_new_string(r[i].target));
		if (!r[i].env) {
			json_object_object_add(o, "Mode", json_object_new_int((int)r[i].mode));
			json_object_object_add(o, "UID", json_object_new_int64(r[i].uid));
			json_object_object_add(o, "GID", json_object_new_int64(r[i].gid));
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

static int64_t jint(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : dflt;
}

int secretspec_from_json(struct json_object *arr, struct secret_ref **out, size_t *n,
			 struct berth_error *err)
{
	size_t len = json_array_len(arr);
	struct secret_ref *r = xcalloc(len + 1, sizeof(*r));

	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		const char *name = json_get_string(o, "Name"), *type = json_get_string(o, "Type");
		const char *target = json_get_string(o, "Target");
		if (!name || !type || !target) {
			for (size_t j = 0; j < i; j++)
				secret_ref_clear(&r[j]);
			free(r);
			return berth_error_set(err, EINVAL, "config.json: secret %zu is not valid",
					       i);
		}
		r[i] = (struct secret_ref){
			.name = xstrdup(name),
			.env = !strcmp(type, "env"),
			.target = xstrdup(target),
			.mode = (unsigned)jint(o, "Mode", 0444),
			.uid = (uint32_t)jint(o, "UID", 0),
			.gid = (uint32_t)jint(o, "GID", 0),
		};
	}
	*out = r;
	*n = len;
	return 0;
}

void secret_values_clear(struct secret_values *v)
{
	for (size_t i = 0; i < v->n_values; i++) {
		/* values do not linger in freed memory */
		explicit_bzero(v->values[i], strlen(v->values[i]));
		free(v->values[i]);
	}
	free(v->values);
	free(v->files);
	memset(v, 0, sizeof(*v));
}

int secretspec_load(struct store *s, const struct secret_ref *refs, size_t n,
		    struct secret_values *out, char ***env, size_t *n_env, struct berth_error *err)
{
	memset(out, 0, sizeof(*out));
	out->files = xcalloc(n + 1, sizeof(*out->files));
	out->values = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const struct secret_ref *r = &refs[i];
		char *data = NULL;
		size_t len = 0;
		if (secret_read(s, r->name, &data, &len, err) < 0)
			return berth_error_wrap(err, "--secret %s", r->name);
		out->values[out->n_values++] = data;
		if (r->env) {
			/* a value with a NUL ends there, as any variable would */
			_cleanup_free_ char *kv = xasprintf("%s=%s", r->target, data);
			size_t k = strlen(r->target), j = 0;
			while (j < *n_env && !(strncmp((*env)[j], kv, k + 1) == 0))
				j++;
			if (j < *n_env) { /* over the image's or -e's value */
				free((*env)[j]);
				(*env)[j] = xstrdup(kv);
			} else {
				strv_push(env, n_env, kv);
			}
			explicit_bzero(kv, strlen(kv));
			continue;
		}
		out->files[out->n_files++] = (struct rootfs_secret){
			.target = r->target,
			.data = data,
			.len = len,
			.mode = r->mode,
			.uid = r->uid,
			.gid = r->gid,
		};
	}
	return 0;
}
