// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * profile.c: berth's INI profiles and stacks (profile.h): the key table,
 * reading with inih, each value checked by the parser run uses for its
 * flag, `extends` chains, stacks (dependency order; ports, networks and
 * volumes across sandboxes) and the resolved profile written back as INI.
 * It runs nothing and makes no run flags: that is runner/cmd-profile.c.
 *
 * The format as read here (docs/profiles.md says it for users):
 * - `KEY = VALUE`. inih also splits at ':', which would make
 *   `add-host: db:10.0.0.2` or a label "a:b" read two ways: here only '='
 *   separates. After a `[SECTION]` only a comment may follow.
 * - Comments: a line whose first non-blank is ';' or '#'; after a value, a
 *   ';' outside quotes that starts the value or follows a blank. '#' only
 *   starts whole lines: label values hold colours like #fff.
 * - An indented line under a key continues it (inih's multi-line values):
 *   one more item of a LIST or LINES key; any other key takes one line.
 *   A list key may leave its own line empty when items follow indented.
 * - Quotes: a value, or a list item, that starts with '"' ends at the next
 *   unescaped '"' (\" and \\ escape) and may then hold ';', ',', '#' and
 *   edge blanks. Elsewhere '"' and '\' are plain text. WORDS values
 *   (command, entrypoint) are kept as written and split like a shell's
 *   words by profile_words(); their quotes also hide ';' from comments.
 * - Empty values are refused, but for `entrypoint =` (none: the command
 *   runs as given) and map values (`FOO =` sets FOO to "").
 * - A scalar key or a map name twice in one file is an error naming both
 *   lines; a list key twice adds its items.
 * - Lines of any length: inih reads through a buffer of INI_MAX_LINE
 *   (200) bytes and cuts names at 50. The reader below hands inih at most
 *   a buffer's worth of each line and keeps the whole line; inih decides
 *   what a line is, the handler takes the name and value from the whole
 *   line. Each reader call is one line, so inih's line numbers are ours.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../netns/ports.h"
#include "../runner/caps.h"
#include "../runner/mountspec.h"
#include "../runner/network.h"
#include "../runner/reference.h"
#include "../runner/secretspec.h"
#include "../runner/util.h"
#include "profile.h"

/* A profile or stack is a few hundred lines; more is a mistake. */
#define PROFILE_MAX_BYTES (1024 * 1024)
/* How much of a bad value an error message shows. */
#define SHOWN_MAX 80

/* ---- small helpers ---- */

static void vec_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

static void vec_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static bool vec_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* Text from a file, fit for a one-line message: control characters
 * become '?', and past max bytes it ends in "...". */
static char *clipped(const char *s, size_t max)
{
	size_t n = strlen(s), keep = n > max ? max : n;
	char *out = xmalloc(keep + 4);

	for (size_t i = 0; i < keep; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + keep, n > keep ? "..." : "");
	return out;
}

/* A value or name as written, in a message. */
static char *shown(const char *s)
{
	return clipped(s, SHOWN_MAX);
}

static char *trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

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
static bool typo_of(const char *name, const char *candidate)
{
	unsigned d = edit_distance(name, candidate);
	return !strcasecmp(name, candidate) || d <= (strlen(candidate) <= 4 ? 1U : 2U);
}

/* ---- value checks: the parsers run uses, so a profile takes what run takes ---- */

static int expected(struct berth_error *err, const char *v, const char *what)
{
	_cleanup_free_ char *s = shown(v);
	return berth_error_set(err, EINVAL, "expected %s (got \"%s\")", what, s);
}

/* Bind sources are looked up from here: a check only wants the form. */
static const struct mountspec_env check_env = { .cwd = "/", .home = "/" };

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
	return mount_form(mountspec_parse_volume(v, &check_env, &m, err), &m, err);
}

static int check_mount(const char *v, struct berth_error *err)
{
	struct mount_req m;
	return mount_form(mountspec_parse_mount(v, &check_env, &m, err), &m, err);
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
static bool sandbox_name_valid(const char *v)
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
	return sandbox_name_valid(v) ? 0
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
	KEY("network", "publish", PROFILE_LIST, "-p", check_publish,
	    "[[IP:][HOSTPORT]:]PORT[/udp]: publishes a port, on 127.0.0.1 unless an IP is given"),
	KEY("network", "publish-all", PROFILE_BOOL, "-P", NULL,
	    "Publishes every port the image exposes, on free host ports"),
	KEY("network", "dns", PROFILE_LIST, "--dns", check_ip,
	    "Nameservers for /etc/resolv.conf, IP addresses"),
	KEY("network", "add-host", PROFILE_LIST, "--add-host", check_add_host,
	    "NAME:IP lines for /etc/hosts"),

	/* confinement: docker's defaults unless loosened here */
	KEY("security", "cap-add", PROFILE_LIST, "--cap-add", check_cap,
	    "Capabilities added to the default set (or ALL)"),
	KEY("security", "cap-drop", PROFILE_LIST, "--cap-drop", check_cap,
	    "Capabilities dropped from the default set (or ALL), before cap-add"),
	CHOICE("security", "seccomp", "default|unconfined", "--security-opt",
	       "default keeps the syscall filter; unconfined turns it off"),
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
static bool clears_when_empty(const struct profile_key *k)
{
	return !strcmp(k->section, "sandbox") && !strcmp(k->name, "entrypoint");
}

static bool stack_only_section(const char *section)
{
	return !strcmp(section, "NAME") || !strcmp(section, "stack");
}

/* The table's own string for a section, or NULL. */
static const char *table_section(const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++)
		if (!strcmp(profile_keys[i].section, name))
			return profile_keys[i].section;
	return NULL;
}

/* A section a profile has (and a stack's [NAME.SECTION]). */
static bool profile_section(const char *name)
{
	return *name && !stack_only_section(name) && table_section(name);
}

/* The key for name in section: a map section's entry takes any name. */
static const struct profile_key *key_in(const char *section, const char *name)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!strcmp(k->section, section) && (!k->name || !strcmp(k->name, name)))
			return k;
	}
	return NULL;
}

static const char *suggest_section(const char *name, bool stack)
{
	for (size_t i = 0; i < profile_n_keys; i++) {
		const char *s = profile_keys[i].section;
		if ((profile_section(s) || (stack && !strcmp(s, "stack"))) && typo_of(name, s))
			return s;
	}
	return NULL;
}

/* ---- settings ---- */

