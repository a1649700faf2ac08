// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c: the berth CLI entry point and verb table. Verbs are thin: each
 * parses its flags into a plain struct and calls one engine function.
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../netns/keeper.h"
#include "cli.h"
#include "../image/image.h"
#include "../runner/container.h"
#include "../runner/engine.h"
#include "../lib/proc.h"
#include "../lib/proctitle.h"
#include "../lib/util.h"

static const struct cli_cmd commands[] = {
	{ "build", cmd_build, "Build an image from a Dockerfile" },
	{ "builder", cmd_builder, "Manage the build cache (prune)" },
	{ "attach", cmd_attach, "Follow a detached container's output (and feed its terminal)" },
	{ "commit", cmd_commit, "Make an image of a container's changes" },
	{ "cp", cmd_cp, "Copy files between a running container and the host" },
	{ "create", cmd_create, "Create a container without starting it" },
	{ "diff", cmd_diff, "Show what a container changed in its filesystem" },
	{ "exec", cmd_exec, "Run a command in a running container" },
	{ "history", cmd_history, "Show the history of an image" },
	{ "image", cmd_image, "Manage images (ls, rm, prune, tree, ...)" },
	{ "images", cmd_images, "List images" },
	{ "import", cmd_import, "Create an image from a rootfs tarball" },
	{ "info", cmd_info, "Show the store and the kernel features berth uses" },
	{ "inspect", cmd_inspect, "Show an image's configuration as JSON" },
	{ "kill", cmd_kill, "Send a signal to running containers" },
	{ "load", cmd_load, "Load images from a docker-archive, oci-archive or OCI layout" },
	{ "login", cmd_login, "Check and store a registry's credentials" },
	{ "logout", cmd_logout, "Remove a registry's credentials stored by login" },
	{ "logs", cmd_logs, "Show what a detached container wrote" },
	{ "network", cmd_network, "Manage user networks (create, ls, inspect, rm, prune)" },
	{ "pause", cmd_pause, "Freeze containers (needs cgroup v2 delegation)" },
	{ "port", cmd_port, "List a container's published ports" },
	{ "ps", cmd_ps, "List containers" },
	{ "pull", cmd_pull, "Pull an image from a registry" },
	{ "push", cmd_push, "Push an image to a registry" },
	{ "restart", cmd_restart, "Stop and start containers again" },
	{ "rm", cmd_rm, "Remove containers" },
	{ "rmi", cmd_rmi, "Remove images" },
	{ "run", cmd_run, "Run a command in a new container" },
	{ "save", cmd_save, "Save images to a docker-archive or oci-archive" },
	{ "secret", cmd_secret, "Manage secrets (create, ls, inspect, rm)" },
	{ "start", cmd_start, "Start created or stopped containers" },
	{ "stop", cmd_stop, "Stop running containers (SIGTERM, then SIGKILL)" },
	{ "system", cmd_system, "Check the store and repair it (system check [--repair])" },
	{ "tag", cmd_tag, "Give an image another name" },
	{ "top", cmd_top, "Show a container's processes (host PIDs)" },
	{ "unpause", cmd_unpause, "Thaw containers (needs cgroup v2 delegation)" },
	{ "version", cmd_version, "Show the berth version" },
	{ "volume", cmd_volume, "Manage volumes (create, ls, inspect, rm, prune)" },
	{ "profile", cmd_profile, "Check or show an INI profile (check, show)" },
	{ "up", cmd_up, "Make a stack's networks and volumes and start its sandboxes" },
	{ "down", cmd_down, "Stop and remove a stack's sandboxes and networks" },
	{ "wait", cmd_wait, "Wait for containers to end and print their exit codes" },
};

/* Verbs whose arguments may hold a value meant for the container alone
 * (run -e KEY=VALUE); run and exec stay as long as the container or the
 * command does. */
static const char *const hides_args[] = { "run", "create", "exec", "login" };

static void usage(FILE *f)
{
	fprintf(f, "Usage: berth COMMAND [OPTIONS] [ARGS...]\n\n"
		   "Rootless containers and sandboxes from OCI/Docker images.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'berth COMMAND --help' for a command's options.\n"
		   "The store is $BERTH_ROOT, else $XDG_DATA_HOME/berth, else "
		   "~/.local/share/berth.\n");
}

