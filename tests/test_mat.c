/*
 * Tests of distributed dense matrices (lib/mat.c, lib/mat_redist.c): every rank knows every
 * entry from a formula f(i, j), so distribution, fill, scatter/gather, redistribution between
 * every pair of a set of distributions (2-D block, cyclic, block sizes that do not divide the
 * size, source offsets, 1-D rows and columns, sub-matrix offsets) and transpose are checked
 * entry by entry; GEMV against a serial loop. Sizes include 0, 1 and primes; bad arguments on
 * one rank or all must fail everywhere with the same code and never hang.
 */
#include "dc_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

typedef struct {
    uint64_t seed;
    int64_t n; /* columns, to number the entries */
} gen_t;

static double fval(const gen_t *g, int64_t i, int64_t j)
{
    return dct_rand(g->seed, (uint64_t)(i * 1000003 + j));
}

static double fill_fn(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    return fval(ctx, i, j);
}

/* A distribution recipe: grid (0 = near-square), blocks (0 = 2-D block), sources, offsets. */
typedef struct {
    int pr, pc;
    int64_t mb, nb;
    int rsrc, csrc; /* -1: last grid row / column */
    int64_t ioff, joff;
    const char *name;
} spec_t;

static const spec_t specs[] = {
    {0, 0, 0, 0, 0, 0, 0, 0, "2-D block"},
    {0, 0, 1, 1, 0, 0, 0, 0, "2-D cyclic"},
    {0, 0, 2, 3, -1, -1, 0, 0, "bc(2,3) src last"},
    {0, 0, 4, 5, 0, -1, 3, 1, "bc(4,5) offsets (3,1)"},
    {-1, 1, 0, 0, 0, 0, 0, 0, "1-D rows"},
    {1, -1, 0, 0, 0, 0, 0, 0, "1-D columns"},
    {-1, 1, 3, 7, -1, 0, 0, 0, "P x 1 bc(3,7)"},
};
#define NSPECS ((int)(sizeof(specs) / sizeof(specs[0])))

static dc_mat_dist_t dist_of(const spec_t *s, int64_t m, int64_t n)
{
    dc_mat_dist_t d;

    memset(&d, 0, sizeof(d));
    d.m = m;
    d.n = n;
    if (s->pr == 0)
        dct_near_square(dct_size, &d.nprow, &d.npcol);
    else {
        d.nprow = s->pr < 0 ? dct_size : s->pr;
        d.npcol = s->pc < 0 ? dct_size : s->pc;
    }
    d.mb = s->mb;
    d.nb = s->nb;
    d.rsrc = s->rsrc < 0 ? d.nprow - 1 : s->rsrc;
    d.csrc = s->csrc < 0 ? d.npcol - 1 : s->csrc;
    d.ioff = s->ioff;
    d.joff = s->joff;
    return d;
}

static dc_mat_t *make_mat(dc_env_t *env, const spec_t *s, int64_t m, int64_t n)
{
    dc_mat_dist_t d = dist_of(s, m, n);
    dc_mat_t *a = NULL;
    int rc = dc_mat_create_dist(env, &d, &a);

    if (!dct_all(rc == DC_SUCCESS)) {
        fprintf(stderr, "[rank %d] create %s %lldx%lld: %s\n", dct_rank, s->name, (long long)m,
                (long long)n, dc_env_last_error(env));
        CU_FAIL("dc_mat_create_dist failed");
        dc_mat_destroy(&a);
        return NULL;
    }
    return a;
}

/* Local entries of a against the formula (transposed when trans). Local; 1 if all match. */
static int check_local(const dc_mat_t *a, const gen_t *g, int trans, const char *what)
{
    const double *x = NULL;
    size_t ml = 0, nl = 0, lld = 0, i, j;
    int ok = 1;

    if (dc_mat_get_local_size(a, &ml, &nl, &lld) != DC_SUCCESS ||
        dc_mat_get_array_read(a, &x, &lld) != DC_SUCCESS)
        return 0;
    for (j = 0; j < nl && ok; j++)
        for (i = 0; i < ml && ok; i++) {
            dc_gidx_t gi = -1, gj = -1;
            double want;
            if (dc_mat_local_to_global(a, i, j, &gi, &gj) != DC_SUCCESS) {
                ok = 0;
                break;
            }
            want = trans ? fval(g, gj, gi) : fval(g, gi, gj);
            if (!dct_same_bits(x[i + j * lld], want)) {
                fprintf(stderr, "[rank %d] %s: local (%zu,%zu) = global (%lld,%lld): %g, want %g\n",
                        dct_rank, what, i, j, (long long)gi, (long long)gj, x[i + j * lld], want);
                ok = 0;
            }
        }
    dc_mat_restore_array_read(a, &x);
    return ok;
}

