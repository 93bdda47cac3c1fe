# The full scripted session (tests/gdb/run.sh runs it with gdb -batch after
# "file gdbtarget.elf" and "target remote ..."): break on a kernel function
# by symbol, read registers, step, watchpoint, break in CPL3 code by its
# symbol, threads, detach. Prints "CHECK <name> ok|BAD" lines; a failing
# gdb command ends the script early, which run.sh also counts as failure.
set pagination off
set confirm off

# run.sh sets $use_hbreak where int3 cannot reach the VMM (kvm_pvm).
if $_isvoid($use_hbreak)
  break gdb_kernel_func
else
  hbreak gdb_kernel_func
end
continue
if $pc == gdb_kernel_func
  echo CHECK break-by-symbol ok\n
else
  echo CHECK break-by-symbol BAD\n
end

printf "cr0=%#lx cr3=%#lx cr4=%#lx efer=%#lx fs_base=%#lx\n", $cr0, $cr3, $cr4, $efer, $fs_base
if ($cr0 & 0x80000001) == 0x80000001 && $cr3 != 0 && ($efer & 0x400)
  echo CHECK control-registers ok\n
else
  echo CHECK control-registers BAD\n
end
if $fs_base == 0x5a5a0000
  echo CHECK fs_base ok\n
else
  echo CHECK fs_base BAD\n
end
if $rdi == 1
  echo CHECK argument-register ok\n
else
  echo CHECK argument-register BAD\n
end

set $before = $pc
stepi
if $pc != $before && $pc > gdb_kernel_func
  echo CHECK stepi ok\n
else
  echo CHECK stepi BAD\n
end

delete
# run.sh sets $no_watch where data breakpoints do not reach the VMM.
if $_isvoid($no_watch)
  watch gdb_counter
  continue
  if gdb_counter == 1
    echo CHECK watchpoint ok\n
  else
    echo CHECK watchpoint BAD\n
  end
  delete
else
  echo CHECK watchpoint SKIP\n
end

# run.sh sets $no_user_break where breakpoints in CPL3 code do not reach
# the VMM.
if $_isvoid($no_user_break)
  if $_isvoid($use_hbreak)
    break gdb_user_func
  else
    hbreak gdb_user_func
  end
  continue
  if $pc == gdb_user_func && ($cs & 3) == 3
    echo CHECK user-break ok\n
  else
    echo CHECK user-break BAD\n
  end
  delete
else
  echo CHECK user-break SKIP\n
end

# Ctrl-C: make the guest spin, interrupt it two seconds after it resumed.
# EXPECT(interrupt): received signal SIGINT
python
import threading, time
def _interrupt_soon(event):
    gdb.events.cont.disconnect(_interrupt_soon)
    def fire():
        time.sleep(2.0)
        gdb.post_event(lambda: gdb.execute("interrupt"))
    threading.Thread(target=fire, daemon=True).start()
end
# l1.sh sets $no_interrupt where Ctrl-C is known not to work.
if $_isvoid($no_interrupt)
  set var gdb_spin = 1
  python gdb.events.cont.connect(_interrupt_soon)
  continue
  if gdb_spin == 1 && gdb_spins > 0
    echo CHECK interrupt ok\n
  else
    echo CHECK interrupt BAD\n
  end
  set var gdb_spin = 0
else
  echo CHECK interrupt SKIP\n
end

info threads
detach
echo CHECK detach ok\n
