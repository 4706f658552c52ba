#!/bin/sh
# The distro recipes (image-recipes/*/) without building them: each validates
# offline (mkosi summary plus static checks), says how the agent starts, and the
# shared scripts parse; tree-digest.sh describes a tree faithfully. Prints TAP.
# Offline and fast (a few seconds); building a tree is `make image DISTRO=...`.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
builder=$root/rootfs-builder/mkosi-rootfs.sh
digest=$root/rootfs-builder/tree-digest.sh
dir=$(mktemp -d /tmp/kinglet-recipes-XXXXXX)
trap 'rm -rf "$dir"' EXIT
n=0
failed=0

ok() { # NAME STATUS [DETAIL FILE]
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/#   /' "$3"
		failed=$((failed + 1))
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# 1. Every recipe validates: the builder's own TAP, renumbered into ours.
if command -v mkosi >/dev/null; then
	sh "$builder" --validate >"$dir/validate" 2>&1
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); echo "ok $n - ${line#* - }" ;;
		"not ok "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${line#* - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$dir/validate"
	[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || ok "mkosi-rootfs.sh --validate exits 0" "$status" "$dir/validate"
else
	skip "recipes validate with mkosi summary" "mkosi is not installed (make deps)"
fi

# 2. Every recipe names its agent mode, and the systemd ones have the unit.
for r in $(sh "$builder" --list); do
	mode=$(sh "$builder" --agent-mode "$r" 2>"$dir/err")
	case $mode in init | systemd) s=0 ;; *) s=1 ;; esac
	ok "$r recipe says how the agent starts ($mode)" "$s" "$dir/err"
done
unit=$root/image-recipes/common/kinglet-agent.service
s=0
for want in 'ExecStart=/usr/bin/kinglet-agent' 'OOMScoreAdjust=-997' 'LimitNOFILE=1073741824' \
	'FailureAction=poweroff'; do
	grep -qx "$want" "$unit" || { echo "missing $want" >>"$dir/unit"; s=1; }
done
ok "kinglet-agent.service has Kata's settings" "$s" "$dir/unit"

# 3. The scripts parse (and pass shellcheck where it is installed).
scripts="$builder $digest $root/image-recipes/common/deb-postinst.sh $root/image-recipes/common/finalize.sh
$root/image-recipes/alpine/recipe.sh $root/rootfs-builder/repro-report.sh"
s=0
for f in $scripts; do
	sh -n "$f" 2>>"$dir/parse" || s=1
	[ -x "$f" ] || { echo "$f is not executable" >>"$dir/parse"; s=1; }
done
ok "recipe scripts parse" "$s" "$dir/parse"
if command -v shellcheck >/dev/null; then
	# shellcheck disable=SC2086 # a list of paths without blanks
	shellcheck $scripts >"$dir/sc" 2>&1
	ok "recipe scripts pass shellcheck" $? "$dir/sc"
else
	skip "recipe scripts pass shellcheck" "shellcheck is not installed"
fi

# 4. tree-digest.sh: one sorted line per entry, with content, links and modes.
t=$dir/tree
mkdir -p "$t/b/c"
printf 'hello\n' >"$t/b/c/f"
chmod 4750 "$t/b/c/f"
ln -s c/f "$t/b/l"
touch -h -d @1000000000 "$t/b/c/f" "$t/b/l"
sh "$digest" "$t" >"$dir/d1" 2>&1
hello=$(printf 'hello\n' | sha256sum | cut -d' ' -f1)
me=$(id -u):$(id -g)
s=0
[ "$(cut -f1 "$dir/d1" | tr '\n' ' ')" = ". b b/c b/c/f b/l " ] || s=1
grep -qx "b/c/f	f	04750	$me	6	$hello" "$dir/d1" || s=1
grep -qx "b/l	l	0777	$me	-	-> c/f" "$dir/d1" || s=1
ok "tree-digest.sh lists paths, modes, owners, sizes, sha256, link targets" "$s" "$dir/d1"
sh "$digest" --mtime "$t" >"$dir/d2" 2>&1
grep -q "^b/c/f	.*	1000000000\$" "$dir/d2"
ok "tree-digest.sh --mtime adds whole-second mtimes" $? "$dir/d2"
printf 'hellO\n' >"$t/b/c/f"
sh "$digest" "$t" >"$dir/d3" 2>&1
diff "$dir/d1" "$dir/d3" >"$dir/diff"
[ "$(grep -c '^[<>]' "$dir/diff")" -eq 2 ]
ok "tree-digest.sh tells trees apart by content" $? "$dir/diff"

