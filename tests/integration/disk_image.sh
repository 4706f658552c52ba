#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rootfs-builder/make-disk.sh and dax-header, end to end. Prints TAP.
# For ext4 and erofs, with and without DAX: build a small tree twice (the
# second time from a copy, after reading every file) and compare sha256;
# check both partition tables (sfdisk --dump), the pfn info block
# (dax-header --print), and, as root, loop-mount the partition read-only and
# compare contents, modes, owners, symlinks, hard links and mtimes with the tree.
#   DAX_HEADER   the tool under test (default $BUILD/host/dax-header)
set -u
BUILD=${BUILD:-build}
DAX_HEADER=${DAX_HEADER:-$BUILD/host/dax-header}
MAKE_DISK=${MAKE_DISK:-rootfs-builder/make-disk.sh}
export DAX_HEADER
export SOURCE_DATE_EPOCH=1700000000
MiB=1048576
dir=$(mktemp -d /tmp/kinglet-disk-XXXXXX)
mnt=$dir/mnt
n=0
failed=0
mounted=""

cleanup() {
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	failed=$((failed + 1))
	[ -s "$dir/out" ] && sed 's/^/#   /' "$dir/out"
	return 0
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { # NAME COMMAND...: ok when COMMAND succeeds (its output in $dir/out)
	name=$1
	shift
	if "$@" >"$dir/out" 2>&1; then ok "$name"; else not_ok "$name"; fi
}
expect() { # NAME STATUS PATTERN COMMAND...: ok when COMMAND exits with STATUS and says PATTERN
	name=$1 want=$2 pattern=$3
	shift 3
	"$@" >"$dir/out" 2>&1
	rc=$?
	if [ $rc = "$want" ] && grep -q -- "$pattern" "$dir/out"; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want and \`$pattern')"
	fi
}

for t in mke2fs debugfs mkfs.erofs sfdisk; do
	if ! command -v $t >/dev/null 2>&1; then
		skip "$t is not installed (make deps)"
		echo "1..$n"
		exit 0
	fi
done
if [ ! -x "$DAX_HEADER" ]; then
	n=1
	echo "not ok 1 - dax-header not built at $DAX_HEADER (make dax-header)"
	echo "1..1"
	exit 1
fi
root=0
[ "$(id -u)" = 0 ] && root=1

# --- the tree: every kind of entry, odd modes and owners, a directory big enough for an htree,
# a file newer than SOURCE_DATE_EPOCH (clamped in the image).
src=$dir/src
mkdir -p "$src/etc" "$src/bin" "$src/usr/share/many" "$src/home/app" "$src/empty"
printf '127.0.0.1 localhost\n' >"$src/etc/hosts"
printf 'root:*:19000:0:99999:7:::\n' >"$src/etc/shadow"
chmod 600 "$src/etc/shadow"
printf '#!/bin/sh\necho tool\n' >"$src/bin/tool"
chmod 4755 "$src/bin/tool"
: >"$src/etc/empty-file"
printf 'spaces\n' >"$src/etc/a file with spaces"
i=0
while [ $i -lt 1200 ]; do echo "line $i of the data file, padding it out to a few pages"; i=$((i + 1)); done \
	>"$src/usr/share/data.txt"
head -c $((700 * 1024)) /dev/zero | tr '\0' 'k' >"$src/usr/share/blob"
i=0
while [ $i -lt 300 ]; do echo $i >"$src/usr/share/many/entry-with-a-longish-name-$i"; i=$((i + 1)); done
ln "$src/bin/tool" "$src/bin/tool-hardlink"
ln -s ../etc/hosts "$src/bin/rel-link"
ln -s /etc/hosts "$src/bin/abs-link"
ln -s /nowhere/at/all "$src/bin/dangling"
ln -s /usr/share/a/very/long/target/path/that/does/not/fit/in/the/inode/itself/at/all "$src/bin/long-link"
printf 'app\n' >"$src/home/app/.profile"
chmod 700 "$src/home/app"
chmod 1777 "$src/empty"
if [ $root = 1 ]; then
	mkfifo "$src/etc/fifo"
	mknod "$src/etc/null" c 1 3
	chown 0:42 "$src/etc/shadow"
	chown -R 1000:1000 "$src/home/app"
	chown -h 65534:65534 "$src/bin/dangling"
fi
find "$src" -exec touch -h -d @1600000000 {} +
touch -h -d @1650000000 "$src/etc/hosts" "$src/bin/rel-link"
touch -d @1800000000 "$src/usr/share/data.txt" # newer than SOURCE_DATE_EPOCH
touch -d @1600000000 "$src/usr/share/many" "$src/usr/share"

# What the image must show: the tree, with mtimes clamped to SOURCE_DATE_EPOCH. Directories'
# sizes and link counts depend on the file system; everything else must match.
listing() { # DIR
	(cd "$1" && find . ! -name lost+found ! -path './lost+found/*' \
		-printf '%p|%y|%m|%U|%G|%Ts|%l|' -a \( -type d -printf '\n' -o -printf '%s|%n\n' \)) |
		awk -F'|' -v e="$SOURCE_DATE_EPOCH" -v OFS='|' '{ if ($6 > e) $6 = e; print }' | LC_ALL=C sort
}
listing "$src" >"$dir/want"

same_files() { # DIR: every regular file of the tree has the same bytes in DIR
	(cd "$src" && find . -type f -print) | while IFS= read -r f; do
		cmp "$src/$f" "$1/$f" || exit 1
	done
}

# --- usage
check "make-disk --help" sh "$MAKE_DISK" --help
expect "make-disk refuses --fs xfs" 64 "ext4 or erofs" sh "$MAKE_DISK" --fs xfs "$src" "$dir/x.img"
expect "make-disk: no such tree" 66 "not a directory" sh "$MAKE_DISK" "$dir/none" "$dir/x.img"

for fs in ext4 erofs; do
	for dax in 1 0; do
		tag="$fs dax=$dax"
		img=$dir/$fs-$dax.img
		if ! sh "$MAKE_DISK" --fs $fs --dax $dax "$src" "$img" >"$dir/out" 2>&1; then
			not_ok "$tag: build"
			continue
		fi
		ok "$tag: build ($(stat -c %s "$img") bytes)"

		# Reproducible: again from a copy (new inode numbers, ctimes, atimes, directory order),
		# after every file was read.
		rm -rf "$dir/copy"
		cp -a "$src" "$dir/copy"
		find "$src" -type f -exec cat {} + >/dev/null
		check "$tag: rebuild from a copy" sh "$MAKE_DISK" --fs $fs --dax $dax "$dir/copy" "$img.2"
		a=$(sha256sum <"$img" | cut -c1-64)
		b=$(sha256sum <"$img.2" 2>/dev/null | cut -c1-64)
		if [ "$a" = "$b" ]; then ok "$tag: identical sha256 $a"; else not_ok "$tag: sha256 $a vs $b"; fi
		rm -f "$img.2"

		# The partition tables.
		total=$(stat -c %s "$img")
		sfdisk --dump "$img" >"$dir/mbr1" 2>"$dir/out"
		start=$(sed -n 's/.*: start= *\([0-9]*\), size= *\([0-9]*\), type=83$/\1/p' "$dir/mbr1")
		size=$(sed -n 's/.*: start= *\([0-9]*\), size= *\([0-9]*\), type=83$/\2/p' "$dir/mbr1")
		count=$(grep -c 'start=' "$dir/mbr1")
		if [ $dax = 1 ]; then want_start=6144; else want_start=2048; fi
		if [ "$count" = 1 ] && [ "$start" = $want_start ] && [ $((size % 2048)) = 0 ] &&
			grep -q '^label: dos$' "$dir/mbr1" && [ $(((start + size) * 512)) -le "$total" ]; then
			ok "$tag: MBR #1: one Linux partition at sector $start, $size sectors"
		else
			cp "$dir/mbr1" "$dir/out"
			not_ok "$tag: MBR #1 (want one partition at sector $want_start)"
		fi
		if [ $dax = 1 ]; then
			dd if="$img" of="$dir/tail.img" bs=$MiB skip=2 status=none
			sfdisk --dump "$dir/tail.img" >"$dir/mbr2" 2>"$dir/out"
			if grep -q "start= *2048, size= *$size, type=83\$" "$dir/mbr2" &&
				[ "$(grep '^label-id' "$dir/mbr1")" = "$(grep '^label-id' "$dir/mbr2")" ] &&
				[ $((total % (2 * MiB))) = 0 ]; then
				ok "$tag: MBR #2 at 2 MiB: the same partition at sector 2048 of pmem0"
			else
				cat "$dir/mbr1" "$dir/mbr2" >"$dir/out"
				not_ok "$tag: MBR #2 at 2 MiB"
			fi
			rm -f "$dir/tail.img"
			"$DAX_HEADER" --print "$img" >"$dir/out" 2>&1
			rc=$?
			if [ $rc = 0 ] && grep -q '^valid:' "$dir/out" && grep -q '^dataoff: 2097152$' "$dir/out" &&
				grep -q '^align: 2097152' "$dir/out" && grep -q '^mode: ram (1)$' "$dir/out" &&
				grep -q "^npfns: $(((total - 2 * MiB) / 4096))\$" "$dir/out"; then
				ok "$tag: dax-header --print verifies the pfn info block"
			else
				not_ok "$tag: dax-header --print (exit $rc)"
			fi
		else
			"$DAX_HEADER" --print "$img" >"$dir/out" 2>&1
			rc=$?
			if [ $rc = 1 ] && grep -q 'no NVDIMM_PFN_INFO signature' "$dir/out"; then
				ok "$tag: no pfn info block"
			else
				not_ok "$tag: dax-header --print on a plain disk (exit $rc)"
			fi
		fi

		if [ $fs = ext4 ]; then
			dd if="$img" of="$dir/part.img" bs=512 skip="$start" count="$size" status=none
			TZ=UTC dumpe2fs -h "$dir/part.img" >"$dir/sb" 2>/dev/null
			if grep -q '^Block size: *4096$' "$dir/sb" && grep -q '^Reserved block count: *0$' "$dir/sb" &&
				! grep -q 'has_journal' "$dir/sb" && ! grep -q 'orphan_file' "$dir/sb" &&
				grep -q '^Filesystem created: *Tue Nov 14 22:13:20 2023$' "$dir/sb"; then
				ok "$tag: 4 KiB blocks, no journal, nothing reserved, created at SOURCE_DATE_EPOCH"
			else
				cp "$dir/sb" "$dir/out"
				not_ok "$tag: ext4 superblock"
			fi
			check "$tag: e2fsck finds nothing" e2fsck -fn "$dir/part.img"
			rm -f "$dir/part.img"
		fi

		if [ $root = 0 ]; then
			skip "$tag: mount and compare (needs root)"
			continue
		fi
		mkdir -p "$mnt"
		if ! mount -t $fs -o ro,loop,offset=$((start * 512)),sizelimit=$((size * 512)) "$img" "$mnt" \
			>"$dir/out" 2>&1; then
			not_ok "$tag: loop-mount the partition read-only"
			continue
		fi
		mounted=$mnt
		listing "$mnt" >"$dir/got"
		if diff "$dir/want" "$dir/got" >"$dir/out"; then
			ok "$tag: names, types, modes, owners, mtimes, symlinks, sizes, links as in the tree"
		else
			not_ok "$tag: the mounted tree differs (- tree, + image)"
		fi
		check "$tag: every file's contents" same_files "$mnt"
		umount "$mnt"
		mounted=""
	done
done

# The epoch matters (it is in the timestamps and identifiers).
check "another SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=1700000001 sh "$MAKE_DISK" --fs ext4 "$src" "$dir/e.img"
if [ -f "$dir/e.img" ] && cmp -s "$dir/e.img" "$dir/ext4-1.img"; then
	not_ok "another SOURCE_DATE_EPOCH gives another image"
else
	ok "another SOURCE_DATE_EPOCH gives another image"
fi

# The identifiers tie each name to its attributes: two trees that differ only in which of two
# files has which mode get different UUIDs.
swap=$dir/swap
mkdir -p "$swap/a" "$swap/b"
for t in a b; do printf 'x\n' >"$swap/$t/one"; printf 'y\n' >"$swap/$t/two"; done
chmod 600 "$swap/a/one"; chmod 644 "$swap/a/two"
chmod 644 "$swap/b/one"; chmod 600 "$swap/b/two"
touch -d @1600000000 "$swap/a/one" "$swap/a/two" "$swap/b/one" "$swap/b/two" "$swap/a" "$swap/b"
pfn_uuid() { "$DAX_HEADER" --print "$1" | sed -n 's/^uuid: //p'; }
if sh "$MAKE_DISK" --fs erofs "$swap/a" "$dir/swap-a.img" >/dev/null 2>&1 &&
	sh "$MAKE_DISK" --fs erofs "$swap/b" "$dir/swap-b.img" >/dev/null 2>&1 &&
	[ -n "$(pfn_uuid "$dir/swap-a.img")" ] &&
	[ "$(pfn_uuid "$dir/swap-a.img")" != "$(pfn_uuid "$dir/swap-b.img")" ]; then
	ok "trees differing only in which file has which mode get different identifiers"
else
	not_ok "trees differing only in which file has which mode get different identifiers"
fi
expect "make-disk: an option without its value is a usage error" 64 "--fs needs a value" \
	sh "$MAKE_DISK" --fs

# dax-header refuses to overwrite what may be file system data at 4 KiB.
truncate -s 8M "$dir/raw.img"
mke2fs -q -F -t ext4 -b 4096 "$dir/raw.img" >/dev/null 2>&1
cp "$dir/raw.img" "$dir/raw.orig"
"$DAX_HEADER" "$dir/raw.img" >"$dir/out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q -- '--force' "$dir/out" && cmp -s "$dir/raw.img" "$dir/raw.orig"; then
	ok "dax-header leaves a file system at offset 0 alone"
else
	not_ok "dax-header on a file system at offset 0 (exit $rc)"
fi
truncate -s $((64 * MiB + 512)) "$dir/odd.img"
expect "dax-header refuses a size that is not whole pages" 1 "multiple of 4096" "$DAX_HEADER" "$dir/odd.img"
truncate -s $((64 * MiB)) "$dir/small.img"
expect "dax-header refuses a data offset off the alignment" 1 "multiple of the alignment" \
	"$DAX_HEADER" --data-offset 3M "$dir/small.img"
expect "dax-header: a bad UUID is a usage error" 64 "not a UUID" "$DAX_HEADER" --uuid xyz "$dir/small.img"
write_and_print() { "$DAX_HEADER" "$@" && "$DAX_HEADER" --print "$dir/small.img"; }
expect "dax-header --uuid is written" 0 "^uuid: 0123abcd-0000-4000-8000-00000000beef$" \
	write_and_print --uuid 0123ABCD-0000-4000-8000-00000000BEEF "$dir/small.img"

echo "1..$n"
[ $failed -eq 0 ]
