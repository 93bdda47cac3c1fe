/* Legacy platform devices, each registered on the I/O bus by its init. */
#ifndef MKVM_DEVICES_H
#define MKVM_DEVICES_H

int debugexit__init(void);   /* port 0xf4: guest-chosen exit status */
int pm__init(void);          /* ACPI PM1a blocks, reset register, 8042 reset */

#endif
