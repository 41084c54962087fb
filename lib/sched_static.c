/*
 * Static schedules: block (balanced by count), cyclic (chunks dealt round-robin) and weighted
 * (contiguous, proportional to per-rank weights: given, the rank's cores, or measured by a short
 * calibration). No communication during a run: every rank computes its own share.
 */
#include "sched_impl.h"

#include <math.h>

/* The rank's contiguous share of n leaves for the block and weighted kinds. */
static void static_range(const dc_sched_t *s, int64_t n, int rank, int64_t *lo_p, int64_t *hi_p)
{
    if (s->kind == DC_SCHED_WEIGHTED) {
        /* Boundaries floor(n * W_r / W) from prefix sums computed in the same order on every
         * rank, so the shares tile [0, n) exactly. */
        long double total = 0.0L, before = 0.0L;
        int i;
        for (i = 0; i < s->size; i++) {
            if (i == rank)
                before = total;
            total += s->weights[i];
        }
        *lo_p = (int64_t)floorl((long double)n * (before / total));
        *hi_p = rank == s->size - 1
                    ? n
                    : (int64_t)floorl((long double)n * ((before + s->weights[rank]) / total));
        if (*lo_p > n)
            *lo_p = n;
        if (*hi_p > n)
            *hi_p = n;
        if (*hi_p < *lo_p)
            *hi_p = *lo_p;
        return;
    }
    {
        int64_t q = n / s->size, rem = n % s->size;
        *lo_p = rank * q + (rank < rem ? rank : rem);
        *hi_p = *lo_p + q + (rank < rem ? 1 : 0);
    }
}

/* A fixed floating-point kernel of about a millisecond: its speed on each rank (sharing the
 * node with the others, which run it at the same time) is the rank's calibrated weight. */
static double calibrate_once(void)
{
    volatile double sink;
    double x = 1.0, y = 0.5, t = dci_wtime();
    int i;

    for (i = 0; i < 300000; i++) {
        x = x * 1.0000001 + 1e-9;
        y = y * 0.9999999 + x * 1e-12;
    }
    sink = x + y;
    (void)sink;
    return dci_wtime() - t;
}

int dci_sched_weights_setup(dc_sched_t *s)
{
    dc_env_t *env = s->hdr.env;
    double w = s->weight, total = 0.0, tm;
    int i;

    /* local allocation first, agreed before the collectives below */
    DC_CHECK(dci_agree(env, s->weights != NULL ? DC_SUCCESS
                                               : dci_calloc(env, (size_t)s->size, sizeof(double),
                                                            (void **)&s->weights)));
    if (w == DC_SCHED_WEIGHT_CORES) {
        w = env->place.ncores > 0 ? (double)env->place.ncores : 1.0;
    } else if (w == DC_SCHED_WEIGHT_CALIBRATE) {
        double t[3];
        double tb = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(env, MPI_Barrier(s->comm));
        dci_prof_mpi_end(env, tb); /* no data: time only */
        for (i = 0; i < 3; i++)
            t[i] = calibrate_once();
        /* median of three: robust to one preemption */
        {
            double a = t[0], b = t[1], c = t[2];
            double med = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
            w = med > 0.0 ? 1.0 / med : 1.0;
        }
    }
    tm = dci_prof_mpi_begin(env);
    DC_CHECK_MPI(env, MPI_Allgather(&w, 1, MPI_DOUBLE, s->weights, 1, MPI_DOUBLE, s->comm));
    dci_prof_coll_end(env, tm, sizeof(w), (size_t)s->size * sizeof(w));
    for (i = 0; i < s->size; i++)
        total += s->weights[i];
    DC_REQUIRE(env, total > 0.0 && isfinite(total), DC_ERR_SIZE,
               "the weights of the ranks sum to %g (need a finite value > 0)", total);
    return DC_SUCCESS;
}

static int static_setup(dc_sched_t *s)
{
    if (s->kind == DC_SCHED_WEIGHTED)
        return dci_sched_weights_setup(s);
    return DC_SUCCESS;
}

static int static_begin(dc_sched_t *s, dci_run_t *r)
{
    if (s->kind == DC_SCHED_CYCLIC) {
        r->cur = s->rank; /* next chunk number */
        r->stop = 0;
    } else {
        static_range(s, r->nleaves, s->rank, &r->cur, &r->stop);
    }
    return DC_SUCCESS;
}

static int static_next(dc_sched_t *s, dci_run_t *r, int64_t *lo, int64_t *hi)
{
    if (s->kind == DC_SCHED_CYCLIC) {
        int64_t c = s->chunk > 0 ? s->chunk : 1, a;
        if (r->cur > (r->nleaves - 1) / c || r->nleaves == 0)
            return 0;
        a = r->cur * c;
        *lo = a;
        *hi = a + c < r->nleaves ? a + c : r->nleaves;
        r->cur += s->size;
        return 1;
    }
    if (r->cur >= r->stop)
        return 0;
    *lo = r->cur;
    *hi = r->stop;
    r->cur = r->stop;
    return 1;
}

const dci_sched_ops_t dci_sched_static_ops = {
    "static", static_setup, static_begin, static_next, NULL,
};
