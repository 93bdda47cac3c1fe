#!/usr/bin/env bash
# mkdisk.sh OUT [MIB]: the sample raw disk image (default 4 MiB). Every
# 512-byte sector N holds the text "mkvm sector NNNNNNNN" (N in 8 hex
# digits), padded with spaces and ended by a newline, so a block driver test
# can check that it read the sector it asked for, and `head -c` shows it.
set -euo pipefail

out=${1:?usage: mkdisk.sh OUT [MIB]}
mib=${2:-4}
[[ $mib =~ ^[1-9][0-9]*$ ]] || { echo "mkdisk.sh: size must be MiB as a number, not '$mib'" >&2; exit 2; }

sectors=$((mib * 2048))
tmp=$out.tmp
{
	for ((n = 0; n < sectors; n++)); do
		printf -v label 'mkvm sector %08x' "$n"
		printf '%-511s\n' "$label"
	done
} > "$tmp"
mv -f "$tmp" "$out"
