// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-run.c: `berth run`, `berth ps` and `berth rm`. `run` parses its
 * flags into spec_flags and a launch_spec, records the container and
 * hands it to launch_run(); it stays attached and exits with the
 * container's status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../netns/hostloop.h"
#include "../netns/ports.h"
#include "../netns/slirp.h"
#include "../runner/caps.h"
#include "cli.h"
#include "../lib/console.h"
#include "../runner/container.h"
#include "../image/image.h"
#include "../runner/launch.h"
#include "../runner/monitor.h"
#include "../image/mount.h"
#include "cmd-profile.h"
#include "cmd-stack.h"
#include "../runner/mountspec.h"
#include "../objects/network.h"
#include "../lib/proctitle.h"
#include "../lib/userns.h"
#include "../runner/seccomp-filter.h"
#include "../runner/seccomp-json.h"
#include "../objects/secret.h"
#include "../runner/secretspec.h"
#include "../runner/spec.h"
#include "../runner/users.h"
#include "../lib/userconf.h"
#include "../lib/util.h"
#include "../objects/volume.h"

struct run_flags {
	struct spec_flags sf;
	const char *name, *network;
	bool rm, init, read_only, interactive, nnp, seccomp, detach, tty, keep_id;
	const char *seccomp_file;	     /* --security-opt seccomp=FILE */
	struct json_object *seccomp_profile; /* its content, for the record */
	char **cap_add, **cap_drop;
	size_t n_cap_add, n_cap_drop;
	struct mount_req *mounts; /* -v, --mount, --tmpfs, then the image's VOLUMEs */
	size_t n_mounts;
	struct secret_ref *secrets;
	size_t n_secrets;
	char **volumes_from;
	size_t n_volumes_from;
	const char *image_ref; /* IMAGE as given */
	bool publish_all;
	struct hostloop hl; /* --host-loopback, --no-host-loopback, else berth.conf's */
	bool hl_given;
	struct port_map *ports; /* -p, then -P's */
	size_t n_ports;
	char **add_hosts, **dns; /* --add-host as "IP\tNAME", --dns */
	size_t n_add_hosts, n_dns;
	char **aliases; /* --network-alias */
	size_t n_aliases;
	char **labels; /* --label KEY=VALUE */
	size_t n_labels;
	const char *profile; /* --profile */
	int opt_end;	     /* argv's first argument after the options */
	bool user_net;	     /* --network NAME */
	struct network net;  /* its record (check_run) */
	char *hostname;
	char *keep_id_user; /* "UID:GID" when keep-id picks the user */
	const char *stop_signal;
	long stop_timeout; /* -1: docker's 10 s */
	struct launch_rlimit ulimits[16];
	size_t n_ulimits;
};

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
static int ulimit_flag(struct run_flags *f, const char *arg)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *eq = strchr(copy, '='), *colon;
	size_t i;

	if (!eq || f->n_ulimits == ARRAY_SIZE(f->ulimits))
		return cli_usage_error("run", "--ulimit \"%s\": expected NAME=SOFT[:HARD]", arg);
	*eq = '\0';
	for (i = 0; i < ARRAY_SIZE(rlimit_names) && strcmp(rlimit_names[i].name, copy); i++)
		;
	if (i == ARRAY_SIZE(rlimit_names))
		return cli_usage_error("run",
				       "--ulimit \"%s\": unknown limit \"%s\" (nofile, nproc, "
				       "core, stack, memlock, ...)",
				       arg, copy);
	struct launch_rlimit *l = &f->ulimits[f->n_ulimits];
	l->resource = rlimit_names[i].resource;
	if ((colon = strchr(eq + 1, ':')))
		*colon = '\0';
	if (!parse_limit(eq + 1, &l->lim.rlim_cur) ||
	    !parse_limit(colon ? colon + 1 : eq + 1, &l->lim.rlim_max) ||
	    (l->lim.rlim_max != RLIM_INFINITY && l->lim.rlim_cur > l->lim.rlim_max))
		return cli_usage_error("run", "--ulimit \"%s\": expected numbers, soft <= hard",
				       arg);
	f->n_ulimits++;
	return 0;
}

const char *run_limits_unsupported(void)
{
	return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
		       ? "resource limits through a delegated cgroup v2 subtree are not built yet"
		       : "resource limits need cgroup v2 with a delegated subtree; this machine "
			 "runs cgroup v1, where a user cannot set them";
}

/* --memory, --cpus, --pids-limit: refused with the reason, never ignored */
static int limit_flag(const char *flag)
{
	return cli_usage_error("run", "%s: %s", flag, run_limits_unsupported());
}

static int usage_from(const char *verb, struct berth_error *e)
{
	/* a parse error's EINVAL adds nothing to its message */
	_cleanup_free_ char *t = e->errnum == EINVAL ? xstrdup(e->msg) : berth_error_text(e);
	berth_error_clear(e);
	return cli_usage_error(verb, "%s", t);
}

/* -v, --mount, --tmpfs: parsed now, so a bad one stops run before
 * anything is made */
static int mount_flag(struct run_flags *f, int c, const char *arg, const char *verb)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	struct mountspec_env env = { .cwd = cwd, .home = getenv("HOME") };
	struct berth_error e = { 0 };
	struct mount_req *m;
	int r;

	f->mounts = xrealloc(f->mounts, (f->n_mounts + 1) * sizeof(*f->mounts));
	m = &f->mounts[f->n_mounts++];
	r = c == 'v'	     ? mountspec_parse_volume(arg, &env, m, &e)
	    : c == 'M' + 256 ? mountspec_parse_mount(arg, &env, m, &e)
			     : mountspec_parse_tmpfs(arg, m, &e);
	if (r < 0)
		return usage_from(verb, &e);
	if (m->selinux_opt)
		fprintf(stderr,
			"berth: note: -v %s: z and Z (SELinux relabelling) are ignored: berth "
			"never relabels host files\n",
			arg);
	return 0;
}

static void push(char ***v, size_t *n, const char *s)
{
	strv_push(v, n, s);
}

/* --add-host NAME:IP (the IP may be IPv6, so the name ends at the first
 * colon) */
