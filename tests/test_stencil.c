/*
 * Stencil operators (dc_stencil_laplacian, dc_mesh_op_create_stencil,
 * dc_mesh_op_create_pointwise) against serial references written here: the field is gathered in
 * natural order and the stencil applied on the whole grid with the boundary conditions done by
 * hand, summing the terms in the order the library documents (increasing memory offset: z, then
 * y, then x), so A x must agree bit for bit; and the same operator on a 1-rank env (rank 0's
 * MPI_COMM_SELF) must give the same bits as on all ranks.
 */
#include "dc_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_impl.h"      /* the fused apply_dot, reached through the operator's table */
#include "stencil_impl.h" /* the kernels for mg.c: this test's own copy of stencil_kernel.c */

static dc_env_t *env;  /* all ranks */
static dc_env_t *env1; /* rank 0 alone (NULL elsewhere) */

static int suite_init(void)
{
    env = dct_env_create();
    env1 = NULL;
    if (dct_rank == 0 && dc_env_create(MPI_COMM_SELF, NULL, &env1) != DC_SUCCESS)
        env1 = NULL;
    return env == NULL;
}

static int suite_clean(void)
{
    dc_env_destroy(&env1);
    dc_env_destroy(&env);
    return 0;
}

/* ------------------------------------------------------------------ serial reference */

typedef struct {
    int dim;
    dc_gidx_t n[3];
    int dof, width;
    dc_mesh_shape_t shape;
    int periodic[3];
    const dc_gidx_t *counts0; /* optional counts of dimension 0 (procs[0] = size) */
} mcase_t;

static size_t npts(const mcase_t *m)
{
    return (size_t)(m->n[0] * m->n[1] * m->n[2]);
}

/* The index of coordinate g after the boundary condition of a dimension of n points; -1: zero. */
static dc_gidx_t ref_resolve(dc_gidx_t g, dc_gidx_t n, const dc_bc_t bc[2])
{
    if (g < 0)
        return bc[0] == DC_BC_PERIODIC ? g + n : bc[0] == DC_BC_NEUMANN ? -1 - g : -1;
    if (g >= n)
        return bc[1] == DC_BC_PERIODIC ? g - n : bc[1] == DC_BC_NEUMANN ? 2 * n - 1 - g : -1;
    return g;
}

/* x at point p + o (natural order), component c, with the boundary conditions. */
static double ref_at(const mcase_t *m, const dc_bc_t (*bc)[2], const double *x, const dc_gidx_t *p,
                     const int *o, int c)
{
    dc_gidx_t q[3];
    int d;

    for (d = 0; d < 3; d++) {
        q[d] = p[d] + o[d];
        if (d < m->dim)
            q[d] = ref_resolve(q[d], m->n[d], bc[d]);
        if (q[d] < 0)
            return 0.0;
    }
    return x[((q[2] * m->n[1] + q[1]) * m->n[0] + q[0]) * m->dof + c];
}

/* The terms in the documented order: by offset z, then y, then x; equal ones as given. */
static void ref_order(const dc_stencil_t *st, int *perm)
{
    int i, j;

    for (i = 0; i < st->npoints; i++) {
        for (j = i; j > 0; j--) {
            const int *a = st->offset[i], *b = st->offset[perm[j - 1]];
            int before = a[2] != b[2] ? a[2] < b[2] : a[1] != b[1] ? a[1] < b[1] : a[0] < b[0];
            if (!before)
                break;
            perm[j] = perm[j - 1];
        }
        perm[j] = i;
    }
}

static void ref_apply(const mcase_t *m, const dc_stencil_t *st, const double *x, double *y)
{
    int perm[DC_STENCIL_MAX], t, c;
    dc_gidx_t p[3];
    size_t q = 0;

    ref_order(st, perm);
    for (p[2] = 0; p[2] < m->n[2]; p[2]++)
        for (p[1] = 0; p[1] < m->n[1]; p[1]++)
            for (p[0] = 0; p[0] < m->n[0]; p[0]++, q++)
                for (c = 0; c < m->dof; c++) {
                    double s = st->coef[perm[0]] *
                               ref_at(m, (const dc_bc_t(*)[2])st->bc, x, p, st->offset[perm[0]], c);
                    for (t = 1; t < st->npoints; t++)
                        s = s + st->coef[perm[t]] * ref_at(m, (const dc_bc_t(*)[2])st->bc, x, p,
                                                           st->offset[perm[t]], c);
                    y[q * (size_t)m->dof + (size_t)c] = s;
                }
}

/* ------------------------------------------------------------------ running an operator */

typedef struct {
    const mcase_t *m;
    uint64_t seed;
} fill_ctx_t;

/* x = dct_rand(seed, natural index): the same field whatever the distribution */
static void fill_rand(const dc_gidx_t ijk[3], double *v, void *ctx)
{
    const fill_ctx_t *f = ctx;
    const mcase_t *m = f->m;
    dc_gidx_t g = (ijk[2] * m->n[1] + ijk[1]) * m->n[0] + ijk[0];
    int c;

    for (c = 0; c < m->dof; c++)
        v[c] = dct_rand(f->seed, (uint64_t)(g * m->dof + c));
}

static int mesh_make(dc_env_t *e, const mcase_t *m, dc_mesh_t **mesh_p)
{
    dc_mesh_params_t prm;
    int size;

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_MESH_PARAM_PERIODIC | DC_MESH_PARAM_SHAPE;
    memcpy(prm.periodic, m->periodic, sizeof(prm.periodic));
    prm.shape = m->shape;
    if (m->counts0 != NULL) {
        dc_env_get_rank(e, NULL, &size);
        prm.field_mask |= DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
        prm.procs[0] = size;
        prm.procs[1] = prm.procs[2] = 1;
        prm.counts[0] = m->counts0;
    }
    return dc_mesh_create(e, m->dim, m->n, m->dof, m->width, &prm, mesh_p);
}

/* A global field in natural order on every rank, gathered here from each rank's box
 * (dc_mesh_get_box) and local part, independently of the mesh's own natural ordering. */
