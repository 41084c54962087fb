/*
 * Tests of the geometric multigrid preconditioner (lib/mg.c, DC_PC_MG). The transfers are
 * checked through the test hook dci_test_mg_transfer() against a serial interpolation by
 * coordinates written here (and R = c P^T by <R u, v> = c <u, P v>); the coarse direct solve
 * against a dense Gaussian elimination; MG-CG against CG without preconditioner and the
 * manufactured solution; grid independence of the iteration counts; bitwise equality across rank
 * counts (a 1-rank env on MPI_COMM_SELF in the same job) and across agglomeration settings; and
 * DC_ERR_NOTSUP, on every rank, for what MG cannot coarsen.
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGG_ALL (1 << 30) /* every coarse level on one rank */

/* ---------------------------------------------------------------- helpers */

typedef struct {
    dc_mesh_t *mesh;
    dc_op_t *op;
    dc_mesh_info_t info;
} problem_t;

/* problem_create on an env of several ranks: rank 0 owns an empty box */
static int g_empty_first;
/* values per point of the meshes problem_create makes */
static int g_dof = 1;
static dc_gidx_t g_counts[64];

static int env_size(dc_env_t *env)
{
    int r = 0, n = 1;
    dc_env_get_rank(env, &r, &n);
    return n;
}

