/*
 * bench_reduce: libdcompute's reductions against the standard alternatives, measured in the same
 * run and printed as speed ratios (baseline time / our time: above 1 means faster):
 *   (a) dc_vec_dot (DC_REPRO_OFF) vs cblas_ddot + MPI_Allreduce on the same local arrays;
 *   (b) reproducible dot (DC_REPRO_BINNED) and correctly rounded dot (DC_REPRO_EXACT) vs the
 *       plain dot (cblas_ddot + MPI_Allreduce), and binned vs exact (binned must not be slower);
 *   (c) dc_allreduce vs MPI_Allreduce (double, SUM) from 8 B to 64 MiB;
 *   (d) the hang watchdog's cost: dc_vec_dot at 1 and 2^20 elements per rank on an env with
 *       the watchdog off (DC_TIMEOUT 0) and one with it on, and the plain cblas_ddot +
 *       MPI_Allreduce, the three interleaved (--watchdog: this part only);
 *   (e) the profiler's cost: dc_vec_dot at 2^24 and 4096 elements per rank and dc_allreduce of
 *       8 B with profiling on (DC_PROFILE as a user sets it, its report written to /dev/null)
 *       and switched off on the same env and vectors, interleaved, with DC_PROFILE_SYNC=64 (the
 *       default) and =1; the overhead (on / off) must stay <= 1.02 at 2^24 (--profile: this
 *       part only).
 * Method: the variants of a measurement are interleaved (the order rotates every repetition:
 * A B, B A for two; A B C D, B C D A, ... for more), each repetition timing enough calls to
 * last >= 20 ms, a barrier before each timing, and the time of a repetition is the maximum over
 * ranks. A ratio is computed within each repetition and printed as the median over repetitions
 * with its minimum and maximum. The summation kernel the library picked for this CPU
 * (generic, avx2 or avx512) is printed: the benchmark is built with the library's dispatcher.
 * The CPU time other work took during each measurement and the run is measured: a verdict from
 * a disturbed measurement or run says so (bench_util.c). Results also go to
 * $DC_BENCH_OUT/bench_reduce.csv (docs/benchmarks.md).
 * Run: mpirun --bind-to core -np 2 ./bench_reduce [--quick] [--sizes LIST] [--bytes LIST]
 *      [--reps N] [--watchdog] [--profile] [--csv PATH]
 */
#include <dcompute.h>

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "dc_config.h"
#include "repro_kernel.h" /* only to name the kernel the library's dispatcher picks */

#define MAX_SIZES       32
#define DEFAULT_REPS    9
#define MIN_REP_SECONDS 0.020

/* Targets of the issue: speed ratios, ours over the baseline. */
#define TARGET_DOT       0.95
#define TARGET_BINNED    0.90 /* binned / plain dot */
#define TARGET_EXACT     0.85 /* exact / plain dot */
#define TARGET_BIN_EXACT 1.00 /* binned not slower than exact */
#define TARGET_ALLREDUCE 0.90
#define DOT_TARGET_SIZE  ((size_t)1 << 24) /* the dot targets are set at 2^24 per rank */
#define TARGET_PROF      1.02              /* profiling on / off, at most */

typedef struct {
    int quick;
    int watchdog_only, profile_only;
    int reps;
    const char *csv;
    int nsizes, nbytes;
    size_t sizes[MAX_SIZES]; /* dot: elements per rank */
    size_t bytes[MAX_SIZES]; /* allreduce: message bytes */
} opts_t;

/* Everything one timed call needs; one context per side of a comparison. */
typedef struct {
    dc_env_t *env;
    MPI_Comm comm; /* the application's communicator, for the baselines */
    dc_vec_t *x, *y;
    const double *xa, *ya; /* the same vectors' local arrays (read borrows) */
    size_t n;
    dc_repro_t mode;
    const double *sbuf;
    double *rbuf;
    size_t count;
    double result;
    int rc;   /* first failure, sticky */
    int prof; /* 0: leave the env's profiling as it is; 1: off, 2: on before each timed block */
} call_t;

typedef void (*call_fn)(call_t *c);

static int g_rank, g_size;
static double g_min_rep = MIN_REP_SECONDS; /* --quick: a tenth */
static dcb_t g_b;                          /* load, disturbance, CSV, progress */

/* ---------------------------------------------------------------- the timed calls */

static void call_dc_dot(call_t *c)
{
    int rc = dc_vec_dot_repro(c->x, c->y, c->mode, &c->result);
    if (rc != DC_SUCCESS && c->rc == DC_SUCCESS)
        c->rc = rc;
}

/* The hand-written baseline: OpenBLAS on the local part, one MPI_Allreduce. */
static void call_blas_dot(call_t *c)
{
    double local = cblas_ddot((int)c->n, c->xa, 1, c->ya, 1);
    if (MPI_Allreduce(&local, &c->result, 1, MPI_DOUBLE, MPI_SUM, c->comm) != MPI_SUCCESS &&
        c->rc == DC_SUCCESS)
        c->rc = DC_ERR_MPI;
}

