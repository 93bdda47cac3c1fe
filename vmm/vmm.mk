# mkvm, the VMM. Every vmm/**/*.c except main.c goes into $(VMM_LIB), which
# the unit tests link against; main.c adds the entry point.

VMM_SRCS   := $(shell find $(SRC)/vmm -name '*.c' ! -name main.c)
VMM_OBJS   := $(patsubst $(SRC)/vmm/%.c,$(BUILD)/vmm/%.o,$(VMM_SRCS))
VMM_LIB    := $(BUILD)/vmm/libmkvm.a
VMM_BIN    := $(BUILD)/vmm/mkvm
VMM_LDLIBS := -lpthread

ALL_TARGETS += $(VMM_BIN)

$(BUILD)/vmm/%.o: $(SRC)/vmm/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(SRC)/vmm -DMKVM_VERSION='"$(VERSION)"' -c $< -o $@

$(VMM_LIB): $(VMM_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(VMM_BIN): $(BUILD)/vmm/main.o $(VMM_LIB)
	$(CC) -o $@ $^ $(VMM_LDLIBS)
