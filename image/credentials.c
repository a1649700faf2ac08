// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * credentials.c: the credential files and their lookup order
 * (credentials.h); the helpers themselves are credhelper.c's. Buffers
 * that held a secret are wiped before they are freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credentials.h"
#include "credhelper.h"
#include "../lib/json.h"
#include "../lib/userconf.h"
#include "../lib/util.h"

#define AUTH_FILE_MAX (4u << 20)
#define DOCKER_HUB_SERVER "https://index.docker.io/v1/"

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void cred_clear(struct cred *c)
{
	free(c->user);
	wipe_free(c->secret);
	free(c->from);
	memset(c, 0, sizeof(*c));
}

static char *b64_encode(const char *s, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* base64 into a NUL-terminated string, or NULL when it is not base64
 * or holds a NUL. */
static char *b64_decode(const char *s)
{
	size_t n = strlen(s), pad = 0, len;
	char *out;

	if (n == 0 || n % 4 || n > AUTH_FILE_MAX)
		return NULL;
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	out = xmalloc(n / 4 * 3 + 1);
	if (EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n) < 0) {
		free(out);
		return NULL;
	}
	len = n / 4 * 3 - pad;
	out[len] = '\0';
	if (strlen(out) != len) {
		wipe_free(out);
		return NULL;
	}
	return out;
}

char *cred_basic(const struct cred *c)
{
	_cleanup_free_ char *pair = xasprintf("%s:%s", c->user, c->secret);
	char *b = b64_encode(pair, strlen(pair));
	char *h = xasprintf("Basic %s", b);

	explicit_bzero(pair, strlen(pair));
	wipe_free(b);
	return h;
}

char *cred_auth_file(void)
{
	return userconf_file_path("BERTH_AUTH_FILE", "auth.json");
}

char **cred_files(void)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME"), *dc = getenv("DOCKER_CONFIG");
	char **v = NULL;
	size_t n = 0;
	char *p;

	if (!home || !*home)
		home = "/";
	strv_push(&v, &n, p = cred_auth_file());
	free(p);
	if (rt && *rt == '/') {
		strv_push(&v, &n, p = xasprintf("%s/containers/auth.json", rt));
		free(p);
	}
	p = xdg && *xdg == '/' ? xasprintf("%s/containers/auth.json", xdg)
			       : xasprintf("%s/.config/containers/auth.json", home);
	strv_push(&v, &n, p);
	free(p);
	p = dc && *dc ? xasprintf("%s/config.json", dc) : xasprintf("%s/.docker/config.json", home);
	strv_push(&v, &n, p);
	free(p);
	return v;
}

static bool is_docker_hub(const char *h)
{
	return !strcmp(h, "docker.io") || !strcmp(h, "index.docker.io") ||
	       !strcmp(h, "registry-1.docker.io");
}

char *cred_key_host(const char *key)
{
	const char *h = key;
	size_t n;

	if (str_has_prefix(key, "https://"))
		h = key + 8;
	else if (str_has_prefix(key, "http://"))
		h = key + 7;
	n = strcspn(h, "/");
	/* without a scheme, a path is podman's namespace key */
	if (n == 0 || (h == key && h[n]))
		return NULL;
	if (is_docker_hub(h) ||
	    (n == strlen("index.docker.io") && !strncmp(h, "index.docker.io", n)))
		return xstrdup("docker.io");
	char *r = xstrndup(h, n);
	if (is_docker_hub(r)) {
		free(r);
		return xstrdup("docker.io");
	}
	return r;
}

char *cred_helper_server(const char *host)
{
	return xstrdup(is_docker_hub(host) ? DOCKER_HUB_SERVER : host);
}

/* The member of obj (an object of registry keys) that names host: the
 * key written exactly as host first, else any key naming it. */
static struct json_object *entry_for(struct json_object *obj, const char *host)
{
	struct json_object *found = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (json_object_object_get_ex(obj, host, &found))
		return found;
	json_object_object_foreach(obj, key, val)
	{
		_cleanup_free_ char *h = cred_key_host(key);
		if (h && !strcmp(h, host))
			return val;
	}
	return NULL;
}

/* An auths entry's "auth": base64 of USER:SECRET. */
static int from_auth(const char *auth, const char *path, struct cred *out, struct berth_error *err)
{
	char *pair = b64_decode(auth), *colon;

	if (!pair || !(colon = strchr(pair, ':'))) {
		wipe_free(pair);
		return berth_error_set(err, 0,
				       "%s: an \"auth\" that is not base64 of USER:PASSWORD", path);
	}
	*colon = '\0';
	out->user = xstrdup(pair);
	out->secret = xstrdup(colon + 1);
	out->from = xstrdup(path);
	explicit_bzero(colon + 1, strlen(colon + 1));
	free(pair);
	return 1;
}

