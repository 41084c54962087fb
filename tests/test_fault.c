/*
 * Allocation failures on one rank (lib/mem.c's failure injection, re-armed through the test
 * hooks of lib/dc_testhook.h): for every allocation N of an operation and every rank R, make the
 * N-th allocation of rank R fail, and check that every rank returns DC_ERR_NOMEM (the others
 * learn it; nobody hangs: the runner's timeout would catch it), that nothing leaks, and that
 * the env still works: the same operation, run again, gives the serial reference's result.
 * The sweep of an operation ends at the first N that no rank reaches (the failure never fired).
 * Operations: GEMM with several plans (and the first GEMM on a fresh env), matrix
 * redistribution, transpose, scatter/gather and GEMV, vector redistribution, and scheduler runs
 * (setup and run, index space and spawning tasks).
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the operations */

typedef struct fcase fcase_t;
struct fcase {
    const char *name;
    int (*run)(fcase_t *c);    /* the collective operation under test */
    int (*check)(fcase_t *c);  /* collective: 1 on every rank if the result is right */
    void (*reset)(fcase_t *c); /* before a run: restore (or create) the inputs */
    void (*after)(fcase_t *c); /* after a run and its checks (may be NULL) */
    /* GEMM and matrix copies */
    dc_mat_op_t opa, opb;
    int64_t m, n, k;
    double alpha, beta;
    dc_gemm_params_t prm;
    dc_mat_t *A, *B, *C;
    double *c0;   /* this rank's local C before the call (restored before every run) */
    size_t c0len; /* lld * nloc */
    double *ref;  /* expected full result, column-major */
    /* vectors */
    dc_vec_t *x, *y;
    /* scheduler */
    dc_env_t *env;
    dc_sched_kind_t kind;
    int tasks;
};

/* shape: 0 near-square grid, 1 P x 1, 2 1 x P; mb, nb: blocks (0: pure block) */
static dc_mat_t *make_mat(dc_env_t *env, int64_t m, int64_t n, int shape, int64_t mb, int64_t nb,
                          uint64_t seed)
{
    dc_mat_dist_t d;
    dc_mat_t *a = NULL;

    memset(&d, 0, sizeof(d));
    d.m = m;
    d.n = n;
    d.mb = mb;
    d.nb = nb;
    if (shape == 0)
        dct_near_square(dct_size, &d.nprow, &d.npcol);
    d.nprow = shape == 1 ? dct_size : shape == 2 ? 1 : d.nprow;
    d.npcol = shape == 1 ? 1 : shape == 2 ? dct_size : d.npcol;
    if (dc_mat_create_dist(env, &d, &a) != DC_SUCCESS) {
        CU_FAIL("dc_mat_create_dist");
        return NULL;
    }
    if (dc_mat_fill(a, dct_mat_entry, &seed) != DC_SUCCESS)
        CU_FAIL("dc_mat_fill");
    return a;
}

static double *full(const dc_mat_t *a, int64_t m, int64_t n)
{
    double *g = calloc((size_t)(m * n + 1), sizeof(double));

    DCT_ASSERT_ALL(dc_mat_gather(a, -1, g, (size_t)(m > 0 ? m : 1)) == DC_SUCCESS);
    return g;
}

static int close_to(const double *x, const double *y, size_t n, double tol)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!(fabs(x[i] - y[i]) <= tol))
            return 0;
    return 1;
}

/* ---- GEMM */

static int gemm_run(fcase_t *c)
{
    return dc_mat_gemm_ex(c->opa, c->opb, c->alpha, c->A, c->B, c->beta, c->C, &c->prm, NULL);
}

static void gemm_reset(fcase_t *c)
{
    double *arr = NULL;

    if (dc_mat_get_array(c->C, &arr, NULL) == DC_SUCCESS) {
        memcpy(arr, c->c0, sizeof(double) * c->c0len);
        dc_mat_restore_array(c->C, &arr);
    }
}

static int gemm_check(fcase_t *c)
{
    double *g = full(c->C, c->m, c->n);
    int ok = close_to(g, c->ref, (size_t)(c->m * c->n), 1e-12 * (double)(c->k + 1));

    free(g);
    return dct_all(ok);
}

