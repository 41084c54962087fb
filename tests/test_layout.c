/*
 * Tests of layouts (lib/layout.c) and process grids (lib/grid.c). Every map is checked for every
 * global index against a brute-force serial reference built here from the definitions (block
 * sizes, cyclic dealing, exact integer largest-remainder apportionment), at any rank count.
 * Error cases pass bad input on all ranks or on one, and expect the same code everywhere.
 */
#include "dc_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Serial reference: owner and local index of every global index, and the per-rank counts. */
typedef struct {
    int64_t n;
    int p;
    int *owner;     /* n */
    int64_t *lidx;  /* n */
    int64_t *count; /* p */
} ref_t;

static void ref_alloc(ref_t *ref, int64_t n, int p)
{
    ref->n = n;
    ref->p = p;
    ref->owner = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    ref->lidx = calloc((size_t)(n > 0 ? n : 1), sizeof(int64_t));
    ref->count = calloc((size_t)p, sizeof(int64_t));
}

static void ref_free(ref_t *ref)
{
    free(ref->owner);
    free(ref->lidx);
    free(ref->count);
}

/* Contiguous reference from per-rank counts (rank 0 first). */
static void ref_contiguous(ref_t *ref, const int64_t *counts)
{
    int64_t g = 0;
    int r;

    for (r = 0; r < ref->p; r++) {
        int64_t i;
        for (i = 0; i < counts[r]; i++, g++) {
            ref->owner[g] = r;
            ref->lidx[g] = i;
        }
        ref->count[r] = counts[r];
    }
}

/* Block-cyclic reference by dealing blocks of b one at a time (cyclic: b = 1). */
static void ref_block_cyclic(ref_t *ref, int64_t b)
{
    int64_t g = 0;
    int r = 0;

    while (g < ref->n) {
        int64_t k;
        for (k = 0; k < b && g < ref->n; k++, g++) {
            ref->owner[g] = r;
            ref->lidx[g] = ref->count[r]++;
        }
        r = (r + 1) % ref->p;
    }
}

/* Balanced block counts: the first N % P ranks get one more. */
static void block_counts(int64_t n, int p, int64_t *counts)
{
    int r;

    for (r = 0; r < p; r++)
        counts[r] = n / p + (r < n % p ? 1 : 0);
}

/*
 * Exact largest-remainder apportionment for integer weights: quota n*w/W as a fraction, floors,
 * then the largest remainders (ties to the lower rank) get one more.
 */
static void apportion_exact(int64_t n, const int64_t *w, int p, int64_t *counts)
{
    int64_t total = 0, given = 0, *rem = calloc((size_t)p, sizeof(int64_t));
    int r;

    for (r = 0; r < p; r++)
        total += w[r];
    for (r = 0; r < p; r++) {
        counts[r] = n * w[r] / total;
        rem[r] = n * w[r] % total;
        given += counts[r];
    }
    while (given < n) {
        int best = -1;
        for (r = 0; r < p; r++)
            if (w[r] > 0 && rem[r] >= 0 && (best < 0 || rem[r] > rem[best]))
                best = r;
        counts[best]++;
        rem[best] = -1;
        given++;
    }
    free(rem);
}

/*
 * Check every query of a layout against the reference. Local queries only, so failures are
 * recorded per rank and the caller carries on.
 */
