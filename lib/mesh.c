/*
 * Structured grids (dc_mesh): a 1-3-D index box over a Cartesian process grid, the layouts of
 * its global and local (ghosted) fields, and the halo exchange. Every rank knows every rank's
 * box (per-dimension slab offsets), so the exchange pattern is computed at create by box
 * intersection, without messages: each rank's ghost pieces against every rank's box and its
 * periodic images. The exchange uses persistent requests on a private communicator, made once.
 * It only copies values (and local_to_global ADD sums them in a fixed order), so it is exact.
 */
#include "mesh_impl.h"
#include "vec_impl.h"

#include <limits.h>
#include <string.h>

enum { TAG_FWD = 1, TAG_REV = 2 };

/* ---------------------------------------------------------------- boxes */

void dci_mesh_rank_coords(const dc_mesh_t *m, int r, int coord[3])
{
    coord[0] = r % m->info.procs[0];
    coord[1] = (r / m->info.procs[0]) % m->info.procs[1];
    coord[2] = r / (m->info.procs[0] * m->info.procs[1]);
}

void dci_mesh_rank_box(const dc_mesh_t *m, int r, dc_gidx_t start[3], dc_gidx_t count[3])
{
    int c[3], d;

    dci_mesh_rank_coords(m, r, c);
    for (d = 0; d < 3; d++) {
        start[d] = m->offs[d][c[d]];
        count[d] = m->offs[d][c[d] + 1] - m->offs[d][c[d]];
    }
}

static int box_empty(const dc_gidx_t count[3])
{
    return count[0] == 0 || count[1] == 0 || count[2] == 0;
}

/* Ghosted box of a rank from its owned box. */
static void ghosted(const dc_mesh_t *m, const dc_gidx_t start[3], const dc_gidx_t count[3],
                    dc_gidx_t gs[3], dc_gidx_t gc[3])
{
    int d;

    for (d = 0; d < 3; d++) {
        int w = d < m->info.dim ? m->info.width : 0;
        gs[d] = start[d] - w;
        gc[d] = count[d] + 2 * (dc_gidx_t)w;
    }
}

/* ---------------------------------------------------------------- copies */

/* Owned values <-> the owned box of a local array: contiguous x-runs. */
void dci_mesh_owned_to_local(const dc_mesh_t *m, const double *global, double *local)
{
    const dc_mesh_info_t *in = &m->info;
    size_t run = (size_t)in->count[0] * (size_t)in->dof, j, k;
    double *base;

    if (in->nlocal == 0 || global == local) /* the same array: width 0, nothing to move */
        return;
    base = local + dc_mesh_local_index(in, in->start[0], in->start[1], in->start[2], 0);
    for (k = 0; k < (size_t)in->count[2]; k++)
        for (j = 0; j < (size_t)in->count[1]; j++) {
            memcpy(base + k * m->sz + j * m->sy, global, run * sizeof(double));
            global += run;
        }
}

void dci_mesh_local_to_owned(const dc_mesh_t *m, const double *local, double *global)
{
    const dc_mesh_info_t *in = &m->info;
    size_t run = (size_t)in->count[0] * (size_t)in->dof, j, k;
    const double *base;

    if (in->nlocal == 0 || global == local)
        return;
    base = local + dc_mesh_local_index(in, in->start[0], in->start[1], in->start[2], 0);
    for (k = 0; k < (size_t)in->count[2]; k++)
        for (j = 0; j < (size_t)in->count[1]; j++) {
            memcpy(global, base + k * m->sz + j * m->sy, run * sizeof(double));
            global += run;
        }
}

/* Regions -> consecutive buffer values, read from a local array (owned = 0: off, the local
 * strides) or from a global field's part (owned = 1: goff, the owned box's strides). */
static double *pack(const dc_mesh_t *m, const dci_mesh_region_t *r, int nr, const double *a,
                    int owned, double *buf)
{
    size_t dof = (size_t)m->info.dof, j, k;
    size_t sy = owned ? (size_t)m->info.count[0] * dof : m->sy;
    size_t sz = owned ? sy * (size_t)m->info.count[1] : m->sz;
    int i;

    for (i = 0; i < nr; i++) {
        size_t run = r[i].ex[0] * dof;
        for (k = 0; k < r[i].ex[2]; k++) {
            const double *src = a + (owned ? r[i].goff : r[i].off) + k * sz;
            if (run == 1) {
                for (j = 0; j < r[i].ex[1]; j++)
                    buf[j] = src[j * sy];
                buf += r[i].ex[1];
            } else {
                for (j = 0; j < r[i].ex[1]; j++, buf += run)
                    memcpy(buf, src + j * sy, run * sizeof(double));
            }
        }
    }
    return buf;
}

static const double *unpack(const dc_mesh_t *m, const dci_mesh_region_t *r, int nr,
                            const double *buf, double *a)
{
    size_t dof = (size_t)m->info.dof, j, k;
    int i;

    for (i = 0; i < nr; i++) {
        size_t run = r[i].ex[0] * dof;
        for (k = 0; k < r[i].ex[2]; k++) {
            double *dst = a + r[i].off + k * m->sz;
            if (run == 1) {
                for (j = 0; j < r[i].ex[1]; j++)
                    dst[j * m->sy] = buf[j];
                buf += r[i].ex[1];
            } else {
                for (j = 0; j < r[i].ex[1]; j++, buf += run)
                    memcpy(dst + j * m->sy, buf, run * sizeof(double));
            }
        }
    }
    return buf;
}

/* Owned regions (goff, strides of the owned box) += consecutive buffer values, in order. */
static const double *unpack_add(const dc_mesh_t *m, const dci_mesh_region_t *r, int nr,
                                const double *buf, double *global)
{
    size_t dof = (size_t)m->info.dof, j, k, t;
    size_t oy = (size_t)m->info.count[0] * dof, oz = oy * (size_t)m->info.count[1];
    int i;

    for (i = 0; i < nr; i++) {
        size_t run = r[i].ex[0] * dof;
        for (k = 0; k < r[i].ex[2]; k++)
            for (j = 0; j < r[i].ex[1]; j++, buf += run) {
                double *dst = global + r[i].goff + k * oz + j * oy;
                for (t = 0; t < run; t++)
                    dst[t] += buf[t];
            }
    }
    return buf;
}

/* ---------------------------------------------------------------- the halo pattern */

/*
 * The ghost pieces of a box: the 3^dim - 1 directions around it (z slowest, each from low to
 * high), faces only for STAR; none for an empty box or width 0. lo/hi are global indices.
 */
static int ghost_pieces(const dc_mesh_t *m, const dc_gidx_t s[3], const dc_gidx_t c[3],
                        dc_gidx_t lo[26][3], dc_gidx_t hi[26][3])
{
    int dim = m->info.dim, w = m->info.width, np = 0, dir[3], d;

    if (w == 0 || box_empty(c))
        return 0;
    for (dir[2] = dim > 2 ? -1 : 0; dir[2] <= (dim > 2 ? 1 : 0); dir[2]++)
        for (dir[1] = dim > 1 ? -1 : 0; dir[1] <= (dim > 1 ? 1 : 0); dir[1]++)
            for (dir[0] = -1; dir[0] <= 1; dir[0]++) {
                int nz = (dir[0] != 0) + (dir[1] != 0) + (dir[2] != 0);
                if (nz == 0 || (m->info.shape == DC_MESH_STAR && nz > 1))
                    continue;
                for (d = 0; d < 3; d++) {
                    lo[np][d] = dir[d] < 0 ? s[d] - w : dir[d] == 0 ? s[d] : s[d] + c[d];
                    hi[np][d] = dir[d] < 0 ? s[d] : dir[d] == 0 ? s[d] + c[d] : s[d] + c[d] + w;
                }
                np++;
            }
    return np;
}

/*
 * The regions that rank S sends to rank R (R's ghost pieces against S's box and its periodic
 * images), in the fixed order both sides use. Fills rreg (in R's local array) and sreg (in S's
 * local array, goff in S's owned box) when not NULL; returns the count, and the values in *nval.
 */
