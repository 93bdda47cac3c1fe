/* virtio-net (spec 5.1) without offloads or mergeable buffers: every frame
 * travels behind a 12-byte struct virtio_net_hdr, one receive chain per
 * frame. Queue 0 receives, queue 1 transmits.
 *
 * Backends (--net):
 *   tap=NAME        an existing or new TAP interface (needs CAP_NET_ADMIN,
 *                   or a persistent TAP owned by the user)
 *   user-loopback   no host networking: every frame the guest sends comes
 *                   back to it (a datagram socket pair), for tests
 */
#ifndef MKVM_VIRTIO_NET_H
#define MKVM_VIRTIO_NET_H

#include <stdint.h>
#include <mkvm/virtio.h>
#include "virtio/virtqueue.h"

#define VIRTIO_NET_RX        0
#define VIRTIO_NET_TX        1
#define VIRTIO_NET_FRAME_MAX 65536

struct virtio_net {
	int rx_fd, tx_fd;              /* the same fd for a TAP */
	uint64_t rx_dropped, tx_dropped;
	struct virtio_net_config config;
	uint8_t frame[VIRTIO_NET_FRAME_MAX];
};

/* Opens the backend named by spec (see above). Prints why and returns -1
 * when it cannot. */
int virtio_net__open(struct virtio_net *n, const char *spec);
void virtio_net__close(struct virtio_net *n);

uint64_t virtio_net__features(void);

/* Transmit handler (virtq_handler_fn): sends the frame after the header.
 * Frames longer than VIRTIO_NET_FRAME_MAX or that the backend cannot take
 * are dropped and counted. Returns 0. */
uint32_t virtio_net__tx(void *net, const struct virtq_chain *c);

/* Moves waiting frames from the backend into receive chains while both
 * last and the rate limiter rl (optional) has tokens; each frame is one
 * operation of its length. Returns the number of chains used, -1 for a
 * malformed ring. */
int virtio_net__rx(struct virtio_net *n, struct virtq *vq,
		   struct virtq_chain *c, struct rate_limiter *rl);

/* Adds a virtio-net device with the given backend to the PCI bus, its
 * traffic (both ways together) limited by lim. */
#define VIRTIO_NET_MAX_IFACES 4

/* What --net and the libvirt <interface> ask for: the interfaces, in order
 * (the device's settings, device.h; virtio/net_pci.c owns them). */
struct virtio_net_settings {
	struct virtio_net_iface {
		char *spec;                  /* tap=NAME or user-loopback */
		struct rate_limit limit;
	} ifaces[VIRTIO_NET_MAX_IFACES];
	int nr;
};

struct vm;
int virtio_net__init(struct vm *vm, const char *spec, const struct rate_limit *lim);

#endif
