/*
 * Tests of structured meshes (lib/mesh.c): boxes, fields, halo exchange, local-to-global and
 * natural ordering. Every rank builds the whole box table from the header's definitions
 * (the smallest-halo choice of the free process-grid entries, balanced counts with the extra points
 * on the first slabs, rank r at c0 + p0 (c1 + p1 c2)), and every field value is a formula of the
 * natural index of its point, so each ghost, sum and reordering is checked against a serial
 * reference. Errors pass bad input on all ranks or on one and expect the same code everywhere.
 */
#include "dc_test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENT                                                                                       \
    (-12345.0)       /* written into local fields before an exchange: "left unchanged"             \
                      */
#define BAD    1.0e9 /* local values that a reverse exchange must not add */
#define MAXCFG 160

/* ---------------------------------------------------------------- serial reference */

/* What a test asks dc_mesh_create for. procs: 0 entries are free; counts: per dimension, procs[d]
 * entries or NULL (balanced). */
typedef struct {
    int dim, dof, width, shape, periodic[3];
    dc_gidx_t n[3];
    int use_procs, procs[3];
    int use_counts;
    dc_gidx_t counts[3][8];
    int has_counts[3];
    const char *what;
} cfg_t;

/* The box of every rank, from the header's definitions. */
typedef struct {
    int dim, dof, width, shape, periodic[3], procs[3], np;
    dc_gidx_t n[3];
    dc_gidx_t (*start)[3], (*count)[3];
    double shift; /* added to f: tells apart two meshes of the same shape */
} ref_t;

static void cfg_init(cfg_t *c, int dim, dc_gidx_t n0, dc_gidx_t n1, dc_gidx_t n2, int dof,
                     int width)
{
    memset(c, 0, sizeof(*c));
    c->dim = dim;
    c->n[0] = n0;
    c->n[1] = dim > 1 ? n1 : 1;
    c->n[2] = dim > 2 ? n2 : 1;
    c->dof = dof;
    c->width = width;
    c->shape = DC_MESH_STAR;
    c->what = "";
}

static void cfg_params(const cfg_t *c, dc_mesh_params_t *p)
{
    int d;

    memset(p, 0, sizeof(*p));
    p->field_mask = DC_MESH_PARAM_PERIODIC | DC_MESH_PARAM_SHAPE;
    p->shape = (dc_mesh_shape_t)c->shape;
    for (d = 0; d < 3; d++)
        p->periodic[d] = c->periodic[d];
    if (c->use_procs) {
        p->field_mask |= DC_MESH_PARAM_PROCS;
        for (d = 0; d < 3; d++)
            p->procs[d] = c->procs[d];
    }
    if (c->use_counts) {
        p->field_mask |= DC_MESH_PARAM_COUNTS;
        for (d = 0; d < 3; d++)
            p->counts[d] = c->has_counts[d] ? c->counts[d] : NULL;
    }
}

/* The documented choice of the free process-grid entries, by brute force over every triple
 * (a, b, c) with a b c = P: given entries kept, free ones <= n with slabs >= width, the smallest
 * halo surface of a largest box with the most neighbours (both faces of a dimension with 3 or
 * more slabs), ties to the widest thinnest slab, then more ranks in z, y. MPI_Dims_create when
 * nothing fits. */
static void ref_procs(int np, int dim, const dc_gidx_t *n, int width, int *dims)
{
    int a, b, best[3] = {0, 0, 0}, found = 0;
    double bestc = 0.0;
    dc_gidx_t bestm = 0;

    for (a = 1; a <= np; a++)
        for (b = 1; b <= np; b++) {
            int p[3], cc = np / a / b, d, ok = 1;
            double cost = 0.0;
            dc_gidx_t mext = n[0] / a;
            if (a * b * cc != np)
                continue;
            p[0] = a;
            p[1] = b;
            p[2] = cc;
            for (d = 0; d < 3; d++) {
                if (d >= dim && p[d] != 1)
                    ok = 0;
                if (d < dim && dims[d] > 0 && p[d] != dims[d])
                    ok = 0;
                if (d < dim && dims[d] == 0 && (p[d] > n[d] || n[d] / p[d] < width))
                    ok = 0;
                if (d < dim && n[d] / p[d] < mext)
                    mext = n[d] / p[d];
            }
            if (!ok)
                continue;
            if (p[0] > 1)
                cost += (p[0] > 2 ? 2.0 : 1.0) * (double)((n[1] + p[1] - 1) / p[1]) *
                        (double)((n[2] + p[2] - 1) / p[2]);
            if (p[1] > 1)
                cost += (p[1] > 2 ? 2.0 : 1.0) * (double)((n[0] + p[0] - 1) / p[0]) *
                        (double)((n[2] + p[2] - 1) / p[2]);
            if (p[2] > 1)
                cost += (p[2] > 2 ? 2.0 : 1.0) * (double)((n[0] + p[0] - 1) / p[0]) *
                        (double)((n[1] + p[1] - 1) / p[1]);
            if (!found || cost < bestc ||
                (cost == bestc &&
                 (mext > bestm ||
                  (mext == bestm && (p[2] > best[2] || (p[2] == best[2] && p[1] > best[1])))))) {
                found = 1;
                bestc = cost;
                bestm = mext;
                memcpy(best, p, sizeof(best));
            }
        }
    if (found)
        memcpy(dims, best, sizeof(best));
    else
        MPI_Dims_create(np, dim, dims);
}

static void ref_build(ref_t *ref, const cfg_t *c)
{
    int dims[3] = {0, 0, 0}, d, r;
    dc_gidx_t *cnt[3];

    ref->dim = c->dim;
    ref->dof = c->dof;
    ref->width = c->width;
    ref->shape = c->shape;
    ref->np = dct_size;
    ref->shift = 0.0;
    for (d = 0; d < 3; d++) {
        ref->n[d] = d < c->dim ? c->n[d] : 1;
        ref->periodic[d] = d < c->dim ? c->periodic[d] : 0;
        if (c->use_procs && d < c->dim)
            dims[d] = c->procs[d];
    }
    ref_procs(dct_size, c->dim, ref->n, c->width, dims);
    for (d = 0; d < 3; d++) {
        int q;
        ref->procs[d] = d < c->dim ? dims[d] : 1;
        cnt[d] = malloc(sizeof(dc_gidx_t) * (size_t)ref->procs[d]);
        for (q = 0; q < ref->procs[d]; q++) {
            if (d < c->dim && c->use_counts && c->has_counts[d])
                cnt[d][q] = c->counts[d][q];
            else
                cnt[d][q] = ref->n[d] / ref->procs[d] + (q < ref->n[d] % ref->procs[d] ? 1 : 0);
        }
    }
    ref->start = malloc(sizeof(*ref->start) * (size_t)dct_size);
    ref->count = malloc(sizeof(*ref->count) * (size_t)dct_size);
    for (r = 0; r < dct_size; r++) {
        int co[3], q;
        co[0] = r % ref->procs[0];
        co[1] = (r / ref->procs[0]) % ref->procs[1];
        co[2] = r / (ref->procs[0] * ref->procs[1]);
        for (d = 0; d < 3; d++) {
            ref->start[r][d] = 0;
            for (q = 0; q < co[d]; q++)
                ref->start[r][d] += cnt[d][q];
            ref->count[r][d] = cnt[d][co[d]];
        }
    }
    for (d = 0; d < 3; d++)
        free(cnt[d]);
}

static void ref_free(ref_t *ref)
{
    free(ref->start);
    free(ref->count);
}

static int ref_empty(const ref_t *ref, int r)
{
    return ref->count[r][0] * ref->count[r][1] * ref->count[r][2] == 0;
}

/* Ghosted box of rank r in dimension d. */
static dc_gidx_t ref_gstart(const ref_t *ref, int r, int d)
{
    return d < ref->dim ? ref->start[r][d] - ref->width : 0;
}

static dc_gidx_t ref_gcount(const ref_t *ref, int r, int d)
{
    return d < ref->dim ? ref->count[r][d] + 2 * ref->width : 1;
}

/* Natural (lexicographic) index of point x, component c. */
static int64_t nat_index(const ref_t *ref, const dc_gidx_t x[3], int c)
{
    return ((x[2] * ref->n[1] + x[1]) * ref->n[0] + x[0]) * ref->dof + c;
}

/* The field of the tests: f = natural index + 1 (exact in doubles, never 0, never SENT). */
static double fval(const ref_t *ref, const dc_gidx_t x[3], int c)
{
    return 1.0 + ref->shift + (double)nat_index(ref, x, c);
}

/* A second formula, for data that travels the other way (scatter, natural_to_global). */
static double hval(int64_t g)
{
    return 0.5 - 3.0 * (double)g;
}

/* Point x of rank r's ghosted box. */
enum { P_OWNED, P_OUTSIDE, P_FACE, P_EDGE };

/* Classify x for rank r and write the wrapped point into w. P_OUTSIDE: beyond a non-periodic edge;
 * P_FACE: outside the owned box in one dimension; P_EDGE: in two or three. */
static int classify(const ref_t *ref, int r, const dc_gidx_t x[3], dc_gidx_t w[3])
{
    int d, nout = 0, outside = 0;

    for (d = 0; d < 3; d++) {
        w[d] = x[d];
        if (x[d] < ref->start[r][d] || x[d] >= ref->start[r][d] + ref->count[r][d])
            nout++;
        if (x[d] < 0 || x[d] >= ref->n[d]) {
            if (ref->periodic[d])
                w[d] = ((x[d] % ref->n[d]) + ref->n[d]) % ref->n[d];
            else
                outside = 1;
        }
    }
    if (outside)
        return P_OUTSIDE;
    return nout == 0 ? P_OWNED : nout == 1 ? P_FACE : P_EDGE;
}

/* Whether an exchange sets a point of kind k of rank r's local field: owned points, and ghosts
 * inside the domain (or wrapped) of the shape's pattern; none on a rank with an empty box. */
static int exchanged(const ref_t *ref, int r, int k)
{
    if (ref_empty(ref, r))
        return 0;
    return k == P_OWNED || k == P_FACE || (k == P_EDGE && ref->shape == DC_MESH_BOX);
}

/* Iterate over rank r's ghosted box in lexicographic order (x fastest). */
#define FOR_GHOSTED(ref, r, x)                                                                     \
    for (x[2] = ref_gstart(ref, r, 2); x[2] < ref_gstart(ref, r, 2) + ref_gcount(ref, r, 2);       \
         x[2]++)                                                                                   \
        for (x[1] = ref_gstart(ref, r, 1); x[1] < ref_gstart(ref, r, 1) + ref_gcount(ref, r, 1);   \
             x[1]++)                                                                               \
            for (x[0] = ref_gstart(ref, r, 0);                                                     \
                 x[0] < ref_gstart(ref, r, 0) + ref_gcount(ref, r, 0); x[0]++)

