// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stepconf.c: an instruction's words substituted (where docker
 * substitutes: expand.h) and checked, and what the config-only ones do
 * to the image's config, in the form docker records: Env, Labels, User,
 * ExposedPorts, Volumes, Cmd, Entrypoint, StopSignal, Shell,
 * Healthcheck, OnBuild, author; with the history text BuildKit writes
 * for each ("ENV K=V", "EXPOSE map[80/tcp:{}]", `CMD ["a" "b"]`).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../image/tree.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "build.h"
#include "expand.h"
#include "fetch.h"
#include "stepconf.h"

DEFINE_CLEANUP_FUNC(char **, strv_free)

/* BuildKit's own check (SecretsUsedInArgOrEnv): names that look like
 * secrets stay in the image's history and config. */
static const char *const secret_words[] = { "PASSWORD", "TOKEN", "SECRET", "KEY", "PASSWD" };

struct json_object *stepconf_cfg(struct stage_run *st)
{
	struct json_object *c;

	if (!json_object_object_get_ex(st->config, "config", &c) ||
	    !json_object_is_type(c, json_type_object)) {
		c = json_object_new_object();
		json_object_object_add(st->config, "config", c);
	}
	return c;
}

static int expand(struct build *b, struct stage_run *st, const char *word, char **out,
		  struct berth_error *err)
{
	return df_expand_word(word, b->df.escape, build_lookup, st, out, err);
}

static void warn_secret_name(struct build *b, const struct df_instr *in, const char *name)
{
	_cleanup_free_ char *up = xstrdup(name);

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++)
		if (strstr(up, secret_words[i])) {
			build_warn(b,
				   "warning: %s:%u: do not use %s for sensitive data (%s \"%s\"): "
				   "it stays in the image's history; use a build secret "
				   "(--secret and RUN --mount=type=secret)",
				   b->df.name, in->line, df_kind_name(in->kind),
				   df_kind_name(in->kind), name);
			return;
		}
}

/* A JSON-quoted string (Go's %q of a plain string is the same for
 * everything a Dockerfile holds). */
static void put_quoted(FILE *f, const char *s)
{
	struct json_object *j = json_object_new_string(s);
	fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	json_object_put(j);
}

/* `["a" "b"]`, as Go prints a []string with %q. */
static char *go_list(struct json_object *arr)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fputc('[', f);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if (i)
			fputc(' ', f);
		put_quoted(f, json_object_get_string(json_object_array_get_idx(arr, i)));
	}
	fputc(']', f);
	fclose(f);
	return out;
}

