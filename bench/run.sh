#!/bin/sh
# The benchmark table (see bench/README.md): binary size, RSS and
# grpc.Health/Check throughput/latency of kinglet-agent next to containerd's Go
# ttrpc server, measured in the same run. `make bench` builds everything first;
# this script builds nothing.
#
#   sh bench/run.sh BUILD_DIR
#
# Environment: BENCH_SECONDS (5), BENCH_WARMUP (1), BENCH_CLIENTS ("1 16"),
# BENCH_ROUNDS (3).
# Exits non-zero only when a server fails to start or answers wrongly: a
# missed target is a result, not a failure.
set -eu

BUILD=${1:-build}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_CLIENTS=${BENCH_CLIENTS:-1 16}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}

AGENT=$BUILD/kinglet-agent
GO_SERVER=$BUILD/bench/go-ttrpc-server
LOAD=$BUILD/bench/ttrpc-load
OUT=$BUILD/bench/results.md

# Targets from the issue. KiB throughout, as /proc reports "kB".
SIZE_TARGET_KIB=400
RSS_TARGET_KIB=400
RPS_TARGET_RATIO=2

for f in "$AGENT" "$GO_SERVER" "$LOAD"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing; run it through \`make bench\`" >&2
		exit 1
	fi
done

# Sockets need absolute paths (unix:///...) that fit in sun_path.
TMP=$(cd "$BUILD" && pwd)/bench/tmp
if [ ${#TMP} -gt 80 ]; then
	echo "bench: $TMP is too long for unix socket paths; use a shorter BUILD" >&2
	exit 1
fi

# PIDs of the servers still running, for the exit trap.
server_pids=""
cleanup() {
	for pid in $server_pids; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A failed run must not leave the previous table looking current.
rm -f "$OUT"
rm -rf "$TMP"
mkdir -p "$TMP"
RESULTS=$TMP/results
: >"$RESULTS"
CLK_TCK=$(getconf CLK_TCK)

# calc EXPR [VAR=VALUE...]: floating point in awk, since sh has only integers.
calc() {
	expr=$1
	shift
	awk "$@" "BEGIN { print $expr }" </dev/null
}

status_field() { # PID FIELD: the number in a /proc/PID/status line ("kB" for Vm*)
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

cpu_ticks() { # PID: user + system time so far, in clock ticks
	# comm (field 2) has no spaces for these two binaries.
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# cpu_busy_total: "BUSY TOTAL" jiffies over all CPUs; busy is neither idle nor
# iowait. Fields 2-9 only: guest time is already counted in user time.
cpu_busy_total() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' \
		/proc/stat
}

alive() { # NAME PID: fail with the server's log if it is gone
	if ! kill -0 "$2" 2>/dev/null; then
		echo "bench: $1 is not running any more:" >&2
		cat "$TMP/$1.log" >&2
		exit 1
	fi
}

# start_server NAME SOCKET COMMAND...: runs it in the background, waits until
# its socket exists, and leaves its PID in $started_pid.
start_server() {
	name=$1 sock=$2
	shift 2
	"$@" >"$TMP/$name.log" 2>&1 &
	started_pid=$!
	server_pids="$server_pids $started_pid"
	tries=0
	while [ ! -S "$sock" ]; do
		alive "$name" "$started_pid"
		tries=$((tries + 1))
		if [ "$tries" -gt 200 ]; then
			echo "bench: $name did not create $sock within 10 s" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# load NAME SOCKET PID CLIENTS ROUND: one closed-loop run; appends
# "NAME CLIENTS/ROUND key=value..." to the results, with the server's CPU ticks.
load() {
	t0=$(cpu_ticks "$3")
	if ! line=$("$LOAD" --addr "unix://$2" --clients "$4" \
		--seconds "$BENCH_SECONDS" --warmup "$BENCH_WARMUP"); then
		echo "bench: Check load against $1 with $4 clients failed" >&2
		exit 1
	fi
	t1=$(cpu_ticks "$3")
	echo "$1 $4/$5 $line server_ticks=$((t1 - t0))" >>"$RESULTS"
}

K_SOCK=$TMP/kinglet.sock
G_SOCK=$TMP/go.sock
start_server kinglet "$K_SOCK" "$AGENT" --server-addr "unix://$K_SOCK" --log-level error
k_pid=$started_pid
start_server go "$G_SOCK" "$GO_SERVER" -addr "$G_SOCK"
g_pid=$started_pid

# Let them settle: the figure wanted is what a waiting agent costs. Both are
# idle now, so whatever CPU the machine uses meanwhile is someone else's.
busy0=$(cpu_busy_total)
sleep 1
busy1=$(cpu_busy_total)
OTHER_PCT=$(calc 'sprintf("%.0f", (t1 - t0) ? 100 * (b1 - b0) / (t1 - t0) : 0)' \
	-v b0="${busy0% *}" -v t0="${busy0#* }" -v b1="${busy1% *}" -v t1="${busy1#* }")
echo "kinglet 0 rss_idle=$(status_field "$k_pid" VmRSS)" >>"$RESULTS"
echo "go 0 rss_idle=$(status_field "$g_pid" VmRSS)" >>"$RESULTS"

echo "bench: $BENCH_ROUNDS rounds of ${BENCH_SECONDS} s (+${BENCH_WARMUP} s warm-up) per server" \
	"and client count ($BENCH_CLIENTS); other work used ${OTHER_PCT}% of the CPUs just before" >&2
# Both servers stay up and take turns, the order flipping each time, over
# several rounds; the table shows each side's median round. A neighbour's
# burst of work then hits one round of one side, not the whole comparison.
# The idle server costs nothing meanwhile: both block in epoll.
flip=0
round=1
while [ "$round" -le "$BENCH_ROUNDS" ]; do
	for n in $BENCH_CLIENTS; do
		if [ "$flip" -eq 0 ]; then
			load kinglet "$K_SOCK" "$k_pid" "$n" "$round"
			load go "$G_SOCK" "$g_pid" "$n" "$round"
			flip=1
		else
			load go "$G_SOCK" "$g_pid" "$n" "$round"
			load kinglet "$K_SOCK" "$k_pid" "$n" "$round"
			flip=0
		fi
	done
	round=$((round + 1))
done

finish_server() { # NAME PID: memory after the load, then stop it
	alive "$1" "$2"
	echo "$1 0 rss_after=$(status_field "$2" VmRSS) rss_peak=$(status_field "$2" VmHWM)" \
		"threads=$(status_field "$2" Threads)" >>"$RESULTS"
	kill "$2"
	wait "$2" 2>/dev/null || true
}
finish_server kinglet "$k_pid"
finish_server go "$g_pid"
server_pids=""

# get NAME RUN KEY: one value from the results file; RUN is 0 for the
# memory figures, CLIENTS/ROUND for a load run.
get() {
	awk -v n="$1" -v c="$2" -v k="$3" '
		$1 == n && $2 == c {
			for (i = 3; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == k) { print kv[2]; exit }
			}
		}' "$RESULTS"
}

TABLE=$TMP/table
: >"$TABLE"
row() { # columns, tab-separated
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"
}
met() { # CONDITION (awk)
	calc "($1) ? \"yes\" : \"NO\""
}

row "Metric" "kinglet" "Go ttrpc" "kinglet/Go" "Target" "Met"

k_size=$(stat -c %s "$AGENT")
g_size=$(stat -c %s "$GO_SERVER")
row "Stripped binary size" \
	"$(calc 'sprintf("%.1f KiB", k / 1024)' -v k="$k_size")" \
	"$(calc 'sprintf("%.1f KiB", g / 1024)' -v g="$g_size")" \
	"$(calc 'sprintf("%.3f", k / g)' -v k="$k_size" -v g="$g_size")" \
	"<= $SIZE_TARGET_KIB KiB" \
	"$(met "$k_size <= $SIZE_TARGET_KIB * 1024")"

k_rss=$(get kinglet 0 rss_idle)
g_rss=$(get go 0 rss_idle)
row "Idle RSS (VmRSS, 1 s after start)" "$k_rss KiB" "$g_rss KiB" \
	"$(calc 'sprintf("%.3f", k / g)' -v k="$k_rss" -v g="$g_rss")" \
	"<= $RSS_TARGET_KIB KiB" "$(met "$k_rss <= $RSS_TARGET_KIB")"

k_after=$(get kinglet 0 rss_after)
g_after=$(get go 0 rss_after)
row "RSS after the load runs (VmRSS)" "$k_after KiB" "$g_after KiB" \
	"$(calc 'sprintf("%.3f", k / g)' -v k="$k_after" -v g="$g_after")" "-" "-"
k_peak=$(get kinglet 0 rss_peak)
g_peak=$(get go 0 rss_peak)
row "Peak RSS (VmHWM)" "$k_peak KiB" "$g_peak KiB" \
	"$(calc 'sprintf("%.3f", k / g)' -v k="$k_peak" -v g="$g_peak")" "-" "-"
row "Server threads after load" "$(get kinglet 0 threads)" "$(get go 0 threads)" "-" "-" "-"

# median_round NAME CLIENTS: the round whose round trips/s is the median
# (the lower middle one for an even count).
median_round() {
	awk -v n="$1" -v c="$2" '
		$1 == n && index($2, c "/") == 1 {
			split($2, cr, "/")
			for (i = 3; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "rps") print kv[2], cr[2]
			}
		}' "$RESULTS" | sort -g | awk '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }'
}

# all_rps NAME CLIENTS: every round's round trips/s, in round order.
all_rps() {
	r=1 list=""
	while [ "$r" -le "$BENCH_ROUNDS" ]; do
		list="$list${list:+, }$(calc 'sprintf("%.0f", x)' -v x="$(get "$1" "$2/$r" rps)")"
		r=$((r + 1))
	done
	echo "$list"
}

clients_label() {
	if [ "$1" = 1 ]; then echo "1 client"; else echo "$1 clients"; fi
}

notes=""
for n in $BENCH_CLIENTS; do
	c=$(clients_label "$n")
	kr=$n/$(median_round kinglet "$n")
	gr=$n/$(median_round go "$n")
	k_rps=$(get kinglet "$kr" rps)
	g_rps=$(get go "$gr" rps)
	row "Check round trips/s, $c" \
		"$(calc 'sprintf("%.0f", k)' -v k="$k_rps")" \
		"$(calc 'sprintf("%.0f", g)' -v g="$g_rps")" \
		"$(calc 'sprintf("%.2f", k / g)' -v k="$k_rps" -v g="$g_rps")" \
		">= ${RPS_TARGET_RATIO}x Go" \
		"$(met "$k_rps >= $RPS_TARGET_RATIO * $g_rps")"
	for p in p50 p99; do
		k=$(get kinglet "$kr" "${p}_us")
		g=$(get go "$gr" "${p}_us")
		row "Check $p latency, $c" "$k us" "$g us" \
			"$(calc 'sprintf("%.2f", k / g)' -v k="$k" -v g="$g")" "-" "-"
	done
	# Server CPU time per request: the cost of a Check independent of how
	# the two cores were shared. Ticks cover warm-up + window.
	k_cpu=$(calc 't / hz / (w + s) * 1e6 / r' -v t="$(get kinglet "$kr" server_ticks)" \
		-v hz="$CLK_TCK" -v w="$BENCH_WARMUP" -v s="$BENCH_SECONDS" -v r="$k_rps")
	g_cpu=$(calc 't / hz / (w + s) * 1e6 / r' -v t="$(get go "$gr" server_ticks)" \
		-v hz="$CLK_TCK" -v w="$BENCH_WARMUP" -v s="$BENCH_SECONDS" -v r="$g_rps")
	row "Server CPU per Check, $c" \
		"$(calc 'sprintf("%.1f us", k)' -v k="$k_cpu")" \
		"$(calc 'sprintf("%.1f us", g)' -v g="$g_cpu")" \
		"$(calc 'sprintf("%.2f", k / g)' -v k="$k_cpu" -v g="$g_cpu")" "-" "-"
	notes="$notes
- $c: round trips/s per round: kinglet $(all_rps kinglet "$n"); Go $(all_rps go "$n").
  In the median rounds the load generator used $(get kinglet "$kr" client_cpu_pct)% of a core\
 against kinglet and $(get go "$gr" client_cpu_pct)% against Go; max latency\
 $(get kinglet "$kr" max_us) us and $(get go "$gr" max_us) us."
done

# Markdown table padded to aligned columns (ASCII only, so byte widths are
# display widths in any awk).
format_table() {
	awk -F '\t' '
		{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END {
			for (r = 1; r <= NR; r++) {
				line = "|"
				for (i = 1; i <= NF; i++) {
					# Numbers right-aligned, words left-aligned.
					if (r > 1 && i > 1 && cell[r, i] ~ /^[0-9.]/)
						line = line sprintf(" %" w[i] "s |", cell[r, i])
					else
						line = line sprintf(" %-" w[i] "s |", cell[r, i])
				}
				print line
				if (r == 1) {
					line = "|"
					for (i = 1; i <= NF; i++) {
						dash = ""
						for (j = 0; j < w[i] + 2; j++) dash = dash "-"
						line = line dash "|"
					}
					print line
				}
			}
		}' "$TABLE"
}

go_version=$(go version "$GO_SERVER" 2>/dev/null | awk '{ print $NF }') || go_version=""
cpu_model=$(awk -F ': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

{
	echo "# kinglet benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu_model); Linux $(uname -r);"
	busy=$(calc '(p > 10) ? ": the machine was not idle, expect noise" : ""' -v p="$OTHER_PCT")
	echo "other work used ${OTHER_PCT}% of the CPUs in the second before the runs$busy."
	ttrpc_version=$(dpkg-query -W -f '${Version}' golang-github-containerd-ttrpc-dev 2>/dev/null) ||
		ttrpc_version="?"
	echo "Go peer: containerd/ttrpc $ttrpc_version (Debian golang-github-containerd-ttrpc-dev), built"
	echo "with ${go_version:-go ?}, GOMAXPROCS default ($(nproc))."
	echo "grpc.Health/Check over a unix socket, closed loop (one request in flight per"
	echo "connection). Each load row is the median of $BENCH_ROUNDS rounds of ${BENCH_SECONDS} s measured after"
	echo "${BENCH_WARMUP} s warm-up, the two servers taking turns; the load generator and the server"
	echo "share the machine's cores. kinglet/Go < 1 is better for sizes, memory, latency and"
	echo "CPU; > 1 is better for round trips/s."
	echo
	format_table
	echo
	echo "Notes:$notes"
	echo
	echo "## Published, not measured here"
	echo
	echo "- Kata agent (Rust, musl, release build), stripped: 14-23 MB. 30 MB -> 23 MB"
	echo "  after strip in the guest rootfs (kata-containers/kata-containers#8011, PR #8012,"
	echo "  2023-09); 21.05 MB -> 14.78 MB with release-profile tuning (PR #9427, closed;"
	echo "  issue #9426 open). Reference anchors.md, section 1.1."
	echo "- hyperstart (runV's C agent) as PID 1: RSS 232 KB, VSZ 4352 KB, from \`ps aux\`"
	echo "  in a runV guest (hyperhq/runv README.md). Reference anchors.md, section 1.2."
} >"$TMP/report"

cp "$TMP/report" "$OUT"
cat "$OUT"
echo >&2
echo "bench: written to $OUT" >&2
