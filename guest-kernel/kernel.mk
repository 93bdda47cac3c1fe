# The microkernel: $(KERNEL_ELF), a PVH (and multiboot2) ELF64.

KERNEL_ELF := $(BUILD)/kernel/kernel.elf
KERNEL_SRCS := $(wildcard $(SRC)/guest-kernel/*.c $(SRC)/guest-kernel/arch/x86_64/*.c \
                          $(SRC)/guest-kernel/arch/x86_64/*.S)
KERNEL_OBJS := $(patsubst $(SRC)/guest-kernel/%,$(BUILD)/kernel/%.o,$(KERNEL_SRCS))

# Freestanding, no SSE (user FPU state is switched lazily), no red zone
# (interrupts arrive on the same stack), kernel code model (top 2 GiB).
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
                -fno-stack-protector -fno-builtin -nostdlib -mno-red-zone \
                -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                -I$(SRC)/shared -MMD -MP
KERNEL_CFLAGS := $(GUEST_CFLAGS) -mcmodel=kernel -I$(SRC)/guest-kernel

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
# -icount shift=0 where the TSC counts instructions.
BENCH_QEMU = timeout 120 qemu-system-x86_64 -M q35 -accel tcg -cpu max -m 256M -display none \
	-nodefaults -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel $(KERNEL_ELF) -initrd $(BOOT_CPIO) -append "bench exit"
bench-kernel: $(KERNEL_ELF) $(BOOT_CPIO)
	@echo "== QEMU TCG, TSC cycles per operation"
	@$(BENCH_QEMU) | grep '^bench:' || true
	@echo "== QEMU TCG -icount shift=0, instructions per operation"
	@$(BENCH_QEMU) -icount shift=0 | grep '^bench:' || true