static void call_dc_allreduce(call_t *c)
{
    int rc = dc_allreduce(c->env, c->sbuf, c->rbuf, c->count, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    if (rc != DC_SUCCESS && c->rc == DC_SUCCESS)
        c->rc = rc;
}

static void call_mpi_allreduce(call_t *c)
{
    if (MPI_Allreduce(c->sbuf, c->rbuf, (int)c->count, MPI_DOUBLE, MPI_SUM, c->comm) !=
            MPI_SUCCESS &&
        c->rc == DC_SUCCESS)
        c->rc = DC_ERR_MPI;
}

/* ---------------------------------------------------------------- timing */

#define MAX_VARIANTS 4

/* Seconds per call of 'iters' calls: barrier, time, then the maximum over ranks. */
static double time_calls(call_fn fn, call_t *c, long iters, MPI_Comm comm)
{
    double t0, t, tmax = 0.0;
    long i;

    MPI_Barrier(comm);
    t0 = MPI_Wtime();
    for (i = 0; i < iters; i++)
        fn(c);
    t = (MPI_Wtime() - t0) / (double)iters;
    MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, comm);
    return tmax;
}

/* One variant of a measurement: its call, its context, the calls per timing. */
typedef struct {
    call_fn fn;
    call_t *c;
    long iters;
    MPI_Comm comm;
} timed_t;

static double timed_run(void *p)
{
    timed_t *t = p;
    if (t->c->prof != 0 && dc_prof_set_enabled(t->c->env, t->c->prof == 2) != DC_SUCCESS &&
        t->c->rc == DC_SUCCESS)
        t->c->rc = DC_ERR_ARG;
    return time_calls(t->fn, t->c, t->iters, t->comm);
}

/* Calls per timing so that the fastest variant lasts >= MIN_REP_SECONDS; agreed (max times). */
static long calibrate(int nv, call_fn *fn, call_t **c, MPI_Comm comm)
{
    long iters = 1;
    int round, v;

    for (v = 0; v < nv; v++)
        fn[v](c[v]); /* warm-up: page faults, caches, lazy MPI connections */
    for (round = 0; round < 20; round++) {
        double per = INFINITY;
        long want;
        for (v = 0; v < nv; v++) {
            double t = time_calls(fn[v], c[v], iters, comm);
            per = t < per ? t : per;
        }
        if (per * (double)iters >= g_min_rep)
            break;
        want = per > 0.0 ? (long)ceil(1.2 * g_min_rep / per) : iters * 100;
        if (want > iters * 100)
            want = iters * 100;
        iters = want > iters ? want : iters + 1;
    }
    return iters;
}

/* One interleaved measurement: t[v][r] seconds per call; other work during it in *other. */
typedef struct {
    double t[MAX_VARIANTS][DCB_MAX_REPS];
    int reps;
    double other; /* share of the node's CPUs used by other work (-1: unknown) */
} meas_t;

static void measure(int nv, call_fn *fn, call_t **c, int reps, MPI_Comm comm, const char *what,
                    meas_t *m)
{
    timed_t tv[MAX_VARIANTS];
    dcb_time_fn tf[MAX_VARIANTS];
    void *ctx[MAX_VARIANTS];
    dcb_cpu_t c0;
    long iters;
    int v;

    dcb_progress(&g_b, "%s calibrating", what);
    iters = calibrate(nv, fn, c, comm);
    for (v = 0; v < nv; v++) {
        tv[v] = (timed_t){fn[v], c[v], iters, comm};
        tf[v] = timed_run;
        ctx[v] = &tv[v];
    }
    dcb_cpu_read(&g_b, &c0);
    m->reps = dcb_interleave(&g_b, nv, tf, ctx, reps, m->t, what);
    m->other = dcb_span_end(&g_b, &c0);
}

/* ---------------------------------------------------------------- output */

static int g_binding_rows, g_binding_missed;
static char g_missed[1024];

static void print_header_row(void)
{
    if (g_rank == 0)
        printf("%-30s %10s %13s %13s %7s %15s %7s  %s\n", "comparison (ours / baseline)", "size",
               "ours [us]", "base [us]", "ratio", "[min - max]", "target", "verdict");
}

/*
 * One row: the median times of variants a (ours) and b (baseline) of m, the median over
 * repetitions of the ratio t_b / t_a with its range; 'binding' rows are those where the issue
 * sets the target. A row measured while other work ran says so.
 */
static void print_row(const char *what, const char *size, const meas_t *m, int a, int b,
                      double target, int binding)
{
    dcb_stat_t q;
    int met, disturbed = m->other > DCB_DISTURBED_OTHER;
    char verdict[64];

    dcb_ratio_stats(m->t[b], m->t[a], m->reps, &q);
    met = q.med >= target;
    snprintf(verdict, sizeof(verdict), "%s%s",
             binding ? (met ? "ok" : "MISSED") : (met ? "(ok)" : "(below)"),
             disturbed ? ", disturbed" : "");
    if (binding) {
        g_binding_rows++;
        if (!met) {
            size_t len = strlen(g_missed);
            g_binding_missed++;
            snprintf(g_missed + len, sizeof(g_missed) - len, "%s%s at %s (%.2fx)", len ? ", " : "",
                     what, size, q.med);
        }
    }
    if (g_rank == 0) {
        dcb_progress_clear(&g_b);
        printf("%-30s %10s %13.2f %13.2f %7.3f [%5.3f - %5.3f] %7.2f  %s\n", what, size,
               dcb_median(m->t[a], m->reps) * 1e6, dcb_median(m->t[b], m->reps) * 1e6, q.med, q.lo,
               q.hi, target, verdict);
        fflush(stdout);
    }
}

