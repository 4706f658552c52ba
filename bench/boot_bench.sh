#!/bin/sh
# boot_bench.sh: boot time and guest memory of the busybox initrd guest with
# kinglet-agent as PID 1, next to the same kernel and initrd booting a plain
# busybox shell script as init (no agent), so the agent's own cost shows.
# Prints a Markdown table (and writes it to $OUT).
#
# Per boot, in a 128 MiB VM (QEMU q35, 1 vCPU; KVM when it verifiably works):
#   agent     guest uptime when the agent logged "ready" (the guest's clock);
#             host wall time from starting QEMU to the first answered Check;
#             MemTotal - MemAvailable at ready (from the ready line), and
#             after 10 idle containers (`run -d … sleep`), from GetMetrics'
#             kata_guest_meminfo (or, without it, a container's /proc/meminfo)
#   baseline  rdinit=/bench-init, a shell script appended to the same initrd:
#             it mounts /proc, prints its uptime and memory used, powers off;
#             host wall time from starting QEMU to QEMU's exit
# Both: the kernel's own timestamp of "Run … as init process", so the time
# to init (the kernel's part) and from init to ready (init's part) separate.
# Boots alternate (agent, baseline, agent, …); the table shows medians and the
# range.
#
#   IMAGES             images directory (default build/images)
#   OUT                where the table goes too (default build/bench/boot.md)
#   BOOT_BENCH_BOOTS   boots of each kind (default 5)
#   KINGLET_CTL, KINGLET_KVM_CACHE   see tests/vm/boot.sh
set -u
IMAGES=${IMAGES:-build/images}
OUT=${OUT:-build/bench/boot.md}
BOOTS=${BOOT_BENCH_BOOTS:-5}
MEMORY=128
IDLE=10
bb=$IMAGES/busybox

for f in vmlinuz initrd.img; do
	[ -f "$bb/$f" ] || { echo "boot_bench: no $bb/$f (make initrd)" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/kinglet-bootbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The baseline: the same initrd plus /bench-init, a shell script that reports and powers off.
sh bench/baseline_initrd.sh "$bb/initrd.img" "$tmp/baseline.img" || exit 1

# After ready: IDLE sleeping containers, then the guest's meminfo.
cat >"$tmp/idle.sh" <<EOF
i=1
while [ \$i -le $IDLE ]; do
	\$CTL run -d --rootfs / idle\$i sleep 100000 >/dev/null || exit 1
	i=\$((i + 1))
done
if \$CTL metrics >"$tmp/metrics" 2>/dev/null && grep -q '^kata_guest_meminfo{item="mem_available"}' "$tmp/metrics"; then
	awk '/^kata_guest_meminfo\\{item="mem_total"\\}/ { t = \$2 } /^kata_guest_meminfo\\{item="mem_available"\\}/ { a = \$2 }
		END { printf "idle: mem_used_kib=%d source=GetMetrics\\n", (t - a) / 1024 }' "$tmp/metrics"
else
	\$CTL run --rootfs / - awk '/^MemTotal:/ { t = \$2 } /^MemAvailable:/ { a = \$2 }
		END { print "idle: mem_used_kib=" t - a " source=container" }' /proc/meminfo
fi
EOF

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print NR ? lo "–" hi : "-" }'; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# The kernel's "Run /init as init process" line: its timestamp in ms.
init_ms() { tr -d '\r' <"$tmp/console" 2>/dev/null | sed -n "s|^\[ *\([0-9]*\)\.\([0-9][0-9][0-9]\)[0-9]*\] Run $1 as init process.*|\1\2|p" | sed 's/^0*\([0-9]\)/\1/' | head -n 1; }

