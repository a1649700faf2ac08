// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test-seccomp: the default policy's table against what libseccomp knows,
 * the JSON profile parser (good profiles field by field, and every kind
 * of mistake as one line naming the file and the field), and the
 * compiled filters loaded for real in forked children (under
 * no_new_privs, so any user can run it): the default one through both
 * x86 ABIs, a profile's includes/excludes/args, and the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../runner/caps.h"
#include "../../runner/seccomp-filter.h"
#include "../../runner/seccomp-json.h"
#include "../../runner/seccomp-policy.h"
#include "../../lib/util.h"
#include "../attack/known-syscalls.h"
#include "../tap.h"

#define CAP(c) (UINT64_C(1) << (c))

/* ---- the table ---- */

static void test_table_covers_libseccomp(void)
{
	static const struct {
		uint32_t arch;
		int base;
		const char *name;
	} arches[] = {
		{ SCMP_ARCH_X86_64, 0, "x86_64" },
		{ SCMP_ARCH_X86, 0, "x86" },
		{ SCMP_ARCH_X32, 0x40000000, "x32" },
	};

	for (size_t a = 0; a < ARRAY_SIZE(arches); a++) {
		int known = 0, missing = 0;
		for (int nr = 0; nr < 2048; nr++) {
			char *n = seccomp_syscall_resolve_num_arch(arches[a].arch,
								   arches[a].base + nr);
			if (!n)
				continue;
			known++;
			if (seccomp_policy_verdict(n, 0) == SECCOMP_VERDICT_UNLISTED) {
				printf("#   %s: %s is in no group\n", arches[a].name, n);
				missing++;
			}
			free(n);
		}
		ok(known > 300 && missing == 0,
		   "every syscall libseccomp knows for %s (%d) is allowed or refused by the table",
		   arches[a].name, known);
	}
}

static void test_verdicts(void)
{
	uint64_t dflt = caps_default();

	is_int(seccomp_policy_verdict("read", 0), SECCOMP_VERDICT_ALLOW, "read: every container");
	is_int(seccomp_policy_verdict("mount", dflt), SECCOMP_VERDICT_EPERM,
	       "mount: refused with the default capabilities");
	is_int(seccomp_policy_verdict("mount", dflt | CAP(CAP_SYS_ADMIN)), SECCOMP_VERDICT_ALLOW,
	       "... allowed with CAP_SYS_ADMIN");
	is_int(seccomp_policy_verdict("ptrace", dflt), SECCOMP_VERDICT_EPERM,
	       "ptrace: refused without CAP_SYS_PTRACE");
	is_int(seccomp_policy_verdict("ptrace", CAP(CAP_SYS_PTRACE)), SECCOMP_VERDICT_ALLOW,
	       "... allowed with it");
	is_int(seccomp_policy_verdict("clock_settime", CAP(CAP_SYS_TIME)), SECCOMP_VERDICT_ALLOW,
	       "clock_settime with CAP_SYS_TIME");
	is_int(seccomp_policy_verdict("syslog", CAP(CAP_SYSLOG)), SECCOMP_VERDICT_ALLOW,
	       "syslog: with CAP_SYSLOG (one of its two groups)");
	is_int(seccomp_policy_verdict("syslog", dflt), SECCOMP_VERDICT_EPERM,
	       "syslog: refused by default");
	is_int(seccomp_policy_verdict("chroot", dflt), SECCOMP_VERDICT_ALLOW,
	       "chroot: the default set has CAP_SYS_CHROOT");
	is_int(seccomp_policy_verdict("io_uring_setup", caps_all()), SECCOMP_VERDICT_EPERM,
	       "io_uring_setup: never, whatever the capabilities");
	is_int(seccomp_policy_verdict("keyctl", caps_all()), SECCOMP_VERDICT_EPERM,
	       "keyctl: never");
	is_int(seccomp_policy_verdict("a_call_of_2040", 0), SECCOMP_VERDICT_UNLISTED,
	       "a name the table does not know: unlisted (ENOSYS)");

	/* names in several capability groups (syslog, bpf, perf_event_open)
	 * allowed twice, or refused twice: no rule conflicts */
	const uint64_t sets[] = { 0, dflt, caps_all(), CAP(CAP_SYSLOG), CAP(CAP_BPF) };
	bool built = true;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		scmp_filter_ctx c[2];
		struct berth_error err = { 0 };
		if (seccomp_default_build(sets[i], c, &err) < 0) {
			printf("#   caps %llx: %s\n", (unsigned long long)sets[i], err.msg);
			berth_error_clear(&err);
			built = false;
			continue;
		}
		seccomp_release(c[0]);
		seccomp_release(c[1]);
	}
	ok(built,
	   "the default filter builds for no capabilities, the default, all, and single ones");
}

