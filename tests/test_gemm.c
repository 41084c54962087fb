/*
 * Tests of distributed GEMM (lib/gemm.c, lib/gemm_summa.c) against a serial OpenBLAS reference
 * computed here on the full matrices: all four op combinations, shapes with 0, 1, primes and
 * k >> m, n, inputs on different distributions, every forced grid and the k split, tiny panels
 * (many lookahead steps), alpha = 0 and beta = 0 over NaN. The reproducible mode is checked bit
 * for bit against the tile algorithm written out here, on several grids and distributions (and
 * the test asserts that plain dgemm gives other bits, so the comparison proves something).
 */
#include "dc_test.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

typedef struct {
    uint64_t seed;
} gen_t;

static double fval(const gen_t *g, int64_t i, int64_t j)
{
    return dct_rand(g->seed, (uint64_t)(i * 1000003 + j));
}

static double fill_fn(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    return fval(ctx, i, j);
}

typedef struct {
    int pr, pc; /* 0: near-square; -1: all ranks */
    int64_t mb, nb;
    int rsrc, csrc;
    const char *name;
} spec_t;

static const spec_t specs[] = {
    {0, 0, 0, 0, 0, 0, "2-D block"},    {0, 0, 2, 3, -1, -1, "bc(2,3)"},
    {-1, 1, 0, 0, 0, 0, "1-D rows"},    {1, -1, 0, 0, 0, 0, "1-D columns"},
    {0, 0, 1, 1, 0, 0, "2-D cyclic"},   {-1, 1, 4, 5, -1, 0, "P x 1 bc(4,5)"},
    {0, 0, 10, 12, 0, -1, "bc(10,12)"}, /* aligned with the 5 x 6 x 10 test tiles */
};
#define NSPECS ((int)(sizeof(specs) / sizeof(specs[0])))

static dc_mat_t *make_mat(dc_env_t *env, const spec_t *s, int64_t m, int64_t n, uint64_t seed)
{
    dc_mat_dist_t d;
    dc_mat_t *a = NULL;
    gen_t g = {seed};
    int rc;

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
    rc = dc_mat_create_dist(env, &d, &a);
    if (rc == DC_SUCCESS)
        rc = dc_mat_fill(a, fill_fn, &g);
    if (!dct_all(rc == DC_SUCCESS)) {
        CU_FAIL("matrix creation failed");
        dc_mat_destroy(&a);
        return NULL;
    }
    return a;
}

/* Full column-major array of the formula (rows x cols), or of its transpose. */
static double *full_of(uint64_t seed, int64_t rows, int64_t cols, int trans)
{
    gen_t g = {seed};
    double *x = malloc(sizeof(double) * (size_t)(rows * cols + 1));
    int64_t i, j;

    for (j = 0; j < cols; j++)
        for (i = 0; i < rows; i++)
            x[i + j * rows] = trans ? fval(&g, j, i) : fval(&g, i, j);
    return x;
}

typedef struct {
    int64_t m, n, k;
    int opa, opb;
    double alpha, beta;
    uint64_t sa, sb, sc;
} problem_t;

/*
 * Serial reference C = alpha op(A) op(B) + beta C0 by one OpenBLAS call, and the error bound of
 * each entry from |alpha| |op(A)| |op(B)| + |beta C0|.
 */
static void reference(const problem_t *p, double *c, double *bound)
{
    int64_t m = p->m, n = p->n, k = p->k, i;
    double *a = full_of(p->sa, m, k, p->opa), *b = full_of(p->sb, k, n, p->opb);
    double *c0 = full_of(p->sc, m, n, 0);

    for (i = 0; i < m * n; i++) {
        c[i] = p->beta == 0.0 ? 0.0 : c0[i];
        bound[i] = fabs(p->beta * (p->beta == 0.0 ? 0.0 : c0[i]));
    }
    if (m > 0 && n > 0 && k > 0) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, p->alpha, a,
                    (int)m, b, (int)k, p->beta, c, (int)m);
        for (i = 0; i < m * k; i++)
            a[i] = fabs(a[i]);
        for (i = 0; i < k * n; i++)
            b[i] = fabs(b[i]);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k,
                    fabs(p->alpha), a, (int)m, b, (int)k, 1.0, bound, (int)m);
    } else if (m > 0 && n > 0) {
        for (i = 0; i < m * n; i++)
            c[i] = p->beta == 0.0 ? 0.0 : p->beta * c0[i];
    }
    for (i = 0; i < m * n; i++)
        bound[i] = 8.0 * (double)(k + 4) * DBL_EPSILON * bound[i] + 1e-300;
    free(a);
    free(b);
    free(c0);
}

/* ---------------------------------------------------------------- a PMPI counter */

/*
 * The data-moving MPI calls the GEMM path makes, counted here at the MPI interface (the
 * library's calls land in these definitions, which pass them on to PMPI_*), independently of
 * the library's own accounting: entries a rank receives from / sends to other ranks, and
 * non-empty messages, with the same conventions as dc_gemm_comm_t.
 */
static int pm_on;
static dc_gemm_comm_t pm;

