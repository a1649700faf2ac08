/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_config.h: a container's configuration (run_config.c): one struct
 * for everything `run` and `create` accept, and one table of its keys
 * (run_config_keys): each key's field, its flags, its config.json key,
 * docker's inspect field and its default. The flags are parsed into the
 * struct through the table, the record (containers/<id>/config.json) is
 * written from it and read back through it; nothing else names a
 * record's key. Resolving what was asked against an image and the store
 * is engine_create's (engine.h); nothing here touches the store.
 *
 * A run_config's life: run_config_init, then the flags (run_config_set,
 * one at a time; the CLI, a profile or a stack's sandbox give them),
 * IMAGE and COMMAND, run_config_finish; engine_create settles the record's
 * part and writes it (run_config_to_json); start and exec read it back
 * (run_config_from_json).
 */
#ifndef BERTH_RUN_CONFIG_H
#define BERTH_RUN_CONFIG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"
#include "../netns/hostloop.h"
#include "launchspec.h"

struct mount_req;
struct port_map;
struct secret_ref;

struct run_config {
	/* ---- what was asked and is not recorded as such ---- */
	char *name;	  /* --name (the record's own file, not config.json) */
	bool detach;	  /* -d, which implies --init */
	char *profile;	  /* --profile FILE: the caller resolves it into flags */
	char *pull;	  /* --pull missing|always|never (NULL: missing), the caller's */
	char **args;	  /* COMMAND [ARG...] after IMAGE */
	size_t n_args;	  /*   (NULL-terminated, as every list here) */
	char *entrypoint; /* --entrypoint: NULL the image's, "" none */
	char **env_args;  /* -e KEY[=VALUE], in order */
	size_t n_env_args;
	char **env_files; /* --env-file, in order (read before -e) */
	size_t n_env_files;
	char *workdir_arg, *user_arg; /* -w, -u: over the image's */
	char **cap_add, **cap_drop;   /* into caps */
	size_t n_cap_add, n_cap_drop;
	char **volumes_from; /* --volumes-from C[:ro|rw]: into mounts */
	size_t n_volumes_from;
	bool publish_all; /* -P: the image's ExposedPorts into ports */
	char **add_hosts; /* --add-host, as "IP\tNAME" lines for /etc/hosts */
	size_t n_add_hosts;
	char **dns; /* --dns, for /etc/resolv.conf */
	size_t n_dns;
	bool host_loopback_given; /* --host-loopback or --no-host-loopback */
	/* the image's VOLUMEs are not mounted (a build's RUN step writes
	 * what it writes there into its layer, as BuildKit's does) */
	bool no_image_volumes;
	/* what a flag wants said without failing (-v's z and Z are
	 * ignored): the caller prints and clears them */
	char **notes;
	size_t n_notes;

	/* ---- the record (config.json): asked, then settled at create ---- */
	char *image;	 /* Image: the image's ID */
	char *image_ref; /* ImageName: IMAGE as given */
	char **argv;	 /* Cmd: entrypoint and command */
	size_t n_argv;
	char **env; /* Env: the image's, env files, -e, KEY=VALUE */
	size_t n_env;
	char *workdir;	/* WorkingDir */
	char *user;	/* User: NULL for root */
	char *hostname; /* Hostname: -h, else the ID's start */
	uint64_t caps;	/* Caps: the bounding and effective set */
	bool no_new_privs, seccomp;
	struct json_object *seccomp_profile; /* --security-opt seccomp=FILE's content */
	char *seccomp_file;		     /* ... and FILE */
	char *stop_signal;		     /* NULL: TERM */
	long stop_timeout;		     /* -1: docker's 10 s */
	struct mount_req *mounts;	     /* -v, --mount, --tmpfs, --volumes-from, VOLUMEs */
	size_t n_mounts;
	struct secret_ref *secrets; /* by name: values are read at each start */
	size_t n_secrets;
	bool keep_id;
	char **labels; /* KEY=VALUE: --label, over the image's once created */
	size_t n_labels;
	struct json_object *exposed_ports; /* the image's, for -P and inspect */
	struct launch_rlimit ulimits[LAUNCH_MAX_ULIMITS];
	size_t n_ulimits;
	bool read_only, init, tty, interactive, auto_remove;
	char *network; /* slirp4netns, none, host or a user network's name */
	struct hostloop host_loopback;
	char **aliases; /* --network-alias */
	size_t n_aliases;
	struct port_map *ports; /* -p, then -P's */
	size_t n_ports;
	int64_t created;
};

