/*
 * Execution of a GEMM plan: redistribute A and B where the plan says so, SUMMA with lookahead
 * in every layer (k panels broadcast with MPI_Ibcast along grid rows and columns, nbuf buffers
 * in a ring so that the broadcasts of the next panels are in flight during the current dgemm),
 * a reduce-scatter of the layers' partial C, and the final C = beta C + alpha C' by the
 * redistribution engine. Reproducible mode: every tm x tn tile of C is computed by the same
 * sequence of dgemm calls (k panels of tk in increasing order, alpha = 1, beta = 1, on a zeroed
 * tile) whatever the distribution, then combined with C by one fixed formula.
 */
#include "mat_impl.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

#define MAX_NBUF 4

/* A run of w consecutive local columns of A' (from la) and local rows of B' (from lb) that are
 * also consecutive global k indices. */
typedef struct run {
    dc_gidx_t la, lb, w;
} run_t;

/* One k panel: runs[r0, r0 + nr) of total width w, all owned by grid column ca (A') and grid
 * row rb (B'); acont / bcont: the runs are consecutive in A's local columns / B's local rows
 * (the panel can be used or sent as it lies). */
typedef struct seg {
    dc_gidx_t w;
    size_t r0, nr;
    int ca, rb, acont, bcont;
} seg_t;

/* Local runs of rows (or columns) that form one reproducible tile. */
typedef struct tiles {
    size_t *start, *len;
    size_t count;
} tiles_t;

static dc_gidx_t gmin(dc_gidx_t a, dc_gidx_t b)
{
    return a < b ? a : b;
}

/* Cut the local indices of part 'part' of map m into runs inside one global tile of t. */
static int make_tiles(dc_env_t *env, const dci_map1_t *m, int part, size_t nloc, dc_gidx_t t,
                      tiles_t *tl)
{
    size_t li = 0;
    int rc;

    memset(tl, 0, sizeof(*tl));
    rc = dci_malloc(env, sizeof(size_t) * (nloc + 1), (void **)&tl->start);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, sizeof(size_t) * (nloc + 1), (void **)&tl->len);
    if (rc != DC_SUCCESS)
        return rc;
    while (li < nloc) {
        dc_gidx_t g0 = dci_map1_global(m, part, (dc_gidx_t)li);
        size_t len = 1;
        /* the tile ends at the next multiple of t or where the local run stops being
         * consecutive globally (a block boundary; blocks are tile-aligned) */
        while (li + len < nloc && (g0 + (dc_gidx_t)len) % t != 0 &&
               dci_map1_global(m, part, (dc_gidx_t)(li + len)) == g0 + (dc_gidx_t)len)
            len++;
        tl->start[tl->count] = li;
        tl->len[tl->count] = len;
        tl->count++;
        li += len;
    }
    return DC_SUCCESS;
}

static void tiles_free(tiles_t *tl)
{
    dci_free(tl->start);
    dci_free(tl->len);
}

/* ---------------------------------------------------------------- communicator cache */

/*
 * The row, column and fiber communicators of a pr x pc x pk plan, cached on the env's
 * communicator (an MPI attribute: freed with it by dc_env_destroy), so that repeated GEMMs do
 * not pay three MPI_Comm_split each. Every rank looks up and evicts identically (the plan is
 * the same everywhere), so the collective splits and frees stay matched.
 */
#define COMM_CACHE 4

typedef struct comm_entry {
    int pr, pc, pk, cyc;
    MPI_Comm row, col, fib;
} comm_entry_t;

typedef struct comm_cache {
    comm_entry_t e[COMM_CACHE];
    int n, next; /* entries in use, next to evict */
} comm_cache_t;

static int cache_keyval = MPI_KEYVAL_INVALID;

static void entry_free(comm_entry_t *x)
{
    if (x->row != MPI_COMM_NULL)
        MPI_Comm_free(&x->row);
    if (x->col != MPI_COMM_NULL)
        MPI_Comm_free(&x->col);
    if (x->fib != MPI_COMM_NULL)
        MPI_Comm_free(&x->fib);
}

static int cache_delete(MPI_Comm comm, int keyval, void *attr, void *extra)
{
    comm_cache_t *cc = attr;
    int i;

    (void)comm;
    (void)keyval;
    (void)extra;
    for (i = 0; i < cc->n; i++)
        entry_free(&cc->e[i]);
    dci_free(cc);
    return MPI_SUCCESS;
}

/*
 * The env's cache, created on first use. Local (no communication): called before the run's
 * agreement, so that a failure here fails every rank instead of leaving the others in a split.
 */
