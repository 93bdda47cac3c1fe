#!/usr/bin/env bash
# `make check-gdb`: Debian's gdb, in batch mode, debugs build/tests/gdb/
# gdbtarget.elf through QEMU's gdb stub and through mkvm's, with the same
# scripts, so the scripts test what gdb sees rather than our stub's quirks.
#
#   full.gdb      breakpoints, registers, step, watchpoint, CPL3 breakpoint,
#                 threads, detach: needs guest debug exits to reach the VMM
#   protocol.gdb  registers, memory, threads, detach: no guest traps needed
#   monitor.gdb   mkvm's monitor commands (mkvm only)
#   step.gdb      single-step only
#
# The QEMU sessions are below; the mkvm ones are the "gdb" cases of
# tests/cases.list (tests/gdb/lib.sh says how they are judged), run on
# this host's /dev/kvm where it has one, otherwise all in one boot of the
# nested platform's L1; there the @breakpoints session (full.gdb)
# cannot run (breakpoints do not reach the VMM on nested: PLATFORM.md);
# `make check-gdb-bochs` runs full.gdb on Bochs.
set -uo pipefail
PLATFORM=gdb
source "$(dirname "$0")/../platforms/lib.sh"
source "$SRC/tests/platforms/kvm.sh"
source "$SRC/tests/gdb/lib.sh"

ELF=$BUILD/tests/gdb/gdbtarget.elf
MKVM=${MKVM:-$BUILD/vmm/mkvm}
GDB_TIMEOUT=${GDB_TIMEOUT:-60}

# session NAME SCRIPT REMOTE GDB-SETTINGS TARGET-COMMAND...: runs the target
# in the background and gdb against it ("target remote REMOTE": HOST:PORT
# or a unix socket's path), and judges both. GDB-SETTINGS are
# gdb commands separated by ';' run before the script (may be empty); a
# check the script then reports as SKIP is recorded as skipped with
# $skip_reason.
session() {
	local name=$1 sname=$2 script=$SRC/tests/gdb/$2 remote=$3 settings=$4
	shift 4
	local serial=$LOGDIR/$name.serial glog=$LOGDIR/$name.gdb.log
	local tlog=$LOGDIR/$name.target.log pid rc check s
	local -a ex=()

	IFS=';' read -ra s <<< "$settings"
	for check in "${s[@]}"; do ex+=(-ex "$check"); done
	rm -f "$serial"
	"${@//@SERIAL@/$serial}" >"$tlog" 2>&1 &
	pid=$!
	timeout "$GDB_TIMEOUT" gdb -nx -batch \
		-ex "set tcp connect-timeout 20" \
		-ex "file $ELF" -ex "target remote $remote" \
		"${ex[@]}" -x "$script" >"$glog" 2>&1
	if ! timeout 30 tail --pid="$pid" -f /dev/null; then
		kill "$pid" 2>/dev/null
		fail "$name" "target still running 30 s after gdb ended (logs: $LOGDIR/$name.*)"
		return
	fi
	wait "$pid"
	rc=$?
	gdb_verdict "$name" "$sname" "$glog" "$serial" "$rc" 33 "^PASS"
}

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 20); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo 23456
}

qemu_target() {
	local port=$1
	echo qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 128 \
		-kernel "$ELF" -nographic -nodefaults -serial file:@SERIAL@ \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-gdb "tcp:127.0.0.1:$port" -S
}

run_qemu() {
	local script=$1 name=qemu-${1%.gdb} port
	selected "$name" || return 0
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "$name" "qemu-system-x86_64 is not installed"
		return
	fi
	port=$(free_port)
	# shellcheck disable=SC2046
	session "$name" "$script" "127.0.0.1:$port" "" $(qemu_target "$port")
}

