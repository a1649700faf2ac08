// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run_config.c: a container's configuration (run_config.h): the key
 * table, the flags parsed through it, and the record written and read
 * through it. The table's rows are in the record's order, which is
 * config.json's byte order (existing records are read back, and rewritten
 * the same); each flag carries its place in run's --help. Not here: the
 * CLI's option parsing (cli/runflags.c), resolving against an image and
 * the store (create.c), what a record starts (start.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/util.h"
#include "../netns/ports.h"
#include "../objects/network.h"
#include "mountspec.h"
#include "run_config.h"
#include "secretspec.h"
#include "spec.h"

#define FIELD(type, rc, off) ((type *)((char *)(rc) + (off)))

/* ---- flags whose value is more than a string ---- */

/* docker's --ulimit names */
static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "core", RLIMIT_CORE },	 { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },	 { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS },	 { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE },	 { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS },		 { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },	 { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },	 { "as", RLIMIT_AS },
};

static bool parse_limit(const char *s, rlim_t *out)
{
	char *end;
	if (!strcmp(s, "-1") || !strcmp(s, "unlimited")) {
		*out = RLIM_INFINITY;
		return true;
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || *s == '-')
		return false;
	*out = (rlim_t)v;
	return true;
}

/* --ulimit NAME=SOFT[:HARD] */
static int set_ulimit(struct run_config *rc, const char *arg, struct berth_error *err)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *eq = strchr(copy, '='), *colon;
	size_t i;

	if (!eq || rc->n_ulimits == ARRAY_SIZE(rc->ulimits))
		return berth_error_set(err, EINVAL, "--ulimit \"%s\": expected NAME=SOFT[:HARD]",
				       arg);
	*eq = '\0';
	for (i = 0; i < ARRAY_SIZE(rlimit_names) && strcmp(rlimit_names[i].name, copy); i++)
		;
	if (i == ARRAY_SIZE(rlimit_names))
		return berth_error_set(err, EINVAL,
				       "--ulimit \"%s\": unknown limit \"%s\" (nofile, nproc, "
				       "core, stack, memlock, ...)",
				       arg, copy);
	struct launch_rlimit *l = &rc->ulimits[rc->n_ulimits];
	l->resource = rlimit_names[i].resource;
	if ((colon = strchr(eq + 1, ':')))
		*colon = '\0';
	if (!parse_limit(eq + 1, &l->lim.rlim_cur) ||
	    !parse_limit(colon ? colon + 1 : eq + 1, &l->lim.rlim_max) ||
	    (l->lim.rlim_max != RLIM_INFINITY && l->lim.rlim_cur > l->lim.rlim_max))
		return berth_error_set(err, EINVAL,
				       "--ulimit \"%s\": expected numbers, soft <= hard", arg);
	rc->n_ulimits++;
	return 0;
}

const char *run_config_limits_unsupported(void)
{
	return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
		       ? "resource limits through a delegated cgroup v2 subtree are not built yet"
		       : "resource limits need cgroup v2 with a delegated subtree; this machine "
			 "runs cgroup v1, where a user cannot set them";
}

/* --memory, --cpus, --pids-limit: refused with the reason, never ignored */
static int refuse_limit(const char *flag, struct berth_error *err)
{
	return berth_error_set(err, EINVAL, "%s: %s", flag, run_config_limits_unsupported());
}

static int set_memory(struct run_config *rc, const char *arg, struct berth_error *err)
{
	(void)rc, (void)arg;
	return refuse_limit("--memory", err);
}

static int set_cpus(struct run_config *rc, const char *arg, struct berth_error *err)
{
	(void)rc, (void)arg;
	return refuse_limit("--cpus", err);
}

static int set_pids_limit(struct run_config *rc, const char *arg, struct berth_error *err)
{
	(void)rc, (void)arg;
	return refuse_limit("--pids-limit", err);
}

static struct mount_req *new_mount(struct run_config *rc)
{
	rc->mounts = xrealloc(rc->mounts, (rc->n_mounts + 2) * sizeof(*rc->mounts));
	memset(&rc->mounts[rc->n_mounts], 0, 2 * sizeof(*rc->mounts));
	return &rc->mounts[rc->n_mounts++];
}

/* -v, --mount, --tmpfs: parsed now, so a bad one stops run before
 * anything is made (relative bind sources from the working directory) */
static int set_mount(struct run_config *rc, int kind, const char *arg, struct berth_error *err)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	struct mountspec_env env = { .cwd = cwd, .home = getenv("HOME") };
	struct mount_req *m = new_mount(rc);
	int r = kind == 'v'   ? mountspec_parse_volume(arg, &env, m, err)
		: kind == 'M' ? mountspec_parse_mount(arg, &env, m, err)
			      : mountspec_parse_tmpfs(arg, m, err);

	if (r < 0)
		return -1;
	if (m->selinux_opt) {
		_cleanup_free_ char *note = xasprintf("-v %s: z and Z (SELinux relabelling) are "
						      "ignored: berth never relabels host files",
						      arg);
		strv_push(&rc->notes, &rc->n_notes, note);
	}
	return 0;
}

