/*
 * repro_sum: the same sum, in the three reproducibility modes, on a block and a cyclic layout.
 * The data (terms from 2^-40 to 2^60, with huge pairs that cancel) make a plain floating-point
 * sum depend on the order, so on how many ranks hold which part. DC_REPRO_BINNED and
 * DC_REPRO_EXACT give the same bits on every layout and rank count: the correctly rounded exact
 * sum, which this program computes independently with 128-bit integers.
 * Run: mpirun -np 2 ./repro_sum   (and compare the printed bits with -np 1, 3, 4)
 */
#include <dcompute.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N        200003 /* prime: uneven blocks at any rank count */
#define UNIT_EXP (-40)  /* every term is an integer multiple of 2^UNIT_EXP */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/*
 * Term g as (integer k, exponent e): value k * 2^e with |k| < 2^20 and e in [-40, 40]; every
 * 997th term is +2^60 and the term 500 places later -2^60 (they cancel exactly, but a plain
 * sum loses the small terms added while a huge one is pending).
 */
static void term(dc_gidx_t g, int64_t *k_p, int *e_p)
{
    uint64_t r = mix((uint64_t)g * 0x9E3779B97F4A7C15ull + 12345);

    if (g % 997 == 11 && g + 500 < N) {
        *k_p = 1;
        *e_p = 60;
    } else if (g % 997 == 511 && g >= 500) {
        *k_p = -1;
        *e_p = 60;
    } else {
        *k_p = (int64_t)(r & 0xFFFFF) * ((r >> 20) & 1 ? -1 : 1);
        *e_p = (int)((r >> 21) % 81) - 40;
    }
}

static double value(dc_gidx_t g, void *ctx)
{
    int64_t k;
    int e;

    (void)ctx;
    term(g, &k, &e);
    return ldexp((double)k, e);
}

/* Exact sum: all terms are integers in units of 2^-40, at most 2^100 each, N < 2^18 of them. */
static double exact_sum(void)
{
    __int128 acc = 0;
    dc_gidx_t g;

    for (g = 0; g < N; g++) {
        int64_t k;
        int e;
        term(g, &k, &e);
        acc += (__int128)k * ((__int128)1 << (e - UNIT_EXP));
    }
    /* int128 -> double rounds to nearest once; the power-of-two scaling is exact */
    return ldexp((double)acc, UNIT_EXP);
}

/* The plain sum as p ranks with a block layout would form it, simulated serially. */
static double plain_sum_as_ranks(int p)
{
    double total = 0.0;
    int r;

    for (r = 0; r < p; r++) {
        dc_gidx_t lo = (dc_gidx_t)r * (N / p) + (r < N % p ? r : N % p);
        dc_gidx_t hi = lo + N / p + (r < N % p ? 1 : 0), g;
        double part = 0.0;
        for (g = lo; g < hi; g++)
            part += value(g, NULL);
        total += part;
    }
    return total;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

int main(int argc, char **argv)
{
    static const char *const mode_names[] = {"off", "binned", "exact"};
    dc_env_t *env = NULL;
    dc_layout_t *lb = NULL, *lc = NULL;
    dc_vec_t *xb = NULL, *xc = NULL;
    double res[3][2], ref, sumabs = 0.0, sim[4];
    int rank = 0, size = 1, ok = 1, all_ok = 0, rc, m, p, ndistinct;
    dc_gidx_t g;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    memset(res, 0, sizeof(res));

    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block(env, N, &lb);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_cyclic(env, N, &lc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lb, &xb);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lc, &xc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(xb, value, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(xc, value, NULL);
    for (m = DC_REPRO_OFF; m <= DC_REPRO_EXACT && rc == DC_SUCCESS; m++) {
        rc = dc_vec_sum_repro(xb, (dc_repro_t)m, &res[m][0]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_sum_repro(xc, (dc_repro_t)m, &res[m][1]);
    }
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] %s: %s\n", rank, dc_strerror(rc), dc_env_last_error(env));
        ok = 0;
    }

    /* Independent references */
    ref = exact_sum();
    for (g = 0; g < N; g++)
        sumabs += fabs(value(g, NULL));
    for (p = 1; p <= 4; p++)
        sim[p - 1] = plain_sum_as_ranks(p);
    for (ndistinct = 0, p = 0; p < 4; p++) {
        int q, seen = 0;
        for (q = 0; q < p; q++)
            seen |= same_bits(sim[p], sim[q]);
        ndistinct += !seen;
    }

    if (ok) {
        /* reproducible modes: the correctly rounded exact sum, bit for bit, on both layouts */
        for (m = DC_REPRO_BINNED; m <= DC_REPRO_EXACT; m++) {
            if (!same_bits(res[m][0], ref) || !same_bits(res[m][1], ref)) {
                fprintf(stderr, "[rank %d] %s: block %a, cyclic %a, exact sum %a\n", rank,
                        mode_names[m], res[m][0], res[m][1], ref);
                ok = 0;
            }
        }
        /* plain mode: within the bound of recursive summation, N u sum |x| */
        if (fabs(res[0][0] - ref) > (double)N * 0x1p-53 * sumabs ||
            fabs(res[0][1] - ref) > (double)N * 0x1p-53 * sumabs) {
            fprintf(stderr, "[rank %d] off: block %a, cyclic %a, too far from %a\n", rank,
                    res[0][0], res[0][1], ref);
            ok = 0;
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    all_ok = ok;

    if (rank == 0) {
        printf("repro_sum: %d terms from 2^-40 to 2^60 (cancelling pairs of 2^60), %d rank(s)\n", N,
               size);
        printf("  exact sum (128-bit integers)   %-24a (%.17g)\n", ref, ref);
        printf("  plain sum as 1..4 ranks would  %a %a %a %a: %d distinct value(s)\n", sim[0],
               sim[1], sim[2], sim[3], ndistinct);
        printf("  %-7s %-24s %-24s %s\n", "mode", "block layout", "cyclic layout",
               "block vs cyclic");
        for (m = DC_REPRO_OFF; m <= DC_REPRO_EXACT; m++)
            printf("  %-7s %-24a %-24a %s%s\n", mode_names[m], res[m][0], res[m][1],
                   same_bits(res[m][0], res[m][1]) ? "identical" : "different",
                   same_bits(res[m][0], ref) && same_bits(res[m][1], ref) ? ", = exact sum" : "");
        if (size == 1)
            printf("  (at 1 rank both layouts sum in the same order; run with -np 2, 3, 4)\n");
        printf("repro_sum: %s\n", all_ok ? "ok" : "FAILED");
    }
    dc_vec_destroy(&xb);
    dc_vec_destroy(&xc);
    dc_layout_destroy(&lb);
    dc_layout_destroy(&lc);
    dc_env_destroy(&env);
    MPI_Finalize();
    return all_ok ? 0 : 1;
}