static int gather_nat(dc_env_t *e, dc_mesh_t *mesh, const dc_vec_t *v, const mcase_t *m,
                      double *nat)
{
    MPI_Comm comm;
    int size, r, *cnt = NULL, *dsp = NULL, rc;
    size_t nl = 0, q;
    const double *a = NULL;
    double *all = NULL;
    dc_gidx_t st[3], ct[3], p[3];

    dc_env_get_rank(e, NULL, &size);
    dc_env_get_comm(e, &comm);
    rc = dc_vec_get_local_size(v, &nl);
    cnt = malloc(sizeof(int) * (size_t)size);
    dsp = malloc(sizeof(int) * (size_t)size);
    all = malloc(sizeof(double) * (npts(m) * (size_t)m->dof + 1));
    if (rc == DC_SUCCESS)
        rc = dc_vec_get_array_read(v, &a);
    r = (int)nl;
    MPI_Allgather(&r, 1, MPI_INT, cnt, 1, MPI_INT, comm);
    for (r = 0, dsp[0] = 0; r + 1 < size; r++)
        dsp[r + 1] = dsp[r] + cnt[r];
    MPI_Allgatherv(a, (int)nl, MPI_DOUBLE, all, cnt, dsp, MPI_DOUBLE, comm);
    if (a != NULL)
        dc_vec_restore_array_read(v, &a);
    for (r = 0; rc == DC_SUCCESS && r < size; r++) {
        rc = dc_mesh_get_box(mesh, r, st, ct);
        q = (size_t)dsp[r];
        for (p[2] = st[2]; p[2] < st[2] + ct[2]; p[2]++)
            for (p[1] = st[1]; p[1] < st[1] + ct[1]; p[1]++)
                for (p[0] = st[0]; p[0] < st[0] + ct[0]; p[0]++, q += (size_t)m->dof)
                    memcpy(nat + ((p[2] * m->n[1] + p[1]) * m->n[0] + p[0]) * m->dof, all + q,
                           sizeof(double) * (size_t)m->dof);
    }
    free(cnt);
    free(dsp);
    free(all);
    return rc;
}

/*
 * Build the operator on env e (stencil st, or the point callback when fn != NULL), apply it to
 * the random field of seed and gather A x in natural order on every rank (ynat). With dot != NULL
 * also apply through apply_dot and check y is the same (*dot = the global x . y).
 * Collective on e. Returns the first failing code.
 */
typedef struct {
    dc_mesh_point_op_fn fn;
    dc_mesh_point_fn diag;
    const dc_bc_t (*bc)[2];
    void *ctx;
} point_t;

static int run_op(dc_env_t *e, const mcase_t *m, const dc_stencil_t *st, const point_t *pt,
                  uint64_t seed, double *ynat, double *dnat, double *dot)
{
    dc_mesh_t *mesh = NULL;
    dc_op_t *op = NULL;
    dc_vec_t *x = NULL, *y = NULL, *y2 = NULL;
    fill_ctx_t f = {m, seed};
    int rc;

    rc = mesh_make(e, m, &mesh);
    if (rc == DC_SUCCESS)
        rc = pt != NULL ? dc_mesh_op_create_pointwise(mesh, pt->fn, pt->diag, pt->bc, pt->ctx, &op)
                        : dc_mesh_op_create_stencil(mesh, st, &op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &y);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_fill(mesh, x, fill_rand, &f);
    if (rc == DC_SUCCESS)
        rc = dc_op_apply(op, x, y);
    if (rc == DC_SUCCESS)
        rc = gather_nat(e, mesh, y, m, ynat);
    if (rc == DC_SUCCESS && dnat != NULL) {
        rc = dc_op_get_diagonal(op, y);
        if (rc == DC_SUCCESS)
            rc = gather_nat(e, mesh, y, m, dnat);
    }
    if (rc == DC_SUCCESS && dot != NULL) {
        double xy = 0, *z = NULL;
        const double *yr = NULL;
        size_t i, nl = 0;
        int same = 1;
        rc = dc_mesh_create_global(mesh, &y2);
        if (rc == DC_SUCCESS && op->ops->apply_dot == NULL)
            rc = DC_ERR_NOTSUP;
        if (rc == DC_SUCCESS)
            rc = dc_op_apply(op, x, y);
        if (rc == DC_SUCCESS)
            rc = op->ops->apply_dot(op, x, y2, &xy);
        if (rc == DC_SUCCESS) {
            dc_vec_get_local_size(y, &nl);
            dc_vec_get_array_read(y, &yr);
            dc_vec_get_array(y2, &z);
            for (i = 0; i < nl; i++)
                same &= dct_same_bits(yr[i], z[i]);
            dc_vec_restore_array(y2, &z);
            dc_vec_restore_array_read(y, &yr);
            CU_ASSERT(same);
            MPI_Allreduce(&xy, dot, 1, MPI_DOUBLE, MPI_SUM, dct_comm);
        }
    }
    dc_vec_destroy(&y2);
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    return rc;
}

/* Apply on all ranks and on rank 0 alone; compare both with ref (bitwise). */
static void check_case(const mcase_t *m, const dc_stencil_t *st, const point_t *pt,
                       const double *ref, uint64_t seed)
{
    size_t nv = npts(m) * (size_t)m->dof, i;
    double *y = calloc(nv, sizeof(double)), *y1 = calloc(nv, sizeof(double));
    int rc, rc1 = DC_SUCCESS, same = 1, same1 = 1;

    rc = run_op(env, m, st, pt, seed, y, NULL, NULL);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    for (i = 0; rc == DC_SUCCESS && i < nv; i++)
        if (!dct_same_bits(y[i], ref[i])) {
            if (same && dct_rank == 0)
                printf("\n  value %zu: %.17g, reference %.17g\n", i, y[i], ref[i]);
            same = 0;
        }
    if (env1 != NULL) {
        mcase_t m1 = *m;
        m1.counts0 = NULL;
        rc1 = run_op(env1, &m1, st, pt, seed, y1, NULL, NULL);
        for (i = 0; rc1 == DC_SUCCESS && i < nv; i++)
            same1 &= dct_same_bits(y[i], y1[i]);
    }
    DCT_ASSERT_ALL(rc == DC_SUCCESS && same);
    DCT_ASSERT_ALL(rc1 == DC_SUCCESS && same1);
    free(y);
    free(y1);
}

static void natural_field(const mcase_t *m, uint64_t seed, double *x)
{
    fill_ctx_t f = {m, seed};
    dc_gidx_t p[3];
    size_t q = 0;

    for (p[2] = 0; p[2] < m->n[2]; p[2]++)
        for (p[1] = 0; p[1] < m->n[1]; p[1]++)
            for (p[0] = 0; p[0] < m->n[0]; p[0]++, q++)
                fill_rand(p, x + q * (size_t)m->dof, &f);
}

