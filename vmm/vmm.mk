# mkvm, the VMM. Every vmm/**/*.c and *.S except main.c goes into
# $(VMM_LIB), which the unit tests link against; main.c adds the entry point.
# vmm/probe/guest.S is the probe guest, assembled into the library as data.

VMM_SRCS   := $(shell find $(SRC)/vmm -name '*.c' ! -name main.c)
VMM_ASRCS  := $(shell find $(SRC)/vmm -name '*.S')
VMM_OBJS   := $(patsubst $(SRC)/vmm/%.c,$(BUILD)/vmm/%.o,$(VMM_SRCS)) \
              $(patsubst $(SRC)/vmm/%.S,$(BUILD)/vmm/%.o,$(VMM_ASRCS)) \
              $(BUILD)/vmm/syscall_names.o
VMM_LIB    := $(BUILD)/vmm/libmkvm.a
VMM_BIN    := $(BUILD)/vmm/mkvm
VMM_LDLIBS := -lpthread

ALL_TARGETS += $(VMM_BIN)

$(BUILD)/vmm/%.o: $(SRC)/vmm/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(SRC)/vmm -DMKVM_VERSION='"$(VERSION)"' -c $< -o $@

$(BUILD)/vmm/%.o: $(SRC)/vmm/%.S
	@mkdir -p $(@D)
	$(CC) -I$(SRC)/vmm -MMD -MP -c $< -o $@

# The SIGSYS message names the system call: the x86-64 names, from the
# kernel headers the filters are built against (vmm/seccomp.c).
$(BUILD)/vmm/syscall_names.c: $(SRC)/vmm/vmm.mk
	@mkdir -p $(@D)
	{ echo '/* Generated from <asm/unistd_64.h> by vmm/vmm.mk. */'; \
	  echo '#include <stddef.h>'; echo '#include "seccomp.h"'; \
	  echo 'static const char *const names[] = {'; \
	  echo '#include <asm/unistd_64.h>' | $(CC) -E -dM - | \
	    sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\t[\2] = "\1",/p' | sort -t[ -k2 -n; \
	  echo '};'; \
	  echo 'const char *seccomp__syscall_name(long nr)'; echo '{'; \
	  echo '	return nr >= 0 && nr < (long)(sizeof(names) / sizeof(names[0])) ? names[nr] : NULL;'; \
	  echo '}'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/vmm/syscall_names.o: $(BUILD)/vmm/syscall_names.c
	$(CC) $(HOST_CFLAGS) -I$(SRC)/vmm -c $< -o $@

$(VMM_LIB): $(VMM_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Whole archive: the devices are reached only through the mkvm_devices
# section (vmm/device.h), so no symbol would pull their objects in.
$(VMM_BIN): $(BUILD)/vmm/main.o $(VMM_LIB)
	$(CC) $(HOST_LDFLAGS) -o $@ $(BUILD)/vmm/main.o -Wl,--whole-archive $(VMM_LIB) \
		-Wl,--no-whole-archive $(VMM_LDLIBS)

.PHONY: bench-vmm
bench-vmm: $(VMM_BIN)
	@$(SRC)/tests/bench/vmm.sh

$(BUILD)/bench/runtime: $(SRC)/tests/bench/runtime.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $<

bench-vmm: $(BUILD)/bench/runtime

# mkvm's own test guest (tests/vmm/) and `make check-vmm`.
VMM_TEST_GUEST := $(BUILD)/vmm/tests/vmmtest.elf
ALL_TARGETS += $(VMM_TEST_GUEST)

$(VMM_TEST_GUEST): $(SRC)/tests/vmm/vmmtest.S $(SRC)/tests/vmm/guest.ld
	@mkdir -p $(@D)
	$(CC) -c $< -o $(@:.elf=.o)
	$(LD) -m elf_x86_64 -static -nostdlib -T $(SRC)/tests/vmm/guest.ld --build-id=none \
		-z noexecstack --no-warn-rwx-segments $(@:.elf=.o) -o $@

.PHONY: check-vmm
check-vmm: $(VMM_BIN) $(VMM_TEST_GUEST)
	@SRC=$(SRC) BUILD=$(BUILD) $(SRC)/tests/vmm/check.sh

# mkvm --domain reads libvirt domain XML with libxml2 (vmm/config/domain.c).
$(BUILD)/vmm/config/domain.o: HOST_CFLAGS += $(shell pkg-config --cflags libxml-2.0)
VMM_LDLIBS += $(shell pkg-config --libs libxml-2.0)
