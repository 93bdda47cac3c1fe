/* Kernel start: runs once on the boot CPU, then schedules forever. */
#include "kernel.h"

void kmain(uint32_t info_pa, uint32_t magic)
{
	console_init();
	kprintf("mkvm kernel starting\n");
	cpu_detect();
	bootinfo_parse(info_pa, magic);
	mem_init();
	cpu_init();    /* EFER.NXE before any NX page-table entry */
	paging_init();
	idt_init();
	pcid_init();
	syscall_init();
	fpu_init();
	acpi_init();
	lapic_init();
	ioapic_init();
	mapdb_init();
	loader_start_boot_tasks();
	sched_start();
}
