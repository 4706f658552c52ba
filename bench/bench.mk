# Benchmarks: included from the top-level Makefile.
#
#   make bench   binary size, idle RSS and grpc.Health/Check throughput and
#                latency of $(BUILD)/kinglet-agent next to containerd's Go ttrpc
#                server; container lifecycle and exec times next to crun and
#                runc, RSS per live container and a leak soak (as root). Two
#                tables, also written to $(BUILD)/bench/results.md
#
#   BENCH_SECONDS=5      measured seconds per load run (plus BENCH_WARMUP=1)
#   BENCH_CLIENTS="1 16" concurrent connections, one run each per round
#   BENCH_ROUNDS=3       rounds; the table shows each server's median round
#   BENCH_CT=1           0 skips the container benchmarks
#   BENCH_CT_RUNS=200    timed lifecycles per runtime (BENCH_CT_EXEC_RUNS: execs,
#                        1.5x that), over BENCH_CT_ROUNDS=4 interleaved rounds
#   BENCH_CT_DENSITY=100 live containers for RSS per container
#   BENCH_CT_SOAK=1000   create/start/wait/remove cycles of the leak soak
#   BENCH_FOOTPRINT=1    0 skips the guest footprint table (make footprint: boots
#                        each guest in $(BUILD)/images under QEMU, BOOTS=3 times)
#   BENCH_BOOT=1         0 skips the boot and guest memory table (make bench-boot:
#                        the busybox initrd with the agent as init next to a shell
#                        as init, BOOT_BENCH_BOOTS=5 boots of each, 10 idle containers)
#   BENCH_PROXY=1        0 skips the kinglet-proxy tables. make bench-proxy: Check and exec
#                        round trips direct to a host agent vs through the proxy, its size
#                        and RSS idle and with 100 / 1,000 idle clients (PROXY_BENCH_SECONDS=3,
#                        PROXY_BENCH_ROUNDS=3, PROXY_BENCH_EXEC_RUNS=150), then
#                        make bench-sandbox: QEMU start to a container's first output byte
#                        through the proxy over virtio-serial, next to a bare boot
#                        (SANDBOX_BOOTS=3 of each). Without a proxy binary the rows say
#                        "proxy: not built"
#   BENCH_NET=1          0 skips the networking table (make bench-net: UpdateInterface +
#                        UpdateRoutes, ListRoutes and UpdateRoutes with 1,000 routes, next to
#                        the same work done by `ip`; NET_BENCH_RUNS=200, NET_BENCH_BIG_RUNS=100)
#   BENCH_SOAK=1         0 skips the leak soak (make bench-soak: SOAK_CONTAINER_CYCLES=1000
#                        container create/start/read/wait/remove cycles, then SOAK_EXEC_CYCLES=10000
#                        exec/read/wait cycles in one container, SOAK_WARMUP=20 first; the agent's
#                        RSS, heap, fds, mounts, cgroups, threads, processes and zombies before and
#                        after, PASS/FAIL per row; as root, a few minutes)
#
# This is a measurement, not a test: it fails only when a server does not
# start or answers wrongly, never because a target is missed.

BENCH_SECONDS ?= 5
BENCH_WARMUP ?= 1
BENCH_CLIENTS ?= 1 16
BENCH_ROUNDS ?= 3
BENCH_CT ?= 1
BENCH_CT_RUNS ?= 200
# Empty: bench/run.sh takes 1.5 x BENCH_CT_RUNS.
BENCH_CT_EXEC_RUNS ?=
BENCH_CT_ROUNDS ?= 4
BENCH_CT_DENSITY ?= 100
BENCH_CT_SOAK ?= 1000
BENCH_FOOTPRINT ?= 1
BENCH_BOOT ?= 1
BOOT_BENCH_BOOTS ?= 5
BENCH_PROXY ?= 1
PROXY_BENCH_SECONDS ?= 3
PROXY_BENCH_ROUNDS ?= 3
PROXY_BENCH_EXEC_RUNS ?= 150
SANDBOX_BOOTS ?= 3

