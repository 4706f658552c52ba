#!/bin/sh
# make demo: start kinglet-agent on a unix socket, talk to it with
# kinglet-ctl, stop it. Everything stays in a temporary directory.
set -eu
BUILD=${1:-build}
AGENT="$BUILD/kinglet-agent"
CTL="$BUILD/kinglet-ctl"
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

step "$AGENT --server-addr unix://$sock &"
"$AGENT" --server-addr "unix://$sock" --log-level info 2>"$dir/agent.log" &
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
step "$CTL --addr unix://$sock call grpc.AgentService CreateContainer   # later issues implement it"
"$CTL" --addr "unix://$sock" call grpc.AgentService CreateContainer || echo "(exit status $?: the gRPC code)"

step "kill -TERM $pid"
kill "$pid"
wait "$pid"
echo "agent exited with status $?"
pid=""
echo
echo "agent log:"
sed 's/^/  /' "$dir/agent.log"
