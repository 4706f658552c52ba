#!/bin/sh
# kinglet-ctl's network commands against a real agent running in a network
# namespace this test makes, with a dummy and a veth pair in it:
# update-interface (by MAC, by device, by name; IPv4 and IPv6), list-interfaces,
# update-routes (link routes, gateways, IPv6, --clear), list-routes checked
# against `ip route`, add-arp-neighbors checked against `ip neigh`, repeated
# calls, the error exit codes, --json. Documentation addresses only.
# Needs root for the agent part; prints TAP.
#   KINGLET_CTL, KINGLET_AGENT   binaries under test (default build/...)
set -u
CTL=${KINGLET_CTL:-build/kinglet-ctl}
AGENT=${KINGLET_AGENT:-build/kinglet-agent}
n=0
failed=0
agent_pid=""
ns=""
dir=$(mktemp -d /tmp/kinglet-ctlnet-XXXXXX)
sock="$dir/agent.sock"

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok, not_ok, expect
# shellcheck source=tests/integration/tap.sh
. "$(dirname "$0")/tap.sh"

# has NAME FILE LINE...: every LINE is a whole line of FILE
has() {
	name=$1 file=$2
	shift 2
	for line in "$@"; do
		if ! grep -qxF -- "$line" "$file"; then
			cp "$file" "$dir/out"
			echo "lacks: $line" >>"$dir/out"
			not_ok "$name"
			return
		fi
	done
	ok "$name"
}

# same NAME COMMAND...: two runs succeed with identical stdout
same() {
	name=$1
	shift
	if ! "$@" >"$dir/first" 2>"$dir/out" || ! "$@" >"$dir/second" 2>"$dir/out"; then
		not_ok "$name (failed)"
	elif ! cmp -s "$dir/first" "$dir/second"; then
		diff "$dir/first" "$dir/second" >"$dir/out"
		not_ok "$name (outputs differ)"
	else
		ok "$name"
	fi
}

# json_parses NAME COMMAND...: exit 0 and stdout is one JSON document
json_parses() {
	name=$1
	shift
	if ! "$@" >"$dir/json" 2>"$dir/out"; then
		not_ok "$name (failed)"
	elif command -v jq >/dev/null 2>&1; then
		if jq -e . "$dir/json" >"$dir/out" 2>&1; then ok "$name"; else not_ok "$name (jq refuses it)"; fi
	elif command -v python3 >/dev/null 2>&1; then
		if python3 -m json.tool "$dir/json" >"$dir/out" 2>&1; then ok "$name"; else not_ok "$name (not JSON)"; fi
	else
		ok "$name # SKIP neither jq nor python3"
	fi
}

ctl() { "$CTL" --addr "unix://$sock" "$@"; }

# --- help and usage errors: no agent needed ------------------------------------------------
for c in list-interfaces update-interface list-routes update-routes add-arp-neighbors; do
	expect "$c --help" 0 "Usage: kinglet-ctl" -- "$CTL" "$c" --help
done
expect "update-routes --help explains the SPEC keys" 0 "scope=S" -- "$CTL" update-routes --help
expect "add-arp-neighbors --help explains the SPEC keys" 0 "lladdr=MAC" -- "$CTL" add-arp-neighbors --help
expect "update-interface: malformed --mac" 64 "is not a MAC address" -- ctl update-interface --mac 02:00:00:00:07:0g
expect "update-interface: five-pair --mac" 64 "is not a MAC address" -- ctl update-interface --mac 02:00:00:00:07
expect "update-interface needs a link" 64 "say which link" -- ctl update-interface --mtu 1400
expect "update-interface: --addr without a prefix" 64 "has no /PREFIX" -- ctl update-interface --name x --addr 192.0.2.2
expect "update-interface: bad --mtu" 64 "--mtu wants" -- ctl update-interface --name x --mtu big
expect "list-routes takes no arguments" 64 "takes no arguments" -- ctl list-routes all
expect "update-routes needs routes or --clear" 64 "--clear for none" -- ctl update-routes
expect "update-routes: --clear and --route" 64 "exclude each other" -- ctl update-routes --clear --route dev=x
expect "update-routes: unknown key" 64 "unknown key \`metric\`" -- ctl update-routes --route dest=192.0.2.0/24,metric=1
expect "update-routes: bad scope" 64 "scope wants" -- ctl update-routes --route dest=192.0.2.0/24,scope=galaxy
expect "update-routes: mixed families" 64 "not of the same family" -- \
	ctl update-routes --route dest=192.0.2.0/24,via=2001:db8::1
