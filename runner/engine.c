// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * engine.c: the verbs on a container that exists (engine.h): its record
 * read, stop, kill, wait, remove, attach, and the list ps shows. Signals
 * go to the process that stands for the container (launch.h), which
 * passes them to its pid 1; the state and the attach socket are the
 * monitor's (monitor.c, attach.h). Creating and starting are create.c's
 * and start.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../image/image.h"
#include "../lib/console.h"
#include "../lib/util.h"
#include "../netns/ports.h"
#include "attach.h"
#include "container.h"
#include "engine.h"
#include "launchspec.h"
#include "live.h"
#include "spec.h"
#include "users.h"

int engine_config(struct store *s, const char *id, struct run_config *rc, struct berth_error *err)
{
	_cleanup_json_ struct json_object *cfg = container_config(s, id, err);

	run_config_init(rc);
	if (!cfg || run_config_from_json(rc, cfg, err) < 0) {
		run_config_clear(rc);
		run_config_init(rc);
		return -1;
	}
	return 0;
}

/* ---- signals ---- */

/* The process a signal for the container goes to: the holder its pid
 * record names, else (a record lost to a full disk or damaged) the
 * monitor, found by the live lock it holds, which passes signals on to
 * the holder (launch.c). 0 when it does not run. */
static pid_t signal_target(struct store *s, const char *id)
{
	pid_t p;

	if (!container_running(s, id))
		return 0;
	if ((p = container_holder(s, id)) > 0)
		return p;
	return container_live_holder(s, id);
}

static int signal_id(struct store *s, const char *ref, const char *id, int sig,
		     struct berth_error *err)
{
	pid_t target = signal_target(s, id);

	if (target == 0)
		return berth_error_set(err, 0, "container %s is not running", ref);
	if (kill(target, sig == SIGKILL ? launch_kill_signal() : sig) < 0)
		return berth_error_set(err, errno, "signalling container %s", ref);
	return 0;
}

int engine_kill(struct store *s, const char *ref, int sig, struct berth_error *err)
{
	char id[CONTAINER_ID_LEN + 1];

	if (container_resolve(s, ref, id, err) < 0)
		return -1;
	return signal_id(s, ref, id, sig, err);
}

int engine_stop(struct store *s, const char *id, long secs, struct berth_error *err)
{
	struct berth_error e = { 0 };
	struct run_config rc;
	int sig = SIGTERM;
	long wait_s = secs < 0 ? 10 : secs;

	(void)err; /* stopping is best effort: what stands in its way is no error */
	if (engine_config(s, id, &rc, &e) == 0) {
		if (rc.stop_signal && signal_from_name(rc.stop_signal) > 0)
			sig = signal_from_name(rc.stop_signal);
		if (secs < 0 && rc.stop_timeout >= 0)
			wait_s = rc.stop_timeout;
	}
	run_config_clear(&rc);
	berth_error_clear(&e);
	/* stopping a stopped container is no error (docker) */
	if (container_running(s, id) && signal_id(s, id, id, sig, &e) == 0 &&
	    !container_wait_exit(s, id, wait_s * 1000)) {
		pid_t target = signal_target(s, id);
		if (target > 0)
			kill(target, launch_kill_signal());
		container_wait_exit(s, id, 10000);
	}
	berth_error_clear(&e);
	return 0;
}

int engine_wait(struct store *s, const char *id, long ms)
{
	struct container_state st;

	container_wait_exit(s, id, ms);
	container_status(s, id, &st);
	return st.exit_code;
}

/* rm -f: the container ended, whatever its records say: its holder
 * killed (the kill signal: pid 1 first), and if it does not end, its
 * monitor. */
/* Its holder; one that is starting records it in a moment (its monitor
 * is then left to record the end and tell its start what happened). */
