/*
 * Layouts: partitions of [0, N) over the ranks of an env. Contiguous kinds (block, weighted,
 * explicit) keep the P+1 prefix offsets, as PETSc's PetscLayout does; block and the
 * block-cyclic family compute owners by formula (O(1)), the others by binary search (O(log P)).
 * Layouts are shared by reference count among the objects built on them.
 */
#include "dc_impl.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- lifecycle */

static void layout_free(dc_layout_t *l)
{
    dc_env_t *env;

    if (l == NULL)
        return;
    env = l->hdr.env;
    dci_free(l->offsets);
    l->hdr.magic = DCI_CLASS_DEAD;
    dci_free(l);
    dci_env_unref(env);
}

/* Runs when the user's reference and every vector's are gone. */
static void layout_free_obj(dci_obj_t *hdr)
{
    layout_free((dc_layout_t *)hdr);
}

int dc_layout_destroy(dc_layout_t **layout_p)
{
    dc_layout_t *l;

    if (layout_p == NULL || *layout_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*layout_p, DCI_CLASS_LAYOUT);
    l = *layout_p;
    *layout_p = NULL;
    /* freed now, or when the last vector on it goes */
    dci_obj_release(&l->hdr, "layout_p", __func__);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- counts per kind */

static size_t block_count(dc_gidx_t n, int p, int r)
{
    return (size_t)(n / p + (r < n % p ? 1 : 0));
}

/* Number of blocks of b in [0, n), without the overflow of n + b - 1 for huge b. */
static dc_gidx_t nblocks_of(dc_gidx_t n, dc_gidx_t b)
{
    return n / b + (n % b != 0 ? 1 : 0);
}

static size_t bc_count(dc_gidx_t n, dc_gidx_t b, int p, int r)
{
    dc_gidx_t nblocks = nblocks_of(n, b), mine, last;
    size_t cnt;

    if (n == 0)
        return 0;
    mine = nblocks / p + (r < nblocks % p ? 1 : 0);
    /* unsigned: mine * b may pass INT64_MAX on the rank with the short last block */
    cnt = (size_t)mine * (size_t)b;
    last = (nblocks - 1) % p;
    if (r == last)
        cnt -= (size_t)nblocks * (size_t)b - (size_t)n; /* the last block is short */
    return cnt;
}

static int is_contiguous(const dc_layout_t *l)
{
    return l->offsets != NULL;
}

size_t dci_layout_count(const dc_layout_t *l, int r)
{
    if (is_contiguous(l))
        return (size_t)(l->offsets[r + 1] - l->offsets[r]);
    return bc_count(l->n, l->block, l->nranks, r);
}

/* Allocate and fill prefix offsets from counts known on all ranks. */
static int set_offsets(dc_env_t *env, dc_layout_t *l, const dc_gidx_t *counts)
{
    int r, rc;

    rc = dci_malloc(env, sizeof(dc_gidx_t) * (size_t)(l->nranks + 1), (void **)&l->offsets);
    if (rc != DC_SUCCESS)
        return rc;
    l->offsets[0] = 0;
    for (r = 0; r < l->nranks; r++) {
        if (counts[r] > INT64_MAX - l->offsets[r]) /* explicit sizes can sum past INT64_MAX */
            return DC_ERR(env, DC_ERR_SIZE, "the local sizes sum to more than INT64_MAX");
        l->offsets[r + 1] = l->offsets[r] + counts[r];
    }
    return DC_SUCCESS;
}

/*
 * Largest-remainder apportionment of n over weights: exact total, deterministic (the same
 * inputs give the same counts on every rank), ties to the lower rank.
 */
static void apportion(dc_gidx_t n, const double *w, int p, dc_gidx_t *counts, double *frac)
{
    double total = 0.0;
    dc_gidx_t given = 0;
    int r;

    for (r = 0; r < p; r++)
        total += w[r];
    for (r = 0; r < p; r++) {
        double q = (double)n * (w[r] / total);
        double fl = floor(q);
        if (fl > (double)n)
            fl = (double)n;
        counts[r] = (dc_gidx_t)fl;
        frac[r] = q - fl;
        given += counts[r];
    }
    while (given < n) {
        int best = -1;
        for (r = 0; r < p; r++)
            if (w[r] > 0 && (best < 0 || frac[r] > frac[best]))
                best = r;
        counts[best]++;
        frac[best] = -1.0;
        given++;
    }
    while (given > n) { /* rounding can overshoot only by float error: take from the largest */
        int best = 0;
        for (r = 1; r < p; r++)
            if (counts[r] > counts[best])
                best = r;
        counts[best]--;
        given--;
    }
}

/* ---------------------------------------------------------------- creation */

typedef struct {
    dc_layout_kind_t kind;
    dc_gidx_t n, block;
    double weight;
    size_t nlocal;
} layout_spec_t;

static dci_event_t layout_event(dc_layout_kind_t kind)
{
    switch (kind) {
    case DC_LAYOUT_BLOCK: return DCI_EV_LAYOUT_CREATE_BLOCK;
    case DC_LAYOUT_CYCLIC: return DCI_EV_LAYOUT_CREATE_CYCLIC;
    case DC_LAYOUT_BLOCK_CYCLIC: return DCI_EV_LAYOUT_CREATE_BLOCK_CYCLIC;
    case DC_LAYOUT_WEIGHTED: return DCI_EV_LAYOUT_CREATE_WEIGHTED;
    default: return DCI_EV_LAYOUT_CREATE_EXPLICIT;
    }
}

static int layout_create(dc_env_t *env, dci_event_t ev, const layout_spec_t *s,
                         dc_layout_t **layout_p)
{
    dc_layout_t *l = NULL;
    dc_gidx_t *counts = NULL;
    double *w = NULL;
    int rc = DC_SUCCESS, r;
    int64_t vals[2];
    double t;

    dci_prof_begin(env, ev);
    DC_REQUIRE_GOTO(env, layout_p != NULL, DC_ERR_ARG, out, "layout_p is NULL");
    if (s->kind != DC_LAYOUT_EXPLICIT) {
        DC_REQUIRE_GOTO(env, s->n >= 0, DC_ERR_SIZE, out, "global size %lld < 0", (long long)s->n);
    }
    if (s->kind == DC_LAYOUT_BLOCK_CYCLIC) {
        DC_REQUIRE_GOTO(env, s->block >= 1, DC_ERR_SIZE, out, "block size %lld < 1",
                        (long long)s->block);
    }
    if (s->kind == DC_LAYOUT_WEIGHTED) {
        DC_REQUIRE_GOTO(env, !isnan(s->weight) && !isinf(s->weight), DC_ERR_ARG, out,
                        "weight %g is not finite", s->weight);
    }
    if (s->kind == DC_LAYOUT_EXPLICIT) {
        DC_REQUIRE_GOTO(env, s->nlocal <= (size_t)INT64_MAX / 2, DC_ERR_SIZE, out,
                        "local size %zu is too large (negative value cast to size_t?)", s->nlocal);
    }
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*l), (void **)&l), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)env->size, sizeof(*counts), (void **)&counts), out);
    DC_CHECK_GOTO(dci_calloc(env, 2 * (size_t)env->size, sizeof(*w), (void **)&w), out);
