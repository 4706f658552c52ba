/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --addr, --route and --neighbor values (ctl/spec_net.h): one splitter of
 * KEY=VALUE items and a table of keys per SPEC, each key with the function
 * that puts its value into the message.
 */
#include "spec_net.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ADDR_CHARS "0123456789abcdefABCDEF.:"
#define MAX_PREFIX_DIGITS 3
/* "KEY: " before a message about a SPEC key's value; nothing for a whole option value. */
#define SEP(key) (*(key) ? ": " : "")

struct net_key {
        const char *key;
        bool bare;     /* given without a value (a flag) */
        bool required;
        int (*apply)(void *msg, const char *value, struct rpc_error *e);
};

struct net_spec {
        const char *what; /* "route", "neighbor" */
        const struct net_key *keys;
        size_t n_keys;
        const char *key_list; /* for "unknown key" messages */
};

static int oom(struct rpc_error *e)
{
        return rpc_error_set(e, GRPC_RESOURCE_EXHAUSTED, -ENOMEM, "out of memory");
}

static int set_string(char **field, const char *value, struct rpc_error *e)
{
        char *copy = strdup(value);
        if (!copy)
                return oom(e);
        *field = copy;
        return 0;
}

int ctl_mac_parse(const char *text, char out[CTL_MAC_TEXT_LEN])
{
        char mac[CTL_MAC_TEXT_LEN];
        for (size_t i = 0; i < CTL_MAC_TEXT_LEN - 1; i++) {
                char c = text[i];
                if (i % 3 == 2 ? c != ':' : !isxdigit((unsigned char)c))
                        return -EINVAL;
                mac[i] = (char)tolower((unsigned char)c);
        }
        if (text[CTL_MAC_TEXT_LEN - 1] != '\0')
                return -EINVAL;
        mac[CTL_MAC_TEXT_LEN - 1] = '\0';
        memcpy(out, mac, sizeof mac);
        return 0;
}

int ctl_number_parse(const char *text, uint32_t *ret)
{
        bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        const char *digits = hex ? text + 2 : text;
        size_t n = strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789");
        if (n == 0 || digits[n] != '\0')
                return -EINVAL;
        return parse_u32(digits, hex ? 16 : 10, ret);
}

Types__IPFamily ctl_addr_family(const char *addr)
{
        return strchr(addr, ':') ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
}

/* The shape of an address: what an IPv4 or IPv6 address may be made of. */
static int check_addr(const char *key, const char *addr, size_t len, struct rpc_error *e)
{
        if (len == 0 || len > CTL_NET_ADDR_MAX_LEN || strspn(addr, ADDR_CHARS) < len)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s%s`%.*s` is not an IPv4 or IPv6 address", key, SEP(key),
                                     (int)(len > 64 ? 64 : len), addr);
        return 0;
}

/* "ADDR/PREFIX" (or "ADDR" when the prefix is optional): 0, with *prefix at the prefix or NULL. */
static int check_cidr(const char *key, const char *text, bool need_prefix, const char **prefix, struct rpc_error *e)
{
        const char *slash = strchr(text, '/');
        size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);
        int r = check_addr(key, text, addr_len, e);
        if (r < 0)
                return r;
        if (!slash && need_prefix)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "%s%s`%.64s` has no /PREFIX (e.g. 192.0.2.2/24)", key, SEP(key), text);
        if (slash) {
                size_t digits = strspn(slash + 1, "0123456789");
                if (digits == 0 || digits > MAX_PREFIX_DIGITS || slash[1 + digits] != '\0')
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "%s%sthe prefix of `%.64s` is not a length such as 24 or 64", key,
                                             SEP(key), text);
        }
        *prefix = slash ? slash + 1 : NULL;
        return 0;
}

static int new_ip_address(const char *addr, size_t len, const char *mask, Types__IPAddress **ret, struct rpc_error *e)
{
        Types__IPAddress *a = malloc(sizeof *a);
        if (!a)
                return oom(e);
        types__ipaddress__init(a);
        char *address = strndup(addr, len);
        char *mask_copy = mask ? strdup(mask) : NULL;
        if (!address || (mask && !mask_copy)) {
                free(address);
                free(mask_copy);
                free(a);
                return oom(e);
        }
        a->address = address;
        if (mask_copy)
                a->mask = mask_copy;
        a->family = ctl_addr_family(a->address);
        *ret = a;
        return 0;
}

int ctl_ip_address_parse(const char *text, Types__IPAddress **ret, struct rpc_error *e)
{
        const char *prefix;
        int r = check_cidr("", text, true, &prefix, e);
        if (r < 0)
                return r;
        return new_ip_address(text, (size_t)(prefix - 1 - text), prefix, ret, e);
}

/* A number, decimal (or 0x-hex when `hex`), at most max. */
static int parse_number(const char *key, const char *value, bool hex, uint32_t max, uint32_t *ret,
                        struct rpc_error *e)
{
        uint32_t v = 0;
        int r = hex ? ctl_number_parse(value, &v) : -EINVAL;
        if (!hex && strspn(value, "0123456789") == strlen(value))
                r = parse_u32(value, 10, &v);
        if (r < 0 || v > max)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s wants a number%s up to %u, got `%.64s`",
                                     key, hex ? " (decimal or 0x-hex)" : "", max, value);
        *ret = v;
        return 0;
}

