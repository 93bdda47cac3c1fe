/* virtio-net backends: a TAP interface, or a loopback socket pair. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "virtio/net.h"

/* Locally administered, QEMU's conventional prefix. */
static const uint8_t default_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static int open_tap(struct virtio_net *n, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	if (!*name || strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "mkvm: --net tap=%s: interface name must be 1 to %d bytes\n",
			name, IFNAMSIZ - 1);
		return -1;
	}
	strcpy(ifr.ifr_name, name);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mkvm: --net tap=%s: /dev/net/tun: %s\n", name,
			strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "mkvm: --net tap=%s: %s%s\n", name, strerror(errno),
			errno == EPERM ? " (needs CAP_NET_ADMIN or a TAP owned by this user)" : "");
		close(fd);
		return -1;
	}
	n->rx_fd = n->tx_fd = fd;
	return 0;
}

static int open_loopback(struct virtio_net *n)
{
	int s[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s) < 0) {
		fprintf(stderr, "mkvm: --net user-loopback: %s\n", strerror(errno));
		return -1;
	}
	n->tx_fd = s[1]; /* what the guest sends on s[1] arrives on s[0] */
	n->rx_fd = s[0];
	return 0;
}

int virtio_net__open(struct virtio_net *n, const char *spec)
{
	int r;

	memset(n, 0, sizeof(*n));
	n->rx_fd = n->tx_fd = -1;
	if (strncmp(spec, "tap=", 4) == 0) {
		r = open_tap(n, spec + 4);
	} else if (strcmp(spec, "user-loopback") == 0) {
		r = open_loopback(n);
	} else {
		fprintf(stderr, "mkvm: --net %s: expected tap=NAME or user-loopback\n", spec);
		return -1;
	}
	memcpy(n->config.mac, default_mac, sizeof(default_mac));
	n->config.status = VIRTIO_NET_S_LINK_UP;
	return r;
}

void virtio_net__close(struct virtio_net *n)
{
	if (n->tx_fd >= 0 && n->tx_fd != n->rx_fd)
		close(n->tx_fd);
	if (n->rx_fd >= 0)
		close(n->rx_fd);
	n->rx_fd = n->tx_fd = -1;
}