int MPI_Alltoallv(const void *sbuf, const int scnt[], const int sdsp[], MPI_Datatype stype,
                  void *rbuf, const int rcnt[], const int rdsp[], MPI_Datatype rtype, MPI_Comm comm)
{
    int me, q, r;

    if (pm_on) {
        MPI_Comm_rank(comm, &me);
        MPI_Comm_size(comm, &q);
        for (r = 0; r < q; r++)
            if (r != me) {
                pm.words_sent += scnt[r];
                pm.msgs_sent += scnt[r] > 0;
                pm.words_recv += rcnt[r];
                pm.msgs_recv += rcnt[r] > 0;
            }
    }
    return PMPI_Alltoallv(sbuf, scnt, sdsp, stype, rbuf, rcnt, rdsp, rtype, comm);
}

int MPI_Ibcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm, MPI_Request *req)
{
    int me, q;

    if (pm_on) {
        MPI_Comm_rank(comm, &me);
        MPI_Comm_size(comm, &q);
        if (q > 1 && count > 0 && me == root) {
            pm.words_sent += (double)count * (q - 1);
            pm.msgs_sent += q - 1;
        } else if (q > 1 && count > 0) {
            pm.words_recv += count;
            pm.msgs_recv += 1;
        }
    }
    return PMPI_Ibcast(buf, count, type, root, comm, req);
}

int MPI_Allgatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int rcnt[],
                   const int rdsp[], MPI_Datatype rtype, MPI_Comm comm)
{
    int me, q, r;

    if (pm_on) {
        MPI_Comm_rank(comm, &me);
        MPI_Comm_size(comm, &q);
        for (r = 0; r < q; r++)
            if (r != me && rcnt[r] > 0) {
                pm.words_recv += rcnt[r];
                pm.msgs_recv += 1;
            }
        if (rcnt[me] > 0) {
            pm.words_sent += (double)rcnt[me] * (q - 1);
            pm.msgs_sent += q - 1;
        }
    }
    return PMPI_Allgatherv(sbuf, scount, stype, rbuf, rcnt, rdsp, rtype, comm);
}

int MPI_Reduce_scatter(const void *sbuf, void *rbuf, const int rcnt[], MPI_Datatype type, MPI_Op op,
                       MPI_Comm comm)
{
    int me, q, r;

    if (pm_on) {
        MPI_Comm_rank(comm, &me);
        MPI_Comm_size(comm, &q);
        for (r = 0; r < q; r++)
            if (r != me) {
                pm.words_recv += rcnt[me];
                pm.msgs_recv += rcnt[me] > 0;
                pm.words_sent += rcnt[r];
                pm.msgs_sent += rcnt[r] > 0;
            }
    }
    return PMPI_Reduce_scatter(sbuf, rbuf, rcnt, type, op, comm);
}

/* Run one problem on the given distributions and params; collective; 1 if all entries match.
 * The GEMM's traffic at the MPI interface is left in pm. */
static int run_spec(dc_env_t *env, const problem_t *p, const spec_t *sa, const spec_t *sb,
                    const spec_t *sc, const dc_gemm_params_t *prm, dc_gemm_plan_t *plan_out)
{
    int64_t am = p->opa ? p->k : p->m, an = p->opa ? p->m : p->k;
    int64_t bm = p->opb ? p->n : p->k, bn = p->opb ? p->k : p->n, i;
    dc_mat_t *A = make_mat(env, sa, am, an, p->sa);
    dc_mat_t *B = make_mat(env, sb, bm, bn, p->sb);
    dc_mat_t *C = make_mat(env, sc, p->m, p->n, p->sc);
    double *ref = malloc(sizeof(double) * (size_t)(p->m * p->n + 1));
    double *bnd = malloc(sizeof(double) * (size_t)(p->m * p->n + 1));
    double *got = malloc(sizeof(double) * (size_t)(p->m * p->n + 1));
    dc_gemm_plan_t plan;
    int ok = 1, rc;

    if (A == NULL || B == NULL || C == NULL) {
        ok = 0;
        goto out;
    }
    if (p->beta == 0.0) /* beta = 0: C's old values, even NaN, must not leak in */
        dc_mat_set_all(C, NAN);
    memset(&plan, 0, sizeof(plan));
    memset(&pm, 0, sizeof(pm));
    pm_on = 1;
    rc = dc_mat_gemm_ex(p->opa ? DC_MAT_TRANS : DC_MAT_NOTRANS,
                        p->opb ? DC_MAT_TRANS : DC_MAT_NOTRANS, p->alpha, A, B, p->beta, C, prm,
                        &plan);
    pm_on = 0;
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] gemm %lldx%lldx%lld: %s: %s\n", dct_rank, (long long)p->m,
                (long long)p->n, (long long)p->k, dc_strerror(rc), dc_env_last_error(env));
        ok = 0;
        goto out;
    }
    if (plan_out != NULL)
        *plan_out = plan;
    reference(p, ref, bnd);
    if (dc_mat_gather(C, -1, got, (size_t)(p->m > 0 ? p->m : 1)) != DC_SUCCESS)
        ok = 0;
    for (i = 0; i < p->m * p->n && ok; i++)
        if (!(fabs(got[i] - ref[i]) <= bnd[i])) {
            fprintf(stderr,
                    "[rank %d] gemm %c%c %lldx%lldx%lld a=%g b=%g dists %s/%s/%s plan %dx%dx%d "
                    "panel %d: C[%lld] = %.17g, want %.17g\n",
                    dct_rank, p->opa ? 'T' : 'N', p->opb ? 'T' : 'N', (long long)p->m,
                    (long long)p->n, (long long)p->k, p->alpha, p->beta, sa->name, sb->name,
                    sc->name, plan.nprow, plan.npcol, plan.nlayers, plan.panel, (long long)i,
                    got[i], ref[i]);
            ok = 0;
        }
