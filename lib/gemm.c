/*
 * Distributed GEMM: argument checks, the planner and the dry-run query. The planner enumerates
 * every factorisation P = pr x pc x pk (SUMMA on pr x pc, k split over pk layers), keeps the
 * operands in place when their distribution already suits a candidate, prices each candidate
 * with a small model (compute of the largest tile, bytes moved, messages) and picks the cheapest
 * one that fits the memory limit. The plan depends on global arguments only: every rank finds
 * the same one without communicating. Execution is in lib/gemm_summa.c.
 */
#include "mat_impl.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* Model constants: only their ratios matter (a node's dgemm rate per rank, shared-memory
 * bandwidth and latency); they rank candidates, they do not predict wall time exactly. */
#define MODEL_FLOPS     5.0e10
#define MODEL_BW        5.0e9
#define MODEL_LAT       3.0e-6
#define DEFAULT_PANEL   256
#define DEFAULT_TILE_MN 128
#define DEFAULT_TILE_K  256

typedef struct gemm_args {
    dc_gidx_t m, n, k;
    int opa, opb, P;
    const dc_mat_t *a, *b, *c;
    int repro;
    dc_gidx_t tm, tn, tk;
    size_t mem_limit;
    int algo, fpr, fpc, fpk;
    dc_gidx_t panel;
} gemm_args_t;

static dc_gidx_t cdiv(dc_gidx_t a, dc_gidx_t b)
{
    return a / b + (a % b != 0);
}

static dc_gidx_t round_up(dc_gidx_t a, dc_gidx_t b)
{
    return cdiv(a, b) * b;
}

/*
 * Layered map: n indices in nseg slices of seglen, blocks of nb dealt over nproc coordinates
 * inside each slice. Written in the canonical form dci_dist_same() compares: one slice is a
 * plain block-cyclic map; one coordinate per slice is block-cyclic over the slices.
 * *mul_p / *smul_p: rank multipliers of coordinate and slice; they swap in the second case.
 */
static dci_map1_t layered(dc_gidx_t n, dc_gidx_t nb, int nproc, int nseg, dc_gidx_t seglen,
                          int *mul_p, int *smul_p)
{
    dci_map1_t m;

    if (nseg == 1)
        return dci_map1_bc(n, nb, nproc, 0);
    if (nproc == 1) {
        *mul_p = *smul_p;
        *smul_p = 0;
        return dci_map1_bc(n, seglen, nseg, 0);
    }
    m.n = n;
    m.nb = nb < seglen ? nb : seglen;
    m.nproc = nproc;
    m.src = 0;
    m.nseg = nseg;
    m.seglen = seglen;
    m.off = 0;
    return m;
}

/* Largest part of a map, and the largest local array of a distribution. */
static double map_max(const dci_map1_t *m)
{
    int p, np = dci_map1_nparts(m);
    dc_gidx_t best = 0, c;

    for (p = 0; p < np; p++) {
        c = dci_map1_count(m, p);
        if (c > best)
            best = c;
    }
    return (double)best;
}

static double dist_max(const dci_dist_t *d)
{
    return map_max(&d->row) * map_max(&d->col);
}

/* Does map 'have' give aligned reproducible tiles of t (all indices local, or blocks of k t)? */
static int tile_aligned(const dci_map1_t *have, dc_gidx_t t)
{
    return have->nproc == 1 || (have->nseg == 1 && have->nb % t == 0);
}

/* Dgemm efficiency of small dimensions (a mild penalty that prefers fat local blocks; OpenBLAS
 * loses ~4 % at k panels of 64 and ~10 % at 32 against 256, measured on 1024 x 2048 blocks). */
static double eff(double x)
{
    double e = (x / (x + 6.0)) * (262.0 / 256.0); /* 1 from 256 on: wider panels gain nothing */
    return e < 1.0 ? e : 1.0;
}

/* Words one rank receives in each phase of a plan (as lib/gemm_summa.c moves them). */
typedef struct words {
    double ra, rb, ba, bb, red, rc; /* redistributions of A, B; broadcasts of A, B panels;
                                       reduce-scatter of the layers; redistribution of C */
} words_t;

