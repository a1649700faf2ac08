// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attach.c: the attach protocol's messages and its socket (attach.h).
 * What flows over it is the monitor's (monitor.c) and the client's
 * (engine.c) business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach.h"
#include "../lib/util.h"

void attach_header(char hdr[ATTACH_HEADER_LEN], int type, size_t len)
{
	uint32_t l = (uint32_t)len;

	hdr[0] = (char)type;
	memcpy(hdr + 1, &l, 4);
}

void attach_header_read(const char hdr[ATTACH_HEADER_LEN], int *type, uint32_t *len)
{
	*type = (unsigned char)hdr[0];
	memcpy(len, hdr + 1, 4);
}

int attach_send(int fd, int type, const void *data, size_t len)
{
	char hdr[ATTACH_HEADER_LEN];

	attach_header(hdr, type, len);
	return write_all(fd, hdr, sizeof(hdr)) < 0 || write_all(fd, data, len) < 0 ? -1 : 0;
}

/* Read exactly len bytes; false at the end. */
static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int attach_recv(int fd, int *type, void *buf, size_t size, size_t *len)
{
	char hdr[ATTACH_HEADER_LEN];
	uint32_t l;

	if (!read_full(fd, hdr, sizeof(hdr)))
		return 0; /* the other end went away */
	attach_header_read(hdr, type, &l);
	if (l > size || !read_full(fd, buf, l))
		return 0;
	*len = l;
	return 1;
}

static void socket_address(struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", ATTACH_SOCKET);
}

int attach_listen(const char *dir)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	socket_address(&sa);
	if (fd < 0 || chdir(dir) < 0)
		goto fail;
	unlink(ATTACH_SOCKET);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, ATTACH_MAX_CLIENTS) < 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int attach_connect(const char *dir, struct berth_error *err)
{
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct sockaddr_un sa;
	int r = 0, e = 0;

	socket_address(&sa);
	/* by a relative name, as the monitor bound it */
	if (sock < 0 || chdir(dir) < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		r = -1;
	}
	if (cwd >= 0 && fchdir(cwd) < 0) {
		/* nothing of the caller's depends on the cwd after this */
	}
	if (r < 0)
		return berth_error_set(err, e, "attaching to %s", dir);
	return steal_fd(&sock);
}
