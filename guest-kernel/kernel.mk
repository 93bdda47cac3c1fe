# The microkernel: $(KERNEL_ELF), a PVH (and multiboot2) ELF64.