static words_t rank_words(const gemm_args_t *g, const dci_gemm_plan_t *pl, int r)
{
    const int pr = pl->pr, pc = pl->pc, pk = pl->pk;
    words_t w = {0, 0, 0, 0, 0, 0};
    int rp, cp, ap, aq, bp, bq, myr, myc, myl, j;
    double mloc, nloc, klay, k0;

    dci_gemm_coords(pl, r, &myr, &myc, &myl);
    if (!pl->a_inplace)
        w.ra = dci_redist_recv_words(&g->a->dist, g->opa == DC_MAT_TRANS, &pl->da, r);
    if (!pl->b_inplace)
        w.rb = dci_redist_recv_words(&g->b->dist, g->opb == DC_MAT_TRANS, &pl->db, r);
    if (!pl->c_inplace)
        w.rc = dci_redist_recv_words(&pl->dfin, 0, &g->c->dist, r);
    dci_dist_parts(&pl->dcc, r - myl * (pl->cyc ? pc : 1), &rp, &cp);
    mloc = rp < 0 ? 0.0 : (double)dci_map1_count(&pl->dcc.row, rp);
    nloc = cp < 0 ? 0.0 : (double)dci_map1_count(&pl->dcc.col, cp);
    k0 = (double)myl * (double)pl->kl;
    klay = (double)pl->k - k0;
    klay = klay < 0.0 ? 0.0 : klay > (double)pl->kl ? (double)pl->kl : klay;
    if (pl->cyc) /* the layer's k: the A' coordinates l * pc ... l * pc + pc - 1 */
        for (j = 0, klay = 0.0; j < pc; j++)
            klay += (double)dci_map1_count(&pl->da.col, myl * pc + j);
    /* a panel broadcast reaches every rank of the grid row (column) but its owner */
    dci_dist_parts(&pl->da, r, &ap, &aq);
    dci_dist_parts(&pl->db, r, &bp, &bq);
    if (pc > 1)
        w.ba = mloc * (klay - (aq < 0 ? 0.0 : (double)dci_map1_count(&pl->da.col, aq)));
    if (pr > 1)
        w.bb = nloc * (klay - (bp < 0 ? 0.0 : (double)dci_map1_count(&pl->db.row, bp)));
    if (pk > 1) {
        double nbq = (double)pl->dfin.col.nb, lo = (double)myl * nbq;
        double nfin = lo >= nloc ? 0.0 : (nloc - lo < nbq ? nloc - lo : nbq);
        w.red = (double)(pk - 1) * mloc * nfin;
    }
    return w;
}

/*
 * Cyclic layers (the 3-D layout, see dci_gemm_coords): every distribution is plain
 * block-cyclic, so operands created on it are used in place. Block sizes come from operands
 * already on the layout's grids, else A's k block is ceil(k / P).
 */
static void cyc_maps(const gemm_args_t *g, dci_gemm_plan_t *pl)
{
    const dc_mat_dist_t *A = &g->a->pub, *B = &g->b->pub, *C = &g->c->pub;
    const int pr = pl->pr, pc = pl->pc, pk = pl->pk;
    const int a_on = g->opa == DC_MAT_NOTRANS && A->nprow == pr && A->npcol == pk * pc &&
                     A->rsrc == 0 && A->csrc == 0 && A->ioff == 0 && A->joff == 0;
    const int b_on = g->opb == DC_MAT_NOTRANS && B->nprow == pr * pk && B->npcol == pc &&
                     B->rsrc == 0 && B->csrc == 0 && B->ioff == 0 && B->joff == 0;
    const int c_on = C->nprow == pr && C->npcol == pk * pc && C->rsrc == 0 && C->csrc == 0 &&
                     C->ioff == 0 && C->joff == 0;
    dc_gidx_t mb = g->m > 0 ? cdiv(g->m, pr) : 1, nbc = g->n > 0 ? cdiv(g->n, pc * pk) : 1;
    dc_gidx_t nba = g->k > 0 ? cdiv(g->k, g->P) : 1;

    if (c_on)
        mb = C->mb;
    else if (a_on)
        mb = A->mb;
    /* C's final column blocks: at most one per (layer, grid column), so that each layer's
     * part of a tile is one contiguous chunk of the reduce-scatter */
    if (c_on && C->nb * pc * pk >= g->n)
        nbc = C->nb;
    else if (b_on && B->nb * pc * pk >= g->n)
        nbc = B->nb;
    if (a_on)
        nba = A->nb;
    else if (b_on && B->mb % pc == 0)
        nba = B->mb / pc;
    pl->cyc = 1;
    pl->dcc.row = dci_map1_bc(g->m, mb, pr, 0);
    pl->dcc.col = dci_map1_bc(g->n, nbc, pc, 0);
    pl->dcc.base = 0;
    pl->dcc.rmul = pk * pc;
    pl->dcc.cmul = 1;
    pl->dcc.rsmul = pl->dcc.csmul = 0;
    pl->dfin = pl->dcc;
    pl->dfin.col = dci_map1_bc(g->n, nbc, pk * pc, 0);
    pl->da = pl->dcc;
    pl->da.col = dci_map1_bc(g->k, nba, pk * pc, 0);
    pl->db = pl->dcc;
    pl->db.row = dci_map1_bc(g->k, nba * pc, pr * pk, 0);
    pl->db.rmul = pc;
    pl->a_inplace = g->opa == DC_MAT_NOTRANS && dci_dist_same(&g->a->dist, &pl->da);
    pl->b_inplace = g->opb == DC_MAT_NOTRANS && dci_dist_same(&g->b->dist, &pl->db);
    if (pl->a_inplace)
        pl->da = g->a->dist;
    if (pl->b_inplace)
        pl->db = g->b->dist;
}