static int add_host_flag(struct run_flags *f, const char *arg, const char *verb)
{
	const char *colon = strchr(arg, ':');
	unsigned char a[16];

	if (!colon || colon == arg ||
	    (inet_pton(AF_INET, colon + 1, a) != 1 && inet_pton(AF_INET6, colon + 1, a) != 1) ||
	    strpbrk(arg, " \t\n#"))
		return cli_usage_error(verb, "--add-host %s: expected NAME:IP", arg);
	_cleanup_free_ char *line = xasprintf("%s\t%.*s", colon + 1, (int)(colon - arg), arg);
	push(&f->add_hosts, &f->n_add_hosts, line);
	return 0;
}

static int security_opt(struct run_flags *f, const char *arg, const char *verb)
{
	if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
	    !strcmp(arg, "no-new-privileges:true"))
		f->nnp = true;
	else if (!strcmp(arg, "no-new-privileges=false") || !strcmp(arg, "no-new-privileges:false"))
		f->nnp = false;
	else if (!strcmp(arg, "seccomp=unconfined") || !strcmp(arg, "seccomp:unconfined")) {
		f->seccomp = false;
		f->seccomp_file = NULL;
	} else if ((str_has_prefix(arg, "seccomp=") || str_has_prefix(arg, "seccomp:")) && arg[8]) {
		/* a docker JSON profile, read (and copied) when the
		 * container is made */
		f->seccomp = true;
		f->seccomp_file = arg + 8;
	} else
		return cli_usage_error(
			verb,
			"--security-opt \"%s\": expected no-new-privileges[=true|false], "
			"seccomp=unconfined or seccomp=FILE (a JSON profile)",
			arg);
	return 0;
}

/* What was asked, for the record (config.json). */
static char *config_json(const struct run_flags *f, const char *image, const struct spec *sp,
			 uint64_t caps, struct json_object *image_config)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *argv = json_object_new_array(), *env = json_object_new_array();

	for (size_t i = 0; i < sp->n_argv; i++)
		json_object_array_add(argv, json_object_new_string(sp->argv[i]));
	for (size_t i = 0; i < sp->n_env; i++)
		json_object_array_add(env, json_object_new_string(sp->env[i]));
	json_object_object_add(o, "Image", json_object_new_string(image));
	/* the name it was run by, for ps (docker shows what was typed) */
	if (f->image_ref)
		json_object_object_add(o, "ImageName", json_object_new_string(f->image_ref));
	json_object_object_add(o, "Cmd", argv);
	json_object_object_add(o, "Env", env);
	json_object_object_add(o, "WorkingDir", json_object_new_string(sp->workdir));
	json_object_object_add(o, "User", json_object_new_string(sp->user ? sp->user : ""));
	json_object_object_add(o, "Hostname", json_object_new_string(f->hostname));
	/* what exec needs to give its processes the same confinement */
	_cleanup_free_ char *capstr = xasprintf("%016llx", (unsigned long long)caps);
	json_object_object_add(o, "Caps", json_object_new_string(capstr));
	json_object_object_add(o, "NoNewPrivileges", json_object_new_boolean(f->nnp));
	json_object_object_add(o, "Seccomp", json_object_new_boolean(f->seccomp));
	/* a profile's content, as docker keeps it: the file may change or go,
	 * start and exec use this copy */
	if (f->seccomp && f->seccomp_profile) {
		json_object_object_add(o, "SeccompProfile", json_object_get(f->seccomp_profile));
		json_object_object_add(o, "SeccompProfileFile",
				       json_object_new_string(f->seccomp_file));
	}
	if (f->stop_signal)
		json_object_object_add(o, "StopSignal", json_object_new_string(f->stop_signal));
	if (f->stop_timeout >= 0)
		json_object_object_add(o, "StopTimeout", json_object_new_int64(f->stop_timeout));
	/* and what start needs to run it again */
	struct json_object *ul = json_object_new_array(), *c = NULL, *iv;
	for (size_t i = 0; i < f->n_ulimits; i++) {
		_cleanup_free_ char *u = xasprintf("%d %llu %llu", f->ulimits[i].resource,
						   (unsigned long long)f->ulimits[i].lim.rlim_cur,
						   (unsigned long long)f->ulimits[i].lim.rlim_max);
		json_object_array_add(ul, json_object_new_string(u));
	}
	json_object_object_add(o, "Mounts", mountspec_to_json(f->mounts, f->n_mounts));
	/* secrets by name only: their values are read at each start */
	json_object_object_add(o, "Secrets", secretspec_to_json(f->secrets, f->n_secrets));
	json_object_object_add(o, "KeepId", json_object_new_boolean(f->keep_id));
	json_object_object_get_ex(image_config, "config", &c);
	/* the image's labels, then --label over them */
	struct json_object *labels = json_object_new_object();
	if (c && json_object_object_get_ex(c, "Labels", &iv) &&
	    json_object_is_type(iv, json_type_object)) {
		json_object_object_foreach(iv, lk, lv)
		{
			json_object_object_add(labels, lk, json_object_get(lv));
		}
	}
	for (size_t i = 0; i < f->n_labels; i++) {
		const char *eq = strchr(f->labels[i], '=');
		_cleanup_free_ char *k = eq ? xstrndup(f->labels[i], (size_t)(eq - f->labels[i]))
					    : xstrdup(f->labels[i]);
		json_object_object_add(labels, k, json_object_new_string(eq ? eq + 1 : ""));
	}
	json_object_object_add(o, "Labels", labels);
	if (c && json_object_object_get_ex(c, "ExposedPorts", &iv))
		json_object_object_add(o, "ExposedPorts", json_object_get(iv));
	json_object_object_add(o, "Ulimits", ul);
	json_object_object_add(o, "ReadOnly", json_object_new_boolean(f->read_only));
	json_object_object_add(o, "Init", json_object_new_boolean(f->init));
	json_object_object_add(o, "Tty", json_object_new_boolean(f->tty));
	json_object_object_add(o, "Interactive", json_object_new_boolean(f->interactive));
	json_object_object_add(o, "AutoRemove", json_object_new_boolean(f->rm));
	json_object_object_add(o, "Network", json_object_new_string(f->network));
	hostloop_to_json(&f->hl, o);
	struct json_object *al = json_object_new_array();
	for (size_t i = 0; i < f->n_aliases; i++)
		json_object_array_add(al, json_object_new_string(f->aliases[i]));
	json_object_object_add(o, "NetworkAliases", al);
	json_object_object_add(o, "Ports", ports_to_json(f->ports, f->n_ports));
	json_object_object_add(o, "Created", json_object_new_int64((int64_t)time(NULL)));
	return xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