static int set_volume(struct run_config *rc, const char *arg, struct berth_error *err)
{
	return set_mount(rc, 'v', arg, err);
}

static int set_long_mount(struct run_config *rc, const char *arg, struct berth_error *err)
{
	return set_mount(rc, 'M', arg, err);
}

static int set_tmpfs(struct run_config *rc, const char *arg, struct berth_error *err)
{
	return set_mount(rc, 'T', arg, err);
}

static int set_secret(struct run_config *rc, const char *arg, struct berth_error *err)
{
	rc->secrets = xrealloc(rc->secrets, (rc->n_secrets + 1) * sizeof(*rc->secrets));
	return secretspec_parse(arg, &rc->secrets[rc->n_secrets++], err);
}

static int set_userns(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (strcmp(arg, "keep-id") && strcmp(arg, ""))
		return berth_error_set(err, EINVAL,
				       "--userns %s: berth has keep-id (and the default, a private "
				       "namespace)",
				       arg);
	rc->keep_id = !strcmp(arg, "keep-id");
	return 0;
}

static int set_security_opt(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
	    !strcmp(arg, "no-new-privileges:true")) {
		rc->no_new_privs = true;
	} else if (!strcmp(arg, "no-new-privileges=false") ||
		   !strcmp(arg, "no-new-privileges:false")) {
		rc->no_new_privs = false;
	} else if (!strcmp(arg, "seccomp=unconfined") || !strcmp(arg, "seccomp:unconfined")) {
		rc->seccomp = false;
		free(rc->seccomp_file);
		rc->seccomp_file = NULL;
	} else if ((str_has_prefix(arg, "seccomp=") || str_has_prefix(arg, "seccomp:")) && arg[8]) {
		/* a docker JSON profile, read (and copied) when the
		 * container is made */
		rc->seccomp = true;
		free(rc->seccomp_file);
		rc->seccomp_file = xstrdup(arg + 8);
	} else {
		return berth_error_set(err, EINVAL,
				       "--security-opt \"%s\": expected "
				       "no-new-privileges[=true|false], seccomp=unconfined or "
				       "seccomp=FILE (a JSON profile)",
				       arg);
	}
	return 0;
}

static int set_alias(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (!network_name_valid(arg))
		return berth_error_set(err, EINVAL,
				       "--network-alias \"%s\": a name is letters, digits and _.- "
				       "(at most 64)",
				       arg);
	strv_push(&rc->aliases, &rc->n_aliases, arg);
	return 0;
}

static int set_no_host_loopback(struct run_config *rc, const char *arg, struct berth_error *err)
{
	(void)arg, (void)err;
	rc->host_loopback = (struct hostloop){ .mode = HOSTLOOP_OFF };
	rc->host_loopback_given = true;
	return 0;
}

static int set_host_loopback(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (hostloop_parse(arg, &rc->host_loopback, err) < 0)
		return berth_error_wrap(err, "--host-loopback=%s (true, false or ports)",
					arg ? arg : "");
	rc->host_loopback_given = true;
	return 0;
}

static int set_publish(struct run_config *rc, const char *arg, struct berth_error *err)
{
	return ports_parse(arg, &rc->ports, &rc->n_ports, err);
}

/* --add-host NAME:IP (the IP may be IPv6, so the name ends at the first
 * colon) */
static int set_add_host(struct run_config *rc, const char *arg, struct berth_error *err)
{
	const char *colon = strchr(arg, ':');
	unsigned char a[16];

	if (!colon || colon == arg ||
	    (inet_pton(AF_INET, colon + 1, a) != 1 && inet_pton(AF_INET6, colon + 1, a) != 1) ||
	    strpbrk(arg, " \t\n#"))
		return berth_error_set(err, EINVAL, "--add-host %s: expected NAME:IP", arg);
	_cleanup_free_ char *line = xasprintf("%s\t%.*s", colon + 1, (int)(colon - arg), arg);
	strv_push(&rc->add_hosts, &rc->n_add_hosts, line);
	return 0;
}

static int set_label(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (!*arg || *arg == '=')
		return berth_error_set(err, EINVAL, "--label \"%s\": expected KEY=VALUE", arg);
	strv_push(&rc->labels, &rc->n_labels, arg);
	return 0;
}

