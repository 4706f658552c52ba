/* SPDX-License-Identifier: Apache-2.0 */
/* Addresses, prefixes and link-layer addresses as text (net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

int net_ip_parse(const char *text, struct net_ip *ret)
{
        struct net_ip ip = { 0 };
        if (!text || strlen(text) >= NET_IP_TEXT_MAX)
                return -EINVAL;
        if (inet_pton(AF_INET, text, ip.bytes) == 1) {
                ip.family = AF_INET;
                ip.len = 32;
        } else if (inet_pton(AF_INET6, text, ip.bytes) == 1) {
                ip.family = AF_INET6;
                ip.len = 128;
        } else {
                return -EINVAL;
        }
        *ret = ip;
        return 0;
}

int net_prefix_parse(const char *text, unsigned max, uint8_t *ret)
{
        unsigned v = 0;
        size_t n = text ? strlen(text) : 0;
        if (n == 0 || n > 3)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (text[i] < '0' || text[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(text[i] - '0');
        }
        if (v > max || (n > 1 && text[0] == '0'))
                return -EINVAL;
        *ret = (uint8_t)v;
        return 0;
}

int net_cidr_parse(const char *text, struct net_ip *ret)
{
        char addr[NET_IP_TEXT_MAX];
        if (!text || strlen(text) >= sizeof addr)
                return -EINVAL;
        const char *slash = strchr(text, '/');
        size_t alen = slash ? (size_t)(slash - text) : strlen(text);
        memcpy(addr, text, alen);
        addr[alen] = '\0';
        struct net_ip ip;
        if (net_ip_parse(addr, &ip) < 0)
                return -EINVAL;
        if (slash && net_prefix_parse(slash + 1, ip.family == AF_INET ? 32 : 128, &ip.len) < 0)
                return -EINVAL;
        *ret = ip;
        return 0;
}

int net_lladdr_parse(const char *text, uint8_t *bytes, size_t size)
{
        uint8_t out[NET_LLADDR_MAX];
        size_t n = 0;
        const char *p = text;
        if (!p || !*p)
                return -EINVAL;
        for (;;) {
                int hi = hex_digit_value(p[0]), lo = hi < 0 ? -1 : hex_digit_value(p[1]);
                if (hi < 0 || lo < 0 || n >= sizeof out || n >= size)
                        return -EINVAL;
                out[n++] = (uint8_t)(hi << 4 | lo);
                p += 2;
                if (*p == '\0')
                        break;
                if (*p++ != ':')
                        return -EINVAL;
        }
        memcpy(bytes, out, n);
        return (int)n;
}

void net_ip_format(const struct net_ip *ip, bool with_len, char *buf, size_t size)
{
        char text[INET6_ADDRSTRLEN];
        if (!inet_ntop(ip->family == AF_INET6 ? AF_INET6 : AF_INET, ip->bytes, text, sizeof text))
                text[0] = '\0';
        if (with_len)
                snprintf(buf, size, "%s/%u", text, ip->len);
        else
                snprintf(buf, size, "%s", text);
}

void net_lladdr_format(const uint8_t *bytes, size_t len, char *buf, size_t size)
{
        size_t at = 0;
        if (size)
                buf[0] = '\0';
        for (size_t i = 0; i < len && at + 3 < size; i++)
                at += (size_t)snprintf(buf + at, size - at, i ? ":%02x" : "%02x", bytes[i]);
}

bool net_ip_equal(const struct net_ip *a, const struct net_ip *b)
{
        size_t n = a->family == AF_INET ? 4 : 16;
        return a->family == b->family && a->len == b->len && memcmp(a->bytes, b->bytes, n) == 0;
}

void net_ip_mask(struct net_ip *ip)
{
        size_t total = ip->family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < total; i++) {
                unsigned first_bit = (unsigned)i * 8;
                if (first_bit >= ip->len)
                        ip->bytes[i] = 0;
                else if (ip->len - first_bit < 8)
                        ip->bytes[i] &= (uint8_t)(0xff << (8 - (ip->len - first_bit)));
        }
        for (size_t i = total; i < sizeof ip->bytes; i++)
                ip->bytes[i] = 0;
}

bool net_ip_is_link_local6(const struct net_ip *ip)
{
        return ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}
