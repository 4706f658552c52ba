#!/bin/sh
# boot.sh: boot a kinglet guest under QEMU and wait until its agent answers
# grpc.Health/Check over the virtio-serial port agent.channel.0.
#
#   boot.sh --kernel BZIMAGE (--initrd FILE | --disk IMAGE [--pmem] [--fs ext4|erofs])
#           [--memory MB] [--timeout S] [--accel auto|kvm|tcg] [--append 'KERNEL ARGS']
#           [--blk FILE]... [--blk-bridged FILE] [--scsi FILE]... [--nvdimm FILE]...
#           [--9p DIR] [--net NETNS:TAP:MAC]
#           [--ctl 'KINGLET-CTL ARGS'] [--run 'SHELL CMD'] [--script FILE]
#           [--expect-poweroff S] [--no-agent S] [--console FILE]
#
# Prints one line, `ready_ms=… uptime_ms=… accel=…`, then the output of --ctl
# (kinglet-ctl with those arguments), of --run (a container whose root is the
# guest's own / runs `sh -c CMD` through the agent) and of --script (a host
# shell script, run with $CTL set to "kinglet-ctl --addr … --timeout 60",
# $AGENT_SOCK to the chardev's unix socket, for a proxy, $QEMU_PID, and
# $QEMU_START_MS, when QEMU was started, in `date +%s%3N` milliseconds).
# Exit status 0 when the agent answered and all of them exited 0.
#
# Extra devices, at fixed PCI addresses so the Kata PCI path is known (each is
# printed as `blk N: FILE pci_path=P` / `scsi N: FILE scsi_addr=0:N` / `nvdimm N: FILE`):
#   --blk FILE          virtio-blk on the root bus, slots 0a, 0b, … (path "0a")
#   --blk-bridged FILE  virtio-blk behind a PCI bridge in slot 09, at 01 ("09/01")
#   --scsi FILE         a disk on a virtio-scsi controller (slot 08), target 0,
#                       LUNs 0, 1, … (Kata's SCSI address "0:0", "0:1")
#   --9p DIR            DIR shared over virtio-9p (slot 07), mount tag kinglet9p
#   --nvdimm FILE       an NVDIMM backed by FILE (private copy-on-write: the
#                       guest may write, the file is not changed); /dev/pmem0
#                       with --initrd, after the root's with --disk --pmem
#   --net NETNS:TAP:MAC a virtio-net NIC (slot 06) with address MAC on the tap
#                       TAP of the network namespace NETNS, which the caller
#                       made (`ip netns add`); boot.sh makes TAP there when it
#                       is missing (and removes it at the end). QEMU then runs
#                       in NETNS (`ip netns exec`), so its traffic stays there;
#                       the chardev socket is a file, reachable from the host.
# --expect-poweroff S: after the commands, the VM must power off by itself
# within S seconds. --no-agent S: nothing is asked of the agent (it is not
# expected to answer); QEMU must exit within S seconds. Both print
# `exit: status=… exit_ms=… wait_ms=… power_down=yes|no panic=yes|no` (exit_ms
# from QEMU's start, wait_ms from the end of the commands) and the console's
# lines about power, panics and reboots; they fail unless the kernel said
# "reboot: Power down", said no "Kernel panic", and QEMU exited 0.
# --console FILE keeps a copy of the guest console.
#
#   KINGLET_CTL        the client (default build/kinglet-ctl)
#   KINGLET_KVM_CACHE  where "does KVM boot here" is remembered (default build/images/.kvm)
#   KINGLET_CTL_SETTLE seconds to pause before each command (default 0; see below)
set -eu
CTL_BIN=${KINGLET_CTL:-build/kinglet-ctl}
KVM_CACHE=${KINGLET_KVM_CACHE:-build/images/.kvm}
kernel="" initrd="" disk="" pmem=0 fs=ext4 memory=256 timeout=120 accel=auto run="" append="" ctl_args=""
script="" poweroff_s="" no_agent_s="" console_copy="" blks="" blk_bridged="" nvdimms="" scsis="" share9p=""
net="" net_ns="" net_tap="" net_mac="" net_made_tap=0
nl='
'

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || case $1 in --pmem | -h | --help) ;; *) echo "boot.sh: $1 needs a value" >&2; exit 64 ;; esac
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
	--script) script=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--blk) blks="$blks$2$nl"; shift 2 ;;
	--blk-bridged) blk_bridged=$2; shift 2 ;;
	--nvdimm) nvdimms="$nvdimms$2$nl"; shift 2 ;;
	--scsi) scsis="$scsis$2$nl"; shift 2 ;;
	--9p) share9p=$2; shift 2 ;;
	--net) net=$2; shift 2 ;;
	--expect-poweroff) poweroff_s=$2; shift 2 ;;
	--no-agent) no_agent_s=$2; shift 2 ;;
	--console) console_copy=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "boot.sh: unknown argument $1" >&2; usage >&2; exit 64 ;;
	esac
