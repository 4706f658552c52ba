/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rpc's seeds (record format in fuzz_rpc.h): one request per method of
 * every service the agent registers — filled in the way the Kata runtime
 * sends it where the method takes arguments, empty otherwise — and a few
 * sequences that build on each other (a sandbox, then a container in it,
 * then a process in the container, its I/O, its end). Paths name
 * /run/kata-containers, which the harness rewrites to its private base.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "fuzz_rpc.h"
#include "make_seeds.h"
#include "test_spec.h"

#define H "fuzz_rpc"
#define BASE "/run/kata-containers"
#define CID "c1"

static void record(struct buf *b, const char *service, const char *method,
                   const ProtobufCMessage *m)
{
        int index = rpc_fuzz_method_index(service, method);
        if (index < 0 || index > 255) {
                fprintf(stderr, "make-seeds: no method %s.%s\n", service, method);
                exit(1);
        }
        size_t n;
        uint8_t *p = pack(m, &n);
        if (n > 0xffff) {
                fprintf(stderr, "make-seeds: %s request too large for a record\n", method);
                exit(1);
        }
        uint8_t head[RPC_RECORD_HEADER] = {(uint8_t)index, (uint8_t)(n & 0xff), (uint8_t)(n >> 8)};
        put(b, head, sizeof head);
        put(b, p, n);
        free(p);
}

#define AGENT(b, method, m) record(b, "grpc.AgentService", method, &(m).base)

static void create_sandbox(struct buf *b)
{
        static char *dns[] = {"nameserver 192.0.2.53"};
        Grpc__CreateSandboxRequest r = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        r.hostname = "fuzz-sandbox";
        r.sandbox_id = "sb1";
        r.dns = dns;
        r.n_dns = 1;
        r.sandbox_pidns = true;
        AGENT(b, "CreateSandbox", r);
}

static void create_container(struct buf *b)
{
        static struct test_spec ts;
        static const char *const argv[] = {"/bin/sh", "-c", "echo hi", NULL};
        static char *opts[] = {"nodev"};
        static Grpc__Storage storage = GRPC__STORAGE__INIT;
        static Grpc__Storage *storages[] = {&storage};
        static Grpc__Device dev = GRPC__DEVICE__INIT;
        static Grpc__Device *devs[] = {&dev};
        test_spec_init(&ts, BASE "/shared/containers/" CID "/rootfs", argv);
        storage.driver = "blk";
        storage.source = "1f/00"; /* not there: the call parks on a device wait */
        storage.fstype = "ext4";
        storage.options = opts;
        storage.n_options = 1;
        storage.mount_point = BASE "/sandbox/storage/vol1";
        dev.id = "1e/00";
        dev.type = "blk";
        dev.container_path = "/dev/vdb";
        test_spec_add_device(&ts, "/dev/vdb", "b", 254, 16);
        Grpc__CreateContainerRequest r = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        r.container_id = CID;
        r.exec_id = CID;
        r.oci = &ts.spec;
        AGENT(b, "CreateContainer", r);
        r.storages = storages;
        r.n_storages = 1;
        r.devices = devs;
        r.n_devices = 1;
        AGENT(b, "CreateContainer", r);
}

/* Requests naming only a container (and an exec ID). */
static void by_id(struct buf *b, const char *method, const char *exec_id)
{
        Grpc__StartContainerRequest start = GRPC__START_CONTAINER_REQUEST__INIT;
        Grpc__RemoveContainerRequest rm = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        Grpc__WaitProcessRequest wait = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__CloseStdinRequest close = GRPC__CLOSE_STDIN_REQUEST__INIT;
        Grpc__StatsContainerRequest stats = GRPC__STATS_CONTAINER_REQUEST__INIT;
        Grpc__PauseContainerRequest pause = GRPC__PAUSE_CONTAINER_REQUEST__INIT;
        Grpc__ResumeContainerRequest resume = GRPC__RESUME_CONTAINER_REQUEST__INIT;
        start.container_id = rm.container_id = wait.container_id = close.container_id = CID;
        stats.container_id = pause.container_id = resume.container_id = CID;
        wait.exec_id = close.exec_id = (char *)exec_id;
        rm.timeout = 5;
        if (!strcmp(method, "StartContainer"))
                AGENT(b, method, start);
        else if (!strcmp(method, "RemoveContainer"))
                AGENT(b, method, rm);
        else if (!strcmp(method, "WaitProcess"))
                AGENT(b, method, wait);
        else if (!strcmp(method, "CloseStdin"))
                AGENT(b, method, close);
        else if (!strcmp(method, "StatsContainer"))
                AGENT(b, method, stats);
        else if (!strcmp(method, "PauseContainer"))
                AGENT(b, method, pause);
        else
                AGENT(b, method, resume);
}