/* Build and price the candidate (pr, pc, pk) with panel kb and nbuf buffers. */
static void build(const gemm_args_t *g, int pr, int pc, int pk, int var, dc_gidx_t kb, int nbuf,
                  size_t *scratch, dc_gidx_t *scratchw, dci_gemm_plan_t *pl)
{
    const dc_mat_t *A = g->a, *B = g->b, *C = g->c;
    double mloc, nloc, kl, P = g->P, mem_a, mem_b, mem_c, panels, peak, comm, t_comp, nsteps;
    double ph, cost, x = 0.0;
    int mul, smul, r;

    memset(pl, 0, sizeof(*pl));
    pl->m = g->m;
    pl->n = g->n;
    pl->k = g->k;
    pl->pr = pr;
    pl->pc = pc;
    pl->pk = pk;
    pl->opa = g->opa;
    pl->opb = g->opb;
    pl->repro = g->repro;
    pl->tm = g->tm;
    pl->tn = g->tn;
    pl->tk = g->tk;
    pl->kb = g->repro ? g->tk : kb;
    if (pr == 1 && pc == 1 && !g->repro && g->panel == 0)
        pl->kb = g->k > 0 ? cdiv(g->k, pk) : 1; /* nothing to broadcast: one dgemm per layer */
    pl->nbuf = nbuf;
    pl->kl = g->k > 0 ? cdiv(g->k, pk) : 1;

    if (var && pk > 1) {
        cyc_maps(g, pl);
        goto price;
    }
    /* C: in place when it already lives on this grid (tile-aligned in reproducible mode) */
    pl->c_inplace =
        pk == 1 && C->pub.nprow == pr && C->pub.npcol == pc &&
        (!g->repro || (tile_aligned(&C->dist.row, g->tm) && tile_aligned(&C->dist.col, g->tn)));
    if (pl->c_inplace) {
        pl->dcc = pl->dfin = C->dist;
    } else {
        dc_gidx_t mb = g->m > 0 ? cdiv(g->m, pr) : 1,
                  nbq = g->n > 0 ? cdiv(g->n, (dc_gidx_t)pc * pk) : 1;
        if (g->repro) {
            mb = round_up(mb, g->tm);
            nbq = round_up(nbq, g->tn);
        }
        pl->dcc.row = dci_map1_bc(g->m, mb, pr, 0);
        pl->dcc.col = dci_map1_bc(g->n, nbq * pk, pc, 0);
        pl->dcc.base = 0;
        pl->dcc.rmul = pc * pk;
        pl->dcc.cmul = pk;
        pl->dcc.rsmul = pl->dcc.csmul = 0;
        pl->dfin = pl->dcc;
        pl->dfin.col = dci_map1_bc(g->n, nbq, pc * pk, 0);
        pl->dfin.cmul = 1;
    }
    /* A' = op(A): rows as C's, k sliced over layers and dealt in panels over grid columns */
    pl->da.row = pl->dcc.row;
    pl->da.rmul = pl->dcc.rmul;
    pl->da.rsmul = 0;
    pl->da.base = 0;
    mul = pk;
    smul = 1;
    pl->da.col = layered(g->k, pl->kb, pc, pk, pl->kl, &mul, &smul);
    pl->da.cmul = mul;
    pl->da.csmul = smul;
    pl->a_inplace = g->opa == DC_MAT_NOTRANS && dci_map1_same(&A->dist.row, &pl->da.row) &&
                    (A->dist.row.nproc == 1 || A->dist.rmul == pl->da.rmul) &&
                    (dci_dist_same(&A->dist, &pl->da) ||
                     (pk == 1 && A->dist.col.nproc == pl->da.col.nproc &&
                      (A->dist.col.nproc == 1 || A->dist.cmul == pl->da.cmul))) &&
                    (!g->repro || tile_aligned(&A->dist.col, g->tk));
    if (pl->a_inplace)
        pl->da = A->dist;
    /* B' = op(B): k sliced and dealt over grid rows, columns as C's */
    pl->db.col = pl->dcc.col;
    pl->db.cmul = pl->dcc.cmul;
    pl->db.csmul = 0;
    pl->db.base = 0;
    mul = pc * pk;
    smul = 1;
    pl->db.row = layered(g->k, pl->kb, pr, pk, pl->kl, &mul, &smul);
    pl->db.rmul = mul;
    pl->db.rsmul = smul;
    pl->b_inplace = g->opb == DC_MAT_NOTRANS && dci_map1_same(&B->dist.col, &pl->db.col) &&
                    (B->dist.col.nproc == 1 || B->dist.cmul == pl->db.cmul) &&
                    (dci_dist_same(&B->dist, &pl->db) ||
                     (pk == 1 && B->dist.row.nproc == pl->db.row.nproc &&
                      (B->dist.row.nproc == 1 || B->dist.rmul == pl->db.rmul))) &&
                    (!g->repro || tile_aligned(&B->dist.row, g->tk));
    if (pl->b_inplace)
        pl->db = B->dist;

price:
    mloc = map_max(&pl->dcc.row);
    nloc = map_max(&pl->dcc.col);
    kl = (double)(g->k > 0 ? pl->kl : 0);
    pl->gath = var && pk == 1;
    nsteps = kl > 0 ? (pl->gath ? 1.0 : dci_gemm_count_panels(pl, scratch, scratchw)) : 0;
    t_comp = 2.0 * mloc * nloc * kl /
             (MODEL_FLOPS * eff(mloc) * eff(nloc) * eff(nsteps > 0 ? kl / nsteps : 1.0));
    /* words each rank receives, counted exactly from the distributions (as the run counts
     * them); 'cost' weighs them by the memory passes they take: a panel broadcast is a pack and
     * a copy (1.5), a redistribution a pack, a copy and an unpack (2), a reduce-scatter sends as
     * much as it receives and adds (2.5). The most loaded rank sets both. */
    comm = cost = 0.0;
    for (r = 0; r < g->P; r++) {
        words_t w = rank_words(g, pl, r);
        double tot = w.ra + w.rb + w.ba + w.bb + w.red + w.rc;
        double wt = 2.0 * (w.ra + w.rb + w.rc) + 1.5 * (w.ba + w.bb) + 2.5 * w.red;
        comm = tot > comm ? tot : comm;
        cost = wt > cost ? wt : cost;
    }
    comm *= 8.0;
    cost *= 8.0;
    (void)x;
    pl->pub.comm_bytes = comm;
    /* latency: a broadcast per panel along each grid dimension that has more than one rank;
     * a redistribution is an agreement (allreduce) plus an all-to-all */
    pl->pub.est_seconds =
        t_comp + cost / MODEL_BW +
        MODEL_LAT *
            (nsteps * ((pc > 1 ? ceil(log2(pc)) : 0.0) + (pr > 1 ? ceil(log2(pr)) : 0.0)) +
             (P - 1 + 2.0 * ceil(log2(P))) * (3 - pl->a_inplace - pl->b_inplace - pl->c_inplace) +
             (pk > 1 ? 2.0 * ceil(log2(pk)) : 0.0));
    if (pl->gath) /* an all-gather's steps, and a copy of A' into the gathered k order */
        pl->pub.est_seconds += MODEL_LAT * (pr - 1) + 16.0 * mloc * kl / MODEL_BW;
    /* memory: the operands' copies, C's tile, the panels, and each phase's transient buffers
     * (the engine's send and receive buffers) */
    mem_a = pl->a_inplace ? 0.0 : 8.0 * dist_max(&pl->da);
    mem_b = pl->b_inplace ? 0.0 : 8.0 * dist_max(&pl->db);
    mem_c = (pl->c_inplace && !g->repro) ? 0.0 : 8.0 * mloc * nloc;
    panels = 8.0 * nbuf * (double)pl->kb * ((pc > 1 ? mloc : 0.0) + (pr > 1 ? nloc : 0.0));
    if (pl->gath)
        panels = 8.0 * (double)g->k * (mloc + nloc);
    peak = mem_a + mem_b + mem_c + panels;
    if (!pl->a_inplace) {
        ph = mem_a + 8.0 * dist_max(&A->dist) + mem_a;
        peak = ph > peak ? ph : peak;
    }
    if (!pl->b_inplace) {
        ph = mem_a + mem_b + 8.0 * dist_max(&B->dist) + mem_b;
        peak = ph > peak ? ph : peak;
    }
    if (pk > 1) {
        ph = mem_c + 8.0 * mloc * (nloc / pk + 1.0);
        peak = ph > peak ? ph : peak;
    }
    if (!pl->c_inplace) {
        ph = mem_c + 8.0 * dist_max(&pl->dfin) + 8.0 * dist_max(&C->dist);
        peak = ph > peak ? ph : peak;
    }
    pl->pub.mem_bytes = (size_t)peak;
    pl->pub.algo = pk > 1 ? DC_GEMM_SPLITK : DC_GEMM_SUMMA;
    pl->pub.nprow = pr;
    pl->pub.npcol = pc;
    pl->pub.nlayers = pk;
    pl->pub.panel = (int)pl->kb;
    pl->pub.nsteps = (int)nsteps;
    pl->pub.gather_b = pl->gath;
    pl->pub.repro = g->repro;
    pl->pub.redist_a = !pl->a_inplace;
    pl->pub.redist_b = !pl->b_inplace;
    pl->pub.c_in_place = pl->c_inplace;
}

