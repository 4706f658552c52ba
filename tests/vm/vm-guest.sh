#!/bin/sh
# vm-guest.sh: the agent as PID 1 of a VM and the guest services it gives Kata,
# seen from inside a QEMU guest (TCG here). Three boots of the busybox initrd:
#
#   1. two virtio-blk disks (root bus slot 0a; behind a bridge, 09/01), a
#      virtio-scsi disk (0:0), a 9p share and an NVDIMM: PID 1's mounts, console, hostname
#      and file limit; orphans of an exec reaped; containers whose root is each
#      disk (blk storage by PCI path, scsi storage by SCSI address), the 9p
#      share (9p storage by mount tag) and the
#      NVDIMM (nvdimm storage, DAX); a disk passed into a container as a
#      device; DestroySandbox powers off.
#   2. agent.server_addr=bogus://x: a logged power-off, not a kernel panic.
#   3. systemd.unified_cgroup_hierarchy=0 and agent.debug_console: cgroup v1
#      mounts, a container in its own v1 groups, the debug shell's PATH.
#
# Prints TAP. Each boot's script prints `== STEP` before and `-- STEP rc=N`
# after every kinglet-ctl command, and each test looks only at its steps.
#
#   IMAGES       the images directory (default build/images)
#   DAX_HEADER   the dax-header tool (default build/host/dax-header); without
#                it the NVDIMM test is skipped
#   VM_GUEST_OUT when set, a directory that gets each boot's whole output
#                (one.out, two.out, three.out)
#   KINGLET_CTL, KINGLET_KVM_CACHE   see boot.sh
set -u
IMAGES=${IMAGES:-build/images}
DAX_HEADER=${DAX_HEADER:-build/host/dax-header}
bb=$IMAGES/busybox
n=0
failed=0

for f in vmlinuz initrd.img rootfs/bin/busybox; do
	if [ ! -e "$bb/$f" ]; then
		echo "not ok 1 - the busybox guest is built (no $bb/$f: make initrd)"
		echo "1..1"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/kinglet-vmguest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
token="$$-$(date +%s)"

# --- disks: the busybox tree with a marker naming the disk, ext4 without a
# partition table (mkfs.ext4 -d needs no root and no loop device) ---
cp -a "$bb/rootfs" "$tmp/tree"
disk() { # NAME FILE [MKFS ARGS...]
	echo "disk $1 $token" >"$tmp/tree/kinglet-disk-marker"
	name=$1 file=$2
	shift 2
	mkfs.ext4 -q -F -d "$tmp/tree" -b 4096 -O ^has_journal -L "$name" "$@" "$file" 8M >"$tmp/mkfs.log" 2>&1 ||
		{ cat "$tmp/mkfs.log" >&2; return 1; }
}
disk root-bus "$tmp/blk0a.img" && disk bridged "$tmp/blk0901.img" && disk scsi "$tmp/scsi0.img" || exit 1
# The 9p share: the same tree, its own marker.
cp -a "$tmp/tree" "$tmp/share9p" && echo "disk 9p $token" >"$tmp/share9p/kinglet-disk-marker" || exit 1
# NVDIMM: the pfn info block in the first 2 MiB makes /dev/pmem0 an fsdax
# namespace starting at 2 MiB, where the file system is.
pmem=""
if [ -x "$DAX_HEADER" ]; then
	truncate -s 10M "$tmp/pmem.img" && disk pmem "$tmp/pmem.img" -E offset=2097152 &&
		"$DAX_HEADER" "$tmp/pmem.img" >/dev/null && pmem=$tmp/pmem.img
fi

