// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec.c: what a container runs, from the image's config and the run
 * flags, in docker's precedence: the command line over the image; an
 * --entrypoint drops the image's Cmd; -e and --env-file over the image's
 * Env, key by key, in the order given. Pure data: no namespaces here, so
 * all of it is testable on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "../lib/util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void strv_from_json(struct json_object *a, char ***v, size_t *n)
{
	if (!a || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		if (json_object_is_type(e, json_type_string))
			strv_push(v, n, json_object_get_string(e));
	}
}

char **strv_from_json_key(struct json_object *o, const char *key, size_t *n)
{
	struct json_object *a;
	char **v = xcalloc(1, sizeof(char *));

	*n = 0;
	if (o && json_object_object_get_ex(o, key, &a))
		strv_from_json(a, &v, n);
	return v;
}

/* Set KEY=VAL in env, replacing an earlier KEY. */
static void env_set(char ***env, size_t *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=') {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	strv_push(env, n, kv);
}

/* -e KEY=VAL, or -e KEY: the host's value, and nothing when it has none */
static int env_flag(char ***env, size_t *n, const char *arg, const char *what,
		    struct berth_error *err)
{
	if (!*arg || *arg == '=')
		return berth_error_set(err, EINVAL, "%s \"%s\": expected KEY=VALUE or KEY", what,
				       arg);
	if (strchr(arg, '=')) {
		env_set(env, n, arg);
	} else {
		const char *v = getenv(arg);
		if (v) {
			_cleanup_free_ char *kv = xasprintf("%s=%s", arg, v);
			env_set(env, n, kv);
		}
	}
	return 0;
}

/* docker's env-file format: one KEY=VALUE or KEY per line, # comments,
 * blank lines skipped, no quote processing */
int spec_read_env_file(const char *path, char ***env, size_t *n, struct berth_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;

	if (!f)
		return berth_error_set(err, errno, "--env-file %s", path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		_cleanup_free_ char *what = xasprintf("--env-file %s:%d", path, lineno);
		if (env_flag(env, n, p, what, err) < 0) {
			free(line);
			return -1;
		}
	}
	free(line);
	return 0;
}

static const char *config_string(struct json_object *cfg, const char *key)
{
	struct json_object *v;
	return cfg && json_object_object_get_ex(cfg, key, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static struct json_object *config_get(struct json_object *cfg, const char *key)
{
	struct json_object *v;
	return cfg && json_object_object_get_ex(cfg, key, &v) ? v : NULL;
}

int spec_resolve(const struct spec_flags *f, struct json_object *image_config, struct spec *out,
		 struct berth_error *err)
{
	struct json_object *cfg = config_get(image_config, "config");
	const char *s;

	memset(out, 0, sizeof(*out));
	out->env = xcalloc(1, sizeof(char *));
	out->argv = xcalloc(1, sizeof(char *));
	/* the command: entrypoint + cmd */
	if (f->entrypoint) {
		if (*f->entrypoint)
			strv_push(&out->argv, &out->n_argv, f->entrypoint);
	} else {
		strv_from_json(config_get(cfg, "Entrypoint"), &out->argv, &out->n_argv);
	}
	if (f->n_cmd > 0) {
		for (size_t i = 0; i < f->n_cmd; i++)
			strv_push(&out->argv, &out->n_argv, f->cmd[i]);
	} else if (!f->entrypoint) {
		strv_from_json(config_get(cfg, "Cmd"), &out->argv, &out->n_argv);
	}
	if (out->n_argv == 0)
		return berth_error_set(
			err, EINVAL,
			"no command: the image has no Cmd or Entrypoint and none was "
			"given");
	/* the environment */
	strv_from_json(config_get(cfg, "Env"), &out->env, &out->n_env);
	bool has_path = false;
	for (size_t i = 0; i < out->n_env; i++)
		has_path |= str_has_prefix(out->env[i], "PATH=");
	if (!has_path)
		env_set(&out->env, &out->n_env, DEFAULT_PATH);
	_cleanup_free_ char *hn = xasprintf("HOSTNAME=%s", f->hostname);
	env_set(&out->env, &out->n_env, hn);
	bool has_term = false;
	for (size_t i = 0; i < out->n_env; i++)
		has_term |= str_has_prefix(out->env[i], "TERM=");
	if (f->tty && !has_term)
		env_set(&out->env, &out->n_env, "TERM=xterm");
	for (size_t i = 0; i < f->n_env_files; i++)
		if (spec_read_env_file(f->env_files[i], &out->env, &out->n_env, err) < 0)
			return -1;
	for (size_t i = 0; i < f->n_env; i++)
		if (env_flag(&out->env, &out->n_env, f->env[i], "-e", err) < 0)
			return -1;
	/* where and as whom */
	s = f->workdir ? f->workdir : config_string(cfg, "WorkingDir");
	out->workdir = xstrdup(s && *s ? s : "/");
	if (out->workdir[0] != '/')
		return berth_error_set(err, EINVAL, "working directory \"%s\" is not absolute",
				       out->workdir);
	s = f->user ? f->user : config_string(cfg, "User");
	out->user = s && *s ? xstrdup(s) : NULL;
	return 0;
}

void spec_clear(struct spec *s)
{
	for (size_t i = 0; i < s->n_argv; i++)
		free(s->argv[i]);
	for (size_t i = 0; i < s->n_env; i++)
		free(s->env[i]);
	free(s->argv);
	free(s->env);
	free(s->workdir);
	free(s->user);
	memset(s, 0, sizeof(*s));
}
