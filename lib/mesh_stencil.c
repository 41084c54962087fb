/*
 * Stencil operators on meshes: dc_stencil_laplacian, constant stencils and point callbacks as
 * dc_op_t (the kernels are in stencil_kernel.c). An apply copies the frame of x (the owned layers
 * that the exchange sends and the boundary pass reads) into a ghosted work array, starts the halo
 * exchange, computes the interior points from x itself while the messages fly, fills the ghosts
 * outside the domain per boundary condition, then computes the boundary layer. Every output value
 * is computed by the same expression, with its terms in the same order (increasing memory
 * offset), whichever pass computes it, so results are bitwise independent of the box split.
 */
#include "stencil_impl.h"
#include "mesh_impl.h"

#include <math.h>

struct dci_stencil_op {
    dc_mesh_t *mesh; /* op->mesh holds the reference */
    dc_env_t *env;
    dci_stencil_kernel_t k; /* point operators: info, bc, strides and reach (= width) only */
    dc_stencil_t st;        /* as given (stencil operators) */
    dc_mesh_point_op_fn fn; /* point operators */
    dc_mesh_point_fn diag;
    void *ctx;
    dci_stencil_kernel_t ko; /* k with the strides of an owned array (the interior pass reads
                                x itself) */
    ptrdiff_t frame[3];      /* stencil operators: owned layers next to each side that the
                                exchange sends or the boundary pass reads */
    double *work;            /* ghosted copy of x (for a stencil, of its frame only) */
    int fill; /* a Neumann side: the boundary ghosts are filled at every apply (else they keep
                 the zeros of the work array's creation: the exchange never writes them) */
};

/* ------------------------------------------------------------------ dc_stencil_laplacian */

static void st_add(dc_stencil_t *st, int a, int b, int c, double v)
{
    st->offset[st->npoints][0] = a;
    st->offset[st->npoints][1] = b;
    st->offset[st->npoints][2] = c;
    st->coef[st->npoints] = v;
    st->npoints++;
}

int dc_stencil_laplacian(int dim, int npoints, const double *h, double shift, dc_stencil_t *st)
{
    double w[3];
    int d, a, b, c, nz;

    DC_REQUIRE(NULL, st != NULL && h != NULL, DC_ERR_ARG, "h or st is NULL");
    DC_REQUIRE(NULL,
               (dim == 1 && npoints == 3) || (dim == 2 && (npoints == 5 || npoints == 9)) ||
                   (dim == 3 && (npoints == 7 || npoints == 27)),
               DC_ERR_ARG, "dim %d with npoints %d: not a Laplacian stencil (3; 5, 9; 7, 27)", dim,
               npoints);
    for (d = 0; d < dim; d++)
        DC_REQUIRE(NULL, isfinite(h[d]) && h[d] > 0, DC_ERR_ARG,
                   "h[%d] = %g: spacings must be finite and > 0", d, h[d]);
    DC_REQUIRE(NULL, isfinite(shift) && shift >= 0, DC_ERR_ARG,
               "shift = %g: must be finite and >= 0", shift);
    if (npoints == 9 || npoints == 27)
        for (d = 1; d < dim; d++)
            DC_REQUIRE(NULL, h[d] == h[0], DC_ERR_ARG,
                       "the %d-point stencil needs equal spacings (h[%d] = %g, h[0] = %g)", npoints,
                       d, h[d], h[0]);

    memset(st, 0, sizeof(*st));
    if (npoints == 9) {
        /* (1/(6h^2)) [-1 -4 -1; -4 20 -4; -1 -4 -1] */
        double s = 1.0 / (6.0 * h[0] * h[0]);
        for (b = -1; b <= 1; b++)
            for (a = -1; a <= 1; a++) {
                nz = (a != 0) + (b != 0);
                st_add(st, a, b, 0, (nz == 0 ? 20.0 : nz == 1 ? -4.0 : -1.0) * s);
            }
    } else if (npoints == 27) {
        /* (1/(30h^2)): centre 128, faces -14, edges -3, corners -1 */
        double s = 1.0 / (30.0 * h[0] * h[0]);
        static const double v[4] = {128.0, -14.0, -3.0, -1.0};
        for (c = -1; c <= 1; c++)
            for (b = -1; b <= 1; b++)
                for (a = -1; a <= 1; a++) {
                    nz = (a != 0) + (b != 0) + (c != 0);
                    st_add(st, a, b, c, v[nz] * s);
                }
    } else {
        /* star: -1/h_d^2 on both neighbours of each dimension, sum of 2/h_d^2 at the centre */
        double centre = 0;
        for (d = 0; d < dim; d++) {
            w[d] = 1.0 / (h[d] * h[d]);
            centre += 2.0 * w[d];
        }
        for (d = dim - 1; d >= 0; d--) {
            int o[3] = {0, 0, 0};
            o[d] = -1;
            st_add(st, o[0], o[1], o[2], -w[d]);
        }
        st_add(st, 0, 0, 0, centre);
        for (d = 0; d < dim; d++) {
            int o[3] = {0, 0, 0};
            o[d] = 1;
            st_add(st, o[0], o[1], o[2], -w[d]);
        }
    }
    /* the shift joins the centre */
    for (a = 0; a < st->npoints; a++)
        if (st->offset[a][0] == 0 && st->offset[a][1] == 0 && st->offset[a][2] == 0)
            st->coef[a] += shift;
    st->laplacian = npoints;
    for (d = 0; d < 3; d++)
        st->h[d] = d < dim ? h[d] : 0.0;
    st->shift = shift;
    return DC_SUCCESS;
}