# 5. The offline repository (KINGLET_OFFLINE=1): from a package folder with two
# versions of one package, the newest of each package only, an index apt reads.
if command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null; then
	arch=$(dpkg --print-architecture)
	mkdeb() { # NAME VERSION
		p=$dir/src/$1-$2
		mkdir -p "$p/DEBIAN" "$p/usr/share/$1"
		printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\nPriority: required\nDescription: t\n' \
			"$1" "$2" >"$p/DEBIAN/control"
		echo "$2" >"$p/usr/share/$1/v"
		dpkg-deb --root-owner-group -Zgzip --build "$p" "$dir/pkgs/${1}_$(echo "$2" | sed 's/:/%3a/')_all.deb" >/dev/null
	}
	mkdir -p "$dir/pkgs"
	mkdeb kl-one 1.0 && mkdeb kl-one 1.10 && mkdeb kl-one 1.9 && mkdeb kl-two 1:0.1
	SOURCE_DATE_EPOCH=1000000000 sh "$builder" --offline-mirror "$dir/pkgs" testrel "$dir/mirror" >"$dir/om" 2>&1
	s=$?
	idx=$dir/mirror/dists/testrel/main/binary-$arch/Packages
	[ "$s" -eq 0 ] && [ -f "$idx" ] || s=1
	[ "$s" -ne 0 ] || [ "$(sed -n 's/^Version: //p' "$idx" | tr '\n' ' ')" = "1.10 1:0.1 " ] || s=1
	[ "$s" -ne 0 ] || grep -q "^ $(sha256sum "$idx" | cut -d' ' -f1) $(stat -c %s "$idx") main/binary-$arch/Packages\$" \
		"$dir/mirror/dists/testrel/Release" || s=1
	cat "$idx" "$dir/mirror/dists/testrel/Release" >>"$dir/om" 2>/dev/null
	ok "--offline-mirror keeps the newest version of each package, indexed with sha256" "$s" "$dir/om"
	# apt, with a private state and no network, finds the packages and can fetch one.
	a=$dir/apt
	mkdir -p "$a/lists/partial" "$a/archives/partial" "$a/etc"
	echo "deb [trusted=yes] file://$dir/mirror testrel main" >"$a/etc/sources.list"
	set -- -o Dir::Etc::SourceList="$a/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$a/lists" -o Dir::Cache="$a" -o Dir::State::Status=/dev/null \
		-o Debug::NoLocking=1 -o Acquire::Languages=none -o APT::Architecture="$arch"
	{ APT_CONFIG=/dev/null apt-get "$@" -q update && APT_CONFIG=/dev/null apt-cache "$@" policy kl-one kl-two; } >"$dir/apt.log" 2>&1
	s=$?
	[ "$s" -ne 0 ] || grep -q 'Candidate: 1.10$' "$dir/apt.log" || s=1
	[ "$s" -ne 0 ] || grep -q 'Candidate: 1:0.1$' "$dir/apt.log" || s=1
	ok "apt reads the offline repository (update, policy)" "$s" "$dir/apt.log"
else
	skip "--offline-mirror keeps the newest version of each package" "no dpkg-deb or apt-get"
	skip "apt reads the offline repository" "no dpkg-deb or apt-get"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
