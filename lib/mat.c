/*
 * Distributed dense matrices: 2-D block-cyclic distribution on a P x Q grid (ScaLAPACK's), the
 * object's lifecycle, local access, fill, scatter/gather, redistribution and transpose (both by
 * the engine of lib/mat_redist.c) and GEMV. Invariant: local entry (li, lj) is global entry
 * (row part's li-th index, column part's lj-th index), stored column-major with lld = max(1, mloc).
 */
#include "mat_impl.h"

#include <cblas.h>
#include <limits.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

int dci_mat_state_read(const dc_mat_t *a, const char *name, const char *func)
{
    return dci_borrow_check_read(a->hdr.env, &a->borrow, "mat", name, func);
}

int dci_mat_state_write(const dc_mat_t *a, const char *name, const char *func)
{
    return dci_borrow_check_write(a->hdr.env, &a->borrow, "mat", name, func);
}

/* The fields of a distribution as arguments that must match on every rank. */
int dci_mat_dist_args(const dc_mat_dist_t *d, const char *const *names, int code, dci_arg_t *a)
{
    const int64_t v[10] = {d->m,    d->n,     d->mb,    d->nb,   d->rsrc,
                           d->csrc, d->nprow, d->npcol, d->ioff, d->joff};
    int i;

    for (i = 0; i < 10; i++)
        a[i] = dci_arg_int(names[i], v[i], code);
    return 10;
}

static const char *const names_dist[10] = DCI_DIST_ARG_NAMES("the distribution");
static const char *const names_a[10] = DCI_DIST_ARG_NAMES("a");
static const char *const names_b[10] = DCI_DIST_ARG_NAMES("b");

static void mat_free(dc_mat_t *a)
{
    if (a == NULL)
        return;
    if (!a->is_view)
        dci_free(a->data);
    a->hdr.magic = DCI_CLASS_DEAD;
    dci_free(a);
}

static void mat_free_obj(dci_obj_t *hdr)
{
    dc_env_t *env = hdr->env;

    mat_free((dc_mat_t *)hdr);
    dci_env_unref(env);
}

/*
 * Local part of a create: validate the distribution and allocate (no communication). view != 0:
 * wrap data with leading dimension lld instead of allocating.
 */
static int mat_new(dc_env_t *env, const dc_mat_dist_t *in, int view, double *data, size_t lld,
                   dc_mat_t **a_p)
{
    dc_mat_dist_t d = *in;
    dc_mat_t *a = NULL;
    int rc, rp, cp;

    DC_REQUIRE(env, d.m >= 0 && d.n >= 0, DC_ERR_SIZE, "matrix size %lld x %lld is negative",
               (long long)d.m, (long long)d.n);
    DC_REQUIRE(env, d.mb >= 0 && d.nb >= 0, DC_ERR_SIZE, "block size %lld x %lld is negative",
               (long long)d.mb, (long long)d.nb);
    DC_REQUIRE(env, d.nprow > 0 && d.npcol > 0 && (long)d.nprow * d.npcol == env->size, DC_ERR_SIZE,
               "grid %d x %d does not match the env's %d ranks", d.nprow, d.npcol, env->size);
    DC_REQUIRE(env, d.rsrc >= 0 && d.rsrc < d.nprow && d.csrc >= 0 && d.csrc < d.npcol, DC_ERR_ARG,
               "source position (%d, %d) outside the %d x %d grid", d.rsrc, d.csrc, d.nprow,
               d.npcol);
    DC_REQUIRE(env,
               d.ioff >= 0 && d.joff >= 0 && (d.ioff == 0 || d.ioff < d.mb) &&
                   (d.joff == 0 || d.joff < d.nb),
               DC_ERR_ARG, "offsets (%lld, %lld) outside the first %lld x %lld block",
               (long long)d.ioff, (long long)d.joff, (long long)d.mb, (long long)d.nb);
    DC_REQUIRE(env, !view || (d.mb > 0 && d.nb > 0), DC_ERR_ARG,
               "a view needs explicit block sizes (mb = %lld, nb = %lld)", (long long)d.mb,
               (long long)d.nb);
    if (d.mb == 0) /* pure 2-D block */
        d.mb = d.m > 0 ? (d.m + d.nprow - 1) / d.nprow : 1;
    if (d.nb == 0)
        d.nb = d.n > 0 ? (d.n + d.npcol - 1) / d.npcol : 1;
    rc = dci_calloc(env, 1, sizeof(*a), (void **)&a);
    if (rc != DC_SUCCESS)
        return rc;
    a->pub = d;
    a->dist = dci_dist_from_pub(&d);
    dci_dist_parts(&a->dist, env->rank, &rp, &cp);
    a->myrow = rp; /* the parts of the maps: grid coordinates, 0 for a single one */
    a->mycol = cp;
    a->mloc = (size_t)dci_map1_count(&a->dist.row, rp);
    a->nloc = (size_t)dci_map1_count(&a->dist.col, cp);
    a->lld = a->mloc > 0 ? a->mloc : 1;
    if (view) {
        if (lld < a->lld || (data == NULL && a->mloc * a->nloc > 0)) {
            rc = DC_ERR(env, DC_ERR_ARG, "view of a local %zu x %zu part: %s", a->mloc, a->nloc,
                        data == NULL ? "data is NULL" : "lld is too small");
            dci_free(a);
            return rc;
        }
        a->lld = lld;
        a->data = data;
        a->is_view = 1;
        dci_obj_init(&a->hdr, DCI_CLASS_MAT, env, mat_free_obj);
        *a_p = a;
        return DC_SUCCESS;
    }
    if (a->nloc > 0 && a->lld > SIZE_MAX / sizeof(double) / a->nloc) {
        rc = DC_ERR(env, DC_ERR_NOMEM,
                    "local part %zu x %zu is more memory than can be addressed (its byte count "
                    "overflows)",
                    a->mloc, a->nloc);
        dci_free(a);
        return rc;
    }
    rc = dci_malloc_aligned(env, sizeof(double) * a->lld * a->nloc, (void **)&a->data);
    if (rc != DC_SUCCESS) {
        dci_free(a);
        return rc;
    }
    memset(a->data, 0, sizeof(double) * a->lld * a->nloc);
    dci_obj_init(&a->hdr, DCI_CLASS_MAT, env, mat_free_obj);
    *a_p = a;
    return DC_SUCCESS;
}

