#!/bin/sh
# mkosi-rootfs.sh: a distro's base root tree, built with mkosi from
# image-recipes/<distro>/. See --help.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
recipes=${RECIPES_DIR:-$here/../image-recipes}
MKOSI=${MKOSI:-mkosi}

usage() {
	cat <<'EOF'
usage: mkosi-rootfs.sh DISTRO OUT_DIR    build DISTRO's base tree into OUT_DIR
       mkosi-rootfs.sh --validate [DISTRO...]   check recipes offline (TAP)
       mkosi-rootfs.sh --agent-mode DISTRO      print "init" or "systemd"
       mkosi-rootfs.sh --list                   the distros that have a recipe
       mkosi-rootfs.sh --offline-mirror PKGDIR RELEASE MIRROR_DIR
                 write the repository an offline build installs from (the
                 newest version of each .deb in PKGDIR), to look at or test

Builds image-recipes/DISTRO/ (a mkosi 14 config folder) into the directory
OUT_DIR: the distro's packages, pruned, without the agent (finish-rootfs.sh
adds it). Beside OUT_DIR it writes OUT_DIR.manifest (mkosi's JSON manifest)
and OUT_DIR.packages ("name version" per line). Needs root.

Environment:
  MKOSI_CACHE_DIR    package cache reused between builds (mkosi --cache; one
                     subfolder per distro~release) [default: OUT_DIR/../mkosi-cache]
  SOURCE_DATE_EPOCH  build time written into the tree: every mtime is clamped
                     to it [default: commit time of the checkout's HEAD]
  KINGLET_OFFLINE=1  build from the package cache alone, without the network
                     (Debian-family recipes): see "Offline builds" below
  MKOSI              the mkosi command [default: mkosi]
  RECIPES_DIR        where the recipes are [default: image-recipes/ beside us]

Offline builds: with KINGLET_OFFLINE=1 the newest cached version of every
package becomes a local, unsigned file: repository (mkosi's LocalMirror=) that
debootstrap and apt install from, and the recipe's postinst skips its
apt-get update/dist-upgrade; the build scripts get no network. The cache must
hold every package the recipe needs: build once online with the same
MKOSI_CACHE_DIR first. The packages were checked against the archive's
signatures when they were downloaded; offline, their integrity rests on the
cache folder (no signature check).

--validate runs `mkosi summary` on each recipe (no network, no root, ~0.2 s
each) plus static checks, and prints one TAP line per recipe. Exit status:
0 ok, 1 failed, 64 usage, 69 the recipe cannot be built on this machine.
EOF
}

die() {
	echo "mkosi-rootfs: $*" >&2
	exit 1
}

list_recipes() {
	for d in "$recipes"/*/; do
		d=${d%/}
		[ -f "$d/mkosi.conf" ] || [ -f "$d/recipe.sh" ] || continue
		case $(basename "$d") in busybox | common | kernel) continue ;; esac
		basename "$d"
	done
}

# conf_value DIR KEY: a key's value in DIR/mkosi.conf (the last one wins)
conf_value() {
	sed -n "s/^$2=//p" "$1/mkosi.conf" | tail -n 1
}

agent_mode() { # DIR
	mode=$(sed -n 's/^# agent-mode: *\([a-z]*\).*/\1/p' "$1/mkosi.conf" "$1/recipe.sh" 2>/dev/null | head -n 1)
	case $mode in
	init | systemd) echo "$mode" ;;
	*) return 1 ;;
	esac
}

# check_recipe DIR: static checks beyond what mkosi summary parses; prints problems
check_recipe() {
	dir=$1
	name=$(basename "$dir")
	agent_mode "$dir" >/dev/null || echo "no '# agent-mode: init|systemd' line"
	if [ -f "$dir/recipe.sh" ]; then
		sh -n "$dir/recipe.sh" 2>&1 || echo "recipe.sh does not parse"
		sh "$dir/recipe.sh" --check >/dev/null 2>&1 || echo "recipe.sh --check failed"
		return 0
	fi
	dist=$(conf_value "$dir" Distribution)
	[ "$dist" = "$name" ] || echo "Distribution=$dist in a folder named $name"
	[ "$(conf_value "$dir" NspawnKeepUnit)" = yes ] ||
		echo "NspawnKeepUnit=yes is missing (mkosi 14 needs it without systemd as PID 1)"
	[ "$(conf_value "$dir" Format)" = directory ] || echo "Format= is not directory"
	if [ "$(conf_value "$dir" BasePackages)" = no ] && [ ! -d "$dir/mkosi.skeleton/etc/kernel/install.d" ]; then
		echo "BasePackages=no needs mkosi.skeleton/etc/kernel/install.d/ (mkosi 14 crashes without it)"
	fi
	pkgs=$(conf_value "$dir" Packages)
	case ",$pkgs," in *,kata-*) echo "Packages= names a Kata package" ;; esac
	case $dist in
	debian | ubuntu)
		keep=$(sed -n 's/^Environment=.*KINGLET_KEEP=\([^ ]*\).*/\1/p' "$dir/mkosi.conf")
		[ "$keep" = "$pkgs" ] || echo "KINGLET_KEEP=$keep differs from Packages=$pkgs"
		;;
	esac
}

