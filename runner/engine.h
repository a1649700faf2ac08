/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine.h: a container's life as functions: create, start (attached,
 * or detached under a monitor), stop, kill, attach, exec, wait, remove,
 * list, cp. The CLI's verbs, `berth up` and `down` (cli/cmd-stack.c), and
 * later build and kube call these in-process. A container is named by
 * ref: its name or a unique prefix of its ID.
 *
 * Implemented in create.c (engine_create: a run_config resolved against
 * its image and the store, and recorded), start.c (engine_start,
 * engine_exec, engine_cp: every struct launch_spec is built there, from
 * a container's run_config) and engine.c (the rest).
 *
 * Errors follow docs/error-handling.md: int, < 0 with err. What happens
 * while a container runs attached and does not stop it (a warning, why
 * berth ended it, a record not written) is said through the caller's
 * say(), one line each; nothing here prints.
 */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../image/store.h"
#include "../lib/error.h"
#include "container.h"
#include "run_config.h"

/* One line for the user ("warning: ..." or a reason), without "berth: ". */
typedef void engine_say_fn(void *arg, const char *line);

/* A container's record (config.json) as a run_config (to clear). */
int engine_config(struct store *s, const char *id, struct run_config *rc, struct berth_error *err);

/* Resolve rc (run_config_finish'ed, IMAGE in rc->image_ref, COMMAND in
 * rc->args) against its image and the store: the command, environment,
 * user, capabilities, seccomp profile, mounts (volumes made, the image's
 * VOLUMEs added), ports, network, hostname; then record the container
 * (rc is the record then) with its ID in id. */
int engine_create(struct store *s, struct run_config *rc, char id[CONTAINER_ID_LEN + 1],
		  struct berth_error *err);

struct engine_start {
	/* attached: this process is the container's monitor (or, with a
	 * terminal, attaches to one) and *status the container's; else the
	 * container runs under a monitor of its own, and the call returns
	 * once its command runs */
	bool attach;
	bool interactive; /* attached: stdin too, whatever the record says */
	engine_say_fn *say;
	void *say_arg;
};

/* The container's end, when it ran attached. */
struct engine_end {
	/* its status; on a failed start what `run` exits with (125 setup,
	 * 126/127 the command), or 0 when nothing was launched */
	int status;
	bool detached; /* the user left it running (ctrl-p ctrl-q) */
	bool running;  /* it was running already: nothing was done */
	/* attached without a terminal: the last SIGINT, SIGTERM or SIGHUP
	 * this process got (and passed on) while it ran, or 0 */
	int signal;
};

/* Start the recorded container id. The store's lock is not held while it
 * runs. Attached without a terminal, this process is its monitor: a
 * failure to launch it is said and its status returned, as its end is
 * recorded all the same; -1 means it could not be begun. */
int engine_start(struct store *s, const char *id, const struct engine_start *how,
		 struct engine_end *end, struct berth_error *err);

/* Stop: its stop signal, then after secs (< 0: its own timeout, else
 * docker's 10 s) the kill; a stopped container is no error. */
int engine_stop(struct store *s, const char *id, long secs, struct berth_error *err);
/* Send sig (SIGKILL: the holder's kill signal, launchspec.h) to the
 * running container ref. */
int engine_kill(struct store *s, const char *ref, int sig, struct berth_error *err);
/* Until it is not running (at most ms, < 0: for ever); its exit code. */
int engine_wait(struct store *s, const char *id, long ms);
/* Remove ref: force ends a running one first (whatever its records say:
 * its processes found, its mounts detached; no free space needed),
 * volumes takes its anonymous volumes too (rm -v). ENOENT in
 * err->errnum: there is no such container (any more: of two removals
 * at once, exactly one removes it, the other gets this). */
int engine_remove(struct store *s, const char *ref, bool force, bool volumes,
		  struct berth_error *err);

/* Attach to the detached container id: its output to ours, our input
 * (with input, from a terminal) to its terminal. end->status is its
 * status at its end (-1 when the monitor left without a word),
 * end->detached after ctrl-p ctrl-q. */
int engine_attach(struct store *s, const char *id, bool input, struct engine_end *end,
		  struct berth_error *err);

struct engine_exec {
	char **argv;	     /* the command */
	char **env;	     /* -e KEY[=VALUE] over the container's (KEY: the host's) */
	const char *user;    /* NULL: the container's */
	const char *workdir; /* NULL: the container's */
	bool interactive, tty;
};

/* Run x's command in the running container ref, to its end: *status. */
int engine_exec(struct store *s, const char *ref, const struct engine_exec *x, int *status,
		struct berth_error *err);

/* `cp`: between the host and the container ref, running or stopped. */
struct copy_req;
int engine_cp(struct store *s, const char *ref, const struct copy_req *c, struct berth_error *err);

/* A container as ps lists it. */
struct engine_ps {
	char id[CONTAINER_ID_LEN + 1];
	char *name;
	char *image; /* the name it was made from, else its image's ID */
	struct container_state state;
	char **ports; /* "127.0.0.1:8080->80/tcp", NULL-terminated (running only) */
	size_t n_ports;
};

/* Every container (running ones only unless all). */
int engine_list(struct store *s, bool all, struct engine_ps **out, size_t *n,
		struct berth_error *err);
void engine_ps_free(struct engine_ps *ps, size_t n);

#endif
