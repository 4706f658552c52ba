#!/bin/sh
# e2e.sh: the whole path a runtime takes, runtime → kinglet-proxy → VM →
# container, in QEMU (TCG here). Every request goes through kinglet-proxy in
# front of the agent's virtio-serial chardev socket, from kinglet-ctl clients.
#
#   1. the busybox initrd with two test-made virtio-blk disks: Check,
#      CreateSandbox (disk 0b as sandbox storage), a container whose root is
#      disk 0a (its stdout and exit code), exec, a tty exec with a resize, a
#      signal, stats, an OOM kill seen by GetOOMEvent, RemoveContainer; 100
#      concurrent Checks and 10 concurrent execs; the proxy killed mid-exec and
#      restarted, a client killed mid-ReadStdout; DestroySandbox powers off.
#   2. the busybox initrd again: QEMU killed under the proxy, which then
#      answers UNAVAILABLE and keeps listening.
#   3. the Debian disk image, when built: Check and a container.
#
# Prints TAP. Each boot's script prints `== STEP` before and `-- STEP rc=N`
# after every command, and each test looks only at its steps. Without a
# proxy binary the sandbox steps talk to the agent directly and the tests that
# need the proxy are skipped.
#
#   IMAGES         the images directory (default build/images)
#   KINGLET_PROXY  the proxy (default: kinglet-proxy beside KINGLET_CTL)
#   E2E_OUT        when set, a directory that gets each boot's whole output
#   KINGLET_CTL, KINGLET_KVM_CACHE   see boot.sh
set -u
IMAGES=${IMAGES:-build/images}
KINGLET_CTL=${KINGLET_CTL:-build/kinglet-ctl}
KINGLET_PROXY=${KINGLET_PROXY:-$(dirname "$KINGLET_CTL")/kinglet-proxy}
bb=$IMAGES/busybox
deb=$IMAGES/debian
n=0
failed=0

for f in vmlinuz initrd.img rootfs/bin/busybox; do
	if [ ! -e "$bb/$f" ]; then
		echo "not ok 1 - the busybox guest is built (no $bb/$f: make initrd)"
		echo "1..1"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/kinglet-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
token="$$-$(date +%s)"
proxy=""
[ -x "$KINGLET_PROXY" ] && proxy=$(cd "$(dirname "$KINGLET_PROXY")" && pwd)/$(basename "$KINGLET_PROXY")
ctl_bin=$(cd "$(dirname "$KINGLET_CTL")" && pwd)/$(basename "$KINGLET_CTL")
export T="$tmp" PROXY="$proxy" CTL_BIN="$ctl_bin" TOKEN="$token"

# --- two disks: the busybox tree with a marker naming the disk, ext4 without
# a partition table (mkfs.ext4 -d needs no root and no loop device) ---
cp -a "$bb/rootfs" "$tmp/tree"
disk() { # NAME FILE
	echo "disk $1 $token" >"$tmp/tree/kinglet-disk-marker"
	mkfs.ext4 -q -F -d "$tmp/tree" -b 4096 -O ^has_journal -L "$1" "$2" 8M >"$tmp/mkfs.log" 2>&1 ||
		{ cat "$tmp/mkfs.log" >&2; return 1; }
}
disk container "$tmp/blk0a.img" && disk sandbox "$tmp/blk0b.img" || exit 1

# --- what every boot script sources: steps, the proxy, the client ---
cat >"$tmp/lib.sh" <<'EOF'
KC=/run/kata-containers
step() { name=$1; shift; echo "== $name"; "$@" 2>&1; echo "-- $name rc=$?"; }
proxy_pid=""
# start_proxy NAME: a proxy in front of the chardev socket; waits for its
# ready line (--ready-fd) and points $T/pctl at it. Without a proxy binary,
# $T/pctl is the direct client boot.sh made.
start_proxy() {
	if [ -z "$PROXY" ]; then
		printf '#!/bin/sh\nexec %s "$@"\n' "$CTL" >"$T/pctl" && chmod +x "$T/pctl"
		return 0
	fi
	rm -f "$T/proxy.sock" "$T/$1.ready"
	"$PROXY" --agent "serial://$AGENT_SOCK" --listen "unix://$T/proxy.sock" --sandbox e2e \
		--log "$T/$1.log" --ready-fd 3 3>"$T/$1.ready" &
	proxy_pid=$!
	i=0
	until grep -q ready "$T/$1.ready" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$proxy_pid" 2>/dev/null; then
			echo "proxy $1: no ready line within 10 s"; cat "$T/$1.log"; return 1
		fi
		sleep 0.1
	done
	echo "proxy $1: pid $proxy_pid, ready line: $(cat "$T/$1.ready")"
	printf '#!/bin/sh\nexec "%s" --addr "unix://%s" --timeout "${PCTL_TIMEOUT:-60}" "$@"\n' \
		"$CTL_BIN" "$T/proxy.sock" >"$T/pctl" && chmod +x "$T/pctl"
}
pctl() { "$T/pctl" "$@"; }
# hex_id ID: a ReadStreamRequest for the container's stdout, 1 KiB, as hex
read_stdout_hex() { printf '0a%02x%s188008' "${#1}" "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')"; }
EOF

