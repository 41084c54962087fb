/*
 * Distribution descriptors and the redistribution engine: dst = alpha op(src) + beta dst between
 * any two distributions in one packed all-to-all (the COSTA idea). Both sides enumerate the
 * entries they exchange with each partner in the same order (destination column-major), from
 * global information only, so no counts travel. Runs of consecutive indices are cut at block
 * boundaries of the other side's map, so packing copies contiguous runs, not single entries.
 */
#include "mat_impl.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

int dci_mat_alloc(dc_env_t *env, size_t bytes, void **ptr_p)
{
    int rc = dci_malloc_aligned(env, bytes, ptr_p);

#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (rc == DC_SUCCESS && bytes >= ((size_t)8 << 20)) {
        const uintptr_t huge = (uintptr_t)2 << 20;
        uintptr_t lo = ((uintptr_t)*ptr_p + huge - 1) & ~(huge - 1);
        uintptr_t hi = ((uintptr_t)*ptr_p + bytes) & ~(huge - 1);
        if (hi > lo)
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only: may fail */
    }
#endif
    return rc;
}

/* ---------------------------------------------------------------- 1-D maps */

dci_map1_t dci_map1_bc_off(dc_gidx_t n, dc_gidx_t nb, int nproc, int src, dc_gidx_t off)
{
    dci_map1_t m;

    m.n = n;
    m.nb = nb < 1 ? 1 : nb;
    m.nproc = nproc < 1 ? 1 : nproc;
    m.src = src;
    m.nseg = 1;
    m.seglen = n;
    m.off = off;
    /* Canonical forms, so that maps that place every index alike compare equal (and block
     * arithmetic stays far from overflow): one block holding everything, or one coordinate. */
    if (m.off + n <= m.nb) {
        m.nb = n > 0 ? n : 1;
        m.off = 0;
    }
    if (m.nproc == 1) {
        m.nb = n > 0 ? n : 1;
        m.src = 0;
        m.off = 0;
    }
    return m;
}

dci_map1_t dci_map1_bc(dc_gidx_t n, dc_gidx_t nb, int nproc, int src)
{
    return dci_map1_bc_off(n, nb, nproc, src, 0);
}

int dci_map1_nparts(const dci_map1_t *m)
{
    return m->nseg * m->nproc;
}

/* Start and length of segment s. */
static void seg_range(const dci_map1_t *m, int s, dc_gidx_t *lo_p, dc_gidx_t *len_p)
{
    dc_gidx_t lo = m->nseg == 1 ? 0 : (dc_gidx_t)s * m->seglen;
    dc_gidx_t len = m->nseg == 1 ? m->n : m->seglen;

    if (lo > m->n)
        lo = m->n;
    if (len > m->n - lo)
        len = m->n - lo;
    *lo_p = lo;
    *len_p = len;
}

/* First block of a segment owned by coordinate a. */
static dc_gidx_t first_block(const dci_map1_t *m, int a)
{
    return (dc_gidx_t)(((a - m->src) % m->nproc + m->nproc) % m->nproc);
}

/*
 * Offsets: a map with off > 0 is the plain map of n + off indices whose first off indices
 * (phantoms, on coordinate src) are dropped; coordinate src's local numbering shifts by off.
 */
dc_gidx_t dci_map1_count(const dci_map1_t *m, int part)
{
    int s = part / m->nproc, a = part % m->nproc;
    dc_gidx_t lo, len, nblocks, b0, mine, cnt;

    seg_range(m, s, &lo, &len);
    if (len == 0)
        return 0;
    len += m->off;
    nblocks = len / m->nb + (len % m->nb != 0);
    b0 = first_block(m, a);
    if (b0 >= nblocks)
        return 0;
    mine = (nblocks - 1 - b0) / m->nproc + 1;
    cnt = mine * m->nb;
    if ((nblocks - 1 - b0) % m->nproc == 0) /* this part has the short last block */
        cnt -= nblocks * m->nb - len;
    if (b0 == 0)
        cnt -= m->off;
    return cnt;
}

dci_loc_t dci_map1_locate(const dci_map1_t *m, dc_gidx_t g)
{
    dci_loc_t r;
    int s = 0;
    dc_gidx_t w, blk;

    if (m->nseg > 1) {
        s = (int)(g / m->seglen);
        if (s >= m->nseg)
            s = m->nseg - 1;
    }
    w = g - (dc_gidx_t)s * (m->nseg > 1 ? m->seglen : 0) + m->off;
    blk = w / m->nb;
    r.part = s * m->nproc + (int)((blk + m->src) % m->nproc);
    r.local = (blk / m->nproc) * m->nb + w % m->nb - (blk % m->nproc == 0 ? m->off : 0);
    return r;
}