#define FOR_OWNED(ref, r, x)                                                                       \
    for (x[2] = ref->start[r][2]; x[2] < ref->start[r][2] + ref->count[r][2]; x[2]++)              \
        for (x[1] = ref->start[r][1]; x[1] < ref->start[r][1] + ref->count[r][1]; x[1]++)          \
            for (x[0] = ref->start[r][0]; x[0] < ref->start[r][0] + ref->count[r][0]; x[0]++)

static void cfg_describe(const cfg_t *c, const ref_t *ref, char *buf, size_t len)
{
    snprintf(buf, len,
             "%s dim %d n %lldx%lldx%lld dof %d width %d %s periodic %d%d%d "
             "procs %dx%dx%d%s",
             c->what, c->dim, (long long)ref->n[0], (long long)ref->n[1], (long long)ref->n[2],
             c->dof, c->width, c->shape == DC_MESH_BOX ? "BOX" : "STAR", ref->periodic[0],
             ref->periodic[1], ref->periodic[2], ref->procs[0], ref->procs[1], ref->procs[2],
             c->use_counts ? " (counts)" : "");
}

/* Whether every rank's box and this rank's ghosted box are those of the reference (local). */
static int boxes_match(dc_mesh_t *m, const ref_t *ref)
{
    dc_mesh_info_t info;
    int ok, r, d;

    ok = dc_mesh_get_info(m, &info) == DC_SUCCESS &&
         info.nghosted == (size_t)(ref_gcount(ref, dct_rank, 0) * ref_gcount(ref, dct_rank, 1) *
                                   ref_gcount(ref, dct_rank, 2) * ref->dof);
    for (d = 0; d < 3 && ok; d++)
        ok = info.gstart[d] == ref_gstart(ref, dct_rank, d) &&
             info.gcount[d] == ref_gcount(ref, dct_rank, d);
    for (r = 0; r < dct_size && ok; r++) {
        dc_gidx_t s[3], c[3];
        ok = dc_mesh_get_box(m, r, s, c) == DC_SUCCESS;
        for (d = 0; d < 3 && ok; d++)
            ok = s[d] == ref->start[r][d] && c[d] == ref->count[r][d];
    }
    return ok;
}

/* Create the mesh of c (collective); NULL on every rank if it failed anywhere, or if its boxes are
 * not those of ref (when given: the value checks index arrays by the reference's boxes). Default
 * settings go through params NULL, to cover that path too. */
static dc_mesh_t *make_mesh(dc_env_t *env, const cfg_t *c, const ref_t *ref)
{
    dc_mesh_params_t p;
    dc_mesh_t *m = NULL;
    int rc, d, deflt = !c->use_procs && !c->use_counts && c->shape == DC_MESH_STAR;

    for (d = 0; d < 3; d++)
        if (c->periodic[d])
            deflt = 0;
    cfg_params(c, &p);
    rc = dc_mesh_create(env, c->dim, c->n, c->dof, c->width, deflt ? NULL : &p, &m);
    if (!dct_all(rc == DC_SUCCESS)) {
        fprintf(stderr, "[rank %d] dc_mesh_create %s: %s: %s\n", dct_rank, c->what, dc_strerror(rc),
                dc_env_last_error(env));
        CU_FAIL("dc_mesh_create failed");
        dc_mesh_destroy(&m);
        return NULL;
    }
    if (ref != NULL && !dct_all(boxes_match(m, ref))) {
        if (dct_rank == 0)
            fprintf(stderr, "%s: the boxes differ from the reference; values not checked\n",
                    c->what);
        CU_FAIL("boxes differ from the reference");
        dc_mesh_destroy(&m);
    }
    return m;
}

/* Global and local fields of m (collective); both NULL if either failed anywhere. */
static int make_fields(dc_mesh_t *m, dc_vec_t **g, dc_vec_t **l)
{
    int rc1 = dc_mesh_create_global(m, g), rc2 = dc_mesh_create_local(m, l);

    if (!dct_all(rc1 == DC_SUCCESS && rc2 == DC_SUCCESS)) {
        CU_FAIL("dc_mesh_create_global/local failed");
        dc_vec_destroy(g);
        dc_vec_destroy(l);
        return 0;
    }
    return 1;
}

static void fill_fn(const dc_gidx_t ijk[3], double *values, void *ctx)
{
    const ref_t *ref = ctx;
    int c;

    for (c = 0; c < ref->dof; c++)
        values[c] = fval(ref, ijk, c);
}

/* Owned values of a global field against f (hfun 0) or hval(natural index) (hfun 1). */
static int check_global(const ref_t *ref, const dc_vec_t *g, int hfun, const char *what)
{
    const double *a = NULL;
    dc_gidx_t x[3];
    int64_t p = 0, bad = 0;

    if (dc_vec_get_array_read(g, &a) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] %s: cannot read the global field\n", dct_rank, what);
        return 0;
    }
    FOR_OWNED(ref, dct_rank, x)
    {
        int c;
        for (c = 0; c < ref->dof; c++, p++) {
            double e = hfun ? hval(nat_index(ref, x, c)) : fval(ref, x, c);
            if (a[p] != e && bad++ < 3)
                fprintf(stderr, "[rank %d] %s: point (%lld,%lld,%lld) c %d: %g, expected %g\n",
                        dct_rank, what, (long long)x[0], (long long)x[1], (long long)x[2], c, a[p],
                        e);
        }
    }
    dc_vec_restore_array_read(g, &a);
    return bad == 0;
}

/*
 * Every value of this rank's local field after an exchange of f into a field that held SENT: owned
 * and exchanged ghosts hold f of the wrapped point, the others SENT. A rank with an empty box has
 * no ghosts: its local field keeps SENT everywhere.
 */
static int check_halo(const ref_t *ref, const dc_vec_t *l, const char *what)
{
    const double *a = NULL;
    dc_gidx_t x[3], w[3];
    int64_t p = 0, bad = 0;

    if (dc_vec_get_array_read(l, &a) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] %s: cannot read the local field\n", dct_rank, what);
        return 0;
    }
    FOR_GHOSTED(ref, dct_rank, x)
    {
        int k = classify(ref, dct_rank, x, w), c;
        for (c = 0; c < ref->dof; c++, p++) {
            double e = exchanged(ref, dct_rank, k) ? fval(ref, w, c) : SENT;
            if (a[p] != e && bad++ < 3)
                fprintf(stderr,
                        "[rank %d] %s: local point (%lld,%lld,%lld) c %d (%s): %g, "
                        "expected %g\n",
                        dct_rank, what, (long long)x[0], (long long)x[1], (long long)x[2], c,
                        k == P_OWNED     ? "owned"
                        : k == P_OUTSIDE ? "beyond a non-periodic edge"
                        : k == P_FACE    ? "face ghost"
                                         : "edge/corner ghost",
                        a[p], e);
        }
    }
    dc_vec_restore_array_read(l, &a);
    return bad == 0;
}

/*
 * The result of an ADD of local fields that hold f at every point the exchange fills (and
 * anything else elsewhere): f times 1 + the number of ghost copies of the point in all ranks'
 * local fields, counted here from the box table.
 */
static int check_add(const ref_t *ref, const dc_vec_t *g, const char *what)
{
    int64_t npts = ref->n[0] * ref->n[1] * ref->n[2], p = 0, bad = 0;
    int *mult = calloc((size_t)npts, sizeof(int)), r;
    const double *a = NULL;
    dc_gidx_t x[3], w[3];

    for (r = 0; r < dct_size; r++)
        FOR_GHOSTED(ref, r, x)
        {
            int kind = classify(ref, r, x, w);
            if (kind != P_OWNED && exchanged(ref, r, kind))
                mult[(w[2] * ref->n[1] + w[1]) * ref->n[0] + w[0]]++;
        }
    if (dc_vec_get_array_read(g, &a) != DC_SUCCESS) {
        free(mult);
        return 0;
    }
    FOR_OWNED(ref, dct_rank, x)
    {
        int c, mu = mult[(x[2] * ref->n[1] + x[1]) * ref->n[0] + x[0]];
        for (c = 0; c < ref->dof; c++, p++) {
            double e = fval(ref, x, c) * (1 + mu);
            if (a[p] != e && bad++ < 3)
                fprintf(stderr,
                        "[rank %d] %s ADD: (%lld,%lld,%lld) c %d: %g, expected %g (%d ghost "
                        "copies)\n",
                        dct_rank, what, (long long)x[0], (long long)x[1], (long long)x[2], c, a[p],
                        e, mu);
        }
    }
    dc_vec_restore_array_read(g, &a);
    free(mult);
    return bad == 0;
}

/* Halo exchange g -> l, blocking (how 0) or begin + end (how 1). */
static int exchange(dc_mesh_t *m, const dc_vec_t *g, dc_vec_t *l, int how)
{
    int rc;

    if (how == 0)
        return dc_mesh_global_to_local(m, g, l);
    rc = dc_mesh_global_to_local_begin(m, g, l);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_global_to_local_end(m, g, l);
    return rc;
}

/* ---------------------------------------------------------------- configurations */

static void set_counts(cfg_t *c, int d, const dc_gidx_t *cnt, int np)
{
    int q;

    c->use_counts = 1;
    c->has_counts[d] = 1;
    for (q = 0; q < np; q++)
        c->counts[d][q] = cnt[q];
}

/*
 * Meshes with empty boxes and given process grids (valid at every rank count 1-4): the ghosts of a
 * box next to an empty one come from the next non-empty box, beyond the empty one (the case of a
 * neighbour smaller than the width), also across a periodic edge and onto the same rank.
 */
