# Tiny PVH test guests: build/tests/guests/<name>.elf, one per program below,
# each linked with the shared boot/runtime. See docs/testing.md.

TGUEST_SRC   := $(SRC)/tests/guests
TGUEST_OUT   := $(BUILD)/tests/guests
TGUEST_NAMES := hello syscall privfault pcid triple
TGUEST_ELFS  := $(TGUEST_NAMES:%=$(TGUEST_OUT)/%.elf)
TGUEST_MOD   := $(TGUEST_OUT)/module.txt
TGUEST_RT    := $(addprefix $(TGUEST_OUT)/,boot.o trap.o cpu.o lib.o)
TGUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding \
                 -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
                 -fno-stack-protector -fno-asynchronous-unwind-tables \
                 -I$(SRC)/shared -I$(TGUEST_SRC) -MMD -MP

TGUEST_BAD   := $(addprefix $(TGUEST_OUT)/bad/,not-elf truncated-header.elf \
                  truncated-segment.elf no-pvh-note.elf)

ALL_TARGETS += $(TGUEST_ELFS) $(TGUEST_MOD) $(TGUEST_BAD)

# Unusable kernels made from hello.elf, which mkvm must refuse before it
# opens /dev/kvm (the bad-image cases of tests/cases.list): not an ELF,
# cut inside the ELF header, cut inside the last PT_LOAD's contents (the
# headers and the PVH note kept), no PVH note.
$(TGUEST_OUT)/bad/not-elf:
	@mkdir -p $(@D)
	echo "this is not an ELF file" > $@

$(TGUEST_OUT)/bad/truncated-header.elf: $(TGUEST_OUT)/hello.elf
	@mkdir -p $(@D)
	head -c 40 $< > $@

$(TGUEST_OUT)/bad/truncated-segment.elf: $(TGUEST_OUT)/hello.elf
	@mkdir -p $(@D)
	head -c $$(( $$(readelf -lW $< | awk '$$1 == "LOAD" { off = $$2 } END { print off }') + 16 )) $< > $@

$(TGUEST_OUT)/bad/no-pvh-note.elf: $(TGUEST_OUT)/hello.elf
	@mkdir -p $(@D)
	objcopy -R .note.pvh $< $@

# A boot module with known contents, which hello.elf prints.
$(TGUEST_MOD):
	@mkdir -p $(@D)
	echo mkvm-test-module > $@

$(TGUEST_OUT)/%.o: $(TGUEST_SRC)/%.c
	@mkdir -p $(@D)
	$(CC) $(TGUEST_CFLAGS) -c $< -o $@

$(TGUEST_OUT)/%.o: $(TGUEST_SRC)/%.S
	@mkdir -p $(@D)
	$(CC) $(TGUEST_CFLAGS) -c $< -o $@

$(TGUEST_OUT)/syscall.elf: $(TGUEST_OUT)/syscall_entry.o

$(TGUEST_OUT)/%.elf: $(TGUEST_OUT)/%.o $(TGUEST_RT) $(TGUEST_SRC)/guest.ld
	$(LD) -nostdlib -static -z noexecstack -T $(TGUEST_SRC)/guest.ld \
		-o $@ $(filter %.o,$^)
.PRECIOUS: $(TGUEST_OUT)/%.o
