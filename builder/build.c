// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * build.c: `berth build` from its options to the image: the context and
 * the Dockerfile read and parsed, the build args settled (the ARGs
 * before FROM, --build-arg, the predefined ones), the stages the target
 * needs found and built in order (each FROM: a stage, an image pulled
 * as --pull says, or scratch; its ONBUILD triggers), then the target's
 * state assembled into the named image. Each instruction is step.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "../image/assemble.h"
#include "../image/image.h"
#include "../image/pull-policy.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "cache.h"
#include "expand.h"
#include "state.h"

/* Ctrl-C (or a TERM or HUP) stops a build after its step: the step's
 * container gets the signal (the engine passes it on) and is removed as
 * always; nothing after it runs and nothing is named. The handler only
 * notes it: a signal handler reaches static storage alone. */
static volatile sig_atomic_t interrupted;
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void note_signal(int sig)
{
	interrupted = sig;
}

void build_signals_arm(void)
{
	/* no SA_RESTART: a wait for a stage's child returns to look */
	struct sigaction sa = { .sa_handler = note_signal };

	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &sa, NULL);
}

void build_note_interrupt(int sig)
{
	if (sig)
		interrupted = sig;
}

int build_check_interrupt(struct berth_error *err)
{
	if (!interrupted)
		return 0;
	return berth_error_set(err, 0, "the build was interrupted (SIG%s)",
			       sigabbrev_np(interrupted) ? sigabbrev_np(interrupted) : "?");
}

#define BUILD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Docker's predefined ARGs: usable without an ARG line, kept out of
 * history and of the cache key (they are the host's business). */
static const char *const proxy_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy",  "NO_PROXY",   "no_proxy",	   "ALL_PROXY",	  "all_proxy",
};

bool build_is_proxy_arg(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(proxy_args); i++)
		if (!strcmp(name, proxy_args[i]))
			return true;
	return false;
}

void build_print(struct build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->o->quiet || !b->o->out)
		return;
	if (b->prefix)
		fputs(b->prefix, b->o->out);
	va_start(ap, fmt);
	vfprintf(b->o->out, fmt, ap);
	va_end(ap);
	fputc('\n', b->o->out);
	fflush(b->o->out);
}

void build_warn(struct build *b, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	if (!b->o->say)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line && b->prefix) {
		char *p = xasprintf("%s%s", b->prefix, line);
		free(line);
		line = p;
	}
	if (line)
		b->o->say(b->o->say_arg, line);
}

int build_fail_at(struct build *b, const struct df_instr *in, struct berth_error *err)
{
	return berth_error_wrap(err, "%s:%u", b->df.name, in->line);
}

/* NAME's value in a list of "NAME=VALUE" (NULL: absent, or declared
 * without a value). */
static const char *kv_get(char *const *v, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = n; i-- > 0;)
		if (!strncmp(v[i], name, len) && (v[i][len] == '=' || !v[i][len]))
			return v[i][len] == '=' ? v[i] + len + 1 : NULL;
	return NULL;
}

/* The config's Env value of name, or NULL. */
static const char *env_get(struct json_object *config, const char *name)
{
	struct json_object *c, *env;
	size_t len = strlen(name);

	if (!json_object_object_get_ex(config, "config", &c) ||
	    !json_object_object_get_ex(c, "Env", &env) ||
	    !json_object_is_type(env, json_type_array))
		return NULL;
	for (size_t i = json_object_array_length(env); i-- > 0;) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e && !strncmp(e, name, len) && e[len] == '=')
			return e + len + 1;
	}
	return NULL;
}

const char *build_lookup_env(struct stage_run *st, const char *name)
{
	return env_get(st->config, name);
}

/* ENV wins over ARG of the same name, as docker documents. */
const char *build_lookup(void *arg, const char *name)
{
	struct stage_run *st = arg;
	const char *v = env_get(st->config, name);

	return v ? v : kv_get(st->args, st->n_args, name);
}