static const char *helper_of(struct json_object *v, const char *path, const char *what,
			     struct berth_error *err)
{
	const char *name =
		json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

	if (!name || !credhelper_name_ok(name)) {
		berth_error_set(err, 0, "%s: %s is not a credential helper's name", path, what);
		return NULL;
	}
	return name;
}

/* json-c's copies of "auth" values wiped before the document goes. */
static void wipe_doc(struct json_object *o)
{
	struct json_object *auths;

	if (!json_object_object_get_ex(o, "auths", &auths) ||
	    !json_object_is_type(auths, json_type_object))
		return;
	json_object_object_foreach(auths, key, val)
	{
		struct json_object *a;
		(void)key;
		if (json_object_is_type(val, json_type_object) &&
		    json_object_object_get_ex(val, "auth", &a) &&
		    json_object_is_type(a, json_type_string))
			explicit_bzero((char *)json_object_get_string(a),
				       (size_t)json_object_get_string_len(a));
	}
}

int cred_parse(const char *buf, size_t len, const char *path, const char *host, struct cred *out,
	       char **helper, struct berth_error *err)
{
	struct json_object *o = NULL, *e, *a;
	const char *name;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	*helper = NULL;
	if (json_parse_bounded(buf, len, path, &o, err) < 0)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		ret = berth_error_set(err, 0, "%s: not a JSON object", path);
	} else if (json_object_object_get_ex(o, "credHelpers", &e) && (e = entry_for(e, host))) {
		ret = (name = helper_of(e, path, "a credHelpers entry", err)) ? 2 : -1;
		if (ret == 2)
			*helper = xstrdup(name);
	} else if (json_object_object_get_ex(o, "auths", &e) && (e = entry_for(e, host)) &&
		   json_object_object_get_ex(e, "auth", &a) &&
		   json_object_is_type(a, json_type_string) && json_object_get_string_len(a) > 0) {
		ret = from_auth(json_object_get_string(a), path, out, err);
	} else if (json_object_object_get_ex(o, "credsStore", &e)) {
		ret = (name = helper_of(e, path, "credsStore", err)) ? 2 : -1;
		if (ret == 2)
			*helper = xstrdup(name);
	}
	wipe_doc(o);
	json_object_put(o);
	return ret;
}

/* A file's credentials for host: 1, 0 (none, or no file), -1. */
static int lookup_file(const char *path, const char *host, struct cred *out,
		       struct berth_error *err)
{
	_cleanup_free_ char *helper = NULL, *server = NULL;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &buf, &len, err) < 0) {
		if (err->errnum != ENOENT && err->errnum != ENOTDIR)
			return -1;
		berth_error_clear(err);
		return 0;
	}
	ret = cred_parse(buf, len, path, host, out, &helper, err);
	explicit_bzero(buf, len);
	free(buf);
	if (ret != 2)
		return ret;
	server = cred_helper_server(host);
	ret = credhelper_get(helper, server, &out->user, &out->secret, err);
	if (ret < 0)
		return berth_error_wrap(err, "credentials of %s (from %s)", host, path);
	if (ret == 1)
		out->from = xasprintf("docker-credential-%s", helper);
	return ret;
}

int cred_lookup(const char *host, struct cred *out, struct berth_error *err)
{
	char **files = cred_files();
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (char **f = files; *f && ret == 0; f++)
		ret = lookup_file(*f, host, out, err);
	strv_free(files);
	return ret;
}

static void join(char **s, const char *sep, const char *part)
{
	char *n = xasprintf("%s%s%s", *s ? *s : "", *s ? sep : "", part);

	free(*s);
	*s = n;
}

