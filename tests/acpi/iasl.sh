#!/usr/bin/env bash
# ACPICA's iasl (package acpica-tools) against mkvm's ACPI tables: each
# table disassembles without an error or warning, and the DSDT's AML is
# byte for byte what iasl compiles from its own disassembly (no
# optimizations): the hand-made encoder writes what the ASL means. Every
# _CRS must disassemble as a ResourceTemplate (a malformed descriptor list
# is shown as a plain Buffer).
# Usage: iasl.sh ACPI-DUMP
set -uo pipefail
dump=$1
command -v iasl > /dev/null ||
	{ echo "acpi-iasl: FAIL: iasl is not installed (package acpica-tools; make deps)"; exit 1; }
dir=$(mktemp -d) && trap 'rm -rf "$dir"' EXIT
"$dump" "$dir" 2 || { echo "acpi-iasl: FAIL: $dump"; exit 1; }
bad=0
for t in "$dir"/*.dat; do
	name=$(basename "$t" .dat)
	if ! out=$(cd "$dir" && iasl -d "$name.dat" 2>&1) ||
	   grep -Eiq '(error|warning)[^s]' <<< "$out"; then
		echo "acpi-iasl: FAIL: iasl -d $name:"; echo "$out" | tail -15
		bad=1
	fi
done
crs=$(grep -c 'Name (_CRS,' "$dir/DSDT.dsl")
templates=$(grep -c 'Name (_CRS, ResourceTemplate ()' "$dir/DSDT.dsl")
if [[ $crs == 0 || $crs != "$templates" ]]; then
	echo "acpi-iasl: FAIL: $templates of the DSDT's $crs _CRS objects are resource templates"
	bad=1
fi
if ! out=$(cd "$dir" && iasl -oa -p DSDT-re DSDT.dsl 2>&1); then
	echo "acpi-iasl: FAIL: iasl cannot compile the disassembled DSDT:"; echo "$out" | tail -15
	bad=1
elif ! cmp -s <(tail -c +37 "$dir/DSDT.dat") <(tail -c +37 "$dir/DSDT-re.aml"); then
	echo "acpi-iasl: FAIL: the DSDT's AML differs from iasl's compilation of its disassembly"
	bad=1
fi
((bad)) || echo "acpi-iasl: $(ls "$dir"/*.dat | wc -l) tables disassemble cleanly; the DSDT recompiles to the same AML"
exit $bad
