// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-profile.c: libFuzzer target for profiles and stacks as text
 * (profile_parse_text, stack_parse_text). Every error starts with the
 * file's name; a profile that parses is written back by
 * profile_write_ini and must read back to the same settings; its words
 * split; a stack's order puts every sandbox after its dependencies; the
 * judge of what each loosens (profile_widenings) names fuzz.ini:LINE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../profiles/profile.h"
#include "../../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(struct berth_error *err)
{
	if (!err->msg || strncmp(err->msg, "fuzz.ini:", 9))
		abort();
	berth_error_clear(err);
}

static bool same_settings(const struct profile *a, const struct profile *b)
{
	if (a->n != b->n)
		return false;
	for (size_t k = 0; k < profile_n_keys; k++) {
		size_t i = 0, j = 0;
		for (;;) {
			while (i < a->n && a->set[i].key != &profile_keys[k])
				i++;
			while (j < b->n && b->set[j].key != &profile_keys[k])
				j++;
			if (i == a->n || j == b->n)
				break;
			if (strcmp(a->set[i].value, b->set[j].value) ||
			    (a->set[i].name == NULL) != (b->set[j].name == NULL) ||
			    (a->set[i].name && strcmp(a->set[i].name, b->set[j].name)))
				return false;
			i++, j++;
		}
		if ((i == a->n) != (j == b->n))
			return false;
	}
	return true;
}

/* The judge of what a profile loosens takes every value as written:
 * each line it makes names the file and a line of it. */
static void check_widenings(const struct profile *p, char *const *networks, char *const *volumes)
{
	char **w = NULL;
	size_t n = 0;

	profile_widenings(p, networks, volumes, &w, &n);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(w[i], "fuzz.ini:", 9))
			abort();
		free(w[i]);
	}
	if (w[n])
		abort();
	free(w);
}

static void check_profile(const struct profile *p)
{
	struct berth_error err = { 0 };
	struct profile back = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	profile_write_ini(p, f);
	fclose(f);
	if (profile_parse_text(text, "back.ini", &back, &err) < 0 || !same_settings(p, &back)) {
		fprintf(stderr, "round trip failed: %s\n---\n%s---\n", err.msg ? err.msg : "",
			text);
		abort();
	}
	profile_free(&back);
	free(text);
	for (size_t i = 0; i < p->n; i++) {
		char **w = NULL;
		size_t n = 0;
		if (p->set[i].key->type != PROFILE_WORDS)
			continue;
		if (profile_words(p->set[i].value, &w, &n, &err) < 0)
			abort();
		for (size_t j = 0; j < n; j++)
			free(w[j]);
		free(w);
	}
	check_widenings(p, NULL, NULL);
}

static void check_stack(const struct stack *st)
{
	if (st->n_sb == 0 || !st->name || !st->networks || !st->volumes)
		abort();
	for (size_t i = 0; i < st->n_sb; i++)
		for (size_t d = 0; d < st->sb[i].n_deps; d++) {
			bool before = false;
			for (size_t j = 0; j < i; j++)
				before |= !strcmp(st->sb[j].name, st->sb[i].depends_on[d]);
			if (!before || !profile_get(&st->sb[i].prof, "sandbox", "image"))
				abort();
		}
	for (size_t i = 0; i < st->n_sb; i++)
		check_widenings(&st->sb[i].prof, st->networks, st->volumes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct berth_error err = { 0 };
	struct profile p = { 0 };
	struct stack st = { 0 };

	if (profile_parse_text(s, "fuzz.ini", &p, &err) == 0) {
		check_profile(&p);
		profile_free(&p);
	} else {
		check_error(&err);
	}
	if (stack_parse_text(s, "fuzz.ini", &st, &err) == 0) {
		check_stack(&st);
		stack_free(&st);
	} else {
		check_error(&err);
	}
	free(s);
	return 0;
}