/* ------------------------------------------------------------------ compiling a stencil */

int dci_stencil_check_bc(dc_env_t *env, const dc_mesh_info_t *info, const dc_bc_t (*bc)[2],
                         dc_bc_t out[3][2])
{
    int d, s;

    for (d = 0; d < 3; d++)
        for (s = 0; s < 2; s++) {
            dc_bc_t b = bc != NULL && d < info->dim ? bc[d][s] : DC_BC_DIRICHLET;
            if (d >= info->dim) {
                out[d][s] = DC_BC_DIRICHLET;
                continue;
            }
            DC_REQUIRE(env, b == DC_BC_DIRICHLET || b == DC_BC_NEUMANN || b == DC_BC_PERIODIC,
                       DC_ERR_ARG, "bc[%d][%d] = %d: not a dc_bc_t", d, s, (int)b);
            DC_REQUIRE(env, (b == DC_BC_PERIODIC) == (info->periodic[d] != 0), DC_ERR_ARG,
                       "bc[%d][%d] is %s but the mesh is %speriodic in dimension %d", d, s,
                       b == DC_BC_PERIODIC ? "periodic" : "not periodic",
                       info->periodic[d] ? "" : "not ", d);
            out[d][s] = b;
        }
    return DC_SUCCESS;
}

int dci_stencil_kernel_init(dc_env_t *env, const dc_mesh_info_t *info, const dc_stencil_t *st,
                            dci_stencil_kernel_t *k)
{
    dc_bc_t bc[3][2];
    int i, d, n, w = info->width;

    DC_REQUIRE(env, st->npoints >= 1 && st->npoints <= DC_STENCIL_MAX, DC_ERR_ARG,
               "st->npoints = %d: must be in 1..%d", st->npoints, DC_STENCIL_MAX);
    n = st->npoints;
    for (i = 0; i < n; i++) {
        int nz = 0;
        for (d = 0; d < 3; d++) {
            int v = st->offset[i][d];
            DC_REQUIRE(env, d < info->dim || v == 0, DC_ERR_ARG,
                       "st->offset[%d][%d] = %d: must be 0 beyond the mesh's %d dimension(s)", i, d,
                       v, info->dim);
            DC_REQUIRE(env, v >= -w && v <= w, DC_ERR_ARG,
                       "st->offset[%d][%d] = %d is beyond the mesh's width %d", i, d, v, w);
            nz += v != 0;
        }
        DC_REQUIRE(env, nz <= 1 || info->shape == DC_MESH_BOX, DC_ERR_ARG,
                   "st->offset[%d] = (%d, %d, %d) needs edge or corner ghosts, which a STAR mesh "
                   "does not exchange (use DC_MESH_BOX)",
                   i, st->offset[i][0], st->offset[i][1], st->offset[i][2]);
        DC_REQUIRE(env, isfinite(st->coef[i]), DC_ERR_ARG, "st->coef[%d] = %g is not finite", i,
                   st->coef[i]);
    }
    DC_CHECK(dci_stencil_check_bc(env, info, (const dc_bc_t(*)[2])st->bc, bc));
    dci_stencil_kernel_build(info, st, (const dc_bc_t(*)[2])bc, k);
    return DC_SUCCESS;
}

/* ------------------------------------------------------------------ point callbacks */

typedef struct {
    const dci_stencil_op_t *s;
    const double *x;
    double *y;
    int rc;
} pargs_t;

