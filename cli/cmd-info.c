// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-info.c: `berth info`: where the store is and which of the kernel and
 * host features berth relies on are present, each with its fix.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cli.h"
#include "../image/certdir.h"
#include "../image/credentials.h"
#include "../image/regconf.h"
#include "../lib/rundir.h"
#include "../lib/userconf.h"
#include "../lib/userns.h"
#include "../lib/util.h"

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

/* A range that holds the user's own id, another user's range or an
 * account's id gives containers someone else's files. */
static void subid_safety(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *name = pw ? pw->pw_name : "";
	char why[512];
	bool ok = userns_subid_safe("/etc/subuid", name, (uint32_t)getuid(), "/etc/passwd", why,
				    sizeof(why)) &&
		  userns_subid_safe("/etc/subgid", name, (uint32_t)getgid(), "/etc/group", why,
				    sizeof(why));

	feature("subid ranges", ok, ok ? "hold no other user's or account's ids" : why,
		"as root, give this user a range of its own that no account uses, e.g. "
		"usermod --del-subuids START-END --del-subgids START-END --add-subuids "
		"100000-165535 --add-subgids 100000-165535 USER; until then a container's ids "
		"may own another user's files");
}

/* What a container can reach on this host's loopback, plainly: slirp's
 * host loopback is every service on 127.0.0.1, whoever runs it. */
static void host_loopback_info(const struct userconf *c, bool ok)
{
	printf("host loopback (host.docker.internal):\n");
	if (!ok) {
		printf("  unknown: berth.conf has an error (above); run refuses to start until it "
		       "is fixed\n");
		return;
	}
	if (c->host_loopback) {
		printf("  on by default for run (%s: [network] host-loopback = true%s).\n", c->path,
		       c->found ? "" : ", the default");
		printf("  A container started by run can reach EVERY service listening on this "
		       "host's\n  127.0.0.1, other users' services included, unless it is run "
		       "with\n  --no-host-loopback or limited with --host-loopback=PORTS. Set "
		       "host-loopback = false\n  in %s to make none the default.\n",
		       c->path);
	} else {
		printf("  off by default (%s: [network] host-loopback = false).\n", c->path);
		printf("  Containers reach this host's 127.0.0.1 only when run with "
		       "--host-loopback\n  (every service there, other users' included) or "
		       "--host-loopback=PORTS (those\n  ports only); a profile or stack cannot "
		       "turn it on.\n");
	}
}

/* registries.conf's settings, the certs.d directories and the credential
 * sources, in the order they are used: names and paths, never a secret. */
static void registries_info(void)
{
	struct berth_error err = { 0 };
	struct regconf rc;
	char **roots = certdir_roots(), **files = cred_files();

	printf("registries:\n");
	if (regconf_load(&rc, &err) == 0) {
		printf("  config:      %s%s\n", rc.path,
		       rc.found ? "" : " (not there: no settings)");
		for (size_t i = 0; i < rc.n; i++) {
			printf("  [%s]%s", rc.regs[i].host, rc.regs[i].insecure ? " insecure" : "");
			for (char **m = rc.regs[i].mirrors; m && *m; m++)
				printf("%s%s", m == rc.regs[i].mirrors ? " mirrors: " : ", ", *m);
			printf("\n");
		}
		regconf_clear(&rc);
	} else {
		_cleanup_free_ char *t = berth_error_text(&err);
		printf("  config:      error: %s\n", t);
		berth_error_clear(&err);
	}
	for (char **r = roots; *r; r++) {
		_cleanup_closedir_ DIR *d = opendir(*r);
		struct dirent *de;
		char *hosts = NULL;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.') {
				char *h = xasprintf("%s%s%s", hosts ? hosts : "", hosts ? ", " : "",
						    de->d_name);
				free(hosts);
				hosts = h;
			}
		printf("  certs.d:     %s%s%s\n", *r, d ? ": " : " (not there)",
		       d ? (hosts ? hosts : "no registry") : "");
		free(hosts);
	}
	for (char **f = files; *f; f++) {
		_cleanup_free_ char *sum = NULL;
		int r = cred_file_summary(*f, &sum, &err);
		if (r < 0) {
			_cleanup_free_ char *t = berth_error_text(&err);
			printf("  credentials: %s: error: %s\n", *f, t);
			berth_error_clear(&err);
		} else {
			printf("  credentials: %s%s%s%s\n", *f, r ? ": " : " (not there)",
			       r ? sum : "", f == files ? " (berth login's)" : "");
		}
	}
	strv_free(roots);
	strv_free(files);
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
	if (rundir_path(&run, &err) == 0)
		printf("runtime: %s\n", run);
	else
		cli_fail(&err);
	printf("uid:     %u\n", (unsigned)getuid());
	struct userconf conf;
	int conf_ok = userconf_load(&conf, &err) == 0;
	if (conf_ok)
		printf("config:  %s%s\n", conf.path,
		       conf.found ? "" : " (not there: the defaults)");
	else
		cli_fail(&err);
	host_loopback_info(&conf, conf_ok);
	userconf_clear(&conf);
	registries_info();
	printf("features:\n");
	feature("userns", userns_works(), "unprivileged user namespaces",
		"sysctl -w user.max_user_namespaces=15000 (as root)");
	ok = userns_subid_range("/etc/subuid", range, sizeof(range));
	feature("subuid", ok, ok ? range : "no range for this user",
		"usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER (as root); "
		"without it containers get a single-id mapping");
	ok = userns_subid_range("/etc/subgid", range, sizeof(range));
	feature("subgid", ok, ok ? range : "no range for this user", "see subuid");
	subid_safety();
	ok = userns_find_in_path("newgidmap", path, sizeof(path)) &&
	     userns_find_in_path("newuidmap", path, sizeof(path));
	feature("newuidmap", ok, ok ? path : "newuidmap/newgidmap not on PATH",
		"apt-get install uidmap");
	device_feature("/dev/fuse", "apt-get install fuse3; chmod 0666 /dev/fuse (as root)");
	ok = userns_find_in_path("slirp4netns", path, sizeof(path));
	feature("slirp4netns", ok, ok ? path : "not on PATH",
		"apt-get install slirp4netns, or run with --network none");
	device_feature("/dev/net/tun", "chmod 0666 /dev/net/tun (as root)");
	/* limits and pause need a cgroup v2 subtree the user may write */
	ok = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
	feature("cgroup v2", ok, ok ? "unified hierarchy" : "cgroup v1 (or hybrid): no user limits",
		"boot with systemd.unified_cgroup_hierarchy=1; --memory, --cpus, --pids-limit "
		"and pause are refused until then");
	return 0;
}
