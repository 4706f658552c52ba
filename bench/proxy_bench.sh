#!/bin/sh
# proxy_bench.sh: what kinglet-proxy costs, on the host. One agent on a unix
# socket; the same clients talk to it directly and through the proxy
# (`--agent unix://…`), taking turns, the order flipping each round.
#
#   sh bench/proxy_bench.sh BUILD_DIR
#
# Rows (see bench/README.md, "Proxy"):
#   Check round trip    ttrpc-load, closed loop, PROXY_BENCH_CLIENTS connections:
#                       p50, p99 and round trips/s, each the median of the rounds
#   exec round trip     ct-bench exec (ExecProcess + WaitProcess of /bin/true in a
#                       running container), every run pooled: median and p99 (root)
#   binary size, RSS    the stripped static binary; VmRSS idle, then with 100 and
#                       1,000 connected idle clients (ttrpc-load --hold: each has
#                       completed one Check), then after they left
#
# Without $BUILD/kinglet-proxy the direct column is still measured and the
# proxy's cells say "proxy: not built".
#
#   PROXY_BENCH_SECONDS (3) measured seconds per Check run, after 0.5 s warm-up
#   PROXY_BENCH_ROUNDS (3)  rounds of everything
#   PROXY_BENCH_CLIENTS ("1 16")  connections of the Check runs
#   PROXY_BENCH_EXEC_RUNS (150)   timed execs per side, over the rounds
#   PROXY_BENCH_IDLE ("100 1000") idle client counts of the RSS rows
#   OUT (BUILD_DIR/bench/proxy.md) where the table goes too
# Exits non-zero only when a server fails or answers wrongly.
set -eu

BUILD=${1:-build}
SECONDS_RUN=${PROXY_BENCH_SECONDS:-3}
ROUNDS=${PROXY_BENCH_ROUNDS:-3}
CLIENTS=${PROXY_BENCH_CLIENTS:-1 16}
EXEC_RUNS=${PROXY_BENCH_EXEC_RUNS:-150}
IDLE_COUNTS=${PROXY_BENCH_IDLE:-100 1000}
OUT=${OUT:-$BUILD/bench/proxy.md}

AGENT=$BUILD/kinglet-agent
PROXY=$BUILD/kinglet-proxy
LOAD=$BUILD/bench/ttrpc-load
CT=$BUILD/bench/ct-bench
# Targets from the issue (KiB, as /proc reports "kB").
RATIO_TARGET=1.2
SIZE_TARGET_KIB=150
RSS100_TARGET_KIB=500
NOT_BUILT="proxy: not built"

for f in "$AGENT" "$LOAD" "$CT"; do
	[ -x "$f" ] || { echo "proxy_bench: $f is missing; run it through \`make bench-proxy\`" >&2; exit 1; }
done
have_proxy=0
[ -x "$PROXY" ] && have_proxy=1

