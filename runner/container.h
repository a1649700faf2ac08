/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * container.h: container records in the store (container.c).
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../image/store.h"

struct json_object;

#define CONTAINER_ID_LEN 64

struct container_new {
	const char *image; /* image ID */
	const char *name;  /* NULL: generated */
	const char *hostname;
	const char *config_json; /* what was asked, for inspect and start */
	const char *hosts_extra; /* more /etc/hosts lines ("IP\tNAME\n"...), or NULL */
	const char *resolv;	 /* /etc/resolv.conf, or NULL for the host's */
};

struct container_state {
	char status[16]; /* created, running, exited */
	int exit_code;
	int64_t when;	 /* of the last change */
	char error[512]; /* why berth ended it (a helper died), or "" */
};

/* The host's /etc/resolv.conf without its loopback nameservers (which a
 * container cannot reach), or with only_options none at all (search,
 * options: the lines to keep under other nameservers). */
char *container_host_resolv(bool only_options);
/* Under the volume lock (volume.h), which orders creates: the name is
 * checked and taken in one step. */
int container_create(struct store *s, const struct container_new *cn, char *id_out,
		     struct berth_error *err);
int container_list(struct store *s, char ***ids, size_t *n, struct berth_error *err);
/* fn(s, id, arg) for each container of the list, in its order: the walk
 * of the listing and of the questions of who uses what. */
int container_each(struct store *s, void (*fn)(struct store *s, const char *id, void *arg),
		   void *arg, struct berth_error *err);
/* By name, else by unique ID prefix. */
int container_resolve(struct store *s, const char *ref, char *id_out, struct berth_error *err);
char *container_name(struct store *s, const char *id);
int container_set_state(struct store *s, const char *id, const char *status, int exit_code,
			struct berth_error *err);
/* What the state record says (container_status says what is true). */
int container_get_state(struct store *s, const char *id, struct container_state *st);
/* Exited with code; error: why berth ended it (launch_end_reason), or
 * NULL when its command ended by itself or by a signal sent to it. */
int container_set_exited(struct store *s, const char *id, int exit_code, const char *error,
			 struct berth_error *err);
/* Its record and files go, not its volumes: users.h's
 * users_remove_container takes its anonymous volumes with it (rm -v).
 * The caller holds its run lock. Renamed out of sight (".rm-ID") first,
 * then removed: ENOENT ("no such container") when another removal took
 * it first. */
int container_remove(struct store *s, const char *id, struct berth_error *err);
/* What removals killed midway left (".rm-ID" whose run lock is free). */
void container_sweep_removed(struct store *s);
/* The anonymous volumes its config.json names (NULL-terminated). */
char **container_anonymous_volumes(struct store *s, const char *id, size_t *n);
/* The process signals go to (launch.h), recorded by the monitor with its
 * own pid and start time; 0 when the monitor is gone. */
int container_set_pids(struct store *s, const char *id, pid_t holder, pid_t monitor,
		       struct berth_error *err);
pid_t container_holder(struct store *s, const char *id);
/* The one answer to "does it run" (ps, inspect, wait, kill, stop, rm,
 * start, exec all ask it): its record, with the status taken from its
 * processes (live.h's container_live). A record that says running for
 * a container nobody runs (a killed monitor, an end that could not be
 * written) reads as exited (137, or the code recorded in place) and is
 * corrected on the way when its run lock is free. True if it runs. */
bool container_status(struct store *s, const char *id, struct container_state *st);
/* container_status, for the correction alone. */
void container_check(struct store *s, const char *id);
/* docker diff: "A|C|D PATH" for each change in the writable layer. */
int container_changes(struct store *s, const char *id, FILE *out, struct berth_error *err);
/* The lock a container's monitor holds while it runs (its processes
 * inherit it until their exec), a removal while it removes and a copy
 * into a stopped container while it copies: two starts cannot both run
 * it. An fd, or -1 with EBUSY when it runs, ENOENT ("no such
 * container") when a removal took the container before we had it. */
int container_lock_run(struct store *s, const char *id, struct berth_error *err);
/* The host pid of a running container's pid 1 (0 when not running). */
pid_t container_init_pid(struct store *s, const char *id);
/* A process of the running container whose namespaces berth may join
 * (pid 1, or with --init its child); 0 when none. */
pid_t container_ns_pid(struct store *s, const char *id);
/* Its record, config.json, parsed (NULL with err). */
struct json_object *container_config(struct store *s, const char *id, struct berth_error *err);
/* docker inspect's shape, in brief: Id, Name, State, Image, Config. */
struct json_object *container_inspect(struct store *s, const char *id, struct berth_error *err);
bool container_running(struct store *s, const char *id);
/* A running container's published ports, as bound (-1 when it does not
 * run or has none recorded). */
struct port_map;
int container_ports(struct store *s, const char *id, struct port_map **m, size_t *n);
/* Until it is no longer running, at most ms (<0: for ever); true if so. */
bool container_wait_exit(struct store *s, const char *id, long ms);

/* A running container's place on its user network: containers/<id>/
 * netaddr holds "NETWORK ADDRESS PID STARTTIME", live while that process
 * (the container's monitor, which holds its run lock to its end) lives:
 * a killed monitor's address is free at once (netjoin.c hands them out). */
struct net_member {
	char id[CONTAINER_ID_LEN + 1];
	char *network;
	struct in_addr addr;
};
void net_member_clear(struct net_member *m);
/* Its live record, or false. */
bool container_net_member(struct store *s, const char *id, struct net_member *m);
/* Record id's address on network for this process's life. */
int container_set_netaddr(struct store *s, const char *id, const char *network, struct in_addr addr,
			  struct berth_error *err);
void container_clear_netaddr(struct store *s, const char *id);

#endif