static struct json_object *strv_json(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The config's Shell, or docker's default. */
static struct json_object *shell_of(struct stage_run *st)
{
	struct json_object *sh;

	if (json_object_object_get_ex(stepconf_cfg(st), "Shell", &sh) &&
	    json_object_is_type(sh, json_type_array) && json_object_array_length(sh))
		return json_object_get(sh);
	sh = json_object_new_array();
	json_object_array_add(sh, json_object_new_string("/bin/sh"));
	json_object_array_add(sh, json_object_new_string("-c"));
	return sh;
}

/* CMD, ENTRYPOINT and HEALTHCHECK's command: the exec form's strings,
 * or the SHELL and the line. */
static struct json_object *command_of(struct stage_run *st, const struct df_instr *in, size_t first)
{
	if (in->json)
		return strv_json(in->args + first, in->n_args - first);
	struct json_object *a = shell_of(st);
	json_object_array_add(a, json_object_new_string(in->n_args > first ? in->args[first] : ""));
	return a;
}

/* ---- ENV, LABEL, ARG ---- */

/* KEY=VALUE pairs substituted (all against the environment before the
 * instruction, as docker does). */
static int pairs(struct build *b, struct stage_run *st, const struct df_instr *in, char ***kv,
		 size_t *n, struct berth_error *err)
{
	for (size_t i = 0; i + 1 < in->n_args; i += 2) {
		_cleanup_free_ char *k = NULL, *v = NULL;
		if (expand(b, st, in->args[i], &k, err) < 0 ||
		    expand(b, st, in->args[i + 1], &v, err) < 0)
			return -1;
		if (!*k)
			return berth_error_set(err, EINVAL, "%s: an empty name",
					       df_kind_name(in->kind));
		strv_push(kv, n, k);
		strv_push(kv, n, v);
	}
	return 0;
}

static void env_set(struct stage_run *st, const char *k, const char *v)
{
	struct json_object *c = stepconf_cfg(st), *env, *fresh = json_object_new_array();
	_cleanup_free_ char *kv = xasprintf("%s=%s", k, v);
	size_t len = strlen(k);
	bool put = false;

	if (json_object_object_get_ex(c, "Env", &env) && json_object_is_type(env, json_type_array))
		for (size_t i = 0; i < json_object_array_length(env); i++) {
			const char *e = json_object_get_string(json_object_array_get_idx(env, i));
			if (!e)
				continue;
			if (!strncmp(e, k, len) && e[len] == '=') {
				json_object_array_add(fresh, json_object_new_string(kv));
				put = true;
			} else {
				json_object_array_add(fresh, json_object_new_string(e));
			}
		}
	if (!put)
		json_object_array_add(fresh, json_object_new_string(kv));
	json_object_object_add(c, "Env", fresh);
}

static int apply_env_label(struct build *b, struct stage_run *st, const struct df_instr *in,
			   char **by, struct berth_error *err)
{
	_cleanup_(strv_freep) char **kv = NULL;
	size_t n = 0, len = 0;
	FILE *f;

	if (pairs(b, st, in, &kv, &n, err) < 0)
		return -1;
	f = open_memstream(by, &len);
	fputs(df_kind_name(in->kind), f);
	for (size_t i = 0; i + 1 < n; i += 2) {
		fprintf(f, " %s=%s", kv[i], kv[i + 1]);
		if (in->kind == DF_ENV) {
			warn_secret_name(b, in, kv[i]);
			env_set(st, kv[i], kv[i + 1]);
			continue;
		}
		struct json_object *c = stepconf_cfg(st), *l;
		if (!json_object_object_get_ex(c, "Labels", &l) ||
		    !json_object_is_type(l, json_type_object)) {
			l = json_object_new_object();
			json_object_object_add(c, "Labels", l);
		}
		json_object_object_add(l, kv[i], json_object_new_string(kv[i + 1]));
	}
	fclose(f);
	return 0;
}

/* ARG NAME[=DEFAULT]: --build-arg's value, else the default, else the
 * value of the same ARG before the first FROM. */
static int apply_arg(struct build *b, struct stage_run *st, const struct df_instr *in,
		     struct berth_error *err)
{
	for (size_t i = 0; i < in->n_args; i++) {
		_cleanup_free_ char *name = xstrdup(in->args[i]), *dflt = NULL, *kv = NULL;
		char *eq = strchr(name, '=');
		const char *v;
		if (eq)
			*eq++ = '\0';
		warn_secret_name(b, in, name);
		if (!(v = build_given(b, name)) && eq) {
			if (expand(b, st, eq, &dflt, err) < 0)
				return -1;
			v = dflt;
		}
		if (!v) {
			size_t len = strlen(name);
			for (size_t k = 0; k < b->n_meta && !v; k++)
				if (!strncmp(b->meta[k], name, len) && b->meta[k][len] == '=')
					v = b->meta[k] + len + 1;
		}
		kv = v ? xasprintf("%s=%s", name, v) : xstrdup(name);
		/* a later ARG of the same name replaces the earlier */
		size_t len = strlen(name), k;
		for (k = 0; k < st->n_args; k++)
			if (!strncmp(st->args[k], name, len) &&
			    (st->args[k][len] == '=' || !st->args[k][len]))
				break;
		if (k < st->n_args) {
			free(st->args[k]);
			st->args[k] = steal_pointer(&kv);
		} else {
			strv_push(&st->args, &st->n_args, kv);
		}
	}
	return 0;
}

/* ---- EXPOSE, VOLUME ---- */

static int apply_expose(struct build *b, struct stage_run *st, const struct df_instr *in, char **by,
			struct berth_error *err)
{
	struct json_object *c = stepconf_cfg(st), *ep;
	size_t len = 0;
	FILE *f;

	if (!json_object_object_get_ex(c, "ExposedPorts", &ep) ||
	    !json_object_is_type(ep, json_type_object)) {
		ep = json_object_new_object();
		json_object_object_add(c, "ExposedPorts", ep);
	}
	f = open_memstream(by, &len);
	fputs("EXPOSE map[", f);
	for (size_t i = 0; i < in->n_args; i++) {
		_cleanup_free_ char *w = NULL;
		if (expand(b, st, in->args[i], &w, err) < 0) {
			fclose(f);
			return -1;
		}
		char *proto = strchr(w, '/');
		if (proto)
			*proto++ = '\0';
		if (proto && strcasecmp(proto, "tcp") && strcasecmp(proto, "udp") &&
		    strcasecmp(proto, "sctp")) {
			fclose(f);
			return berth_error_set(err, EINVAL, "EXPOSE %s/%s: unknown protocol", w,
					       proto);
		}
		char *end, *dash = strchr(w, '-');
		unsigned long lo = strtoul(w, &end, 10), hi = lo;
		if (dash && end == dash)
			hi = strtoul(dash + 1, &end, 10);
		if (*end || !*w || lo == 0 || hi < lo || hi > 65535) {
			fclose(f);
			return berth_error_set(err, EINVAL, "EXPOSE %s: not a port or a range", w);
		}
		for (unsigned long p = lo; p <= hi; p++) {
			_cleanup_free_ char *k = xasprintf("%lu/%s", p, proto ? proto : "tcp");
			for (char *q = k; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			json_object_object_add(ep, k, json_object_new_object());
			fprintf(f, "%s%s:{}", i || p != lo ? " " : "", k);
		}
	}
	fputc(']', f);
	fclose(f);
	return 0;
}

static int apply_volume(struct build *b, struct stage_run *st, const struct df_instr *in, char **by,
			struct berth_error *err)
{
	struct json_object *c = stepconf_cfg(st), *vol, *list = json_object_new_array();

	if (!json_object_object_get_ex(c, "Volumes", &vol) ||
	    !json_object_is_type(vol, json_type_object)) {
		vol = json_object_new_object();
		json_object_object_add(c, "Volumes", vol);
	}
	for (size_t i = 0; i < in->n_args; i++) {
		_cleanup_free_ char *w = NULL;
		if (expand(b, st, in->args[i], &w, err) < 0) {
			json_object_put(list);
			return -1;
		}
		if (!*w) {
			json_object_put(list);
			return berth_error_set(err, EINVAL, "VOLUME: an empty path");
		}
		json_object_object_add(vol, w, json_object_new_object());
		json_object_array_add(list, json_object_new_string(w));
	}
	_cleanup_free_ char *l = go_list(list);
	/* Go prints a []string with %v: [/a /b] */
	*by = xstrdup("VOLUME [");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		char *n = xasprintf("%s%s%s", *by, i ? " " : "",
				    json_object_get_string(json_object_array_get_idx(list, i)));
		free(*by);
		*by = n;
	}
	char *n = xasprintf("%s]", *by);
	free(*by);
	*by = n;
	json_object_put(list);
	return 0;
}

/* ---- HEALTHCHECK ---- */

/* A Go duration ("30s", "1m30s", "1.5s", "500ms") in nanoseconds. */
static int go_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double mul;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 6e10 }, { "h", 3.6e12 } };
	double total = 0;

	if (!*s)
		return -1;
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t u, best = ARRAY_SIZE(units);
		if (end == s || v < 0)
			return -1;
		for (u = 0; u < ARRAY_SIZE(units); u++)
			if (str_has_prefix(end, units[u].unit) &&
			    (best == ARRAY_SIZE(units) ||
			     strlen(units[u].unit) > strlen(units[best].unit)))
				best = u;
		if (best == ARRAY_SIZE(units))
			return -1;
		total += v * units[best].mul;
		s = end + strlen(units[best].unit);
	}
	if (total > 9.2e18)
		return -1;
	*ns = (int64_t)total;
	return 0;
}