out:
    free(ref);
    free(bnd);
    free(got);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    return dct_all(ok);
}

static int run_case(dc_env_t *env, const problem_t *p, int sa, int sb, int sc,
                    const dc_gemm_params_t *prm, dc_gemm_plan_t *plan_out)
{
    return run_spec(env, p, &specs[sa], &specs[sb], &specs[sc], prm, plan_out);
}

static const int64_t shapes[][3] = {{0, 3, 4}, {3, 0, 4},   {3, 4, 0},    {1, 1, 1},  {1, 7, 1},
                                    {7, 1, 9}, {13, 11, 7}, {31, 17, 29}, {5, 6, 70}, {40, 3, 5}};
#define NSHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

/* ---------------------------------------------------------------- tests */

static void test_ops_shapes(void)
{
    dc_env_t *env = dct_env_create();
    int h, op, v;

    for (h = 0; h < NSHAPES && env != NULL; h++)
        for (op = 0; op < 4; op++)
            for (v = 0; v < 2; v++) {
                problem_t p = {
                    shapes[h][0],   shapes[h][1],   shapes[h][2],    op >> 1,           op & 1,
                    v ? 1.5 : -1.0, v ? 0.0 : 0.75, 1 + (uint64_t)h, 50 + (uint64_t)op, 90};
                int sa = (h + op) % NSPECS, sb = (h + 2 * op + 1) % NSPECS,
                    sc = (h + op + v + 2) % NSPECS;
                CU_ASSERT(run_case(env, &p, sa, sb, sc, NULL, NULL));
            }
    dc_env_destroy(&env);
}

/* Every triple of input distributions (the planner keeps some in place, copies others). */
static void test_all_distributions(void)
{
    dc_env_t *env = dct_env_create();
    int sa, sb, sc;

    for (sa = 0; sa < NSPECS && env != NULL; sa++)
        for (sb = 0; sb < NSPECS; sb++)
            for (sc = 0; sc < NSPECS; sc++) {
                int op = (sa + sb + sc) % 4;
                problem_t p = {23,
                               19,
                               31,
                               op >> 1,
                               op & 1,
                               0.5,
                               sc % 2 ? 0.0 : 2.0,
                               60 + (uint64_t)sa,
                               70 + (uint64_t)sb,
                               80 + (uint64_t)sc};
                CU_ASSERT(run_case(env, &p, sa, sb, sc, NULL, NULL));
            }
    dc_env_destroy(&env);
}

static void test_alpha_zero(void)
{
    dc_env_t *env = dct_env_create();
    problem_t p = {9, 8, 7, 0, 1, 0.0, 2.0, 3, 4, 5};
    problem_t q = {9, 8, 7, 1, 0, 0.0, 0.0, 3, 4, 5};

    if (env != NULL) {
        CU_ASSERT(run_case(env, &p, 0, 1, 2, NULL, NULL));
        CU_ASSERT(run_case(env, &q, 3, 4, 5, NULL, NULL));
    }
    dc_env_destroy(&env);
}

/* Every grid P = pr x pc x pk the planner can be forced to, with small and default panels. */
static void test_forced_plans(void)
{
    dc_env_t *env = dct_env_create();
    int pr, pk, panel, op;

    for (pk = 1; pk <= dct_size && env != NULL; pk++) {
        if (dct_size % pk != 0)
            continue;
        for (pr = 1; pr <= dct_size / pk; pr++) {
            if ((dct_size / pk) % pr != 0)
                continue;
            for (panel = 0; panel < 2; panel++)
                for (op = 0; op < 4; op += 3) {
                    dc_gemm_params_t prm;
                    dc_gemm_plan_t plan;
                    problem_t p = {23, 19, 37, op >> 1, op & 1, 1.25, -0.5, 7, 8, 9};
                    memset(&prm, 0, sizeof(prm));
                    prm.field_mask = DC_GEMM_PARAM_GRID | DC_GEMM_PARAM_PANEL;
                    prm.nprow = pr;
                    prm.npcol = dct_size / pk / pr;
                    prm.nlayers = pk;
                    prm.panel = panel ? 3 : 0;
                    memset(&plan, 0, sizeof(plan));
                    CU_ASSERT(run_case(env, &p, (pr + panel) % NSPECS, (pk + op) % NSPECS,
                                       (pr + pk) % NSPECS, &prm, &plan));
                    CU_ASSERT(plan.nprow == pr && plan.nlayers == pk &&
                              plan.npcol == dct_size / pk / pr);
                    CU_ASSERT(plan.algo == (pk > 1 ? DC_GEMM_SPLITK : DC_GEMM_SUMMA));
                    CU_ASSERT(!panel || plan.panel == 3);
                }
        }
    }
    /* wide C on a P x 1 grid: the panel products run in column chunks between MPI_Testall */
    if (env != NULL) {
        dc_gemm_params_t prm;
        problem_t p = {17, 1100, 40, 0, 0, 1.0, 1.0, 5, 6, 7};
        memset(&prm, 0, sizeof(prm));
        prm.field_mask = DC_GEMM_PARAM_GRID | DC_GEMM_PARAM_PANEL;
        prm.nprow = dct_size;
        prm.npcol = prm.nlayers = 1;
        prm.panel = 3;
        CU_ASSERT(run_case(env, &p, 2, 2, 2, &prm, NULL));
    }
    dc_env_destroy(&env);
}