static void exec_process(struct buf *b)
{
        static struct test_spec ts;
        static const char *const argv[] = {"/bin/cat", NULL};
        test_spec_init(&ts, "/", argv);
        ts.process.terminal = true;
        Grpc__ExecProcessRequest r = GRPC__EXEC_PROCESS_REQUEST__INIT;
        r.container_id = CID;
        r.exec_id = "e1";
        r.process = &ts.process;
        AGENT(b, "ExecProcess", r);
}

static void stdio(struct buf *b, const char *exec_id)
{
        Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
        Grpc__ReadStreamRequest rd = GRPC__READ_STREAM_REQUEST__INIT;
        Grpc__TtyWinResizeRequest tty = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
        Grpc__SignalProcessRequest sig = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
        w.container_id = rd.container_id = tty.container_id = sig.container_id = CID;
        w.exec_id = rd.exec_id = tty.exec_id = sig.exec_id = (char *)exec_id;
        w.data.data = (uint8_t *)"hello\n";
        w.data.len = 6;
        rd.len = 1024;
        tty.row = 24;
        tty.column = 80;
        sig.signal = 15;
        AGENT(b, "WriteStdin", w);
        AGENT(b, "ReadStdout", rd);
        AGENT(b, "ReadStderr", rd);
        AGENT(b, "TtyWinResize", tty);
        AGENT(b, "SignalProcess", sig);
}

static void update_container(struct buf *b)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        mem.limit = 256 << 20;
        res.memory = &mem;
        Grpc__UpdateContainerRequest r = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        r.container_id = CID;
        r.resources = &res;
        AGENT(b, "UpdateContainer", r);
}

static void network(struct buf *b)
{
        Types__IPAddress ip = TYPES__IPADDRESS__INIT, *ips[] = {&ip};
        ip.family = TYPES__IPFAMILY__v4;
        ip.address = "192.0.2.2";
        ip.mask = "24";
        Types__Interface itf = TYPES__INTERFACE__INIT;
        itf.device = itf.name = "lo";
        itf.ipaddresses = ips;
        itf.n_ipaddresses = 1;
        itf.mtu = 1500;
        Grpc__UpdateInterfaceRequest ui = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        ui.interface = &itf;
        AGENT(b, "UpdateInterface", ui);

        Types__Route route = TYPES__ROUTE__INIT, *routes[] = {&route};
        route.dest = "198.51.100.0/24";
        route.gateway = "192.0.2.1";
        route.device = "lo";
        route.family = TYPES__IPFAMILY__v4;
        Grpc__Routes rs = GRPC__ROUTES__INIT;
        rs.routes = routes;
        rs.n_routes = 1;
        Grpc__UpdateRoutesRequest ur = GRPC__UPDATE_ROUTES_REQUEST__INIT;
        ur.routes = &rs;
        AGENT(b, "UpdateRoutes", ur);

        Types__IPAddress to = TYPES__IPADDRESS__INIT;
        to.family = TYPES__IPFAMILY__v4;
        to.address = "192.0.2.9";
        Types__ARPNeighbor n = TYPES__ARPNEIGHBOR__INIT, *ns[] = {&n};
        n.toipaddress = &to;
        n.device = "lo";
        n.lladdr = "02:00:00:00:00:09";
        n.state = 0x80;
        Grpc__ARPNeighbors an = GRPC__ARPNEIGHBORS__INIT;
        an.arpneighbors = ns;
        an.n_arpneighbors = 1;
        Grpc__AddARPNeighborsRequest ar = GRPC__ADD_ARPNEIGHBORS_REQUEST__INIT;
        ar.neighbors = &an;
        AGENT(b, "AddARPNeighbors", ar);

        static const char rules[] = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
        Grpc__SetIPTablesRequest ipt = GRPC__SET_IPTABLES_REQUEST__INIT;
        ipt.data.data = (uint8_t *)rules;
        ipt.data.len = sizeof rules - 1;
        AGENT(b, "SetIPTables", ipt);
}

