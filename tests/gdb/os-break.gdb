# Breakpoints in the OS view, where they reach the VMM (Bochs): mkvm waits
# for gdb at the PVH entry, with paging off, booted with "exit" (the root
# task ends the run with status 33 once the system is up).
# - a breakpoint on a kernel function, set right after attaching, while its
#   address is not mapped yet, stops there;
# - a breakpoint on a function of the root task, set in the root task's
#   process, stops the root task's thread there, with its symbols;
# - detaching the machine leaves the system running: it comes up and ends
#   the run itself.
# gdb switches to a thread of a process it discovers at a stop, so each
# check selects the thread it looks at.
set pagination off
set confirm off

# EXPECT: ^Breakpoint 1 at 0xffffffff8
break ipc_fastpath
set $want = (long)&ipc_fastpath
continue
thread 1.1
if $pc == $want
  echo CHECK break-kernel-unmapped ok\n
else
  echo CHECK break-kernel-unmapped BAD\n
end
delete

python
import re
def check(name, ok, detail=""):
    print("CHECK %s %s%s" % (name, "ok" if ok else "BAD", (" (" + detail + ")") if detail and not ok else ""))

def inferior_of(program):
    for line in gdb.execute("info threads", to_string=True).splitlines():
        m = re.match(r"^\*?\s+(\d+)\.\d+\s+Thread (\d+)\.\d+ \(%s: " % re.escape(program), line)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None, None

num, pid = inferior_of("root")
print("root is inferior %s, process %s" % (num, pid))
check("root-process", num is not None)
gdb.execute("inferior %d" % num)
gdb.execute("break programs_wait")
gdb.execute("continue")
gdb.execute("thread %d.1" % num)
frame = gdb.selected_frame()
print("root's thread is in %s" % frame.name())
check("break-root-function", frame.name() == "programs_wait", str(frame.name()))
end
# EXPECT: ^CHECK root-process ok$
# EXPECT: ^CHECK break-root-function ok$
delete
# the machine's process: gdb lets go of the VM, which comes up and ends the
# run itself (status 33); the programs' processes gdb detaches when it quits
inferior 1
set remotetimeout 5
detach
echo CHECK detach ok\n