/* CSV: every repetition of variant v as 'metric' (seconds, or GB/s from 'bytes' moved). */
static void csv_times(const meas_t *m, int v, const char *variant, double size, double bytes,
                      const char *kase)
{
    int r;

    for (r = 0; r < m->reps; r++)
        if (bytes > 0)
            dcb_row(&g_b, variant, size, r, "gbytes_per_s", bytes / m->t[v][r] * 1e-9, "GB/s",
                    kase);
        else
            dcb_row(&g_b, variant, size, r, "seconds", m->t[v][r], "s", kase);
}

static void size_text(size_t n, char *buf, size_t len)
{
    int k = 0;

    while (k < 63 && ((size_t)1 << k) < n)
        k++;
    if (((size_t)1 << k) == n && k >= 10)
        snprintf(buf, len, "2^%d", k);
    else
        snprintf(buf, len, "%zu", n);
}

static void bytes_text(size_t b, char *buf, size_t len)
{
    if (b >= ((size_t)1 << 20) && b % ((size_t)1 << 20) == 0)
        snprintf(buf, len, "%zu MiB", b >> 20);
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, len, "%zu KiB", b >> 10);
    else
        snprintf(buf, len, "%zu B", b);
}

/* ---------------------------------------------------------------- options */

/* "4096", "2^24", "64K", "16M", "1G" */
static int parse_size(const char *s, size_t *v)
{
    char *end;
    unsigned long long x;

    if (s[0] == '2' && s[1] == '^') {
        x = strtoull(s + 2, &end, 10);
        if (*end != '\0' || x > 40)
            return -1;
        *v = (size_t)1 << x;
        return 0;
    }
    x = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    if (*end == 'K' || *end == 'k')
        x <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        x <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        x <<= 30, end++;
    if (*end != '\0' || x == 0)
        return -1;
    *v = (size_t)x;
    return 0;
}

static int parse_list(const char *arg, size_t *out, int *n)
{
    char buf[512], *tok, *save = NULL;

    if (strlen(arg) >= sizeof(buf))
        return -1;
    strcpy(buf, arg);
    *n = 0;
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= MAX_SIZES || parse_size(tok, &out[*n]) != 0)
            return -1;
        (*n)++;
    }
    return *n > 0 ? 0 : -1;
}

static void usage(void)
{
    if (g_rank == 0)
        printf("usage: bench_reduce [--quick] [--sizes LIST] [--bytes LIST] [--reps N]\n"
               "  --quick        3 repetitions of >= 2 ms, allreduce up to 16 MiB\n"
               "  --sizes LIST   dot elements per rank, e.g. 4096,2^16,2^20,2^24 (default)\n"
               "  --bytes LIST   allreduce message sizes, e.g. 8,64,512,4K,...,64M (default)\n"
               "  --reps N       interleaved repetitions per measurement (default %d)\n"
               "  --watchdog     only the watchdog part (d)\n"
               "  --profile      only the profiler part (e)\n"
               "  --csv PATH     the CSV rows to PATH (default: $DC_BENCH_OUT/bench_reduce.csv "
               "when DC_BENCH_OUT is set)\n",
               DEFAULT_REPS);
}

/* Returns 0, 1 (--help) or -1 (bad usage). */
static int parse_args(int argc, char **argv, opts_t *o)
{
    int i, have_sizes = 0, have_bytes = 0;

    memset(o, 0, sizeof(*o));
    o->reps = -1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const char *eq = strchr(a, '=');
        char key[32];
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);

        if (klen >= sizeof(key))
            return -1;
        memcpy(key, a, klen);
        key[klen] = '\0';
        if (!strcmp(key, "--quick")) {
            o->quick = 1;
            continue;
        }
        if (!strcmp(key, "--watchdog")) {
            o->watchdog_only = 1;
            continue;
        }
        if (!strcmp(key, "--profile")) {
            o->profile_only = 1;
            continue;
        }
        if (!strcmp(key, "--help") || !strcmp(key, "-h"))
            return 1;
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return -1;
        if (!strcmp(key, "--sizes")) {
            if (parse_list(val, o->sizes, &o->nsizes) != 0)
                return -1;
            have_sizes = 1;
        } else if (!strcmp(key, "--bytes")) {
            if (parse_list(val, o->bytes, &o->nbytes) != 0)
                return -1;
            have_bytes = 1;
        } else if (!strcmp(key, "--csv")) {
            o->csv = val;
        } else if (!strcmp(key, "--reps")) {
            o->reps = atoi(val);
            if (o->reps < 1 || o->reps > 64)
                return -1;
        } else {
            return -1;
        }
    }
    if (o->reps < 0)
        o->reps = o->quick ? 3 : DEFAULT_REPS;
    if (o->quick)
        g_min_rep = 0.1 * MIN_REP_SECONDS;
    if (!have_sizes) {
        static const int full[] = {12, 16, 20, 24};
        for (i = 0; i < 4; i++)
            o->sizes[i] = (size_t)1 << full[i];
        o->nsizes = 4;
    }
    if (!have_bytes) {
        /* 8 B, 64 B, 512 B, 4 KiB, 32 KiB, 256 KiB, 2 MiB, 16 MiB, 64 MiB */
        for (i = 0; i < 8; i++)
            o->bytes[i] = (size_t)8 << (3 * i);
        o->bytes[8] = (size_t)64 << 20;
        o->nbytes = o->quick ? 8 : 9;
    }
    for (i = 0; i < o->nbytes; i++)
        if (o->bytes[i] % sizeof(double) != 0)
            return -1;
    return 0;
}

/* ---------------------------------------------------------------- the three parts */

/* Well-conditioned positive data: the four results must agree to a few ulps. */
static double fill_x(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return 1.0 + (double)(g % 17) / 16.0;
}

