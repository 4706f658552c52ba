#!/bin/sh
# build-kernel.sh: the minimal kinglet guest kernel from Debian's linux-source package.
# `build-kernel.sh --help` says how; docs/images.md ("Kernel") says why.
set -eu

usage() {
	cat <<'EOF'
usage: build-kernel.sh [--help] OUTDIR [FRAGMENT...]

Builds an x86_64 bzImage: `make tinyconfig`, the FRAGMENTs merged on top with
scripts/kconfig/merge_config.sh -m (later ones override earlier ones), `make
olddefconfig`, a check that every option the fragments set survived
(image-recipes/kernel/check-config.sh), then `make bzImage`.
FRAGMENT defaults to image-recipes/kernel/base.config.

Writes OUTDIR/bzImage, OUTDIR/config, OUTDIR/config.sha256, OUTDIR/kernel.json
(version, sizes, hashes, fragments) and OUTDIR/build.log. Does nothing when the
inputs (fragments, this script, the check, the source tarball, the compiler,
SOURCE_DATE_EPOCH) are those of the last successful build.

Environment:
  KERNEL_SRC_TARBALL  source tarball (default /usr/src/linux-source-6.1.tar.xz)
  KERNEL_SRC_CACHE    where the tarball is extracted, once (default OUTDIR/src);
                      may be shared by several OUTDIRs: the build happens in OUTDIR/obj
  SOURCE_DATE_EPOCH   the build timestamp in `uname -v` (default: the commit time of
                      the last git commit that touched the kernel recipe)
  JOBS                parallel make jobs (default: nproc)
EOF
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
'' | -*) usage >&2; exit 2 ;;
esac

say() { echo "kernel: $*"; }
die() { echo "kernel: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
recipes=$top/image-recipes/kernel
check=$recipes/check-config.sh

mkdir -p "$1"
out=$(cd "$1" && pwd)
shift
[ $# -gt 0 ] || set -- "$recipes/base.config"
frags=
for f in "$@"; do
	[ -r "$f" ] || die "cannot read fragment $f"
	frags="$frags $(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
done
tarball=${KERNEL_SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -r "$tarball" ] || die "no kernel source at $tarball (Debian: apt-get install linux-source-6.1, or make deps)"
cache=${KERNEL_SRC_CACHE:-$out/src}
obj=$out/obj
log=$out/build.log
jobs=${JOBS:-$(nproc)}

# Reproducible builds: the same inputs give the same bzImage. The timestamp is the
# last commit of the recipe, not HEAD, so unrelated commits do not force a rebuild.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct -- image-recipes/kernel \
		rootfs-builder/build-kernel.sh 2>/dev/null || true)
	[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=0
fi
KBUILD_BUILD_TIMESTAMP=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S UTC %Y')
KBUILD_BUILD_USER=kinglet
KBUILD_BUILD_HOST=kinglet
KBUILD_BUILD_VERSION=1
export SOURCE_DATE_EPOCH KBUILD_BUILD_TIMESTAMP KBUILD_BUILD_USER KBUILD_BUILD_HOST KBUILD_BUILD_VERSION
export ARCH=x86_64 LC_ALL=C

# --- is the last build still current? --------------------------------------------------

tarball_sha=$(sha256sum <"$tarball" | cut -d' ' -f1)
# shellcheck disable=SC2086 # $frags: absolute paths we built above, no spaces in the repo
inputs=$({
	echo "tarball $tarball_sha"
	echo "epoch $SOURCE_DATE_EPOCH"
	gcc --version | head -n 1
	# Only what a fragment sets counts: editing a comment does not rebuild.
	for f in $frags; do
		echo "fragment $(basename "$f")"
		grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$f" || true
	done
	cat "$0" "$check"
} | sha256sum | cut -d' ' -f1)
stamp=$out/.stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && [ -f "$out/bzImage" ] && [ -f "$out/kernel.json" ]; then
	say "up to date: $out/bzImage ($(wc -c <"$out/bzImage") bytes)"
	exit 0
fi
rm -f "$stamp"

# --- source, extracted once -------------------------------------------------------------
mkdir -p "$cache"
if [ "$(cat "$cache/.extracted" 2>/dev/null || true)" != "$tarball_sha" ]; then
	say "extracting $(basename "$tarball") into $cache (about 20 seconds)…"
	tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
	tar -xJf "$tarball" -C "$tmp"
	set -- "$tmp"/*
	[ $# -eq 1 ] && [ -f "$1/Makefile" ] || die "$tarball does not hold one kernel tree"
	rm -rf "$cache/linux"
	mv "$1" "$cache/linux"
	rmdir "$tmp"
	echo "$tarball_sha" >"$cache/.extracted"
	rm -rf "$obj" # objects of another source
fi
src=$cache/linux
version=$(make -s -C "$src" kernelversion 2>/dev/null)

# --- configuration ------------------------------------------------------------------------
mkdir -p "$obj"
: >"$log"
run() { # the command's output goes to the log; on failure its tail to the terminal
	if ! "$@" >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "failed: $* (whole log: $log)"
	fi
}
# shellcheck disable=SC2086
say "configuring Linux $version: tinyconfig +$(for f in $frags; do printf ' %s' "$(basename "$f")"; done)"
run make -C "$src" O="$obj" tinyconfig
# shellcheck disable=SC2086
run sh "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" $frags
run make -C "$src" O="$obj" olddefconfig
# shellcheck disable=SC2086
sh "$check" --srctree "$src" $frags "$obj/.config" || die "options were dropped (see above): fix their dependencies in the fragment"

# --- build ------------------------------------------------------------------------------------
say "building bzImage with $jobs jobs (5 to 10 minutes on 2 cores; log: $log)…"
start=$(date +%s)
run make -C "$src" O="$obj" -j"$jobs" bzImage
say "built in $(($(date +%s) - start)) s"

# --- outputs --------------------------------------------------------------------------------------
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage.tmp"
mv "$out/bzImage.tmp" "$out/bzImage"
cp "$obj/.config" "$out/config"
(cd "$out" && sha256sum config >config.sha256)
size=$(wc -c <"$out/bzImage")
options=$(grep -c '^CONFIG_' "$out/config")
release=$(cat "$obj/include/config/kernel.release")
json_frags=
# shellcheck disable=SC2086
for f in $frags; do
	json_frags="$json_frags${json_frags:+, }\"$(basename "$f" | sed 's/[\\"]/\\&/g')\""
done
cat >"$out/kernel.json.tmp" <<EOF
{
  "version": "$version",
  "release": "$release",
  "source": "$(basename "$tarball")",
  "source_sha256": "$tarball_sha",
  "fragments": [$json_frags],
  "options": $options,
  "config_sha256": "$(cut -d' ' -f1 "$out/config.sha256")",
  "bzimage_bytes": $size,
  "bzimage_sha256": "$(sha256sum <"$out/bzImage" | cut -d' ' -f1)",
  "source_date_epoch": $SOURCE_DATE_EPOCH
}
EOF
mv "$out/kernel.json.tmp" "$out/kernel.json"
echo "$inputs" >"$stamp"
limit=$((3 * 1024 * 1024))
if [ "$size" -gt "$limit" ]; then
	say "warning: bzImage is $size bytes, over the 3 MiB target"
fi
say "$out/bzImage: $size bytes, $options options, config $(cut -c1-12 "$out/config.sha256")"