static void gemm_setup(fcase_t *c, dc_env_t *env, const char *name, dc_mat_op_t opa,
                       dc_mat_op_t opb, int64_t m, int64_t n, int64_t k, const int dist[3][3])
{
    double *a, *b;
    size_t mloc = 0, nloc = 0, lld = 0;
    const double *arr = NULL;

    c->name = name;
    c->run = gemm_run;
    c->check = gemm_check;
    c->reset = gemm_reset;
    c->opa = opa;
    c->opb = opb;
    c->m = m;
    c->n = n;
    c->k = k;
    c->alpha = 1.5;
    c->beta = -0.5;
    c->A = opa == DC_MAT_NOTRANS ? make_mat(env, m, k, dist[0][0], dist[0][1], dist[0][2], 1)
                                 : make_mat(env, k, m, dist[0][0], dist[0][1], dist[0][2], 1);
    c->B = opb == DC_MAT_NOTRANS ? make_mat(env, k, n, dist[1][0], dist[1][1], dist[1][2], 2)
                                 : make_mat(env, n, k, dist[1][0], dist[1][1], dist[1][2], 2);
    c->C = make_mat(env, m, n, dist[2][0], dist[2][1], dist[2][2], 3);
    if (c->A == NULL || c->B == NULL || c->C == NULL)
        return;
    a = opa == DC_MAT_NOTRANS ? full(c->A, m, k) : full(c->A, k, m);
    b = opb == DC_MAT_NOTRANS ? full(c->B, k, n) : full(c->B, n, k);
    c->ref = full(c->C, m, n);
    cblas_dgemm(CblasColMajor, opa == DC_MAT_NOTRANS ? CblasNoTrans : CblasTrans,
                opb == DC_MAT_NOTRANS ? CblasNoTrans : CblasTrans, (int)m, (int)n, (int)k, c->alpha,
                a, opa == DC_MAT_NOTRANS ? (int)m : (int)k, b,
                opb == DC_MAT_NOTRANS ? (int)k : (int)n, c->beta, c->ref, (int)m);
    free(a);
    free(b);
    dc_mat_get_local_size(c->C, &mloc, &nloc, &lld);
    c->c0len = lld * nloc;
    c->c0 = malloc(sizeof(double) * (c->c0len + 1));
    if (dc_mat_get_array_read(c->C, &arr, NULL) == DC_SUCCESS) {
        memcpy(c->c0, arr, sizeof(double) * c->c0len);
        dc_mat_restore_array_read(c->C, &arr);
    }
}

/* ---- the first GEMM on a fresh env (its first-use allocations: the communicator cache) */

/* operands in place: few allocations besides the env's first-use ones (env creation is slow) */
static const int fresh_dist[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};

static void fresh_reset(fcase_t *c)
{
    dc_env_t *env;

    if (c->C != NULL) {
        gemm_reset(c);
        return;
    }
    env = dct_env_create();
    if (env == NULL)
        return;
    CU_ASSERT(dc_env_set_debug(env, 0) == DC_SUCCESS);
    gemm_setup(c, env, c->name, DC_MAT_NOTRANS, DC_MAT_NOTRANS, 8, 8, 8, fresh_dist);
    c->reset = fresh_reset; /* gemm_setup set its own */
    c->env = env;
}

static void fresh_after(fcase_t *c)
{
    dc_mat_destroy(&c->A);
    dc_mat_destroy(&c->B);
    dc_mat_destroy(&c->C);
    free(c->c0);
    free(c->ref);
    c->c0 = c->ref = NULL;
    dc_env_destroy(&c->env);
}

/* ---- matrix redistribute / transpose: C = A or A^T */

static int redist_run(fcase_t *c)
{
    return c->opa == DC_MAT_TRANS ? dc_mat_transpose(c->A, c->C) : dc_mat_redistribute(c->A, c->C);
}

static int redist_check(fcase_t *c)
{
    double *g = full(c->C, c->m, c->n);
    int ok = close_to(g, c->ref, (size_t)(c->m * c->n), 0.0);

    free(g);
    return dct_all(ok);
}

static void redist_reset(fcase_t *c)
{
    (void)c;
}