dc_gidx_t dci_map1_global(const dci_map1_t *m, int part, dc_gidx_t li)
{
    int s = part / m->nproc, a = part % m->nproc;
    dc_gidx_t lo, len, blk, b0 = first_block(m, a);

    seg_range(m, s, &lo, &len);
    if (b0 == 0)
        li += m->off;
    blk = (li / m->nb) * m->nproc + b0;
    return lo + blk * m->nb + li % m->nb - m->off;
}

dc_gidx_t dci_map1_block_end(const dci_map1_t *m, dc_gidx_t g)
{
    int s = 0;
    dc_gidx_t lo, len, end;

    if (m->nseg > 1) {
        s = (int)(g / m->seglen);
        if (s >= m->nseg)
            s = m->nseg - 1;
    }
    seg_range(m, s, &lo, &len);
    end = lo + ((g - lo + m->off) / m->nb + 1) * m->nb - m->off;
    return end < lo + len ? end : lo + len;
}

int dci_map1_same(const dci_map1_t *a, const dci_map1_t *b)
{
    return a->n == b->n && a->nb == b->nb && a->nproc == b->nproc && a->src == b->src &&
           a->off == b->off && a->nseg == b->nseg && (a->nseg == 1 || a->seglen == b->seglen);
}

/* ---------------------------------------------------------------- 2-D descriptors */

int dci_dist_rank(const dci_dist_t *d, int rpart, int cpart)
{
    int rs = rpart / d->row.nproc, rc = rpart % d->row.nproc;
    int cs = cpart / d->col.nproc, cc = cpart % d->col.nproc;

    return d->base + rc * d->rmul + rs * d->rsmul + cc * d->cmul + cs * d->csmul;
}

void dci_dist_parts(const dci_dist_t *d, int r, int *rpart_p, int *cpart_p)
{
    int rp, cp, nr = dci_map1_nparts(&d->row), nc = dci_map1_nparts(&d->col);

    for (rp = 0; rp < nr; rp++)
        for (cp = 0; cp < nc; cp++)
            if (dci_dist_rank(d, rp, cp) == r) {
                *rpart_p = rp;
                *cpart_p = cp;
                return;
            }
    *rpart_p = *cpart_p = -1;
}

/* rank -> parts for all ranks at once (O(P) instead of O(P^2)). */
static void dist_table(const dci_dist_t *d, int nranks, int *rpart, int *cpart)
{
    int rp, cp, r, nr = dci_map1_nparts(&d->row), nc = dci_map1_nparts(&d->col);

    for (r = 0; r < nranks; r++)
        rpart[r] = cpart[r] = -1;
    for (rp = 0; rp < nr; rp++)
        for (cp = 0; cp < nc; cp++) {
            r = dci_dist_rank(d, rp, cp);
            if (r >= 0 && r < nranks) {
                rpart[r] = rp;
                cpart[r] = cp;
            }
        }
}

void dci_dist_local_size(const dci_dist_t *d, int r, size_t *mloc_p, size_t *nloc_p)
{
    int rp, cp;

    dci_dist_parts(d, r, &rp, &cp);
    *mloc_p = rp < 0 ? 0 : (size_t)dci_map1_count(&d->row, rp);
    *nloc_p = cp < 0 ? 0 : (size_t)dci_map1_count(&d->col, cp);
}

int dci_dist_same(const dci_dist_t *a, const dci_dist_t *b)
{
    /* a multiplier of a dimension with one coordinate (or one segment) never contributes */
    return dci_map1_same(&a->row, &b->row) && dci_map1_same(&a->col, &b->col) &&
           a->base == b->base && (a->row.nproc == 1 || a->rmul == b->rmul) &&
           (a->col.nproc == 1 || a->cmul == b->cmul) &&
           (a->row.nseg == 1 || a->rsmul == b->rsmul) && (a->col.nseg == 1 || a->csmul == b->csmul);
}

dci_dist_t dci_dist_from_pub(const dc_mat_dist_t *p)
{
    dci_dist_t d;

    d.row = dci_map1_bc_off(p->m, p->mb, p->nprow, p->rsrc, p->ioff);
    d.col = dci_map1_bc_off(p->n, p->nb, p->npcol, p->csrc, p->joff);
    d.base = 0;
    d.rmul = p->npcol;
    d.cmul = 1;
    d.rsmul = d.csmul = 0;
    return d;
}

