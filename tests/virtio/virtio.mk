# End-to-end virtio tests: tiny polled guest drivers (linked with the test
# guests' runtime from tests/guests/) run by tests/virtio/run.sh on mkvm and
# on QEMU. `make check-virtio`.

VTEST_OUT  := $(BUILD)/tests/virtio
VTEST_NAMES := blk rng net console msix
VTEST_ELFS := $(VTEST_NAMES:%=$(VTEST_OUT)/%.elf)

VTEST_SECTOR := $(VTEST_OUT)/sector.bin

ALL_TARGETS += $(VTEST_ELFS) $(VTEST_SECTOR)

# The sector blk.elf writes and reads back (tests/virtio/blk_guest.c):
# "mkvm-virtio-blk-durable\0", then byte i = i for i = 24..511.
$(VTEST_SECTOR):
	@mkdir -p $(@D)
	perl -e 'print "mkvm-virtio-blk-durable\0", map { chr($$_ & 255) } 24..511' > $@

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