static void check_stencil(const mcase_t *m, const dc_stencil_t *st, uint64_t seed)
{
    size_t nv = npts(m) * (size_t)m->dof;
    double *x = malloc(nv * sizeof(double)), *ref = malloc(nv * sizeof(double));

    natural_field(m, seed, x);
    ref_apply(m, st, x, ref);
    check_case(m, st, NULL, ref, seed);
    free(x);
    free(ref);
}

/* ------------------------------------------------------------------ tests */

static const int lap_kinds[5][2] = {{1, 3}, {2, 5}, {2, 9}, {3, 7}, {3, 27}};

/* A quadratic and its Laplacian: u = 1 + x - 2y + z/2 + 3x^2 - xy + 2y^2 + yz - z^2 / 2 + xz. */
static double quad(const double *p)
{
    return 1 + p[0] - 2 * p[1] + 0.5 * p[2] + 3 * p[0] * p[0] - p[0] * p[1] + 2 * p[1] * p[1] +
           p[1] * p[2] - 0.5 * p[2] * p[2] + p[0] * p[2];
}

static double quad_lap(int dim)
{
    return 6.0 + (dim >= 2 ? 4.0 : 0.0) + (dim >= 3 ? -1.0 : 0.0);
}

/* Coefficients: each Laplacian stencil applied to a quadratic gives -Laplace(u) + shift u. */
static void test_laplacian_quadratic(void)
{
    double h[3] = {0.25, 0.25, 0.25}, hs[3] = {0.25, 0.125, 0.5};
    double p0[3] = {0.3, -0.7, 1.1};
    int kk, t, d, s;

    for (kk = 0; kk < 5; kk++)
        for (s = 0; s < 2; s++) {
            int dim = lap_kinds[kk][0], np = lap_kinds[kk][1];
            double shift = s ? 2.5 : 0.0, sum = 0, want, scale = 0;
            const double *hh = (np == 9 || np == 27) ? h : hs;
            dc_stencil_t st;
            CU_ASSERT_EQUAL_FATAL(dc_stencil_laplacian(dim, np, hh, shift, &st), DC_SUCCESS);
            CU_ASSERT_EQUAL(st.npoints, np);
            CU_ASSERT_EQUAL(st.laplacian, np);
            CU_ASSERT_EQUAL(st.shift, shift);
            for (d = 0; d < 3; d++) {
                CU_ASSERT_EQUAL(st.h[d], d < dim ? hh[d] : 0.0);
                CU_ASSERT(st.bc[d][0] == DC_BC_DIRICHLET && st.bc[d][1] == DC_BC_DIRICHLET);
            }
            for (t = 0; t < st.npoints; t++) {
                double p[3];
                for (d = 0; d < 3; d++) {
                    CU_ASSERT(d < dim || st.offset[t][d] == 0);
                    p[d] = d < dim ? p0[d] + st.offset[t][d] * hh[d] : 0.0;
                }
                sum += st.coef[t] * quad(p);
                scale += fabs(st.coef[t] * quad(p));
            }
            {
                double q0[3] = {p0[0], dim >= 2 ? p0[1] : 0, dim >= 3 ? p0[2] : 0};
                want = -quad_lap(dim) + shift * quad(q0);
            }
            CU_ASSERT(fabs(sum - want) <= 1e-13 * scale);
        }
    /* the compact stencils as documented */
    {
        dc_stencil_t st;
        double one[3] = {1, 1, 1};
        dc_stencil_laplacian(2, 9, one, 0, &st);
        for (t = 0; t < 9; t++) {
            int nz = (st.offset[t][0] != 0) + (st.offset[t][1] != 0);
            CU_ASSERT_DOUBLE_EQUAL(st.coef[t] * 6, nz == 0 ? 20 : nz == 1 ? -4 : -1, 1e-13);
        }
        dc_stencil_laplacian(3, 27, one, 0, &st);
        for (t = 0; t < 27; t++) {
            int nz = (st.offset[t][0] != 0) + (st.offset[t][1] != 0) + (st.offset[t][2] != 0);
            CU_ASSERT_DOUBLE_EQUAL(st.coef[t] * 30,
                                   nz == 0   ? 128
                                   : nz == 1 ? -14
                                   : nz == 2 ? -3
                                             : -1,
                                   1e-12);
        }
    }
}