static int cache_get(dc_env_t *env, comm_cache_t **cc_p)
{
    comm_cache_t *cc = NULL;
    void *attr = NULL;
    int found = 0, mrc;

    if (cache_keyval == MPI_KEYVAL_INVALID) {
        if ((mrc = MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, cache_delete, &cache_keyval,
                                          NULL)) != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Comm_create_keyval");
        if ((mrc = dci_keyval_free_at_finalize(&cache_keyval, 0)) != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Comm_set_attr (MPI_COMM_SELF)");
    }
    if (MPI_Comm_get_attr(env->comm, cache_keyval, &attr, &found) == MPI_SUCCESS && found)
        cc = attr;
    if (cc == NULL) {
        DC_CHECK(dci_calloc(env, 1, sizeof(*cc), (void **)&cc));
        mrc = MPI_Comm_set_attr(env->comm, cache_keyval, cc);
        if (mrc != MPI_SUCCESS) {
            dci_free(cc);
            return DC_ERR_MPI_RC(env, mrc, "MPI_Comm_set_attr");
        }
    }
    *cc_p = cc;
    return DC_SUCCESS;
}

void dci_gemm_coords(const dci_gemm_plan_t *pl, int r, int *row_p, int *col_p, int *layer_p)
{
    const int pc = pl->pc, pk = pl->pk;

    *row_p = r / (pc * pk);
    *col_p = pl->cyc ? r % pc : (r / pk) % pc;
    *layer_p = pl->cyc ? (r / pc) % pk : r % pk;
}

/* The plan's communicators (owned by the cache cc). Collective on env->comm. */
static int plan_comms(dc_env_t *env, comm_cache_t *cc, const dci_gemm_plan_t *pl, MPI_Comm *row_p,
                      MPI_Comm *col_p, MPI_Comm *fib_p)
{
    const int pr = pl->pr, pc = pl->pc, pk = pl->pk, cyc = pl->cyc;
    comm_entry_t *x;
    int i, mrc, rc = DC_SUCCESS, myr, myc, myl;

    dci_gemm_coords(pl, env->rank, &myr, &myc, &myl);
    for (i = 0; i < cc->n; i++) {
        x = &cc->e[i];
        if (x->pr == pr && x->pc == pc && x->pk == pk && x->cyc == cyc) {
            *row_p = x->row;
            *col_p = x->col;
            *fib_p = x->fib;
            return DC_SUCCESS;
        }
    }
    if (cc->n < COMM_CACHE) {
        x = &cc->e[cc->n++];
    } else {
        x = &cc->e[cc->next];
        cc->next = (cc->next + 1) % COMM_CACHE;
        entry_free(x);
    }
    x->pr = x->pc = x->pk = 0; /* unusable until complete */
    x->row = x->col = x->fib = MPI_COMM_NULL;
    mrc = MPI_Comm_split(env->comm, myr * pk + myl, myc, &x->row);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_split(env->comm, myc * pk + myl, myr, &x->col);
    if (mrc == MPI_SUCCESS && pk > 1)
        mrc = MPI_Comm_split(env->comm, myr * pc + myc, myl, &x->fib);
    if (mrc != MPI_SUCCESS)
        return dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Comm_split");
    x->pr = pr;
    x->pc = pc;
    x->pk = pk;
    x->cyc = cyc;
    *row_p = x->row;
    *col_p = x->col;
    *fib_p = x->fib;
    return rc;
}

/* The env rank at grid row r, column c, layer l (the inverse of dci_gemm_coords): the profiler
 * translates ranks of the row, column and fiber communicators with it. */
static int gemm_rank(const dci_gemm_plan_t *pl, int r, int c, int l)
{
    return r * pl->pc * pl->pk + (pl->cyc ? l * pl->pc + c : c * pl->pk + l);
}

/* Profiler: a broadcast of 'words' doubles from root, as this rank takes part (dc_events.h). */
static void prof_bcast(dc_env_t *env, int me, int root, size_t words)
{
    size_t b = words * sizeof(double);

    dci_prof_coll(env, me == root ? b : 0, me == root ? 0 : b);
}

/* Profiler: a local DGEMM of m x n x k (dc_events.h). */
static void prof_dgemm(dc_env_t *env, size_t m, size_t n, size_t k)
{
    dci_prof_flops(env, 2.0 * (double)m * (double)n * (double)k);
}

/* Coordinate inside the layer's grid row/column of the part of a k map (1 coordinate: 0).
 * Cyclic layers: A's k coordinate is layer * pc + grid column, B's grid row * pk + layer. */
static int kcoord(const dci_gemm_plan_t *pl, const dci_map1_t *m, int part, int is_b)
{
    int nproc_grid = is_b ? pl->pr : pl->pc;

    if (nproc_grid == 1)
        return 0;
    if (pl->cyc)
        return is_b ? part / pl->pk : part % pl->pc;
    return part % m->nproc;
}

/* Layer of the piece of k at A' part 'part' (cyclic layers only; else every piece is in the
 * layer whose slice of k is being cut). */
static int klayer(const dci_gemm_plan_t *pl, int part)
{
    return pl->cyc ? part / pl->pc : -1;
}

/* End of the elementary piece of k that starts at g: inside one block of A' and of B', at most
 * one panel cap, and in reproducible mode inside one global k tile. */
static dc_gidx_t piece_end(const dci_gemm_plan_t *pl, dc_gidx_t g, dc_gidx_t k1)
{
    dc_gidx_t e = gmin(k1, g + pl->kb);

    e = gmin(e, dci_map1_block_end(&pl->da.col, g));
    e = gmin(e, dci_map1_block_end(&pl->db.row, g));
    if (pl->repro)
        e = gmin(e, (g / pl->tk + 1) * pl->tk);
    return e;
}

/*
 * The panels of layer [k0, k1). Outside reproducible mode, pieces with the same owners (grid
 * column of A', grid row of B') are gathered into panels of up to kb indices even when they are
 * not adjacent in k (the order of k does not matter there): on a block-cyclic operand with a
 * small block (ScaLAPACK's NB = 64) a panel then holds several of the owner's blocks, which lie
 * side by side in its local array, so the local dgemm calls are wide and few. Reproducible mode
 * keeps one panel per global k tile, in increasing k. open: pr * pc scratch entries.
 * Returns the number of panels; cnt (if not NULL) gets each panel's number of pieces; segs
 * and runs (if not NULL, with every r0 set from cnt) get the panels.
 */
static size_t panel_pass(const dci_gemm_plan_t *pl, int layer, dc_gidx_t k0, dc_gidx_t k1,
                         size_t *open, dc_gidx_t *openw, size_t *cnt, seg_t *segs, run_t *runs)
{
    const size_t none = (size_t)-1;
    size_t n = 0, cls, ncls = (size_t)pl->pr * (size_t)pl->pc;
    dc_gidx_t g, e;

    for (cls = 0; cls < ncls; cls++) {
        open[cls] = none;
        openw[cls] = 0;
    }
    for (g = k0; g < k1; g = e) {
        dci_loc_t la = dci_map1_locate(&pl->da.col, g), lb = dci_map1_locate(&pl->db.row, g);
        int ca = kcoord(pl, &pl->da.col, la.part, 0), rb = kcoord(pl, &pl->db.row, lb.part, 1);
        size_t id;

        e = piece_end(pl, g, k1);
        if (pl->cyc && klayer(pl, la.part) != layer)
            continue; /* another layer's piece */
        cls = pl->repro ? 0 : (size_t)ca * (size_t)pl->pr + (size_t)rb;
        if (pl->repro || open[cls] == none || openw[cls] + (e - g) > pl->kb) {
            open[cls] = n++;
            openw[cls] = 0;
            if (segs != NULL) {
                segs[open[cls]].w = 0;
                segs[open[cls]].nr = 0;
                segs[open[cls]].ca = ca;
                segs[open[cls]].rb = rb;
                segs[open[cls]].acont = segs[open[cls]].bcont = 1;
            }
        }
        id = open[cls];
        openw[cls] += e - g;
        if (cnt != NULL)
            cnt[id]++;
        if (segs != NULL) {
            seg_t *sg = &segs[id];
            /* runs of one panel are consecutive in runs[] (the caller placed r0 by counting) */
            run_t *last = sg->nr > 0 ? &runs[sg->r0 + sg->nr - 1] : NULL;
            if (last != NULL && last->la + last->w == la.local && last->lb + last->w == lb.local) {
                last->w += e - g;
            } else {
                if (last != NULL) {
                    sg->acont &= last->la + last->w == la.local;
                    sg->bcont &= last->lb + last->w == lb.local;
                }
                runs[sg->r0 + sg->nr].la = la.local;
                runs[sg->r0 + sg->nr].lb = lb.local;
                runs[sg->r0 + sg->nr].w = e - g;
                sg->nr++;
            }
            sg->w += e - g;
        }
    }
    return n;
}

/* Number of panels of layer 0 (for the planner's model). open, openw: pr * pc entries. */
double dci_gemm_count_panels(const dci_gemm_plan_t *pl, size_t *open, dc_gidx_t *openw)
{
    dc_gidx_t k1 = pl->k < pl->kl ? pl->k : pl->kl;

    return (double)panel_pass(pl, 0, 0, pl->cyc ? pl->k : k1, open, openw, NULL, NULL, NULL);
}

static int make_segments(dc_env_t *env, const dci_gemm_plan_t *pl, int layer, dc_gidx_t k0,
                         dc_gidx_t k1, seg_t **segs_p, run_t **runs_p, size_t *nseg_p)
{
    size_t ncls = (size_t)pl->pr * (size_t)pl->pc, n, i, *open = NULL, *cnt = NULL;
    dc_gidx_t *openw = NULL;
    seg_t *s = NULL;
    run_t *r = NULL;
    int rc;

    rc = dci_malloc(env, sizeof(size_t) * ncls, (void **)&open);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, sizeof(dc_gidx_t) * ncls, (void **)&openw);
    if (rc != DC_SUCCESS)
        goto out;
    n = panel_pass(pl, layer, k0, k1, open, openw, NULL, NULL, NULL);
    rc = dci_calloc(env, n + 1, sizeof(seg_t), (void **)&s);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, n + 1, sizeof(size_t), (void **)&cnt);
    if (rc != DC_SUCCESS)
        goto out;
    /* a panel has at most as many runs as pieces: place each panel's runs from that count */
    (void)panel_pass(pl, layer, k0, k1, open, openw, cnt, NULL, NULL);
    for (i = 0; i < n; i++)
        s[i + 1].r0 = s[i].r0 + cnt[i];
    rc = dci_malloc(env, sizeof(run_t) * (s[n].r0 + 1), (void **)&r);
    if (rc != DC_SUCCESS)
        goto out;
    (void)panel_pass(pl, layer, k0, k1, open, openw, NULL, s, r);
