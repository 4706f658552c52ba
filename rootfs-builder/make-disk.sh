#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make-disk.sh: a guest disk image from a root tree: an MBR with one partition
# holding ext4 or erofs, and (unless --dax 0) Kata's NVDIMM layout, so the same
# file boots as a virtio-blk disk (/dev/vda1) or as pmem with DAX (/dev/pmem0p1).
# No loop devices, no mounts, no root needed (run as root to read every file).
# The same tree and SOURCE_DATE_EPOCH give the same bytes. Layout and choices:
# docs/images.md, "Disk images and DAX".
set -eu

MiB=1048576
fs=ext4
dax=1
headroom=10
compress=none

usage() {
	cat <<'EOF'
Usage: make-disk.sh [--fs ext4|erofs] [--dax 0|1] [--headroom PERCENT]
                    [--compress none|lz4|lz4hc] ROOTFS_DIR OUT_IMAGE

Builds OUT_IMAGE from the tree ROOTFS_DIR, sized to fit it:

  --dax 1 (default)  MBR #1 at 0, the NVDIMM pfn info block at 4 KiB, MBR #2 at
                     2 MiB, the partition at 3 MiB; the size a multiple of 2 MiB.
                     As pmem the guest sees the disk from 2 MiB (MBR #2):
                     root=/dev/pmem0p1 rootflags=dax. As a plain disk MBR #1
                     points at the same partition: root=/dev/vda1.
  --dax 0            a plain MBR disk, the partition at 1 MiB (virtio-blk).
  --fs ext4          (default) 4 KiB blocks, no journal, no reserved blocks.
  --fs erofs         read-only, 4 KiB blocks; with --dax 1 no inline tails, so
                     every uncompressed file can be mapped with DAX.
  --headroom P       ext4: free space, P percent of the tree plus 1 MiB
                     (default 10). erofs is built to its exact size.
  --compress ALGO    erofs only (default none). Compressed files are read
                     through the page cache, never mapped with DAX.

Environment:
  SOURCE_DATE_EPOCH  creation time, and the limit for every timestamp (default:
                     the time of the last git commit, else 0). With the tree and
                     --fs it seeds the file system UUID, hash seed, MBR disk
                     identifier and the pfn block's UUID.
  DAX_HEADER         the dax-header tool (default: dax-header in PATH, else
                     build/host/dax-header; make dax-header builds it).
Exit status: 0 built, 1 failed, 64 usage error, 66 no such tree.
EOF
}

die() {
	echo "make-disk: $*" >&2
	exit 1
}

value() { # OPTION [VALUE]: the value, or a usage error
	[ $# -ge 2 ] || { echo "make-disk: $1 needs a value" >&2; usage >&2; exit 64; }
	printf '%s' "$2"
}

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--fs) fs=$(value "$@"); shift 2 ;;
	--fs=*) fs=${1#*=}; shift ;;
	--dax) dax=$(value "$@"); shift 2 ;;
	--dax=*) dax=${1#*=}; shift ;;
	--headroom) headroom=$(value "$@"); shift 2 ;;
	--headroom=*) headroom=${1#*=}; shift ;;
	--compress) compress=$(value "$@"); shift 2 ;;
	--compress=*) compress=${1#*=}; shift ;;
	--) shift; break ;;
	-*) echo "make-disk: unknown option $1" >&2; usage >&2; exit 64 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { usage >&2; exit 64; }
root=$1
out=$2
case $fs in ext4 | erofs) ;; *) echo "make-disk: --fs is ext4 or erofs" >&2; exit 64 ;; esac
case $dax in 0 | 1) ;; *) echo "make-disk: --dax is 0 or 1" >&2; exit 64 ;; esac
case $headroom in '' | *[!0-9]*) echo "make-disk: --headroom is a whole percentage" >&2; exit 64 ;; esac
[ "$headroom" -le 1000 ] || { echo "make-disk: --headroom is at most 1000" >&2; exit 64; }
case $compress in
none) zopt= ;;
lz4 | lz4hc) zopt=-z$compress ;;
*) echo "make-disk: --compress is none, lz4 or lz4hc" >&2; exit 64 ;;
esac
[ "$compress" = none ] || [ "$fs" = erofs ] || { echo "make-disk: --compress is for erofs" >&2; exit 64; }
[ -d "$root" ] || { echo "make-disk: $root is not a directory" >&2; exit 66; }

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null) || SOURCE_DATE_EPOCH=0
fi
case $SOURCE_DATE_EPOCH in '' | *[!0-9]*) die "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH is not a number of seconds" ;; esac
epoch=$SOURCE_DATE_EPOCH
export SOURCE_DATE_EPOCH