/* ---- route keys ---- */

static int route_dest(void *msg, const char *value, struct rpc_error *e)
{
        const char *prefix;
        if (streq(value, "default"))
                return 0; /* "" on the wire */
        int r = check_cidr("dest", value, false, &prefix, e);
        return r < 0 ? r : set_string(&((Types__Route *)msg)->dest, value, e);
}

static int route_addr(const char *key, char **field, const char *value, struct rpc_error *e)
{
        int r = check_addr(key, value, strlen(value), e);
        return r < 0 ? r : set_string(field, value, e);
}

static int route_via(void *msg, const char *value, struct rpc_error *e)
{
        return route_addr("via", &((Types__Route *)msg)->gateway, value, e);
}

static int route_src(void *msg, const char *value, struct rpc_error *e)
{
        return route_addr("src", &((Types__Route *)msg)->source, value, e);
}

static int route_dev(void *msg, const char *value, struct rpc_error *e)
{
        return set_string(&((Types__Route *)msg)->device, value, e);
}

static int route_scope(void *msg, const char *value, struct rpc_error *e)
{
        /* rtm_scope values of linux/rtnetlink.h, named as ip-route(8) names them. */
        static const struct {
                const char *name;
                uint32_t scope;
        } scopes[] = {
                { "global", 0 }, { "universe", 0 }, { "site", 200 },
                { "link", 253 },  { "host", 254 },    { "nowhere", 255 },
        };
        for (size_t i = 0; i < ARRAY_SIZE(scopes); i++)
                if (streq(value, scopes[i].name)) {
                        ((Types__Route *)msg)->scope = scopes[i].scope;
                        return 0;
                }
        if (!isdigit((unsigned char)value[0]))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "scope wants global, site, link, host, nowhere or a number up to 255, got `%.64s`",
                                     value);
        return parse_number("scope", value, false, 255, &((Types__Route *)msg)->scope, e);
}

static int route_mtu(void *msg, const char *value, struct rpc_error *e)
{
        return parse_number("mtu", value, false, UINT32_MAX, &((Types__Route *)msg)->mtu, e);
}

static int route_flags(void *msg, const char *value, struct rpc_error *e)
{
        uint32_t flags = CTL_RTNH_F_ONLINK;
        if (!streq(value, "onlink")) {
                int r = parse_number("flags", value, true, UINT32_MAX, &flags, e);
                if (r < 0)
                        return r;
        }
        ((Types__Route *)msg)->flags |= flags; /* with a bare `onlink` given too */
        return 0;
}

static int route_onlink(void *msg, const char *value, struct rpc_error *e)
{
        (void)value;
        (void)e;
        ((Types__Route *)msg)->flags |= CTL_RTNH_F_ONLINK;
        return 0;
}

static int route_family(void *msg, const char *value, struct rpc_error *e)
{
        if (!streq(value, "4") && !streq(value, "6"))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "family wants 4 or 6, got `%.64s`", value);
        ((Types__Route *)msg)->family = value[0] == '6' ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
        return 0;
}

enum { ROUTE_KEY_FAMILY = 8 }; /* index of family in route_keys */

static const struct net_key route_keys[] = {
        { "dest", false, false, route_dest },   { "via", false, false, route_via },
        { "dev", false, false, route_dev },     { "src", false, false, route_src },
        { "scope", false, false, route_scope }, { "mtu", false, false, route_mtu },
        { "flags", false, false, route_flags }, { "onlink", true, false, route_onlink },
        { "family", false, false, route_family },
};

static const struct net_spec route_spec = {
        "route", route_keys, ARRAY_SIZE(route_keys), "dest, via, dev, src, scope, mtu, flags, onlink, family",
};

/* ---- neighbor keys ---- */

static int neighbor_ip(void *msg, const char *value, struct rpc_error *e)
{
        int r = check_addr("ip", value, strlen(value), e);
        return r < 0 ? r : new_ip_address(value, strlen(value), NULL, &((Types__ARPNeighbor *)msg)->toipaddress, e);
}

static int neighbor_dev(void *msg, const char *value, struct rpc_error *e)
{
        return set_string(&((Types__ARPNeighbor *)msg)->device, value, e);
}

static int neighbor_lladdr(void *msg, const char *value, struct rpc_error *e)
{
        char mac[CTL_MAC_TEXT_LEN];
        if (ctl_mac_parse(value, mac) < 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                     "lladdr: `%.64s` is not a MAC address like 02:00:00:00:00:01", value);
        return set_string(&((Types__ARPNeighbor *)msg)->lladdr, mac, e);
}

static int neighbor_int(const char *key, int32_t *field, const char *value, struct rpc_error *e)
{
        uint32_t v = 0;
        int r = parse_number(key, value, true, INT32_MAX, &v, e);
        if (r == 0)
                *field = (int32_t)v;
        return r;
}