/* Inputs already in the algorithm's distribution are used in place, and the result is right. */
static void test_in_place(void)
{
    dc_env_t *env = dct_env_create();
    dc_gemm_params_t prm;
    dc_gemm_plan_t plan;
    problem_t p = {30, 20, 40, 0, 0, 1.0, 1.0, 11, 12, 13};

    if (env == NULL)
        return;
    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_GEMM_PARAM_ALGO;
    prm.algo = DC_GEMM_SUMMA;
    memset(&plan, 0, sizeof(plan));
    /* all three 1-D rows: C and A in place on a P x 1 grid, B's rows are just k panels */
    CU_ASSERT(run_case(env, &p, 2, 2, 2, &prm, &plan));
    CU_ASSERT(plan.c_in_place && !plan.redist_a && !plan.redist_b && plan.nprow == dct_size);
    /* 2-D bc(2,3) everywhere */
    CU_ASSERT(run_case(env, &p, 1, 1, 1, &prm, &plan));
    dc_env_destroy(&env);
}

/* The dry run, the plan actually run and the memory limit agree. */
static void test_plan_and_memory(void)
{
    dc_env_t *env = dct_env_create();
    dc_mat_t *A = NULL, *B = NULL, *C = NULL;
    dc_gemm_params_t prm;
    dc_gemm_plan_t dry, free_plan, run;
    problem_t p = {16, 12, 3000, 0, 0, 1.0, 0.0, 21, 22, 23};
    int rc;

    if (env == NULL)
        return;
    A = make_mat(env, &specs[2], p.m, p.k, p.sa);
    B = make_mat(env, &specs[2], p.k, p.n, p.sb);
    C = make_mat(env, &specs[2], p.m, p.n, p.sc);
    memset(&prm, 0, sizeof(prm));
    CU_ASSERT(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, NULL, &free_plan) ==
              DC_SUCCESS);
    /* k >> m, n on more than one rank: the planner splits k */
    if (dct_size > 1)
        CU_ASSERT(free_plan.nlayers > 1 && free_plan.algo == DC_GEMM_SPLITK);
    /* a limit below the free choice's need forces a leaner plan, which must fit */
    prm.field_mask = DC_GEMM_PARAM_MEM_LIMIT;
    prm.mem_limit = free_plan.mem_bytes > 1 ? free_plan.mem_bytes - 1 : 1;
    rc = dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, &prm, &dry);
    CU_ASSERT(rc == DC_SUCCESS || rc == DC_ERR_NOMEM);
    if (rc == DC_SUCCESS)
        CU_ASSERT(dry.mem_bytes <= prm.mem_limit);
    /* the plan the GEMM runs is the dry run's */
    prm.mem_limit = 0;
    rc = dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, &prm, &dry);
    CU_ASSERT(rc == DC_SUCCESS);
    memset(&run, 0, sizeof(run));
    CU_ASSERT(run_case(env, &p, 2, 2, 2, &prm, &run));
    CU_ASSERT(run.nprow == dry.nprow && run.npcol == dry.npcol && run.nlayers == dry.nlayers &&
              run.mem_bytes == dry.mem_bytes);
    /* a limit nothing fits (op(B) = B^T has to be copied whatever the plan): DC_ERR_NOMEM on
     * every rank, from the GEMM itself too */
    prm.mem_limit = 16;
    {
        dc_mat_t *Bt = make_mat(env, &specs[2], p.n, p.k, p.sb);
        CU_ASSERT(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_TRANS, A, Bt, C, &prm, &dry) ==
                  DC_ERR_NOMEM);
        rc = dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_TRANS, 1.0, A, Bt, 0.0, C, &prm, NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_NOMEM);
        CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
        dc_mat_destroy(&Bt);
    }
    /* a square problem stays 2-D */
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    A = make_mat(env, &specs[0], 512, 512, 1);
    B = make_mat(env, &specs[0], 512, 512, 2);
    C = make_mat(env, &specs[0], 512, 512, 3);
    CU_ASSERT(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, NULL, &dry) == DC_SUCCESS);
    CU_ASSERT(dry.nlayers == 1 && dry.algo == DC_GEMM_SUMMA);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reproducible mode */

/*
 * The reproducible algorithm written out serially: T = 0; for each k panel of tk in increasing
 * order, every tm x tn tile of T += A(tile rows, panel) B(panel, tile cols) by one dgemm with
 * alpha = 1, beta = 1; then C = alpha T + beta C0 (beta = 0: alpha T).
 */
static void repro_reference(const problem_t *p, int tm, int tn, int tk, double *c)
{
    int64_t m = p->m, n = p->n, k = p->k, i0, j0, k0, i;
    double *a = full_of(p->sa, m, k, p->opa), *b = full_of(p->sb, k, n, p->opb);
    double *c0 = full_of(p->sc, m, n, 0), *t = calloc((size_t)(m * n + 1), sizeof(double));

    for (k0 = 0; k0 < k; k0 += tk) {
        int w = (int)(k - k0 < tk ? k - k0 : tk);
        for (j0 = 0; j0 < n; j0 += tn)
            for (i0 = 0; i0 < m; i0 += tm)
                cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
                            (int)(m - i0 < tm ? m - i0 : tm), (int)(n - j0 < tn ? n - j0 : tn), w,
                            1.0, a + i0 + k0 * m, (int)m, b + k0 + j0 * k, (int)k, 1.0,
                            t + i0 + j0 * m, (int)m);
    }
    for (i = 0; i < m * n; i++)
        c[i] = p->beta == 0.0 ? p->alpha * t[i] : p->beta * c0[i] + p->alpha * t[i];
    free(a);
    free(b);
    free(c0);
    free(t);
}