static int set_dns(struct run_config *rc, const char *arg, struct berth_error *err)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, arg, a) != 1 && inet_pton(AF_INET6, arg, a) != 1)
		return berth_error_set(err, EINVAL, "--dns %s: expected an IP address", arg);
	strv_push(&rc->dns, &rc->n_dns, arg);
	return 0;
}

static int set_stop_signal(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (signal_from_name(arg) < 0)
		return berth_error_set(err, EINVAL, "--stop-signal %s: not a signal", arg);
	free(rc->stop_signal);
	rc->stop_signal = xstrdup(arg);
	return 0;
}

static int set_stop_timeout(struct run_config *rc, const char *arg, struct berth_error *err)
{
	char *end;

	rc->stop_timeout = strtol(arg, &end, 10);
	if (!*arg || *end || rc->stop_timeout < 0)
		return berth_error_set(err, EINVAL, "--stop-timeout %s: expected seconds", arg);
	return 0;
}

/* ---- record keys that are more than a value of their type ---- */

static void add(struct json_object *cfg, const struct run_key *k, struct json_object *v)
{
	json_object_object_add(cfg, k->record, v);
}

static struct json_object *get(struct json_object *cfg, const struct run_key *k)
{
	struct json_object *v;
	return json_object_object_get_ex(cfg, k->record, &v) ? v : NULL;
}

/* Caps: the set as 16 hex digits, what exec needs to give its processes
 * the same confinement */
static void write_caps(const struct run_config *rc, const struct run_key *k,
		       struct json_object *cfg)
{
	_cleanup_free_ char *t = xasprintf("%016llx", (unsigned long long)rc->caps);
	add(cfg, k, json_object_new_string(t));
}

static int read_caps(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
		     struct berth_error *err)
{
	const char *v = json_get_string(cfg, k->record);

	(void)err;
	rc->caps = v ? strtoull(v, NULL, 16) : 0;
	return 0;
}

/* SeccompProfile: a profile's content, as docker keeps it (the file may
 * change or go; start and exec use this copy), and the file's name */
static void write_seccomp_profile(const struct run_config *rc, const struct run_key *k,
				  struct json_object *cfg)
{
	if (rc->seccomp && rc->seccomp_profile)
		add(cfg, k, json_object_get(rc->seccomp_profile));
}

static int read_seccomp_profile(struct run_config *rc, const struct run_key *k,
				struct json_object *cfg, struct berth_error *err)
{
	struct json_object *v = get(cfg, k);

	(void)err;
	if (v && !json_object_is_type(v, json_type_null))
		rc->seccomp_profile = json_object_get(v);
	return 0;
}

static void write_seccomp_file(const struct run_config *rc, const struct run_key *k,
			       struct json_object *cfg)
{
	if (rc->seccomp && rc->seccomp_profile)
		add(cfg, k, json_object_new_string(rc->seccomp_file ? rc->seccomp_file : ""));
}

static void write_stop_timeout(const struct run_config *rc, const struct run_key *k,
			       struct json_object *cfg)
{
	if (rc->stop_timeout >= 0)
		add(cfg, k, json_object_new_int64(rc->stop_timeout));
}

static int read_stop_timeout(struct run_config *rc, const struct run_key *k,
			     struct json_object *cfg, struct berth_error *err)
{
	struct json_object *v = get(cfg, k);

	(void)err;
	rc->stop_timeout = v ? (long)json_object_get_int64(v) : -1;
	return 0;
}

/* A list kept in the record in its spec's own JSON form, written and
 * read by that spec (mounts; secrets: by name only, their values are
 * read at each start). */
#define SPEC_LIST(field, to_json, from_json)                                                       \
	static void write_##field(const struct run_config *rc, const struct run_key *k,            \
				  struct json_object *cfg)                                         \
	{                                                                                          \
		add(cfg, k, to_json(rc->field, rc->n_##field));                                    \
	}                                                                                          \
	static int read_##field(struct run_config *rc, const struct run_key *k,                    \
				struct json_object *cfg, struct berth_error *err)                  \
	{                                                                                          \
		return from_json(get(cfg, k), &rc->field, &rc->n_##field, err);                    \
	}
SPEC_LIST(mounts, mountspec_to_json, mountspec_from_json)
SPEC_LIST(secrets, secretspec_to_json, secretspec_from_json)

/* Labels: an object, KEY=VALUE in the struct */
static void write_labels(const struct run_config *rc, const struct run_key *k,
			 struct json_object *cfg)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < rc->n_labels; i++) {
		const char *eq = strchr(rc->labels[i], '=');
		_cleanup_free_ char *key =
			eq ? xstrndup(rc->labels[i], (size_t)(eq - rc->labels[i]))
			   : xstrdup(rc->labels[i]);
		json_object_object_add(o, key, json_object_new_string(eq ? eq + 1 : ""));
	}
	add(cfg, k, o);
}

