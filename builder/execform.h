/* SPDX-License-Identifier: GPL-2.0-or-later */
/* execform.h: the exec (JSON) form of an instruction (execform.c). */
#ifndef BERTH_EXECFORM_H
#define BERTH_EXECFORM_H

#include <stddef.h>

/* text (leading blanks skipped) as the exec form: 1 and its strings in
 * *out (NULL-terminated, *n of them; free each, then *out); 0 when it is
 * not a JSON array (the shell form, as docker falls back); -1 when it is
 * one with something else than strings (docker's error). */
int df_exec_form(const char *text, char ***out, size_t *n);

#endif