static int apply_healthcheck(struct build *b, struct stage_run *st, const struct df_instr *in,
			     char **by, struct berth_error *err)
{
	static const char *const durations[][2] = { { "interval", "Interval" },
						    { "timeout", "Timeout" },
						    { "start-period", "StartPeriod" },
						    { "start-interval", "StartInterval" } };
	struct json_object *hc = json_object_new_object(), *test;

	(void)b;
	if (in->n_args && !strcasecmp(in->args[0], "NONE")) {
		test = json_object_new_array();
		json_object_array_add(test, json_object_new_string("NONE"));
	} else {
		test = command_of(st, in, 1);
		if (in->json) {
			json_object_array_put_idx(test, 0, NULL);
			struct json_object *t = json_object_new_array();
			json_object_array_add(t, json_object_new_string("CMD"));
			for (size_t i = 1; i < in->n_args; i++)
				json_object_array_add(t, json_object_new_string(in->args[i]));
			json_object_put(test);
			test = t;
		} else {
			struct json_object *t = json_object_new_array();
			json_object_array_add(t, json_object_new_string("CMD-SHELL"));
			json_object_array_add(
				t, json_object_new_string(in->n_args > 1 ? in->args[1] : ""));
			json_object_put(test);
			test = t;
		}
	}
	json_object_object_add(hc, "Test", test);
	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		const struct df_flag *f = df_flag_get(in, durations[i][0]);
		int64_t ns;
		if (!f)
			continue;
		if (!f->value || go_duration(f->value, &ns) < 0) {
			json_object_put(hc);
			return berth_error_set(err, EINVAL, "HEALTHCHECK --%s=%s: not a duration",
					       durations[i][0], f->value ? f->value : "");
		}
		json_object_object_add(hc, durations[i][1], json_object_new_int64(ns));
	}
	const struct df_flag *r = df_flag_get(in, "retries");
	if (r) {
		char *end;
		long n = r->value ? strtol(r->value, &end, 10) : -1;
		if (!r->value || *end || n < 0 || n > 1000000) {
			json_object_put(hc);
			return berth_error_set(err, EINVAL, "HEALTHCHECK --retries=%s: not a count",
					       r->value ? r->value : "");
		}
		json_object_object_add(hc, "Retries", json_object_new_int((int)n));
	}
	_cleanup_free_ char *l = go_list(test);
	*by = xasprintf("HEALTHCHECK &{%s}", l);
	json_object_object_add(stepconf_cfg(st), "Healthcheck", hc);
	return 0;
}

