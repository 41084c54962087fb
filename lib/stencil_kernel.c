/*
 * The stencil kernels (stencil_impl.h): compiling a checked stencil for one rank's box, the
 * boundary-condition ghost fill, the region walk (interior / boundary runs of rows) and the row
 * kernels: specialised vector loops for the Laplacian shapes with dof 1, a per-term loop for any
 * other stencil, and the fused residual and smoothing forms. No communication, no allocation, no
 * errors: the callers check (mesh_stencil.c). Every value of A x is one expression with its terms
 * in increasing memory offset, in every loop variant.
 */
#include "stencil_impl.h"

#include <string.h>

/* The kernels are memory bound and want vector loops: GCC's -O2 cost model only vectorises
 * loops without a scalar remainder. No FMA contraction (the same bits on every ISA). */
#if defined(__GNUC__) && !defined(__clang__)
#define DCI_VEC_FN                                                                                 \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic", "fp-contract=off")))
#else
#define DCI_VEC_FN
#endif
/* The row kernel also in an AVX2 version, picked at load time where the CPU has it (AVX2
 * without FMA: the same arithmetic, wider vectors). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define DCI_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DCI_CLONES
#endif

#define SEG 512 /* values per segment of the fused kernels' row buffer */

/* Lexicographic order (z, then y, then x): the order of memory offsets on every rank. */
static int offset_before(const int *a, const int *b)
{
    if (a[2] != b[2])
        return a[2] < b[2];
    if (a[1] != b[1])
        return a[1] < b[1];
    return a[0] < b[0];
}

/* 1 if the sorted offsets are exactly the box (box = 1) or star of radius 1 in dim dims. */
static int is_shape(const int (*o)[3], int n, int dim, int box)
{
    int a, b, c, i = 0, cmax[3];

    for (a = 0; a < 3; a++)
        cmax[a] = a < dim ? 1 : 0;
    for (c = -cmax[2]; c <= cmax[2]; c++)
        for (b = -cmax[1]; b <= cmax[1]; b++)
            for (a = -cmax[0]; a <= cmax[0]; a++) {
                if (!box && (a != 0) + (b != 0) + (c != 0) > 1)
                    continue;
                if (i >= n || o[i][0] != a || o[i][1] != b || o[i][2] != c)
                    return 0;
                i++;
            }
    return i == n;
}

void dci_stencil_kernel_build(const dc_mesh_info_t *info, const dc_stencil_t *st,
                              const dc_bc_t bc[3][2], dci_stencil_kernel_t *k)
{
    int o[DC_STENCIL_MAX][3], perm[DC_STENCIL_MAX];
    int i, j, d, n = st->npoints;

    memcpy(k->bc, bc, sizeof(k->bc));
    /* stable insertion sort of the terms by offset */
    for (i = 0; i < n; i++) {
        for (j = i; j > 0 && offset_before(st->offset[i], st->offset[perm[j - 1]]); j--)
            perm[j] = perm[j - 1];
        perm[j] = i;
    }
    k->info = *info;
    k->gstride[0] = info->dof;
    k->gstride[1] = k->gstride[0] * (ptrdiff_t)info->gcount[0];
    k->gstride[2] = k->gstride[1] * (ptrdiff_t)info->gcount[1];
    k->ostride[0] = info->dof;
    k->ostride[1] = k->ostride[0] * (ptrdiff_t)info->count[0];
    k->ostride[2] = k->ostride[1] * (ptrdiff_t)info->count[1];
    memset(k->reach, 0, sizeof(k->reach));
    k->npoints = n;
    k->centre = 0;
    for (i = 0; i < n; i++) {
        const int *so = st->offset[perm[i]];
        k->coef[i] = st->coef[perm[i]];
        k->off[i] = 0;
        for (d = 0; d < 3; d++) {
            o[i][d] = k->o[i][d] = so[d];
            k->off[i] += so[d] * k->gstride[d];
            if (-so[d] > k->reach[d][0])
                k->reach[d][0] = -so[d];
            if (so[d] > k->reach[d][1])
                k->reach[d][1] = so[d];
        }
        if (so[0] == 0 && so[1] == 0 && so[2] == 0)
            k->centre += k->coef[i];
    }
    k->inv_centre = k->centre != 0 ? 1.0 / k->centre : 0.0;
    k->special = DCI_SK_GENERAL;
    if (info->dof == 1) {
        if (info->dim == 1 && n == 3 && is_shape((const int(*)[3])o, n, 1, 1))
            k->special = DCI_SK_3;
        else if (info->dim == 2 && n == 5 && is_shape((const int(*)[3])o, n, 2, 0))
            k->special = DCI_SK_5;
        else if (info->dim == 2 && n == 9 && is_shape((const int(*)[3])o, n, 2, 1))
            k->special = DCI_SK_9;
        else if (info->dim == 3 && n == 7 && is_shape((const int(*)[3])o, n, 3, 0))
            k->special = DCI_SK_7;
        else if (info->dim == 3 && n == 27 && is_shape((const int(*)[3])o, n, 3, 1))
            k->special = DCI_SK_27;
    }
}

