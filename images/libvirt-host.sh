# The host side of running mkvm's guest under libvirt: sourced (not run) by
# tests/platforms/libvirt.sh and images/libvirt-run.sh.
#
# Debian's libvirt normally runs under systemd; here there may be none, so
# lv_start starts virtlogd and libvirtd itself when they are not running and
# lv_stop stops exactly the daemons lv_start started, so repeated runs on a
# fresh machine begin and end in the same state.

PATH=$PATH:/usr/sbin:/sbin   # libvirtd, virtlogd, groupadd
LV_URI=${LV_URI:-qemu:///system}
LV_START_TIMEOUT=${LV_START_TIMEOUT:-120}
lv_started=()

lv_say() { printf '[libvirt] %s\n' "$*"; }
lv_virsh() { virsh -q -c "$LV_URI" "$@" < /dev/null; }

# lv_missing: prints why libvirt cannot be used here and returns 0, or
# returns 1 when everything needed is installed.
lv_missing() {
	local tool pkg
	for tool in virsh:libvirt-clients libvirtd:libvirt-daemon virtlogd:libvirt-daemon \
		virt-xml-validate:libvirt-clients xmllint:libxml2-utils; do
		pkg=${tool#*:} tool=${tool%%:*}
		if ! command -v "$tool" > /dev/null; then
			echo "libvirt is not usable: '$tool' is missing (Debian package $pkg; make deps)"
			return 0
		fi
	done
	if ! compgen -G '/usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so' > /dev/null; then
		echo "libvirt is not usable: its QEMU driver is missing (Debian package libvirt-daemon-driver-qemu; make deps)"
		return 0
	fi
	if [[ ! -f /etc/libvirt/qemu.conf ]] || ! getent passwd libvirt-qemu > /dev/null; then
		echo "libvirt is not usable: no /etc/libvirt/qemu.conf or user libvirt-qemu (Debian package libvirt-daemon-system; make deps)"
		return 0
	fi
	return 1
}

# lv_daemon_pid NAME: pid of the running daemon NAME per its pid file, or fail.
lv_daemon_pid() {
	local pid
	pid=$(cat "/run/$1.pid" 2> /dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2> /dev/null) == "$1" ]] || return 1
	echo "$pid"
}

# lv_fix_kvm: give /dev/kvm the owner and mode Debian's udev rules give it
# (root:kvm 0660), so libvirt's unprivileged QEMU user can probe it. With
# 0600 root:root libvirt re-probes QEMU's capabilities on every start (~90 s).
lv_fix_kvm() {
	[[ -c /dev/kvm ]] || return 0
	[[ $(stat -c %G:%a /dev/kvm) == kvm:660 ]] && return 0
	if ((EUID != 0)); then
		lv_say "note: /dev/kvm is $(stat -c %U:%G/%a /dev/kvm), not root:kvm/660, and fixing it needs root; starts will be slow"
		return 0
	fi
	getent group kvm > /dev/null || groupadd --system kvm || return 1
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || return 1
	lv_say "made /dev/kvm root:kvm 0660, as Debian's udev rules do"
}

# lv_start LOGDIR: makes sure virtlogd and libvirtd are running and answer,
# starting them (their logs in LOGDIR) when they are not. On failure prints
# why and returns 1.
lv_start() {
	local logdir=$1 d t0 pid
	lv_fix_kvm || { lv_say "could not make /dev/kvm root:kvm 0660"; return 1; }
	for d in virtlogd libvirtd; do
		lv_daemon_pid "$d" > /dev/null && continue
		if ((EUID != 0)); then
			lv_say "$d is not running and starting it needs root"
			return 1
		fi
		LIBVIRT_LOG_OUTPUTS="3:file:$logdir/$d.log" "$d" -d ||
			{ lv_say "'$d -d' failed (log: $logdir/$d.log)"; return 1; }
		for ((t0 = 0; t0 < 50; t0++)); do
			pid=$(lv_daemon_pid "$d") && break
			sleep 0.1
		done
		[[ -n $pid ]] || { lv_say "$d did not write /run/$d.pid (log: $logdir/$d.log)"; return 1; }
		lv_started+=("$d:$pid")
		lv_say "started $d (pid $pid)"
	done
	# The first connection probes QEMU's capabilities (~10 s).
	t0=$SECONDS
	until lv_virsh version > /dev/null 2>&1; do
		if ((SECONDS - t0 >= LV_START_TIMEOUT)); then
			lv_say "libvirtd did not answer on $LV_URI within ${LV_START_TIMEOUT}s (log: $logdir/libvirtd.log)"
			return 1
		fi
		sleep 0.5
	done
}

# lv_stop: stops the daemons lv_start started, newest first.
lv_stop() {
	local i d pid n
	for ((i = ${#lv_started[@]} - 1; i >= 0; i--)); do
		d=${lv_started[i]%%:*} pid=${lv_started[i]#*:}
		kill -TERM "$pid" 2> /dev/null || continue
		n=0
		while kill -0 "$pid" 2> /dev/null && ((n++ < 100)); do
			sleep 0.1
		done
		if kill -0 "$pid" 2> /dev/null; then
			lv_say "$d (pid $pid) did not stop in 10 s"
		else
			lv_say "stopped $d (pid $pid)"
		fi
	done
	lv_started=()
}

# lv_remove NAME: destroys and undefines domain NAME if it exists.
lv_remove() {
	lv_virsh domstate "$1" > /dev/null 2>&1 || return 0
	[[ $(lv_virsh domstate "$1" 2> /dev/null) == "shut off" ]] || lv_virsh destroy "$1" > /dev/null
	lv_virsh undefine "$1" > /dev/null
}

# lv_qemu_owner: uid:gid libvirt runs QEMU as (its DAC base label).
lv_qemu_owner() {
	lv_virsh capabilities | xmllint --xpath \
		'string(//secmodel[model="dac"]/baselabel[@type="qemu"])' - 2> /dev/null | tr -d +
}
