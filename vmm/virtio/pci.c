/* The virtio-pci modern transport; see pci.h for the layout and threads. */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "layout.h"
#include "log.h"
#include "seccomp.h"
#include "virtio/pci.h"
#include "vm.h"

_Static_assert(sizeof(struct virtio_pci_common_cfg) == 56, "common cfg layout");
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "cap layout");
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "notify cap layout");
_Static_assert(sizeof(struct virtio_pci_cfg_cap) == 20, "pci cfg cap layout");

#define COMMON_FEATURES ((1ull << VIRTIO_F_VERSION_1) | \
			 (1ull << VIRTIO_F_EVENT_IDX) | \
			 (1ull << VIRTIO_F_INDIRECT_DESC))

static uint64_t offered(const struct virtio_pci *vp)
{
	return COMMON_FEATURES | vp->ops->features;
}

uint64_t virtio_pci__features(const struct virtio_pci *vp)
{
	return vp->driver_features;
}

static void msix_send(struct virtio_pci *vp, uint16_t vector)
{
	if (vector != VIRTIO_MSI_NO_VECTOR)
		pci__msix_notify(&vp->pci, vector);
}

void virtio_pci__config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	vp->isr |= VIRTIO_PCI_ISR_CONFIG;
	msix_send(vp, vp->msix_config);
}

void virtio_pci__queue_interrupt(struct virtio_pci *vp, int q)
{
	if (!virtq__should_notify(&vp->q[q].vq))
		return;
	vp->isr |= VIRTIO_PCI_ISR_QUEUE;
	msix_send(vp, vp->q[q].msix_vector);
}

