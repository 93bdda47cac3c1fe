# mkvm: one top-level Makefile. Each part of the tree contributes an included
# fragment (<dir>/*.mk) that builds into $(BUILD); the source tree is never
# written. See CONTRIBUTING.md.

BUILD      ?= build
BUILD      := $(abspath $(BUILD))
SRC        := $(abspath .)
VERSION    := $(shell git -C $(SRC) describe --always --dirty 2>/dev/null || echo unknown)

# Host (VMM, unit tests): C11, warnings are errors.
CC         ?= gcc
HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
               -I$(SRC)/shared -MMD -MP

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
