#!/bin/sh
# vm-smoke.sh: boot the guests under QEMU the three ways a VMM can hand a root
# over — initrd, virtio-blk disk, pmem with DAX — and check that the agent
# inside answers, is PID 1 and runs a container. Prints TAP.
#
# The busybox guest is required (make test builds it); other guests are booted
# when their images exist: busybox-erofs-dax.img, debian/debian-ext4-dax.img.
#
#   IMAGES   the images directory (default build/images)
#   KINGLET_CTL, KINGLET_KVM_CACHE   see boot.sh
set -u
IMAGES=${IMAGES:-build/images}
n=0
failed=0

bb=$IMAGES/busybox
for f in vmlinuz initrd.img busybox-ext4-dax.img; do
	if [ ! -f "$bb/$f" ]; then
		echo "not ok 1 - the busybox guest is built (no $bb/$f: make initrd image)"
		echo "1..1"
		exit 1
	fi
done

# check NAME PATTERN... -- BOOT.SH ARGS...: boot; the output must match every PATTERN
check() {
	name=$1
	shift
	set -f
	patterns=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		patterns="$patterns $(printf '%s' "$1" | base64 -w0)"
		shift
	done
	shift
	n=$((n + 1))
	out=$(sh tests/vm/boot.sh "$@" 2>&1)
	rc=$?
	missing=""
	for p in $patterns; do
		p=$(printf '%s' "$p" | base64 -d)
		printf '%s\n' "$out" | grep -q -- "$p" || missing="$missing '$p'"
	done
	set +f
	if [ $rc -eq 0 ] && [ -z "$missing" ]; then
		echo "ok $n - $name ($(printf '%s\n' "$out" | head -n 1))"
	else
		echo "not ok $n - $name (exit $rc${missing:+; nothing matched$missing})"
		printf '%s\n' "$out" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# Run in a container whose root is the guest's own /: the root file system's
# device by name (mountinfo says /dev/root) and its mount options.
root_device='while read -r id parent dev root mnt rest; do
	[ "$mnt" = / ] || continue
	grep DEVNAME= "/sys/dev/block/$dev/uevent"; echo "root options: $rest"
done </proc/self/mountinfo'

check "initrd: the agent answers and is PID 1 (init_daemon)" '"init_daemon":true' -- \
	--kernel "$bb/vmlinuz" --initrd "$bb/initrd.img" --ctl "--json guest-details"
# A container's mount namespace starts as a copy of the agent's: the mounts
# PID 1 made come first in its mountinfo, before the container's own.
check "initrd: PID 1 mounted /proc, /sys, cgroup2, /dev, /dev/pts, /dev/shm, /run; a container runs in its own cgroup" \
	'hello from the guest' '^0::/.' '^/proc proc$' '^/sys sysfs$' '^/sys/fs/cgroup cgroup2$' \
	'^/dev devtmpfs$' '^/dev/pts devpts$' '^/dev/shm shm$' '^/run tmpfs$' -- \
	--kernel "$bb/vmlinuz" --initrd "$bb/initrd.img" \
	--run 'echo hello from the guest; cat /proc/self/cgroup; cut -d" " -f5,9 /proc/self/mountinfo'
check "virtio-blk ext4 disk: the root is /dev/vda1" 'DEVNAME=vda1' 'root options: .* ext4 ' -- \
	--kernel "$bb/vmlinuz" --disk "$bb/busybox-ext4-dax.img" --run "$root_device"
check "pmem ext4 disk: the root is /dev/pmem0p1, mounted with DAX" 'DEVNAME=pmem0p1' \
	'root options: .* ext4 .*dax' -- \
	--kernel "$bb/vmlinuz" --disk "$bb/busybox-ext4-dax.img" --pmem --run "$root_device"
if [ -f "$bb/busybox-erofs-dax.img" ]; then
	check "pmem erofs disk: the root is /dev/pmem0p1, mounted with DAX" 'DEVNAME=pmem0p1' \
		'root options: .* erofs .*dax' -- \
		--kernel "$bb/vmlinuz" --disk "$bb/busybox-erofs-dax.img" --fs erofs --pmem --run "$root_device"
fi

deb=$IMAGES/debian
if [ -f "$deb/debian-ext4-dax.img" ] && [ -f "$deb/vmlinuz" ]; then
	check "debian virtio-blk: the agent is PID 1 and a container sees Debian" '"init_daemon":true' \
		'^ID=debian' -- --kernel "$deb/vmlinuz" --disk "$deb/debian-ext4-dax.img" \
		--ctl "--json guest-details" --run 'cat /etc/os-release'
	check "debian pmem: the root is /dev/pmem0p1, mounted with DAX" 'DEVNAME=pmem0p1' \
		'root options: .* ext4 .*dax' -- \
		--kernel "$deb/vmlinuz" --disk "$deb/debian-ext4-dax.img" --pmem --run "$root_device"
else
	n=$((n + 1))
	echo "ok $n - debian guest # SKIP no $deb/debian-ext4-dax.img (make image DISTRO=debian)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
