/*
 * Tests of the agreement rule on bad and edge input (docs/conventions.md): the matrix
 * collectives agree on their arguments in every mode, not only in debug mode (alpha, beta, ops,
 * GEMM options, root, lda, the matrices and vectors themselves differing on one rank); an operand
 * of another env on one rank fails on every rank where the env-defining operand is the same;
 * messages name the rank that differs; optional outputs; weights whose sum overflows; sizes
 * that cannot be allocated. Every failure is followed by a correct call checked against a
 * serial reference, so the env is known to still work.
 */
#include "dc_test.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* An env with debug mode off (the test runner turns it on): the rule must hold without it. */
static dc_env_t *env_nodebug(void)
{
    dc_env_t *env = dct_env_create();

    if (env != NULL && dc_env_set_debug(env, 0) != DC_SUCCESS) {
        CU_FAIL("dc_env_set_debug");
        dc_env_destroy(&env);
    }
    return env;
}

/* m x n matrix, 2-D block-cyclic with blocks mb x nb (0: pure block), filled from seed. */
static dc_mat_t *make_mat(dc_env_t *env, int64_t m, int64_t n, int64_t mb, uint64_t seed)
{
    dc_mat_dist_t d;
    dc_mat_t *a = NULL;

    memset(&d, 0, sizeof(d));
    d.m = m;
    d.n = n;
    d.mb = d.nb = mb;
    dct_near_square(dct_size, &d.nprow, &d.npcol);
    if (dc_mat_create_dist(env, &d, &a) != DC_SUCCESS) {
        CU_FAIL("dc_mat_create_dist");
        return NULL;
    }
    if (dc_mat_fill(a, dct_mat_entry, &seed) != DC_SUCCESS)
        CU_FAIL("dc_mat_fill");
    return a;
}

/* rc is the same on every rank and equals want. */
static void expect_all(int rc, int want)
{
    int mm[2] = {rc, -rc}, out[2];

    MPI_Allreduce(mm, out, 2, MPI_INT, MPI_MAX, dct_comm);
    CU_ASSERT(out[0] == -out[1]); /* same code everywhere */
    DCT_ASSERT_ALL(rc == want);
}

/* The env's last message names rank r as the one that differs ("rank R has"). */
static void expect_names_rank(dc_env_t *env, int r)
{
    char want[32];

    snprintf(want, sizeof(want), "rank %d has", r);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(env), want) != NULL);
}

/* Full copy of a matrix on every rank (column-major, lda = m). */
static double *full(const dc_mat_t *a, int64_t m, int64_t n)
{
    double *g = malloc(sizeof(double) * (size_t)(m * n + 1));
    int rc = dc_mat_gather(a, -1, g, (size_t)(m > 0 ? m : 1));

    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    return g;
}

static int same_array(const double *x, const double *y, size_t n)
{
    return memcmp(x, y, sizeof(double) * n) == 0;
}

/* C = alpha A B + beta C0 on every rank against OpenBLAS on the full matrices. */
static void check_gemm(dc_mat_t *A, dc_mat_t *B, dc_mat_t *C, int64_t n, double alpha, double beta)
{
    double *a = full(A, n, n), *b = full(B, n, n), *c0 = full(C, n, n), *c;
    double err = 0.0;
    int rc, i;

    rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, alpha, A, B, beta, C);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    c = full(C, n, n);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, alpha, a, (int)n,
                b, (int)n, beta, c0, (int)n);
    for (i = 0; i < n * n; i++)
        err = fmax(err, fabs(c[i] - c0[i]));
    DCT_ASSERT_ALL(err < 1e-12 * (double)n);
    free(a);
    free(b);
    free(c0);
    free(c);
}

/* ---------------------------------------------------------------- GEMM */

/*
 * Without debug mode (and with it), arguments that differ on the last rank fail on every rank
 * with the same code, before anything is computed (C unchanged), and the message names the rank.
 */
