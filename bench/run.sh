#!/bin/sh
# The benchmark table (see bench/README.md): binary size, RSS and
# grpc.Health/Check throughput/latency of kinglet-agent next to containerd's Go
# ttrpc server, measured in the same run. `make bench` builds everything first;
# this script builds nothing.
#
#   sh bench/run.sh BUILD_DIR
#
# Environment: BENCH_SECONDS (5), BENCH_WARMUP (1), BENCH_CLIENTS ("1 16").
# Exits non-zero only when a server fails to start or answers wrongly: a
# missed target is a result, not a failure.
set -eu

BUILD=${1:-build}
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-1}
BENCH_CLIENTS=${BENCH_CLIENTS:-1 16}

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

server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$TMP"
mkdir -p "$TMP"
RESULTS=$TMP/results
: >"$RESULTS"
CLK_TCK=$(getconf CLK_TCK)

status_kib() { # PID FIELD: a "kB" field of /proc/PID/status
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

cpu_ticks() { # PID: user + system time so far, in clock ticks
	# comm (field 2) has no spaces for these two binaries.
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# start_server NAME SOCKET COMMAND...: runs it in the background and waits
# until its socket exists.
start_server() {
	name=$1 sock=$2
	shift 2
	"$@" >"$TMP/$name.log" 2>&1 &
	server_pid=$!
	tries=0
	while [ ! -S "$sock" ]; do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "bench: $name exited before listening:" >&2
			cat "$TMP/$name.log" >&2
			server_pid=""
			exit 1
		fi
		tries=$((tries + 1))
		if [ "$tries" -gt 200 ]; then
			echo "bench: $name did not create $sock within 10 s" >&2
			exit 1
		fi
		sleep 0.05
	done
}

stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
}

# measure NAME SOCKET COMMAND...: idle RSS, then one closed-loop run per
# client count, then RSS again. Appends "NAME CLIENTS key=value..." lines.
measure() {
	name=$1 sock=$2
	shift 2
	start_server "$name" "$sock" "$@"
	# Let it settle: the figure wanted is what a waiting agent costs.
	sleep 1
	echo "$name 0 rss_idle=$(status_kib "$server_pid" VmRSS)" >>"$RESULTS"
	for n in $BENCH_CLIENTS; do
		t0=$(cpu_ticks "$server_pid")
		if ! line=$("$LOAD" --addr "unix://$sock" --clients "$n" \
			--seconds "$BENCH_SECONDS" --warmup "$BENCH_WARMUP"); then
			echo "bench: Check load against $name with $n clients failed" >&2
			exit 1
		fi
		t1=$(cpu_ticks "$server_pid")
		echo "$name $n $line server_ticks=$((t1 - t0))" >>"$RESULTS"
	done
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "bench: $name died during the load runs:" >&2
		cat "$TMP/$name.log" >&2
		exit 1
	fi
	echo "$name 0 rss_after=$(status_kib "$server_pid" VmRSS)" \
		"rss_peak=$(status_kib "$server_pid" VmHWM)" \
		"threads=$(status_kib "$server_pid" Threads)" >>"$RESULTS"
	stop_server
}

echo "bench: kinglet-agent, then go-ttrpc-server; ${BENCH_SECONDS} s (+${BENCH_WARMUP} s warm-up)" \
	"per run, clients: $BENCH_CLIENTS" >&2
measure kinglet "$TMP/kinglet.sock" "$AGENT" --server-addr "unix://$TMP/kinglet.sock" \
	--log-level error
measure go "$TMP/go.sock" "$GO_SERVER" -addr "$TMP/go.sock"

# get NAME CLIENTS KEY: one value from the results file.
get() {
	awk -v n="$1" -v c="$2" -v k="$3" '
		$1 == n && $2 == c {
			for (i = 3; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == k) { print kv[2]; exit }
			}
		}' "$RESULTS"
}

# calc EXPR [VAR=VALUE...]: floating point in awk, since sh has only integers.
calc() {
	expr=$1
	shift
	awk "$@" "BEGIN { print $expr }" </dev/null
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

notes=""
for n in $BENCH_CLIENTS; do
	k_rps=$(get kinglet "$n" rps)
	g_rps=$(get go "$n" rps)
	row "Check round trips/s, $n client(s)" \
		"$(calc 'sprintf("%.0f", k)' -v k="$k_rps")" \
		"$(calc 'sprintf("%.0f", g)' -v g="$g_rps")" \
		"$(calc 'sprintf("%.2f", k / g)' -v k="$k_rps" -v g="$g_rps")" \
		">= ${RPS_TARGET_RATIO}x Go" \
		"$(met "$k_rps >= $RPS_TARGET_RATIO * $g_rps")"
	for p in p50 p99; do
		k=$(get kinglet "$n" "${p}_us")
		g=$(get go "$n" "${p}_us")
		row "Check $p latency, $n client(s)" "$k us" "$g us" \
			"$(calc 'sprintf("%.2f", k / g)' -v k="$k" -v g="$g")" "-" "-"
	done
	# Server CPU time per request: the cost of a Check independent of how
	# the two cores were shared. Ticks cover warm-up + window.
	k_cpu=$(calc 't / hz / (w + s) * 1e6 / r' -v t="$(get kinglet "$n" server_ticks)" \
		-v hz="$CLK_TCK" -v w="$BENCH_WARMUP" -v s="$BENCH_SECONDS" -v r="$k_rps")
	g_cpu=$(calc 't / hz / (w + s) * 1e6 / r' -v t="$(get go "$n" server_ticks)" \
		-v hz="$CLK_TCK" -v w="$BENCH_WARMUP" -v s="$BENCH_SECONDS" -v r="$g_rps")
	row "Server CPU per Check, $n client(s)" \
		"$(calc 'sprintf("%.1f us", k)' -v k="$k_cpu")" \
		"$(calc 'sprintf("%.1f us", g)' -v g="$g_cpu")" \
		"$(calc 'sprintf("%.2f", k / g)' -v k="$k_cpu" -v g="$g_cpu")" "-" "-"
	notes="$notes
- $n client(s): load generator used $(get kinglet "$n" client_cpu_pct)% of a core against kinglet,\
 $(get go "$n" client_cpu_pct)% against Go; max latency $(get kinglet "$n" max_us) us / $(get go "$n" max_us) us."
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
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu_model); Linux $(uname -r)."
	echo "Go peer: containerd/ttrpc (Debian golang-github-containerd-ttrpc-dev), ${go_version:-go ?}."
	echo "grpc.Health/Check over a unix socket, closed loop (one request in flight per"
	echo "connection), ${BENCH_SECONDS} s measured after ${BENCH_WARMUP} s warm-up; the load generator"
	echo "and the server share the machine's cores. kinglet/Go < 1 is better for sizes,"
	echo "latencies and CPU; > 1 is better for round trips/s."
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