int cred_file_summary(const char *path, char **summary, struct berth_error *err)
{
	struct json_object *o = NULL, *e;
	char *buf = NULL, *part = NULL;
	size_t len = 0;
	int ret = 1;

	*summary = NULL;
	if (read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &buf, &len, err) < 0) {
		if (err->errnum != ENOENT && err->errnum != ENOTDIR)
			return -1;
		berth_error_clear(err);
		return 0;
	}
	if (json_parse_bounded(buf, len, path, &o, err) < 0) {
		ret = -1;
	} else if (!json_object_is_type(o, json_type_object)) {
		ret = berth_error_set(err, 0, "%s: not a JSON object", path);
	} else {
		if (json_object_object_get_ex(o, "auths", &e) &&
		    json_object_is_type(e, json_type_object)) {
			json_object_object_foreach(e, key, val)
			{
				struct json_object *a;
				if (json_object_object_get_ex(val, "auth", &a) &&
				    json_object_get_string_len(a) > 0)
					join(&part, ", ", key);
			}
		}
		if (part) {
			char *p = xasprintf("auths: %s", part);
			free(part);
			part = p;
		}
		if (json_object_object_get_ex(o, "credHelpers", &e) &&
		    json_object_is_type(e, json_type_object)) {
			json_object_object_foreach(e, key, val)
			{
				_cleanup_free_ char *h = xasprintf("credHelpers: %s (%s)", key,
								   json_object_get_string(val));
				join(&part, "; ", h);
			}
		}
		if ((e = json_object_object_get(o, "credsStore"))) {
			_cleanup_free_ char *h =
				xasprintf("credsStore: %s", json_object_get_string(e));
			join(&part, "; ", h);
		}
		*summary = part ? part : xstrdup("none");
	}
	if (o)
		wipe_doc(o);
	json_object_put(o);
	explicit_bzero(buf, len);
	free(buf);
	return ret;
}

/* berth's auth file as a JSON object, or a new one when there is none. */
static int read_own(const char *path, struct json_object **o, struct berth_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int ret = 0;

	*o = NULL;
	if (read_file_at(AT_FDCWD, path, AUTH_FILE_MAX, &buf, &len, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		berth_error_clear(err);
		*o = json_object_new_object();
		return 0;
	}
	if (json_parse_bounded(buf, len, path, o, err) < 0)
		ret = -1;
	else if (!json_object_is_type(*o, json_type_object))
		ret = berth_error_set(err, 0, "%s: not a JSON object", path);
	explicit_bzero(buf, len);
	free(buf);
	if (ret < 0) {
		json_object_put(*o);
		*o = NULL;
	}
	return ret;
}

static int write_own(const char *path, struct json_object *o, struct berth_error *err)
{
	_cleanup_free_ char *dir = xstrdup(path);
	const char *text;
	int ret;

	/* only the user may list or enter where credentials live */
	if (mkdir_p_at(AT_FDCWD, dirname(dir), 0700, err) < 0)
		return -1;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = write_file_atomic(AT_FDCWD, path, text, strlen(text), 0600, err);
	explicit_bzero((char *)text, strlen(text));
	return ret;
}

int cred_store(const char *host, const char *user, const char *secret, struct berth_error *err)
{
	_cleanup_free_ char *path = cred_auth_file();
	struct json_object *o, *auths, *entry;
	struct cred c = { .user = (char *)user, .secret = (char *)secret };
	char *basic;
	int ret;

	if (read_own(path, &o, err) < 0)
		return -1;
	if (!json_object_object_get_ex(o, "auths", &auths) ||
	    !json_object_is_type(auths, json_type_object)) {
		auths = json_object_new_object();
		json_object_object_add(o, "auths", auths);
	}
	basic = cred_basic(&c);
	entry = json_object_new_object();
	json_object_object_add(entry, "auth", json_object_new_string(basic + strlen("Basic ")));
	wipe_free(basic);
	json_object_object_add(auths, host, entry);
	ret = write_own(path, o, err);
	wipe_doc(o);
	json_object_put(o);
	return ret;
}

int cred_erase(const char *host, struct berth_error *err)
{
	_cleanup_free_ char *path = cred_auth_file();
	struct json_object *o = NULL, *auths;
	int ret = 0;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (read_own(path, &o, err) < 0)
		return -1;
	if (json_object_object_get_ex(o, "auths", &auths) &&
	    json_object_is_type(auths, json_type_object)) {
		/* every key that names host: a file another tool wrote may
		 * spell it https://HOST */
		char **keys = NULL;
		size_t n = 0;
		json_object_object_foreach(auths, key, val)
		{
			_cleanup_free_ char *h = cred_key_host(key);
			(void)val;
			if (!strcmp(key, host) || (h && !strcmp(h, host)))
				strv_push(&keys, &n, key);
		}
		for (size_t i = 0; i < n; i++)
			json_object_object_del(auths, keys[i]);
		strv_free(keys);
		ret = n > 0;
	}
	if (ret == 1 && write_own(path, o, err) < 0)
		ret = -1;
	wipe_doc(o);
	json_object_put(o);
	return ret;
}

int cred_erase_all(struct berth_error *err)
{
	_cleanup_free_ char *path = cred_auth_file();

	if (unlink(path) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return berth_error_set(err, errno, "removing %s", path);
}
