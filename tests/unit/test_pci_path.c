/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kata PCI paths and the sysfs lookups of hotplugged devices, against a fake
 * sysfs tree this test builds in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "device_lookup.h"
#include "pci_path.h"
#include "util.h"

#define IFNAMSIZ_TEST 16

static char root[64];

static void mkdirs(const char *rel)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        (void)mkdir(path, 0755);
                        *p = '/';
                }
        assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void put_file(const char *rel, const char *text)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
        (void)state;
        snprintf(root, sizeof root, "/tmp/kinglet-sysfs-XXXXXX");
        assert_non_null(mkdtemp(root));
        /* 03: virtio-blk on the root bus. */
        mkdirs("devices/pci0000:00/0000:00:03.0/virtio2/block/vdb");
        /* 02: a bridge (bus 01) with virtio-blk at its slot 00, and a second bridge at 01/1f. */
        mkdirs("devices/pci0000:00/0000:00:02.0/pci_bus/0000:01");
        mkdirs("devices/pci0000:00/0000:00:02.0/0000:01:00.0/virtio3/block/vdc");
        mkdirs("devices/pci0000:00/0000:00:02.0/0000:01:1f.0/pci_bus/0000:02");
        mkdirs("devices/pci0000:00/0000:00:02.0/0000:01:1f.0/0000:02:04.0/block/vdd");
        /* 05: claims two buses, which a bridge never does. */
        mkdirs("devices/pci0000:00/0000:00:05.0/pci_bus/0000:03");
        mkdirs("devices/pci0000:00/0000:00:05.0/pci_bus/0000:04");
        mkdirs("devices/pci0000:00/0000:00:05.0/0000:03:00.0");
        /* 06: a VFIO-able device in IOMMU group 7; 07: one without a group. */
        mkdirs("devices/pci0000:00/0000:00:06.0");
        mkdirs("kernel/iommu_groups/7");
        char link[PATH_MAX];
        snprintf(link, sizeof link, "%s/devices/pci0000:00/0000:00:06.0/iommu_group", root);
        assert_int_equal(symlink("../../../kernel/iommu_groups/7", link), 0);
        mkdirs("devices/pci0000:00/0000:00:07.0");
        /* 0a: virtio-net with its interface; 0b: a NIC whose driver puts net/ straight under it. */
        mkdirs("devices/pci0000:00/0000:00:0a.0/virtio4/net/eth1");
        mkdirs("devices/pci0000:00/0000:00:0b.0/net/ens9");
        /* SCSI: hosts 0 and 2, a non-zero channel, and the entries that are not devices. */
        mkdirs("bus/scsi/devices/0:0:1:2/block/sdb");
        mkdirs("bus/scsi/devices/2:0:3:0/block/sdc");
        mkdirs("bus/scsi/devices/0:1:4:0/block/sde");
        mkdirs("bus/scsi/devices/0:0:5:0");
        mkdirs("bus/scsi/devices/host0");
        mkdirs("bus/scsi/devices/target0:0:1");
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        (void)state;
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static void test_parse(void **state)
{
        (void)state;
        struct pci_path p;
        assert_int_equal(pci_path_parse("02/00", &p), 0);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.slot[0], 2);
        assert_int_equal(p.slot[1], 0);
        assert_int_equal(pci_path_parse("1F", &p), 0);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.slot[0], 0x1f);
        assert_int_equal(pci_path_parse("01/02/03/04/05/06/07/08", &p), 0);
        assert_int_equal(p.n, PCI_PATH_MAX_DEPTH);
        assert_int_equal(p.slot[7], 8);
        assert_int_equal(strlen("01/02/03/04/05/06/07/08"), PCI_PATH_STRING_MAX);

        struct pci_path before = { .n = 99 };
        p = before;
        static const char *const bad[] = {
                "",       "2",     "2/00",  "02/0",  "002",    "02//00", "02/",   "/02",  "0g",
                "20",     "ff",    "02/00x", " 02",  "02 ",    "02:00",  "02/-1", "+2",   "0x02",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (pci_path_parse(bad[i], &p) != -EINVAL)
                        fail_msg("`%s` was not refused as EINVAL", bad[i]);
        assert_int_equal(pci_path_parse(NULL, &p), -EINVAL);
        assert_int_equal(pci_path_parse("01/02/03/04/05/06/07/08/09", &p), -E2BIG);
        assert_memory_equal(&p, &before, sizeof p);
}

static int resolve(const char *text, char *dir, char *bdf)
{
        struct pci_path p;
        assert_int_equal(pci_path_parse(text, &p), 0);
        return pci_path_to_sysfs(root, &p, dir, PATH_MAX, bdf, 48);
}

static void expect_dir(const char *dir, const char *rel)
{
        char want[PATH_MAX];
        snprintf(want, sizeof want, "%s/%s", root, rel);
        assert_string_equal(dir, want);
}