static int parse_run(int argc, char **argv, struct run_flags *f, const char *verb)
{
	static const struct cli_opt opts[] = {
		{ "detach", 'd', NULL, "Run in the background and print the container's ID" },
		{ "rm", 'R' + 256, NULL, "Remove the container when it exits" },
		{ "name", 'N' + 256, "NAME", "Name the container" },
		{ "env", 'e', "KEY[=VALUE]",
		  "Set an environment variable (KEY alone: the host's)" },
		{ "env-file", 'E' + 256, "FILE", "Read environment variables from a file" },
		{ "workdir", 'w', "DIR", "Working directory inside the container" },
		{ "user", 'u', "USER[:GROUP]", "User (name or uid) and group to run as" },
		{ "entrypoint", 'P' + 256, "CMD", "Override the image's entrypoint" },
		{ "hostname", 'h', "NAME", "Container host name" },
		{ "interactive", 'i', NULL, "Keep stdin open" },
		{ "tty", 't', NULL, "Give the container a terminal" },
		{ "init", 'I' + 256, NULL, "Run a tiny init as pid 1 (reaps, forwards signals)" },
		{ "read-only", 'O' + 256, NULL, "Mount the root filesystem read-only" },
		{ "tmpfs", 'T' + 256, "PATH[:OPTS]", "Mount a tmpfs" },
		{ "volume", 'v', "[SRC:]DST[:OPTS]",
		  "Mount a volume (NAME:DST, or DST for an anonymous one) or a host path "
		  "(/abs, ./rel or ~/...); OPTS ro, rw, nocopy, z, Z" },
		{ "mount", 'M' + 256, "type=bind|volume|tmpfs,src=,dst=[,readonly]",
		  "Mount, docker's long form" },
		{ "secret", 'K' + 256, "NAME[,OPTS]",
		  "Give the container a secret: a file in /run/secrets, or with "
		  "type=env a variable; OPTS target=, mode=, uid=, gid=" },
		{ "volumes-from", 'F' + 256, "CONTAINER[:ro|rw]",
		  "Mount the volumes and bind mounts of another container" },
		{ "userns", 'u' + 512, "keep-id",
		  "keep-id: run as your own uid inside, bind-mounted files look like yours" },
		{ "cap-add", 'A' + 256, "CAP", "Add a capability (or ALL)" },
		{ "cap-drop", 'D' + 256, "CAP", "Drop a capability (or ALL)" },
		{ "security-opt", 'S' + 256, "OPT",
		  "no-new-privileges[=false], seccomp=unconfined, seccomp=FILE (a docker JSON "
		  "profile)" },
		{ "network", 'n' + 256, "MODE",
		  "slirp4netns (default: outbound access, host.docker.internal), none (a "
		  "loopback only), host, or a user network's NAME" },
		{ "network-alias", 'a' + 512, "ALIAS",
		  "Another name the containers of its user network know it by" },
		{ "no-host-loopback", 'L' + 256, NULL,
		  "The host's 127.0.0.1 is out of reach (no host.docker.internal)" },
		{ "host-loopback", 'G' + 256, "[=true|false|PORTS]",
		  "The host's 127.0.0.1 through host.docker.internal: every port (the default, "
		  "unless berth.conf says false), none, or only PORTS (5432,6379,53/udp)" },
		{ "publish", 'p', "[IP:][HPORT:]CPORT[/udp]",
		  "Publish a container port (or range) on the host, on 127.0.0.1 unless an IP "
		  "is given; no HPORT: a free one" },
		{ "publish-all", 'P', NULL, "Publish every port the image exposes, on free ports" },
		{ "add-host", 'H' + 256, "NAME:IP", "Add a line to /etc/hosts" },
		{ "label", 'l' + 512, "KEY=VALUE",
		  "Set a label on the container (over the image's)" },
		{ "profile", 'F' + 512, "FILE",
		  "Start from a profile's settings (berth profile show FILE); flags given here "
		  "override them" },
		{ "dns", 'D' + 512, "IP", "A nameserver for /etc/resolv.conf" },
		{ "stop-signal", 's' + 256, "SIG",
		  "Signal that stop sends (default the image's, TERM)" },
		{ "stop-timeout", 'x' + 256, "SECONDS", "How long stop waits before SIGKILL (10)" },
		{ "ulimit", 'U' + 256, "NAME=SOFT[:HARD]",
		  "Set a resource limit (nofile, nproc, ...)" },
		{ "memory", 'm', "BYTES", "Memory limit (needs cgroup v2 delegation)" },
		{ "cpus", 'c' + 256, "N", "CPU limit (needs cgroup v2 delegation)" },
		{ "pids-limit", 'p' + 256, "N", "Process limit (needs cgroup v2 delegation)" },
		{ 0 },
	};
	_cleanup_free_ char *usage = xasprintf("%s [OPTIONS] IMAGE [COMMAND [ARG...]]", verb);
	int c;

	f->nnp = f->seccomp = true;
	f->stop_timeout = -1;
	/* options end at the image: what follows is the container's */
	setenv("POSIXLY_CORRECT", "1", 1);
	while ((c = cli_getopt(argc, argv, verb, usage, opts)) != -1) {
		switch (c) {
		case 'd': f->detach = true; break;
		case 'R' + 256: f->rm = true; break;
		case 'N' + 256: f->name = optarg; break;
		case 'e': push(&f->sf.env, &f->sf.n_env, optarg); break;
		case 'E' + 256: push(&f->sf.env_files, &f->sf.n_env_files, optarg); break;
		case 'w': f->sf.workdir = optarg; break;
		case 'u': f->sf.user = optarg; break;
		case 'P' + 256: f->sf.entrypoint = optarg; break;
		case 'h': f->hostname = xstrdup(optarg); break;
		case 'i': f->interactive = true; break;
		case 't': f->tty = true; break;
		case 'I' + 256: f->init = true; break;
		case 'O' + 256: f->read_only = true; break;
		case 'T' + 256:
		case 'v':
		case 'M' + 256:
			if (mount_flag(f, c, optarg, verb))
				return EXIT_USAGE;
			break;
		case 'F' + 256: push(&f->volumes_from, &f->n_volumes_from, optarg); break;
		case 'K' + 256: {
			struct berth_error e = { 0 };
			f->secrets = xrealloc(f->secrets, (f->n_secrets + 1) * sizeof(*f->secrets));
			if (secretspec_parse(optarg, &f->secrets[f->n_secrets++], &e) < 0)
				return usage_from(verb, &e);
			break;
		}
		case 'u' + 512:
			if (strcmp(optarg, "keep-id") && strcmp(optarg, ""))
				return cli_usage_error(verb,
						       "--userns %s: berth has keep-id (and the "
						       "default, a private namespace)",
						       optarg);
			f->keep_id = !strcmp(optarg, "keep-id");
			break;
		case 'A' + 256: push(&f->cap_add, &f->n_cap_add, optarg); break;
		case 'D' + 256: push(&f->cap_drop, &f->n_cap_drop, optarg); break;
		case 'S' + 256:
			if (security_opt(f, optarg, verb))
				return EXIT_USAGE;
			break;
		case 'n' + 256: f->network = optarg; break;
		case 'a' + 512:
			if (!network_name_valid(optarg))
				return cli_usage_error(verb,
						       "--network-alias \"%s\": a name is letters, "
						       "digits and _.- (at most 64)",
						       optarg);
			push(&f->aliases, &f->n_aliases, optarg);
			break;
		case 'L' + 256:
			f->hl = (struct hostloop){ .mode = HOSTLOOP_OFF };
			f->hl_given = true;
			break;
		case 'G' + 256: {
			struct berth_error e = { 0 };
			if (hostloop_parse(optarg, &f->hl, &e) < 0) {
				berth_error_wrap(&e, "--host-loopback=%s (true, false or ports)",
						 optarg);
				return usage_from(verb, &e);
			}
			f->hl_given = true;
			break;
		}
		case 'p': {
			struct berth_error e = { 0 };
			if (ports_parse(optarg, &f->ports, &f->n_ports, &e) < 0)
				return usage_from(verb, &e);
			break;
		}
		case 'P': f->publish_all = true; break;
		case 'H' + 256:
			if (add_host_flag(f, optarg, verb))
				return EXIT_USAGE;
			break;
		case 'F' + 512: f->profile = optarg; break;
		case 'l' + 512:
			if (!*optarg || *optarg == '=')
				return cli_usage_error(verb, "--label \"%s\": expected KEY=VALUE",
						       optarg);
			push(&f->labels, &f->n_labels, optarg);
			break;
		case 'D' + 512: {
			unsigned char a[16];
			if (inet_pton(AF_INET, optarg, a) != 1 &&
			    inet_pton(AF_INET6, optarg, a) != 1)
				return cli_usage_error(verb, "--dns %s: expected an IP address",
						       optarg);
			push(&f->dns, &f->n_dns, optarg);
			break;
		}
		case 's' + 256:
			if (signal_from_name(optarg) < 0)
				return cli_usage_error(verb, "--stop-signal %s: not a signal",
						       optarg);
			f->stop_signal = optarg;
			break;
		case 'x' + 256: {
			char *end;
			f->stop_timeout = strtol(optarg, &end, 10);
			if (!*optarg || *end || f->stop_timeout < 0)
				return cli_usage_error(verb, "--stop-timeout %s: expected seconds",
						       optarg);
			break;
		}
		case 'U' + 256:
			if (ulimit_flag(f, optarg))
				return EXIT_USAGE;
			break;
		case 'm': return limit_flag("--memory");
		case 'c' + 256: return limit_flag("--cpus");
		case 'p' + 256: return limit_flag("--pids-limit");
		default: return EXIT_USAGE;
		}
	}
	unsetenv("POSIXLY_CORRECT");
	f->opt_end = optind;
	if (f->profile) /* checked again once the profile's flags are in */
		return 0;
	/* a detached container gets the tiny init unasked: nobody else
	 * would reap its orphans or pass it the signals of stop */
	if (f->detach)
		f->init = true;
	if (optind >= argc)
		return cli_usage_error(verb, "an IMAGE is required");
	if (!f->network || !*f->network || !strcmp(f->network, "default") ||
	    !strcmp(f->network, "bridge"))
		f->network = "slirp4netns"; /* docker's default network, the rootless way */
	f->user_net = !network_name_reserved(f->network);
	if (f->user_net && !network_name_valid(f->network))
		return cli_usage_error(verb,
				       "--network %s: not a mode (slirp4netns, none, host) nor a "
				       "network name (berth network ls)",
				       f->network);
	if (f->hl_given && !f->user_net && strcmp(f->network, "slirp4netns"))
		return cli_usage_error(verb, "--host-loopback and --no-host-loopback are for "
					     "--network slirp4netns or a user network");
	if (f->n_aliases > 0 && !f->user_net)
		return cli_usage_error(verb, "--network-alias is for a user network (--network "
					     "NAME)");
	/* the shared user namespace is mapped the ordinary way */
	if (f->keep_id && f->user_net)
		return cli_usage_error(verb, "--userns=keep-id cannot join a user network: its "
					     "containers share one user namespace, mapped the "
					     "default way");
	if (f->name && (!*f->name || strchr(f->name, '/') || strlen(f->name) > 128))
		return cli_usage_error(verb, "--name \"%s\": a name is 1-128 characters, no '/'",
				       f->name);
	return 0;
}