/* FROM lines see the ARGs before the first FROM only. */
static const char *meta_lookup(void *arg, const char *name)
{
	struct build *b = arg;
	return kv_get(b->meta, b->n_meta, name);
}

struct stage_run *build_stage_named(struct build *b, const char *name, size_t before)
{
	char *end;
	unsigned long i;

	for (size_t k = 0; k < before && k < b->n_stages; k++)
		if (b->stages[k].df->name && !strcasecmp(b->stages[k].df->name, name))
			return &b->stages[k];
	errno = 0;
	i = strtoul(name, &end, 10);
	if (*name >= '0' && *name <= '9' && !*end && !errno && i < before && i < b->n_stages)
		return &b->stages[i];
	return NULL;
}

/* ---- the context and the Dockerfile ---- */

/* Does the stream's first block look like a tar header ("ustar" at 257)? */
static bool looks_like_tar(const char *buf, size_t len)
{
	return len >= 262 && !memcmp(buf + 257, "ustar", 5);
}

struct feed {
	const char *buf;
	size_t len;
	int fd;
};

/* send, not write: an unpack that stops early must not SIGPIPE us */
static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void *feed_tar(void *arg)
{
	struct feed *f = arg;
	char chunk[65536];
	ssize_t r;

	if (send_all(f->fd, f->buf, f->len) == 0)
		while ((r = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0)
			if (send_all(f->fd, chunk, (size_t)r) < 0)
				break;
	close(f->fd);
	return NULL;
}

/* `build -`: stdin is a tar stream of a context, or a Dockerfile alone. */
static int open_stdin(struct build *b, char **text, size_t *len, struct berth_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;

	/* peek: a Dockerfile is small; a tar goes to the context's unpack */
	if (read_fd_all(STDIN_FILENO, DF_MAX_BYTES + 1, &buf, &n, err) < 0) {
		if (err->errnum != EFBIG)
			return -1;
		berth_error_clear(err);
	}
	if (looks_like_tar(buf, n)) {
		/* the bytes read are the tar's start: a thread feeds them, then
		 * the rest of stdin, to the unpack through a pipe */
		struct feed f = { .buf = buf, .len = n };
		pthread_t t;
		int p[2], r;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
			return berth_error_set(err, errno, "a socket for the context from stdin");
		f.fd = p[1];
		if ((errno = pthread_create(&t, NULL, feed_tar, &f)) != 0) {
			close(p[0]);
			close(p[1]);
			return berth_error_set(err, errno, "a thread for the context from stdin");
		}
		r = context_open_tar(b->s, p[0], &b->ctx, err);
		close(p[0]); /* a feed still writing stops on EPIPE */
		pthread_join(t, NULL);
		return r;
	}
	if (n > DF_MAX_BYTES)
		return berth_error_set(err, EFBIG,
				       "the Dockerfile from stdin is larger than %zu bytes",
				       DF_MAX_BYTES);
	context_open_none(&b->ctx);
	*text = steal_pointer(&buf);
	*len = n;
	return 1; /* the Dockerfile was stdin */
}

/* The ignore file beside -f FILE (FILE.dockerignore), when there is one. */
static char *ignore_beside(const char *file)
{
	char *p;

	if (!file || !strcmp(file, "-"))
		return NULL;
	p = xasprintf("%s.dockerignore", file);
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static int read_dockerfile(struct build *b, struct berth_error *err)
{
	const struct build_opts *o = b->o;
	_cleanup_free_ char *text = NULL, *ign = ignore_beside(o->file);
	const char *name = "Dockerfile";
	size_t len = 0;
	int r;

	if (o->context && !strcmp(o->context, "-")) {
		if ((r = open_stdin(b, &text, &len, err)) < 0)
			return -1;
	} else if (context_open_dir(o->context, ign, &b->ctx, err) < 0) {
		return -1;
	}
	if (text) {
		name = "Dockerfile";
	} else if (o->file && !strcmp(o->file, "-")) {
		if (read_fd_all(STDIN_FILENO, DF_MAX_BYTES, &text, &len, err) < 0)
			return berth_error_wrap(err, "the Dockerfile from stdin");
	} else if (o->file) {
		_cleanup_close_ int fd = open(o->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || read_fd_all(fd, DF_MAX_BYTES, &text, &len, err) < 0)
			return fd < 0 ? berth_error_set(err, errno, "-f %s", o->file)
				      : berth_error_wrap(err, "-f %s", o->file);
		name = strrchr(o->file, '/') ? strrchr(o->file, '/') + 1 : o->file;
	} else if (b->ctx.dirfd < 0) {
		return berth_error_set(err, ENOENT,
				       "no Dockerfile: the context from stdin has none");
	} else {
		if (context_read_file(&b->ctx, "Dockerfile", DF_MAX_BYTES, &text, &len, err) < 0) {
			if (err->errnum != ENOENT)
				return -1;
			berth_error_clear(err);
			name = "Containerfile";
			if (context_read_file(&b->ctx, name, DF_MAX_BYTES, &text, &len, err) < 0) {
				berth_error_clear(err);
				return berth_error_set(
					err, ENOENT,
					"%s: no Dockerfile or Containerfile in the context",
					b->ctx.label);
			}
		}
	}
	return dockerfile_parse(name, text, len, &b->df, err);
}

/* ---- build args ---- */

static int settle_given(struct build *b, struct berth_error *err)
{
	for (char *const *a = b->o->build_args; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		if (eq == *a)
			return berth_error_set(err, EINVAL, "--build-arg %s: no name", *a);
		if (eq) {
			strv_push(&b->given, &b->n_given, *a);
		} else if (getenv(*a)) {
			_cleanup_free_ char *kv = xasprintf("%s=%s", *a, getenv(*a));
			strv_push(&b->given, &b->n_given, kv);
		} else {
			continue; /* docker: K alone and unset in the environment is no arg */
		}
	}
	b->consumed = xcalloc(b->n_given + 1, sizeof(bool));
	return 0;
}

/* The --build-arg value of name (marking it consumed), or NULL. */
const char *build_given(struct build *b, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = b->n_given; i-- > 0;)
		if (!strncmp(b->given[i], name, len) && b->given[i][len] == '=') {
			b->consumed[i] = true;
			return b->given[i] + len + 1;
		}
	return NULL;
}

/* BuildKit's platform ARGs, for this host (a build runs on it). */
static void platform_args(struct build *b)
{
	struct utsname u;
	const char *arch = "amd64";
	char *kv;

	if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
		arch = "arm64";
	const char *pairs[][2] = {
		{ "TARGETPLATFORM", NULL }, { "TARGETOS", "linux" },   { "TARGETARCH", arch },
		{ "TARGETVARIANT", "" },    { "BUILDPLATFORM", NULL }, { "BUILDOS", "linux" },
		{ "BUILDARCH", arch },	    { "BUILDVARIANT", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		if (pairs[i][1])
			kv = xasprintf("%s=%s", pairs[i][0], pairs[i][1]);
		else
			kv = xasprintf("%s=linux/%s", pairs[i][0], arch);
		strv_push(&b->meta, &b->n_meta, kv);
		free(kv);
	}
}

/* The ARGs before the first FROM: their defaults (substituted with the
 * ones before) unless --build-arg gives them. */
static int settle_meta(struct build *b, struct berth_error *err)
{
	platform_args(b);
	for (size_t i = 0; i < b->df.n_meta_args; i++) {
		const struct df_instr *in = &b->df.meta_args[i];
		for (size_t k = 0; k < in->n_args; k++) {
			_cleanup_free_ char *name = xstrdup(in->args[k]), *val = NULL;
			char *eq = strchr(name, '=');
			const char *given;
			if (eq)
				*eq++ = '\0';
			given = build_given(b, name);
			if (!given && eq &&
			    df_expand_word(eq, b->df.escape, meta_lookup, b, &val, err) < 0)
				return build_fail_at(b, in, err);
			_cleanup_free_ char *kv =
				given || val ? xasprintf("%s=%s", name, given ? given : val)
					     : xstrdup(name);
			strv_push(&b->meta, &b->n_meta, kv);
		}
	}
	return 0;
}

/* --secret's files are there and readable before any step runs (the
 * values are read when a step mounts them, and kept no longer). */
static int check_secrets(struct build *b, struct berth_error *err)
{
	for (char *const *p = b->o->secrets; p && *p; p++) {
		_cleanup_free_ char *copy = xstrdup(*p);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (strncmp(t, "src=", 4) && strncmp(t, "source=", 7))
				continue;
			const char *path = strchr(t, '=') + 1;
			int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				return berth_error_set(err, errno, "--secret %s: %s", *p, path);
			close(fd);
		}
	}
	return 0;
}

/* ---- stages ---- */

/* The stage names a step of st refers to: FROM's, COPY --from's and
 * RUN --mount from='s; each marks that stage needed. */
static void mark_needed(struct build *b, size_t i);

static void mark_ref(struct build *b, const char *ref, size_t i)
{
	_cleanup_free_ char *name = NULL;
	struct berth_error e = { 0 };
	struct stage_run *st = &b->stages[i], *dep;

	/* a --from with $VARs is settled with the meta args, as FROM */
	if (df_expand_word(ref, b->df.escape, meta_lookup, b, &name, &e) < 0) {
		berth_error_clear(&e);
		return;
	}
	if (!(dep = build_stage_named(b, name, i)))
		return;
	for (size_t k = 0; k < st->n_deps; k++)
		if (st->deps[k] == dep->index)
			return;
	st->deps = xrealloc(st->deps, (st->n_deps + 1) * sizeof(*st->deps));
	st->deps[st->n_deps++] = dep->index;
	if (!dep->needed)
		mark_needed(b, dep->index);
}

static void mark_needed(struct build *b, size_t i)
{
	const struct df_stage *d = b->stages[i].df;

	b->stages[i].needed = true;
	mark_ref(b, d->from.args[0], i);
	for (size_t k = 0; k < d->n_instrs; k++) {
		const struct df_instr *in = &d->instrs[k];
		const struct df_flag *f = df_flag_get(in, "from");
		if (f && f->value && (in->kind == DF_COPY || in->kind == DF_ADD))
			mark_ref(b, f->value, i);
		for (size_t m = 0; in->kind == DF_RUN && m < in->n_flags; m++) {
			const char *v = in->flags[m].value, *from;
			if (strcmp(in->flags[m].name, "mount") || !v)
				continue;
			if ((from = strstr(v, "from=")) && (from == v || from[-1] == ',')) {
				_cleanup_free_ char *ref =
					xstrndup(from + 5, strcspn(from + 5, ","));
				mark_ref(b, ref, i);
			}
		}
	}
}

static int pick_stages(struct build *b, size_t *target, struct berth_error *err)
{
	b->n_stages = b->df.n_stages;
	b->stages = xcalloc(b->n_stages, sizeof(*b->stages));
	for (size_t i = 0; i < b->n_stages; i++) {
		b->stages[i].df = &b->df.stages[i];
		b->stages[i].index = i;
	}
	*target = b->n_stages - 1;
	if (b->o->target) {
		struct stage_run *t = NULL;
		for (size_t i = 0; i < b->n_stages && !t; i++)
			if (b->stages[i].df->name &&
			    !strcasecmp(b->stages[i].df->name, b->o->target))
				t = &b->stages[i];
		if (!t)
			return berth_error_set(err, EINVAL,
					       "--target %s: no stage of %s has that name",
					       b->o->target, b->df.name);
		*target = t->index;
	}
	mark_needed(b, *target);
	for (size_t i = 0; i < b->n_stages; i++)
		if (b->stages[i].needed)
			b->stages[i].ordinal = ++b->n_needed;
	return 0;
}

/* A config for FROM scratch: nothing but the platform. */
static struct json_object *scratch_config(void)
{
	struct json_object *c = json_object_new_object();
	struct utsname u;

	json_object_object_add(
		c, "architecture",
		json_object_new_string(uname(&u) == 0 && !strcmp(u.machine, "aarch64") ? "arm64"
										       : "amd64"));
	json_object_object_add(c, "os", json_object_new_string("linux"));
	/* what BuildKit gives FROM scratch: the default PATH, WorkingDir / */
	struct json_object *cfg = json_object_new_object(), *env = json_object_new_array();
	json_object_array_add(env, json_object_new_string("PATH=" BUILD_DEFAULT_PATH));
	json_object_object_add(cfg, "Env", env);
	json_object_object_add(cfg, "WorkingDir", json_object_new_string("/"));
	json_object_object_add(c, "config", cfg);
	json_object_object_add(c, "history", json_object_new_array());
	return c;
}

static void say_pull(void *arg, const char *line)
{
	build_warn(arg, "%s", line);
}

/* FROM an image: present as --pull says, resolved to its ID. */
static int from_image(struct build *b, struct stage_run *st, const char *ref, const char *platform,
		      struct berth_error *err)
{
	struct pull_opts po = { .ref = ref,
				.platform = platform,
				.say = say_pull,
				.say_arg = b,
				.quiet = b->o->quiet };

	if (image_pull_policy(b->s, b->o->pull, &po, err) < 0 ||
	    image_resolve(b->s, ref, st->image, err) < 0 ||
	    !(st->config = image_config(b->s, st->image, err)))
		return -1;
	return 0;
}

/* The base's ONBUILD triggers, run as the stage's first steps, then
 * cleared (docker: they fire once, in the image built FROM it). */
static int run_triggers(struct build *b, struct stage_run *st, struct berth_error *err)
{
	struct json_object *c, *ob;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (!json_object_object_get_ex(st->config, "config", &c) ||
	    !json_object_object_get_ex(c, "OnBuild", &ob) ||
	    !json_object_is_type(ob, json_type_array) || !json_object_array_length(ob))
		return 0;
	/* the triggers are a Dockerfile of their own, read after a FROM */
	FILE *f = open_memstream(&text, &len);
	fputs("FROM scratch\n", f);
	for (size_t i = 0; i < json_object_array_length(ob); i++)
		fprintf(f, "%s\n", json_object_get_string(json_object_array_get_idx(ob, i)));
	fclose(f);
	json_object_object_del(c, "OnBuild");
	struct dockerfile trig = { 0 };
	if (dockerfile_parse("ONBUILD", text, len, &trig, err) < 0)
		return berth_error_wrap(err, "the base image's ONBUILD triggers");
	int r = 0;
	for (size_t i = 0; r == 0 && i < trig.stages[0].n_instrs; i++) {
		build_print(b, "--> ONBUILD %s", trig.stages[0].instrs[i].text);
		r = step_run(b, st, &trig.stages[0].instrs[i], err);
	}
	dockerfile_clear(&trig);
	return r;
}

/* --timestamp's builds are cached apart: their steps record its time. */
static void time_key(struct build *b, struct stage_run *st)
{
	if (b->o->timestamp >= 0) {
		_cleanup_free_ char *t =
			xasprintf("%s\ntimestamp %lld", st->key, (long long)b->o->timestamp);
		sha256_bytes(t, strlen(t), st->key);
	}
}

static int stage_from(struct build *b, struct stage_run *st, struct berth_error *err)
{
	const struct df_instr *in = &st->df->from;
	const struct df_flag *pf = df_flag_get(in, "platform");
	_cleanup_free_ char *ref = NULL, *platform = NULL;
	struct stage_run *dep;

	free(b->title);
	b->title = build_step_title(b, st, 1, in);
	build_print(b, "%s", b->title);
	if (df_expand_word(in->args[0], b->df.escape, meta_lookup, b, &ref, err) < 0 ||
	    (pf && pf->value &&
	     df_expand_word(pf->value, b->df.escape, meta_lookup, b, &platform, err) < 0))
		return build_fail_at(b, in, err);
	if (!*ref) {
		berth_error_set(err, EINVAL, "FROM names no image");
		return build_fail_at(b, in, err);
	}
	if ((dep = build_stage_named(b, ref, st->index))) {
		snprintf(st->image, sizeof(st->image), "%s", dep->image);
		json_object_deep_copy(dep->config, &st->config, NULL);
		snprintf(st->key, sizeof(st->key), "%s", dep->key);
		return 0;
	}
	if (!strcasecmp(ref, "scratch")) {
		st->image[0] = '\0';
		st->config = scratch_config();
		sha256_bytes("scratch", 7, st->key);
		time_key(b, st);
		return 0;
	}
	if (from_image(b, st, ref, platform, err) < 0)
		return build_fail_at(b, in, err);
	/* the cache's chain starts at the base's content, not its name */
	snprintf(st->key, sizeof(st->key), "%s", st->image);
	time_key(b, st);
	return run_triggers(b, st, err) < 0 ? build_fail_at(b, in, err) : 0;
}

/* podman's step lines: "STEP 2/5: RUN ...", and with several stages
 * "[1/3] STEP 2/5: RUN ..." */
char *build_step_title(struct build *b, struct stage_run *st, size_t step,
		       const struct df_instr *in)
{
	if (b->n_needed > 1)
		return xasprintf("[%zu/%zu] STEP %zu/%zu: %s", st->ordinal, b->n_needed, step,
				 st->df->n_instrs + 1, in->text);
	return xasprintf("STEP %zu/%zu: %s", step, st->df->n_instrs + 1, in->text);
}

int build_stage(struct build *b, struct stage_run *st, struct berth_error *err)
{
	/* a stage's ARGs start empty: the meta ones need an ARG to enter */
	if (stage_from(b, st, err) < 0)
		return -1;
	for (size_t i = 0; i < st->df->n_instrs; i++) {
		const struct df_instr *in = &st->df->instrs[i];
		free(b->title);
		b->title = build_step_title(b, st, i + 2, in);
		/* a RUN's live view prints its title when it ends */
		if (!b->tty || in->kind != DF_RUN)
			build_print(b, "%s", b->title);
		if (build_check_interrupt(err) < 0 || step_run(b, st, in, err) < 0)
			return -1;
	}
	st->done = true;
	return 0;
}

/* ---- the end ---- */

static void warn_unconsumed(struct build *b)
{
	_cleanup_free_ char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);

	for (size_t i = 0; i < b->n_given; i++) {
		size_t nl = strcspn(b->given[i], "=");
		_cleanup_free_ char *name = xstrndup(b->given[i], nl);
		if (!b->consumed[i] && !build_is_proxy_arg(name))
			fprintf(f, "%s%s", ftell(f) ? " " : "", name);
	}
	fclose(f);
	if (*list)
		build_warn(b, "warning: one or more build-args [%s] were not consumed", list);
}

