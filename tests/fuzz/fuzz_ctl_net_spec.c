/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for kinglet-ctl's network option values (ctl/spec_net.c).
 * The first byte picks what the rest is ('0' a --route SPEC, '1' a --neighbor
 * SPEC, '2' an --addr ADDR/PREFIX, '3' a MAC; any byte, modulo 4); the rest is
 * the text as the command line would hand it over (up to the first NUL).
 *
 * A refusal leaves *ret alone and records INVALID_ARGUMENT (or E2BIG for a
 * SPEC over its bound) and a message. What parses is a valid message whose
 * addresses have the shape the parser promises, and written back as a SPEC
 * (or ADDR/PREFIX, or MAC) it parses to the same bytes.
 *
 * Set KINGLET_FUZZ_LOG to see each input's outcome.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ctl/spec_net.h"

#define OUT_MAX (2 * CTL_NET_SPEC_MAX_LEN + 64)
#define ADDR_CHARS "0123456789abcdefABCDEF.:"

struct out {
        char buf[OUT_MAX];
        size_t len;
};

static void item(struct out *o, const char *key, const char *value)
{
        if (!value || !*value)
                return;
        int n = snprintf(o->buf + o->len, OUT_MAX - o->len, "%s%s%s%s", o->len ? "," : "", key, *key ? "=" : "",
                         value);
        if (n < 0 || (size_t)n >= OUT_MAX - o->len)
                __builtin_trap();
        o->len += (size_t)n;
}

static void item_number(struct out *o, const char *key, uint64_t v)
{
        char text[24];
        if (!v)
                return;
        snprintf(text, sizeof text, "%llu", (unsigned long long)v);
        item(o, key, text);
}

static void check_error(int r, const struct rpc_error *e)
{
        if ((r != -EINVAL && r != -E2BIG) || e->code != GRPC_INVALID_ARGUMENT || !memchr(e->msg, '\0', sizeof e->msg) ||
            !e->msg[0])
                __builtin_trap();
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
        if (!protobuf_c_message_check(m))
                __builtin_trap();
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *p = malloc(n ? n : 1);
        if (!p || protobuf_c_message_pack(m, p) != n)
                __builtin_trap();
        *ret_len = n;
        return p;
}

static void check_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
        size_t na, nb;
        uint8_t *pa = pack(a, &na), *pb = pack(b, &nb);
        if (na != nb || memcmp(pa, pb, na) != 0)
                __builtin_trap();
        free(pa);
        free(pb);
}

/* An address as the parser lets it through: 1..45 characters of ADDR_CHARS, v6 exactly when it has a ':'. */
static void check_addr(const char *addr, Types__IPFamily family)
{
        size_t len = strlen(addr);
        if (len == 0 || len > CTL_NET_ADDR_MAX_LEN || strspn(addr, ADDR_CHARS) != len ||
            family != ctl_addr_family(addr))
                __builtin_trap();
}

