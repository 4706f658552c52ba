#!/bin/sh
# footprint.sh: the guest images side by side — kernel, initrd and image
# sizes, packages, boot to agent ready, guest memory used and page cache with
# the agent ready — each guest booted under QEMU in a 128 MiB VM. Prints a
# Markdown table (and writes it to $OUT).
#
#   IMAGES   images directory (default build/images)
#   OUT      where the table goes too (default build/bench/footprint.md)
#   BOOTS    boots per image; the table shows the median (default 3)
set -u
IMAGES=${IMAGES:-build/images}
OUT=${OUT:-build/bench/footprint.md}
BOOTS=${BOOTS:-3}
MEMORY=128
KERNEL_TARGET_KIB=3072
INITRD_TARGET_KIB=1536
DEBIAN_TARGET_KIB=65536
MEM_TARGET_KIB=10240

kib() { echo $((($(stat -c %s "$1") + 1023) / 1024)); }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
met() { if [ "$1" = - ]; then echo -; elif [ "$1" -le "$2" ]; then echo yes; else echo NO; fi; }

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
# measure LABEL SIZE_KIB SIZE_TARGET PACKAGES BOOT-ARGS...: boots it BOOTS times
measure() {
	label=$1 size=$2 size_target=$3 pkgs=$4
	shift 4
	wall="" up="" used="" cached="" accel=""
	i=0
	while [ $i -lt "$BOOTS" ]; do
		line=$(sh tests/vm/boot.sh --memory $MEMORY "$@" 2>/dev/null | head -n 1)
		i=$((i + 1))
		case $line in ready_ms=*) ;; *) continue ;; esac
		for kv in $line; do
			case $kv in
			ready_ms=*) wall="$wall ${kv#*=}" ;;
			uptime_ms=*) up="$up ${kv#*=}" ;;
			mem_used_kib=*) used="$used ${kv#*=}" ;;
			mem_cached_kib=*) cached="$cached ${kv#*=}" ;;
			accel=*) accel=${kv#*=} ;;
			esac
		done
	done
	w=$(echo "$wall" | median) u=$(echo "$up" | median) m=$(echo "$used" | median) c=$(echo "$cached" | median)
	mem_target=-
	case $label in *initrd*) mem_target=$MEM_TARGET_KIB ;; esac
	printf '| %s | %s KiB | %s | %s | %s ms | %s ms | %s KiB | %s | %s KiB | %s |\n' "$label" "$size" \
		"$(if [ "$size_target" = - ]; then echo -; else echo "<= $size_target KiB: $(met "$size" "$size_target")"; fi)" \
		"$pkgs" "$w" "$u" "$m" \
		"$(if [ "$mem_target" = - ]; then echo -; else echo "<= $mem_target KiB: $(met "$m" "$mem_target")"; fi)" \
		"$c" "${accel:-?}" >>"$rows"
}

kernel=$IMAGES/kernel/bzImage
[ -f "$kernel" ] || { echo "footprint: no kernel in $IMAGES/kernel (make kernel)" >&2; exit 1; }
for d in "$IMAGES"/*/; do
	distro=$(basename "$d")
	[ -f "$d/vmlinuz" ] || continue
	pkgs=$(wc -l <"$d/packages.txt" 2>/dev/null || echo -)
	target=-
	[ "$distro" = busybox ] && target=$INITRD_TARGET_KIB
	[ -f "$d/initrd.img" ] && measure "$distro initrd" "$(kib "$d/initrd.img")" "$target" "$pkgs" \
		--kernel "$d/vmlinuz" --initrd "$d/initrd.img"
	for img in "$d"/*.img; do
		[ -f "$img" ] || continue
		case $(basename "$img") in initrd.img) continue ;; esac
		fs=ext4
		case $img in *erofs*) fs=erofs ;; esac
		target=-
		[ "$distro" = debian ] && target=$DEBIAN_TARGET_KIB
		measure "$(basename "$img" .img) virtio-blk" "$(kib "$img")" "$target" "$pkgs" \
			--kernel "$d/vmlinuz" --disk "$img" --fs "$fs"
		case $img in *-dax.img)
			measure "$(basename "$img" .img) pmem+DAX" "$(kib "$img")" "$target" "$pkgs" \
				--kernel "$d/vmlinuz" --disk "$img" --fs "$fs" --pmem ;;
		esac
	done
done

mkdir -p "$(dirname "$OUT")"
{
	echo "## Guest footprint"
	echo
	echo "Kernel: $(kib "$kernel") KiB (target <= $KERNEL_TARGET_KIB KiB: $(met "$(kib "$kernel")" $KERNEL_TARGET_KIB))."
	echo "Each guest booted $BOOTS times in a ${MEMORY} MiB VM (QEMU q35, 1 vCPU); medians. \"Boot to ready\""
	echo "is wall time from starting QEMU to the first answered Check over virtio-serial; \"guest uptime\" is"
	echo "the guest's own clock when the agent said ready; memory is MemTotal - MemAvailable and Cached"
	echo "from the guest's /proc/meminfo at that moment (the agent logs them with \"ready\")."
	echo
	echo "| Guest | Size | Size target | Packages | Boot to ready | Guest uptime at ready | Memory used | Memory target | Page cache | Accel |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	cat "$rows"
	echo
	echo "Peers, for scale (published figures, not measured here: Kata's guest assets are neither packaged"
	echo "for Debian nor reachable from these machines; sources in ../shared/reference/anchors.md):"
	echo
	echo "| Peer guest | Size | Guest memory used |"
	echo "|---|---|---|"
	echo "| Kata Alpine initrd (agent as init) | 8.8 MB (2018) – 14 MB (Kata 1.12) | - |"
	echo "| Kata images: Clear Linux / Debian / Fedora / Ubuntu | 128 MB / 128 MB / 256 MB / 256 MB | - |"
	echo "| Kata, Go agent, 256 MB VM running busybox | - | 55 MB (excluding buffers/cache) |"
	echo "| runV + hyperstart (C agent), same VM | - | 13 MB (excluding buffers/cache) |"
} | tee "$OUT"
