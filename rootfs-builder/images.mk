# Guest images: included from the top-level Makefile.
#
#   make initrd                         the busybox guest as an initrd
#   make image DISTRO=busybox|debian|…  a disk image (FS=ext4|erofs, DAX=0|1), and the initrd for busybox
#   make images                         every distro that can be built here
#   make vm-smoke                       boot them under QEMU and talk to the agent (tests/vm/vm-smoke.sh,
#                                       vm-guest.sh: PID 1, storages, power-off; vm-net.sh: networking)
#
# Outputs in $(BUILD)/images/<distro>/: vmlinuz, initrd.img and/or <distro>-<fs>[-dax].img,
# manifest.json; the root tree in rootfs/. Everything is rebuilt only when its inputs change.

IMAGES_DIR := $(BUILD)/images
DISTRO ?= busybox
FS ?= ext4
DAX ?= 1
IMAGE_DISTROS ?= busybox debian ubuntu
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
# SOURCE_DATE_EPOCH as a file that changes only when it does: a root tree made
# under another epoch is remade, so a tree here has the bytes a clean build of the
# same commit has. (Distro base trees are not: their mtimes are clamped again.)
IMAGES_EPOCH := $(IMAGES_DIR)/source-date-epoch
$(IMAGES_EPOCH): FORCE
	@mkdir -p $(@D)
	@echo '$(SOURCE_DATE_EPOCH)' | cmp -s - $@ || echo '$(SOURCE_DATE_EPOCH)' >$@

DISTRO_DIR := $(IMAGES_DIR)/$(DISTRO)
IMAGE_FILE := $(DISTRO_DIR)/$(DISTRO)-$(FS)$(if $(filter 1,$(DAX)),-dax).img
KERNEL_IMAGE := $(IMAGES_DIR)/kernel/bzImage

# How the agent starts (init or systemd): the "# agent-mode:" line of the recipe.
agent_mode = $(if $(filter busybox,$(1)),init,$(or $(call mkosi_agent_mode,$(1)),init))

# The busybox base tree is made here; other distros' come from mkosi (image-recipes/mkosi.mk).
$(IMAGES_DIR)/busybox/rootfs.stamp: $(BUILD)/kinglet-agent rootfs-builder/busybox-rootfs.sh \
		rootfs-builder/finish-rootfs.sh image-recipes/busybox/recipe.sh $(IMAGES_EPOCH)
	@echo "  ROOTFS busybox"
	$(Q)sh rootfs-builder/busybox-rootfs.sh $(IMAGES_DIR)/busybox/rootfs >/dev/null
	$(Q)sh rootfs-builder/finish-rootfs.sh --mode init $(IMAGES_DIR)/busybox/rootfs $(BUILD)/kinglet-agent >/dev/null
	$(Q)dpkg-query -W -f '$${Package} $${Version}\n' busybox-static >$(IMAGES_DIR)/busybox/packages.txt
	$(Q)touch $@

$(IMAGES_DIR)/%/rootfs.stamp: $(IMAGES_DIR)/%/base.stamp $(BUILD)/kinglet-agent rootfs-builder/finish-rootfs.sh \
		$(IMAGES_EPOCH)
	@echo "  ROOTFS $*"
	$(Q)rm -rf $(IMAGES_DIR)/$*/rootfs && cp -a $(IMAGES_DIR)/$*/base $(IMAGES_DIR)/$*/rootfs
	$(Q)sh rootfs-builder/finish-rootfs.sh --mode $(call agent_mode,$*) $(IMAGES_DIR)/$*/rootfs \
		$(BUILD)/kinglet-agent >/dev/null
	$(Q)touch $@

$(IMAGES_DIR)/%/initrd.img: $(IMAGES_DIR)/%/rootfs.stamp rootfs-builder/make-initrd.sh
	@echo "  INITRD $@"
	$(Q)sh rootfs-builder/make-initrd.sh $(IMAGES_DIR)/$*/rootfs $@ >/dev/null

$(IMAGES_DIR)/%/vmlinuz: $(KERNEL_IMAGE)
	$(Q)mkdir -p $(@D)
	$(Q)cp $(KERNEL_IMAGE) $@
	$(Q)cp $(IMAGES_DIR)/kernel/config $(@D)/kernel.config

