/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h: what the parts of one build share (build.c: the build and
 * its stages; step.c: each instruction; runstep.c: RUN as a container).
 * Internal to builder/.
 */
#ifndef BERTH_BUILDER_STATE_H
#define BERTH_BUILDER_STATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "../image/store.h"
#include "context.h"
#include "dockerfile.h"

struct build_opts;

/* One stage as it is being built. */
struct stage_run {
	const struct df_stage *df;
	size_t index;
	bool needed, done;
	/* the image holding the stage's layers so far ("" while it has
	 * none: FROM scratch); its config is the build's as of that step */
	char image[DIGEST_STR_LEN + 1];
	/* the image's config as the build has it now (rootfs aside) */
	struct json_object *config;
	/* the step cache's chain: the parent of the next step's key */
	char key[DIGEST_STR_LEN + 1];
	/* the ARGs in scope: "NAME=VALUE", or "NAME" (declared, no value) */
	char **args;
	size_t n_args;
	bool cmd_set; /* a CMD of this stage (ENTRYPOINT resets only the base's) */
	/* the stages it needs (FROM, COPY --from, RUN --mount from=), by
	 * index; its place among the needed ones, for "[2/3] STEP ..." */
	size_t *deps;
	size_t n_deps, ordinal;
	/* built by a child process (stages.c): its pid and its report */
	pid_t pid;
	int report;
};

struct build {
	struct store *s;
	const struct build_opts *o;
	struct dockerfile df;
	struct build_context ctx;
	/* --build-arg as "K=V" (K alone taken from the environment), and
	 * which of them an ARG consumed (the rest are warned about) */
	char **given;
	size_t n_given;
	bool *consumed;
	/* the ARGs before the first FROM, with their values: "NAME=VALUE" */
	char **meta;
	size_t n_meta;
	struct stage_run *stages;
	size_t n_stages;
	size_t n_needed; /* the stages the target needs */
	/* "[NAME] " before each line, in a stage built beside others */
	char *prefix;
	/* where step layers are written before they are assembled */
	struct store_stage *stage;
	int64_t now;	     /* the time recorded in history and created */
	bool said_single_id; /* the single-id mapping's warning, said once */
	/* a terminal's live view (RUN steps drawn in place), and the step's
	 * title ("STEP 3/8: RUN npm ci"), which a RUN's view prints */
	bool tty;
	char *title;
};

/* One line of the build's output (STEP..., -->...): to o->out unless
 * quiet. */
void build_print(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning, through o->say. */
void build_warn(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The value of NAME for substitution in st: its ENV, else its ARG. */
const char *build_lookup(void *st, const char *name);
/* ... its ENV only. */
const char *build_lookup_env(struct stage_run *st, const char *name);
/* --build-arg's value for name (marked consumed), or NULL. */
const char *build_given(struct build *b, const char *name);
/* HTTP_PROXY and the others docker predefines. */
bool build_is_proxy_arg(const char *name);
/* "NAME:LINE: " prefixed to err (the Dockerfile's name and in's line). */
int build_fail_at(struct build *b, const struct df_instr *in, struct berth_error *err);

/* The stage a --from or FROM names (a stage's name or index, among
 * those before `before`), or NULL. */
struct stage_run *build_stage_named(struct build *b, const char *name, size_t before);

/* SIGINT, SIGTERM and SIGHUP noted, not acted on at once (build.c):
 * armed for the build (again after each RUN, whose engine forwards
 * them to the step); a RUN reports what it was sent; the build stops at
 * the next step with "interrupted" in err (-1). */
void build_signals_arm(void);
void build_note_interrupt(int sig);
int build_check_interrupt(struct berth_error *err);

/* The stage st: its FROM, then each instruction (build.c). */
int build_stage(struct build *b, struct stage_run *st, struct berth_error *err);
/* A step's title line. */
char *build_step_title(struct build *b, struct stage_run *st, size_t step,
		       const struct df_instr *in);
/* The needed stages up to target, each after those it needs, the
 * independent ones at once (stages.c). */
int stages_build(struct build *b, size_t target, struct berth_error *err);

/* Run one instruction of st (step.c). */
int step_run(struct build *b, struct stage_run *st, const struct df_instr *in,
	     struct berth_error *err);

/* Make st->image an image with st->config as its config (the layers
 * unchanged, plus the layer in layer_fd when >= 0): an intermediate
 * image, recorded in the step cache under key unless key is NULL. */
int step_commit(struct build *b, struct stage_run *st, int layer_fd, const char *key,
		struct berth_error *err);

/* The RUN instruction in of st, as a container over st->image; its
 * writable layer into layer_fd, *n_entries of it (runstep.c). */
int runstep_exec(struct build *b, struct stage_run *st, const struct df_instr *in, int layer_fd,
		 size_t *n_entries, struct berth_error *err);

/* Remove the step containers of builds that were killed (their builder
 * is gone), said through build_warn (runstep.c). */
void runstep_sweep(struct build *b);

/* The contents of the RUN in's bind mounts, as lines into f: part of
 * its cache key (runstep.c). */
int runstep_mount_key(struct build *b, struct stage_run *st, const struct df_instr *in, FILE *f,
		      struct berth_error *err);

/* The history entry for a step: created_by, and empty_layer when it
 * made no layer. */
void build_history_add(struct build *b, struct stage_run *st, const char *created_by,
		       bool empty_layer);

#endif
