# Disk images: dax-header, the host tool that writes the NVDIMM pfn info block
# (rootfs-builder/make-disk.sh runs it). Included from the top-level Makefile.
#
#   make $(BUILD)/host/dax-header     (or: make dax-header)
#
# pfn_info.c holds the pure functions (also linked by test_dax_header and
# fuzz_dax_header, see tests/tests.mk); dax_header.c the command line and I/O.

PFN_INFO_SRCS := rootfs-builder/pfn_info.c
DAX_HEADER_SRCS := rootfs-builder/dax_header.c $(PFN_INFO_SRCS) lib/util.c

$(BUILD)/host/dax-header: $(call objs,host,$(DAX_HEADER_SRCS))
	@echo "  LD $@"
	$(Q)$(HOST_CC) -o $@ $^

.PHONY: dax-header
dax-header: $(BUILD)/host/dax-header
