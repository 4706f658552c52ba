#!/bin/sh
# busybox-rootfs.sh OUT_DIR: the base tree of the busybox guest (image-recipes/busybox):
# busybox-static with its applets as relative links, the directories every
# guest needs, /dev/console and /dev/null for the kernel to open before init
# runs. finish-rootfs.sh then installs the agent. Needs root (mknod).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
recipe=$here/../image-recipes/busybox/recipe.sh

usage() {
	echo "usage: busybox-rootfs.sh OUT_DIR"
	echo "Builds the busybox guest's base tree in OUT_DIR (emptied first). Needs root."
}
case ${1:-} in
-h | --help) usage; exit 0 ;;
"") usage >&2; exit 64 ;;
esac
out=$1
# shellcheck source=../image-recipes/busybox/recipe.sh
. "$recipe"

[ "$(id -u)" -eq 0 ] || { echo "busybox-rootfs: needs root (device nodes)" >&2; exit 1; }
[ -x "$BUSYBOX" ] || { echo "busybox-rootfs: no $BUSYBOX (Debian's busybox-static; make deps)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
echo "$DIRS" | while read -r mode dir; do
	[ -n "$dir" ] || continue
	mkdir -p "$out/$dir"
	chmod "$mode" "$out/$dir"
done

cp "$BUSYBOX" "$out/bin/busybox"
chmod 0755 "$out/bin/busybox"
# Relative links: the tree is used as / later, never at this path.
for applet in $("$BUSYBOX" --list); do
	[ "$applet" = busybox ] || [ -e "$out/bin/$applet" ] || ln -s busybox "$out/bin/$applet"
done

# The kernel opens /dev/console for init's stdin/out/err before /init runs
# (an initramfs has no devtmpfs yet); without it the agent logs to /dev/kmsg.
mknod -m 0600 "$out/dev/console" c 5 1
mknod -m 0666 "$out/dev/null" c 1 3

cat >"$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$out/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo "busybox-rootfs: $(find "$out" | wc -l) entries in $out"
