#!/usr/bin/env bash
# Fill images/domain.xml.in into a libvirt domain XML for mkvm's guest.
#
#   mkdomain.sh --kernel ELF [--disk RAW] [--serial-log FILE] [--initrd CPIO]
#               [--cmdline TEXT] [--name NAME] [--uuid UUID] [--memory MIB]
#               [--type kvm|qemu] [--gdb PORT] [--exit-log FILE] [--tap NAME]
#               [--no-net] [--no-virtio] [-o OUT]
#
# Paths are made absolute (libvirt requires it). --disk is required unless
# --no-virtio leaves out all virtio devices; without --serial-log COM1 is a
# pty only (virsh console; mkvm's terminal). The interface is a TAP named
# --tap NAME (default mkvm0), type='ethernet' managed='yes': libvirt creates
# it, mkvm (--net tap=NAME) creates it or attaches to it, so one file runs on
# both; --no-net leaves it out. --type defaults to 'kvm'
# only when the host's /dev/kvm comes from kvm_intel or kvm_amd: kvm_pvm
# (see docs/libvirt.md) cannot run the guest's SYSCALLs, so it gets 'qemu'
# (TCG). Two additions go through libvirt's qemu:commandline namespace, as
# libvirt has no element for either: --gdb PORT, QEMU's gdb stub on
# 127.0.0.1:PORT; --exit-log FILE, an isa-debugcon on port 0xf4 (the
# guest's test-exit port) writing each byte the guest sends there to FILE, so
# a harness learns the guest's exit value while libvirt keeps the domain.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=${0##*/}

die() { echo "$prog: $*" >&2; exit 2; }

# xml_escape TEXT: TEXT safe inside an XML attribute or element.
xml_escape() {
	local s=$1
	s=${s//&/&amp;} s=${s//</&lt;} s=${s//>/&gt;}
	s=${s//\'/&apos;} s=${s//\"/&quot;}
	printf '%s' "$s"
}

# host_type: the domain type this host can give the guest.
host_type() {
	if [[ -c /dev/kvm && ( -d /sys/module/kvm_intel || -d /sys/module/kvm_amd ) ]]; then
		echo kvm
	else
		echo qemu
	fi
}

kernel= initrd= cmdline= disk= log= out=/dev/stdout
name=mkvm uuid=6d6b766d-0000-4000-8000-000000000001 memory=256
type= gdb= exit_log= virtio=1 net=1 tap=mkvm0
while (($#)); do
	case $1 in
	--kernel)     kernel=${2:?}; shift ;;
	--initrd)     initrd=${2:?}; shift ;;
	--cmdline)    cmdline=${2-}; shift ;;
	--disk)       disk=${2:?}; shift ;;
	--serial-log) log=${2:?}; shift ;;
	--name)       name=${2:?}; shift ;;
	--uuid)       uuid=${2:?}; shift ;;
	--memory)     memory=${2:?}; shift ;;
	--type)       type=${2:?}; shift ;;
	--gdb)        gdb=${2:?}; shift ;;
	--exit-log)   exit_log=${2:?}; shift ;;
	--no-virtio)  virtio=0 ;;
	--tap)        tap=${2:?}; shift ;;
	--no-net)     net=0 ;;
	-o)           out=${2:?}; shift ;;
	*)            die "unknown argument '$1' (see the comment at the top of $0)" ;;
	esac
	shift
done

[[ -n $kernel ]] || die "--kernel is required"
[[ -n $disk || $virtio == 0 ]] || die "--disk is required (or --no-virtio)"
[[ -f $kernel ]] || die "kernel '$kernel' does not exist"
[[ -z $initrd || -f $initrd ]] || die "initrd '$initrd' does not exist"
[[ -z $disk || -f $disk ]] || die "disk image '$disk' does not exist"
[[ $memory =~ ^[1-9][0-9]*$ ]] || die "--memory wants MiB as a number, not '$memory'"
[[ $uuid =~ ^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$ ]] || die "bad --uuid '$uuid'"
[[ -z $gdb || $gdb =~ ^[1-9][0-9]*$ ]] || die "--gdb wants a TCP port, not '$gdb'"
# A Linux interface name: 1 to 15 bytes, no '/', ':' or white space.
[[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "--tap wants an interface name of 1 to 15 letters, digits, '_', '.', '-', not '$tap'"
type=${type:-$(host_type)}
case $type in
kvm)  cpu_mode=host-passthrough ;;
qemu) cpu_mode=maximum ;;
*)    die "--type must be kvm or qemu, not '$type'" ;;
esac

abs() { [[ -z $1 ]] || realpath -m -- "$1"; }

# qemu_arg TEXT: one <qemu:arg/> line.
qemu_arg() { printf "\n    <qemu:arg value='%s'/>" "$(xml_escape "$1")"; }

qemu_ns= qemu_args=
if [[ -n $gdb || -n $exit_log ]]; then
	qemu_ns=" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
	qemu_args=$'\n  <qemu:commandline>'
	if [[ -n $gdb ]]; then
		qemu_args+=$(qemu_arg -gdb)$(qemu_arg "tcp:127.0.0.1:$gdb")
	fi
	if [[ -n $exit_log ]]; then
		# QEMU's -chardev option syntax doubles a comma inside a value.
		exit_path=$(abs "$exit_log")
		qemu_args+=$(qemu_arg -chardev)$(qemu_arg "file,id=mkvmexit,path=${exit_path//,/,,}")
		qemu_args+=$(qemu_arg -device)$(qemu_arg isa-debugcon,iobase=0xf4,chardev=mkvmexit)
	fi
	qemu_args+=$'\n  </qemu:commandline>'
fi

xml=$(<"$here/domain.xml.in")
[[ -n $initrd ]] || xml=$(grep -v '@INITRD@' <<< "$xml")
[[ -n $log ]]    || xml=$(grep -v '@SERIAL_LOG@' <<< "$xml")
[[ $virtio == 1 ]] || xml=$(sed '/<!-- virtio devices/,/<!-- end of virtio devices -->/d' <<< "$xml")
[[ $net == 1 ]]    || xml=$(sed '/<interface /,/<\/interface>/d' <<< "$xml")
xml=${xml//@TYPE@/$type}
xml=${xml//@QEMU_NS@/$qemu_ns}
xml=${xml//@QEMU_ARGS@/$qemu_args}
xml=${xml//@CPU_MODE@/$cpu_mode}
xml=${xml//@TAP@/$tap}
xml=${xml//@NAME@/$(xml_escape "$name")}
xml=${xml//@UUID@/$uuid}
xml=${xml//@MEMORY@/$memory}
xml=${xml//@KERNEL@/$(xml_escape "$(abs "$kernel")")}
xml=${xml//@INITRD@/$(xml_escape "$(abs "$initrd")")}
xml=${xml//@CMDLINE@/$(xml_escape "$cmdline")}
xml=${xml//@DISK@/$(xml_escape "$(abs "$disk")")}
xml=${xml//@SERIAL_LOG@/$(xml_escape "$(abs "$log")")}
printf '%s\n' "$xml" > "$out"