dci_dist_t dci_dist_root(dc_gidx_t m, dc_gidx_t n, int root)
{
    dci_dist_t d;

    d.row = dci_map1_bc(m, m, 1, 0);
    d.col = dci_map1_bc(n, n, 1, 0);
    d.base = root;
    d.rmul = d.cmul = d.rsmul = d.csmul = 0;
    return d;
}

/* Indices that part pa of map a and part pb of map b (same extent) have in common. */
static dc_gidx_t map_overlap(const dci_map1_t *a, int pa, const dci_map1_t *b, int pb)
{
    dc_gidx_t cnt, li = 0, both = 0;

    if (pa < 0 || pb < 0)
        return 0;
    cnt = dci_map1_count(a, pa);
    while (li < cnt) {
        dc_gidx_t g = dci_map1_global(a, pa, li), end = dci_map1_block_end(a, g);
        li += end - g;
        while (g < end) {
            dc_gidx_t e = dci_map1_block_end(b, g);
            e = e < end ? e : end;
            if (dci_map1_locate(b, g).part == pb)
                both += e - g;
            g = e;
        }
    }
    return both;
}

double dci_redist_recv_words(const dci_dist_t *sd, int trans, const dci_dist_t *dd, int r)
{
    int drp, dcp, srp, scp;
    double mine, kept;

    dci_dist_parts(dd, r, &drp, &dcp);
    if (drp < 0)
        return 0.0;
    mine = (double)dci_map1_count(&dd->row, drp) * (double)dci_map1_count(&dd->col, dcp);
    dci_dist_parts(sd, r, &srp, &scp);
    if (srp < 0)
        return mine;
    if (!trans)
        kept = (double)map_overlap(&dd->row, drp, &sd->row, srp) *
               (double)map_overlap(&dd->col, dcp, &sd->col, scp);
    else
        kept = (double)map_overlap(&dd->row, drp, &sd->col, scp) *
               (double)map_overlap(&dd->col, dcp, &sd->row, srp);
    return mine - kept;
}

/* ---------------------------------------------------------------- pieces */

/* A run of len consecutive global indices: local index on this side and on the other. */
typedef struct piece {
    dc_gidx_t mine, other, len;
    int part; /* the other side's part */
} piece_t;

/* Pieces of one dimension, bucketed by the other side's part, each bucket in global order. */
typedef struct buckets {
    piece_t *p;       /* npieces, sorted by (part, global index) */
    dc_gidx_t *start; /* nparts + 1 offsets into p */
    dc_gidx_t *total; /* nparts: indices in each bucket */
    int nparts;
} buckets_t;

static void buckets_free(buckets_t *b)
{
    dci_free(b->p);
    dci_free(b->start);
    dci_free(b->total);
    memset(b, 0, sizeof(*b));
}

/*
 * Cut the indices of part 'part' of map 'mine' into runs that stay inside one block of map
 * 'other', and bucket them by the other map's part. part < 0: this side owns nothing.
 */