/* ---- the parser ---- */

static int parse(const char *text, struct seccomp_profile *p, struct berth_error *err)
{
	return seccomp_profile_parse(text, strlen(text), "t.json", p, err);
}

static void test_parse_good(void)
{
	struct seccomp_profile p;
	struct berth_error err = { 0 };
	const char *text =
		"{ \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,\n"
		"  \"archMap\": [ { \"architecture\": \"SCMP_ARCH_X86_64\",\n"
		"      \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"] },\n"
		"    { \"architecture\": \"SCMP_ARCH_S390X\", \"subArchitectures\": null } ],\n"
		"  \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\"],\n"
		"  \"listenerPath\": \"\",\n"
		"  \"syscalls\": [\n"
		"    { \"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"      \"args\": null, \"comment\": \"\", \"includes\": {}, \"excludes\": {} },\n"
		"    { \"name\": \"mkdir\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13 },\n"
		"    { \"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"      \"args\": [ { \"index\": 0, \"value\": 18446744073709551615,\n"
		"                  \"valueTwo\": 8, \"op\": \"SCMP_CMP_MASKED_EQ\" } ],\n"
		"      \"includes\": { \"caps\": [\"CAP_SYS_ADMIN\", \"NET_RAW\"],\n"
		"                    \"arches\": [\"amd64\"], \"minKernel\": \"4.8\" },\n"
		"      \"excludes\": { \"caps\": [\"cap_sys_time\"] } },\n"
		"    { \"names\": [\"kill\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 60000 "
		"},\n"
		"    { \"names\": [\"a\"], \"action\": \"SCMP_ACT_KILL_PROCESS\" },\n"
		"    { \"names\": [\"b\"], \"action\": \"SCMP_ACT_LOG\" },\n"
		"    { \"names\": [\"c\"], \"action\": \"SCMP_ACT_TRAP\" },\n"
		"    { \"names\": [\"d\"], \"action\": \"SCMP_ACT_KILL_THREAD\" },\n"
		"    { \"names\": [], \"action\": \"SCMP_ACT_KILL\" }\n"
		"  ] }\n";

	if (!ok(parse(text, &p, &err) == 0, "a docker-style profile parses")) {
		printf("#   %s\n", err.msg);
		berth_error_clear(&err);
		return;
	}
	is_int(p.default_action, SCMP_ACT_ERRNO(38), "defaultAction with defaultErrnoRet");
	ok(seccomp_arch_native() != SCMP_ARCH_X86_64 ||
		   (p.n_arches == 3 && p.arches[1] == SCMP_ARCH_X86 &&
		    p.arches[2] == SCMP_ARCH_X32),
	   "archMap: the native entry and its subarchitectures, s390x left out");
	is_int(p.flags, SECCOMP_FILTER_FLAG_LOG, "flags: LOG kept, TSYNC needs nothing");
	is_int(p.n_rules, 9, "nine rules");
	ok(p.rules[0].n_names == 2 && !strcmp(p.rules[0].names[1], "write") &&
		   p.rules[0].action == SCMP_ACT_ALLOW && p.rules[0].n_args == 0,
	   "names, and null args");
	ok(p.rules[1].n_names == 1 && !strcmp(p.rules[1].names[0], "mkdir") &&
		   p.rules[1].action == SCMP_ACT_ERRNO(13),
	   "the legacy \"name\", errnoRet");
	const struct seccomp_profile_rule *r = &p.rules[2];
	ok(r->n_args == 1 && r->args[0].value == UINT64_MAX && r->args[0].value_two == 8 &&
		   r->args[0].op == SCMP_CMP_MASKED_EQ && r->args[0].index == 0,
	   "an argument: a 64-bit mask and valueTwo");
	ok(r->includes.has_caps && r->includes.caps == (CAP(CAP_SYS_ADMIN) | CAP(CAP_NET_RAW)) &&
		   r->includes.n_arches == 1 && r->includes.has_min_kernel &&
		   r->includes.min_kernel[0] == 4 && r->includes.min_kernel[1] == 8 &&
		   r->excludes.caps == CAP(CAP_SYS_TIME),
	   "includes and excludes: capabilities in any spelling, arches, minKernel");
	is_int(p.rules[3].action, SCMP_ACT_TRACE(60000), "SCMP_ACT_TRACE with its value");
	ok(p.rules[4].action == SCMP_ACT_KILL_PROCESS && p.rules[5].action == SCMP_ACT_LOG &&
		   p.rules[6].action == SCMP_ACT_TRAP &&
		   p.rules[7].action == SCMP_ACT_KILL_THREAD &&
		   p.rules[8].action == SCMP_ACT_KILL && p.rules[8].n_names == 0,
	   "the other actions, and an empty names list");
	seccomp_profile_clear(&p);

	ok(parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}\n\t ", &p, &err) == 0 && p.n_rules == 0 &&
		   p.n_arches == 0 && p.default_action == SCMP_ACT_ALLOW,
	   "the smallest profile, whitespace after it");
	seccomp_profile_clear(&p);
}

