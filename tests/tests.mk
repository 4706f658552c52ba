# Tests: included from the top-level Makefile.
#
#   make unit           cmocka unit tests (glibc build)
#   make integration    the real static agent driven over sockets (needs root)
#   make asan-test      unit + integration tests built with ASan+UBSan, on an ASan agent
#   make valgrind-test  one sandbox's life with the (glibc) agent under valgrind memcheck
#   make fuzz-regress   every fuzz harness over its seed corpus
#   make test           all of the above, with one closing "N passed, N failed" line
#   make fuzz           run every harness for FUZZ_SECONDS each
#   make fuzz-short     the same for FUZZ_SHORT_SECONDS (5) each: CI's pass

FUZZ_SECONDS ?= 60
TEST_LOG_DIR := $(BUILD)/test-logs

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_NAMES := $(basename $(notdir $(UNIT_SRCS)))
INTEGRATION_SRCS := $(sort $(wildcard tests/integration/test_*.c))
INTEGRATION_NAMES := $(basename $(notdir $(INTEGRATION_SRCS)))
TEST_SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(basename $(notdir $(FUZZ_SRCS)))

# Everything but main(): tests link the agent's code as a library.
AGENT_CODE_SRCS := $(filter-out agent/main.c,$(AGENT_SRCS))
TEST_CODE_SRCS := $(CORE_SRCS) $(AGENT_CODE_SRCS) $(TEST_SUPPORT_SRCS)
# Fuzzers and the seed generator do not link cmocka: only the frame builders.
FUZZ_CODE_SRCS := $(CORE_SRCS) $(AGENT_CODE_SRCS) tests/support/ttrpc_test.c

# Per-test link extras (mocks through --wrap).
LDEXTRA_test_rpc_guest := -Wl,--wrap=settimeofday
LDEXTRA_test_open_in_root := -Wl,--wrap=syscall
# Tests of kinglet-ctl's OCI spec code link its objects (ctl/ is not in
# TEST_CODE_SRCS), of the variant being linked, and json-c; test_oci_spec also
# fails allocations on purpose.
OCI_SPEC_SRCS := ctl/oci_spec.c ctl/oci_spec_default.c ctl/oci_spec_json.c ctl/oci_spec_linux.c
OCI_SPEC_TESTS := test_oci_spec test_oci_spec_default test_oci_spec_refuse test_bundle_config
$(addprefix $(BUILD)/host/tests/unit/,$(OCI_SPEC_TESTS)): $(call objs,host,$(OCI_SPEC_SRCS))
$(addprefix $(BUILD)/asan/tests/unit/,$(OCI_SPEC_TESTS)): $(call objs,asan,$(OCI_SPEC_SRCS))
OCI_SPEC_LDEXTRA = $(filter $(addprefix %/,$(OCI_SPEC_SRCS:.c=.o)),$^) -ljson-c
LDEXTRA_test_oci_spec = $(OCI_SPEC_LDEXTRA) -Wl,--wrap=malloc,--wrap=calloc,--wrap=strdup,--wrap=strndup
LDEXTRA_test_oci_spec_default = $(OCI_SPEC_LDEXTRA)
LDEXTRA_test_oci_spec_refuse = $(OCI_SPEC_LDEXTRA)
LDEXTRA_test_bundle_config = $(OCI_SPEC_LDEXTRA)
# test_ctl_spec and fuzz_ctl_spec: kinglet-ctl's --storage/--device SPEC parser;
# test_ctl_net_spec and fuzz_ctl_net_spec: its --addr/--route/--neighbor parser.
CTL_SPEC_SRCS := ctl/spec_storage.c ctl/spec_device.c ctl/spec_net.c
$(BUILD)/host/tests/unit/test_ctl_spec: $(call objs,host,$(CTL_SPEC_SRCS))
$(BUILD)/asan/tests/unit/test_ctl_spec: $(call objs,asan,$(CTL_SPEC_SRCS))
LDEXTRA_test_ctl_spec = $(filter $(addprefix %/,$(CTL_SPEC_SRCS:.c=.o)),$^)
$(BUILD)/host/tests/unit/test_ctl_net_spec: $(call objs,host,$(CTL_SPEC_SRCS))
$(BUILD)/asan/tests/unit/test_ctl_net_spec: $(call objs,asan,$(CTL_SPEC_SRCS))
LDEXTRA_test_ctl_net_spec = $(LDEXTRA_test_ctl_spec)
# test_dax_header tests rootfs-builder's pfn info block code (not in TEST_CODE_SRCS);
# fuzz_dax_header and make-seeds (its seeds) link it too.
DAX_TEST_SRCS := rootfs-builder/pfn_info.c
$(BUILD)/host/tests/unit/test_dax_header: $(call objs,host,$(DAX_TEST_SRCS))
$(BUILD)/asan/tests/unit/test_dax_header: $(call objs,asan,$(DAX_TEST_SRCS))
LDEXTRA_test_dax_header = $(filter $(addprefix %/,$(DAX_TEST_SRCS:.c=.o)),$^)
# test_proxy_mux and fuzz_proxy: kinglet-proxy's pure routing code (proxy/ is not in TEST_CODE_SRCS).
PROXY_TEST_SRCS := proxy/mux.c proxy/route.c proxy/handshake.c
$(BUILD)/host/tests/unit/test_proxy_mux: $(call objs,host,$(PROXY_TEST_SRCS))
$(BUILD)/asan/tests/unit/test_proxy_mux: $(call objs,asan,$(PROXY_TEST_SRCS))
LDEXTRA_test_proxy_mux = $(filter $(addprefix %/,$(PROXY_TEST_SRCS:.c=.o)),$^)

