// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * caps.c: the container's capability set: podman's default set, the
 * --cap-add/--cap-drop arithmetic (names with or without CAP_, ALL), and
 * applying it in the child before exec (bounding set, then the process
 * sets through libcap). Not concerned with seccomp (seccomp.c) or with
 * no_new_privs (launch.c).
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "../lib/util.h"

DEFINE_CLEANUP_FUNC(cap_t, cap_free)

/* podman's default set: docker's without NET_RAW (raw and packet sockets,
 * to spoof on the container's network), MKNOD (device nodes, which a user
 * namespace cannot use anyway) and AUDIT_WRITE (the host's audit log) */
static const int default_caps[] = {
	CAP_CHOWN,	      /* change files' owners */
	CAP_DAC_OVERRIDE,     /* root reads and writes any file of the container */
	CAP_FOWNER,	      /* and changes modes and times of files it does not own */
	CAP_FSETID,	      /* keeps set-id bits on a file it changes */
	CAP_KILL,	      /* signals other users' processes */
	CAP_NET_BIND_SERVICE, /* ports below 1024 in its network namespace */
	CAP_SETFCAP,	      /* file capabilities (package managers set them) */
	CAP_SETGID,	      /* su, setpriv, daemons dropping root... */
	CAP_SETUID,	      /* ... to another user */
	CAP_SETPCAP,	      /* drops capabilities from its own bounding set */
	CAP_SYS_CHROOT,	      /* chroot (some packages' scripts) */
};

uint64_t caps_default(void)
{
	uint64_t set = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		set |= UINT64_C(1) << default_caps[i];
	return set;
}

uint64_t caps_all(void)
{
	uint64_t set = 0;
	for (int c = 0; c <= caps_last(); c++)
		set |= UINT64_C(1) << c;
	return set;
}

int caps_last(void)
{
	/* the running kernel's, not the one the headers were made for */
	static int last = -1;
	if (last < 0) {
		last = CAP_LAST_CAP;
		while (last < 63 && prctl(PR_CAPBSET_READ, last + 1) >= 0)
			last++;
		while (last > 0 && prctl(PR_CAPBSET_READ, last) < 0 && errno == EINVAL)
			last--;
	}
	return last;
}

int caps_parse_one(const char *name, uint64_t *set, struct berth_error *err)
{
	const char *n = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	_cleanup_free_ char *full = NULL;
	cap_value_t v;

	if (strcasecmp(n, "ALL") == 0) {
		*set = caps_all();
		return 0;
	}
	full = xasprintf("cap_%s", n);
	for (char *p = full; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (cap_from_name(full, &v) < 0 || v < 0 || v > caps_last())
		return berth_error_set(err, 0, "unknown capability \"%s\"", name);
	*set = UINT64_C(1) << v;
	return 0;
}

int caps_compute(char *const *add, size_t n_add, char *const *drop, size_t n_drop, uint64_t *out,
		 struct berth_error *err)
{
	uint64_t set = caps_default(), c;

	/* docker's order: drops first, then adds, so "--cap-drop ALL
	 * --cap-add NET_BIND_SERVICE" leaves exactly that one */
	for (size_t i = 0; i < n_drop; i++) {
		if (caps_parse_one(drop[i], &c, err) < 0)
			return berth_error_wrap(err, "--cap-drop");
		set &= ~c;
	}
	for (size_t i = 0; i < n_add; i++) {
		if (caps_parse_one(add[i], &c, err) < 0)
			return berth_error_wrap(err, "--cap-add");
		set |= c;
	}
	*out = set;
	return 0;
}

char *caps_format(uint64_t set)
{
	char *s = xstrdup("");

	for (int c = 0; c <= caps_last(); c++) {
		if (!(set & (UINT64_C(1) << c)))
			continue;
		/* libcap's string goes back through cap_free */
		char *lc = cap_to_name(c);
		_cleanup_free_ char *name = xstrdup(lc ? lc : "?");
		cap_free(lc);
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		char *n = xasprintf("%s%s%s", s, *s ? "," : "", name);
		free(s);
		s = n;
	}
	return s;
}

int caps_bound(uint64_t set, struct berth_error *err)
{
	/* what leaves the bounding set no exec gains back; this needs
	 * CAP_SETPCAP, so it comes before the switch to the user */
	for (int i = 0; i <= caps_last(); i++)
		if (!(set & (UINT64_C(1) << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return berth_error_set(err, errno, "dropping capability %d", i);
	return 0;
}

int caps_apply(uint64_t set, bool root, struct berth_error *err)
{
	_cleanup_(cap_freep) cap_t c = cap_init();
	cap_value_t v[64];
	int n = 0;

	for (int i = 0; i <= caps_last(); i++)
		if (set & (UINT64_C(1) << i))
			v[n++] = i;
	/* root in the container has the set; another user has none (as in
	 * docker: a non-root process gets capabilities only by exec of a
	 * file that has some, up to the bounding set). The inheritable set
	 * stays empty for everyone (cap_init's): root's capabilities do not
	 * need it across exec, and with it a process that changed to another
	 * user would keep what a file's inheritable capabilities ask for
	 * (CVE-2022-27649) */
	if (!c || (root && n > 0 &&
		   (cap_set_flag(c, CAP_PERMITTED, n, v, CAP_SET) < 0 ||
		    cap_set_flag(c, CAP_EFFECTIVE, n, v, CAP_SET) < 0)))
		return berth_error_set(err, errno, "building the capability set");
	if (cap_set_proc(c) < 0)
		return berth_error_set(err, errno, "setting capabilities");
	/* no ambient capability either (an empty inheritable set drops
	 * them; said again, for kernels and callers to come) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_error_set(err, errno, "clearing ambient capabilities");
	return 0;
}

int caps_keep_across_exec(int cap, struct berth_error *err)
{
	_cleanup_(cap_freep) cap_t c = cap_get_proc();
	cap_value_t v = cap;

	/* an ambient capability must be permitted and inheritable first */
	if (!c || cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET) < 0 || cap_set_proc(c) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
		return berth_error_set(err, errno, "keeping capability %d across exec", cap);
	return 0;
}
