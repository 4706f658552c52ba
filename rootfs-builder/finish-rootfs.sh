#!/bin/sh
# finish-rootfs.sh [--mode init|systemd] ROOTFS AGENT: what every guest gets on
# top of its distro's base tree: the agent (as /sbin/init, or as a systemd
# service), an os-release when the base has none, and nothing that only a
# package manager or a person at a terminal would read.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mode=init

usage() {
	echo "usage: finish-rootfs.sh [--mode init|systemd] ROOTFS AGENT"
	echo "  --mode init      the agent is /sbin/init (and /init, for an initrd)  [default]"
	echo "  --mode systemd   systemd starts it: image-recipes/common/kinglet-agent.service"
}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--mode) mode=${2:?--mode needs init or systemd}; shift 2 ;;
	--mode=*) mode=${1#--mode=}; shift ;;
	-*) usage >&2; exit 64 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { usage >&2; exit 64; }
root=$1
agent=$2
[ -d "$root" ] || { echo "finish-rootfs: $root is not a directory" >&2; exit 66; }
[ -x "$agent" ] || { echo "finish-rootfs: $agent is not an executable" >&2; exit 66; }

mkdir -p "$root/usr/bin" "$root/sbin"
cp "$agent" "$root/usr/bin/kinglet-agent"
chmod 0755 "$root/usr/bin/kinglet-agent"
case $mode in
init)
	ln -sfn /usr/bin/kinglet-agent "$root/sbin/init" # absolute: /sbin may be a link to usr/sbin
	ln -sfn sbin/init "$root/init" # an initramfs runs /init
	;;
systemd)
	unit=$here/../image-recipes/common/kinglet-agent.service
	[ -f "$unit" ] || { echo "finish-rootfs: no $unit" >&2; exit 66; }
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	cp "$unit" "$root/etc/systemd/system/kinglet-agent.service"
	ln -sfn ../kinglet-agent.service "$root/etc/systemd/system/multi-user.target.wants/kinglet-agent.service"
	;;
*) echo "finish-rootfs: unknown mode $mode" >&2; exit 64 ;;
esac

if [ ! -e "$root/etc/os-release" ] && [ ! -e "$root/usr/lib/os-release" ]; then
	mkdir -p "$root/etc"
	cat >"$root/etc/os-release" <<'OSREL'
NAME="kinglet guest"
ID=kinglet
PRETTY_NAME="kinglet guest (busybox)"
HOME_URL="https://github.com/kinglet"
OSREL
fi

# Pruned: documentation, manuals, translations, caches, logs, package lists.
for d in usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/lintian usr/share/bug \
	var/cache var/log var/lib/apt/lists tmp; do
	[ -d "$root/$d" ] && find "$root/$d" -mindepth 1 -delete
done
[ -d "$root/tmp" ] && chmod 1777 "$root/tmp"

# Reproducible: nothing in the tree is newer than SOURCE_DATE_EPOCH (what we just
# wrote, and the folders we just emptied), so two builds of a recipe are the same.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)}
find "$root" -xdev -newermt "@$epoch" -exec touch -h -d "@$epoch" {} +
echo "finish-rootfs: agent installed ($mode) in $root"
