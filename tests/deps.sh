#!/usr/bin/env bash
# Install the Debian packages mkvm needs to build and test, and nothing else.
# Idempotent: does nothing when every package is already installed.
# Not root: prints the exact apt-get line and exits 1.
set -euo pipefail

PACKAGES=(
  # build: VMM (C11 + KVM headers + libxml2 for --domain), guest (C + NASM), archives
  gcc make nasm binutils cpio linux-libc-dev libxml2-dev pkg-config
  # test platforms: QEMU TCG, nested Linux (kernel fetched with apt-get download), Bochs
  qemu-system-x86 busybox-static dpkg-dev xorriso isolinux syslinux-common
  bochs bochsbios vgabios
  # debugging and the libvirt domain
  gdb libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libxml2-utils
  # gdb over a unix socket to mkvm inside the nested L1 (tests/gdb/lib.sh)
  socat
)
# check-libvirt: the libvirt-qemu user (in group kvm) and /etc/libvirt/qemu.conf come
# from libvirt-daemon-system, which libvirt-daemon only suggests.
PACKAGES+=(libvirt-daemon-system)
# check-fuzz: clang's libFuzzer (-fsanitize=fuzzer lives in libclang-rt-14-dev,
# only recommended by clang); without clang only the gcc-built drivers run.
PACKAGES+=(clang libclang-rt-14-dev)
# check-unit: ACPICA's iasl checks the ACPI tables (tests/acpi/iasl.sh).
PACKAGES+=(acpica-tools)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

((${#missing[@]} == 0)) && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
