// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * prefetch.c: a four-slot ring between one producer thread and one
 * consumer. The producer fills the slot at head while the consumer reads
 * the slot at tail; they never share a slot because the producer waits
 * while all slots are full and the consumer while none is.
 *
 * Lock order: only p->lock; nothing else is taken while holding it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "prefetch.h"
#include "../lib/util.h"

#define SLOTS 4
#define SLOT_SIZE (256 * 1024)

struct prefetch {
	tar_read_fn fn;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *slot[SLOTS];
	size_t len[SLOTS];
	size_t head, tail, count; /* under lock */
	size_t off;		  /* consumer's offset in the tail slot */
	bool done, cancel;	  /* under lock */
	struct berth_error err;	  /* the producer's, read after done */
};

static void *producer(void *arg)
{
	struct prefetch *p = arg;

	for (;;) {
		size_t idx;
		ssize_t n;

		pthread_mutex_lock(&p->lock);
		while (p->count == SLOTS && !p->cancel)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->cancel) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		idx = p->head;
		pthread_mutex_unlock(&p->lock);

		n = p->fn(p->ctx, p->slot[idx], SLOT_SIZE, &p->err);

		pthread_mutex_lock(&p->lock);
		if (n > 0) {
			p->len[idx] = (size_t)n;
			p->head = (p->head + 1) % SLOTS;
			p->count++;
		} else {
			p->done = true;
		}
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (n <= 0)
			return NULL;
	}
}

struct prefetch *prefetch_start(tar_read_fn fn, void *ctx)
{
	struct prefetch *p = xcalloc(1, sizeof(*p));

	p->fn = fn;
	p->ctx = ctx;
	for (int i = 0; i < SLOTS; i++)
		p->slot[i] = xmalloc(SLOT_SIZE);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, producer, p) != 0)
		abort(); /* only fails for lack of memory or threads */
	return p;
}

ssize_t prefetch_read(void *ctx, void *buf, size_t len, struct berth_error *err)
{
	struct prefetch *p = ctx;
	size_t idx, avail;

	pthread_mutex_lock(&p->lock);
	while (p->count == 0 && !p->done)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->count == 0) {
		pthread_mutex_unlock(&p->lock);
		if (p->err.msg)
			return berth_error_set(err, p->err.errnum, "%s", p->err.msg);
		return 0;
	}
	idx = p->tail;
	pthread_mutex_unlock(&p->lock);

	avail = p->len[idx] - p->off;
	if (len > avail)
		len = avail;
	memcpy(buf, p->slot[idx] + p->off, len);
	p->off += len;
	if (p->off == p->len[idx]) {
		p->off = 0;
		pthread_mutex_lock(&p->lock);
		p->tail = (p->tail + 1) % SLOTS;
		p->count--;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	return (ssize_t)len;
}

void prefetch_stop(struct prefetch *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->cancel = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (int i = 0; i < SLOTS; i++)
		free(p->slot[i]);
	berth_error_clear(&p->err);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
