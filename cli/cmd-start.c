// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-start.c: starting a recorded container, for `run`, `start` and
 * `restart`. config.json holds everything `run` resolved (command,
 * environment, user, confinement, mounts, limits); start_container()
 * rebuilds the launch from it, attached (this process is the container's
 * monitor, the terminal relayed) or detached (under a monitor process).
 * A restarted container keeps its writable layer.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "../runner/container.h"
#include "../image/image.h"
#include "../runner/launch.h"
#include "../netns/hostloop.h"
#include "../netns/ports.h"
#include "../runner/monitor.h"
#include "../runner/netjoin.h"
#include "../runner/seccomp-filter.h"
#include "../runner/mountspec.h"
#include "../image/mount.h"
#include "../runner/secretspec.h"
#include "../runner/spec.h"
#include "../runner/users.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "../objects/volume.h"

struct record {
	struct json_object *cfg;
	char **argv, **env;
	size_t n_argv, n_env;
	struct mount_req *mounts;
	size_t n_mounts;
	struct secret_values secrets;
	struct port_map *ports;
	size_t n_ports;
	int *port_fds;
	struct seccomp_filters filters; /* compiled for the record's Caps */
	bool rm;
};

static void record_clear(struct record *r)
{
	strv_free(r->argv);
	for (size_t i = 0; r->env && i < r->n_env; i++)
		explicit_bzero(r->env[i], strlen(r->env[i])); /* secrets among them */
	strv_free(r->env);
	mount_reqs_free(r->mounts, r->n_mounts);
	secret_values_clear(&r->secrets);
	for (size_t i = 0; r->port_fds && i < r->n_ports; i++)
		if (r->port_fds[i] >= 0)
			close(r->port_fds[i]);
	free(r->port_fds);
	free(r->ports);
	seccomp_filters_clear(&r->filters);
	if (r->cfg)
		json_object_put(r->cfg);
	memset(r, 0, sizeof(*r));
}

static bool flag_of(struct json_object *o, const char *key, bool dflt)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_boolean(v) : dflt;
}

/* The published ports: bound now, before the container runs (a port in
 * use fails the start here), and the ports the kernel picked recorded in
 * the container's "ports" for `port` and `ps`. */
static int record_ports(struct store *s, const char *id, struct record *r, struct berth_error *err)
{
	struct json_object *arr = NULL;
	_cleanup_free_ char *p = xasprintf("containers/%s/ports", id);

	json_object_object_get_ex(r->cfg, "Ports", &arr);
	if (ports_from_json(arr, &r->ports, &r->n_ports, err) < 0)
		return -1;
	r->port_fds = xcalloc(r->n_ports + 1, sizeof(int));
	if (ports_bind(r->ports, r->n_ports, r->port_fds, err) < 0) {
		free(r->port_fds);
		r->port_fds = NULL;
		return -1;
	}
	_cleanup_json_ struct json_object *bound = ports_to_json(r->ports, r->n_ports);
	const char *t = json_object_to_json_string_ext(bound, JSON_C_TO_STRING_PLAIN);
	return write_file_replace_nosync(s->rootfd, p, t, strlen(t), 0644, err);
}

/* The recorded mounts, checked again: a bind source may have gone, a
 * volume wants its path and, until filled, its copy marker. */
