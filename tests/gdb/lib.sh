# gdb sessions against mkvm, shared by tests/gdb/run.sh (`make check-gdb`)
# and tests/gdb/l1.sh (`make check-gdb-nested`, `make check-gdb-bochs`).
# Sourced after tests/platforms/lib.sh and l1/l1.sh.
#
# A session is a case of tests/cases.list with one of the directives
#   @gdb:SCRIPT       Debian's gdb runs tests/gdb/SCRIPT over TCP
#   @gdb-unix:SCRIPT  the same over a unix socket
#   @gdb-garbage      malformed, oversized, badly checksummed and random
#                     input instead of gdb: the stub must answer each as
#                     the protocol says, then let the guest run on
# mkvm runs the case's kernel with its options plus --serial, --gdb and
# --gdb-wait. It passes when every "CHECK x ok" line of SCRIPT was printed,
# no "BAD" was, every "# EXPECT: REGEX" of SCRIPT matches gdb's output
# ("# EXPECT(NAME): REGEX" only when CHECK NAME was not skipped),
# gdb listed both vCPUs as threads where the script asks (the guests run
# with --cpus 2), and mkvm's status and the guest's serial output are the
# case's exit and expect. @breakpoints marks a session that needs breakpoint debug exits
# to reach the VMM (nested does not deliver them: PLATFORM.md).

GDB_TIMEOUT=${GDB_TIMEOUT:-240}

# gdb_directive DIRECTIVES: prints "tcp SCRIPT", "unix SCRIPT" or
# "garbage -" for the session directive among DIRECTIVES.
gdb_directive() {
	local d
	for d in $1; do
		case $d in
		@gdb:*)       echo "tcp ${d#@gdb:}"; return ;;
		@gdb-unix:*)  echo "unix ${d#@gdb-unix:}"; return ;;
		@gdb-garbage) echo "garbage -"; return ;;
		esac
	done
}

