/* The I/O and PCI buses the unit tests put their devices on, and the
 * interrupt routing: one of each for the whole run, as a VM has (struct
 * vm's io, pci and irq). */
#ifndef MKVM_TEST_BUSES_H
#define MKVM_TEST_BUSES_H

#include "io.h"
#include "pci/pci.h"

extern struct io_bus test_io;
extern struct pci_bus test_pci;
extern struct irq_router test_irq;

#endif
