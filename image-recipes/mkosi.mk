# Distro base trees built with mkosi: included from the top-level Makefile.
#
#   $(BUILD)/images/<distro>/base/          the distro's packages, pruned, no agent yet
#   $(BUILD)/images/<distro>/base.stamp     made when base/ is complete
#   $(BUILD)/images/<distro>/packages.txt   "name version" per package (and base.manifest:
#                                           mkosi's JSON manifest)
#   $(BUILD)/images/<distro>/base.log       mkosi's output
#
# rootfs-builder/mkosi-rootfs.sh does the work; a tree is rebuilt only when its
# recipe (not its recipe.md), the shared recipe scripts or the builder change.
# Packages are cached in MKOSI_CACHE_DIR across builds (and across `make clean`
# if it is outside $(BUILD)). KINGLET_OFFLINE=1 (environment or command line)
# builds from that cache without the network: see mkosi-rootfs.sh --help.
# Recipes a machine cannot build (no dnf, no apk, no mirror) fail with a message.

MKOSI_DISTROS := $(notdir $(patsubst %/,%,$(dir $(wildcard image-recipes/*/mkosi.conf image-recipes/*/recipe.sh))))
MKOSI_DISTROS := $(filter-out busybox kernel common,$(sort $(MKOSI_DISTROS)))
MKOSI_CACHE_DIR ?= $(BUILD)/images/mkosi-cache

# The agent mode of a recipe (init or systemd), from its "# agent-mode:" line.
mkosi_agent_mode = $(shell sh rootfs-builder/mkosi-rootfs.sh --agent-mode $(1) 2>/dev/null)

define mkosi_base_rule
$(BUILD)/images/$(1)/base.stamp: $(filter-out %.md,$(shell find image-recipes/$(1) -type f 2>/dev/null)) \
		$(wildcard image-recipes/common/*.sh) rootfs-builder/mkosi-rootfs.sh
	@echo "  MKOSI  $(1) base tree (minutes with a cold package cache; log in $(BUILD)/images/$(1)/base.log)"
	$(Q)mkdir -p $(BUILD)/images/$(1)
	$(Q)MKOSI_CACHE_DIR=$(MKOSI_CACHE_DIR) sh rootfs-builder/mkosi-rootfs.sh $(1) $(BUILD)/images/$(1)/base \
		>$(BUILD)/images/$(1)/base.log 2>&1 || { tail -n 25 $(BUILD)/images/$(1)/base.log; exit 1; }
	$(Q)tail -n 1 $(BUILD)/images/$(1)/base.log | sed 's/^/  /'
	$(Q)cp $(BUILD)/images/$(1)/base.packages $(BUILD)/images/$(1)/packages.txt
	$(Q)touch $$@
endef
$(foreach d,$(MKOSI_DISTROS),$(eval $(call mkosi_base_rule,$(d))))