# --- boot 1: the sandbox's life, concurrency, faults ---
cat >"$tmp/boot1.sh" <<'EOF'
. "$T/lib.sh"
start_proxy p1 || exit 1
SB=$KC/sandbox/storage/rootfs
step check pctl check
step sandbox pctl create-sandbox --id e2e --hostname e2e \
	--storage driver=blk,source=0b,fstype=ext4,mount=$SB,option=ro
step blk pctl run --storage driver=blk,source=0a,fstype=ext4,mount=$KC/shared/containers/blk/rootfs,option=ro \
	--rootfs $KC/shared/containers/blk/rootfs - sh -c \
	'cat /kinglet-disk-marker; awk '\''$2 == "/" { print "root:", $1, $3 }'\'' /proc/mounts; exit 7'
step start pctl run -d --hostname c1 --rootfs $SB c1 sleep 600
step exec pctl exec c1 sh -c 'cat /kinglet-disk-marker; echo "exec in $(hostname)"'
step tty script -qec "stty rows 33 cols 77; $T/pctl exec -t c1 sh -c 'sleep 1; stty size; tty'" /dev/null </dev/null
step sig-start pctl run -d --rootfs $SB sig sh -c 'trap "exit 42" TERM; while :; do sleep 1; done'
sleep 2
step sig-kill pctl kill sig
step sig-wait pctl wait sig
step sig-rm pctl rm sig
step stats pctl stats c1
# GetOOMEvent: in flight beside the OOM kill through the proxy; asked
# afterwards (the agent queues events) on a single direct connection. A
# long poll has no deadline of its own: timeout(1) gives it one.
[ -z "$PROXY" ] || timeout 120 "$T/pctl" oom-events --count 1 >"$T/oom.out" 2>&1 &
oom_pid=$!
step oom-run pctl run --memory 16m --rootfs $SB oomc dd if=/dev/zero of=/dev/null bs=64M count=1
if [ -n "$PROXY" ]; then
	wait "$oom_pid"
	echo "oom-events rc=$?"
	sed 's/^/oom-event: /' "$T/oom.out"
else
	echo "== oom-direct"; timeout 20 "$T/pctl" oom-events --count 1 | sed 's/^/oom-event: /'
fi

if [ -n "$PROXY" ]; then
	# 100 clients at once, each its own Check.
	i=0 pids=""
	while [ $i -lt 100 ]; do
		(pctl check >"$T/check.$i" 2>&1; echo "rc=$?" >>"$T/check.$i") &
		pids="$pids $!" i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
	echo "check100: serving=$(grep -lx SERVING "$T"/check.* | wc -l) rc0=$(grep -lx rc=0 "$T"/check.* | wc -l)"
	# 10 execs at once, each printing its own token after the others started.
	i=0 pids=""
	while [ $i -lt 10 ]; do
		(pctl exec c1 sh -c "sleep 2; echo token-$i-$TOKEN" >"$T/exec.$i" 2>&1; echo "rc=$?" >>"$T/exec.$i") &
		pids="$pids $!" i=$((i + 1))
	done
	for p in $pids; do wait "$p"; done
	i=0 own=0
	while [ $i -lt 10 ]; do
		[ "$(cat "$T/exec.$i")" = "$(printf 'token-%s-%s\nrc=0' "$i" "$TOKEN")" ] && own=$((own + 1))
		i=$((i + 1))
	done
	echo "exec10: own=$own"
	cat "$T"/exec.* | sed 's/^/exec10 output: /'

	# The proxy killed mid-exec, then a new one: the exec and its container
	# live on, and a new client waits for the exec.
	pctl exec --exec-id slow c1 sh -c 'sleep 5; echo slow-done' >"$T/slow.out" 2>&1 &
	slow=$!
	sleep 2
	kill -KILL "$proxy_pid"
	wait "$proxy_pid" 2>/dev/null
	wait "$slow"
	echo "mid-exec client after the proxy died: rc=$? $(tr '\n' ' ' <"$T/slow.out")"
	step restart start_proxy p2
	step slow-wait pctl wait --exec slow c1
	step survivor pctl exec c1 echo "c1 survived $TOKEN"

	# A client killed while its ReadStdout is parked; the next requests work.
	step reader-start pctl run -d --rootfs $SB reader sh -c 'sleep 4; echo late'
	pctl call --payload-hex "$(read_stdout_hex reader)" grpc.AgentService ReadStdout >"$T/reader.out" 2>&1 &
	reader=$!
	sleep 1
	kill -KILL "$reader"
	wait "$reader" 2>/dev/null
	echo "reader killed: $(kill -0 "$reader" 2>/dev/null && echo alive || echo gone)"
	step after-reader pctl check
	step after-reader-wait pctl wait reader
	step after-reader-exec pctl exec c1 echo "next request $TOKEN"
	pctl rm reader >/dev/null 2>&1
