// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp-json.c: docker-format JSON seccomp profiles. The format's
 * facts (field names, actions, operators, how includes and excludes
 * select rules, that a rule naming one argument twice is one rule per
 * condition) are docker's and runc's; the code is berth's. Reading is
 * bounded (SECCOMP_PROFILE_MAX_*), every mistake is one line naming the
 * file and the field, and what berth cannot do (notification listeners)
 * is refused rather than ignored. Unknown syscall names are skipped, as
 * docker does: a profile written for a newer kernel still loads.
 * Not concerned with the default filter (seccomp.c) or with caching and
 * loading compiled filters (seccomp-filter.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "seccomp-json.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

struct parse {
	const char *origin;
	struct berth_error *err;
};

_printf_(3, 4) static int bad(struct parse *ps, const char *where, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	berth_error_set(ps->err, 0, "seccomp profile %s: %s%s%s", ps->origin, where,
			*where ? ": " : "", msg ? msg : "invalid");
	free(msg);
	/* one line, whatever a key or value quoted in it holds */
	for (char *c = ps->err->msg; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -1;
}

/* ---- the vocabulary ---- */

static const struct {
	const char *name;
	uint32_t action;
	uint32_t data_max; /* 0: takes no errnoRet */
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, 0 },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 0 },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 0 },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, 0 },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), 4095 }, /* the kernel's MAX_ERRNO */
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 65535 },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, 0 },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 0 },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	unsigned int flag; /* 0: accepted, nothing to do (one thread) */
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", 0 },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

/* the ABIs a filter made here can meet: the native one and its compat
 * ones; other architectures of a profile are valid and left out */
static bool native_family(uint32_t arch)
{
	uint32_t native = seccomp_arch_native();

	if (arch == native)
		return true;
	return (native == SCMP_ARCH_X86_64 && (arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_X32)) ||
	       (native == SCMP_ARCH_AARCH64 && arch == SCMP_ARCH_ARM);
}

/* docker's names of the machine's architecture in includes/excludes */
static bool is_native_arch_name(const char *name)
{
	uint32_t native = seccomp_arch_native();

	if (native == SCMP_ARCH_X86_64)
		return !strcmp(name, "amd64") || !strcmp(name, "x86_64");
	if (native == SCMP_ARCH_AARCH64)
		return !strcmp(name, "arm64") || !strcmp(name, "aarch64");
	return false;
}

/* ---- JSON types ---- */

static bool is_null(struct json_object *o)
{
	return o == NULL || json_object_is_type(o, json_type_null);
}

static int check_keys(struct parse *ps, struct json_object *o, const char *where,
		      const char *const *known)
{
	if (!json_object_is_type(o, json_type_object))
		return bad(ps, where, "expected an object");
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		size_t i = 0;
		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i])
			return bad(ps, where, "unknown key \"%.64s\"", key);
	}
	return 0;
}

static const char *get_string(struct parse *ps, struct json_object *o, const char *where)
{
	if (!json_object_is_type(o, json_type_string)) {
		bad(ps, where, "expected a string");
		return NULL;
	}
	return json_object_get_string(o);
}

static int get_u64(struct parse *ps, struct json_object *o, const char *where, uint64_t max,
		   uint64_t *out)
{
	if (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) < 0)
		return bad(ps, where, "expected a number from 0 to %llu", (unsigned long long)max);
	*out = json_object_get_uint64(o);
	if (*out > max)
		return bad(ps, where, "%llu is more than %llu", (unsigned long long)*out,
			   (unsigned long long)max);
	return 0;
}

static struct json_object *get_array(struct parse *ps, struct json_object *o, const char *where,
				     size_t max)
{
	if (!json_object_is_type(o, json_type_array)) {
		bad(ps, where, "expected an array");
		return NULL;
	}
	if (json_object_array_length(o) > max) {
		bad(ps, where, "more than %zu entries", max);
		return NULL;
	}
	return o;
}

/* An array of at most max strings (each kept to 64 bytes) into *v, n of
 * them; NULL-terminated. */
static int get_strings(struct parse *ps, struct json_object *o, const char *where, size_t max,
		       char ***v, size_t *n)
{
	if (!get_array(ps, o, where, max))
		return -1;
	*v = xcalloc(json_object_array_length(o) + 1, sizeof(char *));
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		const char *s = get_string(ps, json_object_array_get_idx(o, i), where);
		if (!s)
			return -1;
		(*v)[(*n)++] = xstrndup(s, 64);
	}
	return 0;
}