static int read_labels(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
		       struct berth_error *err)
{
	struct json_object *o = get(cfg, k);

	(void)err;
	if (!o || !json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val)
	{
		_cleanup_free_ char *kv = xasprintf("%s=%s", key, json_object_get_string(val));
		strv_push(&rc->labels, &rc->n_labels, kv);
	}
	return 0;
}

static void write_exposed(const struct run_config *rc, const struct run_key *k,
			  struct json_object *cfg)
{
	if (rc->exposed_ports)
		add(cfg, k, json_object_get(rc->exposed_ports));
}

static int read_exposed(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
			struct berth_error *err)
{
	struct json_object *v = get(cfg, k);

	(void)err;
	rc->exposed_ports = v ? json_object_get(v) : NULL;
	return 0;
}

/* Ulimits: "RESOURCE SOFT HARD", what start sets before exec */
static void write_ulimits(const struct run_config *rc, const struct run_key *k,
			  struct json_object *cfg)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < rc->n_ulimits; i++) {
		_cleanup_free_ char *u = xasprintf("%d %llu %llu", rc->ulimits[i].resource,
						   (unsigned long long)rc->ulimits[i].lim.rlim_cur,
						   (unsigned long long)rc->ulimits[i].lim.rlim_max);
		json_object_array_add(arr, json_object_new_string(u));
	}
	add(cfg, k, arr);
}

static int read_ulimits(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
			struct berth_error *err)
{
	struct json_object *arr = get(cfg, k);

	(void)err;
	rc->n_ulimits = 0;
	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr) && rc->n_ulimits < LAUNCH_MAX_ULIMITS;
	     i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(arr, i));
		unsigned long long cur, max;
		int res;
		if (!t || sscanf(t, "%d %llu %llu", &res, &cur, &max) != 3)
			continue;
		rc->ulimits[rc->n_ulimits++] = (struct launch_rlimit){
			res, { .rlim_cur = (rlim_t)cur, .rlim_max = (rlim_t)max }
		};
	}
	return 0;
}

/* HostLoopback and, when limited, HostLoopbackPorts (netns/hostloop.c) */
static void write_host_loopback(const struct run_config *rc, const struct run_key *k,
				struct json_object *cfg)
{
	(void)k;
	hostloop_to_json(&rc->host_loopback, cfg);
}

static int read_host_loopback(struct run_config *rc, const struct run_key *k,
			      struct json_object *cfg, struct berth_error *err)
{
	(void)k;
	return hostloop_from_json(cfg, &rc->host_loopback, err);
}

static void write_ports(const struct run_config *rc, const struct run_key *k,
			struct json_object *cfg)
{
	add(cfg, k, ports_to_json(rc->ports, rc->n_ports));
}

static int read_ports(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
		      struct berth_error *err)
{
	free(rc->ports);
	rc->ports = NULL;
	return ports_from_json(get(cfg, k), &rc->ports, &rc->n_ports, err);
}

static void write_created(const struct run_config *rc, const struct run_key *k,
			  struct json_object *cfg)
{
	add(cfg, k, json_object_new_int64(rc->created));
}

static int read_created(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
			struct berth_error *err)
{
	struct json_object *v = get(cfg, k);

	(void)err;
	rc->created = v ? json_object_get_int64(v) : 0;
	return 0;
}

/* --pull: docker's three policies; the caller pulls before create */
static int set_pull(struct run_config *rc, const char *arg, struct berth_error *err)
{
	if (!arg || (strcmp(arg, "missing") && strcmp(arg, "always") && strcmp(arg, "never")))
		return berth_error_set(err, EINVAL,
				       "invalid pull option: '%s': must be one of \"always\", "
				       "\"missing\" or \"never\"",
				       arg ? arg : "");
	free(rc->pull);
	rc->pull = xstrdup(arg);
	return 0;
}

/* ---- the table ---- */

#define F(name) offsetof(struct run_config, name)
/* a key: its record's key, docker inspect's field, the default in words */
#define KEY(rec, insp, def) .record = rec, .inspect = insp, .dflt = def
#define BOOL(f) .type = RUN_BOOL, .field = F(f)
#define STRING(f) .type = RUN_STRING, .field = F(f)
#define LIST(f) .type = RUN_STRV, .field = F(f), .count = F(n_##f)
#define OTHER(w, r) .type = RUN_OTHER, .write = w, .read = r
/* a flag: its long name, letter, value, help, place in --help, setter */
#define FLAG(nm, lt, ar, hl, ord, fn)                                                              \
	{                                                                                          \
		.name = nm, .letter = lt, .arg = ar, .help = hl, .order = ord, .set = fn           \
	}

