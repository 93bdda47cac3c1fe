/* What the probe guest (guest.S) and probe.c agree on. Included by both,
 * so only preprocessor definitions. */
#ifndef MKVM_PROBE_ABI_H
#define MKVM_PROBE_ABI_H

#define PROBE_PORT          0x510
#define PROBE_PCIDE_OK      0x01
#define PROBE_SYSCALL_OK    0x02
#define PROBE_FAULT         0x80
#define PROBE_DONE          0xff

#define PROBE_KERNEL_CS     0x08
#define PROBE_KERNEL_DS     0x10
#define PROBE_USER_DS       0x18
#define PROBE_USER_CS       0x20
#define PROBE_TSS_SEL       0x28

/* Guest physical (= virtual, identity mapped) layout of the probe VM. */
#define PROBE_CODE          0x1000
#define PROBE_GDT           0x2000
#define PROBE_IDT           0x3000
#define PROBE_TSS           0x4000
#define PROBE_PML4          0x5000
#define PROBE_PDPT          0x6000
#define PROBE_PD            0x7000
#define PROBE_KERNEL_STACK  0x9000
#define PROBE_USER_STACK    0xa000
#define PROBE_MEM_SIZE      0x10000

#define CR4_PCIDE           0x20000

#endif