void dci_stencil_kernel_owned(const dci_stencil_kernel_t *k, dci_stencil_kernel_t *ko)
{
    int i, d;

    *ko = *k;
    for (d = 0; d < 3; d++)
        ko->gstride[d] = k->ostride[d];
    for (i = 0; i < k->npoints; i++) {
        ko->off[i] = 0;
        for (d = 0; d < 3; d++)
            ko->off[i] += k->o[i][d] * ko->gstride[d];
    }
}

/* ------------------------------------------------------------------ boundary ghosts */

/* Copy (or zero, src < 0) plane dst of dimension d over the whole ghosted extent of the others. */
static void plane_copy(const dc_mesh_info_t *info, const ptrdiff_t *gs, int d, ptrdiff_t dst,
                       ptrdiff_t src, double *xl)
{
    int a = d == 0 ? 1 : 0, b = d == 2 ? 1 : 2; /* the other two dimensions */
    ptrdiff_t ia, ib, na = (ptrdiff_t)info->gcount[a], nb = (ptrdiff_t)info->gcount[b];
    size_t dof = (size_t)info->dof, i, run;

    if (d != 0) {
        /* a = 0: runs of whole ghosted rows, contiguous */
        run = (size_t)na * dof;
        for (ib = 0; ib < nb; ib++) {
            double *p = xl + ib * gs[b];
            if (src < 0)
                memset(p + dst * gs[d], 0, run * sizeof(double));
            else
                memcpy(p + dst * gs[d], p + src * gs[d], run * sizeof(double));
        }
        return;
    }
    /* d = 0: dof values per point, a stride apart: no library call per point */
    for (ib = 0; ib < nb; ib++)
        for (ia = 0; ia < na; ia++) {
            double *p = xl + ib * gs[b] + ia * gs[a];
            for (i = 0; i < dof; i++)
                p[dst * gs[d] + (ptrdiff_t)i] = src < 0 ? 0.0 : p[src * gs[d] + (ptrdiff_t)i];
        }
}

void dci_stencil_fill_bc(const dc_mesh_info_t *info, const dc_bc_t bc[3][2], double *xl)
{
    ptrdiff_t gs[3], w = info->width, m, c;
    int d;

    if (info->nlocal == 0 || w == 0)
        return;
    gs[0] = info->dof;
    gs[1] = gs[0] * (ptrdiff_t)info->gcount[0];
    gs[2] = gs[1] * (ptrdiff_t)info->gcount[1];
    for (d = 0; d < info->dim; d++) {
        c = (ptrdiff_t)info->count[d];
        if (info->start[d] == 0 && bc[d][0] != DC_BC_PERIODIC)
            for (m = 0; m < w; m++)
                plane_copy(info, gs, d, w - 1 - m, bc[d][0] == DC_BC_NEUMANN ? w + m : -1, xl);
        if (info->start[d] + info->count[d] == info->n[d] && bc[d][1] != DC_BC_PERIODIC)
            for (m = 0; m < w; m++)
                plane_copy(info, gs, d, w + c + m, bc[d][1] == DC_BC_NEUMANN ? w + c - 1 - m : -1,
                           xl);
    }
}

/* ------------------------------------------------------------------ row kernels */

/*
 * The loops of the specialised kernels: blocks of 8 values with a software prefetch of the row
 * that streams in from memory (the other rows were read for earlier rows and are in cache) and
 * of the output, then the remainder. Every value gets the same expression in either loop.
 */