static double fill_y(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return 0.5 + (double)(g % 13) / 13.0;
}

/* Local failure flag agreed over ranks: 1 if any rank failed. */
static int any_failed(int failed, MPI_Comm comm)
{
    int all = 0;

    MPI_Allreduce(&failed, &all, 1, MPI_INT, MPI_LOR, comm);
    return all;
}

static int bench_dot(dc_env_t *env, MPI_Comm comm, const opts_t *o)
{
    double best_bw_ours = 0.0, best_bw_base = 0.0;
    size_t bw_n = 0;
    int s, failed = 0;

    for (s = 0; s < o->nsizes && !failed; s++) {
        size_t n = o->sizes[s];
        dc_layout_t *l = NULL;
        dc_vec_t *x = NULL, *y = NULL;
        const double *xa = NULL, *ya = NULL;
        call_t plain, blas, binned, exact;
        /* the four variants in one interleaved measurement: every ratio from the same reps */
        call_t *cv[4] = {&plain, &binned, &exact, &blas};
        call_fn fv[4] = {call_dc_dot, call_dc_dot, call_dc_dot, call_blas_dot};
        static const char *const vn[4] = {"dc", "dc-binned", "dc-exact", "blas"};
        meas_t m;
        double tol, bytes = 2.0 * sizeof(double) * (double)n * g_size;
        char sz[32], what[64];
        int rc, v;

        size_text(n, sz, sizeof(sz));
        rc = dc_layout_create_block(env, (dc_gidx_t)n * g_size, &l);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(l, &x);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(l, &y);
        if (rc == DC_SUCCESS)
            rc = dc_vec_fill(x, fill_x, NULL);
        if (rc == DC_SUCCESS)
            rc = dc_vec_fill(y, fill_y, NULL);
        /* read borrows stay out during the timing: dc_vec_dot may read a read-borrowed vector */
        if (rc == DC_SUCCESS)
            rc = dc_vec_get_array_read(x, &xa);
        if (rc == DC_SUCCESS)
            rc = dc_vec_get_array_read(y, &ya);
        if (any_failed(rc != DC_SUCCESS, comm)) {
            if (g_rank == 0 || rc != DC_SUCCESS)
                fprintf(stderr, "[rank %d] dot setup at %s per rank: %s\n", g_rank, sz,
                        rc != DC_SUCCESS ? dc_env_last_error(env) : "failed on another rank");
            failed = 1;
            goto next;
        }
        memset(&plain, 0, sizeof(plain));
        plain.env = env;
        plain.comm = comm;
        plain.x = x;
        plain.y = y;
        plain.xa = xa;
        plain.ya = ya;
        plain.n = n;
        plain.mode = DC_REPRO_OFF;
        blas = binned = exact = plain;
        binned.mode = DC_REPRO_BINNED;
        exact.mode = DC_REPRO_EXACT;

        snprintf(what, sizeof(what), "dot %s", sz);
        measure(4, fv, cv, o->reps, comm, what, &m);
        print_row("dot: dc plain / cblas+MPI", sz, &m, 0, 3, TARGET_DOT, n == DOT_TARGET_SIZE);
        print_row("dot: binned / cblas+MPI", sz, &m, 1, 3, TARGET_BINNED, n == DOT_TARGET_SIZE);
        print_row("dot: exact / cblas+MPI", sz, &m, 2, 3, TARGET_EXACT, n == DOT_TARGET_SIZE);
        print_row("dot: binned / exact", sz, &m, 1, 2, TARGET_BIN_EXACT, n == DOT_TARGET_SIZE);
        for (v = 0; v < 4; v++)
            csv_times(&m, v, vn[v], (double)n, bytes, "dot");
        dcb_ratio_rows(&g_b, "dc", "blas", (double)n, "dot", m.t[0], m.t[3], m.reps);
        dcb_ratio_rows(&g_b, "dc-binned", "blas", (double)n, "dot", m.t[1], m.t[3], m.reps);
        dcb_ratio_rows(&g_b, "dc-exact", "blas", (double)n, "dot", m.t[2], m.t[3], m.reps);
        dcb_ratio_rows(&g_b, "dc-binned", "dc-exact", (double)n, "dot", m.t[1], m.t[2], m.reps);

        /* The results must agree: the data are positive, so the plain sums are within
         * n u of the exact value, and binned within 2 u. */
        tol = (double)(n * (size_t)g_size) * 0x1p-52 * fabs(exact.result);
        if (plain.rc || blas.rc || binned.rc || exact.rc ||
            fabs(plain.result - exact.result) > tol || fabs(blas.result - exact.result) > tol ||
            fabs(binned.result - exact.result) > 4 * 0x1p-53 * fabs(exact.result)) {
            fprintf(stderr,
                    "[rank %d] dot at %s: results disagree or failed (rc %d %d %d %d): "
                    "plain %.17g, cblas %.17g, binned %.17g, exact %.17g: %s\n",
                    g_rank, sz, plain.rc, blas.rc, binned.rc, exact.rc, plain.result, blas.result,
                    binned.result, exact.result, dc_env_last_error(env));
            failed = 1;
        }
        if (n >= bw_n) {
            bw_n = n;
            best_bw_ours = bytes / dcb_median(m.t[0], m.reps) * 1e-9;
            best_bw_base = bytes / dcb_median(m.t[3], m.reps) * 1e-9;
        }
    next:
        if (xa != NULL)
            dc_vec_restore_array_read(x, &xa);
        if (ya != NULL)
            dc_vec_restore_array_read(y, &ya);
        dc_vec_destroy(&x);
        dc_vec_destroy(&y);
        dc_layout_destroy(&l);
        failed = any_failed(failed, comm);
    }
    if (g_rank == 0 && bw_n > 0) {
        char sz[32];
        size_text(bw_n, sz, sizeof(sz));
        printf("dot bandwidth at %s per rank over %d rank(s): dc plain %.1f GB/s, "
               "cblas+MPI %.1f GB/s (2 x 8 B per element)%s\n",
               sz, g_size, best_bw_ours, best_bw_base,
               bw_n == DOT_TARGET_SIZE ? "" : " [the issue's figure is at 2^24]");
    }
    return failed;
}

