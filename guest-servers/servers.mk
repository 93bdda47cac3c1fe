# User-level servers, packed into one cpio "newc" boot module: $(BOOT_CPIO).

BOOT_CPIO := $(BUILD)/servers/boot.cpio
SERVERS_LIB_SRCS := $(SRC)/guest-servers/lib/ulib.c $(SRC)/guest-servers/lib/crt0.S
USER_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
               -fno-stack-protector -fno-builtin -nostdlib -fno-tree-loop-distribute-patterns \
               -fno-asynchronous-unwind-tables -I$(SRC)/shared -MMD -MP

# server name -> link address (boot tasks live at physical = virtual addresses)
SIGMA0_BASE := 0x400000
ROOT_BASE   := 0x800000

define server_rules
$(1)_SRCS := $$(wildcard $(SRC)/guest-servers/$(1)/*.c) $$($(1)_EXTRA_SRCS) $(SERVERS_LIB_SRCS)
$(1)_OBJS := $$(patsubst $(SRC)/guest-servers/%,$(BUILD)/servers/$(1)/%.o,$$($(1)_SRCS))
$(BUILD)/servers/$(1)/%.c.o: $(SRC)/guest-servers/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(USER_CFLAGS) -c $$< -o $$@
$(BUILD)/servers/$(1)/%.S.o: $(SRC)/guest-servers/%.S
	@mkdir -p $$(@D)
	$$(CC) $$(USER_CFLAGS) -c $$< -o $$@
$(BUILD)/servers/image/$(1): $$($(1)_OBJS) $(SRC)/guest-servers/lib/user.ld
	@mkdir -p $$(@D)
	$$(LD) -nostdlib -z max-page-size=4096 -z noexecstack --defsym=USER_BASE=$(2) \
		-T $(SRC)/guest-servers/lib/user.ld -o $$@ $$($(1)_OBJS)
endef
# the root task also runs the driver servers (in spaces of their own)
root_EXTRA_SRCS := $(wildcard $(SRC)/guest-servers/virtio/*.c) $(wildcard $(SRC)/guest-servers/pci/*.c)
$(eval $(call server_rules,sigma0,$(SIGMA0_BASE)))
$(eval $(call server_rules,root,$(ROOT_BASE)))

$(BOOT_CPIO): $(BUILD)/servers/image/sigma0 $(BUILD)/servers/image/root
	cd $(BUILD)/servers/image && printf '%s\n' sigma0 root | cpio -o -H newc --quiet > $@

ALL_TARGETS += $(BOOT_CPIO)
