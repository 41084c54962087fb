/*
 * Tests of operators and Krylov solvers (dc_solve.h) with shell operators written here: a
 * symmetric tridiagonal matrix (random diagonally dominant, or the 1-D Laplacian) whose apply
 * exchanges its neighbour values with MPI itself (Sendrecv on a block layout, or an allgather on
 * a layout where rank 0 owns nothing), and diagonal operators. Every solution is compared with a
 * serial direct (Thomas) solve computed here, iteration counts with a serial PCG written here
 * or with the exact-arithmetic bound (k distinct eigenvalues: at most k iterations), and in
 * reproducible mode the bits of a solve on all ranks with those of a solve on one rank
 * (MPI_COMM_SELF) in the same job.
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the test operators */

enum { EX_SENDRECV = 0, EX_ALLGATHER = 1 };

/* Symmetric tridiagonal: A(i,i) = d[i], A(i,i+1) = A(i+1,i) = e[i]. Global arrays on every
 * rank; the apply reads the neighbours of its block through MPI on comm. */
typedef struct tri {
    MPI_Comm comm;
    int rank, size, exchange;
    int64_t n;
    double *d, *e;
    int nan_after;  /* >= 0: the apply puts a NaN into y from this call on */
    int fail_rank;  /* >= 0: this rank's apply fails (after its exchange) from call fail_after */
    int fail_after; /* call count at which the failure starts */
    int calls;
    double *full; /* allgather scratch (n) */
} tri_t;

static void tri_init(tri_t *t, MPI_Comm comm, int64_t n, int laplace, uint64_t seed, int ex)
{
    int64_t i;

    memset(t, 0, sizeof(*t));
    t->comm = comm;
    MPI_Comm_rank(comm, &t->rank);
    MPI_Comm_size(comm, &t->size);
    t->exchange = ex;
    t->n = n;
    t->d = malloc((size_t)n * sizeof(double));
    t->e = malloc((size_t)(n > 1 ? n : 1) * sizeof(double));
    t->full = malloc((size_t)n * sizeof(double));
    for (i = 0; i < n; i++) {
        t->d[i] = laplace ? 2.0 : 4.0 + dct_rand(seed, (uint64_t)i);
        t->e[i] = i + 1 < n ? (laplace ? -1.0 : 1.5 * dct_rand(seed + 1, (uint64_t)i)) : 0.0;
    }
    t->nan_after = -1;
    t->fail_rank = -1;
}

static void tri_free(tri_t *t)
{
    free(t->d);
    free(t->e);
    free(t->full);
}

/* Row i of A x given x[i-1], x[i], x[i+1] (same operations in the same order everywhere). */
static double tri_row(const tri_t *t, int64_t i, double xm, double x0, double xp)
{
    double v = t->d[i] * x0;
    if (i > 0)
        v += t->e[i - 1] * xm;
    if (i + 1 < t->n)
        v += t->e[i] * xp;
    return v;
}

static int tri_apply(const dc_vec_t *x, dc_vec_t *y, void *ctx)
{
    tri_t *t = ctx;
    dc_layout_t *l = NULL;
    dc_gidx_t lo = 0, hi = 0;
    const double *xa = NULL;
    double *ya = NULL, xl = 0.0, xr = 0.0;
    size_t nl = 0, i;
    int rc = 0;

    t->calls++;
    dc_vec_get_layout(x, &l);
    dc_layout_get_range(l, t->rank, &lo, &hi);
    dc_vec_get_local_size(x, &nl);
    if (dc_vec_get_array_read(x, &xa) != DC_SUCCESS || dc_vec_get_array(y, &ya) != DC_SUCCESS)
        return DC_ERR_STATE; /* not reached by the tests: the solver's vectors are free */
    if (t->exchange == EX_SENDRECV) {
        int left = t->rank > 0 ? t->rank - 1 : MPI_PROC_NULL;
        int right = t->rank + 1 < t->size ? t->rank + 1 : MPI_PROC_NULL;
        MPI_Sendrecv(&xa[0], 1, MPI_DOUBLE, left, 11, &xr, 1, MPI_DOUBLE, right, 11, t->comm,
                     MPI_STATUS_IGNORE);
        MPI_Sendrecv(&xa[nl - 1], 1, MPI_DOUBLE, right, 12, &xl, 1, MPI_DOUBLE, left, 12, t->comm,
                     MPI_STATUS_IGNORE);
        for (i = 0; i < nl; i++) {
            int64_t g = lo + (int64_t)i;
            double xm = i > 0 ? xa[i - 1] : xl, xp = i + 1 < nl ? xa[i + 1] : xr;
            ya[i] = tri_row(t, g, xm, xa[i], xp);
        }
    } else {
        int *cnt = malloc((size_t)t->size * sizeof(int)),
            *dis = malloc((size_t)t->size * sizeof(int));
        int r;
        for (r = 0; r < t->size; r++) {
            dc_gidx_t a, b;
            dc_layout_get_range(l, r, &a, &b);
            cnt[r] = (int)(b - a);
            dis[r] = (int)a;
        }
        MPI_Allgatherv(xa, (int)nl, MPI_DOUBLE, t->full, cnt, dis, MPI_DOUBLE, t->comm);
        for (i = 0; i < nl; i++) {
            int64_t g = lo + (int64_t)i;
            ya[i] = tri_row(t, g, g > 0 ? t->full[g - 1] : 0.0, t->full[g],
                            g + 1 < t->n ? t->full[g + 1] : 0.0);
        }
        free(cnt);
        free(dis);
    }
    if (t->nan_after >= 0 && t->calls > t->nan_after && nl > 0)
        ya[0] = NAN;
    if (t->fail_rank == t->rank && t->calls > t->fail_after)
        rc = -77; /* not a library code: reported as DC_ERR_ARG */
    dc_vec_restore_array_read(x, &xa);
    dc_vec_restore_array(y, &ya);
    return rc;
}

static int tri_diag(dc_vec_t *dv, void *ctx)
{
    tri_t *t = ctx;
    dc_layout_t *l = NULL;
    dc_gidx_t lo = 0, hi = 0, g;
    double *a = NULL;

    dc_vec_get_layout(dv, &l);
    dc_layout_get_range(l, t->rank, &lo, &hi);
    if (dc_vec_get_array(dv, &a) != DC_SUCCESS)
        return DC_ERR_STATE;
    for (g = lo; g < hi; g++)
        a[g - lo] = t->d[g];
    dc_vec_restore_array(dv, &a);
    return DC_SUCCESS;
}

/* Shell preconditioner: z_i = r_i / w_i with w_i = 1 + (i mod 3) (SPD, not Jacobi); with
 * negate, z = -r (indefinite); fail_rank's call fails with fail_code (0: DC_ERR_NOTSUP). */
typedef struct pcx {
    int rank, negate, fail_rank, fail_code;
} pcx_t;

static double pc_weight(int64_t g)
{
    return 1.0 + (double)(g % 3);
}

static int pc_shell(const dc_vec_t *r, dc_vec_t *z, void *ctx)
{
    pcx_t *c = ctx;
    dc_layout_t *l = NULL;
    dc_gidx_t lo = 0, hi = 0, g;
    const double *ra = NULL;
    double *za = NULL;

    dc_vec_get_layout(r, &l);
    dc_layout_get_range(l, c->rank, &lo, &hi);
    dc_vec_get_array_read(r, &ra);
    dc_vec_get_array(z, &za);
    for (g = lo; g < hi; g++)
        za[g - lo] = c->negate ? -ra[g - lo] : ra[g - lo] / pc_weight(g);
    dc_vec_restore_array_read(r, &ra);
    dc_vec_restore_array(z, &za);
    if (c->fail_rank != c->rank)
        return DC_SUCCESS;
    return c->fail_code != 0 ? c->fail_code : DC_ERR_NOTSUP;
}

/* Diagonal operator y = dv .* x (dv global, on every rank); a negative entry makes it
 * indefinite. */
typedef struct dgo {
    int rank;
    const double *dv;
} dgo_t;

static int dg_apply(const dc_vec_t *x, dc_vec_t *y, void *ctx)
{
    dgo_t *o = ctx;
    dc_layout_t *l = NULL;
    dc_gidx_t lo = 0, hi = 0, g;
    const double *xa = NULL;
    double *ya = NULL;

    dc_vec_get_layout(x, &l);
    dc_layout_get_range(l, o->rank, &lo, &hi);
    dc_vec_get_array_read(x, &xa);
    dc_vec_get_array(y, &ya);
    for (g = lo; g < hi; g++)
        ya[g - lo] = o->dv[g] * xa[g - lo];
    dc_vec_restore_array_read(x, &xa);
    dc_vec_restore_array(y, &ya);
    return DC_SUCCESS;
}