static pid_t holder_soon(struct store *s, const char *id)
{
	pid_t h = 0;

	for (int i = 0; i < 100 && (h = container_holder(s, id)) == 0 && container_live(s, id);
	     i++) {
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	return h;
}

static void force_end(struct store *s, const char *id)
{
	for (int round = 0; round < 3 && container_running(s, id); round++) {
		pid_t holder = round == 0 ? holder_soon(s, id) : 0;
		if (round == 0 && holder > 0)
			kill(holder, launch_kill_signal());
		else
			container_kill_processes(s, id, true);
		if (container_wait_exit(s, id, round == 0 ? 5000 : 3000))
			return;
	}
}

/* The run lock for a removal: a start in progress or a copy holds it a
 * moment, a monitor that recorded the end lets go of it at once; with
 * force a container that began to run meanwhile is ended again. */
static int remove_lock(struct store *s, const char *ref, const char *id, bool force,
		       struct berth_error *err)
{
	int lock = -1;

	for (int t = 0; t < 20; t++) {
		if (container_running(s, id)) {
			if (!force)
				return berth_error_set(err, EBUSY,
						       "container %s is running: stop it or use -f",
						       ref);
			force_end(s, id);
		}
		if ((lock = container_lock_run(s, id, err)) >= 0 || err->errnum != EBUSY)
			return lock;
		berth_error_clear(err);
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	return berth_error_set(err, EBUSY, "container %s: its run lock is held", ref);
}

int engine_remove(struct store *s, const char *ref, bool force, bool volumes,
		  struct berth_error *err)
{
	char id[CONTAINER_ID_LEN + 1];

	if (container_resolve(s, ref, id, err) < 0)
		return -1;
	_cleanup_close_ int lock = remove_lock(s, ref, id, force, err);
	if (lock < 0) {
		/* another removal took it first */
		if (err->errnum == ENOENT) {
			berth_error_clear(err);
			berth_error_set(err, ENOENT, "no such container: %s", ref);
		}
		return -1;
	}
	/* what outlived the container (berth-fs folding its layer,
	 * slirp4netns) and what is mounted in its directory go first */
	if (container_kill_processes(s, id, false) > 0) {
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	container_unmount_all(s, id);
	if (users_remove_container(s, id, volumes, err) < 0) {
		if (err->errnum == ENOENT && strstr(err->msg, "no such container")) {
			berth_error_clear(err);
			berth_error_set(err, ENOENT, "no such container: %s", ref);
		}
		return -1;
	}
	return 0;
}

/* ---- attach ---- */

struct attach_client {
	int sock;
	int status;
};

/* One message of the monitor's: output, or the container's status (the
 * end). */
static bool attach_output(void *arg, int sock)
{
	struct attach_client *c = arg;
	char buf[65536];
	size_t len;
	int type;

	if (attach_recv(sock, &type, buf, sizeof(buf), &len) <= 0)
		return false; /* the monitor went away */
	if (type == ATTACH_STATUS && len == sizeof(uint32_t)) {
		uint32_t st;
		memcpy(&st, buf, sizeof(st));
		c->status = (int)st;
		return false;
	}
	return write_all(type == ATTACH_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf, len) == 0;
}

static bool attach_input(void *arg, const char *buf, size_t len)
{
	struct attach_client *c = arg;
	return attach_send(c->sock, ATTACH_STDIN, buf, len) == 0;
}

static void attach_resize(void *arg, const struct winsize *ws)
{
	struct attach_client *c = arg;
	if (attach_send(c->sock, ATTACH_WINSIZE, ws, sizeof(*ws)) < 0) {
		/* the monitor is gone: the output side sees it */
	}
}

int engine_attach(struct store *s, const char *id, bool input, struct engine_end *end,
		  struct berth_error *err)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", s->root, id);
	struct attach_client c = { .status = -1 };
	struct termios t;

	*end = (struct engine_end){ .status = -1 };
	_cleanup_close_ int sock = attach_connect(dir, err);
	if (sock < 0)
		return -1;
	c.sock = sock;
	/* the window size is the terminal's to give, when ours is raw */
	bool tty = input && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t) == 0;
	struct console_peer p = { .fd = sock,
				  .output = attach_output,
				  .input = attach_input,
				  .resize = tty ? attach_resize : NULL,
				  .end_fd = -1,
				  .detach_keys = true,
				  .arg = &c };
	end->detached = console_relay(&p, input);
	end->status = c.status;
	return 0;
}

/* ---- ps ---- */

/* A running container's published ports as docker's ps shows them. */
static void ps_ports(struct store *s, struct engine_ps *e)
{
	struct port_map *m = NULL;
	size_t n = 0;

	e->ports = xcalloc(1, sizeof(char *));
	if (container_ports(s, e->id, &m, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char one[96];
		ports_format(&m[i], one, sizeof(one));
		strv_push(&e->ports, &e->n_ports, one);
	}
	free(m);
}

/* What ps shows as IMAGE: the name the container was made from, else
 * its image's ID. */
static char *ps_image(struct store *s, const char *id)
{
	_cleanup_free_ char *p = xasprintf("containers/%s/image", id);
	struct berth_error err = { 0 };
	struct run_config rc;
	char *image = NULL;

	if (engine_config(s, id, &rc, &err) == 0 && rc.image_ref)
		image = steal_pointer(&rc.image_ref);
	run_config_clear(&rc);
	berth_error_clear(&err);
	if (!image && read_file_at(s->rootfd, p, 256, &image, NULL, &err) < 0)
		berth_error_clear(&err);
	return image;
}

struct ps_walk {
	bool all;
	struct engine_ps **out;
	size_t *n;
};

static void ps_add(struct store *s, const char *id, void *arg)
{
	struct ps_walk *w = arg;
	struct engine_ps e = { 0 };

	container_status(s, id, &e.state);
	if (!w->all && strcmp(e.state.status, "running") != 0)
		return;
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.name = container_name(s, id);
	e.image = ps_image(s, id);
	ps_ports(s, &e);
	*w->out = xrealloc(*w->out, (*w->n + 1) * sizeof(**w->out));
	(*w->out)[(*w->n)++] = e;
}

int engine_list(struct store *s, bool all, struct engine_ps **out, size_t *n,
		struct berth_error *err)
{
	struct ps_walk w = { all, out, n };

	*out = xcalloc(1, sizeof(**out));
	*n = 0;
	return container_each(s, ps_add, &w, err);
}

void engine_ps_free(struct engine_ps *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ps[i].name);
		free(ps[i].image);
		strv_free(ps[i].ports);
	}
	free(ps);
}