static int record_mounts(struct store *s, struct record *r, struct berth_error *err)
{
	struct json_object *arr = NULL;

	json_object_object_get_ex(r->cfg, "Mounts", &arr);
	if (mountspec_from_json(arr, &r->mounts, &r->n_mounts, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_mounts; i++) {
		struct mount_req *m = &r->mounts[i];
		struct stat st;
		if (m->kind == MOUNT_BIND && stat(m->source, &st) < 0)
			return berth_error_set(err, errno, "bind source %s", m->source);
		if (m->kind != MOUNT_VOLUME)
			continue;
		if (!m->source || !volume_exists(s, m->source))
			return berth_error_set(err, ENOENT, "volume \"%s\" for %s is gone",
					       m->source ? m->source : "?", m->target);
		m->host_path = volume_data_path(s, m->source);
		if (!m->nocopy)
			m->copy_marker = volume_copy_marker(s, m->source);
	}
	mountspec_sort(r->mounts, r->n_mounts);
	return 0;
}

static int record_load(struct store *s, const char *id, struct record *r, struct launch_spec *ls,
		       struct berth_error *err)
{
	const char *v;

	memset(r, 0, sizeof(*r));
	memset(ls, 0, sizeof(*ls));
	if (!(r->cfg = container_config(s, id, err)))
		return -1;
	r->argv = strv_from_json_key(r->cfg, "Cmd", &r->n_argv);
	r->env = strv_from_json_key(r->cfg, "Env", &r->n_env);
	if (r->n_argv == 0)
		return berth_error_set(err, 0, "container %.12s: no command recorded", id);
	if (record_ports(s, id, r, err) < 0 || record_mounts(s, r, err) < 0 ||
	    secretspec_load(s, r->cfg, &r->secrets, &r->env, &r->n_env, err) < 0)
		return -1;
	ls->argv = r->argv;
	ls->env = r->env;
	ls->mounts = r->mounts;
	ls->n_mounts = r->n_mounts;
	ls->secrets = r->secrets.files;
	ls->n_secrets = r->secrets.n_files;
	ls->keep_id = flag_of(r->cfg, "KeepId", false);
	ls->ports = r->ports;
	ls->port_fds = r->port_fds;
	ls->n_ports = r->n_ports;
	ls->workdir = json_get_string(r->cfg, "WorkingDir");
	v = json_get_string(r->cfg, "User");
	ls->user = v && *v ? v : NULL;
	ls->hostname = json_get_string(r->cfg, "Hostname");
	v = json_get_string(r->cfg, "Caps");
	ls->caps = v ? strtoull(v, NULL, 16) : 0;
	ls->no_new_privs = flag_of(r->cfg, "NoNewPrivileges", true);
	ls->seccomp = flag_of(r->cfg, "Seccomp", true);
	/* the filter for these capabilities, from the profile copied at
	 * create when there is one, compiled now (or found compiled) */
	_cleanup_close_ int cachefd = seccomp_cache_dir(s->rootfd);
	if (seccomp_filters_for_config(cachefd, r->cfg, ls->caps, &r->filters, err) < 0)
		return -1;
	ls->seccomp_filters = &r->filters;
	ls->read_only = flag_of(r->cfg, "ReadOnly", false);
	ls->init = flag_of(r->cfg, "Init", false);
	ls->tty = flag_of(r->cfg, "Tty", false);
	ls->interactive = flag_of(r->cfg, "Interactive", false);
	r->rm = flag_of(r->cfg, "AutoRemove", false);
	ls->volatile_upper = r->rm;
	v = json_get_string(r->cfg, "Network");
	ls->own_netns = !v || strcmp(v, "host") != 0;
	ls->slirp = v && !strcmp(v, "slirp4netns");
	if (hostloop_from_json(r->cfg, &ls->host_loopback, err) < 0)
		return -1;
	struct json_object *ul;
	if (json_object_object_get_ex(r->cfg, "Ulimits", &ul) &&
	    json_object_is_type(ul, json_type_array))
		for (size_t i = 0; i < json_object_array_length(ul) && i < ARRAY_SIZE(ls->ulimits);
		     i++) {
			unsigned long long cur, max;
			int res;
			if (sscanf(json_object_get_string(json_object_array_get_idx(ul, i)),
				   "%d %llu %llu", &res, &cur, &max) != 3)
				continue;
			ls->ulimits[ls->n_ulimits++] = (struct launch_rlimit){
				res, { .rlim_cur = (rlim_t)cur, .rlim_max = (rlim_t)max }
			};
		}
	return 0;
}

int start_container(struct store *s, const char *id, bool attach, bool interactive)
{
	struct berth_error err = { 0 };
	struct record rec;
	struct launch_spec ls;
	_cleanup_free_ char *lower = NULL, *dir = xasprintf("%s/containers/%s", s->root, id);
	_cleanup_free_ char *image = NULL, *ip = xasprintf("containers/%s/image", id);
	struct userns_map m;
	int status = 0, r;

	if (container_running(s, id)) {
		berth_error_set(&err, EBUSY, "container %.12s is already running", id);
		return cli_fail(&err);
	}
	if (record_load(s, id, &rec, &ls, &err) < 0 ||
	    read_file_at(s->rootfd, ip, 256, &image, NULL, &err) < 0 ||
	    mount_lowerdir(s, image, &lower, &err) < 0) {
		record_clear(&rec);
		r = cli_fail(&err);
		return r == 1 ? EXIT_USAGE : r;
	}
	ls.dir = dir;
	ls.lowerdir = lower;
	struct winsize ws;
	if (attach && ls.tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		ls.rows = ws.ws_row;
		ls.cols = ws.ws_col;
	}
	if (attach)
		ls.interactive = ls.interactive || interactive;
	userns_plan(&m);
	if (!m.ranged)
		fprintf(stderr, "berth: warning: no subuid/subgid range for this user (or no "
				"newuidmap): single-id mapping, the container has only root and "
				"cannot switch to other users (see berth info)\n");
	/* the store lock is not held while the container runs */
	store_unlock(s);
	if (attach && ls.tty) {
		/* -it: the container runs under a monitor and this process
		 * attaches to it, so ctrl-p ctrl-q can leave it running */
		struct monitor_args ma = { .root = s->root,
					   .id = id,
					   .ls = &ls,
					   .rm = rec.rm,
					   .wait_attach = true,
					   .cfg = rec.cfg };
		bool detached = false;
		if (monitor_detach(&ma, &status, &err) < 0 ||
		    attach_container(dir, ls.interactive, &status, &detached, &err) < 0) {
			record_clear(&rec);
			cli_fail(&err);
			return status > 0 ? status : EXIT_USAGE;
		}
		record_clear(&rec);
		if (detached) {
			fprintf(stderr, "\r\nberth: detached from %.12s (berth attach %.12s)\r\n",
				id, id);
			return 0;
		}
		return status >= 0 ? status : EXIT_USAGE;
	}
	if (!attach) {
		struct monitor_args ma = {
			.root = s->root, .id = id, .ls = &ls, .rm = rec.rm, .cfg = rec.cfg
		};
		r = monitor_detach(&ma, &status, &err) < 0
			    ? (cli_fail(&err), status ? status : EXIT_USAGE)
			    : 0;
		record_clear(&rec);
		return r;
	}
	/* attached, this process is the container's monitor */
	_cleanup_close_ int lock = container_lock_run(s, id, &err);
	if (lock < 0) {
		record_clear(&rec);
		r = cli_fail(&err);
		return r == 1 ? EXIT_USAGE : r;
	}
	pid_t holder;
	struct netjoin nj = { -1, -1, "" };
	if (netjoin_prepare(s, id, rec.cfg, &ls, &nj, &err) < 0 ||
	    launch_start(&ls, &holder, &status, &err) < 0) {
		netjoin_release(&nj);
		_cleanup_free_ char *t = berth_error_text(&err);
		fprintf(stderr, "berth: %s\n", t);
		berth_error_clear(&err);
		status = status ? status : EXIT_USAGE;
	} else {
		netjoin_release(&nj);
		if (container_set_pids(s, id, holder, getpid(), &err) == 0)
			container_set_state(s, id, "running", 0, &err);
		berth_error_clear(&err);
		/* (no terminal here: a -t container went the monitor's way) */
		status = launch_wait(holder);
	}
	netjoin_leave(s, id);
	_cleanup_free_ char *why = launch_end_reason(ls.dir);
	if (why)
		fprintf(stderr, "berth: %s\n", why);
	if (rec.rm) {
		if (users_remove_container(s, id, true, &err) < 0)
			cli_fail(&err);
	} else {
		container_set_exited(s, id, status, why, &err);
		berth_error_clear(&err);
	}
	record_clear(&rec);
	return status;
}

int cmd_start(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ "attach", 'a', NULL, "Stay attached and exit with the container's status" },
		{ "interactive", 'i', NULL, "Attach stdin too" },
		{ 0 },
	};
	_cleanup_store_ struct store *s = NULL;
	struct berth_error err = { 0 };
	bool attach = false, interactive = false;
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "start", "start [-a] [-i] CONTAINER...", opts)) != -1) {
		if (c == 'a')
			attach = true;
		else if (c == 'i')
			interactive = attach = true;
		else
			return EXIT_USAGE;
	}
	if (optind >= argc)
		return cli_usage_error("start", "a CONTAINER is required");
	if (attach && optind + 1 != argc)
		return cli_usage_error("start", "-a attaches to one CONTAINER");
	if ((c = cli_open_store(&s)) != 0)
		return c;
	for (int i = optind; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		if (container_resolve(s, argv[i], id, &err) < 0) {
			r = cli_fail(&err);
			continue;
		}
		c = start_container(s, id, attach, interactive);
		if (attach)
			return c;
		if (c == 0)
			printf("%s\n", argv[i]);
		else
			r = c;
	}
	return r;
}