done
[ -n "$kernel" ] && { [ -n "$initrd" ] || [ -n "$disk" ]; } || { usage >&2; exit 64; }
[ "$(printf '%s' "$blks" | grep -c .)" -le 6 ] || { echo "boot.sh: at most 6 --blk" >&2; exit 64; }
[ "$(printf '%s' "$nvdimms" | grep -c .)" -le 4 ] || { echo "boot.sh: at most 4 --nvdimm" >&2; exit 64; }
[ "$(printf '%s' "$scsis" | grep -c .)" -le 8 ] || { echo "boot.sh: at most 8 --scsi" >&2; exit 64; }
old_ifs=$IFS
IFS=$nl
for f in "$kernel" $initrd $disk $blks $blk_bridged $nvdimms $scsis $script; do
	[ -r "$f" ] || { echo "boot.sh: cannot read $f" >&2; exit 66; }
done
IFS=$old_ifs
[ -z "$share9p" ] || [ -d "$share9p" ] || { echo "boot.sh: --9p needs a directory, not $share9p" >&2; exit 66; }
if [ -n "$net" ]; then
	net_ns=${net%%:*} rest=${net#*:}
	net_tap=${rest%%:*} net_mac=${rest#*:}
	printf '%s\n' "$net_mac" | grep -qiE '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' && [ -n "$net_ns" ] && [ -n "$net_tap" ] ||
		{ echo "boot.sh: --net needs NETNS:TAP:MAC (MAC as aa:bb:cc:dd:ee:ff), not $net" >&2; exit 64; }
	ip netns exec "$net_ns" true 2>/dev/null ||
		{ echo "boot.sh: --net: no network namespace $net_ns (make it first: ip netns add $net_ns)" >&2; exit 66; }
fi

dir=$(mktemp -d /tmp/kinglet-vm-XXXXXX)
qemu_pid=""
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	[ -z "$console_copy" ] || cp "$dir/console.log" "$console_copy" 2>/dev/null || true
	[ "$net_made_tap" -eq 0 ] || ip -n "$net_ns" link del "$net_tap" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
if [ -n "$net" ] && ! ip -n "$net_ns" link show "$net_tap" >/dev/null 2>&1; then
	ip -n "$net_ns" tuntap add dev "$net_tap" mode tap && ip -n "$net_ns" link set "$net_tap" up ||
		{ echo "boot.sh: --net: cannot make tap $net_tap in $net_ns" >&2; exit 1; }
	net_made_tap=1
fi

now_ms() { date +%s%3N; }

# The devices every boot has, then the ones asked for. Sets $machine, $mem,
# $cmdline and the positional parameters (QEMU's arguments).
qemu_args() { # ACCEL
	machine="q35,accel=$1"
	cmdline="console=ttyS0 panic=-1 agent.server_addr=serial://agent.channel.0 agent.log=info"
	set -- -nodefaults -nographic -no-reboot -smp 1 -cpu max -serial "file:$dir/console.log" \
		-kernel "$kernel" \
		-device virtio-serial-pci,id=vser0 \
		-chardev "socket,path=$dir/agent.sock,server=on,wait=off,id=agent" \
		-device virtserialport,chardev=agent,name=agent.channel.0 \
		-device virtio-rng-pci
	# NVDIMMs: the root's (readonly) first, then --nvdimm ones; each needs a
	# memory slot and room in maxmem.
	slots=0 nv_mib=0 nv=0
	if [ -n "$initrd" ]; then
		set -- "$@" -initrd "$initrd"
		cmdline="$cmdline rdinit=/init"
	elif [ "$pmem" -eq 1 ]; then
		size=$(stat -c %s "$disk")
		slots=1 nv_mib=$((size / 1048576 + 1)) nv=1
		set -- "$@" -object "memory-backend-file,id=pmem0,share=off,readonly=on,mem-path=$disk,size=$size" \
			-device nvdimm,id=nv0,memdev=pmem0,unarmed=on
		cmdline="$cmdline root=/dev/pmem0p1 rootfstype=$fs rootflags=dax ro init=/sbin/init"
	else
		set -- "$@" -drive "file=$disk,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0
		cmdline="$cmdline root=/dev/vda1 rootfstype=$fs ro init=/sbin/init"
	fi
	IFS=$nl
	for f in $nvdimms; do
		size=$(stat -c %s "$f")
		slots=$((slots + 1)) nv_mib=$((nv_mib + size / 1048576 + 1))
		set -- "$@" -object "memory-backend-file,id=pmem$nv,share=off,mem-path=$f,size=$size" \
			-device "nvdimm,id=nv$nv,memdev=pmem$nv"
		nv=$((nv + 1))
	done
	# Root-bus slots 0a… and the bridge in 09: above what QEMU assigns on its own (01-03).
	slot=10
	for f in $blks; do
		set -- "$@" -drive "file=$f,if=none,id=blk$slot,format=raw" \
			-device "virtio-blk-pci,drive=blk$slot,bus=pcie.0,addr=$(printf 0x%02x $slot)"
		slot=$((slot + 1))
	done
	if [ -n "$scsis" ]; then
		set -- "$@" -device virtio-scsi-pci,id=scsi0,bus=pcie.0,addr=0x08
		lun=0
		for f in $scsis; do
			set -- "$@" -drive "file=$f,if=none,id=scsi$lun,format=raw" \
				-device "scsi-hd,drive=scsi$lun,bus=scsi0.0,channel=0,scsi-id=0,lun=$lun"
			lun=$((lun + 1))
		done
	fi
	IFS=$old_ifs
	if [ -n "$share9p" ]; then
		set -- "$@" -fsdev "local,id=fs9p,path=$share9p,security_model=none" \
			-device virtio-9p-pci,fsdev=fs9p,mount_tag=kinglet9p,bus=pcie.0,addr=0x07
	fi
	if [ -n "$net" ]; then
		# romfile=: no PXE option ROM (a -kernel boot needs none, and it may not be installed).
		set -- "$@" -netdev "tap,id=n0,ifname=$net_tap,script=no,downscript=no" \
			-device "virtio-net-pci,netdev=n0,mac=$net_mac,bus=pcie.0,addr=0x06,romfile="
	fi
	if [ -n "$blk_bridged" ]; then
		set -- "$@" -device pci-bridge,id=kbr0,bus=pcie.0,addr=0x09,chassis_nr=1,shpc=off \
			-drive "file=$blk_bridged,if=none,id=blkbr,format=raw" \
			-device virtio-blk-pci,drive=blkbr,bus=kbr0,addr=0x01
	fi
	mem="-m ${memory}M"
	if [ "$slots" -gt 0 ]; then
		machine="$machine,nvdimm=on"
		mem="-m ${memory}M,slots=$slots,maxmem=$((memory + nv_mib + 64))M"
	fi
	qemu_argv=""
	for a in "$@"; do qemu_argv="$qemu_argv$a$nl"; done
}

start_qemu() { # ACCEL
	rm -f "$dir/agent.sock" "$dir/console.log"
	qemu_args "$1"
	IFS=$nl
	# shellcheck disable=SC2086
	set -- $qemu_argv
	IFS=$old_ifs
	# With --net, QEMU runs in the test's network namespace (ip execs it: the
	# same process, so $qemu_pid is QEMU's).
	[ -z "$net" ] || set -- ip netns exec "$net_ns" qemu-system-x86_64 "$@"
	[ -n "$net" ] || set -- qemu-system-x86_64 "$@"
	# shellcheck disable=SC2086
	"$@" -M "$machine" $mem -append "$cmdline $append" >"$dir/qemu.log" 2>&1 &
	qemu_pid=$!
	start=$(now_ms)
}

stop_qemu() {
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=""
}

# One boot; returns 0 when the agent answered within $2 seconds.
boot() { # ACCEL SECONDS
	start_qemu "$1"
	deadline=$((start + $2 * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! kill -0 "$qemu_pid" 2>/dev/null; then
			break
		fi
		if [ -S "$dir/agent.sock" ] && "$CTL_BIN" --addr "serial://$dir/agent.sock" --timeout 1 check >/dev/null 2>&1; then
			ready_ms=$(($(now_ms) - start))
			return 0
		fi
		sleep 0.1
	done
	stop_qemu
	return 1
}

# Waits up to $1 seconds for QEMU to exit by itself and reports how it went.
# -no-reboot makes QEMU exit on a power-off and on a reboot alike (panic=-1
# reboots), so the console tells them apart.
wait_exit() { # SECONDS
	waited_from=$(now_ms)
	deadline=$((waited_from + $1 * 1000))
	while kill -0 "$qemu_pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do
		sleep 0.05
	done
	if kill -0 "$qemu_pid" 2>/dev/null; then
		echo "exit: qemu still running ${1}s later"
		stop_qemu
		status=running
	else
		exit_ms=$(($(now_ms) - start))
		status=0
		wait "$qemu_pid" || status=$?
		qemu_pid=""
		echo "exit: status=$status exit_ms=$exit_ms wait_ms=$((start + exit_ms - waited_from))" \
			"power_down=$(grep -q 'reboot: Power down' "$dir/console.log" && echo yes || echo no)" \
			"panic=$(grep -q 'Kernel panic' "$dir/console.log" && echo yes || echo no)"
	fi
	grep -a -i -E 'power|panic|reboot|halt|fatal|server_addr' "$dir/console.log" | sed 's/^/console: /' | tail -n 20
	[ "$status" = 0 ] && grep -q 'reboot: Power down' "$dir/console.log" && ! grep -q 'Kernel panic' "$dir/console.log"
}

show_blk_paths() {
	IFS=$nl
	i=0 slot=10
	for f in $blks; do
		echo "blk $i: $f pci_path=$(printf %02x $slot)"
		i=$((i + 1)) slot=$((slot + 1))
	done
	[ -z "$blk_bridged" ] || echo "blk bridged: $blk_bridged pci_path=09/01"
	i=0
	for f in $scsis; do
		echo "scsi $i: $f scsi_addr=0:$i"
		i=$((i + 1))
	done
	i=0
	for f in $nvdimms; do
		echo "nvdimm $i: $f"
		i=$((i + 1))
	done
	IFS=$old_ifs
	[ -z "$net" ] || echo "net: netns=$net_ns tap=$net_tap mac=$net_mac pci_path=06"
}

# KVM only where it verifiably boots (nested KVM can hang after decompression).
accel_now=$accel
if [ "$accel" = auto ]; then
	accel_now=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		known=$(cat "$KVM_CACHE" 2>/dev/null || true)
		[ "$known" = yes ] && accel_now=kvm
		if [ -z "$known" ] && [ -z "$no_agent_s" ]; then
			if boot kvm 20; then
				accel_now=kvm
				echo yes >"$KVM_CACHE" 2>/dev/null || true
			else
				echo no >"$KVM_CACHE" 2>/dev/null || true
			fi
		fi
	fi
fi

if [ -n "$no_agent_s" ]; then
	start_qemu "$accel_now"
	echo "accel=$accel_now"
	wait_exit "$no_agent_s"
	exit $?
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
show_blk_paths
rc=0
# Every kinglet-ctl is a new client on the one virtio-serial byte stream and
# numbers its requests from 1 again; the agent takes stream 1 after others on a
# serial channel as a new client, so commands follow each other without a pause
# (KINGLET_CTL_SETTLE adds one, for experiments).
cat >"$dir/ctl" <<EOF
#!/bin/sh
sleep ${KINGLET_CTL_SETTLE:-0}
exec "$CTL_BIN" --addr "serial://$dir/agent.sock" --timeout 60 "\$@"
EOF
chmod +x "$dir/ctl"
CTL=$dir/ctl
if [ -n "$ctl_args" ]; then
	# shellcheck disable=SC2086
	$CTL $ctl_args || rc=$?
fi
if [ -n "$run" ]; then
	$CTL run --rootfs / - sh -c "$run" || rc=$?
fi
if [ -n "$script" ]; then
	CTL=$CTL CONSOLE=$dir/console.log AGENT_SOCK=$dir/agent.sock QEMU_PID=$qemu_pid QEMU_START_MS=$start sh "$script" || rc=$?
fi
if [ -n "$poweroff_s" ]; then
	wait_exit "$poweroff_s" || rc=1
fi
if [ "$rc" -ne 0 ]; then
	echo "boot.sh: exit $rc; the guest console's last lines:" >&2
	tail -n 20 "$dir/console.log" >&2 2>/dev/null || true
fi
exit "$rc"