static int dg_diag(dc_vec_t *d, void *ctx)
{
    dgo_t *o = ctx;
    dc_layout_t *l = NULL;
    dc_gidx_t lo = 0, hi = 0, g;
    double *a = NULL;

    dc_vec_get_layout(d, &l);
    dc_layout_get_range(l, o->rank, &lo, &hi);
    dc_vec_get_array(d, &a);
    for (g = lo; g < hi; g++)
        a[g - lo] = o->dv[g];
    dc_vec_restore_array(d, &a);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- serial references */

/* Thomas algorithm: x = A^-1 b for the tridiagonal (d, e). */
static void thomas(const tri_t *t, const double *b, double *x)
{
    int64_t n = t->n, i;
    double *c = malloc((size_t)n * sizeof(double)), *y = malloc((size_t)n * sizeof(double));

    c[0] = n > 1 ? t->e[0] / t->d[0] : 0.0;
    y[0] = b[0] / t->d[0];
    for (i = 1; i < n; i++) {
        double den = t->d[i] - t->e[i - 1] * c[i - 1];
        c[i] = i + 1 < n ? t->e[i] / den : 0.0;
        y[i] = (b[i] - t->e[i - 1] * y[i - 1]) / den;
    }
    x[n - 1] = y[n - 1];
    for (i = n - 2; i >= 0; i--)
        x[i] = y[i] - c[i] * x[i + 1];
    free(c);
    free(y);
}

static void tri_mult(const tri_t *t, const double *x, double *y)
{
    int64_t i;

    for (i = 0; i < t->n; i++)
        y[i] = tri_row(t, i, i > 0 ? x[i - 1] : 0.0, x[i], i + 1 < t->n ? x[i + 1] : 0.0);
}

static double sdot(const double *x, const double *y, int64_t n)
{
    double s = 0.0;
    int64_t i;

    for (i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* Serial PCG with z = minv .* r from x = 0, stopping as the library does: its count. */
static int serial_pcg(const tri_t *t, const double *minv, const double *b, double rtol, int max_it)
{
    int64_t n = t->n, i;
    double *x = calloc((size_t)n, sizeof(double)), *r = malloc((size_t)n * sizeof(double));
    double *z = malloc((size_t)n * sizeof(double)), *p = malloc((size_t)n * sizeof(double));
    double *q = malloc((size_t)n * sizeof(double)), rz, tol;
    int k = 0;

    tol = rtol * sqrt(sdot(b, b, n));
    for (i = 0; i < n; i++) {
        r[i] = b[i];
        z[i] = minv[i] * r[i];
        p[i] = z[i];
    }
    rz = sdot(r, z, n);
    while (sqrt(sdot(r, r, n)) > tol && k < max_it) {
        double a, rz2;
        tri_mult(t, p, q);
        a = rz / sdot(p, q, n);
        for (i = 0; i < n; i++) {
            x[i] += a * p[i];
            r[i] -= a * q[i];
            z[i] = minv[i] * r[i];
        }
        rz2 = sdot(r, z, n);
        for (i = 0; i < n; i++)
            p[i] = z[i] + rz2 / rz * p[i];
        rz = rz2;
        k++;
    }
    free(x);
    free(r);
    free(z);
    free(p);
    free(q);
    return k;
}

/* ---------------------------------------------------------------- helpers */

static dc_env_t *env_on(MPI_Comm comm, dc_repro_t mode)
{
    dc_env_t *env = NULL;

    if (dc_env_create(comm, NULL, &env) != DC_SUCCESS) {
        CU_FAIL("dc_env_create");
        return NULL;
    }
    if (dc_env_set_repro(env, mode) != DC_SUCCESS)
        CU_FAIL("dc_env_set_repro");
    return env;
}

/* Layout for n: block, or (explicit) rank 0 owns nothing when P > 1. */
static dc_layout_t *make_layout(dc_env_t *env, int64_t n, int empty0)
{
    dc_layout_t *l = NULL;
    int rank, size, rc;

    dc_env_get_rank(env, &rank, &size);
    if (empty0 && size > 1) {
        int q = size - 1;
        int64_t mine = rank == 0 ? 0 : n / q + (rank - 1 < n % q ? 1 : 0);
        rc = dc_layout_create_explicit(env, (size_t)mine, &l);
    } else {
        rc = dc_layout_create_block(env, n, &l);
    }
    if (rc != DC_SUCCESS)
        CU_FAIL("layout");
    return l;
}

static dc_vec_t *vec_from(dc_layout_t *l, const double *global)
{
    dc_vec_t *v = NULL;

    if (dc_vec_create(l, &v) != DC_SUCCESS) {
        CU_FAIL("dc_vec_create");
        return NULL;
    }
    if (global != NULL && dc_vec_scatter(v, 0, global) != DC_SUCCESS)
        CU_FAIL("dc_vec_scatter");
    return v;
}

static double *rand_vec(int64_t n, uint64_t seed)
{
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int64_t i;

    for (i = 0; i < n; i++)
        v[i] = dct_rand(seed, (uint64_t)i);
    return v;
}

static double max_diff(const double *a, const double *b, int64_t n, double *scale_p)
{
    double m = 0.0, s = 0.0;
    int64_t i;

    for (i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= m))
            m = d;
        if (fabs(b[i]) > s)
            s = fabs(b[i]);
    }
    *scale_p = s;
    return m;
}

static dc_solver_params_t prm_make(dc_solver_type_t type, dc_pc_type_t pc, double rtol,
                                   dc_repro_t repro)
{
    dc_solver_params_t p;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_SOLVER_PARAM_TYPE | DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_RTOL |
                   DC_SOLVER_PARAM_REPRO | DC_SOLVER_PARAM_ATOL;
    p.type = type;
    p.pc = pc;
    p.rtol = rtol;
    p.atol = 0.0;
    p.repro = repro;
    return p;
}

static const char *const type_name[] = {"CG", "PIPECG"};
static const char *const pc_name[] = {"none", "Jacobi", "MG", "shell"};

/* ---------------------------------------------------------------- operators */

static void test_op_apply(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    tri_t t;
    int64_t n = 37, i;
    int ex, ok = 1, rc;

    for (ex = 0; ex < 2; ex++) {
        dc_layout_t *l = make_layout(env, n, ex == EX_ALLGATHER), *l2 = NULL;
        double *xg = rand_vec(n, 5), *yref = malloc((size_t)n * sizeof(double));
        double *yg = malloc((size_t)n * sizeof(double)), *dg = malloc((size_t)n * sizeof(double));
        dc_vec_t *x = vec_from(l, xg), *y = vec_from(l, NULL), *d = vec_from(l, NULL);
        dc_op_t *op = NULL;

        tri_init(&t, MPI_COMM_WORLD, n, 0, 21, ex);
        rc = dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        /* the operator keeps its layout */
        dc_layout_destroy(&l);
        DCT_ASSERT_ALL(dc_op_get_layout(op, &l2) == DC_SUCCESS && l2 != NULL);
        rc = dc_op_apply(op, x, y);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        tri_mult(&t, xg, yref);
        dc_vec_gather(y, -1, yg);
        for (i = 0; i < n; i++)
            ok &= yg[i] == yref[i]; /* same operations in the same order */
        DCT_ASSERT_ALL(ok);
        rc = dc_op_get_diagonal(op, d);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        dc_vec_gather(d, -1, dg);
        for (i = 0; i < n; i++)
            ok &= dg[i] == t.d[i];
        DCT_ASSERT_ALL(ok);
        /* bad input: x == y, y borrowed, x on another layout, NULL */
        DCT_ASSERT_ALL(dc_op_apply(op, x, x) == DC_ERR_ARG);
        {
            double *a = NULL;
            dc_vec_get_array(y, &a);
            DCT_ASSERT_ALL(dc_op_apply(op, x, y) == DC_ERR_STATE);
            dc_vec_restore_array(y, &a);
        }
        {
            dc_layout_t *lo = NULL;
            dc_vec_t *w = NULL;
            dc_layout_create_block(env, n + 1, &lo);
            dc_vec_create(lo, &w);
            DCT_ASSERT_ALL(dc_op_apply(op, w, y) == DC_ERR_ARG);
            DCT_ASSERT_ALL(dc_op_get_diagonal(op, w) == DC_ERR_ARG);
            dc_vec_destroy(&w);
            dc_layout_destroy(&lo);
        }
        DCT_ASSERT_ALL(dc_op_apply(NULL, x, y) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_op_apply(op, NULL, y) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_op_get_layout(op, NULL) == DC_ERR_ARG);
        {
            /* a solver keeps the operator's memory alive, so the released handle can be
             * passed again safely: it is rejected */
            dc_op_t *copy = op;
            dc_solver_t *s = NULL;
            DCT_ASSERT_ALL(dc_solver_create(op, NULL, &s) == DC_SUCCESS);
            DCT_ASSERT_ALL(dc_op_destroy(&op) == DC_SUCCESS && op == NULL);
            DCT_ASSERT_ALL(dc_op_destroy(&copy) == DC_ERR_ARG);
            DCT_ASSERT_ALL(dc_op_apply(copy, x, y) == DC_ERR_ARG);
            DCT_ASSERT_ALL(dc_solver_create(copy, NULL, &s) == DC_ERR_ARG);
            dc_solver_destroy(&s);
        }
        DCT_ASSERT_ALL(dc_op_destroy(NULL) == DC_SUCCESS);
        dc_vec_destroy(&x);
        dc_vec_destroy(&y);
        dc_vec_destroy(&d);
        tri_free(&t);
        free(xg);
        free(yref);
        free(yg);
        free(dg);
    }
    /* a shell without diag, and NULL arguments */
    {
        dc_layout_t *l = make_layout(env, n, 0);
        dc_vec_t *d = vec_from(l, NULL);
        dc_op_t *op = NULL;
        tri_init(&t, MPI_COMM_WORLD, n, 0, 21, EX_SENDRECV);
        DCT_ASSERT_ALL(dc_op_create_shell(l, NULL, NULL, &t, &op) == DC_ERR_ARG && op == NULL);
        DCT_ASSERT_ALL(dc_op_create_shell(l, tri_apply, NULL, &t, NULL) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_op_create_shell(NULL, tri_apply, NULL, &t, &op) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_op_create_shell(l, tri_apply, NULL, &t, &op) == DC_SUCCESS);
        DCT_ASSERT_ALL(dc_op_get_diagonal(op, d) == DC_ERR_NOTSUP);
        dc_op_destroy(&op);
        /* diag given on some ranks only: the same error everywhere */
        if (dct_size > 1) {
            rc = dc_op_create_shell(l, tri_apply, dct_rank == 1 ? tri_diag : NULL, &t, &op);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG && op == NULL);
        }
        dc_vec_destroy(&d);
        dc_layout_destroy(&l);
        tri_free(&t);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- solutions */

/*
 * CG and PIPECG x none/Jacobi/shell x plain/binned on the random tridiagonal and the 1-D
 * Laplacian, both exchanges: x against the direct solve, the iteration count against the
 * serial PCG (within one: the last step may land on either side of the tolerance), the
 * reason, the history and the true residual.
 */
static void test_solve_tridiag(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    const int pcs[3] = {DC_PC_NONE, DC_PC_JACOBI, DC_PC_SHELL};
    int64_t n, i;
    int op_kind, type, ip, rp, ex;

    for (op_kind = 0; op_kind < 2; op_kind++) {
        n = op_kind == 0 ? 103 : 48;
        for (ex = 0; ex < 2; ex++) {
            tri_t t;
            double *bg = rand_vec(n, 77 + (uint64_t)op_kind), *xref = malloc((size_t)n * 8);
            double *xg = malloc((size_t)n * 8), *ax = malloc((size_t)n * 8);
            double *minv = malloc((size_t)n * 8);
            dc_layout_t *l = make_layout(env, n, ex == EX_ALLGATHER);
            dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
            dc_op_t *op = NULL;

            tri_init(&t, MPI_COMM_WORLD, n, op_kind == 1, 31, ex);
            thomas(&t, bg, xref);
            DCT_ASSERT_ALL(dc_op_create_shell(l, tri_apply, tri_diag, &t, &op) == DC_SUCCESS);
            for (type = 0; type < 2; type++)
                for (ip = 0; ip < 3; ip++)
                    for (rp = 0; rp < 2; rp++) {
                        dc_solver_params_t p =
                            prm_make((dc_solver_type_t)type, (dc_pc_type_t)pcs[ip], 1e-10,
                                     rp ? DC_REPRO_BINNED : DC_REPRO_OFF);
                        pcx_t pc = {dct_rank, 0, -1};
                        dc_solver_t *s = NULL;
                        dc_solve_result_t res;
                        const double *h = NULL;
                        int nh = 0, its_ref, ok, rc;
                        double scale, err, bn, rn;

                        memset(&res, 0, sizeof(res));
                        p.field_mask |= DC_SOLVER_PARAM_PC_SHELL;
                        p.pc_apply = pc_shell;
                        p.pc_ctx = &pc;
                        rc = dc_solver_create(op, &p, &s);
                        DCT_ASSERT_ALL(rc == DC_SUCCESS);
                        rc = dc_solver_solve(s, b, x);
                        DCT_ASSERT_ALL(rc == DC_SUCCESS);
                        dc_solver_get_result(s, &res);
                        dc_solver_get_history(s, &h, &nh);
                        dc_vec_gather(x, -1, xg);
                        err = max_diff(xg, xref, n, &scale);
                        for (i = 0; i < n; i++)
                            minv[i] = pcs[ip] == DC_PC_NONE     ? 1.0
                                      : pcs[ip] == DC_PC_JACOBI ? 1.0 / t.d[i]
                                                                : 1.0 / pc_weight(i);
                        its_ref = serial_pcg(&t, minv, bg, 1e-10, 10000);
                        tri_mult(&t, xg, ax);
                        for (i = 0; i < n; i++)
                            ax[i] = bg[i] - ax[i];
                        bn = sqrt(sdot(bg, bg, n));
                        rn = sqrt(sdot(ax, ax, n));
                        ok = res.reason == DC_SOLVE_CONVERGED_RTOL && err <= 1e-8 * scale &&
                             abs(res.iterations - its_ref) <= 1 && nh == res.iterations + 1 &&
                             h != NULL && h[0] == res.rnorm0 && h[nh - 1] == res.rnorm &&
                             res.rnorm <= 1e-10 * res.bnorm && fabs(res.bnorm - bn) <= 1e-13 * bn &&
                             rn <= 1e-8 * bn && res.solve_time >= 0.0 && res.reduce_wait >= 0.0 &&
                             res.reduce_wait <= res.solve_time && res.mg_levels == 0;
                        if (!ok)
                            fprintf(stderr,
                                    "[rank %d] %s/%s/%s op %d ex %d: reason %d its %d (serial "
                                    "%d) err %g (scale %g) nh %d rnorm %g bnorm %g true %g\n",
                                    dct_rank, type_name[type], pc_name[pcs[ip]],
                                    rp ? "binned" : "off", op_kind, ex, res.reason, res.iterations,
                                    its_ref, err, scale, nh, res.rnorm, res.bnorm, rn);
                        DCT_ASSERT_ALL(ok);
                        /* the 1-D Laplacian has n distinct eigenvalues: at most n steps */
                        if (op_kind == 1 && pcs[ip] == DC_PC_NONE)
                            DCT_ASSERT_ALL(res.iterations <= n);
                        dc_solver_destroy(&s);
                        DCT_ASSERT_ALL(s == NULL);
                    }
            dc_op_destroy(&op);
            dc_vec_destroy(&b);
            dc_vec_destroy(&x);
            dc_layout_destroy(&l);
            tri_free(&t);
            free(bg);
            free(xref);
            free(xg);
            free(ax);
            free(minv);
        }
    }
    dc_env_destroy(&env);
}

/* k distinct eigenvalues: CG and PIPECG converge in at most k iterations; Jacobi makes the
 * operator the identity: one iteration. */
static void test_distinct_eigenvalues(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 50, i;
    double *dv = malloc((size_t)n * 8), *bg = rand_vec(n, 3), *xg = malloc((size_t)n * 8);
    dgo_t o = {dct_rank, dv};
    dc_layout_t *l = make_layout(env, n, 1);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
    dc_op_t *op = NULL;
    int type, jac;

    for (i = 0; i < n; i++)
        dv[i] = i % 3 == 0 ? 1.0 : i % 3 == 1 ? 2.5 : 4.0;
    DCT_ASSERT_ALL(dc_op_create_shell(l, dg_apply, dg_diag, &o, &op) == DC_SUCCESS);
    for (type = 0; type < 2; type++)
        for (jac = 0; jac < 2; jac++) {
            dc_solver_params_t p = prm_make((dc_solver_type_t)type, jac ? DC_PC_JACOBI : DC_PC_NONE,
                                            1e-10, DC_REPRO_OFF);
            dc_solver_t *s = NULL;
            dc_solve_result_t res;
            double scale, err;
            int ok;

            memset(&res, 0, sizeof(res));
            dc_solver_create(op, &p, &s);
            DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
            dc_solver_get_result(s, &res);
            dc_vec_gather(x, -1, xg);
            {
                double *xr = malloc((size_t)n * 8);
                for (i = 0; i < n; i++)
                    xr[i] = bg[i] / dv[i];
                err = max_diff(xg, xr, n, &scale);
                free(xr);
            }
            ok = res.reason == DC_SOLVE_CONVERGED_RTOL &&
                 (jac ? res.iterations == 1 : res.iterations <= 3) && err <= 1e-9 * scale;
            if (!ok)
                fprintf(stderr, "[rank %d] %s jac %d: reason %d its %d err %g\n", dct_rank,
                        type_name[type], jac, res.reason, res.iterations, err);
            DCT_ASSERT_ALL(ok);
            dc_solver_destroy(&s);
        }
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    free(dv);
    free(bg);
    free(xg);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reasons */

static void test_reasons(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 64, i;
    tri_t t;
    double *bg = rand_vec(n, 9), *xg = malloc((size_t)n * 8), *dv = malloc((size_t)n * 8);
    dgo_t o = {dct_rank, dv};
    dc_layout_t *l = make_layout(env, n, 0);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
    dc_op_t *op = NULL, *neg = NULL;
    int type;

    tri_init(&t, MPI_COMM_WORLD, n, 1, 0, EX_SENDRECV);
    for (i = 0; i < n; i++)
        dv[i] = -1.0 - (double)(i % 4); /* negative definite */
    dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
    dc_op_create_shell(l, dg_apply, dg_diag, &o, &neg);
    for (type = 0; type < 2; type++) {
        dc_solver_params_t p = prm_make((dc_solver_type_t)type, DC_PC_NONE, 1e-10, DC_REPRO_OFF);
        dc_solver_t *s = NULL;
        dc_solve_result_t res;
        const double *h = NULL;
        int nh = 0, ok;
        pcx_t pc = {dct_rank, 1, -1};

        /* max_it */
        p.field_mask |= DC_SOLVER_PARAM_MAX_IT;
        p.max_it = 3;
        dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        dc_solver_get_history(s, &h, &nh);
        ok = res.reason == DC_SOLVE_DIVERGED_MAXIT && res.iterations == 3 && nh == 4 &&
             h[3] > 1e-10 * res.bnorm;
        DCT_ASSERT_ALL(ok);
        dc_solver_destroy(&s);
        /* max_it = 0: no step */
        p.max_it = 0;
        dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_DIVERGED_MAXIT && res.iterations == 0 &&
                       res.rnorm == res.bnorm);
        dc_solver_destroy(&s);
        p.max_it = 10000;
        /* atol: stops at the first ||r|| <= 1e-3 */
        p.rtol = 0.0;
        p.atol = 1e-3;
        dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        dc_solver_get_history(s, &h, &nh);
        ok = res.reason == DC_SOLVE_CONVERGED_ATOL && res.rnorm <= 1e-3 && nh >= 2 &&
             h[nh - 2] > 1e-3;
        DCT_ASSERT_ALL(ok);
        dc_solver_destroy(&s);
        p.rtol = 1e-10;
        p.atol = 0.0;
        /* breakdown: a negative definite operator, and an indefinite preconditioner */
        dc_solver_create(neg, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_DIVERGED_BREAKDOWN && res.iterations == 0);
        dc_solver_destroy(&s);
        p.field_mask |= DC_SOLVER_PARAM_PC_SHELL;
        p.pc = DC_PC_SHELL;
        p.pc_apply = pc_shell;
        p.pc_ctx = &pc;
        dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_DIVERGED_BREAKDOWN && res.iterations == 0);
        dc_solver_destroy(&s);
        p.pc = DC_PC_NONE;
        /* NaN: the operator returns a NaN from its third call on */
        t.calls = 0;
        t.nan_after = 2;
        dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        if (res.reason != DC_SOLVE_DIVERGED_NAN)
            fprintf(stderr, "[rank %d] %s NaN: reason %d its %d\n", dct_rank, type_name[type],
                    res.reason, res.iterations);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_DIVERGED_NAN && res.iterations <= 3);
        dc_solver_destroy(&s);
        t.nan_after = -1;
    }
    DCT_ASSERT_ALL(strcmp(dc_solve_reason_string(DC_SOLVE_CONVERGED_RTOL), "converged: rtol") == 0);
    DCT_ASSERT_ALL(strcmp(dc_solve_reason_string(DC_SOLVE_DIVERGED_NAN), "diverged: NaN or Inf") ==
                   0);
    DCT_ASSERT_ALL(strcmp(dc_solve_reason_string(-99), "unknown reason") == 0);
    DCT_ASSERT_ALL(strstr(dc_solve_reason_string(DC_SOLVE_DIVERGED_BREAKDOWN), "breakdown") !=
                   NULL);
    DCT_ASSERT_ALL(strstr(dc_solve_reason_string(DC_SOLVE_DIVERGED_MAXIT), "max_it") != NULL);
    DCT_ASSERT_ALL(strstr(dc_solve_reason_string(DC_SOLVE_CONVERGED_ATOL), "atol") != NULL);
    dc_op_destroy(&op);
    dc_op_destroy(&neg);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    free(xg);
    free(dv);
    dc_env_destroy(&env);
}