expect "add-arp-neighbors needs a neighbor" 64 "at least one --neighbor" -- ctl add-arp-neighbors
expect "add-arp-neighbors: lladdr is required" 64 "lladdr= is required" -- \
	ctl add-arp-neighbors --neighbor ip=192.0.2.9,dev=x
expect "add-arp-neighbors: malformed lladdr" 64 "is not a MAC address" -- \
	ctl add-arp-neighbors --neighbor ip=192.0.2.9,dev=x,lladdr=02:00:00:00:07:0999
set --
i=0
while [ $i -lt 65 ]; do set -- "$@" --addr "192.0.2.$i/24"; i=$((i + 1)); done
expect "65 --addr are refused" 64 "at most 64 --addr" -- ctl update-interface --name x "$@"
set --
i=0
while [ $i -lt 4097 ]; do set -- "$@" --route "dest=198.51.100.$((i % 256))/32,dev=x$i"; i=$((i + 1)); done
expect "4097 --route are refused" 64 "at most 4096 --route" -- ctl update-routes "$@"
set --
i=0
while [ $i -lt 1025 ]; do
	set -- "$@" --neighbor "ip=192.0.2.$((i % 256)),dev=x,lladdr=02:00:00:00:07:01"
	i=$((i + 1))
done
expect "1025 --neighbor are refused" 64 "at most 1024 --neighbor" -- ctl add-arp-neighbors "$@"
set --
expect "list-interfaces with no agent" 14 "UNAVAILABLE" -- ctl list-interfaces

if [ "$(id -u)" -ne 0 ]; then
	echo "1..$n # the agent part is skipped: it needs root"
	[ "$failed" -eq 0 ]
	exit
fi

# --- the namespace: a dummy (by MAC) and a veth pair, both ends here -----------------------
# A kernel without the dummy driver gets a second veth pair (its peer up, for a carrier).
ns=kt-ctl-$$
kind=dummy
ip netns add "$ns" >"$dir/out" 2>&1 || ns=""
if [ -n "$ns" ] && ! ip -n "$ns" link add kt0 address 02:00:00:00:07:01 type dummy 2>/dev/null; then
	kind=veth
	ip -n "$ns" link add kt0 address 02:00:00:00:07:01 type veth peer name kt0p >"$dir/out" 2>&1 &&
		ip -n "$ns" link set kt0p up >"$dir/out" 2>&1
fi
if [ -z "$ns" ] || ! ip -n "$ns" link show kt0 >/dev/null 2>&1 || ! { ip -n "$ns" link add kt1 address \
	02:00:00:00:07:02 type veth peer name kt1p && ip -n "$ns" link set kt1p up; } >"$dir/out" 2>&1; then
	not_ok "cannot make the network namespace"
	echo "1..$n"
	exit 1
fi

# The agent acts on the namespace it runs in; its own mount namespace and /run, as in a guest.
ip netns exec "$ns" unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
	"$AGENT" --server-addr "unix://$sock" --log-level warn >"$dir/agent.log" 2>&1 &
agent_pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done

# --- update-interface and list-interfaces ---------------------------------------------------
expect "update-interface by MAC: rename, MTU, IPv4 and IPv6" 0 "" -- ctl update-interface \
	--mac 02:00:00:00:07:01 --name kteth0 --mtu 1400 --addr 192.0.2.2/24 --addr 2001:db8::2/64
cp "$dir/out" "$dir/update0"
first_line="^kteth0 mac 02:00:00:00:07:01 mtu 1400 flags 0x[0-9a-f]* type $kind$"
if head -n 1 "$dir/update0" | grep -q "$first_line"; then ok "update-interface prints the link as it now is"; else
	cp "$dir/update0" "$dir/out"
	not_ok "update-interface prints the link as it now is"
fi
has "update-interface prints its addresses" "$dir/update0" "    inet 192.0.2.2/24" "    inet6 2001:db8::2/64"
ip -n "$ns" addr show kteth0 >"$dir/ipaddr" 2>&1
expect "ip sees kteth0 up with both addresses" 0 "" -- sh -c "grep -q '[<,]UP[,>]' '$dir/ipaddr' &&
	grep -q 'mtu 1400' '$dir/ipaddr' && grep -q 'inet 192.0.2.2/24 brd 192.0.2.255' '$dir/ipaddr' &&
	grep -q 'inet6 2001:db8::2/64' '$dir/ipaddr'"
same "update-interface again gives the same answer" ctl update-interface \
	--mac 02:00:00:00:07:01 --name kteth0 --mtu 1400 --addr 192.0.2.2/24 --addr 2001:db8::2/64
