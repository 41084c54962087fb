/*
 * Geometric multigrid preconditioner (DC_PC_MG): one V-cycle on a hierarchy of vertex-centred
 * Dirichlet grids rediscretised from a dc_stencil_laplacian() stencil operator.
 *
 * Levels. Fine points sit at x_i = (i + 1) h, h = L / (n + 1) per dimension; the next level has
 * n_c = floor((n - 1) / 2) points at spacing L / (n_c + 1) (nested when n is odd: coarse j sits
 * on fine 2j + 1; for even n the grids are not nested and everything still works). All
 * dimensions coarsen together while every dimension keeps >= 1 point, until a level has
 * <= mg_coarse_size points (or mg_levels levels). The hierarchy depends on the global sizes only.
 * Coarse operators: the same Laplacian kind and shift at the coarse spacings. With dof > 1 values
 * per point every component is smoothed, transferred and solved on its own (as the stencil
 * acts), the values of a point stored together.
 *
 * Transfers. P interpolates linearly by coordinates in each dimension (a fine point between
 * coarse points j and j + 1 takes the weights of the distances; coarse points beyond the edge
 * are the Dirichlet zero), tensor product in 2-D/3-D; R = c P^T with c = prod_d
 * (n_c,d + 1) / (n_d + 1) (full weighting when nested). Both run dimension by dimension; every
 * value is computed from its inputs in increasing index order, at the rank that owns it, so the
 * bits do not depend on the distribution.
 *
 * Smoothers: weighted Jacobi, or Chebyshev of degree mg_smooth_steps in D^-1 A on
 * [MG_CHEB_LOW * lmax, lmax], lmax the stencil's symbol at the highest frequency (for these
 * Laplacian stencils, whose off-diagonal terms are <= 0, the largest value of the symbol: an
 * upper bound of the spectrum of D^-1 A that needs no estimate; it is the Gershgorin bound for
 * the 3-/5-/7-point stencils). The pre-smoother starts from zero and the post-smoother applies
 * the same polynomial, and the coarsest level is solved exactly, so the V-cycle is symmetric
 * positive definite (a valid CG preconditioner).
 *
 * Distribution. Each level is split over the same process grid as the operator's mesh: a
 * coarse point belongs to the rank that owns the fine point nearest to it (per dimension
 * slabs). When a level has fewer than mg_agglomerate points per rank holding points, pairs of
 * neighbouring slabs merge (repeatedly, along the dimension with most slabs) until it has enough
 * or sits on one rank; the ranks left without points take part only in the transfers. All data
 * movement is one mechanism, a box-intersection exchange (mg_xfer_t): every rank knows every
 * rank's box on every level and what each rank requests (halo faces, the fine region a
 * restriction needs, the coarse region an interpolation needs), so plans are built locally at
 * setup without any collective; coarse levels need no dc_mesh. Level arrays carry their own
 * geometry (the owned box plus what the transfers need, which agglomeration can make larger than
 * one ghost layer), and the smoother iterates in place between two such arrays while the
 * right-hand side stays in the caller's owned layout: the stencil operators' kernels
 * (stencil_impl.h) want a mesh's ghosted layout and b and the output in the same layout, so
 * reusing them would add copies of the finest level. The row kernels here follow the same rule:
 * each output sums its terms in a fixed order (increasing memory offset), so they are pointwise
 * reproducible.
 *
 * Coarsest level: redundant direct solve. Its right-hand side is gathered on every rank, solved
 * with a banded Cholesky factorisation (natural order, bandwidth the largest stencil offset),
 * factored once at setup in plain C, identical on every rank. A V-cycle is therefore bitwise
 * identical for any rank count and split, in every reproducibility mode.
 */
#include <math.h>
#include <stdlib.h>

#include "op_impl.h"
#include "stencil_impl.h"
#include "vec_impl.h"
#include "dc_testhook.h"

#define MG_TAG      0x4d47            /* on the hierarchy's private communicator */
#define MG_MAXREQ   6                 /* boxes one rank requests in one exchange */
#define MG_CHUNK    256               /* row chunk of the stencil kernels (stays in L1) */
#define MG_CHEB_LOW 0.2               /* Chebyshev interval [MG_CHEB_LOW * lmax, lmax] */
#define MG_MAX_BAND ((size_t)1 << 27) /* doubles of the coarse factor (1 GiB) */
/* Loops the compiler should vectorise (the library's -O2 cost model leaves loops with a scalar
 * remainder alone), also in an AVX2 version picked at load time: no FMA contraction, so every
 * version computes the same bits. */
#if defined(__GNUC__) && !defined(__clang__)
#define MG_VEC_FN                                                                                  \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic", "fp-contract=off")))
#else
#define MG_VEC_FN
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define MG_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MG_CLONES
#endif

/* A box of global indices, [lo, hi) per dimension; dimensions beyond dim are [0, 1). Arrays
 * are stored lexicographically over their geometry box (x fastest). */
typedef struct {
    dc_gidx_t lo[3], hi[3];
} mg_box_t;

/* Per-dimension slabs over the process grid: off[d][c] .. off[d][c + 1] for coordinate c. */
typedef struct {
    int P[3];
    dc_gidx_t *off[3];
} mg_dist_t;

/* A box-intersection exchange: what this rank receives from and sends to each peer, each
 * message the concatenation of its pieces in the receiver's request order. */
typedef struct {
    int nrecv, nsend, nself;
    int *rpeer, *speer;
    size_t *roff, *soff; /* nrecv + 1 / nsend + 1 prefix offsets in doubles */
    int *rpc, *spc;      /* prefix offsets into rpiece / spiece */
    mg_box_t *rpiece, *spiece, *self;
    double *rbuf, *sbuf;
    MPI_Request *req;
    mg_box_t sg, dg; /* geometry of the source and destination arrays */
    int dof;         /* values per point */
} mg_xfer_t;

/* A 1-D linear map: out[o] = sum_{m < cnt[o]} w[off[o] + m] in[lo[o] + m]. */
typedef struct {
    dc_gidx_t n;
    dc_gidx_t *lo;
    int *cnt;
    size_t *off;
    double *w;
} mg_map_t;

typedef struct mg_level {
    dc_gidx_t n[3];
    int dof; /* values per point (the stencil acts on each alone) */
    double h[3];
    mg_box_t own;
    dc_stencil_t st;
    int nterms;
    int toff[DC_STENCIL_MAX][3]; /* terms sorted by memory order (z, y, x) */
    double tcoef[DC_STENCIL_MAX];
    ptrdiff_t off[DC_STENCIL_MAX]; /* their offsets in this level's x arrays */
    double inv_c0, lmax;
    double *alpha, *beta; /* smoother coefficients of steps 0 .. steps - 1 */
    mg_box_t xg;          /* x arrays: own +- 1 and what the finer level interpolates from */
    double *x[2];
    double *b;   /* own box (level 0: the caller's r) */
    mg_box_t rg; /* residual: own box and what the restriction needs */
    double *r;
    mg_xfer_t halo;
    /* transfer to the next coarser level */
    mg_map_t rmap[3], pmap[3]; /* restriction (coarse <- fine), prolongation (fine <- coarse) */
    mg_xfer_t restr;           /* fills r's restriction region */
    mg_xfer_t prol;            /* fills the coarser x's interpolation region */
    mg_box_t fbox;             /* restriction input region (fine) */
    mg_box_t cbox;             /* interpolation input region (coarse, unclipped) */
    double *tmp[2];            /* intermediate results of the transfer passes */
} mg_level_t;

struct dci_mg {
    dc_env_t *env;
    MPI_Comm comm;
    int dim, dof, nlev, steps, smoother, box_shape, rank, size;
    mg_level_t *lev;
    mg_dist_t *dist;
    /* coarsest level */
    size_t ncoarse, bw;
    double *band; /* Cholesky factor, column j: rows j .. j + bw at band[j * (bw + 1)] */
    double *nat;  /* natural-order right-hand side / solution */
    double *xf;   /* the solution with a zero border (geometry xfg) */
    mg_box_t xfg;
    mg_xfer_t gather;
};

/* ---------------------------------------------------------------- boxes */

static int box_empty(const mg_box_t *b)
{
    return b->hi[0] <= b->lo[0] || b->hi[1] <= b->lo[1] || b->hi[2] <= b->lo[2];
}

static size_t box_size(const mg_box_t *b)
{
    if (box_empty(b))
        return 0;
    return (size_t)(b->hi[0] - b->lo[0]) * (size_t)(b->hi[1] - b->lo[1]) *
           (size_t)(b->hi[2] - b->lo[2]);
}

static mg_box_t box_isect(const mg_box_t *a, const mg_box_t *b)
{
    mg_box_t c;
    int d;

    for (d = 0; d < 3; d++) {
        c.lo[d] = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
        c.hi[d] = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];
    }
    return c;
}

