/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dockerfile.h: a Dockerfile (or Containerfile) read as docker's parser
 * reads it (dockerfile.c): parser directives (syntax, escape), comments,
 * line continuations, heredocs, the exec (JSON) and shell forms, the ARGs
 * before the first FROM, then the stages and their instructions. Nothing
 * is substituted here: words keep their quotes and $VARs, for expand.h at
 * the moment the build reaches them (the values depend on the ARGs and
 * ENVs seen so far). Errors name "NAME:LINE" and the problem.
 */
#ifndef BERTH_DOCKERFILE_H
#define BERTH_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/error.h"

/* Bounds on what is read: a larger file or a longer instruction is an
 * error naming its line, never a crash or a stall. */
#define DF_MAX_BYTES ((size_t)4 << 20)
#define DF_MAX_INSTRUCTIONS 10000

enum df_kind {
	DF_FROM,
	DF_RUN,
	DF_COPY,
	DF_ADD,
	DF_WORKDIR,
	DF_ENV,
	DF_ARG,
	DF_LABEL,
	DF_USER,
	DF_EXPOSE,
	DF_VOLUME,
	DF_CMD,
	DF_ENTRYPOINT,
	DF_STOPSIGNAL,
	DF_SHELL,
	DF_HEALTHCHECK,
	DF_ONBUILD,
	DF_MAINTAINER,
};

/* "--name=value" before an instruction's arguments (value NULL for a
 * bare "--name"). Which flags an instruction takes is checked here:
 * an unknown one is an error naming it and the line. */
struct df_flag {
	char *name;
	char *value;
};

/* A heredoc: "<<EOF" (expand: $VARs in the body are expanded when the
 * delimiter was unquoted), "<<-EOF" (strip_tabs: leading tabs removed
 * from each line of the body, already done here). body ends with a
 * newline when it had lines. */
struct df_heredoc {
	char *name;
	char *body;
	bool expand, strip_tabs;
};

/*
 * One instruction. args, NULL-terminated (n_args), by kind:
 *  FROM                 [IMAGE] (the stage's name is struct df_stage's)
 *  RUN, CMD, ENTRYPOINT json: the array's strings; else [the rest of the
 *                       line, continuations joined] (for RUN <<EOF, the
 *                       line as written, heredocs in heredocs)
 *  SHELL                json only: the array's strings
 *  COPY, ADD            json: the strings; else the words split on
 *                       whitespace; the last is the destination. A
 *                       "<<EOF" source is a heredoc, named in heredocs
 *  ENV, LABEL           pairs: args[2i] the key, args[2i+1] the value, raw
 *                       (quotes kept); the old "ENV KEY VALUE" is one pair
 *  ARG                  words "NAME" or "NAME=DEFAULT", raw
 *  EXPOSE, VOLUME       words (VOLUME also json)
 *  WORKDIR, USER,       [the rest of the line]
 *  STOPSIGNAL, MAINTAINER
 *  HEALTHCHECK          ["NONE"], or ["CMD", then as CMD's]; json tells
 *                       CMD's form; its options are flags
 *  ONBUILD              the trigger in sub (never FROM, ONBUILD,
 *                       MAINTAINER); args [its text, then for each
 *                       heredoc "\n", its body and its delimiter, the
 *                       trigger as docker records it]
 */
struct df_instr {
	enum df_kind kind;
	unsigned line; /* its first line in the file */
	/* the instruction as written, continuations joined as docker
	 * joins them (the escape removed, the next line's leading blanks
	 * kept), comments inside it dropped: "RUN npm ci"; history's
	 * created_by and messages quote it */
	char *text;
	struct df_flag *flags;
	size_t n_flags;
	bool json;
	char **args;
	size_t n_args;
	struct df_heredoc *heredocs;
	size_t n_heredocs;
	struct df_instr *sub;
};

/* A stage: FROM [--platform=P] IMAGE [AS NAME] and what follows it. */
struct df_stage {
	struct df_instr from;
	char *name; /* AS NAME, lower-cased; NULL when unnamed */
	struct df_instr *instrs;
	size_t n_instrs;
};

struct dockerfile {
	char *name;		    /* what messages call it ("Dockerfile") */
	char escape;		    /* '\\' or '`' (# escape=) */
	char *syntax;		    /* # syntax=, or NULL (noted, not acted on) */
	struct df_instr *meta_args; /* the ARGs before the first FROM */
	size_t n_meta_args;
	struct df_stage *stages;
	size_t n_stages;
};

/* Parse text[0..len) (need not be NUL-terminated) into df; name is what
 * errors call the file. A file without FROM, an instruction before the
 * first FROM other than ARG, an unknown instruction, a malformed JSON
 * form or flag, an unterminated heredoc: "NAME:LINE: the problem". */
int dockerfile_parse(const char *name, const char *text, size_t len, struct dockerfile *df,
		     struct berth_error *err);
void dockerfile_clear(struct dockerfile *df);

/* An instruction's keyword as docker spells it in messages ("RUN"). */
const char *df_kind_name(enum df_kind k);
/* The flag --name of in, or NULL (the last one when repeated). */
const struct df_flag *df_flag_get(const struct df_instr *in, const char *name);

#endif
