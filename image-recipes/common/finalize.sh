#!/bin/sh
# mkosi FinalizeScript of every mkosi recipe. Runs on the host once mkosi has
# recorded the manifest and cleaned package metadata; BUILDROOT is the new tree.
#  1. refuses a tree holding a distro's own Kata agent;
#  2. prunes what a Kata guest never reads: documentation, translations, the
#     package managers' state, caches and logs, gconv modules, files copied
#     from the build host, backup files;
#  3. clamps every mtime to SOURCE_DATE_EPOCH (files written during the build
#     carry build time; files from packages keep their older packaged times).
set -eu
[ "${1:-final}" = final ] || exit 0
root=${BUILDROOT:?finalize.sh: BUILDROOT is unset (mkosi sets it)}
sde=${SOURCE_DATE_EPOCH:?finalize.sh: SOURCE_DATE_EPOCH is unset (mkosi-rootfs.sh sets it)}
cd "$root"

for p in usr/bin/kata-agent usr/local/bin/kata-agent usr/libexec/kata-containers \
	usr/lib/systemd/system/kata-agent.service etc/systemd/system/kata-agent.service \
	usr/lib/systemd/system/kata-containers.target; do
	if [ -e "$p" ] || [ -L "$p" ]; then
		echo "finalize.sh: /$p is in the tree: kinglet images carry only kinglet-agent" >&2
		exit 1
	fi
done

# Whole directories (never across a mount point).
rm -rf --one-file-system usr/share/doc usr/share/man usr/share/info usr/share/locale usr/share/i18n \
	usr/share/lintian usr/share/linda usr/share/groff usr/share/bug usr/share/common-licenses \
	usr/share/bash-completion usr/share/zsh usr/share/fish \
	usr/lib/*/gconv usr/lib64/gconv \
	etc/apt var/lib/apt var/cache/apt var/lib/ucf \
	var/lib/dnf var/cache/dnf var/cache/yum var/lib/yum etc/kernel \
	var/lib/systemd/catalog/database
# Contents only: the directories themselves belong to the base layout.
for d in var/cache var/log var/tmp tmp run; do
	if [ -d "$d" ]; then
		find "$d" -xdev -mindepth 1 -delete
	fi
done
# Copied from the build host, or written by the build: not the guest's.
rm -f etc/resolv.conf etc/hostname etc/passwd- etc/group- etc/shadow- etc/gshadow- \
	etc/subuid- etc/subgid- etc/.pwd.lock etc/ld.so.cache~ var/lib/systemd/random-seed

# The systemd flavour: what a Kata guest never runs is masked, as Kata's
# osbuilder deletes it: logins, journald (logs go to the console and kmsg),
# udevd, time and network daemons (the agent and the host own those), timers.
if [ -e usr/lib/systemd/systemd ]; then
	mkdir -p etc/systemd/system
	for u in getty.target console-getty.service getty@.service serial-getty@.service \
		systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket \
		systemd-journald-audit.socket systemd-journal-flush.service systemd-journal-catalog-update.service \
		systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
		systemd-udev-trigger.service systemd-timesyncd.service systemd-networkd.service \
		systemd-networkd.socket systemd-resolved.service systemd-tmpfiles-clean.timer \
		systemd-pstore.service systemd-firstboot.service systemd-update-utmp.service \
		systemd-update-utmp-runlevel.service fstrim.timer e2scrub_all.timer e2scrub_reap.service \
		apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer motd-news.timer man-db.timer \
		logrotate.timer dnf-makecache.timer \
		modprobe@.service systemd-modules-load.service kmod-static-nodes.service \
		sys-fs-fuse-connections.mount systemd-random-seed.service; do
		# (The last line: kinglet's kernel has no modules, and the root is
		# read-only and the same on every boot: no seed to save.)
		if [ -e "usr/lib/systemd/system/$u" ]; then
			ln -sfn /dev/null "etc/systemd/system/$u"
		fi
	done
	# Not graphical.target, the distro default: nothing beyond multi-user.
	ln -sfn /usr/lib/systemd/system/multi-user.target etc/systemd/system/default.target
	# mkosi leaves "uninitialized" here, which makes every boot a first boot
	# (preset run over /etc: 1.6 s under TCG). Empty: each boot gets a
	# transient machine ID and no first-boot work (machine-id(5)).
	: >etc/machine-id
fi

find . -xdev -newermt "@$sde" -exec touch -h -d "@$sde" {} +
