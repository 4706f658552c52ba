#!/bin/sh
# kinglet-ctl's container commands against a real agent, as a person uses them:
# run/create/start/exec/kill/wait/rm/ps/stats/pause/resume/update/oom-events,
# stdio relay, exit codes. Needs root; prints TAP.
#   KINGLET_CTL, KINGLET_AGENT   binaries under test (default build/...)
#   MAKE_ROOTFS                  the tool that builds the busybox rootfs (default build/host/make-rootfs)
set -u
CTL=${KINGLET_CTL:-build/kinglet-ctl}
AGENT=${KINGLET_AGENT:-build/kinglet-agent}
MAKE_ROOTFS=${MAKE_ROOTFS:-build/host/make-rootfs}
n=0
failed=0
agent_pid=""

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP containers need root"
	exit 0
fi

dir=$(mktemp -d /tmp/kinglet-ctlc-XXXXXX)
sock="$dir/agent.sock"
R="$dir/rootfs"

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

# ok, not_ok, expect
# shellcheck source=tests/integration/tap.sh
. "$(dirname "$0")/tap.sh"

# expect_out NAME WANT -- COMMAND...: exit 0 and stdout exactly WANT
expect_out() {
	name=$1 want=$2
	shift 3
	"$@" >"$dir/out" 2>"$dir/err"
	got=$?
	if [ "$got" -ne 0 ]; then
		cat "$dir/err" >>"$dir/out"
		not_ok "$name (exit $got)"
	elif [ "$(cat "$dir/out")" != "$want" ]; then
		echo "want: $want" >>"$dir/out"
		not_ok "$name (unexpected output)"
	else
		ok "$name"
	fi
}

ctl() { "$CTL" --addr "unix://$sock" "$@"; }

if ! "$MAKE_ROOTFS" "$R" >"$dir/out" 2>&1; then
	echo "1..0 # SKIP cannot build the busybox rootfs: $(cat "$dir/out")"
	exit 0
fi

# The agent gets a private mount and UTS namespace and its own /run, as in a
# guest; fd 9 is left open without O_CLOEXEC to show that containers never
# inherit what the agent was given.
unshare -m -u --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
	"$AGENT" --server-addr "unix://$sock" --log-level warn 9>"$dir/inherited" >"$dir/agent.log" 2>&1 &
agent_pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done

# --- run: output, exit status, stdin, terminal, process flags -------------------------
expect_out "run relays stdout" "hello" -- ctl run --rootfs "$R" - echo hello
expect "run exits with the container's status" 7 "" -- ctl run --rootfs "$R" - sh -c 'exit 7'
expect_out "run relays stderr apart from stdout" "" -- ctl run --rootfs "$R" - sh -c 'echo oops >&2'
expect "run shows stderr" 0 "oops" -- ctl run --rootfs "$R" - sh -c 'echo oops >&2'
expect_out "run -i forwards stdin until EOF" "$(printf 'line one\nline two')" -- \
	sh -c "printf 'line one\nline two\n' | '$CTL' --addr 'unix://$sock' run -i --rootfs '$R' - cat"
expect_out "run -i: stdin EOF reaches the process" "3" -- \
	sh -c "printf 'a\nb\nc\n' | '$CTL' --addr 'unix://$sock' run -i --rootfs '$R' - wc -l"
# A terminal turns "\n" into "\r\n" on output (ONLCR), as it does for any program.
expect_out "run -t gives the process a terminal" "tty" -- sh -c "'$CTL' --addr 'unix://$sock' run -t \
	--rootfs '$R' - sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty' | tr -d '\r'"
