/* Legacy platform devices, each registered on the I/O bus by its init. */
#ifndef MKVM_DEVICES_H
#define MKVM_DEVICES_H

struct io_bus;

int debugexit__init(struct io_bus *io); /* port 0xf4: guest-chosen exit status */
int pm__init(struct io_bus *io);        /* ACPI PM1a blocks, reset register, 8042 reset */

#endif