static void setting_add(struct profile *p, const struct profile_key *k, const char *name,
			const char *value, const char *file, unsigned line)
{
	struct profile_setting *s;

	p->set = xrealloc(p->set, (p->n + 1) * sizeof(*p->set));
	s = &p->set[p->n++];
	s->key = k;
	s->name = name ? xstrdup(name) : NULL;
	s->value = xstrdup(value);
	s->file = xstrdup(file);
	s->line = line;
}

static void setting_clear(struct profile_setting *s)
{
	free(s->name);
	free(s->value);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		setting_clear(&p->set[i]);
	free(p->set);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

static bool is_key(const struct profile_key *k, const char *section, const char *name)
{
	return !strcmp(k->section, section) && k->name && !strcmp(k->name, name);
}

/* The last setting of a key. */
static const struct profile_setting *setting_get(const struct profile *p, const char *section,
						 const char *name)
{
	for (size_t i = p->n; i-- > 0;)
		if (is_key(p->set[i].key, section, name))
			return &p->set[i];
	return NULL;
}

const char *profile_get(const struct profile *p, const char *section, const char *name)
{
	const struct profile_setting *s = setting_get(p, section, name);
	return s ? s->value : NULL;
}

/* Move src's settings to the end of dst, but for extends and a stack's
 * own keys, which are applied rather than kept. */
static void settings_take(struct profile *dst, struct profile *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct profile_setting *s = &src->set[i];
		if (is_key(s->key, "", "extends") || !strcmp(s->key->section, "NAME")) {
			setting_clear(s);
			continue;
		}
		dst->set = xrealloc(dst->set, (dst->n + 1) * sizeof(*dst->set));
		dst->set[dst->n++] = *s;
	}
	free(src->set);
	src->set = NULL;
	src->n = 0;
}

static bool same_slot(const struct profile_setting *a, const struct profile_setting *b)
{
	return a->key == b->key && (a->key->type != PROFILE_MAP || !strcmp(a->name, b->name));
}

/* The base's settings came first: a later scalar or map name wins, list
 * items all stay, in order. */
static void resolve(struct profile *p)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		bool overridden = false;
		if (p->set[i].key->type != PROFILE_LIST && p->set[i].key->type != PROFILE_LINES)
			for (size_t j = i + 1; j < p->n && !overridden; j++)
				overridden = same_slot(&p->set[i], &p->set[j]);
		if (overridden)
			setting_clear(&p->set[i]);
		else
			p->set[o++] = p->set[i];
	}
	p->n = o;
}

/* ---- values ---- */

bool profile_bool(const char *value)
{
	return !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
	       !strcasecmp(value, "on") || !strcmp(value, "1");
}

static bool bool_valid(const char *v)
{
	return profile_bool(v) || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	       !strcasecmp(v, "off") || !strcmp(v, "0");
}

/* A decimal that the flag's own parser (strtol) takes whole. */
static bool uint_valid(const char *v)
{
	size_t n = strspn(v, "0123456789");
	return n > 0 && !v[n] && (n < 10 || (n == 10 && strcmp(v, "2147483647") <= 0));
}

static bool choice_valid(const char *choices, const char *v)
{
	size_t len = strlen(v);

	for (const char *c = choices; c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
		if (!strncmp(c, v, len) && (c[len] == '|' || c[len] == '\0'))
			return true;
	return false;
}

static int words_error(struct berth_error *err, const char *what, char **v, char *w)
{
	vec_free(v);
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
		vec_push(&v, &count, w);
	}
	free(w);
	*out = v;
	*n = count;
	return 0;
}

/* Where a WORDS value ends: before an inline comment (a ';' at its start
 * or after an unquoted, unescaped blank) and its trailing blanks. Quotes
 * and backslashes as in profile_words(). */
static size_t words_span(const char *s)
{
	size_t end = 0, i = 0;
	bool blank_before = true;

	while (s[i]) {
		char c = s[i];
		if (c == ';' && blank_before)
			break;
		if (isspace((unsigned char)c)) {
			blank_before = true;
			i++;
			continue;
		}
		blank_before = false;
		if (c == '\\' && s[i + 1]) {
			i += 2;
		} else if (c == '\'' || c == '"') {
			i++;
			while (s[i] && s[i] != c) {
				if (c == '"' && s[i] == '\\' && s[i + 1])
					i++;
				i++;
			}
			if (s[i])
				i++;
		} else {
			i++;
		}
		end = i;
	}
	return end;
}

/* A comment starts at a ';' at the value's start or after a blank. */
static bool comment_at(const char *p, const char *start)
{
	return *p == ';' && (p == start || isspace((unsigned char)p[-1]));
}

/* One quoted item at *sp (on its '"'): unescaped into a new string, or
 * NULL when the quote does not end. */
static char *quoted_item(const char **sp)
{
	const char *s = *sp + 1;
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;

	while (*s && *s != '"') {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		out[n++] = *s++;
	}
	if (!*s) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*sp = s + 1;
	return out;
}

/* The items of a value: split at commas for a list, else one. Stops at
 * an inline comment. No items: the value is empty. */
static int split_items(const char *start, bool list, char ***items, size_t *n, const char **why)
{
	const char *s = start;

	*items = NULL;
	*n = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s || comment_at(s, start))
		return 0;
	for (;;) {
		char *item;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '"') {
			if (!(item = quoted_item(&s))) {
				*why = "an unterminated \" quote";
				break;
			}
			while (isspace((unsigned char)*s))
				s++;
			if (*s && *s != ';' && !(list && *s == ',')) {
				free(item);
				*why = "text after the closing quote";
				break;
			}
		} else {
			const char *b = s;
			while (*s && !(list && *s == ',') && !comment_at(s, start))
				s++;
			item = trimmed(b, (size_t)(s - b));
		}
		vec_push(items, n, item);
		free(item);
		if (!list || *s != ',')
			return 0;
		s++;
	}
	vec_free(*items);
	*items = NULL;
	*n = 0;
	return -1;
}

/* ---- reading one file ---- */

/* A sandbox of a stack file, as its sections come. */
struct draft_sb {
	char *name;
	unsigned head_line;  /* its [NAME]; 0 while only [NAME.SECTION] came */
	unsigned first_line; /* its first section */
	struct profile prof; /* its settings in this file, extends and depends-on too */
};