static void check_layout(const dc_layout_t *l, const ref_t *ref, dc_layout_kind_t kind,
                         int64_t block, int contiguous, const char *what)
{
    dc_gidx_t n = -1, g;
    size_t nl = 0;
    dc_layout_kind_t k = (dc_layout_kind_t)-1;
    dc_gidx_t b = -1, lo, hi;
    int r, ok = 1, okmap = 1;
    int64_t sum = 0;

    CU_ASSERT_EQUAL(dc_layout_get_global_size(l, &n), DC_SUCCESS);
    CU_ASSERT_EQUAL(n, ref->n);
    CU_ASSERT_EQUAL(dc_layout_get_kind(l, &k, &b), DC_SUCCESS);
    CU_ASSERT_EQUAL(k, kind);
    CU_ASSERT_EQUAL(b, block);
    CU_ASSERT_EQUAL(dc_layout_get_local_size(l, &nl), DC_SUCCESS);
    CU_ASSERT_EQUAL((int64_t)nl, ref->count[dct_rank]);
    for (r = 0; r < ref->p; r++) {
        nl = (size_t)-1;
        if (dc_layout_get_rank_size(l, r, &nl) != DC_SUCCESS || (int64_t)nl != ref->count[r])
            ok = 0;
        sum += (int64_t)nl;
        if (contiguous) {
            int64_t rlo = 0;
            int q;
            for (q = 0; q < r; q++)
                rlo += ref->count[q];
            if (dc_layout_get_range(l, r, &lo, &hi) != DC_SUCCESS || lo != rlo ||
                hi != rlo + ref->count[r])
                ok = 0;
        } else if (dc_layout_get_range(l, r, &lo, &hi) != DC_ERR_NOTSUP) {
            ok = 0;
        }
        for (nl = 0; (int64_t)nl < ref->count[r]; nl++) {
            if (dc_layout_local_to_global(l, r, nl, &g) != DC_SUCCESS || g < 0 || g >= ref->n ||
                ref->owner[g] != r || ref->lidx[g] != (int64_t)nl) {
                okmap = 0;
                break;
            }
        }
        /* one past the end is out of range */
        if (dc_layout_local_to_global(l, r, (size_t)ref->count[r], &g) != DC_ERR_ARG)
            okmap = 0;
    }
    CU_ASSERT_EQUAL(sum, ref->n);
    for (g = 0; g < ref->n && okmap; g++) {
        int owner = -1, owner2 = -1;
        size_t li = (size_t)-1;
        if (dc_layout_get_owner(l, g, &owner) != DC_SUCCESS || owner != ref->owner[g] ||
            dc_layout_global_to_local(l, g, &owner2, &li) != DC_SUCCESS ||
            owner2 != ref->owner[g] || (int64_t)li != ref->lidx[g])
            okmap = 0;
    }
    if (!ok || !okmap)
        fprintf(stderr, "[rank %d] %s: N=%lld sizes/ranges %s, maps %s\n", dct_rank, what,
                (long long)ref->n, ok ? "ok" : "WRONG", okmap ? "ok" : "WRONG");
    CU_ASSERT(ok);
    CU_ASSERT(okmap);
    /* out-of-range queries */
    {
        int owner;
        size_t li;
        CU_ASSERT_EQUAL(dc_layout_get_owner(l, -1, &owner), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_owner(l, ref->n, &owner), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_global_to_local(l, ref->n, &owner, &li), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_rank_size(l, -1, &li), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_rank_size(l, ref->p, &li), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_local_to_global(l, ref->p, 0, &g), DC_ERR_ARG);
    }
}

static const int64_t sizes_fixed[] = {0, 1, 2, 3, 5, 97, 1000, 10007};

/* Sizes to test at this rank count: the fixed ones plus N = P - 1, P, P + 1. */
static int test_sizes(int64_t *out)
{
    int k, m = 0;

    for (k = 0; k < (int)(sizeof(sizes_fixed) / sizeof(sizes_fixed[0])); k++)
        out[m++] = sizes_fixed[k];
    out[m++] = dct_size - 1;
    out[m++] = dct_size;
    out[m++] = dct_size + 1;
    return m;
}

/* ---------------------------------------------------------------- kinds */

static void test_block(void)
{
    dc_env_t *env = dct_env_create();
    int64_t sizes[16], *counts = calloc((size_t)dct_size, sizeof(int64_t));
    int k, m = test_sizes(sizes);

    for (k = 0; k < m && env != NULL; k++) {
        dc_layout_t *l = NULL;
        ref_t ref;
        int rc = dc_layout_create_block(env, sizes[k], &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc != DC_SUCCESS)
            continue;
        ref_alloc(&ref, sizes[k], dct_size);
        block_counts(sizes[k], dct_size, counts);
        ref_contiguous(&ref, counts);
        /* balanced: sizes differ by at most 1, the larger ones first */
        {
            int r, bal = 1;
            for (r = 1; r < dct_size; r++)
                if (ref.count[r] > ref.count[r - 1] || ref.count[0] - ref.count[r] > 1)
                    bal = 0;
            CU_ASSERT(bal);
        }
        check_layout(l, &ref, DC_LAYOUT_BLOCK, 0, 1, "block");
        ref_free(&ref);
        CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
        CU_ASSERT_PTR_NULL(l);
    }
    free(counts);
    dc_env_destroy(&env);
}

static void test_cyclic(void)
{
    dc_env_t *env = dct_env_create();
    int64_t sizes[16];
    int k, m = test_sizes(sizes);

    for (k = 0; k < m && env != NULL; k++) {
        dc_layout_t *l = NULL;
        ref_t ref;
        int rc = dc_layout_create_cyclic(env, sizes[k], &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc != DC_SUCCESS)
            continue;
        ref_alloc(&ref, sizes[k], dct_size);
        ref_block_cyclic(&ref, 1);
        check_layout(l, &ref, DC_LAYOUT_CYCLIC, 1, 0, "cyclic");
        ref_free(&ref);
        dc_layout_destroy(&l);
    }
    dc_env_destroy(&env);
}