/* In the record's order. */
const struct run_key run_config_keys[] = {
	{ KEY("Image", "Image", ""), STRING(image) },
	{ KEY("ImageName", "Config.Image", ""), STRING(image_ref), .how = RUN_OMIT_NULL },
	{ KEY("Cmd", "Config.Entrypoint, Config.Cmd", "the image's"), LIST(argv) },
	{ KEY(NULL, "Config.Entrypoint", "the image's"), STRING(entrypoint),
	  .flags = { FLAG("entrypoint", 'P' + 256, "CMD", "Override the image's entrypoint", 8,
			  NULL) } },
	{ KEY("Env", "Config.Env", "the image's"), LIST(env) },
	{ KEY(NULL, NULL, ""), LIST(env_args),
	  .flags = { FLAG("env", 'e', "KEY[=VALUE]",
			  "Set an environment variable (KEY alone: the host's)", 4, NULL) } },
	{ KEY(NULL, NULL, ""), LIST(env_files),
	  .flags = { FLAG("env-file", 'E' + 256, "FILE", "Read environment variables from a file",
			  5, NULL) } },
	{ KEY("WorkingDir", "Config.WorkingDir", "the image's, else /"), STRING(workdir) },
	{ KEY(NULL, NULL, ""), STRING(workdir_arg),
	  .flags = { FLAG("workdir", 'w', "DIR", "Working directory inside the container", 6,
			  NULL) } },
	{ KEY("User", "Config.User", "the image's, else root"), STRING(user),
	  .how = RUN_NULL_AS_EMPTY },
	{ KEY(NULL, NULL, ""), STRING(user_arg),
	  .flags = { FLAG("user", 'u', "USER[:GROUP]", "User (name or uid) and group to run as", 7,
			  NULL) } },
	{ KEY("Hostname", "Config.Hostname", "the ID's first 12 digits"), STRING(hostname),
	  .flags = { FLAG("hostname", 'h', "NAME", "Container host name", 9, NULL) } },
	{ KEY("Caps", NULL, "podman's default set"), OTHER(write_caps, read_caps) },
	{ KEY(NULL, "HostConfig.CapAdd", ""), LIST(cap_add),
	  .flags = { FLAG("cap-add", 'A' + 256, "CAP", "Add a capability (or ALL)", 20, NULL) } },
	{ KEY(NULL, "HostConfig.CapDrop", ""), LIST(cap_drop),
	  .flags = { FLAG("cap-drop", 'D' + 256, "CAP", "Drop a capability (or ALL)", 21, NULL) } },
	{ KEY("NoNewPrivileges", "HostConfig.SecurityOpt", "true"), BOOL(no_new_privs),
	  .how = RUN_TRUE_UNLESS_SAID,
	  .flags = { FLAG("security-opt", 'S' + 256, "OPT",
			  "no-new-privileges[=false], seccomp=unconfined, seccomp=FILE (a docker "
			  "JSON profile)",
			  22, set_security_opt) } },
	{ KEY("Seccomp", "HostConfig.SecurityOpt", "true (berth's default filter)"), BOOL(seccomp),
	  .how = RUN_TRUE_UNLESS_SAID },
	{ KEY("SeccompProfile", "HostConfig.SecurityOpt", "none"),
	  OTHER(write_seccomp_profile, read_seccomp_profile) },
	{ KEY("SeccompProfileFile", NULL, ""), STRING(seccomp_file), .write = write_seccomp_file },
	{ KEY("StopSignal", "Config.StopSignal", "the image's, else TERM"), STRING(stop_signal),
	  .how = RUN_OMIT_NULL,
	  .flags = { FLAG("stop-signal", 's' + 256, "SIG",
			  "Signal that stop sends (default the image's, TERM)", 33,
			  set_stop_signal) } },
	{ KEY("StopTimeout", "Config.StopTimeout", "10 s"),
	  OTHER(write_stop_timeout, read_stop_timeout),
	  .flags = { FLAG("stop-timeout", 'x' + 256, "SECONDS",
			  "How long stop waits before SIGKILL (10)", 34, set_stop_timeout) } },
	{ KEY("Mounts", "Mounts", "none, and the image's VOLUMEs as anonymous volumes"),
	  OTHER(write_mounts, read_mounts),
	  .flags = { FLAG("tmpfs", 'T' + 256, "PATH[:OPTS]", "Mount a tmpfs", 14, set_tmpfs),
		     FLAG("volume", 'v', "[SRC:]DST[:OPTS]",
			  "Mount a volume (NAME:DST, or DST for an anonymous one) or a host path "
			  "(/abs, ./rel or ~/...); OPTS ro, rw, nocopy, z, Z",
			  15, set_volume),
		     FLAG("mount", 'M' + 256, "type=bind|volume|tmpfs,src=,dst=[,readonly]",
			  "Mount, docker's long form", 16, set_long_mount) } },
	{ KEY(NULL, "HostConfig.VolumesFrom", ""), LIST(volumes_from),
	  .flags = { FLAG("volumes-from", 'F' + 256, "CONTAINER[:ro|rw]",
			  "Mount the volumes and bind mounts of another container", 18, NULL) } },
	{ KEY("Secrets", NULL, "none"), OTHER(write_secrets, read_secrets),
	  .flags = { FLAG("secret", 'K' + 256, "NAME[,OPTS]",
			  "Give the container a secret: a file in /run/secrets, or with type=env "
			  "a variable; OPTS target=, mode=, uid=, gid=",
			  17, set_secret) } },
	{ KEY("KeepId", "HostConfig.UsernsMode", "false (a private user namespace)"), BOOL(keep_id),
	  .flags = { FLAG("userns", 'u' + 512, "keep-id",
			  "keep-id: run as your own uid inside, bind-mounted files look like "
			  "yours",
			  19, set_userns) } },
	{ KEY("Labels", "Config.Labels", "the image's"), OTHER(write_labels, read_labels),
	  .flags = { FLAG("label", 'l' + 512, "KEY=VALUE",
			  "Set a label on the container (over the image's)", 30, set_label) } },
	{ KEY("ExposedPorts", "Config.ExposedPorts", "the image's"),
	  OTHER(write_exposed, read_exposed) },
	{ KEY("Ulimits", "HostConfig.Ulimits", "the user's"), OTHER(write_ulimits, read_ulimits),
	  .flags = { FLAG("ulimit", 'U' + 256, "NAME=SOFT[:HARD]",
			  "Set a resource limit (nofile, nproc, ...)", 35, set_ulimit) } },
	{ KEY("ReadOnly", "HostConfig.ReadonlyRootfs", "false"), BOOL(read_only),
	  .flags = { FLAG("read-only", 'O' + 256, NULL, "Mount the root filesystem read-only", 13,
			  NULL) } },
	{ KEY("Init", "HostConfig.Init", "false (true with -d)"), BOOL(init),
	  .flags = { FLAG("init", 'I' + 256, NULL,
			  "Run a tiny init as pid 1 (reaps, forwards signals)", 12, NULL) } },
	{ KEY("Tty", "Config.Tty", "false"), BOOL(tty),
	  .flags = { FLAG("tty", 't', NULL, "Give the container a terminal", 11, NULL) } },
	{ KEY("Interactive", "Config.OpenStdin", "false"), BOOL(interactive),
	  .flags = { FLAG("interactive", 'i', NULL, "Keep stdin open", 10, NULL) } },
	{ KEY("AutoRemove", "HostConfig.AutoRemove", "false"), BOOL(auto_remove),
	  .flags = { FLAG("rm", 'R' + 256, NULL, "Remove the container when it exits", 2, NULL) } },
	{ KEY("Network", "HostConfig.NetworkMode", "slirp4netns"), STRING(network),
	  .flags = { FLAG("network", 'n' + 256, "MODE",
			  "slirp4netns (default: outbound access, host.docker.internal), none (a "
			  "loopback only), host, or a user network's NAME",
			  23, NULL) } },
	{ KEY("HostLoopback", NULL, "every port, unless berth.conf says false"),
	  OTHER(write_host_loopback, read_host_loopback),
	  .flags = { FLAG("no-host-loopback", 'L' + 256, NULL,
			  "The host's 127.0.0.1 is out of reach (no host.docker.internal)", 25,
			  set_no_host_loopback),
		     FLAG("host-loopback", 'G' + 256, "[=true|false|PORTS]",
			  "The host's 127.0.0.1 through host.docker.internal: every port (the "
			  "default, unless berth.conf says false), none, or only PORTS "
			  "(5432,6379,53/udp)",
			  26, set_host_loopback) } },
	{ KEY("NetworkAliases", "NetworkSettings.Networks.*.Aliases", "none"), LIST(aliases),
	  .flags = { FLAG("network-alias", 'a' + 512, "ALIAS",
			  "Another name the containers of its user network know it by", 24,
			  set_alias) } },
	{ KEY("Ports", "HostConfig.PortBindings", "none"), OTHER(write_ports, read_ports),
	  .flags = { FLAG("publish", 'p', "[IP:][HPORT:]CPORT[/udp]",
			  "Publish a container port (or range) on the host, on 127.0.0.1 unless "
			  "an IP is given; no HPORT: a free one",
			  27, set_publish) } },
	{ KEY(NULL, "HostConfig.PublishAllPorts", "false"), BOOL(publish_all),
	  .flags = { FLAG("publish-all", 'P', NULL,
			  "Publish every port the image exposes, on free ports", 28, NULL) } },
	{ KEY("Created", "Created", ""), OTHER(write_created, read_created) },
	/* what is not in config.json */
	{ KEY(NULL, "Name", "c- and the ID's first 10 digits"), STRING(name),
	  .flags = { FLAG("name", 'N' + 256, "NAME", "Name the container", 3, NULL) } },
	{ KEY(NULL, NULL, "false"), BOOL(detach),
	  .flags = { FLAG("detach", 'd', NULL, "Run in the background and print the container's ID",
			  1, NULL) } },
	{ KEY(NULL, "HostConfig.ExtraHosts", ""), LIST(add_hosts),
	  .flags = { FLAG("add-host", 'H' + 256, "NAME:IP", "Add a line to /etc/hosts", 29,
			  set_add_host) } },
	{ KEY(NULL, "HostConfig.Dns", "slirp4netns's forwarder, else the host's"), LIST(dns),
	  .flags = { FLAG("dns", 'D' + 512, "IP", "A nameserver for /etc/resolv.conf", 32,
			  set_dns) } },
	{ KEY(NULL, NULL, ""), STRING(profile),
	  .flags = { FLAG("profile", 'F' + 512, "FILE",
			  "Start from a profile's settings (berth profile show FILE); flags given "
			  "here override them",
			  31, NULL) } },
	{ KEY(NULL, NULL, "missing"), STRING(pull),
	  .flags = { FLAG("pull", 'Q' + 512, "missing|always|never",
			  "Pull the image first: when the store lacks it (missing, the "
			  "default), always, or never",
			  39, set_pull) } },
	{ KEY(NULL, "HostConfig.Memory, NanoCpus, PidsLimit", "none (refused)"), .type = RUN_OTHER,
	  .flags = { FLAG("memory", 'm', "BYTES", "Memory limit (needs cgroup v2 delegation)", 36,
			  set_memory),
		     FLAG("cpus", 'c' + 256, "N", "CPU limit (needs cgroup v2 delegation)", 37,
			  set_cpus),
		     FLAG("pids-limit", 'p' + 256, "N",
			  "Process limit (needs cgroup v2 delegation)", 38, set_pids_limit) } },
};
const size_t run_config_n_keys = ARRAY_SIZE(run_config_keys);

