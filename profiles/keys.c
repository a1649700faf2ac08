// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keys.c: what a profile may say. The key table (profile_keys[], its
 * sections in the order profile_write_ini() writes them), the forms of
 * values (booleans, numbers, choices, shell-like words) and each value's
 * check (the parsers run uses for the key's flag, so a profile takes what
 * run takes), lookups in the table, the did-you-mean for a misspelt name,
 * and how a value from a file is shown in a message. It reads no file
 * and keeps no settings: that is parse.c and settings.c; stacks
 * (depends-on, ports, networks and volumes across sandboxes) are stack.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../netns/hostloop.h"
#include "../netns/ports.h"
#include "../runner/caps.h"
#include "../runner/mountspec.h"
#include "../objects/volume.h"
#include "../objects/network.h"
#include "../image/reference.h"
#include "../runner/secretspec.h"
#include "../lib/util.h"
#include "keys.h"

/* How much of a bad value an error message shows. */
#define SHOWN_MAX 80

/* ---- a value in a message ---- */

/* Text from a file, fit for a one-line message: control characters
 * become '?', and past max bytes it ends in "...". */
char *prof_clip(const char *s, size_t max)
{
	size_t n = strlen(s), keep = n > max ? max : n;
	char *out = xmalloc(keep + 4);

	for (size_t i = 0; i < keep; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + keep, n > keep ? "..." : "");
	return out;
}

/* A value or name as written, in a message. */
char *prof_shown(const char *s)
{
	return prof_clip(s, SHOWN_MAX);
}

/* ---- values ---- */

bool profile_bool(const char *value)
{
	return !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
	       !strcasecmp(value, "on") || !strcmp(value, "1");
}

bool prof_bool_valid(const char *v)
{
	return profile_bool(v) || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	       !strcasecmp(v, "off") || !strcmp(v, "0");
}

/* A decimal that the flag's own parser (strtol) takes whole. */
bool prof_uint_valid(const char *v)
{
	size_t n = strspn(v, "0123456789");
	return n > 0 && !v[n] && (n < 10 || (n == 10 && strcmp(v, "2147483647") <= 0));
}

bool prof_choice_valid(const char *choices, const char *v)
{
	size_t len = strlen(v);

	for (const char *c = choices; c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
		if (!strncmp(c, v, len) && (c[len] == '|' || c[len] == '\0'))
			return true;
	return false;
}

static int words_error(struct berth_error *err, const char *what, char **v, char *w)
{
	strv_free(v);
	free(w);
	return berth_error_set(err, EINVAL, "%s", what);
}

int profile_words(const char *value, char ***out, size_t *n, struct berth_error *err)
{
	char **v = xcalloc(1, sizeof(*v)), *w = xmalloc(strlen(value) + 1);
	const char *s = value;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		size_t wl = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && !isspace((unsigned char)*s)) {
			if (*s == '\'') {
				/* single quotes: everything literal */
				while (*++s && *s != '\'')
					w[wl++] = *s;
				if (!*s++)
					return words_error(err, "an unterminated ' quote", v, w);
			} else if (*s == '"') {
				/* double quotes: \" and \\ escape, other backslashes stay */
				while (*++s && *s != '"') {
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					w[wl++] = *s;
				}
				if (!*s++)
					return words_error(err, "an unterminated \" quote", v, w);
			} else if (*s == '\\') {
				if (!s[1])
					return words_error(err, "a backslash at the end", v, w);
				w[wl++] = s[1];
				s += 2;
			} else {
				w[wl++] = *s++;
			}
		}
		w[wl] = '\0';
		strv_push(&v, &count, w);
	}
	free(w);
	*out = v;
	*n = count;
	return 0;
}

/* ---- value checks: the parsers run uses, so a profile takes what run takes ---- */

static int expected(struct berth_error *err, const char *v, const char *what)
{
	_cleanup_free_ char *s = prof_shown(v);
	return berth_error_set(err, EINVAL, "expected %s (got \"%s\")", what, s);
}

/* Bind sources are looked up from here: a check only wants the form. */
const struct mountspec_env prof_check_env = { .cwd = "/", .home = "/" };

