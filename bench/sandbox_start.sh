#!/bin/sh
# sandbox_start.sh: wall time from launching QEMU to the first byte a
# container writes, through kinglet-proxy over virtio-serial, next to the bare
# boot of the same kernel and initrd with a shell script as init.
# Prints a Markdown table (and writes it to $OUT).
#
# Per boot, in a 128 MiB VM (QEMU q35, 1 vCPU; tests/vm/boot.sh picks KVM when
# it verifiably works, TCG otherwise):
#   sandbox   boot.sh boots the busybox initrd (agent as PID 1) and waits for a
#             first Check on the serial socket (it polls every 0.1 s); its
#             --script then starts `kinglet-proxy --agent serial://…`, waits for
#             the proxy's ready line (--ready-fd, on a FIFO: no polling) and runs
#             `kinglet-ctl --addr unix://PROXY run --rootfs / - echo first`; the
#             first byte of its stdout is timestamped on the host clock, in ms
#             since boot.sh started QEMU ($QEMU_START_MS)
#   bare      the same kernel and initrd with rdinit=/bench-init
#             (bench/baseline_initrd.sh): a shell script that prints its uptime
#             and powers off; host time from QEMU's start to its exit
# Both: the guest kernel's timestamp of "Run … as init process".
# Boots alternate (sandbox, bare, sandbox, …); medians and the range.
#
#   IMAGES                images directory (default build/images)
#   KINGLET_CTL           the client (default build/kinglet-ctl)
#   KINGLET_PROXY         the proxy (default build/kinglet-proxy); missing: its
#                         rows say "proxy: not built" and only bare boots run
#   SANDBOX_BOOTS         boots of each kind (default 3)
#   SANDBOX_ACCEL         auto (default), kvm or tcg, passed to boot.sh --accel
#   OUT                   where the table goes too (default build/bench/sandbox.md)
set -u
IMAGES=${IMAGES:-build/images}
CTL_BIN=$(readlink -f "${KINGLET_CTL:-build/kinglet-ctl}")
PROXY=$(readlink -f "${KINGLET_PROXY:-build/kinglet-proxy}" || true)
BOOTS=${SANDBOX_BOOTS:-3}
ACCEL=${SANDBOX_ACCEL:-auto}
OUT=${OUT:-build/bench/sandbox.md}
MEMORY=128
bb=$IMAGES/busybox

for f in vmlinuz initrd.img; do
	[ -f "$bb/$f" ] || { echo "sandbox_start: no $bb/$f (make initrd)" >&2; exit 1; }
done
[ -x "$CTL_BIN" ] || { echo "sandbox_start: no $CTL_BIN" >&2; exit 1; }
have_proxy=0
[ -n "$PROXY" ] && [ -x "$PROXY" ] && have_proxy=1
tmp=$(mktemp -d /tmp/kinglet-sandbox-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sh bench/baseline_initrd.sh "$bb/initrd.img" "$tmp/baseline.img" || exit 1

# The host script boot.sh runs once the agent answered. Everything it times is
# against $QEMU_START_MS, the host clock when boot.sh started QEMU.
cat >"$tmp/start.sh" <<EOF
set -u
now_ms() { date +%s%3N; }
rm -f "$tmp/p.sock" "$tmp/ready" "$tmp/rc" "$tmp/first"
mkfifo "$tmp/ready"
t_script=\$(now_ms)
"$PROXY" --agent "serial://\$AGENT_SOCK" --listen "unix://$tmp/p.sock" --ready-fd 3 \\
	3>"$tmp/ready" >/dev/null 2>"$tmp/proxy.log" &
proxy=\$!
head -c 1 "$tmp/ready" >/dev/null
t_ready=\$(now_ms)
kill -0 \$proxy 2>/dev/null || { echo "sandbox: the proxy exited:"; cat "$tmp/proxy.log"; exit 1; }
{ "$CTL_BIN" --addr "unix://$tmp/p.sock" --timeout 60 run --rootfs / - echo first; echo \$? >"$tmp/rc"; } |
	{ head -c 1 >"$tmp/out"; now_ms >"$tmp/first"; cat >>"$tmp/out"; }
kill \$proxy
wait \$proxy
status=\$?
out=\$(tr -d '\\n' <"$tmp/out")
echo "sandbox: script_ms=\$((t_script - QEMU_START_MS)) proxy_ready_ms=\$((t_ready - QEMU_START_MS))" \\
	"first_byte_ms=\$((\$(cat "$tmp/first") - QEMU_START_MS)) run_rc=\$(cat "$tmp/rc") output=\$out proxy_exit=\$status"
[ "\$(cat "$tmp/rc")" = 0 ] && [ "\$out" = first ]
EOF

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print NR ? lo "–" hi : "-" }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
init_ms() { tr -d '\r' <"$tmp/console" 2>/dev/null | sed -n "s|^\[ *\([0-9]*\)\.\([0-9][0-9][0-9]\)[0-9]*\] Run $1 as init process.*|\1\2|p" | sed 's/^0*\([0-9]\)/\1/' | head -n 1; }

