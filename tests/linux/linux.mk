# The Linux guest of case linux-virtio (tests/linux/): a Debian kernel and
# an initramfs that checks its virtio drivers. Not part of `all` (it
# downloads the kernel package); check-nested builds it.

LINUX_DIR    := $(BUILD)/linux
LINUX_VCHECK := $(LINUX_DIR)/vcheck

$(LINUX_VCHECK): $(SRC)/tests/linux/vcheck.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

$(LINUX_DIR)/initramfs.cpio.gz: $(LINUX_VCHECK) $(SRC)/tests/linux/init $(SRC)/tests/linux/build.sh
	@$(HARNESS_ENV) $(SRC)/tests/linux/build.sh $(LINUX_VCHECK)

.PHONY: linux-guest
linux-guest: $(LINUX_DIR)/initramfs.cpio.gz
