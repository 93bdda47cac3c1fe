#!/usr/bin/env bash
# `make check-gdb`: Debian's gdb, in batch mode, debugs build/tests/gdb/
# gdbtarget.elf through QEMU's gdb stub and through mkvm's, with the same
# scripts, so the scripts test what gdb sees rather than our stub's quirks.
#
#   full.gdb      breakpoints, registers, step, watchpoint, CPL3 breakpoint,
#                 threads, detach: needs guest debug exits to reach the VMM
#   protocol.gdb  registers, memory, threads, detach: no guest traps needed
#   monitor.gdb   mkvm's monitor commands (mkvm only)
#   step.gdb      single-step only (also run on the nested platform by
#                 tests/gdb/nested.sh)
#
# A session passes when every "CHECK x ok" line of its script was printed,
# no "BAD" was, gdb listed both vCPUs as threads, and after the detach the
# guest ran to its own PASS (exit status 33) with the breakpoints gone.
set -uo pipefail
PLATFORM=gdb
source "$(dirname "$0")/../platforms/lib.sh"

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
	local name=$1 script=$SRC/tests/gdb/$2 remote=$3 settings=$4
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
	if grep -q 'CHECK .* BAD' "$glog"; then
		fail "$name" "$(grep -m1 'CHECK .* BAD' "$glog") (log: $glog)"
		return
	fi
	for check in $(sed -nE 's/^ *echo CHECK ([^ ]+) ok.*/\1/p' "$script"); do
		if grep -q "^CHECK $check SKIP" "$glog"; then
			skip "$name/$check" "${skip_reason:-no reason given}"
		elif ! grep -q "^CHECK $check ok" "$glog"; then
			fail "$name" "no 'CHECK $check ok' (log: $glog)"
			return
		fi
	done
	while IFS= read -r check; do
		if ! grep -Eq -- "$check" "$glog"; then
			fail "$name" "gdb output lacks /$check/ (log: $glog)"
			return
		fi
	done < <(sed -nE 's/^# EXPECT: (.*)/\1/p' "$script")
	if ! grep -Eq '^ +2 +Thread (1\.)?2 ' "$glog"; then
		fail "$name" "gdb did not list vCPU 1 as thread 2 (log: $glog)"
		return
	fi
	judge "$name" "$serial" "$rc" 33 "^PASS"
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

# mkvm_target ADDR: mkvm serving gdb on --gdb ADDR.
mkvm_target() {
	echo "$MKVM" --kernel "$ELF" --cpus 2 --mem 128M --serial @SERIAL@ \
		--no-host-check --gdb "$1" --gdb-wait
}

run_qemu() {
	local script=$1 name=qemu-${1%.gdb} port
	if ! command -v qemu-system-x86_64 >/dev/null; then
		skip "$name" "qemu-system-x86_64 is not installed"
		return
	fi
	port=$(free_port)
	# shellcheck disable=SC2046
	session "$name" "$script" "127.0.0.1:$port" "" $(qemu_target "$port")
}

# run_mkvm SCRIPT [unix]: a session with mkvm on this host, over TCP or,
# with "unix", over a unix socket.
run_mkvm() {
	local script=$1 name=host-${1%.gdb} port settings= addr remote
	if [[ ! -x $MKVM ]] || [[ ! -e /dev/kvm ]]; then
		skip "$name" "no mkvm binary or no /dev/kvm"
		return
	fi
	if "$MKVM" --help 2>&1 | grep -q 'not supported yet:.*--gdb'; then
		skip "$name" "this mkvm was built without --gdb"
		return
	fi
	# Measured on kvm_pvm (docs/gdb.md): single-step and DR0-3 instruction
	# breakpoints in ring-0 code reach the VMM, but an int3 with
	# KVM_GUESTDBG_USE_SW_BP ends in a KVM internal error, and neither data
	# breakpoints nor breakpoints in CPL3 code ever fire. So there the
	# session uses hbreak and skips the watchpoint and the CPL3 breakpoint.
	if [[ -d /sys/module/kvm_pvm && $script == full.gdb ]]; then
		settings='set $use_hbreak = 1;set $no_watch = 1;set $no_user_break = 1'
		skip_reason="kvm_pvm does not deliver this debug exit to the VMM"
		name=$name-hbreak
	fi
	if [[ ${2:-} == unix ]]; then
		name=$name-unix
		remote=$LOGDIR/$name.sock
		addr=unix:$remote
	else
		port=$(free_port)
		remote=127.0.0.1:$port
		addr=tcp:$remote
	fi
	# shellcheck disable=SC2046
	session "$name" "$script" "$remote" "$settings" $(mkvm_target "$addr")
}

# frame PAYLOAD: "$PAYLOAD#cs" with the checksum computed here.
frame() {
	local sum=0 b
	for b in $(printf '%s' "$1" | od -An -tu1); do sum=$(((sum + b) % 256)); done
	printf '$%s#%02x' "$1" "$sum"
}

# garbage: mkvm --gdb-wait gets malformed, oversized, badly checksummed and
# random input on its gdb socket, must answer each as the protocol says,
# and, when the connection drops, let the guest run on to its PASS.
run_garbage() {
	local name=host-garbage port serial=$LOGDIR/host-garbage.serial pid rc i
	local out=$LOGDIR/host-garbage.replies
	if [[ ! -x $MKVM ]] || [[ ! -e /dev/kvm ]] ||
	   "$MKVM" --help 2>&1 | grep -q 'not supported yet:.*--gdb'; then
		skip "$name" "no mkvm with --gdb, or no /dev/kvm"
		return
	fi
	port=$(free_port)
	rm -f "$serial"
	# shellcheck disable=SC2046
	$(mkvm_target "tcp:127.0.0.1:$port" | sed "s|@SERIAL@|$serial|") \
		> "$LOGDIR/$name.target.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		exec 3<> "/dev/tcp/127.0.0.1/$port" && break
		sleep 0.1
	done 2> /dev/null
	{
		printf '$m0,10#ff'			# bad checksum: -
		printf '$%s#00' "$(head -c 5000 /dev/zero | tr '\0' m)"	# oversized: E01
		frame 'Z0,zz,1'				# malformed: E16
		frame 'm100000,4'			# fine: 4 bytes of hex
		printf '\x03}}}#$$$##'			# noise
		head -c 4000 /dev/urandom
	} >&3
	timeout 2 cat <&3 > "$out"
	exec 3>&-
	timeout 30 tail --pid="$pid" -f /dev/null || kill "$pid"
	wait "$pid"
	rc=$?
	for i in '^\+?-' '\$E01#a6' '\$E16#ac' '\$fa[0-9a-f]{6}#'; do
		if ! grep -Eq -- "$i" <(tr -d '\n' < "$out"; echo); then
			fail "$name" "no reply matching /$i/ (replies: $out)"
			return
		fi
	done
	judge "$name" "$serial" "$rc" 33 "^PASS"
}

command -v gdb >/dev/null || { skip all "gdb is not installed"; summary; exit; }
[[ -f $ELF ]] || { fail all "$ELF missing: run make first"; summary; exit; }

run_qemu full.gdb
run_qemu protocol.gdb
run_qemu step.gdb
run_mkvm protocol.gdb
run_mkvm protocol.gdb unix
run_mkvm step.gdb
run_mkvm full.gdb
run_mkvm monitor.gdb
run_garbage
summary
