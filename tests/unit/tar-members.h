/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tar-members.h: tars made in a unit test from a table of members
 * (test-unpack, test-copy, test-context): each test sets a member's
 * header its way (path, mode, owner, time), these write its kind and
 * content and hand the finished tar on as a descriptor.
 */
#ifndef BERTH_TESTS_TAR_MEMBERS_H
#define BERTH_TESTS_TAR_MEMBERS_H

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct member {
	const char *name;
	char type;	  /* f d l h(ardlink) c(har device 1:3) p(ipe) */
	const char *data; /* content, or a link's target */
	unsigned mode;	  /* 0: 0644 */
};

/* m's kind into e, then e and m's content into a. */
static inline void member_write(struct archive *a, struct archive_entry *e, const struct member *m)
{
	switch (m->type) {
	case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
	case 'c':
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_rdevmajor(e, 1);
		archive_entry_set_rdevminor(e, 3);
		break;
	case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, m->data);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, m->data);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)strlen(m->data));
	}
	archive_write_header(a, e);
	if (m->type == 'f')
		archive_write_data(a, m->data, strlen(m->data));
}

/* a, which wrote into f, finished: f's descriptor at offset 0. */
static inline int tar_finish_fd(struct archive *a, FILE *f)
{
	int fd;

	archive_write_close(a);
	archive_write_free(a);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

#endif