out:
    dci_free(open);
    dci_free(openw);
    dci_free(cnt);
    if (rc != DC_SUCCESS) {
        dci_free(s);
        dci_free(r);
        return rc;
    }
    *segs_p = s;
    *runs_p = r;
    *nseg_p = n;
    return DC_SUCCESS;
}

/* A broadcast of 'words' entries from 'root' over q ranks, as this rank takes part in it. */
static void count_bcast(dci_comm_count_t *cnt, int me, int root, int q, size_t words)
{
    if (q < 2 || words == 0)
        return;
    if (me == root) {
        cnt->wsent += (double)words * (q - 1);
        cnt->msent += q - 1;
    } else {
        cnt->wrecv += (double)words;
        cnt->mrecv += 1;
    }
}

/*
 * 1-D over grid rows (pc = 1, one layer) with narrow per-owner panels: instead of a broadcast
 * and a thin dgemm per owner, one all-gather of B' (each owner's rows transposed, so that the
 * owners' blocks concatenate into B'^T in owner order), A' packed in the same k order, and
 * one dgemm over the whole k. The same words as the broadcasts.
 */
static int gather_run(dc_env_t *env, const dci_gemm_plan_t *pl, int myr, const double *Ap,
                      size_t lldA, const double *Bp, size_t lldB, size_t mloc, size_t nloc,
                      size_t bkl, double *gbt, double *gap, int *gcnt, double alpha, double beta0,
                      double *Cw, size_t ldc, MPI_Comm colc, dci_comm_count_t *cnt)
{
    const int pr = pl->pr;
    int *gdsp = gcnt + pr, i, mrc, myc, myl, r0;
    size_t off = 0, li, j, x;
    double t;

    dci_gemm_coords(pl, env->rank, &r0, &myc, &myl);

    for (i = 0; i < pr; i++) {
        size_t ki = (size_t)dci_map1_count(&pl->db.row, i);
        gcnt[i] = (int)(nloc * ki);
        gdsp[i] = (int)(nloc * off);
        /* A' columns of owner i's k indices, in its local order */
        for (li = 0; li < ki; li++) {
            dc_gidx_t g = dci_map1_global(&pl->db.row, i, (dc_gidx_t)li);
            dci_loc_t la = dci_map1_locate(&pl->da.col, g);
            if (mloc > 0)
                memcpy(gap + (off + li) * mloc, Ap + (size_t)la.local * lldA,
                       sizeof(double) * mloc);
        }
        if (i == myr) /* my rows of B', transposed into my block of B'^T */
            for (j = 0; j < nloc; j++)
                for (x = 0; x < bkl; x++)
                    gbt[(off + x) * nloc + j] = Bp[x + j * lldB];
        if (i != myr && gcnt[i] > 0) {
            cnt->wrecv += gcnt[i];
            cnt->mrecv += 1;
        }
        off += ki;
    }
    if (gcnt[myr] > 0) {
        cnt->wsent += (double)gcnt[myr] * (pr - 1);
        cnt->msent += pr - 1;
    }
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DOUBLE, gbt, gcnt, gdsp, MPI_DOUBLE, colc);
    dci_prof_mpi_end(env, t);
    if (mrc != MPI_SUCCESS)
        return dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Allgatherv");
    if (DCI_UNLIKELY(env->prof.on)) /* per peer: my block to each, each one's block from it */
        for (i = 0; i < pr; i++)
            if (i != myr) {
                int peer = gemm_rank(pl, i, myc, myl);
                dci_prof_send(env, peer, (size_t)gcnt[myr] * sizeof(double));
                dci_prof_recv(env, peer, (size_t)gcnt[i] * sizeof(double));
            }
    if (mloc > 0 && nloc > 0) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, (int)mloc, (int)nloc, (int)pl->k,
                    alpha, gap, (int)mloc, gbt, (int)nloc, beta0, Cw, (int)ldc);
        prof_dgemm(env, mloc, nloc, (size_t)pl->k);
    }
    return DC_SUCCESS;
}

