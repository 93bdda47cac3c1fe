/* The unit tests' buses (buses.h). */
#include "buses.h"

struct io_bus test_io;
struct pci_bus test_pci;
struct irq_router test_irq = { .lock = PTHREAD_MUTEX_INITIALIZER };