struct parser {
	const char *file, *text, *pos;
	bool stack, allow_extends;
	unsigned line;
	char *raw; /* the line the reader gave last, whole, without its BOM */
	size_t raw_cap;
	int buf_len;	  /* inih's line buffer */
	char *section;	  /* as written; NULL before the first */
	const char *kind; /* the table section its keys are from; NULL: none */
	bool head;	  /* a stack's [NAME]: extends and depends-on too */
	bool bad_header;  /* a [ without ], which inih reports */
	size_t sb;	  /* a stack's sandbox the section is of, or SIZE_MAX */
	bool have_prev;	  /* inih's prev_name is set: indented lines continue */
	const struct profile_key *prev_key;
	char *prev_name;
	/* a list key whose own line was empty: its items must follow */
	const struct profile_key *pending;
	unsigned pending_line;
	struct profile top; /* a profile's settings, or a stack's [stack] */
	struct draft_sb *sbs;
	size_t n_sb;
	struct berth_error err;
	unsigned err_line;
};

static void parser_clear(struct parser *p)
{
	free(p->raw);
	free(p->section);
	free(p->prev_name);
	profile_free(&p->top);
	for (size_t i = 0; i < p->n_sb; i++) {
		free(p->sbs[i].name);
		profile_free(&p->sbs[i].prof);
	}
	free(p->sbs);
	berth_error_clear(&p->err);
	memset(p, 0, sizeof(*p));
}

/* The first error wins: "FILE:LINE: what". */
_printf_(3, 4) static void fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (p->err.msg)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	berth_error_set(&p->err, 0, "%s:%u: %s", p->file, line, msg);
	p->err_line = line;
}

/* "FILE:LINE: [section] key: what" */
_printf_(5, 6) static void fail_key(struct parser *p, unsigned line, const struct profile_key *k,
				    const char *mapname, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *sec = p->section ? shown(p->section) : NULL;
	_cleanup_free_ char *name = shown(k->name ? k->name : mapname ? mapname : "");
	va_list ap;

	if (p->err.msg)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (sec)
		fail(p, line, "[%s] %s: %s", sec, name, msg);
	else
		fail(p, line, "%s: %s", name, msg);
}

static struct profile *current(struct parser *p)
{
	return p->sb == SIZE_MAX ? &p->top : &p->sbs[p->sb].prof;
}

static void flush_pending(struct parser *p)
{
	if (!p->pending)
		return;
	fail_key(p, p->pending_line, p->pending, NULL,
		 "no value (items go after '=' or on the indented lines below)");
	p->pending = NULL;
}

static size_t sandbox_index(struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->n_sb; i++)
		if (!strcmp(p->sbs[i].name, name))
			return i;
	p->sbs = xrealloc(p->sbs, (p->n_sb + 1) * sizeof(*p->sbs));
	p->sbs[p->n_sb] = (struct draft_sb){ .name = xstrdup(name), .first_line = p->line };
	return p->n_sb++;
}

/* A stack's [stack], [NAME] or [NAME.SECTION]. */
static void stack_section(struct parser *p)
{
	const char *dot = strchr(p->section, '.');
	_cleanup_free_ char *name =
		dot ? xstrndup(p->section, (size_t)(dot - p->section)) : xstrdup(p->section);
	_cleanup_free_ char *sec = shown(p->section);

	if (!strcmp(p->section, "stack")) {
		p->kind = table_section("stack");
		return;
	}
	if (!sandbox_name_valid(name)) {
		const char *hint = suggest_section(p->section, true);
		if (hint) {
			fail(p, p->line, "[%s]: unknown section (did you mean [%s]?)", sec, hint);
			return;
		}
		fail(p, p->line,
		     "[%s]: a sandbox is [NAME] or [NAME.SECTION], NAME a letter or digit, "
		     "then letters, digits, '_', '-' (at most 64)",
		     sec);
		return;
	}
	if (!strcmp(name, "stack")) {
		fail(p, p->line, "[%s]: \"stack\" is the stack's own section, not a sandbox", sec);
		return;
	}
	if (dot) {
		const char *kind = table_section(dot + 1);
		if (!kind || !profile_section(kind) || !strcmp(kind, "sandbox")) {
			const char *hint = suggest_section(dot + 1, false);
			if (kind && !strcmp(kind, "sandbox")) {
				fail(p, p->line, "[%s]: the sandbox keys go in [%s]", sec, name);
				return;
			}
			if (hint && strcmp(hint, "sandbox")) {
				fail(p, p->line, "[%s]: unknown section (did you mean [%s.%s]?)",
				     sec, name, hint);
				return;
			}
			fail(p, p->line, "[%s]: unknown section", sec);
			return;
		}
		p->kind = kind;
	} else {
		p->kind = table_section("sandbox");
		p->head = true;
	}
	p->sb = sandbox_index(p, name);
	if (!dot && !p->sbs[p->sb].head_line)
		p->sbs[p->sb].head_line = p->line;
}

/* s: the line from its '['. inih takes it as a section when it has a
 * ']' before an inline comment; anything else is its syntax error. */
static void enter_section(struct parser *p, const char *s)
{
	const char *close = strchr(s, ']'), *rest;

	free(p->section);
	free(p->prev_name);
	p->section = p->prev_name = NULL;
	p->kind = NULL;
	p->head = p->bad_header = false;
	p->sb = SIZE_MAX;
	p->have_prev = false;
	p->prev_key = NULL;
	if (!close) {
		p->bad_header = true;
		return;
	}
	p->section = xstrndup(s + 1, (size_t)(close - s - 1));
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		_cleanup_free_ char *sec = shown(p->section);
		fail(p, p->line, "[%s]: text after the ']'", sec);
		return;
	}
	if (p->stack) {
		stack_section(p);
		return;
	}
	if (profile_section(p->section)) {
		p->kind = table_section(p->section);
		return;
	}
	_cleanup_free_ char *sec = shown(p->section);
	const char *hint = suggest_section(p->section, false);
	if (hint) {
		fail(p, p->line, "[%s]: unknown section (did you mean [%s]?)", sec, hint);
		return;
	}
	if (!strcmp(p->section, "stack") || strchr(p->section, '.')) {
		fail(p, p->line, "[%s]: a stack's section, not a profile's", sec);
		return;
	}
	fail(p, p->line, "[%s]: unknown section", sec);
}