int dci_gemm_run(dc_env_t *env, const dci_gemm_plan_t *pl, double alpha, const dc_mat_t *a,
                 const dc_mat_t *b, double beta, dc_mat_t *c, dci_comm_count_t *cnt)
{
    const int pr = pl->pr, pc = pl->pc, pk = pl->pk, me = env->rank;
    int myr, myc, myl;
    int rc = DC_SUCCESS, rp, cp, arp, acp, brp, bcp, s, saved_threads = -1, mrc;
    size_t mloc, nloc, aml, akl, bkl, bnl, ldc, nseg = 0, t, i, j, ti, tj;
    double *Ap = NULL, *Bp = NULL, *Cw = NULL, *Cfin = NULL;
    double *abuf[MAX_NBUF] = {NULL}, *bbuf[MAX_NBUF] = {NULL};
    double *apan[MAX_NBUF], *bpan[MAX_NBUF];
    size_t alda[MAX_NBUF], bldb[MAX_NBUF];
    MPI_Request req[2 * MAX_NBUF];
    MPI_Comm rowc = MPI_COMM_NULL, colc = MPI_COMM_NULL, fibc = MPI_COMM_NULL;
    seg_t *segs = NULL;
    run_t *runs = NULL;
    double *gbt = NULL, *gap = NULL;
    int *gcnt = NULL;
    comm_cache_t *cache = NULL;
    tiles_t rt = {0}, ct = {0};
    int *rcounts = NULL, nbuf = pl->nbuf < MAX_NBUF ? pl->nbuf : MAX_NBUF;
    dc_gidx_t k0, k1, nbq = 1;
    size_t lldA, lldB, nfin = 0;
    double beta0 = 1.0, tw;
    int apack = pc > 1, bpack = pr > 1;

    for (s = 0; s < 2 * MAX_NBUF; s++)
        req[s] = MPI_REQUEST_NULL;
    dci_gemm_coords(pl, me, &myr, &myc, &myl);
    /* local extents: C tile of layer myl (layer l's distribution is layer 0's plus l, or plus
     * l * pc with cyclic layers) */
    dci_dist_parts(&pl->dcc, me - myl * (pl->cyc ? pc : 1), &rp, &cp);
    mloc = rp < 0 ? 0 : (size_t)dci_map1_count(&pl->dcc.row, rp);
    nloc = cp < 0 ? 0 : (size_t)dci_map1_count(&pl->dcc.col, cp);
    dci_dist_parts(&pl->da, me, &arp, &acp);
    aml = arp < 0 ? 0 : (size_t)dci_map1_count(&pl->da.row, arp);
    akl = acp < 0 ? 0 : (size_t)dci_map1_count(&pl->da.col, acp);
    dci_dist_parts(&pl->db, me, &brp, &bcp);
    bkl = brp < 0 ? 0 : (size_t)dci_map1_count(&pl->db.row, brp);
    bnl = bcp < 0 ? 0 : (size_t)dci_map1_count(&pl->db.col, bcp);
    lldA = pl->a_inplace ? a->lld : (aml > 0 ? aml : 1);
    lldB = pl->b_inplace ? b->lld : (bkl > 0 ? bkl : 1);
    ldc = mloc > 0 ? mloc : 1;
    if (aml != mloc || bnl != nloc) {
        rc = DC_ERR(env, DC_ERR_INTERNAL, "GEMM plan: local sizes disagree (%zu/%zu, %zu/%zu)", aml,
                    mloc, bnl, nloc);
        goto agree;
    }
    /* MPI counts are ints: broadcast panels and reduce-scatter chunks must fit */
    if ((pc > 1 && mloc * (size_t)pl->kb > INT_MAX) ||
        (pr > 1 && nloc * (size_t)pl->kb > INT_MAX) || (pk > 1 && mloc * nloc > INT_MAX) ||
        mloc > INT_MAX || nloc > INT_MAX) {
        rc = DC_ERR(env, DC_ERR_SIZE, "GEMM: a local panel or tile of more than %d entries",
                    INT_MAX);
        goto agree;
    }
    /* allocate everything before agreeing, so that an allocation failure fails everywhere */
    if (!pl->a_inplace)
        DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * lldA * akl, (void **)&Ap), agree);
    else
        Ap = a->data;
    if (!pl->b_inplace)
        DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * lldB * bnl, (void **)&Bp), agree);
    else
        Bp = b->data;
    if (pl->c_inplace && !pl->repro) {
        Cw = c->data;
        ldc = c->lld;
    } else {
        DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * ldc * nloc, (void **)&Cw), agree);
    }
    k0 = pl->cyc ? 0 : (dc_gidx_t)myl * pl->kl;
    k0 = k0 < pl->k ? k0 : pl->k;
    k1 = pl->cyc ? pl->k : gmin(k0 + pl->kl, pl->k);
    DC_CHECK_GOTO(make_segments(env, pl, myl, k0, k1, &segs, &runs, &nseg), agree);
    if (pl->gath) {
        /* all of B' (transposed, owners' rows one after another) and A' in that k order */
        DC_CHECK_GOTO(
            dci_mat_alloc(env, sizeof(double) * (nloc * (size_t)pl->k + 1), (void **)&gbt), agree);
        DC_CHECK_GOTO(
            dci_mat_alloc(env, sizeof(double) * (mloc * (size_t)pl->k + 1), (void **)&gap), agree);
        DC_CHECK_GOTO(dci_malloc(env, sizeof(int) * 2 * (size_t)pr, (void **)&gcnt), agree);
        nseg = 0; /* no panels: one all-gather and one dgemm */
    }
    /* panel buffers for what travels (A along grid rows, B along grid columns) and for local
     * panels gathered from several runs */
    for (t = 0; t < nseg; t++) {
        apack |= !segs[t].acont;
        bpack |= !segs[t].bcont;
    }
    for (s = 0; s < nbuf; s++) {
        if (apack)
            DC_CHECK_GOTO(
                dci_mat_alloc(env, sizeof(double) * (mloc + 1) * (size_t)pl->kb, (void **)&abuf[s]),
                agree);
        if (bpack)
            DC_CHECK_GOTO(
                dci_mat_alloc(env, sizeof(double) * (nloc + 1) * (size_t)pl->kb, (void **)&bbuf[s]),
                agree);
    }
    if (pl->repro) {
        DC_CHECK_GOTO(make_tiles(env, &pl->dcc.row, rp, mloc, pl->tm, &rt), agree);
        DC_CHECK_GOTO(make_tiles(env, &pl->dcc.col, cp, nloc, pl->tn, &ct), agree);
    }
    if (pk > 1) {
        size_t ncl;
        nbq = pl->dfin.col.nb;
        DC_CHECK_GOTO(dci_malloc(env, sizeof(int) * (size_t)pk, (void **)&rcounts), agree);
        for (s = 0; s < pk; s++) {
            dc_gidx_t lo = (dc_gidx_t)s * nbq;
            ncl = lo >= (dc_gidx_t)nloc ? 0 : (size_t)gmin(nbq, (dc_gidx_t)nloc - lo);
            rcounts[s] = (int)(mloc * ncl);
            if (s == myl)
                nfin = ncl;
        }
        DC_CHECK_GOTO(dci_mat_alloc(env, sizeof(double) * (mloc * nfin + 1), (void **)&Cfin),
                      agree);
    }
    DC_CHECK_GOTO(cache_get(env, &cache), agree);