out:
    /* Local argument and allocation errors are agreed before any further collective. */
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto err;
    if (s->kind != DC_LAYOUT_EXPLICIT) {
        vals[0] = s->n;
        vals[1] = s->block;
        rc = dci_check_same(env, DC_ERR_SIZE, vals, 2,
                            s->kind == DC_LAYOUT_BLOCK_CYCLIC ? "global size or block size"
                                                              : "global size");
        if (rc != DC_SUCCESS)
            goto err;
    }
    l->kind = s->kind;
    l->n = s->n;
    l->block = s->kind == DC_LAYOUT_CYCLIC ? 1 : s->kind == DC_LAYOUT_BLOCK_CYCLIC ? s->block : 0;
    l->nranks = env->size;
    switch (s->kind) {
    case DC_LAYOUT_BLOCK:
        for (r = 0; r < env->size; r++)
            counts[r] = (dc_gidx_t)block_count(s->n, env->size, r);
        rc = set_offsets(env, l, counts);
        break;
    case DC_LAYOUT_CYCLIC:
    case DC_LAYOUT_BLOCK_CYCLIC: break;
    case DC_LAYOUT_WEIGHTED: {
        double mine =
            s->weight < 0 ? (double)(env->place.ncores > 0 ? env->place.ncores : 1) : s->weight;
        double total = 0.0;
        int mrc;
        t = dci_prof_mpi_begin(env);
        mrc = MPI_Allgather(&mine, 1, MPI_DOUBLE, w, 1, MPI_DOUBLE, env->comm);
        dci_prof_coll_end(env, t, sizeof(mine), (size_t)env->size * sizeof(mine));
        rc = mrc == MPI_SUCCESS ? DC_SUCCESS
                                : DC_ERR_MPI_RC(env, mrc, "MPI_Allgather of the weights");
        if (rc != DC_SUCCESS)
            break;
        /* Finite weights may still sum past DBL_MAX: scale them by a power of two (exact)
         * so that the largest is below 1. Only the ratios count. */
        {
            double wmax = 0.0;
            int e = 0;
            for (r = 0; r < env->size; r++)
                wmax = w[r] > wmax ? w[r] : wmax;
            if (wmax > 0.0) {
                (void)frexp(wmax, &e);
                for (r = 0; r < env->size; r++)
                    w[r] = ldexp(w[r], -e);
            }
        }
        for (r = 0; r < env->size; r++)
            total += w[r];
        if (!(total > 0.0) || isinf(total)) {
            rc = DC_ERR(env, DC_ERR_SIZE, "the weights sum to %g (need a finite value > 0)", total);
            break;
        }
        apportion(s->n, w, env->size, counts, w + env->size);
        rc = set_offsets(env, l, counts);
        break;
    }
    case DC_LAYOUT_EXPLICIT: {
        int64_t mine = (int64_t)s->nlocal;
        int mrc;
        t = dci_prof_mpi_begin(env);
        mrc = MPI_Allgather(&mine, 1, MPI_INT64_T, counts, 1, MPI_INT64_T, env->comm);
        dci_prof_coll_end(env, t, sizeof(mine), (size_t)env->size * sizeof(mine));
        rc = mrc == MPI_SUCCESS ? DC_SUCCESS
                                : DC_ERR_MPI_RC(env, mrc, "MPI_Allgather of the local sizes");
        if (rc == DC_SUCCESS)
            rc = set_offsets(env, l, counts);
        if (rc == DC_SUCCESS)
            l->n = l->offsets[env->size];
        break;
    }
    }
    if (rc == DC_SUCCESS) {
        if (is_contiguous(l))
            l->nlocal = (size_t)(l->offsets[env->rank + 1] - l->offsets[env->rank]);
        else
            l->nlocal = bc_count(l->n, l->block, env->size, env->rank);
    }
    rc = dci_agree(env, rc);