# mkvm_here NAME KERNEL INITRD CMDLINE EXIT EXPECT OPTIONS DIRECTIVES:
# for_each_case callback; one session with mkvm on this host.
mkvm_here() {
	local name=$1 options=$7 dirs=" $8 " kind script port settings= addr remote
	local -a target
	read -r kind script <<< "$(gdb_directive "$8")"
	[[ $KVM_HERE == all || ($KVM_HERE == nosyscall && $dirs == *" @nosyscall "*) ]] || {
		L1_LEFT+=("$name"); return; }
	say "$name: on /dev/kvm here"
	# Measured on kvm_pvm (docs/gdb.md): single-step and DR0-3 instruction
	# breakpoints in ring-0 code reach the VMM, but an int3 with
	# KVM_GUESTDBG_USE_SW_BP ends in a KVM internal error, and neither data
	# breakpoints nor breakpoints in CPL3 code ever fire. So there the
	# session uses hbreak and skips the watchpoint and the CPL3 breakpoint.
	if [[ -d /sys/module/kvm_pvm && $script == full.gdb ]]; then
		settings='set $use_hbreak = 1;set $no_watch = 1;set $no_user_break = 1'
		skip_reason="kvm_pvm does not deliver this debug exit to the VMM"
	fi
	if [[ $kind == unix ]]; then
		remote=$LOGDIR/$name.sock
		addr=unix:$remote
	else
		port=$(free_port)
		remote=127.0.0.1:$port
		addr=tcp:$remote
	fi
	# shellcheck disable=SC2206
	target=("$MKVM" --kernel "$2" ${3:+--initrd "$3"} ${4:+--cmdline "$4"} $options
		--serial @SERIAL@ --gdb "$addr" --gdb-wait)
	[[ $dirs == *" @nosyscall "* ]] && target+=(--no-host-check)
	if [[ $kind == garbage ]]; then
		garbage_here "$name" "${target[@]}"
	else
		session "$name" "$script" "$remote" "$settings" "${target[@]}"
	fi
}

# garbage_here NAME TARGET...: mkvm --gdb-wait gets the garbage input on
# its gdb socket (TCP), must answer each as the protocol says, and, when
# the connection drops, let the guest run on to its PASS.
garbage_here() {
	local name=$1 serial=$LOGDIR/$1.serial out=$LOGDIR/$1.gdb.log pid rc i port
	shift
	port=${*##*tcp:127.0.0.1:}
	port=${port%% *}
	rm -f "$serial"
	"${@//@SERIAL@/$serial}" > "$LOGDIR/$name.target.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		exec 3<> "/dev/tcp/127.0.0.1/$port" && break
		sleep 0.1
	done 2> /dev/null
	garbage_input >&3
	timeout 2 cat <&3 > "$out"
	exec 3>&-
	timeout 30 tail --pid="$pid" -f /dev/null || kill "$pid"
	wait "$pid"
	rc=$?
	gdb_verdict "$name" - "$out" "$serial" "$rc" 33 "^PASS"
}

# mkvm_l1: the sessions that need KVM this host lacks, in one L1 boot;
# those that need breakpoints are left to gdb-bochs.
mkvm_l1() {
	local c
	ONLY_L1=" ${L1_LEFT[*]} "
	l1_case() { [[ $ONLY_L1 == *" $1 "* ]] || return 0
		if [[ " $8 " == *" @breakpoints "* ]]; then
			say "$1: not run: needs breakpoints, which do not reach the VMM on nested L1 (PLATFORM.md), and $KVM_NOT_HERE; \`make check-gdb-bochs\` runs full.gdb on Bochs"
			return
		fi
		gdb_l1_add "$@"; }
	l1_lock
	l1_kernel || { fail "$PLATFORM" "needs KVM ($KVM_NOT_HERE) and there is no L1 kernel: $L1_ERROR"; return; }
	GDB_SESSIONS=()
	gdb_l1_stage_with l1_case || { fail "$PLATFORM" "cannot stage the L1 sessions: $L1_ERROR"; return; }
	((${#GDB_SESSIONS[@]})) || return 0
	l1_initramfs kvm-amd || { fail "$PLATFORM" "cannot build the L1 initramfs"; return; }
	GDB_TIMEOUT=240
	# monitor.gdb stops the guest by Ctrl-C there, not by a breakpoint.
	gdb_settings=(-ex 'set $stop_by_interrupt = 1')
	L1_WHERE="on nested L1 ($KVM_NOT_HERE; one boot for ${#GDB_SESSIONS[@]} session(s))"
	gdb_l1_run start_nested "$(free_port)" "$LOGDIR/l1.log"
}

command -v gdb >/dev/null || { skip all "gdb is not installed"; summary; exit; }
[[ -f $ELF ]] || { fail all "$ELF missing: run make first"; summary; exit; }
[[ -x $MKVM ]] || { fail all "$MKVM missing: run make first"; summary; exit; }

run_qemu full.gdb
run_qemu protocol.gdb
run_qemu step.gdb
kvm_plan
L1_LEFT=()
for_each_case mkvm_here
((${#L1_LEFT[@]})) && mkvm_l1
summary
