/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the parsers of kernel text files that StatsContainer
 * reads: /proc/<pid>/net/dev lines (netdev_parse_line), and the cgroup files
 * memory.stat, blkio.* (v1), io.stat (v2), cpuacct.usage_percpu, keyed files
 * such as cpu.stat (cg_keyed_u64) and hugetlb file names.
 *
 * The first input byte chooses the parser by its low 3 bits, so the digits
 * '0'..'7' name them in text seeds: 0 net/dev, 1 memory.stat, 2 blkio (v1),
 * 3 io.stat (v2), 4 usage_percpu, 5 a keyed file whose first line is the key
 * to look up, 6 and 7 hugetlb file names with the v1 and v2 suffix. The rest
 * is the file's text.
 *
 * The kernel is trusted, but a parser must still never read past the text,
 * allocate without bound or build a message that cannot be sent: every
 * message built is packed, unpacked and packed again to the same bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "cgroup_internal.h"
#include "netstats.h"

enum parser {
        P_NETDEV,
        P_MEMORY_STAT,
        P_BLKIO_V1,
        P_IO_STAT_V2,
        P_PERCPU,
        P_KEYED,
        P_HUGETLB_NAME, /* and the eighth value, P_HUGETLB_NAME + 1: the v2 suffix */
};

static size_t count_lines(const char *text)
{
        size_t n = 1;
        for (const char *p = text; (p = strchr(p, '\n')); p++)
                n++;
        return n;
}

/* The message must go on the wire and come back as the same bytes. */
static void check_roundtrip(const ProtobufCMessage *m)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
        if (!a || !b || protobuf_c_message_pack(m, a) != n)
                __builtin_trap();
        ProtobufCMessage *back = protobuf_c_message_unpack(m->descriptor, NULL, n, a);
        if (!back || protobuf_c_message_get_packed_size(back) != n || protobuf_c_message_pack(back, b) != n ||
            memcmp(a, b, n) != 0)
                __builtin_trap();
        protobuf_c_message_free_unpacked(back, NULL);
        free(a);
        free(b);
}

/* Lines the way netstats_collect reads them: fgets into 512 bytes. */
static void fuzz_netdev(const char *data, size_t size)
{
        char line[512];
        FILE *f = fmemopen((void *)data, size, "r");
        if (!f)
                return;
        while (fgets(line, sizeof line, f)) {
                struct netdev_counters c, poison;
                memset(&poison, 0xa5, sizeof poison);
                c = poison;
                int r = netdev_parse_line(line, &c);
                if (r < 0) {
                        /* Outputs untouched on failure. */
                        if (r != -EINVAL || memcmp(&c, &poison, sizeof c) != 0)
                                __builtin_trap();
                        continue;
                }
                size_t len = strnlen(c.name, sizeof c.name);
                if (r != 0 || len == 0 || len >= sizeof c.name)
                        __builtin_trap();
                /* The name is what stands before the first colon, without blanks around it. */
                if (strchr(c.name, ':') || strchr(" \t", c.name[0]) || strchr(" \t", c.name[len - 1]))
                        __builtin_trap();
                const char *name = line + strspn(line, " \t"), *colon = strchr(line, ':');
                if (!colon || strncmp(name, c.name, len) != 0 ||
                    name + len + strspn(name + len, " \t") != colon)
                        __builtin_trap();
        }
        fclose(f);
}

