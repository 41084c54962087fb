/*
 * bench_reduce: libdcompute's reductions against the standard alternatives, measured in the same
 * run and printed as speed ratios (baseline time / our time: above 1 means faster):
 *   (a) dc_vec_dot (DC_REPRO_OFF) vs cblas_ddot + MPI_Allreduce on the same local arrays;
 *   (b) reproducible dot (DC_REPRO_BINNED) and correctly rounded dot (DC_REPRO_EXACT) vs the
 *       plain dot (cblas_ddot + MPI_Allreduce), and binned vs exact (binned must not be slower);
 *   (c) dc_allreduce vs MPI_Allreduce (double, SUM) from 8 B to 64 MiB;
 *   (d) the hang watchdog's cost: dc_vec_dot at 1 and 2^20 elements per rank on an env with
 *       the watchdog off (DC_TIMEOUT 0) and one with it on, and the plain cblas_ddot +
 *       MPI_Allreduce, the three interleaved (--watchdog: this part only).
 * Method: medians of interleaved repetitions (ours and baseline alternate in each one, the order
 * flips every repetition), each repetition timing enough calls to last >= 20 ms, a barrier
 * before each timing, and the time of a repetition is the maximum over ranks. The spread is the
 * range of the per-repetition ratios. The summation kernel the library picked for this CPU
 * (generic, avx2 or avx512) is printed: the benchmark is built with the library's dispatcher.
 * Run: mpirun --bind-to core -np 2 ./bench_reduce [--quick] [--sizes LIST] [--bytes LIST]
 *      [--reps N] [--watchdog]
 */
#include <dcompute.h>

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dc_config.h"
#include "repro_kernel.h" /* only to name the kernel the library's dispatcher picks */

#define MAX_SIZES       32
#define MIN_REP_SECONDS 0.020

/* Targets of the issue: speed ratios, ours over the baseline. */
#define TARGET_DOT       0.95
#define TARGET_BINNED    0.90 /* binned / plain dot */
#define TARGET_EXACT     0.85 /* exact / plain dot */
#define TARGET_BIN_EXACT 1.00 /* binned not slower than exact */
#define TARGET_ALLREDUCE 0.90
#define DOT_TARGET_SIZE  ((size_t)1 << 24) /* the dot targets are set at 2^24 per rank */

typedef struct {
    int quick;
    int watchdog_only;
    int reps;
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
    int rc; /* first failure, sticky */
} call_t;

typedef void (*call_fn)(call_t *c);

static int g_rank, g_size;

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

