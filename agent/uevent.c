/* SPDX-License-Identifier: Apache-2.0 */
#include "uevent.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* Offsets into the copy while parsing; turned into pointers once the whole message is good. */
enum { F_ACTION, F_DEVPATH, F_SUBSYSTEM, F_DEVNAME, F_DEVTYPE, F_DRIVER, F_COUNT };

static const char *const field_keys[F_COUNT] = {
        [F_ACTION] = "ACTION",       [F_DEVPATH] = "DEVPATH", [F_SUBSYSTEM] = "SUBSYSTEM",
        [F_DEVNAME] = "DEVNAME",     [F_DEVTYPE] = "DEVTYPE", [F_DRIVER] = "DRIVER",
};

static int parse_number(const char *s, uint64_t max, uint64_t *ret)
{
        uint64_t v;
        if (!*s || strspn(s, "0123456789") != strlen(s) || parse_u64(s, 10, &v) < 0 || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int uevent_parse(const void *msg, size_t len, struct uevent *ret)
{
        char buf[UEVENT_MSG_MAX + 1];
        size_t field[F_COUNT] = { 0 };
        bool have[F_COUNT] = { false };
        uint64_t major = 0, minor = 0, seqnum = 0;
        bool have_major = false, have_minor = false, have_seqnum = false;
        size_t n_vars = 0;

        if (len > UEVENT_MSG_MAX)
                return -EMSGSIZE;
        if (len >= 8 && memcmp(msg, "libudev", 8) == 0)
                return -EPROTO;
        memcpy(buf, msg, len);
        buf[len] = '\0';

        /* The header: "action@devpath". */
        size_t hlen = strnlen(buf, len);
        char *at = memchr(buf, '@', hlen);
        if (!at || at == buf || at[1] != '/')
                return -EINVAL;
        *at = '\0';
        size_t action = 0, devpath = (size_t)(at + 1 - buf);

        for (size_t pos = hlen + 1; pos < len;) {
                char *var = buf + pos;
                size_t vlen = strnlen(var, len - pos);
                pos += vlen + 1;
                if (vlen == 0)
                        continue; /* a trailing or doubled NUL */
                if (++n_vars > UEVENT_VARS_MAX)
                        return -E2BIG;
                char *eq = memchr(var, '=', vlen);
                if (!eq || eq == var)
                        return -EINVAL;
                *eq = '\0';
                const char *value = eq + 1;
                /* The kernel names each variable once; a repeat would make uevent_get and the fields disagree. */
                for (int f = 0; f < F_COUNT; f++)
                        if (streq(var, field_keys[f])) {
                                if (have[f])
                                        return -EINVAL;
                                field[f] = (size_t)(value - buf);
                                have[f] = true;
                        }
                int r = 0;
                if (streq(var, "MAJOR"))
                        r = have_major ? -EINVAL : parse_number(value, UINT32_MAX, &major), have_major = true;
                else if (streq(var, "MINOR"))
                        r = have_minor ? -EINVAL : parse_number(value, UINT32_MAX, &minor), have_minor = true;
                else if (streq(var, "SEQNUM"))
                        r = have_seqnum ? -EINVAL : parse_number(value, UINT64_MAX, &seqnum), have_seqnum = true;
                if (r < 0)
                        return r;
                *eq = '='; /* kept whole for uevent_get */
        }
        /* The variables repeat the header; a message where they disagree is not the kernel's. */
        if ((have[F_ACTION] && !streq(buf + field[F_ACTION], buf + action)) ||
            (have[F_DEVPATH] && !streq(buf + field[F_DEVPATH], buf + devpath)))
                return -EINVAL;

        memcpy(ret->buf, buf, len + 1);
        ret->action = ret->buf + action;
        ret->devpath = ret->buf + devpath;
        const char **dst[F_COUNT] = { NULL, NULL, &ret->subsystem, &ret->devname, &ret->devtype, &ret->driver };
        for (int f = F_SUBSYSTEM; f < F_COUNT; f++)
                *dst[f] = have[f] ? ret->buf + field[f] : "";
        ret->has_devnum = have_major && have_minor;
        ret->major = (uint32_t)major;
        ret->minor = (uint32_t)minor;
        ret->seqnum = seqnum;
        ret->n_vars = n_vars;
        return 0;
}

const char *uevent_get(const struct uevent *ev, const char *key)
{
        size_t klen = strlen(key);
        /* Variables start after the header's NUL; the copy ends with one past the last. */
        const char *p = ev->devpath + strlen(ev->devpath) + 1;
        for (size_t i = 0; i < ev->n_vars; p += strlen(p) + 1) {
                if (!*p)
                        continue;
                i++;
                if (strncmp(p, key, klen) == 0 && p[klen] == '=')
                        return p + klen + 1;
        }
        return NULL;
}
