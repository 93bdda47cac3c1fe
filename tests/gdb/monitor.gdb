# mkvm's own monitor commands (QEMU's stub has different ones, so run.sh
# runs this against mkvm only). Besides the CHECK lines, run.sh requires
# every "# EXPECT: REGEX" below to match a line of gdb's output.
set pagination off
set confirm off

# Stop the guest in long mode with its page tables up: at gdb_kernel_func
# by a hardware breakpoint, or, where $stop_by_interrupt is set (nested,
# where breakpoints do not reach the VMM: PLATFORM.md), by Ctrl-C while it
# spins after its work (gdb_spin), 2 s after it resumed.
if $_isvoid($stop_by_interrupt)
  hbreak gdb_kernel_func
  continue
  delete
else
  python
import threading, time
def _interrupt_soon(event):
    gdb.events.cont.disconnect(_interrupt_soon)
    def fire():
        time.sleep(2.0)
        gdb.post_event(lambda: gdb.execute("interrupt"))
    threading.Thread(target=fire, daemon=True).start()
gdb.events.cont.connect(_interrupt_soon)
end
  set var gdb_spin = 1
  continue
end

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

# OS awareness over the guest's kernel description (gdbtarget.c).
eval "monitor kdesc %#lx", &mkvm_kdebug_desc
# EXPECT: ^  33\.1    ready          1   100$
# EXPECT: ^  40\.2    recv-wait      2   254$
# EXPECT: ^2 threads$
monitor threads
# EXPECT: ^    1  0x[0-9a-f]+ +0        1$
# EXPECT: ^    2  0x300000 +7        1$
# EXPECT: ^2 spaces$
monitor spaces
# Space 1 is the vCPU's own page tables, selected as another space's are.
# EXPECT: ^addresses are virtual, through cr3 0x[0-9a-f]+$
monitor space 1
set $through_space = gdb_counter
# Space 2's page tables map nothing.
# EXPECT: ^addresses are virtual, through cr3 0x300000$
monitor space 2
# EXPECT: ^0x10[0-9a-f]{4}: not mapped$
eval "monitor translate %#lx", &gdb_counter
monitor cr3 off
if $through_space == $phys
  echo CHECK monitor-space ok\n
else
  echo CHECK monitor-space BAD\n
end

set var gdb_spin = 0
info threads
detach
echo CHECK detach ok\n