/* Calls per repetition so that the faster side lasts >= MIN_REP_SECONDS; agreed (max times). */
static long calibrate(call_fn fa, call_t *ca, call_fn fb, call_t *cb, MPI_Comm comm)
{
    long iters = 1;
    int round;

    fa(ca); /* warm-up: page faults, caches, lazy MPI connections */
    fb(cb);
    for (round = 0; round < 20; round++) {
        double ta = time_calls(fa, ca, iters, comm), tb = time_calls(fb, cb, iters, comm);
        double per = ta < tb ? ta : tb;
        long want;
        if (per * (double)iters >= MIN_REP_SECONDS)
            break;
        want = per > 0.0 ? (long)ceil(1.2 * MIN_REP_SECONDS / per) : iters * 100;
        if (want > iters * 100)
            want = iters * 100;
        iters = want > iters ? want : iters + 1;
    }
    return iters;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Range of the per-repetition ratios tb / ta of the last compare(). */
static double g_spread_lo, g_spread_hi;

/*
 * Interleaved repetitions of a (ours) and b (baseline); medians of the per-call times, and the
 * range of the per-repetition ratios in g_spread_lo .. g_spread_hi.
 */
static void compare(call_fn fa, call_t *ca, call_fn fb, call_t *cb, int reps, MPI_Comm comm,
                    double *ta_p, double *tb_p)
{
    double ta[64], tb[64];
    long iters = calibrate(fa, ca, fb, cb, comm);
    int r;

    if (reps > 64)
        reps = 64;
    for (r = 0; r < reps; r++) {
        if (r % 2 == 0) {
            ta[r] = time_calls(fa, ca, iters, comm);
            tb[r] = time_calls(fb, cb, iters, comm);
        } else {
            tb[r] = time_calls(fb, cb, iters, comm);
            ta[r] = time_calls(fa, ca, iters, comm);
        }
    }
    g_spread_lo = g_spread_hi = ta[0] > 0.0 ? tb[0] / ta[0] : 0.0;
    for (r = 1; r < reps; r++) {
        double q = ta[r] > 0.0 ? tb[r] / ta[r] : 0.0;
        g_spread_lo = q < g_spread_lo ? q : g_spread_lo;
        g_spread_hi = q > g_spread_hi ? q : g_spread_hi;
    }
    *ta_p = median(ta, reps);
    *tb_p = median(tb, reps);
}

/* ---------------------------------------------------------------- output */

static int g_binding_rows, g_binding_missed;
static char g_missed[1024];

static void print_header_row(void)
{
    if (g_rank == 0)
        printf("%-28s %10s %13s %13s %7s %13s %7s  %s\n", "comparison (ours / baseline)", "size",
               "ours [us]", "base [us]", "ratio", "spread", "target", "verdict");
}

/* One row; 'binding' rows are those where the issue sets the target. */
static void print_row(const char *what, const char *size, double ours, double base, double target,
                      int binding)
{
    double ratio = ours > 0.0 ? base / ours : 0.0;
    int met = ratio >= target;
    const char *verdict = binding ? (met ? "ok" : "MISSED") : (met ? "(ok)" : "(below)");

    if (binding) {
        g_binding_rows++;
        if (!met) {
            size_t len = strlen(g_missed);
            g_binding_missed++;
            snprintf(g_missed + len, sizeof(g_missed) - len, "%s%s at %s (%.2fx)", len ? ", " : "",
                     what, size, ratio);
        }
    }
    if (g_rank == 0) {
        printf("%-28s %10s %13.2f %13.2f %7.3f %6.3f-%-6.3f %7.2f  %s\n", what, size, ours * 1e6,
               base * 1e6, ratio, g_spread_lo, g_spread_hi, target, verdict);
        fflush(stdout);
    }
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
               "  --quick        3 repetitions, allreduce up to 16 MiB\n"
               "  --sizes LIST   dot elements per rank, e.g. 4096,2^16,2^20,2^24 (default)\n"
               "  --bytes LIST   allreduce message sizes, e.g. 8,64,512,4K,...,64M (default)\n"
               "  --reps N       interleaved repetitions per measurement (default 7)\n"
               "  --watchdog     only the watchdog part (d)\n");
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
        } else if (!strcmp(key, "--reps")) {
            o->reps = atoi(val);
            if (o->reps < 1 || o->reps > 64)
                return -1;
        } else {
            return -1;
        }
    }
    if (o->reps < 0)
        o->reps = o->quick ? 3 : 7;
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
        double t_ours, t_base, t_bin, t_plain1, t_exact, t_plain2, t_bin2, t_exact2, tol;
        char sz[32];
        int rc;

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

        compare(call_dc_dot, &plain, call_blas_dot, &blas, o->reps, comm, &t_ours, &t_base);
        print_row("dot: dc plain / cblas+MPI", sz, t_ours, t_base, TARGET_DOT,
                  n == DOT_TARGET_SIZE);
        compare(call_dc_dot, &binned, call_blas_dot, &blas, o->reps, comm, &t_bin, &t_plain1);
        print_row("dot: binned / cblas+MPI", sz, t_bin, t_plain1, TARGET_BINNED,
                  n == DOT_TARGET_SIZE);
        compare(call_dc_dot, &exact, call_blas_dot, &blas, o->reps, comm, &t_exact, &t_plain2);
        print_row("dot: exact / cblas+MPI", sz, t_exact, t_plain2, TARGET_EXACT,
                  n == DOT_TARGET_SIZE);
        compare(call_dc_dot, &binned, call_dc_dot, &exact, o->reps, comm, &t_bin2, &t_exact2);
        print_row("dot: binned / exact", sz, t_bin2, t_exact2, TARGET_BIN_EXACT,
                  n == DOT_TARGET_SIZE);

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
            double bytes = 2.0 * sizeof(double) * (double)n * g_size;
            bw_n = n;
            best_bw_ours = bytes / t_ours * 1e-9;
            best_bw_base = bytes / t_base * 1e-9;
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
        call_t ours, base;
        double t_ours, t_base;
        char sz[32];
        size_t count = o->bytes[s] / sizeof(double), bad = 0;

        bytes_text(o->bytes[s], sz, sizeof(sz));
        memset(&ours, 0, sizeof(ours));
        ours.env = env;
        ours.comm = comm;
        ours.sbuf = sbuf;
        ours.rbuf = rbuf;
        ours.count = count;
        base = ours;
        compare(call_dc_allreduce, &ours, call_mpi_allreduce, &base, o->reps, comm, &t_ours,
                &t_base);
        print_row("allreduce: dc / MPI", sz, t_ours, t_base, TARGET_ALLREDUCE, 1);
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
 * (d) The watchdog's cost. Three variants timed in every repetition, in an order that rotates:
 * dc_vec_dot on the env with the watchdog off, the same on an env with it on (DC_TIMEOUT 60 s:
 * never reached), and cblas_ddot + MPI_Allreduce. Off must cost nothing measurable: one
 * predictable branch per collective, so "off / cblas+MPI" stays what row (a) shows.
 */