/* May a pr x 1 x 1 plan gather all of B' instead of broadcasting panels (gath)? Only P x 1
 * grids, outside reproducible mode, with B' small enough for one MPI count per rank. */
static int gath_ok(const gemm_args_t *g, int pr, int pk)
{
    return pk == 1 && pr == g->P && pr > 1 && !g->repro &&
           (double)g->k * (double)g->n < (double)INT_MAX;
}

/* Is candidate x better than the best so far? (deterministic tie-breaks) */
static int better(const dci_gemm_plan_t *x, const dci_gemm_plan_t *best, int have)
{
    if (!have)
        return 1;
    /* The model's times are not good to 10 %; the words it counts are exact. Within 10 %,
     * the plan that moves clearly fewer words wins (they are what grows with the machine). */
    if (x->pub.est_seconds < best->pub.est_seconds * 0.9)
        return 1;
    if (x->pub.est_seconds > best->pub.est_seconds * 1.1)
        return 0;
    if (x->pub.comm_bytes < best->pub.comm_bytes * 0.98)
        return 1;
    if (x->pub.comm_bytes > best->pub.comm_bytes * 1.02)
        return 0;
    if (x->pub.est_seconds < best->pub.est_seconds * (1.0 - 1e-9))
        return 1;
    if (x->pub.est_seconds > best->pub.est_seconds * (1.0 + 1e-9))
        return 0;
    if (x->pk != best->pk)
        return x->pk < best->pk;
    return x->pr > best->pr;
}