# gdb_verdict NAME SCRIPT GLOG SERIAL RC WANT EXPECT: judges one session
# (see above); SCRIPT "-" for a garbage session (GLOG: its replies). A
# check the script reports as SKIP is recorded as skipped with
# $skip_reason.
gdb_verdict() {
	local name=$1 script=$SRC/tests/gdb/$2 glog=$3 serial=$4 rc=$5 want=$6 expect=$7 check
	local skipped
	if [[ $2 == - ]]; then
		for check in '^\+?-' '\$E01#a6' '\$E16#ac' '\$fa[0-9a-f]{6}#'; do
			if ! grep -Eq -- "$check" <(tr -d '\n' < "$glog"; echo); then
				fail "$name" "no reply matching /$check/ (replies: $glog)"
				return
			fi
		done
		judge "$name" "$serial" "$rc" "$want" "$expect"
		return
	fi
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
		# "(NAME) REGEX": only when CHECK NAME was not skipped
		if [[ $check == \(* ]]; then
			skipped=${check%%)*}
			grep -q "^CHECK ${skipped#(} SKIP" "$glog" && continue
			check=${check#*) }
		fi
		if ! grep -Eq -- "$check" "$glog"; then
			fail "$name" "gdb output lacks /$check/ (log: $glog)"
			return
		fi
	done < <(sed -nE 's/^# EXPECT: (.*)/\1/p; s/^# EXPECT\(([a-z-]+)\): (.*)/(\1) \2/p' "$script")
	if grep -q '^info threads' "$script" && ! grep -Eq '^ +2 +Thread (1\.)?2 ' "$glog"; then
		fail "$name" "gdb did not list vCPU 1 as thread 2 (log: $glog)"
		return
	fi
	judge "$name" "$serial" "$rc" "$want" "$expect"
}

# frame PAYLOAD: "$PAYLOAD#cs" with the checksum computed here.
frame() {
	local sum=0 b
	for b in $(printf '%s' "$1" | od -An -tu1); do sum=$(((sum + b) % 256)); done
	printf '$%s#%02x' "$1" "$sum"
}

# garbage_input: what a garbage session sends.
garbage_input() {
	printf '$m0,10#ff'			# bad checksum: -
	printf '$%s#00' "$(head -c 5000 /dev/zero | tr '\0' m)"	# oversized: E01
	frame 'Z0,zz,1'				# malformed: E16
	frame 'm100000,4'			# fine: 4 bytes of hex
	printf '\x03}}}#$$$##'			# noise
	head -c 4000 /dev/urandom
}

# --- sessions with mkvm in an L1 VM ------------------------------------------
# How gdb reaches mkvm inside L1: L1's second UART (ttyS1) is a socket on
# the host. /etc/mkvm/run (mkvm.mode=run) runs the sessions one after the
# other: each starts mkvm with --gdb-wait, relays ttyS1 to its gdb socket
# (busybox nc for TCP, socat for a unix socket), prints "@@gdb relay-ready
# I", and after mkvm's exit "@@gdb mkvm-status=S I", the guest's serial
# output and "@@gdb end I". On the host, gdb's "target remote | relay.sh"
# for session I passes gdb's bytes on once L1 printed relay-ready I. One
# L1 boot for all sessions.

# gdb_l1_add NAME KERNEL INITRD CMDLINE EXIT EXPECT OPTIONS DIRECTIVES:
# for_each_case callback: stages one session into $L1_ROOT.
gdb_l1_add() {
	local name=$1 kernel=$2 initrd=$3 cmdline=$4 options=${7//@BUILD@/$BUILD} kind script i addr relay f
	read -r kind script <<< "$(gdb_directive "$8")"
	[[ -n $kind ]] || { fail "$name" "no @gdb directive"; return; }
	for f in "$kernel" $initrd; do
		[[ -f $f ]] || { fail "$name" "image $f is not built"; return; }
	done
	l1_stage_image "${kernel#"$BUILD"/}"
	[[ -n $initrd ]] && l1_stage_image "${initrd#"$BUILD"/}"
	# --gdb-os DIR names where gdb (here) finds the programs' ELFs; mkvm
	# (in L1) lists DIR and reads DIR/boot.cfg for the programs that run
	# another's ELF: the same files at the same path in L1
	f=$(sed -nE 's/.*--gdb-os ([^ ]+).*/\1/p' <<< "$options")
	if [[ -n $f && -d $f && ! -e $L1_ROOT$f ]]; then
		mkdir -p "$L1_ROOT$f" && cp -p "$f"/* "$L1_ROOT$f/"
	fi
	i=${#GDB_SESSIONS[@]}
	GDB_SESSIONS+=("$name|$kind|$script|$5|$kernel|$6")
	if [[ $kind == unix ]]; then
		addr=unix:/tmp/gdb-$i.sock
		relay="socat /dev/ttyS1,raw,echo=0 UNIX-CONNECT:/tmp/gdb-$i.sock"
	elif [[ $kind == garbage ]]; then
		# Sent from inside L1: only there can the connection drop.
		garbage_input > "$L1_ROOT/etc/mkvm/garbage-$i"
		addr=tcp:127.0.0.1:$((1234 + i))
		relay="nc 127.0.0.1 $((1234 + i)) < /etc/mkvm/garbage-$i > /tmp/replies-$i"
	else
		addr=tcp:127.0.0.1:$((1234 + i))
		relay="nc 127.0.0.1 $((1234 + i)) < /dev/ttyS1 > /dev/ttyS1"
	fi
	cat >> "$L1_ROOT/etc/mkvm/run" <<-EOS
	timeout -s KILL $((GDB_TIMEOUT * ${L1_CLOCK_FACTOR:-1} + 60)) /mkvm/mkvm $options \\
		${initrd:+--initrd /build/${initrd#"$BUILD"/}} ${cmdline:+--cmdline $(l1_shq "$cmdline")} \\
		--serial /tmp/guest-$i.log --gdb $addr --gdb-wait \\
		/build/${kernel#"$BUILD"/} < /dev/null &
	pid=\$!
	sleep 1
	$relay &
	relay=\$!
	sleep 1
	echo "@@gdb relay-ready $i"
	EOS
	if [[ $kind == garbage ]]; then
		cat >> "$L1_ROOT/etc/mkvm/run" <<-EOS
		sleep 3
		kill \$relay 2> /dev/null
		printf '\\n@@gdb replies-begin $i\\n'
		cat /tmp/replies-$i
		printf '\\n@@gdb replies-end $i\\n'
		EOS
	fi
	cat >> "$L1_ROOT/etc/mkvm/run" <<-EOS
	wait \$pid
	echo "@@gdb mkvm-status=\$? $i"
	kill \$relay 2> /dev/null
	cat /tmp/guest-$i.log
	echo "@@gdb end $i"
	# The script's end hangs its terminal up, which drops what the
	# console has not sent yet (at an emulated UART's pace, most of the
	# guest's output): stty's TCSADRAIN waits for the queue to empty.
	stty -F /dev/console 115200 2> /dev/null
	EOS
}

# gdb_l1_stage: the L1 root with every session of $PLATFORM.
gdb_l1_stage() { gdb_l1_stage_with gdb_l1_add; }

# gdb_l1_stage_with FN: the L1 root with the sessions of $PLATFORM that FN
# (a for_each_case callback that calls gdb_l1_add) stages.
gdb_l1_stage_with() {
	GDB_SESSIONS=()
	l1_new_root
	cat > "$L1_ROOT/etc/mkvm/run" <<-'EOS'
	ifconfig lo 127.0.0.1 up
	# Held open so that what gdb sends is buffered by the tty until the
	# relay reads it (a UART nobody has open drops its input).
	exec 4<> /dev/ttyS1
	stty -F /dev/ttyS1 raw -echo
	# a scratch disk for sessions that boot with --disk /tmp/gdb-disk.img
	dd if=/dev/zero of=/tmp/gdb-disk.img bs=64k count=16 2> /dev/null
	EOS
	l1_copy_binary "$(command -v socat)" usr/bin/socat "$L1_ROOT" ||
		{ l1_die "socat is not installed (tests/deps.sh)"; return; }
	for_each_case "$1"
}

# gdb_l1_serial LOG I: the guest's serial output of session I in the L1
# log (between its status line and its end marker).
gdb_l1_serial() {
	awk -v i="$2" '
		{ sub(/\r$/, "") }
		$0 ~ "^@@gdb mkvm-status=[0-9]+ " i "$" { on = 1; next }
		on && $0 == "@@gdb end " i { exit }
		on' "$1"
}

# gdb_l1_run START-FN PORT LOG: starts the emulator (START-FN LOG PORT,
# which sets emu_pid), runs every staged session from the host in turn,
# waits for L1 to power off, and judges them. $gdb_settings (an array of
# gdb -ex arguments) applies to every session.
gdb_l1_run() {
	local start_fn=$1 port=$2 log=$3 c i=0 n name kind script want kernel expect glog serial
	local status
	local -a settings
	# relay.sh waits for this run's "relay-ready" line in the log, which
	# the emulator creates only once it runs: a previous run's must not be
	# there meanwhile, or gdb's first bytes go out before L1 reads them
	rm -f "$log"
	"$start_fn" "$log" "$port" || { fail "$PLATFORM" "cannot start the L1 emulator"; return; }
	for c in "${GDB_SESSIONS[@]}"; do
		IFS='|' read -r name kind script want kernel expect <<< "$c"
		glog=$LOGDIR/$name.gdb.log
		say "$name: ${L1_WHERE:-in L1}"
		if [[ $kind != garbage ]]; then
			settings=("${gdb_settings[@]}")
			[[ $script == kernel.gdb || $script == os.gdb ]] &&
				settings+=(-ex "set \$server_dir = \"$BUILD/servers/image\"")
			# The relay connects at once but passes gdb's bytes on only once
			# mkvm listens in L1. The long remotetimeout keeps gdb from
			# resending its first packet meanwhile: the stub would answer
			# every copy.
			timeout "$GDB_TIMEOUT" gdb -nx -batch -ex "set remotetimeout $GDB_TIMEOUT" \
				-ex "file $kernel" "${settings[@]}" \
				-ex "target remote | $SRC/tests/gdb/relay.sh 127.0.0.1 $port $log $i" \
				-x "$SRC/tests/gdb/$script" > "$glog" 2>&1
		fi
		# The next session's relay must not start before this one's mkvm ended.
		for ((n = 0; n < GDB_TIMEOUT; n++)); do
			grep -aq "^@@gdb end $i" "$log" && break
			kill -0 "$emu_pid" 2> /dev/null || break
			sleep 1
		done
		i=$((i + 1))
	done
	timeout 120 tail --pid="$emu_pid" -f /dev/null || kill "$emu_pid" 2> /dev/null
	wait "$emu_pid"
	i=0
	for c in "${GDB_SESSIONS[@]}"; do
		IFS='|' read -r name kind script want kernel expect <<< "$c"
		serial=$LOGDIR/$name.serial
		gdb_l1_serial "$log" "$i" > "$serial"
		status=$(grep -a "^@@gdb mkvm-status=[0-9]* $i"$'\r'"\?$" "$log" | tail -1 | tr -d '\r')
		status=${status#@@gdb mkvm-status=}
		status=${status%% *}
		if [[ $kind == garbage ]]; then
			script=-
			awk -v b="@@gdb replies-begin $i" -v e="@@gdb replies-end $i" '
				{ sub(/\r$/, "") } $0 == e { exit } on; $0 == b { on = 1 }' "$log" \
				> "$LOGDIR/$name.gdb.log"
		fi
		gdb_verdict "$name" "$script" "$LOGDIR/$name.gdb.log" "$serial" "${status:-none}" \
			"$want" "$expect"
		i=$((i + 1))
	done
}

# start_nested LOG PORT: QEMU with ttyS1 as a TCP server on PORT.
start_nested() {
	qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1G \
		-nographic -monitor none -no-reboot \
		-serial "file:$1" -serial "tcp:127.0.0.1:$2,server=on,wait=off" \
		-kernel "$L1_KDIR/vmlinuz" -initrd "$L1_WORK/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1 mkvm.mode=run" \
		< /dev/null > "$LOGDIR/qemu.out" 2>&1 &
	emu_pid=$!
}

# start_bochs LOG PORT: Bochs (tests/platforms/l1/bochsrc.in) booting an
# isolinux CD in mode=run, with COM2 as a socket server on PORT.
start_bochs() {
	local iso=$L1_WORK/iso
	rm -rf "$iso" && mkdir -p "$iso/isolinux" || return
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$iso/isolinux/" && cp "$L1_KDIR/vmlinuz" "$iso/vmlinuz" &&
	cp "$L1_WORK/initramfs.cpio.gz" "$iso/initrd.gz" || return
	sed 's/mkvm.mode=test/mkvm.mode=run/' "$SRC/tests/platforms/l1/isolinux.cfg" \
		> "$iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$L1_WORK/l1.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		"$iso" 2> "$LOGDIR/xorriso.log" || return
	{ sed "s|@WORK@|$L1_WORK|g; s|dev=$L1_WORK/serial.log|dev=$1|" \
		"$SRC/tests/platforms/l1/bochsrc.in"
	  echo "com2: enabled=1, mode=socket-server, dev=127.0.0.1:$2"
	} > "$L1_WORK/bochsrc"
	echo c > "$L1_WORK/cmds"
	(cd "$L1_WORK" && exec bochs -q -f bochsrc -rc cmds) < /dev/null \
		> "$LOGDIR/bochs.out" 2>&1 &
	emu_pid=$!
}