#if defined(__GNUC__)
#define DCI_PREFETCH(p, w) __builtin_prefetch((p), (w), 0)
#else
#define DCI_PREFETCH(p, w) ((void)0)
#endif
#define DCI_PF_DIST 256 /* values ahead (2 KiB) */
#define ROW_LOOP(lead, expr)                                                                       \
    do {                                                                                           \
        size_t b_ = 0;                                                                             \
        for (; b_ + 8 <= m; b_ += 8) {                                                             \
            DCI_PREFETCH((lead) + b_ + DCI_PF_DIST, 0);                                            \
            DCI_PREFETCH(t + b_ + DCI_PF_DIST, 1);                                                 \
            for (i = b_; i < b_ + 8; i++)                                                          \
                t[i] = expr;                                                                       \
        }                                                                                          \
        for (i = b_; i < m; i++)                                                                   \
            t[i] = expr;                                                                           \
    } while (0)

/* t[0..m) = (A x) for the m values starting at x (a contiguous run of one row, any dof). */
DCI_VEC_FN DCI_CLONES static void row_ax(const dci_stencil_kernel_t *k, const double *restrict x,
                                         double *restrict t, size_t m)
{
    const double *c = k->coef;
    const ptrdiff_t sy = k->gstride[1], sz = k->gstride[2];
    size_t i;
    int s;

    switch (k->special) {
    case DCI_SK_3: {
        const double c0 = c[0], c1 = c[1], c2 = c[2];
        ROW_LOOP(x + 1, c0 * x[i - 1] + c1 * x[i] + c2 * x[i + 1]);
        return;
    }
    case DCI_SK_5: {
        const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4];
        const double *restrict xs = x - sy, *restrict xn = x + sy;
        ROW_LOOP(xn, c0 * xs[i] + c1 * x[i - 1] + c2 * x[i] + c3 * x[i + 1] + c4 * xn[i]);
        return;
    }
    case DCI_SK_7: {
        const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5], c6 = c[6];
        const double *restrict xb = x - sz, *restrict xs = x - sy, *restrict xn = x + sy,
                               *restrict xt = x + sz;
        ROW_LOOP(xt, c0 * xb[i] + c1 * xs[i] + c2 * x[i - 1] + c3 * x[i] + c4 * x[i + 1] +
                         c5 * xn[i] + c6 * xt[i]);
        return;
    }
    case DCI_SK_9: {
        const double c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5], c6 = c[6],
                     c7 = c[7], c8 = c[8];
        const double *restrict xs = x - sy, *restrict xn = x + sy;
        ROW_LOOP(xn + 1, c0 * xs[i - 1] + c1 * xs[i] + c2 * xs[i + 1] + c3 * x[i - 1] + c4 * x[i] +
                             c5 * x[i + 1] + c6 * xn[i - 1] + c7 * xn[i] + c8 * xn[i + 1]);
        return;
    }
    case DCI_SK_27: {
        const double *restrict p0 = x - sz - sy, *restrict p1 = x - sz, *restrict p2 = x - sz + sy;
        const double *restrict p3 = x - sy, *restrict p5 = x + sy;
        const double *restrict p6 = x + sz - sy, *restrict p7 = x + sz, *restrict p8 = x + sz + sy;
        double cc[27];
        for (s = 0; s < 27; s++)
            cc[s] = c[s];
#define R3(p, j) +cc[j] * p[i - 1] + cc[j + 1] * p[i] + cc[j + 2] * p[i + 1]
        ROW_LOOP(p8 + 1, cc[0] * p0[i - 1] + cc[1] * p0[i] +
                             cc[2] * p0[i + 1] R3(p1, 3) R3(p2, 6) R3(p3, 9) R3(x, 12) R3(p5, 15)
                                         R3(p6, 18) R3(p7, 21) R3(p8, 24));
#undef R3
        return;
    }
    default: break;
    }
    /* general: one pass per term over the run (t stays in cache), the same order per value */
    {
        const double c0 = c[0], *restrict x0 = x + k->off[0];
        for (i = 0; i < m; i++)
            t[i] = c0 * x0[i];
    }
    for (s = 1; s < k->npoints; s++) {
        const double cs = c[s], *restrict xs = x + k->off[s];
        for (i = 0; i < m; i++)
            t[i] = t[i] + cs * xs[i];
    }
}

