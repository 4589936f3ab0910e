#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the sessiongate guest image, OUTDIR/vmlinuz + OUTDIR/initrd.img, from
# Debian packages only (doc/guest-image.md):
#   * the kernel of linux-image-cloud-amd64's dependency, fetched with
#     `apt-get download` into a cache (never installed into the host's /boot)
#     and unpacked with dpkg-deb -x, with the virtio modules it needs;
#   * busybox-static (the shell, /init, httpd, ip), socat and openssl with
#     the libraries they link (ldd), a self-signed certificate made here;
#   * scripts/guest/init as /init.
# Cached: does nothing when OUTDIR's image is newer than every input.
# Usage: build-image.sh OUTDIR
#   SG_GUEST_DEB_CACHE  where kernel packages are downloaded
#                       (default /var/cache/sessiongate/guest-debs)
set -euo pipefail

die() {
	echo "build-image.sh: $*" >&2
	exit 1
}
[ $# -eq 1 ] || die "usage: build-image.sh OUTDIR"
OUT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEBS=${SG_GUEST_DEB_CACHE:-/var/cache/sessiongate/guest-debs}
# virtio_pci finds the devices, virtio_net is eth0, virtio-rng feeds the
# guest's entropy (TLS handshakes right after boot); modules.dep adds the
# dependencies (virtio, virtio_ring, failover, net_failover, ...).
MODULES=(virtio_pci virtio_net virtio-rng)

need_pkg() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ] ||
		die "Debian package '$1' is not installed (scripts/install-deps.sh installs it)"
}
for p in busybox-static socat openssl cpio kmod; do
	need_pkg "$p"
done

# The kernel: the package linux-image-cloud-amd64 depends on, at apt's
# candidate version.
KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-/ && !k { k = $2 } END { print k }')
[ -n "$KPKG" ] || die "apt knows no package 'linux-image-cloud-amd64' (run apt-get update)"
KVERSION=$(apt-cache show --no-all-versions "$KPKG" 2>/dev/null | awk '/^Version:/ && !v { v = $2 } END { print v }')
[ -n "$KVERSION" ] || die "apt knows no version of kernel package '$KPKG'"
KDEB_NAME="${KPKG}_${KVERSION//:/%3a}_amd64.deb"
KDEB=
for d in "$DEBS" /var/cache/apt/archives; do
	if [ -s "$d/$KDEB_NAME" ]; then
		KDEB="$d/$KDEB_NAME"
		break
	fi
done
if [ -z "$KDEB" ]; then
	echo "build-image.sh: downloading $KPKG=$KVERSION into $DEBS"
	mkdir -p "$DEBS"
	(cd "$DEBS" && apt-get download -q "$KPKG=$KVERSION" >/dev/null 2>&1) ||
		die "apt-get download of kernel package '$KPKG=$KVERSION' failed"
	KDEB="$DEBS/$KDEB_NAME"
	[ -s "$KDEB" ] || die "apt-get download did not produce $KDEB"
fi

BUSYBOX=$(dpkg -L busybox-static | awk '/\/bin\/busybox$/ && !b { b = $0 } END { print b }')
[ -x "$BUSYBOX" ] || die "busybox-static installs no bin/busybox"
SOCAT=$(command -v socat) || die "socat not found (Debian package 'socat')"
OPENSSL=$(command -v openssl) || die "openssl not found (Debian package 'openssl')"
INPUTS=("${BASH_SOURCE[0]}" "$HERE/init" "$KDEB" "$BUSYBOX" "$SOCAT" "$OPENSSL")

mkdir -p "$OUT"
STAMP="$OUT/.image-stamp"
fresh=1
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -f "$STAMP" ] &&
	[ "$(cat "$STAMP")" = "$KDEB_NAME" ]; then
	for f in "${INPUTS[@]}"; do
		[ "$STAMP" -nt "$f" ] || fresh=0
	done
else
	fresh=0
fi
if [ $fresh -eq 1 ]; then
	echo "build-image.sh: $OUT is up to date ($KDEB_NAME)"
	exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "build-image.sh: unpacking $KDEB"
