// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: a container's run_config (runner/run_config.c): every flag
 * of run and create into its field, a bad value refused in one line that
 * names the flag, every record key through config.json and back, and a
 * record written by the berth before run_config read and rewritten to
 * the same bytes. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../image/image.h"
#include "../../lib/util.h"
#include "../../netns/ports.h"
#include "../../runner/mountspec.h"
#include "../../runner/run_config.h"
#include "../../runner/secretspec.h"
#include "../../runner/spec.h"
#include "../tap.h"

/* ---- flags ---- */

static bool last_is(char **v, size_t n, const char *s)
{
	return n > 0 && v && !strcmp(v[n - 1], s);
}

#define CHECK(name, expr)                                                                          \
	static bool name(const struct run_config *rc)                                              \
	{                                                                                          \
		(void)rc;                                                                          \
		return expr;                                                                       \
	}
CHECK(c_detach, rc->detach)
CHECK(c_rm, rc->auto_remove)
CHECK(c_name, rc->name && !strcmp(rc->name, "web"))
CHECK(c_env, last_is(rc->env_args, rc->n_env_args, "A=1"))
CHECK(c_env_file, last_is(rc->env_files, rc->n_env_files, "/dev/null"))
CHECK(c_workdir, rc->workdir_arg && !strcmp(rc->workdir_arg, "/w"))
CHECK(c_user, rc->user_arg && !strcmp(rc->user_arg, "1:2"))
CHECK(c_entrypoint, rc->entrypoint && !strcmp(rc->entrypoint, ""))
CHECK(c_hostname, rc->hostname && !strcmp(rc->hostname, "box"))
CHECK(c_interactive, rc->interactive)
CHECK(c_tty, rc->tty)
CHECK(c_init, rc->init)
CHECK(c_read_only, rc->read_only)
CHECK(c_tmpfs,
      rc->n_mounts == 1 && rc->mounts[0].kind == MOUNT_TMPFS && !strcmp(rc->mounts[0].target, "/t"))
CHECK(c_volume, rc->n_mounts == 1 && rc->mounts[0].kind == MOUNT_BIND &&
			!strcmp(rc->mounts[0].source, "/tmp") &&
			!strcmp(rc->mounts[0].target, "/h") && rc->mounts[0].readonly)
CHECK(c_mount, rc->n_mounts == 1 && rc->mounts[0].kind == MOUNT_VOLUME &&
		       !strcmp(rc->mounts[0].source, "data") && !strcmp(rc->mounts[0].target, "/d"))
CHECK(c_secret, rc->n_secrets == 1 && !strcmp(rc->secrets[0].name, "tok") && rc->secrets[0].env &&
			!strcmp(rc->secrets[0].target, "TOKEN"))
CHECK(c_volumes_from, last_is(rc->volumes_from, rc->n_volumes_from, "other:ro"))
CHECK(c_userns, rc->keep_id)
CHECK(c_cap_add, last_is(rc->cap_add, rc->n_cap_add, "NET_RAW"))
CHECK(c_cap_drop, last_is(rc->cap_drop, rc->n_cap_drop, "ALL"))
CHECK(c_security_opt, !rc->seccomp && !rc->seccomp_file && rc->no_new_privs)
CHECK(c_network, rc->network && !strcmp(rc->network, "none"))
CHECK(c_network_alias, last_is(rc->aliases, rc->n_aliases, "db"))
CHECK(c_no_host_loopback, rc->host_loopback_given && rc->host_loopback.mode == HOSTLOOP_OFF)
CHECK(c_host_loopback, rc->host_loopback_given && rc->host_loopback.mode == HOSTLOOP_PORTS &&
			       rc->host_loopback.n_ports == 1 &&
			       rc->host_loopback.ports[0].port == 5432)
CHECK(c_publish, rc->n_ports == 1 && rc->ports[0].host_port == 8080 &&
			 rc->ports[0].ctr_port == 80 && !strcmp(rc->ports[0].host_ip, "127.0.0.1"))