static void run_flags_free(struct run_flags *f)
{
	char **vs[] = { f->sf.env,    f->sf.env_files, f->cap_add, f->cap_drop, f->volumes_from,
			f->add_hosts, f->dns,	       f->aliases, f->labels };
	for (size_t i = 0; i < ARRAY_SIZE(vs); i++)
		strv_free(vs[i]);
	mount_reqs_free(f->mounts, f->n_mounts);
	network_clear(&f->net);
	free(f->ports);
	for (size_t i = 0; i < f->n_secrets; i++)
		secret_ref_clear(&f->secrets[i]);
	free(f->secrets);
	free(f->hostname);
	free(f->keep_id_user);
	if (f->seccomp_profile)
		json_object_put(f->seccomp_profile);
}

/* --volumes-from C[:ro|rw]: C's volumes and bind mounts on the same
 * targets, unless this container mounts something there itself; its
 * anonymous volumes stay anonymous (rm -v of the last user removes them). */
static int add_volumes_from(struct store *s, struct run_flags *f, struct berth_error *err)
{
	for (size_t i = 0; i < f->n_volumes_from; i++) {
		_cleanup_free_ char *ref = xstrdup(f->volumes_from[i]);
		_cleanup_json_ struct json_object *cfg = NULL;
		struct json_object *arr = NULL;
		struct mount_req *m = NULL;
		size_t n = 0;
		char id[CONTAINER_ID_LEN + 1], *mode = strrchr(ref, ':');
		int ro = -1;
		if (mode && (!strcmp(mode, ":ro") || !strcmp(mode, ":rw"))) {
			ro = mode[2] == 'o';
			*mode = '\0';
		}
		if (container_resolve(s, ref, id, err) < 0)
			return berth_error_wrap(err, "--volumes-from %s", f->volumes_from[i]);
		if (!(cfg = container_config(s, id, err)))
			return -1;
		json_object_object_get_ex(cfg, "Mounts", &arr);
		if (mountspec_from_json(arr, &m, &n, err) < 0)
			return -1;
		for (size_t j = 0; j < n; j++) {
			bool taken = m[j].kind == MOUNT_TMPFS;
			for (size_t k = 0; k < f->n_mounts && !taken; k++)
				taken = !strcmp(f->mounts[k].target, m[j].target);
			if (taken)
				continue;
			if (ro >= 0)
				m[j].readonly = ro;
			f->mounts = xrealloc(f->mounts, (f->n_mounts + 1) * sizeof(*f->mounts));
			f->mounts[f->n_mounts++] = m[j];
			memset(&m[j], 0, sizeof(m[j]));
		}
		mount_reqs_free(m, n);
	}
	return 0;
}

