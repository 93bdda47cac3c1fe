/* The mkvm microkernel's system-call ABI, shared by the kernel and user code.
 *
 * Entry is SYSCALL only. Registers on entry:
 *   rax  system call number (L4_SYS_*)
 *   rdi, rsi, rdx  arguments 0..2
 *   r8, r9, r10, r12  message registers MR0..MR3 for IPC (else arguments 3..6)
 * On return rax holds an L4_E* result (0 = success) and, for IPC, rsi the
 * sender's thread id, rdx the id of the sender's space (the id of the
 * thread it was created with; 0 for an interrupt), which no sender can
 * forge, and r8, r9, r10, r12 the received MR0..MR3. rcx and r11 are
 * destroyed (SYSCALL/SYSRET use them), and rdx by an IPC; every other
 * register is preserved.
 * Message registers MR4..MR63 live in the thread's UTCB.
 */
#ifndef MKVM_ABI_H
#define MKVM_ABI_H

#include <stdint.h>

/* System calls. */
#define L4_SYS_IPC            0 /* to, from-spec, timeouts; MR0..MR3 */
#define L4_SYS_THREAD_CONTROL 1 /* dest, space, pager, utcb address, exception
                                  handler (r9; nil = the pager), flags (r10,
                                  L4_TC_*), for a new space its limit of
                                  kernel pages (r12; 0: none of its own)
                                  (privileged: only on spaces the caller
                                  controls, see below) */
#define L4_SYS_UNMAP          2 /* fpage, L4_UNMAP_* flags, rdx 0 (see below) */
#define L4_SYS_EXREGS         3 /* dest (same space), ip, sp; returns old ip, sp */
#define L4_SYS_THREAD_SWITCH  4 /* donate the rest of the time slice to dest or nil */
#define L4_SYS_SCHEDULE       5 /* dest, priority, time slice ticks (privileged) */
#define L4_SYS_IRQ_CONTROL    6 /* irq line, L4_IRQ_* operation */
#define L4_SYS_KDB_WRITE      7 /* user buffer, length (at most 4096): kernel debug
                                  console; returns rdi, rsi advanced past what was written */
#define L4_SYS_KINFO          8 /* returns L4_KINFO_* flags in rdi, tick length (us)
                                  in rsi, system clock (us since boot) in rdx */
#define L4_SYS_DEBUG_NAME     9 /* dest, name bytes 0..7 (rsi), 8..15 (rdx): what
				  debuggers call the thread (privileged, a
				  thread of a space the caller controls) */
#define L4_SYS_ZONE_CONTROL  10 /* space (a thread of it), entry (0..L4_ZONE_ENTRIES-1),
				  ip, PKRU (r8), sp (r9): registers a zone entry of
				  a space the caller controls (privileged; see below) */
#define L4_SYS_ZONE_CALL     11 /* entry (1..), rsi, rdx, r8: enters that entry of the
				  caller's space; returns rdi = its result */
#define L4_SYS_ZONE_RETURN   12 /* result: back from the innermost zone call */
#define L4_SYS_COUNT          13

/* Results. Errors found in the receive phase of an IPC have L4_E_RECV set. */
#define L4_OK         0
#define L4_EINVAL     1 /* malformed argument */
#define L4_ENOPARTNER 2 /* no such thread (or stale id) */
#define L4_ETIMEOUT   3
#define L4_EPERM      4 /* caller is not privileged for this */
#define L4_ENOMEM     5 /* kernel memory exhausted */
#define L4_ECANCELED  6 /* partner vanished while the IPC was in progress */
#define L4_EMSG       7 /* message or map item rejected */
#define L4_E_RECV     0x100

/* Thread ids: thread number in bits 63..16, version in 15..0. Version 0 is
 * never used, so no valid id is 0; a thread re-created in the same slot gets
 * a new version and a stale id no longer names it. */
#define L4_NILTHREAD  0ull
#define L4_ANYTHREAD  (~0ull)
#define L4_TID(num, ver) (((uint64_t)(num) << 16) | ((ver) & 0xffff))
#define L4_TID_NUM(t)  ((t) >> 16)
#define L4_TID_VER(t)  ((t) & 0xffff)

/* Interrupts are threads 0..L4_NIRQ+L4_NMSI-1 with version 1: an interrupt
 * message arrives "from" L4_IRQ_TID(line). Lines 0..L4_NIRQ-1 are IOAPIC
 * inputs (ISA IRQs follow the ACPI overrides); the next L4_NMSI are MSI
 * vectors handed out by L4_IRQ_ATTACH_MSI. */
#define L4_NIRQ        24
#define L4_NMSI        8
#define L4_IRQ_TID(n)  L4_TID((n), 1)
#define L4_SIGMA0_TID  L4_TID(32, 1)
#define L4_ROOT_TID    L4_TID(33, 1)

/* Timeouts (rdx of IPC): send timeout in bits 63..32, receive in 31..0,
 * each in microseconds; 0 = zero timeout (fail at once), all ones = never. */