static void redist_setup(fcase_t *c, dc_env_t *env, const char *name, int trans)
{
    double *a;
    int64_t i, j, m = 9, n = 7;

    c->name = name;
    c->run = redist_run;
    c->check = redist_check;
    c->reset = redist_reset;
    c->opa = trans ? DC_MAT_TRANS : DC_MAT_NOTRANS;
    c->A = make_mat(env, m, n, 0, 2, 3, 4);
    c->m = trans ? n : m;
    c->n = trans ? m : n;
    c->C = make_mat(env, c->m, c->n, 1, 1, 2, 5);
    if (c->A == NULL || c->C == NULL)
        return;
    a = full(c->A, m, n);
    c->ref = malloc(sizeof(double) * (size_t)(m * n));
    for (j = 0; j < n; j++)
        for (i = 0; i < m; i++) {
            if (trans)
                c->ref[j + i * n] = a[i + j * m];
            else
                c->ref[i + j * m] = a[i + j * m];
        }
    free(a);
}

static double vfill(dc_gidx_t g, void *ctx);

/* ---- matrix scatter then gather (to every rank): C from the full array ref, back to g */

static int sg_run(fcase_t *c)
{
    int rc = dc_mat_scatter(c->C, dct_size - 1, c->ref, (size_t)c->m);

    if (rc == DC_SUCCESS) {
        memset(c->c0, 0, sizeof(double) * (size_t)(c->m * c->n));
        rc = dc_mat_gather(c->C, -1, c->c0, (size_t)c->m);
    }
    return rc;
}

static int sg_check(fcase_t *c)
{
    return dct_all(close_to(c->c0, c->ref, (size_t)(c->m * c->n), 0.0));
}

static void sg_setup(fcase_t *c, dc_env_t *env)
{
    int64_t i;

    c->name = "dc_mat_scatter + dc_mat_gather";
    c->run = sg_run;
    c->check = sg_check;
    c->reset = redist_reset;
    c->m = 8;
    c->n = 9;
    c->C = make_mat(env, c->m, c->n, 0, 3, 2, 7);
    c->ref = malloc(sizeof(double) * (size_t)(c->m * c->n));
    c->c0 = malloc(sizeof(double) * (size_t)(c->m * c->n));
    for (i = 0; i < c->m * c->n; i++)
        c->ref[i] = dct_rand(8, (uint64_t)i);
}

/* ---- GEMV: y (cyclic) = 2 A^T x (x block), checked against the serial product */

static int gemv_run(fcase_t *c)
{
    return dc_mat_gemv(DC_MAT_TRANS, 2.0, c->A, c->x, 0.0, c->y);
}

static int gemv_check(fcase_t *c)
{
    double g[64];
    int ok = dc_vec_gather(c->y, -1, g) == DC_SUCCESS;

    ok = ok && close_to(g, c->ref, (size_t)c->n, 1e-13);
    return dct_all(ok);
}

static void gemv_setup(fcase_t *c, dc_env_t *env)
{
    dc_layout_t *lx = NULL, *ly = NULL;
    double *a, x[64];
    int64_t i, j;

    c->name = "dc_mat_gemv";
    c->run = gemv_run;
    c->check = gemv_check;
    c->reset = redist_reset;
    c->m = 11; /* A is m x n; y = 2 A^T x has n entries */
    c->n = 7;
    c->A = make_mat(env, c->m, c->n, 0, 2, 3, 9);
    if (dc_layout_create_block(env, c->m, &lx) != DC_SUCCESS ||
        dc_layout_create_cyclic(env, c->n, &ly) != DC_SUCCESS ||
        dc_vec_create(lx, &c->x) != DC_SUCCESS || dc_vec_create(ly, &c->y) != DC_SUCCESS ||
        dc_vec_fill(c->x, vfill, NULL) != DC_SUCCESS)
        CU_FAIL("gemv setup");
    dc_layout_destroy(&lx);
    dc_layout_destroy(&ly);
    if (c->A == NULL)
        return;
    a = full(c->A, c->m, c->n);
    for (i = 0; i < c->m; i++)
        x[i] = dct_rand(6, (uint64_t)i);
    c->ref = calloc((size_t)c->n, sizeof(double));
    for (j = 0; j < c->n; j++) {
        for (i = 0; i < c->m; i++)
            c->ref[j] += a[i + j * c->m] * x[i];
        c->ref[j] *= 2.0;
    }
    free(a);
}

