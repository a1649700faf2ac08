// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * start.c: what runs a recorded container (engine.h): engine_start
 * (attached, when this process is the container's monitor or attaches
 * to one, or detached under a monitor of its own, monitor.c),
 * engine_exec (a process in a running container) and engine_cp (its
 * files). Each builds its struct launch_spec from the container's
 * run_config in one place, launch_spec_of(); what the record only names
 * (volumes, secrets, ports, the seccomp filter) is made ready here for
 * it. A restarted container keeps its writable layer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../image/image.h"
#include "../image/mount.h"
#include "../lib/console.h"
#include "../lib/proc.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "../netns/ports.h"
#include "../objects/volume.h"
#include "container.h"
#include "copy.h"
#include "engine.h"
#include "launch.h"
#include "live.h"
#include "monitor.h"
#include "mountspec.h"
#include "netjoin.h"
#include "seccomp-filter.h"
#include "secretspec.h"
#include "spec.h"
#include "users.h"

/* A container's record and what its names became for one launch: the
 * volumes' paths (in rc.mounts), the secrets' values, the bound ports,
 * the compiled seccomp filter. */
struct launch_res {
	char id[CONTAINER_ID_LEN + 1];
	struct run_config rc;
	char *dir, *lowerdir;
	struct secret_values secrets;
	int *port_fds;
	struct seccomp_filters filters;
};

static void launch_res_clear(struct launch_res *r)
{
	secret_values_clear(&r->secrets);
	for (size_t i = 0; r->port_fds && i < r->rc.n_ports; i++)
		if (r->port_fds[i] >= 0)
			close(r->port_fds[i]);
	free(r->port_fds);
	seccomp_filters_clear(&r->filters);
	run_config_clear(&r->rc);
	free(r->dir);
	free(r->lowerdir);
	memset(r, 0, sizeof(*r));
}

/* The one place a launch_spec is made: from the container's record and
 * what start made ready of it. */
static void launch_spec_of(const struct launch_res *r, struct launch_spec *ls)
{
	const struct run_config *rc = &r->rc;

	*ls = (struct launch_spec){
		.dir = r->dir,
		.lowerdir = r->lowerdir,
		.argv = rc->argv,
		.env = rc->env,
		.workdir = rc->workdir,
		.user = rc->user,
		.hostname = rc->hostname,
		.caps = rc->caps,
		.read_only = rc->read_only,
		.init = rc->init,
		.no_new_privs = rc->no_new_privs,
		.seccomp = rc->seccomp,
		.own_netns = !rc->network || strcmp(rc->network, "host") != 0,
		.interactive = rc->interactive,
		.seccomp_filters = &r->filters,
		.volatile_upper = rc->auto_remove,
		.tty = rc->tty,
		.mounts = rc->mounts,
		.n_mounts = rc->n_mounts,
		.secrets = r->secrets.files,
		.n_secrets = r->secrets.n_files,
		.keep_id = rc->keep_id,
		.slirp = rc->network && !strcmp(rc->network, "slirp4netns"),
		.host_loopback = rc->host_loopback,
		.join_userns_fd = -1,
		.ports = rc->ports,
		.port_fds = r->port_fds,
		.n_ports = rc->n_ports,
		.n_ulimits = rc->n_ulimits,
	};
	memcpy(ls->ulimits, rc->ulimits, sizeof(ls->ulimits));
}

/* The container's directory and its image's layers (for berth-fs). */
static int load_root(struct store *s, struct launch_res *r, struct berth_error *err)
{
	_cleanup_free_ char *ip = xasprintf("containers/%s/image", r->id), *image = NULL;

	r->dir = xasprintf("%s/containers/%s", s->root, r->id);
	if (read_file_at(s->rootfd, ip, 256, &image, NULL, err) < 0 ||
	    mount_lowerdir(s, image, &r->lowerdir, err) < 0)
		return -1;
	return 0;
}

/* The published ports: bound now, before the container runs (a port in
 * use fails the start here), and the ports the kernel picked recorded in
 * the container's "ports" for `port` and `ps`. */
