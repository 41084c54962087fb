/*
 * bench_sched: load balance and overhead of the scheduler's schedules, measured in one run.
 * Workloads: task i costs in proportion to i+1 (linear skew); heavy-tailed random costs
 * (Pareto, alpha 1.2, capped at 2 % of the total); the two sized to the total work given;
 * Mandelbrot rows of an asymmetric window (a fixed 1600 x 400 image, about 1 s here).
 * For each schedule: wall time, parallel efficiency = total work / (P x wall), where the total
 * work is the sum of the busy times of all ranks (so 1.0 is the ideal total work / P), the
 * imbalance (max busy / mean busy), and the scheduling overhead per chunk. Then the cost of a
 * chunk alone: empty tasks. The five schedules are interleaved (the order rotates every
 * repetition); figures are medians over repetitions with min-max, and the speed-up over static
 * block is computed within each repetition. Load and the CPU time of other work are reported
 * (bench_util.c); results also go to $DC_BENCH_OUT/bench_sched.csv (docs/benchmarks.md).
 * Run: mpirun -np 2 ./bench_sched [--reps N] [--csv PATH] [total work in seconds of one core,
 *      default 1.0]
 */
#include "bench_util.h"

#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTASK        2000
#define DEFAULT_REPS 5

typedef struct {
    int kind;     /* 0 linear, 1 heavy-tailed, 2 mandelbrot, 3 empty */
    double *cost; /* spin iterations per task (0, 1) */
    int w, h, maxiter;
} work_t;

static volatile double sink;

static void spin(double iters)
{
    double x = 1.0;
    long k, n = (long)iters;

    for (k = 0; k < n; k++)
        x = x * 1.0000001 + 1e-9;
    sink = x;
}

static int mandel_row(const work_t *w, int y)
{
    int x, total = 0;

    for (x = 0; x < w->w; x++) {
        double cr = -2.0 + 2.6 * x / w->w, ci = -0.1 + 1.3 * y / w->h, zr = 0.0, zi = 0.0;
        int k;
        for (k = 0; k < w->maxiter && zr * zr + zi * zi <= 4.0; k++) {
            double t = zr * zr - zi * zi + cr;
            zi = 2.0 * zr * zi + ci;
            zr = t;
        }
        total += k;
    }
    return total;
}

static int task(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    const work_t *w = ctx;

    (void)hi;
    switch (w->kind) {
    case 0:
    case 1:
        spin(w->cost[lo]);
        *(double *)value = 1.0 / (double)(lo + 1);
        break;
    case 2: *(double *)value = (double)mandel_row(w, (int)lo); break;
    default: *(double *)value = (double)lo; break;
    }
    return 0;
}

typedef struct {
    double wall, eff, imb, ovh_chunk, combine;
    int64_t chunks, steals;
    double result;
} meas_t;

#define NKINDS 5
static const dc_sched_kind_t kinds[NKINDS] = {DC_SCHED_STATIC, DC_SCHED_CYCLIC, DC_SCHED_DYNAMIC,
                                              DC_SCHED_GUIDED, DC_SCHED_STEAL};
static int g_rank, g_size;
static dcb_t g_b;

/* One run of schedule s over n tasks: wall (max over ranks), efficiency and the rest. */
static int run_once(dc_sched_t *s, int64_t n, work_t *w, meas_t *m)
{
    double t0, t, busy = 0.0, ovh = 0.0, comb = 0.0, res = 0.0;
    int64_t chunks = 0, steals = 0;
    int rc, r;

    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    rc = dc_sched_run(s, n, task, w, &res);
    t = MPI_Wtime() - t0;
    MPI_Allreduce(&t, &m->wall, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rc != DC_SUCCESS)
        return rc;
    for (r = 0; r < g_size; r++) {
        dc_sched_stats_t st;
        dc_sched_get_stats(s, r, &st);
        busy += st.busy;
        ovh += st.overhead;
        chunks += st.chunks;
        steals += st.steals;
        comb = st.combine > comb ? st.combine : comb;
    }
    m->eff = busy / (g_size * m->wall);
    dc_sched_get_imbalance(s, &m->imb, NULL);
    m->chunks = chunks;
    m->steals = steals;
    m->ovh_chunk = chunks > 0 ? 1e6 * ovh / (double)chunks : 0.0;
    m->combine = comb;
    m->result = res;
    return DC_SUCCESS;
}