static void test_laplacian_bad(void)
{
    dc_stencil_t st;
    double h[3] = {1, 1, 1}, hu[3] = {1, 0.5, 1}, hz[3] = {1, 0, 1}, hn[3] = {1, NAN, 1};

    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, h, 0, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, NULL, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 7, h, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(1, 5, h, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(3, 9, h, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(4, 7, h, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(0, 3, h, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, hz, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, hn, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 9, hu, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(3, 27, hu, 0, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, hu, 0, &st), DC_SUCCESS); /* star: any spacings */
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, h, -1, &st), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_stencil_laplacian(2, 5, h, INFINITY, &st), DC_ERR_ARG);
}

/* The mesh of a Laplacian kind: n small enough for a fast reference, every box >= 2 wide. */
static mcase_t lap_mesh(int dim, int np)
{
    mcase_t m;

    memset(&m, 0, sizeof(m));
    m.dim = dim;
    m.n[0] = dim == 1 ? 23 : dim == 2 ? 11 : 7;
    m.n[1] = dim >= 2 ? (dim == 2 ? 9 : 6) : 1;
    m.n[2] = dim == 3 ? 8 : 1;
    m.dof = 1;
    m.width = 1;
    m.shape = (np == 9 || np == 27) ? DC_MESH_BOX : DC_MESH_STAR;
    return m;
}

/* Every Laplacian kind with every boundary condition: Dirichlet, Neumann, periodic, mixed, and
 * periodic with Dirichlet (no Neumann side: the operator fills no ghosts per apply). */
static void test_laplacian_bcs(void)
{
    double h[3] = {0.5, 0.5, 0.5};
    int kk, b, d;

    for (kk = 0; kk < 5; kk++)
        for (b = 0; b < 5; b++) {
            int dim = lap_kinds[kk][0], np = lap_kinds[kk][1];
            mcase_t m = lap_mesh(dim, np);
            dc_stencil_t st;
            dc_stencil_laplacian(dim, np, h, b == 1 ? 0.0 : 0.75, &st);
            for (d = 0; d < dim; d++) {
                if (b == 1) { /* Neumann */
                    st.bc[d][0] = st.bc[d][1] = DC_BC_NEUMANN;
                } else if (b == 2) { /* periodic */
                    st.bc[d][0] = st.bc[d][1] = DC_BC_PERIODIC;
                    m.periodic[d] = 1;
                } else if (b == 3) { /* mixed: D/N in x, periodic in y, N/D in z */
                    if (d == 1) {
                        st.bc[d][0] = st.bc[d][1] = DC_BC_PERIODIC;
                        m.periodic[d] = 1;
                    } else {
                        st.bc[d][0] = d == 0 ? DC_BC_DIRICHLET : DC_BC_NEUMANN;
                        st.bc[d][1] = d == 0 ? DC_BC_NEUMANN : DC_BC_DIRICHLET;
                    }
                } else if (b == 4 && d == dim - 1) { /* periodic in the last, Dirichlet else */
                    st.bc[d][0] = st.bc[d][1] = DC_BC_PERIODIC;
                    m.periodic[d] = 1;
                }
            }
            check_stencil(&m, &st, 100 + (uint64_t)(kk * 5 + b));
            /* the same shape with unrelated coefficients (the specialised loops take any) */
            for (d = 0; d < st.npoints; d++)
                st.coef[d] = dct_rand(200 + (uint64_t)kk, (uint64_t)d);
            st.laplacian = 0;
            check_stencil(&m, &st, 300 + (uint64_t)(kk * 5 + b));
        }
}

/* Empty boxes (counts with zeros in dimension 0) and a 1-D stencil. */
static void test_empty_boxes(void)
{
    double h[1] = {0.1};
    dc_gidx_t *counts = calloc((size_t)dct_size, sizeof(*counts)), k = dct_size <= 7 ? 5 : 1;
    mcase_t m;
    dc_stencil_t st;
    int r;

    memset(&m, 0, sizeof(m));
    m.dim = 1;
    m.n[0] = 17;
    m.n[1] = m.n[2] = 1;
    m.dof = 1;
    m.width = 1;
    /* the even ranks own nothing when there are 2 ranks or more (up to 17 / 2 odd ranks) */
    if (dct_size == 1)
        counts[0] = 17;
    else
        for (r = 1; r < dct_size; r += 2)
            counts[r] = r == 1 ? 17 - (dc_gidx_t)((dct_size - 2) / 2) * k : k;
    m.counts0 = counts;
    dc_stencil_laplacian(1, 3, h, 0, &st);
    st.bc[0][1] = DC_BC_NEUMANN;
    check_stencil(&m, &st, 7);
    free(counts);
}

/* A general stencil: width 2, dof 2, BOX, any offsets (repeated ones too), mixed boundaries. */
static void test_general_width2_dof2(void)
{
    int dims[2] = {2, 3}, di, t, d;

    for (di = 0; di < 2; di++) {
        int dim = dims[di];
        mcase_t m;
        dc_stencil_t st;
        memset(&m, 0, sizeof(m));
        memset(&st, 0, sizeof(st));
        m.dim = dim;
        m.n[0] = dim == 2 ? 9 : 6;
        /* more than 4 ranks: slabs of width 2 in y on a 1 x P grid */
        m.n[1] = dct_size <= 4 ? (dim == 2 ? 8 : 5) : 2 * dct_size;
        m.n[2] = dim == 3 ? 4 : 1;
        m.dof = 2;
        m.width = 2;
        m.shape = DC_MESH_BOX;
        m.periodic[1] = 1;
        st.npoints = dim == 2 ? 17 : 31;
        for (t = 0; t < st.npoints; t++) {
            for (d = 0; d < 3; d++)
                st.offset[t][d] =
                    d < dim ? (int)((dct_rand(55 + (uint64_t)d, (uint64_t)t) + 1) * 2.5) - 2 : 0;
            st.coef[t] = dct_rand(77, (uint64_t)t);
        }
        st.offset[st.npoints - 1][0] = st.offset[0][0]; /* a repeated offset */
        st.offset[st.npoints - 1][1] = st.offset[0][1];
        st.offset[st.npoints - 1][2] = st.offset[0][2];
        st.bc[0][0] = DC_BC_NEUMANN;
        st.bc[0][1] = DC_BC_DIRICHLET;
        st.bc[1][0] = st.bc[1][1] = DC_BC_PERIODIC;
        st.bc[2][0] = DC_BC_DIRICHLET;
        st.bc[2][1] = DC_BC_NEUMANN;
        check_stencil(&m, &st, 900 + (uint64_t)dim);
    }
}

/* The fused apply_dot gives the same y and the dot of x and y; the diagonal is exact (the
 * reference: A applied to each unit vector). */
static void test_apply_dot_diag(void)
{
    mcase_t m = lap_mesh(2, 9);
    double h[3] = {0.5, 0.5, 0.5}, dot = 0, rdot = 0;
    size_t nv, i, j;
    double *x, *y, *ref, *dg, *e, *col;
    dc_stencil_t st;
    int rc, ok = 1;

    m.n[0] = 6;
    m.n[1] = 5;
    dc_stencil_laplacian(2, 9, h, 0.5, &st);
    st.bc[0][0] = DC_BC_NEUMANN;
    st.bc[1][1] = DC_BC_NEUMANN;
    nv = npts(&m);
    x = malloc(nv * sizeof(double));
    y = malloc(nv * sizeof(double));
    ref = malloc(nv * sizeof(double));
    dg = malloc(nv * sizeof(double));
    e = calloc(nv, sizeof(double));
    col = malloc(nv * sizeof(double));
    natural_field(&m, 31, x);
    ref_apply(&m, &st, x, ref);
    for (i = 0; i < nv; i++)
        rdot += x[i] * ref[i];
    rc = run_op(env, &m, &st, NULL, 31, y, dg, &dot);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(fabs(dot - rdot) <= 1e-13 * nv * fabs(rdot));
    for (j = 0; j < nv; j++) {
        e[j] = 1;
        ref_apply(&m, &st, e, col);
        e[j] = 0;
        ok &= fabs(dg[j] - col[j]) <= 1e-14 * fabs(col[j]);
        for (i = 0; i < nv; i++)
            ok &= dct_same_bits(y[i], ref[i]);
    }
    CU_ASSERT(ok);
    free(x);
    free(y);
    free(ref);
    free(dg);
    free(e);
    free(col);
}

typedef struct {
    int dim;
    const double *h;
} quad_ctx_t;

/* u at mesh point ijk, x_d = (i_d + 1) h_d (the vertex-centred Dirichlet grid) */
static void fill_quad(const dc_gidx_t ijk[3], double *v, void *ctx)
{
    const quad_ctx_t *qc = ctx;
    double c[3] = {0, 0, 0};
    int d;

    for (d = 0; d < qc->dim; d++)
        c[d] = (double)(ijk[d] + 1) * qc->h[d];
    v[0] = quad(c);
}

/* The Laplacian of a quadratic through the operator: -Laplace(u) + shift u at every point
 * whose stencil stays inside the domain. */
static void test_op_quadratic(void)
{
    int kk;

    for (kk = 0; kk < 5; kk++) {
        int dim = lap_kinds[kk][0], np = lap_kinds[kk][1], d, bad = 0;
        mcase_t m = lap_mesh(dim, np);
        double h[3] = {0.125, 0.125, 0.125}, *u, *y;
        size_t nv = npts(&m), q = 0;
        dc_gidx_t p[3];
        dc_mesh_t *mesh = NULL;
        dc_op_t *op = NULL;
        dc_vec_t *xv = NULL, *yv = NULL;
        dc_stencil_t st;
        quad_ctx_t qc = {dim, h};
        int rc;

        u = malloc(nv * sizeof(double));
        y = malloc(nv * sizeof(double));
        for (p[2] = 0; p[2] < m.n[2]; p[2]++)
            for (p[1] = 0; p[1] < m.n[1]; p[1]++)
                for (p[0] = 0; p[0] < m.n[0]; p[0]++, q++) {
                    double c[3] = {0, 0, 0};
                    for (d = 0; d < dim; d++)
                        c[d] = (double)(p[d] + 1) * h[d];
                    u[q] = quad(c);
                }
        dc_stencil_laplacian(dim, np, h, 1.5, &st);
        rc = mesh_make(env, &m, &mesh);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_op_create_stencil(mesh, &st, &op);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_create_global(mesh, &xv);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_create_global(mesh, &yv);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_fill(mesh, xv, fill_quad, &qc);
        if (rc == DC_SUCCESS)
            rc = dc_op_apply(op, xv, yv);
        if (rc == DC_SUCCESS)
            rc = gather_nat(env, mesh, yv, &m, y);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        q = 0;
        for (p[2] = 0; rc == DC_SUCCESS && p[2] < m.n[2]; p[2]++)
            for (p[1] = 0; p[1] < m.n[1]; p[1]++)
                for (p[0] = 0; p[0] < m.n[0]; p[0]++, q++) {
                    int inside = 1;
                    double want = -quad_lap(dim) + 1.5 * u[q];
                    for (d = 0; d < dim; d++)
                        inside &= p[d] >= 1 && p[d] < m.n[d] - 1;
                    if (inside && fabs(y[q] - want) > 1e-10 * (1 + fabs(want)))
                        bad++;
                }
        CU_ASSERT_EQUAL(bad, 0);
        dc_vec_destroy(&xv);
        dc_vec_destroy(&yv);
        dc_op_destroy(&op);
        dc_mesh_destroy(&mesh);
        free(u);
        free(y);
    }
}

/* ------------------------------------------------------------------ kernels for mg.c */

/*
 * The kernels of stencil_impl.h on each rank's box (ghosts exchanged by the mesh, boundary
 * ghosts by dci_stencil_fill_bc): apply (owned and ghosted outputs, interior + boundary = all,
 * the interior from an owned x), the residual and the smoothing step, each value compared bit
 * for bit with the same formula on the serial reference's A x.
 */
static void check_kernels(const mcase_t *m, const dc_stencil_t *st, uint64_t seed)
{
    size_t nv = npts(m) * (size_t)m->dof;
    double *xn = malloc(nv * sizeof(double)), *ax = malloc(nv * sizeof(double));
    double *bn = malloc(nv * sizeof(double));
    dc_mesh_t *mesh = NULL;
    dc_vec_t *x = NULL, *xl = NULL;
    fill_ctx_t f = {m, seed};
    dc_mesh_info_t in;
    dci_stencil_kernel_t k, ko;
    int rc, ok = 1, okc = 1, t;
    double centre = 0;

    natural_field(m, seed, xn);
    natural_field(m, seed + 1, bn);
    ref_apply(m, st, xn, ax);
    for (t = 0; t < st->npoints; t++)
        if (st->offset[t][0] == 0 && st->offset[t][1] == 0 && st->offset[t][2] == 0)
            centre += st->coef[t];
    rc = mesh_make(env, m, &mesh);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_local(mesh, &xl);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_fill(mesh, x, fill_rand, &f);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_global_to_local(mesh, x, xl);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        size_t nl = 0, ng = 0, i, p;
        const double *xo = NULL;
        double *g = NULL, *y, *y2, *yg, *b, *r, *d, *xout, rr = 0, rrref = 0, xy = 0, xyref = 0;
        const double al = 0.375, be = 0.8125;
        dc_gidx_t ijk[3];
        int c;
        dc_mesh_get_info(mesh, &in);
        nl = in.nlocal;
        ng = in.nghosted;
        dc_vec_get_array(xl, &g);
        dc_vec_get_array_read(x, &xo);
        dci_stencil_kernel_build(&in, st, (const dc_bc_t(*)[2])st->bc, &k);
        dci_stencil_kernel_owned(&k, &ko);
        dci_stencil_fill_bc(&in, (const dc_bc_t(*)[2])k.bc, g);
        okc &= k.centre == centre && k.inv_centre == 1.0 / centre;
        y = malloc((nl + 1) * sizeof(double));
        y2 = malloc((nl + 1) * sizeof(double));
        yg = malloc((ng + 1) * sizeof(double));
        b = malloc((nl + 1) * sizeof(double));
        r = malloc((nl + 1) * sizeof(double));
        d = malloc((nl + 1) * sizeof(double));
        xout = malloc((nl + 1) * sizeof(double));
        /* b on the owned points, from the natural reference */
        p = 0;
        for (ijk[2] = in.start[2]; ijk[2] < in.start[2] + in.count[2]; ijk[2]++)
            for (ijk[1] = in.start[1]; ijk[1] < in.start[1] + in.count[1]; ijk[1]++)
                for (ijk[0] = in.start[0]; ijk[0] < in.start[0] + in.count[0]; ijk[0]++, p++)
                    for (c = 0; c < m->dof; c++)
                        b[p * (size_t)m->dof + (size_t)c] =
                            bn[(((size_t)ijk[2] * (size_t)m->n[1] + (size_t)ijk[1]) *
                                    (size_t)m->n[0] +
                                (size_t)ijk[0]) *
                                   (size_t)m->dof +
                               (size_t)c];
        dci_stencil_apply(&k, DCI_STENCIL_ALL, g, y, 0, &xy);
        for (i = 0; i < ng; i++)
            yg[i] = NAN;
        dci_stencil_apply(&k, DCI_STENCIL_ALL, g, yg, 1, NULL);
        for (i = 0; i < nl; i++)
            y2[i] = NAN;
        dci_stencil_apply(&k, DCI_STENCIL_INTERIOR, g, y2, 0, NULL);
        dci_stencil_apply(&k, DCI_STENCIL_BOUNDARY, g, y2, 0, NULL);
        for (i = 0; i < nl; i++)
            okc &= dct_same_bits(y[i], y2[i]);
        for (i = 0; i < nl; i++)
            y2[i] = NAN;
        dci_stencil_apply_owned(&ko, DCI_STENCIL_INTERIOR, xo, y2, NULL);
        dci_stencil_residual(&k, DCI_STENCIL_ALL, b, g, r, 0, &rr);
        for (i = 0; i < nl; i++)
            d[i] = NAN; /* alpha = 0: d is not read */
        dci_stencil_smooth(&k, DCI_STENCIL_ALL, b, g, d, xout, 0.0, be, 0);
        p = 0;
        for (ijk[2] = in.start[2]; ijk[2] < in.start[2] + in.count[2]; ijk[2]++)
            for (ijk[1] = in.start[1]; ijk[1] < in.start[1] + in.count[1]; ijk[1]++)
                for (ijk[0] = in.start[0]; ijk[0] < in.start[0] + in.count[0]; ijk[0]++, p++) {
                    int inner = 1, dd;
                    for (dd = 0; dd < m->dim; dd++)
                        inner &= ijk[dd] - in.start[dd] >= k.reach[dd][0] &&
                                 ijk[dd] < in.start[dd] + in.count[dd] - k.reach[dd][1];
                    for (c = 0; c < m->dof; c++) {
                        size_t q = p * (size_t)m->dof + (size_t)c;
                        size_t nat =
                            (((size_t)ijk[2] * (size_t)m->n[1] + (size_t)ijk[1]) * (size_t)m->n[0] +
                             (size_t)ijk[0]) *
                                (size_t)m->dof +
                            (size_t)c;
                        double a = ax[nat], res = b[q] - a, xv = xn[nat];
                        double e = be * (k.inv_centre * res);
                        ok &= dct_same_bits(y[q], a);
                        ok &= dct_same_bits(yg[dc_mesh_local_index(&in, ijk[0], ijk[1], ijk[2], c)],
                                            a);
                        ok &= inner ? dct_same_bits(y2[q], a) : y2[q] != y2[q];
                        ok &= dct_same_bits(r[q], res);
                        ok &= dct_same_bits(xout[q], xv + e) && dct_same_bits(d[q], e);
                        rrref += res * res;
                        xyref += xv * a;
                    }
                }
        okc &= fabs(rr - rrref) <= 1e-12 * rrref;
        okc &= fabs(xy - xyref) <= 1e-12 * (fabs(xyref) + 1);
        /* Chebyshev form with d (alpha != 0), then b = 0 with Jacobi (d NULL), ghosted arrays */
        {
            double *bg = malloc((ng + 1) * sizeof(double)), *dg = malloc((ng + 1) * sizeof(double));
            double *og = malloc((ng + 1) * sizeof(double)), *d0 = malloc((ng + 1) * sizeof(double));
            double *o2 = malloc((ng + 1) * sizeof(double));
            for (i = 0; i < ng; i++) {
                bg[i] = dct_rand(seed + 7, i);
                d0[i] = dg[i] = dct_rand(seed + 8, i);
            }
            dci_stencil_smooth(&k, DCI_STENCIL_INTERIOR, bg, g, dg, og, al, be, 1);
            dci_stencil_smooth(&k, DCI_STENCIL_BOUNDARY, bg, g, dg, og, al, be, 1);
            dci_stencil_smooth(&k, DCI_STENCIL_ALL, NULL, g, NULL, o2, 0.0, be, 1);
            for (ijk[2] = in.start[2]; nl > 0 && ijk[2] < in.start[2] + in.count[2]; ijk[2]++)
                for (ijk[1] = in.start[1]; ijk[1] < in.start[1] + in.count[1]; ijk[1]++)
                    for (ijk[0] = in.start[0]; ijk[0] < in.start[0] + in.count[0]; ijk[0]++)
                        for (c = 0; c < m->dof; c++) {
                            size_t q = dc_mesh_local_index(&in, ijk[0], ijk[1], ijk[2], c);
                            double a = yg[q];
                            double e = al * d0[q] + be * (k.inv_centre * (bg[q] - a));
                            ok &= dct_same_bits(og[q], g[q] + e) && dct_same_bits(dg[q], e);
                            ok &= dct_same_bits(o2[q], g[q] + be * (k.inv_centre * -a));
                        }
            free(bg);
            free(dg);
            free(og);
            free(d0);
            free(o2);
        }
        dc_vec_restore_array_read(x, &xo);
        dc_vec_restore_array(xl, &g);
        free(y);
        free(y2);
        free(yg);
        free(b);
        free(r);
        free(d);
        free(xout);
    }
    DCT_ASSERT_ALL(ok);
    DCT_ASSERT_ALL(okc);
    dc_vec_destroy(&x);
    dc_vec_destroy(&xl);
    dc_mesh_destroy(&mesh);
    free(xn);
    free(ax);
    free(bn);
}