expect "update-interface by device: veth, raw flags" 0 "^kt1 mac 02:00:00:00:07:02 .* type veth$" -- \
	ctl update-interface --device kt1 --raw-flags 0x1100 --addr 198.51.100.2/28 --addr 192.0.2.66/26
expect "ip sees kt1 up and promiscuous" 0 "PROMISC" -- ip -n "$ns" link show kt1
expect "update-interface by name replaces the addresses" 0 "^    inet 198.51.100.3/28$" -- \
	ctl update-interface --name kt1 --addr 198.51.100.3/28 --addr 2001:db8:1::3/64
ip -n "$ns" -4 addr show kt1 >"$dir/ipaddr" 2>&1
expect "ip sees only the new IPv4 address on kt1" 0 "" -- sh -c "grep -q 'inet 198.51.100.3/28' '$dir/ipaddr' &&
	! grep -q '198.51.100.2/\|192.0.2.66' '$dir/ipaddr'"
ctl list-interfaces >"$dir/list" 2>&1
has "list-interfaces shows both links and their addresses" "$dir/list" "    inet 192.0.2.2/24" \
	"    inet6 2001:db8::2/64" "    inet 198.51.100.3/28" "    inet6 2001:db8:1::3/64"
expect "list-interfaces shows lo with its all-zero MAC" 0 "^lo mac 00:00:00:00:00:00 mtu [0-9]* flags 0x" -- \
	cat "$dir/list"
expect "list-interfaces shows kteth0 with its kind ($kind)" 0 "^kteth0 mac 02:00:00:00:07:01 mtu 1400 .* type $kind" -- \
	cat "$dir/list"
same "list-interfaces twice gives the same output" ctl list-interfaces
json_parses "list-interfaces --json parses" ctl --json list-interfaces
expect "list-interfaces --json has kteth0" 0 '"name":"kteth0","device":"kteth0","hw_addr":"02:00:00:00:07:01"' -- \
	cat "$dir/json"
json_parses "update-interface --json parses" ctl --json update-interface --name kt1 --addr 198.51.100.3/28 \
	--addr 2001:db8:1::3/64

expect "update-interface: no link with that MAC" 5 "NOT_FOUND" -- ctl update-interface --mac 02:00:00:00:07:99
expect "update-interface: no link with that name" 5 "NOT_FOUND" -- ctl update-interface --device nosuch0
expect "update-interface: a --device-path that is not a PCI path" 3 "is not a PCI path" -- \
	ctl update-interface --device-path 0x/zz
expect "update-interface: malformed MAC is the ctl's usage error" 64 "not a MAC address" -- \
	ctl update-interface --mac 02:00:00:00:07
expect "update-interface --json refusal" 5 '"error":{"code":5,"status":"NOT_FOUND"' -- \
	ctl --json update-interface --device nosuch0

# --- update-routes and list-routes ----------------------------------------------------------
# The gateway route comes first: it is reachable only through the link route after it.
set -- --route dest=198.51.100.64/26,via=198.51.100.129,dev=kteth0 \
	--route dest=198.51.100.128/25,dev=kteth0,scope=link \
	--route dest=default,via=192.0.2.1,dev=kteth0 \
	--route dest=2001:db8:ff::/48,via=2001:db8::1,dev=kteth0 \
	--route dest=default,via=2001:db8::1,dev=kteth0
expect "update-routes: gateway, link, default, IPv6" 0 "" -- ctl update-routes "$@"
cp "$dir/out" "$dir/routes0"
ctl list-routes >"$dir/routes" 2>&1
has "list-routes shows the routes asked for" "$dir/routes" \
	"198.51.100.64/26 via 198.51.100.129 dev kteth0" "198.51.100.128/25 dev kteth0 scope 253" \
	"default via 192.0.2.1 dev kteth0" "2001:db8:ff::/48 via 2001:db8::1 dev kteth0" \
	"default inet6 via 2001:db8::1 dev kteth0"
expect "list-routes keeps the kernel's link route" 0 "^192.0.2.0/24 dev kteth0 src 192.0.2.2 scope 253$" -- \
	cat "$dir/routes"