a_init="" a_start="" b_init="" b_start="" a_up="" a_wall="" a_mem="" a_idle="" b_up="" b_wall="" b_mem="" accel="" source="" fails=0
i=0
while [ $i -lt "$BOOTS" ]; do
	i=$((i + 1))
	out=$(sh tests/vm/boot.sh --memory $MEMORY --kernel "$bb/vmlinuz" --initrd "$bb/initrd.img" \
		--script "$tmp/idle.sh" --console "$tmp/console" 2>&1)
	init=$(init_ms /init)
	line=$(printf '%s\n' "$out" | grep '^ready_ms=' | head -n 1)
	idle=$(printf '%s\n' "$out" | grep '^idle: ' | head -n 1)
	if [ -n "$line" ] && [ -n "$idle" ] && [ -n "$init" ]; then
		a_init="$a_init $init" a_start="$a_start $(($(field "$line" uptime_ms) - init))"
		a_wall="$a_wall $(field "$line" ready_ms)" a_up="$a_up $(field "$line" uptime_ms)"
		a_mem="$a_mem $(field "$line" mem_used_kib)" a_idle="$a_idle $(field "${idle#idle: }" mem_used_kib)"
		accel=$(field "$line" accel) source=$(field "${idle#idle: }" source)
	else
		fails=$((fails + 1))
		printf 'boot_bench: agent boot %d failed:\n%s\n' "$i" "$out" >&2
	fi
	rm -f "$tmp/console"
	out=$(sh tests/vm/boot.sh --memory $MEMORY --kernel "$bb/vmlinuz" --initrd "$tmp/baseline.img" \
		--append 'rdinit=/bench-init' --no-agent 60 --console "$tmp/console" 2>&1)
	mark=$(tr -d '\r' <"$tmp/console" 2>/dev/null | grep -a '^bench-init: ' | head -n 1)
	exit_line=$(printf '%s\n' "$out" | grep '^exit: status=0 ' | head -n 1)
	init=$(init_ms /bench-init)
	if [ -n "$mark" ] && [ -n "$exit_line" ] && [ -n "$init" ]; then
		up=$(field "${mark#bench-init: }" uptime | awk '{ printf "%d", $1 * 1000 }')
		b_up="$b_up $up" b_init="$b_init $init" b_start="$b_start $((up - init))"
		b_mem="$b_mem $(field "${mark#bench-init: }" mem_used_kib)" b_wall="$b_wall $(field "${exit_line#exit: }" exit_ms)"
	else
		fails=$((fails + 1))
		printf 'boot_bench: baseline boot %d failed:\n%s\n' "$i" "$out" >&2
	fi
	rm -f "$tmp/console"
done
[ -n "$a_up" ] && [ -n "$b_up" ] || { echo "boot_bench: no successful boots" >&2; exit 1; }

row() { # LABEL UNIT AGENT-SAMPLES BASELINE-SAMPLES
	ma=$(echo "$3" | median) mb=$(echo "$4" | median)
	echo "| $1 | $ma $2 ($(echo "$3" | range)) | $mb $2 ($(echo "$4" | range)) | $(diff_ms "$ma" "$mb") $2 |"
}
diff_ms() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo $(($1 - $2)); fi; }
am=$(echo "$a_mem" | median) ai=$(echo "$a_idle" | median)
n_a=$(echo "$a_up" | wc -w) n_b=$(echo "$b_up" | wc -w)

mkdir -p "$(dirname "$OUT")"
{
	echo "## Guest boot and memory: kinglet-agent as PID 1 vs. a shell as init"
	echo
	echo "Same kernel ($(stat -c %s "$bb/vmlinuz") bytes) and busybox initrd, a ${MEMORY} MiB VM (QEMU q35, 1 vCPU, $accel);"
	echo "medians of $n_a agent and $n_b baseline boots (range in brackets)$([ "$fails" -gt 0 ] && echo "; $fails boot(s) failed, see stderr")."
	echo "Baseline: \`rdinit=/bench-init\`, a busybox shell script that mounts /proc, reads its uptime"
	echo "and meminfo and powers off. Memory used is MemTotal − MemAvailable in the guest."
	echo
	echo "| | kinglet-agent as init | busybox sh script as init (no agent) | difference |"
	echo "|---|---|---|---|"
	row "Kernel start to init started (the kernel's \"Run … as init process\")" ms "$a_init" "$b_init"
	row "Init started to ready (agent: its \"ready\" line; script: its first line)" ms "$a_start" "$b_start"
	row "Kernel start to ready (the guest's clock)" ms "$a_up" "$b_up"
	row "Host wall time: QEMU start to first answered Check / to QEMU's exit after the script" ms "$a_wall" "$b_wall"
	row "Memory used at ready / when the script ran" KiB "$a_mem" "$b_mem"
	echo "| Memory used with $IDLE idle containers (\`sleep\`; read via $source) | $ai KiB ($(echo "$a_idle" | range)) | - | $(diff_ms "$ai" "$am") KiB over ready, $(((${ai:-0} - ${am:-0}) / IDLE)) KiB per container |"
	echo
	echo "Published figures for peers, for scale: **not measured here** (Kata's guest assets cannot be"
	echo "had on these machines; sources in the reference anchors.md, sections 1.2-1.4 and 4):"
	echo
	echo "| Peer | Figure | Context |"
	echo "|---|---|---|"
	echo "| Kata + QEMU, boot to workload | 0.71 s mean (CLH 0.39 s) | Kata metrics CI expectations, KVM, whole sandbox |"
	echo "| Kata 2.0, \`ctr run … busybox true\` | 0.483 s | maintainer's measurement, QEMU 5, KVM |"
	echo "| Firecracker, InstanceStart to guest /sbin/init | ≤ 125 ms | specification, minimal kernel, KVM |"
	echo "| Cloud Hypervisor, to userspace | 80–134 ms | CI and issue figures, KVM |"
	echo "| Kata (Go agent), guest memory used, 256 MB VM running busybox | 55 MB (excl. buffers/cache) | 2018 |"
	echo "| runV + hyperstart (C agent), same VM | 13 MB (excl. buffers/cache) | 2018 |"
	echo "| Kata 1.x, 2 GB VM | about 40 MB of guest memory used | 2018 PR bot |"
	echo
	echo "TCG emulates every instruction, so the milliseconds here are several times what KVM gives; the"
	echo "difference between the two columns is the comparable part."
} | tee "$OUT"