/* The labels of --label over the image's. */
static void add_labels(struct build *b, struct json_object *config)
{
	struct json_object *c, *l;

	if (!b->o->labels || !*b->o->labels)
		return;
	if (!json_object_object_get_ex(config, "config", &c)) {
		c = json_object_new_object();
		json_object_object_add(config, "config", c);
	}
	if (!json_object_object_get_ex(c, "Labels", &l) ||
	    !json_object_is_type(l, json_type_object)) {
		l = json_object_new_object();
		json_object_object_add(c, "Labels", l);
	}
	for (char *const *p = b->o->labels; *p; p++) {
		_cleanup_free_ char *k = xstrndup(*p, strcspn(*p, "="));
		const char *v = strchr(*p, '=');
		json_object_object_add(l, k, json_object_new_string(v ? v + 1 : ""));
	}
}

/* The target's state as the named image. A fully cached build gives the
 * image it gave before: the final config is keyed too. */
static int finish(struct build *b, struct stage_run *st, char id[DIGEST_STR_LEN + 1],
		  struct berth_error *err)
{
	_cleanup_free_ char *cfgtext = NULL;
	char key[DIGEST_STR_LEN + 1];
	struct assemble a = { .base_id = st->image[0] ? st->image : NULL,
			      .layer_fd = -1,
			      .config = st->config,
			      .refs = b->o->tags };

