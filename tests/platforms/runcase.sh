# The case runner: runs one mkvm case of tests/cases.list and brackets its
# output with marker lines. POSIX sh (busybox ash in the L1 Linux, bash on a
# host with usable KVM), sourced by tests/platforms/l1/init and by
# tests/platforms/kvm.sh, so a case runs the same way in both places.
#
# The caller sets:
#   NONCE     the marker key: every line the harness parses starts with
#             "@@mkvm-$NONCE "; made fresh per run and never shown to the
#             guest, so guest output cannot fake a marker
#   MKVM      the mkvm binary
#   CASE_TMP  a directory for scratch images and the case's output

mark() { printf '\n@@mkvm-%s %s\n' "$NONCE" "$*"; }

# disk_check IMAGE OUT: checks every "blkstamp: sector=N count=C stamp=S"
# line of the guest's output OUT against IMAGE, where the guest wrote (and
# flushed) word i of sectors N..N+C-1 as S + i (64-bit, little-endian).
disk_check() {
	local img=$1 out=$2 line sector count stamp i w want bad
	grep -a '^blkstamp: ' "$out" | tr -d '\r' | while read -r line; do
		sector=${line#*sector=}; sector=${sector%% *}
		count=${line#*count=}; count=${count%% *}
		stamp=${line#*stamp=}; stamp=${stamp%% *}
		bad=
		case $sector in ''|*[!0-9]*) bad=1 ;; esac
		case $count in ''|0|*[!0-9]*) bad=1 ;; esac
		case $stamp in ''|*[!0-9a-f]*|????????????????*) bad=1 ;; esac
		[ -n "$bad" ] && { mark "disk-bad malformed: $line"; continue; }
		i=0 bad=
		for w in $(od -An -v -tx8 -j $((sector * 512)) -N $((count * 512)) "$img"); do
			want=$(printf '%016x' $((0x$stamp + i)))
			[ "$w" = "$want" ] || { bad="word $i is $w, want $want"; break; }
			i=$((i + 1))
		done
		[ -z "$bad" ] && [ $i -ne $((count * 64)) ] && bad="image holds $i of $((count * 64)) words"
		if [ -z "$bad" ]; then
			mark "disk-ok sector=$sector count=$count stamp=$stamp"
		else
			mark "disk-bad sector=$sector count=$count stamp=$stamp: $bad"
		fi
	done
}

# sector_check IMAGE N FILE: marker "sector-ok N" when sector N of IMAGE
# holds exactly FILE (512 bytes), "sector-bad N" otherwise.
sector_check() {
	if dd if="$1" bs=512 skip="$2" count=1 2> /dev/null | cmp -s - "$3"; then
		mark "sector-ok $2"
	else
		mark "sector-bad $2: not the content of ${3##*/}"
	fi
}

# tap_up NAME / tap_down NAME: a TAP device NAME, up, with 10.0.2.1/24
# (iproute2's ip, or busybox's tunctl), and its removal.
tap_up() {
	{ ip tuntap add dev "$1" mode tap || tunctl -t "$1"; } > /dev/null 2>&1 &&
		ip link set "$1" up && ip addr add 10.0.2.1/24 dev "$1"
}
tap_down() { ip link del "$1" 2> /dev/null || tunctl -d "$1" > /dev/null; }

# tap_traffic: while mkvm ($pid) runs, pings 10.0.2.2 (the guest's side of
# the TAP), so the host stack sends ARP requests through it.
tap_traffic() {
	while kill -0 $pid 2> /dev/null; do
		ping -c 1 -W 1 10.0.2.2 > /dev/null 2>&1
		sleep 0.25
	done
}

# seccomp_check PID: whether every thread of mkvm runs under a seccomp
# filter ("Seccomp: 2" in /proc/PID/task/*/status), and the user and group
# ids (real, effective, saved, filesystem) its threads run as, as a marker.
seccomp_check() {
	local pid=$1 t n=0 bad= ids= i
	for t in /proc/$pid/task/*; do
		n=$((n + 1))
		grep -q '^Seccomp:[[:space:]]*2$' $t/status 2> /dev/null ||
			bad="$bad ${t##*/}($(cat $t/comm 2> /dev/null))"
		i=$(grep -E '^(Uid|Gid):' $t/status | tr -s '\t ' ',' | tr '\n' ' ')
		[ -z "$ids" ] && ids=$i
		[ "$ids" = "$i" ] || ids=mixed
	done
	if [ -z "$bad" ]; then
		mark "seccomp-ok threads=$n ids=$ids"
	else
		mark "seccomp-bad threads=$n unfiltered:$bad ids=$ids"
	fi
}