# --- OCI bundles (read on the host by kinglet-ctl) for containers that see the
# guest as PID 1 does: root "/", only a mount namespace of their own ---
json_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print }'; }
bundle() { # NAME SHELL-COMMAND
	mkdir -p "$tmp/bundles/$1"
	cat >"$tmp/bundles/$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": { "user": { "uid": 0, "gid": 0 }, "cwd": "/",
    "args": ["sh", "-c", "$(json_string "$2")"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] },
  "root": { "path": "/" },
  "linux": { "namespaces": [ { "type": "mount" } ] }
}
EOF
}
# PID 1's mounts (mount point and type), its session and terminal, its limit.
bundle pid1 'awk '\''{ for (i = 7; i <= NF; i++) if ($i == "-") { print "mount:", $5, $(i + 1); break } }'\'' /proc/1/mountinfo
echo "ptmx: $(readlink /dev/ptmx)"
read -r pid comm state ppid pgrp session tty rest </proc/1/stat
echo "pid1: session=$session tty_nr=$tty"
echo "nofile: $(awk '\''/^Max open files/ { print $4, $5 }'\'' /proc/1/limits) nr_open=$(cat /proc/sys/fs/nr_open)"
echo "hostname: $(hostname)"'
bundle hostname 'echo "hostname: $(hostname)"'
bundle sleeper 'exec sleep 120'
# The debug shell is PID 1's child: its environment is the one PID 1 set up.
bundle debugshell 'for s in /proc/[0-9]*/stat; do
	read -r pid comm state ppid rest <"$s"
	[ "$ppid" = 1 ] && [ "$comm" = "(sh)" ] && [ "$pid" != $$ ] && tr "\0" "\n" <"/proc/$pid/environ" | sed "s/^/debug shell env: /"
done
echo "debug shell scan done"'
# Orphans of an exec: the subshell exits, its `sleep` goes to PID 1, which
# must reap it when it exits; then no zombie may be left whose parent is 1.
# shellcheck disable=SC2089 # a shell command for the guest, quotes and all
orphan='(sleep 2 & echo $! >/tmp/orphan)
pid=$(cat /tmp/orphan)
read -r p comm state ppid rest </proc/$pid/stat
echo "orphan: pid=$pid parent=$ppid"
sleep 3
if [ -e /proc/$pid ]; then echo "orphan left: $(cat /proc/$pid/stat)"; else echo "orphan: reaped"; fi
for s in /proc/[0-9]*/stat; do
	read -r p comm state ppid rest <"$s" 2>/dev/null || continue
	[ "$state" = Z ] && [ "$ppid" = 1 ] && echo "zombie: $p $comm"
done
echo "zombie scan done"'
# shellcheck disable=SC2090
export B="$tmp/bundles" orphan

KC=/run/kata-containers
# shellcheck disable=SC2089
root_mount='cat /kinglet-disk-marker; awk '\''$2 == "/" { print "root:", $1, $3, $4 }'\'' /proc/mounts'
# The node's numbers must be a guest virtio disk's (not the 0:0 kinglet-ctl put in
# the spec), and the disk is read through it: its ext4 label, 16 bytes at 0x478.
# shellcheck disable=SC2089
device_probe='nums=$(ls -l /dev/xda | awk '\''{ sub(",", "", $5); print $5 ":" $6 }'\'')
echo "node: $(ls -l /dev/xda | cut -c1) $nums"
cat /sys/block/vd*/dev | grep -qx "$nums" && echo "numbers: those of a guest vd disk"
echo "label: $(dd if=/dev/xda bs=1 skip=1144 count=16 2>/dev/null | tr -d "\\000")"'
# shellcheck disable=SC2090
export root_mount device_probe
cat >"$tmp/boot1.sh" <<EOF
step() { name=\$1; shift; echo "== \$name"; "\$@" 2>&1; echo "-- \$name rc=\$?"; }
step pid1 \$CTL run --bundle "\$B/pid1" -
step orphan-start \$CTL run -d --bundle "\$B/sleeper" reaper
step orphan \$CTL exec reaper sh -c "\$orphan"
step orphan-rm \$CTL rm reaper
step sandbox \$CTL create-sandbox --id vmguest --hostname kinglet-vm
step hostname \$CTL run --bundle "\$B/hostname" -
step blk-0a \$CTL run --storage driver=blk,source=0a,fstype=ext4,mount=$KC/shared/containers/blk0a/rootfs,option=ro \\
	--rootfs $KC/shared/containers/blk0a/rootfs - sh -c "\$root_mount"