static int special_configs(cfg_t *out)
{
    int m = 0, P = dct_size, q;
    dc_gidx_t cnt[8];
    cfg_t *c;

    /* 1-D, the second slab empty, width 2 > its extent, periodic */
    c = &out[m++];
    for (q = 0; q < P; q++)
        cnt[q] = q == 1 ? 0 : 2 + q % 2;
    cfg_init(c, 1, 0, 0, 0, 2, 2);
    for (q = 0; q < P; q++)
        c->n[0] += cnt[q];
    c->periodic[0] = 1;
    c->use_procs = 1;
    c->procs[0] = P;
    set_counts(c, 0, cnt, P);
    c->what = "1-D counts with an empty slab";

    /* 2-D, process grid 1 x P, the last y slab empty, periodic in y: wraps past it */
    c = &out[m++];
    cfg_init(c, 2, 5, 0, 0, 3, 2);
    for (q = 0; q < P; q++) {
        cnt[q] = (P > 1 && q == P - 1) ? 0 : 2 + (q == 0);
        c->n[1] += cnt[q];
    }
    c->periodic[1] = 1;
    c->shape = DC_MESH_BOX;
    c->use_procs = 1;
    c->procs[0] = 1;
    c->procs[1] = P;
    set_counts(c, 1, cnt, P);
    c->what = "2-D empty last y slab";

    /* 2-D, P x 1, the first x slab empty, not periodic, STAR */
    c = &out[m++];
    cfg_init(c, 2, 0, 4, 0, 1, 1);
    for (q = 0; q < P; q++) {
        cnt[q] = (P > 1 && q == 0) ? 0 : q + 1;
        c->n[0] += cnt[q];
    }
    c->use_procs = 1;
    c->procs[0] = P;
    c->procs[1] = 1;
    set_counts(c, 0, cnt, P);
    c->what = "2-D empty first x slab";

    /* 3-D, 1 x 1 x P, a middle z slab empty (the first at P = 2), periodic x and z, BOX */
    c = &out[m++];
    cfg_init(c, 3, 3, 2, 0, 2, 1);
    for (q = 0; q < P; q++) {
        cnt[q] = (P > 1 && q == (P > 2 ? 1 : 0)) ? 0 : 1 + q % 2;
        c->n[2] += cnt[q];
    }
    c->periodic[0] = 1;
    c->periodic[2] = 1;
    c->shape = DC_MESH_BOX;
    c->use_procs = 1;
    c->procs[0] = 1;
    c->procs[1] = 1;
    c->procs[2] = P;
    set_counts(c, 2, cnt, P);
    c->what = "3-D empty z slab";

    /* 2-D, 1 x P, periodic in x with width == n[0]: every x ghost wraps onto the same rank */
    c = &out[m++];
    cfg_init(c, 2, 2, 2 * P + 1, 0, 1, 2);
    c->periodic[0] = 1;
    c->periodic[1] = 1;
    c->shape = DC_MESH_BOX;
    c->use_procs = 1;
    c->procs[0] = 1;
    c->what = "2-D x wrap onto the same rank";

    /* 3-D split along z only (procs 1 x 1 x free), mixed periodicity, width 2 */
    c = &out[m++];
    cfg_init(c, 3, 4, 3, 2 * P + 1, 2, 2);
    c->periodic[0] = 1;
    c->periodic[2] = 1;
    c->shape = DC_MESH_BOX;
    c->use_procs = 1;
    c->procs[0] = 1;
    c->procs[1] = 1;
    c->what = "3-D z split";

    /* 3-D split along y only, balanced counts given for x (the default), STAR */
    c = &out[m++];
    cfg_init(c, 3, 3, 2 * P + 1, 3, 1, 1);
    c->periodic[1] = 1;
    c->use_procs = 1;
    c->procs[0] = 1;
    c->procs[1] = P;
    c->procs[2] = 1;
    c->use_counts = 1; /* every counts[d] NULL: balanced */
    c->what = "3-D y split";

    /* width 0: the local field is the owned box */
    c = &out[m++];
    cfg_init(c, 2, 5, 4, 0, 2, 0);
    c->periodic[0] = 1;
    c->shape = DC_MESH_BOX;
    c->what = "width 0";
    return m;
}

/*
 * Every combination of dim 1-3, dof 1 and 3, width 1 and 2, STAR and BOX, and periodicity none,
 * all, and mixed (dim >= 2: x only, and the last dimension only), on default process grids; sizes
 * keep every box >= 2 points wide at 1-4 ranks. Then the special ones.
 */
static int halo_configs(cfg_t *out)
{
    dc_gidx_t sz[3][3] = {{11, 1, 1}, {7, 6, 1}, {6, 5, 4}};
    int m = 0, dim, dof, width, shape, per;

    if (dct_size > 4) /* more ranks: slabs of width 2 in y on a 1 x P grid */
        sz[1][1] = sz[2][1] = 2 * dct_size;

    for (dim = 1; dim <= 3; dim++)
        for (per = 0; per < (dim == 1 ? 2 : 4); per++)
            for (shape = 0; shape < 2; shape++)
                for (width = 1; width <= 2; width++)
                    for (dof = 1; dof <= 3; dof += 2) {
                        cfg_t *c = &out[m++];
                        cfg_init(c, dim, sz[dim - 1][0], sz[dim - 1][1], sz[dim - 1][2], dof,
                                 width);
                        c->shape = shape;
                        if (per == 1) {
                            int d;
                            for (d = 0; d < dim; d++)
                                c->periodic[d] = 1;
                        } else if (per == 2)
                            c->periodic[0] = 1;
                        else if (per == 3)
                            c->periodic[dim - 1] = 1;
                        c->what = "default grid";
                    }
    m += special_configs(out + m);
    return m;
}

/* ---------------------------------------------------------------- boxes and info */

/* info, boxes and layouts of a mesh against the reference; local checks. */
static int check_info(dc_mesh_t *m, dc_env_t *env, const ref_t *ref, const char *what)
{
    dc_mesh_info_t info;
    dc_layout_t *gl = NULL, *ll = NULL;
    dc_env_t *e = NULL;
    int ok = 1, d, r, co[3];
    size_t nl = 0, nloc = (size_t)ref->dof, ngh = (size_t)ref->dof;
    dc_gidx_t lo, hi, off = 0;

    memset(&info, 0xff, sizeof(info));
    if (dc_mesh_get_info(m, &info) != DC_SUCCESS)
        return 0;
    co[0] = dct_rank % ref->procs[0];
    co[1] = (dct_rank / ref->procs[0]) % ref->procs[1];
    co[2] = dct_rank / (ref->procs[0] * ref->procs[1]);
    ok &= info.dim == ref->dim && info.dof == ref->dof && info.width == ref->width &&
          (int)info.shape == ref->shape;
    ok &= info.procs[0] * info.procs[1] * info.procs[2] == dct_size;
    for (d = 0; d < 3; d++) {
        ok &= info.n[d] == ref->n[d] && info.periodic[d] == ref->periodic[d];
        ok &= info.procs[d] == ref->procs[d] && info.coord[d] == co[d];
        ok &= info.start[d] == ref->start[dct_rank][d] && info.count[d] == ref->count[dct_rank][d];
        ok &= info.gstart[d] == ref_gstart(ref, dct_rank, d);
        ok &= info.gcount[d] == ref_gcount(ref, dct_rank, d);
        if (d >= ref->dim)
            ok &= info.gstart[d] == 0 && info.gcount[d] == 1 && info.start[d] == 0 &&
                  info.count[d] == 1 && info.coord[d] == 0 && info.procs[d] == 1 && info.n[d] == 1;
        else
            ok &= info.gstart[d] == info.start[d] - info.width &&
                  info.gcount[d] == info.count[d] + 2 * info.width;
        nloc *= (size_t)info.count[d];
        ngh *= (size_t)info.gcount[d];
    }
    ok &= info.nlocal == nloc && info.nghosted == ngh;
    if (!ok)
        fprintf(stderr, "[rank %d] %s: dc_mesh_get_info differs from the reference\n", dct_rank,
                what);
    /* every rank's box, and the global layout: rank r's values follow those of ranks < r */
    if (dc_mesh_get_layout(m, &gl) != DC_SUCCESS || dc_mesh_get_local_layout(m, &ll) != DC_SUCCESS)
        return 0;
    for (r = 0; r < dct_size; r++) {
        dc_gidx_t s[3] = {-1, -1, -1}, cn[3] = {-1, -1, -1};
        size_t rn = (size_t)ref->dof, rg = (size_t)ref->dof;
        int okr = dc_mesh_get_box(m, r, s, cn) == DC_SUCCESS;
        for (d = 0; d < 3; d++) {
            okr &= s[d] == ref->start[r][d] && cn[d] == ref->count[r][d];
            rn *= (size_t)ref->count[r][d];
            rg *= (size_t)ref_gcount(ref, r, d);
        }
        okr &= dc_layout_get_rank_size(gl, r, &nl) == DC_SUCCESS && nl == rn;
        okr &= dc_layout_get_range(gl, r, &lo, &hi) == DC_SUCCESS && lo == off &&
               hi == off + (dc_gidx_t)rn;
        okr &= dc_layout_get_rank_size(ll, r, &nl) == DC_SUCCESS && nl == rg;
        off += (dc_gidx_t)rn;
        if (!okr)
            fprintf(stderr, "[rank %d] %s: box or layout of rank %d differs\n", dct_rank, what, r);
        ok &= okr;
    }
    ok &= dc_layout_get_global_size(gl, &lo) == DC_SUCCESS &&
          lo == ref->n[0] * ref->n[1] * ref->n[2] * ref->dof;
    ok &= dc_layout_get_local_size(ll, &nl) == DC_SUCCESS && nl == ngh;
    ok &= dc_mesh_get_env(m, &e) == DC_SUCCESS && e == env;
    return ok;
}

/* The union of the boxes of all ranks (as each reports its own) tiles the grid exactly. */
static int check_tiling(dc_mesh_t *m, const ref_t *ref)
{
    dc_mesh_info_t info;
    int64_t mine[6] = {0, 0, 0, 0, 0, 0}, *all = malloc(sizeof(int64_t) * 6 * (size_t)dct_size);
    int64_t npts = ref->n[0] * ref->n[1] * ref->n[2], i;
    int *cover = calloc((size_t)npts, sizeof(int)), r, d, ok = 1;

    if (dc_mesh_get_info(m, &info) == DC_SUCCESS)
        for (d = 0; d < 3; d++) {
            mine[d] = info.start[d];
            mine[3 + d] = info.count[d];
        }
    MPI_Allgather(mine, 6, MPI_INT64_T, all, 6, MPI_INT64_T, dct_comm);
    for (r = 0; r < dct_size; r++) {
        const int64_t *b = all + 6 * r;
        dc_gidx_t x[3];
        for (d = 0; d < 3; d++)
            if (b[d] < 0 || b[3 + d] < 0 || b[d] + b[3 + d] > ref->n[d])
                ok = 0;
        if (!ok)
            break;
        for (x[2] = b[2]; x[2] < b[2] + b[5]; x[2]++)
            for (x[1] = b[1]; x[1] < b[1] + b[4]; x[1]++)
                for (x[0] = b[0]; x[0] < b[0] + b[3]; x[0]++)
                    cover[(x[2] * ref->n[1] + x[1]) * ref->n[0] + x[0]]++;
    }
    for (i = 0; i < npts && ok; i++)
        if (cover[i] != 1)
            ok = 0;
    free(cover);
    free(all);
    return ok;
}