/* ---- the others ---- */

/* One substituted word into the config's field (USER, STOPSIGNAL). */
static int apply_word(struct build *b, struct stage_run *st, const struct df_instr *in,
		      const char *field, char **by, struct berth_error *err)
{
	_cleanup_free_ char *w = NULL;

	if (expand(b, st, in->n_args ? in->args[0] : "", &w, err) < 0)
		return -1;
	if (!*w)
		return berth_error_set(err, EINVAL, "%s needs a value", df_kind_name(in->kind));
	json_object_object_add(stepconf_cfg(st), field, json_object_new_string(w));
	*by = xasprintf("%s %s", df_kind_name(in->kind), w);
	return 0;
}

/* STOPSIGNAL's value: any signal's name (SIGQUIT, QUIT, SIGRTMIN+3) or
 * number, as docker's parser takes it. */
static bool signal_word(const char *sig)
{
	char *end;
	long n = strtol(sig, &end, 10);

	if (*sig && !*end)
		return n > 0 && n < NSIG;
	if (!strncasecmp(sig, "SIG", 3))
		sig += 3;
	if (!strncasecmp(sig, "RTMIN", 5) || !strncasecmp(sig, "RTMAX", 5)) {
		const char *r = sig + 5;
		if (!*r)
			return true;
		n = strtol(r + 1, &end, 10);
		return (*r == '+' || *r == '-') && r[1] && !*end && n >= 0 &&
		       n <= SIGRTMAX - SIGRTMIN;
	}
	for (int i = 1; i < NSIG; i++)
		if (sigabbrev_np(i) && !strcasecmp(sig, sigabbrev_np(i)))
			return true;
	return false;
}

