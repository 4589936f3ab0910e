#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One root libvirtd (QEMU driver, qemu:///system) per host network namespace,
# isolated from every other libvirtd: its own mount namespace in which
# /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt are DIR/etc, DIR/run, DIR/lib, DIR/cache, DIR/log, and its
# own sockets in DIR/sock, under a subreaper that reaps its qemu processes at
# once (a killed qemu is seen as crashed at once). qemu runs in the same
# namespaces (namespaces = []) with no cgroups, no security driver and no
# virtlogd (stdio_handler "file"), so nothing but qemu-system-x86 and
# libvirtd's QEMU driver is needed.
# doc/guest-image.md.
#
# As a command:   libvirtd-ns.sh start NS DIR | stop DIR | uri DIR
# Sourced:        sg_libvirtd_start NS DIR; sg_libvirtd_stop DIR;
#                 sg_libvirtd_uri DIR
# start waits (20 s at most) until `virsh -c URI uri` answers (then asks for
# the domain capabilities once, so qemu's probe is not paid by the first
# start); stop ends libvirtd and every qemu it started (SIGTERM, 5 s, then
# SIGKILL) and removes nothing outside DIR. Consoles: DIR/log/qemu/NAME.console (guest.xml).

SG_LIBVIRTD=${SG_LIBVIRTD:-/usr/sbin/libvirtd}
SG_LIBVIRTD_PYTHON=${SG_LIBVIRTD_PYTHON:-/usr/bin/python3}
SG_LIBVIRTD_QEMU_DRIVER=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so

sg_libvirtd_uri() {
	echo "qemu+unix:///system?socket=$(realpath -m "$1")/sock/libvirt-sock"
}

# _sg_libvirtd_conf DIR: write DIR/etc/libvirtd.conf and DIR/etc/qemu.conf.
_sg_libvirtd_conf() {
	local d=$1
	cat >"$d/etc/libvirtd.conf" <<-CONF
		unix_sock_dir = "$d/sock"
		unix_sock_rw_perms = "0700"
		auth_unix_rw = "none"
		auth_unix_ro = "none"
		log_outputs = "3:file:$d/log/libvirtd.log"
		keepalive_interval = -1
	CONF
	# save_image_format raw: no compressor on save or restore (the fastest
	# resume). stdio_handler file: qemu's stderr goes straight to
	# /var/log/libvirt/qemu/NAME.log, no virtlogd.
	cat >"$d/etc/qemu.conf" <<-CONF
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		security_driver = "none"
		stdio_handler = "file"
		cgroup_controllers = [ ]
		namespaces = [ ]
		save_image_format = "raw"
		set_process_name = 1
	CONF
}

# libvirtd's parent: a child subreaper (prctl PR_SET_CHILD_SUBREAPER) that
# reaps at once every qemu libvirtd daemonizes. Without it a killed qemu is
# reparented to PID 1, stays a zombie until PID 1 reaps it (some container
# inits take a second or more), and libvirt, which sees the pid alive, reports
# the crash only then. Forwards SIGTERM/SIGINT to libvirtd; exits once it has
# no child left.
_SG_LIBVIRTD_REAPER='
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, f: os.kill(pid, s))
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
'

