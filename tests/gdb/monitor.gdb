# mkvm's own monitor commands (QEMU's stub has different ones, so run.sh
# runs this against mkvm only). Besides the CHECK lines, run.sh requires
# every "# EXPECT: REGEX" below to match a line of gdb's output.
set pagination off
set confirm off

hbreak gdb_kernel_func
continue
delete

# The test guest identity-maps its first GiB with 2 MiB pages.
# EXPECT: ^(0x10[0-9a-f]{4}) -> \1 \(2048 KiB page\)$
eval "monitor translate %#lx", &gdb_counter
# EXPECT: ^0x40000000: not mapped$
monitor translate 0x40000000

# EXPECT: ^addresses are guest-physical$
monitor phys on
set $phys = *(unsigned long *)&gdb_counter
monitor phys off

# An address space with nothing mapped: virtual reads must fail.
# EXPECT: ^addresses are virtual, through cr3 0x200000$
monitor cr3 0x200000
# EXPECT: ^0x10[0-9a-f]{4}: not mapped$
eval "monitor translate %#lx", &gdb_counter
# EXPECT: ^addresses are virtual, through vCPU 0's cr3$
monitor cr3 off
if $phys == gdb_counter
  echo CHECK monitor-phys ok\n
else
  echo CHECK monitor-phys BAD\n
end

info threads
detach
echo CHECK detach ok\n