/* ---- the parts ---- */

static int parse_action(struct parse *ps, struct json_object *o, const char *where, uint32_t *base,
			uint32_t *data_max)
{
	const char *s = get_string(ps, o, where);

	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, s)) {
			*base = actions[i].action;
			*data_max = actions[i].data_max;
			return 0;
		}
	if (!strcmp(s, "SCMP_ACT_NOTIFY"))
		return bad(ps, where,
			   "SCMP_ACT_NOTIFY needs a listener process, which berth does not have");
	return bad(ps, where,
		   "unknown action \"%.64s\" (SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, "
		   "_KILL_PROCESS, _TRAP, _TRACE, _LOG)",
		   s);
}

/* action plus its errnoRet (EPERM when not given, as docker) */
static int parse_action_ret(struct parse *ps, struct json_object *act, struct json_object *ret,
			    const char *where, const char *ret_where, uint32_t *out)
{
	uint32_t base = 0, max = 0;
	uint64_t v = EPERM;

	if (parse_action(ps, act, where, &base, &max) < 0)
		return -1;
	if (!is_null(ret) && max == 0)
		return bad(ps, ret_where, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one");
	if (!is_null(ret) && get_u64(ps, ret, ret_where, max, &v) < 0)
		return -1;
	*out = max ? base | (uint32_t)v : base;
	return 0;
}

static int parse_cap(struct parse *ps, const char *name, const char *where, uint64_t *set)
{
	_cleanup_free_ char *lc = NULL;
	cap_value_t v;

	if (strlen(name) > 64)
		return bad(ps, where, "not a capability");
	lc = strncasecmp(name, "CAP_", 4) == 0 ? xstrdup(name) : xasprintf("cap_%s", name);
	for (char *p = lc; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cap_from_name(lc, &v) < 0 || v < 0 || v > 63)
		return bad(ps, where, "unknown capability \"%s\"", name);
	*set |= UINT64_C(1) << v;
	return 0;
}

static int parse_min_kernel(struct parse *ps, struct json_object *o, const char *where,
			    struct seccomp_profile_cond *c)
{
	const char *s = get_string(ps, o, where);
	unsigned int maj, min;
	int n = 0;

	if (!s)
		return -1;
	if (sscanf(s, "%3u.%3u%n", &maj, &min, &n) != 2 || (s[n] && s[n] != '.'))
		return bad(ps, where, "expected a kernel version MAJOR.MINOR (got \"%.32s\")", s);
	c->min_kernel[0] = maj;
	c->min_kernel[1] = min;
	c->has_min_kernel = true;
	return 0;
}

static int parse_cond(struct parse *ps, struct json_object *o, const char *where,
		      struct seccomp_profile_cond *c)
{
	static const char *const keys[] = { "arches", "caps", "minKernel", NULL };
	struct json_object *v;
	char w[256];

	if (is_null(o))
		return 0;
	if (check_keys(ps, o, where, keys) < 0)
		return -1;
	if (json_object_object_get_ex(o, "arches", &v) && !is_null(v)) {
		snprintf(w, sizeof(w), "%s.arches", where);
		if (get_strings(ps, v, w, 64, &c->arches, &c->n_arches) < 0)
			return -1;
	}
	if (json_object_object_get_ex(o, "caps", &v) && !is_null(v)) {
		snprintf(w, sizeof(w), "%s.caps", where);
		if (!get_array(ps, v, w, 64))
			return -1;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *s = get_string(ps, json_object_array_get_idx(v, i), w);
			if (!s || parse_cap(ps, s, w, &c->caps) < 0)
				return -1;
		}
		c->has_caps = json_object_array_length(v) > 0;
	}
	if (json_object_object_get_ex(o, "minKernel", &v) && !is_null(v)) {
		snprintf(w, sizeof(w), "%s.minKernel", where);
		if (parse_min_kernel(ps, v, w, c) < 0)
			return -1;
	}
	return 0;
}