define test_binaries
$(BUILD)/$(1)/tests/unit/%: $(BUILD)/$(1)/tests/unit/%.o $(call objs,$(1),$(TEST_CODE_SRCS))
	@echo "  LD [$(1)] $$@"
	$(Q)$(2) $(3) -o $$@ $$< $(call objs,$(1),$(TEST_CODE_SRCS)) $(4) -lcmocka $$(LDEXTRA_$$*)
$(BUILD)/$(1)/tests/integration/%: $(BUILD)/$(1)/tests/integration/%.o $(call objs,$(1),$(TEST_CODE_SRCS))
	@echo "  LD [$(1)] $$@"
	$(Q)$(2) $(3) -o $$@ $$< $(call objs,$(1),$(TEST_CODE_SRCS)) $(4) -lcmocka
endef
$(eval $(call test_binaries,host,$(HOST_CC),,$(HOST_LIBS)))
$(eval $(call test_binaries,asan,$(ASAN_CC),$(ASAN_LDFLAGS),$(ASAN_LIBS)))

HOST_UNIT_BINS := $(addprefix $(BUILD)/host/tests/unit/,$(UNIT_NAMES))
ASAN_UNIT_BINS := $(addprefix $(BUILD)/asan/tests/unit/,$(UNIT_NAMES))
HOST_INTEGRATION_BINS := $(addprefix $(BUILD)/host/tests/integration/,$(INTEGRATION_NAMES))
ASAN_INTEGRATION_BINS := $(addprefix $(BUILD)/asan/tests/integration/,$(INTEGRATION_NAMES))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/tests/fuzz/fuzz_%.o $(call objs,fuzz,$(FUZZ_CODE_SRCS))
	@echo "  LD [fuzz] $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS) $(LDEXTRA_fuzz_$*)
# fuzz_rpc runs the real handlers behind a seam (tests/fuzz/seam_rpc.c): the
# calls that would change the machine are wrapped (-Wl,--wrap).
FUZZ_RPC_WRAPS := open openat fopen mkdir mkdirat unlink unlinkat rmdir symlink symlinkat chmod fchmodat \
	chown lchown fchownat truncate rename renameat renameat2 link linkat fchmod fchown mount umount umount2 \
	chroot fork execve execv kill reboot sethostname swapon swapoff mknod mknodat unshare setns settimeofday \
	setrlimit chdir fchdir setgroups setresuid setresgid setsid prctl syscall socket
