/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expand.h: docker's variable substitution in a Dockerfile's words
 * (expand.c): $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
 * ${VAR+word}, the escape character and quotes as docker's shell lexer
 * treats them. The build applies it to the instructions docker applies
 * it to (FROM, ADD, COPY, ENV, ARG, LABEL, EXPOSE, STOPSIGNAL, USER,
 * VOLUME, WORKDIR, and the flags of those) and to nothing else: RUN, CMD
 * and ENTRYPOINT reach the shell as written.
 */
#ifndef BERTH_EXPAND_H
#define BERTH_EXPAND_H

#include "../lib/error.h"

/* The value of a variable, or NULL when it is not set. */
typedef const char *df_lookup_fn(void *arg, const char *name);

/* word expanded, its quotes removed and its escapes applied, as one
 * word (ENV and LABEL values, WORKDIR, USER, a COPY source...): into
 * *out (to free). A malformed word ("${", "${VAR", a bad modifier) is an
 * error naming it; the caller adds the line. */
int df_expand_word(const char *word, char escape, df_lookup_fn *lookup, void *arg, char **out,
		   struct berth_error *err);

/* As df_expand_word, then split on unquoted whitespace (EXPOSE, VOLUME
 * and the shell form of COPY/ADD split this way): *out NULL-terminated
 * (strv_free). */
int df_expand_words(const char *text, char escape, df_lookup_fn *lookup, void *arg, char ***out,
		    struct berth_error *err);

/* Heredoc bodies with expand set: $VAR, ${VAR} and the modifiers, the
 * escape character before $ kept literal; quotes are text. */
int df_expand_heredoc(const char *body, char escape, df_lookup_fn *lookup, void *arg, char **out,
		      struct berth_error *err);

#endif