/*
 * Collective create from a public distribution: local checks and the allocation, then one
 * agreement on the outcome and on the distribution (it must match everywhere, debug mode or not).
 */
static int mat_create(dc_env_t *env, dci_event_t ev, const dc_mat_dist_t *d, int view, double *data,
                      size_t lld, dc_mat_t **mat_p, const char *func)
{
    dc_mat_t *a = NULL;
    int rc = DC_SUCCESS, n;
    dci_arg_t args[11];

    dci_prof_begin(env, ev);
    DC_REQUIRE_GOTO(env, mat_p != NULL, DC_ERR_ARG, out, "mat_p is NULL");
    DC_CHECK_GOTO(mat_new(env, d, view, data, lld, &a), out);
out:
    n = dci_mat_dist_args(d, names_dist, DC_ERR_SIZE, args);
    args[n++] = dci_arg_int("the kind of create (dc_mat_create_view or not)", view, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, args, n, func);
    if (rc != DC_SUCCESS) {
        mat_free(a);
        a = NULL;
    } else {
        dci_env_ref(env);
        *mat_p = a;
    }
    dci_prof_end(env, ev, a != NULL ? a->lld * a->nloc * sizeof(double) : 0);
    return rc;
}

/* ---------------------------------------------------------------- lifecycle */

int dc_mat_create(dc_grid_t *grid, dc_gidx_t m, dc_gidx_t n, dc_gidx_t mb, dc_gidx_t nb, int rsrc,
                  int csrc, dc_mat_t **mat_p)
{
    dc_mat_dist_t d;

    DC_VALIDATE(grid, DCI_CLASS_GRID);
    d.m = m;
    d.n = n;
    d.mb = mb;
    d.nb = nb;
    d.rsrc = rsrc;
    d.csrc = csrc;
    d.ioff = d.joff = 0;
    dc_grid_get_info(grid, &d.nprow, &d.npcol, NULL, NULL);
    return mat_create(((dci_obj_t *)grid)->env, DCI_EV_MAT_CREATE, &d, 0, NULL, 0, mat_p, __func__);
}

int dc_mat_create_dist(dc_env_t *env, const dc_mat_dist_t *dist, dc_mat_t **mat_p)
{
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    if (dist == NULL) {
        /* the others may have passed a valid dist: take part in the agreement, then fail */
        dci_prof_begin(env, DCI_EV_MAT_CREATE_DIST);
        DC_ERR(env, DC_ERR_ARG, "dist is NULL");
        rc = dci_agree(env, DC_ERR_ARG);
        dci_prof_end(env, DCI_EV_MAT_CREATE_DIST, 0);
        return rc;
    }
    return mat_create(env, DCI_EV_MAT_CREATE_DIST, dist, 0, NULL, 0, mat_p, __func__);
}