dpkg-deb -x "$KDEB" "$TMP/k"
KVER=$(ls "$TMP/k/lib/modules")
[ -f "$TMP/k/boot/vmlinuz-$KVER" ] || die "$KDEB holds no boot/vmlinuz-$KVER"
MODDIR="$TMP/k/lib/modules/$KVER"
# The package ships no modules.dep (made at install time): make it here.
command -v depmod >/dev/null || die "depmod not found (Debian package 'kmod')"
depmod -b "$TMP/k" "$KVER" || die "depmod failed on $KDEB"

R="$TMP/root"
mkdir -p "$R"/{bin,sbin,etc/sg,proc,sys,dev,tmp,www,lib/modules,lib64}

# Modules in load order: modules.dep lists a module's whole dependency
# closure, deepest last, so its reverse followed by the module loads cleanly.
declare -A loaded=()
order=()
add_module() { # relative path in modules.dep
	local line deps i
	[ -n "${loaded[$1]:-}" ] && return 0
	line=$(grep -m1 "^$1:" "$MODDIR/modules.dep") || die "$1 not in modules.dep"
	read -r -a deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		add_module "${deps[$i]}"
	done
	loaded[$1]=1
	order+=("$1")
}
for m in "${MODULES[@]}"; do
	rel=$(grep -m1 -E "(^|/)$m\.ko(\.[a-z]+)?:" "$MODDIR/modules.dep" | cut -d: -f1) ||
		die "kernel $KVER has no module $m"
	add_module "$rel"
done
: >"$R/etc/sg-modules"
for rel in "${order[@]}"; do
	base=$(basename "$rel")
	case "$base" in
	*.ko) cp "$MODDIR/$rel" "$R/lib/modules/$base" ;;
	*.ko.xz) xz -dc "$MODDIR/$rel" >"$R/lib/modules/${base%.xz}" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" >"$R/lib/modules/${base%.zst}" ;;
	*.ko.gz) gzip -dc "$MODDIR/$rel" >"$R/lib/modules/${base%.gz}" ;;
	*) die "unknown module file $rel" ;;
	esac
	base=${base%.xz} base=${base%.zst} base=${base%.gz}
	echo "$base" >>"$R/etc/sg-modules"
done
echo "build-image.sh: kernel $KVER, modules: $(tr '\n' ' ' <"$R/etc/sg-modules")"

# busybox and its applets
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
done
# socat, openssl and their libraries (the loader path as ldd prints it)
copy_lib() {
	mkdir -p "$R$(dirname "$1")"
	[ -e "$R$1" ] || cp -L "$1" "$R$1"
}
for bin in "$SOCAT" "$OPENSSL"; do
	cp "$bin" "$R/bin/"
	for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		copy_lib "$lib"
	done
done
echo /lib/x86_64-linux-gnu >"$R/etc/ld.so.conf"
ldconfig -r "$R" 2>/dev/null || true

cp "$HERE/init" "$R/init"
chmod 0755 "$R/init"
echo "root:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
echo "A:*" >"$R/etc/httpd.conf"
# /cgi-bin/meminfo: the guest's /proc/meminfo (what a saved image holds)
mkdir -p "$R/www/cgi-bin"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\ncat /proc/meminfo\n' \
	>"$R/www/cgi-bin/meminfo"
chmod 0755 "$R/www/cgi-bin/meminfo"
[ "$(id -u)" -eq 0 ] && mknod -m 600 "$R/dev/console" c 5 1
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$R/etc/sg/key.pem" -out "$R/etc/sg/cert.pem" -days 3650 \
	-subj "/CN=sg-guest" >/dev/null 2>&1 || die "openssl could not make the certificate"

if command -v zstd >/dev/null; then
	COMPRESS=(zstd -q -9 -T0) kind=zstd
else
	COMPRESS=(gzip -9) kind=gzip
fi
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	"${COMPRESS[@]}" >"$OUT/initrd.img.new"
cp "$TMP/k/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
echo "$KDEB_NAME" >"$STAMP"
echo "build-image.sh: wrote $OUT/vmlinuz ($(stat -c %s "$OUT/vmlinuz") bytes)" \
	"and $OUT/initrd.img ($(stat -c %s "$OUT/initrd.img") bytes, $kind)"