/* -Laplace on the unit cube's interior grid n (vertex-centred, h = 1 / (n + 1)). */
static int problem_create(dc_env_t *env, int dim, const dc_gidx_t *n, int npts, problem_t *p)
{
    dc_mesh_params_t mp;
    dc_stencil_t st;
    double h[3];
    int d, rc;

    memset(p, 0, sizeof(*p));
    memset(&mp, 0, sizeof(mp));
    mp.field_mask = DC_MESH_PARAM_SHAPE;
    mp.shape = npts == 9 || npts == 27 ? DC_MESH_BOX : DC_MESH_STAR;
    if (g_empty_first && dct_size > 1 && env_size(env) > 1) {
        /* ranks in a row along x, the first one owning nothing */
        int c;
        mp.field_mask |= DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
        mp.procs[0] = dct_size;
        mp.procs[1] = dim > 1 ? 1 : 0;
        mp.procs[2] = dim > 2 ? 1 : 0;
        for (c = 0; c < dct_size; c++)
            g_counts[c] = c == 0 ? 0 : n[0] / (dct_size - 1) + (c <= n[0] % (dct_size - 1));
        mp.counts[0] = g_counts;
    }
    for (d = 0; d < dim; d++)
        h[d] = 1.0 / (double)(n[d] + 1);
    rc = dc_mesh_create(env, dim, n, g_dof, 1, &mp, &p->mesh);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(dim, npts, h, 0.0, &st);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(p->mesh, &st, &p->op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_get_info(p->mesh, &p->info);
    return rc;
}

static void problem_destroy(problem_t *p)
{
    dc_op_destroy(&p->op);
    dc_mesh_destroy(&p->mesh);
}

/* Every mg_* field set (the hook wants them resolved). */
static dc_solver_params_t mg_params(int coarse, int agg, dc_mg_smoother_t sm, int steps)
{
    dc_solver_params_t sp;

    memset(&sp, 0, sizeof(sp));
    sp.field_mask =
        DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_MG | DC_SOLVER_PARAM_RTOL | DC_SOLVER_PARAM_MAX_IT;
    sp.pc = DC_PC_MG;
    sp.rtol = 1e-10;
    sp.max_it = 200;
    sp.mg_levels = 0;
    sp.mg_coarse_size = coarse;
    sp.mg_smoother = sm;
    sp.mg_smooth_steps = steps;
    sp.mg_jacobi_weight = 0;
    sp.mg_agglomerate = agg;
    return sp;
}

static size_t nat_size(int dim, const dc_gidx_t *n)
{
    size_t s = 1;
    int d;

    for (d = 0; d < dim; d++)
        s *= (size_t)n[d];
    return s;
}

/* Natural index of (i, j, k) on grid n (n[d] = 1 beyond dim). */
static size_t nat_index(const dc_gidx_t *n, dc_gidx_t i, dc_gidx_t j, dc_gidx_t k)
{
    return (size_t)((k * n[1] + j) * n[0] + i);
}

/* Copy this rank's box of the global field v into the natural array nat (zeros elsewhere), then
 * sum over comm: nat holds the whole field on every rank (one owner per entry: exact). */
static int field_to_natural(const problem_t *p, const dc_vec_t *v, MPI_Comm comm, double *nat)
{
    const dc_mesh_info_t *in = &p->info;
    dc_gidx_t n[3] = {in->n[0], in->n[1], in->n[2]}, i, j, k;
    size_t tot = (size_t)(n[0] * n[1] * n[2]) * (size_t)in->dof;
    int c;
    const double *a = NULL;
    int rc;

    memset(nat, 0, tot * sizeof(double));
    rc = dc_vec_get_array_read(v, &a);
    if (rc == DC_SUCCESS) {
        for (k = in->start[2]; k < in->start[2] + in->count[2]; k++)
            for (j = in->start[1]; j < in->start[1] + in->count[1]; j++)
                for (i = in->start[0]; i < in->start[0] + in->count[0]; i++)
                    for (c = 0; c < in->dof; c++)
                        nat[nat_index(n, i, j, k) * (size_t)in->dof + (size_t)c] =
                            a[dc_mesh_global_index(in, i, j, k, c)];
        dc_vec_restore_array_read(v, &a);
    }
    if (comm != MPI_COMM_SELF)
        MPI_Allreduce(MPI_IN_PLACE, nat, (int)tot, MPI_DOUBLE, MPI_SUM, comm);
    return rc;
}

/* Fill the global field v with the natural array nat. */
static int field_from_natural(const problem_t *p, dc_vec_t *v, const double *nat)
{
    const dc_mesh_info_t *in = &p->info;
    dc_gidx_t n[3] = {in->n[0], in->n[1], in->n[2]}, i, j, k;
    double *a = NULL;
    int c, rc = dc_vec_get_array(v, &a);

    if (rc != DC_SUCCESS)
        return rc;
    for (k = in->start[2]; k < in->start[2] + in->count[2]; k++)
        for (j = in->start[1]; j < in->start[1] + in->count[1]; j++)
            for (i = in->start[0]; i < in->start[0] + in->count[0]; i++)
                for (c = 0; c < in->dof; c++)
                    a[dc_mesh_global_index(in, i, j, k, c)] =
                        nat[nat_index(n, i, j, k) * (size_t)in->dof + (size_t)c];
    return dc_vec_restore_array(v, &a);
}

/*
 * Solve A x = b (b given in natural order) with params sp; x in natural order on every rank of
 * comm; iterations and reason returned. Collective on env (whose communicator is comm).
 */
static int solve_natural(dc_env_t *env, MPI_Comm comm, int dim, const dc_gidx_t *n, int npts,
                         const dc_solver_params_t *sp, const double *b, double *x, int *its_p,
                         int *reason_p, int *levels_p)
{
    problem_t p;
    dc_solver_t *s = NULL;
    dc_vec_t *vb = NULL, *vx = NULL;
    dc_solve_result_t res;
    int rc;

    *its_p = -1;
    *reason_p = 0;
    rc = problem_create(env, dim, n, npts, &p);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(p.mesh, &vb);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(p.mesh, &vx);
    if (rc == DC_SUCCESS)
        rc = field_from_natural(&p, vb, b);
    if (rc == DC_SUCCESS)
        rc = dc_solver_create(p.op, sp, &s);
    if (rc == DC_SUCCESS)
        rc = dc_solver_solve(s, vb, vx);
    if (rc == DC_SUCCESS)
        rc = dc_solver_get_result(s, &res);
    if (rc == DC_SUCCESS) {
        *its_p = res.iterations;
        *reason_p = res.reason;
        if (levels_p != NULL)
            *levels_p = res.mg_levels;
        rc = field_to_natural(&p, vx, comm, x);
    }
    dc_solver_destroy(&s);
    dc_vec_destroy(&vb);
    dc_vec_destroy(&vx);
    problem_destroy(&p);
    return rc;
}

/* ---------------------------------------------------------------- serial references */

/* P of one dimension as a dense nf x nc matrix: fine point x = (i + 1) / (nf + 1) between the
 * coarse points X_j = (j + 1) / (nc + 1) (X_-1 = 0 and X_nc = 1 carry the zero boundary), weights
 * by distance. */
static void ref_p1(dc_gidx_t nf, dc_gidx_t nc, double *P)
{
    dc_gidx_t i, j;

    memset(P, 0, (size_t)(nf * nc) * sizeof(double));
    for (i = 0; i < nf; i++) {
        double x = (double)(i + 1) / (double)(nf + 1), xl, xr, w;
        dc_gidx_t jl = -1;
        for (j = 0; j < nc; j++)
            if ((double)(j + 1) / (double)(nc + 1) <= x)
                jl = j;
        xl = (double)(jl + 1) / (double)(nc + 1);
        xr = (double)(jl + 2) / (double)(nc + 1);
        w = (x - xl) / (xr - xl);
        if (jl >= 0)
            P[i * nc + jl] = 1.0 - w;
        if (jl + 1 < nc)
            P[i * nc + jl + 1] = w;
    }
}

/* out (fine) = P in (coarse) with the tensor product of the 1-D matrices (direct sum). */
static void ref_prolong(int dim, const dc_gidx_t *nf, const dc_gidx_t *nc, double *const P[3],
                        const double *in, double *out)
{
    dc_gidx_t i[3], j[3];
    dc_gidx_t F[3] = {1, 1, 1}, Cn[3] = {1, 1, 1};
    int d;

    for (d = 0; d < dim; d++) {
        F[d] = nf[d];
        Cn[d] = nc[d];
    }
    for (i[2] = 0; i[2] < F[2]; i[2]++)
        for (i[1] = 0; i[1] < F[1]; i[1]++)
            for (i[0] = 0; i[0] < F[0]; i[0]++) {
                double s = 0;
                for (j[2] = 0; j[2] < Cn[2]; j[2]++)
                    for (j[1] = 0; j[1] < Cn[1]; j[1]++)
                        for (j[0] = 0; j[0] < Cn[0]; j[0]++) {
                            double w = 1;
                            for (d = 0; d < dim; d++)
                                w *= P[d][i[d] * Cn[d] + j[d]];
                            if (w != 0)
                                s += w * in[nat_index(Cn, j[0], j[1], j[2])];
                        }
                out[nat_index(F, i[0], i[1], i[2])] = s;
            }
}

/* out (coarse) = c P^T in (fine), c = prod (nc + 1) / (nf + 1). */
static void ref_restrict(int dim, const dc_gidx_t *nf, const dc_gidx_t *nc, double *const P[3],
                         const double *in, double *out)
{
    dc_gidx_t i[3], j[3];
    dc_gidx_t F[3] = {1, 1, 1}, Cn[3] = {1, 1, 1};
    double c = 1;
    int d;

    for (d = 0; d < dim; d++) {
        F[d] = nf[d];
        Cn[d] = nc[d];
        c *= (double)(nc[d] + 1) / (double)(nf[d] + 1);
    }
    for (j[2] = 0; j[2] < Cn[2]; j[2]++)
        for (j[1] = 0; j[1] < Cn[1]; j[1]++)
            for (j[0] = 0; j[0] < Cn[0]; j[0]++) {
                double s = 0;
                for (i[2] = 0; i[2] < F[2]; i[2]++)
                    for (i[1] = 0; i[1] < F[1]; i[1]++)
                        for (i[0] = 0; i[0] < F[0]; i[0]++) {
                            double w = 1;
                            for (d = 0; d < dim; d++)
                                w *= P[d][i[d] * Cn[d] + j[d]];
                            if (w != 0)
                                s += w * in[nat_index(F, i[0], i[1], i[2])];
                        }
                out[nat_index(Cn, j[0], j[1], j[2])] = c * s;
            }
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (!(fabs(a[i] - b[i]) <= m))
            m = fabs(a[i] - b[i]);
    return m;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    size_t i;

    for (i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* ---------------------------------------------------------------- transfers */

typedef struct {
    int dim;
    dc_gidx_t n[3];
} grid_case_t;

static void check_transfers(dc_env_t *env, const grid_case_t *gc, int agg)
{
    dc_solver_params_t sp = mg_params(1, agg, DC_MG_CHEBYSHEV, 2);
    dc_gidx_t ns[16][3];
    problem_t p;
    int nlev = 0, act = 0, l, d, rc, expect_lev = 1;
    int dim = gc->dim;

    rc = problem_create(env, dim, gc->n, dim == 1 ? 3 : dim == 2 ? 5 : 7, &p);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    /* the level sizes the design gives: n_c = (n - 1) / 2 while >= 1 point per dimension and
     * more points than mg_coarse_size (1) */
    for (d = 0; d < 3; d++)
        ns[0][d] = d < dim ? gc->n[d] : 1;
    for (;;) {
        int ok = nat_size(dim, ns[expect_lev - 1]) > 1;
        for (d = 0; d < dim; d++)
            ok = ok && (ns[expect_lev - 1][d] - 1) / 2 >= 1;
        if (!ok)
            break;
        for (d = 0; d < 3; d++)
            ns[expect_lev][d] = d < dim ? (ns[expect_lev - 1][d] - 1) / 2 : 1;
        expect_lev++;
    }
    rc = rc == DC_SUCCESS ? dci_test_mg_transfer(p.op, &sp, 0, 0, NULL, NULL, &nlev, &act)
                          : DC_ERR_ARG;
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(nlev, expect_lev);
    if (nlev != expect_lev)
        nlev = expect_lev < nlev ? expect_lev : nlev;
    for (l = 0; l + 1 < nlev && rc == DC_SUCCESS; l++) {
        size_t nf = nat_size(dim, ns[l]), nc = nat_size(dim, ns[l + 1]), q;
        double *P[3] = {NULL, NULL, NULL}, *u, *v, *Pv, *Ru, *ref, *lin;
        double c = 1, scale;
        int nested = 1, act1 = 0, dummy;

        u = malloc(nf * sizeof(double));
        Pv = malloc(nf * sizeof(double));
        ref = malloc(nf * sizeof(double));
        lin = malloc(nf * sizeof(double));
        v = malloc(nc * sizeof(double));
        Ru = malloc(nc * sizeof(double));
        for (d = 0; d < dim; d++) {
            P[d] = malloc((size_t)(ns[l][d] * ns[l + 1][d]) * sizeof(double));
            ref_p1(ns[l][d], ns[l + 1][d], P[d]);
            c *= (double)(ns[l + 1][d] + 1) / (double)(ns[l][d] + 1);
            nested = nested && ns[l][d] % 2 == 1;
        }
        for (q = 0; q < nf; q++)
            u[q] = dct_rand(11 + (uint64_t)l, q);
        for (q = 0; q < nc; q++)
            v[q] = dct_rand(23 + (uint64_t)l, q);
        /* P against the serial interpolation */
        rc = dci_test_mg_transfer(p.op, &sp, l, 0, v, Pv, &dummy, &act);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        ref_prolong(dim, ns[l], ns[l + 1], P, v, ref);
        CU_ASSERT(max_abs_diff(Pv, ref, nf) <= 1e-14);
        /* R against c P^T */
        rc = dci_test_mg_transfer(p.op, &sp, l, 1, u, Ru, &dummy, &act1);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        ref_restrict(dim, ns[l], ns[l + 1], P, u, ref);
        CU_ASSERT(max_abs_diff(Ru, ref, nc) <= 1e-14);
        /* the adjoint identity with the library's own R and P */
        scale = fabs(dot(Ru, v, nc)) + fabs(c * dot(u, Pv, nf)) + 1;
        CU_ASSERT(fabs(dot(Ru, v, nc) - c * dot(u, Pv, nf)) <= 1e-13 * scale * (double)nf);
        /* nested grids: P is exact on multilinear functions away from the boundary */
        if (nested) {
            dc_gidx_t j[3] = {0, 0, 0}, i[3] = {0, 0, 0}, C3[3] = {1, 1, 1}, F3[3] = {1, 1, 1};
            double err = 0;
            for (d = 0; d < dim; d++) {
                C3[d] = ns[l + 1][d];
                F3[d] = ns[l][d];
            }
            for (j[2] = 0; j[2] < C3[2]; j[2]++)
                for (j[1] = 0; j[1] < C3[1]; j[1]++)
                    for (j[0] = 0; j[0] < C3[0]; j[0]++) {
                        double X[3] = {0, 0, 0};
                        for (d = 0; d < dim; d++)
                            X[d] = (double)(j[d] + 1) / (double)(C3[d] + 1);
                        v[nat_index(C3, j[0], j[1], j[2])] =
                            1 + 2 * X[0] - 3 * X[1] + 0.5 * X[2] + X[0] * X[1] - X[1] * X[2];
                    }
            rc = dci_test_mg_transfer(p.op, &sp, l, 0, v, lin, &dummy, &act);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            for (i[2] = dim > 2; i[2] < F3[2] - (dim > 2); i[2]++)
                for (i[1] = dim > 1; i[1] < F3[1] - (dim > 1); i[1]++)
                    for (i[0] = 1; i[0] < F3[0] - 1; i[0]++) {
                        double x[3] = {0, 0, 0}, f;
                        for (d = 0; d < dim; d++)
                            x[d] = (double)(i[d] + 1) / (double)(F3[d] + 1);
                        f = 1 + 2 * x[0] - 3 * x[1] + 0.5 * x[2] + x[0] * x[1] - x[1] * x[2];
                        if (fabs(lin[nat_index(F3, i[0], i[1], i[2])] - f) > err)
                            err = fabs(lin[nat_index(F3, i[0], i[1], i[2])] - f);
                    }
            CU_ASSERT(err <= 1e-13);
        }
        /* agglomeration: every coarse level on one rank, or (none) on every rank that owns
         * fine points, as far as the derived split gives them points */
        if (agg == AGG_ALL && l + 1 < nlev) {
            int a2 = 0;
            rc = dci_test_mg_transfer(p.op, &sp, l + 1, 0, NULL, NULL, &dummy, &a2);
            CU_ASSERT_EQUAL(a2, 1);
        }
        if (agg == 0 && l == 0)
            CU_ASSERT(act >= 1 && act <= dct_size);
        for (d = 0; d < dim; d++)
            free(P[d]);
        free(u);
        free(v);
        free(Pv);
        free(Ru);
        free(ref);
        free(lin);
    }
    problem_destroy(&p);
}

/* Two values per point: each component is transferred alone, with the weights of one. */
static void check_transfers_dof2(dc_env_t *env, const grid_case_t *gc)
{
    dc_solver_params_t sp = mg_params(1, 0, DC_MG_CHEBYSHEV, 2);
    dc_gidx_t nc[3] = {1, 1, 1};
    problem_t p;
    int dim = gc->dim, d, rc, nlev = 0, act = 0, e;
    size_t nf, ncs, q;
    double *P[3] = {NULL, NULL, NULL}, *u, *v, *Pv, *Ru, *cu, *cv, *ref;
    double err = 0;

    g_dof = 2;
    rc = problem_create(env, dim, gc->n, dim == 1 ? 3 : dim == 2 ? 5 : 7, &p);
    g_dof = 1;
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (d = 0; d < dim; d++) {
        nc[d] = (gc->n[d] - 1) / 2;
        P[d] = malloc((size_t)(gc->n[d] * nc[d]) * sizeof(double));
        ref_p1(gc->n[d], nc[d], P[d]);
    }
    nf = nat_size(dim, gc->n);
    ncs = nat_size(dim, nc);
    u = malloc(2 * nf * sizeof(double));
    Pv = malloc(2 * nf * sizeof(double));
    v = malloc(2 * ncs * sizeof(double));
    Ru = malloc(2 * ncs * sizeof(double));
    cu = malloc(nf * sizeof(double));
    cv = malloc(ncs * sizeof(double));
    ref = malloc(nf * sizeof(double));
    for (q = 0; q < 2 * nf; q++)
        u[q] = dct_rand(41, q);
    for (q = 0; q < 2 * ncs; q++)
        v[q] = dct_rand(43, q);
    if (rc == DC_SUCCESS)
        rc = dci_test_mg_transfer(p.op, &sp, 0, 0, v, Pv, &nlev, &act);
    if (rc == DC_SUCCESS)
        rc = dci_test_mg_transfer(p.op, &sp, 0, 1, u, Ru, &nlev, &act);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && nlev >= 2);
    for (e = 0; e < 2 && rc == DC_SUCCESS; e++) {
        for (q = 0; q < ncs; q++)
            cv[q] = v[2 * q + (size_t)e];
        ref_prolong(dim, gc->n, nc, P, cv, ref);
        for (q = 0; q < nf; q++)
            err = fabs(Pv[2 * q + (size_t)e] - ref[q]) > err ? fabs(Pv[2 * q + (size_t)e] - ref[q])
                                                             : err;
        for (q = 0; q < nf; q++)
            cu[q] = u[2 * q + (size_t)e];
        ref_restrict(dim, gc->n, nc, P, cu, ref);
        for (q = 0; q < ncs; q++)
            err = fabs(Ru[2 * q + (size_t)e] - ref[q]) > err ? fabs(Ru[2 * q + (size_t)e] - ref[q])
                                                             : err;
    }
    CU_ASSERT(err <= 1e-14);
    for (d = 0; d < dim; d++)
        free(P[d]);
    free(u);
    free(v);
    free(Pv);
    free(Ru);
    free(cu);
    free(cv);
    free(ref);
    problem_destroy(&p);
}

static void test_transfers(void)
{
    static const grid_case_t cases[] = {
        {1, {37, 1, 1}},  {1, {40, 1, 1}}, {2, {17, 13, 1}},
        {2, {18, 11, 1}}, {3, {9, 7, 11}}, {3, {10, 8, 7}},
    };
    dc_env_t *env = dct_env_create();
    size_t c;

    if (env == NULL)
        return;
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        check_transfers(env, &cases[c], 0);
        check_transfers(env, &cases[c], AGG_ALL);
    }
    check_transfers_dof2(env, &cases[1]);
    check_transfers_dof2(env, &cases[3]);
    check_transfers_dof2(env, &cases[4]);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- coarse direct solve */

/* Dense matrix of the test's own stencil (same coefficients as dc_stencil_laplacian documents)
 * on grid n with Dirichlet edges, then Gaussian elimination with partial pivoting. */
static void dense_solve(int dim, const dc_gidx_t *n, int npts, const double *b, double *x)
{
    dc_gidx_t N = (dc_gidx_t)nat_size(dim, n), G[3] = {1, 1, 1}, p, q, i[3], a, bb, cc;
    double *A = calloc((size_t)(N * N), sizeof(double)), *rhs = malloc((size_t)N * sizeof(double));
    double h[3];
    int d, col, r, k;

    for (d = 0; d < dim; d++) {
        G[d] = n[d];
        h[d] = 1.0 / (double)(n[d] + 1);
    }
    for (i[2] = 0; i[2] < G[2]; i[2]++)
        for (i[1] = 0; i[1] < G[1]; i[1]++)
            for (i[0] = 0; i[0] < G[0]; i[0]++) {
                p = (dc_gidx_t)nat_index(G, i[0], i[1], i[2]);
                for (cc = -1; cc <= 1; cc++)
                    for (bb = -1; bb <= 1; bb++)
                        for (a = -1; a <= 1; a++) {
                            int nz = (a != 0) + (bb != 0) + (cc != 0);
                            double w = 0;
                            dc_gidx_t o[3] = {a, bb, cc};
                            if ((dim < 3 && cc != 0) || (dim < 2 && bb != 0))
                                continue;
                            if (npts == 9)
                                w = (nz == 0 ? 20.0 : nz == 1 ? -4.0 : -1.0) / (6 * h[0] * h[0]);
                            else if (npts == 27)
                                w = (nz == 0   ? 128.0
                                     : nz == 1 ? -14.0
                                     : nz == 2 ? -3.0
                                               : -1.0) /
                                    (30 * h[0] * h[0]);
                            else if (nz == 0)
                                for (d = 0; d < dim; d++)
                                    w += 2 / (h[d] * h[d]);
                            else if (nz == 1)
                                for (d = 0; d < dim; d++)
                                    if (o[d] != 0)
                                        w = -1 / (h[d] * h[d]);
                            if (w == 0)
                                continue;
                            if (i[0] + a < 0 || i[0] + a >= G[0] || i[1] + bb < 0 ||
                                i[1] + bb >= G[1] || i[2] + cc < 0 || i[2] + cc >= G[2])
                                continue;
                            q = (dc_gidx_t)nat_index(G, i[0] + a, i[1] + bb, i[2] + cc);
                            A[p * N + q] += w;
                        }
            }
    memcpy(rhs, b, (size_t)N * sizeof(double));
    for (col = 0; col < N; col++) {
        int piv = col;
        for (r = col + 1; r < N; r++)
            if (fabs(A[r * N + col]) > fabs(A[piv * N + col]))
                piv = r;
        if (piv != col) {
            for (k = 0; k < N; k++) {
                double t = A[col * N + k];
                A[col * N + k] = A[piv * N + k];
                A[piv * N + k] = t;
            }
            {
                double t = rhs[col];
                rhs[col] = rhs[piv];
                rhs[piv] = t;
            }
        }
        for (r = col + 1; r < N; r++) {
            double f = A[r * N + col] / A[col * N + col];
            if (f == 0)
                continue;
            for (k = col; k < N; k++)
                A[r * N + k] -= f * A[col * N + k];
            rhs[r] -= f * rhs[col];
        }
    }
    for (r = (int)N - 1; r >= 0; r--) {
        double s = rhs[r];
        for (k = r + 1; k < N; k++)
            s -= A[r * N + k] * x[k];
        x[r] = s / A[r * N + r];
    }
    free(A);
    free(rhs);
}

static void test_coarse_direct(void)
{
    static const struct {
        int dim, npts;
        dc_gidx_t n[3];
    } cases[] = {{1, 3, {50, 1, 1}},
                 {2, 5, {19, 23, 1}},
                 {2, 9, {21, 21, 1}},
                 {3, 7, {7, 6, 5}},
                 {3, 27, {7, 7, 7}}};
    dc_env_t *env = dct_env_create();
    size_t c, q;

    if (env == NULL)
        return;
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t N = nat_size(cases[c].dim, cases[c].n);
        double *b = malloc(N * sizeof(double)), *x = malloc(N * sizeof(double)),
               *ref = malloc(N * sizeof(double)), xmax = 0;
        /* one level (coarse size >= N): one V-cycle is the banded Cholesky solve */
        dc_solver_params_t sp = mg_params((int)N, 0, DC_MG_CHEBYSHEV, 2);
        int its, reason, levels = 0, rc;

        for (q = 0; q < N; q++)
            b[q] = dct_rand(5, q);
        rc = solve_natural(env, dct_comm, cases[c].dim, cases[c].n, cases[c].npts, &sp, b, x, &its,
                           &reason, &levels);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        dense_solve(cases[c].dim, cases[c].n, cases[c].npts, b, ref);
        for (q = 0; q < N; q++)
            xmax = fabs(ref[q]) > xmax ? fabs(ref[q]) : xmax;
        CU_ASSERT_EQUAL(levels, 1);
        CU_ASSERT(its <= 2 && reason > 0);
        CU_ASSERT(max_abs_diff(x, ref, N) <= 1e-10 * xmax);
        free(b);
        free(x);
        free(ref);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- MG-CG */

/* Manufactured solution u = prod_d 4 x_d (1 - x_d) (not an eigenvector of the discrete
 * operator): b = -Laplace(u) at the grid points. */
static void manufactured(int dim, const dc_gidx_t *n, double *u, double *b)
{
    dc_gidx_t G[3] = {1, 1, 1}, i[3];
    int d, e;

    for (d = 0; d < dim; d++)
        G[d] = n[d];
    for (i[2] = 0; i[2] < G[2]; i[2]++)
        for (i[1] = 0; i[1] < G[1]; i[1]++)
            for (i[0] = 0; i[0] < G[0]; i[0]++) {
                double x[3], v = 1, f = 0;
                size_t q = nat_index(G, i[0], i[1], i[2]);
                for (d = 0; d < dim; d++) {
                    x[d] = (double)(i[d] + 1) / (double)(G[d] + 1);
                    v *= 4 * x[d] * (1 - x[d]);
                }
                for (d = 0; d < dim; d++) {
                    double t = 8;
                    for (e = 0; e < dim; e++)
                        if (e != d)
                            t *= 4 * x[e] * (1 - x[e]);
                    f += t;
                }
                u[q] = v;
                b[q] = f;
            }
}

static void test_mgcg_poisson(void)
{
    static const struct {
        int dim, npts;
        dc_gidx_t n[3];
        double disc; /* bound of the discretisation error (max norm) */
    } cases[] = {{2, 5, {127, 127, 1}, 2e-4},
                 {2, 5, {100, 90, 1}, 4e-4},
                 {2, 9, {63, 63, 1}, 1e-3},
                 {3, 7, {31, 31, 31}, 3e-3},
                 {3, 27, {15, 15, 15}, 1e-2}};
    dc_env_t *env = dct_env_create();
    size_t c;

    if (env == NULL)
        return;
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int dim = cases[c].dim;
        size_t N = nat_size(dim, cases[c].n);
        double *u = malloc(N * sizeof(double)), *b = malloc(N * sizeof(double));
        double *x = malloc(N * sizeof(double)), *xcg = malloc(N * sizeof(double));
        dc_solver_params_t sp = mg_params(50, 4096, DC_MG_CHEBYSHEV, 2), cg;
        int its, reason, its_cg, reason_cg, levels = 0, rc;

        manufactured(dim, cases[c].n, u, b);
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, x, &its, &reason,
                           &levels);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        cg = sp;
        cg.pc = DC_PC_NONE;
        cg.max_it = 5000;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &cg, b, xcg, &its_cg,
                           &reason_cg, NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(reason == DC_SOLVE_CONVERGED_RTOL && reason_cg == DC_SOLVE_CONVERGED_RTOL);
        CU_ASSERT(levels >= 2);
        CU_ASSERT(its <= 15 && its < its_cg);
        CU_ASSERT(max_abs_diff(x, xcg, N) <= 1e-7);
        CU_ASSERT(max_abs_diff(x, u, N) <= cases[c].disc);
        if (dct_rank == 0 && getenv("DCT_VERBOSE") != NULL)
            printf("\n  dim %d %d-point: MG-CG %d its (%d levels), CG %d its, error %.3g", dim,
                   cases[c].npts, its, levels, its_cg, max_abs_diff(x, u, N));
        /* Jacobi smoothing converges too */
        sp.mg_smoother = DC_MG_JACOBI;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, x, &its, &reason,
                           NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(reason == DC_SOLVE_CONVERGED_RTOL && its <= 40);
        CU_ASSERT(max_abs_diff(x, xcg, N) <= 1e-7);
        free(u);
        free(b);
        free(x);
        free(xcg);
    }
    dc_env_destroy(&env);
}

/* Iteration counts for 3 grid sizes stay within 2 of each other (odd and even sizes). */
static void test_grid_independence(void)
{
    static const dc_gidx_t sizes[2][3] = {{63, 127, 255}, {64, 128, 256}};
    dc_env_t *env = dct_env_create();
    int s, k, its[2][3];

    if (env == NULL)
        return;
    for (s = 0; s < 2; s++)
        for (k = 0; k < 3; k++) {
            dc_gidx_t n[3] = {sizes[s][k], sizes[s][k], 1};
            size_t N = nat_size(2, n), q;
            double *b = malloc(N * sizeof(double)), *x = malloc(N * sizeof(double));
            dc_solver_params_t sp = mg_params(50, 4096, DC_MG_CHEBYSHEV, 2);
            int reason, rc;
            sp.rtol = 1e-8;
            for (q = 0; q < N; q++)
                b[q] = 1 + dct_rand(3, q);
            rc = solve_natural(env, dct_comm, 2, n, 5, &sp, b, x, &its[s][k], &reason, NULL);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(reason == DC_SOLVE_CONVERGED_RTOL);
            free(b);
            free(x);
        }
    for (s = 0; s < 2; s++) {
        int lo = its[s][0], hi = its[s][0];
        for (k = 1; k < 3; k++) {
            lo = its[s][k] < lo ? its[s][k] : lo;
            hi = its[s][k] > hi ? its[s][k] : hi;
        }
        CU_ASSERT(hi - lo <= 2);
        CU_ASSERT(hi <= 12);
        if (dct_rank == 0 && getenv("DCT_VERBOSE") != NULL)
            printf("\n  %s n: %d %d %d iterations", s ? "even" : "odd", its[s][0], its[s][1],
                   its[s][2]);
    }
    dc_env_destroy(&env);
}

/* Settings: level limit, smoothing degree 1 and 3, pipelined CG; each converges to CG's answer. */
static void test_settings(void)
{
    dc_env_t *env = dct_env_create();
    dc_gidx_t n[3] = {95, 81, 1};
    size_t N = nat_size(2, n), q;
    double *b = malloc(N * sizeof(double)), *x = malloc(N * sizeof(double)),
           *ref = malloc(N * sizeof(double));
    dc_solver_params_t sp = mg_params(40, 4096, DC_MG_CHEBYSHEV, 2), cg;
    int its, reason, levels, rc, k;

    if (env == NULL)
        return;
    for (q = 0; q < N; q++)
        b[q] = dct_rand(9, q);
    cg = sp;
    cg.pc = DC_PC_NONE;
    cg.max_it = 5000;
    rc = solve_natural(env, dct_comm, 2, n, 5, &cg, b, ref, &its, &reason, NULL);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (k = 0; k < 5; k++) {
        dc_solver_params_t v = sp;
        int want_levels = 5; /* 95x81 -> 47x40 -> 23x19 -> 11x9 -> 5x4 (20 <= 40) */
        if (k == 0) {
            v.mg_levels = 2;
            want_levels = 2;
        } else if (k == 1) {
            v.mg_smooth_steps = 1;
        } else if (k == 2) {
            v.mg_smooth_steps = 3;
        } else if (k == 3) {
            v.mg_smoother = DC_MG_JACOBI;
            v.mg_smooth_steps = 3;
            v.mg_jacobi_weight = 0.6;
        } else if (k == 4) {
            v.field_mask |= DC_SOLVER_PARAM_TYPE;
            v.type = DC_SOLVER_PIPECG;
        }
        levels = 0;
        rc = solve_natural(env, dct_comm, 2, n, 5, &v, b, x, &its, &reason, &levels);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(reason == DC_SOLVE_CONVERGED_RTOL && its <= 30);
        CU_ASSERT_EQUAL(levels, want_levels);
        CU_ASSERT(max_abs_diff(x, ref, N) <= 1e-8);
        if (dct_rank == 0 && getenv("DCT_VERBOSE") != NULL)
            printf("\n  setting %d: %d its, %d levels", k, its, levels);
    }
    /* a zeroed struct with DC_SOLVER_PARAM_MG means the documented defaults (coarse size 4096,
     * 2 smoothing steps, the dimension's Jacobi weight; agglomerate 0: never): the same levels,
     * iterations and bits as those values given explicitly */
    {
        dc_solver_params_t z = mg_params(0, 0, DC_MG_CHEBYSHEV, 0);
        dc_solver_params_t e = mg_params(4096, 0, DC_MG_CHEBYSHEV, 2);
        double *xz = malloc(sizeof(double) * N);
        int itz = -1, lz = 0, le = 0, rcz, same = 1, rz = 0;
        size_t qq;

        rcz = solve_natural(env, dct_comm, 2, n, 5, &z, b, xz, &itz, &rz, &lz);
        rc = solve_natural(env, dct_comm, 2, n, 5, &e, b, x, &its, &reason, &le);
        DCT_ASSERT_ALL(rcz == DC_SUCCESS && rc == DC_SUCCESS);
        for (qq = 0; qq < N; qq++)
            same &= dct_same_bits(xz[qq], x[qq]);
        CU_ASSERT(same && itz == its && lz == le && lz == 2 && rz == DC_SOLVE_CONVERGED_RTOL);
        free(xz);
    }
    /* two values per point: component 0 the right-hand side above, 1 its negative plus 1; each
     * converges to CG's answer for it */
    {
        double *b2 = malloc(2 * N * sizeof(double)), *x2 = malloc(2 * N * sizeof(double));
        double *ref2 = malloc(N * sizeof(double));
        for (q = 0; q < N; q++) {
            b2[2 * q] = b[q];
            b2[2 * q + 1] = 1 - b[q];
            ref2[q] = 1 - b[q];
        }
        g_dof = 2;
        rc = solve_natural(env, dct_comm, 2, n, 5, &sp, b2, x2, &its, &reason, &levels);
        g_dof = 1;
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(reason == DC_SOLVE_CONVERGED_RTOL && its <= 30 && levels == 5);
        rc = solve_natural(env, dct_comm, 2, n, 5, &cg, ref2, b, &its, &reason, NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        {
            double err = 0;
            for (q = 0; q < N; q++) {
                err = fabs(x2[2 * q] - ref[q]) > err ? fabs(x2[2 * q] - ref[q]) : err;
                err = fabs(x2[2 * q + 1] - b[q]) > err ? fabs(x2[2 * q + 1] - b[q]) : err;
            }
            CU_ASSERT(err <= 1e-8);
        }
        free(b2);
        free(x2);
        free(ref2);
    }
    free(b);
    free(x);
    free(ref);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reproducibility */

static void test_reproducible(void)
{
    static const struct {
        int dim, npts, dof;
        dc_gidx_t n[3];
    } cases[] = {{2, 5, 1, {65, 47, 1}},
                 {2, 9, 1, {40, 40, 1}},
                 {3, 7, 1, {17, 15, 13}},
                 {2, 5, 2, {33, 29, 1}}};
    dc_env_t *env = dct_env_create(), *self = NULL;
    size_t c, q;

    if (env == NULL)
        return;
    if (dc_env_create(MPI_COMM_SELF, NULL, &self) != DC_SUCCESS)
        self = NULL;
    DCT_ASSERT_ALL(self != NULL);
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]) && self != NULL; c++) {
        int dim = cases[c].dim;
        size_t N = nat_size(dim, cases[c].n) * (size_t)cases[c].dof;
        double *b = malloc(N * sizeof(double)), *x = malloc(N * sizeof(double)),
               *x1 = malloc(N * sizeof(double)), *xa = malloc(N * sizeof(double));
        dc_solver_params_t sp = mg_params(30, 0, DC_MG_CHEBYSHEV, 2);
        int its, its1, itsa, reason, rc, same = 1, same_a = 1;

        g_dof = cases[c].dof;
        sp.field_mask |= DC_SOLVER_PARAM_REPRO;
        sp.repro = DC_REPRO_BINNED;
        for (q = 0; q < N; q++)
            b[q] = dct_rand(7, q) + 0.25;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, x, &its, &reason,
                           NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        /* every coarse level agglomerated on one rank: the same arithmetic */
        sp.mg_agglomerate = AGG_ALL;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, xa, &itsa,
                           &reason, NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        /* one rank */
        sp.mg_agglomerate = 0;
        rc = solve_natural(self, MPI_COMM_SELF, dim, cases[c].n, cases[c].npts, &sp, b, x1, &its1,
                           &reason, NULL);
        CU_ASSERT(rc == DC_SUCCESS);
        for (q = 0; q < N; q++) {
            same = same && dct_same_bits(x[q], x1[q]);
            same_a = same_a && dct_same_bits(x[q], xa[q]);
        }
        CU_ASSERT_EQUAL(its, its1);
        CU_ASSERT_EQUAL(its, itsa);
        CU_ASSERT(same);
        CU_ASSERT(same_a);
        /* the first rank owns nothing on the fine grid */
        sp.mg_agglomerate = 0;
        g_empty_first = 1;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, xa, &itsa,
                           &reason, NULL);
        g_empty_first = 0;
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        for (q = 0; q < N; q++)
            same_a = same_a && dct_same_bits(x[q], xa[q]);
        CU_ASSERT_EQUAL(its, itsa);
        CU_ASSERT(same_a);
        /* partly agglomerated (slabs merged on some coarse levels only) */
        sp.mg_agglomerate = 300;
        rc = solve_natural(env, dct_comm, dim, cases[c].n, cases[c].npts, &sp, b, xa, &itsa,
                           &reason, NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        for (q = 0; q < N; q++)
            same_a = same_a && dct_same_bits(x[q], xa[q]);
        CU_ASSERT_EQUAL(its, itsa);
        CU_ASSERT(same_a);
        g_dof = 1;
        free(b);
        free(x);
        free(x1);
        free(xa);
    }
    dc_env_destroy(&self);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- what MG cannot coarsen */

static int shell_apply(const dc_vec_t *x, dc_vec_t *y, void *ctx)
{
    (void)ctx;
    return dc_vec_copy(x, y);
}

static void expect_notsup(dc_op_t *op, const char *what)
{
    dc_solver_params_t sp = mg_params(16, 4096, DC_MG_CHEBYSHEV, 2);
    dc_solver_t *s = NULL;
    int rc = dc_solver_create(op, &sp, &s);

    DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
    CU_ASSERT(s == NULL);
    if (rc != DC_ERR_NOTSUP)
        fprintf(stderr, "[rank %d] %s: %d\n", dct_rank, what, rc);
    dc_solver_destroy(&s);
}

static void test_notsup(void)
{
    dc_env_t *env = dct_env_create();
    dc_gidx_t n[3] = {33, 31, 1};
    double h[3] = {1.0 / 34, 1.0 / 32, 1};
    dc_mesh_t *mesh = NULL, *per = NULL, *two = NULL;
    dc_mesh_params_t mp;
    dc_stencil_t st;
    dc_op_t *op = NULL;
    dc_layout_t *lay = NULL;
    int rc;

    if (env == NULL)
        return;
    rc = dc_mesh_create(env, 2, n, 1, 1, NULL, &mesh);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    /* a general stencil (not from dc_stencil_laplacian) */
    rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    st.laplacian = 0;
    if (dct_all(dc_mesh_op_create_stencil(mesh, &st, &op) == DC_SUCCESS))
        expect_notsup(op, "general stencil");
    dc_op_destroy(&op);
    /* Neumann on one side */
    rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    st.bc[1][0] = DC_BC_NEUMANN;
    if (dct_all(dc_mesh_op_create_stencil(mesh, &st, &op) == DC_SUCCESS))
        expect_notsup(op, "Neumann");
    dc_op_destroy(&op);
    /* periodic in x */
    memset(&mp, 0, sizeof(mp));
    mp.field_mask = DC_MESH_PARAM_PERIODIC;
    mp.periodic[0] = 1;
    rc = dc_mesh_create(env, 2, n, 1, 1, &mp, &per);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    st.bc[0][0] = st.bc[0][1] = DC_BC_PERIODIC;
    if (dct_all(dc_mesh_op_create_stencil(per, &st, &op) == DC_SUCCESS))
        expect_notsup(op, "periodic");
    dc_op_destroy(&op);
    /* 9 points on 7 x 8 points of equal spacing: the coarse spacings differ (8h/4, 9h/4) */
    memset(&mp, 0, sizeof(mp));
    mp.field_mask = DC_MESH_PARAM_SHAPE;
    mp.shape = DC_MESH_BOX;
    {
        dc_gidx_t n9[3] = {7, 8, 1};
        double h9[3] = {0.125, 0.125, 1};
        rc = dc_mesh_create(env, 2, n9, 1, 1, &mp, &two);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        rc = dc_stencil_laplacian(2, 9, h9, 0.0, &st);
        if (dct_all(dc_mesh_op_create_stencil(two, &st, &op) == DC_SUCCESS))
            expect_notsup(op, "9 points, unequal coarse spacings");
        dc_op_destroy(&op);
    }
    /* a shell operator */
    rc = dc_mesh_get_layout(mesh, &lay);
    if (dct_all(rc == DC_SUCCESS &&
                dc_op_create_shell(lay, shell_apply, NULL, NULL, &op) == DC_SUCCESS))
        expect_notsup(op, "shell");
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    dc_mesh_destroy(&per);
    dc_mesh_destroy(&two);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- allocation failures */

/* The n-th allocation fails on one rank: dc_solver_create fails with DC_ERR_NOMEM on every rank
 * and leaks nothing, until n passes the number of allocations. */
static void test_alloc_failure(void)
{
    dc_env_t *env = dct_env_create();
    dc_gidx_t n[3] = {33, 29, 1};
    dc_solver_params_t sp = mg_params(16, 200, DC_MG_CHEBYSHEV, 2);
    problem_t p;
    long live0, k;
    int rc, bad = 0, done = 0;

    if (env == NULL)
        return;
    rc = problem_create(env, 2, n, 5, &p);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    live0 = dci_test_alloc_live();
    for (k = 1; k < 5000 && rc == DC_SUCCESS && !done; k++) {
        dc_solver_t *s = NULL;
        int r, fired, lo, hi, anyfired;
        dci_test_fail_alloc(k, (int)(k % dct_size));
        r = dc_solver_create(p.op, &sp, &s);
        fired = dci_test_fail_alloc_fired();
        dci_test_fail_alloc(0, -1);
        MPI_Allreduce(&r, &lo, 1, MPI_INT, MPI_MIN, dct_comm);
        MPI_Allreduce(&r, &hi, 1, MPI_INT, MPI_MAX, dct_comm);
        MPI_Allreduce(&fired, &anyfired, 1, MPI_INT, MPI_MAX, dct_comm);
        if (lo != hi || (r != DC_SUCCESS && r != DC_ERR_NOMEM) || (r == DC_SUCCESS) == (s == NULL))
            bad++;
        if (r == DC_SUCCESS)
            dc_solver_destroy(&s);
        if (dci_test_alloc_live() != live0)
            bad++;
        done = r == DC_SUCCESS && !anyfired;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(done);
    problem_destroy(&p);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("mg", NULL, NULL);

    CU_add_test(s, "interpolation and restriction vs serial, R = c P^T", test_transfers);
    CU_add_test(s, "coarsest level: banded Cholesky vs dense solve", test_coarse_direct);
    CU_add_test(s, "MG-CG: manufactured solution, vs CG", test_mgcg_poisson);
    CU_add_test(s, "grid-independent iteration counts", test_grid_independence);
    CU_add_test(s, "levels, degrees, Jacobi weight, pipelined CG", test_settings);
    CU_add_test(s, "reproducible across ranks and agglomeration", test_reproducible);
    CU_add_test(s, "DC_ERR_NOTSUP on every rank", test_notsup);
    CU_add_test(s, "allocation failures: same code everywhere, no leak", test_alloc_failure);
}
