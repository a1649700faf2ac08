// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * settings.c: a profile's settings (settings.h): added as a file is read,
 * taken over from a base in an extends chain, resolved (the last scalar
 * wins, list items add up), and looked up. Where they come from is
 * parse.c and files.c; what a key may hold is keys.c.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "keys.h"
#include "settings.h"

/* ---- settings ---- */

void prof_setting_add(struct profile *p, const struct profile_key *k, const char *name,
		      const char *value, const char *file, unsigned line)
{
	struct profile_setting *s;

	p->set = xrealloc(p->set, (p->n + 1) * sizeof(*p->set));
	s = &p->set[p->n++];
	s->key = k;
	s->name = name ? xstrdup(name) : NULL;
	s->value = xstrdup(value);
	s->file = xstrdup(file);
	s->line = line;
}

static void setting_clear(struct profile_setting *s)
{
	free(s->name);
	free(s->value);
	free(s->file);
	memset(s, 0, sizeof(*s));
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		setting_clear(&p->set[i]);
	for (size_t i = 0; i < p->n_ext; i++)
		setting_clear(&p->ext[i]);
	free(p->set);
	free(p->ext);
	free(p->file);
	free(p->shadowed);
	memset(p, 0, sizeof(*p));
}

/* An extends setting, kept aside: the resolved settings drop it, the
 * judge of what a profile loosens (widen.c) still wants it. */
void prof_note_extends(struct profile *p, const struct profile_setting *ext)
{
	p->ext = xrealloc(p->ext, (p->n_ext + 1) * sizeof(*p->ext));
	p->ext[p->n_ext++] = (struct profile_setting){ .key = ext->key,
						       .value = xstrdup(ext->value),
						       .file = xstrdup(ext->file),
						       .line = ext->line };
}

bool prof_is_key(const struct profile_key *k, const char *section, const char *name)
{
	return !strcmp(k->section, section) && k->name && !strcmp(k->name, name);
}

/* The last setting of a key. */
const struct profile_setting *prof_setting_get(const struct profile *p, const char *section,
					       const char *name)
{
	for (size_t i = p->n; i-- > 0;)
		if (prof_is_key(p->set[i].key, section, name))
			return &p->set[i];
	return NULL;
}

const char *profile_get(const struct profile *p, const char *section, const char *name)
{
	const struct profile_setting *s = prof_setting_get(p, section, name);
	return s ? s->value : NULL;
}

/* Move src's settings to the end of dst, but for extends and a stack's
 * own keys, which are applied rather than kept. */
void prof_settings_take(struct profile *dst, struct profile *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct profile_setting *s = &src->set[i];
		if (prof_is_key(s->key, "", "extends") || !strcmp(s->key->section, "NAME")) {
			setting_clear(s);
			continue;
		}
		dst->set = xrealloc(dst->set, (dst->n + 1) * sizeof(*dst->set));
		dst->set[dst->n++] = *s;
	}
	free(src->set);
	src->set = NULL;
	src->n = 0;
}

bool prof_same_slot(const struct profile_setting *a, const struct profile_setting *b)
{
	return a->key == b->key && (a->key->type != PROFILE_MAP || !strcmp(a->name, b->name));
}

/* The base's settings came first: a later scalar or map name wins, list
 * items all stay, in order. */
void prof_resolve(struct profile *p)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		bool overridden = false;
		if (p->set[i].key->type != PROFILE_LIST && p->set[i].key->type != PROFILE_LINES)
			for (size_t j = i + 1; j < p->n && !overridden; j++)
				overridden = prof_same_slot(&p->set[i], &p->set[j]);
		if (overridden)
			setting_clear(&p->set[i]);
		else
			p->set[o++] = p->set[i];
	}
	p->n = o;
}