static void test_kernels(void)
{
    double h[3] = {0.5, 0.5, 0.5};
    dc_stencil_t st;
    mcase_t m;
    int kk, d;

    /* every specialised shape (random coefficients, mixed boundaries) */
    for (kk = 0; kk < 5; kk++) {
        int dim = lap_kinds[kk][0], np = lap_kinds[kk][1];
        m = lap_mesh(dim, np);
        dc_stencil_laplacian(dim, np, h, 0.25, &st);
        for (d = 0; d < st.npoints; d++)
            if (st.offset[d][0] != 0 || st.offset[d][1] != 0 || st.offset[d][2] != 0)
                st.coef[d] = dct_rand(600 + (uint64_t)kk, (uint64_t)d);
        st.bc[0][1] = DC_BC_NEUMANN;
        if (dim >= 2) {
            st.bc[1][0] = st.bc[1][1] = DC_BC_PERIODIC;
            m.periodic[1] = 1;
        }
        check_kernels(&m, &st, 700 + (uint64_t)kk);
    }
    /* the general kernel: dof 2, width 2 */
    memset(&m, 0, sizeof(m));
    m.dim = 2;
    m.n[0] = 9;
    m.n[1] = 10;
    m.n[2] = 1;
    m.dof = 2;
    m.width = 2;
    m.shape = DC_MESH_BOX;
    memset(&st, 0, sizeof(st));
    st.npoints = 6;
    for (d = 0; d < 6; d++) {
        st.offset[d][0] = (d * 7) % 5 - 2;
        st.offset[d][1] = (d * 3) % 5 - 2;
        st.coef[d] = dct_rand(800, (uint64_t)d);
    }
    st.offset[5][0] = st.offset[5][1] = 0;
    st.coef[5] = 4.5;
    st.bc[0][0] = DC_BC_NEUMANN;
    st.bc[1][1] = DC_BC_NEUMANN;
    check_kernels(&m, &st, 900);
}

