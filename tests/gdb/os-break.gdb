# Breakpoints in the OS view, where they reach the VMM (Bochs): mkvm waits
# for gdb at the PVH entry, with paging off, booted with "exit pair" (the
# root task starts the drivers and pair-a and pair-b, two instances of one
# ELF that end by themselves, and ends the run with status 33 once pair-b
# has ended).
# - a breakpoint on a kernel function, set right after attaching, while its
#   address is not mapped yet, stops there;
# - a breakpoint on a function of the PCI bus server, set right after
#   attaching, before the server exists (pending in gdb), stops the
#   server's thread there: mkvm tells gdb of each program as it is named,
#   before it runs, and gdb loads its ELF and inserts the breakpoint;
# - with stop-on-solib-events, gdb stops as each program appears;
# - a breakpoint in pair-a's pair_tick stops pair-a only, though pair-b
#   runs pair_tick at the same address from the same (shared, read-only)
#   frame: pair-b goes through it unseen; a breakpoint in pair-b's
#   pair_done stops pair-b only, which by then has ticked PAIR_TICKS times;
# - a breakpoint on a function of the root task, set in its process, stops
#   the root task's thread there, with its symbols (prog_end, as pair-a or
#   pair-b ends);
# - detaching the machine leaves the system running: it ends the run itself.
# Every stop is classified by gdb's stop event (breakpoint, thread), in
# whatever order the guest's scheduling gives.
set pagination off
set confirm off
set breakpoint pending on
set stop-on-solib-events 1

# EXPECT: ^Breakpoint 1 at 0xffffffff8
break ipc_fastpath
# EXPECT: ^Breakpoint 2 \(enumerate\) pending\.
break enumerate

python
def check(name, ok, detail=""):
    print("CHECK %s %s%s" % (name, "ok" if ok else "BAD",
                             (" (" + detail + ")") if detail and not ok else ""))

def inferior_of(program):
    """The gdb inferior whose ELF is program's (from gdb's own list: no
    packets)."""
    for inf in gdb.inferiors():
        f = inf.progspace.filename if inf.progspace else None
        if f and f.endswith("/" + program):
            return inf.num
    return None

kernel_fn = int(gdb.parse_and_eval("(unsigned long)&ipc_fastpath"))
state = {"kernel": False, "pci": False, "events": 0, "programs": set(),
         "a": None, "b": None, "a_bp": None, "b_bp": None, "ticks": 0,
         "done": False, "root_bp": None, "root": False}
bad = []

last = {}

def on_stop(ev):
    """The breakpoint and the thread of a stop, as gdb's stop event gives
    them (gdb has selected the stopping thread)."""
    last.clear()
    last["event"] = ev
    if isinstance(ev, gdb.BreakpointEvent) and ev.breakpoints:
        t = gdb.selected_thread()
        last["bp"] = ev.breakpoints[0].number
        last["thread"] = (t.inferior.num, t.num)

gdb.events.stop.connect(on_stop)

for step in range(80):
    out = gdb.execute("continue", to_string=True)
    if "bp" not in last:
        # a library event (stop-on-solib-events) is a plain stop event,
        # with the new program's thread selected
        if last and type(last["event"]) is gdb.StopEvent:
            state["events"] += 1
            inf = gdb.selected_inferior()
            f = inf.progspace.filename
            if f:
                state["programs"].add(f.split("/")[-1])
            # the pair run one ELF, pair-a named first (boot.cfg's order);
            # once both are named, neither has ticked (pair-a waits for
            # pair-b's call)
            if f and f.endswith("/cowtest") and state["a_bp"] is None:
                if state["a"] is None:
                    state["a"] = inf.num
                else:
                    state["b"] = inf.num
                    gdb.execute("inferior %d" % state["a"])
                    gdb.execute("break *pair_tick")
                    state["a_bp"] = gdb.breakpoints()[-1].number
                    gdb.execute("inferior %d" % state["b"])
                    gdb.execute("break *pair_done")
                    state["b_bp"] = gdb.breakpoints()[-1].number
            continue
        bad.append("stop %d: %s %s" % (step, type(last.get("event")).__name__, out.strip()[-200:]))
        break
    (inf, num), bp = last["thread"], last["bp"]
    gdb.execute("thread %d.%d" % (inf, num))
    fn = gdb.selected_frame().name()
    if bp == 1:
        check("break-kernel-unmapped", inf == 1 and int(gdb.parse_and_eval("(unsigned long)$pc")) == kernel_fn,
              "inferior %d" % inf)
        state["kernel"] = True
        gdb.execute("delete 1")
    elif bp == 2:
        check("break-user-before-start", inf == inferior_of("pci-bus") and fn == "enumerate",
              "inferior %d, %s" % (inf, fn))
        state["pci"] = True
        gdb.execute("delete 2")
    elif bp == state["a_bp"]:
        if inf != state["a"] or fn != "pair_tick":
            bad.append("pair-a's breakpoint stopped inferior %d in %s" % (inf, fn))
        state["ticks"] += 1
    elif bp == state["b_bp"]:
        if inf != state["b"] or fn != "pair_done":
            bad.append("pair-b's breakpoint stopped inferior %d in %s" % (inf, fn))
        # pair-b went through pair_tick, past pair-a's int3 in the frame
        # both map there, as often as pair-a will
        b_ticks = int(gdb.parse_and_eval("pair_ticks"))
        check("other-space-steps-over", b_ticks == 3, "pair-b ticked %d times" % b_ticks)
        state["done"] = True
    elif bp == state["root_bp"]:
        check("break-root-function", inf == inferior_of("root") and fn == "prog_end",
              "inferior %d, %s" % (inf, fn))
        state["root"] = True
        break
    else:
        bad.append("breakpoint %d in inferior %d" % (bp, inf))
        break
    if state["ticks"] == 3 and state["done"] and state["root_bp"] is None:
        gdb.execute("delete %d %d" % (state["a_bp"], state["b_bp"]))
        # the root task learns of the pair's ends after this
        gdb.execute("set stop-on-solib-events 0")
        gdb.execute("inferior %d" % inferior_of("root"))
        gdb.execute("break prog_end")
        state["root_bp"] = gdb.breakpoints()[-1].number

print("stops: %d library events (%s)" % (state["events"], ", ".join(sorted(state["programs"]))))
# sigma0 and the root task, then the programs the root task starts, each
# announced before its first instruction
check("library-events", {"sigma0", "root", "pci-bus"} <= state["programs"] and not bad,
      "%s; %s" % (sorted(state["programs"]), "; ".join(bad)))
check("break-one-space-only", not bad and state["ticks"] == 3 and state["done"],
      "%d ticks; %s" % (state["ticks"], "; ".join(bad)))
check("all-stops-seen", state["kernel"] and state["pci"] and state["root"], str(state))
end
# EXPECT: ^CHECK break-kernel-unmapped ok$
# EXPECT: ^CHECK break-user-before-start ok$
# EXPECT: ^CHECK library-events ok$
# EXPECT: ^CHECK other-space-steps-over ok$
# EXPECT: ^CHECK break-one-space-only ok$
# EXPECT: ^CHECK break-root-function ok$
# EXPECT: ^CHECK all-stops-seen ok$
delete
# the machine's process: gdb lets go of the VM, which comes up and ends the
# run itself (status 33); the programs' processes gdb detaches when it quits
inferior 1
set remotetimeout 5
detach
echo CHECK detach ok\n