/* Gather on every rank and compare the whole matrix; collective. */
static int check_gathered(const dc_mat_t *a, const gen_t *g, int trans, const char *what)
{
    dc_mat_dist_t d;
    double *full;
    int64_t i, j;
    int ok = 1, rc;

    dc_mat_get_dist(a, &d);
    full = malloc(sizeof(double) * (size_t)(d.m * d.n + 1));
    rc = dc_mat_gather(a, -1, full, (size_t)(d.m > 0 ? d.m : 1));
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] %s: gather: %s\n", dct_rank, what, dc_env_last_error(NULL));
        ok = 0;
    }
    for (j = 0; j < d.n && ok; j++)
        for (i = 0; i < d.m && ok; i++) {
            double want = trans ? fval(g, j, i) : fval(g, i, j);
            if (!dct_same_bits(full[i + j * d.m], want)) {
                fprintf(stderr, "[rank %d] %s: gathered (%lld,%lld) = %g, want %g\n", dct_rank,
                        what, (long long)i, (long long)j, full[i + j * d.m], want);
                ok = 0;
            }
        }
    free(full);
    return ok;
}

static const int64_t shapes[][2] = {{0, 0}, {0, 5}, {3, 0},   {1, 1},
                                    {1, 7}, {7, 1}, {13, 11}, {37, 29}};
#define NSHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

/* ---------------------------------------------------------------- tests */

static void test_create_fill(void)
{
    dc_env_t *env = dct_env_create();
    int s, h;

    for (s = 0; s < NSPECS && env != NULL; s++)
        for (h = 0; h < NSHAPES; h++) {
            int64_t m = shapes[h][0], n = shapes[h][1];
            gen_t g = {100 + (uint64_t)s, n};
            dc_mat_t *a = make_mat(env, &specs[s], m, n);
            size_t ml = 0, nl = 0, lld = 0;
            unsigned long long mine, total = 0;
            int ok = 1;
            if (a == NULL)
                continue;
            CU_ASSERT(dc_mat_get_local_size(a, &ml, &nl, &lld) == DC_SUCCESS);
            CU_ASSERT(lld >= (ml > 0 ? ml : 1));
            mine = (unsigned long long)ml * nl;
            MPI_Allreduce(&mine, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, dct_comm);
            CU_ASSERT(total == (unsigned long long)(m * n));
            CU_ASSERT(dc_mat_fill(a, fill_fn, &g) == DC_SUCCESS);
            ok = check_local(a, &g, 0, specs[s].name);
            /* owner map: every local entry is found where global_to_local says */
            if (ml > 0 && nl > 0) {
                dc_gidx_t gi, gj;
                int owner = -1;
                size_t li = 0, lj = 0;
                dc_mat_local_to_global(a, ml - 1, nl - 1, &gi, &gj);
                CU_ASSERT(dc_mat_global_to_local(a, gi, gj, &owner, &li, &lj) == DC_SUCCESS);
                CU_ASSERT(owner == dct_rank && li == ml - 1 && lj == nl - 1);
            }
            DCT_ASSERT_ALL(ok);
            DCT_ASSERT_ALL(check_gathered(a, &g, 0, specs[s].name));
            {
                dc_mat_t *b = NULL;
                CU_ASSERT(dc_mat_dup(a, &b) == DC_SUCCESS);
                DCT_ASSERT_ALL(b != NULL && check_local(b, &g, 0, "dup"));
                CU_ASSERT(dc_mat_set_all(b, 2.5) == DC_SUCCESS);
                dc_mat_destroy(&b);
                CU_ASSERT(b == NULL);
            }
            dc_mat_destroy(&a);
        }
    dc_env_destroy(&env);
}