fi

step rm pctl rm c1
step rm-gone pctl stats c1
step destroy pctl destroy-sandbox
if [ -n "$proxy_pid" ]; then
	kill -TERM "$proxy_pid"
	wait "$proxy_pid"
	echo "proxy p2 after SIGTERM: rc=$?"
fi
EOF

# --- boot 2: QEMU killed under the proxy ---
cat >"$tmp/boot2.sh" <<'EOF'
. "$T/lib.sh"
start_proxy q || exit 1
step check pctl check
step inflight-start pctl run -d --rootfs / napper sleep 600
pctl wait napper >"$T/inflight.out" 2>&1 &
waiter=$!
sleep 1
kill -KILL "$QEMU_PID"
wait "$waiter"
echo "in-flight wait: rc=$? $(cat "$T/inflight.out")"
sleep 1
step after-kill pctl check
sleep 2
step after-kill-again pctl check
echo "proxy after QEMU died: $(kill -0 "$proxy_pid" 2>/dev/null && echo running || echo gone)" \
	"listening=$([ -S "$T/proxy.sock" ] && echo yes || echo no)"
kill -TERM "$proxy_pid"
wait "$proxy_pid"
echo "proxy after SIGTERM: rc=$?"
EOF

# --- boot 3: the Debian image ---
cat >"$tmp/boot3.sh" <<'EOF'
. "$T/lib.sh"
start_proxy d || exit 1
step check pctl check
step debian pctl run --rootfs / - sh -c '. /etc/os-release; echo "ID=$ID"; uname -r'
[ -z "$proxy_pid" ] || { kill -TERM "$proxy_pid"; wait "$proxy_pid"; }
EOF

# boot NAME BOOT.SH-ARGS...: one boot; its output in $tmp/NAME.out
boot() {
	name=$1
	shift
	start=$(date +%s)
	sh tests/vm/boot.sh "$@" >"$tmp/$name.out" 2>&1
	echo "boot.sh exit $? after $(($(date +%s) - start)) s" >>"$tmp/$name.out"
	[ -z "${E2E_OUT:-}" ] || { mkdir -p "$E2E_OUT" && cp "$tmp/$name.out" "$E2E_OUT/"; }
}

