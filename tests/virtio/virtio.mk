# End-to-end virtio tests: tiny polled guest drivers (linked with the test
# guests' runtime from tests/guests/) run by tests/virtio/run.sh on mkvm and
# on QEMU. `make check-virtio`.

VTEST_OUT  := $(BUILD)/tests/virtio
VTEST_ELFS := $(VTEST_OUT)/blk.elf

ALL_TARGETS += $(VTEST_ELFS)

$(VTEST_OUT)/%.o: $(SRC)/tests/virtio/%.c
	@mkdir -p $(@D)
	$(CC) $(TGUEST_CFLAGS) -c $< -o $@

$(VTEST_OUT)/blk.elf: $(VTEST_OUT)/blk_guest.o $(TGUEST_RT) $(TGUEST_SRC)/guest.ld
	$(LD) -nostdlib -static -z noexecstack -T $(TGUEST_SRC)/guest.ld \
		-o $@ $(filter %.o,$^)

.PHONY: check-virtio
check-virtio: all
	@$(HARNESS_ENV) $(SRC)/tests/virtio/run.sh