static int neighbor_state(void *msg, const char *value, struct rpc_error *e)
{
        return neighbor_int("state", &((Types__ARPNeighbor *)msg)->state, value, e);
}

static int neighbor_flags(void *msg, const char *value, struct rpc_error *e)
{
        return neighbor_int("flags", &((Types__ARPNeighbor *)msg)->flags, value, e);
}

static const struct net_key neighbor_keys[] = {
        { "ip", false, true, neighbor_ip },         { "dev", false, true, neighbor_dev },
        { "lladdr", false, true, neighbor_lladdr }, { "state", false, false, neighbor_state },
        { "flags", false, false, neighbor_flags },
};

static const struct net_spec neighbor_spec = {
        "neighbor", neighbor_keys, ARRAY_SIZE(neighbor_keys), "ip, dev, lladdr, state, flags",
};

/* ---- the SPEC ---- */

/* One KEY[=VALUE] item (its own copy, cut at the '='); `seen` marks the keys given so far. */
static int apply_item(const struct net_spec *spec, char *item, void *msg, bool *seen, struct rpc_error *e)
{
        char *value = strchr(item, '=');
        if (value)
                *value++ = '\0';
        size_t i = 0;
        while (i < spec->n_keys && !streq(spec->keys[i].key, item))
                i++;
        if (i == spec->n_keys)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "unknown key `%.64s` (%s keys: %s)", item,
                                     spec->what, spec->key_list);
        const struct net_key *k = &spec->keys[i];
        if (seen[i])
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s given twice", k->key);
        seen[i] = true;
        if (k->bare && value)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s takes no value", k->key);
        if (!k->bare && (!value || !*value))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s needs a value (%s=...)", k->key, k->key);
        return k->apply(msg, value, e);
}

static int parse_items(const struct net_spec *spec, const char *text, void *msg, bool *seen, struct rpc_error *e)
{
        size_t len = strnlen(text, CTL_NET_SPEC_MAX_LEN + 1);
        if (len > CTL_NET_SPEC_MAX_LEN)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -E2BIG, "longer than %d bytes", CTL_NET_SPEC_MAX_LEN);
        if (len == 0)
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "empty; give KEY=VALUE items (%s keys: %s)",
                                     spec->what, spec->key_list);
        char item[CTL_NET_SPEC_MAX_LEN + 1];
        /* A comma always starts another item: "a," ends with an empty one. */
        for (const char *s = text;;) {
                size_t n = strcspn(s, ",");
                if (n == 0)
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "empty item (two commas in a row, or a comma at either end)");
                memcpy(item, s, n);
                item[n] = '\0';
                int r = apply_item(spec, item, msg, seen, e);
                if (r < 0)
                        return r;
                if (s[n] == '\0')
                        break;
                s += n + 1;
        }
        for (size_t i = 0; i < spec->n_keys; i++)
                if (spec->keys[i].required && !seen[i])
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "%s= is required", spec->keys[i].key);
        return 0;
}

/* The family the route's addresses say, and family= against it. */
static int route_resolve_family(Types__Route *r, bool family_given, struct rpc_error *e)
{
        const char *addrs[] = { r->dest, r->gateway, r->source };
        const char *first = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
                if (!*addrs[i])
                        continue;
                if (!first)
                        first = addrs[i];
                else if (ctl_addr_family(addrs[i]) != ctl_addr_family(first))
                        return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL,
                                             "`%.64s` and `%.64s` are not of the same family", first, addrs[i]);
        }
        if (!first)
                return 0; /* family= (default v4) decides */
        if (family_given && r->family != ctl_addr_family(first))
                return rpc_error_set(e, GRPC_INVALID_ARGUMENT, -EINVAL, "family=%c but `%.64s` is IPv%c",
                                     r->family == TYPES__IPFAMILY__v6 ? '6' : '4', first,
                                     ctl_addr_family(first) == TYPES__IPFAMILY__v6 ? '6' : '4');
        r->family = ctl_addr_family(first);
        return 0;
}

int ctl_route_parse(const char *text, Types__Route **ret, struct rpc_error *e)
{
        bool seen[ARRAY_SIZE(route_keys)] = { false };
        Types__Route *r = malloc(sizeof *r);
        if (!r)
                return oom(e);
        types__route__init(r);
        int err = parse_items(&route_spec, text, r, seen, e);
        if (err == 0)
                err = route_resolve_family(r, seen[ROUTE_KEY_FAMILY], e);
        if (err < 0) {
                protobuf_c_message_free_unpacked(&r->base, NULL);
                return err;
        }
        *ret = r;
        return 0;
}

int ctl_neighbor_parse(const char *text, Types__ARPNeighbor **ret, struct rpc_error *e)
{
        bool seen[ARRAY_SIZE(neighbor_keys)] = { false };
        Types__ARPNeighbor *n = malloc(sizeof *n);
        if (!n)
                return oom(e);
        types__arpneighbor__init(n);
        int err = parse_items(&neighbor_spec, text, n, seen, e);
        if (err < 0) {
                protobuf_c_message_free_unpacked(&n->base, NULL);
                return err;
        }
        *ret = n;
        return 0;
}