/* Choose the plan; DC_ERR_NOMEM (with a message) when nothing fits the memory limit. */
static int choose(dc_env_t *env, const gemm_args_t *g, dci_gemm_plan_t *out)
{
    static const int nbufs[2] = {3, 2};
    dci_gemm_plan_t cand;
    dc_gidx_t kb;
    size_t smallest = SIZE_MAX, *scratch = NULL;
    dc_gidx_t *scratchw = NULL;
    int pr, pc, pk, have = 0, ib, rc, var;

    /* the panel counter's scratch: one entry per (grid row, grid column) pair */
    rc = dci_malloc(env, sizeof(size_t) * (size_t)g->P, (void **)&scratch);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, sizeof(dc_gidx_t) * (size_t)g->P, (void **)&scratchw);
    if (rc != DC_SUCCESS) {
        dci_free(scratch);
        return rc;
    }

    for (ib = 0; ib < 2 && !have; ib++) {
        /* narrower panels for small local blocks: more steps to overlap, at no dgemm cost */
        kb = g->panel > 0                                                  ? g->panel
             : (double)g->m * (double)g->n / g->P >= 4.0 * 1024.0 * 1024.0 ? DEFAULT_PANEL
                                                                           : DEFAULT_PANEL / 2;
        for (; kb >= 1 && !have; kb /= 2) {
            for (pk = 1; pk <= g->P; pk++) {
                if (g->P % pk != 0 || (g->fpk > 0 && pk != g->fpk))
                    continue;
                if (g->algo == DC_GEMM_SUMMA && pk > 1)
                    continue;
                if (g->algo == DC_GEMM_SPLITK && pk == 1 && g->P > 1)
                    continue;
                if (g->repro && pk > 1)
                    continue;
                for (pr = 1; pr <= g->P / pk; pr++)
                    for (var = 0; var < 1 + (pk > 1 || gath_ok(g, pr, pk)); var++) {
                        if ((g->P / pk) % pr != 0 || (g->fpr > 0 && pr != g->fpr))
                            continue;
                        pc = g->P / pk / pr;
                        if (g->fpc > 0 && pc != g->fpc)
                            continue;
                        build(g, pr, pc, pk, var, kb, nbufs[ib], scratch, scratchw, &cand);
                        if (g->mem_limit > 0 && cand.pub.mem_bytes > g->mem_limit) {
                            if (cand.pub.mem_bytes < smallest)
                                smallest = cand.pub.mem_bytes;
                            continue;
                        }
                        if (better(&cand, out, have)) {
                            *out = cand;
                            have = 1;
                        }
                    }
            }
            if (g->panel > 0 || g->repro)
                break; /* a forced panel (or the reproducible k tile) is not shrunk */
        }
    }
    dci_free(scratch);
    dci_free(scratchw);
    if (!have) {
        if (smallest == SIZE_MAX)
            return DC_ERR(env, DC_ERR_ARG, "no %d-rank grid matches the forced shape %d x %d x %d",
                          g->P, g->fpr, g->fpc, g->fpk);
        return DC_ERR(env, DC_ERR_NOMEM,
                      "no GEMM algorithm fits mem_limit = %zu bytes per rank (the smallest "
                      "needs %zu)",
                      g->mem_limit, smallest);
    }
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- argument checks */

