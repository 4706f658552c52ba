#!/bin/sh
# Times crun and runc on the container benchmarks' workloads, the way
# ct-bench times the agent (see bench/README.md):
#
#   lifecycle  `RUNTIME run --bundle B ID` of /bin/true: create, start, wait
#              and delete in one command, as a shim or podman would run it.
#   exec       `RUNTIME exec --process P ID` of /bin/true into a container
#              started with `RUNTIME run -d` (a `sleep`), waiting for its exit.
#
#   sh bench/ct_peers.sh [options] lifecycle|exec RUNTIME...
#   sh bench/ct_peers.sh [options] probe RUNTIME COMMAND [ARG...]
#   sh bench/ct_peers.sh [options] cleanup
#
# probe runs COMMAND in the same bundle and prints its output, to compare with
# `ct-bench probe` (what the agent's container sees).
#
#   --bench BIN        ct-bench (default build/bench/ct-bench): times the
#                      commands (time-cmd) and makes the namespace (ns-exec)
#   --rootfs DIR       the busybox rootfs (`ct-bench rootfs DIR` builds it)
#   --work DIR         where the bundles are written (default: a new temporary one)
#   --runs N           timed runs per runtime (default $BENCH_CT_RUNS or 200
#                      for lifecycle, $BENCH_CT_EXEC_RUNS or 300 for exec)
#   --warmup N         untimed runs first (default 3)
#   --tag T            prefix of container ids and cgroups (default ctbpeers<pid>)
#   --samples-dir DIR  also append every time to DIR/RUNTIME-MODE.samples
#
# Prints one line per runtime: "runtime=R mode=M runs= median_us= p99_us= ...".
#
# Everything runs in a private mount namespace (ct-bench ns-exec) with a tmpfs
# on /run, the agent's setting: the runtimes' state (--root /run/ctbench-R)
# lives there, so the host's /run is never touched. The config.json is the
# grpc.Spec the agent gets from ct-bench (tests/support/test_spec.c's default)
# written as OCI JSON, plus a cgroupsPath so that both runtimes make cgroups as
# the agent does. Whatever this script started is deleted when it exits, also
# on failure or interrupt; `cleanup` kills and removes anything left in
# cgroups named TAG-* (after a crash or SIGKILL).
set -eu

BENCH=build/bench/ct-bench
ROOTFS=
WORK=
RUNS=
WARMUP=3
TAG=ctbpeers$$
SAMPLES_DIR=

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--bench) BENCH=$2; shift 2 ;;
	--rootfs) ROOTFS=$2; shift 2 ;;
	--work) WORK=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--tag) TAG=$2; shift 2 ;;
	--samples-dir) SAMPLES_DIR=$2; shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "ct_peers: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
MODE=$1
shift