/* Smallest box holding a and b (an empty one is ignored). */
static mg_box_t box_hull(const mg_box_t *a, const mg_box_t *b)
{
    mg_box_t c;
    int d;

    if (box_empty(a))
        return *b;
    if (box_empty(b))
        return *a;
    for (d = 0; d < 3; d++) {
        c.lo[d] = a->lo[d] < b->lo[d] ? a->lo[d] : b->lo[d];
        c.hi[d] = a->hi[d] > b->hi[d] ? a->hi[d] : b->hi[d];
    }
    return c;
}

/* b grown by g in the first dim dimensions (empty stays empty). */
static mg_box_t box_grow(const mg_box_t *b, int dim, dc_gidx_t g)
{
    mg_box_t c = *b;
    int d;

    if (box_empty(b))
        return c;
    for (d = 0; d < dim; d++) {
        c.lo[d] -= g;
        c.hi[d] += g;
    }
    return c;
}

static mg_box_t box_domain(const dc_gidx_t *n)
{
    mg_box_t b;
    int d;

    for (d = 0; d < 3; d++) {
        b.lo[d] = 0;
        b.hi[d] = n[d];
    }
    return b;
}

/* Offset of point (i, j, k) in an array of geometry g. */
static inline size_t box_index(const mg_box_t *g, dc_gidx_t i, dc_gidx_t j, dc_gidx_t k)
{
    size_t p = (size_t)(k - g->lo[2]);
    p = p * (size_t)(g->hi[1] - g->lo[1]) + (size_t)(j - g->lo[1]);
    return p * (size_t)(g->hi[0] - g->lo[0]) + (size_t)(i - g->lo[0]);
}

/* Copy piece p (dof values per point) from src (geometry sg) to dst (geometry dg); either may
 * be a packed buffer (geometry p itself). */
static void box_copy(const mg_box_t *p, int dof, const double *src, const mg_box_t *sg, double *dst,
                     const mg_box_t *dg)
{
    size_t n0 = (size_t)(p->hi[0] - p->lo[0]) * (size_t)dof;
    dc_gidx_t j, k;

    for (k = p->lo[2]; k < p->hi[2]; k++)
        for (j = p->lo[1]; j < p->hi[1]; j++)
            memcpy(dst + box_index(dg, p->lo[0], j, k) * (size_t)dof,
                   src + box_index(sg, p->lo[0], j, k) * (size_t)dof, n0 * sizeof(double));
}

static mg_box_t dist_box(const mg_dist_t *ds, int r)
{
    mg_box_t b;
    int c[3], d;

    c[0] = r % ds->P[0];
    c[1] = (r / ds->P[0]) % ds->P[1];
    c[2] = r / (ds->P[0] * ds->P[1]);
    for (d = 0; d < 3; d++) {
        b.lo[d] = ds->off[d][c[d]];
        b.hi[d] = ds->off[d][c[d] + 1];
    }
    return b;
}

/* ---------------------------------------------------------------- exchanges */

static void xfer_free(mg_xfer_t *x)
{
    dci_free(x->rpeer);
    dci_free(x->speer);
    dci_free(x->roff);
    dci_free(x->soff);
    dci_free(x->rpc);
    dci_free(x->spc);
    dci_free(x->rpiece);
    dci_free(x->spiece);
    dci_free(x->self);
    dci_free(x->rbuf);
    dci_free(x->sbuf);
    dci_free(x->req);
    memset(x, 0, sizeof(*x));
}

/* Requests of rank r for one exchange (see mg_requests). */
typedef int (*mg_req_fn)(const struct dci_mg *mg, int l, int r, mg_box_t *req);

/*
 * Plan: rank r requests the boxes reqfn(r) of the data distributed as src (array geometry sg
 * on the owner) into an array of geometry dg. in_place: source and destination are the same
 * array (nothing is copied from this rank to itself). Local (no communication).
 */
static int xfer_build(struct dci_mg *mg, int l, const mg_dist_t *src, mg_req_fn reqfn,
                      const mg_box_t *sg, const mg_box_t *dg, int in_place, mg_xfer_t *x)
{
    dc_env_t *env = mg->env;
    mg_box_t req[MG_MAXREQ], mine, own = dist_box(src, mg->rank), p;
    int nreq, q, r, pass, np;
    int rc = DC_SUCCESS;

    memset(x, 0, sizeof(*x));
    x->sg = *sg;
    x->dg = *dg;
    x->dof = mg->dof;
    nreq = reqfn(mg, l, mg->rank, req);
    /* two passes: count, then fill */
    for (pass = 0; pass < 2; pass++) {
        int nr = 0, ns = 0, nrp = 0, nsp = 0, nself = 0;
        size_t rv = 0, sv = 0;
        for (r = 0; r < mg->size; r++) {
            int got = 0, sent = 0;
            mg_box_t oreq[MG_MAXREQ];
            int onreq;
            mine = dist_box(src, r);
            for (q = 0; q < nreq; q++) {
                p = box_isect(&req[q], &mine);
                if (box_empty(&p))
                    continue;
                if (r == mg->rank) {
                    if (!in_place) {
                        if (pass)
                            x->self[nself] = p;
                        nself++;
                    }
                    continue;
                }
                if (pass)
                    x->rpiece[nrp] = p;
                nrp++;
                rv += box_size(&p) * (size_t)mg->dof;
                got = 1;
            }
            if (got) {
                if (pass) {
                    x->rpeer[nr] = r;
                    x->roff[nr + 1] = rv;
                    x->rpc[nr + 1] = nrp;
                }
                nr++;
            }
            if (r == mg->rank)
                continue;
            onreq = reqfn(mg, l, r, oreq);
            for (q = 0; q < onreq; q++) {
                p = box_isect(&oreq[q], &own);
                if (box_empty(&p))
                    continue;
                if (pass)
                    x->spiece[nsp] = p;
                nsp++;
                sv += box_size(&p) * (size_t)mg->dof;
                sent = 1;
            }
            if (sent) {
                if (pass) {
                    x->speer[ns] = r;
                    x->soff[ns + 1] = sv;
                    x->spc[ns + 1] = nsp;
                }
                ns++;
            }
        }
        if (pass == 0) {
            x->nrecv = nr;
            x->nsend = ns;
            x->nself = nself;
            np = nr + ns;
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nr + 1, sizeof(int), (void **)&x->rpeer), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)ns + 1, sizeof(int), (void **)&x->speer), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nr + 1, sizeof(size_t), (void **)&x->roff), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)ns + 1, sizeof(size_t), (void **)&x->soff), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nr + 1, sizeof(int), (void **)&x->rpc), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)ns + 1, sizeof(int), (void **)&x->spc), out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nrp + 1, sizeof(mg_box_t), (void **)&x->rpiece),
                          out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nsp + 1, sizeof(mg_box_t), (void **)&x->spiece),
                          out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)nself + 1, sizeof(mg_box_t), (void **)&x->self),
                          out);
            DC_CHECK_GOTO(dci_malloc_aligned(env, (rv + 1) * sizeof(double), (void **)&x->rbuf),
                          out);
            DC_CHECK_GOTO(dci_malloc_aligned(env, (sv + 1) * sizeof(double), (void **)&x->sbuf),
                          out);
            DC_CHECK_GOTO(dci_calloc(env, (size_t)np + 1, sizeof(MPI_Request), (void **)&x->req),
                          out);
        }
    }
out:
    if (rc != DC_SUCCESS)
        xfer_free(x);
    return rc;
}

