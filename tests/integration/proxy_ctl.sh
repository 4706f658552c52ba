#!/bin/sh
# kinglet-ctl through kinglet-proxy, unchanged: check, run (stdout, exit status,
# stdin relay), create/exec/kill/rm, with a real agent behind the proxy on a
# unix socket; and a second proxy reaching the agent through the first with an
# hvsock:// upstream (the hybrid vsock handshake). Needs root; prints TAP.
#   KINGLET_CTL, KINGLET_AGENT, KINGLET_PROXY   binaries under test (default build/...)
#   MAKE_ROOTFS                                the busybox rootfs tool (default build/host/make-rootfs)
set -u
CTL=${KINGLET_CTL:-build/kinglet-ctl}
AGENT=${KINGLET_AGENT:-build/kinglet-agent}
PROXY=${KINGLET_PROXY:-build/kinglet-proxy}
MAKE_ROOTFS=${MAKE_ROOTFS:-build/host/make-rootfs}
n=0
failed=0

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
dir=$(mktemp -d /tmp/kinglet-proxyctl-XXXXXX)
R="$dir/rootfs"
agent_pid=
proxy_pid=
proxy2_pid=
cleanup() {
	[ -n "$proxy2_pid" ] && kill "$proxy2_pid" 2>/dev/null && wait "$proxy2_pid" 2>/dev/null
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# ok, not_ok, expect
# shellcheck source=tests/integration/tap.sh
. "$(dirname "$0")/tap.sh"
expect_out() {
	name=$1 want=$2
	shift 3
	"$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" -ne 0 ] || [ "$(cat "$dir/out")" != "$want" ]; then
		echo "want: $want (exit $got)" >>"$dir/out"
		not_ok "$name"
	else
		ok "$name"
	fi
}
ctl() { "$CTL" --addr "unix://$dir/proxy.sock" "$@"; }

if ! "$MAKE_ROOTFS" "$R" >"$dir/out" 2>&1; then
	echo "1..0 # SKIP cannot build the busybox rootfs: $(cat "$dir/out")"
	exit 0
fi
unshare -m -u --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
	"$AGENT" --server-addr "unix://$dir/agent.sock" --log-level warn >"$dir/agent.log" 2>&1 &
agent_pid=$!
i=0
while [ ! -S "$dir/agent.sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
"$PROXY" --agent "unix://$dir/agent.sock" --listen "unix://$dir/proxy.sock" --log "$dir/proxy.log" \
	--ready-fd 3 3>"$dir/ready" &
proxy_pid=$!
i=0
while [ "$(cat "$dir/ready" 2>/dev/null)" != "ready" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done

echo "1..11"
expect "check" 0 "SERVING" -- ctl check
expect_out "run relays stdout" "hello" -- ctl run --rootfs "$R" - echo hello
expect "run exits with the container's status" 7 "" -- ctl run --rootfs "$R" - sh -c 'exit 7'
expect_out "run -i relays stdin" "3" -- \
	sh -c "printf 'a\nb\nc\n' | '$CTL' --addr 'unix://$dir/proxy.sock' run -i --rootfs '$R' - wc -l"
expect_out "create" "c1" -- ctl create --rootfs "$R" c1 sleep 1000
expect "start" 0 "" -- ctl start c1
expect_out "exec -i" "ping" -- sh -c "echo ping | '$CTL' --addr 'unix://$dir/proxy.sock' exec -i c1 cat"
expect "exec exits with the process's status" 3 "" -- ctl exec c1 sh -c 'exit 3'
ctl kill c1 KILL >/dev/null 2>&1
ctl wait c1 >/dev/null 2>&1
expect "rm" 0 "c1" -- ctl rm c1

# An hvsock:// upstream (Firecracker's and Cloud Hypervisor's hybrid vsock): a
# second proxy reaches the agent through the first one's socket, which answers
# `CONNECT 1024` with `OK …` as those VMMs do.
"$PROXY" --agent "hvsock://$dir/proxy.sock:1024" --listen "unix://$dir/proxy2.sock" --log "$dir/proxy2.log" \
	--ready-fd 3 3>"$dir/ready2" &
proxy2_pid=$!
i=0
while [ "$(cat "$dir/ready2" 2>/dev/null)" != "ready" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
expect "check through an hvsock:// upstream" 0 "SERVING" -- "$CTL" --addr "unix://$dir/proxy2.sock" check
expect_out "run through an hvsock:// upstream" "via-hvsock" -- \
	"$CTL" --addr "unix://$dir/proxy2.sock" run --rootfs "$R" - echo via-hvsock
kill "$proxy2_pid"
wait "$proxy2_pid" 2>/dev/null
proxy2_pid=

kill "$proxy_pid"
wait "$proxy_pid"
rc=$?
proxy_pid=
if [ "$rc" -ne 0 ] || [ -e "$dir/proxy.sock" ]; then
	echo "# proxy exited $rc on SIGTERM, or left its socket"
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