static void test_parse_bad(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "", "t.json: not valid JSON" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\"", "t.json: not valid JSON" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", "t.json: not valid JSON" },
		{ "[]", "seccomp profile t.json: expected an object" },
		{ "{}", "seccomp profile t.json: defaultAction: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}",
		  "t.json: defaultAction: unknown action \"SCMP_ACT_MAYBE\"" },
		{ "{\"defaultAction\": 1}", "t.json: defaultAction: expected a string" },
		{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "needs a listener process" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
		  "defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}",
		  "defaultErrnoRet: 5000 is more than 4095" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
		  "defaultErrnoRet: expected a number from 0 to 4095" },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1.5}",
		  "defaultErrnoRet: expected a number" },
		{ "{\"defaultActoin\": \"SCMP_ACT_ALLOW\"}",
		  "t.json: unknown key \"defaultActoin\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [], \"archMap\": []}",
		  "give either architectures or archMap" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
		  "architectures: unknown architecture \"SCMP_ARCH_VAX\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86_64\"]}",
		  "unknown architecture \"x86_64\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"subArchitectures\": "
		  "[]}]}",
		  "archMap[0].architecture: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
		  "syscalls: expected an array" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
		  "\"SCMP_ACT_ERRNO\"}]}",
		  "syscalls[0].names: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", "
		  "\"names\": [\"b\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
		  "syscalls[0]: both \"name\" and \"names\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"]}]}",
		  "syscalls[0].action: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\", 3], "
		  "\"action\": \"SCMP_ACT_ERRNO\"}]}",
		  "syscalls[0].names: expected a string" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{}, {\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
		  "syscalls[0].names: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
		  "syscalls[0].errnoRet: only SCMP_ACT_ERRNO" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, "
		  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
		  "syscalls[0].args[0].index: 6 is more than 5" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
		  "\"op\": \"SCMP_CMP_ABOUT\"}]}]}",
		  "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": "
		  "\"SCMP_CMP_EQ\"}]}]}",
		  "syscalls[0].args[0].value: missing" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -2, "
		  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
		  "syscalls[0].args[0].value: expected a number" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
		  "\"op\": \"SCMP_CMP_EQ\", \"valueThree\": 1}]}]}",
		  "syscalls[0].args[0]: unknown key \"valueThree\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"caps\": [\"CAP_FLY\"]}}]}",
		  "syscalls[0].includes.caps: unknown capability \"CAP_FLY\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"minKernel\": \"four\"}}]}",
		  "syscalls[0].excludes.minKernel: expected a kernel version" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"], "
		  "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"os\": \"linux\"}}]}",
		  "syscalls[0].includes: unknown key \"os\"" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": "
		  "[\"SECCOMP_FILTER_FLAG_NEW\"]}",
		  "flags: unknown or unsupported flag" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x.sock\"}",
		  "listenerPath: notification listeners are not supported" },
	};
	struct seccomp_profile p;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct berth_error err = { 0 };
		int r = parse(bad[i].text, &p, &err);
		bool good = r < 0 && err.msg && strstr(err.msg, bad[i].want) &&
			    str_has_prefix(err.msg, "seccomp profile t.json") &&
			    !strchr(err.msg, '\n');
		if (!ok(good, "refused: %s", bad[i].want))
			printf("#   got: %s\n", err.msg ? err.msg : "(accepted)");
		if (r == 0)
			seccomp_profile_clear(&p);
		berth_error_clear(&err);
	}

	/* bounds */
	struct berth_error err = { 0 };
	size_t big = SECCOMP_PROFILE_MAX_BYTES + 10;
	_cleanup_free_ char *huge = xmalloc(big + 1);
	memset(huge, ' ', big);
	memcpy(huge, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", 35);
	huge[big] = '\0';
	ok(seccomp_profile_parse(huge, big, "t.json", &p, &err) < 0 &&
		   strstr(err.msg, "larger than"),
	   "a profile over %d KiB is refused", SECCOMP_PROFILE_MAX_BYTES / 1024);
	berth_error_clear(&err);
	char deep[200];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ok(parse(deep, &p, &err) < 0 && strstr(err.msg, "not valid JSON"),
	   "nesting 200 deep is refused, not recursed into");
	berth_error_clear(&err);
}