/* ------------------------------------------------------------------ regions */

void dci_stencil_for_region(const dci_stencil_kernel_t *k, const int reach[3][2],
                            dci_stencil_region_t region, dci_stencil_run_fn fn, void *arg)
{
    const dc_mesh_info_t *in = &k->info;
    ptrdiff_t lo[3], hi[3], c[3], g[3], jj, kk;
    size_t dof = (size_t)in->dof;
    int d;

    if (in->nlocal == 0)
        return;
    for (d = 0; d < 3; d++) {
        c[d] = (ptrdiff_t)in->count[d];
        g[d] = (ptrdiff_t)(in->start[d] - in->gstart[d]);
        lo[d] = reach[d][0];
        hi[d] = c[d] - reach[d][1];
        if (hi[d] < lo[d])
            hi[d] = lo[d];
    }
    for (kk = 0; kk < c[2]; kk++)
        for (jj = 0; jj < c[1]; jj++) {
            size_t xo = (size_t)(((kk + g[2]) * (ptrdiff_t)in->gcount[1] + jj + g[1]) *
                                     (ptrdiff_t)in->gcount[0] +
                                 g[0]) *
                        dof;
            size_t oo = (size_t)((kk * c[1] + jj) * c[0]) * dof;
            int inner = jj >= lo[1] && jj < hi[1] && kk >= lo[2] && kk < hi[2] && hi[0] > lo[0];
            if (!inner) {
                if (region != DCI_STENCIL_INTERIOR)
                    fn(k, xo, oo, (size_t)c[0], arg);
                continue;
            }
            if (region != DCI_STENCIL_BOUNDARY)
                fn(k, xo + (size_t)lo[0] * dof, oo + (size_t)lo[0] * dof, (size_t)(hi[0] - lo[0]),
                   arg);
            if (region != DCI_STENCIL_INTERIOR) {
                if (lo[0] > 0)
                    fn(k, xo, oo, (size_t)lo[0], arg);
                if (hi[0] < c[0])
                    fn(k, xo + (size_t)hi[0] * dof, oo + (size_t)hi[0] * dof,
                       (size_t)(c[0] - hi[0]), arg);
            }
        }
}

/* ------------------------------------------------------------------ kernels */

typedef struct {
    const double *x, *b;
    double *y, *d, *xout;
    int ghosted;
    int xowned; /* x is an owned array (the interior pass of an operator; k has its strides) */
    double alpha, beta;
    double sum;
} kargs_t;

DCI_VEC_FN static void run_apply(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n,
                                 void *arg)
{
    kargs_t *a = arg;
    size_t m = n * (size_t)k->info.dof;
    double *y = a->y + (a->ghosted ? xo : oo);

    row_ax(k, a->x + (a->xowned ? oo : xo), y, m);
}

/* Plain sum of x[i] * y[i] in eight partial sums (a serial chain of additions would wait on
 * each one's latency; these sums promise no particular order). */