static void test_resolve(void **state)
{
        (void)state;
        char dir[PATH_MAX], bdf[48], name[32];

        /* On the root bus. */
        assert_int_equal(resolve("03", dir, bdf), 0);
        expect_dir(dir, "devices/pci0000:00/0000:00:03.0");
        assert_string_equal(bdf, "0000:00:03.0");
        assert_int_equal(block_name_under(dir, name, sizeof name), 0);
        assert_string_equal(name, "vdb");

        /* Behind one bridge, then two. */
        assert_int_equal(resolve("02/00", dir, bdf), 0);
        expect_dir(dir, "devices/pci0000:00/0000:00:02.0/0000:01:00.0");
        assert_string_equal(bdf, "0000:01:00.0");
        assert_int_equal(block_name_under(dir, name, sizeof name), 0);
        assert_string_equal(name, "vdc");
        assert_int_equal(resolve("02/1f/04", dir, bdf), 0);
        assert_string_equal(bdf, "0000:02:04.0");
        assert_int_equal(block_name_under(dir, name, sizeof name), 0); /* block/ straight under the device */
        assert_string_equal(name, "vdd");

        /* Not there (yet): the last device, or one on the way. */
        strcpy(dir, "untouched");
        assert_int_equal(resolve("04", dir, bdf), -ENOENT);
        assert_int_equal(resolve("02/05", dir, bdf), -ENOENT);
        assert_int_equal(resolve("09/00", dir, bdf), -ENOENT);
        assert_string_equal(dir, "untouched");

        /* Through something that is not a bridge, or one with two buses. */
        assert_int_equal(resolve("03/00", dir, bdf), -ENODEV);
        assert_int_equal(resolve("05/00", dir, bdf), -ENODEV);

        /* A device with no block device under it. */
        assert_int_equal(resolve("06", dir, bdf), 0);
        assert_int_equal(block_name_under(dir, name, sizeof name), -ENOENT);

        /* Output buffers too small. */
        struct pci_path p;
        assert_int_equal(pci_path_parse("03", &p), 0);
        assert_int_equal(pci_path_to_sysfs(root, &p, dir, 8, bdf, sizeof bdf), -ENAMETOOLONG);
        assert_int_equal(pci_path_to_sysfs(root, &p, dir, sizeof dir, bdf, 4), -ENAMETOOLONG);
}

static void test_net_interface(void **state)
{
        (void)state;
        char dir[PATH_MAX], bdf[48], name[IFNAMSIZ_TEST];
        assert_int_equal(resolve("0a", dir, bdf), 0);
        assert_int_equal(net_name_under(dir, name, sizeof name), 0);
        assert_string_equal(name, "eth1");
        assert_int_equal(resolve("0b", dir, bdf), 0);
        assert_int_equal(net_name_under(dir, name, sizeof name), 0);
        assert_string_equal(name, "ens9");
        /* A block device is not a NIC, and a NIC is not a block device. */
        assert_int_equal(resolve("03", dir, bdf), 0);
        assert_int_equal(net_name_under(dir, name, sizeof name), -ENOENT);
        assert_int_equal(resolve("0a", dir, bdf), 0);
        assert_int_equal(block_name_under(dir, name, sizeof name), -ENOENT);
}

static void test_iommu_group(void **state)
{
        (void)state;
        char dir[PATH_MAX], bdf[48];
        uint32_t group = 99;
        assert_int_equal(resolve("06", dir, bdf), 0);
        assert_int_equal(pci_iommu_group(dir, &group), 0);
        assert_int_equal(group, 7);
        assert_int_equal(resolve("07", dir, bdf), 0);
        assert_int_equal(pci_iommu_group(dir, &group), -ENOENT);
        assert_int_equal(group, 7);
}

static void test_scsi(void **state)
{
        (void)state;
        uint32_t t = 77, l = 77;
        char name[32];
        assert_int_equal(scsi_addr_parse("0:0", &t, &l), 0);
        assert_true(t == 0 && l == 0);
        assert_int_equal(scsi_addr_parse("1:65535", &t, &l), 0);
        assert_true(t == 1 && l == 65535);
        static const char *const bad[] = { "", "1", ":1", "1:", "a:1", "1:2:3", "65536:0", "0:-1", " 1:2", "1:2 ",
                                           "1:0x2", "99999999999:1" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (scsi_addr_parse(bad[i], &t, &l) != -EINVAL)
                        fail_msg("`%s` was not refused", bad[i]);
        assert_true(t == 1 && l == 65535);

        assert_int_equal(scsi_block_name(root, 1, 2, name, sizeof name), 0);
        assert_string_equal(name, "sdb");
        assert_int_equal(scsi_block_name(root, 3, 0, name, sizeof name), 0); /* on host 2 */
        assert_string_equal(name, "sdc");
        assert_int_equal(scsi_block_name(root, 4, 0, name, sizeof name), -ENOENT); /* channel 1 only */
        assert_int_equal(scsi_block_name(root, 5, 0, name, sizeof name), -ENOENT); /* no disk yet */
        assert_int_equal(scsi_block_name(root, 1, 3, name, sizeof name), -ENOENT);
}

static void test_block_ready(void **state)
{
        (void)state;
        char node[PATH_MAX], file[PATH_MAX];
        snprintf(node, sizeof node, "%s/blk", root);
        snprintf(file, sizeof file, "%s/plain", root);
        assert_int_equal(block_node_ready(root, node), -ENOENT);
        put_file("plain", "x");
        assert_int_equal(block_node_ready(root, file), -ENOTBLK);
        if (mknod(node, S_IFBLK | 0600, makedev(7, 250)) < 0)
                skip(); /* not root, or /tmp is nodev */
        /* No size file, then size 0 (a loop device with nothing behind it), then a real size. */
        assert_int_equal(block_node_ready(root, node), -ENOMEDIUM);
        mkdirs("dev/block/7:250");
        put_file("dev/block/7:250/size", "0\n");
        assert_int_equal(block_node_ready(root, node), -ENOMEDIUM);
        put_file("dev/block/7:250/size", "2048\n");
        assert_int_equal(block_node_ready(root, node), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_net_interface),
                cmocka_unit_test(test_iommu_group),
                cmocka_unit_test(test_scsi),
                cmocka_unit_test(test_block_ready),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