# A person at a terminal: script(1) gives kinglet-ctl a pty of 33x99; the shell
# inside sees that size, runs what is typed and its exit status comes back.
if command -v script >/dev/null 2>&1; then
	(sleep 0.3; printf 'stty size; echo $((6*7))\n'; sleep 0.3; printf 'exit 5\n') |
		script -qec "stty rows 33 cols 99; '$CTL' --addr 'unix://$sock' run -i -t --rootfs '$R' - sh" /dev/null \
		>"$dir/out" 2>&1
	rc=$?
	if [ "$rc" -eq 5 ] && tr -d '\r' <"$dir/out" | grep -qx "33 99" && tr -d '\r' <"$dir/out" | grep -qx 42; then
		ok "run -i -t: an interactive shell with the caller's window size"
	else
		echo "exit $rc" >>"$dir/out"
		not_ok "run -i -t: an interactive shell with the caller's window size"
	fi
else
	ok "run -i -t: an interactive shell # SKIP script(1) is not installed"
fi
expect_out "no terminal without -t" "pipes" -- ctl run --rootfs "$R" - sh -c 'test -t 1 || echo pipes'
expect_out "--env and --cwd" "bar /tmp" -- ctl run -e FOO=bar -w /tmp --rootfs "$R" - sh -c 'echo $FOO $(pwd)'
expect_out "--env replaces an inherited variable" "/x" -- ctl run -e PATH=/x --rootfs "$R" - /bin/sh -c 'echo $PATH'
expect_out "--user numeric" "1000:29" -- ctl run -u 1000:29 --rootfs "$R" - sh -c 'echo $(id -u):$(id -g)'
expect_out "--user names from the container's /etc/passwd and /etc/group" \
	"uid=1000(app) gid=29(audio) groups=10(wheel),29(audio)" -- ctl run -u app:audio --rootfs "$R" - id
expect "--user unknown name" 125 "not in the container's /etc/passwd" -- ctl run -u ghost --rootfs "$R" - id
expect_out "--hostname" "box" -- ctl run --hostname box --rootfs "$R" - hostname
expect_out "the process is PID 1 of its namespace" "1" -- ctl run --rootfs "$R" - sh -c 'echo $$'
expect_out "inherited fds stay with the agent" "0 1 2 3" -- ctl run --rootfs "$R" - sh -c 'echo $(ls /proc/self/fd)'
expect_out "--memory and --pids reach the container's cgroup" "67108864 12" -- ctl run --memory 64m --pids 12 \
	--rootfs "$R" - sh -c 'for f in memory/memory.limit_in_bytes memory.max pids/pids.max pids.max; do
		[ -f /sys/fs/cgroup/$f ] && v="${v:+$v }$(cat /sys/fs/cgroup/$f)"; done; echo "$v"'
expect "--cpus" 0 "" -- ctl run --cpus 0.5 --rootfs "$R" - true
expect "a missing binary is refused with the reason" 125 "not found" -- ctl run --rootfs "$R" - no-such-program
expect "a bad container id is refused" 125 "INVALID_ARGUMENT" -- ctl run --rootfs "$R" a/b true
expect "a rootfs that does not exist" 125 "" -- ctl run --rootfs "$dir/nowhere" - true
expect "run needs a command with --rootfs" 64 "needs the command" -- ctl run --rootfs "$R" x
expect "run needs one of --rootfs and --bundle" 64 "exactly one of" -- ctl run x true
expect "--memory validates its value" 64 "size like 64m" -- ctl run --memory lots --rootfs "$R" - true