/* ------------------------------------------------------------------ point callbacks */

typedef struct {
    const mcase_t *m;
    dc_gidx_t fail_at; /* natural index whose callback fails; -1: none */
} cb_ctx_t;

/* variable coefficient on the face between points (x2/2, y2/2) in doubled coordinates */
static double face_coef(dc_gidx_t x2, dc_gidx_t y2)
{
    return 1.0 + 0.125 * (double)x2 + 0.0625 * (double)(y2 * y2 % 7);
}

static double cb_centre(const dc_gidx_t *p, double *aw, double *ae, double *as, double *an)
{
    *aw = face_coef(2 * p[0] - 1, 2 * p[1]);
    *ae = face_coef(2 * p[0] + 1, 2 * p[1]);
    *as = face_coef(2 * p[0], 2 * p[1] - 1);
    *an = face_coef(2 * p[0], 2 * p[1] + 1);
    return *aw + *ae + *as + *an + 0.25 * (double)(p[0] % 3);
}

/* -div(a grad u) + q u, 5 points, each component alike */
static int cb_apply(const dc_gidx_t ijk[3], const double *x, const ptrdiff_t stride[3], double *y,
                    void *ctx)
{
    const cb_ctx_t *cc = ctx;
    double aw, ae, as, an, c0 = cb_centre(ijk, &aw, &ae, &as, &an);
    int c;

    if (cc->fail_at >= 0 && ijk[1] * cc->m->n[0] + ijk[0] == cc->fail_at)
        return 3;
    for (c = 0; c < cc->m->dof; c++)
        y[c] = c0 * x[c] - aw * x[c - stride[0]] - ae * x[c + stride[0]] - as * x[c - stride[1]] -
               an * x[c + stride[1]];
    return 0;
}