static void fuzz_route(const char *text)
{
        struct rpc_error e = { 0 };
        Types__Route *const untouched = (Types__Route *)(uintptr_t)0x5a5a5a5a;
        Types__Route *r = untouched, *again = NULL;
        int err = ctl_route_parse(text, &r, &e);
        if (getenv("KINGLET_FUZZ_LOG"))
                fprintf(stderr, "route: %s\n", err < 0 ? e.msg : "ok");
        if (err < 0) {
                check_error(err, &e);
                if (r != untouched)
                        __builtin_trap();
                return;
        }
        const char *addrs[] = { r->gateway, r->source };
        for (size_t i = 0; i < 2; i++)
                if (*addrs[i])
                        check_addr(addrs[i], r->family);
        if (r->scope > 255 || (*r->dest && ctl_addr_family(r->dest) != r->family))
                __builtin_trap();
        struct out o = { .len = 0 };
        item(&o, "dest", r->dest);
        item(&o, "via", r->gateway);
        item(&o, "dev", r->device);
        item(&o, "src", r->source);
        item_number(&o, "scope", r->scope);
        item_number(&o, "mtu", r->mtu);
        item_number(&o, "flags", r->flags);
        if (!*r->dest && !*r->gateway && !*r->source && r->family == TYPES__IPFAMILY__v6)
                item(&o, "family", "6");
        if (o.len == 0)
                item(&o, "dest", "default");
        /* Numbers written back in decimal may outgrow a SPEC at the bound: then there is nothing to compare. */
        if (o.len <= CTL_NET_SPEC_MAX_LEN) {
                if (ctl_route_parse(o.buf, &again, &e) != 0)
                        __builtin_trap();
                check_same(&r->base, &again->base);
                protobuf_c_message_free_unpacked(&again->base, NULL);
        }
        protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void fuzz_neighbor(const char *text)
{
        struct rpc_error e = { 0 };
        Types__ARPNeighbor *const untouched = (Types__ARPNeighbor *)(uintptr_t)0x5a5a5a5a;
        Types__ARPNeighbor *n = untouched, *again = NULL;
        char mac[CTL_MAC_TEXT_LEN];
        int err = ctl_neighbor_parse(text, &n, &e);
        if (err < 0) {
                check_error(err, &e);
                if (n != untouched)
                        __builtin_trap();
                return;
        }
        if (!n->toipaddress || !*n->device || *n->toipaddress->mask || n->state < 0 || n->flags < 0 ||
            ctl_mac_parse(n->lladdr, mac) != 0 || strcmp(mac, n->lladdr) != 0)
                __builtin_trap();
        check_addr(n->toipaddress->address, n->toipaddress->family);
        struct out o = { .len = 0 };
        item(&o, "ip", n->toipaddress->address);
        item(&o, "dev", n->device);
        item(&o, "lladdr", n->lladdr);
        item_number(&o, "state", (uint64_t)n->state);
        item_number(&o, "flags", (uint64_t)n->flags);
        if (o.len <= CTL_NET_SPEC_MAX_LEN) {
                if (ctl_neighbor_parse(o.buf, &again, &e) != 0)
                        __builtin_trap();
                check_same(&n->base, &again->base);
                protobuf_c_message_free_unpacked(&again->base, NULL);
        }
        protobuf_c_message_free_unpacked(&n->base, NULL);
}

static void fuzz_address(const char *text)
{
        struct rpc_error e = { 0 };
        Types__IPAddress *const untouched = (Types__IPAddress *)(uintptr_t)0x5a5a5a5a;
        Types__IPAddress *a = untouched, *again = NULL;
        int err = ctl_ip_address_parse(text, &a, &e);
        if (err < 0) {
                check_error(err, &e);
                if (a != untouched)
                        __builtin_trap();
                return;
        }
        check_addr(a->address, a->family);
        size_t digits = strlen(a->mask);
        if (digits == 0 || digits > 3 || strspn(a->mask, "0123456789") != digits)
                __builtin_trap();
        struct out o = { .len = 0 };
        item(&o, "", a->address);
        o.len += (size_t)snprintf(o.buf + o.len, OUT_MAX - o.len, "/%s", a->mask);
        if (strcmp(o.buf, text) != 0 || ctl_ip_address_parse(o.buf, &again, &e) != 0)
                __builtin_trap();
        check_same(&a->base, &again->base);
        protobuf_c_message_free_unpacked(&a->base, NULL);
        protobuf_c_message_free_unpacked(&again->base, NULL);
}

static void fuzz_mac(const char *text)
{
        char mac[CTL_MAC_TEXT_LEN], again[CTL_MAC_TEXT_LEN];
        memset(mac, 'u', sizeof mac);
        if (ctl_mac_parse(text, mac) < 0) {
                for (size_t i = 0; i < sizeof mac; i++)
                        if (mac[i] != 'u')
                                __builtin_trap();
                return;
        }
        if (strlen(mac) != CTL_MAC_TEXT_LEN - 1 || strspn(mac, "0123456789abcdef:") != CTL_MAC_TEXT_LEN - 1 ||
            ctl_mac_parse(mac, again) != 0 || strcmp(mac, again) != 0)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        /* A command-line argument: a string that ends at its first NUL. */
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        switch (data[0] % 4) {
        case 0: fuzz_route(text); break;
        case 1: fuzz_neighbor(text); break;
        case 2: fuzz_address(text); break;
        default: fuzz_mac(text); break;
        }
        free(text);
        return 0;
}

/* UBSan only reports by default; a fuzzer must stop at the first finding. */
const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
        return "halt_on_error=1:print_stacktrace=1";
}
