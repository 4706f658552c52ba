/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the network integration tests (test_network.c,
 * test_network_routes.c): the test program runs in its own network
 * namespace (made in main), starts the real agent there, makes links with
 * `ip` and checks what the agent's network RPCs did with `ip` again.
 * Every link a test makes is named kt* and deleted in teardown. Addresses
 * come from the documentation ranges only.
 *
 * This kernel may lack the dummy driver: make_link() then makes a veth pair
 * (the peer, "<name>p", up so the link has carrier and an IPv6 link-local).
 */
#ifndef KINGLET_TEST_NETWORK_H
#define KINGLET_TEST_NETWORK_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "agent_proc.h"
#include "util.h"

#define OUT_MAX 16384

static bool net_namespace_ok;
static char link_kind[16]; /* what make_link() made: "dummy" or "veth" */

/* The program's own mount and network namespaces: nothing it does reaches the host's. */
static inline void net_enter_namespace(void)
{
        net_namespace_ok = geteuid() == 0 && unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
                           mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
}

static inline const char *ip_path(void)
{
        static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

/* Runs `ip <line>` (words split at spaces) in netns `nsfd` (-1: ours); stdout and stderr into out. */
static inline int run_ip(int nsfd, const char *line, char *out, size_t out_size)
{
        char words[512], *save = NULL;
        const char *argv[48] = { ip_path() };
        size_t n = 1;
        snprintf(words, sizeof words, "%s", line);
        for (char *w = strtok_r(words, " ", &save); w && n < 47; w = strtok_r(NULL, " ", &save))
                argv[n++] = w;
        argv[n] = NULL;
        int pipefd[2];
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
                        _exit(126);
                dup2(pipefd[1], STDOUT_FILENO);
                dup2(pipefd[1], STDERR_FILENO);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(pipefd[1]);
        size_t len = 0;
        ssize_t got;
        while (len < out_size - 1 && (got = read(pipefd[0], out + len, out_size - 1 - len)) > 0)
                len += (size_t)got;
        out[len] = '\0';
        close(pipefd[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `ip ...` in our namespace; returns its exit code, output in out. */
static inline int ip_out(char *out, size_t out_size, const char *fmt, ...) _printf_(3, 4);
static inline int ip_out(char *out, size_t out_size, const char *fmt, ...)
{
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        return run_ip(-1, line, out, out_size);
}

/* `ip ...` that must succeed (in netns nsfd, -1: ours). */
static inline void ip_ok_in(int nsfd, const char *fmt, ...) _printf_(2, 3);
static inline void ip_ok_in(int nsfd, const char *fmt, ...)
{
        char line[512], out[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        int r = run_ip(nsfd, line, out, sizeof out);
        if (r != 0)
                fail_msg("`ip %s` failed (exit status %d): %s", line, r, out);
}
#define ip_ok(...) ip_ok_in(-1, __VA_ARGS__)

/* A link named `name` with MAC `mac`, down: a dummy when the kernel has the driver, else a veth pair. */
static inline void make_link(const char *name, const char *mac)
{
        char out[512];
        if (ip_out(out, sizeof out, "link add %s address %s type dummy", name, mac) == 0) {
                snprintf(link_kind, sizeof link_kind, "dummy");
                return;
        }
        ip_ok("link add %s address %s type veth peer name %sp", name, mac, name);
        ip_ok("link set %sp up", name);
        snprintf(link_kind, sizeof link_kind, "veth");
}

/* Deletes every link named kt* (a veth's peer goes with it). */
static inline void delete_test_links(void)
{
        char out[OUT_MAX], *save = NULL;
        if (ip_out(out, sizeof out, "-o link show") != 0)
                return;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[IFNAMSIZ + 8], junk[OUT_MAX];
                if (sscanf(line, "%*d: %23[^:@ ]", name) != 1 || !startswith(name, "kt"))
                        continue;
                (void)ip_out(junk, sizeof junk, "link del %s", name);
        }
}

/* The line of `text` that contains `needle` (copied into line), or false. */
static inline bool line_with(const char *text, const char *needle, char *line, size_t size)
{
        const char *p = strstr(text, needle);
        if (!p)
                return false;
        while (p > text && p[-1] != '\n')
                p--;
        size_t len = strcspn(p, "\n");
        snprintf(line, size, "%.*s", (int)len, p);
        return true;
}

/* Waits (up to 5 s) until no address of `dev` is tentative (the kernel's link-local DAD). */
static inline void wait_dad_done(const char *dev)
{
        char out[OUT_MAX];
        for (int i = 0; i < 100; i++) {
                assert_int_equal(ip_out(out, sizeof out, "addr show dev %s", dev), 0);
                if (!strstr(out, "tentative"))
                        return;
                usleep(50 * 1000);
        }
        fail_msg("addresses of %s stay tentative: %s", dev, out);
}

static inline int net_setup(void **state)
{
        if (!net_namespace_ok || !ip_path())
                skip();
        return agent_test_setup(state);
}

static inline int net_teardown(void **state)
{
        delete_test_links();
        return agent_test_teardown(state);
}

/* One RPC on a fresh connection; returns the gRPC code, the message in msg. */
static inline int call(struct agent_proc *a, const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *type, ProtobufCMessage **ret, char *msg, size_t msg_size)
{
        struct ttrpc_client *c = agent_connect(a);
        struct ttrpc_reply st;
        struct rpc_error e = { 0 };
        assert_non_null(c);
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", method, req, type, 0, &st, ret, &e), 0);
        if (msg)
                snprintf(msg, msg_size, "%s", st.message);
        int code = st.code;
        ttrpc_reply_clear(&st);
        ttrpc_client_free(c);
        return code;
}

/* Fails the test (at the caller's line), naming the RPC, when code is not OK. */
#define expect_ok(what, code, msg) expect_ok_at(__FILE__, __LINE__, what, code, msg)
static inline void expect_ok_at(const char *file, int line, const char *what, int code, const char *msg)
{
        if (code == GRPC_OK)
                return;
        print_error("%s: %s: %s\n", what, grpc_code_name(code), msg);
        _fail(file, line);
}

/* Fails unless the RPC answered `want` with a message containing every needle (NULL-terminated). */
#define expect_error(...) expect_error_at(__FILE__, __LINE__, __VA_ARGS__)
static inline void expect_error_at(const char *file, int line, const char *what, int code, const char *msg, int want,
                                   ...)
{
        va_list ap;
        if (code != want) {
                print_error("%s: expected %s, got %s: \"%s\"\n", what, grpc_code_name(want), grpc_code_name(code),
                            msg);
                _fail(file, line);
        }
        va_start(ap, want);
        for (const char *n = va_arg(ap, const char *); n; n = va_arg(ap, const char *))
                if (!strcasestr(msg, n)) {
                        va_end(ap);
                        print_error("%s: message \"%s\" lacks \"%s\"\n", what, msg, n);
                        _fail(file, line);
                }
        va_end(ap);
}

static inline Types__IPAddress *ipaddr(const char *addr, const char *mask)
{
        Types__IPAddress *a = calloc(1, sizeof *a);
        assert_non_null(a);
        types__ipaddress__init(a);
        a->family = strchr(addr, ':') ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
        a->address = (char *)addr;
        a->mask = (char *)mask;
        return a;
}

static inline void free_ipaddrs(Types__Interface *i)
{
        for (size_t k = 0; k < i->n_ipaddresses; k++)
                free(i->ipaddresses[k]);
}

/* UpdateInterface with `want` (its addresses included); *ret gets the answer (free with protobuf). */
static inline int update_interface(struct agent_proc *a, Types__Interface *want, Types__Interface **ret, char *msg,
                                   size_t msg_size)
{
        Grpc__UpdateInterfaceRequest req = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        req.interface = want;
        int code = call(a, "UpdateInterface", &req.base, &types__interface__descriptor, &m, msg, msg_size);
        if (ret)
                *ret = (Types__Interface *)m;
        else if (m)
                protobuf_c_message_free_unpacked(m, NULL);
        return code;
}

static inline Grpc__Interfaces *list_interfaces(struct agent_proc *a)
{
        Grpc__ListInterfacesRequest req = GRPC__LIST_INTERFACES_REQUEST__INIT;
        ProtobufCMessage *m = NULL;
        char msg[512];
        expect_ok("ListInterfaces", call(a, "ListInterfaces", &req.base, &grpc__interfaces__descriptor, &m, msg,
                                         sizeof msg),
                  msg);
        return (Grpc__Interfaces *)m;
}

/* routes[0..n) as an UpdateRoutes request; *ret gets the answer. */
static inline int update_routes(struct agent_proc *a, Types__Route **routes, size_t n, Grpc__Routes **ret, char *msg,
                                size_t msg_size)
{
        Grpc__UpdateRoutesRequest req = GRPC__UPDATE_ROUTES_REQUEST__INIT;
        Grpc__Routes list = GRPC__ROUTES__INIT;
        ProtobufCMessage *m = NULL;
        list.routes = routes;
        list.n_routes = n;
        req.routes = &list;
        int code = call(a, "UpdateRoutes", &req.base, &grpc__routes__descriptor, &m, msg, msg_size);
        if (ret)
                *ret = (Grpc__Routes *)m;
        else if (m)
                protobuf_c_message_free_unpacked(m, NULL);
        return code;
}

static inline Types__Route route(const char *dest, const char *gateway, const char *device)
{
        Types__Route r = TYPES__ROUTE__INIT;
        r.dest = (char *)dest;
        r.gateway = (char *)gateway;
        r.device = (char *)device;
        return r;
}

/* Both outputs, for comparing the whole main table before and after. */
static inline void route_tables(char *out, size_t size)
{
        char v6[OUT_MAX];
        assert_int_equal(ip_out(out, size, "-4 route show"), 0);
        assert_int_equal(ip_out(v6, sizeof v6, "-6 route show"), 0);
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s", v6);
}

static inline uint16_t icmp_checksum(const void *data, size_t len)
{
        const uint8_t *p = data;
        uint32_t sum = 0;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t)(p[i] << 8 | p[i + 1]);
        if (len & 1)
                sum += (uint32_t)p[len - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t)~sum);
}

/*
 * One ICMP echo to `addr` (v4 or v6) from the calling process's netns; true
 * when the matching reply came within 2 s. (No ping binary is needed.)
 */
static inline bool icmp_echo(const char *addr)
{
        bool v6 = strchr(addr, ':');
        struct sockaddr_storage to = { 0 };
        socklen_t tolen;
        if (v6) {
                struct sockaddr_in6 *s = (struct sockaddr_in6 *)&to;
                s->sin6_family = AF_INET6;
                assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
                tolen = sizeof *s;
        } else {
                struct sockaddr_in *s = (struct sockaddr_in *)&to;
                s->sin_family = AF_INET;
                assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
                tolen = sizeof *s;
        }
        int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
        assert_true(fd >= 0);
        uint16_t id = (uint16_t)(getpid() ^ 0x6b74);
        uint8_t pkt[64] = { 0 };
        pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
        memcpy(pkt + 4, &id, 2);
        pkt[7] = 1; /* sequence */
        memcpy(pkt + 8, "kinglet network test", 20);
        if (!v6) { /* the kernel fills in ICMPv6 checksums, not ICMPv4 ones */
                uint16_t sum = icmp_checksum(pkt, sizeof pkt);
                memcpy(pkt + 2, &sum, 2);
        }
        bool ok = false;
        if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&to, tolen) == (ssize_t)sizeof pkt) {
                uint64_t deadline = now_ns() + 2000 * NSEC_PER_MSEC;
                while (!ok && now_ns() < deadline) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        if (poll(&p, 1, (int)((deadline - now_ns()) / NSEC_PER_MSEC) + 1) <= 0)
                                break;
                        uint8_t buf[256];
                        ssize_t n = recv(fd, buf, sizeof buf, 0);
                        size_t off = v6 ? 0 : (size_t)(buf[0] & 0xf) * 4; /* raw IPv4 sockets see the IP header */
                        if (n < (ssize_t)(off + 8))
                                continue;
                        ok = buf[off] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) && !memcmp(buf + off + 4, &id, 2);
                }
        }
        close(fd);
        return ok;
}

/* icmp_echo() from inside netns `nsfd` (a child process joins it). */
static inline bool icmp_echo_in(int nsfd, const char *addr)
{
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(setns(nsfd, CLONE_NEWNET) == 0 && icmp_echo(addr) ? 0 : 1);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A new, empty network namespace held by the returned fd (closing it lets the namespace go). */
static inline int new_peer_namespace(void)
{
        int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        assert_true(home >= 0);
        assert_int_equal(unshare(CLONE_NEWNET), 0);
        int peer = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        assert_int_equal(setns(home, CLONE_NEWNET), 0);
        close(home);
        assert_true(peer >= 0);
        return peer;
}

#endif
