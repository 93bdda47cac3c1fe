/* The GSI routing table and MSI delivery; see irq.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "irq.h"
#include "vm.h"

static struct {
	pthread_mutex_t lock;         /* the table, and writes of sources' bindings */
	struct vm *vm;                /* NULL: no ioctls (unit tests) */
	atomic_bool irqfd;            /* false: KVM_SIGNAL_MSI for everything
	                               * (written under lock, read without) */
	char why_not[96];             /* why irqfd is off */
	struct irq_routes t;
	atomic_ullong nr_irqfd, nr_signal;
} irq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.why_not = "irq__init() was not called",
};

/* ---- the table ---- */

static void add_irqchip(struct irq_routes *t, uint32_t gsi, uint32_t chip, uint32_t pin)
{
	t->e[t->nr++] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = chip, .pin = pin },
	};
}

void irq_routes__init(struct irq_routes *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t gsi = 0; gsi < IRQ_LEGACY_GSIS; gsi++) {
		add_irqchip(t, gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < 16)
			add_irqchip(t, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					    KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	}
	t->next_gsi = IRQ_LEGACY_GSIS;
}

static struct kvm_irq_routing_msi msi_of(const struct msi_msg *m)
{
	return (struct kvm_irq_routing_msi){
		.address_lo = m->addr_lo, .address_hi = m->addr_hi, .data = m->data,
	};
}

int irq_routes__add_msi(struct irq_routes *t, const struct msi_msg *m)
{
	if (t->nr == IRQ_MAX_ROUTES)
		return -1;
	t->e[t->nr++] = (struct kvm_irq_routing_entry){
		.gsi = t->next_gsi, .type = KVM_IRQ_ROUTING_MSI, .u.msi = msi_of(m),
	};
	return (int)t->next_gsi++;
}

int irq_routes__set_msi(struct irq_routes *t, uint32_t gsi, const struct msi_msg *m)
{
	for (uint32_t i = 0; i < t->nr; i++) {
		if (t->e[i].gsi == gsi && t->e[i].type == KVM_IRQ_ROUTING_MSI) {
			t->e[i].u.msi = msi_of(m);
			return 0;
		}
	}
	return -1;
}

int irq_routes__lookup(const struct irq_routes *t, uint32_t gsi,
		       const struct kvm_irq_routing_entry **out, int max)
{
	int n = 0;

	for (uint32_t i = 0; i < t->nr && n < max; i++)
		if (t->e[i].gsi == gsi)
			out[n++] = &t->e[i];
	return n;
}

/* ---- talking to KVM (irq.lock held) ---- */

/* irqfd is off from now on, for reason; sources go to KVM_SIGNAL_MSI. */
static void irqfd_off(const char *what, int err)
{
	irq.irqfd = false;
	snprintf(irq.why_not, sizeof(irq.why_not), "%s: %s", what, strerror(err));
}

static int commit(void)
{
	size_t n = sizeof(struct kvm_irq_routing) +
		   irq.t.nr * sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *r;
	int rc;

	if (!irq.vm)
		return 0;
	r = calloc(1, n);
	if (!r) {
		irqfd_off("routing table", ENOMEM);
		return -1;
	}
	r->nr = irq.t.nr;
	memcpy(r->entries, irq.t.e, irq.t.nr * sizeof(r->entries[0]));
	rc = ioctl(irq.vm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	if (rc < 0)
		irqfd_off("KVM_SET_GSI_ROUTING", errno);
	return rc < 0 ? -1 : 0;
}

/* First route for s: a GSI, the table, an eventfd and KVM_IRQFD. */
static int msi_bind(struct irq_msi *s, const struct msi_msg *m)
{
	struct kvm_irqfd f = { 0 };
	int gsi = irq_routes__add_msi(&irq.t, m), fd;

	if (gsi < 0) {
		irqfd_off("GSI routing table", ENOSPC);
		return -1;
	}
	if (commit())
		return -1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		irqfd_off("eventfd", errno);
		return -1;
	}
	f.fd = (uint32_t)fd;
	f.gsi = (uint32_t)gsi;
	if (irq.vm && ioctl(irq.vm->vm_fd, KVM_IRQFD, &f) < 0) {
		irqfd_off("KVM_IRQFD", errno);
		close(fd);
		return -1;
	}
	s->gsi = gsi;
	s->fd = fd;
	s->msg = *m;
	return 0;
}

/* ---- the interface ---- */

void irq__init(struct vm *vm, bool use_irqfd)
{
	pthread_mutex_lock(&irq.lock);
	irq.vm = vm;
	irq_routes__init(&irq.t);
	irq.irqfd = use_irqfd;
	irq.why_not[0] = '\0';
	if (!use_irqfd)
		snprintf(irq.why_not, sizeof(irq.why_not), "--no-irqfd");
	else if (vm && ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		irqfd_off("KVM_CAP_IRQFD", EOPNOTSUPP);
	else if (vm && ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
		irqfd_off("KVM_CAP_IRQ_ROUTING", EOPNOTSUPP);
	pthread_mutex_unlock(&irq.lock);
}

void irq__msi_init(struct irq_msi *s)
{
	*s = (struct irq_msi){ .gsi = -1, .fd = -1 };
}

int irq__msi_route(struct irq_msi *s, const struct msi_msg *m)
{
	int rc = 0;

	pthread_mutex_lock(&irq.lock);
	if (!irq.irqfd) {
		rc = -1;
	} else if (s->gsi < 0) {
		rc = msi_bind(s, m);
	} else if (memcmp(&s->msg, m, sizeof(*m))) {
		rc = irq_routes__set_msi(&irq.t, (uint32_t)s->gsi, m) ? -1 : commit();
		if (rc == 0)
			s->msg = *m;
	}
	pthread_mutex_unlock(&irq.lock);
	return rc;
}

void irq__msi_send(struct irq_msi *s, const struct msi_msg *m)
{
	uint64_t one = 1;

	/* s was routed when its message was programmed or unmasked
	 * (irq__msi_route), so the hot path takes no lock and no ioctl */
	if (irq.irqfd && s->fd >= 0 && !memcmp(&s->msg, m, sizeof(*m)) &&
	    write(s->fd, &one, sizeof(one)) == sizeof(one)) {
		atomic_fetch_add(&irq.nr_irqfd, 1);
		return;
	}
	if (irq.vm) {
		struct kvm_msi msi = { .address_lo = m->addr_lo, .address_hi = m->addr_hi,
				       .data = m->data };

		ioctl(irq.vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	}
	atomic_fetch_add(&irq.nr_signal, 1);
}

uint64_t irq__irqfd_count(void)
{
	return atomic_load(&irq.nr_irqfd);
}

uint64_t irq__signal_msi_count(void)
{
	return atomic_load(&irq.nr_signal);
}

void irq__print_stats(FILE *out)
{
	pthread_mutex_lock(&irq.lock);
	fprintf(out, "mkvm: stats: MSI interrupts: irqfd %llu, KVM_SIGNAL_MSI %llu",
		(unsigned long long)irq__irqfd_count(),
		(unsigned long long)irq__signal_msi_count());
	if (!irq.irqfd)
		fprintf(out, " (irqfd off: %s)", irq.why_not);
	fprintf(out, "\n");
	pthread_mutex_unlock(&irq.lock);
}

void irq__routes(struct irq_routes *out)
{
	pthread_mutex_lock(&irq.lock);
	*out = irq.t;
	pthread_mutex_unlock(&irq.lock);
}
