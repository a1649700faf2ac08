/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h: what the verb handlers share: the verb table entry, usage and
 * error printing, and opening the store. Only the CLI prints or exits.
 */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>

#include "../lib/error.h"
#include "../image/store.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(struct store *, store_free)
#define _cleanup_store_ _cleanup_(store_freep)

/* The exit codes the CLI chooses (docker's): EXIT_FAILURE (1) for a
 * failed operation, EXIT_USAGE for a usage error and, in run, create,
 * start and exec, for a failure of berth's own (the container never ran:
 * 126 and 127 say its command could not start). */
#define EXIT_USAGE 125

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* One option of a verb: the long name, short letter, argument name (NULL
 * for a flag) and help text; the tables double as the --help output. */
struct cli_opt {
	const char *name;
	int letter;
	const char *arg;
	const char *help;
};

/* Parse argv with getopt_long from an option table. Returns the option
 * letter, -1 at the end, or exits for --help and unknown options. */
int cli_getopt(int argc, char **argv, const char *verb, const char *usage,
	       const struct cli_opt *opts);
void cli_help(const char *verb, const char *usage, const struct cli_opt *opts);
/* cli_getopt for a verb whose options are all flags: each given sets
 * *set[i], for opts[i]; 0, or EXIT_USAGE. */
int cli_getflags(int argc, char **argv, const char *verb, const char *usage,
		 const struct cli_opt *opts, bool *const *set);
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A verb of subcommands (image, volume, secret): run the one argv[1]
 * names, or list them (an entry without a summary is an unlisted alias). */
int cli_dispatch(const char *verb, const struct cli_cmd *sub, size_t n, int argc, char **argv);
/* A kind of named store objects (volumes, networks), for the verbs they
 * all have (named.c). */
struct json_object;
struct cli_named {
	const char *kind; /* "volume" */
	int (*lock)(struct store *s, struct berth_error *err);
	bool (*exists)(struct store *s, const char *name);
	int (*list)(struct store *s, char ***names, size_t *n, struct berth_error *err);
	/* refusing one in use */
	int (*remove)(struct store *s, const char *name, struct berth_error *err);
	/* leaving one in use quietly; *removed: it went */
	int (*prune)(struct store *s, const char *name, bool *removed, struct berth_error *err);
	/* NULL, or which ones prune takes without -a (anonymous volumes) */
	bool (*anonymous)(struct store *s, const char *name);
	struct json_object *(*inspect)(struct store *s, const char *name, struct berth_error *err);
	/* ls's table of the names listed, header and rows: its exit code */
	int (*table)(struct store *s, char *const *names, size_t n);
	/* ls --format json leaves out one whose inspect fails, quietly
	 * (else its error is printed and ls fails) */
	bool ls_skips_broken;
	/* help lines of its prune and rm; rm_alias: "remove" is rm too */
	const char *prune_help, *rm_help;
	bool rm_alias;
};
/* `KIND ls [-q] [--format table|json]`: the names (-q), the kind's table,
 * or a JSON array of what inspect gives for each. */
int cli_ls_named(const struct cli_named *k, int argc, char **argv);
/* `KIND rm [-f] NAME...`: under its lock, each removed or its error
 * printed; -f passes over missing names (docker's -f), never over one in
 * use. */
int cli_rm_named(const struct cli_named *k, int argc, char **argv);
/* `KIND inspect NAME...`: a JSON array of what inspect gives for each
 * (an error printed for each that fails). */
int cli_inspect_named(const struct cli_named *k, int argc, char **argv);
/* `KIND prune [-f]` (`[-a]` where the kind has anonymous ones: else only
 * those): under its lock, each one no container uses removed and its
 * name printed. */
int cli_prune_named(const struct cli_named *k, int argc, char **argv);
/* cli_dispatch for a kind: the verbs above (ls or list, inspect, rm or,
 * with rm_alias, remove, prune) and the kind's own, own[0] its create
 * (listed first in its help, the common verbs after it). */
int cli_dispatch_named(const struct cli_named *k, const struct cli_cmd *own, size_t n, int argc,
		       char **argv);
/* Print "berth: <err>" (and clear err); EXIT_FAILURE. */
int cli_fail(struct berth_error *err);
/* The same, returning code. */
int cli_fail_with(struct berth_error *err, int code);
/* A removal's object that is not there (or that a removal at the same
 * time took first): docker's "Error: No such KIND: NAME" (since 20.10),
 * err cleared (NULL: none); 0 under -f, else EXIT_FAILURE. */
int cli_no_such(const char *kind, const char *name, bool force, struct berth_error *err);
int cli_open_store(struct store **out);
/* A verb's CONTAINER... operands from optind: a usage error of verb's
 * without one, else the store opened; 0 or the exit code. */
int cli_open_for_containers(const char *verb, int argc, struct store **out);
/* The container ref names, into id (CONTAINER_ID_LEN + 1 bytes): 0, or
 * its error printed and EXIT_FAILURE. */
int cli_resolve(struct store *s, const char *ref, char *id);
/* The store opened and ref resolved into id: 0 or the exit code. */
int cli_open_container(struct store **out, const char *ref, char *id);
/* Start the recorded container id (runner/engine.h): attached, its
 * status; detached, 0 once it runs. What goes wrong is printed; the
 * exit code is docker's. */
int cli_start(struct store *s, const char *id, bool attach, bool interactive);

int cmd_version(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_builder(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_image_prune(int argc, char **argv);
int cmd_image_tree(int argc, char **argv);
int cmd_image_mount(int argc, char **argv);
int cmd_image_umount(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_secret(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_system(int argc, char **argv);

#endif