/* Wakes the worker for queue q, as a guest notification does. */
static void kick(struct virtio_pci_queue *q)
{
	uint64_t one = 1;

	if (write(q->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("mkvm: virtio kick");
}

static void needs_reset(struct virtio_pci *vp, int q)
{
	static struct log_limit lim;

	if (vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	log__guest(&lim, "mkvm: %s: queue %d: %s; device needs reset\n",
		   vp->ops->name, q, virtq__strerror(vp->q[q].vq.err));
	vp->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	virtio_pci__config_changed(vp);
}

/* ---- rate limiting ---- */

void virtio_pci__limit(struct virtio_pci *vp, const struct rate_limit *l)
{
	pthread_mutex_lock(&vp->lock);
	rate_limiter__init(&vp->limit, l->bytes_per_s, l->ops_per_s,
			   ratelimit__now_ns());
	pthread_mutex_unlock(&vp->lock);
}

struct rate_limiter *virtio_pci__limiter(struct virtio_pci *vp)
{
	return rate_limiter__active(&vp->limit) ? &vp->limit : NULL;
}

bool virtio_pci__throttled(struct virtio_pci *vp)
{
	uint64_t ns;

	if (!rate_limiter__active(&vp->limit) ||
	    !(ns = rate_limiter__wait_ns(&vp->limit, ratelimit__now_ns())))
		return false;
	if (!vp->timer_armed) {
		struct itimerspec t = {
			.it_value = { .tv_sec = (time_t)(ns / 1000000000),
				      .tv_nsec = (long)(ns % 1000000000) },
		};

		if (timerfd_settime(vp->timer_fd, 0, &t, NULL) == 0)
			vp->timer_armed = true;
	}
	return true;
}

int virtio_pci__drain(struct virtio_pci *vp, int q, virtq_handler_fn fn,
		      void *opaque)
{
	int n = virtq__drain(&vp->q[q].vq, &vp->chain, fn, opaque,
			     virtio_pci__limiter(vp));

	/* Chains completed before a bad one are pushed: tell the driver. */
	virtio_pci__queue_interrupt(vp, q);
	/* One wake-up does a bounded amount: the worker comes back for the
	 * rest after dropping the lock and looking at its other fds, at once
	 * or when the limiter has tokens again. */
	if (n >= 0 && virtq__pending(&vp->q[q].vq) && !virtio_pci__throttled(vp))
		kick(&vp->q[q]);
	return n;
}

/* ---- ioeventfd: queue notifications that never leave the kernel ---- */

/* Registers queue q's notify address as a KVM ioeventfd on kick_fd at
 * BAR 0's current address (or removes it). Without a VM (unit tests) only
 * the bookkeeping is done. Called with vp->lock held. */
static void ioeventfd_set(struct virtio_pci *vp, struct virtio_pci_queue *q,
			  bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = q->ioeventfd_addr, .len = 2, .fd = q->kick_fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (assign == q->ioeventfd)
		return;
	if (assign) {
		if (!pci__bar_enabled(&vp->pci, VIRTIO_PCI_BAR))
			return; /* the guest cannot reach the BAR now */
		io.addr = q->ioeventfd_addr = pci__bar_address(&vp->pci, VIRTIO_PCI_BAR) +
			VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MUL * (uint64_t)(q - vp->q);
	}
	if (vp->vm && ioctl(vp->vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		/* Not fatal: the notify write then traps to bar_access(). The
		 * guest can cause this (a BAR moved onto another's notify
		 * address), so the message is rate-limited. */
		static struct log_limit lim;

		log__guest(&lim, "mkvm: %s: KVM_IOEVENTFD: %s\n", vp->ops->name,
			   strerror(errno));
		return;
	}
	q->ioeventfd = assign;
}

/* The PCI core's bar_changed: the guest moved BAR 0 or switched decoding
 * on or off; the live queues' ioeventfds follow. */
static void bar_moved(struct pci_device *pd, int bar)
{
	struct virtio_pci *vp = pd->opaque;

	if (bar != VIRTIO_PCI_BAR)
		return;
	pthread_mutex_lock(&vp->lock);
	for (int i = 0; i < vp->ops->num_queues; i++) {
		if (!vp->q[i].enabled)
			continue;
		ioeventfd_set(vp, &vp->q[i], false);
		ioeventfd_set(vp, &vp->q[i], true);
	}
	pthread_mutex_unlock(&vp->lock);
}

/* ---- device status, reset, queue enable ---- */

static void reset(struct virtio_pci *vp)
{
	for (int i = 0; i < vp->ops->num_queues; i++) {
		struct virtio_pci_queue *q = &vp->q[i];

		ioeventfd_set(vp, q, false);
		virtq__disable(&q->vq);
		q->size = VIRTQ_DEV_SIZE_MAX;
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;
		q->enabled = false;
		q->desc = q->driver = q->device = 0;
	}
	vp->dev_feature_sel = vp->drv_feature_sel = 0;
	vp->driver_features = 0;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->status = 0;
	vp->queue_sel = 0;
	vp->isr = 0;
}

static void set_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status;

	if (v == 0) {
		reset(vp);
		return;
	}
	/* 2.2.2: accept only features we offered, and VERSION_1. */
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    ((vp->driver_features & ~offered(vp)) ||
	     !(vp->driver_features & (1ull << VIRTIO_F_VERSION_1))))
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	/* NEEDS_RESET is the device's to set; only a reset clears it. */
	vp->status = (v & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
		     (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if ((vp->status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		for (int i = 0; i < vp->ops->num_queues; i++)
			if (vp->q[i].enabled)
				kick(&vp->q[i]); /* buffers offered before DRIVER_OK */
}

static void enable_queue(struct virtio_pci *vp, int i)
{
	struct virtio_pci_queue *q = &vp->q[i];

	if (virtq__enable(&q->vq, &vp->mem, q->size, q->desc, q->driver,
			  q->device, vp->driver_features) != VIRTQ_OK) {
		needs_reset(vp, i);
		return;
	}
	q->enabled = true;
	ioeventfd_set(vp, q, true);
}

static uint16_t checked_vector(struct virtio_pci *vp, uint16_t v)
{
	return v < vp->pci.msix_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

/* ---- common configuration (4.1.4.3) ---- */

static struct virtio_pci_queue *selected(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->ops->num_queues ? &vp->q[vp->queue_sel] : NULL;
}

static uint32_t half(uint64_t v, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(v >> (32 * sel)) : 0;
}

static void common_image(struct virtio_pci *vp, struct virtio_pci_common_cfg *c)
{
	struct virtio_pci_queue *q = selected(vp);

	memset(c, 0, sizeof(*c));
	c->device_feature_select = vp->dev_feature_sel;
	c->device_feature = half(offered(vp), vp->dev_feature_sel);
	c->driver_feature_select = vp->drv_feature_sel;
	c->driver_feature = half(vp->driver_features, vp->drv_feature_sel);
	c->msix_config = vp->msix_config;
	c->num_queues = (uint16_t)vp->ops->num_queues;
	c->device_status = vp->status;
	c->config_generation = vp->config_generation;
	c->queue_select = vp->queue_sel;
	if (!q)
		return;
	c->queue_size = q->size;
	c->queue_msix_vector = q->msix_vector;
	c->queue_enable = q->enabled;
	c->queue_notify_off = vp->queue_sel;
	c->queue_desc = q->desc;
	c->queue_driver = q->driver;
	c->queue_device = q->device;
}

#define FIELD(f) offsetof(struct virtio_pci_common_cfg, f), \
		 sizeof(((struct virtio_pci_common_cfg *)0)->f)

static bool touches(uint64_t off, uint32_t len, size_t foff, size_t flen)
{
	return off < foff + flen && foff < off + len;
}

/* Applies a write that turned the register image `c` into `n`, field by
 * field, in structure order; each field the write touched takes effect. */
static void common_apply(struct virtio_pci *vp, const struct virtio_pci_common_cfg *n,
			 uint64_t off, uint32_t len)
{
	struct virtio_pci_queue *q = selected(vp);
	int qi = vp->queue_sel;

	if (touches(off, len, FIELD(device_feature_select)))
		vp->dev_feature_sel = n->device_feature_select;
	if (touches(off, len, FIELD(driver_feature_select)))
		vp->drv_feature_sel = n->driver_feature_select;
	if (touches(off, len, FIELD(driver_feature)) && vp->drv_feature_sel < 2 &&
	    !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		uint32_t s = 32 * vp->drv_feature_sel;

		vp->driver_features = (vp->driver_features & ~(0xffffffffull << s)) |
				      (uint64_t)n->driver_feature << s;
	}
	if (touches(off, len, FIELD(msix_config)))
		vp->msix_config = checked_vector(vp, n->msix_config);
	if (touches(off, len, FIELD(device_status)))
		set_status(vp, n->device_status);
	if (touches(off, len, FIELD(queue_select)))
		vp->queue_sel = n->queue_select;
	if (!q)
		return;
	if (touches(off, len, FIELD(queue_msix_vector)))
		q->msix_vector = checked_vector(vp, n->queue_msix_vector);
	if (q->enabled)
		return; /* the rest is fixed once the queue is live */
	if (touches(off, len, FIELD(queue_size)))
		q->size = n->queue_size;
	if (touches(off, len, FIELD(queue_desc)))
		q->desc = n->queue_desc;
	if (touches(off, len, FIELD(queue_driver)))
		q->driver = n->queue_driver;
	if (touches(off, len, FIELD(queue_device)))
		q->device = n->queue_device;
	if (touches(off, len, FIELD(queue_enable)) && n->queue_enable == 1)
		enable_queue(vp, qi);
}

static void common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			  uint32_t len, bool is_write)
{
	struct virtio_pci_common_cfg c;

	common_image(vp, &c);
	if (off + len > sizeof(c)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, (uint8_t *)&c + off, len);
		return;
	}
	memcpy((uint8_t *)&c + off, data, len);
	common_apply(vp, &c, off, len);
}

/* ---- the BAR ---- */

static void devcfg_read(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			uint32_t len)
{
	memset(data, 0, len);
	if (off < vp->ops->config_len) {
		uint64_t n = vp->ops->config_len - off;
		memcpy(data, (const uint8_t *)vp->ops->config + off, n < len ? n : len);
	}
}

static void bar_access(struct pci_device *pd, int bar, uint64_t off,
		       uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = pd->opaque;

	if (bar != VIRTIO_PCI_BAR)
		goto unused;
	if (off >= VIRTIO_PCI_NOTIFY) {
		uint64_t i = (off - VIRTIO_PCI_NOTIFY) / VIRTIO_PCI_NOTIFY_MUL;

		if (!is_write)
			goto unused;
		if (i < (uint64_t)vp->ops->num_queues)
			kick(&vp->q[i]);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (off < VIRTIO_PCI_ISR) {
		common_access(vp, off - VIRTIO_PCI_COMMON, data, len, is_write);
	} else if (off < VIRTIO_PCI_DEVCFG) {
		/* 4.1.4.5: reading the ISR status clears it. */
		if (!is_write) {
			memset(data, 0, len);
			if (off == VIRTIO_PCI_ISR)
				data[0] = vp->isr;
			vp->isr = 0;
		}
	} else if (!is_write) {
		devcfg_read(vp, off - VIRTIO_PCI_DEVCFG, data, len);
	}
	pthread_mutex_unlock(&vp->lock);
	return;
unused:
	if (!is_write)
		memset(data, 0, len);
}

/* ---- capabilities (4.1.4) ---- */

static int add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off,
		   uint32_t len, uint32_t multiplier)
{
	struct virtio_pci_notify_cap c = {
		.cap = {
			.cap_vndr = VIRTIO_PCI_CAP_VNDR,
			.cfg_type = type,
			.bar = VIRTIO_PCI_BAR,
			.offset = off,
			.length = len,
		},
		.notify_off_multiplier = multiplier,
	};
	size_t size = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? sizeof(c) : sizeof(c.cap);

	c.cap.cap_len = (uint8_t)size;
	return pci__add_capability(&vp->pci, &c, size) < 0 ? -1 : 0;
}

/* ---- VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): BAR 0 through config space ---- */

#define CFGCAP(f) offsetof(struct virtio_pci_cfg_cap, f)

/* An access to pci_cfg_data: the BAR access that cap.bar, cap.offset and
 * cap.length select, if they are valid (BAR 0, length 1, 2 or 4, offset
 * aligned and inside); otherwise writes go nowhere and reads give 0. */
static void cfg_window(struct pci_device *pd, uint32_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct virtio_pci *vp = pd->opaque;
	uint32_t cap = vp->cfg_cap, at = off - (cap + CFGCAP(pci_cfg_data));
	uint32_t bar = pci__cfg_read(pd, cap + CFGCAP(cap.bar), 1);
	uint32_t boff = pci__cfg_read(pd, cap + CFGCAP(cap.offset), 4);
	uint32_t blen = pci__cfg_read(pd, cap + CFGCAP(cap.length), 4);
	bool ok = bar == VIRTIO_PCI_BAR && (blen == 1 || blen == 2 || blen == 4) &&
		  boff % blen == 0 && boff < VIRTIO_PCI_BAR_SIZE;

	if (is_write) {
		memcpy(vp->cfg_data + at, data, len);
		if (ok)
			bar_access(pd, VIRTIO_PCI_BAR, boff, vp->cfg_data, blen, true);
		return;
	}
	memset(vp->cfg_data, 0, sizeof(vp->cfg_data));
	if (ok)
		bar_access(pd, VIRTIO_PCI_BAR, boff, vp->cfg_data, blen, false);
	memcpy(data, vp->cfg_data + at, len);
}

static int add_cfg_window(struct virtio_pci *vp)
{
	struct virtio_pci_cfg_cap c = {
		.cap = { .cap_vndr = VIRTIO_PCI_CAP_VNDR, .cap_len = sizeof(c),
			 .cfg_type = VIRTIO_PCI_CAP_PCI_CFG },
	};
	int off = pci__add_capability(&vp->pci, &c, sizeof(c));

	if (off < 0)
		return -1;
	vp->cfg_cap = (uint8_t)off;
	pci__cfg_set_writable(&vp->pci, off + CFGCAP(cap.bar), 1);
	pci__cfg_set_writable(&vp->pci, off + CFGCAP(cap.offset), 8); /* and length */
	vp->pci.cfg_hook_off = (uint8_t)(off + CFGCAP(pci_cfg_data));
	vp->pci.cfg_hook_len = sizeof(c.pci_cfg_data);
	vp->pci.cfg_hook = cfg_window;
	return 0;
}

static int add_caps(struct virtio_pci *vp)
{
	const struct virtio_pci_ops *o = vp->ops;

	if (add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON,
		    sizeof(struct virtio_pci_common_cfg), 0) ||
	    add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR, 1, 0) ||
	    add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY,
		    VIRTIO_PCI_NOTIFY_MUL * o->num_queues, VIRTIO_PCI_NOTIFY_MUL))
		return -1;
	if (o->config_len &&
	    add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG, o->config_len, 0))
		return -1;
	return add_cfg_window(vp);
}

/* ---- the worker ---- */

/* Whether the device processes buffers: the driver is ready and the
 * device has not stopped on a malformed ring (vp->lock held). */
static bool live(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

static void serve_queue(struct virtio_pci *vp, int i)
{
	uint64_t count;

	if (read(vp->q[i].kick_fd, &count, sizeof(count)) < 0)
		return;
	pthread_mutex_lock(&vp->lock);
	if (live(vp) && vp->q[i].enabled && vp->ops->queue_notify(vp, i) < 0)
		needs_reset(vp, i);
	pthread_mutex_unlock(&vp->lock);
}

static void serve_poll_fd(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	if (live(vp) && vp->ops->poll_ready(vp) < 0)
		needs_reset(vp, 0);
	pthread_mutex_unlock(&vp->lock);
}

/* The limiter's timer expired: every live queue is looked at again. */
static void serve_timer(struct virtio_pci *vp)
{
	uint64_t count;

	if (read(vp->timer_fd, &count, sizeof(count)) < 0)
		return;
	pthread_mutex_lock(&vp->lock);
	vp->timer_armed = false;
	for (int i = 0; i < vp->ops->num_queues; i++)
		if (live(vp) && vp->q[i].enabled)
			kick(&vp->q[i]);
	pthread_mutex_unlock(&vp->lock);
}

static void *worker(void *arg)
{
	struct virtio_pci *vp = arg;
	int nq = vp->ops->num_queues;
	char name[48];

	snprintf(name, sizeof(name), "%s worker", vp->ops->name);
	seccomp__install(SECCOMP_WORKER, name);
	for (;;) {
		struct pollfd p[VIRTIO_PCI_MAX_QUEUES + 3];
		int n = 0;

		p[n++] = (struct pollfd){ .fd = vp->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = vp->timer_fd, .events = POLLIN };
		for (int i = 0; i < nq; i++)
			p[n++] = (struct pollfd){ .fd = vp->q[i].kick_fd, .events = POLLIN };
		if (vp->ops->poll_fd) {
			/* Only while the device serves it: an fd left unread
			 * (a stopped device) would make poll() return at once
			 * forever. */
			pthread_mutex_lock(&vp->lock);
			int fd = live(vp) ? vp->ops->poll_fd(vp) : -1;
			pthread_mutex_unlock(&vp->lock);
			p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("mkvm: virtio worker: poll");
			return NULL;
		}
		if (p[0].revents)
			return NULL;
		if (p[1].revents & POLLIN)
			serve_timer(vp);
		for (int i = 0; i < nq; i++)
			if (p[2 + i].revents & POLLIN)
				serve_queue(vp, i);
		if (vp->ops->poll_fd && (p[2 + nq].revents & POLLIN))
			serve_poll_fd(vp);
	}
}

/* ---- set-up ---- */

static void mem_from_vm(struct virtio_mem *m, struct vm *vm)
{
	memset(m, 0, sizeof(*m));
	virtio_mem__add(m, 0, vm->lowmem_size, vm->ram);
	if (vm->ram_size > vm->lowmem_size)
		virtio_mem__add(m, HIGH_MEM_START, vm->ram_size - vm->lowmem_size,
				vm->ram + vm->lowmem_size);
}

static void close_fds(struct virtio_pci *vp)
{
	for (int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		if (vp->q[i].kick_fd >= 0)
			close(vp->q[i].kick_fd);
	if (vp->stop_fd >= 0)
		close(vp->stop_fd);
	if (vp->timer_fd >= 0)
		close(vp->timer_fd);
}

static int open_fds(struct virtio_pci *vp)
{
	int nq = vp->ops->num_queues;

	vp->stop_fd = eventfd(0, EFD_CLOEXEC);
	vp->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	for (int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i].kick_fd = i < nq ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	if (vp->stop_fd < 0 || vp->timer_fd < 0)
		return -1;
	for (int i = 0; i < nq; i++)
		if (vp->q[i].kick_fd < 0)
			return -1;
	return 0;
}

static void pci_identity(struct virtio_pci *vp)
{
	const struct virtio_pci_ops *o = vp->ops;
	struct pci_device *pd = &vp->pci;

	pd->vendor_id = VIRTIO_PCI_VENDOR_ID;
	pd->device_id = VIRTIO_PCI_DEVICE_ID_BASE + o->device_id;
	pd->subsys_vendor_id = VIRTIO_PCI_VENDOR_ID;
	pd->subsys_id = VIRTIO_PCI_DEVICE_ID_BASE + o->device_id;
	pd->revision = VIRTIO_PCI_REVISION_MODERN;
	pd->class_code = o->class_code;
	pd->bar[VIRTIO_PCI_BAR] = (struct pci_bar){ .size = VIRTIO_PCI_BAR_SIZE };
	pd->bar_access = bar_access;
	pd->bar_changed = bar_moved;
	pd->msix_vectors = o->num_queues + 1; /* one per queue + config */
	pd->msix_bar = VIRTIO_PCI_MSIX_BAR;
	pd->opaque = vp;
}

int virtio_pci__init(struct virtio_pci *vp, const struct virtio_pci_ops *ops,
		     struct pci_bus *bus, void *dev, struct vm *vm,
		     const struct virtio_mem *mem)
{
	int err;

	memset(vp, 0, sizeof(*vp));
	vp->ops = ops;
	vp->dev = dev;
	vp->vm = vm;
	if (vm)
		mem_from_vm(&vp->mem, vm);
	else
		vp->mem = *mem;
	if (ops->num_queues < 1 || ops->num_queues > VIRTIO_PCI_MAX_QUEUES) {
		fprintf(stderr, "mkvm: %s: bad queue count %d\n", ops->name,
			ops->num_queues);
		return -1;
	}
	pthread_mutex_init(&vp->lock, NULL);
	if (open_fds(vp)) {
		fprintf(stderr, "mkvm: %s: eventfd or timerfd: %s\n", ops->name, strerror(errno));
		goto fail;
	}
	reset(vp);
	pci_identity(vp);
	if (pci__register(bus, &vp->pci) < 0 || add_caps(vp)) {
		fprintf(stderr, "mkvm: %s: no room on the PCI bus\n", ops->name);
		goto fail;
	}
	if ((err = pthread_create(&vp->worker, NULL, worker, vp))) {
		fprintf(stderr, "mkvm: %s: worker thread: %s\n", ops->name, strerror(err));
		goto fail;
	}
	return 0;
fail:
	close_fds(vp);
	return -1;
}

void virtio_pci__exit(struct virtio_pci *vp)
{
	uint64_t one = 1;

	if (write(vp->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(vp->worker, NULL);
	pthread_mutex_lock(&vp->lock);
	reset(vp);
	pthread_mutex_unlock(&vp->lock);
	close_fds(vp);
}