expect "update-routes prints the table list-routes prints" 0 "" -- cmp "$dir/routes0" "$dir/routes"
ip -n "$ns" -4 route show table main >"$dir/iproute" 2>&1
ip -n "$ns" -6 route show table main >>"$dir/iproute" 2>&1
expect "ip route: the gateway route" 0 "^198.51.100.64/26 via 198.51.100.129 dev kteth0" -- cat "$dir/iproute"
expect "ip route: the link route" 0 "^198.51.100.128/25 dev kteth0 .*scope link" -- cat "$dir/iproute"
expect "ip route: the default route" 0 "^default via 192.0.2.1 dev kteth0" -- cat "$dir/iproute"
expect "ip -6 route: the IPv6 route" 0 "^2001:db8:ff::/48 via 2001:db8::1 dev kteth0" -- cat "$dir/iproute"
expect "ip -6 route: the IPv6 default route" 0 "^default via 2001:db8::1 dev kteth0" -- cat "$dir/iproute"
unicast=$({ ip -n "$ns" -4 route show table main type unicast; ip -n "$ns" -6 route show table main type unicast; } |
	wc -l)
expect "list-routes has as many routes as ip shows" 0 "" -- test "$(wc -l <"$dir/routes")" -eq "$unicast"
same "update-routes again gives the same table" ctl update-routes "$@"
same "list-routes twice gives the same output" ctl list-routes
json_parses "list-routes --json parses" ctl --json list-routes
expect "list-routes --json: the default route has dest \"\"" 0 \
	'{"dest":"","gateway":"192.0.2.1","device":"kteth0","source":"","scope":0,"family":4' -- cat "$dir/json"
expect "update-routes: unknown device" 5 "NOT_FOUND" -- \
	ctl update-routes --route dest=198.51.100.0/24,dev=nosuch0,scope=link
expect "the table is unchanged after the refusal" 0 "" -- sh -c "'$CTL' --addr 'unix://$sock' list-routes |
	cmp - '$dir/routes'"
expect "update-routes: a gateway no link reaches" 9 "FAILED_PRECONDITION" -- \
	ctl update-routes --route dest=198.51.100.0/24,via=198.51.100.30,dev=kteth0
expect "update-routes --clear keeps only the kernel's routes" 0 "^192.0.2.0/24 dev kteth0" -- ctl update-routes --clear
expect "no route with a gateway is left" 1 "" -- sh -c "'$CTL' --addr 'unix://$sock' list-routes | grep ' via '"

# --- add-arp-neighbors -----------------------------------------------------------------------
set -- --neighbor ip=192.0.2.9,dev=kteth0,lladdr=02:00:00:00:07:09 \
	--neighbor ip=2001:db8::9,dev=kteth0,lladdr=02:00:00:00:07:0A
expect "add-arp-neighbors: IPv4 and IPv6" 0 "^2 neighbors added$" -- ctl add-arp-neighbors "$@"
expect "ip neigh: the IPv4 neighbor is PERMANENT" 0 "lladdr 02:00:00:00:07:09 PERMANENT" -- \
	ip -n "$ns" neigh show 192.0.2.9 dev kteth0
expect "ip neigh: the IPv6 neighbor is PERMANENT" 0 "lladdr 02:00:00:00:07:0a PERMANENT" -- \
	ip -n "$ns" neigh show 2001:db8::9 dev kteth0
expect "add-arp-neighbors again is harmless" 0 "^2 neighbors added$" -- ctl add-arp-neighbors "$@"
expect "add-arp-neighbors --json" 0 '^{"neighbors":1}$' -- \
	ctl --json add-arp-neighbors --neighbor ip=192.0.2.10,dev=kteth0,lladdr=02:00:00:00:07:10
expect "add-arp-neighbors: unknown device" 5 "NOT_FOUND" -- \
	ctl add-arp-neighbors --neighbor ip=192.0.2.11,dev=nosuch0,lladdr=02:00:00:00:07:11
expect "nothing is added when one entry is refused" 1 "" -- sh -c "
	'$CTL' --addr 'unix://$sock' add-arp-neighbors --neighbor ip=192.0.2.12,dev=kteth0,lladdr=02:00:00:00:07:12 \
		--neighbor ip=192.0.2.13,dev=nosuch0,lladdr=02:00:00:00:07:13 >/dev/null 2>&1
	ip -n '$ns' neigh show dev kteth0 | grep 192.0.2.12"

# Last: what a refused update-interface leaves is not promised.
expect "update-interface: an address the agent refuses" 3 "INVALID_ARGUMENT" -- \
	ctl update-interface --device kteth0 --addr 192.0.2.300/24
expect "update-interface: an IPv4 prefix over 32" 3 "INVALID_ARGUMENT" -- \
	ctl update-interface --device kteth0 --addr 192.0.2.2/33

if ! kill -0 "$agent_pid" 2>/dev/null; then
	cp "$dir/agent.log" "$dir/out"
	not_ok "the agent is still running"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
