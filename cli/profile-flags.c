// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * profile-flags.c: profiles as run's flags (profile-flags.h). A resolved
 * profile (profiles/profile.c) becomes the run flags its keys stand for,
 * ahead of the command line's, so that run parses and checks one set of
 * flags either way (run-flags.c) and a later flag overrides an earlier
 * one; a stack's sandbox the same, its networks and volumes named as the
 * stack's. Also what only the store and the host can tell of a profile
 * (the image, secrets, bind sources, berth.conf's host loopback), and its
 * warnings.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../image/image.h"
#include "../image/pull-policy.h"
#include "../lib/userconf.h"
#include "../objects/secret.h"
#include "../runner/mountspec.h"
#include "../runner/secretspec.h"
#include "../runner/spec.h"
#include "cli.h"
#include "profile-flags.h"

void profile_args_free(struct profile_args *a)
{
	strv_free(a->args);
	strv_free(a->env);
	strv_free(a->cmd);
	free(a->image);
	memset(a, 0, sizeof(*a));
}

static void add(struct profile_args *a, const char *flag, const char *value)
{
	a->args = xrealloc(a->args, (a->n_args + 3) * sizeof(char *));
	a->args[a->n_args++] = xstrdup(flag);
	if (value)
		a->args[a->n_args++] = xstrdup(value);
	a->args[a->n_args] = NULL;
}

static bool is(const struct profile_setting *s, const char *section, const char *name)
{
	return s->key && !strcmp(s->key->section, section) && s->key->name &&
	       !strcmp(s->key->name, name);
}

/* A stack's own names: its networks and named volumes are the stack's
 * (NAME becomes STACK-NAME), as compose prefixes them with the project. */
static char *stack_name_of(const struct profile_ctx *ctx, char **declared, const char *name)
{
	for (size_t i = 0; ctx && declared && declared[i]; i++)
		if (!strcmp(declared[i], name))
			return xasprintf("%s-%s", ctx->stack, name);
	return xstrdup(name);
}

char *profile_file_dir(const char *file)
{
	_cleanup_free_ char *copy = xstrdup(file);
	const char *d = dirname(copy);
	char cwd[4096];

	if (d[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(d);
	return !strcmp(d, ".") ? xstrdup(cwd) : xasprintf("%s/%s", cwd, d);
}

/* A relative path ("." or "./x" or "../x") from the file's directory. */
static char *from_file(const char *file, const char *path)
{
	if (strcmp(path, ".") && strcmp(path, "..") && strncmp(path, "./", 2) &&
	    strncmp(path, "../", 3))
		return xstrdup(path);
	_cleanup_free_ char *dir = profile_file_dir(file);
	return xasprintf("%s/%s", dir, path);
}

/* An env file: any relative path is from the file's directory (a bare
 * NAME is never a volume here, as it is for a bind source). */
static char *env_file_from(const char *file, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	_cleanup_free_ char *dir = profile_file_dir(file);
	return xasprintf("%s/%s", dir, path);
}

/* -v SRC:DST[:opts]: a relative SRC from the file's directory; a
 * declared volume NAME as the stack's. */
static char *map_volume(const struct profile_ctx *ctx, const struct profile_setting *s)
{
	const char *spec = s->value, *colon = strchr(spec, ':');

	if (!colon)
		return xstrdup(spec);
	_cleanup_free_ char *src = xstrndup(spec, (size_t)(colon - spec));
	_cleanup_free_ char *mapped = src[0] == '.' ? from_file(s->file, src)
				      : ctx && src[0] != '/' && src[0] != '~'
					      ? stack_name_of(ctx, ctx->volumes, src)
					      : xstrdup(src);
	return xasprintf("%s%s", mapped, colon);
}

/* --mount ...,src=X,...: the same for its source. */
static char *map_mount(const struct profile_ctx *ctx, const struct profile_setting *s)
{
	_cleanup_free_ char *copy = xstrdup(s->value);
	char *out = xstrdup(""), *save = NULL;
	bool volume = strstr(s->value, "type=volume") != NULL;

	for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		_cleanup_free_ char *field = NULL;
		const char *eq = strchr(f, '=');
		if (eq && (!strncmp(f, "src=", 4) || !strncmp(f, "source=", 7))) {
			_cleanup_free_ char *m =
				eq[1] == '.' ? from_file(s->file, eq + 1)
				: volume     ? stack_name_of(ctx, ctx ? ctx->volumes : NULL, eq + 1)
					     : xstrdup(eq + 1);
			field = xasprintf("%.*s=%s", (int)(eq - f), f, m);
		} else {
			field = xstrdup(f);
		}
		char *t = xasprintf("%s%s%s", out, *out ? "," : "", field);
		free(out);
		out = t;
	}
	return out;
}

/* The keys whose flag is not simply "FLAG VALUE": true when s was one
 * of them (and is added). */
static bool add_special(struct profile_args *a, const struct profile_setting *s,
			const struct profile_ctx *ctx)
{
	const struct profile_key *k = s->key;

	if (is(s, "network", "host-loopback")) {
		if (!profile_bool(s->value))
			add(a, k->flag, NULL);
	} else if (is(s, "network", "host-loopback-ports")) { /* an optional argument: one word */
		_cleanup_free_ char *f = xasprintf("%s=%s", k->flag, s->value);
		add(a, f, NULL);
	} else if (is(s, "security", "no-new-privileges")) {
		if (!profile_bool(s->value))
			add(a, k->flag, "no-new-privileges=false");
	} else if (is(s, "security", "seccomp")) {
		if (!strcmp(s->value, "unconfined")) {
			add(a, k->flag, "seccomp=unconfined");
		} else if (strcmp(s->value, "default") != 0) { /* a JSON profile's path */
			_cleanup_free_ char *path = from_file(s->file, s->value);
			_cleanup_free_ char *opt = xasprintf("seccomp=%s", path);
			add(a, k->flag, opt);
		}
	} else if (is(s, "network", "mode")) {
		_cleanup_free_ char *n = stack_name_of(ctx, ctx ? ctx->networks : NULL, s->value);
		add(a, k->flag, n);
	} else if (is(s, "mounts", "volume") || is(s, "mounts", "mount") ||
		   is(s, "sandbox", "env-file")) {
		_cleanup_free_ char *v = is(s, "mounts", "volume") ? map_volume(ctx, s)
					 : is(s, "mounts", "mount")
						 ? map_mount(ctx, s)
						 : env_file_from(s->file, s->value);
		add(a, k->flag, v);
	} else {
		return false;
	}
	return true;
}

/* A scalar's or a list item's flag, the exceptions first. */
static int add_setting(struct profile_args *a, const struct profile_setting *s,
		       const struct profile_ctx *ctx, const char *limits_why)
{
	const struct profile_key *k = s->key;

	if (!k) /* a map section */
		return 0;
	if (k->type == PROFILE_MAP) {
		_cleanup_free_ char *kv = xasprintf("%s=%s", s->name, s->value);
		if (!strcmp(k->section, "environment"))
			strv_push(&a->env, &a->n_env, kv); /* never a flag: see env */
		else
			add(a, k->flag, kv);
		return 0;
	}
	if (is(s, "sandbox", "image")) {
		free(a->image);
		a->image = xstrdup(s->value);
		return 0;
	}
	if (is(s, "sandbox", "command")) {
		struct berth_error err = { 0 };
		strv_free(a->cmd);
		a->cmd = NULL;
		if (profile_words(s->value, &a->cmd, &a->n_cmd, &err) < 0) {
			/* checked at load: cannot fail */
			berth_error_clear(&err);
			return -1;
		}
		return 0;
	}
	if (!k->flag)
		return 0;
	if (!strcmp(k->section, "limits") && limits_why && a->limits_warn) {
		fprintf(stderr, "berth: warning: %s:%u: [limits] %s = %s not applied: %s\n",
			s->file, s->line, k->name, s->value, limits_why);
		return 0;
	}
	if (add_special(a, s, ctx))
		return 0;
	if (k->type == PROFILE_BOOL) {
		if (profile_bool(s->value))
			add(a, k->flag, NULL);
		return 0;
	}
	add(a, k->flag, s->value);
	return 0;
}

int profile_run_args(const struct profile *p, const struct profile_ctx *ctx,
		     bool (*keep)(const struct profile_setting *s, void *arg), void *arg,
		     const char *limits_why, struct profile_args *out, struct berth_error *err)
{
	const char *onu = profile_get(p, "limits", "if-unsupported");

	memset(out, 0, sizeof(*out));
	out->args = xcalloc(1, sizeof(char *));
	out->env = xcalloc(1, sizeof(char *));
	out->limits_warn = onu && !strcmp(onu, "warn");
	/* a stack's sandbox is known on its network by its own name (on a
	 * user network: the built-in modes have no names) */
	const char *mode = profile_get(p, "network", "mode");
	for (size_t i = 0; ctx && ctx->sandbox && mode && ctx->networks && ctx->networks[i]; i++)
		if (!strcmp(ctx->networks[i], mode))
			add(out, "--network-alias", ctx->sandbox);
	for (size_t i = 0; i < p->n; i++) {
		if (keep && !keep(&p->set[i], arg))
			continue;
		if (add_setting(out, &p->set[i], ctx, limits_why) < 0) {
			profile_args_free(out);
			return berth_error_set(err, EINVAL, "%s:%u: a bad value", p->set[i].file,
					       p->set[i].line);
		}
	}
	return 0;
}

int profile_check_host_loopback(const struct profile *p, bool cli_given, struct berth_error *err)
{
	const struct profile_setting *off = NULL, *on = NULL;
	struct userconf conf;

	for (size_t i = 0; i < p->n; i++) {
		const struct profile_setting *st = &p->set[i];
		if (is(st, "network", "host-loopback") && !profile_bool(st->value))
			off = st;
		else if (is(st, "network", "host-loopback-ports") ||
			 (is(st, "network", "host-loopback") && profile_bool(st->value)))
			on = on ? on : st;
	}
	if (off && on && is(on, "network", "host-loopback-ports"))
		return berth_error_set(err, EINVAL,
				       "%s:%u: [network] host-loopback-ports, while %s:%u says "
				       "host-loopback = false",
				       on->file, on->line, off->file, off->line);
	if (!on || cli_given)
		return 0;
	if (userconf_load(&conf, err) < 0) {
		userconf_clear(&conf);
		return -1;
	}
	bool allowed = conf.host_loopback;
	_cleanup_free_ char *path = steal_pointer(&conf.path);
	userconf_clear(&conf);
	if (allowed)
		return 0;
	return berth_error_set(
		err, 0,
		"%s:%u: [network] %s = %s asks for the host's loopback, which %s "
		"turns off (host-loopback = false); only run's own --host-loopback%s "
		"can allow it",
		on->file, on->line, on->key->name, on->value, path,
		is(on, "network", "host-loopback-ports") ? "=PORTS" : "");
}

/* A bare name found in the user's or the system's profiles while ./ has
 * one too: which one is used, said every time. */
void profile_note_shadowed(const struct profile *p)
{
	if (p->shadowed)
		fprintf(stderr,
			"berth: warning: using the profile %s, not ./%s (your own and the "
			"system's profiles come before ./; give ./%s for that one)\n",
			p->file, p->shadowed, p->shadowed);
}

size_t profile_warn(const struct profile *p, char *const *networks, char *const *volumes)
{
	char **w = NULL;
	size_t n = 0;

	profile_note_shadowed(p);
	profile_widenings(p, networks, volumes, &w, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "berth: warning: %s\n", w[i]);
	strv_free(w);
	return n;
}

/* An image the store lacks is no problem when run will pull it (pull =
 * missing, the default, or always, and a name a registry may have); one
 * the store cannot look up is. */
static bool pulled_later(const struct profile *p, const struct berth_error *e)
{
	const char *pull = profile_get(p, "sandbox", "pull");

	const char *image = profile_get(p, "sandbox", "image");

	return e->errnum == ENOENT && !(pull && !strcmp(pull, "never")) && image &&
	       image_pullable(image);
}

/* What only the store and the host can tell: the image, the secrets, the
 * bind sources; each with its file:line. */
int profile_check_store(const struct profile *p, bool check_image, struct berth_error *err)
{
	_cleanup_store_ struct store *s = NULL;
	char id[DIGEST_STR_LEN + 1];
	int bad = 0;

	if (cli_open_store(&s) != 0)
		return berth_error_set(err, 0, "the store could not be opened");
	for (size_t i = 0; i < p->n; i++) {
		const struct profile_setting *st = &p->set[i];
		struct berth_error e = { 0 };
		if (check_image && is(st, "sandbox", "image") &&
		    image_resolve(s, st->value, id, &e) < 0 && !pulled_later(p, &e)) {
			_cleanup_free_ char *t = berth_error_text(&e);
			fprintf(stderr, "berth: %s:%u: [sandbox] image: %s\n", st->file, st->line,
				t);
			bad++;
		}
		berth_error_clear(&e);
		if (is(st, "secrets", "secret")) {
			struct secret_ref r = { 0 };
			if (secretspec_parse(st->value, &r, &e) == 0 && !secret_exists(s, r.name)) {
				fprintf(stderr,
					"berth: %s:%u: [secrets] secret: no secret \"%s\" (berth "
					"secret create %s FILE)\n",
					st->file, st->line, r.name, r.name);
				bad++;
			}
			secret_ref_clear(&r);
			berth_error_clear(&e);
		}
		if (is(st, "mounts", "volume") || is(st, "mounts", "mount")) {
			struct mount_req m = { 0 };
			_cleanup_free_ char *dir = profile_file_dir(st->file);
			struct mountspec_env env = { .cwd = dir, .home = getenv("HOME") };
			int r = is(st, "mounts", "volume")
					? mountspec_parse_volume(st->value, &env, &m, &e)
					: mountspec_parse_mount(st->value, &env, &m, &e);
			/* (the parse fails for a bind source that is not there) */
			if (r < 0) {
				_cleanup_free_ char *t = berth_error_text(&e);
				fprintf(stderr, "berth: %s:%u: [mounts] %s: %s\n", st->file,
					st->line, st->key->name, t);
				bad++;
			}
			mount_req_clear(&m);
			berth_error_clear(&e);
		}
	}
	if (check_image && !profile_get(p, "sandbox", "image")) {
		fprintf(stderr, "berth: %s: [sandbox] image: no image (every sandbox needs one)\n",
			p->file);
		bad++;
	}
	return bad ? berth_error_set(err, 0, "%s: %d problem%s", p->file, bad, bad > 1 ? "s" : "")
		   : 0;
}

int profile_fail_strict(const char *file, size_t n)
{
	fprintf(stderr, "berth: %s: %zu setting%s widen%s the sandbox (--strict)\n", file, n,
		n == 1 ? "" : "s", n == 1 ? "s" : "");
	return 1;
}