# qemu_args MKVM-OPTION...: the QEMU command line (q35, -accel kvm, QEMU
# staged at /qemu by l1_stage_qemu) giving the guest what these mkvm
# options give it, as words; on an option it has no translation for, says
# so and fails. Like mkvm's, the devices are modern-only virtio-pci, and
# --console shares standard output with COM1.
qemu_args() {
	local a="/qemu/qemu-system-x86_64 -L /qemu/fw -M q35 -accel kvm -cpu max -m 256M"
	local serial="-serial stdio" n=0
	a="$a -display none -nodefaults -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
	while [ $# -gt 0 ]; do
		case $1 in
		--cpus) a="$a -smp $2"; shift ;;
		--mem) a="$a -m $2"; shift ;;
		--disk)
			a="$a -drive file=$2,if=none,format=raw,id=disk$n"
			a="$a -device virtio-blk-pci,drive=disk$n,disable-legacy=on"
			n=$((n + 1)); shift ;;
		--net)
			[ "$2" = user-loopback ] || { echo "no translation for --net $2"; return 1; }
			# A UDP socket sending to itself: every frame comes back.
			a="$a -netdev socket,id=net0,udp=127.0.0.1:5555,localaddr=127.0.0.1:5555"
			a="$a -device virtio-net-pci,netdev=net0,disable-legacy=on,romfile="
			shift ;;
		--console)
			serial="-chardev stdio,id=out,mux=on -serial chardev:out"
			serial="$serial -device virtio-serial-pci,disable-legacy=on -device virtconsole,chardev=out" ;;
		--rng) a="$a -device virtio-rng-pci,disable-legacy=on" ;;
		*) echo "no translation for $1"; return 1 ;;
		esac
		shift
	done
	echo "$a $serial"
}

# run_bg TIMEOUT IN OUT CMD...: CMD in the background with IN as stdin and
# OUT as its output; sets pid and start.
run_bg() {
	local in=$2 out=$3
	shift 3
	start=$(date +%s)
	"$@" < "$in" > "$out" 2>&1 &
	pid=$!
}

# wait_until T COND: polls COND (a command) every 0.2 s while mkvm ($pid)
# runs; returns 0 when COND held, 1 when mkvm ended, 2 after T seconds.
wait_until() {
	while kill -0 $pid 2> /dev/null; do
		eval "$2" && return 0
		[ $(($(date +%s) - start)) -ge "$1" ] && return 2
		sleep 0.2
	done
	return 1
}

# run_case NAME TIMEOUT KERNEL INITRD CMDLINE OPTIONS DIRECTIVES: one mkvm
# run between case-begin and case-end markers. OPTIONS go to mkvm, where
# @scratch[:MIB][,readonly] becomes a fresh zeroed image (default 1 MiB)
# in $CASE_TMP. DIRECTIVES (tests/cases.list) steer the runner:
#   @nosyscall      the guest never executes SYSCALL: --no-host-check (it
#                   runs correctly on kvm_pvm, which fails the host check)
#   @stdin:FILE     mkvm reads FILE as its standard input (what is typed on
#                   its console) instead of /dev/null; it runs on at its end
#   @sigkill        SIGKILL as soon as the guest prints a blkstamp line
#                   (marker "sigkill: ..."), to test durability
#   @sigkill:P1,P2  the same on a line that starts with one of these
#                   prefixes (no spaces or commas in them), in every run
#   @reboot:WORDS   once the run has ended (or was killed), mkvm runs
#                   again on the same scratch image with WORDS (commas for
#                   spaces) as the command line (marker "reboot: ..."); one
#                   run more for each such directive, in their order. The
#                   case's status and expectations are those of all the
#                   runs' output, the status the last run's
#   @sigterm:S      SIGTERM after S seconds (marker "sigterm: ...")
#   @seed:N:FILE    FILE is written at sector N of the scratch image first
#   @sector:N:FILE  afterwards, marker sector-ok N when sector N is FILE
#   @tap:NAME       a TAP device NAME with 10.0.2.1/24 for the run (mkvm's
#                   --net tap=NAME), pinging 10.0.2.2 meanwhile; afterwards
#                   marker "tap-rx NAME N": N frames came in from the guest
#   @seccomp-check  once the guest printed "root: system up", every thread of
#                   mkvm must be under a seccomp filter (marker "seccomp-ok
#                   threads=N" or "seccomp-bad ..."); then SIGKILL (137)
#   @qemu           QEMU -accel kvm (staged at /qemu in L1) runs the guest
#                   instead of mkvm, with the devices OPTIONS name (qemu_args)
# After every run with a scratch image, its blkstamp lines are checked on it.
# run_once CMDLINE CMD...: one run of CMD (mkvm or QEMU) with the guest
# command line CMDLINE, its signal directive applied (run_case's locals);
# its output on standard output, its status in rc.
run_once() {
	local c=$1 killed=
	shift
	if [ -n "$qemu" ]; then
		[ -n "$c" ] && set -- "$@" -append "$c"
		set -- "$@" -kernel "$kernel"
	else
		[ -n "$c" ] && set -- "$@" --cmdline "$c"
		set -- "$@" "$kernel"
	fi
	run_bg "$t" "$in" "$out" "$@"
	[ -n "$tap" ] && tap_traffic &
	case $signal in
	seccomp)
		wait_until "$t" "grep -aq '^root: system up' $out"
		[ $? = 0 ] && seccomp_check $pid
		kill -KILL $pid 2> /dev/null ;;
	sigkill)
		wait_until "$t" "grep -aqE '^($killon)' $out"
		case $? in
		0) kill -KILL $pid; killed=killed ;;
		2) kill -KILL $pid; killed=timeout ;;
		esac ;;
	sigterm:*)
		wait_until "${signal#sigterm:}" false
		[ $? = 2 ] && kill -TERM $pid && killed=termed
		wait_until "$t" false
		[ $? = 2 ] && kill -KILL $pid && killed=timeout ;;
	*)
		wait_until "$t" false
		[ $? = 2 ] && kill -KILL $pid && killed=timeout ;;
	esac
	wait $pid
	rc=$?
	cat "$out"
	[ "$killed" = timeout ] && rc=124
	[ "$killed" = killed ] && mark "sigkill: killed mkvm (SIGKILL) after the guest's line: $(grep -aE -m1 "^($killon)" "$out" | tr -d '\r')"
	[ "$killed" = termed ] && mark "sigterm: sent SIGTERM to mkvm"
}

