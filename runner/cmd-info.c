// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-info.c: `berth info`: where the store is and which of the kernel and
 * host features berth relies on are present, each with its fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli.h"
#include "util.h"

static bool find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy =
		xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
	char *save = NULL;

	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* The user's range in /etc/subuid or /etc/subgid, by name or uid. */
static bool subid_range(const char *file, char *out, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	struct passwd *pw = getpwuid(getuid());
	char line[512], uid[32];

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if ((pw && strcmp(line, pw->pw_name) == 0) || strcmp(line, uid) == 0) {
			line[strcspn(colon + 1, "\n") + (size_t)(colon + 1 - line)] = '\0';
			snprintf(out, len, "%s", colon + 1);
			return true;
		}
	}
	return false;
}

static bool userns_works(void)
{
	char buf[32] = "";
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
	if (!f || !fgets(buf, sizeof(buf), f) || atoi(buf) <= 0)
		return false;
	_cleanup_fclose_ FILE *g = fopen("/proc/sys/kernel/unprivileged_userns_clone", "re");
	if (g && fgets(buf, sizeof(buf), g) && atoi(buf) == 0)
		return false;
	return true;
}

static void feature(const char *name, bool ok, const char *detail, const char *fix)
{
	printf("  %-16s %-4s %s%s%s\n", name, ok ? "yes" : "no", detail,
	       !ok && fix ? "  fix: " : "", !ok && fix ? fix : "");
}

/* A device berth opens as the user: usable when it opens read-write. */
static void device_feature(const char *dev, const char *fix)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	feature(dev, fd >= 0, fd >= 0 ? "readable and writable" : strerror(errno), fix);
	if (fd >= 0)
		close(fd);
}

int cmd_info(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	_cleanup_free_ char *root = store_default_root(), *run = NULL;
	struct berth_error err = { 0 };
	char path[4096], range[256];
	bool ok;

	while (cli_getopt(argc, argv, "info", "info", opts) != -1)
		;
	printf("berth version %s\n", BERTH_VERSION_STRING);
	printf("store:   %s\n", root);
	if (store_runtime_dir(&run, &err) == 0)
		printf("runtime: %s\n", run);
	else
		cli_fail(&err);
	printf("uid:     %u\n", (unsigned)getuid());
	printf("features:\n");
	feature("userns", userns_works(), "unprivileged user namespaces",
		"sysctl -w user.max_user_namespaces=15000 (as root)");
	ok = subid_range("/etc/subuid", range, sizeof(range));
	feature("subuid", ok, ok ? range : "no range for this user",
		"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER (as root); "
		"without it containers get a single-id mapping");
	ok = subid_range("/etc/subgid", range, sizeof(range));
	feature("subgid", ok, ok ? range : "no range for this user", "see subuid");
	ok = find_in_path("newgidmap", path, sizeof(path)) &&
	     find_in_path("newuidmap", path, sizeof(path));
	feature("newuidmap", ok, ok ? path : "newuidmap/newgidmap not on PATH",
		"apt-get install uidmap");
	device_feature("/dev/fuse", "apt-get install fuse3; chmod 0666 /dev/fuse (as root)");
	ok = find_in_path("slirp4netns", path, sizeof(path));
	feature("slirp4netns", ok, ok ? path : "not on PATH",
		"apt-get install slirp4netns, or run with --network none");
	device_feature("/dev/net/tun", "chmod 0666 /dev/net/tun (as root)");
	return 0;
}