/* Called by inih once per line, before the handler for that line. */
static char *reader(char *buf, int num, void *stream)
{
	struct parser *p = stream;
	const char *start = p->pos, *nl;
	size_t len, give;

	if (num < 3) /* inih's buffer is INI_MAX_LINE */
		abort();
	if (p->err.msg || !*start)
		return NULL;
	nl = strchr(start, '\n');
	len = nl ? (size_t)(nl - start) : strlen(start);
	p->pos = nl ? nl + 1 : start + len;
	p->line++;
	p->buf_len = num;
	give = len < (size_t)num - 2 ? len : (size_t)num - 2;
	memcpy(buf, start, give);
	buf[give] = '\n';
	buf[give + 1] = '\0';
	if (p->line == 1 && len >= 3 && !memcmp(start, "\xef\xbb\xbf", 3))
		start += 3, len -= 3;
	if (len + 1 > p->raw_cap) {
		p->raw_cap = len + 1;
		p->raw = xrealloc(p->raw, p->raw_cap);
	}
	memcpy(p->raw, start, len);
	p->raw[len] = '\0';

	/* a section line, as inih sees it: not a comment, not a continuation */
	const char *s = p->raw;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[' && !(s > p->raw && p->have_prev)) {
		flush_pending(p);
		enter_section(p, s);
	}
	return buf;
}

/* A value whose check failed: the check's message says what it wanted. */
static void fail_check(struct parser *p, const struct profile_key *k, const char *mapname,
		       struct berth_error *e)
{
	_cleanup_free_ char *t =
		e->errnum && e->errnum != EINVAL ? berth_error_text(e) : xstrdup(e->msg);
	_cleanup_free_ char *s = clipped(t, SIZE_MAX);

	berth_error_clear(e);
	fail_key(p, p->line, k, mapname, "%s", s);
}

static bool value_ok(struct parser *p, const struct profile_key *k, const char *mapname,
		     const char *v)
{
	_cleanup_free_ char *sv = shown(v);
	struct berth_error e = { 0 };
	const char *what = NULL;

	switch (k->type) {
	case PROFILE_BOOL:
		if (!bool_valid(v))
			what = "true or false (yes/no, on/off, 1/0)";
		break;
	case PROFILE_UINT:
		if (!uint_valid(v))
			what = "a decimal number";
		break;
	case PROFILE_ENUM:
		if (!choice_valid(k->choices, v)) {
			fail_key(p, p->line, k, mapname, "expected one of %s (got \"%s\")",
				 k->choices, sv);
			return false;
		}
		break;
	default: break;
	}
	if (what) {
		fail_key(p, p->line, k, mapname, "expected %s (got \"%s\")", what, sv);
		return false;
	}
	if (k->check && k->check(v, &e) < 0) {
		fail_check(p, k, mapname, &e);
		return false;
	}
	return true;
}

/* A scalar or a map name: once per file. */
static void store_once(struct parser *p, const struct profile_key *k, const char *mapname,
		       const char *v)
{
	struct profile *prof = current(p);
	struct profile_setting probe = { .key = k, .name = (char *)mapname };

	for (size_t i = 0; i < prof->n; i++)
		if (same_slot(&prof->set[i], &probe)) {
			fail_key(p, p->line, k, mapname, "set again (first on line %u)",
				 prof->set[i].line);
			return;
		}
	setting_add(prof, k, mapname, v, p->file, p->line);
}

static void add_words(struct parser *p, const struct profile_key *k, const char *s)
{
	_cleanup_free_ char *v = xstrndup(s, words_span(s));
	struct berth_error e = { 0 };
	char **w = NULL;
	size_t n;

	if (!*v && !clears_when_empty(k)) {
		fail_key(p, p->line, k, NULL, "no value");
		return;
	}
	if (*v && profile_words(v, &w, &n, &e) < 0) {
		_cleanup_free_ char *sv = shown(v);
		fail_key(p, p->line, k, NULL, "%s (got \"%s\")", e.msg, sv);
		berth_error_clear(&e);
		return;
	}
	vec_free(w);
	store_once(p, k, NULL, v);
}

static void add_values(struct parser *p, const struct profile_key *k, const char *mapname,
		       const char *s, bool continued)
{
	bool list = k->type == PROFILE_LIST, many = list || k->type == PROFILE_LINES;
	const char *why = NULL;
	char **items;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	if (k->type == PROFILE_WORDS) {
		add_words(p, k, s);
		return;
	}
	if (split_items(s, list, &items, &n, &why) < 0) {
		_cleanup_free_ char *sv = shown(s);
		fail_key(p, p->line, k, mapname, "%s (got \"%s\")", why, sv);
		return;
	}
	if (n == 0 && many && !continued) {
		p->pending = k;
		p->pending_line = p->line;
	} else if (n == 0 && k->type != PROFILE_MAP) {
		fail_key(p, p->line, k, mapname, "no value");
	} else if (!many) {
		const char *v = n ? items[0] : "";
		if ((*v || k->type == PROFILE_MAP) && value_ok(p, k, mapname, v))
			store_once(p, k, k->name ? NULL : mapname, v);
		else if (!*v)
			fail_key(p, p->line, k, mapname, "no value");
	} else {
		for (size_t i = 0; i < n && !p->err.msg; i++) {
			if (!*items[i])
				fail_key(p, p->line, k, mapname, "an empty item");
			else if (value_ok(p, k, mapname, items[i]))
				setting_add(current(p), k, NULL, items[i], p->file, p->line);
		}
	}
	vec_free(items);
}

/* Why a map name cannot be one, or NULL. */
static const char *map_name_problem(const char *n)
{
	for (const char *c = n; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return "a name has no blanks or control characters";
	return NULL;
}

static void unknown_key(struct parser *p, const char *kind, const char *name)
{
	_cleanup_free_ char *sn = shown(name), *sec = p->section ? shown(p->section) : NULL;
	_cleanup_free_ char *where = sec ? xasprintf("[%s] %s", sec, sn) : xstrdup(sn);

	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		bool here = !strcmp(k->section, kind) || (p->head && !strcmp(k->section, "NAME"));
		if (here && k->name && typo_of(name, k->name)) {
			fail(p, p->line, "%s: unknown key (did you mean \"%s\"?)", where, k->name);
			return;
		}
	}
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		if (!k->name || strcmp(k->name, name) || !profile_section(k->section))
			continue;
		if (p->sb != SIZE_MAX) {
			fail(p, p->line, "%s: unknown key (it goes in [%s.%s])", where,
			     p->sbs[p->sb].name, k->section);
			return;
		}
		fail(p, p->line, "%s: unknown key (it goes in [%s])", where, k->section);
		return;
	}
	if (!p->stack && *kind && key_in("", name)) {
		fail(p, p->line, "%s: unknown key (it goes before the first section)", where);
		return;
	}
	fail(p, p->line, "%s: unknown key", where);
}

