// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-stack.c: `berth up` and `berth down` of a stack file. A stack
 * (profiles/profile.c) is checked whole before anything is made; then
 * its networks and volumes are made (named STACK-NAME) and its sandboxes
 * created and started detached, in dependency order, as containers named
 * STACK-SANDBOX, known on their networks by their sandbox names. Each
 * sandbox's profile becomes run's flags (profile-flags.c), parsed by
 * run's own parser (run-flags.c) into a run_config that the engine
 * creates and starts (runner/engine.h), in this process: the same checks
 * and records as `run`, a failure's message as run says it, and no value
 * of a sandbox's [environment] on any command line or in any file. A
 * failure half-way undoes what this `up` made, newest first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../image/image.h"
#include "../image/pull-policy.h"
#include "../lib/proctitle.h"
#include "../objects/network.h"
#include "../objects/volume.h"
#include "../profiles/profile.h"
#include "../runner/engine.h"
#include "../runner/spec.h"
#include "cli.h"
#include "profile-flags.h"
#include "run-flags.h"
#include "stack-file.h"

/* What this up made, to undo on a failure. */
struct made {
	char **containers, **networks, **volumes;
	size_t n_containers, n_networks, n_volumes;
};

static void made_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* Remove a container (running or not, its anonymous volumes too with
 * volumes), a network or a volume; an error printed: false. */
static bool remove_container(struct store *s, const char *name, bool volumes)
{
	struct berth_error err = { 0 };

	if (engine_remove(s, name, true, volumes, &err) < 0) {
		cli_fail(&err);
		return false;
	}
	return true;
}

static bool remove_named(struct store *s, const char *name,
			 int (*lock)(struct store *, struct berth_error *),
			 int (*rm)(struct store *, const char *, struct berth_error *))
{
	struct berth_error err = { 0 };
	_cleanup_close_ int fd = lock(s, &err);

	if (fd < 0 || rm(s, name, &err) < 0) {
		cli_fail(&err);
		return false;
	}
	return true;
}

static void made_undo(struct store *s, struct made *m)
{
	for (size_t i = m->n_containers; i-- > 0;)
		remove_container(s, m->containers[i], true);
	for (size_t i = m->n_networks; i-- > 0;)
		remove_named(s, m->networks[i], network_lock, network_remove);
	for (size_t i = m->n_volumes; i-- > 0;)
		remove_named(s, m->volumes[i], volume_lock, volume_remove);
}

static void made_free(struct made *m)
{
	strv_free(m->containers);
	strv_free(m->networks);
	strv_free(m->volumes);
}

/* The state of the sandbox's container: 0 none, 1 stopped, 2 running. */
static int sandbox_state(struct store *s, const char *name)
{
	char id[CONTAINER_ID_LEN + 1];
	struct berth_error err = { 0 };

	if (container_resolve(s, name, id, &err) < 0) {
		berth_error_clear(&err);
		return 0;
	}
	return container_running(s, id) ? 2 : 1;
}

/* The stack names its containers and runs them detached: a sandbox's
 * own name, detach or remove would undo that. */
static bool stack_owned(const struct profile_setting *s, void *arg)
{
	(void)arg;
	if (!s->key || strcmp(s->key->section, "sandbox") || !s->key->name ||
	    (strcmp(s->key->name, "name") && strcmp(s->key->name, "detach") &&
	     strcmp(s->key->name, "remove")))
		return true;
	fprintf(stderr, "berth: warning: %s:%u: %s is the stack's to choose in a stack: ignored\n",
		s->file, s->line, s->key->name);
	return false;
}

static void say(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "berth: %s\n", line);
}

/* Start the container name detached, its monitor showing itself to other
 * users as `berth VERB NAME` (as a run or start of it would), then this
 * process as up again (title). An error printed: false. */
static bool start_detached(struct store *s, const char *id, const char *verb, const char *name,
			   char *const *title)
{
	const struct engine_start how = { .say = say };
	struct berth_error err = { 0 };
	struct engine_end end;
	size_t n = 0;

	proctitle_set((const char *const[]){ "berth", verb, name }, 3);
	int r = engine_start(s, id, &how, &end, &err);
	while (title[n])
		n++;
	proctitle_set((const char *const *)title, n);
	if (r < 0) {
		cli_fail(&err);
		return false;
	}
	return true;
}

/* The sandbox's run flags (its profile's, in a vector in memory) through
 * run's parser into rc; its [environment] straight into rc, never a
 * flag. 0, or an exit code (the problem printed). */
