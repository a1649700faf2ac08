// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c: the berth-fs binary: options, layer loading, the FUSE session.
 *
 *   berth-fs [-f] [-d] -o lowerdir=LAYER[:LAYER...][,FUSE options] MOUNTPOINT
 *
 * Each LAYER is a store layer directory (meta + diff/), the leftmost on
 * top, as fuse-overlayfs orders lowerdir. A ':', ',' or '\\' in a path is
 * escaped with a backslash (berth's store may live under any path). berth starts it for each image
 * mount; tests and benchmarks may run it by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../lib/proc.h"
#include "../lib/util.h"
#include "fs.h"

struct bfs_opts {
	char *lowerdir;
	char *upperdir;
	char *fuse_opts; /* passed through to the mount */
	const char *mountpoint;
	bool foreground, debug;
	bool volatile_upper; /* the upper layer is thrown away after: no fold */
};

_noreturn_ static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"Usage: berth-fs [-f] [-d] -o lowerdir=LAYER[:LAYER...][,upperdir=DIR][,volatile]"
		"[,OPTIONS] MOUNTPOINT\n"
		"Mounts berth image layers (store layer directories, top first), read-only,\n"
		"or writable with an upper layer directory (created when missing).\n"
		"volatile: the upper layer will be deleted after the unmount; its log is not\n"
		"folded into its table then (berth run --rm).\n");
	exit(code);
}

static void add_fuse_opt(struct bfs_opts *o, const char *opt)
{
	char *n =
		xasprintf("%s%s%s", o->fuse_opts ? o->fuse_opts : "", o->fuse_opts ? "," : "", opt);
	free(o->fuse_opts);
	o->fuse_opts = n;
}

/* The next token of *p up to an unescaped sep (escapes kept), or NULL at
 * the end; *p moves past it. In place. */
static char *next_token(char **p, char sep)
{
	char *start = *p, *c = start;

	if (!start)
		return NULL;
	for (; *c && *c != sep; c++)
		if (*c == '\\' && c[1])
			c++;
	*p = *c ? c + 1 : NULL;
	*c = '\0';
	return start;
}

/* Drop the escaping backslashes, in place. */
static char *unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r == '\\' && r[1])
			r++;
		*w++ = *r;
	}
	*w = '\0';
	return s;
}

static void parse_o(struct bfs_opts *o, const char *arg)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *rest = copy;

	for (char *t; (t = next_token(&rest, ','));) {
		if (str_has_prefix(t, "lowerdir=")) {
			free(o->lowerdir);
			o->lowerdir = xstrdup(t + 9); /* split at ':' later */
		} else if (str_has_prefix(t, "upperdir=")) {
			free(o->upperdir);
			o->upperdir = unescape(xstrdup(t + 9));
		} else if (strcmp(t, "volatile") == 0) {
			o->volatile_upper = true;
		} else if (str_has_prefix(t, "workdir=") || strcmp(t, "rw") == 0 ||
			   strcmp(t, "ro") == 0) {
			/* copy-up needs no work dir: the upper layer is its own */
		} else if (*t) {
			add_fuse_opt(o, t);
		}
	}
}

static void parse_args(int argc, char **argv, struct bfs_opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f"))
			o->foreground = true;
		else if (!strcmp(argv[i], "-d"))
			o->debug = o->foreground = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			usage(0);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			parse_o(o, argv[++i]);
		else if (str_has_prefix(argv[i], "-o") && argv[i][2])
			parse_o(o, argv[i] + 2);
		else if (argv[i][0] != '-' && !o->mountpoint)
			o->mountpoint = argv[i];
		else
			die("berth-fs: unexpected argument \"%s\"", argv[i]);
	}
	if (!o->lowerdir || !*o->lowerdir)
		die("berth-fs: -o lowerdir=LAYER[:LAYER...] is required");
	if (!o->mountpoint)
		die("berth-fs: a MOUNTPOINT is required");
}