int dc_mat_create_view(dc_env_t *env, const dc_mat_dist_t *dist, double *data, size_t lld,
                       dc_mat_t **mat_p)
{
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    if (dist == NULL) {
        dci_prof_begin(env, DCI_EV_MAT_CREATE_VIEW);
        DC_ERR(env, DC_ERR_ARG, "dist is NULL");
        rc = dci_agree(env, DC_ERR_ARG);
        dci_prof_end(env, DCI_EV_MAT_CREATE_VIEW, 0);
        return rc;
    }
    return mat_create(env, DCI_EV_MAT_CREATE_VIEW, dist, 1, data, lld, mat_p, __func__);
}

/* Agreement on the outcome and on the matrix a (its distribution). */
static int agree_on_mat(dc_env_t *env, int rc, const dc_mat_t *a, const char *func)
{
    dci_arg_t args[10];

    return dci_agree_args(env, rc, args, dci_mat_dist_args(&a->pub, names_a, DC_ERR_ARG, args),
                          func);
}

int dc_mat_dup(const dc_mat_t *a, dc_mat_t **b_p)
{
    dc_env_t *env;
    dc_mat_t *b = NULL;
    int rc = DC_SUCCESS;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_DUP);
    DC_REQUIRE_GOTO(env, b_p != NULL, DC_ERR_ARG, out, "b_p is NULL");
    DC_CHECK_GOTO(dci_mat_state_read(a, "a", __func__), out);
    DC_CHECK_GOTO(mat_new(env, &a->pub, 0, NULL, 0, &b), out);
    {
        size_t j;
        for (j = 0; j < a->nloc; j++)
            memcpy(b->data + j * b->lld, a->data + j * a->lld, sizeof(double) * a->mloc);
    }
out:
    rc = agree_on_mat(env, rc, a, __func__);
    if (rc != DC_SUCCESS) {
        mat_free(b);
    } else {
        dci_env_ref(env);
        *b_p = b;
    }
    dci_prof_end(env, DCI_EV_MAT_DUP, rc == DC_SUCCESS ? 2 * a->lld * a->nloc * 8 : 0);
    return rc;
}

int dc_mat_destroy(dc_mat_t **mat_p)
{
    dc_mat_t *a;

    if (mat_p == NULL || *mat_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*mat_p, DCI_CLASS_MAT);
    a = *mat_p;
    if (a->borrow.rw || a->borrow.nread > 0)
        dci_log(a->hdr.env, 1, "dc_mat_destroy: the matrix is still borrowed; the array is freed");
    *mat_p = NULL;
    dci_obj_release(&a->hdr, "mat_p", __func__);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- getters (local) */

int dc_mat_get_env(const dc_mat_t *a, dc_env_t **env_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, env_p != NULL, DC_ERR_ARG, "env_p is NULL");
    dci_obj_lend(&a->hdr.env->hdr); /* usable while the matrix lives */
    *env_p = a->hdr.env;
    return DC_SUCCESS;
}

int dc_mat_get_dist(const dc_mat_t *a, dc_mat_dist_t *dist_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, dist_p != NULL, DC_ERR_ARG, "dist_p is NULL");
    *dist_p = a->pub;
    return DC_SUCCESS;
}

int dc_mat_get_local_size(const dc_mat_t *a, size_t *mloc_p, size_t *nloc_p, size_t *lld_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, mloc_p != NULL || nloc_p != NULL || lld_p != NULL, DC_ERR_ARG,
               "mloc_p, nloc_p and lld_p are all NULL");
    if (mloc_p)
        *mloc_p = a->mloc;
    if (nloc_p)
        *nloc_p = a->nloc;
    if (lld_p)
        *lld_p = a->lld;
    return DC_SUCCESS;
}

int dc_mat_local_to_global(const dc_mat_t *a, size_t li, size_t lj, dc_gidx_t *i_p, dc_gidx_t *j_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, i_p != NULL || j_p != NULL, DC_ERR_ARG, "i_p and j_p are NULL");
    DC_REQUIRE(a->hdr.env, li < a->mloc && lj < a->nloc, DC_ERR_ARG,
               "local position (%zu, %zu) outside the local %zu x %zu part", li, lj, a->mloc,
               a->nloc);
    if (i_p)
        *i_p = dci_map1_global(&a->dist.row, a->myrow, (dc_gidx_t)li);
    if (j_p)
        *j_p = dci_map1_global(&a->dist.col, a->mycol, (dc_gidx_t)lj);
    return DC_SUCCESS;
}