static int parse_arg(struct parse *ps, struct json_object *o, const char *where,
		     struct seccomp_profile_arg *a)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
	struct json_object *v;
	uint64_t index;
	const char *op;
	char w[256];
	size_t i;

	if (check_keys(ps, o, where, keys) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.index", where);
	if (!json_object_object_get_ex(o, "index", &v))
		return bad(ps, w, "missing");
	if (get_u64(ps, v, w, 5, &index) < 0)
		return -1;
	a->index = (unsigned int)index;
	snprintf(w, sizeof(w), "%s.value", where);
	if (!json_object_object_get_ex(o, "value", &v))
		return bad(ps, w, "missing");
	if (get_u64(ps, v, w, UINT64_MAX, &a->value) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.valueTwo", where);
	if (json_object_object_get_ex(o, "valueTwo", &v) && !is_null(v) &&
	    get_u64(ps, v, w, UINT64_MAX, &a->value_two) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.op", where);
	if (!json_object_object_get_ex(o, "op", &v))
		return bad(ps, w, "missing");
	if (!(op = get_string(ps, v, w)))
		return -1;
	for (i = 0; i < ARRAY_SIZE(operators) && strcmp(operators[i].name, op); i++)
		;
	if (i == ARRAY_SIZE(operators))
		return bad(ps, w,
			   "unknown operator \"%.64s\" (SCMP_CMP_NE, _LT, _LE, _EQ, _GE, _GT, "
			   "_MASKED_EQ)",
			   op);
	a->op = operators[i].op;
	return 0;
}

static int parse_names(struct parse *ps, struct json_object *o, const char *where,
		       struct seccomp_profile_rule *r)
{
	struct json_object *name = NULL, *names = NULL;
	char w[256];

	json_object_object_get_ex(o, "name", &name);
	json_object_object_get_ex(o, "names", &names);
	if (!is_null(name) && !is_null(names))
		return bad(ps, where, "both \"name\" and \"names\": one of them");
	if (!is_null(name)) {
		snprintf(w, sizeof(w), "%s.name", where);
		const char *s = get_string(ps, name, w);
		if (!s)
			return -1;
		r->names = xcalloc(2, sizeof(char *));
		r->names[r->n_names++] = xstrndup(s, 64);
		return 0;
	}
	snprintf(w, sizeof(w), "%s.names", where);
	if (is_null(names))
		return bad(ps, w, "missing: the syscalls the rule is for");
	return get_strings(ps, names, w, SECCOMP_PROFILE_MAX_NAMES, &r->names, &r->n_names);
}

static int parse_rule(struct parse *ps, struct json_object *o, size_t idx,
		      struct seccomp_profile_rule *r)
{
	static const char *const keys[] = { "name",    "names",	   "action",   "errnoRet", "args",
					    "comment", "includes", "excludes", NULL };
	struct json_object *v, *ret = NULL;
	char where[64], w[128];

	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (check_keys(ps, o, where, keys) < 0 || parse_names(ps, o, where, r) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.action", where);
	if (!json_object_object_get_ex(o, "action", &v))
		return bad(ps, w, "missing");
	json_object_object_get_ex(o, "errnoRet", &ret);
	char rw[128];
	snprintf(rw, sizeof(rw), "%s.errnoRet", where);
	if (parse_action_ret(ps, v, ret, w, rw, &r->action) < 0)
		return -1;
	if (json_object_object_get_ex(o, "args", &v) && !is_null(v)) {
		snprintf(w, sizeof(w), "%s.args", where);
		if (!get_array(ps, v, w, SECCOMP_PROFILE_MAX_ARGS))
			return -1;
		r->args = xcalloc(json_object_array_length(v) + 1, sizeof(*r->args));
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
			if (parse_arg(ps, json_object_array_get_idx(v, i), w, &r->args[i]) < 0)
				return -1;
			r->n_args++;
		}
	}
	if (json_object_object_get_ex(o, "comment", &v) && !is_null(v)) {
		snprintf(w, sizeof(w), "%s.comment", where);
		if (!get_string(ps, v, w))
			return -1;
	}
	snprintf(w, sizeof(w), "%s.includes", where);
	if (json_object_object_get_ex(o, "includes", &v) && parse_cond(ps, v, w, &r->includes) < 0)
		return -1;
	snprintf(w, sizeof(w), "%s.excludes", where);
	if (json_object_object_get_ex(o, "excludes", &v) && parse_cond(ps, v, w, &r->excludes) < 0)
		return -1;
	return 0;
}

static int resolve_arch(struct parse *ps, struct json_object *o, const char *where, uint32_t *token)
{
	const char *s = get_string(ps, o, where);
	char lc[32];
	size_t i;

	if (!s)
		return -1;
	if (strncmp(s, "SCMP_ARCH_", 10) != 0 || strlen(s + 10) >= sizeof(lc))
		return bad(ps, where, "unknown architecture \"%.64s\" (SCMP_ARCH_X86_64, ...)", s);
	for (i = 0; s[10 + i]; i++)
		lc[i] = (char)tolower((unsigned char)s[10 + i]);
	lc[i] = '\0';
	*token = seccomp_arch_resolve_name(lc);
	if (*token == 0)
		return bad(ps, where, "unknown architecture \"%.64s\" (SCMP_ARCH_X86_64, ...)", s);
	return 0;
}

/* an ABI this machine can run; the others of a profile are checked and
 * left out */
static void keep_arch(struct seccomp_profile *p, uint32_t token)
{
	if (native_family(token) && p->n_arches < ARRAY_SIZE(p->arches))
		p->arches[p->n_arches++] = token;
}

/* archMap: the entry of the native architecture brings its
 * subArchitectures */
static int parse_arch_map(struct parse *ps, struct seccomp_profile *p, struct json_object *map)
{
	static const char *const keys[] = { "architecture", "subArchitectures", NULL };

	if (!get_array(ps, map, "archMap", 64))
		return -1;
	for (size_t i = 0; i < json_object_array_length(map); i++) {
		struct json_object *e = json_object_array_get_idx(map, i), *a, *subs = NULL;
		char w[96];
		uint32_t token, sub;

		snprintf(w, sizeof(w), "archMap[%zu]", i);
		if (check_keys(ps, e, w, keys) < 0)
			return -1;
		snprintf(w, sizeof(w), "archMap[%zu].architecture", i);
		if (!json_object_object_get_ex(e, "architecture", &a))
			return bad(ps, w, "missing");
		if (resolve_arch(ps, a, w, &token) < 0)
			return -1;
		bool native = token == seccomp_arch_native();
		if (native)
			keep_arch(p, token);
		json_object_object_get_ex(e, "subArchitectures", &subs);
		if (is_null(subs))
			continue;
		snprintf(w, sizeof(w), "archMap[%zu].subArchitectures", i);
		if (!get_array(ps, subs, w, 16))
			return -1;
		for (size_t j = 0; j < json_object_array_length(subs); j++) {
			if (resolve_arch(ps, json_object_array_get_idx(subs, j), w, &sub) < 0)
				return -1;
			if (native)
				keep_arch(p, sub);
		}
	}
	return 0;
}

static int parse_top(struct parse *ps, struct json_object *root, struct seccomp_profile *p)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet",	 "architectures",
					    "archMap",	     "syscalls",	 "flags",
					    "listenerPath",  "listenerMetadata", NULL };
	struct json_object *v, *ret = NULL, *archs = NULL, *map = NULL;
	uint32_t token;

	if (check_keys(ps, root, "", keys) < 0)
		return -1;
	if (!json_object_object_get_ex(root, "defaultAction", &v))
		return bad(ps, "defaultAction", "missing");
	json_object_object_get_ex(root, "defaultErrnoRet", &ret);
	if (parse_action_ret(ps, v, ret, "defaultAction", "defaultErrnoRet", &p->default_action) <
	    0)
		return -1;
	json_object_object_get_ex(root, "architectures", &archs);
	json_object_object_get_ex(root, "archMap", &map);
	if (!is_null(archs) && !is_null(map))
		return bad(ps, "architectures", "give either architectures or archMap, not both");
	if (!is_null(archs)) {
		if (!get_array(ps, archs, "architectures", 64))
			return -1;
		for (size_t i = 0; i < json_object_array_length(archs); i++) {
			if (resolve_arch(ps, json_object_array_get_idx(archs, i), "architectures",
					 &token) < 0)
				return -1;
			keep_arch(p, token);
		}
	}
	if (!is_null(map) && parse_arch_map(ps, p, map) < 0)
		return -1;
	if (json_object_object_get_ex(root, "flags", &v) && !is_null(v)) {
		if (!get_array(ps, v, "flags", 16))
			return -1;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *s = get_string(ps, json_object_array_get_idx(v, i), "flags");
			size_t k = 0;
			if (!s)
				return -1;
			while (k < ARRAY_SIZE(filter_flags) && strcmp(filter_flags[k].name, s))
				k++;
			if (k == ARRAY_SIZE(filter_flags))
				return bad(ps, "flags",
					   "unknown or unsupported flag \"%.64s\" (SECCOMP_FILTER_"
					   "FLAG_TSYNC, _LOG, _SPEC_ALLOW)",
					   s);
			p->flags |= filter_flags[k].flag;
		}
	}
	if (json_object_object_get_ex(root, "listenerPath", &v) && !is_null(v) &&
	    (!json_object_is_type(v, json_type_string) || *json_object_get_string(v)))
		return bad(ps, "listenerPath", "notification listeners are not supported");
	if (json_object_object_get_ex(root, "listenerMetadata", &v) && !is_null(v) &&
	    !get_string(ps, v, "listenerMetadata"))
		return -1;
	if (!json_object_object_get_ex(root, "syscalls", &v) || is_null(v))
		return 0;
	if (!get_array(ps, v, "syscalls", SECCOMP_PROFILE_MAX_RULES))
		return -1;
	p->rules = xcalloc(json_object_array_length(v) + 1, sizeof(*p->rules));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		p->n_rules++;
		if (parse_rule(ps, json_object_array_get_idx(v, i), i, &p->rules[i]) < 0)
			return -1;
	}
	return 0;
}