/*
 * Checks that every rank evaluates identically (shapes, envs, options) plus the plan. Returns
 * at once on errors that leave no common communicator (different envs).
 */
static int gemm_prepare(int opa, int opb, const dc_mat_t *a, const dc_mat_t *b, const dc_mat_t *c,
                        const dc_gemm_params_t *prm, const char *func, gemm_args_t *g,
                        dci_gemm_plan_t *pl)
{
    dc_env_t *env = c->hdr.env;
    uint64_t fm = prm != NULL ? prm->field_mask : 0;
    dc_gidx_t am, ak, bk, bn;
    int mode;

    if (a->hdr.env != env || b->hdr.env != env)
        return dci_error_set(env, DC_ERR_COMM, func, __FILE__, __LINE__,
                             "A, B and C do not all live on the same env");
    if ((opa != DC_MAT_NOTRANS && opa != DC_MAT_TRANS) ||
        (opb != DC_MAT_NOTRANS && opb != DC_MAT_TRANS))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "op %d / %d is neither DC_MAT_NOTRANS nor DC_MAT_TRANS", opa, opb);
    if (c == a || c == b)
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "C is the same matrix as %s (C must not overlap the inputs)",
                             c == a ? "A" : "B");
    am = opa == DC_MAT_NOTRANS ? a->pub.m : a->pub.n;
    ak = opa == DC_MAT_NOTRANS ? a->pub.n : a->pub.m;
    bk = opb == DC_MAT_NOTRANS ? b->pub.m : b->pub.n;
    bn = opb == DC_MAT_NOTRANS ? b->pub.n : b->pub.m;
    if (ak != bk || am != c->pub.m || bn != c->pub.n)
        return dci_error_set(env, DC_ERR_SIZE, func, __FILE__, __LINE__,
                             "op(A) is %lld x %lld, op(B) %lld x %lld and C %lld x %lld",
                             (long long)am, (long long)ak, (long long)bk, (long long)bn,
                             (long long)c->pub.m, (long long)c->pub.n);
    memset(g, 0, sizeof(*g));
    g->m = am;
    g->n = bn;
    g->k = ak;
    g->opa = opa;
    g->opb = opb;
    g->P = env->size;
    g->a = a;
    g->b = b;
    g->c = c;
    mode = (fm & DC_GEMM_PARAM_REPRO) ? (int)prm->repro : DC_REPRO_DEFAULT;
    if (mode == DC_REPRO_DEFAULT)
        mode = env->opts.repro;
    if (!dci_repro_mode_valid(mode, 0))
        return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "repro mode %d is not DC_REPRO_DEFAULT, _OFF, _BINNED or _EXACT",
                             mode);
    g->repro = mode != DC_REPRO_OFF;
    g->tm = g->tn = DEFAULT_TILE_MN;
    g->tk = DEFAULT_TILE_K;
    if (fm & DC_GEMM_PARAM_TILE) {
        if (prm->tile_m < 0 || prm->tile_n < 0 || prm->tile_k < 0)
            return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                                 "tile %d x %d x %d has a negative size", prm->tile_m, prm->tile_n,
                                 prm->tile_k);
        if (prm->tile_m > 0)
            g->tm = prm->tile_m;
        if (prm->tile_n > 0)
            g->tn = prm->tile_n;
        if (prm->tile_k > 0)
            g->tk = prm->tile_k;
    }
    if (fm & DC_GEMM_PARAM_MEM_LIMIT)
        g->mem_limit = prm->mem_limit;
    if (fm & DC_GEMM_PARAM_ALGO) {
        if ((int)prm->algo < DC_GEMM_AUTO || prm->algo > DC_GEMM_SPLITK)
            return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                                 "algorithm %d is not a dc_gemm_algo_t", (int)prm->algo);
        g->algo = prm->algo;
        if (g->algo == DC_GEMM_SPLITK && g->repro)
            return dci_error_set(env, DC_ERR_NOTSUP, func, __FILE__, __LINE__,
                                 "DC_GEMM_SPLITK sums partial products across ranks: not "
                                 "available in reproducible mode");
    }
    if (fm & DC_GEMM_PARAM_GRID) {
        if (prm->nprow < 0 || prm->npcol < 0 || prm->nlayers < 0)
            return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                                 "grid %d x %d x %d has a negative dimension", prm->nprow,
                                 prm->npcol, prm->nlayers);
        g->fpr = prm->nprow;
        g->fpc = prm->npcol;
        g->fpk = prm->nlayers;
        if (g->repro && g->fpk > 1)
            return dci_error_set(env, DC_ERR_NOTSUP, func, __FILE__, __LINE__,
                                 "%d layers split k: not available in reproducible mode", g->fpk);
    }
    if (fm & DC_GEMM_PARAM_PANEL) {
        if (prm->panel < 0)
            return dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__, "panel %d is negative",
                                 prm->panel);
        g->panel = prm->panel;
    }
    return choose(env, g, pl);
}

