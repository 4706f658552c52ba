# shellcheck shell=sh
# shellcheck disable=SC2154 # n, failed and dir belong to the sourcing script
# TAP helpers shared by the shell integration tests (ctl_containers.sh,
# ctl_sandbox.sh, ctl_network.sh, proxy_ctl.sh). The sourcing script sets
# n=0 and failed=0, and $dir to a scratch directory (the last command's
# output goes to $dir/out and is quoted under a failure).

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -f "$dir/out" ] && sed 's/^/#   /' "$dir/out"
	failed=$((failed + 1))
}

# expect NAME CODE [GREP] -- COMMAND...: run, compare exit code, optionally grep stdout+stderr
expect() {
	name=$1 want=$2 pattern=$3
	shift 4
	"$@" >"$dir/out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		not_ok "$name (exit $got, want $want)"
	elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$dir/out"; then
		not_ok "$name (output lacks '$pattern')"
	else
		ok "$name"
	fi
}