static void run_point(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n, void *arg)
{
    pargs_t *a = arg;
    const dc_mesh_info_t *in = &k->info;
    size_t dof = (size_t)in->dof, i, p;
    dc_gidx_t ijk[3];

    if (a->rc != 0)
        return;
    /* the owned coordinates of the run's first point, from its owned offset */
    p = oo / dof;
    ijk[0] = in->start[0] + (dc_gidx_t)(p % (size_t)in->count[0]);
    p /= (size_t)in->count[0];
    ijk[1] = in->start[1] + (dc_gidx_t)(p % (size_t)in->count[1]);
    ijk[2] = in->start[2] + (dc_gidx_t)(p / (size_t)in->count[1]);
    for (i = 0; i < n; i++, ijk[0]++) {
        if (a->s->fn(ijk, a->x + xo + i * dof, k->gstride, a->y + oo + i * dof, a->s->ctx) != 0) {
            a->rc = 1;
            return;
        }
    }
}

/* ------------------------------------------------------------------ operators */

/* Copy the frame of x (the owned points within frame[d] of a side of the box) into the
 * ghosted work array: what the exchange sends and the boundary pass reads. */
static void frame_copy(const dci_stencil_op_t *s, const double *x, double *xl)
{
    const dc_mesh_info_t *in = &s->k.info;
    const ptrdiff_t *f = s->frame;
    ptrdiff_t c0 = (ptrdiff_t)in->count[0], c1 = (ptrdiff_t)in->count[1];
    ptrdiff_t c2 = (ptrdiff_t)in->count[2], j, k;
    size_t dof = (size_t)in->dof, row = (size_t)c0 * dof, fx = (size_t)f[0] * dof;
    double *base = xl + dc_mesh_local_index(in, in->start[0], in->start[1], in->start[2], 0);

    for (k = 0; k < c2; k++)
        for (j = 0; j < c1; j++) {
            const double *src = x + (size_t)(k * c1 + j) * row;
            double *dst = base + k * s->k.gstride[2] + j * s->k.gstride[1];
            if (j < f[1] || j >= c1 - f[1] || k < f[2] || k >= c2 - f[2] || 2 * f[0] >= c0) {
                memcpy(dst, src, row * sizeof(double));
            } else {
                size_t i; /* a few values: no library call */
                for (i = 0; i < fx; i++) {
                    dst[i] = src[i];
                    dst[row - fx + i] = src[row - fx + i];
                }
            }
        }
}

/*
 * y = A x (and x . y when xy_p): start the exchange of x's frame, compute the interior from x
 * itself while the messages fly, finish the exchange, fill the ghosts outside the domain, then
 * compute the boundary layer from the work array. A point operator copies all of x and calls
 * the callback on the work array in both passes; its failure is agreed after the exchange.
 */
static int sop_run(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y, double *xy_p)
{
    dci_stencil_op_t *s = op->impl;
    const dci_stencil_kernel_t *k = &s->k;
    const double *xr = NULL;
    double *ya = NULL;
    pargs_t pa;
    double xy = 0;
    int rc, rc2, point = op->kind == DCI_OP_POINT, has = k->info.nlocal > 0;

    if (xy_p != NULL)
        *xy_p = 0;
    pa.s = s;
    pa.rc = 0;
    DC_CHECK(dc_vec_get_array_read(x, &xr));
    rc = dc_vec_get_array(y, &ya);
    if (rc != DC_SUCCESS) {
        dc_vec_restore_array_read(x, &xr);
        return rc;
    }
    if (has) {
        if (point)
            dci_mesh_owned_to_local(s->mesh, xr, s->work);
        else
            frame_copy(s, xr, s->work);
    }
    rc = dci_mesh_halo_begin(s->mesh, s->work);
    if (rc == DC_SUCCESS) {
        if (has && point) {
            pa.x = s->work;
            pa.y = ya;
            dci_stencil_for_region(k, (const int(*)[2])k->reach, DCI_STENCIL_INTERIOR, run_point,
                                   &pa);
        } else if (has) {
            dci_stencil_apply_owned(&s->ko, DCI_STENCIL_INTERIOR, xr, ya,
                                    xy_p != NULL ? &xy : NULL);
        }
        rc = dci_mesh_halo_end(s->mesh, s->work);
    }
    if (rc == DC_SUCCESS && has) {
        if (s->fill)
            dci_stencil_fill_bc(&k->info, (const dc_bc_t(*)[2])k->bc, s->work);
        if (point) {
            pa.x = s->work;
            dci_stencil_for_region(k, (const int(*)[2])k->reach, DCI_STENCIL_BOUNDARY, run_point,
                                   &pa);
        } else {
            dci_stencil_apply(k, DCI_STENCIL_BOUNDARY, s->work, ya, 0, xy_p != NULL ? &xy : NULL);
            /* dc_events.h: 2 * npoints - 1 per owned value, and 2 for the dot x . y */
            dci_prof_flops(s->env, (double)(2 * k->npoints - 1 + (xy_p != NULL ? 2 : 0)) *
                                       (double)k->info.nlocal);
        }
    }
    if (xy_p != NULL)
        *xy_p = xy;
    rc2 = dc_vec_restore_array(y, &ya);
    if (rc == DC_SUCCESS)
        rc = rc2;
    rc2 = dc_vec_restore_array_read(x, &xr);
    if (rc == DC_SUCCESS)
        rc = rc2;
    if (point) {
        if (rc == DC_SUCCESS && pa.rc != 0)
            rc = DC_ERR(s->env, DC_ERR_ARG, "the point callback returned non-zero");
        rc = dci_agree(s->env, rc);
    }
    return rc;
}

