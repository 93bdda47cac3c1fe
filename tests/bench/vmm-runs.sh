# The runs of `make bench-vmm` (tests/bench/vmm.sh), POSIX sh, so that they
# run the same on this host and inside the nested L1 (busybox). Set MKVM,
# QEMU (empty: none), QEMU_ARGS (its machine and accelerator options),
# RUNTIME (build/bench/runtime), RUNS, MEM, TINY (a test guest), KERNEL,
# MODULE; then bench_all prints, per run,
#   bench VMM GUEST first_byte_ms=F exit_ms=E maxrss_kib=R status=S
# and once per guest mkvm's --stats line as "stats GUEST mkvm: stats: ...".

# bench_runs VMM GUEST CMD...: RUNS runs of CMD under the runtime meter.
bench_runs() {
	local vmm=$1 guest=$2 i=0
	shift 2
	while [ $i -lt "$RUNS" ]; do
		echo "bench $vmm $guest $("$RUNTIME" "$@" < /dev/null 2> /dev/null)"
		i=$((i + 1))
	done
}

# bench_guest GUEST ARGS...: mkvm and QEMU on one guest; ARGS are its
# kernel, boot module and command line as "-kernel K [-initrd I] [-append C]".
bench_guest() {
	local guest=$1 k= i= c= m
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		-kernel) k=$2 ;;
		-initrd) i=$2 ;;
		-append) c=$2 ;;
		esac
		shift 2
	done
	set -- --no-host-check --mem "$MEM"
	[ -n "$i" ] && set -- "$@" --initrd "$i"
	[ -n "$c" ] && set -- "$@" --cmdline "$c"
	bench_runs mkvm "$guest" "$MKVM" "$@" "$k"
	echo "stats $guest $("$MKVM" --stats "$@" "$k" < /dev/null 2>&1 > /dev/null | grep '^mkvm: stats: peak')"
	[ -n "$QEMU" ] || return 0
	set -- $QEMU_ARGS -m "$MEM" -display none -nodefaults -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$k"
	[ -n "$i" ] && set -- "$@" -initrd "$i"
	[ -n "$c" ] && set -- "$@" -append "$c"
	bench_runs qemu "$guest" "$QEMU" "$@"
}

bench_all() {
	bench_guest tiny -kernel "$TINY"
	bench_guest kernel -kernel "$KERNEL" -initrd "$MODULE" -append exit
}