int dc_mat_global_to_local(const dc_mat_t *a, dc_gidx_t i, dc_gidx_t j, int *rank_p, size_t *li_p,
                           size_t *lj_p)
{
    dci_loc_t r, c;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, i >= 0 && i < a->pub.m && j >= 0 && j < a->pub.n, DC_ERR_ARG,
               "entry (%lld, %lld) outside the %lld x %lld matrix", (long long)i, (long long)j,
               (long long)a->pub.m, (long long)a->pub.n);
    DC_REQUIRE(a->hdr.env, rank_p != NULL || li_p != NULL || lj_p != NULL, DC_ERR_ARG,
               "rank_p, li_p and lj_p are all NULL");
    r = dci_map1_locate(&a->dist.row, i);
    c = dci_map1_locate(&a->dist.col, j);
    if (rank_p)
        *rank_p = dci_dist_rank(&a->dist, r.part, c.part);
    if (li_p)
        *li_p = (size_t)r.local;
    if (lj_p)
        *lj_p = (size_t)c.local;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- borrowing (local) */

int dc_mat_get_array(dc_mat_t *a, double **array_p, size_t *lld_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(dci_borrow_get(a->hdr.env, &a->borrow, 1, "mat", "a", __func__));
    *array_p = a->data;
    if (lld_p)
        *lld_p = a->lld;
    return DC_SUCCESS;
}

int dc_mat_restore_array(dc_mat_t *a, double **array_p)
{
    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(
        dci_borrow_restore(a->hdr.env, &a->borrow, 1, *array_p, a->data, "mat", "a", __func__));
    *array_p = NULL;
    return DC_SUCCESS;
}

int dc_mat_get_array_read(const dc_mat_t *a, const double **array_p, size_t *lld_p)
{
    dc_mat_t *w = (dc_mat_t *)a; /* the borrow count is bookkeeping, not the matrix's value */

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(dci_borrow_get(a->hdr.env, &w->borrow, 0, "mat", "a", __func__));
    *array_p = a->data;
    if (lld_p)
        *lld_p = a->lld;
    return DC_SUCCESS;
}

