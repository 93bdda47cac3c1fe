/* Writes the ACPI tables mkvm builds for N CPUs (acpi__build) to
 * DIR/<signature>.dat, one file per table, for tests/acpi/iasl.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "layout.h"

static uint8_t buf[ACPI_SIZE];

static int save(const char *dir, const struct acpi_header *h)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%.4s.dat", dir, h->signature);
	f = fopen(path, "wb");
	if (!f || fwrite(h, 1, h->length, f) != h->length || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static const struct acpi_header *at(uint64_t gpa)
{
	return (const struct acpi_header *)(buf + (gpa - ACPI_ADDR));
}

int main(int argc, char **argv)
{
	const struct acpi_rsdp *rsdp = (const void *)buf;

	if (argc != 3 || !acpi__build(buf, sizeof(buf), ACPI_ADDR, atoi(argv[2]))) {
		fprintf(stderr, "usage: acpi-dump DIR NR_CPUS\n");
		return 2;
	}
	const struct acpi_header *xsdt = at(rsdp->xsdt_address);
	size_t n = (xsdt->length - sizeof(*xsdt)) / 8;

	if (save(argv[1], xsdt))
		return 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t a, dsdt;
		const struct acpi_header *t;

		memcpy(&a, (const uint8_t *)(xsdt + 1) + 8 * i, 8);
		t = at(a);
		if (save(argv[1], t))
			return 1;
		if (!memcmp(t->signature, "FACP", 4)) {
			memcpy(&dsdt, (const uint8_t *)t + 140, 8);  /* X_DSDT */
			if (save(argv[1], at(dsdt)))
				return 1;
		}
	}
	return 0;
}