static int sandbox_config(const struct stack *st, const struct stack_sandbox *sb, const char *cname,
			  struct run_config *rc)
{
	struct profile_ctx ctx = { .stack = st->name,
				   .sandbox = sb->name,
				   .networks = st->networks,
				   .volumes = st->volumes };
	struct profile_args pa = { 0 };
	struct berth_error err = { 0 };
	int opt_end, r;

	if (profile_run_args(&sb->prof, &ctx, stack_owned, NULL, run_config_limits_unsupported(),
			     &pa, &err) < 0)
		return cli_fail(&err);
	if (!pa.image) {
		profile_args_free(&pa);
		fprintf(stderr, "berth: %s: [%s] has no image\n", st->file, sb->name);
		return EXIT_USAGE;
	}
	_cleanup_free_ char *l1 = xasprintf("berth.stack=%s", st->name);
	_cleanup_free_ char *l2 = xasprintf("berth.stack.sandbox=%s", sb->name);
	char **argv = xcalloc(pa.n_args + pa.n_cmd + 10, sizeof(char *));
	int n = 0;
	argv[n++] = "run";
	argv[n++] = "-d";
	argv[n++] = "--name";
	argv[n++] = (char *)cname;
	argv[n++] = "--label";
	argv[n++] = l1;
	argv[n++] = "--label";
	argv[n++] = l2;
	for (size_t i = 0; i < pa.n_args; i++)
		argv[n++] = pa.args[i];
	argv[n++] = pa.image;
	for (size_t i = 0; i < pa.n_cmd; i++)
		argv[n++] = pa.cmd[i];
	r = run_flags_parse(n, argv, "run", rc, &opt_end);
	/* after the profile's env files, as -e would: [environment] wins */
	for (size_t i = 0; r == 0 && i < pa.n_env; i++)
		strv_push(&rc->env_args, &rc->n_env_args, pa.env[i]);
	free(argv);
	profile_args_free(&pa);
	return r;
}

/* An image's pull progress (stderr), as `berth pull` prints it. */
static void say_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* A new sandbox: its container created and started, or an error printed
 * (false); *made when its container was made. */
static bool run_sandbox(struct store *s, const struct stack *st, const struct stack_sandbox *sb,
			const char *cname, char *const *title, bool *made)
{
	struct run_config rc;
	struct berth_error err = { 0 };
	char id[CONTAINER_ID_LEN + 1];
	bool ok = false;

	*made = false;
	run_config_init(&rc);
	if (sandbox_config(st, sb, cname, &rc) != 0)
		goto out;
	struct pull_opts po = { .ref = rc.image_ref, .say = say_line, .progress = true };
	if (image_pull_policy(s, rc.pull, &po, &err) < 0 || engine_create(s, &rc, id, &err) < 0) {
		cli_fail(&err);
		goto out;
	}
	*made = true;
	ok = start_detached(s, id, "run", cname, title);
out:
	run_config_clear(&rc);
	return ok;
}

/* The stack's networks and volumes that are missing, made. */
static int make_objects(struct store *s, const struct stack *st, struct made *m)
{
	struct berth_error err = { 0 };

	for (size_t i = 0; i < st->n_networks; i++) {
		_cleanup_free_ char *n = stack_container_name(st, st->networks[i]);
		if (network_exists(s, n))
			continue;
		_cleanup_close_ int lock = network_lock(s, &err);
		if (lock < 0 || network_create(s, n, NULL, false, NULL, 0, &err) < 0) {
			cli_fail(&err);
			fprintf(stderr, "berth: up: network %s could not be made\n", n);
			return -1;
		}
		made_push(&m->networks, &m->n_networks, n);
	}
	for (size_t i = 0; i < st->n_volumes; i++) {
		_cleanup_free_ char *v = stack_container_name(st, st->volumes[i]);
		_cleanup_free_ char *name = NULL;
		bool created;
		if (volume_exists(s, v))
			continue;
		_cleanup_close_ int lock = volume_lock(s, &err);
		if (lock < 0 || volume_ensure(s, v, NULL, 0, false, &name, &created, &err) < 0) {
			cli_fail(&err);
			fprintf(stderr, "berth: up: volume %s could not be made\n", v);
			return -1;
		}
		made_push(&m->volumes, &m->n_volumes, v);
	}
	return 0;
}

