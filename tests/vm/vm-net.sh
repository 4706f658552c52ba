#!/bin/sh
# vm-net.sh: guest networking in a VM (TCG here). One boot of the busybox
# initrd with a virtio-net NIC on a tap in a network namespace the test makes;
# the NIC is configured through the agent's network RPCs, from kinglet-ctl
# clients through kinglet-proxy, and then pings go across both ways.
#
#   namespace kt-vmnet-PID: tap ktap0 (MAC 02:00:00:00:07:01) with 192.0.2.1/24
#   and 2001:db8:7::1/64, and 198.51.100.1, 198.51.100.129 on its lo, reachable
#   from the guest only through the routes the test gives it.
#   guest: virtio-net with MAC 02:00:00:00:07:02, named eth0, MTU 1400,
#   192.0.2.2/24 and 2001:db8:7::2/64, a default route and 198.51.100.0/25
#   via 192.0.2.1, a permanent ARP entry for 192.0.2.1.
#
# Prints TAP; skips (root, QEMU, ip and /dev/net/tun are needed) where it
# cannot run. The boot's script prints `== STEP` before and `-- STEP rc=N`
# after every command, and each test looks only at its steps. Without a proxy
# binary the steps talk to the agent directly.
#
#   IMAGES         the images directory (default build/images)
#   KINGLET_PROXY  the proxy (default: kinglet-proxy beside KINGLET_CTL)
#   VM_NET_OUT     when set, a directory that gets the boot's whole output (net.out)
#   KINGLET_CTL, KINGLET_KVM_CACHE   see boot.sh
set -u
IMAGES=${IMAGES:-build/images}
KINGLET_CTL=${KINGLET_CTL:-build/kinglet-ctl}
whole_skip() { echo "ok 1 - guest networking in a VM # SKIP $1"; echo "1..1"; exit 0; }
[ "$(id -u)" -eq 0 ] || whole_skip "not root (a network namespace and a tap are needed)"
command -v qemu-system-x86_64 >/dev/null || whole_skip "no qemu-system-x86_64"
command -v ip >/dev/null || whole_skip "no ip (iproute2)"
[ -c /dev/net/tun ] || whole_skip "no /dev/net/tun"
KINGLET_PROXY=${KINGLET_PROXY:-$(dirname "$KINGLET_CTL")/kinglet-proxy}
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

NS=kt-vmnet-$$
TAP=ktap0
TAP_MAC=02:00:00:00:07:01
GUEST_MAC=02:00:00:00:07:02
tmp=$(mktemp -d /tmp/kinglet-vmnet-XXXXXX)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" 2>"$tmp/netns.err" || whole_skip "cannot make a network namespace: $(cat "$tmp/netns.err")"
# The tap lives as long as the namespace; QEMU attaches to it by name.
if ! {
	ip -n "$NS" link set lo up &&
		ip -n "$NS" tuntap add dev "$TAP" mode tap &&
		ip -n "$NS" link set "$TAP" address "$TAP_MAC" &&
		ip -n "$NS" addr add 192.0.2.1/24 dev "$TAP" &&
		ip -n "$NS" addr add 2001:db8:7::1/64 dev "$TAP" nodad &&
		ip -n "$NS" addr add 198.51.100.1/32 dev lo &&
		ip -n "$NS" addr add 198.51.100.129/32 dev lo &&
		ip -n "$NS" link set "$TAP" up
} >"$tmp/tap.log" 2>&1; then
	echo "not ok 1 - a tap in a test network namespace ($(tr '\n' ' ' <"$tmp/tap.log"))"
	echo "1..1"
	exit 1
fi

# The test namespace's pinger: iputils' or busybox's (both take -6, -c, -W).
host_ping=""
if command -v ping >/dev/null; then
	host_ping=ping
elif command -v busybox >/dev/null && busybox ping -h 2>&1 | grep -q -- '-6'; then
	host_ping="busybox ping"
fi
proxy=""
[ -x "$KINGLET_PROXY" ] && proxy=$(cd "$(dirname "$KINGLET_PROXY")" && pwd)/$(basename "$KINGLET_PROXY")
ctl_bin=$(cd "$(dirname "$KINGLET_CTL")" && pwd)/$(basename "$KINGLET_CTL")