/* Run the exchange: src (geometry sg) to dst (geometry dg); src == dst when in place. */
static int xfer_run(struct dci_mg *mg, mg_xfer_t *x, const double *src, double *dst)
{
    int i, q, nreq = 0, mrc;
    double t;

    /* dc_events.h: counted when posted, per peer (ranks of mg->comm are the env's) */
    if (DCI_UNLIKELY(mg->env->prof.on)) {
        for (i = 0; i < x->nrecv; i++)
            dci_prof_recv(mg->env, x->rpeer[i], (x->roff[i + 1] - x->roff[i]) * sizeof(double));
        for (i = 0; i < x->nsend; i++)
            dci_prof_send(mg->env, x->speer[i], (x->soff[i + 1] - x->soff[i]) * sizeof(double));
    }
    for (i = 0; i < x->nrecv; i++) {
        mrc = MPI_Irecv(x->rbuf + x->roff[i], (int)(x->roff[i + 1] - x->roff[i]), MPI_DOUBLE,
                        x->rpeer[i], MG_TAG, mg->comm, &x->req[nreq++]);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(mg->env, mrc, "MPI_Irecv");
    }
    for (i = 0; i < x->nsend; i++) {
        double *buf = x->sbuf + x->soff[i];
        for (q = x->spc[i]; q < x->spc[i + 1]; q++) {
            box_copy(&x->spiece[q], x->dof, src, &x->sg, buf, &x->spiece[q]);
            buf += box_size(&x->spiece[q]) * (size_t)x->dof;
        }
        mrc = MPI_Isend(x->sbuf + x->soff[i], (int)(x->soff[i + 1] - x->soff[i]), MPI_DOUBLE,
                        x->speer[i], MG_TAG, mg->comm, &x->req[nreq++]);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(mg->env, mrc, "MPI_Isend");
    }
    for (q = 0; q < x->nself; q++)
        box_copy(&x->self[q], x->dof, src, &x->sg, dst, &x->dg);
    if (nreq > 0) {
        t = dci_prof_mpi_begin(mg->env);
        mrc = MPI_Waitall(nreq, x->req, MPI_STATUSES_IGNORE);
        dci_prof_mpi_end(mg->env, t);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(mg->env, mrc, "MPI_Waitall");
    }
    for (i = 0; i < x->nrecv; i++) {
        const double *buf = x->rbuf + x->roff[i];
        for (q = x->rpc[i]; q < x->rpc[i + 1]; q++) {
            box_copy(&x->rpiece[q], x->dof, buf, &x->rpiece[q], dst, &x->dg);
            buf += box_size(&x->rpiece[q]) * (size_t)x->dof;
        }
    }
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- what each rank requests */

static mg_box_t lev_box(const struct dci_mg *mg, int l, int r)
{
    return dist_box(&mg->dist[l], r);
}

/* Halo of level l: the faces (STAR) or the whole shell (BOX) of the owned box, in the domain. */
static int req_halo(const struct dci_mg *mg, int l, int r, mg_box_t *req)
{
    mg_box_t own = lev_box(mg, l, r), dom = box_domain(mg->lev[l].n), g;
    int d, s, n = 0;

    if (box_empty(&own))
        return 0;
    if (mg->box_shape) {
        g = box_grow(&own, mg->dim, 1);
        req[n++] = box_isect(&g, &dom);
        return n;
    }
    for (d = 0; d < mg->dim; d++)
        for (s = 0; s < 2; s++) {
            g = own;
            if (s == 0) {
                g.hi[d] = own.lo[d];
                g.lo[d] = own.lo[d] - 1;
            } else {
                g.lo[d] = own.hi[d];
                g.hi[d] = own.hi[d] + 1;
            }
            g = box_isect(&g, &dom);
            if (!box_empty(&g))
                req[n++] = g;
        }
    return n;
}

/* Fine region (level l) the restriction to rank r's box of level l + 1 reads. */
static mg_box_t restr_region(const struct dci_mg *mg, int l, int r)
{
    const mg_level_t *L = &mg->lev[l];
    mg_box_t c = lev_box(mg, l + 1, r), f;
    int d;

    for (d = 0; d < 3; d++) {
        f.lo[d] = 0;
        f.hi[d] = 0;
    }
    if (box_empty(&c))
        return f;
    for (d = 0; d < 3; d++) {
        if (d < mg->dim) {
            const mg_map_t *m = &L->rmap[d];
            f.lo[d] = m->lo[c.lo[d]];
            f.hi[d] = m->lo[c.hi[d] - 1] + m->cnt[c.hi[d] - 1];
        } else {
            f.lo[d] = 0;
            f.hi[d] = 1;
        }
    }
    return f;
}

static int req_restr(const struct dci_mg *mg, int l, int r, mg_box_t *req)
{
    req[0] = restr_region(mg, l, r);
    return box_empty(&req[0]) ? 0 : 1;
}

/* Coarse region (level l + 1, unclipped: may include the zero points -1 and n) that the
 * interpolation to rank r's box of level l reads. */
static mg_box_t prol_region(const struct dci_mg *mg, int l, int r)
{
    const mg_level_t *L = &mg->lev[l];
    mg_box_t f = lev_box(mg, l, r), c;
    int d;

    for (d = 0; d < 3; d++) {
        c.lo[d] = 0;
        c.hi[d] = 0;
    }
    if (box_empty(&f))
        return c;
    for (d = 0; d < 3; d++) {
        if (d < mg->dim) {
            const mg_map_t *m = &L->pmap[d];
            c.lo[d] = m->lo[f.lo[d]];
            c.hi[d] = m->lo[f.hi[d] - 1] + m->cnt[f.hi[d] - 1];
        } else {
            c.lo[d] = 0;
            c.hi[d] = 1;
        }
    }
    return c;
}

static int req_prol(const struct dci_mg *mg, int l, int r, mg_box_t *req)
{
    mg_box_t c = prol_region(mg, l, r), dom = box_domain(mg->lev[l + 1].n);

    req[0] = box_isect(&c, &dom);
    return box_empty(&req[0]) ? 0 : 1;
}

static int req_gather(const struct dci_mg *mg, int l, int r, mg_box_t *req)
{
    (void)r;
    req[0] = box_domain(mg->lev[l].n);
    return 1;
}

/* ---------------------------------------------------------------- transfer maps */

static void map_free(mg_map_t *m)
{
    dci_free(m->lo);
    dci_free(m->cnt);
    dci_free(m->off);
    dci_free(m->w);
    memset(m, 0, sizeof(*m));
}

static int map_alloc(dc_env_t *env, dc_gidx_t n, size_t nw, mg_map_t *m)
{
    int rc = DC_SUCCESS;

    memset(m, 0, sizeof(*m));
    m->n = n;
    DC_CHECK_GOTO(dci_calloc(env, (size_t)n + 1, sizeof(dc_gidx_t), (void **)&m->lo), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)n + 1, sizeof(int), (void **)&m->cnt), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)n + 1, sizeof(size_t), (void **)&m->off), out);
    DC_CHECK_GOTO(dci_calloc(env, nw + 1, sizeof(double), (void **)&m->w), out);
out:
    if (rc != DC_SUCCESS)
        map_free(m);
    return rc;
}

/*
 * The maps of one dimension between nf fine and nc coarse points. Fine i sits at coarse
 * coordinate t = (i + 1)(nc + 1) / (nf + 1) - 1 = j0 + rem / (nf + 1): P takes
 * (nf + 1 - rem) / (nf + 1) of coarse j0 and rem / (nf + 1) of j0 + 1 (index -1 and nc are the
 * boundary zeros). R = ((nc + 1) / (nf + 1)) P^T, without the zero weights.
 */
static int maps_build(dc_env_t *env, dc_gidx_t nf, dc_gidx_t nc, mg_map_t *pm, mg_map_t *rm)
{
    dc_gidx_t i, j, den = nf + 1;
    double c = (double)(nc + 1) / (double)(nf + 1);
    size_t k;
    int rc = DC_SUCCESS;

    DC_CHECK_GOTO(map_alloc(env, nf, 2 * (size_t)nf, pm), out);
    DC_CHECK_GOTO(map_alloc(env, nc, 2 * (size_t)nf, rm), out);
    for (i = 0; i < nf; i++) {
        dc_gidx_t num = (i + 1) * (nc + 1), rem = num % den;
        pm->lo[i] = num / den - 1;
        pm->cnt[i] = 2;
        pm->off[i] = 2 * (size_t)i;
        pm->w[2 * i] = (double)(den - rem) / (double)den;
        pm->w[2 * i + 1] = (double)rem / (double)den;
    }
    /* restriction: fine points with a non-zero weight on coarse j, in increasing order */
    k = 0;
    for (j = 0; j < nc; j++) {
        dc_gidx_t i0 = j > 0 ? rm->lo[j - 1] : 0;
        rm->off[j] = k;
        rm->cnt[j] = 0;
        rm->lo[j] = -1;
        for (i = i0; i < nf; i++) {
            double w = 0;
            if (pm->lo[i] == j)
                w = pm->w[2 * i];
            else if (pm->lo[i] + 1 == j)
                w = pm->w[2 * i + 1];
            if (w == 0) {
                if (rm->lo[j] >= 0 && pm->lo[i] > j)
                    break;
                continue;
            }
            if (rm->lo[j] < 0)
                rm->lo[j] = i;
            /* contiguous by the monotonicity of lo */
            rm->w[k++] = c * w;
            rm->cnt[j]++;
        }
    }
out:
    if (rc != DC_SUCCESS) {
        map_free(pm);
        map_free(rm);
    }
    return rc;
}

/*
 * One dimension of a transfer: for every point of box ob (output coordinates), along dimension
 * d: out = sum_m w[m] in[lo + m] (in increasing input index); add: out = out + that sum.
 */
