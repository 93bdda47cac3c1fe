# mkvm: one top-level Makefile. Each part of the tree contributes an included
# fragment (<dir>/*.mk) that builds into $(BUILD); the source tree is never
# written. See CONTRIBUTING.md.

BUILD      ?= build
BUILD      := $(abspath $(BUILD))
SRC        := $(abspath .)
VERSION    := $(shell git -C $(SRC) describe --always --dirty 2>/dev/null || echo unknown)

# Host (VMM, unit tests): C11, warnings are errors, hardened like a
# distribution package (stack protector, FORTIFY; the VMM links with full
# RELRO and BIND_NOW, vmm/vmm.mk).
CC         ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
               -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
               -I$(SRC)/shared -MMD -MP
HOST_LDFLAGS := -Wl,-z,relro,-z,now

.DEFAULT_GOAL := all
.PHONY: all deps run test check-unit check-host check-qemu check-nested \
        check-bochs bench-vmm bench-kernel clean

# Every fragment appends its main outputs to ALL_TARGETS.
ALL_TARGETS :=
include vmm/vmm.mk
include guest-kernel/kernel.mk
include guest-servers/servers.mk
include tests/tests.mk
include images/images.mk

all: $(ALL_TARGETS)

deps:
	@$(SRC)/tests/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@$(SRC)/tests/platforms/run.sh

test: deps
	@$(SRC)/tests/run-all.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path $(BUILD)/platform -prune -o -name '*.d' -print 2>/dev/null)