static int sop_apply(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y)
{
    return sop_run(op, x, y, NULL);
}

static int sop_apply_dot(dc_op_t *op, const dc_vec_t *x, dc_vec_t *y, double *xy)
{
    return sop_run(op, x, y, xy);
}

/* Where coordinate g + o of a dimension of n points lands after the boundary condition
 * (-1: a Dirichlet zero). */
static dc_gidx_t bc_resolve(dc_gidx_t g, dc_gidx_t n, const dc_bc_t bc[2])
{
    if (g < 0) {
        if (bc[0] == DC_BC_PERIODIC)
            return ((g % n) + n) % n;
        return bc[0] == DC_BC_NEUMANN ? -1 - g : -1;
    }
    if (g >= n) {
        if (bc[1] == DC_BC_PERIODIC)
            return g % n;
        return bc[1] == DC_BC_NEUMANN ? 2 * n - 1 - g : -1;
    }
    return g;
}

/* The exact diagonal of a constant stencil: the terms whose point, after the boundary
 * conditions, is the point itself (the centre; plus mirrored or wrapped neighbours near
 * Neumann sides and in periodic dimensions shorter than the stencil). */
static int sop_diag_stencil(dci_stencil_op_t *s, double *d)
{
    const dci_stencil_kernel_t *k = &s->k;
    const dc_mesh_info_t *in = &k->info;
    const dc_stencil_t *st = &s->st;
    dc_gidx_t g[3], r;
    size_t p = 0, dof = (size_t)in->dof, c;
    int t, dd, self;
    double v;

    for (g[2] = in->start[2]; g[2] < in->start[2] + in->count[2]; g[2]++)
        for (g[1] = in->start[1]; g[1] < in->start[1] + in->count[1]; g[1]++)
            for (g[0] = in->start[0]; g[0] < in->start[0] + in->count[0]; g[0]++, p++) {
                v = 0;
                for (t = 0; t < st->npoints; t++) {
                    self = 1;
                    for (dd = 0; dd < in->dim && self; dd++) {
                        r = bc_resolve(g[dd] + st->offset[t][dd], in->n[dd],
                                       (const dc_bc_t *)k->bc[dd]);
                        self = r == g[dd];
                    }
                    if (self)
                        v += st->coef[t];
                }
                for (c = 0; c < dof; c++)
                    d[p * dof + c] = v;
            }
    return DC_SUCCESS;
}

static int sop_diag(dc_op_t *op, dc_vec_t *dv)
{
    dci_stencil_op_t *s = op->impl;
    const dc_mesh_info_t *in = &s->k.info;
    double *d = NULL;
    dc_gidx_t ijk[3];
    size_t p = 0, dof = (size_t)in->dof;
    int rc;

    if (op->kind == DCI_OP_POINT && s->diag == NULL)
        return DC_ERR(s->env, DC_ERR_NOTSUP,
                      "the point operator has no diag callback (dc_mesh_op_create_pointwise)");
    DC_CHECK(dc_vec_get_array(dv, &d));
    if (op->kind == DCI_OP_STENCIL) {
        rc = sop_diag_stencil(s, d);
    } else {
        for (ijk[2] = in->start[2]; ijk[2] < in->start[2] + in->count[2]; ijk[2]++)
            for (ijk[1] = in->start[1]; ijk[1] < in->start[1] + in->count[1]; ijk[1]++)
                for (ijk[0] = in->start[0]; ijk[0] < in->start[0] + in->count[0]; ijk[0]++, p++)
                    s->diag(ijk, d + p * dof, s->ctx);
        rc = DC_SUCCESS;
    }
    {
        int rc2 = dc_vec_restore_array(dv, &d);
        if (rc == DC_SUCCESS)
            rc = rc2;
    }
    return rc;
}

