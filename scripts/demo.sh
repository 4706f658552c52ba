#!/bin/sh
# make demo: the main job, end to end. `make demo` has built the agent, the
# client, the proxy, the guest kernel and the busybox initrd (with progress
# lines); this boots the guest in QEMU (KVM when it verifiably works, TCG
# otherwise) with the agent as PID 1 on virtio-serial, starts kinglet-proxy in
# front of the channel, runs a container through the proxy, prints the boot
# time and the guest's memory, and tears it all down: DestroySandbox powers the
# VM off, the proxy stops on SIGTERM. Everything stays in a temporary directory.
# (The agent alone on the host, on a unix socket: make demo-host.)
set -eu
BUILD=${1:-build}
BB=$BUILD/images/busybox
dir=$(mktemp -d /tmp/kinglet-demo-XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }

for f in "$BUILD/kinglet-agent" "$BUILD/kinglet-ctl" "$BUILD/kinglet-proxy" "$BB/vmlinuz" "$BB/initrd.img"; do
	[ -e "$f" ] || { echo "demo: $f is missing: run make demo" >&2; exit 1; }
done
if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold='' plain=''; fi
say() { printf "${bold}%s${plain}\n" "$*"; }

say "== what runs"
printf '  %-32s %8s bytes\n' "kinglet-agent (guest PID 1)" "$(stat -c %s "$BUILD/kinglet-agent")" \
	"kinglet-proxy (host)" "$(stat -c %s "$BUILD/kinglet-proxy")" \
	"kinglet-ctl (the client)" "$(stat -c %s "$BUILD/kinglet-ctl")" \
	"guest kernel $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$BUILD/images/kernel/kernel.json" 2>/dev/null | head -n 1)" \
	"$(stat -c %s "$BB/vmlinuz")" \
	"busybox initrd" "$(stat -c %s "$BB/initrd.img")"

# The host side, run by boot.sh once the agent answers: $CTL talks to the agent
# directly, $AGENT_SOCK is the virtio-serial chardev the proxy takes over.
cat >"$dir/host.sh" <<'EOF'
set -u
say() { printf "${BOLD}%s${PLAIN}\n" "$*"; }
show() { printf '  $ %s\n' "$*"; }
sock=$DIR/proxy.sock
show "kinglet-proxy --agent serial://$AGENT_SOCK --listen unix://$sock --sandbox demo --ready-fd 3 &"
"$PROXY" --agent "serial://$AGENT_SOCK" --listen "unix://$sock" --sandbox demo --log "$DIR/proxy.log" \
	--ready-fd 3 3>"$DIR/ready" &
proxy=$!
i=0
until grep -q ready "$DIR/ready" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$proxy" 2>/dev/null; then
		echo "demo: the proxy did not get ready; its log:" >&2; cat "$DIR/proxy.log" >&2; exit 1
	fi
	sleep 0.1
done
echo "  proxy pid $proxy: $(cat "$DIR/ready")"
ctl() { show "kinglet-ctl --addr unix://$sock $*"; "$CTL_BIN" --addr "unix://$sock" --timeout 60 "$@" | sed 's/^/  /'; }
say "== through the proxy"
ctl check
ctl create-sandbox --id demo --hostname demo
start=$(date +%s%3N)
greet='echo "Hello from a container in a kinglet VM!"; echo "kernel: $(uname -r)"'
show "kinglet-ctl --addr unix://$sock run --rootfs / --hostname demo - sh -c '$greet'"
"$CTL_BIN" --addr "unix://$sock" --timeout 60 run --rootfs / --hostname demo - sh -c "$greet" | sed 's/^/  /'
echo "  (the container ran in $(($(date +%s%3N) - start)) ms, created, started, waited for and removed)"
show "kinglet-ctl --addr unix://$sock metrics   # GetMetrics: Prometheus text, meminfo among it"
"$CTL_BIN" --addr "unix://$sock" --timeout 60 metrics >"$DIR/metrics"
used=$(awk '/^kata_guest_meminfo\{.*item="mem_total"/ { t = $2 } /^kata_guest_meminfo\{.*item="mem_available"/ { a = $2 }
	END { if (t && a) printf "%d", (t - a) / 1024 }' "$DIR/metrics")
echo "GUEST_MEM_USED_KIB=${used:-?}"
say "== tear down"
ctl destroy-sandbox
kill -TERM "$proxy"
status=0
wait "$proxy" || status=$?
echo "  kinglet-proxy stopped on SIGTERM (exit $status)"
EOF

say "== boot"
echo "  $ tests/vm/boot.sh --kernel $BB/vmlinuz --initrd $BB/initrd.img --script HOST.SH --expect-poweroff 15"
export DIR="$dir" PROXY BOLD="$bold" PLAIN="$plain" CTL_BIN
PROXY=$(abs "$BUILD/kinglet-proxy") CTL_BIN=$(abs "$BUILD/kinglet-ctl")
status=0
KINGLET_CTL=$BUILD/kinglet-ctl KINGLET_KVM_CACHE=$BUILD/images/.kvm sh tests/vm/boot.sh \
	--kernel "$BB/vmlinuz" --initrd "$BB/initrd.img" --script "$dir/host.sh" --expect-poweroff 15 \
	>"$dir/boot.out" 2>&1 || status=$?
# boot.sh's machine lines become sentences; the host script's lines pass through.
awk '
/^ready_ms=/ {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "  VM up: the agent answered %.2f s after QEMU started (%s); the guest kernel reached the agent in %.2f s\n",
		f["ready_ms"] / 1000, f["accel"], f["uptime_ms"] / 1000
	printf "  guest memory used when the agent was ready: %.1f MiB\n", f["mem_used_kib"] / 1024
	next
}
/^GUEST_MEM_USED_KIB=/ { sub(/^GUEST_MEM_USED_KIB=/, ""); printf "  guest memory used after the container (GetMetrics): %s MiB\n", $0 == "?" ? "?" : sprintf("%.1f", $0 / 1024); next }
/^exit: status=/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "  VM powered off %.2f s after DestroySandbox (kernel: %s), QEMU exit status %s\n",
		f["wait_ms"] / 1000, f["power_down"] == "yes" ? "reboot: Power down" : "no power-down line", f["status"]
	next
}
/^console: / { next }
{ print }' "$dir/boot.out"
if [ "$status" -ne 0 ]; then
	echo "demo: boot.sh exit $status; its whole output:" >&2
	cat "$dir/boot.out" >&2
	exit "$status"
fi
say "== done: the VM powered off, the proxy stopped; $dir is removed on exit"
