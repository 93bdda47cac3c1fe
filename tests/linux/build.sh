#!/usr/bin/env bash
# Builds the Linux guest of case linux-virtio from Debian packages, into
# build/linux/ (`make linux-guest`; check-nested builds it):
#   vmlinux             the ELF (with its PVH note) inside linux-image-amd64's
#                       bzImage, unmodified: xz-compressed after the setup code
#   initramfs.cpio.gz   busybox-static, tests/linux/init as /init, vcheck, and
#                       the virtio modules of the same package with their
#                       dependencies (it ships no modules.dep) in load order
# The package is the one linux-image-amd64 depends on now, as for the nested
# platforms' L1 kernel; it is fetched with apt-get download once per ABI.
# Usage: build.sh VCHECK (the static vcheck binary to include).
set -euo pipefail
PLATFORM=linux
. "$(dirname "$0")/../platforms/lib.sh"
. "$SRC/tests/platforms/l1/l1.sh"

VCHECK=$1
OUT=$BUILD/linux
DRIVERS=(virtio_pci virtio_blk virtio_net virtio_console virtio-rng)

die() { printf '[linux] error: %s\n' "$*" >&2; exit 1; }

# fetch PKG: unpacks vmlinux and the modules of PKG into $OUT/<abi>/.
fetch() {
	local pkg=$1 dir=$2 tmp deb off
	tmp=$OUT/.tmp
	rm -rf "$tmp" "$dir" && mkdir -p "$tmp/x" "$dir/modules"
	say "fetching $pkg (apt-get download) for the Linux guest"
	(cd "$tmp" && apt-get download "$pkg" > dl.log 2>&1) ||
		{ cat "$tmp/dl.log" >&2; die "apt-get download $pkg failed"; }
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/x"
	# The bzImage's payload is one xz stream after the setup code; xz stops
	# at its end (tail then dies of SIGPIPE, which is expected).
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$tmp"/x/boot/vmlinuz-* | head -1 | cut -d: -f1)
	[[ -n $off ]] || die "no xz stream in $pkg's vmlinuz"
	{ tail -c +$((off + 1)) "$tmp"/x/boot/vmlinuz-* || true; } |
		xz -dc --single-stream > "$dir/vmlinux" ||
		die "cannot decompress the kernel in $pkg's vmlinuz"
	find "$tmp"/x/lib/modules/*/kernel/drivers/virtio "$tmp"/x/lib/modules/*/kernel/drivers/block \
		"$tmp"/x/lib/modules/*/kernel/drivers/net "$tmp"/x/lib/modules/*/kernel/net/core \
		"$tmp"/x/lib/modules/*/kernel/drivers/char \
		\( -name 'virtio*.ko*' -o -name '*failover.ko*' \) -exec cp {} "$dir/modules/" \;
	echo "$pkg $(dpkg-deb -f "$deb" Version)" > "$dir/package"
	rm -rf "$tmp"
}

pkg=$(l1_kernel_pkg)
if [[ -z $pkg ]]; then
	dir=$(ls -d "$OUT"/*/package 2>/dev/null | sort -V | tail -1)
	[[ -n $dir ]] || die "cannot resolve linux-image-amd64's kernel package (apt-get update?)"
	dir=${dir%/package}
	say "apt cannot resolve linux-image-amd64; using ${dir##*/}"
else
	dir=$OUT/${pkg#linux-image-}
	[[ -f $dir/package ]] || fetch "$pkg" "$dir"
fi

# Dependencies first, each module once (l1_module_deps reads .modinfo).
L1_KDIR=$dir
order=$(for d in "${DRIVERS[@]}"; do l1_module_deps "$d" || exit 1; done | awk '!seen[$0]++' | tr '\n' ' ')
root=$OUT/root
rm -rf "$root" && mkdir -p "$root/bin" "$root/etc" "$root/lib/modules"
for m in $order; do
	l1_uncompress "$(l1_module_file "$m")" > "$root/lib/modules/$m.ko"
done
echo $order > "$root/etc/modules"
l1_copy_binary "$(command -v busybox)" bin/busybox "$root" ||
	die "busybox is not installed (package busybox-static)"
install -m 755 "$SRC/tests/linux/init" "$root/init"
install -m 755 "$VCHECK" "$root/bin/vcheck"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0 | gzip -9) > "$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
ln -f "$dir/vmlinux" "$OUT/vmlinux"
say "$(cat "$dir/package"): vmlinux, initramfs with $(echo $order | wc -w) modules: $order"
