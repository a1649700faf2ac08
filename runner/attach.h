/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * attach.h: the attach protocol between a detached container's monitor
 * (monitor.c) and its clients (`berth attach`, `run -it`: engine.c),
 * over a unix socket in the container's directory (attach.c). Every
 * message is [type: 1 byte][length: 4 bytes, host order][bytes]: the
 * two ends are always the same berth on the same machine.
 *
 *   monitor -> client   ATTACH_STDOUT, ATTACH_STDERR: what the container
 *                       wrote; ATTACH_STATUS: its status (4 bytes), the
 *                       last message before the monitor closes.
 *   client -> monitor   ATTACH_STDIN: input for a -t container's
 *                       terminal; ATTACH_WINSIZE: a struct winsize.
 *
 * Each direction has its own types (1 is stdout one way, stdin the
 * other), as it always had on the wire.
 */
#ifndef BERTH_ATTACH_H
#define BERTH_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

/* The socket's name in the container's directory: bound and connected
 * by this relative name, as a full path could pass the 108 bytes a
 * socket address holds. */
#define ATTACH_SOCKET "attach.sock"
/* Clients at once; more are turned away. */
#define ATTACH_MAX_CLIENTS 8
/* A message's header: its type and its length. */
#define ATTACH_HEADER_LEN 5

enum attach_to_client {
	ATTACH_STDOUT = 1,
	ATTACH_STDERR = 2,
	ATTACH_STATUS = 3,
};

enum attach_to_monitor {
	ATTACH_STDIN = 1,
	ATTACH_WINSIZE = 4,
};

/* A header for a message of type and len bytes. */
void attach_header(char hdr[ATTACH_HEADER_LEN], int type, size_t len);
/* A header's type and length. */
void attach_header_read(const char hdr[ATTACH_HEADER_LEN], int *type, uint32_t *len);
/* One message to fd; -1 (errno) when the other end is gone. */
int attach_send(int fd, int type, const void *data, size_t len);
/* One whole message from fd (blocking) into buf (size bytes at most):
 * 1 with *type and *len, 0 at the end (or a message too long). */
int attach_recv(int fd, int *type, void *buf, size_t size, size_t *len);

/* The monitor's listening socket in dir (non-blocking, close-on-exec;
 * the process's cwd becomes dir), or -1: no attach then, the log still
 * has everything. */
int attach_listen(const char *dir);
/* A client's connection to the monitor of the container in dir (the
 * cwd is kept), or -1 with err. */
int attach_connect(const char *dir, struct berth_error *err);

#endif