static int bind_ports(struct store *s, struct launch_res *r, struct berth_error *err)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/ports", r->id);

	r->port_fds = xcalloc(r->rc.n_ports + 1, sizeof(int));
	if (ports_bind(r->rc.ports, r->rc.n_ports, r->port_fds, err) < 0) {
		free(r->port_fds);
		r->port_fds = NULL;
		return -1;
	}
	_cleanup_json_ struct json_object *bound = ports_to_json(r->rc.ports, r->rc.n_ports);
	const char *t = json_object_to_json_string_ext(bound, JSON_C_TO_STRING_PLAIN);
	return write_file_replace_nosync(s->rootfd, p, t, strlen(t), 0644, err);
}

/* The recorded mounts, checked again: a bind source may have gone, a
 * volume wants its path and, until filled, its copy marker. */
static int ready_mounts(struct store *s, struct run_config *rc, struct berth_error *err)
{
	for (size_t i = 0; i < rc->n_mounts; i++) {
		struct mount_req *m = &rc->mounts[i];
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
	mountspec_sort(rc->mounts, rc->n_mounts);
	return 0;
}

/* The container's seccomp filter for its capabilities: from the profile
 * copied at create when there is one, compiled now (or found compiled). */
static int ready_filters(struct store *s, struct launch_res *r, struct berth_error *err)
{
	const struct run_config *rc = &r->rc;
	_cleanup_close_ int cachefd = -1;

	memset(&r->filters, 0, sizeof(r->filters));
	if (!rc->seccomp)
		return 0;
	cachefd = seccomp_cache_dir(s->rootfd);
	if (!rc->seccomp_profile)
		return seccomp_filters_prepare(cachefd, rc->caps, NULL, NULL, &r->filters, err);
	_cleanup_free_ char *origin = xasprintf("%s (the container's copy)",
						rc->seccomp_file ? rc->seccomp_file : "(unnamed)");
	return seccomp_filters_prepare(cachefd, rc->caps, rc->seccomp_profile, origin, &r->filters,
				       err);
}

/* Everything a start needs of the container's record, made ready. */
static int load_for_start(struct store *s, struct launch_res *r, struct berth_error *err)
{
	if (engine_config(s, r->id, &r->rc, err) < 0)
		return -1;
	if (r->rc.n_argv == 0)
		return berth_error_set(err, 0, "container %.12s: no command recorded", r->id);
	if (bind_ports(s, r, err) < 0 || ready_mounts(s, &r->rc, err) < 0 ||
	    secretspec_load(s, r->rc.secrets, r->rc.n_secrets, &r->secrets, &r->rc.env,
			    &r->rc.n_env, err) < 0 ||
	    ready_filters(s, r, err) < 0 || load_root(s, r, err) < 0)
		return -1;
	return 0;
}

static void say(const struct engine_start *how, const char *line)
{
	if (how->say)
		how->say(how->say_arg, line);
}

static void say_error(const struct engine_start *how, struct berth_error *err)
{
	_cleanup_free_ char *t = berth_error_text(err);
	say(how, t);
	berth_error_clear(err);
}

/* How long an attached run waits, after its container's end, for what
 * the container left to it as subreaper (monitor.c's MONITOR_REAP_MS). */
#define ATTACHED_REAP_MS 5000

/* Attached, without a terminal: this process is the container's
 * monitor. The container's end is recorded (or it is removed, --rm);
 * what fails meanwhile is said, and the status returned. Like a
 * detached container's monitor, it is a child subreaper while the
 * container runs and reaps what the container's helpers left
 * (slirp4netns's supervisor) before it returns: under an init that
 * never reaps, an attached run leaves no zombie. */
static int run_here(struct store *s, struct launch_res *r, struct launch_spec *ls,
		    const struct engine_start *how, struct engine_end *end, struct berth_error *err)
{
	_cleanup_close_ int lock = container_lock_run(s, r->id, err);
	struct netjoin nj = { -1, -1, "" };
	struct launch_proc lp;
	int status = 0, started = -1;

	if (lock < 0 || container_live_hold(lock, err) < 0)
		return -1;
	if (netjoin_prepare(s, r->id, r->rc.network, ls, &nj, err) == 0) {
		/* not before: the network keeper netjoin may start outlives
		 * this command, and must not be re-parented here */
		proc_subreaper(true);
		launch_asked_end(); /* what was asked before this run is not its */
		started = launch_start(ls, &lp, &status, err);
	}
	netjoin_release(&nj);
	if (started < 0) {
		say_error(how, err);
		status = status ? status : 125;
	} else {
		if (container_set_pids(s, r->id, lp.pid, getpid(), err) < 0 ||
		    container_set_state(s, r->id, "running", 0, err) < 0) {
			berth_error_wrap(err, "container %.12s: recording its start", r->id);
			say_error(how, err);
		}
		/* (no terminal here: a -t container went the monitor's way) */
		status = launch_wait(&lp);
		end->signal = launch_asked_end();
	}
	netjoin_leave(s, r->id);
	_cleanup_free_ char *why = launch_end_reason(ls->dir);
	if (why)
		say(how, why);
	if (r->rc.auto_remove ? users_remove_container(s, r->id, true, err) < 0
			      : container_set_exited(s, r->id, status, why, err) < 0) {
		if (!r->rc.auto_remove)
			berth_error_wrap(err, "container %.12s: recording its end", r->id);
		say_error(how, err);
	}
	/* last, so slirp4netns's own end overlaps the recording above */
	proc_reap_children(ATTACHED_REAP_MS);
	proc_subreaper(false);
	end->status = status;
	return 0;
}

/* A start that failed: when an rm (-f, which kills a monitor) took the
 * container meanwhile, that is what is said. Once its run lock is free,
 * is it still there? -1 always. */
static int removed_meanwhile(struct store *s, const char *id, struct berth_error *err)
{
	struct berth_error e = { 0 };
	int lock = container_lock_run(s, id, &e);

	if (lock >= 0)
		close(lock);
	if (lock < 0 && e.errnum == ENOENT) {
		berth_error_clear(err);
		berth_error_set(err, ENOENT, "no such container: %.12s (removed as it started)",
				id);
	}
	berth_error_clear(&e);
	return -1;
}

/* Under a monitor of its own; attached with -t (run -it), this process
 * then attaches to it, so that ctrl-p ctrl-q can leave it running. The
 * monitor is this process's child: reaped here once the container has
 * ended when attached; detached (run -d, or the user detached), left to
 * run on past this process, after which nothing of berth's is left to
 * reap it (the one exception, docs/reliability.md). */
static int run_monitored(struct store *s, struct launch_res *r, struct launch_spec *ls,
			 const struct engine_start *how, struct engine_end *end,
			 struct berth_error *err)
{
	struct monitor_args ma = { .root = s->root,
				   .id = r->id,
				   .ls = ls,
				   .rm = r->rc.auto_remove,
				   .wait_attach = how->attach,
				   .network = r->rc.network };
	_cleanup_free_ char *warning = NULL;
	int status = 0;
	pid_t monitor;

	if (monitor_detach(&ma, &monitor, &status, &warning, err) < 0) {
		end->status = status;
		return removed_meanwhile(s, r->id, err);
	}
	if (warning)
		say(how, warning);
	if (!how->attach)
		return 0;
	int ret = engine_attach(s, r->id, ls->interactive, end, err);
	/* the container's status came from the monitor as it ended: the
	 * monitor follows in a moment, its records written */
	if (ret == 0 && !end->detached && end->status >= 0)
		monitor_reap(monitor);
	return ret;
}

int engine_start(struct store *s, const char *id, const struct engine_start *how,
		 struct engine_end *end, struct berth_error *err)
{
	struct launch_res r = { 0 };
	struct launch_spec ls;
	struct userns_map m;
	int ret;

	*end = (struct engine_end){ 0 };
	snprintf(r.id, sizeof(r.id), "%s", id);
	if (container_running(s, id)) {
		end->running = true;
		return berth_error_set(err, EBUSY, "container %.12s is already running", id);
	}
	if (load_for_start(s, &r, err) < 0) {
		launch_res_clear(&r);
		return removed_meanwhile(s, id, err);
	}
	launch_spec_of(&r, &ls);
	struct winsize ws;
	if (how->attach && ls.tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		ls.rows = ws.ws_row;
		ls.cols = ws.ws_col;
	}
	if (how->attach)
		ls.interactive = ls.interactive || how->interactive;
	userns_plan(&m);
	if (!m.ranged)
		say(how, "warning: no subuid/subgid range for this user (or no newuidmap): "
			 "single-id mapping, the container has only root and cannot switch to "
			 "other users (see berth info)");
	/* the store lock is not held while the container runs */
	store_unlock(s);
	if (how->attach && !ls.tty)
		ret = run_here(s, &r, &ls, how, end, err);
	else
		ret = run_monitored(s, &r, &ls, how, end, err);
	launch_res_clear(&r);
	return ret;
}

/* ---- exec ---- */

/* -e KEY=VALUE (or KEY: the host's value, if it has one) over env. */
static void exec_env(char ***env, size_t *n_env, char *const *asked)
{
	for (size_t i = 0; asked && asked[i]; i++) {
		size_t k = strcspn(asked[i], "=");
		_cleanup_free_ char *v = asked[i][k] ? xstrdup(asked[i]) : NULL;
		if (!v && getenv(asked[i]))
			v = xasprintf("%s=%s", asked[i], getenv(asked[i]));
		if (!v)
			continue;
		size_t j = 0;
		while (j < *n_env && strncmp((*env)[j], v, k + 1) != 0)
			j++;
		if (j < *n_env) {
			free((*env)[j]);
			(*env)[j] = steal_pointer(&v);
		} else {
			strv_push(env, n_env, v);
		}
	}
}

/* The command's process: its end, relaying its terminal meanwhile. */
static int exec_wait(struct launch_proc *lp, bool interactive)
{
	if (lp->console >= 0) {
		int pidfd = (int)syscall(SYS_pidfd_open, lp->pid, 0);
		console_relay_pty(lp->console, interactive, pidfd);
		if (pidfd >= 0)
			close(pidfd);
		close(lp->console);
		if (lp->console_peer >= 0)
			close(lp->console_peer);
	}
	return launch_wait(lp);
}

int engine_exec(struct store *s, const char *ref, const struct engine_exec *x, int *status,
		struct berth_error *err)
{
	struct launch_res r = { 0 };
	struct launch_spec ls;
	struct launch_proc lp;
	struct secret_values sv;
	pid_t init;
	int ret = -1;

	*status = 0;
	if (container_resolve(s, ref, r.id, err) < 0)
		return -1;
	if (!container_running(s, r.id) || (init = container_ns_pid(s, r.id)) == 0)
		return berth_error_set(err, 0, "container %s is not running", ref);
	/* the container's environment and secret variables, as its command
	 * has them, then -e */
	if (engine_config(s, r.id, &r.rc, err) < 0 ||
	    secretspec_load(s, r.rc.secrets, r.rc.n_secrets, &sv, &r.rc.env, &r.rc.n_env, err) < 0)
		goto out;
	secret_values_clear(&sv);
	exec_env(&r.rc.env, &r.rc.n_env, x->env);
	if (ready_filters(s, &r, err) < 0)
		goto out;
	launch_spec_of(&r, &ls);
	/* what exec takes of the container's: its user, directory,
	 * environment and confinement; none of its start's own steps */
	ls = (struct launch_spec){ .argv = x->argv,
				   .env = ls.env,
				   .workdir = x->workdir ? x->workdir : ls.workdir,
				   .user = x->user ? x->user : ls.user,
				   .caps = ls.caps,
				   .no_new_privs = ls.no_new_privs,
				   .seccomp = ls.seccomp,
				   .seccomp_filters = ls.seccomp_filters,
				   .interactive = x->interactive,
				   .tty = x->tty };
	struct winsize ws;
	if (x->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		ls.rows = ws.ws_row;
		ls.cols = ws.ws_col;
	}
	store_unlock(s);
	if (launch_exec_start(init, &ls, &lp, status, err) < 0)
		goto out;
	*status = exec_wait(&lp, x->interactive);
	ret = 0;
out:
	launch_res_clear(&r);
	return ret;
}

/* ---- cp ---- */

int engine_cp(struct store *s, const char *ref, const struct copy_req *c, struct berth_error *err)
{
	struct launch_res r = { 0 };
	struct launch_spec ls;
	pid_t init;
	int ret = -1;

	if (container_resolve(s, ref, r.id, err) < 0)
		return -1;
	if ((init = container_ns_pid(s, r.id)) > 0) {
		store_unlock(s);
		return copy_run(init, c, err);
	}
	/* stopped: its root mounted for the copy, under its run lock so no
	 * start mounts the same writable layer meanwhile */
	_cleanup_close_ int lock = container_lock_run(s, r.id, err);
	if (lock < 0 || load_root(s, &r, err) < 0 || engine_config(s, r.id, &r.rc, err) < 0)
		goto out;
	launch_spec_of(&r, &ls);
	/* the layer is kept whatever the container's --rm says */
	ls.volatile_upper = false;
	store_unlock(s);
	ret = copy_stopped(&ls, c, err);
out:
	launch_res_clear(&r);
	return ret;
}