s_init="" s_up="" s_check="" s_script="" s_proxy="" s_first="" s_run="" s_after="" b_init="" b_up="" b_exit="" accel="" fails=0
i=0
while [ $i -lt "$BOOTS" ]; do
	i=$((i + 1))
	if [ "$have_proxy" = 1 ]; then
		rm -f "$tmp/console"
		out=$(sh tests/vm/boot.sh --memory $MEMORY --accel "$ACCEL" --kernel "$bb/vmlinuz" --initrd "$bb/initrd.img" \
			--script "$tmp/start.sh" --console "$tmp/console" 2>&1)
		ready=$(printf '%s\n' "$out" | grep '^ready_ms=' | head -n 1)
		line=$(printf '%s\n' "$out" | grep '^sandbox: .* run_rc=0 output=first ' | head -n 1)
		init=$(init_ms /init)
		if [ -n "$ready" ] && [ -n "$line" ] && [ -n "$init" ]; then
			line=${line#sandbox: }
			s_init="$s_init $init" s_up="$s_up $(field "$ready" uptime_ms)" s_check="$s_check $(field "$ready" ready_ms)"
			s_script="$s_script $(field "$line" script_ms)" s_proxy="$s_proxy $(field "$line" proxy_ready_ms)" s_first="$s_first $(field "$line" first_byte_ms)"
			s_run="$s_run $(($(field "$line" first_byte_ms) - $(field "$line" proxy_ready_ms)))"
			s_after="$s_after $(($(field "$line" first_byte_ms) - $(field "$line" script_ms)))"
			accel=$(field "$ready" accel)
		else
			fails=$((fails + 1))
			printf 'sandbox_start: sandbox boot %d failed:\n%s\n' "$i" "$out" >&2
		fi
	fi
	rm -f "$tmp/console"
	out=$(sh tests/vm/boot.sh --memory $MEMORY --accel "$ACCEL" --kernel "$bb/vmlinuz" --initrd "$tmp/baseline.img" \
		--append 'rdinit=/bench-init' --no-agent 60 --console "$tmp/console" 2>&1)
	mark=$(tr -d '\r' <"$tmp/console" 2>/dev/null | grep -a '^bench-init: ' | head -n 1)
	exit_line=$(printf '%s\n' "$out" | grep '^exit: status=0 ' | head -n 1)
	init=$(init_ms /bench-init)
	if [ -n "$mark" ] && [ -n "$exit_line" ] && [ -n "$init" ]; then
		b_init="$b_init $init" b_exit="$b_exit $(field "${exit_line#exit: }" exit_ms)"
		b_up="$b_up $(field "${mark#bench-init: }" uptime | awk '{ printf "%d", $1 * 1000 }')"
		[ -n "$accel" ] || accel=$(printf '%s\n' "$out" | sed -n 's/^accel=//p' | head -n 1)
	else
		fails=$((fails + 1))
		printf 'sandbox_start: bare boot %d failed:\n%s\n' "$i" "$out" >&2
	fi
done
[ -n "$b_exit" ] || { echo "sandbox_start: no successful bare boot" >&2; exit 1; }
[ "$have_proxy" = 0 ] || [ -n "$s_first" ] || { echo "sandbox_start: no successful sandbox boot" >&2; exit 1; }

cell() { # SAMPLES UNIT
	if [ "$have_proxy" = 0 ]; then echo "proxy: not built"; else echo "$(echo "$1" | median) $2 ($(echo "$1" | range))"; fi
}
bare() { echo "$(echo "$1" | median) ms ($(echo "$1" | range))"; }
n_s=$(echo "$s_first" | wc -w) n_b=$(echo "$b_exit" | wc -w)

mkdir -p "$(dirname "$OUT")"
{
	echo "## Sandbox start: QEMU launch to the container's first output byte, through kinglet-proxy"
	echo
	echo "Same kernel ($(stat -c %s "$bb/vmlinuz") bytes) and busybox initrd, a ${MEMORY} MiB VM (QEMU q35, 1 vCPU, $accel);"
	echo "medians of $n_s sandbox and $n_b bare boots (range in brackets)$([ "$fails" -gt 0 ] && echo "; $fails boot(s) failed, see stderr")."
	echo "Sandbox: the agent as init on virtio-serial, \`kinglet-proxy --agent serial://…\` started once the"
	echo "agent answered, then \`kinglet-ctl run --rootfs / - echo first\` through the proxy. Bare: the"
	echo "same kernel with \`rdinit=/bench-init\`, a shell script that powers off at once. Host times are"
	echo "from boot.sh starting QEMU; guest times are the guest's clock from kernel start."
	echo
	echo "| | sandbox: agent + kinglet-proxy + container | bare boot: shell script as init |"
	echo "|---|---|---|"
	echo "| Kernel start to init started (guest clock, \"Run … as init process\") | $(cell "$s_init" ms) | $(bare "$b_init") |"
	echo "| Kernel start to agent ready / to the script's first line (guest clock) | $(cell "$s_up" ms) | $(bare "$b_up") |"
	echo "| QEMU start to the first answered Check, direct on serial (boot.sh polls every 0.1 s) | $(cell "$s_check" ms) | - |"
	echo "| QEMU start to boot.sh running the script (proxy launch) | $(cell "$s_script" ms) | - |"
	echo "| QEMU start to kinglet-proxy ready (its --ready-fd line) | $(cell "$s_proxy" ms) | - |"
	echo "| **QEMU start to the container's first output byte** | **$(cell "$s_first" ms)** | - |"
	echo "| Proxy ready to first byte (CreateContainer, StartContainer, ReadStdout through proxy and serial) | $(cell "$s_run" ms) | - |"
	echo "| QEMU start to QEMU's exit after the script's power-off | - | $(bare "$b_exit") |"
	echo "| Proxy launch to first byte (the proxy's start and the container) | $(cell "$s_after" ms) | - |"
	echo
	echo "The guest clock starts with the kernel; QEMU's own start (firmware, loading kernel and initrd)"
	echo "comes before it, on the host clock only. The bare boot's exit includes the power-off. TCG"
	echo "emulates every instruction, so the milliseconds are several times what KVM gives."
} | tee "$OUT"