static int split(dc_env_t *env, const dci_map1_t *mine, int part, const dci_map1_t *other,
                 buckets_t *b)
{
    dc_gidx_t cnt = 0, npieces = 0, li, pass, k;
    piece_t *tmp = NULL;
    int rc, q;

    memset(b, 0, sizeof(*b));
    b->nparts = dci_map1_nparts(other);
    rc = dci_calloc(env, (size_t)b->nparts + 1, sizeof(dc_gidx_t), (void **)&b->start);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, (size_t)b->nparts, sizeof(dc_gidx_t), (void **)&b->total);
    if (rc != DC_SUCCESS)
        goto fail;
    if (part >= 0)
        cnt = dci_map1_count(mine, part);
    /* two passes: count the pieces, then fill them */
    for (pass = 0; pass < 2; pass++) {
        k = 0;
        li = 0;
        while (li < cnt) {
            dc_gidx_t g = dci_map1_global(mine, part, li);
            dc_gidx_t run_end = dci_map1_block_end(mine, g); /* my run: [g, run_end) */
            dc_gidx_t mine_left = run_end - g;
            while (mine_left > 0) {
                dc_gidx_t oend = dci_map1_block_end(other, g), len;
                len = oend - g < mine_left ? oend - g : mine_left;
                if (pass == 1) {
                    dci_loc_t loc = dci_map1_locate(other, g);
                    tmp[k].mine = li;
                    tmp[k].other = loc.local;
                    tmp[k].len = len;
                    tmp[k].part = loc.part;
                }
                k++;
                g += len;
                li += len;
                mine_left -= len;
            }
        }
        if (pass == 0) {
            npieces = k;
            rc = dci_malloc(env, sizeof(piece_t) * (size_t)(npieces > 0 ? npieces : 1),
                            (void **)&tmp);
            if (rc == DC_SUCCESS)
                rc = dci_malloc(env, sizeof(piece_t) * (size_t)(npieces > 0 ? npieces : 1),
                                (void **)&b->p);
            if (rc != DC_SUCCESS)
                goto fail;
        }
    }
    /* stable counting sort by part keeps global order inside each bucket */
    for (k = 0; k < npieces; k++) {
        b->start[tmp[k].part + 1]++;
        b->total[tmp[k].part] += tmp[k].len;
    }
    for (q = 0; q < b->nparts; q++)
        b->start[q + 1] += b->start[q];
    {
        dc_gidx_t *pos = NULL;
        rc = dci_malloc(env, sizeof(dc_gidx_t) * (size_t)b->nparts, (void **)&pos);
        if (rc != DC_SUCCESS)
            goto fail;
        memcpy(pos, b->start, sizeof(dc_gidx_t) * (size_t)b->nparts);
        for (k = 0; k < npieces; k++)
            b->p[pos[tmp[k].part]++] = tmp[k];
        dci_free(pos);
    }
    dci_free(tmp);
    return DC_SUCCESS;
fail:
    dci_free(tmp);
    buckets_free(b);
    return rc;
}

/* ---------------------------------------------------------------- pack / unpack */

/* Pack what goes to one partner: rows from bucket rb, columns from bucket cb of this side. */
static double *pack(const buckets_t *rows, int rb, const buckets_t *cols, int cb, const double *src,
                    size_t lld, int trans, double *out)
{
    dc_gidx_t a, b, x, y;

    if (!trans) {
        for (a = cols->start[cb]; a < cols->start[cb + 1]; a++) {
            const piece_t *cp = &cols->p[a];
            for (x = 0; x < cp->len; x++) {
                const double *col = src + (size_t)(cp->mine + x) * lld;
                for (b = rows->start[rb]; b < rows->start[rb + 1]; b++) {
                    const piece_t *rp = &rows->p[b];
                    memcpy(out, col + rp->mine, sizeof(double) * (size_t)rp->len);
                    out += rp->len;
                }
            }
        }
    } else {
        /* Destination columns are my rows: each of my rows becomes ncols consecutive entries.
         * Rows go in groups of TR, so that each column read is one cache line, not TR. */
        enum { TR = 8 };
        const size_t ncols = (size_t)cols->total[cb];
        for (a = rows->start[rb]; a < rows->start[rb + 1]; a++) {
            const piece_t *rp = &rows->p[a];
            for (x = 0; x < rp->len; x += TR) {
                size_t nx = (size_t)(rp->len - x < TR ? rp->len - x : TR), pos = 0, r;
                const double *base = src + rp->mine + x;
                for (b = cols->start[cb]; b < cols->start[cb + 1]; b++) {
                    const piece_t *cp = &cols->p[b];
                    for (y = 0; y < cp->len; y++, pos++) {
                        const double *col = base + (size_t)(cp->mine + y) * lld;
                        for (r = 0; r < nx; r++)
                            out[r * ncols + pos] = col[r];
                    }
                }
                out += nx * ncols;
            }
        }
    }
    return out;
}

/* d = beta d + alpha in over n entries; beta = 0 does not read d. */
static void combine(double *d, const double *in, dc_gidx_t n, double alpha, double beta)
{
    dc_gidx_t y;

    if (beta == 0.0 && alpha == 1.0) {
        memcpy(d, in, sizeof(double) * (size_t)n);
    } else if (beta == 0.0) {
        for (y = 0; y < n; y++)
            d[y] = alpha * in[y];
    } else {
        /* the one formula everywhere: reproducible GEMM relies on it */
        for (y = 0; y < n; y++)
            d[y] = beta * d[y] + alpha * in[y];
    }
}

