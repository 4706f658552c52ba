#!/bin/sh
# make lint: project rules that a compiler does not enforce.
#  - banned calls: sprintf, strcpy, strcat, atoi, atol, system(), dup(), gets
#  - every open/socket/pipe/accept/epoll/signalfd/... asks for close-on-exec
#  - no hand-written file over 800 lines (generated code excluded)
set -u
status=0
SRC=$(find lib agent init ctl proxy -name '*.[ch]' 2>/dev/null)

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

for f in $SRC; do
	n=$(wc -l <"$f")
	if [ "$n" -gt 800 ]; then
		echo "lint: $f has $n lines (limit 800): split it by job"
		status=1
	fi
done
[ $status -eq 0 ] && echo "lint: ok ($(echo $SRC | wc -w) files)"
exit $status