/* b = 0 gives x = 0 at iteration 0, whatever x held; a nonzero guess is used: from the exact
 * solution nothing is left to do, from a partial solve the rest converges to the same x. */
static void test_zero_rhs_and_guess(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 57, i;
    tri_t t;
    double *bg = rand_vec(n, 4), *xref = malloc((size_t)n * 8), *xg = malloc((size_t)n * 8);
    double *junk = rand_vec(n, 5);
    dc_layout_t *l = make_layout(env, n, 1);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL), *zero = vec_from(l, NULL);
    dc_op_t *op = NULL;
    int type;

    tri_init(&t, MPI_COMM_WORLD, n, 0, 8, EX_ALLGATHER);
    thomas(&t, bg, xref);
    dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
    for (type = 0; type < 2; type++) {
        dc_solver_params_t p = prm_make((dc_solver_type_t)type, DC_PC_JACOBI, 1e-10, DC_REPRO_OFF);
        dc_solver_t *s = NULL;
        dc_solve_result_t res;
        const double *h = NULL;
        int nh = 0, ok = 1, its1;
        double scale, err;

        p.field_mask |= DC_SOLVER_PARAM_GUESS;
        p.guess_nonzero = 1;
        dc_solver_create(op, &p, &s);
        dc_vec_scatter(x, 0, junk);
        DCT_ASSERT_ALL(dc_solver_solve(s, zero, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        dc_solver_get_history(s, &h, &nh);
        dc_vec_gather(x, -1, xg);
        for (i = 0; i < n; i++)
            ok &= xg[i] == 0.0;
        ok &= res.reason > 0 && res.iterations == 0 && res.bnorm == 0.0 && nh == 1 && h[0] == 0.0;
        DCT_ASSERT_ALL(ok);
        /* from the exact solution */
        dc_vec_scatter(x, 0, xref);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_CONVERGED_RTOL && res.iterations == 0 &&
                       res.rnorm0 <= 1e-10 * res.bnorm);
        dc_solver_destroy(&s);
        /* 4 steps from 0, then the rest from there */
        p.field_mask |= DC_SOLVER_PARAM_MAX_IT;
        p.max_it = 4;
        p.guess_nonzero = 0;
        dc_vec_scatter(x, 0, junk);
        dc_solver_create(op, &p, &s);
        dc_solver_solve(s, b, x);
        dc_solver_get_result(s, &res);
        its1 = res.iterations;
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_DIVERGED_MAXIT && its1 == 4);
        dc_solver_destroy(&s);
        p.max_it = 1000;
        p.guess_nonzero = 1;
        dc_solver_create(op, &p, &s);
        dc_solver_solve(s, b, x);
        dc_solver_get_result(s, &res);
        dc_vec_gather(x, -1, xg);
        err = max_diff(xg, xref, n, &scale);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_CONVERGED_RTOL && res.iterations > 0 &&
                       err <= 1e-8 * scale && res.rnorm0 < res.bnorm);
        dc_solver_destroy(&s);
    }
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_vec_destroy(&zero);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    free(xref);
    free(xg);
    free(junk);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reproducibility */

