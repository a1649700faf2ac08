/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * credhelper.h: docker's credential helper protocol (credhelper.c):
 * docker-credential-NAME, found on PATH, run with one verb as its only
 * argument (berth uses get: login writes berth's own file, never a
 * helper), its input on stdin and its answer on stdout. A secret travels
 * only through those pipes: never in the helper's argv or environment (a
 * short listed one), never in a message. A helper that does not end in
 * time is killed.
 */
#ifndef BERTH_CREDHELPER_H
#define BERTH_CREDHELPER_H

#include <stdbool.h>

#include "../lib/error.h"

#define CREDHELPER_TIMEOUT_MS 30000

/* A helper's name is NAME of docker-credential-NAME: letters, digits,
 * '.', '_', '-'. */
bool credhelper_name_ok(const char *name);

/* get: the user and secret the helper holds for server. Returns 1 with
 * them, 0 when it holds none, -1 when it failed (naming the helper). */
int credhelper_get(const char *name, const char *server, char **user, char **secret,
		   struct berth_error *err);
#endif
