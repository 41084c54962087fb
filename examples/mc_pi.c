/*
 * mc_pi: Monte Carlo estimates of pi whose printed digits do not depend on the number of ranks
 * or the schedule. Batch i draws its points from random stream i (dc_rng, counter-based), so
 * every point is the same whoever draws it; the batch values are combined in the scheduler's
 * canonical order, so even the floating-point estimate has the same bits on 1, 2, 3 or 4 ranks.
 * Two estimates: the fraction of points inside the quarter circle (integer counts) and the mean
 * of 4 / (1 + x^2) at random x (a double sum). Both are checked against a serial computation.
 * Run: mpirun -np 2 ./mc_pi [schedule] [batches] [points per batch]
 */
#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SEED 20240611u

typedef struct {
    int64_t m; /* points per batch */
} batch_t;

/* Both estimates of one batch: value[0] = points inside (as a double, exact below 2^53),
 * value[1] = sum of 4 / (1 + x^2). */
static void batch(int64_t i, int64_t m, double *value)
{
    dc_rng_t g;
    double u[2], inside = 0.0, s = 0.0;
    int64_t k;

    dc_rng_init(&g, SEED, (uint64_t)i);
    for (k = 0; k < m; k++) {
        dc_rng_uniform(&g, u, 2);
        inside += u[0] * u[0] + u[1] * u[1] < 1.0 ? 1.0 : 0.0;
        s += 4.0 / (1.0 + u[0] * u[0]);
    }
    value[0] = inside;
    value[1] = s;
}

static int cb(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    (void)hi;
    batch(lo, ((batch_t *)ctx)->m, value);
    return 0;
}

/* The canonical tree of dc_sched (see dc_sched.h), serially, on the second component. */
static double tree(const double *v, int64_t lo, int64_t size, int64_t nb)
{
    if (size == 1)
        return v[lo];
    if (lo + size / 2 >= nb)
        return tree(v, lo, size / 2, nb);
    return tree(v, lo, size / 2, nb) + tree(v, lo + size / 2, size / 2, nb);
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_sched_t *sched = NULL;
    dc_sched_kind_t kind = DC_SCHED_GUIDED;
    int64_t nb = 2000;
    batch_t b = {1000};
    double res[2] = {0.0, 0.0};
    int rank, size, rc, bad = 0;

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "mc_pi: dc_env_create: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &rank, &size);
    if (argc > 1 && dc_sched_kind_from_name(argv[1], &kind) != DC_SUCCESS) {
        if (rank == 0)
            fprintf(stderr, "mc_pi: %s\n", dc_env_last_error(NULL));
        dc_env_destroy(&env);
        return 2;
    }
    if (argc > 2)
        nb = atoll(argv[2]);
    if (argc > 3)
        b.m = atoll(argv[3]);
    if (nb < 1 || b.m < 1) {
        if (rank == 0)
            fprintf(stderr, "mc_pi: batches and points must be >= 1\n");
        dc_env_destroy(&env);
        return 2;
    }
    rc = dc_sched_create(env, &sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(sched, kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_chunk(sched, 4);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_reduction(sched, DC_TYPE_DOUBLE, 2, DC_REDUCE_SUM);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_run(sched, nb, cb, &b, res);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "mc_pi: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
        bad = 1;
    } else if (rank == 0) {
        double n = (double)nb * (double)b.m, *v = malloc((size_t)nb * sizeof(double));
        double inside = 0.0, ref;
        int64_t i, p2 = 1;
        for (i = 0; i < nb; i++) {
            double val[2];
            batch(i, b.m, val);
            inside += val[0]; /* integers: any order gives the same */
            v[i] = val[1];
        }
        while (p2 < nb)
            p2 *= 2;
        ref = tree(v, 0, p2, nb);
        free(v);
        bad = inside != res[0] || ref != res[1];
        printf("mc_pi: %lld points, schedule %s, %d ranks\n", (long long)n,
               dc_sched_kind_name(kind), size);
        printf("  pi (quarter circle)   = %.17g\n", 4.0 * res[0] / n);
        printf("  pi (mean of 4/(1+x2)) = %.17g\n", res[1] / n);
        printf("  %s\n", bad ? "WRONG: differs from the serial computation"
                             : "identical to the serial computation, bit for bit");
        if (fabs(4.0 * res[0] / n - M_PI) > 0.05 || fabs(res[1] / n - M_PI) > 0.05)
            bad = 1; /* a broken generator would show here */
    }
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dc_sched_destroy(&sched);
    dc_env_destroy(&env);
    return bad ? 1 : 0;
}