static void test_gemm_args(void)
{
    const int64_t n = 9;
    const int last = dct_rank == dct_size - 1 && dct_size > 1, odd = dct_size - 1;
    dc_env_t *env = env_nodebug();
    dc_mat_t *A, *B, *C;
    dc_gemm_params_t prm, *pp;
    double *c0, *c1;
    int rc, round;

    if (env == NULL)
        return;
    A = make_mat(env, n, n, 2, 1);
    B = make_mat(env, n, n, 3, 2);
    C = make_mat(env, n, n, 0, 3);
    c0 = full(C, n, n);
    /* rounds 0-11 without debug mode, 12-23 the same with it: the same outcome */
    for (round = 0; round < 24 && dct_size > 1; round++) {
        double alpha = 1.5, beta = 0.5;
        dc_mat_op_t opa = DC_MAT_NOTRANS, opb = DC_MAT_NOTRANS;
        int want = DC_ERR_ARG;
        const char *what = "";

        memset(&prm, 0, sizeof(prm));
        pp = &prm;
        if (round % 12 == 0)
            CU_ASSERT(dc_env_set_debug(env, round / 12) == DC_SUCCESS);
        switch (round % 12) {
        case 0: what = "alpha", alpha = last ? 2.5 : 1.5; break;
        case 1: what = "beta", beta = last ? 0.0 : 0.5; break;
        case 2: what = "opa", opa = last ? DC_MAT_TRANS : DC_MAT_NOTRANS; break;
        case 3: what = "opb", opb = last ? DC_MAT_TRANS : DC_MAT_NOTRANS; break;
        case 4:
            what = "panel";
            prm.field_mask = DC_GEMM_PARAM_PANEL;
            prm.panel = last ? 2 : 3;
            break;
        case 5:
            what = "repro";
            prm.field_mask = DC_GEMM_PARAM_REPRO;
            prm.repro = last ? DC_REPRO_BINNED : DC_REPRO_OFF;
            break;
        case 6:
            what = "grid";
            prm.field_mask = DC_GEMM_PARAM_GRID;
            prm.nprow = last ? dct_size : 1;
            prm.npcol = last ? 1 : dct_size;
            prm.nlayers = 1;
            break;
        case 7:
            what = "mem_limit";
            prm.field_mask = DC_GEMM_PARAM_MEM_LIMIT;
            prm.mem_limit = last ? ((size_t)1 << 40) : 0;
            break;
        case 8:
            what = "algo";
            prm.field_mask = DC_GEMM_PARAM_ALGO;
            prm.algo = last ? DC_GEMM_SPLITK : DC_GEMM_SUMMA;
            break;
        case 9:
            what = "tile";
            prm.field_mask = DC_GEMM_PARAM_TILE | DC_GEMM_PARAM_REPRO;
            prm.repro = DC_REPRO_BINNED;
            prm.tile_m = prm.tile_n = prm.tile_k = last ? 4 : 3;
            break;
        case 10: /* only C borrowed on one rank: an agreed local failure */
            what = "C";
            want = DC_ERR_STATE;
            break;
        case 11: /* params NULL on some ranks, the same effective values on the others: fine */
            pp = last ? &prm : NULL;
            prm.field_mask = DC_GEMM_PARAM_REPRO | DC_GEMM_PARAM_MEM_LIMIT;
            prm.repro = DC_REPRO_DEFAULT;
            want = DC_SUCCESS;
            break;
        }
        {
            double *arr = NULL;
            if (round % 12 == 10 && last)
                CU_ASSERT(dc_mat_get_array(C, &arr, NULL) == DC_SUCCESS);
            rc = dc_mat_gemm_ex(opa, opb, alpha, A, B, beta, C, pp, NULL);
            if (arr != NULL)
                CU_ASSERT(dc_mat_restore_array(C, &arr) == DC_SUCCESS);
        }
        expect_all(rc, want);
        if (rc != want && dct_rank == 0)
            fprintf(stderr, "gemm, %s differs: rc %d: %s\n", what, rc, dc_env_last_error(env));
        if (want == DC_ERR_ARG)
            expect_names_rank(env, odd);
        if (want != DC_SUCCESS) { /* nothing was computed */
            c1 = full(C, n, n);
            DCT_ASSERT_ALL(same_array(c0, c1, (size_t)(n * n)));
            free(c1);
        } else {
            free(c0);
            c0 = full(C, n, n);
        }
    }
    check_gemm(A, B, C, n, 1.25, -0.5);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    free(c0);
    dc_env_destroy(&env);
}