err:
    dci_free(counts);
    dci_free(w);
    if (rc != DC_SUCCESS) {
        if (l != NULL) {
            dci_free(l->offsets);
            dci_free(l);
        }
        dci_prof_end(env, ev, 0);
        return rc;
    }
    dci_obj_init(&l->hdr, DCI_CLASS_LAYOUT, dci_env_ref(env), layout_free_obj);
    *layout_p = l;
    dci_prof_end(env, ev, 0);
    return DC_SUCCESS;
}

int dc_layout_create_block(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_BLOCK, n, 0, 0.0, 0};
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return layout_create(env, layout_event(s.kind), &s, layout_p);
}

int dc_layout_create_cyclic(dc_env_t *env, dc_gidx_t n, dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_CYCLIC, n, 1, 0.0, 0};
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return layout_create(env, layout_event(s.kind), &s, layout_p);
}

int dc_layout_create_block_cyclic(dc_env_t *env, dc_gidx_t n, dc_gidx_t block,
                                  dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_BLOCK_CYCLIC, n, block, 0.0, 0};
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return layout_create(env, layout_event(s.kind), &s, layout_p);
}

int dc_layout_create_weighted(dc_env_t *env, dc_gidx_t n, double weight, dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_WEIGHTED, n, 0, weight, 0};
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return layout_create(env, layout_event(s.kind), &s, layout_p);
}