need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "$t is missing (Debian: e2fsprogs, erofs-utils, fdisk)"
	done
}
need sfdisk dd truncate sha256sum
if [ "$fs" = ext4 ]; then need mke2fs debugfs dumpe2fs e2fsck; else need mkfs.erofs; fi
if [ "$dax" = 1 ]; then
	dax_header=${DAX_HEADER:-$(command -v dax-header 2>/dev/null || echo "$here/../build/host/dax-header")}
	[ -x "$dax_header" ] || die "dax-header not found at $dax_header: make dax-header, or set DAX_HEADER"
fi

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/make-disk.XXXXXX")
img_tmp=$out.tmp.$$
trap 'rm -rf "$tmpdir" "$img_tmp"' EXIT
trap 'exit 1' HUP INT TERM
fs_img=$tmpdir/fs.img

# --- identifiers: a function of SOURCE_DATE_EPOCH, the file system type and the tree's listing
# (names, types, sizes, modes, owners, mtimes), so different trees get different UUIDs and the
# same tree the same ones.
# (Directory sizes are left out: they depend on the file system the tree is on.) One record per
# entry, "PATH//ATTRIBUTES": find never prints "//" in a path, so a name keeps its attributes.
tree_hash=$(cd "$root" && { find . ! -type d -printf '%p//%y %s %m %U %G %Ts %l\0' &&
	find . -type d -printf '%p//d %m %U %G %Ts\0'; } | LC_ALL=C sort -z | sha256sum | cut -c1-64)
# One line per purpose: 32 hex digits of sha256, formatted as a version 8 (RFC 9562) UUID, and
# the first 8 digits as the MBR disk identifier.
ids=$(for purpose in fs-uuid hash-seed pfn-uuid mbr; do
	printf 'kinglet-disk\n%s\n%s\n%s\n%s\n' "$purpose" "$epoch" "$fs" "$tree_hash" | sha256sum
done | awk '{
	h = substr($1, 1, 32)
	v = substr("89ab", (index("0123456789abcdef", substr(h, 17, 1)) - 1) % 4 + 1, 1)
	print substr(h, 1, 8) "-" substr(h, 9, 4) "-8" substr(h, 14, 3) "-" v substr(h, 18, 3) "-" substr(h, 21, 12), substr(h, 1, 8)
}')
# shellcheck disable=SC2086 # eight words
set -- $ids
fs_uuid=$1 hash_seed=$3 pfn_uuid=$5 label_id=0x$8
[ "$label_id" != 0x00000000 ] || label_id=0x00000001 # sfdisk picks a random one for 0

# --- the file system -----------------------------------------------------------------------------

# ext4 choices (docs/images.md): 4 KiB blocks (DAX maps pages), no journal (the root is mounted
# read-only; a journal is 4 MiB or more and is never replayed), no reserved blocks (no user to keep
# space from), no resize_inode (the image never grows online), no orphan_file (older kernels refuse
# it). The profile replaces /etc/mke2fs.conf, so the host's defaults cannot change the bytes.
write_mke2fs_profile() {
	cat >"$tmpdir/mke2fs.conf" <<'EOF'
[defaults]
	base_features = sparse_super,large_file,filetype,dir_index,ext_attr
	default_mntopts = acl,user_xattr
	enable_periodic_fsck = 0
	blocksize = 4096
	inode_size = 256
	inode_ratio = 16384
	reserved_ratio = 0
	hash_alg = half_md4
	lazy_itable_init = false
	lazy_journal_init = false

[fs_types]
	ext4 = {
		features = extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
	}
EOF
}

# Blocks and inodes the tree needs in ext4: file data in 4 KiB blocks (plus an extent block per
# 128 MiB), one block per directory plus its entries, slow symlinks, hard links counted once.
measure_ext4() {
	find "$root" -mindepth 1 -printf '%y %s %n %i %f\n' | awk '
	NF >= 5 {
		name = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", name)
		dirent += 8 + int((length(name) + 3) / 4) * 4
		if ($1 != "d" && $3 > 1) {
			if ($4 in seen)
				next
			seen[$4] = 1
		}
		inodes++
		if ($1 == "f")
			blocks += int(($2 + 4095) / 4096) + int($2 / 134217728)
		else if ($1 == "d")
			blocks++
		else if ($1 == "l" && $2 > 59)
			blocks++
	}
	END { printf "%d %d\n", blocks + 1 + 4 + int(dirent / 4096), inodes + 1 }'
}

