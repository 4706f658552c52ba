#!/bin/sh
# make-initrd.sh [--compress gzip|zstd|none] ROOTFS OUT: the tree as a newc
# cpio archive, reproducibly: entries in byte order, every mtime at
# SOURCE_DATE_EPOCH, owners 0:0 where the tree has no others, inode and
# device numbers renumbered (cpio --reproducible), a compressor without names
# or times. The same tree gives the same bytes.
set -eu
compress=gzip

usage() {
	echo "usage: make-initrd.sh [--compress gzip|zstd|none] ROOTFS OUT"
	echo "  SOURCE_DATE_EPOCH   mtime of every entry (default: the last git commit's time)"
}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--compress) compress=${2:?}; shift 2 ;;
	--compress=*) compress=${1#--compress=}; shift ;;
	-*) usage >&2; exit 64 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { usage >&2; exit 64; }
root=$1
out=$2
[ -d "$root" ] || { echo "make-initrd: $root is not a directory" >&2; exit 66; }
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

case $compress in
gzip) filter="gzip -9 -n" ;;
zstd) filter="zstd -19 -q -T1 --no-check" ;;
none) filter="cat" ;;
*) echo "make-initrd: unknown compressor $compress" >&2; exit 64 ;;
esac

find "$root" -exec touch -h -d "@$epoch" {} +
tmp=$out.tmp
# shellcheck disable=SC2086
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | $filter >"$tmp"
mv "$tmp" "$out"
echo "make-initrd: $out ($(stat -c %s "$out") bytes, $compress)"