# --- OCI bundles (read on the host by kinglet-ctl) for containers that share
# the guest's network: root "/", only a mount namespace of their own; root
# with CAP_NET_RAW, which busybox ping's raw ICMP socket needs ---
json_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print }'; }
bundle() { # NAME SHELL-COMMAND
	mkdir -p "$tmp/bundles/$1"
	cat >"$tmp/bundles/$1/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": { "user": { "uid": 0, "gid": 0 }, "cwd": "/",
    "args": ["sh", "-c", "$(json_string "$2")"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
    "capabilities": { "bounding": ["CAP_NET_RAW"], "effective": ["CAP_NET_RAW"], "permitted": ["CAP_NET_RAW"] } },
  "root": { "path": "/" },
  "linux": { "namespaces": [ { "type": "mount" } ] }
}
EOF
}
# The guest's links as sysfs has them, independent of the agent's RPCs.
bundle sysfs 'for d in /sys/class/net/*; do echo "sysfs: ${d##*/} $(cat "$d/address") mtu $(cat "$d/mtu")"; done'
# The tap's address on the link; the two on the namespace's lo only through
# the routes (198.51.100.0/25, default); IPv6 on the link.
bundle ping 'for a in 192.0.2.1 198.51.100.1 198.51.100.129; do ping -c 1 -W 5 "$a"; echo "ping $a rc=$?"; done
ping6 -c 1 -W 5 2001:db8:7::1; echo "ping6 2001:db8:7::1 rc=$?"'
bundle arp 'sed 1d /proc/net/arp | while read -r ip type flags mac mask dev; do echo "arp: $ip $flags $mac $dev"; done'
export T="$tmp" PROXY="$proxy" CTL_BIN="$ctl_bin" B="$tmp/bundles" NS GUEST_MAC TAP_MAC HOST_PING="$host_ping"

cat >"$tmp/boot.sh" <<'EOF'
step() { name=$1; shift; echo "== $name"; "$@" 2>&1; echo "-- $name rc=$?"; }
# A proxy in front of the chardev socket (as in e2e.sh); without one, the
# direct client boot.sh made.
proxy_pid=""
if [ -n "$PROXY" ]; then
	"$PROXY" --agent "serial://$AGENT_SOCK" --listen "unix://$T/proxy.sock" --sandbox vmnet \
		--log "$T/proxy.log" --ready-fd 3 3>"$T/proxy.ready" &
	proxy_pid=$!
	i=0
	until grep -q ready "$T/proxy.ready" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
			echo "proxy: no ready line within 10 s"; cat "$T/proxy.log"; exit 1
		fi
		sleep 0.1
	done
	echo "proxy: pid $proxy_pid, ready line: $(cat "$T/proxy.ready")"
	pctl() { "$CTL_BIN" --addr "unix://$T/proxy.sock" --timeout 60 "$@"; }
else
	pctl() { "$CTL" "$@"; }
fi
update_eth0() {
	pctl update-interface --mac "$GUEST_MAC" --name eth0 --mtu 1400 --addr 192.0.2.2/24 --addr 2001:db8:7::2/64
}
step sandbox pctl create-sandbox --id vmnet --hostname vmnet
step sysfs pctl run --bundle "$B/sysfs" -
step links pctl list-interfaces
step update update_eth0
# Repeated, finding the NIC by its PCI path (devicePath) this time rather than its MAC.
step update-again pctl update-interface --device-path 06 --name eth0 --mtu 1400 --addr 192.0.2.2/24 \
	--addr 2001:db8:7::2/64
step links-after pctl list-interfaces
step routes pctl update-routes --route dest=default,via=192.0.2.1,dev=eth0 \
	--route dest=198.51.100.0/25,via=192.0.2.1,dev=eth0
step routes-list pctl list-routes
# Errors through the proxy: an unknown MAC; a gateway no route reaches, after
# a good route in the same request, which must be rolled back.
step nolink pctl update-interface --mac 02:00:00:00:07:99 --mtu 1400
step badroute pctl update-routes --route dest=default,via=192.0.2.1,dev=eth0 \
	--route dest=198.51.100.128/25,via=198.51.100.254
