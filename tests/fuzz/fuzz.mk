# Fuzz targets. Each runs two ways: a deterministic driver built with gcc
# and the sanitizers (main() feeds it structure-aware inputs; always), then
# clang's libFuzzer for FUZZ_SECONDS when clang is installed. `make
# check-unit` (so `make test`) runs every target briefly; `make check-fuzz
# FUZZ_SECONDS=60` runs them longer. The sources a target needs are
# compiled straight into it with the sanitizers, without KVM.
#
#   gdb_packet  the gdb stub's packet layer and command dispatch
#   virtqueue   the split-virtqueue walker with the request handlers of
#               all four devices (blk, rng, console and net, both ways)
#   virtio_pci  the virtio-pci transport and the PCI core under it, driven
#               by programs of register accesses, worker running

FUZZ_CFLAGS   := -std=c11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                 -I$(SRC)/shared -I$(SRC)/vmm -fno-omit-frame-pointer
FUZZ_SECONDS  ?= 3
CLANG         := $(shell command -v clang 2>/dev/null)

FUZZ_gdb_packet_SRCS := $(SRC)/tests/fuzz/gdb_packet.c \
	$(addprefix $(SRC)/vmm/gdb/,packet.c regs.c pgwalk.c bp.c stub.c mem.c \
	  monitor.c kdebug.c)
FUZZ_gdb_packet_RUNS := 20000
FUZZ_gdb_packet_ARGS := -max_len=8192

FUZZ_virtqueue_SRCS := $(SRC)/tests/fuzz/virtqueue.c $(SRC)/vmm/ratelimit.c \
	$(addprefix $(SRC)/vmm/virtio/,virtqueue.c mem.c blk.c rng.c console.c \
	  net.c net_backend.c)
FUZZ_virtqueue_RUNS := 20000
FUZZ_virtqueue_ARGS := -timeout=10

FUZZ_virtio_pci_SRCS := $(SRC)/tests/fuzz/virtio_pci.c \
	$(addprefix $(SRC)/vmm/,cli_keys.c device.c errmsg.c io.c irq.c log.c ratelimit.c \
	  seccomp.c config/domain.c pci/pci.c) \
	$(BUILD)/vmm/syscall_names.c \
	$(addprefix $(SRC)/vmm/virtio/,pci.c virtqueue.c mem.c rng.c rng_pci.c)
# rng_pci.c's declaration reads the libvirt <rng> element (config/domain.c).
FUZZ_virtio_pci_FLAGS := $(shell pkg-config --cflags --libs libxml-2.0)
FUZZ_virtio_pci_RUNS := 2000
FUZZ_virtio_pci_ARGS := -timeout=10

FUZZ_TARGETS := gdb_packet virtqueue virtio_pci
FUZZ_HDRS    := $(wildcard $(SRC)/vmm/*.h $(SRC)/vmm/*/*.h $(SRC)/shared/mkvm/*.h)

.PHONY: check-fuzz $(addprefix check-fuzz-,$(FUZZ_TARGETS))
check-fuzz: $(addprefix check-fuzz-,$(FUZZ_TARGETS))
check-unit: check-fuzz

define fuzz_target
$(BUILD)/fuzz/$(1)-driver: $$(FUZZ_$(1)_SRCS) $(FUZZ_HDRS)
	@mkdir -p $$(@D)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_DRIVER -fsanitize=address,undefined \
	  -fno-sanitize-recover=all -o $$@ $$(FUZZ_$(1)_SRCS) $$(FUZZ_$(1)_FLAGS) -lpthread

$(BUILD)/fuzz/$(1)-libfuzzer: $$(FUZZ_$(1)_SRCS) $(FUZZ_HDRS)
	@mkdir -p $$(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -o $$@ $$(FUZZ_$(1)_SRCS) $$(FUZZ_$(1)_FLAGS) -lpthread

check-fuzz-$(1): $(BUILD)/fuzz/$(1)-driver $(if $(CLANG),$(BUILD)/fuzz/$(1)-libfuzzer)
	@$(BUILD)/fuzz/$(1)-driver $(FUZZ_$(1)_RUNS)
ifneq ($(CLANG),)
	@mkdir -p $(BUILD)/fuzz/$(1)-corpus
	@$(BUILD)/fuzz/$(1)-libfuzzer -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/$(1)- $(FUZZ_$(1)_ARGS) \
	  $(BUILD)/fuzz/$(1)-corpus 2>$(BUILD)/fuzz/$(1)-libfuzzer.log \
	  && echo "$(1) (libFuzzer, $(FUZZ_SECONDS) s): no failure" \
	  || { tail -40 $(BUILD)/fuzz/$(1)-libfuzzer.log; exit 1; }
else
	@echo "$(1) (libFuzzer): SKIP, clang is not installed"
endif
endef

$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))
