# Host unit tests and the platform harnesses. See CONTRIBUTING.md.

UNIT_SRCS := $(wildcard $(SRC)/tests/unit/*.c)
UNIT_OBJS := $(patsubst $(SRC)/tests/unit/%.c,$(BUILD)/unit/%.o,$(UNIT_SRCS))
UNIT_BIN  := $(BUILD)/unit/run-unit

$(BUILD)/unit/%.o: $(SRC)/tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(SRC)/vmm -I$(SRC)/tests/unit -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJS) $(VMM_LIB)
	$(CC) $(HOST_LDFLAGS) -o $@ $(UNIT_OBJS) -Wl,--whole-archive $(VMM_LIB) -Wl,--no-whole-archive $(VMM_LDLIBS)

HARNESS_ENV = SRC=$(SRC) BUILD=$(BUILD)

check-unit: $(UNIT_BIN)
	@$(UNIT_BIN) $(ONLY)

check-host: all
	@$(HARNESS_ENV) $(SRC)/tests/platforms/host.sh

check-qemu: all
	@$(HARNESS_ENV) $(SRC)/tests/platforms/qemu.sh

check-nested: all
	@$(MAKE) --no-print-directory linux-guest || \
		echo "[nested] the Linux guest did not build: case linux-virtio will fail"
	@$(HARNESS_ENV) $(SRC)/tests/platforms/nested.sh

check-bochs: all
	@$(HARNESS_ENV) $(SRC)/tests/platforms/bochs.sh

# virtio-blk throughput, mkvm against QEMU in the nested L1 (printed, not asserted)
.PHONY: bench-virtio
bench-virtio: all
	@$(HARNESS_ENV) $(SRC)/tests/bench/virtio.sh
include $(SRC)/tests/guests/guests.mk
include $(SRC)/tests/fuzz/fuzz.mk
include $(SRC)/tests/gdb/gdb.mk
include $(SRC)/tests/virtio/virtio.mk
include $(SRC)/tests/linux/linux.mk
include $(SRC)/tests/acpi/acpi.mk

# bench-vmm (vmm/vmm.mk) boots the kernel too.
bench-vmm: all