int dc_layout_create_explicit(dc_env_t *env, size_t nlocal, dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_EXPLICIT, 0, 0, 0.0, nlocal};
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return layout_create(env, layout_event(s.kind), &s, layout_p);
}

int dci_layout_create_explicit_ev(dc_env_t *env, dci_event_t ev, size_t nlocal,
                                  dc_layout_t **layout_p)
{
    layout_spec_t s = {DC_LAYOUT_EXPLICIT, 0, 0, 0.0, nlocal};
    return layout_create(env, ev, &s, layout_p);
}

/* ---------------------------------------------------------------- queries (all local) */

int dc_layout_get_env(const dc_layout_t *layout, dc_env_t **env_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, env_p != NULL, DC_ERR_ARG, "env_p is NULL");
    dci_obj_lend(&layout->hdr.env->hdr); /* usable while the layout lives */
    *env_p = layout->hdr.env;
    return DC_SUCCESS;
}

int dc_layout_get_kind(const dc_layout_t *layout, dc_layout_kind_t *kind_p, dc_gidx_t *block_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, kind_p != NULL || block_p != NULL, DC_ERR_ARG,
               "kind_p and block_p are both NULL");
    if (kind_p)
        *kind_p = layout->kind;
    if (block_p)
        *block_p = layout->block;
    return DC_SUCCESS;
}

int dc_layout_get_global_size(const dc_layout_t *layout, dc_gidx_t *n_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, n_p != NULL, DC_ERR_ARG, "n_p is NULL");
    *n_p = layout->n;
    return DC_SUCCESS;
}

int dc_layout_get_local_size(const dc_layout_t *layout, size_t *nlocal_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, nlocal_p != NULL, DC_ERR_ARG, "nlocal_p is NULL");
    *nlocal_p = layout->nlocal;
    return DC_SUCCESS;
}

int dc_layout_get_rank_size(const dc_layout_t *layout, int rank, size_t *nlocal_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, nlocal_p != NULL, DC_ERR_ARG, "nlocal_p is NULL");
    DC_REQUIRE(layout->hdr.env, rank >= 0 && rank < layout->nranks, DC_ERR_ARG,
               "rank %d out of range [0, %d)", rank, layout->nranks);
    *nlocal_p = dci_layout_count(layout, rank);
    return DC_SUCCESS;
}

int dc_layout_get_range(const dc_layout_t *layout, int rank, dc_gidx_t *lo_p, dc_gidx_t *hi_p)
{
    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, lo_p != NULL || hi_p != NULL, DC_ERR_ARG,
               "lo_p and hi_p are both NULL");
    DC_REQUIRE(layout->hdr.env, rank >= 0 && rank < layout->nranks, DC_ERR_ARG,
               "rank %d out of range [0, %d)", rank, layout->nranks);
    DC_REQUIRE(layout->hdr.env, is_contiguous(layout), DC_ERR_NOTSUP,
               "a (block-)cyclic layout has no contiguous range");
    if (lo_p)
        *lo_p = layout->offsets[rank];
    if (hi_p)
        *hi_p = layout->offsets[rank + 1];
    return DC_SUCCESS;
}

void dci_layout_locate(const dc_layout_t *l, dc_gidx_t g, int *rank_p, size_t *lidx_p)
{
    int p = l->nranks, r;

    switch (l->kind) {
    case DC_LAYOUT_BLOCK: {
        dc_gidx_t q = l->n / p, rem = l->n % p, big = rem * (q + 1);
        r = g < big ? (int)(g / (q + 1)) : (int)(rem + (g - big) / q);
        break;
    }
    case DC_LAYOUT_CYCLIC:
    case DC_LAYOUT_BLOCK_CYCLIC: {
        dc_gidx_t k = g / l->block;
        *rank_p = (int)(k % p);
        *lidx_p = (size_t)((k / p) * l->block + g % l->block);
        return;
    }
    default: {
        int lo = 0, hi = p - 1; /* last r with offsets[r] <= g, skipping empty ranks */
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (l->offsets[mid] <= g)
                lo = mid;
            else
                hi = mid - 1;
        }
        r = lo;
        break;
    }
    }
    *rank_p = r;
    *lidx_p = (size_t)(g - l->offsets[r]);
}

