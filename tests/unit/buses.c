/* The unit tests' buses (buses.h). */
#include "buses.h"

struct io_bus test_io;
struct pci_bus test_pci;
