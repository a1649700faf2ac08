// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pull-tags.c: the tags of a repository, each pulled (pull-tags.h). The
 * list comes from the first endpoint that gives it: the registry's
 * mirrors (registries.conf), then the registry, as a pull tries them;
 * each tag is then image_pull's, with the same tries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pull-tags.h"
#include "reference.h"
#include "registry.h"
#include "../lib/util.h"

/* docker's refusal: a name with a tag or a digest (in its last
 * component: "host:5000/app" is a name alone) */
static bool names_repo_only(const char *ref)
{
	const char *last = strrchr(ref, '/');

	last = last ? last + 1 : ref;
	return !strchr(last, ':') && !strchr(ref, '@');
}

/* The tags from one endpoint. */
static int list_from(const struct regconf *conf, struct http_client *http, const char *host,
		     const char *repo, char ***tags, size_t *n, struct berth_error *err)
{
	struct registry reg;
	int r = registry_open(&reg, http, conf, host, repo, err);

	if (r == 0)
		r = registry_list_tags(&reg, tags, n, err);
	registry_close(&reg);
	return r;
}

static int list_tags(const struct pull_opts *o, const struct reference *ref, char ***tags,
		     size_t *n, struct berth_error *err)
{
	struct regconf conf;
	struct http_client *http = NULL;
	int r = -1;

	if (registry_client_new(&conf, &o->tls, &http, err) < 0)
		return -1;
	const struct regconf_registry *rc = regconf_find(&conf, ref->domain);
	for (char **m = rc ? rc->mirrors : NULL; m && *m; m++) {
		if (list_from(&conf, http, *m, ref->path, tags, n, err) == 0) {
			r = 0;
			goto out;
		}
		if (o->say && !o->quiet) { /* passed over, as a pull passes it */
			_cleanup_free_ char *why = berth_error_text(err);
			_cleanup_free_ char *line =
				xasprintf("mirror %s: %s; trying the next", *m, why);
			o->say(o->say_arg, line);
		}
		berth_error_clear(err);
	}
	r = list_from(&conf, http, ref->domain, ref->path, tags, n, err);
out:
	http_client_free(http);
	regconf_clear(&conf);
	return r;
}

int image_pull_all_tags(struct store *s, const struct pull_opts *o,
			void (*each)(void *arg, const char *tag, const struct pull_result *r),
			void *arg, struct berth_error *err)
{
	struct reference ref;
	char **tags = NULL;
	size_t n = 0;
	int ret = -1;

	if (!names_repo_only(o->ref))
		return berth_error_set(err, 0, "tag can't be used with --all-tags/-a");
	if (reference_parse(o->ref, REFERENCE_DOCKER_HUB, &ref, err) < 0)
		return -1;
	if (list_tags(o, &ref, &tags, &n, err) < 0)
		goto out;
	if (n == 0) {
		berth_error_set(err, 0, "%s/%s: the registry lists no tags", ref.domain, ref.path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *one = xasprintf("%s:%s", o->ref, tags[i]);
		struct pull_opts po = *o;
		struct pull_result res;
		po.ref = one;
		if (image_pull(s, &po, &res, err) < 0)
			goto out;
		if (each)
			each(arg, tags[i], &res);
		pull_result_clear(&res);
	}
	ret = 0;
out:
	strv_free(tags);
	reference_clear(&ref);
	return ret;
}
