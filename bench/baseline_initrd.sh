#!/bin/sh
# baseline_initrd.sh: the "bare boot" peer of the boot benchmarks. Writes OUT,
# INITRD with a second cpio appended (gzip, as the kernel has the initrd's
# decompressor) that adds /bench-init: a busybox shell script that mounts
# /proc, prints `bench-init: uptime=… mem_used_kib=…` and powers off. Boot it
# with `rdinit=/bench-init`; no agent runs.
#
#   sh bench/baseline_initrd.sh INITRD OUT
set -eu
[ $# -eq 2 ] || { echo "usage: baseline_initrd.sh INITRD OUT" >&2; exit 64; }
work=$(mktemp -d /tmp/kinglet-baseline-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/bench-init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
read -r up idle </proc/uptime
used=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo)
echo "bench-init: uptime=$up mem_used_kib=$used"
poweroff -f
INIT
chmod 755 "$work/bench-init"
(cd "$work" && echo bench-init | cpio -o -H newc --quiet | gzip -n) >"$work/extra.cpio"
cat "$1" "$work/extra.cpio" >"$2"
