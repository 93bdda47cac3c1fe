/* Zones of a program (docs/zones.md): one address space split into
 * protection domains by protection keys, paged by the root task.
 *
 * A program given `zones` in boot.cfg has zone 0 (its ordinary segments,
 * heap and stack) and up to MKVM_ZONE_MAX - 1 more: an ELF PT_LOAD segment
 * whose p_flags carry MKVM_ZONE_PF(z) belongs to zone z. Zone z's pages
 * get protection key z + 1; while zone z runs, PKRU lets it write only its
 * own pages (and key 0: the UTCB), read every zone's, and touch no other
 * key. A zone other than 0 declares its entry points at the start of its
 * first read-only segment (struct mkvm_zone_entries); it runs on a stack
 * of its own below MKVM_ZONE_STACK_TOP(z).
 *
 * Entry e (1.. in the order of the zones' tables) is entered, as boot.cfg
 * says, either
 *  - zones=kernel: through the kernel, l4 zone call with entry e
 *    (L4_SYS_ZONE_CALL; the gate page holds only the entries' stubs),
 *  - or zones=gate: through its call gate, a plain call of
 *    MKVM_ZONE_GATE(e) with up to six integer arguments, as if it were the
 *    function itself (one call in flight at a time: a call from inside a
 *    zone call faults); no kernel entries are registered then.
 * Either way the caller's rbx, rbp, r12..r15 and stack come back as they
 * were, whatever the zone did.
 * The root task refuses to map a zone program executable pages holding a
 * WRPKRU, XRSTOR or XRSTORS encoding at any byte offset (the program ends);
 * only its gate page, which the root task writes, holds WRPKRU.
 * A protection-key fault inside an entry ends that call with the result
 * MKVM_ZONE_FAULTED (and the root task reports it); one anywhere else ends
 * the program. */
#ifndef MKVM_ZONE_H
#define MKVM_ZONE_H

#include <stdint.h>

#define MKVM_ZONE_MAX        4
#define MKVM_ZONE_MAX_ENTRIES 8
#define MKVM_ZONE_PF(z)      ((uint32_t)(z) << 20)     /* in PF_MASKOS */
#define MKVM_ZONE_OF_PF(f)   (((f) >> 20) & 0xf)
#define MKVM_ZONE_KEY(z)     ((z) + 1)
#define MKVM_ZONE_GATE_KEY   15                        /* the gates' own state */
#define MKVM_ZONE_GATE_VA    0x3000ull                 /* gate code (read-execute) */
#define MKVM_ZONE_DATA_VA    0x4000ull                 /* gate state */
#define MKVM_ZONE_GATE(e)    (MKVM_ZONE_GATE_VA + 512 + 384 * ((e) - 1))
#define MKVM_ZONE_STACK_TOP(z) (0x7ffe00000000ull - (uint64_t)(z) * (1ull << 24))
#define MKVM_ZONE_STACK_MAX  (64ull << 10)
#define MKVM_ZONE_FAULTED    (~0ull)

#define MKVM_ZONE_MAGIC 0x53454952544e455aull           /* "ZENTRIES" */
struct mkvm_zone_entries {
	uint64_t magic;
	uint64_t n;
	uint64_t fn[MKVM_ZONE_MAX_ENTRIES];
};

#endif
