#!/bin/sh
# boot.sh: boot a kinglet guest under QEMU and wait until its agent answers
# grpc.Health/Check over the virtio-serial port agent.channel.0.
#
#   boot.sh --kernel BZIMAGE (--initrd FILE | --disk IMAGE [--pmem] [--fs ext4|erofs])
#           [--memory MB] [--timeout S] [--accel auto|kvm|tcg] [--append 'KERNEL ARGS']
#           [--ctl 'KINGLET-CTL ARGS'] [--run 'SHELL CMD']
#
# Prints one line, `ready_ms=… uptime_ms=… accel=…`, then the output of --ctl
# (kinglet-ctl with those arguments) and of --run (a container whose root is
# the guest's own / runs `sh -c CMD` through the agent). Exit status 0 when
# the agent answered and both exited 0.
#
#   KINGLET_CTL        the client (default build/kinglet-ctl)
#   KINGLET_KVM_CACHE  where "does KVM boot here" is remembered (default build/images/.kvm)
set -eu
CTL=${KINGLET_CTL:-build/kinglet-ctl}
KVM_CACHE=${KINGLET_KVM_CACHE:-build/images/.kvm}
kernel="" initrd="" disk="" pmem=0 fs=ext4 memory=256 timeout=120 accel=auto run="" append="" ctl_args=""

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--disk) disk=$2; shift 2 ;;
	--pmem) pmem=1; shift ;;
	--fs) fs=$2; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--accel) accel=$2; shift 2 ;;
	--run) run=$2; shift 2 ;;
	--ctl) ctl_args=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "boot.sh: unknown argument $1" >&2; usage >&2; exit 64 ;;
	esac
done
[ -n "$kernel" ] && { [ -n "$initrd" ] || [ -n "$disk" ]; } || { usage >&2; exit 64; }
for f in "$kernel" $initrd $disk; do
	[ -r "$f" ] || { echo "boot.sh: cannot read $f" >&2; exit 66; }
done

dir=$(mktemp -d /tmp/kinglet-vm-XXXXXX)
qemu_pid=""
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

now_ms() { date +%s%3N; }

# One boot; returns 0 when the agent answered within $2 seconds.
boot() { # ACCEL SECONDS
	boot_accel=$1 boot_seconds=$2 # "$@" is reused below for QEMU's arguments
	sock=$dir/agent.sock
	rm -f "$sock" "$dir/console.log"
	machine="q35,accel=$boot_accel"
	mem="-m ${memory}M"
	cmdline="console=ttyS0 panic=-1 agent.server_addr=serial://agent.channel.0 agent.log=info"
	set -- -nodefaults -nographic -no-reboot -smp 1 -cpu max -serial "file:$dir/console.log" \
		-kernel "$kernel" \
		-device virtio-serial-pci,id=vser0 \
		-chardev "socket,path=$sock,server=on,wait=off,id=agent" \
		-device virtserialport,chardev=agent,name=agent.channel.0 \
		-device virtio-rng-pci
	if [ -n "$initrd" ]; then
		set -- "$@" -initrd "$initrd"
		cmdline="$cmdline rdinit=/init"
	elif [ "$pmem" -eq 1 ]; then
		size=$(stat -c %s "$disk")
		machine="$machine,nvdimm=on"
		mem="-m ${memory}M,slots=2,maxmem=$((memory + size / 1048576 + 64))M"
		set -- "$@" -object "memory-backend-file,id=pmem0,share=off,readonly=on,mem-path=$disk,size=$size" \
			-device nvdimm,id=nv0,memdev=pmem0,unarmed=on
		cmdline="$cmdline root=/dev/pmem0p1 rootfstype=$fs rootflags=dax ro init=/sbin/init"
	else
		set -- "$@" -drive "file=$disk,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0
		cmdline="$cmdline root=/dev/vda1 rootfstype=$fs ro init=/sbin/init"
	fi
	# shellcheck disable=SC2086
	qemu-system-x86_64 -M "$machine" $mem "$@" -append "$cmdline $append" >"$dir/qemu.log" 2>&1 &
	qemu_pid=$!
	start=$(now_ms)
	deadline=$((start + boot_seconds * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! kill -0 "$qemu_pid" 2>/dev/null; then
			break
		fi
		if [ -S "$sock" ] && "$CTL" --addr "serial://$sock" --timeout 1 check >/dev/null 2>&1; then
			ready_ms=$(($(now_ms) - start))
			return 0
		fi
		sleep 0.1
	done
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=""
	return 1
}

# KVM only where it verifiably boots (nested KVM can hang after decompression).
accel_now=$accel
if [ "$accel" = auto ]; then
	accel_now=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		known=$(cat "$KVM_CACHE" 2>/dev/null || true)
		[ "$known" = yes ] && accel_now=kvm
		if [ -z "$known" ]; then
			if boot kvm 20; then
				accel_now=kvm
				echo yes >"$KVM_CACHE" 2>/dev/null || true
			else
				echo no >"$KVM_CACHE" 2>/dev/null || true
			fi
		fi
	fi
fi
if [ -z "$qemu_pid" ] && ! boot "$accel_now" "$timeout"; then
	echo "boot.sh: the agent did not answer within ${timeout}s ($accel_now); the guest console said:" >&2
	tail -n 40 "$dir/console.log" >&2 2>/dev/null || true
	cat "$dir/qemu.log" >&2 2>/dev/null || true
	exit 1
fi
# The agent's "ready" line carries the guest's view: uptime, memory used, page cache.
ready_field() { sed -n "s/.*msg=\"kinglet-agent ready\".* $1=\([-0-9]*\).*/\1/p" "$dir/console.log" | head -n 1; }
echo "ready_ms=$ready_ms uptime_ms=$(ready_field uptime_ms) mem_used_kib=$(ready_field mem_used_kib)" \
	"mem_cached_kib=$(ready_field mem_cached_kib) accel=$accel_now"
rc=0
if [ -n "$ctl_args" ]; then
	# shellcheck disable=SC2086
	"$CTL" --addr "serial://$dir/agent.sock" --timeout 60 $ctl_args || rc=$?
fi
if [ -n "$run" ]; then
	"$CTL" --addr "serial://$dir/agent.sock" --timeout 60 run --rootfs / - sh -c "$run" || rc=$?
fi
exit "$rc"