int seccomp_profile_from_json(struct json_object *root, const char *origin,
			      struct seccomp_profile *p, struct berth_error *err)
{
	struct parse ps = { .origin = origin, .err = err };

	memset(p, 0, sizeof(*p));
	if (parse_top(&ps, root, p) < 0) {
		seccomp_profile_clear(p);
		return -1;
	}
	return 0;
}

static struct json_object *parse_text(const char *text, size_t len, struct parse *ps)
{
	/* nesting: a profile is 5 levels deep */
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *root;

	if (!tok) {
		berth_error_set(ps->err, ENOMEM, "seccomp profile %s", ps->origin);
		return NULL;
	}
	if (len > SECCOMP_PROFILE_MAX_BYTES) {
		json_tokener_free(tok);
		bad(ps, "", "larger than %d KiB", SECCOMP_PROFILE_MAX_BYTES / 1024);
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	if (e == json_tokener_success && tok->char_offset < (int)len) {
		/* whitespace may follow the object, nothing else */
		for (size_t i = (size_t)tok->char_offset; i < len; i++)
			if (!isspace((unsigned char)text[i])) {
				e = json_tokener_error_parse_unexpected;
				break;
			}
	} else if (e == json_tokener_continue) {
		e = json_tokener_error_parse_eof;
	}
	if (e != json_tokener_success) {
		bad(ps, "", "not valid JSON (%s at byte %d)", json_tokener_error_desc(e),
		    tok->char_offset);
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int seccomp_profile_parse(const char *text, size_t len, const char *origin,
			  struct seccomp_profile *p, struct berth_error *err)
{
	struct parse ps = { .origin = origin, .err = err };
	struct json_object *root = parse_text(text, len, &ps);
	int r;

	memset(p, 0, sizeof(*p));
	if (!root)
		return -1;
	r = seccomp_profile_from_json(root, origin, p, err);
	json_object_put(root);
	return r;
}

int seccomp_profile_read(const char *path, struct json_object **out, struct berth_error *err)
{
	struct parse ps = { .origin = path, .err = err };
	struct seccomp_profile p;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	/* the user's own file: a symlink to it is fine, a device or FIFO is
	 * not a profile */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "seccomp profile %s", path);
	if (!S_ISREG(st.st_mode))
		return bad(&ps, "", "not a regular file");
	if (read_fd_all(fd, SECCOMP_PROFILE_MAX_BYTES, &text, &len, err) < 0)
		return berth_error_wrap(err, "seccomp profile %s", path);
	struct json_object *root = parse_text(text, len, &ps);
	if (!root)
		return -1;
	if (seccomp_profile_from_json(root, path, &p, err) < 0) {
		json_object_put(root);
		return -1;
	}
	seccomp_profile_clear(&p);
	*out = root;
	return 0;
}

static void cond_clear(struct seccomp_profile_cond *c)
{
	for (size_t i = 0; i < c->n_arches; i++)
		free(c->arches[i]);
	free(c->arches);
}

void seccomp_profile_clear(struct seccomp_profile *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		struct seccomp_profile_rule *r = &p->rules[i];
		for (size_t j = 0; j < r->n_names; j++)
			free(r->names[j]);
		free(r->names);
		free(r->args);
		cond_clear(&r->includes);
		cond_clear(&r->excludes);
	}
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

/* ---- building the filter ---- */

static bool kernel_at_least(const unsigned int v[2])
{
	struct utsname u;
	unsigned int maj = 0, min = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return false;
	return maj > v[0] || (maj == v[0] && min >= v[1]);
}

static bool names_native_arch(const struct seccomp_profile_cond *c)
{
	for (size_t i = 0; i < c->n_arches; i++)
		if (is_native_arch_name(c->arches[i]))
			return true;
	return false;
}

/* docker's selection: every includes condition holds (all its caps),
 * no excludes condition does (any of its caps) */
static bool rule_applies(const struct seccomp_profile_rule *r, uint64_t caps)
{
	const struct seccomp_profile_cond *in = &r->includes, *ex = &r->excludes;

	if (in->n_arches && !names_native_arch(in))
		return false;
	if (in->has_caps && (caps & in->caps) != in->caps)
		return false;
	if (in->has_min_kernel && !kernel_at_least(in->min_kernel))
		return false;
	if (ex->n_arches && names_native_arch(ex))
		return false;
	if (ex->has_caps && (caps & ex->caps))
		return false;
	if (ex->has_min_kernel && kernel_at_least(ex->min_kernel))
		return false;
	return true;
}

static int add_profile_rule(scmp_filter_ctx ctx, const struct seccomp_profile_rule *r, int nr)
{
	struct scmp_arg_cmp c[SECCOMP_PROFILE_MAX_ARGS];
	bool seen[6] = { false }, repeated = false;
	int ret;

	for (size_t i = 0; i < r->n_args; i++) {
		const struct seccomp_profile_arg *a = &r->args[i];
		c[i] = (struct scmp_arg_cmp){ a->index, a->op, a->value, a->value_two };
		repeated = repeated || seen[a->index];
		seen[a->index] = true;
	}
	/* one argument named twice: each condition a rule of its own, as
	 * runc does (libseccomp takes one comparison per argument) */
	if (!repeated)
		return seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)r->n_args, c);
	for (size_t i = 0; i < r->n_args; i++)
		if ((ret = seccomp_rule_add_array(ctx, r->action, nr, 1, &c[i])) < 0)
			return ret;
	return 0;
}