# check BOOT STEP|- RC NAME PATTERN...: the output of STEP (all of the boot's
# output for -) must match every PATTERN and none written !PATTERN, and STEP
# must have exited RC (- for any).
check() {
	out=$tmp/$1.out step=$2 rc=$3 name=$4
	shift 4
	n=$((n + 1))
	if [ "$step" = - ]; then
		cp "$out" "$tmp/section"
	else
		sed -n "/^== $step\$/,/^-- $step rc=/p" "$out" >"$tmp/section"
		[ "$rc" = - ] || set -- "$@" "^-- $step rc=$rc\$"
	fi
	missing=""
	for p in "$@"; do
		case $p in
		!*) grep -q -- "${p#!}" "$tmp/section" && missing="$missing; has '${p#!}'" ;;
		*) grep -q -- "$p" "$tmp/section" || missing="$missing; no '$p'" ;;
		esac
	done
	if [ -z "$missing" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name (${missing#; })"
		# A whole boot's output is long: its last 40 lines (E2E_OUT keeps it all).
		if [ "$step" != - ] && [ -s "$tmp/section" ]; then sed 's/^/#   /' "$tmp/section"; else tail -n 40 "$out" | sed 's/^/#   /'; fi
		failed=$((failed + 1))
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
via=" through kinglet-proxy"
[ -n "$proxy" ] || via=" (direct: no kinglet-proxy)"
need_proxy() { [ -n "$proxy" ] || skip "$1" "no kinglet-proxy ($KINGLET_PROXY)"; [ -n "$proxy" ]; }

K="--kernel $bb/vmlinuz --initrd $bb/initrd.img"
# shellcheck disable=SC2086
boot one $K --blk "$tmp/blk0a.img" --blk "$tmp/blk0b.img" --script "$tmp/boot1.sh" --expect-poweroff 15
if [ -n "$proxy" ]; then
	check one - - "kinglet-proxy starts in front of the chardev socket and prints its ready line" '^proxy p1: pid [0-9]*, ready line: .*ready'
else
	skip "kinglet-proxy starts in front of the chardev socket" "no kinglet-proxy ($KINGLET_PROXY)"
fi
check one check 0 "Check$via" '^SERVING$'
check one sandbox 0 "CreateSandbox with a virtio-blk disk (0b) as sandbox storage$via" 'sandbox e2e created'
check one blk 7 "a container whose root is the test's virtio-blk disk 0a: its stdout and exit code$via" \
	"^disk container $token\$" '^root: /dev/vd[a-z] ext4$'
check one start 0 "a long-running container on the sandbox's disk (run -d)$via"
check one exec 0 "exec into the running container: its stdout$via" "^disk sandbox $token\$" '^exec in c1$'
check one tty 0 "a tty exec sized by TtyWinResize: stty size inside is the client's 33x77$via" \
	'^33 77' '^/dev/pts/[0-9]'
check one sig-wait 0 "kill sends TERM, the container's trap exits 42, wait reports it$via" '^42$'
check one sig-kill 0 "kill answers$via"
check one stats 0 "stats of the running container: memory and pids$via" '[Mm]emory' '[Pp]ids'
check one oom-run 137 "a container over --memory 16m is OOM-killed: exit 137$via"
check one - - "GetOOMEvent reports the OOM-killed container$via" '^oom-event: oomc$'
if need_proxy "100 concurrent clients each get their own SERVING through the proxy"; then
	check one - - "100 concurrent clients each get their own SERVING through the proxy" '^check100: serving=100 rc0=100$'
fi
if need_proxy "10 concurrent execs each print their own token"; then
	check one - - "10 concurrent execs each print their own token through the proxy" '^exec10: own=10$'
fi
if need_proxy "the proxy killed mid-exec and restarted: the exec's client fails, a new client waits for the exec"; then
	# kinglet-ctl exec exits 125 when it cannot relay (docs/ctl.md), naming the status.
	check one - - "the proxy killed mid-exec: the exec's client fails with UNAVAILABLE" \
		'^mid-exec client after the proxy died: rc=125 .*UNAVAILABLE'
	check one restart 0 "a new proxy starts on the same chardev socket" '^proxy p2: pid'
	check one slow-wait 0 "a new client waits for the exec that outlived the proxy: it exited 0" '^0$'
	check one survivor 0 "the container survived the proxy's death" "^c1 survived $token\$"
fi
if need_proxy "a client killed mid-ReadStdout costs the others nothing"; then
	check one - - "a client killed mid-ReadStdout is gone" '^reader killed: gone$'
	check one after-reader 0 "after a client died mid-ReadStdout: Check" '^SERVING$'
	check one after-reader-wait 0 "after a client died mid-ReadStdout: its container is waited for (exit 0)" '^0$'
	check one after-reader-exec 0 "after a client died mid-ReadStdout: an exec prints" "^next request $token\$"
fi
check one rm 0 "RemoveContainer$via"
check one rm-gone 5 "a removed container is gone: NOT_FOUND (5)$via"
check one - - "DestroySandbox powers the VM off: QEMU exits 0$via" \
	'^-- destroy rc=0$' '^exit: status=0 exit_ms=[0-9]* wait_ms=[0-9]* power_down=yes panic=no$' '^boot.sh exit 0 '
if need_proxy "the proxy exits 0 on SIGTERM"; then
	check one - - "the proxy exits 0 on SIGTERM after the VM is gone" '^proxy p2 after SIGTERM: rc=0$'
fi

if need_proxy "QEMU killed under the proxy: UNAVAILABLE, and the proxy keeps listening"; then
	# shellcheck disable=SC2086
	boot two $K --script "$tmp/boot2.sh"
	check two check 0 "boot 2: Check through the proxy" '^SERVING$'
	check two - - "QEMU killed: a request in flight fails with UNAVAILABLE (14)" '^in-flight wait: rc=14'
	check two after-kill 14 "QEMU killed: a new request is answered UNAVAILABLE (14)" 'UNAVAILABLE\|unavailable'
	check two after-kill-again 14 "QEMU killed: the proxy keeps answering UNAVAILABLE 2 s later"
	check two - - "QEMU killed: the proxy keeps running and listening; SIGTERM exits 0" \
		'^proxy after QEMU died: running listening=yes$' '^proxy after SIGTERM: rc=0$' '^boot.sh exit 0 '
fi

if [ -f "$deb/debian-ext4-dax.img" ] && [ -f "$deb/vmlinuz" ]; then
	boot three --kernel "$deb/vmlinuz" --disk "$deb/debian-ext4-dax.img" --script "$tmp/boot3.sh"
	check three check 0 "Debian image: Check$via" '^SERVING$'
	check three debian 0 "Debian image: a container sees Debian$via" '^ID=debian$'
else
	skip "Debian image: Check and a container" "no $deb/debian-ext4-dax.img (make image DISTRO=debian)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
