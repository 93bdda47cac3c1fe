# Single-step only (the nested NPT platform delivers single-step but not
# breakpoints to the VMM): from the stop at attach, three stepi's must each
# move the PC forward, then the guest runs on undisturbed. Same CHECK
# convention as full.gdb.
set pagination off
set confirm off

set $p0 = $pc
stepi
set $p1 = $pc
stepi
stepi
printf "pc %#lx -> %#lx -> %#lx\n", $p0, $p1, $pc
if $p1 != $p0 && $pc != $p1
  echo CHECK stepi ok\n
else
  echo CHECK stepi BAD\n
end

info threads
detach
echo CHECK detach ok\n