static int pair_regions(const dc_mesh_t *m, int R, int S, dci_mesh_region_t *rreg,
                        dci_mesh_region_t *sreg, size_t *nval)
{
    const dc_mesh_info_t *in = &m->info;
    dc_gidx_t rs[3], rc[3], ss[3], sc[3], rgs[3], rgc[3], sgs[3], sgc[3];
    dc_gidx_t lo[26][3], hi[26][3];
    int np, p, sh[3], nr = 0, d;

    *nval = 0;
    dci_mesh_rank_box(m, R, rs, rc);
    dci_mesh_rank_box(m, S, ss, sc);
    if (box_empty(sc))
        return 0;
    np = ghost_pieces(m, rs, rc, lo, hi);
    ghosted(m, rs, rc, rgs, rgc);
    ghosted(m, ss, sc, sgs, sgc);
    for (p = 0; p < np; p++)
        for (sh[2] = in->periodic[2] ? -1 : 0; sh[2] <= (in->periodic[2] ? 1 : 0); sh[2]++)
            for (sh[1] = in->periodic[1] ? -1 : 0; sh[1] <= (in->periodic[1] ? 1 : 0); sh[1]++)
                for (sh[0] = in->periodic[0] ? -1 : 0; sh[0] <= (in->periodic[0] ? 1 : 0);
                     sh[0]++) {
                    dc_gidx_t a[3], b[3];
                    size_t ex[3];
                    for (d = 0; d < 3; d++) {
                        dc_gidx_t off = sh[d] * in->n[d];
                        a[d] = lo[p][d] > ss[d] + off ? lo[p][d] : ss[d] + off;
                        b[d] = hi[p][d] < ss[d] + sc[d] + off ? hi[p][d] : ss[d] + sc[d] + off;
                        if (a[d] >= b[d])
                            break;
                        ex[d] = (size_t)(b[d] - a[d]);
                    }
                    if (d < 3)
                        continue;
                    if (rreg != NULL) {
                        size_t o = (size_t)(a[2] - rgs[2]);
                        o = o * (size_t)rgc[1] + (size_t)(a[1] - rgs[1]);
                        o = o * (size_t)rgc[0] + (size_t)(a[0] - rgs[0]);
                        rreg[nr].off = o * (size_t)in->dof;
                        rreg[nr].goff = 0;
                        memcpy(rreg[nr].ex, ex, sizeof(ex));
                    }
                    if (sreg != NULL) {
                        dc_gidx_t q[3];
                        size_t o, g;
                        for (d = 0; d < 3; d++)
                            q[d] = a[d] - sh[d] * in->n[d];
                        o = (size_t)(q[2] - sgs[2]);
                        o = o * (size_t)sgc[1] + (size_t)(q[1] - sgs[1]);
                        o = o * (size_t)sgc[0] + (size_t)(q[0] - sgs[0]);
                        g = (size_t)(q[2] - ss[2]);
                        g = g * (size_t)sc[1] + (size_t)(q[1] - ss[1]);
                        g = g * (size_t)sc[0] + (size_t)(q[0] - ss[0]);
                        sreg[nr].off = o * (size_t)in->dof;
                        sreg[nr].goff = g * (size_t)in->dof;
                        memcpy(sreg[nr].ex, ex, sizeof(ex));
                    }
                    *nval += ex[0] * ex[1] * ex[2] * (size_t)in->dof;
                    nr++;
                }
    return nr;
}

static void halo_free(dci_mesh_halo_t *h)
{
    int i, finalized = 1;

    MPI_Finalized(&finalized);
    if (h->req != NULL && !finalized)
        for (i = 0; i < h->nfwd + h->nrev; i++)
            if (h->req[i] != MPI_REQUEST_NULL)
                MPI_Request_free(&h->req[i]);
    dci_free(h->req);
    dci_free(h->peer);
    dci_free(h->soff);
    dci_free(h->sreg);
    dci_free(h->sregion);
    dci_free(h->rregion);
    dci_free(h->self_src);
    dci_free(h->sbuf);
    dci_free(h->rbuf);
    memset(h, 0, sizeof(*h));
}

/*
 * Build this rank's pattern: two passes over the ranks (count, then fill). Local, except that
 * it allocates: the caller agrees on the outcome.
 */

/* One persistent request per peer with a non-empty part of buf (offsets off, in doubles): a
 * receive (recv = 1) or a send, appended to req at *n_p. */
static int halo_init_reqs(dc_env_t *env, const dc_mesh_t *m, const dci_mesh_halo_t *h, double *buf,
                          const size_t *off, int tag, int recv, MPI_Request *req, int *n_p)
{
    int i;

    for (i = 0; i < h->npeers; i++) {
        int cnt = (int)(off[i + 1] - off[i]), mrc;
        if (cnt == 0)
            continue;
        mrc = recv ? MPI_Recv_init(buf + off[i], cnt, MPI_DOUBLE, h->peer[i], tag, m->comm,
                                   &req[*n_p])
                   : MPI_Send_init(buf + off[i], cnt, MPI_DOUBLE, h->peer[i], tag, m->comm,
                                   &req[*n_p]);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, recv ? "MPI_Recv_init" : "MPI_Send_init");
        (*n_p)++;
    }
    return DC_SUCCESS;
}

static int halo_setup(dc_mesh_t *m)
{
    dc_env_t *env = m->hdr.env;
    dci_mesh_halo_t *h = &m->halo;
    int me = env->rank, p = m->nranks, q, i, ns = 0, nr = 0, nself, rc = DC_SUCCESS;
    size_t sv = 0, rv = 0, v;

    memset(h, 0, sizeof(*h));
    /* pass 1: peers and sizes */
    for (q = 0; q < p; q++) {
        size_t a, b;
        if (q == me)
            continue;
        nr += pair_regions(m, me, q, NULL, NULL, &a);
        ns += pair_regions(m, q, me, NULL, NULL, &b);
        if (a > (size_t)INT_MAX || b > (size_t)INT_MAX)
            return DC_ERR(env, DC_ERR_SIZE,
                          "a halo message between ranks %d and %d exceeds INT_MAX values", me, q);
        if (a + b > 0)
            h->npeers++;
        rv += a;
        sv += b;
    }
    nself = pair_regions(m, me, me, NULL, NULL, &v);
    DC_CHECK(dci_calloc(env, (size_t)h->npeers + 1, sizeof(int), (void **)&h->peer));
    DC_CHECK(dci_calloc(env, 2 * ((size_t)h->npeers + 1), sizeof(size_t), (void **)&h->soff));
    h->roff = h->soff + h->npeers + 1;
    DC_CHECK(dci_calloc(env, 2 * ((size_t)h->npeers + 1), sizeof(int), (void **)&h->sreg));
    h->rreg = h->sreg + h->npeers + 1;
    DC_CHECK(dci_calloc(env, (size_t)ns + 1, sizeof(dci_mesh_region_t), (void **)&h->sregion));
    DC_CHECK(dci_calloc(env, (size_t)nr + 1, sizeof(dci_mesh_region_t), (void **)&h->rregion));
    DC_CHECK(
        dci_calloc(env, 2 * (size_t)nself + 1, sizeof(dci_mesh_region_t), (void **)&h->self_src));
    h->self_dst = h->self_src + nself;
    DC_CHECK(dci_malloc_aligned(env, (sv + 1) * sizeof(double), (void **)&h->sbuf));
    DC_CHECK(dci_malloc_aligned(env, (rv + 1) * sizeof(double), (void **)&h->rbuf));
    DC_CHECK(dci_malloc(env, 4 * ((size_t)h->npeers + 1) * sizeof(MPI_Request), (void **)&h->req));
    for (i = 0; i < 4 * (h->npeers + 1); i++)
        h->req[i] = MPI_REQUEST_NULL;
    /* pass 2: regions, offsets */
    i = 0;
    for (q = 0; q < p; q++) {
        size_t a, b;
        int kr, ks;
        if (q == me)
            continue;
        kr = pair_regions(m, me, q, h->rregion + h->rreg[i], NULL, &a);
        ks = pair_regions(m, q, me, NULL, h->sregion + h->sreg[i], &b);
        if (a + b == 0)
            continue;
        h->peer[i] = q;
        h->rreg[i + 1] = h->rreg[i] + kr;
        h->sreg[i + 1] = h->sreg[i] + ks;
        h->roff[i + 1] = h->roff[i] + a;
        h->soff[i + 1] = h->soff[i] + b;
        i++;
    }
    h->nself = pair_regions(m, me, me, h->self_dst, h->self_src, &v);
    h->nvalues = sv + rv;
    /* persistent requests: forward receives, forward sends; reverse receives, reverse sends (the
     * reverse exchange runs the forward one backwards: ghost copies go back to their owners) */
    rc = halo_init_reqs(env, m, h, h->rbuf, h->roff, TAG_FWD, 1, h->req, &h->nfwd);
    h->nfrecv = h->nfwd;
    if (rc == DC_SUCCESS)
        rc = halo_init_reqs(env, m, h, h->sbuf, h->soff, TAG_FWD, 0, h->req, &h->nfwd);
    h->rev = h->req + h->nfwd;
    if (rc == DC_SUCCESS)
        rc = halo_init_reqs(env, m, h, h->sbuf, h->soff, TAG_REV, 1, h->rev, &h->nrev);
    h->nrrecv = h->nrev;
    if (rc == DC_SUCCESS)
        rc = halo_init_reqs(env, m, h, h->rbuf, h->roff, TAG_REV, 0, h->rev, &h->nrev);
    return rc;
}

