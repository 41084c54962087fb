/*
 * Tests of bench/bench_util.c, the part every benchmark shares: medians and ranges (against
 * values worked out by hand and a sort done here), the per-repetition ratios, the CSV writer
 * (read back with a parser written here: header, 17 fields, RFC 4180 quoting, values to 10
 * digits), the run's CSV through dcb_init / dcb_row / dcb_ratio_rows / dcb_finish at every rank
 * count (only rank 0 writes; np, the MPI's name, the ratio recomputed from the times given) and
 * the interleaving order of dcb_interleave (A B C, B C A, C A B: recorded by the timed calls).
 */
#include "dc_test.h"

#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The documented columns (docs/benchmarks.md), written out here, not taken from the writer. */
static const char *const columns[] = {"bench",   "variant", "size",  "rep", "metric", "value",
                                      "unit",    "np",      "nodes", "mpi", "blas",   "placement",
                                      "machine", "git_rev", "load1", "utc", "case"};
#define NCOL 17

/* ---------------------------------------------------------------- statistics */

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_median(void)
{
    const double odd[5] = {5.0, 1.0, 4.0, 2.0, 3.0}; /* median 3 */
    const double even[4] = {10.0, -2.0, 7.0, 1.0};   /* sorted -2 1 7 10: median 4 */
    const double dup[6] = {2.0, 2.0, 9.0, 2.0, 1.0, 2.0};
    double copy[5], v[DCB_MAX_REPS], s[DCB_MAX_REPS];
    dcb_stat_t st;
    int i, n;

    memcpy(copy, odd, sizeof(copy));
    CU_ASSERT_EQUAL(dcb_median(copy, 5), 3.0);
    CU_ASSERT(memcmp(copy, odd, sizeof(copy)) == 0); /* input untouched */
    CU_ASSERT_EQUAL(dcb_median(even, 4), 4.0);
    CU_ASSERT_EQUAL(dcb_median(dup, 6), 2.0);
    CU_ASSERT_EQUAL(dcb_median(odd, 1), 5.0);
    CU_ASSERT_EQUAL(dcb_median(odd, 0), 0.0);
    dcb_stats(even, 4, &st);
    CU_ASSERT_EQUAL(st.med, 4.0);
    CU_ASSERT_EQUAL(st.lo, -2.0);
    CU_ASSERT_EQUAL(st.hi, 10.0);
    dcb_stats(odd, 0, &st);
    CU_ASSERT(st.med == 0.0 && st.lo == 0.0 && st.hi == 0.0);

    /* pseudo-random samples of every length against a sort done here */
    for (n = 1; n <= DCB_MAX_REPS; n++) {
        double want;
        for (i = 0; i < n; i++)
            v[i] = s[i] = dct_rand(17, (uint64_t)(n * 100 + i));
        qsort(s, (size_t)n, sizeof(double), cmp);
        want = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
        dcb_stats(v, n, &st);
        CU_ASSERT_EQUAL(st.med, want);
        CU_ASSERT_EQUAL(st.lo, s[0]);
        CU_ASSERT_EQUAL(st.hi, s[n - 1]);
    }
}

static void test_ratio_stats(void)
{
    /* base / ours per repetition: 2/1 = 2, 3/2 = 1.5, 1/4 = 0.25 -> median 1.5, range .25-2 */
    const double base[3] = {2.0, 3.0, 1.0}, ours[3] = {1.0, 2.0, 4.0};
    /* the median of the ratios is not the ratio of the medians (2 / 2 = 1 here) */
    dcb_stat_t st;

    dcb_ratio_stats(base, ours, 3, &st);
    CU_ASSERT_EQUAL(st.med, 1.5);
    CU_ASSERT_EQUAL(st.lo, 0.25);
    CU_ASSERT_EQUAL(st.hi, 2.0);
}

/* ---------------------------------------------------------------- CSV, read back here */

/* Splits one CSV line (RFC 4180 quoting) into at most max fields; returns their count. */
static int parse_line(const char *line, char fields[][128], int max)
{
    int n = 0, len = 0, quoted = 0;
    const char *p = line;

    if (max < 1)
        return 0;
    fields[0][0] = '\0';
    for (; *p && *p != '\n'; p++) {
        if (quoted) {
            if (*p == '"' && p[1] == '"')
                fields[n][len++] = *p++;
            else if (*p == '"')
                quoted = 0;
            else
                fields[n][len++] = *p;
        } else if (*p == '"' && len == 0) {
            quoted = 1;
        } else if (*p == ',') {
            fields[n][len] = '\0';
            if (++n >= max)
                return -1;
            len = 0;
        } else {
            fields[n][len++] = *p;
        }
        if (len >= 127)
            return -1;
    }
    fields[n][len] = '\0';
    return n + 1;
}

