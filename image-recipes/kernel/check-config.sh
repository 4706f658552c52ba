#!/bin/sh
# check-config.sh: every option a config fragment sets must survive into the final .config.
#
#   check-config.sh [--srctree DIR] FRAGMENT... CONFIG
#
# Fragments are read in order and a later one overrides an earlier one (as
# merge_config.sh does). For each option they set, CONFIG (a .config after
# `make olddefconfig`) must hold exactly that value; "# CONFIG_X is not set" in a
# fragment is met by X being unset or absent. Kconfig drops an option silently
# when its dependencies are not met: here that is an error naming the option.
# With --srctree (the kernel source), the error also quotes the option's
# "depends on" lines with the current value of each symbol in them.
#
# Exit status: 0 all survived, 1 some did not (one line each on stderr), 2 usage.
set -eu

usage() {
	cat <<'EOF'
usage: check-config.sh [--srctree DIR] FRAGMENT... CONFIG

Checks that every option set by the FRAGMENTs (later ones override earlier ones)
has exactly that value in CONFIG, the .config after `make olddefconfig`.
With --srctree DIR (the kernel source tree), a dropped option's error also shows
its "depends on" expression and the values of the symbols in it.
Exit status: 0 all options survived, 1 some did not, 2 usage error.
EOF
}

srctree=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--srctree) [ $# -ge 2 ] || { usage >&2; exit 2; }; srctree=$2; shift 2 ;;
	--srctree=*) srctree=${1#--srctree=}; shift ;;
	--) shift; break ;;
	-*) echo "check-config: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 2 ]; then
	usage >&2
	exit 2
fi
for f in "$@"; do
	if [ ! -r "$f" ]; then
		echo "check-config: cannot read $f" >&2
		exit 2
	fi
done

