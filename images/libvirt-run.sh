#!/usr/bin/env bash
# `make libvirt-run`: boots build/images/mkvm.xml (make images) as a libvirt
# domain and attaches the terminal to its serial console (leave with Ctrl-]);
# without a terminal, shows the serial log until the domain stops or
# RUN_TIMEOUT (s, default 60) passes. Then destroys and undefines the domain
# and stops the libvirt daemons it had to start.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
. "$SRC/images/libvirt-host.sh"

xml=${1:?usage: libvirt-run.sh DOMAIN.xml}
[[ -f $xml ]] || { lv_say "$xml does not exist (make images)"; exit 2; }
if reason=$(lv_missing); then
	lv_say "$reason"
	exit 1
fi
logdir=$BUILD/logs/libvirt-run
mkdir -p "$logdir"
name=$(xmllint --xpath 'string(/domain/name)' "$xml")
serial=$(xmllint --xpath 'string(/domain/devices/serial/log/@file)' "$xml")

trap 'lv_remove "$name"; lv_stop' EXIT
trap 'exit 130' INT TERM
lv_start "$logdir" || exit 1
lv_remove "$name"
lv_virsh define --validate "$xml" || exit 1
lv_virsh start "$name" || exit 1
if [[ -t 0 && -t 1 ]]; then
	lv_say "serial console of '$name' (the log is also in $serial); leave with Ctrl-]"
	virsh -c "$LV_URI" console "$name" --devname serial0
else
	lv_say "no terminal: showing $serial until '$name' stops (at most ${RUN_TIMEOUT:-60} s)"
	tail -n +1 -F "$serial" 2> /dev/null &
	tail_pid=$!
	for ((t = 0; t < ${RUN_TIMEOUT:-60} * 5; t++)); do
		[[ $(lv_virsh domstate "$name" 2> /dev/null) == running ]] || break
		sleep 0.2
	done
	sleep 0.5
	kill "$tail_pid"
fi