/* A mount parser's verdict on the form alone. A bind source that is not
 * there (yet) is run's business: run resolves relative sources from its
 * own directory and looks them up when the sandbox starts. The parsers
 * fail EINVAL on the form and with stat's errno on the source. */
static int mount_form(int r, struct mount_req *m, struct berth_error *err)
{
	mount_req_clear(m);
	if (r < 0 && err->errnum != EINVAL && err->errnum != 0) {
		berth_error_clear(err);
		return 0;
	}
	return r;
}

static int check_volume(const char *v, struct berth_error *err)
{
	struct mount_req m;
	return mount_form(mountspec_parse_volume(v, &prof_check_env, &m, err), &m, err);
}

static int check_mount(const char *v, struct berth_error *err)
{
	struct mount_req m;
	return mount_form(mountspec_parse_mount(v, &prof_check_env, &m, err), &m, err);
}

static int check_tmpfs(const char *v, struct berth_error *err)
{
	struct mount_req m;
	return mount_form(mountspec_parse_tmpfs(v, &m, err), &m, err);
}

/* --volumes-from CONTAINER[:ro|rw] */
static int check_volumes_from(const char *v, struct berth_error *err)
{
	const char *colon = strrchr(v, ':');
	size_t len = colon && (!strcmp(colon, ":ro") || !strcmp(colon, ":rw")) ? (size_t)(colon - v)
									       : strlen(v);

	if (len == 0 || strcspn(v, " \t/") < len || memchr(v, ':', len))
		return expected(err, v, "CONTAINER[:ro|rw]");
	return 0;
}

static int check_secret(const char *v, struct berth_error *err)
{
	struct secret_ref r;
	int ret = secretspec_parse(v, &r, err);

	secret_ref_clear(&r);
	return ret;
}

static int check_publish(const char *v, struct berth_error *err)
{
	struct port_map *m = NULL;
	size_t n = 0;
	int r = ports_parse(v, &m, &n, err);

	free(m);
	return r;
}

/* --host-loopback=PORTS, one list item */
static int check_hostloop_ports(const char *v, struct berth_error *err)
{
	struct hostloop h = { 0 };
	return hostloop_parse_ports(v, &h, err);
}

static int check_cap(const char *v, struct berth_error *err)
{
	uint64_t set;
	return caps_parse_one(v, &set, err);
}

static bool is_ip(const char *v)
{
	unsigned char a[16];
	return inet_pton(AF_INET, v, a) == 1 || inet_pton(AF_INET6, v, a) == 1;
}

static int check_ip(const char *v, struct berth_error *err)
{
	return is_ip(v) ? 0 : expected(err, v, "an IPv4 or IPv6 address");
}

/* --add-host NAME:IP (an IPv6 address has colons: the name ends at the
 * first), as cmd-run.c takes it */
static int check_add_host(const char *v, struct berth_error *err)
{
	const char *colon = strchr(v, ':');

	if (!colon || colon == v || !is_ip(colon + 1) || strpbrk(v, " \t\n#"))
		return expected(err, v, "NAME:IP");
	return 0;
}

/* --network: the modes run has, or a user network's name */
static int check_net_mode(const char *v, struct berth_error *err)
{
	static const char *const modes[] = { "slirp4netns", "none", "host", "bridge", "default" };

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(v, modes[i]))
			return 0;
	if (network_name_valid(v) && !network_name_reserved(v))
		return 0;
	return expected(err, v, "slirp4netns, none, host, bridge, default or a network's name");
}

static int check_alias(const char *v, struct berth_error *err)
{
	return network_name_valid(v) ? 0
				     : expected(err, v,
						"a name: letters, digits, '_', '.', '-' "
						"(at most 64)");
}

static int check_network_name(const char *v, struct berth_error *err)
{
	if (network_name_valid(v) && !network_name_reserved(v))
		return 0;
	return expected(err, v,
			"a network name: letters, digits, '_', '.', '-', not a built-in mode");
}

