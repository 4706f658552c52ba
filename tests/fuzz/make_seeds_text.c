/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seeds with control bytes in them (NUL-separated uevents, ttrpc frames
 * behind a selector byte, /proc texts behind one), and the text ones of
 * fuzz_ctl_net_spec, written as C strings so that the repository holds no
 * binary seed files.
 */
#include <string.h>

#include "make_seeds.h"

struct literal_seed {
        const char *harness, *name;
        const char *bytes;
        size_t len;
};

#define SEED(h, n, len, ...) { h, n, __VA_ARGS__, len }

static const struct literal_seed seeds[] = {
        SEED("fuzz_ctl_net_spec", "route_link", 38,
                "0dest=192.0.2.0/24,dev=eth0,scope=link"),
        SEED("fuzz_ctl_net_spec", "route_default", 66,
                "0dest=default,via=192.0.2.1,dev=eth0,src=192.0.2.2,mtu=1400,onlink"),
        SEED("fuzz_ctl_net_spec", "route_v6", 54,
                "0dest=2001:db8::/32,via=2001:db8::1,dev=eth0,flags=0x4"),
        SEED("fuzz_ctl_net_spec", "route_default_v6", 28,
                "0family=6,dev=eth0,scope=253"),
        SEED("fuzz_ctl_net_spec", "route_mixed", 34,
                "0dest=192.0.2.0/24,via=2001:db8::1"),
        SEED("fuzz_ctl_net_spec", "neighbor", 69,
                "1ip=198.51.100.9,dev=eth0,lladdr=02:00:00:00:00:09,state=0x80,flags=8"),
        SEED("fuzz_ctl_net_spec", "neighbor_v6", 49,
                "1ip=2001:db8::9,dev=eth1,lladdr=02:AB:CD:EF:00:01"),
        SEED("fuzz_ctl_net_spec", "addr_v4", 13,
                "2192.0.2.2/24"),
        SEED("fuzz_ctl_net_spec", "addr_v6", 15,
                "22001:db8::2/64"),
        SEED("fuzz_ctl_net_spec", "mac", 18,
                "302:00:00:00:00:01"),
        SEED("fuzz_guest_text", "loadavg", 28,
                "\0020.25 1.50 12.00 3/187 4242\n"),
        SEED("fuzz_guest_text", "meminfo", 66,
                "\001MemTotal:        2048000 kB\n"
                "MemFree:  10 kB\n"
                "HugePages_Total:   2\n"),
        SEED("fuzz_guest_text", "mountinfo", 69,
                "\0"
                "36 35 98:0 /mnt1 /mnt/a\\040b rw,noatime master:1 - ext4 /dev/vda rw\n"),
        SEED("fuzz_guest_text", "status", 63,
                "\003Name:\011kinglet-agent\n"
                "VmSize:\0114096 kB\n"
                "VmRSS:\0111234 kB\n"
                "Threads:\0111\n"),
        SEED("fuzz_proxy", "connect_then_frame", 24,
                "CONNECT 1024\n"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\001\001\0"
                "@"),
        SEED("fuzz_proxy", "even_then_odd", 31,
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\002\001\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\003\001\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\0"
                "\001\002\0"
                " "),
        SEED("fuzz_uevent", "block-add", 196,
                "add@/devices/pci0000:00/0000:00:02.0/virtio1/block/vda\0"
                "ACTION=add\0"
                "DEVPATH=/devices/pci0000:00/0000:00:02.0/virtio1/block/vda\0"
                "SUBSYSTEM=block\0"
                "MAJOR=253\0"
                "MINOR=0\0"
                "DEVNAME=vda\0"
                "DEVTYPE=disk\0"
                "SEQNUM=1234\0"),
        SEED("fuzz_uevent", "libudev", 16,
                "libudev\0"
                "\376\355\312\376\0"
                "\0"
                "\0"
                "\0"),
        SEED("fuzz_uevent", "loop-change", 166,
                "change@/devices/virtual/block/loop7\0"
                "ACTION=change\0"
                "DEVPATH=/devices/virtual/block/loop7\0"
                "SUBSYSTEM=block\0"
                "MAJOR=7\0"
                "MINOR=7\0"
                "DEVNAME=loop7\0"
                "DEVTYPE=disk\0"
                "DISKSEQ=42\0"
                "SEQNUM=9\0"),
        SEED("fuzz_uevent", "pci-bind", 158,
                "bind@/devices/pci0000:00/0000:00:05.0\0"
                "ACTION=bind\0"
                "DEVPATH=/devices/pci0000:00/0000:00:05.0\0"
                "SUBSYSTEM=pci\0"
                "DRIVER=vfio-pci\0"
                "PCI_SLOT_NAME=0000:00:05.0\0"
                "SEQNUM=10\0"),
};

void literal_seeds(void)
{
        struct buf b = { 0 };
        for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
                put(&b, seeds[i].bytes, seeds[i].len);
                save(&b, seeds[i].harness, seeds[i].name);
        }
        buf_free(&b);
}