int cli_dispatch(const char *verb, const struct cli_cmd *sub, size_t n, int argc, char **argv)
{
	bool asked = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);

	for (size_t i = 0; argc >= 2 && !asked && i < n; i++)
		if (strcmp(sub[i].name, argv[1]) == 0)
			return sub[i].run(argc - 1, argv + 1);
	{
		/* asked for: to stdout; missing or unknown: an error, to stderr */
		FILE *out = asked ? stdout : stderr;
		if (argc < 2)
			fprintf(out, "berth %s: expected a command\n", verb);
		else if (!asked)
			fprintf(out, "berth %s: unknown command \"%s\"\n", verb, argv[1]);
		fprintf(out, "Usage: berth %s COMMAND\n\nCommands:\n", verb);
		for (size_t i = 0; i < n; i++)
			if (sub[i].summary)
				fprintf(out, "  %-10s %s\n", sub[i].name, sub[i].summary);
		fprintf(out, "\nRun 'berth %s COMMAND --help' for a command's options.\n", verb);
		return asked ? 0 : EXIT_USAGE;
	}
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "berth %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'berth %s --help'.\n", verb);
	return EXIT_USAGE;
}

int cli_fail_with(struct berth_error *err, int code)
{
	_cleanup_free_ char *t = berth_error_text(err);
	fprintf(stderr, "berth: %s\n", t);
	berth_error_clear(err);
	return code;
}

int cli_fail(struct berth_error *err)
{
	return cli_fail_with(err, EXIT_FAILURE);
}

int cli_no_such(const char *kind, const char *name, bool force, struct berth_error *err)
{
	fprintf(stderr, "Error: No such %s: %s\n", kind, name);
	if (err)
		berth_error_clear(err);
	return force ? 0 : EXIT_FAILURE;
}

static void say(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "berth: %s\n", line);
}

int cli_start(struct store *s, const char *id, bool attach, bool interactive)
{
	const struct engine_start how = { .attach = attach,
					  .interactive = interactive,
					  .say = say };
	struct berth_error err = { 0 };
	struct engine_end end;

	if (engine_start(s, id, &how, &end, &err) < 0)
		/* docker's start of a running container fails with 1; for any
		 * other failure of berth's own the container never ran */
		return cli_fail_with(&err, end.running	    ? EXIT_FAILURE
					   : end.status > 0 ? end.status
							    : EXIT_USAGE);
	if (end.detached) {
		fprintf(stderr, "\r\nberth: detached from %.12s (berth attach %.12s)\r\n", id, id);
		return 0;
	}
	if (!attach)
		return 0;
	return end.status >= 0 ? end.status : EXIT_USAGE;
}

int cli_open_store(struct store **out)
{
	struct berth_error err = { 0 };
	_cleanup_free_ char *root = store_default_root();

	if (store_open(root, out, &err) < 0)
		return cli_fail(&err);
	image_recover(*out);
	return 0;
}

int cli_getflags(int argc, char **argv, const char *verb, const char *usage,
		 const struct cli_opt *opts, bool *const *set)
{
	int c;

	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		size_t i = 0;
		while (opts[i].name && opts[i].letter != c)
			i++;
		if (!opts[i].name)
			return EXIT_USAGE;
		*set[i] = true;
	}
	return 0;
}

int cli_open_for_containers(const char *verb, int argc, struct store **out)
{
	if (optind >= argc)
		return cli_usage_error(verb, "a CONTAINER is required");
	return cli_open_store(out);
}

int cli_resolve(struct store *s, const char *ref, char *id)
{
	struct berth_error err = { 0 };

	return container_resolve(s, ref, id, &err) < 0 ? cli_fail(&err) : 0;
}

int cli_open_container(struct store **out, const char *ref, char *id)
{
	int c = cli_open_store(out);

	return c != 0 ? c : cli_resolve(*out, ref, id);
}