/*
 * C defines the communicator: A or B from another env on the last rank fails with DC_ERR_COMM
 * on every rank (debug mode or not); the others' message names the failing rank.
 */
static void test_gemm_other_env(void)
{
    const int64_t n = 7;
    const int last = dct_rank == dct_size - 1;
    dc_env_t *env = env_nodebug(), *env2 = dct_env_create();
    dc_mat_t *A = NULL, *B = NULL, *C = NULL, *A2 = NULL, *B2 = NULL;
    char on[32];
    int rc, debug;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    A = make_mat(env, n, n, 2, 11);
    B = make_mat(env, n, n, 0, 12);
    C = make_mat(env, n, n, 3, 13);
    A2 = make_mat(env2, n, n, 2, 11);
    B2 = make_mat(env2, n, n, 0, 12);
    snprintf(on, sizeof(on), "on rank %d: ", dct_size - 1);
    for (debug = 0; debug < 2; debug++) {
        CU_ASSERT(dc_env_set_debug(env, debug) == DC_SUCCESS);
        rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, last ? A2 : A, B, 0.0, C);
        expect_all(rc, DC_ERR_COMM);
        if (!last)
            CU_ASSERT(strstr(dc_env_last_error(env), on) != NULL);
        rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, last ? B2 : B, 0.0, C);
        expect_all(rc, DC_ERR_COMM);
    }
    check_gemm(A, B, C, n, 1.0, 0.0);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    dc_mat_destroy(&A2);
    dc_mat_destroy(&B2);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- scatter, gather, copies */

static void test_scatter_gather_args(void)
{
    const int64_t m = 6, n = 5;
    const int last = dct_rank == dct_size - 1 && dct_size > 1, odd = dct_size - 1;
    dc_env_t *env = env_nodebug();
    dc_mat_t *a;
    double g[64], h[64];
    int rc, i;

    if (env == NULL)
        return;
    a = make_mat(env, m, n, 2, 21);
    for (i = 0; i < 64; i++)
        g[i] = dct_rand(22, (uint64_t)i);
    if (dct_size > 1) {
        /* root differs: 0 on all but the last, 1 there */
        rc = dc_mat_scatter(a, last ? 1 : 0, g, (size_t)m);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, odd);
        rc = dc_mat_gather(a, last ? 1 : 0, h, (size_t)m);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, odd);
        /* root -1 on one rank: scatter has no "all" (invalid), gather's differs from 0 */
        rc = dc_mat_scatter(a, last ? -1 : 0, g, (size_t)m);
        expect_all(rc, DC_ERR_ARG);
        rc = dc_mat_gather(a, last ? -1 : 0, h, (size_t)m);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, odd);
        /* lda differs */
        rc = dc_mat_scatter(a, 0, g, last ? (size_t)m + 1 : (size_t)m);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, odd);
        rc = dc_mat_gather(a, -1, h, last ? (size_t)m + 2 : (size_t)m);
        expect_all(rc, DC_ERR_ARG);
    }
    /* and the env still works: scatter from the last rank, gather everywhere */
    rc = dc_mat_scatter(a, dct_size - 1, g, (size_t)m + 1);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    memset(h, 0, sizeof(h));
    rc = dc_mat_gather(a, -1, h, (size_t)m);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (i = 0; i < m * n; i++)
        CU_ASSERT(h[i] == g[(i / m) * (m + 1) + i % m]);
    dc_mat_destroy(&a);
    dc_env_destroy(&env);
}