static void key_line(struct parser *p, bool inih_named)
{
	const char *eq = strchr(p->raw, '=');
	const struct profile_key *k;
	_cleanup_free_ char *name = NULL;

	flush_pending(p);
	if (p->err.msg)
		return;
	if (!p->kind && p->bad_header)
		return; /* inih reported the header */
	if (!p->kind) {
		_cleanup_free_ char *sl = shown(p->raw);
		fail(p, p->line,
		     "\"%s\": a stack's keys go in a section ([stack], [NAME], "
		     "[NAME.SECTION])",
		     sl);
		return;
	}
	if (!eq) {
		_cleanup_free_ char *sl = shown(p->raw);
		fail(p, p->line, "expected KEY = VALUE (got \"%s\"): ':' does not separate", sl);
		return;
	}
	name = trimmed(p->raw, (size_t)(eq - p->raw));
	if (!*name) {
		fail(p, p->line, "expected KEY = VALUE: no key before the '='");
		return;
	}
	k = key_in(p->kind, name);
	if (!k && p->head)
		k = key_in("NAME", name);
	if (!k) {
		unknown_key(p, p->kind, name);
		return;
	}
	if (!k->name && map_name_problem(name)) {
		fail_key(p, p->line, k, name, "%s", map_name_problem(name));
		return;
	}
	if (!p->allow_extends && k->name && !strcmp(k->name, "extends")) {
		fail_key(p, p->line, k, NULL,
			 "only a profile or stack loaded from a file can extend one");
		return;
	}
	p->have_prev = inih_named;
	p->prev_key = k;
	free(p->prev_name);
	p->prev_name = steal_pointer(&name);
	add_values(p, k, p->prev_name, eq + 1, false);
}

static void continued_line(struct parser *p)
{
	const struct profile_key *k = p->prev_key;

	if (p->pending == k)
		p->pending = NULL;
	if (k->type != PROFILE_LIST && k->type != PROFILE_LINES) {
		fail_key(p, p->line, k, p->prev_name,
			 "takes one line (an indented line continues the key above it)");
		return;
	}
	add_values(p, k, p->prev_name, p->raw, true);
}

/* The names and values come from the whole line (p->raw): inih's copies
 * are cut at its buffer sizes. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;

	(void)section;
	(void)value;
	if (p->err.msg)
		return 1;
	if (p->have_prev && p->prev_key && isspace((unsigned char)p->raw[0]))
		continued_line(p);
	else
		key_line(p, *name != '\0');
	return p->err.msg ? 0 : 1;
}

/* inih's own error: a line that is no key, section or comment. */
static void syntax_error(struct parser *p, unsigned line)
{
	const char *s = p->text;
	_cleanup_free_ char *text = NULL, *sl = NULL;

	for (unsigned i = 1; i < line && strchr(s, '\n'); i++)
		s = strchr(s, '\n') + 1;
	if (line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	text = trimmed(s, strcspn(s, "\n"));
	sl = shown(text);
	berth_error_clear(&p->err);
	if (text[0] == '[')
		fail(p, line, "expected [SECTION] (got \"%s\")", sl);
	else if (strchr(text, '=') && strchr(text, '=') - text >= p->buf_len - 2)
		fail(p, line, "a key longer than %d characters", p->buf_len - 3);
	else
		fail(p, line, "expected KEY = VALUE, [SECTION] or a comment (got \"%s\")", sl);
}

/* After a stack file's last line: every sandbox has its [NAME]. */
static void stack_file_checks(struct parser *p)
{
	if (p->n_sb == 0) {
		fail(p, p->line ? p->line : 1,
		     "no sandbox (a stack has [NAME] sections, one per sandbox)");
		return;
	}
	for (size_t i = 0; i < p->n_sb && !p->err.msg; i++) {
		const struct draft_sb *d = &p->sbs[i];
		const char *hint = NULL;
		if (d->head_line)
			continue;
		for (size_t j = 0; j < p->n_sb; j++)
			if (p->sbs[j].head_line && typo_of(d->name, p->sbs[j].name))
				hint = p->sbs[j].name;
		if (hint)
			fail(p, d->first_line, "[%s.*]: no [%s] section (did you mean [%s]?)",
			     d->name, d->name, hint);
		else
			fail(p, d->first_line, "[%s.*]: no [%s] section declares that sandbox",
			     d->name, d->name);
	}
}

/* Parse text into p (cleared when it fails). */
static int parse_text(struct parser *p, const char *text, const char *file, bool stack,
		      bool allow_extends, struct berth_error *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->file = file;
	p->text = p->pos = text;
	p->stack = stack;
	p->allow_extends = allow_extends;
	p->sb = SIZE_MAX;
	p->buf_len = 200;
	if (!stack)
		p->kind = table_section("");
	rc = ini_parse_stream(reader, p, handler, p);
	flush_pending(p);
	if (rc > 0 && (!p->err.msg || (unsigned)rc < p->err_line))
		syntax_error(p, (unsigned)rc);
	else if (rc < 0)
		berth_error_set(err, ENOMEM, "%s: inih", file);
	if (!p->err.msg && !err->msg && stack)
		stack_file_checks(p);
	if (p->err.msg || err->msg) {
		if (!err->msg) {
			err->msg = steal_pointer(&p->err.msg);
			err->errnum = p->err.errnum;
		}
		parser_clear(p);
		return -1;
	}
	return 0;
}

/* ---- files and extends ---- */

/* The files of an extends chain, to find a loop. */
struct chain {
	struct chain_link {
		dev_t dev;
		ino_t ino;
		char *path;
	} * v;
	size_t n;
};

static void chain_push(struct chain *ch, const struct stat *st, const char *path)
{
	ch->v = xrealloc(ch->v, (ch->n + 1) * sizeof(*ch->v));
	ch->v[ch->n++] = (struct chain_link){ st->st_dev, st->st_ino, xstrdup(path) };
}

static void chain_pop(struct chain *ch)
{
	free(ch->v[--ch->n].path);
}

static void chain_clear(struct chain *ch)
{
	while (ch->n)
		chain_pop(ch);
	free(ch->v);
	ch->v = NULL;
}

/* A profile or stack file, whole. what names it in errors. Symlinks are
 * followed: these are the user's own files, often linked from dotfiles. */
static int read_text(const char *path, const char *what, char **text, struct stat *st,
		     struct berth_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct berth_error e = { 0 };
	size_t len;

	if (fd < 0 || fstat(fd, st) < 0)
		return berth_error_set(err, errno, "%s", what);
	if (S_ISDIR(st->st_mode))
		return berth_error_set(err, EISDIR, "%s", what);
	if (!S_ISREG(st->st_mode))
		return berth_error_set(err, 0, "%s: not a regular file", what);
	if (read_fd_all(fd, PROFILE_MAX_BYTES, text, &len, &e) < 0) {
		berth_error_set(err, e.errnum, "%s: %s", what, e.msg);
		berth_error_clear(&e);
		return -1;
	}
	if (strlen(*text) != len) {
		free(*text);
		*text = NULL;
		return berth_error_set(err, 0, "%s: a NUL byte: not a text file", what);
	}
	return 0;
}

/* value relative to the directory of file */
static char *relative_to(const char *file, const char *value)
{
	const char *slash = strrchr(file, '/');

	if (value[0] == '/' || !slash)
		return xstrdup(value);
	return xasprintf("%.*s/%s", (int)(slash - file), file, value);
}

static int load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
		      struct profile *acc, struct berth_error *err);