DCI_VEC_FN DCI_CLONES static double dot_run(const double *restrict x, const double *restrict y,
                                            size_t m)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0, j;

    for (; i + 8 <= m; i += 8)
        for (j = 0; j < 8; j++)
            acc[j] += x[i + j] * y[i + j];
    for (; i < m; i++)
        acc[0] += x[i] * y[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

DCI_VEC_FN static void run_apply_dot(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n,
                                     void *arg)
{
    kargs_t *a = arg;
    size_t m = n * (size_t)k->info.dof;
    const double *restrict x = a->x + (a->xowned ? oo : xo);
    double *restrict y = a->y + (a->ghosted ? xo : oo);

    size_t j;

    /* segments, so that the dot reads what row_ax just wrote while it is in L1 */
    for (j = 0; j < m; j += SEG) {
        size_t len = m - j < SEG ? m - j : SEG;
        row_ax(k, x + j, y + j, len);
        a->sum += dot_run(x + j, y + j, len);
    }
}

DCI_VEC_FN static void run_residual(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n,
                                    void *arg)
{
    kargs_t *a = arg;
    size_t i, j, m = n * (size_t)k->info.dof, io = a->ghosted ? xo : oo;
    double t[SEG], s = 0;

    for (j = 0; j < m; j += SEG) {
        size_t len = m - j < SEG ? m - j : SEG;
        const double *b = a->b + io + j;
        double *r = a->y + io + j; /* may be b */
        row_ax(k, a->x + xo + j, t, len);
        for (i = 0; i < len; i++)
            t[i] = b[i] - t[i];
        memcpy(r, t, len * sizeof(double));
        s += dot_run(t, t, len);
    }
    a->sum += s;
}

DCI_VEC_FN static void run_smooth(const dci_stencil_kernel_t *k, size_t xo, size_t oo, size_t n,
                                  void *arg)
{
    kargs_t *a = arg;
    size_t i, j, m = n * (size_t)k->info.dof, io = a->ghosted ? xo : oo;
    const double ic = k->inv_centre, al = a->alpha, be = a->beta;
    double t[SEG];

    for (j = 0; j < m; j += SEG) {
        size_t len = m - j < SEG ? m - j : SEG;
        const double *restrict x = a->x + xo + j;
        double *restrict xn = a->xout + io + j;
        row_ax(k, x, t, len);
        if (a->b != NULL) {
            const double *restrict b = a->b + io + j;
            for (i = 0; i < len; i++)
                t[i] = b[i] - t[i];
        } else {
            for (i = 0; i < len; i++)
                t[i] = -t[i];
        }
        if (a->d == NULL) {
            for (i = 0; i < len; i++)
                xn[i] = x[i] + be * (ic * t[i]);
        } else if (al == 0) {
            double *restrict d = a->d + io + j;
            for (i = 0; i < len; i++) {
                double e = be * (ic * t[i]);
                d[i] = e;
                xn[i] = x[i] + e;
            }
        } else {
            double *restrict d = a->d + io + j;
            for (i = 0; i < len; i++) {
                double e = al * d[i] + be * (ic * t[i]);
                d[i] = e;
                xn[i] = x[i] + e;
            }
        }
    }
}

void dci_stencil_apply(const dci_stencil_kernel_t *k, dci_stencil_region_t region, const double *xl,
                       double *y, int ghosted, double *xy_p)
{
    kargs_t a;

    memset(&a, 0, sizeof(a));
    a.x = xl;
    a.y = y;
    a.ghosted = ghosted;
    dci_stencil_for_region(k, (const int(*)[2])k->reach, region,
                           xy_p != NULL ? run_apply_dot : run_apply, &a);
    if (xy_p != NULL)
        *xy_p += a.sum;
}

void dci_stencil_apply_owned(const dci_stencil_kernel_t *ko, dci_stencil_region_t region,
                             const double *x, double *y, double *xy_p)
{
    kargs_t a;

    memset(&a, 0, sizeof(a));
    a.x = x;
    a.y = y;
    a.xowned = 1;
    dci_stencil_for_region(ko, (const int(*)[2])ko->reach, region,
                           xy_p != NULL ? run_apply_dot : run_apply, &a);
    if (xy_p != NULL)
        *xy_p += a.sum;
}

void dci_stencil_residual(const dci_stencil_kernel_t *k, dci_stencil_region_t region,
                          const double *b, const double *xl, double *r, int ghosted, double *rr_p)
{
    kargs_t a;

    memset(&a, 0, sizeof(a));
    a.x = xl;
    a.b = b;
    a.y = r;
    a.ghosted = ghosted;
    dci_stencil_for_region(k, (const int(*)[2])k->reach, region, run_residual, &a);
    if (rr_p != NULL)
        *rr_p += a.sum;
}

void dci_stencil_smooth(const dci_stencil_kernel_t *k, dci_stencil_region_t region, const double *b,
                        const double *xl, double *d, double *xout, double alpha, double beta,
                        int ghosted)
{
    kargs_t a;

    memset(&a, 0, sizeof(a));
    a.x = xl;
    a.b = b;
    a.d = d;
    a.xout = xout;
    a.alpha = alpha;
    a.beta = beta;
    a.ghosted = ghosted;
    dci_stencil_for_region(k, (const int(*)[2])k->reach, region, run_smooth, &a);
}