# sg_libvirtd_start NS DIR
sg_libvirtd_start() {
	local ns=$1 d uri i pid
	d=$(realpath -m "$2")
	[ "$(id -u)" -eq 0 ] || { echo "libvirtd-ns: must run as root" >&2; return 1; }
	[ -x "$SG_LIBVIRTD" ] || {
		echo "libvirtd-ns: $SG_LIBVIRTD missing (Debian package libvirt-daemon)" >&2
		return 1
	}
	[ -e "$SG_LIBVIRTD_QEMU_DRIVER" ] || {
		echo "libvirtd-ns: libvirt's QEMU driver missing (Debian package libvirt-daemon-driver-qemu)" >&2
		return 1
	}
	command -v qemu-system-x86_64 >/dev/null || {
		echo "libvirtd-ns: qemu-system-x86_64 missing (Debian package qemu-system-x86)" >&2
		return 1
	}
	ip netns exec "$ns" true || { echo "libvirtd-ns: no network namespace $ns" >&2; return 1; }
	if [ -s "$d/libvirtd.pid" ] && kill -0 "$(cat "$d/libvirtd.pid")" 2>/dev/null; then
		echo "libvirtd-ns: a libvirtd already runs for $d" >&2
		return 1
	fi
	mkdir -p "$d"/{etc,run,lib,cache,log/qemu,sock}
	rm -f "$d/sock/libvirt-sock" "$d/sock/libvirt-sock-ro" "$d/libvirtd.pid"
	_sg_libvirtd_conf "$d"
	# libvirt's QEMU driver resolves its built-in user and group
	# (libvirt-qemu, made by libvirt-daemon-system) even when qemu.conf says
	# root: where the host lacks them, the namespace sees copies of
	# /etc/passwd and /etc/group that have them (the host's stay untouched).
	local idmounts=
	if ! getent passwd libvirt-qemu >/dev/null || ! getent group libvirt-qemu >/dev/null; then
		cp /etc/passwd "$d/passwd"
		cp /etc/group "$d/group"
		getent group libvirt-qemu >/dev/null ||
			echo "libvirt-qemu:x:64055:" >>"$d/group"
		getent passwd libvirt-qemu >/dev/null ||
			echo "libvirt-qemu:x:64055:64055:libvirt-ns:/var/lib/libvirt:/usr/sbin/nologin" >>"$d/passwd"
		idmounts=1
	fi
	# The mount points must exist on the host for the bind mounts (they do
	# once libvirt is installed); the mounts themselves are private.
	mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid ip netns exec "$ns" unshare -m --propagation private bash -c '
		set -e
		d=$1
		mount --bind "$d/etc" /etc/libvirt
		mount --bind "$d/run" /run/libvirt
		mount --bind "$d/lib" /var/lib/libvirt
		mount --bind "$d/cache" /var/cache/libvirt
		mount --bind "$d/log" /var/log/libvirt
		if [ -n "$3" ]; then
			mount --bind "$d/passwd" /etc/passwd
			mount --bind "$d/group" /etc/group
		fi
		readlink /proc/self/ns/mnt >"$d/mntns"
		exec "$5" -c "$4" "$2" -f "$d/etc/libvirtd.conf" -p "$d/libvirtd.pid"
	' libvirtd-ns "$d" "$SG_LIBVIRTD" "$idmounts" "$_SG_LIBVIRTD_REAPER" "$SG_LIBVIRTD_PYTHON" </dev/null >"$d/log/libvirtd.out" 2>&1 &
	pid=$!
	uri=$(sg_libvirtd_uri "$d")
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "libvirtd-ns: libvirtd for $ns exited; $d/log/libvirtd.out and libvirtd.log:" >&2
			tail -n 20 "$d/log/libvirtd.out" "$d/log/libvirtd.log" >&2 2>/dev/null
			return 1
		fi
		if [ -S "$d/sock/libvirt-sock" ] && virsh -q -c "$uri" uri >/dev/null 2>&1; then
			# libvirtd probes qemu's capabilities on first use (~5 s on
			# TCG): do it now, not in the first domain start.
			virsh -q -c "$uri" domcapabilities >/dev/null 2>&1 ||
				echo "libvirtd-ns: warning: virsh domcapabilities failed for $ns" >&2
			return 0
		fi
		sleep 0.1
	done
	echo "libvirtd-ns: libvirtd for $ns did not answer within 20 s ($d/log/libvirtd.log)" >&2
	sg_libvirtd_stop "$d"
	return 1
}

# _sg_libvirtd_is_ours PID: the process runs libvirtd or qemu-system-x86_64
# (a pid file may outlive its process and its number be reused).
_sg_libvirtd_is_ours() {
	case "$(readlink "/proc/$1/exe" 2>/dev/null)" in
	"$SG_LIBVIRTD" | /usr/bin/qemu-system-x86_64) return 0 ;;
	esac
	return 1
}

# _sg_libvirtd_pids DIR: libvirtd and the qemu processes it started: those
# of the pid files in DIR and those in the mount namespace recorded at start.
_sg_libvirtd_pids() {
	local d=$1 f p mnt=
	for f in "$d/libvirtd.pid" "$d"/run/qemu/*.pid; do
		[ -s "$f" ] && { cat "$f"; echo; }
	done
	[ -s "$d/mntns" ] && mnt=$(cat "$d/mntns")
	[ -n "$mnt" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && echo "${p#/proc/}"
	done
	return 0
}

# sg_libvirtd_stop DIR
sg_libvirtd_stop() {
	local d pids alive i p
	d=$(realpath -m "$1")
	[ -d "$d" ] || return 0
	pids=
	for p in $(_sg_libvirtd_pids "$d" | grep -E '^[0-9]+$' | sort -un); do
		_sg_libvirtd_is_ours "$p" && pids="$pids $p"
	done
	if [ -z "$pids" ]; then
		rm -f "$d/libvirtd.pid" "$d/mntns"
		return 0
	fi
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $alive; do kill -KILL "$p" 2>/dev/null; done
	rm -f "$d/libvirtd.pid" "$d/mntns"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	start) [ $# -eq 3 ] && sg_libvirtd_start "$2" "$3" ;;
	stop) [ $# -eq 2 ] && sg_libvirtd_stop "$2" ;;
	uri) [ $# -eq 2 ] && sg_libvirtd_uri "$2" ;;
	*) false ;;
	esac
	rc=$?
	if [ $rc -ne 0 ] && ! [[ "${1:-}" =~ ^(start|stop|uri)$ && ($# -eq 2 || $# -eq 3) ]]; then
		echo "usage: libvirtd-ns.sh start NS DIR | stop DIR | uri DIR" >&2
	fi
	exit $rc
fi
