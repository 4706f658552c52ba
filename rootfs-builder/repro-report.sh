#!/bin/sh
# repro-report.sh: build a mkosi recipe twice and report whether the results are
# the same, byte for byte, and if not, what differs and why. See --help.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<'EOF'
usage: repro-report.sh [--build DIR] [--work DIR] [--keep | --no-build] DISTRO

Builds image-recipes/DISTRO twice with the same SOURCE_DATE_EPOCH and the same
package cache, one build after the other, and compares at three stages:

  base      the tree mkosi-rootfs.sh makes (and its package list)
  rootfs    that tree finished by finish-rootfs.sh (the agent, the recipe's
            agent mode, pruning, the mtime clamp)
  images    make-disk.sh's ext4 and erofs disk images, with the DAX header

For trees, tree-digest.sh --mtime lines are compared: every path that differs
is listed with the fields that differ (type, mode, owner, size, content,
mtime) and both values; for a text file the first lines of its diff. For
images, the sha256 of each and the number of differing bytes. When the
package lists differ, the archive moved between the builds (a new point
release or security update): that explains differences by itself.

Options:
  --build DIR   where kinglet-agent and host/dax-header are (make BUILD=DIR
                all dax-header) [default: build]
  --work DIR    scratch folder, about 4 x the tree [default: /var/tmp/kinglet-repro-DISTRO]
  --keep        keep the trees and images (otherwise removed at the end)
  --no-build    build nothing: report again on the two builds an earlier
                --keep run left in WORK (after looking into or changing them)

Environment:
  MKOSI_CACHE_DIR    package cache; when it is cold the first build fills it
                     [default: WORK/cache]
  SOURCE_DATE_EPOCH  [default: commit time of HEAD]
  KINGLET_OFFLINE    passed on to mkosi-rootfs.sh (both builds offline)

Prints the report (Markdown) on stdout, progress on stderr. Needs root.
Exit status: 0 identical, 1 something differs or a build failed, 64 usage.
EOF
}

build_dir=build
work=
keep=0
rebuild=1
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--build) build_dir=${2:?--build needs a folder}; shift 2 ;;
	--work) work=${2:?--work needs a folder}; shift 2 ;;
	--keep) keep=1; shift ;;
	--no-build) rebuild=0 keep=1; shift ;;
	-*) usage >&2; exit 64 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 64; }
distro=$1

