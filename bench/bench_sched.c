/*
 * bench_sched: load balance and overhead of the scheduler's schedules, measured in one run.
 * Workloads: task i costs in proportion to i+1 (linear skew); heavy-tailed random costs
 * (Pareto, alpha 1.2, capped at 2 % of the total); Mandelbrot rows of an asymmetric window.
 * For each schedule: wall time, parallel efficiency = total work / (P x wall), where the total
 * work is the sum of the busy times of all ranks (so 1.0 is the ideal total work / P), the
 * imbalance (max busy / mean busy), and the scheduling overhead per chunk. Then the cost of a
 * chunk alone: empty tasks. Each figure is the best of two runs (the machine may be shared).
 * Run: mpirun -np 2 ./bench_sched [total work in seconds of one core, default 1.0]
 */
#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTASK 2000

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

static int measure(dc_env_t *env, dc_sched_kind_t kind, int64_t n, work_t *w, meas_t *m)
{
    dc_sched_t *s = NULL;
    int rc, rep, P, me, r;

    dc_env_get_rank(env, &me, &P);
    rc = dc_sched_create(env, &s);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(s, kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_chunk(s, 1);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(s);
    m->wall = INFINITY;
    for (rep = 0; rep < 2 && rc == DC_SUCCESS; rep++) {
        double t0, t, wall, busy = 0.0, ovh = 0.0, comb = 0.0;
        int64_t chunks = 0, steals = 0;
        double res;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = MPI_Wtime();
        rc = dc_sched_run(s, n, task, w, &res);
        t = MPI_Wtime() - t0;
        MPI_Allreduce(&t, &wall, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (rc != DC_SUCCESS || wall >= m->wall)
            continue;
        for (r = 0; r < P; r++) {
            dc_sched_stats_t st;
            dc_sched_get_stats(s, r, &st);
            busy += st.busy;
            ovh += st.overhead;
            chunks += st.chunks;
            steals += st.steals;
            comb = st.combine > comb ? st.combine : comb;
        }
        m->wall = wall;
        m->eff = busy / (P * wall);
        dc_sched_get_imbalance(s, &m->imb, NULL);
        m->chunks = chunks;
        m->steals = steals;
        m->ovh_chunk = chunks > 0 ? 1e6 * ovh / (double)chunks : 0.0;
        m->combine = comb;
        m->result = res;
    }
    if (rc != DC_SUCCESS && me == 0)
        fprintf(stderr, "bench_sched: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
    dc_sched_destroy(&s);
    return rc;
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

int main(int argc, char **argv)
{
    static const dc_sched_kind_t kinds[] = {DC_SCHED_STATIC, DC_SCHED_CYCLIC, DC_SCHED_DYNAMIC,
                                            DC_SCHED_GUIDED, DC_SCHED_STEAL};
    static const char *wname[] = {"linear skew (cost ~ i)", "heavy-tailed (Pareto 1.2)",
                                  "mandelbrot rows"};
    dc_env_t *env = NULL;
    work_t w;
    double total = argc > 1 ? atof(argv[1]) : 1.0, rate, load[3] = {0, 0, 0};
    int me, P, wk, k, i, bad = 0;
    FILE *la;

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "bench_sched: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &me, &P);
    la = fopen("/proc/loadavg", "r");
    if (la != NULL) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(la);
    }
    rate = calibrate();
    memset(&w, 0, sizeof(w));
    w.cost = malloc(NTASK * sizeof(double));
    if (me == 0)
        printf("bench_sched: %d ranks, total work about %.2f s of one core, load average "
               "%.2f before the run\nefficiency = sum of busy / (P x wall): 1.00 is the ideal "
               "(total work / P); best of 2 runs\n",
               P, total, load[0]);
    for (wk = 0; wk < 3; wk++) {
        meas_t m[5];
        int64_t n = NTASK;
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
            /* rows x columns x maxiter sized to about 'total' seconds */
            w.w = 400;
            w.maxiter = 2000;
            w.h = 600;
            {
                double t0 = MPI_Wtime(), t;
                int y;
                for (y = 0; y < w.h; y += 20)
                    sink += mandel_row(&w, y); /* used: not optimised away */
                t = (MPI_Wtime() - t0) * 20.0;
                MPI_Bcast(&t, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
                w.h = (int)(600 * total / (t > 0 ? t : 1));
                if (w.h < 16)
                    w.h = 16;
            }
            n = w.h;
        }
        for (k = 0; k < 5; k++)
            if (measure(env, kinds[k], n, &w, &m[k]) != DC_SUCCESS)
                bad = 1;
        if (me == 0) {
            printf("\n%s: %lld tasks\n", wname[wk], (long long)n);
            printf("  %-8s %8s %10s %9s %8s %7s %12s %11s\n", "schedule", "wall[s]", "efficiency",
                   "imbalance", "chunks", "steals", "ovh/chunk", "combine[ms]");
            for (k = 0; k < 5; k++)
                printf("  %-8s %8.3f %10.3f %9.3f %8lld %7lld %9.2f us %11.3f\n",
                       dc_sched_kind_name(kinds[k]), m[k].wall, m[k].eff, m[k].imb,
                       (long long)m[k].chunks, (long long)m[k].steals, m[k].ovh_chunk,
                       1e3 * m[k].combine);
            for (k = 1; k < 5; k++)
                if (memcmp(&m[k].result, &m[0].result, sizeof(double)) != 0)
                    bad = 1;
            printf("  results of the 5 schedules: %s\n",
                   bad ? "DIFFER (bug)" : "bitwise identical");
            printf("  speed-up over static block: cyclic %.2f, dynamic %.2f, guided %.2f, "
                   "steal %.2f\n",
                   m[0].wall / m[1].wall, m[0].wall / m[2].wall, m[0].wall / m[3].wall,
                   m[0].wall / m[4].wall);
        }
    }
    /* the cost of a chunk: empty tasks, one per chunk */
    {
        const int64_t n = 400000;
        meas_t m[5];
        w.kind = 3;
        for (k = 0; k < 5; k++)
            if (measure(env, kinds[k], n, &w, &m[k]) != DC_SUCCESS)
                bad = 1;
        if (me == 0) {
            printf("\nempty tasks (%lld, chunk 1 = 1 task): cost per task on each rank = P x "
                   "wall / tasks\n",
                   (long long)n);
            printf("  %-8s %8s %12s %14s %11s\n", "schedule", "wall[s]", "us/task", "loop us/task",
                   "combine[ms]");
            for (k = 0; k < 5; k++) {
                double per = 1e6 * P * m[k].wall / (double)n;
                double loop = 1e6 * P * (m[k].wall - m[k].combine) / (double)n;
                printf("  %-8s %8.3f %12.3f %14.3f %11.3f\n", dc_sched_kind_name(kinds[k]),
                       m[k].wall, per, loop, 1e3 * m[k].combine);
            }
        }
    }
    free(w.cost);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dc_env_destroy(&env);
    return bad;
}
