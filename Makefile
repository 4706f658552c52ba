# kinglet — top-level build. `make help` lists the targets.
#
# Variants (objects never mix):
#   build/musl/   production: musl-gcc -static, protobuf-c and libmnl archives
#   build/host/   glibc gcc: unit and integration tests, benchmark client
#   build/asan/   glibc gcc with ASan+UBSan: the same tests, and an agent to run them on
#   build/fuzz/   clang libFuzzer harnesses
# Generated protobuf-c code lives in build/gen/ and is never committed.

.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD ?= build
DEPS_DIR ?= .deps
GEN := $(BUILD)/gen
VERSION := $(shell cat VERSION)
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

DEPS_STAMP := $(DEPS_DIR)/.stamp

# --- sources -----------------------------------------------------------------

PROTO_FILES := proto/google/rpc/status.proto proto/ttrpc.proto proto/health.proto \
	proto/types.proto proto/oci.proto proto/csi.proto proto/agent.proto proto/kinglet.proto
WKT_FILES := google/protobuf/any.proto google/protobuf/empty.proto
GEN_C := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTO_FILES)) \
	$(patsubst %.proto,$(GEN)/%.pb-c.c,$(WKT_FILES))
GEN_STAMP := $(GEN)/.stamp

LIB_SRCS := $(sort $(wildcard lib/*.c))
AGENT_SRCS := $(sort $(wildcard agent/*.c) $(wildcard init/*.c))
CTL_SRCS := $(sort $(wildcard ctl/*.c))
PROXY_SRCS := $(sort $(wildcard proxy/*.c))

# --- flags ---------------------------------------------------------------------

WARNINGS := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter \
	-Wmissing-prototypes -Wstrict-prototypes
# gnu11 predefines `linux`, which collides with the OCI Spec field of that name.
COMMON_CFLAGS := -std=gnu11 -Ulinux -D_GNU_SOURCE -g $(WARNINGS) -Ilib -Iinit -Iagent -Itests/support -I$(GEN) \
	-I$(DEPS_DIR)/libmnl/usr/include \
	-DKINGLET_VERSION=\"$(VERSION)\" -MMD -MP
GEN_CFLAGS := -Wno-missing-prototypes

MUSL_CC := musl-gcc
# Static, not static-PIE: no start-up relocation and no GOT indirection. No unwind
# tables: nothing in C unwinds (debug info keeps its own frame data).
MUSL_CFLAGS := $(COMMON_CFLAGS) -Os -I$(DEPS_DIR)/musl-include -ffunction-sections -fdata-sections \
	-fstack-protector-strong -fno-pie -fno-asynchronous-unwind-tables -fno-unwind-tables
MUSL_LDFLAGS := -static -no-pie -Wl,--gc-sections
MUSL_LIBS := $(DEPS_DIR)/lib/libprotobuf-c.a $(DEPS_DIR)/lib/libmnl.a $(DEPS_DIR)/lib/libseccomp.a \
	$(DEPS_DIR)/lib/libjson-c.a

HOST_CC := gcc
HOST_CFLAGS := $(COMMON_CFLAGS) -O2
HOST_LIBS := -lprotobuf-c -lseccomp -ljson-c $(DEPS_DIR)/lib/libmnl.a

ASAN_CC := gcc
ASAN_CFLAGS := $(COMMON_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
ASAN_LDFLAGS := -fsanitize=address,undefined
ASAN_LIBS := -lprotobuf-c -lseccomp -ljson-c $(DEPS_DIR)/lib/libmnl.a

FUZZ_CC := clang
FUZZ_CFLAGS := $(COMMON_CFLAGS) -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -Wno-unused-command-line-argument
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_LIBS := -lprotobuf-c -lseccomp -ljson-c $(DEPS_DIR)/lib/libmnl.a

# --- per-variant object rules ------------------------------------------------------

objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

# $(1)=variant $(2)=compiler $(3)=cflags
define variant_rules
$(BUILD)/$(1)/%.o: %.c | $(GEN_STAMP) $(DEPS_STAMP)
	@mkdir -p $$(@D)
	@$(if $(filter 1,$(V)),,echo "  CC [$(1)] $$<")
	$(Q)$(2) $(3) $$(if $$(findstring /gen/,$$<),$(GEN_CFLAGS)) -c $$< -o $$@
endef
$(eval $(call variant_rules,musl,$(MUSL_CC),$(MUSL_CFLAGS)))
$(eval $(call variant_rules,host,$(HOST_CC),$(HOST_CFLAGS)))
$(eval $(call variant_rules,asan,$(ASAN_CC),$(ASAN_CFLAGS)))
$(eval $(call variant_rules,fuzz,$(FUZZ_CC),$(FUZZ_CFLAGS)))

CORE_SRCS := $(LIB_SRCS) $(GEN_C)

# --- dependencies and generated code --------------------------------------------------

.PHONY: deps
deps:
	$(Q)DEPS_DIR=$(DEPS_DIR) sh scripts/deps.sh

# Re-run deps when the script changed, or when something it provides went missing
# (a package removed since, a fresh machine with an old checkout): the check is one
# dpkg-query per package, well under a second.
ifneq ($(MAKECMDGOALS),deps)
ifneq ($(shell DEPS_DIR=$(DEPS_DIR) sh scripts/deps.sh --check >/dev/null 2>&1 && echo ok),ok)
.PHONY: $(DEPS_STAMP)
endif
endif
$(DEPS_STAMP): scripts/deps.sh
	$(Q)DEPS_DIR=$(DEPS_DIR) sh scripts/deps.sh

$(GEN_STAMP): $(PROTO_FILES) | $(DEPS_STAMP)
	@echo "  PROTOC-C $(PROTO_FILES:proto/%=%)"
	$(Q)rm -rf $(GEN) && mkdir -p $(GEN)
	$(Q)cd proto && protoc-c -I. -I/usr/include --c_out=$(abspath $(GEN)) $(PROTO_FILES:proto/%=%)
	$(Q)cd /usr/include && protoc-c -I. --c_out=$(abspath $(GEN)) $(WKT_FILES)
	$(Q)touch $@

$(GEN_C): $(GEN_STAMP) ;

# --- production binaries ------------------------------------------------------------

AGENT_MUSL_OBJS := $(call objs,musl,$(CORE_SRCS) $(AGENT_SRCS))
CTL_MUSL_OBJS := $(call objs,musl,$(CORE_SRCS) $(CTL_SRCS))

$(BUILD)/kinglet-agent.debug: $(AGENT_MUSL_OBJS) $(MUSL_LIBS)
	@echo "  LD $@"
	$(Q)$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(AGENT_MUSL_OBJS) $(MUSL_LIBS)

$(BUILD)/kinglet-ctl.debug: $(CTL_MUSL_OBJS) $(MUSL_LIBS)
	@echo "  LD $@"
	$(Q)$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(CTL_MUSL_OBJS) $(MUSL_LIBS)

$(BUILD)/kinglet-agent: $(BUILD)/kinglet-agent.debug
	@echo "  STRIP $@"
	$(Q)strip --strip-all -R .comment -o $@ $<
$(BUILD)/kinglet-ctl: $(BUILD)/kinglet-ctl.debug
	@echo "  STRIP $@"
	$(Q)strip --strip-all -R .comment -o $@ $<

# kinglet-proxy: the host-side multiplexing proxy (docs/proxy.md).
PROXY_MUSL_OBJS := $(call objs,musl,$(CORE_SRCS) $(PROXY_SRCS))
$(BUILD)/kinglet-proxy.debug: $(PROXY_MUSL_OBJS) $(MUSL_LIBS)
	@echo "  LD $@"
	$(Q)$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(PROXY_MUSL_OBJS) $(MUSL_LIBS)
$(BUILD)/kinglet-proxy: $(BUILD)/kinglet-proxy.debug
	@echo "  STRIP $@"
	$(Q)strip --strip-all -R .comment -o $@ $<

$(MUSL_LIBS): | $(DEPS_STAMP)

.PHONY: all
all: $(BUILD)/kinglet-agent $(BUILD)/kinglet-ctl $(BUILD)/kinglet-proxy

# Host (glibc) and sanitizer builds of the same programs, for tests.
$(BUILD)/host/kinglet-agent: $(call objs,host,$(CORE_SRCS) $(AGENT_SRCS))
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)
$(BUILD)/host/kinglet-ctl: $(call objs,host,$(CORE_SRCS) $(CTL_SRCS))
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)
$(BUILD)/asan/kinglet-agent: $(call objs,asan,$(CORE_SRCS) $(AGENT_SRCS))
	$(Q)$(ASAN_CC) $(ASAN_LDFLAGS) -o $@ $^ $(ASAN_LIBS)
$(BUILD)/asan/kinglet-ctl: $(call objs,asan,$(CORE_SRCS) $(CTL_SRCS))
	$(Q)$(ASAN_CC) $(ASAN_LDFLAGS) -o $@ $^ $(ASAN_LIBS)
$(BUILD)/asan/kinglet-proxy: $(call objs,asan,$(CORE_SRCS) $(PROXY_SRCS))
	$(Q)$(ASAN_CC) $(ASAN_LDFLAGS) -o $@ $^ $(ASAN_LIBS)

include tests/tests.mk
include bench/bench.mk
include image-recipes/kernel/kernel.mk
include image-recipes/mkosi.mk
include rootfs-builder/disk.mk
include rootfs-builder/images.mk

# --- entry points ----------------------------------------------------------------------

# The main job: builds everything (kernel and initrd too), boots a VM, runs a container
# through kinglet-proxy, tears it down. demo-host: the agent alone on a unix socket.
.PHONY: demo demo-host
demo: all initrd
	$(Q)sh scripts/demo.sh $(BUILD)
demo-host: all $(BUILD)/host/make-rootfs
	$(Q)sh scripts/demo-host.sh $(BUILD)

.PHONY: lint
lint:
	$(Q)sh scripts/lint.sh

.PHONY: clean distclean
clean:
	rm -rf $(BUILD)
distclean: clean
	rm -rf $(DEPS_DIR)

.PHONY: help
help:
	@echo "kinglet $(VERSION)"
	@echo "  make deps      install/extract build and test dependencies (Debian packages)"
	@echo "  make           build/kinglet-agent and build/kinglet-ctl (static musl, stripped;"
	@echo "                 *.debug beside them keep symbols)"
	@echo "                 build/kinglet-proxy: the host-side multiplexing proxy (docs/proxy.md)"
	@echo "  make test      unit, integration, sanitizer, fuzz-regression and VM tests"
	@echo "  make fuzz      run every libFuzzer harness (FUZZ_SECONDS=$(FUZZ_SECONDS) each)"
	@echo "  make bench     benchmark tables: agent vs Go ttrpc, containers vs crun/runc, guests"
	@echo "  make demo      boot a VM, run a container in it through kinglet-proxy, tear it down"
	@echo "  make demo-host the agent alone on a unix socket, driven by kinglet-ctl"
	@echo "  make kernel    the guest kernel, $(BUILD)/images/kernel/bzImage (tinyconfig +"
	@echo "                 KERNEL_FRAGMENTS; add image-recipes/kernel/debug.config to debug)"
	@echo "  make initrd    the busybox guest as an initrd, $(BUILD)/images/busybox/initrd.img"
	@echo "  make image     a guest disk image: DISTRO=busybox|debian|ubuntu|... FS=ext4|erofs DAX=1|0"
	@echo "                 into $(BUILD)/images/DISTRO/ (with vmlinuz and manifest.json)"
	@echo "  make images    every guest that can be built here ($(IMAGE_DISTROS))"
	@echo "  make vm-smoke  boot the busybox guest under QEMU (initrd, virtio-blk, pmem+DAX; PID 1, storages, power-off, networking)"
	@echo "  make vm-test   end to end: a sandbox driven through kinglet-proxy in a VM (tests/vm/e2e.sh)"
	@echo "  make footprint guest sizes, boot to agent-ready, guest memory (part of make bench)"
	@echo "  make lint      banned calls, O_CLOEXEC, file sizes, shellcheck"
	@echo "  make clean     remove build/ (distclean also removes $(DEPS_DIR)/)"

# Dependency files of our objects (not the rc2.d folders of guest trees under images/).
-include $(shell find $(BUILD) -path '$(BUILD)/images' -prune -o -name '*.d' -type f -print 2>/dev/null)
