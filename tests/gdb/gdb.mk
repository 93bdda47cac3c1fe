# Scripted gdb sessions (`make check-gdb`): Debian's gdb in batch mode
# against QEMU's gdb stub and against mkvm's, on the same guest. See
# docs/gdb.md.

GDBT_OUT := $(BUILD)/tests/gdb
GDBT_ELF := $(GDBT_OUT)/gdbtarget.elf

ALL_TARGETS += $(GDBT_ELF)

$(GDBT_OUT)/gdbtarget.o: $(SRC)/tests/gdb/gdbtarget.c
	@mkdir -p $(@D)
	$(CC) $(TGUEST_CFLAGS) -c $< -o $@

$(GDBT_ELF): $(GDBT_OUT)/gdbtarget.o $(TGUEST_RT) $(TGUEST_SRC)/guest.ld
	$(LD) -nostdlib -static -z noexecstack -T $(TGUEST_SRC)/guest.ld \
		-o $@ $(filter %.o,$^)

.PHONY: check-gdb
check-gdb: $(GDBT_ELF) $(VMM_BIN)
	@$(HARNESS_ENV) $(SRC)/tests/gdb/run.sh

# The sessions with mkvm inside the L1 VM of the nested platforms (minutes;
# not part of check-gdb), the microkernel's own (kernel.gdb) among them.
# See tests/gdb/l1.sh.
.PHONY: check-gdb-nested check-gdb-bochs check-gdb-bochs-os
check-gdb-nested: $(GDBT_ELF) $(VMM_BIN) $(KERNEL_ELF) $(BOOT_CPIO)
	@$(HARNESS_ENV) $(SRC)/tests/gdb/l1.sh nested

check-gdb-bochs: $(GDBT_ELF) $(VMM_BIN) $(KERNEL_ELF) $(BOOT_CPIO)
	@$(HARNESS_ENV) $(SRC)/tests/gdb/l1.sh bochs

check-gdb-bochs-os: $(VMM_BIN) $(KERNEL_ELF) $(BOOT_CPIO)
	@$(HARNESS_ENV) $(SRC)/tests/gdb/l1.sh bochs-os