# Used inode numbers (the root and every one from the first non-reserved inode on), from the free
# ranges dumpe2fs lists per group.
used_inodes() {
	dumpe2fs "$1" 2>/dev/null | awk '
	/^Inodes per group:/ { ipg = $4 }
	/^First inode:/ { first = $3 }
	/^Group [0-9]+:/ { g = $2; sub(":", "", g); g += 0 }
	/^  Free inodes:/ {
		cur = g * ipg + 1
		last = (g + 1) * ipg
		list = $0
		sub(/^  Free inodes: */, "", list)
		n = split(list, r, /, */)
		for (i = 1; i <= n; i++) {
			if (r[i] == "")
				continue
			m = split(r[i], ab, "-")
			a = ab[1] + 0
			b = (m > 1 ? ab[2] : ab[1]) + 0
			for (x = cur; x < a; x++)
				if (x == 2 || x >= first)
					print x
			cur = b + 1
		}
		for (x = cur; x <= last; x++)
			if (x == 2 || x >= first)
				print x
	}'
}

# mke2fs -d copies atime and ctime from the tree (they change whenever the tree is read or copied)
# and gives the root directory the builder's owner: make every atime, ctime and crtime
# SOURCE_DATE_EPOCH, clamp mtimes to it (as mkfs.erofs does), and give the root the tree's.
normalise_ext4() {
	used_inodes "$fs_img" >"$tmpdir/inodes"
	sed 's/.*/stat <&>/' "$tmpdir/inodes" >"$tmpdir/stat.cmd"
	debugfs -f "$tmpdir/stat.cmd" "$fs_img" 2>/dev/null | awk -v e="$epoch" '
	function hex(s,    v, i, c) {
		v = 0
		s = tolower(s)
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1))
			v = v * 16 + c - 1
		}
		return v
	}
	/^Inode: / { ino = $2 }
	/^ mtime: 0x/ {
		t = $2
		sub(/^0x/, "", t)
		sub(/:.*/, "", t)
		if (hex(t) > e)
			printf "sif <%s> mtime @%s\n", ino, e
	}' >"$tmpdir/fix.cmd"
	sed "s/.*/sif <&> atime @$epoch\nsif <&> ctime @$epoch\nsif <&> crtime @$epoch/" \
		"$tmpdir/inodes" >>"$tmpdir/fix.cmd"
	rmtime=$(stat -c %Y "$root")
	[ "$rmtime" -le "$epoch" ] || rmtime=$epoch
	printf 'sif <2> mode 0%o\nsif <2> uid %s\nsif <2> gid %s\nsif <2> mtime @%s\n' \
		$((0040000 | 0$(stat -c %a "$root"))) "$(stat -c %u "$root")" "$(stat -c %g "$root")" \
		"$rmtime" >>"$tmpdir/fix.cmd"
	debugfs -w -f "$tmpdir/fix.cmd" "$fs_img" >"$tmpdir/fix.log" 2>&1 || {
		cat "$tmpdir/fix.log" >&2
		die "debugfs could not set the timestamps"
	}
	if grep -v '^debugfs' "$tmpdir/fix.log" | grep -q .; then
		cat "$tmpdir/fix.log" >&2
		die "debugfs complained while setting the timestamps"
	fi
}

