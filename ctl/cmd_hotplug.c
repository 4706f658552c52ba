/* SPDX-License-Identifier: Apache-2.0 */
/* online-cpu-mem, mem-hotplug-probe, add-swap, add-swap-path: resources added to a running guest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "ctl.h"
#include "spec_storage.h"
#include "util.h"

#define AGENT_SERVICE "grpc.AgentService"
#define MAX_PROBE_ADDRS 64

/* {"KEY":"VALUE"} with --json; the text line otherwise. */
static void print_done(struct ctl *ctl, const char *key, const char *value, const char *text)
{
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, key);
                json_string(&ctl->out, value);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%s\n", text);
}

static int cmd_online_cpu_mem(struct ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = {
                { "wait", no_argument, NULL, 'w' },
                { "cpus", required_argument, NULL, 'c' },
                { "cpu-only", no_argument, NULL, 'o' },
                {},
        };
        Grpc__OnlineCPUMemRequest req = GRPC__ONLINE_CPUMEM_REQUEST__INIT;
        int opt;
        while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
                if (opt == 'w')
                        req.wait = true;
                else if (opt == 'o')
                        req.cpu_only = true;
                else if (opt != 'c' || parse_u32(optarg, 10, &req.nb_cpus) < 0)
                        return ctl_usage_error("online-cpu-mem",
                                               opt == 'c' ? "--cpus wants a number of CPUs" : "unknown option");
        }
        if (optind < argc)
                return ctl_usage_error("online-cpu-mem", "unexpected argument `%s`", argv[optind]);
        int code = ctl_call(ctl, AGENT_SERVICE, "OnlineCPUMem", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "wait");
                json_bool(&ctl->out, req.wait);
                json_key(&ctl->out, "cpus");
                json_uint(&ctl->out, req.nb_cpus);
                json_key(&ctl->out, "cpu_only");
                json_bool(&ctl->out, req.cpu_only);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                printf("%s onlined\n", req.cpu_only ? "CPUs" : "CPUs and memory");
        return 0;
}

static int cmd_mem_hotplug_probe(struct ctl *ctl, int argc, char **argv)
{
        Grpc__MemHotplugByProbeRequest req = GRPC__MEM_HOTPLUG_BY_PROBE_REQUEST__INIT;
        uint64_t addrs[MAX_PROBE_ADDRS];

        if (argc < 2)
                return ctl_usage_error("mem-hotplug-probe", "needs at least one address");
        if (argc - 1 > MAX_PROBE_ADDRS)
                return ctl_usage_error("mem-hotplug-probe", "at most %d addresses", MAX_PROBE_ADDRS);
        for (int i = 1; i < argc; i++) {
                const char *hex = startswith(argv[i], "0x");
                if (!hex)
                        hex = startswith(argv[i], "0X");
                /* parse_u64 takes signs and spaces strtoull would; an address is digits only. */
                bool digits = hex ? *hex && strspn(hex, "0123456789abcdefABCDEF") == strlen(hex)
                                  : *argv[i] && strspn(argv[i], "0123456789") == strlen(argv[i]);
                if (!digits || parse_u64(hex ? hex : argv[i], hex ? 16 : 10, &addrs[i - 1]) < 0)
                        return ctl_usage_error("mem-hotplug-probe",
                                               "`%.64s` is not an address (0x-prefixed hex, or decimal)", argv[i]);
        }
        req.memhotplugprobeaddr = addrs;
        req.n_memhotplugprobeaddr = (size_t)(argc - 1);
        int code = ctl_call(ctl, AGENT_SERVICE, "MemHotplugByProbe", &req.base, NULL, NULL);
        if (code)
                return code;
        if (ctl->json) {
                json_object_begin(&ctl->out);
                json_key(&ctl->out, "addresses");
                json_array_begin(&ctl->out);
                for (size_t i = 0; i < req.n_memhotplugprobeaddr; i++)
                        json_uint(&ctl->out, addrs[i]);
                json_array_end(&ctl->out);
                json_object_end(&ctl->out);
                json_finish(&ctl->out);
        } else
                for (size_t i = 0; i < req.n_memhotplugprobeaddr; i++)
                        printf("probed 0x%llx\n", (unsigned long long)addrs[i]);
        return 0;
}

static int cmd_add_swap(struct ctl *ctl, int argc, char **argv)
{
        Grpc__AddSwapRequest req = GRPC__ADD_SWAP_REQUEST__INIT;
        uint32_t slots[CTL_PCI_PATH_MAX];
        char text[300];

        if (argc != 2)
                return ctl_usage_error("add-swap", "needs one PCI path, e.g. 02/00");
        if (ctl_pci_path_parse(argv[1], slots, CTL_PCI_PATH_MAX, &req.n_pcipath) < 0)
                return ctl_usage_error("add-swap",
                                       "`%.64s` is not a PCI path: up to %d hex slots 00..1f separated by /, e.g. 02/00",
                                       argv[1], CTL_PCI_PATH_MAX);
        req.pcipath = slots;
        int code = ctl_call(ctl, AGENT_SERVICE, "AddSwap", &req.base, NULL, NULL);
        if (code)
                return code;
        snprintf(text, sizeof text, "swap on the disk at PCI path %s", argv[1]);
        print_done(ctl, "pci_path", argv[1], text);
        return 0;
}

static int cmd_add_swap_path(struct ctl *ctl, int argc, char **argv)
{
        Grpc__AddSwapPathRequest req = GRPC__ADD_SWAP_PATH_REQUEST__INIT;
        char text[4200];

        if (argc != 2 || !*argv[1])
                return ctl_usage_error("add-swap-path", "needs one path in the guest");
        if (strlen(argv[1]) >= 4096)
                return ctl_usage_error("add-swap-path", "the path is longer than 4095 bytes");
        req.path = argv[1];
        int code = ctl_call(ctl, AGENT_SERVICE, "AddSwapPath", &req.base, NULL, NULL);
        if (code)
                return code;
        snprintf(text, sizeof text, "swap on %s", argv[1]);
        print_done(ctl, "path", argv[1], text);
        return 0;
}

const struct ctl_command ctl_hotplug_commands[] = {
        { "online-cpu-mem", "bring hot-added CPUs and memory online (OnlineCPUMem)",
          "[--wait] [--cpus N] [--cpu-only]\n\n"
          "  --wait       answer only once everything asked for is online\n"
          "  --cpus N     the number of new CPUs to online (nb_cpus; 0, the default, skips the count)\n"
          "  --cpu-only   leave memory alone",
          cmd_online_cpu_mem },
        { "mem-hotplug-probe", "announce hot-added memory at physical addresses (MemHotplugByProbe)",
          "ADDR...\n\n"
          "ADDR is 0x-prefixed hex or decimal, each written to /sys/devices/system/memory/probe\n"
          "(at most 64).",
          cmd_mem_hotplug_probe },
        { "add-swap", "swap on a hot-plugged virtio-blk disk (AddSwap)",
          "PCI_PATH\n\n"
          "PCI_PATH is the disk's PCI path as Kata writes it, hex slots bridge first, e.g. 02/00;\n"
          "it is sent as AddSwapRequest.PCIPath [2, 0] (the agent takes function 0 of each slot).",
          cmd_add_swap },
        { "add-swap-path", "swap on a file or device path in the guest (AddSwapPath)", "PATH", cmd_add_swap_path },
        {},
};