static void test_grid_create(void)
{
    dc_env_t *env = dct_env_create();
    dc_grid_t *grid = NULL;
    dc_mat_t *a = NULL;
    dc_mat_dist_t d;
    gen_t g = {7, 10};

    if (env == NULL)
        return;
    CU_ASSERT(dc_grid_create(env, 1, dct_size, &grid) == DC_SUCCESS);
    CU_ASSERT(dc_mat_create(grid, 9, 10, 2, 2, 0, dct_size - 1, &a) == DC_SUCCESS);
    dc_grid_destroy(&grid); /* the matrix keeps only the grid's shape */
    CU_ASSERT(dc_mat_get_dist(a, &d) == DC_SUCCESS);
    CU_ASSERT(d.nprow == 1 && d.npcol == dct_size && d.mb == 2 && d.csrc == dct_size - 1);
    CU_ASSERT(dc_mat_fill(a, fill_fn, &g) == DC_SUCCESS);
    DCT_ASSERT_ALL(check_gathered(a, &g, 0, "grid 1 x P"));
    dc_mat_destroy(&a);
    dc_env_destroy(&env);
}

static void test_scatter_gather(void)
{
    dc_env_t *env = dct_env_create();
    int s, h, root;

    for (s = 0; s < NSPECS && env != NULL; s++)
        for (h = 0; h < NSHAPES; h += 2) {
            int64_t m = shapes[h][0], n = shapes[h][1], i, j;
            size_t lda = (size_t)m + 3; /* a leading dimension larger than m */
            gen_t g = {200 + (uint64_t)s, n};
            double *full = malloc(sizeof(double) * (lda * (size_t)n + 1));
            dc_mat_t *a = make_mat(env, &specs[s], m, n);
            if (a == NULL) {
                free(full);
                continue;
            }
            root = (s + h) % dct_size;
            for (j = 0; j < n; j++)
                for (i = 0; i < (int64_t)lda; i++)
                    full[i + j * lda] = i < m ? fval(&g, i, j) : -99.0;
            CU_ASSERT(dc_mat_scatter(a, root, dct_rank == root ? full : NULL, lda) == DC_SUCCESS);
            DCT_ASSERT_ALL(check_local(a, &g, 0, "scatter"));
            /* gather to another root: only the m rows of each column are written */
            memset(full, 0, sizeof(double) * (lda * (size_t)n + 1));
            root = (root + 1) % dct_size;
            CU_ASSERT(dc_mat_gather(a, root, dct_rank == root ? full : NULL, lda) == DC_SUCCESS);
            if (dct_rank == root) {
                int ok = 1;
                for (j = 0; j < n; j++)
                    for (i = 0; i < (int64_t)lda; i++)
                        if (!dct_same_bits(full[i + j * lda], i < m ? fval(&g, i, j) : 0.0))
                            ok = 0;
                CU_ASSERT(ok);
            }
            /* and to every rank, still with lda > m */
            memset(full, 0, sizeof(double) * (lda * (size_t)n + 1));
            CU_ASSERT(dc_mat_gather(a, -1, full, lda) == DC_SUCCESS);
            {
                int ok = 1;
                for (j = 0; j < n; j++)
                    for (i = 0; i < (int64_t)lda; i++)
                        if (!dct_same_bits(full[i + j * lda], i < m ? fval(&g, i, j) : 0.0))
                            ok = 0;
                DCT_ASSERT_ALL(ok);
            }
            free(full);
            dc_mat_destroy(&a);
        }
    dc_env_destroy(&env);
}

static void test_redistribute(void)
{
    dc_env_t *env = dct_env_create();
    int s, t, h;
    static const int64_t rshapes[][2] = {{0, 4}, {1, 1}, {5, 3}, {13, 11}, {31, 37}};

    for (h = 0; h < 5 && env != NULL; h++)
        for (s = 0; s < NSPECS; s++)
            for (t = 0; t < NSPECS; t++) {
                int64_t m = rshapes[h][0], n = rshapes[h][1];
                gen_t g = {300 + (uint64_t)(s * 10 + t), n};
                dc_mat_t *a = make_mat(env, &specs[s], m, n);
                dc_mat_t *b = make_mat(env, &specs[t], m, n);
                dc_mat_t *bt = make_mat(env, &specs[t], n, m);
                char what[128];
                if (a != NULL && b != NULL && bt != NULL) {
                    dc_mat_fill(a, fill_fn, &g);
                    dc_mat_set_all(b, NAN);
                    snprintf(what, sizeof(what), "redistribute %s -> %s (%lldx%lld)", specs[s].name,
                             specs[t].name, (long long)m, (long long)n);
                    CU_ASSERT(dc_mat_redistribute(a, b) == DC_SUCCESS);
                    DCT_ASSERT_ALL(check_local(b, &g, 0, what));
                    snprintf(what, sizeof(what), "transpose %s -> %s (%lldx%lld)", specs[s].name,
                             specs[t].name, (long long)m, (long long)n);
                    CU_ASSERT(dc_mat_transpose(a, bt) == DC_SUCCESS);
                    DCT_ASSERT_ALL(check_local(bt, &g, 1, what));
                }
                dc_mat_destroy(&a);
                dc_mat_destroy(&b);
                dc_mat_destroy(&bt);
            }
    dc_env_destroy(&env);
}