/* ---------------------------------------------------------------- lifecycle */

static void mesh_free(dc_mesh_t *m)
{
    dc_env_t *env;
    int d, finalized = 1;

    if (m == NULL)
        return;
    env = m->hdr.env;
    if (m->state != DCI_MESH_IDLE)
        dci_log(env, 1, "dc_mesh_destroy: a halo exchange is still under way; it is cancelled");
    halo_free(&m->halo);
    MPI_Finalized(&finalized);
    if (m->comm != MPI_COMM_NULL && !finalized)
        MPI_Comm_free(&m->comm);
    dci_layout_unref(m->layout);
    dci_layout_unref(m->llayout);
    for (d = 0; d < 3; d++)
        dci_free(m->offs[d]);
    m->hdr.magic = DCI_CLASS_DEAD;
    dci_free(m);
    dci_env_unref(env);
}

static void mesh_free_obj(dci_obj_t *hdr)
{
    mesh_free((dc_mesh_t *)hdr);
}

/* A layout made by this module: keep an internal reference and give up the user's, so that
 * the handle dc_mesh_get_layout lends cannot be destroyed by the caller. */
static int own_layout(dc_env_t *env, size_t nlocal, dc_layout_t **l_p)
{
    dc_layout_t *l = NULL;
    int rc = dci_layout_create_explicit_ev(env, DCI_EV_MESH_CREATE, nlocal, &l);

    if (rc != DC_SUCCESS)
        return rc;
    dci_layout_ref(l);
    dci_obj_release(&l->hdr, "layout", __func__);
    dci_obj_lend(&l->hdr); /* usable (dc_vec_create), never destroyable by a caller */
    *l_p = l;
    return DC_SUCCESS;
}

/* Messages of the create's helpers name the public function. */
#define CREATE_ERR(env, code, ...)                                                                 \
    dci_error_set((env), (code), "dc_mesh_create", __FILE__, __LINE__, __VA_ARGS__)

/* The checks of every argument that need no other rank; normalised values for the agreement
 * (a rejected or unread argument stands as 0). */
typedef struct {
    int dim, dof, width, shape, periodic[3], procs[3], has_counts[3];
    dc_gidx_t n[3];
    uint64_t mask, counts_fp[3];
    const dc_gidx_t *counts[3];
} mesh_args_t;

static int check_args(dc_env_t *env, int dim, const dc_gidx_t *n, int dof, int width,
                      const dc_mesh_params_t *prm, dc_mesh_t **mesh_p, mesh_args_t *a)
{
    int d, c, rc = DC_SUCCESS;

    memset(a, 0, sizeof(*a));
    a->dim = dim;
    a->dof = dof;
    a->width = width;
    for (d = 0; d < 3; d++)
        a->n[d] = 1;
    if (mesh_p == NULL)
        return CREATE_ERR(env, DC_ERR_ARG, "mesh_p is NULL");
    if (dim < 1 || dim > 3)
        return CREATE_ERR(env, DC_ERR_ARG, "dim %d is not 1, 2 or 3", dim);
    if (n == NULL)
        return CREATE_ERR(env, DC_ERR_ARG, "n is NULL");
    for (d = 0; d < dim; d++) {
        a->n[d] = n[d];
        if (n[d] < 1)
            return CREATE_ERR(env, DC_ERR_ARG, "n[%d] = %lld < 1", d, (long long)n[d]);
    }
    if (dof < 1)
        return CREATE_ERR(env, DC_ERR_ARG, "dof %d < 1", dof);
    if (width < 0)
        return CREATE_ERR(env, DC_ERR_ARG, "width %d < 0", width);
    if (prm == NULL)
        return DC_SUCCESS;
    a->mask = prm->field_mask;
    if (prm->field_mask & DC_MESH_PARAM_PERIODIC)
        for (d = 0; d < 3; d++) {
            if (prm->periodic[d] != 0 && prm->periodic[d] != 1)
                return CREATE_ERR(env, DC_ERR_ARG, "periodic[%d] = %d is not 0 or 1", d,
                                  prm->periodic[d]);
            if (d >= dim && prm->periodic[d])
                return CREATE_ERR(env, DC_ERR_ARG, "periodic[%d] = 1 beyond dim %d", d, dim);
            a->periodic[d] = prm->periodic[d];
        }
    if (prm->field_mask & DC_MESH_PARAM_SHAPE) {
        if (prm->shape != DC_MESH_STAR && prm->shape != DC_MESH_BOX)
            return CREATE_ERR(env, DC_ERR_ARG, "shape %d is not DC_MESH_STAR or DC_MESH_BOX",
                              (int)prm->shape);
        a->shape = (int)prm->shape;
    }
    if (prm->field_mask & DC_MESH_PARAM_PROCS) {
        int64_t prod = 1;
        int free_dims = 0;
        for (d = 0; d < 3; d++) {
            if (prm->procs[d] < 0 || prm->procs[d] > env->size || (d >= dim && prm->procs[d] > 1))
                return CREATE_ERR(env, DC_ERR_ARG, "procs[%d] = %d out of range%s", d,
                                  prm->procs[d], d >= dim ? " (0 or 1 beyond dim)" : "");
            a->procs[d] = prm->procs[d];
            if (prm->procs[d] > 0)
                prod *= prm->procs[d];
            else if (d < dim)
                free_dims++;
        }
        if (env->size % prod != 0 || (free_dims == 0 && prod != env->size))
            return CREATE_ERR(env, DC_ERR_ARG,
                              "procs %d x %d x %d cannot make a process grid of the env's %d ranks",
                              prm->procs[0], prm->procs[1], prm->procs[2], env->size);
    }
    if (prm->field_mask & DC_MESH_PARAM_COUNTS)
        for (d = 0; d < dim; d++) {
            uint64_t h = 0;
            if (prm->counts[d] == NULL)
                continue;
            if (!(prm->field_mask & DC_MESH_PARAM_PROCS) || prm->procs[0] < 1 ||
                (dim > 1 && prm->procs[1] < 1) || (dim > 2 && prm->procs[2] < 1))
                return CREATE_ERR(env, DC_ERR_ARG,
                                  "counts[%d] needs DC_MESH_PARAM_PROCS with every procs[d] given",
                                  d);
            for (c = 0; c < prm->procs[d]; c++) {
                if (prm->counts[d][c] < 0)
                    rc = CREATE_ERR(env, DC_ERR_ARG, "counts[%d][%d] = %lld < 0", d, c,
                                    (long long)prm->counts[d][c]);
                h = dci_fp_mix(h, (uint64_t)prm->counts[d][c]);
            }
            a->has_counts[d] = 1;
            a->counts[d] = prm->counts[d];
            a->counts_fp[d] = h;
        }
    return rc;
}

/* The process grid's free entries (dims[d] == 0, d < dim): among every factorisation of the
 * ranks left by the given entries with procs[d] <= n[d] and slabs at least width wide, the one
 * with the smallest halo surface of a largest box with the most neighbours (sum over split
 * dimensions of the product of the other dimensions' largest slabs, twice where the dimension
 * has 3 or more slabs: an inner box has a face on both sides; counting one face put 1023^2 on 4
 * ranks in 1 x 4 strips, 2046 halo values for the inner ranks where 2 x 2 has 1024); on a tie the
 * one whose thinnest slab is widest, then the one with more ranks in the later (slower) dimensions,
 * whose halo rows are contiguous. Fills dims and returns 1; 0 (dims unchanged) when no
 * factorisation fits. */
