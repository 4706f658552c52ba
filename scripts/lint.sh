#!/bin/sh
# make lint: project rules that a compiler does not enforce.
#  - banned calls: sprintf, strcpy, strcat, atoi, atol, system(), dup(), gets
#  - every open/socket/pipe/accept/epoll/signalfd/... asks for close-on-exec
#  - no hand-written file over 800 lines, tests and benchmarks included (generated code excluded)
#  - shell scripts pass shellcheck -S warning
set -u
status=0
SRC=$(find lib agent init ctl proxy rootfs-builder -name '*.[ch]' 2>/dev/null)

ban() { # regex, message[, exempt-regex]
	hits=$(grep -nE "$1" $SRC /dev/null | grep -v '/\* lint: allow' | grep -vE "${3:-^$}")
	if [ -n "$hits" ]; then
		echo "lint: $2:"
		echo "$hits" | sed 's/^/  /'
		status=1
	fi
}
ban '\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol)\(' "banned function (use snprintf, memcpy with a bound, parse_*())"
ban '\bsystem\(' "system() is banned: exec directly"
ban '[^_]\bdup\(' "dup() leaks into children: use fcntl(F_DUPFD_CLOEXEC)"
ban '\bopen(at)?\([^;]*O_(RDONLY|WRONLY|RDWR)' "open without O_CLOEXEC" 'O_CLOEXEC'
ban '\bsocket\([^;]*SOCK_(STREAM|DGRAM|SEQPACKET|RAW)' "socket without SOCK_CLOEXEC" 'SOCK_CLOEXEC'
ban '\bpipe\(' "pipe() without close-on-exec: use pipe2(.., O_CLOEXEC)"
ban '\bepoll_create\(' "use epoll_create1(EPOLL_CLOEXEC)"
ban '\baccept\(' "use accept4(.., SOCK_CLOEXEC)"
ban 'fopen\([^,]*, *"[rwa]\+?"\)' "fopen without \"e\" (close-on-exec)"

# The size rule covers tests, benchmarks and scripts too: they are read as often.
SIZED=$(find lib agent init ctl proxy rootfs-builder tests bench scripts image-recipes \
	\( -name '*.[ch]' -o -name '*.sh' -o -name '*.go' \) 2>/dev/null)
for f in $SIZED; do
	n=$(wc -l <"$f")
	if [ "$n" -gt 800 ]; then
		echo "lint: $f has $n lines (limit 800): split it by job"
		status=1
	fi
done
# Shell scripts: shellcheck's warnings and errors (its style notes are advice).
SCRIPTS=$( (git ls-files '*.sh'; git ls-files --others --exclude-standard '*.sh') 2>/dev/null | sort -u)
if command -v shellcheck >/dev/null; then
	# shellcheck disable=SC2086 # paths in the repo have no blanks
	if ! shellcheck -S warning -x -P SCRIPTDIR $SCRIPTS; then
		echo "lint: shellcheck found problems (above)"
		status=1
	fi
else
	echo "lint: shellcheck is not installed (make deps); shell scripts not checked"
	status=1
fi
[ $status -eq 0 ] && echo "lint: ok ($(echo $SRC | wc -w) C files, $(echo $SCRIPTS | wc -w) shell scripts)"
exit $status