$(BUILD)/fuzz/fuzz_rpc: $(call objs,fuzz,tests/fuzz/seam_rpc.c)
LDEXTRA_fuzz_rpc := $(foreach f,$(FUZZ_RPC_WRAPS),-Wl,--wrap=$(f))
# fuzz_oci_json reads config.json with kinglet-ctl's code: its objects join the
# link ($^); json-c is in FUZZ_LIBS.
$(BUILD)/fuzz/fuzz_oci_json: $(call objs,fuzz,$(OCI_SPEC_SRCS))
$(BUILD)/fuzz/fuzz_dax_header: $(call objs,fuzz,$(DAX_TEST_SRCS))
$(BUILD)/fuzz/fuzz_ctl_spec: $(call objs,fuzz,$(CTL_SPEC_SRCS))
$(BUILD)/fuzz/fuzz_ctl_net_spec: $(call objs,fuzz,$(CTL_SPEC_SRCS))
$(BUILD)/fuzz/fuzz_proxy: $(call objs,fuzz,$(PROXY_TEST_SRCS))
# Only the pattern rule above names these objects: keep make from deleting
# them as intermediates (and rebuilding them on every run).
.SECONDARY: $(call objs,fuzz,$(FUZZ_CODE_SRCS) $(FUZZ_SRCS)) \
	$(foreach v,host asan,$(call objs,$(v),$(UNIT_SRCS) $(INTEGRATION_SRCS) $(TEST_SUPPORT_SRCS)))

$(BUILD)/host/make-seeds: $(call objs,host,tests/fuzz/make_seeds.c tests/fuzz/make_seeds_spec.c) \
		$(call objs,host,$(CORE_SRCS) tests/support/ttrpc_test.c tests/support/test_spec.c)
	$(Q)$(HOST_CC) -o $@ $^ $(HOST_LIBS)
$(BUILD)/host/make-seeds: $(call objs,host,tests/fuzz/make_seeds_dax.c $(DAX_TEST_SRCS))
$(BUILD)/host/make-seeds: $(call objs,host,tests/fuzz/make_seeds_text.c)
$(BUILD)/host/make-seeds: $(call objs,host,tests/fuzz/make_seeds_net.c agent/net_msg.c agent/net_text.c)
$(BUILD)/host/make-seeds: $(call objs,host,tests/fuzz/make_seeds_rpc.c)