static void box_configs_run(dc_env_t *env, cfg_t *cfgs, int ncfg)
{
    int k;

    for (k = 0; k < ncfg; k++) {
        ref_t ref;
        dc_mesh_t *m;
        char what[256];

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        m = make_mesh(env, &cfgs[k], NULL);
        if (m != NULL) {
            int ok = check_info(m, env, &ref, what);
            DCT_ASSERT_ALL(ok);
            ok = check_tiling(m, &ref);
            if (!ok && dct_rank == 0)
                fprintf(stderr, "%s: the boxes do not tile the grid\n", what);
            CU_ASSERT(ok);
        }
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
}

static void test_boxes(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t)), *c;
    int ncfg = halo_configs(cfgs), P = dct_size, q;

    /* odd sizes on default grids (remainders on the first slabs), and the largest prime grid */
    c = &cfgs[ncfg++];
    cfg_init(c, 2, 13, 1 + P, 0, 1, 0);
    c->what = "2-D odd";
    c = &cfgs[ncfg++];
    cfg_init(c, 3, 5, 7, 3 + P, 4, 1);
    c->what = "3-D odd";
    /* given procs with a free entry */
    c = &cfgs[ncfg++];
    cfg_init(c, 3, 4, 9, 9, 1, 1);
    c->use_procs = 1;
    c->procs[0] = 1;
    c->what = "3-D procs 1 x free x free";
    /* a grid with as many points as ranks in x: one point each */
    c = &cfgs[ncfg++];
    cfg_init(c, 1, P, 0, 0, 1, 1);
    c->what = "1-D one point per rank";
    /* n[0] = 1 at P ranks through counts (one box of one point, the others empty) */
    c = &cfgs[ncfg++];
    cfg_init(c, 1, 1, 0, 0, 2, 1);
    c->use_procs = 1;
    c->procs[0] = P;
    {
        dc_gidx_t cnt[8];
        for (q = 0; q < P; q++)
            cnt[q] = q == P - 1 ? 1 : 0;
        set_counts(c, 0, cnt, P);
    }
    c->what = "1-D one point, the others empty";
    if (env != NULL)
        box_configs_run(env, cfgs, ncfg);
    free(cfgs);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- fill and ordering */

typedef struct {
    const ref_t *ref;
    int64_t calls;
    int order_ok;
} fill_ctx_t;

/* Records the order of the points: lexicographic over the owned box, x fastest. */
static void order_fn(const dc_gidx_t ijk[3], double *values, void *ctx)
{
    fill_ctx_t *fc = ctx;
    const ref_t *ref = fc->ref;
    int64_t q = fc->calls++;
    dc_gidx_t e[3];

    if (ref_empty(ref, dct_rank)) {
        fc->order_ok = 0; /* an empty box has no point to visit */
        return;
    }
    e[0] = ref->start[dct_rank][0] + q % ref->count[dct_rank][0];
    q /= ref->count[dct_rank][0];
    e[1] = ref->start[dct_rank][1] + q % ref->count[dct_rank][1];
    e[2] = ref->start[dct_rank][2] + q / ref->count[dct_rank][1];
    if (ijk[0] != e[0] || ijk[1] != e[1] || ijk[2] != e[2])
        fc->order_ok = 0;
    fill_fn(ijk, values, (void *)ref);
}

/*
 * The default process grid of the odd sizes multigrid uses (2^k - 1) at 1-5 ranks, written out
 * (not from ref_procs): 1023^2 and 11^2 go to 1 x P for P <= 3 (one or two faces of 1023 per
 * box either way) and to 2 x 2 at 4 ranks (an inner rank of 1 x 4 strips has two faces of 1023;
 * the grid was 1 x 4 when only one face per dimension was counted); 127^3 at 4 ranks to 1 x 2 x 2
 * (it was 1 x 1 x 4). At 5 ranks (the multi-node check) the only grids are slabs: 1 x 5 and
 * 1 x 1 x 5 (ties go to more ranks in z, y).
 */
static void test_default_grid(void)
{
    static const int exp2[6][2] = {{0, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 2}, {1, 5}};
    static const int exp3[6][3] = {{0, 0, 0}, {1, 1, 1}, {1, 1, 2},
                                   {1, 1, 3}, {1, 2, 2}, {1, 1, 5}};
    dc_env_t *env = NULL;
    dc_gidx_t sq[2][2] = {{1023, 1023}, {11, 11}}, cube[3] = {127, 127, 127};
    int k, ok = dct_size >= 1 && dct_size <= 5;

    dc_env_create(MPI_COMM_WORLD, NULL, &env);
    for (k = 0; k < 3 && ok; k++) {
        dc_mesh_t *m = NULL;
        dc_mesh_info_t in;
        int rc = dc_mesh_create(env, k < 2 ? 2 : 3, k < 2 ? sq[k] : cube, 1, 1, NULL, &m);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_get_info(m, &in);
        if (rc != DC_SUCCESS)
            ok = 0;
        else if (k < 2)
            ok = in.procs[0] == exp2[dct_size][0] && in.procs[1] == exp2[dct_size][1];
        else
            ok = in.procs[0] == exp3[dct_size][0] && in.procs[1] == exp3[dct_size][1] &&
                 in.procs[2] == exp3[dct_size][2];
        if (!ok && rc == DC_SUCCESS)
            fprintf(stderr, "[rank %d] default grid of case %d on %d ranks: %d x %d x %d\n",
                    dct_rank, k, dct_size, in.procs[0], in.procs[1], in.procs[2]);
        dc_mesh_destroy(&m);
    }
    DCT_ASSERT_ALL(ok);
    dc_env_destroy(&env);
}

/* dc_mesh_fill visits the owned points in order; a global field gathered in the distributed
 * ordering (dc_vec_gather) is the boxes in rank order, each lexicographic with dof fastest. */
static void test_fill_order(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t));
    int ncfg = special_configs(cfgs), k;

    cfg_init(&cfgs[ncfg], 3, 5, 4, 3, 3, 1);
    cfgs[ncfg++].what = "3-D dof 3";
    for (k = 0; k < ncfg && env != NULL; k++) {
        ref_t ref;
        dc_mesh_t *m;
        dc_vec_t *g = NULL, *l = NULL;
        char what[256];

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        m = make_mesh(env, &cfgs[k], &ref);
        if (m != NULL && make_fields(m, &g, &l)) {
            fill_ctx_t fc = {&ref, 0, 1};
            int64_t ntot = ref.n[0] * ref.n[1] * ref.n[2] * ref.dof, p = 0, bad = 0;
            double *all = malloc(sizeof(double) * (size_t)ntot);
            int rc = dc_mesh_fill(m, g, order_fn, &fc), r;
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            CU_ASSERT(fc.order_ok);
            CU_ASSERT_EQUAL(fc.calls, ref.count[dct_rank][0] * ref.count[dct_rank][1] *
                                          ref.count[dct_rank][2]);
            CU_ASSERT(check_global(&ref, g, 0, what));
            rc = dc_vec_gather(g, -1, all);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            for (r = 0; r < dct_size && rc == DC_SUCCESS; r++) {
                dc_gidx_t x[3];
                FOR_OWNED((&ref), r, x)
                {
                    int c;
                    for (c = 0; c < ref.dof; c++, p++)
                        if (all[p] != fval(&ref, x, c))
                            bad++;
                }
            }
            if (bad)
                fprintf(stderr, "[rank %d] %s: distributed ordering differs at %lld values\n",
                        dct_rank, what, (long long)bad);
            CU_ASSERT_EQUAL(bad, 0);
            free(all);
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&l);
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
    free(cfgs);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- halo exchange */

/* Fill global with f, local with SENT, exchange, check every local value. Alternates blocking and
 * begin/end. */
static void test_halo(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t));
    int ncfg = halo_configs(cfgs), k;

    for (k = 0; k < ncfg && env != NULL; k++) {
        ref_t ref;
        dc_mesh_t *m;
        dc_vec_t *g = NULL, *l = NULL;
        char what[300];
        int how = k % 2;

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        strcat(what, how ? " begin/end" : " blocking");
        m = make_mesh(env, &cfgs[k], &ref);
        if (m != NULL && make_fields(m, &g, &l)) {
            int rc = dc_mesh_fill(m, g, fill_fn, &ref), ok;
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_set_all(l, SENT), DC_SUCCESS);
            rc = exchange(m, g, l, how);
            if (rc != DC_SUCCESS)
                fprintf(stderr, "[rank %d] %s: %s\n", dct_rank, what, dc_env_last_error(env));
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            ok = check_halo(&ref, l, what);
            CU_ASSERT(ok);
            /* the other form, again into SENT: same result; the global field is unchanged */
            CU_ASSERT_EQUAL(dc_vec_set_all(l, SENT), DC_SUCCESS);
            rc = exchange(m, g, l, 1 - how);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(check_halo(&ref, l, what));
            CU_ASSERT(check_global(&ref, g, 0, what));
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&l);
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
    free(cfgs);
    dc_env_destroy(&env);
}

/* Between begin and end the owned values of local may be read; end completes the ghosts. Two
 * exchanges in sequence on the same mesh with other fields; state errors. */