#define L4_NEVER       0xffffffffu
#define L4_TIMEOUTS(snd, rcv) (((uint64_t)(snd) << 32) | (uint32_t)(rcv))

/* MR0, the message tag: label in 63..16, typed words in 11..6, untyped
 * words in 5..0. Untyped words come first (MR1..MRu), then typed items. */
#define L4_TAG(label, u, t) (((uint64_t)(label) << 16) | (((t) & 63) << 6) | ((u) & 63))
#define L4_TAG_LABEL(tag)   ((tag) >> 16)
#define L4_TAG_U(tag)       ((tag) & 63)
#define L4_TAG_T(tag)       (((tag) >> 6) & 63)
#define L4_NMR              64

/* Labels of messages the kernel sends on a thread's behalf. */
#define L4_LABEL_PAGEFAULT (0xffe) /* MR1 fault address | access, MR2 ip */
#define L4_LABEL_EXCEPTION (0xffc) /* see below */
#define L4_LABEL_INTERRUPT (0xfff) /* from L4_IRQ_TID(line); no words */
/* Labels the kernel reserves for its own messages: a thread's IPC carrying
 * one fails with L4_EMSG, so a receiver can trust them. */
#define L4_LABEL_KERNEL_MIN (0xff0)

/* The exception message (also for a page fault the pager left unresolved):
 * MR1 vector, MR2 error code, MR3 ip, MR4 sp, MR5 rflags, MR6..MR20 rax,
 * rbx, rcx, rdx, rsi, rdi, rbp, r8..r15, MR21 the fault address (vector 14)
 * or 0. The handler's reply resumes the thread: two words set ip and sp;
 * L4_EXC_REPLY_WORDS words set ip, sp, rflags (arithmetic flags, TF, DF,
 * NT, AC, ID) and the 15 registers in the same order. Any other reply, or
 * none, ends the thread. */
#define L4_EXC_GPRS        15
#define L4_EXC_WORDS       (5 + L4_EXC_GPRS + 1)
#define L4_EXC_REPLY_WORDS (3 + L4_EXC_GPRS)

/* Access bits: fpage rights, and the low bits of a page-fault address. */
#define L4_X 1
#define L4_W 2
#define L4_R 4
#define L4_RWX 7

/* Flexpage: a 2^s aligned region (s >= 12) with rights.
 *   base (bits 63..12, aligned to 2^s) | s (bits 9..4) | type (bit 3) | rights (2..0)
 * type 1 is an I/O-port fpage: port in bits 31..16, s = log2 of the port count. */
#define L4_FPAGE(base, s, rights) \
	(((uint64_t)(base) & ~0xfffull) | (((uint64_t)(s) & 63) << 4) | ((rights) & 7))
#define L4_IOFPAGE(port, s) \
	((((uint64_t)(port) & 0xffff) << 16) | (((uint64_t)(s) & 63) << 4) | 8 | L4_RWX)
#define L4_FPAGE_BASE(f)   ((f) & ~0xfffull)
#define L4_FPAGE_SIZE(f)   (((f) >> 4) & 63)
#define L4_FPAGE_RIGHTS(f) ((f) & 7)
#define L4_FPAGE_IS_IO(f)  (((f) >> 3) & 1)
#define L4_FPAGE_PORT(f)   (((f) >> 16) & 0xffff)
#define L4_COMPLETE        L4_FPAGE(0, 47, L4_RWX) /* the whole user half */

/* Typed item (two message words): map or grant fpage.
 *   word 0: send base ("hot spot", page aligned) | L4_ITEM_MAP or L4_ITEM_GRANT
 *   word 1: the sender's fpage */
#define L4_ITEM_MAP   0x8
#define L4_ITEM_GRANT 0xa
/* A map or grant item's word 0 may carry a protection key (bits 7..4) for
 * the pages it maps, where the CPU has PKU (L4_KINFO_PKU; else a nonzero
 * key is L4_EMSG). A page that already has a key keeps it in every
 * mapping made from it: only a mapping of a key-0 page chooses one. */
#define L4_ITEM_KEY(k) (((uint64_t)(k) & 15) << 4)
#define L4_ITEM_KEY_OF(w) (((w) >> 4) & 15)
/* One item moves at most 2^L4_MAP_MAX_LOG2 bytes (4 MiB): when both the
 * sender's fpage and the receive window are larger, the item is L4_EMSG. */
#define L4_MAP_MAX_LOG2 22

/* L4_SYS_THREAD_CONTROL: a privileged space controls the spaces it
 * creates and, through them, theirs; it may create and delete threads,
 * set priorities and attach interrupts only there (and in itself). With
 * L4_TC_PRIVILEGED a new space is privileged too (within what it creates).
 * Kernel memory used on a space's behalf (its threads' kernel stacks and
 * UTCBs, its page tables, its I/O bitmap) counts against its limit and
 * every limit of the spaces above it; past one, the operation that needed
 * the memory fails with L4_ENOMEM (a map item: the IPC fails). */
#define L4_TC_PRIVILEGED 1
/* With L4_TC_WHOLE_SPACE, deleting a thread deletes every thread of its
 * space and of the spaces that space controls. */