int seccomp_profile_build(const struct seccomp_profile *p, const char *origin, uint64_t caps,
			  scmp_filter_ctx *out, unsigned int *flags, struct berth_error *err)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(p->default_action);
	int r;

	if (!ctx)
		return berth_error_set(err, EINVAL, "seccomp profile %s: defaultAction refused",
				       origin);
	/* no_new_privs stays the container's choice; a binary tree makes
	 * the lookup of a call logarithmic (and the kernel's load cheap) */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		return berth_error_set(err, -r, "seccomp profile %s: filter attributes", origin);
	for (size_t i = 0; i < p->n_arches; i++)
		if ((r = seccomp_arch_add(ctx, p->arches[i])) < 0 && r != -EEXIST)
			return berth_error_set(err, -r, "seccomp profile %s: adding an ABI",
					       origin);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct seccomp_profile_rule *rule = &p->rules[i];
		/* what the default does anyway needs no rule (libseccomp
		 * refuses one) */
		if (!rule_applies(rule, caps) || rule->action == p->default_action)
			continue;
		for (size_t j = 0; j < rule->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(rule->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* unknown here, as docker */
			if ((r = add_profile_rule(ctx, rule, nr)) < 0)
				return berth_error_set(
					err, -r,
					"seccomp profile %s: syscalls[%zu] (%s): libseccomp "
					"refused "
					"the rule (two rules for one call that contradict?)",
					origin, i, rule->names[j]);
		}
	}
	*flags = p->flags;
	*out = steal_pointer(&ctx);
	return 0;
}