	add_labels(b, st->config);
	/* the chain (the layers and what ran them) and the whole config but
	 * its times: a rebuild with nothing changed names the image it
	 * made before; a LABEL changed alone makes a new one */
	_cleanup_json_ struct json_object *timeless = json_sorted_copy(st->config);
	struct json_object *hist;
	json_object_object_del(timeless, "created");
	if (json_object_object_get_ex(timeless, "history", &hist))
		for (size_t i = 0; i < json_object_array_length(hist); i++)
			json_object_object_del(json_object_array_get_idx(hist, i), "created");
	json_object_object_del(timeless, "rootfs");
	cfgtext = xasprintf("%s\nFINAL\n%s", st->key,
			    json_object_to_json_string_ext(timeless, JSON_C_TO_STRING_PLAIN));
	sha256_bytes(cfgtext, strlen(cfgtext), key);
	if (!b->o->no_cache && build_cache_lookup(b->s, key, id) == 1) {
		/* the same image as before, named now: assembled from itself,
		 * its config unchanged, it keeps its ID */
		int r;
		a.base_id = id;
		if (!(a.config = image_config(b->s, id, err)))
			return -1;
		r = image_assemble(b->s, &a, id, err);
		json_object_put(a.config);
		return r;
	}
	/* keys in one order: a config read back from a cached step and one
	 * built here serialise alike (reproducible IDs across stores) */
	_cleanup_json_ struct json_object *sorted = json_sorted_copy(st->config);
	a.config = sorted;
	if (image_assemble(b->s, &a, id, err) < 0)
		return -1;
	return build_cache_record(b->s, key, id, err);
}