static void test_begin_end(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t c;
    ref_t ref;
    dc_mesh_t *m = NULL;
    dc_vec_t *g = NULL, *l = NULL, *g2 = NULL, *l2 = NULL;

    cfg_init(&c, 2, 6, 2 * dct_size + 1, 0, 2, 1);
    c.periodic[0] = 1;
    c.shape = DC_MESH_BOX;
    c.what = "begin/end";
    ref_build(&ref, &c);
    if (env != NULL)
        m = make_mesh(env, &c, &ref);
    if (m != NULL && make_fields(m, &g, &l) && make_fields(m, &g2, &l2)) {
        const double *a = NULL;
        int rc, ok = 1;
        dc_gidx_t x[3];

        CU_ASSERT_EQUAL(dc_mesh_fill(m, g, fill_fn, &ref), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_vec_set_all(l, SENT), DC_SUCCESS);
        rc = dc_mesh_global_to_local_begin(m, g, l);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        /* reading the owned values between begin and end */
        if (rc == DC_SUCCESS) {
            CU_ASSERT_EQUAL(dc_vec_get_array_read(l, &a), DC_SUCCESS);
            ok = a != NULL;
            FOR_OWNED((&ref), dct_rank, x)
            {
                if (a == NULL)
                    break;
                dc_gidx_t y[3] = {x[0], x[1], x[2]};
                int64_t p = 0;
                int d, cc;
                /* offset of x in the ghosted box, computed here */
                for (d = 2; d >= 0; d--)
                    p = p * ref_gcount(&ref, dct_rank, d) + (y[d] - ref_gstart(&ref, dct_rank, d));
                for (cc = 0; cc < ref.dof; cc++)
                    ok &= a[p * ref.dof + cc] == fval(&ref, x, cc);
            }
            if (a != NULL)
                dc_vec_restore_array_read(l, &a);
            CU_ASSERT(ok);
            /* a second begin, and an end with other fields, while one is under way */
            CU_ASSERT_EQUAL(dc_mesh_global_to_local_begin(m, g2, l2), DC_ERR_STATE);
            CU_ASSERT_EQUAL(dc_mesh_global_to_local(m, g2, l2), DC_ERR_STATE);
            CU_ASSERT_EQUAL(dc_mesh_global_to_local_end(m, g2, l2), DC_ERR_STATE);
            /* the other exchanges of this mesh wait too (the same state on every rank) */
            rc = dc_mesh_local_to_global(m, l2, g2, DC_MESH_INSERT);
            DCT_ASSERT_ALL(rc == DC_ERR_STATE);
            rc = dc_mesh_local_to_global(m, l2, g2, DC_MESH_ADD);
            DCT_ASSERT_ALL(rc == DC_ERR_STATE);
            {
                int64_t ntot = ref.n[0] * ref.n[1] * ref.n[2] * ref.dof;
                double *nat = malloc(sizeof(double) * (size_t)ntot);
                rc = dc_mesh_gather_natural(m, g2, -1, nat);
                DCT_ASSERT_ALL(rc == DC_ERR_STATE);
                free(nat);
            }
            rc = dc_mesh_global_to_local_end(m, g, l);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(check_halo(&ref, l, "begin/end"));
        }
        /* end without begin */
        CU_ASSERT_EQUAL(dc_mesh_global_to_local_end(m, g, l), DC_ERR_STATE);
        /* the mesh is usable again: a second exchange with the other pair */
        CU_ASSERT_EQUAL(dc_vec_copy(g, g2), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_vec_set_all(l2, SENT), DC_SUCCESS);
        rc = exchange(m, g2, l2, 1);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(check_halo(&ref, l2, "begin/end again"));
        /* a field borrowed on every rank */
        {
            double *w = NULL;
            CU_ASSERT_EQUAL(dc_vec_get_array(l, &w), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_mesh_global_to_local(m, g, l), DC_ERR_STATE);
            CU_ASSERT_EQUAL(dc_mesh_global_to_local_begin(m, g, l), DC_ERR_STATE);
            dc_vec_restore_array(l, &w);
            CU_ASSERT_EQUAL(dc_vec_get_array(g, &w), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_mesh_global_to_local(m, g, l), DC_ERR_STATE);
            dc_vec_restore_array(g, &w);
        }
        /* plain vectors created on the mesh's layouts are fields of the mesh */
        {
            dc_layout_t *gl = NULL, *ll = NULL;
            dc_vec_t *g3 = NULL, *l3 = NULL;
            int rc1 = dc_mesh_get_layout(m, &gl), rc2 = dc_mesh_get_local_layout(m, &ll);
            if (rc1 == DC_SUCCESS)
                rc1 = dc_vec_create(gl, &g3);
            if (rc2 == DC_SUCCESS)
                rc2 = dc_vec_create(ll, &l3);
            if (dct_all(rc1 == DC_SUCCESS && rc2 == DC_SUCCESS)) {
                CU_ASSERT_EQUAL(dc_mesh_fill(m, g3, fill_fn, &ref), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(l3, SENT), DC_SUCCESS);
                rc = dc_mesh_global_to_local(m, g3, l3);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_halo(&ref, l3, "fields from dc_vec_create"));
            } else {
                CU_FAIL("dc_vec_create on the mesh's layouts");
            }
            dc_vec_destroy(&g3);
            dc_vec_destroy(&l3);
        }
        /* still no exchange under way after the refusals */
        CU_ASSERT_EQUAL(dc_mesh_global_to_local_end(m, g, l), DC_ERR_STATE);
        CU_ASSERT_EQUAL(dc_vec_set_all(l, SENT), DC_SUCCESS);
        rc = exchange(m, g, l, 0);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(check_halo(&ref, l, "after the state errors"));
    }
    dc_vec_destroy(&g);
    dc_vec_destroy(&l);
    dc_vec_destroy(&g2);
    dc_vec_destroy(&l2);
    dc_mesh_destroy(&m);
    ref_free(&ref);
    dc_env_destroy(&env);
}

/*
 * Exchanges of two meshes interleaved (begin A and B, the odd ranks B first; end A, end B), of
 * the same shape and of different shapes: each mesh's messages stay its own; a reverse exchange
 * (ADD) on one mesh while the other's forward exchange is under way.
 */
static void test_two_meshes(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t c[2];
    ref_t ref[2];
    int same;

    for (same = 0; same < 2 && env != NULL; same++) {
        dc_mesh_t *m[2] = {NULL, NULL};
        dc_vec_t *g[2] = {NULL, NULL}, *l[2] = {NULL, NULL};
        int k, ok = 1;

        for (k = 0; k < 2; k++) {
            cfg_init(&c[k], 2, 6 + (same ? 0 : k), 2 * dct_size + 1, 0, 1 + (same ? 0 : k), 1);
            c[k].periodic[0] = 1;
            c[k].periodic[1] = 1;
            c[k].shape = DC_MESH_BOX;
            c[k].what = k ? "mesh B" : "mesh A";
            ref_build(&ref[k], &c[k]);
            ref[k].shift = k * 1.0e6;
            m[k] = make_mesh(env, &c[k], &ref[k]);
            ok &= m[k] != NULL;
        }
        for (k = 0; k < 2 && ok; k++) {
            ok = make_fields(m[k], &g[k], &l[k]);
            if (ok) {
                CU_ASSERT_EQUAL(dc_mesh_fill(m[k], g[k], fill_fn, &ref[k]), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(l[k], SENT), DC_SUCCESS);
            }
        }
        if (ok) {
            int rc;
            int first = dct_rank % 2; /* the odd ranks begin B first */
            rc = dc_mesh_global_to_local_begin(m[first], g[first], l[first]);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            rc = dc_mesh_global_to_local_begin(m[1 - first], g[1 - first], l[1 - first]);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            rc = dc_mesh_global_to_local_end(m[0], g[0], l[0]);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(
                check_halo(&ref[0], l[0], same ? "interleaved A (same shape)" : "interleaved A"));
            /* B's forward exchange still under way: a reverse exchange on A */
            rc = dc_mesh_local_to_global(m[0], l[0], g[0], DC_MESH_ADD);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            rc = dc_mesh_global_to_local_end(m[1], g[1], l[1]);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(
                check_halo(&ref[1], l[1], same ? "interleaved B (same shape)" : "interleaved B"));
            CU_ASSERT(check_add(&ref[0], g[0], "A during B's exchange"));
        }
        for (k = 0; k < 2; k++) {
            dc_vec_destroy(&g[k]);
            dc_vec_destroy(&l[k]);
            dc_mesh_destroy(&m[k]);
            ref_free(&ref[k]);
        }
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- local to global */

/*
 * INSERT: a local field with f on the owned points and BAD elsewhere gives f (ghosts ignored);
 * global -> local -> global is the identity. ADD: every rank's local field holds f at its owned
 * points and at every ghost the exchange of this shape fills (f of the wrapped point), BAD at the
 * others (beyond non-periodic edges; edges and corners of a STAR mesh; all of an empty box's local
 * field, which has no ghosts); the result at a point is f times 1 + the number of ghost copies of
 * it in all ranks' ghosted boxes (periodic images on the owner itself included: the sum must not
 * depend on the distribution), whatever the global field held before.
 */
static void test_local_to_global(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t));
    int ncfg = halo_configs(cfgs), k;

    for (k = 0; k < ncfg && env != NULL; k++) {
        ref_t ref;
        dc_mesh_t *m;
        dc_vec_t *g = NULL, *l = NULL, *g2 = NULL, *l2 = NULL;
        char what[256];

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        m = make_mesh(env, &cfgs[k], &ref);
        if (m != NULL && make_fields(m, &g, &l) && make_fields(m, &g2, &l2)) {
            double *a = NULL;
            dc_gidx_t x[3], w[3];
            int64_t p = 0;
            int rc;

            /* INSERT of a local field with BAD ghosts */
            CU_ASSERT_EQUAL(dc_vec_get_array(l, &a), DC_SUCCESS);
            FOR_GHOSTED((&ref), dct_rank, x)
            {
                int kind = classify(&ref, dct_rank, x, w), c;
                for (c = 0; c < ref.dof; c++, p++)
                    a[p] = kind == P_OWNED ? fval(&ref, x, c) : BAD;
            }
            dc_vec_restore_array(l, &a);
            CU_ASSERT_EQUAL(dc_vec_set_all(g2, -1.0), DC_SUCCESS);
            rc = dc_mesh_local_to_global(m, l, g2, DC_MESH_INSERT);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(check_global(&ref, g2, 0, what));
            /* round trip of values that are not f */
            CU_ASSERT_EQUAL(dc_mesh_fill(m, g, fill_fn, &ref), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_scal(g, -0.25), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_set_all(g2, 0.0), DC_SUCCESS);
            rc = dc_mesh_global_to_local(m, g, l2);
            if (rc == DC_SUCCESS)
                rc = dc_mesh_local_to_global(m, l2, g2, DC_MESH_INSERT);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_axpy(g2, -1.0, g), DC_SUCCESS);
            {
                double s = -1.0;
                CU_ASSERT_EQUAL(dc_vec_asum(g2, &s), DC_SUCCESS);
                CU_ASSERT_EQUAL(s, 0.0);
            }

            /* ADD */
            {
                p = 0;
                CU_ASSERT_EQUAL(dc_vec_get_array(l, &a), DC_SUCCESS);
                FOR_GHOSTED((&ref), dct_rank, x)
                {
                    int kind = classify(&ref, dct_rank, x, w), c;
                    for (c = 0; c < ref.dof; c++, p++)
                        a[p] = exchanged(&ref, dct_rank, kind) ? fval(&ref, w, c) : BAD;
                }
                dc_vec_restore_array(l, &a);
                /* the result replaces what the global field held */
                CU_ASSERT_EQUAL(dc_vec_set_all(g2, 7.0), DC_SUCCESS);
                rc = dc_mesh_local_to_global(m, l, g2, DC_MESH_ADD);
                if (rc != DC_SUCCESS)
                    fprintf(stderr, "[rank %d] %s ADD: %s\n", dct_rank, what,
                            dc_env_last_error(env));
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(rc != DC_SUCCESS || check_add(&ref, g2, what));
            }
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&l);
        dc_vec_destroy(&g2);
        dc_vec_destroy(&l2);
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
    free(cfgs);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- natural ordering */

static int natural_configs(cfg_t *out)
{
    int m = special_configs(out);

    cfg_init(&out[m], 3, 5, 3, 4, 3, 1);
    out[m++].what = "3-D dof 3";
    cfg_init(&out[m], 2, 9, 2, 0, 1, 1);
    out[m].periodic[1] = 1;
    out[m++].what = "2-D";
    return m;
}

/* Gather to 0, to size - 1 and to all; scatter from each root; round trips. */
static void test_natural_gather_scatter(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t));
    int ncfg = natural_configs(cfgs), k;

    for (k = 0; k < ncfg && env != NULL; k++) {
        ref_t ref;
        dc_mesh_t *m;
        dc_vec_t *g = NULL, *l = NULL;
        char what[256];

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        m = make_mesh(env, &cfgs[k], &ref);
        if (m != NULL && make_fields(m, &g, &l)) {
            int64_t ntot = ref.n[0] * ref.n[1] * ref.n[2] * ref.dof, i;
            double *nat = malloc(sizeof(double) * (size_t)ntot);
            int roots[3] = {0, dct_size - 1, -1}, ri, rc;

            CU_ASSERT_EQUAL(dc_mesh_fill(m, g, fill_fn, &ref), DC_SUCCESS);
            for (ri = 0; ri < 3; ri++) {
                int root = roots[ri], me = root == -1 || root == dct_rank, bad = 0;
                for (i = 0; i < ntot; i++)
                    nat[i] = SENT;
                rc = dc_mesh_gather_natural(m, g, root, me ? nat : NULL);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                for (i = 0; i < ntot && me; i++)
                    if (nat[i] != 1.0 + (double)i)
                        bad++;
                if (bad)
                    fprintf(stderr, "[rank %d] %s: gather_natural root %d: %d wrong\n", dct_rank,
                            what, root, bad);
                CU_ASSERT_EQUAL(bad, 0);
            }
            for (ri = 0; ri < 2; ri++) {
                int root = roots[ri], me = root == dct_rank, bad = 0;
                for (i = 0; i < ntot; i++)
                    nat[i] = me ? hval(i) : SENT;
                CU_ASSERT_EQUAL(dc_vec_set_all(g, SENT), DC_SUCCESS);
                rc = dc_mesh_scatter_natural(m, root, me ? nat : NULL, g);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_global(&ref, g, 1, what));
                /* round trip: gather gives back what was scattered */
                for (i = 0; i < ntot; i++)
                    nat[i] = SENT;
                rc = dc_mesh_gather_natural(m, g, -1, nat);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                for (i = 0; i < ntot; i++)
                    if (nat[i] != hval(i))
                        bad++;
                CU_ASSERT_EQUAL(bad, 0);
            }
            free(nat);
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&l);
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
    free(cfgs);
    dc_env_destroy(&env);
}