/* The image's VOLUMEs become anonymous volumes, unless a mount of the
 * command line has that target (docker's rule). */
static void add_image_volumes(struct run_flags *f, struct json_object *image_config)
{
	struct json_object *c, *iv;

	if (!json_object_object_get_ex(image_config, "config", &c) ||
	    !json_object_object_get_ex(c, "Volumes", &iv) ||
	    !json_object_is_type(iv, json_type_object))
		return;
	json_object_object_foreach(iv, key, val)
	{
		(void)val;
		_cleanup_free_ char *t = mountspec_clean_path(key);
		bool taken = !t || !strcmp(t, "/");
		for (size_t i = 0; i < f->n_mounts && !taken; i++)
			taken = !strcmp(f->mounts[i].target, t);
		if (taken)
			continue;
		f->mounts = xrealloc(f->mounts, (f->n_mounts + 1) * sizeof(*f->mounts));
		f->mounts[f->n_mounts++] = (struct mount_req){ .kind = MOUNT_VOLUME,
							       .target = steal_pointer(&t),
							       .anonymous = true };
	}
}

/* Make the volumes the mounts name (under the volume lock, which the
 * caller holds until the container's record names them); made[i] says
 * which are new, for undo_volumes. */
static int make_volumes(struct store *s, struct run_flags *f, bool *made, struct berth_error *err)
{
	for (size_t i = 0; i < f->n_mounts; i++) {
		struct mount_req *m = &f->mounts[i];
		char *name = NULL;
		if (m->kind != MOUNT_VOLUME)
			continue;
		if (volume_ensure(s, m->source, NULL, 0, m->anonymous, &name, &made[i], err) < 0)
			return -1;
		free(m->source);
		m->source = name;
	}
	return 0;
}

static void undo_volumes(struct store *s, struct run_flags *f, const bool *made)
{
	for (size_t i = 0; i < f->n_mounts; i++)
		if (made[i] && f->mounts[i].source) {
			struct berth_error e = { 0 };
			volume_remove(s, f->mounts[i].source, &e);
			berth_error_clear(&e);
		}
}

/* /etc/hosts beyond localhost and the container's name: the way to the
 * host (slirp's mapping of its loopback, or the loopback itself with
 * --network host), then --add-host. */
static char *hosts_extra(const struct run_flags *f)
{
	char gw[INET_ADDRSTRLEN] = NETNS_SLIRP_HOST;
	if (f->user_net) { /* slirp's gateway in the network's subnet */
		struct in_addr a = network_host(&f->net.subnet, 2);
		inet_ntop(AF_INET, &a, gw, sizeof(gw));
	}
	const char *host =
		!strcmp(f->network, "host") ? "127.0.0.1"
		: (!strcmp(f->network, "slirp4netns") || (f->user_net && !f->net.internal)) &&
				f->hl.mode != HOSTLOOP_OFF
			? gw
			: NULL;
	char *out = host ? xasprintf("%s\thost.docker.internal host.containers.internal\n", host)
			 : xstrdup("");

	for (size_t i = 0; i < f->n_add_hosts; i++) {
		char *n = xasprintf("%s%s\n", out, f->add_hosts[i]);
		free(out);
		out = n;
	}
	return out;
}

/* /etc/resolv.conf: --dns, else slirp's forwarder, else the host's (NULL) */
static char *resolv_for(const struct run_flags *f)
{
	_cleanup_free_ char *opts = NULL;
	char *out;

	if (f->n_dns == 0 && strcmp(f->network, "slirp4netns") && !f->user_net)
		return NULL;
	opts = container_host_resolv(true);
	out = xstrdup(opts);
	if (f->n_dns == 0 && f->user_net && f->net.internal)
		return out; /* nothing to ask outside */
	if (f->n_dns == 0) {
		char dns[INET_ADDRSTRLEN] = NETNS_SLIRP_DNS;
		if (f->user_net) {
			struct in_addr a = network_host(&f->net.subnet, 3);
			inet_ntop(AF_INET, &a, dns, sizeof(dns));
		}
		char *n = xasprintf("nameserver %s\n%s", dns, out);
		free(out);
		return n;
	}
	for (size_t i = f->n_dns; i-- > 0;) {
		char *n = xasprintf("nameserver %s\n%s", f->dns[i], out);
		free(out);
		out = n;
	}
	return out;
}