static void test_view(void)
{
    /* A view of the sub-matrix (ia, ja) of a bc(3,2) matrix must see exactly its entries. */
    dc_env_t *env = dct_env_create();
    const int64_t M = 17, N = 13, ia = 4, ja = 3, m = 10, n = 7;
    spec_t big = {0, 0, 3, 2, 0, 0, 0, 0, "big"};
    dc_mat_t *A = NULL, *V = NULL, *B = NULL;
    dc_mat_dist_t d;
    gen_t g = {400, N};
    double *data = NULL;
    size_t lld = 0, ml = 0, nl = 0, i, j, lo_i = 0, lo_j = 0;
    int found_i = 0, found_j = 0;

    if (env == NULL)
        return;
    A = make_mat(env, &big, M, N);
    if (A == NULL) {
        dc_env_destroy(&env);
        return;
    }
    dc_mat_fill(A, fill_fn, &g);
    dc_mat_get_dist(A, &d);
    dc_mat_get_local_size(A, &ml, &nl, NULL);
    /* the sub-matrix's first local row/column: the first local index with global >= ia/ja */
    for (i = 0; i < ml; i++) {
        dc_gidx_t gi;
        dc_mat_local_to_global(A, i, 0 < nl ? 0 : 0, &gi, NULL);
        if (gi >= ia) {
            lo_i = i;
            found_i = 1;
            break;
        }
    }
    for (j = 0; j < nl; j++) {
        dc_gidx_t gj;
        dc_mat_local_to_global(A, 0, j, NULL, &gj);
        if (gj >= ja) {
            lo_j = j;
            found_j = 1;
            break;
        }
    }
    if (!found_i)
        lo_i = ml;
    if (!found_j)
        lo_j = nl;
    CU_ASSERT(dc_mat_get_array(A, &data, &lld) == DC_SUCCESS);
    d.m = m;
    d.n = n;
    d.rsrc = (int)((d.rsrc + ia / d.mb) % d.nprow);
    d.csrc = (int)((d.csrc + ja / d.nb) % d.npcol);
    d.ioff = ia % d.mb;
    d.joff = ja % d.nb;
    CU_ASSERT(dc_mat_create_view(env, &d, data + lo_i + lo_j * lld, lld, &V) == DC_SUCCESS);
    /* the view's entries are A(ia + i, ja + j): compare with a redistributed copy */
    B = make_mat(env, &specs[0], m, n);
    if (V != NULL && B != NULL) {
        double *full = malloc(sizeof(double) * (size_t)(m * n));
        int ok = 1;
        int64_t x, y;
        CU_ASSERT(dc_mat_redistribute(V, B) == DC_SUCCESS);
        CU_ASSERT(dc_mat_gather(B, -1, full, (size_t)m) == DC_SUCCESS);
        for (y = 0; y < n; y++)
            for (x = 0; x < m; x++)
                if (!dct_same_bits(full[x + y * m], fval(&g, ia + x, ja + y)))
                    ok = 0;
        DCT_ASSERT_ALL(ok);
        free(full);
    }
    dc_mat_destroy(&V);
    dc_mat_restore_array(A, &data);
    dc_mat_destroy(&B);
    dc_mat_destroy(&A);
    dc_env_destroy(&env);
}

static double vfill(dc_gidx_t g, void *ctx)
{
    return dct_rand(*(uint64_t *)ctx, (uint64_t)g);
}