static void fuzz_memory_stat(const char *text)
{
        Grpc__MemoryStats *m = calloc(1, sizeof *m);
        if (!m)
                return;
        grpc__memory_stats__init(m);
        if (cg_stats_memory_map(m, text) != 0)
                __builtin_trap();
        if (m->n_stats > MEMORY_STAT_MAX || m->n_stats > count_lines(text))
                __builtin_trap();
        for (size_t i = 0; i < m->n_stats; i++) {
                const char *k = m->stats[i]->key;
                /* A key is a line's text before its first space. */
                if (!k || !*k || strpbrk(k, " \n"))
                        __builtin_trap();
        }
        check_roundtrip(&m->base);
        protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void check_blkio(const Grpc__BlkioStatsEntry *const *a, size_t n, bool v2)
{
        if (n > BLKIO_ENTRIES_MAX)
                __builtin_trap();
        for (size_t i = 0; i < n; i++) {
                const char *op = a[i]->op;
                if (!op || strpbrk(op, " \n"))
                        __builtin_trap();
                if (v2 && strcmp(op, "Read") != 0 && strcmp(op, "Write") != 0)
                        __builtin_trap();
        }
}

static void fuzz_blkio(char *text, bool v2)
{
        Grpc__BlkioStats *b = calloc(1, sizeof *b);
        if (!b)
                return;
        grpc__blkio_stats__init(b);
        size_t lines = count_lines(text);
        int r = v2 ? cg_stats_io_v2_parse(text, b)
                   : cg_stats_blkio_v1_parse(text, &b->io_service_bytes_recursive,
                                             &b->n_io_service_bytes_recursive);
        if (r != 0)
                __builtin_trap();
        /* v1: at most one entry a line; v2: at most four (rbytes, wbytes, rios, wios) a line. */
        if (!v2 && b->n_io_service_bytes_recursive > lines)
                __builtin_trap();
        check_blkio((const Grpc__BlkioStatsEntry *const *)b->io_service_bytes_recursive,
                    b->n_io_service_bytes_recursive, v2);
        check_blkio((const Grpc__BlkioStatsEntry *const *)b->io_serviced_recursive,
                    b->n_io_serviced_recursive, v2);
        check_roundtrip(&b->base);
        protobuf_c_message_free_unpacked(&b->base, NULL);
}

static void fuzz_percpu(char *text)
{
        size_t tokens = 0;
        for (const char *p = text; *p;) {
                p += strspn(p, " \n");
                if (*p)
                        tokens++;
                p += strcspn(p, " \n");
        }
        Grpc__CpuUsage *u = calloc(1, sizeof *u);
        if (!u)
                return;
        grpc__cpu_usage__init(u);
        if (cg_stats_percpu_v1(text, u) != 0 || u->n_percpu_usage > tokens ||
            (u->n_percpu_usage && !u->percpu_usage))
                __builtin_trap();
        check_roundtrip(&u->base);
        protobuf_c_message_free_unpacked(&u->base, NULL);
}

static void fuzz_keyed(const char *text, const char *key)
{
        uint64_t v = 0xa5a5a5a5a5a5a5a5ull;
        int r = cg_keyed_u64(text, key, &v);
        if (r < 0) {
                if ((r != -ENOENT && r != -ERANGE && r != -EINVAL) || v != 0xa5a5a5a5a5a5a5a5ull)
                        __builtin_trap();
                return;
        }
        /* Found on a line that starts with "key ". */
        size_t klen = strlen(key);
        for (const char *p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
                        return;
        __builtin_trap();
}

/* Each line as a directory entry name, as cg_stats_hugetlb sees them. */
static void fuzz_hugetlb_names(char *text, const char *suffix)
{
        for (char *save = NULL, *name = strtok_r(text, "\n", &save); name;
             name = strtok_r(NULL, "\n", &save)) {
                char page[32], poison[32];
                memset(page, 0xa5, sizeof page);
                memset(poison, 0xa5, sizeof poison);
                if (!cg_hugetlb_file_size(name, suffix, page, sizeof page)) {
                        if (memcmp(page, poison, sizeof page) != 0)
                                __builtin_trap();
                        continue;
                }
                size_t len = strnlen(page, sizeof page);
                if (len == 0 || len >= sizeof page || strchr(page, '.'))
                        __builtin_trap();
                char whole[512];
                snprintf(whole, sizeof whole, "hugetlb.%s.%s", page, suffix);
                if (strcmp(whole, name) != 0)
                        __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        unsigned sel = data[0];
        data++;
        size--;
        /* The files are read whole into a terminated buffer (cg_read). */
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        switch (sel % 8) {
        case P_NETDEV:
                fuzz_netdev((const char *)data, size);
                break;
        case P_MEMORY_STAT:
                fuzz_memory_stat(text);
                break;
        case P_BLKIO_V1:
                fuzz_blkio(text, false);
                break;
        case P_IO_STAT_V2:
                fuzz_blkio(text, true);
                break;
        case P_PERCPU:
                fuzz_percpu(text);
                break;
        case P_KEYED: {
                /* "key\ntext": the agent's keys are its own, but any must be safe. */
                char *nl = strchr(text, '\n');
                if (nl) {
                        *nl = '\0';
                        fuzz_keyed(nl + 1, text);
                }
                break;
        }
        case P_HUGETLB_NAME:
        default:
                fuzz_hugetlb_names(text, sel % 8 == P_HUGETLB_NAME ? "usage_in_bytes" : "current");
                break;
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
