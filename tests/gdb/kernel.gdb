# OS awareness on the real microkernel (guest-kernel/ with its servers,
# plain boot), run by tests/gdb/l1.sh where the kernel can run under mkvm:
# let it boot ($boot_wait seconds, 3 by default: a whole test-mode boot
# takes under 5 s there), stop it, list its threads and spaces from
# mkvm_kdebug_desc, select the root server's space (space 1: sigma0's is
# created first) and read the root server's code there, comparing it with
# the ELF file in $server_dir (set by l1.sh); the same for sigma0. The booted system idles for ever,
# so the session ends with "kill" (mkvm exits 0).
set pagination off
set confirm off

python
import threading, time
def _interrupt_soon(event):
    gdb.events.cont.disconnect(_interrupt_soon)
    def fire():
        time.sleep(float(gdb.convenience_variable("boot_wait") or 3))
        gdb.post_event(lambda: gdb.execute("interrupt"))
    threading.Thread(target=fire, daemon=True).start()
gdb.events.cont.connect(_interrupt_soon)
end
# A debugger's int3 on the kernel's mkvm_kdebug_named that the VMM does
# not intercept (here none is: the byte is written as plain memory, and
# gdb has no breakpoint) reaches the kernel, which goes on as after the
# nop it replaced: the boot goes on past every named thread. At the PVH
# entry paging is off: the kernel's physical address.
set *(unsigned char *)((unsigned long)&mkvm_kdebug_named - 0xffffffff80000000) = 0xcc

# EXPECT: received signal SIGINT
continue

# EXPECT: ^kdebug_bp_passed [1-9][0-9]*$
eval "echo kdebug_bp_passed %lu\\n", kdebug_bp_passed

eval "monitor kdesc %#lx", &mkvm_kdebug_desc
# EXPECT: ^  32\.1 +[a-z-]+ +0 +[0-9]+  sigma0$
# EXPECT: ^  33\.1 +[a-z-]+ +1 +[0-9]+  root$
# EXPECT: ^ +[0-9]+\.1 +[a-z-]+ +[0-9]+ +[0-9]+  pci-bus$
monitor threads
# EXPECT: ^    0  0x[0-9a-f]+ +[0-9]+ +[0-9]+  sigma0$
# EXPECT: ^    1  0x[0-9a-f]+ +[0-9]+ +[0-9]+  root$
# EXPECT: ^ +[0-9]+  0x[0-9a-f]+ +[0-9]+ +[0-9]+  pci-bus$
monitor spaces
# EXPECT: ^addresses are virtual, through cr3 0x[0-9a-f]+$
monitor space 1

# entry_matches(NAME): do the 16 bytes at server NAME's entry point, read
# through the selected space, equal those in its ELF file?
python
import os, struct
def entry_matches(name):
    path = os.path.join(gdb.convenience_variable("server_dir").string(), name)
    with open(path, "rb") as f:
        elf = f.read()
    entry, phoff = struct.unpack_from("<QQ", elf, 24)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    want = None
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and vaddr <= entry < vaddr + filesz:
            want = elf[off + entry - vaddr:off + entry - vaddr + 16]
    try:
        got = bytes(gdb.selected_inferior().read_memory(entry, 16))
    except gdb.MemoryError:
        got = None
    print("%s entry %#x: want %s got %s" % (name, entry, want and want.hex(), got and got.hex()))
    return 1 if want and got == want else 0
end
python gdb.set_convenience_variable("ok", entry_matches("root"))
if $ok == 1
  echo CHECK root-space ok\n
else
  echo CHECK root-space BAD\n
end
# sigma0 (linked at 0x400000) is not in the root's space but in its own.
python gdb.set_convenience_variable("ok", entry_matches("sigma0"))
if $ok == 0
  echo CHECK root-space-not-sigma0 ok\n
else
  echo CHECK root-space-not-sigma0 BAD\n
end
# EXPECT: ^addresses are virtual, through cr3 0x[0-9a-f]+$
monitor space 0
python gdb.set_convenience_variable("ok", entry_matches("sigma0"))
if $ok == 1
  echo CHECK sigma0-space ok\n
else
  echo CHECK sigma0-space BAD\n
end
monitor cr3 off
kill
echo CHECK kill ok\n