MG_VEC_FN MG_CLONES static void mg_pass(int d, int dof, const mg_map_t *m, const double *in,
                                        const mg_box_t *ig, double *out, const mg_box_t *og,
                                        const mg_box_t *ob, int add)
{
    dc_gidx_t i, j, k;
    int q, e;

    if (box_empty(ob))
        return;
    if (d == 0 && dof > 1) {
        /* each component on its own, with the same weights */
        for (k = ob->lo[2]; k < ob->hi[2]; k++)
            for (j = ob->lo[1]; j < ob->hi[1]; j++) {
                const double *ir = in + box_index(ig, ig->lo[0], j, k) * (size_t)dof;
                double *orow = out + box_index(og, ob->lo[0], j, k) * (size_t)dof;
                for (i = ob->lo[0]; i < ob->hi[0]; i++) {
                    const double *w = m->w + m->off[i];
                    for (e = 0; e < dof; e++) {
                        const double *x = ir + (m->lo[i] - ig->lo[0]) * dof + e;
                        double s = w[0] * x[0];
                        for (q = 1; q < m->cnt[i]; q++)
                            s += w[q] * x[q * dof];
                        if (add)
                            orow[(i - ob->lo[0]) * dof + e] += s;
                        else
                            orow[(i - ob->lo[0]) * dof + e] = s;
                    }
                }
            }
        return;
    }
    if (d == 0) {
        for (k = ob->lo[2]; k < ob->hi[2]; k++)
            for (j = ob->lo[1]; j < ob->hi[1]; j++) {
                const double *ir = in + box_index(ig, ig->lo[0], j, k);
                double *orow = out + box_index(og, ob->lo[0], j, k);
                for (i = ob->lo[0]; i < ob->hi[0]; i++) {
                    const double *w = m->w + m->off[i];
                    const double *x = ir + (m->lo[i] - ig->lo[0]);
                    double s;
                    /* left to right, as the general loop */
                    if (m->cnt[i] == 2) {
                        s = w[0] * x[0] + w[1] * x[1];
                    } else if (m->cnt[i] == 3) {
                        s = w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
                    } else {
                        s = w[0] * x[0];
                        for (q = 1; q < m->cnt[i]; q++)
                            s += w[q] * x[q];
                    }
                    if (add)
                        orow[i - ob->lo[0]] += s;
                    else
                        orow[i - ob->lo[0]] = s;
                }
            }
        return;
    }
    {
        size_t n0 = (size_t)(ob->hi[0] - ob->lo[0]) * (size_t)dof, c0, c, t;
        double acc[MG_CHUNK];
        for (k = ob->lo[2]; k < ob->hi[2]; k++)
            for (j = ob->lo[1]; j < ob->hi[1]; j++) {
                dc_gidx_t o = d == 1 ? j : k;
                const double *w = m->w + m->off[o];
                double *orow = out + box_index(og, ob->lo[0], j, k) * (size_t)dof;
                for (c0 = 0; c0 < n0; c0 += MG_CHUNK) {
                    c = n0 - c0 < MG_CHUNK ? n0 - c0 : MG_CHUNK;
                    for (q = 0; q < m->cnt[o]; q++) {
                        dc_gidx_t ii = m->lo[o] + q;
                        const double *ir =
                            in +
                            box_index(ig, ob->lo[0], d == 1 ? ii : j, d == 2 ? ii : k) *
                                (size_t)dof +
                            c0;
                        if (q == 0)
                            for (t = 0; t < c; t++)
                                acc[t] = w[0] * ir[t];
                        else
                            for (t = 0; t < c; t++)
                                acc[t] += w[q] * ir[t];
                    }
                    if (add)
                        for (t = 0; t < c; t++)
                            orow[c0 + t] += acc[t];
                    else
                        for (t = 0; t < c; t++)
                            orow[c0 + t] = acc[t];
                }
            }
    }
}

/* Profiler (dc_events.h): the flops of one mg_pass over box ob along d, 2 cnt - 1 per output
 * value (plus 1 when adding), computed only when profiling. */
static void mg_pass_flops(dc_env_t *env, int d, int dof, const mg_map_t *m, const mg_box_t *ob,
                          int add)
{
    double other = (double)dof, f = 0;
    dc_gidx_t i;
    int e;

    if (DCI_LIKELY(!env->prof.on) || box_empty(ob))
        return;
    for (e = 0; e < 3; e++)
        if (e != d)
            other *= (double)(ob->hi[e] - ob->lo[e]);
    for (i = ob->lo[d]; i < ob->hi[d]; i++)
        f += 2.0 * m->cnt[i] - 1 + add;
    dci_prof_flops(env, f * other);
}

/* Restriction of level l's residual (r, its region filled) to level l + 1's b (the order of
 * the passes is fixed: the bits do not depend on the distribution). */
static void mg_restrict(struct dci_mg *mg, int l)
{
    mg_level_t *L = &mg->lev[l], *C = &mg->lev[l + 1];
    mg_box_t cur = L->fbox, nb, cg;
    const double *in = L->r;
    int d, t = 0;

    if (box_empty(&C->own))
        return;
    cg = L->rg;
    /* z, y first (whole rows at a time), x last, on the smallest array */
    for (d = mg->dim - 1; d >= 0; d--) {
        double *out;
        nb = cur;
        nb.lo[d] = C->own.lo[d];
        nb.hi[d] = C->own.hi[d];
        out = d == 0 ? C->b : L->tmp[t];
        mg_pass(d, mg->dof, &L->rmap[d], in, &cg, out, &nb, &nb, 0);
        mg_pass_flops(mg->env, d, mg->dof, &L->rmap[d], &nb, 0);
        in = out;
        cg = nb;
        cur = nb;
        t ^= 1;
    }
}

/* x (level l, geometry xg) += P xc (level l + 1, geometry cg, its interpolation region set):
 * x first (on the smallest array), then y, z by whole rows, the last pass adding into x. */
static void mg_prolong(struct dci_mg *mg, int l, const double *xc, const mg_box_t *cgeom, double *x)
{
    mg_level_t *L = &mg->lev[l];
    mg_box_t cur = L->cbox, nb, cg = *cgeom;
    const double *in = xc;
    int d, t = 0;

    if (box_empty(&L->own))
        return;
    for (d = 0; d < mg->dim; d++) {
        nb = cur;
        nb.lo[d] = L->own.lo[d];
        nb.hi[d] = L->own.hi[d];
        if (d == mg->dim - 1) {
            mg_pass(d, mg->dof, &L->pmap[d], in, &cg, x, &L->xg, &nb, 1);
            mg_pass_flops(mg->env, d, mg->dof, &L->pmap[d], &nb, 1);
        } else {
            mg_pass(d, mg->dof, &L->pmap[d], in, &cg, L->tmp[t], &nb, &nb, 0);
            mg_pass_flops(mg->env, d, mg->dof, &L->pmap[d], &nb, 0);
            in = L->tmp[t];
            cg = nb;
            cur = nb;
            t ^= 1;
        }
    }
}

/* ---------------------------------------------------------------- smoothing kernels */

enum { MG_K_RESID = 0, MG_K_SMOOTH = 1 };

/* t = A x for m consecutive points starting at x: terms summed left to right in L's order (the
 * unrolled shapes give the same bits as the general loop). */
MG_VEC_FN MG_CLONES static void row_ax(const mg_level_t *L, const double *x, double *restrict t,
                                       size_t m)
{
    const double *c = L->tcoef;
    const ptrdiff_t *o = L->off;
    size_t i;
    int s;

    if (L->nterms == 5) {
        const double *restrict p0 = x + o[0], *restrict p1 = x + o[1], *restrict p2 = x + o[2],
                               *restrict p3 = x + o[3], *restrict p4 = x + o[4];
        for (i = 0; i < m; i++)
            t[i] = c[0] * p0[i] + c[1] * p1[i] + c[2] * p2[i] + c[3] * p3[i] + c[4] * p4[i];
    } else if (L->nterms == 7) {
        const double *restrict p0 = x + o[0], *restrict p1 = x + o[1], *restrict p2 = x + o[2],
                               *restrict p3 = x + o[3], *restrict p4 = x + o[4],
                               *restrict p5 = x + o[5], *restrict p6 = x + o[6];
        for (i = 0; i < m; i++)
            t[i] = c[0] * p0[i] + c[1] * p1[i] + c[2] * p2[i] + c[3] * p3[i] + c[4] * p4[i] +
                   c[5] * p5[i] + c[6] * p6[i];
    } else if (L->nterms == 3) {
        const double *restrict p0 = x + o[0], *restrict p1 = x + o[1], *restrict p2 = x + o[2];
        for (i = 0; i < m; i++)
            t[i] = c[0] * p0[i] + c[1] * p1[i] + c[2] * p2[i];
    } else {
        const double *restrict p0 = x + o[0];
        for (i = 0; i < m; i++)
            t[i] = c[0] * p0[i];
        for (s = 1; s < L->nterms; s++) {
            const double *restrict ps = x + o[s];
            const double cs = c[s];
            for (i = 0; i < m; i++)
                t[i] += cs * ps[i];
        }
    }
}