/* Run p in reproducible mode and compare bit for bit; collective. */
static int repro_case(dc_env_t *env, const problem_t *p, int sa, int sb, int sc, int tile, int pr,
                      const double *want)
{
    int64_t am = p->opa ? p->k : p->m, an = p->opa ? p->m : p->k;
    int64_t bm = p->opb ? p->n : p->k, bn = p->opb ? p->k : p->n, i;
    dc_mat_t *A = make_mat(env, &specs[sa], am, an, p->sa);
    dc_mat_t *B = make_mat(env, &specs[sb], bm, bn, p->sb);
    dc_mat_t *C = make_mat(env, &specs[sc], p->m, p->n, p->sc);
    double *got = malloc(sizeof(double) * (size_t)(p->m * p->n + 1));
    dc_gemm_params_t prm;
    dc_gemm_plan_t plan;
    int ok = A != NULL && B != NULL && C != NULL, rc = DC_SUCCESS;

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_GEMM_PARAM_REPRO;
    prm.repro = DC_REPRO_BINNED;
    if (tile > 0) {
        prm.field_mask |= DC_GEMM_PARAM_TILE;
        prm.tile_m = tile;
        prm.tile_n = tile + 1;
        prm.tile_k = 2 * tile;
    }
    if (pr > 0) {
        prm.field_mask |= DC_GEMM_PARAM_GRID;
        prm.nprow = pr;
        prm.npcol = dct_size / pr;
        prm.nlayers = 1;
    }
    if (ok) {
        if (p->beta == 0.0)
            dc_mat_set_all(C, NAN);
        memset(&plan, 0, sizeof(plan));
        rc = dc_mat_gemm_ex(p->opa ? DC_MAT_TRANS : DC_MAT_NOTRANS,
                            p->opb ? DC_MAT_TRANS : DC_MAT_NOTRANS, p->alpha, A, B, p->beta, C,
                            &prm, &plan);
        ok = rc == DC_SUCCESS && plan.repro == 1;
    }
    if (ok && dc_mat_gather(C, -1, got, (size_t)(p->m > 0 ? p->m : 1)) != DC_SUCCESS)
        ok = 0;
    for (i = 0; i < p->m * p->n && ok; i++)
        if (!dct_same_bits(got[i], want[i])) {
            fprintf(stderr,
                    "[rank %d] repro %lldx%lldx%lld dists %d/%d/%d grid %d: C[%lld] = "
                    "%a, want %a\n",
                    dct_rank, (long long)p->m, (long long)p->n, (long long)p->k, sa, sb, sc, pr,
                    (long long)i, got[i], want[i]);
            ok = 0;
        }
    if (rc != DC_SUCCESS)
        fprintf(stderr, "[rank %d] repro gemm: %s\n", dct_rank, dc_env_last_error(env));
    free(got);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    return dct_all(ok);
}

static void test_repro(void)
{
    dc_env_t *env = dct_env_create();
    static const problem_t probs[] = {
        {37, 29, 101, 0, 0, 1.5, 0.0, 31, 32, 33}, /* small tiles: many of them */
        {29, 37, 53, 1, 1, -1.0, 0.5, 34, 35, 36},
    };
    int q, s, pr, t;

    for (q = 0; q < 2 && env != NULL; q++) {
        const problem_t *p = &probs[q];
        double *want = malloc(sizeof(double) * (size_t)(p->m * p->n + 1));
        repro_reference(p, 5, 6, 10, want); /* tile 5 x 6 x 10 */
        for (s = 0; s < NSPECS; s++)
            CU_ASSERT(repro_case(env, p, s, (s + 1) % NSPECS, (s + 2) % NSPECS, 5, 0, want));
        for (pr = 1; pr <= dct_size; pr++)
            if (dct_size % pr == 0)
                CU_ASSERT(repro_case(env, p, 1, 4, 3, 5, pr, want));
        /* tile-aligned C (updated in place) and B (used in place) */
        CU_ASSERT(repro_case(env, p, 6, 6, 6, 5, 0, want));
        free(want);
    }
    /* the default tile (128 x 128, k 256) with two tiles each way and two k panels; plain
     * dgemm on the same data must give other bits somewhere, or this test proves nothing */
    if (env != NULL) {
        problem_t p = {150, 140, 700, 0, 1, 1.0, 0.0, 41, 42, 43};
        double *want = malloc(sizeof(double) * (size_t)(p.m * p.n));
        double *plain = malloc(sizeof(double) * (size_t)(p.m * p.n));
        double *bnd = malloc(sizeof(double) * (size_t)(p.m * p.n));
        int64_t i, ndiff = 0;
        repro_reference(&p, 128, 128, 256, want);
        reference(&p, plain, bnd);
        for (i = 0; i < p.m * p.n; i++)
            ndiff += !dct_same_bits(want[i], plain[i]);
        CU_ASSERT(ndiff > 0);
        for (t = 0; t < 3; t++)
            CU_ASSERT(repro_case(env, &p, t, t + 1, t + 2, 0, 0, want));
        free(want);
        free(plain);
        free(bnd);
    }
    dc_env_destroy(&env);
}

