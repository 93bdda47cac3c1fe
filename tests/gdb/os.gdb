# The OS view on the real microkernel (mkvm finds mkvm_kdebug_desc in the
# kernel ELF): booted with "shell" and a disk, so the shell and the
# virtio-blk driver run. Let it boot ($boot_wait seconds, 3 by default),
# stop it, and check that gdb sees the kernel's spaces as processes
# ("info inferiors") and its threads named by program ("info threads"),
# that gdb loaded each program's ELF (mkvm --gdb-os names them in
# $server_dir) into its own inferior, and "bt" in a virtio-blk thread shows the driver's functions,
# "bt" in the root task's the root task's, and that a global of the
# shell reads the shell's value, though all are linked at the same
# addresses. The system idles, so the session ends with "kill".
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
# EXPECT: (received signal SIGINT|stopped\.)$
continue

# EXPECT: ^\s+[0-9]+\s+process 2\s
info inferiors
# EXPECT: ^CHECK thread-names ok$
# EXPECT: ^CHECK inferiors ok$
# EXPECT: ^CHECK bt-virtio-blk ok$
# EXPECT: ^CHECK bt-root ok$
# EXPECT: ^CHECK print-shell-global ok$
# EXPECT: ^CHECK exec-file-virtio-blk ok$

python
import os, re
def check(name, ok, detail=""):
    print("CHECK %s %s%s" % (name, "ok" if ok else "BAD", (" (" + detail + ")") if detail and not ok else ""))

server_dir = gdb.convenience_variable("server_dir").string()
threads = {}          # program name -> [(gdb thread number, pid, kernel thread)]
listing = gdb.execute("info threads", to_string=True)
print(listing)
for line in listing.splitlines():
    # "  5.1  Thread 6.42 (virtio-blk: recv-wait, thread 42.1)  0x... in ..."
    m = re.match(r"^\*?\s+(\d+(?:\.\d+)?)\s+Thread (\d+)\.(\d+) \(([^:),]+): ", line)
    if m:
        threads.setdefault(m.group(4), []).append((m.group(1), int(m.group(2)), int(m.group(3))))
print("programs seen: %s" % sorted(threads))
check("thread-names", all(p in threads for p in ("sigma0", "root", "pci-bus", "virtio-blk", "shell")),
      "saw " + ", ".join(sorted(threads)))
inferior_of = {inf.pid: inf.num for inf in gdb.inferiors()}
check("inferiors", all(threads[p][0][1] in inferior_of for p in threads if threads[p]),
      "pids %s, inferiors %s" % ([t[0][1] for t in threads.values()], inferior_of))

def load(program):
    num, pid, _ = threads[program][0]
    # mkvm named each process's ELF (qXfer:exec-file): gdb loaded it
    inf = [i for i in gdb.inferiors() if i.pid == pid][0]
    want = os.path.join(server_dir, program)
    check("exec-file-" + program, inf.progspace.filename == want, "%s, not %s" % (inf.progspace.filename, want))
    gdb.execute("inferior %d" % inferior_of[pid])
    gdb.execute("thread %s" % num)

def bt():
    text = gdb.execute("bt", to_string=True)
    print(text)
    return text

try:
    load("virtio-blk")
    text = bt()
    check("bt-virtio-blk", "vpci_serve" in text and "main" in text, text.strip())
    load("root")
    text = bt()
    check("bt-root", "vpci_serve" not in text and "main" in text, text.strip())
    load("shell")
    value = gdb.parse_and_eval("help").string()
    print("shell help: %r" % value[:60])
    check("print-shell-global", value.startswith("commands"), repr(value[:60]))
except gdb.error as e:
    check("os-session", False, str(e))
end
# "kill" ends the VM, so every process: mkvm exits and the connection
# closes, which ends the others for gdb
kill
echo CHECK kill ok\n