static int bench_watchdog(dc_env_t *env_off, MPI_Comm comm, const opts_t *o)
{
    static const int lg[2] = {0, 20};
    dc_env_t *env_on = NULL;
    dc_env_params_t p;
    int s, v, r, failed = 0, reps = o->reps > 64 ? 64 : o->reps;

    memset(&p, 0, sizeof(p));
    p.field_mask =
        DC_ENV_PARAM_DEBUG | DC_ENV_PARAM_PROFILE | DC_ENV_PARAM_REPRO | DC_ENV_PARAM_TIMEOUT;
    p.repro = DC_REPRO_OFF;
    p.timeout = 60.0;
    if (dc_env_create(comm, &p, &env_on) != DC_SUCCESS) {
        if (g_rank == 0)
            fprintf(stderr, "watchdog env: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    for (s = 0; s < 2 && !failed; s++) {
        size_t n = (size_t)1 << lg[s];
        dc_env_t *envs[2] = {env_off, env_on};
        dc_layout_t *l[2] = {NULL, NULL};
        dc_vec_t *x[2] = {NULL, NULL}, *y[2] = {NULL, NULL};
        const double *xa = NULL, *ya = NULL;
        call_t c[3];
        call_fn fn[3] = {call_dc_dot, call_dc_dot, call_blas_dot};
        double t[3][64], med[3];
        long iters;
        char sz[32];
        int rc = DC_SUCCESS;

        size_text(n, sz, sizeof(sz));
        for (v = 0; v < 2; v++) {
            if (rc == DC_SUCCESS)
                rc = dc_layout_create_block(envs[v], (dc_gidx_t)n * g_size, &l[v]);
            if (rc == DC_SUCCESS)
                rc = dc_vec_create(l[v], &x[v]);
            if (rc == DC_SUCCESS)
                rc = dc_vec_create(l[v], &y[v]);
            if (rc == DC_SUCCESS)
                rc = dc_vec_fill(x[v], fill_x, NULL);
            if (rc == DC_SUCCESS)
                rc = dc_vec_fill(y[v], fill_y, NULL);
        }
        if (rc == DC_SUCCESS)
            rc = dc_vec_get_array_read(x[0], &xa);
        if (rc == DC_SUCCESS)
            rc = dc_vec_get_array_read(y[0], &ya);
        if (any_failed(rc != DC_SUCCESS, comm)) {
            failed = 1;
            goto next;
        }
        for (v = 0; v < 3; v++) {
            memset(&c[v], 0, sizeof(c[v]));
            c[v].env = envs[v == 1];
            c[v].comm = comm;
            c[v].x = x[v == 1];
            c[v].y = y[v == 1];
            c[v].xa = xa;
            c[v].ya = ya;
            c[v].n = n;
            c[v].mode = DC_REPRO_OFF;
        }
        iters = calibrate(fn[0], &c[0], fn[2], &c[2], comm);
        fn[1](&c[1]);
        for (r = 0; r < reps; r++) /* order: rotate the start, reverse every other cycle */
            for (v = 0; v < 3; v++) {
                int k = (r % 6 < 3) ? (r + v) % 3 : (r + 3 - v) % 3;
                t[k][r] = time_calls(fn[k], &c[k], iters, comm);
            }
        /* rows: off / base, on / base, off / on (ratio = second time / first time) */
        {
            static const int pa[3][2] = {{0, 2}, {1, 2}, {0, 1}};
            static const char *const what[3] = {"watchdog off: dot / cblas+MPI",
                                                "watchdog on: dot / cblas+MPI",
                                                "watchdog off / on: dot"};
            int k;
            for (k = 0; k < 3; k++) {
                int a = pa[k][0], b = pa[k][1];
                g_spread_lo = g_spread_hi = t[b][0] / t[a][0];
                for (r = 1; r < reps; r++) {
                    double q = t[b][r] / t[a][r];
                    g_spread_lo = q < g_spread_lo ? q : g_spread_lo;
                    g_spread_hi = q > g_spread_hi ? q : g_spread_hi;
                }
                if (k == 0)
                    for (v = 0; v < 3; v++) {
                        double tmp[64];
                        memcpy(tmp, t[v], sizeof(double) * (size_t)reps);
                        med[v] = median(tmp, reps);
                    }
                print_row(what[k], sz, med[a], med[b], 0.0, 0);
            }
        }
        if (c[0].rc || c[1].rc || c[2].rc || c[0].result != c[1].result ||
            fabs(c[0].result - c[2].result) > 1e-12 * fabs(c[2].result)) {
            fprintf(stderr,
                    "[rank %d] watchdog dot at %s: rc %d %d %d, results %.17g %.17g %.17g\n",
                    g_rank, sz, c[0].rc, c[1].rc, c[2].rc, c[0].result, c[1].result, c[2].result);
            failed = 1;
        }
    next:
        if (xa != NULL)
            dc_vec_restore_array_read(x[0], &xa);
        if (ya != NULL)
            dc_vec_restore_array_read(y[0], &ya);
        for (v = 0; v < 2; v++) {
            dc_vec_destroy(&x[v]);
            dc_vec_destroy(&y[v]);
            dc_layout_destroy(&l[v]);
        }
        failed = any_failed(failed, comm);
    }
    dc_env_destroy(&env_on);
    return failed;
}

/* ---------------------------------------------------------------- main */

static const char *verdict_name(dc_placement_verdict_t v)
{
    switch (v) {
    case DC_PLACEMENT_OK: return "ok";
    case DC_PLACEMENT_UNBOUND: return "unbound";
    case DC_PLACEMENT_OVERLAP: return "overlap";
    case DC_PLACEMENT_OVERSUBSCRIBED: return "oversubscribed";
    }
    return "?";
}

static void print_preamble(dc_env_t *env, MPI_Comm comm, const opts_t *o)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = "", *nl;
    dc_placement_t pl;
    int len = 0, worst, mine;
    double load = -1.0;
    FILE *f;

    MPI_Get_library_version(lib, &len);
    nl = strchr(lib, '\n');
    if (nl != NULL)
        *nl = '\0';
    memset(&pl, 0, sizeof(pl));
    dc_env_get_placement(env, &pl);
    mine = (int)pl.verdict;
    MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, comm);
    if (g_rank != 0)
        return;
    f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1.0;
        fclose(f);
    }
    printf("bench_reduce: libdcompute %s, %d rank(s)\n", DC_VERSION_STRING, g_size);
    printf("MPI: %s\n", lib);
    printf("placement: %s (worst over ranks); rank 0 on %s, cpuset %s, %d core(s), "
           "%d BLAS thread(s), verdict %s\n",
           verdict_name((dc_placement_verdict_t)worst), pl.node_name, pl.cpuset, pl.ncores,
           pl.blas_threads, verdict_name(pl.verdict));
    if (load >= 0.0)
        printf("load average (1 min) at start: %.2f on %ld online CPU(s)%s\n", load,
               sysconf(_SC_NPROCESSORS_ONLN),
               load > 0.5 ? " -- other work is running: figures may be noisy" : "");
    printf("method: median of %d interleaved repetitions, each >= %.0f ms, barrier before each "
           "timing, time = max over ranks; ratio = baseline time / our time (> 1: faster)%s\n",
           o->reps, MIN_REP_SECONDS * 1e3, o->quick ? "; --quick" : "");
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
    print_preamble(env, comm, &o);
    print_header_row();
    if (!o.watchdog_only) {
        failed = bench_dot(env, comm, &o);
        if (!failed)
            failed = bench_allreduce(env, comm, &o);
    }
    if (!failed)
        failed = bench_watchdog(env, comm, &o);
    if (g_rank == 0) {
        printf("\n");
        if (failed)
            printf("bench_reduce: FAILED (a call failed or a result was wrong; see stderr)\n");
        else if (g_binding_missed == 0)
            printf("bench_reduce: all %d targets met\n", g_binding_rows);
        else
            printf("bench_reduce: %d of %d targets met; missed: %s\n",
                   g_binding_rows - g_binding_missed, g_binding_rows, g_missed);
    }
    dc_env_destroy(&env);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return failed ? 1 : 0;
}
