# End-to-end virtio tests: tiny polled guest drivers (linked with the test
# guests' runtime from tests/guests/) run by tests/virtio/run.sh on mkvm and
# on QEMU. `make check-virtio`.

VTEST_OUT  := $(BUILD)/tests/virtio
VTEST_NAMES := blk rng net console msix
VTEST_ELFS := $(VTEST_NAMES:%=$(VTEST_OUT)/%.elf)

ALL_TARGETS += $(VTEST_ELFS)

$(VTEST_OUT)/%.o: $(SRC)/tests/virtio/%.c
	@mkdir -p $(@D)
	$(CC) $(TGUEST_CFLAGS) -I$(SRC)/tests/virtio -c $< -o $@

$(VTEST_OUT)/%.elf: $(VTEST_OUT)/%_guest.o $(VTEST_OUT)/vdrv.o $(TGUEST_RT) \
		$(TGUEST_SRC)/guest.ld
	$(LD) -nostdlib -static -z noexecstack -T $(TGUEST_SRC)/guest.ld \
		-o $@ $(filter %.o,$^)

.PRECIOUS: $(VTEST_OUT)/%.o
.PHONY: check-virtio
check-virtio: all
	@$(HARNESS_ENV) $(SRC)/tests/virtio/run.sh