static void guest(struct buf *b)
{
        Grpc__OnlineCPUMemRequest cpu = GRPC__ONLINE_CPUMEM_REQUEST__INIT;
        cpu.nb_cpus = 1;
        AGENT(b, "OnlineCPUMem", cpu);
        Grpc__ReseedRandomDevRequest seed = GRPC__RESEED_RANDOM_DEV_REQUEST__INIT;
        seed.data.data = (uint8_t *)"0123456789abcdef";
        seed.data.len = 16;
        AGENT(b, "ReseedRandomDev", seed);
        uint64_t addr[] = {0x100000000ull};
        Grpc__MemHotplugByProbeRequest probe = GRPC__MEM_HOTPLUG_BY_PROBE_REQUEST__INIT;
        probe.memhotplugprobeaddr = addr;
        probe.n_memhotplugprobeaddr = 1;
        AGENT(b, "MemHotplugByProbe", probe);
        Grpc__SetGuestDateTimeRequest t = GRPC__SET_GUEST_DATE_TIME_REQUEST__INIT;
        t.sec = 1700000000;
        AGENT(b, "SetGuestDateTime", t);
        Grpc__CopyFileRequest cf = GRPC__COPY_FILE_REQUEST__INIT;
        cf.path = BASE "/shared/containers/" CID "/config.json";
        cf.file_size = 2;
        cf.file_mode = 0100644;
        cf.dir_mode = 040755;
        cf.data.data = (uint8_t *)"{}";
        cf.data.len = 2;
        AGENT(b, "CopyFile", cf);
        uint32_t pci[] = {4};
        Grpc__AddSwapRequest sw = GRPC__ADD_SWAP_REQUEST__INIT;
        sw.pcipath = pci;
        sw.n_pcipath = 1;
        AGENT(b, "AddSwap", sw);
        Grpc__AddSwapPathRequest swp = GRPC__ADD_SWAP_PATH_REQUEST__INIT;
        swp.path = BASE "/swapfile";
        AGENT(b, "AddSwapPath", swp);
        Grpc__VolumeStatsRequest vs = GRPC__VOLUME_STATS_REQUEST__INIT;
        vs.volume_guest_path = BASE;
        AGENT(b, "GetVolumeStats", vs);
        Grpc__ResizeVolumeRequest rv = GRPC__RESIZE_VOLUME_REQUEST__INIT;
        rv.volume_guest_path = BASE;
        rv.size = 1 << 30;
        AGENT(b, "ResizeVolume", rv);
}

/* Every method once, each in a seed of its own: empty requests first, then the filled-in ones. */
static void one_per_method(void)
{
        struct buf b = {0};
        char name[96];
        for (size_t i = 0; i < rpc_fuzz_method_count(); i++) {
                const ProtobufCServiceDescriptor *svc;
                const ProtobufCMethodDescriptor *m;
                rpc_fuzz_method(i, &svc, &m);
                ProtobufCMessage *empty = calloc(1, m->input->sizeof_message);
                if (!empty)
                        exit(1);
                protobuf_c_message_init(m->input, empty);
                record(&b, svc->name, m->name, empty);
                free(empty);
                snprintf(name, sizeof name, "empty-%s", m->name);
                save(&b, H, name);
        }
        create_sandbox(&b);
        save(&b, H, "CreateSandbox");
        create_container(&b);
        save(&b, H, "CreateContainer");
        exec_process(&b);
        save(&b, H, "ExecProcess");
        stdio(&b, "e1");
        save(&b, H, "stdio");
        update_container(&b);
        save(&b, H, "UpdateContainer");
        network(&b);
        save(&b, H, "network");
        guest(&b);
        save(&b, H, "guest");
        Kinglet__SleepRequest sleep = KINGLET__SLEEP_REQUEST__INIT;
        sleep.milliseconds = 1;
        record(&b, "kinglet.Debug", "Sleep", &sleep.base);
        save(&b, H, "Sleep");
}

/* A pod's life in one connection. */
static void lifecycle(void)
{
        struct buf b = {0};
        create_sandbox(&b);
        create_container(&b);
        by_id(&b, "StartContainer", "");
        exec_process(&b);
        stdio(&b, "e1");
        by_id(&b, "CloseStdin", "e1");
        by_id(&b, "WaitProcess", "e1");
        by_id(&b, "StatsContainer", "");
        by_id(&b, "PauseContainer", "");
        by_id(&b, "ResumeContainer", "");
        by_id(&b, "RemoveContainer", "");
        Grpc__DestroySandboxRequest d = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        AGENT(&b, "DestroySandbox", d);
        save(&b, H, "lifecycle");
}

void rpc_seeds(void)
{
        one_per_method();
        lifecycle();
}