static void test_block_cyclic(void)
{
    dc_env_t *env = dct_env_create();
    int64_t sizes[16], blocks[] = {1, 2, 3, 7, 64};
    int k, j, m = test_sizes(sizes);

    for (k = 0; k < m && env != NULL; k++) {
        for (j = 0; j < (int)(sizeof(blocks) / sizeof(blocks[0])); j++) {
            dc_layout_t *l = NULL;
            ref_t ref;
            int rc = dc_layout_create_block_cyclic(env, sizes[k], blocks[j], &l);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            if (rc != DC_SUCCESS)
                continue;
            ref_alloc(&ref, sizes[k], dct_size);
            ref_block_cyclic(&ref, blocks[j]);
            check_layout(l, &ref, DC_LAYOUT_BLOCK_CYCLIC, blocks[j], 0, "block-cyclic");
            ref_free(&ref);
            dc_layout_destroy(&l);
        }
    }
    dc_env_destroy(&env);
}

/* Weighted layouts with integer weights w(r) given by 'scheme'; reference by exact arithmetic. */
static int64_t weight_of(int scheme, int r)
{
    switch (scheme) {
    case 0: return r + 1;                      /* proportional to rank + 1 */
    case 1: return r == 1 ? 0 : 2;             /* rank 1 owns nothing */
    case 2: return r == 0 ? 0 : 1;             /* rank 0 owns nothing */
    case 3: return 3;                          /* equal weights */
    default: return r == dct_size - 1 ? 5 : 0; /* only the last rank owns anything */
    }
}