/* What dcb_interleave times: one run of one schedule, its figures kept per repetition. */
typedef struct {
    dc_sched_t *s;
    int64_t n;
    work_t *w;
    meas_t m[DCB_MAX_REPS];
    int rep, rc;
} run_t;

static double run_timed(void *p)
{
    run_t *x = p;
    meas_t *m = &x->m[x->rep++];
    int rc = run_once(x->s, x->n, x->w, m);

    if (rc != DC_SUCCESS && x->rc == DC_SUCCESS)
        x->rc = rc;
    return m->wall;
}

/*
 * The five schedules interleaved (the order rotates every repetition) over n tasks; t[k][r] the
 * wall times, x[k].m[r] the rest. Returns 0, or 1 on every rank if a run failed.
 */
static int measure_all(dc_sched_t **s, int64_t n, work_t *w, int reps, const char *what, run_t *x,
                       double t[][DCB_MAX_REPS])
{
    dcb_time_fn fn[NKINDS];
    void *ctx[NKINDS];
    int k, bad = 0, any = 0;

    for (k = 0; k < NKINDS; k++) {
        memset(&x[k], 0, sizeof(x[k]));
        x[k].s = s[k];
        x[k].n = n;
        x[k].w = w;
        fn[k] = run_timed;
        ctx[k] = &x[k];
    }
    dcb_interleave(&g_b, NKINDS, fn, ctx, reps, t, what);
    for (k = 0; k < NKINDS; k++)
        bad |= x[k].rc != DC_SUCCESS;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return any;
}