/* ---------------------------------------------------------------- public entry points */

int dc_mat_gemm_plan(dc_mat_op_t opa, dc_mat_op_t opb, const dc_mat_t *a, const dc_mat_t *b,
                     const dc_mat_t *c, const dc_gemm_params_t *params, dc_gemm_plan_t *plan_p)
{
    gemm_args_t g;
    dci_gemm_plan_t pl;
    int rc;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(b, DCI_CLASS_MAT);
    DC_VALIDATE(c, DCI_CLASS_MAT);
    DC_REQUIRE(c->hdr.env, plan_p != NULL, DC_ERR_ARG, "plan_p is NULL");
    dci_prof_begin(c->hdr.env, DCI_EV_MAT_GEMM_PLAN);
    memset(&pl, 0, sizeof(pl));
    rc = gemm_prepare((int)opa, (int)opb, a, b, c, params, __func__, &g, &pl);
    if (rc == DC_SUCCESS)
        *plan_p = pl.pub;
    dci_prof_end(c->hdr.env, DCI_EV_MAT_GEMM_PLAN, 0);
    return rc;
}

/* Only scale C: alpha = 0, k = 0 (BLAS: A and B are not read), or an empty C. */
static void scale_c(dc_mat_t *c, double beta)
{
    size_t i, j;

    for (j = 0; j < c->nloc; j++) {
        double *col = c->data + j * c->lld;
        if (beta == 0.0)
            memset(col, 0, sizeof(double) * c->mloc);
        else if (beta != 1.0)
            for (i = 0; i < c->mloc; i++)
                col[i] = beta * col[i];
    }
}

/*
 * The agreement of a GEMM, before anything collective: the local outcome (argument checks,
 * planning, borrow states) and every argument the ranks must share, in one allreduce. C defines
 * the communicator; A or B of another env fails on every rank here.
 */
static int gemm_agree(dc_env_t *env, int rc, int opa, int opb, double alpha, double beta,
                      const dc_mat_t *a, const dc_mat_t *b, const dc_mat_t *c, const gemm_args_t *g,
                      const dci_gemm_plan_t *pl, const char *func)
{
    static const char *const na[10] = DCI_DIST_ARG_NAMES("A");
    static const char *const nb[10] = DCI_DIST_ARG_NAMES("B");
    static const char *const nc[10] = DCI_DIST_ARG_NAMES("C");
    dci_arg_t x[DCI_MAX_ARGS];
    int n = 0;

    n += dci_mat_dist_args(&a->pub, na, DC_ERR_ARG, x + n);
    n += dci_mat_dist_args(&b->pub, nb, DC_ERR_ARG, x + n);
    n += dci_mat_dist_args(&c->pub, nc, DC_ERR_ARG, x + n);
    x[n++] = dci_arg_int("opa", opa, DC_ERR_ARG);
    x[n++] = dci_arg_int("opb", opb, DC_ERR_ARG);
    x[n++] = dci_arg_dbl("alpha", alpha);
    x[n++] = dci_arg_dbl("beta", beta);
    /* the options as the call resolved them (params, then the env's settings) */
    x[n++] =
        dci_arg_int("the reproducibility mode (params.repro or the env's)", g->repro, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.tile_m", g->tm, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.tile_n", g->tn, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.tile_k", g->tk, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.mem_limit",
                         g->mem_limit > INT64_MAX ? INT64_MAX : (int64_t)g->mem_limit, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.algo", g->algo, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.nprow", g->fpr, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.npcol", g->fpc, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.nlayers", g->fpk, DC_ERR_ARG);
    x[n++] = dci_arg_int("params.panel", g->panel, DC_ERR_ARG);
    /* the plan follows from the above; compared too, so that a plan that ever depended on
     * something local would fail here instead of hanging in mismatched communication */
    x[n++] = dci_arg_int("the plan's algorithm", pl->pub.algo, DC_ERR_INTERNAL);
    x[n++] = dci_arg_int("the plan's grid rows", pl->pub.nprow, DC_ERR_INTERNAL);
    x[n++] = dci_arg_int("the plan's grid columns", pl->pub.npcol, DC_ERR_INTERNAL);
    x[n++] = dci_arg_int("the plan's layers", pl->pub.nlayers, DC_ERR_INTERNAL);
    x[n++] = dci_arg_int("the plan's panel", pl->pub.panel, DC_ERR_INTERNAL);
    return dci_agree_args(env, rc, x, n, func);
}