/* ---- a run_config ---- */

void run_config_init(struct run_config *rc)
{
	*rc = (struct run_config){ .no_new_privs = true, .seccomp = true, .stop_timeout = -1 };
}

void run_config_clear(struct run_config *rc)
{
	for (size_t i = 0; i < run_config_n_keys; i++) {
		const struct run_key *k = &run_config_keys[i];
		if (k->type == RUN_STRING) {
			free(*FIELD(char *, rc, k->field));
		} else if (k->type == RUN_STRV) {
			char **v = *FIELD(char **, rc, k->field);
			bool env = k->field == F(env) || k->field == F(env_args);
			for (size_t j = 0; env && v && v[j]; j++)
				explicit_bzero(v[j], strlen(v[j])); /* secrets among them */
			strv_free(v);
		}
	}
	strv_free(rc->args);
	strv_free(rc->labels);
	strv_free(rc->notes);
	mount_reqs_free(rc->mounts, rc->n_mounts);
	for (size_t i = 0; i < rc->n_secrets; i++)
		secret_ref_clear(&rc->secrets[i]);
	free(rc->secrets);
	free(rc->ports);
	if (rc->seccomp_profile)
		json_object_put(rc->seccomp_profile);
	if (rc->exposed_ports)
		json_object_put(rc->exposed_ports);
	memset(rc, 0, sizeof(*rc));
}