/* ---- vector redistribute: y (cyclic) = x (weighted) */

static double vfill(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return dct_rand(6, (uint64_t)g);
}

static int vec_run(fcase_t *c)
{
    return dc_vec_redistribute(c->x, c->y);
}

static int vec_check(fcase_t *c)
{
    double g[64];
    int i, ok = dc_vec_gather(c->y, -1, g) == DC_SUCCESS;

    for (i = 0; ok && i < c->n; i++)
        ok = g[i] == dct_rand(6, (uint64_t)i);
    return dct_all(ok);
}

static void vec_reset(fcase_t *c)
{
    dc_vec_set_all(c->y, 0.0);
}

static void vec_setup(fcase_t *c, dc_env_t *env)
{
    dc_layout_t *lx = NULL, *ly = NULL;

    c->name = "dc_vec_redistribute";
    c->run = vec_run;
    c->check = vec_check;
    c->reset = vec_reset;
    c->n = 37;
    if (dc_layout_create_weighted(env, c->n, 1.0 + dct_rank, &lx) != DC_SUCCESS ||
        dc_layout_create_block_cyclic(env, c->n, 2, &ly) != DC_SUCCESS ||
        dc_vec_create(lx, &c->x) != DC_SUCCESS || dc_vec_create(ly, &c->y) != DC_SUCCESS ||
        dc_vec_fill(c->x, vfill, NULL) != DC_SUCCESS)
        CU_FAIL("vector setup");
    dc_layout_destroy(&lx);
    dc_layout_destroy(&ly);
}

/* ---- scheduler: create, set up, run, destroy; integer values, so the sum is exact */

static int block_fn(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    (void)hi;
    (void)ctx;
    *(double *)value = (double)(lo % 7);
    return 0;
}

/* A task is its depth; depth < 3 spawns two children. Values: depth + 1. */
static int task_fn(dc_sched_task_t *tc, const void *task, void *value, void *ctx)
{
    int d = *(const int *)task, child = d + 1, rc = DC_SUCCESS;

    (void)ctx;
    if (d < 3) {
        rc = dc_sched_task_spawn(tc, &child);
        if (rc == DC_SUCCESS)
            rc = dc_sched_task_spawn(tc, &child);
    }
    *(double *)value = (double)(d + 1);
    return rc;
}

static const int64_t sched_n = 23;
static double sched_result;