die() {
	echo "repro-report: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (mkosi-rootfs.sh does)"
agent=$build_dir/kinglet-agent
dax_header=$build_dir/host/dax-header
if [ "$rebuild" = 1 ]; then
	[ -x "$agent" ] || die "no $agent: make BUILD=$build_dir all"
	[ -x "$dax_header" ] || die "no $dax_header: make BUILD=$build_dir dax-header"
	agent=$(cd "$(dirname "$agent")" && pwd)/kinglet-agent
	dax_header=$(cd "$(dirname "$dax_header")" && pwd)/dax-header
fi
mode=$(sh "$here/mkosi-rootfs.sh" --agent-mode "$distro") ||
	die "image-recipes/$distro is not a recipe with an agent mode (mkosi-rootfs.sh --list)"

work=${work:-/var/tmp/kinglet-repro-$distro}
mkdir -p "$work"
work=$(cd "$work" && pwd)
MKOSI_CACHE_DIR=${MKOSI_CACHE_DIR:-$work/cache}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export MKOSI_CACHE_DIR SOURCE_DATE_EPOCH
[ "$keep" = 1 ] || trap 'rm -rf "$work/a" "$work/b"' EXIT

# One build, into $work/$1: base/, rootfs/, the two images, and a log.
build_once() { # a|b
	d=$work/$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "repro-report: build $1: base tree (log $d/build.log)" >&2
	t0=$(date +%s)
	sh "$here/mkosi-rootfs.sh" "$distro" "$d/base" >"$d/build.log" 2>&1 ||
		{ tail -n 20 "$d/build.log" >&2; die "build $1 of $distro failed"; }
	t1=$(date +%s)
	echo "repro-report: build $1: finish, images" >&2
	cp -a "$d/base" "$d/rootfs"
	sh "$here/finish-rootfs.sh" --mode "$mode" "$d/rootfs" "$agent" >>"$d/build.log" 2>&1 ||
		{ tail -n 20 "$d/build.log" >&2; die "finish-rootfs.sh failed for build $1"; }
	for fs in ext4 erofs; do
		DAX_HEADER=$dax_header sh "$here/make-disk.sh" --fs "$fs" --dax 1 "$d/rootfs" \
			"$d/$distro-$fs-dax.img" >>"$d/build.log" 2>&1 ||
			{ tail -n 20 "$d/build.log" >&2; die "make-disk.sh --fs $fs failed for build $1"; }
	done
	# mkosi-rootfs.sh's last line: packages, size, seconds, bytes received
	grep '^mkosi-rootfs: .* packages, ' "$d/build.log" | tail -n 1 | sed 's/^mkosi-rootfs: //' >"$d/summary"
	echo "$((t1 - t0))" >"$d/seconds"
}

digests() { # a|b
	for stage in base rootfs; do
		[ -d "$work/$1/$stage" ] || die "no $work/$1/$stage: run without --no-build (and with --keep) first"
		sh "$here/tree-digest.sh" --mtime "$work/$1/$stage" >"$work/$1/$stage.digest"
	done
	rm -f "$work/$1/base.textdiff" "$work/$1/rootfs.textdiff"
}

# diff_trees STAGE: Markdown lines for every path whose digest line differs.
diff_trees() {
	LC_ALL=C awk -F '\t' -v root_a="$work/a/$1" -v root_b="$work/b/$1" -v epoch="$SOURCE_DATE_EPOCH" '
	function when(t) { return t == "" ? "-" : t (t > epoch ? " (after SOURCE_DATE_EPOCH)" : "") }
	NR == FNR { a[$1] = $0; next }
	{ b[$1] = $0 }
	END {
		split("path type mode owner size content mtime", name, " ")
		for (p in a)
			if (!(p in b)) out[p] = "only in build a"
		for (p in b)
			if (!(p in a)) out[p] = "only in build b"
			else if (a[p] != b[p]) {
				split(a[p], x, "\t")
				split(b[p], y, "\t")
				why = ""
				for (i = 2; i <= 7; i++)
					if (x[i] != y[i]) {
						va = i == 7 ? when(x[i]) : x[i]
						vb = i == 7 ? when(y[i]) : y[i]
						if (i == 6 && x[2] == "f") { va = substr(va, 1, 12) "…"; vb = substr(vb, 1, 12) "…" }
						why = why (why == "" ? "" : "; ") name[i] " " va " / " vb
					}
				out[p] = why
				if (x[2] == "f" && y[2] == "f" && x[6] != y[6]) textdiff[p] = 1
			}
		n = 0
		for (p in out) n++
		print n > "/dev/stderr"
		for (p in out) {
			printf "- `/%s`: %s\n", (p == "." ? "" : p), out[p]
			if (p in textdiff) print p > (root_a ".textdiff")
		}
	}' "$work/a/$1.digest" "$work/b/$1.digest" 2>"$work/$1.count" | LC_ALL=C sort
	# For text files, what changed (a few lines of diff).
	if [ -s "$work/a/$1.textdiff" ]; then
		while read -r p; do
			if grep -Iq . "$work/a/$1/$p" 2>/dev/null; then
				echo "  - diff of \`/$p\`:"
				diff "$work/a/$1/$p" "$work/b/$1/$p" | head -n 8 | sed 's/^/        /'
			fi
		done <"$work/a/$1.textdiff"
	fi
}

if [ "$rebuild" = 1 ]; then
	build_once a
	build_once b
fi
digests a
digests b

status=0
echo "# Reproducibility report: $distro"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(uname -r); mkosi $(mkosi --version 2>/dev/null | awk '{print $2}')"
echo "- SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH; agent mode: $mode; package cache: $MKOSI_CACHE_DIR"
echo "- build a: $(cat "$work/a/summary") (base tree in $(cat "$work/a/seconds") s)"
echo "- build b: $(cat "$work/b/summary") (base tree in $(cat "$work/b/seconds") s)"
echo
echo "## Packages"
echo
if cmp -s "$work/a/base.packages" "$work/b/base.packages"; then
	echo "Same $(wc -l <"$work/a/base.packages") packages and versions in both builds."
else
	status=1
	echo "The package lists differ (the archive changed between the builds):"
	echo
	diff "$work/a/base.packages" "$work/b/base.packages" | sed -n 's/^\([<>]\) /- \1 /p'
fi
for stage in base rootfs; do
	echo
	echo "## Tree: $stage"
	echo
	lines=$(wc -l <"$work/a/$stage.digest")
	if cmp -s "$work/a/$stage.digest" "$work/b/$stage.digest"; then
		echo "Identical: $lines entries; digest (tree-digest.sh --mtime | sha256sum)" \
			"$(sha256sum <"$work/a/$stage.digest" | cut -c1-16)…"
	else
		status=1
		diff_trees "$stage" >"$work/$stage.diff"
		echo "$(cat "$work/$stage.count") of $lines entries differ:"
		echo
		cat "$work/$stage.diff"
	fi
done
echo
echo "## Images"
echo
for fs in ext4 erofs; do
	f=$distro-$fs-dax.img
	ha=$(sha256sum "$work/a/$f" | cut -d' ' -f1)
	hb=$(sha256sum "$work/b/$f" | cut -d' ' -f1)
	size=$(stat -c %s "$work/a/$f")
	if [ "$ha" = "$hb" ]; then
		echo "- $f: identical, $size bytes, sha256 $ha"
	else
		status=1
		n=$(cmp -l "$work/a/$f" "$work/b/$f" 2>/dev/null | wc -l)
		echo "- $f: DIFFERENT: $size / $(stat -c %s "$work/b/$f") bytes, $n bytes differ" \
			"(first at offset $(cmp "$work/a/$f" "$work/b/$f" 2>/dev/null | awk '{print $5}' | tr -d ,))"
	fi
done
echo
if [ "$status" = 0 ]; then
	echo "Result: the two builds are identical (base tree, root tree and both images)."
else
	echo "Result: the builds differ; see above."
fi
exit "$status"
