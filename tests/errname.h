/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errname.h: how the static test helpers (tests/probe, tests/attack)
 * print a call's outcome: "ok", or its errno's name, which the tests
 * match.
 */
#ifndef BERTH_TESTS_ERRNAME_H
#define BERTH_TESTS_ERRNAME_H

#include <errno.h>
#include <stdio.h>

/* "ok" for r >= 0, else e's name ("errnoN" for one not listed here). */
static inline const char *call_result(long r, int e)
{
	static char buf[32];

	if (r >= 0)
		return "ok";
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case EROFS: return "EROFS";
	case ENOTTY: return "ENOTTY";
	case ETXTBSY: return "ETXTBSY";
	default: snprintf(buf, sizeof(buf), "errno%d", e); return buf;
	}
}

#endif
