/* SPDX-License-Identifier: Apache-2.0 */
/* ct-bench: percentiles and sample files. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_client.h"
#include "rootfs.h"
#include "test_spec.h"
#include "ttrpc_client.h"
#include "util.h"

#include "ct_bench.h"

/* --- numbers --- */

int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

/* Nearest rank (rank = ceil(pct * n / 100)) of sorted values, like ttrpc-load; in microseconds. */
double pct_us(const uint64_t *sorted, size_t n, unsigned pct)
{
        if (n == 0)
                return 0;
        size_t rank = ((size_t)pct * n + 99) / 100;
        if (rank < 1)
                rank = 1;
        return (double)sorted[rank - 1] / 1000.0;
}


void samples_add(struct samples *s, const uint64_t *row)
{
        if (s->n == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 256;
                s->v = realloc(s->v, s->cap * s->ncol * sizeof *s->v);
                if (!s->v)
                        die("out of memory");
        }
        memcpy(&s->v[s->n * s->ncol], row, s->ncol * sizeof *row);
        s->n++;
}

/* Appends every row to path ("a b c\n" in ns). */
void samples_save(const struct samples *s, const char *path)
{
        if (!path)
                return;
        FILE *f = fopen(path, "ae");
        if (!f)
                die("cannot open %s: %s", path, strerror(errno));
        for (size_t i = 0; i < s->n; i++)
                for (unsigned c = 0; c < s->ncol; c++)
                        fprintf(f, "%" PRIu64 "%c", s->v[i * s->ncol + c], c + 1 == s->ncol ? '\n' : ' ');
        if (fclose(f) != 0)
                die("cannot write %s: %s", path, strerror(errno));
}

/*
 * "runs=N median_us= p99_us= min_us= max_us= mean_us=" for column 0, and
 * "<name>_median_us= <name>_p99_us=" for the others (names[c]).
 */
void samples_print(const struct samples *s, const char *const *names)
{
        uint64_t *col = malloc((s->n ? s->n : 1) * sizeof *col);
        if (!col)
                die("out of memory");
        printf("runs=%zu", s->n);
        for (unsigned c = 0; c < s->ncol; c++) {
                double sum = 0;
                for (size_t i = 0; i < s->n; i++) {
                        col[i] = s->v[i * s->ncol + c];
                        sum += (double)col[i];
                }
                qsort(col, s->n, sizeof *col, cmp_u64);
                if (c == 0) {
                        printf(" median_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f mean_us=%.1f",
                               pct_us(col, s->n, 50), pct_us(col, s->n, 99), pct_us(col, s->n, 0),
                               pct_us(col, s->n, 100), s->n ? sum / (double)s->n / 1000.0 : 0.0);
                } else {
                        printf(" %s_median_us=%.1f %s_p99_us=%.1f", names[c], pct_us(col, s->n, 50), names[c],
                               pct_us(col, s->n, 99));
                }
        }
        free(col);
}