static const double *unpack(const buckets_t *rows, int rb, const buckets_t *cols, int cb,
                            double *dst, size_t lld, double alpha, double beta, const double *in)
{
    dc_gidx_t a, b, x;

    for (a = cols->start[cb]; a < cols->start[cb + 1]; a++) {
        const piece_t *cp = &cols->p[a];
        for (x = 0; x < cp->len; x++) {
            double *col = dst + (size_t)(cp->mine + x) * lld;
            for (b = rows->start[rb]; b < rows->start[rb + 1]; b++) {
                const piece_t *rp = &rows->p[b];
                combine(col + rp->mine, in, rp->len, alpha, beta);
                in += rp->len;
            }
        }
    }
    return in;
}

/*
 * The entries a rank keeps: both sides cut the same global runs at both maps' block ends, so
 * the sending and receiving pieces pair up one to one and the copy needs no buffer. 0 if the
 * pieces do not pair up (then the caller goes through the send buffer).
 */
static int self_copy(const buckets_t *sr, int srb, const buckets_t *sc, int scb,
                     const buckets_t *dr, int drb, const buckets_t *dcl, int dcb, const double *src,
                     size_t slld, double *dst, size_t dlld, double alpha, double beta, int doit)
{
    dc_gidx_t a, b, x, na = sc->start[scb + 1] - sc->start[scb];
    dc_gidx_t nb = sr->start[srb + 1] - sr->start[srb];

    if (na != dcl->start[dcb + 1] - dcl->start[dcb] || nb != dr->start[drb + 1] - dr->start[drb])
        return 0;
    for (a = 0; a < na && !doit; a++)
        if (sc->p[sc->start[scb] + a].len != dcl->p[dcl->start[dcb] + a].len)
            return 0;
    for (b = 0; b < nb && !doit; b++)
        if (sr->p[sr->start[srb] + b].len != dr->p[dr->start[drb] + b].len)
            return 0;
    for (a = 0; a < na && doit; a++) {
        const piece_t *cs = &sc->p[sc->start[scb] + a], *cd = &dcl->p[dcl->start[dcb] + a];
        for (x = 0; x < cs->len; x++) {
            const double *scol = src + (size_t)(cs->mine + x) * slld;
            double *dcol = dst + (size_t)(cd->mine + x) * dlld;
            for (b = 0; b < nb; b++) {
                const piece_t *rs = &sr->p[sr->start[srb] + b], *rd = &dr->p[dr->start[drb] + b];
                combine(dcol + rd->mine, scol + rs->mine, rs->len, alpha, beta);
            }
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- the engine */

int dci_redist(dc_env_t *env, const dci_dist_t *sd, const double *sbuf, size_t slld, int trans,
               const dci_dist_t *dd, double *dbuf, size_t dlld, double alpha, double beta)
{
    return dci_redist_count(env, sd, sbuf, slld, trans, dd, dbuf, dlld, alpha, beta, NULL);
}

int dci_redist_count(dc_env_t *env, const dci_dist_t *sd, const double *sbuf, size_t slld,
                     int trans, const dci_dist_t *dd, double *dbuf, size_t dlld, double alpha,
                     double beta, dci_comm_count_t *cnt)
{
    int P = env->size, me = env->rank, r, rc = DC_SUCCESS;
    int my_srp = -1, my_scp = -1, my_drp = -1, my_dcp = -1;
    int *stab = NULL, *dtab = NULL, *scnt = NULL, *sdsp = NULL, *rcnt = NULL, *rdsp = NULL;
    buckets_t srows = {0}, scols = {0}, drows = {0}, dcols = {0};
    size_t stotal = 0, rtotal = 0, self_off = 0, self_len = 0;
    double *sendbuf = NULL, *recvbuf = NULL;
    int direct = 0; /* my own part copied straight from sbuf to dbuf */

    DC_CHECK_GOTO(dci_malloc(env, sizeof(int) * 2 * (size_t)P, (void **)&stab), out);
    DC_CHECK_GOTO(dci_malloc(env, sizeof(int) * 2 * (size_t)P, (void **)&dtab), out);
    DC_CHECK_GOTO(dci_calloc(env, 4 * (size_t)P, sizeof(int), (void **)&scnt), out);
    sdsp = scnt + P;
    rcnt = scnt + 2 * P;
    rdsp = scnt + 3 * P;
    dist_table(sd, P, stab, stab + P);
    dist_table(dd, P, dtab, dtab + P);
    my_srp = stab[me];
    my_scp = stab[P + me];
    my_drp = dtab[me];
    my_dcp = dtab[P + me];
    /* Sending side: my rows and columns cut by the destination's maps (swapped for op = T). */
    DC_CHECK_GOTO(split(env, &sd->row, my_srp, trans ? &dd->col : &dd->row, &srows), out);
    DC_CHECK_GOTO(split(env, &sd->col, my_scp, trans ? &dd->row : &dd->col, &scols), out);
    /* Receiving side: my rows and columns cut by the source's maps. */
    DC_CHECK_GOTO(split(env, &dd->row, my_drp, trans ? &sd->col : &sd->row, &drows), out);
    DC_CHECK_GOTO(split(env, &dd->col, my_dcp, trans ? &sd->row : &sd->col, &dcols), out);
    if (!trans && my_srp >= 0 && my_drp >= 0)
        direct = self_copy(&srows, my_drp, &scols, my_dcp, &drows, my_srp, &dcols, my_scp, sbuf,
                           slld, dbuf, dlld, alpha, beta, 0);
    for (r = 0; r < P; r++) {
        size_t sc = 0, rcv = 0;
        if (my_srp >= 0 && dtab[r] >= 0) {
            int rb = trans ? dtab[P + r] : dtab[r], cb = trans ? dtab[r] : dtab[P + r];
            sc = (size_t)srows.total[rb] * (size_t)scols.total[cb];
        }
        if (my_drp >= 0 && stab[r] >= 0) {
            int rb = trans ? stab[P + r] : stab[r], cb = trans ? stab[r] : stab[P + r];
            rcv = (size_t)drows.total[rb] * (size_t)dcols.total[cb];
        }
        if (r == me) { /* my own part is copied directly or through the send buffer */
            if (direct)
                sc = 0;
            self_off = stotal;
            self_len = sc;
        }
        if (stotal + sc > INT_MAX || rtotal + rcv > INT_MAX) {
            rc = DC_ERR(env, DC_ERR_SIZE, "redistribution of more than %d entries per rank",
                        INT_MAX);
            goto out;
        }
        sdsp[r] = (int)stotal;
        scnt[r] = r == me ? 0 : (int)sc;
        rdsp[r] = (int)rtotal;
        rcnt[r] = r == me ? 0 : (int)rcv;
        stotal += sc;
        rtotal += r == me ? 0 : rcv;
    }
    DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * stotal, (void **)&sendbuf), out);
    DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * rtotal, (void **)&recvbuf), out);