static int mesh_choose_procs(int size, int dim, const dc_gidx_t *n, int width, int *dims)
{
    int fixed = 1, free_ranks, d, p0, p1, best[3] = {0, 0, 0}, found = 0;
    double best_cost = 0.0;
    dc_gidx_t best_min = 0;

    for (d = 0; d < dim; d++)
        if (dims[d] > 0)
            fixed *= dims[d];
    if (fixed < 1 || size % fixed != 0)
        return 0;
    free_ranks = size / fixed;
    for (p0 = 1; p0 <= free_ranks; p0++) {
        if (free_ranks % p0 != 0 || (dims[0] > 0 && p0 != 1))
            continue;
        for (p1 = 1; p1 <= free_ranks / p0; p1++) {
            int p[3], e, ok = 1;
            double cost = 0.0;
            dc_gidx_t minext = -1;
            if ((free_ranks / p0) % p1 != 0 || (dim < 2 && p1 != 1) || (dims[1] > 0 && p1 != 1))
                continue;
            p[0] = dims[0] > 0 ? dims[0] : p0;
            p[1] = dim < 2 ? 1 : (dims[1] > 0 ? dims[1] : p1);
            p[2] = dim < 3 ? 1 : (dims[2] > 0 ? dims[2] : free_ranks / p0 / p1);
            if ((dim < 3 || dims[2] > 0) && free_ranks / p0 / p1 != 1)
                continue;
            for (d = 0; d < dim; d++)
                if (p[d] < 1 || (dims[d] == 0 && (p[d] > n[d] || n[d] / p[d] < width)))
                    ok = 0;
                else if (minext < 0 || n[d] / p[d] < minext)
                    minext = n[d] / p[d];
            if (!ok)
                continue;
            for (d = 0; d < dim; d++) {
                double face = 1.0;
                if (p[d] == 1)
                    continue;
                for (e = 0; e < dim; e++)
                    if (e != d)
                        face *= (double)(n[e] / p[e] + (n[e] % p[e] != 0));
                cost += p[d] > 2 ? 2.0 * face : face;
            }
            if (!found || cost < best_cost ||
                (cost == best_cost &&
                 (minext > best_min ||
                  (minext == best_min &&
                   (p[2] > best[2] || (p[2] == best[2] && p[1] > best[1])))))) {
                found = 1;
                best_cost = cost;
                best_min = minext;
                best[0] = p[0];
                best[1] = p[1];
                best[2] = p[2];
            }
        }
    }
    if (!found)
        return 0;
    for (d = 0; d < dim; d++)
        dims[d] = best[d];
    return 1;
}

/* Process grid, slab offsets and the size checks: the same result on every rank (the arguments
 * are agreed). Allocates m->offs. */
static int mesh_grid(dc_env_t *env, dc_mesh_t *m, const mesh_args_t *a)
{
    dc_mesh_info_t *in = &m->info;
    int d, c, dims[3] = {0, 0, 0}, mrc;
    size_t gtotal = 1;

    for (d = 0; d < 3; d++)
        dims[d] = a->procs[d];
    if (a->dim < 3 && dims[2] == 0)
        dims[2] = 1;
    if (a->dim < 2 && dims[1] == 0)
        dims[1] = 1;
    if (!mesh_choose_procs(env->size, a->dim, a->n, a->width, dims)) {
        /* no grid fits the sizes: MPI_Dims_create's, so that the size check below names it */
        mrc = MPI_Dims_create(env->size, a->dim, dims);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Dims_create");
    }
    for (d = 0; d < 3; d++) {
        in->procs[d] = dims[d];
        in->n[d] = a->n[d];
        in->periodic[d] = a->periodic[d];
    }
    in->dim = a->dim;
    in->dof = a->dof;
    in->width = a->width;
    in->shape = (dc_mesh_shape_t)a->shape;
    for (d = 0; d < 3; d++) {
        DC_CHECK(dci_malloc(env, ((size_t)dims[d] + 1) * sizeof(dc_gidx_t), (void **)&m->offs[d]));
        m->offs[d][0] = 0;
        if (a->has_counts[d]) {
            for (c = 0; c < dims[d]; c++) {
                if (a->counts[d][c] > a->n[d] - m->offs[d][c])
                    return CREATE_ERR(env, DC_ERR_SIZE, "counts[%d] sum to more than n[%d] = %lld",
                                      d, d, (long long)a->n[d]);
                m->offs[d][c + 1] = m->offs[d][c] + a->counts[d][c];
            }
            if (m->offs[d][dims[d]] != a->n[d])
                return CREATE_ERR(env, DC_ERR_SIZE, "counts[%d] sum to %lld, not n[%d] = %lld", d,
                                  (long long)m->offs[d][dims[d]], d, (long long)a->n[d]);
        } else {
            if (a->n[d] < dims[d])
                return CREATE_ERR(
                    env, DC_ERR_SIZE,
                    "n[%d] = %lld is smaller than the %d ranks of the process grid in "
                    "that dimension",
                    d, (long long)a->n[d], dims[d]);
            for (c = 0; c < dims[d]; c++)
                m->offs[d][c + 1] =
                    m->offs[d][c] + a->n[d] / dims[d] + (c < a->n[d] % dims[d] ? 1 : 0);
        }
        if (d < a->dim)
            for (c = 0; c < dims[d]; c++) {
                dc_gidx_t cnt = m->offs[d][c + 1] - m->offs[d][c];
                if (cnt > 0 && cnt < a->width)
                    return CREATE_ERR(
                        env, DC_ERR_SIZE,
                        "width %d is larger than the extent %lld of a box in dimension "
                        "%d",
                        a->width, (long long)cnt, d);
            }
    }
    /* every rank's local (ghosted) field must be addressable, and the global size an int64 */
    for (d = 0; d < 3; d++) {
        dc_gidx_t big = 0;
        int w = d < a->dim ? a->width : 0;
        for (c = 0; c < dims[d]; c++) {
            dc_gidx_t cnt = m->offs[d][c + 1] - m->offs[d][c];
            big = cnt > big ? cnt : big;
        }
        if ((uint64_t)big + 2 * (uint64_t)w > (uint64_t)INT64_MAX / 4 / gtotal)
            return CREATE_ERR(env, DC_ERR_SIZE,
                              "a local field of this mesh is too large to address");
        gtotal *= (size_t)(big + 2 * (dc_gidx_t)w);
    }
    if (gtotal > (size_t)INT64_MAX / 4 / (size_t)a->dof)
        return CREATE_ERR(env, DC_ERR_SIZE, "a local field of this mesh is too large to address");
    {
        uint64_t tot = (uint64_t)a->dof;
        for (d = 0; d < 3; d++) {
            if ((uint64_t)a->n[d] > (uint64_t)INT64_MAX / 4 / tot)
                return CREATE_ERR(env, DC_ERR_SIZE, "the mesh has more than INT64_MAX values");
            tot *= (uint64_t)a->n[d];
        }
    }
    return DC_SUCCESS;
}

/* This rank's info from the tables. */
static void mesh_info(dc_mesh_t *m, int rank)
{
    dc_mesh_info_t *in = &m->info;

    dci_mesh_rank_coords(m, rank, in->coord);
    dci_mesh_rank_box(m, rank, in->start, in->count);
    ghosted(m, in->start, in->count, in->gstart, in->gcount);
    in->nlocal =
        (size_t)in->count[0] * (size_t)in->count[1] * (size_t)in->count[2] * (size_t)in->dof;
    in->nghosted =
        (size_t)in->gcount[0] * (size_t)in->gcount[1] * (size_t)in->gcount[2] * (size_t)in->dof;
    m->sy = (size_t)in->gcount[0] * (size_t)in->dof;
    m->sz = m->sy * (size_t)in->gcount[1];
}