step routes-kept pctl list-routes
step arp-add pctl add-arp-neighbors --neighbor "ip=192.0.2.1,dev=eth0,lladdr=$TAP_MAC"
step arp pctl run --bundle "$B/arp" -
step sysfs-after pctl run --bundle "$B/sysfs" -
if [ -n "$HOST_PING" ]; then
	step host-ping ip netns exec "$NS" $HOST_PING -c 1 -W 5 192.0.2.2
	step host-ping6 ip netns exec "$NS" $HOST_PING -6 -c 1 -W 5 2001:db8:7::2
fi
step guest-ping pctl run --bundle "$B/ping" -
step destroy pctl destroy-sandbox
if [ -n "$proxy_pid" ]; then
	kill -TERM "$proxy_pid"
	wait "$proxy_pid"
	echo "proxy after SIGTERM: rc=$?"
fi
EOF

# check STEP|- RC|- NAME PATTERN...: the output of STEP (all of the boot's
# output for -) must match every PATTERN and none written !PATTERN; STEP
# must have exited RC.
out=$tmp/net.out
check() {
	step=$1 rc=$2 name=$3
	shift 3
	n=$((n + 1))
	if [ "$step" = - ]; then
		cp "$out" "$tmp/section"
	else
		sed -n "/^== $step\$/,/^-- $step rc=/p" "$out" >"$tmp/section"
		set -- "$@" "^-- $step rc=$rc\$"
	fi
	missing=""
	for p in "$@"; do
		case $p in
		!*) grep -q -- "${p#!}" "$tmp/section" && missing="$missing; has '${p#!}'" ;;
		*) grep -q -- "$p" "$tmp/section" || missing="$missing; no '$p'" ;;
		esac
	done
	report "$name" "${missing#; }"
}
report() { # NAME PROBLEM ("" when none)
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 ($2)"
		if [ -s "$tmp/section" ]; then sed 's/^/#   /' "$tmp/section"; else tail -n 40 "$out" | sed 's/^/#   /'; fi
		failed=$((failed + 1))
	fi
}
# check_lines STEP RC NAME PATTERNS: check with the patterns one a line.
nl='
'
check_lines() {
	old_ifs=$IFS
	IFS=$nl
	set -f
	# shellcheck disable=SC2086 # split at newlines only, no globbing
	check "$1" "$2" "$3" $4
	set +f
	IFS=$old_ifs
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
body() { sed -n "/^== $1\$/,/^-- $1 rc=/p" "$out" | sed '1d;$d'; }

via=" through kinglet-proxy"
[ -n "$proxy" ] || via=" (direct: no kinglet-proxy)"
sh tests/vm/boot.sh --kernel "$bb/vmlinuz" --initrd "$bb/initrd.img" --net "$NS:$TAP:$GUEST_MAC" \
	--script "$tmp/boot.sh" --expect-poweroff 15 >"$out" 2>&1
echo "boot.sh exit $?" >>"$out"
[ -z "${VM_NET_OUT:-}" ] || { mkdir -p "$VM_NET_OUT" && cp "$out" "$VM_NET_OUT/"; }

M=$GUEST_MAC
check - - "the guest boots with a virtio-net NIC on $TAP in $NS" "^net: netns=$NS tap=$TAP mac=$GUEST_MAC pci_path=06\$" \
	'^ready_ms='
check sysfs 0 "the guest kernel has the virtio-net link, MAC $GUEST_MAC (sysfs, from a container)" \
	"^sysfs: [a-z0-9]* $M mtu 1500\$" '^sysfs: lo 00:00:00:00:00:00 mtu'
check links 0 "ListInterfaces shows the virtio-net link by its MAC, and lo, which PID 1 brought up$via" \
	"^[a-z0-9]* mac $M mtu 1500 flags 0x[0-9a-f]*\$" '^lo mac 00:00:00:00:00:00 mtu [0-9]* flags 0x[0-9a-f]*[9bdf]$'
# The interface as update-interface and list-interfaces print it; an odd last
# flags digit is IFF_UP.
eth0_shape="^eth0 mac $M mtu 1400 flags 0x[0-9a-f]*[13579bdf]\$
^ *inet 192\.0\.2\.2/24\$
^ *inet6 2001:db8:7::2/64\$"
check_lines update 0 "UpdateInterface by MAC: named eth0, MTU 1400, up, 192.0.2.2/24 and 2001:db8:7::2/64$via" "$eth0_shape"
check_lines update-again 0 "UpdateInterface repeated, by devicePath 06: the same interface$via" "$eth0_shape"
n=$((n + 1))
body update >"$tmp/first"
body update-again >"$tmp/second"
cp "$out" "$tmp/section"
if grep -q '^-- update rc=0$' "$out" && grep -q '^-- update-again rc=0$' "$out" && cmp -s "$tmp/first" "$tmp/second"; then
	report "UpdateInterface repeated (by MAC, then by devicePath): the same answer, byte for byte" ""
else
	diff "$tmp/first" "$tmp/second" >"$tmp/section"
	report "UpdateInterface repeated (by MAC, then by devicePath): the same answer, byte for byte" \
		"the answers differ, or a call failed"
fi
check_lines links-after 0 "ListInterfaces after it: eth0 with MTU 1400, both addresses and the kernel's link-local$via" \
	"$eth0_shape$nl^ *inet6 fe80::"
check sysfs-after 0 "the guest kernel sees it too: eth0, MTU 1400 (sysfs)" "^sysfs: eth0 $M mtu 1400\$"
route_shape='^default via 192\.0\.2\.1 dev eth0
^198\.51\.100\.0/25 via 192\.0\.2\.1 dev eth0
^192\.0\.2\.0/24 dev eth0
^2001:db8:7::/64 dev eth0'
check_lines routes 0 "UpdateRoutes: a default route and 198.51.100.0/25 via 192.0.2.1; the link routes kept$via" "$route_shape"
check_lines routes-list 0 "ListRoutes shows them$via" "$route_shape"
check nolink 5 "UpdateInterface for an unknown MAC: NOT_FOUND (5), naming the MAC$via" '02:00:00:00:07:99'
# strerror(ENETUNREACH): "Network unreachable" in musl (the guest agent), "Network is unreachable" in glibc.
check badroute 9 "UpdateRoutes via an unreachable gateway: FAILED_PRECONDITION (9), the kernel's reason$via" \
	'198\.51\.100\.254' 'Network[a-z ]*unreachable'
n=$((n + 1))
body routes-list >"$tmp/first"
body routes-kept >"$tmp/second"
cp "$out" "$tmp/section"
if grep -q '^-- routes-kept rc=0$' "$out" && [ -s "$tmp/first" ] && cmp -s "$tmp/first" "$tmp/second"; then
	report "the failed UpdateRoutes left the previous table in place (ListRoutes, byte for byte)" ""
else
	diff "$tmp/first" "$tmp/second" >"$tmp/section"
	report "the failed UpdateRoutes left the previous table in place" "ListRoutes differs, or failed"
fi
check arp-add 0 "AddARPNeighbors: 192.0.2.1 at the tap's MAC on eth0$via"
# /proc/net/arp flags: 0x6 = ATF_COM | ATF_PERM (NUD_PERMANENT).
check arp 0 "the guest's ARP table has it, permanent" "^arp: 192\.0\.2\.1 0x6 $TAP_MAC eth0\$"
if [ -n "$host_ping" ]; then
	check host-ping 0 "the test namespace pings the guest at 192.0.2.2 ($host_ping)" ' 0% packet loss'
	check host-ping6 0 "the test namespace pings the guest at 2001:db8:7::2 ($host_ping)" ' 0% packet loss'
else
	skip "the test namespace pings the guest at 192.0.2.2" "no ping on the host (iputils or busybox)"
	skip "the test namespace pings the guest at 2001:db8:7::2" "no ping on the host"
fi
check guest-ping 0 "a container sharing the guest's network pings 192.0.2.1 (the link)" '^ping 192\.0\.2\.1 rc=0$'
check guest-ping 0 "... 198.51.100.1 (through the 198.51.100.0/25 route)" '^ping 198\.51\.100\.1 rc=0$'
check guest-ping 0 "... 198.51.100.129 (through the default route)" '^ping 198\.51\.100\.129 rc=0$'
check guest-ping 0 "... 2001:db8:7::1 (IPv6 on the link)" '^ping6 2001:db8:7::1 rc=0$'
check - - "DestroySandbox powers the VM off: QEMU exits 0" '^-- destroy rc=0$' \
	'^exit: status=0 exit_ms=[0-9]* wait_ms=[0-9]* power_down=yes panic=no$' '^boot.sh exit 0$'

echo "1..$n"
[ "$failed" -eq 0 ]
