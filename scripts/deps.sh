#!/bin/sh
# Install or extract everything kinglet needs to build and test, from Debian
# packages only. Idempotent: a second run with nothing missing changes nothing
# and needs no network.
#
#   DEPS_DIR   where static archives and the musl include tree go (default .deps)
#
#   deps.sh --check   exit 0 when nothing is missing (fast; changes nothing)
set -eu

DEPS_DIR=${DEPS_DIR:-.deps}
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

# Build: musl toolchain, protobuf-c (static archive + generator), well-known .proto files.
# Tests: cmocka, clang + libFuzzer/sanitizer runtimes, valgrind (the agent under memcheck),
# iproute2/util-linux for namespaces,
# iptables and xfsprogs for the guest RPCs that run them (Get/SetIPTables, ResizeVolume).
# Benchmarks: Go and containerd's ttrpc (the peer we measure against).
# Guest images: the kernel source and what building it takes, image tools, mkosi, QEMU.
# Linting shell scripts (make lint): shellcheck.
PACKAGES="make gcc musl-tools pkg-config protobuf-c-compiler libprotobuf-c-dev libprotobuf-dev
libcmocka-dev clang libclang-rt-14-dev llvm busybox-static libseccomp-dev libjson-c-dev
util-linux iproute2 iptables xfsprogs golang-go golang-github-containerd-ttrpc-dev crun runc
linux-source-6.1 bc flex bison libelf-dev xz-utils cpio gzip zstd fdisk e2fsprogs erofs-utils
mkosi debootstrap systemd-container qemu-system-x86 qemu-utils shellcheck valgrind"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else echo "deps: need root to run: $*" >&2; exit 1
	fi
}

# One dpkg-query for all of them: this also runs as a quick check before every build.
# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${Package}\t${Status}\n' $PACKAGES 2>/dev/null |
	awk -F'\t' '$2 == "install ok installed" { print $1 }')
missing=""
for p in $PACKAGES; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ] && [ -f "$DEPS_DIR/.stamp" ] && [ -f "$DEPS_DIR/lib/libmnl.a" ] &&
		[ -f "$DEPS_DIR/lib/libprotobuf-c.a" ] && [ -f "$DEPS_DIR/lib/libseccomp.a" ] &&
		[ -e "$DEPS_DIR/musl-include/seccomp.h" ] && [ -f "$DEPS_DIR/lib/libjson-c.a" ] &&
		[ -e "$DEPS_DIR/musl-include/json-c" ]
	exit
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	as_root apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

mkdir -p "$DEPS_DIR/lib" "$DEPS_DIR/cache" "$DEPS_DIR/musl-include"

# libmnl: bookworm ships no static archive; trixie's libmnl-dev does. Fetch that
# one .deb through a private apt state (the system's sources are left alone) and
# unpack it here, never installing it system-wide.
if [ ! -f "$DEPS_DIR/lib/libmnl.a" ]; then
	echo "deps: fetching libmnl-dev (static archive) from Debian trixie"
	apt_dir=$(cd "$DEPS_DIR" && pwd)/apt
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
	echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
	set -- -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
	       -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache::Archives="$apt_dir/archives" \
	       -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1
	apt-get "$@" -qq update
	(cd "$DEPS_DIR/cache" && apt-get "$@" -qq download "libmnl-dev:$ARCH" 2>/dev/null)
	deb=$(ls "$DEPS_DIR"/cache/libmnl-dev_*.deb | tail -n 1)
	rm -rf "$DEPS_DIR/libmnl"
	dpkg-deb -x "$deb" "$DEPS_DIR/libmnl"
	cp "$DEPS_DIR/libmnl/usr/lib/$MULTIARCH/libmnl.a" "$DEPS_DIR/lib/libmnl.a"
fi

# musl-gcc must not see glibc's /usr/include: give it the kernel headers and
# exactly the library headers we use.
inc="$DEPS_DIR/musl-include"
ln -sfn /usr/include/linux "$inc/linux"
ln -sfn "/usr/include/$MULTIARCH/asm" "$inc/asm"
ln -sfn /usr/include/asm-generic "$inc/asm-generic"
ln -sfn /usr/include/protobuf-c "$inc/protobuf-c"
ln -sfn "$(cd "$DEPS_DIR" && pwd)/libmnl/usr/include/libmnl" "$inc/libmnl"
ln -sfn /usr/include/seccomp.h "$inc/seccomp.h"
ln -sfn /usr/include/seccomp-syscalls.h "$inc/seccomp-syscalls.h"
ln -sfn /usr/include/json-c "$inc/json-c"
# Copied only when the package's archive is newer, so an unchanged archive does not
# relink everything. Their unwind tables (.eh_frame) are dropped: nothing in C
# unwinds, and they would cost the agent 8 KB. libseccomp.a and libjson-c.a are
# built for glibc; lib/musl_compat.c supplies the symbols they need that musl lacks.
for a in libprotobuf-c.a libseccomp.a libjson-c.a; do
	# shellcheck disable=SC3013 # -nt: dash and bash both have it
	if [ ! "$DEPS_DIR/lib/$a" -nt "/usr/lib/$MULTIARCH/$a" ] ||
		objdump -h "$DEPS_DIR/lib/$a" | grep -q '[.]eh_frame'; then
		objcopy --remove-section=.eh_frame "/usr/lib/$MULTIARCH/$a" "$DEPS_DIR/lib/$a.tmp"
		mv "$DEPS_DIR/lib/$a.tmp" "$DEPS_DIR/lib/$a"
	fi
done

touch "$DEPS_DIR/.stamp"
echo "deps: ready"