static int check_signal(struct stage_run *st, struct berth_error *err)
{
	const char *sig = json_get_string(stepconf_cfg(st), "StopSignal");

	if (sig && signal_word(sig))
		return 0;
	return berth_error_set(err, EINVAL, "STOPSIGNAL %s: not a signal", sig ? sig : "");
}

static int apply_cmd(struct stage_run *st, const struct df_instr *in, char **by,
		     struct berth_error *err)
{
	struct json_object *c = stepconf_cfg(st), *cmd;

	if (in->kind == DF_SHELL && (!in->json || in->n_args == 0))
		return berth_error_set(err, EINVAL,
				       "SHELL takes the JSON form: SHELL [\"/bin/sh\", \"-c\"]");
	cmd = command_of(st, in, 0);
	_cleanup_free_ char *l = go_list(cmd);
	*by = xasprintf("%s %s", df_kind_name(in->kind), l);
	switch (in->kind) {
	case DF_CMD:
		json_object_object_add(c, "Cmd", cmd);
		st->cmd_set = true;
		break;
	case DF_ENTRYPOINT:
		json_object_object_add(c, "Entrypoint", cmd);
		/* docker: a CMD the base gave is reset by a new ENTRYPOINT */
		if (!st->cmd_set)
			json_object_object_add(c, "Cmd", NULL);
		break;
	default: json_object_object_add(c, "Shell", cmd);
	}
	return 0;
}

static int apply_onbuild(struct stage_run *st, const struct df_instr *in, char **by)
{
	struct json_object *c = stepconf_cfg(st), *ob;
	/* args[0]: the trigger as written, its heredocs too (docker records that) */
	const char *trigger = in->n_args ? in->args[0] : in->sub ? in->sub->text : "";

	if (!json_object_object_get_ex(c, "OnBuild", &ob) ||
	    !json_object_is_type(ob, json_type_array)) {
		ob = json_object_new_array();
		json_object_object_add(c, "OnBuild", ob);
	}
	json_object_array_add(ob, json_object_new_string(trigger));
	*by = xasprintf("ONBUILD %s", trigger);
	return 0;
}

int stepconf_apply(struct build *b, struct stage_run *st, const struct df_instr *in,
		   char **created_by, struct berth_error *err)
{
	*created_by = NULL;
	switch (in->kind) {
	case DF_ENV:
	case DF_LABEL: return apply_env_label(b, st, in, created_by, err);
	case DF_ARG: return apply_arg(b, st, in, err);
	case DF_USER: return apply_word(b, st, in, "User", created_by, err);
	case DF_STOPSIGNAL:
		if (apply_word(b, st, in, "StopSignal", created_by, err) < 0)
			return -1;
		return check_signal(st, err);
	case DF_EXPOSE: return apply_expose(b, st, in, created_by, err);
	case DF_VOLUME: return apply_volume(b, st, in, created_by, err);
	case DF_CMD:
	case DF_ENTRYPOINT:
	case DF_SHELL: return apply_cmd(st, in, created_by, err);
	case DF_HEALTHCHECK: return apply_healthcheck(b, st, in, created_by, err);
	case DF_ONBUILD: return apply_onbuild(st, in, created_by);
	case DF_MAINTAINER:
		json_object_object_add(st->config, "author",
				       json_object_new_string(in->n_args ? in->args[0] : ""));
		*created_by = xasprintf("MAINTAINER %s", in->n_args ? in->args[0] : "");
		return 0;
	default:
		return berth_error_set(err, EINVAL, "%s is not a config step",
				       df_kind_name(in->kind));
	}
}

/* ---- WORKDIR, USER's ids ---- */