BENCH_LOAD := $(BUILD)/bench/ttrpc-load
BENCH_CT_BIN := $(BUILD)/bench/ct-bench
BENCH_GO_SERVER := $(BUILD)/bench/go-ttrpc-server
BENCH_GO_SRCS := $(wildcard bench/go-ttrpc-server/*.go)

# Debian packages containerd's ttrpc and its imports as GOPATH sources under
# /usr/share/gocode, not as a module cache. GO111MODULE=off resolves imports
# from there (ttrpc's go.mod and its pinned versions are ignored), so nothing
# is ever downloaded; GOPROXY=off makes sure of it. GOENV=off and an empty
# GOFLAGS keep a user's `go env -w` settings out (a -mod=... is an error
# outside module mode). GOCACHE must be absolute.
# CGO off gives a static binary, like the agent; -s -w strips it, so both
# sizes are of stripped binaries.
BENCH_GO_ENV := GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOENV=off GOFLAGS= \
	CGO_ENABLED=0 GOCACHE=$(abspath $(BUILD))/bench/gocache

$(BENCH_LOAD): $(BUILD)/host/bench/ttrpc_load.o $(call objs,host,$(CORE_SRCS))
	@mkdir -p $(@D)
	@echo "  LD [host] $@"
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)

# The container benchmark client: the agent client library plus the tests'
# busybox rootfs builder and default OCI spec (neither needs cmocka).
BENCH_CT_OBJS := $(addprefix $(BUILD)/host/bench/,ct_bench.o ct_numbers.o ct_proc.o) $(call objs,host,$(CORE_SRCS) tests/support/rootfs.c \
	tests/support/test_spec.c)
$(BENCH_CT_BIN): $(BENCH_CT_OBJS)
	@mkdir -p $(@D)
	@echo "  LD [host] $@"
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)

$(BENCH_GO_SERVER): $(BENCH_GO_SRCS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  GO $@"
	$(Q)$(BENCH_GO_ENV) go build -trimpath -ldflags='-s -w' -o $@ ./bench/go-ttrpc-server

.PHONY: bench bench-bins bench-boot bench-proxy bench-sandbox bench-proxy-bin
bench-bins: $(BENCH_LOAD) $(BENCH_GO_SERVER) $(BENCH_CT_BIN)

bench: all bench-bins
	$(Q)BENCH_SECONDS="$(BENCH_SECONDS)" BENCH_WARMUP="$(BENCH_WARMUP)" \
		BENCH_CLIENTS="$(BENCH_CLIENTS)" BENCH_ROUNDS="$(BENCH_ROUNDS)" \
		BENCH_CT="$(BENCH_CT)" BENCH_CT_RUNS="$(BENCH_CT_RUNS)" BENCH_CT_EXEC_RUNS="$(BENCH_CT_EXEC_RUNS)" \
		BENCH_CT_ROUNDS="$(BENCH_CT_ROUNDS)" BENCH_CT_DENSITY="$(BENCH_CT_DENSITY)" \
		BENCH_CT_SOAK="$(BENCH_CT_SOAK)" sh bench/run.sh $(BUILD)
	$(Q)$(if $(filter 1,$(BENCH_FOOTPRINT)),$(MAKE) --no-print-directory footprint)
	$(Q)$(if $(filter 1,$(BENCH_BOOT)),$(MAKE) --no-print-directory bench-boot)
	$(Q)$(if $(filter 1,$(BENCH_PROXY)),$(MAKE) --no-print-directory bench-proxy)
	$(Q)$(if $(filter 1,$(BENCH_NET)),$(MAKE) --no-print-directory bench-net)
	$(Q)$(if $(filter 1,$(BENCH_SOAK)),$(MAKE) --no-print-directory bench-soak)

# Boot to agent-ready and guest memory, the agent as init next to a shell as init.
bench-boot: all $(BUILD)/images/busybox/vmlinuz $(BUILD)/images/busybox/initrd.img
	$(Q)IMAGES=$(IMAGES_DIR) OUT=$(BUILD)/bench/boot.md KINGLET_CTL=$(BUILD)/kinglet-ctl \
		BOOT_BENCH_BOOTS=$(BOOT_BENCH_BOOTS) sh bench/boot_bench.sh

# The proxy is measured when it builds; when it does not, the tables say
# "proxy: not built" (a stale binary must not stand in for it).
bench-proxy-bin: all
	$(Q)$(MAKE) --no-print-directory $(BUILD)/kinglet-proxy || { rm -f $(BUILD)/kinglet-proxy; \
		echo "bench-proxy: $(BUILD)/kinglet-proxy did not build; its rows say \"proxy: not built\"" >&2; }

# kinglet-proxy's overhead on the host (direct vs proxied), then sandbox start in a VM.
bench-proxy: all $(BENCH_LOAD) $(BENCH_CT_BIN) bench-proxy-bin
	$(Q)PROXY_BENCH_SECONDS=$(PROXY_BENCH_SECONDS) PROXY_BENCH_ROUNDS=$(PROXY_BENCH_ROUNDS) \
		PROXY_BENCH_EXEC_RUNS=$(PROXY_BENCH_EXEC_RUNS) OUT=$(BUILD)/bench/proxy.md \
		sh bench/proxy_bench.sh $(BUILD)
	$(Q)$(MAKE) --no-print-directory bench-sandbox

bench-sandbox: all bench-proxy-bin $(BUILD)/images/busybox/vmlinuz $(BUILD)/images/busybox/initrd.img
	$(Q)IMAGES=$(IMAGES_DIR) OUT=$(BUILD)/bench/sandbox.md KINGLET_CTL=$(BUILD)/kinglet-ctl \
		KINGLET_PROXY=$(BUILD)/kinglet-proxy SANDBOX_BOOTS=$(SANDBOX_BOOTS) sh bench/sandbox_start.sh

# Guest network RPCs next to iproute2 (bench/README.md, "Networking"): net-bench makes
# its own network namespace, runs the agent in it, and times both sides in turn.
BENCH_NET ?= 1
NET_BENCH_RUNS ?= 200
NET_BENCH_BIG_RUNS ?= 100
BENCH_NET_BIN := $(BUILD)/bench/net-bench
BENCH_NET_OBJS := $(addprefix $(BUILD)/host/bench/,net_bench.o net_agent.o net_peer.o net_table.o ct_numbers.o ct_proc.o) \
	$(call objs,host,$(CORE_SRCS))
$(BENCH_NET_BIN): $(BENCH_NET_OBJS)
	@mkdir -p $(@D)
	@echo "  LD [host] $@"
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)

.PHONY: bench-net
bench-net: all $(BENCH_NET_BIN)
	$(Q)KINGLET_AGENT=$(BUILD)/kinglet-agent $(BENCH_NET_BIN) --runs $(NET_BENCH_RUNS) \
		--big-runs $(NET_BENCH_BIG_RUNS) >$(BUILD)/bench/net.md; r=$$?; cat $(BUILD)/bench/net.md; exit $$r

# The leak soak (bench/README.md, "Soak"): kinglet-soak starts the agent itself, in a
# private mount namespace, and prints the tables (also in $(BUILD)/bench/soak.md).
BENCH_SOAK ?= 1
SOAK_CONTAINER_CYCLES ?= 1000
SOAK_EXEC_CYCLES ?= 10000
SOAK_WARMUP ?= 20
BENCH_SOAK_BIN := $(BUILD)/bench/kinglet-soak
BENCH_SOAK_OBJS := $(addprefix $(BUILD)/host/bench/,soak.o soak_table.o ct_proc.o) \
	$(call objs,host,$(CORE_SRCS) tests/support/rootfs.c tests/support/test_spec.c)
$(BENCH_SOAK_BIN): $(BENCH_SOAK_OBJS)
	@mkdir -p $(@D)
	@echo "  LD [host] $@"
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)

.PHONY: bench-soak
bench-soak: all $(BENCH_SOAK_BIN)
	$(Q)$(BENCH_SOAK_BIN) --agent $(BUILD)/kinglet-agent --containers $(SOAK_CONTAINER_CYCLES) \
		--execs $(SOAK_EXEC_CYCLES) --warmup $(SOAK_WARMUP) >$(BUILD)/bench/soak.md; r=$$?; \
		cat $(BUILD)/bench/soak.md; exit $$r
