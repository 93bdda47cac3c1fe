/* The IPC protocol of the PCI bus server (guest-servers/pci-bus/bus.c).
 *
 * The bus server owns the PCI ECAM: it enumerates every function on bus 0
 * and on the buses behind PCI-to-PCI bridges, sizes their BARs, finds
 * their MSI-X tables, and hands each function to at most one driver, which
 * gets the function's 4 KiB configuration page (read-only) and its BAR
 * pages, except those holding part of the MSI-X table, as mappings (the
 * bus server has them from the root task and maps them on). A driver thus
 * cannot move a BAR or tell its device an interrupt vector: the bus server
 * enables the function (MKVM_PCI_ENABLE) and programs MSI-X entries
 * (MKVM_PCI_MSIX_ROUTE) for it. Mappings land at their physical
 * address when the caller's acceptor is L4_COMPLETE (the L4 hot-spot rule;
 * a smaller acceptor window takes them at its base instead).
 *
 * Claim (a call): MR0 = L4_TAG(MKVM_PCI_CLAIM, 2, 0),
 *   MR1 = vendor | device << 16 (0xffff in either half: any),
 *   MR2 = class code (base << 16 | sub << 8 | prog-if) or MKVM_PCI_ANY_CLASS.
 *   Reply: MR0 = L4_TAG(MKVM_PCI_OK, MKVM_PCI_INFO_WORDS, 2),
 *   MR1 = handle (opaque, for MKVM_PCI_MAP), MR2..MR4 as MKVM_PCI_INFO's
 *   MR1..MR3, MR5..MR16 = BAR 0..5 as (base, size) pairs (base with bit 0
 *   set for an I/O BAR; 0, 0 for none or for a 64-bit BAR's upper half),
 *   MR17/MR18 = map item of the configuration page (read-only).
 *   The first unclaimed match in bus/device/function order is claimed for
 *   the caller's space, if the root task lets its program drive that
 *   function (boot.cfg `pci=`); a function whose owner ended is free
 *   again. MKVM_PCI_EPERM: the caller may not drive any match;
 *   MKVM_PCI_EBUSY: every match is claimed already;
 *   MKVM_PCI_ENODEV: nothing matches.
 * Map (a call by a thread of the claiming space): MR0 = L4_TAG(MKVM_PCI_MAP, 3, 0),
 *   MR1 = handle, MR2 = BAR index, MR3 = offset into the BAR.
 *   Reply: MR0 = L4_TAG(MKVM_PCI_OK, 0, 2), MR1/MR2 = map item of the
 *   BAR's 4 KiB page that holds the offset (read-write, uncached).
 *   MKVM_PCI_EPERM: not the handle's owner, or the page holds part of the
 *   function's MSI-X table; MKVM_PCI_EINVAL: no such memory BAR or offset
 *   beyond it.
 * Enable (a call by a thread of the claiming space):
 *   MR0 = L4_TAG(MKVM_PCI_ENABLE, 1, 0), MR1 = handle. The function's
 *   command register gets memory space and bus master (DMA) on and legacy
 *   INTx off. Reply: MR0 = L4_TAG(MKVM_PCI_OK, 0, 0). MKVM_PCI_EPERM: not
 *   the handle's owner.
 * MSI-X route (a call by a thread of the claiming space):
 *   MR0 = L4_TAG(MKVM_PCI_MSIX_ROUTE, 2, 0), MR1 = handle, MR2 = MSI-X
 *   table entry. The entry is written, masked while it changes, with the
 *   address and data of the MSI line the kernel allocated to the caller's
 *   program (boot.cfg `irq=msi`; the bus server asks the root task,
 *   MKVM_ROOT_PCI_CHECK), and MSI-X is enabled with the function mask off.
 *   Reply: MR0 = L4_TAG(MKVM_PCI_OK, 0, 0). MKVM_PCI_EPERM: not the
 *   handle's owner, or its program has no MSI line; MKVM_PCI_EINVAL: the
 *   function has no MSI-X or no such entry.
 * Info (a call): MR0 = L4_TAG(MKVM_PCI_INFO, 1, 0), MR1 = index (0..).
 *   Reply: MR0 = L4_TAG(MKVM_PCI_OK, 4, 0), MR1 = bus << 8 | device << 3 |
 *   function, MR2 = vendor | device << 16, MR3 = class code << 8 |
 *   revision, MR4 = the space that claimed it (shared/mkvm/abi.h) or 0. MKVM_PCI_ENODEV past the
 *   last function.
 * Failure: MR0 = L4_TAG(MKVM_PCI_ERROR, 1, 0), MR1 = MKVM_PCI_E*; an
 *   unknown or malformed request gets MKVM_PCI_EINVAL. */
#ifndef MKVM_PCI_H
#define MKVM_PCI_H

#define MKVM_PCI_CLAIM 0xb01
#define MKVM_PCI_MAP   0xb02
#define MKVM_PCI_INFO  0xb03
#define MKVM_PCI_ENABLE 0xb04
#define MKVM_PCI_MSIX_ROUTE 0xb05
#define MKVM_PCI_OK    0
#define MKVM_PCI_ERROR 0xb0f

#define MKVM_PCI_ANY_CLASS 0xffffffffu
#define MKVM_PCI_INFO_WORDS 16  /* untyped words of a claim reply */

#define MKVM_PCI_EINVAL 1       /* malformed or unknown request */
#define MKVM_PCI_ENODEV 2       /* no such function */
#define MKVM_PCI_EBUSY  3       /* every matching function is claimed */
#define MKVM_PCI_EPERM  4       /* the handle is not the caller's, or not for it */

#define MKVM_PCI_BDF_BUS(b) ((b) >> 8 & 0xff)
#define MKVM_PCI_BDF_DEV(b) ((b) >> 3 & 31)
#define MKVM_PCI_BDF_FN(b)  ((b) & 7)

#endif