/* "/" + path cleaned ("a/./b/../c" -> "/a/c"), never above "/". */
static char *clean_abs(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *out = xcalloc(strlen(path) + 2, 1), *save = NULL;
	size_t len = 0;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		len += (size_t)sprintf(out + len, "/%s", c);
	}
	if (!len)
		strcpy(out, "/");
	return out;
}

static const char *workdir_of(struct stage_run *st)
{
	const char *w = json_get_string(stepconf_cfg(st), "WorkingDir");
	return w && *w ? w : "/";
}

int stepconf_workdir(struct build *b, struct stage_run *st, const struct df_instr *in, char **dir,
		     struct berth_error *err)
{
	_cleanup_free_ char *w = NULL, *joined = NULL;

	if (expand(b, st, in->n_args ? in->args[0] : "", &w, err) < 0)
		return -1;
	if (!*w)
		return berth_error_set(err, EINVAL, "WORKDIR needs a path");
	joined = *w == '/' ? xstrdup(w) : xasprintf("%s/%s", workdir_of(st), w);
	*dir = clean_abs(joined);
	json_object_object_add(stepconf_cfg(st), "WorkingDir", json_object_new_string(*dir));
	return 0;
}

int stepconf_user_ids(struct build *b, struct stage_run *st, uint32_t *uid, uint32_t *gid,
		      struct berth_error *err)
{
	const char *user = json_get_string(stepconf_cfg(st), "User");
	struct bfs_stack base;
	int r;

	*uid = *gid = 0;
	if (!user || !*user)
		return 0;
	if (!st->image[0])
		return copy_resolve_owner(NULL, user, uid, gid, err);
	if (image_open_stack(b->s, st->image, &base, err) < 0)
		return -1;
	r = copy_resolve_owner(&base, user, uid, gid, err);
	image_close_stack(&base);
	return r;
}

/* ---- COPY and ADD ---- */

static const struct df_heredoc *heredoc_named(const struct df_instr *in, const char *word)
{
	const char *name = word + 2;

	if (!str_has_prefix(word, "<<"))
		return NULL;
	if (*name == '-')
		name++;
	for (size_t i = 0; i < in->n_heredocs; i++) {
		size_t l = strlen(in->heredocs[i].name);
		/* <<EOF, <<"EOF", <<'EOF' */
		if (!strcmp(name, in->heredocs[i].name) ||
		    (strlen(name) == l + 2 && (*name == '"' || *name == '\'') &&
		     !strncmp(name + 1, in->heredocs[i].name, l)))
			return &in->heredocs[i];
	}
	return NULL;
}

static int copy_flags(struct build *b, struct stage_run *st, const struct df_instr *in,
		      struct stepconf_copy *c, struct berth_error *err)
{
	for (size_t i = 0; i < in->n_flags; i++) {
		const struct df_flag *f = &in->flags[i];
		_cleanup_free_ char *v = NULL;
		if (!strcmp(f->name, "link"))
			continue; /* layers are independent here already: nothing to do */
		if (strcmp(f->name, "from") && strcmp(f->name, "chown") &&
		    strcmp(f->name, "chmod") && (strcmp(f->name, "checksum") || in->kind != DF_ADD))
			return berth_error_set(err, ENOTSUP, "%s --%s is not supported by berth",
					       df_kind_name(in->kind), f->name);
		if (!f->value || expand(b, st, f->value, &v, err) < 0 || !*v)
			return err->msg ? -1
					: berth_error_set(err, EINVAL, "%s --%s needs a value",
							  df_kind_name(in->kind), f->name);
		if (!strcmp(f->name, "from")) {
			if (in->kind == DF_ADD)
				return berth_error_set(err, EINVAL, "ADD has no --from: use COPY");
			free(c->from);
			c->from = steal_pointer(&v);
		} else if (!strcmp(f->name, "chown")) {
			free(c->chown);
			c->chown = steal_pointer(&v);
		} else if (!strcmp(f->name, "checksum")) {
			free(c->checksum);
			c->checksum = steal_pointer(&v);
		} else {
			char *end;
			unsigned long m = strtoul(v, &end, 8);
			if (*end || m > 07777)
				return berth_error_set(err, EINVAL, "--chmod=%s: not an octal mode",
						       v);
			c->chmod = true;
			c->mode = (mode_t)m;
		}
	}
	return 0;
}