validate() {
	n=0
	failed=0
	names=${*:-$(list_recipes)}
	for name in $names; do
		n=$((n + 1))
		dir=$recipes/$name
		if [ -f "$dir/mkosi.conf" ]; then
			what="recipe validates (mkosi summary)"
			out=$(cd "$dir" && "$MKOSI" summary 2>&1) || {
				echo "not ok $n - $name $what"
				echo "$out" | tail -n 5 | sed 's/^/#   /'
				failed=$((failed + 1))
				continue
			}
			echo "$out" | grep -q "Distribution: $name\$" || {
				echo "not ok $n - $name $what (summary lacks 'Distribution: $name')"
				failed=$((failed + 1))
				continue
			}
		elif [ -f "$dir/recipe.sh" ]; then
			what="recipe validates (recipe.sh --check; mkosi 14 has no $name support)"
		else
			echo "not ok $n - $name has no recipe"
			failed=$((failed + 1))
			continue
		fi
		problems=$(check_recipe "$dir")
		if [ -n "$problems" ]; then
			echo "not ok $n - $name $what"
			echo "$problems" | sed 's/^/#   /'
			failed=$((failed + 1))
		else
			echo "ok $n - $name $what"
		fi
	done
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

# debootstrap only knows the suites its version shipped a script for: give it
# a private script folder where the missing suite points at the generic one.
debootstrap_dir() { # DISTRO RELEASE WORKDIR
	sys=/usr/share/debootstrap
	[ -e "$sys/scripts/$2" ] && return 0
	case $1 in
	ubuntu) generic=gutsy ;;
	debian) generic=sid ;;
	*) return 0 ;;
	esac
	[ -e "$sys/scripts/$generic" ] || die "debootstrap has neither a $2 nor a $generic script"
	rm -rf "$3/debootstrap"
	cp -a "$sys" "$3/debootstrap"
	ln -s "$generic" "$3/debootstrap/scripts/$2"
	echo "mkosi-rootfs: debootstrap $(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null) has no" \
		"'$2' script; using '$generic' for it" >&2
	DEBOOTSTRAP_DIR=$3/debootstrap
	export DEBOOTSTRAP_DIR
}

rx_bytes() { # bytes received by every interface but lo, so far
	for i in /sys/class/net/*; do
		[ "${i##*/}" = lo ] || cat "$i/statistics/rx_bytes" 2>/dev/null
	done | awk '{s+=$1} END {print s+0}'
}