static int check_volume_name(const char *v, struct berth_error *err)
{
	return volume_name_valid(v)
		       ? 0
		       : expected(err, v, "a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
}

/* A sandbox of a stack: [NAME] and [NAME.SECTION], so no dot. */
bool prof_sandbox_name_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64 || !isalnum((unsigned char)v[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-')
			return false;
	return true;
}

static int check_sandbox_name(const char *v, struct berth_error *err)
{
	return prof_sandbox_name_valid(v) ? 0
					  : expected(err, v,
						     "a sandbox name: a letter or digit, then "
						     "letters, digits, '_', '-'");
}

static int check_image(const char *v, struct berth_error *err)
{
	char *norm = NULL;

	if (reference_normalize(v, &norm, err) < 0)
		return -1;
	free(norm);
	return 0;
}

static int check_abs_path(const char *v, struct berth_error *err)
{
	return v[0] == '/' ? 0 : expected(err, v, "an absolute path");
}

/* [security] seccomp: default, unconfined, or a JSON profile's path that
 * cannot be taken for either (run reads and checks the file) */
static int check_seccomp(const char *v, struct berth_error *err)
{
	if (!strcmp(v, "default") || !strcmp(v, "unconfined") || v[0] == '/' ||
	    !strncmp(v, "./", 2) || !strncmp(v, "../", 3))
		return 0;
	return expected(err, v,
			"default, unconfined or a JSON profile's path (absolute, or starting "
			"with ./ or ../)");
}

/* -u USER[:GROUP], names or numbers */
static int check_user(const char *v, struct berth_error *err)
{
	const char *colon = strchr(v, ':');

	if (colon == v || (colon && (!colon[1] || strchr(colon + 1, ':'))) || strpbrk(v, " \t"))
		return expected(err, v, "USER[:GROUP]");
	return 0;
}

/* what sethostname() takes */
static int check_hostname(const char *v, struct berth_error *err)
{
	return strlen(v) <= 64 ? 0 : expected(err, v, "a host name of at most 64 bytes");
}

/* --name, as cmd-run.c checks it */
static int check_ctr_name(const char *v, struct berth_error *err)
{
	return strlen(v) <= 128 && !strchr(v, '/') ? 0
						   : expected(err, v,
							      "a name of 1-128 characters, "
							      "no '/'");
}

static int check_signal(const char *v, struct berth_error *err)
{
	return signal_from_name(v) > 0 ? 0 : expected(err, v, "a signal (TERM, SIGINT, 15...)");
}

/* --memory: bytes, with k, m or g */
static int check_memory(const char *v, struct berth_error *err)
{
	size_t digits = strspn(v, "0123456789");
	const char *suffix = v + digits;

	if (digits == 0 || strspn(v, "0") == digits ||
	    (*suffix && (suffix[1] || !strchr("bkmgBKMG", *suffix))))
		return expected(err, v, "a size in bytes, with k, m or g (512m)");
	return 0;
}

/* --cpus: a positive decimal (1.5) */
static int check_cpus(const char *v, struct berth_error *err)
{
	size_t whole = strspn(v, "0123456789"), frac = 0;
	const char *p = v + whole;

	if (*p == '.')
		frac = strspn(++p, "0123456789");
	if (whole + frac == 0 || p[frac] || strspn(v, "0.") == strlen(v))
		return expected(err, v, "a positive number of CPUs (0.5, 2)");
	return 0;
}

/* docker's --ulimit names, as cmd-run.c has them */
static const char *const ulimit_names[] = {
	"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
	"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",	 "as",
};

/* SOFT or HARD: a number, -1 or unlimited (UINT64_MAX) */
static bool ulimit_value(const char *s, size_t len, uint64_t *out)
{
	if ((len == 2 && !strncmp(s, "-1", 2)) || (len == 9 && !strncmp(s, "unlimited", 9))) {
		*out = UINT64_MAX;
		return true;
	}
	if (len == 0 || len > 19 || strspn(s, "0123456789") < len)
		return false;
	*out = 0;
	for (size_t i = 0; i < len; i++)
		*out = *out * 10 + (uint64_t)(s[i] - '0');
	return true;
}

/* --ulimit NAME=SOFT[:HARD], soft <= hard */
static int check_ulimit(const char *v, struct berth_error *err)
{
	const char *eq = strchr(v, '='), *colon;
	uint64_t soft, hard;
	size_t i;

	if (!eq)
		return expected(err, v, "NAME=SOFT[:HARD]");
	for (i = 0; i < ARRAY_SIZE(ulimit_names); i++)
		if (strlen(ulimit_names[i]) == (size_t)(eq - v) &&
		    !strncmp(v, ulimit_names[i], (size_t)(eq - v)))
			break;
	if (i == ARRAY_SIZE(ulimit_names))
		return expected(err, v,
				"a limit nofile, nproc, core, stack, memlock, cpu, data, "
				"fsize, locks, msgqueue, nice, rss, rtprio, rttime, "
				"sigpending or as, then =SOFT[:HARD]");
	colon = strchr(eq + 1, ':');
	if (!ulimit_value(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), &soft) ||
	    !ulimit_value(colon ? colon + 1 : eq + 1, strlen(colon ? colon + 1 : eq + 1), &hard) ||
	    (hard != UINT64_MAX && soft > hard))
		return expected(err, v, "NAME=SOFT[:HARD]: numbers (or unlimited), soft <= hard");
	return 0;
}

/* ---- the key table ---- */

#define KEY(sec, nm, ty, fl, chk, hl)                                                              \
	{                                                                                          \
		.section = sec, .name = nm, .type = ty, .flag = fl, .check = chk, .help = hl       \
	}
#define CHOICE(sec, nm, ch, fl, hl)                                                                \
	{                                                                                          \
		.section = sec, .name = nm, .type = PROFILE_ENUM, .choices = ch, .flag = fl,       \
		.help = hl                                                                         \
	}

/* Sections in the order profile_write_ini() writes them. "" is before
 * any section; "NAME" and "stack" are a stack file's own: the keys a
 * sandbox's [NAME] takes besides [sandbox]'s, and [stack]. */
const struct profile_key profile_keys[] = {
	/* before any section, in a profile file */
	KEY("", "extends", PROFILE_STRING, NULL, NULL,
	    "The profile this one builds on, relative to this file: its settings come first, "
	    "this file's override them"),
	KEY("", "description", PROFILE_STRING, NULL, NULL,
	    "One line saying what the profile is for"),

	/* what runs, and as whom */
	KEY("sandbox", "image", PROFILE_STRING, NULL, check_image,
	    "The image the sandbox runs, a reference as run takes it"),
	KEY("sandbox", "command", PROFILE_WORDS, NULL, NULL,
	    "The command and its arguments, split like shell words, instead of the image's CMD"),
	KEY("sandbox", "entrypoint", PROFILE_WORDS, "--entrypoint", NULL,
	    "Replaces the image's ENTRYPOINT; empty means none, the command runs as given"),
	KEY("sandbox", "workdir", PROFILE_STRING, "-w", check_abs_path,
	    "The working directory inside, an absolute path"),
	KEY("sandbox", "user", PROFILE_STRING, "-u", check_user,
	    "USER[:GROUP], names or numbers, the command runs as inside"),
	KEY("sandbox", "hostname", PROFILE_STRING, "--hostname", check_hostname,
	    "The host name inside (default: the start of the container's ID)"),
	KEY("sandbox", "name", PROFILE_STRING, "--name", check_ctr_name,
	    "The container's name; one container at a time can have it"),
	KEY("sandbox", "init", PROFILE_BOOL, "--init", NULL,
	    "A tiny init is pid 1: it reaps orphans and forwards signals"),
	KEY("sandbox", "remove", PROFILE_BOOL, "--rm", NULL,
	    "The container is removed when it exits"),
	KEY("sandbox", "detach", PROFILE_BOOL, "-d", NULL,
	    "Runs in the background (and then always with init)"),
	KEY("sandbox", "interactive", PROFILE_BOOL, "-i", NULL, "Keeps the command's stdin open"),
	KEY("sandbox", "tty", PROFILE_BOOL, "-t", NULL, "Gives the command a terminal"),
	KEY("sandbox", "env-file", PROFILE_LIST, "--env-file", NULL,
	    "Files of KEY=VALUE lines, read before [environment]"),
	CHOICE("sandbox", "userns", "keep-id", "--userns",
	       "keep-id: your own uid inside, so bind-mounted files stay yours"),
	CHOICE("sandbox", "pull", "missing|always|never", "--pull",
	       "Whether the image is pulled first: when the store lacks it (missing, the "
	       "default), always, or never"),

	/* free-form: any name */
	KEY("environment", NULL, PROFILE_MAP, "-e", NULL,
	    "NAME = VALUE sets a variable for the command; an empty value sets it empty"),
	KEY("labels", NULL, PROFILE_MAP, "--label", NULL,
	    "NAME = VALUE labels the container, over the image's labels"),

	/* what the sandbox sees of the host's files: nothing unless listed */
	KEY("mounts", "volume", PROFILE_LINES, "-v", check_volume,
	    "[SOURCE:]TARGET[:OPTIONS], one per line: a named volume or a host path"),
	KEY("mounts", "mount", PROFILE_LINES, "--mount", check_mount,
	    "type=bind|volume|tmpfs,source=,target=[,readonly], one per line"),
	KEY("mounts", "tmpfs", PROFILE_LINES, "--tmpfs", check_tmpfs,
	    "PATH[:OPTIONS], one per line: a private tmpfs, noexec unless exec"),
	KEY("mounts", "volumes-from", PROFILE_LIST, "--volumes-from", check_volumes_from,
	    "CONTAINER[:ro|rw]: mounts what another container mounts"),

	/* references to the secret store, never values */
	KEY("secrets", "secret", PROFILE_LINES, "--secret", check_secret,
	    "NAME[,type=mount|env][,target=][,mode=][,uid=][,gid=], one per line: a stored "
	    "secret, by name"),

	/* networking: slirp4netns unless said otherwise */
	KEY("network", "mode", PROFILE_STRING, "--network", check_net_mode,
	    "slirp4netns (default), none, host, or a user network's name"),
	KEY("network", "aliases", PROFILE_LIST, "--network-alias", check_alias,
	    "More names the other sandboxes on its user network reach it by"),
	KEY("network", "host-loopback", PROFILE_BOOL, "--no-host-loopback", NULL,
	    "false: the host's 127.0.0.1 is out of reach (the flag is given when false)"),
	KEY("network", "host-loopback-ports", PROFILE_LIST, "--host-loopback", check_hostloop_ports,
	    "PORT[/udp] or A-B: the host's 127.0.0.1 on these ports only (through "
	    "host.docker.internal); cannot lift berth.conf's host-loopback = false"),
	KEY("network", "publish", PROFILE_LIST, "-p", check_publish,
	    "[[IP:][HOSTPORT]:]PORT[/udp]: publishes a port, on 127.0.0.1 unless an IP is given"),
	KEY("network", "publish-all", PROFILE_BOOL, "-P", NULL,
	    "Publishes every port the image exposes, on free host ports"),
	KEY("network", "dns", PROFILE_LIST, "--dns", check_ip,
	    "Nameservers for /etc/resolv.conf, IP addresses"),
	KEY("network", "add-host", PROFILE_LIST, "--add-host", check_add_host,
	    "NAME:IP lines for /etc/hosts"),

	/* confinement: berth's defaults (podman's capabilities, a docker-like
	 * seccomp filter, no_new_privs) unless changed here */
	KEY("security", "cap-add", PROFILE_LIST, "--cap-add", check_cap,
	    "Capabilities added to the default set (or ALL)"),
	KEY("security", "cap-drop", PROFILE_LIST, "--cap-drop", check_cap,
	    "Capabilities dropped from the default set (or ALL), before cap-add"),
	KEY("security", "seccomp", PROFILE_STRING, "--security-opt", check_seccomp,
	    "default keeps the syscall filter; unconfined turns it off; a path (absolute, or "
	    "./ or ../ from this file's directory) names a docker JSON profile to use instead"),
	KEY("security", "no-new-privileges", PROFILE_BOOL, "--security-opt", NULL,
	    "true (default): setuid binaries and file capabilities grant nothing"),
	KEY("security", "read-only", PROFILE_BOOL, "--read-only", NULL,
	    "The root filesystem is mounted read-only"),

	/* resources */
	KEY("limits", "pids", PROFILE_UINT, "--pids-limit", NULL,
	    "At most this many processes (needs a delegated cgroup v2)"),
	KEY("limits", "memory", PROFILE_STRING, "--memory", check_memory,
	    "At most this much memory, bytes with k, m or g (needs a delegated cgroup v2)"),
	KEY("limits", "cpus", PROFILE_STRING, "--cpus", check_cpus,
	    "At most this many CPUs' time, 0.5 or 2 (needs a delegated cgroup v2)"),
	KEY("limits", "ulimit", PROFILE_LIST, "--ulimit", check_ulimit,
	    "NAME=SOFT[:HARD] resource limits (nofile, nproc, ...)"),
	CHOICE("limits", "if-unsupported", "fail|warn", NULL,
	       "fail (default): a limit this machine cannot enforce stops the run; warn: runs "
	       "without it"),

	/* how stop ends it */
	KEY("stop", "signal", PROFILE_STRING, "--stop-signal", check_signal,
	    "The signal stop sends first (default the image's, else TERM)"),
	KEY("stop", "timeout", PROFILE_UINT, "--stop-timeout", NULL,
	    "Seconds stop waits before SIGKILL (default 10)"),

	/* a stack's [NAME], besides the [sandbox] keys */
	KEY("NAME", "extends", PROFILE_STRING, NULL, NULL,
	    "The profile the sandbox builds on, relative to the stack file"),
	KEY("NAME", "depends-on", PROFILE_LIST, NULL, check_sandbox_name,
	    "Sandboxes of this stack that start before this one"),

	/* a stack's [stack] */
	KEY("stack", "name", PROFILE_STRING, NULL, check_network_name,
	    "The stack's name (default: the file's name without .ini)"),
	KEY("stack", "networks", PROFILE_LIST, NULL, check_network_name,
	    "User networks up makes and down removes; sandboxes may only join these"),
	KEY("stack", "volumes", PROFILE_LIST, NULL, check_volume_name,
	    "Named volumes up makes and down keeps; sandboxes may only mount these by name"),
};
const size_t profile_n_keys = ARRAY_SIZE(profile_keys);

/* The one value that may be empty: it clears the image's entrypoint. */
bool prof_clears_when_empty(const struct profile_key *k)
{
	return !strcmp(k->section, "sandbox") && !strcmp(k->name, "entrypoint");
}

bool prof_stack_only_section(const char *section)
{
	return !strcmp(section, "NAME") || !strcmp(section, "stack");
}

/* The table's own string for a section, or NULL. */
const char *prof_table_section(const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++)
		if (!strcmp(profile_keys[i].section, name))
			return profile_keys[i].section;
	return NULL;
}