/* The base that from (an extends setting) names, its chain first. */
static int load_base(const struct profile_setting *from, struct chain *ch, struct profile *acc,
		     struct berth_error *err)
{
	_cleanup_free_ char *base = relative_to(from->file, from->value);
	return load_chain(base, from, ch, acc, err);
}

/* path's settings after those of its extends chain, into acc. from: the
 * extends setting naming it, NULL for the top. */
static int load_chain(const char *path, const struct profile_setting *from, struct chain *ch,
		      struct profile *acc, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL, *what = NULL;
	const struct profile_setting *ext;
	struct parser p;
	struct stat st;

	what = from ? xasprintf("%s:%u: extends: %s", from->file, from->line, from->value)
		    : xstrdup(path);
	if (read_text(path, what, &text, &st, err) < 0)
		return -1;
	for (size_t i = 0; i < ch->n; i++) {
		if (ch->v[i].dev != st.st_dev || ch->v[i].ino != st.st_ino)
			continue;
		_cleanup_free_ char *loop = xstrdup("");
		for (size_t j = i; j < ch->n; j++) {
			char *l = xasprintf("%s%s -> ", loop, ch->v[j].path);
			free(loop);
			loop = l;
		}
		return berth_error_set(err, 0, "%s:%u: extends: a loop: %s%s",
				       from ? from->file : path, from ? from->line : 0, loop, path);
	}
	if (parse_text(&p, text, path, false, true, err) < 0)
		return -1;
	ext = setting_get(&p.top, "", "extends");
	if (ext) {
		chain_push(ch, &st, path);
		int r = load_base(ext, ch, acc, err);
		chain_pop(ch);
		if (r < 0) {
			parser_clear(&p);
			return -1;
		}
	}
	settings_take(acc, &p.top);
	parser_clear(&p);
	return 0;
}

static bool regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path as given; a bare name on ./, the user's profiles, the system's. */
static char *find_profile(const char *name, struct berth_error *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	_cleanup_free_ char *user = NULL;
	const char *dirs[3];
	size_t nd = 0;

	if (strchr(name, '/') || str_has_suffix(name, ".ini"))
		return xstrdup(name);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return berth_error_set(err, 0, "profile \"%s\": not a name", name), NULL;
	/* XDG: a relative XDG_CONFIG_HOME is to be ignored */
	if (xdg && xdg[0] == '/')
		user = xasprintf("%s/berth/profiles", xdg);
	else if (home && home[0] == '/')
		user = xasprintf("%s/.config/berth/profiles", home);
	dirs[nd++] = ".";
	if (user)
		dirs[nd++] = user;
	dirs[nd++] = "/etc/berth/profiles";
	for (size_t i = 0; i < nd; i++)
		for (int ini = 0; ini < 2; ini++) {
			char *path =
				i == 0 ? xasprintf("%s%s", name, ini ? ".ini" : "")
				       : xasprintf("%s/%s%s", dirs[i], name, ini ? ".ini" : "");
			if (regular_file(path))
				return path;
			free(path);
		}
	berth_error_set(err, ENOENT,
			"profile %s: not in ./, %s%s/etc/berth/profiles (as %s or %s.ini)", name,
			user ? user : "", user ? ", " : "", name, name);
	return NULL;
}

int profile_load(const char *name, struct profile *out, struct berth_error *err)
{
	_cleanup_free_ char *path = find_profile(name, err);
	struct profile acc = { 0 };
	struct chain ch = { 0 };
	int r;

	if (!path)
		return -1;
	r = load_chain(path, NULL, &ch, &acc, err);
	chain_clear(&ch);
	if (r < 0) {
		profile_free(&acc);
		return -1;
	}
	resolve(&acc);
	acc.file = steal_pointer(&path);
	*out = acc;
	return 0;
}

int profile_parse_text(const char *text, const char *file, struct profile *out,
		       struct berth_error *err)
{
	struct profile acc = { 0 };
	struct parser p;

	if (parse_text(&p, text, file, false, false, err) < 0)
		return -1;
	settings_take(&acc, &p.top);
	parser_clear(&p);
	resolve(&acc);
	acc.file = xstrdup(file);
	*out = acc;
	return 0;
}

/* ---- writing ---- */

static bool needs_quotes(const char *v, bool list)
{
	size_t n = strlen(v);

	return n == 0 || v[0] == '"' || v[0] == '#' || isspace((unsigned char)v[0]) ||
	       isspace((unsigned char)v[n - 1]) || strchr(v, ';') || (list && strchr(v, ','));
}

static void write_item(FILE *out, const char *v, bool list)
{
	if (!needs_quotes(v, list)) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\')
			fputc('\\', out);
		fputc(*c, out);
	}
	fputc('"', out);
}

/* " ; FILE:LINE" and the line's end */
static void write_origin(FILE *out, const struct profile_setting *s)
{
	_cleanup_free_ char *f = shown(s->file ? s->file : "?");
	fprintf(out, " ; %s:%u\n", f, s->line);
}

