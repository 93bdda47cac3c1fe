/* vcheck: what the Linux guest's /init (tests/linux/init) cannot do with
 * busybox alone. Each command prints one line and exits 0 when the device
 * worked, or prints "vcheck: ..." and exits 1.
 *
 *   vcheck blk DEV SECTOR COUNT   writes COUNT sectors from SECTOR with
 *       O_DIRECT, word i (64-bit little-endian) = STAMP + i, flushes, reads
 *       them back with O_DIRECT and compares; prints
 *       "blkstamp: sector=N count=C stamp=S" for the L1 runner, which finds
 *       the same words in the host's image file (tests/platforms/l1/init).
 *   vcheck net IFACE   brings IFACE up, sends one Ethernet frame with a
 *       fresh payload and waits up to 5 s for that frame to come back in
 *       from the device (mkvm's --net user-loopback, QEMU's socket pair):
 *       frames Linux itself loops to packet sockets as outgoing don't count.
 *       IFACE is down again afterwards, so Linux sends nothing more on it.
 *   vcheck rng DEV N   reads N bytes (8..64) from DEV (/dev/hwrng) and
 *       prints them in hex; fails on a short read or N equal bytes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SECTOR     512
#define ETH_TEST   0x88b5          /* IEEE 802 local experimental ethertype */
#define FRAME_LEN  60
#define NET_WAIT_MS 5000

static int fail(const char *what, const char *why)
{
	printf("vcheck: %s: %s\n", what, why);
	return 1;
}

static uint64_t fresh_stamp(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = (uint64_t)time(NULL);
	return s >> 16;                  /* stamp + i never wraps; 12 hex digits */
}

static int blk(const char *dev, long sector, long count)
{
	size_t len = (size_t)count * SECTOR;
	uint64_t stamp = fresh_stamp(), *out, *in;
	int fd;

	if (sector < 0 || count < 1 || count > 256)
		return fail("blk", "SECTOR must be >= 0 and COUNT 1..256");
	if (posix_memalign((void **)&out, 4096, len) || posix_memalign((void **)&in, 4096, len))
		return fail("blk", "out of memory");
	for (size_t i = 0; i < len / 8; i++)
		out[i] = stamp + i;
	memset(in, 0, len);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail(dev, strerror(errno));
	if (pwrite(fd, out, len, sector * SECTOR) != (ssize_t)len)
		return fail("blk: O_DIRECT write", strerror(errno));
	if (fsync(fd))
		return fail("blk: flush", strerror(errno));
	if (pread(fd, in, len, sector * SECTOR) != (ssize_t)len)
		return fail("blk: O_DIRECT read", strerror(errno));
	if (memcmp(in, out, len))
		return fail("blk", "what was read back differs from what was written");
	close(fd);
	printf("blkstamp: sector=%ld count=%ld stamp=%llx\n", sector, count,
	       (unsigned long long)stamp);
	return 0;
}

static int if_set_up(int s, const char *ifname, int up)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int if_up(int s, const char *ifname, int *index, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (if_set_up(s, ifname, 1) || ioctl(s, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFINDEX, &ifr))
		return -1;
	*index = ifr.ifr_ifindex;
	return 0;
}

/* Waits for frame to come back in from the device; 1 when it did. */
static int await_frame(int s, const uint8_t *frame, int *outgoing)
{
	struct timespec t0, t;
	uint8_t buf[2048];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= NET_WAIT_MS || poll(&p, 1, (int)(NET_WAIT_MS - ms)) <= 0)
			return 0;
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < FRAME_LEN || memcmp(buf, frame, FRAME_LEN))
			continue;
		if (from.sll_pkttype == PACKET_OUTGOING)
			(*outgoing)++;
		else
			return 1;
	}
}

static int net(const char *ifname)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_TEST)), index, outgoing = 0;
	uint8_t mac[6], frame[FRAME_LEN] = { 0 };
	uint64_t nonce = fresh_stamp();

	if (s < 0)
		return fail("net: AF_PACKET socket", strerror(errno));
	if (if_up(s, ifname, &index, mac))
		return fail(ifname, strerror(errno));
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_TEST),
		.sll_ifindex = index, .sll_halen = 6,
	};

	if (bind(s, (struct sockaddr *)&to, sizeof(to)))
		return fail("net: bind", strerror(errno));
	memset(frame, 0xff, 6);          /* broadcast */
	memcpy(frame + 6, mac, 6);
	frame[12] = ETH_TEST >> 8;
	frame[13] = ETH_TEST & 0xff;
	snprintf((char *)frame + 14, FRAME_LEN - 14, "mkvm linux-virtio %llx",
		 (unsigned long long)nonce);
	memset(to.sll_addr, 0xff, 6);
	if (sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&to, sizeof(to)) != FRAME_LEN)
		return fail("net: send", strerror(errno));
	int back = await_frame(s, frame, &outgoing);

	if_set_up(s, ifname, 0);
	if (!back)
		return fail(ifname, outgoing ? "the frame went out but never came back in"
					     : "no frame came back within 5 s");
	printf("net: %s (%02x:%02x:%02x:%02x:%02x:%02x) sent a %d-byte frame and received it back\n",
	       ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], FRAME_LEN);
	close(s);
	return 0;
}

static int rng(const char *dev, long n)
{
	uint8_t b[64];
	int fd = open(dev, O_RDONLY), same = 1;
	ssize_t got = 0, r;

	if (n < 8 || n > 64)
		return fail("rng", "N must be 8..64");
	if (fd < 0)
		return fail(dev, strerror(errno));
	while (got < n && (r = read(fd, b + got, (size_t)(n - got))) > 0)
		got += r;
	if (got < n)
		return fail(dev, "short read");
	printf("rng: %ld bytes from %s:", n, dev);
	for (long i = 0; i < n; i++) {
		printf(" %02x", b[i]);
		same &= b[i] == b[0];
	}
	printf("\n");
	return same ? fail(dev, "every byte is the same") : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "blk"))
		return blk(argv[2], strtol(argv[3], NULL, 0), strtol(argv[4], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "net"))
		return net(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "rng"))
		return rng(argv[2], strtol(argv[3], NULL, 0));
	fprintf(stderr, "usage: vcheck blk DEV SECTOR COUNT | net IFACE | rng DEV N\n");
	return 2;
}