/* The pointwise updates of mg_kernel (out may be prev: read before written, same index). */
MG_VEC_FN MG_CLONES static void row_update(int mode, const double *restrict x,
                                           const double *restrict b, const double *prev,
                                           const double *restrict ax, double *out, size_t m,
                                           double alpha, double beta)
{
    size_t i;

    if (mode == MG_K_RESID) {
        for (i = 0; i < m; i++)
            out[i] = b[i] - ax[i];
    } else if (alpha == 0) {
        for (i = 0; i < m; i++)
            out[i] = x[i] + beta * (b[i] - ax[i]);
    } else if (prev == NULL) {
        for (i = 0; i < m; i++)
            out[i] = x[i] + alpha * x[i] + beta * (b[i] - ax[i]);
    } else {
        for (i = 0; i < m; i++)
            out[i] = x[i] + alpha * (x[i] - prev[i]) + beta * (b[i] - ax[i]);
    }
}

/*
 * On level L's owned box, per point, with (A x)_p = sum_s c_s x_{p + off_s} (fixed order):
 *   RESID:  out = b - A x
 *   SMOOTH: out = x + alpha (x - prev) + beta (b - A x)  (prev NULL: 0; alpha 0: no prev term)
 * x and prev have L's x geometry; b the owned box; out geometry og. out may be prev, never x.
 */
static void mg_kernel(dc_env_t *env, const mg_level_t *L, int mode, const double *x,
                      const double *b, const double *prev, double *out, const mg_box_t *og,
                      double alpha, double beta)
{
    const mg_box_t *ob = &L->own;
    size_t dof = (size_t)L->dof, n0 = (size_t)(ob->hi[0] - ob->lo[0]) * dof, c0, c;
    double acc[MG_CHUNK];
    dc_gidx_t j, k;

    if (box_empty(ob))
        return;
    /* dc_events.h: A x is 2 nterms - 1 per value; the update 1 (residual), 3 (no previous
     * iterate), 5 (alpha x) or 6 (alpha (x - prev)) */
    dci_prof_flops(env, (double)(2 * L->nterms - 1 +
                                 (mode == MG_K_RESID ? 1
                                  : alpha == 0       ? 3
                                  : prev == NULL     ? 5
                                                     : 6)) *
                            (double)box_size(ob) * (double)dof);
    for (k = ob->lo[2]; k < ob->hi[2]; k++)
        for (j = ob->lo[1]; j < ob->hi[1]; j++) {
            const double *xr = x + box_index(&L->xg, ob->lo[0], j, k) * dof;
            const double *br = b + box_index(ob, ob->lo[0], j, k) * dof;
            const double *pr = prev ? prev + box_index(&L->xg, ob->lo[0], j, k) * dof : NULL;
            double *orow = out + box_index(og, ob->lo[0], j, k) * dof;
            for (c0 = 0; c0 < n0; c0 += MG_CHUNK) {
                c = n0 - c0 < MG_CHUNK ? n0 - c0 : MG_CHUNK;
                row_ax(L, xr + c0, acc, c);
                row_update(mode, xr + c0, br + c0, pr ? pr + c0 : NULL, acc, orow + c0, c, alpha,
                           beta);
            }
        }
}

/* out = gamma b on the owned box (out: x geometry). */
static void mg_scale(dc_env_t *env, const mg_level_t *L, const double *b, double *out, double gamma)
{
    const mg_box_t *ob = &L->own;
    size_t dof = (size_t)L->dof, n0 = (size_t)(ob->hi[0] - ob->lo[0]) * dof, t;
    dc_gidx_t j, k;

    if (box_empty(ob))
        return;
    dci_prof_flops(env, (double)box_size(ob) * (double)dof);
    for (k = ob->lo[2]; k < ob->hi[2]; k++)
        for (j = ob->lo[1]; j < ob->hi[1]; j++) {
            const double *br = b + box_index(ob, ob->lo[0], j, k) * dof;
            double *orow = out + box_index(&L->xg, ob->lo[0], j, k) * dof;
            for (t = 0; t < n0; t++)
                orow[t] = gamma * br[t];
        }
}

/* ---------------------------------------------------------------- coarse direct solve */

/* Assemble the coarsest operator in natural order (lower band) and factor it. */
static int coarse_factor(struct dci_mg *mg)
{
    mg_level_t *L = &mg->lev[mg->nlev - 1];
    size_t n = mg->ncoarse, bw = mg->bw, w = bw + 1, p, j, c, r, kn;
    dc_gidx_t i0, i1, i2;
    int s;

    memset(mg->band, 0, n * w * sizeof(double));
    for (i2 = 0; i2 < L->n[2]; i2++)
        for (i1 = 0; i1 < L->n[1]; i1++)
            for (i0 = 0; i0 < L->n[0]; i0++) {
                p = (size_t)((i2 * L->n[1] + i1) * L->n[0] + i0);
                for (s = 0; s < L->nterms; s++) {
                    dc_gidx_t a = i0 + L->toff[s][0], b = i1 + L->toff[s][1],
                              cc = i2 + L->toff[s][2];
                    size_t q;
                    if (a < 0 || a >= L->n[0] || b < 0 || b >= L->n[1] || cc < 0 || cc >= L->n[2])
                        continue;
                    q = (size_t)((cc * L->n[1] + b) * L->n[0] + a);
                    if (q > p)
                        continue;
                    mg->band[q * w + (p - q)] += L->tcoef[s];
                }
            }
    for (j = 0; j < n; j++) {
        double *cj = mg->band + j * w, dj = cj[0];
        if (!(dj > 0))
            return DC_ERR(mg->env, DC_ERR_INTERNAL,
                          "coarsest operator not positive definite (pivot %zu: %g)", j, dj);
        dj = sqrt(dj);
        cj[0] = dj;
        kn = n - 1 - j < bw ? n - 1 - j : bw;
        for (r = 1; r <= kn; r++)
            cj[r] /= dj;
        for (c = 1; c <= kn; c++) {
            double *cc = mg->band + (j + c) * w, f = cj[c];
            if (f == 0)
                continue;
            for (r = c; r <= kn; r++)
                cc[r - c] -= cj[r] * f;
        }
    }
    return DC_SUCCESS;
}

/* Solve with the factor, in place on mg->nat (each of the dof components on its own). */
static void coarse_solve(struct dci_mg *mg)
{
    size_t n = mg->ncoarse, bw = mg->bw, w = bw + 1, j, k, kn, e, s = (size_t)mg->dof;

    if (DCI_UNLIKELY(mg->env->prof.on)) { /* dc_events.h: per component 2 n + 4 (band terms) */
        double f = 2.0 * (double)n;
        for (j = 0; j < n; j++)
            f += 4.0 * (double)(n - 1 - j < bw ? n - 1 - j : bw);
        dci_prof_flops(mg->env, f * (double)s);
    }

    for (e = 0; e < s; e++) {
        double *y = mg->nat + e;
        for (j = 0; j < n; j++) {
            const double *cj = mg->band + j * w;
            double v = y[j * s] / cj[0];
            y[j * s] = v;
            kn = n - 1 - j < bw ? n - 1 - j : bw;
            for (k = 1; k <= kn; k++)
                y[(j + k) * s] -= cj[k] * v;
        }
        for (j = n; j-- > 0;) {
            const double *cj = mg->band + j * w;
            double v = y[j * s];
            kn = n - 1 - j < bw ? n - 1 - j : bw;
            for (k = 1; k <= kn; k++)
                v -= cj[k] * y[(j + k) * s];
            y[j * s] = v / cj[0];
        }
    }
}

/* ---------------------------------------------------------------- levels */

/* Terms of st sorted by memory order, the diagonal and the spectral bound. */
static int level_terms(struct dci_mg *mg, mg_level_t *L)
{
    int s, t, d;
    double c0 = 0, sym = 0;

    L->nterms = 0;
    for (s = 0; s < L->st.npoints; s++) {
        /* insertion by (z, y, x), stable for equal offsets */
        int pos = L->nterms;
        while (pos > 0) {
            const int *a = L->toff[pos - 1], *b = L->st.offset[s];
            if (a[2] < b[2] || (a[2] == b[2] && (a[1] < b[1] || (a[1] == b[1] && a[0] <= b[0]))))
                break;
            pos--;
        }
        for (t = L->nterms; t > pos; t--) {
            for (d = 0; d < 3; d++)
                L->toff[t][d] = L->toff[t - 1][d];
            L->tcoef[t] = L->tcoef[t - 1];
        }
        for (d = 0; d < 3; d++)
            L->toff[pos][d] = L->st.offset[s][d];
        L->tcoef[pos] = L->st.coef[s];
        L->nterms++;
    }
    for (s = 0; s < L->nterms; s++) {
        int o = abs(L->toff[s][0]) + abs(L->toff[s][1]) + abs(L->toff[s][2]);
        if (o == 0)
            c0 += L->tcoef[s];
        sym += (o % 2 ? -1.0 : 1.0) * L->tcoef[s];
        for (d = 0; d < 3; d++)
            if (abs(L->toff[s][d]) > 1 || (d >= mg->dim && L->toff[s][d] != 0))
                return DC_ERR(mg->env, DC_ERR_NOTSUP,
                              "DC_PC_MG: stencil offsets beyond 1 are not supported");
    }
    if (!(c0 > 0) || !(sym > 0))
        return DC_ERR(mg->env, DC_ERR_NOTSUP, "DC_PC_MG: the stencil's diagonal is not positive");
    L->inv_c0 = 1.0 / c0;
    L->lmax = sym / c0;
    return DC_SUCCESS;
}