/* ---- the table ---- */

enum run_type {
	RUN_BOOL,   /* bool: a switch sets it */
	RUN_STRING, /* char *: a flag replaces it */
	RUN_STRV,   /* char ** and its count: each flag appends */
	RUN_OTHER,  /* the key's own functions */
};

/* How a key's value is recorded. */
enum {
	RUN_OMIT_NULL = 1,	  /* a NULL string is left out */
	RUN_NULL_AS_EMPTY = 2,	  /* a NULL string is "", and "" reads as NULL */
	RUN_TRUE_UNLESS_SAID = 4, /* a boolean the record lacks is true */
};

struct run_config;
struct run_key;

/* One flag of run and create. */
struct run_flag {
	const char *name; /* its long name */
	int letter;	  /* its short letter, or a code >= 128 (long only) */
	const char *arg;  /* its value's name in --help; NULL: a switch; "[=...]": optional */
	const char *help;
	unsigned order; /* its place in run's --help (1 first) */
	/* the value into rc; NULL: into the key's field by its type */
	int (*set)(struct run_config *rc, const char *arg, struct berth_error *err);
};

/* One key: a field of struct run_config. */
struct run_key {
	const char *record;  /* config.json's key; NULL: not recorded */
	const char *inspect; /* docker inspect's field that says the same; NULL: none */
	const char *dflt;    /* the default, in words ("" when there is none) */
	enum run_type type;
	size_t field, count; /* offsetof the field (and of a list's count) */
	unsigned how;	     /* RUN_OMIT_NULL... */
	/* RUN_OTHER's record: add its key(s) to cfg (or leave them out) */
	void (*write)(const struct run_config *rc, const struct run_key *k,
		      struct json_object *cfg);
	/* ... and read them from cfg */
	int (*read)(struct run_config *rc, const struct run_key *k, struct json_object *cfg,
		    struct berth_error *err);
	struct run_flag flags[3]; /* up to three, the rest zero */
};

extern const struct run_key run_config_keys[];
extern const size_t run_config_n_keys;

/* ---- a run_config ---- */

/* The defaults: no_new_privs and seccomp on, docker's stop timeout. */
void run_config_init(struct run_config *rc);
void run_config_clear(struct run_config *rc);

/* One flag (by its letter) and its value (NULL for a switch, or an
 * optional value not given). Errors are one line naming the flag; errno
 * EINVAL says the value was wrong (a usage error). */
int run_config_set(struct run_config *rc, int letter, const char *arg, struct berth_error *err);
/* The flag of a letter (NULL: not run's). */
const struct run_flag *run_config_flag(int letter);
/* After the flags, IMAGE and COMMAND: the defaults that depend on other
 * flags (-d's --init, the default network) and the refusals of what
 * goes together wrong; one line each, errno EINVAL. Called again by
 * engine_create, which changes nothing then. */
int run_config_finish(struct run_config *rc, struct berth_error *err);
/* Why this machine cannot set --memory, --cpus or --pids-limit (a
 * sentence), for run's refusal and a profile's [limits]. */
const char *run_config_limits_unsupported(void);

/* The record, as config.json holds it (pretty JSON and a newline). */
char *run_config_to_json(const struct run_config *rc);
/* ... and back, into rc (run_config_init'ed): a record without a key
 * has its default (records of older berths lack newer keys). */
int run_config_from_json(struct run_config *rc, struct json_object *cfg, struct berth_error *err);

#endif