static bool is_git(const char *s)
{
	size_t n = strlen(s);
	return str_has_prefix(s, "git@") || str_has_prefix(s, "git://") ||
	       (fetch_is_url(s) && ((n > 4 && !strcmp(s + n - 4, ".git")) || strstr(s, ".git#")));
}

/* ADD URL: fetched by berth (not by a step), unless the build has no
 * network; the file is 0600, as docker makes it, and never extracted. */
static int add_url(struct build *b, const struct df_instr *in, const char *url,
		   struct stepconf_copy *c, struct berth_error *err)
{
	char *data, *name;
	size_t len;

	if (in->kind != DF_ADD)
		return berth_error_set(err, EINVAL, "COPY %s: COPY takes no URL (ADD does)", url);
	if (is_git(url))
		return berth_error_set(err, ENOTSUP,
				       "ADD %s: git sources are not supported: clone in a RUN step",
				       url);
	if (b->o->network && !strcmp(b->o->network, "none"))
		return berth_error_set(err, EPERM,
				       "ADD %s: the build has no network (--network none)", url);
	if (fetch_url(url, c->checksum, &data, &len, &name, err) < 0)
		return -1;
	c->inline_files = xrealloc(c->inline_files, (c->n_inline + 1) * sizeof(*c->inline_files));
	c->inline_files[c->n_inline++] =
		(struct copy_inline){ .name = name, .data = data, .len = len, .mode = 0600 };
	return 0;
}

int stepconf_copy_parse(struct build *b, struct stage_run *st, const struct df_instr *in,
			struct stepconf_copy *c, struct berth_error *err)
{
	_cleanup_(strv_freep) char **words = NULL;
	size_t n = 0, len = 0;
	_cleanup_free_ char *dest = NULL;
	FILE *f;

	if (copy_flags(b, st, in, c, err) < 0)
		return -1;
	for (size_t i = 0; i < in->n_args; i++) {
		const struct df_heredoc *h =
			i + 1 < in->n_args ? heredoc_named(in, in->args[i]) : NULL;
		_cleanup_free_ char *w = NULL;
		if (h) {
			char *body = NULL;
			if (h->expand && df_expand_heredoc(h->body, b->df.escape, build_lookup, st,
							   &body, err) < 0)
				return -1;
			c->inline_files = xrealloc(c->inline_files,
						   (c->n_inline + 1) * sizeof(*c->inline_files));
			c->inline_files[c->n_inline++] =
				(struct copy_inline){ .name = xstrdup(h->name),
						      .data = body ? body : xstrdup(h->body),
						      .len = strlen(body ? body : h->body) };
			continue;
		}
		if (expand(b, st, in->args[i], &w, err) < 0)
			return -1;
		strv_push(&words, &n, w);
	}
	if (n < 1 || (n < 2 && !c->n_inline))
		return berth_error_set(err, EINVAL, "%s needs a source and a destination",
				       df_kind_name(in->kind));
	for (size_t i = 0; i + 1 < n; i++) {
		if (fetch_is_url(words[i]) || is_git(words[i])) {
			if (add_url(b, in, words[i], c, err) < 0)
				return -1;
			continue;
		}
		strv_push(&c->sources, &c->n_sources, words[i]);
	}
	if (c->checksum && c->n_sources)
		return berth_error_set(err, EINVAL, "ADD --checksum is for URL sources only");
	dest = xstrdup(words[n - 1]);
	/* docker's rule, on the sources as written (a glob may match many) */
	if (n - 1 + c->n_inline > 1 && dest[strlen(dest) - 1] != '/' && strcmp(dest, ".") &&
	    !(strlen(dest) >= 2 && !strcmp(dest + strlen(dest) - 2, "/.")))
		return berth_error_set(err, EINVAL,
				       "%s: with more than one source the destination must be a "
				       "directory and end with a /",
				       df_kind_name(in->kind));
	/* "." and a trailing "/" or "/." mean a directory */
	bool dir = !strcmp(dest, ".") || dest[strlen(dest) - 1] == '/' ||
		   (strlen(dest) >= 2 && !strcmp(dest + strlen(dest) - 2, "/."));
	_cleanup_free_ char *joined =
		*dest == '/' ? xstrdup(dest) : xasprintf("%s/%s", workdir_of(st), dest);
	_cleanup_free_ char *clean = clean_abs(joined);
	c->dest = dir && strcmp(clean, "/") ? xasprintf("%s/", clean) : xstrdup(clean);
	f = open_memstream(&c->text, &len);
	fprintf(f, "%s", df_kind_name(in->kind));
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", words[i]);
	for (size_t i = 0; i < c->n_inline; i++)
		fprintf(f, " <<%s", c->inline_files[i].name);
	fclose(f);
	return 0;
}