static int bench_allreduce(dc_env_t *env, MPI_Comm comm, const opts_t *o)
{
    size_t maxb = 0, i;
    double *sbuf = NULL, *rbuf = NULL;
    int s, failed = 0;

    for (s = 0; s < o->nbytes; s++)
        if (o->bytes[s] > maxb)
            maxb = o->bytes[s];
    sbuf = malloc(maxb);
    rbuf = malloc(maxb);
    if (any_failed(sbuf == NULL || rbuf == NULL, comm)) {
        if (g_rank == 0)
            fprintf(stderr, "cannot allocate 2 x %zu bytes for the allreduce\n", maxb);
        free(sbuf);
        free(rbuf);
        return 1;
    }
    for (i = 0; i < maxb / sizeof(double); i++)
        sbuf[i] = (double)((i + (size_t)g_rank) % 1000); /* integers: sums are exact */
    for (s = 0; s < o->nbytes && !failed; s++) {
        call_t ours, base, *cv[2] = {&ours, &base};
        call_fn fv[2] = {call_dc_allreduce, call_mpi_allreduce};
        meas_t m;
        char sz[32], what[64];
        size_t count = o->bytes[s] / sizeof(double), bad = 0;

        bytes_text(o->bytes[s], sz, sizeof(sz));
        memset(&ours, 0, sizeof(ours));
        ours.env = env;
        ours.comm = comm;
        ours.sbuf = sbuf;
        ours.rbuf = rbuf;
        ours.count = count;
        base = ours;
        snprintf(what, sizeof(what), "allreduce %s", sz);
        measure(2, fv, cv, o->reps, comm, what, &m);
        print_row("allreduce: dc / MPI", sz, &m, 0, 1, TARGET_ALLREDUCE, 1);
        csv_times(&m, 0, "dc", (double)o->bytes[s], 0.0, "allreduce");
        csv_times(&m, 1, "mpi", (double)o->bytes[s], 0.0, "allreduce");
        dcb_ratio_rows(&g_b, "dc", "mpi", (double)o->bytes[s], "allreduce", m.t[0], m.t[1], m.reps);
        /* check the last result of dc_allreduce (rbuf is shared: recompute it) */
        call_dc_allreduce(&ours);
        for (i = 0; i < count; i++) {
            double want = 0.0;
            int r;
            for (r = 0; r < g_size; r++)
                want += (double)((i + (size_t)r) % 1000);
            bad += rbuf[i] != want;
        }
        if (ours.rc || base.rc || bad) {
            fprintf(stderr, "[rank %d] allreduce at %s: rc %d/%d, %zu wrong entries: %s\n", g_rank,
                    sz, ours.rc, base.rc, bad, dc_env_last_error(env));
            failed = 1;
        }
        failed = any_failed(failed, comm);
    }
    free(sbuf);
    free(rbuf);
    return failed;
}

/*
 * Vectors x, y of n elements per rank on env, filled; and read borrows of them when xa_p is not
 * NULL. Collective; DC_SUCCESS or the first error (on this rank).
 */
typedef struct {
    dc_layout_t *l;
    dc_vec_t *x, *y;
    const double *xa, *ya;
} vecs_t;

