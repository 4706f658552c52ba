#!/bin/sh
# kinglet-ctl's sandbox, storage and guest-RPC commands against a real agent:
# create-sandbox/destroy-sandbox with storages, run --storage, volume-stats,
# metrics, iptables-get/set, and the usage errors of every new command.
# Needs root for the agent part; prints TAP.
#   KINGLET_CTL, KINGLET_AGENT   binaries under test (default build/...)
#   MAKE_ROOTFS                  the tool that builds the busybox rootfs (default build/host/make-rootfs)
set -u
CTL=${KINGLET_CTL:-build/kinglet-ctl}
AGENT=${KINGLET_AGENT:-build/kinglet-agent}
MAKE_ROOTFS=${MAKE_ROOTFS:-build/host/make-rootfs}
n=0
failed=0
agent_pid=""
loop=""
dir=$(mktemp -d /tmp/kinglet-ctls-XXXXXX)
sock="$dir/agent.sock"
R="$dir/rootfs"
KC=/run/kata-containers

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	[ -n "$loop" ] && losetup -d "$loop"
	rm -rf "$dir"
}
trap cleanup EXIT

# ok, not_ok, expect
# shellcheck source=tests/integration/tap.sh
. "$(dirname "$0")/tap.sh"

# check NAME COMMAND...: passes when COMMAND succeeds
check() {
	name=$1
	shift
	if "$@" >"$dir/out" 2>&1; then ok "$name"; else not_ok "$name"; fi
}

ctl() { "$CTL" --addr "unix://$sock" "$@"; }

# --- help and usage errors: no agent needed ------------------------------------------------
for c in create-sandbox destroy-sandbox online-cpu-mem mem-hotplug-probe add-swap add-swap-path volume-stats \
	resize-volume metrics iptables-get iptables-set; do
	expect "$c --help" 0 "Usage: kinglet-ctl" -- "$CTL" "$c" --help
done
expect "run --help explains SPEC" 0 "container-path=PATH" -- "$CTL" run --help
expect "create-sandbox --help gives the escape rule" 0 'comma inside a value as \\,' -- "$CTL" create-sandbox --help

S=driver=ephemeral,mount=/m
expect "--storage: unknown key" 64 "unknown key \`colour\`" -- ctl create-sandbox --storage "$S,colour=red"
expect "--storage: key without a value" 64 "source needs a value" -- ctl create-sandbox --storage "$S,source"
expect "--storage: empty value" 64 "fstype needs a value" -- ctl create-sandbox --storage "$S,fstype="
expect "--storage: driver is required" 64 "driver= is required" -- ctl create-sandbox --storage mount=/m
expect "--storage: mount is required" 64 "mount= is required" -- ctl create-sandbox --storage driver=local
expect "--storage: a key twice" 64 "driver given twice" -- ctl create-sandbox --storage "$S,driver=local"
expect "--storage: empty item" 64 "empty item" -- ctl create-sandbox --storage "$S,"
expect "--storage: stray backslash" 64 "a backslash escapes only" -- ctl create-sandbox --storage "$S,option=a\\b"
expect "--storage: bad fs-group" 64 "fs-group wants GID" -- ctl create-sandbox --storage "$S,fs-group=wheel"
expect "--storage: over 4096 bytes" 64 "longer than 4096 bytes" -- \
	ctl create-sandbox --storage "$S,source=$(printf '%04100d' 0)"
set --
i=0
while [ $i -lt 65 ]; do set -- "$@" --storage "driver=local,mount=/m$i"; i=$((i + 1)); done
expect "65 --storage are refused" 64 "at most 64 --storage" -- ctl create-sandbox "$@"
expect "65 --storage are refused by run too" 64 "at most 64 --storage" -- ctl run "$@" --rootfs /r - true
set --
i=0
while [ $i -lt 65 ]; do set -- "$@" --device "type=blk,id=0$i"; i=$((i + 1)); done
expect "65 --device are refused" 64 "at most 64 --device" -- ctl create "$@" --rootfs /r c1 true
set --
expect "--device: unknown key" 64 "unknown key \`mount\`" -- ctl run --device type=blk,mount=/x --rootfs /r - true
expect "--device: type is required" 64 "type= is required" -- ctl run --device id=02/00 --rootfs /r - true
expect "--device: relative container-path" 64 "is not absolute" -- \
	ctl run --device type=blk,container-path=dev/xda --rootfs /r - true
