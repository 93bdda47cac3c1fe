/* Virtio 1.x structures shared by the VMM (vmm/virtio/) and the guest's
 * virtio driver servers, written from the OASIS "Virtual I/O Device (VIRTIO)
 * Version 1.1" specification. Section numbers refer to that document.
 *
 * Everything here is little-endian on the wire; both sides are x86-64, so the
 * fields are plain integers. Only the modern (1.x) interface exists: no legacy
 * layout, no transitional device ids.
 */
#ifndef MKVM_VIRTIO_H
#define MKVM_VIRTIO_H

#include <stdint.h>

/* 2.1 Device status field. */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* 6 Reserved feature bits (bit numbers, 0..63). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* 5 Device ids. */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

/* 2.6 Split virtqueues. The queue size is a power of two, at most 32768.
 * Alignment: descriptor table 16, available ring 2, used ring 4. */
#define VIRTQ_SIZE_MAX 32768

#define VIRTQ_DESC_F_NEXT     1 /* chain continues in `next` */
#define VIRTQ_DESC_F_WRITE    2 /* device writes (otherwise reads) */
#define VIRTQ_DESC_F_INDIRECT 4 /* buffer is a table of descriptors */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* Followed by `uint16_t used_event` when VIRTIO_F_EVENT_IDX is negotiated. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;  /* head of the chain, as a uint32_t */
	uint32_t len; /* bytes written into the chain's writable buffers */
};

#define VIRTQ_USED_F_NO_NOTIFY 1

/* Followed by `uint16_t avail_event` when VIRTIO_F_EVENT_IDX is negotiated. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* Bytes each part of a split virtqueue of `n` entries occupies, including
 * the event-index word at the end of both rings. */
#define VIRTQ_DESC_BYTES(n)  (16u * (n))
#define VIRTQ_AVAIL_BYTES(n) (6u + 2u * (n))
#define VIRTQ_USED_BYTES(n)  (6u + 8u * (n))

/* 2.6.7.2: does the other side want a notification, given it asked to be
 * woken once index `event` is passed, and the index moved from `old_idx` to
 * `new_idx` since the last notification? All arithmetic is modulo 2^16. */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx,
				   uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* 4.1.2 PCI device discovery. */
#define VIRTIO_PCI_VENDOR_ID        0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE   0x1040 /* + virtio device id */
#define VIRTIO_PCI_REVISION_MODERN  1

/* 4.1.4 Virtio structure PCI capabilities (vendor-specific, id 0x09). */
#define VIRTIO_PCI_CAP_VNDR        0x09
#define VIRTIO_PCI_CAP_COMMON_CFG  1
#define VIRTIO_PCI_CAP_NOTIFY_CFG  2
#define VIRTIO_PCI_CAP_ISR_CFG     3
#define VIRTIO_PCI_CAP_DEVICE_CFG  4
#define VIRTIO_PCI_CAP_PCI_CFG     5

struct virtio_pci_cap {
	uint8_t cap_vndr; /* VIRTIO_PCI_CAP_VNDR */
	uint8_t cap_next;
	uint8_t cap_len;  /* length of this capability structure */
	uint8_t cfg_type; /* VIRTIO_PCI_CAP_* */
	uint8_t bar;      /* 0..5 */
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;  /* within the BAR */
	uint32_t length;
};

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier; /* queue_notify_off is scaled by this */
};

/* 4.1.4.9: a window onto the BARs through config space. The driver sets
 * cap.bar, cap.offset and cap.length (1, 2 or 4, offset aligned to it);
 * a write to pci_cfg_data writes its first cap.length bytes there, a read
 * reads them from there. */
struct virtio_pci_cfg_cap {
	struct virtio_pci_cap cap;
	uint8_t pci_cfg_data[4];
};

/* 4.1.4.3 Common configuration structure layout. */
struct virtio_pci_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature;
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t msix_config;
	uint16_t num_queues;
	uint8_t device_status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off;
	uint64_t queue_desc;
	uint64_t queue_driver; /* available ring */
	uint64_t queue_device; /* used ring */
};

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* 4.1.4.5 ISR status: bit 0 queue interrupt, bit 1 configuration change.
 * Reading the byte clears it. Only meaningful without MSI-X. */
#define VIRTIO_PCI_ISR_QUEUE  1
#define VIRTIO_PCI_ISR_CONFIG 2

/* 5.2 Block device. Queue 0 is the request queue. */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_SECTOR_SIZE 512

struct virtio_blk_config {
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	struct {
		uint16_t cylinders;
		uint8_t heads;
		uint8_t sectors;
	} geometry;
	uint32_t blk_size;
};

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20

/* A request is this header (device-readable), then the data (readable for
 * OUT, writable for IN / GET_ID), then one writable status byte. */
struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* 5.1 Network device. Queue 0 receive, queue 1 transmit. */
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
};

/* Every packet on either queue is preceded by this header. Without any
 * offload feature negotiated all fields but num_buffers are zero. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* 5.3 Console device. Queue 0 receiveq (port 0), queue 1 transmitq. */
#define VIRTIO_CONSOLE_F_SIZE 0

struct virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
};

/* 5.4 Entropy device: one request queue of device-writable buffers, no
 * configuration space, no feature bits. */

#endif
