/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd-stack.h: stacks from the CLI (cmd-stack.c): up, down, and the
 * --stack of ps, logs and restart.
 */
#ifndef BERTH_CMD_STACK_H
#define BERTH_CMD_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "../profiles/profile.h"

int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
/* The stack's container names (STACK-SANDBOX), or an exit code. */
int stack_names(const char *file, char ***names, size_t *n);
/* One sandbox's container name, or an exit code. */
int stack_container(const char *file, const char *sandbox, char **name);
/* Every sandbox's log lines, prefixed "NAME | "; with follow until they
 * end or SIGINT/SIGTERM. */
int stack_logs(const struct stack *st, bool follow, bool timestamps);
int stack_logs_file(const char *file, bool follow, bool timestamps);
/* Each sandbox's image, secrets and bind sources (problems printed with
 * file:line); the number of sandboxes with a problem. */
int stack_check_store(const struct stack *st);
/* A file with a [stack] section is a stack file. */
bool stack_file(const char *file);
/* What each sandbox loosens, as warnings (profile_warn); their number. */
size_t stack_warn(const struct stack *st);
/* profile check [--strict] of a stack file: an exit code. */
int stack_check_file(const char *file, bool strict);

#endif