static void cb_diag(const dc_gidx_t ijk[3], double *v, void *ctx)
{
    const cb_ctx_t *cc = ctx;
    double aw, ae, as, an, c0 = cb_centre(ijk, &aw, &ae, &as, &an);
    int c;

    for (c = 0; c < cc->m->dof; c++)
        v[c] = c0 + c;
}

static void ref_cb(const mcase_t *m, const dc_bc_t (*bc)[2], const double *x, double *y)
{
    static const int W[3] = {-1, 0, 0}, E[3] = {1, 0, 0}, S[3] = {0, -1, 0}, N[3] = {0, 1, 0},
                     O[3] = {0, 0, 0};
    dc_gidx_t p[3] = {0, 0, 0};
    size_t q = 0;
    int c;

    for (p[1] = 0; p[1] < m->n[1]; p[1]++)
        for (p[0] = 0; p[0] < m->n[0]; p[0]++, q++) {
            double aw, ae, as, an, c0 = cb_centre(p, &aw, &ae, &as, &an);
            for (c = 0; c < m->dof; c++)
                y[q * (size_t)m->dof + (size_t)c] =
                    c0 * ref_at(m, bc, x, p, O, c) - aw * ref_at(m, bc, x, p, W, c) -
                    ae * ref_at(m, bc, x, p, E, c) - as * ref_at(m, bc, x, p, S, c) -
                    an * ref_at(m, bc, x, p, N, c);
        }
}