static void test_read_file(void)
{
	char dir[] = "/tmp/berth-test-seccomp.XXXXXX";
	struct berth_error err = { 0 };
	struct json_object *o = NULL;

	if (!mkdtemp(dir))
		return;
	_cleanup_free_ char *good = xasprintf("%s/good.json", dir);
	_cleanup_free_ char *link = xasprintf("%s/link.json", dir);
	_cleanup_free_ char *missing = xasprintf("%s/missing.json", dir);
	FILE *f = fopen(good, "w");
	fputs("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", f);
	fclose(f);
	if (symlink(good, link) < 0)
		return;
	ok(seccomp_profile_read(link, &o, &err) == 0 && o &&
		   json_object_is_type(o, json_type_object),
	   "a profile read through a symlink (the user's own file)");
	json_object_put(o);
	ok(seccomp_profile_read(missing, &o, &err) < 0 && strstr(err.msg, missing) &&
		   err.errnum == ENOENT,
	   "a missing file: its name and ENOENT");
	berth_error_clear(&err);
	ok(seccomp_profile_read(dir, &o, &err) < 0 && strstr(err.msg, "not a regular file"),
	   "a directory is no profile");
	berth_error_clear(&err);
	unlink(good);
	unlink(link);
	rmdir(dir);
}

/* ---- loaded for real ---- */

static const char *res(long r)
{
	static char buf[16];
	if (r >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%d", errno);
	return buf;
}

static long sys32(long nr, long a)
{
#if defined(__x86_64__)
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(0), "d"(0) : "memory");
	errno = r < 0 && r > -4096 ? (int)-r : 0;
	return r < 0 && r > -4096 ? -1 : r;
#else
	(void)nr;
	(void)a;
	errno = ENOSYS;
	return -1;
#endif
}

/* the number after the highest libseccomp knows (main sets it) */
static int next_nr;

