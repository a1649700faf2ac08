// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stack.c: stack files (profile.h's stack_load): each sandbox's resolved
 * profile (its extends chain, then its [NAME] and [NAME.SECTION]), the
 * [stack] section, depends-on checked and put in order (a cycle named), a
 * host port published twice, networks and volumes used by name but not
 * declared. Reading the file section by section is parse.c's (a
 * sandbox arrives as a struct draft_sb); the keys and each value's check
 * are keys.c's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../netns/ports.h"
#include "../runner/mountspec.h"
#include "../objects/network.h"
#include "../lib/util.h"
#include "files.h"
#include "keys.h"
#include "parse.h"
#include "profile.h"
#include "settings.h"

/* ---- stacks ---- */

struct sbx {
	char *name;
	unsigned line;	     /* its [NAME] */
	struct profile prof; /* resolved */
	struct profile deps; /* its depends-on settings */
	bool placed;
};

static void sbx_clear(struct sbx *s)
{
	free(s->name);
	profile_free(&s->prof);
	profile_free(&s->deps);
}

static bool vec_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static size_t sbx_find(const struct sbx *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return i;
	return SIZE_MAX;
}

void stack_free(struct stack *st)
{
	free(st->file);
	free(st->name);
	strv_free(st->networks);
	strv_free(st->volumes);
	for (size_t i = 0; i < st->n_sb; i++) {
		free(st->sb[i].name);
		profile_free(&st->sb[i].prof);
		strv_free(st->sb[i].depends_on);
	}
	free(st->sb);
	memset(st, 0, sizeof(*st));
}

/* A sandbox's settings: its extends chain's, then the stack file's. */
static int sandbox_profile(struct draft_sb *d, const char *file, const struct stat *st,
			   struct sbx *out, struct berth_error *err)
{
	const struct profile_setting *ext = prof_setting_get(&d->prof, "NAME", "extends");

	out->name = xstrdup(d->name);
	out->line = d->head_line;
	for (size_t i = 0; i < d->prof.n; i++)
		if (prof_is_key(d->prof.set[i].key, "NAME", "depends-on")) {
			const struct profile_setting *s = &d->prof.set[i];
			prof_setting_add(&out->deps, s->key, NULL, s->value, s->file, s->line);
		}
	if (ext) {
		struct chain ch = { 0 };
		prof_note_extends(&out->prof, ext);
		prof_chain_push(&ch, st, file);
		int r = prof_load_base(ext, &ch, &out->prof, err);
		prof_chain_clear(&ch);
		if (r < 0)
			return -1;
	}
	prof_settings_take(&out->prof, &d->prof);
	prof_resolve(&out->prof);
	out->prof.file = xstrdup(file);
	if (!profile_get(&out->prof, "sandbox", "image"))
		return berth_error_set(err, 0,
				       "%s:%u: [%s]: no image (set image, or extends a profile "
				       "that does)",
				       file, d->head_line, d->name);
	return 0;
}

static int check_deps(struct sbx *v, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].deps.n; j++) {
			const struct profile_setting *d = &v[i].deps.set[j];
			const char *hint = NULL;
			if (sbx_find(v, n, d->value) != SIZE_MAX)
				continue;
			for (size_t k = 0; k < n; k++)
				if (prof_typo_of(d->value, v[k].name))
					hint = v[k].name;
			return berth_error_set(err, 0,
					       "%s:%u: [%s] depends-on: no sandbox \"%s\" in this "
					       "stack%s%s%s",
					       d->file, d->line, v[i].name, d->value,
					       hint ? " (did you mean \"" : "", hint ? hint : "",
					       hint ? "\"?)" : "");
		}
	return 0;
}

/* A cycle among the sandboxes not placed: each has an unplaced dependency,
 * so following the first one from any of them comes round. */