expect "--device: two for one path" 64 "two devices with container-path" -- ctl run --device \
	type=blk,id=02/00,container-path=/dev/xda --device type=scsi,id=0:1,container-path=/dev/xda --rootfs /r - true
expect "--device: unknown node type" 64 "not known to be a block or character device" -- \
	ctl run --device type=floppy,container-path=/dev/fd0 --rootfs /r - true
expect "exec takes no --storage" 64 "belong to run and create" -- ctl exec --storage "$S" c1 true
expect "create-sandbox: stray argument" 64 "unexpected argument" -- ctl create-sandbox sb1
expect "destroy-sandbox takes no arguments" 64 "takes no arguments" -- ctl destroy-sandbox now
expect "online-cpu-mem: bad --cpus" 64 "--cpus wants" -- ctl online-cpu-mem --cpus many
expect "mem-hotplug-probe needs an address" 64 "at least one address" -- ctl mem-hotplug-probe
expect "mem-hotplug-probe: bad address" 64 "is not an address" -- ctl mem-hotplug-probe 0x1000 0xZZ
expect "mem-hotplug-probe: signed address" 64 "is not an address" -- ctl mem-hotplug-probe -5
expect "add-swap: bad PCI path" 64 "is not a PCI path" -- ctl add-swap 02/00/zz
expect "add-swap: slot over 1f" 64 "is not a PCI path" -- ctl add-swap 20
expect "add-swap-path needs a path" 64 "needs one path" -- ctl add-swap-path
expect "volume-stats: relative path" 64 "must be absolute" -- ctl volume-stats run/x
expect "resize-volume: bad size" 64 "is not a size" -- ctl resize-volume /run/x lots
expect "resize-volume needs a size" 64 "needs a volume path and a size" -- ctl resize-volume /run/x
expect "metrics takes no arguments" 64 "takes no arguments" -- ctl metrics all
expect "iptables-set: unreadable file" 66 "cannot read" -- ctl iptables-set "$dir/no-such-rules"
expect "iptables-set needs a file" 64 "needs one FILE" -- ctl iptables-set
expect "create-sandbox with no agent" 14 "UNAVAILABLE" -- ctl create-sandbox --id sb1

if [ "$(id -u)" -ne 0 ]; then
	echo "1..$n # the agent part is skipped: it needs root"
	[ "$failed" -eq 0 ]
	exit
fi
if ! "$MAKE_ROOTFS" "$R" >"$dir/out" 2>&1; then
	not_ok "cannot build the busybox rootfs"
	echo "1..$n"
	exit 1
fi
echo bound-in >"$R/marker"

# The agent gets its own mount, UTS and network namespaces and its own /run, as in
# a guest: what the sandbox mounts and the rules iptables-set writes stay there.
unshare -m -u -n --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
	"$AGENT" --server-addr "unix://$sock" --log-level warn >"$dir/agent.log" 2>&1 &
agent_pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
root="/proc/$agent_pid/root"
mounted() { grep -q " $1 " "/proc/$agent_pid/mountinfo"; }
fstype_at() { awk -v p="$1" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 1) }' "/proc/$agent_pid/mountinfo"; }

# --- create-sandbox with an ephemeral (tmpfs) and a local storage --------------------------
SHM=$KC/sandbox/shm
LOCAL=$KC/sandbox/local/vol
GROUPED=$KC/sandbox/local/grouped
expect "create-sandbox with an ephemeral and two local storages" 0 "sandbox sb1 created" -- ctl create-sandbox \
	--id sb1 --hostname sbhost --dns 'nameserver 192.0.2.53' \
	--storage "driver=ephemeral,source=shm,fstype=tmpfs,mount=$SHM,option=size=1m,option=mode=1777" \
	--storage "driver=local,mount=$LOCAL,option=mode=0750" \
	--storage "driver=local,mount=$GROUPED,fs-group=1234:on-root-mismatch"
check "the ephemeral storage is a tmpfs" test "$(fstype_at "$SHM")" = tmpfs
check "the local storage is a directory with its mode" test "$(stat -c '%a %F' "$root$LOCAL")" = "750 directory"
check "the local storage with fs-group belongs to that group" test "$(stat -c '%g' "$root$GROUPED")" = 1234
check "the hostname is set" test "$(nsenter -t "$agent_pid" -u hostname)" = sbhost
check "the DNS line is in resolv.conf" grep -qx 'nameserver 192.0.2.53' "$root$KC/sandbox/resolv.conf"
expect "a second create-sandbox" 6 "ALREADY_EXISTS" -- ctl create-sandbox --id sb2