# cleanup_tag: kill whatever is in cgroups named $TAG-* and remove them.
# Works from any mount namespace: the v1 hierarchies (or the v2 root) are the
# host's. The tmpfs this script puts over a hybrid host's unified/ is private
# and goes away with the namespace, so it is skipped.
cleanup_tag() {
	for d in /sys/fs/cgroup/*/"$TAG"-* /sys/fs/cgroup/"$TAG"-*; do
		[ -d "$d" ] || continue
		# Only real cgroups: in a tmpfs, cgroup.procs is a file the runtime
		# wrote, and its PIDs may belong to anyone by now.
		case $(stat -f -c %T "$d") in
		cgroupfs | cgroup2fs) ;;
		*) continue ;;
		esac
		# The groups hold a sleep or a /bin/true at most: SIGKILL until empty.
		# (cgroupfs files have size 0: read them, `test -s` says nothing.)
		tries=0
		while pids=$(cat "$d/cgroup.procs" 2>/dev/null) && [ -n "$pids" ] && [ "$tries" -lt 50 ]; do
			for pid in $pids; do
				kill -9 "$pid" 2>/dev/null || true
			done
			tries=$((tries + 1))
			sleep 0.02
		done
		rmdir "$d" 2>/dev/null || echo "ct_peers: cannot remove cgroup $d" >&2
	done
}

if [ "$MODE" = cleanup ]; then
	cleanup_tag
	exit 0
fi

case $MODE in
lifecycle) RUNS=${RUNS:-${BENCH_CT_RUNS:-200}} ;;
exec) RUNS=${RUNS:-${BENCH_CT_EXEC_RUNS:-300}} ;;
probe) RUNS=1 ;;
*) echo "ct_peers: mode must be lifecycle, exec, probe or cleanup, not $MODE" >&2; exit 2 ;;
esac
[ $# -ge 1 ] || { echo "ct_peers: which runtimes? (crun, runc)" >&2; exit 2; }
if [ "$MODE" = probe ]; then
	[ $# -ge 2 ] || { echo "ct_peers: probe RUNTIME COMMAND [ARG...]" >&2; exit 2; }
	PROBE_RT=$1
fi
[ -n "$ROOTFS" ] || { echo "ct_peers: --rootfs is required" >&2; exit 2; }
[ -x "$ROOTFS/bin/busybox" ] || { echo "ct_peers: $ROOTFS has no bin/busybox" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "ct_peers: $BENCH is missing (make bench-bins)" >&2; exit 1; }
case $TAG in
[A-Za-z0-9]*) ;;
*) echo "ct_peers: --tag must start with a letter or digit" >&2; exit 2 ;;
esac
RUNTIMES=$*
[ "$MODE" != probe ] || RUNTIMES=$PROBE_RT
for rt in $RUNTIMES; do
	case $rt in
	crun | runc) command -v "$rt" >/dev/null || { echo "ct_peers: $rt is not installed" >&2; exit 1; } ;;
	*) echo "ct_peers: runtime must be crun or runc, not $rt" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "ct_peers: needs root (namespaces, cgroups)" >&2
	exit 1
fi

# Into the private namespace first: everything below writes only there, to
# the work directory and to the TAG-* cgroups.
if [ "${CT_PEERS_IN_NS:-}" != "$$" ]; then
	# exec keeps the PID, so the child recognises the namespace it made.
	CT_PEERS_IN_NS=$$ exec "$BENCH" ns-exec env CT_PEERS_IN_NS=$$ sh "$0" \
		--bench "$BENCH" --rootfs "$ROOTFS" ${WORK:+--work "$WORK"} --runs "$RUNS" \
		--warmup "$WARMUP" --tag "$TAG" ${SAMPLES_DIR:+--samples-dir "$SAMPLES_DIR"} \
		"$MODE" "$@"
fi

ROOTFS=$(cd "$ROOTFS" && pwd)
made_work=
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d /tmp/ct-peers.XXXXXX)
	made_work=1
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case $ROOTFS$WORK in
*'"'* | *\\*) echo "ct_peers: paths with quotes or backslashes cannot go into config.json" >&2; exit 1 ;;
esac

# Running containers to delete on the way out, as "runtime id" lines.
LIVE=$WORK/live.$$
: >"$LIVE"
on_exit() {
	rc=$?
	trap - EXIT INT TERM
	while read -r rt id; do
		"$rt" --root "/run/ctbench-$rt" delete -f "$id" >/dev/null 2>&1 || true
	done <"$LIVE"
	for rt in crun runc; do
		# A lifecycle run interrupted between create and delete, or anything else.
		for id in $("$rt" --root "/run/ctbench-$rt" list -q 2>/dev/null); do
			"$rt" --root "/run/ctbench-$rt" delete -f "$id" >/dev/null 2>&1 || true
		done
	done
	cleanup_tag
	rm -f "$LIVE"
	[ -z "$made_work" ] || rm -rf "$WORK"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# process_json ARGS: the process section of ct-bench's spec, running ARGS
# (already JSON strings, comma-separated).
process_json() {
	cat <<EOF
{
	"terminal": false,
	"user": { "uid": 0, "gid": 0 },
	"args": [ $1 ],
	"env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ],
	"cwd": "/",
	"capabilities": {
		"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
		"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
		"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
	},
	"rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
	"noNewPrivileges": true
}
EOF
}

# write_bundle DIR CGROUP ARGS: config.json equivalent to test_spec_init()
# (tests/support/test_spec.c): namespaces pid, ipc, uts, mount (no network,
# no cgroup); proc, /dev tmpfs, devpts, shm, mqueue, read-only sysfs with the
# same options; the same masked and read-only paths; root not read-only; a
# deny-all device list (the runtimes add their default allowed devices, the
# agent its own equivalent rules). Only the cgroupsPath is added.
write_bundle() {
	mkdir -p "$1"
	cat >"$1/config.json" <<EOF
{
"ociVersion": "1.0.2",
"process": $(process_json "$3"),
"root": { "path": "$ROOTFS", "readonly": false },
"mounts": [
	{ "destination": "/proc", "type": "proc", "source": "proc",
	  "options": [ "nosuid", "noexec", "nodev" ] },
	{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
	  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
	{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
	  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
	{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
	  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
	{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
	  "options": [ "nosuid", "noexec", "nodev" ] },
	{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
	  "options": [ "nosuid", "noexec", "nodev", "ro" ] }
],
"linux": {
	"cgroupsPath": "$2",
	"resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
	"namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ],
	"maskedPaths": [ "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi" ],
	"readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
}
}
EOF
}

# time_it RUNTIME MODE COMMAND...: ct-bench time-cmd, with the result line labelled.
time_it() {
	rt=$1 mode=$2
	shift 2
	samples=
	[ -z "$SAMPLES_DIR" ] || samples="--samples $SAMPLES_DIR/$rt-$mode.samples"
	# shellcheck disable=SC2086 # $samples is two words or none
	line=$("$BENCH" time-cmd --runs "$RUNS" --warmup "$WARMUP" $samples -- "$@")
	echo "runtime=$rt mode=$mode $line"
}

if [ "$MODE" = probe ]; then
	shift
	args=
	for a in "$@"; do
		case $a in
		*'"'* | *\\*) echo "ct_peers: probe arguments cannot hold quotes or backslashes" >&2; exit 2 ;;
		esac
		args="$args${args:+, }\"$a\""
	done
	rt=$PROBE_RT
	write_bundle "$WORK/$rt-probe" "/$TAG-$rt-probe" "$args"
	echo "$rt $TAG-$rt-probe" >>"$LIVE"
	"$rt" --root "/run/ctbench-$rt" run --bundle "$WORK/$rt-probe" "$TAG-$rt-probe" </dev/null
	exit 0
fi

for rt in $RUNTIMES; do
	state=/run/ctbench-$rt
	case $MODE in
	lifecycle)
		id=$TAG-$rt-lc
		write_bundle "$WORK/$rt-lc" "/$id" '"/bin/true"'
		time_it "$rt" lifecycle "$rt" --root "$state" run --bundle "$WORK/$rt-lc" "$id"
		;;
	exec)
		id=$TAG-$rt-ex
		write_bundle "$WORK/$rt-ex" "/$id" '"sleep", "1000000"'
		process_json '"/bin/true"' >"$WORK/$rt-ex/process.json"
		echo "$rt $id" >>"$LIVE"
		# Detached: the sleep must not hold our stdout (a pipe to run.sh) open.
		"$rt" --root "$state" run -d --bundle "$WORK/$rt-ex" "$id" </dev/null >/dev/null
		time_it "$rt" exec "$rt" --root "$state" exec --process "$WORK/$rt-ex/process.json" "$id"
		"$rt" --root "$state" delete -f "$id"
		;;
	esac
done
