#!/usr/bin/env bash
# relay.sh HOST PORT LOG: gdb's "target remote | relay.sh ..." for mkvm in
# an L1 VM (tests/gdb/l1.sh). Connects to the emulator's UART socket at
# once, retrying while it starts, but passes gdb's bytes (held meanwhile in
# the pipe from gdb) on only after LOG shows that mkvm listens in L1, so
# nothing is lost in a UART nobody reads yet.
set -u
host=$1 port=$2 log=$3
for ((i = 0; i < 600; i++)); do
	exec 3<> "/dev/tcp/$host/$port" && break
	sleep 0.5
done 2> /dev/null
[[ -e /dev/fd/3 ]] || { echo "relay: cannot connect to $host:$port" >&2; exit 1; }
until grep -aq '^@@gdb relay-ready' "$log" 2> /dev/null; do
	sleep 1
done
cat <&3 &
exec cat >&3