static void test_gemv(void)
{
    dc_env_t *env = dct_env_create();
    static const int64_t gshapes[][2] = {{0, 3}, {3, 0}, {1, 1}, {7, 5}, {23, 29}};
    int s, h, op, lk;

    for (h = 0; h < 5 && env != NULL; h++)
        for (s = 0; s < NSPECS; s += 2)
            for (op = 0; op < 2; op++)
                for (lk = 0; lk < 2; lk++) {
                    int64_t m = gshapes[h][0], n = gshapes[h][1], i, j;
                    int64_t xn = op ? m : n, yn = op ? n : m;
                    gen_t g = {500 + (uint64_t)s, n};
                    uint64_t xs = 11, ys = 12;
                    dc_mat_t *a = make_mat(env, &specs[s], m, n);
                    dc_layout_t *xl = NULL, *yl = NULL;
                    dc_vec_t *x = NULL, *y = NULL;
                    double alpha = 1.5, beta = lk ? 0.0 : -0.5;
                    double *yg = malloc(sizeof(double) * (size_t)(yn + 1));
                    int ok = 1;
                    if (lk == 0) {
                        dc_layout_create_block(env, xn, &xl);
                        dc_layout_create_cyclic(env, yn, &yl);
                    } else {
                        dc_layout_create_block_cyclic(env, xn, 2, &xl);
                        dc_layout_create_block(env, yn, &yl);
                    }
                    dc_vec_create(xl, &x);
                    dc_vec_create(yl, &y);
                    dc_layout_destroy(&xl);
                    dc_layout_destroy(&yl);
                    if (a == NULL || x == NULL || y == NULL) {
                        CU_FAIL("setup");
                    } else {
                        dc_mat_fill(a, fill_fn, &g);
                        dc_vec_fill(x, vfill, &xs);
                        dc_vec_fill(y, vfill, &ys);
                        if (lk) /* beta = 0 must ignore NaN in y */
                            dc_vec_set_all(y, NAN);
                        CU_ASSERT(dc_mat_gemv(op ? DC_MAT_TRANS : DC_MAT_NOTRANS, alpha, a, x, beta,
                                              y) == DC_SUCCESS);
                        CU_ASSERT(dc_vec_gather(y, -1, yg) == DC_SUCCESS);
                        for (i = 0; i < yn; i++) {
                            double sum = 0.0, mag = 0.0, want;
                            for (j = 0; j < xn; j++) {
                                double aij = op ? fval(&g, j, i) : fval(&g, i, j);
                                double p = aij * dct_rand(xs, (uint64_t)j);
                                sum += p;
                                mag += fabs(p);
                            }
                            want = alpha * sum +
                                   (beta != 0.0 ? beta * dct_rand(ys, (uint64_t)i) : 0.0);
                            if (!(fabs(yg[i] - want) <= 8.0 * DBL_EPSILON * (xn + 2) * (mag + 1)))
                                ok = 0;
                        }
                        DCT_ASSERT_ALL(ok);
                    }
                    free(yg);
                    dc_vec_destroy(&x);
                    dc_vec_destroy(&y);
                    dc_mat_destroy(&a);
                }
    dc_env_destroy(&env);
}