static void fill_meta(dcb_meta_t *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->bench, sizeof(m->bench), "bench_test");
    m->np = 3;
    m->nodes = 2;
    snprintf(m->mpi, sizeof(m->mpi), "openmpi 4.1.4");
    snprintf(m->blas, sizeof(m->blas), "openblas 0.3.21 \"Haswell\", x"); /* quote and comma */
    snprintf(m->placement, sizeof(m->placement), "ok bound");
    snprintf(m->machine, sizeof(m->machine), "node-1");
    snprintf(m->git_rev, sizeof(m->git_rev), "abc1234-dirty");
    m->load1 = 1.25;
    snprintf(m->utc, sizeof(m->utc), "2026-01-02T03:04:05Z");
}

static void test_csv_writer(void)
{
    char path[256], line[1024], f[NCOL + 1][128];
    dcb_csv_t c;
    dcb_meta_t m;
    FILE *in;
    int i, n, rows = 0, ok;

    snprintf(path, sizeof(path), "test_bench_util.%d.%d.csv", (int)getpid(), dct_rank);
    fill_meta(&m);
    CU_ASSERT_FATAL(dcb_csv_open(&c, path, &m) == 0); /* local: no collective follows */
    CU_ASSERT(dcb_csv_row(&c, "dc", 16777216, 0, "seconds", 0.00123456789012, "s", "dot") == 0);
    CU_ASSERT(dcb_csv_row(&c, "dc/mpi", 8, 2, "ratio", 1.5, "", "all,reduce") == 0);
    CU_ASSERT(dcb_csv_close(&c) == 0);
    CU_ASSERT(dcb_csv_close(&c) == 0); /* twice: no-op */

    in = fopen(path, "r");
    CU_ASSERT_FATAL(in != NULL);
    CU_ASSERT(fgets(line, sizeof(line), in) != NULL);
    n = parse_line(line, f, NCOL + 1);
    CU_ASSERT_EQUAL(n, NCOL);
    for (i = 0; i < NCOL && i < n; i++)
        CU_ASSERT_STRING_EQUAL(f[i], columns[i]);
    while (fgets(line, sizeof(line), in) != NULL) {
        n = parse_line(line, f, NCOL + 1);
        CU_ASSERT_EQUAL(n, NCOL);
        if (n != NCOL)
            continue;
        CU_ASSERT_STRING_EQUAL(f[0], "bench_test");
        CU_ASSERT_STRING_EQUAL(f[7], "3");
        CU_ASSERT_STRING_EQUAL(f[8], "2");
        CU_ASSERT_STRING_EQUAL(f[9], "openmpi 4.1.4");
        CU_ASSERT_STRING_EQUAL(f[10], "openblas 0.3.21 \"Haswell\", x");
        CU_ASSERT_STRING_EQUAL(f[11], "ok bound");
        CU_ASSERT_STRING_EQUAL(f[12], "node-1");
        CU_ASSERT_STRING_EQUAL(f[13], "abc1234-dirty");
        CU_ASSERT_STRING_EQUAL(f[14], "1.25");
        CU_ASSERT_STRING_EQUAL(f[15], "2026-01-02T03:04:05Z");
        if (rows == 0) {
            CU_ASSERT_STRING_EQUAL(f[1], "dc");
            CU_ASSERT_STRING_EQUAL(f[2], "16777216"); /* a size prints as an integer */
            CU_ASSERT_STRING_EQUAL(f[3], "0");
            CU_ASSERT_STRING_EQUAL(f[4], "seconds");
            CU_ASSERT(fabs(atof(f[5]) - 0.00123456789012) <= 1e-9 * 0.00123456789012);
            CU_ASSERT_STRING_EQUAL(f[6], "s");
            CU_ASSERT_STRING_EQUAL(f[16], "dot");
        } else {
            CU_ASSERT_STRING_EQUAL(f[1], "dc/mpi");
            CU_ASSERT_STRING_EQUAL(f[2], "8");
            CU_ASSERT_STRING_EQUAL(f[3], "2");
            CU_ASSERT_STRING_EQUAL(f[4], "ratio");
            CU_ASSERT_STRING_EQUAL(f[5], "1.5");
            CU_ASSERT_STRING_EQUAL(f[6], "");
            CU_ASSERT_STRING_EQUAL(f[16], "all,reduce");
        }
        rows++;
    }
    fclose(in);
    CU_ASSERT_EQUAL(rows, 2);
    ok = remove(path) == 0;
    CU_ASSERT(ok);
    /* a path that cannot be opened */
    CU_ASSERT(dcb_csv_open(&c, "/nonexistent-dir/x/y.csv", &m) == -1);
    CU_ASSERT(dcb_csv_row(&c, "dc", 1, 0, "seconds", 1.0, "s", "") == -1);
}