/* Smoother coefficients (beta includes 1/diag). */
static int level_smoother(struct dci_mg *mg, mg_level_t *L, const dc_solver_params_t *prm)
{
    int k, m = mg->steps, rc = DC_SUCCESS;

    DC_CHECK_GOTO(dci_calloc(mg->env, (size_t)m, sizeof(double), (void **)&L->alpha), out);
    DC_CHECK_GOTO(dci_calloc(mg->env, (size_t)m, sizeof(double), (void **)&L->beta), out);
    if (mg->smoother == DC_MG_JACOBI) {
        double w = prm->mg_jacobi_weight;
        if (w == 0)
            w = mg->dim == 3 ? 6.0 / 7.0 : 2.0 / 3.0;
        for (k = 0; k < m; k++)
            L->beta[k] = w * L->inv_c0;
    } else {
        double b = L->lmax, a = MG_CHEB_LOW * L->lmax;
        double theta = 0.5 * (b + a), delta = 0.5 * (b - a), sigma = theta / delta;
        double rho = 1.0 / sigma, rho1;
        L->alpha[0] = 0;
        L->beta[0] = L->inv_c0 / theta;
        for (k = 1; k < m; k++) {
            rho1 = 1.0 / (2.0 * sigma - rho);
            L->alpha[k] = rho1 * rho;
            L->beta[k] = 2.0 * rho1 / delta * L->inv_c0;
            rho = rho1;
        }
    }
out:
    return rc;
}

/* Coarse slabs: point j belongs to the slab of the fine point nearest to it. */
static void dist_derive(const mg_dist_t *fd, dc_gidx_t nf, dc_gidx_t nc, int d, dc_gidx_t *off)
{
    dc_gidx_t j, c;
    int p = fd->P[d];

    for (c = 0; c <= p; c++)
        off[c] = 0;
    for (j = 0; j < nc; j++) {
        /* nearest fine index of (j + 1)(nf + 1)/(nc + 1) - 1, ties up */
        dc_gidx_t f = (2 * (j + 1) * (nf + 1) + (nc + 1)) / (2 * (nc + 1)) - 1;
        if (f < 0)
            f = 0;
        if (f > nf - 1)
            f = nf - 1;
        for (c = 0; c < p; c++)
            if (f < fd->off[d][c + 1])
                break;
        off[c + 1]++;
    }
    for (c = 0; c < p; c++)
        off[c + 1] += off[c];
}

/* Merge pairs of non-empty slabs while the level has too few points per active rank. */
static void dist_agglomerate(mg_dist_t *ds, int dim, size_t npts, int agg)
{
    int d, c, act[3];

    if (agg <= 0)
        return;
    for (;;) {
        size_t nact;
        int best = -1;
        for (d = 0; d < 3; d++) {
            act[d] = 0;
            for (c = 0; c < ds->P[d]; c++)
                act[d] += ds->off[d][c + 1] > ds->off[d][c];
        }
        nact = (size_t)act[0] * (size_t)act[1] * (size_t)act[2];
        if (nact <= 1 || npts >= (size_t)agg * nact)
            return;
        for (d = 0; d < dim; d++)
            if (act[d] > 1 && (best < 0 || act[d] > act[best]))
                best = d;
        if (best < 0)
            return;
        {
            /* counts of the active slabs, merged in pairs into the first of each pair */
            dc_gidx_t *off = ds->off[best];
            int first = -1, k = 0;
            dc_gidx_t cnt;
            for (c = 0; c < ds->P[best]; c++) {
                cnt = off[c + 1] - off[c];
                if (cnt == 0)
                    continue;
                if (k % 2 == 0)
                    first = c;
                else {
                    /* slab c's points join slab 'first': move the boundaries between them */
                    int e;
                    for (e = first + 1; e <= c; e++)
                        off[e] = off[c + 1];
                }
                k++;
            }
        }
    }
}

static void level_free(mg_level_t *L, int fine)
{
    int d;

    dci_free(L->alpha);
    dci_free(L->beta);
    dci_free(L->x[0]);
    dci_free(L->x[1]);
    if (!fine)
        dci_free(L->b);
    dci_free(L->r);
    dci_free(L->tmp[0]);
    dci_free(L->tmp[1]);
    xfer_free(&L->halo);
    xfer_free(&L->restr);
    xfer_free(&L->prol);
    for (d = 0; d < 3; d++) {
        map_free(&L->rmap[d]);
        map_free(&L->pmap[d]);
    }
}

void dci_mg_destroy(dci_mg_t *mg)
{
    int l, d;

    if (mg == NULL)
        return;
    if (mg->lev != NULL)
        for (l = 0; l < mg->nlev; l++)
            level_free(&mg->lev[l], l == 0);
    if (mg->dist != NULL)
        for (l = 0; l < mg->nlev; l++)
            for (d = 0; d < 3; d++)
                dci_free(mg->dist[l].off[d]);
    xfer_free(&mg->gather);
    dci_free(mg->lev);
    dci_free(mg->dist);
    dci_free(mg->band);
    dci_free(mg->nat);
    dci_free(mg->xf);
    if (mg->comm != MPI_COMM_NULL)
        MPI_Comm_free(&mg->comm);
    dci_free(mg);
}

int dci_mg_levels(const dci_mg_t *mg)
{
    return mg != NULL ? mg->nlev : 0;
}

static int alloc_box(struct dci_mg *mg, const mg_box_t *g, double **p)
{
    return dci_calloc(mg->env, box_size(g) * (size_t)mg->dof + 1, sizeof(double), (void **)p);
}

