#!/bin/sh
# tree-digest.sh: one line per entry of a directory tree, sorted by path, so
# that two trees can be compared with diff. See --help.
set -eu

usage() {
	cat <<'EOF'
usage: tree-digest.sh [--mtime] DIR

Prints, for DIR itself (".") and every entry below it, sorted by path (C locale):
  PATH <TAB> TYPE <TAB> MODE <TAB> UID:GID <TAB> SIZE <TAB> CONTENT [<TAB> MTIME]
TYPE is find's %y letter (f d l c b p s); MODE is octal with the set-id and
sticky bits; SIZE is "-" for everything but regular files; CONTENT is the
sha256 of a regular file, "-> TARGET" for a symlink, "MAJOR:MINOR" (hex) for a
device, "-" otherwise. --mtime adds the modification time in whole seconds.
Not covered: extended attributes, ACLs, hard-link identity. Names holding a
newline or a tab are refused (exit 1).

  diff <(tree-digest.sh a) <(tree-digest.sh b)    where two trees differ
  tree-digest.sh a | sha256sum                    one hash for a tree
EOF
}

mtime=0
case ${1:-} in
-h | --help) usage; exit 0 ;;
--mtime) mtime=1; shift ;;
-*) usage >&2; exit 64 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 64; }
[ -d "$1" ] || { echo "tree-digest: $1 is not a directory" >&2; exit 66; }
cd "$1"

nl='
'
tab=$(printf '\t')
if [ -n "$(find . \( -name "*$nl*" -o -name "*$tab*" \) -print -quit)" ]; then
	echo "tree-digest: a name in $1 holds a newline or a tab" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tree-digest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# sha256 of every regular file: "HASH  ./PATH" (-z: no escaping of odd names)
find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum -z | tr '\0' '\n' >"$tmp/hash"
# device numbers: "./PATH<TAB>MAJOR:MINOR"
find . \( -type c -o -type b \) -exec stat -c "%n$tab%t:%T" {} + >"$tmp/dev"
# everything else find knows
find . -printf '%p\t%y\t%#m\t%U:%G\t%s\t%l\t%T@\n' >"$tmp/meta"

LC_ALL=C awk -F '\t' -v mtime="$mtime" '
	FILENAME == ARGV[1] { p = substr($0, 67); hash[p] = substr($0, 1, 64); next }
	FILENAME == ARGV[2] { dev[$1] = $2; next }
	{
		path = $1 == "." ? "." : substr($1, 3)
		size = "-"
		content = "-"
		if ($2 == "f") { size = $5; content = hash[$1] }
		else if ($2 == "l") content = "-> " $6
		else if ($2 == "c" || $2 == "b") content = dev[$1]
		line = path "\t" $2 "\t" $3 "\t" $4 "\t" size "\t" content
		if (mtime) { split($7, t, "."); line = line "\t" t[1] }
		print line
	}' "$tmp/hash" "$tmp/dev" "$tmp/meta" | LC_ALL=C sort
