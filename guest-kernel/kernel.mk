# The microkernel: $(KERNEL_ELF), a PVH (and multiboot2) ELF64.

KERNEL_ELF := $(BUILD)/kernel/kernel.elf
KERNEL_SRCS := $(wildcard $(SRC)/guest-kernel/*.c $(SRC)/guest-kernel/arch/x86_64/*.c \
                          $(SRC)/guest-kernel/arch/x86_64/*.S)
KERNEL_OBJS := $(patsubst $(SRC)/guest-kernel/%,$(BUILD)/kernel/%.o,$(KERNEL_SRCS))

# Freestanding, no SSE (user FPU state is switched lazily), no red zone
# (interrupts arrive on the same stack), kernel code model (top 2 GiB);
# for the kernel, no stack frame near the size of the guard below each
# kernel stack (docs/kernel.md, Kernel memory), which one could jump over.
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
                -fno-stack-protector -fno-builtin -nostdlib -mno-red-zone \
                -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                -I$(SRC)/shared -MMD -MP
KERNEL_CFLAGS := $(GUEST_CFLAGS) -mcmodel=kernel -Wstack-usage=2048 -I$(SRC)/guest-kernel

$(BUILD)/kernel/%.c.o: $(SRC)/guest-kernel/%.c
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel/%.S.o: $(SRC)/guest-kernel/%.S
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJS) $(SRC)/guest-kernel/kernel.ld
	$(LD) -nostdlib -z max-page-size=4096 -z noexecstack -T $(SRC)/guest-kernel/kernel.ld \
		-o $@ $(KERNEL_OBJS)

ALL_TARGETS += $(KERNEL_ELF)

# Microbenchmarks (printed, not asserted): once in TSC cycles, once under
# -icount shift=0 where the TSC counts instructions, side by side with a
# Linux guest running tests/bench/linux/lxbench.c in the same QEMU.
$(BUILD)/bench/lxbench: $(SRC)/tests/bench/linux/lxbench.c
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<
# (servers.mk, included after this file, sets BOOT_CPIO: name its path here)
bench-kernel: $(KERNEL_ELF) $(BUILD)/servers/boot.cpio $(BUILD)/bench/lxbench
	@$(SRC)/tests/bench/linux/bench-kernel.sh $(KERNEL_ELF) $(BOOT_CPIO) $(BUILD)/bench/lxbench

# A boot module whose sigma0 has its one segment at 32 MiB, above the
# boot-task area: the loader must refuse it (case kernel-bad-module).
BAD_MODULE := $(BUILD)/kernel/bad-module/boot.cpio
$(BAD_MODULE):
	@mkdir -p $(@D)
	echo nop | $(AS) --64 -o $(@D)/high.o -
	$(LD) -nostdlib -N --no-warn-rwx-segments -z noexecstack -Ttext=0x2000000 -e 0x2000000 -o $(@D)/sigma0 $(@D)/high.o
	cd $(@D) && echo sigma0 | cpio -o -H newc --quiet > $@

ALL_TARGETS += $(BAD_MODULE)

# A kernel that overflows sigma0's kernel stack on purpose once the boot
# tasks exist (tests/kernel/kstack-overflow.c; case kernel-kstack-overflow):
# the kernel's objects plus that file, whose __wrap_sched_start takes
# kmain's last call. The kernel that boots the system never contains it.
KSTACK_OVERFLOW_ELF := $(BUILD)/kernel/kstack-overflow/kernel.elf
$(BUILD)/kernel/kstack-overflow/overflow.c.o: $(SRC)/tests/kernel/kstack-overflow.c
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(KSTACK_OVERFLOW_ELF): $(KERNEL_OBJS) $(BUILD)/kernel/kstack-overflow/overflow.c.o $(SRC)/guest-kernel/kernel.ld
	$(LD) -nostdlib -z max-page-size=4096 -z noexecstack --wrap=sched_start \
		-T $(SRC)/guest-kernel/kernel.ld -o $@ $(KERNEL_OBJS) $(BUILD)/kernel/kstack-overflow/overflow.c.o

ALL_TARGETS += $(KSTACK_OVERFLOW_ELF)