/* The same bits with 2 BLAS threads per rank as with 1. */
static void test_repro_threads(void)
{
    dc_env_params_t prm;
    dc_env_t *env;
    problem_t p = {150, 140, 300, 0, 0, 1.0, 0.0, 51, 52, 53};
    double *want = malloc(sizeof(double) * (size_t)(p.m * p.n));

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_ENV_PARAM_BLAS_THREADS;
    prm.blas_threads = 2;
    env = dct_env_create_params(&prm);
    repro_reference(&p, 128, 128, 256, want);
    if (env != NULL)
        CU_ASSERT(repro_case(env, &p, 0, 0, 0, 0, 0, want));
    dc_env_destroy(&env);
    free(want);
}

/* ---------------------------------------------------------------- in place on block-cyclic */

/* Indices of a block-cyclic dimension owned by coordinate c (ScaLAPACK's NUMROC). */
static int64_t numroc(int64_t n, int64_t nb, int c, int src, int np)
{
    int64_t nblocks = n / nb, cnt = (nblocks / np) * nb;
    int dist = (c - src + np) % np;

    if (dist < nblocks % np)
        cnt += nb;
    else if (dist == nblocks % np)
        cnt += n % nb;
    return cnt;
}

/* 1 if the library's count of this rank's traffic is the one the PMPI counter saw. */
static int same_count(const dc_gemm_comm_t *a, const dc_gemm_comm_t *b)
{
    return a->words_sent == b->words_sent && a->words_recv == b->words_recv &&
           a->msgs_sent == b->msgs_sent && a->msgs_recv == b->msgs_recv;
}

/*
 * ScaLAPACK-style operands (1 x P, P x 1 and 2 x 2 grids, small blocks that do not divide the
 * sizes, first block on the last coordinate) are used where they lie: no redistribution, and
 * the k panels gather several blocks of one owner (panel kb = 2 or 3 blocks), so there are
 * sum over owners of ceil(k_owner / kb) of them instead of one per block. The traffic is
 * checked against the count derived here from the shapes.
 */
static void test_inplace_block_cyclic(void)
{
    dc_env_t *env = dct_env_create();
    static const int nbs[3] = {3, 4, 5};
    int g, ib, op;

    for (g = 0; g < 3 && env != NULL; g++) {
        int pr = g == 0 ? 1 : g == 1 ? dct_size : 2, pc = dct_size / pr;
        if (pr * pc != dct_size || dct_size > 16)
            continue;
        for (ib = 0; ib < 3; ib++)
            for (op = 0; op < 2; op++) {
                int64_t nb = nbs[ib], kb = nb * (2 + op), k = 41, m = 29, n = 23;
                spec_t sp = {pr, pc, nb, nb, -1, -1, "ScaLAPACK-style"};
                problem_t p = {m, n, k, 0, 0, 1.5, op ? 0.0 : -0.5, 31, 32, 33};
                dc_gemm_params_t prm;
                dc_gemm_plan_t plan;
                int64_t want = 0, tot, c, myc = dct_rank % pc, myr = dct_rank / pc;
                int64_t npan[16] = {0}, kown[16] = {0}; /* per grid row or column: P <= 16 */
                double wr = 0, ws = 0, mr = 0, ms = 0;
                int q = pr == 1 ? pc : pr;
                memset(&prm, 0, sizeof(prm));
                prm.field_mask = DC_GEMM_PARAM_GRID | DC_GEMM_PARAM_PANEL;
                prm.nprow = pr;
                prm.npcol = pc;
                prm.nlayers = 1;
                prm.panel = (int)kb;
                memset(&plan, 0, sizeof(plan));
                CU_ASSERT(run_spec(env, &p, &sp, &sp, &sp, &prm, &plan));
                CU_ASSERT(!plan.redist_a && !plan.redist_b && plan.c_in_place);
                /* owner of a k panel: grid column of A (1 x P), grid row of B (P x 1); on
                 * 2 x 2 both, the same coordinate */
                for (c = 0; c < q; c++) {
                    kown[c] = numroc(k, nb, (int)c, q - 1, q);
                    npan[c] = (kown[c] + kb - 1) / kb;
                    want += npan[c];
                }
                tot = want;
                if (plan.gather_b) /* P x 1: all of B at once, one message per owner */
                    for (c = 0, want = 1, tot = 0; c < q; c++)
                        tot += npan[c] = kown[c] > 0;
                CU_ASSERT(plan.nsteps == want);
                CU_ASSERT(!plan.gather_b || (pc == 1 && pr > 1));
                if (plan.nsteps != want)
                    fprintf(stderr, "[rank %d] %d x %d nb %lld kb %lld: %d panels, want %lld\n",
                            dct_rank, pr, pc, (long long)nb, (long long)kb, plan.nsteps,
                            (long long)want);
                /* traffic: A's panels along grid rows (mloc = this rank's C rows), B's along
                 * grid columns (nloc = its C columns) */
                if (pc > 1) {
                    double mloc = (double)numroc(m, nb, (int)myr, pr - 1, pr);
                    wr += mloc * (double)(k - kown[myc]);
                    ws += mloc * (double)kown[myc] * (pc - 1);
                    mr += (double)(tot - npan[myc]);
                    ms += (double)npan[myc] * (pc - 1);
                }
                if (pr > 1) {
                    double nloc = (double)numroc(n, nb, (int)myc, pc - 1, pc);
                    wr += nloc * (double)(k - kown[myr]);
                    ws += nloc * (double)kown[myr] * (pr - 1);
                    mr += (double)(tot - npan[myr]);
                    ms += (double)npan[myr] * (pr - 1);
                }
                DCT_ASSERT_ALL(plan.comm.words_recv == wr && plan.comm.words_sent == ws &&
                               plan.comm.msgs_recv == mr && plan.comm.msgs_sent == ms);
                DCT_ASSERT_ALL(same_count(&plan.comm, &pm));
            }
    }
    dc_env_destroy(&env);
}