static const struct run_key *key_of(int letter, const struct run_flag **flag)
{
	for (size_t i = 0; i < run_config_n_keys; i++)
		for (size_t j = 0; j < ARRAY_SIZE(run_config_keys[i].flags); j++)
			if (run_config_keys[i].flags[j].name &&
			    run_config_keys[i].flags[j].letter == letter) {
				*flag = &run_config_keys[i].flags[j];
				return &run_config_keys[i];
			}
	return NULL;
}

const struct run_flag *run_config_flag(int letter)
{
	const struct run_flag *f = NULL;
	return key_of(letter, &f) ? f : NULL;
}

int run_config_set(struct run_config *rc, int letter, const char *arg, struct berth_error *err)
{
	const struct run_flag *f = NULL;
	const struct run_key *k = key_of(letter, &f);

	if (!k)
		return berth_error_set(err, EINVAL, "not a flag of run (%d)", letter);
	if (f->set)
		return f->set(rc, arg, err);
	if (k->type != RUN_BOOL && !arg)
		return berth_error_set(err, EINVAL, "--%s: a value is required", f->name);
	switch (k->type) {
	case RUN_BOOL: *FIELD(bool, rc, k->field) = true; break;
	case RUN_STRING:
		free(*FIELD(char *, rc, k->field));
		*FIELD(char *, rc, k->field) = xstrdup(arg);
		break;
	case RUN_STRV:
		strv_push(FIELD(char **, rc, k->field), FIELD(size_t, rc, k->count), arg);
		break;
	default: return berth_error_set(err, EINVAL, "--%s: no way to set it", f->name);
	}
	return 0;
}