void stepconf_copy_clear(struct stepconf_copy *c)
{
	strv_free(c->sources);
	for (size_t i = 0; i < c->n_inline; i++) {
		free((char *)c->inline_files[i].name);
		free((char *)c->inline_files[i].data);
	}
	free(c->inline_files);
	free(c->dest);
	free(c->from);
	free(c->chown);
	free(c->checksum);
	free(c->text);
	*c = (struct stepconf_copy){ 0 };
}

/* ---- RUN ---- */

/* "<<EOF" alone (or <<-EOF, <<"EOF"): the heredoc is the script. */
static const struct df_heredoc *script_heredoc(const struct df_instr *in)
{
	const char *line = in->n_args ? in->args[0] : "";

	while (*line == ' ' || *line == '\t')
		line++;
	if (in->n_heredocs != 1 || !str_has_prefix(line, "<<"))
		return NULL;
	_cleanup_free_ char *word = xstrndup(line, strcspn(line, " \t"));
	const char *rest = line + strlen(word);
	while (*rest == ' ' || *rest == '\t')
		rest++;
	return *rest ? NULL : heredoc_named(in, word);
}

/* The body without its leading tabs (<<-). */
static char *strip_tabs(const char *body)
{
	char *out = xstrdup(body), *w = out;
	bool bol = true;

	for (const char *r = body; *r; r++) {
		if (bol && *r == '\t')
			continue;
		bol = *r == '\n';
		*w++ = *r;
	}
	*w = '\0';
	return out;
}

/* The shell's script: the line, then each heredoc as the shell reads it. */
static char *run_script(const struct df_instr *in)
{
	const struct df_heredoc *h = script_heredoc(in);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (h)
		return h->strip_tabs ? strip_tabs(h->body) : xstrdup(h->body);
	f = open_memstream(&out, &len);
	fputs(in->n_args ? in->args[0] : "", f);
	for (size_t i = 0; i < in->n_heredocs; i++)
		fprintf(f, "\n%s%s", in->heredocs[i].body, in->heredocs[i].name);
	fclose(f);
	return out;
}

char **stepconf_run_argv(struct stage_run *st, const struct df_instr *in)
{
	char **v = NULL;
	size_t n = 0;

	if (in->json) {
		for (size_t i = 0; i < in->n_args; i++)
			strv_push(&v, &n, in->args[i]);
		return v ? v : xcalloc(1, sizeof(char *));
	}
	struct json_object *sh = shell_of(st);
	for (size_t i = 0; i < json_object_array_length(sh); i++)
		strv_push(&v, &n, json_object_get_string(json_object_array_get_idx(sh, i)));
	json_object_put(sh);
	_cleanup_free_ char *script = run_script(in);
	strv_push(&v, &n, script);
	return v;
}

char *stepconf_run_text(struct stage_run *st, const struct df_instr *in)
{
	_cleanup_(strv_freep) char **v = stepconf_run_argv(st, in);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; v[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", v[i]);
	fclose(f);
	return out;
}
