# Release artefacts (make images) into $(BUILD)/images/.
#
#   kernel.elf  the microkernel ($(KERNEL_ELF))
#   boot.cpio   the boot module with the user-level servers ($(BOOT_CPIO))
#   disk.img    a sample raw disk (images/mkdisk.sh: sector N reads "mkvm sector N")
#   mkvm.xml    a libvirt domain for the three above (images/mkdomain.sh)
#
# IMAGE_CMDLINE is the guest command line written into mkvm.xml (`test` runs
# the kernel's test suite); IMAGE_GDB_PORT, when set, adds QEMU's gdb stub on
# 127.0.0.1:PORT. `make libvirt-run` boots mkvm.xml under libvirt with its
# serial console on the terminal; `make check-libvirt` is the libvirt
# platform harness (tests/platforms/libvirt.sh). See docs/libvirt.md.

IMAGES_DIR  := $(BUILD)/images
IMAGES_DISK := $(IMAGES_DIR)/disk.img
IMAGES_XML  := $(IMAGES_DIR)/mkvm.xml
IMAGES      := $(IMAGES_DIR)/kernel.elf $(IMAGES_DIR)/boot.cpio $(IMAGES_DISK) $(IMAGES_XML)
IMAGE_CMDLINE  ?=
IMAGE_GDB_PORT ?=

.PHONY: images libvirt-run check-libvirt images-always

images: $(IMAGES)

$(IMAGES_DIR)/kernel.elf: $(or $(KERNEL_ELF),$(BUILD)/kernel/kernel.elf)
	@mkdir -p $(@D)
	cp $< $@

$(IMAGES_DIR)/boot.cpio: $(or $(BOOT_CPIO),$(BUILD)/servers/boot.cpio)
	@mkdir -p $(@D)
	cp $< $@

$(IMAGES_DISK): $(SRC)/images/mkdisk.sh
	@mkdir -p $(@D)
	$(SRC)/images/mkdisk.sh $@

# Always regenerated: it is cheap, and IMAGE_CMDLINE / IMAGE_GDB_PORT may change.
$(IMAGES_XML): $(SRC)/images/mkdomain.sh $(SRC)/images/domain.xml.in \
		$(IMAGES_DIR)/kernel.elf $(IMAGES_DIR)/boot.cpio $(IMAGES_DISK) images-always
	$(SRC)/images/mkdomain.sh --kernel $(IMAGES_DIR)/kernel.elf \
		--initrd $(IMAGES_DIR)/boot.cpio --disk $(IMAGES_DISK) \
		--serial-log $(IMAGES_DIR)/serial.log --cmdline '$(IMAGE_CMDLINE)' \
		$(if $(IMAGE_GDB_PORT),--gdb $(IMAGE_GDB_PORT)) -o $@

libvirt-run: images
	@$(SRC)/images/libvirt-run.sh $(IMAGES_XML)

# The release images join the check once the kernel and boot module have rules.
check-libvirt: all $(IMAGES_DISK) $(if $(and $(KERNEL_ELF),$(BOOT_CPIO)),images)
	@$(HARNESS_ENV) IMAGES_XML=$(IMAGES_XML) $(SRC)/tests/platforms/libvirt.sh