/* Solve on comm (every rank of it) and return the gathered x on rank 0 of comm, the iteration
 * count and the last norm. */
static void repro_solve(MPI_Comm comm, dc_repro_t env_mode, dc_repro_t prm_mode, int type, int pc,
                        int64_t n, double *xg, int *its_p, double *rnorm_p)
{
    dc_env_t *env = env_on(comm, env_mode);
    tri_t t;
    double *bg = rand_vec(n, 123);
    dc_layout_t *l = make_layout(env, n, 0);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
    dc_op_t *op = NULL;
    dc_solver_t *s = NULL;
    dc_solver_params_t p = prm_make((dc_solver_type_t)type, (dc_pc_type_t)pc, 1e-12, prm_mode);
    dc_solve_result_t res;

    memset(&res, 0, sizeof(res));
    tri_init(&t, comm, n, 0, 99, EX_SENDRECV);
    if (dc_op_create_shell(l, tri_apply, tri_diag, &t, &op) != DC_SUCCESS ||
        dc_solver_create(op, &p, &s) != DC_SUCCESS || dc_solver_solve(s, b, x) != DC_SUCCESS)
        CU_FAIL("repro solve");
    dc_solver_get_result(s, &res);
    if (res.reason != DC_SOLVE_CONVERGED_RTOL)
        CU_FAIL("repro solve did not converge");
    dc_vec_gather(x, 0, xg);
    *its_p = res.iterations;
    *rnorm_p = res.rnorm;
    dc_solver_destroy(&s);
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    dc_env_destroy(&env);
}