static void write_setting(FILE *out, const struct profile_setting *s, bool first)
{
	const struct profile_key *k = s->key;

	if (k->type == PROFILE_MAP)
		fprintf(out, "%s = ", s->name);
	else if (first)
		fprintf(out, "%s =%s", k->name, *s->value || k->type != PROFILE_WORDS ? " " : "");
	else
		fputc('\t', out); /* the next item of a list, on a continuation line */
	if (k->type == PROFILE_WORDS)
		fputs(s->value, out); /* "" only for `entrypoint =` */
	else
		write_item(out, s->value, k->type == PROFILE_LIST);
	write_origin(out, s);
}

void profile_write_ini(const struct profile *p, FILE *out)
{
	const char *written = "";

	if (p->file) {
		_cleanup_free_ char *f = shown(p->file);
		fprintf(out, "; the profile %s, resolved\n", f);
	}
	for (size_t i = 0; i < profile_n_keys; i++) {
		const struct profile_key *k = &profile_keys[i];
		bool first = true;
		if (stack_only_section(k->section))
			continue;
		for (size_t j = 0; j < p->n; j++) {
			if (p->set[j].key != k)
				continue;
			if (strcmp(written, k->section)) {
				fprintf(out, "\n[%s]\n", k->section);
				written = k->section;
			}
			write_setting(out, &p->set[j], first);
			first = false;
		}
	}
}

/* ---- stacks ---- */

struct sbx {
	char *name;
	unsigned line;	     /* its [NAME] */
	struct profile prof; /* resolved */
	struct profile deps; /* its depends-on settings */
	bool placed;
};

static void sbx_clear(struct sbx *s)
{
	free(s->name);
	profile_free(&s->prof);
	profile_free(&s->deps);
}

static size_t sbx_find(const struct sbx *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return i;
	return SIZE_MAX;
}

void stack_free(struct stack *st)
{
	free(st->file);
	free(st->name);
	vec_free(st->networks);
	vec_free(st->volumes);
	for (size_t i = 0; i < st->n_sb; i++) {
		free(st->sb[i].name);
		profile_free(&st->sb[i].prof);
		vec_free(st->sb[i].depends_on);
	}
	free(st->sb);
	memset(st, 0, sizeof(*st));
}

/* A sandbox's settings: its extends chain's, then the stack file's. */
static int sandbox_profile(struct draft_sb *d, const char *file, const struct stat *st,
			   struct sbx *out, struct berth_error *err)
{
	const struct profile_setting *ext = setting_get(&d->prof, "NAME", "extends");

	out->name = xstrdup(d->name);
	out->line = d->head_line;
	for (size_t i = 0; i < d->prof.n; i++)
		if (is_key(d->prof.set[i].key, "NAME", "depends-on")) {
			const struct profile_setting *s = &d->prof.set[i];
			setting_add(&out->deps, s->key, NULL, s->value, s->file, s->line);
		}
	if (ext) {
		struct chain ch = { 0 };
		chain_push(&ch, st, file);
		int r = load_base(ext, &ch, &out->prof, err);
		chain_clear(&ch);
		if (r < 0)
			return -1;
	}
	settings_take(&out->prof, &d->prof);
	resolve(&out->prof);
	out->prof.file = xstrdup(file);
	if (!profile_get(&out->prof, "sandbox", "image"))
		return berth_error_set(err, 0,
				       "%s:%u: [%s]: no image (set image, or extends a profile "
				       "that does)",
				       file, d->head_line, d->name);
	return 0;
}

static int check_deps(struct sbx *v, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].deps.n; j++) {
			const struct profile_setting *d = &v[i].deps.set[j];
			const char *hint = NULL;
			if (sbx_find(v, n, d->value) != SIZE_MAX)
				continue;
			for (size_t k = 0; k < n; k++)
				if (typo_of(d->value, v[k].name))
					hint = v[k].name;
			return berth_error_set(err, 0,
					       "%s:%u: [%s] depends-on: no sandbox \"%s\" in this "
					       "stack%s%s%s",
					       d->file, d->line, v[i].name, d->value,
					       hint ? " (did you mean \"" : "", hint ? hint : "",
					       hint ? "\"?)" : "");
		}
	return 0;
}

/* A cycle among the sandboxes not placed: each has an unplaced dependency,
 * so following the first one from any of them comes round. */
static int cycle_error(struct sbx *v, size_t n, struct berth_error *err)
{
	_cleanup_free_ size_t *path = xcalloc(n + 1, sizeof(*path));
	_cleanup_free_ char *names = NULL;
	const struct profile_setting *first = NULL;
	size_t len = 0, at = 0, start;

	while (v[at].placed)
		at++;
	for (;;) {
		size_t next = SIZE_MAX;
		for (start = 0; start < len && path[start] != at; start++)
			;
		if (start < len)
			break;
		path[len++] = at;
		for (size_t j = 0; j < v[at].deps.n && next == SIZE_MAX; j++) {
			size_t d = sbx_find(v, n, v[at].deps.set[j].value);
			if (!v[d].placed)
				next = d;
		}
		at = next;
	}
	names = xstrdup(v[path[start]].name);
	for (size_t i = start + 1; i <= len; i++) {
		size_t cur = i < len ? path[i] : path[start];
		char *s = xasprintf("%s -> %s", names, v[cur].name);
		free(names);
		names = s;
	}
	for (size_t j = 0; j < v[path[start]].deps.n && !first; j++) {
		const char *to = v[start + 1 < len ? path[start + 1] : path[start]].name;
		if (!strcmp(v[path[start]].deps.set[j].value, to))
			first = &v[path[start]].deps.set[j];
	}
	return berth_error_set(err, 0, "%s:%u: [%s] depends-on: a dependency cycle: %s",
			       first ? first->file : "?", first ? first->line : 0,
			       v[path[start]].name, names);
}

/* Dependencies first; among sandboxes free to go, the file's order. */
static int order(struct sbx *v, size_t n, size_t *out, struct berth_error *err)
{
	for (size_t done = 0; done < n; done++) {
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < n && pick == SIZE_MAX; i++) {
			bool ready = !v[i].placed;
			for (size_t j = 0; j < v[i].deps.n && ready; j++)
				ready = v[sbx_find(v, n, v[i].deps.set[j].value)].placed;
			if (ready)
				pick = i;
		}
		if (pick == SIZE_MAX)
			return cycle_error(v, n, err);
		v[pick].placed = true;
		out[done] = pick;
	}
	return 0;
}

