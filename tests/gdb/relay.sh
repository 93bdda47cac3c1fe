#!/usr/bin/env bash
# relay.sh HOST PORT LOG [I]: gdb's "target remote | relay.sh ..." for mkvm
# in an L1 VM (tests/gdb/lib.sh). Connects to the emulator's UART socket at
# once, retrying while it starts, but passes gdb's bytes (held meanwhile in
# the pipe from gdb) on only after LOG shows that L1 relays session I
# ("@@gdb relay-ready I"), so nothing is lost in a UART nobody reads yet.
# Closes the connection when gdb ends, so the next session can connect,
# and ends gdb's when LOG shows that mkvm ended ("@@gdb mkvm-status=S I"),
# as mkvm's own socket closes when it exits (a UART has no end of file).
set -u
host=$1 port=$2 log=$3 i=${4:-0}
for ((n = 0; n < 600; n++)); do
	exec 3<> "/dev/tcp/$host/$port" && break
	sleep 0.5
done 2> /dev/null
[[ -e /dev/fd/3 ]] || { echo "relay: cannot connect to $host:$port" >&2; exit 1; }
until grep -aq "^@@gdb relay-ready $i" "$log" 2> /dev/null; do
	sleep 1
done
# gdb's end of the connection is this script's stdin and stdout (one
# socket): it closes once the two cats and this script are gone.
cat <&3 &
reader=$!
exec 4<&0
cat <&4 >&3 &
writer=$!
exec 4<&-
(
	until grep -aq "^@@gdb mkvm-status=[0-9]* $i" "$log" 2> /dev/null; do
		sleep 1
	done
	kill "$reader" "$writer" 2> /dev/null
) < /dev/null > /dev/null &
watcher=$!
wait "$writer"
kill "$reader" "$watcher" 2> /dev/null