static double hval_fill(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return hval(g);
}

/* Entry g of natural (any layout) against 1 + g. */
static int check_natural_vec(const dc_vec_t *nv, const char *what)
{
    dc_layout_t *lay = NULL;
    const double *a = NULL;
    size_t nl = 0, i;
    int bad = 0;

    if (dc_vec_get_layout(nv, &lay) != DC_SUCCESS || dc_vec_get_local_size(nv, &nl) != DC_SUCCESS ||
        dc_vec_get_array_read(nv, &a) != DC_SUCCESS)
        return 0;
    for (i = 0; i < nl; i++) {
        dc_gidx_t gi = -1;
        if (dc_layout_local_to_global(lay, dct_rank, i, &gi) != DC_SUCCESS ||
            a[i] != 1.0 + (double)gi) {
            if (bad++ < 3)
                fprintf(stderr, "[rank %d] %s: natural entry %lld: %g\n", dct_rank, what,
                        (long long)gi, a[i]);
        }
    }
    dc_vec_restore_array_read(nv, &a);
    return bad == 0;
}

/* Two global fields of m (collective); both NULL if either failed anywhere. */
static int two_globals(dc_mesh_t *m, dc_vec_t **g, dc_vec_t **g2)
{
    int rc1 = dc_mesh_create_global(m, g), rc2 = dc_mesh_create_global(m, g2);

    if (!dct_all(rc1 == DC_SUCCESS && rc2 == DC_SUCCESS)) {
        dc_vec_destroy(g);
        dc_vec_destroy(g2);
        return 0;
    }
    return 1;
}

/* global_to_natural / natural_to_global with block and cyclic natural vectors. */
static void test_natural_vec(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t *cfgs = calloc(MAXCFG, sizeof(cfg_t));
    int ncfg = natural_configs(cfgs), k;

    for (k = 0; k < ncfg && env != NULL; k++) {
        ref_t ref;
        dc_mesh_t *m;
        dc_vec_t *g = NULL, *g2 = NULL;
        char what[300];

        ref_build(&ref, &cfgs[k]);
        cfg_describe(&cfgs[k], &ref, what, sizeof(what));
        m = make_mesh(env, &cfgs[k], &ref);
        if (m != NULL && !two_globals(m, &g, &g2)) {
            CU_FAIL("dc_mesh_create_global");
        } else if (m != NULL) {
            int64_t ntot = ref.n[0] * ref.n[1] * ref.n[2] * ref.dof;
            int kind;
            for (kind = 0; kind < 2; kind++) {
                dc_layout_t *lay = NULL;
                dc_vec_t *nv = NULL;
                int rc = kind == 0 ? dc_layout_create_block(env, ntot, &lay)
                                   : dc_layout_create_cyclic(env, ntot, &lay);
                if (rc == DC_SUCCESS)
                    rc = dc_vec_create(lay, &nv);
                dc_layout_destroy(&lay);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                if (!dct_all(rc == DC_SUCCESS)) {
                    dc_vec_destroy(&nv);
                    continue;
                }
                CU_ASSERT_EQUAL(dc_mesh_fill(m, g, fill_fn, &ref), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(nv, SENT), DC_SUCCESS);
                rc = dc_mesh_global_to_natural(m, g, nv);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_natural_vec(nv, what));
                /* natural_to_global of another formula */
                CU_ASSERT_EQUAL(dc_vec_fill(nv, hval_fill, NULL), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(g, SENT), DC_SUCCESS);
                rc = dc_mesh_natural_to_global(m, nv, g);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_global(&ref, g, 1, what));
                /* round trip global -> natural -> global */
                CU_ASSERT_EQUAL(dc_vec_set_all(nv, SENT), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(g2, SENT), DC_SUCCESS);
                rc = dc_mesh_global_to_natural(m, g, nv);
                if (rc == DC_SUCCESS)
                    rc = dc_mesh_natural_to_global(m, nv, g2);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_global(&ref, g2, 1, what));
                dc_vec_destroy(&nv);
            }
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&g2);
        dc_mesh_destroy(&m);
        ref_free(&ref);
    }
    free(cfgs);
    dc_env_destroy(&env);
}