static void sop_free(dc_op_t *op)
{
    dci_stencil_op_t *s = op->impl;

    if (s == NULL)
        return;
    dci_free(s->work);
    dci_free(s);
    op->impl = NULL;
}

static const dci_op_ops_t stencil_ops = {sop_apply, sop_diag, sop_apply_dot, sop_free};
static const dci_op_ops_t point_ops = {sop_apply, sop_diag, NULL, sop_free};

/* The common tail of both creates (the arguments already agreed): work array, operator.
 * Frees s on failure. */
static int sop_make(dc_mesh_t *mesh, dc_env_t *env, dci_stencil_op_t *s, dci_op_kind_t kind,
                    dc_op_t **op_p)
{
    const dc_mesh_info_t *in = &mesh->info;
    dc_op_t *op = NULL;
    size_t ng = in->nghosted > 0 ? in->nghosted : 1;
    int rc, d;

    s->mesh = mesh;
    s->env = env;
    s->fill = 0;
    for (d = 0; d < in->dim; d++)
        s->fill |= s->k.bc[d][0] == DC_BC_NEUMANN || s->k.bc[d][1] == DC_BC_NEUMANN;
    if (kind == DCI_OP_STENCIL) {
        dci_stencil_kernel_owned(&s->k, &s->ko);
        for (d = 0; d < 3; d++) {
            ptrdiff_t f = s->k.reach[d][0] + s->k.reach[d][1];
            s->frame[d] = d < in->dim ? (f > in->width ? f : in->width) : 0;
        }
    }
    rc = dci_malloc_aligned(env, ng * sizeof(double), (void **)&s->work);
    if (rc == DC_SUCCESS) {
        memset(s->work, 0, ng * sizeof(double));
        rc = dci_op_create(mesh->layout, kind, kind == DCI_OP_STENCIL ? &stencil_ops : &point_ops,
                           s, &op);
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS) {
        if (op != NULL) {
            dc_op_destroy(&op); /* frees s through free_impl */
        } else {
            dci_free(s->work);
            dci_free(s);
        }
        return rc;
    }
    op->mesh = mesh;
    dci_obj_ref(&mesh->hdr);
    *op_p = op;
    return DC_SUCCESS;
}

/* Fingerprint of a boundary-condition table. */
static uint64_t bc_fp(const dc_bc_t bc[3][2])
{
    uint64_t h = 0;
    int d;

    for (d = 0; d < 3; d++)
        h = dci_fp_mix(dci_fp_mix(h, (uint64_t)bc[d][0]), (uint64_t)bc[d][1]);
    return h;
}

int dc_mesh_op_create_stencil(dc_mesh_t *mesh, const dc_stencil_t *st, dc_op_t **op_p)
{
    dc_env_t *env;
    dc_mesh_info_t info;
    dci_stencil_op_t *s = NULL;
    dci_arg_t args[9];
    uint64_t hoff = 0, hcoef = 0, hbc = 0;
    int rc = DC_SUCCESS, i, d, np = 0;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    env = ((const dci_obj_t *)mesh)->env;
    dci_prof_begin(env, DCI_EV_MESH_OP_CREATE_STENCIL);
    DC_CHECK_GOTO(dc_mesh_get_info(mesh, &info), agree);
    DC_REQUIRE_GOTO(env, op_p != NULL, DC_ERR_ARG, agree, "op_p is NULL");
    DC_REQUIRE_GOTO(env, st != NULL, DC_ERR_ARG, agree, "st is NULL");
    np = st->npoints;
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*s), (void **)&s), agree);
    DC_CHECK_GOTO(dci_stencil_kernel_init(env, &info, st, &s->k), agree);
    s->st = *st;
    for (i = 0; i < np; i++) {
        for (d = 0; d < 3; d++)
            hoff = dci_fp_mix(hoff, (uint64_t)(int64_t)st->offset[i][d]);
        hcoef = dci_fp_mix(hcoef, (uint64_t)dci_arg_dbl("", st->coef[i]).value);
    }
    hbc = bc_fp((const dc_bc_t(*)[2])s->k.bc);