void cli_help(const char *verb, const char *usage_line, const struct cli_opt *opts)
{
	printf("Usage: berth %s\n", usage_line);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, verb) == 0)
			printf("\n%s\n", commands[i].summary);
	printf("\nOptions:\n");
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->letter < 128 ? "-" : "",
			 o->letter < 128 ? o->letter : ' ', o->letter < 128 ? ", " : "  ", o->name,
			 o->arg && o->arg[0] != '[' ? " " : "", o->arg ? o->arg : "");
		printf("  %-28s %s\n", left, o->help);
	}
	printf("  %-28s %s\n", "--help", "Show this help");
}

#define HELP_OPT 0x1000

int cli_getopt(int argc, char **argv, const char *verb, const char *usage_line,
	       const struct cli_opt *opts)
{
	static struct option longopts[64];
	static char shortopts[160];
	static const struct cli_opt *built;
	static bool has_h, ready;
	size_t n = 0, s = 0;
	int c;

	/* (a verb without options passes NULL: the first call builds too) */
	if (!ready || built != opts) {
		ready = true;
		/* "+" stops at the first operand, as docker does for commands */
		shortopts[s++] = '+';
		for (const struct cli_opt *o = opts; o && o->name && n < ARRAY_SIZE(longopts) - 2;
		     o++) {
			/* an argument named "[=...]" is optional (--flag or
			 * --flag=VALUE, never --flag VALUE) */
			bool optional = o->arg && o->arg[0] == '[';
			longopts[n++] = (struct option){ o->name,
							 optional ? optional_argument
							 : o->arg ? required_argument
								  : no_argument,
							 NULL, o->letter };
			if (o->letter < 128) {
				shortopts[s++] = (char)o->letter;
				if (o->arg)
					shortopts[s++] = ':';
			}
		}
		longopts[n++] = (struct option){ "help", no_argument, NULL, HELP_OPT };
		longopts[n] = (struct option){ 0 };
		/* -h is help unless the verb gives it a meaning (run -h HOSTNAME) */
		shortopts[s] = '\0';
		has_h = strchr(shortopts, 'h') != NULL;
		if (!has_h)
			shortopts[s++] = 'h';
		shortopts[s] = '\0';
		built = opts;
		optind = 1;
		opterr = 0;
	}
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == HELP_OPT || (c == 'h' && !has_h)) {
		cli_help(verb, usage_line, opts);
		exit(0);
	}
	if (c == '?' || c == ':') {
		if (optopt && optopt < 128)
			exit(cli_usage_error(verb, "%s -%c",
					     c == ':' ? "missing argument for" : "unknown flag",
					     optopt));
		exit(cli_usage_error(verb, "unknown flag or missing argument: %s",
				     argv[optind - 1]));
	}
	return c;
}

int cmd_version(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	while (cli_getopt(argc, argv, "version", "version", opts) != -1)
		;
	printf("berth version %s\n", BERTH_VERSION_STRING);
	return 0;
}

int main(int argc, char **argv)
{
	/* Nothing berth's caller left open may reach a container or a
	 * helper: a descriptor inherited at 1100 was a way into the host
	 * (docs/security.md). The keeper alone is given two, at known
	 * numbers, by the berth that starts it. */
	bool keeper = argc == 2 && strcmp(argv[0], "berth-netd") == 0;
	if (!keeper)
		proc_close_fds_but(NULL, 0);
	/* Paths in images are bytes; a UTF-8 locale keeps libarchive from
	 * refusing PAX names that the C locale cannot represent. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	/* the network keeper re-executes berth under this name */
	if (keeper)
		return keeper_main(argv[1]);
	/* other users read /proc/PID/cmdline, which the monitor, the holder
	 * and --init's pid 1 inherit: the verbs that take a container's
	 * values (-e KEY=VALUE), and login's -p, keep only their name there
	 * from here on */
	argv = proctitle_init(argc, argv);
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(hides_args); i++)
		if (strcmp(argv[1], hides_args[i]) == 0)
			proctitle_set((const char *const[]){ "berth", argv[1] }, 2);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0) {
		printf("berth version %s\n", BERTH_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "berth: unknown command \"%s\"\nSee 'berth --help'.\n", argv[1]);
	return EXIT_USAGE;
}