# --- the long-lived flow: detach, ps, exec, stats, pause, resume, update, kill, wait, rm --
expect_out "run -d prints the id" "c1" -- ctl run -d --memory 64m --rootfs "$R" c1 sleep 1000
expect "ps lists it running" 0 "c1  *running" -- ctl ps
expect "ps --json" 0 '"id":"c1","state":"running"' -- ctl --json ps
expect_out "exec with --env and --cwd" "1 /tmp" -- ctl exec -e X=1 -w /tmp c1 sh -c 'echo $X $(pwd)'
expect_out "exec sees the container's processes" "1" -- ctl exec c1 pidof sleep
expect "exec exits with the process's status" 3 "" -- ctl exec c1 sh -c 'exit 3'
expect_out "exec -i" "ping" -- sh -c "echo ping | '$CTL' --addr 'unix://$sock' exec -i c1 cat"
expect "stats shows the memory limit" 0 "of 67108864" -- ctl stats c1
expect "stats --json" 0 '"memory_limit_bytes":67108864' -- ctl --json stats c1
expect "pause" 0 "" -- ctl pause c1
expect "ps shows it paused" 0 "c1  *paused" -- ctl ps
expect "resume" 0 "" -- ctl resume c1
expect "ps shows it running again" 0 "c1  *running" -- ctl ps
expect "update --memory" 0 "" -- ctl update --memory 96m c1
expect "stats shows the new limit" 0 "of 100663296" -- ctl stats c1
expect "update needs a limit to change" 64 "" -- ctl update c1
expect "kill with a signal name" 0 "" -- ctl kill c1 KILL
expect_out "wait prints 128+signal" "137" -- ctl wait c1
expect "exec into a stopped container" 125 "FAILED_PRECONDITION" -- ctl exec c1 true
expect_out "rm" "c1" -- ctl rm c1
expect "rm of an unknown container is NOT_FOUND" 5 "NOT_FOUND" -- ctl rm c1
expect "kill of an unknown container is NOT_FOUND" 5 "NOT_FOUND" -- ctl kill c1

# --- create and start apart --------------------------------------------------------------
expect_out "create" "c2" -- ctl create --rootfs "$R" c2 sh -c 'exit 4'
expect "ps shows it created" 0 "c2  *created" -- ctl ps
expect "a second create with the same id" 6 "ALREADY_EXISTS" -- ctl create --rootfs "$R" c2 true
expect "start" 0 "" -- ctl start c2
expect_out "wait after start" "4" -- ctl wait c2
expect "start twice" 9 "FAILED_PRECONDITION" -- ctl start c2
expect "rm of a stopped container" 0 "" -- ctl rm c2
expect "start of an unknown container" 5 "NOT_FOUND" -- ctl start c2

# --- an OCI bundle written by hand -------------------------------------------------------
mkdir -p "$dir/bundle"
cat >"$dir/bundle/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 1000, "gid": 1000 },
    "args": ["sh", "-c", "echo \$GREETING \$(hostname) \$(id -u); touch /x 2>/dev/null || echo ro"],
    "env": ["PATH=/bin:/usr/bin", "GREETING=hi"],
    "cwd": "/",
    "noNewPrivileges": true
  },
  "root": { "path": "$R", "readonly": true },
  "hostname": "bundled",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"] }
  ],
  "linux": {
    "namespaces": [ { "type": "pid" }, { "type": "mount" }, { "type": "uts" }, { "type": "ipc" } ]
  }
}
EOF
expect_out "run --bundle" "hi bundled 1000
ro" -- ctl run --bundle "$dir/bundle" -
expect "--bundle takes no command" 64 "comes from config.json" -- ctl run --bundle "$dir/bundle" - true
echo '{ "ociVersion": "1.0.2", "process": ' >"$dir/bundle/config.json"
expect "a broken config.json is reported" 66 "config.json" -- ctl run --bundle "$dir/bundle" -
expect "a bundle without config.json" 66 "config.json" -- ctl run --bundle "$dir/nowhere" -

# --- OOM events ---------------------------------------------------------------------------
ctl oom-events --count 1 >"$dir/oom" 2>&1 &
oom_pid=$!
sleep 0.2
expect "a container over its memory limit" 0 "" -- ctl run -d --memory 32m --rootfs "$R" hog tail /dev/zero
expect_out "wait: the OOM killer's SIGKILL" "137" -- ctl wait hog
i=0
while kill -0 "$oom_pid" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
if wait "$oom_pid" && grep -q hog "$dir/oom"; then
	ok "oom-events names the container"
else
	cp "$dir/oom" "$dir/out"
	not_ok "oom-events names the container"
fi
expect "rm hog" 0 "" -- ctl rm hog
expect_out "nothing is left" "CONTAINER                STATE     PID     RUNNING" -- ctl ps

kill "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
if [ "$rc" -eq 0 ]; then ok "agent exits 0 on SIGTERM"; else echo "agent exit $rc" >"$dir/out"; not_ok "agent exit"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