int dc_mesh_create(dc_env_t *env, int dim, const dc_gidx_t *n, int dof, int width,
                   const dc_mesh_params_t *params, dc_mesh_t **mesh_p)
{
    dc_mesh_t *m = NULL;
    mesh_args_t a;
    dci_arg_t args[24];
    int rc, na = 0, d, mrc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_MESH_CREATE);
    rc = check_args(env, dim, n, dof, width, params, mesh_p, &a);
    args[na++] = dci_arg_int("dim", a.dim, DC_ERR_ARG);
    args[na++] = dci_arg_int("n[0]", a.n[0], DC_ERR_ARG);
    args[na++] = dci_arg_int("n[1]", a.n[1], DC_ERR_ARG);
    args[na++] = dci_arg_int("n[2]", a.n[2], DC_ERR_ARG);
    args[na++] = dci_arg_int("dof", a.dof, DC_ERR_ARG);
    args[na++] = dci_arg_int("width", a.width, DC_ERR_ARG);
    args[na++] = dci_arg_int("params->field_mask", (int64_t)a.mask, DC_ERR_ARG);
    args[na++] = dci_arg_int("params->periodic[0]", a.periodic[0], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->periodic[1]", a.periodic[1], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->periodic[2]", a.periodic[2], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->shape", a.shape, DC_ERR_ARG);
    args[na++] = dci_arg_int("params->procs[0]", a.procs[0], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->procs[1]", a.procs[1], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->procs[2]", a.procs[2], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[0] (given)", a.has_counts[0], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[1] (given)", a.has_counts[1], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[2] (given)", a.has_counts[2], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[0] (values)", (int64_t)a.counts_fp[0], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[1] (values)", (int64_t)a.counts_fp[1], DC_ERR_ARG);
    args[na++] = dci_arg_int("params->counts[2] (values)", (int64_t)a.counts_fp[2], DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, na, __func__);
    if (rc != DC_SUCCESS)
        goto out;

    /* local phase: tables and size checks (the same outcome everywhere but for memory) */
    rc = dci_calloc(env, 1, sizeof(*m), (void **)&m);
    if (rc == DC_SUCCESS) {
        m->comm = MPI_COMM_NULL;
        m->nranks = env->size;
        m->hdr.env = env;
        rc = mesh_grid(env, m, &a);
    }
    if (rc == DC_SUCCESS)
        mesh_info(m, env->rank);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    /* collective phase: the layouts (agreed inside), the private communicator, the pattern */
    rc = own_layout(env, m->info.nlocal, &m->layout);
    if (rc == DC_SUCCESS)
        rc = own_layout(env, m->info.nghosted, &m->llayout);
    if (rc != DC_SUCCESS)
        goto out;
    mrc = MPI_Comm_dup(env->comm, &m->comm);
    if (mrc != MPI_SUCCESS) {
        m->comm = MPI_COMM_NULL;
        rc = DC_ERR_MPI_RC(env, mrc, "MPI_Comm_dup");
    }
    if (rc == DC_SUCCESS)
        rc = halo_setup(m);
    rc = dci_agree(env, rc);
out:
    if (rc != DC_SUCCESS) {
        if (m != NULL) {
            m->hdr.env = NULL;
            halo_free(&m->halo);
            if (m->comm != MPI_COMM_NULL)
                MPI_Comm_free(&m->comm);
            dci_layout_unref(m->layout);
            dci_layout_unref(m->llayout);
            for (d = 0; d < 3; d++)
                dci_free(m->offs[d]);
            dci_free(m);
        }
        dci_prof_end(env, DCI_EV_MESH_CREATE, 0);
        return rc;
    }
    dci_obj_init(&m->hdr, DCI_CLASS_MESH, dci_env_ref(env), mesh_free_obj);
    *mesh_p = m;
    dci_prof_end(env, DCI_EV_MESH_CREATE, 0);
    return DC_SUCCESS;
}

int dc_mesh_destroy(dc_mesh_t **mesh_p)
{
    dc_mesh_t *m;

    if (mesh_p == NULL || *mesh_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*mesh_p, DCI_CLASS_MESH);
    m = *mesh_p;
    *mesh_p = NULL;
    dci_obj_release(&m->hdr, "mesh_p", __func__);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- queries (local) */

int dc_mesh_get_info(const dc_mesh_t *mesh, dc_mesh_info_t *info_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_REQUIRE(mesh->hdr.env, info_p != NULL, DC_ERR_ARG, "info_p is NULL");
    *info_p = mesh->info;
    return DC_SUCCESS;
}

int dc_mesh_get_env(const dc_mesh_t *mesh, dc_env_t **env_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_REQUIRE(mesh->hdr.env, env_p != NULL, DC_ERR_ARG, "env_p is NULL");
    dci_obj_lend(&mesh->hdr.env->hdr);
    *env_p = mesh->hdr.env;
    return DC_SUCCESS;
}

int dc_mesh_get_layout(const dc_mesh_t *mesh, dc_layout_t **layout_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_REQUIRE(mesh->hdr.env, layout_p != NULL, DC_ERR_ARG, "layout_p is NULL");
    dci_obj_lend(&mesh->layout->hdr);
    *layout_p = mesh->layout;
    return DC_SUCCESS;
}

int dc_mesh_get_local_layout(const dc_mesh_t *mesh, dc_layout_t **layout_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_REQUIRE(mesh->hdr.env, layout_p != NULL, DC_ERR_ARG, "layout_p is NULL");
    dci_obj_lend(&mesh->llayout->hdr);
    *layout_p = mesh->llayout;
    return DC_SUCCESS;
}

int dc_mesh_get_box(const dc_mesh_t *mesh, int rank, dc_gidx_t *start, dc_gidx_t *count)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_REQUIRE(mesh->hdr.env, rank >= 0 && rank < mesh->nranks, DC_ERR_ARG,
               "rank %d out of range [0, %d)", rank, mesh->nranks);
    DC_REQUIRE(mesh->hdr.env, start != NULL && count != NULL, DC_ERR_ARG, "start or count is NULL");
    dci_mesh_rank_box(mesh, rank, start, count);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- fields */

int dc_mesh_create_global(dc_mesh_t *mesh, dc_vec_t **vec_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    return dci_vec_create_ev(mesh->layout, DCI_EV_MESH_CREATE_GLOBAL, vec_p);
}

int dc_mesh_create_local(dc_mesh_t *mesh, dc_vec_t **vec_p)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    return dci_vec_create_ev(mesh->llayout, DCI_EV_MESH_CREATE_LOCAL, vec_p);
}

/* A field on one of the mesh's layouts (the same layout, or one congruent with it). */
static int check_field(const dc_mesh_t *m, const dc_vec_t *v, const dc_layout_t *l,
                       const char *name, const char *func)
{
    if (v->layout != l && !dci_layout_congruent(v->layout, l))
        return dci_error_set(m->hdr.env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "%s is not a %s field of this mesh (its layout differs)", name,
                             l == m->layout ? "global" : "local");
    return DC_SUCCESS;
}

static int mesh_fill(dc_mesh_t *mesh, dc_vec_t *global, dc_mesh_point_fn fn, void *ctx)
{
    const dc_mesh_info_t *in;
    dc_gidx_t ijk[3];
    double *x;

    in = &mesh->info;
    DC_CHECK(check_field(mesh, global, mesh->layout, "global", "dc_mesh_fill"));
    DC_CHECK(dci_vec_state_write(global, "global", "dc_mesh_fill"));
    x = global->data;
    if (in->nlocal == 0)
        return DC_SUCCESS;
    for (ijk[2] = in->start[2]; ijk[2] < in->start[2] + in->count[2]; ijk[2]++)
        for (ijk[1] = in->start[1]; ijk[1] < in->start[1] + in->count[1]; ijk[1]++)
            for (ijk[0] = in->start[0]; ijk[0] < in->start[0] + in->count[0]; ijk[0]++) {
                fn(ijk, x, ctx);
                x += in->dof;
            }
    return DC_SUCCESS;
}

int dc_mesh_fill(dc_mesh_t *mesh, dc_vec_t *global, dc_mesh_point_fn fn, void *ctx)
{
    int rc;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    DC_REQUIRE(mesh->hdr.env, fn != NULL, DC_ERR_ARG, "fn is NULL");
    dci_prof_begin(mesh->hdr.env, DCI_EV_MESH_FILL);
    rc = mesh_fill(mesh, global, fn, ctx);
    dci_prof_end(mesh->hdr.env, DCI_EV_MESH_FILL, rc == DC_SUCCESS ? global->nlocal * 8 : 0);
    return rc;
}

/* ---------------------------------------------------------------- halo exchange */

/* Profiler (dc_events.h): the messages of one exchange, counted when posted, per peer (ranks of
 * m->comm are the env's). Forward: the owned parts out, the ghosts in; reverse the other way. */
static void halo_count(dc_env_t *env, const dci_mesh_halo_t *h, int forward)
{
    int i;

    if (DCI_LIKELY(!env->prof.on))
        return;
    for (i = 0; i < h->npeers; i++) {
        size_t so = (h->soff[i + 1] - h->soff[i]) * sizeof(double);
        size_t ro = (h->roff[i + 1] - h->roff[i]) * sizeof(double);
        size_t out = forward ? so : ro, in = forward ? ro : so;
        if (out > 0)
            dci_prof_send(env, h->peer[i], out);
        if (in > 0)
            dci_prof_recv(env, h->peer[i], in);
    }
}

/* Start the exchange, the values sent read from src (the local array itself, or the owned
 * values when owned = 1); the periodic copies onto this rank are done here. */
static int halo_start(dc_mesh_t *m, const double *src, int owned, double *local)
{
    dc_env_t *env = m->hdr.env;
    dci_mesh_halo_t *h = &m->halo;
    size_t dof = (size_t)m->info.dof;
    size_t sy = owned ? (size_t)m->info.count[0] * dof : m->sy;
    size_t sz = owned ? sy * (size_t)m->info.count[1] : m->sz;
    int i, mrc, rc = DC_SUCCESS;

    if (m->state != DCI_MESH_IDLE)
        return DC_ERR(env, DC_ERR_STATE, "a halo exchange of this mesh is already under way");
    /* counted in the caller's operation (dc_mesh_global_to_local*, dc_op_apply) */
    halo_count(env, h, 1);
    /* receives first, so that early senders find them posted */
    if (h->nfrecv > 0) {
        mrc = MPI_Startall(h->nfrecv, h->req);
        if (mrc != MPI_SUCCESS) {
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Startall (halo receives)");
            goto out;
        }
    }
    for (i = 0; i < h->npeers; i++)
        pack(m, h->sregion + h->sreg[i], h->sreg[i + 1] - h->sreg[i], src, owned,
             h->sbuf + h->soff[i]);
    if (h->nfwd > h->nfrecv) {
        mrc = MPI_Startall(h->nfwd - h->nfrecv, h->req + h->nfrecv);
        if (mrc != MPI_SUCCESS) {
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Startall (halo sends)");
            goto out;
        }
    }
    /* periodic wrap onto this rank: plain copies, while the messages travel */
    for (i = 0; i < h->nself; i++) {
        const dci_mesh_region_t *a = &h->self_src[i], *b = &h->self_dst[i];
        size_t run = a->ex[0] * dof, j, k;
        for (k = 0; k < a->ex[2]; k++)
            for (j = 0; j < a->ex[1]; j++)
                memcpy(local + b->off + k * m->sz + j * m->sy,
                       src + (owned ? a->goff : a->off) + k * sz + j * sy, run * sizeof(double));
    }
    m->state = DCI_MESH_FWD;
    m->cur_local = local;
    m->cur_global = NULL;
    return DC_SUCCESS;
out:
    return rc;
}

int dci_mesh_halo_begin(dc_mesh_t *m, double *local)
{
    return halo_start(m, local, 0, local);
}

int dci_mesh_halo_begin_owned(dc_mesh_t *m, const double *owned, double *local)
{
    return halo_start(m, owned, 1, local);
}

int dci_mesh_halo_end(dc_mesh_t *m, double *local)
{
    dc_env_t *env = m->hdr.env;
    dci_mesh_halo_t *h = &m->halo;
    int i, mrc, rc = DC_SUCCESS;

    if (m->state != DCI_MESH_FWD || m->cur_local != local)
        return DC_ERR(env, DC_ERR_STATE,
                      m->state != DCI_MESH_FWD ? "no halo exchange of this mesh is under way"
                                               : "not the fields the halo exchange began with");
    m->state = DCI_MESH_IDLE;
    m->cur_local = NULL;
    m->cur_global = NULL;
    if (h->nfwd > 0) {
        double t = dci_prof_mpi_begin(env);
        mrc = MPI_Waitall(h->nfwd, h->req, MPI_STATUSES_IGNORE);
        dci_prof_mpi_end(env, t);
        if (mrc != MPI_SUCCESS) {
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Waitall (halo)");
            goto out;
        }
    }
    for (i = 0; i < h->npeers; i++)
        unpack(m, h->rregion + h->rreg[i], h->rreg[i + 1] - h->rreg[i], h->rbuf + h->roff[i],
               local);
out:
    return rc;
}

/* Checks of a global/local pair for the public exchange calls. */
static int check_pair(const dc_mesh_t *m, const dc_vec_t *global, const dc_vec_t *local,
                      int write_global, const char *func)
{
    DC_CHECK(check_field(m, global, m->layout, "global", func));
    DC_CHECK(check_field(m, local, m->llayout, "local", func));
    if (write_global) {
        DC_CHECK(dci_vec_state_read(local, "local", func));
        DC_CHECK(dci_vec_state_write(global, "global", func));
    } else {
        DC_CHECK(dci_vec_state_read(global, "global", func));
        DC_CHECK(dci_vec_state_write(local, "local", func));
    }
    return DC_SUCCESS;
}

/* Bodies of the public halo calls, profiled by their callers (one event per public call). */
static int g2l_begin(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local, const char *func)
{
    DC_CHECK(check_pair(mesh, global, local, 0, func));
    if (mesh->state != DCI_MESH_IDLE)
        return DC_ERR(mesh->hdr.env, DC_ERR_STATE,
                      "a halo exchange of this mesh is already under way");
    DC_CHECK(dci_wd_enter(mesh->hdr.env, "dc_mesh_global_to_local")); /* hang watchdog */
    /* the messages leave before the owned values are copied: that copy overlaps them */
    DC_CHECK(dci_mesh_halo_begin_owned(mesh, global->data, local->data));
    dci_mesh_owned_to_local(mesh, global->data, local->data);
    mesh->cur_global = global;
    return DC_SUCCESS;
}

static int g2l_end(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local)
{
    if (mesh->state != DCI_MESH_FWD)
        return DC_ERR(mesh->hdr.env, DC_ERR_STATE, "no halo exchange of this mesh is under way");
    if (mesh->cur_global != global || mesh->cur_local != local->data)
        return DC_ERR(mesh->hdr.env, DC_ERR_STATE,
                      "not the fields dc_mesh_global_to_local_begin was given");
    return dci_mesh_halo_end(mesh, local->data);
}

int dc_mesh_global_to_local_begin(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    DC_VALIDATE(local, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    dci_prof_begin(env, DCI_EV_MESH_G2L_BEGIN);
    rc = g2l_begin(mesh, global, local, __func__);
    dci_prof_end(env, DCI_EV_MESH_G2L_BEGIN, rc == DC_SUCCESS ? mesh->info.nlocal * 8 : 0);
    return rc;
}

int dc_mesh_global_to_local_end(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    DC_VALIDATE(local, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    dci_prof_begin(env, DCI_EV_MESH_G2L_END);
    rc = g2l_end(mesh, global, local);
    dci_prof_end(env, DCI_EV_MESH_G2L_END,
                 rc == DC_SUCCESS ? mesh->halo.nvalues * sizeof(double) : 0);
    return rc;
}

int dc_mesh_global_to_local(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *local)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    DC_VALIDATE(local, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    dci_prof_begin(env, DCI_EV_MESH_G2L);
    rc = g2l_begin(mesh, global, local, __func__);
    if (rc == DC_SUCCESS)
        rc = g2l_end(mesh, global, local);
    dci_prof_end(env, DCI_EV_MESH_G2L,
                 rc == DC_SUCCESS ? (mesh->info.nlocal + mesh->halo.nvalues) * sizeof(double) : 0);
    return rc;
}

/*
 * Reverse exchange: every ghost copy goes back to its owner, which adds them to its owned values
 * in a fixed order: its own value first, then the copies by increasing source rank (itself, for
 * periodic wrap-around, at its own rank), each source's in message order. The result does not
 * depend on timing.
 */
static int reverse_add(dc_mesh_t *m, const double *local, double *global)
{
    dc_env_t *env = m->hdr.env;
    dci_mesh_halo_t *h = &m->halo;
    int i, mrc, self_done = 0, rc = DC_SUCCESS, me = env->rank;

    halo_count(env, h, 0); /* counted when posted, in dc_mesh_local_to_global */
    if (h->nrrecv > 0) {
        mrc = MPI_Startall(h->nrrecv, h->rev);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Startall (reverse halo receives)");
    }
    for (i = 0; i < h->npeers; i++)
        pack(m, h->rregion + h->rreg[i], h->rreg[i + 1] - h->rreg[i], local, 0,
             h->rbuf + h->roff[i]);
    if (h->nrev > h->nrrecv) {
        mrc = MPI_Startall(h->nrev - h->nrrecv, h->rev + h->nrrecv);
        if (mrc != MPI_SUCCESS)
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Startall (reverse halo sends)");
    }
    dci_mesh_local_to_owned(m, local, global);
    if (h->nrev > 0) {
        double t = dci_prof_mpi_begin(env);
        mrc = MPI_Waitall(h->nrev, h->rev, MPI_STATUSES_IGNORE);
        dci_prof_mpi_end(env, t);
        if (mrc != MPI_SUCCESS && rc == DC_SUCCESS)
            rc = DC_ERR_MPI_RC(env, mrc, "MPI_Waitall (reverse halo)");
    }
    if (rc != DC_SUCCESS)
        return rc;
    for (i = 0; i <= h->npeers; i++) {
        if (!self_done && (i == h->npeers || h->peer[i] > me)) {
            int s;
            for (s = 0; s < h->nself; s++) {
                dci_mesh_region_t r = h->self_dst[s];
                size_t dof = (size_t)m->info.dof, j, k, t, run = r.ex[0] * dof;
                size_t oy = (size_t)m->info.count[0] * dof, oz = oy * (size_t)m->info.count[1];
                for (k = 0; k < r.ex[2]; k++)
                    for (j = 0; j < r.ex[1]; j++) {
                        const double *src = local + r.off + k * m->sz + j * m->sy;
                        double *dst = global + h->self_src[s].goff + k * oz + j * oy;
                        for (t = 0; t < run; t++)
                            dst[t] += src[t];
                    }
            }
            self_done = 1;
        }
        if (i < h->npeers)
            unpack_add(m, h->sregion + h->sreg[i], h->sreg[i + 1] - h->sreg[i],
                       h->sbuf + h->soff[i], global);
    }
    return DC_SUCCESS;
}

int dc_mesh_local_to_global(dc_mesh_t *mesh, const dc_vec_t *local, dc_vec_t *global,
                            dc_mesh_insert_t mode)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(local, DCI_CLASS_VEC);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    DC_REQUIRE(env, mode == DC_MESH_INSERT || mode == DC_MESH_ADD, DC_ERR_ARG,
               "mode %d is not DC_MESH_INSERT or DC_MESH_ADD", (int)mode);
    DC_CHECK(check_pair(mesh, global, local, 1, __func__));
    DC_REQUIRE(env, mesh->state == DCI_MESH_IDLE, DC_ERR_STATE,
               "a halo exchange of this mesh is under way");
    dci_prof_begin(env, DCI_EV_MESH_L2G); /* first: the profiler's wait at entry is ours */
    rc = dci_wd_enter(env, __func__);     /* hang watchdog: one branch when off */
    if (rc != DC_SUCCESS) {
        dci_prof_end(env, DCI_EV_MESH_L2G, 0);
        return rc;
    }
    if (mode == DC_MESH_INSERT) {
        dci_mesh_local_to_owned(mesh, local->data, global->data);
    } else {
        mesh->state = DCI_MESH_REV;
        rc = reverse_add(mesh, local->data, global->data);
        mesh->state = DCI_MESH_IDLE;
    }
    dci_prof_end(env, DCI_EV_MESH_L2G,
                 rc != DC_SUCCESS      ? 0
                 : mode == DC_MESH_ADD ? (mesh->info.nlocal + mesh->halo.nvalues) * sizeof(double)
                                       : mesh->info.nlocal * sizeof(double));
    return rc;
}

/* ---------------------------------------------------------------- natural ordering */

/* Natural index of the first value of point (i, j, k). */
static dc_gidx_t natural_index(const dc_mesh_info_t *in, dc_gidx_t i, dc_gidx_t j, dc_gidx_t k)
{
    return ((k * in->n[1] + j) * in->n[0] + i) * in->dof;
}

/* The slab of dimension d that holds index x (the last one starting at or before it, so that
 * empty slabs are skipped). */
static int slab_of(const dc_mesh_t *m, int d, dc_gidx_t x)
{
    int lo = 0, hi = m->info.procs[d] - 1;

    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (m->offs[d][mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The rank that owns natural index g. */
static int natural_owner(const dc_mesh_t *m, dc_gidx_t g)
{
    const dc_mesh_info_t *in = &m->info;
    dc_gidx_t p = g / in->dof, x = p % in->n[0], y = (p / in->n[0]) % in->n[1],
              z = p / (in->n[0] * in->n[1]);

    return slab_of(m, 0, x) + in->procs[0] * (slab_of(m, 1, y) + in->procs[1] * slab_of(m, 2, z));
}

/* Rank r's values in distributed order (packed) to their places in a natural array
 * (to_natural), or back: one memcpy per x-run. */
static void box_runs(const dc_mesh_t *m, int r, double *natural, double *packed, int to_natural)
{
    const dc_mesh_info_t *in = &m->info;
    dc_gidx_t s[3], c[3], j, k;
    size_t run;

    dci_mesh_rank_box(m, r, s, c);
    if (box_empty(c))
        return;
    run = (size_t)c[0] * (size_t)in->dof;
    for (k = s[2]; k < s[2] + c[2]; k++)
        for (j = s[1]; j < s[1] + c[1]; j++) {
            double *nat = natural + natural_index(in, s[0], j, k);
            if (to_natural)
                memcpy(nat, packed, run * sizeof(double));
            else
                memcpy(packed, nat, run * sizeof(double));
            packed += run;
        }
}

/* Checks and agreement shared by gather/scatter; allocates counts/displs and, on the root(s),
 * the packed array. */
static int natural_setup(const char *func, dc_mesh_t *m, const dc_vec_t *v, int write, int root,
                         int allow_all, const void *natural, int **cd_p, double **tmp_p)
{
    dc_env_t *env = m->hdr.env;
    dc_gidx_t total = m->layout->n;
    int am_root = root == env->rank || (allow_all && root == -1), rc, r;
    int64_t rv = root;

    rc = check_field(m, v, m->layout, "global", func);
    if (rc == DC_SUCCESS)
        rc = write ? dci_vec_state_write(v, "global", func) : dci_vec_state_read(v, "global", func);
    if (rc == DC_SUCCESS && !((root >= 0 && root < env->size) || (allow_all && root == -1)))
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "root %d is not a rank of the env (0 .. %d%s)", root, env->size - 1,
                           allow_all ? ", or -1 for all" : "");
    if (rc == DC_SUCCESS && m->state != DCI_MESH_IDLE)
        rc = dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__,
                           "a halo exchange of this mesh is under way");
    if (rc == DC_SUCCESS && total > INT_MAX)
        rc = dci_error_set(env, DC_ERR_SIZE, func, __FILE__, __LINE__,
                           "the mesh has %lld values, more than INT_MAX: MPI counts are int",
                           (long long)total);
    if (rc == DC_SUCCESS && am_root && natural == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "natural is NULL on rank %d (needed on the root)", env->rank);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, 2 * (size_t)env->size * sizeof(int), (void **)cd_p);
    if (rc == DC_SUCCESS && am_root)
        rc = dci_malloc(env, ((size_t)total + 1) * sizeof(double), (void **)tmp_p);
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_check_same(env, DC_ERR_ARG, &rv, 1, "root");
    if (rc == DC_SUCCESS)
        for (r = 0; r < env->size; r++) {
            (*cd_p)[r] = (int)(m->layout->offsets[r + 1] - m->layout->offsets[r]);
            (*cd_p)[env->size + r] = (int)m->layout->offsets[r];
        }
    return rc;
}

int dc_mesh_gather_natural(dc_mesh_t *mesh, const dc_vec_t *global, int root, double *natural)
{
    dc_env_t *env;
    int *cd = NULL, rc, mrc, am_root, r;
    double *tmp = NULL, t;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    dci_prof_begin(env, DCI_EV_MESH_GATHER_NATURAL);
    am_root = root == -1 || root == env->rank;
    rc = natural_setup(__func__, mesh, global, 0, root, 1, natural, &cd, &tmp);
    if (rc != DC_SUCCESS)
        goto out;
    t = dci_prof_mpi_begin(env);
    if (root == -1)
        mrc = MPI_Allgatherv(global->data, (int)global->nlocal, MPI_DOUBLE, tmp, cd, cd + env->size,
                             MPI_DOUBLE, env->comm);
    else
        mrc = MPI_Gatherv(global->data, (int)global->nlocal, MPI_DOUBLE, tmp, cd, cd + env->size,
                          MPI_DOUBLE, root, env->comm);
    dci_prof_mpi_end(env, t);
    /* per peer (dc_events.h): each rank's part to the root(s), the root's from each rank */
    if (DCI_UNLIKELY(env->prof.on) && global->nlocal > 0) {
        for (r = 0; r < env->size; r++)
            if (r != env->rank && (root == -1 || r == root))
                dci_prof_send(env, r, global->nlocal * sizeof(double));
    }
    if (am_root)
        dci_prof_peers(env, env->size, NULL, NULL, cd, sizeof(double));
    if (mrc != MPI_SUCCESS) {
        rc = DC_ERR_MPI_RC(env, mrc, root == -1 ? "MPI_Allgatherv" : "MPI_Gatherv");
        goto out;
    }
    if (am_root)
        for (r = 0; r < env->size; r++)
            box_runs(mesh, r, natural, tmp + cd[env->size + r], 1);
out:
    dci_free(cd);
    dci_free(tmp);
    dci_prof_end(env, DCI_EV_MESH_GATHER_NATURAL,
                 rc != DC_SUCCESS ? 0
                 : am_root        ? (size_t)mesh->layout->n * sizeof(double)
                                  : global->nlocal * sizeof(double));
    return rc;
}

int dc_mesh_scatter_natural(dc_mesh_t *mesh, int root, const double *natural, dc_vec_t *global)
{
    dc_env_t *env;
    int *cd = NULL, rc, mrc, am_root, r;
    double *tmp = NULL, t;

    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    env = mesh->hdr.env;
    dci_prof_begin(env, DCI_EV_MESH_SCATTER_NATURAL);
    am_root = root == env->rank;
    rc = natural_setup(__func__, mesh, global, 1, root, 0, natural, &cd, &tmp);
    if (rc != DC_SUCCESS)
        goto out;
    if (am_root)
        for (r = 0; r < env->size; r++)
            box_runs(mesh, r, (double *)natural, tmp + cd[env->size + r], 0);
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Scatterv(tmp, cd, cd + env->size, MPI_DOUBLE, global->data, (int)global->nlocal,
                       MPI_DOUBLE, root, env->comm);
    dci_prof_mpi_end(env, t);
    /* per peer (dc_events.h): the root's part for each rank, a rank's own part from the root */
    if (am_root)
        dci_prof_peers(env, env->size, NULL, cd, NULL, sizeof(double));
    else if (global->nlocal > 0)
        dci_prof_recv(env, root, global->nlocal * sizeof(double));
    if (mrc != MPI_SUCCESS)
        rc = DC_ERR_MPI_RC(env, mrc, "MPI_Scatterv");
out:
    dci_free(cd);
    dci_free(tmp);
    dci_prof_end(env, DCI_EV_MESH_SCATTER_NATURAL,
                 rc != DC_SUCCESS ? 0
                 : am_root        ? (size_t)mesh->layout->n * sizeof(double)
                                  : global->nlocal * sizeof(double));
    return rc;
}

/*
 * global <-> a vector in natural order on any layout, with one MPI_Alltoallv of values only (as
 * dc_vec_redistribute). Inside one rank's box the distributed order and the natural order agree
 * (both lexicographic with dof fastest, then x, y, z), so each side can walk its own entries in
 * increasing order and find, per peer, the order the peer sends in: the mesh side walks its box,
 * the natural side its layout's global indices, each looking up the other side's owner.
 */
static int natural_move(const char *func, dci_event_t ev, dc_mesh_t *m, const dc_vec_t *global,
                        dc_vec_t *nat, int to_natural)
{
    dc_env_t *env = m->hdr.env;
    const dc_mesh_info_t *in = &m->info;
    const dc_layout_t *ln;
    int rc = DC_SUCCESS, mrc, p = env->size, r, me = env->rank;
    int *cnt = NULL, *mpeer = NULL, *npeer = NULL;
    double *mbuf = NULL, *nbuf = NULL, t;
    size_t i, li, nn;

    ln = nat->layout;
    nn = nat->nlocal;
    dci_prof_begin(env, ev);
    DC_CHECK_GOTO(check_field(m, global, m->layout, "global", func), agree);
    DC_CHECK_GOTO(to_natural ? dci_vec_state_read(global, "global", func)
                             : dci_vec_state_write(global, "global", func),
                  agree);
    DC_CHECK_GOTO(to_natural ? dci_vec_state_write(nat, "natural", func)
                             : dci_vec_state_read(nat, "natural", func),
                  agree);
    DC_REQUIRE_GOTO(env, nat->hdr.env == env, DC_ERR_COMM, agree,
                    "%s: natural lives on another env than the mesh", func);
    DC_REQUIRE_GOTO(env, ln->n == m->layout->n, DC_ERR_SIZE, agree,
                    "%s: global sizes differ: the mesh has %lld values, natural %lld", func,
                    (long long)m->layout->n, (long long)ln->n);
    DC_REQUIRE_GOTO(env, in->nlocal <= INT_MAX && nn <= INT_MAX, DC_ERR_SIZE, agree,
                    "%s: local sizes %zu / %zu exceed INT_MAX: MPI counts are int", func,
                    in->nlocal, nn);
    DC_REQUIRE_GOTO(env, m->state == DCI_MESH_IDLE, DC_ERR_STATE, agree,
                    "%s: a halo exchange of this mesh is under way", func);
    DC_CHECK_GOTO(dci_malloc(env, 4 * (size_t)p * sizeof(int), (void **)&cnt), agree);
    DC_CHECK_GOTO(dci_malloc(env, (in->nlocal + 1) * sizeof(int), (void **)&mpeer), agree);
    DC_CHECK_GOTO(dci_malloc(env, (nn + 1) * sizeof(int), (void **)&npeer), agree);
    DC_CHECK_GOTO(dci_malloc(env, (in->nlocal + 1) * sizeof(double), (void **)&mbuf), agree);
    DC_CHECK_GOTO(dci_malloc(env, (nn + 1) * sizeof(double), (void **)&nbuf), agree);
agree:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    {
        int *mcnt = cnt, *mdsp = cnt + p, *ncnt = cnt + 2 * p, *ndsp = cnt + 3 * p;
        dc_gidx_t x, y, z;
        int c;

        memset(cnt, 0, 4 * (size_t)p * sizeof(int));
        /* mesh side: owner in the natural layout of each owned value, in distributed order */
        i = 0;
        if (in->nlocal > 0)
            for (z = in->start[2]; z < in->start[2] + in->count[2]; z++)
                for (y = in->start[1]; y < in->start[1] + in->count[1]; y++)
                    for (x = in->start[0]; x < in->start[0] + in->count[0]; x++)
                        for (c = 0; c < in->dof; c++, i++) {
                            dci_layout_locate(ln, natural_index(in, x, y, z) + c, &mpeer[i], &li);
                            mcnt[mpeer[i]]++;
                        }
        /* natural side: the mesh rank that owns each natural entry of this rank */
        for (i = 0; i < nn; i++) {
            npeer[i] = natural_owner(m, dci_layout_l2g(ln, me, i));
            ncnt[npeer[i]]++;
        }
        for (r = 1; r < p; r++) {
            mdsp[r] = mdsp[r - 1] + mcnt[r - 1];
            ndsp[r] = ndsp[r - 1] + ncnt[r - 1];
        }
        if (to_natural) {
            for (i = 0; i < in->nlocal; i++)
                mbuf[mdsp[mpeer[i]]++] = global->data[i];
            for (r = 0; r < p; r++)
                mdsp[r] -= mcnt[r];
            t = dci_prof_mpi_begin(env);
            mrc = MPI_Alltoallv(mbuf, mcnt, mdsp, MPI_DOUBLE, nbuf, ncnt, ndsp, MPI_DOUBLE,
                                env->comm);
            dci_prof_mpi_end(env, t);
            dci_prof_peers(env, p, NULL, mcnt, ncnt, sizeof(double)); /* per peer */
            if (mrc == MPI_SUCCESS)
                for (i = 0; i < nn; i++)
                    nat->data[i] = nbuf[ndsp[npeer[i]]++];
        } else {
            for (i = 0; i < nn; i++)
                nbuf[ndsp[npeer[i]]++] = nat->data[i];
            for (r = 0; r < p; r++)
                ndsp[r] -= ncnt[r];
            t = dci_prof_mpi_begin(env);
            mrc = MPI_Alltoallv(nbuf, ncnt, ndsp, MPI_DOUBLE, mbuf, mcnt, mdsp, MPI_DOUBLE,
                                env->comm);
            dci_prof_mpi_end(env, t);
            dci_prof_peers(env, p, NULL, ncnt, mcnt, sizeof(double)); /* per peer */
            if (mrc == MPI_SUCCESS)
                for (i = 0; i < in->nlocal; i++)
                    global->data[i] = mbuf[mdsp[mpeer[i]]++];
        }
        if (mrc != MPI_SUCCESS)
            rc = dci_error_mpi(env, mrc, func, __FILE__, __LINE__, "MPI_Alltoallv");
    }
out:
    dci_free(cnt);
    dci_free(mpeer);
    dci_free(npeer);
    dci_free(mbuf);
    dci_free(nbuf);
    dci_prof_end(env, ev, rc == DC_SUCCESS ? (in->nlocal + nn) * sizeof(double) : 0);
    return rc;
}

int dc_mesh_global_to_natural(dc_mesh_t *mesh, const dc_vec_t *global, dc_vec_t *natural)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    DC_VALIDATE(natural, DCI_CLASS_VEC);
    return natural_move(__func__, DCI_EV_MESH_GLOBAL_TO_NATURAL, mesh, global, natural, 1);
}

int dc_mesh_natural_to_global(dc_mesh_t *mesh, const dc_vec_t *natural, dc_vec_t *global)
{
    DC_VALIDATE(mesh, DCI_CLASS_MESH);
    DC_VALIDATE(natural, DCI_CLASS_VEC);
    DC_VALIDATE(global, DCI_CLASS_VEC);
    return natural_move(__func__, DCI_EV_MESH_NATURAL_TO_GLOBAL, mesh, global, (dc_vec_t *)natural,
                        0);
}
