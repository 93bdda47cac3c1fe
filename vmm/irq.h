/* Interrupt routing: the VM's one GSI routing table, and MSI delivery by
 * irqfd (KVM API 4.75 KVM_IRQFD, 4.52 KVM_SET_GSI_ROUTING).
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so the table lives here and
 * nowhere else: it starts as the routes KVM_CREATE_IRQCHIP installs (GSIs
 * 0-15 to the IOAPIC pin and to the 8259 pin, 16-23 to the IOAPIC only:
 * the serial port's KVM_IRQ_LINE and the in-kernel PIT go through them) and
 * gains one KVM_IRQ_ROUTING_MSI entry per MSI source in use, from GSI 24 up.
 *
 * An MSI source (a struct irq_msi, one per MSI-X vector) gets a GSI and an
 * eventfd bound to it with KVM_IRQFD the first time it is routed; from then
 * on an interrupt is one write() to that eventfd and KVM injects it. When
 * the host has no irqfd or routing (or --no-irqfd), or a route cannot be
 * set, the source is sent with KVM_SIGNAL_MSI instead; the counters tell
 * which path ran (mkvm --stats).
 *
 * The state is a struct irq_router, one per VM (struct vm's irq). Without
 * a VM (irq__init(r, NULL, true), the unit tests) everything but the
 * ioctls happens: GSIs are allocated, the table is kept, eventfds are
 * written, so a test can read them. */
#ifndef MKVM_IRQ_H
#define MKVM_IRQ_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define IRQ_LEGACY_GSIS  24           /* IOAPIC pins; MSI GSIs start here */
#define IRQ_MAX_ROUTES   256

struct vm;

struct msi_msg {
	uint32_t addr_lo, addr_hi, data;
};

/* The routing table, kept in the layout KVM_SET_GSI_ROUTING takes. */
struct irq_routes {
	uint32_t nr;
	uint32_t next_gsi;
	struct kvm_irq_routing_entry e[IRQ_MAX_ROUTES];
};

/* KVM's default routes for the in-kernel PIC and IOAPIC. */
void irq_routes__init(struct irq_routes *t);

/* A new GSI routed to m: the GSI, or -1 when the table is full. */
int irq_routes__add_msi(struct irq_routes *t, const struct msi_msg *m);

/* Points MSI GSI gsi at m; -1 when gsi is not an MSI route of t. */
int irq_routes__set_msi(struct irq_routes *t, uint32_t gsi, const struct msi_msg *m);

/* The entries for gsi: up to max of them into out; returns how many. */
int irq_routes__lookup(const struct irq_routes *t, uint32_t gsi,
		       const struct kvm_irq_routing_entry **out, int max);

/* The VM's routing and how its MSIs travel. Zeroed (with an initialised
 * lock) until irq__init(), it sends everything by KVM_SIGNAL_MSI. */
struct irq_router {
	pthread_mutex_t lock;         /* the table, and writes of sources' bindings */
	bool ready;                   /* lock initialised */
	struct vm *vm;                /* NULL: no ioctls (unit tests) */
	atomic_bool irqfd;            /* false: KVM_SIGNAL_MSI for everything
	                               * (written under lock, read without) */
	char why_not[96];             /* why irqfd is off */
	struct irq_routes t;
	atomic_ullong nr_irqfd, nr_signal;
};

/* One MSI source. gsi and fd are -1 until the source is first routed. */
struct irq_msi {
	struct irq_router *router;
	int gsi;
	int fd;                       /* eventfd bound to gsi by KVM_IRQFD */
	struct msi_msg msg;           /* what gsi is routed to */
};

/* Sets r up for vm: KVM's default routes, and checks KVM_CAP_IRQFD and
 * KVM_CAP_IRQ_ROUTING (vm may be NULL, see above); use_irqfd false forces
 * KVM_SIGNAL_MSI. Call before any device sends an interrupt. Never fails:
 * without irqfd, KVM_SIGNAL_MSI. */
void irq__init(struct irq_router *r, struct vm *vm, bool use_irqfd);

/* A source of r's, not routed yet. */
void irq__msi_init(struct irq_msi *s, struct irq_router *r);

/* Makes s's GSI route to m (allocating GSI and eventfd the first time,
 * committing the table when it changed). Returns 0, or -1 when s must be
 * sent with KVM_SIGNAL_MSI. Callers serialise calls for one source. */
int irq__msi_route(struct irq_msi *s, const struct msi_msg *m);

/* Raises m from source s: a write to its eventfd when irq__msi_route()
 * routed s to m, else KVM_SIGNAL_MSI. Serialised with irq__msi_route() for
 * s by the caller, like it. */
void irq__msi_send(struct irq_msi *s, const struct msi_msg *m);

/* Counters since start. */
uint64_t irq__irqfd_count(struct irq_router *r);
uint64_t irq__signal_msi_count(struct irq_router *r);

/* One line on out: interrupts sent by each path, and why not irqfd. */
void irq__print_stats(struct irq_router *r, FILE *out);

/* For tests: a copy of the current table. */
void irq__routes(struct irq_router *r, struct irq_routes *out);

#endif