/* Natural-ordering errors: the same mistake on every rank, or a root differing on one. */
static void test_natural_errors(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t ca, cb;
    ref_t ref;
    dc_mesh_t *a = NULL, *b = NULL;
    dc_vec_t *ga = NULL, *la = NULL, *gb = NULL, *lb = NULL;
    int rc;

    cfg_init(&ca, 2, 3 * dct_size, 5, 0, 2, 1);
    ca.what = "mesh a";
    cfg_init(&cb, 2, 3 * dct_size + 1, 5, 0, 2, 1);
    cb.what = "mesh b";
    ref_build(&ref, &ca);
    if (env != NULL) {
        a = make_mesh(env, &ca, &ref);
        b = make_mesh(env, &cb, NULL);
    }
    if (a != NULL && b != NULL && make_fields(a, &ga, &la) && make_fields(b, &gb, &lb)) {
        int64_t ntot = ref.n[0] * ref.n[1] * ref.dof;
        double *nat = malloc(sizeof(double) * (size_t)ntot);
        dc_layout_t *lay = NULL;
        dc_vec_t *nv = NULL;

        CU_ASSERT_EQUAL(dc_mesh_gather_natural(NULL, ga, -1, nat), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_gather_natural(a, NULL, -1, nat), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_scatter_natural(NULL, 0, nat, ga), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_scatter_natural(a, 0, nat, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_global_to_natural(NULL, ga, ga), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_natural_to_global(NULL, ga, ga), DC_ERR_ARG);
        rc = dc_mesh_gather_natural(a, gb, -1, nat);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_gather_natural(a, la, -1, nat);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_gather_natural(a, ga, dct_size, nat);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_gather_natural(a, ga, -2, nat);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_gather_natural(a, ga, 0, dct_rank == 0 ? NULL : nat);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_scatter_natural(a, -1, nat, ga);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_scatter_natural(a, 0, dct_rank == 0 ? NULL : nat, ga);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_scatter_natural(a, 0, nat, la);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        if (dct_size > 1) {
            rc = dc_mesh_gather_natural(a, ga, dct_rank == dct_size - 1 ? 1 : 0, nat);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            rc = dc_mesh_scatter_natural(a, dct_rank == 0 ? 1 : 0, nat, ga);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        }
        /* a natural vector on another env */
        {
            dc_env_t *env2 = dct_env_create();
            rc = env2 != NULL ? dc_layout_create_block(env2, ntot, &lay) : DC_ERR_ARG;
            if (rc == DC_SUCCESS)
                rc = dc_vec_create(lay, &nv);
            dc_layout_destroy(&lay);
            if (dct_all(rc == DC_SUCCESS)) {
                rc = dc_mesh_global_to_natural(a, ga, nv);
                DCT_ASSERT_ALL(rc == DC_ERR_COMM);
                rc = dc_mesh_natural_to_global(a, nv, ga);
                DCT_ASSERT_ALL(rc == DC_ERR_COMM);
            } else {
                CU_FAIL("natural vector on a second env");
            }
            dc_vec_destroy(&nv);
            dc_env_destroy(&env2);
        }
        /* a natural vector of another size; a local field as the global one */
        rc = dc_layout_create_block(env, ntot + 1, &lay);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(lay, &nv);
        dc_layout_destroy(&lay);
        if (dct_all(rc == DC_SUCCESS)) {
            rc = dc_mesh_global_to_natural(a, ga, nv);
            DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
            rc = dc_mesh_natural_to_global(a, nv, ga);
            DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
        } else {
            CU_FAIL("natural vector");
        }
        dc_vec_destroy(&nv);
        rc = dc_layout_create_block(env, ntot, &lay);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(lay, &nv);
        dc_layout_destroy(&lay);
        if (dct_all(rc == DC_SUCCESS)) {
            rc = dc_mesh_global_to_natural(a, la, nv);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            rc = dc_mesh_natural_to_global(a, nv, gb);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            /* after all these refusals the mesh still works */
            CU_ASSERT_EQUAL(dc_mesh_fill(a, ga, fill_fn, &ref), DC_SUCCESS);
            rc = dc_mesh_global_to_natural(a, ga, nv);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(check_natural_vec(nv, "after the errors"));
        } else {
            CU_FAIL("natural vector");
        }
        dc_vec_destroy(&nv);
        free(nat);
    }
    dc_vec_destroy(&ga);
    dc_vec_destroy(&la);
    dc_vec_destroy(&gb);
    dc_vec_destroy(&lb);
    dc_mesh_destroy(&a);
    dc_mesh_destroy(&b);
    ref_free(&ref);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- bad input */

/* dc_mesh_create with params p (may be NULL) must give code on every rank and no mesh. */
static void expect_create(dc_env_t *env, int dim, const dc_gidx_t *n, int dof, int width,
                          const dc_mesh_params_t *p, int code, const char *what)
{
    dc_mesh_t *m = NULL;
    int rc = dc_mesh_create(env, dim, n, dof, width, p, &m);

    if (rc != code)
        fprintf(stderr, "[rank %d] %s: dc_mesh_create gave %s, expected %s\n", dct_rank, what,
                dc_strerror(rc), dc_strerror(code));
    DCT_ASSERT_ALL(rc == code);
    CU_ASSERT_PTR_NULL(m);
    dc_mesh_destroy(&m);
}

static void test_create_errors(void)
{
    dc_env_t *env = dct_env_create();
    int P = dct_size, last = dct_size - 1, q;
    dc_gidx_t n[3] = {4 * P, 5, 6}, cnt[3][8];
    dc_mesh_params_t p;
    dc_mesh_t *m = NULL;

    if (env == NULL)
        return;
    /* out of range */
    expect_create(env, 0, n, 1, 1, NULL, DC_ERR_ARG, "dim 0");
    expect_create(env, 4, n, 1, 1, NULL, DC_ERR_ARG, "dim 4");
    expect_create(env, 2, n, 0, 1, NULL, DC_ERR_ARG, "dof 0");
    expect_create(env, 2, n, 1, -1, NULL, DC_ERR_ARG, "width -1");
    expect_create(env, 2, NULL, 1, 1, NULL, DC_ERR_ARG, "n NULL");
    CU_ASSERT_EQUAL(dc_mesh_create(env, 2, n, 1, 1, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_mesh_create(NULL, 2, n, 1, 1, NULL, &m), DC_ERR_ARG);
    CU_ASSERT_PTR_NULL(m);
    {
        dc_gidx_t n0[2] = {4 * P, 0};
        expect_create(env, 2, n0, 1, 0, NULL, DC_ERR_ARG, "n[1] = 0");
    }
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_MESH_PARAM_SHAPE;
    p.shape = (dc_mesh_shape_t)2;
    expect_create(env, 2, n, 1, 1, &p, DC_ERR_ARG, "shape 2");
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_MESH_PARAM_PERIODIC;
    p.periodic[0] = 2;
    expect_create(env, 2, n, 1, 1, &p, DC_ERR_ARG, "periodic[0] = 2");
    p.periodic[0] = 0;
    p.periodic[2] = 1;
    expect_create(env, 2, n, 1, 1, &p, DC_ERR_ARG, "periodic[2] = 1 beyond dim 2");
    /* process grids */
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_MESH_PARAM_PROCS;
    p.procs[0] = P + 1;
    expect_create(env, 1, n, 1, 1, &p, DC_ERR_ARG, "procs product != size");
    p.procs[0] = P;
    p.procs[1] = 2;
    expect_create(env, 1, n, 1, 1, &p, DC_ERR_ARG, "procs[1] = 2 beyond dim 1");
    p.procs[0] = -1;
    p.procs[1] = 0;
    expect_create(env, 2, n, 1, 1, &p, DC_ERR_ARG, "procs[0] < 0");
    /* a grid smaller than the process grid (balanced counts) */
    if (P > 1) {
        dc_gidx_t small[2] = {1, 1};
        expect_create(env, 2, small, 1, 0, NULL, DC_ERR_SIZE, "n 1 x 1");
        p.procs[0] = 1;
        p.procs[1] = P;
        small[0] = 8;
        small[1] = P - 1;
        expect_create(env, 2, small, 1, 1, &p, DC_ERR_SIZE, "n[1] < procs[1]");
    }
    /* width larger than the smallest box: boxes of 2, width 3 */
    {
        dc_gidx_t n1 = 2 * P;
        expect_create(env, 1, &n1, 1, 3, NULL, DC_ERR_SIZE, "width 3 > boxes of 2");
    }
    /* counts */
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
    p.procs[0] = P;
    for (q = 0; q < P; q++)
        cnt[0][q] = 4;
    cnt[0][last] = 5; /* sums to 4 P + 1 */
    p.counts[0] = cnt[0];
    expect_create(env, 1, n, 1, 1, &p, DC_ERR_SIZE, "counts not summing to n");
    if (P > 1) {
        cnt[0][last] = 3;
        cnt[0][0] = 5; /* sums to n, and the box of 3 is the smallest */
        expect_create(env, 1, n, 1, 4, &p, DC_ERR_SIZE, "width 4 > a counted box of 3");
        /* a non-empty box of 1 and width 2 */
        for (q = 0; q < P; q++)
            cnt[0][q] = 4;
        cnt[0][0] = 7;
        cnt[0][last] = 1;
        expect_create(env, 1, n, 1, 2, &p, DC_ERR_SIZE, "width 2 > a counted box of 1");
        /* a negative count in a sum that is right */
        for (q = 0; q < P; q++)
            cnt[0][q] = 4;
        cnt[0][0] = 9;
        cnt[0][last] = -1;
        expect_create(env, 1, n, 1, 0, &p, DC_ERR_ARG, "a negative count");
    }
    /* counts without procs */
    for (q = 0; q < P; q++)
        cnt[0][q] = 4;
    p.field_mask = DC_MESH_PARAM_COUNTS;
    p.procs[0] = 0;
    expect_create(env, 1, n, 1, 1, &p, DC_ERR_ARG, "counts without procs");
    /* counts with a procs entry left free */
    p.field_mask = DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
    expect_create(env, 1, n, 1, 1, &p, DC_ERR_ARG, "counts with procs[0] = 0");

    /* a width near INT_MAX: the ghosted extent count + 2 width is computed in dc_gidx_t (an int
     * 2 * width overflowed: gcount came out 2 less than count, and the size check let through a
     * local field of more than INT64_MAX / 4 values). Rank 0 owns everything (empty boxes
     * elsewhere), so no field is ever allocated. */
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
    p.procs[0] = P;
    for (q = 0; q < P; q++)
        cnt[2][q] = 0;
    p.counts[0] = cnt[2];
    {
        const dc_gidx_t wmax = INT_MAX;
        dc_gidx_t nb = (dc_gidx_t)1 << 40;
        dc_mesh_info_t info;
        int rc, ok;
        cnt[2][0] = nb;
        rc = dc_mesh_create(env, 1, &nb, 1, INT_MAX, &p, &m);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        ok = rc == DC_SUCCESS && dc_mesh_get_info(m, &info) == DC_SUCCESS &&
             info.gstart[0] == info.start[0] - wmax && info.gcount[0] == info.count[0] + 2 * wmax &&
             info.nghosted == (size_t)info.gcount[0];
        DCT_ASSERT_ALL(ok);
        dc_mesh_destroy(&m);
        /* (nb + 2 width) * dof = 2^61 + 16 values on rank 0: too large to address in bytes */
        nb = ((dc_gidx_t)1 << 60) - ((dc_gidx_t)1 << 32) + 10;
        cnt[2][0] = nb;
        expect_create(env, 1, &nb, 2, INT_MAX, &p, DC_ERR_SIZE, "width INT_MAX, 2^61 + 16 ghosted");
    }

    /* n[1] = INT64_MAX: too many values, and the choice of the process grid must not overflow
     * on the way there (it rounded n[1] / procs[1] up as (n + p - 1) / p: signed overflow, seen
     * by -fsanitize=undefined at more than one rank) */
    {
        dc_gidx_t nbig[2] = {2 * P, INT64_MAX};
        expect_create(env, 2, nbig, 1, 1, NULL, DC_ERR_SIZE, "n[1] = INT64_MAX");
    }

    /* arguments differing on one rank: the same code everywhere, no hang */
    if (P > 1) {
        dc_gidx_t nd[3] = {4 * P, 5, 6};
        dc_mesh_params_t pd;
        if (dct_rank == last)
            nd[0] = 4 * P + 1;
        expect_create(env, 2, nd, 1, 1, NULL, DC_ERR_ARG, "n[0] differs on the last rank");
        nd[0] = 4 * P;
        expect_create(env, 2, nd, dct_rank == 0 ? 2 : 1, 1, NULL, DC_ERR_ARG,
                      "dof differs on rank 0");
        expect_create(env, 2, nd, 1, dct_rank == last ? 0 : 1, NULL, DC_ERR_ARG,
                      "width differs on the last rank");
        expect_create(env, dct_rank == last ? 3 : 2, nd, 1, 1, NULL, DC_ERR_ARG,
                      "dim differs on the last rank");
        memset(&pd, 0, sizeof(pd));
        pd.field_mask = DC_MESH_PARAM_PERIODIC;
        pd.periodic[1] = dct_rank == 0;
        expect_create(env, 2, nd, 1, 1, &pd, DC_ERR_ARG, "periodic differs on rank 0");
        pd.field_mask = DC_MESH_PARAM_SHAPE;
        pd.shape = dct_rank == last ? DC_MESH_BOX : DC_MESH_STAR;
        expect_create(env, 2, nd, 1, 1, &pd, DC_ERR_ARG, "shape differs on the last rank");
        expect_create(env, 2, nd, 1, 1, dct_rank == last ? &pd : NULL, DC_ERR_ARG,
                      "params NULL except on the last rank");
        memset(&pd, 0, sizeof(pd));
        pd.field_mask = DC_MESH_PARAM_PROCS | DC_MESH_PARAM_COUNTS;
        pd.procs[0] = P;
        pd.procs[1] = 1;
        for (q = 0; q < P; q++)
            cnt[1][q] = 4;
        if (dct_rank == last) {
            cnt[1][0] = 5;
            cnt[1][1] = 3;
        }
        pd.counts[0] = cnt[1];
        expect_create(env, 2, nd, 1, 1, &pd, DC_ERR_ARG, "counts differ on the last rank");
        pd.field_mask = DC_MESH_PARAM_PROCS;
        pd.procs[0] = dct_rank == last ? 1 : P;
        pd.procs[1] = dct_rank == last ? P : 1;
        expect_create(env, 2, nd, 1, 1, &pd, DC_ERR_ARG, "procs differ on the last rank");
    }
    dc_env_destroy(&env);
}

/* Field and exchange errors: the same mistake on every rank. */
static void test_field_errors(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t ca, cb;
    ref_t ref;
    dc_mesh_t *a = NULL, *b = NULL;
    dc_vec_t *ga = NULL, *la = NULL, *gb = NULL, *lb = NULL;
    dc_mesh_info_t info;
    dc_gidx_t s[3], cn[3];
    int rc;

    cfg_init(&ca, 2, 3 * dct_size, 5, 0, 2, 1);
    ca.what = "mesh a";
    cfg_init(&cb, 2, 3 * dct_size + 1, 5, 0, 2, 1);
    cb.what = "mesh b";
    ref_build(&ref, &ca);
    if (env != NULL) {
        a = make_mesh(env, &ca, &ref);
        b = make_mesh(env, &cb, NULL);
    }
    if (a != NULL && b != NULL && make_fields(a, &ga, &la) && make_fields(b, &gb, &lb)) {
        dc_layout_t *lay = NULL;
        dc_vec_t *nv = NULL;

        /* local getters */
        CU_ASSERT_EQUAL(dc_mesh_get_info(NULL, &info), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_info(a, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_box(a, -1, s, cn), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_box(a, dct_size, s, cn), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_box(a, 0, NULL, cn), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_box(a, 0, s, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_box(NULL, 0, s, cn), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_layout(NULL, &lay), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_layout(a, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_get_local_layout(NULL, &lay), DC_ERR_ARG);
        {
            dc_env_t *e = NULL;
            CU_ASSERT_EQUAL(dc_mesh_get_env(NULL, &e), DC_ERR_ARG);
            CU_ASSERT_EQUAL(dc_mesh_get_env(a, NULL), DC_ERR_ARG);
            CU_ASSERT_PTR_NULL(e);
        }
        CU_ASSERT_EQUAL(dc_mesh_create_global(NULL, &nv), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_create_local(NULL, &nv), DC_ERR_ARG);
        CU_ASSERT_PTR_NULL(nv);
        /* fill */
        CU_ASSERT_EQUAL(dc_mesh_fill(a, ga, NULL, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_fill(a, la, fill_fn, &ref), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_fill(a, gb, fill_fn, &ref), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_fill(NULL, ga, fill_fn, &ref), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_fill(a, NULL, fill_fn, &ref), DC_ERR_ARG);
        {
            double *w = NULL;
            CU_ASSERT_EQUAL(dc_vec_get_array(ga, &w), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_mesh_fill(a, ga, fill_fn, &ref), DC_ERR_STATE);
            dc_vec_restore_array(ga, &w);
        }
        /* NULL handles fail at once (all ranks pass them, so nobody waits) */
        CU_ASSERT_EQUAL(dc_mesh_global_to_local(NULL, ga, la), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_global_to_local(a, NULL, la), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_global_to_local(a, ga, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_global_to_local_begin(NULL, ga, la), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_global_to_local_end(NULL, ga, la), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_mesh_local_to_global(NULL, la, ga, DC_MESH_INSERT), DC_ERR_ARG);
        /* mismatched fields */
        rc = dc_mesh_global_to_local(a, gb, la);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_global_to_local(a, ga, lb);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_global_to_local(a, la, la);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_global_to_local(a, ga, ga);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_global_to_local_begin(a, gb, la);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_global_to_local_end(a, ga, la); /* nothing under way after the refusal */
        DCT_ASSERT_ALL(rc == DC_ERR_STATE);
        rc = dc_mesh_local_to_global(a, lb, ga, DC_MESH_INSERT);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_local_to_global(a, la, gb, DC_MESH_ADD);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_local_to_global(a, ga, la, DC_MESH_INSERT);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        rc = dc_mesh_local_to_global(a, la, ga, (dc_mesh_insert_t)2);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        /* after all these refusals the mesh still works */
        CU_ASSERT_EQUAL(dc_mesh_fill(a, ga, fill_fn, &ref), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_vec_set_all(la, SENT), DC_SUCCESS);
        rc = dc_mesh_global_to_local(a, ga, la);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(check_halo(&ref, la, "after the errors"));
        /* fields of another mesh of the same shape are on congruent layouts: fields of a too */
        {
            dc_mesh_t *c = make_mesh(env, &ca, &ref);
            dc_vec_t *gc = NULL, *lc = NULL;
            if (c != NULL && make_fields(c, &gc, &lc)) {
                CU_ASSERT_EQUAL(dc_mesh_fill(c, gc, fill_fn, &ref), DC_SUCCESS);
                CU_ASSERT_EQUAL(dc_vec_set_all(lc, SENT), DC_SUCCESS);
                rc = dc_mesh_global_to_local(a, gc, lc);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_halo(&ref, lc, "fields of a congruent mesh"));
            }
            dc_vec_destroy(&gc);
            dc_vec_destroy(&lc);
            dc_mesh_destroy(&c);
        }
    }
    dc_vec_destroy(&ga);
    dc_vec_destroy(&la);
    dc_vec_destroy(&gb);
    dc_vec_destroy(&lb);
    dc_mesh_destroy(&a);
    dc_mesh_destroy(&b);
    ref_free(&ref);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- lifetime */

/*
 * Fields keep the mesh's layouts alive after dc_mesh_destroy (a field is a plain dc_vec_t on them:
 * it holds the layout, not the mesh). An operator built on the mesh keeps the mesh itself alive:
 * then the released handle is refused, and a second destroy through a copy is DC_ERR_ARG and
 * changes nothing.
 */
static void test_destroy(void)
{
    dc_env_t *env = dct_env_create();
    cfg_t c;
    ref_t ref;
    dc_mesh_t *m = NULL, *copy;
    dc_vec_t *g = NULL, *l = NULL;
    dc_mesh_info_t info;

    cfg_init(&c, 3, 4, 3, 2 * dct_size, 2, 1);
    c.what = "lifetime";
    ref_build(&ref, &c);
    CU_ASSERT_EQUAL(dc_mesh_destroy(NULL), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_mesh_destroy(&m), DC_SUCCESS);
    if (env != NULL)
        m = make_mesh(env, &c, &ref);
    if (m != NULL && make_fields(m, &g, &l)) {
        dc_layout_t *vl = NULL;
        dc_gidx_t n = ref.n[0] * ref.n[1] * ref.n[2] * ref.dof, gn = 0;
        size_t nl = 0;
        double s = 0.0;
        int rc;

        CU_ASSERT_EQUAL(dc_mesh_get_info(m, &info), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_mesh_fill(m, g, fill_fn, &ref), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_mesh_destroy(&m), DC_SUCCESS);
        CU_ASSERT_PTR_NULL(m);
        /* the layouts live on with the fields */
        CU_ASSERT_EQUAL(dc_vec_get_layout(g, &vl), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_layout_get_global_size(vl, &gn), DC_SUCCESS);
        CU_ASSERT_EQUAL(gn, n);
        CU_ASSERT_EQUAL(dc_layout_get_local_size(vl, &nl), DC_SUCCESS);
        CU_ASSERT_EQUAL(nl, info.nlocal);
        CU_ASSERT_EQUAL(dc_vec_get_layout(l, &vl), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_layout_get_local_size(vl, &nl), DC_SUCCESS);
        CU_ASSERT_EQUAL(nl, info.nghosted);
        CU_ASSERT(check_global(&ref, g, 0, "after dc_mesh_destroy"));
        /* a collective on the field still works: the sum of 1 + i over the natural indices */
        rc = dc_vec_sum(g, &s);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT_EQUAL(s, (double)n * (double)(n + 1) / 2.0);
        CU_ASSERT_EQUAL(dc_vec_set_all(l, 1.0), DC_SUCCESS);
    }
    dc_vec_destroy(&g);
    dc_vec_destroy(&l);
    dc_mesh_destroy(&m);

    /* an operator holds the mesh: the copy of the released handle stays refused */
    if (env != NULL)
        m = make_mesh(env, &c, &ref);
    if (m != NULL) {
        dc_stencil_t st;
        dc_op_t *op = NULL;
        double h[3] = {1.0, 1.0, 1.0};
        int rc = dc_stencil_laplacian(3, 7, h, 0.0, &st);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_op_create_stencil(m, &st, &op);
        if (dct_all(rc == DC_SUCCESS)) {
            copy = m;
            CU_ASSERT_EQUAL(dc_mesh_destroy(&m), DC_SUCCESS);
            CU_ASSERT_PTR_NULL(m);
            CU_ASSERT_EQUAL(dc_mesh_destroy(&copy), DC_ERR_ARG);
            CU_ASSERT_PTR_NOT_NULL(copy);
            CU_ASSERT_EQUAL(dc_mesh_get_info(copy, &info), DC_ERR_ARG);
            CU_ASSERT_EQUAL(dc_mesh_create_global(copy, &g), DC_ERR_ARG);
            CU_ASSERT_PTR_NULL(g);
        } else {
            CU_FAIL("dc_mesh_op_create_stencil");
        }
        dc_op_destroy(&op); /* frees the mesh */
    }
    dc_mesh_destroy(&m);
    ref_free(&ref);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("mesh", NULL, NULL);

    CU_add_test(s, "boxes, info, tiling, layouts", test_boxes);
    CU_add_test(s, "default process grid of 2^k - 1 sizes", test_default_grid);
    CU_add_test(s, "fill order and distributed ordering", test_fill_order);
    CU_add_test(s, "halo exchange (1-3-D, dof, width, STAR/BOX, periodic)", test_halo);
    CU_add_test(s, "begin/end and exchange state", test_begin_end);
    CU_add_test(s, "two meshes' exchanges interleaved", test_two_meshes);
    CU_add_test(s, "local_to_global INSERT and ADD", test_local_to_global);
    CU_add_test(s, "natural ordering: gather and scatter", test_natural_gather_scatter);
    CU_add_test(s, "natural ordering: global_to_natural and back", test_natural_vec);
    CU_add_test(s, "create: bad input", test_create_errors);
    CU_add_test(s, "fields and exchanges: bad input", test_field_errors);
    CU_add_test(s, "natural ordering: bad input", test_natural_errors);
    CU_add_test(s, "destroy and lifetime", test_destroy);
}