static int vecs_create(dc_env_t *env, size_t n, int borrow, vecs_t *w)
{
    int rc;

    memset(w, 0, sizeof(*w));
    rc = dc_layout_create_block(env, (dc_gidx_t)n * g_size, &w->l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(w->l, &w->x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(w->l, &w->y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(w->x, fill_x, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(w->y, fill_y, NULL);
    if (rc == DC_SUCCESS && borrow)
        rc = dc_vec_get_array_read(w->x, &w->xa);
    if (rc == DC_SUCCESS && borrow)
        rc = dc_vec_get_array_read(w->y, &w->ya);
    return rc;
}

static void vecs_destroy(vecs_t *w)
{
    if (w->xa != NULL)
        dc_vec_restore_array_read(w->x, &w->xa);
    if (w->ya != NULL)
        dc_vec_restore_array_read(w->y, &w->ya);
    dc_vec_destroy(&w->x);
    dc_vec_destroy(&w->y);
    dc_layout_destroy(&w->l);
}

/* setenv on rank 0 (which reads the options) for one dc_env_create; old value kept in save. */
static void env_set(const char *name, const char *value, char *save, size_t len, int *had)
{
    const char *old;

    if (g_rank != 0)
        return;
    old = getenv(name);
    *had = old != NULL;
    if (old != NULL)
        snprintf(save, len, "%s", old);
    setenv(name, value, 1);
}

static void env_restore(const char *name, const char *save, int had)
{
    if (g_rank != 0)
        return;
    if (had)
        setenv(name, save, 1);
    else
        unsetenv(name);
}

/* A second env like the first (no debug checks, plain sums) with the watchdog or the profiler
 * on (profile 1: as users get it; 2: DC_PROFILE_SYNC=1, a timed barrier at every collective
 * entry); the profile report goes to /dev/null. Collective. */
static int env_variant(MPI_Comm comm, int watchdog, int profile, dc_env_t **env_p)
{
    dc_env_params_t p;
    char save[2][1024];
    int rc, had[2] = {0, 0};

    memset(&p, 0, sizeof(p));
    p.field_mask =
        DC_ENV_PARAM_DEBUG | DC_ENV_PARAM_PROFILE | DC_ENV_PARAM_REPRO | DC_ENV_PARAM_TIMEOUT;
    p.repro = DC_REPRO_OFF;
    p.timeout = watchdog ? 60.0 : 0.0; /* 60 s: never reached */
    p.profile = profile != 0;
    if (profile)
        env_set("DC_PROFILE_FILE", "/dev/null", save[0], sizeof(save[0]), &had[0]);
    if (profile == 2)
        env_set("DC_PROFILE_SYNC", "1", save[1], sizeof(save[1]), &had[1]);
    rc = dc_env_create(comm, &p, env_p);
    if (profile)
        env_restore("DC_PROFILE_FILE", save[0], had[0]);
    if (profile == 2)
        env_restore("DC_PROFILE_SYNC", save[1], had[1]);
    if (rc != DC_SUCCESS && g_rank == 0)
        fprintf(stderr, "bench_reduce: second env: %s\n", dc_env_last_error(NULL));
    return rc;
}

/*
 * (d) The watchdog's cost. Three variants timed in every repetition, in an order that rotates:
 * dc_vec_dot on the env with the watchdog off, the same on an env with it on (DC_TIMEOUT 60 s:
 * never reached), and cblas_ddot + MPI_Allreduce. Off must cost nothing measurable: one
 * predictable branch per collective, so "off / cblas+MPI" stays what row (a) shows.
 */
static int bench_watchdog(dc_env_t *env_off, MPI_Comm comm, const opts_t *o)
{
    const int lg[2] = {0, o->quick ? 12 : 20};
    dc_env_t *env_on = NULL;
    int s, v, failed = 0;

    if (env_variant(comm, 1, 0, &env_on) != DC_SUCCESS)
        return 1;
    for (s = 0; s < 2 && !failed; s++) {
        size_t n = (size_t)1 << lg[s];
        dc_env_t *envs[2] = {env_off, env_on};
        vecs_t w[2];
        call_t c[3], *cv[3] = {&c[0], &c[1], &c[2]};
        call_fn fn[3] = {call_dc_dot, call_dc_dot, call_blas_dot};
        static const char *const vn[3] = {"dc-wd-off", "dc-wd-on", "blas"};
        meas_t m;
        char sz[32], what[64];
        int rc;

        size_text(n, sz, sizeof(sz));
        rc = vecs_create(envs[0], n, 1, &w[0]);
        if (rc == DC_SUCCESS)
            rc = vecs_create(envs[1], n, 0, &w[1]);
        else
            memset(&w[1], 0, sizeof(w[1]));
        if (any_failed(rc != DC_SUCCESS, comm)) {
            failed = 1;
            goto next;
        }
        for (v = 0; v < 3; v++) {
            memset(&c[v], 0, sizeof(c[v]));
            c[v].env = envs[v == 1];
            c[v].comm = comm;
            c[v].x = w[v == 1].x;
            c[v].y = w[v == 1].y;
            c[v].xa = w[0].xa;
            c[v].ya = w[0].ya;
            c[v].n = n;
            c[v].mode = DC_REPRO_OFF;
        }
        snprintf(what, sizeof(what), "watchdog dot %s", sz);
        measure(3, fn, cv, o->reps, comm, what, &m);
        /* rows: off / base, on / base, off / on (ratio = second time / first time) */
        print_row("watchdog off: dot / cblas+MPI", sz, &m, 0, 2, 0.0, 0);
        print_row("watchdog on: dot / cblas+MPI", sz, &m, 1, 2, 0.0, 0);
        print_row("watchdog off / on: dot", sz, &m, 0, 1, 0.0, 0);
        for (v = 0; v < 3; v++)
            csv_times(&m, v, vn[v], (double)n, 0.0, "watchdog");
        dcb_ratio_rows(&g_b, "dc-wd-off", "dc-wd-on", (double)n, "watchdog", m.t[0], m.t[1],
                       m.reps);
        if (c[0].rc || c[1].rc || c[2].rc || c[0].result != c[1].result ||
            fabs(c[0].result - c[2].result) > 1e-12 * fabs(c[2].result)) {
            fprintf(stderr,
                    "[rank %d] watchdog dot at %s: rc %d %d %d, results %.17g %.17g %.17g\n",
                    g_rank, sz, c[0].rc, c[1].rc, c[2].rc, c[0].result, c[1].result, c[2].result);
            failed = 1;
        }
    next:
        vecs_destroy(&w[0]);
        vecs_destroy(&w[1]);
        failed = any_failed(failed, comm);
    }
    dc_env_destroy(&env_on);
    return failed;
}

/*
 * (e) The profiler's cost (the issue: <= 2 % with profiling on): dc_vec_dot at the largest and
 * smallest size (2^24 and 4096 elements per rank by default) and dc_allreduce of 8 B, on an env
 * with profiling on as users get it (DC_PROFILE_SYNC=64: a timed barrier at 1 of every 64
 * collective entries per operation) and on one with DC_PROFILE_SYNC=1 (a barrier at every
 * entry), each timed with profiling on and switched off (dc_prof_set_enabled) on the same
 * vectors, the four interleaved. Overhead = median over repetitions of t_on / t_off on the same
 * env; the target is the default setting at the largest dot.
 */
static int bench_profile(MPI_Comm comm, const opts_t *o)
{
    size_t sizes[3] = {0, SIZE_MAX, 1}; /* the largest and smallest dot sizes; allreduce 8 B */
    static const char *const vn[4] = {"prof-off", "prof-on", "prof-sync1-off", "prof-sync1"};
    dc_env_t *envs[2] = {NULL, NULL};
    double sb = 1.0 + g_rank, rb = 0.0;
    int s, v, failed = 0, nover = 0, nok = 0;

    for (s = 0; s < o->nsizes; s++) {
        sizes[0] = o->sizes[s] > sizes[0] ? o->sizes[s] : sizes[0];
        sizes[1] = o->sizes[s] < sizes[1] ? o->sizes[s] : sizes[1];
    }
    if (env_variant(comm, 0, 1, &envs[0]) != DC_SUCCESS)
        return 1;
    if (env_variant(comm, 0, 2, &envs[1]) != DC_SUCCESS) {
        dc_env_destroy(&envs[0]);
        return 1;
    }
    if (g_rank == 0)
        printf("\nprofiling on / off (DC_PROFILE on an env, its report to /dev/null, with "
               "DC_PROFILE_SYNC=64, the default, and =1 on a second; each timed with profiling "
               "on and switched off on the same vectors, %d repetitions): overhead = t_on / t_off "
               "per repetition, median [min - max]; target at most %.2f with the default at the "
               "largest size (the others: informational; a profiled call costs about 4 clock "
               "reads more)\n",
               3 * o->reps < DCB_MAX_REPS ? 3 * o->reps : DCB_MAX_REPS, TARGET_PROF);
    for (s = 0; s < 3 && !failed; s++) {
        int dot = s < 2;
        size_t n = dot ? sizes[s] : 1;
        const char *kase = dot ? "profile-dot" : "profile-allreduce";
        double size = dot ? (double)n : 8.0;
        vecs_t w[2];
        call_t c[4], *cv[4] = {&c[0], &c[1], &c[2], &c[3]};
        call_fn fn[4];
        meas_t m;
        char sz[32], what[64];
        int rc = DC_SUCCESS, k;

        if (s == 1 && sizes[1] == sizes[0])
            continue;
        memset(w, 0, sizeof(w));
        if (dot) {
            size_text(n, sz, sizeof(sz));
            snprintf(what, sizeof(what), "profile dot %s", sz);
            for (v = 0; v < 2 && rc == DC_SUCCESS; v++)
                rc = vecs_create(envs[v], n, 0, &w[v]);
        } else {
            snprintf(sz, sizeof(sz), "8 B");
            snprintf(what, sizeof(what), "profile allreduce 8 B");
        }
        if (any_failed(rc != DC_SUCCESS, comm)) {
            failed = 1;
            goto next;
        }
        for (v = 0; v < 4; v++) {
            memset(&c[v], 0, sizeof(c[v]));
            c[v].env = envs[v / 2];
            c[v].comm = comm;
            c[v].x = w[v / 2].x;
            c[v].y = w[v / 2].y;
            c[v].n = n;
            c[v].mode = DC_REPRO_OFF;
            c[v].sbuf = &sb;
            c[v].rbuf = &rb;
            c[v].count = 1;
            c[v].prof = v % 2 ? 2 : 1;
            fn[v] = dot ? call_dc_dot : call_dc_allreduce;
        }
        /* three times the repetitions: the overhead sought (2 %) is below one repetition's
         * noise (+-10 % at 2^24, where a block holds one or two calls) */
        measure(4, fn, cv, 3 * o->reps < DCB_MAX_REPS ? 3 * o->reps : DCB_MAX_REPS, comm, what, &m);
        for (k = 1; k < 4; k += 2) {
            dcb_stat_t q;
            int ok;
            dcb_ratio_stats(m.t[k], m.t[k - 1], m.reps, &q);
            ok = q.med <= TARGET_PROF;
            if (k == 1) {
                nover += !ok;
                nok += ok;
            }
            if (k == 1 && s == 0) { /* the target: the dot at the largest size */
                g_binding_rows++;
                if (!ok) {
                    size_t len = strlen(g_missed);
                    g_binding_missed++;
                    snprintf(g_missed + len, sizeof(g_missed) - len,
                             "%sprofiling overhead on the dot at %s (%.3fx)", len ? ", " : "", sz,
                             q.med);
                }
            }
            if (g_rank == 0) {
                char label[64];
                dcb_progress_clear(&g_b);
                snprintf(label, sizeof(label), "profiling %s / off: %s",
                         k == 1 ? "on" : "on, sync 1", dot ? "dot" : "allreduce");
                printf("%-30s %10s %13.2f %13.2f %7.3f [%5.3f - %5.3f] %7.2f  %s%s\n", label, sz,
                       dcb_median(m.t[k], m.reps) * 1e6, dcb_median(m.t[k - 1], m.reps) * 1e6,
                       q.med, q.lo, q.hi, TARGET_PROF,
                       k == 1 && s == 0 ? (ok ? "ok" : "MISSED") : (ok ? "(ok)" : "(above)"),
                       m.other > DCB_DISTURBED_OTHER ? ", disturbed" : "");
                fflush(stdout);
            }
        }
        for (v = 0; v < 4; v++)
            csv_times(&m, v, vn[v], size, 0.0, kase);
        dcb_ratio_rows(&g_b, vn[0], vn[1], size, kase, m.t[0], m.t[1], m.reps);
        dcb_ratio_rows(&g_b, vn[2], vn[3], size, kase, m.t[2], m.t[3], m.reps);
        for (v = 0; v < 4; v++)
            if (c[v].rc || (dot && c[v].result != c[0].result) ||
                (!dot && rb != 0.5 * g_size * (g_size + 1))) {
                fprintf(stderr, "[rank %d] profile %s at %s: %s: rc %d, result %.17g vs %.17g\n",
                        g_rank, dot ? "dot" : "allreduce", sz, vn[v], c[v].rc, c[v].result,
                        c[0].result);
                failed = 1;
            }
    next:
        for (v = 0; v < 2; v++)
            vecs_destroy(&w[v]);
        failed = any_failed(failed, comm);
    }
    if (g_rank == 0 && !failed)
        printf("profiling overhead (default setting): %d of %d measurement(s) within %.2f\n", nok,
               nok + nover, TARGET_PROF);
    dc_env_destroy(&envs[1]);
    dc_env_destroy(&envs[0]);
    return failed;
}

/* ---------------------------------------------------------------- main */

static void print_preamble(const opts_t *o)
{
    dcb_print_start(&g_b);
    if (g_rank != 0)
        return;
    printf("method: %d interleaved repetitions per measurement (order rotates), each >= %.0f ms, "
           "barrier before each timing, time = max over ranks; ratio = baseline time / our time "
           "(> 1: faster) in each repetition, median [min - max] over repetitions%s\n",
           o->reps, g_min_rep * 1e3, o->quick ? "; --quick" : "");
    {
        dci_rk_run_fn *k = dci_rk_best();
        printf("summation kernel (reproducible modes): %s\n",
               k == dci_rk_run_generic ? "generic (16-byte vectors, no FMA)"
#ifdef DC_HAVE_X86_KERNELS
               : k == dci_rk_run_avx2   ? "avx2 (4 doubles, FMA)"
               : k == dci_rk_run_avx512 ? "avx512 (8 doubles, FMA)"
#endif
                                        : "?");
    }
    printf("dot targets apply at 2^24 elements per rank (other sizes: informational, in "
           "parentheses): binned >= %.2fx and exact >= %.2fx of the plain dot (cblas_ddot + "
           "MPI_Allreduce), binned not slower than exact; allreduce targets at every size\n\n",
           TARGET_BINNED, TARGET_EXACT);
}

int main(int argc, char **argv)
{
    MPI_Comm comm;
    dc_env_t *env = NULL;
    dc_env_params_t p;
    opts_t o;
    int rc, failed = 0, pr;

    MPI_Init(&argc, &argv);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &g_rank);
    MPI_Comm_size(comm, &g_size);
    pr = parse_args(argc, argv, &o);
    if (pr != 0) {
        if (pr < 0 && g_rank == 0)
            fprintf(stderr, "bench_reduce: bad arguments\n");
        usage();
        MPI_Comm_free(&comm);
        MPI_Finalize();
        return pr < 0 ? 2 : 0;
    }

    /* Measure the hot path as users get it: no debug checks, no profiling, plain default. */
    memset(&p, 0, sizeof(p));
    p.field_mask =
        DC_ENV_PARAM_DEBUG | DC_ENV_PARAM_PROFILE | DC_ENV_PARAM_REPRO | DC_ENV_PARAM_TIMEOUT;
    p.timeout = 0.0; /* the watchdog off, whatever DC_TIMEOUT says */
    p.debug = 0;
    p.profile = 0;
    p.repro = DC_REPRO_OFF;
    rc = dc_env_create(comm, &p, &env);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s: %s\n", g_rank, dc_strerror(rc),
                dc_env_last_error(NULL));
        MPI_Comm_free(&comm);
        MPI_Finalize();
        return 1;
    }
    if (dcb_init(&g_b, "bench_reduce", comm, env, o.csv) != 0) {
        dcb_free(&g_b);
        dc_env_destroy(&env);
        MPI_Comm_free(&comm);
        MPI_Finalize();
        return 1;
    }
    print_preamble(&o);
    print_header_row();
    if (!o.watchdog_only && !o.profile_only) {
        failed = bench_dot(env, comm, &o);
        if (!failed)
            failed = bench_allreduce(env, comm, &o);
    }
    if (!failed && !o.profile_only)
        failed = bench_watchdog(env, comm, &o);
    if (!failed && !o.watchdog_only)
        failed = bench_profile(comm, &o);
    dcb_finish(&g_b);
    if (g_rank == 0) {
        if (failed)
            printf("bench_reduce: FAILED (a call failed or a result was wrong; see stderr)\n");
        else if (g_binding_rows == 0)
            printf("bench_reduce: no targets checked%s\n", dcb_verdict_note(&g_b));
        else if (g_binding_missed == 0)
            printf("bench_reduce: all %d targets met%s\n", g_binding_rows, dcb_verdict_note(&g_b));
        else
            printf("bench_reduce: %d of %d targets met; missed: %s%s\n",
                   g_binding_rows - g_binding_missed, g_binding_rows, g_missed,
                   dcb_verdict_note(&g_b));
    }
    dcb_free(&g_b);
    dc_env_destroy(&env);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return failed ? 1 : 0;
}
