# The guest kernel: included from the top-level Makefile.
#
#   make kernel     $(BUILD)/images/kernel/bzImage (+ config, config.sha256, kernel.json)
#                   from Debian's linux-source-6.1: tinyconfig + KERNEL_FRAGMENTS
#   make kernel KERNEL_FRAGMENTS="image-recipes/kernel/base.config image-recipes/kernel/debug.config"
#
# Rebuilt only when a fragment, the build script, the survival check, the source
# tarball or the fragment list changed (the script also keeps a stamp of its inputs).
# The source is extracted once into $(KERNEL_DIR)/src (KERNEL_SRC_CACHE to share it).

KERNEL_FRAGMENTS ?= image-recipes/kernel/base.config
KERNEL_TARBALL ?= /usr/src/linux-source-6.1.tar.xz
KERNEL_DIR := $(BUILD)/images/kernel
KERNEL_SCRIPTS := rootfs-builder/build-kernel.sh image-recipes/kernel/check-config.sh

# The kernel's build timestamp: SOURCE_DATE_EPOCH when the caller set it (environment
# or command line); otherwise, even if another fragment gave it a HEAD-based default,
# the commit time of the last change to the recipe, so that commits elsewhere neither
# change the kernel's bytes nor rebuild it.
KERNEL_EPOCH = $(if $(filter environment command,$(origin SOURCE_DATE_EPOCH)),$(SOURCE_DATE_EPOCH),$(shell \
	git log -1 --format=%ct -- image-recipes/kernel rootfs-builder/build-kernel.sh 2>/dev/null))

# The fragment list and the timestamp as a file that changes only when they do, so
# that adding debug.config (older than the bzImage) or committing the recipe (a new
# KERNEL_EPOCH) still rebuilds.
KERNEL_FRAGLIST := $(KERNEL_DIR)/fragments.list
$(KERNEL_FRAGLIST): FORCE
	@mkdir -p $(@D)
	@echo '$(KERNEL_FRAGMENTS) epoch=$(KERNEL_EPOCH)' | cmp -s - $@ || \
		echo '$(KERNEL_FRAGMENTS) epoch=$(KERNEL_EPOCH)' >$@

$(KERNEL_TARBALL): | $(DEPS_STAMP) ;

$(KERNEL_DIR)/bzImage: $(KERNEL_FRAGMENTS) $(KERNEL_SCRIPTS) $(KERNEL_FRAGLIST) $(KERNEL_TARBALL)
	$(Q)KERNEL_SRC_TARBALL=$(KERNEL_TARBALL) SOURCE_DATE_EPOCH=$(KERNEL_EPOCH) \
		sh rootfs-builder/build-kernel.sh $(KERNEL_DIR) $(KERNEL_FRAGMENTS)
	$(Q)touch $@

.PHONY: kernel FORCE
kernel: $(KERNEL_DIR)/bzImage
FORCE:
