// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * create.c: engine_create (engine.h): what `run` and `create` asked (a
 * run_config) resolved against its image and the store, checked whole
 * before anything is made, then the container recorded: its volumes
 * made, config.json written from the run_config (run_config.c), its
 * /etc/hosts and resolv.conf. Not here: starting it (start.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../image/image.h"
#include "../image/mount.h"
#include "../lib/userconf.h"
#include "../lib/userns.h"
#include "../lib/util.h"
#include "../netns/ports.h"
#include "../netns/slirp.h"
#include "../objects/network.h"
#include "../objects/secret.h"
#include "../objects/volume.h"
#include "caps.h"
#include "container.h"
#include "engine.h"
#include "mountspec.h"
#include "seccomp-filter.h"
#include "seccomp-json.h"
#include "secretspec.h"
#include "spec.h"

/* What create learns on the way that is not recorded. */
struct create {
	struct run_config *rc;
	struct json_object *image_config; /* the image's config document */
	bool user_net;			  /* --network NAME */
	struct network net;		  /* its record */
	bool *made;			  /* which volumes this create made (undo) */
};

static struct json_object *image_config_get(const struct create *c, const char *key)
{
	struct json_object *cfg, *v;
	return json_object_object_get_ex(c->image_config, "config", &cfg) &&
			       json_object_object_get_ex(cfg, key, &v)
		       ? v
		       : NULL;
}

/* --security-opt seccomp=FILE: read and checked before anything is
 * made, compiled once for the container's capabilities (which catches
 * rules libseccomp refuses, and leaves the filter in the cache for
 * start). */
static int seccomp_check(struct store *s, struct run_config *rc, struct berth_error *err)
{
	struct seccomp_filters sf;
	int cachefd, r;

	if (seccomp_profile_read(rc->seccomp_file, &rc->seccomp_profile, err) < 0)
		return -1;
	cachefd = seccomp_cache_dir(s->rootfd);
	r = seccomp_filters_prepare(cachefd, rc->caps, rc->seccomp_profile, rc->seccomp_file, &sf,
				    err);
	if (cachefd >= 0)
		close(cachefd);
	seccomp_filters_clear(&sf);
	return r;
}

/* The hostname defaults to the ID's start, so it is known before. */
static int default_hostname(struct run_config *rc, struct berth_error *err)
{
	unsigned char b[6];
	char part[13];
	FILE *u;

	if (rc->hostname)
		return 0;
	u = fopen("/dev/urandom", "re");
	if (!u || fread(b, 1, sizeof(b), u) != sizeof(b)) {
		if (u)
			fclose(u);
		return berth_error_set(err, errno, "/dev/urandom");
	}
	fclose(u);
	for (int i = 0; i < 6; i++)
		snprintf(part + 2 * i, 3, "%02x", b[i]);
	rc->hostname = xstrdup(part);
	return 0;
}

/* The command, environment, working directory and user over the
 * image's (spec.c). */
static int resolve_spec(struct create *c, struct berth_error *err)
{
	struct run_config *rc = c->rc;
	struct spec sp = { 0 };

	if (rc->keep_id) {
		/* podman's keep-id: the user's own ids unless -u says else */
		struct userns_map um;
		if (userns_plan_keep_id(&um, err) < 0)
			return -1;
		if (!rc->user_arg)
			rc->user_arg = xasprintf("%u:%u", um.uid, um.gid);
	}
	struct spec_flags sf = { .entrypoint = rc->entrypoint,
				 .cmd = rc->args,
				 .n_cmd = rc->n_args,
				 .env = rc->env_args,
				 .n_env = rc->n_env_args,
				 .env_files = rc->env_files,
				 .n_env_files = rc->n_env_files,
				 .workdir = rc->workdir_arg,
				 .user = rc->user_arg,
				 .hostname = rc->hostname,
				 .tty = rc->tty };
	if (spec_resolve(&sf, c->image_config, &sp, err) < 0) {
		spec_clear(&sp);
		return -1;
	}
	strv_free(rc->argv);
	strv_free(rc->env);
	free(rc->workdir);
	free(rc->user);
	/* (the spec's own, handed on whole) */
	rc->argv = sp.argv;
	rc->n_argv = sp.n_argv;
	rc->env = sp.env;
	rc->n_env = sp.n_env;
	rc->workdir = sp.workdir;
	rc->user = sp.user;
	return 0;
}

static void add_mount(struct run_config *rc, struct mount_req m)
{
	rc->mounts = xrealloc(rc->mounts, (rc->n_mounts + 2) * sizeof(*rc->mounts));
	rc->mounts[rc->n_mounts++] = m;
	memset(&rc->mounts[rc->n_mounts], 0, sizeof(*rc->mounts));
}

static bool target_taken(const struct run_config *rc, const char *target)
{
	for (size_t i = 0; i < rc->n_mounts; i++)
		if (!strcmp(rc->mounts[i].target, target))
			return true;
	return false;
}

/* --volumes-from C[:ro|rw]: C's volumes and bind mounts on the same
 * targets, unless this container mounts something there itself; its
 * anonymous volumes stay anonymous (rm -v of the last user removes them). */
static int add_volumes_from(struct store *s, struct run_config *rc, struct berth_error *err)
{
	for (size_t i = 0; i < rc->n_volumes_from; i++) {
		_cleanup_free_ char *ref = xstrdup(rc->volumes_from[i]);
		struct run_config from;
		char id[CONTAINER_ID_LEN + 1], *mode = strrchr(ref, ':');
		int ro = -1;
		if (mode && (!strcmp(mode, ":ro") || !strcmp(mode, ":rw"))) {
			ro = mode[2] == 'o';
			*mode = '\0';
		}
		if (container_resolve(s, ref, id, err) < 0)
			return berth_error_wrap(err, "--volumes-from %s", rc->volumes_from[i]);
		if (engine_config(s, id, &from, err) < 0)
			return -1;
		for (size_t j = 0; j < from.n_mounts; j++) {
			struct mount_req *m = &from.mounts[j];
			if (m->kind == MOUNT_TMPFS || target_taken(rc, m->target))
				continue;
			if (ro >= 0)
				m->readonly = ro;
			add_mount(rc, *m);
			memset(m, 0, sizeof(*m));
		}
		run_config_clear(&from);
	}
	return 0;
}

/* The image's VOLUMEs become anonymous volumes, unless a mount of the
 * command line has that target (docker's rule). */
static void add_image_volumes(struct create *c)
{
	struct json_object *iv = image_config_get(c, "Volumes");

	if (!iv || !json_object_is_type(iv, json_type_object))
		return;
	json_object_object_foreach(iv, key, val)
	{
		(void)val;
		_cleanup_free_ char *t = mountspec_clean_path(key);
		if (!t || !strcmp(t, "/") || target_taken(c->rc, t))
			continue;
		add_mount(c->rc, (struct mount_req){ .kind = MOUNT_VOLUME,
						     .target = steal_pointer(&t),
						     .anonymous = true });
	}
}

/* The way to the host's loopback: the command line's, else berth.conf's
 * (every port unless it says false); none where there is no gateway. */
static int host_loopback_choice(struct create *c, struct berth_error *err)
{
	struct run_config *rc = c->rc;

	if (!rc->host_loopback_given) {
		struct userconf conf;
		int r = userconf_load(&conf, err);
		rc->host_loopback = (struct hostloop){ .mode = conf.host_loopback ? HOSTLOOP_ALL
										  : HOSTLOOP_OFF };
		userconf_clear(&conf);
		if (r < 0)
			return -1;
	}
	if (c->user_net && c->net.internal) {
		if (rc->host_loopback_given && rc->host_loopback.mode != HOSTLOOP_OFF)
			return berth_error_set(err, EINVAL,
					       "--host-loopback: network %s is --internal, it has "
					       "no way to the host",
					       rc->network);
		rc->host_loopback.mode = HOSTLOOP_OFF;
	}
	if (!c->user_net && strcmp(rc->network, "slirp4netns"))
		rc->host_loopback = (struct hostloop){ .mode = HOSTLOOP_OFF }; /* host: its own */
	return 0;
}

/* The published ports: no two on one host port, none without a network
 * of its own, and each free now (a port in use or below the unprivileged
 * floor is said now, not at start, where they are bound for good). */
static int check_ports(const struct run_config *rc, struct berth_error *err)
{
	if (ports_check_duplicates(rc->ports, rc->n_ports, err) < 0)
		return -1;
	if (rc->n_ports > 0 && !strcmp(rc->network, "none"))
		return berth_error_set(err, EINVAL, "-p: --network none has nothing to publish");
	if (rc->n_ports > 0 && !strcmp(rc->network, "host"))
		return berth_error_set(err, EINVAL,
				       "-p: with --network host the container's ports are the "
				       "host's already");
	_cleanup_free_ struct port_map *trial = xcalloc(rc->n_ports + 1, sizeof(*trial));
	_cleanup_free_ int *fds = xcalloc(rc->n_ports + 1, sizeof(int));
	if (rc->n_ports > 0)
		memcpy(trial, rc->ports, rc->n_ports * sizeof(*trial));
	if (ports_bind(trial, rc->n_ports, fds, err) < 0)
		return -1;
	for (size_t i = 0; i < rc->n_ports; i++)
		close(fds[i]);
	return 0;
}

/* The secrets: their owners mapped in the container, the secrets there. */
static int check_secrets(struct store *s, const struct run_config *rc, struct berth_error *err)
{
	struct userns_map um;

	if (rc->keep_id)
		userns_plan_keep_id(&um, err); /* checked before: cannot fail here */
	else
		userns_plan(&um);
	for (size_t i = 0; i < rc->n_secrets; i++)
		if (!rc->secrets[i].env && (!userns_maps_uid(&um, rc->secrets[i].uid) ||
					    !userns_maps_gid(&um, rc->secrets[i].gid)))
			return berth_error_set(err, EINVAL,
					       "--secret %s: uid %u / gid %u is not mapped in the "
					       "container's user namespace%s",
					       rc->secrets[i].name, rc->secrets[i].uid,
					       rc->secrets[i].gid,
					       um.ranged ? ""
							 : " (without a subuid range only root "
							   "exists)");
	for (size_t i = 0; i < rc->n_secrets; i++)
		if (!secret_exists(s, rc->secrets[i].name))
			return berth_error_set(err, ENOENT,
					       "--secret %s: no such secret (berth secret create "
					       "%s FILE)",
					       rc->secrets[i].name, rc->secrets[i].name);
	return 0;
}

/* Everything checked before anything is made: the network and its tools,
 * the way to the host, ports, mount targets, secrets. */
static int check_run(struct store *s, struct create *c, struct berth_error *err)
{
	struct run_config *rc = c->rc;

	if (c->user_net && network_load(s, rc->network, &c->net, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		berth_error_clear(err);
		return berth_error_set(err, ENOENT,
				       "--network %s: no such network (berth network create %s)",
				       rc->network, rc->network);
	}
	if ((!strcmp(rc->network, "slirp4netns") || (c->user_net && !c->net.internal)) &&
	    netns_slirp_check(err) < 0)
		return -1;
	if (host_loopback_choice(c, err) < 0 || check_ports(rc, err) < 0 ||
	    mountspec_check_duplicates(rc->mounts, rc->n_mounts, err) < 0)
		return -1;
	return check_secrets(s, rc, err);
}

/* KEY=VALUE into v: over the entry of the same KEY, where it is, else
 * at the end (as a JSON object's key keeps its place when set again). */
static void set_label(char ***v, size_t *n, const char *kv)
{
	size_t k = strcspn(kv, "=");

	for (size_t i = 0; i < *n; i++)
		if (!strncmp((*v)[i], kv, k) && (*v)[i][k] == '=') {
			free((*v)[i]);
			(*v)[i] = xstrdup(kv);
			return;
		}
	strv_push(v, n, kv);
}

/* What the image adds to the record: its stop signal (when it names one
 * and none was asked), its exposed ports, its labels under --label's. */
static void from_image(struct create *c)
{
	struct run_config *rc = c->rc;
	struct json_object *v = image_config_get(c, "StopSignal");

	if (!rc->stop_signal && v && json_object_is_type(v, json_type_string) &&
	    signal_from_name(json_object_get_string(v)) > 0)
		rc->stop_signal = xstrdup(json_object_get_string(v));
	if ((v = image_config_get(c, "ExposedPorts")))
		rc->exposed_ports = json_object_get(v);
	/* the image's labels, then --label over them (in place) */
	char **asked = steal_pointer(&rc->labels);
	size_t n_asked = rc->n_labels;
	rc->labels = xcalloc(1, sizeof(char *));
	rc->n_labels = 0;
	struct json_object *il = image_config_get(c, "Labels");
	if (il && json_object_is_type(il, json_type_object)) {
		json_object_object_foreach(il, lk, lv)
		{
			_cleanup_free_ char *kv =
				xasprintf("%s=%s", lk, json_object_get_string(lv));
			set_label(&rc->labels, &rc->n_labels, kv);
		}
	}
	for (size_t i = 0; i < n_asked; i++) {
		_cleanup_free_ char *kv =
			strchr(asked[i], '=') ? xstrdup(asked[i]) : xasprintf("%s=", asked[i]);
		set_label(&rc->labels, &rc->n_labels, kv);
	}
	strv_free(asked);
}

/* Make the volumes the mounts name (under the volume lock, which the
 * caller holds until the container's record names them). */
static int make_volumes(struct store *s, struct create *c, struct berth_error *err)
{
	for (size_t i = 0; i < c->rc->n_mounts; i++) {
		struct mount_req *m = &c->rc->mounts[i];
		char *name = NULL;
		if (m->kind != MOUNT_VOLUME)
			continue;
		if (volume_ensure(s, m->source, NULL, 0, m->anonymous, &name, &c->made[i], err) < 0)
			return -1;
		free(m->source);
		m->source = name;
	}
	return 0;
}

static void undo_volumes(struct store *s, struct create *c)
{
	for (size_t i = 0; i < c->rc->n_mounts; i++)
		if (c->made[i] && c->rc->mounts[i].source) {
			struct berth_error e = { 0 };
			volume_remove(s, c->rc->mounts[i].source, &e);
			berth_error_clear(&e);
		}
}

/* /etc/hosts beyond localhost and the container's name: the way to the
 * host (slirp's mapping of its loopback, or the loopback itself with
 * --network host), then --add-host. */
static char *hosts_extra(const struct create *c)
{
	const struct run_config *rc = c->rc;
	char gw[INET_ADDRSTRLEN] = NETNS_SLIRP_HOST;

	if (c->user_net) { /* slirp's gateway in the network's subnet */
		struct in_addr a = network_host(&c->net.subnet, 2);
		inet_ntop(AF_INET, &a, gw, sizeof(gw));
	}
	const char *host =
		!strcmp(rc->network, "host") ? "127.0.0.1"
		: (!strcmp(rc->network, "slirp4netns") || (c->user_net && !c->net.internal)) &&
				rc->host_loopback.mode != HOSTLOOP_OFF
			? gw
			: NULL;
	char *out = host ? xasprintf("%s\thost.docker.internal host.containers.internal\n", host)
			 : xstrdup("");

	for (size_t i = 0; i < rc->n_add_hosts; i++) {
		char *n = xasprintf("%s%s\n", out, rc->add_hosts[i]);
		free(out);
		out = n;
	}
	return out;
}

/* /etc/resolv.conf: --dns, else slirp's forwarder, else the host's (NULL) */
static char *resolv_for(const struct create *c)
{
	const struct run_config *rc = c->rc;
	_cleanup_free_ char *opts = NULL;
	char *out;

	if (rc->n_dns == 0 && strcmp(rc->network, "slirp4netns") && !c->user_net)
		return NULL;
	opts = container_host_resolv(true);
	out = xstrdup(opts);
	if (rc->n_dns == 0 && c->user_net && c->net.internal)
		return out; /* nothing to ask outside */
	if (rc->n_dns == 0) {
		char dns[INET_ADDRSTRLEN] = NETNS_SLIRP_DNS;
		if (c->user_net) {
			struct in_addr a = network_host(&c->net.subnet, 3);
			inet_ntop(AF_INET, &a, dns, sizeof(dns));
		}
		char *n = xasprintf("nameserver %s\n%s", dns, out);
		free(out);
		return n;
	}
	for (size_t i = rc->n_dns; i-- > 0;) {
		char *n = xasprintf("nameserver %s\n%s", rc->dns[i], out);
		free(out);
		out = n;
	}
	return out;
}

/* The volumes and the record that names them, as one step, under the
 * volume lock (and the network's, so that the network it names stays
 * until the record is there). */
static int record(struct store *s, struct create *c, char *id, struct berth_error *err)
{
	struct run_config *rc = c->rc;
	_cleanup_close_ int vlock = -1, nlock = -1;

	c->made = xcalloc(rc->n_mounts + 1, sizeof(bool));
	if ((vlock = volume_lock(s, err)) < 0)
		return -1;
	if (c->user_net && (nlock = network_lock(s, err)) < 0)
		return -1;
	if (c->user_net && !network_exists(s, rc->network))
		return berth_error_set(err, ENOENT,
				       "--network %s: the network was removed meanwhile",
				       rc->network);
	if (make_volumes(s, c, err) < 0) {
		undo_volumes(s, c);
		return -1;
	}
	rc->created = (int64_t)time(NULL);
	_cleanup_free_ char *cj = run_config_to_json(rc);
	_cleanup_free_ char *hosts = hosts_extra(c), *resolv = resolv_for(c);
	struct container_new cn = { .image = rc->image,
				    .name = rc->name,
				    .hostname = rc->hostname,
				    .config_json = cj,
				    .hosts_extra = hosts,
				    .resolv = resolv };
	if (container_create(s, &cn, id, err) < 0) {
		undo_volumes(s, c);
		return -1;
	}
	return 0;
}

/* Settle rc against its image: everything up to the checks. */
static int resolve(struct store *s, struct create *c, struct berth_error *err)
{
	struct run_config *rc = c->rc;
	char image_id[DIGEST_STR_LEN + 1];
	_cleanup_free_ char *lower = NULL;

	if (caps_compute(rc->cap_add, rc->n_cap_add, rc->cap_drop, rc->n_cap_drop, &rc->caps, err) <
		    0 ||
	    (rc->seccomp && rc->seccomp_file && seccomp_check(s, rc, err) < 0) ||
	    image_resolve(s, rc->image_ref, image_id, err) < 0 ||
	    !(c->image_config = image_config(s, image_id, err)) ||
	    mount_lowerdir(s, image_id, &lower, err) < 0)
		return -1;
	free(rc->image);
	rc->image = xstrdup(image_id);
	if (default_hostname(rc, err) < 0 || resolve_spec(c, err) < 0 ||
	    add_volumes_from(s, rc, err) < 0)
		return -1;
	if (rc->publish_all && ports_from_exposed(image_config_get(c, "ExposedPorts"), &rc->ports,
						  &rc->n_ports, err) < 0)
		return -1;
	if (!c->rc->no_image_volumes)
		add_image_volumes(c);
	return 0;
}

int engine_create(struct store *s, struct run_config *rc, char id[CONTAINER_ID_LEN + 1],
		  struct berth_error *err)
{
	struct create c = { .rc = rc };
	int r = -1;

	if (run_config_finish(rc, err) < 0)
		return -1;
	if (!rc->image_ref)
		return berth_error_set(err, EINVAL, "an IMAGE is required");
	c.user_net = !network_name_reserved(rc->network);
	if (resolve(s, &c, err) == 0 && check_run(s, &c, err) == 0) {
		from_image(&c);
		r = record(s, &c, id, err);
	}
	if (c.image_config)
		json_object_put(c.image_config);
	network_clear(&c.net);
	free(c.made);
	return r;
}