int dc_layout_get_owner(const dc_layout_t *layout, dc_gidx_t g, int *rank_p)
{
    size_t lidx;

    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, rank_p != NULL, DC_ERR_ARG, "rank_p is NULL");
    DC_REQUIRE(layout->hdr.env, g >= 0 && g < layout->n, DC_ERR_ARG,
               "global index %lld out of range [0, %lld)", (long long)g, (long long)layout->n);
    dci_layout_locate(layout, g, rank_p, &lidx);
    return DC_SUCCESS;
}

int dc_layout_global_to_local(const dc_layout_t *layout, dc_gidx_t g, int *rank_p, size_t *lidx_p)
{
    int r;
    size_t lidx;

    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, rank_p != NULL || lidx_p != NULL, DC_ERR_ARG,
               "rank_p and lidx_p are both NULL");
    DC_REQUIRE(layout->hdr.env, g >= 0 && g < layout->n, DC_ERR_ARG,
               "global index %lld out of range [0, %lld)", (long long)g, (long long)layout->n);
    dci_layout_locate(layout, g, &r, &lidx);
    if (rank_p)
        *rank_p = r;
    if (lidx_p)
        *lidx_p = lidx;
    return DC_SUCCESS;
}

int dc_layout_local_to_global(const dc_layout_t *layout, int rank, size_t lidx, dc_gidx_t *g_p)
{
    size_t cnt;

    DC_VALIDATE(layout, DCI_CLASS_LAYOUT);
    DC_REQUIRE(layout->hdr.env, g_p != NULL, DC_ERR_ARG, "g_p is NULL");
    DC_REQUIRE(layout->hdr.env, rank >= 0 && rank < layout->nranks, DC_ERR_ARG,
               "rank %d out of range [0, %d)", rank, layout->nranks);
    cnt = dci_layout_count(layout, rank);
    DC_REQUIRE(layout->hdr.env, lidx < cnt, DC_ERR_ARG,
               "local index %zu out of range [0, %zu) on rank %d", lidx, cnt, rank);
    *g_p = dci_layout_l2g(layout, rank, lidx);
    return DC_SUCCESS;
}

/* Start of rank r's range if the layout is contiguous in effect, else -1. */
static dc_gidx_t contiguous_start(const dc_layout_t *l, int r)
{
    dc_gidx_t nblocks;

    if (is_contiguous(l))
        return l->offsets[r];
    if (l->nranks == 1)
        return 0; /* one rank owns everything in order, whatever the block size */
    nblocks = nblocks_of(l->n, l->block);
    if (nblocks > l->nranks)
        return -1;
    return r < nblocks ? r * l->block : l->n;
}

int dci_layout_congruent(const dc_layout_t *a, const dc_layout_t *b)
{
    int r, same = 1;

    if (a == b)
        return 1;
    if (a->hdr.env != b->hdr.env || a->n != b->n)
        return 0;
    if (!is_contiguous(a) && !is_contiguous(b) && a->block == b->block)
        return 1;
    for (r = 0; r < a->nranks && same; r++) {
        dc_gidx_t sa = contiguous_start(a, r), sb = contiguous_start(b, r);
        same = sa >= 0 && sa == sb;
    }
    return same;
}

int dc_layout_congruent(const dc_layout_t *a, const dc_layout_t *b, int *congruent_p)
{
    DC_VALIDATE(a, DCI_CLASS_LAYOUT);
    DC_VALIDATE(b, DCI_CLASS_LAYOUT);
    DC_REQUIRE(a->hdr.env, congruent_p != NULL, DC_ERR_ARG, "congruent_p is NULL");
    *congruent_p = dci_layout_congruent(a, b);
    return DC_SUCCESS;
}

int dci_layout_counts(dc_env_t *env, const dc_layout_t *l, int *counts, int *displs)
{
    size_t tot = 0, c;
    int r;

    for (r = 0; r < l->nranks; r++) {
        c = dci_layout_count(l, r);
        if (tot + c > INT_MAX)
            return DC_ERR(env, DC_ERR_SIZE,
                          "global size %lld exceeds INT_MAX: MPI counts and displacements are int",
                          (long long)l->n);
        counts[r] = (int)c;
        displs[r] = (int)tot;
        tot += c;
    }
    return DC_SUCCESS;
}
