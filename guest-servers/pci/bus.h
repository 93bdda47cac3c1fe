/* The PCI bus server's entry point (protocol: shared/mkvm/pci.h). The root
 * task runs it as the first thread of a space of its own; the argument is
 * the physical address of segment 0's ECAM (0: none, every claim fails). */
#ifndef PCI_BUS_H
#define PCI_BUS_H

#include <stdint.h>

_Noreturn void pci_bus_server(uint64_t ecam);

#endif
