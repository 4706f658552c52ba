# shellcheck shell=sh disable=SC2034 # sourced: busybox-rootfs.sh uses these
# The busybox guest: kinglet-agent as /sbin/init, busybox-static for a shell
# and the usual tools, nothing else. Sourced by rootfs-builder/busybox-rootfs.sh.
#
# agent-mode: init
# packages: busybox-static (Debian's, from the build host: no download)
# pruned: nothing to prune (no package manager state, docs or locales are ever written)
#
#   BUSYBOX         the static busybox to install (Debian's busybox-static)
#   DIRS            directories made in the root (mode, path)
#   AGENT_MODE      init: the agent is /sbin/init (and /init for an initrd)
BUSYBOX=${BUSYBOX:-/bin/busybox}
AGENT_MODE=init
DIRS="
0755 bin
0755 sbin
0755 etc
0555 proc
0555 sys
0755 dev
0755 run
1777 tmp
0700 root
0755 usr
0755 usr/bin
0755 var
0755 mnt
"
