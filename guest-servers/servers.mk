# User-level servers, packed into one cpio "newc" boot module: $(BOOT_CPIO).
