/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * userconf.h: the user's berth configuration (userconf.c): one INI file,
 * $BERTH_CONFIG, else $XDG_CONFIG_HOME/berth/berth.conf, else
 * ~/.config/berth/berth.conf. A missing file means the defaults. Every key
 * is a row of the table in userconf.c; docs/config.md lists them.
 */
#ifndef BERTH_USERCONF_H
#define BERTH_USERCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct userconf {
	char *path; /* the file read (or that would be), for messages and info */
	bool found; /* it existed */
	/* [network] */
	bool host_loopback; /* host-loopback: containers may reach the host's 127.0.0.1 */
	/* [limits]: what a loaded image may hold (0: no limit) */
	uint64_t max_depth;	    /* max-depth: directory levels of a path */
	uint64_t max_layer_entries; /* max-layer-entries */
	uint64_t max_image_entries; /* max-image-entries */
	uint64_t max_layer_size;    /* max-layer-size: uncompressed bytes */
	uint64_t max_image_size;    /* max-image-size */
};

/* Fill c with the defaults, then the file's values. A syntax error, an
 * unknown section or key, or a value of the wrong kind fails naming
 * FILE:LINE. */
int userconf_load(struct userconf *c, struct berth_error *err);
void userconf_clear(struct userconf *c);
/* A boolean as every berth INI file spells it: true|false, yes|no,
 * on|off, 1|0 (any case); -1 when v is none of them. */
int userconf_parse_bool(const char *v, bool *out);
/* A file of the user's berth configuration: $ENV when set, else
 * $XDG_CONFIG_HOME/berth/NAME, else ~/.config/berth/NAME. */
char *userconf_file_path(const char *env, const char *name);

/* The table, for `berth info` and the docs: one entry per key. */
struct userconf_key {
	const char *section, *key;
	enum userconf_kind {
		USERCONF_BOOL,
		USERCONF_UINT
	} kind;
	size_t offset; /* of its field in struct userconf */
	const char *def, *help;
};
extern const struct userconf_key userconf_keys[];
extern const size_t userconf_n_keys;

#endif
