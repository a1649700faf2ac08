/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fdpass.h: a short text and descriptors in one message over a local
 * socket (SCM_RIGHTS), the way berth crosses namespaces: a child setns()es,
 * makes a socket or opens a namespace there, and sends the fd back
 * (fdpass.c). What the text says is the caller's protocol.
 */
#ifndef BERTH_NETNS_FDPASS_H
#define BERTH_NETNS_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* At most this many fds in one message (the kernel's SCM_MAX_FD is 253). */
#define FDPASS_MAX 64

/* Send text (not NUL-terminated on the wire) and n fds (n <= FDPASS_MAX);
 * sendmsg's result. */
ssize_t fdpass_send(int sock, const char *text, const int *fds, size_t n);
/* One message: its text NUL-terminated in buf (at most len-1 bytes), its
 * fds (close-on-exec) in fds[0..*n), at most max of them: any beyond are
 * closed. recvmsg's result (-1 with errno; 0 at the peer's end). */
ssize_t fdpass_recv(int sock, char *buf, size_t len, int *fds, size_t max, size_t *n);

#endif