/*
 * a defines the communicator of redistribute and transpose; b of another env, or a different b
 * (another distribution) on the last rank, fails on every rank.
 */
static void test_redistribute_args(void)
{
    const int64_t m = 7, n = 5;
    const int last = dct_rank == dct_size - 1;
    dc_env_t *env = env_nodebug(), *env2 = dct_env_create();
    dc_mat_t *a = NULL, *b = NULL, *b1 = NULL, *b2 = NULL, *t = NULL, *t2 = NULL;
    double *ga, *gb;
    int rc, i, j;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    a = make_mat(env, m, n, 2, 31);
    b = make_mat(env, m, n, 3, 32);
    b1 = make_mat(env, m, n, 1, 33);
    b2 = make_mat(env2, m, n, 3, 34);
    t = make_mat(env, n, m, 2, 35);
    t2 = make_mat(env2, n, m, 2, 36);
    rc = dc_mat_redistribute(a, last ? b2 : b);
    expect_all(rc, DC_ERR_COMM);
    rc = dc_mat_transpose(a, last ? t2 : t);
    expect_all(rc, DC_ERR_COMM);
    if (dct_size > 1) {
        rc = dc_mat_redistribute(a, last ? b1 : b);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, dct_size - 1);
    }
    rc = dc_mat_redistribute(a, b);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    rc = dc_mat_transpose(a, t);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    ga = full(a, m, n);
    gb = full(b, m, n);
    DCT_ASSERT_ALL(same_array(ga, gb, (size_t)(m * n)));
    free(gb);
    gb = full(t, n, m);
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            CU_ASSERT(gb[j + i * n] == ga[i + j * m]);
    free(ga);
    free(gb);
    dc_mat_destroy(&a);
    dc_mat_destroy(&b);
    dc_mat_destroy(&b1);
    dc_mat_destroy(&b2);
    dc_mat_destroy(&t);
    dc_mat_destroy(&t2);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

static double vfill(dc_gidx_t g, void *ctx)
{
    return dct_rand(*(const uint64_t *)ctx, (uint64_t)g);
}

static dc_vec_t *make_vec(dc_env_t *env, int64_t n, int cyclic, uint64_t seed)
{
    dc_layout_t *l = NULL;
    dc_vec_t *v = NULL;
    int rc = cyclic ? dc_layout_create_cyclic(env, n, &l) : dc_layout_create_block(env, n, &l);

    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &v);
    dc_layout_destroy(&l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(v, vfill, &seed);
    if (rc != DC_SUCCESS)
        CU_FAIL("make_vec");
    return v;
}

/* A defines the communicator of GEMV: x or y of another env, a different x layout, alpha
 * differing on the last rank fail on every rank; then a right GEMV against the reference. */
