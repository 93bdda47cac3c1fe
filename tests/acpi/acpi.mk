# ACPICA's iasl against mkvm's ACPI tables (tests/acpi/iasl.sh); runs with
# check-unit.

ACPI_DUMP := $(BUILD)/tests/acpi/acpi-dump

$(ACPI_DUMP): $(SRC)/tests/acpi/dump.c $(VMM_LIB)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(SRC)/vmm -o $@ $< $(VMM_LIB) $(VMM_LDLIBS)

.PHONY: check-acpi-iasl
check-acpi-iasl: $(ACPI_DUMP)
	@$(SRC)/tests/acpi/iasl.sh $(ACPI_DUMP)

check-unit: check-acpi-iasl