step blk-0901 \$CTL run --storage driver=blk,source=09/01,fstype=ext4,mount=$KC/shared/containers/blk0901/rootfs,option=ro \\
	--rootfs $KC/shared/containers/blk0901/rootfs - sh -c "\$root_mount"
step scsi \$CTL run --storage driver=scsi,source=0:0,fstype=ext4,mount=$KC/shared/containers/scsi00/rootfs,option=ro \\
	--rootfs $KC/shared/containers/scsi00/rootfs - sh -c "\$root_mount"
step p9 \$CTL run --storage driver=9p,source=kinglet9p,fstype=9p,mount=$KC/shared/containers/p9/rootfs \\
	--rootfs $KC/shared/containers/p9/rootfs - sh -c "\$root_mount"
step device \$CTL run --device type=blk,id=0a,container-path=/dev/xda --rootfs / - sh -c "\$device_probe"
EOF
[ -z "$pmem" ] || cat >>"$tmp/boot1.sh" <<EOF
step nvdimm \$CTL run --storage driver=nvdimm,source=/dev/pmem0,fstype=ext4,mount=$KC/sandbox/storage/pmem0 \\
	--rootfs $KC/sandbox/storage/pmem0 - sh -c "\$root_mount"
EOF
echo 'step destroy $CTL destroy-sandbox' >>"$tmp/boot1.sh"

cat >"$tmp/boot3.sh" <<'EOF'
step() { name=$1; shift; echo "== $name"; "$@" 2>&1; echo "-- $name rc=$?"; }
step pid1 $CTL run --bundle "$B/pid1" -
step cgroup $CTL run --rootfs / - cat /proc/self/cgroup
step debugshell $CTL run --bundle "$B/debugshell" -
EOF

# boot NAME BOOT.SH-ARGS...: one boot; its output in $tmp/NAME.out
boot() {
	name=$1
	shift
	sh tests/vm/boot.sh "$@" >"$tmp/$name.out" 2>&1
	echo "boot.sh exit $?" >>"$tmp/$name.out"
	[ -z "${VM_GUEST_OUT:-}" ] || { mkdir -p "$VM_GUEST_OUT" && cp "$tmp/$name.out" "$VM_GUEST_OUT/"; }
}