/* Networks and volumes first (those missing), then the sandboxes. */
static int bring_up(struct store *s, const struct stack *st, struct made *m, char *const *title)
{
	if (make_objects(s, st, m) < 0)
		return -1;
	for (size_t i = 0; i < st->n_sb; i++) {
		_cleanup_free_ char *c = stack_container_name(st, st->sb[i].name);
		char id[CONTAINER_ID_LEN + 1];
		struct berth_error err = { 0 };
		int state = sandbox_state(s, c);
		bool ok, made = false;
		if (state == 2)
			continue; /* up already: left as it is */
		if (state == 1)
			ok = container_resolve(s, c, id, &err) == 0
				     ? start_detached(s, id, "start", c, title)
				     : (cli_fail(&err), false);
		else
			ok = run_sandbox(s, st, &st->sb[i], c, title, &made);
		if (made)
			made_push(&m->containers, &m->n_containers, c);
		if (!ok) {
			fprintf(stderr, "berth: up: sandbox %s failed to start (%s)\n",
				st->sb[i].name, st->file);
			return -1;
		}
		printf("%s\n", c); /* (as run -d prints what it started) */
		fflush(stdout);
	}
	return 0;
}

/* Stop each sandbox, dependents first. */
static void stop_all(struct store *s, const struct stack *st)
{
	for (size_t i = st->n_sb; i-- > 0;) {
		_cleanup_free_ char *cn = stack_container_name(st, st->sb[i].name);
		char id[CONTAINER_ID_LEN + 1];
		struct berth_error err = { 0 };
		if (container_resolve(s, cn, id, &err) < 0 || engine_stop(s, id, -1, &err) < 0)
			cli_fail(&err);
	}
}

/* up's and down's command line: the one flag of opts, and a stack FILE,
 * loaded into st: 0 or the exit code. */
static int flag_and_file(const char *verb, const char *usage, const struct cli_opt *opts, int argc,
			 char **argv, bool *flag, struct stack *st)
{
	int c;

	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		if (c != opts[0].letter)
			return EXIT_USAGE;
		*flag = true;
	}
	if (optind + 1 != argc)
		return cli_usage_error(verb, "one stack FILE");
	return stack_file_load(argv[optind], st);
}

int cmd_up(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "detach", 'd', NULL, "Leave the sandboxes running in the background" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct stack st = { 0 };
	struct made m = { 0 };
	bool detach = false;
	int c, r;

	if ((r = flag_and_file("up", "up [-d] FILE", opts, argc, argv, &detach, &st)) != 0)
		return r;
	stack_warn(&st); /* said, and up goes on */
	if (stack_check_store(&st) > 0) {
		fprintf(stderr, "berth: up: %s: nothing was made\n", st.file);
		stack_free(&st);
		return EXIT_USAGE;
	}
	if ((c = cli_open_store(&s)) != 0) {
		stack_free(&st);
		return c;
	}
	/* this process's own title, given back after each sandbox's */
	char **title = xcalloc((size_t)argc + 2, sizeof(char *));
	title[0] = "berth";
	for (int i = 0; i < argc; i++)
		title[i + 1] = argv[i];
	if (bring_up(s, &st, &m, title) < 0) {
		fprintf(stderr, "berth: up: rolling back what this up made\n");
		made_undo(s, &m);
		r = EXIT_FAILURE;
	} else if (!detach) {
		/* compose's way: follow the logs; ctrl-c stops the stack */
		stack_catch_stop();
		stack_logs(&st, true, false);
		stop_all(s, &st);
	}
	free(title);
	made_free(&m);
	stack_free(&st);
	return r;
}

int cmd_down(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "volumes", 'v', NULL,
		  "Remove the stack's named volumes and its containers' anonymous ones too" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct stack st = { 0 };
	bool volumes = false;
	int c, r;

	if ((r = flag_and_file("down", "down [-v] FILE", opts, argc, argv, &volumes, &st)) != 0)
		return r;
	if ((c = cli_open_store(&s)) != 0) {
		stack_free(&st);
		return c;
	}
	store_unlock(s);
	/* dependents first */
	for (size_t i = st.n_sb; i-- > 0;) {
		_cleanup_free_ char *cn = stack_container_name(&st, st.sb[i].name);
		if (sandbox_state(s, cn) && !remove_container(s, cn, volumes))
			r = EXIT_FAILURE;
	}
	for (size_t i = 0; i < st.n_networks; i++) {
		_cleanup_free_ char *n = stack_container_name(&st, st.networks[i]);
		if (network_exists(s, n) && !remove_named(s, n, network_lock, network_remove))
			r = EXIT_FAILURE;
	}
	for (size_t i = 0; volumes && i < st.n_volumes; i++) {
		_cleanup_free_ char *v = stack_container_name(&st, st.volumes[i]);
		if (volume_exists(s, v) && !remove_named(s, v, volume_lock, volume_remove))
			r = EXIT_FAILURE;
	}
	stack_free(&st);
	return r;
}