static void test_repro_bits(void)
{
    int64_t n = 211, i;
    double *xa = malloc((size_t)n * 8), *x1 = malloc((size_t)n * 8);
    int cfg, type, pc;

    for (cfg = 0; cfg < 2; cfg++) /* params.repro = BINNED on an OFF env; the env's EXACT */
        for (type = 0; type < 2; type++)
            for (pc = 0; pc < 2; pc++) {
                dc_repro_t em = cfg == 0 ? DC_REPRO_OFF : DC_REPRO_EXACT;
                dc_repro_t pm = cfg == 0 ? DC_REPRO_BINNED : DC_REPRO_DEFAULT;
                int pct = pc ? DC_PC_JACOBI : DC_PC_NONE, itsa = -1, its1 = -2, ok = 1;
                double ra = 0.0, r1 = 1.0;

                repro_solve(MPI_COMM_WORLD, em, pm, type, pct, n, xa, &itsa, &ra);
                if (dct_rank == 0) {
                    repro_solve(MPI_COMM_SELF, em, pm, type, pct, n, x1, &its1, &r1);
                    ok = itsa == its1 && dct_same_bits(ra, r1);
                    for (i = 0; i < n; i++)
                        ok &= dct_same_bits(xa[i], x1[i]);
                    if (!ok)
                        fprintf(stderr, "repro cfg %d %s pc %d: its %d vs %d, rnorm %a vs %a\n",
                                cfg, type_name[type], pc, itsa, its1, ra, r1);
                }
                DCT_ASSERT_ALL(ok);
            }
    free(xa);
    free(x1);
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 40;
    tri_t t;
    double *bg = rand_vec(n, 6), *zd = calloc((size_t)n, 8);
    dgo_t o = {dct_rank, zd};
    dc_layout_t *l = make_layout(env, n, 0), *l2 = NULL;
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL), *w = NULL;
    dc_op_t *op = NULL, *nodiag = NULL, *zdiag = NULL;
    dc_solver_t *s = NULL;
    dc_solver_params_t p;
    int k, rc, type;

    tri_init(&t, MPI_COMM_WORLD, n, 0, 2, EX_SENDRECV);
    dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
    dc_op_create_shell(l, tri_apply, NULL, &t, &nodiag);
    dc_op_create_shell(l, dg_apply, dg_diag, &o, &zdiag);
    dc_layout_create_block(env, n + 1, &l2);
    dc_vec_create(l2, &w);

    /* a field out of range, on every rank */
    for (k = 0; k < 12; k++) {
        p = prm_make(DC_SOLVER_CG, DC_PC_NONE, 1e-8, DC_REPRO_DEFAULT);
        switch (k) {
        case 0: p.rtol = 1.0; break;
        case 1: p.rtol = NAN; break;
        case 2: p.atol = -1.0; break;
        case 3: p.type = (dc_solver_type_t)7; break;
        case 4: p.pc = (dc_pc_type_t)9; break;
        case 5:
            p.field_mask |= DC_SOLVER_PARAM_MAX_IT;
            p.max_it = -1;
            break;
        case 6:
            p.field_mask |= DC_SOLVER_PARAM_GUESS;
            p.guess_nonzero = 2;
            break;
        case 7: p.repro = (dc_repro_t)5; break;
        case 8: p.pc = DC_PC_SHELL; break; /* no pc_apply */
        case 9:
            p.field_mask |= DC_SOLVER_PARAM_MG;
            p.mg_smooth_steps = -1;
            break;
        case 10: p.field_mask |= 1u << 20; break;
        case 11: p.atol = INFINITY; break;
        }
        s = NULL;
        rc = dc_solver_create(op, &p, &s);
        if (rc != DC_ERR_ARG)
            fprintf(stderr, "[rank %d] bad params case %d: %d\n", dct_rank, k, rc);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG && s == NULL);
    }
    /* a field that differs on one rank */
    if (dct_size > 1) {
        p = prm_make(DC_SOLVER_CG, DC_PC_NONE, dct_rank == dct_size - 1 ? 1e-6 : 1e-8,
                     DC_REPRO_DEFAULT);
        rc = dc_solver_create(op, &p, &s);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG && s == NULL);
        DCT_ASSERT_ALL(strstr(dc_env_last_error(env), "rtol") != NULL);
        p = prm_make(dct_rank == 0 ? DC_SOLVER_PIPECG : DC_SOLVER_CG, DC_PC_NONE, 1e-8,
                     DC_REPRO_DEFAULT);
        DCT_ASSERT_ALL(dc_solver_create(op, &p, &s) == DC_ERR_ARG && s == NULL);
    }
    /* NULL handles */
    DCT_ASSERT_ALL(dc_solver_create(NULL, NULL, &s) == DC_ERR_ARG);
    DCT_ASSERT_ALL(dc_solver_create(op, NULL, NULL) == DC_ERR_ARG);
    /* Jacobi without a diagonal; a zero diagonal; MG on a shell */
    p = prm_make(DC_SOLVER_CG, DC_PC_JACOBI, 1e-8, DC_REPRO_DEFAULT);
    DCT_ASSERT_ALL(dc_solver_create(nodiag, &p, &s) == DC_ERR_NOTSUP && s == NULL);
    DCT_ASSERT_ALL(dc_solver_create(zdiag, &p, &s) == DC_ERR_ARG && s == NULL);
    p.pc = DC_PC_MG;
    DCT_ASSERT_ALL(dc_solver_create(op, &p, &s) == DC_ERR_NOTSUP && s == NULL);
    /* solve: vectors not on the layout, b == x, borrowed on one rank, NULL */
    for (type = 0; type < 2; type++) {
        p = prm_make((dc_solver_type_t)type, DC_PC_NONE, 1e-8, DC_REPRO_DEFAULT);
        DCT_ASSERT_ALL(dc_solver_create(op, &p, &s) == DC_SUCCESS);
        DCT_ASSERT_ALL(dc_solver_solve(s, w, x) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, w) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, b) == DC_ERR_ARG);
        {
            double *a = NULL;
            if (dct_rank == 0)
                dc_vec_get_array(x, &a);
            rc = dc_solver_solve(s, b, x);
            DCT_ASSERT_ALL(rc == DC_ERR_STATE);
            if (dct_rank == 0)
                dc_vec_restore_array(x, &a);
        }
        DCT_ASSERT_ALL(dc_solver_solve(NULL, b, x) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_solve(s, NULL, x) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_get_result(s, NULL) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_get_history(s, NULL, &k) == DC_ERR_ARG);
        /* the operator fails on the last rank from its third call: every rank fails */
        t.calls = 0;
        t.fail_rank = dct_size - 1;
        t.fail_after = 2;
        rc = dc_solver_solve(s, b, x);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        t.fail_rank = -1;
        /* the solver still works afterwards */
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        DCT_ASSERT_ALL(dc_solver_destroy(&s) == DC_SUCCESS && s == NULL);
        DCT_ASSERT_ALL(dc_solver_destroy(&s) == DC_SUCCESS); /* *p == NULL: a no-op */
        /* a shell preconditioner failing on rank 0 */
        {
            pcx_t pc = {dct_rank, 0, 0};
            p.pc = DC_PC_SHELL;
            p.field_mask |= DC_SOLVER_PARAM_PC_SHELL;
            p.pc_apply = pc_shell;
            p.pc_ctx = &pc;
            DCT_ASSERT_ALL(dc_solver_create(op, &p, &s) == DC_SUCCESS);
            rc = dc_solver_solve(s, b, x);
            DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
            /* every library code passes through, the newest included; others become ARG */
            pc.fail_code = DC_ERR_TIMEOUT;
            rc = dc_solver_solve(s, b, x);
            DCT_ASSERT_ALL(rc == DC_ERR_TIMEOUT);
            pc.fail_code = DC_ERR_CORRUPT;
            rc = dc_solver_solve(s, b, x);
            DCT_ASSERT_ALL(rc == DC_ERR_CORRUPT);
            pc.fail_code = -1000;
            rc = dc_solver_solve(s, b, x);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            dc_solver_destroy(&s);
        }
    }
    DCT_ASSERT_ALL(dc_solver_destroy(NULL) == DC_SUCCESS);
    /* the solver keeps its operator: destroy the operator first */
    {
        dc_op_t *op2 = NULL;
        dc_solve_result_t res;
        dc_op_create_shell(l, tri_apply, tri_diag, &t, &op2);
        p = prm_make(DC_SOLVER_CG, DC_PC_JACOBI, 1e-8, DC_REPRO_DEFAULT);
        dc_solver_create(op2, &p, &s);
        dc_op_destroy(&op2);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_solver_get_result(s, &res);
        DCT_ASSERT_ALL(res.reason == DC_SOLVE_CONVERGED_RTOL);
        dc_solver_destroy(&s);
    }
    dc_op_destroy(&op);
    dc_op_destroy(&nodiag);
    dc_op_destroy(&zdiag);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_vec_destroy(&w);
    dc_layout_destroy(&l);
    dc_layout_destroy(&l2);
    tri_free(&t);
    free(bg);
    free(zd);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- 2-D Poisson on a mesh */

/* The 5-point Laplacian with zero Dirichlet values outside, as a shell operator on a dc_mesh:
 * the halo exchange fills the ghosts, the ghosts beyond the domain stay 0. */
typedef struct poi {
    dc_mesh_t *mesh;
    dc_vec_t *xl; /* local field */
    dc_mesh_info_t info;
} poi_t;

static int poi_apply(const dc_vec_t *x, dc_vec_t *y, void *ctx)
{
    poi_t *c = ctx;
    const dc_mesh_info_t *in = &c->info;
    const double *xl = NULL;
    double *ya = NULL;
    dc_gidx_t i, j;
    size_t o = 0;
    int rc = dc_mesh_global_to_local(c->mesh, x, c->xl);

    if (rc != DC_SUCCESS)
        return rc;
    dc_vec_get_array_read(c->xl, &xl);
    dc_vec_get_array(y, &ya);
    for (j = in->start[1]; j < in->start[1] + in->count[1]; j++)
        for (i = in->start[0]; i < in->start[0] + in->count[0]; i++) {
            size_t p = dc_mesh_local_index(in, i, j, 0, 0);
            size_t sy = (size_t)in->gcount[0];
            ya[o++] = 4.0 * xl[p] - xl[p - 1] - xl[p + 1] - xl[p - sy] - xl[p + sy];
        }
    dc_vec_restore_array_read(c->xl, &xl);
    dc_vec_restore_array(y, &ya);
    return DC_SUCCESS;
}

static int poi_diag(dc_vec_t *d, void *ctx)
{
    (void)ctx;
    return dc_vec_set_all(d, 4.0);
}