static int cycle_error(struct sbx *v, size_t n, struct berth_error *err)
{
	_cleanup_free_ size_t *path = xcalloc(n + 1, sizeof(*path));
	_cleanup_free_ char *names = NULL;
	const struct profile_setting *first = NULL;
	size_t len = 0, at = 0, start;

	while (v[at].placed)
		at++;
	for (;;) {
		size_t next = SIZE_MAX;
		for (start = 0; start < len && path[start] != at; start++)
			;
		if (start < len)
			break;
		path[len++] = at;
		for (size_t j = 0; j < v[at].deps.n && next == SIZE_MAX; j++) {
			size_t d = sbx_find(v, n, v[at].deps.set[j].value);
			if (!v[d].placed)
				next = d;
		}
		at = next;
	}
	names = xstrdup(v[path[start]].name);
	for (size_t i = start + 1; i <= len; i++) {
		size_t cur = i < len ? path[i] : path[start];
		char *s = xasprintf("%s -> %s", names, v[cur].name);
		free(names);
		names = s;
	}
	for (size_t j = 0; j < v[path[start]].deps.n && !first; j++) {
		const char *to = v[start + 1 < len ? path[start + 1] : path[start]].name;
		if (!strcmp(v[path[start]].deps.set[j].value, to))
			first = &v[path[start]].deps.set[j];
	}
	return berth_error_set(err, 0, "%s:%u: [%s] depends-on: a dependency cycle: %s",
			       first ? first->file : "?", first ? first->line : 0,
			       v[path[start]].name, names);
}

/* Dependencies first; among sandboxes free to go, the file's order. */
static int order(struct sbx *v, size_t n, size_t *out, struct berth_error *err)
{
	for (size_t done = 0; done < n; done++) {
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < n && pick == SIZE_MAX; i++) {
			bool ready = !v[i].placed;
			for (size_t j = 0; j < v[i].deps.n && ready; j++)
				ready = v[sbx_find(v, n, v[i].deps.set[j].value)].placed;
			if (ready)
				pick = i;
		}
		if (pick == SIZE_MAX)
			return cycle_error(v, n, err);
		v[pick].placed = true;
		out[done] = pick;
	}
	return 0;
}

/* One host address, port and protocol for one sandbox only. */
static int check_ports(const struct sbx *v, size_t n, struct berth_error *err)
{
	struct pub {
		size_t sb;
		const struct profile_setting *s;
		struct port_map m;
	} *pubs = NULL;
	size_t np = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].prof.n; j++) {
			const struct profile_setting *s = &v[i].prof.set[j];
			struct port_map *m = NULL;
			size_t nm = 0;
			struct berth_error e = { 0 };
			if (!prof_is_key(s->key, "network", "publish"))
				continue;
			if (ports_parse(s->value, &m, &nm, &e) < 0) /* checked at load */
				berth_error_clear(&e);
			pubs = xrealloc(pubs, (np + nm + 1) * sizeof(*pubs));
			for (size_t k = 0; k < nm; k++)
				pubs[np++] = (struct pub){ i, s, m[k] };
			free(m);
		}
	for (size_t a = 0; a < np && r == 0; a++)
		for (size_t b = a + 1; b < np && r == 0; b++) {
			const struct port_map *x = &pubs[a].m, *y = &pubs[b].m;
			char host[80];
			/* the same address, or one of them every address of its
			 * family: the second bind would fail at up */
			bool any = !strcmp(x->host_ip, "0.0.0.0") ||
				   !strcmp(y->host_ip, "0.0.0.0") || !strcmp(x->host_ip, "::") ||
				   !strcmp(y->host_ip, "::");
			bool v6x = strchr(x->host_ip, ':') != NULL,
			     v6y = strchr(y->host_ip, ':') != NULL;
			if (!x->host_port || x->host_port != y->host_port || x->udp != y->udp ||
			    (strcmp(x->host_ip, y->host_ip) && !(any && v6x == v6y)))
				continue;
			ports_host(y, host, sizeof(host));
			r = berth_error_set(err, 0,
					    "%s:%u: [%s] network.publish: host port %s/%s is "
					    "published twice: by [%s] too (%s:%u)",
					    pubs[b].s->file, pubs[b].s->line, v[pubs[b].sb].name,
					    host, y->udp ? "udp" : "tcp", v[pubs[a].sb].name,
					    pubs[a].s->file, pubs[a].s->line);
		}
	free(pubs);
	return r;
}