# --- guest RPCs that work on a host agent --------------------------------------------------
expect "volume-stats on the tmpfs" 0 "^bytes  *used [0-9]* total 1048576 available [0-9]*$" -- ctl volume-stats "$SHM"
expect "volume-stats shows inodes and the condition" 0 "^condition normal" -- ctl volume-stats "$SHM"
expect "volume-stats --json" 0 '"bytes":{"used":[0-9]*,"total":1048576' -- ctl --json volume-stats "$SHM"
expect "volume-stats of a path that does not exist" 5 "NOT_FOUND" -- ctl volume-stats "$KC/nowhere"
expect "metrics is Prometheus text" 0 "^# TYPE " -- ctl metrics
expect "metrics --json" 0 '"metrics":"# HELP ' -- ctl --json metrics
if command -v iptables-restore >/dev/null 2>&1; then
	printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 192.0.2.1/32 -j DROP\nCOMMIT\n' \
		>"$dir/rules"
	expect "iptables-set from a file" 0 "" -- ctl --timeout 10 iptables-set "$dir/rules"
	expect "iptables-get shows the rule" 0 "^-A INPUT -s 192.0.2.1/32 -j DROP" -- ctl --timeout 10 iptables-get
	expect "iptables-set from stdin" 0 "" -- sh -c "sed 's/192.0.2.1/198.51.100.7/' '$dir/rules' | \
		'$CTL' --addr 'unix://$sock' --timeout 10 iptables-set -"
	expect "iptables-get --json" 0 '"data":".*198.51.100.7/32' -- ctl --json --timeout 10 iptables-get
	printf '*filter\n-A NOCHAIN -j DROP\nCOMMIT\n' >"$dir/bad-rules"
	expect "iptables-set with bad rules" 3 "INVALID_ARGUMENT" -- ctl --timeout 10 iptables-set "$dir/bad-rules"
else
	ok "iptables-get/set # SKIP iptables-restore is not installed"
fi

# --- run with a bind storage: the container's root is on it ---------------------------------
C1ROOT=$KC/shared/containers/c1/rootfs
expect "run --storage driver=bind" 0 "^bound-in$" -- \
	ctl run --storage "driver=bind,source=$R,mount=$C1ROOT" --rootfs "$C1ROOT" c1 cat /marker
check "the container's bind storage is gone with it" sh -c "! grep -q ' $C1ROOT ' /proc/$agent_pid/mountinfo"
expect "run --storage with a driver the agent lacks" 125 "UNIMPLEMENTED" -- \
	ctl run --storage "driver=floppy,mount=$KC/x" --rootfs "$R" - true

# --- run --device: a loop device given to the container as /dev/xda --------------------------
# The ctl adds the node and an allow rule with 0:0; the agent puts in the loop device's numbers.
printf KLET >"$dir/disk.img"
truncate -s 1M "$dir/disk.img"
if loop=$(losetup -f --show "$dir/disk.img" 2>/dev/null); then
	minor=$(printf %d "0x$(stat -c %T "$loop")")
	expect "run --device: the container reads the device" 0 "^KLET$" -- ctl run \
		--device "type=mmioblk,vm-path=$loop,container-path=/dev/xda" --rootfs "$R" - \
		sh -c 'ls -l /dev/xda; head -c 4 /dev/xda; echo'
	cp "$dir/out" "$dir/device.out"
	check "run --device: /dev/xda is a block node with the loop device's numbers" \
		grep -q "^brw-rw---- .* 7, *$minor " "$dir/device.out"
else
	loop=""
	ok "run --device # SKIP no loop device"
fi

# --- destroy-sandbox: its storages go ------------------------------------------------------
expect "destroy-sandbox" 0 "sandbox destroyed" -- ctl destroy-sandbox
if mounted "$SHM"; then not_ok "the ephemeral storage is unmounted"; else ok "the ephemeral storage is unmounted"; fi
expect "create-sandbox again after destroy, --json" 0 '"sandbox_id":"sb3","storages":0' -- \
	ctl --json create-sandbox --id sb3
expect "destroy-sandbox --json" 0 '"destroyed":true' -- ctl --json destroy-sandbox

echo "1..$n"
[ "$failed" -eq 0 ]