/* probes, one "name result" per line, result "ok" or the errno number */
static void probes(FILE *out)
{
	fprintf(out, "io_uring_setup %s\n", res(syscall(SYS_io_uring_setup, 1, NULL)));
	fprintf(out, "keyctl %s\n", res(syscall(SYS_keyctl, 0, -1, 0, 0, 0)));
	fprintf(out, "personality-bsd %s\n", res(syscall(SYS_personality, 6)));
	fprintf(out, "personality-query %s\n", res(syscall(SYS_personality, 0xffffffffUL)));
	fprintf(out, "socket-vsock %s\n", res(syscall(SYS_socket, 40, SOCK_STREAM, 0)));
	fprintf(out, "socket-vsock-high %s\n",
		res(syscall(SYS_socket, 0x100000028UL, SOCK_STREAM, 0)));
	fprintf(out, "socket-unix %s\n", res(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0)));
	fprintf(out, "tiocsti %s\n", res(syscall(SYS_ioctl, -1, TIOCSTI, "x")));
	fprintf(out, "clone3 %s\n", res(syscall(SYS_clone3, NULL, 0)));
	fprintf(out, "unshare %s\n", res(syscall(SYS_unshare, CLONE_NEWUSER)));
	fprintf(out, "nr-1000 %s\n", res(syscall(1000)));
	fprintf(out, "nr-next %s\n", res(syscall(next_nr, 0, 0, 0, 0)));
	fprintf(out, "getppid %s\n", res(syscall(SYS_getppid)));
	fprintf(out, "mkdir %s\n", res(mkdir("/nonexistent-berth-test/d", 0700)));
	fprintf(out, "x86-getpid %s\n", res(sys32(20, 0)));
	fprintf(out, "x86-io_uring_setup %s\n", res(sys32(425, 1)));
	fprintf(out, "x86-nr-1000 %s\n", res(sys32(1000, 0)));
}

/* The probes' output after loading f in a child (NULL f: no filter). */
static char *in_child(const struct seccomp_filters *f)
{
	int p[2];
	char *out = NULL;
	size_t len = 0;
	struct berth_error err = { 0 };

	if (pipe2(p, O_CLOEXEC) < 0)
		return xstrdup("pipe failed");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		FILE *o;
		close(p[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    (f && seccomp_filters_load(f, &err) < 0)) {
			dprintf(p[1], "load failed: %s\n", err.msg ? err.msg : "prctl");
			_exit(1);
		}
		o = fdopen(p[1], "w");
		/* line by line: a filter that kills (an ABI it lacks) keeps the rest */
		setvbuf(o, NULL, _IOLBF, 0);
		probes(o);
		fflush(o);
		_exit(0);
	}
	close(p[1]);
	if (read_fd_all(p[0], 1 << 16, &out, &len, &err) < 0) {
		berth_error_clear(&err);
		out = xstrdup("read failed");
	}
	close(p[0]);
	waitpid(pid, NULL, 0);
	return out;
}

static bool has(const char *out, const char *line)
{
	_cleanup_free_ char *l = xasprintf("%s\n", line);
	const char *at = strstr(out, l);
	if (at && (at == out || at[-1] == '\n'))
		return true;
	printf("#   no \"%s\" in:\n#   %s\n", line, out);
	return false;
}