/* One host address, port and protocol for one sandbox only. */
static int check_ports(const struct sbx *v, size_t n, struct berth_error *err)
{
	struct pub {
		size_t sb;
		const struct profile_setting *s;
		struct port_map m;
	} *pubs = NULL;
	size_t np = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].prof.n; j++) {
			const struct profile_setting *s = &v[i].prof.set[j];
			struct port_map *m = NULL;
			size_t nm = 0;
			struct berth_error e = { 0 };
			if (!is_key(s->key, "network", "publish"))
				continue;
			if (ports_parse(s->value, &m, &nm, &e) < 0) /* checked at load */
				berth_error_clear(&e);
			pubs = xrealloc(pubs, (np + nm + 1) * sizeof(*pubs));
			for (size_t k = 0; k < nm; k++)
				pubs[np++] = (struct pub){ i, s, m[k] };
			free(m);
		}
	for (size_t a = 0; a < np && r == 0; a++)
		for (size_t b = a + 1; b < np && r == 0; b++) {
			const struct port_map *x = &pubs[a].m, *y = &pubs[b].m;
			char host[80];
			if (!x->host_port || x->host_port != y->host_port || x->udp != y->udp ||
			    strcmp(x->host_ip, y->host_ip))
				continue;
			ports_host(y, host, sizeof(host));
			r = berth_error_set(err, 0,
					    "%s:%u: [%s] network.publish: host port %s/%s is "
					    "published twice: by [%s] too (%s:%u)",
					    pubs[b].s->file, pubs[b].s->line, v[pubs[b].sb].name,
					    host, y->udp ? "udp" : "tcp", v[pubs[a].sb].name,
					    pubs[a].s->file, pubs[a].s->line);
		}
	free(pubs);
	return r;
}

/* Networks joined and volumes mounted by name are the stack's own. */
static int check_declared(const struct stack *st, const struct sbx *v, size_t n,
			  struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].prof.n; j++) {
			const struct profile_setting *s = &v[i].prof.set[j];
			struct mount_req m;
			struct berth_error e = { 0 };
			int r;
			if (is_key(s->key, "network", "mode") && !network_name_reserved(s->value) &&
			    !vec_has(st->networks, st->n_networks, s->value))
				return berth_error_set(
					err, 0,
					"%s:%u: [%s] network.mode: network \"%s\" is "
					"not in [stack] networks",
					s->file, s->line, v[i].name, s->value);
			if (is_key(s->key, "mounts", "volume"))
				r = mountspec_parse_volume(s->value, &check_env, &m, &e);
			else if (is_key(s->key, "mounts", "mount"))
				r = mountspec_parse_mount(s->value, &check_env, &m, &e);
			else
				continue;
			berth_error_clear(&e);
			bool undeclared = r == 0 && m.kind == MOUNT_VOLUME && m.source &&
					  !vec_has(st->volumes, st->n_volumes, m.source);
			if (undeclared)
				berth_error_set(err, 0,
						"%s:%u: [%s] mounts.%s: volume \"%s\" is not in "
						"[stack] volumes",
						s->file, s->line, v[i].name, s->key->name,
						m.source);
			mount_req_clear(&m);
			if (undeclared)
				return -1;
		}
	return 0;
}

/* [stack]: its name, networks and volumes (each once). */
static int stack_head(const struct profile *top, const char *file, struct stack *st,
		      struct berth_error *err)
{
	const char *name = profile_get(top, "stack", "name");
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	st->name = name ? xstrdup(name)
			: xstrndup(base, strlen(base) - (str_has_suffix(base, ".ini") ? 4 : 0));
	st->networks = xcalloc(1, sizeof(char *));
	st->volumes = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < top->n; i++) {
		const struct profile_setting *s = &top->set[i];
		bool net = is_key(s->key, "stack", "networks");
		char ***v = net ? &st->networks : &st->volumes;
		size_t *nv = net ? &st->n_networks : &st->n_volumes;
		if (!net && !is_key(s->key, "stack", "volumes"))
			continue;
		if (vec_has(*v, *nv, s->value))
			return berth_error_set(err, 0, "%s:%u: [stack] %s: \"%s\" twice", s->file,
					       s->line, s->key->name, s->value);
		vec_push(v, nv, s->value);
	}
	return 0;
}

static int stack_build(struct parser *p, const char *file, const struct stat *fst,
		       struct stack *out, struct berth_error *err)
{
	struct stack st = { .file = xstrdup(file) };
	struct sbx *v = xcalloc(p->n_sb, sizeof(*v));
	size_t *ord = xcalloc(p->n_sb, sizeof(*ord)), n = p->n_sb;
	int r = stack_head(&p->top, file, &st, err);

	for (size_t i = 0; i < n && r == 0; i++)
		r = sandbox_profile(&p->sbs[i], file, fst, &v[i], err);
	if (r == 0)
		r = check_deps(v, n, err);
	if (r == 0)
		r = order(v, n, ord, err);
	if (r == 0)
		r = check_ports(v, n, err);
	if (r == 0)
		r = check_declared(&st, v, n, err);
	if (r == 0) {
		st.sb = xcalloc(n, sizeof(*st.sb));
		for (size_t i = 0; i < n; i++) {
			struct sbx *s = &v[ord[i]];
			struct stack_sandbox *o = &st.sb[st.n_sb++];
			o->name = steal_pointer(&s->name);
			o->prof = s->prof;
			memset(&s->prof, 0, sizeof(s->prof));
			o->depends_on = xcalloc(1, sizeof(char *));
			for (size_t j = 0; j < s->deps.n; j++)
				vec_push(&o->depends_on, &o->n_deps, s->deps.set[j].value);
		}
		*out = st;
	} else {
		stack_free(&st);
	}
	for (size_t i = 0; i < n; i++)
		sbx_clear(&v[i]);
	free(v);
	free(ord);
	return r < 0 ? -1 : 0;
}

int stack_parse_text(const char *text, const char *file, struct stack *out, struct berth_error *err)
{
	struct parser p;
	struct stat none = { 0 };
	int r;

	if (parse_text(&p, text, file, true, false, err) < 0)
		return -1;
	r = stack_build(&p, file, &none, out, err);
	parser_clear(&p);
	return r;
}

int stack_load(const char *path, struct stack *out, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct parser p;
	struct stat st;
	int r;

	if (read_text(path, path, &text, &st, err) < 0)
		return -1;
	if (parse_text(&p, text, path, true, true, err) < 0)
		return -1;
	r = stack_build(&p, path, &st, out, err);
	parser_clear(&p);
	return r;
}