# Every distro x file system x DAX combination has its rule; `make image` picks one.
define disk_image_rule # DISTRO FS DAX
$(IMAGES_DIR)/$(1)/$(1)-$(2)$(if $(filter 1,$(3)),-dax).img: $(IMAGES_DIR)/$(1)/rootfs.stamp \
		rootfs-builder/make-disk.sh $(BUILD)/host/dax-header
	@echo "  IMAGE  $$@"
	$(Q)PATH="$(abspath $(BUILD)/host):$$$$PATH" sh rootfs-builder/make-disk.sh --fs $(2) --dax $(3) \
		$(IMAGES_DIR)/$(1)/rootfs $$@ >/dev/null
endef
$(foreach d,busybox $(MKOSI_DISTROS),$(foreach f,ext4 erofs,$(foreach x,0 1,\
	$(eval $(call disk_image_rule,$(d),$(f),$(x))))))

.PHONY: initrd image images
initrd: $(IMAGES_DIR)/busybox/initrd.img $(IMAGES_DIR)/busybox/vmlinuz
	$(Q)sh rootfs-builder/manifest.sh $(IMAGES_DIR)/busybox busybox
	@echo "  $(IMAGES_DIR)/busybox/initrd.img: $$(stat -c %s $(IMAGES_DIR)/busybox/initrd.img) bytes"

image: $(IMAGE_FILE) $(DISTRO_DIR)/vmlinuz $(if $(filter busybox,$(DISTRO)),$(DISTRO_DIR)/initrd.img)
	$(Q)sh rootfs-builder/manifest.sh $(DISTRO_DIR) $(DISTRO)
	@echo "  $(IMAGE_FILE): $$(stat -c %s $(IMAGE_FILE)) bytes"

images:
	$(Q)for d in $(IMAGE_DISTROS); do $(MAKE) --no-print-directory image DISTRO=$$d || exit 1; done

# --- booting them -------------------------------------------------------------------------
# The busybox guest every `make test` boots: kernel, initrd, ext4 and erofs DAX disk images.
VM_SMOKE_IMAGES := $(IMAGES_DIR)/busybox/vmlinuz $(IMAGES_DIR)/busybox/initrd.img \
	$(IMAGES_DIR)/busybox/busybox-ext4-dax.img $(IMAGES_DIR)/busybox/busybox-erofs-dax.img
# make test boots them too (tests/tests.mk runs tests/vm/vm-smoke.sh, vm-guest.sh and vm-net.sh).
test: $(VM_SMOKE_IMAGES)

.PHONY: vm-smoke footprint
vm-smoke: all $(VM_SMOKE_IMAGES) $(BUILD)/host/dax-header
	$(Q)IMAGES=$(IMAGES_DIR) KINGLET_CTL=$(BUILD)/kinglet-ctl DAX_HEADER=$(BUILD)/host/dax-header \
		$(RUN_TESTS) $(TEST_LOG_DIR) tests/vm/vm-smoke.sh tests/vm/vm-guest.sh tests/vm/vm-net.sh

# End to end through kinglet-proxy (tests/vm/e2e.sh): a sandbox's life, concurrency, faults;
# the Debian image too when it is built.
.PHONY: vm-test
vm-test: all $(IMAGES_DIR)/busybox/vmlinuz $(IMAGES_DIR)/busybox/initrd.img
	$(Q)IMAGES=$(IMAGES_DIR) KINGLET_CTL=$(BUILD)/kinglet-ctl KINGLET_PROXY=$(BUILD)/kinglet-proxy \
		$(RUN_TESTS) $(TEST_LOG_DIR) tests/vm/e2e.sh

footprint: all $(VM_SMOKE_IMAGES)
	$(Q)sh rootfs-builder/manifest.sh $(IMAGES_DIR)/busybox busybox
	$(Q)IMAGES=$(IMAGES_DIR) OUT=$(BUILD)/bench/footprint.md KINGLET_CTL=$(BUILD)/kinglet-ctl sh bench/footprint.sh