static void test_default_loaded(void)
{
	struct seccomp_filters f;
	struct berth_error err = { 0 };
	_cleanup_free_ char *open_out = in_child(NULL);

	if (!ok(seccomp_filters_prepare(-1, caps_default(), NULL, NULL, &f, &err) == 0 && f.n == 2,
		"the default filter compiles to two programs")) {
		printf("#   %s\n", err.msg);
		berth_error_clear(&err);
		return;
	}
	_cleanup_free_ char *out = in_child(&f);
	char eperm[8], enosys[8];
	snprintf(eperm, sizeof(eperm), "%d", EPERM);
	snprintf(enosys, sizeof(enosys), "%d", ENOSYS);
#define EXPECT(name, result, what)                                                                 \
	do {                                                                                       \
		_cleanup_free_ char *l_ = xasprintf("%s %s", name, result);                        \
		ok(has(out, l_), "%s", what);                                                      \
	} while (0)
	EXPECT("io_uring_setup", eperm, "io_uring_setup: EPERM");
	EXPECT("keyctl", eperm, "keyctl: EPERM");
	EXPECT("personality-bsd", eperm, "personality(PER_BSD): EPERM");
	EXPECT("personality-query", "ok", "personality(0xffffffff): allowed");
	EXPECT("socket-vsock", eperm, "socket(AF_VSOCK): EPERM");
	EXPECT("socket-vsock-high", eperm, "socket(AF_VSOCK | 1 << 32): EPERM (an int)");
	EXPECT("socket-unix", "ok", "socket(AF_UNIX): allowed");
	EXPECT("tiocsti", eperm, "ioctl(TIOCSTI): EPERM (before the kernel's EBADF)");
	EXPECT("clone3", enosys, "clone3: ENOSYS");
	EXPECT("unshare", eperm, "unshare(CLONE_NEWUSER): EPERM");
	EXPECT("nr-1000", enosys, "syscall 1000: ENOSYS");
	EXPECT("nr-next", enosys, "the number after libseccomp's highest: ENOSYS");
	EXPECT("getppid", "ok", "getppid: allowed");
#if defined(__x86_64__)
	EXPECT("x86-getpid", "ok", "x86 ABI: getpid allowed");
	EXPECT("x86-io_uring_setup", eperm, "x86 ABI: io_uring_setup EPERM");
	EXPECT("x86-nr-1000", enosys, "x86 ABI: syscall 1000 ENOSYS");
#endif
	ok(!strstr(open_out, "io_uring_setup 1\n") && !strstr(open_out, "socket-vsock 1\n"),
	   "(without a filter neither io_uring_setup nor socket(AF_VSOCK) says EPERM)");
	seccomp_filters_clear(&f);

	/* CAP_SYS_ADMIN lifts its group: clone3 reaches the kernel (EFAULT) */
	if (seccomp_filters_prepare(-1, caps_default() | CAP(CAP_SYS_ADMIN), NULL, NULL, &f, &err) <
	    0) {
		ok(0, "the filter with CAP_SYS_ADMIN: %s", err.msg);
		berth_error_clear(&err);
		return;
	}
	free(out);
	out = in_child(&f);
	ok(!strstr(out, "clone3 38\n") && has(out, "io_uring_setup 1"),
	   "with CAP_SYS_ADMIN clone3 is allowed, io_uring_setup still refused");
	seccomp_filters_clear(&f);
}

static void test_profile_loaded(void)
{
	const char *text =
		"{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
		"  { \"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"    \"errnoRet\": 122 },\n"
		"  { \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 99,\n"
		"    \"includes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } },\n"
		"  { \"names\": [\"keyctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 98,\n"
		"    \"excludes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } },\n"
		"  { \"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": "
		"97,\n"
		"    \"args\": [ { \"index\": 0, \"value\": 6, \"op\": \"SCMP_CMP_EQ\" },\n"
		"              { \"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\" } ] "
		"},\n"
		"  { \"names\": [\"io_uring_setup\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"    \"includes\": { \"arches\": [\"s390x\"] } },\n"
		"  { \"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"    \"includes\": { \"minKernel\": \"99.0\" } },\n"
		"  { \"names\": [\"no_such_call\"], \"action\": \"SCMP_ACT_KILL\" }\n"
		"] }";
	struct json_object *o = json_tokener_parse(text);
	struct seccomp_filters f;
	struct berth_error err = { 0 };

	for (int admin = 0; admin < 2; admin++) {
		uint64_t caps = caps_default() | (admin ? CAP(CAP_SYS_ADMIN) : 0);
		if (seccomp_filters_prepare(-1, caps, o, "t.json", &f, &err) < 0) {
			ok(0, "the profile compiles: %s", err.msg);
			berth_error_clear(&err);
			break;
		}
		_cleanup_free_ char *out = in_child(&f);
		ok(f.n == 1 && has(out, "mkdir 122"), "%s: mkdir fails with the errnoRet",
		   admin ? "with CAP_SYS_ADMIN" : "default capabilities");
		ok(has(out, admin ? "getppid 99" : "getppid ok"), "includes.caps: the rule %s",
		   admin ? "applies with the capability" : "is left out without it");
		ok(admin ? !strstr(out, "keyctl 98\n") : has(out, "keyctl 98"),
		   "excludes.caps: the rule %s", admin ? "is left out" : "applies");
		ok(has(out, "personality-bsd 97") && has(out, "personality-query 97"),
		   "one argument named twice: either condition refuses");
		ok(!strstr(out, "io_uring_setup 1\n") && has(out, "socket-unix ok"),
		   "another architecture's rule and a later kernel's rule are left out");
		seccomp_filters_clear(&f);
	}
	json_object_put(o);

	o = json_tokener_parse(
		"{ \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n"
		"  { \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
		"    \"args\": [ { \"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\" } ] },\n"
		"  { \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL\",\n"
		"    \"args\": [ { \"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\" } ] } ] }");
	ok(seccomp_filters_prepare(-1, 0, o, "t.json", &f, &err) < 0 &&
		   strstr(err.msg, "seccomp profile t.json: syscalls[1] (getppid)"),
	   "two rules that contradict: the profile and the entry named");
	berth_error_clear(&err);
	json_object_put(o);
}