/* Everything after the level sizes and the fine stencil are known. */
static int mg_setup(struct dci_mg *mg, const dc_solver_params_t *prm)
{
    dc_env_t *env = mg->env;
    int l, d, rc = DC_SUCCESS;
    mg_level_t *C;

    for (l = 0; l < mg->nlev; l++) {
        mg_level_t *L = &mg->lev[l];
        L->own = lev_box(mg, l, mg->rank);
        L->dof = mg->dof;
        if (l > 0) {
            /* rediscretise at the coarse spacings (as reduced fractions of the finest, so that
             * equal ratios give equal bits) */
            const mg_level_t *F = &mg->lev[0];
            for (d = 0; d < 3; d++) {
                if (d < mg->dim) {
                    dc_gidx_t a = F->n[d] + 1, b = L->n[d] + 1, x = a, y = b;
                    while (y != 0) {
                        dc_gidx_t t = x % y;
                        x = y;
                        y = t;
                    }
                    L->h[d] = F->h[d] * (double)(a / x) / (double)(b / x);
                } else
                    L->h[d] = 0;
            }
            rc = dc_stencil_laplacian(mg->dim, F->st.laplacian, L->h, F->st.shift, &L->st);
            if (rc != DC_SUCCESS) {
                rc = DC_ERR(env, DC_ERR_NOTSUP,
                            "DC_PC_MG: level %d cannot be rediscretised (the %d-point stencil "
                            "needs equal spacings on every level)",
                            l, F->st.laplacian);
                goto out;
            }
        }
        DC_CHECK_GOTO(level_terms(mg, L), out);
        DC_CHECK_GOTO(level_smoother(mg, L, prm), out);
    }
    /* transfer maps and regions */
    for (l = 0; l + 1 < mg->nlev; l++) {
        mg_level_t *L = &mg->lev[l];
        C = &mg->lev[l + 1];
        for (d = 0; d < mg->dim; d++)
            DC_CHECK_GOTO(maps_build(env, L->n[d], C->n[d], &L->pmap[d], &L->rmap[d]), out);
        L->fbox = restr_region(mg, l, mg->rank);
        L->cbox = prol_region(mg, l, mg->rank);
    }
    /* arrays */
    for (l = 0; l < mg->nlev; l++) {
        mg_level_t *L = &mg->lev[l];
        mg_box_t g = box_grow(&L->own, mg->dim, 1);
        if (l == mg->nlev - 1) {
            if (l > 0)
                DC_CHECK_GOTO(alloc_box(mg, &L->own, &L->b), out);
            continue;
        }
        if (l > 0) {
            g = box_hull(&g, &mg->lev[l - 1].cbox);
            DC_CHECK_GOTO(alloc_box(mg, &L->own, &L->b), out);
        }
        L->xg = g;
        DC_CHECK_GOTO(alloc_box(mg, &g, &L->x[0]), out);
        DC_CHECK_GOTO(alloc_box(mg, &g, &L->x[1]), out);
        L->rg = box_hull(&L->own, &L->fbox);
        DC_CHECK_GOTO(alloc_box(mg, &L->rg, &L->r), out);
        {
            /* offsets of the terms in the x arrays */
            int s;
            ptrdiff_t sy = (ptrdiff_t)(g.hi[0] - g.lo[0]);
            ptrdiff_t sz = sy * (ptrdiff_t)(g.hi[1] - g.lo[1]);
            for (s = 0; s < L->nterms; s++)
                L->off[s] =
                    (L->toff[s][0] + sy * L->toff[s][1] + sz * L->toff[s][2]) * (ptrdiff_t)mg->dof;
        }
        /* transfer temporaries: the intermediate boxes of the passes */
        {
            mg_box_t cur = L->fbox, nb;
            size_t need[2] = {0, 0};
            int t = 0;
            C = &mg->lev[l + 1];
            if (!box_empty(&C->own))
                for (d = mg->dim - 1; d > 0; d--) {
                    nb = cur;
                    nb.lo[d] = C->own.lo[d];
                    nb.hi[d] = C->own.hi[d];
                    if (box_size(&nb) > need[t])
                        need[t] = box_size(&nb);
                    cur = nb;
                    t ^= 1;
                }
            cur = L->cbox;
            t = 0;
            if (!box_empty(&L->own))
                for (d = 0; d + 1 < mg->dim; d++) {
                    nb = cur;
                    nb.lo[d] = L->own.lo[d];
                    nb.hi[d] = L->own.hi[d];
                    if (box_size(&nb) > need[t])
                        need[t] = box_size(&nb);
                    cur = nb;
                    t ^= 1;
                }
            for (t = 0; t < 2; t++)
                DC_CHECK_GOTO(dci_malloc_aligned(env,
                                                 (need[t] * (size_t)mg->dof + 1) * sizeof(double),
                                                 (void **)&L->tmp[t]),
                              out);
        }
    }
    /* exchanges */
    for (l = 0; l + 1 < mg->nlev; l++) {
        mg_level_t *L = &mg->lev[l];
        C = &mg->lev[l + 1];
        DC_CHECK_GOTO(xfer_build(mg, l, &mg->dist[l], req_halo, &L->xg, &L->xg, 1, &L->halo), out);
        DC_CHECK_GOTO(xfer_build(mg, l, &mg->dist[l], req_restr, &L->rg, &L->rg, 1, &L->restr),
                      out);
        if (l + 1 < mg->nlev - 1)
            DC_CHECK_GOTO(
                xfer_build(mg, l, &mg->dist[l + 1], req_prol, &C->xg, &C->xg, 1, &L->prol), out);
    }
    /* coarsest level: gathered on every rank, factored */
    {
        mg_level_t *L = &mg->lev[mg->nlev - 1];
        mg_box_t dom = box_domain(L->n);
        size_t need;
        int s;
        mg->ncoarse = box_size(&dom);
        mg->bw = 0;
        for (s = 0; s < L->nterms; s++) {
            long long o = L->toff[s][0] + L->n[0] * (L->toff[s][1] + L->n[1] * L->toff[s][2]);
            if ((size_t)llabs(o) > mg->bw)
                mg->bw = (size_t)llabs(o);
        }
        if (mg->bw >= mg->ncoarse)
            mg->bw = mg->ncoarse - 1;
        need = mg->ncoarse * (mg->bw + 1);
        if (need / (mg->bw + 1) != mg->ncoarse || need > MG_MAX_BAND) {
            rc = DC_ERR(env, DC_ERR_NOTSUP,
                        "DC_PC_MG: the coarsest grid (%zu points, bandwidth %zu) is too large for "
                        "the direct solve: allow more levels or a smaller mg_coarse_size",
                        mg->ncoarse, mg->bw);
            goto out;
        }
        DC_CHECK_GOTO(dci_malloc_aligned(env, need * sizeof(double), (void **)&mg->band), out);
        DC_CHECK_GOTO(alloc_box(mg, &dom, &mg->nat), out);
        mg->xfg = box_grow(&dom, mg->dim, 1);
        DC_CHECK_GOTO(alloc_box(mg, &mg->xfg, &mg->xf), out);
        DC_CHECK_GOTO(xfer_build(mg, mg->nlev - 1, &mg->dist[mg->nlev - 1], req_gather, &L->own,
                                 &dom, 0, &mg->gather),
                      out);
        DC_CHECK_GOTO(coarse_factor(mg), out);
    }
out:
    return rc;
}

int dci_mg_create(dc_op_t *op, const dc_solver_params_t *prm, dc_repro_t mode, dci_mg_t **mg_p)
{
    dc_env_t *env = op->hdr.env;
    const dc_stencil_t *st = NULL;
    dc_mesh_t *mesh = NULL;
    dc_mesh_info_t info;
    struct dci_mg *mg = NULL;
    dc_gidx_t n[3], ns[64][3];
    int d, s, l, c, nlev, rc = DC_SUCCESS;

    (void)mode; /* every V-cycle is reproducible: pointwise kernels, fixed-order transfers */
    if (op->kind != DCI_OP_STENCIL) {
        rc = DC_ERR(env, DC_ERR_NOTSUP,
                    "DC_PC_MG needs a stencil operator (dc_mesh_op_create_stencil with "
                    "dc_stencil_laplacian), not a shell or point operator");
        goto out;
    }
    DC_CHECK_GOTO(dci_stencil_op_get(op, &st, &mesh, NULL), out);
    DC_CHECK_GOTO(dc_mesh_get_info(mesh, &info), out);
    if (st->laplacian == 0) {
        rc = DC_ERR(env, DC_ERR_NOTSUP,
                    "DC_PC_MG needs a dc_stencil_laplacian() stencil (laplacian = 0: a general "
                    "stencil cannot be rediscretised)");
        goto out;
    }
    for (d = 0; d < info.dim; d++)
        for (s = 0; s < 2; s++)
            if (st->bc[d][s] != DC_BC_DIRICHLET || info.periodic[d]) {
                rc = DC_ERR(env, DC_ERR_NOTSUP,
                            "DC_PC_MG supports Dirichlet boundaries only (dimension %d side %d "
                            "is %s)",
                            d, s, st->bc[d][s] == DC_BC_NEUMANN ? "Neumann" : "periodic");
                goto out;
            }
    /* level sizes */
    for (d = 0; d < 3; d++)
        n[d] = info.n[d];
    nlev = 1;
    for (d = 0; d < 3; d++)
        ns[0][d] = n[d];
    for (;;) {
        size_t pts = (size_t)ns[nlev - 1][0] * (size_t)ns[nlev - 1][1] * (size_t)ns[nlev - 1][2];
        int ok = 1;
        if (pts <= (size_t)prm->mg_coarse_size || nlev == 64 ||
            (prm->mg_levels > 0 && nlev >= prm->mg_levels))
            break;
        for (d = 0; d < info.dim; d++)
            if ((ns[nlev - 1][d] - 1) / 2 < 1)
                ok = 0;
        if (!ok)
            break;
        for (d = 0; d < 3; d++)
            ns[nlev][d] = d < info.dim ? (ns[nlev - 1][d] - 1) / 2 : 1;
        nlev++;
    }
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*mg), (void **)&mg), out);
    mg->env = env;
    mg->comm = MPI_COMM_NULL;
    mg->dim = info.dim;
    mg->dof = info.dof;
    mg->rank = env->rank;
    mg->size = env->size;
    mg->steps = prm->mg_smooth_steps;
    mg->smoother = prm->mg_smoother;
    mg->box_shape = st->laplacian == 9 || st->laplacian == 27;
    DC_CHECK_GOTO(dci_calloc(env, (size_t)nlev, sizeof(mg_level_t), (void **)&mg->lev), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)nlev, sizeof(mg_dist_t), (void **)&mg->dist), out);
    mg->nlev = nlev;
    for (l = 0; l < nlev; l++) {
        for (d = 0; d < 3; d++) {
            mg->lev[l].n[d] = ns[l][d];
            mg->dist[l].P[d] = info.procs[d];
            DC_CHECK_GOTO(dci_calloc(env, (size_t)info.procs[d] + 1, sizeof(dc_gidx_t),
                                     (void **)&mg->dist[l].off[d]),
                          out);
        }
    }
    /* the fine slabs from the mesh's boxes (rank of coordinate c along d, 0 elsewhere) */
    for (d = 0; d < 3; d++)
        for (c = 0; c < info.procs[d]; c++) {
            dc_gidx_t start[3], count[3];
            int r = d == 0 ? c : d == 1 ? c * info.procs[0] : c * info.procs[0] * info.procs[1];
            DC_CHECK_GOTO(dc_mesh_get_box(mesh, r, start, count), out);
            mg->dist[0].off[d][c] = start[d];
            mg->dist[0].off[d][c + 1] = start[d] + count[d];
        }
    for (l = 1; l < nlev; l++) {
        size_t pts = (size_t)ns[l][0] * (size_t)ns[l][1] * (size_t)ns[l][2];
        for (d = 0; d < 3; d++)
            dist_derive(&mg->dist[l - 1], ns[l - 1][d], ns[l][d], d, mg->dist[l].off[d]);
        dist_agglomerate(&mg->dist[l], info.dim, pts, prm->mg_agglomerate);
    }
    mg->lev[0].st = *st;
    for (d = 0; d < 3; d++)
        mg->lev[0].h[d] = st->h[d];
    DC_CHECK_GOTO(mg_setup(mg, prm), out);