CHECK(c_publish_all, rc->publish_all)
CHECK(c_add_host, last_is(rc->add_hosts, rc->n_add_hosts, "10.0.0.1\tdb"))
CHECK(c_label, last_is(rc->labels, rc->n_labels, "tier=web"))
CHECK(c_profile, rc->profile && !strcmp(rc->profile, "ci.ini"))
CHECK(c_dns, last_is(rc->dns, rc->n_dns, "9.9.9.9"))
CHECK(c_stop_signal, rc->stop_signal && !strcmp(rc->stop_signal, "HUP"))
CHECK(c_stop_timeout, rc->stop_timeout == 3)
CHECK(c_ulimit, rc->n_ulimits == 1 && rc->ulimits[0].resource == RLIMIT_NOFILE &&
			rc->ulimits[0].lim.rlim_cur == 100 && rc->ulimits[0].lim.rlim_max == 200)
CHECK(c_pull, rc->pull && !strcmp(rc->pull, "never"))
CHECK(c_refused, false) /* --memory, --cpus, --pids-limit set nothing */

static const struct flag_case {
	const char *name; /* the long name */
	const char *good; /* a value it takes (NULL: a switch) */
	bool (*check)(const struct run_config *rc);
	const char *bad;  /* a value it refuses, or NULL */
	const char *says; /* what names the flag in the refusal */
} cases[] = {
	{ "detach", NULL, c_detach, NULL, NULL },
	{ "rm", NULL, c_rm, NULL, NULL },
	{ "name", "web", c_name, NULL, NULL },
	{ "env", "A=1", c_env, NULL, NULL },
	{ "env-file", "/dev/null", c_env_file, NULL, NULL },
	{ "workdir", "/w", c_workdir, NULL, NULL },
	{ "user", "1:2", c_user, NULL, NULL },
	{ "entrypoint", "", c_entrypoint, NULL, NULL },
	{ "hostname", "box", c_hostname, NULL, NULL },
	{ "interactive", NULL, c_interactive, NULL, NULL },
	{ "tty", NULL, c_tty, NULL, NULL },
	{ "init", NULL, c_init, NULL, NULL },
	{ "read-only", NULL, c_read_only, NULL, NULL },
	{ "tmpfs", "/t:size=1m", c_tmpfs, "rel", "--tmpfs" },
	{ "volume", "/tmp:/h:ro", c_volume, "/tmp:rel", "-v" },
	{ "mount", "type=volume,src=data,dst=/d", c_mount, "type=nope,dst=/d", "--mount" },
	{ "secret", "tok,type=env,target=TOKEN", c_secret, "tok,mode=x", "--secret" },
	{ "volumes-from", "other:ro", c_volumes_from, NULL, NULL },
	{ "userns", "keep-id", c_userns, "host", "--userns" },
	{ "cap-add", "NET_RAW", c_cap_add, NULL, NULL },
	{ "cap-drop", "ALL", c_cap_drop, NULL, NULL },
	{ "security-opt", "seccomp=unconfined", c_security_opt, "apparmor=x", "--security-opt" },
	{ "network", "none", c_network, NULL, NULL },
	{ "network-alias", "db", c_network_alias, "no/slash", "--network-alias" },
	{ "no-host-loopback", NULL, c_no_host_loopback, NULL, NULL },
	{ "host-loopback", "5432", c_host_loopback, "notaport", "--host-loopback" },
	{ "publish", "8080:80", c_publish, "99999:80", "-p" },
	{ "publish-all", NULL, c_publish_all, NULL, NULL },
	{ "add-host", "db:10.0.0.1", c_add_host, "db", "--add-host" },
	{ "label", "tier=web", c_label, "=x", "--label" },
	{ "profile", "ci.ini", c_profile, NULL, NULL },
	{ "dns", "9.9.9.9", c_dns, "nine", "--dns" },
	{ "stop-signal", "HUP", c_stop_signal, "NOPE", "--stop-signal" },
	{ "stop-timeout", "3", c_stop_timeout, "-1", "--stop-timeout" },
	{ "ulimit", "nofile=100:200", c_ulimit, "nofile=2:1", "--ulimit" },
	{ "pull", "never", c_pull, "sometimes", "invalid pull option: 'sometimes'" },
	{ "memory", NULL, c_refused, "1g", "--memory" },
	{ "cpus", NULL, c_refused, "2", "--cpus" },
	{ "pids-limit", NULL, c_refused, "10", "--pids-limit" },
};

