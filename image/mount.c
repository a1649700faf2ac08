// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mount.c: `berth image mount` starts berth-fs over the image's layer
 * directories (top first) and returns once the mount is up (berth-fs
 * daemonises after mounting); `berth image umount` asks fusermount3.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image.h"
#include "mount.h"
#include "../lib/util.h"

char *mount_berth_fs_path(void)
{
	const char *env = getenv("BERTH_FS");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			char *p = xasprintf("%.*s/berth-fs", (int)(slash - self), self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("berth-fs");
}

static int run(char *const argv[], const char *what, struct berth_error *err)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return berth_error_set(err, errno, "%s", what);
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "berth: %s: %s: %s\n", what, argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "%s", what);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, "%s: %s failed (status %d)", what, argv[0],
				       WIFEXITED(status) ? WEXITSTATUS(status)
							 : 128 + WTERMSIG(status));
	return 0;
}

char *mount_escape(const char *path)
{
	char *e = xmalloc(2 * strlen(path) + 1), *w = e;

	for (const char *r = path; *r; r++) {
		if (*r == ':' || *r == ',' || *r == '\\')
			*w++ = '\\';
		*w++ = *r;
	}
	*w = '\0';
	return e;
}

int mount_lowerdir(struct store *s, const char *id, char **out, struct berth_error *err)
{
	_cleanup_free_ char *root = mount_escape(s->root);
	struct image *img;
	char *lower = xstrdup("");

	if (image_read(s, id, &img, err) < 0) {
		free(lower);
		return -1;
	}
	for (size_t i = img->n_layers; i-- > 0;) {
		char *n = xasprintf("%s%s%s/layers/%s", lower, *lower ? ":" : "", root,
				    digest_hex(img->chain_ids[i]));
		free(lower);
		lower = n;
	}
	image_free(img);
	*out = lower;
	return 0;
}

int image_mount(struct store *s, const char *id, const char *mountpoint, const char *upper,
		struct berth_error *err)
{
	_cleanup_free_ char *lower = NULL, *opt = NULL, *fsbin = mount_berth_fs_path();
	int r;

	_cleanup_free_ char *up = upper ? mount_escape(upper) : NULL;

	if (mount_lowerdir(s, id, &lower, err) < 0)
		return -1;
	opt = up ? xasprintf("lowerdir=%s,upperdir=%s", lower, up)
		 : xasprintf("lowerdir=%s", lower);
	char *argv[] = { fsbin, (char *)"-o", opt, (char *)mountpoint, NULL };
	r = run(argv, "mounting the image", err);
	return r < 0 ? berth_error_wrap(err, "%s", mountpoint) : 0;
}

int image_umount(const char *mountpoint, struct berth_error *err)
{
	char *argv[] = { (char *)"fusermount3", (char *)"-u", (char *)mountpoint, NULL };
	return run(argv, "unmounting", err) < 0 ? berth_error_wrap(err, "%s", mountpoint) : 0;
}