run_case() {
	local name=$1 t=$2 kernel=$3 initrd=$4 cmdline=$5 opts=$6 dirs=$7 o
	local rc disk= signal= in=/dev/null out=$CASE_TMP/case.out mib seeds= sectors= tap= qemu= q
	local killon='blkstamp: ' reboots= all=$CASE_TMP/case.all
	mark "case-begin $name"
	set -- "$MKVM"
	for o in $opts; do
		case $o in
		@scratch*)
			disk=$CASE_TMP/scratch.img mib=${o#@scratch}; mib=${mib%%,*}
			mib=${mib#:}
			dd if=/dev/zero of="$disk" bs=1M count="${mib:-1}" 2> /dev/null
			case $o in *,*) set -- "$@" "$disk,${o#*,}" ;; *) set -- "$@" "$disk" ;; esac ;;
		*) set -- "$@" "$o" ;;
		esac
	done
	for o in $dirs; do
		case $o in
		@nosyscall) set -- "$@" --no-host-check ;;
		@stdin:*) in=${o#@stdin:} ;;
		@sigkill|@sigterm:*) signal=${o#@} ;;
		@sigkill:*) signal=sigkill killon=$(echo "${o#@sigkill:}" | tr ',' '|') ;;
		@reboot:*) reboots="$reboots ${o#@reboot:}" ;;
		@seed:*) seeds="$seeds ${o#@seed:}" ;;
		@sector:*) sectors="$sectors ${o#@sector:}" ;;
		@tap:*) tap=${o#@tap:} ;;
		@seccomp-check) signal=seccomp ;;
		@qemu) qemu=1 ;;
		esac
	done
	if [ -n "$tap" ] && ! tap_up "$tap"; then
		mark "tap-failed $tap: cannot create it (root, /dev/net/tun, ip or tunctl)"
		tap=
	fi
	for o in $seeds; do
		dd if="${o#*:}" of="$disk" bs=512 seek="${o%%:*}" conv=notrunc 2> /dev/null
	done
	if [ -n "$qemu" ]; then
		shift
		q=$(qemu_args "$@") || { echo "runcase: @qemu: $q"; mark "case-end $name status=qemu-args"; return; }
		ip link set lo up 2> /dev/null
		set -- $q
		[ -n "$initrd" ] && set -- "$@" -initrd "$initrd"
	else
		[ -n "$initrd" ] && set -- "$@" --initrd "$initrd"
	fi
	run_once "$cmdline" "$@"
	cat "$out" > "$all"
	for o in $reboots; do
		o=$(echo "$o" | tr ',' ' ')
		mark "reboot: the run ended with status $rc; mkvm again on the same disk, command line \"$o\""
		run_once "$o" "$@"
		cat "$out" >> "$all"
	done
	mv "$all" "$out"
	if [ -n "$tap" ]; then
		wait
		mark "tap-rx $tap $(awk -v t="$tap:" '$1 == t { print $3 }' /proc/net/dev)"
		tap_down "$tap"
	fi
	if [ -n "$disk" ]; then
		disk_check "$disk" "$out"
		for o in $sectors; do sector_check "$disk" "${o%%:*}" "${o#*:}"; done
	fi
	rm -f "$disk" "$out"
	mark "case-end $name status=$rc"
}
