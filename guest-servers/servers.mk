# User-level programs, packed with the boot configuration into one cpio
# "newc" boot module: $(BOOT_CPIO). Every directory named in PROGRAMS is one
# program: its *.c and *.S files, the user library, and the libraries its
# <name>_LIBS names, linked into one static ELF called <name>.

BOOT_CPIO := $(BUILD)/servers/boot.cpio
USER_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
               -fno-stack-protector -fno-builtin -nostdlib -fno-tree-loop-distribute-patterns \
               -fno-asynchronous-unwind-tables -I$(SRC)/shared -MMD -MP

# Boot tasks live at physical = virtual addresses (the kernel loads them);
# every other program at MKVM_PROG_BASE (shared/mkvm/root.h) in its own space.
SIGMA0_BASE := 0x400000
ROOT_BASE   := 0x800000
PROG_BASE   := 0x400000

PROGRAMS := pci-bus virtio-blk virtio-net virtio-console virtio-rng shell com1 persist testsuite hostile \
            cowtest zonedemo zonebad kvserver

sigma0_LIBS := lib/ulib.c lib/crt0.S
root_LIBS   := lib/ulib.c lib/crt0.S lib/prog.c
PROG_LIBS   := lib/ulib.c lib/prog_crt0.S lib/prog.c
VIRTIO_LIBS := virtio/virtio_pci.c virtio/server.c
$(foreach p,$(PROGRAMS),$(eval $(p)_LIBS := $(PROG_LIBS)))
$(foreach p,$(filter virtio-%,$(PROGRAMS)),$(eval $(p)_LIBS += $(VIRTIO_LIBS)))
shell_LIBS  += lib/clients.c
testsuite_LIBS += lib/clients.c
zonedemo_LIBS += kv/kv.c
kvserver_LIBS += kv/kv.c
# a program with zones links with its own script (mkvm/zone.h)
zonedemo_LDS := zonedemo/zones.ld
persist_LIBS += lib/clients.c

define program_rules
$(1)_SRCS := $$(wildcard $(SRC)/guest-servers/$(1)/*.c $(SRC)/guest-servers/$(1)/*.S) \
             $$(addprefix $(SRC)/guest-servers/,$$($(1)_LIBS))
$(1)_OBJS := $$(patsubst $(SRC)/guest-servers/%,$(BUILD)/servers/$(1)/%.o,$$($(1)_SRCS))
$(BUILD)/servers/$(1)/%.c.o: $(SRC)/guest-servers/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(USER_CFLAGS) -c $$< -o $$@
$(BUILD)/servers/$(1)/%.S.o: $(SRC)/guest-servers/%.S
	@mkdir -p $$(@D)
	$$(CC) $$(USER_CFLAGS) -c $$< -o $$@
$(1)_LD_SCRIPT := $(SRC)/guest-servers/$$(or $$($(1)_LDS),lib/user.ld)
$(BUILD)/servers/image/$(1): $$($(1)_OBJS) $$($(1)_LD_SCRIPT)
	@mkdir -p $$(@D)
	$$(LD) -nostdlib -z max-page-size=4096 -z noexecstack --defsym=USER_BASE=$(2) \
		-T $$($(1)_LD_SCRIPT) -o $$@ $$($(1)_OBJS)
endef
$(eval $(call program_rules,sigma0,$(SIGMA0_BASE)))
$(eval $(call program_rules,root,$(ROOT_BASE)))
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p),$(PROG_BASE))))

BOOT_FILES := sigma0 root $(PROGRAMS) boot.cfg
$(BUILD)/servers/image/boot.cfg: $(SRC)/guest-servers/boot.cfg
	@mkdir -p $(@D)
	cp $< $@
$(BOOT_CPIO): $(addprefix $(BUILD)/servers/image/,$(BOOT_FILES))
	cd $(BUILD)/servers/image && printf '%s\n' $(BOOT_FILES) | cpio -o -H newc --quiet > $@

ALL_TARGETS += $(BOOT_CPIO)