TMP=$(cd "$BUILD" && pwd)/bench/ptmp
[ ${#TMP} -le 80 ] || { echo "proxy_bench: $TMP is too long for unix socket paths" >&2; exit 1; }
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rm -rf "$TMP"
mkdir -p "$TMP"
# 1,000 clients: as many fds in the proxy and in the load generator.
# shellcheck disable=SC3045 # dash and bash have ulimit -n; elsewhere the default stays
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

calc() { expr=$1; shift; awk "$@" "BEGIN { print $expr }" </dev/null; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
alive() { # NAME PID
	kill -0 "$2" 2>/dev/null && return 0
	echo "proxy_bench: $1 is not running any more; its log:" >&2
	cat "$TMP/$1.log" >&2 || true
	exit 1
}
wait_for() { # WHAT PID TEST-ARGS...: up to 10 s
	what=$1 pid=$2
	shift 2
	tries=0
	until test "$@"; do
		alive "$what" "$pid"
		tries=$((tries + 1))
		[ "$tries" -le 200 ] || { echo "proxy_bench: $what: no $* within 10 s" >&2; exit 1; }
		sleep 0.05
	done
}

# The agent, as root in ct-bench's private mount namespace (a tmpfs on /run),
# as run.sh runs it for the container rows; its socket is in $TMP, which the
# namespace shares.
A_SOCK=$TMP/agent.sock
P_SOCK=$TMP/proxy.sock
can_exec=0
if [ "$(id -u)" = 0 ] && [ -x /bin/busybox ]; then
	can_exec=1
	"$CT" ns-exec "$AGENT" --server-addr "unix://$A_SOCK" --log-level error >"$TMP/agent.log" 2>&1 &
else
	"$AGENT" --server-addr "unix://$A_SOCK" --log-level error >"$TMP/agent.log" 2>&1 &
fi
agent_pid=$!
pids="$agent_pid"
wait_for agent "$agent_pid" -S "$A_SOCK"

# The proxy writes its ready line to --ready-fd; the bench waits for it.
proxy_pid=""
if [ "$have_proxy" = 1 ]; then
	"$PROXY" --agent "unix://$A_SOCK" --listen "unix://$P_SOCK" --ready-fd 3 \
		3>"$TMP/proxy.ready" >"$TMP/proxy.out" 2>"$TMP/proxy.log" &
	proxy_pid=$!
	pids="$proxy_pid $pids"
	wait_for proxy "$proxy_pid" -s "$TMP/proxy.ready"
	wait_for proxy "$proxy_pid" -S "$P_SOCK"
fi

# check SIDE SOCK CLIENTS: one closed-loop run, "SIDE CLIENTS key=value..." to results.
check() {
	line=$("$LOAD" --addr "unix://$2" --clients "$3" --seconds "$SECONDS_RUN" --warmup 0.5) ||
		{ echo "proxy_bench: Check load with $3 clients ($1) failed" >&2; exit 1; }
	echo "$1 $3 $line" >>"$TMP/results"
}
# execs SIDE SOCK N: N timed execs into a fresh container, to SIDE's samples.
execs() {
	"$CT" exec --addr "unix://$2" --rootfs "$TMP/rootfs" --runs "$3" --warmup 3 --tag "pb$$" \
		--samples "$TMP/$1-exec.samples" >/dev/null ||
		{ echo "proxy_bench: exec ($1) failed; agent log:" >&2; cat "$TMP/agent.log" >&2; exit 1; }
}

: >"$TMP/results"
sides=direct
[ "$have_proxy" = 1 ] && sides="direct proxy"
sock_of() { if [ "$1" = direct ]; then echo "$A_SOCK"; else echo "$P_SOCK"; fi; }
[ "$can_exec" = 0 ] || "$CT" rootfs "$TMP/rootfs"
ex_n=$(((EXEC_RUNS + ROUNDS - 1) / ROUNDS))
echo "proxy_bench: $ROUNDS rounds: Check for ${SECONDS_RUN} s with $CLIENTS client(s)" \
	"$([ "$can_exec" = 1 ] && echo "and $ex_n execs") per side ($sides)" >&2
round=1
while [ "$round" -le "$ROUNDS" ]; do
	order=$sides
	[ $((round % 2)) = 0 ] && [ "$have_proxy" = 1 ] && order="proxy direct"
	for n in $CLIENTS; do
		for s in $order; do check "$s" "$(sock_of "$s")" "$n"; done
	done
	if [ "$can_exec" = 1 ]; then
		for s in $order; do execs "$s" "$(sock_of "$s")" "$ex_n"; done
	fi
	round=$((round + 1))
done
alive agent "$agent_pid"

# RSS: idle, with N idle clients that each completed a Check, after they left.
proxy_rss_idle="" proxy_rss_after=""
if [ "$have_proxy" = 1 ]; then
	alive proxy "$proxy_pid"
	proxy_rss_idle=$(rss "$proxy_pid")
	for n in $IDLE_COUNTS; do
		"$LOAD" --addr "unix://$P_SOCK" --clients "$n" --seconds 0.2 --warmup 0 --hold \
			>"$TMP/hold.out" 2>"$TMP/hold.log" &
		hold_pid=$!
		pids="$hold_pid $pids"
		wait_for hold "$hold_pid" -s "$TMP/hold.out"
		# Holding means every client's first Check was answered (errors=0).
		sleep 0.1
		alive hold "$hold_pid"
		alive proxy "$proxy_pid"
		echo "proxy $n rss=$(rss "$proxy_pid")" >>"$TMP/results"
		kill "$hold_pid"
		wait "$hold_pid" 2>/dev/null || true
		pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$hold_pid" | tr '\n' ' ')
	done
	# Closed connections are noticed on the next loop turn: one Check makes sure.
	"$LOAD" --addr "unix://$P_SOCK" --clients 1 --seconds 0.1 --warmup 0 >/dev/null
	proxy_rss_after=$(rss "$proxy_pid")
fi

get() { # SIDE CLIENTS KEY: that value from every round
	awk -v s="$1" -v c="$2" -v k="$3" '$1 == s && $2 == c {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$TMP/results"
}
ratio() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else calc 'sprintf("%.2f", p / d)' -v p="$2" -v d="$1"; fi; }
met() { if [ "$1" = - ]; then echo -; else calc "($1) ? \"yes\" : \"NO\""; fi; }
pcell() { if [ "$have_proxy" = 1 ]; then echo "$1"; else echo "$NOT_BUILT"; fi; }

{
	echo "## kinglet-proxy overhead (host, unix sockets)"
	echo
	echo "One kinglet-agent on a unix socket; direct clients next to the same clients through"
	echo "\`kinglet-proxy --agent unix://…\` (one upstream connection, stream IDs rewritten). $ROUNDS rounds,"
	echo "the order flipping each round; Check: median of the rounds' figures, ${SECONDS_RUN} s each;"
	echo "exec: all runs pooled. $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the end."
	echo
	echo "| Metric | direct to the agent | through kinglet-proxy | proxy/direct | Target | Met |"
	echo "|---|---|---|---|---|---|"
	for n in $CLIENTS; do
		for k in p50_us p99_us; do
			d=$(get direct "$n" "$k" | median) p=$(get proxy "$n" "$k" | median)
			r=$(ratio "$d" "$p")
			target=-
			[ "$n" = 1 ] && [ "$k" = p50_us ] && target="≤ ${RATIO_TARGET}×"
			m=-
			[ "$target" = - ] || m=$(met "$([ "$r" = - ] && echo - || echo "$r <= $RATIO_TARGET")")
			echo "| Check round trip, $n client(s), ${k%_us} | $d µs | $(pcell "$p µs") | $(pcell "$r") | $target | $m |"
		done
		d=$(get direct "$n" rps | median) p=$(get proxy "$n" rps | median)
		echo "| Check round trips/s, $n client(s) | $(calc 'sprintf("%.0f", x)' -v x="$d") |" \
			"$(pcell "$(calc 'sprintf("%.0f", x)' -v x="${p:-0}")") | $(pcell "$(ratio "$d" "$p")") | - | - |"
	done
	if [ "$can_exec" = 1 ]; then
		ds=$("$CT" stats --columns total,exec,wait "$TMP/direct-exec.samples")
		ps=""
		[ "$have_proxy" = 0 ] || ps=$("$CT" stats --columns total,exec,wait "$TMP/proxy-exec.samples")
		for k in median p99; do
			d=$(calc 'sprintf("%.0f", x)' -v x="$(field "$ds" "${k}_us")")
			p=-
			[ "$have_proxy" = 0 ] || p=$(calc 'sprintf("%.0f", x)' -v x="$(field "$ps" "${k}_us")")
			r=$(ratio "$d" "$p")
			target=- m=-
			if [ "$k" = median ]; then target="≤ ${RATIO_TARGET}×" m=$(met "$([ "$r" = - ] && echo - || echo "$r <= $RATIO_TARGET")"); fi
			echo "| exec round trip (ExecProcess + WaitProcess of /bin/true), $k, $(field "$ds" runs) runs |" \
				"$d µs | $(pcell "$p µs") | $(pcell "$r") | $target | $m |"
		done
	else
		echo "| exec round trip | needs root and /bin/busybox | | | | |"
	fi
	if [ "$have_proxy" = 1 ]; then
		size=$(stat -c %s "$PROXY")
		echo "| Stripped static binary | - | $(calc 'sprintf("%.1f KiB", s / 1024)' -v s="$size") | - |" \
			"≤ $SIZE_TARGET_KIB KiB | $(met "$size <= $SIZE_TARGET_KIB * 1024") |"
		echo "| Proxy RSS, idle (VmRSS) | - | $proxy_rss_idle KiB | - | - | - |"
		for n in $IDLE_COUNTS; do
			v=$(get proxy "$n" rss)
			target=- m=-
			if [ "$n" = 100 ]; then target="≤ $RSS100_TARGET_KIB KiB" m=$(met "$v <= $RSS100_TARGET_KIB"); fi
			echo "| Proxy RSS with $n idle clients (each did one Check) | - | $v KiB" \
				"($(calc 'sprintf("%.2f", (v - i) / n)' -v v="$v" -v i="$proxy_rss_idle" -v n="$n") KiB per client) | - | $target | $m |"
		done
		echo "| Proxy RSS after those clients left | - | $proxy_rss_after KiB | - | - | - |"
	else
		echo "| Stripped static binary, RSS idle / with 100 / 1,000 clients | - | $NOT_BUILT | - | ≤ $SIZE_TARGET_KIB KiB, ≤ $RSS100_TARGET_KIB KiB at 100 | - |"
	fi
} >"$TMP/table"
mkdir -p "$(dirname "$OUT")"
tee "$OUT" <"$TMP/table"