agree:
    args[0] = dci_arg_int("st->npoints", np, DC_ERR_ARG);
    args[1] = dci_arg_int("st->offset (fingerprint)", (int64_t)hoff, DC_ERR_ARG);
    args[2] = dci_arg_int("st->coef (fingerprint)", (int64_t)hcoef, DC_ERR_ARG);
    args[3] = dci_arg_int("st->bc (fingerprint)", (int64_t)hbc, DC_ERR_ARG);
    args[4] = dci_arg_int("st->laplacian", rc == DC_SUCCESS ? st->laplacian : 0, DC_ERR_ARG);
    args[5] = dci_arg_dbl("st->h[0]", rc == DC_SUCCESS ? st->h[0] : 0);
    args[6] = dci_arg_dbl("st->h[1]", rc == DC_SUCCESS ? st->h[1] : 0);
    args[7] = dci_arg_dbl("st->h[2]", rc == DC_SUCCESS ? st->h[2] : 0);
    args[8] = dci_arg_dbl("st->shift", rc == DC_SUCCESS ? st->shift : 0);
    rc = dci_agree_args(env, rc, args, 9, __func__);
    if (rc != DC_SUCCESS)
        dci_free(s);
    else
        rc = sop_make(mesh, env, s, DCI_OP_STENCIL, op_p);
    dci_prof_end(env, DCI_EV_MESH_OP_CREATE_STENCIL, 0);
    return rc;
}

int dc_mesh_op_create_pointwise(dc_mesh_t *mesh, dc_mesh_point_op_fn fn, dc_mesh_point_fn diag,
                                const dc_bc_t (*bc)[2], void *ctx, dc_op_t **op_p)
{
    dc_env_t *env;
    dc_mesh_info_t info;
    dci_stencil_op_t *s = NULL;
    dci_arg_t args[2];
    uint64_t hbc = 0;
    int rc = DC_SUCCESS, d;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    env = ((const dci_obj_t *)mesh)->env;
    dci_prof_begin(env, DCI_EV_MESH_OP_CREATE_POINTWISE);
    DC_CHECK_GOTO(dc_mesh_get_info(mesh, &info), agree);
    DC_REQUIRE_GOTO(env, op_p != NULL, DC_ERR_ARG, agree, "op_p is NULL");
    DC_REQUIRE_GOTO(env, fn != NULL, DC_ERR_ARG, agree, "fn is NULL");
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*s), (void **)&s), agree);
    DC_CHECK_GOTO(dci_stencil_check_bc(env, &info, bc, s->k.bc), agree);
    s->k.info = info;
    s->k.gstride[0] = info.dof;
    s->k.gstride[1] = s->k.gstride[0] * (ptrdiff_t)info.gcount[0];
    s->k.gstride[2] = s->k.gstride[1] * (ptrdiff_t)info.gcount[1];
    s->k.ostride[0] = info.dof;
    s->k.ostride[1] = s->k.ostride[0] * (ptrdiff_t)info.count[0];
    s->k.ostride[2] = s->k.ostride[1] * (ptrdiff_t)info.count[1];
    for (d = 0; d < 3; d++)
        s->k.reach[d][0] = s->k.reach[d][1] = d < info.dim ? info.width : 0;
    s->fn = fn;
    s->diag = diag;
    s->ctx = ctx;
    hbc = bc_fp((const dc_bc_t(*)[2])s->k.bc);
agree:
    args[0] = dci_arg_int("bc (fingerprint)", (int64_t)hbc, DC_ERR_ARG);
    args[1] = dci_arg_int("diag != NULL", diag != NULL, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, 2, __func__);
    if (rc != DC_SUCCESS)
        dci_free(s);
    else
        rc = sop_make(mesh, env, s, DCI_OP_POINT, op_p);
    dci_prof_end(env, DCI_EV_MESH_OP_CREATE_POINTWISE, 0);
    return rc;
}

int dci_stencil_op_get(const dc_op_t *op, const dc_stencil_t **st_p, dc_mesh_t **mesh_p,
                       const dci_stencil_kernel_t **k_p)
{
    const dci_stencil_op_t *s;

    if (op->kind != DCI_OP_STENCIL)
        return DC_ERR(op->hdr.env, DC_ERR_NOTSUP, "not a stencil operator");
    s = op->impl;
    if (st_p != NULL)
        *st_p = &s->st;
    if (mesh_p != NULL)
        *mesh_p = s->mesh;
    if (k_p != NULL)
        *k_p = &s->k;
    return DC_SUCCESS;
}