/*
 * The 3-D layout (k split over layers, no operand moved): A pr x (pk pc) block-cyclic with k
 * blocks nba, B (pr pk) x pc with k blocks pc nba, C pr x (pk pc) with ceil(n / (pc pk))
 * columns per block. The planner must use A and B in place and move only the panels inside
 * each layer and the layers' reduce-scatter of C: the words are derived here from the layout.
 * Then with A on another distribution (redistributed) the result must hold.
 */
static void test_3d_layout(void)
{
    dc_env_t *env = dct_env_create();
    static const int grids[][3] = {{1, 1, 2}, {1, 1, 3}, {1, 2, 2}, {2, 1, 2}, {1, 1, 4}};
    int gi, v;

    for (gi = 0; gi < 5 && env != NULL; gi++) {
        const int pr = grids[gi][0], pc = grids[gi][1], pk = grids[gi][2];
        const int64_t m = 29, n = 23, k = 41, mb = 5, nba = 3, nbc = (n + pc * pk - 1) / (pc * pk);
        if (pr * pc * pk != dct_size)
            continue;
        for (v = 0; v < 2; v++) {
            spec_t sa = {pr, pk * pc, mb, nba, 0, 0, "3-D A"};
            spec_t sb = {pr * pk, pc, pc * nba, nbc, 0, 0, "3-D B"};
            spec_t sc = {pr, pk * pc, mb, nbc, 0, 0, "3-D C"};
            problem_t p = {m, n, k, 0, 0, -1.25, v ? 0.0 : 0.5, 41, 42, 43};
            dc_gemm_plan_t plan;
            int i = dct_rank / (pk * pc), l = (dct_rank / pc) % pk, j = dct_rank % pc, c;
            double mloc = (double)numroc(m, mb, i, 0, pr), nloc = (double)numroc(n, nbc, j, 0, pc);
            double klay = 0, wr = 0;
            dc_gemm_params_t prm;
            /* the grid is forced (on matrices this small the model may prefer fewer ranks
             * busy); the layout, layers by slices or cyclic, is the planner's choice */
            memset(&prm, 0, sizeof(prm));
            prm.field_mask = DC_GEMM_PARAM_GRID;
            prm.nprow = pr;
            prm.npcol = pc;
            prm.nlayers = pk;
            memset(&plan, 0, sizeof(plan));
            CU_ASSERT(run_spec(env, &p, v ? &specs[1] : &sa, &sb, &sc, &prm, &plan));
            CU_ASSERT(plan.nlayers == pk && plan.nprow == pr && plan.npcol == pc);
            if (v)
                continue;
            CU_ASSERT(!plan.redist_a && !plan.redist_b);
            for (c = 0; c < pc; c++)
                klay += (double)numroc(k, nba, l * pc + c, 0, pk * pc);
            if (pc > 1)
                wr += mloc * (klay - (double)numroc(k, nba, l * pc + j, 0, pk * pc));
            if (pr > 1)
                wr += nloc * (klay - (double)numroc(k, pc * nba, i * pk + l, 0, pr * pk));
            wr += (double)(pk - 1) * mloc * (double)numroc(n, nbc, l * pc + j, 0, pk * pc);
            DCT_ASSERT_ALL(plan.comm.words_recv == wr);
            if (plan.comm.words_recv != wr)
                fprintf(stderr, "[rank %d] 3-D %d x %d x %d: %g words received, want %g\n",
                        dct_rank, pr, pc, pk, plan.comm.words_recv, wr);
            DCT_ASSERT_ALL(same_count(&plan.comm, &pm));
        }
    }
    dc_env_destroy(&env);
}

/*
 * The library's own count of each rank's traffic equals what a PMPI counter sees at the MPI
 * interface, sent equals received over all ranks, and the planner's estimate (comm_bytes, the
 * most loaded rank) is within 5 % of the most loaded rank's actual words: over redistributions
 * (op = T too), broadcasts and the layers' reduce-scatter of every forced grid.
 */