out:
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS) {
        /* a private communicator: the transfers' messages match nothing else */
        int mrc = MPI_Comm_dup(env->comm, &mg->comm);
        if (mrc != MPI_SUCCESS) {
            mg->comm = MPI_COMM_NULL;
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Comm_dup");
        }
        rc = dci_agree(env, rc);
    }
    if (rc != DC_SUCCESS) {
        dci_mg_destroy(mg);
        return rc;
    }
    *mg_p = mg;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- the V-cycle */

/* Level l < nlev - 1 solves approximately with right-hand side b; the result is in
 * L->x[*which]; at level 0 the last smoothing step writes z (owned box) instead. */
static int mg_cycle(struct dci_mg *mg, int l, const double *b, double *z, int *which)
{
    mg_level_t *L = &mg->lev[l];
    int m = mg->steps, k, cur = 0, rc = DC_SUCCESS;
    const double *xc;
    mg_box_t xcg;

    /* pre-smoothing from zero */
    mg_scale(mg->env, L, b, L->x[cur], L->beta[0]);
    for (k = 1; k < m; k++) {
        DC_CHECK(xfer_run(mg, &L->halo, L->x[cur], L->x[cur]));
        if (mg->smoother == DC_MG_JACOBI)
            mg_kernel(mg->env, L, MG_K_SMOOTH, L->x[cur], b, NULL, L->x[cur ^ 1], &L->xg, 0,
                      L->beta[k]);
        else
            mg_kernel(mg->env, L, MG_K_SMOOTH, L->x[cur], b, k == 1 ? NULL : L->x[cur ^ 1],
                      L->x[cur ^ 1], &L->xg, L->alpha[k], L->beta[k]);
        cur ^= 1;
    }
    /* residual, restriction */
    DC_CHECK(xfer_run(mg, &L->halo, L->x[cur], L->x[cur]));
    mg_kernel(mg->env, L, MG_K_RESID, L->x[cur], b, NULL, L->r, &L->rg, 0, 0);
    DC_CHECK(xfer_run(mg, &L->restr, L->r, L->r));
    mg_restrict(mg, l);
    /* coarse correction */
    if (l + 1 == mg->nlev - 1) {
        mg_level_t *C = &mg->lev[l + 1];
        mg_box_t dom = box_domain(C->n);
        DC_CHECK(xfer_run(mg, &mg->gather, C->b, mg->nat));
        coarse_solve(mg);
        box_copy(&dom, mg->dof, mg->nat, &dom, mg->xf, &mg->xfg);
        xc = mg->xf;
        xcg = mg->xfg;
    } else {
        int wc = 0;
        mg_level_t *C = &mg->lev[l + 1];
        DC_CHECK(mg_cycle(mg, l + 1, C->b, NULL, &wc));
        DC_CHECK(xfer_run(mg, &L->prol, C->x[wc], C->x[wc]));
        xc = C->x[wc];
        xcg = C->xg;
    }
    mg_prolong(mg, l, xc, &xcg, L->x[cur]);
    /* post-smoothing: the same polynomial */
    for (k = 0; k < m; k++) {
        int last = l == 0 && k == m - 1;
        double *out = last ? z : L->x[cur ^ 1];
        const mg_box_t *og = last ? &L->own : &L->xg;
        DC_CHECK(xfer_run(mg, &L->halo, L->x[cur], L->x[cur]));
        if (mg->smoother == DC_MG_JACOBI || k == 0)
            mg_kernel(mg->env, L, MG_K_SMOOTH, L->x[cur], b, NULL, out, og, 0, L->beta[k]);
        else
            mg_kernel(mg->env, L, MG_K_SMOOTH, L->x[cur], b, L->x[cur ^ 1], out, og, L->alpha[k],
                      L->beta[k]);
        cur ^= 1;
    }
    *which = cur;
    return rc;
}

int dci_mg_apply(dci_mg_t *mg, const dc_vec_t *r, dc_vec_t *z)
{
    dc_env_t *env = mg->env;
    const double *b = r->data;
    double *zd = z->data;
    int which = 0, rc = DC_SUCCESS;

    dci_prof_begin(env, DCI_EV_MG_VCYCLE);
    if (mg->nlev == 1) {
        mg_level_t *L = &mg->lev[0];
        mg_box_t dom = box_domain(L->n);
        DC_CHECK_GOTO(xfer_run(mg, &mg->gather, b, mg->nat), out);
        coarse_solve(mg);
        if (!box_empty(&L->own))
            box_copy(&L->own, mg->dof, mg->nat, &dom, zd, &L->own);
    } else {
        DC_CHECK_GOTO(mg_cycle(mg, 0, b, zd, &which), out);
    }
out:
    dci_prof_end(env, DCI_EV_MG_VCYCLE, 0);
    return rc;
}

/* ---------------------------------------------------------------- test hook */

int dci_test_mg_transfer(dc_op_t *op, const dc_solver_params_t *prm, int l, int dir,
                         const double *in, double *out, int *nlev_p, int *active_p)
{
    dci_mg_t *mg = NULL;
    dc_env_t *env = op->hdr.env;
    mg_level_t *L, *C;
    mg_box_t fdom, cdom, own, dom;
    const double *xc;
    mg_box_t xcg;
    size_t nout;
    int r, rc;

    rc = dci_mg_create(op, prm, DC_REPRO_OFF, &mg);
    if (rc != DC_SUCCESS)
        return rc;
    *nlev_p = mg->nlev;
    if (l >= 0 && l < mg->nlev) {
        *active_p = 0;
        for (r = 0; r < mg->size; r++) {
            own = lev_box(mg, l, r);
            *active_p += !box_empty(&own);
        }
    }
    if (in == NULL || l < 0 || l + 1 >= mg->nlev)
        goto out;
    L = &mg->lev[l];
    C = &mg->lev[l + 1];
    fdom = box_domain(L->n);
    cdom = box_domain(C->n);
    if (dir == 1) {
        if (!box_empty(&L->own))
            box_copy(&L->own, mg->dof, in, &fdom, L->r, &L->rg);
        DC_CHECK_GOTO(xfer_run(mg, &L->restr, L->r, L->r), out);
        mg_restrict(mg, l);
        dom = cdom;
        nout = box_size(&cdom) * (size_t)mg->dof;
        memset(out, 0, nout * sizeof(double));
        if (!box_empty(&C->own))
            box_copy(&C->own, mg->dof, C->b, &C->own, out, &cdom);
    } else {
        if (l + 1 == mg->nlev - 1) {
            box_copy(&cdom, mg->dof, in, &cdom, mg->xf, &mg->xfg);
            xc = mg->xf;
            xcg = mg->xfg;
        } else {
            if (!box_empty(&C->own))
                box_copy(&C->own, mg->dof, in, &cdom, C->x[0], &C->xg);
            DC_CHECK_GOTO(xfer_run(mg, &L->prol, C->x[0], C->x[0]), out);
            xc = C->x[0];
            xcg = C->xg;
        }
        mg_prolong(mg, l, xc, &xcg, L->x[0]);
        dom = fdom;
        nout = box_size(&fdom) * (size_t)mg->dof;
        memset(out, 0, nout * sizeof(double));
        if (!box_empty(&L->own))
            box_copy(&L->own, mg->dof, L->x[0], &L->xg, out, &fdom);
    }
    (void)dom;
    /* one owner per entry, the others hold 0: the sum is exact */
    DC_CHECK_MPI_GOTO(
        env, MPI_Allreduce(MPI_IN_PLACE, out, (int)nout, MPI_DOUBLE, MPI_SUM, env->comm), out);
out:
    dci_mg_destroy(mg);
    return rc;
}
