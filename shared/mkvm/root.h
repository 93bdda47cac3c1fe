/* The root task's protocol: what a program may ask of the root task, which
 * loaded it, pages it, hands it its resources and restarts it.
 *
 * Every program runs in a space of its own, from its own ELF in the boot
 * module, started as one line of the boot configuration (boot.cfg in the
 * module; docs/ARCHITECTURE.md). Its first thread starts at the ELF entry
 * with rdi = MKVM_PROG_INFO, a read-only page (struct mkvm_prog_info), and
 * a stack below MKVM_PROG_STACK_TOP whose lowest page is an unmapped guard.
 * The root task is its pager and exception handler: text is mapped
 * read-execute and read-only data read-only, both from frames every
 * instance of the same ELF shares; a data page is that shared frame,
 * read-only, until the program's first write to it, which gives it a
 * private read-write non-executable copy (copy-on-write, docs/cow.md);
 * bss, stack and [heap_base, heap_end) are fresh zeroed pages on first
 * touch; a program given persist=N has a region of N pages at
 * MKVM_PERSIST_BASE whose faults the root task passes on to the
 * persistence server, mapping on what it maps (shared/mkvm/persist.h).
 * A fault anywhere else, or any exception, ends the program; the
 * root task then starts it again if its configuration line says so.
 * A page a program maps on to another space read-write must have been
 * written first (lib/clients.c does), or the other space gets it
 * read-only.
 *
 * Requests are calls to info->root (MR0's label below); the reply's label
 * is MKVM_ROOT_OK or MKVM_ROOT_ERROR with MR1 = MKVM_ROOT_E*:
 *   MKVM_ROOT_REGISTER  MR1..MR3 = name (up to 24 bytes, NUL-padded): the
 *                       caller's thread serves that name from now on. A
 *                       program may register only the names its
 *                       configuration line gives it (its own name by
 *                       default).
 *   MKVM_ROOT_LOOKUP    MR1..MR3 = name. Reply MR1 = the thread serving it.
 *                       MKVM_ROOT_EAGAIN: the program that will serve it is
 *                       starting (or restarting); ask again later.
 *                       MKVM_ROOT_ENOENT: no program serves that name.
 *   MKVM_ROOT_DMA       no words. Reply MR1 = the physical address of a
 *                       fresh zeroed page, with a map item (read-write)
 *                       that lands at MKVM_DMA_VA(MR1) when the caller's
 *                       acceptor is L4_COMPLETE. Counts against the
 *                       program's page limit. Only for programs given `dma`.
 *   MKVM_ROOT_MAP       MR1 = an fpage of device memory or I/O ports. Reply:
 *                       its map item (landing at the physical address, or
 *                       the ports), if the configuration gives the program
 *                       that range; MKVM_ROOT_EPERM otherwise.
 *   MKVM_ROOT_PCI_CHECK MR1 = a thread, MR2 = vendor | device << 16: may that
 *                       thread's program drive that PCI function? OK or
 *                       MKVM_ROOT_EPERM. An OK for a program given
 *                       `irq=msi` carries MR1/MR2 = the address and data of
 *                       its MSI line (as in its info page), for the bus
 *                       server to write into its device's MSI-X entries; an
 *                       OK without them has no words. Only for the program
 *                       given `pci-admin` (the PCI bus server, before a
 *                       claim and before it programs an MSI-X entry).
 *   MKVM_ROOT_EXIT      MR1 = status: the program ends (no reply).
 *   MKVM_ROOT_COPY      MR1 = ip, MR2 = sp, MR3 = rdi: a copy of the
 *                       caller's space (the fork pattern): a new space with
 *                       every page the caller has, both sharing each frame
 *                       copy-on-write (mapped read-only in both, the
 *                       caller's write right taken away too from what it
 *                       mapped on; the first write in either copies that
 *                       page), and one thread started at ip with sp and
 *                       rdi. Reply MR1 = that thread (its space's id). Not
 *                       copied: DMA pages, devices, the MSI line, names
 *                       (the copy may register none) and the right to copy
 *                       again. Only for programs given `fork`;
 *                       MKVM_ROOT_ENOMEM when 8 copies live already.
 * Only for a program given `supervise` (the test suite):
 *   MKVM_ROOT_CRASH     MR1..MR3 = a program's name, MR4 = MKVM_CRASH_*:
 *                       the root task asks the thread serving that name to
 *                       fault on purpose (MKVM_PROG_CRASH below).
 *   MKVM_ROOT_RUN       MR1..MR3 = the name of a program that is not
 *                       running, MR4..MR7 = an argument (up to 31 bytes):
 *                       starts it with that argument.
 *   MKVM_ROOT_ENDS      MR1..MR3 = a program's name. Reply MR1 = how often
 *                       it has ended, MR2 = how the last time (MKVM_END_*),
 *                       MR3 = the fault address, MR4 = its exit status.
 *   MKVM_ROOT_FRAME     MR1 = a program's space (its first thread), MR2 = a
 *                       virtual address: what its pager holds there. Reply
 *                       MR1 = the frame (physical address; 0: none yet),
 *                       MR2 = MKVM_FRAME_*, MR3 = how many spaces share it
 *                       copy-on-write (1 for its own frame), MR4 = the
 *                       frames the program holds (its own and copy-on-write;
 *                       its image's are not counted), MR5 = how many pages
 *                       were copied for its writes, MR6 = the frames its
 *                       ELF's image holds (shared by every instance),
 *                       MR7 = the rights its pager maps that page with
 *                       (L4_R/W/X; 0: none of its memory).
 *
 * The root task's main thread answers the program called "shell", and no
 * other, with no words: MKVM_SHELL_THREADS: MR1 = n, MR2.. = n (thread,
 * space) pairs, the root task's threads and the programs'; MKVM_SHELL_BENCH:
 * runs the kernel microbenchmarks, then replies; MKVM_SHELL_EXIT: powers
 * off through isa-debug-exit (no reply); MKVM_SHELL_CRASH, MR1..MR3 = a
 * program's name, MR4 = MKVM_CRASH_*: as MKVM_ROOT_CRASH.
 *
 * A program's server thread obeys one message from the root task's server
 * thread alone: MKVM_PROG_CRASH, MR1 = MKVM_CRASH_WILD (a write to an
 * unmapped address) or MKVM_CRASH_NULL (a null pointer dereference). */