/* Serial CG on the natural ordering (nx x ny), to a tight tolerance: the reference solution. */
static void poi_serial(int nx, int ny, const double *b, double *x)
{
    int n = nx * ny, i, j, k;
    double *r = malloc((size_t)n * 8), *p = malloc((size_t)n * 8), *q = malloc((size_t)n * 8);
    double rr, bb = sdot(b, b, n);

    for (k = 0; k < n; k++) {
        x[k] = 0.0;
        r[k] = p[k] = b[k];
    }
    rr = bb;
    for (k = 0; k < 10 * n && rr > 1e-28 * bb; k++) {
        double a, rr2;
        int m;
        for (j = 0; j < ny; j++)
            for (i = 0; i < nx; i++) {
                m = j * nx + i;
                q[m] = 4.0 * p[m] - (i > 0 ? p[m - 1] : 0.0) - (i + 1 < nx ? p[m + 1] : 0.0) -
                       (j > 0 ? p[m - nx] : 0.0) - (j + 1 < ny ? p[m + nx] : 0.0);
            }
        a = rr / sdot(p, q, n);
        for (m = 0; m < n; m++) {
            x[m] += a * p[m];
            r[m] -= a * q[m];
        }
        rr2 = sdot(r, r, n);
        for (m = 0; m < n; m++)
            p[m] = r[m] + rr2 / rr * p[m];
        rr = rr2;
    }
    free(r);
    free(p);
    free(q);
}

/* Solve on a mesh over comm; x in natural order on rank 0 of comm. */
static void poi_solve(MPI_Comm comm, int nx, int ny, int type, int pc, dc_repro_t mode, int stencil,
                      const double *bnat, double *xnat, dc_solve_result_t *res)
{
    dc_env_t *env = env_on(comm, DC_REPRO_OFF);
    dc_gidx_t n[2] = {nx, ny};
    poi_t c;
    dc_layout_t *l = NULL;
    dc_vec_t *b = NULL, *x = NULL;
    dc_op_t *op = NULL;
    dc_solver_t *s = NULL;
    dc_solver_params_t p = prm_make((dc_solver_type_t)type, (dc_pc_type_t)pc, 1e-10, mode);
    int rc;

    memset(&c, 0, sizeof(c));
    memset(res, 0, sizeof(*res));
    rc = dc_mesh_create(env, 2, n, 1, 1, NULL, &c.mesh);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_get_info(c.mesh, &c.info);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_local(c.mesh, &c.xl);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(c.mesh, &b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(c.mesh, &x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_scatter_natural(c.mesh, 0, bnat, b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_get_layout(c.mesh, &l);
    if (rc == DC_SUCCESS && stencil) {
        dc_stencil_t st;
        double h[2] = {1.0, 1.0};
        rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_op_create_stencil(c.mesh, &st, &op);
    } else if (rc == DC_SUCCESS) {
        rc = dc_op_create_shell(l, poi_apply, poi_diag, &c, &op);
    }
    if (rc == DC_SUCCESS)
        rc = dc_solver_create(op, &p, &s);
    if (rc == DC_SUCCESS)
        rc = dc_solver_solve(s, b, x);
    if (rc == DC_SUCCESS)
        rc = dc_solver_get_result(s, res);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_gather_natural(c.mesh, x, 0, xnat);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] poisson: %s: %s\n", dct_rank, dc_strerror(rc),
                dc_env_last_error(env));
        CU_FAIL("poisson solve");
    }
    dc_solver_destroy(&s);
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_vec_destroy(&c.xl);
    dc_mesh_destroy(&c.mesh);
    dc_env_destroy(&env);
}

/*
 * 2-D Poisson (5-point, Dirichlet) on a dc_mesh over all ranks, as the shell operator above and
 * as the library's stencil operator (whose fused apply_dot CG uses in plain mode): x against a
 * serial CG run to 1e-14; in binned mode the iteration count, the last norm and every bit of x
 * equal those of the same solve on one rank (MPI_COMM_SELF, rank 0).
 */
static void test_poisson_mesh(void)
{
    const int nx = 29, ny = 23;
    int64_t nn = nx * ny, i;
    double *bnat = rand_vec(nn, 2024), *xref = malloc((size_t)nn * 8);
    double *xa = malloc((size_t)nn * 8), *x1 = malloc((size_t)nn * 8);
    int type, pc, rp, st;

    poi_serial(nx, ny, bnat, xref);
    for (st = 0; st < 2; st++)
        for (type = 0; type < 2; type++)
            for (pc = 0; pc < 2; pc++)
                for (rp = 0; rp < 2; rp++) {
                    dc_repro_t mode = rp ? DC_REPRO_BINNED : DC_REPRO_OFF;
                    int pct = pc ? DC_PC_JACOBI : DC_PC_NONE, ok = 1;
                    dc_solve_result_t ra, r1;
                    double scale, err = 0.0;

                    poi_solve(MPI_COMM_WORLD, nx, ny, type, pct, mode, st, bnat, xa, &ra);
                    if (dct_rank == 0) {
                        err = max_diff(xa, xref, nn, &scale);
                        ok = ra.reason == DC_SOLVE_CONVERGED_RTOL && err <= 1e-8 * scale;
                        if (rp) {
                            poi_solve(MPI_COMM_SELF, nx, ny, type, pct, mode, st, bnat, x1, &r1);
                            ok &=
                                ra.iterations == r1.iterations && dct_same_bits(ra.rnorm, r1.rnorm);
                            for (i = 0; i < nn; i++)
                                ok &= dct_same_bits(xa[i], x1[i]);
                        }
                        if (!ok)
                            fprintf(stderr,
                                    "poisson %s %s pc %d repro %d: reason %d its %d err %g\n",
                                    st ? "stencil" : "shell", type_name[type], pc, rp, ra.reason,
                                    ra.iterations, err);
                    }
                    DCT_ASSERT_ALL(ok);
                }
    free(bnat);
    free(xref);
    free(xa);
    free(x1);
}

/* ---------------------------------------------------------------- allocation failures */

/* One create + solve + destroy with allocation n failing on rank r (n = 0: none): the code
 * (the same on every rank), and x gathered into xg. */
static int fault_run(dc_op_t *op, const dc_solver_params_t *p, dc_vec_t *b, dc_vec_t *x, long n,
                     int r, double *xg, int *fired_p, int *in_solve_p)
{
    dc_solver_t *s = NULL;
    int rc;

    dci_test_fail_alloc(n, r);
    rc = dc_solver_create(op, p, &s);
    *in_solve_p = 0;
    if (rc == DC_SUCCESS) {
        rc = dc_solver_solve(s, b, x);
        *in_solve_p = dci_test_fail_alloc_fired();
    }
    *fired_p = dci_test_fail_alloc_fired();
    dci_test_fail_alloc(0, -1);
    dc_solver_destroy(&s);
    dc_vec_gather(x, -1, xg);
    return rc;
}

/*
 * Every allocation of dc_solver_create and dc_solver_solve (work vectors, the Jacobi diagonal,
 * the history grown past its first 64 entries) failing on each rank in turn: every rank
 * returns DC_ERR_NOMEM, nothing leaks, and the next solve gives the direct solution.
 */
static void test_alloc_failures(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t nn = 150;
    tri_t t;
    double *bg = rand_vec(nn, 17), *xref = malloc((size_t)nn * 8), *xg = malloc((size_t)nn * 8);
    dc_layout_t *l = make_layout(env, nn, 0);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
    dc_op_t *op = NULL;
    int type, ok = 1;

    dc_env_set_debug(env, 0);
    tri_init(&t, MPI_COMM_WORLD, nn, 1, 0, EX_SENDRECV); /* Laplacian: > 64 iterations */
    thomas(&t, bg, xref);
    dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
    for (type = 0; type < 2 && ok; type++) {
        dc_solver_params_t p = prm_make((dc_solver_type_t)type, DC_PC_JACOBI, 1e-10, DC_REPRO_OFF);
        long n;
        int any = 1, r, fired, in_solve, solve_hit = 0;

        for (n = 1; any && ok && n < 1000; n++) {
            any = 0;
            for (r = 0; r < dct_size && ok; r++) {
                long live0 = dci_test_alloc_live(), live1;
                int rc = fault_run(op, &p, b, x, n, r, xg, &fired, &in_solve), mm[3], out[3];
                double scale, err;
                mm[0] = rc;
                mm[1] = -rc;
                mm[2] = fired;
                MPI_Allreduce(mm, out, 3, MPI_INT, MPI_MAX, dct_comm);
                any |= out[2];
                if (out[0] != -out[1])
                    ok = 0;
                else if (out[2])
                    ok = rc == DC_ERR_NOMEM;
                else {
                    err = max_diff(xg, xref, nn, &scale);
                    ok = rc == DC_SUCCESS && err <= 1e-8 * scale;
                }
                if (rc != DC_SUCCESS) { /* the next run succeeds */
                    rc = fault_run(op, &p, b, x, 0, -1, xg, &fired, &mm[0]);
                    err = max_diff(xg, xref, nn, &scale);
                    ok &= rc == DC_SUCCESS && err <= 1e-8 * scale;
                }
                live1 = dci_test_alloc_live();
                ok &= live1 == live0;
                ok = dct_all(ok);
                if (!ok && dct_rank == 0)
                    fprintf(stderr, "%s: allocation %ld failing on rank %d: rc %d, live %ld/%ld\n",
                            type_name[type], n, r, rc, live0, live1);
                solve_hit |= in_solve;
            }
        }
        /* the sweep reached the history's growth inside dc_solver_solve */
        ok &= dct_all(!dct_all(!solve_hit));
    }
    DCT_ASSERT_ALL(ok);
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    free(xref);
    free(xg);
    dc_env_destroy(&env);
}

