#!/bin/sh
# Run test programs, show their output, and add their results up into one
# closing line: "N passed, N failed[, N skipped]".
#
#   run-tests.sh LOGDIR ENTRY...
#
# An ENTRY is
#   path/to/program          a cmocka binary or a TAP-printing script
#   asan:DIR                 DIR's ASan+UBSan unit and integration tests and the shell tests that
#                            drive the agent, on DIR's agent, ctl and proxy
#   fuzz-regress:NAME        $BUILD/fuzz/NAME over its seed corpus (one test)
#
# Counting: cmocka's "[  PASSED  ] N" / "[  FAILED  ] N" / "[  SKIPPED ] N"
# lines, else TAP "ok" / "not ok" lines. A program that exits non-zero without
# reporting a failure counts as one failed test (a crash, a sanitizer report).
set -u

LOGDIR=$1
shift
BUILD=${BUILD:-build}
mkdir -p "$LOGDIR"
total_pass=0
total_fail=0
total_skip=0
failed_names=""

count() { # file pattern -> sum of the numbers on matching lines
	sed -n "s/^\[  $2 *\] \([0-9][0-9]*\) test.*/\1/p" "$1" | awk '{s+=$1} END {print s+0}'
}

run_one() { # name command...
	name=$1
	shift
	log="$LOGDIR/$(echo "$name" | tr '/:' '__').log"
	echo "=== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	pass=$(count "$log" PASSED)
	fail=$(count "$log" FAILED)
	skip=$(count "$log" SKIPPED)
	if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$skip" -eq 0 ]; then
		pass=$(grep -c '^ok ' "$log")
		fail=$(grep -c '^not ok ' "$log")
		skip=$(grep -c '^ok .*# SKIP' "$log")
		pass=$((pass - skip))
	fi
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "!!! $name exited with status $rc without reporting a failed test"
		fail=1
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	[ "$fail" -gt 0 ] && failed_names="$failed_names $name"
}

for entry in "$@"; do
	case $entry in
	asan:*)
		dir=${entry#asan:}
		for t in "$dir"/tests/unit/test_* "$dir"/tests/integration/test_*; do
			case $t in *.o|*.d) continue ;; esac
			[ -x "$t" ] || continue
			run_one "asan/$(basename "$t")" env KINGLET_AGENT="$dir/kinglet-agent" \
				KINGLET_CTL="$dir/kinglet-ctl" KINGLET_PROXY="$dir/kinglet-proxy" ASAN_OPTIONS=detect_leaks=1 \
				UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t"
		done
		run_one "asan/ctl.sh" env KINGLET_AGENT="$dir/kinglet-agent" KINGLET_CTL="$dir/kinglet-ctl" \
			ASAN_OPTIONS=detect_leaks=1 sh tests/integration/ctl.sh
		# The shell tests that drive the agent, ctl or proxy (recipes.sh and disk_image.sh run none of them).
		for script in ctl_containers.sh proxy_ctl.sh ctl_sandbox.sh ctl_network.sh; do
			run_one "asan/$script" env KINGLET_AGENT="$dir/kinglet-agent" KINGLET_CTL="$dir/kinglet-ctl" \
				KINGLET_PROXY="$dir/kinglet-proxy" MAKE_ROOTFS="$BUILD/host/make-rootfs" ASAN_OPTIONS=detect_leaks=1 \
				UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh "tests/integration/$script"
		done
		;;
	fuzz-regress:*)
		n=${entry#fuzz-regress:}
		art="-artifact_prefix=$BUILD/fuzz/regress-$n-"
		run_one "fuzz/$n" sh -c "'$BUILD/fuzz/$n' $art -runs=0 '$BUILD/fuzz/seeds/$n' && \
			'$BUILD/fuzz/$n' $art -runs=20000 -seed=1 -max_len=65536 '$BUILD/fuzz/seeds/$n' && echo 'ok 1 - $n'"
		;;
	*.sh)
		run_one "$(basename "$entry")" sh "$entry"
		;;
	*)
		run_one "$(basename "$entry")" "$entry"
		;;
	esac
done

echo
if [ -n "$failed_names" ]; then
	echo "Failed:$failed_names (logs in $LOGDIR)"
fi
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