/* Networks joined and volumes mounted by name are the stack's own. */
static int check_declared(const struct stack *st, const struct sbx *v, size_t n,
			  struct berth_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].prof.n; j++) {
			const struct profile_setting *s = &v[i].prof.set[j];
			struct mount_req m;
			struct berth_error e = { 0 };
			int r;
			if (prof_is_key(s->key, "network", "mode") &&
			    !network_name_reserved(s->value) &&
			    !vec_has(st->networks, st->n_networks, s->value))
				return berth_error_set(
					err, 0,
					"%s:%u: [%s] network.mode: network \"%s\" is "
					"not in [stack] networks",
					s->file, s->line, v[i].name, s->value);
			if (prof_is_key(s->key, "mounts", "volume"))
				r = mountspec_parse_volume(s->value, &prof_check_env, &m, &e);
			else if (prof_is_key(s->key, "mounts", "mount"))
				r = mountspec_parse_mount(s->value, &prof_check_env, &m, &e);
			else
				continue;
			berth_error_clear(&e);
			bool undeclared = r == 0 && m.kind == MOUNT_VOLUME && m.source &&
					  !vec_has(st->volumes, st->n_volumes, m.source);
			if (undeclared)
				berth_error_set(err, 0,
						"%s:%u: [%s] mounts.%s: volume \"%s\" is not in "
						"[stack] volumes",
						s->file, s->line, v[i].name, s->key->name,
						m.source);
			mount_req_clear(&m);
			if (undeclared)
				return -1;
		}
	return 0;
}

/* [stack]: its name, networks and volumes (each once). */
static int stack_head(const struct profile *top, const char *file, struct stack *st,
		      struct berth_error *err)
{
	const char *name = profile_get(top, "stack", "name");
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	st->name = name ? xstrdup(name)
			: xstrndup(base, strlen(base) - (str_has_suffix(base, ".ini") ? 4 : 0));
	st->networks = xcalloc(1, sizeof(char *));
	st->volumes = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < top->n; i++) {
		const struct profile_setting *s = &top->set[i];
		bool net = prof_is_key(s->key, "stack", "networks");
		char ***v = net ? &st->networks : &st->volumes;
		size_t *nv = net ? &st->n_networks : &st->n_volumes;
		if (!net && !prof_is_key(s->key, "stack", "volumes"))
			continue;
		if (vec_has(*v, *nv, s->value))
			return berth_error_set(err, 0, "%s:%u: [stack] %s: \"%s\" twice", s->file,
					       s->line, s->key->name, s->value);
		strv_push(v, nv, s->value);
	}
	return 0;
}

static int stack_build(struct parser *p, const char *file, const struct stat *fst,
		       struct stack *out, struct berth_error *err)
{
	struct stack st = { .file = xstrdup(file) };
	struct sbx *v = xcalloc(p->n_sb, sizeof(*v));
	size_t *ord = xcalloc(p->n_sb, sizeof(*ord)), n = p->n_sb;
	int r = stack_head(&p->top, file, &st, err);

	for (size_t i = 0; i < n && r == 0; i++)
		r = sandbox_profile(&p->sbs[i], file, fst, &v[i], err);
	if (r == 0)
		r = check_deps(v, n, err);
	if (r == 0)
		r = order(v, n, ord, err);
	if (r == 0)
		r = check_ports(v, n, err);
	if (r == 0)
		r = check_declared(&st, v, n, err);
	if (r == 0) {
		st.sb = xcalloc(n, sizeof(*st.sb));
		for (size_t i = 0; i < n; i++) {
			struct sbx *s = &v[ord[i]];
			struct stack_sandbox *o = &st.sb[st.n_sb++];
			o->name = steal_pointer(&s->name);
			o->prof = s->prof;
			memset(&s->prof, 0, sizeof(s->prof));
			o->depends_on = xcalloc(1, sizeof(char *));
			for (size_t j = 0; j < s->deps.n; j++)
				strv_push(&o->depends_on, &o->n_deps, s->deps.set[j].value);
		}
		*out = st;
	} else {
		stack_free(&st);
	}
	for (size_t i = 0; i < n; i++)
		sbx_clear(&v[i]);
	free(v);
	free(ord);
	return r < 0 ? -1 : 0;
}

int stack_parse_text(const char *text, const char *file, struct stack *out, struct berth_error *err)
{
	struct parser p;
	struct stat none = { 0 };
	int r;

	if (prof_parse_text(&p, text, file, true, false, err) < 0)
		return -1;
	r = stack_build(&p, file, &none, out, err);
	prof_parser_clear(&p);
	return r;
}

int stack_load(const char *path, struct stack *out, struct berth_error *err)
{
	_cleanup_free_ char *text = NULL;
	struct parser p;
	struct stat st;
	int r;

	if (prof_read_text(path, path, &text, &st, err) < 0)
		return -1;
	if (prof_parse_text(&p, text, path, true, true, err) < 0)
		return -1;
	r = stack_build(&p, path, &st, out, err);
	prof_parser_clear(&p);
	return r;
}