/* Pipelined CG on the 1-D Laplacian, n = 1000 (condition ~ 4e5, ~1000 iterations): the
 * recurrences drift, and the solve still stops on the true residual, at rtol 1e-10. */
static void test_pipecg_true_residual(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 1000, i;
    tri_t t;
    double *bg = rand_vec(n, 55), *xg = malloc((size_t)n * 8), *ax = malloc((size_t)n * 8);
    dc_layout_t *l = make_layout(env, n, 0);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL);
    dc_op_t *op = NULL;
    dc_solver_t *s = NULL;
    dc_solver_params_t p = prm_make(DC_SOLVER_PIPECG, DC_PC_NONE, 1e-10, DC_REPRO_OFF);
    dc_solve_result_t res;
    double bn, rn;
    int ok;

    memset(&res, 0, sizeof(res));
    tri_init(&t, MPI_COMM_WORLD, n, 1, 0, EX_SENDRECV);
    dc_op_create_shell(l, tri_apply, tri_diag, &t, &op);
    dc_solver_create(op, &p, &s);
    DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
    dc_solver_get_result(s, &res);
    dc_vec_gather(x, -1, xg);
    tri_mult(&t, xg, ax);
    for (i = 0; i < n; i++)
        ax[i] = bg[i] - ax[i];
    bn = sqrt(sdot(bg, bg, n));
    rn = sqrt(sdot(ax, ax, n));
    ok = res.reason == DC_SOLVE_CONVERGED_RTOL && rn <= 1.01e-10 * bn &&
         fabs(res.rnorm - rn) <= 1e-3 * rn;
    if (!ok)
        fprintf(stderr, "[rank %d] PIPECG n=%lld: reason %d its %d rnorm %g true %g (tol %g)\n",
                dct_rank, (long long)n, res.reason, res.iterations, res.rnorm, rn, 1e-10 * bn);
    DCT_ASSERT_ALL(ok);
    dc_solver_destroy(&s);
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    free(xg);
    free(ax);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- singular (periodic) operator */

/* r = b - A x for the 5-point -Laplacian (h = 1) periodic in both dimensions, natural order. */
static double per_resid(int nx, int ny, const double *b, const double *x)
{
    double s = 0.0, r;
    int i, j;

    for (j = 0; j < ny; j++)
        for (i = 0; i < nx; i++) {
            r = b[j * nx + i] -
                (4.0 * x[j * nx + i] - x[j * nx + (i + 1) % nx] - x[j * nx + (i + nx - 1) % nx] -
                 x[((j + 1) % ny) * nx + i] - x[((j + ny - 1) % ny) * nx + i]);
            s += r * r;
        }
    return sqrt(s);
}

/*
 * The periodic 5-point Laplacian (shift 0) is singular, its null space the constants (as
 * dc_mesh.h says): for b with zero sum, CG and PIPECG (no and Jacobi preconditioning) converge,
 * the residual of the gathered x checked by a serial periodic apply; for b with a nonzero sum
 * (b + 1) no x has a residual below sqrt(N) |mean(b)|, and the solve stops with a negative
 * reason (no error code).
 */