static void test_weighted(void)
{
    dc_env_t *env = dct_env_create();
    int64_t sizes[16], *w = calloc((size_t)dct_size, sizeof(int64_t));
    int64_t *counts = calloc((size_t)dct_size, sizeof(int64_t));
    int k, s, r, m = test_sizes(sizes);

    for (s = 0; s < 5 && env != NULL; s++) {
        int64_t total = 0;
        for (r = 0; r < dct_size; r++)
            total += (w[r] = weight_of(s, r));
        if (total == 0)
            continue; /* scheme 1/2 at one rank: all zero; tested as an error below */
        for (k = 0; k < m; k++) {
            dc_layout_t *l = NULL;
            ref_t ref;
            int rc = dc_layout_create_weighted(env, sizes[k], (double)w[dct_rank], &l);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            if (rc != DC_SUCCESS)
                continue;
            ref_alloc(&ref, sizes[k], dct_size);
            apportion_exact(sizes[k], w, dct_size, counts);
            ref_contiguous(&ref, counts);
            /* properties that hold whatever the rounding rule: within 1 of the quota */
            for (r = 0; r < dct_size; r++) {
                double quota = (double)sizes[k] * (double)w[r] / (double)total;
                CU_ASSERT(fabs((double)counts[r] - quota) < 1.0);
                if (w[r] == 0)
                    CU_ASSERT_EQUAL(counts[r], 0);
            }
            check_layout(l, &ref, DC_LAYOUT_WEIGHTED, 0, 1, "weighted");
            ref_free(&ref);
            dc_layout_destroy(&l);
        }
    }
    /* default weight: the cores placement gave each rank */
    if (env != NULL) {
        dc_placement_t pl;
        dc_layout_t *l = NULL;
        ref_t ref;
        int mine, rc;
        int *cores = calloc((size_t)dct_size, sizeof(int));
        dc_env_get_placement(env, &pl);
        mine = pl.ncores > 0 ? pl.ncores : 1;
        MPI_Allgather(&mine, 1, MPI_INT, cores, 1, MPI_INT, dct_comm);
        for (r = 0; r < dct_size; r++)
            w[r] = cores[r];
        rc = dc_layout_create_weighted(env, 1001, -1.0, &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc == DC_SUCCESS) {
            ref_alloc(&ref, 1001, dct_size);
            apportion_exact(1001, w, dct_size, counts);
            ref_contiguous(&ref, counts);
            check_layout(l, &ref, DC_LAYOUT_WEIGHTED, 0, 1, "weighted (cores)");
            ref_free(&ref);
        }
        dc_layout_destroy(&l);
        free(cores);
    }
    /* non-integer weights: still exact total and within 1 of the quota */
    if (env != NULL) {
        dc_layout_t *l = NULL;
        double mine = 0.1 + 0.7 * dct_rank, *ww = calloc((size_t)dct_size, sizeof(double));
        int rc = dc_layout_create_weighted(env, 9973, mine, &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        MPI_Allgather(&mine, 1, MPI_DOUBLE, ww, 1, MPI_DOUBLE, dct_comm);
        if (rc == DC_SUCCESS) {
            double tw = 0.0;
            int64_t sum = 0;
            for (r = 0; r < dct_size; r++)
                tw += ww[r];
            for (r = 0; r < dct_size; r++) {
                size_t c = 0;
                dc_layout_get_rank_size(l, r, &c);
                CU_ASSERT(fabs((double)c - 9973.0 * ww[r] / tw) < 1.0);
                sum += (int64_t)c;
            }
            CU_ASSERT_EQUAL(sum, 9973);
        }
        dc_layout_destroy(&l);
        free(ww);
    }
    free(w);
    free(counts);
    dc_env_destroy(&env);
}

static void test_explicit(void)
{
    dc_env_t *env = dct_env_create();
    int64_t *counts = calloc((size_t)dct_size, sizeof(int64_t)), n = 0;
    int s, r;

    for (s = 0; s < 3 && env != NULL; s++) {
        dc_layout_t *l = NULL;
        ref_t ref;
        int rc;
        n = 0;
        for (r = 0; r < dct_size; r++) {
            /* s = 0: rank 1 owns nothing; s = 1: uneven; s = 2: nobody owns anything */
            counts[r] = s == 0 ? (r == 1 ? 0 : 3 * r + 2) : s == 1 ? (r * 37) % 11 + 1 : 0;
            n += counts[r];
        }
        rc = dc_layout_create_explicit(env, (size_t)counts[dct_rank], &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc != DC_SUCCESS)
            continue;
        ref_alloc(&ref, n, dct_size);
        ref_contiguous(&ref, counts);
        check_layout(l, &ref, DC_LAYOUT_EXPLICIT, 0, 1, "explicit");
        ref_free(&ref);
        dc_layout_destroy(&l);
    }
    free(counts);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- congruence */

/* Brute force: same owner and local index for every global index. */
static int congruent_ref(const dc_layout_t *a, const dc_layout_t *b)
{
    dc_gidx_t na, nb, g;

    dc_layout_get_global_size(a, &na);
    dc_layout_get_global_size(b, &nb);
    if (na != nb)
        return 0;
    for (g = 0; g < na; g++) {
        int ra, rb;
        size_t la, lb;
        dc_layout_global_to_local(a, g, &ra, &la);
        dc_layout_global_to_local(b, g, &rb, &lb);
        if (ra != rb || la != lb)
            return 0;
    }
    return 1;
}

static void test_congruent(void)
{
    dc_env_t *env = dct_env_create(), *env2 = dct_env_create();
    int64_t sizes[] = {0, 1, 2, 3, 4, 5, 8, 13, 97};
    int k;

    for (k = 0; k < (int)(sizeof(sizes) / sizeof(sizes[0])) && env != NULL && env2 != NULL; k++) {
        dc_layout_t *l[8] = {NULL};
        int64_t n = sizes[k], *bc = calloc((size_t)dct_size, sizeof(int64_t));
        int i, j, nl = 0, bad = 0;
        block_counts(n, dct_size, bc);
        dc_layout_create_block(env, n, &l[nl++]);
        dc_layout_create_cyclic(env, n, &l[nl++]);
        dc_layout_create_block_cyclic(env, n, 3, &l[nl++]);
        dc_layout_create_block_cyclic(env, n, 2, &l[nl++]);
        dc_layout_create_weighted(env, n, (double)(dct_rank + 1), &l[nl++]);
        dc_layout_create_explicit(env, (size_t)bc[dct_rank], &l[nl++]);
        dc_layout_create_block(env, n + 1, &l[nl++]);
        dc_layout_create_block(env2, n, &l[nl++]);
        for (i = 0; i < nl; i++) {
            for (j = 0; j < nl; j++) {
                int c = -1, expect;
                if (l[i] == NULL || l[j] == NULL) {
                    bad++;
                    continue;
                }
                expect = (i == nl - 1) != (j == nl - 1) ? 0 : congruent_ref(l[i], l[j]);
                if (dc_layout_congruent(l[i], l[j], &c) != DC_SUCCESS || c != expect) {
                    fprintf(stderr, "[rank %d] congruent N=%lld layouts %d,%d: got %d want %d\n",
                            dct_rank, (long long)n, i, j, c, expect);
                    bad++;
                }
            }
        }
        /* the explicit layout with block counts is the block layout */
        {
            int c = 0;
            dc_layout_congruent(l[0], l[5], &c);
            CU_ASSERT_EQUAL(c, 1);
        }
        CU_ASSERT_EQUAL(bad, 0);
        {
            int c;
            CU_ASSERT_EQUAL(dc_layout_congruent(l[0], l[1], NULL), DC_ERR_ARG);
            CU_ASSERT_EQUAL(dc_layout_congruent(NULL, l[1], &c), DC_ERR_ARG);
            CU_ASSERT_EQUAL(dc_layout_congruent(l[0], NULL, &c), DC_ERR_ARG);
        }
        for (i = 0; i < nl; i++)
            dc_layout_destroy(&l[i]);
        free(bc);
    }
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- errors */

/* rc must be 'code' on every rank and the env's message must say something. */
static void expect_all(dc_env_t *env, int rc, int code, const char *what)
{
    int ok = rc == code && dc_env_last_error(env)[0] != '\0';
    if (!ok)
        fprintf(stderr, "[rank %d] %s: got %d (%s), want %d; message \"%s\"\n", dct_rank, what, rc,
                dc_strerror(rc), code, dc_env_last_error(env));
    DCT_ASSERT_ALL(ok);
}

static void test_errors(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL, *good = NULL;
    int last = dct_size - 1, rc;
    size_t nl;
    dc_gidx_t g;
    int owner;

    if (env == NULL)
        return;
    /* negative sizes and block sizes, on all ranks and on one rank only */
    expect_all(env, dc_layout_create_block(env, -1, &l), DC_ERR_SIZE, "block N=-1");
    expect_all(env, dc_layout_create_cyclic(env, dct_rank == last ? -5 : 10, &l), DC_ERR_SIZE,
               "cyclic N<0 on one rank");
    expect_all(env, dc_layout_create_block_cyclic(env, 10, 0, &l), DC_ERR_SIZE, "block 0");
    expect_all(env, dc_layout_create_block_cyclic(env, 10, dct_rank == last ? -2 : 3, &l),
               DC_ERR_SIZE, "block < 1 on one rank");
    expect_all(env, dc_layout_create_weighted(env, -3, 1.0, &l), DC_ERR_SIZE, "weighted N<0");
    CU_ASSERT_PTR_NULL(l);
    /* a size that differs on one rank (all valid): same code everywhere */
    if (dct_size > 1) {
        expect_all(env, dc_layout_create_block(env, dct_rank == last ? 11 : 10, &l), DC_ERR_SIZE,
                   "block N differs");
        expect_all(env, dc_layout_create_cyclic(env, dct_rank == 0 ? 11 : 10, &l), DC_ERR_SIZE,
                   "cyclic N differs");
        expect_all(env, dc_layout_create_block_cyclic(env, 10, dct_rank == 0 ? 2 : 3, &l),
                   DC_ERR_SIZE, "block size differs");
        expect_all(env, dc_layout_create_weighted(env, dct_rank == last ? 7 : 8, 1.0, &l),
                   DC_ERR_SIZE, "weighted N differs");
        CU_ASSERT_PTR_NULL(l);
    }
    /* weights: NaN or Inf on one rank; all zero; negative means "cores" (valid) */
    expect_all(env, dc_layout_create_weighted(env, 10, dct_rank == last ? NAN : 1.0, &l),
               DC_ERR_ARG, "NaN weight");
    expect_all(env, dc_layout_create_weighted(env, 10, dct_rank == 0 ? INFINITY : 1.0, &l),
               DC_ERR_ARG, "Inf weight");
    expect_all(env, dc_layout_create_weighted(env, 10, 0.0, &l), DC_ERR_SIZE, "zero weights");
    expect_all(env, dc_layout_create_weighted(env, 0, 0.0, &l), DC_ERR_SIZE, "zero weights, N = 0");
    /* explicit: a "negative" size cast to size_t on one rank */
    expect_all(env, dc_layout_create_explicit(env, dct_rank == last ? (size_t)-1 : 3, &l),
               DC_ERR_SIZE, "explicit huge nlocal");
    CU_ASSERT_PTR_NULL(l);
    /* NULL output on one rank: every rank fails with DC_ERR_ARG */
    expect_all(env, dc_layout_create_block(env, 10, dct_rank == last ? NULL : &l), DC_ERR_ARG,
               "NULL layout_p on one rank");
    expect_all(env, dc_layout_create_explicit(env, 1, dct_rank == 0 ? NULL : &l), DC_ERR_ARG,
               "NULL layout_p on rank 0 (explicit)");
    CU_ASSERT_PTR_NULL(l);
    /* NULL env on all ranks: local failure with a message */
    rc = dc_layout_create_block(NULL, 10, &l);
    CU_ASSERT_EQUAL(rc, DC_ERR_ARG);
    CU_ASSERT(dc_env_last_error(NULL)[0] != '\0');
    CU_ASSERT_EQUAL(dc_layout_create_cyclic(NULL, 10, &l), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_layout_create_block_cyclic(NULL, 10, 2, &l), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_layout_create_weighted(NULL, 10, 1.0, &l), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_layout_create_explicit(NULL, 10, &l), DC_ERR_ARG);
    CU_ASSERT_PTR_NULL(l);

    /* getters: NULL handles and NULL outputs (local) */
    rc = dc_layout_create_block(env, 10, &good);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_env_t *e = NULL;
        dc_layout_kind_t kind;
        dc_gidx_t lo, hi;
        CU_ASSERT_EQUAL(dc_layout_get_env(good, &e), DC_SUCCESS);
        CU_ASSERT_PTR_EQUAL(e, env);
        CU_ASSERT_EQUAL(dc_layout_get_env(good, NULL), DC_ERR_ARG);
        CU_ASSERT(dc_env_last_error(env)[0] != '\0');
        CU_ASSERT_EQUAL(dc_layout_get_env(NULL, &e), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_kind(good, NULL, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_kind(NULL, &kind, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_kind(good, &kind, NULL), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_layout_get_global_size(good, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_global_size(NULL, &g), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_local_size(good, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_local_size(NULL, &nl), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_rank_size(good, 0, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_rank_size(NULL, 0, &nl), DC_ERR_ARG);
        /* several outputs: either may be NULL, not both (docs/conventions.md) */
        CU_ASSERT_EQUAL(dc_layout_get_range(good, 0, NULL, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_range(good, 0, NULL, &hi), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_layout_get_range(good, 0, &lo, NULL), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_layout_get_range(NULL, 0, &lo, &hi), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_range(good, -1, &lo, &hi), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_owner(good, 0, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_get_owner(NULL, 0, &owner), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_global_to_local(good, 0, NULL, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_global_to_local(NULL, 0, &owner, &nl), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_global_to_local(good, -1, &owner, &nl), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_local_to_global(good, 0, 0, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_local_to_global(NULL, 0, 0, &g), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_layout_local_to_global(good, -1, 0, &g), DC_ERR_ARG);
        /* a handle of another class is not a layout */
        CU_ASSERT_EQUAL(dc_layout_get_global_size((const dc_layout_t *)(void *)env, &g),
                        DC_ERR_ARG);
    }
    /* destroy: NULL and *p == NULL are no-ops */
    CU_ASSERT_EQUAL(dc_layout_destroy(NULL), DC_SUCCESS);
    l = NULL;
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
    dc_layout_destroy(&good);
    dc_env_destroy(&env);
}

/* The layout keeps its env alive: destroying the env handle first is allowed. */
static void test_refcount(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    dc_gidx_t n = 0;
    size_t nl = 0;

    if (env == NULL)
        return;
    dc_layout_create_block(env, 42, &l);
    dc_env_destroy(&env);
    CU_ASSERT_PTR_NULL(env);
    CU_ASSERT_EQUAL(dc_layout_get_global_size(l, &n), DC_SUCCESS);
    CU_ASSERT_EQUAL(n, 42);
    CU_ASSERT_EQUAL(dc_layout_get_local_size(l, &nl), DC_SUCCESS);
    CU_ASSERT_EQUAL((int64_t)nl, 42 / dct_size + (dct_rank < 42 % dct_size ? 1 : 0));
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
}

/* Sizes near INT64_MAX (layouts allocate nothing per index): no overflow in the maps. */
static void test_huge(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    int rc, r;
    size_t nl;
    int64_t big = INT64_MAX / 2 + 1; /* 2^62 */

    if (env == NULL)
        return;
    /* one block bigger than N: rank 0 owns everything */
    rc = dc_layout_create_block_cyclic(env, 10, INT64_MAX, &l);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        for (r = 0; r < dct_size; r++) {
            nl = 99;
            dc_layout_get_rank_size(l, r, &nl);
            CU_ASSERT_EQUAL(nl, r == 0 ? 10u : 0u);
        }
        {
            int owner = -1;
            size_t li = 99;
            CU_ASSERT_EQUAL(dc_layout_global_to_local(l, 9, &owner, &li), DC_SUCCESS);
            CU_ASSERT(owner == 0 && li == 9);
        }
    }
    dc_layout_destroy(&l);
    /* N = INT64_MAX in blocks of 2^62: 2^62 on rank 0, 2^62 - 1 on rank 1 (or 0 at P = 1) */
    rc = dc_layout_create_block_cyclic(env, INT64_MAX, big, &l);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_gidx_t g = -1;
        int owner = -1;
        for (r = 0; r < dct_size; r++) {
            size_t want = dct_size == 1 ? (r == 0 ? (size_t)INT64_MAX : 0)
                                        : (r == 0   ? (size_t)big
                                           : r == 1 ? (size_t)big - 1
                                                    : 0);
            nl = 99;
            dc_layout_get_rank_size(l, r, &nl);
            CU_ASSERT_EQUAL(nl, want);
        }
        CU_ASSERT_EQUAL(dc_layout_get_owner(l, INT64_MAX - 1, &owner), DC_SUCCESS);
        CU_ASSERT_EQUAL(owner, dct_size == 1 ? 0 : 1);
        if (dct_size > 1) {
            CU_ASSERT_EQUAL(dc_layout_local_to_global(l, 1, (size_t)big - 2, &g), DC_SUCCESS);
            CU_ASSERT_EQUAL(g, INT64_MAX - 1);
        }
    }
    dc_layout_destroy(&l);
    /* explicit local sizes whose sum passes INT64_MAX (P >= 3): DC_ERR_SIZE on every rank */
    rc = dc_layout_create_explicit(env, (size_t)(INT64_MAX / 2), &l);
    if (dct_size >= 3) {
        expect_all(env, rc, DC_ERR_SIZE, "explicit sizes overflow");
    } else {
        dc_gidx_t n = 0;
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        dc_layout_get_global_size(l, &n);
        CU_ASSERT_EQUAL(n, (INT64_MAX / 2) * dct_size);
    }
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- grids */

/* Near-square reference: the largest divisor q <= sqrt(P) gives (P / q) x q. */
static void near_square(int p, int *nprow, int *npcol)
{
    int q, best = 1;

    for (q = 1; q * q <= p; q++)
        if (p % q == 0)
            best = q;
    *npcol = best;
    *nprow = p / best;
}

static void check_grid(dc_grid_t *grid, int nprow, int npcol, const char *what)
{
    int pr = -1, pc = -1, mr = -1, mc = -1, r, c, ok = 1;
    MPI_Comm rowc = MPI_COMM_NULL, colc = MPI_COMM_NULL;

    CU_ASSERT_EQUAL(dc_grid_get_info(grid, &pr, &pc, &mr, &mc), DC_SUCCESS);
    CU_ASSERT_EQUAL(pr, nprow);
    CU_ASSERT_EQUAL(pc, npcol);
    /* row-major: rank = row * Q + col */
    CU_ASSERT_EQUAL(mr, dct_rank / npcol);
    CU_ASSERT_EQUAL(mc, dct_rank % npcol);
    for (r = 0; r < nprow; r++)
        for (c = 0; c < npcol; c++) {
            int rank = -1;
            if (dc_grid_get_rank(grid, r, c, &rank) != DC_SUCCESS || rank != r * npcol + c)
                ok = 0;
        }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(dc_grid_get_rank(grid, nprow, 0, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_rank(grid, 0, npcol, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_rank(grid, -1, 0, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_rank(grid, 0, 0, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_comms(grid, &rowc, &colc), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_grid_get_comms(grid, NULL, NULL), DC_ERR_ARG);
    if (rowc != MPI_COMM_NULL && colc != MPI_COMM_NULL) {
        int rs, cs, rr, cr, *members = calloc((size_t)dct_size, sizeof(int));
        MPI_Comm_size(rowc, &rs);
        MPI_Comm_size(colc, &cs);
        MPI_Comm_rank(rowc, &rr);
        MPI_Comm_rank(colc, &cr);
        CU_ASSERT_EQUAL(rs, npcol);
        CU_ASSERT_EQUAL(cs, nprow);
        CU_ASSERT_EQUAL(rr, dct_rank % npcol);
        CU_ASSERT_EQUAL(cr, dct_rank / npcol);
        /* members of my row: the world ranks of (myrow, 0 .. Q-1), in column order */
        MPI_Allgather(&dct_rank, 1, MPI_INT, members, 1, MPI_INT, rowc);
        ok = 1;
        for (c = 0; c < rs && c < npcol; c++)
            if (members[c] != (dct_rank / npcol) * npcol + c)
                ok = 0;
        CU_ASSERT(ok);
        MPI_Allgather(&dct_rank, 1, MPI_INT, members, 1, MPI_INT, colc);
        ok = 1;
        for (r = 0; r < cs && r < nprow; r++)
            if (members[r] != r * npcol + dct_rank % npcol)
                ok = 0;
        CU_ASSERT(ok);
        free(members);
    } else {
        CU_FAIL("grid communicators are MPI_COMM_NULL");
    }
    if (!ok)
        fprintf(stderr, "[rank %d] grid %s wrong\n", dct_rank, what);
}

static void test_grid(void)
{
    dc_env_t *env = dct_env_create();
    dc_grid_t *grid = NULL;
    int pr, pc, rc, k;
    int shapes[4][2];

    if (env == NULL)
        return;
    near_square(dct_size, &pr, &pc);
    /* independent spot checks of the reference itself */
    {
        int a, b;
        near_square(4, &a, &b);
        CU_ASSERT(a == 2 && b == 2);
        near_square(3, &a, &b);
        CU_ASSERT(a == 3 && b == 1);
        near_square(6, &a, &b);
        CU_ASSERT(a == 3 && b == 2);
    }
    shapes[0][0] = 0, shapes[0][1] = 0;
    shapes[1][0] = dct_size, shapes[1][1] = 1;
    shapes[2][0] = 1, shapes[2][1] = dct_size;
    shapes[3][0] = pr, shapes[3][1] = pc;
    for (k = 0; k < 4; k++) {
        rc = dc_grid_create(env, shapes[k][0], shapes[k][1], &grid);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc == DC_SUCCESS)
            check_grid(grid, k == 0 ? pr : shapes[k][0], k == 0 ? pc : shapes[k][1], "shape");
        CU_ASSERT_EQUAL(dc_grid_destroy(&grid), DC_SUCCESS);
        CU_ASSERT_PTR_NULL(grid);
    }
    /* get_info: every output optional */
    rc = dc_grid_create(env, 0, 0, &grid);
    if (rc == DC_SUCCESS) {
        int a = -1;
        CU_ASSERT_EQUAL(dc_grid_get_info(grid, NULL, NULL, NULL, &a), DC_SUCCESS);
        CU_ASSERT_EQUAL(a, dct_rank % pc);
    }
    dc_grid_destroy(&grid);

    /* errors: wrong shape, negative, one zero, a shape that differs on one rank, NULL out */
    expect_all(env, dc_grid_create(env, dct_size + 1, 1, &grid), DC_ERR_SIZE, "grid P+1 x 1");
    expect_all(env, dc_grid_create(env, -1, -dct_size, &grid), DC_ERR_SIZE, "grid negative");
    expect_all(env, dc_grid_create(env, 0, dct_size, &grid), DC_ERR_SIZE, "grid 0 x P");
    if (dct_size > 1)
        expect_all(
            env,
            dc_grid_create(env, dct_rank == 0 ? 1 : dct_size, dct_rank == 0 ? dct_size : 1, &grid),
            DC_ERR_SIZE, "grid shape differs");
    expect_all(env,
               dc_grid_create(env, dct_rank == dct_size - 1 ? 2 * dct_size : dct_size, 1, &grid),
               DC_ERR_SIZE, "grid wrong shape on one rank");
    expect_all(env, dc_grid_create(env, 0, 0, dct_rank == 0 ? NULL : &grid), DC_ERR_ARG,
               "NULL grid_p on one rank");
    CU_ASSERT_PTR_NULL(grid);
    CU_ASSERT_EQUAL(dc_grid_create(NULL, 0, 0, &grid), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_info(NULL, &pr, NULL, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_rank(NULL, 0, 0, &pr), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_get_comms(NULL, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_grid_destroy(NULL), DC_SUCCESS);
    /* a grid keeps its env alive */
    rc = dc_grid_create(env, 0, 0, &grid);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    dc_env_destroy(&env);
    if (rc == DC_SUCCESS)
        check_grid(grid, pr, pc, "after env destroy");
    dc_grid_destroy(&grid);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("layout", NULL, NULL);

    CU_add_test(s, "block", test_block);
    CU_add_test(s, "cyclic", test_cyclic);
    CU_add_test(s, "block-cyclic", test_block_cyclic);
    CU_add_test(s, "weighted", test_weighted);
    CU_add_test(s, "explicit", test_explicit);
    CU_add_test(s, "congruent", test_congruent);
    CU_add_test(s, "errors", test_errors);
    CU_add_test(s, "refcount", test_refcount);
    CU_add_test(s, "huge sizes", test_huge);
    CU_add_test(s, "grid", test_grid);
}