/* ---------------------------------------------------------------- the run's CSV */

static void test_run_csv(void)
{
    char path[256], line[1024], f[NCOL + 1][128];
    const double t_ours[3] = {1.0, 2.0, 0.5}, t_base[3] = {3.0, 2.0, 1.0};
    dc_env_t *env = dct_env_create();
    dcb_t b;
    FILE *in = NULL;
    int rc, r, rows = 0, ratios = 0, raw = 0;
    int pid = (int)getpid();

    MPI_Bcast(&pid, 1, MPI_INT, 0, dct_comm);
    snprintf(path, sizeof(path), "test_bench_util.run.%d.csv", pid);
    rc = dcb_init(&b, "bench_test", dct_comm, env, path);
    DCT_ASSERT_ALL(rc == 0);
    for (r = 0; r < 3; r++) { /* every rank calls; rank 0 writes */
        dcb_row(&b, "dc", 4096, r, "seconds", t_ours[r], "s", "dot");
        dcb_row(&b, "mpi", 4096, r, "seconds", t_base[r], "s", "dot");
    }
    dcb_ratio_rows(&b, "dc", "mpi", 4096, "dot", t_ours, t_base, 3);
    dcb_finish(&b);
    dcb_free(&b);
    MPI_Barrier(dct_comm);
    if (dct_rank == 0) {
        in = fopen(path, "r");
        CU_ASSERT(in != NULL);
    }
    while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
        int n = parse_line(line, f, NCOL + 1);
        CU_ASSERT_EQUAL(n, NCOL);
        if (n != NCOL || rows++ == 0)
            continue;
        CU_ASSERT_STRING_EQUAL(f[0], "bench_test");
        CU_ASSERT_EQUAL(atoi(f[7]), dct_size);
        CU_ASSERT(atoi(f[8]) >= 1);
        CU_ASSERT(strncmp(f[9], "openmpi ", 8) == 0 || strncmp(f[9], "mpich ", 6) == 0);
        CU_ASSERT(f[13][0] != '\0');
        r = atoi(f[3]);
        CU_ASSERT(r >= 0 && r < 3);
        if (r < 0 || r >= 3)
            continue;
        if (!strcmp(f[4], "ratio")) {
            CU_ASSERT_STRING_EQUAL(f[1], "dc/mpi");
            /* speed ratio: the baseline's time over ours */
            CU_ASSERT(fabs(atof(f[5]) - t_base[r] / t_ours[r]) <= 1e-9);
            ratios++;
        } else {
            CU_ASSERT(fabs(atof(f[5]) - (!strcmp(f[1], "dc") ? t_ours[r] : t_base[r])) <= 1e-9);
            raw++;
        }
    }
    if (in != NULL) {
        fclose(in);
        CU_ASSERT_EQUAL(raw, 6);
        CU_ASSERT_EQUAL(ratios, 3);
        remove(path);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- interleaving order */

typedef struct {
    int id;
    int *log, *nlog;
} rec_t;

static double rec_call(void *p)
{
    rec_t *x = p;
    x->log[(*x->nlog)++] = x->id;
    return (double)(x->id + 1);
}

static void test_interleave(void)
{
    /* three variants, four repetitions: A B C, B C A, C A B, A B C */
    static const int want[12] = {0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2};
    double t[3][DCB_MAX_REPS];
    int log[64], nlog = 0, i, r, n;
    rec_t x[3];
    dcb_time_fn fn[3] = {rec_call, rec_call, rec_call};
    void *ctx[3] = {&x[0], &x[1], &x[2]};
    dcb_t b;

    memset(&b, 0, sizeof(b)); /* no terminal: no progress line */
    for (i = 0; i < 3; i++)
        x[i] = (rec_t){i, log, &nlog};
    n = dcb_interleave(&b, 3, fn, ctx, 4, t, "test");
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(nlog, 12);
    CU_ASSERT(memcmp(log, want, sizeof(want)) == 0);
    for (i = 0; i < 3; i++)
        for (r = 0; r < 4; r++)
            CU_ASSERT_EQUAL(t[i][r], (double)(i + 1));
    /* two variants alternate: A B, B A */
    nlog = 0;
    n = dcb_interleave(&b, 2, fn, ctx, 2, t, "test");
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT(nlog == 4 && log[0] == 0 && log[1] == 1 && log[2] == 1 && log[3] == 0);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("bench_util", NULL, NULL);

    CU_add_test(s, "median, min, max against a sort", test_median);
    CU_add_test(s, "per-repetition ratios", test_ratio_stats);
    CU_add_test(s, "CSV writer: header, quoting, values", test_csv_writer);
    CU_add_test(s, "the run's CSV: rank 0 writes, ratios from the times", test_run_csv);
    CU_add_test(s, "interleaving order", test_interleave);
}