static void build_clear(struct build *b)
{
	for (size_t i = 0; i < b->n_stages; i++) {
		json_object_put(b->stages[i].config);
		strv_free(b->stages[i].args);
		free(b->stages[i].deps);
	}
	free(b->stages);
	free(b->title);
	strv_free(b->given);
	free(b->consumed);
	strv_free(b->meta);
	if (b->stage)
		store_stage_free(b->stage);
	context_close(&b->ctx);
	dockerfile_clear(&b->df);
}

int build_image(struct store *s, const struct build_opts *o, char id[DIGEST_STR_LEN + 1],
		struct berth_error *err)
{
	struct build b = { .s = s, .o = o, .ctx = { .dirfd = -1 } };
	struct sigaction saved[ARRAY_SIZE(stop_signals)];
	size_t target = 0;
	int r = -1;

	interrupted = 0;
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], NULL, &saved[i]);
	build_signals_arm();

	b.now = o->timestamp >= 0 ? o->timestamp : (int64_t)time(NULL);
	b.tty = !o->quiet && o->out &&
		(o->progress == BUILD_PROGRESS_TTY ||
		 (o->progress == BUILD_PROGRESS_AUTO && isatty(fileno(o->out))));
	if (check_secrets(&b, err) < 0 || read_dockerfile(&b, err) < 0 ||
	    settle_given(&b, err) < 0 || settle_meta(&b, err) < 0 ||
	    pick_stages(&b, &target, err) < 0 || store_stage_new(s, &b.stage, err) < 0)
		goto out;
	runstep_sweep(&b);
	if (stages_build(&b, target, err) < 0 || build_check_interrupt(err) < 0)
		goto out;
	if (b.stages[target].df->n_instrs == 0 && !b.stages[target].image[0])
		build_print(&b, "--> (an empty image)");
	if (o->tags && *o->tags)
		build_print(&b, "COMMIT %s", o->tags[0]);
	if (finish(&b, &b.stages[target], id, err) < 0)
		goto out;
	warn_unconsumed(&b);
	build_print(&b, "--> %.12s", digest_hex(id));
	for (char *const *t = o->tags; t && *t; t++)
		build_print(&b, "Successfully tagged %s", *t);
	r = 0;
out:
	build_clear(&b);
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaction(stop_signals[i], &saved[i], NULL);
	return r;
}
