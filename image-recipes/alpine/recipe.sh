#!/bin/sh
# Alpine Linux: the base tree of a kinglet guest, the agent as PID 1 (as in
# Kata's Alpine initrd). mkosi 14 knows no Alpine, so this script is the recipe:
# apk.static installs the packages into OUT_DIR, then the shared finalize step
# prunes and clamps mtimes as for the mkosi recipes. These machines have neither
# apk nor an Alpine mirror: --check validates the recipe offline instead.
# agent-mode: init
#
# usage: recipe.sh OUT_DIR     build (root, apk.static or apk, the mirror)
#        recipe.sh --check     check the settings and print the plan; no network
#
# Packages (nothing else: no openrc, no apk-tools, no alpine-base):
#   alpine-baselayout  directory layout, passwd/group/fstab (alpine-baselayout-data)
#   busybox            /bin/sh and the tools of Kata's debug console; musl with it
# Environment: ALPINE_RELEASE (v3.22), ALPINE_MIRROR, ALPINE_ARCH (x86_64),
# APK (apk.static, else apk), SOURCE_DATE_EPOCH (HEAD's commit time).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
release=${ALPINE_RELEASE:-v3.22}
mirror=${ALPINE_MIRROR:-https://dl-cdn.alpinelinux.org/alpine}
arch=${ALPINE_ARCH:-x86_64}
packages="alpine-baselayout busybox"
repo=$mirror/$release/main
finalize=$here/../common/finalize.sh

check() {
	ok=0
	case $release in v[0-9]*.[0-9]* | edge) ;; *) echo "ALPINE_RELEASE=$release is not vMAJOR.MINOR or edge" >&2; ok=1 ;; esac
	case $mirror in http://* | https://* | file:///*) ;; *) echo "ALPINE_MIRROR=$mirror is not a URL" >&2; ok=1 ;; esac
	case $arch in x86_64 | aarch64 | ppc64le | s390x | riscv64) ;; *) echo "ALPINE_ARCH=$arch is unknown" >&2; ok=1 ;; esac
	case " $packages " in *" kata-"*) echo "a Kata package is listed" >&2; ok=1 ;; esac
	[ -x "$finalize" ] || { echo "$finalize is missing or not executable" >&2; ok=1; }
	return $ok
}

steps() { # RUNNER APK OUT_DIR: RUNNER is echo (the plan) or run
	# alpine-keys comes first, unverified (as Kata's osbuilder does: --allow-untrusted);
	# the packages are then verified against the keys it installed in OUT_DIR/etc/apk/keys.
	"$1" "$2" --root "$3" --arch "$arch" --repository "$repo" --initdb --no-cache --allow-untrusted \
		add alpine-keys
	# shellcheck disable=SC2086 # a list of package names
	"$1" "$2" --root "$3" --arch "$arch" --repository "$repo" --no-cache add $packages
}

run() {
	echo "alpine: $*" >&2
	"$@"
}

if [ "${1:-}" = --check ]; then
	check
	steps echo "${APK:-apk.static}" /OUT_DIR
	exit 0
fi
case ${1:-} in -h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
[ $# -eq 1 ] || { echo "usage: recipe.sh OUT_DIR | --check" >&2; exit 64; }
check
apk=${APK:-$(command -v apk.static || command -v apk || true)}
if [ -z "$apk" ]; then
	echo "alpine: no apk.static or apk on this machine (Debian 12 packages neither), and the" \
		"Alpine mirror is unreachable here; the recipe validates with --check" >&2
	exit 69
fi
[ "$(id -u)" -eq 0 ] || { echo "alpine: building needs root" >&2; exit 1; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$out.new
rm -rf "$work"
mkdir -p "$work"
steps run "$apk" "$work"
if grep -q '^P:kata-' "$work/lib/apk/db/installed"; then
	echo "alpine: a kata package is installed; kinglet images carry only kinglet-agent" >&2
	exit 1
fi
awk -F: '/^P:/ { p = $2 } /^V:/ { print p, $2 }' "$work/lib/apk/db/installed" | LC_ALL=C sort >"$work.packages"
# The package manager's state: no apk in the guest.
rm -rf "$work/lib/apk" "$work/etc/apk" "$work/var/cache/apk" "$work/usr/share/apk"
BUILDROOT=$work "$finalize" final
touch -h -d "@$SOURCE_DATE_EPOCH" "$work"
rm -rf "$out"
mv "$work" "$out"
mv "$work.packages" "$out.packages"
echo "alpine: $(wc -l <"$out.packages") packages, $(du -sh "$out" | cut -f1) in $out" >&2