/* Body of dc_mat_gemm and dc_mat_gemm_ex under the caller's own event (messages name
 * dc_mat_gemm_ex, as before). */
static int gemm_ex(dci_event_t ev, dc_mat_op_t opa, dc_mat_op_t opb, double alpha,
                   const dc_mat_t *a, const dc_mat_t *b, double beta, dc_mat_t *c,
                   const dc_gemm_params_t *params, dc_gemm_plan_t *plan_p)
{
    static const char func[] = "dc_mat_gemm_ex";
    dc_env_t *env;
    gemm_args_t g;
    dci_gemm_plan_t pl;
    dci_comm_count_t cnt = {0.0, 0.0, 0.0, 0.0};
    int rc = DC_SUCCESS;

    env = c->hdr.env;
    dci_prof_begin(env, ev);
    memset(&g, 0, sizeof(g));
    memset(&pl, 0, sizeof(pl));
    /* A or B of another env: gemm_prepare says so, and the agreement on C's env spreads it */
    rc = gemm_prepare((int)opa, (int)opb, a, b, c, params, func, &g, &pl);
    if (rc == DC_SUCCESS)
        rc = dci_mat_state_read(a, "A", func);
    if (rc == DC_SUCCESS)
        rc = dci_mat_state_read(b, "B", func);
    if (rc == DC_SUCCESS)
        rc = dci_mat_state_write(c, "C", func);
    /* borrow states are per rank, arguments may differ: agree before anything collective */
    rc = gemm_agree(env, rc, (int)opa, (int)opb, alpha, beta, a, b, c, &g, &pl, func);
    if (rc != DC_SUCCESS)
        goto out;
    if (g.m == 0 || g.n == 0)
        goto done;
    if (g.k == 0 || alpha == 0.0) {
        scale_c(c, beta);
        goto done;
    }
    rc = dci_gemm_run(env, &pl, alpha, a, b, beta, c, &cnt);
done:
    if (rc == DC_SUCCESS && plan_p != NULL) {
        *plan_p = pl.pub;
        plan_p->comm.words_sent = cnt.wsent;
        plan_p->comm.words_recv = cnt.wrecv;
        plan_p->comm.msgs_sent = cnt.msent;
        plan_p->comm.msgs_recv = cnt.mrecv;
    }
out:
    dci_prof_end(env, ev, 0);
    return rc;
}

int dc_mat_gemm_ex(dc_mat_op_t opa, dc_mat_op_t opb, double alpha, const dc_mat_t *a,
                   const dc_mat_t *b, double beta, dc_mat_t *c, const dc_gemm_params_t *params,
                   dc_gemm_plan_t *plan_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(b, DCI_CLASS_MAT);
    DC_VALIDATE(c, DCI_CLASS_MAT);
    return gemm_ex(DCI_EV_MAT_GEMM_EX, opa, opb, alpha, a, b, beta, c, params, plan_p);
}

int dc_mat_gemm(dc_mat_op_t opa, dc_mat_op_t opb, double alpha, const dc_mat_t *a,
                const dc_mat_t *b, double beta, dc_mat_t *c)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(b, DCI_CLASS_MAT);
    DC_VALIDATE(c, DCI_CLASS_MAT);
    return gemm_ex(DCI_EV_MAT_GEMM, opa, opb, alpha, a, b, beta, c, NULL, NULL);
}
