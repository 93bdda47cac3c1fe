# Protocol-level session: everything that does not need the guest to trap
# into the debugger (tests/gdb/run.sh runs it where breakpoints cannot reach
# the VMM, e.g. on kvm_pvm): registers, memory by symbol, writes, threads,
# detach. Same CHECK convention as full.gdb.
set pagination off
set confirm off

info registers rip cr0 cr3 efer cs
if $cs != 0
  echo CHECK registers ok\n
else
  echo CHECK registers BAD\n
end

x/2i gdb_kernel_func
set $insn = *(unsigned char *)gdb_kernel_func
set var gdb_counter = 0x1234
if gdb_counter == 0x1234 && $insn != 0
  echo CHECK memory ok\n
else
  echo CHECK memory BAD\n
end
set var gdb_counter = 0

set $saved = $rax
# 32 bits: QEMU's stub keeps only the low half outside 64-bit mode
set $rax = 0x11223344
if $rax == 0x11223344
  echo CHECK register-write ok\n
else
  echo CHECK register-write BAD\n
end
set $rax = $saved

info threads
detach
echo CHECK detach ok\n