static const struct run_flag *flag_named(const char *name)
{
	for (size_t i = 0; i < run_config_n_keys; i++)
		for (size_t j = 0; j < ARRAY_SIZE(run_config_keys[i].flags); j++)
			if (run_config_keys[i].flags[j].name &&
			    !strcmp(run_config_keys[i].flags[j].name, name))
				return &run_config_keys[i].flags[j];
	return NULL;
}

static const struct flag_case *case_of(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

static void test_flags(void)
{
	/* every flag of the table has its case here, and each case a flag */
	for (size_t i = 0; i < run_config_n_keys; i++)
		for (size_t j = 0; j < ARRAY_SIZE(run_config_keys[i].flags); j++) {
			const char *n = run_config_keys[i].flags[j].name;
			if (n)
				ok(case_of(n) != NULL, "--%s has a case in this test", n);
		}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct flag_case *c = &cases[i];
		const struct run_flag *f = flag_named(c->name);
		struct berth_error err = { 0 };
		struct run_config rc;
		if (!ok(f != NULL, "--%s is a flag of run", c->name))
			continue;
		ok(run_config_flag(f->letter) == f, "--%s: found by its letter", c->name);
		if (c->check != c_refused) {
			run_config_init(&rc);
			int r = run_config_set(&rc, f->letter, c->good, &err);
			if (!ok(r == 0 && c->check(&rc), "--%s %s: into its field", c->name,
				c->good ? c->good : ""))
				printf("#   %s\n",
				       err.msg ? err.msg : "(the field is not as expected)");
			berth_error_clear(&err);
			run_config_clear(&rc);
		}
		if (!c->bad)
			continue;
		run_config_init(&rc);
		int r = run_config_set(&rc, f->letter, c->bad, &err);
		ok(r < 0 && err.msg && strstr(err.msg, c->says) && !strchr(err.msg, '\n'),
		   "--%s %s: refused in one line naming %s", c->name, c->bad, c->says);
		if (err.msg)
			printf("#   %s\n", err.msg);
		berth_error_clear(&err);
		run_config_clear(&rc);
	}
}

/* What run_config_finish refuses, each naming its flag(s). */
static void test_finish(void)
{
	static const struct {
		const char *flags[6]; /* name, value pairs */
		const char *says;
	} bad[] = {
		{ { "network", "bad/name" }, "--network bad/name" },
		{ { "network", "none", "no-host-loopback", NULL }, "--no-host-loopback" },
		{ { "network-alias", "db" }, "--network-alias" },
		{ { "userns", "keep-id", "network", "mynet" }, "--userns=keep-id" },
		{ { "name", "a/b" }, "--name" },
	};
	struct berth_error err = { 0 };
	struct run_config rc;

	run_config_init(&rc);
	rc.detach = true;
	ok(run_config_finish(&rc, &err) == 0 && rc.init && !strcmp(rc.network, "slirp4netns"),
	   "finish: -d implies --init, the default network is slirp4netns");
	ok(run_config_finish(&rc, &err) == 0 && !strcmp(rc.network, "slirp4netns"),
	   "finish again changes nothing");
	run_config_clear(&rc);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		run_config_init(&rc);
		for (size_t j = 0; j < ARRAY_SIZE(bad[i].flags) && bad[i].flags[j]; j += 2) {
			const struct run_flag *f = flag_named(bad[i].flags[j]);
			run_config_set(&rc, f->letter, bad[i].flags[j + 1], &err);
		}
		ok(run_config_finish(&rc, &err) < 0 && err.msg && strstr(err.msg, bad[i].says) &&
			   !strchr(err.msg, '\n'),
		   "finish refuses, naming %s", bad[i].says);
		berth_error_clear(&err);
		run_config_clear(&rc);
	}
}