static void test_gemv_args(void)
{
    const int64_t m = 7, n = 6;
    const int last = dct_rank == dct_size - 1;
    dc_env_t *env = env_nodebug(), *env2 = dct_env_create();
    dc_mat_t *a = NULL;
    dc_vec_t *x = NULL, *xc = NULL, *y = NULL, *x2 = NULL, *y2 = NULL;
    double *ga, gx[16], gy[16], ref[16];
    int rc, i, j;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    a = make_mat(env, m, n, 2, 41);
    x = make_vec(env, n, 0, 42);
    xc = make_vec(env, n, 1, 42);
    y = make_vec(env, m, 1, 43);
    x2 = make_vec(env2, n, 0, 42);
    y2 = make_vec(env2, m, 1, 43);
    rc = dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, last ? x2 : x, 0.0, y);
    expect_all(rc, DC_ERR_COMM);
    rc = dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, x, 0.0, last ? y2 : y);
    expect_all(rc, DC_ERR_COMM);
    if (dct_size > 1) {
        rc = dc_mat_gemv(DC_MAT_NOTRANS, last ? 2.0 : 1.0, a, x, 0.0, y);
        expect_all(rc, DC_ERR_ARG);
        expect_names_rank(env, dct_size - 1);
        rc = dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, last ? xc : x, 0.0, y);
        expect_all(rc, DC_ERR_ARG);
    }
    /* y borrowed on the last rank: DC_ERR_STATE everywhere, and the message names the call and
     * the argument (not the internal dc_vec_get_array and its "x") */
    {
        double *ya = NULL;
        const char *msg;

        if (last && dc_vec_get_array(y, &ya) != DC_SUCCESS)
            CU_FAIL("dc_vec_get_array");
        rc = dc_mat_gemv(DC_MAT_NOTRANS, 1.0, a, x, 0.0, y);
        if (last && dc_vec_restore_array(y, &ya) != DC_SUCCESS)
            CU_FAIL("dc_vec_restore_array");
        expect_all(rc, DC_ERR_STATE);
        msg = dc_env_last_error(env);
        DCT_ASSERT_ALL(strstr(msg, "dc_mat_gemv") != NULL && strstr(msg, "y is borrowed") != NULL);
    }
    rc = dc_mat_gemv(DC_MAT_NOTRANS, 1.5, a, xc, 0.0, y);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    ga = full(a, m, n);
    DCT_ASSERT_ALL(dc_vec_gather(xc, -1, gx) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_gather(y, -1, gy) == DC_SUCCESS);
    for (i = 0; i < m; i++) {
        ref[i] = 0.0;
        for (j = 0; j < n; j++)
            ref[i] += ga[i + j * m] * gx[j];
        CU_ASSERT(fabs(gy[i] - 1.5 * ref[i]) < 1e-13);
    }
    free(ga);
    dc_mat_destroy(&a);
    dc_vec_destroy(&x);
    dc_vec_destroy(&xc);
    dc_vec_destroy(&y);
    dc_vec_destroy(&x2);
    dc_vec_destroy(&y2);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

/* The vector calls use the first operand's env: a second operand of another env on one rank
 * fails everywhere (dot, redistribute), in both modes. */
static void test_vec_second_operand(void)
{
    const int last = dct_rank == dct_size - 1;
    dc_env_t *env = env_nodebug(), *env2 = dct_env_create();
    dc_vec_t *x = NULL, *y = NULL, *y2 = NULL;
    double d = 0.0, gx[16], gy[16];
    int rc, debug, i;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    x = make_vec(env, 11, 0, 51);
    y = make_vec(env, 11, 1, 52);
    y2 = make_vec(env2, 11, 1, 52);
    for (debug = 0; debug < 2; debug++) {
        CU_ASSERT(dc_env_set_debug(env, debug) == DC_SUCCESS);
        rc = dc_vec_dot(x, last ? y2 : y, &d);
        DCT_ASSERT_ALL(rc == DC_ERR_COMM || (rc == DC_ERR_ARG && !last));
        DCT_ASSERT_ALL(rc != DC_SUCCESS);
        rc = dc_vec_redistribute(x, last ? y2 : y);
        expect_all(rc, DC_ERR_COMM);
    }
    rc = dc_vec_redistribute(x, y);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_gather(x, -1, gx) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_gather(y, -1, gy) == DC_SUCCESS);
    for (i = 0; i < 11; i++)
        CU_ASSERT(gx[i] == gy[i] && gx[i] == dct_rand(51, (uint64_t)i));
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_vec_destroy(&y2);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- messages */

/*
 * A mismatch message names the rank that differs and is the same on every rank: a debug-mode
 * check of a hot-path call, a create, and a setup of the env.
 */