.PHONY: fuzz-seeds
fuzz-seeds: $(BUILD)/host/make-seeds
	$(Q)rm -rf $(BUILD)/fuzz/seeds && mkdir -p $(BUILD)/fuzz/seeds
	$(Q)for n in $(FUZZ_NAMES); do mkdir -p $(BUILD)/fuzz/seeds/$$n; \
		if [ -d tests/fuzz/corpus/$$n ]; then cp tests/fuzz/corpus/$$n/* $(BUILD)/fuzz/seeds/$$n/; fi; done
	$(Q)$(BUILD)/host/make-seeds $(BUILD)/fuzz/seeds

# The busybox root filesystem for shell tests and benchmarks.
$(BUILD)/host/make-rootfs: $(BUILD)/host/tests/make_rootfs.o $(BUILD)/host/tests/support/rootfs.o
	$(Q)$(HOST_CC) -o $@ $^

RUN_TESTS := sh tests/run-tests.sh

.PHONY: unit integration asan-test valgrind-test fuzz-regress test fuzz test-bins
test-bins: all $(HOST_UNIT_BINS) $(HOST_INTEGRATION_BINS) $(BUILD)/host/make-rootfs

unit: $(HOST_UNIT_BINS)
	$(Q)$(RUN_TESTS) $(TEST_LOG_DIR) $(HOST_UNIT_BINS)

integration: all $(HOST_INTEGRATION_BINS) $(BUILD)/host/make-rootfs
	$(Q)KINGLET_AGENT=$(BUILD)/kinglet-agent KINGLET_CTL=$(BUILD)/kinglet-ctl KINGLET_PROXY=$(BUILD)/kinglet-proxy MAKE_ROOTFS=$(BUILD)/host/make-rootfs \
		DAX_HEADER=$(BUILD)/host/dax-header \
		$(RUN_TESTS) $(TEST_LOG_DIR) $(HOST_INTEGRATION_BINS) tests/integration/ctl.sh tests/integration/ctl_containers.sh tests/integration/proxy_ctl.sh \
		tests/integration/ctl_sandbox.sh tests/integration/ctl_network.sh tests/integration/recipes.sh tests/integration/disk_image.sh

# The same list as `make test` runs: run-tests.sh's asan: entry (every ASan test
# binary, and the shell tests that drive the agent, ctl and proxy).
asan-test: $(ASAN_UNIT_BINS) $(ASAN_INTEGRATION_BINS) $(BUILD)/asan/kinglet-agent $(BUILD)/asan/kinglet-ctl \
		$(BUILD)/asan/kinglet-proxy $(BUILD)/host/make-rootfs
	$(Q)BUILD=$(BUILD) $(RUN_TESTS) $(TEST_LOG_DIR)/asan asan:$(BUILD)/asan

# The agent under valgrind memcheck (tests/integration/valgrind_agent.c). The
# glibc agent: valgrind cannot replace malloc in the static musl one.
VALGRIND_TEST := $(BUILD)/host/tests/integration/valgrind_agent
.SECONDARY: $(VALGRIND_TEST).o
valgrind-test: $(BUILD)/host/kinglet-agent $(VALGRIND_TEST)
	$(Q)KINGLET_MEMCHECK_AGENT=$(BUILD)/host/kinglet-agent $(RUN_TESTS) $(TEST_LOG_DIR)/valgrind $(VALGRIND_TEST)

fuzz-regress: $(FUZZ_BINS) fuzz-seeds
	$(Q)$(RUN_TESTS) $(TEST_LOG_DIR)/fuzz $(addprefix fuzz-regress:,$(FUZZ_NAMES))

# disk_image.sh drives rootfs-builder/make-disk.sh and dax-header (rootfs-builder/disk.mk).
integration test: $(BUILD)/host/dax-header

# One run, one summary: every suite's results are added up by run-tests.sh.
test: all $(HOST_UNIT_BINS) $(HOST_INTEGRATION_BINS) $(ASAN_UNIT_BINS) $(ASAN_INTEGRATION_BINS) \
		$(BUILD)/asan/kinglet-agent $(BUILD)/asan/kinglet-ctl $(BUILD)/asan/kinglet-proxy $(FUZZ_BINS) fuzz-seeds \
		$(BUILD)/host/make-rootfs $(BUILD)/host/kinglet-agent $(VALGRIND_TEST)
	$(Q)BUILD=$(BUILD) KINGLET_MEMCHECK_AGENT=$(BUILD)/host/kinglet-agent KINGLET_AGENT=$(BUILD)/kinglet-agent KINGLET_CTL=$(BUILD)/kinglet-ctl KINGLET_PROXY=$(BUILD)/kinglet-proxy \
		MAKE_ROOTFS=$(BUILD)/host/make-rootfs DAX_HEADER=$(BUILD)/host/dax-header IMAGES=$(IMAGES_DIR) \
		$(RUN_TESTS) $(TEST_LOG_DIR) $(HOST_UNIT_BINS) $(HOST_INTEGRATION_BINS) tests/integration/ctl.sh \
		tests/integration/ctl_containers.sh tests/integration/proxy_ctl.sh tests/integration/ctl_sandbox.sh tests/integration/ctl_network.sh tests/integration/recipes.sh \
		tests/integration/disk_image.sh tests/vm/vm-smoke.sh tests/vm/vm-guest.sh tests/vm/vm-net.sh tests/vm/e2e.sh \
		asan:$(BUILD)/asan $(VALGRIND_TEST) $(addprefix fuzz-regress:,$(FUZZ_NAMES))

# Every harness for $(1) seconds, on its corpus and seeds; a crash, leak or
# timeout in any of them fails the target once all have run.
define fuzz_run
	$(Q)failed=; for n in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$n; \
		echo "== $$n ($(1)s)"; \
		dict=; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
		$(BUILD)/fuzz/$$n -max_total_time=$(1) -print_final_stats=1 $$dict \
			-artifact_prefix=$(BUILD)/fuzz/$$n- $(BUILD)/fuzz/corpus/$$n $(BUILD)/fuzz/seeds/$$n \
			>$(BUILD)/fuzz/$$n.log 2>&1; rc=$$?; \
		tail -n 12 $(BUILD)/fuzz/$$n.log; \
		[ $$rc -eq 0 ] || failed="$$failed $$n"; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: failed:$$failed (inputs in $(BUILD)/fuzz/<harness>-*, logs in $(BUILD)/fuzz/<harness>.log)"; exit 1; }
endef

fuzz: $(FUZZ_BINS) fuzz-seeds
	$(call fuzz_run,$(FUZZ_SECONDS))

# CI's short pass: every harness for a few seconds.
FUZZ_SHORT_SECONDS ?= 5
.PHONY: fuzz-short
fuzz-short: $(FUZZ_BINS) fuzz-seeds
	$(call fuzz_run,$(FUZZ_SHORT_SECONDS))
