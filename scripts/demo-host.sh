#!/bin/sh
# make demo-host: start kinglet-agent on a unix socket, talk to it with
# kinglet-ctl, run containers from a busybox root filesystem (as root), stop
# it. Everything stays in a temporary directory; as root the agent gets its own
# mount namespace and /run, as it would have in a guest.
set -eu
BUILD=${1:-build}
AGENT="$BUILD/kinglet-agent"
CTL="$BUILD/kinglet-ctl"
MAKE_ROOTFS="$BUILD/host/make-rootfs"
dir=$(mktemp -d /tmp/kinglet-demo-XXXXXX)
sock="$dir/agent.sock"
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

if [ -t 1 ]; then bold='\033[1m' plain='\033[0m'; else bold='' plain=''; fi
step() { printf "\n${bold}\$ %s${plain}\n" "$*"; }

if readelf -l "$AGENT" 2>/dev/null | grep -q INTERP; then linkage=dynamic; else linkage=static; fi
printf 'kinglet-agent: %s bytes, %s, stripped\n' "$(stat -c %s "$AGENT")" "$linkage"

if [ "$(id -u)" -eq 0 ]; then
	step "unshare -m -u sh -c 'mount -t tmpfs tmpfs /run; exec $AGENT --server-addr unix://$sock' &"
	unshare -m -u --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
		"$AGENT" --server-addr "unix://$sock" --log-level info 2>"$dir/agent.log" &
else
	step "$AGENT --server-addr unix://$sock &"
	"$AGENT" --server-addr "unix://$sock" --log-level info 2>"$dir/agent.log" &
fi
pid=$!
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "agent did not start:" >&2
		cat "$dir/agent.log" >&2
		exit 1
	fi
	sleep 0.01
done
printf 'agent running as pid %s, idle RSS %s\n' "$pid" "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ' | cut -d' ' -f2-)"

step "$CTL --addr unix://$sock check"
"$CTL" --addr "unix://$sock" check
step "$CTL --addr unix://$sock version"
"$CTL" --addr "unix://$sock" version
step "$CTL --addr unix://$sock --json guest-details"
"$CTL" --addr "unix://$sock" --json guest-details
ctl() { "$CTL" --addr "unix://$sock" "$@"; }
if [ "$(id -u)" -ne 0 ]; then
	echo
	echo "(containers need root: run 'sudo make demo' to see them)"
else
	rootfs="$dir/rootfs"
	step "$MAKE_ROOTFS $rootfs   # busybox from Debian's busybox-static"
	"$MAKE_ROOTFS" "$rootfs"
	du -sh "$rootfs" | cut -f1
	step "kinglet-ctl run --rootfs $rootfs --hostname demo --memory 64m - sh -c '...'"
	ctl run --rootfs "$rootfs" --hostname demo --memory 64m - sh -c \
		'echo "hello from $(hostname), I am PID $$"; id; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	step "echo hello | kinglet-ctl run -i --rootfs $rootfs - tr a-z A-Z"
	echo hello | ctl run -i --rootfs "$rootfs" - tr a-z A-Z
	step "kinglet-ctl run --rootfs $rootfs - sh -c 'exit 3'"
	ctl run --rootfs "$rootfs" - sh -c 'exit 3' || echo "(exit status $?: the container's)"
	step "kinglet-ctl run -d --memory 32m --pids 16 --rootfs $rootfs web sleep 600"
	ctl run -d --memory 32m --pids 16 --rootfs "$rootfs" web sleep 600
	step "kinglet-ctl exec -u app web sh -c 'id; ps'"
	ctl exec -u app web sh -c 'id; ps'
	step "kinglet-ctl ps"
	ctl ps
	step "kinglet-ctl pause web && kinglet-ctl ps && kinglet-ctl resume web"
	ctl pause web && ctl ps && ctl resume web
	step "kinglet-ctl update --memory 48m web && kinglet-ctl stats web"
	ctl update --memory 48m web && ctl stats web
	step "kinglet-ctl rm web"
	ctl rm web
	printf 'agent RSS after the containers: %s\n' "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ' | cut -d' ' -f2-)"
fi

step "kill -TERM $pid"
kill "$pid"
wait "$pid"
echo "agent exited with status $?"
pid=""
echo
echo "agent log:"
sed 's/^/  /' "$dir/agent.log"