/* A section a profile has (and a stack's [NAME.SECTION]). */
bool prof_profile_section(const char *name)
{
	return *name && !prof_stack_only_section(name) && prof_table_section(name);
}

/* The key for name in section: a map section's entry takes any name. */
const struct profile_key *prof_key_in(const char *section, const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!strcmp(k->section, section) && (!k->name || !strcmp(k->name, name)))
			return k;
	}
	return NULL;
}

/* ---- did you mean ---- */

/* For unknown sections here, and for unknown keys, sandboxes and
 * depends-on names in profile.c and stack.c. */

/* Levenshtein with a swap of two neighbours as one edit ("wbe", "web"). */
static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[65][65];

	if (la > 64 || lb > 64)
		return UINT_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* Close enough to be a typo of candidate: one edit in a short name, two
 * in a longer one, or only the letter case. */
bool prof_typo_of(const char *name, const char *candidate)
{
	unsigned d = edit_distance(name, candidate);
	return !strcasecmp(name, candidate) || d <= (strlen(candidate) <= 4 ? 1U : 2U);
}

const char *prof_suggest_section(const char *name, bool stack)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const char *s = profile_keys[i].section;
		if ((prof_profile_section(s) || (stack && !strcmp(s, "stack"))) &&
		    prof_typo_of(name, s))
			return s;
	}
	return NULL;
}