static void test_errors(void)
{
    dc_env_t *env = dct_env_create(), *env2 = dct_env_create();
    dc_mat_t *a = NULL, *b = NULL, *c2 = NULL, *out = NULL;
    dc_mat_dist_t d;
    dc_grid_t *grid = NULL;
    double *arr = NULL, buf[64];
    size_t lld;
    int rc;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    a = make_mat(env, &specs[0], 6, 5);
    b = make_mat(env, &specs[1], 6, 5);
    c2 = make_mat(env2, &specs[0], 6, 5);
    dc_grid_create(env, 0, 0, &grid);
    /* NULL handles and outputs (on every rank) */
    CU_ASSERT(dc_mat_create(NULL, 3, 3, 1, 1, 0, 0, &out) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_create(grid, 3, 3, 1, 1, 0, 0, NULL) == DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
    CU_ASSERT(dc_mat_create_dist(env, NULL, &out) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_redistribute(NULL, b) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_get_dist(a, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_get_array(NULL, &arr, &lld) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_fill(a, NULL, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_destroy(NULL) == DC_SUCCESS);
    /* negative sizes, bad sources, grids that do not match the ranks */
    CU_ASSERT(dc_mat_create(grid, -1, 3, 1, 1, 0, 0, &out) == DC_ERR_SIZE);
    CU_ASSERT(dc_mat_create(grid, 3, 3, -2, 1, 0, 0, &out) == DC_ERR_SIZE);
    CU_ASSERT(dc_mat_create(grid, 3, 3, 1, 1, 0, 99, &out) == DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
    d = dist_of(&specs[0], 4, 4);
    d.nprow = dct_size + 1;
    CU_ASSERT(dc_mat_create_dist(env, &d, &out) == DC_ERR_SIZE);
    d = dist_of(&specs[0], 4, 4);
    d.ioff = 5;
    d.mb = 2;
    CU_ASSERT(dc_mat_create_dist(env, &d, &out) == DC_ERR_ARG);
    /* a size that differs on one rank fails on all */
    rc = dc_mat_create(grid, dct_rank == dct_size - 1 ? 8 : 7, 3, 2, 2, 0, 0, &out);
    DCT_ASSERT_ALL(dct_size > 1 ? rc == DC_ERR_SIZE : rc == DC_SUCCESS);
    dc_mat_destroy(&out);
    CU_ASSERT(out == NULL);
    /* a NULL dist on one rank only */
    d = dist_of(&specs[0], 4, 4);
    rc = dc_mat_create_dist(env, dct_rank == 0 ? NULL : &d, &out);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    dc_mat_destroy(&out);
    /* mismatched shapes, different envs */
    {
        dc_mat_t *t = make_mat(env, &specs[0], 5, 6);
        CU_ASSERT(dc_mat_redistribute(a, t) == DC_ERR_SIZE);
        CU_ASSERT(dc_mat_transpose(a, b) == DC_ERR_SIZE);
        CU_ASSERT(dc_mat_transpose(t, t) == DC_ERR_SIZE);
        CU_ASSERT(dc_mat_redistribute(a, c2) == DC_ERR_COMM);
        CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
        dc_mat_destroy(&t);
    }
    /* borrowed on one rank only: every rank fails, nobody hangs */
    if (dct_rank == 0)
        CU_ASSERT(dc_mat_get_array(b, &arr, &lld) == DC_SUCCESS);
    rc = dc_mat_redistribute(a, b);
    DCT_ASSERT_ALL(rc == DC_ERR_STATE);
    CU_ASSERT(dc_mat_get_array(b, &arr, &lld) == (dct_rank == 0 ? DC_ERR_STATE : DC_SUCCESS));
    CU_ASSERT(dc_mat_restore_array(b, &arr) == DC_SUCCESS);
    CU_ASSERT(dc_mat_restore_array(b, &arr) == DC_ERR_STATE);
    /* scatter/gather arguments */
    CU_ASSERT(dc_mat_scatter(a, dct_size, buf, 6) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_scatter(a, 0, buf, 5) == DC_ERR_ARG);
    rc = dc_mat_scatter(a, 0, NULL, 6);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    CU_ASSERT(dc_mat_gather(a, -2, buf, 6) == DC_ERR_ARG);
    /* a view with a short leading dimension or no data */
    d = dist_of(&specs[1], 6, 5);
    rc = dc_mat_create_view(env, &d, buf, 0, &out);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    /* GEMV: lengths, same vector, different envs */
    {
        dc_layout_t *l5 = NULL, *l6 = NULL, *l6b = NULL;
        dc_vec_t *x5 = NULL, *y6 = NULL, *z6 = NULL;
        dc_layout_create_block(env, 5, &l5);
        dc_layout_create_block(env, 6, &l6);
        dc_layout_create_block(env2, 6, &l6b);
        dc_vec_create(l5, &x5);
        dc_vec_create(l6, &y6);
        dc_vec_create(l6b, &z6);
        CU_ASSERT(dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, x5, 0.0, y6) == DC_SUCCESS);
        CU_ASSERT(dc_mat_gemv(DC_MAT_TRANS, 1.0, a, x5, 0.0, y6) == DC_ERR_SIZE);
        CU_ASSERT(dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, x5, 0.0, z6) == DC_ERR_COMM);
        CU_ASSERT(dc_mat_gemv((dc_mat_op_t)7, 1.0, a, x5, 0.0, y6) == DC_ERR_ARG);
        CU_ASSERT(dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, NULL, 0.0, y6) == DC_ERR_ARG);
        dc_vec_destroy(&x5);
        dc_vec_destroy(&y6);
        dc_vec_destroy(&z6);
        dc_layout_destroy(&l5);
        dc_layout_destroy(&l6);
        dc_layout_destroy(&l6b);
    }
    dc_grid_destroy(&grid);
    dc_mat_destroy(&a);
    dc_mat_destroy(&b);
    dc_mat_destroy(&c2);
    dc_env_destroy(&env);
    dc_env_destroy(&env2);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("mat", NULL, NULL);

    CU_add_test(s, "create, fill, owners, dup (all distributions)", test_create_fill);
    CU_add_test(s, "create on a dc_grid_t", test_grid_create);
    CU_add_test(s, "scatter/gather with lda > m", test_scatter_gather);
    CU_add_test(s, "redistribute and transpose, every pair", test_redistribute);
    CU_add_test(s, "sub-matrix view", test_view);
    CU_add_test(s, "gemv", test_gemv);
    CU_add_test(s, "errors", test_errors);
}