static void test_periodic_singular(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    const int nx = 14, ny = 10;
    int64_t nn = nx * ny, i;
    dc_gidx_t n[2] = {nx, ny};
    double h[2] = {1.0, 1.0}, mean = 0.0, bn;
    double *bnat = rand_vec(nn, 77), *xnat = malloc((size_t)nn * 8);
    dc_mesh_params_t mp;
    dc_mesh_t *mesh = NULL;
    dc_stencil_t st;
    dc_op_t *op = NULL;
    dc_vec_t *b = NULL, *x = NULL;
    int type, pc, consistent, rc;

    for (i = 0; i < nn; i++)
        mean += bnat[i];
    mean /= (double)nn;
    for (i = 0; i < nn; i++)
        bnat[i] -= mean;
    bn = sqrt(sdot(bnat, bnat, nn));
    memset(&mp, 0, sizeof(mp));
    mp.field_mask = DC_MESH_PARAM_PERIODIC;
    mp.periodic[0] = mp.periodic[1] = 1;
    rc = dc_mesh_create(env, 2, n, 1, 1, &mp, &mesh);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    st.bc[0][0] = st.bc[0][1] = st.bc[1][0] = st.bc[1][1] = DC_BC_PERIODIC;
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(mesh, &st, &op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &x);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (consistent = 1; consistent >= 0; consistent--)
        for (type = 0; type < 2; type++)
            for (pc = 0; pc < 2; pc++) {
                dc_solver_params_t p = prm_make(
                    (dc_solver_type_t)type, pc ? DC_PC_JACOBI : DC_PC_NONE, 1e-10, DC_REPRO_OFF);
                dc_solver_t *s = NULL;
                dc_solve_result_t res;
                double rn = -1.0;
                int ok;

                memset(&res, 0, sizeof(res));
                p.field_mask |= DC_SOLVER_PARAM_MAX_IT;
                p.max_it = 1000;
                rc = dc_mesh_scatter_natural(mesh, 0, bnat, b);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_create(op, &p, &s);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_solve(s, b, x);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_result(s, &res);
                if (rc == DC_SUCCESS)
                    rc = dc_mesh_gather_natural(mesh, x, -1, xnat);
                if (rc == DC_SUCCESS)
                    rn = per_resid(nx, ny, bnat, xnat);
                if (consistent)
                    ok = rc == DC_SUCCESS && res.reason == DC_SOLVE_CONVERGED_RTOL &&
                         rn <= 1.01e-10 * bn;
                else
                    ok = rc == DC_SUCCESS && res.reason < 0 && rn >= sqrt((double)nn) * 0.999;
                if (!ok)
                    fprintf(stderr,
                            "[rank %d] periodic %s pc %d consistent %d: rc %d reason %d its %d "
                            "true rnorm %g (bnorm %g)\n",
                            dct_rank, type_name[type], pc, consistent, rc, res.reason,
                            res.iterations, rn, bn);
                DCT_ASSERT_ALL(ok);
                dc_solver_destroy(&s);
                if (consistent && type == 1 && pc == 1) /* the next pass: b + 1, mean 1 */
                    for (i = 0; i < nn; i++)
                        bnat[i] += 1.0;
            }
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    free(bnat);
    free(xnat);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- monitor */

#define MON_MAX 4096

/* What a monitor saw; it stops the solve with 'fail_code' on rank 'fail_rank' (-1: every
 * rank) at iteration 'fail_it' (-1: never). */
typedef struct mon {
    dc_op_t *op;
    const dc_vec_t *b;
    dc_vec_t *x, *r; /* the solve's x; scratch for b - A x */
    int calls, its[MON_MAX];
    double rn[MON_MAX];
    int hist_ok;     /* the history and result seen inside agree with it and rnorm */
    double tres_max; /* max over calls of | ||b - A x|| - rnorm | / ||b|| */
    int fail_it, fail_rank, fail_code;
    int inner_rc; /* what dc_solver_solve returned inside the monitor */
} mon_t;

static int mon_fn(dc_solver_t *s, int it, double rnorm, void *ctx)
{
    mon_t *m = ctx;
    const double *h = NULL;
    int hn = -1;
    dc_solve_result_t res;
    double tr = -1.0, bn = 1.0;

    if (m->calls < MON_MAX) {
        m->its[m->calls] = it;
        m->rn[m->calls] = rnorm;
    }
    m->calls++;
    /* the state is that of iteration it: the history ends with rnorm, and x is x_it */
    if (dc_solver_get_history(s, &h, &hn) != DC_SUCCESS || hn != it + 1 ||
        !dct_same_bits(h[it], rnorm) || dc_solver_get_result(s, &res) != DC_SUCCESS ||
        res.iterations != it)
        m->hist_ok = 0;
    if (dc_op_apply(m->op, m->x, m->r) == DC_SUCCESS &&
        dc_vec_axpby(m->r, 1.0, m->b, -1.0) == DC_SUCCESS && dc_vec_nrm2(m->r, &tr) == DC_SUCCESS &&
        dc_vec_nrm2(m->b, &bn) == DC_SUCCESS) {
        double d = fabs(tr - rnorm) / bn;
        if (!(d <= m->tres_max))
            m->tres_max = d;
    } else {
        m->tres_max = INFINITY;
    }
    if (m->inner_rc == 1)
        m->inner_rc = dc_solver_solve(s, m->b, m->r);
    if (it == m->fail_it && (m->fail_rank < 0 || m->fail_rank == dct_rank))
        return m->fail_code;
    return DC_SUCCESS;
}

/* z = r / 4 (the 5-point Laplacian's diagonal with h = 1): a shell preconditioner */
static int quarter_pc(const dc_vec_t *r, dc_vec_t *z, void *ctx)
{
    int rc = dc_vec_copy(r, z);

    (void)ctx;
    return rc == DC_SUCCESS ? dc_vec_scal(z, 0.25) : rc;
}

/*
 * dc_solver_set_monitor on a 2-D Poisson stencil operator, CG and PIPECG with every
 * preconditioner, every = 1 and 3: called at it = 0, every, 2 every, ... up to the last
 * iteration, with the rnorm the history holds for it (bits), while the history, the result's
 * iteration count and x are those of iteration it (||b - A x|| computed in the monitor matches
 * the recurrence's rnorm); the solution and iteration count are those of a solve without a
 * monitor, bit for bit. Inside the monitor dc_solver_solve is refused with DC_ERR_STATE.
 */
static void test_monitor(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    const int nx = 29, ny = 23;
    int64_t nn = nx * ny, i;
    dc_gidx_t n[2] = {nx, ny};
    double h[2] = {1.0, 1.0}, *bnat = rand_vec(nn, 31);
    double *x0 = malloc((size_t)nn * 8), *x1 = malloc((size_t)nn * 8);
    dc_mesh_t *mesh = NULL;
    dc_stencil_t st;
    dc_op_t *op = NULL;
    dc_vec_t *b = NULL, *x = NULL, *r = NULL;
    int type, pc, ev, rc;
    mon_t *m = calloc(1, sizeof(*m));

    rc = dc_mesh_create(env, 2, n, 1, 1, NULL, &mesh);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(mesh, &st, &op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &r);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_scatter_natural(mesh, 0, bnat, b);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (type = 0; type < 2; type++)
        for (pc = 0; pc < 4; pc++)
            for (ev = 1; ev <= 3; ev += 2) {
                dc_solver_params_t p =
                    prm_make((dc_solver_type_t)type, (dc_pc_type_t)pc, 1e-10, DC_REPRO_OFF);
                dc_solver_t *s = NULL;
                dc_solve_result_t r0, r1;
                const double *hist = NULL;
                int hn = 0, its0 = -1, ok = 1, k;

                p.field_mask |= DC_SOLVER_PARAM_PC_SHELL | DC_SOLVER_PARAM_MG;
                p.pc_apply = quarter_pc;
                p.mg_coarse_size = 20; /* three levels, not a direct solve */
                memset(&r0, 0, sizeof(r0));
                memset(&r1, 0, sizeof(r1));
                memset(m, 0, sizeof(*m));
                m->op = op;
                m->b = b;
                m->x = x;
                m->r = r;
                m->hist_ok = 1;
                m->fail_it = -1;
                m->inner_rc = 1;
                /* without a monitor, then with one */
                rc = dc_solver_create(op, &p, &s);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_solve(s, b, x);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_result(s, &r0);
                if (rc == DC_SUCCESS)
                    rc = dc_mesh_gather_natural(mesh, x, -1, x0);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_set_monitor(s, ev, mon_fn, m);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_solve(s, b, x);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_result(s, &r1);
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_history(s, &hist, &hn);
                if (rc == DC_SUCCESS)
                    rc = dc_mesh_gather_natural(mesh, x, -1, x1);
                its0 = r0.iterations;
                ok = rc == DC_SUCCESS && r0.reason == DC_SOLVE_CONVERGED_RTOL && its0 > 3 &&
                     r1.reason == r0.reason && r1.iterations == its0 && hn == its0 + 1 &&
                     m->calls == its0 / ev + 1 && m->calls <= MON_MAX && m->hist_ok &&
                     m->tres_max <= 1e-8 && m->inner_rc == DC_ERR_STATE;
                for (k = 0; ok && k < m->calls; k++)
                    ok = m->its[k] == k * ev && dct_same_bits(m->rn[k], hist[k * ev]);
                for (i = 0; ok && i < nn; i++)
                    ok = dct_same_bits(x0[i], x1[i]);
                if (!ok)
                    fprintf(stderr,
                            "[rank %d] monitor %s pc %s every %d: rc %d its %d/%d calls %d "
                            "hist_ok %d tres %g inner %d\n",
                            dct_rank, type_name[type], pc_name[pc], ev, rc, its0, r1.iterations,
                            m->calls, m->hist_ok, m->tres_max, m->inner_rc);
                DCT_ASSERT_ALL(ok);
                dc_solver_destroy(&s);
            }
    dc_vec_destroy(&r);
    dc_vec_destroy(&x);
    dc_vec_destroy(&b);
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    free(bnat);
    free(x0);
    free(x1);
    free(m);
    dc_env_destroy(&env);
}

/*
 * A monitor's error stops the solve on every rank with its code: DC_ERR_IO returned by the last
 * rank only at iteration 2 (and at 0), a code outside the library's (7: DC_ERR_ARG); the
 * solve stops there (its result says iteration 2, not converged) and the next solve without the
 * monitor gives the unmonitored solution. Bad input: NULL solver, every < 1.
 */
static void test_monitor_errors(void)
{
    dc_env_t *env = env_on(MPI_COMM_WORLD, DC_REPRO_OFF);
    int64_t n = 60;
    tri_t t;
    double *bg = rand_vec(n, 8), *xa = malloc((size_t)n * 8), *xb = malloc((size_t)n * 8);
    dc_layout_t *l = make_layout(env, n, 0);
    dc_vec_t *b = vec_from(l, bg), *x = vec_from(l, NULL), *r = vec_from(l, NULL);
    dc_op_t *op = NULL;
    dc_solver_t *s = NULL;
    dc_solve_result_t res;
    mon_t *m = calloc(1, sizeof(*m));
    int type, k, rc;

    tri_init(&t, MPI_COMM_WORLD, n, 0, 5, EX_SENDRECV);
    DCT_ASSERT_ALL(dc_op_create_shell(l, tri_apply, tri_diag, &t, &op) == DC_SUCCESS);
    for (type = 0; type < 2; type++) {
        dc_solver_params_t p = prm_make((dc_solver_type_t)type, DC_PC_JACOBI, 1e-10, DC_REPRO_OFF);
        DCT_ASSERT_ALL(dc_solver_create(op, &p, &s) == DC_SUCCESS);
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS);
        dc_vec_gather(x, -1, xa);
        for (k = 0; k < 3; k++) {
            memset(m, 0, sizeof(*m));
            m->op = op;
            m->b = b;
            m->x = x;
            m->r = r;
            m->fail_rank = dct_size - 1;
            m->fail_it = k == 1 ? 0 : 2;
            m->fail_code = k == 2 ? 7 : DC_ERR_IO;
            DCT_ASSERT_ALL(dc_solver_set_monitor(s, 1, mon_fn, m) == DC_SUCCESS);
            rc = dc_solver_solve(s, b, x);
            memset(&res, 0, sizeof(res));
            dc_solver_get_result(s, &res);
            DCT_ASSERT_ALL(rc == (k == 2 ? DC_ERR_ARG : DC_ERR_IO));
            DCT_ASSERT_ALL(strstr(dc_env_last_error(env), "monitor") != NULL);
            DCT_ASSERT_ALL(m->calls == m->fail_it + 1 && res.iterations == m->fail_it &&
                           res.reason == DC_SOLVE_ITERATING);
        }
        /* removed: the solve runs to the end, same bits as before */
        DCT_ASSERT_ALL(dc_solver_set_monitor(s, 0, NULL, NULL) == DC_SUCCESS);
        m->calls = 0;
        DCT_ASSERT_ALL(dc_solver_solve(s, b, x) == DC_SUCCESS && m->calls == 0);
        dc_vec_gather(x, -1, xb);
        DCT_ASSERT_ALL(memcmp(xa, xb, (size_t)n * 8) == 0);
        /* bad input, on the rank that makes it */
        DCT_ASSERT_ALL(dc_solver_set_monitor(NULL, 1, mon_fn, m) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_set_monitor(s, 0, mon_fn, m) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_solver_set_monitor(s, -5, mon_fn, m) == DC_ERR_ARG);
        dc_solver_destroy(&s);
    }
    dc_op_destroy(&op);
    dc_vec_destroy(&b);
    dc_vec_destroy(&x);
    dc_vec_destroy(&r);
    dc_layout_destroy(&l);
    tri_free(&t);
    free(bg);
    free(xa);
    free(xb);
    free(m);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("solve", NULL, NULL);

    CU_add_test(s, "shell operator: apply, diagonal, layout, errors", test_op_apply);
    CU_add_test(s, "CG/PIPECG x none/Jacobi/shell vs direct solve and serial PCG",
                test_solve_tridiag);
    CU_add_test(s, "k distinct eigenvalues: at most k iterations", test_distinct_eigenvalues);
    CU_add_test(s, "reasons: max_it, atol, breakdown, NaN", test_reasons);
    CU_add_test(s, "b = 0 and a nonzero initial guess", test_zero_rhs_and_guess);
    CU_add_test(s, "reproducible mode: same bits on all ranks and on one", test_repro_bits);
    CU_add_test(s, "bad input: same code on every rank", test_bad_input);
    CU_add_test(s, "2-D Poisson on a dc_mesh (shell and stencil operators): serial reference, bits",
                test_poisson_mesh);
    CU_add_test(s, "pipelined CG stops on the true residual", test_pipecg_true_residual);
    CU_add_test(s, "singular periodic Laplacian: zero-sum b converges, other b stops diverged",
                test_periodic_singular);
    CU_add_test(s, "allocation failures on each rank: DC_ERR_NOMEM everywhere, no leak",
                test_alloc_failures);
    CU_add_test(s, "monitor: iterations, rnorm and state of each call, same bits as without",
                test_monitor);
    CU_add_test(s, "monitor: an error on one rank stops the solve on all; bad input",
                test_monitor_errors);
}