static void test_comm_count(void)
{
    dc_env_t *env = dct_env_create();
    int pr, pk, sa, op, t = 0;

    for (pk = 1; pk <= dct_size && env != NULL; pk++) {
        if (dct_size % pk != 0)
            continue;
        for (pr = 1; pr <= dct_size / pk; pr++) {
            if ((dct_size / pk) % pr != 0)
                continue;
            for (sa = 0; sa < NSPECS; sa++)
                for (op = 0; op < 4; op += 3, t++) {
                    dc_gemm_params_t prm;
                    dc_gemm_plan_t plan;
                    problem_t p = {37, 26, 45, op >> 1, op & 1, 1.0, 0.5, 1, 2, 3};
                    double sums[2], tot[2], maxr = 0.0, est;
                    memset(&prm, 0, sizeof(prm));
                    prm.field_mask = DC_GEMM_PARAM_GRID;
                    prm.nprow = pr;
                    prm.npcol = dct_size / pk / pr;
                    prm.nlayers = pk;
                    memset(&plan, 0, sizeof(plan));
                    CU_ASSERT(run_case(env, &p, sa, (sa + 1 + t) % NSPECS, (sa + 2 * t) % NSPECS,
                                       &prm, &plan));
                    DCT_ASSERT_ALL(same_count(&plan.comm, &pm));
                    sums[0] = plan.comm.words_sent - plan.comm.words_recv;
                    sums[1] = plan.comm.msgs_sent - plan.comm.msgs_recv;
                    MPI_Allreduce(sums, tot, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
                    CU_ASSERT(tot[0] == 0.0 && tot[1] == 0.0);
                    MPI_Allreduce(&pm.words_recv, &maxr, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
                    est = plan.comm_bytes / 8.0;
                    CU_ASSERT(fabs(est - maxr) <= 0.05 * maxr);
                    if (!(fabs(est - maxr) <= 0.05 * maxr) && dct_rank == 0)
                        fprintf(stderr, "grid %d x %d x %d dists %d: estimate %g words, moved %g\n",
                                pr, dct_size / pk / pr, pk, sa, est, maxr);
                }
        }
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void)
{
    dc_env_t *env = dct_env_create(), *env2 = dct_env_create();
    dc_mat_t *A = NULL, *B = NULL, *C = NULL, *X = NULL, *D2 = NULL;
    dc_gemm_params_t prm;
    dc_gemm_plan_t plan;
    double *arr = NULL;
    int rc;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    A = make_mat(env, &specs[0], 6, 5, 1);
    B = make_mat(env, &specs[1], 5, 4, 2);
    C = make_mat(env, &specs[2], 6, 4, 3);
    X = make_mat(env, &specs[0], 7, 4, 4);
    D2 = make_mat(env2, &specs[0], 5, 4, 5);
    CU_ASSERT(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, NULL, B, 0.0, C) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, X) == DC_ERR_SIZE);
    CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
    CU_ASSERT(dc_mat_gemm(DC_MAT_TRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C) == DC_ERR_SIZE);
    CU_ASSERT(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, D2, 0.0, C) == DC_ERR_COMM);
    CU_ASSERT(dc_mat_gemm((dc_mat_op_t)3, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, A, 0.0, A) == DC_ERR_ARG);
    CU_ASSERT(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, NULL, NULL) == DC_ERR_ARG);
    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_GEMM_PARAM_ALGO | DC_GEMM_PARAM_REPRO;
    prm.algo = DC_GEMM_SPLITK;
    prm.repro = DC_REPRO_BINNED;
    CU_ASSERT(dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C, &prm, NULL) ==
              DC_ERR_NOTSUP);
    prm.field_mask = DC_GEMM_PARAM_GRID;
    prm.nprow = dct_size + 1;
    prm.npcol = 1;
    prm.nlayers = 1;
    CU_ASSERT(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, &prm, &plan) == DC_ERR_ARG);
    prm.field_mask = DC_GEMM_PARAM_PANEL;
    prm.panel = -4;
    CU_ASSERT(dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C, &prm, NULL) ==
              DC_ERR_ARG);
    prm.field_mask = DC_GEMM_PARAM_REPRO;
    prm.repro = (dc_repro_t)9;
    CU_ASSERT(dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C, &prm, NULL) ==
              DC_ERR_ARG);
    /* C borrowed on one rank: every rank fails with DC_ERR_STATE */
    if (dct_rank == dct_size - 1)
        CU_ASSERT(dc_mat_get_array(C, &arr, NULL) == DC_SUCCESS);
    rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C);
    DCT_ASSERT_ALL(rc == DC_ERR_STATE);
    if (dct_rank == dct_size - 1)
        CU_ASSERT(dc_mat_restore_array(C, &arr) == DC_SUCCESS);
    /* and with everything right it works afterwards */
    rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    dc_mat_destroy(&X);
    dc_mat_destroy(&D2);
    dc_env_destroy(&env);
    dc_env_destroy(&env2);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("gemm", NULL, NULL);

    CU_add_test(s, "all ops, shapes with 0/1/primes, mixed distributions", test_ops_shapes);
    CU_add_test(s, "every triple of input distributions", test_all_distributions);
    CU_add_test(s, "alpha = 0", test_alpha_zero);
    CU_add_test(s, "every forced grid and k split, tiny panels", test_forced_plans);
    CU_add_test(s, "operands in place", test_in_place);
    CU_add_test(s, "dry run and memory limit", test_plan_and_memory);
    CU_add_test(s, "in place on ScaLAPACK-style block-cyclic operands, wide panels",
                test_inplace_block_cyclic);
    CU_add_test(s, "3-D layout: k over layers with the operands in place", test_3d_layout);
    CU_add_test(s, "communication counted: library = PMPI, estimate within 5 %", test_comm_count);
    CU_add_test(s, "reproducible: same bits for any grid and distribution", test_repro);
    CU_add_test(s, "reproducible: same bits with 2 BLAS threads", test_repro_threads);
    CU_add_test(s, "errors", test_errors);
}
