// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-login.c: `berth login` and `berth logout`. login checks the
 * credentials against the registry (image/registry.h) before it keeps
 * them in berth's auth file (image/credentials.h); logout takes them out
 * of it. A password is read from a terminal without echo or from stdin;
 * -p's is only in memory: main keeps login's arguments out of
 * /proc/PID/cmdline (proctitle), and the copy parsed is wiped once read.
 * It was visible until berth started, which docker's warning says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "tls-flags.h"
#include "../image/credentials.h"
#include "../image/registry.h"
#include "../lib/http.h"
#include "../lib/util.h"

#define SECRET_MAX 4096

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* The registry an operand names ("docker.io" when none), as references
 * name it; NULL when it names a repository or nothing. */
static char *registry_arg(int argc, char **argv)
{
	const char *a = optind < argc ? argv[optind] : "docker.io";

	return *a ? cred_key_host(a) : NULL;
}

/* One line of fd (its newline dropped), at most SECRET_MAX bytes. */
static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);

	if (n < 0 || n > SECRET_MAX) {
		if (line)
			explicit_bzero(line, cap);
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* What the user types at prompt, with echo off for a secret. */
static char *prompt(const char *text, bool secret)
{
	struct termios saved, quiet;
	bool off = false;
	char *v;

	/* echo off before the prompt: what is typed once it shows is never
	 * echoed, and nothing typed ahead is thrown away */
	if (secret && tcgetattr(STDIN_FILENO, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		off = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
	}
	fprintf(stderr, "%s", text);
	fflush(stderr);
	v = read_line(stdin);
	if (off) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fprintf(stderr, "\n");
	}
	return v;
}

struct login_args {
	char *user;
	char *password; /* owned, wiped */
	bool password_stdin, get_login;
	struct regconf_tls_flags tls;
};

static int parse_login(int argc, char **argv, struct login_args *a)
{
	static const struct cli_opt opts[] = {
		{ "username", 'u', "USER", "User name" },
		{ "password", 'p', "PASSWORD",
		  "Password (visible to other users while berth starts: use --password-stdin)" },
		{ "password-stdin", 'S' + 256, NULL, "Read the password from stdin" },
		{ "get-login", 'G' + 256, NULL, "Print the user name stored for REGISTRY" },
		CLI_TLS_OPTS,
		{ 0 },
	};
	int c, t;

	while ((c = cli_getopt(argc, argv, "login",
			       "login [-u USER] [-p PASSWORD | --password-stdin] [--get-login] "
			       "[REGISTRY]",
			       opts)) != -1) {
		if ((t = cli_tls_flag("login", c, optarg, &a->tls)) != 0) {
			if (t != 1)
				return t;
		} else if (c == 'u') {
			a->user = optarg;
		} else if (c == 'p') {
			wipe_free(a->password);
			a->password = xstrdup(optarg);
			explicit_bzero(optarg, strlen(optarg));
		} else if (c == 'S' + 256) {
			a->password_stdin = true;
		} else if (c == 'G' + 256) {
			a->get_login = true;
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("login", "expected one registry");
	if (a->password && a->password_stdin)
		return cli_usage_error("login", "--password and --password-stdin are exclusive");
	if (a->password_stdin && !a->user)
		return cli_usage_error("login", "--password-stdin needs the user name (-u)");
	return 0;
}

/* The user and password: given, from stdin, or asked on a terminal. */
static int ask(struct login_args *a, char **user)
{
	bool tty = isatty(STDIN_FILENO);

	if (a->password)
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
	*user = a->user ? xstrdup(a->user) : tty ? prompt("Username: ", false) : NULL;
	if (!*user || !**user) {
		fprintf(stderr, "berth: login: no user name (-u USER)\n");
		return EXIT_FAILURE;
	}
	if (!a->password && a->password_stdin)
		a->password = read_line(stdin);
	else if (!a->password && tty)
		a->password = prompt("Password: ", true);
	else if (!a->password) {
		fprintf(stderr, "berth: login: no password (-p, --password-stdin, or a "
				"terminal to type it on)\n");
		return EXIT_FAILURE;
	}
	if (!a->password || !*a->password) {
		fprintf(stderr, "berth: login: an empty password\n");
		return EXIT_FAILURE;
	}
	return 0;
}

static int get_login(const char *host)
{
	struct berth_error err = { 0 };
	struct cred c;
	int r = cred_lookup(host, &c, &err);

	if (r < 0)
		return cli_fail(&err);
	if (r == 0) {
		fprintf(stderr, "berth: not logged in to %s\n", host);
		return EXIT_FAILURE;
	}
	printf("%s\n", c.user);
	cred_clear(&c);
	return 0;
}

static int check_and_store(const char *host, const char *user, const char *password,
			   const struct regconf_tls_flags *tls)
{
	struct berth_error err = { 0 };
	struct regconf conf;
	struct http_client *http = NULL;
	int ret = EXIT_FAILURE;

	if (registry_client_new(&conf, tls, &http, &err) < 0)
		return cli_fail(&err);
	if (registry_login(http, &conf, host, user, password, &err) == 0 &&
	    cred_store(host, user, password, &err) == 0)
		ret = 0;
	http_client_free(http);
	regconf_clear(&conf);
	if (ret)
		return cli_fail(&err);
	printf("Login Succeeded\n");
	return 0;
}

int cmd_login(int argc, char **argv)
{
	struct login_args a = { 0 };
	_cleanup_free_ char *host = NULL;
	char *user = NULL;
	int ret = parse_login(argc, argv, &a);

	if (ret)
		goto out;
	if (!(host = registry_arg(argc, argv))) {
		ret = cli_usage_error("login", "\"%s\" is no registry name (HOST[:PORT])",
				      argv[optind]);
		goto out;
	}
	if (a.get_login) {
		ret = get_login(host);
		goto out;
	}
	if (!(ret = ask(&a, &user)))
		ret = check_and_store(host, user, a.password, &a.tls);
out:
	free(user);
	wipe_free(a.password);
	return ret;
}

int cmd_logout(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "all", 'a', NULL, "Remove every registry's credentials from berth's auth file" },
		{ 0 },
	};
	struct berth_error err = { 0 };
	_cleanup_free_ char *host = NULL, *file = cred_auth_file();
	bool all = false;
	struct cred c;
	int r;

	while ((r = cli_getopt(argc, argv, "logout", "logout [--all] [REGISTRY]", opts)) != -1)
		all = all || r == 'a';
	if (argc - optind > (all ? 0 : 1))
		return cli_usage_error("logout",
				       all ? "--all takes no registry" : "expected one registry");
	if (all) {
		if ((r = cred_erase_all(&err)) < 0)
			return cli_fail(&err);
		printf(r ? "Removed %s\n" : "No credentials stored by berth login (%s)\n", file);
		return 0;
	}
	if (!(host = registry_arg(argc, argv)))
		return cli_usage_error("logout", "\"%s\" is no registry name (HOST[:PORT])",
				       argv[optind]);
	if ((r = cred_erase(host, &err)) < 0)
		return cli_fail(&err);
	if (r == 1) {
		printf("Removing login credentials for %s\n", host);
		return 0;
	}
	/* not berth's: say where they come from, which logout leaves alone */
	if ((r = cred_lookup(host, &c, &err)) < 0)
		return cli_fail(&err);
	if (r == 1) {
		fprintf(stderr,
			"berth: not logged in to %s by berth login: its credentials come from "
			"%s, which berth logout leaves alone\n",
			host, c.from);
		cred_clear(&c);
	} else {
		fprintf(stderr, "berth: not logged in to %s\n", host);
	}
	return EXIT_FAILURE;
}