#ifndef MKVM_ROOT_H
#define MKVM_ROOT_H

#include <stdint.h>

#define MKVM_ROOT_REGISTER 0xa01
#define MKVM_ROOT_LOOKUP   0xa02
#define MKVM_ROOT_DMA      0xa03
#define MKVM_ROOT_MAP      0xa04
#define MKVM_ROOT_EXIT     0xa05
#define MKVM_ROOT_PCI_CHECK 0xa06
#define MKVM_ROOT_CRASH    0xa07
#define MKVM_ROOT_RUN      0xa08
#define MKVM_ROOT_ENDS     0xa0a
#define MKVM_ROOT_COPY     0xa0b
#define MKVM_ROOT_FRAME    0xa0c
#define MKVM_PROG_CRASH    0xa09
#define MKVM_SHELL_THREADS 0x861
#define MKVM_SHELL_BENCH   0x862
#define MKVM_SHELL_EXIT    0x863
#define MKVM_SHELL_CRASH   0x864
#define MKVM_CRASH_WILD    1
#define MKVM_CRASH_NULL    2
#define MKVM_ROOT_OK       0
#define MKVM_ROOT_ERROR    0xa0f

/* MKVM_ROOT_FRAME: what a program's page is. */
#define MKVM_FRAME_NONE    0    /* nothing there yet */
#define MKVM_FRAME_PRIVATE 1    /* a frame of its own */
#define MKVM_FRAME_IMAGE   2    /* its ELF's frame, shared read-only by every instance */
#define MKVM_FRAME_COW     3    /* shared with a space copy until a write copies it */

/* How a program ended. */
#define MKVM_END_EXIT      0    /* it asked to (MKVM_ROOT_EXIT) */
#define MKVM_END_FAULT     1    /* a page fault outside its memory */
#define MKVM_END_WRITE_RO  2    /* a write to its text or read-only data */
#define MKVM_END_EXEC_NX   3    /* an instruction fetch from a non-executable page */
#define MKVM_END_LIMIT     4    /* a page past its limit */
#define MKVM_END_EXCEPTION 5    /* a processor exception */
#define MKVM_END_CRASHED   6    /* it could not be started */
#define MKVM_END_KMEM      7    /* its kernel memory limit was reached (kmem=) */
#define MKVM_END_NOMEM     8    /* a page it needed found no free frame */
#define MKVM_END_ZONE_CODE 9    /* a zone program's code page writes PKRU (mkvm/zone.h) */

#define MKVM_ROOT_EINVAL 1      /* malformed request */
#define MKVM_ROOT_ENOENT 2      /* no such name */
#define MKVM_ROOT_EAGAIN 3      /* its server is starting: ask again */
#define MKVM_ROOT_EPERM  4      /* not given to this program */
#define MKVM_ROOT_ENOMEM 5      /* the program's page limit is reached, or no memory left */

#define MKVM_NAME_MAX 24        /* bytes of a name, NUL-padded in three words */

/* A program's virtual layout (every program the same; spaces are apart). */
#define MKVM_PROG_INFO      0x1000ull       /* struct mkvm_prog_info, read-only */
#define MKVM_PROG_UTCB      0x2000ull       /* the first thread's UTCB */
#define MKVM_PROG_BASE      0x400000ull     /* programs' link address */
#define MKVM_PROG_STACK_TOP 0x7fff00000000ull
#define MKVM_PROG_STACK_MAX (64ull << 10)   /* below it: the guard page */
#define MKVM_PROG_HEAP_MAX  (64ull << 20)
#define MKVM_DMA_OFFSET     (1ull << 40)    /* DMA pages: virtual = this + physical */
#define MKVM_DMA_VA(pa)     (MKVM_DMA_OFFSET + (pa))

/* What a program learns at its start (the page at MKVM_PROG_INFO). */
struct mkvm_prog_info {
	uint64_t root;          /* the root task's server thread */
	uint64_t heap_base, heap_end;
	uint64_t irq_line;      /* its interrupt (L4_IRQ_TID(irq_line)), if given */
	uint64_t msi_addr, msi_data;    /* for an MSI line: what the device sends */
	uint64_t flags;         /* MKVM_PROG_HAS_IRQ */
	uint64_t instance;      /* 1 at the first start, +1 at each restart */
	uint64_t ecam;          /* PCI ECAM of segment 0, for a program given `ecam` */
	char name[MKVM_NAME_MAX];
	char args[256];         /* the rest of its configuration line's arguments */
	char cmdline[256];      /* the kernel command line */
};
#define MKVM_PROG_HAS_IRQ 1

#endif
