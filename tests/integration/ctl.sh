#!/bin/sh
# kinglet-ctl as a user meets it: help, exit codes, errors, JSON. Prints TAP.
#   KINGLET_CTL, KINGLET_AGENT   binaries under test (default build/...)
set -u
CTL=${KINGLET_CTL:-build/kinglet-ctl}
AGENT=${KINGLET_AGENT:-build/kinglet-agent}
dir=$(mktemp -d /tmp/kinglet-ctl-XXXXXX)
sock="$dir/agent.sock"
n=0
failed=0
agent_pid=""

cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# expect NAME CODE [GREP] -- COMMAND...: run, compare exit code, optionally grep stdout+stderr
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	n=$((n + 1))
	"$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "not ok $n - $name (exit $got, want $want)"
		sed 's/^/#   /' "$dir/out"
		failed=$((failed + 1))
	elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$dir/out"; then
		echo "not ok $n - $name (output lacks '$pattern')"
		sed 's/^/#   /' "$dir/out"
		failed=$((failed + 1))
	else
		echo "ok $n - $name"
	fi
}

expect "global help" 0 "Exit status" -- "$CTL" --help
expect "version flag" 0 "kinglet-ctl " -- "$CTL" --version
for c in check version guest-details set-time reseed copy-file call debug-sleep; do
	expect "$c --help" 0 "Usage: kinglet-ctl" -- "$CTL" "$c" --help
done
expect "no command" 64 "Usage" -- "$CTL"
expect "unknown command" 64 "unknown command" -- "$CTL" frobnicate
expect "no address" 64 "KINGLET_ADDR" -- env -u KINGLET_ADDR "$CTL" check
expect "bad timeout" 64 "--timeout" -- "$CTL" --timeout -3 check
expect "bad address" 64 "unknown scheme" -- "$CTL" --addr tcp://x check
expect "nothing listening" 14 "UNAVAILABLE" -- "$CTL" --addr "unix://$dir/none.sock" check
expect "nothing listening, json" 14 '"status":"UNAVAILABLE"' -- "$CTL" --json --addr "unix://$dir/none.sock" version
expect "hvsock to nowhere" 14 "cannot connect" -- "$CTL" --addr "hvsock://$dir/vm.sock:1024" check
expect "set-time bad value" 64 "SECONDS" -- "$CTL" --addr "unix://$sock" set-time yesterday
expect "reseed bad size" 64 "--bytes" -- "$CTL" --addr "unix://$sock" reseed --bytes 0

"$AGENT" --server-addr "unix://$sock" --log-level error >"$dir/agent.log" 2>&1 &
agent_pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done

expect "check" 0 "SERVING" -- "$CTL" --addr "unix://$sock" check
expect "address from KINGLET_ADDR" 0 "SERVING" -- env KINGLET_ADDR="unix://$sock" "$CTL" check
expect "version" 0 "agent version" -- "$CTL" --addr "unix://$sock" version
expect "guest-details" 0 "storage_handlers" -- "$CTL" --addr "unix://$sock" guest-details
if [ "$(id -u)" -eq 0 ]; then
	expect "reseed" 0 "sent 512 bytes" -- "$CTL" --addr "unix://$sock" reseed
fi
expect "set-time refuses bad microseconds" 64 "SECONDS" -- "$CTL" --addr "unix://$sock" set-time 1.1234567
expect "debug service off by default" 12 "UNIMPLEMENTED" -- "$CTL" --addr "unix://$sock" debug-sleep 1
expect "raw call, bad payload" 3 "INVALID_ARGUMENT" -- "$CTL" --addr "unix://$sock" call --payload-hex 0aff grpc.Health Check
expect "raw call, empty payload" 0 "0801" -- "$CTL" --addr "unix://$sock" call grpc.Health Check
expect "raw call, json" 0 '"payload_hex":"0801"' -- "$CTL" --json --addr "unix://$sock" call grpc.Health Check

kill "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
n=$((n + 1))
if [ "$rc" -eq 0 ]; then echo "ok $n - agent exits 0 on SIGTERM"; else echo "not ok $n - agent exit $rc"; failed=$((failed + 1)); fi
n=$((n + 1))
if [ ! -e "$sock" ]; then echo "ok $n - agent removes its socket file"; else echo "not ok $n - $sock left behind"; failed=$((failed + 1)); fi

echo "1..$n"
[ "$failed" -eq 0 ]