/* ---- the record ---- */

static void push(char ***v, size_t *n, const char *s)
{
	strv_push(v, n, s);
}

/* A run_config with every recorded key away from its default. */
static void fill(struct run_config *rc)
{
	struct berth_error err = { 0 };
	struct mountspec_env env = { .cwd = "/", .home = "/root" };

	run_config_init(rc);
	rc->image = xstrdup("sha256:0123");
	rc->image_ref = xstrdup("localhost/app:1");
	push(&rc->argv, &rc->n_argv, "/bin/sh");
	push(&rc->argv, &rc->n_argv, "-c");
	push(&rc->env, &rc->n_env, "PATH=/bin");
	push(&rc->env, &rc->n_env, "A=b=c");
	rc->workdir = xstrdup("/srv");
	rc->user = xstrdup("app:app");
	rc->hostname = xstrdup("box");
	rc->caps = 0x00000000800405fbULL;
	rc->no_new_privs = false;
	rc->seccomp = true;
	rc->seccomp_profile = json_tokener_parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	rc->seccomp_file = xstrdup("/etc/p.json");
	rc->stop_signal = xstrdup("INT");
	rc->stop_timeout = 7;
	rc->mounts = xcalloc(4, sizeof(*rc->mounts));
	mountspec_parse_volume("data:/d:ro", &env, &rc->mounts[rc->n_mounts++], &err);
	mountspec_parse_tmpfs("/t:size=1m", &rc->mounts[rc->n_mounts++], &err);
	mountspec_parse_mount("type=volume,dst=/anon", &env, &rc->mounts[rc->n_mounts++], &err);
	rc->mounts[2].source = xstrdup("abc123");
	rc->mounts[2].anonymous = true;
	rc->secrets = xcalloc(2, sizeof(*rc->secrets));
	secretspec_parse("tok,mode=0400,uid=1,gid=2", &rc->secrets[rc->n_secrets++], &err);
	secretspec_parse("key,type=env", &rc->secrets[rc->n_secrets++], &err);
	rc->keep_id = true;
	push(&rc->labels, &rc->n_labels, "tier=web");
	push(&rc->labels, &rc->n_labels, "empty=");
	rc->exposed_ports = json_tokener_parse("{\"80/tcp\":{}}");
	rc->ulimits[rc->n_ulimits++] =
		(struct launch_rlimit){ RLIMIT_NOFILE, { .rlim_cur = 10, .rlim_max = 20 } };
	rc->read_only = rc->init = rc->tty = rc->interactive = rc->auto_remove = true;
	rc->network = xstrdup("backend");
	hostloop_parse("5432,53/udp", &rc->host_loopback, &err);
	push(&rc->aliases, &rc->n_aliases, "db");
	ports_parse("127.0.0.1:8080:80", &rc->ports, &rc->n_ports, &err);
	rc->created = 1796600000;
	ok(err.msg == NULL, "the filled config parses");
	berth_error_clear(&err);
}

static struct json_object *parse(const char *text)
{
	return json_tokener_parse(text);
}