int dc_mat_restore_array_read(const dc_mat_t *a, const double **array_p)
{
    dc_mat_t *w = (dc_mat_t *)a;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_REQUIRE(a->hdr.env, array_p != NULL, DC_ERR_ARG, "array_p is NULL");
    DC_CHECK(
        dci_borrow_restore(a->hdr.env, &w->borrow, 0, *array_p, a->data, "mat", "a", __func__));
    *array_p = NULL;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- fill (local) */

int dc_mat_set_all(dc_mat_t *a, double value)
{
    dc_env_t *env;
    int rc = DC_SUCCESS;
    size_t i, j;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_SET_ALL);
    DC_CHECK_GOTO(dci_mat_state_write(a, "a", __func__), out);
    for (j = 0; j < a->nloc; j++)
        for (i = 0; i < a->mloc; i++)
            a->data[i + j * a->lld] = value;
out:
    dci_prof_end(env, DCI_EV_MAT_SET_ALL, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

int dc_mat_fill(dc_mat_t *a, dc_mat_fill_fn fn, void *ctx)
{
    dc_env_t *env;
    dc_gidx_t *gi = NULL;
    int rc = DC_SUCCESS;
    size_t i, j;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_FILL);
    DC_REQUIRE_GOTO(env, fn != NULL, DC_ERR_ARG, out, "fn is NULL");
    DC_CHECK_GOTO(dci_mat_state_write(a, "a", __func__), out);
    DC_CHECK_GOTO(dci_malloc(env, sizeof(*gi) * (a->mloc + 1), (void **)&gi), out);
    for (i = 0; i < a->mloc; i++)
        gi[i] = dci_map1_global(&a->dist.row, a->myrow, (dc_gidx_t)i);
    for (j = 0; j < a->nloc; j++) {
        dc_gidx_t gj = dci_map1_global(&a->dist.col, a->mycol, (dc_gidx_t)j);
        for (i = 0; i < a->mloc; i++)
            a->data[i + j * a->lld] = fn(gi[i], gj, ctx);
    }
out:
    dci_free(gi);
    dci_prof_end(env, DCI_EV_MAT_FILL, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

/* ---------------------------------------------------------------- scatter / gather */

/* Scatter and gather agree on the outcome, the root, lda and the matrix (its distribution). */
static int agree_root_lda(dc_env_t *env, int rc, const dc_mat_t *a, int root, size_t lda,
                          const char *func)
{
    dci_arg_t args[12];
    int n = dci_mat_dist_args(&a->pub, names_a, DC_ERR_ARG, args);

    args[n++] = dci_arg_int("root", root, DC_ERR_ARG);
    args[n++] = dci_arg_int("lda", lda > INT64_MAX ? INT64_MAX : (int64_t)lda, DC_ERR_ARG);
    return dci_agree_args(env, rc, args, n, func);
}

int dc_mat_scatter(dc_mat_t *a, int root, const double *global, size_t lda)
{
    dc_env_t *env;
    dci_dist_t rd;
    int rc = DC_SUCCESS;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_SCATTER);
    DC_REQUIRE_GOTO(env, root >= 0 && root < env->size, DC_ERR_ARG, out,
                    "root %d is not a rank of the env (0..%d)", root, env->size - 1);
    DC_REQUIRE_GOTO(env, lda >= (size_t)(a->pub.m > 0 ? a->pub.m : 1), DC_ERR_ARG, out,
                    "lda %zu < max(1, m = %lld)", lda, (long long)a->pub.m);
    DC_REQUIRE_GOTO(env, env->rank != root || global != NULL || a->pub.m * a->pub.n == 0,
                    DC_ERR_ARG, out, "global is NULL on the root");
    DC_CHECK_GOTO(dci_mat_state_write(a, "a", __func__), out);
out:
    rc = agree_root_lda(env, rc, a, root, lda, __func__);
    if (rc == DC_SUCCESS) {
        rd = dci_dist_root(a->pub.m, a->pub.n, root);
        rc = dci_redist(env, &rd, global, lda, 0, &a->dist, a->data, a->lld, 1.0, 0.0);
    }
    dci_prof_end(env, DCI_EV_MAT_SCATTER, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

/* Broadcast m x n entries with leading dimension lda from rank 0 (in INT_MAX chunks). */
static int bcast_full(dc_env_t *env, double *global, size_t lda, dc_gidx_t m, dc_gidx_t n)
{
    size_t total = (size_t)m * (size_t)n, off, j;
    double *buf = global;
    int rc = DC_SUCCESS;

    if (total == 0)
        return DC_SUCCESS;
    if (lda != (size_t)m) {
        rc = dci_malloc_aligned(env, sizeof(double) * total, (void **)&buf);
        if (rc == DC_SUCCESS && env->rank == 0)
            for (j = 0; j < (size_t)n; j++)
                memcpy(buf + j * (size_t)m, global + j * lda, sizeof(double) * (size_t)m);
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS) {
        if (buf != global)
            dci_free(buf);
        return rc;
    }
    for (off = 0; off < total && rc == DC_SUCCESS; off += INT_MAX / 2) {
        size_t cnt = total - off < INT_MAX / 2 ? total - off : INT_MAX / 2;
        double t = dci_prof_mpi_begin(env);
        int mrc = MPI_Bcast(buf + off, (int)cnt, MPI_DOUBLE, 0, env->comm);
        dci_prof_coll_end(env, t, env->rank == 0 ? cnt * sizeof(double) : 0,
                          env->rank == 0 ? 0 : cnt * sizeof(double));
        if (mrc != MPI_SUCCESS)
            rc = dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Bcast");
    }
    if (buf != global) {
        if (rc == DC_SUCCESS && env->rank != 0)
            for (j = 0; j < (size_t)n; j++)
                memcpy(global + j * lda, buf + j * (size_t)m, sizeof(double) * (size_t)m);
        dci_free(buf);
    }
    return rc;
}

int dc_mat_gather(const dc_mat_t *a, int root, double *global, size_t lda)
{
    dc_env_t *env;
    dci_dist_t rd;
    int rc = DC_SUCCESS, r0 = root < 0 ? 0 : root;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_GATHER);
    DC_REQUIRE_GOTO(env, root >= -1 && root < env->size, DC_ERR_ARG, out,
                    "root %d is neither -1 nor a rank of the env (0..%d)", root, env->size - 1);
    DC_REQUIRE_GOTO(env, lda >= (size_t)(a->pub.m > 0 ? a->pub.m : 1), DC_ERR_ARG, out,
                    "lda %zu < max(1, m = %lld)", lda, (long long)a->pub.m);
    DC_REQUIRE_GOTO(env,
                    (env->rank != root && root != -1) || global != NULL || a->pub.m * a->pub.n == 0,
                    DC_ERR_ARG, out, "global is NULL on a receiving rank");
    DC_CHECK_GOTO(dci_mat_state_read(a, "a", __func__), out);
out:
    rc = agree_root_lda(env, rc, a, root, lda, __func__);
    if (rc == DC_SUCCESS) {
        rd = dci_dist_root(a->pub.m, a->pub.n, r0);
        rc = dci_redist(env, &a->dist, a->data, a->lld, 0, &rd, global, lda, 1.0, 0.0);
    }
    if (rc == DC_SUCCESS && root == -1 && env->size > 1)
        rc = bcast_full(env, global, lda, a->pub.m, a->pub.n);
    dci_prof_end(env, DCI_EV_MAT_GATHER, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

/* ---------------------------------------------------------------- redistribute / transpose */

/*
 * Common checks of a -> b copies, agreed on a's env (a defines the communicator): a b of another
 * env, or arguments that differ across ranks, fail on every rank with the same code.
 */
static int copy_checks(const dc_mat_t *a, dc_mat_t *b, int trans, const char *func)
{
    dc_env_t *env = a->hdr.env;
    dc_gidx_t bm = trans ? a->pub.n : a->pub.m, bn = trans ? a->pub.m : a->pub.n;
    int rc = DC_SUCCESS, n;
    dci_arg_t args[21];

    if (b->hdr.env != env)
        rc = dci_error_set(env, DC_ERR_COMM, func, __FILE__, __LINE__,
                           "a and b live on different envs");
    else if (b->pub.m != bm || b->pub.n != bn)
        rc = dci_error_set(env, DC_ERR_SIZE, func, __FILE__, __LINE__,
                           "b is %lld x %lld, expected %lld x %lld", (long long)b->pub.m,
                           (long long)b->pub.n, (long long)bm, (long long)bn);
    else if (trans && a == b)
        rc = dci_error_set(env, DC_ERR_ARG, func, __FILE__, __LINE__,
                           "a and b are the same matrix (no in-place transpose)");
    if (rc == DC_SUCCESS)
        rc = dci_mat_state_read(a, "a", func);
    if (rc == DC_SUCCESS && a != b)
        rc = dci_mat_state_write(b, "b", func);
    n = dci_mat_dist_args(&a->pub, names_a, DC_ERR_ARG, args);
    n += dci_mat_dist_args(&b->pub, names_b, DC_ERR_ARG, args + n);
    args[n++] = dci_arg_int("a == b", a == b, DC_ERR_ARG);
    return dci_agree_args(env, rc, args, n, func);
}

int dc_mat_redistribute(const dc_mat_t *a, dc_mat_t *b)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(b, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_REDISTRIBUTE);
    rc = copy_checks(a, b, 0, __func__);
    if (rc == DC_SUCCESS && a != b) {
        if (dci_dist_same(&a->dist, &b->dist)) {
            size_t j;
            for (j = 0; j < a->nloc; j++)
                memcpy(b->data + j * b->lld, a->data + j * a->lld, sizeof(double) * a->mloc);
        } else {
            rc = dci_redist(env, &a->dist, a->data, a->lld, 0, &b->dist, b->data, b->lld, 1.0, 0.0);
        }
    }
    dci_prof_end(env, DCI_EV_MAT_REDISTRIBUTE, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

int dc_mat_transpose(const dc_mat_t *a, dc_mat_t *b)
{
    dc_env_t *env;
    int rc;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(b, DCI_CLASS_MAT);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_TRANSPOSE);
    rc = copy_checks(a, b, 1, __func__);
    if (rc == DC_SUCCESS)
        rc = dci_redist(env, &a->dist, a->data, a->lld, 1, &b->dist, b->data, b->lld, 1.0, 0.0);
    dci_prof_end(env, DCI_EV_MAT_TRANSPOSE, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}

/* ---------------------------------------------------------------- GEMV */

/* A fingerprint of a layout (kind, size, block and every rank's count): equal layouts agree. */
static int64_t layout_fp(const dc_layout_t *l)
{
    uint64_t h;
    int r;

    h = dci_fp_mix(dci_fp_mix(dci_fp_mix(0, (uint64_t)l->kind), (uint64_t)l->n),
                   (uint64_t)l->block);
    for (r = 0; r < l->nranks; r++)
        h = dci_fp_mix(h, (uint64_t)dci_layout_count(l, r));
    return (int64_t)h;
}

/* GEMV's agreement: the outcome, and A, op, alpha, beta and the vectors' layouts. */
static int gemv_agree(dc_env_t *env, int rc, dc_mat_op_t op, double alpha, double beta,
                      const dc_mat_t *a, const dc_layout_t *xl, const dc_layout_t *yl)
{
    dci_arg_t args[16];
    int n = dci_mat_dist_args(&a->pub, names_a, DC_ERR_ARG, args);

    args[n++] = dci_arg_int("op", op, DC_ERR_ARG);
    args[n++] = dci_arg_dbl("alpha", alpha);
    args[n++] = dci_arg_dbl("beta", beta);
    args[n++] = dci_arg_int("the layout of x (fingerprint)", layout_fp(xl), DC_ERR_ARG);
    args[n++] = dci_arg_int("the layout of y (fingerprint)", layout_fp(yl), DC_ERR_ARG);
    return dci_agree_args(env, rc, args, n, "dc_mat_gemv");
}

int dc_mat_gemv(dc_mat_op_t op, double alpha, const dc_mat_t *a, const dc_vec_t *x, double beta,
                dc_vec_t *y)
{
    dc_env_t *env;
    dc_layout_t *xl = NULL, *yl = NULL;
    dc_env_t *xenv = NULL, *yenv = NULL;
    const double *xa = NULL;
    double *ya = NULL, *xfull = NULL, *xsub = NULL, *part = NULL, *sbuf = NULL, *rbuf = NULL;
    int *cnt = NULL, rc = DC_SUCCESS, r, trans = op == DC_MAT_TRANS;
    dc_gidx_t xn = 0, yn = 0, want_x, want_y, g;
    size_t i, xloc = 0, yloc = 0, nin = 0, nout = 0;
    int rp, cp, mrc;
    double t;

    DC_VALIDATE(a, DCI_CLASS_MAT);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    DC_VALIDATE(y, DCI_CLASS_VEC);
    env = a->hdr.env;
    dci_prof_begin(env, DCI_EV_MAT_GEMV);
    want_x = trans ? a->pub.m : a->pub.n;
    want_y = trans ? a->pub.n : a->pub.m;
    xl = dci_vec_layout(x);
    yl = dci_vec_layout(y);
    xenv = xl->hdr.env; /* the layouts' own handles may be released: no public getters */
    yenv = yl->hdr.env;
    /* A defines the communicator: x or y of another env fails on every rank (agreed below) */
    DC_REQUIRE_GOTO(env, xenv == env && yenv == env, DC_ERR_COMM, out,
                    "a, x and y do not all live on the same env");
    xn = xl->n;
    yn = yl->n;
    dc_vec_get_local_size(x, &xloc);
    dc_vec_get_local_size(y, &yloc);
    DC_REQUIRE_GOTO(env, op == DC_MAT_NOTRANS || op == DC_MAT_TRANS, DC_ERR_ARG, out,
                    "op %d is neither DC_MAT_NOTRANS nor DC_MAT_TRANS", (int)op);
    DC_REQUIRE_GOTO(env, (const void *)x != (const void *)y, DC_ERR_ARG, out,
                    "x and y are the same vector");
    DC_REQUIRE_GOTO(env, xn == want_x && yn == want_y, DC_ERR_SIZE, out,
                    "op(A) is %lld x %lld but x has %lld and y %lld entries", (long long)want_y,
                    (long long)want_x, (long long)xn, (long long)yn);
    DC_CHECK_GOTO(dci_mat_state_read(a, "a", __func__), out);
    /* checked here so that a refusal names this call and the argument, not the borrow below */
    DC_CHECK_GOTO(dci_vec_check_access(x, 0, "x", __func__), out);
    DC_CHECK_GOTO(dci_vec_check_access(y, 1, "y", __func__), out);
    DC_CHECK_GOTO(dc_vec_get_array_read(x, &xa), out);
    DC_CHECK_GOTO(dc_vec_get_array(y, &ya), out);
    nin = trans ? a->mloc : a->nloc;
    nout = trans ? a->nloc : a->mloc;
    DC_CHECK_GOTO(dci_malloc(env, sizeof(int) * 4 * (size_t)env->size, (void **)&cnt), out);
    DC_CHECK_GOTO(dci_malloc(env, sizeof(double) * ((size_t)xn + 1), (void **)&xfull), out);
    DC_CHECK_GOTO(
        dci_malloc(env, sizeof(double) * ((size_t)(xn > yn ? xn : yn) + 1), (void **)&rbuf), out);
    DC_CHECK_GOTO(dci_malloc(env, sizeof(double) * (nin + 1), (void **)&xsub), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)yn + 1, sizeof(double), (void **)&part), out);
    DC_CHECK_GOTO(dci_malloc(env, sizeof(double) * ((size_t)yn + 1), (void **)&sbuf), out);
    DC_CHECK_GOTO(dci_layout_counts(env, xl, cnt, cnt + env->size), out);
    DC_CHECK_GOTO(dci_layout_counts(env, yl, cnt + 2 * env->size, cnt + 3 * env->size), out);
out:
    rc = gemv_agree(env, rc, op, alpha, beta, a, xl, yl);
    if (rc != DC_SUCCESS)
        goto done;
    /* 1. every rank gets all of x (x is one row or column of A: small next to A) */
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Allgatherv(xa, (int)xloc, MPI_DOUBLE, rbuf, cnt, cnt + env->size, MPI_DOUBLE,
                         env->comm);
    dci_prof_mpi_end(env, t);
    if (DCI_UNLIKELY(env->prof.on)) /* per peer: my part of x to each, each one's from it */
        for (r = 0; r < env->size; r++)
            if (r != env->rank) {
                if (xloc > 0)
                    dci_prof_send(env, r, xloc * sizeof(double));
                if (cnt[r] > 0)
                    dci_prof_recv(env, r, (size_t)cnt[r] * sizeof(double));
            }
    rc = mrc == MPI_SUCCESS ? DC_SUCCESS : DC_ERR_MPI_RC(env, mrc, "MPI_Allgatherv of x");
    if (rc != DC_SUCCESS)
        goto done;
    for (r = 0; r < env->size; r++)
        for (i = 0; i < (size_t)cnt[r]; i++)
            xfull[dci_layout_l2g(xl, r, i)] = rbuf[cnt[env->size + r] + i];
    /* 2. local product with the entries of x that meet this rank's columns (rows for A^T) */
    dci_dist_parts(&a->dist, env->rank, &rp, &cp);
    for (i = 0; i < nin; i++)
        xsub[i] = xfull[trans ? dci_map1_global(&a->dist.row, rp, (dc_gidx_t)i)
                              : dci_map1_global(&a->dist.col, cp, (dc_gidx_t)i)];
    if (a->mloc > 0 && a->nloc > 0) {
        cblas_dgemv(CblasColMajor, trans ? CblasTrans : CblasNoTrans, (int)a->mloc, (int)a->nloc,
                    1.0, a->data, (int)a->lld, xsub, 1, 0.0, sbuf, 1);
        dci_prof_flops(env, 2.0 * (double)a->mloc * (double)a->nloc);
        for (i = 0; i < nout; i++) {
            g = trans ? dci_map1_global(&a->dist.col, cp, (dc_gidx_t)i)
                      : dci_map1_global(&a->dist.row, rp, (dc_gidx_t)i);
            part[g] = sbuf[i];
        }
    }
    /* 3. sum the partial results and hand each rank its entries of y: one reduce-scatter */
    for (r = 0; r < env->size; r++)
        for (i = 0; i < (size_t)cnt[2 * env->size + r]; i++)
            sbuf[cnt[3 * env->size + r] + i] = part[dci_layout_l2g(yl, r, i)];
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Reduce_scatter(sbuf, rbuf, cnt + 2 * env->size, MPI_DOUBLE, MPI_SUM, env->comm);
    dci_prof_mpi_end(env, t);
    if (DCI_UNLIKELY(env->prof.on)) /* per peer: its entries of y to each, mine from each */
        for (r = 0; r < env->size; r++)
            if (r != env->rank) {
                if (cnt[2 * env->size + r] > 0)
                    dci_prof_send(env, r, (size_t)cnt[2 * env->size + r] * sizeof(double));
                if (yloc > 0)
                    dci_prof_recv(env, r, yloc * sizeof(double));
            }
    rc = mrc == MPI_SUCCESS ? DC_SUCCESS : DC_ERR_MPI_RC(env, mrc, "MPI_Reduce_scatter of y");
    if (rc == DC_SUCCESS) {
        for (i = 0; i < yloc; i++)
            ya[i] = beta == 0.0 ? alpha * rbuf[i] : beta * ya[i] + alpha * rbuf[i];
    }
done:
    if (xa != NULL)
        dc_vec_restore_array_read(x, &xa);
    if (ya != NULL)
        dc_vec_restore_array(y, &ya);
    dci_free(cnt);
    dci_free(xfull);
    dci_free(xsub);
    dci_free(part);
    dci_free(sbuf);
    dci_free(rbuf);
    dci_prof_end(env, DCI_EV_MAT_GEMV, rc == DC_SUCCESS ? a->mloc * a->nloc * 8 : 0);
    return rc;
}
