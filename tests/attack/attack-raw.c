// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-raw: raw IPv4 packets a container given CAP_NET_RAW may send to
 * its network's helpers. Subcommands:
 *   attack-raw frag ADDR COUNT   COUNT fragments of UDP datagrams to ADDR
 *                                (slirp's gateway or DNS forwarder):
 *                                tiny, overlapping, out of order, past
 *                                the end of a datagram, with and without
 *                                more-fragments; prints how many were sent
 * Packets go to ADDR only: the tests give it an address of the
 * container's own virtual network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint16_t csum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *p++;
	if (len)
		s += *(const uint8_t *)p;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int frag(const char *addr, int count)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned char pkt[1600];
	int sent = 0;

	if (fd < 0 || inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
		perror("raw socket");
		return 1;
	}
	srand(42);
	for (int i = 0; i < count; i++) {
		struct iphdr *ip = (struct iphdr *)pkt;
		size_t payload = (size_t)(rand() % 6) * 8 + (size_t)(i % 3 == 0 ? 1 : 8);
		/* offsets in 8-byte units: 0, small, overlapping, near the 64 KiB end */
		static const uint16_t offs[] = { 0, 1, 2, 1, 8185, 8190, 3, 0 };
		uint16_t off = offs[i % 8];
		bool more = (i % 4) != 3;

		memset(pkt, 0, sizeof(pkt));
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->id = htons((uint16_t)(i / 8)); /* eight fragments a datagram */
		ip->frag_off = htons((uint16_t)(off | (more ? IP_MF : 0)));
		ip->daddr = dst.sin_addr.s_addr;
		for (size_t k = 0; k < payload; k++)
			pkt[sizeof(*ip) + k] = (unsigned char)(k * 7 + (unsigned)i);
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + payload));
		ip->check = csum(ip, sizeof(*ip));
		if (sendto(fd, pkt, sizeof(*ip) + payload, 0, (struct sockaddr *)&dst,
			   sizeof(dst)) > 0)
			sent++;
	}
	printf("sent %d\n", sent);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "frag"))
		return frag(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: attack-raw frag ADDR COUNT\n");
	return 2;
}