/* the entries of a cache directory: their number, the last one's name */
static int entries(const char *dir, char *name, size_t len)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(name, len, "%s", de->d_name);
			n++;
		}
	return n;
}

static bool file_has(int dirfd, const char *name, const char *what)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct berth_error err = { 0 };

	if (read_file_at(dirfd, name, 1 << 20, &buf, &len, &err) < 0) {
		berth_error_clear(&err);
		return false;
	}
	return memmem(buf, len, what, strlen(what)) != NULL;
}

static void test_cache(void)
{
	char dir[] = "/tmp/berth-test-seccomp-cache.XXXXXX";
	struct seccomp_filters f;
	struct berth_error err = { 0 };
	struct stat st;
	char name[256] = "", other[256] = "";

	if (!mkdtemp(dir))
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ok(seccomp_filters_prepare(fd, 0x5, NULL, NULL, &f, &err) == 0, "compiled into a cache");
	seccomp_filters_clear(&f);
	ok(entries(dir, name, sizeof(name)) == 1 && fstatat(fd, name, &st, 0) == 0 &&
		   st.st_size > 1000 && (st.st_mode & 077) == 0 &&
		   file_has(fd, name, "caps 0000000000000005\ndefault"),
	   "one private entry, which says its key");
	ok(seccomp_filters_prepare(fd, 0x5, NULL, NULL, &f, &err) == 0 && f.n == 2,
	   "read back from the cache");
	seccomp_filters_clear(&f);
	off_t size = st.st_size;
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	if (truncate(path, 40) < 0)
		return;
	ok(seccomp_filters_prepare(fd, 0x5, NULL, NULL, &f, &err) == 0 && f.n == 2 &&
		   fstatat(fd, name, &st, 0) == 0 && st.st_size == size,
	   "a truncated entry is rebuilt");
	seccomp_filters_clear(&f);
	ok(seccomp_filters_prepare(fd, 0x800405fb, NULL, NULL, &f, &err) == 0,
	   "other capabilities");
	seccomp_filters_clear(&f);
	ok(entries(dir, other, sizeof(other)) == 2, "... are another entry");
	if (!strcmp(other, name)) {
		_cleanup_closedir_ DIR *d = opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && strcmp(de->d_name, name))
				snprintf(other, sizeof(other), "%s", de->d_name);
	}
	/* the default set's entry under the name of 0x5's, as a colliding
	 * or planted file would be: not taken for 0x5's */
	if (renameat(fd, other, fd, name) < 0)
		return;
	ok(seccomp_filters_prepare(fd, 0x5, NULL, NULL, &f, &err) == 0 &&
		   file_has(fd, name, "caps 0000000000000005\n") &&
		   !file_has(fd, name, "caps 00000000800405fb\n"),
	   "an entry made for another key is not used: rebuilt for this one");
	seccomp_filters_clear(&f);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(fd, de->d_name, 0);
	close(fd);
	rmdir(dir);
}

int main(void)
{
	next_nr = max_known_syscall() + 1;
	test_table_covers_libseccomp();
	test_verdicts();
	test_parse_good();
	test_parse_bad();
	test_read_file();
	test_default_loaded();
	test_profile_loaded();
	test_cache();
	return tap_done();
}
