#!/usr/bin/env bash
# tap.sh MKVM NET_ELF LOG: run by run.sh inside a fresh network namespace
# (unshare -n). Creates a TAP with an address, boots net.elf on it with
# "tap" on the command line, and meanwhile sends datagrams to a neighbour
# address so that the host stack sends ARP requests through the TAP. Leaves
# the number of frames the host received from the guest in LOG.rx_packets.
set -u
MKVM=$1 ELF=$2 LOG=$3 TAP=mkvmtap0
ip link set lo up
ip tuntap add dev $TAP mode tap && ip link set $TAP up &&
	ip addr add 10.0.2.1/24 dev $TAP || exit 90
"$MKVM" --no-host-check --serial "$LOG" --net tap=$TAP --cmdline tap "$ELF" \
	< /dev/null 2> "$LOG.stderr" &
pid=$!
for _ in $(seq 1 120); do
	sleep 0.25
	kill -0 $pid 2> /dev/null || break
	echo x 2> /dev/null > /dev/udp/10.0.2.2/9
done
wait $pid
rc=$?
awk -v t="$TAP:" '$1 == t { print $3 }' /proc/net/dev > "$LOG.rx_packets"
exit $rc
