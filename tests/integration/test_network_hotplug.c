/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UpdateInterface with a devicePath (a hotplugged NIC's PCI path): the agent
 * waits for the interface on kernel uevents without holding up other
 * requests, and gives up after agent.hotplug_timeout naming the PCI path.
 * Runs in a network namespace of its own; finding a NIC that appears is
 * shown in the VM (tests/vm/vm-net.sh), where the NIC is real.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "health.pb-c.h"

static bool namespaces_ok;
static char cmdline[64];

static int setup(void **state)
{
        if (!namespaces_ok || !agent_can_run())
                skip();
        const char *args[] = { "--kernel-cmdline", cmdline, NULL };
        struct agent_opts opts = { .args = args };
        struct agent_proc *a = calloc(1, sizeof *a);
        assert_non_null(a);
        if (agent_start(a, &opts) < 0) {
                agent_dump_log(a);
                fail_msg("agent did not start");
        }
        *state = a;
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A root-bus slot with no PCI device on this machine: a NIC there never appears. */
static const char *absent_slot(void)
{
        static char slot[4];
        char path[64];
        for (unsigned s = 0x1f; s > 0; s--) {
                snprintf(path, sizeof path, "/sys/bus/pci/devices/0000:00:%02x.0", s);
                if (access(path, F_OK) != 0) {
                        snprintf(slot, sizeof slot, "%02x", s);
                        return slot;
                }
        }
        return NULL;
}

static int update_interface(struct ttrpc_client *c, const char *device_path, char *msg, size_t size)
{
        Types__Interface iface = TYPES__INTERFACE__INIT;
        Grpc__UpdateInterfaceRequest req = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        ProtobufCMessage *resp = NULL;
        iface.devicepath = (char *)device_path;
        req.interface = &iface;
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "UpdateInterface", &req.base,
                                           &types__interface__descriptor, 0, &st, &resp, &e),
                         0);
        snprintf(msg, size, "%s", st.message);
        int code = st.code;
        ttrpc_reply_clear(&st);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return code;
}

static void test_malformed_device_path(void **state)
{
        struct agent_proc *a = *state;
        struct ttrpc_client *c = agent_connect(a);
        char msg[512];
        assert_non_null(c);
        assert_int_equal(update_interface(c, "zz", msg, sizeof msg), GRPC_INVALID_ARGUMENT);
        assert_non_null(strstr(msg, "`zz` is not a PCI path"));
        assert_int_equal(update_interface(c, "02/00/", msg, sizeof msg), GRPC_INVALID_ARGUMENT);
        ttrpc_client_free(c);
}

static void test_nic_that_never_comes(void **state)
{
        struct agent_proc *a = *state;
        const char *slot = absent_slot();
        if (!slot)
                skip(); /* every root-bus slot is taken: nothing to wait for in vain */
        struct ttrpc_client *waiting = agent_connect(a);
        struct ttrpc_client *other = agent_connect(a);
        assert_non_null(waiting);
        assert_non_null(other);
        char msg[512], want[128];

        /* Other requests are answered while UpdateInterface waits (on another connection). */
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                usleep(200 * 1000);
                int64_t t0 = now_ms();
                int ok = agent_check(other) == GRPC_OK && now_ms() - t0 < 500;
                _exit(ok ? 0 : 1);
        }
        int64_t t0 = now_ms();
        assert_int_equal(update_interface(waiting, slot, msg, sizeof msg), GRPC_DEADLINE_EXCEEDED);
        int64_t waited = now_ms() - t0;
        snprintf(want, sizeof want, "network device at PCI path `%s` did not appear within 1 s", slot);
        assert_string_equal(msg, want);
        assert_true(waited >= 900 && waited < 5000);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ttrpc_client_free(waiting);
        ttrpc_client_free(other);
}

int main(void)
{
        namespaces_ok = geteuid() == 0 && unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
                        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
        /* The hotplug timeout comes from a kernel command line file. */
        snprintf(cmdline, sizeof cmdline, "/tmp/kinglet-nethp-%d.cmdline", (int)getpid());
        FILE *f = fopen(cmdline, "we");
        assert_non_null(f);
        fputs("quiet agent.hotplug_timeout=1\n", f);
        fclose(f);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_malformed_device_path, setup, agent_test_teardown),
                cmocka_unit_test_setup_teardown(test_nic_that_never_comes, setup, agent_test_teardown),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        unlink(cmdline);
        return r;
}
