#!/bin/sh
# mkosi PostInstallationScript of the Debian-family recipes (debian, ubuntu).
# Runs inside the new tree after package installation, before mkosi records the
# manifest and cleans package metadata:
#  1. applies the -updates and -security suites (mkosi 14 installs debootstrap's
#     packages from the release suite and never upgrades them), unless the
#     build is offline (KINGLET_OFFLINE=1);
#  2. purges every package that neither Debian's Essential set nor the packages
#     named in KINGLET_KEEP need (comma-separated: the recipe's Packages=, passed
#     through its Environment=): apt, its keyrings and gpgv, ca-certificates,
#     openssl, tzdata, e2fsprogs, mount, adduser, passwd, ...
set -eu
[ "${1:-final}" = final ] || exit 0
if [ -z "${KINGLET_KEEP+set}" ]; then
	echo "deb-postinst: KINGLET_KEEP is unset (the recipe's Environment= sets it)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# mkosi 14 points Debian's security suite at https://security.debian.org; in
# the tree, TLS needs the image's own CA store, which knows nothing of a proxy
# the build host trusts. The same archive is on deb.debian.org, over http like
# the main mirror: apt checks the signatures of all of them.
# Offline (KINGLET_OFFLINE=1, set by mkosi-rootfs.sh): the packages came from
# a local repository holding the newest cached version of each, so there is
# nothing to upgrade from, and no network to do it with.
if [ "${KINGLET_OFFLINE:-0}" = 1 ]; then
	echo "deb-postinst: offline build: no apt-get update/dist-upgrade (the cache's newest versions are installed)"
else
	sed -i 's|https://security.debian.org/debian-security|http://deb.debian.org/debian-security|' \
		/etc/apt/sources.list.d/*-security.list 2>/dev/null || true
	# No translations: nothing in the image reads package descriptions.
	apt-get --quiet -o Acquire::Languages=none update
	apt-get --yes -o Dpkg::Options::=--force-confold dist-upgrade
fi

# A distro's own Kata agent never enters the image.
if dpkg-query -W -f '${Package}\n' | grep -E '^kata-' >&2; then
	echo "deb-postinst: a kata package is installed; kinglet images carry only kinglet-agent" >&2
	exit 1
fi

# What is needed: Essential:yes packages and KINGLET_KEEP, closed over
# Pre-Depends and Depends (the first installed alternative, or its provider).
# apt's autoremove would not do: it keeps every Priority: required package.
unneeded=$(dpkg-query -W -f '${Package}\t${Essential}\t${Pre-Depends}, ${Depends}\t${Provides}\n' |
	awk -F '\t' -v keep="$KINGLET_KEEP" '
	{
		inst[$1] = 1
		deps[$1] = $3
		if ($2 == "yes")
			root[$1] = 1
		np = split($4, pv, /, */)
		for (i = 1; i <= np; i++) {
			v = pv[i]
			sub(/[ :(].*/, "", v)
			if (v != "" && !(v in prov))
				prov[v] = $1
		}
	}
	END {
		n = split(keep, k, /[ ,]+/)
		for (i = 1; i <= n; i++)
			if (k[i] != "")
				root[k[i]] = 1
		for (p in root) {
			if (!(p in inst)) {
				print "deb-postinst: " p " (KINGLET_KEEP) is not installed" > "/dev/stderr"
				exit 1
			}
			need[p] = 1
			queue[++q] = p
		}
		while (q > 0) {
			p = queue[q--]
			m = split(deps[p], d, /, */)
			for (i = 1; i <= m; i++) {
				a = split(d[i], alt, / *[|] */)
				pick = ""
				for (j = 1; j <= a; j++) {
					name = alt[j]
					sub(/^ +/, "", name)
					sub(/[ :(].*/, "", name)
					if (name in inst) { pick = name; break }
					if (name in prov) { pick = prov[name]; break }
				}
				if (pick != "" && !(pick in need)) {
					need[pick] = 1
					queue[++q] = pick
				}
			}
		}
		for (p in inst)
			if (!(p in need))
				print p
	}' | sort)
if [ -n "$unneeded" ]; then
	echo "deb-postinst: purging $(echo "$unneeded" | tr '\n' ' ')"
	# apt's purge script empties /var/cache/apt, where mkosi has mounted the
	# package cache shared between builds: it must not run (it has nothing else
	# to do here: mkosi removes apt's state afterwards).
	rm -f /var/lib/dpkg/info/apt.postrm
	# apt counts itself and e2fsprogs as essential, hence --allow-remove-essential.
	# shellcheck disable=SC2086 # a list of package names
	apt-get --yes --purge --allow-remove-essential remove $unneeded
fi
echo "deb-postinst: $(dpkg-query -W -f '${db:Status-Abbrev}\n' | grep -c '^ii') packages left"