# check BOOT STEP|- NAME PATTERN...: the output of STEP (all of the boot's
# output for -) must match every PATTERN, and match none of the patterns
# written !PATTERN; a STEP must have exited 0.
check() {
	out=$tmp/$1.out step=$2 name=$3
	shift 3
	n=$((n + 1))
	if [ "$step" = - ]; then
		cp "$out" "$tmp/section"
	else
		sed -n "/^== $step\$/,/^-- $step rc=/p" "$out" >"$tmp/section"
		set -- "$@" "^-- $step rc=0\$"
	fi
	missing=""
	for p in "$@"; do
		case $p in
		!*) grep -q -- "${p#!}" "$tmp/section" && missing="$missing; has '${p#!}'" ;;
		*) grep -q -- "$p" "$tmp/section" || missing="$missing; no '$p'" ;;
		esac
	done
	if [ -z "$missing" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (${missing#; })"
		if [ -s "$tmp/section" ]; then sed 's/^/#   /' "$tmp/section"; else sed 's/^/#   /' "$out"; fi
		failed=$((failed + 1))
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

K="--kernel $bb/vmlinuz --initrd $bb/initrd.img"
# shellcheck disable=SC2086
boot one $K --blk "$tmp/blk0a.img" --blk-bridged "$tmp/blk0901.img" --scsi "$tmp/scsi0.img" --9p "$tmp/share9p" ${pmem:+--nvdimm "$pmem"} \
	--script "$tmp/boot1.sh" --expect-poweroff 10
check one pid1 "PID 1 mounted proc, sysfs, devtmpfs, devpts, /dev/shm, /run and cgroup2" \
	'^mount: /proc proc$' '^mount: /sys sysfs$' '^mount: /dev devtmpfs$' '^mount: /dev/pts devpts$' \
	'^mount: /dev/shm tmpfs$' '^mount: /run tmpfs$' '^mount: /sys/fs/cgroup cgroup2$'
check one pid1 "/dev/ptmx is a link to pts/ptmx" '^ptmx: pts/ptmx$'
check one pid1 "PID 1 leads its session with the console as its terminal" '^pid1: session=1 tty_nr=[1-9]'
check one pid1 "PID 1 raised RLIMIT_NOFILE to fs.nr_open" '^nofile: \([0-9]*\) \1 nr_open=\1$'
check one pid1 "the guest is named kinglet before CreateSandbox names it" '^hostname: kinglet$'
check one hostname "CreateSandbox --hostname names the guest" '^hostname: kinglet-vm$'
check one orphan "an exec's orphan goes to PID 1, which reaps it: no zombie left" \
	'^orphan: pid=[0-9]* parent=1$' '^orphan: reaped$' '^zombie scan done$' '!^zombie:' '!orphan left'
check one blk-0a "a container's root is the virtio-blk disk at PCI path 0a (blk storage)" \
	"^disk root-bus $token\$" '^root: /dev/vd[a-z] ext4 ro'
check one blk-0901 "a container's root is the virtio-blk disk behind a bridge, PCI path 09/01" \
	"^disk bridged $token\$" '^root: /dev/vd[a-z] ext4 ro'
check one scsi "a container's root is the virtio-scsi disk at SCSI address 0:0 (scsi storage)" \
	"^disk scsi $token\$" '^root: /dev/sd[a-z] ext4 ro'
check one p9 "a container's root is a 9p share by mount tag (9p storage, virtio transport)" \
	"^disk 9p $token\$" '^root: kinglet9p 9p [^ ]*trans=virtio'
check one device "a virtio-blk disk passed as a device: a block node with the guest's numbers, readable" \
	'^node: b [0-9]*:[0-9]*$' '^numbers: those of a guest vd disk$' '^label: root-bus$'
if [ -n "$pmem" ]; then
	check one nvdimm "a container's root is an NVDIMM (nvdimm storage), ext4 mounted with dax" \
		"^disk pmem $token\$" '^root: /dev/pmem0 ext4 [^ ]*dax'
else
	skip "a container's root is an NVDIMM (nvdimm storage)" "no dax-header tool ($DAX_HEADER)"
fi
check one - "DestroySandbox powers the VM off: logged, 'reboot: Power down', no panic, QEMU exits 0" \
	'^-- destroy rc=0$' 'msg="powering off".*reason="sandbox destroyed"' \
	'^exit: status=0 exit_ms=[0-9]* wait_ms=[0-9]* power_down=yes panic=no$' '^boot.sh exit 0$'

boot two $K --append 'agent.server_addr=bogus://x' --no-agent 30
check two - "a bad agent.server_addr: logged, then a power-off, not a kernel panic" \
	'level=error.*bogus://x' 'level=error.*msg="powering off"' \
	'^exit: status=0 exit_ms=[0-9]* wait_ms=[0-9]* power_down=yes panic=no$' '^boot.sh exit 0$'

boot three $K --append 'systemd.unified_cgroup_hierarchy=0 agent.debug_console' --script "$tmp/boot3.sh"
check three pid1 "systemd.unified_cgroup_hierarchy=0: cgroup v1, a tmpfs and one hierarchy per controller" \
	'^mount: /sys/fs/cgroup tmpfs$' '^mount: /sys/fs/cgroup/memory cgroup$' '^mount: /sys/fs/cgroup/pids cgroup$' \
	'!^mount: /sys/fs/cgroup cgroup2$'
check three cgroup "cgroup v1: a container runs in its own memory and pids groups" \
	'^[0-9]*:memory:/..*' '^[0-9]*:pids:/..*'
check three debugshell "agent.debug_console: a shell on the console, with PID 1's PATH" \
	'^debug shell env: PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$'

echo "1..$n"
[ "$failed" -eq 0 ]