static void test_round_trip(void)
{
	struct berth_error err = { 0 };
	struct run_config a, b;

	fill(&a);
	_cleanup_free_ char *text = run_config_to_json(&a);
	_cleanup_json_ struct json_object *cfg = parse(text);
	ok(cfg != NULL, "the record is JSON");
	/* every key is written when it is not at its default */
	for (size_t i = 0; i < run_config_n_keys; i++) {
		struct json_object *v;
		const char *k = run_config_keys[i].record;
		if (k)
			ok(json_object_object_get_ex(cfg, k, &v), "%s is in the record", k);
	}
	run_config_init(&b);
	ok(run_config_from_json(&b, cfg, &err) == 0, "the record reads back");
	_cleanup_free_ char *again = run_config_to_json(&b);
	is_str(again, text, "... and writes the same bytes again");
	/* a few fields directly, beyond what the bytes say */
	ok(b.n_argv == 2 && !strcmp(b.argv[1], "-c") && b.n_env == 2 && !strcmp(b.env[1], "A=b=c"),
	   "Cmd and Env");
	ok(!b.no_new_privs && b.seccomp && b.seccomp_profile && b.keep_id && b.auto_remove,
	   "the booleans, and the seccomp profile's copy");
	ok(b.caps == a.caps && b.stop_timeout == 7 && b.created == 1796600000,
	   "Caps, StopTimeout, Created");
	ok(b.n_mounts == 3 && b.mounts[0].readonly && b.mounts[2].anonymous && b.n_secrets == 2 &&
		   b.secrets[0].mode == 0400 && b.secrets[1].env,
	   "Mounts and Secrets");
	ok(b.host_loopback.mode == HOSTLOOP_PORTS && b.host_loopback.n_ports == 2 &&
		   b.n_ports == 1 && b.ports[0].host_port == 8080 && b.n_ulimits == 1 &&
		   b.ulimits[0].lim.rlim_max == 20,
	   "HostLoopback, Ports, Ulimits");
	ok(b.n_labels == 2 && !strcmp(b.labels[1], "empty="), "Labels");
	run_config_clear(&a);
	run_config_clear(&b);

	/* a record of the least: every default */
	run_config_init(&b);
	_cleanup_json_ struct json_object *empty = parse("{}");
	ok(run_config_from_json(&b, empty, &err) == 0 && b.no_new_privs && b.seccomp &&
		   !b.keep_id && b.stop_timeout == -1 && !b.user && !b.network &&
		   b.host_loopback.mode == HOSTLOOP_OFF && b.n_mounts == 0 && b.n_argv == 0,
	   "a record without keys has the defaults (NoNewPrivileges, Seccomp on)");
	run_config_clear(&b);
	_cleanup_json_ struct json_object *user = parse("{\"User\": \"\"}");
	run_config_init(&b);
	ok(run_config_from_json(&b, user, &err) == 0 && !b.user, "User \"\" is root (NULL)");
	run_config_clear(&b);
	_cleanup_json_ struct json_object *bad = parse("{\"Mounts\": [{\"Type\": \"x\"}]}");
	run_config_init(&b);
	ok(run_config_from_json(&b, bad, &err) < 0 && strstr(err.msg, "config.json"),
	   "an invalid mount in a record is an error naming config.json");
	berth_error_clear(&err);
	run_config_clear(&b);
}

/* A record as the berth before run_config wrote it (create with most
 * flags; its Created fixed), tests/data/old-record.json: read, then
 * written again to the same bytes. */
static void test_old_record(void)
{
	struct berth_error err = { 0 };
	struct run_config rc;
	const char *data = getenv("BERTH_TEST_DATA");
	_cleanup_free_ char *path = xasprintf("%s/old-record.json", data ? data : "tests/data");
	_cleanup_free_ char *old_record = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, path, 1 << 16, &old_record, &len, &err) < 0) {
		ok(0, "%s: %s", path, err.msg);
		berth_error_clear(&err);
		return;
	}
	_cleanup_json_ struct json_object *cfg = parse(old_record);

	run_config_init(&rc);
	ok(cfg && run_config_from_json(&rc, cfg, &err) == 0, "an old record reads");
	ok(rc.n_argv == 3 && !strcmp(rc.argv[2], "echo hi") && rc.n_env == 7 &&
		   !strcmp(rc.user, "1:1") && rc.keep_id && !rc.no_new_privs &&
		   rc.seccomp_profile && rc.n_mounts == 5 && rc.n_secrets == 2 && rc.n_ports == 3 &&
		   rc.host_loopback.mode == HOSTLOOP_PORTS && rc.n_labels == 5 &&
		   rc.stop_timeout == 3 && !strcmp(rc.stop_signal, "HUP") && rc.auto_remove,
	   "... into the fields start and exec use");
	_cleanup_free_ char *again = run_config_to_json(&rc);
	is_str(again, old_record, "... and is written again to the same bytes");
	run_config_clear(&rc);
}

int main(void)
{
	test_flags();
	test_finish();
	test_round_trip();
	test_old_record();
	return tap_done();
}