/* Iterations of spin() per second on this core (rank 0's figure, broadcast). */
static double calibrate(void)
{
    double rate = 0.0, t0, t;

    t0 = MPI_Wtime();
    spin(2e7);
    t = MPI_Wtime() - t0;
    rate = 2e7 / t;
    MPI_Bcast(&rate, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return rate;
}

static void usage(void)
{
    if (g_rank == 0)
        printf("usage: bench_sched [--reps N] [--csv PATH] [TOTAL]\n"
               "  TOTAL        work of one run in seconds of one core (default 1.0)\n"
               "  --reps N     interleaved repetitions of the five schedules (default %d)\n"
               "  --csv PATH   the CSV rows to PATH (default $DC_BENCH_OUT/bench_sched.csv)\n",
               DEFAULT_REPS);
}

int main(int argc, char **argv)
{
    static const char *wname[] = {"linear skew (cost ~ i)", "heavy-tailed (Pareto 1.2)",
                                  "mandelbrot rows"};
    static const char *wcase[] = {"linear", "heavy-tailed", "mandelbrot"};
    dc_env_t *env = NULL;
    dc_sched_t *sk[NKINDS] = {NULL};
    run_t *x = NULL;
    double(*t)[DCB_MAX_REPS] = NULL;
    work_t w;
    double total = 1.0, rate;
    const char *csv = NULL;
    int wk, k, i, r, reps = DEFAULT_REPS, bad = 0, rc = DC_SUCCESS;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (argv[i][0] != '-' && atof(argv[i]) > 0)
            total = atof(argv[i]);
        else
            reps = -1;
    }
    if (reps < 1 || reps > DCB_MAX_REPS) {
        usage();
        MPI_Finalize();
        return 2;
    }
    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "bench_sched: %s\n", dc_env_last_error(NULL));
        MPI_Finalize();
        return 1;
    }
    if (dcb_init(&g_b, "bench_sched", MPI_COMM_WORLD, env, csv) != 0)
        bad = 1;
    for (k = 0; k < NKINDS && rc == DC_SUCCESS; k++) {
        rc = dc_sched_create(env, &sk[k]);
        if (rc == DC_SUCCESS)
            rc = dc_sched_set_kind(sk[k], kinds[k]);
        if (rc == DC_SUCCESS)
            rc = dc_sched_set_chunk(sk[k], 1);
        if (rc == DC_SUCCESS)
            rc = dc_sched_setup(sk[k]);
    }
    x = calloc(NKINDS, sizeof(*x));
    t = calloc(NKINDS, sizeof(*t));
    if (rc != DC_SUCCESS || x == NULL || t == NULL) {
        fprintf(stderr, "bench_sched: setup: %s\n", dc_env_last_error(env));
        bad = 1;
    }
    rate = calibrate();
    memset(&w, 0, sizeof(w));
    w.cost = malloc(NTASK * sizeof(double));
    dcb_print_start(&g_b);
    if (g_rank == 0)
        printf("total work about %.2f s of one core per run (linear and heavy-tailed; mandelbrot: "
               "a fixed 1600 x 400 image); efficiency = sum of busy / (P x "
               "wall): 1.00 is the ideal (total work / P); the five schedules interleaved (order "
               "rotates), %d repetitions, medians [min - max]; speed-up = static's wall / the "
               "schedule's in each repetition\n",
               total, reps);
    for (wk = 0; wk < 3 && !bad; wk++) {
        int64_t n = NTASK;
        char what[64];
        w.kind = wk;
        if (wk == 0) {
            for (i = 0; i < NTASK; i++)
                w.cost[i] = (double)(i + 1);
        } else if (wk == 1) {
            double sum = 0.0, cap;
            dc_rng_t g;
            dc_rng_init(&g, 99, 0);
            for (i = 0; i < NTASK; i++) {
                double u;
                dc_rng_uniform(&g, &u, 1);
                w.cost[i] = pow(1.0 - u, -1.0 / 1.2); /* Pareto, x_min 1 */
                sum += w.cost[i];
            }
            cap = 0.02 * sum;
            for (i = 0; i < NTASK; i++)
                w.cost[i] = w.cost[i] > cap ? cap : w.cost[i];
        }
        if (wk < 2) {
            double sum = 0.0;
            for (i = 0; i < NTASK; i++)
                sum += w.cost[i];
            for (i = 0; i < NTASK; i++)
                w.cost[i] *= total * rate / sum;
        } else {
            /* a fixed image (1600 rows x 400 columns, at most 2000 iterations: about 1 s of
             * one core here), so that runs on different days and machines compare: sizing it
             * by a timing at start gave 229 to 1115 rows on a busy machine */
            w.w = 400;
            w.maxiter = 2000;
            w.h = 1600;
            n = w.h;
        }
        for (k = 0; k < NKINDS; k++) /* warm-up */
            if (run_once(sk[k], n, &w, &x[k].m[0]) != DC_SUCCESS)
                bad = 1;
        snprintf(what, sizeof(what), "%s", wcase[wk]);
        if (measure_all(sk, n, &w, reps, what, x, t))
            bad = 1;
        if (bad)
            break;
        for (k = 0; k < NKINDS; k++) {
            const char *kn = dc_sched_kind_name(kinds[k]);
            for (r = 0; r < reps; r++) {
                dcb_row(&g_b, kn, (double)n, r, "efficiency", x[k].m[r].eff, "", wcase[wk]);
                dcb_row(&g_b, kn, (double)n, r, "seconds", t[k][r], "s", wcase[wk]);
            }
            if (k > 0)
                dcb_ratio_rows(&g_b, kn, "static", (double)n, wcase[wk], t[k], t[0], reps);
        }
        if (g_rank == 0) {
            dcb_progress_clear(&g_b);
            printf("\n%s: %lld tasks\n", wname[wk], (long long)n);
            printf("  %-8s %8s %10s %15s %9s %8s %7s %12s %11s %18s\n", "schedule", "wall[s]",
                   "efficiency", "[min - max]", "imbalance", "chunks", "steals", "ovh/chunk",
                   "combine[ms]", "speed-up [min-max]");
            for (k = 0; k < NKINDS; k++) {
                double eff[DCB_MAX_REPS], imb[DCB_MAX_REPS], ovh[DCB_MAX_REPS], cmb[DCB_MAX_REPS];
                dcb_stat_t se, sq;
                const meas_t *m0 = &x[k].m[0];
                for (r = 0; r < reps; r++) {
                    eff[r] = x[k].m[r].eff;
                    imb[r] = x[k].m[r].imb;
                    ovh[r] = x[k].m[r].ovh_chunk;
                    cmb[r] = x[k].m[r].combine;
                }
                dcb_stats(eff, reps, &se);
                dcb_ratio_stats(t[0], t[k], reps, &sq);
                printf("  %-8s %8.3f %10.3f [%5.3f - %5.3f] %9.3f %8lld %7lld %9.2f us %11.3f",
                       dc_sched_kind_name(kinds[k]), dcb_median(t[k], reps), se.med, se.lo, se.hi,
                       dcb_median(imb, reps), (long long)m0->chunks, (long long)m0->steals,
                       dcb_median(ovh, reps), 1e3 * dcb_median(cmb, reps));
                if (k > 0)
                    printf("  %5.2f [%4.2f-%4.2f]\n", sq.med, sq.lo, sq.hi);
                else
                    printf("  %18s\n", "(baseline)");
            }
            for (k = 0; k < NKINDS; k++)
                for (r = 0; r < reps; r++)
                    if (memcmp(&x[k].m[r].result, &x[0].m[0].result, sizeof(double)) != 0)
                        bad = 1;
            printf("  results of the 5 schedules: %s\n",
                   bad ? "DIFFER (bug)" : "bitwise identical");
        }
        MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    /* the cost of a chunk: empty tasks, one per chunk */
    if (!bad) {
        const int64_t n = 400000;
        w.kind = 3;
        for (k = 0; k < NKINDS; k++) /* warm-up */
            if (run_once(sk[k], n, &w, &x[k].m[0]) != DC_SUCCESS)
                bad = 1;
        if (measure_all(sk, n, &w, reps, "empty tasks", x, t))
            bad = 1;
        if (!bad) {
            for (k = 0; k < NKINDS; k++)
                for (r = 0; r < reps; r++)
                    dcb_row(&g_b, dc_sched_kind_name(kinds[k]), (double)n, r, "us_per_task",
                            1e6 * g_size * t[k][r] / (double)n, "us", "empty");
        }
        if (!bad && g_rank == 0) {
            dcb_progress_clear(&g_b);
            printf("\nempty tasks (%lld, chunk 1 = 1 task): cost per task on each rank = P x "
                   "wall / tasks, medians\n",
                   (long long)n);
            printf("  %-8s %8s %12s %14s %11s\n", "schedule", "wall[s]", "us/task", "loop us/task",
                   "combine[ms]");
            for (k = 0; k < NKINDS; k++) {
                double cmb[DCB_MAX_REPS], wall = dcb_median(t[k], reps), c;
                for (r = 0; r < reps; r++)
                    cmb[r] = x[k].m[r].combine;
                c = dcb_median(cmb, reps);
                printf("  %-8s %8.3f %12.3f %14.3f %11.3f\n", dc_sched_kind_name(kinds[k]), wall,
                       1e6 * g_size * wall / (double)n, 1e6 * g_size * (wall - c) / (double)n,
                       1e3 * c);
            }
        }
    }
    dcb_finish(&g_b);
    if (g_rank == 0)
        printf("bench_sched: %s%s\n", bad ? "FAILED (a run failed or results differ)" : "done",
               bad ? "" : dcb_verdict_note(&g_b));
    free(w.cost);
    free(x);
    free(t);
    for (k = 0; k < NKINDS; k++)
        dc_sched_destroy(&sk[k]);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dcb_free(&g_b);
    dc_env_destroy(&env);
    MPI_Finalize();
    return bad;
}
