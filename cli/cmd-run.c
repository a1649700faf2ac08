// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-run.c: `berth run`, `berth create`, `berth ps` and `berth rm`.
 * run and create parse their flags into a run_config (run-flags.c; with
 * --profile, the profile's flags first, profile-flags.c), which the
 * engine creates (runner/engine.h); run then starts it, attached (it
 * exits with the container's status) or detached.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../image/image.h"
#include "../image/pull-policy.h"
#include "../lib/proctitle.h"
#include "../netns/ports.h"
#include "../runner/engine.h"
#include "../runner/mountspec.h"
#include "cli.h"
#include "listing.h"
#include "profile-flags.h"
#include "run-flags.h"
#include "stack-file.h"

/* A profile's mount or port that the command line sets again goes: the
 * command line's is the one that counts. */
static bool not_overridden(const struct profile_setting *st, void *arg)
{
	const struct run_config *f = arg;
	struct berth_error e = { 0 };
	bool keep = true;

	if (!st->key || !st->key->name ||
	    (strcmp(st->key->section, "mounts") && strcmp(st->key->section, "network")))
		return true;
	if (!strcmp(st->key->name, "volume") || !strcmp(st->key->name, "mount") ||
	    !strcmp(st->key->name, "tmpfs")) {
		struct mount_req m = { 0 };
		_cleanup_free_ char *dir = profile_file_dir(st->file);
		struct mountspec_env env = { .cwd = dir, .home = getenv("HOME") };
		int r = !strcmp(st->key->name, "volume")
				? mountspec_parse_volume(st->value, &env, &m, &e)
			: !strcmp(st->key->name, "mount")
				? mountspec_parse_mount(st->value, &env, &m, &e)
				: mountspec_parse_tmpfs(st->value, &m, &e);
		for (size_t i = 0; r == 0 && i < f->n_mounts && keep; i++)
			keep = strcmp(f->mounts[i].target, m.target) != 0;
		mount_req_clear(&m);
	} else if (!strcmp(st->key->name, "publish")) {
		struct port_map *pm = NULL;
		size_t n = 0;
		if (ports_parse(st->value, &pm, &n, &e) == 0)
			for (size_t i = 0; i < n && keep; i++)
				for (size_t j = 0; j < f->n_ports && keep; j++)
					keep = pm[i].host_port == 0 ||
					       pm[i].host_port != f->ports[j].host_port ||
					       pm[i].udp != f->ports[j].udp;
		free(pm);
	}
	berth_error_clear(&e);
	return keep;
}

static int run_or_create(int argc, char **argv, bool create_only);

/* The new vector: the profile's flags, its [environment] as -e (a vector
 * in memory, parsed here: never a process's command line), the command
 * line's flags but --profile, then IMAGE and COMMAND from the command
 * line, else the profile's. */
static char **profile_argv(int argc, char **argv, int opt_end, const struct profile_args *pa,
			   int *n)
{
	char **nargv =
		xcalloc((size_t)argc + pa->n_args + 2 * pa->n_env + pa->n_cmd + 3, sizeof(char *));

	*n = 0;
	nargv[(*n)++] = argv[0];
	for (size_t i = 0; i < pa->n_args; i++)
		nargv[(*n)++] = pa->args[i];
	for (size_t i = 0; i < pa->n_env; i++) {
		nargv[(*n)++] = "-e";
		nargv[(*n)++] = pa->env[i];
	}
	for (int i = 1; i < opt_end; i++) {
		if (!strcmp(argv[i], "--profile")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--profile=", 10))
			continue;
		nargv[(*n)++] = argv[i];
	}
	if (opt_end < argc) {
		for (int i = opt_end; i < argc; i++)
			nargv[(*n)++] = argv[i];
	} else {
		nargv[(*n)++] = pa->image;
		for (size_t i = 0; i < pa->n_cmd; i++)
			nargv[(*n)++] = pa->cmd[i];
	}
	return nargv;
}

/* run --profile: the profile's flags, then the command line's (the later
 * wins), then IMAGE and COMMAND from the command line or the profile. */
static int run_with_profile(int argc, char **argv, const struct run_config *asked, int opt_end,
			    bool create_only)
{
	const char *verb = create_only ? "create" : "run";
	struct berth_error err = { 0 };
	struct profile p = { 0 };
	struct profile_args pa = { 0 };
	int n, r;

	if (profile_load(asked->profile, &p, &err) < 0)
		return cli_fail_with(&err, EXIT_USAGE);
	/* what the profile loosens is said, and does not stop the run */
	profile_warn(&p, NULL, NULL);
	/* what only the store can tell, with file:line, before anything */
	if (profile_check_store(&p, opt_end >= argc, &err) < 0 ||
	    profile_check_host_loopback(&p, asked->host_loopback_given, &err) < 0 ||
	    profile_run_args(&p, NULL, not_overridden, (void *)asked,
			     run_config_limits_unsupported(), &pa, &err) < 0) {
		profile_free(&p);
		return cli_fail_with(&err, EXIT_USAGE);
	}
	if (opt_end >= argc && !pa.image) {
		profile_args_free(&pa);
		profile_free(&p);
		return cli_usage_error(verb, "an IMAGE is required (none in %s either)",
				       asked->profile);
	}
	char **nargv = profile_argv(argc, argv, opt_end, &pa, &n);
	r = run_or_create(n, nargv, create_only);
	free(nargv);
	profile_args_free(&pa);
	profile_free(&p);
	return r;
}

/* The pull's progress, as `berth pull` prints it (stderr). */
static void say_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* The container made, then (run) started; its image pulled first as
 * --pull says. */
static int create_and_start(struct run_config *rc, bool create_only)
{
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	char id[CONTAINER_ID_LEN + 1], shortid[13];
	int r;

	if ((r = cli_open_store(&s)) != 0)
		return r;
	struct pull_opts po = { .ref = rc->image_ref, .say = say_line, .progress = true };
	if (rc->image_ref && image_pull_policy(s, rc->pull, &po, &err) < 0)
		return cli_fail_with(&err, EXIT_USAGE);
	if (engine_create(s, rc, id, &err) < 0)
		return cli_fail_with(&err, EXIT_USAGE); /* docker: the container never ran */
	/* what the processes of this container show to other users */
	snprintf(shortid, sizeof(shortid), "%.12s", id);
	proctitle_set((const char *const[]){ "berth", create_only ? "create" : "run",
					     rc->name ? rc->name : shortid },
		      3);
	if (create_only) {
		printf("%s\n", id);
		return 0;
	}
	r = cli_start(s, id, !rc->detach, rc->interactive);
	if (rc->detach && r == 0)
		printf("%s\n", id);
	return r;
}

static int run_or_create(int argc, char **argv, bool create_only)
{
	struct run_config rc;
	int opt_end, r;

	run_config_init(&rc);
	r = run_flags_parse(argc, argv, create_only ? "create" : "run", &rc, &opt_end);
	if (r == 0 && rc.profile)
		r = run_with_profile(argc, argv, &rc, opt_end, create_only);
	else if (r == 0)
		r = create_and_start(&rc, create_only);
	run_config_clear(&rc);
	return r;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}

/* docker's wording: "3 seconds", "About a minute", "2 hours" */
static void duration(int64_t when, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - when;

	if (d < 1)
		snprintf(buf, len, "Less than a second");
	else if (d < 60)
		snprintf(buf, len, "%lld seconds", (long long)d);
	else if (d < 120)
		snprintf(buf, len, "About a minute");
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes", (long long)(d / 60));
	else if (d < 7200)
		snprintf(buf, len, "About an hour");
	else if (d < 172800)
		snprintf(buf, len, "%lld hours", (long long)(d / 3600));
	else
		snprintf(buf, len, "%lld days", (long long)(d / 86400));
}

/* "127.0.0.1:8080->80/tcp, ..." */
static char *ports_line(const struct engine_ps *e)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < e->n_ports; i++) {
		char *t = xasprintf("%s%s%s", out, *out ? ", " : "", e->ports[i]);
		free(out);
		out = t;
	}
	return out;
}

/* docker's STATUS: "Up 3 minutes", "Exited (0) 2 hours ago", "Created" */
static void status_text(const struct container_state *st, char *buf, size_t len)
{
	char when[64];

	duration(st->when, when, sizeof(when));
	if (!strcmp(st->status, "running"))
		snprintf(buf, len, "Up %s", when);
	else if (!strcmp(st->status, "exited"))
		snprintf(buf, len, "Exited (%d) %s ago%s%.*s%s", st->exit_code, when,
			 *st->error ? " (" : "", (int)strcspn(st->error, ":"), st->error,
			 *st->error ? ")" : "");
	else
		snprintf(buf, len, "Created");
}

static struct json_object *ps_json(const struct engine_ps *e, const char *status)
{
	struct json_object *o = json_object_new_object(), *pa = json_object_new_array();

	json_object_object_add(o, "Id", json_object_new_string(e->id));
	json_object_object_add(o, "Names", json_object_new_string(e->name ? e->name : ""));
	json_object_object_add(o, "Image", json_object_new_string(e->image ? e->image : ""));
	json_object_object_add(o, "State", json_object_new_string(e->state.status));
	json_object_object_add(o, "Status", json_object_new_string(status));
	json_object_object_add(o, "ExitCode", json_object_new_int(e->state.exit_code));
	for (size_t i = 0; i < e->n_ports; i++)
		json_object_array_add(pa, json_object_new_string(e->ports[i]));
	json_object_object_add(o, "Ports", pa);
	return o;
}

static bool in_stack(const struct engine_ps *e, char **only, size_t n_only)
{
	for (size_t k = 0; e->name && k < n_only; k++)
		if (!strcmp(only[k], e->name))
			return true;
	return false;
}

/* The listing: a table, IDs, or JSON. */
static void ps_print(const struct engine_ps *ps, size_t n, const char *stack, char **only,
		     size_t n_only, bool quiet, bool json)
{
	static const struct listing_col cols[] = {
		{ "CONTAINER ID", 12, false }, { "STATUS", 36, false }, { "NAMES", 20, false },
		{ "IMAGE", 24, false },	       { "PORTS", 0, false },
	};
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	struct listing l = { cols, ARRAY_SIZE(cols), "  ", NULL, 0 };

	for (size_t i = 0; i < n; i++) {
		const struct engine_ps *e = &ps[i];
		char status[640];
		if (stack && !in_stack(e, only, n_only)) /* a stack's own: by up's names */
			continue;
		if (quiet) {
			printf("%.12s\n", e->id);
			continue;
		}
		status_text(&e->state, status, sizeof(status));
		if (json) {
			json_object_array_add(arr, ps_json(e, status));
			continue;
		}
		/* an image ID shortened as docker does */
		_cleanup_free_ char *ports = ports_line(e);
		_cleanup_free_ char *id = xstrndup(e->id, 12);
		_cleanup_free_ char *image =
			xstrndup(e->image ? e->image : "",
				 e->image && str_has_prefix(e->image, "sha256:") ? 19 : 256);
		listing_row(&l, id, status, e->name, image, ports);
	}
	if (json)
		listing_print_json(arr);
	else if (!quiet)
		listing_print(&l);
}

int cmd_ps(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Show every container (default: running ones)" },
		{ "quiet", 'q', NULL, "Only IDs" },
		{ "format", 'f' + 256, "table|json", "Output format" },
		{ "stack", 's' + 512, "FILE", "Only the sandboxes of a stack file" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	bool all = false, quiet = false, json = false;
	const char *stack = NULL;
	char **only = NULL;
	size_t n_only = 0, n = 0;
	struct engine_ps *ps = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "ps", "ps [-a] [-q]", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'f' + 256) {
			if ((c = listing_format("ps", optarg, false, &json)) != 0)
				return c;
		} else if (c == 's' + 512)
			stack = optarg;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("ps", "unexpected argument \"%s\"", argv[optind]);
	if (stack && (c = stack_names(stack, &only, &n_only)) != 0) {
		strv_free(only);
		return c;
	}
	if ((c = cli_open_store(&s)) != 0 || engine_list(s, all, &ps, &n, &err) < 0) {
		strv_free(only);
		engine_ps_free(ps, n);
		return c ? c : cli_fail(&err);
	}
	ps_print(ps, n, stack, only, n_only, quiet, json);
	engine_ps_free(ps, n);
	strv_free(only);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "force", 'f', NULL, "Remove running containers too" },
		{ "volumes", 'v', NULL, "Remove its anonymous volumes too" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	bool force = false, volumes = false;
	int c, r = 0;

	if ((c = cli_getflags(argc, argv, "rm", "rm [-f] [-v] CONTAINER...", opts,
			      (bool *const[]){ &force, &volumes })) != 0 ||
	    (c = cli_open_for_containers("rm", argc, &s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		if (engine_remove(s, argv[i], force, volumes, &err) == 0) {
			printf("%s\n", argv[i]);
			fflush(stdout);
		} else if (err.errnum == ENOENT) {
			/* the loser of two removals at once ends here too */
			if (cli_no_such("container", argv[i], force, &err) != 0)
				r = EXIT_FAILURE;
		} else {
			r = cli_fail(&err);
		}
	}
	return r;
}