build_ext4() {
	write_mke2fs_profile
	# shellcheck disable=SC2046 # two numbers
	set -- $(measure_ext4)
	blocks=$1
	inodes=$(($2 + 11))
	inodes=$((inodes + inodes * headroom / 100 + 16))
	data=$((blocks * 4096 + inodes * 256))
	groups=$((data / (128 * MiB) + 1))
	bytes=$((data + data * headroom / 100 + MiB + groups * 4 * 4096 + 65536))
	tries=0
	while :; do
		bytes=$(((bytes + MiB - 1) / MiB * MiB))
		rm -f "$fs_img"
		truncate -s "$bytes" "$fs_img"
		if MKE2FS_CONFIG=$tmpdir/mke2fs.conf E2FSPROGS_FAKE_TIME=$epoch \
			mke2fs -q -F -t ext4 -N "$inodes" -U "$fs_uuid" \
			-E "hash_seed=$hash_seed,nodiscard" -d "$root" "$fs_img" >"$tmpdir/mkfs.log" 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ] || ! grep -q 'Could not allocate' "$tmpdir/mkfs.log"; then
			cat "$tmpdir/mkfs.log" >&2
			die "mke2fs failed ($bytes bytes, $inodes inodes)"
		fi
		bytes=$((bytes + bytes / 4 + MiB))
		inodes=$((inodes + inodes / 4))
	done
	E2FSPROGS_FAKE_TIME=$epoch normalise_ext4
	E2FSPROGS_FAKE_TIME=$epoch e2fsck -fn "$fs_img" >"$tmpdir/fsck.log" 2>&1 || {
		cat "$tmpdir/fsck.log" >&2
		die "e2fsck found errors in the new file system"
	}
	free=$(dumpe2fs -h "$fs_img" 2>/dev/null | awk '/^Free blocks:/ { print $3 * 4 }')
	fs_note="ext4, ${free} KiB free"
}

build_erofs() {
	# mkfs.erofs 1.5 clamps timestamps to SOURCE_DATE_EPOCH (in the environment) and stores
	# 4 KiB blocks (the page size). Inline tails would keep small files from DAX.
	inline=
	[ "$dax" = 0 ] || inline=-Enoinline_data
	# shellcheck disable=SC2086
	mkfs.erofs --quiet -U "$fs_uuid" $inline $zopt "$fs_img" "$root" >"$tmpdir/mkfs.log" 2>&1 || {
		cat "$tmpdir/mkfs.log" >&2
		die "mkfs.erofs failed"
	}
	fs_note="erofs${zopt:+ ($compress)}, $(stat -c %s "$fs_img") bytes"
}

"build_$fs"

# --- the disk ------------------------------------------------------------------------------------

fs_bytes=$(stat -c %s "$fs_img")
part_bytes=$(((fs_bytes + MiB - 1) / MiB * MiB))
part_sectors=$((part_bytes / 512))
if [ "$dax" = 1 ]; then
	dataoff=$((2 * MiB))
	part_start=$((3 * MiB))
	# A 2 MiB multiple: the kernel maps pmem up to a 2 MiB boundary (end_trunc stays 0).
	total=$(((part_start + part_bytes + 2 * MiB - 1) / (2 * MiB) * (2 * MiB)))
else
	dataoff=0
	part_start=$MiB
	total=$((part_start + part_bytes))
fi

mbr() { # FILE START_SECTOR: one Linux partition of part_sectors, a fixed disk identifier
	printf 'label: dos\nlabel-id: %s\nunit: sectors\n\nstart=%s, size=%s, type=83\n' \
		"$label_id" "$2" "$part_sectors" |
		sfdisk --quiet --no-reread --no-tell-kernel --wipe never "$1" >"$tmpdir/sfdisk.log" 2>&1 || {
		cat "$tmpdir/sfdisk.log" >&2
		die "sfdisk failed on $1"
	}
}

rm -f "$img_tmp"
truncate -s "$total" "$img_tmp"
mbr "$img_tmp" $((part_start / 512))
if [ "$dax" = 1 ]; then
	# MBR #2 is what the guest reads as the start of /dev/pmem0: the partition 1 MiB after it.
	truncate -s $((total - dataoff)) "$tmpdir/mbr2"
	mbr "$tmpdir/mbr2" $(((part_start - dataoff) / 512))
	dd if="$tmpdir/mbr2" of="$img_tmp" bs=512 count=1 seek=$((dataoff / 512)) conv=notrunc status=none
	"$dax_header" --data-offset "$dataoff" --align $((2 * MiB)) --uuid "$pfn_uuid" "$img_tmp" ||
		die "dax-header failed"
	"$dax_header" --print "$img_tmp" >"$tmpdir/dax.txt" || {
		cat "$tmpdir/dax.txt" >&2
		die "the DAX header does not verify"
	}
fi
dd if="$fs_img" of="$img_tmp" bs=65536 seek=$((part_start / 65536)) conv=notrunc,sparse status=none
mv -f "$img_tmp" "$out"

if [ "$dax" = 1 ]; then
	layout="MBR #1 at 0, DAX info block at 4 KiB, MBR #2 at 2 MiB, partition at 3 MiB"
else
	layout="MBR at 0, partition at 1 MiB"
fi
echo "make-disk: $out: $total bytes ($layout); partition $part_bytes bytes: $fs_note"