agree:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    if (env->place.blas_threads > 0 && dci_blas_get_threads() != env->place.blas_threads) {
        saved_threads = dci_blas_get_threads();
        dci_blas_set_threads(env->place.blas_threads);
    }
    /* communicators of the layer's grid rows and columns, and of the layers (fibers) */
    DC_CHECK_GOTO(plan_comms(env, cache, pl, &rowc, &colc, &fibc), out);
    mrc = MPI_SUCCESS;
    /* operands into the plan's distributions */
    if (!pl->a_inplace)
        DC_CHECK_GOTO(dci_redist_count(env, &a->dist, a->data, a->lld, pl->opa == DC_MAT_TRANS,
                                       &pl->da, Ap, lldA, 1.0, 0.0, cnt),
                      out);
    if (!pl->b_inplace)
        DC_CHECK_GOTO(dci_redist_count(env, &b->dist, b->data, b->lld, pl->opb == DC_MAT_TRANS,
                                       &pl->db, Bp, lldB, 1.0, 0.0, cnt),
                      out);
    /* The first panel's dgemm applies C's beta (beta0), saving a pass over C, which costs as
     * much as the arithmetic when k is small; the reproducible tiles always start from zero.
     * Without panels (an empty layer) C's tile is set here. */
    if (pl->repro || (!pl->c_inplace && nseg == 0))
        memset(Cw, 0, sizeof(double) * ldc * nloc);
    else if (nseg == 0 && beta != 1.0)
        for (j = 0; j < nloc; j++) {
            double *col = Cw + j * ldc;
            for (i = 0; i < mloc; i++)
                col[i] = beta == 0.0 ? 0.0 : beta * col[i];
        }
    beta0 = pl->c_inplace ? beta : 0.0;

    /* ---- SUMMA with lookahead: panel t + nbuf - 1 is posted before panel t is multiplied */
    {
        size_t ahead = (size_t)nbuf - 1, posted = 0;
        for (t = 0; t < nseg; t++) {
            while (posted < nseg && posted <= t + ahead) {
                const seg_t *sg = &segs[posted];
                const run_t *ru = runs + sg->r0;
                int sl = (int)(posted % (size_t)nbuf);
                size_t w = (size_t)sg->w, x, off;
                if (myc == sg->ca && sg->acont && (pc == 1 || lldA == mloc || mloc == 0)) {
                    apan[sl] = Ap + (size_t)ru[0].la * lldA; /* contiguous: use it as it is */
                    alda[sl] = lldA;
                } else if (myc == sg->ca) {
                    /* a caller's array with lld > mloc (a view), or several runs: pack */
                    for (x = 0, off = 0; x < sg->nr; off += (size_t)ru[x].w, x++)
                        for (j = 0; j < (size_t)ru[x].w; j++)
                            memcpy(abuf[sl] + (off + j) * mloc, Ap + ((size_t)ru[x].la + j) * lldA,
                                   sizeof(double) * mloc);
                    apan[sl] = abuf[sl];
                    alda[sl] = mloc > 0 ? mloc : 1;
                } else {
                    apan[sl] = abuf[sl];
                    alda[sl] = mloc > 0 ? mloc : 1;
                }
                if (pc > 1) {
                    count_bcast(cnt, myc, sg->ca, pc, mloc * w);
                    prof_bcast(env, myc, sg->ca, mloc * w); /* counted when posted */
                    mrc = MPI_Ibcast(apan[sl], (int)(mloc * w), MPI_DOUBLE, sg->ca, rowc,
                                     &req[2 * sl]);
                    if (mrc != MPI_SUCCESS)
                        break;
                }
                if (myr == sg->rb && pr == 1 && sg->bcont) {
                    bpan[sl] = Bp + ru[0].lb;
                    bldb[sl] = lldB;
                } else {
                    bpan[sl] = bbuf[sl];
                    bldb[sl] = w;
                    if (myr == sg->rb)
                        for (j = 0; j < nloc; j++)
                            for (x = 0, off = 0; x < sg->nr; off += (size_t)ru[x].w, x++)
                                memcpy(bbuf[sl] + j * w + off, Bp + (size_t)ru[x].lb + j * lldB,
                                       sizeof(double) * (size_t)ru[x].w);
                }
                if (pr > 1) {
                    count_bcast(cnt, myr, sg->rb, pr, w * nloc);
                    prof_bcast(env, myr, sg->rb, w * nloc);
                    mrc = MPI_Ibcast(bpan[sl], (int)(w * nloc), MPI_DOUBLE, sg->rb, colc,
                                     &req[2 * sl + 1]);
                    if (mrc != MPI_SUCCESS)
                        break;
                }
                posted++;
            }
            if (mrc != MPI_SUCCESS) {
                rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Ibcast");
                goto out;
            }
            s = (int)(t % (size_t)nbuf);
            tw = dci_prof_mpi_begin(env);
            mrc = MPI_Waitall(2, &req[2 * s], MPI_STATUSES_IGNORE);
            dci_prof_mpi_end(env, tw);
            if (mrc != MPI_SUCCESS) {
                rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Waitall");
                goto out;
            }
            if (mloc == 0 || nloc == 0)
                continue;
            if (!pl->repro) {
                /* With broadcasts in flight, multiply in column chunks and poke MPI in between,
                 * so that the next panels' transfers advance during this one's arithmetic. */
                size_t nch = posted > t + 1 ? (nloc / 1024 < 4 ? nloc / 1024 : 4) : 1, c0, c1, ch;
                nch = nch > 0 ? nch : 1; /* chunks of >= 1024 columns keep dgemm at full speed */
                for (ch = 0; ch < nch; ch++) {
                    int flag;
                    c0 = nloc * ch / nch;
                    c1 = nloc * (ch + 1) / nch;
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)mloc,
                                (int)(c1 - c0), (int)segs[t].w, alpha, apan[s], (int)alda[s],
                                bpan[s] + c0 * bldb[s], (int)bldb[s], t == 0 ? beta0 : 1.0,
                                Cw + c0 * ldc, (int)ldc);
                    prof_dgemm(env, mloc, c1 - c0, (size_t)segs[t].w);
                    if (ch + 1 < nch)
                        MPI_Testall(2 * nbuf, req, &flag, MPI_STATUSES_IGNORE);
                }
            } else {
                /* the fixed sequence: each tile gets the panels in increasing k order */
                for (tj = 0; tj < ct.count; tj++)
                    for (ti = 0; ti < rt.count; ti++)
                        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)rt.len[ti],
                                    (int)ct.len[tj], (int)segs[t].w, 1.0, apan[s] + rt.start[ti],
                                    (int)alda[s], bpan[s] + ct.start[tj] * bldb[s], (int)bldb[s],
                                    1.0, Cw + rt.start[ti] + ct.start[tj] * ldc, (int)ldc);
                prof_dgemm(env, mloc, nloc, (size_t)segs[t].w); /* the tiles cover the block */
            }
        }
    }

    if (pl->gath) {
        /* C's tile was scaled by beta (or zeroed) above, as for a layer without panels */
        rc = gather_run(env, pl, myr, Ap, lldA, Bp, lldB, mloc, nloc, bkl, gbt, gap, gcnt, alpha,
                        1.0, Cw, ldc, colc, cnt);
        if (rc != DC_SUCCESS)
            goto out;
    }

    /* ---- layers: sum the partial tiles, each rank keeping its chunk of columns */
    if (pk > 1) {
        for (s = 0; s < pk; s++) /* every other layer's part of my chunk, mine to each other */
            if (s != myl) {
                cnt->wrecv += rcounts[myl];
                cnt->mrecv += rcounts[myl] > 0;
                cnt->wsent += rcounts[s];
                cnt->msent += rcounts[s] > 0;
            }
        tw = dci_prof_mpi_begin(env);
        mrc = MPI_Reduce_scatter(Cw, Cfin, rcounts, MPI_DOUBLE, MPI_SUM, fibc);
        dci_prof_mpi_end(env, tw);
        if (DCI_UNLIKELY(env->prof.on)) /* per peer (layer): its chunk to it, mine from it */
            for (s = 0; s < pk; s++)
                if (s != myl) {
                    int peer = gemm_rank(pl, myr, myc, s);
                    if (rcounts[s] > 0)
                        dci_prof_send(env, peer, (size_t)rcounts[s] * sizeof(double));
                    if (rcounts[myl] > 0)
                        dci_prof_recv(env, peer, (size_t)rcounts[myl] * sizeof(double));
                }
        if (mrc != MPI_SUCCESS) {
            rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Reduce_scatter");
            goto out;
        }
    }
    /* ---- C = beta C + alpha' C' (alpha' = 1 when alpha went into the dgemm) */
    if (pl->c_inplace && pl->repro) {
        for (j = 0; j < nloc; j++) {
            double *cc = c->data + j * c->lld;
            const double *tt = Cw + j * ldc;
            for (i = 0; i < mloc; i++)
                cc[i] = beta == 0.0 ? alpha * tt[i] : beta * cc[i] + alpha * tt[i];
        }
    } else if (!pl->c_inplace) {
        const double *src = pk > 1 ? Cfin : Cw;
        size_t lsrc = pk > 1 ? (mloc > 0 ? mloc : 1) : ldc;
        rc = dci_redist_count(env, &pl->dfin, src, lsrc, 0, &c->dist, c->data, c->lld,
                              pl->repro ? alpha : 1.0, beta, cnt);
    }
out:
    if (saved_threads >= 0)
        dci_blas_set_threads(saved_threads);
    for (s = 0; s < 2 * MAX_NBUF; s++)
        if (req[s] != MPI_REQUEST_NULL)
            MPI_Wait(&req[s], MPI_STATUS_IGNORE); /* only after an error: drain, do not leak */
    if (!pl->a_inplace)
        dci_free(Ap);
    if (!pl->b_inplace)
        dci_free(Bp);
    if (!(pl->c_inplace && !pl->repro))
        dci_free(Cw);
    dci_free(Cfin);
    for (s = 0; s < MAX_NBUF; s++) {
        dci_free(abuf[s]);
        dci_free(bbuf[s]);
    }
    dci_free(segs);
    dci_free(runs);
    dci_free(gbt);
    dci_free(gap);
    dci_free(gcnt);
    dci_free(rcounts);
    tiles_free(&rt);
    tiles_free(&ct);
    return rc;
}