# offline_mirror PKGDIR RELEASE ARCH MIRROR: a flat file: repository in MIRROR
# for debootstrap and apt, from the .debs in PKGDIR (the package cache): the
# newest cached version of each package only, so that debootstrap installs what
# the online build ends with after its dist-upgrade.
offline_mirror() {
	pkgdir=$1 rel=$2 arch=$3 mirror=$4
	set -- "$pkgdir"/*.deb
	[ -f "$1" ] || die "KINGLET_OFFLINE=1, but $pkgdir holds no packages: build once with the" \
		"network and the same MKOSI_CACHE_DIR first"
	index=$mirror/dists/$rel/main/binary-$arch
	mkdir -p "$mirror/pool" "$index"
	for deb in "$@"; do
		printf '%s %s %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" "$deb" ||
			die "$deb is not a readable package: delete it from the cache"
	done | LC_ALL=C sort -k1,1 -s >"$mirror/all"
	: >"$mirror/newest"
	last='' best='' bestv=''
	while read -r pkg ver deb; do
		if [ "$pkg" != "$last" ]; then
			[ -z "$last" ] || echo "$best" >>"$mirror/newest"
			last=$pkg best=$deb bestv=$ver
		elif dpkg --compare-versions "$ver" gt "$bestv"; then
			best=$deb bestv=$ver
		fi
	done <"$mirror/all"
	echo "$best" >>"$mirror/newest"
	# Control fields as in the .deb, plus what debootstrap and apt need to fetch
	# and verify the file. Hard links when the cache is on the same file system.
	while read -r deb; do
		base=$(basename "$deb")
		ln "$deb" "$mirror/pool/$base" 2>/dev/null || cp "$deb" "$mirror/pool/$base"
		dpkg-deb -f "$deb"
		echo "Filename: pool/$base"
		echo "Size: $(stat -c %s "$deb")"
		echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
		echo
	done <"$mirror/newest" >"$index/Packages"
	{
		echo "Origin: kinglet-offline"
		echo "Label: kinglet-offline"
		echo "Suite: $rel"
		echo "Codename: $rel"
		echo "Date: $(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a, %d %b %Y %H:%M:%S UTC')"
		echo "Architectures: $arch"
		echo "Components: main"
		echo "SHA256:"
		echo " $(sha256sum "$index/Packages" | cut -d' ' -f1) $(stat -c %s "$index/Packages") main/binary-$arch/Packages"
	} >"$mirror/dists/$rel/Release"
	echo "mkosi-rootfs: offline: $(wc -l <"$mirror/newest") packages from $pkgdir" \
		"($(($(wc -l <"$mirror/all") - $(wc -l <"$mirror/newest"))) older versions left out)" >&2
	rm -f "$mirror/all" "$mirror/newest"
}

# Never delete through a mount that a failed mkosi may have left behind (its
# package cache, /dev, /proc): leave the folder and say so instead.
cleanup() { # DIR
	if grep -q " $1/" /proc/self/mountinfo; then
		echo "mkosi-rootfs: $1 still has mounts under it; not removing it" >&2
	else
		rm -rf --one-file-system "$1"
	fi
}

build() {
	distro=$1
	dir=$recipes/$distro
	[ -d "$dir" ] || die "no recipe image-recipes/$distro/ (have: $(list_recipes | tr '\n' ' '))"
	dir=$(cd "$dir" && pwd) # mkosi runs in it; paths given to mkosi must not depend on that
	if [ -f "$dir/recipe.sh" ] && [ ! -f "$dir/mkosi.conf" ]; then
		exec sh "$dir/recipe.sh" "$2" # not a mkosi distro (alpine): its own builder
	fi
	[ "$(id -u)" -eq 0 ] || die "building needs root (mkosi mounts and runs systemd-nspawn)"
	command -v "$MKOSI" >/dev/null || die "no $MKOSI: run make deps (or apt-get install --no-install-recommends mkosi)"
	case $(conf_value "$dir" Distribution) in
	debian | ubuntu) command -v debootstrap >/dev/null || die "no debootstrap: run make deps (or apt-get install debootstrap)" ;;
	fedora | centos)
		command -v dnf >/dev/null || {
			echo "mkosi-rootfs: $distro needs dnf and the distro's mirrors; this machine has neither" \
				"(the recipe validates with --validate)" >&2
			exit 69
		}
		;;
	esac

	mkdir -p "$(dirname "$2")"
	parent=$(cd "$(dirname "$2")" && pwd)
	out=$parent/$(basename "$2")
	release=$(conf_value "$dir" Release)
	cache=${MKOSI_CACHE_DIR:-$parent/mkosi-cache}
	mkdir -p "$cache"
	cache=$(cd "$cache" && pwd)
	if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
		SOURCE_DATE_EPOCH=$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)
	fi
	export SOURCE_DATE_EPOCH
	work=$(mktemp -d "$parent/.mkosi-rootfs-XXXXXX")
	mirror=
	trap 'cleanup "$work"; [ -z "$mirror" ] || rm -rf "$mirror"' EXIT
	dist=$(conf_value "$dir" Distribution)
	debootstrap_dir "$dist" "$release" "$work"

	# mkosi runs the host's apt with the tree as its root and an empty /etc/apt:
	# APT_CONFIG is the one way to configure it. Translations are never used in
	# the image (6 MB of index per build for bookworm).
	printf 'Acquire::Languages "none";\n' >"$work/apt.conf"
	APT_CONFIG=$work/apt.conf
	export APT_CONFIG
	set -- --environment "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
	mode=online
	if [ "${KINGLET_OFFLINE:-0}" = 1 ]; then
		case $dist in debian | ubuntu) ;; *) die "KINGLET_OFFLINE=1 is for Debian-family recipes" ;; esac
		# Under /tmp: mkosi makes the mirror's path inside the tree too (to bind
		# it there for dpkg), and the finalize script empties the tree's /tmp.
		mirror=$(mktemp -d /tmp/kinglet-mirror-XXXXXX)
		offline_mirror "$cache/$dist~$release" "$release" "$(dpkg --print-architecture)" "$mirror"
		# debootstrap writes an unsigned sources.list entry for the mirror; mkosi
		# adds a [trusted=yes] one: a second skeleton tree empties the first, or
		# apt refuses the conflicting Trusted values. mkosi looks for the
		# recipe's mkosi.skeleton only when no skeleton is given: name it too.
		mkdir -p "$work/offline-skel/etc/apt"
		echo "# kinglet offline build: see sources.list.d/mirror.list" >"$work/offline-skel/etc/apt/sources.list"
		[ ! -d "$dir/mkosi.skeleton" ] || set -- "$@" --skeleton-tree "$dir/mkosi.skeleton"
		set -- "$@" --local-mirror "file://$mirror" --repository-key-check=no \
			--skeleton-tree "$work/offline-skel" --with-network=no --environment KINGLET_OFFLINE=1
		mode=offline
	fi

	echo "mkosi-rootfs: $distro $release -> $out (cache $cache/$dist~$release," \
		"SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, $mode)" >&2
	start=$(date +%s)
	rx0=$(rx_bytes)
	# The tree is built beside OUT_DIR and replaces it only once complete.
	(cd "$dir" && "$MKOSI" --force --output "$work/tree" --cache "$cache" "$@" build) >&2 ||
		die "mkosi failed for $distro"
	rx1=$(rx_bytes)
	if [ -n "$mirror" ]; then
		# The (empty) mount point mkosi left in the tree for the mirror.
		find "$work/tree$mirror" -depth -type d -empty -delete 2>/dev/null || true
	fi

	# mkosi keeps tmpfs mounts on /run and /tmp while its scripts run, so the
	# finalize script never saw the directories underneath: mkosi made them
	# 0755 at build time. /tmp is 1777 in every distro. Then clamp once more.
	chmod 1777 "$work/tree/tmp"
	find "$work/tree" -xdev -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	# A directory's mtime records the install history, not the content: a
	# package upgraded in place (online: release version, then dist-upgrade)
	# leaves other directory times than the same version installed directly
	# (offline). Every directory gets SOURCE_DATE_EPOCH, so both give the same
	# bytes. Files keep their packaged (clamped) times.
	find "$work/tree" -xdev -type d -exec touch -d "@$SOURCE_DATE_EPOCH" {} +
	python3 -c 'import json, sys
for p in sorted(json.load(open(sys.argv[1]))["packages"], key=lambda p: p["name"]):
    print(p["name"], p["version"])' "$work/tree.manifest" >"$work/tree.packages"
	rm -rf "$out"
	mv "$work/tree" "$out"
	mv "$work/tree.manifest" "$out.manifest"
	chmod 0644 "$out.manifest" # mkosi writes it 0666
	mv "$work/tree.packages" "$out.packages"
	echo "mkosi-rootfs: $distro: $(wc -l <"$out.packages") packages, $(du -sh "$out" | cut -f1)," \
		"$(($(date +%s) - start)) s, $mode;" \
		"$((rx1 - rx0)) bytes (~$(((rx1 - rx0 + 524288) / 1048576)) MiB) received by this host meanwhile" >&2
}

case ${1:-} in
-h | --help) usage ;;
--validate)
	shift
	validate "$@"
	;;
--agent-mode)
	[ $# -eq 2 ] || { usage >&2; exit 64; }
	agent_mode "$recipes/$2" || die "image-recipes/$2 has no '# agent-mode:' line"
	;;
--list) list_recipes ;;
--offline-mirror)
	[ $# -eq 4 ] || { usage >&2; exit 64; }
	SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)}
	mkdir -p "$4"
	offline_mirror "$2" "$3" "$(dpkg --print-architecture)" "$(cd "$4" && pwd)"
	;;
-*) usage >&2; exit 64 ;;
*)
	[ $# -eq 2 ] || { usage >&2; exit 64; }
	build "$1" "$2"
	;;
esac
