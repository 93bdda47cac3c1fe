/* The IDT and the dispatch of exceptions and interrupts. Faults in user
 * mode become IPC (fault.c); faults in kernel mode are kernel bugs. */
#include "kernel.h"

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, flags;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[256];

static void idt_set(int v, uint64_t handler, int ist, int dpl)
{
	idt[v] = (struct idt_entry){
		.off0 = handler & 0xffff, .sel = SEL_KCODE, .ist = ist,
		.flags = 0x8e | dpl << 5,    /* present, interrupt gate */
		.off1 = (handler >> 16) & 0xffff, .off2 = handler >> 32,
	};
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		idt_set(v, isr_table[v], 0, 0);
	idt_set(8, isr_table[8], 1, 0);  /* #DF */
	idt_set(2, isr_table[2], 2, 0);  /* NMI */
	idt_set(18, isr_table[18], 3, 0); /* #MC */
	/* int3 and int $4 (into is #UD in 64-bit mode) may be raised by user
	 * mode: #BP and #OF, delivered as exception IPC like any other */
	idt_set(3, isr_table[3], 0, 3);
	idt_set(4, isr_table[4], 0, 3);
	struct { uint16_t lim; uint64_t base; } __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" :: "m"(idtr));
}

/* A kernel stack ran off its end into the guard below it (paging.c): the
 * push faulted, so did pushing the #PF frame, and this is the #DF on its
 * own IST stack (or the #PF, had its frame still fit). CR2 holds the
 * address in the guard, which names the thread. */
static void check_stack_overflow(const struct trapframe *f, uint64_t cr2)
{
	int slot = f->vector == 8 || f->vector == 14 ? kstack_guard_slot(cr2) : -1;
	if (slot < 0)
		return;
	panic("kernel stack overflow in thread %lx%s: %lu KiB used up, guard hit at %lx "
	      "(exception %lu, rip %lx, rsp %lx)",
	      slot == KSTACK_IDLE_SLOT ? 0 : tcbs[slot].tid,
	      slot == KSTACK_IDLE_SLOT ? " (the idle thread)" : "",
	      (uint64_t)KSTACK_SIZE >> 10, cr2, f->vector, f->rip, f->rsp);
}

static _Noreturn void kernel_fault(struct trapframe *f)
{
	check_stack_overflow(f, read_cr2());
	panic("kernel exception %lu error %lx at rip %lx rsp %lx cr2 %lx (thread %lx)",
	      f->vector, f->error, f->rip, f->rsp, read_cr2(),
	      current() ? current()->tid : 0);
}

/* Is this exception vector's entry an external interrupt a device was
 * told to send there (an MSI or IOAPIC entry can name any vector)? The
 * frame says so for the vectors with an error code (entry.S); for the
 * others, the local APIC has the vector in service. #NM and #PF, which
 * are frequent, are not checked against the APIC: an interrupt on #NM
 * only switches the FPU, and the APIC refuses vectors below 16 anyway. */
static bool external_interrupt(const struct trapframe *f)
{
	if (f->error == TRAP_NO_ERROR_CODE)
		return true;
	return f->vector != 7 && f->vector != 14 && lapic_in_service((unsigned)f->vector);
}

/* An interrupt on an exception vector is acknowledged and dropped, never
 * taken for the exception (which would panic the kernel or punish the
 * thread that happened to run); it is reported once. */
static void drop_external_interrupt(const struct trapframe *f)
{
	static bool reported;
	if (!reported) {
		reported = true;
		kprintf("trap: an external interrupt on exception vector %lu: dropped (reported once)\n",
			f->vector);
	}
	lapic_eoi();
}

void trap_dispatch(struct trapframe *f)
{
	/* an interrupt gate clears NT but not AC: a user's AC must not lift
	 * SMAP in the kernel (the frame keeps it for the return) */
	if (feat.smap)
		clac();
	bool user = (f->cs & 3) == 3;
	uint64_t v = f->vector;
	if (v < 32 && external_interrupt(f)) {
		drop_external_interrupt(f);
		return;
	}
	if (v == 3 && !user && f->rip == (uint64_t)mkvm_kdebug_named + 1) {
		/* a debugger's int3 on the hook's nop that reached the kernel
		 * (its VMM does not intercept #BP): as the nop, done */
		kdebug_bp_passed++;
	} else if (v == 7) {
		fpu_trap();
	} else if (v == 14 && user && (f->error & L4_PF_ERROR_PK)) {
		fault_protection_key(f, read_cr2());   /* no pager can resolve it */
	} else if (v == 14 && user) {
		fault_page(f, read_cr2());
	} else if (v < 32) {
		if (!user || v == 2 || v == 18)      /* NMI, machine check: not the thread's */
			kernel_fault(f);
		fault_exception(f);
	} else if (v == TIMER_VECTOR) {
		lapic_timer_rearm();
		lapic_eoi();
		sched_tick();
	} else if (v >= IRQ_VECTOR_BASE && v < IRQ_VECTOR_BASE + L4_NIRQ) {
		irq_raise(v - IRQ_VECTOR_BASE);
		lapic_eoi();
	} else if (v >= MSI_VECTOR_BASE && v < MSI_VECTOR_BASE + L4_NMSI) {
		irq_raise(L4_NIRQ + v - MSI_VECTOR_BASE);
		lapic_eoi();
	} else if (v != SPURIOUS_VECTOR) {
		kprintf("trap: unexpected vector %lu\n", v);
	}
	/* an interrupt at a preemption point only marks the switch; the
	 * system call stops and schedules itself (the idle thread has nothing
	 * to finish) */
	if (this_cpu()->need_resched && (user || current() == this_cpu()->idle))
		schedule();
}