#define L4_TC_WHOLE_SPACE 2

/* Zones (docs/zones.md): with PKU, a space that controls another may
 * register entries of it (L4_SYS_ZONE_CONTROL): entry 0's PKRU is the one
 * every thread of the space starts with (and takes at once); entries
 * 1..L4_ZONE_ENTRIES-1 have an ip, a stack and the PKRU to enter them
 * with. The space is then zoned: exregs on its threads is refused, and
 * only a space that controls it can map it executable pages (its pager,
 * which checked them). L4_SYS_ZONE_CALL from a thread of the space saves
 * its ip, sp, rbx, rbp, r12..r15 and PKRU (up to L4_ZONE_DEPTH calls
 * deep), loads the entry's PKRU and continues at the entry's ip and sp
 * with rdi, rsi, rdx = the call's rsi, rdx, r8; L4_SYS_ZONE_RETURN(result)
 * restores the innermost saved state (whatever the zone did with those
 * registers) and returns L4_OK from the zone call with rdi = result. No
 * address-space or thread switch. Every other register may change, as in
 * a function call. Errors: L4_EINVAL (no such entry, too deep, a return
 * without a call; without PKU L4_SYS_ZONE_CONTROL says L4_EINVAL). */
#define L4_ZONE_ENTRIES 16
#define L4_ZONE_DEPTH   4
/* The page-fault error code bit a protection-key fault sets (exception
 * message MR2 of vector 14). */
#define L4_PF_ERROR_PK  (1u << 5)

/* L4_SYS_UNMAP flags: revoke the fpage's rights from every space that got
 * the pages from the caller, directly or indirectly; with L4_UNMAP_SELF the
 * caller's own mapping loses them too. A long unmap (like a long kdb_write)
 * stops at preemption points and runs again from its SYSCALL instruction
 * when the thread next runs; rdx carries where it continues, so a caller
 * passes 0 there and gets 0 back. */
#define L4_UNMAP_SELF 1

/* L4_SYS_IRQ_CONTROL operations. */
#define L4_IRQ_ATTACH 1 /* the handler (rdx, nil: the caller) gets the line; line unmasked */
#define L4_IRQ_DETACH 2
#define L4_IRQ_ATTACH_MSI 3 /* any free MSI line for the handler (rdx, nil: the caller):
			       returns rdi = line, rsi = MSI data, rdx = MSI address
			       to program into the device */

/* L4_SYS_KINFO flags. */
#define L4_KINFO_PCID    1
#define L4_KINFO_INVPCID 2
#define L4_KINFO_SMEP    4
#define L4_KINFO_SMAP    8
#define L4_KINFO_NX      16
#define L4_KINFO_FSGSBASE 32
#define L4_KINFO_TSCDEADLINE 64
#define L4_KINFO_PKU     128  /* protection keys: map items may carry a key, zones */

/* User address-space layout. */
#define L4_USER_TOP   0x00007ffffffff000ull /* first address user code may not map */

/* The user thread control block: one page per thread, mapped by the kernel at
 * the address given to L4_SYS_THREAD_CONTROL; %fs points at it. */
struct l4_utcb {
	uint64_t self;          /* user address of this UTCB */
	uint64_t tid;           /* the thread's own id */
	uint64_t acceptor;      /* fpage where received mappings may land, or 0 */
	uint64_t user[5];       /* free for the user library */
	uint64_t mr[L4_NMR];    /* message registers (MR0..MR3 travel in registers) */
};

/* What the kernel hands sigma0 and the root task: a read-only page at
 * L4_BOOTINFO_ADDR (rdi at their start), and their UTCB at L4_BOOT_UTCB. */
struct l4_bootinfo {
	uint64_t module_paddr;  /* the cpio boot module, reachable through sigma0 */
	uint64_t module_size;
	uint64_t rsdp_paddr;    /* ACPI RSDP, or 0 */
	uint64_t ecam_paddr;    /* PCI ECAM of segment 0 from the MCFG, or 0 */
	uint64_t nfree;
	struct { uint64_t base, size; } free[16]; /* RAM sigma0 may hand out freely */
	char cmdline[256];      /* kernel command line */
	uint64_t root_text[2];  /* the root task's executable pages [start, end):
				   sigma0 maps them read-execute, all else not executable */
};
#define L4_BOOTINFO_ADDR 0x1000ull
#define L4_BOOT_UTCB     0x2000ull

/* Sigma0's protocol (besides page faults, which it resolves 1:1), for
 * threads of the root task's space (space id L4_ROOT_TID) and nobody else:
 * label L4_SIGMA0_ALLOC, no words: reply maps one free page (MR1 = its
 * address, 0 if none left), with the map item in MR2/MR3.
 * label L4_SIGMA0_REQUEST, MR1 = an fpage (memory up to 4 MiB, RAM or
 * device memory such as PCI ECAM; or I/O ports): reply maps exactly that
 * fpage (map item in MR1/MR2). */
#define L4_SIGMA0_ALLOC   0x900
#define L4_SIGMA0_REQUEST 0x901

#endif