# The last argument is the .config.
config=
eval "config=\${$#}"
nfrag=$(($# - 1))

# Lines "OPTION<TAB>wanted<TAB>got<TAB>fragment" for every mismatch, then a
# final line "#<TAB>number of options checked".
mismatches=$(awk '
	function parse(line) {    # sets sym and val; returns 1 for an option line
		sub(/[ \t\r]+$/, "", line)
		if (match(line, /^# CONFIG_[A-Za-z0-9_]+ is not set$/)) {
			sym = substr(line, 3); sub(/ .*/, "", sym); val = "n"; return 1
		}
		if (match(line, /^CONFIG_[A-Za-z0-9_]+=/)) {
			sym = substr(line, 1, RLENGTH - 1); val = substr(line, RLENGTH + 1); return 1
		}
		return 0
	}
	BEGIN {    # the last argument is the .config: read it here, not as input
		cfg = ARGV[ARGC - 1]; delete ARGV[ARGC - 1]
		while ((r = (getline l < cfg)) > 0) if (parse(l)) have[sym] = val
		if (r < 0) { print "cannot read " cfg > "/dev/stderr"; exit 2 }
	}
	{
		if (!parse($0)) next
		if (!(sym in want)) order[++n] = sym
		want[sym] = val
		name = FILENAME; sub(/.*\//, "", name); from[sym] = name
	}
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]; w = want[s]
			g = (s in have) ? have[s] : "n"
			if (w != g) printf "%s\t%s\t%s\t%s\n", s, w, g, from[s]
		}
		printf "#\t%d\n", n
	}' "$@")

checked=$(printf '%s\n' "$mismatches" | awk -F '\t' '$1 == "#" { print $2 }')
bad=$(printf '%s\n' "$mismatches" | grep -v '^#' || true)

# The Kconfig files that define SYMBOL (no CONFIG_ prefix): generic ones, then x86's.
kconfig_of() {
	re="^[[:space:]]*(menu)?config[[:space:]]+$1[[:space:]]*\$"
	{ grep -rlE --include='Kconfig*' "$re" "$srctree" 2>/dev/null || true; } | grep -vE '/arch/[^/]+/' || true
	grep -rlE --include='Kconfig*' "$re" "$srctree/arch/x86" 2>/dev/null || true
}

# The conditions on a line of a Kconfig FILE, joined with " && ": the `if` blocks
# around the first line that matches REGEX and, if that line starts a config
# entry, the entry's "depends on" lines.
conditions_at() { # FILE REGEX
	awk -v re="$2" '
		function add(d) {
			sub(/[ \t]+(#.*)?$/, "", d)
			deps = deps (deps == "" ? "" : " && ") (d ~ /[|]/ ? "(" d ")" : d)
		}
		/^if[ \t]/ { d = $0; sub(/^if[ \t]+/, "", d); ifs[++nif] = d; next }
		/^endif/ { if (nif > 0) nif--; next }
		$0 ~ re {
			if (found) exit
			found = 1; inblk = 1
			for (i = 1; i <= nif; i++) add(ifs[i])
			next
		}
		inblk && /^[^ \t#]/ { exit }
		inblk && /^[ \t]+depends on[ \t]/ { d = $0; sub(/^[ \t]+depends on[ \t]+/, "", d); add(d) }
		END { print deps }' "$1"
}

# "Kconfig-file: conditions" for the file that sources FILE (a path below $srctree).
sourced_under() {
	rel=${1#"$srctree"/}
	parent=$(grep -rlE --include='Kconfig*' "^[[:space:]]*source[[:space:]]+\"$rel\"" "$srctree" 2>/dev/null |
		head -n 1 || true)
	[ -n "$parent" ] || return 0
	printf '%s\n' "$(conditions_at "$parent" "^[ \t]*source[ \t]+\"$rel\"")"
}

# Sets $vals to " [A=y B=n]", the value of every symbol in a depends expression,
# and $unmet to the number of those that are not set.
values_of() {
	vals=
	unmet=0
	for s in $(printf '%s\n' "$1" | grep -oE '[A-Z][A-Z0-9_]*' | awk '!seen[$0]++'); do
		v=$(sed -n "s/^CONFIG_$s=//p" "$config" | head -n 1)
		[ -n "$v" ] || unmet=$((unmet + 1))
		vals="$vals $s=${v:-n}"
	done
	[ -z "$vals" ] || vals=" [${vals# }]"
}

describe() { # value -> how it reads in a message
	case $1 in n) echo "not set" ;; *) echo "$1" ;; esac
}

if [ -n "$bad" ]; then
	nbad=0
	tab=$(printf '\t')
	while IFS=$tab read -r sym want got from; do
		nbad=$((nbad + 1))
		msg="check-config: $sym: wanted $(describe "$want"), got $(describe "$got") (set in $from)"
		if [ -n "$srctree" ] && [ "$want" != n ]; then
			name=${sym#CONFIG_}
			files=$(kconfig_of "$name")
			if [ -z "$files" ]; then
				msg="$msg; no such option in this kernel (misspelt, removed or another arch)"
			else
				deps=
				for kf in $files; do
					deps=$(conditions_at "$kf" "^[ \t]*(menu)?config[ \t]+${name}[ \t]*\$")
					[ -n "$deps" ] && break
				done
				# Met, or none: the condition is further out, where the file is sourced.
				outer=
				if [ -n "$deps" ]; then values_of "$deps"; else unmet=0; fi
				[ "$unmet" -gt 0 ] || outer=$(sourced_under "$kf")
				if [ -n "$outer" ]; then
					deps="${deps:+$deps && }$outer"
					values_of "$deps"
				fi
				if [ -n "$deps" ]; then
					msg="$msg; depends on: $deps$vals"
				else
					msg="$msg; no \"depends on\": a choice or a menu around it decides"
				fi
			fi
		fi
		echo "$msg" >&2
	done <<EOF
$bad
EOF
	echo "check-config: $nbad of $checked options from $nfrag fragment(s) did not survive in $config" >&2
	exit 1
fi
echo "check-config: all $checked options from $nfrag fragment(s) survived in $config"