out:
    if (P > 1)
        rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto done;
    if (my_srp >= 0) {
        for (r = 0; r < P; r++) {
            if (dtab[r] < 0 || (r == me && direct))
                continue;
            pack(&srows, trans ? dtab[P + r] : dtab[r], &scols, trans ? dtab[r] : dtab[P + r], sbuf,
                 slld, trans, sendbuf + sdsp[r]);
        }
    }
    if (P > 1) {
        int mrc;
        if (cnt != NULL) /* what this exchange moves: the entries other ranks send or get */
            for (r = 0; r < P; r++) {
                cnt->wsent += scnt[r];
                cnt->msent += scnt[r] > 0;
                cnt->wrecv += rcnt[r];
                cnt->mrecv += rcnt[r] > 0;
            }
        double t = dci_prof_mpi_begin(env);
        mrc = MPI_Alltoallv(sendbuf, scnt, sdsp, MPI_DOUBLE, recvbuf, rcnt, rdsp, MPI_DOUBLE,
                            env->comm);
        dci_prof_mpi_end(env, t);
        dci_prof_peers(env, P, NULL, scnt, rcnt, sizeof(double)); /* per peer, as posted */
        if (mrc != MPI_SUCCESS) {
            rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Alltoallv");
            goto done;
        }
    }
    if (my_drp >= 0) {
        for (r = 0; r < P; r++) {
            const double *in;
            if (stab[r] < 0)
                continue;
            in = r == me ? sendbuf + self_off : recvbuf + rdsp[r];
            if (r == me && direct) {
                self_copy(&srows, my_drp, &scols, my_dcp, &drows, my_srp, &dcols, my_scp, sbuf,
                          slld, dbuf, dlld, alpha, beta, 1);
                continue;
            }
            if (r == me && self_len == 0)
                continue;
            unpack(&drows, trans ? stab[P + r] : stab[r], &dcols, trans ? stab[r] : stab[P + r],
                   dbuf, dlld, alpha, beta, in);
        }
    }
done:
    buckets_free(&srows);
    buckets_free(&scols);
    buckets_free(&drows);
    buckets_free(&dcols);
    dci_free(sendbuf);
    dci_free(recvbuf);
    dci_free(stab);
    dci_free(dtab);
    dci_free(scnt);
    return rc;
}
