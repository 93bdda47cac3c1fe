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

ALL_TARGETS += $(TGUEST_ELFS) $(TGUEST_MOD)

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