/* The way to the host's loopback: the command line's, else berth.conf's
 * (every port unless it says false); none where there is no gateway. */
static int host_loopback_choice(struct run_flags *f, struct berth_error *err)
{
	if (!f->hl_given) {
		struct userconf conf;
		int r = userconf_load(&conf, err);
		f->hl = (struct hostloop){ .mode = conf.host_loopback ? HOSTLOOP_ALL
								      : HOSTLOOP_OFF };
		userconf_clear(&conf);
		if (r < 0)
			return -1;
	}
	if (f->user_net && f->net.internal) {
		if (f->hl_given && f->hl.mode != HOSTLOOP_OFF)
			return berth_error_set(err, EINVAL,
					       "--host-loopback: network %s is --internal, it has "
					       "no way to the host",
					       f->network);
		f->hl.mode = HOSTLOOP_OFF;
	}
	if (!f->user_net && strcmp(f->network, "slirp4netns"))
		f->hl = (struct hostloop){ .mode = HOSTLOOP_OFF }; /* none; host: the host's own */
	return 0;
}

/* Everything checked before anything is made: mount targets, secrets,
 * the network's tools. */
static int check_run(struct store *s, struct run_flags *f, struct berth_error *err)
{
	if (f->user_net && network_load(s, f->network, &f->net, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		berth_error_clear(err);
		return berth_error_set(err, ENOENT,
				       "--network %s: no such network (berth network create %s)",
				       f->network, f->network);
	}
	if ((!strcmp(f->network, "slirp4netns") || (f->user_net && !f->net.internal)) &&
	    netns_slirp_check(err) < 0)
		return -1;
	if (host_loopback_choice(f, err) < 0)
		return -1;
	if (ports_check_duplicates(f->ports, f->n_ports, err) < 0)
		return -1;
	if (f->n_ports > 0 && !strcmp(f->network, "none"))
		return berth_error_set(err, EINVAL, "-p: --network none has nothing to publish");
	if (f->n_ports > 0 && !strcmp(f->network, "host"))
		return berth_error_set(err, EINVAL,
				       "-p: with --network host the container's ports are the "
				       "host's already");
	/* a port in use or below the unprivileged floor: said now, not at
	 * start (the ports are bound for good when the container starts) */
	_cleanup_free_ struct port_map *trial = xcalloc(f->n_ports + 1, sizeof(*trial));
	_cleanup_free_ int *fds = xcalloc(f->n_ports + 1, sizeof(int));
	if (f->n_ports > 0)
		memcpy(trial, f->ports, f->n_ports * sizeof(*trial));
	if (ports_bind(trial, f->n_ports, fds, err) < 0)
		return -1;
	for (size_t i = 0; i < f->n_ports; i++)
		close(fds[i]);
	if (mountspec_check_duplicates(f->mounts, f->n_mounts, err) < 0)
		return -1;
	struct userns_map um;
	if (f->keep_id)
		userns_plan_keep_id(&um, err); /* checked before: cannot fail here */
	else
		userns_plan(&um);
	for (size_t i = 0; i < f->n_secrets; i++)
		if (!f->secrets[i].env && (!userns_maps_uid(&um, f->secrets[i].uid) ||
					   !userns_maps_gid(&um, f->secrets[i].gid)))
			return berth_error_set(err, EINVAL,
					       "--secret %s: uid %u / gid %u is not mapped in the "
					       "container's user namespace%s",
					       f->secrets[i].name, f->secrets[i].uid,
					       f->secrets[i].gid,
					       um.ranged ? ""
							 : " (without a subuid range only root "
							   "exists)");
	for (size_t i = 0; i < f->n_secrets; i++)
		if (!secret_exists(s, f->secrets[i].name))
			return berth_error_set(err, ENOENT,
					       "--secret %s: no such secret (berth secret create "
					       "%s FILE)",
					       f->secrets[i].name, f->secrets[i].name);
	return 0;
}

/* A profile's mount or port that the command line sets again goes: the
 * command line's is the one that counts. */
static bool not_overridden(const struct profile_setting *st, void *arg)
{
	const struct run_flags *f = arg;
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

/* --security-opt seccomp=FILE: read and checked before anything is
 * made, compiled once for the container's capabilities (which catches
 * rules libseccomp refuses, and leaves the filter in the cache for
 * start). */
static int seccomp_check(struct store *s, struct run_flags *f, uint64_t caps,
			 struct berth_error *err)
{
	struct seccomp_filters sf;
	int cachefd, r;

	if (seccomp_profile_read(f->seccomp_file, &f->seccomp_profile, err) < 0)
		return -1;
	cachefd = seccomp_cache_dir(s->rootfd);
	r = seccomp_filters_prepare(cachefd, caps, f->seccomp_profile, f->seccomp_file, &sf, err);
	if (cachefd >= 0)
		close(cachefd);
	seccomp_filters_clear(&sf);
	return r;
}

static int run_or_create(int argc, char **argv, bool create_only);

/* run --profile: the profile's flags, then the command line's (the later
 * wins), then IMAGE and COMMAND from the command line or the profile. */
static int run_with_profile(int argc, char **argv, struct run_flags *f, bool create_only)
{
	const char *verb = create_only ? "create" : "run";
	struct berth_error err = { 0 };
	struct profile p = { 0 };
	struct profile_args pa = { 0 };
	int r;

	if (profile_load(f->profile, &p, &err) < 0) {
		r = cli_fail(&err);
		return r == 1 ? EXIT_USAGE : r;
	}
	/* what the profile loosens is said, and does not stop the run */
	profile_warn(&p, NULL, NULL);
	/* what only the store can tell, with file:line, before anything */
	if (profile_check_store(&p, f->opt_end >= argc, &err) < 0 ||
	    profile_check_host_loopback(&p, f->hl_given, &err) < 0 ||
	    profile_run_args(&p, NULL, not_overridden, f, run_limits_unsupported(), &pa, &err) <
		    0) {
		profile_free(&p);
		r = cli_fail(&err);
		return r == 1 ? EXIT_USAGE : r;
	}
	if (f->opt_end >= argc && !pa.image) {
		profile_args_free(&pa);
		profile_free(&p);
		return cli_usage_error(verb, "an IMAGE is required (none in %s either)",
				       f->profile);
	}
	char **nargv =
		xcalloc((size_t)argc + pa.n_args + 2 * pa.n_env + pa.n_cmd + 3, sizeof(char *));
	int n = 0;
	nargv[n++] = argv[0];
	for (size_t i = 0; i < pa.n_args; i++)
		nargv[n++] = pa.args[i];
	/* (a vector in memory, parsed here: never a process's command line) */
	for (size_t i = 0; i < pa.n_env; i++) {
		nargv[n++] = "-e";
		nargv[n++] = pa.env[i];
	}
	for (int i = 1; i < f->opt_end; i++) {
		if (!strcmp(argv[i], "--profile")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--profile=", 10))
			continue;
		nargv[n++] = argv[i];
	}
	if (f->opt_end < argc) {
		for (int i = f->opt_end; i < argc; i++)
			nargv[n++] = argv[i];
	} else {
		nargv[n++] = pa.image;
		for (size_t i = 0; i < pa.n_cmd; i++)
			nargv[n++] = pa.cmd[i];
	}
	optind = 0; /* getopt starts over on the new vector */
	r = run_or_create(n, nargv, create_only);
	free(nargv);
	profile_args_free(&pa);
	profile_free(&p);
	return r;
}

static int run_or_create(int argc, char **argv, bool create_only)
{
	struct run_flags f = { 0 };
	struct berth_error err = { 0 };
	_cleanup_store_ struct store *s = NULL;
	_cleanup_json_ struct json_object *cfg = NULL;
	_cleanup_free_ char *lower = NULL, *cj = NULL;
	_cleanup_free_ bool *made = NULL;
	_cleanup_free_ char *hosts = NULL, *resolv = NULL;
	_cleanup_close_ int vlock = -1, nlock = -1;
	char image_id[DIGEST_STR_LEN + 1], id[CONTAINER_ID_LEN + 1];
	struct spec sp = { 0 };
	uint64_t caps;
	int r;

	if ((r = parse_run(argc, argv, &f, create_only ? "create" : "run")) != 0) {
		run_flags_free(&f);
		return r;
	}
	if (f.profile) {
		r = run_with_profile(argc, argv, &f, create_only);
		run_flags_free(&f);
		return r;
	}
	f.sf.cmd = argv + optind + 1;
	f.sf.n_cmd = (size_t)(argc - optind - 1);
	if ((r = cli_open_store(&s)) != 0)
		goto out;
	r = 1;
	if (caps_compute(f.cap_add, f.n_cap_add, f.cap_drop, f.n_cap_drop, &caps, &err) < 0 ||
	    (f.seccomp && f.seccomp_file && seccomp_check(s, &f, caps, &err) < 0) ||
	    image_resolve(s, argv[optind], image_id, &err) < 0 ||
	    !(cfg = image_config(s, image_id, &err)) ||
	    mount_lowerdir(s, image_id, &lower, &err) < 0)
		goto fail;
	/* the hostname defaults to the ID's start, so it is known before */
	char hostpart[13];
	if (!f.hostname) {
		unsigned char b[6];
		FILE *u = fopen("/dev/urandom", "re");
		if (!u || fread(b, 1, sizeof(b), u) != sizeof(b)) {
			if (u)
				fclose(u);
			berth_error_set(&err, errno, "/dev/urandom");
			goto fail;
		}
		fclose(u);
		for (int i = 0; i < 6; i++)
			snprintf(hostpart + 2 * i, 3, "%02x", b[i]);
		f.hostname = xstrdup(hostpart);
	}
	f.sf.hostname = f.hostname;
	f.sf.tty = f.tty;
	if (f.keep_id) {
		/* podman's keep-id: the user's own ids unless -u says else */
		struct userns_map um;
		if (userns_plan_keep_id(&um, &err) < 0)
			goto fail;
		if (!f.sf.user) {
			f.keep_id_user = xasprintf("%u:%u", um.uid, um.gid);
			f.sf.user = f.keep_id_user;
		}
	}
	if (spec_resolve(&f.sf, cfg, &sp, &err) < 0)
		goto fail;
	if (add_volumes_from(s, &f, &err) < 0)
		goto fail;
	if (f.publish_all) {
		struct json_object *c = NULL, *exposed = NULL;
		json_object_object_get_ex(cfg, "config", &c);
		if (c)
			json_object_object_get_ex(c, "ExposedPorts", &exposed);
		if (ports_from_exposed(exposed, &f.ports, &f.n_ports, &err) < 0)
			goto fail;
	}
	add_image_volumes(&f, cfg);
	if (check_run(s, &f, &err) < 0)
		goto fail;
	if (!f.stop_signal) { /* the image's StopSignal, when it names one */
		struct json_object *c, *v;
		if (json_object_object_get_ex(cfg, "config", &c) &&
		    json_object_object_get_ex(c, "StopSignal", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    signal_from_name(json_object_get_string(v)) > 0)
			f.stop_signal = json_object_get_string(v);
	}
	/* the volumes and the record that names them, as one step */
	made = xcalloc(f.n_mounts + 1, sizeof(bool));
	if ((vlock = volume_lock(s, &err)) < 0)
		goto fail;
	/* and the network it names stays until the record is there */
	if (f.user_net && (nlock = network_lock(s, &err)) < 0)
		goto fail;
	if (f.user_net && !network_exists(s, f.network)) {
		berth_error_set(&err, ENOENT, "--network %s: the network was removed meanwhile",
				f.network);
		goto fail;
	}
	if (make_volumes(s, &f, made, &err) < 0) {
		undo_volumes(s, &f, made);
		goto fail;
	}
	f.image_ref = argv[optind];
	cj = config_json(&f, image_id, &sp, caps, cfg);
	hosts = hosts_extra(&f);
	resolv = resolv_for(&f);
	struct container_new cn = { .image = image_id,
				    .name = f.name,
				    .hostname = f.hostname,
				    .config_json = cj,
				    .hosts_extra = hosts,
				    .resolv = resolv };
	if (container_create(s, &cn, id, &err) < 0) {
		undo_volumes(s, &f, made);
		goto fail;
	}
	close(steal_fd(&vlock));
	if (nlock >= 0)
		close(steal_fd(&nlock));
	/* what the processes of this container show to other users */
	char shortid[13];
	snprintf(shortid, sizeof(shortid), "%.12s", id);
	proctitle_set((const char *const[]){ "berth", create_only ? "create" : "run",
					     f.name ? f.name : shortid },
		      3);
	if (create_only) {
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	r = start_container(s, id, !f.detach, f.interactive);
	if (f.detach && r == 0)
		printf("%s\n", id);
	goto out;
fail:
	r = cli_fail(&err);
	if (r == 1)
		r = EXIT_USAGE; /* docker: the container never ran */
out:
	spec_clear(&sp);
	run_flags_free(&f);
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

/* A running container's published ports as docker's ps shows them
 * ("127.0.0.1:8080->80/tcp, ..."), each also added to arr when given. */
static char *ps_ports(struct store *s, const char *id, struct json_object *arr)
{
	struct port_map *m = NULL;
	size_t n = 0;
	char *out = xstrdup("");

	if (container_ports(s, id, &m, &n) < 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		char one[96];
		ports_format(&m[i], one, sizeof(one));
		if (arr)
			json_object_array_add(arr, json_object_new_string(one));
		char *t = xasprintf("%s%s%s", out, *out ? ", " : "", one);
		free(out);
		out = t;
	}
	free(m);
	return out;
}

/* What ps shows as IMAGE: the name the container was made from, else
 * its image's ID. */
static char *ps_image(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/image", id);
	struct berth_error err = { 0 };
	_cleanup_json_ struct json_object *cfg = container_config(s, id, &err);
	char *image = NULL;

	if (cfg && json_get_string(cfg, "ImageName"))
		return xstrdup(json_get_string(cfg, "ImageName"));
	berth_error_clear(&err);
	if (read_file_at(s->rootfd, p, 256, &image, NULL, &err) < 0)
		berth_error_clear(&err);
	return image;
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
	size_t n_only = 0;
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	char **ids = NULL;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "ps", "ps [-a] [-q]", opts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'f' + 256 && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f' + 256)
			return cli_usage_error("ps", "--format %s: expected table or json", optarg);
		else if (c == 's' + 512)
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
	if ((c = cli_open_store(&s)) != 0) {
		strv_free(only);
		return c;
	}
	if (container_list(s, &ids, &n, &err) < 0) {
		strv_free(ids);
		strv_free(only);
		return cli_fail(&err);
	}
	if (!quiet && !json)
		printf("%-12s  %-36s  %-20s  %-24s  %s\n", "CONTAINER ID", "STATUS", "NAMES",
		       "IMAGE", "PORTS");
	for (size_t i = 0; i < n; i++) {
		struct container_state st;
		char when[64], status[640];
		container_check(s, ids[i]);
		container_get_state(s, ids[i], &st);
		bool running = strcmp(st.status, "running") == 0;
		if (!all && !running)
			continue;
		if (stack) { /* a stack's own: by the names up gives */
			_cleanup_free_ char *nm = container_name(s, ids[i]);
			bool mine = false;
			for (size_t k = 0; nm && k < n_only && !mine; k++)
				mine = !strcmp(only[k], nm);
			if (!mine)
				continue;
		}
		if (quiet) {
			printf("%.12s\n", ids[i]);
			continue;
		}
		_cleanup_free_ char *name = container_name(s, ids[i]);
		duration(st.when, when, sizeof(when));
		if (running)
			snprintf(status, sizeof(status), "Up %s", when);
		else if (!strcmp(st.status, "exited"))
			snprintf(status, sizeof(status), "Exited (%d) %s ago%s%.*s%s", st.exit_code,
				 when, *st.error ? " (" : "", (int)strcspn(st.error, ":"), st.error,
				 *st.error ? ")" : "");
		else
			snprintf(status, sizeof(status), "Created");
		_cleanup_free_ char *image = ps_image(s, ids[i]);
		if (json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "Id", json_object_new_string(ids[i]));
			json_object_object_add(o, "Names",
					       json_object_new_string(name ? name : ""));
			json_object_object_add(o, "Image",
					       json_object_new_string(image ? image : ""));
			json_object_object_add(o, "State", json_object_new_string(st.status));
			json_object_object_add(o, "Status", json_object_new_string(status));
			json_object_object_add(o, "ExitCode", json_object_new_int(st.exit_code));
			struct json_object *pa = json_object_new_array();
			_cleanup_free_ char *pl = ps_ports(s, ids[i], pa);
			json_object_object_add(o, "Ports", pa);
			json_object_array_add(arr, o);
			continue;
		}
		/* an image ID shortened as docker does */
		_cleanup_free_ char *ports = ps_ports(s, ids[i], NULL);
		printf("%.12s  %-36s  %-20s  %-24.*s  %s\n", ids[i], status, name ? name : "",
		       image && str_has_prefix(image, "sha256:") ? 19 : 256, image ? image : "",
		       ports);
	}
	strv_free(ids);
	strv_free(only);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(
				       arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
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

	while ((c = cli_getopt(argc, argv, "rm", "rm [-f] [-v] CONTAINER...", opts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'v')
			volumes = true;
		else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("rm", "a CONTAINER is required");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		if (container_resolve(s, argv[i], id, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		if (container_running(s, id)) {
			pid_t holder = container_holder(s, id);
			if (!force || holder == 0) {
				berth_error_set(&err, EBUSY, "container %s is running: stop it%s",
						argv[i],
						holder ? " or use -f" : " (its run is attached)");
				r = cli_fail(&err);
				continue;
			}
			kill(holder, launch_kill_signal());
			container_wait_exit(s, id, 10000);
		}
		/* a start in progress holds the run lock: not removed under it;
		 * a monitor that just recorded the end lets go of it at once */
		_cleanup_close_ int lock = container_lock_run(s, id, &err);
		for (int t = 0; lock < 0 && err.errnum == EBUSY && t < 100; t++) {
			struct timespec ts = { 0, 20000000 };
			berth_error_clear(&err);
			nanosleep(&ts, NULL);
			lock = container_lock_run(s, id, &err);
		}
		if (lock < 0 || users_remove_container(s, id, volumes, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return r;
}
