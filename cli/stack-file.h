/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stack-file.h: a stack file as the verbs use it (stack-file.c): loaded
 * with its errors printed, its containers' names (STACK-SANDBOX), its
 * checks against the store and its warnings, its sandboxes' logs. `up`
 * and `down` are cmd-stack.c's; ps, logs, stop and restart take --stack,
 * profile check checks one.
 */
#ifndef BERTH_CLI_STACK_FILE_H
#define BERTH_CLI_STACK_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../profiles/profile.h"

/* Load file into st (0), or print why and return an exit code. */
int stack_file_load(const char *file, struct stack *st);
/* The container a sandbox of st runs as: STACK-SANDBOX (to free). */
char *stack_container_name(const struct stack *st, const char *sandbox);
/* The stack's container names, or an exit code. */
int stack_names(const char *file, char ***names, size_t *n);
/* One sandbox's container name, or an exit code. */
int stack_container(const char *file, const char *sandbox, char **name);
/* Each sandbox's image, secrets and bind sources (problems printed with
 * file:line); the number of sandboxes with a problem. */
int stack_check_store(const struct stack *st);
/* A file with a [stack] section is a stack file. */
bool stack_file(const char *file);
/* What each sandbox loosens, as warnings (profile_warn); their number. */
size_t stack_warn(const struct stack *st);

/* SIGINT and SIGTERM from now on only ask to stop (stack_stop_asked):
 * up's and logs --stack's way to end following the logs. */
void stack_catch_stop(void);
bool stack_stop_asked(void);
/* Every sandbox's log lines, each after its name ("NAME | "); with
 * follow until they end or a stop is asked. */
int stack_logs(const struct stack *st, bool follow, bool timestamps);
int stack_logs_file(const char *file, bool follow, bool timestamps);

#endif