static void test_message_names_rank(void)
{
    const int last = dct_rank == dct_size - 1, odd = dct_size - 1;
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL;
    double in[4] = {1, 2, 3, 4}, out[4], d = 0.0;
    char msg0[640];
    int rc, same;

    if (env == NULL)
        return;
    if (dct_size == 1) {
        dc_env_destroy(&env);
        return;
    }
    CU_ASSERT(dc_env_set_debug(env, 1) == DC_SUCCESS);
    rc = dc_allreduce(env, in, out, last ? 3 : 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    expect_all(rc, DC_ERR_SIZE);
    expect_names_rank(env, odd);
    /* the same text everywhere */
    if (dct_rank == 0)
        snprintf(msg0, sizeof(msg0), "%s", dc_env_last_error(env));
    MPI_Bcast(msg0, (int)sizeof(msg0), MPI_CHAR, 0, dct_comm);
    same = strcmp(msg0, dc_env_last_error(env)) == 0;
    DCT_ASSERT_ALL(same);
    rc = dc_layout_create_block(env, last ? 12 : 11, &l);
    expect_all(rc, DC_ERR_SIZE);
    expect_names_rank(env, odd);
    x = make_vec(env, 9, 0, 61);
    rc = dc_vec_dot_repro(x, x, last ? DC_REPRO_EXACT : DC_REPRO_OFF, &d);
    expect_all(rc, DC_ERR_ARG);
    expect_names_rank(env, odd);
    rc = dc_env_set_repro(env, last ? DC_REPRO_BINNED : DC_REPRO_OFF);
    expect_all(rc, DC_ERR_ARG);
    expect_names_rank(env, odd);
    /* rank 0 the odd one out (3 or more ranks): rank 0 is named */
    if (dct_size > 2) {
        rc = dc_allreduce(env, in, out, dct_rank == 0 ? 3 : 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
        expect_all(rc, DC_ERR_SIZE);
        expect_names_rank(env, 0);
    }
    dc_vec_destroy(&x);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- outputs, weights, sizes */

/*
 * Several outputs: each may be NULL, not all (docs/conventions.md). The given ones are right.
 */
static void test_optional_outputs(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL;
    dc_mat_t *a = NULL;
    dc_grid_t *g = NULL;
    dc_layout_kind_t kind = DC_LAYOUT_BLOCK;
    dc_gidx_t block = -1, idx = -2, want = -1;
    double v = 0.0, best = -INFINITY, gx[13];
    int rc, i, nr = 0;

    if (env == NULL)
        return;
    CU_ASSERT(dc_layout_create_block_cyclic(env, 13, 3, &l) == DC_SUCCESS);
    CU_ASSERT(dc_layout_get_kind(l, NULL, &block) == DC_SUCCESS);
    CU_ASSERT(block == 3);
    CU_ASSERT(dc_layout_get_kind(l, &kind, NULL) == DC_SUCCESS);
    CU_ASSERT(kind == DC_LAYOUT_BLOCK_CYCLIC);
    CU_ASSERT(dc_layout_get_kind(l, NULL, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_vec_create(l, &x) == DC_SUCCESS);
    {
        uint64_t seed = 71;
        CU_ASSERT(dc_vec_fill(x, vfill, &seed) == DC_SUCCESS);
    }
    for (i = 0; i < 13; i++) {
        gx[i] = dct_rand(71, (uint64_t)i);
        if (gx[i] > best) {
            best = gx[i];
            want = i;
        }
    }
    rc = dc_vec_max(x, NULL, &idx);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(idx == want);
    rc = dc_vec_max(x, &v, NULL);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(v == best);
    rc = dc_vec_min(x, NULL, NULL);
    expect_all(rc, DC_ERR_ARG);
    CU_ASSERT(dc_grid_create(env, 0, 0, &g) == DC_SUCCESS);
    CU_ASSERT(dc_grid_get_info(g, NULL, NULL, NULL, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_grid_get_info(g, &nr, NULL, NULL, NULL) == DC_SUCCESS);
    CU_ASSERT(nr >= 1);
    a = make_mat(env, 5, 4, 2, 72);
    CU_ASSERT(dc_mat_global_to_local(a, 1, 1, NULL, NULL, NULL) == DC_ERR_ARG);
    nr = -1;
    CU_ASSERT(dc_mat_global_to_local(a, 1, 1, &nr, NULL, NULL) == DC_SUCCESS);
    CU_ASSERT(nr >= 0 && nr < dct_size);
    CU_ASSERT(dc_env_get_rank(env, NULL, NULL) == DC_ERR_ARG);
    dc_mat_destroy(&a);
    dc_grid_destroy(&g);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* Largest remainder with ties to the lower rank, written out here (the reference split). */
static void ref_split(int64_t n, const double *w, int p, int64_t *cnt)
{
    double total = 0.0, frac[16];
    int64_t given = 0;
    int r, k;

    for (r = 0; r < p; r++)
        total += w[r];
    for (r = 0; r < p; r++) {
        double q = (double)n * (w[r] / total);
        cnt[r] = (int64_t)floor(q);
        frac[r] = q - floor(q);
        given += cnt[r];
    }
    for (k = 0; given < n; k++, given++) {
        int bestr = 0;
        for (r = 1; r < p; r++)
            if (frac[r] > frac[bestr])
                bestr = r;
        cnt[bestr]++;
        frac[bestr] = -1.0;
    }
}

/* Finite weights whose sum overflows (all DBL_MAX; (r + 1) * 2^1021) split like their ratios. */
static void test_weights_overflow(void)
{
    dc_env_t *env = dct_env_create();
    double w[16];
    int64_t cnt[16];
    int round, r, rc;

    if (env == NULL)
        return;
    for (round = 0; round < 2; round++) {
        dc_layout_t *l = NULL;
        const int64_t n = 1000003;
        for (r = 0; r < dct_size; r++)
            w[r] = round == 0 ? 1.0 : (double)(r + 1);
        ref_split(n, w, dct_size, cnt);
        rc = dc_layout_create_weighted(
            env, n, round == 0 ? DBL_MAX : ldexp((double)(dct_rank + 1), 1021), &l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc != DC_SUCCESS) {
            if (dct_rank == 0)
                fprintf(stderr, "weights overflow: %s\n", dc_env_last_error(env));
            continue;
        }
        for (r = 0; r < dct_size; r++) {
            size_t c = 0;
            CU_ASSERT(dc_layout_get_rank_size(l, r, &c) == DC_SUCCESS);
            CU_ASSERT((int64_t)c == cnt[r]);
        }
        dc_layout_destroy(&l);
    }
    dc_env_destroy(&env);
}

/* A size whose bytes cannot be addressed is out of memory (as the headers say), everywhere. */
static void test_impossible_size(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL;
    dc_mat_t *a = NULL;
    dc_mat_dist_t d;
    int rc;

    if (env == NULL)
        return;
    memset(&d, 0, sizeof(d));
    d.m = d.n = (int64_t)1 << 40;
    dct_near_square(dct_size, &d.nprow, &d.npcol);
    rc = dc_mat_create_dist(env, &d, &a);
    expect_all(rc, DC_ERR_NOMEM);
    CU_ASSERT_PTR_NULL(a);
    rc = dc_layout_create_block(env, INT64_MAX, &l);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        rc = dc_vec_create(l, &x);
        expect_all(rc, DC_ERR_NOMEM);
        CU_ASSERT_PTR_NULL(x);
        dc_layout_destroy(&l);
    }
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("agree", NULL, NULL);

    CU_add_test(s, "GEMM: arguments that differ on one rank, no debug mode", test_gemm_args);
    CU_add_test(s, "GEMM: A or B of another env on one rank", test_gemm_other_env);
    CU_add_test(s, "scatter/gather: root and lda differ", test_scatter_gather_args);
    CU_add_test(s, "redistribute/transpose: b differs or of another env", test_redistribute_args);
    CU_add_test(s, "GEMV: x, y of another env, alpha or layout differ", test_gemv_args);
    CU_add_test(s, "vectors: second operand of another env", test_vec_second_operand);
    CU_add_test(s, "mismatch messages name the rank", test_message_names_rank);
    CU_add_test(s, "optional outputs: any may be NULL, not all", test_optional_outputs);
    CU_add_test(s, "weights whose sum overflows", test_weights_overflow);
    CU_add_test(s, "impossible sizes are DC_ERR_NOMEM", test_impossible_size);
}