static void test_pointwise(void)
{
    mcase_t m;
    dc_bc_t bcs[3][3][2] = {
        {{DC_BC_DIRICHLET, DC_BC_DIRICHLET}, {DC_BC_DIRICHLET, DC_BC_DIRICHLET}},
        {{DC_BC_NEUMANN, DC_BC_DIRICHLET}, {DC_BC_NEUMANN, DC_BC_NEUMANN}},
        {{DC_BC_PERIODIC, DC_BC_PERIODIC}, {DC_BC_DIRICHLET, DC_BC_NEUMANN}}};
    cb_ctx_t cc;
    point_t pt;
    int b;

    memset(&m, 0, sizeof(m));
    m.dim = 2;
    m.n[0] = 10;
    m.n[1] = 9;
    m.n[2] = 1;
    m.dof = 2;
    m.width = 1;
    cc.m = &m;
    cc.fail_at = -1;
    for (b = 0; b < 3; b++) {
        size_t nv = npts(&m) * 2, i;
        double *x = malloc(nv * sizeof(double)), *ref = malloc(nv * sizeof(double));
        double *y = malloc(nv * sizeof(double)), *dg = malloc(nv * sizeof(double));
        dc_gidx_t p[3] = {0, 0, 0};
        int rc, ok = 1;

        m.periodic[0] = b == 2;
        pt.fn = cb_apply;
        pt.diag = cb_diag;
        pt.bc = (const dc_bc_t(*)[2])bcs[b];
        pt.ctx = &cc;
        natural_field(&m, 500 + (uint64_t)b, x);
        ref_cb(&m, pt.bc, x, ref);
        check_case(&m, NULL, &pt, ref, 500 + (uint64_t)b);
        /* the diagonal comes from the callback */
        rc = run_op(env, &m, NULL, &pt, 500 + (uint64_t)b, y, dg, NULL);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        for (i = 0; rc == DC_SUCCESS && i < nv / 2; i++) {
            double v[2];
            p[0] = (dc_gidx_t)i % m.n[0];
            p[1] = (dc_gidx_t)i / m.n[0];
            cb_diag(p, v, &cc);
            ok &= dg[2 * i] == v[0] && dg[2 * i + 1] == v[1];
        }
        CU_ASSERT(ok);
        free(x);
        free(ref);
        free(y);
        free(dg);
    }
    /* without diag: DC_ERR_NOTSUP; a failing callback: DC_ERR_ARG on every rank */
    {
        size_t nv = npts(&m) * 2;
        double *y = malloc(nv * sizeof(double)), *dg = malloc(nv * sizeof(double));
        int rc;
        m.periodic[0] = 0;
        pt.bc = NULL;
        pt.diag = NULL;
        rc = run_op(env, &m, NULL, &pt, 3, y, dg, NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
        pt.diag = cb_diag;
        cc.fail_at = 0;
        rc = run_op(env, &m, NULL, &pt, 3, y, NULL, NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        cc.fail_at = 5 * m.n[0] + 7; /* an interior point */
        rc = run_op(env, &m, NULL, &pt, 3, y, NULL, NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        free(y);
        free(dg);
    }
}

/* ------------------------------------------------------------------ bad input */

static int create_on(const mcase_t *m, const dc_stencil_t *st)
{
    dc_mesh_t *mesh = NULL;
    dc_op_t *op = NULL;
    int rc = mesh_make(env, m, &mesh);

    if (rc == DC_SUCCESS) {
        rc = dc_mesh_op_create_stencil(mesh, st, &op);
        if (rc == DC_SUCCESS && op == NULL)
            rc = DC_ERR_INTERNAL;
        if (rc != DC_SUCCESS && op != NULL)
            rc = DC_ERR_INTERNAL; /* output set on failure */
    }
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    return rc;
}

static void test_bad_input(void)
{
    double h[3] = {1, 1, 1};
    mcase_t m = lap_mesh(2, 5), mp = lap_mesh(2, 5);
    dc_stencil_t st, good;
    dc_mesh_t *mesh = NULL;
    dc_op_t *op = NULL;
    int rc, last = dct_rank == dct_size - 1;

    dc_stencil_laplacian(2, 5, h, 0, &good);
    /* offset beyond the width (on every rank; on the last rank only) */
    st = good;
    st.offset[0][1] = -2;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    st = good;
    if (last)
        st.offset[4][0] = 2;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    /* an offset beyond dim */
    st = good;
    st.offset[2][2] = 1;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    /* a box offset on a STAR mesh */
    dc_stencil_laplacian(2, 9, h, 0, &st);
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    m.shape = DC_MESH_BOX;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_SUCCESS);
    m.shape = DC_MESH_STAR;
    /* a periodic BC on a non-periodic dimension, and the reverse */
    st = good;
    st.bc[1][0] = st.bc[1][1] = DC_BC_PERIODIC;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    mp.periodic[0] = 1;
    DCT_ASSERT_ALL(create_on(&mp, &good) == DC_ERR_ARG);
    st = good;
    st.bc[0][0] = DC_BC_PERIODIC; /* only one side */
    DCT_ASSERT_ALL(create_on(&mp, &st) == DC_ERR_ARG);
    st.bc[0][1] = DC_BC_PERIODIC;
    DCT_ASSERT_ALL(create_on(&mp, &st) == DC_SUCCESS);
    st = good;
    st.bc[0][1] = (dc_bc_t)7;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    /* npoints out of range */
    st = good;
    st.npoints = 0;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    st.npoints = DC_STENCIL_MAX + 1;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    st.npoints = -3;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    /* a coefficient that is not finite */
    st = good;
    st.coef[1] = NAN;
    DCT_ASSERT_ALL(create_on(&m, &st) == DC_ERR_ARG);
    /* stencils differing between ranks: coefficients, offsets, boundary conditions, shift */
    st = good;
    if (last)
        st.coef[2] *= 1.0000001;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    st = good;
    if (last) {
        st.offset[0][1] = 0; /* (0,-1) becomes (0,0): a second centre */
    }
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    st = good;
    if (last)
        st.bc[0][1] = DC_BC_NEUMANN;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    st = good;
    if (last)
        st.shift = 1;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    st = good; /* the spacings multigrid rediscretises with, each of them */
    if (last)
        st.h[dct_size % 3] = 0.5;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    st = good;
    if (last)
        st.h[2] = 0.25;
    rc = create_on(&m, &st);
    DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
    /* NULL arguments */
    CU_ASSERT_EQUAL(dc_mesh_op_create_stencil(NULL, &good, &op), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_mesh_op_create_pointwise(NULL, cb_apply, NULL, NULL, NULL, &op), DC_ERR_ARG);
    rc = mesh_make(env, &m, &mesh);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_bc_t bad[3][2] = {{DC_BC_DIRICHLET, DC_BC_PERIODIC},
                             {DC_BC_DIRICHLET, DC_BC_DIRICHLET},
                             {DC_BC_DIRICHLET, DC_BC_DIRICHLET}};
        cb_ctx_t cc = {&m, -1};
        DCT_ASSERT_ALL(dc_mesh_op_create_stencil(mesh, NULL, &op) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_mesh_op_create_stencil(mesh, &good, NULL) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_mesh_op_create_stencil(mesh, last ? NULL : &good, &op) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_mesh_op_create_pointwise(mesh, NULL, NULL, NULL, &cc, &op) == DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_mesh_op_create_pointwise(mesh, cb_apply, NULL, NULL, &cc, NULL) ==
                       DC_ERR_ARG);
        DCT_ASSERT_ALL(dc_mesh_op_create_pointwise(mesh, cb_apply, NULL, (const dc_bc_t(*)[2])bad,
                                                   &cc, &op) == DC_ERR_ARG);
        rc = dc_mesh_op_create_pointwise(mesh, cb_apply, last ? cb_diag : NULL, NULL, &cc, &op);
        DCT_ASSERT_ALL(rc == (dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS));
        dc_op_destroy(&op);
        CU_ASSERT_PTR_NULL(op);
    }
    dc_mesh_destroy(&mesh);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("stencil", suite_init, suite_clean);

    CU_add_test(s, "laplacian coefficients on quadratics", test_laplacian_quadratic);
    CU_add_test(s, "laplacian bad input", test_laplacian_bad);
    CU_add_test(s, "laplacian kinds x boundary conditions", test_laplacian_bcs);
    CU_add_test(s, "laplacian of a quadratic through the operator", test_op_quadratic);
    CU_add_test(s, "empty boxes", test_empty_boxes);
    CU_add_test(s, "general stencil, width 2, dof 2", test_general_width2_dof2);
    CU_add_test(s, "apply_dot and the exact diagonal", test_apply_dot_diag);
    CU_add_test(s, "kernels for multigrid: apply, residual, smoothing", test_kernels);
    CU_add_test(s, "point callback, diag, failure", test_pointwise);
    CU_add_test(s, "bad input on every rank", test_bad_input);
}