/* Every node the kernel knows holds an O_PATH fd (no path walks), so a
 * walk of a big tree needs many: take all the descriptors allowed. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void load_layers(struct bfs_fs *fs, const char *lowerdir)
{
	_cleanup_free_ char *copy = xstrdup(lowerdir);
	char *rest = copy;

	for (char *d; (d = next_token(&rest, ':'));) {
		struct berth_error err = { 0 };
		if (!*unescape(d))
			continue;
		fs->stack.layers =
			xrealloc(fs->stack.layers, (fs->stack.n + 1) * sizeof(struct bfs_layer));
		if (bfs_layer_load(AT_FDCWD, d, d, &fs->stack.layers[fs->stack.n], &err) < 0) {
			_cleanup_free_ char *t = berth_error_text(&err);
			die("berth-fs: lowerdir: %s", t);
		}
		fs->stack.n++;
	}
}

/* What libfuse is given: the mount's fixed options, then the user's. */
static void fuse_args_for(const struct bfs_opts *o, const char *argv0, struct fuse_args *args)
{
	fuse_opt_add_arg(args, argv0);
	fuse_opt_add_arg(args, "-o");
	/* nosuid,nodev: a host-side mount must not lend the image's setuid files
	 * or device nodes their power; fusermount3 insists for users anyway */
	fuse_opt_add_arg(args, o->upperdir ? "rw,nosuid,nodev,fsname=berth-fs,subtype=berth"
					   : "ro,nosuid,nodev,fsname=berth-fs,subtype=berth");
	if (o->fuse_opts) {
		fuse_opt_add_arg(args, "-o");
		fuse_opt_add_arg(args, o->fuse_opts);
	}
	if (o->debug)
		fuse_opt_add_arg(args, "-d");
}

/* A daemon's stderr is /dev/null; BERTH_FS_LOG keeps what it says
 * (sanitizer reports in the tests, for one). */
static void log_to_file(const struct bfs_opts *o)
{
	const char *log = getenv("BERTH_FS_LOG");

	if (o->foreground || !log || !*log)
		return;
	int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (lfd >= 0) {
		dup2(lfd, STDERR_FILENO);
		close(lfd);
	}
}

/* Mounted: serve until unmounted, then fold the upper layer's log.
 * Returns the exit status. */
static int serve(struct fuse_session *se, struct bfs_fs *fs, const struct bfs_opts *o)
{
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 10 };
	int ret;

	fuse_daemonize(o->foreground);
	log_to_file(o);
	ret = fuse_session_loop_mt(se, &loop) ? 1 : 0;
	fuse_session_unmount(se);
	if (!o->volatile_upper) {
		struct berth_error err = { 0 };
		if (bfs_upper_close(fs, &err) < 0) {
			/* the object named with the cause (a full disk: the
			 * changes stay in meta.log, replayed at the next mount) */
			berth_error_wrap(&err, "upperdir %s", o->upperdir);
			_cleanup_free_ char *t = berth_error_text(&err);
			fprintf(stderr, "berth-fs: %s\n", t);
			berth_error_clear(&err);
			ret = 1;
		}
	}
	return ret;
}

/* Layers, the upper layer (when writable) and the root node, or die. */
static void load_fs(struct bfs_fs *fs, const struct bfs_opts *o)
{
	bfs_fs_init(fs);
	load_layers(fs, o->lowerdir);
	if (o->upperdir) {
		struct berth_error err = { 0 };
		if (bfs_upper_open(fs, o->upperdir, &err) < 0) {
			_cleanup_free_ char *t = berth_error_text(&err);
			die("berth-fs: %s", t);
		}
	}
	if (bfs_node_get(fs, "/", NULL, &fs->root) != 0)
		die("berth-fs: the layers have no root directory");
}

static void release_fs(struct bfs_fs *fs, struct bfs_opts *o)
{
	for (size_t i = 0; i < fs->stack.n; i++)
		bfs_layer_release(&fs->stack.layers[i]);
	free(fs->stack.layers);
	bfs_fs_destroy(fs);
	free(o->lowerdir);
	free(o->upperdir);
	if (fs->log_fd >= 0)
		close(fs->log_fd);
	if (fs->upper_dir >= 0)
		close(fs->upper_dir);
	free(o->fuse_opts);
}

int main(int argc, char **argv)
{
	struct bfs_opts o = { 0 };
	struct bfs_fs fs = { .timeout = 86400.0 };
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	int ret = 1;

	/* what berth-fs's starter left open is not the daemon's to keep: it
	 * serves a container (docs/security.md) */
	proc_close_fds_but(NULL, 0);
	parse_args(argc, argv, &o);
	raise_nofile();
	load_fs(&fs, &o);
	fuse_args_for(&o, argv[0], &args);
	se = fuse_session_new(&args, &bfs_ops, sizeof(bfs_ops), &fs);
	if (!se)
		die("berth-fs: cannot start a FUSE session (see above)");
	fs.se = se;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, o.mountpoint) != 0)
		fprintf(stderr,
			"berth-fs: mount on %s failed (is /dev/fuse usable and fusermount3 "
			"installed?)\n",
			o.mountpoint);
	else
		ret = serve(se, &fs, &o);
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	release_fs(&fs, &o);
	return ret;
}