static int sched_run(fcase_t *c)
{
    dc_sched_t *s = NULL;
    int rc, drc, roots[4] = {0, 0, 0, 0};

    sched_result = -1.0;
    rc = dc_sched_create(c->env, &s);
    if (rc != DC_SUCCESS)
        return rc;
    rc = dc_sched_set_kind(s, c->kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_chunk(s, 2);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(s);
    if (rc == DC_SUCCESS)
        rc = c->tasks ? dc_sched_run_tasks(s, 4, roots, sizeof(int), task_fn, NULL, &sched_result)
                      : dc_sched_run(s, sched_n, block_fn, NULL, &sched_result);
    drc = dc_sched_destroy(&s);
    return rc != DC_SUCCESS ? rc : drc;
}

static int sched_check(fcase_t *c)
{
    double want = 0.0;
    int64_t i;

    if (c->tasks) /* 4 trees of 1 + 2 + 4 + 8 tasks of values 1, 2, 3, 4 */
        want = 4.0 * (1 * 1 + 2 * 2 + 4 * 3 + 8 * 4);
    else
        for (i = 0; i < sched_n; i++)
            want += (double)(i % 7);
    return dct_all(sched_result == want);
}

static void sched_reset(fcase_t *c)
{
    (void)c;
}

static void sched_setup(fcase_t *c, dc_env_t *env, const char *name, dc_sched_kind_t kind,
                        int tasks)
{
    c->name = name;
    c->run = sched_run;
    c->check = sched_check;
    c->reset = sched_reset;
    c->env = env;
    c->kind = kind;
    c->tasks = tasks;
}

static void case_free(fcase_t *c)
{
    dc_mat_destroy(&c->A);
    dc_mat_destroy(&c->B);
    dc_mat_destroy(&c->C);
    dc_vec_destroy(&c->x);
    dc_vec_destroy(&c->y);
    free(c->c0);
    free(c->ref);
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- the sweep */

/*
 * Run c with the n-th allocation of rank r failing; 1 on every rank if all was right. The
 * allocations alive are counted before the inputs are restored (or created) and after the
 * run, its checks and the case's own clean-up: they must be equal.
 */
/* c->run for dct_fail_alloc_step */
static int run_fn(void *ctx)
{
    fcase_t *c = ctx;
    return c->run(c);
}

static int one(fcase_t *c, long n, int r, int *fired_p)
{
    long live0, live1;
    int rc, fired, ok = 1, rc2;

    live0 = dci_test_alloc_live();
    c->reset(c);
    /* the same code on every rank: DC_ERR_NOMEM after the failure, else success and the
     * reference */
    ok = dct_fail_alloc_step(n, r, run_fn, c, &rc, &fired);
    *fired_p = fired;
    if (ok && !fired)
        ok = c->check(c);
    if (!dct_all(ok)) {
        fprintf(stderr,
                "[rank %d] %s, allocation %ld failing on rank %d: rc %d (%s), fired %d%s%s\n",
                dct_rank, c->name, n, r, rc, dc_strerror(rc), fired, rc != DC_SUCCESS ? ": " : "",
                rc != DC_SUCCESS ? dc_env_last_error(NULL) : "");
        return 0;
    }
    /* the env still works: the same operation, without failure, gives the reference */
    if (rc != DC_SUCCESS) {
        c->reset(c);
        rc2 = c->run(c);
        ok = dct_all(rc2 == DC_SUCCESS) && c->check(c);
        if (!ok && dct_rank == 0)
            fprintf(stderr, "%s: the run after a failure of allocation %ld on rank %d: rc %d\n",
                    c->name, n, r, rc2);
    }
    if (c->after != NULL)
        c->after(c);
    live1 = dci_test_alloc_live();
    if (!dct_all(live1 == live0)) {
        fprintf(stderr,
                "[rank %d] %s, allocation %ld failing on rank %d: %ld allocations alive "
                "before, %ld after\n",
                dct_rank, c->name, n, r, live0, live1);
        ok = 0;
    }
    return ok;
}

static void sweep(fcase_t *c)
{
    long n;
    int r, any = 1, fired, ok = 1, rc;

    /* a first run outside the sweep: caches (e.g. GEMM's communicators) exist from then on,
     * except where the case makes a fresh env every time */
    c->reset(c);
    rc = c->run(c);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && c->check(c));
    if (c->after != NULL)
        c->after(c);
    for (n = 1; any && ok && n < 100000; n++) {
        any = 0;
        for (r = 0; r < dct_size && ok; r++) {
            ok = one(c, n, r, &fired);
            any |= fired;
        }
    }
    CU_ASSERT(ok);
    /* on several ranks every operation allocates: otherwise this sweep would prove nothing
     * (on one rank some have nothing to move) */
    CU_ASSERT(n > 2 || dct_size == 1);
    if (dct_rank == 0)
        printf("\n    %s: %ld allocations swept on each of %d rank(s)", c->name, n - 2, dct_size);
}

/* ---------------------------------------------------------------- tests */

static dc_env_t *env_nodebug(void)
{
    dc_env_t *env = dct_env_create();

    if (env != NULL)
        CU_ASSERT(dc_env_set_debug(env, 0) == DC_SUCCESS);
    return env;
}

static void test_gemm(void)
{
    /* per operand: grid shape (0 near-square, 1 P x 1, 2 1 x P), mb, nb */
    static const int mixed[3][3] = {{0, 2, 2}, {1, 3, 1}, {2, 1, 3}};
    static const int same[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    dc_env_t *env = env_nodebug();
    fcase_t c;
    int round;

    if (env == NULL)
        return;
    for (round = 0; round < 7; round++) {
        memset(&c, 0, sizeof(c));
        switch (round) {
        case 6:
            c.name = "the first GEMM on a fresh env";
            c.run = gemm_run;
            c.check = gemm_check;
            c.reset = fresh_reset;
            c.after = fresh_after;
            sweep(&c);
            continue;
        case 0:
            gemm_setup(&c, env, "GEMM, operands redistributed", DC_MAT_NOTRANS, DC_MAT_NOTRANS, 10,
                       9, 11, mixed);
            break;
        case 1:
            gemm_setup(&c, env, "GEMM in place", DC_MAT_NOTRANS, DC_MAT_NOTRANS, 8, 8, 8, same);
            break;
        case 2:
            gemm_setup(&c, env, "GEMM A^T B^T", DC_MAT_TRANS, DC_MAT_TRANS, 7, 6, 9, mixed);
            break;
        case 3:
            gemm_setup(&c, env, "GEMM split-k", DC_MAT_NOTRANS, DC_MAT_NOTRANS, 4, 5, 40, same);
            c.prm.field_mask = DC_GEMM_PARAM_ALGO;
            c.prm.algo = DC_GEMM_SPLITK;
            break;
        case 4:
            gemm_setup(&c, env, "GEMM reproducible", DC_MAT_NOTRANS, DC_MAT_NOTRANS, 9, 8, 10,
                       mixed);
            c.prm.field_mask = DC_GEMM_PARAM_REPRO | DC_GEMM_PARAM_TILE;
            c.prm.repro = DC_REPRO_BINNED;
            c.prm.tile_m = c.prm.tile_n = c.prm.tile_k = 4;
            break;
        case 5:
            gemm_setup(&c, env, "GEMM P x 1 grid, panels of 2", DC_MAT_NOTRANS, DC_MAT_TRANS, 9, 7,
                       12, mixed);
            c.prm.field_mask = DC_GEMM_PARAM_GRID | DC_GEMM_PARAM_PANEL;
            c.prm.nprow = dct_size;
            c.prm.npcol = 1;
            c.prm.nlayers = 1;
            c.prm.panel = 2;
            break;
        }
        if (c.A != NULL && c.B != NULL && c.C != NULL)
            sweep(&c);
        case_free(&c);
    }
    dc_env_destroy(&env);
}

static void test_mat_copies(void)
{
    dc_env_t *env = env_nodebug();
    fcase_t c;

    if (env == NULL)
        return;
    memset(&c, 0, sizeof(c));
    redist_setup(&c, env, "dc_mat_redistribute", 0);
    if (c.A != NULL && c.C != NULL)
        sweep(&c);
    case_free(&c);
    redist_setup(&c, env, "dc_mat_transpose", 1);
    if (c.A != NULL && c.C != NULL)
        sweep(&c);
    case_free(&c);
    sg_setup(&c, env);
    if (c.C != NULL)
        sweep(&c);
    case_free(&c);
    gemv_setup(&c, env);
    if (c.A != NULL && c.x != NULL && c.y != NULL)
        sweep(&c);
    case_free(&c);
    dc_env_destroy(&env);
}

static void test_vec(void)
{
    dc_env_t *env = env_nodebug();
    fcase_t c;

    if (env == NULL)
        return;
    memset(&c, 0, sizeof(c));
    vec_setup(&c, env);
    if (c.x != NULL && c.y != NULL)
        sweep(&c);
    case_free(&c);
    dc_env_destroy(&env);
}

static void test_sched(void)
{
    dc_env_t *env = env_nodebug();
    fcase_t c;

    if (env == NULL)
        return;
    memset(&c, 0, sizeof(c));
    sched_setup(&c, env, "dc_sched static", DC_SCHED_STATIC, 0);
    sweep(&c);
    sched_setup(&c, env, "dc_sched dynamic", DC_SCHED_DYNAMIC, 0);
    sweep(&c);
    sched_setup(&c, env, "dc_sched stealing", DC_SCHED_STEAL, 0);
    sweep(&c);
    sched_setup(&c, env, "dc_sched tasks, stealing", DC_SCHED_STEAL, 1);
    sweep(&c);
    sched_setup(&c, env, "dc_sched tasks, dynamic", DC_SCHED_DYNAMIC, 1);
    sweep(&c);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("fault", NULL, NULL);

    CU_add_test(s, "GEMM: every allocation failing on each rank, several plans", test_gemm);
    CU_add_test(s, "matrix redistribute, transpose, scatter/gather, GEMV", test_mat_copies);
    CU_add_test(s, "vector redistribute", test_vec);
    CU_add_test(s, "scheduler: setup and run", test_sched);
}
