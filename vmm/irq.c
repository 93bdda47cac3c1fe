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

/* ---- talking to KVM (r->lock held) ---- */

/* irqfd is off from now on, for reason; sources go to KVM_SIGNAL_MSI. */
static void irqfd_off(struct irq_router *r, const char *what, int err)
{
	r->irqfd = false;
	snprintf(r->why_not, sizeof(r->why_not), "%s: %s", what, strerror(err));
}

static int commit(struct irq_router *r)
{
	size_t n = sizeof(struct kvm_irq_routing) +
		   r->t.nr * sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *tab;
	int rc;

	if (!r->vm)
		return 0;
	tab = calloc(1, n);
	if (!tab) {
		irqfd_off(r, "routing table", ENOMEM);
		return -1;
	}
	tab->nr = r->t.nr;
	memcpy(tab->entries, r->t.e, r->t.nr * sizeof(tab->entries[0]));
	rc = ioctl(r->vm->vm_fd, KVM_SET_GSI_ROUTING, tab);
	free(tab);
	if (rc < 0)
		irqfd_off(r, "KVM_SET_GSI_ROUTING", errno);
	return rc < 0 ? -1 : 0;
}

/* First route for s: a GSI, the table, an eventfd and KVM_IRQFD. */
static int msi_bind(struct irq_router *r, struct irq_msi *s, const struct msi_msg *m)
{
	struct kvm_irqfd f = { 0 };
	int gsi = irq_routes__add_msi(&r->t, m), fd;

	if (gsi < 0) {
		irqfd_off(r, "GSI routing table", ENOSPC);
		return -1;
	}
	if (commit(r))
		return -1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		irqfd_off(r, "eventfd", errno);
		return -1;
	}
	f.fd = (uint32_t)fd;
	f.gsi = (uint32_t)gsi;
	if (r->vm && ioctl(r->vm->vm_fd, KVM_IRQFD, &f) < 0) {
		irqfd_off(r, "KVM_IRQFD", errno);
		close(fd);
		return -1;
	}
	s->gsi = gsi;
	s->fd = fd;
	s->msg = *m;
	return 0;
}

/* ---- the interface ---- */

void irq__init(struct irq_router *r, struct vm *vm, bool use_irqfd)
{
	if (!r->ready) {
		pthread_mutex_init(&r->lock, NULL);
		r->ready = true;
	}
	pthread_mutex_lock(&r->lock);
	r->vm = vm;
	irq_routes__init(&r->t);
	r->irqfd = use_irqfd;
	r->why_not[0] = '\0';
	if (!use_irqfd)
		snprintf(r->why_not, sizeof(r->why_not), "--no-irqfd");
	else if (vm && ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		irqfd_off(r, "KVM_CAP_IRQFD", EOPNOTSUPP);
	else if (vm && ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
		irqfd_off(r, "KVM_CAP_IRQ_ROUTING", EOPNOTSUPP);
	pthread_mutex_unlock(&r->lock);
}

void irq__msi_init(struct irq_msi *s, struct irq_router *r)
{
	*s = (struct irq_msi){ .router = r, .gsi = -1, .fd = -1 };
}

int irq__msi_route(struct irq_msi *s, const struct msi_msg *m)
{
	struct irq_router *r = s->router;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->irqfd) {
		rc = -1;
	} else if (s->gsi < 0) {
		rc = msi_bind(r, s, m);
	} else if (memcmp(&s->msg, m, sizeof(*m))) {
		rc = irq_routes__set_msi(&r->t, (uint32_t)s->gsi, m) ? -1 : commit(r);
		if (rc == 0)
			s->msg = *m;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void irq__msi_send(struct irq_msi *s, const struct msi_msg *m)
{
	struct irq_router *r = s->router;
	uint64_t one = 1;

	/* s was routed when its message was programmed or unmasked
	 * (irq__msi_route), so the hot path takes no lock and no ioctl */
	if (r->irqfd && s->fd >= 0 && !memcmp(&s->msg, m, sizeof(*m)) &&
	    write(s->fd, &one, sizeof(one)) == sizeof(one)) {
		atomic_fetch_add(&r->nr_irqfd, 1);
		return;
	}
	if (r->vm) {
		struct kvm_msi msi = { .address_lo = m->addr_lo, .address_hi = m->addr_hi,
				       .data = m->data };

		ioctl(r->vm->vm_fd, KVM_SIGNAL_MSI, &msi);
	}
	atomic_fetch_add(&r->nr_signal, 1);
}

uint64_t irq__irqfd_count(struct irq_router *r)
{
	return atomic_load(&r->nr_irqfd);
}

uint64_t irq__signal_msi_count(struct irq_router *r)
{
	return atomic_load(&r->nr_signal);
}

void irq__print_stats(struct irq_router *r, FILE *out)
{
	pthread_mutex_lock(&r->lock);
	fprintf(out, "mkvm: stats: MSI interrupts: irqfd %llu, KVM_SIGNAL_MSI %llu",
		(unsigned long long)irq__irqfd_count(r),
		(unsigned long long)irq__signal_msi_count(r));
	if (!r->irqfd)
		fprintf(out, " (irqfd off: %s)", r->why_not);
	fprintf(out, "\n");
	pthread_mutex_unlock(&r->lock);
}

void irq__routes(struct irq_router *r, struct irq_routes *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->t;
	pthread_mutex_unlock(&r->lock);
}
