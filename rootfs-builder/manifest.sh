#!/bin/sh
# manifest.sh DIR DISTRO: DIR/manifest.json describing what DIR holds: the
# kernel (vmlinuz, its config hash), initrd.img, every *.img disk image, the
# root tree (bytes, entries), the agent and the packages, with sizes and
# sha256 sums. Packages come from DIR/packages.txt ("name version" lines),
# written by whoever built the base tree.
set -eu
[ $# -eq 2 ] || { echo "usage: manifest.sh DIR DISTRO" >&2; exit 64; }
dir=$1
distro=$2
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}

json_file() { # KEY PATH [EXTRA JSON MEMBERS]
	printf '  "%s": {"file": "%s", "bytes": %s, "sha256": "%s"%s},\n' "$1" "$(basename "$2")" \
		"$(stat -c %s "$2")" "$(sha256sum "$2" | cut -d' ' -f1)" "${3:-}"
}

out=$dir/manifest.json.tmp.$$ # unique: make -j initrd image writes it twice at once
{
	echo "{"
	printf '  "distro": "%s",\n  "source_date_epoch": %s,\n' "$distro" "$epoch"
	if [ -f "$dir/vmlinuz" ]; then
		extra=""
		[ -f "$dir/kernel.config" ] && extra=", \"config_sha256\": \"$(sha256sum "$dir/kernel.config" | cut -d' ' -f1)\""
		json_file kernel "$dir/vmlinuz" "$extra"
	fi
	[ -f "$dir/initrd.img" ] && json_file initrd "$dir/initrd.img"
	echo '  "images": ['
	first=1
	for img in "$dir"/*.img; do
		[ -f "$img" ] || continue
		[ "$(basename "$img")" = initrd.img ] && continue
		name=$(basename "$img" .img)
		fs=ext4
		case $name in *erofs*) fs=erofs ;; esac
		dax=false
		case $name in *-dax) dax=true ;; esac
		[ $first -eq 1 ] || echo ","
		first=0
		printf '    {"file": "%s", "fs": "%s", "dax": %s, "bytes": %s, "sha256": "%s"}' "$(basename "$img")" "$fs" \
			"$dax" "$(stat -c %s "$img")" "$(sha256sum "$img" | cut -d' ' -f1)"
	done
	[ $first -eq 1 ] || echo
	echo '  ],'
	if [ -d "$dir/rootfs" ]; then
		printf '  "rootfs": {"bytes": %s, "entries": %s},\n' "$(du -sb "$dir/rootfs" | cut -f1)" \
			"$(find "$dir/rootfs" | wc -l)"
		agent=$dir/rootfs/usr/bin/kinglet-agent
		[ -f "$agent" ] && json_file agent "$agent"
	fi
	echo '  "packages": ['
	if [ -f "$dir/packages.txt" ]; then
		LC_ALL=C sort "$dir/packages.txt" | awk '{ printf "%s    {\"name\": \"%s\", \"version\": \"%s\"}", (NR > 1 ? ",\n" : ""), $1, $2 } END { if (NR) print "" }'
	fi
	echo '  ]'
	echo "}"
} >"$out"
mv "$out" "$dir/manifest.json"
