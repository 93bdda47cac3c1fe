/* A minimal polled driver for modern virtio-pci devices, for the tiny
 * end-to-end test guests (blk.elf, net.elf, rng.elf, console.elf): finds a
 * device through the 0xCF8 config ports and its virtio capabilities, maps
 * its BARs, negotiates features and sets up small split queues in .bss.
 * Interrupts stay off; completions are polled. Runs on mkvm and QEMU. */
#ifndef VTEST_VDRV_H
#define VTEST_VDRV_H

#include <stdbool.h>
#include <stdint.h>
#include <mkvm/virtio.h>

#define VQ_SIZE 8
#define VDEV_MAX_QUEUES 2

struct vq {
	struct virtq_desc *desc;
	struct vq_avail {
		uint16_t flags, idx, ring[VQ_SIZE], used_event;
	} *avail;
	struct vq_used {
		uint16_t flags, idx;
		struct virtq_used_elem ring[VQ_SIZE];
		uint16_t avail_event;
	} *used;
	volatile uint16_t *notify;
	uint16_t last_used;
};

struct vdev {
	const char *name;
	unsigned slot;
	volatile struct virtio_pci_common_cfg *common;
	volatile uint8_t *isr, *devcfg;
	uint64_t notify_base;
	uint32_t notify_mul;
	uint64_t features; /* negotiated */
	int nq;
	struct vq q[VDEV_MAX_QUEUES];
};

/* Finds the first device with this virtio id on bus 0; fails the test when
 * there is none or a capability is missing. */
struct hvm_start_info;
/* Whether the guest's command line contains the string w. */
bool vdrv_cmdline_has(const struct hvm_start_info *si, const char *w);

void vdev_find(struct vdev *d, uint16_t virtio_id, const char *name);

/* Resets the device, negotiates VERSION_1 plus whatever of `want` is
 * offered, sets up `nq` queues of VQ_SIZE and sets DRIVER_OK. */
void vdev_init(struct vdev *d, uint64_t want, int nq);

bool vdev_needs_reset(struct vdev *d);

/* MSI-X through the device's capability: the table and PBA, mapped. */
struct vdrv_msix {
	unsigned cap;            /* config-space offset of the capability */
	volatile uint32_t *table;
	volatile uint64_t *pba;
	unsigned vectors;
};

/* Finds the capability; returns the number of vectors (0: none). */
unsigned vdrv_msix_find(struct vdev *d, struct vdrv_msix *m);
/* Entry `v`: message address and data, and its mask bit. */
void vdrv_msix_set(struct vdrv_msix *m, unsigned v, uint64_t addr, uint32_t data,
		   bool masked);
/* Sets MSI-X Enable, clears Function Mask. */
void vdrv_msix_enable(struct vdev *d, struct vdrv_msix *m);
bool vdrv_msix_pending(struct vdrv_msix *m, unsigned v);

/* Time stamp counter, for timeouts: a spin count would be no bound at all
 * where PAUSE is slow (kvm_pvm) and too short where it is fast (TCG). */
static inline uint64_t vdrv_tsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Roughly a few seconds on any CPU of the last decade. */
#define VDRV_TIMEOUT_CYCLES 10000000000ull

/* Maps the GiB holding an MMIO address, uncached. */
void vdrv_map_mmio(uint64_t addr);

/* Makes chain `head` of queue q available and notifies the device. */
void vq_submit(struct vdev *d, int q, uint16_t head);

/* Waits for the next used element of queue q: true with its chain head
 * (when id is not NULL) and length, false after a timeout or when the
 * device asks for a reset. */
bool vq_wait(struct vdev *d, int q, uint16_t *id, uint32_t *len);

#endif