int run_config_finish(struct run_config *rc, struct berth_error *err)
{
	/* a detached container gets the tiny init unasked: nobody else
	 * would reap its orphans or pass it the signals of stop */
	if (rc->detach)
		rc->init = true;
	if (!rc->network || !*rc->network || !strcmp(rc->network, "default") ||
	    !strcmp(rc->network, "bridge")) {
		free(rc->network);
		rc->network = xstrdup("slirp4netns"); /* docker's default, the rootless way */
	}
	bool user_net = !network_name_reserved(rc->network);
	if (user_net && !network_name_valid(rc->network))
		return berth_error_set(err, EINVAL,
				       "--network %s: not a mode (slirp4netns, none, host) nor a "
				       "network name (berth network ls)",
				       rc->network);
	if (rc->host_loopback_given && !user_net && strcmp(rc->network, "slirp4netns"))
		return berth_error_set(err, EINVAL,
				       "--host-loopback and --no-host-loopback are for --network "
				       "slirp4netns or a user network");
	if (rc->n_aliases > 0 && !user_net)
		return berth_error_set(err, EINVAL,
				       "--network-alias is for a user network (--network NAME)");
	/* the shared user namespace is mapped the ordinary way */
	if (rc->keep_id && user_net)
		return berth_error_set(err, EINVAL,
				       "--userns=keep-id cannot join a user network: its "
				       "containers share one user namespace, mapped the default "
				       "way");
	if (rc->name && (!*rc->name || strchr(rc->name, '/') || strlen(rc->name) > 128))
		return berth_error_set(
			err, EINVAL, "--name \"%s\": a name is 1-128 characters, no '/'", rc->name);
	return 0;
}

/* ---- the record ---- */

static void write_key(const struct run_config *rc, const struct run_key *k, struct json_object *cfg)
{
	if (k->write) {
		k->write(rc, k, cfg);
		return;
	}
	if (k->type == RUN_BOOL) {
		add(cfg, k, json_object_new_boolean(*FIELD(bool, rc, k->field)));
	} else if (k->type == RUN_STRING) {
		const char *v = *FIELD(char *, rc, k->field);
		if (v || !(k->how & RUN_OMIT_NULL))
			add(cfg, k, json_object_new_string(v ? v : ""));
	} else if (k->type == RUN_STRV) {
		struct json_object *arr = json_object_new_array();
		char **v = *FIELD(char **, rc, k->field);
		for (size_t i = 0; v && v[i]; i++)
			json_object_array_add(arr, json_object_new_string(v[i]));
		add(cfg, k, arr);
	}
}

char *run_config_to_json(const struct run_config *rc)
{
	_cleanup_json_ struct json_object *cfg = json_object_new_object();

	for (size_t i = 0; i < run_config_n_keys; i++)
		if (run_config_keys[i].record)
			write_key(rc, &run_config_keys[i], cfg);
	return xasprintf("%s\n", json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY));
}

static int read_key(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
		    struct berth_error *err)
{
	struct json_object *v = get(cfg, k);

	if (k->read)
		return k->read(rc, k, cfg, err);
	if (k->type == RUN_BOOL) {
		*FIELD(bool, rc, k->field) =
			v ? json_object_get_boolean(v) : (k->how & RUN_TRUE_UNLESS_SAID) != 0;
	} else if (k->type == RUN_STRING) {
		char **f = FIELD(char *, rc, k->field);
		const char *s = v && json_object_is_type(v, json_type_string)
					? json_object_get_string(v)
					: NULL;
		free(*f);
		*f = s && (*s || !(k->how & RUN_NULL_AS_EMPTY)) ? xstrdup(s) : NULL;
	} else if (k->type == RUN_STRV) {
		strv_free(*FIELD(char **, rc, k->field));
		*FIELD(char **, rc, k->field) =
			strv_from_json_key(cfg, k->record, FIELD(size_t, rc, k->count));
	}
	return 0;
}

int run_config_from_json(struct run_config *rc, struct json_object *cfg, struct berth_error *err)
{
	for (size_t i = 0; i < run_config_n_keys; i++)
		if (run_config_keys[i].record && read_key(rc, &run_config_keys[i], cfg, err) < 0)
			return -1;
	return 0;
}
