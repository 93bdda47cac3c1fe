# Fuzz targets. `make check-fuzz` runs each briefly: a deterministic driver
# built with gcc and the sanitizers (always), then clang's libFuzzer for
# FUZZ_SECONDS when clang is installed. The pure stub sources are compiled
# straight into each target, without the KVM side.

FUZZ_GDB_SRCS := $(addprefix $(SRC)/vmm/gdb/,packet.c regs.c pgwalk.c bp.c \
                   stub.c mem.c monitor.c kdebug.c) $(SRC)/tests/fuzz/gdb_packet.c
FUZZ_CFLAGS   := -std=c11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
                 -I$(SRC)/shared -I$(SRC)/vmm -fno-omit-frame-pointer
FUZZ_SECONDS  ?= 10
CLANG         := $(shell command -v clang 2>/dev/null)

$(BUILD)/fuzz/gdb_packet-driver: $(FUZZ_GDB_SRCS) $(wildcard $(SRC)/vmm/gdb/*.h)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_DRIVER -fsanitize=address,undefined \
	  -fno-sanitize-recover=all -o $@ $(FUZZ_GDB_SRCS)

$(BUILD)/fuzz/gdb_packet-libfuzzer: $(FUZZ_GDB_SRCS) $(wildcard $(SRC)/vmm/gdb/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -o $@ $(FUZZ_GDB_SRCS)

.PHONY: check-fuzz check-fuzz-gdb-driver
check-fuzz-gdb-driver: $(BUILD)/fuzz/gdb_packet-driver
	@$(BUILD)/fuzz/gdb_packet-driver 20000

# `make test` runs check-unit: the gdb driver (well under 1 s) runs with it.
check-unit: check-fuzz-gdb-driver

check-fuzz: check-fuzz-gdb-driver $(if $(CLANG),$(BUILD)/fuzz/gdb_packet-libfuzzer)
ifneq ($(CLANG),)
	@mkdir -p $(BUILD)/fuzz/gdb_packet-corpus
	@$(BUILD)/fuzz/gdb_packet-libfuzzer -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=8192 $(BUILD)/fuzz/gdb_packet-corpus 2>$(BUILD)/fuzz/gdb_packet-libfuzzer.log \
	  && echo "gdb_packet (libFuzzer, $(FUZZ_SECONDS) s): no failure" \
	  || { tail -40 $(BUILD)/fuzz/gdb_packet-libfuzzer.log; exit 1; }
else
	@echo "gdb_packet (libFuzzer): SKIP, clang is not installed"
endif

# virtqueue: the split-virtqueue walker with the virtio-blk and virtio-rng
# request handlers on top (tests/fuzz/virtqueue.c).
FUZZ_VQ_SRCS := $(SRC)/tests/fuzz/virtqueue.c \
                $(addprefix $(SRC)/vmm/virtio/,virtqueue.c mem.c blk.c rng.c)
FUZZ_VQ_DEPS := $(FUZZ_VQ_SRCS) $(wildcard $(SRC)/vmm/virtio/*.h) \
                $(SRC)/shared/mkvm/virtio.h
FUZZ_VQ_SECONDS ?= 3

$(BUILD)/fuzz/virtqueue-driver: $(FUZZ_VQ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_DRIVER -fsanitize=address,undefined \
	  -fno-sanitize-recover=all -o $@ $(FUZZ_VQ_SRCS)

$(BUILD)/fuzz/virtqueue-libfuzzer: $(FUZZ_VQ_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -o $@ $(FUZZ_VQ_SRCS)

.PHONY: check-fuzz-virtqueue
check-fuzz: check-fuzz-virtqueue
check-fuzz-virtqueue: $(BUILD)/fuzz/virtqueue-driver $(if $(CLANG),$(BUILD)/fuzz/virtqueue-libfuzzer)
	@$(BUILD)/fuzz/virtqueue-driver 20000
ifneq ($(CLANG),)
	@mkdir -p $(BUILD)/fuzz/virtqueue-corpus
	@$(BUILD)/fuzz/virtqueue-libfuzzer -max_total_time=$(FUZZ_VQ_SECONDS) \
	  -timeout=10 $(BUILD)/fuzz/virtqueue-corpus 2>$(BUILD)/fuzz/virtqueue-libfuzzer.log \
	  && echo "virtqueue (libFuzzer, $(FUZZ_VQ_SECONDS) s): no failure" \
	  || { tail -40 $(BUILD)/fuzz/virtqueue-libfuzzer.log; exit 1; }
else
	@echo "virtqueue (libFuzzer): SKIP, clang is not installed"
endif

# `make test` runs check-unit: the virtqueue target runs briefly with it.
check-unit: check-fuzz-virtqueue
